//! Rundown protection: ExInitializeRundownProtection, ExReInitializeRundownProtection,
//! ExAcquireRundownProtection(Ex), ExReleaseRundownProtection(Ex),
//! ExWaitForRundownProtectionRelease, ExRundownCompleted. The EX_RUNDOWN_REF holds, as on
//! Windows, twice the number of references plus 1 once rundown has begun (then no new
//! reference is granted); the waiter wakes when the last reference goes.
#![allow(non_snake_case)]

use crate::ke::scheduler::{self, reason, Block, Resume, Wait};
use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, Ptr};

const ACTIVE: u64 = 1;
const INC: u64 = 2;

/// VOID ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef) (fastcall on x86)
pub fn ExInitializeRundownProtection(k: &mut Kx, r: Ptr) -> KResult<()> {
    k.mem_mut().write_ptr(r.0, 0)?;
    Ok(())
}

/// VOID ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)
pub fn ExReInitializeRundownProtection(k: &mut Kx, r: Ptr) -> KResult<()> {
    k.ext_mut().ex.rundowns.remove(&r.0);
    ExInitializeRundownProtection(k, r)
}

/// BOOLEAN ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)
pub fn ExAcquireRundownProtectionEx(k: &mut Kx, r: Ptr, count: u32) -> KResult<Boolean> {
    let v = k.mem().read_ptr(r.0)?;
    if v & ACTIVE != 0 {
        return Ok(Boolean(false));
    }
    let v = k.arch().mask(v.wrapping_add(INC * count as u64));
    k.mem_mut().write_ptr(r.0, v)?;
    Ok(Boolean(true))
}

/// BOOLEAN ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef)
pub fn ExAcquireRundownProtection(k: &mut Kx, r: Ptr) -> KResult<Boolean> {
    ExAcquireRundownProtectionEx(k, r, 1)
}

/// VOID ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count): the last
/// reference of a reference being run down wakes the waiter.
pub fn ExReleaseRundownProtectionEx(k: &mut Kx, r: Ptr, count: u32) -> KResult<()> {
    let v = k.mem().read_ptr(r.0)?;
    let v = k.arch().mask(v.wrapping_sub(INC * count as u64));
    k.mem_mut().write_ptr(r.0, v)?;
    if v == ACTIVE {
        if let Some(waiter) = k.ext_mut().ex.rundowns.remove(&r.0) {
            k.ext_mut().sched.wake(waiter, 0);
        }
    }
    Ok(())
}

/// VOID ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef)
pub fn ExReleaseRundownProtection(k: &mut Kx, r: Ptr) -> KResult<()> {
    ExReleaseRundownProtectionEx(k, r, 1)
}

/// VOID ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef): no new reference from now
/// on; returns once the last one is released.
pub fn ExWaitForRundownProtectionRelease(k: &mut Kx, r: Ptr) -> KResult<()> {
    let v = k.mem().read_ptr(r.0)? | ACTIVE;
    k.mem_mut().write_ptr(r.0, v)?;
    if v == ACTIVE {
        return Ok(());
    }
    let level = crate::ke::irql::current(k)?;
    crate::ke::wait::check_may_wait(k, level, "ExWaitForRundownProtectionRelease")?;
    let me = k.ext().sched.current;
    k.ext_mut().ex.rundowns.insert(r.0, me);
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Lock { lock: r.0, what: "rundown" },
        deadline: None,
        timeout_status: 0,
        reason: reason::WR_RUNDOWN,
        alertable: false,
        mode: 0,
        seq,
    };
    scheduler::block(k, wait, Resume::Value(0))?;
    Ok(())
}

/// VOID ExRundownCompleted(PEX_RUNDOWN_REF RunRef): the rundown is over for good.
pub fn ExRundownCompleted(k: &mut Kx, r: Ptr) -> KResult<()> {
    k.mem_mut().write_ptr(r.0, ACTIVE)?;
    Ok(())
}
