//! What the firmware leaves in memory for the operating system: the real-mode interrupt
//! vectors, the BIOS data area and its extended area, the system BIOS ROM with the SMBIOS and
//! ACPI tables, a display controller's option ROM, and the BIOS flash at the top of 4 GiB.
//!
//! Everything is built from one [`MachineDescription`] — the processor `cpuid` reports, the
//! memory the machine has, the chipset on its PCI bus, where its interrupt controllers and
//! timers are — so the tables describe the machine drivers actually run on, and every
//! checksum holds. Images are built on first use (most drivers never look).

pub mod acpi;
pub mod bios;
pub mod smbios;

use crate::cpu::CpuIdentity;

/// The system BIOS ROM: 0xE0000-0xFFFFF.
pub const BIOS_BASE: u64 = 0xE_0000;
pub const BIOS_SIZE: u64 = 0x2_0000;
/// The display controller's option ROM: 0xC0000-0xC7FFF.
pub const OPTION_ROM_BASE: u64 = 0xC_0000;
pub const OPTION_ROM_SIZE: u64 = 0x8000;
/// The BIOS flash part, mapped below 4 GiB; its last 128 KiB is the system BIOS.
pub const FLASH_BASE: u64 = 0xFFE0_0000;
pub const FLASH_SIZE: u64 = 0x20_0000;
/// Conventional memory: 0-0x9FFFF (the last KiB is the extended BIOS data area).
pub const LOW_RAM_SIZE: u64 = 0xA_0000;

/// What the firmware describes.
#[derive(Clone, Debug)]
pub struct MachineDescription {
    pub cpu: CpuIdentity,
    /// Processors (each with a local APIC).
    pub processors: u32,
    /// The time-stamp counter's rate: the processor's speed.
    pub tsc_hz: u64,
    /// RAM ranges (base, size) in the physical address space.
    pub ram: Vec<(u64, u64)>,
    /// The PCI Express configuration window: base, first and last bus.
    pub ecam: (u64, u8, u8),
    /// The display controller the option ROM belongs to (vendor, device).
    pub display: (u16, u16),
    /// The ACPI power-management I/O block.
    pub pm_base: u16,
    pub local_apic: u64,
    pub io_apic: (u64, u8),
    pub hpet: u64,
}

impl MachineDescription {
    pub fn ram_bytes(&self) -> u64 {
        self.ram.iter().map(|r| r.1).sum()
    }
}

/// Sets `bytes[at]` so that all of `bytes` sums to zero (mod 256).
pub(crate) fn fix_checksum(bytes: &mut [u8], at: usize) {
    bytes[at] = 0;
    let sum = bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    bytes[at] = sum.wrapping_neg();
}

/// Whether `bytes` sums to zero (mod 256).
pub fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b)) == 0
}

/// The built images.
pub struct Images {
    /// 0x00000-0x9FFFF: vectors, BIOS data area, extended BIOS data area.
    pub low: Vec<u8>,
    /// 0xE0000-0xFFFFF.
    pub bios: Vec<u8>,
    /// 0xC0000-0xC7FFF.
    pub option_rom: Vec<u8>,
    /// Where the ACPI RSDP and the SMBIOS entry points are (physical addresses).
    pub rsdp: u64,
    /// The ACPI tables the 'ACPI' firmware-table provider lists (physical addresses).
    pub acpi_tables: Vec<u64>,
    pub smbios: u64,
    pub smbios3: u64,
}

/// Builds every image for `m`.
pub fn build(m: &MachineDescription) -> Images {
    let mut bios = vec![0u8; BIOS_SIZE as usize];
    let (rsdp, acpi_tables) = acpi::build(m, &mut bios);
    let sm = smbios::build(m, &mut bios);
    bios::finish_rom(&mut bios);
    Images {
        low: bios::low_memory(m),
        bios,
        option_rom: bios::option_rom(m.display),
        rsdp,
        acpi_tables,
        smbios: sm.0,
        smbios3: sm.1,
    }
}

impl Images {
    /// The bytes of the ACPI table at `address` in the system BIOS (its header's length).
    pub fn acpi_table(&self, address: u64) -> Option<&[u8]> {
        let at = usize::try_from(address.checked_sub(BIOS_BASE)?).ok()?;
        let len = u32::from_le_bytes(self.bios.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        self.bios.get(at..at.checked_add(len)?)
    }
}

/// Writes `s` and a NUL into `out` at `at`, returning the position after.
pub(crate) fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    out[at..at + bytes.len()].copy_from_slice(bytes);
    at + bytes.len()
}
