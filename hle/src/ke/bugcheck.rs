//! KeBugCheckEx and KeBugCheck, the names of bugcheck codes, and KiBugCheckData (the code
//! and parameters of the crash in progress, which bugcheck callbacks read).
#![allow(non_snake_case)]

use crate::exports::Dll;
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};

/// Places KiBugCheckData (ULONG_PTR[5], zero until a crash) in ntoskrnl's .data.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let size = 5 * k.arch().ptr_size();
    crate::loader::system::variable(k, Dll::Ntoskrnl, "KiBugCheckData", size)?;
    Ok(())
}

/// The system is crashing with `b`: KiBugCheckData gets its code and parameters.
pub(crate) fn record_data(k: &mut Kx, b: &Bugcheck) {
    let Some(at) = k.ext().system.data_export(Dll::Ntoskrnl, "KiBugCheckData") else { return };
    let ps = k.arch().ptr_size();
    let values = [b.code as u64, b.params[0], b.params[1], b.params[2], b.params[3]];
    for (i, v) in values.into_iter().enumerate() {
        // The block is the kernel's own .data: writing it cannot fail.
        let _ = k.mem_mut().write_ptr(at + i as u64 * ps, v);
    }
}

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
