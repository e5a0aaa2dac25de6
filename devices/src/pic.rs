//! The 8259A programmable interrupt controller pair: the master at 0x20-0x21 (IRQ 0-7),
//! the slave at 0xA0-0xA1 (IRQ 8-15) cascaded on the master's IRQ 2.
//!
//! From the Intel 8259A datasheet: ICW1 (command port, bit 4 set) starts initialisation
//! (edge-triggered requests, IRR/ISR cleared, mask cleared, ICW4 needed if bit 0); ICW2 the
//! vector base (bits 7-3), ICW3 the cascade wiring, ICW4 (8086 mode, auto-EOI in bit 1).
//! Afterwards the data port is OCW1 (the mask, IMR); the command port takes OCW2 (EOI:
//! non-specific 0x20, specific 0x60|n, rotations) and OCW3 (bit 3 set: read IRR or ISR
//! next, poll). Requests are edge-triggered: a rising line sets its IRR bit. Fixed
//! priority, IRQ 0 highest, with the slave's requests at the master's IRQ 2.
//!
//! The default machine's pair is programmed as the PC firmware leaves it (vectors 0x08 and
//! 0x70, every line masked but the cascade).

use portcullis_emu::ports::{BusContext, InterruptController};

use crate::chip::{Chip, Handle};

#[derive(Clone, Debug, Default)]
pub struct I8259 {
    pub irr: u8,
    pub isr: u8,
    pub imr: u8,
    pub vector_base: u8,
    /// The next ICW expected (2, 3, 4) during initialisation; 0 when initialised.
    init_step: u8,
    needs_icw4: bool,
    single: bool,
    pub auto_eoi: bool,
    read_isr: bool,
    poll: bool,
    /// Priority rotation: the lowest-priority line (IRQ 7 unless rotated).
    lowest: u8,
}

impl I8259 {
    fn priority_order(&self) -> impl Iterator<Item = u8> {
        let start = (self.lowest + 1) & 7;
        (0..8).map(move |i| (start + i) & 7)
    }

    /// The highest-priority request not masked and not blocked by one in service.
    fn highest_request(&self) -> Option<u8> {
        let req = self.irr & !self.imr;
        for line in self.priority_order() {
            let bit = 1 << line;
            if self.isr & bit != 0 {
                return None; // a higher (or equal) one is in service
            }
            if req & bit != 0 {
                return Some(line);
            }
        }
        None
    }

    fn eoi_nonspecific(&mut self) -> Option<u8> {
        let line = self.priority_order().find(|l| self.isr & (1 << l) != 0)?;
        self.isr &= !(1 << line);
        Some(line)
    }

    fn write_command(&mut self, v: u8) {
        if v & 0x10 != 0 {
            // ICW1.
            self.init_step = 2;
            self.needs_icw4 = v & 1 != 0;
            self.single = v & 2 != 0;
            self.irr = 0;
            self.isr = 0;
            self.imr = 0;
            self.auto_eoi = false;
            self.read_isr = false;
            self.lowest = 7;
            return;
        }
        if v & 0x08 != 0 {
            // OCW3.
            if v & 0x02 != 0 {
                self.read_isr = v & 1 != 0;
            }
            self.poll = v & 0x04 != 0;
            return;
        }
        // OCW2: bits 7-5 R, SL, EOI.
        let line = v & 7;
        match v >> 5 {
            0b001 => {
                self.eoi_nonspecific();
            }
            0b011 => self.isr &= !(1 << line),
            0b101 => {
                if let Some(l) = self.eoi_nonspecific() {
                    self.lowest = l;
                }
            }
            0b111 => {
                self.isr &= !(1 << line);
                self.lowest = line;
            }
            0b110 => self.lowest = line,
            _ => {} // rotate in auto-EOI mode set/clear, no operation
        }
    }

    fn write_data(&mut self, v: u8) {
        match self.init_step {
            2 => {
                self.vector_base = v & 0xF8;
                self.init_step = if self.single {
                    if self.needs_icw4 {
                        4
                    } else {
                        0
                    }
                } else {
                    3
                };
            }
            3 => self.init_step = if self.needs_icw4 { 4 } else { 0 },
            4 => {
                self.auto_eoi = v & 2 != 0;
                self.init_step = 0;
            }
            _ => self.imr = v,
        }
    }

    fn read_command(&mut self) -> u8 {
        if self.poll {
            self.poll = false;
            return match self.highest_request() {
                Some(line) => {
                    self.irr &= !(1 << line);
                    self.isr |= 1 << line;
                    0x80 | line
                }
                None => 0,
            };
        }
        if self.read_isr {
            self.isr
        } else {
            self.irr
        }
    }
}

/// The master/slave pair.
#[derive(Clone, Debug)]
pub struct Pic {
    pub master: I8259,
    pub slave: I8259,
    /// Line levels (edge detection).
    levels: u16,
}

