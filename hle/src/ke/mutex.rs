//! Kernel mutexes and mutants: KeInitializeMutex, KeInitializeMutant, KeReleaseMutex,
//! KeReleaseMutant, KeReadStateMutex, KeReadStateMutant. A thread acquires one by waiting on
//! it (KeWaitForSingleObject / KeWaitForMutexObject), may acquire it again (recursively),
//! and must release it as often. A kernel mutex also disables normal kernel APCs while held.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KMUTANT};
use crate::types::{Boolean, Ptr};

use super::dispatcher::{init_header, otype, set_signal_state, signal_state, signaled, waiter_thread};
use super::irql;
use super::scheduler::Cid;

/// STATUS_MUTANT_NOT_OWNED.
const MUTANT_NOT_OWNED: u64 = 0xC000_0046;

fn init(k: &mut Kx, mutant: u64, apc_disable: u8, owner: Option<(u64, Cid)>) -> KResult<()> {
    let arch = k.arch();
    let size = KMUTANT::STRUCT.size(arch);
    init_header(k, mutant, otype::MUTANT, size, if owner.is_some() { 0 } else { 1 })?;
    let list = KMUTANT::MutantListEntry.at(arch, mutant);
    let mem = k.mem_mut();
    mem.write_ptr(list, list)?;
    mem.write_ptr(list + arch.ptr_size(), list)?;
    mem.set(mutant, KMUTANT::OwnerThread, owner.map(|o| o.0).unwrap_or(0))?;
    mem.set(mutant, KMUTANT::Abandoned, 0)?;
    mem.set(mutant, KMUTANT::ApcDisable, apc_disable as u64)?;
    let s = &mut k.ext_mut().sched;
    match owner {
        Some((_, cid)) => {
            s.mutants.insert(mutant, cid);
        }
        None => {
            s.mutants.remove(&mutant);
        }
    }
    Ok(())
}

/// VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level): free, disabling APCs while held.
pub fn KeInitializeMutex(k: &mut Kx, mutex: Ptr, _level: u32) -> KResult<()> {
    init(k, mutex.0, 1, None)
}

/// VOID KeInitializeMutant(PRKMUTANT Mutant, BOOLEAN InitialOwner)
pub fn KeInitializeMutant(k: &mut Kx, mutant: Ptr, initial_owner: Boolean) -> KResult<()> {
    let cid = k.ext().sched.current;
    let owner = initial_owner.0.then(|| (waiter_thread(k, cid), cid));
    init(k, mutant.0, 0, owner)
}

/// The KeSetEvent-style `Wait = TRUE`: the caller goes on at DISPATCH_LEVEL until the wait
/// it calls next.
pub(crate) fn wait_next(k: &mut Kx) -> KResult<()> {
    let level = irql::current(k)?;
    if let Some(t) = k.ext_mut().sched.current_mut().thread_mut() {
        t.wait_next = Some(level);
    }
    irql::set(k, irql::DISPATCH_LEVEL)
}

/// Releases `mutant` once for the current thread; returns the previous state.
fn release(k: &mut Kx, mutant: u64, abandon: bool, what: &str) -> KResult<i32> {
    let cid = k.ext().sched.current;
    let me = waiter_thread(k, cid);
    let owner = k.mem().get(mutant, KMUTANT::OwnerThread)?;
    let apc = k.mem().get(mutant, KMUTANT::ApcDisable)? as i32;
    let old = signal_state(k, mutant)?;
    if !abandon && (owner != me || old > 0) {
        let at = caller(k);
        let b = if apc != 0 {
            Bugcheck {
                code: 0x11,
                name: "THREAD_NOT_MUTEX_OWNER",
                params: [me, mutant, 0, 0],
                caller: at,
                reason: format!("{what} of a mutex the thread does not own"),
            }
        } else {
            Bugcheck {
                code: 0x1E,
                name: "KMODE_EXCEPTION_NOT_HANDLED",
                params: [MUTANT_NOT_OWNED, at, 0, 0],
                caller: at,
                reason: format!("{what} of a mutant the thread does not own (STATUS_MUTANT_NOT_OWNED)"),
            }
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    let new = if abandon { 1 } else { old + 1 };
    set_signal_state(k, mutant, new)?;
    if new == 1 {
        free(k, mutant, abandon)?;
        signaled(k, mutant)?;
    }
    Ok(old)
}

/// The owner lets go of `mutant` for good: no owner, and its APCs count again.
pub(crate) fn free(k: &mut Kx, mutant: u64, abandoned: bool) -> KResult<()> {
    let apc = k.mem().get(mutant, KMUTANT::ApcDisable)? as i32;
    k.mem_mut().set(mutant, KMUTANT::OwnerThread, 0)?;
    if abandoned {
        k.mem_mut().set(mutant, KMUTANT::Abandoned, 1)?;
    }
    if let Some(owner) = k.ext_mut().sched.mutants.remove(&mutant) {
        if let Some(t) = k.ext_mut().sched.contexts[owner].thread_mut() {
            t.kernel_apc_disable -= apc;
        }
    }
    Ok(())
}

/// LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait). Releasing a mutex the thread does not
/// own is THREAD_NOT_MUTEX_OWNER.
pub fn KeReleaseMutex(k: &mut Kx, mutex: Ptr, wait: Boolean) -> KResult<i32> {
    let old = release(k, mutex.0, false, "KeReleaseMutex")?;
    if wait.0 {
        wait_next(k)?;
    }
    Ok(old)
}

/// LONG KeReleaseMutant(PRKMUTANT Mutant, KPRIORITY Increment, BOOLEAN Abandon, BOOLEAN Wait)
pub fn KeReleaseMutant(k: &mut Kx, mutant: Ptr, _increment: i32, abandon: Boolean, wait: Boolean) -> KResult<i32> {
    let old = release(k, mutant.0, abandon.0, "KeReleaseMutant")?;
    if wait.0 {
        wait_next(k)?;
    }
    Ok(old)
}

/// LONG KeReadStateMutex(PRKMUTEX Mutex): 1 when free.
pub fn KeReadStateMutex(k: &mut Kx, mutex: Ptr) -> KResult<i32> {
    signal_state(k, mutex.0)
}

/// LONG KeReadStateMutant(PRKMUTANT Mutant)
pub fn KeReadStateMutant(k: &mut Kx, mutant: Ptr) -> KResult<i32> {
    signal_state(k, mutant.0)
}

/// A terminating thread's mutexes: a kernel mutex still held is THREAD_TERMINATE_HELD_MUTEX;
/// a mutant is abandoned (its next owner's wait says so).
pub(crate) fn rundown(k: &mut Kx, cid: Cid) -> KResult<()> {
    let held: Vec<u64> = k.ext().sched.mutants.iter().filter(|(_, c)| **c == cid).map(|(m, _)| *m).collect();
    for m in held {
        if k.mem().get(m, KMUTANT::ApcDisable)? != 0 {
            let thread = waiter_thread(k, cid);
            let b = Bugcheck {
                code: 0x4000_008A,
                name: "THREAD_TERMINATE_HELD_MUTEX",
                params: [thread, m, 0, 0],
                caller: 0,
                reason: format!("a thread ended holding the kernel mutex {m:#x}"),
            };
            return Err(KError::Stop(bugcheck_stop(k, b)));
        }
        set_signal_state(k, m, 1)?;
        free(k, m, true)?;
        signaled(k, m)?;
    }
    Ok(())
}
