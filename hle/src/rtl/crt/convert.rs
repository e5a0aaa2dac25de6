//! Numbers to and from text (`atoi`, `wcstoul`, `_strtoui64`, `_itoa` and the secure
//! `_*toa_s` family) and multibyte conversions (`mbstowcs`, `wcstombs`, `mbtowc`, `wctomb`,
//! through the ANSI code page).
//!
//! `atoi`/`atol` skip whitespace, take a sign and decimal digits, and wrap on overflow as the
//! kernel's runtime does; `wcstoul`/`_strtoui64` follow C: base 0 reads a `0x` or `0` prefix,
//! base 16 accepts `0x`, overflow gives the maximum, no digits leaves `*endptr` at the start,
//! and an unusable base returns 0. Digits produced are lowercase; only base 10 gets a minus
//! sign.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::rtl::nls::CodePage;
use crate::types::{Ptr, SizeT, PCSTR, PCWSTR};

use super::ctype::is_space;
use super::string::Unit;
use super::{invalid_parameter, MAX_SCAN};

/// `atoi`: whitespace, a sign, decimal digits; wraps.
fn parse_decimal(chars: &[u16]) -> i64 {
    let mut i = chars.iter().take_while(|&&c| is_space(c.into())).count();
    let negative = chars.get(i) == Some(&u16::from(b'-'));
    if matches!(chars.get(i).map(|&c| c as u8), Some(b'-' | b'+')) {
        i += 1;
    }
    let total = chars[i..]
        .iter()
        .take_while(|&&c| (u16::from(b'0')..=u16::from(b'9')).contains(&c))
        .fold(0i64, |t, &c| t.wrapping_mul(10).wrapping_add(i64::from(c - u16::from(b'0'))));
    if negative {
        total.wrapping_neg()
    } else {
        total
    }
}

/// What `strtoul`-style parsing found: the value (already negated), where it stopped, and
/// whether it overflowed `max`.
struct Parsed {
    value: u64,
    end: usize,
}

