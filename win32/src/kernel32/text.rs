//! Text: MultiByteToWideChar, WideCharToMultiByte, lstrlenA/W, lstrcpyA/W, and the code
//! pages: GetACP, GetOEMCP, IsValidCodePage, GetCPInfo.
//!
//! Code pages are the kernel's (`hle::rtl::nls`): CP_ACP and CP_THREAD_ACP are Windows-1252
//! (an English system; 1252 may be named too), CP_OEMCP is 437, CP_UTF8 is UTF-8 (invalid
//! input becomes U+FFFD, or fails with MB_ERR_INVALID_CHARS / WC_ERR_INVALID_CHARS). A
//! character a single-byte page lacks becomes the default character (`?`, or the caller's
//! lpDefaultChar); Windows' "best fit" substitutions are not reproduced, as if
//! WC_NO_BEST_FIT_CHARS were always given. Other code pages fail with
//! ERROR_INVALID_PARAMETER; MB_COMPOSITE, MB_USEGLYPHCHARS and the WC_ composition flags
//! with ERROR_NOT_SUPPORTED.
//!
//! lstrlen and lstrcpy catch a bad pointer as Windows' own exception handlers do (0 and
//! NULL). lstrcmp and lstrcmpi are the locale's linguistic sort (kernel32/sort.rs).
#![allow(non_snake_case, clippy::too_many_arguments)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::nls::{decode_utf8, encode_utf8, CodePage};
use portcullis_hle::rtl::printf::{read_cstr, read_wstr};
use portcullis_hle::types::{Ptr, PCSTR, PCWSTR};

use crate::error::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_FLAGS, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED,
    ERROR_NO_UNICODE_TRANSLATION,
};
use crate::kernel32::thread::set_last_error;

pub const CP_ACP: u32 = 0;
pub const CP_OEMCP: u32 = 1;
pub const CP_THREAD_ACP: u32 = 3;
pub const CP_UTF8: u32 = 65001;
const MB_PRECOMPOSED: u32 = 0x1;
const MB_COMPOSITE: u32 = 0x2;
const MB_USEGLYPHCHARS: u32 = 0x4;
pub const MB_ERR_INVALID_CHARS: u32 = 0x8;
const WC_COMPOSITECHECK: u32 = 0x200;
const WC_DISCARDNS: u32 = 0x10;
const WC_SEPCHARS: u32 = 0x20;
const WC_DEFAULTCHAR: u32 = 0x40;
pub const WC_ERR_INVALID_CHARS: u32 = 0x80;
const WC_NO_BEST_FIT_CHARS: u32 = 0x400;
/// Longest string a NUL-terminated argument may be, in characters.
const MAX_STRING: usize = 16 << 20;

/// A code page these functions convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    Single(CodePage),
    Utf8,
}

pub(crate) fn page_of(code_page: u32) -> Option<Page> {
    match code_page {
        CP_ACP | CP_THREAD_ACP | 1252 => Some(Page::Single(CodePage::Ansi)),
        CP_OEMCP | 437 => Some(Page::Single(CodePage::Oem)),
        CP_UTF8 => Some(Page::Utf8),
        _ => None,
    }
}

/// Bytes in `page` to UTF-16; Err(ERROR_NO_UNICODE_TRANSLATION) when `strict` and a byte
/// has no character.
pub(crate) fn to_wide(page: Page, bytes: &[u8], strict: bool) -> Result<Vec<u16>, u32> {
    match page {
        Page::Utf8 => {
            let (units, replaced) = decode_utf8(bytes);
            if strict && replaced {
                return Err(ERROR_NO_UNICODE_TRANSLATION);
            }
            Ok(units)
        }
        Page::Single(cp) => {
            // 1252's undefined bytes map to C1 controls; strictly, they are no character.
            let undefined = |b: u8| cp == CodePage::Ansi && matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D);
            if strict && bytes.iter().any(|b| undefined(*b)) {
                return Err(ERROR_NO_UNICODE_TRANSLATION);
            }
            Ok(bytes.iter().map(|b| cp.to_unicode(*b)).collect())
        }
    }
}

