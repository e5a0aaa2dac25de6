//! System control port A at 0x92 (the "fast A20 and reset" port of PS/2 and every chipset
//! since): bit 1 gates address line 20, bit 0 set resets the processor (the run ends as a
//! reset). Bit 3 is the power-on password lock, kept as written.

use portcullis_emu::ports::BusContext;

use crate::chip::Chip;

#[derive(Debug)]
pub struct SystemControlA {
    value: u8,
}

impl Default for SystemControlA {
    fn default() -> Self {
        // A20 enabled, as firmware leaves it.
        SystemControlA { value: 0x02 }
    }
}

impl SystemControlA {
    pub fn a20(&self) -> bool {
        self.value & 2 != 0
    }
}

impl Chip for SystemControlA {
    fn name(&self) -> &'static str {
        "system-control-a"
    }

    fn read(&mut self, _: u8, _: u16, _: &mut BusContext) -> u8 {
        self.value
    }

    fn write(&mut self, _: u8, _: u16, value: u8, ctx: &mut BusContext) {
        self.value = value & 0x0A;
        if value & 1 != 0 {
            ctx.request_reset(0x92, value as u32, "system control port A: fast reset");
        }
    }
}
