//! Process, thread and image notify routines: PsSetCreateProcessNotifyRoutine(Ex/Ex2),
//! PsSetCreateThreadNotifyRoutine / PsRemoveCreateThreadNotifyRoutine,
//! PsSetLoadImageNotifyRoutine / PsRemoveLoadImageNotifyRoutine, and calling them.
//!
//! As on Windows: up to 64 of each; a process routine with extended information (Ex, Ex2)
//! must be in an image linked with /INTEGRITYCHECK (else STATUS_ACCESS_DENIED) and can refuse
//! a process (CreationStatus); routines run at PASSIVE_LEVEL in the order they were
//! registered, process creation on the creating (parent's) thread, exit on the exiting
//! process's, thread creation on the creating thread, thread exit on the exiting one.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};
use serde::Serialize;

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, CLIENT_ID, ETHREAD, IMAGE_INFO, PS_CREATE_NOTIFY_INFO, UNICODE_STRING};
use crate::types::{status, Boolean, NtStatus, Ptr};

/// Most routines of each kind.
pub const MAX_ROUTINES: usize = 64;
/// STATUS_PROCEDURE_NOT_FOUND.
const PROCEDURE_NOT_FOUND: NtStatus = NtStatus(0xC000_007A);

/// How a process notify routine is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessForm {
    /// (ParentId, ProcessId, Create)
    Plain,
    /// (Process, ProcessId, CreateInfo): Ex and Ex2.
    Extended,
}

/// The registered routines, in registration order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Notify {
    pub process: Vec<(u64, ProcessForm)>,
    pub thread: Vec<u64>,
    pub image: Vec<u64>,
}

fn set_process_routine(k: &mut Kx, routine: u64, form: ProcessForm, remove: bool) -> KResult<NtStatus> {
    if form == ProcessForm::Extended && !remove && !crate::loader::integrity_checked(k, routine) {
        return Ok(status::ACCESS_DENIED);
    }
    let list = &mut k.ext_mut().system.notify.process;
    if remove {
        return Ok(match list.iter().position(|(r, f)| *r == routine && *f == form) {
            Some(i) => {
                list.remove(i);
                status::SUCCESS
            }
            None => status::INVALID_PARAMETER,
        });
    }
    if list.len() >= MAX_ROUTINES {
        return Ok(status::INVALID_PARAMETER);
    }
    list.push((routine, form));
    Ok(status::SUCCESS)
}

/// NTSTATUS PsSetCreateProcessNotifyRoutine(PCREATE_PROCESS_NOTIFY_ROUTINE NotifyRoutine,
/// BOOLEAN Remove)
pub fn PsSetCreateProcessNotifyRoutine(k: &mut Kx, routine: Ptr, remove: Boolean) -> KResult<NtStatus> {
    set_process_routine(k, routine.0, ProcessForm::Plain, remove.0)
}

/// NTSTATUS PsSetCreateProcessNotifyRoutineEx(PCREATE_PROCESS_NOTIFY_ROUTINE_EX NotifyRoutine,
/// BOOLEAN Remove)
pub fn PsSetCreateProcessNotifyRoutineEx(k: &mut Kx, routine: Ptr, remove: Boolean) -> KResult<NtStatus> {
    set_process_routine(k, routine.0, ProcessForm::Extended, remove.0)
}

/// NTSTATUS PsSetCreateProcessNotifyRoutineEx2(PSCREATEPROCESSNOTIFYTYPE NotifyType,
/// PVOID NotifyInformation, BOOLEAN Remove): type 0 (PsCreateProcessNotifySubsystems) is the
/// only one; its routine is an Ex routine (every process here is a Win32 process).
pub fn PsSetCreateProcessNotifyRoutineEx2(
    k: &mut Kx,
    notify_type: u32,
    routine: Ptr,
    remove: Boolean,
) -> KResult<NtStatus> {
    if notify_type != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    set_process_routine(k, routine.0, ProcessForm::Extended, remove.0)
}

fn add(list: &mut Vec<u64>, routine: u64) -> NtStatus {
    if list.len() >= MAX_ROUTINES {
        return status::INSUFFICIENT_RESOURCES;
    }
    list.push(routine);
    status::SUCCESS
}

fn remove(list: &mut Vec<u64>, routine: u64) -> NtStatus {
    match list.iter().position(|r| *r == routine) {
        Some(i) => {
            list.remove(i);
            status::SUCCESS
        }
        None => PROCEDURE_NOT_FOUND,
    }
}

/// NTSTATUS PsSetCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine)
pub fn PsSetCreateThreadNotifyRoutine(k: &mut Kx, routine: Ptr) -> KResult<NtStatus> {
    Ok(add(&mut k.ext_mut().system.notify.thread, routine.0))
}

