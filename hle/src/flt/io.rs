//! I/O a minifilter starts itself: FltCreateFile(Ex, Ex2), FltReadFile, FltWriteFile,
//! FltQueryInformationFile, FltSetInformationFile, and callback data it fills and sends with
//! FltPerformSynchronousIo. Only the instances below the initiating one see it (all of them
//! when no instance is given), as fltmgr.sys targets such I/O. The volume completes requests
//! at once, so the asynchronous form (a CallbackRoutine) is not offered:
//! STATUS_NOT_SUPPORTED.
#![allow(non_snake_case)]

use super::layout::{size, FLT_CALLBACK_DATA as CBD, FLT_IO_PARAMETER_BLOCK as IOPB, FLT_PARAMETERS as P};
use super::ops::{FileOp, Params};
use crate::fs::open::{Create, FILE_APPEND_DATA, FILE_READ_DATA, FILE_WRITE_DATA};
use crate::io::ea::EaArgs;
use crate::io::major;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT, IO_STATUS_BLOCK};
use crate::ob::handles::Mode;
use crate::types::{status, NtStatus, Ptr, HANDLE};

/// FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET.
const DO_NOT_UPDATE_BYTE_OFFSET: u32 = 0x4;
pub const IRP_MJ_QUERY_INFORMATION: u8 = 0x05;
pub const IRP_MJ_SET_INFORMATION: u8 = 0x06;

fn below(instance: u64) -> Option<u64> {
    (instance != 0).then_some(instance)
}

/// FltCreateFileEx2's work; `file_object` receives the referenced file object.
#[allow(clippy::too_many_arguments)]
fn create(
    k: &mut Kx,
    filter: u64,
    instance: u64,
    handle: Ptr,
    file_object: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: EaArgs,
) -> KResult<NtStatus> {
    if super::filter(k, filter).is_none() || (instance != 0 && super::instance(k, instance).is_none()) {
        return Ok(status::INVALID_PARAMETER);
    }
    let allocation = if allocation.0 == 0 { 0 } else { k.mem().read_u64(allocation.0)? };
    let c = Create { access, attributes: file_attributes, share, disposition, options, allocation };
    let (st, fo) = crate::fs::open::create_below(k, handle, attributes, iosb, c, Mode::Kernel, below(instance), ea)?;
    if file_object.0 != 0 {
        if st.is_success() {
            crate::ob::handles::reference(k, fo);
            k.mem_mut().write_ptr(file_object.0, fo)?;
        } else {
            k.mem_mut().write_ptr(file_object.0, 0)?;
        }
    }
    Ok(st)
}

/// NTSTATUS FltCreateFile(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
/// ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK
/// IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
/// ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength, ULONG Flags).
/// An EaBuffer is checked as the I/O manager does (STATUS_EA_LIST_INCONSISTENT) and, the
/// volume keeping no extended attributes, refused: STATUS_EAS_NOT_SUPPORTED.
#[allow(clippy::too_many_arguments)]
pub fn FltCreateFile(
    k: &mut Kx,
    filter: Ptr,
    instance: Ptr,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: Ptr,
    ea_length: u32,
    _flags: u32,
) -> KResult<NtStatus> {
    let (f, i) = (filter.0, instance.0);
    let ea = EaArgs { buffer: ea, length: ea_length };
    create(
        k,
        f,
        i,
        handle,
        Ptr(0),
        access,
        attributes,
        iosb,
        allocation,
        file_attributes,
        share,
        disposition,
        options,
        ea,
    )
}

/// FltCreateFileEx: FltCreateFile that also returns the file object (referenced).
#[allow(clippy::too_many_arguments)]
pub fn FltCreateFileEx(
    k: &mut Kx,
    filter: Ptr,
    instance: Ptr,
    handle: Ptr,
    file_object: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: Ptr,
    ea_length: u32,
    _flags: u32,
) -> KResult<NtStatus> {
    let (f, i) = (filter.0, instance.0);
    create(
        k,
        f,
        i,
        handle,
        file_object,
        access,
        attributes,
        iosb,
        allocation,
        file_attributes,
        share,
        disposition,
        options,
        EaArgs { buffer: ea, length: ea_length },
    )
}

