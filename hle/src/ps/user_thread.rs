//! The kernel's side of a user program's further threads (kernel32's CreateThread, issue 14):
//! an ETHREAD in the program's process with a thread id of its own, a scheduler context the
//! user-mode layer runs (as the host runs the process's first thread: never from the
//! scheduler's loops, `ke/user_wait.rs`), the thread notify routines when it starts and
//! ends, and its object signaled when it ends.
//!
//! RtlCreateUserThread is how a driver starts a thread in a user process (injecting code
//! into it, as process killers and some security products do): the user-mode layer makes
//! the thread in a program it runs ([`Starter`]); it runs there when the program's threads
//! next switch. A process whose user-mode code nothing here runs (the System process, the
//! scenario's simulated program, a program not running) cannot get one:
//! STATUS_NOT_SUPPORTED, with the attempt in the trace and the report.
#![allow(non_snake_case)]

use crate::ke::scheduler::{trace, Cid, SchedEvent};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, CLIENT_ID, EPROCESS, ETHREAD};
use crate::ob::handles::{open_checked, Mode};
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr, SizeT, HANDLE};

/// How the user-mode layer makes a thread a driver asks for in the process `eprocess`,
/// starting at `start(parameter)`, suspended or not; None when it runs no code of that
/// process now.
pub type Starter = fn(&mut Kx, u64, u64, u64, bool) -> KResult<Option<UserThread>>;

/// Installs the user-mode layer's [`Starter`].
pub fn set_starter(k: &mut Kx, starter: Starter) {
    k.ext_mut().system.user_thread_starter = Some(starter);
}

/// PROCESS_CREATE_THREAD: what the process handle must grant.
const PROCESS_CREATE_THREAD: u32 = 0x2;
/// THREAD_ALL_ACCESS: what the thread handle grants.
const THREAD_ALL_ACCESS: u32 = 0x1F_FFFF;

/// NTSTATUS RtlCreateUserThread(HANDLE Process, PSECURITY_DESCRIPTOR ThreadSecurityDescriptor,
/// BOOLEAN CreateSuspended, ULONG ZeroBits, SIZE_T MaximumStackSize, SIZE_T
/// CommittedStackSize, PUSER_THREAD_START_ROUTINE StartAddress, PVOID Parameter, PHANDLE
/// Thread, PCLIENT_ID ClientId): a thread of that process running `StartAddress(Parameter)`
/// in user mode; its handle (in the current process's table, as ZwCreateThread gives it)
/// and client id go to the optional outputs.
#[allow(clippy::too_many_arguments)]
pub fn RtlCreateUserThread(
    k: &mut Kx,
    process: HANDLE,
    _security: Ptr,
    suspended: Boolean,
    _zero_bits: u32,
    _maximum_stack: SizeT,
    _committed_stack: SizeT,
    start: Ptr,
    parameter: Ptr,
    thread: Ptr,
    client_id: Ptr,
) -> KResult<NtStatus> {
    let eprocess =
        match crate::zw::process::object_of(k, process.0, ObjectKind::Process, PROCESS_CREATE_THREAD, Mode::Kernel)? {
            Ok(p) => p,
            Err(st) => return Ok(st),
        };
    let pid = k.mem().get(eprocess, EPROCESS::UniqueProcessId)?;
    let made = match k.ext().system.user_thread_starter {
        Some(starter) if start.0 != 0 => starter(k, eprocess, start.0, parameter.0, suspended.0)?,
        _ => None,
    };
    let outcome = match made {
        Some(t) => format!("thread {:#x}", t.tid),
        None => "not supported: nothing here runs that process's user-mode code".into(),
    };
    let notice = crate::events::Notice {
        kind: "user_thread",
        detail: format!("RtlCreateUserThread in process {pid:#x} at {:#x}({:#x}): {outcome}", start.0, parameter.0),
        caller: caller(k),
    };
    crate::events::push(k, crate::events::SystemEvent::Notice(notice));
    let Some(t) = made else { return Ok(status::NOT_SUPPORTED) };
    if !thread.is_null() {
        let (value, _) = open_checked(k, t.ethread, THREAD_ALL_ACCESS, 0, Mode::Kernel)?;
        k.mem_mut().write_ptr(thread.0, value)?;
    }
    if !client_id.is_null() {
        k.mem_mut().set(client_id.0, CLIENT_ID::UniqueProcess, pid)?;
        k.mem_mut().set(client_id.0, CLIENT_ID::UniqueThread, t.tid)?;
    }
    Ok(status::SUCCESS)
}

/// A user thread the kernel knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserThread {
    pub ethread: u64,
    pub tid: u64,
    pub cid: Cid,
}

/// Creates a thread of the user process `eprocess` that starts at `start(parameter)` with
/// `teb`: traced as a thread start, thread notify routines told (on the creating thread,
/// as PspInsertThread tells them).
pub fn create(k: &mut Kx, eprocess: u64, start: u64, parameter: u64, teb: u64) -> KResult<UserThread> {
    let pid = k.mem().get(eprocess, EPROCESS::UniqueProcessId)?;
    let (ethread, tid) = super::thread::new_ethread(k, eprocess, pid)?;
    k.mem_mut().set(ethread, ETHREAD::Teb, teb)?;
    let cid = super::thread::add_host_thread(k, ethread, eprocess, false)?;
    mark(k, cid, start, parameter);
    let name = crate::ke::scheduler::flow_name(k, cid);
    trace(k, SchedEvent::ThreadStart { thread: name, start, context: parameter });
    super::notify::thread_created(k, pid, tid)?;
    Ok(UserThread { ethread, tid, cid })
}

/// The user-mode layer put user thread `to` in the engine in place of `from`: traced as
/// the scheduler's own switches are.
pub fn switched(k: &mut Kx, from: Cid, to: Cid) {
    if from != to {
        crate::ke::scheduler::trace_switch(k, from, to);
    }
}

/// Marks context `cid` as a user program's thread that starts at `start(parameter)` (the
/// first thread of a program's process, which the kernel made with the process, too).
pub fn mark(k: &mut Kx, cid: Cid, start: u64, parameter: u64) {
    if let Some(t) = k.ext_mut().sched.contexts.get_mut(cid).and_then(|c| c.thread_mut()) {
        t.user = true;
        t.start = start;
        t.start_context = parameter;
    }
}

/// The user thread `t` ends with `exit_status`: thread notify routines run (on it, as it
/// ends itself), then its object is signaled (its waiters wake).
pub fn exit(k: &mut Kx, t: UserThread, exit_status: u32) -> KResult<()> {
    let pid = k.mem().get(t.ethread, ETHREAD::UniqueProcess)?;
    super::notify::thread_exited(k, pid, t.tid)?;
    crate::ke::mutex::rundown(k, t.cid)?;
    crate::ke::user_wait::abandon(k, t.cid);
    super::thread::terminate(k, t.cid, exit_status)
}

/// The user thread `t` ends with its process (another thread ended it): no notify routine
/// runs for it on its own behalf; its wait is abandoned and its object signaled.
pub fn end_with_process(k: &mut Kx, t: UserThread, exit_status: u32) -> KResult<()> {
    crate::ke::user_wait::abandon(k, t.cid);
    crate::ke::mutex::rundown(k, t.cid)?;
    super::thread::terminate(k, t.cid, exit_status)
}
