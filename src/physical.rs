//! What runs record and report about the physical machine: MMIO accesses (a table like the
//! port table), the machine's physical map, the physical memory the driver mapped, and the
//! PCI configuration writes.

use std::collections::{BTreeMap, HashMap};

use portcullis_emu::pci::Bdf;
use portcullis_emu::physical::{Answered, MapEntry, PhysicalSpace};
use portcullis_emu::ports::Outcome;
use portcullis_emu::MmioEvent;
use portcullis_hle::mm::MappingKind;
use serde::Serialize;

use crate::record::{hex, REPORT_CAP};

/// The names of what can answer an MMIO access, taken from the machine once it is set up
/// (ranges and PCI functions do not change afterwards; BARs may move, their function not).
#[derive(Default, Clone)]
pub struct DeviceNames {
    ranges: Vec<String>,
    functions: HashMap<Bdf, String>,
}

impl DeviceNames {
    pub fn of(space: &PhysicalSpace) -> DeviceNames {
        let ranges = (0..).map_while(|i| space.range_name(i).map(str::to_string)).collect();
        let functions = space.pci.borrow().functions().map(|(b, f)| (b, f.name.clone())).collect();
        DeviceNames { ranges, functions }
    }

    pub fn name(&self, a: Answered) -> String {
        match a {
            Answered::Nobody => "unclaimed".into(),
            Answered::Range { index } => self.ranges.get(index as usize).cloned().unwrap_or_else(|| "?".into()),
            Answered::Pci { bdf, bar } => {
                format!("{bdf} {} BAR{bar}", self.functions.get(&bdf).map(String::as_str).unwrap_or("?"))
            }
        }
    }
}

/// One line of the trace file for an MMIO access.
#[derive(Clone, Debug, Serialize)]
pub struct MmioRecord {
    pub pc: String,
    /// Physical address.
    pub address: String,
    pub width: u16,
    pub dir: &'static str,
    pub value: u32,
    pub cpl: u8,
    pub outcome: Outcome,
    pub device: String,
}

/// A distinct MMIO access and how often it happened.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MmioRow {
    pub address: String,
    pub width: u16,
    pub dir: &'static str,
    pub value: u32,
    /// The first instruction that made it.
    pub pc: String,
    pub count: u64,
    pub outcome: Outcome,
    pub device: String,
}

/// (address, width, write, value) -> (first sequence number, first pc, count, outcome, device).
type Seen = (u64, u64, u64, Outcome, Answered);

/// The MMIO accesses of a run, aggregated.
#[derive(Default)]
pub struct MmioTable {
    pub names: DeviceNames,
    rows: BTreeMap<(u64, u16, bool, u32), Seen>,
    pub total: u64,
    pub truncated: bool,
}

impl MmioTable {
    pub fn record(&mut self, seq: u64, e: &MmioEvent) -> MmioRecord {
        self.total += 1;
        let key = (e.address, e.width.bytes(), e.write, e.value);
        if let Some(row) = self.rows.get_mut(&key) {
            row.2 += 1;
        } else if self.rows.len() < REPORT_CAP {
            self.rows.insert(key, (seq, e.pc, 1, e.outcome, e.answered));
        } else {
            self.truncated = true;
        }
        MmioRecord {
            pc: hex(e.pc),
            address: hex(e.address),
            width: e.width.bytes(),
            dir: if e.write { "write" } else { "read" },
            value: e.value,
            cpl: e.cpl,
            outcome: e.outcome,
            device: self.names.name(e.answered),
        }
    }

    /// The distinct accesses, in the order each first happened.
    pub fn rows(&self) -> Vec<MmioRow> {
        let mut rows: Vec<(u64, MmioRow)> = self
            .rows
            .iter()
            .map(|(&(address, width, write, value), &(first, pc, count, outcome, answered))| {
                let row = MmioRow {
                    address: hex(address),
                    width,
                    dir: if write { "write" } else { "read" },
                    value,
                    pc: hex(pc),
                    count,
                    outcome,
                    device: self.names.name(answered),
                };
                (first, row)
            })
            .collect();
        rows.sort_by_key(|(first, _)| *first);
        rows.into_iter().map(|(_, r)| r).collect()
    }

    /// Raw rows for expectations: (address, width, write, value).
    pub fn keys(&self) -> impl Iterator<Item = &(u64, u16, bool, u32)> {
        self.rows.keys()
    }
}

/// A line of the machine-level physical map.
#[derive(Clone, Debug, Serialize)]
pub struct MapRow {
    pub base: String,
    pub size: u64,
    pub kind: portcullis_emu::physical::RangeKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<portcullis_emu::physical::mmio::MmioPolicy>,
}

impl From<&MapEntry> for MapRow {
    fn from(e: &MapEntry) -> Self {
        MapRow { base: hex(e.base), size: e.size, kind: e.kind, name: e.name.clone(), policy: e.policy }
    }
}

/// One PCI configuration write (aggregated).
#[derive(Clone, Debug, Serialize)]
pub struct PciWriteRow {
    pub function: String,
    pub offset: String,
    pub width: u16,
    pub value: u32,
    pub count: u64,
    /// How it was made: ports, ecam, hal.
    pub via: Vec<portcullis_emu::pci::Mechanism>,
    /// No function answered at that address.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub absent: bool,
}

