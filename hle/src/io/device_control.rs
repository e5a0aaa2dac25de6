//! ZwDeviceIoControlFile: a device control a driver sends through a handle to a file it
//! opened on another driver's device (ZwCreateFile on `\Device\X`).
//!
//! The request is the one IoBuildDeviceIoControlRequest builds (its buffers by the code's
//! transfer method, the IoStatusBlock and the Event written and set when it completes), with
//! the file object in its stack location, sent in kernel mode to the top of the file's device
//! stack. The routine returns what the dispatch routine returned: STATUS_PENDING for a
//! request the driver leaves pending, whose IoStatusBlock and Event say when it is done (a
//! kernel routine here cannot wait for it on behalf of a synchronous file object without
//! parking its caller). An APC routine is not delivered: there is no user-mode thread to run
//! it on. A file on the volume gets the file system's answer to a device control it does not
//! know: STATUS_INVALID_DEVICE_REQUEST.
//!
//! ZwFsControlFile is the same request for a file system control: IRP_MJ_FILE_SYSTEM_CONTROL
//! with IRP_MN_USER_FS_REQUEST, Parameters.FileSystemControl laid out as DeviceIoControl's
//! (buffers by the FSCTL code's transfer method). The in-memory volume knows no FSCTL: a
//! file on it gets STATUS_INVALID_DEVICE_REQUEST, as for a device control.
#![allow(non_snake_case)]

use crate::io::major;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION, IRP};
use crate::ob::handles::{self, Mode};
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

/// IRP_MN_USER_FS_REQUEST: a file system control from a caller (not a mount or verify).
const IRP_MN_USER_FS_REQUEST: u64 = 0;

/// Whether `len` bytes at `va` are there (the probe the I/O manager makes of a kernel
/// caller's buffers before it builds the request).
fn present(k: &Kx, va: u64, len: u32) -> bool {
    len == 0 || (va != 0 && k.mem().translate(va).is_some() && k.mem().translate(va + len as u64 - 1).is_some())
}

/// NTSTATUS ZwDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE
/// ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID
/// InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)
#[allow(clippy::too_many_arguments)]
pub fn ZwDeviceIoControlFile(
    k: &mut Kx,
    handle: HANDLE,
    event: HANDLE,
    _apc: Ptr,
    _apc_context: Ptr,
    iosb: Ptr,
    code: u32,
    input: Ptr,
    in_len: u32,
    output: Ptr,
    out_len: u32,
) -> KResult<NtStatus> {
    let buffers = Buffers { input, in_len, output, out_len };
    send(k, handle, event, iosb, code, buffers, major::DEVICE_CONTROL)
}

/// NTSTATUS ZwFsControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
/// PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG FsControlCode, PVOID InputBuffer,
/// ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)
#[allow(clippy::too_many_arguments)]
pub fn ZwFsControlFile(
    k: &mut Kx,
    handle: HANDLE,
    event: HANDLE,
    _apc: Ptr,
    _apc_context: Ptr,
    iosb: Ptr,
    code: u32,
    input: Ptr,
    in_len: u32,
    output: Ptr,
    out_len: u32,
) -> KResult<NtStatus> {
    let buffers = Buffers { input, in_len, output, out_len };
    send(k, handle, event, iosb, code, buffers, major::FILE_SYSTEM_CONTROL)
}

/// The caller's input and output buffers.
struct Buffers {
    input: Ptr,
    in_len: u32,
    output: Ptr,
    out_len: u32,
}

/// Builds the control request (`major_code`: device or file system control) for the file
/// behind `handle` and sends it to the top of the file's device stack.
fn send(
    k: &mut Kx,
    handle: HANDLE,
    event: HANDLE,
    iosb: Ptr,
    code: u32,
    b: Buffers,
    major_code: u8,
) -> KResult<NtStatus> {
    let Buffers { input, in_len, output, out_len } = b;
    let Some((fo, _, _)) = handles::lookup(k, handle.0, Mode::Kernel)? else { return Ok(status::INVALID_HANDLE) };
    if k.ext().objects.get(fo).map(|o| o.kind) != Some(ObjectKind::File) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    let event = match crate::fs::rw::event_of(k, event)? {
        Ok(e) => e,
        Err(st) => return Ok(st),
    };
    let Some(&device) = k.ext().io.kernel_files.get(&fo) else {
        return Ok(status::INVALID_DEVICE_REQUEST);
    };
    if !present(k, input.0, in_len) || !present(k, output.0, out_len) {
        return Ok(status::ACCESS_VIOLATION);
    }
    let top = crate::io::stack::top(k, device)?;
    let irp = crate::io::irps::IoBuildDeviceIoControlRequest(
        k,
        code,
        Ptr(top),
        input,
        in_len,
        output,
        out_len,
        Boolean(false),
        Ptr(event.unwrap_or(0)),
        iosb,
    )?;
    if irp.0 == 0 {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    let loc = crate::io::irp::next_location(k, irp.0)?;
    if major_code == major::FILE_SYSTEM_CONTROL {
        // Parameters.FileSystemControl has DeviceIoControl's layout.
        k.mem_mut().set(loc, IO_STACK_LOCATION::MajorFunction, major_code as u64)?;
        k.mem_mut().set(loc, IO_STACK_LOCATION::MinorFunction, IRP_MN_USER_FS_REQUEST)?;
    }
    k.mem_mut().set(loc, IO_STACK_LOCATION::FileObject, fo)?;
    k.mem_mut().set(irp.0, IRP::OriginalFileObject, fo)?;
    let returned = crate::io::irp::call_driver(k, top, irp.0)?;
    crate::io::release_deferred(k)?;
    Ok(returned)
}
