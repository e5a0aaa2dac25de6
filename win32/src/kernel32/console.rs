//! The console: GetStdHandle, WriteConsoleA. What a program writes to standard output or
//! error is kept with the process (`Process::console`) for the report.
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, HANDLE};

use crate::error::{ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER};
use crate::kernel32::thread::set_last_error;
use crate::process::{Object, StdStream, STD_HANDLES};
use crate::table::BOOL;

/// Most bytes one console write takes (longer writes are written in part, as the count
/// returned says).
const MAX_WRITE: u32 = 64 << 10;

/// HANDLE GetStdHandle(DWORD nStdHandle): STD_INPUT_HANDLE (-10), STD_OUTPUT_HANDLE (-11),
/// STD_ERROR_HANDLE (-12); anything else is INVALID_HANDLE_VALUE with ERROR_INVALID_HANDLE.
pub fn GetStdHandle(k: &mut Kx, which: u32) -> KResult<HANDLE> {
    let stream = match which as i32 {
        -10 => StdStream::Input,
        -11 => StdStream::Output,
        -12 => StdStream::Error,
        _ => {
            set_last_error(k, ERROR_INVALID_HANDLE)?;
            return Ok(HANDLE(k.arch().mask(u64::MAX)));
        }
    };
    let h = STD_HANDLES.iter().find(|(_, s)| *s == stream).map(|(h, _)| *h).expect("every stream");
    Ok(HANDLE(h))
}

/// The console stream `h` names in the current process, if it does.
pub(crate) fn stream_of(k: &mut Kx, h: u64) -> Option<StdStream> {
    match crate::current(k)?.handles.get(&h) {
        Some(Object::Console(s)) => Some(*s),
        _ => None,
    }
}

/// Writes `len` bytes at `buffer` to the console; the count written.
pub(crate) fn write_console(k: &mut Kx, buffer: Ptr, len: u32) -> KResult<u32> {
    let n = len.min(MAX_WRITE);
    let mut bytes = vec![0u8; n as usize];
    k.mem().read(buffer.0, &mut bytes)?;
    if let Some(p) = crate::current(k) {
        p.console.extend_from_slice(&bytes);
    }
    Ok(n)
}

/// BOOL WriteConsoleA(HANDLE hConsoleOutput, const VOID *lpBuffer, DWORD
/// nNumberOfCharsToWrite, LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved)
pub fn WriteConsoleA(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, written: Ptr, _reserved: Ptr) -> KResult<BOOL> {
    match stream_of(k, h.0) {
        Some(StdStream::Output | StdStream::Error) => {}
        Some(StdStream::Input) => {
            set_last_error(k, ERROR_INVALID_PARAMETER)?;
            return Ok(BOOL(false));
        }
        None => {
            set_last_error(k, ERROR_INVALID_HANDLE)?;
            return Ok(BOOL(false));
        }
    }
    let n = write_console(k, buffer, len)?;
    if written.0 != 0 {
        k.mem_mut().write_u32(written.0, n)?;
    }
    Ok(BOOL(true))
}
