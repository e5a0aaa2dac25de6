//! hidclass.sys: the HID class driver minidrivers register with. `HidRegisterMinidriver`
//! checks the HID_MINIDRIVER_REGISTRATION, records the minidriver (its driver object, the
//! device-extension size it wants, whether its devices are polled) and, as hidclass does,
//! takes over the driver object: the minidriver's dispatch table, AddDevice and DriverUnload
//! are saved and the class driver's own routines put in their place.
//!
//! The class driver's AddDevice creates the functional device object with a device
//! extension that begins with HID_DEVICE_EXTENSION (PhysicalDeviceObject, NextDeviceObject,
//! MiniDeviceExtension, the minidriver's area right after it), attaches it to the PDO's
//! stack, and calls the minidriver's AddDevice with that FDO. IRPs reaching the FDO go as on
//! Windows: PnP, power and internal device controls to the minidriver's saved dispatch
//! routines, create and close (only the collection PDOs are opened) fail, the rest goes
//! down the stack. After IRP_MN_REMOVE_DEVICE the class driver detaches and deletes the FDO. The collection PDOs hidclass builds from the report descriptor after the
//! start are not made.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};

use crate::events::{push, Notice, SystemEvent};
use crate::io::{irp, major};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_EXTENSION, DRIVER_OBJECT, IO_STACK_LOCATION, IRP};
use crate::types::{status, NtStatus, Ptr};

/// HID_REVISION: the only revision of HID_MINIDRIVER_REGISTRATION.
pub const HID_REVISION: u32 = 1;
const STATUS_REVISION_MISMATCH: NtStatus = NtStatus(0xC000_0059);
const FILE_DEVICE_UNKNOWN: u32 = 0x22;
/// DO_POWER_PAGABLE.
const POWER_PAGABLE: u64 = 0x2000;

/// A registered minidriver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minidriver {
    pub driver_object: u64,
    pub extension_size: u32,
    pub polled: bool,
    /// The minidriver's dispatch routines, AddDevice and DriverUnload before registration.
    pub major_functions: Vec<u64>,
    pub add_device: u64,
    pub unload: u64,
}

/// The class driver's state: minidrivers and the FDOs made for them.
#[derive(Debug, Default)]
pub struct HidClass {
    pub minidrivers: Vec<Minidriver>,
    /// (FDO, index into `minidrivers`).
    pub fdos: Vec<(u64, usize)>,
}

/// HID_MINIDRIVER_REGISTRATION field offsets: Revision, DriverObject, RegistryPath,
/// DeviceExtensionSize, DevicesArePolled.
fn registration_offsets(arch: Arch) -> (u64, u64, u64, u64) {
    match arch {
        Arch::X86 => (0x4, 0x8, 0xC, 0x10),
        Arch::X64 => (0x8, 0x10, 0x18, 0x1C),
    }
}

/// The size of HID_DEVICE_EXTENSION: three pointers.
pub fn device_extension_header(arch: Arch) -> u64 {
    3 * arch.ptr_size()
}

