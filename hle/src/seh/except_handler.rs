//! The x86 C language handlers the kernel exports: `_except_handler3` (Visual C++ 2.0 and
//! later, and clang), `_except_handler2` (Visual C++ 1.x), and the helpers compiled code
//! calls: `_local_unwind2`, `_global_unwind2`, `_abnormal_termination`.
//!
//! A function with `__try` blocks links a registration record into the `fs:[0]` chain and
//! keeps in it a scope table (`{EnclosingLevel, Filter, Handler}` per `__try`, Filter NULL
//! for a `__finally`) and its current try level. Filters, `__except` blocks and `__finally`
//! blocks are code of the function itself and expect EBP to be the function's frame:
//!
//! - `_except_handler3`: the record sits at EBP-0x10, with the saved ESP at record-8 and the
//!   exception pointers at record-4; EBP is record+0x10.
//! - `_except_handler2`: `{Next, Handler, ScopeTable, TryLevel, Ebp, ExceptionPointers}`, the
//!   frame's EBP stored in the record.
#![allow(non_snake_case)]

use portcullis_emu::{CpuContext, Reg, Stop};

use crate::kernel::{KError, KResult, Kx};
use crate::seh::codes::{flag, Disposition, EXCEPTION_CONTINUE_EXECUTION};
use crate::seh::record::ExceptionRecord;
use crate::seh::x86_frames::{self, Guard};
use crate::seh::{context, frames};
use crate::types::Ptr;

/// Most scope entries one chain of enclosing levels visits (a table whose levels loop must
/// not spin for ever).
const MAX_LEVELS: usize = 0x1000;
const TRYLEVEL_NONE: u32 = 0xFFFF_FFFF;

/// The two registration layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Eh2,
    Eh3,
}

impl Layout {
    /// The EBP the function's own code expects.
    fn frame(self, k: &Kx, reg: u64) -> KResult<u64> {
        Ok(match self {
            Layout::Eh3 => reg + 0x10,
            Layout::Eh2 => k.mem().read_u32(reg + 0x10)? as u64,
        })
    }

    /// Where the exception pointers go.
    fn pointers_slot(self, reg: u64) -> u64 {
        match self {
            Layout::Eh3 => reg.wrapping_sub(4),
            Layout::Eh2 => reg + 0x14,
        }
    }
}

fn scope_table(k: &Kx, reg: u64) -> KResult<u64> {
    Ok(k.mem().read_u32(reg + 8)? as u64)
}

fn try_level(k: &Kx, reg: u64) -> KResult<u32> {
    Ok(k.mem().read_u32(reg + 12)?)
}

/// One scope table entry: (enclosing level, filter, handler).
fn entry(k: &Kx, table: u64, level: u32) -> KResult<(u32, u64, u64)> {
    let at = table.wrapping_add(12 * level as u64);
    let mem = k.mem();
    Ok((mem.read_u32(at)?, mem.read_u32(at + 4)? as u64, mem.read_u32(at + 8)? as u64))
}

/// Runs the `__finally` blocks of `reg`'s scopes from its current try level out to (not
/// including) `stop`, updating the try level before each, with `ebp` as the frame. A guard
/// registration is linked meanwhile, so that an unwind colliding with this one resumes it
/// and `_abnormal_termination` can tell.
fn local_unwind(k: &mut Kx, reg: u64, stop: u32, ebp: Option<u64>) -> KResult<()> {
    frames::with_scratch(k, 16, |k, guard| {
        k.mem_mut().write_u32(guard + 12, reg as u32)?;
        x86_frames::guarded(k, guard, reg, Guard::LocalUnwind, |k| {
            // The guard's third word is the level being left (what _abnormal_termination
            // compares), none yet; its fourth, the registration.
            k.mem_mut().write_u32(guard + 8, 0xFFFF_FFFE)?;
            for _ in 0..MAX_LEVELS {
                let level = try_level(k, reg)?;
                if level == TRYLEVEL_NONE || level == stop {
                    break;
                }
                let (enclosing, filter, handler) = entry(k, scope_table(k, reg)?, level)?;
                k.mem_mut().write_u32(guard + 8, enclosing)?;
                k.mem_mut().write_u32(reg + 12, enclosing)?;
                if filter == 0 {
                    let regs = ebp.map(|v| [(Reg::Bp, v)]);
                    frames::call_guest(k, handler, &[], regs.as_ref().map(|r| &r[..]))?;
                }
            }
            Ok(())
        })
    })
}

