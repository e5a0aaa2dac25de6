//! National language support: the system's code pages and case tables, and the routines that
//! convert between buffers of them (RtlMultiByteToUnicodeN and its siblings, UTF-8).
//!
//! The kernel presents an English system: the ANSI code page is 1252 and the OEM code page
//! 437, both single-byte. Bytes convert to Unicode through each page's table (1252's five
//! undefined bytes map to the C1 control of the same value, as Windows does). Unicode
//! converts back exactly where the page has the character and to the page's default
//! character `?` otherwise (Windows would first try its "best fit" tables, mapping `Ā` to `A`;
//! those are not reproduced). Case mapping is Unicode's simple one-to-one mapping of BMP
//! characters (`ß` stays `ß`), which is what Windows' upcase table holds.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, NtStatus, Ptr, PCSTR, PCWSTR};

use super::string::{read_counted, read_units, units_of, write_units};

/// The default character unmappable Unicode characters become.
pub const DEFAULT_CHAR: u8 = b'?';

/// Windows-1252 code points for 0x80-0x9F; the five undefined bytes map to C1 controls.
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D,
    0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0x009D, 0x017E, 0x0178,
];

/// Code page 437 (the OEM code page of an English system), bytes 0x80-0xFF.
const CP437_HIGH: [u16; 128] = [
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC,
    0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9, 0x00FF, 0x00D6, 0x00DC, 0x00A2,
    0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310,
    0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB, 0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
    0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C,
    0x255E, 0x255F, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580, 0x03B1, 0x00DF,
    0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
    0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248, 0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2,
    0x25A0, 0x00A0,
];

/// A single-byte code page of the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePage {
    /// The ANSI code page, 1252.
    Ansi,
    /// The OEM code page, 437.
    Oem,
}

impl CodePage {
    /// The Unicode character of byte `b`.
    pub fn to_unicode(self, b: u8) -> u16 {
        match (self, b) {
            (_, 0..=0x7F) => b.into(),
            (CodePage::Ansi, 0x80..=0x9F) => CP1252_HIGH[usize::from(b - 0x80)],
            (CodePage::Ansi, _) => b.into(),
            (CodePage::Oem, _) => CP437_HIGH[usize::from(b - 0x80)],
        }
    }

    /// The byte of Unicode character `u`, if the page has it.
    pub fn from_unicode(self, u: u16) -> Option<u8> {
        if u < 0x80 {
            return Some(u as u8);
        }
        let high: &[u16] = match self {
            CodePage::Ansi => {
                if (0xA0..=0xFF).contains(&u) {
                    return Some(u as u8);
                }
                &CP1252_HIGH
            }
            CodePage::Oem => &CP437_HIGH,
        };
        high.iter().position(|&h| h == u).map(|i| 0x80 + i as u8)
    }

    /// `u` in this page, or the default character.
    pub fn encode(self, u: u16) -> u8 {
        self.from_unicode(u).unwrap_or(DEFAULT_CHAR)
    }
}

