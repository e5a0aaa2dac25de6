//! The process list: the System process, the caller's, and those a scenario declares or
//! starts (name, PID, parent). Each has an EPROCESS in the active-process list and a thread
//! of its own the host runs its notify calls on. Starting and ending one calls the process,
//! thread and image notify routines, as Windows does.

use serde::Serialize;

use crate::ke::scheduler::State;
use crate::kernel::{KResult, Kx};
use crate::layout::{list, FieldAccess, EPROCESS};
use crate::ob::{ObjectKind, Owner};
use crate::types::NtStatus;

/// One process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessEntry {
    pub pid: u64,
    pub parent: u64,
    pub name: String,
    pub eprocess: u64,
    /// The thread calls on its behalf run on.
    pub thread: u64,
    /// Its exit status, once it ended.
    pub exited: Option<u32>,
    /// Its address space (`mm::space`): 0, the System's, unless it has a user half of its
    /// own (a user program's).
    pub space: portcullis_emu::SpaceId,
}

/// The process list, in creation order.
pub fn list(k: &Kx) -> &[ProcessEntry] {
    &k.ext().system.processes
}

/// The process with `pid`, ended or not.
pub fn find(k: &Kx, pid: u64) -> Option<&ProcessEntry> {
    list(k).iter().find(|p| p.pid == pid)
}

/// Whether a process can still be looked up by its ID: it has not ended, or it was
/// terminated but a thread of it still runs (the user program's after ZwTerminateProcess:
/// the host still makes its calls on it), as Windows keeps a process until its last thread
/// is gone.
pub fn alive(k: &Kx, p: &ProcessEntry) -> bool {
    p.exited.is_none()
        || k.ext().sched.by_thread(p.thread).is_some_and(|c| k.ext().sched.ctx(c).state != State::Terminated)
}

/// The process an EPROCESS is.
pub fn by_object(k: &Kx, eprocess: u64) -> Option<&ProcessEntry> {
    list(k).iter().find(|p| p.eprocess == eprocess)
}

pub(crate) fn boot(k: &mut Kx, system: u64, system_thread: u64, user: u64, user_thread: u64) -> KResult<()> {
    k.mem_mut().set(user, EPROCESS::InheritedFromUniqueProcessId, 0)?;
    let ps = &mut k.ext_mut().system.processes;
    ps.push(ProcessEntry {
        pid: super::SYSTEM_PID,
        parent: 0,
        name: "System".into(),
        eprocess: system,
        thread: system_thread,
        exited: None,
        space: 0,
    });
    ps.push(ProcessEntry {
        pid: super::USER_PID,
        parent: 0,
        name: "portcullis.exe".into(),
        eprocess: user,
        thread: user_thread,
        exited: None,
        space: 0,
    });
    let ids = &mut k.ext_mut().sched.ids;
    for id in [0, super::SYSTEM_PID, super::USER_PID] {
        ids.insert(id);
    }
    Ok(())
}

/// Why a process cannot be made.
pub fn check_new(k: &Kx, name: &str, pid: u64, parent: u64) -> Result<(), String> {
    if pid == 0 || pid > u32::MAX as u64 {
        return Err(format!("PID {pid} is not one a process can have"));
    }
    if k.ext().sched.ids.contains(&pid) {
        return Err(format!("PID {pid:#x} is in use"));
    }
    if parent != 0 && find(k, parent).is_none() {
        return Err(format!("parent PID {parent:#x} names no process"));
    }
    if name.is_empty() || name.len() > 255 {
        return Err("a process needs a name of 1 to 255 characters".into());
    }
    Ok(())
}

/// Creates a process (no notify routine runs): its EPROCESS, linked into the active list,
/// and its thread. Returns the EPROCESS.
pub fn create(k: &mut Kx, name: &str, pid: u64, parent: u64) -> KResult<Result<u64, String>> {
    if let Err(e) = check_new(k, name, pid, parent) {
        return Ok(Err(e));
    }
    let size = EPROCESS::STRUCT.size(k.arch());
    let eprocess = crate::ex::pool::kernel_alloc(k, size, b"Proc")?;
    super::process::init_process(k, eprocess, pid, name.as_bytes())?;
    crate::ob::handle_table::create(k, eprocess, pid, false)?;
    k.mem_mut().set(eprocess, EPROCESS::InheritedFromUniqueProcessId, parent)?;
    k.ext_mut().sched.ids.insert(pid);
    k.ext_mut().objects.register(eprocess, ObjectKind::Process, Some(name.to_string()), Owner::Kernel);
    link(k, eprocess)?;
    let (thread, _) = super::thread::new_ethread(k, eprocess, pid)?;
    super::thread::add_host_thread(k, thread, eprocess, false)?;
    k.ext_mut().system.processes.push(ProcessEntry {
        pid,
        parent,
        name: name.to_string(),
        eprocess,
        thread,
        exited: None,
        space: 0,
    });
    Ok(Ok(eprocess))
}

