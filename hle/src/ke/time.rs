//! Time queries, all from the machine's virtual clock: system time (from the virtual boot
//! date), interrupt time (since boot), ticks of 15.625 ms, and a 10 MHz performance counter
//! whose every read moves the clock a quantum, as `rdtsc` does, so polling loops end.
#![allow(non_snake_case)]

use portcullis_emu::cpu::RDTSC_QUANTUM;

use crate::kernel::{KResult, Kx};
use crate::ps::{sync_time, BOOT_SYSTEM_TIME, TICK_100NS};
use crate::types::Ptr;

/// The performance counter's frequency: 10 MHz, as on Windows 10 (100 ns units).
pub const PERFORMANCE_FREQUENCY: u64 = 10_000_000;

/// Interrupt time: 100 ns units since the virtual boot.
pub fn interrupt_time(k: &Kx) -> u64 {
    k.guest().cpu.clock.now_ns() / 100
}

/// System time: 100 ns units since 1601.
pub fn system_time(k: &Kx) -> u64 {
    BOOT_SYSTEM_TIME + interrupt_time(k)
}

/// Converts a KeWait-style timeout (negative: relative, 100 ns units; positive: absolute
/// system time) to the virtual interrupt time, in ns, when it expires.
pub fn deadline(k: &Kx, timeout: i64) -> u64 {
    let now = k.guest().cpu.clock.now_ns();
    if timeout < 0 {
        now.saturating_add(timeout.unsigned_abs().saturating_mul(100))
    } else {
        (timeout as u64).saturating_sub(BOOT_SYSTEM_TIME).saturating_mul(100)
    }
}

/// VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) (exported on x86; x64 drivers read
/// KUSER_SHARED_DATA, which is kept in step).
pub fn KeQuerySystemTime(k: &mut Kx, current: Ptr) -> KResult<()> {
    sync_time(k)?;
    let t = system_time(k);
    k.mem_mut().write_u64(current.0, t)?;
    Ok(())
}

/// VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
pub fn KeQuerySystemTimePrecise(k: &mut Kx, current: Ptr) -> KResult<()> {
    KeQuerySystemTime(k, current)
}

/// VOID KeQueryTickCount(PLARGE_INTEGER TickCount) (exported on x86).
pub fn KeQueryTickCount(k: &mut Kx, count: Ptr) -> KResult<()> {
    sync_time(k)?;
    let ticks = interrupt_time(k) / TICK_100NS;
    k.mem_mut().write_u64(count.0, ticks)?;
    Ok(())
}

/// ULONGLONG KeQueryInterruptTime(void) (exported on x86).
pub fn KeQueryInterruptTime(k: &mut Kx) -> KResult<u64> {
    sync_time(k)?;
    Ok(interrupt_time(k))
}

/// ULONG64 KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)
pub fn KeQueryInterruptTimePrecise(k: &mut Kx, qpc: Ptr) -> KResult<u64> {
    let counter = read_counter(k);
    k.mem_mut().write_u64(qpc.0, counter)?;
    Ok(interrupt_time(k))
}

/// ULONGLONG KeQueryUnbiasedInterruptTime(void): the machine never sleeps, so the same as
/// the interrupt time.
pub fn KeQueryUnbiasedInterruptTime(k: &mut Kx) -> KResult<u64> {
    Ok(interrupt_time(k))
}

/// ULONG KeQueryTimeIncrement(void): 100 ns units per clock tick.
pub fn KeQueryTimeIncrement(_k: &mut Kx) -> KResult<u32> {
    Ok(TICK_100NS as u32)
}

fn read_counter(k: &mut Kx) -> u64 {
    let clock = &mut k.guest_mut().cpu.clock;
    clock.set_cycles(clock.cycles().wrapping_add(RDTSC_QUANTUM));
    k.guest().cpu.clock.now_ns() / 100
}

/// LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
pub fn KeQueryPerformanceCounter(k: &mut Kx, frequency: Ptr) -> KResult<u64> {
    if !frequency.is_null() {
        k.mem_mut().write_u64(frequency.0, PERFORMANCE_FREQUENCY)?;
    }
    Ok(read_counter(k))
}
