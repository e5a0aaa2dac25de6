//! Work items and the system worker threads: ExQueueWorkItem (a WORK_QUEUE_ITEM), and the
//! I/O manager's work items (io/work_item.rs) run on worker threads of the System process,
//! one queue per WORK_QUEUE_TYPE (critical, delayed, hypercritical) in the order queued.
//! A queue gets another worker when all of its workers are busy (blocked in a work item),
//! as Windows adds dynamic workers. A work routine must return at PASSIVE_LEVEL
//! (WORKER_THREAD_RETURNED_AT_BAD_IRQL) holding no mutex (SYSTEM_EXIT_OWNED_MUTEX), and
//! must not terminate its thread (ACTIVE_EX_WORKER_THREAD_TERMINATION).
#![allow(non_snake_case)]

use std::collections::VecDeque;

use portcullis_emu::CallConv;

use crate::ke::scheduler::{self, reason, Block, Cid, Frame, Return, Run, State, Wait};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, LIST_ENTRY, WORK_QUEUE_ITEM};
use crate::types::Ptr;

/// Queues: CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue.
pub const QUEUES: u32 = 3;
/// Most workers a queue grows to.
const MAX_WORKERS: usize = 16;
/// Worker threads' priorities per queue.
const PRIORITY: [u8; 3] = [13, 12, 15];

/// What a work item runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub routine: u64,
    pub args: Vec<u64>,
    /// The WORK_QUEUE_ITEM or IO_WORKITEM.
    pub item: u64,
    /// An I/O manager work item (its queued state is the I/O manager's).
    pub io: bool,
}

/// Pending items and the workers of each queue.
#[derive(Clone, Debug, Default)]
pub struct Queues {
    pub pending: [VecDeque<Item>; 3],
    pub workers: Vec<Cid>,
}

fn bad(k: &mut Kx, code: u32, name: &'static str, params: [u64; 4], reason: String) -> KError {
    let b = Bugcheck { code, name, params, caller: caller(k), reason };
    KError::Stop(bugcheck_stop(k, b))
}

/// Hands `item` to a worker of `queue`: an idle one, a new one, or the queue's backlog.
pub(crate) fn queue(k: &mut Kx, item: Item, queue: u32) -> KResult<()> {
    let q = queue as usize;
    let s = &k.ext().sched;
    let mine: Vec<Cid> = k
        .ext()
        .ex
        .work
        .workers
        .iter()
        .copied()
        .filter(|c| s.ctx(*c).thread().and_then(|t| t.worker) == Some(queue))
        .collect();
    let idle = mine
        .iter()
        .copied()
        .find(|c| matches!(&s.ctx(*c).state, State::Waiting(w) if matches!(w.block, Block::WorkQueue { .. })));
    match idle {
        Some(cid) => start(k, cid, item),
        None if mine.len() < MAX_WORKERS => {
            let system = k.ext().system.system_process;
            let cid = crate::ps::thread::create(k, system, item.routine, 0, Some(queue))?;
            if let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() {
                t.priority = PRIORITY[q];
                t.base_priority = PRIORITY[q];
            }
            k.ext_mut().ex.work.workers.push(cid);
            start(k, cid, item)
        }
        None => {
            k.ext_mut().ex.work.pending[q].push_back(item);
            Ok(())
        }
    }
}

/// The frame a worker starts an item with.
fn frame(k: &mut Kx, cid: Cid, item: &Item) -> KResult<Frame> {
    let top = match k.ext().sched.ctx(cid).stack {
        Some((base, size)) => base + size - 0x100,
        None => scheduler::give_stack(k, cid)?,
    };
    Ok(Frame {
        pc: item.routine,
        args: item.args.clone(),
        conv: CallConv::Stdcall,
        stack_top: top,
        return_to: Return::Work,
    })
}

/// Reads an executive item's routine and parameter as it starts (the driver may set them
/// until then), and marks it no longer queued.
fn resolve(k: &mut Kx, item: &mut Item) -> KResult<()> {
    if !item.io {
        let mem = k.mem();
        item.routine = mem.get(item.item, WORK_QUEUE_ITEM::WorkerRoutine)?;
        item.args = vec![mem.get(item.item, WORK_QUEUE_ITEM::Parameter)?];
        k.mem_mut().set(item.item, LIST_ENTRY::Flink, 0)?;
    }
    scheduler::check_loaded(k, item.routine, "a work routine")
}

