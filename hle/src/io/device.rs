//! IoCreateDevice and IoDeleteDevice.
#![allow(non_snake_case)]

use crate::ex::pool;
use crate::io::{device_flags, io_type};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_OBJECT};
use crate::ob::{NameTarget, ObjectKind, Owner};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, Boolean, NtStatus, PUnicodeString, Ptr};

/// Size of the DEVOBJ_EXTENSION that follows the device extension.
fn devobj_extension_size(arch: portcullis_emu::Arch) -> u64 {
    match arch {
        portcullis_emu::Arch::X86 => 0x30,
        portcullis_emu::Arch::X64 => 0x50,
    }
}

// DEVICE_TYPEs whose defaults IoCreateDevice sets (ntddk.h).
const FILE_DEVICE_CD_ROM_FILE_SYSTEM: u32 = 0x03;
const FILE_DEVICE_DISK: u32 = 0x07;
const FILE_DEVICE_DISK_FILE_SYSTEM: u32 = 0x08;
const FILE_DEVICE_FILE_SYSTEM: u32 = 0x09;
const FILE_DEVICE_NETWORK_FILE_SYSTEM: u32 = 0x14;
const FILE_DEVICE_TAPE_FILE_SYSTEM: u32 = 0x20;
const FILE_DEVICE_VIRTUAL_DISK: u32 = 0x24;

/// What IoCreateDevice sets by the device type, on a zeroed device object: a file system's
/// device gets an empty `Queue.ListEntry` (its requests never wait in a device queue), every
/// other device an initialised, idle `DeviceQueue` (KeInitializeDeviceQueue), which drivers
/// lock and walk whether or not they have a StartIo routine; disks and disk file systems a
/// SectorSize of 512, CD-ROM file systems 2048.
pub(crate) fn init_queue_and_sector_size(k: &mut Kx, dev: u64, device_type: u32) -> KResult<()> {
    let arch = k.arch();
    match device_type {
        FILE_DEVICE_DISK_FILE_SYSTEM
        | FILE_DEVICE_FILE_SYSTEM
        | FILE_DEVICE_CD_ROM_FILE_SYSTEM
        | FILE_DEVICE_NETWORK_FILE_SYSTEM
        | FILE_DEVICE_TAPE_FILE_SYSTEM => {
            crate::layout::list::init(k.mem_mut(), DEVICE_OBJECT::Queue.at(arch, dev))?;
        }
        _ => crate::io::queue::KeInitializeDeviceQueue(k, Ptr(DEVICE_OBJECT::DeviceQueue.at(arch, dev)))?,
    }
    let sector = match device_type {
        FILE_DEVICE_DISK | FILE_DEVICE_VIRTUAL_DISK | FILE_DEVICE_DISK_FILE_SYSTEM => 512,
        FILE_DEVICE_CD_ROM_FILE_SYSTEM => 2048,
        _ => 0,
    };
    k.mem_mut().set(dev, DEVICE_OBJECT::SectorSize, sector)?;
    Ok(())
}

/// The driver (index in the kernel's list) a driver object belongs to.
pub(crate) fn owner_of_driver_object(k: &Kx, driver_object: u64) -> Option<usize> {
    k.ext()
        .drivers
        .iter()
        .position(|d| d.driver_object == driver_object)
        .or_else(|| k.ext().io.created_drivers.get(&driver_object).copied())
}

/// IoCreateDevice on behalf of a library of the kernel's own (a port or class driver making
/// its minidriver's device): the device object, or why none was made. `name` is a
/// UNICODE_STRING in guest memory, or 0 for an unnamed device.
pub(crate) fn create_for_library(
    k: &mut Kx,
    driver_object: Ptr,
    extension_size: u32,
    name: u64,
    device_type: u32,
    characteristics: u32,
) -> KResult<Result<u64, NtStatus>> {
    let out = crate::ex::pool::kernel_alloc(k, 8, b"IoCd")?;
    let st = IoCreateDevice(
        k,
        driver_object,
        extension_size,
        PUnicodeString(name),
        device_type,
        characteristics,
        Boolean(false),
        Ptr(out),
    )?;
    let device = k.mem().read_ptr(out)?;
    crate::ex::pool::free(k, out, None, 0)?;
    Ok(if st.is_success() { Ok(device) } else { Err(st) })
}

/// NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
/// PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics,
/// BOOLEAN Exclusive, PDEVICE_OBJECT *DeviceObject)
///
/// The device extension follows the DEVICE_OBJECT, zeroed, and DEVOBJ_EXTENSION follows it.
/// The new device goes to the head of the driver's device list, with DO_DEVICE_INITIALIZING
/// set (cleared by the I/O manager after DriverEntry for devices created there).
pub fn IoCreateDevice(
    k: &mut Kx,
    driver_object: Ptr,
    extension_size: u32,
    device_name: PUnicodeString,
    device_type: u32,
    characteristics: u32,
    exclusive: Boolean,
    out: Ptr,
) -> KResult<NtStatus> {
    let arch = k.arch();
    let Some(driver) = owner_of_driver_object(k, driver_object.0) else {
        return Ok(status::INVALID_PARAMETER);
    };
    let name = if device_name.0 == 0 { None } else { Some(read_unicode_string(k, device_name.0)?) };
    if let Some(n) = &name {
        if !crate::ob::valid_path(n) {
            return Ok(NtStatus(0xC000_003B)); // STATUS_OBJECT_PATH_SYNTAX_BAD
        }
        if k.ext().objects.lookup(n).is_some() {
            return Ok(status::OBJECT_NAME_COLLISION);
        }
    }
    let dsize = DEVICE_OBJECT::STRUCT.size(arch);
    let align = arch.ptr_size() * 2;
    let ext_size = (extension_size as u64).div_ceil(align) * align;
    let total = dsize + ext_size + devobj_extension_size(arch);
    let dev = pool::kernel_alloc(k, total, b"Devi")?;
    let ext = if extension_size > 0 { dev + dsize } else { 0 };
    let devobj_ext = dev + dsize + ext_size;
    let mut flags = device_flags::DEVICE_INITIALIZING;
    if exclusive.0 {
        flags |= device_flags::EXCLUSIVE;
    }
    if name.is_some() {
        flags |= device_flags::DEVICE_HAS_NAME;
    }
    let head = k.mem().get(driver_object.0, DRIVER_OBJECT::DeviceObject)?;
    let mem = k.mem_mut();
    mem.set(dev, DEVICE_OBJECT::Type, io_type::DEVICE)?;
    mem.set(dev, DEVICE_OBJECT::Size, dsize + extension_size as u64)?;
    mem.set(dev, DEVICE_OBJECT::ReferenceCount, 0)?;
    mem.set(dev, DEVICE_OBJECT::DriverObject, driver_object.0)?;
    mem.set(dev, DEVICE_OBJECT::NextDevice, head)?;
    mem.set(dev, DEVICE_OBJECT::Flags, flags)?;
    mem.set(dev, DEVICE_OBJECT::Characteristics, characteristics as u64)?;
    mem.set(dev, DEVICE_OBJECT::DeviceExtension, ext)?;
    mem.set(dev, DEVICE_OBJECT::DeviceType, device_type as u64)?;
    mem.set(dev, DEVICE_OBJECT::StackSize, 1)?;
    mem.set(dev, DEVICE_OBJECT::DeviceObjectExtension, devobj_ext)?;
    mem.write_u16(devobj_ext, io_type::DEVICE_OBJECT_EXTENSION as u16)?;
    mem.write_u16(devobj_ext + 2, devobj_extension_size(arch) as u16)?;
    mem.write_ptr(devobj_ext + arch.ptr_size(), dev)?;
    init_queue_and_sector_size(k, dev, device_type)?;
    let mem = k.mem_mut();
    // Write the out pointer before anything becomes visible: a bad pointer fails cleanly.
    if let Err(e) = mem.write_ptr(out.0, dev) {
        pool::free(k, dev, None, 0)?;
        return Err(KError::Mem(e));
    }
    k.mem_mut().set(driver_object.0, DRIVER_OBJECT::DeviceObject, dev)?;
    let owner = Owner::Driver(driver);
    let ob = &mut k.ext_mut().objects;
    if let Some(n) = &name {
        ob.insert_name(n, NameTarget::Object(dev), owner).map_err(|s| {
            KError::Stop(portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(format!("{s:?}"))))
        })?;
    }
    ob.register(dev, ObjectKind::Device, name, owner);
    Ok(status::SUCCESS)
}

/// VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject): removes the name and unlinks the device
/// from its driver. The memory goes when the last open file on it is closed.
pub fn IoDeleteDevice(k: &mut Kx, device: Ptr) -> KResult<()> {
    let info = k.ext().objects.get(device.0).cloned();
    let Some(info) = info.filter(|o| o.kind == ObjectKind::Device) else {
        let b = Bugcheck {
            code: 0x18,
            name: "REFERENCE_BY_POINTER",
            params: [0, device.0, 0, 0],
            caller: caller(k),
            reason: format!("IoDeleteDevice on {:#x}, which is not a live device object", device.0),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    };
    if let Some(n) = &info.name {
        k.ext_mut().objects.remove_name(n);
    }
    // A shutdown registration goes with the device (DO_SHUTDOWN_REGISTERED).
    crate::io::notify::device_deleted(k, device.0);
    crate::io::timer::device_deleted(k, device.0)?;
    let driver = k.mem().get(device.0, DEVICE_OBJECT::DriverObject)?;
    // Unlink from the driver's list.
    let next = k.mem().get(device.0, DEVICE_OBJECT::NextDevice)?;
    let head = k.mem().get(driver, DRIVER_OBJECT::DeviceObject)?;
    if head == device.0 {
        k.mem_mut().set(driver, DRIVER_OBJECT::DeviceObject, next)?;
    } else {
        let mut d = head;
        let mut steps = 0;
        while d != 0 && steps < 4096 {
            let n = k.mem().get(d, DEVICE_OBJECT::NextDevice)?;
            if n == device.0 {
                k.mem_mut().set(d, DEVICE_OBJECT::NextDevice, next)?;
                break;
            }
            d = n;
            steps += 1;
        }
    }
    let open = k.ext().io.files.values().any(|f| f.device == device.0);
    if open {
        k.ext_mut().io.files.values_mut().filter(|f| f.device == device.0).for_each(|f| f.device_deleted = true);
        if let Some(o) = k.ext_mut().objects.get_mut(device.0) {
            o.name = None;
        }
    } else {
        k.ext_mut().objects.unregister(device.0);
        pool::free(k, device.0, None, 0)?;
    }
    Ok(())
}
