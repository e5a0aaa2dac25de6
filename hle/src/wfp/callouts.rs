//! Callout registration: FwpsCalloutRegister0/1 record the functions behind a callout key
//! (classifyFn, notifyFn, flowDeleteFn) under the callout's run-time identifier;
//! FwpsCalloutUnregisterById0/ByKey0 take them away. The FWPS_CALLOUT0 and FWPS_CALLOUT1
//! layouts are the same; the versions differ in the functions' signatures.
#![allow(non_snake_case)]

use super::events::{key_text, record, WfpChange};
use super::layout::FWPS_CALLOUT;
use super::{callout_id, st, Registered};
use crate::etw::read_guid;
use crate::kernel::{KResult, Kx};
use crate::layout::FieldAccess;
use crate::types::{NtStatus, Ptr};

fn register(k: &mut Kx, version: u8, device: Ptr, callout: Ptr, id_out: Ptr) -> KResult<NtStatus> {
    if callout.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let at = callout.0;
    let key = read_guid(k, FWPS_CALLOUT::calloutKey.at(k.arch(), at))?;
    let mem = k.mem();
    let r = Registered {
        key,
        version,
        device_object: device.0,
        flags: mem.get(at, FWPS_CALLOUT::flags)? as u32,
        classify: mem.get(at, FWPS_CALLOUT::classifyFn)?,
        notify: mem.get(at, FWPS_CALLOUT::notifyFn)?,
        flow_delete: mem.get(at, FWPS_CALLOUT::flowDeleteFn)?,
    };
    if r.classify == 0 {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    if k.ext().wfp.registered.values().any(|c| c.key == key) {
        return Ok(st::ALREADY_EXISTS);
    }
    let id = callout_id(k, key);
    if !id_out.is_null() {
        k.mem_mut().write_u32(id_out.0, id)?;
    }
    let change = WfpChange::CalloutRegistered {
        key: key_text(&key),
        id,
        version,
        classify: r.classify,
        notify: r.notify,
        flow_delete: r.flow_delete,
    };
    k.ext_mut().wfp.registered.insert(id, r);
    record(k, change);
    Ok(NtStatus(0))
}

/// NTSTATUS FwpsCalloutRegister0(void *deviceObject, const FWPS_CALLOUT0 *callout,
/// UINT32 *calloutId)
pub fn FwpsCalloutRegister0(k: &mut Kx, device: Ptr, callout: Ptr, id: Ptr) -> KResult<NtStatus> {
    register(k, 0, device, callout, id)
}

/// NTSTATUS FwpsCalloutRegister1(void *deviceObject, const FWPS_CALLOUT1 *callout,
/// UINT32 *calloutId)
pub fn FwpsCalloutRegister1(k: &mut Kx, device: Ptr, callout: Ptr, id: Ptr) -> KResult<NtStatus> {
    register(k, 1, device, callout, id)
}

fn unregister(k: &mut Kx, id: u32) -> KResult<NtStatus> {
    if !k.ext().wfp.registered.contains_key(&id) {
        return Ok(st::CALLOUT_NOT_FOUND);
    }
    if super::flows::holds_contexts(k, id) {
        return Ok(STATUS_DEVICE_BUSY);
    }
    let Some(r) = k.ext_mut().wfp.registered.remove(&id) else {
        return Ok(st::CALLOUT_NOT_FOUND);
    };
    record(k, WfpChange::CalloutUnregistered { key: key_text(&r.key), id });
    Ok(NtStatus(0))
}

/// A flow still holds a context of the callout's.
const STATUS_DEVICE_BUSY: NtStatus = NtStatus(0x8000_0011);

/// NTSTATUS FwpsCalloutUnregisterById0(const UINT32 calloutId): while a flow holds a context
/// of the callout's it stays registered (STATUS_DEVICE_BUSY: the driver removes its contexts
/// with FwpsFlowRemoveContext0 and calls again).
pub fn FwpsCalloutUnregisterById0(k: &mut Kx, id: u32) -> KResult<NtStatus> {
    unregister(k, id)
}

/// NTSTATUS FwpsCalloutUnregisterByKey0(const GUID *calloutKey)
pub fn FwpsCalloutUnregisterByKey0(k: &mut Kx, key: Ptr) -> KResult<NtStatus> {
    if key.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let key = read_guid(k, key.0)?;
    let id = k.ext().wfp.registered.iter().find(|(_, r)| r.key == key).map(|(id, _)| *id);
    match id {
        Some(id) => unregister(k, id),
        None => Ok(st::CALLOUT_NOT_FOUND),
    }
}
