//! Generic models, for scripting what hardware answers: a block of byte registers, a
//! scripted sequence of reads, a constant. Each also serves as device memory (MMIO).

mod constant;
mod registers;
mod sequence;

pub use constant::Constant;
pub use registers::Registers;
pub use sequence::Sequence;
