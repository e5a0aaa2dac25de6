//! Files and devices: CreateFileA/W, DeviceIoControl, ReadFile, WriteFile, CloseHandle, over
//! the kernel's I/O manager (`hle::io::request`: IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL,
//! IRP_MJ_READ/WRITE, IRP_MJ_CLEANUP + IRP_MJ_CLOSE to the named device, or the in-memory
//! volume). A request a driver leaves pending is waited for on a synchronous handle, and left
//! to complete on an overlapped one (DeviceIoControl; kernel32/overlapped.rs).
//!
//! CreateFile's dispositions create, truncate or open files of the volume as Windows does
//! (ERROR_FILE_EXISTS, ERROR_FILE_NOT_FOUND; ERROR_ALREADY_EXISTS beside success when
//! CREATE_ALWAYS or OPEN_ALWAYS found the file); a device is opened whatever they say.
//!
//! ReadFile and WriteFile take an OVERLAPPED as DeviceIoControl does.
// The functions take the parameters Windows gives them.
#![allow(non_snake_case, clippy::too_many_arguments)]

use portcullis_hle::io::request::{self, IoResult, OutBuffer};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, HANDLE, PCSTR, PCWSTR};

use crate::error::{
    ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS, ERROR_INVALID_FUNCTION, ERROR_INVALID_HANDLE, ERROR_INVALID_NAME,
    ERROR_INVALID_PARAMETER, ERROR_IO_PENDING, ERROR_NOACCESS, ERROR_SUCCESS,
};
use crate::kernel32::console::{stream_of, write_console};
use crate::kernel32::overlapped;
use crate::kernel32::thread::{fail_with_status, set_last_error};
use crate::process::{Object, StdStream};
use crate::table::BOOL;

const CREATE_NEW: u32 = 1;
const CREATE_ALWAYS: u32 = 2;
const OPEN_EXISTING: u32 = 3;
const OPEN_ALWAYS: u32 = 4;
const TRUNCATE_EXISTING: u32 = 5;
/// GENERIC_WRITE, which TRUNCATE_EXISTING needs.
const GENERIC_WRITE: u32 = 0x4000_0000;
/// IO_STATUS_BLOCK.Information of an open that found the file (FILE_OPENED, FILE_OVERWRITTEN).
const FILE_OPENED: u64 = 1;
const FILE_OVERWRITTEN: u64 = 3;
const STATUS_OBJECT_NAME_COLLISION: u32 = 0xC000_0035;
const STATUS_END_OF_FILE: u32 = 0xC000_0011;
/// ERROR_HANDLE_EOF.
const ERROR_HANDLE_EOF: u32 = 38;
const FILE_FLAG_OVERLAPPED: u32 = 0x4000_0000;
/// Longest path a wide or ANSI name may have (\\?\ paths' limit).
const MAX_PATH_CHARS: usize = 32_767;
/// Largest buffer one request takes from the program.
const MAX_TRANSFER: u32 = 16 << 20;

fn invalid_handle(k: &Kx) -> HANDLE {
    HANDLE(k.arch().mask(u64::MAX))
}

/// HANDLE CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
/// LPSECURITY_ATTRIBUTES, DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes, HANDLE)
pub fn CreateFileA(
    k: &mut Kx,
    name: PCSTR,
    access: u32,
    _share: u32,
    _security: Ptr,
    disposition: u32,
    flags: u32,
    _template: HANDLE,
) -> KResult<HANDLE> {
    let bytes = portcullis_hle::rtl::printf::read_cstr(k.mem(), name.0, MAX_PATH_CHARS)?;
    // The ANSI code page is Windows-1252 here; paths are ASCII in practice.
    let path: String = bytes.iter().map(|&b| b as char).collect();
    create(k, &path, access, disposition, flags)
}

/// HANDLE CreateFileW(LPCWSTR lpFileName, ...): as CreateFileA.
pub fn CreateFileW(
    k: &mut Kx,
    name: PCWSTR,
    access: u32,
    _share: u32,
    _security: Ptr,
    disposition: u32,
    flags: u32,
    _template: HANDLE,
) -> KResult<HANDLE> {
    let units = portcullis_hle::rtl::printf::read_wstr(k.mem(), name.0, MAX_PATH_CHARS)?;
    let path = String::from_utf16_lossy(&units);
    create(k, &path, access, disposition, flags)
}

