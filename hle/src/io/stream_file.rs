//! Files a file system makes for itself: IoCreateStreamFileObject (a stream file object for a
//! volume's metadata or a file's other stream), and what a file system asks of its volumes:
//! IoGetDiskDeviceObject, FsRtlIsPagingFile.
//!
//! A stream file object is made with a handle that is closed at once, as Windows makes it:
//! the file system gets IRP_MJ_CLEANUP for it before the routine returns, and IRP_MJ_CLOSE
//! when the caller's reference, the only one left, goes.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, FILE_OBJECT};
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, Ptr};

/// FILE_OBJECT.Flags: FO_STREAM_FILE and FO_HANDLE_CREATED.
const FO_STREAM_FILE: u64 = 0x0010_0000;
const FO_HANDLE_CREATED: u64 = 0x0004_0000;

/// PFILE_OBJECT IoCreateStreamFileObject(PFILE_OBJECT FileObject, PDEVICE_OBJECT
/// DeviceObject): on FileObject's device (and volume) when one is given, else on
/// DeviceObject.
pub fn IoCreateStreamFileObject(k: &mut Kx, file: Ptr, device: Ptr) -> KResult<Ptr> {
    let (device, vpb) = if file.is_null() {
        (device.0, k.mem().get(device.0, DEVICE_OBJECT::Vpb)?)
    } else {
        (k.mem().get(file.0, FILE_OBJECT::DeviceObject)?, k.mem().get(file.0, FILE_OBJECT::Vpb)?)
    };
    if k.ext().objects.get(device).map(|o| o.kind) != Some(ObjectKind::Device) {
        // Windows dereferences the device to count the file: what is not one faults.
        k.mem().read_u32(device)?;
        return Err(crate::ob::bad_reference(k, device, "IoCreateStreamFileObject"));
    }
    let fo = crate::io::file::create_transient(k, device, "", FO_STREAM_FILE | FO_HANDLE_CREATED, 0x1, 0)?;
    k.mem_mut().set(fo, FILE_OBJECT::Vpb, vpb)?;
    let rc = k.mem().get(device, DEVICE_OBJECT::ReferenceCount)?;
    k.mem_mut().set(device, DEVICE_OBJECT::ReferenceCount, rc + 1)?;
    k.ext_mut().io.kernel_files.insert(fo, device);
    // The caller's reference; the handle made with it closes now (IRP_MJ_CLEANUP).
    crate::ob::handles::reference(k, fo);
    crate::io::open::cleanup(k, fo)?;
    Ok(Ptr(fo))
}

/// NTSTATUS IoGetDiskDeviceObject(PDEVICE_OBJECT FileSystemDeviceObject, PDEVICE_OBJECT
/// *DiskDeviceObject): the disk under a mounted volume's file system device, referenced for
/// the caller. The volume's file system device is the one mounted volume (on
/// `\Device\Harddisk0\DR0`); any other device has no volume mounted through it:
/// STATUS_INVALID_PARAMETER, as for a device that is not a file system's volume device.
pub fn IoGetDiskDeviceObject(k: &mut Kx, fs_device: Ptr, disk: Ptr) -> KResult<NtStatus> {
    if fs_device.0 == 0 || fs_device.0 != k.ext().volume.device_object() {
        return Ok(status::INVALID_PARAMETER);
    }
    let d = crate::fs::disk_device(k)?;
    k.mem_mut().write_ptr(disk.0, d)?;
    crate::ob::handles::reference(k, d);
    Ok(status::SUCCESS)
}

/// LOGICAL FsRtlIsPagingFile(PFILE_OBJECT FileObject): whether the file is a paging file.
/// The emulated system pages to no file: FALSE for every file object.
/// (Windows compares the pointer with each paging file's and reads nothing of it.)
pub fn FsRtlIsPagingFile(_k: &mut Kx, _file: Ptr) -> KResult<u32> {
    Ok(0)
}
