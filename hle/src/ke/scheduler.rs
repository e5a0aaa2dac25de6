//! The scheduler: several flows of guest code — system threads, worker threads, the DPCs of
//! each processor, and the threads on whose behalf the host calls the driver — interleaved
//! deterministically on the machine's one engine.
//!
//! # Design
//!
//! Portcullis runs one emulated CPU, and guest code runs through [`Machine::call`], which
//! nests: a host call (an export) can run guest code (a completion routine, a callback) and
//! return. A blocking wait inside an export must let other guest code run. So every flow is a
//! *context* ([`Context`]): its own guest stack, its own saved CPU state, and what it is doing
//! ([`State`]). Contexts switch only at well-defined points, always inside a host call or in
//! the host between runs, never in the middle of guest code:
//!
//! - a wait that cannot be satisfied (`KeWaitFor*`, `KeDelayExecutionThread`, a contended
//!   fast mutex or resource, a DPC barrier), a yield, a thread's end;
//! - the return from a DPC or work routine, and the return of a call the host made;
//! - IRQL drops below DISPATCH_LEVEL and DPC insertion at a lower IRQL (queued DPCs run);
//! - timer expiry and wait timeouts on the virtual clock, checked at each of those points;
//! - scenario steps that let time pass (`advance`, `wait_idle`) and, after each call the host
//!   makes, a settle: everything runnable runs until it waits.
//!
//! Within a processor there is no preemption: a context that never reaches one of those
//! points runs until a limit ends the run, as a spinning thread would hang a processor.
//! Across processors there is, when it matters: flows on two processors that both have work
//! (a DPC spinning on another processor until its caller, spinning too, lets it go: the
//! hand-rolled rendezvous some drivers use) take turns in quanta of [`QUANTUM`]
//! instructions. The machine counts them exactly (`Machine::set_quantum`), only in runs the
//! host starts and only while two processors have work, so ordinary runs pay nothing; a
//! caller at DISPATCH_LEVEL that queued another processor's DPC gives way to it for that.
//!
//! How a switch happens depends on the host stack, which runs (emu_start calls) nest on:
//!
//! - A context that waits in a host call made directly from its own code, at the level of the
//!   run it was resumed in, is *parked*: the export returns without a value, the dispatcher
//!   suspends the run at the call's slot (`Machine::suspend`) or, when another context is
//!   runnable, switches to it in place (restore its registers and jump to where it stopped:
//!   no new run, well under a microsecond). Resuming later completes the suspended call with
//!   the value the waker decided (the wait status), and the call is traced then.
//! - A context that waits below host frames of its own (a wait inside a completion routine
//!   that IofCallDriver runs, say) cannot park: those frames are on the host stack. It waits
//!   *in place*: the export runs the scheduler loop ([`run_until`]) until its wait is over,
//!   running other parked contexts one run deeper meanwhile. Contexts embedded lower on the
//!   host stack cannot run until the loops above them end; this is the one way the model
//!   differs from Windows, and it only matters to waits nested inside callbacks.
//!
//! Choices are deterministic: queued DPCs first (processor order, queue order), then the
//! highest-priority ready thread, first come first served; timers and timeouts fire in
//! (due time, arming order). When nothing can run, virtual time jumps to the next timer,
//! timeout or — once an interrupt is connected — device callback (a PIT period), whose
//! interrupt is taken on the processor's DPC flow; when nothing is due either (or only
//! device interrupts have come for a minute of virtual time), a wait that must end is a
//! deadlock, reported with the wait graph ([`KernelStop::Deadlock`]). The same inputs give the same interleaving and
//! byte-identical traces.
//!
//! The machine knows nothing of this: it offers CPU contexts, suspending a run from a host
//! call, jumping inside a run, and selecting a processor's control region (`emu/src/contexts.rs`).
//! A saved context carries its flow's call record, so that exception handling finds the
//! frames of whichever flow is live, on that flow's own stack, and ends its stack walks at
//! the flow's first frame. On x86 a switch also swaps the flows' parts of the KPCR's NT_TIB
//! (the `fs:[0]` registration chain and the stack's bounds), as Windows' SwapContext does.
#![allow(non_snake_case)]

use std::collections::{BTreeMap, VecDeque};

use portcullis_emu::{CallConv, Event, Exit, SavedContext, Stop};
use serde::Serialize;

use crate::kernel::{ApiCall, KError, KResult, KernelEvent, KernelStop, Kx};
use crate::types::status;

/// A context's index in the scheduler.
pub type Cid = usize;

/// Priorities: 0 (lowest) to 31.
pub const PRIORITIES: usize = 32;
/// KWAIT_REASON values the scheduler uses.
pub mod reason {
    pub const EXECUTIVE: u32 = 0;
    pub const DELAY_EXECUTION: u32 = 4;
    pub const SUSPENDED: u32 = 5;
    pub const WR_QUEUE: u32 = 15;
    pub const WR_RESOURCE: u32 = 17;
    pub const WR_PUSH_LOCK: u32 = 28;
    pub const WR_MUTEX: u32 = 29;
    pub const WR_RUNDOWN: u32 = 32;
    pub const WR_DPC: u32 = 35;
}

/// What kind of flow a context is.
#[derive(Clone, Debug)]
pub enum Kind {
    Thread(Thread),
    /// The DPCs of one processor.
    Dpc {
        processor: u32,
    },
}

/// A thread's kernel-side facts.
#[derive(Clone, Debug)]
pub struct Thread {
    pub ethread: u64,
    pub tid: u64,
    pub process: u64,
    /// Created by PsCreateSystemThread (or a worker): it may terminate itself.
    pub system: bool,
    /// A thread the host calls the driver on (the System thread running DriverEntry, the
    /// caller's thread, a scenario process's thread): it runs one call at a time.
    pub host: bool,
    /// A user program's thread: the user-mode layer runs its code, in user mode
    /// (`ps/user_thread.rs`).
    pub user: bool,
    pub start: u64,
    pub start_context: u64,
    pub priority: u8,
    pub base_priority: u8,
    /// KAFFINITY the thread may run on, and the one to revert to.
    pub affinity: u64,
    pub user_affinity: u64,
    /// KeEnterCriticalRegion / KeEnterGuardedRegion depth.
    pub kernel_apc_disable: i32,
    pub special_apc_disable: i32,
    pub exit_status: Option<u32>,
    /// KeSetEvent(..., Wait = TRUE) raised the IRQL to DISPATCH_LEVEL for the wait that follows;
    /// the IRQL to return to.
    pub wait_next: Option<u8>,
    /// A worker thread's queue (CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue).
    pub worker: Option<u32>,
    /// The work item the worker is running.
    pub work: Option<crate::ex::work_item::Item>,
    /// Processes attached with KeStackAttachProcess / KeAttachProcess (innermost last).
    pub attached: Vec<u64>,
    /// KAPCs queued to it and not delivered (ke/apc.rs).
    pub apcs: Box<super::apc::ApcQueues>,
}

/// What a context is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Running, or below a context that runs (its host call is running others).
    Running,
    /// Runnable.
    Ready,
    Waiting(Wait),
    /// Nothing to do: a host thread between calls, a DPC context between DPCs.
    Idle,
    Terminated,
}

