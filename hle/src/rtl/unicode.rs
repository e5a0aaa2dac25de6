//! Counted Unicode strings (UNICODE_STRING): initialise, copy, append, compare, case, hash,
//! duplicate, create and free.
//!
//! The semantics are Windows' as its documentation and the behaviour drivers rely on
//! describe: lengths are bytes, a destination's MaximumLength is never exceeded, appends fail
//! whole with STATUS_BUFFER_TOO_SMALL rather than truncate, a terminating NUL is added only
//! where it fits, and buffers the routines allocate come from paged pool (tag 'Strg') on the
//! caller's behalf.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, UNICODE_STRING};
use crate::types::{status, Boolean, NtStatus, PUnicodeString, Ptr, SizeT, PCWSTR};

use super::nls::upcase;
use super::string::{
    alloc_string_buffer, free_string_buffer, read_units, set_length, write_units, Counted, MAXUSHORT, SCAN_LIMIT,
};

/// The longest UNICODE_STRING RtlInitUnicodeString builds: MaximumLength is an even USHORT
/// (0xFFFE) that still holds the terminator, so Length stops at 0xFFFC.
pub const MAX_USTRING_LENGTH: u64 = (MAXUSHORT & !1) - 2;

/// Counts the units of a NUL-terminated string, stopping once `limit` bytes are exceeded.
pub(crate) fn units(k: &Kx, at: u64, unit: u64, limit: u64) -> KResult<u64> {
    let mut n = 0u64;
    loop {
        let v = if unit == 2 { k.mem().read_u16(at + n * 2)? as u64 } else { k.mem().read_u8(at + n)? as u64 };
        if v == 0 || n * unit > limit {
            return Ok(n);
        }
        n += 1;
    }
}

/// VOID RtlInitUnicodeString(PUNICODE_STRING Dest, PCWSTR Source) (Dest is output only, so it
/// is traced as a pointer): points Dest at Source (no copy). A NULL source gives an empty
/// string with a NULL buffer. Longer sources are cut to Length 0xFFFC, MaximumLength 0xFFFE
/// (ReactOS and Wine cap the same way; Length must stay even and leave room for the NUL).
pub fn RtlInitUnicodeString(k: &mut Kx, dest: Ptr, source: PCWSTR) -> KResult<()> {
    let (len, max) = if source.0 == 0 {
        (0, 0)
    } else {
        let bytes = (units(k, source.0, 2, MAX_USTRING_LENGTH)? * 2).min(MAX_USTRING_LENGTH);
        (bytes, bytes + 2)
    };
    let mem = k.mem_mut();
    mem.set(dest.0, UNICODE_STRING::Length, len)?;
    mem.set(dest.0, UNICODE_STRING::MaximumLength, max)?;
    mem.set(dest.0, UNICODE_STRING::Buffer, source.0)?;
    Ok(())
}

/// NTSTATUS RtlInitUnicodeStringEx(PUNICODE_STRING Dest, PCWSTR Source): as
/// RtlInitUnicodeString, but a source longer than 0xFFFC bytes is STATUS_NAME_TOO_LONG and
/// leaves Dest alone.
pub fn RtlInitUnicodeStringEx(k: &mut Kx, dest: Ptr, source: PCWSTR) -> KResult<NtStatus> {
    if source.0 != 0 && units(k, source.0, 2, MAX_USTRING_LENGTH)? * 2 > MAX_USTRING_LENGTH {
        return Ok(status::NAME_TOO_LONG);
    }
    RtlInitUnicodeString(k, dest, source)?;
    Ok(status::SUCCESS)
}

/// VOID RtlCopyUnicodeString(PUNICODE_STRING Dest, PCUNICODE_STRING Source): copies
/// min(Source->Length, Dest->MaximumLength) bytes (as documented: no rounding), sets
/// Dest->Length to that, and NUL-terminates when Length + 2 still fits in MaximumLength. A NULL
/// Source empties Dest. MaximumLength and Buffer are never changed.
pub fn RtlCopyUnicodeString(k: &mut Kx, dest: Ptr, source: PUnicodeString) -> KResult<()> {
    if source.0 == 0 {
        k.mem_mut().set(dest.0, UNICODE_STRING::Length, 0)?;
        return Ok(());
    }
    let mem = k.mem();
    let src = Counted::read(mem, source.0)?;
    let dst = Counted::read(mem, dest.0)?;
    let n = src.length.min(dst.maximum);
    let bytes = super::string::read_counted(mem, src.buffer, n.into())?;
    let mem = k.mem_mut();
    mem.write(dst.buffer, &bytes)?;
    set_length(mem, dest.0, n.into())?;
    if u32::from(n) + 2 <= u32::from(dst.maximum) {
        // Buffer[Length / sizeof(WCHAR)]: the unit after the last whole character.
        mem.write_u16(dst.buffer.wrapping_add(u64::from(n & !1)), 0)?;
    }
    Ok(())
}

