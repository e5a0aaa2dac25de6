//! Interlocked operations the kernel exports: the x86 InterlockedXxx (fastcall), the
//! ExInterlocked/ExfInterlocked/Exi386/Exfi386 forms (some taking a spin lock, which is
//! taken and released around the operation, as Windows does), on integers, LIST_ENTRY
//! lists and singly linked lists. (S-lists are in slist.rs.) One flow runs at a time, so
//! each operation is atomic.
#![allow(non_snake_case)]

use crate::ke::spinlock::{give, take};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, LIST_ENTRY};
use crate::types::Ptr;

/// INTERLOCKED_RESULT.
const RESULT_ZERO: i32 = 0;
const RESULT_NEGATIVE: i32 = 1;
const RESULT_POSITIVE: i32 = 2;

fn result_of(v: i32) -> i32 {
    match v {
        0 => RESULT_ZERO,
        v if v < 0 => RESULT_NEGATIVE,
        _ => RESULT_POSITIVE,
    }
}

/// Runs `f` holding `lock` (none when null).
fn locked<T>(k: &mut Kx, lock: u64, f: impl FnOnce(&mut Kx) -> KResult<T>) -> KResult<T> {
    if lock == 0 {
        return f(k);
    }
    take(k, lock, 1)?;
    let r = f(k);
    give(k, lock, "an interlocked operation")?;
    r
}

/// Adds `delta` to the LONG at `at`; returns (old, new).
fn add_long(k: &mut Kx, at: u64, delta: i32) -> KResult<(i32, i32)> {
    let old = k.mem().read_u32(at)? as i32;
    let new = old.wrapping_add(delta);
    k.mem_mut().write_u32(at, new as u32)?;
    Ok((old, new))
}

fn exchange_long(k: &mut Kx, at: u64, value: u32) -> KResult<u32> {
    let old = k.mem().read_u32(at)?;
    k.mem_mut().write_u32(at, value)?;
    Ok(old)
}

/// LONG InterlockedIncrement(LONG volatile *Addend) (fastcall, x86): the new value.
pub fn InterlockedIncrement(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Ok(add_long(k, addend.0, 1)?.1)
}

/// LONG InterlockedDecrement(LONG volatile *Addend) (fastcall, x86): the new value.
pub fn InterlockedDecrement(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Ok(add_long(k, addend.0, -1)?.1)
}

/// LONG InterlockedExchange(LONG volatile *Target, LONG Value) (fastcall, x86): the old value.
pub fn InterlockedExchange(k: &mut Kx, target: Ptr, value: i32) -> KResult<i32> {
    Ok(exchange_long(k, target.0, value as u32)? as i32)
}

/// LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value) (fastcall, x86): the old value.
pub fn InterlockedExchangeAdd(k: &mut Kx, addend: Ptr, value: i32) -> KResult<i32> {
    Ok(add_long(k, addend.0, value)?.0)
}

/// LONG InterlockedCompareExchange(LONG volatile *Destination, LONG Exchange, LONG Comparand)
/// (fastcall, x86): the old value; stores Exchange if it equalled Comparand.
pub fn InterlockedCompareExchange(k: &mut Kx, destination: Ptr, exchange: i32, comparand: i32) -> KResult<i32> {
    let old = k.mem().read_u32(destination.0)? as i32;
    if old == comparand {
        k.mem_mut().write_u32(destination.0, exchange as u32)?;
    }
    Ok(old)
}

/// ULONG ExInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock): the old value.
pub fn ExInterlockedAddUlong(k: &mut Kx, addend: Ptr, increment: u32, lock: Ptr) -> KResult<u32> {
    locked(k, lock.0, |k| Ok(add_long(k, addend.0, increment as i32)?.0 as u32))
}

/// ULONG ExfInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock) (fastcall, x86)
pub fn ExfInterlockedAddUlong(k: &mut Kx, addend: Ptr, increment: u32, lock: Ptr) -> KResult<u32> {
    ExInterlockedAddUlong(k, addend, increment, lock)
}

/// LARGE_INTEGER ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend, LARGE_INTEGER Increment,
/// PKSPIN_LOCK Lock): the old value.
pub fn ExInterlockedAddLargeInteger(k: &mut Kx, addend: Ptr, increment: u64, lock: Ptr) -> KResult<u64> {
    locked(k, lock.0, |k| {
        let old = k.mem().read_u64(addend.0)?;
        k.mem_mut().write_u64(addend.0, old.wrapping_add(increment))?;
        Ok(old)
    })
}

