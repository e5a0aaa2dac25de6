//! The base filtering engine's objects: sublayers (FwpmSubLayerAdd0,
//! FwpmSubLayerDeleteByKey0), callouts (FwpmCalloutAdd0, FwpmCalloutDeleteByKey0) and
//! and their copies (FwpmCalloutGetByKey0, FwpmFreeMemory0), filters (FwpmFilterAdd0, FwpmFilterDeleteById0, FwpmFilterDeleteByKey0), with the
//! engine's checks: keys are unique (a zero key gets a new one), layers and sublayers must
//! exist, a callout action names an added callout of the filter's layer, and an object
//! filters still use cannot be deleted.
#![allow(non_snake_case)]

use super::engine::writable;
use super::events::{action_text, key_text, layer_text, record, WfpChange};
use super::layout::{
    FWPM_CALLOUT0, FWPM_DISPLAY_DATA0, FWPM_FILTER0, FWPM_FILTER_CONDITION0, FWPM_SUBLAYER0, FWP_VALUE0,
};
use super::{callout_id, key_or_new, layers, st, wide_name, Callout, Condition, Filter, Guid, SubLayer};
use crate::etw::read_guid;
use crate::kernel::{KResult, Kx};
use crate::layout::{Field, FieldAccess};
use crate::types::{NtStatus, Ptr};

/// FWP_ACTION_* types.
const FWP_ACTION_BLOCK: u32 = 0x1001;
const FWP_ACTION_PERMIT: u32 = 0x1002;
const CALLOUT_ACTIONS: [u32; 3] = [0x5003, 0x6004, 0x4005];
/// The most conditions a filter's list is read for.
const MAX_CONDITIONS: u64 = 256;
/// Where filter identifiers start (the built-in filters take the low ones).
const FIRST_FILTER_ID: u64 = 0x1_0000;

fn guid_at(k: &Kx, base: u64, field: Field) -> KResult<Guid> {
    read_guid(k, field.at(k.arch(), base))
}

fn name_at(k: &Kx, base: u64, display: Field) -> KResult<String> {
    let at = display.at(k.arch(), base);
    wide_name(k, k.mem().get(at, FWPM_DISPLAY_DATA0::name)?)
}

/// Whether `key` names a sublayer: one added or a built-in one.
fn sublayer_exists(k: &Kx, key: &Guid) -> bool {
    k.ext().wfp.store.sublayers.contains_key(key) || layers::builtin_sublayer(key).is_some()
}

