//! Semaphores: KeInitializeSemaphore, KeReleaseSemaphore, KeReadStateSemaphore.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KSEMAPHORE};
use crate::types::{Boolean, Ptr};

use super::dispatcher::{init_header, otype, set_signal_state, signal_state, signaled};

/// STATUS_SEMAPHORE_LIMIT_EXCEEDED.
const SEMAPHORE_LIMIT_EXCEEDED: u64 = 0xC000_0047;

/// VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)
pub fn KeInitializeSemaphore(k: &mut Kx, semaphore: Ptr, count: i32, limit: i32) -> KResult<()> {
    let size = KSEMAPHORE::STRUCT.size(k.arch());
    init_header(k, semaphore.0, otype::SEMAPHORE, size, count)?;
    k.mem_mut().set(semaphore.0, KSEMAPHORE::Limit, limit as u32 as u64)?;
    Ok(())
}

/// LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
/// BOOLEAN Wait): adds Adjustment to the count, waking waiters; returns the previous count.
/// Going past the limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED, which no handler of the
/// kernel's catches: KMODE_EXCEPTION_NOT_HANDLED.
pub fn KeReleaseSemaphore(k: &mut Kx, semaphore: Ptr, _increment: i32, adjustment: i32, wait: Boolean) -> KResult<i32> {
    let old = signal_state(k, semaphore.0)?;
    let limit = k.mem().get(semaphore.0, KSEMAPHORE::Limit)? as u32 as i32;
    // As Windows checks: past the limit, or an adjustment that brings the count down.
    let new = old.checked_add(adjustment).filter(|n| *n <= limit && *n >= old);
    let Some(new) = new else {
        let at = caller(k);
        let b = Bugcheck {
            code: 0x1E,
            name: "KMODE_EXCEPTION_NOT_HANDLED",
            params: [SEMAPHORE_LIMIT_EXCEEDED, at, 0, 0],
            caller: at,
            reason: format!("KeReleaseSemaphore by {adjustment} on a count of {old} with limit {limit}"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    };
    set_signal_state(k, semaphore.0, new)?;
    signaled(k, semaphore.0)?;
    if wait.0 {
        super::mutex::wait_next(k)?;
    }
    Ok(old)
}

/// LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)
pub fn KeReadStateSemaphore(k: &mut Kx, semaphore: Ptr) -> KResult<i32> {
    signal_state(k, semaphore.0)
}
