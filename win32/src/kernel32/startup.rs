//! What a C runtime asks kernel32 while it starts a program: GetStartupInfoA/W, the thread's
//! dynamic TLS slots (TlsAlloc, TlsGetValue, TlsSetValue, TlsFree) and IsDBCSLeadByteEx.
//!
//! The TLS slots are the TEB's 64 TlsSlots (x86 TEB+0xE10, x64 TEB+0x1480), what
//! TlsGetValue reads on Windows too; the 1024 expansion slots Windows adds past them are not
//! built, so the 65th TlsAlloc fails (TLS_OUT_OF_INDEXES) where Windows' 1089th would.
//! TlsFree clears the slot in every thread of the process, as Windows does.
#![allow(non_snake_case)]

use portcullis_emu::Arch;
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::Ptr;

use crate::error::{ERROR_INVALID_PARAMETER, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS};
use crate::kernel32::thread::{me, set_last_error};
use crate::table::BOOL;

/// TlsAlloc's failure.
pub const TLS_OUT_OF_INDEXES: u32 = 0xFFFF_FFFF;
/// The TEB's TLS slots.
pub const TLS_MINIMUM_AVAILABLE: u32 = 64;

/// The desktop a console program's STARTUPINFO names.
const DESKTOP: &str = r"WinSta0\Default";
/// Where the strings lie in their page: (ANSI desktop, ANSI title, wide desktop, wide title).
const STRINGS: (u64, u64, u64, u64) = (0, 0x40, 0x400, 0x480);
/// Longest title kept (MAX_PATH).
const MAX_TITLE: usize = 259;

/// Writes the strings GetStartupInfo hands out (the desktop, and the title: the program's
/// path) at `at`, a page of the process.
pub(crate) fn write_strings(k: &mut Kx, at: u64, path: &str) -> KResult<()> {
    let title: String = path.chars().take(MAX_TITLE).collect();
    let ansi =
        |s: &str| s.chars().map(|c| if (c as u32) < 0x100 { c as u8 } else { b'?' }).chain([0]).collect::<Vec<u8>>();
    let wide = |s: &str| s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let mem = k.mem_mut();
    mem.write(at + STRINGS.0, &ansi(DESKTOP))?;
    mem.write(at + STRINGS.1, &ansi(&title))?;
    mem.write(at + STRINGS.2, &wide(DESKTOP))?;
    mem.write(at + STRINGS.3, &wide(&title))?;
    Ok(())
}

fn startup_info(k: &mut Kx, info: Ptr, wide: bool) -> KResult<()> {
    let strings = me(k)?.startup_strings;
    let (desktop, title) = if wide { (STRINGS.2, STRINGS.3) } else { (STRINGS.0, STRINGS.1) };
    // STARTUPINFO: cb, lpReserved, lpDesktop, lpTitle, then DWORDs and handles, all zero for
    // a program started without STARTF_* flags (no window, inherited console).
    let (size, desktop_at, title_at) = match k.arch() {
        Arch::X86 => (0x44u64, 0x8, 0xC),
        Arch::X64 => (0x68, 0x10, 0x18),
    };
    let mem = k.mem_mut();
    mem.write(info.0, &vec![0u8; size as usize])?;
    mem.write_u32(info.0, size as u32)?;
    mem.write_ptr(info.0 + desktop_at, strings + desktop)?;
    mem.write_ptr(info.0 + title_at, strings + title)?;
    Ok(())
}

/// VOID GetStartupInfoA(LPSTARTUPINFOA lpStartupInfo): how the program was started: no
/// STARTF_* flags (its standard handles are the console's), its desktop, its path as title.
pub fn GetStartupInfoA(k: &mut Kx, info: Ptr) -> KResult<()> {
    startup_info(k, info, false)
}

/// VOID GetStartupInfoW(LPSTARTUPINFOW lpStartupInfo)
pub fn GetStartupInfoW(k: &mut Kx, info: Ptr) -> KResult<()> {
    startup_info(k, info, true)
}

/// Where TlsSlots[`index`] of the TEB at `teb` is.
fn slot_in(arch: Arch, teb: u64, index: u32) -> u64 {
    match arch {
        Arch::X86 => teb + 0xE10 + 4 * index as u64,
        Arch::X64 => teb + 0x1480 + 8 * index as u64,
    }
}

/// Where the running thread's TlsSlots[`index`] is.
fn slot(k: &mut Kx, index: u32) -> KResult<u64> {
    let teb = crate::threads::me(k)?.teb;
    Ok(slot_in(k.arch(), teb, index))
}

/// DWORD TlsAlloc(void): the lowest free slot, zeroed; TLS_OUT_OF_INDEXES with
/// ERROR_NO_MORE_ITEMS when all 64 are taken.
pub fn TlsAlloc(k: &mut Kx) -> KResult<u32> {
    let used = me(k)?.tls_slots;
    let Some(index) = (0..TLS_MINIMUM_AVAILABLE).find(|i| used & (1 << i) == 0) else {
        set_last_error(k, ERROR_NO_MORE_ITEMS)?;
        return Ok(TLS_OUT_OF_INDEXES);
    };
    me(k)?.tls_slots |= 1 << index;
    let at = slot(k, index)?;
    k.mem_mut().write_ptr(at, 0)?;
    Ok(index)
}

/// LPVOID TlsGetValue(DWORD dwTlsIndex): the thread's value (the last error cleared, as
/// Windows does, so 0 can be told from a failure); 0 with ERROR_INVALID_PARAMETER for an
/// index past the slots.
pub fn TlsGetValue(k: &mut Kx, index: u32) -> KResult<Ptr> {
    if index >= TLS_MINIMUM_AVAILABLE {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(Ptr(0));
    }
    let at = slot(k, index)?;
    let v = k.mem().read_ptr(at)?;
    set_last_error(k, ERROR_SUCCESS)?;
    Ok(Ptr(v))
}

/// BOOL TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue)
pub fn TlsSetValue(k: &mut Kx, index: u32, value: Ptr) -> KResult<BOOL> {
    if index >= TLS_MINIMUM_AVAILABLE {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    let at = slot(k, index)?;
    k.mem_mut().write_ptr(at, value.0)?;
    Ok(BOOL(true))
}

/// BOOL TlsFree(DWORD dwTlsIndex): the slot is free again and zeroed; FALSE with
/// ERROR_INVALID_PARAMETER for one not allocated.
pub fn TlsFree(k: &mut Kx, index: u32) -> KResult<BOOL> {
    if index >= TLS_MINIMUM_AVAILABLE || me(k)?.tls_slots & (1 << index) == 0 {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    me(k)?.tls_slots &= !(1 << index);
    let tebs: Vec<u64> = me(k)?.threads.iter().filter(|t| t.exit_code.is_none()).map(|t| t.teb).collect();
    let arch = k.arch();
    for teb in tebs {
        k.mem_mut().write_ptr(slot_in(arch, teb, index), 0)?;
    }
    Ok(BOOL(true))
}

/// BOOL IsDBCSLeadByteEx(UINT CodePage, BYTE TestChar): FALSE for every byte of the code
/// pages installed here (Windows-1252, 437, UTF-8: single-byte or not DBCS); FALSE with
/// ERROR_INVALID_PARAMETER for others (the East Asian double-byte code pages are not
/// installed).
pub fn IsDBCSLeadByteEx(k: &mut Kx, code_page: u32, _byte: u8) -> KResult<BOOL> {
    if crate::kernel32::text::page_of(code_page).is_none() {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
    }
    Ok(BOOL(false))
}