fn parse_unsigned(chars: &[u16], base: i32, max: u64) -> Parsed {
    let nothing = Parsed { value: 0, end: 0 };
    if !(base == 0 || (2..=36).contains(&base)) {
        return nothing;
    }
    let mut i = chars.iter().take_while(|&&c| is_space(c.into())).count();
    let negative = chars.get(i) == Some(&u16::from(b'-'));
    if matches!(chars.get(i).map(|&c| c as u8), Some(b'-' | b'+')) {
        i += 1;
    }
    let hex_prefix = chars.get(i) == Some(&u16::from(b'0'))
        && matches!(chars.get(i + 1).map(|&c| c as u8), Some(b'x' | b'X'))
        && chars.get(i + 2).and_then(|&c| char::from_u32(c.into())).is_some_and(|c| c.is_ascii_hexdigit());
    let mut base = base as u32;
    if (base == 0 || base == 16) && hex_prefix {
        base = 16;
        i += 2;
    } else if base == 0 {
        base = if chars.get(i) == Some(&u16::from(b'0')) { 8 } else { 10 };
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(d) = chars.get(i).and_then(|&c| char::from_u32(c.into())).and_then(|c| c.to_digit(base)) {
        match value.checked_mul(base.into()).and_then(|v| v.checked_add(d.into())).filter(|&v| v <= max) {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return nothing;
    }
    let value = if overflow {
        max
    } else if negative {
        value.wrapping_neg() & max
    } else {
        value
    };
    Parsed { value, end: i }
}

fn store_end(k: &mut Kx, endptr: Ptr, unit: Unit, s: u64, end: usize) -> KResult<()> {
    if !endptr.is_null() {
        k.mem_mut().write_ptr(endptr.0, unit.at(s, end))?;
    }
    Ok(())
}

/// int atoi(const char *str)
pub fn atoi(k: &mut Kx, s: PCSTR) -> KResult<i32> {
    Ok(parse_decimal(&Unit::Byte.string(k, s.0)?) as i32)
}

/// long atol(const char *str)
pub fn atol(k: &mut Kx, s: PCSTR) -> KResult<i32> {
    atoi(k, s)
}

/// int _wtoi(const wchar_t *str)
pub fn _wtoi(k: &mut Kx, s: PCWSTR) -> KResult<i32> {
    Ok(parse_decimal(&Unit::Word.string(k, s.0)?) as i32)
}

/// long _wtol(const wchar_t *str)
pub fn _wtol(k: &mut Kx, s: PCWSTR) -> KResult<i32> {
    _wtoi(k, s)
}

/// unsigned long wcstoul(const wchar_t *strSource, wchar_t **endptr, int base)
pub fn wcstoul(k: &mut Kx, s: PCWSTR, endptr: Ptr, base: i32) -> KResult<u32> {
    let p = parse_unsigned(&Unit::Word.string(k, s.0)?, base, u32::MAX.into());
    store_end(k, endptr, Unit::Word, s.0, p.end)?;
    Ok(p.value as u32)
}

/// unsigned __int64 _strtoui64(const char *strSource, char **endptr, int base)
pub fn _strtoui64(k: &mut Kx, s: PCSTR, endptr: Ptr, base: i32) -> KResult<u64> {
    let p = parse_unsigned(&Unit::Byte.string(k, s.0)?, base, u64::MAX);
    store_end(k, endptr, Unit::Byte, s.0, p.end)?;
    Ok(p.value)
}

/// The text `_itoa` & co. write: lowercase digits, a minus sign only for a negative value in
/// base 10. `None` for a base outside 2..36.
pub fn to_text(value: u64, negative: bool, radix: i32) -> Option<Vec<u16>> {
    let radix = u32::try_from(radix).ok().filter(|r| (2..=36).contains(r))?;
    let mut v = value;
    let mut digits = Vec::new();
    loop {
        let d = (v % u64::from(radix)) as u32;
        digits.push(char::from_digit(d, radix).map_or(u16::from(b'?'), |c| c as u16));
        v /= u64::from(radix);
        if v == 0 {
            break;
        }
    }
    if negative {
        digits.push(u16::from(b'-'));
    }
    digits.reverse();
    Some(digits)
}

/// A signed value's magnitude and sign as `_itoa` treats them (signed in base 10 only).
fn signed(value: i64, radix: i32, bits: u32) -> (u64, bool) {
    if radix == 10 && value < 0 {
        (value.unsigned_abs(), true)
    } else {
        (value as u64 & (u64::MAX >> (64 - bits)), false)
    }
}

/// `_itoa`/`_itow`: writes the text and its terminator; a base outside 2..36 gives an empty
/// string (the old runtime divided by it).
fn to_string(k: &mut Kx, unit: Unit, value: i64, bits: u32, dest: Ptr, radix: i32) -> KResult<Ptr> {
    let (magnitude, negative) = signed(value, radix, bits);
    let text = to_text(magnitude, negative, radix).unwrap_or_default();
    unit.write_terminated(k, dest.0, &text)?;
    Ok(dest)
}

/// char *_itoa(int value, char *buffer, int radix)
pub fn _itoa(k: &mut Kx, value: i32, dest: Ptr, radix: i32) -> KResult<Ptr> {
    to_string(k, Unit::Byte, value.into(), 32, dest, radix)
}

/// wchar_t *_itow(int value, wchar_t *buffer, int radix)
pub fn _itow(k: &mut Kx, value: i32, dest: Ptr, radix: i32) -> KResult<Ptr> {
    to_string(k, Unit::Word, value.into(), 32, dest, radix)
}

/// The secure conversions: a buffer, a size that holds the text and its terminator, and a
/// base in 2..36, or the invalid-parameter handler.
fn to_string_s(
    k: &mut Kx,
    unit: Unit,
    magnitude: u64,
    negative: bool,
    dest: Ptr,
    size: SizeT,
    radix: i32,
) -> KResult<i32> {
    if dest.is_null() || size.0 == 0 {
        return Err(invalid_parameter(k, "_itoa_s: no buffer"));
    }
    let Some(text) = to_text(magnitude, negative, radix) else {
        return Err(invalid_parameter(k, "_itoa_s: the radix is not 2..36"));
    };
    if text.len() as u64 >= size.0 {
        return Err(invalid_parameter(k, "_itoa_s: the buffer is too small"));
    }
    unit.write_terminated(k, dest.0, &text)?;
    Ok(0)
}

/// errno_t _itoa_s(int value, char *buffer, size_t size, int radix)
pub fn _itoa_s(k: &mut Kx, value: i32, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    let (m, n) = signed(value.into(), radix, 32);
    to_string_s(k, Unit::Byte, m, n, dest, size, radix)
}

/// errno_t _itow_s(int value, wchar_t *buffer, size_t size, int radix)
pub fn _itow_s(k: &mut Kx, value: i32, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    let (m, n) = signed(value.into(), radix, 32);
    to_string_s(k, Unit::Word, m, n, dest, size, radix)
}

/// errno_t _ltoa_s(long value, char *buffer, size_t size, int radix)
pub fn _ltoa_s(k: &mut Kx, value: i32, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    _itoa_s(k, value, dest, size, radix)
}

/// errno_t _ltow_s(long value, wchar_t *buffer, size_t size, int radix)
pub fn _ltow_s(k: &mut Kx, value: i32, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    _itow_s(k, value, dest, size, radix)
}

/// errno_t _ultoa_s(unsigned long value, char *buffer, size_t size, int radix)
pub fn _ultoa_s(k: &mut Kx, value: u32, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    to_string_s(k, Unit::Byte, value.into(), false, dest, size, radix)
}

/// errno_t _ultow_s(unsigned long value, wchar_t *buffer, size_t size, int radix)
pub fn _ultow_s(k: &mut Kx, value: u32, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    to_string_s(k, Unit::Word, value.into(), false, dest, size, radix)
}

/// errno_t _i64toa_s(__int64 value, char *buffer, size_t size, int radix)
pub fn _i64toa_s(k: &mut Kx, value: i64, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    let (m, n) = signed(value, radix, 64);
    to_string_s(k, Unit::Byte, m, n, dest, size, radix)
}

/// errno_t _i64tow_s(__int64 value, wchar_t *buffer, size_t size, int radix)
pub fn _i64tow_s(k: &mut Kx, value: i64, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    let (m, n) = signed(value, radix, 64);
    to_string_s(k, Unit::Word, m, n, dest, size, radix)
}

/// errno_t _ui64toa_s(unsigned __int64 value, char *buffer, size_t size, int radix)
pub fn _ui64toa_s(k: &mut Kx, value: u64, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    to_string_s(k, Unit::Byte, value, false, dest, size, radix)
}

/// errno_t _ui64tow_s(unsigned __int64 value, wchar_t *buffer, size_t size, int radix)
pub fn _ui64tow_s(k: &mut Kx, value: u64, dest: Ptr, size: SizeT, radix: i32) -> KResult<i32> {
    to_string_s(k, Unit::Word, value, false, dest, size, radix)
}

/// size_t mbstowcs(wchar_t *wcstr, const char *mbstr, size_t count): without a destination,
/// the characters needed; else at most `count` characters, terminated when room remains.
pub fn mbstowcs(k: &mut Kx, dest: Ptr, src: PCSTR, n: SizeT) -> KResult<SizeT> {
    let bytes = Unit::Byte.string(k, src.0)?;
    if dest.is_null() {
        return Ok(SizeT(bytes.len() as u64));
    }
    let count = bytes.len().min(usize::try_from(n.0).unwrap_or(usize::MAX).min(MAX_SCAN));
    let units: Vec<u16> = bytes[..count].iter().map(|&b| CodePage::Ansi.to_unicode(b as u8)).collect();
    if (count as u64) < n.0 {
        Unit::Word.write_terminated(k, dest.0, &units)?;
    } else {
        Unit::Word.write(k, dest.0, &units)?;
    }
    Ok(SizeT(count as u64))
}

/// size_t wcstombs(char *mbstr, const wchar_t *wcstr, size_t count): as mbstowcs the other
/// way; characters the ANSI code page lacks become `?`.
pub fn wcstombs(k: &mut Kx, dest: Ptr, src: PCWSTR, n: SizeT) -> KResult<SizeT> {
    let units = Unit::Word.string(k, src.0)?;
    if dest.is_null() {
        return Ok(SizeT(units.len() as u64));
    }
    let count = units.len().min(usize::try_from(n.0).unwrap_or(usize::MAX).min(MAX_SCAN));
    let bytes: Vec<u16> = units[..count].iter().map(|&u| CodePage::Ansi.encode(u).into()).collect();
    if (count as u64) < n.0 {
        Unit::Byte.write_terminated(k, dest.0, &bytes)?;
    } else {
        Unit::Byte.write(k, dest.0, &bytes)?;
    }
    Ok(SizeT(count as u64))
}

/// int mbtowc(wchar_t *wchar, const char *mbchar, size_t count): one character of the
/// single-byte ANSI page: 1, or 0 for the terminator (or no input).
pub fn mbtowc(k: &mut Kx, dest: Ptr, src: PCSTR, n: SizeT) -> KResult<i32> {
    if src.0 == 0 || n.0 == 0 {
        return Ok(0);
    }
    let b = k.mem().read_u8(src.0)?;
    if !dest.is_null() {
        k.mem_mut().write_u16(dest.0, CodePage::Ansi.to_unicode(b))?;
    }
    Ok(i32::from(b != 0))
}

/// int wctomb(char *mbchar, wchar_t wchar): 1 byte written (`?` for a character the page
/// lacks); 0 without a buffer.
pub fn wctomb(k: &mut Kx, dest: Ptr, c: u16) -> KResult<i32> {
    if dest.is_null() {
        return Ok(0);
    }
    k.mem_mut().write_u8(dest.0, CodePage::Ansi.encode(c))?;
    Ok(1)
}
