//! Memory manager routines.

pub mod copy;
pub mod mdl;
