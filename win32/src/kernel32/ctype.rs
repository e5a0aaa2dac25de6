//! Character types and case: GetStringTypeW/A and GetStringTypeExW/A (CT_CTYPE1), and
//! LCMapStringW/A's case mappings — what a C runtime builds its `ctype` and case tables
//! from.
//!
//! Types and cases come from the Unicode character properties (Windows derives its tables
//! from the same database; a character whose properties changed between Unicode versions
//! may differ). CT_CTYPE2 (bidirectional classes) and CT_CTYPE3 (text properties) are not
//! built: ERROR_INVALID_FLAGS. LCMapString maps case (simple, one character to one:
//! `ß` stays), reverses bytes (LCMAP_BYTEREV, wide only); sort keys, kana and width
//! mappings are not built: ERROR_NOT_SUPPORTED.
#![allow(non_snake_case, clippy::too_many_arguments)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::printf::{read_cstr, read_wstr};
use portcullis_hle::types::{Ptr, PCSTR, PCWSTR};

use crate::error::{ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_FLAGS, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED};
use crate::kernel32::locale::resolve;
use crate::kernel32::text::{from_wide, page_of, to_wide, CP_ACP};
use crate::kernel32::thread::set_last_error;
use crate::table::BOOL;

const MAX_STRING: usize = 16 << 20;

const CT_CTYPE1: u32 = 1;
const C1_UPPER: u16 = 0x1;
const C1_LOWER: u16 = 0x2;
const C1_DIGIT: u16 = 0x4;
const C1_SPACE: u16 = 0x8;
const C1_PUNCT: u16 = 0x10;
const C1_CNTRL: u16 = 0x20;
const C1_BLANK: u16 = 0x40;
const C1_XDIGIT: u16 = 0x80;
const C1_ALPHA: u16 = 0x100;
const C1_DEFINED: u16 = 0x200;

const LCMAP_LOWERCASE: u32 = 0x100;
const LCMAP_UPPERCASE: u32 = 0x200;
const LCMAP_SORTKEY: u32 = 0x400;
const LCMAP_BYTEREV: u32 = 0x800;
const LCMAP_LINGUISTIC_CASING: u32 = 0x0100_0000;
/// Kana, width and Chinese mappings.
const LCMAP_OTHER: u32 = 0x0010_0000 | 0x0020_0000 | 0x0040_0000 | 0x0080_0000 | 0x0200_0000 | 0x0400_0000;
/// The NORM_* and SORT_* flags, which only go with LCMAP_SORTKEY.
const SORT_FLAGS: u32 = 0x1 | 0x2 | 0x4 | 0x1000 | 0x1_0000 | 0x2_0000 | 0x0800_0000;

/// A character's CT_CTYPE1 type.
pub(crate) fn ctype1(c: char) -> u16 {
    let mut t = C1_DEFINED;
    if c.is_control() {
        t |= C1_CNTRL;
    }
    if c.is_whitespace() {
        t |= C1_SPACE;
        // Space separators (Zs) and the tab are blanks.
        if c == '\t' || !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}') {
            t |= C1_BLANK;
        }
    }
    if c.is_ascii_digit() {
        t |= C1_DIGIT;
    }
    if c.is_ascii_hexdigit() {
        t |= C1_XDIGIT;
    }
    if c.is_alphabetic() {
        t |= C1_ALPHA;
        if c.is_uppercase() {
            t |= C1_UPPER;
        }
        if c.is_lowercase() {
            t |= C1_LOWER;
        }
    } else if !c.is_control() && !c.is_whitespace() && !c.is_ascii_digit() {
        t |= C1_PUNCT;
    }
    t
}

/// The UTF-16 units' CT_CTYPE1 types (an unpaired surrogate is of no type).
fn types_of(units: &[u16]) -> Vec<u16> {
    let mut out = Vec::with_capacity(units.len());
    for r in char::decode_utf16(units.iter().copied()) {
        match r {
            Ok(c) => out.extend(std::iter::repeat_n(ctype1(c), c.len_utf16())),
            Err(_) => out.push(0),
        }
    }
    out
}

