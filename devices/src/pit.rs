//! The 8254 programmable interval timer at 0x40-0x43, and system control port B at 0x61
//! (channel 2's gate, the speaker, the refresh toggle).
//!
//! From the Intel 8254 datasheet: three 16-bit down counters clocked at 1.193182 MHz.
//! A control word (0x43) selects a counter, its access (latch command, LSB, MSB, LSB then
//! MSB), its mode (0 interrupt on terminal count, 1 hardware one-shot, 2 rate generator,
//! 3 square wave, 4 software strobe, 5 hardware strobe; 6 and 7 are 2 and 3) and binary or
//! BCD counting; 0b11 in the counter field is the read-back command (latch count and/or
//! status of several counters at once; status = OUT, NULL COUNT, access, mode, BCD).
//! Writing a mode sets OUT to its initial state (low in mode 0, high otherwise) and stops
//! the counter until a count is written; a count of 0 means 65536 (10000 in BCD). The gate
//! suspends counting in modes 0, 2, 3 and 4 (and forces OUT high in 2 and 3; its rising
//! edge reloads them) and triggers modes 1 and 5.
//!
//! Counters are evaluated from the virtual clock when read, never stepped: a counter costs
//! nothing while nobody looks. Channel 0's OUT rising edges drive IRQ 0 (the chip schedules
//! a callback at the next edge); channel 1 is the refresh timer; channel 2's gate and the
//! speaker enable are bits 0 and 1 of port 0x61, whose bit 4 toggles with each memory
//! refresh (every 15.085 us) and bit 5 reads channel 2's OUT. While channel 2 runs a square
//! wave (or rate) with the gate and the speaker enabled, the speaker plays a tone of
//! 1193182 / count Hz: each tone is kept with its start and duration.
//!
//! A new count written while a counter runs leaves the current period alone (the datasheet's
//! "count register" against its "counting element"): in mode 2 it takes over at the end of the
//! period, in mode 3 at the end of the current half-cycle, in modes 1 and 5 at the next
//! trigger; NULL COUNT reads 1 until then. Modes 0 and 4 restart with it on the next clock.

use portcullis_emu::ports::BusContext;

use crate::chip::{Chip, Log};

/// The counters' input clock.
pub const PIT_HZ: u64 = 1_193_182;
/// One memory refresh period (port 0x61 bit 4 toggles each), in ns.
pub const REFRESH_NS: u64 = 15_085;

fn ticks(ns: u64) -> u64 {
    (ns as u128 * PIT_HZ as u128 / 1_000_000_000) as u64
}

fn ns_of(tick: u64) -> u64 {
    (tick as u128 * 1_000_000_000).div_ceil(PIT_HZ as u128) as u64
}

fn to_bcd(v: u32) -> u16 {
    let v = v % 10000;
    ((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10)) as u16
}

fn from_bcd(v: u16) -> u32 {
    let d = |s: u16| ((v >> s) & 0xF).min(9) as u32;
    d(12) * 1000 + d(8) * 100 + d(4) * 10 + d(0)
}

/// One counter.
#[derive(Clone, Debug, Default)]
pub struct Counter {
    /// 0-5 (6 and 7 are stored as 2 and 3).
    pub mode: u8,
    /// 1 LSB, 2 MSB, 3 LSB then MSB.
    pub access: u8,
    pub bcd: bool,
    /// The count register as written (0 = the maximum).
    pub reload: u16,
    /// A count has been written since the mode was set (the counter counts).
    loaded: bool,
    /// Modes 1 and 5: the gate has triggered the count.
    triggered: bool,
    gate: bool,
    /// Clock ticks counted before `since` (the counter was paused, or reloaded).
    held: u64,
    /// Tick from which the counter counts (when running).
    since: u64,
    running: bool,
    null_count: bool,
    write_msb_next: bool,
    write_low: u8,
    read_msb_next: bool,
    latched: Option<u16>,
    latched_msb_next: bool,
    status: Option<u8>,
    /// For IRQ edges: the edge count already signalled.
    edges_seen: u64,
    /// A count written while counting, waiting for the end of the period.
    pending: Option<Pending>,
    /// The tick at which a waiting count last took over (for the speaker's tones).
    switched: Option<u64>,
}

