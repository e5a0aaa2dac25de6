//! ACPI tables (ACPI 3.0 layouts, which Windows 7 and later read): the RSDP in the BIOS
//! F-segment, pointing at an RSDT and an XSDT that list the FADT (with its FACS and a DSDT
//! describing the PCI root bridge), the MADT (local APICs, the I/O APIC, the ISA interrupt
//! overrides, LINT1 as NMI), the MCFG (the ECAM window) and the HPET table. All of them live
//! in the system BIOS ROM's E-segment, so nothing the guest does can move or corrupt them.

use super::{fix_checksum, put, MachineDescription, BIOS_BASE};

pub const OEM_ID: &[u8; 6] = b"PCULLS";
pub const OEM_TABLE_ID: &[u8; 8] = b"PORTCULL";
/// Every table's OEM revision.
pub const OEM_REVISION: u32 = 1;
const CREATOR_ID: &[u8; 4] = b"PCLS";

/// Where the RSDP sits (a 16-byte boundary in 0xE0000-0xFFFFF, as the specification asks).
pub const RSDP_ADDRESS: u64 = 0xF_0040;
const TABLES: u64 = 0xE_0000;

/// A table: the standard header followed by `body`, with its checksum set.
pub fn table(signature: &[u8; 4], revision: u8, body: &[u8]) -> Vec<u8> {
    let len = 36 + body.len();
    let mut t = vec![0u8; len];
    put(&mut t, 0, signature);
    put(&mut t, 4, &(len as u32).to_le_bytes());
    t[8] = revision;
    put(&mut t, 10, OEM_ID);
    put(&mut t, 16, OEM_TABLE_ID);
    put(&mut t, 24, &OEM_REVISION.to_le_bytes());
    put(&mut t, 28, CREATOR_ID);
    put(&mut t, 32, &1u32.to_le_bytes());
    put(&mut t, 36, body);
    fix_checksum(&mut t, 9);
    t
}

/// A Generic Address Structure: space (0 memory, 1 I/O), width in bits, address.
fn gas(space: u8, bits: u8, access: u8, address: u64) -> [u8; 12] {
    let mut g = [0u8; 12];
    g[0] = space;
    g[1] = bits;
    g[3] = access;
    g[4..12].copy_from_slice(&address.to_le_bytes());
    g
}

fn fadt(m: &MachineDescription, facs: u64, dsdt: u64) -> Vec<u8> {
    let pm = m.pm_base as u32;
    let mut b = vec![0u8; 244 - 36];
    let mut at = |off: usize, bytes: &[u8]| {
        b[off - 36..off - 36 + bytes.len()].copy_from_slice(bytes);
    };
    at(36, &(facs as u32).to_le_bytes());
    at(40, &(dsdt as u32).to_le_bytes());
    at(45, &[1]); // preferred profile: desktop
    at(46, &9u16.to_le_bytes()); // SCI on IRQ 9
    at(48, &0xB2u32.to_le_bytes()); // SMI command port
    at(52, &[0xA0, 0xA1]);
    at(56, &pm.to_le_bytes()); // PM1a event block
    at(64, &(pm + 4).to_le_bytes()); // PM1a control
    at(72, &(pm + 0x50).to_le_bytes()); // PM2 control
    at(76, &(pm + 8).to_le_bytes()); // PM timer
    at(80, &(pm + 0x20).to_le_bytes()); // GPE0
    at(88, &[4, 2, 1, 4, 16, 0, 0, 0]);
    at(96, &101u16.to_le_bytes()); // C2 latency > 100: no C2
    at(98, &1001u16.to_le_bytes()); // C3 latency > 1000: no C3
    at(104, &[1, 3, 0x0D, 0x00, 0x32]); // duty cycle, RTC alarm, century in CMOS 0x32
    at(109, &3u16.to_le_bytes()); // legacy devices, 8042

    // WBINVD, C1 on all processors, sleep button as a control method, RTC wakes from S4,
    // 32-bit PM timer, reset register supported.
    at(112, &0x0000_05A5u32.to_le_bytes());
    at(116, &gas(1, 8, 1, 0xCF9)); // reset: write 6 to 0xCF9
    at(128, &[0x06]);
    at(132, &facs.to_le_bytes());
    at(140, &dsdt.to_le_bytes());
    at(148, &gas(1, 32, 0, pm as u64));
    at(172, &gas(1, 16, 0, pm as u64 + 4));
    at(196, &gas(1, 8, 0, pm as u64 + 0x50));
    at(208, &gas(1, 32, 0, pm as u64 + 8));
    at(220, &gas(1, 128, 0, pm as u64 + 0x20));
    table(b"FACP", 4, &b)
}

