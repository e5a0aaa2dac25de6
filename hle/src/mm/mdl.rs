//! Memory descriptor lists: allocating and describing them (IoAllocateMdl, MmCreateMdl,
//! IoBuildPartialMdl, MmBuildMdlForNonPagedPool), locking the pages of a buffer
//! (MmProbeAndLockPages, which raises an access violation through the exception dispatch as
//! Windows does, and MmUnlockPages), MDLs over physical pages of their own
//! (MmAllocatePagesForMdl(Ex), MmFreePagesFromMdl), and mapping them (MmMapLockedPages,
//! MmMapLockedPagesSpecifyCache, MmProtectMdlSystemAddress).
//!
//! A mapping is a real second view of the same physical frames at a new address, so writes
//! through the system address appear in the caller's buffer, as on Windows. An MDL's page
//! array holds page frame numbers (physical address / 4096), pointer-sized.
#![allow(non_snake_case)]

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};

use super::{bugcheck, forget, live_at, record, span_pages, MappingKind, MAXIMUM_CACHE_TYPE};
use crate::ex::pool;
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, IRP, MDL};
use crate::seh::codes::code;
use crate::types::{Boolean, Ptr, SizeT};

pub const MDL_MAPPED_TO_SYSTEM_VA: u64 = 0x0001;
pub const MDL_PAGES_LOCKED: u64 = 0x0002;
pub const MDL_SOURCE_IS_NONPAGED_POOL: u64 = 0x0004;
pub const MDL_ALLOCATED_FIXED_SIZE: u64 = 0x0008;
pub const MDL_PARTIAL: u64 = 0x0010;
pub const MDL_PARTIAL_HAS_BEEN_MAPPED: u64 = 0x0020;
pub const MDL_IO_PAGE_READ: u64 = 0x0040;
pub const MDL_WRITE_OPERATION: u64 = 0x0080;
pub const MDL_IO_SPACE: u64 = 0x0800;
pub const MDL_ALLOCATED_MUST_SUCCEED: u64 = 0x4000;

/// The largest byte count an MDL describes (a ULONG, less a page so the span fits).
const MAX_BYTE_COUNT: u64 = 0xFFFF_FFFF - PAGE_SIZE + 1;

/// Where an MDL's page frame numbers start.
fn pfn_array(k: &Kx, mdl: u64) -> u64 {
    mdl + MDL::STRUCT.size(k.arch())
}

/// The bytes an MDL of `pages` pages takes.
fn mdl_size(k: &Kx, pages: u64) -> u64 {
    MDL::STRUCT.size(k.arch()) + pages * k.arch().ptr_size()
}

/// What an MDL says: (start va, byte offset, byte count, flags).
fn describe(k: &Kx, mdl: u64) -> KResult<(u64, u64, u64, u64)> {
    let mem = k.mem();
    Ok((
        mem.get(mdl, MDL::StartVa)?,
        mem.get(mdl, MDL::ByteOffset)?,
        mem.get(mdl, MDL::ByteCount)?,
        mem.get(mdl, MDL::MdlFlags)?,
    ))
}

fn set_flags(k: &mut Kx, mdl: u64, set: u64, clear: u64) -> KResult<()> {
    let f = k.mem().get(mdl, MDL::MdlFlags)?;
    k.mem_mut().set(mdl, MDL::MdlFlags, (f | set) & !clear)?;
    Ok(())
}

/// MmInitializeMdl: the header of an MDL describing `len` bytes at `va`.
fn initialize(k: &mut Kx, mdl: u64, va: u64, len: u64, flags: u64) -> KResult<()> {
    let size = mdl_size(k, span_pages(va, len));
    let mem = k.mem_mut();
    mem.set(mdl, MDL::Next, 0)?;
    mem.set(mdl, MDL::Size, size)?;
    mem.set(mdl, MDL::MdlFlags, flags)?;
    mem.set(mdl, MDL::Process, 0)?;
    mem.set(mdl, MDL::MappedSystemVa, 0)?;
    mem.set(mdl, MDL::StartVa, va & !(PAGE_SIZE - 1))?;
    mem.set(mdl, MDL::ByteCount, len)?;
    mem.set(mdl, MDL::ByteOffset, va % PAGE_SIZE)?;
    Ok(())
}

