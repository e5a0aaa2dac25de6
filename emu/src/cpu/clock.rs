//! The virtual clock: deterministic time for `rdtsc`, timers and the kernel's tick counts.
//!
//! Nothing reads host time. The clock advances only when the guest looks at it (each
//! `rdtsc`/`rdtscp` moves it a fixed quantum, so polling loops terminate the same way on
//! every run) or when the kernel lets time pass (a stall, a wait, a halt with interrupts on).

/// Cycles one `rdtsc` advances the clock: 1000 cycles, a third of a microsecond at 3 GHz.
pub const RDTSC_QUANTUM: u64 = 1000;

/// Nanoseconds one access to device memory takes (an uncached read or write across the
/// chipset), so that a driver polling an MMIO register sees time pass, as one polling a port
/// does (a port access takes an ISA bus cycle, 1 us).
pub const MMIO_ACCESS_NS: u64 = 100;

#[derive(Clone, Debug)]
pub struct VirtualClock {
    /// Nominal TSC frequency.
    pub tsc_hz: u64,
    cycles: u64,
    /// Cycles of one device-memory access, worked out once (the MMIO path is hot).
    mmio_cycles: u64,
}

impl VirtualClock {
    /// A clock whose machine has been up `uptime_s` seconds.
    pub fn new(tsc_hz: u64, uptime_s: u64) -> VirtualClock {
        let mmio_cycles = (tsc_hz / (1_000_000_000 / MMIO_ACCESS_NS)).max(1);
        VirtualClock { tsc_hz, cycles: tsc_hz.saturating_mul(uptime_s), mmio_cycles }
    }

    /// The time-stamp counter as `rdtsc` sees it; each read moves time forward a quantum.
    pub fn read_tsc(&mut self) -> u64 {
        self.cycles = self.cycles.wrapping_add(RDTSC_QUANTUM);
        self.cycles
    }

    /// The counter without advancing it.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    pub fn set_cycles(&mut self, cycles: u64) {
        self.cycles = cycles;
    }

    /// Nanoseconds since the virtual boot.
    pub fn now_ns(&self) -> u64 {
        (self.cycles as u128 * 1_000_000_000 / self.tsc_hz.max(1) as u128) as u64
    }

    /// The time one device-memory access takes ([`MMIO_ACCESS_NS`]).
    #[inline]
    pub fn advance_mmio_access(&mut self) {
        self.cycles = self.cycles.wrapping_add(self.mmio_cycles);
    }

    pub fn advance_ns(&mut self, ns: u64) {
        let delta = (ns as u128 * self.tsc_hz as u128 / 1_000_000_000) as u64;
        self.cycles = self.cycles.wrapping_add(delta.max(1));
    }
}

impl Default for VirtualClock {
    /// 3 GHz, ten seconds after boot.
    fn default() -> Self {
        VirtualClock::new(3_000_000_000, 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_advance_by_the_quantum() {
        let mut c = VirtualClock::new(1_000_000_000, 0);
        assert_eq!(c.read_tsc(), RDTSC_QUANTUM);
        assert_eq!(c.read_tsc(), 2 * RDTSC_QUANTUM);
        assert_eq!(c.cycles(), 2 * RDTSC_QUANTUM);
    }

    #[test]
    fn nanoseconds_follow_the_frequency() {
        let mut c = VirtualClock::new(2_000_000_000, 1);
        assert_eq!(c.now_ns(), 1_000_000_000);
        c.advance_ns(500);
        assert_eq!(c.cycles(), 2_000_001_000);
    }
}
