//! PCI: one configuration space shared by every way software reaches it — configuration
//! mechanism #1 (ports 0xCF8/0xCFC, [`ports::ConfigPorts`]), the PCI Express ECAM window
//! ([`ecam`]) and the HAL's bus routines in the kernel above — and the memory BARs it
//! decodes.
//!
//! The bus is shared (`Rc<RefCell<..>>`) between the port bus, the physical address space and
//! the kernel: a write through one path is what the others read. Every configuration access
//! is counted in [`PciBus::accesses`], aggregated like the port table, for reports and
//! scenario expectations.

pub mod chipset;
pub mod ecam;
pub mod function;
pub mod ports;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Serialize;
use thiserror::Error;

pub use function::{Bar, BarKind, Capability, ConfigSpace, Identity};

use crate::physical::mmio::{DeviceContext, MmioDevice};
use crate::ports::Width;

/// A bus/device/function address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Bdf {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl Bdf {
    pub const fn new(bus: u8, device: u8, function: u8) -> Bdf {
        Bdf { bus, device, function }
    }

    /// Whether device and function numbers are in range (0..32, 0..8).
    pub fn valid(self) -> bool {
        self.device < 32 && self.function < 8
    }
}

impl std::fmt::Display for Bdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

/// How software reached configuration space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Ports 0xCF8/0xCFC.
    Ports,
    /// The memory-mapped ECAM window.
    Ecam,
    /// The HAL's bus routines (HalGetBusData & co.).
    Hal,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PciError {
    #[error("{0} is not a device/function number (device 0..32, function 0..8)")]
    BadAddress(Bdf),
    #[error("{0} already holds {1}")]
    Occupied(Bdf, String),
    #[error("{bdf}: BAR {index} is not valid for this header")]
    BadBar { bdf: Bdf, index: usize },
}

/// One function on the bus.
pub struct Function {
    pub name: String,
    pub config: ConfigSpace,
    /// What answers each memory BAR's window (a BAR without one reads all-ones).
    pub(crate) backing: [Option<Box<dyn MmioDevice>>; 6],
}

/// One aggregated configuration access: how often it happened, its first sequence number,
/// and every mechanism that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AccessKey {
    pub bdf: Bdf,
    pub offset: u16,
    /// Bytes: 1, 2 or 4 for a register access; the length of a block the HAL read or wrote.
    pub width: u16,
    pub write: bool,
    pub value: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessRow {
    #[serde(flatten)]
    pub key: AccessKey,
    pub first: u64,
    pub count: u64,
    pub mechanisms: Vec<Mechanism>,
    /// No function answered (reads were all-ones, writes dropped).
    pub absent: bool,
}

/// Most distinct accesses kept; counts stay exact.
pub const ACCESS_ROWS_CAP: usize = 10_000;

/// The configuration space of every function, and the configuration-mechanism #1 latch.
#[derive(Default)]
pub struct PciBus {
    functions: BTreeMap<Bdf, Function>,
    /// CONFIG_ADDRESS (port 0xCF8), as last written.
    pub(crate) address: u32,
    /// The reset control register at port 0xCF9 (Intel chipsets), as last written.
    pub(crate) reset_control: u8,
    accesses: BTreeMap<AccessKey, AccessRow>,
    /// Every access, counted even past the cap.
    pub access_count: u64,
    pub write_count: u64,
    pub truncated: bool,
    /// Record accesses (on by default).
    pub record: bool,
}

/// The bus as the parts of the machine share it.
pub type SharedPci = Rc<RefCell<PciBus>>;

impl PciBus {
    pub fn new() -> PciBus {
        PciBus { record: true, ..Default::default() }
    }

    /// Adds (or replaces) a function. Functions other than 0 need a multi-function function 0.
    pub fn insert(&mut self, bdf: Bdf, name: impl Into<String>, config: ConfigSpace) -> Result<(), PciError> {
        if !bdf.valid() {
            return Err(PciError::BadAddress(bdf));
        }
        let backing = Default::default();
        self.functions.insert(bdf, Function { name: name.into(), config, backing });
        Ok(())
    }

    /// Attaches a device model to memory BAR `index` of `bdf`.
    pub fn back_bar(&mut self, bdf: Bdf, index: usize, device: Box<dyn MmioDevice>) -> Result<(), PciError> {
        let f = self.functions.get_mut(&bdf).ok_or(PciError::BadAddress(bdf))?;
        match f.config.bars().find(|(i, _)| *i == index) {
            Some((_, bar)) if bar.kind != BarKind::Io => {
                f.backing[index] = Some(device);
                Ok(())
            }
            _ => Err(PciError::BadBar { bdf, index }),
        }
    }

