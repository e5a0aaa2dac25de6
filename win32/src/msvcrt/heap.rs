//! malloc, calloc, realloc and free: blocks of the process heap (msvcrt's own heap is a
//! Win32 heap too), so a block from one is no block of another heap and a pointer that is
//! no block is refused without harm. A failure sets errno ENOMEM.

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, SizeT, HANDLE};

use crate::kernel32::heap::{process_heap, HeapAlloc, HeapFree, HeapReAlloc};

/// ENOMEM.
const ENOMEM: u32 = 12;
/// HEAP_ZERO_MEMORY.
const ZERO: u32 = 0x8;

fn heap(k: &mut Kx) -> KResult<HANDLE> {
    Ok(HANDLE(process_heap(k)?))
}

fn or_enomem(k: &mut Kx, p: Ptr) -> KResult<Ptr> {
    if p.0 == 0 {
        super::startup::set_errno(k, ENOMEM)?;
    }
    Ok(p)
}

/// void *malloc(size_t size): a block of `size` bytes (at least one), or NULL.
pub fn malloc(k: &mut Kx, size: SizeT) -> KResult<Ptr> {
    let h = heap(k)?;
    let p = HeapAlloc(k, h, 0, SizeT(size.0.max(1)))?;
    or_enomem(k, p)
}

/// void *calloc(size_t count, size_t size): `count * size` zeroed bytes, or NULL (also
/// when the product overflows).
pub fn calloc(k: &mut Kx, count: SizeT, size: SizeT) -> KResult<Ptr> {
    let Some(total) = count.0.checked_mul(size.0).filter(|t| *t <= k.arch().mask(u64::MAX)) else {
        return or_enomem(k, Ptr(0));
    };
    let h = heap(k)?;
    let p = HeapAlloc(k, h, ZERO, SizeT(total.max(1)))?;
    or_enomem(k, p)
}

/// void *realloc(void *block, size_t size): NULL `block` is malloc; size 0 frees it and
/// returns NULL; else the block resized (moved if it must), NULL when it cannot be (the
/// block stays).
pub fn realloc(k: &mut Kx, block: Ptr, size: SizeT) -> KResult<Ptr> {
    if block.0 == 0 {
        return malloc(k, size);
    }
    let h = heap(k)?;
    if size.0 == 0 {
        HeapFree(k, h, 0, block)?;
        return Ok(Ptr(0));
    }
    let p = HeapReAlloc(k, h, 0, block, size)?;
    or_enomem(k, p)
}

/// void free(void *block): NULL frees nothing; a pointer that is no block is ignored (the
/// debug runtime would report it; the release one's heap check refuses it).
pub fn free(k: &mut Kx, block: Ptr) -> KResult<()> {
    let h = heap(k)?;
    HeapFree(k, h, 0, block)?;
    Ok(())
}
