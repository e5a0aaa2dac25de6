//! The default machine's PCI devices: an Intel X58 I/O hub with an ICH10R I/O controller hub,
//! the chipset a Westmere Core i7-980 (the CPU `cpuid` reports) sits on, and a discrete
//! display controller behind the I/O hub's PCI Express root port.
//!
//! Identifiers, class codes, BAR layouts and capability lists are those of the real parts
//! (Intel X58 and ICH10 datasheets; an NVIDIA GeForce GTX 460); BAR addresses are what a
//! firmware would have assigned in the PCI hole below 4 GiB.
//!
//! ```text
//! 00:00.0  8086:3405  host bridge            X58 I/O Hub to ESI port
//! 00:03.0  8086:340a  PCI-to-PCI bridge      X58 PCI Express root port 3 -> bus 1
//! 00:1f.0  8086:3a16  ISA bridge (LPC)       ICH10R LPC interface (PMBASE 0x800, RCBA)
//! 00:1f.2  8086:3a22  SATA controller (AHCI) ICH10 6-port SATA AHCI (ABAR 0xdfffe000)
//! 00:1f.3  8086:3a30  SMBus controller       ICH10 SMBus (I/O 0x400, memory 0xdffff000)
//! 01:00.0  10de:0e22  VGA display controller GeForce GTX 460
//! ```

use super::function::{reg, Bar, BarKind, Capability, ConfigSpace, Identity};
use super::{Bdf, PciBus};
use crate::physical::mmio::Registers;

pub const HOST_BRIDGE: Bdf = Bdf::new(0, 0, 0);
pub const ROOT_PORT: Bdf = Bdf::new(0, 3, 0);
pub const LPC: Bdf = Bdf::new(0, 0x1F, 0);
pub const SATA: Bdf = Bdf::new(0, 0x1F, 2);
pub const SMBUS: Bdf = Bdf::new(0, 0x1F, 3);
pub const DISPLAY: Bdf = Bdf::new(1, 0, 0);

/// The ACPI power-management I/O block (PMBASE): PM1a event, control, timer, GPE0.
pub const PM_BASE: u16 = 0x800;
/// The SMBus host controller's I/O BAR.
pub const SMBUS_IO: u16 = 0x400;
/// The chipset configuration registers (LPC RCBA).
pub const RCBA: u64 = 0xFED1_C000;
pub const RCBA_SIZE: u64 = 0x4000;

fn intel(device: u16, revision: u8, class: (u8, u8, u8)) -> Identity {
    Identity { vendor: 0x8086, device, revision, class, subsystem_vendor: 0x8086, subsystem: 0x5000 }
}

fn pcie(port_type: u8, slot: bool) -> Capability {
    // Capability version 2, device/port type, slot implemented.
    let caps = 2u16 | (port_type as u16) << 4 | (slot as u16) << 8;
    let mut body = vec![0u8; 0x3A];
    body[0..2].copy_from_slice(&caps.to_le_bytes());
    // Device capabilities: 256-byte max payload.
    body[2] = 0x01;
    // Link capabilities: 5 GT/s, x16; link status: 2.5 GT/s x16 trained.
    body[10..14].copy_from_slice(&0x0000_0102u32.wrapping_add(16 << 4).to_le_bytes());
    body[16..18].copy_from_slice(&(1u16 | 16 << 4).to_le_bytes());
    Capability { id: 0x10, body, writable: vec![(6, 0xFF), (7, 0x7F), (14, 0xFF)] }
}

fn power_management() -> Capability {
    // PME from D3hot, version 1.2; PMCSR writable power state.
    Capability { id: 0x01, body: vec![0x03, 0xC8, 0x00, 0x00, 0x00, 0x00], writable: vec![(2, 0x03)] }
}

