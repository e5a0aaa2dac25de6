//! Processes, threads, the last error, time: ExitProcess, GetCurrentProcess(Id),
//! GetCurrentThreadId, GetCommandLineA/W, GetLastError, SetLastError, Sleep, GetTickCount;
//! CreateThread, ExitThread, GetExitCodeThread, ResumeThread, SwitchToThread, GetThreadId
//! (how threads run and wait: `crate::threads`).
//!
//! A thread handle is a kernel handle to the thread's ETHREAD in the process's table (a
//! driver the program passes it to finds the same thread), tagged as event handles are; it
//! is waitable, and signaled once the thread ends.
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::ob::handles::Mode;
use portcullis_hle::types::{Ptr, SizeT, HANDLE};

use crate::error::{ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY};
use crate::process::{last_error_at, Object};
use crate::table::BOOL;

/// The current process, for functions only a running program calls.
pub(crate) fn me(k: &mut Kx) -> KResult<&mut crate::Process> {
    crate::current(k).ok_or_else(|| {
        portcullis_hle::kernel::KError::Stop(portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(
            "a kernel32 call with no process running".into(),
        )))
    })
}

/// VOID ExitProcess(UINT uExitCode): the process ends with that status (its handles are
/// closed and the kernel ends it once its run has stopped).
pub fn ExitProcess(k: &mut Kx, code: u32) -> KResult<()> {
    let p = me(k)?;
    if p.detaching {
        // Called again while its libraries detach: the process ends now, as it was.
        p.detaching = false;
        return Ok(());
    }
    p.exited = Some(crate::Exited { pid: p.pid, code, exception: None });
    Ok(())
}

/// BOOL TerminateProcess(HANDLE hProcess, UINT uExitCode): the process ends at once with that
/// status; unlike ExitProcess its libraries are not told (no DLL_PROCESS_DETACH), as Windows
/// ends a terminated process. The current process (its pseudo handle) ends when the call
/// returns; another the program holds a handle of (CreateProcess, OpenProcess) ends now, its
/// threads where they are. A process that has ended already: ERROR_ACCESS_DENIED, as Windows.
pub fn TerminateProcess(k: &mut Kx, process: HANDLE, code: u32) -> KResult<BOOL> {
    let Some(i) = crate::kernel32::create_process::process_of(k, process.0) else {
        set_last_error(k, crate::error::ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    if crate::state(k).processes[i].exited.is_some() {
        set_last_error(k, crate::error::ERROR_ACCESS_DENIED)?;
        return Ok(BOOL(false));
    }
    if Some(i) != crate::state(k).current {
        crate::process::terminate(k, i, code)?;
        return Ok(BOOL(true));
    }
    let p = me(k)?;
    p.detaching = false;
    p.terminated = true;
    p.exited = Some(crate::Exited { pid: p.pid, code, exception: None });
    Ok(BOOL(true))
}

/// HANDLE GetCurrentProcess(void): the pseudo handle (HANDLE)-1.
pub fn GetCurrentProcess(k: &mut Kx) -> KResult<HANDLE> {
    Ok(HANDLE(k.arch().mask(u64::MAX)))
}

/// DWORD GetCurrentProcessId(void)
pub fn GetCurrentProcessId(k: &mut Kx) -> KResult<u32> {
    Ok(me(k)?.pid as u32)
}

/// DWORD GetCurrentThreadId(void)
pub fn GetCurrentThreadId(k: &mut Kx) -> KResult<u32> {
    Ok(crate::threads::me(k)?.tid as u32)
}

/// LPSTR GetCommandLineA(void): the process's command line, in its memory.
pub fn GetCommandLineA(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(me(k)?.command_line_a))
}

/// LPWSTR GetCommandLineW(void)
pub fn GetCommandLineW(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(me(k)?.command_line_w))
}

/// DWORD GetLastError(void): the thread's TEB.LastErrorValue.
pub fn GetLastError(k: &mut Kx) -> KResult<u32> {
    let teb = crate::threads::me(k)?.teb;
    let at = last_error_at(k.arch(), teb);
    Ok(k.mem().read_u32(at)?)
}

/// VOID SetLastError(DWORD dwErrCode)
pub fn SetLastError(k: &mut Kx, code: u32) -> KResult<()> {
    set_last_error(k, code)
}

/// Sets the current thread's last error (what failing functions do before returning).
pub(crate) fn set_last_error(k: &mut Kx, code: u32) -> KResult<()> {
    let teb = crate::threads::me(k)?.teb;
    let at = last_error_at(k.arch(), teb);
    Ok(k.mem_mut().write_u32(at, code)?)
}