/// NTSTATUS PsRemoveCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine)
pub fn PsRemoveCreateThreadNotifyRoutine(k: &mut Kx, routine: Ptr) -> KResult<NtStatus> {
    Ok(remove(&mut k.ext_mut().system.notify.thread, routine.0))
}

/// NTSTATUS PsSetLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine)
pub fn PsSetLoadImageNotifyRoutine(k: &mut Kx, routine: Ptr) -> KResult<NtStatus> {
    Ok(add(&mut k.ext_mut().system.notify.image, routine.0))
}

/// NTSTATUS PsRemoveLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine)
pub fn PsRemoveLoadImageNotifyRoutine(k: &mut Kx, routine: Ptr) -> KResult<NtStatus> {
    Ok(remove(&mut k.ext_mut().system.notify.image, routine.0))
}

/// Calls a notify routine on `thread` (from the host: as that thread's call; from a host
/// call: nested, on the current thread).
fn call_on(k: &mut Kx, thread: Option<u64>, routine: u64, args: &[u64]) -> KResult<u64> {
    crate::ke::scheduler::check_loaded(k, routine, "a notify routine")?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    if k.depth() > 0 || thread.is_none() {
        return Ok(crate::ke::scheduler::call(k, routine, args, conv)?);
    }
    let before = crate::ps::current_thread(k)?;
    crate::ps::set_current_thread(k, thread.expect("checked"), false)?;
    let r = crate::ke::scheduler::call(k, routine, args, conv);
    crate::ps::set_current_thread(k, before, false)?;
    Ok(r?)
}

/// A unicode string in fresh kernel pool (a notify routine's argument).
fn pool_string(k: &mut Kx, text: &str) -> KResult<u64> {
    let arch = k.arch();
    let units = text.encode_utf16().count() as u64;
    let header = UNICODE_STRING::STRUCT.size(arch);
    let at = crate::ex::pool::kernel_alloc(k, header + units * 2 + 2, b"Ntfy")?;
    super::write_unicode(k, at, at + header, text)?;
    Ok(at)
}

/// A new thread's creation, on the creating thread (nested when called from its code).
pub(crate) fn thread_created(k: &mut Kx, pid: u64, tid: u64) -> KResult<()> {
    for r in k.ext().system.notify.thread.clone() {
        call_on(k, None, r, &[pid, tid, 1])?;
    }
    Ok(())
}

/// A thread's exit, on the exiting thread.
pub(crate) fn thread_exited(k: &mut Kx, pid: u64, tid: u64) -> KResult<()> {
    for r in k.ext().system.notify.thread.clone() {
        call_on(k, None, r, &[pid, tid, 0])?;
    }
    Ok(())
}

/// A process has started: image, process and thread notify routines. Returns the status a
/// routine refused it with, if one did.
pub(crate) fn process_started(k: &mut Kx, pid: u64) -> KResult<Option<NtStatus>> {
    let p = super::processes::find(k, pid).cloned().expect("just created");
    let creator = super::processes::find(k, p.parent).map(|pp| pp.thread).unwrap_or(k.ext().system.system_thread);
    let arch = k.arch();
    let path = format!("\\Device\\HarddiskVolume1\\Windows\\System32\\{}", p.name);
    // The image: mapped in the new process, seen by image routines on its thread.
    if !k.ext().system.notify.image.is_empty() {
        let name = pool_string(k, &path)?;
        let info = crate::ex::pool::kernel_alloc(k, IMAGE_INFO::STRUCT.size(arch), b"Ntfy")?;
        let (base, size) = match arch {
            Arch::X86 => (0x0040_0000, 0x1_0000),
            Arch::X64 => (0x1_4000_0000, 0x1_0000),
        };
        let mem = k.mem_mut();
        // ImageAddressingMode = IMAGE_ADDRESSING_MODE_32BIT (3): a user image.
        mem.set(info, IMAGE_INFO::Properties, 3)?;
        mem.set(info, IMAGE_INFO::ImageBase, base)?;
        mem.set(info, IMAGE_INFO::ImageSize, size)?;
        for r in k.ext().system.notify.image.clone() {
            call_on(k, Some(p.thread), r, &[name, pid, info])?;
        }
        crate::ex::pool::free(k, info, None, 0)?;
        crate::ex::pool::free(k, name, None, 0)?;
    }
    // The process itself, on its creator's thread.
    let mut denied = None;
    for (r, form) in k.ext().system.notify.process.clone() {
        match form {
            ProcessForm::Plain => {
                call_on(k, Some(creator), r, &[p.parent, pid, 1])?;
            }
            ProcessForm::Extended => {
                let info = create_info(k, &p, creator, &path)?;
                call_on(k, Some(creator), r, &[p.eprocess, pid, info])?;
                let st = k.mem().get(info, PS_CREATE_NOTIFY_INFO::CreationStatus)? as u32;
                free_create_info(k, info)?;
                if !NtStatus(st).is_success() {
                    denied = Some(NtStatus(st));
                    break;
                }
            }
        }
    }
    if denied.is_none() {
        let tid = k.mem().get(p.thread, ETHREAD::UniqueThread)?;
        for r in k.ext().system.notify.thread.clone() {
            call_on(k, Some(creator), r, &[pid, tid, 1])?;
        }
    }
    Ok(denied)
}

