//! A file's main lock as Mm takes it around creating a section: `FsRtlAcquireFileExclusive`,
//! `FsRtlReleaseFile`.
//!
//! Windows enters a critical region, then asks the file system through its fast I/O table
//! (AcquireFileForNtCreateSection / ReleaseFileForNtCreateSection of the driver of the
//! file's related device) or, when it has no such routine, takes the main ERESOURCE of the
//! file's FSRTL_COMMON_FCB_HEADER (FileObject->FsContext->Resource) exclusively. A file with
//! neither (the emulated volume's files: no file system driver, no FCB) has no lock to take.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_OBJECT, FILE_OBJECT};
use crate::types::{Boolean, Ptr};
use portcullis_emu::CallConv;

/// FAST_IO_DISPATCH's AcquireFileForNtCreateSection (index 10 after the ULONG size) and
/// ReleaseFileForNtCreateSection (11).
fn fast_io_routine(k: &mut Kx, fo: u64, index: u64) -> KResult<u64> {
    let device = crate::io::stack::IoGetRelatedDeviceObject(k, Ptr(fo))?.0;
    if device == 0 {
        return Ok(0);
    }
    let driver = k.mem().get(device, DEVICE_OBJECT::DriverObject)?;
    let table = if driver == 0 { 0 } else { k.mem().get(driver, DRIVER_OBJECT::FastIoDispatch)? };
    if table == 0 {
        return Ok(0);
    }
    let ps = k.arch().ptr_size();
    Ok(k.mem().read_ptr(table + ps + index * ps)?)
}

/// FileObject->FsContext->Resource (FSRTL_COMMON_FCB_HEADER.Resource at 8 on both
/// architectures), 0 when the file has no FCB header or no resource.
fn main_resource(k: &Kx, fo: u64) -> KResult<u64> {
    let header = k.mem().get(fo, FILE_OBJECT::FsContext)?;
    if header == 0 {
        return Ok(0);
    }
    Ok(k.mem().read_ptr(header + 8)?)
}

/// VOID FsRtlAcquireFileExclusive(PFILE_OBJECT FileObject)
pub fn FsRtlAcquireFileExclusive(k: &mut Kx, fo: Ptr) -> KResult<()> {
    crate::ke::apc::KeEnterCriticalRegion(k)?;
    let routine = fast_io_routine(k, fo.0, 10)?;
    if routine != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, routine, &[fo.0], conv)?;
        return Ok(());
    }
    let resource = main_resource(k, fo.0)?;
    if resource != 0 {
        crate::ex::resource::ExAcquireResourceExclusiveLite(k, Ptr(resource), Boolean(true))?;
    }
    Ok(())
}

/// VOID FsRtlReleaseFile(PFILE_OBJECT FileObject)
pub fn FsRtlReleaseFile(k: &mut Kx, fo: Ptr) -> KResult<()> {
    let routine = fast_io_routine(k, fo.0, 11)?;
    if routine != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, routine, &[fo.0], conv)?;
    } else {
        let resource = main_resource(k, fo.0)?;
        if resource != 0 {
            crate::ex::resource::ExReleaseResourceLite(k, Ptr(resource))?;
        }
    }
    crate::ke::apc::KeLeaveCriticalRegion(k)
}
