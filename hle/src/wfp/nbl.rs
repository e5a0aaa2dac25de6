//! Net buffer lists for injection: FwpsAllocateNetBufferAndNetBufferList0 and
//! FwpsFreeNetBufferList0, over NDIS's pools and lists ([`crate::ndis::nbl`]).
#![allow(non_snake_case)]

use super::st;
use crate::kernel::{caller, KResult, Kx};
use crate::types::{NtStatus, Ptr, SizeT};

/// NTSTATUS FwpsAllocateNetBufferAndNetBufferList0(NDIS_HANDLE poolHandle, USHORT contextSize,
/// USHORT contextBackFill, MDL *mdlChain, ULONG dataOffset, SIZE_T dataLength,
/// NET_BUFFER_LIST **netBufferList): a list with one net buffer over the MDL chain (which
/// may be NULL) from a NET_BUFFER_LIST pool made with fAllocateNetBuffer.
#[allow(clippy::too_many_arguments)]
pub fn FwpsAllocateNetBufferAndNetBufferList0(
    k: &mut Kx,
    pool: Ptr,
    context_size: u16,
    back_fill: u16,
    mdl_chain: Ptr,
    offset: u32,
    length: SizeT,
    out: Ptr,
) -> KResult<NtStatus> {
    if out.is_null() {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    if !k.ext().ndis.nbl_pools.contains_key(&pool.0) {
        k.mem_mut().write_ptr(out.0, 0)?;
        return Ok(st::INVALID_PARAMETER_NT);
    }
    let first = crate::ndis::nbl::FirstNetBuffer { mdl_chain: mdl_chain.0, offset, length: length.0 };
    let nbl = crate::ndis::nbl::allocate(k, pool.0, context_size, back_fill, Some(first))?;
    k.mem_mut().write_ptr(out.0, nbl.unwrap_or(0))?;
    Ok(if nbl.is_some() { NtStatus(0) } else { st::INSUFFICIENT_RESOURCES })
}

/// VOID FwpsFreeNetBufferList0(NET_BUFFER_LIST *netBufferList)
pub fn FwpsFreeNetBufferList0(k: &mut Kx, nbl: Ptr) -> KResult<()> {
    let at = caller(k);
    crate::ndis::nbl::free(k, nbl.0, at)
}
