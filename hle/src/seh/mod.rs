//! Structured exception handling, as Windows dispatches it.
//!
//! A fault in driver code (a bad pointer, a division by zero, an undefined instruction, an
//! MSR the CPU does not have), an exception a kernel routine raises on the driver's behalf
//! (a probe that failed, a bad pointer handed to it) and a software raise (`RtlRaiseException`,
//! `ExRaiseStatus`) all become an EXCEPTION_RECORD and a CONTEXT on the guest stack and are
//! dispatched ([`dispatch`]) to the handlers the driver registered:
//!
//! - x64: table-based. Each image's exception directory ([`pdata`]) gives each function's
//!   unwind information ([`unwind_info`]); the dispatcher unwinds frame by frame
//!   ([`virtual_unwind`]) and calls the language handler a frame names, usually
//!   `__C_specific_handler` ([`c_specific_handler`]), which runs `__except` filters and
//!   unwinds to the accepting frame ([`unwind`]), running `__finally` blocks on the way.
//! - x86: frame-based. Registration records chained from `fs:[0]` ([`x86_frames`]) name the
//!   handler of each frame, usually `_except_handler3` ([`except_handler`]).
//!
//! Handlers, filters and termination handlers are guest code, called from the host while
//! the exception waits ([`frames`]); a handler that accepts an exception never returns, its
//! unwind resumes the guest in the accepting frame through the machine's `Stop::Unwind`.
//! Exceptions in user-mode code are dispatched the same way in the program, on its user
//! stack, to its own frames and then its top-level filter ([`user`]).
//!
//! Exceptions nobody handles, and the traps Windows does not dispatch, end in the bugcheck
//! Windows raises for them ([`bugcheck`], [`trap`]); every exception is in the trace
//! ([`events`]), an unhandled one with its instruction and call stack ([`backtrace`]).

pub mod backtrace;
pub mod bugcheck;
pub mod c_specific_handler;
pub mod codes;
pub mod context;
pub mod dispatch;
pub mod events;
pub mod except_handler;
pub mod frames;
pub mod pdata;
pub mod probe;
pub mod raise;
pub mod record;
pub mod trap;
pub mod unwind;
pub mod unwind_info;
pub mod user;
pub mod virtual_unwind;
pub mod x86_frames;

use crate::kernel::{KResult, Kx};
use crate::seh::codes::EXCEPTION_CHAIN_END;

/// What exception handling keeps between exceptions.
#[derive(Default)]
pub struct State {
    /// The function tables of the images an exception has been dispatched through, read on
    /// first use.
    pub(crate) tables: Vec<pdata::FunctionTable>,
    /// Handlers the kernel is calling right now, innermost last.
    pub(crate) invocations: Vec<frames::Invocation>,
    /// Scratch space carved below the guest's stack pointer: (lowered, original).
    pub(crate) scratch: Vec<(u64, u64)>,
    /// What the machine said about the fault being dispatched (an MSR it does not have):
    /// its address and the words, for the event of an exception at that address that ends
    /// the run.
    pub(crate) machine_note: Option<(u64, String)>,
    /// User space as exception handling sees it ([`user`]).
    pub(crate) user: user::UserState,
}

/// Sets up what handlers find at boot: on x86 an empty `fs:[0]` chain and the kernel stack's
/// bounds in each processor's NT_TIB (the scheduler puts each flow's own there when it runs:
/// see `ke::scheduler`).
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let stack = k.kernel_stack();
    for cpu in 0..k.cpus() {
        x86_frames::load_tib(k, cpu, EXCEPTION_CHAIN_END, stack)?;
    }
    Ok(())
}
