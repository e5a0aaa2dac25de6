//! Budgets that end a run: instructions, wall time, guest memory, call depth.
//!
//! None of them taxes the default fast path:
//! - time: one watchdog thread per process stops the engine when a deadline passes
//!   (Unicorn's own `timeout` starts a thread per `emu_start`, ~120 us each);
//! - instructions: counted per translated block by a block hook that exists only when a
//!   budget is set (Unicorn's `count` is a whole-range code hook, ~20x slower). The count is
//!   exact at block granularity: a run stops at the end of the block that crosses the budget;
//! - memory: checked when frames are allocated;
//! - call depth: checked when the host calls into the guest.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;

/// The budgets of one machine. They apply to the machine's whole life, across calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_instructions: Option<u64>,
    pub time: Option<Duration>,
    /// Guest RAM cap in bytes.
    pub memory_bytes: u64,
    /// How deep host -> guest -> host -> guest calls may nest (Unicorn allows 64).
    pub max_call_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_instructions: None, time: None, memory_bytes: 512 << 20, max_call_depth: 32 }
    }
}

/// Which budget ended a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LimitHit {
    /// The instruction budget, spent in the block at `pc` (where a loop that never ends is).
    Instructions {
        limit: u64,
        pc: u64,
    },
    Time {
        limit_ms: u64,
    },
    Memory {
        limit: u64,
    },
    CallDepth {
        limit: u32,
    },
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::Instructions { limit, pc } => write!(f, "instruction budget of {limit} exhausted at {pc:#x}"),
            LimitHit::Time { limit_ms } => write!(f, "time budget of {limit_ms} ms exhausted"),
            LimitHit::Memory { limit } => write!(f, "guest memory limit of {limit} bytes reached"),
            LimitHit::CallDepth { limit } => write!(f, "calls nested deeper than {limit} levels"),
        }
    }
}

/// Usage of the budgets so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Usage {
    pub(crate) instructions: u64,
    pub(crate) time: Duration,
}

struct Slot {
    id: u64,
    engine: usize,
    /// When the time budget runs out (none: the run is armed only to be interruptible).
    deadline: Option<Instant>,
    fired: Arc<AtomicBool>,
}

#[derive(Default)]
struct Armed {
    slots: Vec<Slot>,
    next_id: u64,
}

/// Starts the watchdog's thread now instead of at the first run: a process that is about to
/// lose the right to create threads (a confined worker) starts it first.
pub fn start_watchdog() {
    Watchdog::global();
}

/// The process-wide watchdog that enforces time budgets.
pub(crate) struct Watchdog {
    armed: Mutex<Armed>,
    wake: Condvar,
}

/// While alive, the engine is stopped if the deadline passes.
pub(crate) struct ArmedDeadline {
    id: u64,
}

/// How often a fired deadline re-stops its engine: a nested `emu_start` clears a pending stop.
const RESTOP: Duration = Duration::from_millis(2);

/// How often, while a run is armed, the trace is told to hand its events on (a guest that
/// makes few events still has them in the trace file within this much wall time).
const FLUSH_EVERY: Duration = Duration::from_millis(100);

impl Watchdog {
    pub(crate) fn global() -> &'static Watchdog {
        static W: OnceLock<&'static Watchdog> = OnceLock::new();
        W.get_or_init(|| {
            let w: &'static Watchdog = Box::leak(Box::new(Watchdog { armed: Mutex::default(), wake: Condvar::new() }));
            // Returns once the thread runs (its start-up, naming itself, is over): a process
            // that confines itself right after must not cut a thread off half-started.
            let (started, running) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("portcullis-watchdog".into())
                .spawn(move || {
                    let _ = started.send(());
                    w.run()
                })
                .expect("cannot start the watchdog thread");
            let _ = running.recv();
            w
        })
    }

    pub(crate) fn arm(
        &self,
        engine: *mut unicorn_engine::uc_engine,
        deadline: Option<Instant>,
        fired: Arc<AtomicBool>,
    ) -> ArmedDeadline {
        let mut a = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let id = a.next_id;
        a.next_id += 1;
        // Only a deadline changes when the watchdog must next wake; a run armed only to be
        // interruptible costs no wake-up (`interrupt` wakes the watchdog itself).
        let timed = deadline.is_some();
        a.slots.push(Slot { id, engine: engine as usize, deadline, fired });
        if timed {
            self.wake.notify_one();
        }
        ArmedDeadline { id }
    }

    /// After this returns the watchdog will not touch the engine again.
    pub(crate) fn disarm(&self, armed: ArmedDeadline) {
        let mut a = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        a.slots.retain(|s| s.id != armed.id);
    }

    /// Stops every armed engine now, and again until its run ends (see `interrupt`).
    pub(crate) fn interrupt(&self) {
        let _a = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        self.wake.notify_one();
    }

    fn run(&self) {
        let mut a = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            let interrupted = crate::interrupt::requested().is_some();
            let mut next: Option<Instant> = None;
            for s in &mut a.slots {
                let expired = s.deadline.is_some_and(|d| now >= d);
                if expired || interrupted {
                    if expired {
                        s.fired.store(true, Ordering::SeqCst);
                    }
                    // SAFETY: the slot is removed (under this lock) before its engine is
                    // touched again by its owner or dropped, so the pointer is live here.
                    unsafe { unicorn_engine::uc_emu_stop(s.engine as *mut _) };
                    s.deadline = Some(now + RESTOP);
                }
                let due = s.deadline.map_or(now + FLUSH_EVERY, |d| d.min(now + FLUSH_EVERY));
                next = Some(next.map_or(due, |n: Instant| n.min(due)));
            }
            if !a.slots.is_empty() {
                crate::trace::request_flush();
            }
            a = match next {
                Some(t) => {
                    self.wake.wait_timeout(a, t.saturating_duration_since(now)).unwrap_or_else(|p| p.into_inner()).0
                }
                None => self.wake.wait(a).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }
}
