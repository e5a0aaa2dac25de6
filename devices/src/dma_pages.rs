//! The 8237 DMA controllers' page registers at 0x81-0x8F: the address bits 16-23 of each
//! channel's transfers (channel 2 at 0x81, 3 at 0x82, 1 at 0x83, 0 at 0x87, 6 at 0x89, 7 at
//! 0x8A, 5 at 0x8B, the refresh page at 0x8F); the others are scratch registers. All read
//! back what was written.

use portcullis_emu::ports::BusContext;

use crate::chip::Chip;

/// Offsets (from 0x81) of each channel's page register, channel 0 to 7 (channel 4 is the
/// cascade: its page is the refresh register).
const CHANNEL_OFFSET: [u16; 8] = [6, 2, 0, 1, 0xE, 0xA, 8, 9];

#[derive(Debug, Default)]
pub struct DmaPages {
    regs: [u8; 15],
}

impl DmaPages {
    /// The page (address bits 16-23) of DMA channel `channel` (0-7).
    pub fn page(&self, channel: usize) -> u8 {
        self.regs[CHANNEL_OFFSET[channel & 7] as usize]
    }
}

impl Chip for DmaPages {
    fn name(&self) -> &'static str {
        "dma-pages"
    }

    fn read(&mut self, _: u8, offset: u16, _: &mut BusContext) -> u8 {
        self.regs[offset as usize % 15]
    }

    fn write(&mut self, _: u8, offset: u16, value: u8, _: &mut BusContext) {
        self.regs[offset as usize % 15] = value;
    }
}