/// The physical frame behind `page`: the mapped frame, or the denied frame a not-present
/// view of device memory stands for.
fn frame_of(k: &Kx, page: u64) -> Option<u64> {
    k.mem().translate(page).or_else(|| k.mem().physical().denied_view(page)).map(|pa| pa & !(PAGE_SIZE - 1))
}

/// An MDL describing `len` bytes at `va`, pages locked, not mapped to system space (the I/O
/// manager's, for direct I/O; kernel-owned).
pub fn build(k: &mut Kx, va: u64, len: u64) -> KResult<u64> {
    let pages = span_pages(va, len);
    let size = mdl_size(k, pages);
    let mdl = pool::kernel_alloc(k, size, b"Mdl ")?;
    initialize(k, mdl, va, len, MDL_PAGES_LOCKED | MDL_ALLOCATED_FIXED_SIZE)?;
    let process = crate::ps::current_process(k)?;
    k.mem_mut().set(mdl, MDL::Process, process)?;
    fill_pfns(k, mdl, va & !(PAGE_SIZE - 1), pages)?;
    Ok(mdl)
}

fn fill_pfns(k: &mut Kx, mdl: u64, start: u64, pages: u64) -> KResult<()> {
    let (pfns, ps) = (pfn_array(k, mdl), k.arch().ptr_size());
    for i in 0..pages {
        k.check_budget().map_err(KError::Stop)?;
        let page = start.wrapping_add(i * PAGE_SIZE);
        let pa = frame_of(k, page).ok_or(portcullis_emu::MemError::Unmapped { addr: page })?;
        k.mem_mut().write_ptr(pfns + i * ps, pa / PAGE_SIZE)?;
    }
    Ok(())
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
        forget(k, va);
    }
    let flags = k.mem().get(mdl, MDL::MdlFlags)?;
    if flags & MDL_MAPPED_TO_SYSTEM_VA != 0 && k.mem().get(mdl, MDL::MappedSystemVa)? == va {
        k.mem_mut().set(mdl, MDL::MdlFlags, flags & !(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED))?;
    }
    Ok(())
}

/// PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
/// BOOLEAN ChargeQuota, PIRP Irp)
///
/// An MDL for the buffer, its page array not filled in yet, owned by the caller (IoFreeMdl
/// frees it). With an IRP it becomes the IRP's MdlAddress, or, as a secondary buffer, the
/// last of the chain there. NULL for a zero or too large length.
pub fn IoAllocateMdl(
    k: &mut Kx,
    va: Ptr,
    length: u32,
    secondary: Boolean,
    _charge_quota: Boolean,
    irp: Ptr,
) -> KResult<Ptr> {
    let len = length as u64;
    if len == 0 || len > MAX_BYTE_COUNT {
        return Ok(Ptr::NULL);
    }
    let size = mdl_size(k, span_pages(va.0, len));
    let Some(mdl) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, size, u32::from_le_bytes(*b"Mdl "))? else {
        return Ok(Ptr::NULL);
    };
    initialize(k, mdl, va.0, len, MDL_ALLOCATED_FIXED_SIZE)?;
    if !irp.is_null() {
        let head = k.mem().get(irp.0, IRP::MdlAddress)?;
        if secondary.0 && head != 0 {
            let mut last = head;
            for _ in 0..4096 {
                let next = k.mem().get(last, MDL::Next)?;
                if next == 0 {
                    break;
                }
                last = next;
            }
            k.mem_mut().set(last, MDL::Next, mdl)?;
        } else if !secondary.0 {
            k.mem_mut().set(irp.0, IRP::MdlAddress, mdl)?;
        }
    }
    Ok(Ptr(mdl))
}

/// VOID IoFreeMdl(PMDL Mdl)
///
/// Frees an MDL IoAllocateMdl returned; a partial MDL's own mapping goes with it.
pub fn IoFreeMdl(k: &mut Kx, mdl: Ptr) -> KResult<()> {
    let flags = k.mem().get(mdl.0, MDL::MdlFlags)?;
    if flags & MDL_PARTIAL_HAS_BEEN_MAPPED != 0 {
        let va = k.mem().get(mdl.0, MDL::MappedSystemVa)?;
        unmap(k, va, mdl.0)?;
    }
    let at = caller(k);
    pool::free(k, mdl.0, None, at)
}

/// SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)
pub fn MmSizeOfMdl(k: &mut Kx, base: Ptr, length: SizeT) -> KResult<SizeT> {
    Ok(SizeT(mdl_size(k, span_pages(base.0, length.0))))
}

/// PMDL MmCreateMdl(PMDL MemoryDescriptorList, PVOID Base, SIZE_T Length)
///
/// Initializes the MDL given, or one allocated for the caller when it is NULL (freed with
/// ExFreePool); NULL when that allocation fails.
pub fn MmCreateMdl(k: &mut Kx, mdl: Ptr, base: Ptr, length: SizeT) -> KResult<Ptr> {
    if length.0 > MAX_BYTE_COUNT {
        return Ok(Ptr::NULL);
    }
    let target = if mdl.is_null() {
        let size = mdl_size(k, span_pages(base.0, length.0));
        match pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, size, u32::from_le_bytes(*b"Mdl "))? {
            Some(m) => m,
            None => return Ok(Ptr::NULL),
        }
    } else {
        mdl.0
    };
    initialize(k, target, base.0, length.0, 0)?;
    Ok(Ptr(target))
}

/// VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length)
///
/// Makes `TargetMdl` describe `Length` bytes (0: the rest) of the source buffer from
/// `VirtualAddress`, with the source's page frames. A range outside the source, or a target
/// too small for its pages, is the bugcheck Windows raises.
pub fn IoBuildPartialMdl(k: &mut Kx, source: Ptr, target: Ptr, va: Ptr, length: u32) -> KResult<()> {
    let (start, offset, count, flags) = describe(k, source.0)?;
    let src_va = start + offset;
    let rel = va.0.wrapping_sub(src_va);
    let len = if length == 0 { count.wrapping_sub(rel) } else { length as u64 };
    if va.0 < src_va || rel > count || len > count - rel {
        return Err(bugcheck(
            k,
            0x1A,
            "MEMORY_MANAGEMENT",
            [0x41284, va.0, src_va, count],
            format!("IoBuildPartialMdl of {len:#x} bytes at {:#x}, outside the source MDL", va.0),
        ));
    }
    let pages = span_pages(va.0, len);
    let room = (k.mem().get(target.0, MDL::Size)?).saturating_sub(MDL::STRUCT.size(k.arch())) / k.arch().ptr_size();
    if room < pages {
        return Err(bugcheck(
            k,
            0x40,
            "TARGET_MDL_TOO_SMALL",
            [target.0, pages, room, 0],
            format!("IoBuildPartialMdl into an MDL with room for {room} page(s), {pages} needed"),
        ));
    }
    let keep = k.mem().get(target.0, MDL::MdlFlags)? & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_MUST_SUCCEED);
    let size = k.mem().get(target.0, MDL::Size)?;
    initialize(k, target.0, va.0, len, keep)?;
    k.mem_mut().set(target.0, MDL::Size, size)?;
    let inherited = flags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_IO_PAGE_READ | MDL_WRITE_OPERATION | MDL_IO_SPACE);
    set_flags(k, target.0, inherited | MDL_PARTIAL, 0)?;
    let process = k.mem().get(source.0, MDL::Process)?;
    k.mem_mut().set(target.0, MDL::Process, process)?;
    if flags & MDL_SOURCE_IS_NONPAGED_POOL != 0 {
        let mapped = k.mem().get(source.0, MDL::MappedSystemVa)?;
        k.mem_mut().set(target.0, MDL::MappedSystemVa, mapped + rel)?;
    }
    let ps = k.arch().ptr_size();
    let first = (va.0 >> 12).wrapping_sub(start >> 12);
    let (from, to) = (pfn_array(k, source.0), pfn_array(k, target.0));
    for i in 0..pages {
        let pfn = k.mem().read_ptr(from + (first + i) * ps)?;
        k.mem_mut().write_ptr(to + i * ps, pfn)?;
    }
    Ok(())
}

/// VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
///
/// Fills in the page frames of an MDL over nonpaged memory (pool, or an I/O-space view),
/// which is its own system address.
pub fn MmBuildMdlForNonPagedPool(k: &mut Kx, mdl: Ptr) -> KResult<()> {
    let (start, offset, count, _) = describe(k, mdl.0)?;
    fill_pfns(k, mdl.0, start, span_pages(start + offset, count))?;
    k.mem_mut().set(mdl.0, MDL::MappedSystemVa, start + offset)?;
    k.mem_mut().set(mdl.0, MDL::Process, 0)?;
    let io = k.mem().region_at(start).is_some_and(|r| r.kind == RegionKind::IoSpace);
    set_flags(k, mdl.0, MDL_SOURCE_IS_NONPAGED_POOL | if io { MDL_IO_SPACE } else { 0 }, 0)
}

/// LOCK_OPERATION.
const IO_WRITE_ACCESS: u32 = 1;
const IO_MODIFY_ACCESS: u32 = 2;

/// VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
/// LOCK_OPERATION Operation)
///
/// Checks that every page of the buffer can be accessed as `Operation` asks (read, write,
/// modify) — from user mode, that the buffer is in user space too — fills in the page frames
/// and marks the pages locked. A page that cannot be accessed raises STATUS_ACCESS_VIOLATION
/// in the caller, through the exception dispatch: drivers call this inside `__try`.
///
/// Write access is checked for user-space pages only: Windows locks a system-space page for
/// IoWriteAccess/IoModifyAccess whatever its protection (only that it is present), as
/// ReactOS's ARM3 does too, which is how drivers lock their own or the kernel's read-only code
/// before writing it through a second mapping (MmMapLockedPagesSpecifyCache then
/// MmProtectMdlSystemAddress).
pub fn MmProbeAndLockPages(k: &mut Kx, mdl: Ptr, access_mode: u8, operation: u32) -> KResult<()> {
    let (start, offset, count, _) = describe(k, mdl.0)?;
    let pages = span_pages(start + offset, count);
    let write = matches!(operation, IO_WRITE_ACCESS | IO_MODIFY_ACCESS);
    let arch = k.arch();
    let end = (start + offset).wrapping_add(count);
    if access_mode != 0
        && (!crate::seh::trap::is_user(arch, start)
            || !crate::seh::trap::is_user(arch, end.saturating_sub(1))
            || end < start)
    {
        return Err(crate::seh::raise::raise_status(k, code::ACCESS_VIOLATION));
    }
    for i in 0..pages {
        let page = start.wrapping_add(i * PAGE_SIZE);
        let ok = match k.mem().prot_at(page) {
            Some(p) => !write || p.write || !crate::seh::trap::is_user(arch, page),
            None => false,
        };
        if !ok {
            return Err(crate::seh::raise::raise_status(k, code::ACCESS_VIOLATION));
        }
    }
    fill_pfns(k, mdl.0, start, pages)?;
    let process = if crate::seh::trap::is_user(arch, start) { crate::ps::current_process(k)? } else { 0 };
    k.mem_mut().set(mdl.0, MDL::Process, process)?;
    set_flags(k, mdl.0, MDL_PAGES_LOCKED | if write { MDL_WRITE_OPERATION } else { 0 }, 0)
}

/// VOID MmUnlockPages(PMDL MemoryDescriptorList)
///
/// Releases a system mapping of the MDL if there is one, and unlocks its pages. Unlocking
/// pages that are not locked is the PFN corruption Windows bugchecks on.
pub fn MmUnlockPages(k: &mut Kx, mdl: Ptr) -> KResult<()> {
    let (_, _, _, flags) = describe(k, mdl.0)?;
    if flags & MDL_PAGES_LOCKED == 0 {
        let pfn = k.mem().read_ptr(pfn_array(k, mdl.0))?;
        return Err(bugcheck(
            k,
            0x4E,
            "PFN_LIST_CORRUPT",
            [0x07, pfn, 0, 0],
            format!("MmUnlockPages of the MDL at {:#x}, whose pages are not locked", mdl.0),
        ));
    }
    if flags & MDL_MAPPED_TO_SYSTEM_VA != 0 {
        let va = k.mem().get(mdl.0, MDL::MappedSystemVa)?;
        unmap(k, va, mdl.0)?;
    }
    set_flags(k, mdl.0, 0, MDL_PAGES_LOCKED | MDL_WRITE_OPERATION)
}

