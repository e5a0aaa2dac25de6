//! The configuration space of one PCI function: 4 KiB of registers (256 conventional bytes
//! and the PCI Express extended space), which bits software may change, and the base address
//! registers with the sizing protocol.
//!
//! The extended space (0x100-0xFFF) holds what the device (or a scenario) put there and
//! ignores writes; it takes memory only once something is put there. Writes go through a
//! mask: read-only bits keep their value, writable bits take the written
//! one, and write-one-to-clear bits (the error bits of the status register) clear where a 1
//! is written. A BAR's writable bits are its address bits above its size, so writing all-ones
//! and reading back gives `~(size - 1)` with the type bits: the size probe every enumerator
//! does. Everything is little-endian, at any offset and width, as the hardware decodes it.

use crate::ports::Width;

/// Bytes of configuration space per function (PCI Express).
pub const CONFIG_SIZE: usize = 4096;

/// Offsets of the common header.
pub mod reg {
    pub const VENDOR_ID: usize = 0x00;
    pub const DEVICE_ID: usize = 0x02;
    pub const COMMAND: usize = 0x04;
    pub const STATUS: usize = 0x06;
    pub const REVISION: usize = 0x08;
    pub const PROG_IF: usize = 0x09;
    pub const SUBCLASS: usize = 0x0A;
    pub const CLASS: usize = 0x0B;
    pub const CACHE_LINE: usize = 0x0C;
    pub const LATENCY: usize = 0x0D;
    pub const HEADER_TYPE: usize = 0x0E;
    pub const BAR0: usize = 0x10;
    /// Type 1 (bridge) header: bus numbers.
    pub const PRIMARY_BUS: usize = 0x18;
    pub const SECONDARY_BUS: usize = 0x19;
    pub const SUBORDINATE_BUS: usize = 0x1A;
    pub const SUBSYSTEM_VENDOR: usize = 0x2C;
    pub const SUBSYSTEM_ID: usize = 0x2E;
    pub const ROM_BAR: usize = 0x30;
    pub const BRIDGE_ROM_BAR: usize = 0x38;
    pub const CAPABILITIES: usize = 0x34;
    pub const INTERRUPT_LINE: usize = 0x3C;
    pub const INTERRUPT_PIN: usize = 0x3D;
}

/// Command register bits.
pub const COMMAND_IO: u16 = 1 << 0;
pub const COMMAND_MEMORY: u16 = 1 << 1;
pub const COMMAND_BUS_MASTER: u16 = 1 << 2;
/// Status register: the function has a capability list.
pub const STATUS_CAPABILITIES: u16 = 1 << 4;

/// What a base address register decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    /// I/O space.
    Io,
    /// 32-bit memory space.
    Memory32 { prefetchable: bool },
    /// 64-bit memory space: this BAR and the next hold the address.
    Memory64 { prefetchable: bool },
}

/// One base address register as the firmware left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    pub kind: BarKind,
    /// A power of two (at least 16 bytes of memory or 4 ports).
    pub size: u64,
    pub address: u64,
}

impl Bar {
    /// The low bits software reads back (type and prefetchable flags).
    fn type_bits(&self) -> u32 {
        match self.kind {
            BarKind::Io => 0b01,
            BarKind::Memory32 { prefetchable } => (prefetchable as u32) << 3,
            BarKind::Memory64 { prefetchable } => 0b100 | (prefetchable as u32) << 3,
        }
    }
}

/// The identity of a function: what its header says it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub vendor: u16,
    pub device: u16,
    pub revision: u8,
    /// Class, subclass, programming interface.
    pub class: (u8, u8, u8),
    pub subsystem_vendor: u16,
    pub subsystem: u16,
}

/// One capability in the list: its ID and the bytes after the ID and next-pointer bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capability {
    pub id: u8,
    pub body: Vec<u8>,
    /// Byte offsets within the body software may write (control registers).
    pub writable: Vec<(usize, u8)>,
}

