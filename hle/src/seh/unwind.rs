//! x64 unwinding to a target frame: `RtlUnwindEx`, `RtlUnwind` and `_local_unwind`. Each
//! frame between the unwind's start and the target is unwound virtually and its termination
//! handler called (`__finally` blocks run); at the target, the context is restored with
//! RAX = the return value and RIP = the target address.
//!
//! An unwind that meets a handler another unwind is running (an exception raised and caught
//! across a `__finally` that is running) collides with it: it takes over where that unwind
//! was, so no termination handler runs twice.
#![allow(non_snake_case)]

use portcullis_emu::context::gpr;
use portcullis_emu::{Arch, CpuContext, Stop};

use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, DISPATCHER_CONTEXT};
use crate::seh::codes::{code, flag, Disposition};
use crate::seh::dispatch::{Records, MAX_FRAMES};
use crate::seh::frames::{self, Arrival, InvocationKind};
use crate::seh::record::ExceptionRecord;
use crate::seh::unwind_info::{unw, RuntimeFunction};
use crate::seh::virtual_unwind::{virtual_unwind, Image};
use crate::seh::{context, pdata, raise};
use crate::types::Ptr;

/// What the unwind needs to call a frame's termination handler.
struct Frame {
    pc: u64,
    base: u64,
    function: RuntimeFunction,
    establisher: u64,
    handler: u64,
    data: u64,
    scope_index: u32,
}

/// Virtually unwinds `ctx` one frame: the frame's facts (when it has unwind information)
/// and the caller's context.
fn step(k: &mut Kx, ctx: &CpuContext, handler_type: u8) -> KResult<(Option<Frame>, CpuContext, u64)> {
    let mut caller = ctx.clone();
    match pdata::lookup(k, ctx.ip) {
        Some((base, function)) => {
            let size = pdata::image_size(k, base).unwrap_or(0);
            let r = {
                let kr: &Kx = k;
                let lookup = |va: u64| pdata::lookup_loaded(kr, va).map(|(_, f)| f);
                let image = Image { base, size, lookup: &lookup };
                virtual_unwind(kr.mem(), handler_type, &image, ctx.ip, &function, &mut caller, None)
            };
            let u = r.map_err(|_| raise::raise_status(k, code::BAD_FUNCTION_TABLE))?;
            let frame = u.handler.map(|handler| Frame {
                pc: ctx.ip,
                base,
                function,
                establisher: u.establisher,
                handler,
                data: u.handler_data,
                scope_index: 0,
            });
            Ok((frame, caller, u.establisher))
        }
        None => {
            caller.ip = k.mem().read_u64(ctx.sp())?;
            caller.set_sp(ctx.sp().wrapping_add(8));
            Ok((None, caller, ctx.sp()))
        }
    }
}

