//! Timers: KeInitializeTimer(Ex), KeSetTimer(Ex), KeSetCoalescableTimer, KeCancelTimer,
//! KeReadStateTimer. A timer expires on the virtual clock: it becomes signaled (a
//! notification timer stays so, a synchronization timer releases one waiter), queues its
//! DPC, and a periodic one is set again one period after it expired.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, KTIMER};
use crate::types::{Boolean, Ptr};

use super::dispatcher::{init_header, otype, set_signal_state, signal_state, signaled};
use super::scheduler::{self, trace, SchedEvent, TimerEntry};

/// VOID KeInitializeTimer(PKTIMER Timer): a notification timer.
pub fn KeInitializeTimer(k: &mut Kx, timer: Ptr) -> KResult<()> {
    KeInitializeTimerEx(k, timer, 0)
}

/// VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
pub fn KeInitializeTimerEx(k: &mut Kx, timer: Ptr, timer_type: u32) -> KResult<()> {
    let arch = k.arch();
    let t = if timer_type == 0 { otype::TIMER_NOTIFICATION } else { otype::TIMER_SYNCHRONIZATION };
    init_header(k, timer.0, t, KTIMER::STRUCT.size(arch), 0)?;
    let mem = k.mem_mut();
    mem.set(timer.0, KTIMER::DueTime, 0)?;
    let list = KTIMER::TimerListEntry.at(arch, timer.0);
    mem.write_ptr(list, 0)?;
    mem.write_ptr(list + arch.ptr_size(), 0)?;
    mem.set(timer.0, KTIMER::Dpc, 0)?;
    mem.set(timer.0, KTIMER::Period, 0)?;
    k.ext_mut().sched.timers.remove(&timer.0);
    Ok(())
}

/// Arms a timer; true if it was armed already (and is now re-armed).
fn set(k: &mut Kx, timer: u64, due_time: i64, period_ms: u32, dpc: u64) -> KResult<bool> {
    let due = super::time::deadline(k, due_time);
    set_signal_state(k, timer, 0)?;
    let mem = k.mem_mut();
    mem.set(timer, KTIMER::DueTime, due / 100)?;
    mem.set(timer, KTIMER::Period, period_ms as u64)?;
    mem.set(timer, KTIMER::Dpc, dpc)?;
    let seq = k.ext_mut().sched.next_seq();
    let was = k.ext_mut().sched.timers.insert(timer, TimerEntry { due, period_ms, dpc, seq }).is_some();
    if due <= k.guest().cpu.clock.now_ns() {
        scheduler::deliver_after_call(k);
    }
    Ok(was)
}

/// BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
pub fn KeSetTimer(k: &mut Kx, timer: Ptr, due_time: u64, dpc: Ptr) -> KResult<Boolean> {
    Ok(Boolean(set(k, timer.0, due_time as i64, 0, dpc.0)?))
}

/// BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
pub fn KeSetTimerEx(k: &mut Kx, timer: Ptr, due_time: u64, period: i32, dpc: Ptr) -> KResult<Boolean> {
    Ok(Boolean(set(k, timer.0, due_time as i64, period as u32, dpc.0)?))
}

/// BOOLEAN KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period,
/// ULONG TolerableDelay, PKDPC Dpc): the virtual clock needs no coalescing; it expires on time.
pub fn KeSetCoalescableTimer(
    k: &mut Kx,
    timer: Ptr,
    due_time: u64,
    period: u32,
    _tolerable_delay: u32,
    dpc: Ptr,
) -> KResult<Boolean> {
    Ok(Boolean(set(k, timer.0, due_time as i64, period, dpc.0)?))
}

/// BOOLEAN KeCancelTimer(PKTIMER Timer): true if it was armed.
pub fn KeCancelTimer(k: &mut Kx, timer: Ptr) -> KResult<Boolean> {
    // The timer must be readable, as on Windows.
    signal_state(k, timer.0)?;
    Ok(Boolean(k.ext_mut().sched.timers.remove(&timer.0).is_some()))
}

/// BOOLEAN KeReadStateTimer(PKTIMER Timer)
pub fn KeReadStateTimer(k: &mut Kx, timer: Ptr) -> KResult<Boolean> {
    Ok(Boolean(signal_state(k, timer.0)? != 0))
}

/// Expires every timer due at `now`, in (due time, arming order).
pub(crate) fn expire(k: &mut Kx, now: u64) -> KResult<()> {
    let s = &k.ext().sched;
    if !s.timers.values().any(|t| t.due <= now) {
        return Ok(());
    }
    let mut due: Vec<(u64, u64, u64)> =
        s.timers.iter().filter(|(_, t)| t.due <= now).map(|(addr, t)| (t.due, t.seq, *addr)).collect();
    due.sort();
    for (at, _, timer) in due {
        let Some(entry) = k.ext_mut().sched.timers.remove(&timer) else { continue };
        if entry.period_ms != 0 {
            let seq = k.ext_mut().sched.next_seq();
            let next = now.saturating_add(entry.period_ms as u64 * 1_000_000);
            k.ext_mut().sched.timers.insert(timer, TimerEntry { due: next, seq, ..entry.clone() });
        }
        trace(k, SchedEvent::Timer { timer, dpc: entry.dpc });
        set_signal_state(k, timer, 1)?;
        signaled(k, timer)?;
        if entry.dpc != 0 {
            // The DPC gets the expiry as a system time, split in two.
            let t = crate::ps::BOOT_SYSTEM_TIME + at / 100;
            super::dpc::insert(k, entry.dpc, t & 0xFFFF_FFFF, t >> 32)?;
        }
    }
    Ok(())
}
