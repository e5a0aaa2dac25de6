//! Waits: KeWaitForSingleObject, KeWaitForMultipleObjects, KeDelayExecutionThread,
//! ZwWaitForSingleObject/ZwWaitForMultipleObjects on handles, ZwYieldExecution.
//!
//! A wait that cannot be satisfied at once blocks the caller on the scheduler (parked or in
//! place, see `scheduler.rs`) until an object it waits on is signaled or its timeout passes
//! on the virtual clock. Timeouts are Windows': negative relative, positive absolute system
//! time, zero a poll; no pointer waits forever.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::ob::handles::{lookup, Mode};
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

use super::dispatcher::{self, TIMEOUT};
use super::irql::{self, DISPATCH_LEVEL};
use super::scheduler::{self, reason, Block, Kind, Resume, Wait};

/// THREAD_WAIT_OBJECTS: waits on more need a wait block array.
const THREAD_WAIT_OBJECTS: u32 = 3;
/// MAXIMUM_WAIT_OBJECTS.
const MAXIMUM_WAIT_OBJECTS: u32 = 64;
/// STATUS_NO_YIELD_PERFORMED.
const NO_YIELD_PERFORMED: NtStatus = NtStatus(0x4000_0024);

/// Reads a timeout: `None` for no pointer (forever).
fn read_timeout(k: &Kx, timeout: Ptr) -> KResult<Option<i64>> {
    if timeout.is_null() {
        return Ok(None);
    }
    Ok(Some(k.mem().read_u64(timeout.0)? as i64))
}

/// The IRQL a wait is judged at: a KeSetEvent(..., Wait = TRUE) before it raised it to
/// DISPATCH_LEVEL on purpose, and the wait returns to the level from before.
fn wait_irql(k: &mut Kx) -> KResult<u8> {
    let next = k.ext_mut().sched.current_mut().thread_mut().and_then(|t| t.wait_next.take());
    match next {
        Some(old) => {
            irql::set(k, old)?;
            Ok(old)
        }
        None => irql::current(k),
    }
}

/// Waiting (other than a poll) is allowed below DISPATCH_LEVEL only: in a DPC it is
/// ATTEMPTED_SWITCH_FROM_DPC, elsewhere IRQL_NOT_LESS_OR_EQUAL, as Windows ends it.
pub(crate) fn check_may_wait(k: &mut Kx, irql: u8, what: &str) -> KResult<()> {
    if irql < DISPATCH_LEVEL {
        return Ok(());
    }
    let at = caller(k);
    let in_dpc = matches!(k.ext().sched.current().kind, Kind::Dpc { .. });
    let b = if in_dpc && irql == DISPATCH_LEVEL {
        Bugcheck {
            code: 0xB8,
            name: "ATTEMPTED_SWITCH_FROM_DPC",
            params: [0, 0, 0, 0],
            caller: at,
            reason: format!("{what} waits inside a DPC routine"),
        }
    } else {
        Bugcheck {
            code: 0xA,
            name: "IRQL_NOT_LESS_OR_EQUAL",
            params: [0, irql as u64, 0, at],
            caller: at,
            reason: format!("{what} waits at IRQL {irql}"),
        }
    };
    Err(KError::Stop(bugcheck_stop(k, b)))
}

/// Waits on dispatcher objects. Returns the wait status (STATUS_WAIT_0 + index,
/// STATUS_ABANDONED_WAIT_0 + index, STATUS_SUCCESS for all, STATUS_TIMEOUT); a parked wait
/// returns 0 now and its status when it resumes.
pub(crate) fn wait_for(
    k: &mut Kx,
    objects: Vec<u64>,
    all: bool,
    why: u32,
    mode: u8,
    alertable: bool,
    timeout: Option<i64>,
    what: &str,
) -> KResult<u64> {
    let level = wait_irql(k)?;
    let cid = k.ext().sched.current;
    if let Some(st) = dispatcher::try_satisfy(k, cid, &objects, all)? {
        return Ok(st);
    }
    if timeout == Some(0) {
        return Ok(TIMEOUT);
    }
    check_may_wait(k, level, what)?;
    let deadline = timeout.map(|t| super::time::deadline(k, t));
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Objects { objects, all },
        deadline,
        timeout_status: TIMEOUT,
        reason: why,
        alertable,
        mode,
        seq,
    };
    Ok(scheduler::block(k, wait, Resume::Status)?.unwrap_or(0))
}

