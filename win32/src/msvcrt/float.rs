//! The floating-point control word: msvcrt's _controlfp and _control87 read and change the
//! processor's own control registers — exception masks, rounding, precision, infinity
//! control (the x87 control word) and denormal handling (MXCSR) — through msvcrt's abstract
//! word (`_MCW_EM`, `_MCW_RC`, `_MCW_PC`, `_MCW_IC`, `_MCW_DN`).
//!
//! On x86 the x87 control word is the one read back and both units are set (SSE takes the
//! masks, the rounding and the denormal mode); on x64 MXCSR is the one (precision and
//! infinity control do not exist there: those bits are ignored). _controlfp never changes
//! the denormal exception's mask (_EM_DENORMAL), as msvcrt's does not.
#![allow(non_snake_case)]

use portcullis_emu::Arch;
use portcullis_hle::kernel::{KResult, Kx};

const EM_INVALID: u32 = 0x10;
const EM_DENORMAL: u32 = 0x8_0000;
const EM_ZERODIVIDE: u32 = 0x08;
const EM_OVERFLOW: u32 = 0x04;
const EM_UNDERFLOW: u32 = 0x02;
const EM_INEXACT: u32 = 0x01;
const MCW_RC: u32 = 0x300;
const MCW_PC: u32 = 0x3_0000;
const MCW_IC: u32 = 0x4_0000;
const MCW_DN: u32 = 0x300_0000;
const PC_24: u32 = 0x2_0000;
const PC_53: u32 = 0x1_0000;
const IC_AFFINE: u32 = 0x4_0000;
const DN_FLUSH: u32 = 0x100_0000;

/// Each exception's bit: (abstract word, x87 control word mask, MXCSR mask).
const EXCEPTIONS: [(u32, u16, u32); 6] = [
    (EM_INVALID, 0x01, 0x080),
    (EM_DENORMAL, 0x02, 0x100),
    (EM_ZERODIVIDE, 0x04, 0x200),
    (EM_OVERFLOW, 0x08, 0x400),
    (EM_UNDERFLOW, 0x10, 0x800),
    (EM_INEXACT, 0x20, 0x1000),
];

/// The rounding field (two bits, the same in both units) as the abstract word's.
fn rc_from(field: u32) -> u32 {
    [0, 0x100, 0x200, 0x300][(field & 3) as usize]
}

fn rc_to(abstract_word: u32) -> u32 {
    (abstract_word & MCW_RC) >> 8
}

/// The x87 control word as the abstract word.
fn from_x87(cw: u16) -> u32 {
    let mut a = EXCEPTIONS.iter().filter(|(_, x, _)| cw & x != 0).fold(0, |a, (e, _, _)| a | e);
    a |= rc_from(cw as u32 >> 10);
    a |= match (cw >> 8) & 3 {
        0 => PC_24,
        2 => PC_53,
        _ => 0, // _PC_64
    };
    if cw & 0x1000 != 0 {
        a |= IC_AFFINE;
    }
    a
}

fn to_x87(a: u32, old: u16) -> u16 {
    let mut cw = old & !(0x3F | 0x300 | 0xC00 | 0x1000);
    cw |= EXCEPTIONS.iter().filter(|(e, _, _)| a & e != 0).fold(0, |c, (_, x, _)| c | x);
    cw |= (rc_to(a) << 10) as u16;
    cw |= match a & MCW_PC {
        PC_24 => 0,
        PC_53 => 0x200,
        _ => 0x300,
    };
    if a & IC_AFFINE != 0 {
        cw |= 0x1000;
    }
    cw
}

/// MXCSR as the abstract word (flush-to-zero or denormals-are-zero: _DN_FLUSH).
fn from_sse(m: u32) -> u32 {
    let mut a = EXCEPTIONS.iter().filter(|(_, _, s)| m & s != 0).fold(0, |a, (e, _, _)| a | e);
    a |= rc_from(m >> 13);
    if m & 0x8040 != 0 {
        a |= DN_FLUSH;
    }
    a
}

fn to_sse(a: u32, old: u32) -> u32 {
    let mut m = old & !(0x1F80 | 0x6000 | 0x8040);
    m |= EXCEPTIONS.iter().filter(|(e, _, _)| a & e != 0).fold(0, |c, (_, _, s)| c | s);
    m |= rc_to(a) << 13;
    if a & MCW_DN == DN_FLUSH {
        m |= 0x8040;
    }
    m
}

/// The abstract word now, changed by `new` where `mask` says; returns the word after.
fn control(k: &mut Kx, new: u32, mask: u32) -> u32 {
    let (x87, mxcsr) = k.fpu_control();
    match k.arch() {
        Arch::X86 => {
            let now = from_x87(x87) | (from_sse(mxcsr) & DN_FLUSH);
            let word = (now & !mask) | (new & mask);
            k.set_fpu_control(to_x87(word, x87), to_sse(word, mxcsr));
            word
        }
        Arch::X64 => {
            let mask = mask & !(MCW_PC | MCW_IC);
            let word = (from_sse(mxcsr) & !mask) | (new & mask);
            k.set_fpu_control(x87, to_sse(word, mxcsr));
            word
        }
    }
}

/// unsigned int _control87(unsigned int new, unsigned int mask)
pub fn _control87(k: &mut Kx, new: u32, mask: u32) -> KResult<u32> {
    Ok(control(k, new, mask))
}

/// unsigned int _controlfp(unsigned int new, unsigned int mask): _control87 without the
/// denormal exception's mask.
pub fn _controlfp(k: &mut Kx, new: u32, mask: u32) -> KResult<u32> {
    Ok(control(k, new, mask & !EM_DENORMAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_initial_control_words_read_as_msvcrt_reports_them() {
        // A Windows thread starts with x87 0x27F (53-bit precision) and MXCSR 0x1F80.
        assert_eq!(from_x87(0x27F), 0x9_001F);
        assert_eq!(from_sse(0x1F80), 0x8_001F);
        assert_eq!(to_x87(0x9_001F, 0x27F), 0x27F);
        assert_eq!(to_sse(0x8_001F, 0x1F80), 0x1F80);
    }

    #[test]
    fn rounding_precision_and_denormals_round_trip() {
        for a in [0x300 | PC_24, 0x100 | IC_AFFINE, 0x200 | EM_INVALID | EM_INEXACT] {
            assert_eq!(from_x87(to_x87(a, 0x40)), a);
        }
        assert_eq!(from_sse(to_sse(DN_FLUSH | 0x300, 0)), DN_FLUSH | 0x300);
    }
}
