//! Files of the C runtime: fopen and fclose over kernel32's CreateFile and CloseHandle (so
//! the I/O manager and any minifilter see every open, read and write), and reading
//! (fread, fgetc/getc, fgets, getchar, _getch) from files and standard input.
//!
//! A FILE here is a block of the process heap, msvcrt's `_FILEX`: the FILE, then the
//! CRITICAL_SECTION that `_lock_file` enters (mingw-w64's start-up code and printf lock a
//! stream that way). Otherwise the program only passes it back; what it stands for (the kernel32 handle, the mode, the end-of-file and error indicators) is kept on the
//! host, so a FILE the program made up or freed is refused (EBADF), never trusted. Streams
//! are unbuffered: each read or write is a request at the handle's position. Text mode (the
//! default unless "b", or `_fmode` says binary) is msvcrt's: "\n" is written as "\r\n",
//! "\r\n" reads as "\n", and Ctrl-Z (0x1A) ends a file being read.

use portcullis_hle::io::request;
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::printf;
use portcullis_hle::types::{Ptr, SizeT, PCSTR};

use super::startup::{set_errno, EINVAL};
use crate::kernel32::thread::me;
use crate::process::Object;

/// EOF.
const EOF: i32 = -1;
/// errno values.
const ENOENT: u32 = 2;
const EBADF: u32 = 9;
const EACCES: u32 = 13;
const EEXIST: u32 = 17;
/// _O_BINARY, `_fmode`'s binary default.
const O_BINARY: u32 = 0x8000;
/// Longest path fopen reads.
const MAX_PATH_CHARS: usize = 32_767;
/// How much of a file a line read asks for at a time.
const LINE_CHUNK: u64 = 512;
/// Largest read or write passed at once.
const MAX_TRANSFER: u64 = 16 << 20;
const GENERIC_READ: u32 = 0x8000_0000;
const GENERIC_WRITE: u32 = 0x4000_0000;
const CREATE_ALWAYS: u32 = 2;
const OPEN_EXISTING: u32 = 3;
const OPEN_ALWAYS: u32 = 4;

/// What a FILE of fopen's stands for.
#[derive(Clone, Copy, Debug)]
pub struct CrtFile {
    /// The program's kernel32 handle.
    handle: u64,
    read: bool,
    write: bool,
    /// Every write goes to the end ("a").
    append: bool,
    text: bool,
    eof: bool,
    error: bool,
}

/// Which stream a FILE pointer is: a standard one (0, 1, 2) or one fopen made.
enum Stream {
    Std(u64),
    File(CrtFile),
}

fn stream(k: &mut Kx, f: Ptr) -> KResult<Option<Stream>> {
    if let Some(n) = super::stdio::standard(k, f)? {
        return Ok(Some(Stream::Std(n)));
    }
    Ok(me(k)?.crt.files.get(&f.0).copied().map(Stream::File))
}

fn update(k: &mut Kx, f: Ptr, change: impl FnOnce(&mut CrtFile)) -> KResult<()> {
    if let Some(file) = me(k)?.crt.files.get_mut(&f.0) {
        change(file);
    }
    Ok(())
}

/// The kernel32 handle's I/O manager handle and position.
fn handle_of(k: &mut Kx, h: u64) -> KResult<Option<(request::FileHandle, u64)>> {
    Ok(match me(k)?.handles.get(&h) {
        Some(Object::File { file, position, .. }) => Some((*file, *position)),
        _ => None,
    })
}

fn set_position(k: &mut Kx, h: u64, to: u64) -> KResult<()> {
    if let Some(Object::File { position, .. }) = me(k)?.handles.get_mut(&h) {
        *position = to;
    }
    Ok(())
}

