//! Exceptions delivered through an interrupt descriptor table the guest made its own.
//!
//! The machine's IDT points every vector at its own handler slots, which never run: Unicorn
//! hands each exception to the host, and the layer above treats it as its kernel would. A
//! driver can load an IDT of its own (`lidt`) or rewrite a gate of the current one; the
//! processor then enters the driver's handler. This module does what the processor does for
//! such a gate: it reads the gate, pushes the interrupt frame on the stack (x64: SS, RSP,
//! RFLAGS, CS, RIP on a 16-byte aligned stack; x86 at the same privilege: EFLAGS, CS, EIP),
//! then the error code for the vectors that have one, and resumes at the handler. A gate the
//! processor cannot use (beyond the limit, not present, not an interrupt or trap gate, an
//! interrupt stack the TSS does not have) turns the exception into #GP with the IDT error
//! code, a fault while delivering #GP or #PF into #DF, and a failed #DF into a triple fault.
//!
//! The frame holds the selectors the code really runs with, so the handler's own `iret`
//! returns natively. The virtual interrupt flag is left as it was: an interrupt gate clears
//! IF and `iret` restores it, and the machine cannot see an `iret` at CPL3, so it keeps the
//! flag the handler returns to.

use crate::arch::{flags, Arch};
use crate::context::CpuContext;
use crate::exception::GuestException;
use crate::fault::FaultKind;
use crate::machine::{Extension, Machine};

/// Where an exception goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdtRoute {
    /// The gate is the machine's own: the layer above handles it as its kernel does.
    Machine,
    /// The frame is pushed: resume at `context` (the guest's handler).
    Delivered(Box<IdtDelivery>),
    /// Delivery failed even as a double fault: a real processor would shut down.
    TripleFault { reason: String },
}

/// An exception the guest's own IDT took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdtDelivery {
    /// The vector delivered (#GP or #DF when the first gate was unusable).
    pub vector: u8,
    pub error_code: Option<u32>,
    pub handler: u64,
    /// The registers to resume with: the handler, on the stack holding the frame.
    pub context: CpuContext,
}

/// Gate types the processor enters: 32/64-bit interrupt and trap gates.
const INTERRUPT_GATE: u8 = 0xE;
const TRAP_GATE: u8 = 0xF;

/// The vector, error code and pushed instruction pointer of an exception; whether the
/// processor raised it (the EXT bit of an error code about its delivery).
fn vector_of(e: &GuestException) -> (u8, Option<u32>, u64, bool) {
    let after = e.pc.wrapping_add(e.length);
    match e.kind {
        FaultKind::DivideError => (0, None, e.pc, true),
        FaultKind::Debug => (1, None, e.pc, true),
        FaultKind::Breakpoint => (3, None, after, false),
        FaultKind::Overflow => (4, None, after, false),
        FaultKind::BoundRange => (5, None, e.pc, true),
        FaultKind::InvalidOpcode => (6, None, e.pc, true),
        FaultKind::DeviceNotAvailable => (7, None, e.pc, true),
        FaultKind::DoubleFault => (8, Some(0), e.pc, true),
        FaultKind::Segment { vector } => (vector, Some(0), e.pc, true),
        FaultKind::GeneralProtection => (13, Some(0), e.pc, true),
        FaultKind::PageFault { .. } => {
            // P (a protection broke, rather than nothing mapped), W, I (a fetch); U is clear:
            // the guest's code is kernel code.
            let a = e.access.unwrap_or_default();
            let code = a.present as u32 | (a.write as u32) << 1 | (a.execute as u32) << 4;
            (14, Some(code), e.pc, true)
        }
        FaultKind::FloatingPoint { vector } => (vector, None, e.pc, true),
        FaultKind::AlignmentCheck => (17, Some(0), e.pc, true),
        FaultKind::MachineCheck => (18, None, e.pc, true),
        FaultKind::SoftwareInterrupt { vector } => (vector, None, after, false),
    }
}