/// A counted or NUL-terminated (-1: the NUL counts) wide string argument.
pub(crate) fn wide_arg(k: &Kx, p: u64, count: i32) -> KResult<Vec<u16>> {
    if count == -1 {
        let mut u = read_wstr(k.mem(), p, MAX_STRING)?;
        u.push(0);
        return Ok(u);
    }
    let raw = k.mem().read_vec(p, count as u64 * 2)?;
    Ok(raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect())
}

/// A counted or NUL-terminated ANSI string argument, in UTF-16.
pub(crate) fn ansi_arg(k: &Kx, p: u64, count: i32) -> KResult<Vec<u16>> {
    let bytes = if count == -1 {
        let mut b = read_cstr(k.mem(), p, MAX_STRING)?;
        b.push(0);
        b
    } else {
        k.mem().read_vec(p, count as u64)?
    };
    let page = page_of(CP_ACP).expect("the ANSI code page converts");
    Ok(to_wide(page, &bytes, false).unwrap_or_default())
}

fn string_type(k: &mut Kx, kind: u32, units: Vec<u16>, out: Ptr) -> KResult<BOOL> {
    if kind != CT_CTYPE1 {
        set_last_error(k, ERROR_INVALID_FLAGS)?;
        return Ok(BOOL(false));
    }
    let bytes: Vec<u8> = types_of(&units).iter().flat_map(|t| t.to_le_bytes()).collect();
    k.mem_mut().write(out.0, &bytes)?;
    Ok(BOOL(true))
}

fn bad_string(k: &mut Kx, p: u64, count: i32, out: Ptr) -> KResult<bool> {
    if p == 0 || out.is_null() || count == 0 || count < -1 {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(true);
    }
    Ok(false)
}

/// BOOL GetStringTypeW(DWORD dwInfoType, LPCWCH lpSrcStr, int cchSrc, LPWORD lpCharType): a
/// type word per UTF-16 unit (cchSrc -1: through the NUL).
pub fn GetStringTypeW(k: &mut Kx, kind: u32, source: PCWSTR, count: i32, out: Ptr) -> KResult<BOOL> {
    if bad_string(k, source.0, count, out)? {
        return Ok(BOOL(false));
    }
    let units = wide_arg(k, source.0, count)?;
    string_type(k, kind, units, out)
}

/// BOOL GetStringTypeExW(LCID Locale, DWORD dwInfoType, LPCWCH lpSrcStr, int cchSrc, LPWORD
/// lpCharType): the locale is not used (as GetStringTypeW).
pub fn GetStringTypeExW(k: &mut Kx, _lcid: u32, kind: u32, source: PCWSTR, count: i32, out: Ptr) -> KResult<BOOL> {
    GetStringTypeW(k, kind, source, count, out)
}