fn msi(bits64: bool) -> Capability {
    let control: u16 = if bits64 { 0x0080 } else { 0x0000 };
    let len = if bits64 { 12 } else { 8 };
    let mut body = vec![0u8; len];
    body[0..2].copy_from_slice(&control.to_le_bytes());
    let writable = (0..len).map(|i| (i, if i == 0 { 0x71 } else { 0xFF })).collect();
    Capability { id: 0x05, body, writable }
}

/// Adds the default machine's functions to `bus`.
pub fn install(bus: &mut PciBus) {
    // Host bridge: the I/O hub's ESI port.
    let mut host = ConfigSpace::endpoint(&intel(0x3405, 0x13, (0x06, 0x00, 0x00)), false);
    host.set_capabilities(0x90, &[pcie(0x9, false)]);
    let _ = bus.insert(HOST_BRIDGE, "X58 I/O hub (host bridge)", host);

    // Root port 3, bus 1 behind it, with windows covering the display controller.
    let mut port = ConfigSpace::bridge(&intel(0x340A, 0x13, (0x06, 0x04, 0x00)), 0, 1, 1);
    port.preset(0x1C, &[0xE0, 0xE0], true); // I/O window 0xE000-0xEFFF
    port.preset(0x20, &0xDE00u16.to_le_bytes(), true); // memory 0xDE000000-0xDFFFFFFF
    port.preset(0x22, &0xDFF0u16.to_le_bytes(), true);
    port.preset(0x24, &0xC001u16.to_le_bytes(), true); // prefetchable, 64-bit capable
    port.preset(0x26, &0xCFF1u16.to_le_bytes(), true);
    port.preset(reg::COMMAND, &[0x07, 0x00], true);
    port.set_capabilities(0x40, &[pcie(0x4, true), msi(false), power_management()]);
    let _ = bus.insert(ROOT_PORT, "X58 PCI Express root port 3", port);

    // The display controller.
    let id = Identity {
        vendor: 0x10DE,
        device: 0x0E22,
        revision: 0xA1,
        class: (0x03, 0x00, 0x00),
        subsystem_vendor: 0x1458,
        subsystem: 0x34FC,
    };
    let mut gpu = ConfigSpace::endpoint(&id, false);
    gpu.set_bar(0, Bar { kind: BarKind::Memory32 { prefetchable: false }, size: 16 << 20, address: 0xDE00_0000 });
    gpu.set_bar(1, Bar { kind: BarKind::Memory64 { prefetchable: true }, size: 128 << 20, address: 0xC000_0000 });
    gpu.set_bar(3, Bar { kind: BarKind::Memory64 { prefetchable: true }, size: 32 << 20, address: 0xC800_0000 });
    gpu.set_bar(5, Bar { kind: BarKind::Io, size: 128, address: 0xE000 });
    gpu.set_rom(512 << 10, 0xDF00_0000);
    gpu.preset(reg::COMMAND, &[0x07, 0x00], true);
    gpu.preset(reg::INTERRUPT_PIN, &[0x01], false);
    gpu.preset(reg::INTERRUPT_LINE, &[0x10], true);
    gpu.set_capabilities(0x60, &[power_management(), msi(true), pcie(0x0, false)]);
    let _ = bus.insert(DISPLAY, "GeForce GTX 460 (display)", gpu);
    // PMC_BOOT_0 (chip identification) at the start of the register window.
    let _ = bus.back_bar(DISPLAY, 0, Box::new(Registers::new("gpu-registers", 16 << 20, &[(0, 0x0C40_00A1)])));
    let _ = bus.back_bar(DISPLAY, 1, Box::new(Registers::new("gpu-vram", 128 << 20, &[])));

    // LPC bridge: PMBASE, ACPI control, GPIO base, PIRQ routing, decode ranges, BIOS
    // control (flash write-protected, lock enabled), RCBA.
    let mut lpc = ConfigSpace::endpoint(&intel(0x3A16, 0x00, (0x06, 0x01, 0x00)), true);
    lpc.preset(0x40, &(PM_BASE as u32 | 1).to_le_bytes(), true);
    lpc.preset(0x44, &[0x80], true);
    lpc.preset(0x48, &0x0501u32.to_le_bytes(), true);
    lpc.preset(0x4C, &[0x10], true);
    lpc.preset(0x60, &[0x0B, 0x0A, 0x0B, 0x0A], true);
    lpc.preset(0x68, &[0x80, 0x80, 0x80, 0x80], true);
    lpc.preset(0x80, &[0x10, 0x00, 0x0F, 0x3C], true);
    lpc.preset(0xDC, &[0x02], false);
    // BIOS write enable (bit 0) is the one bit of BIOS_CNTL software may set.
    lpc.set_writable(0xDC, &[0x01]);
    lpc.preset(0xF0, &((RCBA as u32) | 1).to_le_bytes(), true);
    lpc.preset(reg::COMMAND, &[0x07, 0x00], true);
    lpc.set_capabilities(
        0xE0,
        &[Capability {
            id: 0x09,
            body: vec![0x0C, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
            writable: vec![],
        }],
    );
    let _ = bus.insert(LPC, "ICH10R LPC interface", lpc);

    // SATA in AHCI mode: legacy-compatible I/O BARs and the AHCI register BAR.
    let mut sata = ConfigSpace::endpoint(&intel(0x3A22, 0x00, (0x01, 0x06, 0x01)), false);
    for (i, (size, address)) in
        [(8, 0xF090), (4, 0xF080), (8, 0xF070), (4, 0xF060), (32, 0xF020)].into_iter().enumerate()
    {
        sata.set_bar(i, Bar { kind: BarKind::Io, size, address });
    }
    sata.set_bar(5, Bar { kind: BarKind::Memory32 { prefetchable: false }, size: 2048, address: 0xDFFF_E000 });
    sata.preset(reg::COMMAND, &[0x07, 0x00], true);
    sata.preset(reg::INTERRUPT_PIN, &[0x02], false);
    sata.preset(reg::INTERRUPT_LINE, &[0x13], true);
    sata.set_capabilities(
        0x70,
        &[
            power_management(),
            msi(false),
            Capability { id: 0x12, body: vec![0x10, 0x00, 0x48, 0x00, 0x00, 0x00], writable: vec![] },
        ],
    );
    let _ = bus.insert(SATA, "ICH10 SATA AHCI controller", sata);
    // HBA registers: capabilities (64-bit, NCQ, 32 command slots, 3 Gb/s, 6 ports), AHCI
    // enabled, ports implemented 0x3F, version 1.2.
    let abar = Registers::new(
        "ahci",
        2048,
        &[(0x00, 0xE722_FF45), (0x04, 0x8000_0000), (0x0C, 0x0000_003F), (0x10, 0x0001_0200)],
    )
    .read_only(0x00, 0x03)
    .read_only(0x0C, 0x13);
    let _ = bus.back_bar(SATA, 5, Box::new(abar));

    // SMBus host controller: memory and I/O BARs, host configuration (enabled).
    let mut smbus = ConfigSpace::endpoint(&intel(0x3A30, 0x00, (0x0C, 0x05, 0x00)), false);
    smbus.set_bar(0, Bar { kind: BarKind::Memory32 { prefetchable: false }, size: 256, address: 0xDFFF_F000 });
    smbus.set_bar(4, Bar { kind: BarKind::Io, size: 32, address: SMBUS_IO as u64 });
    smbus.preset(reg::COMMAND, &[0x03, 0x00], true);
    smbus.preset(0x40, &[0x01], true);
    smbus.preset(reg::INTERRUPT_PIN, &[0x03], false);
    smbus.preset(reg::INTERRUPT_LINE, &[0x12], true);
    let _ = bus.insert(SMBUS, "ICH10 SMBus controller", smbus);
    let _ = bus.back_bar(SMBUS, 0, Box::new(Registers::new("smbus-registers", 256, &[])));
}
