//! `MmMapIoSpace`, `MmMapIoSpaceEx`, `MmUnmapIoSpace`: kernel views of any physical address —
//! RAM, ROM, device registers, or nothing at all (which reads all-ones, as on a PC's bus).
//! A view of a range the machine denies maps nothing there: touching it faults.
#![allow(non_snake_case)]

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};

use super::{bugcheck, forget, live_at, record, span_pages, MappingKind, MAXIMUM_CACHE_TYPE};
use crate::kernel::{KResult, Kx};
use crate::types::{Ptr, SizeT};

/// Views larger than this are refused (NULL), as a system short of PTEs refuses them.
const MOST_PAGES: u64 = 1 << 18;

/// PAGE_* protections MmMapIoSpaceEx accepts.
const PAGE_READONLY: u32 = 0x02;
const PAGE_READWRITE: u32 = 0x04;
const PAGE_NOCACHE: u32 = 0x200;
const PAGE_WRITECOMBINE: u32 = 0x400;

fn map(k: &mut Kx, pa: u64, size: u64, cache: u32, prot: Prot) -> KResult<Ptr> {
    let Some(end) = pa.checked_add(size) else { return Ok(Ptr::NULL) };
    let start = pa & !(PAGE_SIZE - 1);
    let pages = (end - start).div_ceil(PAGE_SIZE);
    if size == 0 || pages > MOST_PAGES {
        return Ok(Ptr::NULL);
    }
    let frames: Vec<u64> = (0..pages).map(|i| start + i * PAGE_SIZE).collect();
    let name = format!("I/O space {pa:#x}");
    match k.mem_mut().map_frames(RegionKind::IoSpace, name, &frames, prot) {
        Ok(base) => {
            let va = base + pa % PAGE_SIZE;
            record(k, MappingKind::IoSpace, va, pa, size, cache);
            Ok(Ptr(va))
        }
        // Past the processor's physical address width, or no room left for the view.
        Err(_) => Ok(Ptr::NULL),
    }
}

/// PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
/// MEMORY_CACHING_TYPE CacheType)
///
/// A read/write, non-executable kernel view of `NumberOfBytes` at `PhysicalAddress`. NULL for
/// zero bytes, an invalid cache type, an address the processor cannot reach, or a view too
/// large to map.
pub fn MmMapIoSpace(k: &mut Kx, pa: u64, size: SizeT, cache: u32) -> KResult<Ptr> {
    if cache >= MAXIMUM_CACHE_TYPE {
        return Ok(Ptr::NULL);
    }
    map(k, pa, size.0, cache, Prot::RW)
}

/// PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect)
///
/// As MmMapIoSpace, with the protection and caching in PAGE_* flags: PAGE_READWRITE or
/// PAGE_READONLY, with PAGE_NOCACHE or PAGE_WRITECOMBINE (cached otherwise). Executable or
/// other protections are refused (NULL), as Windows refuses them.
pub fn MmMapIoSpaceEx(k: &mut Kx, pa: u64, size: SizeT, protect: u32) -> KResult<Ptr> {
    let cache = match protect & (PAGE_NOCACHE | PAGE_WRITECOMBINE) {
        0 => 1,
        PAGE_NOCACHE => 0,
        PAGE_WRITECOMBINE => 2,
        _ => return Ok(Ptr::NULL),
    };
    let prot = match protect & !(PAGE_NOCACHE | PAGE_WRITECOMBINE) {
        PAGE_READWRITE => Prot::RW,
        PAGE_READONLY => Prot::R,
        _ => return Ok(Ptr::NULL),
    };
    map(k, pa, size.0, cache, prot)
}

/// VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)
///
/// Unmapping what MmMapIoSpace did not map, or with another size, is the misuse of system
/// PTEs Windows bugchecks on (SYSTEM_PTE_MISUSE).
pub fn MmUnmapIoSpace(k: &mut Kx, va: Ptr, size: SizeT) -> KResult<()> {
    let mapping = live_at(k, va.0).filter(|m| m.kind == MappingKind::IoSpace);
    let Some(m) = mapping else {
        return Err(bugcheck(
            k,
            0xDA,
            "SYSTEM_PTE_MISUSE",
            [0x03, 0, 0, va.0],
            format!("MmUnmapIoSpace of {:#x}, which MmMapIoSpace did not map", va.0),
        ));
    };
    let (expected, asked) = (span_pages(m.virtual_address, m.size), span_pages(va.0, size.0));
    if expected != asked {
        return Err(bugcheck(
            k,
            0xDA,
            "SYSTEM_PTE_MISUSE",
            [0x02, 0, expected, asked],
            format!("MmUnmapIoSpace of {asked} page(s) at {:#x}, mapped with {expected}", va.0),
        ));
    }
    k.mem_mut().free(va.0 & !(PAGE_SIZE - 1))?;
    forget(k, va.0);
    Ok(())
}
