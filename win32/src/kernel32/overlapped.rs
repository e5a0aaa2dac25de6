//! Requests a driver leaves pending, and overlapped I/O: what kernel32 and the I/O manager do
//! between a request returning STATUS_PENDING and its completion.
//!
//! - On a handle opened with FILE_FLAG_OVERLAPPED, the OVERLAPPED is the request's
//!   IO_STATUS_BLOCK: Internal says STATUS_PENDING from the start, its hEvent is reset; the
//!   call returns FALSE with ERROR_IO_PENDING. When the driver completes the IRP (later, from
//!   another request, a DPC, a timer or a thread), the output reaches the program's buffer,
//!   Internal and InternalHigh get the status and the count, and hEvent is set.
//!   GetOverlappedResult reads them back, waiting first if asked.
//! - On a synchronous handle, the calling thread waits for the completion (the I/O manager's
//!   wait on the file object), other flows — the process's other threads too — running
//!   meanwhile; the call completes once the request has ([`SyncTail`]: what is left of it). A
//!   request nothing can complete ends the run as a deadlock, where Windows would hang.
//!
//! Every outstanding request gets an event of its own (the file object's event on Windows),
//! which the waits here use whether or not the program gave one.
// The functions take the parameters Windows gives them.
#![allow(non_snake_case)]

use portcullis_hle::io::request::{self, Completion, IoResult, Notify, RequestId};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::ob::handles::Mode;
use portcullis_hle::types::{Ptr, HANDLE};

use crate::error::{ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_PENDING, ERROR_NOACCESS};
use crate::kernel32::thread::{fail_with_status, set_last_error};
use crate::process::Object;
use crate::table::BOOL;

const STATUS_PENDING: u32 = 0x103;
const ERROR_IO_INCOMPLETE: u32 = 996;
/// EVENT_ALL_ACCESS.
const EVENT_ALL_ACCESS: u32 = 0x1F_0003;

/// A request of the program's still outstanding, by its OVERLAPPED.
#[derive(Clone, Copy, Debug)]
pub struct Outstanding {
    pub(crate) id: RequestId,
    /// The request's own event: its handle in the process's kernel table, and the object.
    event_handle: u64,
    event: u64,
}

/// Where OVERLAPPED.hEvent is (after Internal, InternalHigh, Offset, OffsetHigh).
fn event_field(k: &Kx) -> u64 {
    2 * k.arch().ptr_size() + 8
}

/// Whether the program's handle `h` was opened for overlapped I/O.
pub(crate) fn is_overlapped(k: &mut Kx, h: u64) -> bool {
    matches!(crate::current(k).and_then(|p| p.handles.get(&h)), Some(Object::File { overlapped: true, .. }))
}

/// Starts an I/O with an OVERLAPPED: Internal says pending, InternalHigh 0, hEvent is reset.
/// The event's object, or the Win32 error the call fails with.
pub(crate) fn begin(k: &mut Kx, overlapped: u64) -> KResult<Result<Option<u64>, u32>> {
    let ps = k.arch().ptr_size();
    let Ok(handle) = k.mem().read_ptr(overlapped + event_field(k)) else { return Ok(Err(ERROR_NOACCESS)) };
    // The low bit keeps a completion off an I/O completion port; the handle is the rest.
    let handle = handle & !1;
    let event = if handle == 0 {
        None
    } else {
        let Some(Object::Event { handle: kernel }) = crate::current(k).and_then(|p| p.handles.get(&handle)).cloned()
        else {
            return Ok(Err(ERROR_INVALID_HANDLE));
        };
        match portcullis_hle::ke::wait::user_waitable(k, kernel)? {
            Ok(object) => Some(object),
            Err(_) => return Ok(Err(ERROR_INVALID_HANDLE)),
        }
    };
    let mem = k.mem_mut();
    if mem.write_ptr(overlapped, STATUS_PENDING as u64).is_err() || mem.write_ptr(overlapped + ps, 0).is_err() {
        return Ok(Err(ERROR_NOACCESS));
    }
    if let Some(e) = event {
        portcullis_hle::ke::event::KeClearEvent(k, Ptr(e))?;
    }
    Ok(Ok(event))
}

