//! The wait graph: who waits for what, and who holds it. A deadlock (every flow that must go
//! on waits, and nothing on the virtual clock can wake any) ends the run with it.

use portcullis_emu::Stop;
use serde::Serialize;

use crate::kernel::{deadlock_stop, KernelStop, Kx};
use crate::layout::{FieldAccess, KMUTANT};

use super::dispatcher::{header_type, otype};
use super::scheduler::{flow_name, Block, Cid, State};

/// A deadlock: why, and the wait graph at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadlock {
    pub reason: String,
    pub waits: Vec<WaitEdge>,
}

/// One flow that waits (or spins), and on what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitEdge {
    /// "thread 0x404", "dpc 1".
    pub flow: String,
    /// What it waits for: "objects (any)", "objects (all)", "delay", "spin lock", ...
    pub waits_for: String,
    /// KWAIT_REASON.
    pub reason: u32,
    pub on: Vec<WaitTarget>,
}

/// One thing a flow waits on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitTarget {
    pub object: u64,
    /// "synchronization event", "mutex", "resource", "spin lock", ...
    pub kind: String,
    /// The flow that holds it, when one does (a mutex's owner, a lock's holder).
    pub held_by: Option<String>,
    /// The flow it is, for a thread object.
    pub flow: Option<String>,
}

/// The wait graph: every waiting flow with what it waits on.
pub fn build(k: &Kx) -> Vec<WaitEdge> {
    let s = &k.ext().sched;
    (0..s.contexts.len()).filter_map(|cid| edge(k, cid)).collect()
}

fn edge(k: &Kx, cid: Cid) -> Option<WaitEdge> {
    let State::Waiting(w) = &k.ext().sched.ctx(cid).state else { return None };
    let (waits_for, on) = match &w.block {
        Block::Objects { objects, all } => (
            if *all { "objects (all)" } else { "objects (any)" }.to_string(),
            objects.iter().map(|o| object_target(k, *o)).collect(),
        ),
        Block::Delay => ("delay".into(), vec![]),
        Block::Lock { lock, what } => (
            (*what).to_string(),
            vec![WaitTarget { object: *lock, kind: (*what).to_string(), held_by: lock_holder(k, *lock), flow: None }],
        ),
        Block::Barrier { barrier } => (
            "DPC barrier".into(),
            vec![WaitTarget { object: *barrier, kind: "generic-call barrier".into(), held_by: None, flow: None }],
        ),
        Block::Dpcs => ("DPCs".into(), vec![]),
        Block::WorkQueue { queue } => (format!("work (queue {queue})"), vec![]),
    };
    Some(WaitEdge { flow: flow_name(k, cid), waits_for, reason: w.reason, on })
}

fn object_target(k: &Kx, object: u64) -> WaitTarget {
    let t = header_type(k, object).unwrap_or(0xFF);
    let owner =
        |o: u64| k.ext().sched.by_thread(o).map(|c| flow_name(k, c)).unwrap_or_else(|| format!("thread object {o:#x}"));
    let held_by = if t == otype::MUTANT {
        k.mem().get(object, KMUTANT::OwnerThread).ok().filter(|o| *o != 0).map(owner)
    } else {
        None
    };
    let flow = if t == otype::THREAD { k.ext().sched.by_thread(object).map(|c| flow_name(k, c)) } else { None };
    WaitTarget { object, kind: otype::name(t).to_string(), held_by, flow }
}

/// Who holds a lock the executive or the kernel tracks.
fn lock_holder(k: &Kx, lock: u64) -> Option<String> {
    let owner = k.ext().sched.lock_owners.get(&lock).copied()?;
    Some(flow_name(k, owner))
}

/// Records a deadlock of the current wait graph with `reason` and returns its stop.
pub fn deadlock(k: &mut Kx, waits: Vec<WaitEdge>) -> Stop<KernelStop> {
    let reason = if waits.is_empty() {
        "nothing can run and nothing is due".to_string()
    } else {
        format!("{} flow(s) wait and nothing due on the virtual clock can wake any", waits.len())
    };
    deadlock_stop(k, Deadlock { reason, waits })
}

/// A flow that spins on a spin lock that cannot be released: it holds it itself, or the
/// holder cannot run until the spinner stops.
pub fn spin(k: &mut Kx, lock: u64, holder: Option<Cid>) -> Stop<KernelStop> {
    let me = k.ext().sched.current;
    let flow = flow_name(k, me);
    let held_by = holder.map(|h| flow_name(k, h));
    let reason = match holder {
        Some(h) if h == me => format!("{flow} acquires spin lock {lock:#x}, which it holds"),
        Some(_) => format!("{flow} spins on spin lock {lock:#x}, whose holder cannot run meanwhile"),
        None => format!("{flow} spins on spin lock {lock:#x}, which is set and held by no one"),
    };
    let mut waits = build(k);
    waits.insert(
        0,
        WaitEdge {
            flow,
            waits_for: "spin lock".into(),
            reason: 0,
            on: vec![WaitTarget { object: lock, kind: "spin lock".into(), held_by, flow: None }],
        },
    );
    deadlock_stop(k, Deadlock { reason, waits })
}
