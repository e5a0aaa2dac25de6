//! The run-time library: counted strings and code pages, conversions, memory, formatting,
//! the emulated Windows version, and the C runtime (`crt`).

pub mod ansi;
pub mod convert;
pub mod memory;
pub mod nls;
pub mod printf;
pub mod string;
pub mod transcode;
pub mod unicode;
pub mod version;