/// UTF-16 to bytes in `page`: (bytes, whether the default character was used).
pub(crate) fn from_wide(page: Page, units: &[u16], default: u8, strict: bool) -> Result<(Vec<u8>, bool), u32> {
    match page {
        Page::Utf8 => {
            let (bytes, replaced) = encode_utf8(units);
            if strict && replaced {
                return Err(ERROR_NO_UNICODE_TRANSLATION);
            }
            Ok((bytes, false))
        }
        Page::Single(cp) => {
            let mut used = false;
            let mut out = Vec::with_capacity(units.len());
            for r in char::decode_utf16(units.iter().copied()) {
                // A surrogate pair is one character: one default character.
                let b = match r {
                    Ok(c) if (c as u32) < 0x1_0000 => cp.from_unicode(c as u16),
                    _ => None,
                };
                out.push(b.unwrap_or_else(|| {
                    used = true;
                    default
                }));
            }
            Ok((out, used))
        }
    }
}

fn fail(k: &mut Kx, error: u32) -> KResult<i32> {
    set_last_error(k, error)?;
    Ok(0)
}

/// int MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCCH lpMultiByteStr, int
/// cbMultiByte, LPWSTR lpWideCharStr, int cchWideChar): cbMultiByte -1 converts through
/// the NUL (counted); cchWideChar 0 asks for the size. ERROR_INSUFFICIENT_BUFFER when the
/// result does not fit (what fits is written).
pub fn MultiByteToWideChar(
    k: &mut Kx,
    code_page: u32,
    flags: u32,
    source: PCSTR,
    source_len: i32,
    out: Ptr,
    capacity: i32,
) -> KResult<i32> {
    let Some(page) = page_of(code_page) else { return fail(k, ERROR_INVALID_PARAMETER) };
    if source.0 == 0 || source_len == 0 || source_len < -1 || capacity < 0 || (capacity > 0 && out.is_null()) {
        return fail(k, ERROR_INVALID_PARAMETER);
    }
    let allowed = match page {
        Page::Utf8 => MB_ERR_INVALID_CHARS,
        Page::Single(_) => MB_PRECOMPOSED | MB_ERR_INVALID_CHARS | MB_COMPOSITE | MB_USEGLYPHCHARS,
    };
    if flags & !allowed != 0 || flags & MB_PRECOMPOSED != 0 && flags & MB_COMPOSITE != 0 {
        return fail(k, ERROR_INVALID_FLAGS);
    }
    if flags & (MB_COMPOSITE | MB_USEGLYPHCHARS) != 0 {
        return fail(k, ERROR_NOT_SUPPORTED);
    }
    let bytes = if source_len == -1 {
        let mut b = read_cstr(k.mem(), source.0, MAX_STRING)?;
        b.push(0);
        b
    } else {
        k.mem().read_vec(source.0, source_len as u64)?
    };
    let units = match to_wide(page, &bytes, flags & MB_ERR_INVALID_CHARS != 0) {
        Ok(u) => u,
        Err(e) => return fail(k, e),
    };
    if capacity == 0 {
        return Ok(units.len() as i32);
    }
    let fit = units.len().min(capacity as usize);
    let data: Vec<u8> = units[..fit].iter().flat_map(|u| u.to_le_bytes()).collect();
    k.mem_mut().write(out.0, &data)?;
    if fit < units.len() {
        return fail(k, ERROR_INSUFFICIENT_BUFFER);
    }
    Ok(units.len() as i32)
}

