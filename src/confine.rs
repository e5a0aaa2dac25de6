//! Confinement: what a process that runs a hostile driver may still do once its start-up is
//! over. Emulation needs memory, its pipes and descriptors already open, the clock, futexes
//! and its own exit — nothing else. A seccomp filter (built with `seccompiler`, as
//! Firecracker does) allows exactly that, for every thread; rlimits cap the address space,
//! the CPU time and the size of files written.
//!
//! Start-up (reading the driver, the scenario and its files, the golden trace; opening the
//! trace and output files; booting the machine and starting the watchdog thread) happens
//! before [`confine`]. After it, any other system call — opening a file, a socket, `execve`,
//! `ptrace`, a new thread or process — kills the process with SIGSYS, after one line on
//! stderr naming the call.

use std::collections::BTreeMap;
use std::time::Duration;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
};

/// The resource limits of a confined process (`None`: left as they are).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confinement {
    /// Address space the process may grow by after confinement, in bytes (RLIMIT_AS is set to
    /// what it maps now plus this).
    pub address_space_growth: Option<u64>,
    /// CPU time for the rest of its life (RLIMIT_CPU; SIGXCPU when it is used up).
    pub cpu_time: Option<Duration>,
    /// The largest file it may write (RLIMIT_FSIZE; 0: it writes no file at all, only pipes).
    pub file_size: Option<u64>,
}

/// Why a process could not be confined (it then must not run the driver).
#[derive(Debug, thiserror::Error)]
pub enum ConfineError {
    #[error("cannot build the seccomp filter: {0}")]
    Filter(String),
    #[error("cannot install the seccomp filter: {0}")]
    Install(String),
    #[error("cannot set {what}: {source}")]
    Rlimit { what: &'static str, source: std::io::Error },
    #[error("cannot install the SIGSYS handler: {0}")]
    Handler(std::io::Error),
}

/// Address space a confined run may add to what is mapped at confinement, besides the guest's
/// memory budget: the translated-code cache, the trace and report buffers, the allocator.
pub const HOST_HEADROOM: u64 = 2 << 30;

/// The system calls a confined process may make, with the conditions on their arguments.
fn allowed(pid: i32) -> Result<BTreeMap<i64, Vec<SeccompRule>>, seccompiler::BackendError> {
    let any = || Vec::new();
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for nr in [
        // Its pipes and open descriptors (stdin, stdout, stderr, the trace file).
        libc::SYS_read,
        libc::SYS_write,
        libc::SYS_writev,
        libc::SYS_close,
        libc::SYS_lseek,
        libc::SYS_fsync,
        // Memory: the guest's pages, the code cache, the allocator.
        libc::SYS_mmap,
        libc::SYS_munmap,
        libc::SYS_mremap,
        libc::SYS_mprotect,
        libc::SYS_madvise,
        libc::SYS_brk,
        // Threads already running (the watchdog): locks, the clock, sleeping.
        libc::SYS_futex,
        libc::SYS_sched_yield,
        libc::SYS_sched_getaffinity,
        libc::SYS_clock_gettime,
        libc::SYS_clock_nanosleep,
        libc::SYS_nanosleep,
        libc::SYS_gettid,
        libc::SYS_getpid,
        libc::SYS_getrandom,
        libc::SYS_restart_syscall,
        // Signals: handlers return, masks change, and the SIGSYS handler re-raises.
        libc::SYS_rt_sigreturn,
        libc::SYS_rt_sigprocmask,
        libc::SYS_rt_sigaction,
        libc::SYS_sigaltstack,
        // Its end.
        libc::SYS_exit,
        libc::SYS_exit_group,
    ] {
        rules.insert(nr, any());
    }
    // Whether a descriptor is open: std asks when it closes one, in debug builds.
    let getfd = SeccompCondition::new(1, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, libc::F_GETFD as u64)?;
    rules.insert(libc::SYS_fcntl, vec![SeccompRule::new(vec![getfd])?]);
    // Signals only to itself (raise, abort).
    let own = SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, pid as u64)?;
    rules.insert(libc::SYS_tgkill, vec![SeccompRule::new(vec![own])?]);
    Ok(rules)
}

