//! The PnP start and remove sequences of a framework function device (`wdfdevice.h`, "PnP
//! and power event callbacks"): IRP_MN_START_DEVICE goes down the stack first; once the
//! device below has started, the framework calls EvtDevicePrepareHardware,
//! EvtDeviceD0Entry (from WdfPowerDeviceD3Final), connects the device's interrupts
//! (`interrupt.rs`), EvtDeviceD0EntryPostInterruptsEnabled and EvtDeviceSelfManagedIoInit,
//! and a failure fails the start. IRP_MN_REMOVE_DEVICE of a
//! started device calls EvtDeviceSelfManagedIoSuspend, EvtDeviceD0ExitPreInterruptsDisabled,
//! disconnects the interrupts, EvtDeviceD0Exit (to WdfPowerDeviceD3Final), EvtDeviceReleaseHardware and
//! EvtDeviceSelfManagedIoCleanup, passes the IRP down and deletes the WDFDEVICE.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::object::{self, ObjectKind};
use crate::io::irp;
use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION, IRP};
use crate::types::{status, NtStatus, Ptr};

/// WDF_POWER_DEVICE_STATE WdfPowerDeviceD3Final: where a device starts from and goes to.
pub const D3_FINAL: u64 = 5;

fn call(k: &mut Kx, routine: u64, args: &[u64]) -> KResult<NtStatus> {
    if routine == 0 {
        return Ok(status::SUCCESS);
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    Ok(NtStatus(crate::ke::scheduler::call(k, routine, args, conv).map_err(KError::Stop)? as u32))
}

/// A WDFCMRESLIST for the CM_RESOURCE_LIST at `list`, a child of the device.
fn resource_list(k: &mut Kx, device_h: u64, list: u64) -> KResult<u64> {
    let b = object::expect(k, "FxStartDevice", device_h, ObjectKind::Device)?.binding;
    super::resources::create(k, b, device_h, list)
}

/// IRP_MN_START_DEVICE at a framework FDO: down the stack with [`FxStartCompletion`], which
/// runs the driver's start callbacks once the device below has started.
pub(crate) fn start_device(k: &mut Kx, device_h: u64, lower: u64, irp_addr: u64) -> KResult<NtStatus> {
    let loc = k.mem().get(irp_addr, IRP::CurrentStackLocation)?;
    let next = irp::next_location(k, irp_addr)?;
    // IoCopyCurrentIrpStackLocationToNext: everything up to the completion routine.
    let mut bytes = vec![0; IO_STACK_LOCATION::CompletionRoutine.offset(k.arch()) as usize];
    k.mem().read(loc, &mut bytes)?;
    k.mem_mut().write(next, &bytes)?;
    k.mem_mut().set(next, IO_STACK_LOCATION::Control, 0)?;
    let routine = super::table::routine(k, "FxStartCompletion");
    k.mem_mut().set(next, IO_STACK_LOCATION::CompletionRoutine, routine)?;
    k.mem_mut().set(next, IO_STACK_LOCATION::Context, device_h)?;
    let invoke = irp::SL_INVOKE_ON_SUCCESS | irp::SL_INVOKE_ON_ERROR | irp::SL_INVOKE_ON_CANCEL;
    k.mem_mut().set(next, IO_STACK_LOCATION::Control, invoke)?;
    k.ext_mut().wdf.starting.insert(irp_addr, None);
    let returned = irp::call_driver(k, lower, irp_addr)?;
    match k.ext_mut().wdf.starting.remove(&irp_addr).flatten() {
        Some(st) => Ok(st),
        None => {
            // Still below: the completion routine finishes the start later.
            let c = k.mem().get(loc, IO_STACK_LOCATION::Control)?;
            k.mem_mut().set(loc, IO_STACK_LOCATION::Control, c | irp::SL_PENDING_RETURNED)?;
            Ok(if returned == status::PENDING { returned } else { status::PENDING })
        }
    }
}

/// NTSTATUS FxStartCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context): the
/// start IRP came back up; `Context` is the WDFDEVICE. Runs the start callbacks, completes
/// the IRP with their outcome and keeps it from the walk that called it.
pub fn FxStartCompletion(k: &mut Kx, _device_object: Ptr, irp_addr: Ptr, context: Ptr) -> KResult<NtStatus> {
    let (below, information) = irp::status_of(k, irp_addr.0)?;
    let st = if below.is_success() && k.ext().wdf.devices.contains_key(&context.0) {
        run_start(k, context.0, irp_addr.0)?
    } else {
        below
    };
    irp::set_status(k, irp_addr.0, st, information)?;
    if let Some(slot) = k.ext_mut().wdf.starting.get_mut(&irp_addr.0) {
        *slot = Some(st);
    }
    irp::complete(k, irp_addr, 0)?;
    Ok(status::MORE_PROCESSING_REQUIRED)
}

/// The driver's start callbacks, in the framework's order; a failure undoes what ran.
pub(crate) fn run_start(k: &mut Kx, device_h: u64, irp_addr: u64) -> KResult<NtStatus> {
    let Some(dev) = k.ext().wdf.devices.get(&device_h).cloned() else { return Ok(status::NO_SUCH_DEVICE) };
    let loc = k.mem().get(irp_addr, IRP::CurrentStackLocation)?;
    let raw = k.mem().get(loc, IO_STACK_LOCATION::Argument1)?;
    let translated = k.mem().get(loc, IO_STACK_LOCATION::Argument2)?;
    let raw_h = resource_list(k, device_h, raw)?;
    let translated_h = resource_list(k, device_h, translated)?;
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h) {
        d.resources = Some((raw_h, translated_h));
    }
    let p = dev.pnp;
    super::interrupt::assign(k, device_h, translated_h)?;
    let st = call(k, p.prepare_hardware, &[device_h, raw_h, translated_h])?;
    if !st.is_success() {
        return Ok(st);
    }
    let st = call(k, p.d0_entry, &[device_h, D3_FINAL])?;
    if !st.is_success() {
        call(k, p.release_hardware, &[device_h, translated_h])?;
        return Ok(st);
    }
    let st = super::interrupt::connect_all(k, device_h)?;
    if !st.is_success() {
        super::interrupt::disconnect_all(k, device_h)?;
        call(k, p.d0_exit, &[device_h, D3_FINAL])?;
        call(k, p.release_hardware, &[device_h, translated_h])?;
        return Ok(st);
    }
    let st = call(k, p.d0_entry_post_interrupts, &[device_h, D3_FINAL])?;
    if !st.is_success() {
        super::interrupt::disconnect_all(k, device_h)?;
        call(k, p.d0_exit, &[device_h, D3_FINAL])?;
        call(k, p.release_hardware, &[device_h, translated_h])?;
        return Ok(st);
    }
    let st = call(k, p.self_managed_io_init, &[device_h])?;
    if !st.is_success() {
        return Ok(st);
    }
    // In D0: a bus driver's lists are scanned (EvtChildListScanForChildren).
    super::child_list::scan_at_d0(k, &dev)?;
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h) {
        d.started = true;
    }
    super::device::set_interfaces(k, device_h, true)?;
    Ok(status::SUCCESS)
}

