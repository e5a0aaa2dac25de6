//! Device timers: `IoInitializeTimer`, `IoStartTimer`, `IoStopTimer`. A device's IO_TIMER
//! calls the driver's IoTimerRoutine(DeviceObject, Context) once a second of virtual time, at
//! DISPATCH_LEVEL, while it is started. Windows drives every IO_TIMER from one kernel timer;
//! here each has a KTIMER and a KDPC of its own (behind the IO_TIMER, in the same block)
//! whose routine is the kernel's internal `IopTimerDispatch`, so the ticks come from the
//! scheduler's timers and DPCs like any other.
//!
//! The IO_TIMER is laid out as Windows' (Type, TimerFlag, TimerList, TimerRoutine, Context,
//! DeviceObject); DEVICE_OBJECT.Timer points at it. Starting or stopping a device without
//! one reads through a NULL Timer, as on Windows. Deleting the device stops its timer.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, KDPC, KTIMER};
use crate::types::{status, NtStatus, Ptr};

/// IO_TYPE_TIMER.
const IO_TYPE_TIMER: u16 = 9;
/// One second, in the 100 ns units of a relative due time (negative) and in milliseconds.
const ONE_SECOND_DUE: i64 = -10_000_000;
const ONE_SECOND_MS: i32 = 1000;

/// IO_TIMER field offsets: (TimerFlag, TimerRoutine, Context, DeviceObject, size).
fn layout(arch: Arch) -> (u64, u64, u64, u64, u64) {
    match arch {
        Arch::X86 => (0x2, 0xc, 0x10, 0x14, 0x18),
        Arch::X64 => (0x2, 0x18, 0x20, 0x28, 0x30),
    }
}

/// (KTIMER, KDPC) behind an IO_TIMER.
fn parts(arch: Arch, io_timer: u64) -> (u64, u64) {
    let ktimer = io_timer + layout(arch).4;
    (ktimer, ktimer + KTIMER::STRUCT.size(arch))
}

/// NTSTATUS IoInitializeTimer(PDEVICE_OBJECT DeviceObject, PIO_TIMER_ROUTINE TimerRoutine,
/// PVOID Context): the device's timer, stopped; a device that has one gets its routine and
/// context replaced.
pub fn IoInitializeTimer(k: &mut Kx, device: Ptr, routine: Ptr, context: Ptr) -> KResult<NtStatus> {
    let arch = k.arch();
    let (_, routine_at, context_at, device_at, size) = layout(arch);
    let mut timer = k.mem().get(device.0, DEVICE_OBJECT::Timer)?;
    if timer == 0 {
        let total = size + KTIMER::STRUCT.size(arch) + KDPC::STRUCT.size(arch);
        timer = crate::ex::pool::kernel_alloc(k, total, b"IoTm")?;
        k.mem_mut().write_u16(timer, IO_TYPE_TIMER)?;
        crate::layout::list::init(k.mem_mut(), timer + arch.ptr_size())?;
        let (ktimer, dpc) = parts(arch, timer);
        crate::ke::timer::KeInitializeTimer(k, Ptr(ktimer))?;
        let dispatch = crate::exports::internal::address(k, "IopTimerDispatch").expect("an internal routine");
        crate::ke::dpc::KeInitializeDpc(k, Ptr(dpc), Ptr(dispatch), Ptr(timer))?;
        k.mem_mut().set(device.0, DEVICE_OBJECT::Timer, timer)?;
    }
    let mem = k.mem_mut();
    mem.write_ptr(timer + routine_at, routine.0)?;
    mem.write_ptr(timer + context_at, context.0)?;
    mem.write_ptr(timer + device_at, device.0)?;
    Ok(status::SUCCESS)
}

/// VOID IoStartTimer(PDEVICE_OBJECT DeviceObject): the routine runs every second from now.
pub fn IoStartTimer(k: &mut Kx, device: Ptr) -> KResult<()> {
    let arch = k.arch();
    let timer = k.mem().get(device.0, DEVICE_OBJECT::Timer)?;
    let flag = timer + layout(arch).0;
    if k.mem().read_u16(flag)? != 0 {
        return Ok(());
    }
    k.mem_mut().write_u16(flag, 1)?;
    let (ktimer, dpc) = parts(arch, timer);
    crate::ke::timer::KeSetTimerEx(k, Ptr(ktimer), ONE_SECOND_DUE as u64, ONE_SECOND_MS, Ptr(dpc))?;
    Ok(())
}

/// VOID IoStopTimer(PDEVICE_OBJECT DeviceObject): no more calls until started again.
pub fn IoStopTimer(k: &mut Kx, device: Ptr) -> KResult<()> {
    let timer = k.mem().get(device.0, DEVICE_OBJECT::Timer)?;
    stop(k, timer)
}

fn stop(k: &mut Kx, timer: u64) -> KResult<()> {
    let arch = k.arch();
    let flag = timer + layout(arch).0;
    if k.mem().read_u16(flag)? == 0 {
        return Ok(());
    }
    k.mem_mut().write_u16(flag, 0)?;
    crate::ke::timer::KeCancelTimer(k, Ptr(parts(arch, timer).0))?;
    Ok(())
}

/// A device is being deleted: its timer stops for good.
pub(crate) fn device_deleted(k: &mut Kx, device: u64) -> KResult<()> {
    let timer = k.mem().get(device, DEVICE_OBJECT::Timer)?;
    if timer != 0 {
        stop(k, timer)?;
    }
    Ok(())
}

/// The kernel's DPC routine behind every IO_TIMER: calls the timer's routine with its device
/// and context while the timer is started.
pub fn IopTimerDispatch(k: &mut Kx, _dpc: Ptr, io_timer: Ptr, _arg1: Ptr, _arg2: Ptr) -> KResult<()> {
    let arch = k.arch();
    let (flag, routine_at, context_at, device_at, _) = layout(arch);
    let m = k.mem();
    if m.read_u16(io_timer.0 + flag)? == 0 {
        return Ok(());
    }
    let (routine, context, device) = (
        m.read_ptr(io_timer.0 + routine_at)?,
        m.read_ptr(io_timer.0 + context_at)?,
        m.read_ptr(io_timer.0 + device_at)?,
    );
    k.call(routine, &[device, context], CallConv::Stdcall.for_arch(arch))?;
    Ok(())
}
