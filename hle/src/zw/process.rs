//! Processes and threads through handles: `ZwOpenProcess`/`NtOpenProcess`, `ZwOpenThread`,
//! `ZwQueryInformationProcess`, `ZwQueryInformationThread`, `ZwSetInformationThread`,
//! `ZwTerminateProcess`. The processes are those [`crate::ps::list`] gives.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use serde::Serialize;

use super::{exact, write_len, Out};
use crate::events::SystemEvent;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, ETHREAD};
use crate::ob::handles::{self, Mode};
use crate::ob::name::read_attributes;
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, Ptr, HANDLE};

/// Process access rights checked for user-mode callers.
pub const PROCESS_TERMINATE: u32 = 0x0001;
pub const PROCESS_QUERY_INFORMATION: u32 = 0x0400;
pub const THREAD_QUERY_INFORMATION: u32 = 0x0040;
pub const THREAD_SET_INFORMATION: u32 = 0x0020;

/// Where the images of processes other than System are, as ProcessImageFileName and its
/// Win32 form give them (`portcullis.exe`, the user program, and a scenario's processes).
const IMAGE_DIRECTORY: &str = "\\Device\\HarddiskVolume1\\Windows\\";
const IMAGE_DIRECTORY_WIN32: &str = "C:\\Windows\\";

/// What the kernel keeps about a thread beyond its ETHREAD and the scheduler's thread.
#[derive(Clone, Debug, Default)]
pub struct ThreadState {
    pub hide_from_debugger: bool,
    pub break_on_termination: bool,
}

/// Thread flags set through ZwSetInformationThread, by object.
#[derive(Default, Debug)]
pub struct Tasks {
    pub threads: BTreeMap<u64, ThreadState>,
    /// What drivers set on processes (ZwSetInformationProcess), by object.
    pub processes: BTreeMap<u64, super::process_set::ProcessSettings>,
    /// Job objects and the EPROCESSes assigned to each (zw/job.rs).
    pub jobs: BTreeMap<u64, Vec<u64>>,
}

/// A process the driver terminated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessTermination {
    pub pid: u64,
    pub image: String,
    pub exit_status: String,
    #[serde(serialize_with = "crate::events::hex")]
    pub caller: u64,
}

/// The object a handle of `kind` refers to, for a caller in `mode` wanting `access`.
pub(crate) fn object_of(
    k: &Kx,
    handle: u64,
    kind: ObjectKind,
    access: u32,
    mode: Mode,
) -> KResult<Result<u64, NtStatus>> {
    let Some((object, granted, _)) = handles::lookup(k, handle, mode)? else {
        return Ok(Err(status::INVALID_HANDLE));
    };
    if k.ext().objects.get(object).map(|o| o.kind) != Some(kind) {
        return Ok(Err(status::OBJECT_TYPE_MISMATCH));
    }
    if mode == Mode::User && access & !granted != 0 {
        return Ok(Err(status::ACCESS_DENIED));
    }
    Ok(Ok(object))
}

/// Reads a CLIENT_ID: (UniqueProcess, UniqueThread).
fn client_id(k: &Kx, at: u64) -> KResult<(u64, u64)> {
    let ps = k.arch().ptr_size();
    Ok((k.mem().read_ptr(at)?, k.mem().read_ptr(at + ps)?))
}

fn open_task(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    cid: Ptr,
    thread: bool,
    mode: Mode,
) -> KResult<NtStatus> {
    let attrs = match read_attributes(k, attributes.0, mode)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let named = attrs.name.as_deref().is_some_and(|n| !n.is_empty());
    // Exactly one of a name and a client id.
    if named != cid.is_null() {
        return Ok(NtStatus(0xC000_0030)); // STATUS_INVALID_PARAMETER_MIX
    }
    if named {
        // Processes and threads have no names.
        return Ok(status::OBJECT_NAME_NOT_FOUND);
    }
    let (pid, tid) = client_id(k, cid.0)?;
    let object = if thread {
        match crate::ps::list::thread_by_tid(k, tid)? {
            Some((p, t)) if pid == 0 || p.pid == pid => t.ethread,
            _ => return Ok(status::INVALID_CID),
        }
    } else {
        let Some(p) = crate::ps::list::by_pid(k, pid)? else { return Ok(status::INVALID_CID) };
        if tid != 0 && !p.threads.iter().any(|t| t.tid == tid) {
            return Ok(status::INVALID_CID);
        }
        p.eprocess
    };
    handles::open_for(k, object, access, attrs.attributes, mode, handle.0)
}

/// NTSTATUS ZwOpenProcess(PHANDLE ProcessHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PCLIENT_ID ClientId): STATUS_INVALID_CID for no such
/// process; the object callbacks drivers registered see the open.
pub fn ZwOpenProcess(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr, cid: Ptr) -> KResult<NtStatus> {
    open_task(k, handle, access, attributes, cid, false, Mode::Kernel)
}

