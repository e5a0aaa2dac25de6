//! The port bus: an ordered map from port ranges to what answers them.
//!
//! Shape after crosvm's `devices/src/bus.rs`: ranges are inserted with a policy and rejected
//! with a typed error when they overlap. Lookup is a flat 64 Ki-entry table, so an access
//! costs one load and no allocation.
//!
//! Rules for accesses the owner cannot take as they come (consistent, and traced):
//! - An access whose ports all belong to one range, in a width the owner implements, goes
//!   straight to it.
//! - An access that straddles ranges, or whose width the device does not implement, is split
//!   into two halves of the next narrower width, low port first, each routed on its own;
//!   the read value is assembled little-endian. Byte accesses are never split.
//! - If a device implements no narrower width either, reads return all-ones and writes are
//!   dropped; this is logged once per range and width.
//! - If any port of an access lies in a `deny` range, nothing is performed and the whole
//!   access is denied (the machine raises #GP in the guest).
//! - Unclaimed ports read all-ones and drop writes; each is logged once.
//!
//! Port numbers wrap at 0xFFFF (the ISA bus drops address bit 16).

use serde::Serialize;
use thiserror::Error;

use super::context::{BusContext, InterruptController, IrqLines, ResetRequest};
use super::device::{PortDevice, Width, Widths};
use super::host::HostPortBackend;

/// What a range does with accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// A device model answers.
    Emulate,
    /// Recorded only: reads return all-ones, writes are dropped.
    Log,
    /// The access faults in the guest (#GP).
    Deny,
    /// Sent to a host backend.
    Forward,
}

/// What happened to one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Emulated,
    Logged,
    Denied,
    Forwarded,
    Unclaimed,
    /// A forward backend reported an error; reads returned all-ones.
    BackendError,
    /// The width is not implemented by the device and could not be split.
    WidthUnsupported,
    /// A write to read-only memory (ROM): dropped.
    ReadOnly,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PortBusError {
    #[error("ports {first:#x}-{last:#x} ({name}) overlap {existing_first:#x}-{existing_last:#x} ({existing})")]
    Overlap { first: u16, last: u16, name: String, existing_first: u16, existing_last: u16, existing: String },
    #[error("port range {first:#x}-{last:#x} is empty or reversed")]
    BadRange { first: u16, last: u16 },
    #[error("no port range with id {0}")]
    NoSuchRange(usize),
}

/// Identifies a range on the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RangeId(usize);

enum Target {
    Device(Box<dyn PortDevice>),
    Log,
    Deny,
    Forward(Box<dyn HostPortBackend>),
}

struct Entry {
    first: u16,
    last: u16,
    name: String,
    target: Target,
    /// The device's widths, asked once at insertion (all widths for policies).
    widths: Widths,
    /// Widths already reported as unsupported (bit per width).
    warned_widths: u8,
    /// Part of the default machine: a range added over it replaces it.
    chipset: bool,
    /// The clock cycle at which the device's `timer` runs (u64::MAX: none).
    deadline: u64,
}

/// A description of one range, for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RangeInfo {
    pub first: u16,
    pub last: u16,
    pub name: String,
    pub policy: Policy,
}

/// One access as a waveform sees it: when, where, what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedAccess {
    /// Nanoseconds of virtual time ([`PortBus::timed_accesses`]; clock cycles while kept).
    pub time_ns: u64,
    pub port: u16,
    pub width: Width,
    pub write: bool,
    pub value: u32,
}

pub struct PortBus {
    /// Port -> 1 + index into `entries`; 0 when unclaimed.
    map: Box<[u16]>,
    entries: Vec<Option<Entry>>,
    unclaimed_seen: Box<[u64]>,
    /// The virtual clock, in cycles, at the access being performed.
    now: u64,
    tsc_hz: u64,
    /// The earliest device deadline (u64::MAX: none).
    next_due: u64,
    lines: IrqLines,
    seen_level: u16,
    controller: Option<Box<dyn InterruptController>>,
    reset: Option<ResetRequest>,
    /// Every access that changed its port's value, with its time, when a waveform is wanted
    /// (`--vcd`); `None` otherwise.
    timed: Option<Vec<TimedAccess>>,
    /// The last value kept per port (u64::MAX: none yet), while keeping them.
    timed_last: Box<[u64]>,
}

