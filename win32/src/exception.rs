//! What the kernel's exception handling asks the user-mode layer when a program's code
//! raises an exception (`hle::seh::user`): which routine a slot of the libraries is (the
//! language handlers compiled code names, msvcrt's `__C_specific_handler` on x64 and
//! `_except_handler3` on x86, run as the kernel's own; the trace names the others), and the
//! top-level filter the process set with SetUnhandledExceptionFilter.

use portcullis_hle::kernel::Kx;
use portcullis_hle::seh::user::{set_hooks, Hooks, Routine};

/// Tells the kernel's exception handling about the user-mode libraries.
pub(crate) fn install(k: &mut Kx) {
    set_hooks(k, Hooks { routine_at: Some(library_routine), top_level_filter: Some(top_level_filter) });
}

/// The library routine whose slot holds `va`, as (library, name).
fn library_routine(k: &Kx, va: u64) -> Option<Routine> {
    let s = crate::state_ref(k)?;
    let offset = va.checked_sub(s.base).filter(|_| s.base != 0)?;
    let f = crate::libraries::function((offset / portcullis_emu::HOST_CALL_SLOT) as usize)?;
    Some((f.dll, f.name))
}

/// The current process's top-level exception filter (0: none).
fn top_level_filter(k: &mut Kx) -> u64 {
    crate::current(k).map_or(0, |p| p.exception_filter)
}
