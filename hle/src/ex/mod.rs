//! Executive routines.

pub mod pool;
