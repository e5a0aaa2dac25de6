//! Where the TSS's bytes live in RAM, for the I/O permission check of every user-mode
//! `in`/`out`.
//!
//! The TSS in guest memory stays the one source of truth (drivers and the kernel write its
//! IoMapBase and bitmap), so the check reads its bytes on every access; what it keeps is only
//! the translation of the TSS's pages to their RAM frames, which a page-table walk per access
//! would otherwise redo. That translation is valid for one mapping generation of guest
//! memory (`GuestMemory::mapping_generation`: bumped by every unmap and protection change);
//! the first check after a change resolves the pages again.

use crate::cpu::descriptors::{IOPM_SIZE, TSS_SIZE};
use crate::memory::{GuestMemory, PAGE_SIZE};

/// Pages the TSS and its map can span (0x2069 bytes from any offset in a page).
const PAGES: usize = ((TSS_SIZE + IOPM_SIZE - 1) / PAGE_SIZE + 2) as usize;

pub(crate) struct TssView {
    /// The memory, TSS address and mapping generation the pages were resolved for.
    resolved: Option<(*const GuestMemory, u64, u64)>,
    /// The host address of each page of the TSS in RAM (null: unmapped, or not main RAM).
    pages: [*const u8; PAGES],
}

impl Default for TssView {
    fn default() -> TssView {
        TssView { resolved: None, pages: [std::ptr::null(); PAGES] }
    }
}

impl TssView {
    /// The TSS at `tss` in `mem`, its pages resolved if the mapping changed: for several
    /// bytes of one check.
    #[inline]
    pub(crate) fn reader<'a>(&'a mut self, mem: &'a GuestMemory, tss: u64) -> TssBytes<'a> {
        let key = (mem as *const GuestMemory, tss, mem.mapping_generation());
        if self.resolved != Some(key) {
            self.resolve(mem, tss);
            self.resolved = Some(key);
        }
        TssBytes { view: self, mem, tss }
    }

    #[cold]
    fn resolve(&mut self, mem: &GuestMemory, tss: u64) {
        let first = tss & !(PAGE_SIZE - 1);
        for (i, page) in self.pages.iter_mut().enumerate() {
            let frame = mem.translate(first + i as u64 * PAGE_SIZE).map(|pa| pa & !(PAGE_SIZE - 1));
            *page = frame.and_then(|f| mem.ram_page(f)).map_or(std::ptr::null(), |p| p.as_ptr());
        }
    }
}

/// A TSS whose pages are resolved for the current mapping generation.
pub(crate) struct TssBytes<'a> {
    view: &'a TssView,
    mem: &'a GuestMemory,
    tss: u64,
}

impl TssBytes<'_> {
    /// The byte at `offset` (< TSS_SIZE + IOPM_SIZE) into the TSS, as guest memory holds it
    /// now; None if it is unreadable.
    #[inline]
    pub(crate) fn byte(&self, offset: u64) -> Option<u8> {
        let va = self.tss.checked_add(offset)?;
        let page = (va / PAGE_SIZE - self.tss / PAGE_SIZE) as usize;
        match self.view.pages.get(page) {
            // SAFETY: the pointer was taken from `mem`'s RAM in the current mapping
            // generation (checked by `reader`, and `mem` stays borrowed), so the page is
            // still the TSS's; RAM chunks are never unmapped or moved while their memory
            // lives, and nothing writes guest memory while `mem` is borrowed.
            Some(p) if !p.is_null() => Some(unsafe { p.add((va % PAGE_SIZE) as usize).read() }),
            // Memory that is not RAM (or a hole): the slow path says what it holds.
            _ => self.mem.read_u8(va).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Prot, RegionKind};
    use crate::{Arch, Machine, MachineConfig};

    #[test]
    fn the_view_reads_what_memory_holds_now_and_follows_a_remapping() {
        let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
        let va = m.mem_mut().alloc(RegionKind::Pool, "fake tss", 0x4000, Prot::RW).unwrap() + 0xF00;
        let mut view = TssView::default();
        m.mem_mut().write(va + 0x1100, &[0x5A]).unwrap();
        assert_eq!(view.reader(m.mem(), va).byte(0x1100), Some(0x5A));
        // A write (host or guest) lands in the same RAM: seen at once, nothing to invalidate.
        m.mem_mut().write(va + 0x1100, &[0xA5]).unwrap();
        assert_eq!(view.reader(m.mem(), va).byte(0x1100), Some(0xA5));
        // The pages unmapped and other frames mapped at the same address: the view follows.
        let base = va - 0xF00;
        m.mem_mut().free(base).unwrap();
        assert_eq!(view.reader(m.mem(), va).byte(0x1100), None);
        m.mem_mut().map_fixed(RegionKind::Pool, "other tss", base, 0x4000, Prot::RW).unwrap();
        m.mem_mut().write(va + 0x1100, &[0x3C]).unwrap();
        assert_eq!(view.reader(m.mem(), va).byte(0x1100), Some(0x3C));
        assert_eq!(view.reader(m.mem(), va).byte(0x10), m.mem().read_u8(va + 0x10).ok());
    }
}
