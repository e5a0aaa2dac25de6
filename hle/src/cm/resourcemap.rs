//! `HARDWARE\RESOURCEMAP\System Resources`: the physical memory the kernel reports at boot, as
//! REG_RESOURCE_LISTs of memory descriptors. Windows' I/O manager writes three (ReactOS'
//! `IopInitializeResourceMap` does the same): `Physical Memory\.Translated`, the RAM the memory
//! manager uses; `Reserved\.Translated`, the loader's special memory (what the firmware
//! reserves: device ranges, ACPI memory); `Loader Reserved\.Raw`, that and the firmware's
//! permanent pages. Drivers and programs read them to know which physical addresses are RAM
//! and which belong to the firmware (Dell's dcdbas checks the addresses its callers ask for
//! against `Reserved`).

use portcullis_emu::{Arch, PAGE_SIZE};

use super::REG_RESOURCE_LIST;
use crate::kernel::Kx;

const RESOURCE_MAP: &str = "\\REGISTRY\\MACHINE\\HARDWARE\\RESOURCEMAP\\System Resources";
/// CmResourceTypeMemory, CmResourceShareDeviceExclusive.
const MEMORY: u8 = 3;
const DEVICE_EXCLUSIVE: u8 = 1;
/// The largest length one descriptor's 32-bit Length holds, in whole pages: a longer run
/// takes several descriptors.
const MAX_LENGTH: u64 = 0xFFFF_F000;

/// A CM_RESOURCE_LIST with one full descriptor (interface Internal, bus 0, version 0, as
/// the kernel zeroes it) holding a memory descriptor per run.
fn memory_list(arch: Arch, runs: &[(u64, u64)]) -> Vec<u8> {
    let descriptor = match arch {
        Arch::X86 => 16,
        Arch::X64 => 20,
    };
    let parts: Vec<(u64, u64)> = runs
        .iter()
        .flat_map(|&(base, size)| {
            (0..size.div_ceil(MAX_LENGTH))
                .map(move |i| (base + i * MAX_LENGTH, (size - i * MAX_LENGTH).min(MAX_LENGTH)))
        })
        .collect();
    let mut v = Vec::new();
    v.extend(1u32.to_le_bytes()); // Count
    v.extend(0u32.to_le_bytes()); // InterfaceType: Internal
    v.extend(0u32.to_le_bytes()); // BusNumber
    v.extend(0u16.to_le_bytes()); // Version
    v.extend(0u16.to_le_bytes()); // Revision
    v.extend((parts.len() as u32).to_le_bytes());
    for (start, length) in parts {
        let mut d = vec![MEMORY, DEVICE_EXCLUSIVE, 0, 0];
        d.extend(start.to_le_bytes());
        d.extend((length as u32).to_le_bytes());
        d.resize(descriptor, 0);
        v.extend(d);
    }
    v
}

/// Writes the three lists for the machine as it is at boot.
pub(crate) fn seed(k: &mut Kx, time: u64) {
    let arch = k.arch();
    let physical = k.mem().physical();
    let ram = physical.ram_ranges();
    let reserved = physical.firmware_reserved();
    // The first page (the real-mode vectors and BIOS data) and the last page of conventional
    // memory (the extended BIOS data area) are the firmware's for good: the memory manager
    // leaves them out (MmGetPhysicalMemoryRanges says the same).
    let firmware_pages = [(0, PAGE_SIZE), (portcullis_emu::firmware::LOW_RAM_SIZE - PAGE_SIZE, PAGE_SIZE)];
    let usable: Vec<(u64, u64)> = ram
        .iter()
        .map(|&(base, size)| if base == 0 { (PAGE_SIZE, size - 2 * PAGE_SIZE) } else { (base, size) })
        .collect();
    let mut loader: Vec<(u64, u64)> = firmware_pages.iter().copied().chain(reserved.iter().copied()).collect();
    loader.sort_unstable();
    let lists = [
        ("Physical Memory", ".Translated", usable),
        ("Reserved", ".Translated", reserved),
        ("Loader Reserved", ".Raw", loader),
    ];
    let reg = &mut k.ext_mut().registry;
    for (key, value, runs) in lists {
        // As the kernel does, a list with nothing in it is not written.
        if runs.is_empty() {
            continue;
        }
        let id = reg.ensure(&format!("{RESOURCE_MAP}\\{key}"), time).expect("a registry path");
        reg.set(id, value, REG_RESOURCE_LIST, memory_list(arch, &runs), time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_longer_than_a_length_takes_several_descriptors() {
        let v = memory_list(Arch::X64, &[(0x1_0000_0000, 0x1_8000_0000)]);
        assert_eq!(v.len(), 0x14 + 2 * 20);
        assert_eq!(u32::from_le_bytes(v[0x10..0x14].try_into().unwrap()), 2);
        let second = &v[0x14 + 20..];
        assert_eq!(second[..2], [MEMORY, DEVICE_EXCLUSIVE]);
        assert_eq!(u64::from_le_bytes(second[4..12].try_into().unwrap()), 0x1_0000_0000 + MAX_LENGTH);
        assert_eq!(u32::from_le_bytes(second[12..16].try_into().unwrap()) as u64, 0x1_8000_0000 - MAX_LENGTH);
    }
}