/// Unwinds from context `start` to the frame `target` (0: an exit unwind of every frame) and
/// resumes there at `target_ip` with RAX = `value`. `record` is the exception being unwound
/// for (0: a STATUS_UNWIND record is made). Never returns normally: the result is the
/// `Stop::Unwind` to the target, or what went wrong.
pub(crate) fn unwind(k: &mut Kx, start: CpuContext, target: u64, target_ip: u64, record: u64, value: u64) -> KError {
    match unwind_inner(k, start, target, target_ip, record, value) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

enum Never {}

fn unwind_inner(k: &mut Kx, start: CpuContext, target: u64, target_ip: u64, record: u64, value: u64) -> KResult<Never> {
    let (low, high) = k.stack_limits();
    frames::with_scratch(k, Records::size(Arch::X64), |k, base| {
        let rec_at = if record == 0 { base } else { record };
        let at = Scratch { record: rec_at, context: base + 0xa0, dispatcher: base + 0xa0 + 0x4d0 };
        if record == 0 {
            ExceptionRecord::new(code::UNWIND, 0, start.ip, &[]).write(k.mem_mut(), rec_at)?;
        }
        let mut flags = ExceptionRecord::read(k.mem(), rec_at)?.flags | flag::UNWINDING;
        if target == 0 {
            flags |= flag::EXIT_UNWIND;
        }
        let mut current = start;
        let mut reached = false;
        for _ in 0..MAX_FRAMES {
            // Where the walk is: guest code, the end of the stack, or a return into the host.
            match frames::arrival(k, current.ip, current.sp()) {
                Arrival::Guest => {}
                Arrival::End => break,
                Arrival::Host { pc, sp, invocation } => {
                    match invocation.map(|i| i.kind) {
                        // Out of a handler deciding on an exception: on through Windows'
                        // dispatcher frames to where that exception happened.
                        Some(InvocationKind::Dispatch { context, .. }) => current = *context,
                        // Into a termination handler another unwind is running: this unwind
                        // collides with it, takes over that unwind's frame and calls its
                        // handler again (its ScopeIndex says which blocks already ran).
                        Some(InvocationKind::Unwind { dispatcher_context }) => {
                            let (frame, ctx) = collided(k, dispatcher_context)?;
                            let (_, after, _) = step(k, &ctx, 0)?;
                            flags |= flag::COLLIDED_UNWIND;
                            call_handler(k, &frame, &ctx, &mut flags, &at, target, target_ip, value)?;
                            if frame.establisher == target {
                                current = ctx;
                                reached = true;
                                break;
                            }
                            current = after;
                        }
                        None => {
                            current.ip = pc;
                            current.set_sp(sp);
                        }
                    }
                    continue;
                }
            }
            let (frame, previous, establisher) = step(k, &current, unw::UHANDLER)?;
            if establisher < low || establisher > high || (target != 0 && establisher > target) || establisher & 7 != 0
            {
                return Err(raise::raise_about(k, code::BAD_STACK, rec_at));
            }
            if let Some(frame) = frame {
                call_handler(k, &frame, &current, &mut flags, &at, target, target_ip, value)?;
            }
            if establisher == target {
                reached = true;
                break;
            }
            current = previous;
        }
        let r = ExceptionRecord::read(k.mem(), at.record)?;
        if reached {
            current.gpr[gpr::AX] = value;
            if r.code == code::UNWIND_CONSOLIDATE && !r.params.is_empty() {
                // The consolidation callback returns where execution resumes.
                current.ip = frames::call_guest(k, r.params[0], &[at.record], None)?;
            } else {
                current.ip = target_ip;
            }
            return Err(KError::Stop(Stop::Unwind(Box::new(current))));
        }
        // An exit unwind, or a target that was never met: the second chance, which in
        // kernel mode is the unhandled-exception bugcheck.
        crate::seh::events::unwind_failed(k, &r, &current);
        Err(crate::seh::bugcheck::unhandled(k, &r, &current))
    })
}

/// Where an unwind keeps the records it hands handlers.
struct Scratch {
    record: u64,
    context: u64,
    dispatcher: u64,
}

/// Calls the termination handler of `frame` (control in it at context `ctx`).
#[allow(clippy::too_many_arguments)]
fn call_handler(
    k: &mut Kx,
    frame: &Frame,
    ctx: &CpuContext,
    flags: &mut u32,
    at: &Scratch,
    target: u64,
    target_ip: u64,
    value: u64,
) -> KResult<()> {
    if frame.establisher == target {
        *flags |= flag::TARGET_UNWIND;
    }
    ExceptionRecord::write_flags(k.mem_mut(), at.record, *flags)?;
    let mut handed = ctx.clone();
    handed.gpr[gpr::AX] = value;
    context::write_full(k.mem_mut(), at.context, &handed)?;
    write_dispatcher(k, at.dispatcher, frame, target_ip, at.context)?;
    let kind = InvocationKind::Unwind { dispatcher_context: at.dispatcher };
    let args = [at.record, frame.establisher, at.context, at.dispatcher];
    let raw = frames::invoke(k, kind, frame.handler, &args)?;
    *flags &= !(flag::COLLIDED_UNWIND | flag::TARGET_UNWIND);
    if Disposition::from_raw(raw) != Disposition::ContinueSearch {
        return Err(raise::raise_about(k, code::INVALID_DISPOSITION, at.record));
    }
    Ok(())
}

fn write_dispatcher(k: &mut Kx, dc: u64, f: &Frame, target_ip: u64, ctx_at: u64) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(dc, DISPATCHER_CONTEXT::ControlPc, f.pc)?;
    mem.set(dc, DISPATCHER_CONTEXT::ImageBase, f.base)?;
    mem.set(dc, DISPATCHER_CONTEXT::FunctionEntry, f.function.at)?;
    mem.set(dc, DISPATCHER_CONTEXT::EstablisherFrame, f.establisher)?;
    mem.set(dc, DISPATCHER_CONTEXT::TargetIp, target_ip)?;
    mem.set(dc, DISPATCHER_CONTEXT::ContextRecord, ctx_at)?;
    mem.set(dc, DISPATCHER_CONTEXT::LanguageHandler, f.handler)?;
    mem.set(dc, DISPATCHER_CONTEXT::HandlerData, f.data)?;
    mem.set(dc, DISPATCHER_CONTEXT::HistoryTable, 0)?;
    mem.set(dc, DISPATCHER_CONTEXT::ScopeIndex, f.scope_index as u64)?;
    Ok(())
}

