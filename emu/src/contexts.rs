//! Execution contexts: what a layer above needs to run several flows of guest code (threads,
//! deferred routines) on the one engine and switch between them at points it chooses.
//!
//! - A [`SavedContext`] holds the whole register state of one flow (Unicorn's CPU context:
//!   general, segment (with their hidden bases), control, FPU/SSE registers) and the record
//!   of its frames ([`GuestCall`]: where its call into the guest started, on which stack).
//!   Saving or restoring one is a copy of the engine's CPU state, well under a microsecond.
//!   (The explicit registers exception handling reads and writes are a
//!   [`CpuContext`](crate::CpuContext).)
//! - A host call can [`suspend`](Machine::suspend) the run it was made from: the run ends
//!   with [`Exit::Suspended`] naming the call's slot, leaving the call unfinished.
//!   [`run_at`](Machine::run_at) with `resume_host_call` later finishes it: the slot's handler
//!   is skipped once and its `ret` returns to the caller with whatever the layer above put in
//!   the return register.
//! - From inside a host call, the layer above can also switch flows without ending the run:
//!   restore another flow's context and [`jump`](Machine::jump) to where it stopped. The
//!   run's call record becomes the flow's, so an unwind finds the frames of the flow that is
//!   live, on its own stack, whichever flow the run started with.
//! - [`select_cpu`](Machine::select_cpu) points the per-CPU segment (GS on x64, FS on x86) at
//!   another processor's control region.
//!
//! Runs nest like calls: a run started from a host call is one level deeper
//! ([`depth`](Machine::depth)), and ends before the host call that started it returns. A
//! flow's first call, set up with [`prepare_call`](Machine::prepare_call) on its own stack,
//! is the root of its frames: stack walks and unwinds never leave it for the flow the host
//! call that started the run interrupted.

use std::cell::Cell;

use unicorn_engine::{uc_context, RegisterX86 as UcReg};

use crate::arch::{Arch, Reg};
use crate::cpu::descriptors::per_cpu_fs;
use crate::error::MachineError;
use crate::machine::{Extension, GuestCall, Machine, Stop};
use crate::uc::check;

/// How a resumable run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The code returned to the host; EAX/RAX.
    Returned(u64),
    /// A host call suspended the run; `pc` is the call's slot (resume there).
    Suspended { pc: u64 },
    /// The run's quantum of instructions (see [`Machine::set_quantum`]) ran out at `pc`:
    /// save the context and resume there to go on.
    Preempted { pc: u64 },
}

/// The saved register state of one flow of guest code, with the record of its frames.
pub struct SavedContext {
    ctx: *mut uc_context,
    call: Cell<Option<GuestCall>>,
}

impl Drop for SavedContext {
    fn drop(&mut self) {
        // SAFETY: allocated by uc_context_alloc and freed exactly once, here.
        unsafe { unicorn_engine::uc_context_free(self.ctx) };
    }
}

impl std::fmt::Debug for SavedContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedContext").field("call", &self.call.get()).finish_non_exhaustive()
    }
}

impl SavedContext {
    /// The record of the flow's frames, as it was saved.
    pub fn call(&self) -> Option<GuestCall> {
        self.call.get()
    }
}

impl<X: Extension> Machine<X> {
    /// A context holding the CPU state as it is now.
    pub fn new_context(&self) -> Result<SavedContext, MachineError> {
        let mut ctx = std::ptr::null_mut();
        let uc = self.guest().uc;
        check(unsafe { unicorn_engine::uc_context_alloc(uc.0, &mut ctx) }, "allocate a CPU context")?;
        let c = SavedContext { ctx, call: Cell::new(None) };
        self.save_context(&c);
        Ok(c)
    }

    /// Copies the CPU state, and the record of the flow it belongs to, into `into`.
    pub fn save_context(&self, into: &SavedContext) {
        // SAFETY: the context was allocated for this engine (the only one contexts come from).
        unsafe { unicorn_engine::uc_context_save(self.guest().uc.0, into.ctx) };
        into.call.set(self.guest().live);
    }

    /// Replaces the CPU state with `from`, whose flow becomes the live one. Inside a host
    /// call, follow it with [`jump`](Machine::jump) so the engine leaves the current
    /// translated block (and the run takes the flow's record).
    pub fn restore_context(&mut self, from: &SavedContext) {
        // SAFETY: as in `save_context`.
        unsafe { unicorn_engine::uc_context_restore(self.guest().uc.0, from.ctx) };
        self.guest_mut().live = from.call.get();
    }

