//! Heaps: GetProcessHeap, HeapCreate, HeapDestroy, HeapAlloc, HeapFree, HeapReAlloc,
//! HeapSize, and the fixed-memory LocalAlloc/LocalFree and GlobalAlloc/GlobalFree over the
//! process heap.
//!
//! A heap is segments of the process's user memory (regions it owns, freed when it ends or
//! the heap is destroyed) carved by first fit. The bookkeeping (which blocks are in use,
//! their requested sizes, the free spans) lives on the host, not in headers in guest memory:
//! a program that writes past a block damages its neighbour's data, as on Windows, but never
//! the allocator, and a pointer that is no block of the heap (a double free, a foreign
//! pointer) is refused as Windows refuses it: HeapFree FALSE with ERROR_INVALID_PARAMETER,
//! HeapSize (SIZE_T)-1. The process heap is made on first use (and written to
//! PEB.ProcessHeap then). Blocks are aligned as
//! Windows aligns them (8 bytes on x86, 16 on x64); HeapSize is the size asked for.
//!
//! Movable memory (LMEM_MOVEABLE, GMEM_MOVEABLE, with its LocalLock/GlobalLock) is not built:
//! such a request fails with ERROR_NOT_SUPPORTED.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};
use portcullis_hle::kernel::{KError, KResult, KernelStop, Kx};
use portcullis_hle::types::{Ptr, SizeT, HANDLE};

use crate::error::{ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY, ERROR_NOT_SUPPORTED};
use crate::kernel32::thread::set_last_error;
use crate::table::BOOL;

pub const HEAP_NO_SERIALIZE: u32 = 0x1;
pub const HEAP_GENERATE_EXCEPTIONS: u32 = 0x4;
pub const HEAP_ZERO_MEMORY: u32 = 0x8;
pub const HEAP_REALLOC_IN_PLACE_ONLY: u32 = 0x10;
pub const HEAP_CREATE_ENABLE_EXECUTE: u32 = 0x4_0000;
const LMEM_MOVEABLE: u32 = 0x2;
const LMEM_ZEROINIT: u32 = 0x40;
/// STATUS_NO_MEMORY: what a heap with HEAP_GENERATE_EXCEPTIONS raises when it cannot serve.
const STATUS_NO_MEMORY: u32 = 0xC000_0017;
/// A growable heap's segments are at least this big.
const SEGMENT: u64 = 0x1_0000;
/// The start of each heap's first segment is its header (the heap handle points there).
const HEADER: u64 = 0x100;
/// The largest block anyone may ask for (what Windows' heap refuses beyond on x86).
const MAX_BLOCK: u64 = 0x7FFF_0000;

/// One heap's bookkeeping.
#[derive(Clone, Debug, Default)]
pub struct Heap {
    /// The handle (its first segment's base).
    pub handle: u64,
    flags: u32,
    /// Whether it may take more segments (HeapCreate's dwMaximumSize 0).
    growable: bool,
    /// (base, size) of each segment.
    segments: Vec<(u64, u64)>,
    /// Free spans: start -> length.
    free: BTreeMap<u64, u64>,
    /// Blocks in use: start -> (length taken, size asked for).
    used: BTreeMap<u64, (u64, u64)>,
    granularity: u64,
}

impl Heap {
    fn new(base: u64, size: u64, flags: u32, growable: bool, granularity: u64) -> Heap {
        let mut h = Heap { handle: base, flags, growable, granularity, ..Default::default() };
        h.segments.push((base, size));
        h.free.insert(base + HEADER, size - HEADER);
        h
    }

    /// The length a request of `size` bytes takes.
    fn rounded(&self, size: u64) -> u64 {
        size.max(1).div_ceil(self.granularity) * self.granularity
    }

    /// Takes a block of `size` bytes (first fit); its address.
    pub(crate) fn take(&mut self, size: u64) -> Option<u64> {
        let len = self.rounded(size);
        let (&at, &span) = self.free.iter().find(|(_, l)| **l >= len)?;
        self.free.remove(&at);
        if span > len {
            self.free.insert(at + len, span - len);
        }
        self.used.insert(at, (len, size));
        Some(at)
    }

    /// Gives back the block at `at`; false if no block starts there.
    pub(crate) fn give_back(&mut self, at: u64) -> bool {
        let Some((len, _)) = self.used.remove(&at) else { return false };
        self.release(at, len);
        true
    }

