//! Dispatcher objects: what makes each kind signaled, what satisfying a wait on it does, and
//! waking the contexts that wait on one when it becomes signaled.
//!
//! The state lives where Windows keeps it, in the object's DISPATCHER_HEADER in guest memory
//! (Type, SignalState), so a driver that reads it sees the truth; the waiters are the
//! scheduler's (`Scheduler::waits`), in the order they began to wait.

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DISPATCHER_HEADER, KMUTANT};
use crate::types::status;

use super::scheduler::{Block, Cid, State};

/// DISPATCHER_HEADER.Type values.
pub mod otype {
    pub const EVENT_NOTIFICATION: u8 = 0;
    pub const EVENT_SYNCHRONIZATION: u8 = 1;
    pub const MUTANT: u8 = 2;
    pub const PROCESS: u8 = 3;
    pub const QUEUE: u8 = 4;
    pub const SEMAPHORE: u8 = 5;
    pub const THREAD: u8 = 6;
    pub const GATE: u8 = 7;
    pub const TIMER_NOTIFICATION: u8 = 8;
    pub const TIMER_SYNCHRONIZATION: u8 = 9;

    pub fn name(t: u8) -> &'static str {
        match t {
            EVENT_NOTIFICATION => "notification event",
            EVENT_SYNCHRONIZATION => "synchronization event",
            MUTANT => "mutex",
            PROCESS => "process",
            QUEUE => "queue",
            SEMAPHORE => "semaphore",
            THREAD => "thread",
            GATE => "gate",
            TIMER_NOTIFICATION => "notification timer",
            TIMER_SYNCHRONIZATION => "synchronization timer",
            _ => "dispatcher object",
        }
    }
}

/// STATUS_ABANDONED_WAIT_0.
pub const ABANDONED_WAIT_0: u64 = 0x80;
/// STATUS_TIMEOUT.
pub const TIMEOUT: u64 = 0x102;

pub fn header_type(k: &Kx, object: u64) -> KResult<u8> {
    Ok(k.mem().get(object, DISPATCHER_HEADER::Type)? as u8)
}

pub fn signal_state(k: &Kx, object: u64) -> KResult<i32> {
    Ok(k.mem().get(object, DISPATCHER_HEADER::SignalState)? as u32 as i32)
}

pub fn set_signal_state(k: &mut Kx, object: u64, state: i32) -> KResult<()> {
    k.mem_mut().set(object, DISPATCHER_HEADER::SignalState, state as u32 as u64)?;
    Ok(())
}

/// Writes a header: type, size in 32-bit units, signal state, an empty wait list.
pub fn init_header(k: &mut Kx, object: u64, otype: u8, size: u64, state: i32) -> KResult<()> {
    let arch = k.arch();
    let mem = k.mem_mut();
    mem.write_u32(object, otype as u32 | (((size / 4) as u32 & 0xFF) << 16))?;
    mem.set(object, DISPATCHER_HEADER::SignalState, state as u32 as u64)?;
    let list = DISPATCHER_HEADER::WaitListHead.at(arch, object);
    mem.write_ptr(list, list)?;
    mem.write_ptr(list + arch.ptr_size(), list)?;
    Ok(())
}

/// The header's type and signal state, in one read.
fn header(k: &Kx, object: u64) -> KResult<(u8, i32)> {
    let h = k.mem().read_u64(object)?;
    Ok((h as u8, (h >> 32) as u32 as i32))
}

/// Whether `object` would satisfy a wait by `thread` now (a mutex its owner holds does).
pub fn signaled_for(k: &Kx, object: u64, thread: u64) -> KResult<bool> {
    let (t, state) = header(k, object)?;
    Ok(match t {
        otype::MUTANT => state > 0 || (thread != 0 && k.mem().get(object, KMUTANT::OwnerThread)? == thread),
        _ => state > 0,
    })
}

