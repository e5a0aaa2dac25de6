//! Integers and GUIDs to and from text: RtlIntegerToChar, RtlIntegerToUnicode(String),
//! RtlInt64ToUnicodeString, RtlCharToInteger,
//! RtlUnicodeStringToInteger, RtlStringFromGUID, RtlGUIDFromString.
//!
//! Bases are 2, 8, 10 and 16 (0 means 10); digits are uppercase. Parsing skips leading
//! whitespace (every character up to and including the space, and for the ANSI routine the
//! bytes 0x80-0xFF too, which are negative `CHAR`s on Windows), takes a sign, with base 0 a
//! `0b`/`0o`/`0x` prefix, then digits until the first character that is not one, wrapping
//! silently on overflow as Windows does.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, PUnicodeString, Ptr, PCSTR};

use super::string::{read_cstr, read_units, write_units, Counted, SCAN_LIMIT};

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// The base a conversion uses: 0 means 10; anything but 2, 8, 10, 16 is refused.
fn base_of(base: u32) -> Option<u32> {
    match base {
        0 => Some(10),
        2 | 8 | 10 | 16 => Some(base),
        _ => None,
    }
}

/// The digits of `value` in `base`.
pub fn digits(mut value: u64, base: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % u64::from(base)) as usize]);
        value /= u64::from(base);
        if value == 0 {
            break;
        }
    }
    out.reverse();
    out
}

/// RtlIntegerToChar's rules for fitting `digits` into `length` units: a negative length pads
/// with zeros to its magnitude and writes no terminator; digits that do not fit are
/// STATUS_BUFFER_OVERFLOW; a terminator follows when room remains. Returns what to write.
fn fit_digits(mut d: Vec<u8>, length: i32) -> Result<Vec<u8>, NtStatus> {
    let room = length.unsigned_abs() as usize;
    if length < 0 {
        while d.len() < room {
            d.insert(0, b'0');
        }
    }
    if d.len() > room {
        return Err(status::BUFFER_OVERFLOW);
    }
    if d.len() < room {
        d.push(0);
    }
    Ok(d)
}

/// Writes converted text, turning an unwritable destination into STATUS_ACCESS_VIOLATION (the
/// routines catch the exception and return its code).
fn write_guarded(k: &mut Kx, at: u64, bytes: &[u8]) -> NtStatus {
    match k.mem_mut().write(at, bytes) {
        Ok(()) => status::SUCCESS,
        Err(_) => status::ACCESS_VIOLATION,
    }
}

/// NTSTATUS RtlIntegerToChar(ULONG Value, ULONG Base, LONG OutputLength, PSZ String)
pub fn RtlIntegerToChar(k: &mut Kx, value: u32, base: u32, length: i32, string: Ptr) -> KResult<NtStatus> {
    let Some(base) = base_of(base) else { return Ok(status::INVALID_PARAMETER) };
    match fit_digits(digits(value.into(), base), length) {
        Ok(bytes) => Ok(write_guarded(k, string.0, &bytes)),
        Err(st) => Ok(st),
    }
}

/// NTSTATUS RtlIntegerToUnicode(ULONG Value, ULONG Base, LONG OutputLength, PWSTR String): as
/// RtlIntegerToChar, in characters of a wide string.
pub fn RtlIntegerToUnicode(k: &mut Kx, value: u32, base: u32, length: i32, string: Ptr) -> KResult<NtStatus> {
    let Some(base) = base_of(base) else { return Ok(status::INVALID_PARAMETER) };
    match fit_digits(digits(value.into(), base), length) {
        Ok(bytes) => {
            let units: Vec<u16> = bytes.iter().map(|&b| b.into()).collect();
            Ok(match write_units(k.mem_mut(), string.0, &units) {
                Ok(()) => status::SUCCESS,
                Err(_) => status::ACCESS_VIOLATION,
            })
        }
        Err(st) => Ok(st),
    }
}