/// Bytes of the PCI-compatible space, which software may write.
const COMPATIBLE: usize = 256;

/// The configuration space of one function.
pub struct ConfigSpace {
    /// 256 bytes, or all 4 KiB once something is put in the extended space.
    bytes: Vec<u8>,
    writable: Box<[u8; COMPATIBLE]>,
    clear_on_write: Box<[u8; COMPATIBLE]>,
    bars: [Option<Bar>; 6],
    /// Offset of the first BAR register and how many a header has (6 for type 0, 2 for
    /// bridges).
    bar_count: usize,
    rom: Option<(u64, u64)>,
    rom_offset: usize,
}

impl ConfigSpace {
    /// A type 0 (endpoint) header.
    pub fn endpoint(id: &Identity, multifunction: bool) -> ConfigSpace {
        let mut c = ConfigSpace::blank(6, reg::ROM_BAR);
        c.identity(id, if multifunction { 0x80 } else { 0x00 });
        c.set16(reg::SUBSYSTEM_VENDOR, id.subsystem_vendor);
        c.set16(reg::SUBSYSTEM_ID, id.subsystem);
        c.writable[reg::INTERRUPT_LINE] = 0xFF;
        c
    }

    /// A type 1 (PCI-to-PCI bridge) header joining `primary` to `secondary..=subordinate`.
    pub fn bridge(id: &Identity, primary: u8, secondary: u8, subordinate: u8) -> ConfigSpace {
        let mut c = ConfigSpace::blank(2, reg::BRIDGE_ROM_BAR);
        c.identity(id, 0x01);
        c.bytes[reg::PRIMARY_BUS] = primary;
        c.bytes[reg::SECONDARY_BUS] = secondary;
        c.bytes[reg::SUBORDINATE_BUS] = subordinate;
        // Bus numbers, secondary latency, I/O, memory and prefetchable windows, their upper
        // halves, bridge control: all programmable by the enumerating software.
        for off in 0x18..0x1B {
            c.writable[off] = 0xFF;
        }
        c.writable[0x1B] = 0xFF;
        c.writable[0x1C] = 0xF0;
        c.writable[0x1D] = 0xF0;
        for off in [0x20, 0x22, 0x24, 0x26] {
            c.writable[off] = 0xF0;
            c.writable[off + 1] = 0xFF;
        }
        for off in 0x28..0x34 {
            c.writable[off] = 0xFF;
        }
        c.writable[reg::INTERRUPT_LINE] = 0xFF;
        c.writable[0x3E] = 0xFF;
        c.writable[0x3F] = 0x0F;
        c
    }

    fn blank(bar_count: usize, rom_offset: usize) -> ConfigSpace {
        let mut c = ConfigSpace {
            bytes: vec![0; COMPATIBLE],
            writable: Box::new([0; COMPATIBLE]),
            clear_on_write: Box::new([0; COMPATIBLE]),
            bars: [None; 6],
            bar_count,
            rom: None,
            rom_offset,
        };
        // Command: I/O, memory, bus master, parity, SERR, interrupt disable.
        c.writable[reg::COMMAND] = 0x47;
        c.writable[reg::COMMAND + 1] = 0x05;
        // Status: the error bits are write-one-to-clear.
        c.clear_on_write[reg::STATUS + 1] = 0xF9;
        c.writable[reg::CACHE_LINE] = 0xFF;
        c.writable[reg::LATENCY] = 0xFF;
        c
    }

    fn identity(&mut self, id: &Identity, header_type: u8) {
        self.set16(reg::VENDOR_ID, id.vendor);
        self.set16(reg::DEVICE_ID, id.device);
        self.bytes[reg::REVISION] = id.revision;
        self.bytes[reg::PROG_IF] = id.class.2;
        self.bytes[reg::SUBCLASS] = id.class.1;
        self.bytes[reg::CLASS] = id.class.0;
        self.bytes[reg::HEADER_TYPE] = header_type;
    }