/// Appends `src` units to the counted string at `dest`: all or nothing, NUL-terminated when
/// room remains.
fn append_units(k: &mut Kx, dest: Ptr, src: &[u16]) -> KResult<NtStatus> {
    let n = src.len() as u32 * 2;
    if n == 0 {
        return Ok(status::SUCCESS);
    }
    let d = Counted::read(k.mem(), dest.0)?;
    if n + u32::from(d.length) > u32::from(d.maximum) {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let at = d.buffer.wrapping_add(u64::from(d.length & !1));
    let mem = k.mem_mut();
    write_units(mem, at, src)?;
    let length = u32::from(d.length) + n;
    set_length(mem, dest.0, length.into())?;
    if length < u32::from(d.maximum) {
        mem.write_u16(at.wrapping_add(n.into()), 0)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING
/// Source): STATUS_BUFFER_TOO_SMALL (Destination unchanged) when the result would exceed
/// MaximumLength.
pub fn RtlAppendUnicodeStringToString(k: &mut Kx, dest: PUnicodeString, source: PUnicodeString) -> KResult<NtStatus> {
    let src = Counted::read(k.mem(), source.0)?;
    let units = src.units(k.mem())?;
    append_units(k, Ptr(dest.0), &units)
}

/// NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source): a NULL
/// Source appends nothing.
pub fn RtlAppendUnicodeToString(k: &mut Kx, dest: PUnicodeString, source: PCWSTR) -> KResult<NtStatus> {
    if source.0 == 0 {
        return Ok(status::SUCCESS);
    }
    let n = (units(k, source.0, 2, MAX_USTRING_LENGTH)? * 2).min(MAX_USTRING_LENGTH);
    let units = read_units(k.mem(), source.0, (n / 2) as usize)?;
    append_units(k, Ptr(dest.0), &units)
}

/// Compares two unit sequences as RtlCompareUnicodeString does: the first differing
/// character (upcased when case-insensitive) decides, else the shorter string is less.
pub fn compare_units(a: &[u16], b: &[u16], insensitive: bool) -> i32 {
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = if insensitive && x != y { (upcase(x), upcase(y)) } else { (x, y) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    a.len() as i32 - b.len() as i32
}

/// LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN
/// CaseInSensitive): < 0, 0 or > 0.
pub fn RtlCompareUnicodeString(k: &mut Kx, a: PUnicodeString, b: PUnicodeString, ci: Boolean) -> KResult<i32> {
    let mem = k.mem();
    let x = Counted::read(mem, a.0)?.units(mem)?;
    let y = Counted::read(mem, b.0)?.units(mem)?;
    Ok(compare_units(&x, &y, ci.0))
}

/// LONG RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length, PCWCH String2, SIZE_T
/// String2Length, BOOLEAN CaseInSensitive): lengths in characters.
pub fn RtlCompareUnicodeStrings(
    k: &mut Kx,
    a: PCWSTR,
    a_len: SizeT,
    b: PCWSTR,
    b_len: SizeT,
    ci: Boolean,
) -> KResult<i32> {
    let mem = k.mem();
    // Compare in bounded chunks: a length can be anything the guest passes.
    let (mut i, n) = (0u64, a_len.0.min(b_len.0));
    while i < n {
        let len = (n - i).min(0x800) as usize;
        let x = read_units(mem, a.0.wrapping_add(i * 2), len)?;
        let y = read_units(mem, b.0.wrapping_add(i * 2), len)?;
        let r = compare_units(&x, &y, ci.0);
        if r != 0 {
            return Ok(r);
        }
        i += len as u64;
    }
    Ok(a_len.0.wrapping_sub(b_len.0) as i32)
}

/// BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN
/// CaseInSensitive): equal lengths and characters.
pub fn RtlEqualUnicodeString(k: &mut Kx, a: PUnicodeString, b: PUnicodeString, ci: Boolean) -> KResult<Boolean> {
    let mem = k.mem();
    let (x, y) = (Counted::read(mem, a.0)?, Counted::read(mem, b.0)?);
    if x.length != y.length {
        return Ok(Boolean(false));
    }
    Ok(Boolean(compare_units(&x.units(mem)?, &y.units(mem)?, ci.0) == 0))
}

/// BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN
/// CaseInSensitive): whether String1 is a prefix of String2.
pub fn RtlPrefixUnicodeString(k: &mut Kx, a: PUnicodeString, b: PUnicodeString, ci: Boolean) -> KResult<Boolean> {
    let mem = k.mem();
    let (x, y) = (Counted::read(mem, a.0)?, Counted::read(mem, b.0)?);
    if x.length > y.length {
        return Ok(Boolean(false));
    }
    let prefix = x.units(mem)?;
    let head = read_units(mem, y.buffer, prefix.len())?;
    Ok(Boolean(compare_units(&prefix, &head, ci.0) == 0))
}

/// Writes `units` as the new content of `dest` (Length = Source->Length, no terminator) for
/// the upcase/downcase routines, allocating when asked.
fn case_copy(k: &mut Kx, dest: Ptr, source: PUnicodeString, alloc: Boolean, f: fn(u16) -> u16) -> KResult<NtStatus> {
    let src = Counted::read(k.mem(), source.0)?;
    let units: Vec<u16> = src.units(k.mem())?.into_iter().map(f).collect();
    let buffer = if alloc.0 {
        let Some(b) = alloc_string_buffer(k, src.length.into())? else { return Ok(status::NO_MEMORY) };
        Counted { length: 0, maximum: src.length, buffer: b }.write(k.mem_mut(), dest.0)?;
        b
    } else {
        let d = Counted::read(k.mem(), dest.0)?;
        if src.length > d.maximum {
            return Ok(status::BUFFER_OVERFLOW);
        }
        d.buffer
    };
    write_units(k.mem_mut(), buffer, &units)?;
    set_length(k.mem_mut(), dest.0, src.length.into())?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING
/// SourceString, BOOLEAN AllocateDestinationString): STATUS_BUFFER_OVERFLOW when the
/// destination is too small, STATUS_NO_MEMORY when allocation fails.
pub fn RtlUpcaseUnicodeString(
    k: &mut Kx,
    dest: PUnicodeString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    case_copy(k, Ptr(dest.0), source, alloc, upcase)
}

/// NTSTATUS RtlDowncaseUnicodeString(...): as RtlUpcaseUnicodeString, to lower case.
pub fn RtlDowncaseUnicodeString(
    k: &mut Kx,
    dest: PUnicodeString,
    source: PUnicodeString,
    alloc: Boolean,
) -> KResult<NtStatus> {
    case_copy(k, Ptr(dest.0), source, alloc, super::nls::downcase)
}

/// HASH_STRING_ALGORITHM_DEFAULT and HASH_STRING_ALGORITHM_X65599.
const HASH_DEFAULT: u32 = 0;
const HASH_X65599: u32 = 1;

/// The x65599 hash of a string: h = h * 65599 + c over its characters.
pub fn hash_x65599(units: &[u16], insensitive: bool) -> u32 {
    units.iter().fold(0u32, |h, &c| {
        let c = if insensitive { upcase(c) } else { c };
        h.wrapping_mul(65599).wrapping_add(c.into())
    })
}

/// NTSTATUS RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive, ULONG
/// HashAlgorithm, PULONG HashValue): the x65599 hash (the default algorithm);
/// STATUS_INVALID_PARAMETER for another algorithm or a NULL String or HashValue.
pub fn RtlHashUnicodeString(
    k: &mut Kx,
    string: PUnicodeString,
    ci: Boolean,
    algorithm: u32,
    out: Ptr,
) -> KResult<NtStatus> {
    if string.0 == 0 || out.is_null() || !matches!(algorithm, HASH_DEFAULT | HASH_X65599) {
        return Ok(status::INVALID_PARAMETER);
    }
    let units = Counted::read(k.mem(), string.0)?.units(k.mem())?;
    k.mem_mut().write_u32(out.0, hash_x65599(&units, ci.0))?;
    Ok(status::SUCCESS)
}

/// RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE and _ALLOCATE_NULL_STRING.
const DUPLICATE_NULL_TERMINATE: u32 = 1;
const DUPLICATE_ALLOCATE_NULL_STRING: u32 = 2;

/// NTSTATUS RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING
/// StringOut): a pool copy of StringIn, NUL-terminated with flag 1. An empty source gives an
/// empty NULL-buffer string unless flags 3 ask for an allocated empty one. Invalid: unknown
/// flags, flag 2 without 1, a NULL string, Length > MaximumLength.
pub fn RtlDuplicateUnicodeString(k: &mut Kx, flags: u32, source: PUnicodeString, dest: Ptr) -> KResult<NtStatus> {
    let both = DUPLICATE_NULL_TERMINATE | DUPLICATE_ALLOCATE_NULL_STRING;
    if source.0 == 0 || dest.is_null() || flags & !both != 0 || flags == DUPLICATE_ALLOCATE_NULL_STRING {
        return Ok(status::INVALID_PARAMETER);
    }
    let src = Counted::read(k.mem(), source.0)?;
    if src.length > src.maximum || (src.length == 0 && src.maximum > 0 && src.buffer == 0) {
        return Ok(status::INVALID_PARAMETER);
    }
    if src.length == 0 && flags != both {
        Counted { length: 0, maximum: 0, buffer: 0 }.write(k.mem_mut(), dest.0)?;
        return Ok(status::SUCCESS);
    }
    let terminate = flags & DUPLICATE_NULL_TERMINATE != 0;
    let max = u64::from(src.length) + if terminate { 2 } else { 0 };
    if max > MAXUSHORT {
        return Ok(status::NAME_TOO_LONG);
    }
    let bytes = src.bytes(k.mem())?;
    let Some(buffer) = alloc_string_buffer(k, max)? else { return Ok(status::NO_MEMORY) };
    let mem = k.mem_mut();
    mem.write(buffer, &bytes)?;
    if terminate {
        mem.write_u16(buffer + u64::from(src.length), 0)?;
    }
    Counted { length: src.length, maximum: max as u16, buffer }.write(mem, dest.0)?;
    Ok(status::SUCCESS)
}

/// Frees the pool buffer of a counted string the run-time library allocated and zeroes the
/// header; a NULL buffer is left alone.
pub(crate) fn free_counted(k: &mut Kx, at: u64) -> KResult<()> {
    let s = Counted::read(k.mem(), at)?;
    if s.buffer != 0 {
        free_string_buffer(k, s.buffer)?;
        Counted { length: 0, maximum: 0, buffer: 0 }.write(k.mem_mut(), at)?;
    }
    Ok(())
}

/// VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString): frees a buffer an Rtl routine
/// allocated (RtlAnsiStringToUnicodeString, RtlDuplicateUnicodeString, ...).
pub fn RtlFreeUnicodeString(k: &mut Kx, string: PUnicodeString) -> KResult<()> {
    free_counted(k, string.0)
}

/// BOOLEAN RtlCreateUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString): a
/// NUL-terminated pool copy; FALSE when it would not fit a UNICODE_STRING or allocation fails.
pub fn RtlCreateUnicodeString(k: &mut Kx, dest: Ptr, source: PCWSTR) -> KResult<Boolean> {
    let n = units(k, source.0, 2, SCAN_LIMIT as u64 * 2)?;
    let size = (n + 1) * 2;
    if size > MAXUSHORT {
        return Ok(Boolean(false));
    }
    let text = read_units(k.mem(), source.0, n as usize)?;
    let Some(buffer) = alloc_string_buffer(k, size)? else { return Ok(Boolean(false)) };
    let mem = k.mem_mut();
    write_units(mem, buffer, &text)?;
    mem.write_u16(buffer + n * 2, 0)?;
    Counted { length: (n * 2) as u16, maximum: size as u16, buffer }.write(mem, dest.0)?;
    Ok(Boolean(true))
}

/// NTSTATUS RtlValidateUnicodeString(ULONG Flags, PCUNICODE_STRING String): flags must be 0;
/// a NULL string is valid; otherwise both lengths even, Length <= MaximumLength, and a
/// buffer unless both lengths are 0.
pub fn RtlValidateUnicodeString(k: &mut Kx, flags: u32, string: PUnicodeString) -> KResult<NtStatus> {
    if flags != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if string.0 == 0 {
        return Ok(status::SUCCESS);
    }
    let s = Counted::read(k.mem(), string.0)?;
    let bad = s.length % 2 != 0
        || s.maximum % 2 != 0
        || s.length > s.maximum
        || ((s.length != 0 || s.maximum != 0) && s.buffer == 0);
    Ok(if bad { status::INVALID_PARAMETER } else { status::SUCCESS })
}

/// The text of a UNICODE_STRING in guest memory (for the kernel's own use: object names).
pub fn read_unicode_string(k: &Kx, at: u64) -> KResult<String> {
    let s = Counted::read(k.mem(), at)?;
    if s.buffer == 0 {
        return Ok(String::new());
    }
    Ok(String::from_utf16_lossy(&s.units(k.mem())?))
}