impl Default for PortBus {
    fn default() -> Self {
        Self::new()
    }
}

impl PortBus {
    pub fn new() -> PortBus {
        PortBus {
            map: vec![0u16; 0x10000].into_boxed_slice(),
            entries: Vec::new(),
            unclaimed_seen: vec![0u64; 0x10000 / 64].into_boxed_slice(),
            now: 0,
            tsc_hz: 1_000_000_000,
            next_due: u64::MAX,
            lines: IrqLines::default(),
            seen_level: 0,
            controller: None,
            reset: None,
            timed: None,
            timed_last: Box::new([]),
        }
    }

    /// The clock the devices see: `tsc_hz` cycles a second (set by the machine at set-up).
    pub fn set_clock_rate(&mut self, tsc_hz: u64) {
        self.tsc_hz = tsc_hz.max(1);
    }

    /// Moves the devices' clock to `cycles` and runs every callback now due (what the
    /// machine does when time passes outside port accesses: a stall, a wait).
    pub fn advance_to(&mut self, cycles: u64) {
        self.now = self.now.max(cycles);
        if self.now >= self.next_due {
            self.run_timers();
        }
        self.feed_controller();
    }

    /// The clock cycle of the earliest scheduled device callback, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        (self.next_due != u64::MAX).then_some(self.next_due)
    }

    /// The interrupt controller the devices' lines reach.
    pub fn set_interrupt_controller(&mut self, controller: Box<dyn InterruptController>) {
        self.controller = Some(controller);
        self.seen_level = 0;
        self.feed_controller();
    }

    pub fn interrupt_controller(&mut self) -> Option<&mut (dyn InterruptController + 'static)> {
        self.controller.as_deref_mut()
    }

    /// The levels of the interrupt lines.
    pub fn irq_lines(&self) -> u16 {
        self.lines.level()
    }

    /// A reset a device asked for, if any (taken: the machine ends the run with it).
    pub fn take_reset(&mut self) -> Option<ResetRequest> {
        self.reset.take()
    }

    /// Whether a device asked for a reset (checked after every access).
    #[inline]
    pub fn reset_requested(&self) -> bool {
        self.reset.is_some()
    }

    /// Starts (or stops) keeping the accesses with their times: each access that changes the
    /// value last seen at its port (a waveform dumps changes; a polling loop reading the same
    /// status costs one comparison an access).
    pub fn record_timed(&mut self, on: bool) {
        self.timed = on.then(Vec::new);
        self.timed_last = if on { vec![u64::MAX; 0x10000].into_boxed_slice() } else { Box::new([]) };
    }

    /// The accesses kept (value changes) with their times in nanoseconds (empty unless
    /// [`PortBus::record_timed`]).
    pub fn timed_accesses(&self) -> Vec<TimedAccess> {
        super::context::cycles_to_ns_all(self.timed.as_deref().unwrap_or(&[]), self.tsc_hz, |a| &mut a.time_ns)
    }

    /// The accesses kept, as [`PortBus::timed_accesses`] gives them, taken out of the bus
    /// (converted where they lie: a long run keeps millions, and a copy of them costs a page
    /// fault every 256). Recording goes on, from none kept.
    pub fn take_timed_accesses(&mut self) -> Vec<TimedAccess> {
        let Some(kept) = self.timed.as_mut() else { return Vec::new() };
        let mut taken = std::mem::take(kept);
        super::context::cycles_to_ns_in_place(&mut taken, self.tsc_hz, |a| &mut a.time_ns);
        taken
    }

    /// Keeps one access with its time, when recording (called once per guest access; the
    /// clock cycle is kept, converted when asked for).
    #[inline]
    pub fn note_timed(&mut self, port: u16, width: Width, write: bool, value: u32) {
        if let Some(v) = self.timed.as_mut() {
            let last = &mut self.timed_last[port as usize];
            if *last != value as u64 {
                *last = value as u64;
                v.push(TimedAccess { time_ns: self.now, port, width, write, value });
            }
        }
    }

    /// Runs the callbacks of every device whose deadline has come.
    fn run_timers(&mut self) {
        // A callback may schedule again at or before now: each runs at most once a pass,
        // and a device that keeps asking for the past is served once per access.
        let now = self.now;
        let tsc_hz = self.tsc_hz;
        for entry in self.entries.iter_mut().flatten() {
            if entry.deadline <= now {
                entry.deadline = u64::MAX;
                if let Target::Device(dev) = &mut entry.target {
                    let mut ctx = BusContext {
                        cycles: now,
                        tsc_hz,
                        lines: &mut self.lines,
                        deadline: &mut entry.deadline,
                        reset: &mut self.reset,
                    };
                    dev.timer(&mut ctx);
                }
            }
        }
        self.next_due = self.entries.iter().flatten().map(|e| e.deadline).min().unwrap_or(u64::MAX);
    }

    /// The interrupt lines, for a device on another bus (memory-mapped) to drive; call
    /// [`PortBus::sync_interrupts`] after.
    pub fn lines_mut(&mut self) -> &mut IrqLines {
        &mut self.lines
    }

    /// Gives the controller what the lines did since it last looked.
    pub fn sync_interrupts(&mut self) {
        self.feed_controller();
    }

    /// Gives the controller the lines that changed.
    #[inline]
    fn feed_controller(&mut self) {
        let level = self.lines.level();
        if level == self.seen_level && self.lines.rose() == 0 {
            return;
        }
        let rose = self.lines.take_rising();
        let changed = level ^ self.seen_level;
        self.seen_level = level;
        if let Some(c) = self.controller.as_mut() {
            for line in 0..16u8 {
                let bit = 1u16 << line;
                if (rose | changed) & bit != 0 {
                    c.set_line(line, level & bit != 0, rose & bit != 0);
                }
            }
        }
    }

    /// Attaches a device model to ports `first..=last`.
    pub fn add_device(&mut self, first: u16, last: u16, device: Box<dyn PortDevice>) -> Result<RangeId, PortBusError> {
        let name = device.name().to_string();
        self.insert(first, last, name, Target::Device(device))
    }

    /// Attaches one of the default machine's devices: any range added later over its ports
    /// replaces it (a scenario's own model, or a policy, wins).
    pub fn add_chipset_device(
        &mut self,
        first: u16,
        last: u16,
        device: Box<dyn PortDevice>,
    ) -> Result<RangeId, PortBusError> {
        let id = self.add_device(first, last, device)?;
        if let Some(e) = self.entries[id.0].as_mut() {
            e.chipset = true;
        }
        Ok(id)
    }

    /// Detaches every default-machine device (a bare machine's bus starts empty).
    pub fn remove_chipset_devices(&mut self) {
        let chipset: Vec<usize> =
            (0..self.entries.len()).filter(|&i| self.entries[i].as_ref().is_some_and(|e| e.chipset)).collect();
        for i in chipset {
            let _ = self.remove(RangeId(i));
        }
    }

    /// Sets a `log` or `deny` policy on ports `first..=last`.
    pub fn add_policy(
        &mut self,
        first: u16,
        last: u16,
        name: impl Into<String>,
        policy: Policy,
    ) -> Result<RangeId, PortBusError> {
        let target = match policy {
            Policy::Log => Target::Log,
            Policy::Deny => Target::Deny,
            Policy::Emulate | Policy::Forward => {
                return Err(PortBusError::BadRange { first, last });
            }
        };
        self.insert(first, last, name.into(), target)
    }

    /// Forwards ports `first..=last` to a host backend.
    pub fn add_forward(
        &mut self,
        first: u16,
        last: u16,
        backend: Box<dyn HostPortBackend>,
    ) -> Result<RangeId, PortBusError> {
        let name = format!("forward:{}", backend.name());
        self.insert(first, last, name, Target::Forward(backend))
    }

    fn insert(&mut self, first: u16, last: u16, name: String, target: Target) -> Result<RangeId, PortBusError> {
        if last < first {
            return Err(PortBusError::BadRange { first, last });
        }
        // The default machine's devices give way.
        let replaced: Vec<usize> = (first..=last)
            .map(|p| self.map[p as usize])
            .filter(|&i| i != 0 && self.entries[i as usize - 1].as_ref().is_some_and(|e| e.chipset))
            .map(|i| i as usize - 1)
            .collect();
        for i in replaced {
            let _ = self.remove(RangeId(i));
        }
        if let Some(port) = (first..=last).find(|&p| self.map[p as usize] != 0) {
            let existing = self.entries[self.map[port as usize] as usize - 1].as_ref().expect("mapped entries exist");
            return Err(PortBusError::Overlap {
                first,
                last,
                name,
                existing_first: existing.first,
                existing_last: existing.last,
                existing: existing.name.clone(),
            });
        }
        let index = match self.entries.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        let widths = match &target {
            Target::Device(d) => d.widths(),
            _ => Widths::ALL,
        };
        self.entries[index] =
            Some(Entry { first, last, name, target, widths, warned_widths: 0, chipset: false, deadline: u64::MAX });
        for p in first..=last {
            self.map[p as usize] = (index + 1) as u16;
        }
        Ok(RangeId(index))
    }

    /// Detaches a range; its ports become unclaimed.
    pub fn remove(&mut self, id: RangeId) -> Result<(), PortBusError> {
        let entry = self.entries.get_mut(id.0).and_then(Option::take).ok_or(PortBusError::NoSuchRange(id.0))?;
        for p in entry.first..=entry.last {
            self.map[p as usize] = 0;
        }
        Ok(())
    }

    /// The ranges on the bus, ordered by first port.
    pub fn ranges(&self) -> Vec<RangeInfo> {
        let mut v: Vec<RangeInfo> = self
            .entries
            .iter()
            .flatten()
            .map(|e| RangeInfo {
                first: e.first,
                last: e.last,
                name: e.name.clone(),
                policy: match e.target {
                    Target::Device(_) => Policy::Emulate,
                    Target::Log => Policy::Log,
                    Target::Deny => Policy::Deny,
                    Target::Forward(_) => Policy::Forward,
                },
            })
            .collect();
        v.sort_by_key(|r| r.first);
        v
    }

    /// The name of the range claiming `port`, if any.
    pub fn owner(&self, port: u16) -> Option<&str> {
        match self.map[port as usize] {
            0 => None,
            i => self.entries[i as usize - 1].as_ref().map(|e| e.name.as_str()),
        }
    }

    /// Performs one access at clock cycle `now` (devices see the time, callbacks due by then
    /// run after it). Returns the value read (all-ones where nobody answers) and what
    /// happened. A denied access performs nothing.
    #[inline]
    pub fn access_at(&mut self, now: u64, port: u16, width: Width, write: bool, value: u32) -> (u32, Outcome) {
        self.now = self.now.max(now);
        let r = self.access(port, width, write, value);
        if self.now >= self.next_due {
            self.run_timers();
        }
        self.feed_controller();
        r
    }

    /// Performs one access at the bus's current time (see [`PortBus::access_at`]).
    #[inline]
    pub fn access(&mut self, port: u16, width: Width, write: bool, value: u32) -> (u32, Outcome) {
        let idx = self.map[port as usize];
        let last = port.wrapping_add(width.bytes() - 1);
        if idx != 0 && (width == Width::Byte || (last > port && self.map[last as usize] == idx)) {
            return self.dispatch(idx as usize - 1, port, width, write, value);
        }
        if self.any_denied(port, width) {
            return (width.all_ones(), Outcome::Denied);
        }
        match (idx, width.narrower()) {
            (0, None) => self.unclaimed(port, width),
            (_, Some(half)) => self.split(port, half, write, value),
            (_, None) => unreachable!("byte accesses always take the direct path when claimed"),
        }
    }

    fn any_denied(&self, port: u16, width: Width) -> bool {
        (0..width.bytes()).any(|i| {
            let idx = self.map[port.wrapping_add(i) as usize];
            idx != 0 && matches!(self.entries[idx as usize - 1].as_ref().map(|e| &e.target), Some(Target::Deny))
        })
    }

    fn split(&mut self, port: u16, half: Width, write: bool, value: u32) -> (u32, Outcome) {
        let shift = half.bytes() as u32 * 8;
        let (lo, outcome) = self.access(port, half, write, value & half.all_ones());
        let (hi, _) = self.access(port.wrapping_add(half.bytes()), half, write, (value >> shift) & half.all_ones());
        (lo | (hi << shift), outcome)
    }

    fn unclaimed(&mut self, port: u16, width: Width) -> (u32, Outcome) {
        let (word, bit) = (port as usize / 64, port % 64);
        if self.unclaimed_seen[word] & (1 << bit) == 0 {
            self.unclaimed_seen[word] |= 1 << bit;
            tracing::info!(port = format_args!("{port:#06x}"), "access to an unclaimed port (reads all-ones)");
        }
        (width.all_ones(), Outcome::Unclaimed)
    }

    #[inline]
    fn dispatch(&mut self, index: usize, port: u16, width: Width, write: bool, value: u32) -> (u32, Outcome) {
        let entry = self.entries[index].as_mut().expect("mapped entries exist");
        if !entry.widths.contains(width) {
            if let Some(half) = width.narrower() {
                return self.split(port, half, write, value);
            }
            if entry.warned_widths & width as u8 == 0 {
                entry.warned_widths |= width as u8;
                tracing::warn!(device = %entry.name, width = width.bytes(), "device does not implement this access width; reads return all-ones");
            }
            return (width.all_ones(), Outcome::WidthUnsupported);
        }
        let offset = port.wrapping_sub(entry.first);
        match &mut entry.target {
            Target::Device(dev) => {
                let mut ctx = BusContext {
                    cycles: self.now,
                    tsc_hz: self.tsc_hz,
                    lines: &mut self.lines,
                    deadline: &mut entry.deadline,
                    reset: &mut self.reset,
                };
                let r = if write {
                    dev.write(offset, width, value & width.all_ones(), &mut ctx);
                    (0, Outcome::Emulated)
                } else {
                    (dev.read(offset, width, &mut ctx) & width.all_ones(), Outcome::Emulated)
                };
                self.next_due = self.next_due.min(entry.deadline);
                r
            }
            Target::Log => (width.all_ones(), Outcome::Logged),
            Target::Deny => (width.all_ones(), Outcome::Denied),
            Target::Forward(backend) => {
                let r = if write {
                    backend.write(port, width, value & width.all_ones()).map(|_| 0)
                } else {
                    backend.read(port, width).map(|v| v & width.all_ones())
                };
                match r {
                    Ok(v) => (v, Outcome::Forwarded),
                    Err(e) => {
                        tracing::warn!(port = format_args!("{port:#06x}"), error = %e, "host backend error");
                        (width.all_ones(), Outcome::BackendError)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod timed_tests {
    use super::*;

    #[test]
    fn taken_accesses_are_the_kept_ones_and_recording_goes_on_from_none() {
        let mut bus = PortBus::new();
        bus.set_clock_rate(3_000_000_000);
        bus.record_timed(true);
        for (t, v) in [(3_000u64, 1u32), (6_000, 1), (9_000, 2)] {
            bus.advance_to(t);
            bus.note_timed(0x80, Width::Byte, true, v);
        }
        let copied = bus.timed_accesses();
        assert_eq!(copied.iter().map(|a| (a.time_ns, a.value)).collect::<Vec<_>>(), [(1_000, 1), (3_000, 2)]);
        assert_eq!(bus.take_timed_accesses(), copied);
        assert!(bus.timed_accesses().is_empty());
        bus.note_timed(0x80, Width::Byte, true, 3);
        assert_eq!(bus.take_timed_accesses().len(), 1);
    }
}
