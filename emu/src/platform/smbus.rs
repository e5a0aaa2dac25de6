//! The ICH10 SMBus host controller's I/O registers (at the SMBus function's I/O BAR): a
//! host with nothing on its bus. A transaction started through the host control register
//! ends at once with a device error (no slave acknowledged its address), as on a board whose
//! SMBus has no devices at the addresses asked for.

use crate::ports::{BusContext, PortDevice, Width};

const HST_STS: usize = 0x00;
const HST_CNT: usize = 0x02;
const START: u8 = 1 << 6;
const DEV_ERR: u8 = 1 << 2;
const INUSE: u8 = 1 << 6;

pub struct SmbusHost {
    regs: [u8; 32],
}

impl Default for SmbusHost {
    fn default() -> Self {
        let mut regs = [0u8; 32];
        // SMBus pin control: clock and data lines high (idle).
        regs[0x0F] = 0x03;
        SmbusHost { regs }
    }
}

impl PortDevice for SmbusHost {
    fn name(&self) -> &str {
        "smbus-host"
    }

    fn widths(&self) -> crate::ports::Widths {
        crate::ports::Widths::BYTE
    }

    fn read(&mut self, offset: u16, _: Width, _: &mut BusContext) -> u32 {
        let i = offset as usize % 32;
        let v = self.regs[i];
        if i == HST_STS {
            // Reading the status claims the in-use semaphore for the reader.
            self.regs[HST_STS] |= INUSE;
        }
        v as u32
    }

    fn write(&mut self, offset: u16, _: Width, value: u32, _: &mut BusContext) {
        let i = offset as usize % 32;
        let v = value as u8;
        match i {
            HST_STS => self.regs[HST_STS] &= !v,
            HST_CNT => {
                self.regs[HST_CNT] = v & !START;
                if v & START != 0 {
                    self.regs[HST_STS] |= DEV_ERR;
                }
            }
            _ => self.regs[i] = v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Detached;

    #[test]
    fn transactions_end_with_no_device() {
        let mut s = SmbusHost::default();
        s.write(4, Width::Byte, 0xA1, &mut Detached::default().ctx()); // read from 0x50 (SPD)
        s.write(2, Width::Byte, 0x48, &mut Detached::default().ctx()); // byte data, start
        assert_eq!(s.read(0, Width::Byte, &mut Detached::default().ctx()) as u8 & DEV_ERR, DEV_ERR);
        s.write(0, Width::Byte, 0xFF, &mut Detached::default().ctx());
        assert_eq!(s.read(0, Width::Byte, &mut Detached::default().ctx()), 0);
    }
}
