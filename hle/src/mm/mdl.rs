//! Memory descriptor lists: building one over a buffer (as IoAllocateMdl +
//! MmProbeAndLockPages do for direct I/O), and mapping one (MmMapLockedPagesSpecifyCache).
//!
//! A mapping is a real second view of the same physical frames at a new address, so writes
//! through the system address appear in the caller's buffer, as on Windows.
#![allow(non_snake_case)]

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};

use crate::ex::pool;
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, MDL};
use crate::types::{Ptr, SizeT};

pub const MDL_MAPPED_TO_SYSTEM_VA: u64 = 0x0001;
pub const MDL_PAGES_LOCKED: u64 = 0x0002;
pub const MDL_SOURCE_IS_NONPAGED_POOL: u64 = 0x0004;
pub const MDL_ALLOCATED_FIXED_SIZE: u64 = 0x0008;

fn span_pages(va: u64, len: u64) -> u64 {
    ((va % PAGE_SIZE) + len).div_ceil(PAGE_SIZE)
}

/// An MDL describing `len` bytes at `va`, pages locked, not mapped to system space.
pub fn build(k: &mut Kx, va: u64, len: u64) -> KResult<u64> {
    let arch = k.arch();
    let pages = span_pages(va, len);
    let ps = arch.ptr_size();
    let size = MDL::STRUCT.size(arch) + pages * ps;
    let mdl = pool::kernel_alloc(k, size, b"Mdl ")?;
    let start = va & !(PAGE_SIZE - 1);
    let process = crate::ps::current_process(k)?;
    let mem = k.mem_mut();
    mem.set(mdl, MDL::Size, size)?;
    mem.set(mdl, MDL::MdlFlags, MDL_PAGES_LOCKED | MDL_ALLOCATED_FIXED_SIZE)?;
    mem.set(mdl, MDL::Process, process)?;
    mem.set(mdl, MDL::StartVa, start)?;
    mem.set(mdl, MDL::ByteCount, len)?;
    mem.set(mdl, MDL::ByteOffset, va % PAGE_SIZE)?;
    let pfns = mdl + MDL::STRUCT.size(arch);
    for i in 0..pages {
        let page = start + i * PAGE_SIZE;
        let pa = k.mem().translate(page).ok_or(portcullis_emu::MemError::Unmapped { addr: page })?;
        k.mem_mut().write_ptr(pfns + i * ps, pa / PAGE_SIZE)?;
    }
    Ok(mdl)
}

/// Undoes `build`: drops a system mapping if one was made, then frees the MDL.
pub fn release(k: &mut Kx, mdl: u64) -> KResult<()> {
    let flags = k.mem().get(mdl, MDL::MdlFlags)?;
    if flags & MDL_MAPPED_TO_SYSTEM_VA != 0 {
        let va = k.mem().get(mdl, MDL::MappedSystemVa)?;
        unmap(k, va, mdl)?;
    }
    k.ext_mut().io.deferred_frees.push(mdl);
    Ok(())
}

fn unmap(k: &mut Kx, va: u64, mdl: u64) -> KResult<()> {
    let base = va & !(PAGE_SIZE - 1);
    let is_mapping = k.mem().region_at(base).is_some_and(|r| r.alias && r.base == base);
    if is_mapping {
        k.mem_mut().free(base)?;
    }
    let flags = k.mem().get(mdl, MDL::MdlFlags)?;
    if flags & MDL_MAPPED_TO_SYSTEM_VA != 0 && k.mem().get(mdl, MDL::MappedSystemVa)? == va {
        k.mem_mut().set(mdl, MDL::MdlFlags, flags & !MDL_MAPPED_TO_SYSTEM_VA)?;
    }
    Ok(())
}

/// PVOID MmMapLockedPagesSpecifyCache(PMDL Mdl, KPROCESSOR_MODE AccessMode,
/// MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG BugCheckOnFailure,
/// ULONG Priority)
///
/// Maps the MDL's frames at a new kernel (KernelMode) or user (UserMode) address. Frames
/// that are not RAM make it fail: NULL, or the bugcheck Windows raises when asked to.
pub fn MmMapLockedPagesSpecifyCache(
    k: &mut Kx,
    mdl: Ptr,
    access_mode: u8,
    _cache_type: u32,
    _requested: Ptr,
    bugcheck_on_failure: u32,
    _priority: u32,
) -> KResult<Ptr> {
    let arch = k.arch();
    let mem = k.mem();
    let start = mem.get(mdl.0, MDL::StartVa)?;
    let offset = mem.get(mdl.0, MDL::ByteOffset)?;
    let count = mem.get(mdl.0, MDL::ByteCount)?;
    let pages = span_pages(start + offset, count);
    let pfns = mdl.0 + MDL::STRUCT.size(arch);
    let mut frames = Vec::with_capacity(pages as usize);
    for i in 0..pages.min(1 << 16) {
        frames.push(mem.read_ptr(pfns + i * arch.ptr_size())? * PAGE_SIZE);
    }
    let kind = if access_mode == 0 { RegionKind::IoSpace } else { RegionKind::User };
    match k.mem_mut().map_frames(kind, "locked pages", &frames, Prot::RW) {
        Ok(base) => {
            let va = base + offset;
            if access_mode == 0 {
                let flags = k.mem().get(mdl.0, MDL::MdlFlags)?;
                k.mem_mut().set(mdl.0, MDL::MdlFlags, flags | MDL_MAPPED_TO_SYSTEM_VA)?;
                k.mem_mut().set(mdl.0, MDL::MappedSystemVa, va)?;
            }
            Ok(Ptr(va))
        }
        Err(e) if bugcheck_on_failure != 0 => {
            let b = Bugcheck {
                code: 0x3F,
                name: "NO_MORE_SYSTEM_PTES",
                params: [0, pages, 0, 0],
                caller: caller(k),
                reason: format!("cannot map the MDL at {:#x}: {e}", mdl.0),
            };
            Err(KError::Stop(bugcheck_stop(k, b)))
        }
        Err(_) => Ok(Ptr::NULL),
    }
}

/// VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL Mdl)
pub fn MmUnmapLockedPages(k: &mut Kx, base: Ptr, mdl: Ptr) -> KResult<()> {
    unmap(k, base.0, mdl.0)
}

/// Bytes an MDL describes (MmGetMdlByteCount), for the kernel's own use.
pub fn byte_count(k: &Kx, mdl: u64) -> KResult<SizeT> {
    Ok(SizeT(k.mem().get(mdl, MDL::ByteCount)?))
}
