//! Volumes as filter drivers ask about them: the file system device under a file object
//! (IoGetBaseFileSystemDeviceObject), a volume's drive letter (IoVolumeDeviceToDosName,
//! RtlVolumeDeviceToDosName) and a file's name with it (IoQueryFileDosDeviceName).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, FILE_OBJECT};
use crate::ob::NameTarget;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// VPB.DeviceObject (after Type, Size, Flags, VolumeLabelLength: offset 8 on both).
const VPB_DEVICE_OBJECT: u64 = 8;

/// PDEVICE_OBJECT IoGetBaseFileSystemDeviceObject(PFILE_OBJECT FileObject): the file
/// system's volume device the file is on (through the file's VPB, else its device's), below
/// any filter attached to it; a device with no mounted volume is itself.
pub fn IoGetBaseFileSystemDeviceObject(k: &mut Kx, file: Ptr) -> KResult<Ptr> {
    let mem = k.mem();
    let vpb = mem.get(file.0, FILE_OBJECT::Vpb)?;
    if vpb != 0 {
        let d = mem.read_ptr(vpb + VPB_DEVICE_OBJECT)?;
        if d != 0 {
            return Ok(Ptr(d));
        }
    }
    let device = mem.get(file.0, FILE_OBJECT::DeviceObject)?;
    if device != 0 {
        let vpb = mem.get(device, DEVICE_OBJECT::Vpb)?;
        if vpb != 0 {
            let d = mem.read_ptr(vpb + VPB_DEVICE_OBJECT)?;
            if d != 0 {
                return Ok(Ptr(d));
            }
        }
    }
    Ok(Ptr(device))
}

/// The drive letter whose `\GLOBAL??\X:` link names `device`.
fn drive_letter(k: &Kx, device: u64) -> Option<String> {
    let ob = &k.ext().objects;
    let name = ob.get(device)?.name.clone()?;
    ob.names().find_map(|n| {
        let path = crate::ob::canonical(&n.path);
        let letter = path.strip_prefix("\\??\\")?;
        let is_drive = letter.len() == 2 && letter.ends_with(':') && letter.as_bytes()[0].is_ascii_alphabetic();
        match &n.target {
            NameTarget::Link(t) if is_drive && t.eq_ignore_ascii_case(&name) => Some(letter.to_ascii_uppercase()),
            _ => None,
        }
    })
}

/// NTSTATUS IoVolumeDeviceToDosName(PVOID VolumeDeviceObject, PUNICODE_STRING DosName): the
/// volume's drive letter ("C:") in a NUL-terminated buffer from paged pool the caller frees
/// with ExFreePool. A device that is no volume with a drive letter answers as the mount
/// manager's query does: STATUS_INVALID_DEVICE_REQUEST.
pub fn IoVolumeDeviceToDosName(k: &mut Kx, device: Ptr, dos: PUnicodeString) -> KResult<NtStatus> {
    let Some(letter) = drive_letter(k, device.0) else { return Ok(status::INVALID_DEVICE_REQUEST) };
    let bytes = (letter.encode_utf16().count() as u64 + 1) * 2;
    const PAGED_POOL: u32 = 1;
    let Some(buffer) = crate::ex::pool::allocate_for_caller(k, PAGED_POOL, bytes, u32::from_le_bytes(*b" d2D"))? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    crate::ps::write_unicode(k, dos.0, buffer, &letter)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlVolumeDeviceToDosName(PVOID VolumeDeviceObject, PUNICODE_STRING DosName): the
/// older name of IoVolumeDeviceToDosName, which behaves identically.
pub fn RtlVolumeDeviceToDosName(k: &mut Kx, device: Ptr, dos: PUnicodeString) -> KResult<NtStatus> {
    IoVolumeDeviceToDosName(k, device, dos)
}

/// NTSTATUS IoQueryFileDosDeviceName(PFILE_OBJECT FileObject, POBJECT_NAME_INFORMATION
/// *ObjectNameInformation): the file's name with its volume's drive letter ("C:\dir\f.txt")
/// in an OBJECT_NAME_INFORMATION from paged pool the caller frees with ExFreePool. A file on
/// a device without a drive letter keeps the device's name, as Windows falls back to it.
pub fn IoQueryFileDosDeviceName(k: &mut Kx, file: Ptr, out: Ptr) -> KResult<NtStatus> {
    if k.ext().objects.get(file.0).map(|o| o.kind) != Some(crate::ob::ObjectKind::File) {
        return Err(crate::ob::bad_reference(k, file.0, "IoQueryFileDosDeviceName"));
    }
    let device = k.mem().get(file.0, FILE_OBJECT::DeviceObject)?;
    let prefix = match drive_letter(k, device) {
        Some(letter) => letter,
        None => k.ext().objects.get(device).and_then(|d| d.name.clone()).unwrap_or_default(),
    };
    let path = match crate::fs::open_of(k, file.0) {
        Some(o) => k.ext().volume.path_of(o.node),
        None => crate::rtl::unicode::read_unicode_string(k, FILE_OBJECT::FileName.at(k.arch(), file.0))?,
    };
    let name = format!("{prefix}{path}");
    let us = crate::layout::UNICODE_STRING::STRUCT.size(k.arch());
    let bytes = us + (name.encode_utf16().count() as u64 + 1) * 2;
    const PAGED_POOL: u32 = 1;
    let Some(info) = crate::ex::pool::allocate_for_caller(k, PAGED_POOL, bytes, u32::from_le_bytes(*b"IoNm"))? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    crate::ob::name::write_name_information(k, info, bytes, &name)?.ok();
    k.mem_mut().write_ptr(out.0, info)?;
    Ok(status::SUCCESS)
}
