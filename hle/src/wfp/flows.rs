//! Data flows and their contexts. A flow is a connection the engine classified at an
//! ALE_FLOW_ESTABLISHED layer that was not blocked there (classify.rs makes it before the
//! callouts run, so they can associate contexts with it through the flow handle of their
//! metadata). A callout keeps one context per flow and layer (FwpsFlowAssociateContext0,
//! FwpsFlowRemoveContext0); the stream layer hands it back as the classifyFn's flowContext.
//! When the flow ends (its connection dropped by a stream callout, reset, closed both ways,
//! or blocked as it was established) the engine calls the flowDeleteFn of every callout
//! with a context on it, and the contexts go.
#![allow(non_snake_case)]

use std::collections::{BTreeMap, BTreeSet};

use portcullis_emu::{Arch, CallConv};
use serde::Serialize;

use super::events::{record, WfpChange};
use super::st;
use crate::kernel::{KResult, Kx};
use crate::types::NtStatus;

const STATUS_UNSUCCESSFUL: NtStatus = NtStatus(0xC000_0001);
const STATUS_PENDING: NtStatus = NtStatus(0x0000_0103);
const STATUS_OBJECT_NAME_EXISTS: NtStatus = NtStatus(0x4000_0000);

/// An endpoint: the address (an IPv4 address in its first four bytes) and the port.
pub type Endpoint = ([u8; 16], u16);

/// A data flow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    pub v6: bool,
    pub protocol: u8,
    pub local: Endpoint,
    pub remote: Endpoint,
    /// Contexts by (layer identifier, callout identifier).
    pub contexts: BTreeMap<(u16, u32), u64>,
    /// Callouts that allowed the connection (FWPS_STREAM_ACTION_ALLOW_CONNECTION): the
    /// stream layer no longer calls them for this flow.
    pub allowed: BTreeSet<u32>,
    /// Per direction (0 outbound, 1 inbound): stream data held for a callout that asked for
    /// more (FWPS_STREAM_ACTION_NEED_MORE_DATA), and how much it waits for in all.
    pub held: [Vec<u8>; 2],
    pub required: [u64; 2],
    /// Per direction: the callout that deferred the data (FWPS_STREAM_ACTION_DEFER); the
    /// data held, and what arrives after it, waits for FwpsStreamContinue0 from it.
    pub deferred: [Option<u32>; 2],
    /// Per direction: the side closed (a FIN went through the stream layer).
    pub closed: [bool; 2],
}

/// Where flow handles start.
const FIRST_FLOW: u64 = 0x1_0000;

/// A new flow's handle; a flow with the same endpoints and protocol ends first.
pub(crate) fn establish(k: &mut Kx, flow: Flow) -> KResult<u64> {
    let same = k
        .ext()
        .wfp
        .flows
        .iter()
        .find(|(_, f)| {
            f.v6 == flow.v6 && f.protocol == flow.protocol && f.local == flow.local && f.remote == flow.remote
        })
        .map(|(id, _)| *id);
    if let Some(old) = same {
        end(k, old)?;
    }
    let w = &mut k.ext_mut().wfp;
    let id = FIRST_FLOW + w.flows_made;
    w.flows_made += 1;
    w.flows.insert(id, flow);
    Ok(id)
}

/// Calls the flowDeleteFn of `callout` for its context at `layer`, if it has one.
fn call_delete(k: &mut Kx, layer: u16, callout: u32, context: u64, flow: u64) -> KResult<()> {
    let delete = k.ext().wfp.registered.get(&callout).map(|r| r.flow_delete).unwrap_or(0);
    record(k, WfpChange::FlowContextDeleted { flow, layer, callout, context, called: delete != 0 });
    if delete == 0 {
        return Ok(());
    }
    let arch = k.arch();
    let args: Vec<u64> = match arch {
        Arch::X86 => vec![layer.into(), callout.into(), context & 0xFFFF_FFFF, context >> 32],
        Arch::X64 => vec![layer.into(), callout.into(), context],
    };
    crate::ke::scheduler::call(k, delete, &args, CallConv::Stdcall.for_arch(arch))?;
    Ok(())
}

