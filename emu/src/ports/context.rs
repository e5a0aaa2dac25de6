//! What a port device sees besides the access itself: the virtual clock (ask the time,
//! schedule a callback), its interrupt lines, and requests to the machine (a reset).
//!
//! Everything here is plain state owned by the bus: no allocation, no host time.

use serde::Serialize;

/// Nanoseconds in `cycles` of a `hz` clock, without 128-bit division (a port access asks for
/// the time: it must stay cheap).
#[inline]
pub fn cycles_to_ns(cycles: u64, hz: u64) -> u64 {
    let hz = hz.max(1);
    let (q, r) = (cycles / hz, cycles % hz);
    // r < hz: r * 1e9 fits in 64 bits for any clock below 18 GHz.
    let frac = match r.checked_mul(1_000_000_000) {
        Some(x) => x / hz,
        None => (r as u128 * 1_000_000_000 / hz as u128) as u64,
    };
    q.wrapping_mul(1_000_000_000).wrapping_add(frac)
}

/// Copies of `items` with each one's time (`time` picks it) converted from cycles of a `hz`
/// clock to nanoseconds, as [`cycles_to_ns`] does: a waveform converts every access it kept,
/// and a clock of whole gigahertz (the default's 3 GHz) needs one division by a constant.
pub fn cycles_to_ns_all<T: Copy>(items: &[T], hz: u64, time: impl Fn(&mut T) -> &mut u64) -> Vec<T> {
    let mut out = items.to_vec();
    cycles_to_ns_in_place(&mut out, hz, time);
    out
}

/// [`cycles_to_ns_all`] on the items themselves.
pub fn cycles_to_ns_in_place<T>(out: &mut [T], hz: u64, time: impl Fn(&mut T) -> &mut u64) {
    // With hz = k * 1e9, cycles * 1e9 / hz is exactly cycles / k.
    match hz {
        1_000_000_000 => {}
        2_000_000_000 => out.iter_mut().for_each(|x| *time(x) /= 2),
        3_000_000_000 => out.iter_mut().for_each(|x| *time(x) /= 3),
        4_000_000_000 => out.iter_mut().for_each(|x| *time(x) /= 4),
        _ => out.iter_mut().for_each(|x| {
            let t = time(x);
            *t = cycles_to_ns(*t, hz);
        }),
    }
}

/// Interrupt request lines of the ISA bus (0..16), as levels the devices drive.
///
/// A device raises or lowers its line; the interrupt controller (an 8259 pair, a model
/// outside this crate) sees every change after the access through
/// [`InterruptController::set_line`]. Edge-triggered devices pulse: raise then lower.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqLines {
    level: u16,
    /// Lines that rose since the controller last looked (a pulse leaves its bit here).
    rose: u16,
}

impl IrqLines {
    pub fn level(&self) -> u16 {
        self.level
    }

    pub fn set(&mut self, line: u8, high: bool) {
        let bit = 1u16 << (line & 15);
        if high && self.level & bit == 0 {
            self.rose |= bit;
        }
        if high {
            self.level |= bit;
        } else {
            self.level &= !bit;
        }
    }

    /// The lines that rose since the controller last looked.
    pub fn rose(&self) -> u16 {
        self.rose
    }

    /// The lines that rose since the last call (edges for the controller's request register).
    pub fn take_rising(&mut self) -> u16 {
        std::mem::take(&mut self.rose)
    }
}

/// The machine's interrupt controller, as the bus feeds it.
pub trait InterruptController {
    /// A line rose (`edge`) or is at a level (`high`).
    fn set_line(&mut self, line: u8, high: bool, edge: bool);
    /// Whether an unmasked request waits for the processor.
    fn pending(&self) -> bool;
    /// The processor's acknowledge cycle: the IRQ (0..16) and vector of the request served,
    /// now in service.
    fn acknowledge(&mut self) -> Option<(u8, u8)>;
    /// The end of service of `irq` (what an EOI command does).
    fn end_of_interrupt(&mut self, irq: u8);
    /// Masks or unmasks a line (what the HAL does when an ISR is connected or disconnected).
    fn set_masked(&mut self, irq: u8, masked: bool);
}