/// NTSTATUS FwpmSubLayerAdd0(HANDLE engineHandle, const FWPM_SUBLAYER0 *subLayer,
/// PSECURITY_DESCRIPTOR sd)
pub fn FwpmSubLayerAdd0(k: &mut Kx, engine: Ptr, sublayer: Ptr, _sd: Ptr) -> KResult<NtStatus> {
    if let Err(s) = writable(k, engine.0) {
        return Ok(s);
    }
    if sublayer.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let at = sublayer.0;
    let key = guid_at(k, at, FWPM_SUBLAYER0::subLayerKey)?;
    let name = name_at(k, at, FWPM_SUBLAYER0::displayData)?;
    let weight = k.mem().get(at, FWPM_SUBLAYER0::weight)? as u16;
    if sublayer_exists(k, &key) {
        return Ok(st::ALREADY_EXISTS);
    }
    let key = key_or_new(k, key);
    let s = SubLayer { name: name.clone(), weight, session: engine.0 };
    k.ext_mut().wfp.store.sublayers.insert(key, s);
    record(k, WfpChange::SublayerAdded { key: key_text(&key), name, weight });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpmSubLayerDeleteByKey0(HANDLE engineHandle, const GUID *key)
pub fn FwpmSubLayerDeleteByKey0(k: &mut Kx, engine: Ptr, key: Ptr) -> KResult<NtStatus> {
    if let Err(s) = writable(k, engine.0) {
        return Ok(s);
    }
    if key.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let key = read_guid(k, key.0)?;
    let store = &mut k.ext_mut().wfp.store;
    if !store.sublayers.contains_key(&key) {
        let builtin = layers::builtin_sublayer(&key).is_some();
        return Ok(if builtin { st::BUILTIN_OBJECT } else { st::SUBLAYER_NOT_FOUND });
    }
    if store.filters.values().any(|f| f.sublayer == key) {
        return Ok(st::IN_USE);
    }
    store.sublayers.remove(&key);
    record(k, WfpChange::SublayerDeleted { key: key_text(&key) });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpmCalloutAdd0(HANDLE engineHandle, const FWPM_CALLOUT0 *callout,
/// PSECURITY_DESCRIPTOR sd, UINT32 *id): the callout gets the run-time identifier its key
/// has (the one FwpsCalloutRegister gave, if it was registered first).
pub fn FwpmCalloutAdd0(k: &mut Kx, engine: Ptr, callout: Ptr, _sd: Ptr, id_out: Ptr) -> KResult<NtStatus> {
    if let Err(s) = writable(k, engine.0) {
        return Ok(s);
    }
    if callout.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let at = callout.0;
    let key = guid_at(k, at, FWPM_CALLOUT0::calloutKey)?;
    let layer = guid_at(k, at, FWPM_CALLOUT0::applicableLayer)?;
    let name = name_at(k, at, FWPM_CALLOUT0::displayData)?;
    if k.ext().wfp.store.callouts.contains_key(&key) {
        return Ok(st::ALREADY_EXISTS);
    }
    if layers::layer_name(&layer).is_none() {
        return Ok(st::LAYER_NOT_FOUND);
    }
    let key = key_or_new(k, key);
    let id = callout_id(k, key);
    if !id_out.is_null() {
        k.mem_mut().write_u32(id_out.0, id)?;
    }
    let c = Callout { id, name: name.clone(), layer, session: engine.0 };
    k.ext_mut().wfp.store.callouts.insert(key, c);
    record(k, WfpChange::CalloutAdded { key: key_text(&key), id, name, layer: layer_text(&layer) });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpmCalloutDeleteByKey0(HANDLE engineHandle, const GUID *key)
pub fn FwpmCalloutDeleteByKey0(k: &mut Kx, engine: Ptr, key: Ptr) -> KResult<NtStatus> {
    if let Err(s) = writable(k, engine.0) {
        return Ok(s);
    }
    if key.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let key = read_guid(k, key.0)?;
    let store = &mut k.ext_mut().wfp.store;
    if !store.callouts.contains_key(&key) {
        return Ok(st::CALLOUT_NOT_FOUND);
    }
    if store.filters.values().any(|f| f.callout == Some(key)) {
        return Ok(st::IN_USE);
    }
    store.callouts.remove(&key);
    record(k, WfpChange::CalloutDeleted { key: key_text(&key) });
    Ok(NtStatus(0))
}

/// A FWP_VALUE0's scalar (FWP_UINT8/16/32 inline, FWP_UINT64 through its pointer).
fn scalar(k: &Kx, at: u64) -> KResult<Option<u64>> {
    let ty = k.mem().get(at, FWP_VALUE0::type_)? as u32;
    let raw = k.mem().get(at, FWP_VALUE0::value)?;
    Ok(match ty {
        1 => Some(raw & 0xFF),
        2 => Some(raw & 0xFFFF),
        3 => Some(raw & 0xFFFF_FFFF),
        4 if raw != 0 => Some(k.mem().read_u64(raw)?),
        _ => None,
    })
}

/// A FWP_VALUE0's IPv6 address and prefix length: FWP_BYTE_ARRAY16_TYPE (the 16 bytes
/// through its pointer, the whole address) or FWP_V6_ADDR_MASK (FWP_V6_ADDR_AND_MASK
/// { UINT8 addr[16]; UINT8 prefixLength; } through its pointer, at most 128 bits).
fn address(k: &Kx, at: u64) -> KResult<Option<([u8; 16], u8)>> {
    let ty = k.mem().get(at, FWP_VALUE0::type_)? as u32;
    let raw = k.mem().get(at, FWP_VALUE0::value)?;
    if raw == 0 || !(ty == 11 || ty == 0x102) {
        return Ok(None);
    }
    let mut a = [0u8; 16];
    k.mem().read(raw, &mut a)?;
    let prefix = if ty == 11 { 128 } else { k.mem().read_u8(raw + 16)?.min(128) };
    Ok(Some((a, prefix)))
}

/// A filter's weight (FWPM_FILTER0.weight): FWP_UINT64 as it is, FWP_UINT8 (0-15) in the top
/// four bits as the engine ranks it, FWP_EMPTY (the engine's choice) the lowest.
fn weight(k: &Kx, at: u64) -> KResult<u64> {
    let w = FWPM_FILTER0::weight.at(k.arch(), at);
    let ty = k.mem().get(w, FWP_VALUE0::type_)? as u32;
    Ok(match (ty, scalar(k, w)?) {
        (1, Some(v)) => v.min(15) << 60,
        (4, Some(v)) => v,
        _ => 0,
    })
}

/// A filter's conditions, or the status the engine refuses them with.
fn conditions(k: &Kx, at: u64) -> KResult<Result<Vec<Condition>, NtStatus>> {
    let count = k.mem().get(at, FWPM_FILTER0::numFilterConditions)?;
    let list = k.mem().get(at, FWPM_FILTER0::filterCondition)?;
    if count == 0 {
        return Ok(Ok(Vec::new()));
    }
    if list == 0 {
        return Ok(Err(st::NULL_POINTER));
    }
    if count > MAX_CONDITIONS {
        return Ok(Err(st::INVALID_PARAMETER));
    }
    let size = match k.arch() {
        portcullis_emu::Arch::X86 => FWPM_FILTER_CONDITION0::SIZE.0,
        portcullis_emu::Arch::X64 => FWPM_FILTER_CONDITION0::SIZE.1,
    };
    let mut out = Vec::new();
    for i in 0..count {
        let c = list + i * size;
        let field = guid_at(k, c, FWPM_FILTER_CONDITION0::fieldKey)?;
        let match_type = k.mem().get(c, FWPM_FILTER_CONDITION0::matchType)? as u32;
        let at = FWPM_FILTER_CONDITION0::conditionValue.at(k.arch(), c);
        let value = scalar(k, at)?;
        let address = address(k, at)?;
        out.push(Condition { field, match_type, value, address });
    }
    Ok(Ok(out))
}

/// NTSTATUS FwpmFilterAdd0(HANDLE engineHandle, const FWPM_FILTER0 *filter,
/// PSECURITY_DESCRIPTOR sd, UINT64 *id): the filter's layer must exist, its sublayer too
/// (none: FWPM_SUBLAYER_UNIVERSAL), and a callout action must name a callout added for the
/// same layer. The filter's run-time identifier goes to *id.
pub fn FwpmFilterAdd0(k: &mut Kx, engine: Ptr, filter: Ptr, _sd: Ptr, id_out: Ptr) -> KResult<NtStatus> {
    if let Err(s) = writable(k, engine.0) {
        return Ok(s);
    }
    if filter.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let at = filter.0;
    let key = guid_at(k, at, FWPM_FILTER0::filterKey)?;
    let layer = guid_at(k, at, FWPM_FILTER0::layerKey)?;
    let mut sublayer = guid_at(k, at, FWPM_FILTER0::subLayerKey)?;
    let action = k.mem().get(at, FWPM_FILTER0::actionType)? as u32;
    let action_key = guid_at(k, at, FWPM_FILTER0::actionKey)?;
    let name = name_at(k, at, FWPM_FILTER0::displayData)?;
    let store = &k.ext().wfp.store;
    if key != [0; 16] && store.filters.values().any(|f| f.key == key) {
        return Ok(st::ALREADY_EXISTS);
    }
    if layers::layer_name(&layer).is_none() {
        return Ok(st::LAYER_NOT_FOUND);
    }
    if sublayer == [0; 16] {
        sublayer = layers::universal();
    }
    if !sublayer_exists(k, &sublayer) {
        return Ok(st::SUBLAYER_NOT_FOUND);
    }
    let callout = if CALLOUT_ACTIONS.contains(&action) {
        match k.ext().wfp.store.callouts.get(&action_key) {
            None => return Ok(st::CALLOUT_NOT_FOUND),
            Some(c) if c.layer != layer => return Ok(st::INCOMPATIBLE_LAYER),
            Some(_) => Some(action_key),
        }
    } else if action == FWP_ACTION_BLOCK || action == FWP_ACTION_PERMIT {
        None
    } else {
        return Ok(st::INVALID_ACTION_TYPE);
    };
    let fields = match conditions(k, at)? {
        Ok(f) => f,
        Err(s) => return Ok(s),
    };
    let key = key_or_new(k, key);
    let store = &mut k.ext_mut().wfp.store;
    let id = store.next_filter_id.max(FIRST_FILTER_ID);
    store.next_filter_id = id + 1;
    if !id_out.is_null() {
        k.mem_mut().write_u64(id_out.0, id)?;
    }
    let weight = weight(k, at)?;
    let context = k.mem().get(at, FWPM_FILTER0::rawContext)?;
    let conditions: Vec<String> = fields.iter().map(|c| key_text(&c.field)).collect();
    let f = Filter {
        key,
        name: name.clone(),
        layer,
        sublayer,
        action,
        callout,
        session: engine.0,
        weight,
        context,
        conditions: fields,
    };
    k.ext_mut().wfp.store.filters.insert(id, f);
    record(
        k,
        WfpChange::FilterAdded {
            id,
            key: key_text(&key),
            name,
            layer: layer_text(&layer),
            sublayer: layers::builtin_sublayer(&sublayer).map(str::to_string).unwrap_or_else(|| key_text(&sublayer)),
            action: action_text(action),
            callout: callout.map(|c| key_text(&c)),
            conditions,
        },
    );
    Ok(NtStatus(0))
}

fn delete_filter(k: &mut Kx, engine: u64, id: Option<u64>, key: Option<Guid>) -> KResult<NtStatus> {
    if let Err(s) = writable(k, engine) {
        return Ok(s);
    }
    let store = &mut k.ext_mut().wfp.store;
    let found = match (id, key) {
        (Some(id), _) => store.filters.contains_key(&id).then_some(id),
        (None, Some(key)) => store.filters.iter().find(|(_, f)| f.key == key).map(|(id, _)| *id),
        (None, None) => None,
    };
    let Some(id) = found else {
        return Ok(st::FILTER_NOT_FOUND);
    };
    let f = store.filters.remove(&id).expect("present");
    record(k, WfpChange::FilterDeleted { id, key: key_text(&f.key) });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpmFilterDeleteById0(HANDLE engineHandle, UINT64 id)
pub fn FwpmFilterDeleteById0(k: &mut Kx, engine: Ptr, id: u64) -> KResult<NtStatus> {
    delete_filter(k, engine.0, Some(id), None)
}

/// NTSTATUS FwpmFilterDeleteByKey0(HANDLE engineHandle, const GUID *key)
pub fn FwpmFilterDeleteByKey0(k: &mut Kx, engine: Ptr, key: Ptr) -> KResult<NtStatus> {
    if key.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let key = read_guid(k, key.0)?;
    delete_filter(k, engine.0, None, Some(key))
}

/// NTSTATUS FwpmCalloutGetByKey0(HANDLE engineHandle, const GUID *key,
/// FWPM_CALLOUT0 **callout): a copy of the callout (its name with it) in one block of the
/// caller's that FwpmFreeMemory0 frees.
pub fn FwpmCalloutGetByKey0(k: &mut Kx, engine: Ptr, key: Ptr, out: Ptr) -> KResult<NtStatus> {
    if !k.ext().wfp.sessions.contains_key(&engine.0) {
        return Ok(st::INVALID_HANDLE);
    }
    if key.is_null() || out.is_null() {
        return Ok(st::NULL_POINTER);
    }
    let key = read_guid(k, key.0)?;
    let Some(c) = k.ext().wfp.store.callouts.get(&key).cloned() else {
        return Ok(st::CALLOUT_NOT_FOUND);
    };
    let size = match k.arch() {
        portcullis_emu::Arch::X86 => FWPM_CALLOUT0::SIZE.0,
        portcullis_emu::Arch::X64 => FWPM_CALLOUT0::SIZE.1,
    };
    let name: Vec<u8> = c.name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
    let name_at = (size + 7) & !7;
    let total = name_at + name.len() as u64;
    let tag = u32::from_le_bytes(*b"FwpM");
    let Some(block) = crate::ex::pool::allocate_for_caller(k, crate::ex::pool::NON_PAGED_POOL_NX, total, tag)? else {
        return Ok(st::INSUFFICIENT_RESOURCES);
    };
    crate::ex::pool::zero(k, block, total)?;
    let arch = k.arch();
    k.mem_mut().write(FWPM_CALLOUT0::calloutKey.at(arch, block), &key)?;
    k.mem_mut().write(FWPM_CALLOUT0::applicableLayer.at(arch, block), &c.layer)?;
    k.mem_mut().write(block + name_at, &name)?;
    let display = FWPM_CALLOUT0::displayData.at(arch, block);
    k.mem_mut().set(display, FWPM_DISPLAY_DATA0::name, block + name_at)?;
    k.mem_mut().set(block, FWPM_CALLOUT0::calloutId, c.id as u64)?;
    k.mem_mut().write_ptr(out.0, block)?;
    Ok(NtStatus(0))
}

/// VOID FwpmFreeMemory0(void **p): frees what *p points at (memory the Fwpm routines
/// returned) and sets *p to NULL; NULL *p does nothing.
pub fn FwpmFreeMemory0(k: &mut Kx, p: Ptr) -> KResult<()> {
    if p.is_null() {
        return Ok(());
    }
    let block = k.mem().read_ptr(p.0)?;
    if block == 0 {
        return Ok(());
    }
    let at = crate::kernel::caller(k);
    crate::ex::pool::free(k, block, None, at)?;
    k.mem_mut().write_ptr(p.0, 0)?;
    Ok(())
}