/// The digits of a number put into a UNICODE_STRING by RtlAnsiStringToUnicodeString's rules,
/// which is how Windows does it: Length is set to the digits' size first, so a buffer too
/// small for them and the NUL is STATUS_BUFFER_OVERFLOW with Length saying what was needed.
fn number_to_unicode_string(k: &mut Kx, value: u64, base: u32, string: PUnicodeString) -> KResult<NtStatus> {
    let Some(base) = base_of(base) else { return Ok(status::INVALID_PARAMETER) };
    let text = digits(value, base);
    let dest = Counted::read(k.mem(), string.0)?;
    let length = text.len() as u64 * 2;
    super::string::set_length(k.mem_mut(), string.0, length)?;
    if length >= u64::from(dest.maximum) {
        return Ok(status::BUFFER_OVERFLOW);
    }
    let units: Vec<u16> = text.iter().map(|&b| b.into()).chain([0]).collect();
    write_units(k.mem_mut(), dest.buffer, &units)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String): the
/// digits, NUL-terminated, into String's buffer; STATUS_BUFFER_OVERFLOW when they and the
/// NUL do not fit MaximumLength; STATUS_INVALID_PARAMETER for a bad base.
pub fn RtlIntegerToUnicodeString(k: &mut Kx, value: u32, base: u32, string: PUnicodeString) -> KResult<NtStatus> {
    number_to_unicode_string(k, value.into(), base, string)
}

/// NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String)
pub fn RtlInt64ToUnicodeString(k: &mut Kx, value: u64, base: u32, string: PUnicodeString) -> KResult<NtStatus> {
    number_to_unicode_string(k, value, base, string)
}

/// The value of a digit character in any base up to 36.
fn digit_value(c: u32) -> Option<u32> {
    char::from_u32(c).and_then(|c| c.to_digit(36))
}

/// Parses as RtlCharToInteger and RtlUnicodeStringToInteger do. `space` says which
/// characters count as leading whitespace.
fn parse(chars: &[u32], base: u32, space: impl Fn(u32) -> bool) -> Result<u32, NtStatus> {
    let mut i = chars.iter().take_while(|&&c| space(c)).count();
    let mut negative = false;
    match chars.get(i) {
        Some(&c) if c == u32::from(b'+') => i += 1,
        Some(&c) if c == u32::from(b'-') => {
            negative = true;
            i += 1;
        }
        _ => {}
    }
    let base = if base == 0 {
        let prefix = match (chars.get(i), chars.get(i + 1)) {
            (Some(&z), Some(&p)) if z == u32::from(b'0') => match char::from_u32(p) {
                Some('b') => Some(2),
                Some('o') => Some(8),
                Some('x') => Some(16),
                _ => None,
            },
            _ => None,
        };
        if prefix.is_some() {
            i += 2;
        }
        prefix.unwrap_or(10)
    } else if matches!(base, 2 | 8 | 10 | 16) {
        base
    } else {
        return Err(status::INVALID_PARAMETER);
    };
    let mut total: u32 = 0;
    for &c in &chars[i..] {
        match digit_value(c).filter(|&d| d < base) {
            Some(d) => total = total.wrapping_mul(base).wrapping_add(d),
            None => break,
        }
    }
    Ok(if negative { total.wrapping_neg() } else { total })
}

/// NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value): STATUS_INVALID_PARAMETER
/// for a bad base, STATUS_ACCESS_VIOLATION for a NULL Value.
pub fn RtlCharToInteger(k: &mut Kx, string: PCSTR, base: u32, value: Ptr) -> KResult<NtStatus> {
    let bytes = read_cstr(k.mem(), string.0, SCAN_LIMIT)?;
    let chars: Vec<u32> = bytes.iter().map(|&b| b.into()).collect();
    // CHAR is signed: bytes 0x80-0xFF are below ' ' and skipped with the whitespace.
    let v = match parse(&chars, base, |c| c <= 0x20 || c >= 0x80) {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    if value.is_null() {
        return Ok(status::ACCESS_VIOLATION);
    }
    k.mem_mut().write_u32(value.0, v)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value):
/// within String's Length.
pub fn RtlUnicodeStringToInteger(k: &mut Kx, string: PUnicodeString, base: u32, value: Ptr) -> KResult<NtStatus> {
    let units = Counted::read(k.mem(), string.0)?.units(k.mem())?;
    let chars: Vec<u32> = units.iter().map(|&u| u.into()).collect();
    let v = match parse(&chars, base, |c| c <= 0x20) {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    if value.is_null() {
        return Ok(status::ACCESS_VIOLATION);
    }
    k.mem_mut().write_u32(value.0, v)?;
    Ok(status::SUCCESS)
}

/// The registry form of a GUID: {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, uppercase.
pub fn guid_text(g: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    let tail: String = g[10..].iter().map(|b| format!("{b:02X}")).collect();
    format!("{{{d1:08X}-{d2:04X}-{d3:04X}-{:02X}{:02X}-{tail}}}", g[8], g[9])
}

/// Parses the registry form of a GUID (hex digits of either case).
pub fn parse_guid(text: &[u16]) -> Option<[u8; 16]> {
    let s = String::from_utf16(text).ok()?;
    let b = s.as_bytes();
    if b.len() != 38 || b[0] != b'{' || b[37] != b'}' || [9, 14, 19, 24].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let hex = |from: usize, len: usize| -> Option<u64> {
        let part = &s[from..from + len];
        part.bytes().all(|c| c.is_ascii_hexdigit()).then(|| u64::from_str_radix(part, 16).ok())?
    };
    let mut g = [0u8; 16];
    g[0..4].copy_from_slice(&(hex(1, 8)? as u32).to_le_bytes());
    g[4..6].copy_from_slice(&(hex(10, 4)? as u16).to_le_bytes());
    g[6..8].copy_from_slice(&(hex(15, 4)? as u16).to_le_bytes());
    g[8] = hex(20, 2)? as u8;
    g[9] = hex(22, 2)? as u8;
    for i in 0..6 {
        g[10 + i] = hex(25 + i * 2, 2)? as u8;
    }
    Some(g)
}

/// NTSTATUS RtlStringFromGUID(REFGUID Guid, PUNICODE_STRING GuidString): allocates the
/// registry form (38 characters and a NUL) for the caller, who frees it with
/// RtlFreeUnicodeString; STATUS_NO_MEMORY when the pool refuses.
pub fn RtlStringFromGUID(k: &mut Kx, guid: Ptr, string: Ptr) -> KResult<NtStatus> {
    let mut g = [0u8; 16];
    k.mem().read(guid.0, &mut g)?;
    let units: Vec<u16> = guid_text(&g).encode_utf16().chain([0]).collect();
    let size = units.len() as u64 * 2;
    let Some(buffer) = super::string::alloc_string_buffer(k, size)? else { return Ok(status::NO_MEMORY) };
    write_units(k.mem_mut(), buffer, &units)?;
    Counted { length: (size - 2) as u16, maximum: size as u16, buffer }.write(k.mem_mut(), string.0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID *Guid): exactly the registry
/// form; anything else is STATUS_INVALID_PARAMETER and leaves Guid alone.
pub fn RtlGUIDFromString(k: &mut Kx, string: PUnicodeString, guid: Ptr) -> KResult<NtStatus> {
    let s = Counted::read(k.mem(), string.0)?;
    let units = read_units(k.mem(), s.buffer, usize::from(s.length / 2).min(39))?;
    if s.length != 76 {
        return Ok(status::INVALID_PARAMETER);
    }
    match parse_guid(&units) {
        Some(g) => {
            k.mem_mut().write(guid.0, &g)?;
            Ok(status::SUCCESS)
        }
        None => Ok(status::INVALID_PARAMETER),
    }
}
