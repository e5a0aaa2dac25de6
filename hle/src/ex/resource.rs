//! Executive resources (ERESOURCE): ExInitializeResourceLite, ExReinitializeResourceLite,
//! ExDeleteResourceLite, ExAcquireResourceExclusiveLite, ExAcquireResourceSharedLite,
//! ExAcquireSharedStarveExclusive, ExAcquireSharedWaitForExclusive, ExReleaseResourceLite,
//! ExReleaseResourceForThreadLite, ExConvertExclusiveToSharedLite, the
//! ExEnterCriticalRegionAndAcquire* / ExReleaseResourceAndLeaveCriticalRegion pairs,
//! ExIsResourceAcquiredExclusiveLite / SharedLite, ExGetExclusiveWaiterCount /
//! SharedWaiterCount, ExSetResourceOwnerPointer(Ex), ExDisableResourceBoostLite.
//!
//! Reader/writer semantics as Windows': an exclusive owner may acquire again (shared or
//! exclusive) recursively; shared owners may acquire shared again; a new shared acquire
//! waits behind exclusive waiters (except StarveExclusive); when the resource becomes free an
//! exclusive waiter gets it first, else every shared waiter. Releasing what one does not own
//! is RESOURCE_NOT_OWNED; a shared owner asking for exclusive access waits forever (a
//! deadlock, reported). Owners are ERESOURCE_THREAD values: the owning thread, or an owner
//! pointer set with ExSetResourceOwnerPointer.
#![allow(non_snake_case)]

use std::collections::{BTreeMap, VecDeque};

use crate::ke::dispatcher::waiter_thread;
use crate::ke::scheduler::{self, reason, Block, Cid, Resume, Wait};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, ERESOURCE, OWNER_ENTRY};
use crate::types::{status, Boolean, NtStatus, Ptr, SizeT};

/// ResourceOwnedExclusive, ResourceDisableBoost.
const OWNED_EXCLUSIVE: u64 = 0x80;
const DISABLE_BOOST: u64 = 0x08;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Exclusive,
    Shared,
}

/// Who owns a resource and who waits for it.
#[derive(Clone, Debug, Default)]
pub struct Resource {
    /// (owner, recursion count)
    exclusive: Option<(u64, u32)>,
    shared: BTreeMap<u64, u32>,
    waiters: VecDeque<(Cid, u64, Want)>,
    /// Owner values and their flows, for the wait graph.
    flows: BTreeMap<u64, Cid>,
}

impl Resource {
    fn free(&self) -> bool {
        self.exclusive.is_none() && self.shared.is_empty()
    }

    fn exclusive_waiters(&self) -> usize {
        self.waiters.iter().filter(|w| w.2 == Want::Exclusive).count()
    }
}

/// The ERESOURCE_THREAD of the current flow.
fn me(k: &Kx) -> (Cid, u64) {
    let cid = k.ext().sched.current;
    (cid, waiter_thread(k, cid))
}

fn state(k: &mut Kx, resource: u64) -> KResult<&mut Resource> {
    // The resource must be readable; one never initialized behaves like a zeroed one (free).
    k.mem().get(resource, ERESOURCE::ActiveCount)?;
    Ok(k.ext_mut().ex.resources.entry(resource).or_default())
}

/// Writes the fields drivers may look at, and who holds it for the wait graph.
fn publish(k: &mut Kx, resource: u64) -> KResult<()> {
    let r = k.ext().ex.resources.get(&resource).cloned().unwrap_or_default();
    let arch = k.arch();
    let active = if r.exclusive.is_some() { 1 } else { r.shared.len() as u64 };
    let first = r.exclusive.map(|e| e.0).or_else(|| r.shared.keys().next().copied()).unwrap_or(0);
    let flag = k.mem().get(resource, ERESOURCE::Flag)?;
    let mem = k.mem_mut();
    mem.set(resource, ERESOURCE::ActiveCount, active)?;
    mem.set(
        resource,
        ERESOURCE::Flag,
        if r.exclusive.is_some() { flag | OWNED_EXCLUSIVE } else { flag & !OWNED_EXCLUSIVE },
    )?;
    mem.set(resource, ERESOURCE::NumberOfExclusiveWaiters, r.exclusive_waiters() as u64)?;
    mem.set(resource, ERESOURCE::NumberOfSharedWaiters, (r.waiters.len() - r.exclusive_waiters()) as u64)?;
    let entry = ERESOURCE::OwnerEntry.at(arch, resource);
    mem.set(entry, OWNER_ENTRY::OwnerThread, first)?;
    mem.set(
        entry,
        OWNER_ENTRY::TableSize,
        r.exclusive.map(|e| e.1).or_else(|| r.shared.get(&first).copied()).unwrap_or(0) as u64,
    )?;
    let holder = r.flows.get(&first).copied();
    let s = &mut k.ext_mut().sched;
    match holder {
        Some(c) => {
            s.lock_owners.insert(resource, c);
        }
        None => {
            s.lock_owners.remove(&resource);
        }
    }
    Ok(())
}

