//! The system the program runs on: GetVersion, GetVersionExA/W, GetSystemDirectoryA/W,
//! GetWindowsDirectoryA/W, GetSystemInfo, IsWow64Process, GetComputerNameA/W, and the
//! current thread's pseudo handle and the process's exit code (GetCurrentThread,
//! GetExitCodeProcess).
//!
//! The version is the kernel's (`hle::rtl::version`, what RtlGetVersion reports), seen as a
//! program without a compatibility manifest sees it: from Windows 8.1 on, GetVersion(Ex)
//! reports 6.2 build 9200 to such programs (Microsoft's documented behaviour; manifests are
//! not read). Windows lives in C:\Windows; the computer is PORTCULLIS, as the registry's
//! ComputerName key says. A program runs natively on its machine, so IsWow64Process is FALSE.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, PAGE_SIZE};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::version::{WindowsVersion, VER_PLATFORM_WIN32_NT};
use portcullis_hle::types::{Ptr, HANDLE};

use crate::error::{ERROR_BUFFER_OVERFLOW, ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_HANDLE, ERROR_NOACCESS};
use crate::kernel32::thread::set_last_error;
use crate::kernel32::virtual_memory::ALLOCATION_GRANULARITY;
use crate::table::BOOL;

/// The Windows directory.
pub const WINDOWS_DIRECTORY: &str = r"C:\Windows";
/// The system directory.
pub const SYSTEM_DIRECTORY: &str = r"C:\Windows\system32";
/// The computer's NetBIOS name (hle's registry seed: ...\ComputerName\ComputerName).
pub const COMPUTER_NAME: &str = "PORTCULLIS";
/// STILL_ACTIVE: the exit code of a process that has not ended.
pub const STILL_ACTIVE: u32 = 259;

/// The version GetVersion(Ex) reports to a program without a manifest.
pub(crate) fn reported_version(k: &Kx) -> WindowsVersion {
    let v = k.ext().options.version;
    if (v.major, v.minor) > (6, 2) {
        WindowsVersion { major: 6, minor: 2, build: 9200, service_pack_major: 0, service_pack_minor: 0, ..v }
    } else {
        v
    }
}

/// DWORD GetVersion(void): major in the low byte, minor in the next, the build in the high
/// word (bit 31 clear: Windows NT).
pub fn GetVersion(k: &mut Kx) -> KResult<u32> {
    let v = reported_version(k);
    Ok(v.major & 0xFF | (v.minor & 0xFF) << 8 | (v.build & 0x7FFF) << 16)
}

/// Fills an OSVERSIONINFO(EX)A/W whose dwOSVersionInfoSize says which it is; FALSE with
/// ERROR_INSUFFICIENT_BUFFER for any other size.
fn version_ex(k: &mut Kx, info: Ptr, wide: bool) -> KResult<BOOL> {
    let size = k.mem().read_u32(info.0)?;
    let chars = if wide { 2 } else { 1 };
    let base = 20 + 128 * chars;
    if size != base && size != base + 8 {
        set_last_error(k, ERROR_INSUFFICIENT_BUFFER)?;
        return Ok(BOOL(false));
    }
    let v = reported_version(k);
    let mut out = Vec::with_capacity(size as usize);
    for d in [size, v.major, v.minor, v.build, VER_PLATFORM_WIN32_NT] {
        out.extend_from_slice(&d.to_le_bytes());
    }
    let mut csd = vec![0u8; 128 * chars as usize];
    let text: Vec<u16> = v.csd_version().encode_utf16().take(127).collect();
    for (i, u) in text.iter().enumerate() {
        if wide {
            csd[i * 2..i * 2 + 2].copy_from_slice(&u.to_le_bytes());
        } else {
            csd[i] = *u as u8;
        }
    }
    out.extend_from_slice(&csd);
    if size == base + 8 {
        for w in [v.service_pack_major, v.service_pack_minor, v.suite_mask] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&[v.product_type, 0]);
    }
    k.mem_mut().write(info.0, &out)?;
    Ok(BOOL(true))
}

