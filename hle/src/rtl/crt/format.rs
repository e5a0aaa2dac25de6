//! The `printf` family of the kernel's C runtime (`sprintf`, `_snprintf`, `swprintf`,
//! `_snwprintf`, their `v` forms taking a `va_list`, and the secure `_s` forms), on the
//! kernel's formatting engine ([`crate::rtl::printf`], which documents the conversions).
//!
//! What each writes and returns is Microsoft's:
//! * `sprintf`, `swprintf`, `vsprintf`, `_vswprintf`: everything and a terminator; the length.
//! * `_snprintf`, `_snwprintf` and their `v` forms, with `count`: shorter output is terminated
//!   and its length returned; output of exactly `count` characters is not terminated and
//!   `count` is returned; longer output is cut to `count` characters, not terminated, and -1
//!   is returned. A NULL buffer with a zero count returns the length needed.
//! * `sprintf_s` & co. (`size` with room for the terminator): the output and a terminator;
//!   output that does not fit goes to the invalid-parameter handler, unless a `count` was
//!   given that is smaller than `size` or is `_TRUNCATE`, in which case the output is cut to
//!   fit, terminated, and -1 returned.
//!
//! Narrow output is in the ANSI code page (a wide argument's characters the page lacks become
//! `?`); wide output is UTF-16.
#![allow(non_snake_case)]

use portcullis_emu::{GuestMemory, MemError};

use crate::exports::CallArgs;
use crate::kernel::{KResult, Kx};
use crate::rtl::nls::CodePage;
use crate::rtl::printf::{self, Flavor, VarArgs};
use crate::types::{Ptr, SizeT, PCSTR, PCWSTR};

use super::string::Unit;
use super::{invalid_parameter, is_truncate, MAX_SCAN};

/// Variadic arguments read from the call frame, after the fixed parameters.
struct FrameArgs<'a> {
    args: &'a mut CallArgs,
    k: &'a Kx,
}

impl VarArgs for FrameArgs<'_> {
    fn next_slot(&mut self) -> Result<u64, MemError> {
        self.args.slot(self.k)
    }
}

/// A `va_list`: a pointer to consecutive pointer-sized slots in guest memory.
struct VaList<'a> {
    mem: &'a GuestMemory,
    at: u64,
}

impl VarArgs for VaList<'_> {
    fn next_slot(&mut self) -> Result<u64, MemError> {
        let v = self.mem.read_ptr(self.at)?;
        self.at = self.at.wrapping_add(self.mem.arch().ptr_size());
        Ok(v)
    }
}

/// Where the arguments come from.
enum Source<'a> {
    Frame(&'a mut CallArgs),
    List(u64),
}

/// Formats the format string at `format` and returns the output's characters (bytes of the
/// ANSI code page, or UTF-16 units).
fn render(k: &mut Kx, flavor: Flavor, format: u64, source: Source) -> KResult<Vec<u16>> {
    if format == 0 {
        return Err(invalid_parameter(k, "printf: no format string"));
    }
    let arch = k.arch();
    let text = match flavor {
        Flavor::Narrow => {
            let f = printf::read_cstr(k.mem(), format, MAX_SCAN)?;
            match source {
                Source::Frame(args) => printf::format(&f, &mut FrameArgs { args, k }, k.mem(), arch)?,
                Source::List(at) => printf::format(&f, &mut VaList { mem: k.mem(), at }, k.mem(), arch)?,
            }
        }
        Flavor::Wide => {
            let f = printf::read_wstr(k.mem(), format, MAX_SCAN)?;
            match source {
                Source::Frame(args) => printf::format_wide(&f, &mut FrameArgs { args, k }, k.mem(), arch)?,
                Source::List(at) => printf::format_wide(&f, &mut VaList { mem: k.mem(), at }, k.mem(), arch)?,
            }
        }
    };
    let units = text.encode_utf16();
    Ok(match flavor {
        Flavor::Narrow => units.map(|u| CodePage::Ansi.encode(u).into()).collect(),
        Flavor::Wide => units.collect(),
    })
}