/// A request with an OVERLAPPED that completed at once: its status block and event say so
/// too, as the I/O manager's completion would.
pub(crate) fn completed_at_once(k: &mut Kx, overlapped: u64, event: Option<u64>, r: &IoResult) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let _ = k.mem_mut().write_u32(overlapped, r.status().0);
    let _ = k.mem_mut().write_ptr(overlapped + ps, r.information());
    if let Some(e) = event {
        portcullis_hle::ke::event::KeSetEvent(k, Ptr(e), 0, portcullis_hle::types::Boolean(false))?;
    }
    Ok(())
}

/// What is left of a call whose synchronous request is pending: done by the call itself
/// when its request completes before any other thread can run, or when its thread goes on
/// after being held ([`finish_held`]).
#[derive(Clone, Debug)]
pub(crate) enum SyncTail {
    /// DeviceIoControl: the count goes to lpBytesReturned, at most nOutBufferSize.
    Control { returned: u64, out_len: u32 },
    /// ReadFile or WriteFile on handle `handle` at `offset`: the count goes to `count`, the
    /// handle's position moves.
    Transfer { handle: u64, offset: u64, count: u64, len: u32, write: bool },
    /// FlushFileBuffers: its outcome is the status.
    Flush,
}

/// A call held while its synchronous request is pending.
#[derive(Clone, Debug)]
pub(crate) struct HeldIo {
    outstanding: Outstanding,
    request: IoResult,
    tail: SyncTail,
}

/// The held call's thread goes on: its request has completed; what the call returns.
pub(crate) fn finish_held(k: &mut Kx, held: HeldIo) -> KResult<u64> {
    let HeldIo { outstanding, mut request, tail } = held;
    request.completion = request::take_completion(k, request.id);
    forget(k, outstanding)?;
    let ok = match tail {
        SyncTail::Control { returned, out_len } => crate::kernel32::file::control_tail(k, &request, returned, out_len)?,
        SyncTail::Transfer { handle, offset, count, len, write } => {
            crate::kernel32::file::transfer_tail(k, &request, handle, offset, count, len, write, false)?
        }
        SyncTail::Flush => crate::table::BOOL(crate::kernel32::file::succeeded(k, &request)?),
    };
    Ok(ok.0 as u64)
}

/// How a pending request turned out for its caller.
pub(crate) enum Pending {
    /// It completed while the caller waited.
    Completed(Completion),
    /// Left to complete into the OVERLAPPED (ERROR_IO_PENDING is set), or the calling thread
    /// is held until it completes (the call returns at once; its value is not used).
    Later,
}

/// A request that returned pending. With an OVERLAPPED on an overlapped handle, it is left
/// to complete (ERROR_IO_PENDING); otherwise the caller waits for its completion, or is held
/// while the process's other threads run (`tail` then finishes the call). `output` is the
/// program's buffer the completion's output goes to (None when the driver writes the
/// program's memory itself).
pub(crate) fn pending(
    k: &mut Kx,
    r: &IoResult,
    overlapped: Option<(u64, Option<u64>)>,
    asynchronous: bool,
    output: Option<(u64, u64)>,
    tail: SyncTail,
) -> KResult<Pending> {
    let (event_handle, event) =
        match portcullis_hle::ke::event::create_for_user(k, None, true, false, EVENT_ALL_ACCESS)? {
            Ok((handle, _)) => match portcullis_hle::ke::wait::user_waitable(k, handle)? {
                Ok(object) => (handle, object),
                Err(st) => return Err(portcullis_hle::kernel::KError::Stop(internal_failure(st.0))),
            },
            Err(st) => return Err(portcullis_hle::kernel::KError::Stop(internal_failure(st.0))),
        };
    let mut events = vec![event];
    events.extend(overlapped.and_then(|(_, e)| e));
    let process = crate::current(k).map(|p| p.eprocess).unwrap_or(0);
    let notify = Notify { output, status_block: overlapped.map(|(o, _)| o), events, process };
    request::notify_on_completion(k, r.id, notify)?;
    let outstanding = Outstanding { id: r.id, event_handle, event };
    if let (true, Some((at, _))) = (asynchronous, overlapped) {
        let old = crate::current(k).and_then(|p| p.overlapped.insert(at, outstanding));
        if let Some(old) = old {
            forget(k, old)?;
        }
        set_last_error(k, ERROR_IO_PENDING)?;
        return Ok(Pending::Later);
    }
    let held = HeldIo { outstanding, request: r.clone(), tail };
    let on_wake = crate::threads::OnWake::Io(Box::new(held));
    if crate::threads::wait(k, &[event], false, None, on_wake)?.is_none() {
        return Ok(Pending::Later);
    }
    // The completion is the caller's before the bookkeeping goes.
    let completion = request::take_completion(k, r.id);
    forget(k, outstanding)?;
    Ok(completion.map_or(Pending::Later, Pending::Completed))
}

