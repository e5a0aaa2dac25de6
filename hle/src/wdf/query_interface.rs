//! Driver-defined interfaces (`wdfqueryinterface.h`, `wdffdo.h`): WdfDeviceAddQueryInterface
//! keeps a framework-owned copy of an INTERFACE under its GUID, and the framework answers
//! IRP_MN_QUERY_INTERFACE for that GUID at the device — whoever sends it (a child's driver,
//! a scenario) — as KMDF's FxPkgPnp does: the copy goes to the requester's buffer when it is
//! large and recent enough (an import interface is left for EvtDeviceProcessQueryInterface
//! to fill), the callback sees it, a pass-through interface goes on to the parent's stack,
//! otherwise the exposed interface's InterfaceReference is called once for the requester
//! (who calls InterfaceDereference when done). A PDO completes the IRP; an FDO sends it on
//! down its stack so filters below may see it. WdfFdoQueryForInterface sends the same IRP
//! to the top of a function device's own stack.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::device::{self, Device};
use super::violation;
use crate::ex::pool;
use crate::io::irp;
use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION, IRP};
use crate::types::{status, NtStatus, Ptr};

/// STATUS_INVALID_BUFFER_SIZE: the requester's interface is smaller or older than ours.
const INVALID_BUFFER_SIZE: NtStatus = NtStatus(0xC000_0206);
/// sizeof(INTERFACE): Size, Version, Context, InterfaceReference, InterfaceDereference.
fn interface_size(k: &Kx) -> u64 {
    4 + 4 * k.arch().ptr_size()
}
/// Offsets in INTERFACE of Context and InterfaceReference.
fn context_offset(k: &Kx) -> u64 {
    k.arch().ptr_size()
}
fn reference_offset(k: &Kx) -> u64 {
    2 * k.arch().ptr_size()
}

/// One interface a device offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryInterface {
    pub guid: [u8; 16],
    /// The framework's copy of the INTERFACE (pool), absent for a pass-through or import
    /// interface added without one.
    pub interface: Option<u64>,
    pub send_to_parent: bool,
    pub import: bool,
    /// EvtDeviceProcessQueryInterfaceRequest.
    pub process: u64,
}

/// WDF_QUERY_INTERFACE_CONFIG: Size, Interface, InterfaceType, SendQueryToParentStack,
/// EvtDeviceProcessQueryInterfaceRequest, ImportInterface, each field pointer-aligned.
fn config_size(k: &Kx) -> u32 {
    6 * k.arch().ptr_size() as u32
}

/// NTSTATUS WdfDeviceAddQueryInterface(WDFDEVICE Device, PWDF_QUERY_INTERFACE_CONFIG
/// InterfaceConfig): STATUS_INFO_LENGTH_MISMATCH for a config of another size,
/// STATUS_INVALID_PARAMETER for a pass-through interface of a device that is not a PDO, no
/// interface where one is needed, an import interface without its callback, or an
/// INTERFACE smaller than the header. A NULL InterfaceReference/Dereference is replaced by
/// the framework's no-op routine, as KMDF does.
pub fn WdfDeviceAddQueryInterface(k: &mut Kx, _globals: Ptr, device_h: Ptr, config: Ptr) -> KResult<NtStatus> {
    const F: &str = "WdfDeviceAddQueryInterface";
    let dev = device::device(k, F, device_h.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, F, "InterfaceConfig"));
    }
    let ps = k.arch().ptr_size();
    let m = k.mem();
    let size = m.read_u32(config.0)?;
    let interface = m.read_ptr(config.0 + ps)?;
    let guid_at = m.read_ptr(config.0 + 2 * ps)?;
    let send_to_parent = m.read_u8(config.0 + 3 * ps)? != 0;
    let process = m.read_ptr(config.0 + 4 * ps)?;
    let import = m.read_u8(config.0 + 5 * ps)? != 0;
    if guid_at == 0 {
        return Err(violation::null_parameter(k, F, "InterfaceConfig->InterfaceType"));
    }
    if size != config_size(k) {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    if send_to_parent && dev.child.is_none() {
        return Ok(status::INVALID_PARAMETER);
    }
    if interface == 0 && !send_to_parent && !import {
        return Ok(status::INVALID_PARAMETER);
    }
    if import && process == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let mut guid = [0u8; 16];
    k.mem().read(guid_at, &mut guid)?;
    let copy = if interface != 0 {
        let isize = k.mem().read_u16(interface)? as u64;
        if isize < interface_size(k) {
            return Ok(status::INVALID_PARAMETER);
        }
        let mut bytes = vec![0u8; isize as usize];
        k.mem().read(interface, &mut bytes)?;
        let at = pool::kernel_alloc(k, isize, b"FxQi")?;
        k.mem_mut().write(at, &bytes)?;
        let no_op = super::table::routine(k, "FxInterfaceNoOp");
        for off in [reference_offset(k), reference_offset(k) + ps] {
            if k.mem().read_ptr(at + off)? == 0 {
                k.mem_mut().write_ptr(at + off, no_op)?;
            }
        }
        Some(at)
    } else {
        None
    };
    let qi = QueryInterface { guid, interface: copy, send_to_parent, import, process };
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
        d.query_interfaces.push(qi);
    }
    Ok(status::SUCCESS)
}

