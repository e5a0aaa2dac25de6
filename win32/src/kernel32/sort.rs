//! The locale's linguistic comparison: CompareStringW/A and lstrcmp(i)A/W.
//!
//! Strings compare as Windows' sort does, level by level: first the characters' alphabetic
//! weights (symbols before digits before letters; a letter's accents and case do not count
//! here, `æ`, `œ`, `ß` and `þ` weigh as `ae`, `oe`, `ss` and `th`), then their accents (no
//! accent first), then case (lower case first), and last — in the default "word sort" —
//! the hyphens and apostrophes, which the first three levels skip ("coop" < "co-op" <
//! "cop"). Control characters weigh nothing. SORT_STRINGSORT makes hyphens and apostrophes
//! symbols; NORM_IGNORECASE, NORM_IGNORENONSPACE and NORM_IGNORESYMBOLS drop a level or the
//! symbols; SORT_DIGITSASNUMBERS compares runs of digits by value.
//!
//! Where this departs from Windows' table: symbols among themselves and letters outside
//! Windows-1252 compare by code point (after the Latin letters); the order of accents is
//! this module's (acute, grave, circumflex, diaeresis, tilde, ring, cedilla, stroke, caron,
//! hook). Strings that differ only there may order differently than on Windows.
#![allow(non_snake_case)]

use std::cmp::Ordering;

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{PCSTR, PCWSTR};

use crate::error::{ERROR_INVALID_FLAGS, ERROR_INVALID_PARAMETER};
use crate::kernel32::ctype::{ansi_arg, wide_arg};
use crate::kernel32::locale::resolve;
use crate::kernel32::thread::set_last_error;

const NORM_IGNORECASE: u32 = 0x1;
const NORM_IGNORENONSPACE: u32 = 0x2;
const NORM_IGNORESYMBOLS: u32 = 0x4;
const SORT_DIGITSASNUMBERS: u32 = 0x8;
const LINGUISTIC_IGNORECASE: u32 = 0x10;
const LINGUISTIC_IGNOREDIACRITIC: u32 = 0x20;
const SORT_STRINGSORT: u32 = 0x1000;
const NORM_IGNOREKANATYPE: u32 = 0x1_0000;
const NORM_IGNOREWIDTH: u32 = 0x2_0000;
const NORM_LINGUISTIC_CASING: u32 = 0x0800_0000;
const KNOWN: u32 = NORM_IGNORECASE
    | NORM_IGNORENONSPACE
    | NORM_IGNORESYMBOLS
    | SORT_DIGITSASNUMBERS
    | LINGUISTIC_IGNORECASE
    | LINGUISTIC_IGNOREDIACRITIC
    | SORT_STRINGSORT
    | NORM_IGNOREKANATYPE
    | NORM_IGNOREWIDTH
    | NORM_LINGUISTIC_CASING;

/// CompareString's answers.
pub const CSTR_LESS_THAN: i32 = 1;
pub const CSTR_EQUAL: i32 = 2;
pub const CSTR_GREATER_THAN: i32 = 3;

/// Weight classes of the first level, in sort order.
const SYMBOL: u64 = 1 << 40;
const DIGIT: u64 = 2 << 40;
const LATIN: u64 = 3 << 40;
const LETTER: u64 = 4 << 40;

/// Accents (the second level), 0 for none.
const ACUTE: u8 = 1;
const GRAVE: u8 = 2;
const CIRCUMFLEX: u8 = 3;
const DIAERESIS: u8 = 4;
const TILDE: u8 = 5;
const RING: u8 = 6;
const CEDILLA: u8 = 7;
const STROKE: u8 = 8;
const CARON: u8 = 9;
const HOOK: u8 = 10;

/// A Latin letter of Windows-1252 as base letters (lower case) and its accent.
fn latin(c: char) -> Option<(&'static str, u8)> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    Some(match lower {
        'a'..='z' => return None,
        'à' => ("a", GRAVE),
        'á' => ("a", ACUTE),
        'â' => ("a", CIRCUMFLEX),
        'ã' => ("a", TILDE),
        'ä' => ("a", DIAERESIS),
        'å' => ("a", RING),
        'æ' => ("ae", 0),
        'ç' => ("c", CEDILLA),
        'è' => ("e", GRAVE),
        'é' => ("e", ACUTE),
        'ê' => ("e", CIRCUMFLEX),
        'ë' => ("e", DIAERESIS),
        'ì' => ("i", GRAVE),
        'í' => ("i", ACUTE),
        'î' => ("i", CIRCUMFLEX),
        'ï' => ("i", DIAERESIS),
        'ð' => ("d", STROKE),
        'ñ' => ("n", TILDE),
        'ò' => ("o", GRAVE),
        'ó' => ("o", ACUTE),
        'ô' => ("o", CIRCUMFLEX),
        'õ' => ("o", TILDE),
        'ö' => ("o", DIAERESIS),
        'ø' => ("o", STROKE),
        'ù' => ("u", GRAVE),
        'ú' => ("u", ACUTE),
        'û' => ("u", CIRCUMFLEX),
        'ü' => ("u", DIAERESIS),
        'ý' => ("y", ACUTE),
        'ÿ' => ("y", DIAERESIS),
        'þ' => ("th", 0),
        'ß' => ("ss", 0),
        'œ' => ("oe", 0),
        'š' => ("s", CARON),
        'ž' => ("z", CARON),
        'ƒ' => ("f", HOOK),
        _ => return None,
    })
}

