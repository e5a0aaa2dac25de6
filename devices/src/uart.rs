//! The 16550A UART at COM1-COM4 (0x3F8 IRQ 4, 0x2F8 IRQ 3, 0x3E8 IRQ 4, 0x2E8 IRQ 3).
//!
//! From the National Semiconductor PC16550D datasheet: registers RBR/THR (0), IER (1), IIR
//! (2, read) / FCR (2, write), LCR (3), MCR (4), LSR (5), MSR (6), SCR (7); with LCR bit 7
//! (DLAB) set, 0 and 1 are the divisor latch. FCR bit 0 enables the 16-byte FIFOs (bits 1
//! and 2 clear them, bits 7-6 the receive trigger level); IIR reports the highest-priority
//! interrupt (line status 0x06, received data 0x04, character timeout 0x0C, transmitter
//! empty 0x02, modem status 0x00; bit 0 set: none) with bits 7-6 set when the FIFOs are on.
//! LSR: DR, OE, PE, FE, BI, THRE, TEMT, error in FIFO. MCR bit 4 is loopback: the
//! transmitter feeds the receiver and the modem inputs follow the outputs (CTS = RTS,
//! DSR = DTR, RI = OUT1, DCD = OUT2); MSR bits 3-0 record changes (delta bits). On a PC the
//! interrupt reaches its IRQ line only while MCR bit 3 (OUT2) is set.
//!
//! Transmission is instantaneous on the virtual clock (the transmitter is always empty);
//! bytes sent are captured. Input is the scenario's: bytes arrive when the receiver is
//! looked at — a read of RBR, LSR or IIR, or while the received-data interrupt is enabled —
//! one FIFO's worth at a time, never in loopback, so a driver's set-up (which clears the
//! FIFOs) does not lose them; deterministic.

use std::collections::VecDeque;

use portcullis_emu::ports::BusContext;

use crate::chip::Chip;

/// The standard COM ports: base, IRQ.
pub const COM: [(u16, u8); 4] = [(0x3F8, 4), (0x2F8, 3), (0x3E8, 4), (0x2E8, 3)];
const FIFO: usize = 16;
/// At most this many bytes sent are kept (the rest are counted).
const OUTPUT_CAP: usize = 1 << 20;

#[derive(Debug)]
pub struct Uart {
    irq: u8,
    pub ier: u8,
    pub lcr: u8,
    pub mcr: u8,
    pub scr: u8,
    pub divisor: u16,
    fcr: u8,
    lsr_errors: u8,
    msr_delta: u8,
    msr_prev: u8,
    rx: VecDeque<u8>,
    input: VecDeque<u8>,
    output: Vec<u8>,
    pub output_dropped: u64,
    /// The transmitter-empty interrupt is pending (cleared by reading IIR or writing THR).
    thre_pending: bool,
}

impl Uart {
    /// A UART on interrupt line `irq` with `input` waiting to be received.
    pub fn new(irq: u8, input: &[u8]) -> Uart {
        Uart {
            irq,
            ier: 0,
            lcr: 0,
            mcr: 0,
            scr: 0,
            divisor: 12, // 9600 baud, as firmware leaves it
            fcr: 0,
            lsr_errors: 0,
            msr_delta: 0,
            msr_prev: 0,
            rx: VecDeque::with_capacity(FIFO),
            input: input.iter().copied().collect(),
            output: Vec::new(),
            output_dropped: 0,
            thre_pending: false,
        }
    }

