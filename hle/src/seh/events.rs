//! Exceptions in the trace: one event per dispatched exception saying how it ended, and for
//! one that ends the run, the faulting instruction, the registers and the call stack.

use portcullis_emu::fault::RegValue;
use portcullis_emu::{Arch, CpuContext, Event, Reg, Stop};
use serde::Serialize;

use crate::kernel::{KError, KResult, KernelEvent, Kx};
use crate::seh::backtrace;
use crate::seh::dispatch::Outcome;
use crate::seh::frames::describe;
use crate::seh::record::ExceptionRecord;

/// Most frames an unhandled exception's call stack shows.
const MAX_FRAMES: usize = 64;

/// One exception and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExceptionEvent {
    pub code: u32,
    pub flags: u32,
    pub address: u64,
    pub params: Vec<u64>,
    /// Where `address` is: `driver+0x1234`, `ntoskrnl.exe!ProbeForWrite`.
    pub location: String,
    pub outcome: ExceptionOutcome,
    /// For an exception that ends the run: what it looked like where it happened.
    pub detail: Option<Box<Detail>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExceptionOutcome {
    /// A handler took it: execution went on in the handler's frame, at `target`.
    Handled { target: u64, target_location: String },
    /// A handler said continue execution, at `at`.
    Continued { at: u64 },
    /// No handler took it.
    Unhandled,
    /// Windows bugchecks on it without looking for a handler.
    Fatal,
    /// The processor delivered it through a gate of the driver's own IDT (vector `vector`:
    /// #GP or #DF when the exception's own gate was unusable) to `handler`.
    DeliveredThroughIdt { vector: u8, handler: u64, handler_location: String },
}

/// The machine state an exception that ends the run happened in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub instruction: Option<String>,
    /// What the machine said about the fault, when it said something.
    pub reason: Option<String>,
    pub registers: Vec<RegValue>,
    /// The call stack, innermost first: the exception's address, then each return address.
    pub frames: Vec<Frame>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub pc: u64,
    pub location: String,
}

fn detail(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext) -> Detail {
    let dump: &[Reg] = match k.arch() {
        Arch::X86 => &Reg::DUMP_X86,
        Arch::X64 => &Reg::DUMP_X64,
    };
    let registers = dump.iter().map(|r| RegValue { name: r.name(k.arch()), value: ctx.get(*r) }).collect();
    let frames =
        backtrace::walk(k, ctx, MAX_FRAMES).into_iter().map(|pc| Frame { pc, location: describe(k, pc) }).collect();
    let reason = match &k.ext().seh.machine_note {
        Some((pc, _)) if *pc == record.address => k.ext_mut().seh.machine_note.take().map(|(_, r)| r),
        _ => None,
    };
    Detail { instruction: k.disassemble(record.address), reason, registers, frames }
}

fn push(k: &mut Kx, record: &ExceptionRecord, outcome: ExceptionOutcome, detail: Option<Box<Detail>>) {
    let event = ExceptionEvent {
        code: record.code,
        flags: record.flags,
        address: record.address,
        params: record.params.clone(),
        location: describe(k, record.address),
        outcome,
        detail,
    };
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Exception(Box::new(event))));
}

/// Records how the dispatch of `record` (raised in `ctx`) ended.
pub(crate) fn dispatched(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext, r: &KResult<Outcome>) {
    match r {
        Ok(Outcome::Continue(c)) => push(k, record, ExceptionOutcome::Continued { at: c.ip }, None),
        Ok(Outcome::Unhandled) => {
            let d = detail(k, record, ctx);
            push(k, record, ExceptionOutcome::Unhandled, Some(Box::new(d)));
        }
        Err(KError::Stop(Stop::Unwind(c))) => {
            let outcome = ExceptionOutcome::Handled { target: c.ip, target_location: describe(k, c.ip) };
            push(k, record, outcome, None)
        }
        Err(_) => {}
    }
}

/// Records an exception Windows turns into a bugcheck without dispatching it.
pub(crate) fn fatal(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext) {
    let d = detail(k, record, ctx);
    push(k, record, ExceptionOutcome::Fatal, Some(Box::new(d)));
}

/// Records an exception the driver's own IDT took (no Windows dispatch).
pub(crate) fn delivered_through_idt(k: &mut Kx, record: &ExceptionRecord, d: &portcullis_emu::IdtDelivery) {
    let handler_location = describe(k, d.handler);
    let outcome = ExceptionOutcome::DeliveredThroughIdt { vector: d.vector, handler: d.handler, handler_location };
    push(k, record, outcome, None);
}

/// Records an unwind that found no target (its second chance is the bugcheck).
pub(crate) fn unwind_failed(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext) {
    let d = detail(k, record, ctx);
    push(k, record, ExceptionOutcome::Unhandled, Some(Box::new(d)));
}