/// VOID ExInterlockedAddLargeStatistic(PLARGE_INTEGER Addend, ULONG Increment) (fastcall, x86)
pub fn ExInterlockedAddLargeStatistic(k: &mut Kx, addend: Ptr, increment: u32) -> KResult<()> {
    let old = k.mem().read_u64(addend.0)?;
    k.mem_mut().write_u64(addend.0, old.wrapping_add(increment as u64))?;
    Ok(())
}

fn compare_exchange64(k: &mut Kx, destination: u64, exchange: u64, comparand: u64) -> KResult<u64> {
    let new = k.mem().read_u64(exchange)?;
    let expected = k.mem().read_u64(comparand)?;
    let old = k.mem().read_u64(destination)?;
    if old == expected {
        k.mem_mut().write_u64(destination, new)?;
    }
    Ok(old)
}

/// LONGLONG ExInterlockedCompareExchange64(PLONGLONG Destination, PLONGLONG Exchange,
/// PLONGLONG Comparand, PKSPIN_LOCK Lock) (fastcall, x86)
pub fn ExInterlockedCompareExchange64(
    k: &mut Kx,
    destination: Ptr,
    exchange: Ptr,
    comparand: Ptr,
    lock: Ptr,
) -> KResult<u64> {
    locked(k, lock.0, |k| compare_exchange64(k, destination.0, exchange.0, comparand.0))
}

/// LONGLONG ExfInterlockedCompareExchange64(PLONGLONG Destination, PLONGLONG Exchange,
/// PLONGLONG Comperand) (fastcall, x86)
pub fn ExfInterlockedCompareExchange64(k: &mut Kx, destination: Ptr, exchange: Ptr, comparand: Ptr) -> KResult<u64> {
    compare_exchange64(k, destination.0, exchange.0, comparand.0)
}

/// INTERLOCKED_RESULT ExInterlockedIncrementLong(PLONG Addend, PKSPIN_LOCK Lock) (fastcall, x86)
pub fn ExInterlockedIncrementLong(k: &mut Kx, addend: Ptr, lock: Ptr) -> KResult<i32> {
    locked(k, lock.0, |k| Ok(result_of(add_long(k, addend.0, 1)?.1)))
}

/// INTERLOCKED_RESULT ExInterlockedDecrementLong(PLONG Addend, PKSPIN_LOCK Lock) (x86)
pub fn ExInterlockedDecrementLong(k: &mut Kx, addend: Ptr, lock: Ptr) -> KResult<i32> {
    locked(k, lock.0, |k| Ok(result_of(add_long(k, addend.0, -1)?.1)))
}

/// ULONG ExInterlockedExchangeUlong(PULONG Target, ULONG Value, PKSPIN_LOCK Lock) (x86)
pub fn ExInterlockedExchangeUlong(k: &mut Kx, target: Ptr, value: u32, lock: Ptr) -> KResult<u32> {
    locked(k, lock.0, |k| exchange_long(k, target.0, value))
}

/// INTERLOCKED_RESULT Exi386InterlockedIncrementLong(PLONG Addend) (x86)
pub fn Exi386InterlockedIncrementLong(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Ok(result_of(add_long(k, addend.0, 1)?.1))
}

/// INTERLOCKED_RESULT Exi386InterlockedDecrementLong(PLONG Addend) (x86)
pub fn Exi386InterlockedDecrementLong(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Ok(result_of(add_long(k, addend.0, -1)?.1))
}

/// ULONG Exi386InterlockedExchangeUlong(PULONG Target, ULONG Value) (x86)
pub fn Exi386InterlockedExchangeUlong(k: &mut Kx, target: Ptr, value: u32) -> KResult<u32> {
    exchange_long(k, target.0, value)
}

/// INTERLOCKED_RESULT Exfi386InterlockedIncrementLong(PLONG Addend) (fastcall, x86)
pub fn Exfi386InterlockedIncrementLong(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Exi386InterlockedIncrementLong(k, addend)
}

/// INTERLOCKED_RESULT Exfi386InterlockedDecrementLong(PLONG Addend) (fastcall, x86)
pub fn Exfi386InterlockedDecrementLong(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Exi386InterlockedDecrementLong(k, addend)
}

/// ULONG Exfi386InterlockedExchangeUlong(PULONG Target, ULONG Value) (fastcall, x86)
pub fn Exfi386InterlockedExchangeUlong(k: &mut Kx, target: Ptr, value: u32) -> KResult<u32> {
    exchange_long(k, target.0, value)
}