/// MmAllocatePagesForMdlEx flags.
const MM_ALLOCATE_FULLY_REQUIRED: u32 = 0x4;

/// PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
/// PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes, MEMORY_CACHING_TYPE CacheType, ULONG Flags)
///
/// An MDL over zeroed physical pages of its own between the two addresses, mapped nowhere; as
/// many pages as can be found (all of them with MM_ALLOCATE_FULLY_REQUIRED), NULL when none.
/// The caller frees the pages with MmFreePagesFromMdl and the MDL with ExFreePool.
pub fn MmAllocatePagesForMdlEx(
    k: &mut Kx,
    low: u64,
    high: u64,
    _skip: u64,
    total: SizeT,
    cache: u32,
    flags: u32,
) -> KResult<Ptr> {
    if total.0 == 0 || cache >= MAXIMUM_CACHE_TYPE || high < low {
        return Ok(Ptr::NULL);
    }
    let wanted = total.0.min(MAX_BYTE_COUNT).div_ceil(PAGE_SIZE);
    let mut pages = wanted;
    let first = loop {
        match k.mem_mut().alloc_frames(pages, (low, high)) {
            Ok(f) => break f,
            Err(_) if pages > 1 && flags & MM_ALLOCATE_FULLY_REQUIRED == 0 => pages /= 2,
            Err(_) => return Ok(Ptr::NULL),
        }
    };
    let frames: Vec<u64> = (0..pages).map(|i| first + i * PAGE_SIZE).collect();
    let size = mdl_size(k, pages);
    let Some(mdl) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, size, u32::from_le_bytes(*b"Mdl "))? else {
        k.mem_mut().free_frames(&frames);
        return Ok(Ptr::NULL);
    };
    initialize(k, mdl, 0, pages * PAGE_SIZE, MDL_PAGES_LOCKED)?;
    let (pfns, ps) = (pfn_array(k, mdl), k.arch().ptr_size());
    for (i, f) in frames.iter().enumerate() {
        k.mem_mut().write_ptr(pfns + i as u64 * ps, f / PAGE_SIZE)?;
    }
    let owner = super::owner_of_call(k);
    let at = caller(k);
    k.ext_mut().mm.page_mdls.insert(mdl, (frames, owner, at));
    Ok(Ptr(mdl))
}

/// PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
/// PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes): cached pages, as many as can be found.
pub fn MmAllocatePagesForMdl(k: &mut Kx, low: u64, high: u64, skip: u64, total: SizeT) -> KResult<Ptr> {
    MmAllocatePagesForMdlEx(k, low, high, skip, total, 1, 0)
}

/// VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList)
///
/// Gives back the pages of an MDL from MmAllocatePagesForMdl(Ex); the MDL itself stays (the
/// caller frees it). Any other MDL's pages are not the caller's to free: PFN corruption.
pub fn MmFreePagesFromMdl(k: &mut Kx, mdl: Ptr) -> KResult<()> {
    let Some((frames, _, _)) = k.ext_mut().mm.page_mdls.remove(&mdl.0) else {
        return Err(bugcheck(
            k,
            0x4E,
            "PFN_LIST_CORRUPT",
            [0x9A, mdl.0, 0, 0],
            format!("MmFreePagesFromMdl of {:#x}, which MmAllocatePagesForMdl did not build", mdl.0),
        ));
    };
    let flags = k.mem().get(mdl.0, MDL::MdlFlags)?;
    if flags & MDL_MAPPED_TO_SYSTEM_VA != 0 {
        let va = k.mem().get(mdl.0, MDL::MappedSystemVa)?;
        unmap(k, va, mdl.0)?;
    }
    k.mem_mut().free_frames(&frames);
    k.mem_mut().set(mdl.0, MDL::ByteCount, 0)?;
    set_flags(k, mdl.0, 0, MDL_PAGES_LOCKED)
}