    /// Bytes the guest sent (not in loopback).
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Queues bytes to be received.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.extend(bytes.iter().copied().take(OUTPUT_CAP.saturating_sub(self.input.len())));
    }

    /// The line speed the divisor gives (115200 / divisor).
    pub fn baud(&self) -> u32 {
        115_200 / self.divisor.max(1) as u32
    }

    fn fifo_on(&self) -> bool {
        self.fcr & 1 != 0
    }

    fn capacity(&self) -> usize {
        if self.fifo_on() {
            FIFO
        } else {
            1
        }
    }

    fn loopback(&self) -> bool {
        self.mcr & 0x10 != 0
    }

    /// Moves waiting input into the receiver (not in loopback: the line is disconnected).
    fn refill(&mut self) {
        if self.loopback() {
            return;
        }
        while self.rx.len() < self.capacity() {
            match self.input.pop_front() {
                Some(b) => self.rx.push_back(b),
                None => break,
            }
        }
    }

    fn receive(&mut self, b: u8) {
        if self.rx.len() >= self.capacity() {
            self.lsr_errors |= 0x02; // overrun: the new byte is lost
        } else {
            self.rx.push_back(b);
        }
    }

    fn modem_inputs(&self) -> u8 {
        if self.loopback() {
            let m = self.mcr;
            // CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2.
            ((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4)
        } else {
            // A line with a peer ready: CTS, DSR, DCD.
            0xB0
        }
    }

    fn update_msr(&mut self) {
        let now = self.modem_inputs();
        let changed = now ^ self.msr_prev;
        // DCTS, DDSR, TERI (falling RI), DDCD.
        self.msr_delta |= (changed >> 4) & 0x0B | ((self.msr_prev & !now & 0x40) >> 4);
        self.msr_prev = now;
    }

    fn lsr(&self) -> u8 {
        let dr = !self.rx.is_empty() as u8;
        let fifo_err = (self.fifo_on() && self.lsr_errors & 0x1C != 0) as u8;
        dr | self.lsr_errors | 0x60 | fifo_err << 7
    }

    fn trigger(&self) -> usize {
        if !self.fifo_on() {
            return 1;
        }
        [1, 4, 8, 14][(self.fcr >> 6) as usize]
    }

    /// The interrupt identification (bits 3-0).
    fn iir(&self) -> u8 {
        if self.ier & 0x04 != 0 && self.lsr_errors & 0x1E != 0 {
            0x06
        } else if self.ier & 0x01 != 0 && self.rx.len() >= self.trigger() {
            0x04
        } else if self.ier & 0x01 != 0 && !self.rx.is_empty() {
            0x0C
        } else if self.ier & 0x02 != 0 && self.thre_pending {
            0x02
        } else if self.ier & 0x08 != 0 && self.msr_delta != 0 {
            0x00
        } else {
            0x01
        }
    }

    fn update_irq(&mut self, ctx: &mut BusContext) {
        if self.ier & 0x01 != 0 {
            self.refill();
        }
        let pending = self.iir() & 1 == 0;
        ctx.set_irq(self.irq, pending && self.mcr & 0x08 != 0);
    }
}

impl Chip for Uart {
    fn name(&self) -> &'static str {
        "uart"
    }

    fn read(&mut self, _: u8, offset: u16, ctx: &mut BusContext) -> u8 {
        if matches!(offset & 7, 0 | 2 | 5) && self.lcr & 0x80 == 0 {
            self.refill();
        }
        let dlab = self.lcr & 0x80 != 0;
        let v = match offset & 7 {
            0 if dlab => self.divisor as u8,
            1 if dlab => (self.divisor >> 8) as u8,
            0 => self.rx.pop_front().unwrap_or(0),
            1 => self.ier,
            2 => {
                let id = self.iir();
                if id == 0x02 {
                    self.thre_pending = false;
                }
                id | if self.fifo_on() { 0xC0 } else { 0 }
            }
            3 => self.lcr,
            4 => self.mcr,
            5 => {
                let v = self.lsr();
                self.lsr_errors = 0;
                v
            }
            6 => {
                self.update_msr();
                let v = self.modem_inputs() | self.msr_delta;
                self.msr_delta = 0;
                v
            }
            _ => self.scr,
        };
        self.update_irq(ctx);
        v
    }

    fn write(&mut self, _: u8, offset: u16, value: u8, ctx: &mut BusContext) {
        let dlab = self.lcr & 0x80 != 0;
        match offset & 7 {
            0 if dlab => self.divisor = self.divisor & 0xFF00 | value as u16,
            1 if dlab => self.divisor = self.divisor & 0x00FF | (value as u16) << 8,
            0 => {
                if self.loopback() {
                    self.receive(value);
                } else if self.output.len() < OUTPUT_CAP {
                    self.output.push(value);
                } else {
                    self.output_dropped += 1;
                }
                // The byte leaves at once: the holding register is empty again.
                self.thre_pending = true;
            }
            1 => {
                // Enabling the transmitter interrupt with THR empty raises it at once.
                if value & 0x02 != 0 && self.ier & 0x02 == 0 {
                    self.thre_pending = true;
                }
                self.ier = value & 0x0F;
            }
            2 => {
                if value & 0x02 != 0 || (value ^ self.fcr) & 1 != 0 {
                    self.rx.clear();
                }
                self.fcr = value & 0xC1;
            }
            3 => self.lcr = value,
            4 => {
                self.mcr = value & 0x1F;
                self.update_msr();
            }
            5 | 6 => {} // LSR and MSR are read-only (factory test writes ignored)
            _ => self.scr = value,
        }
        self.update_irq(ctx);
    }
}
