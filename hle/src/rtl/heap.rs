//! Kernel-mode heaps: RtlCreateHeap, RtlAllocateHeap, RtlFreeHeap, RtlSizeHeap,
//! RtlDestroyHeap.
//!
//! A heap the kernel creates (HeapBase NULL) is a small header block in paged pool, which is
//! its handle; its allocations are pool blocks it records, so RtlDestroyHeap frees every one
//! and RtlFreeHeap/RtlSizeHeap know which belong to it. A heap over memory the caller supplies
//! (HeapBase not NULL) is not offered: RtlCreateHeap returns NULL, the failure Windows returns
//! when it cannot create one.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use crate::ex::pool::{allocate_for_caller, free, PAGED_POOL};
use crate::kernel::{caller, KResult, Kx};
use crate::types::{Boolean, Ptr, SizeT};

/// HEAP_ZERO_MEMORY.
const HEAP_ZERO_MEMORY: u32 = 0x8;
/// The size of the block that stands for a heap.
const HEAP_HEADER: u64 = 0x40;
const TAG: u32 = u32::from_le_bytes(*b"Heap");

/// The heaps of one kernel: each handle with its blocks and their sizes.
#[derive(Clone, Debug, Default)]
pub struct Heaps {
    heaps: BTreeMap<u64, BTreeMap<u64, u64>>,
}

/// PVOID RtlCreateHeap(ULONG Flags, PVOID HeapBase, SIZE_T ReserveSize, SIZE_T CommitSize,
/// PVOID Lock, PRTL_HEAP_PARAMETERS Parameters): a new heap's handle, or NULL.
pub fn RtlCreateHeap(
    k: &mut Kx,
    _flags: u32,
    base: Ptr,
    _reserve: SizeT,
    _commit: SizeT,
    _lock: Ptr,
    _params: Ptr,
) -> KResult<Ptr> {
    if !base.is_null() {
        return Ok(Ptr::NULL);
    }
    let Some(handle) = allocate_for_caller(k, PAGED_POOL, HEAP_HEADER, TAG)? else { return Ok(Ptr::NULL) };
    super::memory::fill_pattern(k, handle, HEAP_HEADER, &[0])?;
    k.ext_mut().rtl.heaps.heaps.insert(handle, BTreeMap::new());
    Ok(Ptr(handle))
}

/// PVOID RtlAllocateHeap(PVOID HeapHandle, ULONG Flags, SIZE_T Size): a block of Size bytes
/// (zeroed with HEAP_ZERO_MEMORY), or NULL for an unknown heap or when memory runs out.
pub fn RtlAllocateHeap(k: &mut Kx, heap: Ptr, flags: u32, size: SizeT) -> KResult<Ptr> {
    if !k.ext().rtl.heaps.heaps.contains_key(&heap.0) {
        return Ok(Ptr::NULL);
    }
    let Some(block) = allocate_for_caller(k, PAGED_POOL, size.0, TAG)? else { return Ok(Ptr::NULL) };
    if flags & HEAP_ZERO_MEMORY != 0 {
        super::memory::fill_pattern(k, block, size.0, &[0])?;
    }
    if let Some(blocks) = k.ext_mut().rtl.heaps.heaps.get_mut(&heap.0) {
        blocks.insert(block, size.0);
    }
    Ok(Ptr(block))
}

/// BOOLEAN RtlFreeHeap(PVOID HeapHandle, ULONG Flags, PVOID BaseAddress): TRUE when the block
/// belonged to the heap (a NULL block is nothing to free: TRUE), FALSE otherwise.
pub fn RtlFreeHeap(k: &mut Kx, heap: Ptr, _flags: u32, block: Ptr) -> KResult<Boolean> {
    if block.is_null() {
        return Ok(Boolean(true));
    }
    let owned = k.ext_mut().rtl.heaps.heaps.get_mut(&heap.0).and_then(|b| b.remove(&block.0)).is_some();
    if owned {
        let at = caller(k);
        free(k, block.0, None, at)?;
    }
    Ok(Boolean(owned))
}

/// SIZE_T RtlSizeHeap(PVOID HeapHandle, ULONG Flags, PVOID MemoryPointer): the block's size,
/// or (SIZE_T)-1 when it is not one of the heap's.
pub fn RtlSizeHeap(k: &mut Kx, heap: Ptr, _flags: u32, block: Ptr) -> KResult<SizeT> {
    let size = k.ext().rtl.heaps.heaps.get(&heap.0).and_then(|b| b.get(&block.0)).copied();
    Ok(SizeT(size.unwrap_or(k.arch().mask(u64::MAX))))
}

/// PVOID RtlDestroyHeap(PVOID HeapHandle): frees the heap and every block in it; NULL on
/// success, the handle back when it is not a heap.
pub fn RtlDestroyHeap(k: &mut Kx, heap: Ptr) -> KResult<Ptr> {
    let Some(blocks) = k.ext_mut().rtl.heaps.heaps.remove(&heap.0) else { return Ok(heap) };
    let at = caller(k);
    for block in blocks.into_keys() {
        free(k, block, None, at)?;
    }
    free(k, heap.0, None, at)?;
    Ok(Ptr::NULL)
}
