//! The console: GetStdHandle and SetStdHandle, WriteConsoleA/W, ReadConsoleA/W. What a program writes to
//! standard output or error is kept with the process (`Process::console`) for the report
//! (wide text as UTF-8). Standard input is the bytes the run gave the program (`portcullis
//! run-app --stdin FILE`; none: empty), read as typed at a console in line mode: a read
//! returns one line at most (its `\n` included), ReadFile and ReadConsoleA the bytes as they
//! are, ReadConsoleW the bytes read as UTF-8; at the end of input a read returns 0 bytes.
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, HANDLE};

use crate::error::{ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER};
use crate::kernel32::thread::set_last_error;
use crate::process::{Object, StdStream};
use crate::table::BOOL;

/// Most bytes one console write takes (longer writes are written in part, as the count
/// returned says).
const MAX_WRITE: u32 = 64 << 10;

/// HANDLE GetStdHandle(DWORD nStdHandle): STD_INPUT_HANDLE (-10), STD_OUTPUT_HANDLE (-11),
/// STD_ERROR_HANDLE (-12); anything else is INVALID_HANDLE_VALUE with ERROR_INVALID_HANDLE.
pub fn GetStdHandle(k: &mut Kx, which: u32) -> KResult<HANDLE> {
    let Some(i) = std_index(which) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(HANDLE(k.arch().mask(u64::MAX)));
    };
    Ok(HANDLE(crate::kernel32::thread::me(k)?.std_handles[i]))
}

/// Which of the three standard handles `which` (STD_INPUT_HANDLE, ...) names.
fn std_index(which: u32) -> Option<usize> {
    match which as i32 {
        -10 => Some(0),
        -11 => Some(1),
        -12 => Some(2),
        _ => None,
    }
}

/// BOOL SetStdHandle(DWORD nStdHandle, HANDLE hHandle): what GetStdHandle gives from now on
/// (the handle is not checked, as on Windows); another nStdHandle is ERROR_INVALID_HANDLE.
pub fn SetStdHandle(k: &mut Kx, which: u32, h: HANDLE) -> KResult<BOOL> {
    let Some(i) = std_index(which) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    crate::kernel32::thread::me(k)?.std_handles[i] = h.0;
    Ok(BOOL(true))
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
    append(k, &bytes);
    Ok(n)
}

/// Appends `bytes` to the console the running process writes to: its own, or the one it
/// shares with its creator (the creator's creator's, and so on).
pub(crate) fn append(k: &mut Kx, bytes: &[u8]) {
    let s = crate::state(k);
    let Some(mut i) = s.current else { return };
    // A chain of owners is at most as long as the list of processes.
    for _ in 0..s.processes.len() {
        match s.processes[i].console_owner.and_then(|pid| s.processes.iter().position(|p| p.pid == pid)) {
            Some(owner) => i = owner,
            None => break,
        }
    }
    s.processes[i].console.extend_from_slice(bytes);
}

/// BOOL WriteConsoleA(HANDLE hConsoleOutput, const VOID *lpBuffer, DWORD
/// nNumberOfCharsToWrite, LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved)
pub fn WriteConsoleA(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, written: Ptr, _reserved: Ptr) -> KResult<BOOL> {
    if !console_handle(k, h, false)? {
        return Ok(BOOL(false));
    }
    let n = write_console(k, buffer, len)?;
    if written.0 != 0 {
        k.mem_mut().write_u32(written.0, n)?;
    }
    Ok(BOOL(true))
}

/// What the program reads from standard input: the bytes given at its start (`--stdin`),
/// as if typed at the console, and how far it has read.
#[derive(Clone, Debug, Default)]
pub struct Input {
    bytes: Vec<u8>,
    at: usize,
}

