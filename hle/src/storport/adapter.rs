//! The adapter a port driver makes for a miniport when the PnP manager gives it a device:
//! AddDevice creates the port's functional device (\Device\RaidPortN or \Device\ScsiPortN)
//! and attaches it to the PDO; IRP_MN_START_DEVICE finds the adapter the way the port drivers
//! do — the miniport's device extension (DeviceExtensionSize bytes, zeroed) and a
//! PORT_CONFIGURATION_INFORMATION filled from its HW_INITIALIZATION_DATA go to HwFindAdapter
//! (a Storport virtual miniport's takes the PDO, the FDO and the lower device too), and when
//! it answers SP_RETURN_FOUND, HwInitialize, then the passive initialization routine the
//! miniport asked for. IRP_MN_REMOVE_DEVICE gives a virtual miniport's HwFreeAdapterResources
//! its extension, passes the removal down, detaches and deletes the FDO.
//!
//! Create and close of the FDO succeed; device controls and SRBs through it are refused with
//! STATUS_INVALID_DEVICE_REQUEST (the IOCTL_SCSI_* and IOCTL_STORAGE_* handling is not
//! modeled); power and system control go down the stack.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};

use crate::events::{push, Notice, SystemEvent};
use crate::ex::pool;
use crate::io::{irp, major};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_STACK_LOCATION, IRP};
use crate::pnp::minor;
use crate::types::{status, NtStatus, Ptr};

use super::{HwInitData, PortKind};

const FILE_DEVICE_CONTROLLER: u32 = 0x04;
const FILE_DEVICE_SECURE_OPEN: u32 = 0x100;
/// DO_DIRECT_IO | DO_POWER_PAGABLE.
const PORT_FDO_FLAGS: u64 = 0x10 | 0x2000;
/// HwFindAdapter's answers.
const SP_RETURN_NOT_FOUND: u32 = 0;
const SP_RETURN_FOUND: u32 = 1;
const SP_RETURN_ERROR: u32 = 2;
const SP_RETURN_BAD_CONFIG: u32 = 3;
/// SP_UNINITIALIZED_VALUE: a configuration field the port leaves to the miniport.
const UNINITIALIZED: u32 = 0xFFFF_FFFF;
/// NonPagedPoolNx.
const NON_PAGED_POOL_NX: u32 = 0x200;
const STATUS_NOT_FOUND: NtStatus = NtStatus(0xC000_0225);
const STATUS_ADAPTER_HARDWARE_ERROR: NtStatus = NtStatus(0xC000_00C2);
const STATUS_DEVICE_CONFIGURATION_ERROR: NtStatus = NtStatus(0xC000_0182);

/// An adapter: the port's FDO over a PDO, and once started, the miniport's extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adapter {
    pub fdo: u64,
    pub pdo: u64,
    pub lower: u64,
    /// Index into `Ports::miniports`.
    pub miniport: usize,
    /// The miniport's device extension (0 until the start).
    pub hw_extension: u64,
    pub config: u64,
    pub started: bool,
    /// HwPassiveInitializeRoutine (Storport's EnablePassiveInitialization).
    pub passive_init: u64,
}

/// The adapter whose miniport device extension is `hw_extension`.
pub fn by_extension(k: &Kx, hw_extension: u64) -> Option<usize> {
    if hw_extension == 0 {
        return None;
    }
    k.ext().storport.adapters.iter().position(|a| a.hw_extension == hw_extension)
}

fn by_fdo(k: &Kx, fdo: u64) -> Option<usize> {
    k.ext().storport.adapters.iter().position(|a| a.fdo == fdo)
}

/// NTSTATUS PortAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject)
pub fn PortAddDevice(k: &mut Kx, driver_object: Ptr, pdo: Ptr) -> KResult<NtStatus> {
    let Some(m) = k.ext().storport.miniports.iter().position(|m| m.driver_object == driver_object.0) else {
        return Ok(status::INVALID_PARAMETER);
    };
    let kind = k.ext().storport.miniports[m].kind;
    let n = k.ext().storport.next_port;
    k.ext_mut().storport.next_port += 1;
    let name = match kind {
        PortKind::Storport => format!("\\Device\\RaidPort{n}"),
        PortKind::Scsiport => format!("\\Device\\ScsiPort{n}"),
    };
    let us = pool::kernel_alloc(k, 16, b"PrtN")?;
    crate::io::driver::new_unicode(k, us, &name)?;
    let made = crate::io::device::create_for_library(
        k,
        driver_object,
        0,
        us,
        FILE_DEVICE_CONTROLLER,
        FILE_DEVICE_SECURE_OPEN,
    )?;
    let fdo = match made {
        Ok(fdo) => fdo,
        Err(st) => return Ok(st),
    };
    let lower = crate::io::stack::attach(k, fdo, pdo.0)?;
    let flags = k.mem().get(fdo, DEVICE_OBJECT::Flags)?;
    let flags = (flags | PORT_FDO_FLAGS) & !crate::io::device_flags::DEVICE_INITIALIZING;
    k.mem_mut().set(fdo, DEVICE_OBJECT::Flags, flags)?;
    k.ext_mut().storport.adapters.push(Adapter {
        fdo,
        pdo: pdo.0,
        lower,
        miniport: m,
        hw_extension: 0,
        config: 0,
        started: false,
        passive_init: 0,
    });
    Ok(status::SUCCESS)
}