pub(crate) fn create(k: &mut Kx, path: &str, access: u32, disposition: u32, flags: u32) -> KResult<HANDLE> {
    if path.is_empty() {
        set_last_error(k, ERROR_INVALID_NAME)?;
        return Ok(invalid_handle(k));
    }
    use portcullis_hle::fs::open::{FILE_CREATE, FILE_OPEN, FILE_OPEN_IF, FILE_OVERWRITE, FILE_OVERWRITE_IF};
    // Win32's dispositions as NtCreateFile's (kernel32's CreateFileW does the same).
    let nt = match disposition {
        CREATE_NEW => FILE_CREATE,
        CREATE_ALWAYS => FILE_OVERWRITE_IF,
        OPEN_EXISTING => FILE_OPEN,
        OPEN_ALWAYS => FILE_OPEN_IF,
        TRUNCATE_EXISTING if access & GENERIC_WRITE != 0 => FILE_OVERWRITE,
        _ => {
            set_last_error(k, ERROR_INVALID_PARAMETER)?;
            return Ok(invalid_handle(k));
        }
    };
    let (opened, result) = request::create_with(k, path, access, nt)?;
    match opened {
        Ok(file) => {
            let Some(p) = crate::current(k) else { return Ok(invalid_handle(k)) };
            let overlapped = flags & FILE_FLAG_OVERLAPPED != 0;
            let h = p.insert(Object::File { file, path: path.to_string(), position: 0, overlapped });
            // CREATE_ALWAYS and OPEN_ALWAYS say whether the file was there already.
            let found = result.map(|r| r.information()).is_some_and(|i| i == FILE_OPENED || i == FILE_OVERWRITTEN);
            let existed = matches!(disposition, CREATE_ALWAYS | OPEN_ALWAYS) && found;
            set_last_error(k, if existed { ERROR_ALREADY_EXISTS } else { 0 })?;
            Ok(HANDLE(h))
        }
        // kernel32 names a CREATE_NEW collision ERROR_FILE_EXISTS, not ERROR_ALREADY_EXISTS.
        Err(status) if status.0 == STATUS_OBJECT_NAME_COLLISION && disposition == CREATE_NEW => {
            set_last_error(k, ERROR_FILE_EXISTS)?;
            Ok(invalid_handle(k))
        }
        Err(status) => {
            fail_with_status(k, status.0)?;
            Ok(invalid_handle(k))
        }
    }
}

/// The I/O manager's handle behind the program's handle `h`, and its file position.
fn file_of(k: &mut Kx, h: u64) -> Option<(request::FileHandle, u64)> {
    match crate::current(k)?.handles.get(&h) {
        Some(Object::File { file, position, .. }) => Some((*file, *position)),
        _ => None,
    }
}

/// Reads `len` bytes of the program's memory at `at`, or None when they are not there (the
/// I/O manager's probe fails: ERROR_NOACCESS).
fn read_user(k: &Kx, at: u64, len: u32) -> Option<Vec<u8>> {
    let mut bytes = vec![0u8; len as usize];
    if len > 0 {
        k.mem().read(at, &mut bytes).ok()?;
    }
    Some(bytes)
}

/// Whether a request succeeded for the caller (NT_SUCCESS, and not left pending), setting
/// the last error otherwise.
pub(crate) fn succeeded(k: &mut Kx, r: &IoResult) -> KResult<bool> {
    let status = r.status();
    if r.completion.is_none() {
        set_last_error(k, ERROR_IO_PENDING)?;
        return Ok(false);
    }
    if status.0 & 0x8000_0000 != 0 {
        fail_with_status(k, status.0)?;
        return Ok(false);
    }
    Ok(true)
}

/// Copies a completed request's output back into the program's buffer.
fn copy_out(k: &mut Kx, r: &IoResult, buffer: u64, capacity: u32) -> KResult<u32> {
    let out = r.output();
    let n = out.len().min(capacity as usize);
    if n > 0 {
        let bytes = out[..n].to_vec();
        k.mem_mut().write(buffer, &bytes)?;
    }
    Ok(r.information().min(capacity as u64) as u32)
}

