//! What a process is beyond its IDs: its Terminal Services session, its main image and when
//! it was created (PsGetProcessSessionId, PsGetCurrentProcessSessionId,
//! PsGetProcessSectionBaseAddress, PsGetProcessCreateTimeQuadPart).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS};
use crate::types::Ptr;

/// The session interactive programs run in (Vista and later keep session 0 for the system
/// and services).
pub const INTERACTIVE_SESSION: u32 = 1;

/// The session of the process at `eprocess`: none (0) for the System process, which belongs
/// to no session; the interactive one for every other process here (the user's programs).
pub fn session_of(k: &Kx, eprocess: u64) -> KResult<u32> {
    k.mem().get(eprocess, EPROCESS::UniqueProcessId)?;
    Ok(if eprocess == k.ext().system.system_process { 0 } else { INTERACTIVE_SESSION })
}

/// ULONG PsGetProcessSessionId(PEPROCESS Process)
pub fn PsGetProcessSessionId(k: &mut Kx, process: Ptr) -> KResult<u32> {
    session_of(k, process.0)
}

/// ULONG PsGetCurrentProcessSessionId(void): the session of the process the current thread
/// is attached to.
pub fn PsGetCurrentProcessSessionId(k: &mut Kx) -> KResult<u32> {
    let p = super::current_process(k)?;
    session_of(k, p)
}

/// PVOID PsGetProcessSectionBaseAddress(PEPROCESS Process): where the process's main image
/// is mapped (EPROCESS.SectionBaseAddress); NULL for a process without one (the System
/// process, processes known only by their kernel objects).
pub fn PsGetProcessSectionBaseAddress(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(process.0, EPROCESS::SectionBaseAddress)?))
}

/// Records that the process at `eprocess` has its main image mapped at `base` (the loader of
/// user programs calls it once the image is in place).
pub fn set_section_base(k: &mut Kx, eprocess: u64, base: u64) -> KResult<()> {
    k.mem_mut().set(eprocess, EPROCESS::SectionBaseAddress, base)?;
    Ok(())
}

/// LONGLONG PsGetProcessCreateTimeQuadPart(PEPROCESS Process): when the process was created
/// (EPROCESS.CreateTime, system time in 100 ns units; the virtual clock's).
pub fn PsGetProcessCreateTimeQuadPart(k: &mut Kx, process: Ptr) -> KResult<u64> {
    Ok(k.mem().get(process.0, EPROCESS::CreateTime)?)
}