/// BOOL GetVersionExA(LPOSVERSIONINFOA lpVersionInformation)
pub fn GetVersionExA(k: &mut Kx, info: Ptr) -> KResult<BOOL> {
    version_ex(k, info, false)
}

/// BOOL GetVersionExW(LPOSVERSIONINFOW lpVersionInformation)
pub fn GetVersionExW(k: &mut Kx, info: Ptr) -> KResult<BOOL> {
    version_ex(k, info, true)
}

/// Copies `text` to a buffer of `capacity` characters as the Get*Directory functions do:
/// the length without the NUL when it fits, else the size needed with it (nothing written).
pub(crate) fn copy_out(k: &mut Kx, text: &str, buffer: Ptr, capacity: u32, wide: bool) -> KResult<u32> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let len = units.len() as u32;
    if capacity <= len || buffer.is_null() {
        return Ok(len + 1);
    }
    let bytes: Vec<u8> = if wide {
        units.iter().chain([&0]).flat_map(|u| u.to_le_bytes()).collect()
    } else {
        units.iter().map(|u| *u as u8).chain([0]).collect()
    };
    k.mem_mut().write(buffer.0, &bytes)?;
    Ok(len)
}

/// UINT GetSystemDirectoryA(LPSTR lpBuffer, UINT uSize)
pub fn GetSystemDirectoryA(k: &mut Kx, buffer: Ptr, size: u32) -> KResult<u32> {
    copy_out(k, SYSTEM_DIRECTORY, buffer, size, false)
}

/// UINT GetSystemDirectoryW(LPWSTR lpBuffer, UINT uSize)
pub fn GetSystemDirectoryW(k: &mut Kx, buffer: Ptr, size: u32) -> KResult<u32> {
    copy_out(k, SYSTEM_DIRECTORY, buffer, size, true)
}

/// UINT GetWindowsDirectoryA(LPSTR lpBuffer, UINT uSize)
pub fn GetWindowsDirectoryA(k: &mut Kx, buffer: Ptr, size: u32) -> KResult<u32> {
    copy_out(k, WINDOWS_DIRECTORY, buffer, size, false)
}

/// UINT GetWindowsDirectoryW(LPWSTR lpBuffer, UINT uSize)
pub fn GetWindowsDirectoryW(k: &mut Kx, buffer: Ptr, size: u32) -> KResult<u32> {
    copy_out(k, WINDOWS_DIRECTORY, buffer, size, true)
}

/// VOID GetSystemInfo(LPSYSTEM_INFO lpSystemInfo): the machine's processors (count, and
/// level and revision from cpuid as Windows derives them), pages of 4 KB, allocations at
/// 64 KB, the user address range.
pub fn GetSystemInfo(k: &mut Kx, info: Ptr) -> KResult<()> {
    let arch = k.arch();
    let cpus = k.cpus();
    let signature = k.guest().cpu.identity.leaf(1, 0)[0];
    let base_family = signature >> 8 & 0xF;
    let family = if base_family == 0xF { base_family + (signature >> 20 & 0xFF) } else { base_family };
    let model = if base_family == 6 || base_family == 0xF {
        (signature >> 4 & 0xF) | (signature >> 16 & 0xF) << 4
    } else {
        signature >> 4 & 0xF
    };
    let revision = (model << 8 | signature & 0xF) as u16;
    let (architecture, processor_type, max_address) = match arch {
        Arch::X86 => (0u16, 586u32, 0x7FFE_FFFFu64),
        Arch::X64 => (9, 8664, 0x7FF_FFFE_FFFF),
    };
    let mask = if cpus >= 64 { u64::MAX } else { (1u64 << cpus) - 1 };
    let mut out = Vec::new();
    let ptr = |out: &mut Vec<u8>, v: u64| match arch {
        Arch::X86 => out.extend_from_slice(&(v as u32).to_le_bytes()),
        Arch::X64 => out.extend_from_slice(&v.to_le_bytes()),
    };
    out.extend_from_slice(&architecture.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(PAGE_SIZE as u32).to_le_bytes());
    ptr(&mut out, 0x1_0000);
    ptr(&mut out, max_address);
    ptr(&mut out, mask);
    out.extend_from_slice(&cpus.to_le_bytes());
    out.extend_from_slice(&processor_type.to_le_bytes());
    out.extend_from_slice(&(ALLOCATION_GRANULARITY as u32).to_le_bytes());
    out.extend_from_slice(&(family as u16).to_le_bytes());
    out.extend_from_slice(&revision.to_le_bytes());
    Ok(k.mem_mut().write(info.0, &out)?)
}