fn filter() -> Result<BpfProgram, ConfineError> {
    // SAFETY: getpid(2) has no preconditions.
    let pid = unsafe { libc::getpid() };
    let err = |e: seccompiler::BackendError| ConfineError::Filter(e.to_string());
    let rules = allowed(pid).map_err(err)?;
    let arch = std::env::consts::ARCH.try_into().map_err(err)?;
    let filter = SeccompFilter::new(rules, SeccompAction::Trap, SeccompAction::Allow, arch).map_err(err)?;
    filter.try_into().map_err(err)
}

/// Confines the calling process (every thread of it): the rlimits first, then the filter.
/// Irreversible.
pub fn confine(c: &Confinement) -> Result<(), ConfineError> {
    let program = filter()?;
    CONFINED.store(true, std::sync::atomic::Ordering::SeqCst);
    // A process killed by SIGSYS or SIGXCPU would otherwise dump core where it runs.
    set_rlimit(libc::RLIMIT_CORE, "RLIMIT_CORE", 0)?;
    if let Some(growth) = c.address_space_growth {
        let limit = mapped_now().saturating_add(growth);
        set_rlimit(libc::RLIMIT_AS, "RLIMIT_AS", limit)?;
    }
    if let Some(t) = c.cpu_time {
        set_rlimit(libc::RLIMIT_CPU, "RLIMIT_CPU", t.as_secs().max(1))?;
    }
    if let Some(size) = c.file_size {
        set_rlimit(libc::RLIMIT_FSIZE, "RLIMIT_FSIZE", size)?;
    }
    install_sigsys_handler()?;
    seccompiler::apply_filter_all_threads(&program).map_err(|e| ConfineError::Install(e.to_string()))
}

/// Whether [`confine`] has run (or started to): the process may no longer start a thread.
static CONFINED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Threads this process may run work on at once: the processors it has, or one once it is
/// confined (a new thread would be a forbidden system call; so would asking the cgroup files
/// how many processors there are).
pub fn worker_threads() -> usize {
    if CONFINED.load(std::sync::atomic::Ordering::SeqCst) {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What killed a confined process, for reports: "signal 31 (SIGSYS)" alone says little.
pub fn signal_meaning(signal: i32) -> Option<&'static str> {
    match signal {
        libc::SIGSYS => Some("a system call its seccomp filter forbids"),
        libc::SIGXCPU => Some("its CPU-time limit"),
        libc::SIGXFSZ => Some("its file-size limit"),
        _ => None,
    }
}

fn set_rlimit(resource: libc::__rlimit_resource_t, what: &'static str, value: u64) -> Result<(), ConfineError> {
    let limit = libc::rlimit { rlim_cur: value, rlim_max: value };
    // SAFETY: setrlimit(2) reads the struct it is given.
    if unsafe { libc::setrlimit(resource, &limit) } != 0 {
        return Err(ConfineError::Rlimit { what, source: std::io::Error::last_os_error() });
    }
    Ok(())
}

/// Bytes of address space mapped now (the first field of /proc/self/statm, in pages).
fn mapped_now() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse::<u64>().ok()))
        .unwrap_or(0);
    // SAFETY: sysconf(3) has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page
}

/// On a forbidden call: one line naming it, then death by SIGSYS (what the runner reports).
extern "C" fn on_sigsys(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // For SIGSYS the kernel puts si_call_addr (a pointer) at offset 16 and si_syscall (an int)
    // at offset 24 of siginfo_t on 64-bit Linux; the libc crate does not name them.
    // SAFETY: the kernel passes a live siginfo_t, which is 128 bytes long.
    let nr = unsafe { info.cast::<u8>().add(24).cast::<i32>().read_unaligned() };
    let mut digits = [0u8; 12];
    let mut at = digits.len();
    let mut n = nr.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // SAFETY: write(2), sigaction(2) and raise(3) are async-signal-safe; the buffers are live.
    unsafe {
        for part in [&b"portcullis: the seccomp filter forbids system call "[..], &digits[at..], b"\n"] {
            libc::write(2, part.as_ptr().cast(), part.len());
        }
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGSYS, &dfl, std::ptr::null_mut());
        // Pending until this handler returns; then it ends the process.
        libc::raise(libc::SIGSYS);
    }
}

fn install_sigsys_handler() -> Result<(), ConfineError> {
    // SAFETY: a zeroed sigaction with an SA_SIGINFO handler that only makes async-signal-safe
    // calls is a valid disposition.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigsys as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut()) != 0 {
            return Err(ConfineError::Handler(std::io::Error::last_os_error()));
        }
    }
    Ok(())
}
