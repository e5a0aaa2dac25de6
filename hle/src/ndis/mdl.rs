//! MDLs the NDIS way: NdisAllocateMdl describes a nonpaged buffer (built for nonpaged pool,
//! so its system address is the buffer's), NdisFreeMdl frees it.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, Ptr};

/// PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length): NULL for
/// a zero or too large length, or out of memory.
pub fn NdisAllocateMdl(k: &mut Kx, _ndis_handle: Ptr, va: Ptr, length: u32) -> KResult<Ptr> {
    let mdl = crate::mm::mdl::IoAllocateMdl(k, va, length, Boolean(false), Boolean(false), Ptr::NULL)?;
    if !mdl.is_null() {
        crate::mm::mdl::MmBuildMdlForNonPagedPool(k, mdl)?;
    }
    Ok(mdl)
}

/// VOID NdisFreeMdl(PMDL Mdl)
pub fn NdisFreeMdl(k: &mut Kx, mdl: Ptr) -> KResult<()> {
    crate::mm::mdl::IoFreeMdl(k, mdl)
}
