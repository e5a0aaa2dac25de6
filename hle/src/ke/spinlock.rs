//! Spin locks: KeInitializeSpinLock, KeAcquireSpinLock (x86: KfAcquireSpinLock and the HAL's
//! KeAcquireSpinLock), KeAcquireSpinLockRaiseToDpc, KeReleaseSpinLock / KfReleaseSpinLock,
//! KeAcquireSpinLockAtDpcLevel / KeReleaseSpinLockFromDpcLevel (and the Kef x86 forms),
//! KeTryToAcquireSpinLockAtDpcLevel, KeTestSpinLock, and in-stack queued spin locks.
//!
//! The lock's value is in guest memory (non-zero while held, as drivers may test it); the
//! kernel also knows who holds it. Nothing can release a spin lock while a flow spins on it
//! here (its holder cannot run meanwhile), so acquiring one that is held is a deadlock,
//! reported with the wait graph; releasing one that is free is SPIN_LOCK_NOT_OWNED.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KLOCK_QUEUE_HANDLE};
use crate::types::{Boolean, Ptr};

use super::irql::{self, DISPATCH_LEVEL};

/// Takes `lock` for the current flow, writing `value` into it.
pub(crate) fn take(k: &mut Kx, lock: u64, value: u64) -> KResult<()> {
    let held = k.mem().read_ptr(lock)?;
    let holder = k.ext().sched.lock_owners.get(&lock).copied();
    if held != 0 || holder.is_some() {
        return Err(KError::Stop(super::wait_graph::spin(k, lock, holder)));
    }
    k.mem_mut().write_ptr(lock, value)?;
    let me = k.ext().sched.current;
    k.ext_mut().sched.lock_owners.insert(lock, me);
    Ok(())
}