    /// Returns a span to the free list, merged with its free neighbours (segments never
    /// touch: a guard page follows each).
    fn release(&mut self, mut at: u64, mut len: u64) {
        if let Some((&prev, &plen)) = self.free.range(..at).next_back() {
            if prev + plen == at {
                self.free.remove(&prev);
                at = prev;
                len += plen;
            }
        }
        if let Some(next) = self.free.remove(&(at + len)) {
            len += next;
        }
        self.free.insert(at, len);
    }

    /// The size asked for of the block at `at`.
    pub(crate) fn size_of(&self, at: u64) -> Option<u64> {
        self.used.get(&at).map(|(_, size)| *size)
    }

    /// Resizes the block at `at` where it is, if the span after it allows.
    pub(crate) fn resize_in_place(&mut self, at: u64, size: u64) -> bool {
        let Some(&(len, _)) = self.used.get(&at) else { return false };
        let want = self.rounded(size);
        if want <= len {
            self.used.insert(at, (want, size));
            if want < len {
                self.release(at + want, len - want);
            }
            return true;
        }
        let next = at + len;
        match self.free.get(&next).copied() {
            Some(span) if len + span >= want => {
                self.free.remove(&next);
                let rest = len + span - want;
                if rest > 0 {
                    self.free.insert(at + want, rest);
                }
                self.used.insert(at, (want, size));
                true
            }
            _ => false,
        }
    }

    fn add_segment(&mut self, base: u64, size: u64) {
        self.segments.push((base, size));
        self.free.insert(base, size);
    }

    /// The segments' bases (regions of the process).
    pub(crate) fn segment_bases(&self) -> impl Iterator<Item = u64> + '_ {
        self.segments.iter().map(|s| s.0)
    }
}

/// A process's heaps.
#[derive(Clone, Debug, Default)]
pub struct Heaps {
    /// The process heap's handle, once made.
    pub process_heap: Option<u64>,
    pub heaps: Vec<Heap>,
}

impl Heaps {
    fn get_mut(&mut self, handle: u64) -> Option<&mut Heap> {
        self.heaps.iter_mut().find(|h| h.handle == handle)
    }
}

fn heaps(k: &mut Kx) -> KResult<&mut Heaps> {
    Ok(&mut crate::kernel32::thread::me(k)?.heaps)
}

/// Maps a segment of at least `size` bytes for the current process (one of its regions).
fn map_segment(k: &mut Kx, size: u64, exec: bool) -> KResult<Option<u64>> {
    let size = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let prot = if exec { Prot::RWX } else { Prot::RW };
    let name = format!("{} heap", crate::kernel32::thread::me(k)?.name);
    match k.mem_mut().alloc(RegionKind::User, name, size, prot) {
        Ok(base) => {
            crate::kernel32::thread::me(k)?.regions.push(base);
            Ok(Some(base))
        }
        Err(_) => Ok(None),
    }
}

fn granularity(k: &Kx) -> u64 {
    k.arch().ptr_size() * 2
}

/// Makes a heap: `initial` bytes mapped at once, growable when `maximum` is 0.
fn create(k: &mut Kx, flags: u32, initial: u64, maximum: u64) -> KResult<Option<u64>> {
    let size = if maximum == 0 { initial.max(SEGMENT) } else { maximum.max(initial).max(PAGE_SIZE) };
    if size > MAX_BLOCK {
        return Ok(None);
    }
    let size = (size + HEADER).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let Some(base) = map_segment(k, size, flags & HEAP_CREATE_ENABLE_EXECUTE != 0)? else { return Ok(None) };
    let g = granularity(k);
    heaps(k)?.heaps.push(Heap::new(base, size, flags, maximum == 0, g));
    Ok(Some(base))
}

/// The process heap's handle, made on first use.
pub(crate) fn process_heap(k: &mut Kx) -> KResult<u64> {
    if let Some(h) = heaps(k)?.process_heap {
        return Ok(h);
    }
    // Windows makes it with the process; made late, a process that used up the memory
    // first ends as its own allocation would (STATUS_NO_MEMORY), the run goes on.
    let Some(h) = create(k, 0, SEGMENT, 0)? else { return Err(out_of_memory(k, "the process heap")) };
    heaps(k)?.process_heap = Some(h);
    // PEB.ProcessHeap, where code that skips GetProcessHeap reads it.
    let peb = crate::kernel32::thread::me(k)?.peb;
    let at = peb + if k.arch() == portcullis_emu::Arch::X64 { 0x30 } else { 0x18 };
    k.mem_mut().write_ptr(at, h)?;
    Ok(h)
}

