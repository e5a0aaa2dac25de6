//! Guest memory: RAM, page tables and named regions, with checked access by virtual address.
//!
//! Every access the host makes on the guest's behalf goes through [`GuestMemory::read`] /
//! [`GuestMemory::write`], which walk the guest's own page tables: a bad guest pointer is a
//! [`MemError`], never a host fault (recent walks are cached, `tlb.rs`).

mod layout;
mod paging;
pub(crate) mod ram;
mod spaces;
mod tlb;

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

pub use layout::{Layout, RegionKind, MAX_CPUS};
use paging::{page_round_up, Leaf};
pub(crate) use paging::{PageTables, Paging};
use ram::Ram;
pub use ram::RAM_BASE;
pub use spaces::SpaceId;
use tlb::Tlb;

use crate::arch::Arch;
use crate::cpu::CpuIdentity;
use crate::physical::PhysicalSpace;
use crate::uc::Uc;

pub const PAGE_SIZE: u64 = 0x1000;

/// Page protection. Every mapped page is readable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Prot {
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const R: Prot = Prot { write: false, exec: false };
    pub const RW: Prot = Prot { write: true, exec: false };
    pub const RX: Prot = Prot { write: false, exec: true };
    pub const RWX: Prot = Prot { write: true, exec: true };
}

impl std::fmt::Display for Prot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "r{}{}", if self.write { "w" } else { "-" }, if self.exec { "x" } else { "-" })
    }
}

/// A named, page-aligned span of guest virtual memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub kind: RegionKind,
    pub name: String,
    pub base: u64,
    pub size: u64,
    pub prot: Prot,
    /// A second view of frames owned by another region: freeing it leaves them alone.
    pub alias: bool,
}