/// FltCreateFileEx2: FltCreateFileEx with an IO_DRIVER_CREATE_CONTEXT (its extra create
/// parameters name nothing the volume uses).
#[allow(clippy::too_many_arguments)]
pub fn FltCreateFileEx2(
    k: &mut Kx,
    filter: Ptr,
    instance: Ptr,
    handle: Ptr,
    file_object: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: Ptr,
    ea_length: u32,
    flags: u32,
    _driver_context: Ptr,
) -> KResult<NtStatus> {
    FltCreateFileEx(
        k,
        filter,
        instance,
        handle,
        file_object,
        access,
        attributes,
        iosb,
        allocation,
        file_attributes,
        share,
        disposition,
        options,
        ea,
        ea_length,
        flags,
    )
}

/// NTSTATUS FltClose(HANDLE FileHandle): ZwClose of a kernel handle.
pub fn FltClose(k: &mut Kx, handle: HANDLE) -> KResult<NtStatus> {
    crate::ob::handles::ZwClose(k, handle)
}

/// The volume node and access of a file object on the volume.
fn volume_file(k: &Kx, fo: u64) -> Option<(usize, u32)> {
    crate::fs::open_of(k, fo).map(|o| (o.node, o.access))
}

/// A read or write on `fo` below `instance`: (status, bytes).
fn transfer(
    k: &mut Kx,
    instance: u64,
    fo: u64,
    write: bool,
    offset: Option<u64>,
    length: u32,
    buffer: u64,
    keep_position: bool,
) -> KResult<(NtStatus, u64)> {
    let Some((node, access)) = volume_file(k, fo) else { return Ok((status::INVALID_DEVICE_REQUEST, 0)) };
    let need = if write { FILE_WRITE_DATA | FILE_APPEND_DATA } else { FILE_READ_DATA };
    if access & need == 0 {
        return Ok((status::ACCESS_DENIED, 0));
    }
    if k.ext().volume.node(node).directory {
        return Ok((status::INVALID_DEVICE_REQUEST, 0));
    }
    let position = k.mem().get(fo, FILE_OBJECT::CurrentByteOffset)?;
    let offset = offset.unwrap_or(position);
    let m = if write { major::WRITE } else { major::READ };
    let op = FileOp { below: below(instance), ..crate::fs::rw::transfer_op(m, fo, length, offset, buffer, false) };
    let at = crate::kernel::caller(k);
    let r = super::ops::filtered(k, op, |k, p| {
        if write {
            crate::fs::rw::write_at(k, fo, node, p, at)
        } else {
            crate::fs::rw::read_at(k, fo, node, p)
        }
    })?;
    if keep_position {
        k.mem_mut().set(fo, FILE_OBJECT::CurrentByteOffset, position)?;
    }
    Ok(r)
}

/// The common part of FltReadFile and FltWriteFile.
#[allow(clippy::too_many_arguments)]
fn read_write(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    byte_offset: Ptr,
    length: u32,
    buffer: Ptr,
    flags: u32,
    done: Ptr,
    callback: Ptr,
    write: bool,
) -> KResult<NtStatus> {
    if callback.0 != 0 {
        return Ok(status::NOT_SUPPORTED);
    }
    let offset = if byte_offset.0 == 0 { None } else { Some(k.mem().read_u64(byte_offset.0)?) };
    let keep = flags & DO_NOT_UPDATE_BYTE_OFFSET != 0;
    let (st, n) = transfer(k, instance.0, fo.0, write, offset, length, buffer.0, keep)?;
    if done.0 != 0 {
        k.mem_mut().write_u32(done.0, n as u32)?;
    }
    Ok(st)
}

/// NTSTATUS FltReadFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject,
/// PLARGE_INTEGER ByteOffset, ULONG Length, PVOID Buffer, FLT_IO_OPERATION_FLAGS Flags,
/// PULONG BytesRead, PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext)
#[allow(clippy::too_many_arguments)]
pub fn FltReadFile(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    byte_offset: Ptr,
    length: u32,
    buffer: Ptr,
    flags: u32,
    read: Ptr,
    callback: Ptr,
    _context: Ptr,
) -> KResult<NtStatus> {
    read_write(k, instance, fo, byte_offset, length, buffer, flags, read, callback, false)
}

