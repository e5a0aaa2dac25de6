//! portcullis-devices: the PC's legacy chips as models on the Portcullis port bus.
//!
//! One file per chip — 8254 PIT with port 0x61 and the speaker (`pit.rs`), 8259 PIC pair
//! (`pic.rs`), MC146818 CMOS/RTC (`cmos.rs`), 16550 UARTs (`uart.rs`), parallel ports
//! (`lpt.rs`), 8042 keyboard controller (`i8042.rs`), the POST port (`post.rs`), system
//! control port A (`system_control.rs`), the DMA page registers (`dma_pages.rs`) — plus
//! the generic scripted models (`scripted/`). Chips see the virtual clock, drive interrupt
//! lines and may schedule callbacks through the bus's [`BusContext`]; the host keeps a
//! [`Handle`] to each ([`machine::Devices`]). The crate knows nothing of Windows.

pub mod chip;
pub mod cmos;
pub mod dma_pages;
pub mod hda;
pub mod i8042;
pub mod lpt;
pub mod machine;
pub mod pic;
pub mod pit;
pub mod post;
pub mod scripted;
pub mod system_control;
pub mod uart;

pub use chip::{attach, Chip, Handle};
pub use machine::{Devices, MachineOptions};
pub use portcullis_emu::ports::BusContext;
pub use scripted::{Constant, Registers, Sequence};
