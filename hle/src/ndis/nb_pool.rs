//! Pools of NET_BUFFER structures: NdisAllocateNetBufferPool and NdisFreeNetBufferPool, and
//! the net buffers drawn from them (NdisAllocateNetBuffer, NdisFreeNetBuffer). As for the
//! NET_BUFFER_LIST pools, a pool is a nonpaged block of the calling driver's holding the
//! parameters it was made with; the handle is its address.
#![allow(non_snake_case)]

use crate::ex::pool;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, NET_BUFFER as NB, NET_BUFFER_POOL_PARAMETERS as P};
use crate::types::{Ptr, SizeT};

/// NDIS_OBJECT_TYPE_DEFAULT, the Header.Type of the parameters.
const NDIS_OBJECT_TYPE_DEFAULT: u64 = 0x80;
/// NET_BUFFER_POOL_PARAMETERS_REVISION_1 and its size.
const REVISION_1: u64 = 1;
const SIZE_REVISION_1: u64 = 0xC;

/// One pool, as it was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NbPool {
    pub pool_tag: u32,
    pub data_size: u32,
}

/// NDIS_HANDLE NdisAllocateNetBufferPool(NDIS_HANDLE NdisHandle OPTIONAL,
/// PNET_BUFFER_POOL_PARAMETERS Parameters): a new pool, or NULL when the parameters are not a
/// NET_BUFFER_POOL_PARAMETERS of revision 1 or later or the pool is out of memory.
pub fn NdisAllocateNetBufferPool(k: &mut Kx, _ndis_handle: Ptr, parameters: Ptr) -> KResult<Ptr> {
    let mem = k.mem();
    let at = parameters.0;
    if mem.get(at, P::HeaderType)? != NDIS_OBJECT_TYPE_DEFAULT
        || mem.get(at, P::HeaderRevision)? < REVISION_1
        || mem.get(at, P::HeaderSize)? < SIZE_REVISION_1
    {
        return Ok(Ptr(0));
    }
    let nb_pool = NbPool { pool_tag: mem.get(at, P::PoolTag)? as u32, data_size: mem.get(at, P::DataSize)? as u32 };
    let size = P::STRUCT.size(k.arch());
    let Some(handle) = super::pool_handle(k, at, size, pool::NON_PAGED_POOL_NX, nb_pool.pool_tag)? else {
        return Ok(Ptr(0));
    };
    k.ext_mut().ndis.nb_pools.insert(handle, nb_pool);
    Ok(Ptr(handle))
}

/// VOID NdisFreeNetBufferPool(NDIS_HANDLE PoolHandle): frees the pool (a handle that is no
/// pool bugchecks in the pool allocator, BAD_POOL_CALLER).
pub fn NdisFreeNetBufferPool(k: &mut Kx, handle: Ptr) -> KResult<()> {
    let at = caller(k);
    k.ext_mut().ndis.nb_pools.remove(&handle.0);
    pool::free(k, handle.0, None, at)
}

/// Fills in a zeroed NET_BUFFER over `mdl_chain`, its data `data_offset` bytes in.
pub(crate) fn initialize(
    k: &mut Kx,
    nb: u64,
    pool_handle: u64,
    mdl_chain: u64,
    data_offset: u32,
    data_length: u64,
) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(nb, NB::NdisPoolHandle, pool_handle)?;
    mem.set(nb, NB::MdlChain, mdl_chain)?;
    mem.set(nb, NB::DataOffset, data_offset as u64)?;
    mem.set(nb, NB::DataLength, data_length)?;
    super::net_buffer::place(k, nb)
}

/// PNET_BUFFER NdisAllocateNetBuffer(NDIS_HANDLE PoolHandle, PMDL MdlChain, ULONG DataOffset,
/// SIZE_T DataLength): a NET_BUFFER from a NET_BUFFER pool over the MDL chain (which may be
/// NULL), or NULL when PoolHandle is no such pool or memory runs out.
pub fn NdisAllocateNetBuffer(k: &mut Kx, handle: Ptr, mdl_chain: Ptr, offset: u32, length: SizeT) -> KResult<Ptr> {
    let Some(p) = k.ext().ndis.nb_pools.get(&handle.0).cloned() else {
        return Ok(Ptr::NULL);
    };
    let size = NB::STRUCT.size(k.arch());
    let Some(nb) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, size, p.pool_tag)? else {
        return Ok(Ptr::NULL);
    };
    pool::zero(k, nb, size)?;
    initialize(k, nb, handle.0, mdl_chain.0, offset, length.0 & 0xFFFF_FFFF)?;
    k.ext_mut().ndis.net_buffers.insert(nb);
    Ok(Ptr(nb))
}

/// VOID NdisFreeNetBuffer(PNET_BUFFER NetBuffer): frees a NET_BUFFER NdisAllocateNetBuffer
/// returned (the MDLs stay the caller's).
pub fn NdisFreeNetBuffer(k: &mut Kx, nb: Ptr) -> KResult<()> {
    let at = caller(k);
    k.ext_mut().ndis.net_buffers.remove(&nb.0);
    pool::free(k, nb.0, None, at)
}
