//! Guest page tables: classic two-level 32-bit paging (x86) and four-level long-mode paging
//! (x64), kept in guest RAM exactly as the CPU walks them.
//!
//! Driver code runs at CPL3 (see docs/architecture.md), so every page it may touch is a user
//! page (U/S = 1). Intermediate entries grant everything; leaf entries carry the protection.
//!
//! As Windows does, one top-level entry points back at the root (the *self-map*), so the
//! tables themselves show at fixed virtual addresses, the page-table window: x64 uses
//! Windows 7's index 0x1ED (PTE_BASE 0xFFFFF680_00000000, the root at 0xFFFFF6FB_7DBED000);
//! x86, which pages without PAE here, index 0x300 (PTE_BASE 0xC0000000, the page directory
//! at 0xC0300000). The entry is read-only and not executable, so every page of the window is
//! too: the host owns these tables (regions, the translation cache, the user view are kept
//! beside them), and a driver editing a PTE behind its back would leave them describing
//! mappings that no longer exist. A write through the window is a page fault.
//! Every walk here is bounded by the number of levels, so the recursive entry cannot make
//! one loop; the host never maps, unmaps or reprotects a page inside the window.

use std::cell::{Cell, RefCell};

use super::ram::Ram;
use super::{MemError, Prot, PAGE_SIZE};

const P: u64 = 1;
const W: u64 = 1 << 1;
const U: u64 = 1 << 2;
const A: u64 = 1 << 5;
const D: u64 = 1 << 6;
const NX: u64 = 1 << 63;
const ADDR_MASK_64: u64 = 0x000F_FFFF_FFFF_F000;
const ADDR_MASK_32: u64 = 0xFFFF_F000;

/// The root's entry that points back at the root, per paging mode.
const SELF_MAP_64: u64 = 0x1ED;
const SELF_MAP_32: u64 = 0x300;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Paging {
    /// 32-bit, 4-byte entries, 1024 per table, no NX.
    TwoLevel,
    /// 64-bit, 8-byte entries, 512 per table, NX in bit 63.
    FourLevel,
}

/// A page-table hierarchy rooted at `root` (the value CR3 holds).
pub(crate) struct PageTables {
    pub(crate) mode: Paging,
    pub(crate) root: u64,
    /// The tables the last user view copied entries of (the root, the tables on the exempt
    /// pages' paths), and whether an entry of one has changed since: the view is out of
    /// date then, and only then (every other table is shared with it).
    viewed: RefCell<Vec<u64>>,
    view_stale: Cell<bool>,
}

/// A present leaf mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub(crate) frame: u64,
    pub(crate) prot: Prot,
}

impl PageTables {
    pub(crate) fn new(mode: Paging, ram: &mut Ram) -> Result<PageTables, MemError> {
        let root = ram.alloc_machine_frame()?;
        let tables = PageTables { mode, root, viewed: RefCell::new(Vec::new()), view_stale: Cell::new(true) };
        // Present, user (driver code runs at CPL3), never writable, never executable.
        let self_map = match mode {
            Paging::TwoLevel => root | P | U | A,
            Paging::FourLevel => root | P | U | A | NX,
        };
        tables.write_entry(ram, root + tables.self_map_index() * tables.entry_size(), self_map);
        Ok(tables)
    }

    /// The root's index of the self-map entry.
    fn self_map_index(&self) -> u64 {
        match self.mode {
            Paging::TwoLevel => SELF_MAP_32,
            Paging::FourLevel => SELF_MAP_64,
        }
    }

    /// The page-table window: `[start, end)` of the virtual addresses the self-map covers.
    pub(crate) fn window(&self) -> (u64, u64) {
        match self.mode {
            Paging::TwoLevel => (SELF_MAP_32 << 22, (SELF_MAP_32 + 1) << 22),
            Paging::FourLevel => (canonical(SELF_MAP_64 << 39), canonical((SELF_MAP_64 + 1) << 39)),
        }
    }

    /// Whether `va` (already masked to the architecture) lies in the page-table window.
    pub(crate) fn in_window(&self, va: u64) -> bool {
        let (start, end) = self.window();
        va >= start && va < end
    }

