//! Stream data as stream-layer callouts see it: `FwpsCopyStreamDataToBuffer0` copies bytes of
//! an FWPS_STREAM_DATA0 (a chain of net buffer lists) into a flat buffer. It reads only what
//! the structure describes, so it works on any stream data a driver holds. `FwpsStreamContinue0`
//! resumes stream data a callout deferred.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, MDL, NET_BUFFER as NB, NET_BUFFER_LIST as NBL};
use crate::types::{NtStatus, Ptr, SizeT};

/// FWPS_STREAM_DATA0 { UINT32 flags; FWPS_STREAM_DATA_OFFSET0 dataOffset { NET_BUFFER_LIST
/// *netBufferList; NET_BUFFER *netBuffer; MDL *mdl; UINT32 mdlOffset; UINT32 netBufferOffset;
/// SIZE_T streamDataOffset; }; SIZE_T dataLength; NET_BUFFER_LIST *netBufferListChain; }:
/// the offsets of (netBufferList, netBuffer, mdl, mdlOffset, netBufferOffset,
/// streamDataOffset, dataLength).
fn offsets(ps: u64) -> [u64; 7] {
    if ps == 8 {
        [8, 16, 24, 32, 36, 40, 48]
    } else {
        [4, 8, 12, 16, 20, 24, 28]
    }
}

/// The bytes of the MDL `mdl` from `offset`, at most `n`.
fn mdl_bytes(k: &Kx, mdl: u64, offset: u64, n: u64) -> KResult<Vec<u8>> {
    let mem = k.mem();
    let count = mem.get(mdl, MDL::ByteCount)?;
    let va = mem.get(mdl, MDL::StartVa)? + mem.get(mdl, MDL::ByteOffset)?;
    let take = count.saturating_sub(offset).min(n);
    let mut b = vec![0u8; take as usize];
    mem.read(va + offset, &mut b)?;
    Ok(b)
}

/// VOID FwpsCopyStreamDataToBuffer0(const FWPS_STREAM_DATA0 *calloutStreamData, PVOID
/// buffer, SIZE_T bytesToCopy, SIZE_T *bytesCopied): copies up to bytesToCopy bytes (never
/// more than dataLength) starting at dataOffset, walking the MDLs of each net buffer (within
/// its DataLength), the net buffers of each list and the lists of the chain; the stream data
/// is left as it was. *bytesCopied is what was copied.
pub fn FwpsCopyStreamDataToBuffer0(k: &mut Kx, data: Ptr, buffer: Ptr, wanted: SizeT, copied: Ptr) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let [o_nbl, o_nb, o_mdl, o_mdl_off, o_nb_off, _, o_len] = offsets(ps);
    let mem = k.mem();
    let mut nbl = mem.read_ptr(data.0 + o_nbl)?;
    let mut nb = mem.read_ptr(data.0 + o_nb)?;
    let mut mdl = mem.read_ptr(data.0 + o_mdl)?;
    let mut mdl_offset = u64::from(mem.read_u32(data.0 + o_mdl_off)?);
    let mut nb_left = mem.get(nb, NB::DataLength)?.saturating_sub(u64::from(mem.read_u32(data.0 + o_nb_off)?));
    let mut want = wanted.0.min(mem.read_ptr(data.0 + o_len)?);
    let mut out = Vec::new();
    while want > 0 {
        k.check_budget().map_err(crate::kernel::KError::Stop)?;
        if nb_left > 0 && mdl != 0 {
            let b = mdl_bytes(k, mdl, mdl_offset, want.min(nb_left))?;
            let n = b.len() as u64;
            out.extend(b);
            (want, nb_left) = (want - n, nb_left - n);
            mdl = k.mem().get(mdl, MDL::Next)?;
            mdl_offset = 0;
            continue;
        }
        // This net buffer is done: the next one, in this list or the next list.
        let mut next = k.mem().get(nb, NB::Next)?;
        while next == 0 {
            nbl = k.mem().get(nbl, NBL::Next)?;
            if nbl == 0 {
                break;
            }
            next = k.mem().get(nbl, NBL::FirstNetBuffer)?;
        }
        if next == 0 {
            break;
        }
        nb = next;
        mdl = k.mem().get(nb, NB::CurrentMdl)?;
        mdl_offset = k.mem().get(nb, NB::CurrentMdlOffset)?;
        nb_left = k.mem().get(nb, NB::DataLength)?;
    }
    k.mem_mut().write(buffer.0, &out)?;
    k.mem_mut().write_ptr(copied.0, out.len() as u64)?;
    Ok(())
}

/// STATUS_INVALID_DEVICE_STATE: what the engine here answers a resumption from within a
/// classifyFn, which Windows does not allow.
const INVALID_DEVICE_STATE: NtStatus = NtStatus(0xC000_0184);

/// NTSTATUS FwpsStreamContinue0(UINT64 flowId, UINT32 calloutId, UINT16 layerId, UINT32
/// streamFlags): resumes the stream data the callout deferred (FWPS_STREAM_ACTION_DEFER) on
/// the flow at FWPS_LAYER_STREAM_V4/V6, in the direction the flags name (those the data had
/// when it was deferred): it is classified again with what arrived since, at once.
/// STATUS_FWP_CALLOUT_NOT_FOUND for a callout not registered, STATUS_FWP_NOT_FOUND for a
/// flow the engine does not know or a stream that callout did not defer,
/// STATUS_INVALID_PARAMETER for another layer or flags naming no one direction, and
/// STATUS_INVALID_DEVICE_STATE from within a classifyFn.
pub fn FwpsStreamContinue0(k: &mut Kx, flow: u64, callout: u32, layer: u16, flags: u32) -> KResult<NtStatus> {
    use super::classify::ResumeError;
    if k.ext().wfp.classifying.is_some() {
        return Ok(INVALID_DEVICE_STATE);
    }
    if !k.ext().wfp.registered.contains_key(&callout) {
        return Ok(super::st::CALLOUT_NOT_FOUND);
    }
    Ok(match super::classify::resume(k, flow, callout, layer, flags)? {
        Ok(()) => NtStatus(0),
        Err(ResumeError::InvalidParameter) => super::st::INVALID_PARAMETER_NT,
        Err(ResumeError::NoFlow | ResumeError::NotDeferred) => super::st::NOT_FOUND,
    })
}