    /// Sets a BAR; `index` 0..6 (0..2 on a bridge). A 64-bit BAR also takes `index + 1`.
    /// Returns false (and changes nothing) when the index or size is invalid.
    pub fn set_bar(&mut self, index: usize, bar: Bar) -> bool {
        let wide = matches!(bar.kind, BarKind::Memory64 { .. });
        let min = if bar.kind == BarKind::Io { 4 } else { 16 };
        let max = match bar.kind {
            BarKind::Io => 256,
            BarKind::Memory32 { .. } => 1 << 31,
            BarKind::Memory64 { .. } => 1 << 40,
        };
        let fits = index < self.bar_count && (!wide || index + 1 < self.bar_count);
        if !fits || !bar.size.is_power_of_two() || bar.size < min || bar.size > max {
            return false;
        }
        let address = bar.address & !(bar.size - 1);
        let bar = Bar { address, ..bar };
        self.bars[index] = Some(bar);
        let off = reg::BAR0 + 4 * index;
        let low_mask = (!(bar.size - 1)) as u32 & if bar.kind == BarKind::Io { !0x3 } else { !0xF };
        self.set32(off, (address as u32 & low_mask) | bar.type_bits());
        self.set_mask32(off, low_mask);
        if wide {
            self.set32(off + 4, (address >> 32) as u32);
            self.set_mask32(off + 4, (!(bar.size - 1) >> 32) as u32);
        }
        true
    }

    /// Gives the function an expansion ROM BAR of `size` bytes (disabled).
    pub fn set_rom(&mut self, size: u64, address: u64) -> bool {
        if !size.is_power_of_two() || !(2048..=1 << 24).contains(&size) {
            return false;
        }
        self.rom = Some((size, address));
        let mask = (!(size - 1)) as u32 | 1;
        self.set32(self.rom_offset, address as u32 & mask & !1);
        self.set_mask32(self.rom_offset, mask);
        true
    }

    /// Appends capabilities at `first` (a dword-aligned offset from 0x40), chaining them.
    pub fn set_capabilities(&mut self, first: usize, caps: &[Capability]) {
        let mut at = first & !3;
        let mut prev: Option<usize> = None;
        for cap in caps {
            let len = 2 + cap.body.len();
            if at < 0x40 || at + len > 0x100 {
                break;
            }
            match prev {
                Some(p) => self.bytes[p + 1] = at as u8,
                None => self.bytes[reg::CAPABILITIES] = at as u8,
            }
            self.bytes[at] = cap.id;
            self.bytes[at + 1] = 0;
            self.bytes[at + 2..at + len].copy_from_slice(&cap.body);
            for &(off, mask) in &cap.writable {
                if 2 + off < len {
                    self.writable[at + 2 + off] |= mask;
                }
            }
            prev = Some(at);
            at = (at + len + 3) & !3;
        }
        if prev.is_some() {
            let status = self.get16(reg::STATUS) | STATUS_CAPABILITIES;
            self.set16(reg::STATUS, status);
        }
    }

    /// Sets bytes directly (the firmware's choices, a scenario's `config`), with a mask of
    /// which of them software may change afterwards.
    pub fn preset(&mut self, offset: usize, bytes: &[u8], writable: bool) {
        if offset + bytes.len() > COMPATIBLE && offset < CONFIG_SIZE {
            self.bytes.resize(CONFIG_SIZE, 0);
        }
        for (i, b) in bytes.iter().enumerate() {
            if let Some(slot) = self.bytes.get_mut(offset + i) {
                *slot = *b;
            }
            if let Some(mask) = self.writable.get_mut(offset + i) {
                *mask = if writable { 0xFF } else { 0 };
            }
        }
    }

    /// Which bits of the bytes at `offset` software may change.
    pub fn set_writable(&mut self, offset: usize, mask: &[u8]) {
        for (i, m) in mask.iter().enumerate() {
            if let Some(slot) = self.writable.get_mut(offset + i) {
                *slot = *m;
            }
        }
    }