/// What a waiting context waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// Dispatcher objects (events, semaphores, mutexes, timers, threads, processes): any one
    /// of them, or all at once.
    Objects { objects: Vec<u64>, all: bool },
    /// Only time (KeDelayExecutionThread).
    Delay,
    /// A lock its releaser hands over: a fast or guarded mutex, a resource, a push lock, a
    /// rundown reference being waited out.
    Lock { lock: u64, what: &'static str },
    /// The barrier of a generic-call DPC.
    Barrier { barrier: u64 },
    /// DPCs to finish (KeGenericCallDpc, KeFlushQueuedDpcs).
    Dpcs,
    /// A worker thread waiting for work.
    WorkQueue { queue: u32 },
}

/// A wait in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    pub block: Block,
    /// Virtual interrupt time (ns) when it times out.
    pub deadline: Option<u64>,
    /// What a timeout returns.
    pub timeout_status: u64,
    /// KWAIT_REASON.
    pub reason: u32,
    pub alertable: bool,
    /// KPROCESSOR_MODE.
    pub mode: u8,
    /// Order of waits, for ties.
    pub seq: u64,
}

/// How a context runs when it next runs.
#[derive(Debug)]
pub(crate) enum Run {
    /// Nothing to resume.
    Idle,
    /// A call to set up on its stack and start.
    Start(Frame),
    /// Suspended inside the host call at `pc`; its registers are in `cpu`.
    Parked { pc: u64 },
    /// Its registers are in the engine; it entered the run at this depth.
    Live { level: u32 },
    /// Its registers are saved while a host call of its own runs other contexts.
    Embedded,
    /// Stopped at `pc` when its quantum ran out, sharing the machine with a flow on another
    /// processor; its registers are in `cpu`.
    Preempted { pc: u64 },
}

/// A call a context starts with.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub pc: u64,
    pub args: Vec<u64>,
    pub conv: CallConv,
    pub stack_top: u64,
    pub return_to: Return,
}

/// What a resumed host call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// The status its waker gave (a wait's).
    Status,
    /// This value, whatever woke it.
    Value(u64),
}

/// One flow of guest code.
pub struct Context {
    pub kind: Kind,
    pub state: State,
    pub(crate) run: Run,
    /// IRQL while not live.
    pub irql: u8,
    pub processor: u32,
    cpu: Option<SavedContext>,
    pub(crate) resume: Resume,
    /// The status its waker gave.
    pub(crate) wake_status: u64,
    /// The call it parked in, traced when it returns; and whether it returns in EDX:EAX.
    pending_call: Option<(ApiCall, bool)>,
    /// Its guest stack (base, size), when it has one of its own.
    pub stack: Option<(u64, u64)>,
    /// x86: its chain of exception registrations (NT_TIB.ExceptionList) while another flow
    /// has its processor's KPCR.
    pub(crate) exception_list: u64,
    /// A host call's result (host threads).
    pub(crate) result: Option<u64>,
}

impl Context {
    pub fn thread(&self) -> Option<&Thread> {
        match &self.kind {
            Kind::Thread(t) => Some(t),
            Kind::Dpc { .. } => None,
        }
    }

    pub fn thread_mut(&mut self) -> Option<&mut Thread> {
        match &mut self.kind {
            Kind::Thread(t) => Some(t),
            Kind::Dpc { .. } => None,
        }
    }

    fn runnable(&self) -> bool {
        self.state == State::Ready && matches!(self.run, Run::Start(_) | Run::Parked { .. } | Run::Preempted { .. })
    }
}

/// One processor's deferred work.
#[derive(Debug)]
pub struct Processor {
    pub kpcr: u64,
    pub kprcb: u64,
    /// Queued KDPCs, in the order they run.
    pub dpcs: VecDeque<u64>,
    pub dpc_context: Cid,
    pub idle_thread: u64,
}

/// An armed timer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimerEntry {
    /// Virtual interrupt time (ns) it expires at.
    pub due: u64,
    pub period_ms: u32,
    pub dpc: u64,
    pub seq: u64,
}

/// Why a loop runs, and when it stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Goal {
    /// A call the host made on this context has returned.
    Finished(Cid),
    /// This context's wait is over.
    Woken(Cid),
    /// The wait of one of the user threads the user-mode layer holds back is over
    /// ([`Scheduler::user_waiters`], `ke/user_wait.rs`).
    UserWoken,
    /// No DPC is queued or running.
    NoDpcs,
    /// No DPC of a processor other than this one is queued and ready to run.
    OtherDpcs(u32),
    /// Nothing can run; time may pass up to `until` (ns), and with `quiet` only while
    /// something other than a periodic timer is pending.
    Idle { until: u64, quiet: bool },
}

/// What the dispatcher does once the current call's export has returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum After {
    /// The context waits: suspend the call (or switch to another context).
    Park,
    /// The context is gone (a thread that terminated itself): the call never returns.
    Gone,
    /// Let queued DPCs and due timers run before the caller goes on.
    Deliver,
}

/// The scheduler's slots a flow returns into instead of being called: each ends what the
/// flow was doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Return {
    /// A call the host made has returned.
    Host = 0,
    /// A system thread's start routine has returned.
    ThreadExit = 1,
    /// A DPC routine has returned.
    Dpc = 2,
    /// A work routine has returned.
    Work = 3,
}

const RETURNS: [Return; 4] = [Return::Host, Return::ThreadExit, Return::Dpc, Return::Work];

/// The scheduler's state.
#[derive(Default)]
pub struct Scheduler {
    pub contexts: Vec<Context>,
    pub current: Cid,
    ready: Vec<VecDeque<Cid>>,
    loops: Vec<Goal>,
    pub processors: Vec<Processor>,
    /// Waiting contexts by the object they wait on, in wait order.
    pub(crate) waits: BTreeMap<u64, Vec<Cid>>,
    /// Armed timers by KTIMER address.
    pub timers: BTreeMap<u64, TimerEntry>,
    pub(crate) after: Option<After>,
    /// The parking context yields: it is ready at once.
    yielding: bool,
    /// Preempted contexts, in the order they were preempted: they run after everything else
    /// runnable, taking turns.
    preempted: VecDeque<Cid>,
    /// The next switch ends the run instead of jumping to the next context.
    no_jump: bool,
    /// Generic-call barriers (KeSignalCallDpcSynchronize) by address.
    pub(crate) barriers: BTreeMap<u64, crate::ke::dpc::Barrier>,
    /// Processors' register templates: a fresh flow starts from one.
    templates: Vec<Option<SavedContext>>,
    /// Address of the first return slot.
    return_base: u64,
    /// The machine's number of the first return slot.
    return_first: u32,
    pub(crate) seq: u64,
    next_id: u64,
    /// Stacks of terminated threads, for reuse.
    free_stacks: Vec<(u64, u64)>,
    /// Contexts by ETHREAD.
    pub(crate) by_thread: BTreeMap<u64, Cid>,
    /// Mutexes (KMUTANT) and the contexts that own them.
    pub(crate) mutants: BTreeMap<u64, Cid>,
    /// Spin locks, fast and guarded mutexes, exclusively held resources and push locks, and
    /// the contexts that hold them.
    pub(crate) lock_owners: BTreeMap<u64, Cid>,
    /// Flows waiting for a lock handed over on release, in order, with what each saved.
    pub(crate) lock_waiters: BTreeMap<u64, VecDeque<(Cid, u64)>>,
    /// Thread IDs and process IDs in use (one client-ID space, as on Windows).
    pub(crate) ids: std::collections::BTreeSet<u64>,
    /// User threads whose waits the user-mode layer began and holds back (they do not run
    /// from the scheduler's loops: `ke/user_wait.rs`), in the order they began to wait.
    pub(crate) user_waiters: Vec<Cid>,
    /// User threads suspended (SuspendThread): a wait of theirs that ends does not count as
    /// one the user-mode layer can go on with until they are resumed.
    pub(crate) user_suspended: Vec<Cid>,
}

