//! memcpy, memmove, memset and RtlCompareMemory over guest memory.
//!
//! Lengths come from the guest, so copies go through a bounded host buffer a chunk at a
//! time; a copy that runs into unmapped memory stops there with the fault, as the real
//! routine would.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{Ptr, SizeT};

const CHUNK: u64 = 0x1000;

/// Copies `n` bytes from `src` to `dst`, correct for overlapping ranges.
pub fn move_bytes(k: &mut Kx, dst: u64, src: u64, n: u64) -> KResult<()> {
    let mut buf = vec![0u8; CHUNK.min(n) as usize];
    // Copy backwards when the destination overlaps the source from above.
    let backwards = dst > src && dst < src.wrapping_add(n);
    let mut done = 0u64;
    while done < n {
        let len = CHUNK.min(n - done);
        let off = if backwards { n - done - len } else { done };
        let b = &mut buf[..len as usize];
        k.mem().read(src.wrapping_add(off), b)?;
        k.mem_mut().write(dst.wrapping_add(off), b)?;
        done += len;
    }
    Ok(())
}

/// void *memcpy(void *dst, const void *src, size_t n)
pub fn memcpy(k: &mut Kx, dst: Ptr, src: Ptr, n: SizeT) -> KResult<Ptr> {
    move_bytes(k, dst.0, src.0, n.0)?;
    Ok(dst)
}

/// void *memmove(void *dst, const void *src, size_t n)
pub fn memmove(k: &mut Kx, dst: Ptr, src: Ptr, n: SizeT) -> KResult<Ptr> {
    move_bytes(k, dst.0, src.0, n.0)?;
    Ok(dst)
}

/// void *memset(void *dst, int c, size_t n)
pub fn memset(k: &mut Kx, dst: Ptr, c: i32, n: SizeT) -> KResult<Ptr> {
    let fill = vec![c as u8; CHUNK.min(n.0) as usize];
    let mut done = 0u64;
    while done < n.0 {
        let len = CHUNK.min(n.0 - done);
        k.mem_mut().write(dst.0.wrapping_add(done), &fill[..len as usize])?;
        done += len;
    }
    Ok(dst)
}

/// SIZE_T RtlCompareMemory(const VOID *a, const VOID *b, SIZE_T n): how many leading bytes
/// are equal.
pub fn RtlCompareMemory(k: &mut Kx, a: Ptr, b: Ptr, n: SizeT) -> KResult<SizeT> {
    let mut x = vec![0u8; CHUNK.min(n.0) as usize];
    let mut y = x.clone();
    let mut done = 0u64;
    while done < n.0 {
        let len = CHUNK.min(n.0 - done) as usize;
        k.mem().read(a.0.wrapping_add(done), &mut x[..len])?;
        k.mem().read(b.0.wrapping_add(done), &mut y[..len])?;
        if let Some(i) = x[..len].iter().zip(&y[..len]).position(|(p, q)| p != q) {
            return Ok(SizeT(done + i as u64));
        }
        done += len as u64;
    }
    Ok(SizeT(n.0))
}