/// The flow ends: the flowDeleteFn of every callout with a context on it runs.
pub(crate) fn end(k: &mut Kx, id: u64) -> KResult<()> {
    let Some(f) = k.ext_mut().wfp.flows.remove(&id) else { return Ok(()) };
    record(k, WfpChange::FlowEnded { flow: id });
    for ((layer, callout), context) in f.contexts {
        call_delete(k, layer, callout, context, id)?;
    }
    Ok(())
}

/// The flowDeleteFn calls FwpsFlowRemoveContext0 put off while a classification ran.
pub(crate) fn run_put_off(k: &mut Kx) -> KResult<()> {
    let put_off = std::mem::take(&mut k.ext_mut().wfp.put_off_deletes);
    for (flow, layer, callout, context) in put_off {
        call_delete(k, layer, callout, context, flow)?;
    }
    Ok(())
}

/// NTSTATUS FwpsFlowAssociateContext0(UINT64 flowId, UINT16 layerId, UINT32 calloutId,
/// UINT64 flowContext): the callout must be registered with a flowDeleteFn and the context
/// non-zero (else STATUS_INVALID_PARAMETER); a flow the engine does not know is
/// STATUS_FWP_NOT_FOUND; a context the callout already has there, STATUS_OBJECT_NAME_EXISTS.
pub fn FwpsFlowAssociateContext0(k: &mut Kx, flow: u64, layer: u16, callout: u32, context: u64) -> KResult<NtStatus> {
    let Some(r) = k.ext().wfp.registered.get(&callout) else {
        return Ok(st::CALLOUT_NOT_FOUND);
    };
    if r.flow_delete == 0 || context == 0 {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    let Some(f) = k.ext_mut().wfp.flows.get_mut(&flow) else {
        return Ok(st::NOT_FOUND);
    };
    if f.contexts.contains_key(&(layer, callout)) {
        return Ok(STATUS_OBJECT_NAME_EXISTS);
    }
    f.contexts.insert((layer, callout), context);
    record(k, WfpChange::FlowContextAssociated { flow, layer, callout, context });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpsFlowRemoveContext0(UINT64 flowId, UINT16 layerId, UINT32 calloutId): the
/// context goes and the callout's flowDeleteFn runs with it, at once (STATUS_SUCCESS) or,
/// while a classification is in progress, once it is over (STATUS_PENDING). No context:
/// STATUS_UNSUCCESSFUL.
pub fn FwpsFlowRemoveContext0(k: &mut Kx, flow: u64, layer: u16, callout: u32) -> KResult<NtStatus> {
    if !k.ext().wfp.registered.contains_key(&callout) {
        return Ok(st::CALLOUT_NOT_FOUND);
    }
    let Some(f) = k.ext_mut().wfp.flows.get_mut(&flow) else {
        return Ok(st::NOT_FOUND);
    };
    let Some(context) = f.contexts.remove(&(layer, callout)) else {
        return Ok(STATUS_UNSUCCESSFUL);
    };
    if k.ext().wfp.classifying.is_some() {
        k.ext_mut().wfp.put_off_deletes.push((flow, layer, callout, context));
        return Ok(STATUS_PENDING);
    }
    call_delete(k, layer, callout, context, flow)?;
    Ok(NtStatus(0))
}

/// Whether callout `id` still has a context on some flow (it cannot be unregistered then).
pub(crate) fn holds_contexts(k: &Kx, id: u32) -> bool {
    k.ext().wfp.flows.values().any(|f| f.contexts.keys().any(|(_, c)| *c == id))
}

/// A stream layer's account of one classification, for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StreamReport {
    #[serde(serialize_with = "crate::events::hex")]
    pub flow: u64,
    /// "outbound" (sent) or "inbound" (received).
    pub direction: &'static str,
    /// The stream data presented (held data and the segment's payload).
    pub length: u64,
    pub permitted: u64,
    pub blocked: u64,
    /// Held for a callout that asked for more data, or deferred.
    pub held: u64,
    /// The flow ended with this segment (reset, dropped, or closed both ways).
    pub ended: bool,
}