/// Instructions a flow runs before another processor's flow gets a turn, when two share the
/// machine (a DPC on another processor spinning until its caller lets it go, say).
pub const QUANTUM: u64 = 20_000;

/// Size of a thread's or DPC context's stack.
pub const STACK_SIZE: u64 = 0x10000;

impl Scheduler {
    pub fn ctx(&self, cid: Cid) -> &Context {
        &self.contexts[cid]
    }

    pub fn current(&self) -> &Context {
        &self.contexts[self.current]
    }

    pub(crate) fn current_mut(&mut self) -> &mut Context {
        &mut self.contexts[self.current]
    }

    /// The registers a context left the processor with (parked in a kernel routine or
    /// preempted in guest code), taken out to be read; give them back with
    /// [`put_saved_registers`](Self::put_saved_registers).
    pub(crate) fn take_saved_registers(&mut self, cid: Cid) -> Option<SavedContext> {
        match self.contexts[cid].run {
            Run::Parked { .. } | Run::Preempted { .. } => self.contexts[cid].cpu.take(),
            _ => None,
        }
    }

    pub(crate) fn put_saved_registers(&mut self, cid: Cid, cpu: SavedContext) {
        self.contexts[cid].cpu = Some(cpu);
    }

    /// The context of a thread, by ETHREAD.
    pub fn by_thread(&self, ethread: u64) -> Option<Cid> {
        self.by_thread.get(&ethread).copied()
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A fresh client ID (thread or process), a multiple of 4 not in use.
    pub(crate) fn new_id(&mut self) -> u64 {
        loop {
            self.next_id += 4;
            if self.ids.insert(self.next_id) {
                return self.next_id;
            }
        }
    }

    /// Adds a context; threads are found by ETHREAD afterwards.
    pub(crate) fn add(&mut self, kind: Kind, processor: u32, irql: u8) -> Cid {
        let cid = self.contexts.len();
        if let Kind::Thread(t) = &kind {
            self.by_thread.insert(t.ethread, cid);
            self.ids.insert(t.tid);
        }
        self.contexts.push(Context {
            kind,
            state: State::Idle,
            run: Run::Idle,
            irql,
            processor,
            cpu: None,
            resume: Resume::Status,
            wake_status: 0,
            pending_call: None,
            stack: None,
            exception_list: crate::seh::codes::EXCEPTION_CHAIN_END,
            result: None,
        });
        cid
    }

    /// Makes a context runnable, at the end of its priority's queue (or, for a context a loop
    /// below is waiting for, just marks it: that loop resumes it).
    pub(crate) fn make_ready(&mut self, cid: Cid) {
        let c = &mut self.contexts[cid];
        c.state = State::Ready;
        if matches!(c.run, Run::Embedded | Run::Live { .. }) {
            return;
        }
        if matches!(c.run, Run::Preempted { .. }) {
            self.preempted.push_back(cid);
            return;
        }
        if let Some(t) = c.thread() {
            let p = t.priority as usize;
            if self.ready.len() < PRIORITIES {
                self.ready.resize_with(PRIORITIES, VecDeque::new);
            }
            self.ready[p.min(PRIORITIES - 1)].push_back(cid);
        }
    }

    /// Changes a thread's priority (and base priority), moving it to its new ready queue when
    /// it is queued.
    pub(crate) fn set_priority(&mut self, cid: Cid, priority: u8, base: Option<u8>) {
        let mut queued = false;
        for q in &mut self.ready {
            let before = q.len();
            q.retain(|c| *c != cid);
            queued |= q.len() != before;
        }
        let Some(t) = self.contexts[cid].thread_mut() else { return };
        t.priority = priority;
        if let Some(b) = base {
            t.base_priority = b;
        }
        if queued {
            self.ready[(priority as usize).min(PRIORITIES - 1)].push_back(cid);
        }
    }

    /// Wakes a waiting context with `status`, ending its wait on every object.
    pub(crate) fn wake(&mut self, cid: Cid, status: u64) {
        if let State::Waiting(w) = &self.contexts[cid].state {
            if let Block::Objects { objects, .. } = &w.block {
                for o in objects {
                    // Emptied lists stay: the object is likely waited on again.
                    if let Some(list) = self.waits.get_mut(o) {
                        list.retain(|c| *c != cid);
                    }
                }
            }
        }
        self.contexts[cid].wake_status = status;
        self.make_ready(cid);
    }

    /// Whether a loop's goal holds.
    fn met(&self, goal: Goal) -> bool {
        match goal {
            Goal::Finished(c) => self.contexts[c].result.is_some(),
            Goal::Woken(c) => self.contexts[c].state == State::Ready,
            Goal::UserWoken => self
                .user_waiters
                .iter()
                .any(|c| self.contexts[*c].state == State::Ready && !self.user_suspended.contains(c)),
            Goal::NoDpcs => self.dpcs_done(),
            // A preempted DPC goes on beside the caller, which need not wait for it.
            Goal::OtherDpcs(mine) => !self.processors.iter().enumerate().any(|(i, p)| {
                let c = &self.contexts[p.dpc_context];
                let fresh = c.runnable() && !matches!(c.run, Run::Preempted { .. });
                i as u32 != mine && (fresh || (c.state == State::Idle && !p.dpcs.is_empty()))
            }),
            Goal::Idle { .. } => false,
        }
    }

    pub(crate) fn dpcs_done(&self) -> bool {
        self.processors.iter().all(|p| p.dpcs.is_empty() && self.contexts[p.dpc_context].state == State::Idle)
    }

    fn pick(&mut self, goal: Goal) -> Option<Cid> {
        self.pick_from(goal, true)
    }

    /// The next context to run under `goal`: a processor's DPCs first, then the
    /// highest-priority ready thread, then (`preempted`) the preempted contexts in turn.
    fn pick_from(&mut self, goal: Goal, preempted: bool) -> Option<Cid> {
        let fresh = |c: &Context| !matches!(c.run, Run::Preempted { .. });
        for (i, p) in self.processors.iter().enumerate() {
            if goal == Goal::OtherDpcs(i as u32) {
                continue;
            }
            let c = &self.contexts[p.dpc_context];
            if (c.runnable() && fresh(c)) || (c.state == State::Idle && !p.dpcs.is_empty()) {
                return Some(p.dpc_context);
            }
        }
        if !matches!(goal, Goal::NoDpcs | Goal::OtherDpcs(_)) {
            for q in self.ready.iter_mut().rev() {
                while let Some(cid) = q.pop_front() {
                    let c = &self.contexts[cid];
                    if c.runnable() && fresh(c) {
                        return Some(cid);
                    }
                }
            }
        }
        if !preempted || matches!(goal, Goal::OtherDpcs(_)) {
            return None;
        }
        let dpcs_only = goal == Goal::NoDpcs;
        let at = self.preempted.iter().position(|c| {
            let c = &self.contexts[*c];
            c.runnable() && !fresh(c) && (!dpcs_only || matches!(c.kind, Kind::Dpc { .. }))
        })?;
        self.preempted.remove(at)
    }

    /// Whether a flow on a processor other than `cid`'s has work and waits for its turn:
    /// the two share the machine.
    fn sharing(&self, cid: Cid) -> bool {
        let mine = self.contexts[cid].processor;
        self.contexts.iter().enumerate().any(|(i, c)| i != cid && c.processor != mine && c.runnable())
            || self.processors.iter().enumerate().any(|(i, p)| {
                i as u32 != mine && !p.dpcs.is_empty() && self.contexts[p.dpc_context].state == State::Idle
            })
    }
}

/// Sets up the scheduler at boot: the return slots, a DPC context per processor, and the
/// host threads (the System thread and the caller's) as contexts.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let first = k.host_call_slots();
    let bodies: Vec<Vec<u8>> = RETURNS.iter().map(|_| vec![0xF4]).collect();
    let base = k.add_host_calls("scheduler returns", &bodies, on_return)?;
    k.ext_mut().calls.reserved = RETURNS.len() as u32;
    let s = &mut k.ext_mut().sched;
    s.return_base = base;
    s.return_first = first;
    s.ready.resize_with(PRIORITIES, VecDeque::new);
    s.next_id = 0x400;
    for cpu in 0..k.cpus() {
        k.select_cpu(cpu)?;
        let t = k.new_context()?;
        k.ext_mut().sched.templates.push(Some(t));
    }
    k.select_cpu(0)?;
    Ok(())
}