/// NtOpenProcess: the same with the current thread's previous mode.
pub fn NtOpenProcess(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr, cid: Ptr) -> KResult<NtStatus> {
    let mode = crate::ps::mode::previous_mode(k)?;
    open_task(k, handle, access, attributes, cid, false, mode)
}

/// NTSTATUS ZwOpenThread(PHANDLE ThreadHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PCLIENT_ID ClientId)
pub fn ZwOpenThread(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr, cid: Ptr) -> KResult<NtStatus> {
    open_task(k, handle, access, attributes, cid, true, Mode::Kernel)
}

/// PROCESSINFOCLASS values answered.
pub const PROCESS_BASIC_INFORMATION: u32 = 0;
pub const PROCESS_TIMES: u32 = 4;
pub const PROCESS_DEBUG_PORT: u32 = 7;
pub const PROCESS_HANDLE_COUNT: u32 = 20;
pub const PROCESS_SESSION_INFORMATION: u32 = 24;
pub const PROCESS_WOW64_INFORMATION: u32 = 26;
pub const PROCESS_IMAGE_FILE_NAME: u32 = 27;
pub const PROCESS_BREAK_ON_TERMINATION: u32 = 29;
pub const PROCESS_IO_PRIORITY: u32 = 33;
pub const PROCESS_IMAGE_FILE_NAME_WIN32: u32 = 43;

pub(crate) fn is_system(k: &Kx, process: u64) -> bool {
    process == k.ext().system.system_process
}

/// NTSTATUS ZwQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS
/// ProcessInformationClass, PVOID ProcessInformation, ULONG ProcessInformationLength,
/// PULONG ReturnLength)
pub fn ZwQueryInformationProcess(
    k: &mut Kx,
    handle: HANDLE,
    class: u32,
    info: Ptr,
    length: u32,
    return_length: Ptr,
) -> KResult<NtStatus> {
    query_process(k, handle, class, info, length, return_length, Mode::Kernel)
}

/// NtQueryInformationProcess: the same for the current thread's previous mode. From user
/// mode the handle must be a user handle granting PROCESS_QUERY_INFORMATION, and both
/// buffers must lie in user space (a buffer that does not is the probe's
/// STATUS_ACCESS_VIOLATION, which the routine's `try/except` returns).
pub fn NtQueryInformationProcess(
    k: &mut Kx,
    handle: HANDLE,
    class: u32,
    info: Ptr,
    length: u32,
    return_length: Ptr,
) -> KResult<NtStatus> {
    let mode = crate::ps::mode::previous_mode(k)?;
    if mode == Mode::User {
        let limit = crate::seh::probe::user_probe_address(k.arch());
        let outside = |at: u64, len: u64| len != 0 && at.checked_add(len).is_none_or(|end| end > limit);
        if outside(info.0, length as u64) || (return_length.0 != 0 && outside(return_length.0, 4)) {
            return Ok(status::ACCESS_VIOLATION);
        }
    }
    query_process(k, handle, class, info, length, return_length, mode)
}

