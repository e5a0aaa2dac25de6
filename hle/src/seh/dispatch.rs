//! Exception dispatch, as `KiDispatchException` and `RtlDispatchException` do it: the
//! exception record and context are written to the guest stack, then the frames above the
//! exception are searched for a handler — by unwinding (x64: each image's function table) or
//! along the `fs:[0]` registration chain (x86) — and each handler found is called in the
//! guest. A handler that accepts the exception unwinds to its own frame (that call never
//! comes back: it arrives here as `Stop::Unwind`); one that says continue execution resumes
//! the context as the handlers left it; one that raises an exception itself starts a nested
//! dispatch, which marks the frames the outer one had searched with EXCEPTION_NESTED_CALL.

use portcullis_emu::{Arch, CpuContext, Stop};

use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, DISPATCHER_CONTEXT, EXCEPTION_REGISTRATION_RECORD};
use crate::seh::codes::{code, flag, Disposition, EXCEPTION_CHAIN_END};
use crate::seh::frames::{self, Arrival, InvocationKind};
use crate::seh::record::ExceptionRecord;
use crate::seh::unwind_info::unw;
use crate::seh::virtual_unwind::{virtual_unwind, Image};
use crate::seh::{context, events, pdata, x86_frames};

/// Most frames one walk visits: a stack that does not end is a corrupt one.
pub(crate) const MAX_FRAMES: usize = 4096;

/// How a dispatch ended without a handler unwinding to its frame.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    /// A handler said continue: resume at this context (the record's, as handlers left it).
    Continue(Box<CpuContext>),
    /// No handler took it.
    Unhandled,
}

/// The records a dispatch writes on the guest stack.
pub(crate) struct Records {
    pub record: u64,
    pub context: u64,
    /// The context of the frame being handled (DISPATCHER_CONTEXT.ContextRecord).
    pub frame_context: u64,
    pub dispatcher: u64,
    /// x86: the registration guarding a handler call (RtlpExecuteHandler2's).
    pub guard: u64,
}

impl Records {
    fn layout(arch: Arch, base: u64) -> (Records, u64) {
        let r = ExceptionRecord::size(arch).next_multiple_of(16);
        let c = context::size(arch).next_multiple_of(16);
        let d = DISPATCHER_CONTEXT::STRUCT.size(arch).next_multiple_of(16);
        let records = Records {
            record: base,
            context: base + r,
            frame_context: base + r + c,
            dispatcher: base + r + 2 * c,
            guard: base + r + 2 * c + d,
        };
        (records, r + 2 * c + d + 16)
    }

    pub(crate) fn size(arch: Arch) -> u64 {
        Records::layout(arch, 0).1
    }
}

/// Dispatches `record`, raised in context `ctx`, and records how that ended. Returns how it
/// ended unless a handler unwound to its frame (then the `Stop::Unwind` comes back as the
/// error, on its way to the call whose frames hold the target).
pub(crate) fn dispatch(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext) -> KResult<Outcome> {
    // In user-mode code (an exception raised about one being dispatched there), the
    // program's top-level filter has the last word, as for any of its exceptions.
    if k.privilege() == portcullis_emu::Privilege::User {
        return crate::seh::user::dispatch_in_program(k, record, ctx);
    }
    dispatch_then(k, record, ctx, |_, _, _| Ok(Outcome::Unhandled))
}

/// [`dispatch`], with `last_chance` deciding on an exception no frame handler took while its
/// records are still on the stack (a user-mode program's top-level filter).
pub(crate) fn dispatch_then(
    k: &mut Kx,
    record: &ExceptionRecord,
    ctx: &CpuContext,
    last_chance: impl FnOnce(&mut Kx, &Records, &CpuContext) -> KResult<Outcome>,
) -> KResult<Outcome> {
    let arch = k.arch();
    let r = frames::with_scratch(k, Records::size(arch), |k, base| {
        let (at, _) = Records::layout(arch, base);
        record.write(k.mem_mut(), at.record)?;
        context::write_full(k.mem_mut(), at.context, ctx)?;
        let searched = match arch {
            Arch::X64 => search_x64(k, &at, record.flags, ctx),
            Arch::X86 => search_x86(k, &at, record.flags, ctx),
        }?;
        match searched {
            Outcome::Unhandled => last_chance(k, &at, ctx),
            handled => Ok(handled),
        }
    });
    events::dispatched(k, record, ctx, &r);
    r
}

