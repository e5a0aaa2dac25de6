//! Run-time library routines: strings, memory, formatting.

pub mod memory;
pub mod printf;
pub mod string;
pub mod unicode;
