//! Structured events the machine records, collected cheaply and drained by higher layers.
//!
//! Events go into one ordered buffer; the layer above (the kernel) adds its own through the
//! `Ext` variant, so a single stream keeps the true order of port accesses and API calls.
//! A sink, when set, receives full batches while the guest runs, so a run that dies still
//! leaves everything up to its last batch behind.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::fault::GuestFault;
use crate::limits::LimitHit;
use crate::physical::Answered;
use crate::ports::{Outcome, Width};

/// One port access as the guest performed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PortEvent {
    pub pc: u64,
    pub port: u16,
    pub width: Width,
    pub write: bool,
    /// The value written, or the value the read returned.
    pub value: u32,
    /// The privilege the access was made at (0: kernel-mode driver code, 3: user mode).
    pub cpl: u8,
    pub outcome: Outcome,
}

/// One access to device memory (MMIO) as the guest performed it: a driver's own `mov` to a
/// mapped register, or a kernel routine's (READ_REGISTER_*) on its behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MmioEvent {
    pub pc: u64,
    /// The physical address.
    pub address: u64,
    pub width: Width,
    pub write: bool,
    /// The value written, or the value the read returned.
    pub value: u32,
    pub cpl: u8,
    pub outcome: Outcome,
    /// What answered it.
    pub answered: Answered,
}

/// What a trapped privileged instruction did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Privileged {
    Rdmsr {
        msr: u32,
        value: Option<u64>,
    },
    Wrmsr {
        msr: u32,
        value: u64,
        accepted: bool,
    },
    ReadCr {
        cr: u8,
        value: u64,
    },
    WriteCr {
        cr: u8,
        value: u64,
    },
    ReadDr {
        dr: u8,
        value: u64,
    },
    WriteDr {
        dr: u8,
        value: u64,
    },
    Cli,
    Sti,
    /// A `popf` that set the virtual interrupt flag to `interrupts_enabled`.
    Popf {
        interrupts_enabled: bool,
    },
    /// `hlt`; with interrupts enabled the guest resumes after one clock tick.
    Hlt {
        resumed: bool,
    },
    Lgdt {
        base: u64,
        limit: u16,
    },
    Lidt {
        base: u64,
        limit: u16,
    },
    Lldt {
        selector: u16,
    },
    Ltr {
        selector: u16,
    },
    Invlpg {
        address: u64,
    },
    Wbinvd,
    Invd,
    Swapgs {
        gs_base: u64,
    },
    Clts,
    Lmsw {
        value: u16,
    },
    Rdpmc {
        counter: u32,
        value: u64,
    },
    Cpuid {
        leaf: u32,
        subleaf: u32,
        result: [u32; 4],
    },
    Rdtsc {
        value: u64,
    },
    Rdtscp {
        value: u64,
        aux: u32,
    },
}

/// A privileged instruction the machine mediated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrivilegedEvent {
    pub pc: u64,
    /// Disassembly of the instruction ("rdmsr", "mov cr3, rax").
    pub text: String,
    pub action: Privileged,
}

/// One entry of the machine's trace. `E` is the layer above's own event type.
#[derive(Clone, Debug)]
pub enum Event<E> {
    Port(PortEvent),
    Mmio(MmioEvent),
    Privileged(PrivilegedEvent),
    Fault(GuestFault),
    Limit(LimitHit),
    Ext(E),
}

/// Running totals kept even when events are not recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub port_accesses: u64,
    pub mmio_accesses: u64,
    pub privileged: u64,
    pub host_calls: u64,
}

type Sink<E> = Box<dyn FnMut(&[Event<E>])>;

/// Set by the watchdog every 100 ms of wall time while a run is armed: the next event hands
/// the batch on even if it is not full (one relaxed load per event otherwise).
static FLUSH_DUE: AtomicBool = AtomicBool::new(false);

pub(crate) fn request_flush() {
    FLUSH_DUE.store(true, Ordering::Relaxed);
}

/// The event buffer.
pub struct Trace<E> {
    events: Vec<Event<E>>,
    /// Record every port access (on by default). Off, only counters are kept.
    pub record_ports: bool,
    /// Record every MMIO access (on by default). Off, only counters are kept.
    pub record_mmio: bool,
    /// Record privileged instructions (on by default).
    pub record_privileged: bool,
    pub counters: Counters,
    sink: Option<(usize, Sink<E>)>,
}

impl<E> Default for Trace<E> {
    fn default() -> Self {
        Trace {
            events: Vec::with_capacity(1024),
            record_ports: true,
            record_mmio: true,
            record_privileged: true,
            counters: Counters::default(),
            sink: None,
        }
    }
}

impl<E> Trace<E> {
    /// Appends an event, handing a full batch to the sink if one is set.
    pub fn push(&mut self, event: Event<E>) {
        self.events.push(event);
        if let Some((batch, sink)) = &mut self.sink {
            if self.events.len() >= *batch
                || (FLUSH_DUE.load(Ordering::Relaxed) && FLUSH_DUE.swap(false, Ordering::Relaxed))
            {
                sink(&self.events);
                self.events.clear();
            }
        }
    }

    /// Streams events to `sink` in batches of `batch` while the guest runs.
    /// Events already buffered go to the sink first.
    pub fn set_sink(&mut self, batch: usize, mut sink: impl FnMut(&[Event<E>]) + 'static) {
        if !self.events.is_empty() {
            sink(&self.events);
            self.events.clear();
        }
        self.sink = Some((batch.max(1), Box::new(sink)));
    }

    /// Hands everything buffered to the sink, if there is one.
    pub fn flush(&mut self) {
        if let Some((_, sink)) = &mut self.sink {
            if !self.events.is_empty() {
                sink(&self.events);
                self.events.clear();
            }
        }
    }

    /// Takes the buffered events (those not yet given to a sink).
    pub fn drain(&mut self) -> Vec<Event<E>> {
        std::mem::take(&mut self.events)
    }

    pub fn events(&self) -> &[Event<E>] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The port events in the buffer.
    pub fn ports(&self) -> impl Iterator<Item = &PortEvent> {
        self.events.iter().filter_map(|e| match e {
            Event::Port(p) => Some(p),
            _ => None,
        })
    }

    /// The MMIO events in the buffer.
    pub fn mmio(&self) -> impl Iterator<Item = &MmioEvent> {
        self.events.iter().filter_map(|e| match e {
            Event::Mmio(m) => Some(m),
            _ => None,
        })
    }

    /// The privileged-instruction events in the buffer.
    pub fn privileged(&self) -> impl Iterator<Item = &PrivilegedEvent> {
        self.events.iter().filter_map(|e| match e {
            Event::Privileged(p) => Some(p),
            _ => None,
        })
    }
}
