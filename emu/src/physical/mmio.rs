//! Memory-mapped I/O: what a device on the physical address space implements, and a register
//! file model the chipset and scenarios use.
//!
//! A device sees the offset of an access from the start of its range, as a port device does,
//! and a width of 1, 2 or 4 bytes: the machine's MMIO bus is 32 bits wide, so an 8-byte access
//! reaches a device as two 4-byte accesses, low half first (as Unicorn's MMIO dispatch splits
//! them, and as 32-bit chipset buses do).

use std::collections::BTreeMap;

use serde::Serialize;

use super::dma::Dma;
use crate::cpu::VirtualClock;
use crate::ports::{IrqLines, Width};

/// What a device may look at besides the access itself.
pub struct DeviceContext<'a> {
    /// The virtual clock (counters, timers). Reading a counter moves it like `rdtsc` does,
    /// so a polling loop ends the same way on every run.
    pub clock: &'a mut VirtualClock,
    /// Guest RAM, for a device that is a bus master ([`Dma`]).
    pub dma: Dma<'a>,
    /// The machine's interrupt lines (ISA IRQs 0-15 at its interrupt controller), when there
    /// are any.
    pub lines: Option<&'a mut IrqLines>,
}

impl<'a> DeviceContext<'a> {
    /// A context with the clock only: no memory reachable, no interrupt lines.
    pub fn clock_only(clock: &'a mut VirtualClock) -> DeviceContext<'a> {
        DeviceContext { clock, dma: Dma::none(), lines: None }
    }

    /// Drives interrupt line `line` (a level; the controller sees the edge when it rises).
    pub fn set_irq(&mut self, line: u8, high: bool) {
        if let Some(l) = self.lines.as_deref_mut() {
            l.set(line, high);
        }
    }
}

/// A device model on a range of physical addresses.
pub trait MmioDevice {
    /// A short name for traces and reports ("hpet", "ioapic", ...).
    fn name(&self) -> &str;

    /// A read of `width` at `offset`; the value occupies the low `width` bytes.
    fn read(&mut self, offset: u64, width: Width, ctx: &mut DeviceContext) -> u32;

    /// A write of `width` at `offset`; only the low `width` bytes of `value` are meaningful.
    fn write(&mut self, offset: u64, width: Width, value: u32, ctx: &mut DeviceContext);
}

/// What a range of the physical address space does with accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MmioPolicy {
    /// A device model answers.
    Emulate,
    /// Recorded only: reads return all-ones, writes are dropped.
    Log,
    /// The access faults in the guest, as an access to a page that is not there: kernel
    /// mappings of the range are left not-present.
    Deny,
}

/// Registers that hold what was written, with initial values; unwritten ones read zero.
/// Sparse, so a large BAR (a display controller's 16 MiB register window) costs only the
/// registers touched.
pub struct Registers {
    name: String,
    size: u64,
    bytes: BTreeMap<u64, u8>,
    /// Offsets (byte) whose writes are ignored.
    read_only: Vec<(u64, u64)>,
}

impl Registers {
    /// `size` bytes of registers; `initial` lists (offset, little-endian dword) pairs.
    pub fn new(name: impl Into<String>, size: u64, initial: &[(u64, u32)]) -> Registers {
        let mut r = Registers { name: name.into(), size, bytes: BTreeMap::new(), read_only: Vec::new() };
        for &(off, v) in initial {
            r.set(off, &v.to_le_bytes());
        }
        r
    }

    /// Registers with raw initial bytes from offset 0.
    pub fn with_bytes(name: impl Into<String>, size: u64, initial: &[u8]) -> Registers {
        let mut r = Registers::new(name, size, &[]);
        r.set(0, initial);
        r
    }

    /// Makes `[first, last]` ignore writes.
    pub fn read_only(mut self, first: u64, last: u64) -> Registers {
        self.read_only.push((first, last));
        self
    }

    fn set(&mut self, offset: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            let at = offset + i as u64;
            if at < self.size {
                if *b == 0 {
                    self.bytes.remove(&at);
                } else {
                    self.bytes.insert(at, *b);
                }
            }
        }
    }
}

impl MmioDevice for Registers {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, offset: u64, width: Width, _: &mut DeviceContext) -> u32 {
        (0..width.bytes() as u64).fold(0, |v, i| {
            let b = if offset + i < self.size { self.bytes.get(&(offset + i)).copied().unwrap_or(0) } else { 0xFF };
            v | (b as u32) << (8 * i)
        })
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, _: &mut DeviceContext) {
        for i in 0..width.bytes() as u64 {
            let at = offset + i;
            if !self.read_only.iter().any(|(a, b)| (*a..=*b).contains(&at)) {
                self.set(at, &[(value >> (8 * i)) as u8]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_keep_writes_and_initial_values() {
        let mut clock = VirtualClock::default();
        let mut ctx = DeviceContext::clock_only(&mut clock);
        let mut r = Registers::new("r", 0x100, &[(0, 0x1234_5678)]).read_only(0, 3);
        assert_eq!(r.read(0, Width::Dword, &mut ctx), 0x1234_5678);
        assert_eq!(r.read(1, Width::Word, &mut ctx), 0x3456);
        r.write(0, Width::Dword, 0, &mut ctx);
        assert_eq!(r.read(0, Width::Dword, &mut ctx), 0x1234_5678, "read-only");
        r.write(0x10, Width::Word, 0xBEEF, &mut ctx);
        assert_eq!(r.read(0x10, Width::Dword, &mut ctx), 0xBEEF);
        assert_eq!(r.read(0xFE, Width::Dword, &mut ctx), 0xFFFF_0000, "past the end reads ones");
    }
}
