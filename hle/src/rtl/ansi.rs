//! Counted byte strings (ANSI_STRING, STRING, OEM_STRING): initialise, copy, append, compare,
//! upcase and free. Characters are bytes of the ANSI code page (1252); case-insensitive
//! comparisons upcase through it as RtlUpperChar does.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, NtStatus, PAnsiString, Ptr, PCSTR};

use super::nls::upcase_ansi;
use super::string::{read_counted, set_length, Counted, MAXUSHORT};
use super::unicode::{free_counted, units};

/// The longest ANSI_STRING RtlInitAnsiString builds: Length 0xFFFE, MaximumLength 0xFFFF.
pub const MAX_ASTRING_LENGTH: u64 = MAXUSHORT - 1;

/// VOID RtlInitAnsiString(PANSI_STRING Dest, PCSZ Source): points Dest at Source (no copy);
/// a NULL source gives an empty string with a NULL buffer; longer sources are capped at
/// Length 0xFFFE, MaximumLength 0xFFFF.
pub fn RtlInitAnsiString(k: &mut Kx, dest: Ptr, source: PCSTR) -> KResult<()> {
    let (len, max) = if source.0 == 0 {
        (0, 0)
    } else {
        let bytes = units(k, source.0, 1, MAX_ASTRING_LENGTH)?.min(MAX_ASTRING_LENGTH);
        (bytes, bytes + 1)
    };
    Counted { length: len as u16, maximum: max as u16, buffer: source.0 }.write(k.mem_mut(), dest.0)?;
    Ok(())
}

/// VOID RtlInitString(PSTRING Dest, PCSZ Source): RtlInitAnsiString.
pub fn RtlInitString(k: &mut Kx, dest: Ptr, source: PCSTR) -> KResult<()> {
    RtlInitAnsiString(k, dest, source)
}

/// NTSTATUS RtlInitAnsiStringEx(PANSI_STRING Dest, PCSZ Source): STATUS_NAME_TOO_LONG (Dest
/// untouched) for a source longer than 0xFFFE bytes.
pub fn RtlInitAnsiStringEx(k: &mut Kx, dest: Ptr, source: PCSTR) -> KResult<NtStatus> {
    if source.0 != 0 && units(k, source.0, 1, MAX_ASTRING_LENGTH)? > MAX_ASTRING_LENGTH {
        return Ok(status::NAME_TOO_LONG);
    }
    RtlInitAnsiString(k, dest, source)?;
    Ok(status::SUCCESS)
}

/// VOID RtlCopyString(PSTRING DestinationString, const STRING *SourceString): copies
/// min(Source->Length, Dest->MaximumLength) bytes, NUL-terminated when room remains; a NULL
/// source empties Dest.
pub fn RtlCopyString(k: &mut Kx, dest: Ptr, source: PAnsiString) -> KResult<()> {
    if source.0 == 0 {
        set_length(k.mem_mut(), dest.0, 0)?;
        return Ok(());
    }
    let src = Counted::read(k.mem(), source.0)?;
    let dst = Counted::read(k.mem(), dest.0)?;
    let n = src.length.min(dst.maximum);
    let bytes = read_counted(k.mem(), src.buffer, n.into())?;
    let mem = k.mem_mut();
    mem.write(dst.buffer, &bytes)?;
    set_length(mem, dest.0, n.into())?;
    if n < dst.maximum {
        mem.write_u8(dst.buffer.wrapping_add(n.into()), 0)?;
    }
    Ok(())
}

