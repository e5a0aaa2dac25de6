//! Push locks: ExInitializePushLock, ExfAcquirePushLockExclusive / Shared, ExfReleasePushLock
//! (either), ExfReleasePushLockExclusive / Shared, ExfTryAcquirePushLockShared, and the
//! Windows 10 forms ExAcquirePushLockExclusiveEx / SharedEx, ExReleasePushLockExclusiveEx /
//! SharedEx. Reader/writer, not recursive, not fair: a shared acquire waits once anyone
//! waits. The value in guest memory follows Windows' bits: Locked (1), Waiting (2), the
//! share count from bit 4.
#![allow(non_snake_case)]

use std::collections::VecDeque;

use crate::ke::scheduler::{self, reason, Block, Cid, Resume, Wait};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::types::{Boolean, Ptr};

const LOCKED: u64 = 1;
const WAITING: u64 = 2;
const SHARE_INC: u64 = 0x10;

/// Who holds a push lock and who waits.
#[derive(Clone, Debug, Default)]
pub struct PushLock {
    exclusive: Option<Cid>,
    shared: Vec<Cid>,
    waiters: VecDeque<(Cid, bool)>,
}

fn value(p: &PushLock) -> u64 {
    let held = match (p.exclusive, p.shared.len() as u64) {
        (Some(_), _) => LOCKED,
        (None, 0) => 0,
        (None, n) => (n * SHARE_INC) | LOCKED,
    };
    held | if p.waiters.is_empty() { 0 } else { WAITING }
}

fn publish(k: &mut Kx, lock: u64) -> KResult<()> {
    let p = k.ext().ex.push_locks.get(&lock).cloned().unwrap_or_default();
    k.mem_mut().write_ptr(lock, value(&p))?;
    let holder = p.exclusive.or_else(|| p.shared.first().copied());
    let s = &mut k.ext_mut().sched;
    match holder {
        Some(c) => {
            s.lock_owners.insert(lock, c);
        }
        None => {
            s.lock_owners.remove(&lock);
        }
    }
    Ok(())
}

fn state(k: &mut Kx, lock: u64) -> KResult<&mut PushLock> {
    k.mem().read_ptr(lock)?;
    Ok(k.ext_mut().ex.push_locks.entry(lock).or_default())
}

/// VOID ExInitializePushLock(PEX_PUSH_LOCK PushLock)
pub fn ExInitializePushLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    k.mem_mut().write_ptr(lock.0, 0)?;
    k.ext_mut().ex.push_locks.remove(&lock.0);
    k.ext_mut().sched.lock_owners.remove(&lock.0);
    Ok(())
}

fn acquire(k: &mut Kx, lock: u64, exclusive: bool) -> KResult<()> {
    let me = k.ext().sched.current;
    let p = state(k, lock)?;
    let granted = if exclusive {
        p.exclusive.is_none() && p.shared.is_empty()
    } else {
        p.exclusive.is_none() && p.waiters.is_empty()
    };
    if granted {
        if exclusive {
            p.exclusive = Some(me);
        } else {
            p.shared.push(me);
        }
        return publish(k, lock);
    }
    p.waiters.push_back((me, exclusive));
    publish(k, lock)?;
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Lock { lock, what: "push lock" },
        deadline: None,
        timeout_status: 0,
        reason: reason::WR_PUSH_LOCK,
        alertable: false,
        mode: 0,
        seq,
    };
    scheduler::block(k, wait, Resume::Value(0))?;
    Ok(())
}

