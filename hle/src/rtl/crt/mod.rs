//! The C runtime the kernel exports: string and wide-string functions (with the secure `_s`
//! variants), character classes, number conversions, the `printf` family, `qsort`/`bsearch`,
//! `rand`/`srand`, and the x86 compiler helpers for 64-bit arithmetic.
//!
//! The kernel's C runtime runs in the "C" locale: the narrow character functions know ASCII
//! only. Strings are read from guest memory until their terminator; a pointer that cannot be
//! read is the page fault Windows would take. The secure functions' invalid-parameter handler
//! is the kernel's: it bugchecks with DRIVER_INVALID_CRUNTIME_PARAMETER (there is no `errno`
//! to return to in kernel mode), except for `_TRUNCATE` requests, which truncate and return
//! STRUNCATE as documented.

pub mod convert;
pub mod ctype;
pub mod format;
pub mod math;
pub mod purecall;
pub mod random;
pub mod sort;
pub mod string;
pub mod wide;

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};

use super::string::{read_cstr, read_wstr};

/// The longest string a C runtime function scans for its terminator: more than the guest's
/// memory, so in practice only the terminator or unmapped memory ends a scan.
pub const MAX_SCAN: usize = 1 << 30;

/// `errno_t` values the secure functions return.
pub const EINVAL: i32 = 22;
pub const ERANGE: i32 = 34;
pub const STRUNCATE: i32 = 80;
/// `_TRUNCATE`: the count that asks a secure function to truncate instead of failing.
pub const TRUNCATE: u64 = u64::MAX;

/// The kernel's invalid-parameter handler: bugcheck 0x110, DRIVER_INVALID_CRUNTIME_PARAMETER.
pub fn invalid_parameter(k: &mut Kx, what: &str) -> KError {
    let at = caller(k);
    let b = Bugcheck {
        code: 0x110,
        name: "DRIVER_INVALID_CRUNTIME_PARAMETER",
        params: [0; 4],
        caller: at,
        reason: format!("invalid parameter to a C runtime function: {what}"),
    };
    KError::Stop(bugcheck_stop(k, b))
}

/// The NUL-terminated byte string at `at`.
pub fn cstr(k: &Kx, at: u64) -> KResult<Vec<u8>> {
    Ok(read_cstr(k.mem(), at, MAX_SCAN)?)
}

/// The NUL-terminated wide string at `at`.
pub fn wstr(k: &Kx, at: u64) -> KResult<Vec<u16>> {
    Ok(read_wstr(k.mem(), at, MAX_SCAN)?)
}

/// A `_TRUNCATE`-aware count on this architecture (`(size_t)-1` is pointer-sized).
pub fn is_truncate(k: &Kx, count: u64) -> bool {
    count == k.arch().mask(TRUNCATE)
}
