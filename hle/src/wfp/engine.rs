//! Sessions with the base filtering engine: FwpmEngineOpen0 and FwpmEngineClose0. The handle
//! is a small kernel block's address. Closing a session aborts its transaction and, for a
//! dynamic session, deletes every object it added.
#![allow(non_snake_case)]

use super::events::{key_text, record, WfpChange};
use super::layout::{FWPM_DISPLAY_DATA0, FWPM_SESSION0};
use super::{st, wide_name, Session};
use crate::kernel::{KResult, Kx};
use crate::layout::FieldAccess;
use crate::types::{NtStatus, Ptr, PCWSTR};

/// RPC_C_AUTHN_WINNT and RPC_C_AUTHN_DEFAULT, the authentication services the kernel accepts.
const RPC_C_AUTHN_WINNT: u32 = 10;
const RPC_C_AUTHN_DEFAULT: u32 = 0xFFFF_FFFF;
/// FWPM_SESSION_FLAG_DYNAMIC.
const FWPM_SESSION_FLAG_DYNAMIC: u64 = 1;

/// NTSTATUS FwpmEngineOpen0(const wchar_t *serverName, UINT32 authnService,
/// SEC_WINNT_AUTH_IDENTITY_W *authIdentity, const FWPM_SESSION0 *session,
/// HANDLE *engineHandle): a session with the local engine (serverName must be NULL in the
/// kernel), dynamic when the session says FWPM_SESSION_FLAG_DYNAMIC.
pub fn FwpmEngineOpen0(
    k: &mut Kx,
    server: PCWSTR,
    authn: u32,
    _identity: Ptr,
    session: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    if out.is_null() {
        return Ok(st::NULL_POINTER);
    }
    if server.0 != 0 || (authn != RPC_C_AUTHN_WINNT && authn != RPC_C_AUTHN_DEFAULT) {
        return Ok(st::INVALID_PARAMETER);
    }
    let (mut name, mut dynamic) = (String::new(), false);
    if !session.is_null() {
        let s = session.0;
        let display = FWPM_SESSION0::displayData.at(k.arch(), s);
        name = wide_name(k, k.mem().get(display, FWPM_DISPLAY_DATA0::name)?)?;
        dynamic = k.mem().get(s, FWPM_SESSION0::flags)? & FWPM_SESSION_FLAG_DYNAMIC != 0;
    }
    let handle = crate::ex::pool::kernel_alloc(k, 16, b"FwpE")?;
    k.mem_mut().write_ptr(out.0, handle)?;
    k.ext_mut().wfp.sessions.insert(handle, Session { name: name.clone(), dynamic, transaction: None });
    record(k, WfpChange::EngineOpened { handle, session: name, dynamic });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpmEngineClose0(HANDLE engineHandle)
pub fn FwpmEngineClose0(k: &mut Kx, handle: Ptr) -> KResult<NtStatus> {
    let Some(session) = k.ext_mut().wfp.sessions.remove(&handle.0) else {
        return Ok(st::INVALID_HANDLE);
    };
    if let Some((_, before)) = session.transaction {
        k.ext_mut().wfp.store = before;
        record(k, WfpChange::Transaction { handle: handle.0, operation: "abort" });
    }
    if session.dynamic {
        delete_objects_of(k, handle.0);
    }
    record(k, WfpChange::EngineClosed { handle: handle.0 });
    crate::ex::pool::free(k, handle.0, None, 0)?;
    Ok(NtStatus(0))
}

/// Deletes what a dynamic session added: filters first, then callouts and sublayers.
fn delete_objects_of(k: &mut Kx, session: u64) {
    let store = &mut k.ext_mut().wfp.store;
    let filters: Vec<_> =
        store.filters.iter().filter(|(_, f)| f.session == session).map(|(id, f)| (*id, f.key)).collect();
    let callouts: Vec<_> = store.callouts.iter().filter(|(_, c)| c.session == session).map(|(key, _)| *key).collect();
    let sublayers: Vec<_> = store.sublayers.iter().filter(|(_, s)| s.session == session).map(|(key, _)| *key).collect();
    for (id, _) in &filters {
        store.filters.remove(id);
    }
    for key in &callouts {
        store.callouts.remove(key);
    }
    for key in &sublayers {
        store.sublayers.remove(key);
    }
    for (id, key) in filters {
        record(k, WfpChange::FilterDeleted { id, key: key_text(&key) });
    }
    for key in callouts {
        record(k, WfpChange::CalloutDeleted { key: key_text(&key) });
    }
    for key in sublayers {
        record(k, WfpChange::SublayerDeleted { key: key_text(&key) });
    }
}

/// Whether `handle` is an open session that may change the engine: STATUS_INVALID_HANDLE,
/// or FWP_E_INCOMPATIBLE_TXN inside a read-only transaction.
pub(crate) fn writable(k: &Kx, handle: u64) -> Result<(), NtStatus> {
    match k.ext().wfp.sessions.get(&handle) {
        None => Err(st::INVALID_HANDLE),
        Some(s) if matches!(s.transaction, Some((true, _))) => Err(st::INCOMPATIBLE_TXN),
        Some(_) => Ok(()),
    }
}
