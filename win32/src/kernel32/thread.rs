//! Processes, threads, the last error, time: ExitProcess, GetCurrentProcess(Id),
//! GetCurrentThreadId, GetCommandLineA/W, GetLastError, SetLastError, Sleep, GetTickCount.
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, HANDLE};

use crate::process::last_error_at;
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

/// BOOL TerminateProcess(HANDLE hProcess, UINT uExitCode): the current process (its pseudo
/// handle) ends at once with that status; unlike ExitProcess its libraries are not told
/// (no DLL_PROCESS_DETACH), as Windows ends a terminated process. A program holds no other
/// process's handle here: anything else is ERROR_INVALID_HANDLE.
pub fn TerminateProcess(k: &mut Kx, process: HANDLE, code: u32) -> KResult<BOOL> {
    if process != HANDLE(k.arch().mask(u64::MAX)) {
        set_last_error(k, crate::error::ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
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
    Ok(me(k)?.tid as u32)
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
    let teb = me(k)?.teb;
    let at = last_error_at(k.arch(), teb);
    Ok(k.mem().read_u32(at)?)
}

/// VOID SetLastError(DWORD dwErrCode)
pub fn SetLastError(k: &mut Kx, code: u32) -> KResult<()> {
    set_last_error(k, code)
}

/// Sets the current thread's last error (what failing functions do before returning).
pub(crate) fn set_last_error(k: &mut Kx, code: u32) -> KResult<()> {
    let teb = me(k)?.teb;
    let at = last_error_at(k.arch(), teb);
    Ok(k.mem_mut().write_u32(at, code)?)
}

/// Fails a call: the last error from the NTSTATUS, as kernel32's BaseSetLastNTError does.
pub(crate) fn fail_with_status(k: &mut Kx, status: u32) -> KResult<()> {
    set_last_error(k, crate::error::nt_status_to_dos_error(status))
}

/// VOID Sleep(DWORD dwMilliseconds): the thread waits that long on the virtual clock (other
/// threads, DPCs and timers run meanwhile). INFINITE never ends: the run's limits end it.
pub fn Sleep(k: &mut Kx, ms: u32) -> KResult<()> {
    portcullis_hle::ke::wait::delay_in_place(k, ms as u64 * 10_000)
}

/// DWORD GetTickCount(void): milliseconds since boot on the virtual clock (wrapping).
pub fn GetTickCount(k: &mut Kx) -> KResult<u32> {
    Ok((k.guest().cpu.clock.now_ns() / 1_000_000) as u32)
}
