//! Frames the wire delivers: the adapter wraps each in a NET_BUFFER_LIST of its own (list,
//! net buffer, MDL and data in kernel blocks), indicates it up the stack, and frees it when
//! it comes back (a list that is not the adapter's is left alone: it is its owner's).

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, NET_BUFFER as NB, NET_BUFFER_LIST as NBL};
use crate::types::Ptr;

use super::events::{record_host, NdisChange};

/// A received frame's blocks: the list with its net buffer, the MDL and the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub mdl: u64,
    pub data: u64,
}

/// A list holding `frame`, which the adapter owns.
pub(crate) fn make(k: &mut Kx, frame: &[u8]) -> KResult<u64> {
    make_at(k, frame, 0)
}

/// A list of one net buffer holding all of `frame` (its MDL maps every byte), its data
/// starting `offset` bytes in: what came before is there to retreat into, as the headers a
/// layer has passed are in front of the data the filtering engine hands a callout.
pub(crate) fn make_at(k: &mut Kx, frame: &[u8], offset: usize) -> KResult<u64> {
    let offset = offset.min(frame.len());
    let arch = k.arch();
    let (list_size, nb_size) = (NBL::STRUCT.size(arch), NB::STRUCT.size(arch));
    let len = frame.len().max(1) as u64;
    let data = pool::kernel_alloc(k, len, b"NdRx")?;
    k.mem_mut().write(data, frame)?;
    let mdl = crate::mm::mdl::build(k, data, frame.len() as u64)?;
    crate::mm::mdl::MmBuildMdlForNonPagedPool(k, Ptr(mdl))?;
    let nbl = pool::kernel_alloc(k, list_size + nb_size, b"NdRx")?;
    pool::zero(k, nbl, list_size + nb_size)?;
    let nb = nbl + list_size;
    k.mem_mut().set(nbl, NBL::FirstNetBuffer, nb)?;
    super::nb_pool::initialize(k, nb, 0, mdl, offset as u32, (frame.len() - offset) as u64)?;
    k.ext_mut().ndis.received.insert(nbl, Received { mdl, data });
    Ok(nbl)
}

/// Takes back the adapter's lists of a returned chain and frees them.
pub(crate) fn reclaim(k: &mut Kx, mut nbl: u64) -> KResult<()> {
    let mut count = 0;
    for _ in 0..4096 {
        if nbl == 0 {
            break;
        }
        let next = k.mem().get(nbl, NBL::Next)?;
        if let Some(r) = k.ext_mut().ndis.received.remove(&nbl) {
            pool::free(k, r.mdl, None, 0)?;
            pool::free(k, r.data, None, 0)?;
            pool::free(k, nbl, None, 0)?;
            count += 1;
        }
        nbl = next;
    }
    if count > 0 {
        record_host(k, NdisChange::FramesReturned { count });
    }
    Ok(())
}
