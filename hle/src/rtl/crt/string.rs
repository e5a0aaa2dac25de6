//! The `str*` and `mem*` functions, and the code they share with the `wcs*` ones
//! (`wide.rs`): every string operation is written once over a character [`Unit`] (a byte or a
//! UTF-16 unit).
//!
//! Comparisons return what the Microsoft CRT returns: `strcmp`/`wcscmp` -1, 0 or 1; the
//! counted and case-insensitive ones the difference of the first differing characters
//! (lowercased for the case-insensitive ones).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::rtl::printf::{read_cstr, read_wstr};
use crate::types::{Ptr, SizeT, PCSTR};

use super::ctype::wide_lower;
use super::{invalid_parameter, is_truncate, MAX_SCAN, STRUNCATE};

/// A character of a C string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `char`
    Byte,
    /// `wchar_t` (UTF-16)
    Word,
}

impl Unit {
    pub fn size(self) -> u64 {
        match self {
            Unit::Byte => 1,
            Unit::Word => 2,
        }
    }

    /// The string at `at`, up to its terminator or `max` characters.
    pub fn read(self, k: &Kx, at: u64, max: usize) -> KResult<Vec<u16>> {
        Ok(match self {
            Unit::Byte => read_cstr(k.mem(), at, max)?.into_iter().map(u16::from).collect(),
            Unit::Word => read_wstr(k.mem(), at, max)?,
        })
    }

    /// The whole string at `at`.
    pub fn string(self, k: &Kx, at: u64) -> KResult<Vec<u16>> {
        self.read(k, at, MAX_SCAN)
    }

    /// Writes characters (bytes keep their low eight bits).
    pub fn write(self, k: &mut Kx, at: u64, chars: &[u16]) -> KResult<()> {
        match self {
            Unit::Byte => k.mem_mut().write(at, &chars.iter().map(|&c| c as u8).collect::<Vec<u8>>())?,
            Unit::Word => super::super::string::write_units(k.mem_mut(), at, chars)?,
        }
        Ok(())
    }

    /// Writes characters and a terminator.
    pub fn write_terminated(self, k: &mut Kx, at: u64, chars: &[u16]) -> KResult<()> {
        let mut all = chars.to_vec();
        all.push(0);
        self.write(k, at, &all)
    }

    /// The address of character `i` of the string at `at`.
    pub fn at(self, at: u64, i: usize) -> u64 {
        at.wrapping_add(i as u64 * self.size())
    }

    /// The character a function's `int`/`wchar_t` argument names.
    pub fn char_of(self, c: u64) -> u16 {
        match self {
            Unit::Byte => c as u8 as u16,
            Unit::Word => c as u16,
        }
    }

    /// Lowercase in the "C" locale.
    pub fn lower(self, c: u16) -> u16 {
        match self {
            Unit::Byte => (c as u8).to_ascii_lowercase().into(),
            Unit::Word => wide_lower(c),
        }
    }

    /// Uppercase in the "C" locale.
    pub fn upper(self, c: u16) -> u16 {
        match self {
            Unit::Byte => (c as u8).to_ascii_uppercase().into(),
            Unit::Word => super::super::nls::upcase(c),
        }
    }
}

/// How a comparison treats case and reports its result.
#[derive(Clone, Copy)]
pub struct Compare {
    pub insensitive: bool,
    /// Report -1/0/1 rather than the difference (`strcmp`, `wcscmp`).
    pub sign_only: bool,
}

/// Compares two strings over at most `limit` characters.
pub fn compare(k: &Kx, unit: Unit, a: u64, b: u64, limit: usize, how: Compare) -> KResult<i32> {
    if limit == 0 {
        return Ok(0);
    }
    let (x, y) = (unit.read(k, a, limit)?, unit.read(k, b, limit)?);
    // The terminator takes part: a shorter string compares as its NUL.
    let n = x.len().max(y.len()).min(limit);
    for i in 0..n {
        let (mut p, mut q) = (x.get(i).copied().unwrap_or(0), y.get(i).copied().unwrap_or(0));
        if how.insensitive {
            p = unit.lower(p);
            q = unit.lower(q);
        }
        if p != q {
            let d = i32::from(p) - i32::from(q);
            return Ok(if how.sign_only { d.signum() } else { d });
        }
        if p == 0 {
            break;
        }
    }
    Ok(0)
}

