//! Locks handed from their releaser to the first waiter (fast and guarded mutexes): who
//! holds each, who waits, in order. Callers keep the lock's own fields in guest memory.

use crate::kernel::KResult;
use crate::kernel::Kx;

use super::scheduler::{self, Block, Cid, Resume, Wait};

/// How an acquire ended.
pub(crate) enum Acquired {
    /// The lock was free: the caller holds it.
    Now,
    /// The caller waits (parked: its call completes when the lock is handed over).
    Parked,
    /// The caller waited in place and holds it now.
    AfterWait,
}

/// Whether `lock` is held.
pub(crate) fn held(k: &Kx, lock: u64) -> Option<Cid> {
    k.ext().sched.lock_owners.get(&lock).copied()
}

/// Takes `lock` for the current flow, waiting behind its holder if it has one. `saved` is
/// kept with the waiter and given back to whoever hands the lock over.
pub(crate) fn acquire(
    k: &mut Kx,
    lock: u64,
    what: &'static str,
    reason: u32,
    resume: Resume,
    saved: u64,
) -> KResult<Acquired> {
    let me = k.ext().sched.current;
    if held(k, lock).is_none() {
        k.ext_mut().sched.lock_owners.insert(lock, me);
        return Ok(Acquired::Now);
    }
    // Held (by another flow, or by this one: that never ends, and the deadlock says so).
    k.ext_mut().sched.lock_waiters.entry(lock).or_default().push_back((me, saved));
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Lock { lock, what },
        deadline: None,
        timeout_status: 0,
        reason,
        alertable: false,
        mode: 0,
        seq,
    };
    Ok(match scheduler::block(k, wait, resume)? {
        None => Acquired::Parked,
        Some(_) => Acquired::AfterWait,
    })
}

/// Takes `lock` if it is free.
pub(crate) fn try_acquire(k: &mut Kx, lock: u64) -> bool {
    let me = k.ext().sched.current;
    if held(k, lock).is_some() {
        return false;
    }
    k.ext_mut().sched.lock_owners.insert(lock, me);
    true
}

/// Lets go of `lock`: the first waiter holds it now and is woken (returned with what it
/// saved), or it is free.
pub(crate) fn release(k: &mut Kx, lock: u64) -> Option<(Cid, u64)> {
    let s = &mut k.ext_mut().sched;
    s.lock_owners.remove(&lock);
    let next = s.lock_waiters.get_mut(&lock).and_then(|q| q.pop_front());
    if s.lock_waiters.get(&lock).is_some_and(|q| q.is_empty()) {
        s.lock_waiters.remove(&lock);
    }
    let (cid, saved) = next?;
    s.lock_owners.insert(lock, cid);
    s.wake(cid, 0);
    Some((cid, saved))
}