    /// The slot of the host call being handled (inside a host call's handler, including
    /// after calls into the guest it made have returned).
    pub fn host_call_pc(&self) -> u64 {
        self.guest().hook_pc
    }

    /// How many runs are in progress (0: the host is not inside guest code).
    pub fn depth(&self) -> u32 {
        self.guest().depth
    }

    /// From inside a host call: ends the innermost run, which returns
    /// `Exit::Suspended { pc }` with the call's slot. The call stays unfinished until a run
    /// resumes it (see [`run_at`](Machine::run_at)); the handler's return value is not used.
    pub fn suspend(&mut self) {
        let g = self.guest_mut();
        g.suspended = Some(g.hook_pc);
        if g.depth <= 1 {
            g.uc.stop();
        } else {
            // A stop request would also end the runs this one is nested in; the stop address
            // of nested runs ends only this one.
            let until = g.nested_sentinel;
            self.set_pc_in_host_call(until);
        }
    }

    /// From inside a host call: goes on at `pc` in the same run (after a context switch with
    /// [`restore_context`](Machine::restore_context), or a flow's first call set up with
    /// [`prepare_call`](Machine::prepare_call)). With `resume_host_call`, `pc` is the slot of
    /// a suspended host call, which completes. The run's call record becomes the flow's.
    pub fn jump(&mut self, pc: u64, resume_host_call: bool) {
        let call = self.live_call();
        let g = self.guest_mut();
        if resume_host_call {
            g.resume_at = Some(pc);
        }
        if let Some(run) = g.calls.last_mut() {
            *run = call;
        }
        g.live = Some(call);
        self.set_pc_in_host_call(pc);
    }

    pub(crate) fn set_pc_in_host_call(&mut self, pc: u64) {
        self.guest_mut().pc_written = true;
        let g = self.guest();
        let reg = Reg::Ip.uc(g.arch).expect("the program counter has an engine register");
        g.uc.set_pc_from_code_hook(reg, g.arch.mask(pc));
    }

    /// Runs from `pc` with the registers as they are (a restored context, or a call set up
    /// with [`prepare_call`](Machine::prepare_call)), one level deeper, until a host call
    /// suspends the run or the code returns to this level's sentinel. With
    /// `resume_host_call`, `pc` is the slot of a suspended host call, which completes first.
    pub fn run_at(&mut self, pc: u64, resume_host_call: bool) -> Result<Exit, Stop<X::Stop>> {
        self.check_run_limits()?;
        if resume_host_call {
            self.guest_mut().resume_at = Some(pc);
        }
        self.run(pc)
    }

    /// The next run started (by [`run_at`](Machine::run_at)) stops after `instructions`
    /// instructions with [`Exit::Preempted`], unless it ends first; `None`: no quantum.
    /// Counting is exact, deterministic, and slow (Unicorn's per-instruction count hook):
    /// for runs that must share the machine with other flows, not for ordinary ones. A run
    /// nested in a counted one stops the counting for the rest of the outer run.
    pub fn set_quantum(&mut self, instructions: Option<u64>) {
        self.guest_mut().quantum = instructions.filter(|n| *n > 0);
    }

    /// Where code returns to end the innermost run in progress (called from a host call), or
    /// the next top-level run (called from the host): the top-level sentinel, or the nested
    /// runs' stop address.
    pub fn level_return_address(&self) -> u64 {
        let g = self.guest();
        if g.depth <= 1 {
            g.sentinel
        } else {
            g.nested_sentinel
        }
    }

    /// Processors (control regions) the machine has.
    pub fn cpus(&self) -> u32 {
        self.guest().cpus
    }

    /// Address and size of processor `cpu`'s control region.
    pub fn cpu_block(&self, cpu: u32) -> (u64, u64) {
        self.mem().layout().cpu_block(cpu)
    }

    /// Points the per-CPU segment at processor `cpu`'s control region (GS_BASE on x64, the
    /// processor's FS descriptor on x86). Saved and restored with the CPU context.
    pub fn select_cpu(&mut self, cpu: u32) -> Result<(), MachineError> {
        if cpu >= self.cpus() {
            return Err(MachineError::Other(format!("no processor {cpu}")));
        }
        let (base, _) = self.cpu_block(cpu);
        let uc = self.guest().uc;
        match self.arch() {
            Arch::X64 => {
                uc.set_reg(UcReg::GS_BASE, base);
                Ok(())
            }
            Arch::X86 => uc.load_segment(UcReg::FS, per_cpu_fs(cpu)),
        }
    }
}
