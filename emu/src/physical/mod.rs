//! The physical address space: what answers each physical address, and the machine-level
//! map of it.
//!
//! ```text
//! 0x0000_0000 - 0x0009_FFFF   RAM: conventional memory (vectors, BIOS data, EBDA)
//! 0x000A_0000 - 0x000B_FFFF   legacy VGA window (nothing answers: all-ones)
//! 0x000C_0000 - 0x000C_7FFF   ROM: the display controller's option ROM
//! 0x000E_0000 - 0x000F_FFFF   ROM: the system BIOS (ACPI tables, SMBIOS)
//! 0x0010_0000 - RAM end       RAM: guest memory, handed out as the kernel needs it
//! 0xC000_0000 - 0xDFFF_FFFF   PCI memory: BARs the PCI bus decodes
//! 0xE000_0000 - 0xEFFF_FFFF   PCI Express ECAM (configuration space)
//! 0xFEC0_0000                 I/O APIC          0xFED0_0000   HPET
//! 0xFED1_C000                 chipset registers 0xFEE0_0000   local APIC
//! 0xFFE0_0000 - 0xFFFF_FFFF   ROM: the BIOS flash (its top 128 KiB is the system BIOS)
//! ```
//!
//! RAM is host memory the engine reads and writes directly. Everything else is reached
//! through Unicorn MMIO regions whose callbacks land in [`PhysicalSpace::access`] (see
//! `engine.rs`): ROM reads come from the images ([`crate::firmware`]), ROM writes are dropped,
//! device ranges go to their models, memory a PCI BAR decodes goes to the BAR's model, and
//! everything else is unclaimed and reads all-ones, as a PC's bus answers when no device
//! claims a cycle. RAM that exists but was never handed out reads zero (fresh memory).
//!
//! Ranges carry a policy ([`MmioPolicy`]): emulated by a model, logged only, or denied —
//! a kernel mapping of a denied page is left not-present, so a driver's access faults exactly
//! where it is made, as an access to unmapped memory does on Windows.

pub mod dma;
pub(crate) mod engine;
pub mod mmio;
pub(crate) mod pc;
pub mod timed;

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use memmap2::MmapMut;
use serde::Serialize;
use thiserror::Error;

use crate::cpu::{CpuIdentity, VirtualClock};
use crate::firmware::{self, Images, MachineDescription};
use crate::pci::{self, Bdf, PciBus, SharedPci};
use crate::platform;
use crate::ports::{Outcome, Width};
use dma::Dma;
use mmio::{DeviceContext, MmioDevice, MmioPolicy, Registers};

/// The PCI hole: main RAM never reaches it.
pub const PCI_HOLE: u64 = 0xC000_0000;

/// What answered an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answered {
    /// Nothing claims the address.
    Nobody,
    /// A range of the map, by index ([`PhysicalSpace::range_name`]).
    Range { index: u16 },
    /// A PCI function's memory BAR.
    Pci { bdf: Bdf, bar: u8 },
}

/// What kind of thing a range of the map is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeKind {
    Ram,
    Rom,
    Mmio,
}

