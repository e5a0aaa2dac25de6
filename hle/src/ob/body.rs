//! Bodies of the objects the kernel makes for its own kinds (directories, symbolic links,
//! open keys, object types): zeroed blocks from kernel memory of their own, so that they
//! never move the pool addresses a driver's allocations get. Freed bodies are reused by exact
//! size, deterministically.

use std::collections::BTreeMap;

use portcullis_emu::{Prot, RegionKind};

use crate::kernel::{KResult, Kx};

/// Bytes a chunk of body memory spans.
const CHUNK: u64 = 0x10000;
const ALIGN: u64 = 16;

#[derive(Default, Debug)]
pub struct BodyHeap {
    /// The current chunk: (next free, end).
    cursor: Option<(u64, u64)>,
    /// Freed bodies by size.
    free: BTreeMap<u64, Vec<u64>>,
    /// Live bodies and their sizes.
    live: BTreeMap<u64, u64>,
}

/// A zeroed body of `size` bytes (at most a chunk).
pub fn alloc(k: &mut Kx, size: u64) -> KResult<u64> {
    let size = size.max(ALIGN).div_ceil(ALIGN) * ALIGN;
    debug_assert!(size <= CHUNK);
    let heap = &mut k.ext_mut().objects.heap;
    let at = match heap.free.get_mut(&size).and_then(Vec::pop) {
        Some(at) => at,
        None => match heap.cursor {
            Some((next, end)) if end - next >= size => {
                heap.cursor = Some((next + size, end));
                next
            }
            _ => {
                let base = k.mem_mut().alloc(RegionKind::System, "object bodies", CHUNK, Prot::RW)?;
                k.ext_mut().objects.heap.cursor = Some((base + size, base + CHUNK));
                base
            }
        },
    };
    k.ext_mut().objects.heap.live.insert(at, size);
    k.mem_mut().write(at, &vec![0u8; size as usize])?;
    Ok(at)
}

/// Returns a body to the heap (nothing happens for an address the heap did not give).
pub fn free(k: &mut Kx, at: u64) {
    let heap = &mut k.ext_mut().objects.heap;
    if let Some(size) = heap.live.remove(&at) {
        heap.free.entry(size).or_default().push(at);
    }
}
