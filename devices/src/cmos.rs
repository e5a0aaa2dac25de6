//! The CMOS RAM and real-time clock (an MC146818A, as every PC chipset presents it) at ports
//! 0x70 (index; bit 7 masks NMI) and 0x71 (data).
//!
//! From the MC146818A datasheet: registers 0-9 hold seconds, alarm seconds, minutes, alarm
//! minutes, hours, alarm hours, day of week, day of month, month, year; register A the
//! update-in-progress flag (bit 7), the time base (bits 6-4) and the periodic rate (bits
//! 3-0); B: SET (7, stops updates), PIE (6), AIE (5), UIE (4), SQWE (3), DM (2: binary, else
//! BCD), 24/12 (1: 24-hour), DSE (0); C: IRQF, PF, AF, UF, cleared when read; D: VRT (valid
//! RAM and time). In 12-hour mode bit 7 of the hour is PM. An alarm byte of 0xC0-0xFF
//! matches any value. UIP rises 244 us before each update and the update ends on the second.
//!
//! The clock runs on the virtual clock from a fixed date (the scenario's, 2024-01-01
//! 00:00:00 at the virtual boot by default, the kernel's boot time too), so every run reads
//! the same times. Registers 0x0E-0x7F are the standard CMOS bytes: equipment, base and
//! extended memory sizes, the century (0x32), with the checksum of 0x10-0x2D at 0x2E-0x2F.
//! The periodic, alarm and update-ended interrupts are raised on IRQ 8.

use portcullis_emu::ports::BusContext;

use crate::chip::Chip;

