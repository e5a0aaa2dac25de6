//! A small translation cache for host-side guest-memory access.
//!
//! HLE routines touch guest memory a few bytes at a time (an IRP field, a pool header, a
//! string), and every access would otherwise walk the page tables in guest RAM again: the
//! walk was a quarter of an IOCTL round trip. This direct-mapped cache keeps recent
//! leaf translations; any change to a mapping empties it.

use std::cell::Cell;

use super::paging::Leaf;
use super::{Prot, PAGE_SIZE};

const ENTRIES: usize = 64;

/// Tag bit 0 marks a valid entry (page numbers are shifted left by one).
#[derive(Clone, Copy, Default)]
struct Entry {
    tag: u64,
    frame: u64,
    prot: (bool, bool),
}

pub(crate) struct Tlb {
    entries: [Cell<Entry>; ENTRIES],
    /// How many times it was emptied: translations taken before stay valid while it holds.
    generation: Cell<u64>,
}

impl Default for Tlb {
    fn default() -> Tlb {
        Tlb { entries: std::array::from_fn(|_| Cell::new(Entry::default())), generation: Cell::new(0) }
    }
}

impl Tlb {
    fn slot(va: u64) -> (usize, u64) {
        let vpn = va / PAGE_SIZE;
        ((vpn as usize) % ENTRIES, (vpn << 1) | 1)
    }

    pub(crate) fn get(&self, va: u64) -> Option<Leaf> {
        let (i, tag) = Self::slot(va);
        let e = self.entries[i].get();
        (e.tag == tag).then_some(Leaf { frame: e.frame, prot: Prot { write: e.prot.0, exec: e.prot.1 } })
    }

    pub(crate) fn insert(&self, va: u64, leaf: Leaf) {
        let (i, tag) = Self::slot(va);
        self.entries[i].set(Entry { tag, frame: leaf.frame, prot: (leaf.prot.write, leaf.prot.exec) });
    }

    /// Bumped by every [`clear`](Tlb::clear).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.get()
    }

    /// Forgets everything (a mapping or a protection changed).
    pub(crate) fn clear(&self) {
        self.generation.set(self.generation.get() + 1);
        for e in &self.entries {
            e.set(Entry::default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_by_page_and_forgets_on_clear() {
        let t = Tlb::default();
        assert_eq!(t.get(0x1234), None);
        let leaf = Leaf { frame: 0x10_0000, prot: Prot::RW };
        t.insert(0x1234, leaf);
        assert_eq!(t.get(0x1FFF), Some(leaf));
        assert_eq!(t.get(0x1000 + ENTRIES as u64 * PAGE_SIZE), None, "same slot, other page");
        assert_eq!(t.get(0), None, "page 0 never matches an empty entry");
        t.clear();
        assert_eq!(t.get(0x1234), None);
    }
}
