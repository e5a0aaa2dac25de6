//! What a callout keeps past its classifyFn: references on the packet's net buffer list
//! (FwpsReferenceNetBufferList0/FwpsDereferenceNetBufferList0: the engine's list stays
//! until the last reference goes) and classify handles (FwpsAcquireClassifyHandle0, only
//! from the classify context of a classifyFn running now, and FwpsReleaseClassifyHandle0).
#![allow(non_snake_case)]

use super::events::{record, WfpChange};
use super::st;
use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, NtStatus, Ptr};

/// Frees an engine list (one `crate::ndis::receive::make` made) and its blocks.
fn free_engine_list(k: &mut Kx, nbl: u64) -> KResult<()> {
    if let Some(r) = k.ext_mut().ndis.received.remove(&nbl) {
        crate::ex::pool::free(k, r.mdl, None, 0)?;
        crate::ex::pool::free(k, r.data, None, 0)?;
        crate::ex::pool::free(k, nbl, None, 0)?;
    }
    Ok(())
}

/// The engine is done classifying `nbl`: it goes now, or with its last reference.
pub(crate) fn classify_done(k: &mut Kx, nbl: u64) -> KResult<()> {
    if k.ext().wfp.nbl_references.contains_key(&nbl) {
        k.ext_mut().wfp.nbl_kept.insert(nbl);
        return Ok(());
    }
    free_engine_list(k, nbl)
}

/// VOID FwpsReferenceNetBufferList0(NET_BUFFER_LIST *netBufferList, BOOLEAN
/// intendToModify): one more reference; the list outlives the classification that gave it.
pub fn FwpsReferenceNetBufferList0(k: &mut Kx, nbl: Ptr, _modify: Boolean) -> KResult<()> {
    if nbl.is_null() {
        return Ok(());
    }
    *k.ext_mut().wfp.nbl_references.entry(nbl.0).or_insert(0) += 1;
    Ok(())
}

/// VOID FwpsDereferenceNetBufferList0(NET_BUFFER_LIST *netBufferList, BOOLEAN
/// dispatchLevel): one reference less; the engine's list goes with the last one once its
/// classification is over. A list without references is left alone.
pub fn FwpsDereferenceNetBufferList0(k: &mut Kx, nbl: Ptr, _dispatch: Boolean) -> KResult<()> {
    let refs = &mut k.ext_mut().wfp.nbl_references;
    let Some(n) = refs.get_mut(&nbl.0) else {
        return Ok(());
    };
    *n -= 1;
    if *n > 0 {
        return Ok(());
    }
    refs.remove(&nbl.0);
    if k.ext_mut().wfp.nbl_kept.remove(&nbl.0) {
        free_engine_list(k, nbl.0)?;
    }
    Ok(())
}

/// NTSTATUS FwpsAcquireClassifyHandle0(void *classifyContext, UINT32 reserved,
/// UINT64 *classifyHandle): the handle of the classification running now.
pub fn FwpsAcquireClassifyHandle0(k: &mut Kx, context: Ptr, _reserved: u32, out: Ptr) -> KResult<NtStatus> {
    if context.is_null() || out.is_null() {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    if k.ext().wfp.classifying != Some(context.0) || k.ext().wfp.classify_handles.contains(&context.0) {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    k.mem_mut().write_u64(out.0, context.0)?;
    k.ext_mut().wfp.classify_handles.insert(context.0);
    record(k, WfpChange::ClassifyHandleAcquired { handle: context.0 });
    Ok(NtStatus(0))
}

/// VOID FwpsReleaseClassifyHandle0(UINT64 classifyHandle): a handle not acquired is left
/// alone; the classify context goes with its handle once the classification is over.
pub fn FwpsReleaseClassifyHandle0(k: &mut Kx, handle: u64) -> KResult<()> {
    if !k.ext_mut().wfp.classify_handles.remove(&handle) {
        return Ok(());
    }
    record(k, WfpChange::ClassifyHandleReleased { handle });
    if k.ext().wfp.classifying != Some(handle) {
        crate::ex::pool::free(k, handle, None, 0)?;
    }
    Ok(())
}
