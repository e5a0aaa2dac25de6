//! Memory manager routines.

pub mod mdl;