/// NTSTATUS PortDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp): every major function the
/// port driver owns.
pub fn PortDispatch(k: &mut Kx, device: Ptr, irp_addr: Ptr) -> KResult<NtStatus> {
    let loc = k.mem().get(irp_addr.0, IRP::CurrentStackLocation)?;
    let major_code = k.mem().get(loc, IO_STACK_LOCATION::MajorFunction)? as u8;
    let minor_code = k.mem().get(loc, IO_STACK_LOCATION::MinorFunction)? as u8;
    let Some(a) = by_fdo(k, device.0) else {
        return finish(k, irp_addr, status::INVALID_DEVICE_REQUEST);
    };
    match major_code {
        major::CREATE | major::CLOSE => finish(k, irp_addr, status::SUCCESS),
        major::PNP if minor_code == minor::START_DEVICE => {
            let st = start(k, a)?;
            if !st.is_success() {
                return finish(k, irp_addr, st);
            }
            pass_down(k, a, irp_addr)
        }
        major::PNP if minor_code == minor::REMOVE_DEVICE => remove(k, a, irp_addr),
        major::PNP | major::POWER | major::SYSTEM_CONTROL => pass_down(k, a, irp_addr),
        _ => finish(k, irp_addr, status::INVALID_DEVICE_REQUEST),
    }
}

fn finish(k: &mut Kx, irp_addr: Ptr, st: NtStatus) -> KResult<NtStatus> {
    let at = caller(k);
    irp::set_status(k, irp_addr.0, st, 0)?;
    irp::complete(k, irp_addr, at)?;
    Ok(st)
}

/// IoSkipCurrentIrpStackLocation, then the device under the FDO.
fn pass_down(k: &mut Kx, a: usize, irp_addr: Ptr) -> KResult<NtStatus> {
    let lower = k.ext().storport.adapters[a].lower;
    let loc = k.mem().get(irp_addr.0, IRP::CurrentStackLocation)?;
    let loc_size = IO_STACK_LOCATION::STRUCT.size(k.arch());
    let cur = k.mem().get(irp_addr.0, IRP::CurrentLocation)?;
    k.mem_mut().set(irp_addr.0, IRP::CurrentLocation, cur + 1)?;
    k.mem_mut().set(irp_addr.0, IRP::CurrentStackLocation, loc + loc_size)?;
    irp::call_driver(k, lower, irp_addr.0)
}

fn remove(k: &mut Kx, a: usize, irp_addr: Ptr) -> KResult<NtStatus> {
    let adapter = k.ext().storport.adapters[a].clone();
    let m = k.ext().storport.miniports.get(adapter.miniport).cloned();
    if let Some(m) = m {
        let free = m.init.hw_free_adapter_resources;
        if adapter.started && free != 0 && m.init.is_virtual(m.kind, k.arch()) {
            let conv = CallConv::Stdcall.for_arch(k.arch());
            crate::ke::scheduler::call(k, free, &[adapter.hw_extension], conv)?;
        }
    }
    irp::set_status(k, irp_addr.0, status::SUCCESS, 0)?;
    let r = pass_down(k, a, irp_addr)?;
    crate::io::stack::IoDetachDevice(k, Ptr(adapter.lower))?;
    k.ext_mut().storport.adapters.retain(|x| x.fdo != adapter.fdo);
    for block in [adapter.hw_extension, adapter.config] {
        if block != 0 {
            pool::free(k, block, None, 0)?;
        }
    }
    crate::io::device::IoDeleteDevice(k, Ptr(adapter.fdo))?;
    Ok(r)
}

