//! Flow contexts: FwpsFlowAssociateContext0 and FwpsFlowRemoveContext0. A flow is a data
//! flow the stack classified; the machine has no network stack, so no flow exists and both
//! answer as the engine does for an identifier it does not know (after checking the
//! callout, as it does first).
#![allow(non_snake_case)]

use super::st;
use crate::kernel::{KResult, Kx};
use crate::types::NtStatus;

fn check(k: &Kx, callout: u32) -> NtStatus {
    if !k.ext().wfp.registered.contains_key(&callout) {
        return st::CALLOUT_NOT_FOUND;
    }
    st::NOT_FOUND
}

/// NTSTATUS FwpsFlowAssociateContext0(UINT64 flowId, UINT16 layerId, UINT32 calloutId,
/// UINT64 flowContext)
pub fn FwpsFlowAssociateContext0(
    k: &mut Kx,
    _flow: u64,
    _layer: u16,
    callout: u32,
    _context: u64,
) -> KResult<NtStatus> {
    Ok(check(k, callout))
}

/// NTSTATUS FwpsFlowRemoveContext0(UINT64 flowId, UINT16 layerId, UINT32 calloutId)
pub fn FwpsFlowRemoveContext0(k: &mut Kx, _flow: u64, _layer: u16, callout: u32) -> KResult<NtStatus> {
    Ok(check(k, callout))
}