/// int WideCharToMultiByte(UINT CodePage, DWORD dwFlags, LPCWCH lpWideCharStr, int
/// cchWideChar, LPSTR lpMultiByteStr, int cbMultiByte, LPCCH lpDefaultChar, LPBOOL
/// lpUsedDefaultChar): as MultiByteToWideChar the other way; UTF-8 takes neither a default
/// character nor its flag.
pub fn WideCharToMultiByte(
    k: &mut Kx,
    code_page: u32,
    flags: u32,
    source: PCWSTR,
    source_len: i32,
    out: Ptr,
    capacity: i32,
    default_char: Ptr,
    used_default: Ptr,
) -> KResult<i32> {
    let Some(page) = page_of(code_page) else { return fail(k, ERROR_INVALID_PARAMETER) };
    if source.0 == 0 || source_len == 0 || source_len < -1 || capacity < 0 || (capacity > 0 && out.is_null()) {
        return fail(k, ERROR_INVALID_PARAMETER);
    }
    let allowed = match page {
        Page::Utf8 => WC_ERR_INVALID_CHARS,
        Page::Single(_) => WC_NO_BEST_FIT_CHARS | WC_COMPOSITECHECK | WC_DISCARDNS | WC_SEPCHARS | WC_DEFAULTCHAR,
    };
    if flags & !allowed != 0 {
        return fail(k, ERROR_INVALID_FLAGS);
    }
    if page == Page::Utf8 && (!default_char.is_null() || !used_default.is_null()) {
        return fail(k, ERROR_INVALID_PARAMETER);
    }
    if flags & (WC_COMPOSITECHECK | WC_DISCARDNS | WC_SEPCHARS | WC_DEFAULTCHAR) != 0 {
        return fail(k, ERROR_NOT_SUPPORTED);
    }
    let units = if source_len == -1 {
        let mut u = read_wstr(k.mem(), source.0, MAX_STRING)?;
        u.push(0);
        u
    } else {
        let raw = k.mem().read_vec(source.0, source_len as u64 * 2)?;
        raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
    };
    let default = if default_char.is_null() { b'?' } else { k.mem().read_u8(default_char.0)? };
    let (bytes, used) = match from_wide(page, &units, default, flags & WC_ERR_INVALID_CHARS != 0) {
        Ok(r) => r,
        Err(e) => return fail(k, e),
    };
    if !used_default.is_null() {
        k.mem_mut().write_u32(used_default.0, used as u32)?;
    }
    if capacity == 0 {
        return Ok(bytes.len() as i32);
    }
    let fit = bytes.len().min(capacity as usize);
    k.mem_mut().write(out.0, &bytes[..fit])?;
    if fit < bytes.len() {
        return fail(k, ERROR_INSUFFICIENT_BUFFER);
    }
    Ok(bytes.len() as i32)
}

/// int lstrlenA(LPCSTR lpString): NULL or an unreadable string is 0.
pub fn lstrlenA(k: &mut Kx, s: PCSTR) -> KResult<i32> {
    if s.0 == 0 {
        return Ok(0);
    }
    Ok(read_cstr(k.mem(), s.0, MAX_STRING).map_or(0, |b| b.len() as i32))
}

/// int lstrlenW(LPCWSTR lpString)
pub fn lstrlenW(k: &mut Kx, s: PCWSTR) -> KResult<i32> {
    if s.0 == 0 {
        return Ok(0);
    }
    Ok(read_wstr(k.mem(), s.0, MAX_STRING).map_or(0, |u| u.len() as i32))
}

/// LPSTR lstrcpyA(LPSTR lpString1, LPCSTR lpString2): lpString1, or NULL when either string
/// cannot be reached.
pub fn lstrcpyA(k: &mut Kx, to: Ptr, from: PCSTR) -> KResult<Ptr> {
    let Ok(mut bytes) = read_cstr(k.mem(), from.0, MAX_STRING) else { return Ok(Ptr(0)) };
    bytes.push(0);
    Ok(if k.mem_mut().write(to.0, &bytes).is_ok() { to } else { Ptr(0) })
}

