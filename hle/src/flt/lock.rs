//! The Filter Manager's wrappers of executive locks: push locks and ERESOURCEs taken inside
//! a critical region (normal kernel APCs disabled), as fltmgr.sys does.
#![allow(non_snake_case)]

use crate::ex::push_lock;
use crate::kernel::{KResult, Kx};
use crate::types::Ptr;

/// VOID FltInitializePushLock(PEX_PUSH_LOCK PushLock)
pub fn FltInitializePushLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    push_lock::ExInitializePushLock(k, lock)
}

/// VOID FltDeletePushLock(PEX_PUSH_LOCK PushLock): a push lock holds nothing to free.
pub fn FltDeletePushLock(_k: &mut Kx, _lock: Ptr) -> KResult<()> {
    Ok(())
}

/// VOID FltAcquirePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
pub fn FltAcquirePushLockExclusiveEx(k: &mut Kx, lock: Ptr, flags: u32) -> KResult<()> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    push_lock::ExAcquirePushLockExclusiveEx(k, lock, flags)
}

/// VOID FltAcquirePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
pub fn FltAcquirePushLockSharedEx(k: &mut Kx, lock: Ptr, flags: u32) -> KResult<()> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    push_lock::ExAcquirePushLockSharedEx(k, lock, flags)
}

/// VOID FltReleasePushLockEx(PEX_PUSH_LOCK PushLock, ULONG Flags): releases however held.
pub fn FltReleasePushLockEx(k: &mut Kx, lock: Ptr, _flags: u32) -> KResult<()> {
    push_lock::ExfReleasePushLock(k, lock)?;
    crate::ke::apc::KeLeaveCriticalRegion(k)
}

/// VOID FltAcquirePushLockExclusive(PEX_PUSH_LOCK PushLock)
pub fn FltAcquirePushLockExclusive(k: &mut Kx, lock: Ptr) -> KResult<()> {
    FltAcquirePushLockExclusiveEx(k, lock, 0)
}

/// VOID FltAcquirePushLockShared(PEX_PUSH_LOCK PushLock)
pub fn FltAcquirePushLockShared(k: &mut Kx, lock: Ptr) -> KResult<()> {
    FltAcquirePushLockSharedEx(k, lock, 0)
}

/// VOID FltReleasePushLock(PEX_PUSH_LOCK PushLock)
pub fn FltReleasePushLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    FltReleasePushLockEx(k, lock, 0)
}

/// VOID FltAcquireResourceExclusive(PERESOURCE Resource)
pub fn FltAcquireResourceExclusive(k: &mut Kx, resource: Ptr) -> KResult<()> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    crate::ex::resource::ExAcquireResourceExclusiveLite(k, resource, crate::types::Boolean(true))?;
    Ok(())
}

/// VOID FltAcquireResourceShared(PERESOURCE Resource)
pub fn FltAcquireResourceShared(k: &mut Kx, resource: Ptr) -> KResult<()> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    crate::ex::resource::ExAcquireResourceSharedLite(k, resource, crate::types::Boolean(true))?;
    Ok(())
}

/// VOID FltReleaseResource(PERESOURCE Resource)
pub fn FltReleaseResource(k: &mut Kx, resource: Ptr) -> KResult<()> {
    crate::ex::resource::ExReleaseResourceLite(k, resource)?;
    crate::ke::apc::KeLeaveCriticalRegion(k)
}
