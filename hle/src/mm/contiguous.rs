//! Physically contiguous memory (MmAllocateContiguousMemory and its forms, for DMA buffers) and
//! non-cached memory (MmAllocateNonCachedMemory). Both are nonpaged system memory the caller
//! owns until it frees it; what it does not free at unload is a leak.
#![allow(non_snake_case)]

use portcullis_emu::{Prot, RegionKind};

use super::{bugcheck, cache_type_name, owner_of_call, Allocation, MAXIMUM_CACHE_TYPE};
use crate::kernel::{caller, KResult, Kx};
use crate::types::{Ptr, SizeT};

fn allocate(
    k: &mut Kx,
    size: u64,
    range: (u64, u64),
    boundary: u64,
    cache: u32,
    prot: Prot,
    noncached: bool,
) -> KResult<Ptr> {
    if size == 0 || cache >= MAXIMUM_CACHE_TYPE || range.1 < range.0 || (boundary != 0 && !boundary.is_power_of_two()) {
        return Ok(Ptr::NULL);
    }
    let name = if noncached { "non-cached memory" } else { "contiguous memory" };
    let Ok((va, pa)) = k.mem_mut().alloc_contiguous(RegionKind::Pool, name, size, range, boundary, prot) else {
        return Ok(Ptr::NULL);
    };
    let a = Allocation {
        address: va,
        physical_address: pa,
        size,
        cache: cache_type_name(cache),
        owner: owner_of_call(k),
        caller: caller(k),
        noncached,
    };
    k.ext_mut().mm.contiguous.insert(va, a);
    Ok(Ptr(va))
}

/// Contiguous memory for a DMA common buffer: `size` bytes within `range`, cached (1) or not
/// (0); a leak if not freed, as MmAllocateContiguousMemory's.
pub(crate) fn allocate_for(k: &mut Kx, size: u64, range: (u64, u64), cache: u32) -> KResult<Ptr> {
    allocate(k, size, range, 0, cache, Prot::RW, false)
}

/// PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
/// PHYSICAL_ADDRESS LowestAcceptableAddress, PHYSICAL_ADDRESS HighestAcceptableAddress,
/// PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType)
///
/// Zeroed, physically contiguous, page-aligned memory whose every byte lies between the two
/// addresses and which crosses no multiple of the boundary (0: none); NULL when no such run
/// of free RAM exists.
pub fn MmAllocateContiguousMemorySpecifyCache(
    k: &mut Kx,
    size: SizeT,
    lowest: u64,
    highest: u64,
    boundary: u64,
    cache: u32,
) -> KResult<Ptr> {
    allocate(k, size.0, (lowest, highest), boundary, cache, Prot::RW, false)
}

/// PVOID MmAllocateContiguousMemorySpecifyCacheNode(..., NODE_REQUIREMENT PreferredNode): one
/// node here.
pub fn MmAllocateContiguousMemorySpecifyCacheNode(
    k: &mut Kx,
    size: SizeT,
    lowest: u64,
    highest: u64,
    boundary: u64,
    cache: u32,
    _node: u32,
) -> KResult<Ptr> {
    allocate(k, size.0, (lowest, highest), boundary, cache, Prot::RW, false)
}

/// PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS
/// HighestAcceptableAddress): cached, anywhere below the address.
pub fn MmAllocateContiguousMemory(k: &mut Kx, size: SizeT, highest: u64) -> KResult<Ptr> {
    allocate(k, size.0, (0, highest), 0, 1, Prot::RW, false)
}

/// PAGE_* protections MmAllocateContiguousNodeMemory takes.
const PAGE_READWRITE: u32 = 0x04;
const PAGE_EXECUTE_READWRITE: u32 = 0x40;
const PAGE_NOCACHE: u32 = 0x200;
const PAGE_WRITECOMBINE: u32 = 0x400;

/// PVOID MmAllocateContiguousNodeMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS Lowest,
/// PHYSICAL_ADDRESS Highest, PHYSICAL_ADDRESS BoundaryAddressMultiple, ULONG Protect,
/// NODE_REQUIREMENT PreferredNode)
///
/// The protection is PAGE_READWRITE or PAGE_EXECUTE_READWRITE, optionally with PAGE_NOCACHE
/// or PAGE_WRITECOMBINE; anything else is NULL.
pub fn MmAllocateContiguousNodeMemory(
    k: &mut Kx,
    size: SizeT,
    lowest: u64,
    highest: u64,
    boundary: u64,
    protect: u32,
    _node: u32,
) -> KResult<Ptr> {
    let cache = match protect & (PAGE_NOCACHE | PAGE_WRITECOMBINE) {
        0 => 1,
        PAGE_NOCACHE => 0,
        PAGE_WRITECOMBINE => 2,
        _ => return Ok(Ptr::NULL),
    };
    let prot = match protect & 0xFF {
        PAGE_READWRITE => Prot::RW,
        PAGE_EXECUTE_READWRITE => Prot::RWX,
        _ => return Ok(Ptr::NULL),
    };
    allocate(k, size.0, (lowest, highest), boundary, cache, prot, false)
}

fn free(k: &mut Kx, base: Ptr, noncached: bool, what: &str) -> KResult<()> {
    let known = k.ext().mm.contiguous.get(&base.0).is_some_and(|a| a.noncached == noncached);
    if !known {
        return Err(bugcheck(
            k,
            0xC2,
            "BAD_POOL_CALLER",
            [0x42, base.0, 0, 0],
            format!("{what} of {:#x}, which its allocating routine did not return", base.0),
        ));
    }
    k.ext_mut().mm.contiguous.remove(&base.0);
    k.mem_mut().free(base.0)?;
    Ok(())
}

/// VOID MmFreeContiguousMemory(PVOID BaseAddress)
pub fn MmFreeContiguousMemory(k: &mut Kx, base: Ptr) -> KResult<()> {
    free(k, base, false, "MmFreeContiguousMemory")
}

/// VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
/// MEMORY_CACHING_TYPE CacheType)
pub fn MmFreeContiguousMemorySpecifyCache(k: &mut Kx, base: Ptr, _size: SizeT, _cache: u32) -> KResult<()> {
    free(k, base, false, "MmFreeContiguousMemorySpecifyCache")
}

/// PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes): zeroed, page-aligned, non-cached
/// system memory (not necessarily contiguous; here it is).
pub fn MmAllocateNonCachedMemory(k: &mut Kx, size: SizeT) -> KResult<Ptr> {
    allocate(k, size.0, (0, u64::MAX), 0, 0, Prot::RW, true)
}

/// VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes)
pub fn MmFreeNonCachedMemory(k: &mut Kx, base: Ptr, _size: SizeT) -> KResult<()> {
    free(k, base, true, "MmFreeNonCachedMemory")
}
