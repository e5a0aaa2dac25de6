//! Call stacks: the frames above a context, by unwinding (x64) or along the EBP chain (x86),
//! across the places where the host called the guest. They serve the report of an
//! unhandled exception and `RtlWalkFrameChain` / `RtlCaptureStackBackTrace`.
#![allow(non_snake_case)]

use portcullis_emu::context::gpr;
use portcullis_emu::{Arch, CpuContext};

use crate::kernel::{KResult, Kx};
use crate::seh::frames::{arrival, Arrival, InvocationKind};
use crate::seh::virtual_unwind::{virtual_unwind, Image};
use crate::seh::{context, pdata};
use crate::types::Ptr;

/// Whether `pc` can be a return address: code the guest may execute, or where the host
/// takes calls.
fn is_code(k: &Kx, pc: u64) -> bool {
    k.is_return_to_host(pc) || k.mem().prot_at(pc).is_some_and(|p| p.exec)
}

/// The call stack from `ctx`: its instruction pointer, then each return address, innermost
/// first, at most `max`.
pub(crate) fn walk(k: &mut Kx, ctx: &CpuContext, max: usize) -> Vec<u64> {
    match k.arch() {
        Arch::X64 => walk_x64(k, ctx, max),
        Arch::X86 => walk_x86(k, ctx, max),
    }
}

fn walk_x64(k: &mut Kx, ctx: &CpuContext, max: usize) -> Vec<u64> {
    let (low, high) = k.stack_limits();
    let mut out = Vec::new();
    let mut c = ctx.clone();
    // Each pass either records a frame or crosses into the host; both are bounded.
    for _ in 0..max * 2 {
        if out.len() >= max {
            break;
        }
        match arrival(k, c.ip, c.sp()) {
            Arrival::Guest => {}
            Arrival::End => break,
            Arrival::Host { pc, sp, invocation } => {
                match invocation.map(|i| i.kind) {
                    Some(InvocationKind::Dispatch { context, .. }) => c = *context,
                    _ => {
                        c.ip = pc;
                        c.set_sp(sp);
                    }
                }
                continue;
            }
        }
        if c.sp() < low || c.sp() >= high || !is_code(k, c.ip) {
            break;
        }
        out.push(c.ip);
        let mut caller = c.clone();
        match pdata::lookup(k, c.ip) {
            Some((base, function)) => {
                let size = pdata::image_size(k, base).unwrap_or(0);
                let r = {
                    let kr: &Kx = k;
                    let lookup = |va: u64| pdata::lookup_loaded(kr, va).map(|(_, f)| f);
                    let image = Image { base, size, lookup: &lookup };
                    virtual_unwind(kr.mem(), 0, &image, c.ip, &function, &mut caller, None)
                };
                if r.is_err() {
                    break;
                }
            }
            None => {
                let Ok(ret) = k.mem().read_u64(c.sp()) else { break };
                caller.ip = ret;
                caller.set_sp(c.sp().wrapping_add(8));
            }
        }
        if caller.sp() <= c.sp() {
            break; // a stack walk only goes up
        }
        c = caller;
    }
    out
}

fn walk_x86(k: &mut Kx, ctx: &CpuContext, max: usize) -> Vec<u64> {
    let (low, high) = k.stack_limits();
    let mut out = vec![ctx.ip];
    let mut ebp = ctx.gpr[gpr::BP];
    while out.len() < max {
        if ebp < low || ebp + 8 > high || ebp & 3 != 0 {
            break;
        }
        let (Ok(next), Ok(ret)) = (k.mem().read_u32(ebp), k.mem().read_u32(ebp + 4)) else { break };
        let (next, ret) = (next as u64, ret as u64);
        let calls = k.guest_calls();
        let pc = match calls.iter().rposition(|c| c.entry_sp == ebp + 4 && c.returns_to == ret) {
            // The first frame of a call the host made from a hook: on in the code it
            // interrupted. The first frame of a flow: the stack ends.
            Some(level) if level > 0 && !calls[level].is_root() => calls[level].caller_pc,
            Some(_) => break,
            None if k.is_return_to_host(ret) => break,
            None => ret,
        };
        if !is_code(k, pc) {
            break;
        }
        out.push(pc);
        if next <= ebp {
            break;
        }
        ebp = next;
    }
    out
}

/// ULONG RtlWalkFrameChain(PVOID *Callers, ULONG Count, ULONG Flags): the return addresses
/// above the caller, its own first. Flags 1 asks for the user-mode stack, which kernel code
/// running here does not have: 0 frames.
pub fn RtlWalkFrameChain(k: &mut Kx, callers: Ptr, count: u32, flags: u32) -> KResult<u32> {
    if flags & 1 != 0 || count == 0 {
        return Ok(0);
    }
    let popped = if k.arch() == Arch::X86 { 12 } else { 0 };
    let ctx = context::caller_context(k, popped)?;
    let frames = walk(k, &ctx, count as usize);
    let ps = k.arch().ptr_size();
    for (i, pc) in frames.iter().enumerate() {
        k.mem_mut().write_ptr(callers.0 + i as u64 * ps, *pc)?;
    }
    Ok(frames.len() as u32)
}

/// USHORT RtlCaptureStackBackTrace(ULONG FramesToSkip, ULONG FramesToCapture, PVOID *BackTrace,
/// PULONG BackTraceHash): the return addresses above the caller after skipping some, and
/// their sum as a hash.
pub fn RtlCaptureStackBackTrace(k: &mut Kx, skip: u32, capture: u32, trace: Ptr, hash: Ptr) -> KResult<u16> {
    let popped = if k.arch() == Arch::X86 { 16 } else { 0 };
    let ctx = context::caller_context(k, popped)?;
    let wanted = (skip as usize).saturating_add(capture as usize).min(0x10000);
    let frames = walk(k, &ctx, wanted);
    let kept: Vec<u64> = frames.into_iter().skip(skip as usize).take(capture as usize).collect();
    let ps = k.arch().ptr_size();
    for (i, pc) in kept.iter().enumerate() {
        k.mem_mut().write_ptr(trace.0 + i as u64 * ps, *pc)?;
    }
    if hash.0 != 0 {
        let sum = kept.iter().fold(0u32, |h, pc| h.wrapping_add(*pc as u32));
        k.mem_mut().write_u32(hash.0, sum)?;
    }
    Ok(kept.len().min(u16::MAX as usize) as u16)
}
