//! Reads return scripted values in order, then a fixed value; writes are recorded.
//! Models a status register a driver polls (busy, busy, ready).

use std::collections::VecDeque;

use portcullis_emu::ports::{BusContext, PortDevice, Width};

#[derive(Clone, Debug)]
pub struct Sequence {
    name: String,
    values: VecDeque<u32>,
    then: u32,
    writes: Vec<(u16, u32)>,
}

impl Sequence {
    pub fn new(name: impl Into<String>, values: impl IntoIterator<Item = u32>, then: u32) -> Sequence {
        Sequence { name: name.into(), values: values.into_iter().collect(), then, writes: Vec::new() }
    }

    /// (offset, value) of each write so far.
    pub fn writes(&self) -> &[(u16, u32)] {
        &self.writes
    }
}

impl PortDevice for Sequence {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, _offset: u16, width: Width, _: &mut BusContext) -> u32 {
        self.values.pop_front().unwrap_or(self.then) & width.all_ones()
    }

    fn write(&mut self, offset: u16, _width: Width, value: u32, _: &mut BusContext) {
        if self.writes.len() < 1 << 20 {
            self.writes.push((offset, value));
        }
    }
}

impl portcullis_emu::physical::mmio::MmioDevice for Sequence {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, _offset: u64, width: Width, _: &mut portcullis_emu::physical::mmio::DeviceContext) -> u32 {
        self.values.pop_front().unwrap_or(self.then) & width.all_ones()
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, _: &mut portcullis_emu::physical::mmio::DeviceContext) {
        let _ = width;
        if self.writes.len() < 1 << 20 {
            self.writes.push((offset as u16, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_emu::ports::Detached;

    #[test]
    fn reads_follow_the_script_then_settle() {
        let mut d = Detached::default();
        let mut s = Sequence::new("s", [1, 2], 0x80);
        assert_eq!(
            [
                s.read(0, Width::Byte, &mut d.ctx()),
                s.read(0, Width::Byte, &mut d.ctx()),
                s.read(0, Width::Byte, &mut d.ctx())
            ],
            [1, 2, 0x80]
        );
        assert_eq!(s.read(0, Width::Byte, &mut d.ctx()), 0x80);
    }
}
