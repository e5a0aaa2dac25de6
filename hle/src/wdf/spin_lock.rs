//! WDFSPINLOCK (`wdfsync.h`): a kernel spin lock (`ke::spinlock`) the framework owns, with
//! the IRQL its holder had before: WdfSpinLockAcquire raises to DISPATCH_LEVEL and takes it,
//! WdfSpinLockRelease gives it back and returns to that IRQL. Acquiring it while held is the
//! kernel's spin on a held lock (a deadlock here, reported with the wait graph); releasing it
//! when free is SPIN_LOCK_NOT_OWNED.
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::ke::irql::{self, DISPATCH_LEVEL};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// A WDFSPINLOCK: its KSPIN_LOCK and the IRQL to return to on release.
#[derive(Clone, Copy, Debug)]
pub struct SpinLock {
    pub lock: u64,
    pub old_irql: u8,
}

/// NTSTATUS WdfSpinLockCreate(PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK
/// *SpinLock)
pub fn WdfSpinLockCreate(k: &mut Kx, globals: Ptr, attributes: Ptr, out: Ptr) -> KResult<NtStatus> {
    let b = super::driver::binding(k, "WdfSpinLockCreate", globals.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfSpinLockCreate", "SpinLock"));
    }
    let a = object::read_attributes(k, attributes.0)?;
    let parent = if a.parent != 0 {
        object::expect(k, "WdfSpinLockCreate", a.parent, ObjectKind::Any)?;
        Some(a.parent)
    } else {
        None
    };
    let h = object::create(k, b, ObjectKind::SpinLock, &a, parent)?;
    let lock = crate::ob::body::alloc(k, 8)?;
    crate::ke::spinlock::KeInitializeSpinLock(k, Ptr(lock))?;
    k.ext_mut().wdf.spin_locks.insert(h, SpinLock { lock, old_irql: 0 });
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

fn spin_lock(k: &mut Kx, function: &str, handle: u64) -> KResult<SpinLock> {
    object::expect(k, function, handle, ObjectKind::SpinLock)?;
    match k.ext().wdf.spin_locks.get(&handle) {
        Some(l) => Ok(*l),
        None => Err(violation::invalid_handle(k, function, handle, ObjectKind::SpinLock, "no spin lock")),
    }
}

/// VOID WdfSpinLockAcquire(WDFSPINLOCK SpinLock)
pub fn WdfSpinLockAcquire(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<()> {
    let l = spin_lock(k, "WdfSpinLockAcquire", handle.0)?;
    let old = irql::raise(k, DISPATCH_LEVEL, "WdfSpinLockAcquire")?;
    crate::ke::spinlock::take(k, l.lock, 1)?;
    if let Some(e) = k.ext_mut().wdf.spin_locks.get_mut(&handle.0) {
        e.old_irql = old;
    }
    Ok(())
}

/// VOID WdfSpinLockRelease(WDFSPINLOCK SpinLock)
pub fn WdfSpinLockRelease(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<()> {
    let l = spin_lock(k, "WdfSpinLockRelease", handle.0)?;
    crate::ke::spinlock::give(k, l.lock, "WdfSpinLockRelease")?;
    irql::lower(k, l.old_irql, "WdfSpinLockRelease")
}

/// The object is deleted: its lock goes.
pub(crate) fn destroy(k: &mut Kx, handle: u64) {
    if let Some(l) = k.ext_mut().wdf.spin_locks.remove(&handle) {
        k.ext_mut().sched.lock_owners.remove(&l.lock);
        crate::ob::body::free(k, l.lock);
    }
}
