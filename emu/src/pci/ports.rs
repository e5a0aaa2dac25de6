//! Configuration mechanism #1: CONFIG_ADDRESS at port 0xCF8 and CONFIG_DATA at 0xCFC-0xCFF.
//!
//! As the PCI Local Bus specification (3.0, §3.2.2.3.2) and Intel's chipsets decode them:
//! - only a 32-bit access at 0xCF8 reaches CONFIG_ADDRESS (bit 31 enable, bus, device,
//!   function, register with bits 1:0 reading zero; bits 30:24 reserved, reading zero);
//! - a byte access at 0xCF9 is the reset control register of Intel chipsets (ICH10 datasheet
//!   §13.7.5, RST_CNT): bits 1 (SYS_RST, hard) and 3 (FULL_RST) select the kind of reset,
//!   and bit 2 (RST_CPU) going from 0 to 1 performs it: the run ends as a reset; other
//!   narrow accesses to 0xCF8-0xCFB reach nothing (all-ones);
//! - CONFIG_DATA takes any width at any of its four ports: the byte lanes select the
//!   register's bytes, so a word at 0xCFE reads offset `reg + 2`;
//! - with the enable bit clear, CONFIG_DATA reads all-ones and drops writes.

use super::{Bdf, Mechanism, SharedPci};
use crate::ports::{BusContext, PortDevice, Width};

/// The first port of the range (0xCF8-0xCFF).
pub const CONFIG_ADDRESS_PORT: u16 = 0xCF8;
const ENABLE: u32 = 1 << 31;
const ADDRESS_MASK: u32 = 0x80FF_FFFC;

/// The port device for 0xCF8-0xCFF.
pub struct ConfigPorts {
    bus: SharedPci,
}

impl ConfigPorts {
    pub fn new(bus: SharedPci) -> ConfigPorts {
        ConfigPorts { bus }
    }
}

/// The function and register CONFIG_ADDRESS selects, with `lane` (0..4) added.
fn target(address: u32, lane: u16) -> Option<(Bdf, u16)> {
    if address & ENABLE == 0 {
        return None;
    }
    let bdf = Bdf::new((address >> 16) as u8, ((address >> 11) & 0x1F) as u8, ((address >> 8) & 7) as u8);
    Some((bdf, (address & 0xFC) as u16 + lane))
}

impl PortDevice for ConfigPorts {
    fn name(&self) -> &str {
        "pci-config"
    }

    fn read(&mut self, offset: u16, width: Width, _: &mut BusContext) -> u32 {
        let mut bus = self.bus.borrow_mut();
        match (offset, width) {
            (0, Width::Dword) => bus.address,
            (1, Width::Byte) => bus.reset_control as u32,
            (0..=3, _) => width.all_ones(),
            (lane, _) => match target(bus.address, lane - 4) {
                Some((bdf, reg)) => bus.read(bdf, reg, width, Mechanism::Ports),
                None => width.all_ones(),
            },
        }
    }

    fn write(&mut self, offset: u16, width: Width, value: u32, ctx: &mut BusContext) {
        let mut bus = self.bus.borrow_mut();
        match (offset, width) {
            (0, Width::Dword) => bus.address = value & ADDRESS_MASK,
            (1, Width::Byte) => {
                let rising = value as u8 & !bus.reset_control & 0x04 != 0;
                bus.reset_control = value as u8 & 0x0E;
                if rising {
                    let what = match value & 0x0A {
                        0 => "reset control register: soft reset (INIT)",
                        0x02 => "reset control register: hard reset",
                        _ => "reset control register: full reset (power cycle)",
                    };
                    ctx.request_reset(0xCF9, value, what);
                }
            }
            (0..=3, _) => {}
            (lane, _) => {
                if let Some((bdf, reg)) = target(bus.address, lane - 4) {
                    bus.write(bdf, reg, width, value, Mechanism::Ports);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::pci::{chipset, PciBus};
    use crate::ports::Detached;

    fn ports() -> (ConfigPorts, SharedPci) {
        let mut b = PciBus::new();
        chipset::install(&mut b);
        let shared = Rc::new(RefCell::new(b));
        (ConfigPorts::new(shared.clone()), shared)
    }

    fn select(p: &mut ConfigPorts, bdf: Bdf, reg: u32) {
        let a = ENABLE | (bdf.bus as u32) << 16 | (bdf.device as u32) << 11 | (bdf.function as u32) << 8 | reg;
        p.write(0, Width::Dword, a, &mut Detached::default().ctx());
    }

    #[test]
    fn every_width_and_lane_reads_the_same_bytes() {
        let (mut p, bus) = ports();
        let lpc = chipset::LPC;
        let dword = bus.borrow_mut().read(lpc, 0, Width::Dword, Mechanism::Hal);
        select(&mut p, lpc, 0);
        assert_eq!(p.read(4, Width::Dword, &mut Detached::default().ctx()), dword);
        for lane in 0..4u16 {
            assert_eq!(
                p.read(4 + lane, Width::Byte, &mut Detached::default().ctx()),
                (dword >> (8 * lane)) & 0xFF,
                "byte lane {lane}"
            );
        }
        assert_eq!(p.read(6, Width::Word, &mut Detached::default().ctx()), dword >> 16);
        // Low address bits are not part of CONFIG_ADDRESS.
        p.write(0, Width::Dword, ENABLE | 0x0003, &mut Detached::default().ctx());
        assert_eq!(p.read(0, Width::Dword, &mut Detached::default().ctx()), ENABLE);
    }

    #[test]
    fn the_enable_bit_and_narrow_accesses_to_the_address_port() {
        let (mut p, _) = ports();
        select(&mut p, chipset::HOST_BRIDGE, 0);
        p.write(0, Width::Dword, 0, &mut Detached::default().ctx());
        assert_eq!(p.read(4, Width::Dword, &mut Detached::default().ctx()), 0xFFFF_FFFF, "disabled");
        p.write(1, Width::Byte, 0x06, &mut Detached::default().ctx());
        assert_eq!(p.read(1, Width::Byte, &mut Detached::default().ctx()), 0x06, "the reset control register at 0xCF9");
        let mut d = Detached::default();
        p.write(1, Width::Byte, 0x00, &mut d.ctx());
        p.write(1, Width::Byte, 0x02, &mut d.ctx());
        assert_eq!(d.reset, None, "selecting the kind resets nothing");
        p.write(1, Width::Byte, 0x06, &mut d.ctx());
        assert_eq!(d.reset.as_ref().map(|r| r.what.as_str()), Some("reset control register: hard reset"));
        assert_eq!(p.read(0, Width::Dword, &mut Detached::default().ctx()), 0, "CONFIG_ADDRESS is untouched by 0xCF9");
        assert_eq!(p.read(2, Width::Word, &mut Detached::default().ctx()), 0xFFFF);
    }

    #[test]
    fn writes_reach_the_function() {
        let (mut p, bus) = ports();
        let smbus = chipset::SMBUS;
        select(&mut p, smbus, 0x10);
        p.write(4, Width::Dword, 0xFFFF_FFFF, &mut Detached::default().ctx());
        assert_eq!(p.read(4, Width::Dword, &mut Detached::default().ctx()), 0xFFFF_FF00, "a 256-byte BAR");
        assert_eq!(bus.borrow().write_count, 1);
    }
}
