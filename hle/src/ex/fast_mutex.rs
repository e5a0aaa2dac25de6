//! Fast mutexes: ExAcquireFastMutex / ExReleaseFastMutex / ExTryToAcquireFastMutex (raise to
//! APC_LEVEL and back; the x86 HAL's fastcall exports), ExAcquireFastMutexUnsafe /
//! ExReleaseFastMutexUnsafe (no IRQL change), and the critical-region pairs.
//! (ExInitializeFastMutex is a macro: Count = 1, Owner = NULL, a synchronization event.)
//! A contended acquire waits and release hands the mutex to the first waiter; acquiring one
//! the thread holds never ends (a deadlock); releasing one it does not hold is
//! THREAD_NOT_MUTEX_OWNER.
#![allow(non_snake_case)]

use crate::ke::dispatcher::waiter_thread;
use crate::ke::irql::{self, APC_LEVEL};
use crate::ke::lock::{self, Acquired};
use crate::ke::scheduler::{reason, Resume};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, FAST_MUTEX};
use crate::types::{Boolean, Ptr};

fn owned_by(k: &mut Kx, mutex: u64, thread: u64, old_irql: Option<u8>) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(mutex, FAST_MUTEX::Count, if thread == 0 { 1 } else { 0 })?;
    mem.set(mutex, FAST_MUTEX::Owner, thread)?;
    if let Some(irql) = old_irql {
        mem.set(mutex, FAST_MUTEX::OldIrql, irql as u64)?;
    }
    Ok(())
}

/// Takes the mutex; `old_irql` is what a release restores (None: unsafe forms).
fn acquire(k: &mut Kx, mutex: u64, old_irql: Option<u8>) -> KResult<()> {
    k.mem().get(mutex, FAST_MUTEX::Count)?;
    let saved = old_irql.map(|i| i as u64 | 0x100).unwrap_or(0);
    match lock::acquire(k, mutex, "fast mutex", reason::WR_MUTEX, Resume::Value(0), saved)? {
        Acquired::Now => {
            let me = k.ext().sched.current;
            let t = waiter_thread(k, me);
            owned_by(k, mutex, t, old_irql)
        }
        Acquired::Parked | Acquired::AfterWait => {
            let c = k.mem().get(mutex, FAST_MUTEX::Contention)?;
            k.mem_mut().set(mutex, FAST_MUTEX::Contention, c + 1)?;
            Ok(())
        }
    }
}

/// Lets go of the mutex (handing it over); returns the IRQL its owner saved.
fn release(k: &mut Kx, mutex: u64, what: &str) -> KResult<u8> {
    let me = k.ext().sched.current;
    if lock::held(k, mutex) != Some(me) {
        let thread = waiter_thread(k, me);
        let b = Bugcheck {
            code: 0x11,
            name: "THREAD_NOT_MUTEX_OWNER",
            params: [thread, mutex, 0, 0],
            caller: caller(k),
            reason: format!("{what} of a fast mutex the thread does not hold"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    let old = k.mem().get(mutex, FAST_MUTEX::OldIrql)? as u8;
    match lock::release(k, mutex) {
        Some((next, saved)) => {
            let t = waiter_thread(k, next);
            let irql = (saved & 0x100 != 0).then_some(saved as u8);
            owned_by(k, mutex, t, irql)?;
        }
        None => owned_by(k, mutex, 0, None)?,
    }
    Ok(old)
}

/// VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex): raises to APC_LEVEL.
pub fn ExAcquireFastMutex(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    let old = irql::raise(k, APC_LEVEL, "ExAcquireFastMutex")?;
    acquire(k, mutex.0, Some(old))
}

/// VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex): back to the IRQL before the acquire.
pub fn ExReleaseFastMutex(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    let old = release(k, mutex.0, "ExReleaseFastMutex")?;
    irql::lower(k, old, "ExReleaseFastMutex")
}

/// BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
pub fn ExTryToAcquireFastMutex(k: &mut Kx, mutex: Ptr) -> KResult<Boolean> {
    k.mem().get(mutex.0, FAST_MUTEX::Count)?;
    if lock::held(k, mutex.0).is_some() {
        return Ok(Boolean(false));
    }
    let old = irql::raise(k, APC_LEVEL, "ExTryToAcquireFastMutex")?;
    lock::try_acquire(k, mutex.0);
    let me = k.ext().sched.current;
    let t = waiter_thread(k, me);
    owned_by(k, mutex.0, t, Some(old))?;
    Ok(Boolean(true))
}

/// VOID ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex): the caller keeps APCs disabled.
pub fn ExAcquireFastMutexUnsafe(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    acquire(k, mutex.0, None)
}

/// VOID ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
pub fn ExReleaseFastMutexUnsafe(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    release(k, mutex.0, "ExReleaseFastMutexUnsafe").map(|_| ())
}

/// VOID ExEnterCriticalRegionAndAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
pub fn ExEnterCriticalRegionAndAcquireFastMutexUnsafe(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    acquire(k, mutex.0, None)
}

/// VOID ExReleaseFastMutexUnsafeAndLeaveCriticalRegion(PFAST_MUTEX FastMutex)
pub fn ExReleaseFastMutexUnsafeAndLeaveCriticalRegion(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    release(k, mutex.0, "ExReleaseFastMutexUnsafeAndLeaveCriticalRegion")?;
    crate::ke::apc::KeLeaveCriticalRegion(k)
}
