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

/// Fills `n` bytes at `dst` with the repeating `pattern`, starting at its first byte.
pub fn fill_pattern(k: &mut Kx, dst: u64, n: u64, pattern: &[u8]) -> KResult<()> {
    let unit = pattern.len() as u64;
    let chunk_len = (CHUNK / unit * unit).min(n) as usize;
    let chunk: Vec<u8> = pattern.iter().copied().cycle().take(chunk_len).collect();
    let mut done = 0u64;
    while done < n {
        let len = (n - done).min(chunk.len() as u64) as usize;
        k.mem_mut().write(dst.wrapping_add(done), &chunk[..len])?;
        done += len as u64;
    }
    Ok(())
}

/// VOID RtlMoveMemory(VOID *Destination, const VOID *Source, SIZE_T Length): overlap-safe.
pub fn RtlMoveMemory(k: &mut Kx, dst: Ptr, src: Ptr, n: SizeT) -> KResult<()> {
    move_bytes(k, dst.0, src.0, n.0)
}

/// VOID RtlCopyMemory(VOID *Destination, const VOID *Source, SIZE_T Length) (an export on x64
/// only; a macro for memcpy elsewhere).
pub fn RtlCopyMemory(k: &mut Kx, dst: Ptr, src: Ptr, n: SizeT) -> KResult<()> {
    move_bytes(k, dst.0, src.0, n.0)
}

/// VOID RtlCopyMemoryNonTemporal(...): RtlCopyMemory without polluting the cache; the effect
/// on memory is the same.
pub fn RtlCopyMemoryNonTemporal(k: &mut Kx, dst: Ptr, src: Ptr, n: SizeT) -> KResult<()> {
    move_bytes(k, dst.0, src.0, n.0)
}

/// VOID RtlFillMemory(VOID *Destination, SIZE_T Length, UCHAR Fill)
pub fn RtlFillMemory(k: &mut Kx, dst: Ptr, n: SizeT, fill: u8) -> KResult<()> {
    fill_pattern(k, dst.0, n.0, &[fill])
}

/// VOID RtlZeroMemory(VOID *Destination, SIZE_T Length)
pub fn RtlZeroMemory(k: &mut Kx, dst: Ptr, n: SizeT) -> KResult<()> {
    fill_pattern(k, dst.0, n.0, &[0])
}

/// VOID RtlFillMemoryUlong(PVOID Destination, SIZE_T Length, ULONG Pattern): Length / 4
/// ULONGs (x86 only; a macro on x64).
pub fn RtlFillMemoryUlong(k: &mut Kx, dst: Ptr, n: SizeT, pattern: u32) -> KResult<()> {
    fill_pattern(k, dst.0, n.0 & !3, &pattern.to_le_bytes())
}

/// VOID RtlFillMemoryUlonglong(PVOID Destination, SIZE_T Length, ULONGLONG Pattern): Length
/// / 8 ULONGLONGs (x86 only).
pub fn RtlFillMemoryUlonglong(k: &mut Kx, dst: Ptr, n: SizeT, pattern: u64) -> KResult<()> {
    fill_pattern(k, dst.0, n.0 & !7, &pattern.to_le_bytes())
}

/// SIZE_T RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern): how many leading
/// bytes, in whole ULONGs, equal the repeated pattern (Length rounds down to whole ULONGs).
pub fn RtlCompareMemoryUlong(k: &mut Kx, src: Ptr, n: SizeT, pattern: u32) -> KResult<SizeT> {
    let total = n.0 & !3;
    let mut buf = vec![0u8; CHUNK.min(total) as usize];
    let mut done = 0u64;
    while done < total {
        let len = CHUNK.min(total - done) as usize;
        k.mem().read(src.0.wrapping_add(done), &mut buf[..len])?;
        if let Some(i) = buf[..len].chunks_exact(4).position(|c| c != pattern.to_le_bytes()) {
            return Ok(SizeT(done + i as u64 * 4));
        }
        done += len as u64;
    }
    Ok(SizeT(total))
}

/// VOID FASTCALL RtlPrefetchMemoryNonTemporal(PVOID Source, SIZE_T Length): a cache hint
/// (`prefetchnta`, which never faults): nothing visible happens.
pub fn RtlPrefetchMemoryNonTemporal(_k: &mut Kx, _src: Ptr, _n: SizeT) -> KResult<()> {
    Ok(())
}
