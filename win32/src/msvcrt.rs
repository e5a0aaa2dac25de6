//! msvcrt.dll: the C runtime programs built with mingw-w64 (and old MSVC) import — what its
//! start-up code calls before and after `main` ([`startup`]), the heap ([`heap`]), strings
//! ([`string`]), standard output ([`stdio`]) and files and input ([`file`]) — one line each (see [`crate::table`]). A
//! program importing anything else is refused at load, naming it.
//!
//! Besides functions, msvcrt exports variables (`_iob`, `__initenv`, `__mb_cur_max`,
//! `_acmdln`, `_commode`, `_fmode`, `_adjust_fdiv`): an importer's IAT holds their address. They live in a
//! page of the process's own ([`Crt::data`], [`DATA`]), set up when the program is loaded.

pub mod file;
pub mod float;
pub mod heap;
pub mod startup;
pub mod stdio;
pub mod string;

use portcullis_emu::Arch;
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, SizeT, PCSTR, PCWSTR};

use crate::table::Win32Fn;
use crate::win32_exports;

/// The C runtime's state in a process.
#[derive(Clone, Debug, Default)]
pub struct Crt {
    /// Its data page (the exported variables, locale strings, errno).
    pub data: u64,
    /// Functions registered with _onexit/atexit, in order (called in reverse).
    pub(crate) at_exit: Vec<u64>,
    /// The handler signal() set per signal number (0: SIG_DFL).
    pub(crate) signals: [u64; 23],
    /// The FILEs fopen made, by address ([`file`]).
    pub(crate) files: std::collections::BTreeMap<u64, file::CrtFile>,
}

/// Where the variables and buffers lie in the data page.
pub(crate) mod at {
    /// `_iob[3]`: stdin, stdout, stderr (FILE is 32 bytes on x86, 48 on x64).
    pub const IOB: u64 = 0x000;
    pub const INITENV: u64 = 0x100;
    pub const MB_CUR_MAX: u64 = 0x108;
    pub const COMMODE: u64 = 0x10C;
    pub const FMODE: u64 = 0x110;
    pub const ACMDLN: u64 = 0x118;
    pub const ERRNO: u64 = 0x120;
    /// `_adjust_fdiv`: 0, no Pentium FDIV flaw to work around.
    pub const ADJUST_FDIV: u64 = 0x128;
    /// `struct lconv` of the "C" locale.
    pub const LCONV: u64 = 0x130;
    /// "C", "." and "" for the locale.
    pub const C_LOCALE: u64 = 0x1A0;
    pub const DOT: u64 = 0x1A2;
    pub const EMPTY: u64 = 0x1A4;
    /// strerror's buffer.
    pub const STRERROR: u64 = 0x200;
}

/// FILE's size.
pub(crate) fn file_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 32,
        Arch::X64 => 48,
    }
}

/// The variables msvcrt exports: (name, offset in the data page).
pub(crate) const DATA: &[(&str, u64)] = &[
    ("_iob", at::IOB),
    ("__initenv", at::INITENV),
    ("__mb_cur_max", at::MB_CUR_MAX),
    ("_commode", at::COMMODE),
    ("_fmode", at::FMODE),
    ("_acmdln", at::ACMDLN),
    ("_adjust_fdiv", at::ADJUST_FDIV),
];

/// The offset of variable `name` of `dll`, if it is one.
pub(crate) fn data_offset(dll: &str, name: &str) -> Option<u64> {
    if !dll.eq_ignore_ascii_case("msvcrt.dll") {
        return None;
    }
    DATA.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
}

/// Sets up a new process's data page at `page` (`command_line` is its ANSI command line):
/// the standard streams, `__mb_cur_max` 1, the "C" locale.
pub(crate) fn init_data(k: &mut Kx, page: u64, command_line: u64) -> KResult<()> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    let mem = k.mem_mut();
    for i in 0..3u64 {
        let file = page + at::IOB + i * file_size(arch);
        // _file (after _ptr, _cnt, _base, _flag), and _flag: _IOREAD for stdin, _IOWRT.
        let (flag_at, file_at) = match arch {
            Arch::X86 => (12, 16),
            Arch::X64 => (24, 28),
        };
        mem.write_u32(file + flag_at, if i == 0 { 0x1 } else { 0x2 })?;
        mem.write_u32(file + file_at, i as u32)?;
    }
    mem.write_u32(page + at::MB_CUR_MAX, 1)?;
    mem.write_ptr(page + at::ACMDLN, command_line)?;
    mem.write(page + at::C_LOCALE, b"C\0.\0\0")?;
    // lconv: decimal_point ".", the other nine strings "", the eight chars CHAR_MAX.
    mem.write_ptr(page + at::LCONV, page + at::DOT)?;
    for i in 1..10 {
        mem.write_ptr(page + at::LCONV + i * ps, page + at::EMPTY)?;
    }
    mem.write(page + at::LCONV + 10 * ps, &[0x7F; 8])?;
    Ok(())
}