    /// Where the window shows the page-table page `frame` (page-aligned), if it is one of
    /// these tables: a table reached from the root by the indices `path` shows at the
    /// address whose first indices are all the self-map's and whose last are `path`. The
    /// search skips the self-map entry and goes no deeper than the tables do.
    pub(crate) fn window_address(&self, ram: &Ram, frame: u64) -> Option<u64> {
        let levels = self.indices(0).1;
        let path = self.find_table(ram, self.root, frame, 0, levels)?;
        let mut idx = vec![self.self_map_index(); levels - path.len()];
        idx.extend(path);
        let va = match self.mode {
            Paging::TwoLevel => (idx[0] << 22) | (idx[1] << 12),
            Paging::FourLevel => canonical((idx[0] << 39) | (idx[1] << 30) | (idx[2] << 21) | (idx[3] << 12)),
        };
        Some(va)
    }

    /// The indices from `table` (at `depth`, the root being 0) to the table `frame`.
    fn find_table(&self, ram: &Ram, table: u64, frame: u64, depth: usize, levels: usize) -> Option<Vec<u64>> {
        if table == frame {
            return Some(Vec::new());
        }
        // Entries of the last level map pages, not tables.
        if depth + 1 >= levels {
            return None;
        }
        for i in 0..4096 / self.entry_size() {
            if depth == 0 && i == self.self_map_index() {
                continue;
            }
            let e = self.read_entry(ram, table + i * self.entry_size());
            if e & P == 0 {
                continue;
            }
            if let Some(mut rest) = self.find_table(ram, self.addr(e), frame, depth + 1, levels) {
                rest.insert(0, i);
                return Some(rest);
            }
        }
        None
    }

    /// Indices of `va` at each level, root first.
    fn indices(&self, va: u64) -> ([u64; 4], usize) {
        match self.mode {
            Paging::TwoLevel => ([(va >> 22) & 0x3FF, (va >> 12) & 0x3FF, 0, 0], 2),
            Paging::FourLevel => ([(va >> 39) & 0x1FF, (va >> 30) & 0x1FF, (va >> 21) & 0x1FF, (va >> 12) & 0x1FF], 4),
        }
    }

    fn entry_size(&self) -> u64 {
        match self.mode {
            Paging::TwoLevel => 4,
            Paging::FourLevel => 8,
        }
    }

    fn read_entry(&self, ram: &Ram, pa: u64) -> u64 {
        match self.mode {
            Paging::TwoLevel => ram.read_u32(pa) as u64,
            Paging::FourLevel => ram.read_u64(pa),
        }
    }

    fn write_entry(&self, ram: &mut Ram, pa: u64, v: u64) {
        match self.mode {
            Paging::TwoLevel => ram.write_u32(pa, v as u32),
            Paging::FourLevel => ram.write_u64(pa, v),
        }
    }

    /// Writes an entry of these tables (not of a user view's copies), noting whether the
    /// user view copied it.
    fn edit_entry(&self, ram: &mut Ram, pa: u64, v: u64) {
        if !self.view_stale.get() && self.viewed.borrow().contains(&(pa & !(PAGE_SIZE - 1))) {
            self.view_stale.set(true);
        }
        self.write_entry(ram, pa, v);
    }

    /// Whether the last user view written no longer matches these tables.
    pub(crate) fn user_view_stale(&self) -> bool {
        self.view_stale.get()
    }

    /// What a leaf entry a driver wrote says: None when not present, else the frame and the
    /// protection (the user/supervisor bit aside: driver code runs at CPL3, so every page a
    /// driver reaches is a user page here).
    pub(crate) fn leaf_meaning(&self, entry: u64) -> Option<(u64, Prot)> {
        if entry & P == 0 {
            return None;
        }
        let exec = self.mode == Paging::TwoLevel || entry & NX == 0;
        Some((self.addr(entry), Prot { write: entry & W != 0, exec }))
    }

