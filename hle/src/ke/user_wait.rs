//! Waits of user programs' threads, for the user-mode layer (`win32/src/threads.rs`).
//!
//! A program's threads all run in the one run the host started for the process; the
//! user-mode layer switches between them itself, at its library calls. A thread that waits
//! (WaitForSingleObject, Sleep, a contended critical section) *begins* its wait here: when
//! the wait cannot be satisfied at once its scheduler context is registered as waiting —
//! for its objects, with its deadline, exactly as a kernel wait is, so that an auto-reset
//! event wakes one waiter, a timeout fires on the virtual clock and the wait graph names
//! it — but nothing runs, and the layer switches to another of the program's threads. When
//! none of them can run, the layer waits in place for any of their waits to end
//! ([`run_until_one_woken`]): driver threads, DPCs and timers run meanwhile.

use crate::ke::dispatcher::{self, TIMEOUT};
use crate::ke::scheduler::{self, reason, Block, Cid, State, Wait};
use crate::kernel::{KResult, Kx};

/// Begins a wait of user thread `cid` (UserMode; the thread whose call is running) for `objects` (any one, or
/// `all`; none: only time passes) with KeWait's `timeout` (negative relative, 100 ns units;
/// None forever). Satisfied at once: its status (STATUS_WAIT_0 + i, STATUS_TIMEOUT for a
/// zero timeout). Otherwise None: the thread waits, held back until the layer takes its
/// result ([`take_result`]).
pub fn begin(k: &mut Kx, cid: Cid, objects: &[u64], all: bool, timeout: Option<i64>) -> KResult<Option<u64>> {
    if !objects.is_empty() {
        if let Some(st) = dispatcher::try_satisfy(k, cid, objects, all)? {
            return Ok(Some(st));
        }
    }
    if timeout == Some(0) {
        return Ok(Some(TIMEOUT));
    }
    let deadline = timeout.map(|t| super::time::deadline(k, t));
    let seq = k.ext_mut().sched.next_seq();
    let block = if objects.is_empty() { Block::Delay } else { Block::Objects { objects: objects.to_vec(), all } };
    let wait = Wait {
        block,
        deadline,
        timeout_status: TIMEOUT,
        reason: if objects.is_empty() { reason::DELAY_EXECUTION } else { reason::EXECUTIVE },
        alertable: false,
        mode: 1, // UserMode
        seq,
    };
    let s = &mut k.ext_mut().sched;
    if let Block::Objects { objects, .. } = &wait.block {
        for o in objects {
            s.waits.entry(*o).or_default().push(cid);
        }
    }
    s.contexts[cid].state = State::Waiting(wait);
    s.user_waiters.push(cid);
    Ok(None)
}

/// Begins a wait of user thread `cid` for a lock of the user-mode layer's (a critical
/// section another thread holds), which its holder hands over ([`hand_over`]): the thread
/// waits, held back, with no deadline, for KWAIT_REASON `why` (a suspended thread waits so
/// too, on its own thread object, for ResumeThread).
pub fn begin_lock(k: &mut Kx, cid: Cid, lock: u64, what: &'static str, why: u32) {
    let s = &mut k.ext_mut().sched;
    let seq = s.next_seq();
    let wait = Wait {
        block: Block::Lock { lock, what },
        deadline: None,
        timeout_status: TIMEOUT,
        reason: why,
        alertable: false,
        mode: 1, // UserMode
        seq,
    };
    s.contexts[cid].state = State::Waiting(wait);
    s.user_waiters.push(cid);
}

/// Hands the lock context `cid` waits for over to it: its wait ends with STATUS_SUCCESS.
pub fn hand_over(k: &mut Kx, cid: Cid) {
    let s = &mut k.ext_mut().sched;
    if s.user_waiters.contains(&cid) && matches!(s.contexts[cid].state, State::Waiting(_)) {
        s.wake(cid, 0);
    }
}

/// The status the wait of `cid` ended with, once it has ended (the thread is then running
/// again as far as the scheduler knows); None while it goes on.
pub fn take_result(k: &mut Kx, cid: Cid) -> Option<u64> {
    if !ended(k, cid) {
        return None;
    }
    let s = &mut k.ext_mut().sched;
    s.user_waiters.retain(|c| *c != cid);
    let c = &mut s.contexts[cid];
    c.state = State::Idle;
    Some(c.wake_status)
}

/// Whether `cid`'s wait has ended (its result is waiting to be taken). A woken waiter is
/// Ready, or Running when it was the context that waited in place for the others.
pub fn ended(k: &Kx, cid: Cid) -> bool {
    let s = &k.ext().sched;
    s.user_waiters.contains(&cid)
        && s.contexts.get(cid).is_some_and(|c| matches!(c.state, State::Ready | State::Running))
}

/// Runs the scheduler in place, on the current context, until the wait of one of the user
/// threads held back ends; with nothing that could ever end one, the run stops with the
/// kernel's deadlock and its wait graph.
pub fn run_until_one_woken(k: &mut Kx) -> KResult<()> {
    scheduler::wait_for_user_waiter(k)
}

/// Marks user thread `cid` suspended (or no longer): while it is, an end of its wait does
/// not stop [`run_until_one_woken`] (the user-mode layer could not let it go on).
pub fn set_suspended(k: &mut Kx, cid: Cid, suspended: bool) {
    let s = &mut k.ext_mut().sched;
    s.user_suspended.retain(|c| *c != cid);
    if suspended {
        s.user_suspended.push(cid);
    }
}

/// Abandons the wait of `cid` (its thread is ending with its process): it leaves the wait
/// lists and is held back no more.
pub fn abandon(k: &mut Kx, cid: Cid) {
    let s = &mut k.ext_mut().sched;
    s.user_suspended.retain(|c| *c != cid);
    if !s.user_waiters.contains(&cid) {
        return;
    }
    s.user_waiters.retain(|c| *c != cid);
    if let State::Waiting(w) = &s.contexts[cid].state {
        if let Block::Objects { objects, .. } = &w.block {
            for o in objects.clone() {
                if let Some(list) = s.waits.get_mut(&o) {
                    list.retain(|c| *c != cid);
                }
            }
        }
    }
    s.contexts[cid].state = State::Idle;
}
