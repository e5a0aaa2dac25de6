//! `qsort` and `bsearch` over an array in guest memory, comparing with the driver's
//! `__cdecl` callback, which always receives pointers into the array itself (or the key).
//!
//! `qsort` is a heap sort done in place: the result is sorted as the comparison says; like
//! the C runtime's, it is not stable, and the order of equal elements is this algorithm's.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::kernel::{KResult, Kx};
use crate::types::{Ptr, SizeT};

/// Calls the comparison routine on two elements.
fn compare(k: &mut Kx, routine: u64, a: u64, b: u64) -> KResult<i32> {
    let conv = CallConv::Cdecl.for_arch(k.arch());
    Ok(k.call(routine, &[a, b], conv)? as u32 as i32)
}

fn swap(k: &mut Kx, a: u64, b: u64, size: u64) -> KResult<()> {
    let mut x = vec![0u8; size as usize];
    let mut y = vec![0u8; size as usize];
    k.mem().read(a, &mut x)?;
    k.mem().read(b, &mut y)?;
    k.mem_mut().write(a, &y)?;
    k.mem_mut().write(b, &x)?;
    Ok(())
}

/// Restores the heap property below `root` within the first `end` elements.
fn sift_down(k: &mut Kx, base: u64, size: u64, routine: u64, mut root: u64, end: u64) -> KResult<()> {
    let at = |i: u64| base.wrapping_add(i * size);
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return Ok(());
        }
        if child + 1 < end && compare(k, routine, at(child), at(child + 1))? < 0 {
            child += 1;
        }
        if compare(k, routine, at(root), at(child))? >= 0 {
            return Ok(());
        }
        swap(k, at(root), at(child), size)?;
        root = child;
    }
}

/// void qsort(void *base, size_t number, size_t width, int (__cdecl *compare)(const void *,
/// const void *))
pub fn qsort(k: &mut Kx, base: Ptr, number: SizeT, width: SizeT, routine: Ptr) -> KResult<()> {
    let (n, size) = (number.0, width.0);
    if n < 2 || size == 0 {
        return Ok(());
    }
    // The array must be in guest memory: touch its ends before sorting.
    k.mem().read_u8(base.0)?;
    k.mem().read_u8(base.0.wrapping_add(n.saturating_mul(size) - 1))?;
    for root in (0..n / 2).rev() {
        sift_down(k, base.0, size, routine.0, root, n)?;
    }
    for end in (1..n).rev() {
        swap(k, base.0, base.0.wrapping_add(end * size), size)?;
        sift_down(k, base.0, size, routine.0, 0, end)?;
    }
    Ok(())
}

/// void *bsearch(const void *key, const void *base, size_t number, size_t width, int
/// (__cdecl *compare)(const void *key, const void *datum)): an element equal to the key in a
/// sorted array, or NULL.
pub fn bsearch(k: &mut Kx, key: Ptr, base: Ptr, number: SizeT, width: SizeT, routine: Ptr) -> KResult<Ptr> {
    let (mut lo, mut hi) = (0u64, number.0);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at = base.0.wrapping_add(mid.wrapping_mul(width.0));
        match compare(k, routine.0, key.0, at)? {
            0 => return Ok(Ptr(at)),
            c if c < 0 => hi = mid,
            _ => lo = mid + 1,
        }
    }
    Ok(Ptr::NULL)
}