/// LPWSTR lstrcpyW(LPWSTR lpString1, LPCWSTR lpString2)
pub fn lstrcpyW(k: &mut Kx, to: Ptr, from: PCWSTR) -> KResult<Ptr> {
    let Ok(units) = read_wstr(k.mem(), from.0, MAX_STRING) else { return Ok(Ptr(0)) };
    let bytes: Vec<u8> = units.iter().chain([&0]).flat_map(|u| u.to_le_bytes()).collect();
    Ok(if k.mem_mut().write(to.0, &bytes).is_ok() { to } else { Ptr(0) })
}

/// The system's ANSI and OEM code pages (an English system).
pub const ANSI_CODE_PAGE: u32 = 1252;
pub const OEM_CODE_PAGE: u32 = 437;

/// UINT GetACP(void)
pub fn GetACP(_k: &mut Kx) -> KResult<u32> {
    Ok(ANSI_CODE_PAGE)
}

/// UINT GetOEMCP(void)
pub fn GetOEMCP(_k: &mut Kx) -> KResult<u32> {
    Ok(OEM_CODE_PAGE)
}

/// BOOL IsValidCodePage(UINT CodePage): the code pages installed here (1252, 437, UTF-8); the
/// CP_ACP-style aliases are no code page's identifier.
pub fn IsValidCodePage(_k: &mut Kx, code_page: u32) -> KResult<crate::table::BOOL> {
    Ok(crate::table::BOOL(matches!(code_page, ANSI_CODE_PAGE | OEM_CODE_PAGE | CP_UTF8)))
}

/// BOOL GetCPInfo(UINT CodePage, LPCPINFO lpCPInfo): CPINFO (MaxCharSize, DefaultChar[2],
/// LeadByte[12]): one byte per character and `?` for the single-byte pages, up to four for
/// UTF-8, no lead-byte ranges. Another code page: ERROR_INVALID_PARAMETER.
pub fn GetCPInfo(k: &mut Kx, code_page: u32, info: Ptr) -> KResult<crate::table::BOOL> {
    let Some(page) = page_of(code_page) else {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(crate::table::BOOL(false));
    };
    let max: u32 = if page == Page::Utf8 { 4 } else { 1 };
    let mut cpinfo = [0u8; 20];
    cpinfo[..4].copy_from_slice(&max.to_le_bytes());
    cpinfo[4] = b'?';
    k.mem_mut().write(info.0, &cpinfo)?;
    Ok(crate::table::BOOL(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_pages_convert_as_windows_converts_them() {
        let ansi = page_of(CP_ACP).unwrap();
        assert_eq!(to_wide(ansi, &[b'A', 0x80, 0xE9], false).unwrap(), [0x41, 0x20AC, 0xE9]);
        assert_eq!(to_wide(ansi, &[0x81], true), Err(ERROR_NO_UNICODE_TRANSLATION));
        assert_eq!(from_wide(ansi, &[0x41, 0x20AC, 0x3B1], b'?', false).unwrap(), (vec![b'A', 0x80, b'?'], true));
        // A surrogate pair is one unmappable character.
        assert_eq!(from_wide(ansi, &[0xD83D, 0xDE00], b'#', false).unwrap(), (vec![b'#'], true));
        let utf8 = page_of(CP_UTF8).unwrap();
        assert_eq!(to_wide(utf8, "é€".as_bytes(), false).unwrap(), [0xE9, 0x20AC]);
        assert_eq!(to_wide(utf8, &[0xC3], false).unwrap(), [0xFFFD]);
        assert_eq!(to_wide(utf8, &[0xC3], true), Err(ERROR_NO_UNICODE_TRANSLATION));
        assert_eq!(from_wide(utf8, &[0xD800], 0, true), Err(ERROR_NO_UNICODE_TRANSLATION));
        assert_eq!(page_of(932), None);
    }
}