/// Appends bytes to the counted string at `dest`: all or nothing, no terminator.
fn append_bytes(k: &mut Kx, dest: u64, bytes: &[u8]) -> KResult<NtStatus> {
    if bytes.is_empty() {
        return Ok(status::SUCCESS);
    }
    let d = Counted::read(k.mem(), dest)?;
    let length = u32::from(d.length) + bytes.len() as u32;
    if length > u32::from(d.maximum) {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let mem = k.mem_mut();
    mem.write(d.buffer.wrapping_add(d.length.into()), bytes)?;
    set_length(mem, dest, length.into())?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlAppendStringToString(PSTRING Destination, const STRING *Source):
/// STATUS_BUFFER_TOO_SMALL (Destination unchanged) when it would not fit.
pub fn RtlAppendStringToString(k: &mut Kx, dest: PAnsiString, source: PAnsiString) -> KResult<NtStatus> {
    let bytes = Counted::read(k.mem(), source.0)?.bytes(k.mem())?;
    append_bytes(k, dest.0, &bytes)
}

/// NTSTATUS RtlAppendAsciizToString(PSTRING Destination, PCSZ Source): a NULL source appends
/// nothing.
pub fn RtlAppendAsciizToString(k: &mut Kx, dest: PAnsiString, source: PCSTR) -> KResult<NtStatus> {
    if source.0 == 0 {
        return Ok(status::SUCCESS);
    }
    let n = units(k, source.0, 1, MAXUSHORT)?;
    if n > MAXUSHORT {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let bytes = read_counted(k.mem(), source.0, n as usize)?;
    append_bytes(k, dest.0, &bytes)
}

/// Compares byte strings as RtlCompareString does (upcasing through the ANSI page when
/// case-insensitive): the first difference decides, else the shorter is less.
pub fn compare_bytes(a: &[u8], b: &[u8], insensitive: bool) -> i32 {
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = if insensitive { (upcase_ansi(x), upcase_ansi(y)) } else { (x, y) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    a.len() as i32 - b.len() as i32
}

/// LONG RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
pub fn RtlCompareString(k: &mut Kx, a: PAnsiString, b: PAnsiString, ci: Boolean) -> KResult<i32> {
    let mem = k.mem();
    let x = Counted::read(mem, a.0)?.bytes(mem)?;
    let y = Counted::read(mem, b.0)?.bytes(mem)?;
    Ok(compare_bytes(&x, &y, ci.0))
}

/// BOOLEAN RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
pub fn RtlEqualString(k: &mut Kx, a: PAnsiString, b: PAnsiString, ci: Boolean) -> KResult<Boolean> {
    let mem = k.mem();
    let (x, y) = (Counted::read(mem, a.0)?, Counted::read(mem, b.0)?);
    if x.length != y.length {
        return Ok(Boolean(false));
    }
    Ok(Boolean(compare_bytes(&x.bytes(mem)?, &y.bytes(mem)?, ci.0) == 0))
}

/// BOOLEAN RtlPrefixString(const STRING *String1, const STRING *String2, BOOLEAN
/// CaseInSensitive): whether String1 is a prefix of String2.
pub fn RtlPrefixString(k: &mut Kx, a: PAnsiString, b: PAnsiString, ci: Boolean) -> KResult<Boolean> {
    let mem = k.mem();
    let (x, y) = (Counted::read(mem, a.0)?, Counted::read(mem, b.0)?);
    if x.length > y.length {
        return Ok(Boolean(false));
    }
    let prefix = x.bytes(mem)?;
    let head = read_counted(mem, y.buffer, prefix.len())?;
    Ok(Boolean(compare_bytes(&prefix, &head, ci.0) == 0))
}

/// VOID RtlUpperString(PSTRING DestinationString, const STRING *SourceString): the uppercase
/// of min(Source->Length, Dest->MaximumLength) bytes; no terminator.
pub fn RtlUpperString(k: &mut Kx, dest: PAnsiString, source: PAnsiString) -> KResult<()> {
    let src = Counted::read(k.mem(), source.0)?;
    let dst = Counted::read(k.mem(), dest.0)?;
    let n = src.length.min(dst.maximum);
    let bytes: Vec<u8> = read_counted(k.mem(), src.buffer, n.into())?.into_iter().map(upcase_ansi).collect();
    let mem = k.mem_mut();
    mem.write(dst.buffer, &bytes)?;
    set_length(mem, dest.0, n.into())?;
    Ok(())
}

/// VOID RtlFreeAnsiString(PANSI_STRING AnsiString): frees a buffer an Rtl routine allocated.
pub fn RtlFreeAnsiString(k: &mut Kx, string: PAnsiString) -> KResult<()> {
    free_counted(k, string.0)
}

/// VOID RtlFreeOemString(POEM_STRING OemString)
pub fn RtlFreeOemString(k: &mut Kx, string: PAnsiString) -> KResult<()> {
    free_counted(k, string.0)
}
