//! The I/O manager's device timers (IoInitializeTimer, IoStartTimer, IoStopTimer): while a
//! device's timer is started, its IoTimer routine is called once a second at DISPATCH_LEVEL
//! with the device object and its context.
//!
//! DEVICE_OBJECT.Timer points at the device's IO_TIMER, a block of nonpaged pool the first
//! IoInitializeTimer allocates and IoDeleteDevice frees. Windows drives every IO_TIMER from
//! one system-wide one-second tick; here each block also holds a periodic KTIMER and its KDPC
//! (the internal routine `IopTimerDpc`), so the calls come from the same timer expiry and DPC
//! delivery as any driver's timer, on the virtual clock.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_TIMER, KDPC, KTIMER};
use crate::ob::Owner;
use crate::types::{status, NtStatus, Ptr};

/// The IoTimer routine's period: one second, in ms and as a relative due time (100 ns).
const PERIOD_MS: i32 = 1000;
const ONE_SECOND: u64 = (-10_000_000i64) as u64;

/// Where the KDPC and the KTIMER sit in the block, after the IO_TIMER.
fn dpc_of(k: &Kx, timer: u64) -> u64 {
    timer + IO_TIMER::STRUCT.size(k.arch())
}

fn ktimer_of(k: &Kx, timer: u64) -> u64 {
    dpc_of(k, timer) + KDPC::STRUCT.size(k.arch())
}

/// NTSTATUS IoInitializeTimer(PDEVICE_OBJECT DeviceObject, PIO_TIMER_ROUTINE TimerRoutine,
/// PVOID Context): sets the routine the device's timer calls (allocating the timer the first
/// time); the timer stays stopped until IoStartTimer.
pub fn IoInitializeTimer(k: &mut Kx, device: Ptr, routine: Ptr, context: Ptr) -> KResult<NtStatus> {
    let mut timer = k.mem().get(device.0, DEVICE_OBJECT::Timer)?;
    if timer == 0 {
        let arch = k.arch();
        let size = IO_TIMER::STRUCT.size(arch) + KDPC::STRUCT.size(arch) + KTIMER::STRUCT.size(arch);
        let tag = u32::from_le_bytes(*b"IoTi");
        let Some(block) = pool::allocate(k, pool::NON_PAGED_POOL, size, tag, Owner::Kernel, 0)? else {
            return Ok(status::INSUFFICIENT_RESOURCES);
        };
        k.mem_mut().write(block, &vec![0; size as usize])?;
        k.mem_mut().set(block, IO_TIMER::Type, crate::io::io_type::TIMER)?;
        k.mem_mut().set(block, IO_TIMER::DeviceObject, device.0)?;
        let dpc_routine = crate::io::internal_routine(k, "IopTimerDpc");
        let (dpc, ktimer) = (dpc_of(k, block), ktimer_of(k, block));
        crate::ke::dpc::KeInitializeDpc(k, Ptr(dpc), Ptr(dpc_routine), Ptr(block))?;
        crate::ke::timer::KeInitializeTimerEx(k, Ptr(ktimer), 0)?;
        k.mem_mut().set(device.0, DEVICE_OBJECT::Timer, block)?;
        timer = block;
    }
    k.mem_mut().set(timer, IO_TIMER::TimerRoutine, routine.0)?;
    k.mem_mut().set(timer, IO_TIMER::Context, context.0)?;
    Ok(status::SUCCESS)
}

/// VOID IoStartTimer(PDEVICE_OBJECT DeviceObject): the IoTimer routine is called once a
/// second from now on. A device without a timer faults as on Windows (DeviceObject->Timer
/// is used unchecked).
pub fn IoStartTimer(k: &mut Kx, device: Ptr) -> KResult<()> {
    let timer = k.mem().get(device.0, DEVICE_OBJECT::Timer)?;
    if k.mem().get(timer, IO_TIMER::TimerEnabled)? != 0 {
        return Ok(());
    }
    k.mem_mut().set(timer, IO_TIMER::TimerEnabled, 1)?;
    let (dpc, ktimer) = (dpc_of(k, timer), ktimer_of(k, timer));
    crate::ke::timer::KeSetTimerEx(k, Ptr(ktimer), ONE_SECOND, PERIOD_MS, Ptr(dpc))?;
    Ok(())
}

/// VOID IoStopTimer(PDEVICE_OBJECT DeviceObject): no more calls until IoStartTimer (a call
/// already delivered to the processor still runs).
pub fn IoStopTimer(k: &mut Kx, device: Ptr) -> KResult<()> {
    let timer = k.mem().get(device.0, DEVICE_OBJECT::Timer)?;
    if k.mem().get(timer, IO_TIMER::TimerEnabled)? == 0 {
        return Ok(());
    }
    k.mem_mut().set(timer, IO_TIMER::TimerEnabled, 0)?;
    let ktimer = ktimer_of(k, timer);
    crate::ke::timer::KeCancelTimer(k, Ptr(ktimer))?;
    Ok(())
}

/// The DPC routine of every device timer (internal): calls the device's IoTimer routine,
/// unless the timer was stopped after the DPC was queued.
pub fn IopTimerDpc(k: &mut Kx, _dpc: Ptr, timer: Ptr, _arg1: Ptr, _arg2: Ptr) -> KResult<()> {
    if k.mem().get(timer.0, IO_TIMER::TimerEnabled)? == 0 {
        return Ok(());
    }
    let routine = k.mem().get(timer.0, IO_TIMER::TimerRoutine)?;
    let context = k.mem().get(timer.0, IO_TIMER::Context)?;
    let device = k.mem().get(timer.0, IO_TIMER::DeviceObject)?;
    if routine != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, routine, &[device, context], conv)?;
    }
    Ok(())
}

/// IoDeleteDevice: the device's timer stops and its block is freed.
pub(crate) fn device_deleted(k: &mut Kx, device: u64) -> KResult<()> {
    let timer = k.mem().get(device, DEVICE_OBJECT::Timer)?;
    if timer == 0 {
        return Ok(());
    }
    let ktimer = ktimer_of(k, timer);
    crate::ke::timer::KeCancelTimer(k, Ptr(ktimer))?;
    k.mem_mut().set(device, DEVICE_OBJECT::Timer, 0)?;
    pool::free(k, timer, None, 0)
}
