//! The user-mode virtual memory of processes: `ZwAllocateVirtualMemory`,
//! `ZwFreeVirtualMemory`, `ZwProtectVirtualMemory`, `ZwQueryVirtualMemory`.
//!
//! A reservation is a range of user addresses nothing else will be given (reserved in the
//! user-memory arena, or below it at an address the caller chose); committed pages are
//! mapped with the protection asked for, reserved and decommitted ones are not mapped, so
//! touching them faults as it does on Windows. Allocations go in 64 KiB granules, page
//! ranges in pages. All processes share the machine's one address space: each reservation
//! remembers its process, and a process sees only its own.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};

use crate::kernel::{KResult, Kx};
use crate::ob::handles::{self, Mode};
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, Ptr, HANDLE};

pub const MEM_COMMIT: u32 = 0x1000;
pub const MEM_RESERVE: u32 = 0x2000;
pub const MEM_DECOMMIT: u32 = 0x4000;
pub const MEM_RELEASE: u32 = 0x8000;
pub const MEM_FREE: u32 = 0x1_0000;
pub const MEM_PRIVATE: u32 = 0x2_0000;
pub const MEM_TOP_DOWN: u32 = 0x10_0000;

pub const PAGE_NOACCESS: u32 = 0x01;
pub const PAGE_READONLY: u32 = 0x02;
pub const PAGE_READWRITE: u32 = 0x04;
pub const PAGE_WRITECOPY: u32 = 0x08;
pub const PAGE_EXECUTE: u32 = 0x10;
pub const PAGE_EXECUTE_READ: u32 = 0x20;
pub const PAGE_EXECUTE_READWRITE: u32 = 0x40;
pub const PAGE_EXECUTE_WRITECOPY: u32 = 0x80;

const GRANULARITY: u64 = 0x1_0000;
/// Addresses below the user-memory arena (0x10000000) and above the null page's 64 KiB are
/// the caller's to choose; the arena is handed out by the kernel.
const CHOOSABLE: std::ops::Range<u64> = 0x1_0000..0x1000_0000;
/// The largest reservation made (the whole user arena is 1.75 GiB).
const MAX_RESERVATION: u64 = 256 << 20;

/// STATUS values of the memory manager.
const CONFLICTING_ADDRESSES: NtStatus = NtStatus(0xC000_0018);
const NOT_COMMITTED: NtStatus = NtStatus(0xC000_002D);
const INVALID_PAGE_PROTECTION: NtStatus = NtStatus(0xC000_0045);
const FREE_VM_NOT_AT_BASE: NtStatus = NtStatus(0xC000_009F);
const MEMORY_NOT_ALLOCATED: NtStatus = NtStatus(0xC000_00A0);

/// One reservation.
#[derive(Clone, Debug)]
pub struct Reservation {
    pub process: u64,
    pub size: u64,
    /// The protection the reservation was made with.
    pub protect: u32,
    /// Each page's protection when committed (None: reserved only).
    pages: Vec<Option<u32>>,
}

/// Every reservation, by base.
#[derive(Default, Debug)]
pub struct VirtualMemory {
    pub reservations: BTreeMap<u64, Reservation>,
}

fn prot_of(protect: u32) -> Result<Option<Prot>, NtStatus> {
    Ok(Some(match protect & 0xFF {
        PAGE_NOACCESS => return Ok(None),
        PAGE_READONLY => Prot::R,
        PAGE_READWRITE | PAGE_WRITECOPY => Prot::RW,
        PAGE_EXECUTE | PAGE_EXECUTE_READ => Prot::RX,
        PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY => Prot::RWX,
        _ => return Err(INVALID_PAGE_PROTECTION),
    }))
}

/// The process a handle names (NtCurrentProcess included).
fn process_of(k: &Kx, handle: u64) -> KResult<Result<u64, NtStatus>> {
    match handles::lookup(k, handle, Mode::Kernel)? {
        None => Ok(Err(status::INVALID_HANDLE)),
        Some((o, _, _)) if k.ext().objects.get(o).map(|i| i.kind) == Some(ObjectKind::Process) => Ok(Ok(o)),
        Some(_) => Ok(Err(status::OBJECT_TYPE_MISMATCH)),
    }
}

/// The reservation of `process` holding `va`: (base, reservation).
fn find(k: &Kx, process: u64, va: u64) -> Option<(u64, Reservation)> {
    let (base, r) = k.ext().vm.reservations.range(..=va).next_back()?;
    (r.process == process && va < base + r.size).then(|| (*base, r.clone()))
}