fn facs() -> Vec<u8> {
    let mut f = vec![0u8; 64];
    put(&mut f, 0, b"FACS");
    put(&mut f, 4, &64u32.to_le_bytes());
    f[32] = 1; // version (ACPI 2.0+)
    f
}

/// AML PkgLength for a package whose contents (after the PkgLength) take `len` bytes.
fn pkg_length(len: usize) -> Vec<u8> {
    let total = len + 1;
    if total < 0x40 {
        return vec![total as u8];
    }
    let total = len + 2;
    vec![0x40 | (total & 0xF) as u8, (total >> 4) as u8]
}

fn name_eisa(name: &[u8; 4], id: u32) -> Vec<u8> {
    let mut v = vec![0x08];
    v.extend_from_slice(name);
    v.push(0x0C);
    v.extend_from_slice(&id.to_le_bytes());
    v
}

/// `Scope (\_SB) { Device (PCI0) { _HID PNP0A08, _CID PNP0A03, _UID 0, _BBN 0 } }`.
fn dsdt() -> Vec<u8> {
    let mut device = b"PCI0".to_vec();
    device.extend(name_eisa(b"_HID", 0x080A_D041)); // EisaId ("PNP0A08")
    device.extend(name_eisa(b"_CID", 0x030A_D041)); // EisaId ("PNP0A03")
    device.extend([0x08, b'_', b'U', b'I', b'D', 0x00]);
    device.extend([0x08, b'_', b'B', b'B', b'N', 0x00]);
    let mut dev = vec![0x5B, 0x82];
    dev.extend(pkg_length(device.len()));
    dev.extend(device);
    let mut scope_body = vec![b'\\', b'_', b'S', b'B', b'_'];
    scope_body.extend(dev);
    let mut aml = vec![0x10];
    aml.extend(pkg_length(scope_body.len()));
    aml.extend(scope_body);
    table(b"DSDT", 2, &aml)
}

fn madt(m: &MachineDescription) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend((m.local_apic as u32).to_le_bytes());
    b.extend(1u32.to_le_bytes()); // PCAT_COMPAT: dual 8259s present
    for cpu in 0..m.processors.max(1) {
        b.extend([0, 8, cpu as u8, cpu as u8, 1, 0, 0, 0]);
    }
    b.extend([1, 12, m.io_apic.1, 0]);
    b.extend((m.io_apic.0 as u32).to_le_bytes());
    b.extend(0u32.to_le_bytes());
    // IRQ0 (the PIT) arrives on GSI 2; the SCI (IRQ 9) is level-triggered, active high.
    b.extend([2, 10, 0, 0]);
    b.extend(2u32.to_le_bytes());
    b.extend(0u16.to_le_bytes());
    b.extend([2, 10, 0, 9]);
    b.extend(9u32.to_le_bytes());
    b.extend(0x000Du16.to_le_bytes());
    // LINT1 of every processor is the NMI.
    b.extend([4, 6, 0xFF, 0x05, 0x00, 1]);
    table(b"APIC", 2, &b)
}

