//! The 8042 keyboard controller at 0x60 (data) and 0x64 (status / command), with a keyboard
//! that types the scenario's scan codes.
//!
//! Status (0x64 read): bit 0 output buffer full, 1 input buffer full (never: commands are
//! taken at once), 2 system flag (from the command byte), 3 last write was a command, 4
//! keyboard not inhibited, 5 the output byte is from the auxiliary device, 6 timeout.
//! Controller commands (0x64 write): 0x20 read / 0x60 write the command byte (bit 0
//! keyboard interrupt, 1 auxiliary interrupt, 2 system flag, 4 keyboard disabled, 5
//! auxiliary disabled, 6 scan-code translation); 0xAA self-test (answers 0x55), 0xAB / 0xA9
//! interface tests (0x00), 0xAD / 0xAE disable / enable the keyboard, 0xA7 / 0xA8 the
//! auxiliary port; 0xD0 read / 0xD1 write the output port (bit 0 the processor's reset line,
//! active low; bit 1 the A20 gate); 0xDD / 0xDF A20 off / on; 0xD2 / 0xD3 / 0xD4 write to
//! the keyboard output buffer, the auxiliary output buffer, the auxiliary device;
//! 0xF0-0xFF pulse the output port's bits whose command bit is clear (0xFE: the reset line).
//! A reset (pulse, or the output port written with bit 0 clear) ends the run as a reset.
//!
//! The keyboard answers its commands (0xFF reset: FA AA; 0xF2 identify: FA AB 83; 0xEE
//! echo; 0xED / 0xF3 with their parameter; the others FA) and types the scenario's
//! keystrokes, one scan code each 10 ms of virtual time while the output buffer is free,
//! raising IRQ 1 when the command byte enables it. No mouse is attached: bytes to the
//! auxiliary device time out.

use std::collections::VecDeque;

use portcullis_emu::ports::BusContext;

use crate::chip::Chip;

pub const IRQ: u8 = 1;
/// The interval between scripted keystrokes.
pub const KEY_NS: u64 = 10_000_000;
const QUEUE: usize = 16;

#[derive(Debug)]
pub struct I8042 {
    pub command_byte: u8,
    pub output_port: u8,
    /// Bytes waiting for the output buffer: (byte, from the auxiliary device).
    out: VecDeque<(u8, bool)>,
    /// A controller command waiting for its data byte.
    pending_command: Option<u8>,
    /// A keyboard command waiting for its parameter.
    pending_keyboard: Option<u8>,
    last_was_command: bool,
    timeout: bool,
    keys: VecDeque<u8>,
    next_key_ns: u64,
    /// Keystrokes the guest has read.
    pub keys_read: u64,
    pub self_tests: u32,
}

impl I8042 {
    /// A controller whose keyboard will type `scan_codes`.
    pub fn new(scan_codes: &[u8]) -> I8042 {
        I8042 {
            command_byte: 0x45,
            output_port: 0xCF,
            out: VecDeque::with_capacity(QUEUE),
            pending_command: None,
            pending_keyboard: None,
            last_was_command: false,
            timeout: false,
            keys: scan_codes.iter().copied().collect(),
            next_key_ns: 0,
            keys_read: 0,
            self_tests: 0,
        }
    }

    pub fn a20(&self) -> bool {
        self.output_port & 2 != 0
    }

    /// Scan codes not typed yet.
    pub fn keys_left(&self) -> usize {
        self.keys.len()
    }

    fn reply(&mut self, b: u8, aux: bool) {
        if self.out.len() < QUEUE {
            self.out.push_back((b, aux));
        }
    }

    fn status(&self) -> u8 {
        let obf = !self.out.is_empty() as u8;
        let aux = self.out.front().is_some_and(|(_, a)| *a) as u8;
        obf | (self.command_byte & 4) | (self.last_was_command as u8) << 3 | 0x10 | aux << 5 | (self.timeout as u8) << 6
    }

    fn keyboard_enabled(&self) -> bool {
        self.command_byte & 0x10 == 0
    }