/// VOID FxInterfaceNoOp(PVOID Context): the framework's InterfaceReference and
/// InterfaceDereference for an interface that named none.
pub fn FxInterfaceNoOp(_k: &mut Kx, _context: Ptr) -> KResult<()> {
    Ok(())
}

/// The framework's copies go with the device.
pub(crate) fn free_all(k: &mut Kx, dev: &Device) -> KResult<()> {
    for qi in &dev.query_interfaces {
        if let Some(at) = qi.interface {
            pool::free(k, at, None, 0)?;
        }
    }
    Ok(())
}

fn call(k: &mut Kx, routine: u64, args: &[u64]) -> KResult<u64> {
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, routine, args, conv).map_err(KError::Stop)
}

/// IRP_MN_QUERY_INTERFACE at a framework device: `None` when the device offers no interface
/// of the IRP's GUID (the IRP then takes the device's usual way: a PDO completes it with the
/// status it came with, an FDO passes it down). Otherwise the IRP is answered (completed,
/// or passed down by an FDO) and its status returned.
pub(crate) fn dispatch(k: &mut Kx, device_h: u64, dev: &Device, irp_addr: u64) -> KResult<Option<NtStatus>> {
    let loc = k.mem().get(irp_addr, IRP::CurrentStackLocation)?;
    let guid_at = k.mem().get(loc, IO_STACK_LOCATION::Argument1)?;
    if guid_at == 0 || dev.query_interfaces.is_empty() {
        return Ok(None);
    }
    let mut guid = [0u8; 16];
    k.mem().read(guid_at, &mut guid)?;
    let Some(qi) = dev.query_interfaces.iter().find(|q| q.guid == guid).cloned() else {
        return Ok(None);
    };
    // Parameters.QueryInterface: InterfaceType, Size and Version (USHORTs), Interface,
    // InterfaceSpecificData.
    let sv = k.mem().get(loc, IO_STACK_LOCATION::Argument2)?;
    let (want_size, want_version) = (sv & 0xffff, (sv >> 16) & 0xffff);
    let exposed = k.mem().get(loc, IO_STACK_LOCATION::Argument3)?;
    let data = k.mem().get(loc, IO_STACK_LOCATION::Argument4)?;
    let st = answer(k, device_h, &qi, guid_at, exposed, data, want_size, want_version)?;
    let is_pdo = dev.child.is_some();
    let st = match st {
        Answer::Final(st) => st,
        Answer::Parent => pass_to_parent(k, dev, irp_addr, guid_at, sv, exposed, data)?,
        Answer::Reference(st) => {
            if exposed != 0 {
                let reference = k.mem().read_ptr(exposed + reference_offset(k))?;
                if reference != 0 {
                    let context = k.mem().read_ptr(exposed + context_offset(k))?;
                    call(k, reference, &[context])?;
                }
            }
            if !is_pdo && dev.lower != 0 {
                // Filters below see the formatted interface; their answer is the IRP's.
                let (_, info) = irp::status_of(k, irp_addr)?;
                irp::set_status(k, irp_addr, st, info)?;
                return Ok(Some(super::queue::pass_down(k, dev.lower, irp_addr)?));
            }
            st
        }
    };
    let (_, info) = irp::status_of(k, irp_addr)?;
    irp::set_status(k, irp_addr, st, info)?;
    irp::complete(k, Ptr(irp_addr), 0)?;
    Ok(Some(st))
}

enum Answer {
    /// Complete with this status.
    Final(NtStatus),
    /// Reference the exposed interface, then complete (or pass down) with this status.
    Reference(NtStatus),
    /// A pass-through interface: the parent's stack answers.
    Parent,
}