/// PVOID MmMapLockedPagesSpecifyCache(PMDL Mdl, KPROCESSOR_MODE AccessMode,
/// MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG BugCheckOnFailure,
/// ULONG Priority)
///
/// Maps the MDL's frames at a new kernel (KernelMode) or user (UserMode) address. A failure
/// is NULL, the bugcheck Windows raises when asked to, or — for a user-mode mapping — an
/// exception raised in the caller.
pub fn MmMapLockedPagesSpecifyCache(
    k: &mut Kx,
    mdl: Ptr,
    access_mode: u8,
    cache_type: u32,
    _requested: Ptr,
    bugcheck_on_failure: u32,
    _priority: u32,
) -> KResult<Ptr> {
    let arch = k.arch();
    let (start, offset, count, flags) = describe(k, mdl.0)?;
    let pages = span_pages(start + offset, count);
    let pfns = pfn_array(k, mdl.0);
    let mut frames = Vec::with_capacity(pages.min(1 << 16) as usize);
    for i in 0..pages.min(1 << 16) {
        frames.push(k.mem().read_ptr(pfns + i * arch.ptr_size())? * PAGE_SIZE);
    }
    let kind = if access_mode == 0 { RegionKind::IoSpace } else { RegionKind::User };
    match k.mem_mut().map_frames(kind, "locked pages", &frames, Prot::RW) {
        Ok(base) => {
            let va = base + offset;
            if access_mode == 0 {
                let partial = if flags & MDL_PARTIAL != 0 { MDL_PARTIAL_HAS_BEEN_MAPPED } else { 0 };
                set_flags(k, mdl.0, MDL_MAPPED_TO_SYSTEM_VA | partial, 0)?;
                k.mem_mut().set(mdl.0, MDL::MappedSystemVa, va)?;
            }
            let pa = frames.first().copied().unwrap_or(0) + offset;
            record(k, MappingKind::LockedPages, va, pa, count, cache_type);
            Ok(Ptr(va))
        }
        Err(_) if access_mode != 0 => Err(crate::seh::raise::raise_status(k, 0xC000_009A)),
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

/// PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode): cached,
/// a kernel-mode failure bugchecks.
pub fn MmMapLockedPages(k: &mut Kx, mdl: Ptr, access_mode: u8) -> KResult<Ptr> {
    MmMapLockedPagesSpecifyCache(k, mdl, access_mode, 1, Ptr::NULL, 1, 16)
}

/// VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL Mdl)
pub fn MmUnmapLockedPages(k: &mut Kx, base: Ptr, mdl: Ptr) -> KResult<()> {
    if live_at(k, base.0).is_none() {
        return Err(bugcheck(
            k,
            0xDA,
            "SYSTEM_PTE_MISUSE",
            [0x06, mdl.0, base.0, 0],
            format!("MmUnmapLockedPages of {:#x}, which is not a mapping of the MDL", base.0),
        ));
    }
    unmap(k, base.0, mdl.0)
}

/// NTSTATUS MmProtectMdlSystemAddress(PMDL MemoryDescriptorList, ULONG NewProtect)
///
/// Changes the protection of the MDL's system-space mapping: PAGE_READONLY, PAGE_READWRITE,
/// or their executable forms; anything else is STATUS_INVALID_PAGE_PROTECTION, an MDL not
/// mapped to system space STATUS_NOT_MAPPED_VIEW.
pub fn MmProtectMdlSystemAddress(k: &mut Kx, mdl: Ptr, protect: u32) -> KResult<crate::types::NtStatus> {
    use crate::types::NtStatus;
    let prot = match protect & 0xFF {
        0x02 => Prot::R,
        0x04 => Prot::RW,
        0x20 => Prot::RX,
        0x40 => Prot::RWX,
        _ => return Ok(NtStatus(0xC000_0045)),
    };
    let (_, offset, count, flags) = describe(k, mdl.0)?;
    if flags & MDL_MAPPED_TO_SYSTEM_VA == 0 {
        return Ok(NtStatus(0xC000_0019));
    }
    let va = k.mem().get(mdl.0, MDL::MappedSystemVa)?;
    k.mem_mut().protect(va - offset, span_pages(va, count) * PAGE_SIZE, prot)?;
    Ok(NtStatus(0))
}

/// Bytes an MDL describes (MmGetMdlByteCount), for the kernel's own use.
pub fn byte_count(k: &Kx, mdl: u64) -> KResult<SizeT> {
    Ok(SizeT(k.mem().get(mdl, MDL::ByteCount)?))
}
