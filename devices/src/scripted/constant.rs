//! Every read returns the same value; writes are ignored.

use portcullis_emu::ports::{BusContext, PortDevice, Width};

#[derive(Clone, Debug)]
pub struct Constant {
    name: String,
    value: u32,
}

impl Constant {
    pub fn new(name: impl Into<String>, value: u32) -> Constant {
        Constant { name: name.into(), value }
    }
}

impl PortDevice for Constant {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, _offset: u16, width: Width, _: &mut BusContext) -> u32 {
        self.value & width.all_ones()
    }

    fn write(&mut self, _offset: u16, _width: Width, _value: u32, _: &mut BusContext) {}
}

impl portcullis_emu::physical::mmio::MmioDevice for Constant {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, _offset: u64, width: Width, _: &mut portcullis_emu::physical::mmio::DeviceContext) -> u32 {
        self.value & width.all_ones()
    }

    fn write(
        &mut self,
        _offset: u64,
        _width: Width,
        _value: u32,
        _: &mut portcullis_emu::physical::mmio::DeviceContext,
    ) {
    }
}