/// Whether `h` names the current process (its pseudo handle).
fn is_current_process(k: &Kx, h: HANDLE) -> bool {
    h.0 == k.arch().mask(u64::MAX)
}

/// BOOL IsWow64Process(HANDLE hProcess, PBOOL Wow64Process): FALSE, the program runs
/// natively.
pub fn IsWow64Process(k: &mut Kx, process: HANDLE, wow64: Ptr) -> KResult<BOOL> {
    if !is_current_process(k, process) {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    }
    if wow64.is_null() {
        set_last_error(k, ERROR_NOACCESS)?;
        return Ok(BOOL(false));
    }
    k.mem_mut().write_u32(wow64.0, 0)?;
    Ok(BOOL(true))
}

/// HANDLE GetCurrentThread(void): the pseudo handle (HANDLE)-2.
pub fn GetCurrentThread(k: &mut Kx) -> KResult<HANDLE> {
    Ok(HANDLE(k.arch().mask(u64::MAX - 1)))
}

/// BOOL GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode): STILL_ACTIVE for a process
/// that runs (the caller, through its pseudo handle, or one it created), else its exit
/// status.
pub fn GetExitCodeProcess(k: &mut Kx, process: HANDLE, code: Ptr) -> KResult<BOOL> {
    let Some(i) = crate::kernel32::create_process::process_of(k, process.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    let status = crate::state(k).processes[i].exited.as_ref().map_or(STILL_ACTIVE, |e| e.code);
    k.mem_mut().write_u32(code.0, status)?;
    Ok(BOOL(true))
}

/// GetComputerNameA/W: *lpnSize is the buffer's size in characters; on success the length
/// written (without the NUL), else ERROR_BUFFER_OVERFLOW and the size needed (with it).
fn computer_name(k: &mut Kx, buffer: Ptr, size: Ptr, wide: bool) -> KResult<BOOL> {
    let capacity = k.mem().read_u32(size.0)?;
    let n = copy_out(k, COMPUTER_NAME, buffer, capacity, wide)?;
    k.mem_mut().write_u32(size.0, n)?;
    if n as usize != COMPUTER_NAME.len() {
        set_last_error(k, ERROR_BUFFER_OVERFLOW)?;
        return Ok(BOOL(false));
    }
    Ok(BOOL(true))
}

/// BOOL GetComputerNameA(LPSTR lpBuffer, LPDWORD nSize)
pub fn GetComputerNameA(k: &mut Kx, buffer: Ptr, size: Ptr) -> KResult<BOOL> {
    computer_name(k, buffer, size, false)
}

/// BOOL GetComputerNameW(LPWSTR lpBuffer, LPDWORD nSize)
pub fn GetComputerNameW(k: &mut Kx, buffer: Ptr, size: Ptr) -> KResult<BOOL> {
    computer_name(k, buffer, size, true)
}

/// BOOL IsProcessorFeaturePresent(DWORD ProcessorFeature): KUSER_SHARED_DATA's
/// ProcessorFeatures[ProcessorFeature], as kernel32 reads it (the kernel fills it from the
/// processor); FALSE for a feature past the array.
pub fn IsProcessorFeaturePresent(k: &mut Kx, feature: u32) -> KResult<BOOL> {
    use portcullis_hle::layout::KUSER_SHARED_DATA;
    const PROCESSOR_FEATURE_MAX: u32 = 64;
    if feature >= PROCESSOR_FEATURE_MAX {
        return Ok(BOOL(false));
    }
    let shared = k.ext().system.shared_data;
    let at = KUSER_SHARED_DATA::ProcessorFeatures.at(k.arch(), shared) + feature as u64;
    Ok(BOOL(k.mem().read_u8(at)? != 0))
}