/// `strcpy`: the source and its terminator.
pub fn copy(k: &mut Kx, unit: Unit, dest: u64, src: u64) -> KResult<Ptr> {
    let s = unit.string(k, src)?;
    unit.write_terminated(k, dest, &s)?;
    Ok(Ptr(dest))
}

/// `strncpy`: at most `count` characters; a shorter source is padded with NULs to `count`.
pub fn copy_n(k: &mut Kx, unit: Unit, dest: u64, src: u64, count: u64) -> KResult<Ptr> {
    let s = unit.read(k, src, usize::try_from(count).unwrap_or(usize::MAX).min(MAX_SCAN))?;
    unit.write(k, dest, &s)?;
    // Pad in bounded chunks: `count` is the guest's.
    let pad = count.saturating_sub(s.len() as u64);
    let start = unit.at(dest, s.len());
    super::super::memory::fill_pattern(k, start, pad.saturating_mul(unit.size()), &[0])?;
    Ok(Ptr(dest))
}

/// `strcat`: the source after the destination's string.
pub fn concat(k: &mut Kx, unit: Unit, dest: u64, src: u64) -> KResult<Ptr> {
    let end = unit.string(k, dest)?.len();
    let s = unit.string(k, src)?;
    unit.write_terminated(k, unit.at(dest, end), &s)?;
    Ok(Ptr(dest))
}

/// `strncat`: at most `count` characters of the source, always terminated.
pub fn concat_n(k: &mut Kx, unit: Unit, dest: u64, src: u64, count: u64) -> KResult<Ptr> {
    let end = unit.string(k, dest)?.len();
    let s = unit.read(k, src, usize::try_from(count).unwrap_or(usize::MAX).min(MAX_SCAN))?;
    unit.write_terminated(k, unit.at(dest, end), &s)?;
    Ok(Ptr(dest))
}

/// `strchr`: the first `c`; looking for NUL finds the terminator.
pub fn find_char(k: &Kx, unit: Unit, s: u64, c: u16) -> KResult<Ptr> {
    let text = unit.string(k, s)?;
    Ok(match text.iter().position(|&x| x == c) {
        Some(i) => Ptr(unit.at(s, i)),
        None if c == 0 => Ptr(unit.at(s, text.len())),
        None => Ptr::NULL,
    })
}

/// `strrchr`: the last `c`.
pub fn find_last_char(k: &Kx, unit: Unit, s: u64, c: u16) -> KResult<Ptr> {
    let text = unit.string(k, s)?;
    Ok(match text.iter().rposition(|&x| x == c) {
        Some(i) => Ptr(unit.at(s, i)),
        None if c == 0 => Ptr(unit.at(s, text.len())),
        None => Ptr::NULL,
    })
}

/// `strstr`: the first occurrence of `needle`; an empty needle is found at the start.
pub fn find_string(k: &Kx, unit: Unit, s: u64, needle: u64) -> KResult<Ptr> {
    let (h, n) = (unit.string(k, s)?, unit.string(k, needle)?);
    if n.is_empty() {
        return Ok(Ptr(s));
    }
    Ok(h.windows(n.len()).position(|w| w == n.as_slice()).map_or(Ptr::NULL, |i| Ptr(unit.at(s, i))))
}

/// `strspn` (`inside`) / `strcspn` (`!inside`): the length of the leading run of characters
/// in (or not in) `set`.
pub fn span(k: &Kx, unit: Unit, s: u64, set: u64, inside: bool) -> KResult<SizeT> {
    let (text, set) = (unit.string(k, s)?, unit.string(k, set)?);
    Ok(SizeT(text.iter().take_while(|c| set.contains(c) == inside).count() as u64))
}

