//! NDIS timer objects (NdisAllocateTimerObject, NdisSetTimerObject, NdisCancelTimerObject,
//! NdisFreeTimerObject) over the kernel's timers and DPCs: the object is a block of the
//! caller's holding a KTIMER and a KDPC whose routine is the NDIS_TIMER_FUNCTION (its
//! arguments are a DPC routine's: SystemSpecific1, FunctionContext, SystemSpecific2,
//! SystemSpecific3).
#![allow(non_snake_case)]

use super::st;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, KDPC, KTIMER, NDIS_TIMER_CHARACTERISTICS as TC};
use crate::types::{Boolean, NtStatus, Ptr};

const TYPE_TIMER_CHARACTERISTICS: u64 = 0x97;

fn dpc_of(k: &Kx, timer: u64) -> u64 {
    timer + KTIMER::STRUCT.size(k.arch())
}

/// NDIS_STATUS NdisAllocateTimerObject(NDIS_HANDLE NdisHandle, PNDIS_TIMER_CHARACTERISTICS
/// TimerCharacteristics, PNDIS_HANDLE pTimerObject)
pub fn NdisAllocateTimerObject(k: &mut Kx, _ndis_handle: Ptr, chars: Ptr, out: Ptr) -> KResult<NtStatus> {
    let mem = k.mem();
    if mem.get(chars.0, TC::HeaderType)? != TYPE_TIMER_CHARACTERISTICS
        || mem.get(chars.0, TC::HeaderRevision)? < 1
        || mem.get(chars.0, TC::HeaderSize)? < TC::STRUCT.size(k.arch())
    {
        return Ok(st::INVALID_PARAMETER);
    }
    let (tag, function, context) = (
        mem.get(chars.0, TC::AllocationTag)? as u32,
        mem.get(chars.0, TC::TimerFunction)?,
        mem.get(chars.0, TC::FunctionContext)?,
    );
    if function == 0 {
        return Ok(st::INVALID_PARAMETER);
    }
    let size = KTIMER::STRUCT.size(k.arch()) + KDPC::STRUCT.size(k.arch());
    let Some(timer) = crate::ex::pool::allocate_for_caller(k, crate::ex::pool::NON_PAGED_POOL_NX, size, tag)? else {
        return Ok(st::RESOURCES);
    };
    crate::ex::pool::zero(k, timer, size)?;
    // A notification timer.
    crate::ke::timer::KeInitializeTimerEx(k, Ptr(timer), 0)?;
    let dpc = dpc_of(k, timer);
    crate::ke::dpc::KeInitializeDpc(k, Ptr(dpc), Ptr(function), Ptr(context))?;
    k.ext_mut().ndis.timers.insert(timer);
    k.mem_mut().write_ptr(out.0, timer)?;
    Ok(st::SUCCESS)
}

/// BOOLEAN NdisSetTimerObject(NDIS_HANDLE TimerObject, LARGE_INTEGER DueTime, LONG
/// MillisecondsPeriod, PVOID FunctionContext): (re)arms the timer (a non-NULL context
/// replaces the one the function gets); TRUE if it was already set.
pub fn NdisSetTimerObject(k: &mut Kx, timer: Ptr, due: u64, period: i32, context: Ptr) -> KResult<Boolean> {
    let dpc = dpc_of(k, timer.0);
    if !context.is_null() {
        k.mem_mut().set(dpc, KDPC::DeferredContext, context.0)?;
    }
    crate::ke::timer::KeSetTimerEx(k, timer, due, period, Ptr(dpc))
}

/// BOOLEAN NdisCancelTimerObject(NDIS_HANDLE TimerObject): TRUE if it was set.
pub fn NdisCancelTimerObject(k: &mut Kx, timer: Ptr) -> KResult<Boolean> {
    crate::ke::timer::KeCancelTimer(k, timer)
}

/// VOID NdisFreeTimerObject(NDIS_HANDLE TimerObject): cancels it and frees it.
pub fn NdisFreeTimerObject(k: &mut Kx, timer: Ptr) -> KResult<()> {
    let at = crate::kernel::caller(k);
    if k.ext_mut().ndis.timers.remove(&timer.0) {
        crate::ke::timer::KeCancelTimer(k, timer)?;
    }
    crate::ex::pool::free(k, timer.0, None, at)
}
