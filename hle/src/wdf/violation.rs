//! WDF_VIOLATION (0x10D): the bugcheck the framework raises for misuse its checks catch, with
//! the subcodes of Microsoft's `wdfbugcodes.h` in Parameter 1.

use crate::kernel::{bugcheck_stop, Bugcheck, KError, Kx};

pub const WDF_VIOLATION: u32 = 0x10D;

/// Parameter 1 of WDF_VIOLATION (`WDF_BUGCHECK_CODES`).
pub mod code {
    pub const VERIFIER_FATAL_ERROR: u64 = 0x3;
    pub const REQUIRED_PARAMETER_IS_NULL: u64 = 0x4;
    pub const INVALID_HANDLE: u64 = 0x5;
    pub const REQUEST_FATAL_ERROR: u64 = 0x6;
    pub const INVALID_LOCK_OPERATION: u64 = 0xB;
}

/// Ends the run with WDF_VIOLATION.
pub fn raise(k: &mut Kx, params: [u64; 4], caller: u64, reason: String) -> KError {
    let b = Bugcheck { code: WDF_VIOLATION, name: "WDF_VIOLATION", params, caller, reason };
    KError::Stop(bugcheck_stop(k, b))
}

/// A NULL where the function requires a handle or pointer: Parameter 2 is the caller.
pub fn null_parameter(k: &mut Kx, function: &str, what: &str) -> KError {
    let at = crate::kernel::caller(k);
    raise(k, [code::REQUIRED_PARAMETER_IS_NULL, at, 0, 0], at, format!("{function}: {what} is NULL"))
}

/// A handle that names no live object of the kind the function takes (deleted, completed,
/// never made, or another kind): Parameter 2 is the handle, 3 the kind expected.
pub fn invalid_handle(k: &mut Kx, function: &str, handle: u64, expected: super::ObjectKind, why: &str) -> KError {
    let at = crate::kernel::caller(k);
    raise(
        k,
        [code::INVALID_HANDLE, handle, expected as u64, 0],
        at,
        format!("{function}: {handle:#x} is not a live {} ({why})", expected.name()),
    )
}
