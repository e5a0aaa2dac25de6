//! KeStallExecutionProcessor: busy-waits in virtual time.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};

/// VOID KeStallExecutionProcessor(ULONG MicroSeconds): the virtual clock moves forward by
/// exactly that much (no host time passes).
pub fn KeStallExecutionProcessor(k: &mut Kx, microseconds: u32) -> KResult<()> {
    k.guest_mut().cpu.clock.advance_ns(microseconds as u64 * 1000);
    crate::ps::sync_time(k)?;
    // Devices may have requested interrupts meanwhile.
    crate::io::interrupt::deliver(k)
}