    pub fn remove(&mut self, bdf: Bdf) -> Option<Function> {
        self.functions.remove(&bdf)
    }

    pub fn function(&self, bdf: Bdf) -> Option<&Function> {
        self.visible(bdf).then(|| self.functions.get(&bdf)).flatten()
    }

    /// Every function software can see, in bus order.
    pub fn functions(&self) -> impl Iterator<Item = (Bdf, &Function)> {
        self.functions.iter().filter(|(b, _)| self.visible(**b)).map(|(b, f)| (*b, f))
    }

    /// Whether bus `bus` exists: bus 0, or one a bridge forwards to.
    pub fn bus_exists(&self, bus: u8) -> bool {
        bus == 0
            || self.functions.iter().any(|(b, f)| {
                b.bus != bus
                    && f.config.header_type() & 0x7F == 1
                    && (f.config.bytes()[function::reg::SECONDARY_BUS]
                        ..=f.config.bytes()[function::reg::SUBORDINATE_BUS])
                        .contains(&bus)
                    && self.visible_tree(*b)
            })
    }

    /// A function answers when its bus exists and, for functions other than 0, its device's
    /// function 0 says it is multi-function.
    fn visible(&self, bdf: Bdf) -> bool {
        self.functions.contains_key(&bdf) && self.visible_tree(bdf)
    }

    fn visible_tree(&self, bdf: Bdf) -> bool {
        let multifunction_ok = bdf.function == 0
            || self.functions.get(&Bdf { function: 0, ..bdf }).is_some_and(|f0| f0.config.header_type() & 0x80 != 0);
        multifunction_ok && (bdf.bus == 0 || self.bus_exists(bdf.bus))
    }

    /// Reads configuration space (all-ones where no function answers).
    pub fn read(&mut self, bdf: Bdf, offset: u16, width: Width, via: Mechanism) -> u32 {
        let value = match self.function(bdf) {
            Some(f) => f.config.read(offset as usize, width),
            None => width.all_ones(),
        };
        let absent = self.function(bdf).is_none();
        self.note(AccessKey { bdf, offset, width: width.bytes(), write: false, value }, via, absent);
        value
    }

    /// Writes configuration space (dropped where no function answers).
    pub fn write(&mut self, bdf: Bdf, offset: u16, width: Width, value: u32, via: Mechanism) {
        let value = value & width.all_ones();
        let visible = self.visible(bdf);
        if let Some(f) = self.functions.get_mut(&bdf).filter(|_| visible) {
            f.config.write(offset as usize, width, value);
        }
        self.write_count += 1;
        self.note(AccessKey { bdf, offset, width: width.bytes(), write: true, value }, via, !visible);
    }