/// A failed allocation: NULL, or STATUS_NO_MEMORY raised in the program when the heap or
/// the call asks for exceptions (no handler runs: the process ends with it).
fn no_memory(k: &mut Kx, flags: u32, what: &str) -> KResult<u64> {
    if flags & HEAP_GENERATE_EXCEPTIONS != 0 {
        return Err(out_of_memory(k, &format!("{what} (HEAP_GENERATE_EXCEPTIONS)")));
    }
    Ok(0)
}

/// STATUS_NO_MEMORY raised in the program at its call.
fn out_of_memory(k: &Kx, what: &str) -> KError {
    KError::Stop(portcullis_emu::Stop::Host(KernelStop::UserException {
        code: STATUS_NO_MEMORY,
        pc: portcullis_hle::kernel::caller(k),
        reason: format!("{what} found no memory"),
    }))
}

/// Allocates `size` bytes from heap `handle`: the block's address, or 0.
pub(crate) fn alloc(k: &mut Kx, handle: u64, flags: u32, size: u64) -> KResult<u64> {
    let Some(heap) = heaps(k)?.get_mut(handle) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(0);
    };
    let flags = flags | heap.flags & HEAP_GENERATE_EXCEPTIONS;
    let exec = heap.flags & HEAP_CREATE_ENABLE_EXECUTE != 0;
    if size > MAX_BLOCK {
        return no_memory(k, flags, "HeapAlloc");
    }
    let at = match heap.take(size) {
        Some(at) => at,
        None if heap.growable => {
            let Some(base) = map_segment(k, (size + HEADER).max(SEGMENT), exec)? else {
                return no_memory(k, flags, "HeapAlloc");
            };
            let heap = heaps(k)?.get_mut(handle).expect("found above");
            heap.add_segment(base, (size + HEADER).max(SEGMENT).div_ceil(PAGE_SIZE) * PAGE_SIZE);
            heap.take(size).expect("a fresh segment fits")
        }
        None => return no_memory(k, flags, "HeapAlloc"),
    };
    if flags & HEAP_ZERO_MEMORY != 0 {
        k.mem_mut().write(at, &vec![0u8; size as usize])?;
    }
    Ok(at)
}

/// HANDLE GetProcessHeap(void)
pub fn GetProcessHeap(k: &mut Kx) -> KResult<HANDLE> {
    Ok(HANDLE(process_heap(k)?))
}

/// HANDLE HeapCreate(DWORD flOptions, SIZE_T dwInitialSize, SIZE_T dwMaximumSize): NULL
/// with ERROR_NOT_ENOUGH_MEMORY when it cannot be made.
pub fn HeapCreate(k: &mut Kx, options: u32, initial: SizeT, maximum: SizeT) -> KResult<HANDLE> {
    let (initial, maximum) = (initial.0, maximum.0);
    let options = options & (HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS | HEAP_CREATE_ENABLE_EXECUTE);
    match create(k, options, initial, maximum)? {
        Some(h) => Ok(HANDLE(h)),
        None => {
            set_last_error(k, ERROR_NOT_ENOUGH_MEMORY)?;
            Ok(HANDLE(0))
        }
    }
}

/// BOOL HeapDestroy(HANDLE hHeap): its segments are unmapped. The process heap cannot be
/// destroyed (FALSE, as RtlDestroyHeap refuses it).
pub fn HeapDestroy(k: &mut Kx, heap: HANDLE) -> KResult<BOOL> {
    let hs = heaps(k)?;
    let i = hs.heaps.iter().position(|h| h.handle == heap.0);
    let Some(i) = i.filter(|_| hs.process_heap != Some(heap.0)) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    let gone = hs.heaps.remove(i);
    let bases: Vec<u64> = gone.segment_bases().collect();
    crate::kernel32::thread::me(k)?.regions.retain(|r| !bases.contains(r));
    for b in bases {
        k.mem_mut().free(b)?;
    }
    Ok(BOOL(true))
}

/// LPVOID HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes): NULL when it cannot
/// (the last error is left alone, as documented), or STATUS_NO_MEMORY raised with
/// HEAP_GENERATE_EXCEPTIONS.
pub fn HeapAlloc(k: &mut Kx, heap: HANDLE, flags: u32, size: SizeT) -> KResult<Ptr> {
    Ok(Ptr(alloc(k, heap.0, flags, size.0)?))
}