/// One weighted element: (alphabetic weight, accent, case).
type Element = (u64, u8, u8);

/// A string's sort key: its weighted elements and, in word sort, the hyphens and
/// apostrophes with their positions.
#[derive(Debug, Default)]
struct Key {
    elements: Vec<Element>,
    special: Vec<(usize, u16)>,
}

fn key(units: &[u16], flags: u32) -> Key {
    let mut k = Key::default();
    let chars: Vec<char> = char::decode_utf16(units.iter().copied()).map(|r| r.unwrap_or('\u{FFFD}')).collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c.is_control() && !c.is_whitespace() {
            continue;
        }
        if flags & SORT_STRINGSORT == 0 && matches!(c, '-' | '\'' | '\u{AD}') {
            k.special.push((k.elements.len(), c as u16));
            continue;
        }
        let case = u8::from(c.is_uppercase());
        if c.is_ascii_digit() {
            if flags & SORT_DIGITSASNUMBERS != 0 {
                // The run of digits, by value (beyond 2^40 the values saturate).
                let mut value: u64 = c as u64 - '0' as u64;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    value = (value * 10 + (chars[i] as u64 - '0' as u64)).min((1 << 40) - 1);
                    i += 1;
                }
                k.elements.push((DIGIT | value, 0, 0));
            } else {
                k.elements.push((DIGIT | (c as u64 - '0' as u64), 0, 0));
            }
        } else if c.is_ascii_alphabetic() {
            k.elements.push((LATIN | (c.to_ascii_lowercase() as u64), 0, case));
        } else if let Some((bases, accent)) = latin(c) {
            for b in bases.chars() {
                k.elements.push((LATIN | b as u64, accent, case));
            }
        } else if c.is_alphabetic() {
            let lower = c.to_lowercase().next().unwrap_or(c);
            k.elements.push((LETTER | lower as u64, 0, case));
        } else if flags & NORM_IGNORESYMBOLS == 0 {
            k.elements.push((SYMBOL | c as u64, 0, 0));
        }
    }
    if flags & NORM_IGNORESYMBOLS != 0 {
        k.special.clear();
    }
    k
}

/// Compares two UTF-16 strings as CompareString does with `flags`.
pub(crate) fn compare(a: &[u16], b: &[u16], flags: u32) -> Ordering {
    let (ka, kb) = (key(a, flags), key(b, flags));
    let level = |f: fn(&Element) -> u64| ka.elements.iter().map(f).cmp(kb.elements.iter().map(f));
    let mut order = level(|e| e.0);
    if flags & (NORM_IGNORENONSPACE | LINGUISTIC_IGNOREDIACRITIC) == 0 {
        order = order.then_with(|| level(|e| e.1 as u64));
    }
    if flags & (NORM_IGNORECASE | LINGUISTIC_IGNORECASE) == 0 {
        order = order.then_with(|| level(|e| e.2 as u64));
    }
    // A string with a hyphen or apostrophe sorts after the same string without one.
    order.then_with(|| ka.special.len().cmp(&kb.special.len())).then_with(|| ka.special.cmp(&kb.special))
}

fn answer(o: Ordering) -> i32 {
    match o {
        Ordering::Less => CSTR_LESS_THAN,
        Ordering::Equal => CSTR_EQUAL,
        Ordering::Greater => CSTR_GREATER_THAN,
    }
}

fn bad_compare(k: &mut Kx, lcid: u32, flags: u32, s1: u64, c1: i32, s2: u64, c2: i32) -> KResult<bool> {
    let error = if resolve(lcid).is_none() || s1 == 0 || s2 == 0 || c1 < -1 || c2 < -1 {
        ERROR_INVALID_PARAMETER
    } else if flags & !KNOWN != 0 {
        ERROR_INVALID_FLAGS
    } else {
        return Ok(false);
    };
    set_last_error(k, error)?;
    Ok(true)
}

/// The string without its NUL (a -1 count reads through it; the NUL does not weigh).
fn trimmed(mut u: Vec<u16>, count: i32) -> Vec<u16> {
    if count == -1 {
        u.pop();
    }
    u
}