impl Region {
    pub fn contains(&self, va: u64) -> bool {
        va >= self.base && va - self.base < self.size
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MemError {
    #[error("address {addr:#x} is not mapped")]
    Unmapped { addr: u64 },
    /// A write to an address that is not mapped (kept apart from reads: Windows reports
    /// which one faulted).
    #[error("address {addr:#x} is not mapped (written)")]
    UnmappedWrite { addr: u64 },
    #[error("address {addr:#x} is read-only")]
    ReadOnly { addr: u64 },
    #[error("guest memory limit of {limit} bytes reached")]
    LimitExceeded { limit: u64 },
    #[error("no room left for a {size:#x}-byte {kind:?} region")]
    ArenaFull { kind: RegionKind, size: u64 },
    #[error("a region already covers {addr:#x}")]
    Overlap { addr: u64 },
    #[error("no region starts at {addr:#x}")]
    NotARegion { addr: u64 },
    #[error("the page at {addr:#x} is not a view of frames another region owns")]
    NotAView { addr: u64 },
    #[error("a {size:#x}-byte region is not a valid size")]
    BadSize { size: u64 },
    #[error("host mapping failed: {0}")]
    Host(String),
    /// Device registers (or nothing) answer at this address: the host does not touch them on
    /// the guest's behalf except through the mediated MMIO path.
    #[error("address {addr:#x} is device memory")]
    Device { addr: u64 },
    /// An address space that does not exist (or, to end, is the one loaded).
    #[error("address space {id} cannot be used here")]
    NoSpace { id: u32 },
}

/// The guest's RAM, its kernel address space and the regions in it.
pub struct GuestMemory {
    uc: Uc,
    arch: Arch,
    pub(crate) ram: Ram,
    pub(crate) tables: PageTables,
    layout: Layout,
    cursors: Vec<(RegionKind, u64)>,
    regions: BTreeMap<u64, Region>,
    tlb: Tlb,
    /// Everything in the physical address space that is not main RAM.
    pub(crate) phys: PhysicalSpace,
    /// Bumped whenever the host writes into executable memory.
    code_generation: u64,
    /// The root of the user view of the address space, once asked for (see
    /// [`GuestMemory::user_view_root`]), and the frames of its private tables.
    user_root: Option<u64>,
    user_tables: Vec<u64>,
    /// The pages the user view was last written to exempt.
    user_exempt: Vec<u64>,
    /// The address spaces whose user halves are not loaded (spaces.rs).
    spaces: spaces::Spaces,
}

impl GuestMemory {
    /// Memory for a machine of `processors` processors that identify as `cpu` (the firmware
    /// tables describe them).
    pub(crate) fn new(
        uc: Uc,
        arch: Arch,
        limit_bytes: u64,
        cpu: &CpuIdentity,
        processors: u32,
    ) -> Result<GuestMemory, MemError> {
        let mut ram = Ram::new(uc, limit_bytes);
        // x86 guests page with 32-bit entries; x64 ones reach what cpuid leaf 0x80000008 says.
        let address_bits = match arch {
            Arch::X86 => 32,
            Arch::X64 => cpu.leaf(0x8000_0008, 0)[0] & 0xFF,
        };
        let phys = PhysicalSpace::new(cpu, processors, ram.end(), address_bits.clamp(32, 52));
        let mode = match arch {
            Arch::X86 => Paging::TwoLevel,
            Arch::X64 => Paging::FourLevel,
        };
        let tables = PageTables::new(mode, &mut ram)?;
        let layout = Layout::for_arch(arch);
        let cursors = layout.arenas.iter().map(|(k, a)| (*k, a.base)).collect();
        Ok(GuestMemory {
            uc,
            arch,
            ram,
            tables,
            layout,
            cursors,
            regions: BTreeMap::new(),
            tlb: Tlb::default(),
            phys,
            code_generation: 0,
            user_root: None,
            user_tables: Vec::new(),
            user_exempt: Vec::new(),
            spaces: spaces::Spaces::default(),
        })
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// A never-used frame of guest RAM (physical address and host view) for a host probe
    /// that must leave it zero; see `Ram::spare_frame`.
    pub(crate) fn spare_frame(&mut self) -> Option<(u64, &mut [u8])> {
        self.ram.spare_frame()
    }

    /// The physical address of the top-level page table (what CR3 holds).
    pub fn page_table_root(&self) -> u64 {
        self.tables.root
    }

    /// The page-table window, `[start, end)`: the virtual addresses at which the self-map
    /// shows the kernel's page tables, read-only (see `paging.rs`).
    pub fn page_table_window(&self) -> (u64, u64) {
        self.tables.window()
    }

    /// The virtual address at which the page-table window shows the physical page holding
    /// `pa`, if that page is one of the kernel's page tables (the root included).
    pub fn page_table_address(&self, pa: u64) -> Option<u64> {
        let frame = pa & !(PAGE_SIZE - 1);
        self.tables.window_address(&self.ram, frame).map(|va| va | (pa % PAGE_SIZE))
    }

    /// The root (a CR3 value) of the user view of the address space, brought up to date: the
    /// same mappings, with the whole kernel half (everything from the system range's start)
    /// supervisor-only except the pages in `exempt` (the machine's return-to-host pages,
    /// which Unicorn translates at every run's start). What user-mode code runs under; the
    /// kernel's own root ([`page_table_root`](GuestMemory::page_table_root)) keeps every
    /// page user-accessible for driver code, which runs at CPL3 too (docs/architecture.md).
    /// The view is rewritten only when an entry it copied has changed (or `exempt` did).
    pub fn user_view_root(&mut self, exempt: &[u64]) -> Result<u64, MemError> {
        if let Some(root) = self.user_root {
            if !self.tables.user_view_stale() && self.user_exempt == exempt {
                return Ok(root);
            }
        }
        let root = match self.user_root {
            Some(r) => r,
            None => {
                let r = self.ram.alloc_machine_frame()?;
                self.user_root = Some(r);
                r
            }
        };
        let mut spare = std::mem::take(&mut self.user_tables);
        let r = self.tables.write_user_view(&mut self.ram, root, exempt, &mut spare);
        self.user_tables = spare;
        self.user_exempt.clear();
        self.user_exempt.extend_from_slice(exempt);
        r.map(|_| root)
    }

    /// Allocates a fresh, zeroed region of `kind` somewhere in that kind's arena.
    pub fn alloc(&mut self, kind: RegionKind, name: impl Into<String>, size: u64, prot: Prot) -> Result<u64, MemError> {
        let size = page_round_up(size).filter(|s| *s > 0).ok_or(MemError::BadSize { size })?;
        let arena = self.layout.arena(kind).ok_or(MemError::ArenaFull { kind, size })?;
        let cursor = self.cursors.iter().find(|(k, _)| *k == kind).map(|c| c.1).expect("every arena has a cursor");
        let (base, end) = self.place(kind, cursor, size, PAGE_SIZE, arena.limit)?;
        self.map_fixed(kind, name, base, size, prot)?;
        self.advance(kind, end);
        Ok(base)
    }

    /// Sets aside `size` bytes of `kind`'s arena at an address aligned to `align` (a power of
    /// two, at least a page) without mapping anything: no later [`GuestMemory::alloc`] hands
    /// them out, so their owner maps pages inside with [`GuestMemory::map_fixed`] as it needs
    /// them (VirtualAlloc's MEM_RESERVE). The span is followed by an unmapped guard page.
    pub fn reserve(&mut self, kind: RegionKind, size: u64, align: u64) -> Result<u64, MemError> {
        let size = page_round_up(size).filter(|s| *s > 0).ok_or(MemError::BadSize { size })?;
        let align = align.max(PAGE_SIZE);
        if !align.is_power_of_two() {
            return Err(MemError::BadSize { size: align });
        }
        let arena = self.layout.arena(kind).ok_or(MemError::ArenaFull { kind, size })?;
        let cursor = self.cursors.iter().find(|(k, _)| *k == kind).map(|c| c.1).expect("every arena has a cursor");
        let (base, end) = self.place(kind, cursor, size, align, arena.limit)?;
        self.advance(kind, end);
        Ok(base)
    }

    /// Where `kind`'s arena starts and ends, if it has one.
    pub fn arena_span(&self, kind: RegionKind) -> Option<(u64, u64)> {
        self.layout.arena(kind).map(|a| (a.base, a.limit))
    }

    /// Where `size` bytes aligned to `align` go from `cursor` on, below `limit`: `(base,
    /// end)`, `end` past the unmapped guard page that follows every region (it catches linear
    /// overruns). A region mapped at a fixed address in the arena (a user DLL at its
    /// preferred base) is stepped over.
    fn place(&self, kind: RegionKind, cursor: u64, size: u64, align: u64, limit: u64) -> Result<(u64, u64), MemError> {
        let full = MemError::ArenaFull { kind, size };
        let mut at = cursor;
        loop {
            let base = at.checked_add(align - 1).map(|c| c & !(align - 1)).ok_or(full.clone())?;
            let end = base
                .checked_add(size)
                .and_then(|e| e.checked_add(PAGE_SIZE))
                .filter(|e| *e <= limit)
                .ok_or(full.clone())?;
            match self.regions.range(..end).next_back().map(|(_, r)| r.base + r.size).filter(|e| *e > base) {
                Some(taken_until) => at = taken_until + PAGE_SIZE,
                None => return Ok((base, end)),
            }
        }
    }

    /// Moves `kind`'s allocation cursor to `end`, once a region is in place: a refused
    /// allocation (the memory cap) must not use up the arena.
    fn advance(&mut self, kind: RegionKind, end: u64) {
        if let Some(cursor) = self.cursors.iter_mut().find(|(k, _)| *k == kind) {
            cursor.1 = end;
        }
    }

    /// Maps a fresh, zeroed region at a fixed address.
    pub fn map_fixed(
        &mut self,
        kind: RegionKind,
        name: impl Into<String>,
        base: u64,
        size: u64,
        prot: Prot,
    ) -> Result<(), MemError> {
        let size = page_round_up(size).filter(|s| *s > 0).ok_or(MemError::BadSize { size })?;
        if !base.is_multiple_of(PAGE_SIZE) {
            return Err(MemError::BadSize { size: base });
        }
        if self.overlaps(base, size) {
            return Err(MemError::Overlap { addr: base });
        }
        let mut mapped = Vec::new();
        for off in (0..size).step_by(PAGE_SIZE as usize) {
            let frame = match self.ram.alloc_frame() {
                Ok(f) => f,
                Err(e) => {
                    self.release(&mapped);
                    return Err(e);
                }
            };
            // What the machine keeps for itself is out of every device's DMA reach.
            if matches!(kind, RegionKind::System | RegionKind::Stubs | RegionKind::Kpcr | RegionKind::SharedData) {
                self.ram.set_machine(frame, true);
            }
            if let Err(e) = self.tables.map(&mut self.ram, base + off, frame, prot) {
                self.ram.free_frame(frame);
                self.release(&mapped);
                return Err(e);
            }
            mapped.push(base + off);
        }
        self.regions.insert(base, Region { kind, name: name.into(), base, size, prot, alias: false });
        Ok(())
    }

    /// Maps existing physical frames (each page-aligned) at a fresh address of `kind`: a
    /// second view of memory another region owns (as MmMapLockedPages makes one), or of the
    /// physical address space beyond RAM (as MmMapIoSpace does): ROM, device registers, or
    /// nothing at all. Frames of a denied range are left not-present, so touching them
    /// faults. Frames past the processor's physical address width are refused.
    pub fn map_frames(
        &mut self,
        kind: RegionKind,
        name: impl Into<String>,
        frames: &[u64],
        prot: Prot,
    ) -> Result<u64, MemError> {
        if frames.is_empty() {
            return Err(MemError::BadSize { size: 0 });
        }
        if let Some(&bad) = frames.iter().find(|f| !f.is_multiple_of(PAGE_SIZE) || !self.phys.exists(**f)) {
            return Err(MemError::Unmapped { addr: bad });
        }
        let size = frames.len() as u64 * PAGE_SIZE;
        let arena = self.layout.arena(kind).ok_or(MemError::ArenaFull { kind, size })?;
        let cursor = self.cursors.iter().find(|(k, _)| *k == kind).map(|c| c.1).expect("every arena has a cursor");
        let (base, end) = self.place(kind, cursor, size, PAGE_SIZE, arena.limit)?;
        for &f in frames {
            if !self.ram.ensure_backed(f)? {
                let ram_end = self.ram.end();
                let limit = self.phys.limit();
                let low = self.phys.low_ram().as_mut_ptr();
                self.phys.engine.map(self.uc, low, ram_end, limit)?;
                if !self.phys.is_ram(f) && !self.phys.is_denied(f) {
                    self.phys.engine.devices_mapped = true;
                }
            }
        }
        for (i, f) in frames.iter().enumerate() {
            let va = base + i as u64 * PAGE_SIZE;
            if self.phys.is_denied(*f) {
                self.phys.note_denied_view(va, *f);
                continue;
            }
            if let Err(e) = self.tables.map(&mut self.ram, va, *f, prot) {
                // The frames belong to another region: unmap the views, free nothing.
                for done in (base..va).step_by(PAGE_SIZE as usize) {
                    self.tables.unmap(&mut self.ram, done);
                }
                self.phys.forget_views(base, size);
                return Err(e);
            }
        }
        self.regions.insert(base, Region { kind, name: name.into(), base, size, prot, alias: true });
        self.advance(kind, end);
        Ok(base)
    }

    /// Maps existing frames at `base` (which must be page-aligned, inside `kind`'s arena and
    /// free): a view placed where its caller asked.
    pub fn map_frames_at(
        &mut self,
        kind: RegionKind,
        name: impl Into<String>,
        base: u64,
        frames: &[u64],
        prot: Prot,
    ) -> Result<u64, MemError> {
        let size = frames.len() as u64 * PAGE_SIZE;
        let arena = self.layout.arena(kind).ok_or(MemError::ArenaFull { kind, size })?;
        let fits = base.is_multiple_of(PAGE_SIZE)
            && base >= arena.base
            && base.checked_add(size).is_some_and(|e| e <= arena.limit);
        if frames.is_empty() || !fits || self.overlaps(base, size) {
            return Err(MemError::Overlap { addr: base });
        }
        // Placed through the cursor, which then goes back: later allocations step over it,
        // as over any region in their way.
        let cursor = self.cursors.iter().find(|(k, _)| *k == kind).map(|c| c.1).expect("every arena has a cursor");
        self.advance(kind, base);
        let placed = self.map_frames(kind, name, frames, prot);
        self.advance(kind, cursor);
        placed
    }

    /// Applies a leaf page-table entry a driver wrote through the self-map for page `va`:
    /// only a page of a view (a region of frames another owns, or none: MmMapLockedPages,
    /// MmMapIoSpace) may be pointed elsewhere, as drivers that read physical memory by
    /// editing a PTE do; the frames of other regions are theirs to give back, so editing
    /// their entries is refused (`NotAView`). A not-present entry leaves the page unmapped;
    /// a present one maps the frame it names with the protection it says (a denied frame is
    /// left not-present, as `map_frames` leaves it). Returns the frame mapped, if any.
    pub fn repoint_view_page(&mut self, va: u64, entry: u64) -> Result<Option<u64>, MemError> {
        let page = va & !(PAGE_SIZE - 1);
        let region = self.region_at(page).filter(|r| r.alias).ok_or(MemError::NotAView { addr: page })?;
        let fetchable = region.prot.exec;
        let meaning = self.tables.leaf_meaning(entry);
        if let Some((frame, _)) = meaning {
            if !self.phys.exists(frame) {
                return Err(MemError::Unmapped { addr: frame });
            }
        }
        if fetchable {
            // While still mapped (quirk 9 in docs/architecture.md).
            self.invalidate_fetchable(page, page + PAGE_SIZE);
        }
        self.tlb.clear();
        self.phys.forget_views(page, PAGE_SIZE);
        self.tables.unmap(&mut self.ram, page);
        let mapped = match meaning {
            None => None,
            Some((frame, prot)) => {
                if !self.ram.ensure_backed(frame)? {
                    let ram_end = self.ram.end();
                    let limit = self.phys.limit();
                    let low = self.phys.low_ram().as_mut_ptr();
                    self.phys.engine.map(self.uc, low, ram_end, limit)?;
                    if !self.phys.is_ram(frame) && !self.phys.is_denied(frame) {
                        self.phys.engine.devices_mapped = true;
                    }
                }
                if self.phys.is_denied(frame) {
                    self.phys.note_denied_view(page, frame);
                } else {
                    self.tables.map(&mut self.ram, page, frame, prot)?;
                }
                Some(frame)
            }
        };
        self.uc.flush_tlb();
        Ok(mapped)
    }

    /// Allocates `size` bytes of physically contiguous, zeroed RAM within `[lowest, highest]`
    /// (no part crossing a multiple of `boundary`, 0 for none) and maps it at a fresh address
    /// of `kind`. Returns the virtual and physical addresses.
    pub fn alloc_contiguous(
        &mut self,
        kind: RegionKind,
        name: impl Into<String>,
        size: u64,
        range: (u64, u64),
        boundary: u64,
        prot: Prot,
    ) -> Result<(u64, u64), MemError> {
        let size = page_round_up(size).filter(|s| *s > 0).ok_or(MemError::BadSize { size })?;
        let arena = self.layout.arena(kind).ok_or(MemError::ArenaFull { kind, size })?;
        let cursor = self.cursors.iter().find(|(k, _)| *k == kind).map(|c| c.1).expect("every arena has a cursor");
        let (base, end) = self.place(kind, cursor, size, PAGE_SIZE, arena.limit)?;
        let pa = self.ram.alloc_contiguous(size / PAGE_SIZE, range, boundary)?;
        for off in (0..size).step_by(PAGE_SIZE as usize) {
            if let Err(e) = self.tables.map(&mut self.ram, base + off, pa + off, prot) {
                for done in (0..off).step_by(PAGE_SIZE as usize) {
                    self.tables.unmap(&mut self.ram, base + done);
                }
                for f in (pa..pa + size).step_by(PAGE_SIZE as usize) {
                    self.ram.free_frame(f);
                }
                return Err(e);
            }
        }
        self.regions.insert(base, Region { kind, name: name.into(), base, size, prot, alias: false });
        self.advance(kind, end);
        Ok((base, pa))
    }

    /// `count` zeroed, physically contiguous RAM frames within `[lowest, highest]`, mapped
    /// nowhere (an MDL's pages: MmAllocatePagesForMdl). Returns the first.
    pub fn alloc_frames(&mut self, count: u64, range: (u64, u64)) -> Result<u64, MemError> {
        if count == 0 {
            return Err(MemError::BadSize { size: 0 });
        }
        self.ram.alloc_contiguous(count, range, 0)
    }

    /// Gives frames from [`GuestMemory::alloc_frames`] back. Frames that are not RAM are
    /// ignored.
    pub fn free_frames(&mut self, frames: &[u64]) {
        for &f in frames {
            if self.ram.contains(f) && f.is_multiple_of(PAGE_SIZE) {
                self.ram.free_frame(f);
            }
        }
    }

    /// The physical address space beyond main RAM: its map, devices and firmware.
    pub fn physical(&self) -> &PhysicalSpace {
        &self.phys
    }

    pub fn physical_mut(&mut self) -> &mut PhysicalSpace {
        &mut self.phys
    }

    /// One access to device memory or unclaimed space at `pa` (never RAM), with the devices
    /// reaching guest RAM through [`Dma`](crate::physical::dma::Dma) and driving `lines`.
    pub(crate) fn device_access(
        &mut self,
        pa: u64,
        width: crate::ports::Width,
        write: Option<u32>,
        clock: &mut crate::cpu::VirtualClock,
        lines: Option<&mut crate::ports::IrqLines>,
    ) -> crate::physical::Access {
        self.phys.access(pa, width, write, clock, crate::physical::dma::Dma::ram(&mut self.ram), lines)
    }

    /// How many times the host has written into executable memory.
    pub(crate) fn code_generation(&self) -> u64 {
        self.code_generation
    }

    /// Bumped by every change that can move or remove an existing translation (an unmap, a
    /// protection change): a translation taken in one generation holds until it changes.
    pub(crate) fn mapping_generation(&self) -> u64 {
        self.tlb.generation()
    }

    /// The RAM frame at `frame` (page-aligned), if it is main RAM the machine handed out.
    pub(crate) fn ram_page(&self, frame: u64) -> Option<&[u8]> {
        self.ram.contains(frame).then(|| self.ram.page(frame))
    }

    /// Whether `pa` is main RAM (handed out or not).
    pub fn is_main_ram(&self, pa: u64) -> bool {
        self.ram.in_extent(pa)
    }

    fn release(&mut self, pages: &[u64]) {
        self.tlb.clear();
        for &va in pages {
            if let Some(frame) = self.tables.unmap(&mut self.ram, va) {
                self.ram.free_frame(frame);
            }
        }
        self.uc.flush_tlb();
    }

    fn overlaps(&self, base: u64, size: u64) -> bool {
        let end = base.saturating_add(size);
        if let Some((_, r)) = self.regions.range(..end).next_back() {
            if r.base + r.size > base {
                return true;
            }
        }
        false
    }

    /// Unmaps the region starting at `base` and returns its frames to the pool.
    pub fn free(&mut self, base: u64) -> Result<Region, MemError> {
        let region = self.regions.remove(&base).ok_or(MemError::NotARegion { addr: base })?;
        if region.prot.exec {
            // While still mapped: Unicorn finds translated code through the virtual address,
            // and a lookup of an unmapped one leaves a page fault pending in the CPU.
            self.invalidate_fetchable(base, base + region.size);
        }
        let pages: Vec<u64> = (0..region.size).step_by(PAGE_SIZE as usize).map(|o| base + o).collect();
        if region.alias {
            self.phys.forget_views(base, region.size);
            self.tlb.clear();
            for &va in &pages {
                self.tables.unmap(&mut self.ram, va);
            }
            self.uc.flush_tlb();
        } else {
            self.release(&pages);
        }
        Ok(region)
    }

    /// Discards Unicorn's translations of the pages in `[begin, end)` an instruction fetch can
    /// reach. Unicorn finds them through the virtual address, and looking one up that no fetch
    /// reaches (unmapped, or no-execute where the page tables enforce it: an image's headers
    /// on x64) leaves a page fault pending in the CPU (docs/architecture.md, quirk 9).
    pub(crate) fn invalidate_fetchable(&self, begin: u64, end: u64) {
        let nx = self.arch == Arch::X64;
        let fetchable = |page: u64| self.prot_at(page).is_some_and(|p| p.exec || !nx);
        let mut run: Option<u64> = None;
        let mut page = begin & !(PAGE_SIZE - 1);
        while page < end {
            match (run, fetchable(page)) {
                (None, true) => run = Some(page.max(begin)),
                (Some(from), false) => {
                    self.uc.invalidate_code(from, page);
                    run = None;
                }
                _ => {}
            }
            page = match page.checked_add(PAGE_SIZE) {
                Some(p) => p,
                None => break,
            };
        }
        if let Some(from) = run {
            self.uc.invalidate_code(from, end);
        }
    }

    /// Changes the protection of whole pages inside an existing region.
    pub fn protect(&mut self, va: u64, size: u64, prot: Prot) -> Result<(), MemError> {
        let start = va & !(PAGE_SIZE - 1);
        let end = page_round_up(va.saturating_add(size)).ok_or(MemError::BadSize { size })?;
        self.tlb.clear();
        for page in (start..end).step_by(PAGE_SIZE as usize) {
            if !self.tables.protect(&mut self.ram, page, prot) {
                return Err(MemError::Unmapped { addr: page });
            }
        }
        self.uc.flush_tlb();
        Ok(())
    }

    /// The region containing `va`, if any.
    pub fn region_at(&self, va: u64) -> Option<&Region> {
        self.regions.range(..=va).next_back().map(|(_, r)| r).filter(|r| r.contains(va))
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// Bytes of guest RAM in use, and the cap.
    pub fn usage(&self) -> MemoryUsage {
        MemoryUsage { used: self.ram.used_bytes(), peak: self.ram.peak_bytes(), limit: self.ram.limit_bytes() }
    }

    /// The leaf mapping of `va` (a page-aligned or not, already masked address).
    fn leaf(&self, va: u64) -> Option<Leaf> {
        if let Some(leaf) = self.tlb.get(va) {
            return Some(leaf);
        }
        let leaf = self.tables.lookup(&self.ram, va)?;
        self.tlb.insert(va, leaf);
        Some(leaf)
    }

    /// Guest-physical address behind `va`.
    pub fn translate(&self, va: u64) -> Option<u64> {
        let va = self.arch.mask(va);
        self.leaf(va).map(|l| l.frame | (va % PAGE_SIZE))
    }

    /// Protection of the page containing `va`.
    pub fn prot_at(&self, va: u64) -> Option<Prot> {
        self.leaf(self.arch.mask(va)).map(|l| l.prot)
    }

    /// Copies guest memory at `va` into `buf`.
    pub fn read(&self, va: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let mut done = 0usize;
        while done < buf.len() {
            let addr = self.arch.mask(va.wrapping_add(done as u64));
            let leaf = self.leaf(addr).ok_or(MemError::Unmapped { addr })?;
            let off = (addr % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            if self.ram.contains(leaf.frame) {
                buf[done..done + n].copy_from_slice(&self.ram.page(leaf.frame)[off..off + n]);
            } else if self.phys.read_memory(leaf.frame + off as u64, &mut buf[done..done + n]).is_none() {
                return Err(MemError::Device { addr });
            }
            done += n;
        }
        Ok(())
    }

    /// Copies physical memory at `pa` into `buf`: RAM (RAM never handed out reads zero), ROM,
    /// and unclaimed addresses (all-ones). Device registers are `Device`.
    pub fn read_physical(&self, pa: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let mut done = 0usize;
        while done < buf.len() {
            let addr = pa.wrapping_add(done as u64);
            let off = (addr % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            let chunk = &mut buf[done..done + n];
            if self.ram.contains(addr) {
                chunk.copy_from_slice(&self.ram.page(addr)[off..off + n]);
            } else if self.ram.in_extent(addr) {
                chunk.fill(0);
            } else if self.phys.read_memory(addr, chunk).is_none() {
                return Err(MemError::Device { addr });
            }
            done += n;
        }
        Ok(())
    }

    /// Writes `data` at `va`, honouring read-only pages as the CPU does with CR0.WP set.
    pub fn write(&mut self, va: u64, data: &[u8]) -> Result<(), MemError> {
        self.write_inner(va, data, true)
    }

    /// Writes `data` at `va` even into read-only pages (the loader placing an image).
    pub fn write_unchecked(&mut self, va: u64, data: &[u8]) -> Result<(), MemError> {
        self.write_inner(va, data, false)
    }

    fn write_inner(&mut self, va: u64, data: &[u8], honour_ro: bool) -> Result<(), MemError> {
        // Check the whole span first so a failed write changes nothing.
        let mut done = 0usize;
        let mut code = false;
        while done < data.len() {
            let addr = self.arch.mask(va.wrapping_add(done as u64));
            let leaf = self.leaf(addr).ok_or(MemError::UnmappedWrite { addr })?;
            // Not even the loader writes page tables through their window.
            if (honour_ro || self.tables.in_window(addr)) && !leaf.prot.write {
                return Err(MemError::ReadOnly { addr });
            }
            if !self.ram.contains(leaf.frame) && self.phys.read_memory(leaf.frame, &mut [0]).is_none() {
                return Err(MemError::Device { addr });
            }
            code |= leaf.prot.exec;
            done += PAGE_SIZE as usize - (addr % PAGE_SIZE) as usize;
        }
        let mut done = 0usize;
        while done < data.len() {
            let addr = self.arch.mask(va.wrapping_add(done as u64));
            let leaf = self.leaf(addr).expect("checked above");
            let off = (addr % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(data.len() - done);
            if self.ram.contains(leaf.frame) {
                self.ram.page_mut(leaf.frame)[off..off + n].copy_from_slice(&data[done..done + n]);
            } else {
                // Conventional memory and memory ranges change; ROM drops the write.
                let _ = self.phys.write_memory(leaf.frame + off as u64, &data[done..done + n]);
            }
            done += n;
        }
        if code && !data.is_empty() {
            self.code_generation += 1;
            // Translated code for these bytes is stale now.
            self.uc.invalidate_code(va, va.wrapping_add(data.len() as u64));
        }
        Ok(())
    }

    pub fn read_u8(&self, va: u64) -> Result<u8, MemError> {
        let mut b = [0u8; 1];
        self.read(va, &mut b)?;
        Ok(b[0])
    }

    pub fn read_u16(&self, va: u64) -> Result<u16, MemError> {
        let mut b = [0u8; 2];
        self.read(va, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    pub fn read_u32(&self, va: u64) -> Result<u32, MemError> {
        let mut b = [0u8; 4];
        self.read(va, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn read_u64(&self, va: u64) -> Result<u64, MemError> {
        let mut b = [0u8; 8];
        self.read(va, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads a pointer-sized value (4 bytes on x86, 8 on x64).
    pub fn read_ptr(&self, va: u64) -> Result<u64, MemError> {
        match self.arch {
            Arch::X86 => self.read_u32(va).map(u64::from),
            Arch::X64 => self.read_u64(va),
        }
    }

    pub fn write_u8(&mut self, va: u64, v: u8) -> Result<(), MemError> {
        self.write(va, &[v])
    }

    pub fn write_u16(&mut self, va: u64, v: u16) -> Result<(), MemError> {
        self.write(va, &v.to_le_bytes())
    }

    pub fn write_u32(&mut self, va: u64, v: u32) -> Result<(), MemError> {
        self.write(va, &v.to_le_bytes())
    }

    pub fn write_u64(&mut self, va: u64, v: u64) -> Result<(), MemError> {
        self.write(va, &v.to_le_bytes())
    }

    /// Writes a pointer-sized value (4 bytes on x86, 8 on x64).
    pub fn write_ptr(&mut self, va: u64, v: u64) -> Result<(), MemError> {
        match self.arch {
            Arch::X86 => self.write_u32(va, v as u32),
            Arch::X64 => self.write_u64(va, v),
        }
    }

    /// Reads `len` bytes at `va` into a new vector, a page at a time: a length the guest
    /// made up fails at the first unmapped page instead of being allocated on the host first.
    pub fn read_vec(&self, va: u64, len: u64) -> Result<Vec<u8>, MemError> {
        let mut out = Vec::new();
        let mut addr = va;
        while (out.len() as u64) < len {
            let n = (PAGE_SIZE - addr % PAGE_SIZE).min(len - out.len() as u64) as usize;
            let start = out.len();
            out.resize(start + n, 0);
            self.read(addr, &mut out[start..])?;
            addr = addr.wrapping_add(n as u64);
        }
        Ok(out)
    }

    /// Reads up to `max` bytes at `va`, stopping early at an unmapped page.
    pub fn read_partial(&self, va: u64, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut addr = va;
        while out.len() < max {
            let n = (PAGE_SIZE - addr % PAGE_SIZE).min((max - out.len()) as u64) as usize;
            let start = out.len();
            out.resize(start + n, 0);
            if self.read(addr, &mut out[start..]).is_err() {
                out.truncate(start);
                break;
            }
            addr = addr.wrapping_add(n as u64);
        }
        out
    }
}

/// How much guest RAM a machine uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemoryUsage {
    pub used: u64,
    pub peak: u64,
    pub limit: u64,
}