/// Maps page runs `[first, last)` of a reservation that are committed with a protection.
fn map_pages(k: &mut Kx, base: u64, r: &Reservation, first: usize, last: usize) -> KResult<()> {
    let mut i = first;
    while i < last {
        let Some(p) = r.pages[i] else {
            i += 1;
            continue;
        };
        let prot = prot_of(p).ok().flatten();
        let start = i;
        while i < last && r.pages[i] == Some(p) {
            i += 1;
        }
        if let Some(prot) = prot {
            let at = base + start as u64 * PAGE_SIZE;
            k.mem_mut().map_fixed(RegionKind::User, "virtual memory", at, (i - start) as u64 * PAGE_SIZE, prot)?;
        }
    }
    Ok(())
}

/// Unmaps every mapped run of a reservation, returning the contents of committed pages.
fn unmap_all(k: &mut Kx, base: u64, r: &Reservation) -> KResult<Vec<Option<Vec<u8>>>> {
    let mut contents = Vec::new();
    for i in 0..r.pages.len() {
        let va = base + i as u64 * PAGE_SIZE;
        contents.push(if k.mem().region_at(va).is_some() {
            let mut b = vec![0u8; PAGE_SIZE as usize];
            k.mem().read(va, &mut b)?;
            Some(b)
        } else {
            None
        });
    }
    let mut va = base;
    while va < base + r.size {
        match k.mem().region_at(va).map(|reg| (reg.base, reg.size)) {
            Some((b, s)) => {
                k.mem_mut().free(b)?;
                va = b + s;
            }
            None => va += PAGE_SIZE,
        }
    }
    Ok(contents)
}

/// Changes the pages of a reservation: remaps it and puts back what the pages that stay
/// committed held.
fn reshape(k: &mut Kx, base: u64, new: Reservation) -> KResult<()> {
    let old = k.ext().vm.reservations.get(&base).cloned().expect("a reservation");
    let contents = unmap_all(k, base, &old)?;
    map_pages(k, base, &new, 0, new.pages.len())?;
    for (i, c) in contents.into_iter().enumerate() {
        let still = new.pages[i].and_then(|p| prot_of(p).ok().flatten()).is_some();
        if let (Some(bytes), true) = (c, still && old.pages[i].is_some()) {
            k.mem_mut().write_unchecked(base + i as u64 * PAGE_SIZE, &bytes)?;
        }
    }
    k.ext_mut().vm.reservations.insert(base, new);
    Ok(())
}

/// Commits `size` bytes (read/write) of fresh virtual memory in `process`, as
/// ZwAllocateVirtualMemory(MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE) at no chosen address does:
/// the kernel's way of handing a caller a buffer in its own process (LSA's return buffers).
pub(crate) fn commit_fresh(k: &mut Kx, process: u64, size: u64) -> KResult<Result<u64, NtStatus>> {
    let len = size.max(1).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    if len > MAX_RESERVATION {
        return Ok(Err(status::NO_MEMORY));
    }
    let span = len.div_ceil(GRANULARITY) * GRANULARITY;
    let Ok(at) = k.mem_mut().alloc(RegionKind::User, "virtual memory", span, Prot::R) else {
        return Ok(Err(status::NO_MEMORY));
    };
    k.mem_mut().free(at)?;
    let r = Reservation {
        process,
        size: len,
        protect: PAGE_READWRITE,
        pages: vec![Some(PAGE_READWRITE); (len / PAGE_SIZE) as usize],
    };
    map_pages(k, at, &r, 0, r.pages.len())?;
    k.ext_mut().vm.reservations.insert(at, r);
    Ok(Ok(at))
}