/// Fails a call: the last error from the NTSTATUS, as kernel32's BaseSetLastNTError does.
pub(crate) fn fail_with_status(k: &mut Kx, status: u32) -> KResult<()> {
    set_last_error(k, crate::error::nt_status_to_dos_error(status))
}

/// VOID Sleep(DWORD dwMilliseconds): the thread waits that long on the virtual clock (the
/// process's other threads, driver threads, DPCs and timers run meanwhile). Sleep(0) lets
/// another thread of the process that can go on run first. INFINITE never ends: the run's
/// limits end it, or the deadlock stop when nothing else can run.
pub fn Sleep(k: &mut Kx, ms: u32) -> KResult<()> {
    if ms == 0 {
        crate::threads::yield_now(k, 0);
        return Ok(());
    }
    let timeout = (ms != crate::kernel32::sync::INFINITE).then(|| -(i64::from(ms) * 10_000));
    crate::threads::wait(k, &[], false, timeout, crate::threads::OnWake::Nothing)?;
    Ok(())
}

/// BOOL SwitchToThread(void): whether another thread of the process that could go on ran
/// first.
pub fn SwitchToThread(k: &mut Kx) -> KResult<BOOL> {
    Ok(BOOL(crate::threads::yield_now(k, 1)))
}

/// THREAD_ALL_ACCESS: what CreateThread's handle grants.
const THREAD_ALL_ACCESS: u32 = 0x1F_FFFF;
/// CreateThread's flags: start suspended; the stack size is a reservation.
const CREATE_SUSPENDED: u32 = 0x4;
const STACK_SIZE_PARAM_IS_A_RESERVATION: u32 = 0x1_0000;
/// The tag bit of the program's kernel-object handles (as kernel32/sync.rs's).
const TAG: u64 = 2;
/// STILL_ACTIVE: the exit code of a thread that has not ended.
const STILL_ACTIVE: u32 = 259;

/// The thread a program's handle names (the pseudo handle (HANDLE)-2: the running one), by
/// index in the process.
pub(crate) fn thread_of(k: &mut Kx, h: u64) -> Option<usize> {
    if h == k.arch().mask(u64::MAX - 1) {
        return crate::current(k).map(|p| p.running);
    }
    let tid = match crate::current(k)?.handles.get(&h) {
        Some(Object::Thread { tid, .. }) => *tid,
        _ => return None,
    };
    crate::threads::index_of(k, tid)
}

/// The thread of another process a program's handle names (CreateProcess's hThread): its
/// (process, thread) indexes.
fn foreign_thread(k: &mut Kx, h: u64) -> Option<(usize, usize)> {
    let tid = match crate::current(k)?.handles.get(&h) {
        Some(Object::Thread { tid, .. }) => *tid,
        _ => return None,
    };
    let s = crate::state(k);
    s.processes
        .iter()
        .enumerate()
        .find_map(|(p, proc_)| proc_.threads.iter().position(|t| t.tid == tid).map(|t| (p, t)))
}

/// HANDLE CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
/// LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags,
/// LPDWORD lpThreadId): a thread of the process that runs `start(parameter)` when the
/// running thread next waits or yields (or, CREATE_SUSPENDED, once ResumeThread lets it).
pub fn CreateThread(
    k: &mut Kx,
    _security: Ptr,
    stack_size: SizeT,
    start: Ptr,
    parameter: Ptr,
    flags: u32,
    thread_id: Ptr,
) -> KResult<HANDLE> {
    if flags & !(CREATE_SUSPENDED | STACK_SIZE_PARAM_IS_A_RESERVATION) != 0 || start.0 == 0 {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(HANDLE(0));
    }
    // The id goes out first: a pointer the program cannot have written is its fault.
    if thread_id.0 != 0 {
        k.mem_mut().write_u32(thread_id.0, 0)?;
    }
    let Some(tid) = crate::threads::create(k, start.0, parameter.0, stack_size.0, flags & CREATE_SUSPENDED != 0)?
    else {
        set_last_error(k, ERROR_NOT_ENOUGH_MEMORY)?;
        return Ok(HANDLE(0));
    };
    let ethread = crate::threads::index_of(k, tid).and_then(|i| crate::current(k).map(|p| p.threads[i].ethread));
    let (handle, _) =
        portcullis_hle::ob::handles::open_checked(k, ethread.unwrap_or(0), THREAD_ALL_ACCESS, 0, Mode::User)?;
    let h = handle | TAG;
    me(k)?.handles.insert(h, Object::Thread { handle, tid });
    if thread_id.0 != 0 {
        k.mem_mut().write_u32(thread_id.0, tid as u32)?;
    }
    Ok(HANDLE(h))
}

