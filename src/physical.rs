//! What runs record and report about the physical machine: MMIO accesses (a table like the
//! port table), the machine's physical map, the physical memory the driver mapped, and the
//! PCI configuration writes.

use std::collections::{BTreeMap, HashMap};

use portcullis_emu::pci::Bdf;
use portcullis_emu::physical::{Answered, MapEntry, PhysicalSpace};
use portcullis_emu::ports::Outcome;
use portcullis_emu::MmioEvent;
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
