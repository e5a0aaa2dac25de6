//! Address spaces: one user half per process, one kernel half for all.
//!
//! As on Windows, every process sees the same kernel half and a user half of its own. The
//! machine keeps one root table (CR3 never changes between processes): the *loaded* space's
//! user half is in the root's lower entries, and each other space keeps its root entries
//! (the tables under them are its own), its regions and its allocation cursor aside, here.
//! Switching puts one set aside and the other in, drops every translation (the host's cache
//! and Unicorn's TLB) and leaves the user view to be rewritten (it copies the root's
//! entries). Space 0 is the one the machine starts with: the System process's, where every
//! driver-only run stays.

use std::collections::BTreeMap;

use super::{GuestMemory, MemError, Region, RegionKind};

/// An address space's number (0: the one the machine starts with).
pub type SpaceId = u32;

/// A user half that is not loaded.
#[derive(Default)]
pub(crate) struct UserHalf {
    /// Its root entries, by index.
    entries: Vec<(u64, u64)>,
    regions: BTreeMap<u64, Region>,
    /// Where its next user allocation is looked for.
    cursor: u64,
}

/// The spaces that exist besides the loaded one.
#[derive(Default)]
pub(crate) struct Spaces {
    pub(crate) loaded: SpaceId,
    next: SpaceId,
    aside: BTreeMap<SpaceId, UserHalf>,
}

impl GuestMemory {
    /// Where the user half ends (the kernel half's first address).
    fn user_half_end(&self) -> u64 {
        match self.arch {
            crate::Arch::X86 => 0x8000_0000,
            crate::Arch::X64 => 0x0000_8000_0000_0000,
        }
    }

    /// The loaded address space.
    pub fn space(&self) -> SpaceId {
        self.spaces.loaded
    }

    /// Whether `id` is an address space (loaded or not).
    pub fn space_exists(&self, id: SpaceId) -> bool {
        id == self.spaces.loaded || self.spaces.aside.contains_key(&id)
    }

    /// A new address space with an empty user half (not loaded), whose user allocations
    /// are placed from `first` on (within the user arena).
    pub fn new_space(&mut self, first: u64) -> SpaceId {
        self.spaces.next = self.spaces.next.max(self.spaces.loaded) + 1;
        let id = self.spaces.next;
        let cursor = self.layout.arena(RegionKind::User).map(|a| first.clamp(a.base, a.limit)).unwrap_or(0);
        self.spaces.aside.insert(id, UserHalf { cursor, ..UserHalf::default() });
        id
    }

    /// Loads address space `id`: its user half is what every access, the host's and the
    /// guest's, reaches from now on.
    pub fn switch_space(&mut self, id: SpaceId) -> Result<(), MemError> {
        if id == self.spaces.loaded {
            return Ok(());
        }
        let incoming = self.spaces.aside.remove(&id).ok_or(MemError::NoSpace { id })?;
        let outgoing = self.take_user_half();
        let old = std::mem::replace(&mut self.spaces.loaded, id);
        self.spaces.aside.insert(old, outgoing);
        self.put_user_half(incoming);
        Ok(())
    }

    /// Ends address space `id` (not the loaded one): its pages and tables go back to the
    /// pool (views of other regions' frames only unmapped).
    pub fn drop_space(&mut self, id: SpaceId) -> Result<(), MemError> {
        if id == self.spaces.loaded || !self.spaces.aside.contains_key(&id) {
            return Err(MemError::NoSpace { id });
        }
        let home = self.spaces.loaded;
        self.switch_space(id)?;
        let bases: Vec<u64> = self.regions.range(..self.user_half_end()).map(|(b, _)| *b).collect();
        for base in bases {
            self.free(base)?;
        }
        let entries = self.tables.take_user_half(&mut self.ram);
        for frame in self.tables.tables_under(&self.ram, &entries) {
            self.ram.free_frame(frame);
        }
        self.switch_space(home)?;
        self.spaces.aside.remove(&id);
        Ok(())
    }

    /// Takes the loaded user half out of the tables and the region map.
    fn take_user_half(&mut self) -> UserHalf {
        let end = self.user_half_end();
        let kernel = self.regions.split_off(&end);
        let regions = std::mem::replace(&mut self.regions, kernel);
        let entries = self.tables.take_user_half(&mut self.ram);
        let cursor = self.cursors.iter().find(|(k, _)| *k == RegionKind::User).map(|c| c.1).unwrap_or(0);
        self.forget_translations();
        UserHalf { entries, regions, cursor }
    }

    /// Puts a user half into the (empty) tables and region map.
    fn put_user_half(&mut self, half: UserHalf) {
        self.tables.put_user_half(&mut self.ram, &half.entries);
        self.regions.extend(half.regions);
        if let Some(c) = self.cursors.iter_mut().find(|(k, _)| *k == RegionKind::User) {
            c.1 = half.cursor;
        }
        self.forget_translations();
    }

    /// Every translation of a user address may have changed.
    fn forget_translations(&mut self) {
        self.tlb.clear();
        self.uc.flush_tlb();
    }
}
