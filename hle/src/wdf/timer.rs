//! WDFTIMER (`wdftimer.h`): a kernel timer (`ke::timer`, on the virtual clock) with a DPC the
//! framework owns, whose routine [`FxTimerThunk`] calls the driver's EvtTimerFunc with the
//! WDFTIMER. A timer belongs to a device or an object under one. WdfTimerStart arms it
//! (KeSetTimerEx with the configured period), WdfTimerStop cancels it and, with Wait, waits
//! for a callback that may be running (KeFlushQueuedDpcs). Deleting the timer (or its parent)
//! stops it and waits so, as the framework's rundown does.
//!
//! A timer whose callbacks must run at PASSIVE_LEVEL (WdfExecutionLevelPassive) is run from
//! a work item by the framework; that form is not built here: creating one ends the run
//! naming it, rather than calling back at the wrong level.
#![allow(non_snake_case)]

use portcullis_emu::Stop;

use super::layout::WDF_TIMER_CONFIG;
use super::object::{self, ObjectKind};
use super::violation;
use crate::kernel::{KError, KResult, KernelStop, Kx};
use crate::layout::{FieldAccess, KDPC, KTIMER};
use crate::types::{status, Boolean, NtStatus, Ptr};

/// A WDFTIMER: its KTIMER and KDPC, the driver's callback, its period (ms), its parent.
#[derive(Clone, Copy, Debug)]
pub struct Timer {
    pub ktimer: u64,
    pub kdpc: u64,
    pub callback: u64,
    pub period: u32,
    pub parent: u64,
}

/// The sizes WDF_TIMER_CONFIG had: KMDF 1.0 .. 1.7, 1.9 (TolerableDelay), 1.13
/// (UseHighResolutionTimer).
fn known_size(arch: portcullis_emu::Arch, size: u64) -> bool {
    match arch {
        portcullis_emu::Arch::X86 => matches!(size, 0x10 | 0x14 | 0x18),
        portcullis_emu::Arch::X64 => matches!(size, 0x18 | 0x20),
    }
}

/// NTSTATUS WdfTimerCreate(PWDF_TIMER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes,
/// WDFTIMER *Timer): a negative period is STATUS_INVALID_PARAMETER.
pub fn WdfTimerCreate(k: &mut Kx, globals: Ptr, config: Ptr, attributes: Ptr, out: Ptr) -> KResult<NtStatus> {
    let b = super::driver::binding(k, "WdfTimerCreate", globals.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfTimerCreate", "Config"));
    }
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfTimerCreate", "Timer"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let m = k.mem();
    let size = m.get(config.0, WDF_TIMER_CONFIG::Size)?;
    if !known_size(k.arch(), size) {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let callback = m.get(config.0, WDF_TIMER_CONFIG::EvtTimerFunc)?;
    let period = m.get(config.0, WDF_TIMER_CONFIG::Period)? as u32;
    if (period as i32) < 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let a = object::read_attributes(k, attributes.0)?;
    let parent = match super::dpc::device_parent(k, "WdfTimerCreate", &a, attributes.0 != 0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    let inherited = k.ext().wdf.objects.get(&parent).is_some_and(|p| p.passive);
    let passive = match a.execution_level {
        object::EXECUTION_LEVEL_PASSIVE => true,
        object::EXECUTION_LEVEL_DISPATCH => false,
        _ => inherited,
    };
    if passive {
        let caller = crate::kernel::caller(k);
        return Err(KError::Stop(Stop::Host(KernelStop::Unimplemented {
            routine: "wdf!WdfTimerCreate (a timer at WdfExecutionLevelPassive)".into(),
            caller,
        })));
    }
    let h = object::create(k, b, ObjectKind::Timer, &a, Some(parent))?;
    let arch = k.arch();
    let ktimer = crate::ex::pool::kernel_alloc(k, KTIMER::STRUCT.size(arch), b"FxTm")?;
    let kdpc = crate::ex::pool::kernel_alloc(k, KDPC::STRUCT.size(arch), b"FxTm")?;
    crate::ke::timer::KeInitializeTimerEx(k, Ptr(ktimer), 0)?;
    let thunk = super::table::routine(k, "FxTimerThunk");
    crate::ke::dpc::KeInitializeDpc(k, Ptr(kdpc), Ptr(thunk), Ptr(h))?;
    k.ext_mut().wdf.timers.insert(h, Timer { ktimer, kdpc, callback, period, parent });
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

fn timer(k: &mut Kx, function: &str, handle: u64) -> KResult<Timer> {
    object::expect(k, function, handle, ObjectKind::Timer)?;
    match k.ext().wdf.timers.get(&handle) {
        Some(t) => Ok(*t),
        None => Err(violation::invalid_handle(k, function, handle, ObjectKind::Timer, "no timer")),
    }
}

/// BOOLEAN WdfTimerStart(WDFTIMER Timer, LONGLONG DueTime): arms the timer (negative: relative
/// 100 ns units, positive: absolute system time; WDF_REL_TIMEOUT_IN_MS makes the former);
/// TRUE if it was armed already.
pub fn WdfTimerStart(k: &mut Kx, _globals: Ptr, handle: Ptr, due_time: u64) -> KResult<Boolean> {
    let t = timer(k, "WdfTimerStart", handle.0)?;
    crate::ke::timer::KeSetTimerEx(k, Ptr(t.ktimer), due_time, t.period as i32, Ptr(t.kdpc))
}

/// BOOLEAN WdfTimerStop(WDFTIMER Timer, BOOLEAN Wait): TRUE if the timer was armed. With
/// Wait (PASSIVE_LEVEL only) a callback queued or running finishes first.
pub fn WdfTimerStop(k: &mut Kx, _globals: Ptr, handle: Ptr, wait: Boolean) -> KResult<Boolean> {
    let t = timer(k, "WdfTimerStop", handle.0)?;
    let armed = crate::ke::timer::KeCancelTimer(k, Ptr(t.ktimer))?;
    if wait.0 {
        crate::ke::dpc::KeFlushQueuedDpcs(k)?;
    }
    Ok(armed)
}

/// WDFOBJECT WdfTimerGetParentObject(WDFTIMER Timer)
pub fn WdfTimerGetParentObject(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(timer(k, "WdfTimerGetParentObject", handle.0)?.parent))
}

/// VOID FxTimerThunk(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID
/// SystemArgument2): the timer's DPC routine; the context is the WDFTIMER.
pub fn FxTimerThunk(k: &mut Kx, _kdpc: Ptr, context: Ptr, _arg1: Ptr, _arg2: Ptr) -> KResult<()> {
    let Some(t) = k.ext().wdf.timers.get(&context.0).copied() else { return Ok(()) };
    super::dpc::call_back(k, t.callback, context.0)
}

/// The object is deleted: the timer is cancelled and its DPC run down, then its memory goes.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(t) = k.ext().wdf.timers.get(&handle).copied() else { return Ok(()) };
    crate::ke::timer::KeCancelTimer(k, Ptr(t.ktimer))?;
    super::dpc::run_down(k, t.kdpc)?;
    k.ext_mut().wdf.timers.remove(&handle);
    crate::ex::pool::free(k, t.ktimer, None, 0)?;
    crate::ex::pool::free(k, t.kdpc, None, 0)
}