/// Raises a new, noncontinuable exception about the one at `at` (a handler continued a
/// noncontinuable exception, or returned nonsense), from the same place.
fn raise_about(k: &mut Kx, at: &Records, status: u32, ctx: &CpuContext) -> KResult<Outcome> {
    let mut r = ExceptionRecord::new(status, flag::NONCONTINUABLE, ctx.ip, &[]);
    r.chained = at.record;
    // Windows raises it with RtlRaiseException: unhandled, it is this exception the
    // bugcheck names, not the one being dispatched.
    match dispatch(k, &r, ctx) {
        Ok(Outcome::Unhandled) => Err(conclude(k, &r, ctx, Ok(Outcome::Unhandled))),
        other => other,
    }
}

/// The record flags a handler may have changed (it may only add NONCONTINUABLE).
fn merge_flags(k: &Kx, at: &Records, flags: u32) -> KResult<u32> {
    let now = ExceptionRecord::read(k.mem(), at.record)?.flags;
    Ok(flags | (now & flag::NONCONTINUABLE))
}

/// What a handler's disposition means for the search.
enum Next {
    Search,
    Done(KResult<Outcome>),
}

fn after_handler(
    k: &mut Kx,
    at: &Records,
    disposition: Disposition,
    flags: &mut u32,
    nested: &mut u64,
    nested_from: u64,
    original: &CpuContext,
) -> KResult<Next> {
    Ok(match disposition {
        Disposition::ContinueExecution if *flags & flag::NONCONTINUABLE != 0 => {
            Next::Done(raise_about(k, at, code::NONCONTINUABLE_EXCEPTION, original))
        }
        Disposition::ContinueExecution => {
            let c = context::read_over(k.mem(), at.context, original)?;
            Next::Done(Ok(Outcome::Continue(Box::new(c))))
        }
        Disposition::ContinueSearch => Next::Search,
        Disposition::NestedException => {
            *flags |= flag::NESTED_CALL;
            *nested = (*nested).max(nested_from);
            Next::Search
        }
        _ => Next::Done(raise_about(k, at, code::INVALID_DISPOSITION, original)),
    })
}

/// x64: unwinds frame by frame from the exception's context, calling each exception handler
/// found in the functions' unwind information.
fn search_x64(k: &mut Kx, at: &Records, flags: u32, original: &CpuContext) -> KResult<Outcome> {
    let (low, high) = k.stack_limits();
    let mut flags = flags;
    let mut nested = 0u64;
    let mut walk = original.clone();
    for _ in 0..MAX_FRAMES {
        match frames::arrival(k, walk.ip, walk.sp()) {
            Arrival::Guest => {}
            Arrival::End => break,
            Arrival::Host { pc, sp, invocation } => {
                match invocation.map(|i| i.kind) {
                    // The exception was raised by a handler of an exception being dispatched:
                    // Windows' dispatcher frame says so (EXCEPTION_NESTED_CALL up to the frame
                    // that handler was called for) and the search goes on from where that
                    // exception happened.
                    Some(InvocationKind::Dispatch { establisher, context }) => {
                        flags |= flag::NESTED_CALL;
                        nested = nested.max(establisher);
                        walk = *context;
                    }
                    // A termination handler run by an unwind, or a routine the host was running:
                    // the search goes on in the code that called the host.
                    _ => {
                        walk.ip = pc;
                        walk.set_sp(sp);
                    }
                }
                continue;
            }
        }
        let pc = walk.ip;
        let mut caller = walk.clone();
        match pdata::lookup(k, pc) {
            Some((base, function)) => {
                let size = pdata::image_size(k, base).unwrap_or(0);
                let unwound = {
                    let kr: &Kx = k;
                    let lookup = |va: u64| pdata::lookup_loaded(kr, va).map(|(_, f)| f);
                    let image = Image { base, size, lookup: &lookup };
                    virtual_unwind(kr.mem(), unw::EHANDLER, &image, pc, &function, &mut caller, None)
                };
                let Ok(u) = unwound else {
                    flags |= flag::STACK_INVALID;
                    break;
                };
                if u.establisher < low || u.establisher > high || u.establisher & 7 != 0 {
                    flags |= flag::STACK_INVALID;
                    break;
                }
                if let Some(handler) = u.handler {
                    context::write_full(k.mem_mut(), at.frame_context, &caller)?;
                    let dc = at.dispatcher;
                    let mem = k.mem_mut();
                    mem.set(dc, DISPATCHER_CONTEXT::ControlPc, pc)?;
                    mem.set(dc, DISPATCHER_CONTEXT::ImageBase, base)?;
                    mem.set(dc, DISPATCHER_CONTEXT::FunctionEntry, function.at)?;
                    mem.set(dc, DISPATCHER_CONTEXT::EstablisherFrame, u.establisher)?;
                    mem.set(dc, DISPATCHER_CONTEXT::TargetIp, 0)?;
                    mem.set(dc, DISPATCHER_CONTEXT::ContextRecord, at.frame_context)?;
                    mem.set(dc, DISPATCHER_CONTEXT::LanguageHandler, handler)?;
                    mem.set(dc, DISPATCHER_CONTEXT::HandlerData, u.handler_data)?;
                    mem.set(dc, DISPATCHER_CONTEXT::HistoryTable, 0)?;
                    mem.set(dc, DISPATCHER_CONTEXT::ScopeIndex, 0)?;
                    ExceptionRecord::write_flags(mem, at.record, flags)?;
                    let kind =
                        InvocationKind::Dispatch { establisher: u.establisher, context: Box::new(original.clone()) };
                    let args = [at.record, u.establisher, at.context, dc];
                    let raw = frames::invoke(k, kind, handler, &args)?;
                    flags = merge_flags(k, at, flags)?;
                    if nested == u.establisher {
                        flags &= !flag::NESTED_CALL;
                        nested = 0;
                    }
                    let from = k.mem().get(dc, DISPATCHER_CONTEXT::EstablisherFrame)?;
                    match after_handler(k, at, Disposition::from_raw(raw), &mut flags, &mut nested, from, original)? {
                        Next::Search => {}
                        Next::Done(r) => return r,
                    }
                }
            }
            None => {
                // No unwind information: a leaf function, its return address on top.
                let Ok(ret) = k.mem().read_u64(walk.sp()) else {
                    flags |= flag::STACK_INVALID;
                    break;
                };
                caller.ip = ret;
                caller.set_sp(walk.sp().wrapping_add(8));
            }
        }
        walk = caller;
        if walk.sp() >= high || walk.sp() < low {
            break;
        }
    }
    ExceptionRecord::write_flags(k.mem_mut(), at.record, flags)?;
    Ok(Outcome::Unhandled)
}

