//! The legacy first megabyte: the real-mode interrupt vector table, the BIOS data area (IBM
//! PC/AT layout), the extended BIOS data area, the display controller's option ROM, and the
//! fixed parts of the system BIOS ROM (the reset vector, the build date, the model byte).

use super::{fix_checksum, put, MachineDescription, BIOS_BASE, LOW_RAM_SIZE, OPTION_ROM_SIZE};

/// Segment of the extended BIOS data area (the last KiB of conventional memory).
pub const EBDA_SEGMENT: u16 = 0x9FC0;
/// An `iret` in the BIOS that every unused interrupt vector points at.
const IRET_AT: u64 = 0xF_FF53;
/// The serial and parallel ports the machine reports (COM1, COM2; LPT1).
pub const COM_PORTS: [u16; 4] = [0x3F8, 0x2F8, 0, 0];
pub const LPT_PORTS: [u16; 3] = [0x378, 0, 0];

/// The first 640 KiB: vectors, BIOS data area, and the extended BIOS data area.
pub fn low_memory(_: &MachineDescription) -> Vec<u8> {
    let mut m = vec![0u8; LOW_RAM_SIZE as usize];
    // Every vector points at the iret (segment 0xF000).
    for v in 0..256 {
        put(&mut m, v * 4, &((IRET_AT & 0xFFFF) as u16).to_le_bytes());
        put(&mut m, v * 4 + 2, &0xF000u16.to_le_bytes());
    }
    let bda = 0x400;
    for (i, p) in COM_PORTS.iter().enumerate() {
        put(&mut m, bda + 2 * i, &p.to_le_bytes());
    }
    for (i, p) in LPT_PORTS.iter().enumerate() {
        put(&mut m, bda + 8 + 2 * i, &p.to_le_bytes());
    }
    put(&mut m, bda + 0x0E, &EBDA_SEGMENT.to_le_bytes());
    // Equipment: coprocessor, 80x25 colour, two serial ports, one printer.
    put(&mut m, bda + 0x10, &0x4422u16.to_le_bytes());
    put(&mut m, bda + 0x13, &639u16.to_le_bytes());
    put(&mut m, bda + 0x1A, &0x001Eu16.to_le_bytes()); // keyboard buffer head
    put(&mut m, bda + 0x1C, &0x001Eu16.to_le_bytes()); // and tail: empty
    m[bda + 0x49] = 0x03; // video mode 3
    put(&mut m, bda + 0x4A, &80u16.to_le_bytes());
    put(&mut m, bda + 0x4C, &4096u16.to_le_bytes());
    put(&mut m, bda + 0x63, &0x03D4u16.to_le_bytes()); // CRT controller
    m[bda + 0x65] = 0x29;
    // Timer ticks since midnight: ten seconds at 18.2 Hz.
    put(&mut m, bda + 0x6C, &182u32.to_le_bytes());
    m[bda + 0x75] = 1; // one hard disk
    m[bda + 0x84] = 24; // rows - 1
    m[bda + 0x85] = 16; // character height
    m[bda + 0x96] = 0x10; // 101-key keyboard

    // The extended BIOS data area starts with its size in KiB.
    m[(EBDA_SEGMENT as usize) << 4] = 1;
    m
}

/// The display controller's legacy option ROM: the 0x55AA signature, its size, an entry
/// point that returns, the PCI data structure naming the device, "IBM" where VGA BIOSes keep
/// it, and a checksum over the whole image.
pub fn option_rom(display: (u16, u16)) -> Vec<u8> {
    let mut r = vec![0u8; OPTION_ROM_SIZE as usize];
    r[0] = 0x55;
    r[1] = 0xAA;
    r[2] = (OPTION_ROM_SIZE / 512) as u8;
    r[3] = 0xCB; // retf
    put(&mut r, 0x18, &0x0040u16.to_le_bytes());
    put(&mut r, 0x1E, b"IBM VGA Compatible");
    let pcir = 0x40;
    put(&mut r, pcir, b"PCIR");
    put(&mut r, pcir + 4, &display.0.to_le_bytes());
    put(&mut r, pcir + 6, &display.1.to_le_bytes());
    put(&mut r, pcir + 0x0A, &0x18u16.to_le_bytes());
    put(&mut r, pcir + 0x0D, &[0x00, 0x00, 0x03]); // class: VGA display controller
    put(&mut r, pcir + 0x10, &((OPTION_ROM_SIZE / 512) as u16).to_le_bytes());
    r[pcir + 0x15] = 0x80; // last image
    put(&mut r, 0x80, b"Portcullis virtual display BIOS");
    let last = r.len() - 1;
    fix_checksum(&mut r, last);
    r
}

/// The fixed parts of the system BIOS image: the `iret` the vectors point at, the reset
/// vector (`jmp far F000:E05B`), the build date and the model byte (AT).
pub fn finish_rom(bios: &mut [u8]) {
    bios[(IRET_AT - BIOS_BASE) as usize] = 0xCF;
    let top = (0xF_FFF0 - BIOS_BASE) as usize;
    put(bios, top, &[0xEA, 0x5B, 0xE0, 0x00, 0xF0]);
    put(bios, top + 5, b"01/01/24");
    bios[top + 0x0E] = 0xFC;
    put(bios, (0xF_E000 - BIOS_BASE) as usize, b"Portcullis BIOS 1.0");
}
