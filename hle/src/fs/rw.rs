//! Reading and writing files: `ZwReadFile`, `ZwWriteFile`, `ZwFlushBuffersFile`.
//!
//! Requests on the volume complete at once; the IO_STATUS_BLOCK says how, as it does for a
//! synchronous completion on Windows, and an Event handle given is reset when the request
//! starts and set when it completes (KeSetEvent: a thread waiting on it wakes). An APC routine
//! is not delivered: user-mode APCs have no user-mode thread to run on here.
#![allow(non_snake_case)]

use super::open::{io_status, FILE_APPEND_DATA, FILE_READ_DATA, FILE_WRITE_DATA};
use super::FileChange;
use crate::flt::ops::{FileOp, Params};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT};
use crate::ob::handles::{self, Mode};
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, Ptr, HANDLE};

const FO_SYNCHRONOUS_IO: u64 = 0x2;
/// FILE_USE_FILE_POINTER_POSITION and FILE_WRITE_TO_END_OF_FILE as LARGE_INTEGERs.
const USE_FILE_POINTER: u64 = 0xFFFF_FFFF_FFFF_FFFE;
const WRITE_TO_END: u64 = u64::MAX;

/// The volume file a handle names: (file object, node, access it was opened with).
pub(crate) fn volume_file(k: &Kx, handle: u64) -> KResult<Result<(u64, usize, u32), NtStatus>> {
    let Some((object, _, _)) = handles::lookup(k, handle, Mode::Kernel)? else {
        return Ok(Err(status::INVALID_HANDLE));
    };
    if k.ext().objects.get(object).map(|o| o.kind) != Some(ObjectKind::File) {
        return Ok(Err(status::OBJECT_TYPE_MISMATCH));
    }
    match super::open_of(k, object) {
        Some(o) => Ok(Ok((object, o.node, o.access))),
        // A file on another driver's device: its requests go as IRPs.
        None => Ok(Err(status::INVALID_DEVICE_REQUEST)),
    }
}

/// The Event a request names, checked before the request starts (and reset, as the I/O
/// manager resets it).
pub(crate) fn event_of(k: &mut Kx, event: HANDLE) -> KResult<Result<Option<u64>, NtStatus>> {
    if event.0 == 0 {
        return Ok(Ok(None));
    }
    match handles::lookup(k, event.0, Mode::Kernel)? {
        Some((o, _, _)) if k.ext().objects.get(o).map(|i| i.kind) == Some(ObjectKind::Event) => {
            crate::ke::dispatcher::set_signal_state(k, o, 0)?;
            Ok(Ok(Some(o)))
        }
        Some(_) => Ok(Err(status::OBJECT_TYPE_MISMATCH)),
        None => Ok(Err(status::INVALID_HANDLE)),
    }
}

/// Completes a request: its IO_STATUS_BLOCK and its event.
fn complete(k: &mut Kx, iosb: Ptr, event: Option<u64>, st: NtStatus, information: u64) -> KResult<NtStatus> {
    io_status(k, iosb, st, information)?;
    if let Some(e) = event {
        crate::ke::event::set(k, e)?;
    }
    Ok(st)
}