/// Rewrites a string in place, character by character (`_strlwr`, `_strupr`, `_strset`).
pub fn map_in_place(k: &mut Kx, unit: Unit, s: u64, limit: usize, f: impl Fn(u16) -> u16) -> KResult<Ptr> {
    let text: Vec<u16> = unit.read(k, s, limit)?.into_iter().map(f).collect();
    unit.write(k, s, &text)?;
    Ok(Ptr(s))
}

/// `_strrev`: reverses a string in place.
pub fn reverse(k: &mut Kx, unit: Unit, s: u64) -> KResult<Ptr> {
    let mut text = unit.string(k, s)?;
    text.reverse();
    unit.write(k, s, &text)?;
    Ok(Ptr(s))
}

/// `strcpy_s`: the whole source and its terminator must fit `size` characters.
pub fn copy_s(k: &mut Kx, unit: Unit, dest: u64, size: u64, src: u64) -> KResult<i32> {
    if dest == 0 || size == 0 {
        return Err(invalid_parameter(k, "strcpy_s: no destination"));
    }
    if src == 0 {
        return Err(invalid_parameter(k, "strcpy_s: no source"));
    }
    let s = unit.read(k, src, usize::try_from(size).unwrap_or(usize::MAX).min(MAX_SCAN))?;
    if s.len() as u64 >= size {
        return Err(invalid_parameter(k, "strcpy_s: the destination is too small"));
    }
    unit.write_terminated(k, dest, &s)?;
    Ok(0)
}

/// `strncpy_s`: at most `count` characters and a terminator; `_TRUNCATE` cuts to fit and
/// returns STRUNCATE.
pub fn copy_n_s(k: &mut Kx, unit: Unit, dest: u64, size: u64, src: u64, count: u64) -> KResult<i32> {
    if count == 0 && dest == 0 && size == 0 {
        return Ok(0);
    }
    if dest == 0 || size == 0 {
        return Err(invalid_parameter(k, "strncpy_s: no destination"));
    }
    if count == 0 {
        unit.write(k, dest, &[0])?;
        return Ok(0);
    }
    if src == 0 {
        return Err(invalid_parameter(k, "strncpy_s: no source"));
    }
    let truncate = is_truncate(k, count);
    let want = if truncate { size } else { count.min(size) };
    let s = unit.read(k, src, usize::try_from(want).unwrap_or(usize::MAX).min(MAX_SCAN))?;
    if (s.len() as u64) < size {
        unit.write_terminated(k, dest, &s)?;
        return Ok(0);
    }
    if truncate {
        unit.write_terminated(k, dest, &s[..(size - 1) as usize])?;
        return Ok(STRUNCATE);
    }
    Err(invalid_parameter(k, "strncpy_s: the destination is too small"))
}

/// `strcat_s` (`count` None) and `strncat_s`: the destination must hold a terminated string
/// within `size`, and the result must fit.
pub fn concat_s(k: &mut Kx, unit: Unit, dest: u64, size: u64, src: u64, count: Option<u64>) -> KResult<i32> {
    if count == Some(0) && dest == 0 && size == 0 {
        return Ok(0);
    }
    if dest == 0 || size == 0 {
        return Err(invalid_parameter(k, "strcat_s: no destination"));
    }
    if src == 0 && count != Some(0) {
        return Err(invalid_parameter(k, "strcat_s: no source"));
    }
    let limit = usize::try_from(size).unwrap_or(usize::MAX).min(MAX_SCAN);
    let end = unit.read(k, dest, limit)?.len() as u64;
    if end >= size {
        return Err(invalid_parameter(k, "strcat_s: the destination is not terminated"));
    }
    let truncate = count.is_some_and(|c| is_truncate(k, c));
    let room = size - end;
    let want = match count {
        Some(c) if !truncate => c.min(room),
        _ => room,
    };
    let s = if src == 0 {
        Vec::new()
    } else {
        unit.read(k, src, usize::try_from(want).unwrap_or(usize::MAX).min(MAX_SCAN))?
    };
    let at = unit.at(dest, end as usize);
    if (s.len() as u64) < room {
        unit.write_terminated(k, at, &s)?;
        return Ok(0);
    }
    if truncate {
        unit.write_terminated(k, at, &s[..(room - 1) as usize])?;
        return Ok(STRUNCATE);
    }
    Err(invalid_parameter(k, "strcat_s: the destination is too small"))
}