/// The frame an interrupted unwind was at, from the dispatcher context it gave the handler
/// that is running (as `RtlpUnwindHandler` copies it out), and that frame's context.
fn collided(k: &mut Kx, dc: u64) -> KResult<(Frame, CpuContext)> {
    let mem = k.mem();
    let function_at = mem.get(dc, DISPATCHER_CONTEXT::FunctionEntry)?;
    let mut e = [0u8; 12];
    mem.read(function_at, &mut e)?;
    let word = |o: usize| u32::from_le_bytes(e[o..o + 4].try_into().expect("4 bytes"));
    let frame = Frame {
        pc: mem.get(dc, DISPATCHER_CONTEXT::ControlPc)?,
        base: mem.get(dc, DISPATCHER_CONTEXT::ImageBase)?,
        function: RuntimeFunction { begin: word(0), end: word(4), unwind: word(8), at: function_at },
        establisher: mem.get(dc, DISPATCHER_CONTEXT::EstablisherFrame)?,
        handler: mem.get(dc, DISPATCHER_CONTEXT::LanguageHandler)?,
        data: mem.get(dc, DISPATCHER_CONTEXT::HandlerData)?,
        scope_index: mem.get(dc, DISPATCHER_CONTEXT::ScopeIndex)? as u32,
    };
    let ctx_at = mem.get(dc, DISPATCHER_CONTEXT::ContextRecord)?;
    let now = k.capture_context();
    let ctx = context::read_over(k.mem(), ctx_at, &now)?;
    Ok((frame, ctx))
}

/// VOID RtlUnwindEx(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
/// PVOID ReturnValue, PCONTEXT ContextRecord, PUNWIND_HISTORY_TABLE HistoryTable) (x64)
///
/// The context record is the caller's scratch space; the history table an optional cache.
pub fn RtlUnwindEx(
    k: &mut Kx,
    target: Ptr,
    target_ip: Ptr,
    record: Ptr,
    value: Ptr,
    _ctx: Ptr,
    _history: Ptr,
) -> KResult<()> {
    let start = context::caller_context(k, 0)?;
    Err(unwind(k, start, target.0, target_ip.0, record.0, value.0))
}

/// VOID RtlUnwind(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
/// PVOID ReturnValue) (x64)
pub fn RtlUnwind64(k: &mut Kx, target: Ptr, target_ip: Ptr, record: Ptr, value: Ptr) -> KResult<()> {
    let start = context::caller_context(k, 0)?;
    Err(unwind(k, start, target.0, target_ip.0, record.0, value.0))
}

/// VOID _local_unwind(PVOID TargetFrame, PVOID TargetIp) (x64): runs the termination
/// handlers between the caller and its own frame before a jump out of `__try` blocks.
pub fn _local_unwind(k: &mut Kx, target: Ptr, target_ip: Ptr) -> KResult<()> {
    let start = context::caller_context(k, 0)?;
    Err(unwind(k, start, target.0, target_ip.0, 0, 0))
}
