//! Finding and reading processes and threads: PsLookupProcessByProcessId,
//! PsLookupThreadByThreadId, PsGetCurrentProcess(Id), PsGetCurrentThread(Id), PsGetProcessId,
//! PsGetProcessImageFileName, PsGetProcessInheritedFromUniqueProcessId, PsGetThreadId,
//! PsGetThreadProcessId, PsGetThreadProcess, IoThreadToProcess, PsIsSystemThread,
//! PsIsThreadTerminating.
#![allow(non_snake_case)]

use crate::ke::scheduler::State;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, ETHREAD};
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

/// NTSTATUS PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD *Thread)
pub fn PsLookupThreadByThreadId(k: &mut Kx, tid: Ptr, thread: Ptr) -> KResult<NtStatus> {
    let found = k.ext().sched.contexts.iter().find_map(|c| {
        let t = c.thread()?;
        (t.tid == tid.0 && c.state != State::Terminated && !is_idle(k, t.ethread)).then_some(t.ethread)
    });
    let Some(t) = found else { return Ok(status::INVALID_PARAMETER) };
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