fn query_process(
    k: &mut Kx,
    handle: HANDLE,
    class: u32,
    info: Ptr,
    length: u32,
    return_length: Ptr,
    mode: Mode,
) -> KResult<NtStatus> {
    let process = match object_of(k, handle.0, ObjectKind::Process, PROCESS_QUERY_INFORMATION, mode)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    let arch = k.arch();
    let mut o = Out::new(arch);
    match class {
        PROCESS_BASIC_INFORMATION => {
            let exit = crate::ps::processes::by_object(k, process).and_then(|p| p.exited).unwrap_or(status::PENDING.0);
            let pid = k.mem().get(process, EPROCESS::UniqueProcessId)?;
            let parent = k.mem().get(process, EPROCESS::InheritedFromUniqueProcessId)?;
            o.u32(exit).align(arch.ptr_size() as usize);
            o.ptr(0) // PebBaseAddress: no user-mode image is modelled
                .ptr(crate::ke::processor::active_mask(k)) // AffinityMask
                .u32(8) // BasePriority
                .align(arch.ptr_size() as usize)
                .ptr(pid)
                .ptr(parent);
        }
        PROCESS_TIMES => {
            o.u64(crate::ps::BOOT_SYSTEM_TIME).u64(0).u64(crate::ke::time::interrupt_time(k)).u64(0);
        }
        PROCESS_DEBUG_PORT | PROCESS_WOW64_INFORMATION => {
            o.ptr(0);
        }
        PROCESS_HANDLE_COUNT => {
            let n = k.ext().handles.all(arch).iter().filter(|(p, _, _)| *p == process).count();
            o.u32(n as u32);
        }
        PROCESS_SESSION_INFORMATION => {
            o.u32(if is_system(k, process) { 0 } else { 1 });
        }
        PROCESS_BREAK_ON_TERMINATION => {
            o.u32(super::process_set::settings(k, process).break_on_termination as u32);
        }
        PROCESS_IO_PRIORITY => {
            o.u32(super::process_set::settings(k, process).io_priority);
        }
        PROCESS_IMAGE_FILE_NAME | PROCESS_IMAGE_FILE_NAME_WIN32 => {
            let image = crate::ps::processes::by_object(k, process).map(|p| p.name.clone()).unwrap_or_default();
            let name = match (is_system(k, process), class) {
                (true, _) => String::new(),
                (false, PROCESS_IMAGE_FILE_NAME) => format!("{IMAGE_DIRECTORY}{image}"),
                (false, _) => format!("{IMAGE_DIRECTORY_WIN32}{image}"),
            };
            let name = name.as_str();
            let us = crate::layout::UNICODE_STRING::STRUCT.size(arch);
            let bytes = if name.is_empty() { 0 } else { (name.encode_utf16().count() as u64 + 1) * 2 };
            let need = (us + bytes) as usize;
            write_len(k, return_length, need)?;
            if (length as usize) < need {
                return Ok(status::INFO_LENGTH_MISMATCH);
            }
            crate::ob::name::write_name_information(k, info.0, length as u64, name)?.ok();
            return Ok(status::SUCCESS);
        }
        _ => return Ok(status::INVALID_INFO_CLASS),
    }
    let b = o.bytes;
    exact(k, &b, info, length, return_length)
}

/// THREADINFOCLASS values answered.
pub const THREAD_BASIC_INFORMATION: u32 = 0;
pub const THREAD_TIMES: u32 = 1;
pub const THREAD_PRIORITY: u32 = 2;
pub const THREAD_BASE_PRIORITY: u32 = 3;
pub const THREAD_AFFINITY_MASK: u32 = 4;
pub const THREAD_QUERY_SET_WIN32_START_ADDRESS: u32 = 9;
pub const THREAD_HIDE_FROM_DEBUGGER: u32 = 17;
pub const THREAD_BREAK_ON_TERMINATION: u32 = 18;
pub const THREAD_IS_TERMINATED: u32 = 20;

/// NTSTATUS ZwQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS
/// ThreadInformationClass, PVOID ThreadInformation, ULONG ThreadInformationLength,
/// PULONG ReturnLength)
pub fn ZwQueryInformationThread(
    k: &mut Kx,
    handle: HANDLE,
    class: u32,
    info: Ptr,
    length: u32,
    return_length: Ptr,
) -> KResult<NtStatus> {
    let thread = match object_of(k, handle.0, ObjectKind::Thread, THREAD_QUERY_INFORMATION, Mode::Kernel)? {
        Ok(t) => t,
        Err(st) => return Ok(st),
    };
    let arch = k.arch();
    let state = k.ext().tasks.threads.get(&thread).cloned().unwrap_or_default();
    let Some(cid) = k.ext().sched.by_thread(thread) else { return Ok(status::INVALID_HANDLE) };
    let c = k.ext().sched.ctx(cid);
    let t = c.thread().expect("a thread's context").clone();
    let terminated = c.state == crate::ke::scheduler::State::Terminated;
    let mut o = Out::new(arch);
    match class {
        THREAD_BASIC_INFORMATION => {
            let (pid, tid) =
                (k.mem().get(thread, ETHREAD::UniqueProcess)?, k.mem().get(thread, ETHREAD::UniqueThread)?);
            o.u32(t.exit_status.unwrap_or(status::PENDING.0)).align(arch.ptr_size() as usize);
            o.ptr(0) // TebBaseAddress
                .ptr(pid)
                .ptr(tid)
                .ptr(t.affinity & crate::ke::processor::active_mask(k))
                .u32(t.priority.into())
                // BasePriority: the increment over the process's base priority (8).
                .u32((i32::from(t.base_priority) - 8) as u32)
                .align(arch.ptr_size() as usize);
        }
        THREAD_TIMES => {
            o.u64(crate::ps::BOOT_SYSTEM_TIME).u64(0).u64(0).u64(0);
        }
        THREAD_QUERY_SET_WIN32_START_ADDRESS => {
            o.ptr(t.start);
        }
        THREAD_HIDE_FROM_DEBUGGER => {
            o.u8(state.hide_from_debugger as u8);
        }
        THREAD_BREAK_ON_TERMINATION => {
            o.u32(state.break_on_termination as u32);
        }
        THREAD_IS_TERMINATED => {
            o.u32(terminated as u32);
        }
        _ => return Ok(status::INVALID_INFO_CLASS),
    }
    let b = o.bytes;
    exact(k, &b, info, length, return_length)
}