/// NTSTATUS HidRegisterMinidriver(PHID_MINIDRIVER_REGISTRATION MinidriverRegistration)
pub fn HidRegisterMinidriver(k: &mut Kx, registration: Ptr) -> KResult<NtStatus> {
    let at = caller(k);
    let arch = k.arch();
    let r = registration.0;
    let (o_driver, _o_path, o_size, o_polled) = registration_offsets(arch);
    let revision = k.mem().read_u32(r)?;
    if revision > HID_REVISION {
        return Ok(STATUS_REVISION_MISMATCH);
    }
    let driver_object = k.mem().read_ptr(r + o_driver)?;
    let extension_size = k.mem().read_u32(r + o_size)?;
    let polled = k.mem().read_u8(r + o_polled)? != 0;
    if crate::io::device::owner_of_driver_object(k, driver_object).is_none() {
        return Ok(status::INVALID_PARAMETER);
    }
    // hidclass keeps its record in a driver-object extension keyed by its own address: a
    // second registration of the same driver finds it taken.
    if k.ext().hidclass.minidrivers.iter().any(|m| m.driver_object == driver_object) {
        return Ok(status::OBJECT_NAME_COLLISION);
    }
    let table = DRIVER_OBJECT::MajorFunction.at(arch, driver_object);
    let ps = arch.ptr_size();
    let mut major_functions = Vec::with_capacity(major::COUNT as usize);
    for i in 0..major::COUNT {
        major_functions.push(k.mem().read_ptr(table + i * ps)?);
    }
    let ext = k.mem().get(driver_object, DRIVER_OBJECT::DriverExtension)?;
    let add_device = k.mem().get(ext, DRIVER_EXTENSION::AddDevice)?;
    let unload = k.mem().get(driver_object, DRIVER_OBJECT::DriverUnload)?;
    let dispatch = crate::io::internal_routine(k, "HidClassDispatch");
    for i in 0..major::COUNT {
        k.mem_mut().write_ptr(table + i * ps, dispatch)?;
    }
    let ours = crate::io::internal_routine(k, "HidClassAddDevice");
    k.mem_mut().set(ext, DRIVER_EXTENSION::AddDevice, ours)?;
    let ours = crate::io::internal_routine(k, "HidClassDriverUnload");
    k.mem_mut().set(driver_object, DRIVER_OBJECT::DriverUnload, ours)?;
    k.ext_mut().hidclass.minidrivers.push(Minidriver {
        driver_object,
        extension_size,
        polled,
        major_functions,
        add_device,
        unload,
    });
    let detail = format!(
        "driver object {driver_object:#x}, device extension {extension_size:#x} bytes, {}",
        if polled { "polled devices" } else { "devices not polled" }
    );
    push(k, SystemEvent::Notice(Notice { kind: "hid_minidriver", detail, caller: at }));
    Ok(status::SUCCESS)
}

fn minidriver_of(k: &Kx, driver_object: u64) -> Option<usize> {
    k.ext().hidclass.minidrivers.iter().position(|m| m.driver_object == driver_object)
}

/// NTSTATUS HidClassAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT
/// PhysicalDeviceObject): the class driver's AddDevice for a minidriver.
pub fn HidClassAddDevice(k: &mut Kx, driver_object: Ptr, pdo: Ptr) -> KResult<NtStatus> {
    let arch = k.arch();
    let Some(m) = minidriver_of(k, driver_object.0) else {
        return Ok(status::INVALID_PARAMETER);
    };
    let mini = k.ext().hidclass.minidrivers[m].clone();
    let header = device_extension_header(arch);
    let size = (header + mini.extension_size as u64).min(u32::MAX as u64) as u32;
    let fdo = match crate::io::device::create_for_library(k, driver_object, size, 0, FILE_DEVICE_UNKNOWN, 0)? {
        Ok(fdo) => fdo,
        Err(st) => return Ok(st),
    };
    let ext = k.mem().get(fdo, DEVICE_OBJECT::DeviceExtension)?;
    let next = crate::io::stack::attach(k, fdo, pdo.0)?;
    let ps = arch.ptr_size();
    k.mem_mut().write_ptr(ext, pdo.0)?;
    k.mem_mut().write_ptr(ext + ps, next)?;
    k.mem_mut().write_ptr(ext + 2 * ps, ext + header)?;
    let flags = k.mem().get(fdo, DEVICE_OBJECT::Flags)?;
    k.mem_mut().set(fdo, DEVICE_OBJECT::Flags, flags | POWER_PAGABLE)?;
    k.ext_mut().hidclass.fdos.push((fdo, m));
    let r = if mini.add_device != 0 {
        let conv = CallConv::Stdcall.for_arch(arch);
        NtStatus(crate::ke::scheduler::call(k, mini.add_device, &[driver_object.0, fdo], conv)? as u32)
    } else {
        status::SUCCESS
    };
    if !r.is_success() {
        crate::io::stack::IoDetachDevice(k, Ptr(next))?;
        k.ext_mut().hidclass.fdos.retain(|(d, _)| *d != fdo);
        crate::io::device::IoDeleteDevice(k, Ptr(fdo))?;
        return Ok(r);
    }
    let flags = k.mem().get(fdo, DEVICE_OBJECT::Flags)?;
    k.mem_mut().set(fdo, DEVICE_OBJECT::Flags, flags & !crate::io::device_flags::DEVICE_INITIALIZING)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS HidClassDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp): every major function