fn unit_of(flavor: Flavor) -> Unit {
    match flavor {
        Flavor::Narrow => Unit::Byte,
        Flavor::Wide => Unit::Word,
    }
}

/// `sprintf`: the whole output and a terminator.
fn unbounded(k: &mut Kx, flavor: Flavor, dest: Ptr, format: u64, source: Source) -> KResult<i32> {
    if dest.is_null() {
        return Err(invalid_parameter(k, "sprintf: no buffer"));
    }
    let out = render(k, flavor, format, source)?;
    unit_of(flavor).write_terminated(k, dest.0, &out)?;
    Ok(out.len() as i32)
}

/// `_snprintf`: at most `count` characters (see the module documentation).
fn counted(k: &mut Kx, flavor: Flavor, dest: Ptr, count: SizeT, format: u64, source: Source) -> KResult<i32> {
    if dest.is_null() && count.0 != 0 {
        return Err(invalid_parameter(k, "_snprintf: no buffer"));
    }
    let out = render(k, flavor, format, source)?;
    let unit = unit_of(flavor);
    let len = out.len() as u64;
    if dest.is_null() {
        return Ok(len as i32);
    }
    if len < count.0 {
        unit.write_terminated(k, dest.0, &out)?;
        Ok(len as i32)
    } else {
        unit.write(k, dest.0, &out[..count.0.min(len) as usize])?;
        Ok(if len == count.0 { len as i32 } else { -1 })
    }
}

/// The secure forms: `size` holds the output and its terminator; `count` (the `_sn` forms)
/// may ask for truncation.
fn secure(
    k: &mut Kx,
    flavor: Flavor,
    dest: Ptr,
    size: SizeT,
    count: Option<SizeT>,
    format: u64,
    source: Source,
) -> KResult<i32> {
    if dest.is_null() || size.0 == 0 {
        return Err(invalid_parameter(k, "sprintf_s: no buffer"));
    }
    let out = render(k, flavor, format, source)?;
    let unit = unit_of(flavor);
    let len = out.len() as u64;
    let limit = match count {
        Some(c) if is_truncate(k, c.0) => size.0 - 1,
        Some(c) if c.0 < size.0 => c.0,
        _ => {
            if len >= size.0 {
                return Err(invalid_parameter(k, "sprintf_s: the buffer is too small"));
            }
            len
        }
    };
    if len <= limit {
        unit.write_terminated(k, dest.0, &out)?;
        Ok(len as i32)
    } else {
        unit.write_terminated(k, dest.0, &out[..limit as usize])?;
        Ok(-1)
    }
}

const N: Flavor = Flavor::Narrow;
const W: Flavor = Flavor::Wide;

/// int sprintf(char *buffer, const char *format, ...)
pub fn sprintf(k: &mut Kx, dest: Ptr, format: PCSTR, args: &mut CallArgs) -> KResult<i32> {
    unbounded(k, N, dest, format.0, Source::Frame(args))
}

/// int vsprintf(char *buffer, const char *format, va_list argptr)
pub fn vsprintf(k: &mut Kx, dest: Ptr, format: PCSTR, list: Ptr) -> KResult<i32> {
    unbounded(k, N, dest, format.0, Source::List(list.0))
}

/// int _snprintf(char *buffer, size_t count, const char *format, ...)
pub fn _snprintf(k: &mut Kx, dest: Ptr, count: SizeT, format: PCSTR, args: &mut CallArgs) -> KResult<i32> {
    counted(k, N, dest, count, format.0, Source::Frame(args))
}

/// int _vsnprintf(char *buffer, size_t count, const char *format, va_list argptr)
pub fn _vsnprintf(k: &mut Kx, dest: Ptr, count: SizeT, format: PCSTR, list: Ptr) -> KResult<i32> {
    counted(k, N, dest, count, format.0, Source::List(list.0))
}

/// int swprintf(wchar_t *buffer, const wchar_t *format, ...) (the kernel's legacy form, with
/// no count)
pub fn swprintf(k: &mut Kx, dest: Ptr, format: PCWSTR, args: &mut CallArgs) -> KResult<i32> {
    unbounded(k, W, dest, format.0, Source::Frame(args))
}

