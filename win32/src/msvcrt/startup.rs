//! What msvcrt's start-up and exit code does: the arguments and environment `main` gets
//! (__getmainargs), the initialiser tables (_initterm), functions to call at exit
//! (_onexit, exit, _cexit), the abnormal ends (abort, _amsg_exit), the variables' accessors,
//! errno, signal handlers and the "C" locale.
//!
//! The initialisers and exit functions are the program's own code, called in user mode as
//! the loader calls DllMain ([`crate::callback`]): the function's slot returns into the
//! first, and the last returns to the function's caller (or ends the process for exit).
//! signal() records a handler; abort calls SIGABRT's; _XcptFilter, the filter of an MSVC
//! program's outermost __except, calls the handler of the signal an exception stands for.
//! There is no console to press Ctrl+C at.
#![allow(non_snake_case)]

use portcullis_emu::{Prot, RegionKind};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, PCSTR};

use super::at;
use crate::callback::{self, Then};
use crate::kernel32::thread::me;
use crate::module::InitCall;

/// Most entries _initterm walks (a table is a few dozen at most).
const MAX_INITIALISERS: u64 = 4096;
/// SIGABRT, and the handlers signal() knows besides a function.
const SIGABRT: i32 = 22;
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
/// EINVAL.
pub(crate) const EINVAL: u32 = 22;

fn crt(k: &mut Kx) -> KResult<&mut super::Crt> {
    Ok(&mut me(k)?.crt)
}

fn data(k: &mut Kx) -> KResult<u64> {
    Ok(crt(k)?.data)
}

/// Sets errno.
pub(crate) fn set_errno(k: &mut Kx, e: u32) -> KResult<()> {
    let at = data(k)? + at::ERRNO;
    Ok(k.mem_mut().write_u32(at, e)?)
}

/// The arguments of a command line as msvcrt splits them: blanks separate; a quoted run
/// keeps its blanks; 2n backslashes before a quote are n and the quote counts, 2n+1 are n
/// and a literal quote; `""` inside quotes is a literal quote.
pub(crate) fn split_command_line(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    loop {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while i < chars.len() && (quoted || (chars[i] != ' ' && chars[i] != '\t')) {
            let mut slashes = 0;
            while i < chars.len() && chars[i] == '\\' {
                slashes += 1;
                i += 1;
            }
            if i < chars.len() && chars[i] == '"' {
                arg.extend(std::iter::repeat_n('\\', slashes / 2));
                if slashes % 2 == 1 {
                    arg.push('"');
                } else if quoted && i + 1 < chars.len() && chars[i + 1] == '"' {
                    arg.push('"');
                    i += 1;
                } else {
                    quoted = !quoted;
                }
                i += 1;
            } else {
                arg.extend(std::iter::repeat_n('\\', slashes));
                if i < chars.len() && (quoted || (chars[i] != ' ' && chars[i] != '\t')) {
                    arg.push(chars[i]);
                    i += 1;
                }
            }
        }
        args.push(arg);
    }
    args
}

/// Writes NUL-terminated ANSI strings and a NULL-terminated array of pointers to them in a
/// fresh region of the process; the array's address.
fn string_array(k: &mut Kx, what: &str, strings: &[String]) -> KResult<u64> {
    let ps = k.arch().ptr_size();
    let table = (strings.len() as u64 + 1) * ps;
    let bytes: u64 = strings.iter().map(|s| s.len() as u64 + 1).sum();
    let base = k.mem_mut().alloc(RegionKind::User, what.to_string(), table + bytes, Prot::RW)?;
    me(k)?.regions.push(base);
    let mut text = base + table;
    for (i, s) in strings.iter().enumerate() {
        let ansi: Vec<u8> = s.chars().map(|c| if (c as u32) < 0x100 { c as u8 } else { b'?' }).chain([0]).collect();
        k.mem_mut().write(text, &ansi)?;
        k.mem_mut().write_ptr(base + i as u64 * ps, text)?;
        text += ansi.len() as u64;
    }
    Ok(base)
}

