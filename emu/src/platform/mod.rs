//! The platform devices every PC has outside PCI: the local APIC, the I/O APIC and the HPET
//! on the physical address space; the SMBus host controller's registers on the port bus.
//! (The legacy chips on the port bus — CMOS/RTC, PIT, PIC, UARTs, ... — are models of the
//! `portcullis-devices` crate, attached by the tool.)

pub mod hpet;
pub mod ioapic;
pub mod lapic;
pub mod smbus;

/// Where the platform devices sit (what the ACPI MADT and HPET tables say).
pub const LOCAL_APIC_BASE: u64 = 0xFEE0_0000;
pub const IO_APIC_BASE: u64 = 0xFEC0_0000;
pub const HPET_BASE: u64 = 0xFED0_0000;
/// The I/O APIC's APIC ID (the processors take 0..n).
pub const IO_APIC_ID: u8 = 8;

/// Attaches the chipset's port devices: the PCI configuration ports (with the reset control
/// register) and the SMBus host controller's registers. A scenario's own ranges replace them.
pub fn install_ports(ports: &mut crate::ports::PortBus, pci: crate::pci::SharedPci) {
    use crate::pci::chipset::SMBUS_IO;
    let _ = ports.add_chipset_device(0xCF8, 0xCFF, Box::new(crate::pci::ports::ConfigPorts::new(pci)));
    let _ = ports.add_chipset_device(SMBUS_IO, SMBUS_IO + 0x1F, Box::new(smbus::SmbusHost::default()));
}

/// Reads `width` bytes at byte `offset` of a little-endian dword register.
pub(crate) fn dword_lane(value: u32, offset: u64, width: crate::ports::Width) -> u32 {
    let shifted = value >> (8 * (offset % 4));
    shifted & width.all_ones()
}

/// Merges a `width`-byte write at byte `offset` into a dword register.
pub(crate) fn merge_lane(old: u32, offset: u64, width: crate::ports::Width, value: u32) -> u32 {
    let shift = 8 * (offset % 4) as u32;
    let mask = (width.all_ones() as u64) << shift;
    let mask = mask as u32;
    (old & !mask) | ((value << shift) & mask)
}
