//! What the kernel's exception handling asks the user-mode layer when a program's code
//! raises an exception (`hle::seh::user`): which of the libraries' slots are the language
//! handlers compiled code names (msvcrt's `__C_specific_handler` on x64, `_except_handler3`
//! on x86: they run as the kernel's own), and the top-level filter the process set with
//! SetUnhandledExceptionFilter.

use portcullis_hle::kernel::Kx;
use portcullis_hle::seh::user::{set_hooks, Hooks};

/// Tells the kernel's exception handling about the user-mode libraries.
pub(crate) fn install(k: &mut Kx) {
    set_hooks(k, Hooks { routine_at: Some(library_routine), top_level_filter: Some(top_level_filter) });
}

/// The msvcrt routine whose slot starts at `va`.
fn library_routine(k: &Kx, va: u64) -> Option<&'static str> {
    let s = crate::state_ref(k)?;
    let offset = va.checked_sub(s.base).filter(|_| s.base != 0)?;
    if offset % portcullis_emu::HOST_CALL_SLOT != 0 {
        return None;
    }
    let f = crate::libraries::function((offset / portcullis_emu::HOST_CALL_SLOT) as usize)?;
    f.dll.eq_ignore_ascii_case("msvcrt.dll").then_some(f.name)
}

/// The current process's top-level exception filter (0: none).
fn top_level_filter(k: &mut Kx) -> u64 {
    crate::current(k).map_or(0, |p| p.exception_filter)
}