/// int __getmainargs(int *argc, char ***argv, char ***envp, int expand_wildcards,
/// _startupinfo *si): the command line split as msvcrt splits it, and the environment
/// (`name=value`). Wildcards are not expanded (mingw's default asks for none). 0.
pub fn __getmainargs(k: &mut Kx, argc: Ptr, argv: Ptr, envp: Ptr, _wildcards: i32, _si: Ptr) -> KResult<i32> {
    let line = me(k)?.command_line.clone();
    let args = split_command_line(&line);
    let vars = crate::kernel32::environment::environment(k)?.block();
    let argv_at = string_array(k, "argv", &args)?;
    let env_at = string_array(k, "environ", &vars)?;
    let page = data(k)?;
    let mem = k.mem_mut();
    mem.write_u32(argc.0, args.len() as u32)?;
    mem.write_ptr(argv.0, argv_at)?;
    mem.write_ptr(envp.0, env_at)?;
    mem.write_ptr(page + at::INITENV, env_at)?;
    Ok(0)
}

/// void __set_app_type(int at): console or GUI, for how errors are shown; a console here.
pub fn __set_app_type(_k: &mut Kx, _at: i32) -> KResult<()> {
    Ok(())
}

/// void __setusermatherr(handler): the math error handler. Our runtime's math functions
/// (none exported yet) raise no errors to it.
pub fn __setusermatherr(_k: &mut Kx, _handler: Ptr) -> KResult<()> {
    Ok(())
}

/// char **__p__acmdln(void): where `_acmdln` (the ANSI command line) is.
pub fn __p__acmdln(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(data(k)? + at::ACMDLN))
}

/// int *__p__commode(void)
pub fn __p__commode(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(data(k)? + at::COMMODE))
}

/// int *__p__fmode(void)
pub fn __p__fmode(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(data(k)? + at::FMODE))
}

/// FILE *__iob_func(void): `_iob`, the standard streams.
pub fn __iob_func(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(data(k)? + at::IOB))
}

/// int ___mb_cur_max_func(void): 1 (the "C" locale's code page is single-byte).
pub fn ___mb_cur_max_func(_k: &mut Kx) -> KResult<i32> {
    Ok(1)
}

/// UINT ___lc_codepage_func(void): 0, the "C" locale's.
pub fn ___lc_codepage_func(_k: &mut Kx) -> KResult<u32> {
    Ok(0)
}

/// int *_errno(void)
pub fn _errno(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(data(k)? + at::ERRNO))
}

/// Plain calls of the program's functions (their arguments: `arg`, which a function of no
/// parameters ignores).
fn calls(targets: impl Iterator<Item = u64>, arg: u64) -> Vec<InitCall> {
    targets.map(|t| InitCall { target: t, base: arg, reason: 0, reserved: 0, entry: false }).collect()
}

/// void _initterm(_PVFV *first, _PVFV *last): calls each non-NULL function of the table, in
/// order.
pub fn _initterm(k: &mut Kx, first: Ptr, last: Ptr) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let n = (last.0.saturating_sub(first.0) / ps).min(MAX_INITIALISERS);
    let mut targets = Vec::new();
    for i in 0..n {
        let f = k.mem().read_ptr(first.0 + i * ps)?;
        if f != 0 {
            targets.push(f);
        }
    }
    if !targets.is_empty() {
        let then = Then::Return { sp: 0, caller: 0, pop: 0, value: 0, unload: Vec::new(), loaded: Vec::new() };
        callback::request(k, calls(targets.into_iter(), 0), then);
    }
    Ok(())
}

/// _onexit_t _onexit(_onexit_t func): `func` is called at exit (last registered first).
pub fn _onexit(k: &mut Kx, func: Ptr) -> KResult<Ptr> {
    if func.0 == 0 {
        return Ok(Ptr(0));
    }
    crt(k)?.at_exit.push(func.0);
    Ok(func)
}

/// The exit functions, last registered first, taken from the list.
fn take_at_exit(k: &mut Kx) -> KResult<Vec<InitCall>> {
    let list = std::mem::take(&mut crt(k)?.at_exit);
    Ok(calls(list.into_iter().rev(), 0))
}