/// One line of the machine-level map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MapEntry {
    pub base: u64,
    pub size: u64,
    pub kind: RangeKind,
    pub name: String,
    pub policy: Option<MmioPolicy>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PhysicalError {
    #[error("physical range {first:#x}-{last:#x} ({name}) overlaps {existing}")]
    Overlap { first: u64, last: u64, name: String, existing: String },
    #[error("physical range {first:#x}-{last:#x} is empty, reversed, or beyond the address space")]
    BadRange { first: u64, last: u64 },
    #[error("physical range {first:#x}-{last:#x} must start and end on page boundaries")]
    Unaligned { first: u64, last: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rom {
    Bios,
    /// The display's option ROM (video BIOS).
    Video,
    Flash,
}

enum Target {
    Rom(Rom),
    /// Memory with content of its own: RAM a scenario declares, or a ROM it supplies.
    Memory {
        bytes: Vec<u8>,
        writable: bool,
    },
    Device(Box<dyn MmioDevice>),
    Log,
    Deny,
}

struct Range {
    first: u64,
    last: u64,
    name: String,
    target: Target,
    /// Part of the default machine: a range added over it replaces it.
    chipset: bool,
}

impl Range {
    fn kind(&self) -> (RangeKind, Option<MmioPolicy>) {
        match &self.target {
            Target::Rom(_) => (RangeKind::Rom, None),
            Target::Memory { writable: true, .. } => (RangeKind::Ram, None),
            Target::Memory { writable: false, .. } => (RangeKind::Rom, None),
            Target::Device(_) => (RangeKind::Mmio, Some(MmioPolicy::Emulate)),
            Target::Log => (RangeKind::Mmio, Some(MmioPolicy::Log)),
            Target::Deny => (RangeKind::Mmio, Some(MmioPolicy::Deny)),
        }
    }
}

/// The result of one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub value: u32,
    pub outcome: Outcome,
    pub answered: Answered,
    /// Memory (ROM contents) rather than a device register: not an I/O event.
    pub memory: bool,
}

/// The physical address space of one machine.
pub struct PhysicalSpace {
    /// Main RAM: [RAM_BASE, ram_end).
    ram_end: u64,
    /// Addresses at and above this do not exist (the processor's physical address width).
    limit: u64,
    ranges: Vec<Range>,
    last_hit: Cell<usize>,
    pub pci: SharedPci,
    description: MachineDescription,
    images: OnceCell<Images>,
    /// Conventional memory, once something maps or writes it.
    low: Option<MmapMut>,
    pub(crate) engine: engine::Engine,
    /// Kernel virtual pages left not-present because their frame is denied: page -> frame.
    denied_views: BTreeMap<u64, u64>,
    unclaimed_seen: RefCell<std::collections::BTreeSet<u64>>,
}

impl PhysicalSpace {
    /// The default machine for `processors` processors that identify as `cpu`, with main RAM
    /// ending at `ram_end` and physical addresses of `address_bits` bits.
    pub(crate) fn new(cpu: &CpuIdentity, processors: u32, ram_end: u64, address_bits: u32) -> PhysicalSpace {
        let mut bus = PciBus::new();
        pci::chipset::install(&mut bus);
        let pci: SharedPci = Rc::new(RefCell::new(bus));
        let description = MachineDescription {
            cpu: cpu.clone(),
            processors: processors.max(1),
            tsc_hz: VirtualClock::default().tsc_hz,
            ram: vec![(0, firmware::LOW_RAM_SIZE), (crate::memory::RAM_BASE, ram_end - crate::memory::RAM_BASE)],
            ecam: (pci::ecam::ECAM_BASE, 0, (pci::ecam::ECAM_SIZE >> 20).saturating_sub(1) as u8),
            display: (0x10DE, 0x0E22),
            pm_base: pci::chipset::PM_BASE,
            local_apic: platform::LOCAL_APIC_BASE,
            io_apic: (platform::IO_APIC_BASE, platform::IO_APIC_ID),
            hpet: platform::HPET_BASE,
        };
        let mut p = PhysicalSpace {
            ram_end,
            limit: 1u64 << address_bits,
            ranges: Vec::new(),
            last_hit: Cell::new(0),
            pci: pci.clone(),
            description,
            images: OnceCell::new(),
            low: None,
            engine: engine::Engine::default(),
            denied_views: BTreeMap::new(),
            unclaimed_seen: RefCell::new(Default::default()),
        };
        let fixed: Vec<(u64, u64, &str, Target)> = vec![
            (firmware::OPTION_ROM_BASE, firmware::OPTION_ROM_SIZE, "display option ROM", Target::Rom(Rom::Video)),
            (firmware::BIOS_BASE, firmware::BIOS_SIZE, "system BIOS", Target::Rom(Rom::Bios)),
            (
                pci::ecam::ECAM_BASE,
                pci::ecam::ECAM_SIZE,
                "PCI Express ECAM",
                Target::Device(Box::new(pci::ecam::Ecam::new(pci))),
            ),
            (platform::IO_APIC_BASE, 0x1000, "I/O APIC", Target::Device(Box::<platform::ioapic::IoApic>::default())),
            (platform::HPET_BASE, 0x1000, "HPET", Target::Device(Box::<platform::hpet::Hpet>::default())),
            (
                pci::chipset::RCBA,
                pci::chipset::RCBA_SIZE,
                "chipset configuration registers (RCBA)",
                Target::Device(Box::new(Registers::new("rcba", pci::chipset::RCBA_SIZE, &[]))),
            ),
            (
                platform::LOCAL_APIC_BASE,
                0x1000,
                "local APIC",
                Target::Device(Box::<platform::lapic::LocalApic>::default()),
            ),
            (firmware::FLASH_BASE, firmware::FLASH_SIZE, "BIOS flash", Target::Rom(Rom::Flash)),
        ];
        for (base, size, name, target) in fixed {
            p.insert(base, base + size - 1, name.to_string(), target).expect("the default map does not overlap");
        }
        for r in &mut p.ranges {
            r.chipset = true;
        }
        p
    }

    /// Conventional memory and main RAM.
    pub fn ram_ranges(&self) -> Vec<(u64, u64)> {
        self.description.ram.clone()
    }

    /// The memory the firmware reports as reserved — the chipset's own ranges above the first
    /// megabyte (PCI Express ECAM, the APICs, HPET, the chipset registers, the BIOS flash), as
    /// a PC's E820 or UEFI memory map marks them — as (base, size) pairs in address order. A
    /// range a scenario put over one of them is the scenario's device, not the firmware's.
    pub fn firmware_reserved(&self) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = self
            .ranges
            .iter()
            .filter(|r| r.chipset && r.first >= crate::memory::RAM_BASE)
            .map(|r| (r.first, r.last - r.first + 1))
            .collect();
        v.sort_unstable();
        v
    }

    /// The end of main RAM.
    pub fn ram_end(&self) -> u64 {
        self.ram_end
    }

    /// Addresses at and above this do not exist.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// What the firmware describes.
    pub fn description(&self) -> &MachineDescription {
        &self.description
    }

    /// The firmware images (built on first use).
    pub fn images(&self) -> &Images {
        self.images.get_or_init(|| firmware::build(&self.description))
    }

    fn insert(&mut self, first: u64, last: u64, name: String, target: Target) -> Result<u16, PhysicalError> {
        if last < first || last >= self.limit {
            return Err(PhysicalError::BadRange { first, last });
        }
        if !first.is_multiple_of(crate::memory::PAGE_SIZE) || !(last + 1).is_multiple_of(crate::memory::PAGE_SIZE) {
            return Err(PhysicalError::Unaligned { first, last });
        }
        // The default machine's ranges give way to the ones added over them.
        self.ranges.retain(|r| !(r.chipset && r.first <= last && first <= r.last));
        let in_ram = |a: u64| a < firmware::LOW_RAM_SIZE || (crate::memory::RAM_BASE..self.ram_end).contains(&a);
        let clash =
            self.ranges.iter().find(|r| r.first <= last && first <= r.last).map(|r| r.name.clone()).or_else(|| {
                (in_ram(first)
                    || in_ram(last)
                    || (first < firmware::LOW_RAM_SIZE && last >= firmware::LOW_RAM_SIZE)
                    || (first < crate::memory::RAM_BASE && last >= self.ram_end))
                    .then(|| "RAM".to_string())
            });
        if let Some(existing) = clash {
            return Err(PhysicalError::Overlap { first, last, name, existing });
        }
        self.ranges.push(Range { first, last, name, target, chipset: false });
        self.ranges.sort_by_key(|r| r.first);
        self.last_hit.set(0);
        let index = self.ranges.iter().position(|r| r.first == first).expect("just inserted");
        Ok(index as u16)
    }

    /// Attaches a device model to `[base, base + size)` (page-aligned).
    pub fn add_device(&mut self, base: u64, size: u64, device: Box<dyn MmioDevice>) -> Result<(), PhysicalError> {
        let name = device.name().to_string();
        let last = base
            .checked_add(size)
            .and_then(|e| e.checked_sub(1))
            .ok_or(PhysicalError::BadRange { first: base, last: base })?;
        self.insert(base, last, name, Target::Device(device)).map(|_| ())
    }

    /// Sets a `log` or `deny` policy on `[base, base + size)`.
    pub fn add_policy(
        &mut self,
        base: u64,
        size: u64,
        name: impl Into<String>,
        policy: MmioPolicy,
    ) -> Result<(), PhysicalError> {
        let last = base
            .checked_add(size)
            .and_then(|e| e.checked_sub(1))
            .ok_or(PhysicalError::BadRange { first: base, last: base })?;
        let target = match policy {
            MmioPolicy::Log => Target::Log,
            MmioPolicy::Deny => Target::Deny,
            MmioPolicy::Emulate => return Err(PhysicalError::BadRange { first: base, last }),
        };
        self.insert(base, last, name.into(), target).map(|_| ())
    }

    /// Adds memory of its own at `[base, base + size)`: RAM (writable) or ROM, starting with
    /// `initial` (the rest zero).
    pub fn add_memory(
        &mut self,
        base: u64,
        size: u64,
        name: impl Into<String>,
        initial: &[u8],
        writable: bool,
    ) -> Result<(), PhysicalError> {
        let last = base
            .checked_add(size)
            .and_then(|e| e.checked_sub(1))
            .ok_or(PhysicalError::BadRange { first: base, last: base })?;
        if size > 64 << 20 {
            return Err(PhysicalError::BadRange { first: base, last });
        }
        let mut bytes = vec![0u8; size as usize];
        let n = initial.len().min(bytes.len());
        bytes[..n].copy_from_slice(&initial[..n]);
        self.insert(base, last, name.into(), Target::Memory { bytes, writable }).map(|_| ())
    }

    /// The name of range `index` (for [`Answered::Range`]).
    pub fn range_name(&self, index: u16) -> Option<&str> {
        self.ranges.get(index as usize).map(|r| r.name.as_str())
    }

    /// The name of the range holding `pa`, if one does.
    pub fn range_name_at(&self, pa: u64) -> Option<&str> {
        self.find(pa).map(|i| self.ranges[i].name.as_str())
    }

    /// What answers at `pa`, without accessing it.
    pub fn answered_at(&self, pa: u64) -> Answered {
        if let Some(i) = self.find(pa) {
            return Answered::Range { index: i as u16 };
        }
        match self.pci.borrow().decode_memory(pa) {
            Some((bdf, bar, _)) => Answered::Pci { bdf, bar: bar as u8 },
            None => Answered::Nobody,
        }
    }

    /// A readable name for what answered an access.
    pub fn answered_name(&self, a: Answered) -> String {
        match a {
            Answered::Nobody => "unclaimed".into(),
            Answered::Range { index } => self.range_name(index).unwrap_or("?").to_string(),
            Answered::Pci { bdf, bar } => {
                let name = self.pci.borrow().function(bdf).map(|f| f.name.clone()).unwrap_or_default();
                format!("{bdf} {name} BAR{bar}")
            }
        }
    }

    /// The machine-level map: RAM, ROM, device ranges and the PCI BARs as they decode now.
    pub fn map(&self) -> Vec<MapEntry> {
        let mut v: Vec<MapEntry> = self
            .description
            .ram
            .iter()
            .map(|&(base, size)| MapEntry {
                base,
                size,
                kind: RangeKind::Ram,
                name: if base == 0 { "conventional memory".into() } else { "RAM".into() },
                policy: None,
            })
            .collect();
        for r in &self.ranges {
            let (kind, policy) = r.kind();
            v.push(MapEntry { base: r.first, size: r.last - r.first + 1, kind, name: r.name.clone(), policy });
        }
        let bus = self.pci.borrow();
        for (bdf, f) in bus.functions() {
            if f.config.command() & pci::function::COMMAND_MEMORY == 0 {
                continue;
            }
            for (i, bar) in f.config.bars() {
                if bar.kind == pci::BarKind::Io {
                    continue;
                }
                if let Some(base) = f.config.bar_address(i).filter(|b| *b != 0) {
                    let name = format!("{bdf} {} BAR{i}", f.name);
                    let policy = Some(if f.backing[i].is_some() { MmioPolicy::Emulate } else { MmioPolicy::Log });
                    v.push(MapEntry { base, size: bar.size, kind: RangeKind::Mmio, name, policy });
                }
            }
        }
        v.sort_by_key(|e| e.base);
        v
    }

    /// Whether `pa` is RAM the engine reads directly (conventional memory or main RAM).
    pub fn is_ram(&self, pa: u64) -> bool {
        pa < firmware::LOW_RAM_SIZE || (crate::memory::RAM_BASE..self.ram_end).contains(&pa)
    }

    /// Whether `pa` is memory — RAM, ROM or a memory range — rather than a device's
    /// registers or space nobody answers.
    pub fn is_memory(&self, pa: u64) -> bool {
        self.is_ram(pa)
            || self.find(pa).is_some_and(|i| matches!(self.ranges[i].target, Target::Rom(_) | Target::Memory { .. }))
    }

    /// Whether `pa` exists in the address space at all.
    pub fn exists(&self, pa: u64) -> bool {
        pa < self.limit
    }

    fn find(&self, pa: u64) -> Option<usize> {
        let hint = self.last_hit.get();
        if let Some(r) = self.ranges.get(hint) {
            if r.first <= pa && pa <= r.last {
                return Some(hint);
            }
        }
        let i = self.ranges.partition_point(|r| r.first <= pa).checked_sub(1)?;
        let r = &self.ranges[i];
        (pa <= r.last).then(|| {
            self.last_hit.set(i);
            i
        })
    }

    /// Whether a page is denied: its kernel mappings stay not-present.
    pub fn is_denied(&self, pa: u64) -> bool {
        self.find(pa).is_some_and(|i| matches!(self.ranges[i].target, Target::Deny))
    }

    fn rom_byte(&self, rom: Rom, offset: u64) -> u8 {
        let images = self.images();
        match rom {
            Rom::Bios => images.bios[offset as usize],
            Rom::Video => images.option_rom[offset as usize],
            Rom::Flash => {
                let bios_at = firmware::FLASH_SIZE - firmware::BIOS_SIZE;
                if offset >= bios_at {
                    images.bios[(offset - bios_at) as usize]
                } else {
                    0xFF
                }
            }
        }
    }

    /// Reads memory (RAM, ROM, memory ranges) at `pa` without side effects, and all-ones
    /// where nothing answers; `None` where a device does (its reads may have side effects).
    pub fn read_memory(&self, pa: u64, buf: &mut [u8]) -> Option<()> {
        for (i, b) in buf.iter_mut().enumerate() {
            let at = pa.checked_add(i as u64)?;
            *b = self.memory_byte(at)?;
        }
        Some(())
    }

    fn memory_byte(&self, pa: u64) -> Option<u8> {
        if pa < firmware::LOW_RAM_SIZE {
            return Some(match &self.low {
                Some(low) => low[pa as usize],
                None => self.images().low[pa as usize],
            });
        }
        if (crate::memory::RAM_BASE..self.ram_end).contains(&pa) {
            return None; // main RAM belongs to the frame allocator: GuestMemory reads it
        }
        let Some(i) = self.find(pa) else {
            // Nobody answers (no range, no BAR decodes it): the bus reads all-ones, and
            // reading has no side effect, so the kernel's own reads (a string routine running
            // over a driver's view of the legacy VGA window) see what the processor would.
            return self.pci.borrow().decode_memory(pa).is_none().then_some(0xFF);
        };
        let r = &self.ranges[i];
        match &r.target {
            Target::Rom(rom) => Some(self.rom_byte(*rom, pa - r.first)),
            Target::Memory { bytes, .. } => Some(bytes[(pa - r.first) as usize]),
            _ => None,
        }
    }

    /// Writes memory at `pa` the way the bus would: RAM and writable memory ranges change,
    /// ROM and unclaimed space drop the write. `None` where a device answers.
    pub fn write_memory(&mut self, pa: u64, data: &[u8]) -> Option<()> {
        // Check first, so a failed write changes nothing.
        for i in 0..data.len() as u64 {
            let at = pa.checked_add(i)?;
            self.memory_byte(at)?;
        }
        for (i, b) in data.iter().enumerate() {
            let at = pa + i as u64;
            if at < firmware::LOW_RAM_SIZE {
                self.low_ram()[at as usize] = *b;
                continue;
            }
            // A write nobody answers is dropped, as on the bus.
            let Some(idx) = self.find(at) else { continue };
            let r = &mut self.ranges[idx];
            if let Target::Memory { bytes, writable: true } = &mut r.target {
                bytes[(at - r.first) as usize] = *b;
            }
        }
        Some(())
    }

    /// Conventional memory as host memory (built and filled on first use).
    pub(crate) fn low_ram(&mut self) -> &mut MmapMut {
        if self.low.is_none() {
            let mut map = MmapMut::map_anon(firmware::LOW_RAM_SIZE as usize).expect("640 KiB of anonymous memory");
            map.copy_from_slice(&self.images().low);
            self.low = Some(map);
        }
        self.low.as_mut().expect("set above")
    }

    /// One access to `pa` that is not RAM (RAM never reaches here); bus masters reach guest
    /// RAM through `dma`.
    pub fn access(
        &mut self,
        pa: u64,
        width: Width,
        write: Option<u32>,
        clock: &mut VirtualClock,
        mut dma: Dma,
        mut lines: Option<&mut crate::ports::IrqLines>,
    ) -> Access {
        let ones = width.all_ones();
        if let Some(i) = self.find(pa) {
            let answered = Answered::Range { index: i as u16 };
            let first = self.ranges[i].first;
            let done = |value, outcome| Access { value, outcome, answered, memory: false };
            match &mut self.ranges[i].target {
                Target::Rom(rom) => {
                    let rom = *rom;
                    return match write {
                        Some(_) => done(0, Outcome::ReadOnly),
                        None => {
                            let mut v = 0u32;
                            for k in 0..width.bytes() as u64 {
                                let b = if pa + k <= self.ranges[i].last {
                                    self.rom_byte(rom, pa + k - first)
                                } else {
                                    0xFF
                                };
                                v |= (b as u32) << (8 * k);
                            }
                            Access { value: v, outcome: Outcome::Emulated, answered, memory: true }
                        }
                    };
                }
                Target::Memory { bytes, writable } => {
                    let off = (pa - first) as usize;
                    let n = (width.bytes() as usize).min(bytes.len() - off);
                    return match write {
                        Some(v) if *writable => {
                            bytes[off..off + n].copy_from_slice(&v.to_le_bytes()[..n]);
                            Access { value: 0, outcome: Outcome::Emulated, answered, memory: true }
                        }
                        Some(_) => done(0, Outcome::ReadOnly),
                        None => {
                            let mut b = [0xFFu8; 4];
                            b[..n].copy_from_slice(&bytes[off..off + n]);
                            Access {
                                value: u32::from_le_bytes(b) & ones,
                                outcome: Outcome::Emulated,
                                answered,
                                memory: true,
                            }
                        }
                    };
                }
                Target::Device(dev) => {
                    clock.advance_mmio_access();
                    let mut ctx = DeviceContext { clock, dma: dma.reborrow(true), lines: lines.as_deref_mut() };
                    let value = match write {
                        Some(v) => {
                            dev.write(pa - first, width, v & ones, &mut ctx);
                            0
                        }
                        None => dev.read(pa - first, width, &mut ctx) & ones,
                    };
                    return done(value, Outcome::Emulated);
                }
                Target::Log => {
                    clock.advance_mmio_access();
                    return done(if write.is_some() { 0 } else { ones }, Outcome::Logged);
                }
                Target::Deny => return done(if write.is_some() { 0 } else { ones }, Outcome::Denied),
            }
        }
        // Device memory past this point: PCI BARs or nobody.
        clock.advance_mmio_access();
        let mut ctx = DeviceContext { clock, dma, lines };
        if let Some((value, bdf, bar, modelled)) = self.pci.borrow_mut().memory_access(pa, width, write, &mut ctx) {
            let outcome = if modelled { Outcome::Emulated } else { Outcome::Unclaimed };
            return Access { value, outcome, answered: Answered::Pci { bdf, bar }, memory: false };
        }
        let page = pa >> 12;
        if self.unclaimed_seen.borrow_mut().insert(page) {
            tracing::info!(address = format_args!("{pa:#x}"), "access to unclaimed physical memory (reads all-ones)");
        }
        Access {
            value: if write.is_some() { 0 } else { ones },
            outcome: Outcome::Unclaimed,
            answered: Answered::Nobody,
            memory: false,
        }
    }

    /// Records that kernel page `va` maps denied frame `pa` (left not-present).
    pub(crate) fn note_denied_view(&mut self, va: u64, pa: u64) {
        self.denied_views.insert(va & !0xFFF, pa & !0xFFF);
    }

    pub(crate) fn forget_views(&mut self, base: u64, size: u64) {
        let keys: Vec<u64> = self.denied_views.range(base..base.saturating_add(size)).map(|(k, _)| *k).collect();
        for k in keys {
            self.denied_views.remove(&k);
        }
    }

    /// The denied frame behind not-present kernel page `va`, if it is one.
    pub fn denied_view(&self, va: u64) -> Option<u64> {
        self.denied_views.get(&(va & !0xFFF)).map(|pa| pa | (va & 0xFFF))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::checksum_ok;

    fn space() -> PhysicalSpace {
        PhysicalSpace::new(&CpuIdentity::default(), 1, 0x2010_0000, 36)
    }

    fn read(p: &PhysicalSpace, pa: u64, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        p.read_memory(pa, &mut b).expect("memory");
        b
    }

    #[test]
    fn the_map_lists_ram_rom_and_devices_without_overlaps() {
        let p = space();
        let map = p.map();
        for w in map.windows(2) {
            assert!(w[0].base + w[0].size <= w[1].base, "{:?} overlaps {:?}", w[0], w[1]);
        }
        let names: Vec<&str> = map.iter().map(|e| e.name.as_str()).collect();
        for n in
            ["conventional memory", "system BIOS", "PCI Express ECAM", "local APIC", "I/O APIC", "HPET", "BIOS flash"]
        {
            assert!(names.contains(&n), "{n} missing from {names:?}");
        }
        assert!(map.iter().any(|e| e.name.contains("BAR5") && e.base == 0xDFFF_E000));
        let mut clock = VirtualClock::default();
        let mut p = space();
        assert_eq!(p.access(0xB_8000, Width::Dword, None, &mut clock, Dma::none(), None).outcome, Outcome::Unclaimed);
        assert_eq!(p.access(0xFEE0_0030, Width::Dword, None, &mut clock, Dma::none(), None).value, 0x0006_0015);
        let a = p.access(0xF_0000, Width::Dword, Some(0), &mut clock, Dma::none(), None);
        assert_eq!(a.outcome, Outcome::ReadOnly);
        assert_eq!(&read(&p, 0xF_0000, 4), b"_SM_", "ROM writes are dropped");
        assert!(p.add_device(0x1000, 0x1000, Box::new(Registers::new("x", 0x1000, &[]))).is_err(), "RAM");
        assert!(p.add_device(0xFEB0_0000, 0x1000, Box::new(Registers::new("x", 0x1000, &[]))).is_ok());
        assert!(p.add_device(0xFEB0_0000, 0x1000, Box::new(Registers::new("y", 0x1000, &[]))).is_err());
        // The default machine's ranges give way to a scenario's.
        assert!(p.add_device(0xFEE0_0000, 0x1000, Box::new(Registers::new("my-apic", 0x1000, &[]))).is_ok());
        assert_eq!(p.access(0xFEE0_0030, Width::Dword, None, &mut clock, Dma::none(), None).value, 0);
    }

    #[test]
    fn device_memory_accesses_take_time_and_memory_accesses_do_not() {
        let mut clock = VirtualClock::default();
        let mut p = space();
        let step = clock.tsc_hz / 10_000_000; // 100 ns
        let t0 = clock.cycles();
        p.access(0xFEE0_0030, Width::Dword, None, &mut clock, Dma::none(), None); // the local APIC
        assert_eq!(clock.cycles(), t0 + step);
        p.access(0xB_8000, Width::Dword, Some(1), &mut clock, Dma::none(), None); // nobody
        assert_eq!(clock.cycles(), t0 + 2 * step);
        p.access(0xF_0000, Width::Dword, None, &mut clock, Dma::none(), None); // the BIOS ROM
        assert_eq!(clock.cycles(), t0 + 2 * step);
        // The kernel's own reads and writes of unclaimed space: all-ones, dropped, no time.
        let mut b = [0u8; 2];
        assert_eq!(p.read_memory(0xB_8000, &mut b), Some(()));
        assert_eq!(b, [0xFF, 0xFF]);
        assert_eq!(p.write_memory(0xB_8000, &[1, 2]), Some(()));
        assert_eq!(p.read_memory(0xFEE0_0030, &mut b), None, "a device's reads are its own");
        assert_eq!(clock.cycles(), t0 + 2 * step);
        // A loop polling the HPET's counter sees it move.
        let hpet = 0xFED0_0000;
        p.access(hpet + 0x10, Width::Dword, Some(1), &mut clock, Dma::none(), None); // enable
        let a = p.access(hpet + 0xF0, Width::Dword, None, &mut clock, Dma::none(), None).value;
        let b = p.access(hpet + 0xF0, Width::Dword, None, &mut clock, Dma::none(), None).value;
        assert!(b > a, "{a} then {b}");
    }

    fn find(hay: &[u8], needle: &[u8], step: usize) -> Option<usize> {
        (0..hay.len().saturating_sub(needle.len())).step_by(step).find(|&i| &hay[i..i + needle.len()] == needle)
    }

    #[test]
    fn smbios_entry_points_and_structures_check_out() {
        let p = space();
        let bios = read(&p, 0xF_0000, 0x10000);
        let at = find(&bios, b"_SM_", 16).expect("_SM_ in the F-segment");
        let ep = &bios[at..at + 0x1F];
        assert!(checksum_ok(ep));
        assert!(checksum_ok(&ep[0x10..]));
        assert_eq!(&ep[0x10..0x15], b"_DMI_");
        let len = u16::from_le_bytes([ep[0x16], ep[0x17]]) as usize;
        let table = u32::from_le_bytes(ep[0x18..0x1C].try_into().unwrap()) as u64;
        let count = u16::from_le_bytes([ep[0x1C], ep[0x1D]]);
        let at3 = find(&bios, b"_SM3_", 16).expect("_SM3_");
        let ep3 = &bios[at3..at3 + 0x18];
        assert!(checksum_ok(ep3));
        assert_eq!(u64::from_le_bytes(ep3[16..24].try_into().unwrap()), table);
        // Walk the structures: formatted area, strings, double NUL.
        let t = read(&p, table, len);
        let (mut off, mut seen, mut types) = (0usize, 0u16, Vec::new());
        while off < t.len() {
            let (kind, flen) = (t[off], t[off + 1] as usize);
            types.push(kind);
            let mut end = off + flen;
            while !(t[end] == 0 && t[end + 1] == 0) {
                end += 1;
            }
            if kind == 4 {
                let version = t[off + 0x10] as usize;
                let strings: Vec<&[u8]> = t[off + flen..end].split(|b| *b == 0).collect();
                assert!(strings[version - 1].starts_with(b"Intel(R) Core(TM) i7"));
                let id = u32::from_le_bytes(t[off + 8..off + 12].try_into().unwrap());
                assert_eq!(id, CpuIdentity::default().leaf(1, 0)[0]);
            }
            if kind == 17 {
                let mb = u16::from_le_bytes([t[off + 0x0C], t[off + 0x0D]]) as u64;
                assert_eq!(mb, (0x2010_0000 - 0x10_0000 + 0xA_0000) >> 20);
            }
            off = end + 2;
            seen += 1;
        }
        assert_eq!(off, t.len());
        assert_eq!(seen, count);
        for k in [0, 1, 2, 3, 4, 16, 17, 19, 32, 127] {
            assert!(types.contains(&k), "type {k} in {types:?}");
        }
    }

    #[test]
    fn acpi_tables_chain_from_the_rsdp_with_valid_checksums() {
        let p = space();
        let area = read(&p, 0xE_0000, 0x2_0000);
        let at = find(&area, b"RSD PTR ", 16).expect("RSDP");
        let rsdp = &area[at..at + 36];
        assert!(checksum_ok(&rsdp[..20]) && checksum_ok(rsdp));
        let xsdt = u64::from_le_bytes(rsdp[24..32].try_into().unwrap());
        let rsdt = u32::from_le_bytes(rsdp[16..20].try_into().unwrap()) as u64;
        let table = |pa: u64| {
            let len = u32::from_le_bytes(read(&p, pa + 4, 4).try_into().unwrap()) as usize;
            read(&p, pa, len)
        };
        let x = table(xsdt);
        let r = table(rsdt);
        assert!(checksum_ok(&x) && checksum_ok(&r));
        let entries: Vec<u64> = x[36..].chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
        let r_entries: Vec<u64> = r[36..].chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap()) as u64).collect();
        assert_eq!(entries, r_entries);
        let mut sigs = Vec::new();
        for e in entries {
            let t = table(e);
            assert!(checksum_ok(&t), "{}", String::from_utf8_lossy(&t[..4]));
            sigs.push(String::from_utf8_lossy(&t[..4]).to_string());
            match &t[..4] {
                b"MCFG" => assert_eq!(u64::from_le_bytes(t[44..52].try_into().unwrap()), pci::ecam::ECAM_BASE),
                b"APIC" => {
                    assert_eq!(u32::from_le_bytes(t[36..40].try_into().unwrap()) as u64, platform::LOCAL_APIC_BASE)
                }
                b"HPET" => assert_eq!(u64::from_le_bytes(t[44..52].try_into().unwrap()), platform::HPET_BASE),
                b"FACP" => {
                    assert_eq!(t.len(), 244);
                    let dsdt = table(u64::from_le_bytes(t[140..148].try_into().unwrap()));
                    assert!(checksum_ok(&dsdt) && &dsdt[..4] == b"DSDT");
                    let facs = read(&p, u64::from_le_bytes(t[132..140].try_into().unwrap()), 64);
                    assert_eq!(&facs[..4], b"FACS");
                }
                _ => {}
            }
        }
        assert_eq!(sigs, ["FACP", "APIC", "MCFG", "HPET"]);
    }

    #[test]
    fn low_memory_and_option_rom() {
        let p = space();
        let bda = read(&p, 0x400, 0x100);
        assert_eq!(u16::from_le_bytes([bda[0], bda[1]]), 0x3F8);
        assert_eq!(u16::from_le_bytes([bda[0x0E], bda[0x0F]]), 0x9FC0);
        let rom = read(&p, 0xC_0000, 0x8000);
        assert_eq!(&rom[..2], &[0x55, 0xAA]);
        assert!(checksum_ok(&rom));
        let flash_top = read(&p, 0xFFFF_FFF0, 16);
        assert_eq!(flash_top, read(&p, 0xF_FFF0, 16), "the flash's top is the BIOS");
        assert_eq!(read(&p, 0xFFE0_0000, 4), vec![0xFF; 4]);
    }
}