/// NTSTATUS ZwSetInformationThread(HANDLE ThreadHandle, THREADINFOCLASS
/// ThreadInformationClass, PVOID ThreadInformation, ULONG ThreadInformationLength): the
/// priority (1..31) and the base priority increment (-2..2, or ±16 to saturate) are the
/// scheduler's (KeSetPriorityThread, KeSetBasePriorityThread); the affinity (a non-empty
/// mask of active processors) is the thread's user affinity; hiding from the debugger (no
/// data) and break-on-termination set their flags.
pub fn ZwSetInformationThread(k: &mut Kx, handle: HANDLE, class: u32, info: Ptr, length: u32) -> KResult<NtStatus> {
    let thread = match object_of(k, handle.0, ObjectKind::Thread, THREAD_SET_INFORMATION, Mode::Kernel)? {
        Ok(t) => t,
        Err(st) => return Ok(st),
    };
    let arch = k.arch();
    let need = match class {
        THREAD_PRIORITY | THREAD_BASE_PRIORITY | THREAD_BREAK_ON_TERMINATION => 4,
        THREAD_AFFINITY_MASK => arch.ptr_size(),
        THREAD_HIDE_FROM_DEBUGGER => 0,
        _ => return Ok(status::INVALID_INFO_CLASS),
    };
    if length as u64 != need {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let value = match need {
        0 => 0,
        4 => k.mem().read_u32(info.0)? as u64,
        _ => k.mem().read_ptr(info.0)?,
    };
    let Some(cid) = k.ext().sched.by_thread(thread) else { return Ok(status::INVALID_HANDLE) };
    match class {
        THREAD_PRIORITY if !(1..=31).contains(&value) => return Ok(status::INVALID_PARAMETER),
        THREAD_PRIORITY => k.ext_mut().sched.set_priority(cid, value as u8, None),
        THREAD_BASE_PRIORITY => {
            let v = value as u32 as i32;
            if !(-2..=2).contains(&v) && v != 16 && v != -16 {
                return Ok(status::INVALID_PARAMETER);
            }
            crate::ke::thread::KeSetBasePriorityThread(k, Ptr(thread), v)?;
        }
        THREAD_AFFINITY_MASK if value == 0 || value & !crate::ke::processor::active_mask(k) != 0 => {
            return Ok(status::INVALID_PARAMETER)
        }
        THREAD_AFFINITY_MASK => crate::ke::thread::set_user_affinity(k, cid, value)?,
        THREAD_HIDE_FROM_DEBUGGER => k.ext_mut().tasks.threads.entry(thread).or_default().hide_from_debugger = true,
        _ => k.ext_mut().tasks.threads.entry(thread).or_default().break_on_termination = value != 0,
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus): the process ends
/// as a scenario's `process_exit` ends it (thread and process notify routines, its objects
/// signaled, out of the active list; `ProcessBasicInformation` reports the exit status), and
/// the termination is in the trace and the report. NULL means the current process. The System
/// process cannot be terminated (STATUS_ACCESS_DENIED); a process that has exited already
/// answers STATUS_PROCESS_IS_TERMINATING. The simulated user program's later steps still run:
/// the scenario is the host's script.
pub fn ZwTerminateProcess(k: &mut Kx, handle: HANDLE, exit_status: NtStatus) -> KResult<NtStatus> {
    let process = if handle.0 == 0 {
        crate::ps::current_process(k)?
    } else {
        match object_of(k, handle.0, ObjectKind::Process, PROCESS_TERMINATE, Mode::Kernel)? {
            Ok(p) => p,
            Err(st) => return Ok(st),
        }
    };
    terminate(k, process, exit_status)
}

/// Terminates the process whose EPROCESS is `process` (ZwTerminateProcess's work, also
/// ZwTerminateJobObject's for each process of the job).
pub(crate) fn terminate(k: &mut Kx, process: u64, exit_status: NtStatus) -> KResult<NtStatus> {
    if is_system(k, process) {
        return Ok(status::ACCESS_DENIED);
    }
    let Some(entry) = crate::ps::processes::by_object(k, process).cloned() else { return Ok(status::INVALID_HANDLE) };
    if entry.exited.is_some() {
        return Ok(NtStatus(0xC000_010A)); // STATUS_PROCESS_IS_TERMINATING
    }
    let at = caller(k);
    let event = ProcessTermination {
        pid: entry.pid,
        image: entry.name,
        exit_status: format!("{:#010x}", exit_status.0),
        caller: at,
    };
    crate::events::push(k, SystemEvent::ProcessTerminated(event));
    crate::ps::processes::terminate(k, entry.pid, exit_status.0)?;
    Ok(status::SUCCESS)
}