/// Releases the reservation of `process` based at `base`, as ZwFreeVirtualMemory(MEM_RELEASE)
/// with a zero size does: STATUS_MEMORY_NOT_ALLOCATED for an address no reservation holds,
/// STATUS_FREE_VM_NOT_AT_BASE for one inside a reservation.
pub(crate) fn release(k: &mut Kx, process: u64, base: u64) -> KResult<NtStatus> {
    let Some((rbase, r)) = find(k, process, base) else { return Ok(MEMORY_NOT_ALLOCATED) };
    if rbase != base {
        return Ok(FREE_VM_NOT_AT_BASE);
    }
    unmap_all(k, rbase, &r)?;
    k.ext_mut().vm.reservations.remove(&rbase);
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
/// ULONG_PTR ZeroBits, PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect)
pub fn ZwAllocateVirtualMemory(
    k: &mut Kx,
    process: HANDLE,
    base_ptr: Ptr,
    _zero_bits: crate::types::SizeT,
    size_ptr: Ptr,
    kind: u32,
    protect: u32,
) -> KResult<NtStatus> {
    let process = match process_of(k, process.0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    if kind & !(MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN) != 0 || kind & (MEM_COMMIT | MEM_RESERVE) == 0 {
        return Ok(status::INVALID_PARAMETER_5);
    }
    if let Err(st) = prot_of(protect) {
        return Ok(st);
    }
    let base = k.mem().read_ptr(base_ptr.0)?;
    let size = k.mem().read_ptr(size_ptr.0)?;
    if size == 0 {
        return Ok(status::INVALID_PARAMETER_4);
    }
    let existing = if base != 0 { find(k, process, base) } else { None };
    let (at, len) = match existing {
        // Committing inside a reservation.
        Some((rbase, mut r)) => {
            if kind & MEM_RESERVE != 0 {
                return Ok(CONFLICTING_ADDRESSES);
            }
            let start = base & !(PAGE_SIZE - 1);
            let end = (base.saturating_add(size)).div_ceil(PAGE_SIZE) * PAGE_SIZE;
            if end > rbase + r.size {
                return Ok(CONFLICTING_ADDRESSES);
            }
            let (first, last) = (((start - rbase) / PAGE_SIZE) as usize, ((end - rbase) / PAGE_SIZE) as usize);
            for p in &mut r.pages[first..last] {
                *p = Some(protect);
            }
            reshape(k, rbase, r)?;
            (start, end - start)
        }
        None => {
            if base != 0 && kind & MEM_RESERVE == 0 {
                return Ok(MEMORY_NOT_ALLOCATED);
            }
            let len = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
            if len > MAX_RESERVATION {
                return Ok(status::NO_MEMORY);
            }
            let at = if base == 0 {
                // A fresh range of the user arena: reserve it by taking it and giving the
                // pages back (the arena never hands out an address twice).
                let span = len.div_ceil(GRANULARITY) * GRANULARITY;
                let Ok(a) = k.mem_mut().alloc(RegionKind::User, "virtual memory", span, Prot::R) else {
                    return Ok(status::NO_MEMORY);
                };
                k.mem_mut().free(a)?;
                a
            } else {
                let a = base & !(GRANULARITY - 1);
                let end = a.saturating_add(len);
                if !CHOOSABLE.contains(&a) || end > CHOOSABLE.end {
                    return Ok(CONFLICTING_ADDRESSES);
                }
                let clash = (a..end).step_by(PAGE_SIZE as usize).any(|p| k.mem().region_at(p).is_some())
                    || k.ext().vm.reservations.iter().any(|(b, r)| *b < end && a < b + r.size);
                if clash {
                    return Ok(CONFLICTING_ADDRESSES);
                }
                a
            };
            let len = (base.max(at) + size).div_ceil(PAGE_SIZE) * PAGE_SIZE - at;
            let committed = kind & MEM_COMMIT != 0;
            let pages = vec![committed.then_some(protect); (len / PAGE_SIZE) as usize];
            let r = Reservation { process, size: len, protect, pages };
            map_pages(k, at, &r, 0, r.pages.len())?;
            k.ext_mut().vm.reservations.insert(at, r);
            (at, len)
        }
    };
    k.mem_mut().write_ptr(base_ptr.0, at)?;
    k.mem_mut().write_ptr(size_ptr.0, len)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
/// ULONG FreeType): MEM_RELEASE (a reservation's base, size 0) or MEM_DECOMMIT (pages).
pub fn ZwFreeVirtualMemory(k: &mut Kx, process: HANDLE, base_ptr: Ptr, size_ptr: Ptr, kind: u32) -> KResult<NtStatus> {
    let process = match process_of(k, process.0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    if kind != MEM_RELEASE && kind != MEM_DECOMMIT {
        return Ok(status::INVALID_PARAMETER_4);
    }
    let base = k.mem().read_ptr(base_ptr.0)?;
    let size = k.mem().read_ptr(size_ptr.0)?;
    let Some((rbase, mut r)) = find(k, process, base) else { return Ok(MEMORY_NOT_ALLOCATED) };
    if kind == MEM_RELEASE {
        if size != 0 || base != rbase {
            return Ok(if base != rbase { FREE_VM_NOT_AT_BASE } else { status::INVALID_PARAMETER });
        }
        unmap_all(k, rbase, &r)?;
        k.ext_mut().vm.reservations.remove(&rbase);
        k.mem_mut().write_ptr(size_ptr.0, r.size)?;
        return Ok(status::SUCCESS);
    }
    let start = base & !(PAGE_SIZE - 1);
    let end = if size == 0 { rbase + r.size } else { (base.saturating_add(size)).div_ceil(PAGE_SIZE) * PAGE_SIZE };
    if end > rbase + r.size {
        return Ok(MEMORY_NOT_ALLOCATED);
    }
    for p in &mut r.pages[((start - rbase) / PAGE_SIZE) as usize..((end - rbase) / PAGE_SIZE) as usize] {
        *p = None;
    }
    reshape(k, rbase, r)?;
    k.mem_mut().write_ptr(base_ptr.0, start)?;
    k.mem_mut().write_ptr(size_ptr.0, end - start)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
/// PSIZE_T RegionSize, ULONG NewProtect, PULONG OldProtect): every page must be committed;
/// OldProtect is the first page's.
pub fn ZwProtectVirtualMemory(
    k: &mut Kx,
    process: HANDLE,
    base_ptr: Ptr,
    size_ptr: Ptr,
    protect: u32,
    old: Ptr,
) -> KResult<NtStatus> {
    let process = match process_of(k, process.0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    if let Err(st) = prot_of(protect) {
        return Ok(st);
    }
    let base = k.mem().read_ptr(base_ptr.0)?;
    let size = k.mem().read_ptr(size_ptr.0)?.max(1);
    let Some((rbase, mut r)) = find(k, process, base) else { return Ok(MEMORY_NOT_ALLOCATED) };
    let start = base & !(PAGE_SIZE - 1);
    let end = (base.saturating_add(size)).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    if end > rbase + r.size {
        return Ok(CONFLICTING_ADDRESSES);
    }
    let range = ((start - rbase) / PAGE_SIZE) as usize..((end - rbase) / PAGE_SIZE) as usize;
    if r.pages[range.clone()].iter().any(Option::is_none) {
        return Ok(NOT_COMMITTED);
    }
    let previous = r.pages[range.start].expect("committed");
    for p in &mut r.pages[range] {
        *p = Some(protect);
    }
    reshape(k, rbase, r)?;
    k.mem_mut().write_u32(old.0, previous)?;
    k.mem_mut().write_ptr(base_ptr.0, start)?;
    k.mem_mut().write_ptr(size_ptr.0, end - start)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
/// MEMORY_INFORMATION_CLASS MemoryInformationClass, PVOID MemoryInformation,
/// SIZE_T MemoryInformationLength, PSIZE_T ReturnLength): MemoryBasicInformation of the run
/// of pages alike from BaseAddress (free space up to the next reservation).
pub fn ZwQueryVirtualMemory(
    k: &mut Kx,
    process: HANDLE,
    address: Ptr,
    class: u32,
    info: Ptr,
    length: crate::types::SizeT,
    return_length: Ptr,
) -> KResult<NtStatus> {
    let length = length.0;
    let process = match process_of(k, process.0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    if class != 0 {
        return Ok(status::INVALID_INFO_CLASS);
    }
    let arch = k.arch();
    let highest = match arch {
        portcullis_emu::Arch::X86 => 0x7FFE_FFFF,
        portcullis_emu::Arch::X64 => 0x7FF_FFFE_FFFF,
    };
    if address.0 > highest {
        return Ok(status::INVALID_PARAMETER);
    }
    let size = if arch == portcullis_emu::Arch::X64 { 0x30 } else { 0x1C };
    if length < size {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let page = address.0 & !(PAGE_SIZE - 1);
    let (alloc_base, alloc_protect, run, state, prot) = match find(k, process, page) {
        Some((rbase, r)) => {
            let i = ((page - rbase) / PAGE_SIZE) as usize;
            let first = r.pages[i];
            let n = r.pages[i..].iter().take_while(|p| **p == first).count() as u64;
            let state = if first.is_some() { MEM_COMMIT } else { MEM_RESERVE };
            (rbase, r.protect, n * PAGE_SIZE, state, first.unwrap_or(0))
        }
        None => {
            let next = k
                .ext()
                .vm
                .reservations
                .iter()
                .filter(|(b, r)| **b > page && r.process == process)
                .map(|(b, _)| *b)
                .next()
                .unwrap_or(highest + 1);
            (0, 0, next - page, MEM_FREE, PAGE_NOACCESS)
        }
    };
    let mut o = super::Out::new(arch);
    o.ptr(page)
        .ptr(alloc_base)
        .u32(alloc_protect)
        .align(arch.ptr_size() as usize)
        .ptr(run)
        .u32(state)
        .u32(prot)
        .u32(if state == MEM_FREE { 0 } else { MEM_PRIVATE });
    o.bytes.resize(size as usize, 0);
    k.mem_mut().write(info.0, &o.bytes)?;
    if !return_length.is_null() {
        k.mem_mut().write_ptr(return_length.0, size)?;
    }
    Ok(status::SUCCESS)
}