/// Applies what satisfying a wait on `object` by `thread` does: a synchronization object
/// resets, a semaphore counts down, a mutex becomes (more) owned. True when the wait gets
/// an abandoned mutex.
fn satisfy(k: &mut Kx, object: u64, thread: u64, cid: Cid) -> KResult<bool> {
    let (t, state) = header(k, object)?;
    match t {
        otype::EVENT_SYNCHRONIZATION | otype::TIMER_SYNCHRONIZATION | otype::GATE => set_signal_state(k, object, 0)?,
        otype::SEMAPHORE => set_signal_state(k, object, state - 1)?,
        otype::MUTANT => {
            set_signal_state(k, object, state - 1)?;
            if state == 1 {
                // First acquisition: the thread owns it now.
                k.mem_mut().set(object, KMUTANT::OwnerThread, thread)?;
                let apc = k.mem().get(object, KMUTANT::ApcDisable)? as i32;
                if let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() {
                    t.kernel_apc_disable += apc;
                }
                k.ext_mut().sched.mutants.insert(object, cid);
                let abandoned = k.mem().get(object, KMUTANT::Abandoned)? != 0;
                if abandoned {
                    k.mem_mut().set(object, KMUTANT::Abandoned, 0)?;
                }
                return Ok(abandoned);
            }
        }
        _ => {}
    }
    Ok(false)
}

/// The thread a context waits as: its own, or (a DPC) the thread its processor runs.
pub fn waiter_thread(k: &Kx, cid: Cid) -> u64 {
    let c = k.ext().sched.ctx(cid);
    match c.thread() {
        Some(t) => t.ethread,
        None => {
            let kprcb = k.ext().sched.processors[c.processor as usize].kprcb;
            k.mem().get(kprcb, crate::layout::KPRCB::CurrentThread).unwrap_or(0)
        }
    }
}

/// Satisfies a wait by `cid` on `objects` now if it can: the wait's status.
pub fn try_satisfy(k: &mut Kx, cid: Cid, objects: &[u64], all: bool) -> KResult<Option<u64>> {
    let thread = waiter_thread(k, cid);
    if all {
        for o in objects {
            if !signaled_for(k, *o, thread)? {
                return Ok(None);
            }
        }
        let mut abandoned = false;
        for o in objects {
            abandoned |= satisfy(k, *o, thread, cid)?;
        }
        return Ok(Some(if abandoned { ABANDONED_WAIT_0 } else { status::SUCCESS.0 as u64 }));
    }
    for (i, o) in objects.iter().enumerate() {
        if signaled_for(k, *o, thread)? {
            let abandoned = satisfy(k, *o, thread, cid)?;
            return Ok(Some(if abandoned { ABANDONED_WAIT_0 + i as u64 } else { i as u64 }));
        }
    }
    Ok(None)
}

/// `object` became signaled: wakes its waiters in the order they began to wait, as long as
/// it stays signaled for them.
pub fn signaled(k: &mut Kx, object: u64) -> KResult<()> {
    let mut i = 0;
    loop {
        let Some(cid) = k.ext().sched.waits.get(&object).and_then(|l| l.get(i)).copied() else { return Ok(()) };
        if signal_state(k, object)? <= 0 {
            return Ok(());
        }
        let (objects, all) = match &k.ext().sched.ctx(cid).state {
            State::Waiting(w) => match &w.block {
                Block::Objects { objects, all } => (objects.clone(), *all),
                _ => (vec![], false),
            },
            _ => (vec![], false),
        };
        match try_satisfy(k, cid, &objects, all)? {
            // Woken: it left the list, the next one moved up.
            Some(st) => k.ext_mut().sched.wake(cid, st),
            None => i += 1,
        }
    }
}

/// Sets a notification-style object's state and wakes its waiters (threads and processes
/// when they end).
pub fn signal(k: &mut Kx, object: u64) -> KResult<()> {
    set_signal_state(k, object, 1)?;
    signaled(k, object)
}
