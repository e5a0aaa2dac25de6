//! The I/O APIC (82093AA-compatible, as in the ICH10): an index register at offset 0 and a
//! data window at 0x10 reaching the ID, version (24 redirection entries, version 0x20),
//! arbitration ID and the redirection table, whose entries start masked.

use super::{dword_lane, merge_lane, IO_APIC_ID};
use crate::physical::mmio::{DeviceContext, MmioDevice};
use crate::ports::Width;

const ENTRIES: usize = 24;

pub struct IoApic {
    select: u8,
    id: u32,
    redirection: [u32; 2 * ENTRIES],
}

impl Default for IoApic {
    fn default() -> Self {
        let mut redirection = [0u32; 2 * ENTRIES];
        for e in redirection.iter_mut().step_by(2) {
            *e = 1 << 16;
        }
        IoApic { select: 0, id: (IO_APIC_ID as u32) << 24, redirection }
    }
}

impl IoApic {
    fn register(&self, index: u8) -> u32 {
        match index {
            0 => self.id,
            1 => ((ENTRIES as u32 - 1) << 16) | 0x20,
            2 => self.id,
            i @ 0x10..=0x3F => self.redirection[i as usize - 0x10],
            _ => 0,
        }
    }
}

impl MmioDevice for IoApic {
    fn name(&self) -> &str {
        "io-apic"
    }

    fn read(&mut self, offset: u64, width: Width, _: &mut DeviceContext) -> u32 {
        match offset & !3 {
            0x00 => dword_lane(self.select as u32, offset, width),
            0x10 => dword_lane(self.register(self.select), offset, width),
            _ => 0,
        }
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, _: &mut DeviceContext) {
        match offset & !3 {
            0x00 if offset == 0 => self.select = value as u8,
            0x10 => match self.select {
                0 => self.id = merge_lane(self.id, offset, width, value) & 0x0F00_0000,
                i @ 0x10..=0x3F => {
                    let slot = &mut self.redirection[i as usize - 0x10];
                    // Delivery status and remote IRR (bits 12, 14) are read-only.
                    let keep = *slot & 0x5000;
                    *slot = (merge_lane(*slot, offset, width, value) & !0x5000) | keep;
                }
                _ => {}
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::VirtualClock;

    #[test]
    fn index_and_window() {
        let mut clock = VirtualClock::default();
        let mut ctx = DeviceContext::clock_only(&mut clock);
        let mut io = IoApic::default();
        io.write(0, Width::Byte, 1, &mut ctx);
        assert_eq!(io.read(0x10, Width::Dword, &mut ctx), 0x0017_0020);
        io.write(0, Width::Byte, 0, &mut ctx);
        assert_eq!(io.read(0x10, Width::Dword, &mut ctx), 0x0800_0000);
        io.write(0, Width::Byte, 0x12, &mut ctx);
        assert_eq!(io.read(0x10, Width::Dword, &mut ctx), 0x0001_0000, "masked");
        io.write(0x10, Width::Dword, 0x0000_0031, &mut ctx);
        assert_eq!(io.read(0x10, Width::Dword, &mut ctx), 0x31);
    }
}
