//! The compiler helpers x86 code calls for 64-bit arithmetic (`_allmul`, `_alldiv`,
//! `_aulldiv`, `_allrem`, `_aullrem`, `_alldvrm`, `_aulldvrm`, `_allshl`, `_allshr`,
//! `_aullshr`) and x64's `__chkstk`, with the register conventions the compilers expect:
//!
//! * multiply, divide and remainder take two 64-bit operands on the stack, pop them (16
//!   bytes) and return in EDX:EAX; `_alldvrm`/`_aulldvrm` also return the remainder in
//!   EBX:ECX;
//! * the shifts take the value in EDX:EAX and the count in CL, pop nothing, and return in
//!   EDX:EAX (a count of 64 or more shifts everything out);
//! * `__chkstk` takes the size in RAX, touches every page of the stack the caller is about to
//!   use, and preserves every register.
//!
//! Signed division works on magnitudes, as the helpers do: `i64::MIN / -1` wraps to
//! `i64::MIN` instead of faulting. A zero divisor raises the #DE the helpers' `div`
//! instruction raises on Windows, at the helper.
#![allow(non_snake_case)]

use portcullis_emu::{Reg, PAGE_SIZE};

use crate::kernel::{KError, KResult, Kx};
use crate::types::SizeT;

/// The #DE a division by zero raises inside the helper: STATUS_INTEGER_DIVIDE_BY_ZERO,
/// dispatched to the driver's handlers like the `div` instruction's trap (unhandled, it is
/// the bugcheck every unhandled kernel-mode exception is).
fn divide_error(k: &mut Kx, _helper: &str) -> KError {
    crate::seh::raise::raise_in_routine(k, crate::seh::codes::code::INTEGER_DIVIDE_BY_ZERO, 0, &[])
}

/// __int64 _allmul(__int64 a, __int64 b): the low 64 bits of the product.
pub fn _allmul(_k: &mut Kx, a: i64, b: i64) -> KResult<i64> {
    Ok(a.wrapping_mul(b))
}

/// __int64 _alldiv(__int64 dividend, __int64 divisor)
pub fn _alldiv(k: &mut Kx, a: i64, b: i64) -> KResult<i64> {
    if b == 0 {
        return Err(divide_error(k, "_alldiv"));
    }
    Ok(a.wrapping_div(b))
}

/// unsigned __int64 _aulldiv(unsigned __int64 dividend, unsigned __int64 divisor)
pub fn _aulldiv(k: &mut Kx, a: u64, b: u64) -> KResult<u64> {
    a.checked_div(b).ok_or_else(|| divide_error(k, "_aulldiv"))
}

/// __int64 _allrem(__int64 dividend, __int64 divisor): the remainder has the dividend's sign.
pub fn _allrem(k: &mut Kx, a: i64, b: i64) -> KResult<i64> {
    if b == 0 {
        return Err(divide_error(k, "_allrem"));
    }
    Ok(a.wrapping_rem(b))
}

/// unsigned __int64 _aullrem(unsigned __int64 dividend, unsigned __int64 divisor)
pub fn _aullrem(k: &mut Kx, a: u64, b: u64) -> KResult<u64> {
    a.checked_rem(b).ok_or_else(|| divide_error(k, "_aullrem"))
}

/// Puts a remainder in EBX:ECX, where the divide-and-remainder helpers return it.
fn set_remainder(k: &mut Kx, r: u64) {
    k.set_reg(Reg::Bx, r >> 32);
    k.set_reg(Reg::Cx, r & 0xFFFF_FFFF);
}

/// _alldvrm(__int64 dividend, __int64 divisor): quotient in EDX:EAX, remainder in EBX:ECX.
pub fn _alldvrm(k: &mut Kx, a: i64, b: i64) -> KResult<i64> {
    if b == 0 {
        return Err(divide_error(k, "_alldvrm"));
    }
    set_remainder(k, a.wrapping_rem(b) as u64);
    Ok(a.wrapping_div(b))
}

/// _aulldvrm(unsigned __int64 dividend, unsigned __int64 divisor): quotient in EDX:EAX,
/// remainder in EBX:ECX.
pub fn _aulldvrm(k: &mut Kx, a: u64, b: u64) -> KResult<u64> {
    if b == 0 {
        return Err(divide_error(k, "_aulldvrm"));
    }
    set_remainder(k, a % b);
    Ok(a / b)
}

/// _allshl: EDX:EAX << CL.
pub fn _allshl(_k: &mut Kx, value: u64, count: u8) -> KResult<u64> {
    Ok(value.checked_shl(count.into()).unwrap_or(0))
}

/// _allshr: EDX:EAX >> CL, arithmetic (the sign fills in).
pub fn _allshr(_k: &mut Kx, value: i64, count: u8) -> KResult<i64> {
    Ok(value >> u32::from(count).min(63))
}

/// _aullshr: EDX:EAX >> CL, logical.
pub fn _aullshr(_k: &mut Kx, value: u64, count: u8) -> KResult<u64> {
    Ok(value.checked_shr(count.into()).unwrap_or(0))
}

/// __chkstk (x64): touches each page from the stack pointer down to `size` bytes below the
/// caller's frame, so a stack that is too small faults here, as on Windows; returns RAX
/// unchanged (the caller subtracts it from RSP next).
pub fn __chkstk(k: &mut Kx, size: SizeT) -> KResult<SizeT> {
    // At entry RSP points at the return address; the caller's RSP is 8 above it.
    let caller_sp = k.reg(Reg::Sp).wrapping_add(8);
    let bottom = caller_sp.saturating_sub(size.0);
    let mut page = caller_sp & !(PAGE_SIZE - 1);
    while page > bottom {
        page = page.wrapping_sub(PAGE_SIZE);
        k.mem().read_u8(page.max(bottom))?;
    }
    Ok(size)
}
