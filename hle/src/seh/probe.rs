//! `ProbeForRead` and `ProbeForWrite`: the checks a driver makes on a user-mode buffer (the
//! caller's pointers of METHOD_NEITHER requests) inside `__try`, raising the exception its
//! `__except` expects when the buffer is misaligned, reaches into kernel space, or (for a
//! write) is not there to be written.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, MemError, PAGE_SIZE};

use crate::kernel::{KResult, Kx};
use crate::seh::codes::code;
use crate::seh::raise;
use crate::types::{Ptr, SizeT};

/// MmUserProbeAddress: the first address a probe refuses.
pub fn user_probe_address(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x7FFF_0000,
        Arch::X64 => 0x7FF_FFFF_0000,
    }
}

/// VOID ProbeForRead(const volatile VOID *Address, SIZE_T Length, ULONG Alignment)
///
/// A misaligned buffer raises STATUS_DATATYPE_MISALIGNMENT; one reaching MmUserProbeAddress
/// (or wrapping) raises the access violation Windows gets by writing to that address. The
/// pages are not touched. Nothing is checked for a zero length.
pub fn ProbeForRead(k: &mut Kx, address: Ptr, length: SizeT, alignment: u32) -> KResult<()> {
    let (at, len) = (address.0, length.0);
    if len == 0 {
        return Ok(());
    }
    if at & (alignment.max(1) as u64 - 1) != 0 {
        return Err(raise::raise_status(k, code::DATATYPE_MISALIGNMENT));
    }
    let limit = user_probe_address(k.arch());
    match at.checked_add(len) {
        Some(end) if end <= limit => Ok(()),
        _ => Err(raise::raise_in_routine(k, code::ACCESS_VIOLATION, 0, &[1, limit])),
    }
}

/// VOID ProbeForWrite(volatile VOID *Address, SIZE_T Length, ULONG Alignment)
///
/// As ProbeForRead, but a buffer outside the user range raises STATUS_ACCESS_VIOLATION
/// (ExRaiseAccessViolation), and each page of the buffer is touched by reading a byte and
/// writing it back: a page that is not there (read) or may not be written (write) raises
/// the access violation the touch causes.
pub fn ProbeForWrite(k: &mut Kx, address: Ptr, length: SizeT, alignment: u32) -> KResult<()> {
    let (at, len) = (address.0, length.0);
    if len == 0 {
        return Ok(());
    }
    if at & (alignment.max(1) as u64 - 1) != 0 {
        return Err(raise::raise_status(k, code::DATATYPE_MISALIGNMENT));
    }
    let limit = user_probe_address(k.arch());
    let last = match at.checked_add(len - 1) {
        Some(last) if last < limit => last,
        _ => return Err(raise::raise_status(k, code::ACCESS_VIOLATION)),
    };
    let mut page = at;
    loop {
        let touched = k.mem().read_u8(page).and_then(|b| k.mem_mut().write_u8(page, b));
        match touched {
            Ok(()) => {}
            Err(MemError::ReadOnly { addr }) => {
                return Err(raise::raise_in_routine(k, code::ACCESS_VIOLATION, 0, &[1, addr]))
            }
            Err(_) => return Err(raise::raise_in_routine(k, code::ACCESS_VIOLATION, 0, &[0, page])),
        }
        let next = (page & !(PAGE_SIZE - 1)) + PAGE_SIZE;
        if next > last {
            return Ok(());
        }
        page = next;
    }
}
