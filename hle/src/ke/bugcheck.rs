//! KeBugCheckEx and KeBugCheck, and the names of bugcheck codes.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};

/// VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
/// Never returns: the run ends with the bugcheck.
pub fn KeBugCheckEx(
    k: &mut Kx,
    code: u32,
    p1: crate::types::SizeT,
    p2: crate::types::SizeT,
    p3: crate::types::SizeT,
    p4: crate::types::SizeT,
) -> KResult<()> {
    let b = Bugcheck {
        code,
        name: name(code),
        params: [p1.0, p2.0, p3.0, p4.0],
        caller: caller(k),
        reason: "KeBugCheckEx called by the driver".into(),
    };
    Err(KError::Stop(bugcheck_stop(k, b)))
}

/// VOID KeBugCheck(ULONG BugCheckCode): KeBugCheckEx with four zero parameters.
pub fn KeBugCheck(k: &mut Kx, code: u32) -> KResult<()> {
    let b = Bugcheck {
        code,
        name: name(code),
        params: [0; 4],
        caller: caller(k),
        reason: "KeBugCheck called by the driver".into(),
    };
    Err(KError::Stop(bugcheck_stop(k, b)))
}

/// The symbolic name of a bugcheck code ("" when unknown).
pub fn name(code: u32) -> &'static str {
    match code {
        0x01 => "APC_INDEX_MISMATCH",
        0x09 => "IRQL_NOT_GREATER_OR_EQUAL",
        0x0A => "IRQL_NOT_LESS_OR_EQUAL",
        0x18 => "REFERENCE_BY_POINTER",
        0x19 => "BAD_POOL_HEADER",
        0x1E => "KMODE_EXCEPTION_NOT_HANDLED",
        0x35 => "NO_MORE_IRP_STACK_LOCATIONS",
        0x3B => "SYSTEM_SERVICE_EXCEPTION",
        0x3F => "NO_MORE_SYSTEM_PTES",
        0x44 => "MULTIPLE_IRP_COMPLETE_REQUESTS",
        0x4A => "IRQL_GT_ZERO_AT_SYSTEM_SERVICE",
        0x50 => "PAGE_FAULT_IN_NONPAGED_AREA",
        0x7E => "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED",
        0x7F => "UNEXPECTED_KERNEL_MODE_TRAP",
        0x8E => "KERNEL_MODE_EXCEPTION_NOT_HANDLED",
        0xBE => "ATTEMPTED_WRITE_TO_READONLY_MEMORY",
        0xC2 => "BAD_POOL_CALLER",
        0xC4 => "DRIVER_VERIFIER_DETECTED_VIOLATION",
        0xCE => "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS",
        0xD1 => "DRIVER_IRQL_NOT_LESS_OR_EQUAL",
        0xE2 => "MANUALLY_INITIATED_CRASH",
        0xF7 => "DRIVER_OVERRAN_STACK_BUFFER",
        0xFC => "ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY",
        0x10D => "WDF_VIOLATION",
        0x139 => "KERNEL_SECURITY_CHECK_FAILURE",
        _ => "",
    }
}
