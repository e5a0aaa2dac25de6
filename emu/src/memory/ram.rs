//! Guest physical RAM: host-owned anonymous mappings handed to Unicorn, and a frame allocator.
//!
//! Owning the RAM lets the host side read and write guest memory through plain pointers
//! instead of a Unicorn call per access. RAM grows in chunks as frames are needed, up to the
//! machine's memory cap.

use memmap2::MmapMut;

use super::{MemError, PAGE_SIZE};
use crate::uc::Uc;

/// Where the RAM the kernel hands out starts in the physical address space; the first MiB
/// holds the legacy areas (conventional memory, the VGA window, ROMs: see `crate::physical`).
pub const RAM_BASE: u64 = 0x0010_0000;
/// RAM is mapped into the engine in chunks of this size.
pub(crate) const CHUNK: u64 = 4 << 20;

/// Where main RAM ends for a memory cap of `limit_bytes`: whole chunks, below the PCI hole.
pub(crate) fn ram_end(limit_bytes: u64) -> u64 {
    let most = (crate::physical::PCI_HOLE - RAM_BASE) / CHUNK;
    RAM_BASE + limit_bytes.div_ceil(CHUNK).clamp(1, most) * CHUNK
}

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
    /// Where main RAM ends (whole chunks).
    end: u64,
    /// One bit per frame the machine keeps for itself (page tables, descriptor tables,
    /// stubs): device DMA never reaches them.
    machine: Vec<u64>,
}

impl Ram {
    pub(crate) fn new(uc: Uc, limit_bytes: u64) -> Ram {
        let end = ram_end(limit_bytes);
        Ram {
            end,
            uc,
            chunks: Vec::new(),
            next: RAM_BASE,
            free: Vec::new(),
            used: 0,
            peak: 0,
            limit_frames: limit_bytes.min(end - RAM_BASE) / PAGE_SIZE,
            machine: Vec::new(),
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
                if self.next >= self.end {
                    return Err(MemError::LimitExceeded { limit: self.limit_frames * PAGE_SIZE });
                }
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

    /// A zeroed frame the machine keeps for itself (a page table): never reached by DMA.
    pub(crate) fn alloc_machine_frame(&mut self) -> Result<u64, MemError> {
        let pa = self.alloc_frame()?;
        self.set_machine(pa, true);
        Ok(pa)
    }

    /// Marks (or unmarks) the frame holding `pa` as the machine's own.
    pub(crate) fn set_machine(&mut self, pa: u64, machine: bool) {
        let Some(i) = pa.checked_sub(RAM_BASE).map(|r| (r / PAGE_SIZE) as usize) else { return };
        if self.machine.len() <= i / 64 {
            if !machine {
                return;
            }
            self.machine.resize(i / 64 + 1, 0);
        }
        if machine {
            self.machine[i / 64] |= 1 << (i % 64);
        } else {
            self.machine[i / 64] &= !(1 << (i % 64));
        }
    }

    /// Whether a device may reach `pa` by DMA: main RAM handed out at some point (frames never
    /// handed out must stay zero for the allocator) that the machine does not keep for itself.
    pub(crate) fn dma_reachable(&self, pa: u64) -> bool {
        if pa < RAM_BASE || pa >= self.next || !self.contains(pa) {
            return false;
        }
        let i = ((pa - RAM_BASE) / PAGE_SIZE) as usize;
        self.machine.get(i / 64).is_none_or(|w| w & (1 << (i % 64)) == 0)
    }

    pub(crate) fn free_frame(&mut self, pa: u64) {
        self.set_machine(pa, false);
        self.used = self.used.saturating_sub(1);
        self.free.push(pa);
    }

    /// Backs every chunk up to the one holding `pa` (RAM the kernel never handed out reads
    /// zero, as fresh memory does). False if `pa` is beyond RAM.
    pub(crate) fn ensure_backed(&mut self, pa: u64) -> Result<bool, MemError> {
        if pa < RAM_BASE || pa >= self.end {
            return Ok(false);
        }
        while !self.contains(pa) {
            self.grow()?;
        }
        Ok(true)
    }

    /// `count` physically contiguous zeroed frames from never-used memory, the first aligned
    /// to `align` bytes and none crossing a multiple of `boundary` (0: no boundary), all
    /// within `[lowest, highest]`. Frames before the run that alignment skips are given to
    /// the free list.
    pub(crate) fn alloc_contiguous(
        &mut self,
        count: u64,
        (lowest, highest): (u64, u64),
        boundary: u64,
    ) -> Result<u64, MemError> {
        if self.used + count > self.limit_frames {
            return Err(MemError::LimitExceeded { limit: self.limit_frames * PAGE_SIZE });
        }
        let bytes = count * PAGE_SIZE;
        let mut start = self.next.max(lowest.div_ceil(PAGE_SIZE) * PAGE_SIZE);
        if boundary != 0 {
            if bytes > boundary {
                return Err(MemError::BadSize { size: bytes });
            }
            if start / boundary != (start + bytes - 1) / boundary {
                start = (start / boundary + 1) * boundary;
            }
        }
        let end = start.checked_add(bytes).ok_or(MemError::BadSize { size: bytes })?;
        if end > self.end || end - 1 > highest {
            return Err(MemError::LimitExceeded { limit: self.limit_frames * PAGE_SIZE });
        }
        self.ensure_backed(end - 1)?;
        for skipped in (self.next..start).step_by(PAGE_SIZE as usize) {
            self.free.push(skipped);
        }
        for f in (start..end).step_by(PAGE_SIZE as usize) {
            self.page_mut(f).fill(0);
        }
        self.next = end;
        self.used += count;
        self.peak = self.peak.max(self.used);
        Ok(start)
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

    /// Where main RAM ends.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Whether `pa` is main RAM (backed yet or not).
    pub(crate) fn in_extent(&self, pa: u64) -> bool {
        (RAM_BASE..self.end).contains(&pa)
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
