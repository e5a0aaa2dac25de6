//! A bus with the default machine's chips, driven port by port on a virtual clock of
//! nanoseconds (each access takes 1 us, as on the machine).
#![allow(dead_code)]

use portcullis_devices::{Devices, MachineOptions};
use portcullis_emu::ports::{PortBus, Width};

pub struct Board {
    pub bus: PortBus,
    pub devices: Devices,
    pub now: u64,
}

impl Board {
    pub fn new() -> Board {
        let mut bus = PortBus::new();
        bus.set_clock_rate(1_000_000_000);
        let mut devices = Devices::default();
        devices.install_defaults(&mut bus, &MachineOptions::default());
        Board { bus, devices, now: 0 }
    }

    pub fn out(&mut self, port: u16, value: u8) {
        self.now += 1000;
        self.bus.access_at(self.now, port, Width::Byte, true, value as u32);
    }

    pub fn inb(&mut self, port: u16) -> u8 {
        self.now += 1000;
        self.bus.access_at(self.now, port, Width::Byte, false, 0).0 as u8
    }

    /// Lets `ns` of virtual time pass (callbacks due run).
    pub fn wait(&mut self, ns: u64) {
        self.now += ns;
        self.bus.advance_to(self.now);
    }
}