/// FILE *fopen(const char *filename, const char *mode): "r", "w" or "a", then any of "+",
/// "b", "t" (and msvcrt's "c", "n", which change nothing here). NULL with errno on failure.
pub fn fopen(k: &mut Kx, name: PCSTR, mode: PCSTR) -> KResult<Ptr> {
    let path = printf::read_cstr(k.mem(), name.0, MAX_PATH_CHARS)?;
    let mode = printf::read_cstr(k.mem(), mode.0, 16)?;
    let Some((&first, rest)) = mode.split_first() else { return fail(k, EINVAL) };
    let plus = rest.contains(&b'+');
    if path.is_empty() || !rest.iter().all(|c| b"+btcn".contains(c)) {
        return fail(k, EINVAL);
    }
    let (read, write, append, disposition) = match first {
        b'r' => (true, plus, false, OPEN_EXISTING),
        b'w' => (plus, true, false, CREATE_ALWAYS),
        b'a' => (plus, true, true, OPEN_ALWAYS),
        _ => return fail(k, EINVAL),
    };
    let data = me(k)?.crt.data;
    let fmode = k.mem().read_u32(data + super::at::FMODE).unwrap_or(0);
    let text = if rest.contains(&b'b') { false } else { rest.contains(&b't') || fmode & O_BINARY == 0 };
    let access = (if read { GENERIC_READ } else { 0 }) | (if write { GENERIC_WRITE } else { 0 });
    let path: String = path.iter().map(|&b| b as char).collect();
    let h = crate::kernel32::file::create(k, &path, access, disposition, 0)?;
    if h.0 == k.arch().mask(u64::MAX) {
        let error = crate::kernel32::thread::GetLastError(k)?;
        return fail(k, errno_of(error));
    }
    let file_size = super::file_size(k.arch());
    let block = super::heap::calloc(k, SizeT(1), SizeT(file_size + critical_section_size(k)))?;
    if block.0 == 0 {
        crate::kernel32::file::CloseHandle(k, h)?;
        return Ok(Ptr(0));
    }
    crate::kernel32::sync::InitializeCriticalSection(k, Ptr(block.0 + file_size))?;
    let file = CrtFile { handle: h.0, read, write, append, text, eof: false, error: false };
    me(k)?.crt.files.insert(block.0, file);
    Ok(block)
}

/// RTL_CRITICAL_SECTION's size.
fn critical_section_size(k: &Kx) -> u64 {
    match k.arch() {
        portcullis_emu::Arch::X86 => 0x18,
        portcullis_emu::Arch::X64 => 0x28,
    }
}

fn fail(k: &mut Kx, errno: u32) -> KResult<Ptr> {
    set_errno(k, errno)?;
    Ok(Ptr(0))
}

/// msvcrt's _dosmaperr for what CreateFile says.
fn errno_of(win32: u32) -> u32 {
    match win32 {
        2 | 3 | 15 | 123 => ENOENT,      // file or path not found, bad drive or name
        5 | 19 | 32 | 33 | 82 => EACCES, // denied, write-protected, sharing, locked
        80 | 183 => EEXIST,              // exists
        4 => 24,                         // too many open files: EMFILE
        _ => EINVAL,
    }
}

/// int fclose(FILE *stream): 0, or EOF (EBADF for a FILE fopen did not make).
pub fn fclose(k: &mut Kx, f: Ptr) -> KResult<i32> {
    let Some(file) = me(k)?.crt.files.remove(&f.0) else {
        set_errno(k, EBADF)?;
        return Ok(EOF);
    };
    crate::kernel32::file::CloseHandle(k, portcullis_hle::types::HANDLE(file.handle))?;
    let lock = f.0 + super::file_size(k.arch());
    crate::kernel32::sync::DeleteCriticalSection(k, Ptr(lock))?;
    super::heap::free(k, f)?;
    Ok(0)
}

/// Reads up to `n` raw bytes at the handle's position, moving it; None when the read
/// failed.
fn read_raw(k: &mut Kx, handle: u64, n: u64) -> KResult<Option<Vec<u8>>> {
    let Some((file, position)) = handle_of(k, handle)? else { return Ok(None) };
    let r = request::read(k, file, n, position)?;
    if r.completion.is_none() || !r.status().is_success() {
        // The end of the file is no error.
        return Ok((r.status().0 == 0xC000_0011).then(Vec::new)); // STATUS_END_OF_FILE
    }
    let bytes = r.output().to_vec();
    set_position(k, handle, position.saturating_add(bytes.len() as u64))?;
    Ok(Some(bytes))
}