/// NTSTATUS ExInitializeResourceLite(PERESOURCE Resource)
pub fn ExInitializeResourceLite(k: &mut Kx, resource: Ptr) -> KResult<NtStatus> {
    let size = ERESOURCE::STRUCT.size(k.arch());
    crate::ex::pool::zero(k, resource.0, size)?;
    let arch = k.arch();
    let list = ERESOURCE::SystemResourcesList.at(arch, resource.0);
    k.mem_mut().write_ptr(list, list)?;
    k.mem_mut().write_ptr(list + arch.ptr_size(), list)?;
    k.ext_mut().ex.resources.insert(resource.0, Resource::default());
    publish(k, resource.0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS ExReinitializeResourceLite(PERESOURCE Resource)
pub fn ExReinitializeResourceLite(k: &mut Kx, resource: Ptr) -> KResult<NtStatus> {
    ExInitializeResourceLite(k, resource)
}

/// NTSTATUS ExDeleteResourceLite(PERESOURCE Resource)
pub fn ExDeleteResourceLite(k: &mut Kx, resource: Ptr) -> KResult<NtStatus> {
    k.mem().get(resource.0, ERESOURCE::ActiveCount)?;
    k.ext_mut().ex.resources.remove(&resource.0);
    k.ext_mut().sched.lock_owners.remove(&resource.0);
    Ok(status::SUCCESS)
}

/// Waits for the resource; it is granted on release (the call then returns TRUE).
fn wait_for(k: &mut Kx, resource: u64, want: Want) -> KResult<Boolean> {
    let level = crate::ke::irql::current(k)?;
    crate::ke::wait::check_may_wait(k, level, "an ERESOURCE acquire")?;
    let (cid, owner) = me(k);
    state(k, resource)?.waiters.push_back((cid, owner, want));
    let c = k.mem().get(resource, ERESOURCE::ContentionCount)?;
    k.mem_mut().set(resource, ERESOURCE::ContentionCount, c + 1)?;
    publish(k, resource)?;
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Lock { lock: resource, what: "resource" },
        deadline: None,
        timeout_status: 0,
        reason: reason::WR_RESOURCE,
        alertable: false,
        mode: 0,
        seq,
    };
    scheduler::block(k, wait, Resume::Value(1))?;
    Ok(Boolean(true))
}

fn acquire_exclusive(k: &mut Kx, resource: u64, wait: bool) -> KResult<Boolean> {
    let (cid, owner) = me(k);
    let r = state(k, resource)?;
    if let Some((o, n)) = &mut r.exclusive {
        if *o == owner {
            *n += 1;
            return Ok(Boolean(true));
        }
    } else if r.free() {
        r.exclusive = Some((owner, 1));
        r.flows.insert(owner, cid);
        publish(k, resource)?;
        return Ok(Boolean(true));
    }
    if !wait {
        return Ok(Boolean(false));
    }
    wait_for(k, resource, Want::Exclusive)
}

/// How a shared acquire treats exclusive waiters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shared {
    /// ExAcquireResourceSharedLite: waits behind them unless already a shared owner.
    Lite,
    /// ExAcquireSharedStarveExclusive: ignores them.
    StarveExclusive,
    /// ExAcquireSharedWaitForExclusive: waits behind them even as a shared owner.
    WaitForExclusive,
}

fn acquire_shared(k: &mut Kx, resource: u64, how: Shared, wait: bool) -> KResult<Boolean> {
    let (cid, owner) = me(k);
    let r = state(k, resource)?;
    if let Some((o, n)) = &mut r.exclusive {
        if *o == owner {
            *n += 1;
            return Ok(Boolean(true));
        }
    } else {
        let mine = r.shared.contains_key(&owner);
        let blocked = r.exclusive_waiters() > 0
            && match how {
                Shared::Lite => !mine,
                Shared::StarveExclusive => false,
                Shared::WaitForExclusive => true,
            };
        if !blocked {
            *r.shared.entry(owner).or_insert(0) += 1;
            r.flows.insert(owner, cid);
            publish(k, resource)?;
            return Ok(Boolean(true));
        }
    }
    if !wait {
        return Ok(Boolean(false));
    }
    wait_for(k, resource, Want::Shared)
}

