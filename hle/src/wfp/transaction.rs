//! Transactions: FwpmTransactionBegin0, FwpmTransactionCommit0, FwpmTransactionAbort0. One
//! per session; what the session changes inside one is undone by an abort (the engine's
//! objects as they were at the begin are put back).
#![allow(non_snake_case)]

use super::events::{record, WfpChange};
use super::st;
use crate::kernel::{KResult, Kx};
use crate::types::{NtStatus, Ptr};

/// FWPM_TXN_READ_ONLY.
const FWPM_TXN_READ_ONLY: u32 = 1;

/// NTSTATUS FwpmTransactionBegin0(HANDLE engineHandle, UINT32 flags)
pub fn FwpmTransactionBegin0(k: &mut Kx, handle: Ptr, flags: u32) -> KResult<NtStatus> {
    if flags & !FWPM_TXN_READ_ONLY != 0 {
        return Ok(st::INVALID_PARAMETER);
    }
    let store = k.ext().wfp.store.clone();
    let Some(session) = k.ext_mut().wfp.sessions.get_mut(&handle.0) else {
        return Ok(st::INVALID_HANDLE);
    };
    if session.transaction.is_some() {
        return Ok(st::TXN_IN_PROGRESS);
    }
    let read_only = flags & FWPM_TXN_READ_ONLY != 0;
    session.transaction = Some((read_only, store));
    let operation = if read_only { "begin_read_only" } else { "begin" };
    record(k, WfpChange::Transaction { handle: handle.0, operation });
    Ok(NtStatus(0))
}

/// Ends the session's transaction: commit keeps the objects, abort restores them.
fn end(k: &mut Kx, handle: u64, commit: bool) -> KResult<NtStatus> {
    let Some(session) = k.ext_mut().wfp.sessions.get_mut(&handle) else {
        return Ok(st::INVALID_HANDLE);
    };
    let Some((_, before)) = session.transaction.take() else {
        return Ok(st::NO_TXN_IN_PROGRESS);
    };
    if !commit {
        k.ext_mut().wfp.store = before;
    }
    let operation = if commit { "commit" } else { "abort" };
    record(k, WfpChange::Transaction { handle, operation });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpmTransactionCommit0(HANDLE engineHandle)
pub fn FwpmTransactionCommit0(k: &mut Kx, handle: Ptr) -> KResult<NtStatus> {
    end(k, handle.0, true)
}

/// NTSTATUS FwpmTransactionAbort0(HANDLE engineHandle)
pub fn FwpmTransactionAbort0(k: &mut Kx, handle: Ptr) -> KResult<NtStatus> {
    end(k, handle.0, false)
}