/// A count written while a counter runs in modes 1, 2, 3 or 5.
#[derive(Clone, Copy, Debug)]
struct Pending {
    reload: u16,
    /// The counter's elapsed ticks when the new count takes over (`u64::MAX`: at the next
    /// trigger of the gate, modes 1 and 5).
    at: u64,
    /// Ticks of the new count's period already behind it when it takes over: mode 3 taking
    /// over at the end of a high half-cycle starts in its low half.
    offset: u64,
    /// OUT's rising edges with the old count.
    edges_before: u64,
}

impl Counter {
    fn modulus(&self) -> u64 {
        if self.bcd {
            10_000
        } else {
            65_536
        }
    }

    /// The count the counter starts from.
    pub fn initial(&self) -> u64 {
        self.count_of(self.reload)
    }

    fn count_of(&self, reload: u16) -> u64 {
        let v = if self.bcd { from_bcd(reload) as u64 } else { reload as u64 };
        if v == 0 {
            self.modulus()
        } else {
            v
        }
    }

    /// The count in force at tick `t`, the ticks counted with it, and OUT's rising edges with
    /// the count before it.
    fn in_force(&self, t: u64) -> (u64, u64, u64) {
        let e = self.elapsed(t);
        match self.pending {
            Some(p) if e >= p.at => (self.count_of(p.reload), e - p.at + p.offset, p.edges_before),
            _ => (self.initial(), e, 0),
        }
    }

    /// The count the counter divides by at tick `t` (a count written meanwhile may wait).
    pub fn count_at(&self, t: u64) -> u64 {
        self.in_force(t).0
    }

    /// The tick at which a written count takes over, while it waits for the period's end.
    fn switch_at(&self, t: u64) -> Option<u64> {
        let e = self.elapsed(t);
        let p = self.pending?;
        (self.running && p.at != u64::MAX && e < p.at).then(|| t + (p.at - e))
    }

    /// Makes a written count that has taken over by tick `t` the counter's own.
    fn settle(&mut self, t: u64) {
        let Some(p) = self.pending else { return };
        let e = self.elapsed(t);
        if e < p.at {
            return;
        }
        self.reload = p.reload;
        self.switched = Some(t - (e - p.at));
        self.held = e - p.at + p.offset;
        self.since = t;
        self.edges_seen = self.edges_seen.saturating_sub(p.edges_before);
        self.pending = None;
    }

    /// A count written while the counter runs in mode 1, 2, 3 or 5, per the datasheet.
    fn defer(&mut self, reload: u16, t: u64) {
        let (n, e, _) = self.in_force(t);
        let new = self.count_of(reload);
        self.pending = Some(match self.mode {
            2 => {
                let at = (e / n + 1) * n;
                Pending { reload, at, offset: 0, edges_before: at / n }
            }
            3 if e % n < n.div_ceil(2) => {
                // The end of this high half-cycle: the new count goes on with its low half.
                Pending { reload, at: e - e % n + n.div_ceil(2), offset: new.div_ceil(2), edges_before: e / n }
            }
            3 => {
                let at = (e / n + 1) * n;
                Pending { reload, at, offset: 0, edges_before: at / n }
            }
            _ => Pending { reload, at: u64::MAX, offset: 0, edges_before: 0 },
        });
    }

