//! Guest physical RAM: host-owned anonymous mappings handed to Unicorn, and a frame allocator.
//!
//! Owning the RAM lets the host side read and write guest memory through plain pointers
//! instead of a Unicorn call per access. RAM grows in chunks as frames are needed, up to the
//! machine's memory cap.

use memmap2::MmapMut;

use super::{MemError, PAGE_SIZE};
use crate::uc::Uc;

/// Where guest RAM starts in the physical address space; the first MiB is left for the
/// legacy areas (real-mode IVT, BIOS data, VGA, option ROMs) a later physical map will model.
pub const RAM_BASE: u64 = 0x0010_0000;
/// RAM is mapped into the engine in chunks of this size.
const CHUNK: u64 = 4 << 20;

pub(crate) struct Ram {
    uc: Uc,
    chunks: Vec<MmapMut>,
    /// Next never-used frame.
    next: u64,
    /// Frames given back, reused before new ones.
    free: Vec<u64>,
    /// Frames currently in use.
    used: u64,
    /// Highest number of frames ever in use (for reports).
    peak: u64,
    limit_frames: u64,
}

impl Ram {
    pub(crate) fn new(uc: Uc, limit_bytes: u64) -> Ram {
        Ram {
            uc,
            chunks: Vec::new(),
            next: RAM_BASE,
            free: Vec::new(),
            used: 0,
            peak: 0,
            limit_frames: limit_bytes / PAGE_SIZE,
        }
    }

    /// A zeroed physical frame.
    pub(crate) fn alloc_frame(&mut self) -> Result<u64, MemError> {
        if self.used >= self.limit_frames {
            return Err(MemError::LimitExceeded { limit: self.limit_frames * PAGE_SIZE });
        }
        let pa = match self.free.pop() {
            Some(pa) => {
                self.page_mut(pa).fill(0);
                pa
            }
            None => {
                if self.next >= RAM_BASE + self.chunks.len() as u64 * CHUNK {
                    self.grow()?;
                }
                let pa = self.next;
                self.next += PAGE_SIZE;
                pa
            }
        };
        self.used += 1;
        self.peak = self.peak.max(self.used);
        Ok(pa)
    }

    pub(crate) fn free_frame(&mut self, pa: u64) {
        self.used = self.used.saturating_sub(1);
        self.free.push(pa);
    }

    fn grow(&mut self) -> Result<(), MemError> {
        let mut map = MmapMut::map_anon(CHUNK as usize).map_err(|e| MemError::Host(e.to_string()))?;
        let base = RAM_BASE + self.chunks.len() as u64 * CHUNK;
        self.uc.map_ptr(base, CHUNK, map.as_mut_ptr()).map_err(|e| MemError::Host(e.to_string()))?;
        self.chunks.push(map);
        Ok(())
    }

    /// The last frame of the mapped RAM, if it has never been handed out: zero, and free for
    /// a host probe that runs before set-up and leaves it zero again.
    pub(crate) fn spare_frame(&mut self) -> Option<(u64, &mut [u8])> {
        let pa = (RAM_BASE + self.chunks.len() as u64 * CHUNK).checked_sub(PAGE_SIZE)?;
        if self.chunks.is_empty() || pa < self.next {
            return None;
        }
        Some((pa, self.page_mut(pa)))
    }

    /// Whether `pa` is backed by RAM.
    pub(crate) fn contains(&self, pa: u64) -> bool {
        pa >= RAM_BASE && pa < RAM_BASE + self.chunks.len() as u64 * CHUNK
    }

    /// The 4 KiB frame containing `pa`. Panics only on a host bug (a frame we never handed out).
    pub(crate) fn page(&self, pa: u64) -> &[u8] {
        let (chunk, off) = self.locate(pa);
        &self.chunks[chunk][off..off + PAGE_SIZE as usize]
    }

    pub(crate) fn page_mut(&mut self, pa: u64) -> &mut [u8] {
        let (chunk, off) = self.locate(pa);
        &mut self.chunks[chunk][off..off + PAGE_SIZE as usize]
    }

    fn locate(&self, pa: u64) -> (usize, usize) {
        let rel = (pa & !(PAGE_SIZE - 1)) - RAM_BASE;
        ((rel / CHUNK) as usize, (rel % CHUNK) as usize)
    }

    pub(crate) fn read_u64(&self, pa: u64) -> u64 {
        let off = (pa % PAGE_SIZE) as usize;
        u64::from_le_bytes(self.page(pa)[off..off + 8].try_into().unwrap())
    }

    pub(crate) fn write_u64(&mut self, pa: u64, v: u64) {
        let off = (pa % PAGE_SIZE) as usize;
        self.page_mut(pa)[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn read_u32(&self, pa: u64) -> u32 {
        let off = (pa % PAGE_SIZE) as usize;
        u32::from_le_bytes(self.page(pa)[off..off + 4].try_into().unwrap())
    }

    pub(crate) fn write_u32(&mut self, pa: u64, v: u32) {
        let off = (pa % PAGE_SIZE) as usize;
        self.page_mut(pa)[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn used_bytes(&self) -> u64 {
        self.used * PAGE_SIZE
    }

    pub(crate) fn peak_bytes(&self) -> u64 {
        self.peak * PAGE_SIZE
    }

    pub(crate) fn limit_bytes(&self) -> u64 {
        self.limit_frames * PAGE_SIZE
    }
}
