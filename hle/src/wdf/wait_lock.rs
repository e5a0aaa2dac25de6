//! WDFWAITLOCK (`wdfsync.h`): a lock its holder may wait on, at PASSIVE_LEVEL — the
//! framework's FxWaitLock, a synchronization event that is signaled while the lock is free.
//! WdfWaitLockAcquire waits on it with the caller's timeout (none: forever; zero: a try,
//! allowed up to DISPATCH_LEVEL) and answers STATUS_SUCCESS or STATUS_TIMEOUT;
//! WdfWaitLockRelease signals it, letting one waiter in. (The framework also enters a
//! critical region while the lock is held; kernel APCs are not delivered to the driver's
//! threads here, so that makes no difference.)
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::kernel::{KResult, Kx};
use crate::layout::KEVENT;
use crate::types::{status, Boolean, NtStatus, Ptr};

/// KWAIT_REASON Executive.
const EXECUTIVE: u32 = 0;

/// NTSTATUS WdfWaitLockCreate(PWDF_OBJECT_ATTRIBUTES LockAttributes, WDFWAITLOCK *Lock)
pub fn WdfWaitLockCreate(k: &mut Kx, globals: Ptr, attributes: Ptr, out: Ptr) -> KResult<NtStatus> {
    let b = super::driver::binding(k, "WdfWaitLockCreate", globals.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfWaitLockCreate", "Lock"));
    }
    let a = object::read_attributes(k, attributes.0)?;
    let parent = if a.parent != 0 {
        object::expect(k, "WdfWaitLockCreate", a.parent, ObjectKind::Any)?;
        Some(a.parent)
    } else {
        None
    };
    let h = object::create(k, b, ObjectKind::WaitLock, &a, parent)?;
    let event = crate::ex::pool::kernel_alloc(k, KEVENT::STRUCT.size(k.arch()), b"FxWl")?;
    // SynchronizationEvent, signaled: the lock is free.
    crate::ke::event::KeInitializeEvent(k, Ptr(event), 1, Boolean(true))?;
    k.ext_mut().wdf.wait_locks.insert(h, event);
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

fn event(k: &mut Kx, function: &str, handle: u64) -> KResult<u64> {
    object::expect(k, function, handle, ObjectKind::WaitLock)?;
    match k.ext().wdf.wait_locks.get(&handle) {
        Some(e) => Ok(*e),
        None => Err(violation::invalid_handle(k, function, handle, ObjectKind::WaitLock, "no wait lock")),
    }
}

/// NTSTATUS WdfWaitLockAcquire(WDFWAITLOCK Lock, PLONGLONG Timeout): STATUS_SUCCESS once
/// held, STATUS_TIMEOUT when the timeout passed first. Waiting (anything but a zero
/// timeout) at DISPATCH_LEVEL or above ends the run as the kernel's waits do.
pub fn WdfWaitLockAcquire(k: &mut Kx, _globals: Ptr, handle: Ptr, timeout: Ptr) -> KResult<NtStatus> {
    let e = event(k, "WdfWaitLockAcquire", handle.0)?;
    let timeout = if timeout.0 == 0 { None } else { Some(k.mem().read_u64(timeout.0)? as i64) };
    let st = crate::ke::wait::wait_for(k, vec![e], false, EXECUTIVE, 0, false, timeout, "WdfWaitLockAcquire")?;
    Ok(NtStatus(st as u32))
}

/// VOID WdfWaitLockRelease(WDFWAITLOCK Lock): releasing a lock nobody holds is the
/// framework's WDF_VIOLATION (a lock operation out of turn).
pub fn WdfWaitLockRelease(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<()> {
    let e = event(k, "WdfWaitLockRelease", handle.0)?;
    if crate::ke::event::KeReadStateEvent(k, Ptr(e))? != 0 {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::INVALID_LOCK_OPERATION, handle.0, 1, 0],
            at,
            format!("WdfWaitLockRelease: {:#x} is not held", handle.0),
        ));
    }
    crate::ke::event::set(k, e)?;
    Ok(())
}

/// The object is deleted: its event goes.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    match k.ext_mut().wdf.wait_locks.remove(&handle) {
        Some(e) => crate::ex::pool::free(k, e, None, 0),
        None => Ok(()),
    }
}
