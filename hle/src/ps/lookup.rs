//! Finding and reading processes and threads: PsLookupProcessByProcessId,
//! PsLookupThreadByThreadId, PsGetCurrentProcess(Id), PsGetCurrentThread(Id), PsGetProcessId,
//! PsGetProcessImageFileName, PsGetProcessInheritedFromUniqueProcessId, PsGetThreadId,
//! PsGetThreadProcessId, PsGetThreadProcess, IoThreadToProcess, PsIsSystemThread,
//! PsIsThreadTerminating, PsLookupProcessThreadByCid, PsGetProcessPeb,
//! PsGetProcessWow64Process.
#![allow(non_snake_case)]

use crate::ke::scheduler::State;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, CLIENT_ID, EPROCESS, ETHREAD};
use crate::types::{status, Boolean, NtStatus, Ptr};

/// Takes a reference for the driver, as the lookups do.
fn reference(k: &mut Kx, object: u64) {
    if let Some(o) = k.ext_mut().objects.get_mut(object) {
        o.references += 1;
    }
}

/// NTSTATUS PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process): a referenced
/// process, or STATUS_INVALID_PARAMETER for an ID no live process has.
pub fn PsLookupProcessByProcessId(k: &mut Kx, pid: Ptr, process: Ptr) -> KResult<NtStatus> {
    let found = super::processes::find(k, pid.0).filter(|p| super::processes::alive(k, p)).map(|p| p.eprocess);
    let Some(e) = found else { return Ok(status::INVALID_PARAMETER) };
    k.mem_mut().write_ptr(process.0, e)?;
    reference(k, e);
    Ok(status::SUCCESS)
}

/// The ETHREAD of the live thread with ID `tid` (idle threads have none to look up).
fn live_thread(k: &Kx, tid: u64) -> Option<u64> {
    k.ext().sched.contexts.iter().find_map(|c| {
        let t = c.thread()?;
        (t.tid == tid && c.state != State::Terminated && !is_idle(k, t.ethread)).then_some(t.ethread)
    })
}

/// NTSTATUS PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD *Thread)
pub fn PsLookupThreadByThreadId(k: &mut Kx, tid: Ptr, thread: Ptr) -> KResult<NtStatus> {
    let Some(t) = live_thread(k, tid.0) else { return Ok(status::INVALID_PARAMETER) };
    k.mem_mut().write_ptr(thread.0, t)?;
    reference(k, t);
    Ok(status::SUCCESS)
}

fn is_idle(k: &Kx, ethread: u64) -> bool {
    k.ext().sched.processors.iter().any(|p| p.idle_thread == ethread)
}

/// PEPROCESS PsGetCurrentProcess(void): the process the current thread is attached to.
pub fn PsGetCurrentProcess(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(super::current_process(k)?))
}

/// HANDLE PsGetCurrentProcessId(void): the current thread's own process.
pub fn PsGetCurrentProcessId(k: &mut Kx) -> KResult<Ptr> {
    let t = super::current_thread(k)?;
    Ok(Ptr(k.mem().get(t, ETHREAD::UniqueProcess)?))
}

/// PETHREAD PsGetCurrentThread(void)
pub fn PsGetCurrentThread(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(super::current_thread(k)?))
}

/// HANDLE PsGetCurrentThreadId(void)
pub fn PsGetCurrentThreadId(k: &mut Kx) -> KResult<Ptr> {
    let t = super::current_thread(k)?;
    Ok(Ptr(k.mem().get(t, ETHREAD::UniqueThread)?))
}

/// HANDLE PsGetProcessId(PEPROCESS Process)
pub fn PsGetProcessId(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(process.0, EPROCESS::UniqueProcessId)?))
}

/// PCHAR PsGetProcessImageFileName(PEPROCESS Process): the 15-byte name in the EPROCESS.
pub fn PsGetProcessImageFileName(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    k.mem().read_u8(process.0)?;
    Ok(Ptr(EPROCESS::ImageFileName.at(k.arch(), process.0)))
}

/// HANDLE PsGetProcessInheritedFromUniqueProcessId(PEPROCESS Process): the parent's ID.
pub fn PsGetProcessInheritedFromUniqueProcessId(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(process.0, EPROCESS::InheritedFromUniqueProcessId)?))
}

/// PVOID PsGetProcessWin32Process(PEPROCESS Process): the process's win32k part. No win32k
/// runs here (no process has a GUI side), so it is NULL for every process, as for the System
/// process on Windows.
pub fn PsGetProcessWin32Process(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    k.mem().get(process.0, EPROCESS::UniqueProcessId)?;
    Ok(Ptr::NULL)
}

/// PVOID PsGetThreadWin32Thread(PETHREAD Thread): the thread's win32k part; NULL, as no
/// thread here ever called into win32k.
pub fn PsGetThreadWin32Thread(k: &mut Kx, thread: Ptr) -> KResult<Ptr> {
    k.mem().get(thread.0, ETHREAD::UniqueThread)?;
    Ok(Ptr::NULL)
}

/// PEJOB PsGetProcessJob(PEPROCESS Process): the job the process belongs to. No job objects
/// exist here, so no process is in one: NULL.
pub fn PsGetProcessJob(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    k.mem().get(process.0, EPROCESS::UniqueProcessId)?;
    Ok(Ptr::NULL)
}

