//! x86 frame-based exception handling: the `fs:[0]` chain of registration records
//! (KPCR.NtTib.ExceptionList) and `RtlUnwind`, which calls the handlers of the records above
//! a target with the unwinding flags and takes them off the chain.
//!
//! While the kernel calls a handler it links a registration of its own in front of it, as
//! Windows' `RtlpExecuteHandler2` does: the handler of that record (an internal kernel
//! routine) tells a dispatch that meets it that the exception is nested, and an unwind that
//! meets it that it collided with the unwind in progress.
#![allow(non_snake_case)]

use portcullis_emu::Reg;

use crate::ke::processor::{current_kpcr, kpcr_of};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DISPATCHER_CONTEXT, EXCEPTION_REGISTRATION_RECORD};
use crate::seh::codes::{code, flag, Disposition, EXCEPTION_CHAIN_END};
use crate::seh::dispatch::MAX_FRAMES;
use crate::seh::frames::{self, InvocationKind};
use crate::seh::record::ExceptionRecord;
use crate::seh::{context, raise};
use crate::types::{Ptr, SizeT};

/// The first registration record (fs:[0]): in kernel mode the current processor's KPCR,
/// where the thread running there keeps its chain; in user mode the thread's TEB.
pub(crate) fn head(k: &Kx) -> KResult<u64> {
    Ok(k.mem().read_u32(tib(k)?)? as u64)
}

pub(crate) fn set_head(k: &mut Kx, reg: u64) -> KResult<()> {
    let at = tib(k)?;
    k.mem_mut().write_u32(at, reg as u32)?;
    Ok(())
}

/// The NT_TIB fs:[0] points at now.
fn tib(k: &Kx) -> KResult<u64> {
    if k.privilege() == portcullis_emu::Privilege::User {
        return crate::seh::user::teb(k);
    }
    Ok(current_kpcr(k))
}

/// Puts a flow's part of the NT_TIB in processor `cpu`'s KPCR (x86), as Windows' context
/// switch does for the thread it switches to: its registration chain, and its stack's bounds
/// (`(lowest, highest)` address, the highest one past the end).
pub(crate) fn load_tib(k: &mut Kx, cpu: u32, exception_list: u64, stack: (u64, u64)) -> KResult<()> {
    if k.arch() != portcullis_emu::Arch::X86 {
        return Ok(());
    }
    let kpcr = kpcr_of(k, cpu);
    let mem = k.mem_mut();
    mem.write_u32(kpcr, exception_list as u32)?; // NtTib.ExceptionList
    mem.write_u32(kpcr + 4, stack.1 as u32)?; // NtTib.StackBase
    mem.write_u32(kpcr + 8, stack.0 as u32)?; // NtTib.StackLimit
    Ok(())
}

/// The registration chain processor `cpu`'s NT_TIB holds now (x86), as the context switch
/// saves it for the thread switched away from.
pub(crate) fn chain_of(k: &Kx, cpu: u32) -> KResult<u64> {
    if k.arch() != portcullis_emu::Arch::X86 {
        return Ok(EXCEPTION_CHAIN_END);
    }
    Ok(k.mem().read_u32(kpcr_of(k, cpu))? as u64)
}

/// Which kernel handler guards a handler call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Guard {
    /// A dispatch: meeting it makes an exception nested.
    Exception,
    /// An unwind: meeting it makes an unwind collide.
    Unwind,
    /// `_local_unwind2` running termination handlers.
    LocalUnwind,
}

impl Guard {
    fn routine(self) -> &'static str {
        match self {
            Guard::Exception => "RtlpNestedExceptionHandler",
            Guard::Unwind => "RtlpCollidedUnwindHandler",
            Guard::LocalUnwind => "RtlpLocalUnwindHandler",
        }
    }
}

/// The address of an internal kernel routine.
pub(crate) fn routine(k: &Kx, name: &str) -> u64 {
    let calls = &k.ext().calls;
    calls.functions.internal_slot(name).map(|s| calls.address(s)).unwrap_or(0)
}

/// Runs `f` with a guard registration at `at` linked at the head of the chain: `{Next,
/// Handler, Establisher}` where Establisher is `establisher` (the record whose handler is
/// being called). The chain is put back as it was unless `f` changed it (an unwind took
/// records off).
pub(crate) fn guarded<T>(
    k: &mut Kx,
    at: u64,
    establisher: u64,
    guard: Guard,
    f: impl FnOnce(&mut Kx) -> KResult<T>,
) -> KResult<T> {
    let previous = head(k)?;
    let handler = routine(k, guard.routine());
    let mem = k.mem_mut();
    mem.set(at, EXCEPTION_REGISTRATION_RECORD::Next, previous)?;
    mem.set(at, EXCEPTION_REGISTRATION_RECORD::Handler, handler)?;
    mem.write_u32(at + 8, establisher as u32)?;
    set_head(k, at)?;
    let r = f(k);
    if head(k)? == at {
        set_head(k, previous)?;
    }
    r
}

