//! Lookaside lists: ExInitializeNPagedLookasideList / ExInitializePagedLookasideList,
//! ExDeleteNPagedLookasideList / ExDeletePagedLookasideList, ExAllocateFromPagedLookasideList
//! / ExFreeToPagedLookasideList, ExInitializeLookasideListEx, ExDeleteLookasideListEx,
//! ExFlushLookasideListEx. Drivers allocate and free nonpaged (and Ex) entries inline
//! through the list's S-list and its Allocate/Free routines, so the list is laid out as on
//! Windows and its default routines are real callable addresses: ExAllocatePoolWithTag and
//! ExFreePool, and for the Ex lists the kernel's ExpDefaultAllocateEx / ExpDefaultFreeEx.
#![allow(non_snake_case)]

use crate::exports::Dll;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, GENERAL_LOOKASIDE as L};
use crate::types::{status, NtStatus, PoolTag, Ptr, SizeT};

use super::slist;

/// ExMinimumLookasideDepth and the deepest a list grows.
const DEPTH: u64 = 4;
const MAXIMUM_DEPTH: u64 = 256;
/// PagedPool, NonPagedPool.
const NON_PAGED: u32 = 0;
const PAGED: u32 = 1;

fn routine(k: &Kx, dll: Dll, name: &str) -> u64 {
    k.ext().resolve(dll, name).unwrap_or(0)
}

fn internal(k: &Kx, name: &str) -> u64 {
    crate::exports::internal::address(k, name).unwrap_or(0)
}

fn init(k: &mut Kx, l: u64, allocate: u64, free: u64, pool_type: u32, size: u32, tag: u32) -> KResult<()> {
    let arch = k.arch();
    super::pool::zero(k, l, L::STRUCT.size(arch))?;
    slist::init(k, l)?;
    let mem = k.mem_mut();
    mem.set(l, L::Depth, DEPTH)?;
    mem.set(l, L::MaximumDepth, MAXIMUM_DEPTH)?;
    mem.set(l, L::Type, pool_type as u64)?;
    mem.set(l, L::Tag, tag as u64)?;
    mem.set(l, L::Size, size as u64)?;
    mem.set(l, L::Allocate, allocate)?;
    mem.set(l, L::Free, free)?;
    let entry = L::ListEntry.at(arch, l);
    mem.write_ptr(entry, entry)?;
    mem.write_ptr(entry + arch.ptr_size(), entry)?;
    Ok(())
}

fn init_classic(
    k: &mut Kx,
    l: Ptr,
    allocate: Ptr,
    free: Ptr,
    flags: u32,
    size: SizeT,
    tag: PoolTag,
    pool: u32,
) -> KResult<()> {
    let allocate = if allocate.is_null() { routine(k, Dll::Ntoskrnl, "ExAllocatePoolWithTag") } else { allocate.0 };
    let free = if free.is_null() { routine(k, Dll::Ntoskrnl, "ExFreePool") } else { free.0 };
    init(k, l.0, allocate, free, pool | flags, size.0 as u32, tag.0)
}

/// VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside,
/// PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
/// USHORT Depth)
pub fn ExInitializeNPagedLookasideList(
    k: &mut Kx,
    l: Ptr,
    allocate: Ptr,
    free: Ptr,
    flags: u32,
    size: SizeT,
    tag: PoolTag,
    _depth: u16,
) -> KResult<()> {
    init_classic(k, l, allocate, free, flags, size, tag, NON_PAGED)
}

/// VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, ...)
pub fn ExInitializePagedLookasideList(
    k: &mut Kx,
    l: Ptr,
    allocate: Ptr,
    free: Ptr,
    flags: u32,
    size: SizeT,
    tag: PoolTag,
    _depth: u16,
) -> KResult<()> {
    init_classic(k, l, allocate, free, flags, size, tag, PAGED)
}

/// Frees an entry through the list's Free routine (the kernel's own directly).
fn free_entry(k: &mut Kx, l: u64, entry: u64, ex: bool) -> KResult<()> {
    let free = k.mem().get(l, L::Free)?;
    let default = if ex { internal(k, "ExpDefaultFreeEx") } else { routine(k, Dll::Ntoskrnl, "ExFreePool") };
    if free == default {
        return super::pool::free(k, entry, None, 0);
    }
    let args: &[u64] = if ex { &[entry, l] } else { &[entry] };
    let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, free, args, conv)?;
    Ok(())
}

