//! `rand` and `srand`: the Microsoft C runtime's generator (seed' = seed * 214013 + 2531011,
//! result bits 16..30), with one seed per kernel that starts at 1 as the runtime's does.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};

/// int rand(void): 0..=32767.
pub fn rand(k: &mut Kx) -> KResult<i32> {
    let seed = &mut k.ext_mut().rtl.rand_seed;
    *seed = seed.wrapping_mul(214_013).wrapping_add(2_531_011);
    Ok((*seed >> 16 & 0x7FFF) as i32)
}

/// void srand(unsigned int seed)
pub fn srand(k: &mut Kx, seed: u32) -> KResult<()> {
    k.ext_mut().rtl.rand_seed = seed;
    Ok(())
}
