//! The standard streams: printf, fprintf, vprintf, vfprintf, puts, putchar, fputc, fputs,
//! fwrite and fflush on `_iob`'s stdout and stderr, whose bytes go to the program's console
//! (what it wrote, in the report). Formatting is the kernel's printf engine
//! (`hle::rtl::printf`), which the kernel's own sprintf family uses. The same functions write
//! to files fopen opened ([`super::file`]); stdin is not writable (EOF, errno EBADF), nor is a
//! FILE the C runtime did not make.

use portcullis_emu::MemError;
use portcullis_hle::exports::CallArgs;
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::printf::{self, VarArgs};
use portcullis_hle::types::{Ptr, SizeT, PCSTR};

use crate::kernel32::thread::me;

/// EOF.
const EOF: i32 = -1;
/// EBADF.
const EBADF: u32 = 9;
/// Longest format string read.
const MAX_FORMAT: usize = 64 * 1024;
/// Largest fwrite passed at once.
const MAX_WRITE: u64 = 16 << 20;

/// Which standard stream `stream` is: 0, 1 or 2.
pub(crate) fn standard(k: &mut Kx, stream: Ptr) -> KResult<Option<u64>> {
    let iob = me(k)?.crt.data + super::at::IOB;
    let size = super::file_size(k.arch());
    let off = stream.0.wrapping_sub(iob);
    Ok((off < 3 * size && off.is_multiple_of(size)).then_some(off / size))
}

/// Writes `bytes` to `stream` (stdout, stderr or a file fopen opened): the count, or None
/// (errno EBADF, or the file's error indicator set).
fn put(k: &mut Kx, to: Ptr, bytes: &[u8]) -> KResult<Option<usize>> {
    match standard(k, to)? {
        Some(1 | 2) => {
            me(k)?;
            crate::kernel32::console::append(k, bytes);
            Ok(Some(bytes.len()))
        }
        None if me(k)?.crt.files.contains_key(&to.0) => super::file::write_file(k, to, bytes),
        _ => {
            super::startup::set_errno(k, EBADF)?;
            Ok(None)
        }
    }
}

/// `_iob[n]`: stdin (0), stdout (1), stderr (2).
pub(crate) fn standard_stream(k: &mut Kx, n: u64) -> KResult<Ptr> {
    Ok(Ptr(me(k)?.crt.data + super::at::IOB + n * super::file_size(k.arch())))
}

fn stdout(k: &mut Kx) -> KResult<Ptr> {
    standard_stream(k, 1)
}

/// Variadic arguments after the fixed parameters.
struct Frame<'a> {
    args: &'a mut CallArgs,
    k: &'a Kx,
}

impl VarArgs for Frame<'_> {
    fn next_slot(&mut self) -> Result<u64, MemError> {
        self.args.slot(self.k)
    }
}

/// A va_list: consecutive pointer-sized slots.
struct List<'a> {
    k: &'a Kx,
    at: u64,
}

impl VarArgs for List<'_> {
    fn next_slot(&mut self) -> Result<u64, MemError> {
        let v = self.k.mem().read_ptr(self.at)?;
        self.at = self.at.wrapping_add(self.k.arch().ptr_size());
        Ok(v)
    }
}

/// The text of `format` with arguments from `args`, as bytes of the ANSI code page.
fn render(k: &Kx, format: PCSTR, args: &mut dyn VarArgs) -> KResult<Vec<u8>> {
    let f = printf::read_cstr(k.mem(), format.0, MAX_FORMAT)?;
    let text = printf::format(&f, args, k.mem(), k.arch())?;
    Ok(text.chars().map(|c| if (c as u32) < 0x100 { c as u8 } else { b'?' }).collect())
}

fn emit(k: &mut Kx, to: Ptr, text: &[u8]) -> KResult<i32> {
    Ok(match put(k, to, text)? {
        Some(n) => n.min(i32::MAX as usize) as i32,
        None => EOF,
    })
}

/// int printf(const char *format, ...): the characters written, or -1.
pub fn printf(k: &mut Kx, format: PCSTR, args: &mut CallArgs) -> KResult<i32> {
    let text = render(k, format, &mut Frame { args, k })?;
    let out = stdout(k)?;
    emit(k, out, &text)
}

/// int fprintf(FILE *stream, const char *format, ...)
pub fn fprintf(k: &mut Kx, to: Ptr, format: PCSTR, args: &mut CallArgs) -> KResult<i32> {
    let text = render(k, format, &mut Frame { args, k })?;
    emit(k, to, &text)
}

/// int vprintf(const char *format, va_list args)
pub fn vprintf(k: &mut Kx, format: PCSTR, list: Ptr) -> KResult<i32> {
    let text = render(k, format, &mut List { k, at: list.0 })?;
    let out = stdout(k)?;
    emit(k, out, &text)
}

/// int vfprintf(FILE *stream, const char *format, va_list args)
pub fn vfprintf(k: &mut Kx, to: Ptr, format: PCSTR, list: Ptr) -> KResult<i32> {
    let text = render(k, format, &mut List { k, at: list.0 })?;
    emit(k, to, &text)
}

/// int puts(const char *s): `s` and a newline on stdout; a non-negative value, or EOF.
pub fn puts(k: &mut Kx, s: PCSTR) -> KResult<i32> {
    let mut text = printf::read_cstr(k.mem(), s.0, 1 << 30)?;
    text.push(b'\n');
    let out = stdout(k)?;
    Ok(if emit(k, out, &text)? == EOF { EOF } else { 0 })
}

/// int putchar(int c): `c` (as unsigned char) on stdout, or EOF.
pub fn putchar(k: &mut Kx, c: i32) -> KResult<i32> {
    let out = stdout(k)?;
    fputc(k, c, out)
}

/// int fputc(int c, FILE *stream): `c` (as unsigned char), or EOF.
pub fn fputc(k: &mut Kx, c: i32, to: Ptr) -> KResult<i32> {
    Ok(match put(k, to, &[c as u8])? {
        Some(_) => (c as u8) as i32,
        None => EOF,
    })
}

/// int fputs(const char *s, FILE *stream): a non-negative value, or EOF.
pub fn fputs(k: &mut Kx, s: PCSTR, to: Ptr) -> KResult<i32> {
    let text = printf::read_cstr(k.mem(), s.0, 1 << 30)?;
    Ok(if emit(k, to, &text)? == EOF { EOF } else { 0 })
}

/// size_t fwrite(const void *buffer, size_t size, size_t count, FILE *stream): the whole
/// items written (all, or 0 on a stream that cannot be written).
pub fn fwrite(k: &mut Kx, buffer: Ptr, size: SizeT, count: SizeT, to: Ptr) -> KResult<SizeT> {
    let Some(total) = size.0.checked_mul(count.0).filter(|t| *t <= MAX_WRITE) else {
        super::startup::set_errno(k, super::startup::EINVAL)?;
        return Ok(SizeT(0));
    };
    if total == 0 {
        return Ok(SizeT(0));
    }
    let bytes = k.mem().read_vec(buffer.0, total)?;
    Ok(SizeT(match put(k, to, &bytes)? {
        Some(_) => count.0,
        None => 0,
    }))
}

/// int fflush(FILE *stream): 0 (the streams are unbuffered here); NULL flushes all.
pub fn fflush(k: &mut Kx, to: Ptr) -> KResult<i32> {
    if to.0 == 0 || standard(k, to)?.is_some() || me(k)?.crt.files.contains_key(&to.0) {
        return Ok(0);
    }
    super::startup::set_errno(k, EBADF)?;
    Ok(EOF)
}