/// void _cexit(void): calls the exit functions, without ending the process.
pub fn _cexit(k: &mut Kx) -> KResult<()> {
    let list = take_at_exit(k)?;
    if !list.is_empty() {
        let then = Then::Return { sp: 0, caller: 0, pop: 0, value: 0, unload: Vec::new(), loaded: Vec::new() };
        callback::request(k, list, then);
    }
    Ok(())
}

/// Ends the process with `status` after `calls`.
fn end_after(k: &mut Kx, calls: Vec<InitCall>, status: u32) -> KResult<()> {
    if calls.is_empty() {
        return crate::kernel32::thread::ExitProcess(k, status);
    }
    callback::request(k, calls, Then::Exit(status));
    Ok(())
}

/// void exit(int status): the exit functions, then ExitProcess(status).
pub fn exit(k: &mut Kx, status: i32) -> KResult<()> {
    let list = take_at_exit(k)?;
    end_after(k, list, status as u32)
}

/// void _exit(int status): ExitProcess(status) at once.
pub fn _exit(k: &mut Kx, status: i32) -> KResult<()> {
    crate::kernel32::thread::ExitProcess(k, status as u32)
}

/// Writes `text` to the console (standard error).
fn to_console(k: &mut Kx, text: &str) -> KResult<()> {
    me(k)?;
    crate::kernel32::console::append(k, text.as_bytes());
    Ok(())
}

/// void _amsg_exit(int rterrnum): msvcrt's fatal run-time error: "runtime error R60nn" on
/// standard error, then _exit(255).
pub fn _amsg_exit(k: &mut Kx, code: i32) -> KResult<()> {
    to_console(k, &format!("\nruntime error R60{:02}\n", code.rem_euclid(100)))?;
    crate::kernel32::thread::ExitProcess(k, 255)
}

/// void abort(void): SIGABRT's handler if the program set one (SIG_IGN is not honoured for
/// it, as msvcrt does not), then msvcrt's message and _exit(3).
pub fn abort(k: &mut Kx) -> KResult<()> {
    to_console(
        k,
        "\nThis application has requested the Runtime to terminate it in an unusual way.\n\
         Please contact the application's support team for more information.\n",
    )?;
    let handler = crt(k)?.signals[SIGABRT as usize];
    let list = if handler > SIG_IGN { calls(std::iter::once(handler), SIGABRT as u64) } else { Vec::new() };
    end_after(k, list, 3)
}

/// void _lock(int locknum): msvcrt's internal locks. One thread per process here, so a lock
/// is always free and taking it never waits.
pub fn _lock(_k: &mut Kx, _locknum: i32) -> KResult<()> {
    Ok(())
}

/// void _unlock(int locknum)
pub fn _unlock(_k: &mut Kx, _locknum: i32) -> KResult<()> {
    Ok(())
}

/// void (*signal(int sig, void (*func)(int)))(int): records `func` for `sig` (SIGINT,
/// SIGILL, SIGFPE, SIGSEGV, SIGTERM, SIGBREAK, SIGABRT) and returns the previous handler;
/// SIG_ERR (-1) with errno EINVAL for another signal.
pub fn signal(k: &mut Kx, sig: i32, func: Ptr) -> KResult<Ptr> {
    if ![2, 4, 8, 11, 15, 21, SIGABRT].contains(&sig) {
        set_errno(k, EINVAL)?;
        return Ok(Ptr(k.arch().mask(u64::MAX)));
    }
    let previous = std::mem::replace(&mut crt(k)?.signals[sig as usize], func.0);
    Ok(Ptr(if previous == SIG_DFL { 0 } else { previous }))
}

/// The signal each exception stands for in msvcrt's table, and for SIGFPE its `_fpecode`.
fn signal_of(code: u32) -> Option<(i32, u64)> {
    const SIGILL: i32 = 4;
    const SIGFPE: i32 = 8;
    const SIGSEGV: i32 = 11;
    Some(match code {
        0xC000_0005 => (SIGSEGV, 0),
        0xC000_001D | 0xC000_0096 => (SIGILL, 0),
        0xC000_008D => (SIGFPE, 0x82), // denormal operand: _FPE_DENORMAL
        0xC000_008E => (SIGFPE, 0x83), // divide by zero: _FPE_ZERODIVIDE
        0xC000_008F => (SIGFPE, 0x86), // inexact result: _FPE_INEXACT
        0xC000_0090 => (SIGFPE, 0x81), // invalid operation: _FPE_INVALID
        0xC000_0091 => (SIGFPE, 0x84), // overflow: _FPE_OVERFLOW
        0xC000_0092 => (SIGFPE, 0x8A), // stack check: _FPE_STACKOVERFLOW
        0xC000_0093 => (SIGFPE, 0x85), // underflow: _FPE_UNDERFLOW
        _ => return None,
    })
}