    /// A trigger (modes 1, 2, 3, 5) starts with the count register's latest count.
    fn take_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            self.reload = p.reload;
        }
    }

    fn elapsed(&self, t: u64) -> u64 {
        if self.running {
            self.held + t.saturating_sub(self.since)
        } else {
            self.held
        }
    }

    fn counts(&self) -> bool {
        match self.mode {
            1 | 5 => self.loaded && self.triggered,
            _ => self.loaded && self.gate,
        }
    }

    fn restart(&mut self, t: u64) {
        self.held = 0;
        // The count is loaded on the next clock.
        self.since = t + 1;
        self.running = self.counts();
        self.edges_seen = 0;
    }

    fn set_gate(&mut self, gate: bool, t: u64) {
        self.settle(t);
        let rising = gate && !self.gate;
        if !gate && self.running && matches!(self.mode, 0 | 2 | 3 | 4) {
            self.held = self.elapsed(t);
            self.running = false;
        }
        self.gate = gate;
        match self.mode {
            1 | 5 if rising && self.loaded => {
                self.triggered = true;
                self.take_pending();
                self.restart(t);
            }
            2 | 3 if rising && self.loaded => {
                self.take_pending();
                self.restart(t);
            }
            0 | 4 if gate && self.loaded && !self.running => {
                self.since = t;
                self.running = true;
            }
            _ => {}
        }
    }

    /// The counting element's value at tick `t` (binary, 0..modulus).
    pub fn value(&self, t: u64) -> u64 {
        let (n, e, _) = self.in_force(t);
        let m = self.modulus();
        if !self.loaded || (matches!(self.mode, 1 | 5) && !self.triggered) {
            return n % m;
        }
        if self.since > t && self.running && self.held == 0 {
            return self.reload as u64 % m; // not yet loaded: the next clock does it
        }
        match self.mode {
            2 => n - e % n,
            3 => {
                let high = n.div_ceil(2);
                let phase = e % n;
                let even = n & !1;
                let v =
                    if phase < high { even.saturating_sub(2 * phase) } else { even.saturating_sub(2 * (phase - high)) };
                if v == 0 {
                    even.max(2)
                } else {
                    v
                }
            }
            _ => (n + m - e % m) % m,
        }
    }

    /// The OUT pin at tick `t`.
    pub fn out(&self, t: u64) -> bool {
        if !self.loaded {
            return self.mode != 0;
        }
        let (n, e, _) = self.in_force(t);
        let started = !(self.since > t && self.running && self.held == 0);
        match self.mode {
            0 => started && e >= n,
            1 => !self.triggered || (started && e >= n),
            2 => !self.gate || !started || e % n != n - 1,
            3 => !self.gate || !started || e % n < n.div_ceil(2),
            _ => !(started && (self.mode == 4 || self.triggered) && e == n),
        }
    }

    /// Rising edges of OUT up to tick `t` since the count started (IRQ 0 for channel 0).
    fn rising_edges(&self, t: u64) -> u64 {
        if !self.running && self.held == 0 {
            return 0;
        }
        let (n, e, before) = self.in_force(t);
        before
            + match self.mode {
                0 => (e >= n) as u64,
                1 => (self.triggered && e >= n) as u64,
                2 | 3 => e / n,
                _ => (e > n) as u64,
            }
    }

    /// The tick of the next rising edge after tick `t`, if the counter will produce one.
    fn next_edge(&self, t: u64) -> Option<u64> {
        if !self.running {
            return None;
        }
        let (n, e, _) = self.in_force(t);
        let target = match self.mode {
            0 | 1 => n,
            2 | 3 => (e / n + 1) * n,
            _ => n + 1,
        };
        let next = (target > e).then(|| t + (target - e));
        // A written count that takes over before that edge decides the next one.
        match (self.switch_at(t), self.pending) {
            (Some(switch), Some(p)) if next.is_none_or(|x| x > switch) => {
                let n = self.count_of(p.reload);
                Some(switch + ((p.offset / n + 1) * n - p.offset))
            }
            _ => next,
        }
    }

    fn displayed(&self, t: u64) -> u16 {
        let v = self.value(t);
        if self.bcd {
            to_bcd(v as u32)
        } else {
            v as u16
        }
    }

    fn status_byte(&self, t: u64) -> u8 {
        // NULL COUNT: a count written has not reached the counting element yet.
        let waiting = self.pending.is_some_and(|p| self.elapsed(t) < p.at);
        let null = self.null_count || waiting;
        (self.out(t) as u8) << 7 | (null as u8) << 6 | self.access << 4 | self.mode << 1 | self.bcd as u8
    }

    fn latch(&mut self, t: u64) {
        if self.latched.is_none() {
            self.latched = Some(self.displayed(t));
            self.latched_msb_next = false;
        }
    }

    fn read(&mut self, t: u64) -> u8 {
        if let Some(s) = self.status.take() {
            return s;
        }
        if let Some(v) = self.latched {
            let byte = match self.access {
                2 => (v >> 8) as u8,
                3 if self.latched_msb_next => (v >> 8) as u8,
                _ => v as u8,
            };
            if self.access == 3 && !self.latched_msb_next {
                self.latched_msb_next = true;
            } else {
                self.latched = None;
            }
            return byte;
        }
        let v = self.displayed(t);
        match self.access {
            1 => v as u8,
            2 => (v >> 8) as u8,
            _ => {
                self.read_msb_next = !self.read_msb_next;
                if self.read_msb_next {
                    v as u8
                } else {
                    (v >> 8) as u8
                }
            }
        }
    }

    /// A byte of the count; true when the count is complete (loaded).
    fn write(&mut self, value: u8, t: u64) -> bool {
        self.settle(t);
        let written = match self.access {
            1 => Some(value as u16),
            2 => Some((value as u16) << 8),
            _ => {
                if self.write_msb_next {
                    self.write_msb_next = false;
                    Some(self.write_low as u16 | (value as u16) << 8)
                } else {
                    self.write_low = value;
                    self.write_msb_next = true;
                    // Mode 0 stops counting when the first byte is written.
                    if self.mode == 0 {
                        self.held = self.elapsed(t);
                        self.running = false;
                    }
                    None
                }
            }
        };
        let Some(reload) = written else { return false };
        let counting = self.loaded && (self.running || self.held > 0);
        self.null_count = false;
        self.loaded = true;
        match self.mode {
            2 | 3 if counting => self.defer(reload, t),
            1 | 5 if self.loaded && self.triggered => self.defer(reload, t),
            1 | 5 => self.reload = reload,
            _ => {
                self.pending = None;
                self.reload = reload;
                self.restart(t);
            }
        }
        true
    }

    fn set_mode(&mut self, control: u8) {
        let mode = (control >> 1) & 7;
        self.mode = if mode >= 6 { mode - 4 } else { mode };
        self.access = (control >> 4) & 3;
        self.bcd = control & 1 != 0;
        self.loaded = false;
        self.triggered = false;
        self.running = false;
        self.held = 0;
        self.null_count = true;
        self.write_msb_next = false;
        self.read_msb_next = false;
        self.latched = None;
        self.status = None;
        self.edges_seen = 0;
        self.pending = None;
    }
}