#[allow(clippy::too_many_arguments)]
fn answer(
    k: &mut Kx,
    device_h: u64,
    qi: &QueryInterface,
    guid_at: u64,
    exposed: u64,
    data: u64,
    want_size: u64,
    want_version: u64,
) -> KResult<Answer> {
    if let Some(copy) = qi.interface {
        let size = k.mem().read_u16(copy)? as u64;
        let version = k.mem().read_u16(copy + 2)? as u64;
        if size > want_size || version > want_version || exposed == 0 {
            return Ok(Answer::Final(INVALID_BUFFER_SIZE));
        }
        if !qi.import {
            let mut bytes = vec![0u8; size as usize];
            k.mem().read(copy, &mut bytes)?;
            k.mem_mut().write(exposed, &bytes)?;
        }
    }
    let mut st = status::SUCCESS;
    if qi.process != 0 {
        st = NtStatus(call(k, qi.process, &[device_h, guid_at, exposed, data])? as u32);
        // STATUS_NOT_SUPPORTED lets the query travel on down the stack.
        if !st.is_success() && st != status::NOT_SUPPORTED {
            return Ok(Answer::Final(st));
        }
    }
    if qi.send_to_parent {
        return Ok(Answer::Parent);
    }
    Ok(Answer::Reference(st))
}

/// A pass-through interface of a PDO: the same query, sent to the top of the parent
/// device's stack; its answer is this IRP's.
fn pass_to_parent(
    k: &mut Kx,
    dev: &Device,
    irp_addr: u64,
    guid_at: u64,
    size_version: u64,
    exposed: u64,
    data: u64,
) -> KResult<NtStatus> {
    let parent_pdo = dev.child.as_ref().and_then(|c| k.ext().wdf.devices.get(&c.parent)).map(|p| p.pdo);
    let Some(parent_pdo) = parent_pdo.filter(|p| *p != 0) else {
        return Ok(irp::status_of(k, irp_addr)?.0);
    };
    let (_, st, _) = send_query(k, parent_pdo, guid_at, size_version, exposed, data)?;
    Ok(st)
}

/// IRP_MN_QUERY_INTERFACE sent synchronously to the top of `pdo`'s stack: (returned,
/// final status, information).
fn send_query(
    k: &mut Kx,
    pdo: u64,
    guid_at: u64,
    size_version: u64,
    exposed: u64,
    data: u64,
) -> KResult<(NtStatus, NtStatus, u64)> {
    let (returned, st, info) =
        crate::pnp::send(k, pdo, crate::io::major::PNP, crate::pnp::minor::QUERY_INTERFACE, &move |k, loc| {
            let m = k.mem_mut();
            m.set(loc, IO_STACK_LOCATION::Argument1, guid_at)?;
            m.set(loc, IO_STACK_LOCATION::Argument2, size_version)?;
            m.set(loc, IO_STACK_LOCATION::Argument3, exposed)?;
            Ok(m.set(loc, IO_STACK_LOCATION::Argument4, data)?)
        })?;
    Ok((returned, st.unwrap_or(returned), info))
}

/// NTSTATUS WdfFdoQueryForInterface(WDFDEVICE Fdo, LPCGUID InterfaceType, PINTERFACE
/// Interface, USHORT Size, USHORT Version, PVOID InterfaceSpecificData): the query goes to
/// the top of the function device's own stack; the answer is the IRP's final status.
pub fn WdfFdoQueryForInterface(
    k: &mut Kx,
    _globals: Ptr,
    fdo: Ptr,
    guid: Ptr,
    interface: Ptr,
    size: u16,
    version: u16,
    data: Ptr,
) -> KResult<NtStatus> {
    const F: &str = "WdfFdoQueryForInterface";
    let dev = device::device(k, F, fdo.0)?;
    if guid.0 == 0 {
        return Err(violation::null_parameter(k, F, "InterfaceType"));
    }
    if interface.0 == 0 {
        return Err(violation::null_parameter(k, F, "Interface"));
    }
    if dev.control || dev.child.is_some() || dev.pdo == 0 {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, fdo.0, 0, 0],
            at,
            format!("{F}: {:#x} is not a function device", fdo.0),
        ));
    }
    let sv = size as u64 | (version as u64) << 16;
    Ok(send_query(k, dev.pdo, guid.0, sv, interface.0, data.0)?.1)
}
