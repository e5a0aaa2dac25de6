//! Job objects: `ZwCreateJobObject`, `ZwAssignProcessToJobObject`, `ZwTerminateJobObject`.
//!
//! A job is a named or unnamed object holding processes; terminating it terminates each of
//! them as ZwTerminateProcess does (notify routines, the termination in the trace). Its body
//! begins with the KEVENT Windows puts first in an EJOB, so it can be waited on; it is
//! signaled only by an end-of-job time limit, which no job here has (no limits are modelled:
//! ZwSetInformationJobObject is not exported). A process belongs to one job at most (nested
//! jobs are not modelled): assigning one already in a job is STATUS_ACCESS_DENIED, as
//! Windows 7 answers.
#![allow(non_snake_case)]

use crate::ex::named::{self, Created};
use crate::kernel::{KResult, Kx};
use crate::layout::KEVENT;
use crate::ob::handles::{self, Mode};
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

use super::process::{is_system, object_of, PROCESS_TERMINATE};

/// Job access rights checked for user-mode callers.
const JOB_OBJECT_ASSIGN_PROCESS: u32 = 0x0001;
const JOB_OBJECT_TERMINATE: u32 = 0x0008;
/// PROCESS_SET_QUOTA: what assigning needs on the process.
const PROCESS_SET_QUOTA: u32 = 0x0100;
const STATUS_PROCESS_IS_TERMINATING: NtStatus = NtStatus(0xC000_010A);

fn new_job(k: &mut Kx) -> KResult<u64> {
    let size = KEVENT::STRUCT.size(k.arch());
    let at = crate::ex::pool::kernel_alloc(k, size, b"Job ")?;
    crate::ke::event::KeInitializeEvent(k, Ptr(at), 0, Boolean(false))?;
    k.ext_mut().tasks.jobs.insert(at, Vec::new());
    Ok(at)
}

/// NTSTATUS ZwCreateJobObject(PHANDLE JobHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes): a job with no process, named if the attributes
/// name it (OBJ_OPENIF opens an existing job of that name: STATUS_OBJECT_NAME_EXISTS).
pub fn ZwCreateJobObject(k: &mut Kx, handle: Ptr, access: u32, object_attributes: Ptr) -> KResult<NtStatus> {
    let attrs = match named::read(k, object_attributes)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let (object, st) = match named::create(k, &attrs, ObjectKind::Job, false, new_job)? {
        Ok(Created::New(o)) => (o, status::SUCCESS),
        Ok(Created::Existing(o)) => (o, named::OBJECT_NAME_EXISTS),
        Err(st) => return Ok(st),
    };
    let value = handles::open(k, object, access, attrs.attributes)?;
    k.mem_mut().write_ptr(handle.0, value)?;
    Ok(st)
}

/// NTSTATUS ZwAssignProcessToJobObject(HANDLE JobHandle, HANDLE ProcessHandle)
pub fn ZwAssignProcessToJobObject(k: &mut Kx, job: HANDLE, process: HANDLE) -> KResult<NtStatus> {
    let job = match object_of(k, job.0, ObjectKind::Job, JOB_OBJECT_ASSIGN_PROCESS, Mode::Kernel)? {
        Ok(j) => j,
        Err(st) => return Ok(st),
    };
    let process =
        match object_of(k, process.0, ObjectKind::Process, PROCESS_SET_QUOTA | PROCESS_TERMINATE, Mode::Kernel)? {
            Ok(p) => p,
            Err(st) => return Ok(st),
        };
    match crate::ps::processes::by_object(k, process) {
        Some(p) if p.exited.is_some() => return Ok(STATUS_PROCESS_IS_TERMINATING),
        Some(_) => {}
        None => return Ok(status::INVALID_HANDLE),
    }
    if is_system(k, process) || job_of(k, process).is_some() {
        return Ok(status::ACCESS_DENIED);
    }
    k.ext_mut().tasks.jobs.entry(job).or_default().push(process);
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwTerminateJobObject(HANDLE JobHandle, NTSTATUS ExitStatus): terminates every
/// process of the job that still runs, with ExitStatus.
pub fn ZwTerminateJobObject(k: &mut Kx, job: HANDLE, exit_status: NtStatus) -> KResult<NtStatus> {
    let job = match object_of(k, job.0, ObjectKind::Job, JOB_OBJECT_TERMINATE, Mode::Kernel)? {
        Ok(j) => j,
        Err(st) => return Ok(st),
    };
    let members = k.ext().tasks.jobs.get(&job).cloned().unwrap_or_default();
    for process in members {
        let running = crate::ps::processes::by_object(k, process).is_some_and(|p| p.exited.is_none());
        if running {
            super::process::terminate(k, process, exit_status)?;
        }
    }
    Ok(status::SUCCESS)
}

/// The job `process` (an EPROCESS) is in, if any.
pub fn job_of(k: &Kx, process: u64) -> Option<u64> {
    k.ext().tasks.jobs.iter().find(|(_, members)| members.contains(&process)).map(|(j, _)| *j)
}

/// The job object was deleted (its last handle and reference gone): its processes leave it.
pub(crate) fn deleted(k: &mut Kx, job: u64) {
    k.ext_mut().tasks.jobs.remove(&job);
}