/// The address a flow returns into to end what it was doing.
pub(crate) fn return_address(k: &Kx, r: Return) -> u64 {
    k.ext().sched.return_base + r as u64 * portcullis_emu::HOST_CALL_SLOT
}

/// Gives a context a stack of its own (reusing a terminated thread's).
pub(crate) fn give_stack(k: &mut Kx, cid: Cid) -> KResult<u64> {
    let stack = match k.ext_mut().sched.free_stacks.pop() {
        Some(s) => s,
        None => {
            let base = k.mem_mut().alloc(
                portcullis_emu::RegionKind::Stack,
                "thread stack",
                STACK_SIZE,
                portcullis_emu::Prot::RW,
            )?;
            (base, STACK_SIZE)
        }
    };
    k.ext_mut().sched.contexts[cid].stack = Some(stack);
    Ok(stack.0 + stack.1 - 0x100)
}

/// Returns a terminated context's stack for reuse.
pub(crate) fn release_stack(k: &mut Kx, cid: Cid) {
    let s = &mut k.ext_mut().sched;
    if let Some(st) = s.contexts[cid].stack.take() {
        s.free_stacks.push(st);
    }
}

/// Whether the current context can park at this host call: it runs at the level of the run
/// it entered, with no host frames of its own between.
pub(crate) fn can_park(k: &Kx) -> bool {
    matches!(k.ext().sched.current().run, Run::Live { level } if level == k.depth())
}

/// Blocks the current context. When it can park, the export returns at once (its value is
/// not used) and the dispatcher suspends the call: `Ok(None)`. Otherwise it waits in place
/// and `Ok(Some(status))` is what woke it.
pub(crate) fn block(k: &mut Kx, wait: Wait, resume: Resume) -> KResult<Option<u64>> {
    let cid = k.ext().sched.current;
    let parks = can_park(k);
    let s = &mut k.ext_mut().sched;
    if let Block::Objects { objects, .. } = &wait.block {
        for o in objects {
            s.waits.entry(*o).or_default().push(cid);
        }
    }
    let c = &mut s.contexts[cid];
    c.state = State::Waiting(wait);
    c.resume = resume;
    if parks {
        s.after = Some(After::Park);
        return Ok(None);
    }
    wait_here(k, cid).map(Some)
}

/// Blocks the current context in place even where it could park: for a wait the host has
/// more to do after (a framework object's rundown before the object goes). What woke it.
pub(crate) fn block_in_place(k: &mut Kx, wait: Wait, resume: Resume) -> KResult<u64> {
    let cid = k.ext().sched.current;
    let s = &mut k.ext_mut().sched;
    if let Block::Objects { objects, .. } = &wait.block {
        for o in objects {
            s.waits.entry(*o).or_default().push(cid);
        }
    }
    let c = &mut s.contexts[cid];
    c.state = State::Waiting(wait);
    c.resume = resume;
    wait_here(k, cid)
}

/// Runs the scheduler loop in place until one of the user threads held back is woken.
pub(crate) fn wait_for_user_waiter(k: &mut Kx) -> KResult<()> {
    run_until(k, Goal::UserWoken, None)
}

/// Runs the scheduler loop until the waiting context `cid` is woken.
fn wait_here(k: &mut Kx, cid: Cid) -> KResult<u64> {
    run_until(k, Goal::Woken(cid), None)?;
    let c = &mut k.ext_mut().sched.contexts[cid];
    c.state = State::Running;
    Ok(match c.resume {
        Resume::Status => c.wake_status,
        Resume::Value(v) => v,
    })
}

/// Whether another thread of at least the current one's priority is ready, or DPCs wait.
pub(crate) fn others_ready(k: &Kx) -> bool {
    let s = &k.ext().sched;
    let mine = s.current().thread().map(|t| t.priority as usize).unwrap_or(0);
    !s.dpcs_done()
        || s.ready
            .iter()
            .enumerate()
            .skip(mine)
            .any(|(_, q)| q.iter().any(|c| *c != s.current && s.contexts[*c].runnable()))
}

/// The current thread gives way: it goes to the back of its priority's queue and the next
/// ready context runs (parked), or everything runnable runs once (in place).
pub(crate) fn yield_current(k: &mut Kx) -> KResult<()> {
    let cid = k.ext().sched.current;
    if can_park(k) {
        let s = &mut k.ext_mut().sched;
        s.contexts[cid].resume = Resume::Value(status::SUCCESS.0 as u64);
        s.after = Some(After::Park);
        // Ready once it has parked (see `park`).
        s.yielding = true;
        return Ok(());
    }
    k.ext_mut().sched.contexts[cid].state = State::Ready;
    let now = k.guest().cpu.clock.now_ns();
    run_until(k, Goal::Idle { until: now, quiet: false }, None)?;
    k.ext_mut().sched.contexts[cid].state = State::Running;
    Ok(())
}

/// Runs queued DPCs in place while the current context waits for them.
pub(crate) fn run_dpcs(k: &mut Kx, wait: Wait) -> KResult<()> {
    let cid = k.ext().sched.current;
    k.ext_mut().sched.contexts[cid].state = State::Waiting(wait);
    let r = run_until(k, Goal::NoDpcs, None);
    k.ext_mut().sched.contexts[cid].state = State::Running;
    r
}

/// Code about to run on the kernel's behalf (a DPC, a timer's DPC, a work routine, a notify
/// routine) inside a driver that was unloaded: DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS.
pub(crate) fn check_loaded(k: &mut Kx, address: u64, what: &str) -> KResult<()> {
    let gone = k.ext().drivers().iter().find(|d| d.unloaded && d.image.contains(address)).map(|d| d.name.clone());
    if let Some(name) = gone {
        let b = crate::kernel::Bugcheck {
            code: 0xCE,
            name: "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS",
            params: [address, 0, 0, 0],
            caller: 0,
            reason: format!("{what} at {address:#x} in {name}, which was unloaded"),
        };
        return Err(KError::Stop(crate::kernel::bugcheck_stop(k, b)));
    }
    Ok(())
}

