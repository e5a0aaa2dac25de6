//! Guarded mutexes: KeInitializeGuardedMutex, KeAcquireGuardedMutex(Unsafe),
//! KeTryToAcquireGuardedMutex, KeReleaseGuardedMutex(Unsafe). Acquiring enters a guarded
//! region (all APCs disabled) unless Unsafe; a contended acquire waits, and release hands
//! the mutex to the first waiter. Acquiring one the thread holds never ends (a deadlock).
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KGUARDED_MUTEX, KGUARDED_MUTEX as GM};
use crate::types::{Boolean, Ptr};

use super::dispatcher::{init_header, otype, waiter_thread};
use super::lock::{self, Acquired};
use super::scheduler::{reason, Resume};

/// VOID KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
pub fn KeInitializeGuardedMutex(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(mutex.0, GM::Count, 1)?;
    mem.set(mutex.0, GM::Owner, 0)?;
    mem.set(mutex.0, GM::Contention, 0)?;
    mem.set(mutex.0, GM::KernelApcDisable, 0)?;
    let gate = GM::Gate.at(k.arch(), mutex.0);
    init_header(k, gate, otype::GATE, crate::layout::KEVENT::STRUCT.size(k.arch()), 0)?;
    k.ext_mut().sched.lock_owners.remove(&mutex.0);
    Ok(())
}

/// Writes who holds the mutex now.
fn owned_by(k: &mut Kx, mutex: u64, thread: u64) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(mutex, GM::Count, if thread == 0 { 1 } else { 0 })?;
    mem.set(mutex, GM::Owner, thread)?;
    Ok(())
}

fn acquire(k: &mut Kx, mutex: u64) -> KResult<()> {
    // The mutex must be readable.
    k.mem().get(mutex, GM::Count)?;
    match lock::acquire(k, mutex, "guarded mutex", reason::WR_MUTEX, Resume::Value(0), 0)? {
        Acquired::Now => {
            let me = k.ext().sched.current;
            let t = waiter_thread(k, me);
            owned_by(k, mutex, t)
        }
        Acquired::Parked | Acquired::AfterWait => {
            let c = k.mem().get(mutex, GM::Contention)?;
            k.mem_mut().set(mutex, GM::Contention, c + 1)?;
            Ok(())
        }
    }
}

fn release(k: &mut Kx, mutex: u64, what: &str) -> KResult<()> {
    let me = k.ext().sched.current;
    if lock::held(k, mutex) != Some(me) {
        let thread = waiter_thread(k, me);
        let b = Bugcheck {
            code: 0x11,
            name: "THREAD_NOT_MUTEX_OWNER",
            params: [thread, mutex, 0, 0],
            caller: caller(k),
            reason: format!("{what} of a guarded mutex the thread does not hold"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    match lock::release(k, mutex) {
        Some((next, _)) => {
            let t = waiter_thread(k, next);
            owned_by(k, mutex, t)
        }
        None => owned_by(k, mutex, 0),
    }
}

/// VOID KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
pub fn KeAcquireGuardedMutex(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    super::apc::KeEnterGuardedRegion(k)?;
    acquire(k, mutex.0)
}

/// VOID KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex)
pub fn KeAcquireGuardedMutexUnsafe(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    acquire(k, mutex.0)
}

/// BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
pub fn KeTryToAcquireGuardedMutex(k: &mut Kx, mutex: Ptr) -> KResult<Boolean> {
    k.mem().get(mutex.0, KGUARDED_MUTEX::Count)?;
    if !lock::try_acquire(k, mutex.0) {
        return Ok(Boolean(false));
    }
    super::apc::KeEnterGuardedRegion(k)?;
    let me = k.ext().sched.current;
    let t = waiter_thread(k, me);
    owned_by(k, mutex.0, t)?;
    Ok(Boolean(true))
}

/// VOID KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
pub fn KeReleaseGuardedMutex(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    release(k, mutex.0, "KeReleaseGuardedMutex")?;
    super::apc::KeLeaveGuardedRegion(k)
}

/// VOID KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex)
pub fn KeReleaseGuardedMutexUnsafe(k: &mut Kx, mutex: Ptr) -> KResult<()> {
    release(k, mutex.0, "KeReleaseGuardedMutexUnsafe")
}