/// The default date at the virtual boot: 2024-01-01 00:00:00 (Monday).
pub const DEFAULT_EPOCH: i64 = 1_704_067_200;
const UIP_NS: u64 = 244_000;
const NS: u64 = 1_000_000_000;
pub const IRQ: u8 = 8;

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" (or with a space) to seconds since 1970.
pub fn parse_date(s: &str) -> Option<i64> {
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) || !(1900..=2999).contains(&y) {
        return None;
    }
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if let Some(t) = time {
        let mut p = t.split(':').map(|p| p.parse::<i64>().ok());
        hh = p.next()??;
        mm = p.next()??;
        ss = p.next().unwrap_or(Some(0))?;
        if p.next().is_some() || hh > 23 || mm > 59 || ss > 59 || hh < 0 || mm < 0 || ss < 0 {
            return None;
        }
    }
    Some(days_from_civil(y, m as u32, day as u32) * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn bcd(v: u8) -> u8 {
    (v / 10) << 4 | (v % 10)
}

fn unbcd(v: u8) -> u8 {
    (v >> 4).min(9) * 10 + (v & 0xF).min(9)
}

#[derive(Debug)]
pub struct Cmos {
    index: u8,
    /// NMI disabled (bit 7 of the last index written).
    pub nmi_masked: bool,
    ram: [u8; 128],
    /// Seconds since 1970 the clock showed at the virtual boot (writes to the time move it).
    epoch: i64,
    /// While SET is on, the time frozen in the registers (seconds since 1970).
    frozen: Option<i64>,
    /// The time of the last read of register C (flags are computed since then).
    flags_since_ns: u64,
    /// Interrupt flags pending (register C bits 6-4).
    flags: u8,
}

impl Cmos {
    /// CMOS for a machine with `ram_bytes` of memory above 1 MiB, its clock showing `epoch`
    /// (seconds since 1970) at the virtual boot.
    pub fn new(ram_bytes: u64, epoch: i64) -> Cmos {
        let mut ram = [0u8; 128];
        ram[0x0A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
        ram[0x0B] = 0x02; // 24-hour, BCD
        ram[0x0D] = 0x80; // RAM and time valid
        ram[0x10] = 0x40; // a 1.44 MB floppy as drive A
        ram[0x14] = 0x07; // equipment: a floppy, a coprocessor, VGA-compatible
        ram[0x15..0x17].copy_from_slice(&640u16.to_le_bytes());
        let extended_kb = (ram_bytes / 1024).min(0xFFFF) as u16;
        ram[0x17..0x19].copy_from_slice(&extended_kb.to_le_bytes());
        ram[0x30..0x32].copy_from_slice(&extended_kb.to_le_bytes());
        let above_16m = (ram_bytes.saturating_sub(15 << 20) / 65536).min(0xFFFF) as u16;
        ram[0x34..0x36].copy_from_slice(&above_16m.to_le_bytes());
        let mut c = Cmos { index: 0, nmi_masked: false, ram, epoch, frozen: None, flags_since_ns: 0, flags: 0 };
        c.update_checksum();
        c
    }

    /// Recomputes the checksum of bytes 0x10-0x2D (what setup programs do after a change).
    pub fn update_checksum(&mut self) {
        let sum: u16 = self.ram[0x10..0x2E].iter().map(|b| *b as u16).sum();
        self.ram[0x2E..0x30].copy_from_slice(&sum.to_be_bytes());
    }

    /// Whether the checksum at 0x2E-0x2F matches bytes 0x10-0x2D.
    pub fn checksum_valid(&self) -> bool {
        let sum: u16 = self.ram[0x10..0x2E].iter().map(|b| *b as u16).sum();
        u16::from_be_bytes([self.ram[0x2E], self.ram[0x2F]]) == sum
    }

    /// A byte of CMOS RAM (the clock registers as last latched).
    pub fn ram(&self, index: u8) -> u8 {
        self.ram[(index & 0x7F) as usize]
    }

    /// The clock at `now_ns`, in seconds since 1970.
    pub fn time(&self, now_ns: u64) -> i64 {
        self.frozen.unwrap_or(self.epoch + (now_ns / NS) as i64)
    }

    fn binary(&self) -> bool {
        self.ram[0x0B] & 0x04 != 0
    }

    fn encode(&self, v: u8) -> u8 {
        if self.binary() {
            v
        } else {
            bcd(v)
        }
    }

    fn decode(&self, v: u8) -> u8 {
        if self.binary() {
            v
        } else {
            unbcd(v)
        }
    }

    fn encode_hour(&self, h: u8) -> u8 {
        if self.ram[0x0B] & 0x02 != 0 {
            return self.encode(h);
        }
        let pm = h >= 12;
        let h12 = match h % 12 {
            0 => 12,
            x => x,
        };
        self.encode(h12) | (pm as u8) << 7
    }

    fn decode_hour(&self, v: u8) -> u8 {
        if self.ram[0x0B] & 0x02 != 0 {
            return self.decode(v).min(23);
        }
        let h = self.decode(v & 0x7F) % 12;
        h + if v & 0x80 != 0 { 12 } else { 0 }
    }

    /// The clock register `i` (0-9, 0x32) at `now_ns`.
    fn clock_register(&self, i: u8, now_ns: u64) -> u8 {
        let t = self.time(now_ns);
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        let (y, m, d) = civil(days);
        match i {
            0 => self.encode((secs % 60) as u8),
            2 => self.encode((secs / 60 % 60) as u8),
            4 => self.encode_hour((secs / 3600) as u8),
            6 => self.encode(((days + 4).rem_euclid(7) + 1) as u8), // 1 = Sunday
            7 => self.encode(d as u8),
            8 => self.encode(m as u8),
            9 => self.encode(y.rem_euclid(100) as u8),
            _ => self.encode((y.rem_euclid(10_000) / 100) as u8),
        }
    }

    /// Sets the time from a write to clock register `i`.
    fn set_clock_register(&mut self, i: u8, v: u8, now_ns: u64) {
        let t = self.time(now_ns);
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        let (mut y, mut m, mut d) = civil(days);
        let (mut hh, mut mm, mut ss) = (secs / 3600, secs / 60 % 60, secs % 60);
        match i {
            0 => ss = self.decode(v).min(59) as i64,
            2 => mm = self.decode(v).min(59) as i64,
            4 => hh = self.decode_hour(v) as i64,
            6 => return, // the day of week follows the date
            7 => d = self.decode(v).clamp(1, 31) as u32,
            8 => m = self.decode(v).clamp(1, 12) as u32,
            9 => y = y - y.rem_euclid(100) + self.decode(v).min(99) as i64,
            _ => y = y.rem_euclid(100) + self.decode(v).min(99) as i64 * 100,
        }
        let new = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
        match self.frozen {
            Some(_) => self.frozen = Some(new),
            None => self.epoch += new - t,
        }
    }

    /// Whether an update is in progress at `now_ns` (the 244 us before each second).
    pub fn update_in_progress(&self, now_ns: u64) -> bool {
        self.frozen.is_none() && now_ns % NS >= NS - UIP_NS
    }

    /// The periodic interrupt's period, if the rate selects one (register A bits 3-0).
    fn periodic_ns(&self) -> Option<u64> {
        let rate = self.ram[0x0A] & 0x0F;
        let base = (self.ram[0x0A] >> 4) & 7;
        if rate == 0 || base != 2 {
            return None;
        }
        let rate = if rate <= 2 { rate + 7 } else { rate };
        // 32768 Hz >> (rate - 1).
        Some(NS * (1 << (rate - 1)) / 32_768)
    }

    fn alarm_matches(&self, t: i64) -> bool {
        let secs = t.rem_euclid(86_400);
        let want = |reg: usize, v: i64, hour: bool| {
            let a = self.ram[reg];
            a >= 0xC0 || (if hour { self.decode_hour(a) as i64 } else { self.decode(a) as i64 }) == v
        };
        want(1, secs % 60, false) && want(3, secs / 60 % 60, false) && want(5, secs / 3600, true)
    }

    /// The flags (register C bits 6-4) events between `from` and `to` set.
    fn events(&self, from: u64, to: u64) -> u8 {
        if to <= from {
            return 0;
        }
        let mut f = 0;
        if let Some(p) = self.periodic_ns() {
            if to / p > from / p {
                f |= 0x40;
            }
        }
        if self.frozen.is_none() && to / NS > from / NS {
            f |= 0x10;
            // The alarm is checked at each update; check the last second passed (and
            // the seconds before it when few passed).
            let last = (to / NS) as i64;
            let first = ((from / NS) as i64 + 1).max(last - 86_400);
            if (first..=last).rev().take(86_401).any(|s| self.alarm_matches(self.epoch + s)) {
                f |= 0x20;
            }
        }
        f
    }

    fn enabled(&self) -> u8 {
        self.ram[0x0B] & 0x70
    }

    fn catch_up(&mut self, now: u64) {
        self.flags |= self.events(self.flags_since_ns, now);
        self.flags_since_ns = now;
    }

    fn schedule(&mut self, ctx: &mut BusContext) {
        let now = ctx.now_ns();
        let mut next = u64::MAX;
        if self.enabled() & 0x40 != 0 {
            if let Some(p) = self.periodic_ns() {
                next = next.min((now / p + 1) * p);
            }
        }
        if self.enabled() & 0x30 != 0 && self.frozen.is_none() {
            next = next.min((now / NS + 1) * NS);
        }
        if next == u64::MAX {
            ctx.cancel_timer();
        } else {
            ctx.schedule_at(next);
        }
        let irq = self.flags & self.enabled() != 0;
        ctx.set_irq(IRQ, irq);
    }
}

impl Chip for Cmos {
    fn name(&self) -> &'static str {
        "cmos-rtc"
    }

    fn read(&mut self, _: u8, offset: u16, ctx: &mut BusContext) -> u8 {
        let now = ctx.now_ns();
        if offset == 0 {
            // The index register is write-only on the chip; chipsets return it.
            return self.index | (self.nmi_masked as u8) << 7;
        }
        let i = self.index & 0x7F;
        match i {
            0 | 2 | 4 | 6..=9 | 0x32 => self.clock_register(i, now),
            0x0A => self.ram[0x0A] & 0x7F | (self.update_in_progress(now) as u8) << 7,
            0x0C => {
                self.catch_up(now);
                let f = self.flags;
                self.flags = 0;
                let irqf = (f & self.enabled() != 0) as u8;
                ctx.set_irq(IRQ, false);
                f | irqf << 7
            }
            _ => self.ram[i as usize],
        }
    }

    fn write(&mut self, _: u8, offset: u16, value: u8, ctx: &mut BusContext) {
        let now = ctx.now_ns();
        if offset == 0 {
            self.index = value & 0x7F;
            self.nmi_masked = value & 0x80 != 0;
            return;
        }
        let i = self.index & 0x7F;
        match i {
            0 | 2 | 4 | 6..=9 | 0x32 => self.set_clock_register(i, value, now),
            // C and D are read-only; A's UIP bit too.
            0x0C | 0x0D => {}
            0x0A => {
                self.catch_up(now);
                self.ram[0x0A] = value & 0x7F;
                self.schedule(ctx);
            }
            0x0B => {
                self.catch_up(now);
                let set = value & 0x80 != 0;
                match (set, self.frozen) {
                    (true, None) => self.frozen = Some(self.time(now)),
                    (false, Some(t)) => {
                        self.epoch = t - (now / NS) as i64;
                        self.frozen = None;
                    }
                    _ => {}
                }
                // SET clears UIE.
                self.ram[0x0B] = if set { value & !0x10 } else { value };
                self.schedule(ctx);
            }
            _ => self.ram[i as usize] = value,
        }
    }

    fn timer(&mut self, ctx: &mut BusContext) {
        self.catch_up(ctx.now_ns());
        self.schedule(ctx);
    }
}