/// VOID ExitThread(DWORD dwExitCode): the thread ends (its libraries told first); the last
/// thread ends the process with that code.
pub fn ExitThread(k: &mut Kx, code: u32) -> KResult<()> {
    if !crate::threads::exit_running(k, code)? && crate::current(k).is_some_and(|p| p.exited.is_none()) {
        crate::state(k).after = Some(crate::threads::After::Gone);
    }
    Ok(())
}

/// BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode): STILL_ACTIVE until it ends.
pub fn GetExitCodeThread(k: &mut Kx, thread: HANDLE, code: Ptr) -> KResult<BOOL> {
    let exit = match thread_of(k, thread.0) {
        Some(i) => me(k)?.threads[i].exit_code.unwrap_or(STILL_ACTIVE),
        None => match foreign_thread(k, thread.0) {
            // Another process's (CreateProcess's hThread): its first thread ends with it.
            Some((p, t)) => {
                let p = &crate::state(k).processes[p];
                p.threads[t].exit_code.or(p.exited.as_ref().map(|e| e.code)).unwrap_or(STILL_ACTIVE)
            }
            None => {
                set_last_error(k, ERROR_INVALID_HANDLE)?;
                return Ok(BOOL(false));
            }
        },
    };
    k.mem_mut().write_u32(code.0, exit)?;
    Ok(BOOL(true))
}

/// DWORD ResumeThread(HANDLE hThread): the thread's suspend count before; at 0 it goes on
/// (a thread created suspended starts, one that suspended itself returns from SuspendThread).
pub fn ResumeThread(k: &mut Kx, thread: HANDLE) -> KResult<u32> {
    let Some(i) = thread_of(k, thread.0) else {
        // Another process's thread: one CreateProcess made suspended, which has not started.
        if let Some((p, t)) = foreign_thread(k, thread.0) {
            let t = &mut crate::state(k).processes[p].threads[t];
            if matches!(t.run, crate::threads::Run::New) {
                let before = t.suspended;
                t.suspended = before.saturating_sub(1);
                return Ok(before);
            }
            set_last_error(k, crate::error::ERROR_NOT_SUPPORTED)?;
            return Ok(u32::MAX);
        }
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(u32::MAX);
    };
    let t = &mut me(k)?.threads[i];
    let before = t.suspended;
    t.suspended = before.saturating_sub(1);
    if before == 1 {
        crate::threads::set_suspended(k, i, false, 0)?;
    }
    Ok(before)
}

/// Most a thread's suspend count goes (MAXIMUM_SUSPEND_COUNT).
const MAXIMUM_SUSPEND_COUNT: u32 = 0x7F;
/// STATUS_SUSPEND_COUNT_EXCEEDED.
const SUSPEND_COUNT_EXCEEDED: u32 = 0xC000_004A;
/// STATUS_THREAD_IS_TERMINATING.
const THREAD_IS_TERMINATING: u32 = 0xC000_004B;

/// DWORD SuspendThread(HANDLE hThread): the thread's suspend count before; the thread does
/// not go on until ResumeThread brings it back to 0. A thread suspending itself stops at
/// once (another thread goes on; with none that could ever resume it, the run's deadlock
/// names it); another thread stops where it is held (threads switch only at library calls,
/// so never in the middle of its own code), and a wait of its that ends meanwhile is kept
/// for when it goes on. (DWORD)-1 with ERROR_SIGNAL_REFUSED (STATUS_SUSPEND_COUNT_EXCEEDED)
/// past 127, ERROR_ACCESS_DENIED (STATUS_THREAD_IS_TERMINATING) for a thread that ended,
/// or ERROR_INVALID_HANDLE.
pub fn SuspendThread(k: &mut Kx, thread: HANDLE) -> KResult<u32> {
    let Some(i) = thread_of(k, thread.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(u32::MAX);
    };
    let t = &mut me(k)?.threads[i];
    let before = t.suspended;
    let status = if t.exit_code.is_some() {
        THREAD_IS_TERMINATING
    } else if before >= MAXIMUM_SUSPEND_COUNT {
        SUSPEND_COUNT_EXCEEDED
    } else {
        t.suspended += 1;
        if before == 0 {
            crate::threads::set_suspended(k, i, true, before)?;
        }
        return Ok(before);
    };
    fail_with_status(k, status)?;
    Ok(u32::MAX)
}

/// DWORD GetThreadId(HANDLE Thread)
pub fn GetThreadId(k: &mut Kx, thread: HANDLE) -> KResult<u32> {
    let Some(i) = thread_of(k, thread.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(0);
    };
    Ok(me(k)?.threads[i].tid as u32)
}

/// DWORD GetTickCount(void): milliseconds since boot on the virtual clock (wrapping).
pub fn GetTickCount(k: &mut Kx) -> KResult<u32> {
    Ok((k.guest().cpu.clock.now_ns() / 1_000_000) as u32)
}
