//! NdisCopyFromNetBufferToNetBuffer: data copied between two net buffers' data windows,
//! across their MDL chains.
#![allow(non_snake_case)]

use super::net_buffer::{locate, mdl_va};
use super::st;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, MDL, NET_BUFFER as NB};
use crate::types::{NtStatus, Ptr};

/// How many MDLs a write follows.
const MAX_CHAIN: usize = 4096;

/// Writes `data` into the net buffer's data at `offset` from its data start.
fn write_data(k: &mut Kx, nb: u64, offset: u64, data: &[u8]) -> KResult<()> {
    let chain = k.mem().get(nb, NB::MdlChain)?;
    let start = k.mem().get(nb, NB::DataOffset)? + offset;
    let (mut mdl, mut within) = locate(k, chain, start)?;
    let mut done = 0usize;
    for _ in 0..MAX_CHAIN {
        if done == data.len() || mdl == 0 {
            break;
        }
        let count = k.mem().get(mdl, MDL::ByteCount)?;
        let take = (count.saturating_sub(within) as usize).min(data.len() - done);
        let va = mdl_va(k, mdl)?;
        k.mem_mut().write(va + within, &data[done..done + take])?;
        done += take;
        within = 0;
        mdl = k.mem().get(mdl, MDL::Next)?;
    }
    Ok(())
}

/// NDIS_STATUS NdisCopyFromNetBufferToNetBuffer(PNET_BUFFER Destination, ULONG
/// DestinationOffset, ULONG BytesToCopy, PNET_BUFFER Source, ULONG SourceOffset,
/// PULONG BytesCopied): as many of the bytes as both windows hold past their offsets
/// (*BytesCopied says how many); NDIS_STATUS_FAILURE when an offset is past its data.
pub fn NdisCopyFromNetBufferToNetBuffer(
    k: &mut Kx,
    dst: Ptr,
    dst_offset: u32,
    count: u32,
    src: Ptr,
    src_offset: u32,
    copied: Ptr,
) -> KResult<NtStatus> {
    let src_len = k.mem().get(src.0, NB::DataLength)?;
    let dst_len = k.mem().get(dst.0, NB::DataLength)?;
    let (src_offset, dst_offset) = (src_offset as u64, dst_offset as u64);
    if src_offset > src_len || dst_offset > dst_len {
        k.mem_mut().write_u32(copied.0, 0)?;
        return Ok(st::FAILURE);
    }
    let n = (count as u64).min(src_len - src_offset).min(dst_len - dst_offset);
    let data = super::net_buffer::read_data(k, src.0, src_offset + n)?;
    let data = &data[(src_offset as usize).min(data.len())..];
    write_data(k, dst.0, dst_offset, data)?;
    k.mem_mut().write_u32(copied.0, data.len() as u32)?;
    Ok(st::SUCCESS)
}
