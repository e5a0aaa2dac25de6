//! MMIO accesses kept with their times for waveforms (`--vcd`, `--timeline`): each access
//! that changes the value last seen at its address, with the clock cycle it happened at.
//! Off unless asked for; then one comparison per device access.

use std::collections::BTreeMap;

use crate::ports::{cycles_to_ns_all, Width};

/// One change of a device register's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmioChange {
    /// Nanoseconds of virtual time ([`TimedMmio::changes`]; clock cycles while kept).
    pub time_ns: u64,
    pub address: u64,
    pub width: Width,
    pub write: bool,
    pub value: u32,
}

#[derive(Default)]
pub struct TimedMmio {
    on: bool,
    kept: Vec<MmioChange>,
    last: BTreeMap<u64, u32>,
}

impl TimedMmio {
    pub fn record(&mut self, on: bool) {
        *self = TimedMmio { on, ..Default::default() };
    }

    #[inline]
    pub fn note(&mut self, cycles: u64, address: u64, width: Width, write: bool, value: u32) {
        if self.on && self.last.insert(address, value) != Some(value) {
            self.kept.push(MmioChange { time_ns: cycles, address, width, write, value });
        }
    }

    /// The changes kept, with times in nanoseconds of a `tsc_hz` clock.
    pub fn changes(&self, tsc_hz: u64) -> Vec<MmioChange> {
        cycles_to_ns_all(&self.kept, tsc_hz, |c| &mut c.time_ns)
    }
}
