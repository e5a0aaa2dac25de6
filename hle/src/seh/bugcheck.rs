//! The bugchecks exceptions end in: an unhandled one (KMODE_EXCEPTION_NOT_HANDLED), and the
//! traps Windows does not dispatch at all (an invalid kernel address, a fault at raised IRQL,
//! a double fault or kernel stack overflow, `__fastfail`).

use portcullis_emu::{Arch, CpuContext};

use crate::ke::bugcheck::name;
use crate::kernel::{bugcheck_stop, Bugcheck, KError, Kx};
use crate::seh::record::ExceptionRecord;
use crate::seh::{context, events};
use crate::status_names;

pub const KMODE_EXCEPTION_NOT_HANDLED: u32 = 0x1E;
/// What an unhandled exception in a system thread is; see [`unhandled`].
pub const SYSTEM_THREAD_EXCEPTION_NOT_HANDLED: u32 = 0x7E;
pub const IRQL_NOT_LESS_OR_EQUAL: u32 = 0x0A;
pub const PAGE_FAULT_IN_NONPAGED_AREA: u32 = 0x50;
pub const UNEXPECTED_KERNEL_MODE_TRAP: u32 = 0x7F;
pub const DRIVER_IRQL_NOT_LESS_OR_EQUAL: u32 = 0xD1;
pub const ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY: u32 = 0xFC;
pub const ATTEMPTED_WRITE_TO_READONLY_MEMORY: u32 = 0xBE;
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
/// In a system thread (PsCreateSystemThread's, a worker thread) the exception reaches the
/// handler Windows wraps every system thread's start routine in (PspSystemThreadStartup's),
/// which raises SYSTEM_THREAD_EXCEPTION_NOT_HANDLED instead: the code, the address, and the
/// exception and context records (copies on the thread's stack, as the dispatcher's are).
/// The threads the host calls the driver on, and DPCs, have no such handler.
pub(crate) fn unhandled(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext) -> KError {
    let arch = k.arch();
    let what = status_names::describe(record.code);
    let reason = format!("{what} at {:#x} was not handled", record.address);
    // In user-mode code (an unwind that missed its target, an exception raised about one
    // being dispatched) nothing bugchecks: the process ends with the code.
    if k.privilege() == portcullis_emu::Privilege::User {
        return KError::Stop(portcullis_emu::Stop::Host(crate::kernel::KernelStop::UserException {
            code: record.code,
            pc: record.address,
            reason,
        }));
    }
    if in_system_thread(k) {
        let (exr, cxr) = records_for_bugcheck(k, record, ctx);
        let params = [status_param(arch, record.code), record.address, exr, cxr];
        return stop(
            k,
            SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
            params,
            record.address,
            format!("{reason} in a system thread"),
        );
    }
    let p = |i: usize| record.params.get(i).copied().unwrap_or(0);
    let params = [status_param(arch, record.code), record.address, p(0), p(1)];
    stop(k, KMODE_EXCEPTION_NOT_HANDLED, params, record.address, reason)
}

/// Whether the flow running is a system thread: created by PsCreateSystemThread (or a worker
/// thread), not one the host calls the driver on, not a DPC.
fn in_system_thread(k: &Kx) -> bool {
    k.ext().sched.current().thread().is_some_and(|t| t.system && !t.host)
}

/// Writes the exception record and its context below the stack pointer for the bugcheck's
/// parameters (the run ends: nothing reuses the space); their addresses, or 0 where the
/// stack has no room for them.
fn records_for_bugcheck(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext) -> (u64, u64) {
    let arch = k.arch();
    let record_size = ExceptionRecord::size(arch).next_multiple_of(16);
    let bytes = record_size + context::size(arch).next_multiple_of(16);
    let sp = k.reg(portcullis_emu::Reg::Sp);
    let (low, _) = k.stack_limits();
    let base = sp.wrapping_sub(bytes + 0x40) & !0xF;
    if base < low || base > sp {
        return (0, 0);
    }
    let written =
        record.write(k.mem_mut(), base).and_then(|_| context::write_full(k.mem_mut(), base + record_size, ctx));
    match written {
        Ok(()) => (base, base + record_size),
        Err(_) => (0, 0),
    }
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