pub static MSVCRT: &[Win32Fn] = win32_exports! {
    dll: "msvcrt.dll",
    functions:
    // Start-up and exit (msvcrt/startup.rs).
    cdecl fn __getmainargs(argc: Ptr, argv: Ptr, envp: Ptr, expand_wildcards: i32, startinfo: Ptr) -> i32 = startup::__getmainargs;
    cdecl fn __set_app_type(at: i32) -> () = startup::__set_app_type;
    cdecl fn __setusermatherr(handler: Ptr) -> () = startup::__setusermatherr;
    cdecl fn __p__acmdln() -> Ptr = startup::__p__acmdln;
    cdecl fn __p__commode() -> Ptr = startup::__p__commode;
    cdecl fn __p__fmode() -> Ptr = startup::__p__fmode;
    cdecl fn __iob_func() -> Ptr = startup::__iob_func;
    cdecl fn ___mb_cur_max_func() -> i32 = startup::___mb_cur_max_func;
    cdecl fn ___lc_codepage_func() -> u32 = startup::___lc_codepage_func;
    cdecl fn _errno() -> Ptr = startup::_errno;
    cdecl fn _initterm(first: Ptr, last: Ptr) -> () = startup::_initterm;
    cdecl fn _onexit(func: Ptr) -> Ptr = startup::_onexit;
    cdecl fn _cexit() -> () = startup::_cexit;
    cdecl fn exit(status: i32) -> () = startup::exit;
    cdecl fn _exit(status: i32) -> () = startup::_exit;
    cdecl fn _amsg_exit(code: i32) -> () = startup::_amsg_exit;
    cdecl fn abort() -> () = startup::abort;
    cdecl fn _lock(locknum: i32) -> () = startup::_lock;
    cdecl fn _unlock(locknum: i32) -> () = startup::_unlock;
    cdecl fn signal(sig: i32, func: Ptr) -> Ptr = startup::signal;
    cdecl fn _XcptFilter(xcptnum: u32, pxcptinfoptrs: Ptr) -> i32 = startup::_XcptFilter;
    // The floating-point control word (msvcrt/float.rs).
    cdecl fn _controlfp(new: u32, mask: u32) -> u32 = float::_controlfp;
    cdecl fn _control87(new: u32, mask: u32) -> u32 = float::_control87;
    cdecl fn setlocale(category: i32, locale: PCSTR) -> Ptr = startup::setlocale;
    cdecl fn localeconv() -> Ptr = startup::localeconv;
    // Language handlers compiled code names (exceptions run them directly: crate::exception).
    cdecl fn __C_specific_handler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = portcullis_hle::seh::c_specific_handler::__C_specific_handler;
    #[x86] cdecl fn _except_handler3(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = portcullis_hle::seh::except_handler::_except_handler3;
    // The heap (msvcrt/heap.rs).
    cdecl fn malloc(size: SizeT) -> Ptr = heap::malloc;
    cdecl fn calloc(count: SizeT, size: SizeT) -> Ptr = heap::calloc;
    cdecl fn realloc(block: Ptr, size: SizeT) -> Ptr = heap::realloc;
    cdecl fn free(block: Ptr) -> () = heap::free;
    // Strings (msvcrt/string.rs).
    cdecl fn memcpy(dest: Ptr, src: Ptr, count: SizeT) -> Ptr = string::memcpy;
    cdecl fn memset(dest: Ptr, c: i32, count: SizeT) -> Ptr = string::memset;
    cdecl fn strlen(s: PCSTR) -> SizeT = string::strlen;
    cdecl fn wcslen(s: PCWSTR) -> SizeT = string::wcslen;
    cdecl fn strchr(s: PCSTR, c: i32) -> Ptr = string::strchr;
    cdecl fn strcmp(a: PCSTR, b: PCSTR) -> i32 = string::strcmp;
    cdecl fn strncmp(a: PCSTR, b: PCSTR, count: SizeT) -> i32 = string::strncmp;
    cdecl fn atoi(s: PCSTR) -> i32 = string::atoi;
    cdecl fn strerror(errnum: i32) -> Ptr = string::strerror;
    // Standard streams (msvcrt/stdio.rs).
    #[varargs] cdecl fn printf(format: PCSTR) -> i32 = stdio::printf;
    #[varargs] cdecl fn fprintf(stream: Ptr, format: PCSTR) -> i32 = stdio::fprintf;
    cdecl fn vprintf(format: PCSTR, args: Ptr) -> i32 = stdio::vprintf;
    cdecl fn vfprintf(stream: Ptr, format: PCSTR, args: Ptr) -> i32 = stdio::vfprintf;
    cdecl fn puts(s: PCSTR) -> i32 = stdio::puts;
    cdecl fn putchar(c: i32) -> i32 = stdio::putchar;
    cdecl fn fputc(c: i32, stream: Ptr) -> i32 = stdio::fputc;
    cdecl fn fputs(s: PCSTR, stream: Ptr) -> i32 = stdio::fputs;
    cdecl fn fwrite(buffer: Ptr, size: SizeT, count: SizeT, stream: Ptr) -> SizeT = stdio::fwrite;
    cdecl fn fflush(stream: Ptr) -> i32 = stdio::fflush;
    // Files and reading (msvcrt/file.rs).
    cdecl fn fopen(filename: PCSTR, mode: PCSTR) -> Ptr = file::fopen;
    cdecl fn fclose(stream: Ptr) -> i32 = file::fclose;
    cdecl fn fread(buffer: Ptr, size: SizeT, count: SizeT, stream: Ptr) -> SizeT = file::fread;
    cdecl fn fgetc(stream: Ptr) -> i32 = file::fgetc;
    cdecl fn getc(stream: Ptr) -> i32 = file::getc;
    cdecl fn getchar() -> i32 = file::getchar;
    cdecl fn _getch() -> i32 = file::_getch;
    cdecl fn fgets(str: Ptr, n: i32, stream: Ptr) -> Ptr = file::fgets;
    cdecl fn feof(stream: Ptr) -> i32 = file::feof;
    cdecl fn ferror(stream: Ptr) -> i32 = file::ferror;
    cdecl fn clearerr(stream: Ptr) -> () = file::clearerr;
    cdecl fn fseek(stream: Ptr, offset: i32, origin: i32) -> i32 = file::fseek;
    cdecl fn ftell(stream: Ptr) -> i32 = file::ftell;
    cdecl fn rewind(stream: Ptr) -> () = file::rewind;
};
