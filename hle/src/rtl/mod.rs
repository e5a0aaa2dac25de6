//! The run-time library: counted strings and code pages, conversions, memory, formatting,
//! data structures, time, the emulated Windows version, and the C runtime (`crt`).

pub mod ansi;
pub mod assert;
pub mod avltable;
pub mod bitmap;
pub mod convert;
pub mod crc;
pub mod crt;
pub mod gentable;
pub mod heap;
pub mod image;
pub mod largeint;
pub mod memory;
pub mod names;
pub mod netaddr;
pub mod nls;
pub mod printf;
pub mod random;
pub mod splay;
pub mod string;
pub mod time;
pub mod transcode;
pub mod unicode;
pub mod version;

/// The run-time library's state in one kernel: it starts the same at every boot and changes
/// only through the routines that own it, so runs repeat.
#[derive(Clone, Debug)]
pub struct RtlState {
    /// `rand`'s seed (`srand` sets it; 1 at boot, as the C runtime starts).
    pub rand_seed: u32,
    pub random: random::RandomState,
    pub heaps: heap::Heaps,
}

impl Default for RtlState {
    fn default() -> Self {
        RtlState { rand_seed: 1, random: Default::default(), heaps: Default::default() }
    }
}
