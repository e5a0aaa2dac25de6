//! Raising exceptions in software: `RtlRaiseException`, `ExRaiseStatus`,
//! `ExRaiseAccessViolation`, `ExRaiseDatatypeMisalignment`, and the exceptions kernel
//! routines raise on the driver's behalf (a bad pointer it gave them, a probe that failed).
//!
//! Every raise ends the same way: dispatch, then resume where a handler decided (its
//! `__except` block, or the raiser's caller when a handler continues a continuable
//! exception), or the unhandled-exception bugcheck. None of these routines returns normally.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CpuContext};

use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, EXCEPTION_RECORD};
use crate::seh::codes::{code, flag};
use crate::seh::record::ExceptionRecord;
use crate::seh::{context, dispatch};
use crate::types::{NtStatus, Ptr};

/// Dispatches `record`, raised in context `ctx`; the error says what happens next.
pub(crate) fn raise(k: &mut Kx, record: ExceptionRecord, ctx: CpuContext) -> KError {
    let r = dispatch::dispatch(k, &record, &ctx);
    dispatch::conclude(k, &record, &ctx, r)
}

/// An exception a kernel routine raises from inside itself: its context is the routine's
/// (the host-call slot, a leaf whose caller the unwind finds on the stack), its address the
/// routine's.
pub(crate) fn raise_in_routine(k: &mut Kx, status: u32, flags: u32, params: &[u64]) -> KError {
    let ctx = k.capture_context();
    let record = ExceptionRecord::new(status, flags, ctx.ip, params);
    raise(k, record, ctx)
}

/// `RtlRaiseStatus` from inside a kernel routine: a noncontinuable exception with no
/// parameters.
pub(crate) fn raise_status(k: &mut Kx, status: u32) -> KError {
    raise_in_routine(k, status, flag::NONCONTINUABLE, &[])
}

/// A noncontinuable exception about the record at `about` (an unwind gone wrong).
pub(crate) fn raise_about(k: &mut Kx, status: u32, about: u64) -> KError {
    let ctx = k.capture_context();
    let mut record = ExceptionRecord::new(status, flag::NONCONTINUABLE, ctx.ip, &[]);
    record.chained = about;
    raise(k, record, ctx)
}

/// Bytes an x86 stdcall routine with `args` arguments pops (0 on x64).
fn popped(k: &Kx, args: u64) -> u64 {
    match k.arch() {
        Arch::X86 => 4 * args,
        Arch::X64 => 0,
    }
}

/// Raises a status from the routine's caller, as `RtlRaiseStatus` called there would.
fn raise_from_caller(k: &mut Kx, status: u32, args: u64) -> KResult<()> {
    let ctx = context::caller_context(k, popped(k, args))?;
    let record = ExceptionRecord::new(status, flag::NONCONTINUABLE, ctx.ip, &[]);
    Err(raise(k, record, ctx))
}

/// VOID RtlRaiseException(PEXCEPTION_RECORD ExceptionRecord)
///
/// The caller's record is raised from the caller's context; its ExceptionAddress becomes the
/// caller's return address.
pub fn RtlRaiseException(k: &mut Kx, record: Ptr) -> KResult<()> {
    let ctx = context::caller_context(k, popped(k, 1))?;
    k.mem_mut().set(record.0, EXCEPTION_RECORD::ExceptionAddress, ctx.ip)?;
    let r = ExceptionRecord::read(k.mem(), record.0)?;
    Err(raise(k, r, ctx))
}

/// VOID ExRaiseStatus(NTSTATUS Status)
pub fn ExRaiseStatus(k: &mut Kx, status: NtStatus) -> KResult<()> {
    raise_from_caller(k, status.0, 1)
}

/// VOID ExRaiseAccessViolation(void)
pub fn ExRaiseAccessViolation(k: &mut Kx) -> KResult<()> {
    raise_from_caller(k, code::ACCESS_VIOLATION, 0)
}

/// VOID ExRaiseDatatypeMisalignment(void)
pub fn ExRaiseDatatypeMisalignment(k: &mut Kx) -> KResult<()> {
    raise_from_caller(k, code::DATATYPE_MISALIGNMENT, 0)
}