/// int CompareStringW(LCID Locale, DWORD dwCmpFlags, PCNZWCH lpString1, int cchCount1,
/// PCNZWCH lpString2, int cchCount2): CSTR_LESS_THAN, CSTR_EQUAL or CSTR_GREATER_THAN; 0 with
/// ERROR_INVALID_PARAMETER or ERROR_INVALID_FLAGS.
pub fn CompareStringW(k: &mut Kx, lcid: u32, flags: u32, s1: PCWSTR, c1: i32, s2: PCWSTR, c2: i32) -> KResult<i32> {
    if bad_compare(k, lcid, flags, s1.0, c1, s2.0, c2)? {
        return Ok(0);
    }
    let a = trimmed(wide_arg(k, s1.0, c1)?, c1);
    let b = trimmed(wide_arg(k, s2.0, c2)?, c2);
    Ok(answer(compare(&a, &b, flags)))
}

/// int CompareStringA(LCID Locale, DWORD dwCmpFlags, PCNZCH lpString1, int cchCount1, PCNZCH
/// lpString2, int cchCount2): the strings read in the ANSI code page.
pub fn CompareStringA(k: &mut Kx, lcid: u32, flags: u32, s1: PCSTR, c1: i32, s2: PCSTR, c2: i32) -> KResult<i32> {
    if bad_compare(k, lcid, flags, s1.0, c1, s2.0, c2)? {
        return Ok(0);
    }
    let a = trimmed(ansi_arg(k, s1.0, c1)?, c1);
    let b = trimmed(ansi_arg(k, s2.0, c2)?, c2);
    Ok(answer(compare(&a, &b, flags)))
}

/// lstrcmp's answer: NULL before any string; an unreadable string compares as empty.
fn lstrcmp(k: &mut Kx, s1: u64, s2: u64, wide: bool, flags: u32) -> KResult<i32> {
    match (s1, s2) {
        (0, 0) => return Ok(0),
        (0, _) => return Ok(-1),
        (_, 0) => return Ok(1),
        _ => {}
    }
    let read = |k: &Kx, p| {
        let r = if wide { wide_arg(k, p, -1) } else { ansi_arg(k, p, -1) };
        trimmed(r.unwrap_or_else(|_| vec![0]), -1)
    };
    let (a, b) = (read(k, s1), read(k, s2));
    Ok(compare(&a, &b, flags) as i32)
}

/// int lstrcmpA(LPCSTR lpString1, LPCSTR lpString2): CompareString in the user's locale,
/// less than, equal to or greater than zero.
pub fn lstrcmpA(k: &mut Kx, s1: PCSTR, s2: PCSTR) -> KResult<i32> {
    lstrcmp(k, s1.0, s2.0, false, 0)
}

/// int lstrcmpW(LPCWSTR lpString1, LPCWSTR lpString2)
pub fn lstrcmpW(k: &mut Kx, s1: PCWSTR, s2: PCWSTR) -> KResult<i32> {
    lstrcmp(k, s1.0, s2.0, true, 0)
}

/// int lstrcmpiA(LPCSTR lpString1, LPCSTR lpString2): without regard to case.
pub fn lstrcmpiA(k: &mut Kx, s1: PCSTR, s2: PCSTR) -> KResult<i32> {
    lstrcmp(k, s1.0, s2.0, false, NORM_IGNORECASE)
}

/// int lstrcmpiW(LPCWSTR lpString1, LPCWSTR lpString2)
pub fn lstrcmpiW(k: &mut Kx, s1: PCWSTR, s2: PCWSTR) -> KResult<i32> {
    lstrcmp(k, s1.0, s2.0, true, NORM_IGNORECASE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str, flags: u32) -> Ordering {
        compare(&a.encode_utf16().collect::<Vec<_>>(), &b.encode_utf16().collect::<Vec<_>>(), flags)
    }

    #[test]
    fn strings_sort_as_windows_word_sort() {
        use Ordering::*;
        assert_eq!(cmp("a", "B", 0), Less, "letters before case");
        assert_eq!(cmp("a", "A", 0), Less, "lower case first");
        assert_eq!(cmp("a", "A", NORM_IGNORECASE), Equal);
        assert_eq!(cmp("coop", "co-op", 0), Less, "hyphens weigh last");
        assert_eq!(cmp("co-op", "cop", 0), Less);
        assert_eq!(cmp("co-op", "coop", SORT_STRINGSORT), Less, "a symbol before letters");
        assert_eq!(cmp("e", "é", 0), Less);
        assert_eq!(cmp("é", "f", 0), Less, "accents after letters");
        assert_eq!(cmp("resume", "résumé", NORM_IGNORENONSPACE), Equal);
        assert_eq!(cmp("!", "0", 0), Less, "symbols before digits");
        assert_eq!(cmp("9", "a", 0), Less, "digits before letters");
        assert_eq!(cmp("a\u{1}b", "ab", 0), Equal, "controls weigh nothing");
        assert_eq!(cmp("Straße", "Strasse", 0), Equal);
        assert_eq!(cmp("a.b", "ab", NORM_IGNORESYMBOLS), Equal);
        assert_eq!(cmp("file10", "file9", 0), Less);
        assert_eq!(cmp("file10", "file9", SORT_DIGITSASNUMBERS), Greater);
        assert_eq!(cmp("ab", "abc", 0), Less);
    }
}