/// HANDLE PsGetThreadId(PETHREAD Thread)
pub fn PsGetThreadId(k: &mut Kx, thread: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(thread.0, ETHREAD::UniqueThread)?))
}

/// HANDLE PsGetThreadProcessId(PETHREAD Thread)
pub fn PsGetThreadProcessId(k: &mut Kx, thread: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(thread.0, ETHREAD::UniqueProcess)?))
}

/// PEPROCESS PsGetThreadProcess(PETHREAD Thread): the process the thread belongs to.
pub fn PsGetThreadProcess(k: &mut Kx, thread: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(thread.0, ETHREAD::Process)?))
}

/// PEPROCESS IoThreadToProcess(PETHREAD Thread)
pub fn IoThreadToProcess(k: &mut Kx, thread: Ptr) -> KResult<Ptr> {
    PsGetThreadProcess(k, thread)
}

/// BOOLEAN PsIsSystemThread(PETHREAD Thread): a thread of the System process.
pub fn PsIsSystemThread(k: &mut Kx, thread: Ptr) -> KResult<Boolean> {
    let process = k.mem().get(thread.0, ETHREAD::Process)?;
    Ok(Boolean(process == k.ext().system.system_process))
}

/// BOOLEAN PsIsThreadTerminating(PETHREAD Thread)
pub fn PsIsThreadTerminating(k: &mut Kx, thread: Ptr) -> KResult<Boolean> {
    k.mem().read_u8(thread.0)?;
    let ended = k.ext().sched.by_thread(thread.0).map(|c| k.ext().sched.ctx(c).state == State::Terminated);
    Ok(Boolean(ended.unwrap_or(false)))
}

/// NTSTATUS PsLookupProcessThreadByCid(PCLIENT_ID Cid, PEPROCESS *Process OPTIONAL,
/// PETHREAD *Thread): the live thread Cid->UniqueThread names, if it belongs to
/// Cid->UniqueProcess, referenced, and its process (referenced too) when asked for;
/// STATUS_INVALID_CID otherwise, as ReactOS's and Windows' CID-table lookup answers.
pub fn PsLookupProcessThreadByCid(k: &mut Kx, cid: Ptr, process: Ptr, thread: Ptr) -> KResult<NtStatus> {
    let pid = k.mem().get(cid.0, CLIENT_ID::UniqueProcess)?;
    let tid = k.mem().get(cid.0, CLIENT_ID::UniqueThread)?;
    let Some(t) = live_thread(k, tid) else { return Ok(status::INVALID_CID) };
    if k.mem().get(t, ETHREAD::UniqueProcess)? != pid {
        return Ok(status::INVALID_CID);
    }
    let owner = k.mem().get(t, ETHREAD::Process)?;
    if process.0 != 0 {
        k.mem_mut().write_ptr(process.0, owner)?;
    }
    k.mem_mut().write_ptr(thread.0, t)?;
    if process.0 != 0 {
        reference(k, owner);
    }
    reference(k, t);
    Ok(status::SUCCESS)
}

/// PPEB PsGetProcessPeb(PEPROCESS Process): the process's user-mode environment block: a
/// program's (portcullis-win32 writes EPROCESS.Peb when it loads one), NULL for the System
/// process and the processes modelled as their kernel objects only, as Windows answers for
/// the System process.
pub fn PsGetProcessPeb(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(process.0, EPROCESS::Peb)?))
}

/// PVOID PsGetProcessDebugPort(PEPROCESS Process): the debug object of the user-mode debugger
/// attached to the process. No user-mode debugger runs here: NULL for every process.
pub fn PsGetProcessDebugPort(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    k.mem().get(process.0, EPROCESS::UniqueProcessId)?;
    Ok(Ptr(0))
}

/// NTSTATUS PsWrapApcWow64Thread(PVOID *ApcContext, PVOID *ApcRoutine) (x64 only): for a
/// WoW64 process, wraps a user APC so that it runs in 32-bit mode; for a native process it
/// leaves both untouched. Every emulated process is native: STATUS_SUCCESS, nothing changed.
pub fn PsWrapApcWow64Thread(_k: &mut Kx, _context: Ptr, _routine: Ptr) -> KResult<NtStatus> {
    Ok(status::SUCCESS)
}

/// PVOID PsGetProcessWow64Process(PEPROCESS Process) (x64 only): the process's 32-bit PEB
/// if it runs under WoW64, else NULL. Every emulated process is native (see IoIs32bitProcess).
pub fn PsGetProcessWow64Process(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    k.mem().read_u8(process.0)?;
    Ok(Ptr(0))
}

/// PVOID PsGetCurrentProcessWow64Process(void) (x64 only): the current process's 32-bit PEB
/// if it runs under WoW64; NULL, as every emulated process is native.
pub fn PsGetCurrentProcessWow64Process(k: &mut Kx) -> KResult<Ptr> {
    let process = super::current_process(k)?;
    PsGetProcessWow64Process(k, Ptr(process))
}

/// PVOID PsGetThreadTeb(PETHREAD Thread): the thread's user-mode environment block, as
/// KTHREAD.Teb holds it. Only threads that run user-mode code have one; none does here (system
/// threads never do), so the field, zero from the thread's creation, is NULL.
pub fn PsGetThreadTeb(k: &mut Kx, thread: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(thread.0, ETHREAD::Teb)?))
}