/// `_strset_s`/`_strnset_s`: sets the characters of a terminated string within `size`.
pub fn set_s(k: &mut Kx, unit: Unit, s: u64, size: u64, c: u16, count: Option<u64>) -> KResult<i32> {
    if s == 0 || size == 0 {
        return Err(invalid_parameter(k, "_strset_s: no string"));
    }
    let limit = usize::try_from(size).unwrap_or(usize::MAX).min(MAX_SCAN);
    let text = unit.read(k, s, limit)?;
    if text.len() as u64 >= size {
        return Err(invalid_parameter(k, "_strset_s: the string is not terminated"));
    }
    let n = count.map_or(text.len(), |c| text.len().min(usize::try_from(c).unwrap_or(usize::MAX)));
    unit.write(k, s, &vec![c; n])?;
    Ok(0)
}

const NARROW: Unit = Unit::Byte;
const EXACT: Compare = Compare { insensitive: false, sign_only: false };
const IGNORE_CASE: Compare = Compare { insensitive: true, sign_only: false };

fn count(n: SizeT) -> usize {
    usize::try_from(n.0).unwrap_or(usize::MAX).min(MAX_SCAN)
}

/// size_t strlen(const char *str)
pub fn strlen(k: &mut Kx, s: PCSTR) -> KResult<SizeT> {
    Ok(SizeT(NARROW.string(k, s.0)?.len() as u64))
}

/// size_t strnlen(const char *str, size_t numberOfElements)
pub fn strnlen(k: &mut Kx, s: PCSTR, max: SizeT) -> KResult<SizeT> {
    Ok(SizeT(NARROW.read(k, s.0, count(max))?.len() as u64))
}

/// char *strcpy(char *dest, const char *src)
pub fn strcpy(k: &mut Kx, dest: Ptr, src: PCSTR) -> KResult<Ptr> {
    copy(k, NARROW, dest.0, src.0)
}

/// char *strncpy(char *dest, const char *src, size_t count)
pub fn strncpy(k: &mut Kx, dest: Ptr, src: PCSTR, n: SizeT) -> KResult<Ptr> {
    copy_n(k, NARROW, dest.0, src.0, n.0)
}

/// char *strcat(char *dest, const char *src)
pub fn strcat(k: &mut Kx, dest: Ptr, src: PCSTR) -> KResult<Ptr> {
    concat(k, NARROW, dest.0, src.0)
}

/// char *strncat(char *dest, const char *src, size_t count)
pub fn strncat(k: &mut Kx, dest: Ptr, src: PCSTR, n: SizeT) -> KResult<Ptr> {
    concat_n(k, NARROW, dest.0, src.0, n.0)
}

/// int strcmp(const char *string1, const char *string2): -1, 0 or 1.
pub fn strcmp(k: &mut Kx, a: PCSTR, b: PCSTR) -> KResult<i32> {
    compare(k, NARROW, a.0, b.0, MAX_SCAN, Compare { insensitive: false, sign_only: true })
}

/// int strncmp(const char *string1, const char *string2, size_t count)
pub fn strncmp(k: &mut Kx, a: PCSTR, b: PCSTR, n: SizeT) -> KResult<i32> {
    compare(k, NARROW, a.0, b.0, count(n), EXACT)
}

/// int _stricmp(const char *string1, const char *string2)
pub fn _stricmp(k: &mut Kx, a: PCSTR, b: PCSTR) -> KResult<i32> {
    compare(k, NARROW, a.0, b.0, MAX_SCAN, IGNORE_CASE)
}