/// BOOL DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD
/// nInBufferSize, LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned,
/// LPOVERLAPPED lpOverlapped): the IOCTL's transfer method decides how the buffers reach
/// the driver (METHOD_NEITHER: the program's own pointers).
pub fn DeviceIoControl(
    k: &mut Kx,
    h: HANDLE,
    code: u32,
    in_buffer: Ptr,
    in_len: u32,
    out_buffer: Ptr,
    out_len: u32,
    returned: Ptr,
    overlapped: Ptr,
) -> KResult<BOOL> {
    let Some((file, _)) = file_of(k, h.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    let asynchronous = overlapped::is_overlapped(k, h.0);
    // An overlapped handle's requests need an OVERLAPPED to report through.
    if asynchronous && overlapped.0 == 0 {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    if in_len > MAX_TRANSFER || out_len > MAX_TRANSFER {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    let event = if overlapped.0 != 0 {
        match overlapped::begin(k, overlapped.0)? {
            Ok(event) => event,
            Err(error) => {
                set_last_error(k, error)?;
                return Ok(BOOL(false));
            }
        }
    } else {
        None
    };
    let neither = code & 3 == portcullis_hle::io::method::NEITHER;
    let mut r = if neither {
        request::device_control_raw(k, file, code, (in_buffer.0, in_len as u64), (out_buffer.0, out_len as u64), false)?
    } else {
        let (Some(input), Some(initial)) = (read_user(k, in_buffer.0, in_len), read_user(k, out_buffer.0, out_len))
        else {
            set_last_error(k, ERROR_NOACCESS)?;
            return Ok(BOOL(false));
        };
        let r = request::device_control(k, file, code, &input, &OutBuffer::with(initial), false)?;
        if r.completion.is_some() {
            copy_out(k, &r, out_buffer.0, out_len)?;
        }
        r
    };
    let ov = (overlapped.0 != 0).then_some((overlapped.0, event));
    if r.completion.is_none() {
        let output = (!neither).then_some((out_buffer.0, out_len as u64));
        let tail = overlapped::SyncTail::Control { returned: returned.0, out_len };
        match overlapped::pending(k, &r, ov, asynchronous, output, tail)? {
            overlapped::Pending::Completed(c) => r.completion = Some(c),
            // Left to complete (ERROR_IO_PENDING is set), or the thread is held.
            overlapped::Pending::Later => return Ok(BOOL(false)),
        }
    } else if let Some((at, event)) = ov {
        overlapped::completed_at_once(k, at, event, &r)?;
    }
    control_tail(k, &r, returned.0, out_len)
}

/// The end of DeviceIoControl once its request has completed: the count to
/// lpBytesReturned, the last error from the status.
pub(crate) fn control_tail(k: &mut Kx, r: &IoResult, returned: u64, out_len: u32) -> KResult<BOOL> {
    let ok = succeeded(k, r)?;
    k.mem_mut().write_u32(returned, r.information().min(out_len as u64) as u32)?;
    Ok(BOOL(ok))
}

/// BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD
/// lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped). From standard input: one line at most
/// of what the run gave the program, 0 bytes at its end (kernel32/console.rs). A file or
/// device: see [`transfer`].
pub fn ReadFile(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, read: Ptr, overlapped: Ptr) -> KResult<BOOL> {
    match stream_of(k, h.0) {
        Some(StdStream::Input) if overlapped.0 == 0 => {
            let n = crate::kernel32::console::read_input(k, buffer, len.min(MAX_TRANSFER))?;
            k.mem_mut().write_u32(read.0, n)?;
            return Ok(BOOL(true));
        }
        Some(_) => {
            set_last_error(k, ERROR_INVALID_HANDLE)?;
            return Ok(BOOL(false));
        }
        None => {}
    }
    transfer(k, h, buffer, len, read, overlapped, false)
}

/// BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD
/// lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped). To the console: its output. A file
/// or device: see [`transfer`].
pub fn WriteFile(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, written: Ptr, overlapped: Ptr) -> KResult<BOOL> {
    match stream_of(k, h.0) {
        Some(StdStream::Output | StdStream::Error) if overlapped.0 == 0 => {
            let n = write_console(k, buffer, len)?;
            k.mem_mut().write_u32(written.0, n)?;
            return Ok(BOOL(true));
        }
        Some(_) => {
            set_last_error(k, ERROR_INVALID_HANDLE)?;
            return Ok(BOOL(false));
        }
        None => {}
    }
    transfer(k, h, buffer, len, written, overlapped, true)
}

/// ReadFile and WriteFile on a file or device: IRP_MJ_READ or IRP_MJ_WRITE at the handle's
/// position, or with an OVERLAPPED at its Offset/OffsetHigh. A synchronous handle waits for
/// a request left pending and moves its position; an overlapped one needs the OVERLAPPED,
/// and a request left pending completes into it (kernel32/overlapped.rs). At the end of a
/// file a synchronous read succeeds with 0 bytes, an overlapped one fails with
/// ERROR_HANDLE_EOF.
fn transfer(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, count: Ptr, overlapped: Ptr, write: bool) -> KResult<BOOL> {
    let Some((file, position)) = file_of(k, h.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    let asynchronous = overlapped::is_overlapped(k, h.0);
    if len > MAX_TRANSFER || (asynchronous && overlapped.0 == 0) {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    let data = if write {
        let Some(data) = read_user(k, buffer.0, len) else {
            set_last_error(k, ERROR_NOACCESS)?;
            return Ok(BOOL(false));
        };
        Some(data)
    } else {
        None
    };
    let (offset, event) = if overlapped.0 != 0 {
        let ps = k.arch().ptr_size();
        let (Ok(low), Ok(high)) =
            (k.mem().read_u32(overlapped.0 + 2 * ps), k.mem().read_u32(overlapped.0 + 2 * ps + 4))
        else {
            set_last_error(k, ERROR_NOACCESS)?;
            return Ok(BOOL(false));
        };
        match overlapped::begin(k, overlapped.0)? {
            Ok(event) => ((high as u64) << 32 | low as u64, event),
            Err(error) => {
                set_last_error(k, error)?;
                return Ok(BOOL(false));
            }
        }
    } else {
        (position, None)
    };
    let mut r = match &data {
        Some(data) => request::write(k, file, data, offset)?,
        None => request::read(k, file, len as u64, offset)?,
    };
    let ov = (overlapped.0 != 0).then_some((overlapped.0, event));
    if r.completion.is_none() {
        let output = (!write).then_some((buffer.0, len as u64));
        let tail = overlapped::SyncTail::Transfer { handle: h.0, offset, count: count.0, len, write };
        match overlapped::pending(k, &r, ov, asynchronous, output, tail)? {
            overlapped::Pending::Completed(c) => r.completion = Some(c),
            overlapped::Pending::Later => return Ok(BOOL(false)),
        }
    } else {
        if !write {
            copy_out(k, &r, buffer.0, len)?;
        }
        if let Some((at, event)) = ov {
            overlapped::completed_at_once(k, at, event, &r)?;
        }
    }
    transfer_tail(k, &r, h.0, offset, count.0, len, write, asynchronous)
}

/// The end of ReadFile or WriteFile once its request has completed: the count, the handle's
/// position (a synchronous handle's), the outcome at the end of a file, the last error.
#[allow(clippy::too_many_arguments)]
pub(crate) fn transfer_tail(
    k: &mut Kx,
    r: &IoResult,
    h: u64,
    offset: u64,
    count: u64,
    len: u32,
    write: bool,
    asynchronous: bool,
) -> KResult<BOOL> {
    let n = r.information().min(len as u64) as u32;
    if !asynchronous {
        // The offset is the program's (an OVERLAPPED's): it may sit at the very end.
        set_position(k, h, offset.saturating_add(n as u64));
    }
    k.mem_mut().write_u32(count, n)?;
    if !write && r.status().0 == STATUS_END_OF_FILE {
        if asynchronous {
            set_last_error(k, ERROR_HANDLE_EOF)?;
            return Ok(BOOL(false));
        }
        // A synchronous read at the end of the file succeeds with nothing read.
        return Ok(BOOL(true));
    }
    Ok(BOOL(succeeded(k, r)?))
}

/// Sets a handle's file position.
fn set_position(k: &mut Kx, h: u64, to: u64) {
    if let Some(Object::File { position, .. }) = crate::current(k).and_then(|p| p.handles.get_mut(&h)) {
        *position = to;
    }
}

/// BOOL CloseHandle(HANDLE hObject): a device or file handle sends IRP_MJ_CLEANUP and
/// IRP_MJ_CLOSE; console handles just go; the current-process pseudo handle stays valid; a
/// handle a driver opened in the process's table closes there.
pub fn CloseHandle(k: &mut Kx, h: HANDLE) -> KResult<BOOL> {
    if h == HANDLE(k.arch().mask(u64::MAX)) {
        return Ok(BOOL(true));
    }
    // A service control manager handle is no kernel handle (CloseServiceHandle closes it).
    // Nor is a search handle (FindClose closes it).
    let kernel_handle =
        |o: &Object| !matches!(o, Object::ScManager { .. } | Object::Service { .. } | Object::Find { .. });
    let known = crate::current(k).is_some_and(|p| p.handles.contains_key(&h.0));
    if !known {
        // A handle kernel32 did not make: one a driver opened in the process's table.
        let closed = portcullis_hle::ob::handles::close(k, h.0, portcullis_hle::ob::handles::Mode::User)?.is_ok();
        if !closed {
            set_last_error(k, ERROR_INVALID_HANDLE)?;
        }
        return Ok(BOOL(closed));
    }
    let open = crate::current(k).is_some_and(|p| p.handles.get(&h.0).is_some_and(kernel_handle));
    let Some(object) = open.then(|| crate::current(k).and_then(|p| p.handles.remove(&h.0))).flatten() else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    match object {
        Object::File { file, .. } => {
            request::close(k, file)?;
        }
        Object::Key { handle, .. } => {
            portcullis_hle::cm::user::close_key(k, handle)?;
        }
        Object::Event { handle } | Object::Thread { handle, .. } | Object::Process { handle, .. } => {
            let _ = portcullis_hle::ob::handles::close(k, handle, portcullis_hle::ob::handles::Mode::User)?;
        }
        _ => {}
    }
    Ok(BOOL(true))
}

/// GetFileType's answers.
const FILE_TYPE_UNKNOWN: u32 = 0;
const FILE_TYPE_DISK: u32 = 1;
const FILE_TYPE_CHAR: u32 = 2;
const FILE_TYPE_PIPE: u32 = 3;

/// DWORD GetFileType(HANDLE hFile): FILE_TYPE_CHAR for a console handle; for a file or device
/// handle, by the type of the device it is open on, as kernel32 tells them
/// (FileFsDeviceInformation): disks and file systems (the C: volume) FILE_TYPE_DISK, named
/// pipes FILE_TYPE_PIPE, character devices (keyboard, mouse, null, parallel and serial ports,
/// printer, screen, sound, modem) FILE_TYPE_CHAR, other devices FILE_TYPE_UNKNOWN with
/// NO_ERROR. A handle that is no file: FILE_TYPE_UNKNOWN with ERROR_INVALID_HANDLE.
pub fn GetFileType(k: &mut Kx, h: HANDLE) -> KResult<u32> {
    if stream_of(k, h.0).is_some() {
        set_last_error(k, ERROR_SUCCESS)?;
        return Ok(FILE_TYPE_CHAR);
    }
    let Some((file, _)) = file_of(k, h.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(FILE_TYPE_UNKNOWN);
    };
    set_last_error(k, ERROR_SUCCESS)?;
    Ok(match request::device_type(k, file).unwrap_or(0) {
        // CD-ROM (and its file system), controller, datalink, DFS, disk (and its file
        // system), virtual disk.
        0x02..=0x08 | 0x24 => FILE_TYPE_DISK,
        // Keyboard, mouse, modem, null, parallel port, printer, serial port, screen, sound.
        0x0B | 0x0F | 0x2B | 0x15 | 0x16 | 0x18 | 0x1B | 0x1C | 0x1D => FILE_TYPE_CHAR,
        0x11 => FILE_TYPE_PIPE,
        _ => FILE_TYPE_UNKNOWN,
    })
}

/// UINT SetHandleCount(UINT uNumber): no effect on Windows NT (a process's handles are not
/// limited so); returns uNumber.
pub fn SetHandleCount(_k: &mut Kx, number: u32) -> KResult<u32> {
    Ok(number)
}

const FILE_BEGIN: u32 = 0;
const FILE_CURRENT: u32 = 1;
const FILE_END: u32 = 2;
const INVALID_SET_FILE_POINTER: u32 = 0xFFFF_FFFF;
const ERROR_NEGATIVE_SEEK: u32 = 131;

/// DWORD SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh, DWORD
/// dwMoveMethod): moves the handle's position (what synchronous ReadFile and WriteFile go on
/// from) from the start, the current position or the end; the distance is 64 bits with
/// lpDistanceToMoveHigh (its high half, which receives the new position's), else the 32-bit
/// one sign-extended. Returns the new position's low half, with NO_ERROR as the last error
/// (the low half may read as INVALID_SET_FILE_POINTER). Fails (INVALID_SET_FILE_POINTER) with
/// ERROR_NEGATIVE_SEEK before the start, ERROR_INVALID_PARAMETER for an unknown method or a
/// position past 4 GB without lpDistanceToMoveHigh, ERROR_INVALID_FUNCTION for FILE_END on a
/// device (no size), ERROR_INVALID_HANDLE for a handle that is no file.
pub fn SetFilePointer(k: &mut Kx, h: HANDLE, distance: i32, high: Ptr, method: u32) -> KResult<u32> {
    let distance = match high.0 {
        0 => distance as i64,
        at => ((k.mem().read_u32(at)? as u64) << 32 | distance as u32 as u64) as i64,
    };
    let new = match seek_target(k, h.0, distance, method)? {
        Ok(new) if high.0 == 0 && new > u32::MAX as u64 => Err(ERROR_INVALID_PARAMETER),
        other => other,
    };
    let new = match new {
        Ok(new) => new,
        Err(error) => {
            set_last_error(k, error)?;
            return Ok(INVALID_SET_FILE_POINTER);
        }
    };
    if high.0 != 0 {
        k.mem_mut().write_u32(high.0, (new >> 32) as u32)?;
    }
    set_position(k, h.0, new);
    set_last_error(k, ERROR_SUCCESS)?;
    Ok(new as u32)
}

/// Where a move of a file handle's position by `distance` from `method`'s origin lands, or
/// the error SetFilePointer(Ex) fails with (the position is not moved yet).
fn seek_target(k: &mut Kx, h: u64, distance: i64, method: u32) -> KResult<Result<u64, u32>> {
    let (file, position) = match crate::current(k).and_then(|p| p.handles.get(&h)) {
        Some(Object::File { file, position, .. }) => (*file, *position),
        _ => return Ok(Err(ERROR_INVALID_HANDLE)),
    };
    let base = match method {
        FILE_BEGIN => 0,
        FILE_CURRENT => position,
        FILE_END => match request::file_size(k, file) {
            Some(size) => size,
            None => return Ok(Err(ERROR_INVALID_FUNCTION)),
        },
        _ => return Ok(Err(ERROR_INVALID_PARAMETER)),
    };
    Ok((base as i64).checked_add(distance).filter(|n| *n >= 0).map(|n| n as u64).ok_or(ERROR_NEGATIVE_SEEK))
}

/// BOOL FlushFileBuffers(HANDLE hFile): IRP_MJ_FLUSH_BUFFERS to a device (its driver
/// decides; a request it leaves pending is waited for, whatever the handle's mode, as
/// kernel32 waits on the file); a file of the volume has nothing to write back. A handle
/// not open for writing is ERROR_ACCESS_DENIED; a console handle ERROR_INVALID_HANDLE.
pub fn FlushFileBuffers(k: &mut Kx, h: HANDLE) -> KResult<BOOL> {
    let Some((file, _)) = file_of(k, h.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    let mut r = request::flush(k, file)?;
    if r.completion.is_none() {
        match overlapped::pending(k, &r, None, false, None, overlapped::SyncTail::Flush)? {
            overlapped::Pending::Completed(c) => r.completion = Some(c),
            overlapped::Pending::Later => return Ok(BOOL(false)),
        }
    }
    Ok(BOOL(succeeded(k, &r)?))
}

/// BOOL SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove, PLARGE_INTEGER
/// lpNewFilePointer, DWORD dwMoveMethod): SetFilePointer with a 64-bit distance; the new
/// position goes to lpNewFilePointer when given.
pub fn SetFilePointerEx(k: &mut Kx, h: HANDLE, distance: i64, new: Ptr, method: u32) -> KResult<BOOL> {
    let to = match seek_target(k, h.0, distance, method)? {
        Ok(to) => to,
        Err(error) => {
            set_last_error(k, error)?;
            return Ok(BOOL(false));
        }
    };
    if new.0 != 0 {
        k.mem_mut().write_u64(new.0, to)?;
    }
    set_position(k, h.0, to);
    Ok(BOOL(true))
}
