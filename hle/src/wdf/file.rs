//! WDFFILEOBJECT (`wdffileobject.h`): the framework's object for each FILE_OBJECT opened on
//! a device, made at IRP_MJ_CREATE (unless the device's WDF_FILEOBJECT_CONFIG says
//! WdfFileObjectNotRequired) and passed to EvtDeviceFileCreate, EvtFileCleanup and
//! EvtFileClose; it is deleted after EvtFileClose, or when its create fails.
#![allow(non_snake_case)]

use super::device::{file_class, Device};
use super::object::{self, ObjectKind};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT, IO_STACK_LOCATION, IRP};
use crate::types::Ptr;

/// A WDFFILEOBJECT.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileObject {
    /// Its FILE_OBJECT.
    pub wdm: u64,
    pub device: u64,
}

/// The FILE_OBJECT of an IRP's current stack location.
pub(crate) fn wdm_file_of(k: &Kx, irp: u64) -> KResult<u64> {
    let loc = k.mem().get(irp, IRP::CurrentStackLocation)?;
    Ok(k.mem().get(loc, IO_STACK_LOCATION::FileObject)?)
}

/// The WDFFILEOBJECT for a FILE_OBJECT, if the framework made one.
pub(crate) fn of_wdm(k: &Kx, wdm: u64) -> Option<u64> {
    k.ext().wdf.by_file_object.get(&wdm).copied()
}

/// IRP_MJ_CREATE: the WDFFILEOBJECT for `wdm`, a child of the device with the attributes of
/// its file object configuration (none without a FILE_OBJECT or when not required).
pub(crate) fn created(k: &mut Kx, device_h: u64, dev: &Device, wdm: u64) -> KResult<Option<u64>> {
    if wdm == 0 || dev.file.class == file_class::NOT_REQUIRED {
        return Ok(None);
    }
    let b = object::expect(k, "FxDispatch", device_h, ObjectKind::Device)?.binding;
    let h = object::create(k, b, ObjectKind::FileObject, &dev.file.attributes, Some(device_h))?;
    let fw = &mut k.ext_mut().wdf;
    fw.files.insert(h, FileObject { wdm, device: device_h });
    fw.by_file_object.insert(wdm, h);
    Ok(Some(h))
}

/// The object is being deleted: it no longer stands for its FILE_OBJECT.
pub(crate) fn destroy(k: &mut Kx, handle: u64) {
    let fw = &mut k.ext_mut().wdf;
    if let Some(f) = fw.files.remove(&handle) {
        fw.by_file_object.remove(&f.wdm);
    }
}

fn file(k: &mut Kx, function: &str, handle: u64) -> KResult<FileObject> {
    object::expect(k, function, handle, ObjectKind::FileObject)?;
    Ok(k.ext().wdf.files.get(&handle).copied().unwrap_or_default())
}

/// WDFFILEOBJECT WdfRequestGetFileObject(WDFREQUEST Request): NULL when the request has no
/// file object the framework tracks.
pub fn WdfRequestGetFileObject(k: &mut Kx, _globals: Ptr, request: Ptr) -> KResult<Ptr> {
    let r = super::request::live(k, "WdfRequestGetFileObject", request.0)?;
    let wdm = wdm_file_of(k, r.irp)?;
    Ok(Ptr(if wdm == 0 { 0 } else { of_wdm(k, wdm).unwrap_or(0) }))
}

/// PUNICODE_STRING WdfFileObjectGetFileName(WDFFILEOBJECT FileObject): the FILE_OBJECT's
/// FileName (the part of the path after the device's name).
pub fn WdfFileObjectGetFileName(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    let f = file(k, "WdfFileObjectGetFileName", handle.0)?;
    Ok(Ptr(FILE_OBJECT::FileName.at(k.arch(), f.wdm)))
}

/// WDFDEVICE WdfFileObjectGetDevice(WDFFILEOBJECT FileObject)
pub fn WdfFileObjectGetDevice(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(file(k, "WdfFileObjectGetDevice", handle.0)?.device))
}

/// PFILE_OBJECT WdfFileObjectWdmGetFileObject(WDFFILEOBJECT FileObject)
pub fn WdfFileObjectWdmGetFileObject(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(file(k, "WdfFileObjectWdmGetFileObject", handle.0)?.wdm))
}