/// NTSTATUS FltWriteFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject,
/// PLARGE_INTEGER ByteOffset, ULONG Length, PVOID Buffer, FLT_IO_OPERATION_FLAGS Flags,
/// PULONG BytesWritten, PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext)
#[allow(clippy::too_many_arguments)]
pub fn FltWriteFile(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    byte_offset: Ptr,
    length: u32,
    buffer: Ptr,
    flags: u32,
    written: Ptr,
    callback: Ptr,
    _context: Ptr,
) -> KResult<NtStatus> {
    read_write(k, instance, fo, byte_offset, length, buffer, flags, written, callback, true)
}

/// Query (`set` false) or set information on `fo` below `instance` (all instances for 0):
/// (status, bytes).
pub(crate) fn information(
    k: &mut Kx,
    instance: u64,
    fo: u64,
    buffer: u64,
    length: u32,
    class: u32,
    set: bool,
) -> KResult<(NtStatus, u64)> {
    let Some((node, access)) = volume_file(k, fo) else { return Ok((status::INVALID_DEVICE_REQUEST, 0)) };
    let m = if set { IRP_MJ_SET_INFORMATION } else { IRP_MJ_QUERY_INFORMATION };
    let params = if set {
        Params::SetInformation { length, class, buffer }
    } else {
        Params::QueryInformation { length, class, buffer }
    };
    let op = FileOp { major: m, file_object: fo, user: false, params, below: below(instance) };
    super::ops::filtered(k, op, |k, p| {
        let (Params::SetInformation { length, class, buffer } | Params::QueryInformation { length, class, buffer }) = p
        else {
            return Ok((status::INVALID_PARAMETER, 0));
        };
        let iosb = crate::ex::pool::kernel_alloc(k, 16, b"FMio")?;
        let st = if set {
            crate::fs::info::set_information(k, fo, node, access, Ptr(iosb), Ptr(buffer), length, class)?
        } else {
            crate::fs::info::query_information(k, fo, node, access, Ptr(iosb), Ptr(buffer), length, class)?
        };
        let n = if st.is_success() || st == status::BUFFER_OVERFLOW {
            k.mem().get(iosb, IO_STATUS_BLOCK::Information)?
        } else {
            0
        };
        crate::ex::pool::free(k, iosb, None, 0)?;
        Ok((st, n))
    })
}

/// NTSTATUS FltQueryInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
/// PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass,
/// PULONG LengthReturned)
pub fn FltQueryInformationFile(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
    returned: Ptr,
) -> KResult<NtStatus> {
    let (st, n) = information(k, instance.0, fo.0, info.0, length, class, false)?;
    if returned.0 != 0 {
        k.mem_mut().write_u32(returned.0, n as u32)?;
    }
    Ok(st)
}

/// NTSTATUS FltSetInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
/// PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)
pub fn FltSetInformationFile(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
) -> KResult<NtStatus> {
    Ok(information(k, instance.0, fo.0, info.0, length, class, true)?.0)
}

/// NTSTATUS FltAllocateCallbackData(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
/// PFLT_CALLBACK_DATA *RetNewCallbackData): a zeroed callback data the filter fills and
/// sends with FltPerformSynchronousIo.
pub fn FltAllocateCallbackData(k: &mut Kx, instance: Ptr, fo: Ptr, out: Ptr) -> KResult<NtStatus> {
    let Some(owner) = super::filter_of(k, instance.0).map(|f| super::owner_of(k, f)) else {
        return Ok(status::INVALID_PARAMETER);
    };
    let arch = k.arch();
    let total = size(CBD::SIZE, arch) + size(IOPB::SIZE, arch);
    let at = crate::kernel::caller(k);
    let Some(block) = crate::ex::pool::allocate(
        k,
        crate::ex::pool::NON_PAGED_POOL_NX,
        total,
        u32::from_le_bytes(*b"FMcd"),
        owner,
        at,
    )?
    else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    crate::ex::pool::zero(k, block, total)?;
    let iopb = block + size(CBD::SIZE, arch);
    let thread = crate::ps::current_thread(k)?;
    let mem = k.mem_mut();
    // An IRP operation the filter generated.
    mem.set(block, CBD::Flags, super::ops::IRP_OPERATION | 0x1_0000)?;
    mem.set(block, CBD::Thread, thread)?;
    mem.set(block, CBD::Iopb, iopb)?;
    mem.set(iopb, IOPB::TargetFileObject, fo.0)?;
    mem.set(iopb, IOPB::TargetInstance, instance.0)?;
    k.ext_mut().flt.callback_data.insert(block);
    k.mem_mut().write_ptr(out.0, block)?;
    Ok(status::SUCCESS)
}