    /// Types the next scripted key when the buffer is free and time has come; raises or
    /// lowers IRQ 1 and schedules the next keystroke.
    fn pump(&mut self, ctx: &mut BusContext) {
        let now = ctx.now_ns();
        if self.out.is_empty() && self.keyboard_enabled() && now >= self.next_key_ns {
            if let Some(k) = self.keys.pop_front() {
                self.reply(k, false);
                self.next_key_ns = now + KEY_NS;
            }
        }
        let irq = self.out.front().is_some_and(|(_, aux)| !aux) && self.command_byte & 1 != 0;
        ctx.set_irq(IRQ, irq);
        if !self.keys.is_empty() {
            ctx.schedule_at(self.next_key_ns.max(now + 1));
        }
    }

    fn write_output_port(&mut self, v: u8, ctx: &mut BusContext) {
        self.output_port = v;
        if v & 1 == 0 {
            ctx.request_reset(0x64, 0xD1, "keyboard controller: reset line asserted through the output port");
        }
    }

    fn command(&mut self, c: u8, ctx: &mut BusContext) {
        match c {
            0x20..=0x3F => {
                let b = if c == 0x20 { self.command_byte } else { 0 };
                self.reply(b, false);
            }
            0x60..=0x7F | 0xD1..=0xD4 => self.pending_command = Some(c),
            0xAA => {
                self.self_tests += 1;
                self.command_byte |= 0x04;
                self.reply(0x55, false);
            }
            0xA9 | 0xAB => self.reply(0x00, false),
            0xA7 => self.command_byte |= 0x20,
            0xA8 => self.command_byte &= !0x20,
            0xAD => self.command_byte |= 0x10,
            0xAE => self.command_byte &= !0x10,
            0xC0 => self.reply(0xBF, false), // input port: keyboard not locked, colour
            0xD0 => self.reply(self.output_port, false),
            0xDD => self.output_port &= !2,
            0xDF => self.output_port |= 2,
            0xF0..=0xFF if c & 1 == 0 => {
                ctx.request_reset(0x64, c as u32, "keyboard controller: reset line pulsed");
            }
            _ => {}
        }
    }

    fn keyboard(&mut self, b: u8) {
        if let Some(cmd) = self.pending_keyboard.take() {
            let _ = cmd; // LED state or typematic rate: taken
            self.reply(0xFA, false);
            return;
        }
        match b {
            0xFF => {
                self.reply(0xFA, false);
                self.reply(0xAA, false);
            }
            0xF2 => {
                self.reply(0xFA, false);
                self.reply(0xAB, false);
                self.reply(0x83, false);
            }
            0xEE => self.reply(0xEE, false),
            0xED | 0xF3 => {
                self.pending_keyboard = Some(b);
                self.reply(0xFA, false);
            }
            _ => self.reply(0xFA, false),
        }
    }
}

impl Chip for I8042 {
    fn name(&self) -> &'static str {
        "i8042"
    }

    fn read(&mut self, window: u8, _: u16, ctx: &mut BusContext) -> u8 {
        self.pump(ctx);
        let v = if window == 1 {
            self.status()
        } else {
            match self.out.pop_front() {
                Some((b, aux)) => {
                    if !aux && self.pending_command.is_none() {
                        self.keys_read += 1;
                    }
                    self.timeout = false;
                    b
                }
                None => 0,
            }
        };
        self.pump(ctx);
        v
    }

    fn write(&mut self, window: u8, _: u16, value: u8, ctx: &mut BusContext) {
        if window == 1 {
            self.last_was_command = true;
            self.pending_command = None;
            self.command(value, ctx);
        } else {
            self.last_was_command = false;
            match self.pending_command.take() {
                Some(0x60) => self.command_byte = value,
                Some(0xD1) => self.write_output_port(value, ctx),
                Some(0xD2) => self.reply(value, false),
                Some(0xD3) => self.reply(value, true),
                Some(0xD4) => self.timeout = true, // no mouse
                Some(_) => {}
                None => self.keyboard(value),
            }
        }
        self.pump(ctx);
    }

    fn timer(&mut self, ctx: &mut BusContext) {
        self.pump(ctx);
    }
}
