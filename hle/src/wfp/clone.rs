//! Clones of net buffer lists: `FwpsAllocateCloneNetBufferList0` and
//! `FwpsFreeCloneNetBufferList0`, as NDIS clones a list: a new NET_BUFFER_LIST whose net
//! buffers describe the original's data (the same MDLs, offsets and lengths), its
//! ParentNetBufferList the original, whose ChildRefCount counts its live clones. The clone
//! and its net buffers are one pool block each, charged to the calling driver.
#![allow(non_snake_case)]

use super::st;
use crate::ex::pool;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, NET_BUFFER as NB, NET_BUFFER_LIST as NBL};
use crate::types::{NtStatus, Ptr};

/// The most net buffers a list cloned here may have (a longer, or circular, chain is refused).
const MAX_NET_BUFFERS: usize = 4096;
const TAG: u32 = u32::from_le_bytes(*b"FwpC");

/// NTSTATUS FwpsAllocateCloneNetBufferList0(NET_BUFFER_LIST *originalNetBufferList,
/// NDIS_HANDLE netBufferListPoolHandle, NDIS_HANDLE netBufferPoolHandle, ULONG
/// allocateCloneFlags, NET_BUFFER_LIST **netBufferList): a clone of the original (the pools
/// are optional: NULL takes the library's own). Flags are reserved (0); a pool handle that is
/// no pool of its kind, or a missing out pointer, is STATUS_INVALID_PARAMETER.
pub fn FwpsAllocateCloneNetBufferList0(
    k: &mut Kx,
    original: Ptr,
    nbl_pool: Ptr,
    nb_pool: Ptr,
    flags: u32,
    out: Ptr,
) -> KResult<NtStatus> {
    let ndis = &k.ext().ndis;
    let bad_pools = (!nbl_pool.is_null() && !ndis.nbl_pools.contains_key(&nbl_pool.0))
        || (!nb_pool.is_null() && !ndis.nb_pools.contains_key(&nb_pool.0));
    if out.is_null() || original.is_null() || flags != 0 || bad_pools {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    // The original's net buffers: (MDL chain, data offset, data length).
    let mut buffers = Vec::new();
    let mut nb = k.mem().get(original.0, NBL::FirstNetBuffer)?;
    while nb != 0 {
        if buffers.len() == MAX_NET_BUFFERS {
            return Ok(st::INVALID_PARAMETER_NT);
        }
        let mem = k.mem();
        buffers.push((mem.get(nb, NB::MdlChain)?, mem.get(nb, NB::DataOffset)?, mem.get(nb, NB::DataLength)?));
        nb = mem.get(nb, NB::Next)?;
    }
    let (list_size, nb_size) = (NBL::STRUCT.size(k.arch()), NB::STRUCT.size(k.arch()));
    let Some(clone) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, list_size, TAG)? else {
        return Ok(st::INSUFFICIENT_RESOURCES);
    };
    pool::zero(k, clone, list_size)?;
    let mut made = Vec::new();
    let mut link = NBL::FirstNetBuffer.at(k.arch(), clone);
    for (chain, offset, length) in buffers {
        let Some(b) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, nb_size, TAG)? else {
            for b in made {
                pool::free(k, b, None, 0)?;
            }
            pool::free(k, clone, None, 0)?;
            return Ok(st::INSUFFICIENT_RESOURCES);
        };
        pool::zero(k, b, nb_size)?;
        crate::ndis::nb_pool::initialize(k, b, nb_pool.0, chain, offset as u32, length)?;
        k.mem_mut().write_ptr(link, b)?;
        link = NB::Next.at(k.arch(), b);
        made.push(b);
    }
    let mem = k.mem_mut();
    mem.set(clone, NBL::NdisPoolHandle, nbl_pool.0)?;
    mem.set(clone, NBL::ParentNetBufferList, original.0)?;
    let children = mem.get(original.0, NBL::ChildRefCount)?;
    mem.set(original.0, NBL::ChildRefCount, (children + 1) & 0xFFFF_FFFF)?;
    mem.write_ptr(out.0, clone)?;
    k.ext_mut().wfp.clones.insert(clone, made);
    Ok(NtStatus(0))
}

/// VOID FwpsFreeCloneNetBufferList0(NET_BUFFER_LIST *netBufferList, ULONG freeCloneFlags):
/// frees a clone and its net buffers (the data stays the original's), one child fewer for its
/// parent. What is no clone of the library's goes to the pool allocator as a list would,
/// which bugchecks (BAD_POOL_CALLER) for what is not, or no longer, a pool block.
pub fn FwpsFreeCloneNetBufferList0(k: &mut Kx, clone: Ptr, _flags: u32) -> KResult<()> {
    let at = caller(k);
    let Some(buffers) = k.ext_mut().wfp.clones.remove(&clone.0) else {
        return pool::free(k, clone.0, None, at);
    };
    let parent = k.mem().get(clone.0, NBL::ParentNetBufferList)?;
    if parent != 0 {
        let children = k.mem().get(parent, NBL::ChildRefCount)?;
        k.mem_mut().set(parent, NBL::ChildRefCount, children.saturating_sub(1))?;
    }
    for b in buffers {
        pool::free(k, b, None, at)?;
    }
    pool::free(k, clone.0, None, at)
}