/// VOID FltFreeCallbackData(PFLT_CALLBACK_DATA CallbackData)
pub fn FltFreeCallbackData(k: &mut Kx, data: Ptr) -> KResult<()> {
    if k.ext_mut().flt.callback_data.remove(&data.0) {
        super::buffers::release(k, data.0)?;
        crate::ex::pool::free(k, data.0, None, 0)?;
    }
    Ok(())
}

/// VOID FltPerformSynchronousIo(PFLT_CALLBACK_DATA CallbackData): sends the operation the
/// filter described (IRP_MJ_READ, WRITE, QUERY_INFORMATION, SET_INFORMATION) below its
/// instance; the result is in CallbackData->IoStatus. Other operations complete with
/// STATUS_NOT_SUPPORTED.
pub fn FltPerformSynchronousIo(k: &mut Kx, data: Ptr) -> KResult<()> {
    if !k.ext().flt.callback_data.contains(&data.0) {
        return Ok(());
    }
    let arch = k.arch();
    let iopb = k.mem().get(data.0, CBD::Iopb)?;
    let m = k.mem().get(iopb, IOPB::MajorFunction)? as u8;
    let fo = k.mem().get(iopb, IOPB::TargetFileObject)?;
    let instance = k.mem().get(iopb, IOPB::TargetInstance)?;
    let p = IOPB::Parameters.at(arch, iopb);
    let (st, n) = match m {
        major::READ | major::WRITE => {
            let length = k.mem().get(p, P::Length)? as u32;
            let offset = k.mem().get(p, P::ByteOffset)?;
            let buffer = k.mem().get(p, P::Buffer)?;
            transfer(k, instance, fo, m == major::WRITE, Some(offset), length, buffer, false)?
        }
        IRP_MJ_QUERY_INFORMATION | IRP_MJ_SET_INFORMATION => {
            let length = k.mem().get(p, P::Length)? as u32;
            let class = k.mem().get(p, P::InfoClass)? as u32;
            // QueryFileInformation.InfoBuffer and SetFileInformation.InfoBuffer differ.
            let buffer = if m == IRP_MJ_SET_INFORMATION {
                k.mem().get(p, P::SetInfoBuffer)?
            } else {
                k.mem().get(p, P::QueryInfoBuffer)?
            };
            information(k, instance, fo, buffer, length, class, m == IRP_MJ_SET_INFORMATION)?
        }
        _ => (status::NOT_SUPPORTED, 0),
    };
    let io = CBD::IoStatus.at(arch, data.0);
    k.mem_mut().set(io, IO_STATUS_BLOCK::Status, st.0 as u64)?;
    k.mem_mut().set(io, IO_STATUS_BLOCK::Information, n)?;
    Ok(())
}

/// VOID FltCancelFileOpen(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject): from a
/// post-create callback, undoes the open: the create fails with the status the callback sets
/// (STATUS_UNSUCCESSFUL if it leaves a success) and the volume closes the file.
pub fn FltCancelFileOpen(k: &mut Kx, _instance: Ptr, fo: Ptr) -> KResult<()> {
    k.ext_mut().flt.cancelled.insert(fo.0);
    Ok(())
}

/// NTSTATUS FltFlushBuffers(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject): the volume is
/// memory; a file on it has nothing to write back.
pub fn FltFlushBuffers(k: &mut Kx, _instance: Ptr, fo: Ptr) -> KResult<NtStatus> {
    Ok(if volume_file(k, fo.0).is_some() { status::SUCCESS } else { status::INVALID_DEVICE_REQUEST })
}

/// NTSTATUS FltIsDirectory(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance, PBOOLEAN
/// IsDirectory)
pub fn FltIsDirectory(k: &mut Kx, fo: Ptr, _instance: Ptr, out: Ptr) -> KResult<NtStatus> {
    let Some((node, _)) = volume_file(k, fo.0) else { return Ok(status::INVALID_PARAMETER) };
    let dir = k.ext().volume.node(node).directory;
    k.mem_mut().write(out.0, &[dir as u8])?;
    Ok(status::SUCCESS)
}