/// Hands a free resource to its waiters: one exclusive waiter first, else every shared one.
fn grant(k: &mut Kx, resource: u64) {
    let Some(r) = k.ext_mut().ex.resources.get_mut(&resource) else { return };
    let mut woken = Vec::new();
    if r.free() {
        if let Some(i) = r.waiters.iter().position(|w| w.2 == Want::Exclusive) {
            let (cid, owner, _) = r.waiters.remove(i).expect("found");
            r.exclusive = Some((owner, 1));
            r.flows.insert(owner, cid);
            woken.push(cid);
        }
    }
    if r.exclusive.is_none() && r.exclusive_waiters() == 0 {
        while let Some((cid, owner, _)) = r.waiters.pop_front() {
            *r.shared.entry(owner).or_insert(0) += 1;
            r.flows.insert(owner, cid);
            woken.push(cid);
        }
    }
    for cid in woken {
        k.ext_mut().sched.wake(cid, 1);
    }
}

/// Releases one acquisition by `owner`; RESOURCE_NOT_OWNED if it holds none.
fn release(k: &mut Kx, resource: u64, owner: u64, what: &str) -> KResult<()> {
    let r = state(k, resource)?;
    let released = match (&mut r.exclusive, r.shared.get_mut(&owner)) {
        (Some((o, n)), _) if *o == owner => {
            *n -= 1;
            if *n == 0 {
                r.exclusive = None;
                r.flows.remove(&owner);
            }
            true
        }
        (_, Some(n)) => {
            *n -= 1;
            if *n == 0 {
                r.shared.remove(&owner);
                r.flows.remove(&owner);
            }
            true
        }
        _ => false,
    };
    if !released {
        let b = Bugcheck {
            code: 0xE3,
            name: "RESOURCE_NOT_OWNED",
            params: [resource, owner, 0, 0],
            caller: caller(k),
            reason: format!("{what} of a resource {owner:#x} does not own"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    grant(k, resource);
    publish(k, resource)
}

/// BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)
pub fn ExAcquireResourceExclusiveLite(k: &mut Kx, resource: Ptr, wait: Boolean) -> KResult<Boolean> {
    acquire_exclusive(k, resource.0, wait.0)
}

/// BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)
pub fn ExAcquireResourceSharedLite(k: &mut Kx, resource: Ptr, wait: Boolean) -> KResult<Boolean> {
    acquire_shared(k, resource.0, Shared::Lite, wait.0)
}

/// BOOLEAN ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)
pub fn ExAcquireSharedStarveExclusive(k: &mut Kx, resource: Ptr, wait: Boolean) -> KResult<Boolean> {
    acquire_shared(k, resource.0, Shared::StarveExclusive, wait.0)
}

/// BOOLEAN ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait)
pub fn ExAcquireSharedWaitForExclusive(k: &mut Kx, resource: Ptr, wait: Boolean) -> KResult<Boolean> {
    acquire_shared(k, resource.0, Shared::WaitForExclusive, wait.0)
}

/// VOID ExReleaseResourceLite(PERESOURCE Resource) (fastcall on x86)
pub fn ExReleaseResourceLite(k: &mut Kx, resource: Ptr) -> KResult<()> {
    let (_, owner) = me(k);
    release(k, resource.0, owner, "ExReleaseResourceLite")
}

/// VOID ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)
pub fn ExReleaseResourceForThreadLite(k: &mut Kx, resource: Ptr, owner: SizeT) -> KResult<()> {
    release(k, resource.0, owner.0, "ExReleaseResourceForThreadLite")
}

/// VOID ExConvertExclusiveToSharedLite(PERESOURCE Resource): the exclusive owner keeps it
/// shared (with its recursion count), and shared waiters may join.
pub fn ExConvertExclusiveToSharedLite(k: &mut Kx, resource: Ptr) -> KResult<()> {
    let (_, owner) = me(k);
    let r = state(k, resource.0)?;
    match r.exclusive {
        Some((o, n)) if o == owner => {
            r.exclusive = None;
            r.shared.insert(owner, n);
        }
        _ => {
            let b = Bugcheck {
                code: 0xE3,
                name: "RESOURCE_NOT_OWNED",
                params: [resource.0, owner, 0, 0],
                caller: caller(k),
                reason: "ExConvertExclusiveToSharedLite of a resource not owned exclusively".into(),
            };
            return Err(KError::Stop(bugcheck_stop(k, b)));
        }
    }
    if r.exclusive_waiters() == 0 {
        grant(k, resource.0);
    }
    publish(k, resource.0)
}

/// BOOLEAN ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)
pub fn ExIsResourceAcquiredExclusiveLite(k: &mut Kx, resource: Ptr) -> KResult<Boolean> {
    let (_, owner) = me(k);
    let r = state(k, resource.0)?;
    Ok(Boolean(matches!(r.exclusive, Some((o, _)) if o == owner)))
}

/// ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource): how many times the thread
/// holds it, shared or exclusive.
pub fn ExIsResourceAcquiredSharedLite(k: &mut Kx, resource: Ptr) -> KResult<u32> {
    let (_, owner) = me(k);
    let r = state(k, resource.0)?;
    Ok(match r.exclusive {
        Some((o, n)) if o == owner => n,
        _ => r.shared.get(&owner).copied().unwrap_or(0),
    })
}

/// ULONG ExGetExclusiveWaiterCount(PERESOURCE Resource)
pub fn ExGetExclusiveWaiterCount(k: &mut Kx, resource: Ptr) -> KResult<u32> {
    Ok(state(k, resource.0)?.exclusive_waiters() as u32)
}

/// ULONG ExGetSharedWaiterCount(PERESOURCE Resource)
pub fn ExGetSharedWaiterCount(k: &mut Kx, resource: Ptr) -> KResult<u32> {
    let r = state(k, resource.0)?;
    Ok((r.waiters.len() - r.exclusive_waiters()) as u32)
}

/// VOID ExSetResourceOwnerPointer(PERESOURCE Resource, PVOID OwnerPointer): the current
/// thread's ownership passes to an owner pointer (released later with
/// ExReleaseResourceForThreadLite and `OwnerPointer | 3`).
pub fn ExSetResourceOwnerPointer(k: &mut Kx, resource: Ptr, owner_pointer: Ptr) -> KResult<()> {
    let (cid, owner) = me(k);
    let to = owner_pointer.0 | 3;
    let r = state(k, resource.0)?;
    if let Some((o, _)) = &mut r.exclusive {
        if *o == owner {
            *o = to;
        }
    } else if let Some(n) = r.shared.remove(&owner) {
        r.shared.insert(to, n);
    }
    r.flows.remove(&owner);
    r.flows.insert(to, cid);
    publish(k, resource.0)
}

/// VOID ExSetResourceOwnerPointerEx(PERESOURCE Resource, PVOID OwnerPointer, ULONG Flags)
pub fn ExSetResourceOwnerPointerEx(k: &mut Kx, resource: Ptr, owner_pointer: Ptr, _flags: u32) -> KResult<()> {
    ExSetResourceOwnerPointer(k, resource, owner_pointer)
}

/// VOID ExDisableResourceBoostLite(PERESOURCE Resource): owners are not boosted.
pub fn ExDisableResourceBoostLite(k: &mut Kx, resource: Ptr) -> KResult<()> {
    let flag = k.mem().get(resource.0, ERESOURCE::Flag)?;
    k.mem_mut().set(resource.0, ERESOURCE::Flag, flag | DISABLE_BOOST)?;
    Ok(())
}

/// PVOID ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource): returns the
/// thread's Win32 thread (none for a kernel thread).
pub fn ExEnterCriticalRegionAndAcquireResourceExclusive(k: &mut Kx, resource: Ptr) -> KResult<Ptr> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    acquire_exclusive(k, resource.0, true)?;
    Ok(Ptr::NULL)
}

/// PVOID ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource)
pub fn ExEnterCriticalRegionAndAcquireResourceShared(k: &mut Kx, resource: Ptr) -> KResult<Ptr> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    acquire_shared(k, resource.0, Shared::Lite, true)?;
    Ok(Ptr::NULL)
}

/// PVOID ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(PERESOURCE Resource)
pub fn ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(k: &mut Kx, resource: Ptr) -> KResult<Ptr> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    acquire_shared(k, resource.0, Shared::WaitForExclusive, true)?;
    Ok(Ptr::NULL)
}

/// VOID ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource) (fastcall on x86)
pub fn ExReleaseResourceAndLeaveCriticalRegion(k: &mut Kx, resource: Ptr) -> KResult<()> {
    ExReleaseResourceLite(k, resource)?;
    crate::ke::apc::KeLeaveCriticalRegion(k)
}
