//! The x86 kernel's large-integer arithmetic exports (LARGE_INTEGER in and out, EDX:EAX for
//! results; on x64 these are compiler intrinsics, not exports) and the byte-swap helpers.
//!
//! Division is unsigned where Windows divides unsigned values (RtlLargeIntegerDivide,
//! RtlExtendedLargeIntegerDivide, RtlEnlargedUnsignedDivide); a zero divisor, or a
//! RtlEnlargedUnsignedDivide quotient that does not fit 32 bits, raises the #DE the routines'
//! `div` instruction raises.
#![allow(non_snake_case)]

use portcullis_emu::{FaultKind, Reg, Stop};

use crate::kernel::{KError, KResult, Kx};
use crate::types::Ptr;

fn divide_error(k: &mut Kx, routine: &str) -> KError {
    let pc = k.reg(Reg::Ip);
    let fault = k.fault(FaultKind::DivideError, pc, format!("{routine}: division by zero or overflow"));
    KError::Stop(Stop::Fault(Box::new(fault)))
}

/// LARGE_INTEGER RtlLargeIntegerAdd(LARGE_INTEGER Addend1, LARGE_INTEGER Addend2)
pub fn RtlLargeIntegerAdd(_k: &mut Kx, a: i64, b: i64) -> KResult<i64> {
    Ok(a.wrapping_add(b))
}

/// LARGE_INTEGER RtlLargeIntegerSubtract(LARGE_INTEGER Minuend, LARGE_INTEGER Subtrahend)
pub fn RtlLargeIntegerSubtract(_k: &mut Kx, a: i64, b: i64) -> KResult<i64> {
    Ok(a.wrapping_sub(b))
}

/// LARGE_INTEGER RtlLargeIntegerNegate(LARGE_INTEGER Subtrahend)
pub fn RtlLargeIntegerNegate(_k: &mut Kx, a: i64) -> KResult<i64> {
    Ok(a.wrapping_neg())
}

/// LARGE_INTEGER RtlLargeIntegerShiftLeft(LARGE_INTEGER LargeInteger, CCHAR ShiftCount)
pub fn RtlLargeIntegerShiftLeft(_k: &mut Kx, a: i64, count: u8) -> KResult<i64> {
    Ok((a as u64).checked_shl(count.into()).unwrap_or(0) as i64)
}

/// LARGE_INTEGER RtlLargeIntegerShiftRight(LARGE_INTEGER LargeInteger, CCHAR ShiftCount):
/// logical.
pub fn RtlLargeIntegerShiftRight(_k: &mut Kx, a: i64, count: u8) -> KResult<i64> {
    Ok((a as u64).checked_shr(count.into()).unwrap_or(0) as i64)
}

/// LARGE_INTEGER RtlLargeIntegerArithmeticShift(LARGE_INTEGER LargeInteger, CCHAR ShiftCount)
pub fn RtlLargeIntegerArithmeticShift(_k: &mut Kx, a: i64, count: u8) -> KResult<i64> {
    Ok(a >> u32::from(count).min(63))
}

/// LARGE_INTEGER RtlLargeIntegerDivide(LARGE_INTEGER Dividend, LARGE_INTEGER Divisor,
/// PLARGE_INTEGER Remainder): unsigned; the remainder is stored when asked for.
pub fn RtlLargeIntegerDivide(k: &mut Kx, a: u64, b: u64, remainder: Ptr) -> KResult<u64> {
    if b == 0 {
        return Err(divide_error(k, "RtlLargeIntegerDivide"));
    }
    if !remainder.is_null() {
        k.mem_mut().write_u64(remainder.0, a % b)?;
    }
    Ok(a / b)
}

/// LARGE_INTEGER RtlExtendedLargeIntegerDivide(LARGE_INTEGER Dividend, ULONG Divisor, PULONG
/// Remainder): unsigned.
pub fn RtlExtendedLargeIntegerDivide(k: &mut Kx, a: u64, b: u32, remainder: Ptr) -> KResult<u64> {
    if b == 0 {
        return Err(divide_error(k, "RtlExtendedLargeIntegerDivide"));
    }
    if !remainder.is_null() {
        k.mem_mut().write_u32(remainder.0, (a % u64::from(b)) as u32)?;
    }
    Ok(a / u64::from(b))
}

/// LARGE_INTEGER RtlExtendedMagicDivide(LARGE_INTEGER Dividend, LARGE_INTEGER MagicDivisor,
/// CCHAR ShiftCount): the high half of |Dividend| * MagicDivisor, shifted, with Dividend's
/// sign.
pub fn RtlExtendedMagicDivide(_k: &mut Kx, a: i64, magic: u64, shift: u8) -> KResult<i64> {
    let high = ((u128::from(a.unsigned_abs()) * u128::from(magic)) >> 64) as u64;
    let q = high.checked_shr(shift.into()).unwrap_or(0) as i64;
    Ok(if a < 0 { q.wrapping_neg() } else { q })
}

/// LARGE_INTEGER RtlExtendedIntegerMultiply(LARGE_INTEGER Multiplicand, LONG Multiplier)
pub fn RtlExtendedIntegerMultiply(_k: &mut Kx, a: i64, b: i32) -> KResult<i64> {
    Ok(a.wrapping_mul(b.into()))
}

/// LARGE_INTEGER RtlEnlargedIntegerMultiply(LONG Multiplicand, LONG Multiplier)
pub fn RtlEnlargedIntegerMultiply(_k: &mut Kx, a: i32, b: i32) -> KResult<i64> {
    Ok(i64::from(a) * i64::from(b))
}

/// LARGE_INTEGER RtlEnlargedUnsignedMultiply(ULONG Multiplicand, ULONG Multiplier)
pub fn RtlEnlargedUnsignedMultiply(_k: &mut Kx, a: u32, b: u32) -> KResult<u64> {
    Ok(u64::from(a) * u64::from(b))
}

/// ULONG RtlEnlargedUnsignedDivide(ULARGE_INTEGER Dividend, ULONG Divisor, PULONG Remainder):
/// one x86 `div`: a quotient that does not fit 32 bits faults like a zero divisor.
pub fn RtlEnlargedUnsignedDivide(k: &mut Kx, a: u64, b: u32, remainder: Ptr) -> KResult<u32> {
    let Some(q) = a.checked_div(u64::from(b)).filter(|q| *q <= u64::from(u32::MAX)) else {
        return Err(divide_error(k, "RtlEnlargedUnsignedDivide"));
    };
    if !remainder.is_null() {
        k.mem_mut().write_u32(remainder.0, (a % u64::from(b)) as u32)?;
    }
    Ok(q as u32)
}

/// LARGE_INTEGER RtlConvertLongToLargeInteger(LONG SignedInteger)
pub fn RtlConvertLongToLargeInteger(_k: &mut Kx, v: i32) -> KResult<i64> {
    Ok(v.into())
}

/// LARGE_INTEGER RtlConvertUlongToLargeInteger(ULONG UnsignedInteger)
pub fn RtlConvertUlongToLargeInteger(_k: &mut Kx, v: u32) -> KResult<u64> {
    Ok(v.into())
}

/// ULONG FASTCALL RtlUlongByteSwap(ULONG Source)
pub fn RtlUlongByteSwap(_k: &mut Kx, v: u32) -> KResult<u32> {
    Ok(v.swap_bytes())
}

/// USHORT FASTCALL RtlUshortByteSwap(USHORT Source)
pub fn RtlUshortByteSwap(_k: &mut Kx, v: u16) -> KResult<u16> {
    Ok(v.swap_bytes())
}