    fn addr(&self, entry: u64) -> u64 {
        match self.mode {
            Paging::TwoLevel => entry & ADDR_MASK_32,
            Paging::FourLevel => entry & ADDR_MASK_64,
        }
    }

    /// Physical address of the leaf entry for `va`, creating intermediate tables if asked.
    fn leaf_slot(&self, ram: &mut Ram, va: u64, create: bool) -> Result<Option<u64>, MemError> {
        let (idx, levels) = self.indices(va);
        let mut table = self.root;
        for &i in &idx[..levels - 1] {
            let slot = table + i * self.entry_size();
            let e = self.read_entry(ram, slot);
            table = if e & P != 0 {
                self.addr(e)
            } else if create {
                let t = ram.alloc_machine_frame()?;
                self.edit_entry(ram, slot, t | P | W | U | A);
                t
            } else {
                return Ok(None);
            };
        }
        Ok(Some(table + idx[levels - 1] * self.entry_size()))
    }

    pub(crate) fn map(&self, ram: &mut Ram, va: u64, frame: u64, prot: Prot) -> Result<(), MemError> {
        if self.in_window(va) {
            // The walk would go through the self-map and write a table entry.
            return Err(MemError::Overlap { addr: va });
        }
        let slot = self.leaf_slot(ram, va, true)?.expect("created");
        let mut e = frame | P | U | A | D;
        if prot.write {
            e |= W;
        }
        if !prot.exec && self.mode == Paging::FourLevel {
            e |= NX;
        }
        self.edit_entry(ram, slot, e);
        Ok(())
    }

    /// Removes the mapping of `va`, returning the frame it pointed to.
    pub(crate) fn unmap(&self, ram: &mut Ram, va: u64) -> Option<u64> {
        if self.in_window(va) {
            return None;
        }
        let slot = self.leaf_slot(ram, va, false).ok()??;
        let e = self.read_entry(ram, slot);
        if e & P == 0 {
            return None;
        }
        self.edit_entry(ram, slot, 0);
        Some(self.addr(e))
    }

    /// The leaf mapping of `va`, its protection what the processor grants: writable only if
    /// every level's entry is, executable only if none forbids it (the self-map entry makes
    /// the window read-only that way).
    pub(crate) fn lookup(&self, ram: &Ram, va: u64) -> Option<Leaf> {
        let (idx, levels) = self.indices(va);
        let mut table = self.root;
        let mut write = true;
        let mut exec = true;
        for (n, &i) in idx[..levels].iter().enumerate() {
            let e = self.read_entry(ram, table + i * self.entry_size());
            if e & P == 0 {
                return None;
            }
            write &= e & W != 0;
            exec &= self.mode == Paging::TwoLevel || e & NX == 0;
            if n == levels - 1 {
                return Some(Leaf { frame: self.addr(e), prot: Prot { write, exec } });
            }
            table = self.addr(e);
        }
        None
    }