/// BOOL GetStringTypeA(LCID Locale, DWORD dwInfoType, LPCSTR lpSrcStr, int cchSrc, LPWORD
/// lpCharType): the bytes read in the locale's ANSI code page, a type word per byte.
pub fn GetStringTypeA(k: &mut Kx, lcid: u32, kind: u32, source: PCSTR, count: i32, out: Ptr) -> KResult<BOOL> {
    if bad_string(k, source.0, count, out)? {
        return Ok(BOOL(false));
    }
    if resolve(lcid).is_none() {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    // Windows-1252 is single-byte and every byte is one BMP character: a word per byte.
    let units = ansi_arg(k, source.0, count)?;
    string_type(k, kind, units, out)
}

/// BOOL GetStringTypeExA(LCID Locale, DWORD dwInfoType, LPCSTR lpSrcStr, int cchSrc, LPWORD
/// lpCharType)
pub fn GetStringTypeExA(k: &mut Kx, lcid: u32, kind: u32, source: PCSTR, count: i32, out: Ptr) -> KResult<BOOL> {
    GetStringTypeA(k, lcid, kind, source, count, out)
}

/// `c` in lower or upper case, when that is one character.
fn map_case(c: char, upper: bool) -> char {
    let mut m = if upper { c.to_uppercase().collect::<Vec<_>>() } else { c.to_lowercase().collect::<Vec<_>>() };
    if m.len() == 1 && m[0].len_utf16() == c.len_utf16() {
        m.remove(0)
    } else {
        c
    }
}

/// LCMapString's mapping of `units`, or the error it fails with.
fn map_units(lcid: u32, flags: u32, units: &[u16], wide: bool) -> Result<Vec<u16>, u32> {
    if resolve(lcid).is_none() {
        return Err(ERROR_INVALID_PARAMETER);
    }
    if flags & LCMAP_SORTKEY == 0 && flags & SORT_FLAGS != 0 {
        return Err(ERROR_INVALID_FLAGS);
    }
    if flags & (LCMAP_SORTKEY | LCMAP_OTHER) != 0 {
        return Err(ERROR_NOT_SUPPORTED);
    }
    let known = LCMAP_LOWERCASE | LCMAP_UPPERCASE | LCMAP_LINGUISTIC_CASING | if wide { LCMAP_BYTEREV } else { 0 };
    let case = flags & (LCMAP_LOWERCASE | LCMAP_UPPERCASE);
    if flags & !known != 0 || case == LCMAP_LOWERCASE | LCMAP_UPPERCASE || flags & !LCMAP_LINGUISTIC_CASING == 0 {
        return Err(ERROR_INVALID_FLAGS);
    }
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    for r in char::decode_utf16(units.iter().copied()) {
        match r {
            Ok(c) => {
                let m = if case == 0 { c } else { map_case(c, case == LCMAP_UPPERCASE) };
                let mut buf = [0u16; 2];
                out.extend_from_slice(m.encode_utf16(&mut buf));
            }
            Err(e) => out.push(e.unpaired_surrogate()),
        }
    }
    if flags & LCMAP_BYTEREV != 0 {
        out.iter_mut().for_each(|u| *u = u.swap_bytes());
    }
    Ok(out)
}

/// [`map_units`], setting the last error when it fails.
fn mapped(k: &mut Kx, lcid: u32, flags: u32, units: &[u16], wide: bool) -> KResult<Option<Vec<u16>>> {
    match map_units(lcid, flags, units, wide) {
        Ok(m) => Ok(Some(m)),
        Err(e) => {
            set_last_error(k, e)?;
            Ok(None)
        }
    }
}

/// Writes a mapping's result as LCMapString does: cchDest 0 asks for the size; too small a
/// buffer is ERROR_INSUFFICIENT_BUFFER.
fn put(k: &mut Kx, bytes: &[u8], count: usize, out: Ptr, capacity: i32) -> KResult<i32> {
    if capacity == 0 {
        return Ok(count as i32);
    }
    if (capacity as usize) < count {
        set_last_error(k, ERROR_INSUFFICIENT_BUFFER)?;
        return Ok(0);
    }
    k.mem_mut().write(out.0, bytes)?;
    Ok(count as i32)
}

fn bad_map(k: &mut Kx, source: u64, count: i32, out: Ptr, capacity: i32) -> KResult<bool> {
    if source == 0 || count == 0 || count < -1 || capacity < 0 || (capacity > 0 && out.is_null()) {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(true);
    }
    Ok(false)
}

/// int LCMapStringW(LCID Locale, DWORD dwMapFlags, LPCWSTR lpSrcStr, int cchSrc, LPWSTR
/// lpDestStr, int cchDest): LCMAP_LOWERCASE or LCMAP_UPPERCASE (LCMAP_LINGUISTIC_CASING is
/// the same for English), LCMAP_BYTEREV; the length written, in characters (cchSrc -1: the
/// NUL is mapped and counted).
pub fn LCMapStringW(
    k: &mut Kx,
    lcid: u32,
    flags: u32,
    source: PCWSTR,
    count: i32,
    out: Ptr,
    capacity: i32,
) -> KResult<i32> {
    if bad_map(k, source.0, count, out, capacity)? {
        return Ok(0);
    }
    let units = wide_arg(k, source.0, count)?;
    let Some(mapped) = mapped(k, lcid, flags, &units, true)? else { return Ok(0) };
    let bytes: Vec<u8> = mapped.iter().flat_map(|u| u.to_le_bytes()).collect();
    put(k, &bytes, mapped.len(), out, capacity)
}

/// int LCMapStringA(LCID Locale, DWORD dwMapFlags, LPCSTR lpSrcStr, int cchSrc, LPSTR
/// lpDestStr, int cchDest): through the locale's ANSI code page (a character with no byte
/// there, such as the capital of `ÿ`'s partner outside it, stays as it was).
pub fn LCMapStringA(
    k: &mut Kx,
    lcid: u32,
    flags: u32,
    source: PCSTR,
    count: i32,
    out: Ptr,
    capacity: i32,
) -> KResult<i32> {
    if bad_map(k, source.0, count, out, capacity)? {
        return Ok(0);
    }
    let units = ansi_arg(k, source.0, count)?;
    let Some(mapped) = mapped(k, lcid, flags, &units, false)? else { return Ok(0) };
    let page = page_of(CP_ACP).expect("the ANSI code page converts");
    // A mapped character the code page lacks keeps the original byte.
    let original = from_wide(page, &units, b'?', false).map(|r| r.0).unwrap_or_default();
    let bytes: Vec<u8> = mapped
        .iter()
        .zip(&original)
        .map(|(u, o)| from_wide(page, &[*u], 0, true).ok().and_then(|(b, used)| (!used).then(|| b[0])).unwrap_or(*o))
        .collect();
    put(k, &bytes, bytes.len(), out, capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_types_are_windows_ctype1() {
        assert_eq!(ctype1('A'), 0x381);
        assert_eq!(ctype1('a'), 0x382);
        assert_eq!(ctype1('g'), 0x302);
        assert_eq!(ctype1('5'), 0x284);
        assert_eq!(ctype1(' '), 0x248);
        assert_eq!(ctype1('\t'), 0x268);
        assert_eq!(ctype1('\n'), 0x228);
        assert_eq!(ctype1('\0'), 0x220);
        assert_eq!(ctype1('!'), 0x210);
        assert_eq!(ctype1('\u{a0}'), 0x248);
        assert_eq!(ctype1('é'), 0x302);
        assert_eq!(ctype1('×'), 0x210);
    }

    #[test]
    fn case_maps_one_character_to_one() {
        let w = |s: &str| s.encode_utf16().collect::<Vec<_>>();
        assert_eq!(map_units(0x409, LCMAP_UPPERCASE, &w("straße ÿ"), true), Ok(w("STRAßE Ÿ")));
        assert_eq!(map_units(0x409, LCMAP_LOWERCASE, &w("ÀB"), true), Ok(w("àb")));
        assert_eq!(map_units(0x409, LCMAP_LOWERCASE | LCMAP_UPPERCASE, &w("a"), true), Err(ERROR_INVALID_FLAGS));
        assert_eq!(map_units(0x409, LCMAP_SORTKEY, &w("a"), true), Err(ERROR_NOT_SUPPORTED));
        assert_eq!(map_units(0x409, LCMAP_BYTEREV, &w("a"), false), Err(ERROR_INVALID_FLAGS));
        assert_eq!(map_units(0x407, LCMAP_LOWERCASE, &w("a"), true), Err(ERROR_INVALID_PARAMETER));
    }
}
