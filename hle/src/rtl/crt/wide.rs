//! The `wcs*` functions: the `str*` ones (see `string.rs`) over UTF-16 units. Case-insensitive
//! comparisons and `_wcslwr` lower only characters below U+0100 (`towlower`); `_wcsupr`
//! upcases every BMP character that has a single uppercase (`towupper`).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{Ptr, SizeT, PCWSTR};

use super::string::{
    compare, concat, concat_n, concat_s, copy, copy_n, copy_n_s, copy_s, find_char, find_last_char, find_string,
    map_in_place, reverse, set_s, span, Compare, Unit,
};
use super::MAX_SCAN;

const WIDE: Unit = Unit::Word;
const EXACT: Compare = Compare { insensitive: false, sign_only: false };
const IGNORE_CASE: Compare = Compare { insensitive: true, sign_only: false };

fn count(n: SizeT) -> usize {
    usize::try_from(n.0).unwrap_or(usize::MAX).min(MAX_SCAN)
}

/// size_t wcslen(const wchar_t *str)
pub fn wcslen(k: &mut Kx, s: PCWSTR) -> KResult<SizeT> {
    Ok(SizeT(WIDE.string(k, s.0)?.len() as u64))
}

/// size_t wcsnlen(const wchar_t *str, size_t numberOfElements)
pub fn wcsnlen(k: &mut Kx, s: PCWSTR, max: SizeT) -> KResult<SizeT> {
    Ok(SizeT(WIDE.read(k, s.0, count(max))?.len() as u64))
}

/// wchar_t *wcscpy(wchar_t *dest, const wchar_t *src)
pub fn wcscpy(k: &mut Kx, dest: Ptr, src: PCWSTR) -> KResult<Ptr> {
    copy(k, WIDE, dest.0, src.0)
}

/// wchar_t *wcsncpy(wchar_t *dest, const wchar_t *src, size_t count)
pub fn wcsncpy(k: &mut Kx, dest: Ptr, src: PCWSTR, n: SizeT) -> KResult<Ptr> {
    copy_n(k, WIDE, dest.0, src.0, n.0)
}

/// wchar_t *wcscat(wchar_t *dest, const wchar_t *src)
pub fn wcscat(k: &mut Kx, dest: Ptr, src: PCWSTR) -> KResult<Ptr> {
    concat(k, WIDE, dest.0, src.0)
}

/// wchar_t *wcsncat(wchar_t *dest, const wchar_t *src, size_t count)
pub fn wcsncat(k: &mut Kx, dest: Ptr, src: PCWSTR, n: SizeT) -> KResult<Ptr> {
    concat_n(k, WIDE, dest.0, src.0, n.0)
}

/// int wcscmp(const wchar_t *string1, const wchar_t *string2): -1, 0 or 1.
pub fn wcscmp(k: &mut Kx, a: PCWSTR, b: PCWSTR) -> KResult<i32> {
    compare(k, WIDE, a.0, b.0, MAX_SCAN, Compare { insensitive: false, sign_only: true })
}

/// int wcsncmp(const wchar_t *string1, const wchar_t *string2, size_t count)
pub fn wcsncmp(k: &mut Kx, a: PCWSTR, b: PCWSTR, n: SizeT) -> KResult<i32> {
    compare(k, WIDE, a.0, b.0, count(n), EXACT)
}

/// int _wcsicmp(const wchar_t *string1, const wchar_t *string2)
pub fn _wcsicmp(k: &mut Kx, a: PCWSTR, b: PCWSTR) -> KResult<i32> {
    compare(k, WIDE, a.0, b.0, MAX_SCAN, IGNORE_CASE)
}

/// int _wcsnicmp(const wchar_t *string1, const wchar_t *string2, size_t count)
pub fn _wcsnicmp(k: &mut Kx, a: PCWSTR, b: PCWSTR, n: SizeT) -> KResult<i32> {
    compare(k, WIDE, a.0, b.0, count(n), IGNORE_CASE)
}