impl Input {
    /// Whether everything was read.
    pub(crate) fn at_end(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// The bytes up to the end of the current line (its `\n` included), at most `max`: a
    /// console in line mode hands a read one line at most. Empty at the end of input.
    pub(crate) fn read_line(&mut self, max: usize) -> &[u8] {
        let rest = &self.bytes[self.at..];
        let line = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
        let n = line.min(max);
        let start = self.at;
        self.at += n;
        &self.bytes[start..start + n]
    }

    /// As [`Input::read_line`] in UTF-16 units, the bytes read as UTF-8 (a byte that starts
    /// no valid sequence is U+FFFD); a character never splits across reads.
    pub(crate) fn read_line_wide(&mut self, max: usize) -> Vec<u16> {
        let mut out = Vec::new();
        while self.at < self.bytes.len() {
            let rest = &self.bytes[self.at..];
            let len = match rest[0] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            let (c, took) = match rest.get(..len).map(std::str::from_utf8) {
                Some(Ok(s)) => (s.chars().next().expect("one character"), len),
                _ => (char::REPLACEMENT_CHARACTER, 1),
            };
            let mut units = [0u16; 2];
            let units = c.encode_utf16(&mut units);
            if out.len() + units.len() > max {
                break;
            }
            out.extend_from_slice(units);
            self.at += took;
            if c == '\n' {
                break;
            }
        }
        out
    }
}

/// Gives process `pid` its standard input (before it runs).
pub fn give_input(k: &mut Kx, pid: u64, bytes: &[u8]) {
    if let Some(p) = crate::state(k).processes.iter_mut().find(|p| p.pid == pid) {
        p.stdin = Input { bytes: bytes.to_vec(), at: 0 };
    }
}

/// Reads at most `len` bytes of standard input into `buffer` (one line at most); the count.
pub(crate) fn read_input(k: &mut Kx, buffer: Ptr, len: u32) -> KResult<u32> {
    let Some(p) = crate::current(k) else { return Ok(0) };
    let bytes = p.stdin.read_line(len as usize).to_vec();
    k.mem_mut().write(buffer.0, &bytes)?;
    Ok(bytes.len() as u32)
}

/// BOOL ReadConsoleA(HANDLE hConsoleInput, LPVOID lpBuffer, DWORD nNumberOfCharsToRead,
/// LPDWORD lpNumberOfCharsRead, PCONSOLE_READCONSOLE_CONTROL pInputControl): one line of
/// standard input at most, its bytes as they are; 0 characters at the end of input.
pub fn ReadConsoleA(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, read: Ptr, _control: Ptr) -> KResult<BOOL> {
    if !console_handle(k, h, true)? {
        return Ok(BOOL(false));
    }
    let n = read_input(k, buffer, len.min(MAX_WRITE))?;
    k.mem_mut().write_u32(read.0, n)?;
    Ok(BOOL(true))
}

/// BOOL ReadConsoleW(...): as ReadConsoleA, standard input read as UTF-8 into UTF-16.
pub fn ReadConsoleW(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, read: Ptr, _control: Ptr) -> KResult<BOOL> {
    if !console_handle(k, h, true)? {
        return Ok(BOOL(false));
    }
    let units = match crate::current(k) {
        Some(p) => p.stdin.read_line_wide(len.min(MAX_WRITE) as usize),
        None => Vec::new(),
    };
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    k.mem_mut().write(buffer.0, &bytes)?;
    k.mem_mut().write_u32(read.0, units.len() as u32)?;
    Ok(BOOL(true))
}

/// Whether `h` is the console's input (`input`) or one of its outputs, setting the last
/// error if not: ERROR_INVALID_PARAMETER for the console's other side, ERROR_INVALID_HANDLE
/// for what is no console.
fn console_handle(k: &mut Kx, h: HANDLE, input: bool) -> KResult<bool> {
    let error = match stream_of(k, h.0) {
        Some(StdStream::Input) if input => return Ok(true),
        Some(StdStream::Output | StdStream::Error) if !input => return Ok(true),
        Some(_) => ERROR_INVALID_PARAMETER,
        None => ERROR_INVALID_HANDLE,
    };
    set_last_error(k, error)?;
    Ok(false)
}

/// BOOL WriteConsoleW(HANDLE hConsoleOutput, const VOID *lpBuffer, DWORD
/// nNumberOfCharsToWrite, LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved): the UTF-16
/// text goes to the console as UTF-8 (an unpaired surrogate as U+FFFD).
pub fn WriteConsoleW(k: &mut Kx, h: HANDLE, buffer: Ptr, len: u32, written: Ptr, _reserved: Ptr) -> KResult<BOOL> {
    if !console_handle(k, h, false)? {
        return Ok(BOOL(false));
    }
    let n = len.min(MAX_WRITE / 2);
    let raw = k.mem().read_vec(buffer.0, n as u64 * 2)?;
    let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let (text, _) = portcullis_hle::rtl::nls::encode_utf8(&units);
    append(k, &text);
    if written.0 != 0 {
        k.mem_mut().write_u32(written.0, n)?;
    }
    Ok(BOOL(true))
}

/// A console's modes as Windows 7 opens them: input processed, line by line, echoed, with the
/// mouse, insert and quick-edit modes (ENABLE_EXTENDED_FLAGS, auto position); output
/// processed, wrapping at the end of a line.
const INPUT_MODE: u32 = 0x1F7;
const OUTPUT_MODE: u32 = 0x3;

/// UINT GetConsoleCP(void): the console's input code page (the OEM one).
pub fn GetConsoleCP(_k: &mut Kx) -> KResult<u32> {
    Ok(crate::kernel32::text::OEM_CODE_PAGE)
}

/// UINT GetConsoleOutputCP(void)
pub fn GetConsoleOutputCP(_k: &mut Kx) -> KResult<u32> {
    Ok(crate::kernel32::text::OEM_CODE_PAGE)
}

/// BOOL GetConsoleMode(HANDLE hConsoleHandle, LPDWORD lpMode): the input or output mode of a
/// console handle; another handle is no console (ERROR_INVALID_HANDLE, what a C runtime asks
/// to tell a console from a file).
pub fn GetConsoleMode(k: &mut Kx, h: HANDLE, mode: Ptr) -> KResult<BOOL> {
    let value = match stream_of(k, h.0) {
        Some(StdStream::Input) => INPUT_MODE,
        Some(StdStream::Output | StdStream::Error) => OUTPUT_MODE,
        None => {
            set_last_error(k, ERROR_INVALID_HANDLE)?;
            return Ok(BOOL(false));
        }
    };
    k.mem_mut().write_u32(mode.0, value)?;
    Ok(BOOL(true))
}

/// BOOL SetConsoleCtrlHandler(PHANDLER_ROUTINE HandlerRoutine, BOOL Add): adds the handler
/// to the process's list or removes it (one not there: ERROR_INVALID_PARAMETER); NULL sets
/// or clears the process's ignoring of CTRL+C. (No console control event happens in a
/// run: nobody types at the console; the list is the program's state as Windows keeps it.)
pub fn SetConsoleCtrlHandler(k: &mut Kx, handler: Ptr, add: BOOL) -> KResult<BOOL> {
    let p = crate::kernel32::thread::me(k)?;
    if handler.is_null() {
        p.ignore_ctrl_c = add.0;
        return Ok(BOOL(true));
    }
    if add.0 {
        p.ctrl_handlers.push(handler.0);
        return Ok(BOOL(true));
    }
    match p.ctrl_handlers.iter().rposition(|h| *h == handler.0) {
        Some(i) => {
            p.ctrl_handlers.remove(i);
            Ok(BOOL(true))
        }
        None => {
            set_last_error(k, ERROR_INVALID_PARAMETER)?;
            Ok(BOOL(false))
        }
    }
}