impl Default for Pic {
    fn default() -> Self {
        let mut p = Pic { master: I8259::default(), slave: I8259::default(), levels: 0 };
        for (chip, base) in [(&mut p.master, 0x08), (&mut p.slave, 0x70)] {
            chip.vector_base = base;
            chip.imr = 0xFF;
            chip.lowest = 7;
        }
        p.master.imr = 0xFB; // the cascade open
        p
    }
}

impl Pic {
    /// The 16 lines' mask bits (IRQ n masked when bit n is set).
    pub fn mask(&self) -> u16 {
        self.master.imr as u16 | (self.slave.imr as u16) << 8
    }

    /// Requests waiting (IRR of both, IRQ numbering).
    pub fn requests(&self) -> u16 {
        self.master.irr as u16 | (self.slave.irr as u16) << 8
    }

    /// In service (ISR of both).
    pub fn in_service(&self) -> u16 {
        self.master.isr as u16 | (self.slave.isr as u16) << 8
    }

    fn sync_cascade(&mut self) {
        // The slave's output is the master's IRQ 2 (level).
        if self.slave.highest_request().is_some() {
            self.master.irr |= 1 << 2;
        } else if self.master.isr & (1 << 2) == 0 {
            self.master.irr &= !(1 << 2);
        }
    }
}

impl Chip for Pic {
    fn name(&self) -> &'static str {
        "pic"
    }

    fn read(&mut self, window: u8, offset: u16, _: &mut BusContext) -> u8 {
        let chip = if window == 0 { &mut self.master } else { &mut self.slave };
        let v = if offset & 1 == 0 { chip.read_command() } else { chip.imr };
        self.sync_cascade();
        v
    }

    fn write(&mut self, window: u8, offset: u16, value: u8, _: &mut BusContext) {
        let chip = if window == 0 { &mut self.master } else { &mut self.slave };
        if offset & 1 == 0 {
            chip.write_command(value);
        } else {
            chip.write_data(value);
        }
        self.sync_cascade();
    }
}

impl InterruptController for Pic {
    fn set_line(&mut self, line: u8, high: bool, edge: bool) {
        let line = line & 15;
        let bit = 1u16 << line;
        if edge || (high && self.levels & bit == 0) {
            if line < 8 {
                self.master.irr |= 1 << line;
            } else {
                self.slave.irr |= 1 << (line - 8);
            }
        }
        if high {
            self.levels |= bit;
        } else {
            self.levels &= !bit;
        }
        self.sync_cascade();
    }

    fn pending(&self) -> bool {
        self.master.highest_request().is_some()
    }

    fn acknowledge(&mut self) -> Option<(u8, u8)> {
        let line = self.master.highest_request()?;
        self.master.irr &= !(1 << line);
        if !self.master.auto_eoi {
            self.master.isr |= 1 << line;
        }
        if line == 2 && !self.master.single {
            let Some(s) = self.slave.highest_request() else {
                // A spurious request: the slave's IRQ 15 vector, nothing in service.
                self.master.isr &= !(1 << 2);
                return Some((15, self.slave.vector_base | 7));
            };
            self.slave.irr &= !(1 << s);
            if !self.slave.auto_eoi {
                self.slave.isr |= 1 << s;
            }
            self.sync_cascade();
            return Some((8 + s, self.slave.vector_base | s));
        }
        self.sync_cascade();
        Some((line, self.master.vector_base | line))
    }

    fn end_of_interrupt(&mut self, irq: u8) {
        if irq >= 8 {
            self.slave.isr &= !(1 << (irq - 8));
            if self.slave.isr == 0 {
                self.master.isr &= !(1 << 2);
            }
        } else {
            self.master.isr &= !(1 << irq);
        }
        self.sync_cascade();
    }

    fn set_masked(&mut self, irq: u8, masked: bool) {
        let (chip, bit) = if irq >= 8 { (&mut self.slave, irq - 8) } else { (&mut self.master, irq) };
        if masked {
            chip.imr |= 1 << (bit & 7);
        } else {
            chip.imr &= !(1 << (bit & 7));
        }
        if irq >= 8 && !masked {
            self.master.imr &= !(1 << 2);
        }
        self.sync_cascade();
    }
}

/// The bus's interrupt controller: the pair behind its handle.
pub struct PicController(pub Handle<Pic>);

impl InterruptController for PicController {
    fn set_line(&mut self, line: u8, high: bool, edge: bool) {
        if let Ok(mut p) = self.0 .0.try_borrow_mut() {
            p.set_line(line, high, edge)
        }
    }
    fn pending(&self) -> bool {
        self.0 .0.try_borrow().map(|p| p.pending()).unwrap_or(false)
    }
    fn acknowledge(&mut self) -> Option<(u8, u8)> {
        self.0 .0.try_borrow_mut().ok()?.acknowledge()
    }
    fn end_of_interrupt(&mut self, irq: u8) {
        if let Ok(mut p) = self.0 .0.try_borrow_mut() {
            p.end_of_interrupt(irq)
        }
    }
    fn set_masked(&mut self, irq: u8, masked: bool) {
        if let Ok(mut p) = self.0 .0.try_borrow_mut() {
            p.set_masked(irq, masked)
        }
    }
}
