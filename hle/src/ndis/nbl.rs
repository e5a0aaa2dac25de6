//! NET_BUFFER_LIST structures drawn from a NET_BUFFER_LIST pool with their first NET_BUFFER
//! (NdisAllocateNetBufferAndNetBufferList, NdisAllocateNetBufferList without one,
//! NdisFreeNetBufferList, the pool a list or net buffer came from; WFP's
//! FwpsAllocateNetBufferAndNetBufferList0 is the same allocation). The list, its net buffer
//! and nothing else share one nonpaged block of the calling driver's; a context area
//! (NET_BUFFER_LIST_CONTEXT) is a block of its own.
#![allow(non_snake_case)]

use crate::ex::pool;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, NET_BUFFER as NB, NET_BUFFER_LIST as NBL, NET_BUFFER_LIST_CONTEXT as CTX};
use crate::types::{Ptr, SizeT};

/// A NET_BUFFER_LIST the library allocated and not freed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nbl {
    pub pool: u64,
    /// Its NET_BUFFER_LIST_CONTEXT block, 0 without one.
    pub context: u64,
}

/// The net buffer a list is allocated with: its MDL chain, data offset and length.
pub(crate) struct FirstNetBuffer {
    pub mdl_chain: u64,
    pub offset: u32,
    pub length: u64,
}

/// A NET_BUFFER_LIST from the pool `pool_handle`, with one NET_BUFFER when `first` says
/// what it holds, or `None` when the handle is no pool (or, with a net buffer, a pool that
/// does not allocate them), the context size is not a multiple of
/// MEMORY_ALLOCATION_ALIGNMENT, or memory runs out.
pub(crate) fn allocate(
    k: &mut Kx,
    pool_handle: u64,
    context_size: u16,
    back_fill: u16,
    first: Option<FirstNetBuffer>,
) -> KResult<Option<u64>> {
    let Some(p) = k.ext().ndis.nbl_pools.get(&pool_handle).cloned() else {
        return Ok(None);
    };
    let alignment = 2 * k.arch().ptr_size();
    let bad_first = first.as_ref().is_some_and(|f| !p.allocate_net_buffer || f.length > u32::MAX as u64);
    if bad_first || !(context_size as u64).is_multiple_of(alignment) {
        return Ok(None);
    }
    let list_size = NBL::STRUCT.size(k.arch());
    let nb_size = if first.is_some() { NB::STRUCT.size(k.arch()) } else { 0 };
    let Some(nbl) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, list_size + nb_size, p.pool_tag)? else {
        return Ok(None);
    };
    pool::zero(k, nbl, list_size + nb_size)?;
    let context_data = context_size as u64 + back_fill as u64;
    let mut context = 0;
    if context_data > 0 {
        let header = CTX::STRUCT.size(k.arch());
        let Some(c) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, header + context_data, p.pool_tag)? else {
            pool::free(k, nbl, None, 0)?;
            return Ok(None);
        };
        pool::zero(k, c, header + context_data)?;
        k.mem_mut().set(c, CTX::Size, context_data)?;
        k.mem_mut().set(c, CTX::Offset, back_fill as u64)?;
        context = c;
    }
    k.mem_mut().set(nbl, NBL::Context, context)?;
    k.mem_mut().set(nbl, NBL::NdisPoolHandle, pool_handle)?;
    if let Some(f) = first {
        let nb = nbl + list_size;
        k.mem_mut().set(nbl, NBL::FirstNetBuffer, nb)?;
        super::nb_pool::initialize(k, nb, pool_handle, f.mdl_chain, f.offset, f.length)?;
    }
    k.ext_mut().ndis.nbls.insert(nbl, Nbl { pool: pool_handle, context });
    Ok(Some(nbl))
}

/// PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle,
/// USHORT ContextSize, USHORT ContextBackFill, PMDL MdlChain, ULONG DataOffset,
/// SIZE_T DataLength): a list with one net buffer over the MDL chain (which may be NULL),
/// from a pool made with fAllocateNetBuffer; NULL on failure.
pub fn NdisAllocateNetBufferAndNetBufferList(
    k: &mut Kx,
    pool_handle: Ptr,
    context_size: u16,
    back_fill: u16,
    mdl_chain: Ptr,
    offset: u32,
    length: SizeT,
) -> KResult<Ptr> {
    let first = FirstNetBuffer { mdl_chain: mdl_chain.0, offset, length: length.0 };
    let nbl = allocate(k, pool_handle.0, context_size, back_fill, Some(first))?;
    Ok(Ptr(nbl.unwrap_or(0)))
}

/// PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
/// USHORT ContextBackFill): a list with no net buffer; NULL on failure.
pub fn NdisAllocateNetBufferList(k: &mut Kx, pool_handle: Ptr, context_size: u16, back_fill: u16) -> KResult<Ptr> {
    Ok(Ptr(allocate(k, pool_handle.0, context_size, back_fill, None)?.unwrap_or(0)))
}

/// NDIS_HANDLE NdisGetPoolFromNetBufferList(PNET_BUFFER_LIST NetBufferList)
pub fn NdisGetPoolFromNetBufferList(k: &mut Kx, nbl: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(nbl.0, NBL::NdisPoolHandle)?))
}

/// NDIS_HANDLE NdisGetPoolFromNetBuffer(PNET_BUFFER NetBuffer)
pub fn NdisGetPoolFromNetBuffer(k: &mut Kx, nb: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.mem().get(nb.0, NB::NdisPoolHandle)?))
}

/// Frees a list the library allocated (its context with it; the MDLs stay the caller's).
/// A list that is no such list goes to the pool allocator as NDIS would send it, which
/// bugchecks (BAD_POOL_CALLER) for what was never, or is no longer, a pool block.
pub(crate) fn free(k: &mut Kx, nbl: u64, at: u64) -> KResult<()> {
    // A list WFP injected stops counting as injected.
    k.ext_mut().wfp.injected.remove(&nbl);
    if let Some(n) = k.ext_mut().ndis.nbls.remove(&nbl) {
        if n.context != 0 {
            pool::free(k, n.context, None, at)?;
        }
    }
    pool::free(k, nbl, None, at)
}

/// VOID NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList)
pub fn NdisFreeNetBufferList(k: &mut Kx, nbl: Ptr) -> KResult<()> {
    let at = caller(k);
    free(k, nbl.0, at)
}
