//! What the scheduler holds at a moment, for reports: threads (state, what they wait on),
//! queued DPCs, armed timers, processors, processes.

use serde::Serialize;

use super::scheduler::{flow_name, Kind, State};
use super::wait_graph::{self, WaitEdge};
use crate::kernel::Kx;
use crate::layout::FieldAccess;

/// One thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadInfo {
    pub tid: u64,
    pub ethread: u64,
    pub pid: u64,
    /// "host" (the host calls the driver on it), "system" (PsCreateSystemThread), "worker",
    /// "user" (a user program's thread).
    pub kind: &'static str,
    pub start: u64,
    /// "running", "ready", "waiting", "idle", "terminated".
    pub state: &'static str,
    pub priority: u8,
    pub processor: u32,
    /// What it waits on, while it waits.
    pub wait: Option<WaitEdge>,
    pub exit_status: Option<u32>,
    /// APCs queued to it and not delivered (KAPC addresses, kernel-mode first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apcs: Vec<u64>,
}

/// A DPC queued and not run yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DpcInfo {
    pub processor: u32,
    pub dpc: u64,
    pub routine: u64,
}

/// An armed timer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimerInfo {
    pub timer: u64,
    /// When it expires, in ms of virtual time since boot.
    pub due_ms: u64,
    pub period_ms: u32,
    pub dpc: u64,
}

/// The scheduler at a moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub processors: u32,
    /// Virtual time since boot, ms.
    pub now_ms: u64,
    pub threads: Vec<ThreadInfo>,
    pub dpcs: Vec<DpcInfo>,
    pub timers: Vec<TimerInfo>,
}

pub fn take(k: &Kx) -> Snapshot {
    let s = &k.ext().sched;
    let idle: Vec<u64> = s.processors.iter().map(|p| p.idle_thread).collect();
    let edges = wait_graph::build(k);
    let threads = s
        .contexts
        .iter()
        .filter_map(|c| {
            let Kind::Thread(t) = &c.kind else { return None };
            if idle.contains(&t.ethread) {
                return None;
            }
            let name = flow_name(k, s.by_thread(t.ethread)?);
            let pid = k.mem().get(t.ethread, crate::layout::ETHREAD::UniqueProcess).unwrap_or(0);
            let state = match c.state {
                State::Running => "running",
                State::Ready => "ready",
                State::Waiting(_) => "waiting",
                State::Idle => "idle",
                State::Terminated => "terminated",
            };
            Some(ThreadInfo {
                tid: t.tid,
                ethread: t.ethread,
                pid,
                kind: if t.user {
                    "user"
                } else if t.host {
                    "host"
                } else if t.worker.is_some() {
                    "worker"
                } else {
                    "system"
                },
                start: t.start,
                state,
                priority: t.priority,
                processor: c.processor,
                wait: edges.iter().find(|e| e.flow == name).cloned(),
                exit_status: t.exit_status,
                apcs: t.apcs.all(),
            })
        })
        .collect();
    let dpcs = s
        .processors
        .iter()
        .enumerate()
        .flat_map(|(p, proc_)| {
            proc_.dpcs.iter().map(move |d| DpcInfo {
                processor: p as u32,
                dpc: *d,
                routine: k.mem().get(*d, crate::layout::KDPC::DeferredRoutine).unwrap_or(0),
            })
        })
        .collect();
    let mut timers: Vec<TimerInfo> = s
        .timers
        .iter()
        .map(|(t, e)| TimerInfo { timer: *t, due_ms: e.due / 1_000_000, period_ms: e.period_ms, dpc: e.dpc })
        .collect();
    timers.sort_by_key(|t| (t.due_ms, t.timer));
    Snapshot { processors: k.cpus(), now_ms: k.guest().cpu.clock.now_ns() / 1_000_000, threads, dpcs, timers }
}