/// Adds a process to the end of the circular ActiveProcessLinks list.
fn link(k: &mut Kx, eprocess: u64) -> KResult<()> {
    let arch = k.arch();
    let head = EPROCESS::ActiveProcessLinks.at(arch, k.ext().system.system_process);
    let me = EPROCESS::ActiveProcessLinks.at(arch, eprocess);
    Ok(list::insert_before(k.mem_mut(), head, me)?)
}

/// Takes a process out of the active list (its links point at themselves afterwards).
fn unlink(k: &mut Kx, eprocess: u64) -> KResult<()> {
    let me = EPROCESS::ActiveProcessLinks.at(k.arch(), eprocess);
    Ok(list::remove(k.mem_mut(), me)?)
}

/// How starting a process went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Started {
    pub eprocess: u64,
    /// A process notify routine refused it (PS_CREATE_NOTIFY_INFO.CreationStatus).
    pub denied: Option<NtStatus>,
}

/// Starts a process: it is created, then the image, process and thread notify routines run
/// (on its parent's thread). Called from the host.
pub fn start(k: &mut Kx, name: &str, pid: u64, parent: u64) -> KResult<Result<Started, String>> {
    let eprocess = match create(k, name, pid, parent)? {
        Ok(e) => e,
        Err(e) => return Ok(Err(e)),
    };
    let denied = super::notify::process_started(k, pid)?;
    if denied.is_some() {
        // Refused: it never runs, and is gone.
        finish(k, pid, denied.map(|s| s.0).unwrap_or(0))?;
    }
    Ok(Ok(Started { eprocess, denied }))
}

/// Tells the image, process and thread notify routines that process `pid`, made with
/// [`create`], starts (on its parent's thread). A routine that refuses it
/// (PS_CREATE_NOTIFY_INFO.CreationStatus) ends it: that status is returned.
pub fn announce(k: &mut Kx, pid: u64) -> KResult<Option<NtStatus>> {
    let denied = super::notify::process_started(k, pid)?;
    if let Some(st) = denied {
        finish(k, pid, st.0)?;
    }
    Ok(denied)
}

/// Ends a process: thread and process notify routines run on its thread, then its objects
/// become signaled and it leaves the active list. Called from the host.
pub fn exit(k: &mut Kx, pid: u64, exit_status: u32) -> KResult<Result<(), String>> {
    match find(k, pid) {
        None => return Ok(Err(format!("PID {pid:#x} names no process"))),
        Some(p) if p.exited.is_some() => return Ok(Err(format!("process {pid:#x} has ended already"))),
        Some(p) if p.pid == super::SYSTEM_PID || p.pid == super::USER_PID => {
            return Ok(Err(format!("process {pid:#x} is one the sandbox needs")))
        }
        Some(_) => {}
    }
    super::notify::process_exited(k, pid)?;
    finish(k, pid, exit_status)?;
    Ok(Ok(()))
}

/// Ends a process as a driver's ZwTerminateProcess does: as [`exit`], except that the user
/// program's process keeps its thread for the host (the scenario's later steps are the
/// host's script and still run). The caller checked that it may end.
pub(crate) fn terminate(k: &mut Kx, pid: u64, exit_status: u32) -> KResult<()> {
    super::notify::process_exited(k, pid)?;
    finish(k, pid, exit_status)
}

fn finish(k: &mut Kx, pid: u64, exit_status: u32) -> KResult<()> {
    let Some(i) = list(k).iter().position(|p| p.pid == pid) else { return Ok(()) };
    let (eprocess, thread) = {
        let p = &mut k.ext_mut().system.processes[i];
        p.exited = Some(exit_status);
        (p.eprocess, p.thread)
    };
    unlink(k, eprocess)?;
    crate::ke::dispatcher::signal(k, eprocess)?;
    if pid == super::USER_PID {
        return Ok(());
    }
    crate::ke::dispatcher::signal(k, thread)?;
    if let Some(cid) = k.ext().sched.by_thread(thread) {
        k.ext_mut().sched.contexts[cid].state = crate::ke::scheduler::State::Terminated;
        crate::ke::apc::drop_queued(k, cid);
        // A thread that ended before its process keeps its own exit status.
        if let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() {
            t.exit_status.get_or_insert(exit_status);
        }
    }
    Ok(())
}