/// Asks the dispatcher to run queued DPCs and due timers once the current call returns.
pub(crate) fn deliver_after_call(k: &mut Kx) {
    let s = &mut k.ext_mut().sched;
    if s.after.is_none() {
        s.after = Some(After::Deliver);
    }
}

/// The current context ends (a thread terminating itself): when it can park, the dispatcher
/// drops its call; otherwise its nested calls unwind with [`KernelStop::ThreadExit`].
pub(crate) fn leave(k: &mut Kx) -> KResult<()> {
    if can_park(k) {
        k.ext_mut().sched.after = Some(After::Gone);
        Ok(())
    } else {
        Err(KError::Stop(Stop::Host(KernelStop::ThreadExit)))
    }
}

/// What the dispatcher asked for, if anything.
pub(crate) fn take_after(k: &mut Kx) -> Option<After> {
    k.ext_mut().sched.after.take()
}

/// After an export asked to park: suspends its call (traced when it resumes) and switches.
pub(crate) fn park(k: &mut Kx, call: Option<ApiCall>, wide: bool) -> Result<(), Stop<KernelStop>> {
    let pc = k.host_call_pc();
    park_at(k, pc, call, wide)
}

/// Parks the current context in the host call at slot `pc`.
fn park_at(k: &mut Kx, pc: u64, call: Option<ApiCall>, wide: bool) -> Result<(), Stop<KernelStop>> {
    let cid = k.ext().sched.current;
    k.ext_mut().sched.contexts[cid].pending_call = call.map(|c| (c, wide));
    stop_being_live(k, cid, Run::Parked { pc })?;
    if std::mem::take(&mut k.ext_mut().sched.yielding) {
        k.ext_mut().sched.make_ready(cid);
    }
    switch_away(k)
}

/// After the current context ended: switches away for good.
pub(crate) fn gone(k: &mut Kx) -> Result<(), Stop<KernelStop>> {
    let cid = k.ext().sched.current;
    stop_being_live(k, cid, Run::Idle)?;
    switch_away(k)
}

/// Runs queued DPCs and due timers in place when the IRQL allows.
pub(crate) fn deliver(k: &mut Kx) -> Result<bool, Stop<KernelStop>> {
    let irql = crate::ke::irql::current(k).map_err(|e| crate::kernel::into_stop(k, e, "DPC delivery", 0))?;
    // At DISPATCH_LEVEL (or in a DPC routine, which is there or is caught when it returns)
    // this processor's DPCs wait; another processor's run, as they would beside it.
    if irql >= crate::ke::irql::DISPATCH_LEVEL || matches!(k.ext().sched.current().kind, Kind::Dpc { .. }) {
        let mine = k.ext().sched.current().processor;
        if k.ext().sched.met(Goal::OtherDpcs(mine)) {
            return Ok(false);
        }
        // A caller that can give way does: both then run from the loop that started it, in
        // turns when both have work (see `share`). Otherwise they run here, to their end.
        if can_park(k) {
            return Ok(true);
        }
        run_until(k, Goal::OtherDpcs(mine), None).map_err(|e| crate::kernel::into_stop(k, e, "DPC delivery", 0))?;
        return Ok(false);
    }
    expire(k).map_err(|e| crate::kernel::into_stop(k, e, "timer expiry", 0))?;
    if !k.ext().sched.dpcs_done() {
        run_until(k, Goal::NoDpcs, None).map_err(|e| crate::kernel::into_stop(k, e, "DPC delivery", 0))?;
    }
    Ok(false)
}

/// Another processor's DPCs are queued while the caller, at DISPATCH_LEVEL on its own, goes
/// on: it gives way, parking as if it had yielded with its call (at `slot`) completed with
/// `value`. The loop that started it runs the DPCs, and when a DPC and the caller both have
/// work (a DPC spinning until the caller lets it go, say) they take turns in quanta.
pub(crate) fn share(k: &mut Kx, slot: u64, value: u64, wide: bool) -> Result<(), Stop<KernelStop>> {
    let cid = k.ext().sched.current;
    if wide {
        // A 64-bit result cannot be given back on resumption: the DPCs run here instead.
        let mine = k.ext().sched.ctx(cid).processor;
        return run_until(k, Goal::OtherDpcs(mine), None)
            .map_err(|e| crate::kernel::into_stop(k, e, "DPC delivery", 0));
    }
    let s = &mut k.ext_mut().sched;
    s.contexts[cid].resume = Resume::Value(value);
    s.yielding = true;
    // Not a jump to a DPC in this run: the loop gives each its quantum.
    s.no_jump = true;
    park_at(k, slot, None, false)
}

/// Saves what a context leaving the engine needs when it comes back.
fn stop_being_live(k: &mut Kx, cid: Cid, next: Run) -> Result<(), Stop<KernelStop>> {
    let irql = crate::ke::irql::current(k).map_err(|e| crate::kernel::into_stop(k, e, "a context switch", 0))?;
    let keep = matches!(next, Run::Parked { .. } | Run::Preempted { .. });
    let cpu = if keep { Some(take_cpu(k, cid)?) } else { None };
    if let Some(cpu) = cpu {
        k.save_context(&cpu);
        k.ext_mut().sched.contexts[cid].cpu = Some(cpu);
    }
    let c = &mut k.ext_mut().sched.contexts[cid];
    c.irql = irql;
    c.run = next;
    Ok(())
}

fn take_cpu(k: &mut Kx, cid: Cid) -> Result<SavedContext, Stop<KernelStop>> {
    match k.ext_mut().sched.contexts[cid].cpu.take() {
        Some(c) => Ok(c),
        None => k.new_context().map_err(Stop::Machine),
    }
}

/// From a host call whose context stopped being live: goes on with the next runnable
/// context in this run, or ends the run for the loop that started it.
fn switch_away(k: &mut Kx) -> Result<(), Stop<KernelStop>> {
    expire(k).map_err(|e| crate::kernel::into_stop(k, e, "timer expiry", 0))?;
    let goal = k.ext().sched.loops.last().copied();
    // A preempted context resumes from the loop, which gives it a quantum: not by a jump.
    let no_jump = std::mem::take(&mut k.ext_mut().sched.no_jump);
    let next = match goal {
        Some(g) if !no_jump && !k.ext().sched.met(g) => k.ext_mut().sched.pick_from(g, false),
        _ => None,
    };
    match next {
        Some(cid) => {
            let (pc, resume) =
                make_live(k, cid, k.depth()).map_err(|e| crate::kernel::into_stop(k, e, "a context switch", 0))?;
            k.jump(pc, resume);
        }
        None => k.suspend(),
    }
    Ok(())
}