/// The bookkeeping of a request the program no longer waits for: its event's handle closes,
/// a completion it left is dropped, and a request still outstanding will tell nobody.
pub(crate) fn forget(k: &mut Kx, o: Outstanding) -> KResult<()> {
    request::cancel_notify(k, o.id)?;
    let _ = request::take_completion(k, o.id);
    let _ = portcullis_hle::ob::handles::close(k, o.event_handle, Mode::User)?;
    Ok(())
}

/// The kernel failing to make an event for its own bookkeeping (the pool is exhausted).
fn internal_failure(status: u32) -> portcullis_emu::Stop<portcullis_hle::kernel::KernelStop> {
    portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(format!(
        "no event for a pending request (status {status:#010x})"
    )))
}

/// BOOL GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD
/// lpNumberOfBytesTransferred, BOOL bWait): the outcome of an overlapped request, waiting
/// for it first when `bWait` says so (ERROR_IO_INCOMPLETE otherwise).
pub fn GetOverlappedResult(k: &mut Kx, h: HANDLE, overlapped: Ptr, transferred: Ptr, wait: BOOL) -> KResult<BOOL> {
    if !matches!(crate::current(k).and_then(|p| p.handles.get(&h.0)), Some(Object::File { .. })) {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    }
    let Ok(internal) = k.mem().read_u32(overlapped.0) else {
        set_last_error(k, ERROR_NOACCESS)?;
        return Ok(BOOL(false));
    };
    let outstanding = crate::current(k).and_then(|p| p.overlapped.get(&overlapped.0).copied());
    if internal == STATUS_PENDING {
        let Some(o) = outstanding else {
            // No request of this program's is behind it: nothing would ever complete it.
            set_last_error(k, ERROR_INVALID_PARAMETER)?;
            return Ok(BOOL(false));
        };
        if !wait.0 {
            set_last_error(k, ERROR_IO_INCOMPLETE)?;
            return Ok(BOOL(false));
        }
        // Other threads of the process run meanwhile; a held call is made again once the
        // request has completed.
        let on_wake = crate::threads::OnWake::OverlappedResult {
            handle: h.0,
            overlapped: overlapped.0,
            transferred: transferred.0,
        };
        if crate::threads::wait(k, &[o.event], false, None, on_wake)?.is_none() {
            return Ok(BOOL(false));
        }
    }
    if let Some(o) = crate::current(k).and_then(|p| p.overlapped.remove(&overlapped.0)) {
        forget(k, o)?;
    }
    let ps = k.arch().ptr_size();
    let (Ok(status), Ok(information)) = (k.mem().read_u32(overlapped.0), k.mem().read_ptr(overlapped.0 + ps)) else {
        set_last_error(k, ERROR_NOACCESS)?;
        return Ok(BOOL(false));
    };
    if k.mem_mut().write_u32(transferred.0, information as u32).is_err() {
        set_last_error(k, ERROR_NOACCESS)?;
        return Ok(BOOL(false));
    }
    if status & 0x8000_0000 != 0 {
        fail_with_status(k, status)?;
        return Ok(BOOL(false));
    }
    Ok(BOOL(true))
}
