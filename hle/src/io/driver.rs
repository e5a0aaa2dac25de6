//! DRIVER_OBJECT: creating it for a loaded image, and walking a driver's devices.

use portcullis_emu::Arch;

use crate::ex::pool;
use crate::io::{device_flags, io_type, major};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_EXTENSION, DRIVER_OBJECT, UNICODE_STRING};
use crate::ob::{NameTarget, ObjectKind, Owner};

/// What the I/O manager made for a driver before calling its entry point.
#[derive(Clone, Copy, Debug)]
pub struct DriverObjects {
    pub driver_object: u64,
    pub registry_path: u64,
}

/// Allocates kernel-owned pool for a counted string and fills `at` with it.
pub(crate) fn new_unicode(k: &mut Kx, at: u64, text: &str) -> KResult<()> {
    let bytes = (text.encode_utf16().count() as u64 + 1) * 2;
    let buf = pool::kernel_alloc(k, bytes, b"Strg")?;
    crate::ps::write_unicode(k, at, buf, text)
}

/// Fills the counted string at `at` with `text`, its buffer from kernel object memory (for
/// the kernel's own objects, made at boot: they must not move the drivers' pool).
pub(crate) fn write_name(k: &mut Kx, at: u64, text: &str) -> KResult<()> {
    let bytes = (text.encode_utf16().count() as u64 + 1) * 2;
    let buf = crate::ob::body::alloc(k, bytes)?;
    crate::ps::write_unicode(k, at, buf, text)
}

/// Creates `\Driver\<name>` with its extension, names and registry path, every
/// MajorFunction pointing at IopInvalidDeviceRequest.
pub fn create(
    k: &mut Kx,
    name: &str,
    image_base: u64,
    image_size: u64,
    section: u64,
    entry: u64,
) -> KResult<DriverObjects> {
    create_named(k, &format!("\\Driver\\{name}"), name, image_base, image_size, section, entry)
}

/// Creates the driver object `driver_name` (`\Driver\X`, `\FileSystem\X`) for service `name`.
pub(crate) fn create_named(
    k: &mut Kx,
    driver_name: &str,
    name: &str,
    image_base: u64,
    image_size: u64,
    section: u64,
    entry: u64,
) -> KResult<DriverObjects> {
    let arch = k.arch();
    let dsize = DRIVER_OBJECT::STRUCT.size(arch);
    let esize = DRIVER_EXTENSION::STRUCT.size(arch);
    let us = UNICODE_STRING::STRUCT.size(arch);
    let obj = pool::kernel_alloc(k, dsize + esize + 2 * us, b"Driv")?;
    let ext = obj + dsize;
    let registry_path = ext + esize;
    let hardware_db = registry_path + us;
    let invalid = k.ext().io.invalid_request;
    let mem = k.mem_mut();
    mem.set(obj, DRIVER_OBJECT::Type, io_type::DRIVER)?;
    mem.set(obj, DRIVER_OBJECT::Size, dsize)?;
    mem.set(obj, DRIVER_OBJECT::Flags, 0x2)?; // DRVO_LEGACY_DRIVER
    mem.set(obj, DRIVER_OBJECT::DriverStart, image_base)?;
    mem.set(obj, DRIVER_OBJECT::DriverSize, image_size)?;
    mem.set(obj, DRIVER_OBJECT::DriverSection, section)?;
    mem.set(obj, DRIVER_OBJECT::DriverExtension, ext)?;
    mem.set(obj, DRIVER_OBJECT::HardwareDatabase, hardware_db)?;
    mem.set(obj, DRIVER_OBJECT::DriverInit, entry)?;
    let table = DRIVER_OBJECT::MajorFunction.at(arch, obj);
    for i in 0..major::COUNT {
        mem.write_ptr(table + i * arch.ptr_size(), invalid)?;
    }
    mem.set(ext, DRIVER_EXTENSION::DriverObject, obj)?;
    let driver_name = driver_name.to_string();
    new_unicode(k, DRIVER_OBJECT::DriverName.at(arch, obj), &driver_name)?;
    new_unicode(k, DRIVER_EXTENSION::ServiceKeyName.at(arch, ext), name)?;
    new_unicode(k, registry_path, &format!("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\{name}"))?;
    new_unicode(k, hardware_db, "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\SYSTEM")?;
    let ob = &mut k.ext_mut().objects;
    // A second load of the same image gets its own object; the name stays with the first.
    let _ = ob.insert_name(&driver_name, NameTarget::Object(obj), Owner::Kernel);
    ob.register(obj, ObjectKind::Driver, Some(driver_name), Owner::Kernel);
    Ok(DriverObjects { driver_object: obj, registry_path })
}

/// The driver's device objects, following DeviceObject / NextDevice.
pub fn devices(k: &Kx, driver_object: u64) -> KResult<Vec<u64>> {
    let mut out = Vec::new();
    let mut d = k.mem().get(driver_object, DRIVER_OBJECT::DeviceObject)?;
    while d != 0 && out.len() < 4096 && !out.contains(&d) {
        out.push(d);
        d = k.mem().get(d, DEVICE_OBJECT::NextDevice)?;
    }
    Ok(out)
}

/// NTSTATUS IoEnumerateDeviceObjectList(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT
/// *DeviceObjectList, ULONG DeviceObjectListSize, PULONG ActualNumberDeviceObjects): the
/// driver's devices, each referenced (the caller dereferences them), when the list (a size in
/// bytes) holds them all; else STATUS_BUFFER_TOO_SMALL, with the count either way.
pub fn IoEnumerateDeviceObjectList(
    k: &mut Kx,
    driver_object: crate::types::Ptr,
    list: crate::types::Ptr,
    size: u32,
    count: crate::types::Ptr,
) -> KResult<crate::types::NtStatus> {
    use crate::types::status;
    let found = devices(k, driver_object.0)?;
    k.mem_mut().write_u32(count.0, found.len() as u32)?;
    let ps = k.arch().ptr_size();
    if (size as u64) < found.len() as u64 * ps {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    for (i, d) in found.iter().enumerate() {
        k.mem_mut().write_ptr(list.0 + i as u64 * ps, *d)?;
    }
    for d in found {
        crate::ob::handles::reference(k, d);
    }
    Ok(status::SUCCESS)
}

/// After DriverEntry returns, the I/O manager clears DO_DEVICE_INITIALIZING on the devices
/// it created.
pub fn finish_initialization(k: &mut Kx, driver_object: u64) -> KResult<()> {
    for d in devices(k, driver_object)? {
        let f = k.mem().get(d, DEVICE_OBJECT::Flags)?;
        k.mem_mut().set(d, DEVICE_OBJECT::Flags, f & !device_flags::DEVICE_INITIALIZING)?;
    }
    Ok(())
}

/// The dispatch routine for `major` in a driver object.
pub fn dispatch_routine(k: &Kx, driver_object: u64, major: u8) -> KResult<u64> {
    let arch: Arch = k.arch();
    let table = DRIVER_OBJECT::MajorFunction.at(arch, driver_object);
    if major as u64 >= major::COUNT {
        return Ok(k.ext().io.invalid_request);
    }
    Ok(k.mem().read_ptr(table + major as u64 * arch.ptr_size())?)
}
