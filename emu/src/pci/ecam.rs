//! The PCI Express enhanced configuration access mechanism: configuration space mapped into
//! physical memory, 4 KiB per function (PCI Express Base Specification, §7.2.2). The offset
//! into the window is bus << 20 | device << 15 | function << 12 | register.

use super::{Bdf, Mechanism, SharedPci};
use crate::physical::mmio::{DeviceContext, MmioDevice};
use crate::ports::Width;

/// Where the default machine places the window (what its ACPI MCFG table says).
pub const ECAM_BASE: u64 = 0xE000_0000;
/// Buses 0..=255: 256 MiB.
pub const ECAM_SIZE: u64 = 256 << 20;

/// The window as a device on the physical address space.
pub struct Ecam {
    bus: SharedPci,
}

impl Ecam {
    pub fn new(bus: SharedPci) -> Ecam {
        Ecam { bus }
    }
}

fn decode(offset: u64) -> (Bdf, u16) {
    let bdf = Bdf::new((offset >> 20) as u8, ((offset >> 15) & 0x1F) as u8, ((offset >> 12) & 7) as u8);
    (bdf, (offset & 0xFFF) as u16)
}

impl MmioDevice for Ecam {
    fn name(&self) -> &str {
        "pcie-ecam"
    }

    fn read(&mut self, offset: u64, width: Width, _: &mut DeviceContext) -> u32 {
        let (bdf, reg) = decode(offset);
        self.bus.borrow_mut().read(bdf, reg, width, Mechanism::Ecam)
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, _: &mut DeviceContext) {
        let (bdf, reg) = decode(offset);
        self.bus.borrow_mut().write(bdf, reg, width, value, Mechanism::Ecam);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::cpu::VirtualClock;
    use crate::pci::ports::ConfigPorts;
    use crate::pci::{chipset, PciBus};
    use crate::ports::PortDevice;

    #[test]
    fn ecam_and_the_configuration_ports_see_one_space() {
        let mut b = PciBus::new();
        chipset::install(&mut b);
        let bus = Rc::new(RefCell::new(b));
        let mut ecam = Ecam::new(bus.clone());
        let mut ports = ConfigPorts::new(bus.clone());
        let mut clock = VirtualClock::default();
        let mut ctx = DeviceContext::clock_only(&mut clock);
        let functions: Vec<Bdf> = bus.borrow().functions().map(|(b, _)| b).collect();
        assert!(functions.len() >= 6);
        for bdf in functions {
            let base = (bdf.bus as u64) << 20 | (bdf.device as u64) << 15 | (bdf.function as u64) << 12;
            for reg in (0..0x100u64).step_by(4) {
                let address =
                    0x8000_0000 | (bdf.bus as u32) << 16 | (bdf.device as u32) << 11 | (bdf.function as u32) << 8;
                ports.write(0, Width::Dword, address | reg as u32, &mut crate::ports::Detached::default().ctx());
                assert_eq!(
                    ecam.read(base + reg, Width::Dword, &mut ctx),
                    ports.read(4, Width::Dword, &mut crate::ports::Detached::default().ctx()),
                    "{bdf} {reg:#x}"
                );
            }
        }
        // A write through ECAM is what the ports read back.
        let smbus = chipset::SMBUS;
        let base = (smbus.device as u64) << 15 | (smbus.function as u64) << 12;
        ecam.write(base + 0x10, Width::Dword, 0xFFFF_FFFF, &mut ctx);
        ports.write(
            0,
            Width::Dword,
            0x8000_0000 | (smbus.device as u32) << 11 | (smbus.function as u32) << 8 | 0x10,
            &mut crate::ports::Detached::default().ctx(),
        );
        assert_eq!(ports.read(4, Width::Dword, &mut crate::ports::Detached::default().ctx()), 0xFFFF_FF00);
        // Extended space past 0x100 exists through ECAM only, and absent functions read ones.
        assert_eq!(ecam.read(base + 0x100, Width::Dword, &mut ctx), 0);
        assert_eq!(ecam.read(5 << 15, Width::Dword, &mut ctx), 0xFFFF_FFFF);
    }
}