/// Puts a context's registers into the engine to run at `level`: returns where it goes on
/// and whether that completes a suspended host call.
fn make_live(k: &mut Kx, cid: Cid, level: u32) -> KResult<(u64, bool)> {
    if matches!(k.ext().sched.contexts[cid].kind, Kind::Dpc { .. })
        && matches!(k.ext().sched.contexts[cid].run, Run::Idle)
    {
        crate::ke::dpc::start_next(k, cid)?;
    }
    let run = std::mem::replace(&mut k.ext_mut().sched.contexts[cid].run, Run::Live { level });
    let processor = k.ext().sched.contexts[cid].processor;
    let mut work = None;
    let (pc, resume) = match run {
        Run::Start(mut frame) => {
            if frame.return_to == Return::Work {
                work = crate::ex::work_item::starting(k, cid, &mut frame)?;
            }
            let t = k.ext_mut().sched.templates[processor as usize].take().expect("a processor template");
            k.restore_context(&t);
            k.ext_mut().sched.templates[processor as usize] = Some(t);
            let ret = return_address(k, frame.return_to);
            k.prepare_call(&frame.args, frame.conv.for_arch(k.arch()), frame.stack_top, ret)?;
            (frame.pc, false)
        }
        Run::Parked { pc } => {
            let cpu = k.ext_mut().sched.contexts[cid].cpu.take().expect("a parked context has registers");
            k.restore_context(&cpu);
            k.ext_mut().sched.contexts[cid].cpu = Some(cpu);
            let c = &mut k.ext_mut().sched.contexts[cid];
            let value = match c.resume {
                Resume::Status => c.wake_status,
                Resume::Value(v) => v,
            };
            let pending = c.pending_call.take();
            match &pending {
                Some((_, true)) => k.set_return_u64(value),
                _ => k.set_return(value),
            }
            if let Some((mut call, _)) = pending {
                if call.ret_kind.is_some() {
                    call.ret = Some(k.arch().mask(value));
                }
                k.guest_mut().trace.push(Event::Ext(KernelEvent::Call(call)));
            }
            (pc, true)
        }
        Run::Preempted { pc } => {
            let cpu = k.ext_mut().sched.contexts[cid].cpu.take().expect("a preempted context has registers");
            k.restore_context(&cpu);
            k.ext_mut().sched.contexts[cid].cpu = Some(cpu);
            (pc, false)
        }
        other => {
            k.ext_mut().sched.contexts[cid].run = other;
            return Err(KError::Stop(Stop::Machine(portcullis_emu::MachineError::Other(format!(
                "context {cid} is not runnable"
            )))));
        }
    };
    let from = k.ext().sched.current;
    become_current(k, cid)?;
    if from != cid {
        trace_switch(k, from, cid);
    }
    if let Some(routine) = work {
        let thread = flow_name(k, cid);
        trace(k, SchedEvent::WorkItem { thread, routine });
    }
    Ok((pc, resume))
}

/// Makes `cid` the current context: its processor's current thread, its IRQL, its part of
/// the NT_TIB.
fn become_current(k: &mut Kx, cid: Cid) -> KResult<()> {
    switch_tib(k, cid)?;
    let s = &mut k.ext_mut().sched;
    s.current = cid;
    let c = &mut s.contexts[cid];
    c.state = State::Running;
    let (irql, processor, thread) = (c.irql, c.processor, c.thread().map(|t| t.ethread));
    let kprcb = s.processors[processor as usize].kprcb;
    if let Some(t) = thread {
        use crate::layout::{FieldAccess, KPRCB};
        k.mem_mut().set(kprcb, KPRCB::CurrentThread, t)?;
        // KiSwapProcess: the incoming thread's process's user half.
        crate::mm::space::follow(k)?;
    }
    crate::ke::irql::set(k, irql)
}

/// x86: the flow leaving keeps the registration chain its processor's NT_TIB holds, and the
/// flow coming puts its own there, with its stack's bounds (as Windows' SwapContext does).
pub(crate) fn switch_tib(k: &mut Kx, to: Cid) -> KResult<()> {
    let from = k.ext().sched.current;
    if k.arch() != portcullis_emu::Arch::X86 || from == to {
        return Ok(());
    }
    if let Some(c) = k.ext().sched.contexts.get(from) {
        let chain = crate::seh::x86_frames::chain_of(k, c.processor)?;
        k.ext_mut().sched.contexts[from].exception_list = chain;
    }
    let (cpu, chain) = {
        let c = &k.ext().sched.contexts[to];
        (c.processor, c.exception_list)
    };
    let stack = flow_stack(k, to);
    crate::seh::x86_frames::load_tib(k, cpu, chain, stack)
}

/// The stack a flow runs on: its own, or the kernel stack (the host's threads).
/// `(lowest, highest)` address, the highest one past the end.
pub(crate) fn flow_stack(k: &Kx, cid: Cid) -> (u64, u64) {
    match k.ext().sched.contexts[cid].stack {
        Some((base, size)) => (base, base + size),
        None => k.kernel_stack(),
    }
}

pub(crate) fn trace_switch(k: &mut Kx, from: Cid, to: Cid) {
    if !k.ext().options.record_calls {
        return;
    }
    let (from, to) = (flow_name(k, from), flow_name(k, to));
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Sched(SchedEvent::Switch { from, to })));
}

/// How the trace names a context: "thread 0x404", "dpc 1".
pub fn flow_name(k: &Kx, cid: Cid) -> String {
    match &k.ext().sched.contexts[cid].kind {
        Kind::Thread(t) => format!("thread {:#x}", t.tid),
        Kind::Dpc { processor } => format!("dpc {processor}"),
    }
}

/// Something the scheduler did, as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SchedEvent {
    /// Another flow runs.
    Switch { from: String, to: String },
    /// A thread was created.
    ThreadStart { thread: String, start: u64, context: u64 },
    /// A thread ended.
    ThreadExit { thread: String, status: u32 },
    /// An APC was queued to a thread and waits there (not delivered now).
    ApcQueued { thread: String, apc: u64, mode: u8 },
    /// An APC is delivered on the current thread.
    Apc { thread: String, apc: u64, kernel_routine: u64, normal_routine: u64 },
    /// A thread ended with APCs still queued: they are never delivered.
    ApcsDropped { thread: String, apcs: Vec<u64> },
    /// A DPC routine starts on a processor.
    Dpc { processor: u32, dpc: u64, routine: u64 },
    /// A timer expired.
    Timer { timer: u64, dpc: u64 },
    /// A work item starts on a worker thread.
    WorkItem { thread: String, routine: u64 },
    /// Virtual time moved on by `ms` milliseconds while nothing could run.
    Time { ms: u64, now_ms: u64 },
    /// A flow's quantum ran out while a flow on another processor had work: the other runs.
    Preempt { flow: String },
}

pub(crate) fn trace(k: &mut Kx, e: SchedEvent) {
    if k.ext().options.record_calls {
        k.guest_mut().trace.push(Event::Ext(KernelEvent::Sched(e)));
    }
}

/// Runs contexts until `goal` holds. Called from the host (depth 0) or from a host call
/// (the current context's registers are saved meanwhile, and it is embedded). `first` runs
/// before anything else.
fn run_until(k: &mut Kx, goal: Goal, first: Option<Cid>) -> KResult<()> {
    let caller = k.ext().sched.current;
    let depth = k.depth();
    let saved = if depth > 0 {
        let cpu = take_cpu(k, caller)?;
        k.save_context(&cpu);
        Some(cpu)
    } else {
        None
    };
    let caller_irql = crate::ke::irql::current(k)?;
    // Inside a host call the caller's registers are in the engine: it is embedded until the
    // loop ends. From the host nothing of it is live (it may be the context the loop runs).
    let caller_run = (depth > 0).then(|| std::mem::replace(&mut k.ext_mut().sched.contexts[caller].run, Run::Embedded));
    k.ext_mut().sched.loops.push(goal);
    let result = loop_until(k, goal, first);
    k.ext_mut().sched.loops.pop();
    // The caller goes on.
    if let Some(cpu) = saved {
        k.restore_context(&cpu);
        k.ext_mut().sched.contexts[caller].cpu = Some(cpu);
    }
    let s = &mut k.ext_mut().sched;
    let prev = s.current;
    if let Some(run) = caller_run {
        s.contexts[caller].run = run;
    }
    s.contexts[caller].irql = caller_irql;
    let state = s.contexts[caller].state.clone();
    become_current(k, caller)?;
    // A woken caller is running again; a caller that waits for its DPCs keeps waiting.
    if !matches!(state, State::Ready | State::Running) {
        k.ext_mut().sched.contexts[caller].state = state;
    }
    if prev != caller && depth > 0 {
        trace_switch(k, prev, caller);
    }
    result
}