/// x86: follows the `fs:[0]` chain, calling each registration's handler.
fn search_x86(k: &mut Kx, at: &Records, flags: u32, original: &CpuContext) -> KResult<Outcome> {
    let (low, high) = k.stack_limits();
    let mut flags = flags;
    let mut nested = 0u64;
    let mut reg = x86_frames::head(k)?;
    for _ in 0..MAX_FRAMES {
        if reg == EXCEPTION_CHAIN_END {
            break;
        }
        if reg < low || reg + 8 > high || reg & 3 != 0 {
            flags |= flag::STACK_INVALID;
            break;
        }
        let handler = k.mem().get(reg, EXCEPTION_REGISTRATION_RECORD::Handler)?;
        ExceptionRecord::write_flags(k.mem_mut(), at.record, flags)?;
        k.mem_mut().set(at.dispatcher, DISPATCHER_CONTEXT::RegistrationPointer, 0)?;
        let kind = InvocationKind::Dispatch { establisher: reg, context: Box::new(original.clone()) };
        let args = [at.record, reg, at.context, at.dispatcher];
        let raw = x86_frames::guarded(k, at.guard, reg, x86_frames::Guard::Exception, |k| {
            frames::invoke(k, kind, handler, &args)
        })?;
        flags = merge_flags(k, at, flags)?;
        if nested == reg {
            flags &= !flag::NESTED_CALL;
            nested = 0;
        }
        let from = k.mem().get(at.dispatcher, DISPATCHER_CONTEXT::RegistrationPointer)?;
        match Disposition::from_raw(raw) {
            Disposition::ContinueSearch if flags & flag::STACK_INVALID != 0 => break,
            d => match after_handler(k, at, d, &mut flags, &mut nested, from, original)? {
                Next::Search => {}
                Next::Done(r) => return r,
            },
        }
        reg = k.mem().get(reg, EXCEPTION_REGISTRATION_RECORD::Next)?;
    }
    ExceptionRecord::write_flags(k.mem_mut(), at.record, flags)?;
    Ok(Outcome::Unhandled)
}

/// Turns the end of a dispatch into what the raiser does next: resume (continue execution),
/// or the bugcheck of an unhandled exception.
pub(crate) fn conclude(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext, r: KResult<Outcome>) -> KError {
    match r {
        Ok(Outcome::Continue(c)) => KError::Stop(Stop::Unwind(c)),
        Ok(Outcome::Unhandled) => crate::seh::bugcheck::unhandled(k, record, ctx),
        Err(e) => e,
    }
}
