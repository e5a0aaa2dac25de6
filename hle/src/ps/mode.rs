//! The previous mode: whether the current thread entered the kernel from user mode (a
//! request the user program made) or runs kernel code only (DriverEntry, system threads,
//! DPCs run on whatever thread they interrupt). Routines that take handles or pointers
//! judge their caller by it.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, ETHREAD};
use crate::ob::handles::Mode;

/// The current thread's previous mode.
pub fn previous_mode(k: &Kx) -> KResult<Mode> {
    let t = super::current_thread(k)?;
    Ok(Mode::from_raw(k.mem().get(t, ETHREAD::PreviousMode)? as u8))
}

/// KPROCESSOR_MODE ExGetPreviousMode(VOID): KernelMode (0) or UserMode (1).
pub fn ExGetPreviousMode(k: &mut Kx) -> KResult<u8> {
    Ok(match previous_mode(k)? {
        Mode::Kernel => 0,
        Mode::User => 1,
    })
}
