//! The processes and threads there are, as the object manager, the Zw* information routines
//! and scenario steps see them: the process list (`processes.rs`) with, for each process
//! still running, the scheduler's threads in it (`ke/scheduler.rs`).

use crate::ke::scheduler::{Kind, State};
use crate::kernel::{KResult, Kx};

/// A thread: its ETHREAD, thread id and what the scheduler knows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadRef {
    pub ethread: u64,
    pub tid: u64,
    /// Its start routine (0 for the threads the host calls the driver on).
    pub start: u64,
    pub priority: u8,
    pub base_priority: u8,
    /// KTHREAD_STATE: 1 ready, 2 running, 5 waiting.
    pub state: u32,
    /// KWAIT_REASON of its wait (0 when it does not wait).
    pub wait_reason: u32,
}

/// A process: its EPROCESS, id, image name and threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessRef {
    pub eprocess: u64,
    pub pid: u64,
    pub parent_pid: u64,
    pub image_name: String,
    pub threads: Vec<ThreadRef>,
}

/// The threads of `eprocess` that have not ended, in creation order.
fn threads_of(k: &Kx, eprocess: u64) -> Vec<ThreadRef> {
    let s = &k.ext().sched;
    s.contexts
        .iter()
        .enumerate()
        .filter_map(|(cid, c)| match &c.kind {
            Kind::Thread(t) if t.process == eprocess && c.state != State::Terminated => {
                let (state, wait_reason) = match &c.state {
                    State::Waiting(w) => (5, w.reason),
                    // Host threads between calls wait for the next one.
                    State::Idle => (5, 0),
                    State::Ready => (1, 0),
                    _ if cid == s.current => (2, 0),
                    _ => (1, 0),
                };
                Some(ThreadRef {
                    ethread: t.ethread,
                    tid: t.tid,
                    start: t.start,
                    priority: t.priority,
                    base_priority: t.base_priority,
                    state,
                    wait_reason,
                })
            }
            _ => None,
        })
        .collect()
}

/// Every process still there ([`super::processes::alive`]), in creation order (the System
/// process first).
pub fn processes(k: &Kx) -> KResult<Vec<ProcessRef>> {
    Ok(super::processes::list(k)
        .iter()
        .filter(|p| super::processes::alive(k, p))
        .map(|p| ProcessRef {
            eprocess: p.eprocess,
            pid: p.pid,
            parent_pid: p.parent,
            image_name: p.name.clone(),
            threads: threads_of(k, p.eprocess),
        })
        .collect())
}

/// The process with id `pid`.
pub fn by_pid(k: &Kx, pid: u64) -> KResult<Option<ProcessRef>> {
    Ok(processes(k)?.into_iter().find(|p| p.pid == pid))
}

/// The thread with id `tid`, and its process.
pub fn thread_by_tid(k: &Kx, tid: u64) -> KResult<Option<(ProcessRef, ThreadRef)>> {
    Ok(processes(k)?.into_iter().find_map(|p| {
        let t = p.threads.iter().find(|t| t.tid == tid).cloned();
        t.map(|t| (p, t))
    }))
}