fn mcfg(m: &MachineDescription) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    b.extend(m.ecam.0.to_le_bytes());
    b.extend(0u16.to_le_bytes());
    b.extend([m.ecam.1, m.ecam.2, 0, 0, 0, 0]);
    table(b"MCFG", 1, &b)
}

fn hpet(m: &MachineDescription) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0x8086_A301u32.to_le_bytes());
    b.extend(gas(0, 64, 0, m.hpet));
    b.push(0); // HPET number
    b.extend(0x0080u16.to_le_bytes()); // minimum periodic tick
    b.push(0); // no page protection
    table(b"HPET", 1, &b)
}

/// Writes every table into the BIOS image; returns the RSDP's address and the addresses of the
/// tables Windows's 'ACPI' firmware-table provider lists (those the XSDT lists, then the DSDT).
pub fn build(m: &MachineDescription, bios: &mut [u8]) -> (u64, Vec<u64>) {
    let mut next = TABLES;
    let mut place = |bios: &mut [u8], t: &[u8], align: u64| -> u64 {
        let at = next.div_ceil(align) * align;
        put(bios, (at - BIOS_BASE) as usize, t);
        next = at + t.len() as u64;
        at
    };
    // The RSDT and XSDT go first at fixed sizes; their entries are filled in below.
    let listed = 4;
    let rsdt_at = place(bios, &vec![0u8; 36 + 4 * listed], 16);
    let xsdt_at = place(bios, &vec![0u8; 36 + 8 * listed], 16);
    let facs_at = place(bios, &facs(), 64);
    let dsdt_at = place(bios, &dsdt(), 16);
    let entries = [
        place(bios, &fadt(m, facs_at, dsdt_at), 16),
        place(bios, &madt(m), 16),
        place(bios, &mcfg(m), 16),
        place(bios, &hpet(m), 16),
    ];
    let rsdt: Vec<u8> = entries.iter().flat_map(|e| (*e as u32).to_le_bytes()).collect();
    let xsdt: Vec<u8> = entries.iter().flat_map(|e| e.to_le_bytes()).collect();
    put(bios, (rsdt_at - BIOS_BASE) as usize, &table(b"RSDT", 1, &rsdt));
    put(bios, (xsdt_at - BIOS_BASE) as usize, &table(b"XSDT", 1, &xsdt));

    let mut rsdp = [0u8; 36];
    put(&mut rsdp, 0, b"RSD PTR ");
    put(&mut rsdp, 9, OEM_ID);
    rsdp[15] = 2;
    put(&mut rsdp, 16, &(rsdt_at as u32).to_le_bytes());
    put(&mut rsdp, 20, &36u32.to_le_bytes());
    put(&mut rsdp, 24, &xsdt_at.to_le_bytes());
    fix_checksum(&mut rsdp[..20], 8);
    fix_checksum(&mut rsdp, 32);
    put(bios, (RSDP_ADDRESS - BIOS_BASE) as usize, &rsdp);
    let mut listed = entries.to_vec();
    listed.push(dsdt_at);
    (RSDP_ADDRESS, listed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::checksum_ok;

    #[test]
    fn aml_package_lengths() {
        assert_eq!(pkg_length(0x1E), vec![0x1F]);
        assert_eq!(pkg_length(0x3E), vec![0x3F]);
        // 0x3F bytes of content need two PkgLength bytes: 0x41 in all.
        assert_eq!(pkg_length(0x3F), vec![0x41, 0x04]);
    }

    #[test]
    fn tables_have_valid_checksums_and_lengths() {
        let d = dsdt();
        assert!(checksum_ok(&d));
        assert_eq!(u32::from_le_bytes(d[4..8].try_into().unwrap()) as usize, d.len());
        // Scope op, PkgLength covering the rest.
        assert_eq!(d[36], 0x10);
        assert_eq!(d[37] as usize, d.len() - 37);
        let t = table(b"TEST", 1, &[1, 2, 3]);
        assert!(checksum_ok(&t));
        assert_eq!(t.len(), 39);
    }
}