/// Up to `n` bytes of stream `f` as the program reads them (text mode translated); fewer at
/// the end of the stream (its indicator set) or on an error (that one set).
fn read_stream(k: &mut Kx, f: Ptr, n: u64, line: bool) -> KResult<Option<Vec<u8>>> {
    let Some(s) = stream(k, f)? else {
        set_errno(k, EBADF)?;
        return Ok(None);
    };
    let mut out = Vec::new();
    match s {
        Stream::Std(0) => {
            // Standard input, in text mode: "\r\n" reads as "\n".
            let Some(p) = crate::current(k) else { return Ok(Some(out)) };
            while (out.len() as u64) < n {
                let chunk = p.stdin.read_line((n - out.len() as u64) as usize).to_vec();
                if chunk.is_empty() {
                    break;
                }
                let done = chunk.ends_with(b"\n");
                out.extend(chunk.iter().filter(|&&b| b != b'\r'));
                if line && done {
                    break;
                }
            }
        }
        Stream::Std(_) => {
            set_errno(k, EBADF)?;
            return Ok(None);
        }
        Stream::File(file) => {
            if !file.read {
                update(k, f, |x| x.error = true)?;
                set_errno(k, EBADF)?;
                return Ok(None);
            }
            let mut ended = false;
            while (out.len() as u64) < n && !ended {
                // A line is read in chunks; what follows its "\n" goes back.
                let want = if line { (n - out.len() as u64).min(LINE_CHUNK) } else { n - out.len() as u64 };
                let Some(mut raw) = read_raw(k, file.handle, want)? else {
                    update(k, f, |x| x.error = true)?;
                    break;
                };
                if raw.is_empty() {
                    ended = true;
                    break;
                }
                if let Some(i) = raw.iter().position(|&b| b == b'\n').filter(|_| line) {
                    let extra = (raw.len() - i - 1) as u64;
                    raw.truncate(i + 1);
                    let position = handle_of(k, file.handle)?.map_or(0, |(_, p)| p);
                    set_position(k, file.handle, position - extra)?;
                }
                if !file.text {
                    out.extend_from_slice(&raw);
                } else {
                    ended = translate(k, file.handle, &raw, &mut out)?;
                }
                if line && out.last() == Some(&b'\n') {
                    break;
                }
            }
            if ended || (out.len() as u64) < n && !line {
                update(k, f, |x| x.eof = true)?;
            }
        }
    }
    Ok(Some(out))
}

