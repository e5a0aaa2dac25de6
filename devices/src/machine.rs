//! The default machine's chips at their usual ports, and the host's handles to every chip
//! on the bus.

use portcullis_emu::ports::{PortBus, PortBusError};

use crate::chip::{attach, Handle};
use crate::cmos::Cmos;
use crate::dma_pages::DmaPages;
use crate::i8042::I8042;
use crate::lpt::{Lpt, LPT};
use crate::pic::{Pic, PicController};
use crate::pit::Pit;
use crate::post::Post;
use crate::system_control::SystemControlA;
use crate::uart::{Uart, COM};

/// How the default machine's chips start.
#[derive(Clone, Debug)]
pub struct MachineOptions {
    /// Memory above 1 MiB, for the CMOS memory-size bytes.
    pub ram_bytes: u64,
    /// What the real-time clock shows at the virtual boot (seconds since 1970).
    pub rtc_epoch: i64,
}

impl Default for MachineOptions {
    fn default() -> Self {
        MachineOptions { ram_bytes: 512 << 20, rtc_epoch: crate::cmos::DEFAULT_EPOCH }
    }
}

/// The host's handles to the chips on the bus (each `None` when absent).
#[derive(Clone, Debug, Default)]
pub struct Devices {
    pub pit: Option<Handle<Pit>>,
    pub pic: Option<Handle<Pic>>,
    pub cmos: Option<Handle<Cmos>>,
    pub post: Option<Handle<Post>>,
    pub system_control: Option<Handle<SystemControlA>>,
    pub dma_pages: Option<Handle<DmaPages>>,
    pub i8042: Option<Handle<I8042>>,
    /// COM1-COM4.
    pub uarts: [Option<Handle<Uart>>; 4],
    /// LPT at 0x378, 0x278, 0x3BC.
    pub lpts: [Option<Handle<Lpt>>; 3],
}

/// Ports of the parallel port at `base`: its SPP/EPP registers, and the ECP registers 0x400
/// above (not for 0x3BC, whose ECP window would be 0x7BC: real boards have none there).
fn lpt_windows(base: u16) -> Vec<(u16, u16)> {
    let mut w = vec![(base, if base == 0x3BC { base + 3 } else { base + 7 })];
    if base != 0x3BC {
        w.push((base + 0x400, base + 0x402));
    }
    w
}

impl Devices {
    /// Attaches a UART at COM`n` (1-4) with `input` to receive.
    pub fn attach_uart(
        &mut self,
        bus: &mut PortBus,
        n: usize,
        input: &[u8],
        chipset: bool,
    ) -> Result<(), PortBusError> {
        let (base, irq) = COM[(n.clamp(1, 4)) - 1];
        self.uarts[n.clamp(1, 4) - 1] = Some(attach(bus, Uart::new(irq, input), &[(base, base + 7)], chipset)?);
        Ok(())
    }

    /// Attaches a parallel port at `base` (one of 0x378, 0x278, 0x3BC) with a printer busy
    /// `busy_ns` per byte and, optionally, scripted status reads.
    pub fn attach_lpt(
        &mut self,
        bus: &mut PortBus,
        base: u16,
        busy_ns: u64,
        status: Option<(&[u8], Option<u8>)>,
        chipset: bool,
    ) -> Result<(), PortBusError> {
        let Some(i) = LPT.iter().position(|(b, _)| *b == base) else {
            return Err(PortBusError::BadRange { first: base, last: base });
        };
        let mut lpt = Lpt::new(LPT[i].1, busy_ns);
        if let Some((values, then)) = status {
            lpt.script_status(values, then);
        }
        self.lpts[i] = Some(attach(bus, lpt, &lpt_windows(base), chipset)?);
        Ok(())
    }

    pub fn attach_cmos(&mut self, bus: &mut PortBus, cmos: Cmos, chipset: bool) -> Result<(), PortBusError> {
        self.cmos = Some(attach(bus, cmos, &[(0x70, 0x71)], chipset)?);
        Ok(())
    }

    pub fn attach_i8042(&mut self, bus: &mut PortBus, kbc: I8042, chipset: bool) -> Result<(), PortBusError> {
        self.i8042 = Some(attach(bus, kbc, &[(0x60, 0x60), (0x64, 0x64)], chipset)?);
        Ok(())
    }

    /// Adds every chip of the default machine not attached yet, at its usual ports, where
    /// the ports are free (a scenario's own devices and policies win). The PIC pair becomes
    /// the bus's interrupt controller.
    pub fn install_defaults(&mut self, bus: &mut PortBus, opts: &MachineOptions) {
        if self.pic.is_none() {
            self.pic = attach(bus, Pic::default(), &[(0x20, 0x21), (0xA0, 0xA1)], true).ok();
        }
        if let Some(pic) = &self.pic {
            bus.set_interrupt_controller(Box::new(PicController(pic.clone())));
        }
        if self.pit.is_none() {
            self.pit = attach(bus, Pit::default(), &[(0x40, 0x43), (0x61, 0x61)], true).ok();
        }
        if self.cmos.is_none() {
            let _ = self.attach_cmos(bus, Cmos::new(opts.ram_bytes, opts.rtc_epoch), true);
        }
        if self.post.is_none() {
            self.post = attach(bus, Post::default(), &[(0x80, 0x80)], true).ok();
        }
        if self.dma_pages.is_none() {
            self.dma_pages = attach(bus, DmaPages::default(), &[(0x81, 0x8F)], true).ok();
        }
        if self.system_control.is_none() {
            self.system_control = attach(bus, SystemControlA::default(), &[(0x92, 0x92)], true).ok();
        }
        if self.i8042.is_none() {
            let _ = self.attach_i8042(bus, I8042::new(&[]), true);
        }
        for n in 1..=4 {
            if self.uarts[n - 1].is_none() {
                let _ = self.attach_uart(bus, n, &[], true);
            }
        }
        for (base, _) in LPT {
            let i = LPT.iter().position(|(b, _)| *b == base).unwrap_or(0);
            if self.lpts[i].is_none() {
                let _ = self.attach_lpt(bus, base, crate::lpt::BUSY_NS, None, true);
            }
        }
    }
}
