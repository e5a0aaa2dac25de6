//! Process exit synchronization: PsAcquireProcessExitSynchronization and
//! PsReleaseProcessExitSynchronization, the rundown protection on a process
//! (EPROCESS.RundownProtect) that keeps its address space from being torn down while a
//! driver works in it. Acquiring fails with STATUS_PROCESS_IS_TERMINATING once the process
//! has exited.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS};
use crate::types::{status, NtStatus, Ptr};

const STATUS_PROCESS_IS_TERMINATING: NtStatus = NtStatus(0xC000_010A);

/// NTSTATUS PsAcquireProcessExitSynchronization(PEPROCESS Process)
pub fn PsAcquireProcessExitSynchronization(k: &mut Kx, process: Ptr) -> KResult<NtStatus> {
    k.mem().get(process.0, EPROCESS::UniqueProcessId)?;
    if super::processes::by_object(k, process.0).is_some_and(|p| p.exited.is_some()) {
        return Ok(STATUS_PROCESS_IS_TERMINATING);
    }
    *k.ext_mut().system.exit_sync.entry(process.0).or_default() += 1;
    Ok(status::SUCCESS)
}

/// VOID PsReleaseProcessExitSynchronization(PEPROCESS Process)
pub fn PsReleaseProcessExitSynchronization(k: &mut Kx, process: Ptr) -> KResult<()> {
    k.mem().get(process.0, EPROCESS::UniqueProcessId)?;
    if let Some(n) = k.ext_mut().system.exit_sync.get_mut(&process.0) {
        *n = n.saturating_sub(1);
    }
    Ok(())
}

/// How many holders `process`'s exit synchronization has.
pub fn holders(k: &Kx, process: u64) -> u32 {
    k.ext().system.exit_sync.get(&process).copied().unwrap_or(0)
}
