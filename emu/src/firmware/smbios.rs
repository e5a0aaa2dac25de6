//! SMBIOS (DMTF DSP0134, structures of version 2.7): a 2.1 entry point (`_SM_`, with its
//! `_DMI_` intermediate anchor) and a 3.0 entry point (`_SM3_`) in the BIOS F-segment, both
//! pointing at one structure table describing the machine — BIOS, system, baseboard,
//! chassis, the processor `cpuid` reports, the memory array, its one module and where it is
//! mapped, boot status.

use super::{fix_checksum, put, MachineDescription, BIOS_BASE, FLASH_SIZE};

pub const ENTRY_POINT: u64 = 0xF_0000;
pub const ENTRY_POINT_3: u64 = 0xF_0020;
pub const TABLE: u64 = 0xF_1000;
pub const VERSION: (u8, u8) = (2, 7);

pub const MANUFACTURER: &str = "Portcullis";
pub const PRODUCT: &str = "Portcullis Virtual Machine";
/// The identity strings the tables carry, which Windows copies into the registry
/// (`HARDWARE\DESCRIPTION\System\BIOS`).
pub const BIOS_VERSION: &str = "PCULLS 1.0";
pub const BIOS_DATE: &str = "01/01/2024";
pub const SYSTEM_VERSION: &str = "1.0";
pub const SYSTEM_SKU: &str = "PCULLS-VM";
pub const SYSTEM_FAMILY: &str = "Virtual Machine";
pub const BOARD_PRODUCT: &str = "X58-ICH10R";

/// One structure: its formatted area (type, length and handle are added) and its strings.
struct Structure {
    kind: u8,
    handle: u16,
    formatted: Vec<u8>,
    strings: Vec<String>,
}

impl Structure {
    fn new(kind: u8, handle: u16) -> Structure {
        Structure { kind, handle, formatted: Vec::new(), strings: Vec::new() }
    }

    /// Adds a string and its 1-based number to the formatted area (0: no string).
    fn string(&mut self, s: &str) -> &mut Self {
        if s.is_empty() {
            self.formatted.push(0);
        } else {
            self.strings.push(s.to_string());
            self.formatted.push(self.strings.len() as u8);
        }
        self
    }

    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.formatted.extend_from_slice(b);
        self
    }

    fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.kind, 4 + self.formatted.len() as u8];
        out.extend(self.handle.to_le_bytes());
        out.extend(&self.formatted);
        if self.strings.is_empty() {
            out.extend([0, 0]);
        } else {
            for s in &self.strings {
                out.extend(s.bytes().filter(|b| *b != 0));
                out.push(0);
            }
            out.push(0);
        }
        out
    }
}

fn processor_manufacturer(vendor: &str) -> &str {
    match vendor {
        "GenuineIntel" => "Intel(R) Corporation",
        "AuthenticAMD" => "Advanced Micro Devices, Inc.",
        other => other,
    }
}

