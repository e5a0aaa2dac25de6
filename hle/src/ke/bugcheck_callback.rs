//! Bugcheck callbacks (KeRegisterBugCheckCallback, KeDeregisterBugCheckCallback): routines
//! a driver asks the kernel to call when the system crashes, typically to save the state of
//! its hardware. When a run ends in a bugcheck, the sandbox calls them, most recently
//! registered first as Windows does, each at HIGH_LEVEL with its buffer and length; the
//! record's State shows how far each got.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::driver::RunStop;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, KBUGCHECK_CALLBACK_RECORD as R};
use crate::types::{Boolean, Ptr, PCSTR};

/// KBUGCHECK_BUFFER_DUMP_STATE.
const BUFFER_EMPTY: u64 = 0;
const BUFFER_INSERTED: u64 = 1;
const BUFFER_STARTED: u64 = 2;
const BUFFER_FINISHED: u64 = 3;
const BUFFER_INCOMPLETE: u64 = 4;

/// BOOLEAN KeRegisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord,
/// PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine, PVOID Buffer, ULONG Length, PUCHAR Component):
/// FALSE when the record is registered already (its State is not BufferEmpty, as
/// KeInitializeCallbackRecord leaves it).
pub fn KeRegisterBugCheckCallback(
    k: &mut Kx,
    record: Ptr,
    routine: Ptr,
    buffer: Ptr,
    length: u32,
    component: PCSTR,
) -> KResult<Boolean> {
    if k.mem().get(record.0, R::State)? != BUFFER_EMPTY {
        return Ok(Boolean(false));
    }
    let arch = k.arch();
    let m = k.mem_mut();
    m.set(record.0, R::CallbackRoutine, routine.0)?;
    m.set(record.0, R::Buffer, buffer.0)?;
    m.set(record.0, R::Length, length as u64)?;
    m.set(record.0, R::Component, component.0)?;
    // Windows checks this sum before calling the routine at crash time.
    let sum = checksum(arch, routine.0, buffer.0, length as u64, component.0);
    m.set(record.0, R::Checksum, sum)?;
    m.set(record.0, R::State, BUFFER_INSERTED)?;
    k.ext_mut().bugcheck_callbacks.push(record.0);
    Ok(Boolean(true))
}

/// BOOLEAN KeDeregisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord): FALSE
/// when the record is not registered.
pub fn KeDeregisterBugCheckCallback(k: &mut Kx, record: Ptr) -> KResult<Boolean> {
    let Some(i) = k.ext().bugcheck_callbacks.iter().position(|r| *r == record.0) else {
        return Ok(Boolean(false));
    };
    if k.mem().get(record.0, R::State)? != BUFFER_INSERTED {
        return Ok(Boolean(false));
    }
    k.ext_mut().bugcheck_callbacks.remove(i);
    k.mem_mut().set(record.0, R::State, BUFFER_EMPTY)?;
    Ok(Boolean(true))
}

/// One bugcheck callback the crash ran.
#[derive(Clone, Debug)]
pub struct CallbackRun {
    pub record: u64,
    pub routine: u64,
    /// The Component string the driver gave, if readable.
    pub component: Option<String>,
    /// What stopped the routine before it returned (it is then BufferIncomplete).
    pub stopped: Option<RunStop>,
}

/// The system crashed: calls the registered callbacks, most recent first, each with its
/// Buffer and Length at HIGH_LEVEL. A record whose fields no longer match its checksum (the
/// driver overwrote it) is skipped, as Windows skips it.
pub fn run_callbacks(k: &mut Kx) -> Vec<CallbackRun> {
    let records: Vec<u64> = k.ext().bugcheck_callbacks.iter().rev().copied().collect();
    let mut runs = Vec::new();
    for record in records {
        let Ok(fields) = read(k, record) else { continue };
        let (routine, buffer, length, component, sum) = fields;
        if checksum(k.arch(), routine, buffer, length, component) != sum || routine == 0 {
            continue;
        }
        let name = (component != 0)
            .then(|| crate::rtl::printf::read_cstr(k.mem(), component, 256).ok())
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let stopped = call(k, record, routine, buffer, length).err();
        runs.push(CallbackRun { record, routine, component: name, stopped });
    }
    runs
}

/// The record's Checksum: the sum of its fields, in a ULONG_PTR.
fn checksum(arch: portcullis_emu::Arch, routine: u64, buffer: u64, length: u64, component: u64) -> u64 {
    arch.mask(routine.wrapping_add(buffer).wrapping_add(length).wrapping_add(component))
}

fn read(k: &Kx, record: u64) -> KResult<(u64, u64, u64, u64, u64)> {
    let m = k.mem();
    Ok((
        m.get(record, R::CallbackRoutine)?,
        m.get(record, R::Buffer)?,
        m.get(record, R::Length)?,
        m.get(record, R::Component)?,
        m.get(record, R::Checksum)?,
    ))
}

fn call(k: &mut Kx, record: u64, routine: u64, buffer: u64, length: u64) -> Result<(), RunStop> {
    let stop = |k: &mut Kx, e| crate::kernel::into_stop(k, e, "bugcheck callback", routine);
    let set_state = |k: &mut Kx, state| k.mem_mut().set(record, R::State, state);
    set_state(k, BUFFER_STARTED).map_err(|e| stop(k, e.into()))?;
    crate::driver::system_context(k).map_err(|e| stop(k, e))?;
    crate::ke::irql::set(k, crate::ke::irql::HIGH_LEVEL).map_err(|e| stop(k, e))?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, routine, &[buffer, length], conv);
    let state = if r.is_ok() { BUFFER_FINISHED } else { BUFFER_INCOMPLETE };
    let _ = set_state(k, state);
    r.map(|_| ())
}