/// Virtual time device interrupts alone may keep a wait going while nothing becomes runnable,
/// before the wait is reported as the deadlock it then most likely is.
const DEVICE_ONLY_WAIT_NS: u64 = 60_000_000_000;

fn loop_until(k: &mut Kx, goal: Goal, mut first: Option<Cid>) -> KResult<()> {
    // Since when nothing has been runnable (for DEVICE_ONLY_WAIT_NS).
    let mut idle_since: Option<u64> = None;
    loop {
        k.check_budget()?;
        expire(k)?;
        if k.ext().sched.met(goal) {
            return Ok(());
        }
        if let Some(cid) = first.take().or_else(|| k.ext_mut().sched.pick(goal)) {
            idle_since = None;
            let (pc, resume) = make_live(k, cid, k.depth() + 1)?;
            // Flows on two processors that both have work share the machine in quanta (only
            // runs the host starts: a quantum cannot end a run nested in another).
            if k.depth() == 0 && k.ext().sched.sharing(cid) {
                k.set_quantum(Some(QUANTUM));
            }
            match k.run_at(pc, resume) {
                Ok(Exit::Suspended { .. }) => {}
                Ok(Exit::Preempted { pc }) => {
                    let live = k.ext().sched.current;
                    let flow = flow_name(k, live);
                    trace(k, SchedEvent::Preempt { flow });
                    stop_being_live(k, live, Run::Preempted { pc }).map_err(KError::Stop)?;
                    k.ext_mut().sched.make_ready(live);
                }
                Ok(Exit::Returned(v)) => {
                    // Guest code returned past its frame to the level's sentinel: the flow
                    // has nothing left to run.
                    let live = k.ext().sched.current;
                    end_flow(k, live, v)?;
                }
                Err(Stop::Host(KernelStop::ThreadExit)) => {
                    // A thread terminated itself below host frames of its own.
                    let live = k.ext().sched.current;
                    k.ext_mut().sched.contexts[live].run = Run::Idle;
                }
                Err(stop) => return Err(KError::Stop(stop)),
            }
            continue;
        }
        // A request a device made during the last run (a memory-mapped controller's line
        // rising on a register write) is taken before time passes; only when one is taken
        // does the loop look again, so a request nothing can take does not hold it.
        if interrupt_pending(k) {
            let before = delivered(k);
            interrupt_while_idle(k)?;
            if delivered(k) != before {
                continue;
            }
        }
        let now = k.guest().cpu.clock.now_ns();
        // Devices (the PIT, a UART...) may interrupt on the way to what is due; with nothing
        // due, a wait still lets time pass towards them, for so long (an ISR's DPC may end it).
        let (until, quiet) = match goal {
            Goal::Idle { until, quiet } => (until, quiet),
            _ => (u64::MAX, false),
        };
        let device = device_due(k, now).filter(|&d| d <= until);
        let waited = now - *idle_since.get_or_insert(now);
        let target = match (next_due(k, goal), device) {
            (Some(t), Some(d)) => Some(t.min(d)),
            (Some(t), None) => Some(t),
            (None, Some(d)) if !quiet && waited < DEVICE_ONLY_WAIT_NS => Some(d),
            (None, _) => None,
        };
        match target {
            Some(t) => {
                advance_clock(k, t, now)?;
                if device.is_some() {
                    interrupt_while_idle(k)?;
                }
                continue;
            }
            None => {
                if let Goal::Idle { until, quiet } = goal {
                    // Idle: nothing left that makes anything runnable within the cap.
                    if until > now && !quiet {
                        // Timers that make nothing runnable still expire on the way.
                        advance_clock(k, until, now)?;
                        continue;
                    }
                    return Ok(());
                }
                let graph = crate::ke::wait_graph::build(k);
                return Err(KError::Stop(crate::ke::wait_graph::deadlock(k, graph)));
            }
        }
    }
}

/// A flow returned to the host where it should not have: a thread ends, a host call ends
/// with that value.
fn end_flow(k: &mut Kx, cid: Cid, value: u64) -> KResult<()> {
    let s = &mut k.ext_mut().sched;
    let c = &mut s.contexts[cid];
    c.run = Run::Idle;
    match &c.kind {
        Kind::Thread(t) if t.host => {
            c.result = Some(value);
            c.state = State::Idle;
            Ok(())
        }
        Kind::Thread(_) => crate::ps::thread::terminate(k, cid, status::SUCCESS.0),
        Kind::Dpc { .. } => {
            c.state = State::Idle;
            Ok(())
        }
    }
}

/// When the next timer or timeout is due, if one that matters to `goal` is.
///
/// A timer nothing waits on and with no DPC makes nothing runnable (passing time expires it
/// anyway). Waiting for idle counts one-shot timers and timeouts as pending work and
/// periodic timers as none: time passes only towards pending work, and periodic timers with
/// something to run fire on the way.
fn next_due(k: &Kx, goal: Goal) -> Option<u64> {
    let s = &k.ext().sched;
    let useful = |addr: &u64, t: &TimerEntry| t.dpc != 0 || s.waits.get(addr).is_some_and(|l| !l.is_empty());
    let waits = s.contexts.iter().filter_map(|c| match &c.state {
        State::Waiting(w) => w.deadline,
        _ => None,
    });
    let (until, quiet) = match goal {
        Goal::Idle { until, quiet } => (until, quiet),
        _ => (u64::MAX, false),
    };
    let t = if quiet {
        let pending = s.timers.values().filter(|t| t.period_ms == 0).map(|t| t.due).chain(waits).min()?;
        if pending > until {
            return None;
        }
        let periodic = s.timers.iter().filter(|(a, t)| t.period_ms != 0 && useful(a, t)).map(|(_, t)| t.due).min();
        periodic.map_or(pending, |p| p.min(pending))
    } else {
        s.timers.iter().filter(|(a, t)| useful(a, t)).map(|(_, t)| t.due).chain(waits).min()?
    };
    (t <= until).then_some(t)
}

/// Takes the interrupts devices requested while nothing ran. The service routines run on the
/// processor's own flow (its DPC context, idle when nothing runs), not on the flow that
/// waits: that one stays parked in its wait. The DPCs they queue run from the loop.
fn interrupt_while_idle(k: &mut Kx) -> KResult<()> {
    let live = k.ext().sched.current;
    let processor = k.ext().sched.contexts[live].processor as usize;
    let Some(flow) = k.ext().sched.processors.get(processor).map(|p| p.dpc_context) else { return Ok(()) };
    if k.ext().sched.contexts[flow].state != State::Idle {
        return Ok(());
    }
    k.ext_mut().sched.current = flow;
    let r = crate::io::interrupt::deliver(k);
    k.ext_mut().sched.current = live;
    r
}

