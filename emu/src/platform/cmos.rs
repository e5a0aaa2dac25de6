//! The CMOS RAM and real-time clock at ports 0x70 (index; bit 7 masks NMI) and 0x71 (data),
//! as an MC146818-compatible part presents them: the date in BCD, 24-hour mode, the update
//! cycle never in progress, the valid-RAM bit set, and the BIOS's memory size fields filled
//! in for the machine.
//!
//! The clock shows the moment the machine was switched on and does not tick: time in the
//! machine is the virtual clock's, which a port device cannot see.

use crate::ports::{PortDevice, Width};

/// The date the real-time clock shows: 2024-01-01 00:00:00, the kernel's virtual boot time.
pub const POWER_ON: (u16, u8, u8, u8, u8, u8) = (2024, 1, 1, 0, 0, 0);

pub struct Cmos {
    index: u8,
    ram: [u8; 128],
}

fn bcd(v: u8) -> u8 {
    (v / 10) << 4 | (v % 10)
}

impl Cmos {
    /// CMOS for a machine with `ram_bytes` of memory above 1 MiB.
    pub fn new(ram_bytes: u64) -> Cmos {
        let mut ram = [0u8; 128];
        let (year, month, day, hour, minute, second) = POWER_ON;
        ram[0x00] = bcd(second);
        ram[0x02] = bcd(minute);
        ram[0x04] = bcd(hour);
        ram[0x06] = 2; // Monday
        ram[0x07] = bcd(day);
        ram[0x08] = bcd(month);
        ram[0x09] = bcd((year % 100) as u8);
        ram[0x0A] = 0x26; // 32.768 kHz time base, 1024 Hz rate, no update in progress
        ram[0x0B] = 0x02; // 24-hour, BCD
        ram[0x0D] = 0x80; // RAM and time valid
        ram[0x14] = 0x06; // equipment: coprocessor, VGA-compatible
        ram[0x15..0x17].copy_from_slice(&640u16.to_le_bytes());
        let extended_kb = (ram_bytes / 1024).min(0xFFFF) as u16;
        ram[0x17..0x19].copy_from_slice(&extended_kb.to_le_bytes());
        ram[0x30..0x32].copy_from_slice(&extended_kb.to_le_bytes());
        ram[0x32] = bcd((year / 100) as u8);
        let above_16m = (ram_bytes.saturating_sub(15 << 20) / 65536).min(0xFFFF) as u16;
        ram[0x34..0x36].copy_from_slice(&above_16m.to_le_bytes());
        let sum: u16 = ram[0x10..0x2E].iter().map(|b| *b as u16).sum();
        ram[0x2E..0x30].copy_from_slice(&sum.to_be_bytes());
        Cmos { index: 0, ram }
    }

    /// The byte at `index` (0..128), as the data port reads it.
    pub fn byte(&self, index: u8) -> u8 {
        self.ram[(index & 0x7F) as usize]
    }
}

impl PortDevice for Cmos {
    fn name(&self) -> &str {
        "cmos-rtc"
    }

    fn read(&mut self, offset: u16, width: Width) -> u32 {
        let v = match offset {
            0 => self.index as u32,
            _ => {
                let v = self.byte(self.index) as u32;
                // Register C clears when read.
                if self.index & 0x7F == 0x0C {
                    self.ram[0x0C] = 0;
                }
                v
            }
        };
        // A word at 0x70 reads both ports.
        if width == Width::Word && offset == 0 {
            return v | (self.byte(self.index) as u32) << 8;
        }
        v
    }

    fn write(&mut self, offset: u16, width: Width, value: u32) {
        if offset == 0 {
            self.index = value as u8;
            if width == Width::Word {
                self.write(1, Width::Byte, value >> 8);
            }
            return;
        }
        let i = (self.index & 0x7F) as usize;
        match i {
            // Status registers C and D are read-only; A's update-in-progress bit too.
            0x0C | 0x0D => {}
            0x0A => self.ram[i] = value as u8 & 0x7F,
            _ => self.ram[i] = value as u8,
        }
    }

    fn widths(&self) -> crate::ports::Widths {
        crate::ports::Widths::BYTE_WORD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_memory_and_checksum() {
        let mut c = Cmos::new(512 << 20);
        c.write(0, Width::Byte, 0x09);
        assert_eq!(c.read(1, Width::Byte), 0x24);
        c.write(0, Width::Byte, 0x80 | 0x32);
        assert_eq!(c.read(1, Width::Byte), 0x20, "NMI mask bit is not part of the index");
        let sum: u16 = (0x10..0x2E).map(|i| c.byte(i) as u16).sum();
        assert_eq!(u16::from_be_bytes([c.byte(0x2E), c.byte(0x2F)]), sum);
        assert_eq!(u16::from_le_bytes([c.byte(0x17), c.byte(0x18)]), 0xFFFF);
        c.write(0, Width::Byte, 0x0D);
        c.write(1, Width::Byte, 0);
        assert_eq!(c.read(1, Width::Byte), 0x80);
    }
}