/// int _vswprintf(wchar_t *buffer, const wchar_t *format, va_list argptr)
pub fn _vswprintf(k: &mut Kx, dest: Ptr, format: PCWSTR, list: Ptr) -> KResult<i32> {
    unbounded(k, W, dest, format.0, Source::List(list.0))
}

/// int _snwprintf(wchar_t *buffer, size_t count, const wchar_t *format, ...)
pub fn _snwprintf(k: &mut Kx, dest: Ptr, count: SizeT, format: PCWSTR, args: &mut CallArgs) -> KResult<i32> {
    counted(k, W, dest, count, format.0, Source::Frame(args))
}

/// int _vsnwprintf(wchar_t *buffer, size_t count, const wchar_t *format, va_list argptr)
pub fn _vsnwprintf(k: &mut Kx, dest: Ptr, count: SizeT, format: PCWSTR, list: Ptr) -> KResult<i32> {
    counted(k, W, dest, count, format.0, Source::List(list.0))
}

/// int sprintf_s(char *buffer, size_t sizeOfBuffer, const char *format, ...)
pub fn sprintf_s(k: &mut Kx, dest: Ptr, size: SizeT, format: PCSTR, args: &mut CallArgs) -> KResult<i32> {
    secure(k, N, dest, size, None, format.0, Source::Frame(args))
}

/// int vsprintf_s(char *buffer, size_t numberOfElements, const char *format, va_list argptr)
pub fn vsprintf_s(k: &mut Kx, dest: Ptr, size: SizeT, format: PCSTR, list: Ptr) -> KResult<i32> {
    secure(k, N, dest, size, None, format.0, Source::List(list.0))
}

/// int _snprintf_s(char *buffer, size_t sizeOfBuffer, size_t count, const char *format, ...)
pub fn _snprintf_s(
    k: &mut Kx,
    dest: Ptr,
    size: SizeT,
    count: SizeT,
    format: PCSTR,
    args: &mut CallArgs,
) -> KResult<i32> {
    secure(k, N, dest, size, Some(count), format.0, Source::Frame(args))
}

/// int _vsnprintf_s(char *buffer, size_t sizeOfBuffer, size_t count, const char *format,
/// va_list argptr)
pub fn _vsnprintf_s(k: &mut Kx, dest: Ptr, size: SizeT, count: SizeT, format: PCSTR, list: Ptr) -> KResult<i32> {
    secure(k, N, dest, size, Some(count), format.0, Source::List(list.0))
}

/// int swprintf_s(wchar_t *buffer, size_t sizeOfBuffer, const wchar_t *format, ...)
pub fn swprintf_s(k: &mut Kx, dest: Ptr, size: SizeT, format: PCWSTR, args: &mut CallArgs) -> KResult<i32> {
    secure(k, W, dest, size, None, format.0, Source::Frame(args))
}

/// int vswprintf_s(wchar_t *buffer, size_t numberOfElements, const wchar_t *format, va_list
/// argptr)
pub fn vswprintf_s(k: &mut Kx, dest: Ptr, size: SizeT, format: PCWSTR, list: Ptr) -> KResult<i32> {
    secure(k, W, dest, size, None, format.0, Source::List(list.0))
}

/// int _snwprintf_s(wchar_t *buffer, size_t sizeOfBuffer, size_t count, const wchar_t
/// *format, ...)
pub fn _snwprintf_s(
    k: &mut Kx,
    dest: Ptr,
    size: SizeT,
    count: SizeT,
    format: PCWSTR,
    args: &mut CallArgs,
) -> KResult<i32> {
    secure(k, W, dest, size, Some(count), format.0, Source::Frame(args))
}

/// int _vsnwprintf_s(wchar_t *buffer, size_t sizeOfBuffer, size_t count, const wchar_t
/// *format, va_list argptr)
pub fn _vsnwprintf_s(k: &mut Kx, dest: Ptr, size: SizeT, count: SizeT, format: PCWSTR, list: Ptr) -> KResult<i32> {
    secure(k, W, dest, size, Some(count), format.0, Source::List(list.0))
}
