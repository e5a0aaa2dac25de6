//! A block of byte registers: writes store, reads return what was stored (or the initial
//! state). Wider accesses cover consecutive registers, little-endian, wrapping at the end.

use portcullis_emu::ports::{BusContext, PortDevice, Width};

#[derive(Clone, Debug)]
pub struct Registers {
    name: String,
    bytes: Vec<u8>,
}

impl Registers {
    /// `len` registers, the first ones set from `initial`, the rest zero.
    pub fn new(name: impl Into<String>, len: usize, initial: &[u8]) -> Registers {
        let mut bytes = vec![0u8; len.max(1)];
        let n = initial.len().min(bytes.len());
        bytes[..n].copy_from_slice(&initial[..n]);
        Registers { name: name.into(), bytes }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn get(&self, offset: usize, width: Width) -> u32 {
        let n = self.bytes.len();
        (0..width.bytes() as usize).map(|i| (self.bytes[(offset + i) % n] as u32) << (8 * i)).fold(0, |a, b| a | b)
    }
}

impl PortDevice for Registers {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, offset: u16, width: Width, _: &mut BusContext) -> u32 {
        self.get(offset as usize, width)
    }

    fn write(&mut self, offset: u16, width: Width, value: u32, _: &mut BusContext) {
        let n = self.bytes.len();
        for i in 0..width.bytes() as usize {
            self.bytes[(offset as usize + i) % n] = (value >> (8 * i)) as u8;
        }
    }
}

/// The same block as device memory: offsets wrap at the end of the block.
impl portcullis_emu::physical::mmio::MmioDevice for Registers {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, offset: u64, width: Width, _: &mut portcullis_emu::physical::mmio::DeviceContext) -> u32 {
        self.get((offset % self.bytes.len() as u64) as usize, width)
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, _: &mut portcullis_emu::physical::mmio::DeviceContext) {
        let n = self.bytes.len() as u64;
        for i in 0..width.bytes() as u64 {
            self.bytes[((offset + i) % n) as usize] = (value >> (8 * i)) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_emu::ports::Detached;

    #[test]
    fn stores_and_reads_little_endian() {
        let mut d = Detached::default();
        let mut r = Registers::new("r", 4, &[1, 2]);
        assert_eq!(r.read(0, Width::Word, &mut d.ctx()), 0x0201);
        r.write(2, Width::Word, 0xBBAA, &mut d.ctx());
        assert_eq!(r.read(0, Width::Dword, &mut d.ctx()), 0xBBAA_0201);
        // Wraps at the end of the block.
        assert_eq!(r.read(3, Width::Word, &mut d.ctx()), 0x01BB);
    }
}
