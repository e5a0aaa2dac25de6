//! Attaching a thread to another process's address space: KeStackAttachProcess /
//! KeUnstackDetachProcess (nestable, the caller keeps the state) and KeAttachProcess /
//! KeDetachProcess (one level). While attached, the "current process" (PsGetCurrentProcess,
//! IoGetCurrentProcess, handle lookups) is the attached one, and so is the user half of the
//! address space (`mm::space`: a program's memory is reached by attaching to it); the
//! thread still belongs to its own (PsGetCurrentProcessId).
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, ETHREAD, KAPC_STATE};
use crate::types::Ptr;

use super::thread::current_thread;

/// KAPC_STATE.Process when the thread was in the process already (nothing to undo).
const ALREADY_THERE: u64 = 1;

fn attached_process(k: &Kx, thread: u64) -> KResult<u64> {
    Ok(k.mem().get(thread, ETHREAD::ApcStateProcess)?)
}

/// Makes `process` the one `thread` is in, and (the thread being the current one) loads its
/// address space.
fn set_attached(k: &mut Kx, thread: u64, process: u64) -> KResult<()> {
    k.mem_mut().set(thread, ETHREAD::ApcStateProcess, process)?;
    crate::mm::space::follow(k)
}

fn bugcheck(k: &mut Kx, code: u32, name: &'static str, params: [u64; 4], reason: String) -> KError {
    let b = Bugcheck { code, name, params, caller: caller(k), reason };
    KError::Stop(bugcheck_stop(k, b))
}

fn check_process(k: &mut Kx, process: u64, what: &str) -> KResult<()> {
    if k.ext().objects.get(process).map(|o| o.kind) != Some(crate::ob::ObjectKind::Process) {
        k.mem().read_u8(process)?;
        return Err(bugcheck(
            k,
            0x5,
            "INVALID_PROCESS_ATTACH_ATTEMPT",
            [process, 0, 0, 0],
            format!("{what} to {process:#x}, which is not a process"),
        ));
    }
    Ok(())
}

/// VOID KeStackAttachProcess(PRKPROCESS Process, PRKAPC_STATE ApcState)
pub fn KeStackAttachProcess(k: &mut Kx, process: Ptr, apc_state: Ptr) -> KResult<()> {
    check_process(k, process.0, "KeStackAttachProcess")?;
    let thread = current_thread(k)?;
    let now = attached_process(k, thread)?;
    let saved = if now == process.0 { ALREADY_THERE } else { now };
    k.mem_mut().set(apc_state.0, KAPC_STATE::Process, saved)?;
    if saved != ALREADY_THERE {
        set_attached(k, thread, process.0)?;
        if let Some(t) = k.ext_mut().sched.current_mut().thread_mut() {
            t.attached.push(process.0);
        }
    }
    Ok(())
}

/// VOID KeUnstackDetachProcess(PRKAPC_STATE ApcState): back to the process ApcState saved.
pub fn KeUnstackDetachProcess(k: &mut Kx, apc_state: Ptr) -> KResult<()> {
    let saved = k.mem().get(apc_state.0, KAPC_STATE::Process)?;
    if saved == ALREADY_THERE {
        return Ok(());
    }
    let thread = current_thread(k)?;
    let popped = k.ext_mut().sched.current_mut().thread_mut().and_then(|t| t.attached.pop());
    if popped.is_none() || saved == 0 {
        let now = attached_process(k, thread)?;
        return Err(bugcheck(
            k,
            0x6,
            "INVALID_PROCESS_DETACH_ATTEMPT",
            [now, saved, 0, 0],
            "KeUnstackDetachProcess with no attach to undo".into(),
        ));
    }
    set_attached(k, thread, saved)
}

/// VOID KeAttachProcess(PRKPROCESS Process): attaching while attached is
/// INVALID_PROCESS_ATTACH_ATTEMPT.
pub fn KeAttachProcess(k: &mut Kx, process: Ptr) -> KResult<()> {
    check_process(k, process.0, "KeAttachProcess")?;
    let thread = current_thread(k)?;
    let now = attached_process(k, thread)?;
    if now == process.0 {
        return Ok(());
    }
    let attached = k.ext().sched.current().thread().map(|t| !t.attached.is_empty()).unwrap_or(false);
    if attached {
        return Err(bugcheck(
            k,
            0x5,
            "INVALID_PROCESS_ATTACH_ATTEMPT",
            [process.0, now, 0, 0],
            "KeAttachProcess while attached to another process".into(),
        ));
    }
    let home = k.mem().get(thread, ETHREAD::Process)?;
    if let Some(t) = k.ext_mut().sched.current_mut().thread_mut() {
        t.attached.push(home);
    }
    set_attached(k, thread, process.0)
}

/// VOID KeDetachProcess(void)
pub fn KeDetachProcess(k: &mut Kx) -> KResult<()> {
    let thread = current_thread(k)?;
    let popped = k.ext_mut().sched.current_mut().thread_mut().and_then(|t| t.attached.pop());
    match popped {
        // KeAttachProcess saved the thread's own process.
        Some(_) => {
            let home = k.mem().get(thread, ETHREAD::Process)?;
            set_attached(k, thread, home)
        }
        None => Ok(()),
    }
}