/// IRP_MN_REMOVE_DEVICE: a started device leaves D0 and releases its hardware; the IRP goes
/// down and the WDFDEVICE (with its device object) is deleted.
pub(crate) fn remove_device(k: &mut Kx, device_h: u64, irp_addr: u64) -> KResult<NtStatus> {
    let Some(dev) = k.ext().wdf.devices.get(&device_h).cloned() else { return Ok(status::NO_SUCH_DEVICE) };
    stop_started(k, device_h)?;
    let st = super::queue::pass_down(k, dev.lower, irp_addr)?;
    object::delete(k, device_h)?;
    Ok(st)
}

/// A started device leaves D0 and releases its hardware (the removal's callbacks).
pub(crate) fn stop_started(k: &mut Kx, device_h: u64) -> KResult<()> {
    let Some(dev) = k.ext().wdf.devices.get(&device_h).cloned() else { return Ok(()) };
    if !dev.started {
        return Ok(());
    }
    super::device::set_interfaces(k, device_h, false)?;
    let p = dev.pnp;
    let translated = dev.resources.map_or(0, |r| r.1);
    call(k, p.self_managed_io_suspend, &[device_h])?;
    call(k, p.d0_exit_pre_interrupts, &[device_h, D3_FINAL])?;
    super::interrupt::disconnect_all(k, device_h)?;
    call(k, p.d0_exit, &[device_h, D3_FINAL])?;
    call(k, p.release_hardware, &[device_h, translated])?;
    call(k, p.self_managed_io_cleanup, &[device_h])?;
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h) {
        d.started = false;
    }
    Ok(())
}
