//! The hardware abstraction layer.

pub mod ports;