/// Waits for one dispatcher object with no timeout, in place (never parking): for the host's
/// own waits that have work after them. The wait status.
pub(crate) fn wait_in_place(k: &mut Kx, object: u64, what: &str) -> KResult<u64> {
    let level = wait_irql(k)?;
    let cid = k.ext().sched.current;
    if let Some(st) = dispatcher::try_satisfy(k, cid, &[object], false)? {
        return Ok(st);
    }
    check_may_wait(k, level, what)?;
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Objects { objects: vec![object], all: false },
        deadline: None,
        timeout_status: TIMEOUT,
        reason: reason::EXECUTIVE,
        alertable: false,
        mode: 0,
        seq,
    };
    scheduler::block_in_place(k, wait, Resume::Status)
}

/// NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
/// KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
pub fn KeWaitForSingleObject(
    k: &mut Kx,
    object: Ptr,
    wait_reason: u32,
    wait_mode: u8,
    alertable: Boolean,
    timeout: Ptr,
) -> KResult<NtStatus> {
    let t = read_timeout(k, timeout)?;
    let st = wait_for(k, vec![object.0], false, wait_reason, wait_mode, alertable.0, t, "KeWaitForSingleObject")?;
    Ok(NtStatus(st as u32))
}

/// NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
/// KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
/// PLARGE_INTEGER Timeout, PKWAIT_BLOCK WaitBlockArray)
pub fn KeWaitForMultipleObjects(
    k: &mut Kx,
    count: u32,
    object: Ptr,
    wait_type: u32,
    wait_reason: u32,
    wait_mode: u8,
    alertable: Boolean,
    timeout: Ptr,
    wait_block_array: Ptr,
) -> KResult<NtStatus> {
    if count > MAXIMUM_WAIT_OBJECTS || (count > THREAD_WAIT_OBJECTS && wait_block_array.is_null()) {
        let b = Bugcheck {
            code: 0xC,
            name: "MAXIMUM_WAIT_OBJECTS_EXCEEDED",
            params: [0; 4],
            caller: caller(k),
            reason: format!("KeWaitForMultipleObjects on {count} objects with no wait block array for more than 3"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    let ps = k.arch().ptr_size();
    let objects = (0..count as u64).map(|i| k.mem().read_ptr(object.0 + i * ps)).collect::<Result<Vec<_>, _>>()?;
    let t = read_timeout(k, timeout)?;
    // WaitAll = 0, WaitAny = 1.
    let all = wait_type == 0;
    let st = wait_for(k, objects, all, wait_reason, wait_mode, alertable.0, t, "KeWaitForMultipleObjects")?;
    Ok(NtStatus(st as u32))
}

/// NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
/// PLARGE_INTEGER Interval): lets the interval pass on the virtual clock; zero yields.
pub fn KeDelayExecutionThread(k: &mut Kx, wait_mode: u8, alertable: Boolean, interval: Ptr) -> KResult<NtStatus> {
    let t = k.mem().read_u64(interval.0)? as i64;
    if t == 0 {
        yield_now(k)?;
        return Ok(status::SUCCESS);
    }
    let level = wait_irql(k)?;
    check_may_wait(k, level, "KeDelayExecutionThread")?;
    let deadline = super::time::deadline(k, t);
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Delay,
        deadline: Some(deadline),
        timeout_status: status::SUCCESS.0 as u64,
        reason: reason::DELAY_EXECUTION,
        alertable: alertable.0,
        mode: wait_mode,
        seq,
    };
    scheduler::block(k, wait, Resume::Value(status::SUCCESS.0 as u64))?;
    Ok(status::SUCCESS)
}

/// Lets `interval_100ns` pass on the virtual clock for the current thread, waiting in place
/// (never parking): other flows run meanwhile, and the call returns once the time is up.
/// For host code with work after the wait, such as a user program's Sleep (issue 14).
pub fn delay_in_place(k: &mut Kx, interval_100ns: u64) -> KResult<()> {
    if interval_100ns == 0 {
        yield_now(k)?;
        return Ok(());
    }
    let deadline = super::time::deadline(k, -(interval_100ns.min(i64::MAX as u64) as i64));
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Delay,
        deadline: Some(deadline),
        timeout_status: status::SUCCESS.0 as u64,
        reason: reason::DELAY_EXECUTION,
        alertable: false,
        mode: 1, // UserMode
        seq,
    };
    scheduler::block_in_place(k, wait, Resume::Value(status::SUCCESS.0 as u64))?;
    Ok(())
}

/// Gives the processor to another ready thread of at least the caller's priority, if there
/// is one. Returns whether one ran (or will run first).
pub(crate) fn yield_now(k: &mut Kx) -> KResult<bool> {
    let level = irql::current(k)?;
    check_may_wait(k, level, "a yield")?;
    if !scheduler::others_ready(k) {
        return Ok(false);
    }
    scheduler::yield_current(k)?;
    Ok(true)
}

/// NTSTATUS ZwYieldExecution(void)
pub fn ZwYieldExecution(k: &mut Kx) -> KResult<NtStatus> {
    Ok(if yield_now(k)? { status::SUCCESS } else { NO_YIELD_PERFORMED })
}

/// The dispatcher object a handle's object waits as: itself, or a file object's event.
fn waitable(k: &Kx, object: u64) -> Option<u64> {
    match k.ext().objects.get(object).map(|o| o.kind)? {
        ObjectKind::Event
        | ObjectKind::Semaphore
        | ObjectKind::Mutant
        | ObjectKind::Timer
        | ObjectKind::Thread
        | ObjectKind::Process
        | ObjectKind::Job => Some(object),
        ObjectKind::File => Some(crate::layout::FILE_OBJECT::Event.at(k.arch(), object)),
        _ => None,
    }
}

/// Resolves handles for a Zw wait (kernel mode: kernel handles allowed, access unchecked).
fn wait_objects(k: &Kx, handles: &[u64]) -> KResult<Result<Vec<u64>, NtStatus>> {
    let mut out = Vec::new();
    for h in handles {
        let Some((object, _, _)) = lookup(k, *h, Mode::Kernel)? else { return Ok(Err(status::INVALID_HANDLE)) };
        match waitable(k, object) {
            Some(o) => out.push(o),
            None => return Ok(Err(status::OBJECT_TYPE_MISMATCH)),
        }
    }
    Ok(Ok(out))
}

/// NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
pub fn ZwWaitForSingleObject(k: &mut Kx, handle: HANDLE, alertable: Boolean, timeout: Ptr) -> KResult<NtStatus> {
    let objects = match wait_objects(k, &[handle.0])? {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    let t = read_timeout(k, timeout)?;
    let st = wait_for(k, objects, false, reason::EXECUTIVE, 0, alertable.0, t, "ZwWaitForSingleObject")?;
    Ok(NtStatus(st as u32))
}

/// NTSTATUS ZwWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType,
/// BOOLEAN Alertable, PLARGE_INTEGER Timeout). (WAIT_TYPE here is the native one:
/// WaitAll = 0, WaitAny = 1.)
pub fn ZwWaitForMultipleObjects(
    k: &mut Kx,
    count: u32,
    handles: Ptr,
    wait_type: u32,
    alertable: Boolean,
    timeout: Ptr,
) -> KResult<NtStatus> {
    if count == 0 || count > MAXIMUM_WAIT_OBJECTS {
        return Ok(status::INVALID_PARAMETER);
    }
    let ps = k.arch().ptr_size();
    let raw = (0..count as u64).map(|i| k.mem().read_ptr(handles.0 + i * ps)).collect::<Result<Vec<_>, _>>()?;
    let objects = match wait_objects(k, &raw)? {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    let t = read_timeout(k, timeout)?;
    let st = wait_for(k, objects, wait_type == 0, reason::EXECUTIVE, 0, alertable.0, t, "ZwWaitForMultipleObjects")?;
    Ok(NtStatus(st as u32))
}

/// SYNCHRONIZE: the right a wait on a handle needs.
const SYNCHRONIZE: u32 = 0x10_0000;

/// The dispatcher object a user program's handle waits on (NtWaitForSingleObject from
/// UserMode: the handle needs SYNCHRONIZE).
pub fn user_waitable(k: &Kx, handle: u64) -> KResult<Result<u64, NtStatus>> {
    let Some((object, granted, _)) = lookup(k, handle, Mode::User)? else { return Ok(Err(status::INVALID_HANDLE)) };
    if granted & SYNCHRONIZE == 0 {
        return Ok(Err(status::ACCESS_DENIED));
    }
    Ok(waitable(k, object).ok_or(status::OBJECT_TYPE_MISMATCH))
}

/// Waits in place for one dispatcher object as a user program's thread (UserMode, never
/// parking): for host code with work after the wait, such as kernel32's WaitForSingleObject
/// (issue 14). `timeout` is KeWait's (negative relative, 100 ns units; None forever). Other
/// flows run meanwhile; the wait status (STATUS_WAIT_0, STATUS_TIMEOUT), or the deadlock stop
/// when nothing could ever end it.
pub fn wait_in_place_for(k: &mut Kx, object: u64, timeout: Option<i64>) -> KResult<u64> {
    let level = wait_irql(k)?;
    let cid = k.ext().sched.current;
    if let Some(st) = dispatcher::try_satisfy(k, cid, &[object], false)? {
        return Ok(st);
    }
    if timeout == Some(0) {
        return Ok(TIMEOUT);
    }
    check_may_wait(k, level, "a user program")?;
    let deadline = timeout.map(|t| super::time::deadline(k, t));
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Objects { objects: vec![object], all: false },
        deadline,
        timeout_status: TIMEOUT,
        reason: reason::EXECUTIVE,
        alertable: false,
        mode: 1, // UserMode
        seq,
    };
    scheduler::block_in_place(k, wait, Resume::Status)
}