/// int _strnicmp(const char *string1, const char *string2, size_t count)
pub fn _strnicmp(k: &mut Kx, a: PCSTR, b: PCSTR, n: SizeT) -> KResult<i32> {
    compare(k, NARROW, a.0, b.0, count(n), IGNORE_CASE)
}

/// char *strchr(const char *str, int c)
pub fn strchr(k: &mut Kx, s: PCSTR, c: i32) -> KResult<Ptr> {
    find_char(k, NARROW, s.0, NARROW.char_of(c as u64))
}

/// char *strrchr(const char *str, int c)
pub fn strrchr(k: &mut Kx, s: PCSTR, c: i32) -> KResult<Ptr> {
    find_last_char(k, NARROW, s.0, NARROW.char_of(c as u64))
}

/// char *strstr(const char *str, const char *strSearch)
pub fn strstr(k: &mut Kx, s: PCSTR, needle: PCSTR) -> KResult<Ptr> {
    find_string(k, NARROW, s.0, needle.0)
}

/// size_t strspn(const char *str, const char *strCharSet)
pub fn strspn(k: &mut Kx, s: PCSTR, set: PCSTR) -> KResult<SizeT> {
    span(k, NARROW, s.0, set.0, true)
}

/// char *_strlwr(char *str)
pub fn _strlwr(k: &mut Kx, s: Ptr) -> KResult<Ptr> {
    map_in_place(k, NARROW, s.0, MAX_SCAN, |c| NARROW.lower(c))
}

/// char *_strupr(char *str)
pub fn _strupr(k: &mut Kx, s: Ptr) -> KResult<Ptr> {
    map_in_place(k, NARROW, s.0, MAX_SCAN, |c| NARROW.upper(c))
}

/// char *_strrev(char *str)
pub fn _strrev(k: &mut Kx, s: Ptr) -> KResult<Ptr> {
    reverse(k, NARROW, s.0)
}

/// char *_strset(char *str, int c)
pub fn _strset(k: &mut Kx, s: Ptr, c: i32) -> KResult<Ptr> {
    let c = NARROW.char_of(c as u64);
    map_in_place(k, NARROW, s.0, MAX_SCAN, |_| c)
}

/// char *_strnset(char *str, int c, size_t count)
pub fn _strnset(k: &mut Kx, s: Ptr, c: i32, n: SizeT) -> KResult<Ptr> {
    let c = NARROW.char_of(c as u64);
    map_in_place(k, NARROW, s.0, count(n), |_| c)
}

/// errno_t strcpy_s(char *dest, rsize_t dest_size, const char *src)
pub fn strcpy_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCSTR) -> KResult<i32> {
    copy_s(k, NARROW, dest.0, size.0, src.0)
}

/// errno_t strncpy_s(char *strDest, size_t numberOfElements, const char *strSource, size_t count)
pub fn strncpy_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCSTR, n: SizeT) -> KResult<i32> {
    copy_n_s(k, NARROW, dest.0, size.0, src.0, n.0)
}

/// errno_t strcat_s(char *strDestination, size_t numberOfElements, const char *strSource)
pub fn strcat_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCSTR) -> KResult<i32> {
    concat_s(k, NARROW, dest.0, size.0, src.0, None)
}

/// errno_t strncat_s(char *strDest, size_t numberOfElements, const char *strSource, size_t count)
pub fn strncat_s(k: &mut Kx, dest: Ptr, size: SizeT, src: PCSTR, n: SizeT) -> KResult<i32> {
    concat_s(k, NARROW, dest.0, size.0, src.0, Some(n.0))
}

/// errno_t _strset_s(char *str, size_t numberOfElements, int c)
pub fn _strset_s(k: &mut Kx, s: Ptr, size: SizeT, c: i32) -> KResult<i32> {
    set_s(k, NARROW, s.0, size.0, NARROW.char_of(c as u64), None)
}