/// A tone the speaker played.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Tone {
    pub start_ns: u64,
    pub duration_ns: u64,
    /// 1193182 / count.
    pub hz: f64,
    /// The count channel 2 divided the clock by.
    pub count: u32,
}

#[derive(Debug)]
pub struct Pit {
    pub counters: [Counter; 3],
    /// Port 0x61 bits 0-3 as written.
    port_b: u8,
    tones: Log<Tone>,
    /// The tone playing: (start, count).
    playing: Option<(u64, u32)>,
    /// Ticks of the clock when channel 0 last pulsed IRQ 0 (edge count).
    pub irq0_pulses: u64,
}

impl Default for Pit {
    /// As PC firmware leaves it: channel 0 a square wave of count 65536 (18.2 Hz), channel 1
    /// the refresh rate (mode 2, 18), channel 2 stopped; the speaker off.
    fn default() -> Self {
        let mut p =
            Pit { counters: Default::default(), port_b: 0, tones: Log::new(1 << 16), playing: None, irq0_pulses: 0 };
        for (i, (control, count)) in [(0x36u8, 0u16), (0x74, 18), (0xB6, 0)].into_iter().enumerate() {
            let c = &mut p.counters[i];
            c.gate = i != 2;
            c.set_mode(control);
            if i != 2 {
                c.reload = count;
                c.loaded = true;
                c.null_count = false;
                c.restart(0);
                c.since = 0;
            }
        }
        p
    }
}

impl Pit {
    /// Port 0x61 as read at `now_ns`.
    pub fn port_b(&self, now_ns: u64) -> u8 {
        let t = ticks(now_ns);
        let refresh = ((now_ns / REFRESH_NS) & 1) as u8;
        (self.port_b & 0x0F) | refresh << 4 | (self.counters[2].out(t) as u8) << 5
    }

    /// The speaker's level: channel 2's OUT through the enable bit.
    pub fn speaker(&self, now_ns: u64) -> bool {
        self.port_b & 2 != 0 && self.counters[2].out(ticks(now_ns))
    }

    /// Tones played so far; the one still playing is closed at `now_ns`.
    pub fn tones_until(&self, now_ns: u64) -> Vec<Tone> {
        let mut v = self.tones.items().to_vec();
        if let Some((start, count)) = self.playing {
            v.push(Tone {
                start_ns: start,
                duration_ns: now_ns.saturating_sub(start),
                hz: PIT_HZ as f64 / count as f64,
                count,
            });
        }
        v
    }

