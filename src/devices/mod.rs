//! Device models a scenario can attach to the port bus or to physical memory (MMIO).
//!
//! Generic models, for scripting what hardware answers: a block of byte registers, a
//! scripted sequence of reads, a constant. Models of real chips (PIT, UART, keyboard
//! controller, CMOS) are separate components.

mod constant;
mod registers;
mod sequence;

pub use constant::Constant;
pub use registers::Registers;
pub use sequence::Sequence;