/// Releases `lock`; SPIN_LOCK_NOT_OWNED if it is not held.
pub(crate) fn give(k: &mut Kx, lock: u64, what: &str) -> KResult<()> {
    let held = k.mem().read_ptr(lock)?;
    let holder = k.ext_mut().sched.lock_owners.remove(&lock);
    if held == 0 && holder.is_none() {
        let b = Bugcheck {
            code: 0x10,
            name: "SPIN_LOCK_NOT_OWNED",
            params: [lock, 0, 0, 0],
            caller: caller(k),
            reason: format!("{what} of spin lock {lock:#x}, which is not held"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    k.mem_mut().write_ptr(lock, 0)?;
    Ok(())
}

/// VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) (inline in the x64 headers, but exported on
/// both: drivers built without the inline import it)
pub fn KeInitializeSpinLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    k.mem_mut().write_ptr(lock.0, 0)?;
    k.ext_mut().sched.lock_owners.remove(&lock.0);
    Ok(())
}

/// Raises to DISPATCH_LEVEL and takes the lock; returns the old IRQL.
fn acquire(k: &mut Kx, lock: u64, what: &str) -> KResult<u8> {
    let old = irql::raise(k, DISPATCH_LEVEL, what)?;
    take(k, lock, 1)?;
    Ok(old)
}

/// Releases the lock and lowers to `new`.
fn release(k: &mut Kx, lock: u64, new: u8, what: &str) -> KResult<()> {
    give(k, lock, what)?;
    irql::lower(k, new, what)
}

/// KIRQL KfAcquireSpinLock(PKSPIN_LOCK SpinLock) (fastcall, x86 HAL)
pub fn KfAcquireSpinLock(k: &mut Kx, lock: Ptr) -> KResult<u8> {
    acquire(k, lock.0, "KfAcquireSpinLock")
}

/// KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) (x64)
pub fn KeAcquireSpinLockRaiseToDpc(k: &mut Kx, lock: Ptr) -> KResult<u8> {
    acquire(k, lock.0, "KeAcquireSpinLockRaiseToDpc")
}

/// KIRQL KeAcquireSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock)
pub fn KeAcquireSpinLockRaiseToSynch(k: &mut Kx, lock: Ptr) -> KResult<u8> {
    let level = irql::synch_level(k.arch());
    let old = irql::raise(k, level, "KeAcquireSpinLockRaiseToSynch")?;
    take(k, lock.0, 1)?;
    Ok(old)
}

/// VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql) (x86 HAL, stdcall)
pub fn KeAcquireSpinLock(k: &mut Kx, lock: Ptr, old: Ptr) -> KResult<()> {
    let was = acquire(k, lock.0, "KeAcquireSpinLock")?;
    k.mem_mut().write_u8(old.0, was)?;
    Ok(())
}

/// VOID KfReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) (fastcall, x86 HAL)
pub fn KfReleaseSpinLock(k: &mut Kx, lock: Ptr, new: u8) -> KResult<()> {
    release(k, lock.0, new, "KfReleaseSpinLock")
}

/// VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
pub fn KeReleaseSpinLock(k: &mut Kx, lock: Ptr, new: u8) -> KResult<()> {
    release(k, lock.0, new, "KeReleaseSpinLock")
}

/// VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock): the caller is at DISPATCH_LEVEL.
pub fn KeAcquireSpinLockAtDpcLevel(k: &mut Kx, lock: Ptr) -> KResult<()> {
    take(k, lock.0, 1)
}

/// VOID KefAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) (fastcall, x86)
pub fn KefAcquireSpinLockAtDpcLevel(k: &mut Kx, lock: Ptr) -> KResult<()> {
    take(k, lock.0, 1)
}

/// VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
pub fn KeReleaseSpinLockFromDpcLevel(k: &mut Kx, lock: Ptr) -> KResult<()> {
    give(k, lock.0, "KeReleaseSpinLockFromDpcLevel")
}

/// VOID KefReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) (fastcall, x86)
pub fn KefReleaseSpinLockFromDpcLevel(k: &mut Kx, lock: Ptr) -> KResult<()> {
    give(k, lock.0, "KefReleaseSpinLockFromDpcLevel")
}

/// BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock): takes it if free.
pub fn KeTryToAcquireSpinLockAtDpcLevel(k: &mut Kx, lock: Ptr) -> KResult<Boolean> {
    if k.mem().read_ptr(lock.0)? != 0 || k.ext().sched.lock_owners.contains_key(&lock.0) {
        return Ok(Boolean(false));
    }
    take(k, lock.0, 1)?;
    Ok(Boolean(true))
}

/// BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock): true when it looks free.
pub fn KeTestSpinLock(k: &mut Kx, lock: Ptr) -> KResult<Boolean> {
    Ok(Boolean(k.mem().read_ptr(lock.0)? == 0))
}

/// Takes a lock through a KLOCK_QUEUE_HANDLE: the lock holds the address of the handle's
/// queue entry while held, as Windows' queued locks do.
fn queued_take(k: &mut Kx, lock: u64, handle: u64) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(handle, KLOCK_QUEUE_HANDLE::LockQueueNext, 0)?;
    mem.set(handle, KLOCK_QUEUE_HANDLE::LockQueueLock, lock)?;
    take(k, lock, handle)
}

fn queued_give(k: &mut Kx, handle: u64, what: &str) -> KResult<()> {
    let lock = k.mem().get(handle, KLOCK_QUEUE_HANDLE::LockQueueLock)?;
    give(k, lock, what)
}

/// VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
pub fn KeAcquireInStackQueuedSpinLock(k: &mut Kx, lock: Ptr, handle: Ptr) -> KResult<()> {
    let old = irql::raise(k, DISPATCH_LEVEL, "KeAcquireInStackQueuedSpinLock")?;
    k.mem_mut().set(handle.0, KLOCK_QUEUE_HANDLE::OldIrql, old as u64)?;
    queued_take(k, lock.0, handle.0)
}

/// VOID KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE
/// LockHandle): raises to DISPATCH_LEVEL unless already there.
pub fn KeAcquireInStackQueuedSpinLockForDpc(k: &mut Kx, lock: Ptr, handle: Ptr) -> KResult<()> {
    let old = irql::current(k)?;
    if old < DISPATCH_LEVEL {
        irql::set(k, DISPATCH_LEVEL)?;
    }
    k.mem_mut().set(handle.0, KLOCK_QUEUE_HANDLE::OldIrql, old as u64)?;
    queued_take(k, lock.0, handle.0)
}

/// VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE
/// LockHandle)
pub fn KeAcquireInStackQueuedSpinLockAtDpcLevel(k: &mut Kx, lock: Ptr, handle: Ptr) -> KResult<()> {
    queued_take(k, lock.0, handle.0)
}

/// VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle): back to the IRQL the
/// handle saved.
pub fn KeReleaseInStackQueuedSpinLock(k: &mut Kx, handle: Ptr) -> KResult<()> {
    queued_give(k, handle.0, "KeReleaseInStackQueuedSpinLock")?;
    let old = k.mem().get(handle.0, KLOCK_QUEUE_HANDLE::OldIrql)? as u8;
    irql::lower(k, old, "KeReleaseInStackQueuedSpinLock")
}

/// VOID KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle)
pub fn KeReleaseInStackQueuedSpinLockForDpc(k: &mut Kx, handle: Ptr) -> KResult<()> {
    KeReleaseInStackQueuedSpinLock(k, handle)
}

/// VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
pub fn KeReleaseInStackQueuedSpinLockFromDpcLevel(k: &mut Kx, handle: Ptr) -> KResult<()> {
    queued_give(k, handle.0, "KeReleaseInStackQueuedSpinLockFromDpcLevel")
}