/// Finds and initializes the adapter: HwFindAdapter, HwInitialize, the passive
/// initialization.
fn start(k: &mut Kx, a: usize) -> KResult<NtStatus> {
    let at = caller(k);
    let arch = k.arch();
    let adapter = k.ext().storport.adapters[a].clone();
    if adapter.started {
        return Ok(status::SUCCESS);
    }
    let Some(m) = k.ext().storport.miniports.get(adapter.miniport).cloned() else {
        return Ok(status::INVALID_DEVICE_REQUEST);
    };
    // The miniport's extension is as large as it asked: a size the pool cannot give fails
    // the start.
    let ext_size = (m.init.device_extension_size as u64).max(8);
    let tag = u32::from_le_bytes(*b"PrtX");
    let Some(ext) = pool::allocate(k, NON_PAGED_POOL_NX, ext_size, tag, crate::ob::Owner::Kernel, 0)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    pool::zero(k, ext, ext_size)?;
    let config = configuration(k, m.kind, &m.init)?;
    {
        let x = &mut k.ext_mut().storport.adapters[a];
        x.hw_extension = ext;
        x.config = config;
    }
    let again = pool::kernel_alloc(k, 8, b"PrtA")?;
    let conv = CallConv::Stdcall.for_arch(arch);
    let virtual_miniport = m.init.is_virtual(m.kind, arch);
    let args: Vec<u64> = if virtual_miniport {
        vec![ext, adapter.pdo, adapter.fdo, adapter.lower, 0, config, again]
    } else {
        vec![ext, m.hw_context, 0, 0, config, again]
    };
    let found = crate::ke::scheduler::call(k, m.init.hw_find_adapter, &args, conv)? as u32;
    pool::free(k, again, None, 0)?;
    let st = match found {
        SP_RETURN_FOUND => {
            let ok = crate::ke::scheduler::call(k, m.init.hw_initialize, &[ext], conv)? as u8 != 0;
            let passive = k.ext().storport.adapters.get(a).map_or(0, |x| x.passive_init);
            // HwPassiveInitializeRoutine runs after HwInitialize succeeded.
            let ok = ok && (passive == 0 || crate::ke::scheduler::call(k, passive, &[ext], conv)? as u8 != 0);
            if ok {
                status::SUCCESS
            } else {
                STATUS_ADAPTER_HARDWARE_ERROR
            }
        }
        SP_RETURN_NOT_FOUND => STATUS_NOT_FOUND,
        SP_RETURN_ERROR => STATUS_ADAPTER_HARDWARE_ERROR,
        SP_RETURN_BAD_CONFIG => STATUS_DEVICE_CONFIGURATION_ERROR,
        _ => status::UNSUCCESSFUL,
    };
    if let Some(x) = k.ext_mut().storport.adapters.get_mut(a) {
        x.started = st.is_success();
    }
    let detail = format!(
        "{}: adapter {:#x}: HwFindAdapter returned {found}, start {}",
        m.kind.name(),
        adapter.fdo,
        crate::status_names::name(st.0).unwrap_or("?")
    );
    push(k, SystemEvent::Notice(Notice { kind: "storage_adapter", detail, caller: at }));
    Ok(st)
}

/// sizeof(PORT_CONFIGURATION_INFORMATION): scsiport's (srb.h), Storport's with its
/// additions (through FeatureSupport).
pub fn configuration_size(kind: PortKind, arch: Arch) -> u64 {
    match (kind, arch) {
        (PortKind::Scsiport, Arch::X86) => 0x8C,
        (PortKind::Scsiport, Arch::X64) => 0x98,
        (PortKind::Storport, Arch::X86) => 0xD0,
        (PortKind::Storport, Arch::X64) => 0xE0,
    }
}

/// A PORT_CONFIGURATION_INFORMATION as the port fills it before HwFindAdapter.
fn configuration(k: &mut Kx, kind: PortKind, init: &HwInitData) -> KResult<u64> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    let size = configuration_size(kind, arch);
    let c = pool::kernel_alloc(k, size, b"PrtC")?;
    // ACCESS_RANGE: a PHYSICAL_ADDRESS, a ULONG and a BOOLEAN (16 bytes), one per range the
    // miniport declared, zeroed.
    let ranges = if init.access_ranges > 0 {
        pool::kernel_alloc(k, init.access_ranges.min(0x100) as u64 * 16, b"PrtR")?
    } else {
        0
    };
    let mem = k.mem_mut();
    mem.write_u32(c, size as u32)?;
    mem.write_u32(c + 8, init.interface_type)?;
    mem.write_u32(c + 0x18, UNINITIALIZED)?; // MaximumTransferLength
    mem.write_u32(c + 0x1C, UNINITIALIZED)?; // NumberOfPhysicalBreaks
    mem.write_u32(c + 0x20, UNINITIALIZED)?; // DmaChannel
    mem.write_u32(c + 0x24, UNINITIALIZED)?; // DmaPort
    mem.write_u32(c + 0x34, init.access_ranges.min(0x100))?;
    mem.write_ptr(c + 0x38, ranges)?;
    // NumberOfBuses, InitiatorBusId[8], then the BOOLEANs.
    let buses = 0x38 + 2 * ps;
    mem.write(c + buses + 1, &[0xFF; 8])?;
    mem.write(c + buses + 17, &init.flags)?;
    // MaximumNumberOfTargets (SCSI_MAXIMUM_TARGETS_PER_BUS).
    mem.write(c + buses + 25, &[128])?;
    mem.write_u32(c + buses + 60, init.device_extension_size)?;
    mem.write_u32(c + buses + 64, init.lu_extension_size)?;
    mem.write_u32(c + buses + 68, init.srb_extension_size)?;
    // MaximumNumberOfLogicalUnits (SCSI_MAXIMUM_LOGICAL_UNITS).
    mem.write(c + buses + 74, &[8])?;
    Ok(c)
}