fn insert(k: &mut Kx, head: u64, entry: u64, tail: bool) -> KResult<u64> {
    let mem = k.mem_mut();
    let (link, back) =
        if tail { (LIST_ENTRY::Blink, LIST_ENTRY::Flink) } else { (LIST_ENTRY::Flink, LIST_ENTRY::Blink) };
    let neighbour = mem.get(head, link)?;
    mem.set(entry, link, neighbour)?;
    mem.set(entry, back, head)?;
    mem.set(neighbour, back, entry)?;
    mem.set(head, link, entry)?;
    Ok(if neighbour == head { 0 } else { neighbour })
}

/// PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
/// PKSPIN_LOCK Lock): the previous first entry, or NULL if the list was empty.
pub fn ExInterlockedInsertHeadList(k: &mut Kx, head: Ptr, entry: Ptr, lock: Ptr) -> KResult<Ptr> {
    locked(k, lock.0, |k| insert(k, head.0, entry.0, false).map(Ptr))
}

/// PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
/// PKSPIN_LOCK Lock): the previous last entry, or NULL if the list was empty.
pub fn ExInterlockedInsertTailList(k: &mut Kx, head: Ptr, entry: Ptr, lock: Ptr) -> KResult<Ptr> {
    locked(k, lock.0, |k| insert(k, head.0, entry.0, true).map(Ptr))
}

/// PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock): the
/// removed entry, or NULL if the list was empty.
pub fn ExInterlockedRemoveHeadList(k: &mut Kx, head: Ptr, lock: Ptr) -> KResult<Ptr> {
    locked(k, lock.0, |k| {
        let mem = k.mem_mut();
        let first = mem.get(head.0, LIST_ENTRY::Flink)?;
        if first == head.0 {
            return Ok(Ptr::NULL);
        }
        let next = mem.get(first, LIST_ENTRY::Flink)?;
        mem.set(head.0, LIST_ENTRY::Flink, next)?;
        mem.set(next, LIST_ENTRY::Blink, head.0)?;
        Ok(Ptr(first))
    })
}

/// PLIST_ENTRY ExfInterlockedInsertHeadList(...) (fastcall, x86)
pub fn ExfInterlockedInsertHeadList(k: &mut Kx, head: Ptr, entry: Ptr, lock: Ptr) -> KResult<Ptr> {
    ExInterlockedInsertHeadList(k, head, entry, lock)
}

/// PLIST_ENTRY ExfInterlockedInsertTailList(...) (fastcall, x86)
pub fn ExfInterlockedInsertTailList(k: &mut Kx, head: Ptr, entry: Ptr, lock: Ptr) -> KResult<Ptr> {
    ExInterlockedInsertTailList(k, head, entry, lock)
}

/// PLIST_ENTRY ExfInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock) (fastcall, x86)
pub fn ExfInterlockedRemoveHeadList(k: &mut Kx, head: Ptr, lock: Ptr) -> KResult<Ptr> {
    ExInterlockedRemoveHeadList(k, head, lock)
}

/// PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead,
/// PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock): the previous first entry.
pub fn ExInterlockedPushEntryList(k: &mut Kx, head: Ptr, entry: Ptr, lock: Ptr) -> KResult<Ptr> {
    locked(k, lock.0, |k| {
        let first = k.mem().read_ptr(head.0)?;
        k.mem_mut().write_ptr(entry.0, first)?;
        k.mem_mut().write_ptr(head.0, entry.0)?;
        Ok(Ptr(first))
    })
}

/// PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock)
pub fn ExInterlockedPopEntryList(k: &mut Kx, head: Ptr, lock: Ptr) -> KResult<Ptr> {
    locked(k, lock.0, |k| {
        let first = k.mem().read_ptr(head.0)?;
        if first != 0 {
            let next = k.mem().read_ptr(first)?;
            k.mem_mut().write_ptr(head.0, next)?;
        }
        Ok(Ptr(first))
    })
}

/// PSINGLE_LIST_ENTRY ExfInterlockedPushEntryList(...) (fastcall, x86)
pub fn ExfInterlockedPushEntryList(k: &mut Kx, head: Ptr, entry: Ptr, lock: Ptr) -> KResult<Ptr> {
    ExInterlockedPushEntryList(k, head, entry, lock)
}

/// PSINGLE_LIST_ENTRY ExfInterlockedPopEntryList(...) (fastcall, x86)
pub fn ExfInterlockedPopEntryList(k: &mut Kx, head: Ptr, lock: Ptr) -> KResult<Ptr> {
    ExInterlockedPopEntryList(k, head, lock)
}
