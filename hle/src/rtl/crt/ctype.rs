//! Character classes and case in the "C" locale: `isdigit` & co., `tolower`/`toupper`
//! (ASCII only), `towlower` (Latin-1: characters below U+0100) and `towupper` (every BMP
//! character with a single uppercase), as the kernel's runtime behaves.
//!
//! The class functions return the bits of the Microsoft CRT's class table for the character
//! (`isupper('A')` is 1, `isdigit('7')` 4, `isspace(' ')` 8...), which is what they return on
//! Windows; anything outside -1..255 (and every byte above 0x7F in the "C" locale) has no class.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};

use super::super::nls::{downcase, upcase};

pub const UPPER: u16 = 0x1;
pub const LOWER: u16 = 0x2;
pub const DIGIT: u16 = 0x4;
pub const SPACE: u16 = 0x8;
pub const PUNCT: u16 = 0x10;
pub const CONTROL: u16 = 0x20;
pub const BLANK: u16 = 0x40;
pub const HEX: u16 = 0x80;
pub const ALPHA: u16 = 0x100 | UPPER | LOWER;

/// The class bits of character `c` in the "C" locale.
pub fn class(c: i32) -> u16 {
    let Ok(b) = u8::try_from(c) else { return 0 };
    match b {
        b'0'..=b'9' => DIGIT | HEX,
        b'A'..=b'F' => UPPER | HEX,
        b'G'..=b'Z' => UPPER,
        b'a'..=b'f' => LOWER | HEX,
        b'g'..=b'z' => LOWER,
        b' ' => SPACE | BLANK,
        b'\t'..=b'\r' => SPACE | CONTROL,
        0..=0x1F | 0x7F => CONTROL,
        0x21..=0x7E => PUNCT,
        _ => 0,
    }
}

/// Whether `c` is ASCII whitespace (what the conversion functions skip).
pub fn is_space(c: u32) -> bool {
    c == 0x20 || (0x09..=0x0D).contains(&c)
}

/// int isdigit(int c)
pub fn isdigit(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok((class(c) & DIGIT).into())
}

/// int islower(int c)
pub fn islower(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok((class(c) & LOWER).into())
}

/// int isupper(int c)
pub fn isupper(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok((class(c) & UPPER).into())
}

/// int isspace(int c)
pub fn isspace(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok((class(c) & SPACE).into())
}

/// int isxdigit(int c)
pub fn isxdigit(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok((class(c) & HEX).into())
}

/// int isprint(int c): letters, digits, punctuation and the space.
pub fn isprint(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok((class(c) & (BLANK | PUNCT | ALPHA | DIGIT)).into())
}

/// int tolower(int c): ASCII letters only.
pub fn tolower(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok(if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) { c + 32 } else { c })
}

/// int toupper(int c): ASCII letters only.
pub fn toupper(_k: &mut Kx, c: i32) -> KResult<i32> {
    Ok(if (i32::from(b'a')..=i32::from(b'z')).contains(&c) { c - 32 } else { c })
}

/// The lowercase the wide C runtime gives: only characters below U+0100 change.
pub fn wide_lower(c: u16) -> u16 {
    if c < 0x100 {
        downcase(c)
    } else {
        c
    }
}

/// wint_t towlower(wint_t c)
pub fn towlower(_k: &mut Kx, c: u16) -> KResult<u16> {
    Ok(wide_lower(c))
}

/// wint_t towupper(wint_t c)
pub fn towupper(_k: &mut Kx, c: u16) -> KResult<u16> {
    Ok(upcase(c))
}