/// BOOL HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem): NULL frees nothing (TRUE); a
/// pointer that is no block of the heap is FALSE with ERROR_INVALID_PARAMETER.
pub fn HeapFree(k: &mut Kx, heap: HANDLE, _flags: u32, mem: Ptr) -> KResult<BOOL> {
    let Some(h) = heaps(k)?.get_mut(heap.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    if mem.0 == 0 || h.give_back(mem.0) {
        return Ok(BOOL(true));
    }
    set_last_error(k, ERROR_INVALID_PARAMETER)?;
    Ok(BOOL(false))
}

/// SIZE_T HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem): the size asked for, or
/// (SIZE_T)-1 for what is no block of the heap.
pub fn HeapSize(k: &mut Kx, heap: HANDLE, _flags: u32, mem: Ptr) -> KResult<SizeT> {
    let fail = k.arch().mask(u64::MAX);
    let size = heaps(k)?.get_mut(heap.0).and_then(|h| h.size_of(mem.0));
    Ok(SizeT(size.unwrap_or(fail)))
}

/// LPVOID HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes): in place
/// when the block can grow there, else moved (not with HEAP_REALLOC_IN_PLACE_ONLY); with
/// HEAP_ZERO_MEMORY the bytes past the old size are zeroed. NULL on failure (the block
/// stays as it was).
pub fn HeapReAlloc(k: &mut Kx, heap: HANDLE, flags: u32, mem: Ptr, size: SizeT) -> KResult<Ptr> {
    let size = size.0;
    let Some(h) = heaps(k)?.get_mut(heap.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(Ptr(0));
    };
    let flags = flags | h.flags & HEAP_GENERATE_EXCEPTIONS;
    let Some(old) = h.size_of(mem.0) else {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(Ptr(0));
    };
    if size > MAX_BLOCK {
        return no_memory(k, flags, "HeapReAlloc").map(Ptr);
    }
    let at = if h.resize_in_place(mem.0, size) {
        mem.0
    } else if flags & HEAP_REALLOC_IN_PLACE_ONLY != 0 {
        set_last_error(k, ERROR_NOT_ENOUGH_MEMORY)?;
        return no_memory(k, flags, "HeapReAlloc").map(Ptr);
    } else {
        let new = alloc(k, heap.0, flags & !HEAP_ZERO_MEMORY, size)?;
        if new == 0 {
            return Ok(Ptr(0));
        }
        let data = k.mem().read_vec(mem.0, old.min(size))?;
        k.mem_mut().write(new, &data)?;
        heaps(k)?.get_mut(heap.0).expect("found above").give_back(mem.0);
        new
    };
    if flags & HEAP_ZERO_MEMORY != 0 && size > old {
        k.mem_mut().write(at + old, &vec![0u8; (size - old) as usize])?;
    }
    Ok(Ptr(at))
}

/// LocalAlloc and GlobalAlloc: fixed memory from the process heap.
fn local_alloc(k: &mut Kx, flags: u32, size: u64) -> KResult<Ptr> {
    if flags & LMEM_MOVEABLE != 0 {
        set_last_error(k, ERROR_NOT_SUPPORTED)?;
        return Ok(Ptr(0));
    }
    let heap = process_heap(k)?;
    let zero = if flags & LMEM_ZEROINIT != 0 { HEAP_ZERO_MEMORY } else { 0 };
    let at = alloc(k, heap, zero, size)?;
    if at == 0 {
        set_last_error(k, ERROR_NOT_ENOUGH_MEMORY)?;
    }
    Ok(Ptr(at))
}

/// LocalFree and GlobalFree: NULL on success (and for NULL), the pointer back with
/// ERROR_INVALID_HANDLE for what is no block.
fn local_free(k: &mut Kx, mem: Ptr) -> KResult<Ptr> {
    let heap = process_heap(k)?;
    if mem.0 == 0 || heaps(k)?.get_mut(heap).expect("the process heap").give_back(mem.0) {
        return Ok(Ptr(0));
    }
    set_last_error(k, ERROR_INVALID_HANDLE)?;
    Ok(mem)
}

/// HLOCAL LocalAlloc(UINT uFlags, SIZE_T uBytes): LMEM_FIXED (with LMEM_ZEROINIT) only.
pub fn LocalAlloc(k: &mut Kx, flags: u32, size: SizeT) -> KResult<Ptr> {
    local_alloc(k, flags, size.0)
}

/// HLOCAL LocalFree(HLOCAL hMem)
pub fn LocalFree(k: &mut Kx, mem: Ptr) -> KResult<Ptr> {
    local_free(k, mem)
}

/// HGLOBAL GlobalAlloc(UINT uFlags, SIZE_T dwBytes): GMEM_FIXED (with GMEM_ZEROINIT) only;
/// the flags' values are LocalAlloc's.
pub fn GlobalAlloc(k: &mut Kx, flags: u32, size: SizeT) -> KResult<Ptr> {
    local_alloc(k, flags, size.0)
}

/// HGLOBAL GlobalFree(HGLOBAL hMem)
pub fn GlobalFree(k: &mut Kx, mem: Ptr) -> KResult<Ptr> {
    local_free(k, mem)
}

/// HeapCompatibilityInformation and HeapEnableTerminationOnCorruption.
const HEAP_COMPATIBILITY_INFORMATION: u32 = 0;
const HEAP_ENABLE_TERMINATION_ON_CORRUPTION: u32 = 1;
/// The low-fragmentation heap, the one compatibility mode a program may ask for.
const HEAP_LFH: u32 = 2;

/// BOOL HeapSetInformation(HANDLE HeapHandle, HEAP_INFORMATION_CLASS HeapInformationClass,
/// PVOID HeapInformation, SIZE_T HeapInformationLength): a heap of the process may be made a
/// low-fragmentation heap (a ULONG 2; how blocks are carved here does not change), and the
/// process may ask to be ended on heap corruption (HeapHandle ignored, no information): a
/// corrupted heap ends it either way, since the bookkeeping is the host's. Anything else
/// fails with ERROR_INVALID_PARAMETER (an unknown heap: ERROR_INVALID_HANDLE).
pub fn HeapSetInformation(k: &mut Kx, heap: HANDLE, class: u32, info: Ptr, len: SizeT) -> KResult<BOOL> {
    match class {
        HEAP_ENABLE_TERMINATION_ON_CORRUPTION if info.0 == 0 && len.0 == 0 => Ok(BOOL(true)),
        HEAP_COMPATIBILITY_INFORMATION if len.0 >= 4 && info.0 != 0 => {
            if heaps(k)?.get_mut(heap.0).is_none() {
                set_last_error(k, ERROR_INVALID_HANDLE)?;
                return Ok(BOOL(false));
            }
            if k.mem().read_u32(info.0)? != HEAP_LFH {
                set_last_error(k, ERROR_INVALID_PARAMETER)?;
                return Ok(BOOL(false));
            }
            Ok(BOOL(true))
        }
        _ => {
            set_last_error(k, ERROR_INVALID_PARAMETER)?;
            Ok(BOOL(false))
        }
    }
}

/// BOOL HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem): whether `lpMem` is a block
/// in use in the heap (NULL: the whole heap, whose bookkeeping is the host's and never
/// damaged). A handle that is no heap is FALSE.
pub fn HeapValidate(k: &mut Kx, heap: HANDLE, _flags: u32, mem: Ptr) -> KResult<BOOL> {
    let Some(h) = heaps(k)?.get_mut(heap.0) else { return Ok(BOOL(false)) };
    Ok(BOOL(mem.is_null() || h.size_of(mem.0).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_fit_splits_and_merges_back() {
        let mut h = Heap::new(0x1000_0000, 0x1000, 0, false, 8);
        let a = h.take(10).unwrap();
        assert_eq!(a, 0x1000_0000 + HEADER);
        let b = h.take(8).unwrap();
        assert_eq!(b, a + 16);
        assert_eq!(h.size_of(a), Some(10));
        assert!(h.give_back(a));
        assert!(!h.give_back(a), "a double free is refused");
        assert!(!h.give_back(b + 1), "so is a pointer into a block");
        // The freed 16 bytes are reused for what fits.
        assert_eq!(h.take(16), Some(a));
        assert!(h.give_back(a) && h.give_back(b));
        assert_eq!(h.free.len(), 1, "everything merged back into one span");
        assert_eq!(h.take(0x1000 - HEADER), Some(a));
        assert_eq!(h.take(1), None);
    }

    #[test]
    fn blocks_grow_in_place_when_the_next_span_is_free() {
        let mut h = Heap::new(0, 0x1000, 0, false, 16);
        let a = h.take(16).unwrap();
        assert!(h.resize_in_place(a, 100));
        assert_eq!(h.size_of(a), Some(100));
        let b = h.take(16).unwrap();
        assert_eq!(b, a + 112);
        assert!(!h.resize_in_place(a, 200), "b is in the way");
        assert!(h.resize_in_place(a, 20));
        assert_eq!(h.take(64), Some(a + 32), "the shrunk tail is free again");
    }
}