/// int _XcptFilter(unsigned long xcptnum, PEXCEPTION_POINTERS pxcptinfoptrs): the filter of
/// the __except around an MSVC program's main. An exception that stands for a signal whose
/// handler the program set with signal() has it called (reset to SIG_DFL first, as msvcrt
/// does; SIGFPE's with its `_fpecode` too) and execution continues; SIG_IGN continues at
/// once; anything else is UnhandledExceptionFilter's to decide (the top-level filter, else
/// EXCEPTION_EXECUTE_HANDLER: the program's handler ends it).
pub fn _XcptFilter(k: &mut Kx, code: u32, pointers: Ptr) -> KResult<i32> {
    const EXCEPTION_CONTINUE_EXECUTION: i32 = -1;
    let action = signal_of(code).map(|(sig, fpe)| (sig, fpe, crt(k).map(|c| c.signals[sig as usize])));
    let (sig, fpe, handler) = match action {
        Some((sig, fpe, handler)) => (sig, fpe, handler?),
        None => return crate::kernel32::exception::UnhandledExceptionFilter(k, pointers),
    };
    match handler {
        SIG_DFL => crate::kernel32::exception::UnhandledExceptionFilter(k, pointers),
        SIG_IGN => Ok(EXCEPTION_CONTINUE_EXECUTION),
        handler => {
            crt(k)?.signals[sig as usize] = SIG_DFL;
            // The handler runs when this function returns (crate::callback), then its caller
            // gets EXCEPTION_CONTINUE_EXECUTION.
            let call = InitCall { target: handler, base: sig as u64, reason: fpe, reserved: 0, entry: false };
            let then = Then::Return { sp: 0, caller: 0, pop: 0, value: 0, unload: Vec::new(), loaded: Vec::new() };
            callback::request(k, vec![call], then);
            Ok(EXCEPTION_CONTINUE_EXECUTION)
        }
    }
}

/// char *setlocale(int category, const char *locale): only the "C" locale is installed:
/// NULL (a query), "C" and "" (the user's default, which is "C" here) give "C"; another
/// name fails with NULL.
pub fn setlocale(k: &mut Kx, category: i32, locale: PCSTR) -> KResult<Ptr> {
    if !(0..=5).contains(&category) {
        return Ok(Ptr(0));
    }
    let c = Ptr(data(k)? + at::C_LOCALE);
    if locale.0 == 0 {
        return Ok(c);
    }
    let name = portcullis_hle::rtl::printf::read_cstr(k.mem(), locale.0, 256)?;
    Ok(if name.is_empty() || name == b"C" { c } else { Ptr(0) })
}

/// struct lconv *localeconv(void): the "C" locale's conventions ("." as decimal point).
pub fn localeconv(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(data(k)? + at::LCONV))
}

#[cfg(test)]
mod tests {
    use super::split_command_line;

    #[test]
    fn command_lines_split_as_msvcrt_splits_them() {
        let s = |l: &str| split_command_line(l);
        assert_eq!(s("prog a  b\tc"), ["prog", "a", "b", "c"]);
        assert_eq!(s(r#"prog "a b" c"#), ["prog", "a b", "c"]);
        assert_eq!(s(r#"prog a\\\"b"#), ["prog", r#"a\"b"#]);
        assert_eq!(s(r#"prog a\\"b c" d"#), ["prog", r#"a\b c"#, "d"]);
        assert_eq!(s(r#"prog a\b"#), ["prog", r#"a\b"#]);
        assert_eq!(s(r#"prog "a""b""#), ["prog", r#"a"b"#]);
        assert_eq!(s(r#"prog """#), ["prog", ""]);
        assert!(s("   ").is_empty());
    }
}
