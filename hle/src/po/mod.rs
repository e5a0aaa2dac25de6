//! The power manager: `PoCallDriver`, `PoStartNextPowerIrp`, `PoSetPowerState`,
//! `PoRequestPowerIrp`, `PoRegisterSystemState`, `PoUnregisterSystemState`,
//! `PoSetSystemState`. Power IRPs go down device stacks like any other (Windows Vista and
//! later no longer serialize them, so PoStartNextPowerIrp has nothing to do).
#![allow(non_snake_case)]

pub mod information;

use std::collections::BTreeMap;

use portcullis_emu::CallConv;

use crate::io::{irp, irps, major};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_STACK_LOCATION, IRP};
use crate::ob::Owner;
use crate::types::{status, NtStatus, Ptr};

/// A power IRP PoRequestPowerIrp made: whom to tell when it completes.
#[derive(Clone, Debug)]
pub(crate) struct PowerRequest {
    device: u64,
    minor: u8,
    state: u32,
    callback: u64,
    context: u64,
}

#[derive(Debug, Default)]
pub struct Power {
    /// Each device's (system, device) power state, as PoSetPowerState last set it.
    pub(crate) states: BTreeMap<u64, (u32, u32)>,
    pub(crate) requests: BTreeMap<u64, PowerRequest>,
    /// PoRegisterSystemState handles and who holds them.
    pub(crate) system_states: BTreeMap<u64, (u32, Owner)>,
    pub(crate) next: u64,
}

/// NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
pub fn PoCallDriver(k: &mut Kx, device: Ptr, irp_addr: Ptr) -> KResult<NtStatus> {
    irp::call_driver(k, device.0, irp_addr.0)
}

/// VOID PoStartNextPowerIrp(PIRP Irp)
pub fn PoStartNextPowerIrp(_k: &mut Kx, _irp: Ptr) -> KResult<()> {
    Ok(())
}

/// POWER_STATE PoSetPowerState(PDEVICE_OBJECT DeviceObject, POWER_STATE_TYPE Type,
/// POWER_STATE State): the previous state of that type (a device starts in D0, the system
/// in S0).
pub fn PoSetPowerState(k: &mut Kx, device: Ptr, ty: u32, state: u32) -> KResult<u32> {
    let e = k.ext_mut().power.states.entry(device.0).or_insert((1, 1));
    let old = if ty == 0 { std::mem::replace(&mut e.0, state) } else { std::mem::replace(&mut e.1, state) };
    Ok(old)
}

/// The device power state PoSetPowerState last set for `device` (D0 = 1 ... D3 = 4).
pub fn device_state(k: &Kx, device: u64) -> u32 {
    k.ext().power.states.get(&device).map(|s| s.1).unwrap_or(1)
}

const IRP_MN_WAIT_WAKE: u8 = 0x00;
const IRP_MN_SET_POWER: u8 = 0x02;
const IRP_MN_QUERY_POWER: u8 = 0x03;

/// NTSTATUS PoRequestPowerIrp(PDEVICE_OBJECT DeviceObject, UCHAR MinorFunction,
/// POWER_STATE PowerState, PREQUEST_POWER_COMPLETE CompletionFunction, PVOID Context,
/// PIRP *Irp): a device power IRP to the top of DeviceObject's stack; when it completes
/// the completion function runs with the IRP's IO_STATUS_BLOCK, and the IRP is freed.
pub fn PoRequestPowerIrp(
    k: &mut Kx,
    device: Ptr,
    minor_code: u8,
    state: u32,
    callback: Ptr,
    context: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    if !matches!(minor_code, IRP_MN_WAIT_WAKE | IRP_MN_SET_POWER | IRP_MN_QUERY_POWER) {
        return Ok(status::INVALID_PARAMETER_2);
    }
    let top = crate::io::stack::top(k, device.0)?;
    let stack = k.mem().get(top, DEVICE_OBJECT::StackSize)?;
    let irp_addr = irps::IoAllocateIrp(k, stack as u8, crate::types::Boolean(false))?.0;
    if irp_addr == 0 {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    if let Some(d) = k.ext_mut().io.driver_irps.get_mut(&irp_addr) {
        d.origin = irps::Origin::Built;
    }
    let loc = irp::next_location(k, irp_addr)?;
    let mem = k.mem_mut();
    mem.set(loc, IO_STACK_LOCATION::MajorFunction, major::POWER as u64)?;
    mem.set(loc, IO_STACK_LOCATION::MinorFunction, minor_code as u64)?;
    if minor_code == IRP_MN_WAIT_WAKE {
        mem.set(loc, IO_STACK_LOCATION::Argument1, state as u64)?; // PowerState (system)
    } else {
        mem.set(loc, IO_STACK_LOCATION::PowerType, 1)?; // DevicePowerState
        mem.set(loc, IO_STACK_LOCATION::PowerState, state as u64)?;
    }
    irp::set_status(k, irp_addr, status::NOT_SUPPORTED, 0)?;
    k.ext_mut().power.requests.insert(
        irp_addr,
        PowerRequest { device: device.0, minor: minor_code, state, callback: callback.0, context: context.0 },
    );
    if out.0 != 0 {
        k.mem_mut().write_ptr(out.0, irp_addr)?;
    }
    irp::call_driver(k, top, irp_addr)?;
    Ok(status::PENDING)
}

/// A power IRP PoRequestPowerIrp made completed: its completion function runs (before the
/// I/O manager frees it).
pub(crate) fn completed(k: &mut Kx, irp_addr: u64) -> KResult<()> {
    let Some(r) = k.ext_mut().power.requests.remove(&irp_addr) else { return Ok(()) };
    if r.callback == 0 {
        return Ok(());
    }
    let iosb = IRP::IoStatus.at(k.arch(), irp_addr);
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, r.callback, &[r.device, r.minor as u64, r.state as u64, r.context, iosb], conv)?;
    Ok(())
}

/// PVOID PoRegisterSystemState(PVOID StateHandle, EXECUTION_STATE Flags)
pub fn PoRegisterSystemState(k: &mut Kx, handle: Ptr, flags: u32) -> KResult<Ptr> {
    let at = caller(k);
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let p = &mut k.ext_mut().power;
    let h = if handle.0 != 0 && p.system_states.contains_key(&handle.0) {
        handle.0
    } else {
        p.next += 1;
        0x5057_0000 + p.next * 0x10
    };
    p.system_states.insert(h, (flags, owner));
    Ok(Ptr(h))
}

/// VOID PoUnregisterSystemState(PVOID StateHandle)
pub fn PoUnregisterSystemState(k: &mut Kx, handle: Ptr) -> KResult<()> {
    k.ext_mut().power.system_states.remove(&handle.0);
    Ok(())
}

/// VOID PoSetSystemState(EXECUTION_STATE Flags): a momentary request that the system stay
/// awake; nothing sleeps here.
pub fn PoSetSystemState(_k: &mut Kx, _flags: u32) -> KResult<()> {
    Ok(())
}

/// The system-state registrations `owner` still holds.
pub(crate) fn registrations(k: &Kx, owner: Owner) -> Vec<(&'static str, String)> {
    k.ext()
        .power
        .system_states
        .iter()
        .filter(|(_, (_, o))| *o == owner)
        .map(|(h, (f, _))| ("PoRegisterSystemState", format!("handle {h:#x}, flags {f:#x}")))
        .collect()
}
