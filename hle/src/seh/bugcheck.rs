//! The bugchecks exceptions end in: an unhandled one (KMODE_EXCEPTION_NOT_HANDLED), and the
//! traps Windows does not dispatch at all (an invalid kernel address, a fault at raised IRQL,
//! a double fault or kernel stack overflow, `__fastfail`).

use portcullis_emu::{Arch, CpuContext};

use crate::ke::bugcheck::name;
use crate::kernel::{bugcheck_stop, Bugcheck, KError, Kx};
use crate::seh::events;
use crate::seh::record::ExceptionRecord;
use crate::status_names;

pub const KMODE_EXCEPTION_NOT_HANDLED: u32 = 0x1E;
/// What an unhandled exception in a system thread is; see [`unhandled`].
pub const SYSTEM_THREAD_EXCEPTION_NOT_HANDLED: u32 = 0x7E;
pub const IRQL_NOT_LESS_OR_EQUAL: u32 = 0x0A;
pub const PAGE_FAULT_IN_NONPAGED_AREA: u32 = 0x50;
pub const UNEXPECTED_KERNEL_MODE_TRAP: u32 = 0x7F;
pub const DRIVER_IRQL_NOT_LESS_OR_EQUAL: u32 = 0xD1;
pub const ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY: u32 = 0xFC;
pub const KERNEL_SECURITY_CHECK_FAILURE: u32 = 0x139;
/// UNEXPECTED_KERNEL_MODE_TRAP's parameter for a double fault (a kernel stack overflow).
pub const EXCEPTION_DOUBLE_FAULT: u64 = 8;

/// An NTSTATUS as a bugcheck parameter: sign-extended, as KeBugCheckEx receives a LONG.
pub fn status_param(arch: Arch, status: u32) -> u64 {
    arch.mask(status as i32 as i64 as u64)
}

fn stop(k: &mut Kx, code: u32, params: [u64; 4], caller: u64, reason: String) -> KError {
    let b = Bugcheck { code, name: name(code), params, caller, reason };
    KError::Stop(bugcheck_stop(k, b))
}

/// The bugcheck an exception no handler took ends in: KMODE_EXCEPTION_NOT_HANDLED with the
/// code, the address and the first two parameters.
///
/// In a system thread Windows raises SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E: code,
/// address, exception record, context record) instead. Drivers here run on one kernel
/// stack with no thread model yet; once threads exist, this is where the current thread
/// picks the code.
pub(crate) fn unhandled(k: &mut Kx, record: &ExceptionRecord, _ctx: &CpuContext) -> KError {
    let arch = k.arch();
    let p = |i: usize| record.params.get(i).copied().unwrap_or(0);
    let params = [status_param(arch, record.code), record.address, p(0), p(1)];
    let what = status_names::describe(record.code);
    stop(
        k,
        KMODE_EXCEPTION_NOT_HANDLED,
        params,
        record.address,
        format!("{what} at {:#x} was not handled", record.address),
    )
}

/// What a page fault on `address` was doing, as PAGE_FAULT_IN_NONPAGED_AREA's and
/// DRIVER_IRQL_NOT_LESS_OR_EQUAL's second/third parameter has it on Windows 7: 0 read,
/// 1 write (an instruction fetch counts as a read), and as an access violation's first
/// parameter: 0 read, 1 write, 8 execute.
pub fn access_code(write: bool, execute: bool, for_bugcheck: bool) -> u64 {
    match (write, execute) {
        (true, _) => 1,
        (false, true) if !for_bugcheck => 8,
        _ => 0,
    }
}

/// A trap Windows turns into a bugcheck without dispatching it; `record` describes it as the
/// trap frame would, for the report.
pub(crate) fn fatal(
    k: &mut Kx,
    code: u32,
    params: [u64; 4],
    record: &ExceptionRecord,
    ctx: &CpuContext,
    reason: String,
) -> KError {
    events::fatal(k, record, ctx);
    stop(k, code, params, record.address, reason)
}

/// The kernel stack ran out (a recursion of exceptions, say): the double fault that follows
/// on Windows is UNEXPECTED_KERNEL_MODE_TRAP (8).
pub(crate) fn stack_overflow(k: &mut Kx, sp: u64) -> KError {
    let reason = format!("kernel stack overflow (stack pointer {sp:#x})");
    let pc = k.reg(portcullis_emu::Reg::Ip);
    stop(k, UNEXPECTED_KERNEL_MODE_TRAP, [EXCEPTION_DOUBLE_FAULT, 0, 0, 0], pc, reason)
}