/// The offset a request works at: its ByteOffset, or the file's position for a synchronous
/// file (`append` for FILE_WRITE_TO_END_OF_FILE and append-only opens).
pub(crate) fn offset_of(k: &Kx, fo: u64, byte_offset: Ptr, append: Option<u64>) -> KResult<Result<u64, NtStatus>> {
    let given = if byte_offset.is_null() { USE_FILE_POINTER } else { k.mem().read_u64(byte_offset.0)? };
    if let Some(end) = append {
        if given == WRITE_TO_END {
            return Ok(Ok(end));
        }
    }
    if given == USE_FILE_POINTER {
        if k.mem().get(fo, FILE_OBJECT::Flags)? & FO_SYNCHRONOUS_IO == 0 {
            return Ok(Err(status::INVALID_PARAMETER));
        }
        return Ok(Ok(k.mem().get(fo, FILE_OBJECT::CurrentByteOffset)?));
    }
    if given >> 63 != 0 {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    Ok(Ok(given))
}

/// Moves a synchronous file's position after a transfer.
fn advance(k: &mut Kx, fo: u64, to: u64) -> KResult<()> {
    if k.mem().get(fo, FILE_OBJECT::Flags)? & FO_SYNCHRONOUS_IO != 0 {
        k.mem_mut().set(fo, FILE_OBJECT::CurrentByteOffset, to)?;
    }
    Ok(())
}

/// NTSTATUS ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
/// PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
/// PLARGE_INTEGER ByteOffset, PULONG Key)
pub fn ZwReadFile(
    k: &mut Kx,
    handle: HANDLE,
    event: HANDLE,
    _apc: Ptr,
    _apc_context: Ptr,
    iosb: Ptr,
    buffer: Ptr,
    length: u32,
    byte_offset: Ptr,
    _key: Ptr,
) -> KResult<NtStatus> {
    let (fo, node, access) = match volume_file(k, handle.0)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let event = match event_of(k, event)? {
        Ok(e) => e,
        Err(st) => return Ok(st),
    };
    if access & FILE_READ_DATA == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    if k.ext().volume.node(node).directory {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let offset = match offset_of(k, fo, byte_offset, None)? {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    let op = transfer_op(crate::io::major::READ, fo, length, offset, buffer.0, false);
    let (st, n) = crate::flt::ops::filtered(k, op, |k, p| read_at(k, fo, node, p))?;
    complete(k, iosb, event, st, n)
}

/// A read or write on the volume as the minifilters see it.
pub(crate) fn transfer_op(major: u8, fo: u64, length: u32, offset: u64, buffer: u64, user: bool) -> FileOp {
    FileOp { major, file_object: fo, user, params: Params::Transfer { length, offset, buffer }, below: None }
}

/// The volume's read: `length` bytes at `offset` into `buffer`; the file position follows.
pub(crate) fn read_at(k: &mut Kx, fo: u64, node: usize, p: Params) -> KResult<(NtStatus, u64)> {
    let Params::Transfer { length, offset, buffer } = p else { return Ok((status::INVALID_PARAMETER, 0)) };
    let time = crate::ke::time::system_time(k);
    let data = &k.ext().volume.node(node).data;
    if offset >= data.len() as u64 && length > 0 {
        return Ok((status::END_OF_FILE, 0));
    }
    let end = offset.saturating_add(length as u64).min(data.len() as u64);
    let bytes = data[offset as usize..end as usize].to_vec();
    k.mem_mut().write(buffer, &bytes)?;
    k.ext_mut().volume.node_mut(node).accessed = time;
    advance(k, fo, end)?;
    Ok((status::SUCCESS, bytes.len() as u64))
}

/// NTSTATUS ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
/// PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
/// PLARGE_INTEGER ByteOffset, PULONG Key): a file opened for appending only, or a
/// ByteOffset of FILE_WRITE_TO_END_OF_FILE, writes at its end; a gap before the offset
/// reads as zeros.
pub fn ZwWriteFile(
    k: &mut Kx,
    handle: HANDLE,
    event: HANDLE,
    _apc: Ptr,
    _apc_context: Ptr,
    iosb: Ptr,
    buffer: Ptr,
    length: u32,
    byte_offset: Ptr,
    _key: Ptr,
) -> KResult<NtStatus> {
    let (fo, node, access) = match volume_file(k, handle.0)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let event = match event_of(k, event)? {
        Ok(e) => e,
        Err(st) => return Ok(st),
    };
    if access & (FILE_WRITE_DATA | FILE_APPEND_DATA) == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    if k.ext().volume.node(node).directory {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let size = k.ext().volume.node(node).data.len() as u64;
    let offset = if access & FILE_WRITE_DATA == 0 {
        size
    } else {
        match offset_of(k, fo, byte_offset, Some(size))? {
            Ok(o) => o,
            Err(st) => return Ok(st),
        }
    };
    let at = caller(k);
    let op = transfer_op(crate::io::major::WRITE, fo, length, offset, buffer.0, false);
    let (st, n) = crate::flt::ops::filtered(k, op, |k, p| write_at(k, fo, node, p, at))?;
    complete(k, iosb, event, st, n)
}

/// The volume's write of `length` bytes from `buffer` at `offset`; `at` is the caller.
pub(crate) fn write_at(k: &mut Kx, fo: u64, node: usize, p: Params, at: u64) -> KResult<(NtStatus, u64)> {
    let Params::Transfer { length, offset, buffer } = p else { return Ok((status::INVALID_PARAMETER, 0)) };
    let end = offset.saturating_add(length as u64);
    if end > super::MAX_FILE {
        return Ok((status::DISK_FULL, 0));
    }
    let mut bytes = vec![0u8; length as usize];
    k.mem().read(buffer, &mut bytes)?;
    let time = crate::ke::time::system_time(k);
    let vol = &mut k.ext_mut().volume;
    let n = vol.node_mut(node);
    if (n.data.len() as u64) < end {
        n.data.resize(end as usize, 0);
    }
    n.data[offset as usize..end as usize].copy_from_slice(&bytes);
    n.written = time;
    n.changed = time;
    n.attributes |= super::FILE_ATTRIBUTE_ARCHIVE;
    let size = n.data.len() as u64;
    let path = vol.path_of(node);
    super::record(
        k,
        FileChange {
            operation: "write",
            path,
            from: None,
            offset: Some(offset),
            length: Some(length as u64),
            size,
            caller: at,
        },
    );
    advance(k, fo, end)?;
    Ok((status::SUCCESS, length as u64))
}

/// NTSTATUS ZwFlushBuffersFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock): the
/// volume is memory; there is nothing to write back.
pub fn ZwFlushBuffersFile(k: &mut Kx, handle: HANDLE, iosb: Ptr) -> KResult<NtStatus> {
    match volume_file(k, handle.0)? {
        Ok(_) => {
            io_status(k, iosb, status::SUCCESS, 0)?;
            Ok(status::SUCCESS)
        }
        Err(st) => Ok(st),
    }
}
