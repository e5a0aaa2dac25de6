//! The data of a NET_BUFFER: a window (DataOffset, DataLength) over a chain of MDLs, with
//! CurrentMdl/CurrentMdlOffset naming where the data starts. NdisGetDataBuffer reads at the
//! start, NdisAdvanceNetBufferDataStart and NdisRetreatNetBufferDataStart move it; a retreat
//! past the unused space at the front prepends an MDL of NDIS's, which an advance with
//! FreeMdl gives back.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, MDL, NET_BUFFER as NB};
use crate::mm::mdl::{MDL_MAPPED_TO_SYSTEM_VA, MDL_SOURCE_IS_NONPAGED_POOL};
use crate::types::{Boolean, NtStatus, Ptr};

/// NDIS_STATUS_RESOURCES.
const NDIS_STATUS_RESOURCES: NtStatus = NtStatus(0xC000_009A);
/// How many MDLs a chain walk follows before it treats the chain as a cycle.
const MAX_CHAIN: usize = 4096;

/// The address an MDL's bytes are read at: its system mapping when it has one, else the
/// address it describes (one address space here).
pub(crate) fn mdl_va(k: &Kx, mdl: u64) -> KResult<u64> {
    let mem = k.mem();
    let flags = mem.get(mdl, MDL::MdlFlags)?;
    if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL) != 0 {
        return Ok(mem.get(mdl, MDL::MappedSystemVa)?);
    }
    Ok(mem.get(mdl, MDL::StartVa)? + mem.get(mdl, MDL::ByteOffset)?)
}

/// The MDL holding byte `offset` of the chain starting at `mdl`, and the offset within it;
/// (0, 0) past the end of the chain.
pub(crate) fn locate(k: &Kx, mut mdl: u64, mut offset: u64) -> KResult<(u64, u64)> {
    for _ in 0..MAX_CHAIN {
        if mdl == 0 {
            return Ok((0, 0));
        }
        let count = k.mem().get(mdl, MDL::ByteCount)?;
        if offset < count {
            return Ok((mdl, offset));
        }
        offset -= count;
        mdl = k.mem().get(mdl, MDL::Next)?;
    }
    Ok((0, 0))
}

/// Sets CurrentMdl/CurrentMdlOffset from DataOffset. With no data left the current MDL is
/// the last one at its end, as NDIS leaves it.
pub(crate) fn place(k: &mut Kx, nb: u64) -> KResult<()> {
    let chain = k.mem().get(nb, NB::MdlChain)?;
    let offset = k.mem().get(nb, NB::DataOffset)?;
    let (mut mdl, mut within) = locate(k, chain, offset)?;
    if mdl == 0 {
        // The end of the chain: the last MDL, at its byte count.
        let mut last = chain;
        for _ in 0..MAX_CHAIN {
            let next = if last == 0 { 0 } else { k.mem().get(last, MDL::Next)? };
            if next == 0 {
                break;
            }
            last = next;
        }
        mdl = last;
        within = if last == 0 { 0 } else { k.mem().get(last, MDL::ByteCount)? };
    }
    k.mem_mut().set(nb, NB::CurrentMdl, mdl)?;
    k.mem_mut().set(nb, NB::CurrentMdlOffset, within)?;
    Ok(())
}

/// Copies `len` bytes of the net buffer's data, starting at its data start, to `out`.
pub(crate) fn read_data(k: &Kx, nb: u64, len: u64) -> KResult<Vec<u8>> {
    let mut mdl = k.mem().get(nb, NB::CurrentMdl)?;
    let mut within = k.mem().get(nb, NB::CurrentMdlOffset)?;
    let mut data = Vec::new();
    for _ in 0..MAX_CHAIN {
        if data.len() as u64 >= len || mdl == 0 {
            break;
        }
        let count = k.mem().get(mdl, MDL::ByteCount)?;
        let take = count.saturating_sub(within).min(len - data.len() as u64);
        let va = mdl_va(k, mdl)?;
        data.extend(k.mem().read_vec(va + within, take)?);
        within = 0;
        mdl = k.mem().get(mdl, MDL::Next)?;
    }
    Ok(data)
}

/// PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage,
/// UINT AlignMultiple, UINT AlignOffset): a pointer to the first BytesNeeded bytes of data
/// where they lie contiguous in the current MDL at an address that is AlignOffset modulo
/// AlignMultiple; otherwise a copy of them in Storage (NULL without Storage); NULL when the
/// net buffer holds fewer bytes.
pub fn NdisGetDataBuffer(
    k: &mut Kx,
    nb: Ptr,
    needed: u32,
    storage: Ptr,
    align_multiple: u32,
    align_offset: u32,
) -> KResult<Ptr> {
    let length = k.mem().get(nb.0, NB::DataLength)?;
    if needed as u64 > length {
        return Ok(Ptr::NULL);
    }
    let mdl = k.mem().get(nb.0, NB::CurrentMdl)?;
    let within = k.mem().get(nb.0, NB::CurrentMdlOffset)?;
    if mdl == 0 {
        return Ok(if needed == 0 { storage } else { Ptr::NULL });
    }
    let count = k.mem().get(mdl, MDL::ByteCount)?;
    let at = mdl_va(k, mdl)? + within;
    let aligned = align_multiple <= 1 || at % align_multiple as u64 == align_offset as u64;
    if count - within.min(count) >= needed as u64 && aligned {
        return Ok(Ptr(at));
    }
    if storage.is_null() {
        return Ok(Ptr::NULL);
    }
    let data = read_data(k, nb.0, needed as u64)?;
    k.mem_mut().write(storage.0, &data)?;
    Ok(storage)
}

/// VOID NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta,
/// BOOLEAN FreeMdl, NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler): the data start moves
/// forward (DataOffset grows, DataLength shrinks). With FreeMdl, the MDLs a retreat
/// prepended that now lie wholly before the data are taken off the chain and freed (through
/// FreeMdlHandler when given, as they were allocated through the retreat's handler).
/// An advance past the data bugchecks on Windows (an assertion); here it stops at the end.
pub fn NdisAdvanceNetBufferDataStart(
    k: &mut Kx,
    nb: Ptr,
    delta: u32,
    free_mdl: Boolean,
    free_handler: Ptr,
) -> KResult<()> {
    let length = k.mem().get(nb.0, NB::DataLength)?;
    let delta = (delta as u64).min(length);
    let offset = k.mem().get(nb.0, NB::DataOffset)? + delta;
    k.mem_mut().set(nb.0, NB::DataOffset, offset)?;
    k.mem_mut().set(nb.0, NB::DataLength, length - delta)?;
    if free_mdl.0 {
        free_leading(k, nb.0, free_handler.0)?;
    }
    place(k, nb.0)
}

/// Frees the MDLs at the head of the chain that NDIS prepended and that the data no longer
/// reaches.
fn free_leading(k: &mut Kx, nb: u64, handler: u64) -> KResult<()> {
    for _ in 0..MAX_CHAIN {
        let head = k.mem().get(nb, NB::MdlChain)?;
        if head == 0 || !k.ext().ndis.retreat_mdls.contains_key(&head) {
            return Ok(());
        }
        let count = k.mem().get(head, MDL::ByteCount)?;
        let offset = k.mem().get(nb, NB::DataOffset)?;
        if offset < count {
            return Ok(());
        }
        let next = k.mem().get(head, MDL::Next)?;
        k.mem_mut().set(nb, NB::MdlChain, next)?;
        k.mem_mut().set(nb, NB::DataOffset, offset - count)?;
        // Ours (with the buffer behind it) go back to the pool; the driver's handler's go
        // to its FreeMdlHandler.
        let buffer = k.ext_mut().ndis.retreat_mdls.remove(&head).unwrap_or(0);
        if buffer != 0 {
            pool::free(k, head, None, 0)?;
            pool::free(k, buffer, None, 0)?;
        } else if handler != 0 {
            let conv = CallConv::Stdcall.for_arch(k.arch());
            crate::ke::scheduler::call(k, handler, &[head], conv)?;
        }
    }
    Ok(())
}