fn structures(m: &MachineDescription) -> Vec<Structure> {
    let mut v = Vec::new();
    let mhz = (m.tsc_hz / 1_000_000) as u16;

    // Type 0: BIOS. Segment 0xE000, ROM size in 64 KiB units minus one.
    let mut s = Structure::new(0, 0x0000);
    s.string(MANUFACTURER).string(BIOS_VERSION).u16(0xE000).string(BIOS_DATE);
    s.bytes(&[(FLASH_SIZE / 0x10000 - 1) as u8]);
    // ISA, PCI, flash-upgradeable, shadowing, CD boot, selectable boot, EDD, print screen,
    // 8042, serial, printer, CGA/mono video.
    s.u64(0x0000_0000_7FF9_9890);
    s.bytes(&[0x03, 0x05, 1, 0, 0xFF, 0xFF]); // ACPI, USB legacy; BBS, TCD; release 1.0
    v.push(s);

    // Type 1: system, with a fixed UUID (RFC 4122 layout, version 4 bits).
    let mut s = Structure::new(1, 0x0001);
    s.string(MANUFACTURER).string(PRODUCT).string(SYSTEM_VERSION).string("PCULLS-0001");
    s.bytes(&[0x50, 0x43, 0x55, 0x4C, 0x4C, 0x53, 0x00, 0x40, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]);
    s.bytes(&[0x06]); // wake-up: power switch
    s.string(SYSTEM_SKU).string(SYSTEM_FAMILY);
    v.push(s);

    // Type 2: baseboard, a hosting board in the chassis below.
    let mut s = Structure::new(2, 0x0002);
    s.string(MANUFACTURER).string(BOARD_PRODUCT).string("1.0").string("PCULLS-MB-0001").string("");
    s.bytes(&[0x09]).string("").u16(0x0003).bytes(&[0x0A, 0]);
    v.push(s);

    // Type 3: chassis (desktop), all states safe.
    let mut s = Structure::new(3, 0x0003);
    s.string(MANUFACTURER).bytes(&[0x03]).string("1.0").string("PCULLS-CH-0001").string("");
    s.bytes(&[0x03, 0x03, 0x03, 0x03]).u32(0).bytes(&[0, 1, 0, 0]);
    v.push(s);

    // Type 4: the processor, identified as cpuid identifies it.
    let id = m.cpu.leaf(1, 0);
    let mut s = Structure::new(4, 0x0004);
    s.string("CPU0").bytes(&[0x03, 0xC6]).string(processor_manufacturer(&m.cpu.vendor));
    s.u32(id[0]).u32(id[3]).string(m.cpu.brand.trim());
    s.bytes(&[0x8B]).u16(133).u16(mhz).u16(mhz).bytes(&[0x41, 0x24]);
    s.u16(0xFFFF).u16(0xFFFF).u16(0xFFFF).string("").string("").string("");
    let threads = m.processors.max(1) as u8;
    s.bytes(&[threads, threads, threads]).u16(0x0004).u16(0xC6);
    v.push(s);

    // Type 16: the memory array (system board, system memory, no ECC), up to 24 GiB, one slot.
    let ram_kb = m.ram_bytes() / 1024;
    let mut s = Structure::new(16, 0x0010);
    s.bytes(&[0x03, 0x03, 0x03]).u32(24 << 20).u16(0xFFFE).u16(1);
    v.push(s);

    // Type 17: one DDR3-1333 DIMM holding all the memory.
    let mut s = Structure::new(17, 0x0011);
    s.u16(0x0010).u16(0xFFFE).u16(64).u16(64);
    let mb = (m.ram_bytes() >> 20).max(1);
    if mb < 0x7FFF {
        s.u16(mb as u16);
    } else {
        s.u16(0x7FFF);
    }
    s.bytes(&[0x09, 0]).string("DIMM0").string("BANK0").bytes(&[0x18]).u16(0x0080).u16(1333);
    s.string(MANUFACTURER).string("PCULLS-DIMM-0001").string("").string("PCULLS-DDR3-1333");
    s.bytes(&[1]).u32(if mb < 0x7FFF { 0 } else { mb as u32 }).u16(1333);
    v.push(s);

    // Type 19: where each RAM range is mapped (kilobytes, inclusive end).
    for (i, (base, size)) in m.ram.iter().enumerate() {
        let mut s = Structure::new(19, 0x0013 + i as u16);
        s.u32((base / 1024) as u32).u32(((base + size) / 1024 - 1) as u32).u16(0x0010).bytes(&[1]);
        v.push(s);
    }
    debug_assert_eq!(ram_kb, m.ram.iter().map(|r| r.1 / 1024).sum::<u64>());

    // Type 32: booted without errors.
    let mut s = Structure::new(32, 0x0020);
    s.bytes(&[0; 6]).bytes(&[0]);
    v.push(s);

    v.push(Structure::new(127, 0x7F00));
    v
}

/// Writes the entry points and the structure table into the BIOS image; returns the
/// addresses of the 2.1 and 3.0 entry points.
/// The structure table (what `GetSystemFirmwareTable('RSMB')` returns after its header) and
/// the number of structures in it.
pub fn structure_table(m: &MachineDescription) -> (Vec<u8>, usize) {
    let list = structures(m);
    (list.iter().flat_map(Structure::encode).collect(), list.len())
}

pub fn build(m: &MachineDescription, bios: &mut [u8]) -> (u64, u64) {
    let list = structures(m);
    let encoded: Vec<Vec<u8>> = list.iter().map(Structure::encode).collect();
    let table: Vec<u8> = encoded.concat();
    let largest = encoded.iter().map(Vec::len).max().unwrap_or(0) as u16;
    put(bios, (TABLE - BIOS_BASE) as usize, &table);

    let mut ep = [0u8; 0x1F];
    put(&mut ep, 0, b"_SM_");
    ep[5] = 0x1F;
    ep[6] = VERSION.0;
    ep[7] = VERSION.1;
    put(&mut ep, 8, &largest.to_le_bytes());
    put(&mut ep, 0x10, b"_DMI_");
    put(&mut ep, 0x16, &(table.len() as u16).to_le_bytes());
    put(&mut ep, 0x18, &(TABLE as u32).to_le_bytes());
    put(&mut ep, 0x1C, &(list.len() as u16).to_le_bytes());
    ep[0x1E] = VERSION.0 << 4 | VERSION.1;
    fix_checksum(&mut ep[0x10..], 5);
    fix_checksum(&mut ep, 4);
    put(bios, (ENTRY_POINT - BIOS_BASE) as usize, &ep);

    let mut ep3 = [0u8; 0x18];
    put(&mut ep3, 0, b"_SM3_");
    ep3[6] = 0x18;
    ep3[7] = 3;
    ep3[8] = 0;
    ep3[10] = 1;
    put(&mut ep3, 12, &(table.len() as u32).to_le_bytes());
    put(&mut ep3, 16, &TABLE.to_le_bytes());
    fix_checksum(&mut ep3, 5);
    put(bios, (ENTRY_POINT_3 - BIOS_BASE) as usize, &ep3);
    (ENTRY_POINT, ENTRY_POINT_3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_numbered_and_terminated() {
        let mut s = Structure::new(1, 7);
        s.string("a").string("").string("bc");
        assert_eq!(s.encode(), vec![1, 7, 7, 0, 1, 0, 2, b'a', 0, b'b', b'c', 0, 0]);
        assert_eq!(Structure::new(127, 1).encode(), vec![127, 4, 1, 0, 0, 0]);
    }
}