fn start(k: &mut Kx, cid: Cid, item: Item) -> KResult<()> {
    let f = frame(k, cid, &item)?;
    let c = &mut k.ext_mut().sched.contexts[cid];
    c.run = Run::Start(f);
    if let Some(t) = c.thread_mut() {
        t.work = Some(item);
    }
    k.ext_mut().sched.make_ready(cid);
    Ok(())
}

/// The worker begins running its item: the routine and parameter are read now (the item
/// leaves the queue when the worker takes it, as on Windows). Returns the routine.
pub(crate) fn starting(k: &mut Kx, cid: Cid, f: &mut Frame) -> KResult<Option<u64>> {
    let Some(mut item) = k.ext_mut().sched.contexts[cid].thread_mut().and_then(|t| t.work.take()) else {
        return Ok(None);
    };
    resolve(k, &mut item)?;
    f.pc = item.routine;
    f.args = item.args.clone();
    let routine = item.routine;
    if let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() {
        t.work = Some(item);
    }
    Ok(Some(routine))
}

/// A work routine returned: the checks Windows makes, then the next item of the queue, or
/// the worker waits for one.
pub(crate) fn finished(k: &mut Kx, cid: Cid) -> KResult<Option<Frame>> {
    let (item, queue) = match k.ext_mut().sched.contexts[cid].thread_mut() {
        Some(t) => (t.work.take(), t.worker.unwrap_or(0)),
        None => (None, 0),
    };
    if let Some(item) = &item {
        let param = item.args.first().copied().unwrap_or(0);
        let level = crate::ke::irql::current(k)?;
        if level != 0 {
            return Err(bad(
                k,
                0xE1,
                "WORKER_THREAD_RETURNED_AT_BAD_IRQL",
                [item.routine, level as u64, param, item.item],
                format!("a work routine returned at IRQL {level}"),
            ));
        }
        if k.ext().sched.mutants.values().any(|c| *c == cid) {
            return Err(bad(
                k,
                0x39,
                "SYSTEM_EXIT_OWNED_MUTEX",
                [item.routine, param, item.item, 0],
                "a work routine returned holding a mutex".into(),
            ));
        }
        if item.io {
            crate::io::work_item::done(k, item.item);
        }
    }
    let next = k.ext_mut().ex.work.pending[queue as usize].pop_front();
    match next {
        Some(item) => {
            let f = frame(k, cid, &item)?;
            if let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() {
                t.work = Some(item);
            }
            Ok(Some(f))
        }
        None => {
            let seq = k.ext_mut().sched.next_seq();
            k.ext_mut().sched.contexts[cid].state = State::Waiting(Wait {
                block: Block::WorkQueue { queue },
                deadline: None,
                timeout_status: 0,
                reason: reason::WR_QUEUE,
                alertable: false,
                mode: 0,
                seq,
            });
            Ok(None)
        }
    }
}

/// Checks a queue type: the three Windows 7 has.
pub(crate) fn check_queue(k: &mut Kx, item: u64, queue: u32) -> KResult<()> {
    if queue >= QUEUES {
        return Err(bad(
            k,
            0xE4,
            "WORKER_INVALID",
            [6, item, queue as u64, 0],
            format!("work queue type {queue} does not exist"),
        ));
    }
    Ok(())
}

/// VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType). Queuing an item
/// that is queued already (its List.Flink is set) is WORKER_INVALID.
pub fn ExQueueWorkItem(k: &mut Kx, item: Ptr, queue_type: u32) -> KResult<()> {
    if k.mem().get(item.0, LIST_ENTRY::Flink)? != 0 {
        return Err(bad(
            k,
            0xE4,
            "WORKER_INVALID",
            [1, item.0, queue_type as u64, 0],
            "ExQueueWorkItem of a work item that is queued already".into(),
        ));
    }
    check_queue(k, item.0, queue_type)?;
    // Linked into the queue: List.Flink is set until the item runs.
    k.mem_mut().set(item.0, LIST_ENTRY::Flink, item.0)?;
    queue(k, Item { routine: 0, args: vec![], item: item.0, io: false }, queue_type)
}
