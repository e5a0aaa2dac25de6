//! Guest exceptions offered to the layer above before they end a run.
//!
//! A fault, trap or `int n` in guest code (#PF, #GP that no mediation absorbed, #DE, #UD,
//! `int3`, ...) is first described as a [`GuestException`] and handed to
//! [`Extension::on_exception`]. The extension may resume the guest at a context of its choice
//! (its exception handler, say), stop the run for a reason of its own, or leave the fault to end
//! the run as it always did. The machine knows nothing about how the layer above decides.

use crate::context::CpuContext;
use crate::fault::FaultKind;
use crate::machine::{Extension, Machine, Stop};

/// What an access that page-faulted was doing (as the #PF error code would say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PageAccess {
    /// The faulting access was a write (or a read-modify-write).
    pub write: bool,
    /// The faulting access was an instruction fetch.
    pub execute: bool,
    /// The page is mapped: the access broke a protection rather than finding nothing.
    pub present: bool,
}

/// An exception raised by guest code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestException {
    /// The vector (and, for #PF, CR2).
    pub kind: FaultKind,
    /// Address of the instruction that raised it (for `int3`/`int n`/`into`: of that
    /// instruction, not of the one after it).
    pub pc: u64,
    /// Length of the instruction at `pc` when the machine decoded it (0 when unknown).
    pub length: u64,
    /// For #PF: what the access was.
    pub access: Option<PageAccess>,
    /// For #GP: a privileged instruction the machine mediates refused the operation (an MSR
    /// it does not have, a read-only one written), as the real CPU would.
    pub privileged: bool,
    /// What the machine knows beyond the vector ("rdmsr of unimplemented MSR 0xdead").
    pub reason: String,
}

/// What the layer above decided about an exception.
#[derive(Clone, Debug)]
pub enum Resolution<S> {
    /// Not handled: the run ends with the fault, as without an extension.
    Fault,
    /// Resume the guest with these registers.
    Resume(Box<CpuContext>),
    /// End the run (or, for [`Stop::Unwind`], the calls nested below the target).
    Stop(Stop<S>),
}

/// Which kind of hook raised the exception: a new instruction pointer is written differently
/// from a code hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hook {
    Interrupt,
    Code,
}

/// Offers `e` to the extension and carries out its decision. Returns whether the guest goes
/// on running.
pub(crate) fn raise<X: Extension>(m: &mut Machine<X>, e: GuestException, hook: Hook) -> bool {
    // The extension may run guest code (filters, handlers) before it decides: clear the
    // engine's exception in flight first, so a fault in there is not escalated to #DF.
    let g = m.guest_mut();
    g.exceptions.reset(g.uc);
    let outer = std::mem::replace(&mut g.hook_pc, e.pc);
    let decision = X::on_exception(m, &e);
    m.guest_mut().hook_pc = outer;
    match decision {
        Resolution::Fault => {
            let fault = m.fault(e.kind, e.pc, e.reason);
            m.request_stop(Stop::Fault(Box::new(fault)));
            false
        }
        Resolution::Resume(ctx) => {
            m.apply_context(&ctx, hook == Hook::Code);
            true
        }
        Resolution::Stop(stop) => m.resume_or_stop(stop, hook),
    }
}

impl<X: Extension> Machine<X> {
    /// Carries out a stop requested from inside a hook: an unwind whose target lies in the
    /// frames of the innermost call resumes there at once; anything else ends the run.
    /// Returns whether the guest goes on running.
    pub(crate) fn resume_or_stop(&mut self, stop: Stop<X::Stop>, hook: Hook) -> bool {
        match stop {
            Stop::Unwind(ctx) if self.owns_stack(ctx.sp()) => {
                self.apply_context(&ctx, hook == Hook::Code);
                true
            }
            // The target lies in a call further out. A nested call leaves through its return
            // address rather than by stopping the engine: a stop requested in a nested run
            // stays pending and would end the outer run too, which has to go on.
            Stop::Unwind(ctx) if self.guest().depth > 1 => {
                let until = self.guest().nested_sentinel;
                let g = self.guest_mut();
                if g.stop.is_none() {
                    g.stop = Some(Stop::Unwind(ctx));
                }
                g.stopping = true;
                let mut exit = self.capture_context();
                exit.ip = until;
                self.apply_context(&exit, hook == Hook::Code);
                true
            }
            stop => {
                self.request_stop(stop);
                false
            }
        }
    }

    /// Describes an exception at `pc`: the length of the instruction there and, for a page
    /// fault, what it was doing.
    pub(crate) fn exception_at(&self, kind: FaultKind, pc: u64) -> GuestException {
        let g = self.guest();
        let code = g.mem.read_partial(pc, 15);
        let decoded = g.decoder.length_and_writes(&code, pc);
        let length = decoded.map_or(0, |d| d.0);
        let access = match kind {
            FaultKind::PageFault { address } => {
                let present = g.mem.translate(address).is_some();
                // The fetch itself faulted: the bytes up to `address` could not be read, or
                // the page holding the instruction may not be executed.
                let fetch_reach = address >= pc && address - pc < 15 && (code.len() as u64) <= address - pc;
                let nx = address == pc && g.mem.prot_at(pc).is_some_and(|p| !p.exec);
                Some(if fetch_reach || nx {
                    PageAccess { write: false, execute: true, present }
                } else {
                    PageAccess { write: decoded.is_some_and(|d| d.1), execute: false, present }
                })
            }
            _ => None,
        };
        GuestException { kind, pc, length, access, privileged: false, reason: String::new() }
    }
}