/// Why a device asked the machine to reset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResetRequest {
    /// The port written.
    pub port: u16,
    pub value: u32,
    /// What the chip does with it ("reset control register: hard reset", ...).
    pub what: String,
}

/// What a port device sees during an access or a scheduled callback.
pub struct BusContext<'a> {
    pub(crate) cycles: u64,
    pub(crate) tsc_hz: u64,
    pub(crate) lines: &'a mut IrqLines,
    /// The device's own timer: the clock cycle at which its `timer` runs (u64::MAX: none).
    pub(crate) deadline: &'a mut u64,
    pub(crate) reset: &'a mut Option<ResetRequest>,
}

impl<'a> BusContext<'a> {
    /// A context outside any machine (tests, tools): a clock at `now_ns`, lines and a timer
    /// slot of the caller's.
    pub fn detached(
        now_ns: u64,
        lines: &'a mut IrqLines,
        deadline: &'a mut u64,
        reset: &'a mut Option<ResetRequest>,
    ) -> BusContext<'a> {
        BusContext { cycles: now_ns, tsc_hz: 1_000_000_000, lines, deadline, reset }
    }

    /// Nanoseconds since the virtual boot.
    pub fn now_ns(&self) -> u64 {
        cycles_to_ns(self.cycles, self.tsc_hz)
    }

    /// Runs the device's `timer` once the clock reaches `at_ns` (replaces any earlier request).
    pub fn schedule_at(&mut self, at_ns: u64) {
        let cycles = (at_ns as u128 * self.tsc_hz as u128).div_ceil(1_000_000_000);
        *self.deadline = cycles.min(u64::MAX as u128 - 1) as u64;
    }

    /// Cancels the device's scheduled callback.
    pub fn cancel_timer(&mut self) {
        *self.deadline = u64::MAX;
    }

    /// Drives interrupt line `line` (0..16).
    pub fn set_irq(&mut self, line: u8, high: bool) {
        self.lines.set(line, high);
    }

    /// An edge on `line`: raised and lowered again.
    pub fn pulse_irq(&mut self, line: u8) {
        self.lines.set(line, true);
        self.lines.set(line, false);
    }

    /// Asks the machine to reset: the run ends, reported as a reset. The first request wins.
    pub fn request_reset(&mut self, port: u16, value: u32, what: &str) {
        if self.reset.is_none() {
            *self.reset = Some(ResetRequest { port, value, what: what.to_string() });
        }
    }
}

/// The state a [`BusContext`] borrows, for calling a device outside a bus (unit tests).
#[derive(Debug)]
pub struct Detached {
    pub now_ns: u64,
    pub lines: IrqLines,
    pub deadline: u64,
    pub reset: Option<ResetRequest>,
}

impl Default for Detached {
    fn default() -> Self {
        Detached { now_ns: 0, lines: IrqLines::default(), deadline: u64::MAX, reset: None }
    }
}

impl Detached {
    pub fn ctx(&mut self) -> BusContext<'_> {
        BusContext::detached(self.now_ns, &mut self.lines, &mut self.deadline, &mut self.reset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_convert_to_nanoseconds_exactly() {
        for hz in [1_000_000_000u64, 3_000_000_000, 2_893_000_123, 17_999_999_999] {
            for cycles in [0u64, 1, 999, hz - 1, hz, 3 * hz + 7, u64::MAX / 2, u64::MAX] {
                let exact = (cycles as u128 * 1_000_000_000 / hz as u128) as u64;
                assert_eq!(cycles_to_ns(cycles, hz), exact, "{cycles} cycles at {hz} Hz");
            }
        }
    }

    #[test]
    fn whole_gigahertz_clocks_convert_as_any_clock_does() {
        let times = [0u64, 1, 2, 999, 2_999_999_999, 3_000_000_001, u64::MAX / 2, u64::MAX - 1, u64::MAX];
        for hz in [1_000_000_000u64, 2_000_000_000, 3_000_000_000, 4_000_000_000, 2_893_000_123] {
            let converted = cycles_to_ns_all(&times, hz, |t| t);
            let one_by_one: Vec<u64> = times.iter().map(|&c| cycles_to_ns(c, hz)).collect();
            assert_eq!(converted, one_by_one, "{hz} Hz");
        }
    }
}