    /// Reads `width` bytes at `offset` (any alignment; bytes past the space read as ones).
    pub fn read(&self, offset: usize, width: Width) -> u32 {
        let mut v = 0u32;
        for i in 0..width.bytes() as usize {
            let at = offset + i;
            let b = match self.bytes.get(at) {
                Some(b) => *b,
                None if at < CONFIG_SIZE => 0,
                None => 0xFF,
            };
            v |= (b as u32) << (8 * i);
        }
        v
    }

    /// Writes `width` bytes at `offset` through the masks.
    pub fn write(&mut self, offset: usize, width: Width, value: u32) {
        for i in 0..width.bytes() as usize {
            let at = offset + i;
            if at >= COMPATIBLE {
                break;
            }
            let b = (value >> (8 * i)) as u8;
            let (w, c) = (self.writable[at], self.clear_on_write[at]);
            self.bytes[at] = (self.bytes[at] & !w & !(c & b)) | (b & w);
        }
    }

    /// The bytes held: the compatible space, and the extended space when it has content.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..]
    }

    pub fn command(&self) -> u16 {
        self.get16(reg::COMMAND)
    }

    pub fn header_type(&self) -> u8 {
        self.bytes[reg::HEADER_TYPE]
    }

    pub fn vendor(&self) -> u16 {
        self.get16(reg::VENDOR_ID)
    }

    pub fn device_id(&self) -> u16 {
        self.get16(reg::DEVICE_ID)
    }

    /// The BARs the function has, as the firmware described them.
    pub fn bars(&self) -> impl Iterator<Item = (usize, &Bar)> {
        self.bars.iter().enumerate().filter_map(|(i, b)| b.as_ref().map(|b| (i, b)))
    }

    /// Where BAR `index` currently points (what software last programmed).
    pub fn bar_address(&self, index: usize) -> Option<u64> {
        let bar = self.bars.get(index)?.as_ref()?;
        let off = reg::BAR0 + 4 * index;
        let low = self.read(off, Width::Dword) as u64;
        Some(match bar.kind {
            BarKind::Io => low & !0x3,
            BarKind::Memory32 { .. } => low & !0xF,
            BarKind::Memory64 { .. } => (low & !0xF) | (self.read(off + 4, Width::Dword) as u64) << 32,
        })
    }

    /// The BAR whose memory window holds `pa`, if memory decoding is on: (index, offset).
    pub fn decode_memory(&self, pa: u64) -> Option<(usize, u64)> {
        if self.command() & COMMAND_MEMORY == 0 {
            return None;
        }
        self.bars().find_map(|(i, bar)| {
            if bar.kind == BarKind::Io {
                return None;
            }
            let base = self.bar_address(i)?;
            // A BAR being sized (all-ones written) decodes nothing.
            (base != 0 && pa >= base && pa - base < bar.size).then(|| (i, pa - base))
        })
    }

    fn get16(&self, off: usize) -> u16 {
        u16::from_le_bytes([self.bytes[off], self.bytes[off + 1]])
    }

    fn set16(&mut self, off: usize, v: u16) {
        self.bytes[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn set32(&mut self, off: usize, v: u32) {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn set_mask32(&mut self, off: usize, v: u32) {
        self.writable[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Identity {
        Identity {
            vendor: 0x8086,
            device: 0x3A30,
            revision: 0,
            class: (0x0C, 0x05, 0x00),
            subsystem_vendor: 0x8086,
            subsystem: 0x5000,
        }
    }

    #[test]
    fn bars_answer_the_size_probe_and_keep_their_type_bits() {
        let mut c = ConfigSpace::endpoint(&id(), false);
        assert!(
            c.set_bar(0, Bar { kind: BarKind::Memory32 { prefetchable: false }, size: 0x100, address: 0xDFFF_F000 })
        );
        assert!(
            c.set_bar(2, Bar { kind: BarKind::Memory64 { prefetchable: true }, size: 1 << 28, address: 0xC000_0000 })
        );
        assert!(c.set_bar(4, Bar { kind: BarKind::Io, size: 32, address: 0x400 }));
        assert_eq!(c.read(0x10, Width::Dword), 0xDFFF_F000);
        assert_eq!(c.read(0x18, Width::Dword), 0xC000_000C);
        assert_eq!(c.read(0x20, Width::Dword), 0x401);
        // Size probe: write all-ones, read, restore.
        c.write(0x10, Width::Dword, 0xFFFF_FFFF);
        assert_eq!(c.read(0x10, Width::Dword), 0xFFFF_FF00);
        c.write(0x18, Width::Dword, 0xFFFF_FFFF);
        c.write(0x1C, Width::Dword, 0xFFFF_FFFF);
        assert_eq!(c.read(0x18, Width::Dword), 0xF000_000C);
        assert_eq!(c.read(0x1C, Width::Dword), 0xFFFF_FFFF);
        c.write(0x20, Width::Dword, 0xFFFF_FFFF);
        assert_eq!(c.read(0x20, Width::Dword), 0xFFFF_FFE1);
        c.write(0x10, Width::Dword, 0xDFFF_F000);
        assert_eq!(c.bar_address(0), Some(0xDFFF_F000));
        // An unimplemented BAR reads zero and ignores writes.
        c.write(0x14, Width::Dword, 0xFFFF_FFFF);
        assert_eq!(c.read(0x14, Width::Dword), 0);
    }

    #[test]
    fn read_only_fields_and_status_bits_behave() {
        let mut c = ConfigSpace::endpoint(&id(), true);
        c.write(0, Width::Dword, 0);
        assert_eq!(c.read(0, Width::Dword), 0x3A30_8086, "ids are read-only");
        assert_eq!(c.read(0x0E, Width::Byte), 0x80, "multi-function");
        c.write(0x04, Width::Word, 0xFFFF);
        assert_eq!(c.read(0x04, Width::Word), 0x0547);
        // Status error bits clear when written with ones.
        c.preset(0x07, &[0x20], false);
        c.write(0x06, Width::Word, 0x2000);
        assert_eq!(c.read(0x07, Width::Byte), 0x00);
        assert_eq!(c.read(0x1000, Width::Byte), 0xFF, "past the space");
        assert_eq!(c.read(0x0FFE, Width::Dword) >> 16, 0xFFFF, "straddling the end");
    }

    #[test]
    fn capabilities_chain_from_the_pointer() {
        let mut c = ConfigSpace::endpoint(&id(), false);
        c.set_capabilities(
            0x50,
            &[
                Capability { id: 0x01, body: vec![0x03, 0x00, 0, 0, 0, 0], writable: vec![(2, 0x03)] },
                Capability { id: 0x05, body: vec![0; 12], writable: vec![] },
            ],
        );
        assert_ne!(c.read(0x06, Width::Word) as u16 & STATUS_CAPABILITIES, 0);
        assert_eq!(c.read(0x34, Width::Byte), 0x50);
        assert_eq!(c.read(0x50, Width::Word), 0x5801);
        assert_eq!(c.read(0x58, Width::Word), 0x0005);
        c.write(0x54, Width::Byte, 0xFF);
        assert_eq!(c.read(0x54, Width::Byte), 0x03);
    }

    #[test]
    fn memory_decoding_follows_the_command_register_and_the_bar() {
        let mut c = ConfigSpace::endpoint(&id(), false);
        c.set_bar(0, Bar { kind: BarKind::Memory32 { prefetchable: false }, size: 0x1000, address: 0xD000_0000 });
        assert_eq!(c.decode_memory(0xD000_0010), None, "memory decoding off");
        c.write(0x04, Width::Word, COMMAND_MEMORY as u32);
        assert_eq!(c.decode_memory(0xD000_0010), Some((0, 0x10)));
        c.write(0x10, Width::Dword, 0xD010_0000);
        assert_eq!(c.decode_memory(0xD000_0010), None);
        assert_eq!(c.decode_memory(0xD010_0FFF), Some((0, 0xFFF)));
    }
}