    /// Recomputes whether a tone plays after a change at `now_ns`.
    fn update_tone(&mut self, now_ns: u64) {
        // A count that took over since the last look changed the tone when it did.
        let c = &mut self.counters[2];
        c.settle(ticks(now_ns));
        if let (Some(tick), Some((start, count))) = (c.switched.take(), self.playing) {
            let at = ns_of(tick).clamp(start, now_ns);
            let new = c.initial() as u32;
            if new != count {
                let hz = PIT_HZ as f64 / count as f64;
                self.tones.push(Tone { start_ns: start, duration_ns: at - start, hz, count });
                self.playing = Some((at, new));
            }
        }
        let c = &self.counters[2];
        let playing = self.port_b & 3 == 3 && c.loaded && matches!(c.mode, 2 | 3);
        let tone = playing.then(|| c.count_at(ticks(now_ns)) as u32);
        let current = self.playing.map(|(_, n)| n);
        if tone == current {
            return;
        }
        if let Some((start, count)) = self.playing.take() {
            self.tones.push(Tone {
                start_ns: start,
                duration_ns: now_ns - start.min(now_ns),
                hz: PIT_HZ as f64 / count as f64,
                count,
            });
        }
        self.playing = tone.map(|n| (now_ns, n));
    }

    /// The chip's one timer: channel 0's next rising edge (IRQ 0), or channel 2 taking over a
    /// written count (the tone changes then), whichever comes first.
    fn schedule(&mut self, ctx: &mut BusContext) {
        let t = ticks(ctx.now_ns());
        let edge = self.counters[0].next_edge(t);
        let tone = self.counters[2].switch_at(t).filter(|_| self.playing.is_some());
        match edge.into_iter().chain(tone).min() {
            Some(tick) => ctx.schedule_at(ns_of(tick)),
            None => ctx.cancel_timer(),
        }
    }
}

impl Chip for Pit {
    fn name(&self) -> &'static str {
        "pit"
    }

    fn read(&mut self, window: u8, offset: u16, ctx: &mut BusContext) -> u8 {
        let now = ctx.now_ns();
        if window == 1 {
            return self.port_b(now);
        }
        match offset {
            0..=2 => self.counters[offset as usize].read(ticks(now)),
            _ => 0xFF, // the control word register cannot be read
        }
    }

    fn write(&mut self, window: u8, offset: u16, value: u8, ctx: &mut BusContext) {
        let now = ctx.now_ns();
        let t = ticks(now);
        if window == 1 {
            self.port_b = value & 0x0F;
            self.counters[2].set_gate(value & 1 != 0, t);
            self.update_tone(now);
            self.schedule(ctx);
            return;
        }
        match offset {
            0..=2 => {
                let i = offset as usize;
                self.counters[i].write(value, t);
                if i == 2 {
                    self.update_tone(now);
                }
                if i != 1 {
                    self.schedule(ctx);
                }
            }
            _ => {
                let sel = value >> 6;
                if sel == 3 {
                    // Read-back: bit 5 clear latches counts, bit 4 clear latches status.
                    for i in 0..3 {
                        if value & (2 << i) != 0 {
                            let c = &mut self.counters[i];
                            if value & 0x20 == 0 {
                                c.latch(t);
                            }
                            if value & 0x10 == 0 && c.status.is_none() {
                                c.status = Some(c.status_byte(t));
                            }
                        }
                    }
                    return;
                }
                let c = &mut self.counters[sel as usize];
                if value & 0x30 == 0 {
                    c.latch(t);
                    return;
                }
                c.settle(t);
                let gate = c.gate;
                c.set_mode(value);
                c.gate = gate;
                if sel == 2 {
                    self.update_tone(now);
                }
                if sel != 1 {
                    self.schedule(ctx);
                }
            }
        }
    }

    fn timer(&mut self, ctx: &mut BusContext) {
        let now = ctx.now_ns();
        let t = ticks(now);
        self.update_tone(now);
        let c = &mut self.counters[0];
        let edges = c.rising_edges(t);
        if edges > c.edges_seen {
            c.edges_seen = edges;
            self.irq0_pulses += 1;
            ctx.pulse_irq(0);
        }
        self.schedule(ctx);
    }
}
