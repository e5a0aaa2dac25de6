//! The local APIC's register page (Intel SDM vol. 3A, §10.4), as the boot processor's
//! firmware leaves it: APIC ID 0, version 0x15 with seven LVT entries (Westmere), software
//! enabled with the spurious vector 0xFF, LINT0 as ExtINT and LINT1 as NMI, the other LVT
//! entries masked. Registers are 32 bits at 16-byte strides; reserved ones read zero.
//!
//! The timer counts down from its initial count at the bus clock (133 MHz) over the divide
//! configuration, in virtual time; reading the current count, like any device-memory access,
//! moves the clock ([`crate::cpu::clock::MMIO_ACCESS_NS`]), so a calibration loop that polls
//! it ends.

use super::{dword_lane, merge_lane};
use crate::physical::mmio::{DeviceContext, MmioDevice};
use crate::ports::Width;

const BUS_HZ: u64 = 133_333_333;
const MASKED: u32 = 1 << 16;

pub struct LocalApic {
    regs: [u32; 64],
    /// Virtual nanoseconds when the initial count was written.
    timer_start_ns: u64,
}

const ID: usize = 0x02;
const VERSION: usize = 0x03;
const TPR: usize = 0x08;
const PPR: usize = 0x0A;
const EOI: usize = 0x0B;
const LDR: usize = 0x0D;
const DFR: usize = 0x0E;
const SVR: usize = 0x0F;
const ESR: usize = 0x28;
const LVT_CMCI: usize = 0x2F;
const ICR_LOW: usize = 0x30;
const ICR_HIGH: usize = 0x31;
const LVT_TIMER: usize = 0x32;
const LVT_ERROR: usize = 0x37;
const TIMER_INITIAL: usize = 0x38;
const TIMER_CURRENT: usize = 0x39;
const TIMER_DIVIDE: usize = 0x3E;

impl Default for LocalApic {
    fn default() -> Self {
        let mut regs = [0u32; 64];
        regs[VERSION] = 0x0006_0015;
        regs[DFR] = 0xFFFF_FFFF;
        regs[SVR] = 0x1FF;
        regs[LVT_CMCI] = MASKED;
        regs[LVT_TIMER..=LVT_ERROR].fill(MASKED);
        regs[0x35] = 0x700; // LINT0: ExtINT
        regs[0x36] = 0x400; // LINT1: NMI
        LocalApic { regs, timer_start_ns: 0 }
    }
}

impl LocalApic {
    fn divisor(&self) -> u64 {
        let d = self.regs[TIMER_DIVIDE];
        let code = (d & 0b11) | ((d >> 1) & 0b100);
        if code == 0b111 {
            1
        } else {
            2 << code
        }
    }

    fn current_count(&self, now_ns: u64) -> u32 {
        let initial = self.regs[TIMER_INITIAL] as u64;
        if initial == 0 {
            return 0;
        }
        let ticks = (now_ns.saturating_sub(self.timer_start_ns) as u128 * BUS_HZ as u128
            / 1_000_000_000
            / self.divisor() as u128) as u64;
        let periodic = self.regs[LVT_TIMER] & (1 << 17) != 0;
        if periodic {
            (initial - ticks % initial) as u32
        } else {
            initial.saturating_sub(ticks) as u32
        }
    }
}

impl MmioDevice for LocalApic {
    fn name(&self) -> &str {
        "local-apic"
    }

    fn read(&mut self, offset: u64, width: Width, ctx: &mut DeviceContext) -> u32 {
        let index = (offset / 16) as usize;
        if offset % 16 >= 4 || index >= 64 {
            return 0;
        }
        let value = match index {
            TIMER_CURRENT => self.current_count(ctx.clock.now_ns()),
            PPR => self.regs[TPR] & 0xF0,
            EOI => 0,
            _ => self.regs[index],
        };
        dword_lane(value, offset, width)
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, ctx: &mut DeviceContext) {
        let index = (offset / 16) as usize;
        if offset % 16 >= 4 || index >= 64 {
            return;
        }
        let value = merge_lane(self.regs[index], offset, width, value);
        match index {
            ID => self.regs[ID] = value & 0xFF00_0000,
            TPR => self.regs[TPR] = value & 0xFF,
            LDR => self.regs[LDR] = value & 0xFF00_0000,
            DFR => self.regs[DFR] = value | 0x0FFF_FFFF,
            SVR => self.regs[SVR] = value & 0x11FF,
            // Writing ESR latches the errors into it: none happened.
            ESR => self.regs[ESR] = 0,
            // An IPI is "sent" at once: the delivery-status bit reads idle.
            ICR_LOW => self.regs[ICR_LOW] = value & !(1 << 12),
            ICR_HIGH => self.regs[ICR_HIGH] = value & 0xFF00_0000,
            LVT_CMCI | LVT_TIMER..=LVT_ERROR => self.regs[index] = value,
            TIMER_INITIAL => {
                self.regs[TIMER_INITIAL] = value;
                self.timer_start_ns = ctx.clock.now_ns();
            }
            TIMER_DIVIDE => self.regs[TIMER_DIVIDE] = value & 0b1011,
            // ID/version, priorities, EOI, ISR/TMR/IRR and the current count are read-only
            // (EOI is write-only with nothing in service).
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::VirtualClock;

    #[test]
    fn registers_and_the_timer() {
        let mut clock = VirtualClock::new(1_000_000_000, 0);
        let mut ctx = DeviceContext::clock_only(&mut clock);
        let mut apic = LocalApic::default();
        assert_eq!(apic.read(0x30, Width::Dword, &mut ctx), 0x0006_0015);
        assert_eq!(apic.read(0xF0, Width::Dword, &mut ctx), 0x1FF);
        apic.write(0x20, Width::Dword, 0x1234_5678, &mut ctx);
        assert_eq!(apic.read(0x20, Width::Dword, &mut ctx), 0x1200_0000);
        apic.write(0x3E0, Width::Dword, 0b1011, &mut ctx); // divide by 1
        apic.write(0x380, Width::Dword, 1_000_000, &mut ctx);
        // Each access takes time (the physical space advances the clock before a device sees it).
        let current = |apic: &mut LocalApic, ctx: &mut DeviceContext| {
            ctx.clock.advance_mmio_access();
            apic.read(0x390, Width::Dword, ctx)
        };
        let first = current(&mut apic, &mut ctx);
        let second = current(&mut apic, &mut ctx);
        assert!(first < 1_000_000 && second < first, "{first} {second}");
        let mut n = 0;
        while current(&mut apic, &mut ctx) != 0 {
            n += 1;
            assert!(n < 100_000, "polling the current count ends");
        }
    }
}