/// Whether the interrupt controller holds a request while an interrupt is connected.
fn interrupt_pending(k: &mut Kx) -> bool {
    !k.ext().io.interrupts.connected.is_empty()
        && k.guest_mut().ports.interrupt_controller().is_some_and(|c| c.pending())
}

/// Service routine calls so far, over every connected interrupt.
fn delivered(k: &Kx) -> u64 {
    k.ext().io.interrupts.connected.values().map(|c| c.delivered).sum()
}

/// When the machine's devices next act (the bus's earliest callback, in ns), if a connected
/// interrupt could bring it to the kernel; callbacks already due run first.
fn device_due(k: &mut Kx, now: u64) -> Option<u64> {
    if k.ext().io.interrupts.connected.is_empty() {
        return None;
    }
    let cycles = k.guest().cpu.clock.cycles();
    k.guest_mut().ports.advance_to(cycles);
    let due = k.guest().ports.next_deadline()?;
    let hz = k.guest().cpu.clock.tsc_hz.max(1) as u128;
    let ns = (due as u128 * 1_000_000_000).div_ceil(hz) as u64;
    (ns > now).then_some(ns)
}

/// Moves the virtual clock to `t` (never back), keeps the kernel's clocks in step and
/// records the jump.
fn advance_clock(k: &mut Kx, t: u64, now: u64) -> KResult<()> {
    if t > now {
        let clock = &mut k.guest_mut().cpu.clock;
        let cycles = (t as u128 * clock.tsc_hz as u128).div_ceil(1_000_000_000) as u64;
        clock.set_cycles(cycles.max(clock.cycles()));
        crate::ps::sync_time(k)?;
        let now_ms = k.guest().cpu.clock.now_ns() / 1_000_000;
        trace(k, SchedEvent::Time { ms: (t - now) / 1_000_000, now_ms });
    }
    Ok(())
}

/// Fires the timers and times out the waits that are due on the virtual clock.
pub(crate) fn expire(k: &mut Kx) -> KResult<()> {
    let now = k.guest().cpu.clock.now_ns();
    crate::ke::timer::expire(k, now)?;
    let s = &mut k.ext_mut().sched;
    let mut due: Vec<(u64, u64, Cid)> = s
        .contexts
        .iter()
        .enumerate()
        .filter_map(|(cid, c)| match &c.state {
            State::Waiting(w) => w.deadline.filter(|d| *d <= now).map(|d| (d, w.seq, cid)),
            _ => None,
        })
        .collect();
    due.sort();
    for (_, _, cid) in due {
        let status = match &k.ext().sched.contexts[cid].state {
            State::Waiting(w) => w.timeout_status,
            _ => continue,
        };
        k.ext_mut().sched.wake(cid, status);
    }
    Ok(())
}

/// Calls guest code on the current thread. From the host it is that thread's call: other
/// contexts run while it waits, and once it returns everything runnable runs until it waits
/// (a settle). From a host call it is a nested call on the current context.
pub fn call(k: &mut Kx, target: u64, args: &[u64], conv: CallConv) -> Result<u64, Stop<KernelStop>> {
    if k.depth() > 0 {
        return k.call(target, args, conv);
    }
    let cid = k.ext().sched.current;
    // A processor's DPC context (taking an interrupt while nothing runs) has a stack of its
    // own; every other call the host makes starts on the host's stack.
    let top = match (&k.ext().sched.contexts[cid].kind, k.ext().sched.contexts[cid].stack) {
        (Kind::Dpc { .. }, Some((base, size))) => base + size - 0x100,
        (Kind::Dpc { .. }, None) => give_stack(k, cid).map_err(|e| crate::kernel::into_stop(k, e, "a DPC stack", 0))?,
        _ => k.stack_top(),
    };
    let c = &mut k.ext_mut().sched.contexts[cid];
    c.result = None;
    c.state = State::Ready;
    c.run = Run::Start(Frame { pc: target, args: args.to_vec(), conv, stack_top: top, return_to: Return::Host });
    let r = run_until(k, Goal::Finished(cid), Some(cid));
    let r = r.and_then(|_| settle(k));
    let c = &mut k.ext_mut().sched.contexts[cid];
    let result = c.result.take();
    if r.is_ok() {
        c.state = State::Idle;
    }
    match r {
        Ok(()) => Ok(result.unwrap_or(0)),
        Err(e) => Err(crate::kernel::into_stop(k, e, "a scheduled call", 0)),
    }
}

/// Runs everything runnable until it waits; no time passes.
pub fn settle(k: &mut Kx) -> KResult<()> {
    let now = k.guest().cpu.clock.now_ns();
    run_until(k, Goal::Idle { until: now, quiet: false }, None)
}

/// Lets `ns` of virtual time pass: timers fire and waits time out on the way, and whatever
/// becomes runnable runs. Called from the host.
pub fn advance(k: &mut Kx, ns: u64) -> KResult<()> {
    let until = k.guest().cpu.clock.now_ns().saturating_add(ns);
    run_until(k, Goal::Idle { until, quiet: false }, None)
}

/// Runs until nothing is runnable and nothing but periodic timers is pending, letting at most
/// `cap_ns` of virtual time pass. Called from the host.
pub fn wait_idle(k: &mut Kx, cap_ns: u64) -> KResult<()> {
    let start = k.guest().cpu.clock.now_ns();
    let until = start.saturating_add(cap_ns);
    run_until(k, Goal::Idle { until, quiet: true }, None)
}

/// Handles a flow returning into one of the scheduler's slots.
fn on_return(k: &mut Kx, slot: u32) -> Result<(), Stop<KernelStop>> {
    let which = slot.checked_sub(k.ext().sched.return_first).and_then(|i| RETURNS.get(i as usize)).copied();
    let cid = k.ext().sched.current;
    if !matches!(k.ext().sched.contexts[cid].run, Run::Live { level } if level == k.depth()) {
        // Reached from a nested call (a corrupted stack, a stray jump): nothing ends here.
        let pc = k.host_call_pc();
        let fault = k.fault(
            portcullis_emu::FaultKind::GeneralProtection,
            pc,
            "return into the scheduler from a nested call".into(),
        );
        return Err(Stop::Fault(Box::new(fault)));
    }
    let stop = |k: &mut Kx, e: KError| crate::kernel::into_stop(k, e, "the end of a flow", 0);
    let rax = k.reg(portcullis_emu::Reg::Ax);
    // What the flow does next: nothing, or (a worker with more work) start over.
    let next = match which {
        Some(Return::Host) => {
            let c = &mut k.ext_mut().sched.contexts[cid];
            c.result = Some(rax);
            c.state = State::Idle;
            None
        }
        Some(Return::ThreadExit) => {
            crate::ps::thread::returned(k, cid).map_err(|e| stop(k, e))?;
            None
        }
        Some(Return::Dpc) => {
            crate::ke::dpc::finished(k, cid).map_err(|e| stop(k, e))?;
            None
        }
        Some(Return::Work) => crate::ex::work_item::finished(k, cid).map_err(|e| stop(k, e))?,
        None => return Err(Stop::Machine(portcullis_emu::MachineError::NoHostCall(slot))),
    };
    stop_being_live(k, cid, Run::Idle)?;
    if let Some(frame) = next {
        let s = &mut k.ext_mut().sched;
        s.contexts[cid].run = Run::Start(frame);
        s.make_ready(cid);
    }
    switch_away(k)
}