/// wchar_t *wcschr(const wchar_t *str, wchar_t c)
pub fn wcschr(k: &mut Kx, s: PCWSTR, c: u16) -> KResult<Ptr> {
    find_char(k, WIDE, s.0, c)
}

/// wchar_t *wcsrchr(const wchar_t *str, wchar_t c)
pub fn wcsrchr(k: &mut Kx, s: PCWSTR, c: u16) -> KResult<Ptr> {
    find_last_char(k, WIDE, s.0, c)
}

/// wchar_t *wcsstr(const wchar_t *str, const wchar_t *strSearch)
pub fn wcsstr(k: &mut Kx, s: PCWSTR, needle: PCWSTR) -> KResult<Ptr> {
    find_string(k, WIDE, s.0, needle.0)
}

/// size_t wcsspn(const wchar_t *str, const wchar_t *strCharSet)
pub fn wcsspn(k: &mut Kx, s: PCWSTR, set: PCWSTR) -> KResult<SizeT> {
    span(k, WIDE, s.0, set.0, true)
}

/// size_t wcscspn(const wchar_t *str, const wchar_t *strCharSet)
pub fn wcscspn(k: &mut Kx, s: PCWSTR, set: PCWSTR) -> KResult<SizeT> {
    span(k, WIDE, s.0, set.0, false)
}

/// wchar_t *_wcslwr(wchar_t *str)
pub fn _wcslwr(k: &mut Kx, s: Ptr) -> KResult<Ptr> {
    map_in_place(k, WIDE, s.0, MAX_SCAN, |c| WIDE.lower(c))
}

/// wchar_t *_wcsupr(wchar_t *str)
pub fn _wcsupr(k: &mut Kx, s: Ptr) -> KResult<Ptr> {
    map_in_place(k, WIDE, s.0, MAX_SCAN, |c| WIDE.upper(c))
}

/// wchar_t *_wcsrev(wchar_t *str)
pub fn _wcsrev(k: &mut Kx, s: Ptr) -> KResult<Ptr> {
    reverse(k, WIDE, s.0)
}

/// wchar_t *_wcsnset(wchar_t *str, wchar_t c, size_t count)
pub fn _wcsnset(k: &mut Kx, s: Ptr, c: u16, n: SizeT) -> KResult<Ptr> {
    map_in_place(k, WIDE, s.0, count(n), |_| c)
}

/// errno_t wcscpy_s(wchar_t *dest, rsize_t dest_size, const wchar_t *src)
pub fn wcscpy_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCWSTR) -> KResult<i32> {
    copy_s(k, WIDE, dest.0, size.0, src.0)
}

/// errno_t wcsncpy_s(wchar_t *strDest, size_t numberOfElements, const wchar_t *strSource, size_t count)
pub fn wcsncpy_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCWSTR, n: SizeT) -> KResult<i32> {
    copy_n_s(k, WIDE, dest.0, size.0, src.0, n.0)
}

/// errno_t wcscat_s(wchar_t *strDestination, size_t numberOfElements, const wchar_t *strSource)
pub fn wcscat_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCWSTR) -> KResult<i32> {
    concat_s(k, WIDE, dest.0, size.0, src.0, None)
}

/// errno_t wcsncat_s(wchar_t *strDest, size_t numberOfElements, const wchar_t *strSource, size_t count)
pub fn wcsncat_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCWSTR, n: SizeT) -> KResult<i32> {
    concat_s(k, WIDE, dest.0, size.0, src.0, Some(n.0))
}

/// errno_t _wcsset_s(wchar_t *str, size_t numberOfElements, wchar_t c)
pub fn _wcsset_s(k: &mut Kx, s: Ptr, size: SizeT, c: u16) -> KResult<i32> {
    set_s(k, WIDE, s.0, size.0, c, None)
}

/// errno_t _wcsnset_s(wchar_t *str, size_t numberOfElements, wchar_t c, size_t count)
pub fn _wcsnset_s(k: &mut Kx, s: Ptr, size: SizeT, c: u16, n: SizeT) -> KResult<i32> {
    set_s(k, WIDE, s.0, size.0, c, Some(n.0))
}