/// errno_t _strnset_s(char *str, size_t numberOfElements, int c, size_t count)
pub fn _strnset_s(k: &mut Kx, s: Ptr, size: SizeT, c: i32, n: SizeT) -> KResult<i32> {
    set_s(k, NARROW, s.0, size.0, NARROW.char_of(c as u64), Some(n.0))
}

/// char *strtok_s(char *strToken, const char *strDelimit, char **context): the next token of
/// `strToken` (or, when it is NULL, of the string `*context` remembers), terminated in place.
pub fn strtok_s(k: &mut Kx, token: Ptr, delimiters: PCSTR, context: Ptr) -> KResult<Ptr> {
    if context.is_null() || delimiters.0 == 0 {
        return Err(invalid_parameter(k, "strtok_s: no context or delimiters"));
    }
    let start = if token.is_null() { k.mem().read_ptr(context.0)? } else { token.0 };
    if start == 0 {
        return Err(invalid_parameter(k, "strtok_s: no string"));
    }
    let delims = NARROW.string(k, delimiters.0)?;
    let text = NARROW.string(k, start)?;
    let skip = text.iter().take_while(|c| delims.contains(c)).count();
    if skip == text.len() {
        k.mem_mut().write_ptr(context.0, start + text.len() as u64)?;
        return Ok(Ptr::NULL);
    }
    let len = text[skip..].iter().take_while(|c| !delims.contains(c)).count();
    let end = start + (skip + len) as u64;
    let next = if skip + len < text.len() {
        k.mem_mut().write_u8(end, 0)?;
        end + 1
    } else {
        end
    };
    k.mem_mut().write_ptr(context.0, next)?;
    Ok(Ptr(start + skip as u64))
}

/// void *memchr(const void *buf, int c, size_t count)
pub fn memchr(k: &mut Kx, buf: Ptr, c: i32, n: SizeT) -> KResult<Ptr> {
    let mut chunk = vec![0u8; 0x1000];
    let mut done = 0u64;
    while done < n.0 {
        let len = (n.0 - done).min(0x1000) as usize;
        k.mem().read(buf.0.wrapping_add(done), &mut chunk[..len])?;
        if let Some(i) = chunk[..len].iter().position(|&b| b == c as u8) {
            return Ok(Ptr(buf.0.wrapping_add(done + i as u64)));
        }
        done += len as u64;
    }
    Ok(Ptr::NULL)
}

/// int memcmp(const void *buffer1, const void *buffer2, size_t count): the difference of the
/// first differing bytes (as unsigned char).
pub fn memcmp(k: &mut Kx, a: Ptr, b: Ptr, n: SizeT) -> KResult<i32> {
    let equal = super::super::memory::RtlCompareMemory(k, a, b, n)?.0;
    if equal == n.0 {
        return Ok(0);
    }
    let x = k.mem().read_u8(a.0.wrapping_add(equal))?;
    let y = k.mem().read_u8(b.0.wrapping_add(equal))?;
    Ok(i32::from(x) - i32::from(y))
}

/// errno_t memcpy_s(void *dest, size_t destSize, const void *src, size_t count)
pub fn memcpy_s(k: &mut Kx, dest: Ptr, size: SizeT, src: Ptr, n: SizeT) -> KResult<i32> {
    checked_move(k, dest, size, src, n, "memcpy_s")
}

/// errno_t memmove_s(void *dest, size_t numberOfElements, const void *src, size_t count)
pub fn memmove_s(k: &mut Kx, dest: Ptr, size: SizeT, src: Ptr, n: SizeT) -> KResult<i32> {
    checked_move(k, dest, size, src, n, "memmove_s")
}

fn checked_move(k: &mut Kx, dest: Ptr, size: SizeT, src: Ptr, n: SizeT, what: &str) -> KResult<i32> {
    if n.0 == 0 {
        return Ok(0);
    }
    if dest.is_null() || src.is_null() || size.0 < n.0 {
        return Err(invalid_parameter(k, &format!("{what}: no buffer, or the destination is too small")));
    }
    super::super::memory::move_bytes(k, dest.0, src.0, n.0)?;
    Ok(0)
}