/// PS_CREATE_NOTIFY_INFO for a process an Ex routine sees starting.
fn create_info(k: &mut Kx, p: &super::processes::ProcessEntry, creator: u64, path: &str) -> KResult<u64> {
    let arch = k.arch();
    let size = PS_CREATE_NOTIFY_INFO::STRUCT.size(arch);
    let info = crate::ex::pool::kernel_alloc(k, size, b"Ntfy")?;
    let image = pool_string(k, &format!("\\??\\C:\\Windows\\System32\\{}", p.name))?;
    let command = pool_string(k, &format!("\"C:\\Windows\\System32\\{}\"", p.name))?;
    let _ = path;
    let creator_pid = k.mem().get(creator, ETHREAD::UniqueProcess)?;
    let creator_tid = k.mem().get(creator, ETHREAD::UniqueThread)?;
    let mem = k.mem_mut();
    mem.set(info, PS_CREATE_NOTIFY_INFO::Size, size)?;
    mem.set(info, PS_CREATE_NOTIFY_INFO::Flags, 1)?; // FileOpenNameAvailable
    mem.set(info, PS_CREATE_NOTIFY_INFO::ParentProcessId, p.parent)?;
    let cid = PS_CREATE_NOTIFY_INFO::CreatingThreadId.at(arch, info);
    mem.set(cid, CLIENT_ID::UniqueProcess, creator_pid)?;
    mem.set(cid, CLIENT_ID::UniqueThread, creator_tid)?;
    mem.set(info, PS_CREATE_NOTIFY_INFO::FileObject, 0)?;
    mem.set(info, PS_CREATE_NOTIFY_INFO::ImageFileName, image)?;
    mem.set(info, PS_CREATE_NOTIFY_INFO::CommandLine, command)?;
    mem.set(info, PS_CREATE_NOTIFY_INFO::CreationStatus, status::SUCCESS.0 as u64)?;
    Ok(info)
}

fn free_create_info(k: &mut Kx, info: u64) -> KResult<()> {
    let image = k.mem().get(info, PS_CREATE_NOTIFY_INFO::ImageFileName)?;
    let command = k.mem().get(info, PS_CREATE_NOTIFY_INFO::CommandLine)?;
    crate::ex::pool::free(k, image, None, 0)?;
    crate::ex::pool::free(k, command, None, 0)?;
    crate::ex::pool::free(k, info, None, 0)
}

/// A process is ending: thread then process notify routines, on its thread.
pub(crate) fn process_exited(k: &mut Kx, pid: u64) -> KResult<()> {
    let p = super::processes::find(k, pid).cloned().expect("checked by the caller");
    let tid = k.mem().get(p.thread, ETHREAD::UniqueThread)?;
    for r in k.ext().system.notify.thread.clone() {
        call_on(k, Some(p.thread), r, &[pid, tid, 0])?;
    }
    for (r, form) in k.ext().system.notify.process.clone() {
        match form {
            ProcessForm::Plain => call_on(k, Some(p.thread), r, &[p.parent, pid, 0])?,
            ProcessForm::Extended => call_on(k, Some(p.thread), r, &[p.eprocess, pid, 0])?,
        };
    }
    Ok(())
}

/// The notify routines in `owner`'s image still registered, as (how they were registered,
/// the routine), for the leak report: they would be called into unloaded code.
pub(crate) fn registrations(k: &Kx, owner: crate::ob::Owner) -> Vec<(&'static str, String)> {
    let n = &k.ext().system.notify;
    let mine = |r: &u64| k.ext().driver_at(*r).map(crate::ob::Owner::Driver) == Some(owner);
    let process = n.process.iter().filter(|(r, _)| mine(r)).map(|(r, form)| {
        let kind = match form {
            ProcessForm::Plain => "PsSetCreateProcessNotifyRoutine",
            ProcessForm::Extended => "PsSetCreateProcessNotifyRoutineEx",
        };
        (kind, format!("routine {r:#x}"))
    });
    let thread =
        n.thread.iter().filter(|r| mine(r)).map(|r| ("PsSetCreateThreadNotifyRoutine", format!("routine {r:#x}")));
    let image = n.image.iter().filter(|r| mine(r)).map(|r| ("PsSetLoadImageNotifyRoutine", format!("routine {r:#x}")));
    process.chain(thread).chain(image).collect()
}