/// Empties the list through its Free routine.
fn flush(k: &mut Kx, l: u64, ex: bool) -> KResult<()> {
    loop {
        let e = slist::pop(k, l)?;
        if e == 0 {
            return Ok(());
        }
        free_entry(k, l, e, ex)?;
    }
}

/// VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
pub fn ExDeleteNPagedLookasideList(k: &mut Kx, l: Ptr) -> KResult<()> {
    flush(k, l.0, false)
}

/// VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
pub fn ExDeletePagedLookasideList(k: &mut Kx, l: Ptr) -> KResult<()> {
    flush(k, l.0, false)
}

fn bump(k: &mut Kx, l: u64, field: crate::layout::Field) -> KResult<()> {
    let v = k.mem().get(l, field)?;
    k.mem_mut().set(l, field, v.wrapping_add(1) & 0xFFFF_FFFF)?;
    Ok(())
}

/// PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
pub fn ExAllocateFromPagedLookasideList(k: &mut Kx, l: Ptr) -> KResult<Ptr> {
    bump(k, l.0, L::TotalAllocates)?;
    let e = slist::pop(k, l.0)?;
    if e != 0 {
        return Ok(Ptr(e));
    }
    bump(k, l.0, L::AllocateMisses)?;
    let mem = k.mem();
    let (allocate, pool_type, size, tag) =
        (mem.get(l.0, L::Allocate)?, mem.get(l.0, L::Type)?, mem.get(l.0, L::Size)?, mem.get(l.0, L::Tag)?);
    if allocate == routine(k, Dll::Ntoskrnl, "ExAllocatePoolWithTag") {
        return super::pool::ExAllocatePoolWithTag(k, pool_type as u32, SizeT(size), PoolTag(tag as u32));
    }
    let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
    Ok(Ptr(crate::ke::scheduler::call(k, allocate, &[pool_type, size, tag], conv)?))
}

/// VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
pub fn ExFreeToPagedLookasideList(k: &mut Kx, l: Ptr, entry: Ptr) -> KResult<()> {
    bump(k, l.0, L::TotalFrees)?;
    if slist::depth(k, l.0)? as u64 >= k.mem().get(l.0, L::Depth)? {
        bump(k, l.0, L::FreeMisses)?;
        return free_entry(k, l.0, entry.0, false);
    }
    slist::push(k, l.0, entry.0)?;
    Ok(())
}

/// NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside,
/// PALLOCATE_FUNCTION_EX Allocate, PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags,
/// SIZE_T Size, ULONG Tag, USHORT Depth)
pub fn ExInitializeLookasideListEx(
    k: &mut Kx,
    l: Ptr,
    allocate: Ptr,
    free: Ptr,
    pool_type: u32,
    flags: u32,
    size: SizeT,
    tag: PoolTag,
    _depth: u16,
) -> KResult<NtStatus> {
    let allocate = if allocate.is_null() { internal(k, "ExpDefaultAllocateEx") } else { allocate.0 };
    let free = if free.is_null() { internal(k, "ExpDefaultFreeEx") } else { free.0 };
    init(k, l.0, allocate, free, pool_type | flags, size.0 as u32, tag.0)?;
    Ok(status::SUCCESS)
}

/// VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
pub fn ExDeleteLookasideListEx(k: &mut Kx, l: Ptr) -> KResult<()> {
    flush(k, l.0, true)
}

/// VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
pub fn ExFlushLookasideListEx(k: &mut Kx, l: Ptr) -> KResult<()> {
    flush(k, l.0, true)
}

/// The Ex lists' default allocator: PVOID (POOL_TYPE PoolType, SIZE_T NumberOfBytes,
/// ULONG Tag, PLOOKASIDE_LIST_EX Lookaside).
pub fn ExpDefaultAllocateEx(k: &mut Kx, pool_type: u32, size: SizeT, tag: PoolTag, _l: Ptr) -> KResult<Ptr> {
    super::pool::ExAllocatePoolWithTag(k, pool_type, size, tag)
}

/// The Ex lists' default free routine: VOID (PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside).
pub fn ExpDefaultFreeEx(k: &mut Kx, buffer: Ptr, _l: Ptr) -> KResult<()> {
    super::pool::ExFreePool(k, buffer)
}