/// The configuration writes the bus saw.
pub fn pci_writes(space: &PhysicalSpace) -> Vec<PciWriteRow> {
    space
        .pci
        .borrow()
        .accesses()
        .into_iter()
        .filter(|r| r.key.write)
        .map(|r| PciWriteRow {
            function: r.key.bdf.to_string(),
            offset: format!("{:#x}", r.key.offset),
            width: r.key.width,
            value: r.key.value,
            count: r.count,
            via: r.mechanisms.clone(),
            absent: r.absent,
        })
        .collect()
}

/// Something a run adds to the physical machine before the driver loads.
pub enum PhysicalSpec {
    /// A device model on `[base, base + size)`.
    Device { base: u64, size: u64, device: Box<dyn portcullis_emu::physical::mmio::MmioDevice> },
    /// A `log` or `deny` policy on `[base, base + size)`.
    Policy { base: u64, size: u64, name: String, policy: portcullis_emu::physical::mmio::MmioPolicy },
    /// RAM (writable) or ROM of its own, with initial content.
    Memory { base: u64, size: u64, name: String, initial: Vec<u8>, writable: bool },
    /// A PCI function (replacing one the default machine has there), with models behind its
    /// memory BARs and its I/O BARs.
    Pci(Box<PciSpec>),
}

pub struct PciSpec {
    pub bdf: Bdf,
    pub name: String,
    pub config: portcullis_emu::pci::ConfigSpace,
    pub mmio: Vec<(usize, Box<dyn portcullis_emu::physical::mmio::MmioDevice>)>,
    pub ports: Vec<(u16, u16, Box<dyn portcullis_emu::ports::PortDevice>)>,
}

/// Adds `specs` to the machine; the first that does not fit says why.
pub fn apply(k: &mut portcullis_hle::kernel::Kx, specs: Vec<PhysicalSpec>) -> Result<(), String> {
    for s in specs {
        let space = k.mem_mut().physical_mut();
        match s {
            PhysicalSpec::Device { base, size, device } => {
                space.add_device(base, size, device).map_err(|e| e.to_string())?
            }
            PhysicalSpec::Policy { base, size, name, policy } => {
                space.add_policy(base, size, name, policy).map_err(|e| e.to_string())?
            }
            PhysicalSpec::Memory { base, size, name, initial, writable } => {
                space.add_memory(base, size, name, &initial, writable).map_err(|e| e.to_string())?
            }
            PhysicalSpec::Pci(p) => {
                let pci = space.pci.clone();
                let mut bus = pci.borrow_mut();
                bus.insert(p.bdf, p.name, p.config).map_err(|e| e.to_string())?;
                for (bar, dev) in p.mmio {
                    bus.back_bar(p.bdf, bar, dev).map_err(|e| e.to_string())?;
                }
                drop(bus);
                for (first, last, dev) in p.ports {
                    k.guest_mut().ports.add_device(first, last, dev).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    Ok(())
}

/// The readable summary's physical-machine sections: MMIO accesses, the views the driver
/// made, PCI configuration writes, and the map when the driver looked at physical memory.
pub fn render(r: &crate::report::Report, s: &mut String) {
    use std::fmt::Write as _;
    if !r.mmio.is_empty() {
        let _ = writeln!(s, "\nMMIO ({} accesses)", r.counts.mmio);
        let _ = writeln!(
            s,
            "  {:<18} {:<5} {:<5} {:<12} {:>7}  {:<18} {:<12} device",
            "address", "width", "dir", "value", "count", "first pc", "outcome"
        );
        for m in &r.mmio {
            let v = format!("{:#0w$x}", m.value, w = 2 + 2 * m.width as usize);
            let outcome =
                serde_json::to_value(m.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let _ = writeln!(
                s,
                "  {:<18} {:<5} {:<5} {:<12} {:>7}  {:<18} {:<12} {}",
                m.address, m.width, m.dir, v, m.count, m.pc, outcome, m.device
            );
        }
    }
    if !r.physical_mappings.is_empty() {
        let _ = writeln!(s, "\nphysical memory mapped ({} views)", r.physical_mappings.len());
        for m in &r.physical_mappings {
            let kind =
                serde_json::to_value(m.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let state = match m.kind {
                MappingKind::PageTableEntry => "entry written",
                _ if m.mapped => "still mapped",
                _ => "unmapped",
            };
            let _ = writeln!(
                s,
                "  {:#018x} -> physical {:#x}, {:#x} bytes, {kind}, {}, from {:#x}, {state}",
                m.virtual_address, m.physical_address, m.size, m.cache, m.caller
            );
        }
    }
    if !r.pci_config_writes.is_empty() {
        let _ = writeln!(s, "\nPCI configuration writes");
        for w in &r.pci_config_writes {
            let via: Vec<String> = w
                .via
                .iter()
                .map(|m| serde_json::to_value(m).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
                .collect();
            let absent = if w.absent { " (no function there)" } else { "" };
            let _ = writeln!(
                s,
                "  {} +{:<6} {} byte(s) {:#x} x{} via {}{absent}",
                w.function,
                w.offset,
                w.width,
                w.value,
                w.count,
                via.join(", ")
            );
        }
    }
    if !r.mmio.is_empty() || !r.physical_mappings.is_empty() {
        let _ = writeln!(s, "\nphysical map");
        for e in &r.physical_map {
            let kind =
                serde_json::to_value(e.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let _ = writeln!(s, "  {:<18} {:>12x}  {kind:<5} {}", e.base, e.size, e.name);
        }
    }
}