    /// Reads `buf.len()` bytes from `offset` as one access (the HAL's bus routines): bytes
    /// past 4 KiB, or of an absent function, read as ones.
    pub fn read_block(&mut self, bdf: Bdf, offset: u16, buf: &mut [u8], via: Mechanism) {
        let present = self.function(bdf).is_some();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = match self.function(bdf) {
                Some(f) => f.config.read(offset as usize + i, Width::Byte) as u8,
                None => 0xFF,
            };
        }
        let value = buf.iter().take(4).enumerate().fold(0u32, |v, (i, b)| v | (*b as u32) << (8 * i));
        self.note(AccessKey { bdf, offset, width: buf.len() as u16, write: false, value }, via, !present);
    }

    /// Writes `data` at `offset` as one access (the HAL's bus routines), through the masks.
    pub fn write_block(&mut self, bdf: Bdf, offset: u16, data: &[u8], via: Mechanism) {
        let visible = self.visible(bdf);
        if let Some(f) = self.functions.get_mut(&bdf).filter(|_| visible) {
            for (i, b) in data.iter().enumerate() {
                f.config.write(offset as usize + i, Width::Byte, *b as u32);
            }
        }
        self.write_count += 1;
        let value = data.iter().take(4).enumerate().fold(0u32, |v, (i, b)| v | (*b as u32) << (8 * i));
        self.note(AccessKey { bdf, offset, width: data.len() as u16, write: true, value }, via, !visible);
    }

    fn note(&mut self, key: AccessKey, via: Mechanism, absent: bool) {
        self.access_count += 1;
        if !self.record {
            return;
        }
        let first = self.access_count;
        if let Some(row) = self.accesses.get_mut(&key) {
            row.count += 1;
            if !row.mechanisms.contains(&via) {
                row.mechanisms.push(via);
            }
        } else if self.accesses.len() < ACCESS_ROWS_CAP {
            self.accesses.insert(key, AccessRow { key, first, count: 1, mechanisms: vec![via], absent });
        } else {
            self.truncated = true;
        }
    }

    /// The distinct accesses, in the order each first happened.
    pub fn accesses(&self) -> Vec<AccessRow> {
        let mut rows: Vec<AccessRow> = self.accesses.values().cloned().collect();
        rows.sort_by_key(|r| r.first);
        rows
    }

    /// The function and memory BAR decoding `pa`: (function, BAR, offset in the BAR).
    pub fn decode_memory(&self, pa: u64) -> Option<(Bdf, usize, u64)> {
        self.functions().find_map(|(bdf, f)| f.config.decode_memory(pa).map(|(bar, off)| (bdf, bar, off)))
    }

    /// An access to memory a BAR decodes: `None` when no BAR decodes `pa`; otherwise the
    /// value read, the function and BAR, and whether a model answered (a BAR without one
    /// reads all-ones and drops writes).
    pub(crate) fn memory_access(
        &mut self,
        pa: u64,
        width: Width,
        write: Option<u32>,
        ctx: &mut DeviceContext,
    ) -> Option<(u32, Bdf, u8, bool)> {
        let (bdf, bar, offset) = self.decode_memory(pa)?;
        let f = self.functions.get_mut(&bdf)?;
        // A function reaches memory only while its bus-master enable is set.
        let master = f.config.command() & function::COMMAND_BUS_MASTER != 0;
        Some(match &mut f.backing[bar] {
            Some(dev) => {
                let mut ctx = DeviceContext {
                    clock: &mut *ctx.clock,
                    dma: ctx.dma.reborrow(master),
                    lines: ctx.lines.as_deref_mut(),
                };
                let v = match write {
                    Some(v) => {
                        dev.write(offset, width, v, &mut ctx);
                        0
                    }
                    None => dev.read(offset, width, &mut ctx) & width.all_ones(),
                };
                (v, bdf, bar as u8, true)
            }
            None => (width.all_ones(), bdf, bar as u8, false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus() -> PciBus {
        let mut b = PciBus::new();
        chipset::install(&mut b);
        b
    }

    #[test]
    fn absent_functions_read_all_ones_and_hidden_functions_stay_hidden() {
        let mut b = bus();
        assert_eq!(b.read(Bdf::new(0, 5, 0), 0, Width::Dword, Mechanism::Hal), 0xFFFF_FFFF);
        assert_eq!(b.read(Bdf::new(7, 0, 0), 0, Width::Word, Mechanism::Hal), 0xFFFF);
        assert!(b.bus_exists(0) && b.bus_exists(1) && !b.bus_exists(2));
        // A function behind a single-function function 0 is invisible.
        let id = Identity { vendor: 1, device: 2, revision: 0, class: (0xFF, 0, 0), subsystem_vendor: 0, subsystem: 0 };
        b.insert(Bdf::new(0, 0, 3), "hidden", ConfigSpace::endpoint(&id, false)).unwrap();
        assert_eq!(b.read(Bdf::new(0, 0, 3), 0, Width::Word, Mechanism::Hal), 0xFFFF);
        let rows = b.accesses();
        assert!(rows.iter().all(|r| r.absent && !r.key.write));
    }

    #[test]
    fn moving_the_secondary_bus_moves_the_devices_behind_the_bridge() {
        let mut b = bus();
        let (port, gpu) = (chipset::ROOT_PORT, chipset::DISPLAY);
        assert_ne!(b.read(gpu, 0, Width::Word, Mechanism::Hal), 0xFFFF);
        // Bus numbers 2..2: bus 1 disappears.
        b.write(port, 0x19, Width::Word, 0x0202, Mechanism::Ports);
        assert!(!b.bus_exists(1));
        assert_eq!(b.read(gpu, 0, Width::Word, Mechanism::Hal), 0xFFFF);
        b.write(port, 0x19, Width::Word, 0x0101, Mechanism::Ports);
        assert_ne!(b.read(gpu, 0, Width::Word, Mechanism::Hal), 0xFFFF);
    }
}
