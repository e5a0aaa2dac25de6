//! The run-time library: counted strings and code pages, conversions, memory, formatting,
//! data structures, time, the emulated Windows version, and the C runtime (`crt`).

pub mod ansi;
pub mod convert;
pub mod crt;
pub mod memory;
pub mod nls;
pub mod printf;
pub mod random;
pub mod string;
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
}

impl Default for RtlState {
    fn default() -> Self {
        RtlState { rand_seed: 1, random: Default::default() }
    }
}