fn release(k: &mut Kx, lock: u64, what: &str) -> KResult<()> {
    let me = k.ext().sched.current;
    let p = state(k, lock)?;
    if p.exclusive == Some(me) {
        p.exclusive = None;
    } else if let Some(i) = p.shared.iter().position(|c| *c == me) {
        p.shared.remove(i);
    } else {
        let b = Bugcheck {
            code: 0xE3,
            name: "RESOURCE_NOT_OWNED",
            params: [lock, 0, 0, 0],
            caller: caller(k),
            reason: format!("{what} of a push lock the thread does not hold"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    // Free now: the first waiter if exclusive, else every shared waiter at the front.
    let mut woken = Vec::new();
    if p.exclusive.is_none() && p.shared.is_empty() {
        if let Some(&(cid, true)) = p.waiters.front() {
            p.waiters.pop_front();
            p.exclusive = Some(cid);
            woken.push(cid);
        } else {
            while let Some(&(cid, false)) = p.waiters.front() {
                p.waiters.pop_front();
                p.shared.push(cid);
                woken.push(cid);
            }
        }
    }
    for cid in woken {
        k.ext_mut().sched.wake(cid, 0);
    }
    publish(k, lock)
}

/// VOID ExfAcquirePushLockExclusive(PEX_PUSH_LOCK PushLock) (fastcall on x86)
pub fn ExfAcquirePushLockExclusive(k: &mut Kx, lock: Ptr) -> KResult<()> {
    acquire(k, lock.0, true)
}

/// VOID ExfAcquirePushLockShared(PEX_PUSH_LOCK PushLock) (fastcall on x86)
pub fn ExfAcquirePushLockShared(k: &mut Kx, lock: Ptr) -> KResult<()> {
    acquire(k, lock.0, false)
}

/// BOOLEAN ExfTryAcquirePushLockShared(PEX_PUSH_LOCK PushLock)
pub fn ExfTryAcquirePushLockShared(k: &mut Kx, lock: Ptr) -> KResult<Boolean> {
    let me = k.ext().sched.current;
    let p = state(k, lock.0)?;
    if p.exclusive.is_some() || !p.waiters.is_empty() {
        return Ok(Boolean(false));
    }
    p.shared.push(me);
    publish(k, lock.0)?;
    Ok(Boolean(true))
}

/// VOID ExfReleasePushLock(PEX_PUSH_LOCK PushLock): releases whichever the thread holds.
pub fn ExfReleasePushLock(k: &mut Kx, lock: Ptr) -> KResult<()> {
    release(k, lock.0, "ExfReleasePushLock")
}

/// VOID ExfReleasePushLockExclusive(PEX_PUSH_LOCK PushLock)
pub fn ExfReleasePushLockExclusive(k: &mut Kx, lock: Ptr) -> KResult<()> {
    release(k, lock.0, "ExfReleasePushLockExclusive")
}

/// VOID ExfReleasePushLockShared(PEX_PUSH_LOCK PushLock)
pub fn ExfReleasePushLockShared(k: &mut Kx, lock: Ptr) -> KResult<()> {
    release(k, lock.0, "ExfReleasePushLockShared")
}

/// VOID ExAcquirePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
pub fn ExAcquirePushLockExclusiveEx(k: &mut Kx, lock: Ptr, _flags: u32) -> KResult<()> {
    acquire(k, lock.0, true)
}

/// VOID ExAcquirePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
pub fn ExAcquirePushLockSharedEx(k: &mut Kx, lock: Ptr, _flags: u32) -> KResult<()> {
    acquire(k, lock.0, false)
}

/// VOID ExReleasePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
pub fn ExReleasePushLockExclusiveEx(k: &mut Kx, lock: Ptr, _flags: u32) -> KResult<()> {
    release(k, lock.0, "ExReleasePushLockExclusiveEx")
}

/// VOID ExReleasePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
pub fn ExReleasePushLockSharedEx(k: &mut Kx, lock: Ptr, _flags: u32) -> KResult<()> {
    release(k, lock.0, "ExReleasePushLockSharedEx")
}

/// VOID ExfUnblockPushLock(PEX_PUSH_LOCK PushLock, PEX_PUSH_LOCK_WAIT_BLOCK CurrentWaitBlock)
/// (fastcall on x86): the wake side of a push lock used as a block list (how a handle
/// table's HandleContentionEvent is used; ExUnlockHandleTableEntry calls it). Takes the
/// whole chain of EX_PUSH_LOCK_WAIT_BLOCKs off the lock and signals each one's WakeEvent but
/// `CurrentWaitBlock`'s; a caller whose own block was not in the chain waits on it, as it was
/// taken by an unblock already under way.
pub fn ExfUnblockPushLock(k: &mut Kx, lock: Ptr, current: Ptr) -> KResult<()> {
    let ps = k.arch().ptr_size();
    // EX_PUSH_LOCK_WAIT_BLOCK: WakeEvent (a KEVENT, 4 pointers), then Next.
    let next_at = 4 * ps;
    let mut block = k.mem().read_ptr(lock.0)?;
    k.mem_mut().write_ptr(lock.0, 0)?;
    let mut found = false;
    // A chain longer than this is a corrupt one: the rest is left alone.
    for _ in 0..1024 {
        if block == 0 {
            break;
        }
        let next = k.mem().read_ptr(block + next_at)?;
        if block == current.0 {
            found = true;
        } else {
            crate::ke::event::KeSetEvent(k, Ptr(block), 0, Boolean(false))?;
        }
        block = next;
    }
    if current.0 != 0 && !found {
        crate::ke::wait::KeWaitForSingleObject(k, current, reason::WR_PUSH_LOCK, 0, Boolean(false), Ptr(0))?;
    }
    Ok(())
}