/// of a minidriver's driver object after registration.
pub fn HidClassDispatch(k: &mut Kx, device: Ptr, irp_addr: Ptr) -> KResult<NtStatus> {
    let at = caller(k);
    let loc = k.mem().get(irp_addr.0, IRP::CurrentStackLocation)?;
    let major_code = k.mem().get(loc, IO_STACK_LOCATION::MajorFunction)? as u8;
    let driver_object = k.mem().get(device.0, DEVICE_OBJECT::DriverObject)?;
    let m = minidriver_of(k, driver_object);
    let is_fdo = k.ext().hidclass.fdos.iter().any(|(d, _)| *d == device.0);
    let conv = CallConv::Stdcall.for_arch(k.arch());
    match (m, major_code) {
        (Some(m), major::PNP | major::POWER | major::INTERNAL_DEVICE_CONTROL) => {
            let minor = k.mem().get(loc, IO_STACK_LOCATION::MinorFunction)? as u8;
            let routine = k.ext().hidclass.minidrivers[m].major_functions[major_code as usize];
            let r = NtStatus(crate::ke::scheduler::call(k, routine, &[device.0, irp_addr.0], conv)? as u32);
            if is_fdo && major_code == major::PNP && minor == crate::pnp::minor::REMOVE_DEVICE {
                // The minidriver passed the removal down; the class driver owns the FDO and
                // detaches and deletes it (a minidriver never deletes its device).
                let ext = k.mem().get(device.0, DEVICE_OBJECT::DeviceExtension)?;
                let next = k.mem().read_ptr(ext + k.arch().ptr_size())?;
                if next != 0 {
                    crate::io::stack::IoDetachDevice(k, Ptr(next))?;
                }
                k.ext_mut().hidclass.fdos.retain(|(d, _)| *d != device.0);
                crate::io::device::IoDeleteDevice(k, device)?;
            }
            Ok(r)
        }
        (Some(_), _) if is_fdo && !matches!(major_code, major::CREATE | major::CLOSE) => {
            // IoSkipCurrentIrpStackLocation, then the next device.
            let ext = k.mem().get(device.0, DEVICE_OBJECT::DeviceExtension)?;
            let next = k.mem().read_ptr(ext + k.arch().ptr_size())?;
            let loc_size = IO_STACK_LOCATION::STRUCT.size(k.arch());
            let cur = k.mem().get(irp_addr.0, IRP::CurrentLocation)?;
            k.mem_mut().set(irp_addr.0, IRP::CurrentLocation, cur + 1)?;
            k.mem_mut().set(irp_addr.0, IRP::CurrentStackLocation, loc + loc_size)?;
            irp::call_driver(k, next, irp_addr.0)
        }
        _ => {
            // Only the collection PDOs hidclass makes are opened; the FDO (and any other
            // device of the minidriver) refuses.
            let st = status::UNSUCCESSFUL;
            irp::set_status(k, irp_addr.0, st, 0)?;
            irp::complete(k, irp_addr, at)?;
            Ok(st)
        }
    }
}

/// VOID HidClassDriverUnload(PDRIVER_OBJECT DriverObject): the minidriver's own unload.
pub fn HidClassDriverUnload(k: &mut Kx, driver_object: Ptr) -> KResult<()> {
    let Some(m) = minidriver_of(k, driver_object.0) else {
        return Ok(());
    };
    let unload = k.ext().hidclass.minidrivers[m].unload;
    if unload != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, unload, &[driver_object.0], conv)?;
    }
    Ok(())
}
