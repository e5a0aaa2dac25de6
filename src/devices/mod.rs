//! Device models a scenario can attach to the port bus or to physical memory (MMIO): the
//! generic scripted models and the PC's chips live in `portcullis-devices`.

pub use portcullis_devices::{Constant, Registers, Sequence};