/// One ANSI (Windows-1252) byte as a Rust character.
pub fn ansi_char(b: u8) -> char {
    char::from_u32(CodePage::Ansi.to_unicode(b).into()).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Unicode's simple uppercase of a BMP character (unchanged when it has none, or several).
pub fn upcase(u: u16) -> u16 {
    map_case(u, |c| c.to_uppercase().collect())
}

/// Unicode's simple lowercase of a BMP character.
pub fn downcase(u: u16) -> u16 {
    map_case(u, |c| c.to_lowercase().collect())
}

fn map_case(u: u16, f: impl Fn(char) -> Vec<char>) -> u16 {
    if u < 0x80 {
        return match u as u8 {
            b'a'..=b'z' if f('a') == ['A'] => u - 32,
            b'A'..=b'Z' if f('A') == ['a'] => u + 32,
            _ => u,
        };
    }
    let Some(c) = char::from_u32(u.into()) else { return u };
    match f(c)[..] {
        [m] if (m as u32) < 0x1_0000 => m as u16,
        _ => u,
    }
}

/// The uppercase of an ANSI byte: ASCII directly, others through Unicode and back (a
/// character whose uppercase is not in the page stays as it is).
pub fn upcase_ansi(b: u8) -> u8 {
    if b < 0x80 {
        return b.to_ascii_uppercase();
    }
    CodePage::Ansi.from_unicode(upcase(CodePage::Ansi.to_unicode(b))).unwrap_or(b)
}

/// Writes a ULONG result through an optional pointer.
fn put_count(k: &mut Kx, at: Ptr, value: u64) -> KResult<()> {
    if !at.is_null() {
        k.mem_mut().write_u32(at.0, value as u32)?;
    }
    Ok(())
}

/// Single-byte to Unicode: min(bytes, room / 2) characters; never fails.
fn bytes_to_unicode(
    k: &mut Kx,
    page: CodePage,
    out: Ptr,
    max: u32,
    written: Ptr,
    src: u64,
    n: u32,
) -> KResult<NtStatus> {
    let count = n.min(max / 2) as usize;
    let bytes = read_counted(k.mem(), src, count)?;
    let units: Vec<u16> = bytes.iter().map(|&b| page.to_unicode(b)).collect();
    write_units(k.mem_mut(), out.0, &units)?;
    put_count(k, written, count as u64 * 2)?;
    Ok(status::SUCCESS)
}

/// Unicode to single-byte: min(room, units) characters; unmappable ones become `?`.
fn unicode_to_bytes(
    k: &mut Kx,
    page: CodePage,
    upper: bool,
    out: Ptr,
    max: u32,
    written: Ptr,
    src: u64,
    n: u32,
) -> KResult<NtStatus> {
    let count = max.min(n / 2) as usize;
    let units = read_units(k.mem(), src, count)?;
    let bytes: Vec<u8> = units.iter().map(|&u| page.encode(if upper { upcase(u) } else { u })).collect();
    k.mem_mut().write(out.0, &bytes)?;
    put_count(k, written, count as u64)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlMultiByteToUnicodeN(PWCH UnicodeString, ULONG MaxBytesInUnicodeString,
/// PULONG BytesInUnicodeString, const CHAR *MultiByteString, ULONG BytesInMultiByteString):
/// converts as many ANSI characters as fit, silently truncating.
pub fn RtlMultiByteToUnicodeN(k: &mut Kx, out: Ptr, max: u32, written: Ptr, src: PCSTR, n: u32) -> KResult<NtStatus> {
    bytes_to_unicode(k, CodePage::Ansi, out, max, written, src.0, n)
}

/// NTSTATUS RtlOemToUnicodeN(...): RtlMultiByteToUnicodeN for the OEM code page.
pub fn RtlOemToUnicodeN(k: &mut Kx, out: Ptr, max: u32, written: Ptr, src: PCSTR, n: u32) -> KResult<NtStatus> {
    bytes_to_unicode(k, CodePage::Oem, out, max, written, src.0, n)
}

/// NTSTATUS RtlUnicodeToMultiByteN(PCHAR MultiByteString, ULONG MaxBytesInMultiByteString,
/// PULONG BytesInMultiByteString, PCWCH UnicodeString, ULONG BytesInUnicodeString)
pub fn RtlUnicodeToMultiByteN(k: &mut Kx, out: Ptr, max: u32, written: Ptr, src: PCWSTR, n: u32) -> KResult<NtStatus> {
    unicode_to_bytes(k, CodePage::Ansi, false, out, max, written, src.0, n)
}

/// NTSTATUS RtlUpcaseUnicodeToMultiByteN(...): upcases, then RtlUnicodeToMultiByteN.
pub fn RtlUpcaseUnicodeToMultiByteN(
    k: &mut Kx,
    out: Ptr,
    max: u32,
    written: Ptr,
    src: PCWSTR,
    n: u32,
) -> KResult<NtStatus> {
    unicode_to_bytes(k, CodePage::Ansi, true, out, max, written, src.0, n)
}

/// NTSTATUS RtlUnicodeToOemN(...): RtlUnicodeToMultiByteN for the OEM code page.
pub fn RtlUnicodeToOemN(k: &mut Kx, out: Ptr, max: u32, written: Ptr, src: PCWSTR, n: u32) -> KResult<NtStatus> {
    unicode_to_bytes(k, CodePage::Oem, false, out, max, written, src.0, n)
}

/// NTSTATUS RtlUpcaseUnicodeToOemN(...)
pub fn RtlUpcaseUnicodeToOemN(k: &mut Kx, out: Ptr, max: u32, written: Ptr, src: PCWSTR, n: u32) -> KResult<NtStatus> {
    unicode_to_bytes(k, CodePage::Oem, true, out, max, written, src.0, n)
}

/// NTSTATUS RtlMultiByteToUnicodeSize(PULONG BytesInUnicodeString, const CHAR *MultiByteString,
/// ULONG BytesInMultiByteString): two bytes per character of a single-byte page.
pub fn RtlMultiByteToUnicodeSize(k: &mut Kx, size: Ptr, _src: PCSTR, n: u32) -> KResult<NtStatus> {
    k.mem_mut().write_u32(size.0, n.wrapping_mul(2))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlUnicodeToMultiByteSize(PULONG BytesInMultiByteString, PCWCH UnicodeString,
/// ULONG BytesInUnicodeString): one byte per character.
pub fn RtlUnicodeToMultiByteSize(k: &mut Kx, size: Ptr, _src: PCWSTR, n: u32) -> KResult<NtStatus> {
    k.mem_mut().write_u32(size.0, n / 2)?;
    Ok(status::SUCCESS)
}

/// STATUS_SOME_NOT_MAPPED: a UTF conversion replaced invalid input with U+FFFD.
const SOME_NOT_MAPPED: NtStatus = NtStatus(0x0000_0107);

/// Decodes UTF-8 as Windows does: each invalid or truncated sequence, overlong form, encoded
/// surrogate or value above U+10FFFF becomes one U+FFFD. Returns the units and whether any
/// replacement happened.
pub fn decode_utf8(bytes: &[u8]) -> (Vec<u16>, bool) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut replaced = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (len, min, init) = match b {
            0x00..=0x7F => {
                out.push(b.into());
                i += 1;
                continue;
            }
            0xC2..=0xDF => (2, 0x80, u32::from(b & 0x1F)),
            0xE0..=0xEF => (3, 0x800, u32::from(b & 0x0F)),
            0xF0..=0xF4 => (4, 0x1_0000, u32::from(b & 0x07)),
            _ => {
                out.push(0xFFFD);
                replaced = true;
                i += 1;
                continue;
            }
        };
        let mut cp = init;
        let mut taken = 1;
        while taken < len {
            match bytes.get(i + taken) {
                Some(&c) if c & 0xC0 == 0x80 => {
                    cp = cp << 6 | u32::from(c & 0x3F);
                    taken += 1;
                }
                _ => break,
            }
        }
        i += taken;
        if taken < len || cp < min || (0xD800..=0xDFFF).contains(&cp) || cp > 0x10_FFFF {
            out.push(0xFFFD);
            replaced = true;
            continue;
        }
        match char::from_u32(cp) {
            Some(c) => {
                let mut buf = [0u16; 2];
                out.extend_from_slice(c.encode_utf16(&mut buf));
            }
            None => {
                out.push(0xFFFD);
                replaced = true;
            }
        }
    }
    (out, replaced)
}

/// Encodes UTF-16 as UTF-8, an unpaired surrogate becoming U+FFFD. Returns the bytes and
/// whether any replacement happened.
pub fn encode_utf8(units: &[u16]) -> (Vec<u8>, bool) {
    let mut replaced = false;
    let mut out = Vec::with_capacity(units.len());
    for r in char::decode_utf16(units.iter().copied()) {
        let c = r.unwrap_or_else(|_| {
            replaced = true;
            char::REPLACEMENT_CHARACTER
        });
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    (out, replaced)
}

/// Checks a UTF conversion's pointers as Windows does: no source is
/// STATUS_INVALID_PARAMETER_4; neither a destination nor a count pointer is
/// STATUS_INVALID_PARAMETER.
fn utf_arguments(out: Ptr, actual: Ptr, src: u64) -> Option<NtStatus> {
    if src == 0 {
        Some(status::INVALID_PARAMETER_4)
    } else if out.is_null() && actual.is_null() {
        Some(status::INVALID_PARAMETER)
    } else {
        None
    }
}

/// Writes what a UTF conversion produced: everything when there is no destination (only the
/// size is reported), else the first `fit` units of `total`.
fn utf_result(k: &mut Kx, actual: Ptr, count: usize, truncated: bool, replaced: bool) -> KResult<NtStatus> {
    put_count(k, actual, count as u64)?;
    Ok(if truncated {
        status::BUFFER_TOO_SMALL
    } else if replaced {
        SOME_NOT_MAPPED
    } else {
        status::SUCCESS
    })
}

/// NTSTATUS RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination, ULONG UnicodeStringMaxByteCount,
/// PULONG UnicodeStringActualByteCount, PCCH UTF8StringSource, ULONG UTF8StringByteCount):
/// with a NULL destination only the size is reported. STATUS_BUFFER_TOO_SMALL when the
/// destination holds less than the whole result (what fits is written, whole characters
/// only); STATUS_SOME_NOT_MAPPED when invalid input was replaced with U+FFFD.
pub fn RtlUTF8ToUnicodeN(k: &mut Kx, out: Ptr, max: u32, actual: Ptr, src: PCSTR, n: u32) -> KResult<NtStatus> {
    if let Some(st) = utf_arguments(out, actual, src.0) {
        return Ok(st);
    }
    let bytes = read_counted(k.mem(), src.0, n as usize)?;
    let (units, replaced) = decode_utf8(&bytes);
    if out.is_null() {
        return utf_result(k, actual, units.len() * 2, false, replaced);
    }
    let mut fit = units.len().min(max as usize / 2);
    // Never leave half a surrogate pair.
    if fit < units.len() && fit > 0 && (0xD800..0xDC00).contains(&units[fit - 1]) {
        fit -= 1;
    }
    write_units(k.mem_mut(), out.0, &units[..fit])?;
    utf_result(k, actual, fit * 2, fit < units.len(), replaced)
}

/// NTSTATUS RtlUnicodeToUTF8N(PCHAR UTF8StringDestination, ULONG UTF8StringMaxByteCount,
/// PULONG UTF8StringActualByteCount, PCWCH UnicodeStringSource, ULONG UnicodeStringByteCount):
/// as RtlUTF8ToUnicodeN the other way; an odd byte count is STATUS_INVALID_PARAMETER_5.
pub fn RtlUnicodeToUTF8N(k: &mut Kx, out: Ptr, max: u32, actual: Ptr, src: PCWSTR, n: u32) -> KResult<NtStatus> {
    if let Some(st) = utf_arguments(out, actual, src.0) {
        return Ok(st);
    }
    if !n.is_multiple_of(2) {
        return Ok(status::INVALID_PARAMETER_5);
    }
    let units = units_of(&read_counted(k.mem(), src.0, n as usize)?);
    let (bytes, replaced) = encode_utf8(&units);
    if out.is_null() {
        return utf_result(k, actual, bytes.len(), false, replaced);
    }
    // Whole characters only: never cut before a continuation byte.
    let mut fit = bytes.len().min(max as usize);
    while fit < bytes.len() && fit > 0 && bytes[fit] & 0xC0 == 0x80 {
        fit -= 1;
    }
    k.mem_mut().write(out.0, &bytes[..fit])?;
    utf_result(k, actual, fit, fit < bytes.len(), replaced)
}

/// WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter)
pub fn RtlUpcaseUnicodeChar(_k: &mut Kx, c: u16) -> KResult<u16> {
    Ok(upcase(c))
}

/// WCHAR RtlDowncaseUnicodeChar(WCHAR SourceCharacter)
pub fn RtlDowncaseUnicodeChar(_k: &mut Kx, c: u16) -> KResult<u16> {
    Ok(downcase(c))
}

/// CHAR RtlUpperChar(CHAR Character): the uppercase in the ANSI code page.
pub fn RtlUpperChar(_k: &mut Kx, c: u8) -> KResult<u8> {
    Ok(upcase_ansi(c))
}

/// WCHAR RtlAnsiCharToUnicodeChar(PUCHAR *SourceCharacter): converts the ANSI character
/// `*SourceCharacter` points at and advances the pointer past it.
pub fn RtlAnsiCharToUnicodeChar(k: &mut Kx, source: Ptr) -> KResult<u16> {
    let at = k.mem().read_ptr(source.0)?;
    let b = k.mem().read_u8(at)?;
    k.mem_mut().write_ptr(source.0, at.wrapping_add(1))?;
    Ok(CodePage::Ansi.to_unicode(b))
}

/// BOOLEAN RtlIsValidOemCharacter(PWCHAR Char): whether the character survives a round trip
/// through the OEM code page in upper case; on success `*Char` becomes that uppercase
/// character.
pub fn RtlIsValidOemCharacter(k: &mut Kx, c: Ptr) -> KResult<Boolean> {
    let u = k.mem().read_u16(c.0)?;
    let up = upcase(u);
    match CodePage::Oem.from_unicode(up) {
        Some(b) if CodePage::Oem.to_unicode(b) == up => {
            k.mem_mut().write_u16(c.0, up)?;
            Ok(Boolean(true))
        }
        _ => Ok(Boolean(false)),
    }
}

/// VOID RtlGetDefaultCodePage(PUSHORT AnsiCodePage, PUSHORT OemCodePage): 1252 and 437.
pub fn RtlGetDefaultCodePage(k: &mut Kx, ansi: Ptr, oem: Ptr) -> KResult<()> {
    k.mem_mut().write_u16(ansi.0, 1252)?;
    k.mem_mut().write_u16(oem.0, 437)?;
    Ok(())
}
