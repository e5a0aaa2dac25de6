//! A parallel port (IEEE 1284: SPP, EPP, ECP) at 0x378 (IRQ 7), 0x278 (IRQ 5) or 0x3BC, with
//! what is plugged into it.
//!
//! Registers: data (base), status (base+1: bit 7 nBUSY, i.e. set when the printer is *not*
//! busy, 6 nACK, 5 PE, 4 SELECT, 3 nERROR), control (base+2: bit 0 STROBE, 1 AUTOFD, 2 nINIT,
//! 3 SELECTIN, 4 IRQ enable, 5 direction: the data lines read the peripheral); EPP address
//! (base+3) and data (base+4..7) cycles; the ECP registers 0x400 above the base: the FIFO
//! (or configuration A), configuration B, and the extended control register ECR (bits 7-5
//! the mode: 000 SPP, 001 PS/2, 010 parallel-port FIFO, 011 ECP, 100 EPP, 110 test, 111
//! configuration; bit 0 FIFO empty, bit 1 full).
//!
//! The peripheral is a printer that takes a byte on each STROBE (control bit 0 going to
//! 1): it raises BUSY for `busy_ns` of virtual time, pulses nACK low for the last
//! `ACK_NS` of it (the IRQ, when enabled, on nACK's rising edge), and captures the byte.
//! Bytes written to the ECP/PS2 FIFO are printed too. A scenario may script the status
//! lines instead (per read, then a fixed value), for drivers that wait for one pattern.

use std::collections::VecDeque;

use portcullis_emu::ports::BusContext;

use crate::chip::{Chip, Log};

/// The standard ports: base, IRQ.
pub const LPT: [(u16, u8); 3] = [(0x378, 7), (0x278, 5), (0x3BC, 7)];
/// How long a printer stays busy with a byte, by default.
pub const BUSY_NS: u64 = 10_000;
/// The nACK pulse at the end of it.
pub const ACK_NS: u64 = 5_000;
const CAPTURE_CAP: usize = 1 << 20;

/// One EPP cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EppCycle {
    pub address: bool,
    pub write: bool,
    pub value: u8,
}

#[derive(Debug)]
pub struct Lpt {
    irq: u8,
    pub data: u8,
    pub control: u8,
    pub ecr: u8,
    busy_ns: u64,
    /// The printer is busy until this time.
    busy_until: u64,
    printed: Vec<u8>,
    pub printed_dropped: u64,
    /// Scripted status reads, then `status_then`.
    status_script: VecDeque<u8>,
    status_then: Option<u8>,
    epp: Log<EppCycle>,
    epp_address: u8,
    strobes: u64,
}

impl Lpt {
    /// A port on interrupt line `irq` with a printer taking `busy_ns` per byte.
    pub fn new(irq: u8, busy_ns: u64) -> Lpt {
        Lpt {
            irq,
            data: 0,
            control: 0x0C, // nINIT high, SELECTIN
            ecr: 0x15,     // SPP mode, FIFO empty
            busy_ns: busy_ns.max(ACK_NS),
            busy_until: 0,
            printed: Vec::new(),
            printed_dropped: 0,
            status_script: VecDeque::new(),
            status_then: None,
            epp: Log::new(1 << 16),
            epp_address: 0,
            strobes: 0,
        }
    }

    /// Status reads answer `values` in order, then `then` (the printer still captures).
    pub fn script_status(&mut self, values: &[u8], then: Option<u8>) {
        self.status_script = values.iter().copied().collect();
        self.status_then = then;
    }

    /// Bytes the printer received.
    pub fn printed(&self) -> &[u8] {
        &self.printed
    }

    pub fn epp_cycles(&self) -> &[EppCycle] {
        self.epp.items()
    }

    /// Strobes seen.
    pub fn strobes(&self) -> u64 {
        self.strobes
    }

    /// The status lines the printer drives at `now_ns` (bits 7-3, as read).
    pub fn printer_status(&self, now_ns: u64) -> u8 {
        let busy = now_ns < self.busy_until;
        let ack = busy && now_ns >= self.busy_until - ACK_NS;
        // nBUSY, nACK, PE=0, SELECT, nERROR, and bits 2-0 read high.
        ((!busy) as u8) << 7 | ((!ack) as u8) << 6 | 0x10 | 0x08 | 0x07
    }

    fn print(&mut self, b: u8) {
        if self.printed.len() < CAPTURE_CAP {
            self.printed.push(b);
        } else {
            self.printed_dropped += 1;
        }
    }

    fn mode(&self) -> u8 {
        self.ecr >> 5
    }
}

impl Chip for Lpt {
    fn name(&self) -> &'static str {
        "lpt"
    }

    fn read(&mut self, window: u8, offset: u16, ctx: &mut BusContext) -> u8 {
        let now = ctx.now_ns();
        if window == 1 {
            return match offset {
                0 if self.mode() == 7 => 0x10, // configuration A: 8-bit implementation
                1 if self.mode() == 7 => 0x00, // configuration B: no DMA, no IRQ selection
                2 => self.ecr,
                _ => 0xFF,
            };
        }
        match offset {
            0 => {
                if self.control & 0x20 != 0 {
                    0xFF // reverse direction: nothing drives the lines
                } else {
                    self.data
                }
            }
            1 => match self.status_script.pop_front() {
                Some(v) => v,
                None => self.status_then.unwrap_or_else(|| self.printer_status(now)),
            },
            2 => 0xC0 | self.control & 0x3F,
            3 => {
                self.epp.push(EppCycle { address: true, write: false, value: self.epp_address });
                self.epp_address
            }
            _ => {
                self.epp.push(EppCycle { address: false, write: false, value: 0xFF });
                0xFF
            }
        }
    }

    fn write(&mut self, window: u8, offset: u16, value: u8, ctx: &mut BusContext) {
        let now = ctx.now_ns();
        if window == 1 {
            match offset {
                0 if matches!(self.mode(), 2 | 3) => self.print(value),
                2 => self.ecr = value & 0xFC | (self.ecr & 0x03),
                _ => {}
            }
            return;
        }
        match offset {
            0 => self.data = value,
            1 => {} // status is read-only
            2 => {
                let rising = value & !self.control & 1 != 0;
                self.control = value & 0x3F;
                if rising {
                    self.strobes += 1;
                    if now >= self.busy_until {
                        let b = self.data;
                        self.print(b);
                        self.busy_until = now + self.busy_ns;
                        if self.control & 0x10 != 0 {
                            ctx.schedule_at(self.busy_until);
                        }
                    }
                }
            }
            3 => {
                self.epp_address = value;
                self.epp.push(EppCycle { address: true, write: true, value });
            }
            _ => self.epp.push(EppCycle { address: false, write: true, value }),
        }
    }

    fn timer(&mut self, ctx: &mut BusContext) {
        // nACK rose: the interrupt, when enabled.
        if ctx.now_ns() >= self.busy_until && self.control & 0x10 != 0 {
            ctx.pulse_irq(self.irq);
        }
    }
}
