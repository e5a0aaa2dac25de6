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
use crate::ports::iopm;

/// Pages the TSS and its map can span (0x2069 bytes from any offset in a page).
const PAGES: usize = ((TSS_SIZE + IOPM_SIZE - 1) / PAGE_SIZE + 2) as usize;

pub(crate) struct TssView {
    /// The memory, TSS address and mapping generation the pages were resolved for.
    resolved: Option<(*const GuestMemory, u64, u64)>,
    /// The host address of each page of the TSS in RAM (null: unmapped, or not main RAM).
    pages: [*const u8; PAGES],
    /// The host address of the TSS's first byte when all of it (the map included) lies in
    /// consecutive host memory, as it does in practice: one pointer for the whole check.
    whole: *const u8,
}

impl Default for TssView {
    fn default() -> TssView {
        TssView { resolved: None, pages: [std::ptr::null(); PAGES], whole: std::ptr::null() }
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
        let spanned = &self.pages[..((tss % PAGE_SIZE + TSS_SIZE + IOPM_SIZE - 1) / PAGE_SIZE + 1) as usize];
        let consecutive = spanned.iter().all(|p| !p.is_null())
            && spanned.windows(2).all(|w| w[1] == w[0].wrapping_add(PAGE_SIZE as usize));
        self.whole =
            if consecutive { self.pages[0].wrapping_add((tss % PAGE_SIZE) as usize) } else { std::ptr::null() };
    }
}

/// A TSS whose pages are resolved for the current mapping generation.
pub(crate) struct TssBytes<'a> {
    view: &'a TssView,
    mem: &'a GuestMemory,
    tss: u64,
}

impl TssBytes<'_> {
    /// Whether the map the TSS's IoMapBase selects grants an access of `width` bytes at
    /// `port` (every bit covering it clear, bits past the TSS limit counting as set); None
    /// when the TSS is not in consecutive RAM, for the byte-by-byte path to answer.
    #[inline]
    pub(crate) fn map_grants(&self, port: u16, width: u16) -> Option<bool> {
        let tss = self.view.whole;
        if tss.is_null() {
            return None;
        }
        const LIMIT: u64 = TSS_SIZE + IOPM_SIZE - 1;
        // SAFETY: `whole` is set only when the TSS's TSS_SIZE + IOPM_SIZE bytes are
        // consecutive RAM of the current mapping generation (see `byte`); every offset read
        // is at most LIMIT.
        let byte = |at: u64| if at > LIMIT { 0xFF } else { unsafe { tss.add(at as usize).read() } };
        let base = u16::from_le_bytes([byte(0x66), byte(0x67)]) as u64;
        let first = base + port as u64 / 8;
        let mask = ((1u32 << width) - 1) << (port % 8);
        let mut bits = byte(first) as u32;
        if mask > 0xFF {
            bits |= (byte(first + 1) as u32) << 8;
        }
        Some(bits & mask == 0)
    }

    /// [`map_grants`](Self::map_grants) read a byte at a time, for a TSS that is not in
    /// consecutive RAM (an unreadable IoMapBase denies every port).
    #[cold]
    pub(crate) fn map_grants_bytewise(&self, port: u16, width: u16) -> bool {
        let base = match (self.byte(0x66), self.byte(0x67)) {
            (Some(lo), Some(hi)) => u16::from_le_bytes([lo, hi]) as u64,
            _ => u64::MAX,
        };
        let limit = TSS_SIZE + IOPM_SIZE - 1;
        // Only the (at most two) bytes of the map covering the access matter; bytes past
        // the TSS limit are left out, so the pure check denies them.
        let first = port as u64 / 8;
        let last = (port as u64 + width as u64 - 1) / 8;
        let mut window = [0u8; 2];
        let mut n = 0;
        for idx in first..=last {
            let at = base.saturating_add(idx);
            if at > limit {
                break;
            }
            window[n] = self.byte(at).unwrap_or(0xFF);
            n += 1;
        }
        iopm::io_allowed(3, 0, &window[..n], port % 8, width)
    }

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
    use crate::cpu::descriptors::{IOPM_SIZE, TSS_SIZE};
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

    #[test]
    fn the_one_pointer_check_answers_as_the_byte_by_byte_one() {
        let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
        // The machine's own TSS takes the one-pointer path.
        let real = m.tss();
        assert!(TssView::default().reader(m.mem(), real).map_grants(0x80, 1).is_some());
        let (va, _) =
            m.mem_mut().alloc_contiguous(RegionKind::Pool, "fake tss", 0x4000, (0, u64::MAX), 0, Prot::RW).unwrap();
        let va = va + 0x7F0;
        // A patterned map: every mix of granted and denied neighbours.
        let map: Vec<u8> = (0..IOPM_SIZE as usize).map(|i| (i as u8).wrapping_mul(0x9D) ^ 0x5A).collect();
        m.mem_mut().write(va + TSS_SIZE, &map).unwrap();
        let mut view = TssView::default();
        // IoMapBase at the usual place, one byte before the map's end, at the limit, past it.
        let limit = (TSS_SIZE + IOPM_SIZE - 1) as u16;
        for base in [TSS_SIZE as u16, 0x70, limit - 0x2000, limit - 1, limit, limit + 1, 0xFFFF] {
            m.mem_mut().write(va + 0x66, &base.to_le_bytes()).unwrap();
            let bytes = view.reader(m.mem(), va);
            for port in (0..=0xFFFFu16).step_by(7).chain([0xFFFD, 0xFFFE, 0xFFFF]) {
                for width in [1, 2, 4] {
                    let fast = bytes.map_grants(port, width).expect("the TSS is in consecutive RAM");
                    assert_eq!(fast, bytes.map_grants_bytewise(port, width), "base {base:#x} port {port:#x}/{width}");
                }
            }
        }
    }
}