fn except_handler(k: &mut Kx, layout: Layout, record: Ptr, reg: Ptr, ctx: Ptr) -> KResult<u32> {
    let reg = reg.0;
    let r = ExceptionRecord::read(k.mem(), record.0)?;
    let ebp = layout.frame(k, reg)?;
    if r.flags & flag::UNWIND != 0 {
        local_unwind(k, reg, TRYLEVEL_NONE, Some(ebp))?;
        return Ok(Disposition::ContinueSearch.raw());
    }
    frames::with_scratch(k, 16, |k, pointers| {
        k.mem_mut().write_u32(pointers, record.0 as u32)?;
        k.mem_mut().write_u32(pointers + 4, ctx.0 as u32)?;
        k.mem_mut().write_u32(layout.pointers_slot(reg), pointers as u32)?;
        let mut level = try_level(k, reg)?;
        for _ in 0..MAX_LEVELS {
            if level == TRYLEVEL_NONE {
                break;
            }
            let (enclosing, filter, _) = entry(k, scope_table(k, reg)?, level)?;
            if filter != 0 {
                let verdict = frames::call_guest(k, filter, &[], Some(&[(Reg::Bp, ebp)]))? as u32 as i32;
                if verdict <= EXCEPTION_CONTINUE_EXECUTION {
                    return Ok(Disposition::ContinueExecution.raw());
                }
                if verdict > 0 {
                    // Accepted: unwind the frames above this one, then this one's inner
                    // scopes, and enter the `__except` block as the function's own code.
                    x86_frames::unwind(k, reg, 0, 0)?;
                    local_unwind(k, reg, level, Some(ebp))?;
                    let (enclosing, _, handler) = entry(k, scope_table(k, reg)?, level)?;
                    k.mem_mut().write_u32(reg + 12, enclosing)?;
                    let mut target: CpuContext = context::read_over(k.mem(), ctx.0, &k.capture_context())?;
                    target.ip = handler;
                    target.set(Reg::Bp, ebp);
                    // The block reloads ESP itself from the saved slot; start it there too.
                    let esp = match layout {
                        Layout::Eh3 => k.mem().read_u32(reg.wrapping_sub(8))? as u64,
                        Layout::Eh2 => reg,
                    };
                    target.set_sp(esp);
                    return Err(KError::Stop(Stop::Unwind(Box::new(target))));
                }
            }
            level = enclosing;
        }
        Ok(Disposition::ContinueSearch.raw())
    })
}

/// int _except_handler3(PEXCEPTION_RECORD, PEXCEPTION_REGISTRATION, PCONTEXT, PVOID) (x86)
pub fn _except_handler3(k: &mut Kx, record: Ptr, reg: Ptr, ctx: Ptr, _dispatcher: Ptr) -> KResult<u32> {
    except_handler(k, Layout::Eh3, record, reg, ctx)
}

/// int _except_handler2(PEXCEPTION_RECORD, PEXCEPTION_REGISTRATION, PCONTEXT, PVOID) (x86)
pub fn _except_handler2(k: &mut Kx, record: Ptr, reg: Ptr, ctx: Ptr, _dispatcher: Ptr) -> KResult<u32> {
    except_handler(k, Layout::Eh2, record, reg, ctx)
}

/// void _local_unwind2(PEXCEPTION_REGISTRATION xr, int stop) (x86): called by the function
/// itself (EBP already its frame) before it leaves `__try` blocks by a jump or a return.
pub fn _local_unwind2(k: &mut Kx, reg: Ptr, stop: u32) -> KResult<()> {
    local_unwind(k, reg.0, stop, None)
}

/// void _global_unwind2(PEXCEPTION_REGISTRATION xr) (x86): unwinds the registrations above
/// `xr`.
pub fn _global_unwind2(k: &mut Kx, reg: Ptr) -> KResult<()> {
    x86_frames::unwind(k, reg.0, 0, 0)
}

/// int _abnormal_termination(void) (x86): whether the `__finally` block running was entered
/// by an unwind (through `_local_unwind2`) rather than by falling out of its `__try`.
pub fn _abnormal_termination(k: &mut Kx) -> KResult<u32> {
    let head = x86_frames::head(k)?;
    let mem = k.mem();
    let Ok(handler) = mem.read_u32(head + 4) else { return Ok(0) };
    if handler as u64 != x86_frames::routine(k, "RtlpLocalUnwindHandler") {
        return Ok(0);
    }
    let level = mem.read_u32(head + 8)?;
    let reg = mem.read_u32(head + 12)? as u64;
    Ok((try_level(k, reg)? == level) as u32)
}

/// EXCEPTION_DISPOSITION RtlpLocalUnwindHandler(...) (internal): the guard of
/// `_local_unwind2`. An unwind that meets it collides: it goes on from the registration
/// being locally unwound, whose handler finishes the job from the updated try level.
pub fn RtlpLocalUnwindHandler(k: &mut Kx, record: Ptr, establisher: Ptr, _ctx: Ptr, dispatcher: Ptr) -> KResult<u32> {
    let flags = ExceptionRecord::read(k.mem(), record.0)?.flags;
    if flags & flag::UNWIND == 0 {
        return Ok(Disposition::ContinueSearch.raw());
    }
    k.mem_mut().write_u32(dispatcher.0, establisher.0 as u32)?;
    Ok(Disposition::CollidedUnwind.raw())
}
