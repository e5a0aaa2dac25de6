//! Converting counted strings between Unicode and the ANSI and OEM code pages
//! (RtlAnsiStringToUnicodeString, RtlUnicodeStringToAnsiString and their OEM, upcasing and
//! counted siblings), and the size routines that go with them.
//!
//! The order of operations is Windows': the destination's Length is set before its room is
//! checked (so a STATUS_BUFFER_OVERFLOW leaves the needed Length there), an allocated
//! destination gets MaximumLength and Buffer before the allocation is checked, and only
//! RtlUnicodeStringToAnsiString converts as much as fits before reporting the overflow.
//! "Counted" results carry no terminating NUL; an empty counted result is the empty
//! NULL-buffer string; a counted OEM result with a character the OEM page lacks is
//! STATUS_UNMAPPABLE_CHARACTER.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, NtStatus, PAnsiString, PUnicodeString};

use super::nls::{upcase, CodePage};
use super::string::{alloc_string_buffer, free_string_buffer, set_length, write_units, Counted, MAXUSHORT};

/// The largest byte count a UNICODE_STRING's Length can take (MAXUSHORT rounded to whole
/// characters).
const MAX_USTRING: u64 = MAXUSHORT & !1;

/// Sets up the destination buffer of a conversion producing `length` bytes (`size` with the
/// terminator): allocates when asked, else checks the room. `Err(status)` ends the call.
fn destination(
    k: &mut Kx,
    dest: u64,
    length: u64,
    size: u64,
    alloc: bool,
    fits: bool,
) -> KResult<Result<u64, NtStatus>> {
    set_length(k.mem_mut(), dest, length)?;
    if alloc {
        let buffer = alloc_string_buffer(k, size)?;
        Counted { length: length as u16, maximum: size as u16, buffer: buffer.unwrap_or(0) }
            .write(k.mem_mut(), dest)?;
        return Ok(buffer.ok_or(status::NO_MEMORY));
    }
    if !fits {
        return Ok(Err(status::BUFFER_OVERFLOW));
    }
    Ok(Ok(Counted::read(k.mem(), dest)?.buffer))
}

/// Bytes of `page` to a UNICODE_STRING; `terminated` adds (and makes room for) a NUL.
fn bytes_to_unicode(
    k: &mut Kx,
    page: CodePage,
    dest: PUnicodeString,
    source: PAnsiString,
    alloc: Boolean,
    terminated: bool,
) -> KResult<NtStatus> {
    let src = Counted::read(k.mem(), source.0)?;
    let length = u64::from(src.length) * 2;
    if !terminated && length == 0 {
        Counted { length: 0, maximum: 0, buffer: 0 }.write(k.mem_mut(), dest.0)?;
        return Ok(status::SUCCESS);
    }
    let size = if terminated { length + 2 } else { length };
    if size > MAX_USTRING {
        return Ok(status::INVALID_PARAMETER_2);
    }
    let maximum = Counted::read(k.mem(), dest.0)?.maximum;
    let fits = if terminated { length < maximum.into() } else { length <= maximum.into() };
    let buffer = match destination(k, dest.0, length, size, alloc.0, fits)? {
        Ok(b) => b,
        Err(st) => return Ok(st),
    };
    let mut units: Vec<u16> = src.bytes(k.mem())?.iter().map(|&b| page.to_unicode(b)).collect();
    if terminated {
        units.push(0);
    }
    write_units(k.mem_mut(), buffer, &units)?;
    Ok(status::SUCCESS)
}

/// How a Unicode-to-bytes conversion treats its input and a destination that is too small.
#[derive(Clone, Copy)]
struct ToBytes {
    page: CodePage,
    upper: bool,
    /// A NUL follows the characters.
    terminated: bool,
    /// Too small: convert what fits and return STATUS_BUFFER_OVERFLOW (RtlUnicodeStringToAnsiString).
    partial: bool,
}

fn unicode_to_bytes(
    k: &mut Kx,
    how: ToBytes,
    dest: PAnsiString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    let src = Counted::read(k.mem(), source.0)?;
    let mut units = src.units(k.mem())?;
    if how.upper {
        units.iter_mut().for_each(|u| *u = upcase(*u));
    }
    let length = units.len() as u64;
    if !how.terminated && length == 0 {
        Counted { length: 0, maximum: 0, buffer: 0 }.write(k.mem_mut(), dest.0)?;
        return Ok(status::SUCCESS);
    }
    let size = if how.terminated { length + 1 } else { length };
    if size > MAXUSHORT {
        return Ok(status::INVALID_PARAMETER_2);
    }
    let maximum = u64::from(Counted::read(k.mem(), dest.0)?.maximum);
    let fits = if how.terminated { length < maximum } else { length <= maximum };
    let mut result = status::SUCCESS;
    let (buffer, count) = if !alloc.0 && !fits && how.partial {
        // Convert what fits into MaximumLength - 1 bytes (a MaximumLength of 0 wraps to
        // 0xFFFF, as the USHORT arithmetic on Windows does).
        let count = (maximum.wrapping_sub(1) & 0xFFFF).min(length);
        set_length(k.mem_mut(), dest.0, count)?;
        result = status::BUFFER_OVERFLOW;
        (Counted::read(k.mem(), dest.0)?.buffer, count)
    } else {
        match destination(k, dest.0, length, size, alloc.0, fits)? {
            Ok(b) => (b, length),
            Err(st) => return Ok(st),
        }
    };
    let chars = &units[..count as usize];
    let mut bytes: Vec<u8> = chars.iter().map(|&u| how.page.encode(u)).collect();
    if !how.terminated && chars.iter().any(|&u| how.page.from_unicode(u).is_none()) {
        if alloc.0 {
            free_string_buffer(k, buffer)?;
            Counted { length: 0, maximum: 0, buffer: 0 }.write(k.mem_mut(), dest.0)?;
        }
        return Ok(status::UNMAPPABLE_CHARACTER);
    }
    if how.terminated {
        bytes.push(0);
    }
    k.mem_mut().write(buffer, &bytes)?;
    Ok(result)
}

/// NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING
/// SourceString, BOOLEAN AllocateDestinationString): NUL-terminated. STATUS_BUFFER_OVERFLOW
/// when the destination cannot hold the characters and the NUL; STATUS_INVALID_PARAMETER_2
/// when the result would not fit a UNICODE_STRING; STATUS_NO_MEMORY.
pub fn RtlAnsiStringToUnicodeString(
    k: &mut Kx,
    dest: PUnicodeString,
    source: PAnsiString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    bytes_to_unicode(k, CodePage::Ansi, dest, source, alloc, true)
}

/// NTSTATUS RtlOemStringToUnicodeString(...): from the OEM code page.
pub fn RtlOemStringToUnicodeString(
    k: &mut Kx,
    dest: PUnicodeString,
    source: PAnsiString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    bytes_to_unicode(k, CodePage::Oem, dest, source, alloc, true)
}

/// NTSTATUS RtlOemStringToCountedUnicodeString(...): no terminator.
pub fn RtlOemStringToCountedUnicodeString(
    k: &mut Kx,
    dest: PUnicodeString,
    source: PAnsiString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    bytes_to_unicode(k, CodePage::Oem, dest, source, alloc, false)
}

const ANSI: ToBytes = ToBytes { page: CodePage::Ansi, upper: false, terminated: true, partial: true };
const OEM: ToBytes = ToBytes { page: CodePage::Oem, upper: false, terminated: true, partial: false };

/// NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING
/// SourceString, BOOLEAN AllocateDestinationString): NUL-terminated; a destination that is
/// too small receives what fits (MaximumLength - 1 characters and the NUL) and
/// STATUS_BUFFER_OVERFLOW is returned.
pub fn RtlUnicodeStringToAnsiString(
    k: &mut Kx,
    dest: PAnsiString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    unicode_to_bytes(k, ANSI, dest, source, alloc)
}

/// NTSTATUS RtlUpcaseUnicodeStringToAnsiString(...): upcased; a destination that is too small
/// is STATUS_BUFFER_OVERFLOW with nothing converted.
pub fn RtlUpcaseUnicodeStringToAnsiString(
    k: &mut Kx,
    dest: PAnsiString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    unicode_to_bytes(k, ToBytes { upper: true, partial: false, ..ANSI }, dest, source, alloc)
}

/// NTSTATUS RtlUnicodeStringToOemString(...)
pub fn RtlUnicodeStringToOemString(
    k: &mut Kx,
    dest: PAnsiString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    unicode_to_bytes(k, OEM, dest, source, alloc)
}

/// NTSTATUS RtlUpcaseUnicodeStringToOemString(...)
pub fn RtlUpcaseUnicodeStringToOemString(
    k: &mut Kx,
    dest: PAnsiString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    unicode_to_bytes(k, ToBytes { upper: true, ..OEM }, dest, source, alloc)
}

/// NTSTATUS RtlUnicodeStringToCountedOemString(...): no terminator; a character the OEM page
/// lacks is STATUS_UNMAPPABLE_CHARACTER (an allocated buffer is freed again).
pub fn RtlUnicodeStringToCountedOemString(
    k: &mut Kx,
    dest: PAnsiString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    unicode_to_bytes(k, ToBytes { terminated: false, ..OEM }, dest, source, alloc)
}

/// NTSTATUS RtlUpcaseUnicodeStringToCountedOemString(...)
pub fn RtlUpcaseUnicodeStringToCountedOemString(
    k: &mut Kx,
    dest: PAnsiString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    unicode_to_bytes(k, ToBytes { upper: true, terminated: false, ..OEM }, dest, source, alloc)
}

/// ULONG RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString): bytes the Unicode form needs,
/// terminator included.
pub fn RtlxAnsiStringToUnicodeSize(k: &mut Kx, s: PAnsiString) -> KResult<u32> {
    Ok((u32::from(Counted::read(k.mem(), s.0)?.length) + 1) * 2)
}

/// ULONG RtlxOemStringToUnicodeSize(PCOEM_STRING OemString)
pub fn RtlxOemStringToUnicodeSize(k: &mut Kx, s: PAnsiString) -> KResult<u32> {
    RtlxAnsiStringToUnicodeSize(k, s)
}

/// ULONG RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString): bytes the ANSI form
/// needs, terminator included.
pub fn RtlxUnicodeStringToAnsiSize(k: &mut Kx, s: PUnicodeString) -> KResult<u32> {
    Ok(u32::from(Counted::read(k.mem(), s.0)?.length) / 2 + 1)
}

/// ULONG RtlxUnicodeStringToOemSize(PCUNICODE_STRING UnicodeString)
pub fn RtlxUnicodeStringToOemSize(k: &mut Kx, s: PUnicodeString) -> KResult<u32> {
    RtlxUnicodeStringToAnsiSize(k, s)
}
