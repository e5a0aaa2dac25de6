//! ExSetTimerResolution: drivers that need finer timing ask the system to run its clock
//! interrupt faster. The system keeps the finest rate any requester asked for until every
//! requester has released its request, then goes back to the default (the maximum increment,
//! which KeQueryTimeIncrement keeps returning). Timers here expire at their exact due time on
//! the virtual clock whatever the rate; the rate is what the routine reports.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::Boolean;

/// The clock increment's range, in 100 ns units: 0.5 ms to 15.625 ms, as on Windows.
pub const MINIMUM_INCREMENT: u32 = 5_000;
pub const MAXIMUM_INCREMENT: u32 = crate::ps::TICK_100NS as u32;

/// The clock rate requests in force.
#[derive(Debug)]
pub struct TimerResolution {
    /// Requests not released yet.
    pub requests: u32,
    /// The clock increment now (100 ns).
    pub increment: u32,
}

impl Default for TimerResolution {
    fn default() -> Self {
        TimerResolution { requests: 0, increment: MAXIMUM_INCREMENT }
    }
}

/// ULONG ExSetTimerResolution(ULONG DesiredTime, BOOLEAN SetResolution): with SetResolution,
/// asks for a clock increment of DesiredTime (100 ns units, kept within the supported range;
/// the finest request wins); without, releases the caller's request (the default returns
/// with the last one). Returns the increment in force.
pub fn ExSetTimerResolution(k: &mut Kx, desired: u32, set: Boolean) -> KResult<u32> {
    let r = &mut k.ext_mut().ex.timer_resolution;
    if set.0 {
        r.requests = r.requests.saturating_add(1);
        r.increment = r.increment.min(desired.clamp(MINIMUM_INCREMENT, MAXIMUM_INCREMENT));
    } else if r.requests > 0 {
        r.requests -= 1;
        if r.requests == 0 {
            r.increment = MAXIMUM_INCREMENT;
        }
    }
    Ok(r.increment)
}