/// EXCEPTION_DISPOSITION RtlpNestedExceptionHandler(...) (internal): the guard of a handler
/// called by a dispatch. A dispatch that meets it learns which record the outer one was at.
pub fn RtlpNestedExceptionHandler(
    k: &mut Kx,
    record: Ptr,
    establisher: Ptr,
    _ctx: Ptr,
    dispatcher: Ptr,
) -> KResult<u32> {
    let flags = ExceptionRecord::read(k.mem(), record.0)?.flags;
    if flags & flag::UNWIND != 0 {
        return Ok(Disposition::ContinueSearch.raw());
    }
    let outer = k.mem().read_u32(establisher.0 + 8)? as u64;
    k.mem_mut().set(dispatcher.0, DISPATCHER_CONTEXT::RegistrationPointer, outer)?;
    Ok(Disposition::NestedException.raw())
}

/// EXCEPTION_DISPOSITION RtlpCollidedUnwindHandler(...) (internal): the guard of a handler
/// called by an unwind. Another unwind that meets it goes on from the record the first one
/// was at.
pub fn RtlpCollidedUnwindHandler(
    k: &mut Kx,
    record: Ptr,
    establisher: Ptr,
    _ctx: Ptr,
    dispatcher: Ptr,
) -> KResult<u32> {
    let flags = ExceptionRecord::read(k.mem(), record.0)?.flags;
    if flags & flag::UNWIND == 0 {
        return Ok(Disposition::ContinueSearch.raw());
    }
    let outer = k.mem().read_u32(establisher.0 + 8)? as u64;
    k.mem_mut().set(dispatcher.0, DISPATCHER_CONTEXT::RegistrationPointer, outer)?;
    Ok(Disposition::CollidedUnwind.raw())
}

/// Unwinds the chain down to `target` (0: all of it, an exit unwind), calling each record's
/// handler with `record` (0: a STATUS_UNWIND record is made) and the unwinding flags.
/// Returns normally once the target is at the head; an invalid chain raises.
pub(crate) fn unwind(k: &mut Kx, target: u64, record: u64, return_value: u64) -> KResult<()> {
    let (low, high) = k.stack_limits();
    // Where the unwind was asked for: the return address of the routine asking.
    let asked_at = k.mem().read_ptr(k.reg(Reg::Sp)).unwrap_or(0);
    let scratch = crate::seh::dispatch::Records::size(k.arch());
    frames::with_scratch(k, scratch, |k, base| {
        let rec_at = if record == 0 { base } else { record };
        let dispatcher = base + 0x60;
        let guard = base + 0x70;
        let ctx_at = base + 0x80;
        if record == 0 {
            ExceptionRecord::new(code::UNWIND, 0, asked_at, &[]).write(k.mem_mut(), rec_at)?;
        }
        let mut flags = ExceptionRecord::read(k.mem(), rec_at)?.flags | flag::UNWINDING;
        if target == 0 {
            flags |= flag::EXIT_UNWIND;
        }
        let mut ctx = k.capture_context();
        ctx.set(Reg::Ax, return_value);
        context::write_full(k.mem_mut(), ctx_at, &ctx)?;
        let mut reg = head(k)?;
        for _ in 0..MAX_FRAMES {
            if reg == EXCEPTION_CHAIN_END {
                break;
            }
            if reg == target {
                return Ok(());
            }
            if target != 0 && target < reg {
                return Err(raise::raise_about(k, code::INVALID_UNWIND_TARGET, rec_at));
            }
            if reg < low || reg + 8 > high || reg & 3 != 0 {
                return Err(raise::raise_about(k, code::BAD_STACK, rec_at));
            }
            let handler = k.mem().get(reg, EXCEPTION_REGISTRATION_RECORD::Handler)?;
            ExceptionRecord::write_flags(k.mem_mut(), rec_at, flags)?;
            k.mem_mut().set(dispatcher, DISPATCHER_CONTEXT::RegistrationPointer, 0)?;
            let kind = InvocationKind::Unwind { dispatcher_context: dispatcher };
            let args = [rec_at, reg, ctx_at, dispatcher];
            let raw = guarded(k, guard, reg, Guard::Unwind, |k| frames::invoke(k, kind, handler, &args))?;
            match Disposition::from_raw(raw) {
                Disposition::ContinueSearch => {}
                Disposition::CollidedUnwind => {
                    reg = k.mem().get(dispatcher, DISPATCHER_CONTEXT::RegistrationPointer)?;
                }
                _ => return Err(raise::raise_about(k, code::INVALID_DISPOSITION, rec_at)),
            }
            let next = k.mem().get(reg, EXCEPTION_REGISTRATION_RECORD::Next)?;
            set_head(k, next)?;
            reg = next;
        }
        if target == 0 || target == EXCEPTION_CHAIN_END {
            return Ok(());
        }
        // The target was never met: the second chance Windows gives an unwind that did not
        // find its frame ends, in kernel mode, in the unhandled-exception bugcheck.
        let r = ExceptionRecord::read(k.mem(), rec_at)?;
        crate::seh::events::unwind_failed(k, &r, &ctx);
        Err(crate::seh::bugcheck::unhandled(k, &r, &ctx))
    })
}

/// VOID RtlUnwind(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
/// PVOID ReturnValue) (x86)
///
/// Returns to its caller with EAX = ReturnValue once the registrations above TargetFrame are
/// unwound (TargetIp is not used on x86).
pub fn RtlUnwind(k: &mut Kx, target: Ptr, _target_ip: Ptr, record: Ptr, value: Ptr) -> KResult<SizeT> {
    unwind(k, target.0, record.0, value.0)?;
    Ok(SizeT(value.0))
}