/// NDIS_STATUS NdisRetreatNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta,
/// ULONG DataBackFill, NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler): the data start
/// moves back by DataOffsetDelta. The unused space before the data is used first; what it
/// lacks comes from a new buffer and MDL prepended to the chain, DataBackFill bytes larger
/// so later retreats find room (allocated through AllocateMdlHandler when given:
/// `PMDL Handler(PULONG BufferSize)`). NDIS_STATUS_RESOURCES when that allocation fails.
pub fn NdisRetreatNetBufferDataStart(
    k: &mut Kx,
    nb: Ptr,
    delta: u32,
    back_fill: u32,
    allocate_handler: Ptr,
) -> KResult<NtStatus> {
    let offset = k.mem().get(nb.0, NB::DataOffset)?;
    let length = k.mem().get(nb.0, NB::DataLength)?;
    let delta = delta as u64;
    if length + delta > u32::MAX as u64 {
        return Ok(NDIS_STATUS_RESOURCES);
    }
    if delta <= offset {
        k.mem_mut().set(nb.0, NB::DataOffset, offset - delta)?;
    } else {
        let lacking = delta - offset;
        let size = lacking + back_fill as u64;
        if size > u32::MAX as u64 {
            return Ok(NDIS_STATUS_RESOURCES);
        }
        let Some(mdl) = new_mdl(k, size, allocate_handler.0)? else {
            return Ok(NDIS_STATUS_RESOURCES);
        };
        let chain = k.mem().get(nb.0, NB::MdlChain)?;
        let count = k.mem().get(mdl, MDL::ByteCount)?;
        k.mem_mut().set(mdl, MDL::Next, chain)?;
        k.mem_mut().set(nb.0, NB::MdlChain, mdl)?;
        // The new MDL ends where the old chain starts: the data begins `lacking` bytes
        // before its end.
        k.mem_mut().set(nb.0, NB::DataOffset, count - lacking)?;
    }
    k.mem_mut().set(nb.0, NB::DataLength, length + delta)?;
    place(k, nb.0)?;
    Ok(NtStatus(0))
}

/// An MDL over a new buffer of at least `size` bytes, from the driver's handler or from
/// nonpaged pool (the MDL and its buffer then go back when an advance frees it).
fn new_mdl(k: &mut Kx, size: u64, handler: u64) -> KResult<Option<u64>> {
    if handler != 0 {
        // The handler writes the size it allocated back through the pointer.
        let cell = pool::kernel_alloc(k, 8, b"NdsS")?;
        k.mem_mut().write_u32(cell, size as u32)?;
        let conv = CallConv::Stdcall.for_arch(k.arch());
        let mdl = crate::ke::scheduler::call(k, handler, &[cell], conv)?;
        let got = k.mem().read_u32(cell)? as u64;
        pool::free(k, cell, None, 0)?;
        let mdl = if k.arch().ptr_size() == 4 { mdl & 0xFFFF_FFFF } else { mdl };
        if mdl == 0 || got < size || k.mem().get(mdl, MDL::ByteCount)? < size {
            return Ok(None);
        }
        k.ext_mut().ndis.retreat_mdls.insert(mdl, 0);
        return Ok(Some(mdl));
    }
    let Some(buffer) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, size, u32::from_le_bytes(*b"NdMb"))?
    else {
        return Ok(None);
    };
    let mdl = crate::mm::mdl::IoAllocateMdl(k, Ptr(buffer), size as u32, Boolean(false), Boolean(false), Ptr::NULL)?;
    if mdl.is_null() {
        pool::free(k, buffer, None, 0)?;
        return Ok(None);
    }
    crate::mm::mdl::MmBuildMdlForNonPagedPool(k, mdl)?;
    k.ext_mut().ndis.retreat_mdls.insert(mdl.0, buffer);
    Ok(Some(mdl.0))
}
