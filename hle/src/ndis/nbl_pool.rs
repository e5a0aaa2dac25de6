//! Pools of NET_BUFFER_LIST structures: NdisAllocateNetBufferListPool and
//! NdisFreeNetBufferListPool. A pool is a nonpaged block of the calling driver's (its leak
//! is the driver's) holding the parameters it was made with; the handle is its address.
//! NdisAllocateNetBufferList & co., which draw from a pool, are not here yet.
#![allow(non_snake_case)]

use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, NET_BUFFER_LIST_POOL_PARAMETERS as P};
use crate::types::Ptr;

/// NDIS_OBJECT_TYPE_DEFAULT, the Header.Type of the parameters.
const NDIS_OBJECT_TYPE_DEFAULT: u64 = 0x80;
/// NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 and its size (through DataSize).
const REVISION_1: u64 = 1;
const SIZE_REVISION_1: u64 = 0x10;
const NON_PAGED_POOL: u32 = 0;

/// One pool, as it was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NblPool {
    pub protocol_id: u8,
    pub allocate_net_buffer: bool,
    pub context_size: u16,
    pub pool_tag: u32,
    pub data_size: u32,
}

/// NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle OPTIONAL,
/// PNET_BUFFER_LIST_POOL_PARAMETERS Parameters): a new pool, or NULL when the parameters are
/// not a NET_BUFFER_LIST_POOL_PARAMETERS of revision 1 or later (Header.Type
/// NDIS_OBJECT_TYPE_DEFAULT, Header.Size covering DataSize), ContextSize is not a multiple of
/// MEMORY_ALLOCATION_ALIGNMENT, or the pool is out of memory. NdisHandle names the caller to
/// NDIS; the registration surfaces that hand it out are not emulated, so it is not checked.
pub fn NdisAllocateNetBufferListPool(k: &mut Kx, _ndis_handle: Ptr, parameters: Ptr) -> KResult<Ptr> {
    let mem = k.mem();
    let at = parameters.0;
    if mem.get(at, P::HeaderType)? != NDIS_OBJECT_TYPE_DEFAULT
        || mem.get(at, P::HeaderRevision)? < REVISION_1
        || mem.get(at, P::HeaderSize)? < SIZE_REVISION_1
    {
        return Ok(Ptr(0));
    }
    let pool = NblPool {
        protocol_id: mem.get(at, P::ProtocolId)? as u8,
        allocate_net_buffer: mem.get(at, P::fAllocateNetBuffer)? != 0,
        context_size: mem.get(at, P::ContextSize)? as u16,
        pool_tag: mem.get(at, P::PoolTag)? as u32,
        data_size: mem.get(at, P::DataSize)? as u32,
    };
    // MEMORY_ALLOCATION_ALIGNMENT: 8 on x86, 16 on x64.
    let alignment = 2 * k.arch().ptr_size() as u16;
    if !pool.context_size.is_multiple_of(alignment) {
        return Ok(Ptr(0));
    }
    let size = P::STRUCT.size(k.arch());
    let Some(handle) = super::pool_handle(k, at, size, NON_PAGED_POOL, pool.pool_tag)? else {
        return Ok(Ptr(0));
    };
    k.ext_mut().ndis.nbl_pools.insert(handle, pool);
    Ok(Ptr(handle))
}

/// VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle): frees the pool. A handle that is
/// no pool goes to the pool allocator as NDIS would send it, which bugchecks
/// (BAD_POOL_CALLER) for what was never, or is no longer, a pool block.
pub fn NdisFreeNetBufferListPool(k: &mut Kx, pool: Ptr) -> KResult<()> {
    let at = caller(k);
    k.ext_mut().ndis.nbl_pools.remove(&pool.0);
    crate::ex::pool::free(k, pool.0, None, at)
}
