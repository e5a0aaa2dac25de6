//! The high precision event timer (IA-PC HPET specification 1.0a) as the ICH10 has it: a
//! 64-bit main counter at 14.31818 MHz, four comparators (timer 0 periodic-capable and 64-bit),
//! legacy replacement routing capable, vendor Intel.
//!
//! The counter runs in virtual time while enabled; reading it, like any device-memory access,
//! moves the clock ([`crate::cpu::clock::MMIO_ACCESS_NS`]), so a loop that waits for it to
//! pass a value ends.

use super::{dword_lane, merge_lane};
use crate::physical::mmio::{DeviceContext, MmioDevice};
use crate::ports::Width;

/// Femtoseconds per tick (14.31818 MHz).
pub const PERIOD_FS: u32 = 69_841_279;
const HZ: u128 = 14_318_180;
const TIMERS: usize = 4;

pub struct Hpet {
    config: u32,
    status: u32,
    /// The counter value when it was last stopped or written, and the virtual time it
    /// started running from.
    counter: u64,
    running_since_ns: Option<u64>,
    timers: [[u32; 4]; TIMERS],
}

impl Default for Hpet {
    fn default() -> Self {
        let mut timers = [[0u32; 4]; TIMERS];
        for (i, t) in timers.iter_mut().enumerate() {
            // Config/capabilities: interrupt routing to IRQ 20-23; timer 0 periodic and 64-bit.
            t[0] = if i == 0 { 0x30 } else { 0 };
            t[1] = 0x00F0_0000;
            t[2] = 0xFFFF_FFFF;
            t[3] = if i == 0 { 0xFFFF_FFFF } else { 0 };
        }
        Hpet { config: 0, status: 0, counter: 0, running_since_ns: None, timers }
    }
}

impl Hpet {
    fn count(&self, now_ns: u64) -> u64 {
        match self.running_since_ns {
            Some(since) => {
                self.counter.wrapping_add((now_ns.saturating_sub(since) as u128 * HZ / 1_000_000_000) as u64)
            }
            None => self.counter,
        }
    }
}

impl MmioDevice for Hpet {
    fn name(&self) -> &str {
        "hpet"
    }

    fn read(&mut self, offset: u64, width: Width, ctx: &mut DeviceContext) -> u32 {
        let value = match offset & !3 {
            // Revision 1, 4 timers (3 + 1), 64-bit counter, legacy routing, vendor 8086.
            0x000 => 0x8086_A301,
            0x004 => PERIOD_FS,
            0x010 => self.config,
            0x020 => self.status,
            o @ (0x0F0 | 0x0F4) => {
                let c = self.count(ctx.clock.now_ns());
                if o == 0x0F0 {
                    c as u32
                } else {
                    (c >> 32) as u32
                }
            }
            o @ 0x100..=0x17F => self.timers[((o - 0x100) / 0x20) as usize][((o % 0x20) / 4) as usize],
            _ => 0,
        };
        dword_lane(value, offset, width)
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, ctx: &mut DeviceContext) {
        let now = ctx.clock.now_ns();
        match offset & !3 {
            0x010 => {
                let new = merge_lane(self.config, offset, width, value) & 0b11;
                match (self.config & 1, new & 1) {
                    (0, 1) => self.running_since_ns = Some(now),
                    (1, 0) => {
                        self.counter = self.count(now);
                        self.running_since_ns = None;
                    }
                    _ => {}
                }
                self.config = new;
            }
            0x020 => self.status &= !merge_lane(0, offset, width, value),
            o @ (0x0F0 | 0x0F4) if self.running_since_ns.is_none() => {
                let (lo, hi) = (self.counter as u32, (self.counter >> 32) as u32);
                self.counter = if o == 0x0F0 {
                    (hi as u64) << 32 | merge_lane(lo, offset, width, value) as u64
                } else {
                    (merge_lane(hi, offset, width, value) as u64) << 32 | lo as u64
                };
            }
            o @ 0x100..=0x17F => {
                let (t, r) = (((o - 0x100) / 0x20) as usize, ((o % 0x20) / 4) as usize);
                let slot = &mut self.timers[t][r];
                *slot = match r {
                    // Enable, type, periodic value-set, 32-bit mode, route, FSB: the rest are
                    // capabilities.
                    0 => (*slot & 0xFFFF_8030) | (merge_lane(*slot, offset, width, value) & 0x7F4E),
                    1 => *slot,
                    _ => merge_lane(*slot, offset, width, value),
                };
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::VirtualClock;

    #[test]
    fn the_counter_runs_in_virtual_time_while_enabled() {
        let mut clock = VirtualClock::new(1_000_000_000, 0);
        let mut ctx = DeviceContext::clock_only(&mut clock);
        let mut h = Hpet::default();
        assert_eq!(h.read(0, Width::Dword, &mut ctx), 0x8086_A301);
        assert_eq!(h.read(4, Width::Dword, &mut ctx), PERIOD_FS);
        assert_eq!(h.read(0xF0, Width::Dword, &mut ctx), 0, "halted");
        h.write(0x10, Width::Dword, 1, &mut ctx);
        // Each access takes time (the physical space advances the clock before a device sees it).
        ctx.clock.advance_mmio_access();
        let a = h.read(0xF0, Width::Dword, &mut ctx);
        ctx.clock.advance_mmio_access();
        let b = h.read(0xF0, Width::Dword, &mut ctx);
        assert!(b > a, "{a} {b}");
        h.write(0x10, Width::Dword, 0, &mut ctx);
        let c = h.read(0xF0, Width::Dword, &mut ctx);
        assert_eq!(h.read(0xF0, Width::Dword, &mut ctx), c, "stopped");
        h.write(0xF0, Width::Dword, 5, &mut ctx);
        assert_eq!(h.read(0xF0, Width::Dword, &mut ctx), 5);
        assert_eq!(h.read(0x100, Width::Dword, &mut ctx), 0x30);
    }
}
