//! FILE_OBJECT: what an open of a device creates, and the host's record of it.

use crate::ex::pool;
use crate::io::io_type;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DISPATCHER_HEADER, FILE_OBJECT, KEVENT, UNICODE_STRING};
use crate::ob::{ObjectKind, Owner};

/// FILE_OBJECT.Flags: FO_SYNCHRONOUS_IO, as a handle opened without FILE_FLAG_OVERLAPPED has.
const FO_SYNCHRONOUS_IO: u64 = 0x2;

/// An open handle of the simulated user program.
#[derive(Clone, Debug)]
pub struct OpenFile {
    pub file_object: u64,
    pub device: u64,
    /// The path it was opened with.
    pub path: String,
    /// The device was deleted while this file was open.
    pub device_deleted: bool,
    /// The access the handle grants (specific rights).
    pub access: u32,
}

/// Creates a FILE_OBJECT on `device` for `name` (the part of the path after the device), for
/// the simulated user program (the I/O manager keeps it until that program closes it).
pub fn create(k: &mut Kx, device: u64, name: &str) -> KResult<u64> {
    let file = build(k, device, name)?;
    k.ext_mut().objects.register(file, ObjectKind::File, None, Owner::Kernel);
    Ok(file)
}

/// A FILE_OBJECT a driver opens (through a handle): it goes with its last handle and
/// reference. `flags` are its FO_* flags; `access` says which of ReadAccess, WriteAccess,
/// DeleteAccess it has and `share` which Shared* it grants.
pub fn create_transient(k: &mut Kx, device: u64, name: &str, flags: u64, access: u32, share: u32) -> KResult<u64> {
    let file = build(k, device, name)?;
    let mem = k.mem_mut();
    mem.set(file, FILE_OBJECT::Flags, flags)?;
    mem.set(file, FILE_OBJECT::ReadAccess, (access & 0x21 != 0) as u64)?; // FILE_READ_DATA | FILE_EXECUTE
    mem.set(file, FILE_OBJECT::WriteAccess, (access & 0x6 != 0) as u64)?; // FILE_WRITE_DATA | FILE_APPEND_DATA
    mem.set(file, FILE_OBJECT::DeleteAccess, (access & 0x1_0000 != 0) as u64)?;
    mem.set(file, FILE_OBJECT::SharedRead, (share & 1 != 0) as u64)?;
    mem.set(file, FILE_OBJECT::SharedWrite, (share & 2 != 0) as u64)?;
    mem.set(file, FILE_OBJECT::SharedDelete, (share & 4 != 0) as u64)?;
    let owner = crate::ob::handles::owner_of_call(k);
    k.ext_mut().objects.register_transient(file, ObjectKind::File, None, owner, false);
    Ok(file)
}

fn build(k: &mut Kx, device: u64, name: &str) -> KResult<u64> {
    let arch = k.arch();
    let size = FILE_OBJECT::STRUCT.size(arch);
    let units: Vec<u16> = name.encode_utf16().collect();
    let name_bytes = (units.len() as u64 + 1) * 2;
    let file = pool::kernel_alloc(k, size + name_bytes, b"File")?;
    let buffer = file + size;
    let mem = k.mem_mut();
    mem.set(file, FILE_OBJECT::Type, io_type::FILE)?;
    mem.set(file, FILE_OBJECT::Size, size)?;
    mem.set(file, FILE_OBJECT::DeviceObject, device)?;
    mem.set(file, FILE_OBJECT::Flags, FO_SYNCHRONOUS_IO)?;
    mem.set(file, FILE_OBJECT::ReadAccess, 1)?;
    mem.set(file, FILE_OBJECT::WriteAccess, 1)?;
    let fname = FILE_OBJECT::FileName.at(arch, file);
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    mem.write(buffer, &bytes)?;
    mem.set(fname, UNICODE_STRING::Length, bytes.len() as u64)?;
    mem.set(fname, UNICODE_STRING::MaximumLength, name_bytes)?;
    mem.set(fname, UNICODE_STRING::Buffer, if units.is_empty() { 0 } else { buffer })?;
    // The file's event: a notification event, not signalled.
    let event = FILE_OBJECT::Event.at(arch, file);
    let header = KEVENT::Header.at(arch, event);
    mem.set(header, DISPATCHER_HEADER::Type, 0)?;
    let wait = DISPATCHER_HEADER::WaitListHead.at(arch, header);
    mem.write_ptr(wait, wait)?;
    mem.write_ptr(wait + arch.ptr_size(), wait)?;
    Ok(file)
}

pub fn destroy(k: &mut Kx, file: u64) -> KResult<()> {
    k.ext_mut().objects.unregister(file);
    pool::free(k, file, None, 0)
}

/// PTXN_PARAMETER_BLOCK IoGetTransactionParameterBlock(PFILE_OBJECT FileObject): the
/// transaction (KTM/TxF) the file was opened in. No transactions exist here, so no file object
/// is part of one: NULL. The file object is read as Windows reads it (an unmapped one is the
/// kernel's access violation).
pub fn IoGetTransactionParameterBlock(k: &mut Kx, file: crate::types::Ptr) -> KResult<crate::types::Ptr> {
    k.mem().get(file.0, FILE_OBJECT::Type)?;
    Ok(crate::types::Ptr::NULL)
}
