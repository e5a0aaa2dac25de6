//! `__C_specific_handler`: the x64 language handler of C `__try` blocks. Its data is the
//! function's scope table, one entry per `__try` (innermost first):
//!
//! ```text
//! struct { ULONG Count; struct { ULONG BeginAddress, EndAddress, HandlerAddress, JumpTarget; } ScopeRecord[Count]; }
//! ```
//!
//! An entry with a JumpTarget is a `__try/__except`: HandlerAddress is the filter (or 1,
//! EXCEPTION_EXECUTE_HANDLER, for a constant filter) and JumpTarget the `__except` block. An
//! entry without is a `__try/__finally`: HandlerAddress is the termination handler.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DISPATCHER_CONTEXT};
use crate::seh::codes::{flag, Disposition, EXCEPTION_CONTINUE_EXECUTION};
use crate::seh::record::ExceptionRecord;
use crate::seh::{context, frames, unwind};
use crate::types::Ptr;

/// Most scope entries read from one table (a count byte-for-byte from the image could ask
/// for four billion).
const MAX_SCOPES: u32 = 0x1000;

#[derive(Clone, Copy, Debug)]
struct Scope {
    begin: u32,
    end: u32,
    handler: u32,
    target: u32,
}

impl Scope {
    fn covers(&self, rva: u64) -> bool {
        rva >= self.begin as u64 && rva < self.end as u64
    }
}

fn read_scopes(k: &Kx, table: u64) -> KResult<Vec<Scope>> {
    let mem = k.mem();
    let count = mem.read_u32(table)?.min(MAX_SCOPES);
    let mut raw = vec![0u8; 16 * count as usize];
    mem.read(table + 4, &mut raw)?;
    Ok(raw
        .chunks_exact(16)
        .map(|e| {
            let w = |o: usize| u32::from_le_bytes(e[o..o + 4].try_into().expect("4 bytes"));
            Scope { begin: w(0), end: w(4), handler: w(8), target: w(12) }
        })
        .collect())
}

/// EXCEPTION_DISPOSITION __C_specific_handler(PEXCEPTION_RECORD ExceptionRecord,
/// PVOID EstablisherFrame, PCONTEXT ContextRecord, PDISPATCHER_CONTEXT DispatcherContext) (x64)
pub fn __C_specific_handler(k: &mut Kx, record: Ptr, frame: Ptr, context_record: Ptr, dc: Ptr) -> KResult<u32> {
    let r = ExceptionRecord::read(k.mem(), record.0)?;
    let mem = k.mem();
    let base = mem.get(dc.0, DISPATCHER_CONTEXT::ImageBase)?;
    let pc = mem.get(dc.0, DISPATCHER_CONTEXT::ControlPc)?.wrapping_sub(base);
    let target_ip = mem.get(dc.0, DISPATCHER_CONTEXT::TargetIp)?;
    let first = mem.get(dc.0, DISPATCHER_CONTEXT::ScopeIndex)? as usize;
    let table = mem.get(dc.0, DISPATCHER_CONTEXT::HandlerData)?;
    let scopes = read_scopes(k, table)?;

    if r.flags & (flag::UNWINDING | flag::EXIT_UNWIND) == 0 {
        // Looking for a handler: ask each enclosing `__except` filter in turn.
        for scope in scopes.iter().skip(first).filter(|s| s.covers(pc) && s.target != 0) {
            if scope.handler != 1 {
                let verdict = frames::with_scratch(k, 16, |k, pointers| {
                    k.mem_mut().write_u64(pointers, record.0)?;
                    k.mem_mut().write_u64(pointers + 8, context_record.0)?;
                    frames::call_guest(k, base + scope.handler as u64, &[pointers, frame.0], None)
                })? as u32 as i32;
                if verdict <= EXCEPTION_CONTINUE_EXECUTION {
                    return Ok(Disposition::ContinueExecution.raw());
                }
                if verdict == 0 {
                    continue;
                }
            }
            // Accepted: unwind to this frame, resuming in the `__except` block with the
            // exception code in EAX.
            let start = match frames::direct_dispatch_context(k) {
                Some(c) => c,
                None => context::caller_context(k, 0)?,
            };
            return Err(unwind::unwind(k, start, frame.0, base + scope.target as u64, record.0, r.code as u64));
        }
        return Ok(Disposition::ContinueSearch.raw());
    }

    // Unwinding: run the `__finally` blocks of the scopes control is leaving.
    let target = target_ip.wrapping_sub(base);
    for (i, scope) in scopes.iter().enumerate().skip(first) {
        if !scope.covers(pc) {
            continue;
        }
        if r.flags & flag::TARGET_UNWIND != 0 {
            // The unwind ends inside this function: a scope that also holds the target (a
            // jump out of an inner `__try` into an outer one) stays.
            let also_target =
                scopes.iter().any(|t| t.covers(target) && t.target == scope.target && t.handler == scope.handler);
            if also_target {
                break;
            }
        }
        if scope.target != 0 {
            if r.flags & flag::TARGET_UNWIND != 0 && target == scope.target as u64 {
                break; // the `__except` block the unwind goes to
            }
            continue;
        }
        // Recorded first, so a collided unwind does not run this handler again.
        k.mem_mut().set(dc.0, DISPATCHER_CONTEXT::ScopeIndex, i as u64 + 1)?;
        frames::call_guest(k, base + scope.handler as u64, &[1, frame.0], None)?;
    }
    Ok(Disposition::ContinueSearch.raw())
}