    /// Writes into the frame `into` the root of the *user view* of these tables: every
    /// top-level entry copied (the lower tables are shared, so later mappings under them show
    /// through), those of the kernel half with U/S cleared. The processor ANDs U/S across
    /// levels, so code at CPL3 under this root reaches the user half only, and the pages in
    /// `exempt`: for each, the tables on its path get private copies (frames from `spare`,
    /// taken in order, more allocated when it runs out) in which every other entry is
    /// supervisor-only.
    pub(crate) fn write_user_view(
        &self,
        ram: &mut Ram,
        into: u64,
        exempt: &[u64],
        spare: &mut Vec<u64>,
    ) -> Result<(), MemError> {
        self.view_stale.set(true); // until the whole view is written
        let entries = 4096 / self.entry_size();
        let half = entries / 2;
        for i in 0..entries {
            let e = self.read_entry(ram, self.root + i * self.entry_size());
            let e = if i >= half { e & !U } else { e };
            self.write_entry(ram, into + i * self.entry_size(), e);
        }
        let mut used = 0;
        // (original table, its private copy) already made.
        let mut copies: Vec<(u64, u64)> = Vec::new();
        let mut viewed = self.viewed.borrow_mut();
        viewed.clear();
        viewed.push(self.root);
        for &va in exempt {
            let (idx, levels) = self.indices(va);
            let mut src = self.root;
            let mut dst = into;
            for (level, &i) in idx[..levels].iter().enumerate() {
                let slot = i * self.entry_size();
                let e = self.read_entry(ram, src + slot);
                if e & P == 0 {
                    break;
                }
                if level == levels - 1 {
                    self.write_entry(ram, dst + slot, e);
                    break;
                }
                let table = self.addr(e);
                let copy = match copies.iter().find(|c| c.0 == table) {
                    Some(c) => c.1,
                    None => {
                        let frame = match spare.get(used) {
                            Some(f) => *f,
                            None => {
                                let f = ram.alloc_machine_frame()?;
                                spare.push(f);
                                f
                            }
                        };
                        used += 1;
                        for j in 0..entries {
                            let x = self.read_entry(ram, table + j * self.entry_size());
                            self.write_entry(ram, frame + j * self.entry_size(), x & !U);
                        }
                        copies.push((table, frame));
                        viewed.push(table);
                        frame
                    }
                };
                self.write_entry(ram, dst + slot, (e & !ADDR_MASK_64) | copy | U);
                src = table;
                dst = copy;
            }
        }
        self.view_stale.set(false);
        Ok(())
    }

    /// How many entries the root's user half has (the lower half of its entries: below
    /// 0x80000000 on x86, below 0x0000_8000_0000_0000 on x64).
    fn user_half_entries(&self) -> u64 {
        4096 / self.entry_size() / 2
    }

    /// The root's present user-half entries, by index: what an address space's user half
    /// is, once the tables under them are its own (memory/spaces.rs).
    pub(crate) fn take_user_half(&self, ram: &mut Ram) -> Vec<(u64, u64)> {
        let mut taken = Vec::new();
        for i in 0..self.user_half_entries() {
            let slot = self.root + i * self.entry_size();
            let e = self.read_entry(ram, slot);
            if e & P != 0 {
                taken.push((i, e));
                self.edit_entry(ram, slot, 0);
            }
        }
        taken
    }

    /// Puts back entries [`take_user_half`](PageTables::take_user_half) took (the user half
    /// is empty before).
    pub(crate) fn put_user_half(&self, ram: &mut Ram, entries: &[(u64, u64)]) {
        for &(i, e) in entries {
            self.edit_entry(ram, self.root + i * self.entry_size(), e);
        }
    }

    /// The frames of the tables under `entries` (user-half root entries): what an address
    /// space's user half holds beside its pages, freed with it.
    pub(crate) fn tables_under(&self, ram: &Ram, entries: &[(u64, u64)]) -> Vec<u64> {
        let levels = self.indices(0).1;
        let mut frames = Vec::new();
        let mut level: Vec<u64> = entries.iter().map(|(_, e)| self.addr(*e)).collect();
        // The tables at each depth below the root; the last level's entries map pages.
        for depth in 1..levels {
            frames.extend(&level);
            if depth + 1 >= levels {
                break;
            }
            let mut next = Vec::new();
            for &t in &level {
                for j in 0..4096 / self.entry_size() {
                    let e = self.read_entry(ram, t + j * self.entry_size());
                    if e & P != 0 {
                        next.push(self.addr(e));
                    }
                }
            }
            level = next;
        }
        frames
    }

    /// Changes the protection of an existing mapping; false if `va` is not mapped.
    pub(crate) fn protect(&self, ram: &mut Ram, va: u64, prot: Prot) -> bool {
        if self.in_window(va) {
            return false;
        }
        match self.lookup(ram, va) {
            Some(leaf) => self.map(ram, va, leaf.frame, prot).is_ok(),
            None => false,
        }
    }
}

/// `va` with bit 47 copied into the bits above it (a canonical x64 address).
fn canonical(va: u64) -> u64 {
    (((va << 16) as i64) >> 16) as u64
}

/// Rounds `v` up to a whole number of pages.
pub(crate) fn page_round_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE_SIZE - 1).map(|x| x & !(PAGE_SIZE - 1))
}