/// A gate's handler and interrupt-stack index, or why the processor cannot use it.
fn read_gate<X: Extension>(m: &Machine<X>, vector: u8) -> Result<(u64, u8), String> {
    let arch = m.arch();
    let idtr = m.guest().cpu.idtr;
    let size: u64 = match arch {
        Arch::X86 => 8,
        Arch::X64 => 16,
    };
    let at = vector as u64 * size;
    if at + size - 1 > idtr.limit as u64 {
        return Err(format!("vector {vector:#x} is beyond the IDT's limit {:#x}", idtr.limit));
    }
    let mut gate = [0u8; 16];
    m.mem()
        .read(idtr.base.wrapping_add(at), &mut gate[..size as usize])
        .map_err(|e| format!("the IDT's gate {vector:#x} cannot be read ({e})"))?;
    let attr = gate[5];
    if attr & 0x80 == 0 {
        return Err(format!("the IDT's gate {vector:#x} is not present"));
    }
    if !matches!(attr & 0xF, INTERRUPT_GATE | TRAP_GATE) {
        return Err(format!("the IDT's gate {vector:#x} has type {:#x}", attr & 0xF));
    }
    let low = u16::from_le_bytes([gate[0], gate[1]]) as u64;
    let mid = u16::from_le_bytes([gate[6], gate[7]]) as u64;
    let handler = match arch {
        Arch::X86 => low | mid << 16,
        Arch::X64 => low | mid << 16 | (u32::from_le_bytes([gate[8], gate[9], gate[10], gate[11]]) as u64) << 32,
    };
    let ist = if arch == Arch::X64 { gate[4] & 7 } else { 0 };
    Ok((handler, ist))
}

impl<X: Extension> Machine<X> {
    /// Where exception `e`, raised in `ctx`, goes under the IDT the processor has loaded
    /// (see the module's documentation). `Delivered` has written the frame already.
    pub fn route_through_idt(&mut self, e: &GuestException, ctx: &CpuContext) -> IdtRoute {
        let (first, mut error_code, mut pc, external) = vector_of(e);
        let mut vector = first;
        let own = self.guest().interrupt_handlers;
        loop {
            let failure = match read_gate(self, vector) {
                Ok((handler, _)) if (own..own + 256 * 16).contains(&handler) => return IdtRoute::Machine,
                Ok((handler, ist)) => match self.push_frame(ctx, pc, error_code, ist) {
                    Ok(sp) => {
                        if let FaultKind::PageFault { address } = e.kind {
                            self.guest_mut().cpu.cr2 = address;
                        }
                        let mut context = ctx.clone();
                        context.ip = handler;
                        context.set_sp(sp);
                        // TF, NT and RF clear; IF as the guest had it (module documentation).
                        context.flags &= !(flags::TF | flags::NT | flags::RF);
                        context.flags = (context.flags & !flags::IF)
                            | if self.guest().cpu.interrupts_enabled { flags::IF } else { 0 };
                        return IdtRoute::Delivered(Box::new(IdtDelivery { vector, error_code, handler, context }));
                    }
                    Err(why) => why,
                },
                Err(why) => why,
            };
            // What the processor raises when it cannot deliver `vector`: a fault on the
            // instruction itself.
            pc = e.pc;
            match vector {
                8 => return IdtRoute::TripleFault { reason: format!("{failure} while delivering #DF") },
                0 | 10..=14 => {
                    vector = 8;
                    error_code = Some(0);
                }
                _ => {
                    error_code = Some((vector as u32) << 3 | 2 | external as u32);
                    vector = 13;
                }
            }
        }
    }

    /// Pushes the interrupt frame for a handler entered from `ctx` (resuming at `pc`); returns
    /// the stack pointer the handler starts with.
    fn push_frame(&mut self, ctx: &CpuContext, pc: u64, error_code: Option<u32>, ist: u8) -> Result<u64, String> {
        let arch = self.arch();
        let cs = ctx.segments[0] as u64;
        let ss = ctx.segments[5] as u64;
        let mut eflags = ctx.flags & !flags::IF;
        if self.guest().cpu.interrupts_enabled {
            eflags |= flags::IF;
        }
        let (mut sp, frame): (u64, Vec<u64>) = match arch {
            Arch::X86 => (ctx.sp(), vec![eflags, cs, pc]),
            Arch::X64 => {
                let stack = if ist == 0 {
                    ctx.sp()
                } else {
                    let slot = self.guest().tss + 0x24 + 8 * (ist as u64 - 1);
                    match self.mem().read_u64(slot) {
                        Ok(rsp) if rsp != 0 => rsp,
                        _ => return Err(format!("the TSS has no interrupt stack {ist}")),
                    }
                };
                (stack & !0xF, vec![ss, ctx.sp(), eflags, cs, pc])
            }
        };
        let width = arch.ptr_size();
        for value in frame.into_iter().chain(error_code.map(u64::from)) {
            sp = sp.wrapping_sub(width);
            let bytes = value.to_le_bytes();
            self.mem_mut()
                .write(sp, &bytes[..width as usize])
                .map_err(|e| format!("the interrupt frame cannot be pushed at {sp:#x} ({e})"))?;
        }
        Ok(sp)
    }
}