/// Text mode: appends `raw` to `out` with "\r\n" as "\n", stopping at Ctrl-Z (true: the
/// file ends there; the position stays on it). A "\r" at the end of `raw` looks at the next
/// byte.
fn translate(k: &mut Kx, handle: u64, raw: &[u8], out: &mut Vec<u8>) -> KResult<bool> {
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            0x1A => {
                let back = (raw.len() - i) as u64;
                let position = handle_of(k, handle)?.map_or(0, |(_, p)| p);
                set_position(k, handle, position - back)?;
                return Ok(true);
            }
            b'\r' if i + 1 < raw.len() => {
                if raw[i + 1] == b'\n' {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                out.push(b'\r');
            }
            b'\r' => match read_raw(k, handle, 1)?.as_deref() {
                Some([b'\n']) => out.push(b'\n'),
                Some([_]) => {
                    out.push(b'\r');
                    let position = handle_of(k, handle)?.map_or(0, |(_, p)| p);
                    set_position(k, handle, position - 1)?;
                }
                _ => out.push(b'\r'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    Ok(false)
}

/// Writes `bytes` to fopen's file `f` (text mode: "\n" as "\r\n"): the count of the
/// program's bytes written, or None (the error indicator set).
pub(crate) fn write_file(k: &mut Kx, f: Ptr, bytes: &[u8]) -> KResult<Option<usize>> {
    let Some(file) = me(k)?.crt.files.get(&f.0).copied() else { return Ok(None) };
    let Some((handle, mut position)) = handle_of(k, file.handle)?.filter(|_| file.write) else {
        update(k, f, |x| x.error = true)?;
        set_errno(k, EBADF)?;
        return Ok(None);
    };
    if file.append {
        position = request::file_size(k, handle).unwrap_or(position);
    }
    let data: Vec<u8> = if file.text {
        bytes.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect()
    } else {
        bytes.to_vec()
    };
    let r = request::write(k, handle, &data, position)?;
    if r.completion.is_none() || !r.status().is_success() || r.information() != data.len() as u64 {
        update(k, f, |x| x.error = true)?;
        return Ok(None);
    }
    set_position(k, file.handle, position.saturating_add(data.len() as u64))?;
    Ok(Some(bytes.len()))
}

/// size_t fread(void *buffer, size_t size, size_t count, FILE *stream): the whole items
/// read.
pub fn fread(k: &mut Kx, buffer: Ptr, size: SizeT, count: SizeT, f: Ptr) -> KResult<SizeT> {
    let Some(total) = size.0.checked_mul(count.0).filter(|t| *t <= MAX_TRANSFER) else {
        set_errno(k, EINVAL)?;
        return Ok(SizeT(0));
    };
    if total == 0 {
        return Ok(SizeT(0));
    }
    let Some(bytes) = read_stream(k, f, total, false)? else { return Ok(SizeT(0)) };
    k.mem_mut().write(buffer.0, &bytes)?;
    Ok(SizeT(bytes.len() as u64 / size.0))
}

/// int fgetc(FILE *stream): the next byte, or EOF.
pub fn fgetc(k: &mut Kx, f: Ptr) -> KResult<i32> {
    Ok(match read_stream(k, f, 1, false)?.as_deref() {
        Some([b]) => *b as i32,
        _ => EOF,
    })
}

/// int getc(FILE *stream): fgetc.
pub fn getc(k: &mut Kx, f: Ptr) -> KResult<i32> {
    fgetc(k, f)
}

/// int getchar(void): fgetc(stdin).
pub fn getchar(k: &mut Kx) -> KResult<i32> {
    let stdin = super::stdio::standard_stream(k, 0)?;
    fgetc(k, stdin)
}

/// int _getch(void): the next character typed, without echo: here the next byte of the
/// run's standard input (EOF once it is all read, where Windows would wait for a key).
pub fn _getch(k: &mut Kx) -> KResult<i32> {
    let Some(p) = crate::current(k) else { return Ok(EOF) };
    Ok(p.stdin.read_line(1).first().map_or(EOF, |&b| b as i32))
}

/// char *fgets(char *str, int n, FILE *stream): a line of at most `n - 1` bytes (its "\n"
/// kept), NUL-terminated; NULL at the end of the stream with nothing read, or on an error.
pub fn fgets(k: &mut Kx, buffer: Ptr, n: i32, f: Ptr) -> KResult<Ptr> {
    if n <= 0 {
        set_errno(k, EINVAL)?;
        return Ok(Ptr(0));
    }
    let max = (n as u64 - 1).min(MAX_TRANSFER);
    let mut line = Vec::new();
    while (line.len() as u64) < max {
        let Some(chunk) = read_stream(k, f, max - line.len() as u64, true)? else { return Ok(Ptr(0)) };
        if chunk.is_empty() {
            break;
        }
        line.extend_from_slice(&chunk);
        if line.last() == Some(&b'\n') {
            break;
        }
    }
    if line.is_empty() && n > 1 {
        return Ok(Ptr(0));
    }
    line.push(0);
    k.mem_mut().write(buffer.0, &line)?;
    Ok(buffer)
}

/// int feof(FILE *stream): nonzero once a read met the end of the stream.
pub fn feof(k: &mut Kx, f: Ptr) -> KResult<i32> {
    Ok(match stream(k, f)? {
        Some(Stream::File(file)) => file.eof as i32 * 0x10,
        Some(Stream::Std(0)) => crate::current(k).is_some_and(|p| p.stdin.at_end()) as i32 * 0x10,
        _ => 0,
    })
}

/// int ferror(FILE *stream): nonzero once an operation on the stream failed.
pub fn ferror(k: &mut Kx, f: Ptr) -> KResult<i32> {
    Ok(match stream(k, f)? {
        Some(Stream::File(file)) => file.error as i32 * 0x20,
        _ => 0,
    })
}

/// void clearerr(FILE *stream): both indicators cleared.
pub fn clearerr(k: &mut Kx, f: Ptr) -> KResult<()> {
    update(k, f, |x| {
        x.eof = false;
        x.error = false;
    })
}

/// int fseek(FILE *stream, long offset, int origin): SEEK_SET, SEEK_CUR or SEEK_END; 0, or
/// -1 with errno EINVAL (a position before the start, an unknown origin). The end-of-file
/// indicator clears.
pub fn fseek(k: &mut Kx, f: Ptr, offset: i32, origin: i32) -> KResult<i32> {
    let Some(Stream::File(file)) = stream(k, f)? else {
        set_errno(k, EBADF)?;
        return Ok(-1);
    };
    let Some((handle, position)) = handle_of(k, file.handle)? else { return Ok(-1) };
    let base = match origin {
        0 => 0,
        1 => position as i64,
        2 => request::file_size(k, handle).unwrap_or(0) as i64,
        _ => {
            set_errno(k, EINVAL)?;
            return Ok(-1);
        }
    };
    let Some(to) = base.checked_add(offset as i64).filter(|t| *t >= 0) else {
        set_errno(k, EINVAL)?;
        return Ok(-1);
    };
    set_position(k, file.handle, to as u64)?;
    update(k, f, |x| x.eof = false)?;
    Ok(0)
}

/// long ftell(FILE *stream): the position (bytes of the file, as msvcrt counts in text
/// mode too), or -1.
pub fn ftell(k: &mut Kx, f: Ptr) -> KResult<i32> {
    let Some(Stream::File(file)) = stream(k, f)? else {
        set_errno(k, EBADF)?;
        return Ok(-1);
    };
    Ok(match handle_of(k, file.handle)? {
        Some((_, position)) if position <= i32::MAX as u64 => position as i32,
        _ => {
            set_errno(k, EINVAL)?;
            -1
        }
    })
}

/// void rewind(FILE *stream): back to the start, both indicators cleared.
pub fn rewind(k: &mut Kx, f: Ptr) -> KResult<()> {
    if fseek(k, f, 0, 0)? == 0 {
        clearerr(k, f)?;
    }
    Ok(())
}
