//! Virtual memory: VirtualAlloc, VirtualFree, VirtualProtect, VirtualQuery, in the user half.
//!
//! MEM_RESERVE sets aside address space (64 KB aligned, as Windows' allocation granularity
//! wants) in which nothing is mapped: touching it is the program's access violation. MEM_COMMIT
//! maps zeroed pages inside a reservation (each page a region of the process, unmapped when
//! it ends), MEM_DECOMMIT unmaps them, MEM_RELEASE gives the whole reservation up. Page
//! protections map to the machine's: PAGE_READONLY r, PAGE_READWRITE rw, PAGE_EXECUTE and
//! PAGE_EXECUTE_READ rx, PAGE_EXECUTE_READWRITE rwx; a PAGE_NOACCESS page is kept unmapped,
//! its contents held aside until another protection maps it again. PAGE_GUARD is not
//! built (ERROR_NOT_SUPPORTED); PAGE_NOCACHE and PAGE_WRITECOMBINE are recorded (caching is
//! invisible to the program). VirtualProtect also works on the process's own image, stack and
//! heap pages (not to PAGE_NOACCESS there). MEM_TOP_DOWN is a hint (addresses come from the
//! bottom); MEM_RESET, MEM_RESET_UNDO, MEM_PHYSICAL, MEM_WRITE_WATCH and MEM_LARGE_PAGES are
//! not built (ERROR_NOT_SUPPORTED). A reservation at an address the program chooses
//! must lie below the user arena the machine hands out from (below 0x10000000), where nothing
//! else is placed.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, SizeT};

use crate::error::{
    ERROR_BAD_LENGTH, ERROR_INVALID_ADDRESS, ERROR_INVALID_PARAMETER, ERROR_NOACCESS, ERROR_NOT_ENOUGH_MEMORY,
    ERROR_NOT_SUPPORTED,
};
use crate::kernel32::thread::{me, set_last_error};
use crate::table::BOOL;

pub const MEM_COMMIT: u32 = 0x1000;
pub const MEM_RESERVE: u32 = 0x2000;
pub const MEM_DECOMMIT: u32 = 0x4000;
pub const MEM_RELEASE: u32 = 0x8000;
pub const MEM_FREE: u32 = 0x1_0000;
pub const MEM_PRIVATE: u32 = 0x2_0000;
pub const MEM_IMAGE: u32 = 0x100_0000;
const MEM_TOP_DOWN: u32 = 0x10_0000;
/// MEM_RESET, MEM_RESET_UNDO, MEM_PHYSICAL, MEM_WRITE_WATCH, MEM_LARGE_PAGES: not built.
const NOT_BUILT: u32 = 0x8_0000 | 0x100_0000 | 0x40_0000 | 0x20_0000 | 0x2000_0000;
pub const PAGE_NOACCESS: u32 = 0x01;
pub const PAGE_READONLY: u32 = 0x02;
pub const PAGE_READWRITE: u32 = 0x04;
pub const PAGE_EXECUTE: u32 = 0x10;
pub const PAGE_EXECUTE_READ: u32 = 0x20;
pub const PAGE_EXECUTE_READWRITE: u32 = 0x40;
const PAGE_GUARD: u32 = 0x100;
const PAGE_NOCACHE: u32 = 0x200;
const PAGE_WRITECOMBINE: u32 = 0x400;
/// Windows' allocation granularity.
pub const ALLOCATION_GRANULARITY: u64 = 0x1_0000;

/// One page of a reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Page {
    Reserved,
    /// Committed with this protection; a PAGE_NOACCESS page is unmapped and its bytes are
    /// kept here (None: still zero).
    Committed {
        protect: u32,
        kept: Option<Box<[u8]>>,
    },
}

impl Page {
    /// Whether the page is in the machine's tables.
    fn mapped(&self) -> bool {
        matches!(self, Page::Committed { protect, .. } if !no_access(*protect))
    }
}

fn no_access(protect: u32) -> bool {
    protect & 0xFF == PAGE_NOACCESS
}

/// One MEM_RESERVE.
#[derive(Clone, Debug)]
struct Reservation {
    /// The protection it was reserved with.
    protect: u32,
    pages: Vec<Page>,
}

/// A process's reservations, by base.
#[derive(Clone, Debug, Default)]
pub struct Reservations {
    map: BTreeMap<u64, Reservation>,
}

impl Reservations {
    /// The reservation holding `va`: (base, reservation).
    fn holding(&self, va: u64) -> Option<(u64, &Reservation)> {
        let (&base, r) = self.map.range(..=va).next_back()?;
        (va - base < r.pages.len() as u64 * PAGE_SIZE).then_some((base, r))
    }

    /// Whether any reservation meets [base, base + size).
    pub(crate) fn overlaps(&self, base: u64, size: u64) -> bool {
        self.map.range(..base + size).next_back().is_some_and(|(b, r)| b + r.pages.len() as u64 * PAGE_SIZE > base)
    }
}

/// The machine's protection for a page protection (without modifiers); None for
/// PAGE_NOACCESS, Err for what is none.
fn machine_prot(protect: u32) -> Result<Option<Prot>, u32> {
    if protect & PAGE_GUARD != 0 {
        return Err(ERROR_NOT_SUPPORTED);
    }
    match protect & !(PAGE_NOCACHE | PAGE_WRITECOMBINE) {
        PAGE_NOACCESS => Ok(None),
        PAGE_READONLY => Ok(Some(Prot::R)),
        PAGE_READWRITE => Ok(Some(Prot::RW)),
        PAGE_EXECUTE | PAGE_EXECUTE_READ => Ok(Some(Prot::RX)),
        PAGE_EXECUTE_READWRITE => Ok(Some(Prot::RWX)),
        _ => Err(ERROR_INVALID_PARAMETER),
    }
}

/// The page protection a machine protection reads as.
fn page_protect(p: Prot) -> u32 {
    match (p.write, p.exec) {
        (false, false) => PAGE_READONLY,
        (true, false) => PAGE_READWRITE,
        (false, true) => PAGE_EXECUTE_READ,
        (true, true) => PAGE_EXECUTE_READWRITE,
    }
}

/// The top of the user half.
fn user_top(k: &Kx) -> u64 {
    match k.arch() {
        portcullis_emu::Arch::X86 => 0x7FFF_0000,
        portcullis_emu::Arch::X64 => 0x7FF_FFFF_0000,
    }
}

fn fail<T>(k: &mut Kx, error: u32, value: T) -> KResult<T> {
    set_last_error(k, error)?;
    Ok(value)
}

/// Maps one committed page of the process at `va` with `prot`, filled with `kept`.
fn map_page(k: &mut Kx, va: u64, prot: Prot, kept: Option<&[u8]>) -> KResult<bool> {
    let name = format!("{} virtual", me(k)?.name);
    if k.mem_mut().map_fixed(RegionKind::User, name, va, PAGE_SIZE, prot).is_err() {
        return Ok(false);
    }
    if let Some(bytes) = kept {
        k.mem_mut().write_unchecked(va, bytes)?;
    }
    me(k)?.regions.push(va);
    Ok(true)
}

/// Unmaps one committed page; its bytes.
fn unmap_page(k: &mut Kx, va: u64) -> KResult<Box<[u8]>> {
    let bytes = k.mem().read_vec(va, PAGE_SIZE)?.into_boxed_slice();
    me(k)?.regions.retain(|r| *r != va);
    k.mem_mut().free(va)?;
    Ok(bytes)
}

/// Sets aside `size` bytes at `at` (0: anywhere); the base.
fn reserve(k: &mut Kx, at: u64, size: u64, protect: u32) -> KResult<Result<u64, u32>> {
    let size = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let base = if at == 0 {
        match k.mem_mut().reserve(RegionKind::User, size, ALLOCATION_GRANULARITY) {
            Ok(b) => b,
            Err(_) => return Ok(Err(ERROR_NOT_ENOUGH_MEMORY)),
        }
    } else {
        let base = at & !(ALLOCATION_GRANULARITY - 1);
        let size = (at + size).div_ceil(PAGE_SIZE) * PAGE_SIZE - base;
        let arena = k.mem().arena_span(RegionKind::User).map_or(0, |a| a.0);
        let taken = k.mem().regions().any(|r| r.base < base + size && base < r.base + r.size);
        if base < ALLOCATION_GRANULARITY || base + size > arena || taken || me(k)?.reservations.overlaps(base, size) {
            return Ok(Err(ERROR_INVALID_ADDRESS));
        }
        base
    };
    let end = if at == 0 { base + size } else { (at + size).div_ceil(PAGE_SIZE) * PAGE_SIZE };
    let pages = vec![Page::Reserved; ((end - base) / PAGE_SIZE) as usize];
    me(k)?.reservations.map.insert(base, Reservation { protect, pages });
    Ok(Ok(base))
}

/// Commits the pages of [at, at + size) inside the reservation at `base`.
fn commit(k: &mut Kx, base: u64, at: u64, size: u64, protect: u32, prot: Option<Prot>) -> KResult<Result<(), u32>> {
    let first = (at - base) / PAGE_SIZE;
    let last = (at + size.max(1) - 1 - base) / PAGE_SIZE;
    for i in first..=last {
        let va = base + i * PAGE_SIZE;
        let page = &me(k)?.reservations.map[&base].pages[i as usize];
        if let Page::Committed { .. } = page {
            continue;
        }
        if let Some(p) = prot {
            if !map_page(k, va, p, None)? {
                return Ok(Err(ERROR_NOT_ENOUGH_MEMORY));
            }
        }
        let r = me(k)?.reservations.map.get_mut(&base).expect("held");
        r.pages[i as usize] = Page::Committed { protect, kept: None };
    }
    Ok(Ok(()))
}

/// LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD
/// flProtect): NULL with the last error when it cannot.
pub fn VirtualAlloc(k: &mut Kx, address: Ptr, size: SizeT, kind: u32, protect: u32) -> KResult<Ptr> {
    let size = size.0;
    let kind = kind & !MEM_TOP_DOWN;
    let prot = match machine_prot(protect) {
        Ok(p) => p,
        Err(e) => return fail(k, e, Ptr(0)),
    };
    if kind & NOT_BUILT != 0 {
        return fail(k, ERROR_NOT_SUPPORTED, Ptr(0));
    }
    if size == 0 || kind & !(MEM_COMMIT | MEM_RESERVE) != 0 || kind == 0 {
        return fail(k, ERROR_INVALID_PARAMETER, Ptr(0));
    }
    if address.0.checked_add(size).is_none_or(|end| end > user_top(k)) {
        return fail(k, ERROR_INVALID_PARAMETER, Ptr(0));
    }
    let holding = me(k)?.reservations.holding(address.0).map(|(b, r)| (b, r.pages.len() as u64 * PAGE_SIZE));
    // Committing inside a reservation already there.
    if kind == MEM_COMMIT && address.0 != 0 {
        let Some((base, len)) = holding.filter(|(b, l)| address.0 + size <= b + l) else {
            return fail(k, ERROR_INVALID_ADDRESS, Ptr(0));
        };
        let _ = len;
        let start = address.0 & !(PAGE_SIZE - 1);
        let size = (address.0 + size).div_ceil(PAGE_SIZE) * PAGE_SIZE - start;
        return Ok(match commit(k, base, start, size, protect, prot)? {
            Ok(()) => Ptr(start),
            Err(e) => fail(k, e, Ptr(0))?,
        });
    }
    let base = match reserve(k, address.0, size, protect)? {
        Ok(b) => b,
        Err(e) => return fail(k, e, Ptr(0)),
    };
    if kind & MEM_COMMIT != 0 {
        let len = me(k)?.reservations.map[&base].pages.len() as u64 * PAGE_SIZE;
        if let Err(e) = commit(k, base, base, len, protect, prot)? {
            release(k, base)?;
            return fail(k, e, Ptr(0));
        }
    }
    Ok(Ptr(base))
}

/// Gives up the reservation at `base`: its committed pages are unmapped.
fn release(k: &mut Kx, base: u64) -> KResult<()> {
    let Some(r) = me(k)?.reservations.map.remove(&base) else { return Ok(()) };
    for (i, page) in r.pages.iter().enumerate() {
        if page.mapped() {
            unmap_page(k, base + i as u64 * PAGE_SIZE)?;
        }
    }
    Ok(())
}

/// BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType): MEM_RELEASE takes
/// the reservation's base and a size of 0; MEM_DECOMMIT a range inside one reservation (size
/// 0 from the base: all of it).
pub fn VirtualFree(k: &mut Kx, address: Ptr, size: SizeT, kind: u32) -> KResult<BOOL> {
    let size = size.0;
    let Some((base, len)) = me(k)?.reservations.holding(address.0).map(|(b, r)| (b, r.pages.len() as u64 * PAGE_SIZE))
    else {
        return fail(k, ERROR_INVALID_ADDRESS, BOOL(false));
    };
    match kind {
        MEM_RELEASE if size == 0 && address.0 == base => {
            release(k, base)?;
            Ok(BOOL(true))
        }
        MEM_DECOMMIT => {
            let (start, end) = if size == 0 {
                if address.0 != base {
                    return fail(k, ERROR_INVALID_PARAMETER, BOOL(false));
                }
                (base, base + len)
            } else if size > len {
                return fail(k, ERROR_INVALID_PARAMETER, BOOL(false));
            } else {
                (address.0 & !(PAGE_SIZE - 1), (address.0 + size).div_ceil(PAGE_SIZE) * PAGE_SIZE)
            };
            if end > base + len {
                return fail(k, ERROR_INVALID_PARAMETER, BOOL(false));
            }
            for va in (start..end).step_by(PAGE_SIZE as usize) {
                let i = ((va - base) / PAGE_SIZE) as usize;
                let page = std::mem::replace(
                    &mut me(k)?.reservations.map.get_mut(&base).expect("held").pages[i],
                    Page::Reserved,
                );
                if page.mapped() {
                    unmap_page(k, va)?;
                }
            }
            Ok(BOOL(true))
        }
        _ => fail(k, ERROR_INVALID_PARAMETER, BOOL(false)),
    }
}

/// BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD
/// lpflOldProtect): every page of the range must be committed; the old protection is the
/// first page's.
pub fn VirtualProtect(k: &mut Kx, address: Ptr, size: SizeT, protect: u32, old: Ptr) -> KResult<BOOL> {
    let size = size.0;
    let prot = match machine_prot(protect) {
        Ok(p) => p,
        Err(e) => return fail(k, e, BOOL(false)),
    };
    if old.0 == 0 {
        return fail(k, ERROR_NOACCESS, BOOL(false));
    }
    let start = address.0 & !(PAGE_SIZE - 1);
    let top = user_top(k);
    let Some(end) = address.0.checked_add(size.max(1)).filter(|e| *e <= top).map(|e| e.div_ceil(PAGE_SIZE) * PAGE_SIZE)
    else {
        return fail(k, ERROR_INVALID_PARAMETER, BOOL(false));
    };
    let holding = me(k)?.reservations.holding(start).map(|(b, r)| (b, r.pages.len() as u64 * PAGE_SIZE));
    if let Some((base, len)) = holding {
        if end > base + len {
            return fail(k, ERROR_INVALID_ADDRESS, BOOL(false));
        }
        let pages = &me(k)?.reservations.map[&base].pages;
        let range = ((start - base) / PAGE_SIZE) as usize..((end - base) / PAGE_SIZE) as usize;
        if pages[range.clone()].contains(&Page::Reserved) {
            return fail(k, ERROR_INVALID_ADDRESS, BOOL(false));
        }
        let Page::Committed { protect: first, .. } = pages[range.start] else { unreachable!("checked") };
        for i in range {
            let va = base + i as u64 * PAGE_SIZE;
            let page =
                std::mem::replace(&mut me(k)?.reservations.map.get_mut(&base).expect("held").pages[i], Page::Reserved);
            let Page::Committed { protect: was, kept } = page else { unreachable!("checked") };
            let kept = match (no_access(was), prot) {
                (true, Some(p)) => {
                    map_page(k, va, p, kept.as_deref())?;
                    None
                }
                (true, None) => kept,
                (false, Some(p)) => {
                    k.mem_mut().protect(va, PAGE_SIZE, p)?;
                    None
                }
                (false, None) => Some(unmap_page(k, va)?),
            };
            me(k)?.reservations.map.get_mut(&base).expect("held").pages[i] = Page::Committed { protect, kept };
        }
        k.mem_mut().write_u32(old.0, first)?;
        return Ok(BOOL(true));
    }
    // The process's own image, stack and heap pages.
    let p = me(k)?;
    let owned: Vec<u64> = p.regions.clone();
    let region = k.mem().region_at(start).filter(|r| owned.contains(&r.base) && end <= r.base + r.size).cloned();
    let Some(_) = region else { return fail(k, ERROR_INVALID_ADDRESS, BOOL(false)) };
    let Some(p) = prot else { return fail(k, ERROR_NOT_SUPPORTED, BOOL(false)) };
    let first = k.mem().prot_at(start).map_or(PAGE_NOACCESS, page_protect);
    k.mem_mut().write_u32(old.0, first)?;
    k.mem_mut().protect(start, end - start, p)?;
    Ok(BOOL(true))
}

/// SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T
/// dwLength): the run of pages from lpAddress's page that share state and protection.
pub fn VirtualQuery(k: &mut Kx, address: Ptr, info: Ptr, length: SizeT) -> KResult<SizeT> {
    let length = length.0;
    let x64 = k.arch() == portcullis_emu::Arch::X64;
    let need = if x64 { 48 } else { 28 };
    if length < need {
        return fail(k, ERROR_BAD_LENGTH, SizeT(0));
    }
    if address.0 >= user_top(k) {
        return fail(k, ERROR_INVALID_PARAMETER, SizeT(0));
    }
    let page = address.0 & !(PAGE_SIZE - 1);
    // (allocation base, allocation protect, run size, state, protect, type)
    let held = me(k)?.reservations.holding(page).map(|(b, r)| (b, r.clone()));
    let answer = if let Some((base, r)) = held {
        let i = ((page - base) / PAGE_SIZE) as usize;
        let key = |p: &Page| match p {
            Page::Reserved => (MEM_RESERVE, 0),
            Page::Committed { protect, .. } => (MEM_COMMIT, *protect),
        };
        let this = key(&r.pages[i]);
        let run = r.pages[i..].iter().take_while(|p| key(p) == this).count() as u64;
        (base, r.protect, run * PAGE_SIZE, this.0, this.1, MEM_PRIVATE)
    } else if let Some(region) = k.mem().region_at(page).filter(|r| r.kind == RegionKind::User).cloned() {
        let image = me(k)?.image_base == region.base;
        let this = k.mem().prot_at(page);
        let run = (page..region.base + region.size)
            .step_by(PAGE_SIZE as usize)
            .take_while(|va| k.mem().prot_at(*va) == this)
            .count() as u64;
        let protect = this.map_or(PAGE_NOACCESS, page_protect);
        let (alloc_protect, ty) = if image { (0x80, MEM_IMAGE) } else { (protect, MEM_PRIVATE) };
        (region.base, alloc_protect, run * PAGE_SIZE, MEM_COMMIT, protect, ty)
    } else {
        // Free: up to whatever comes next.
        let top = user_top(k);
        let next_region = k.mem().regions().map(|r| r.base).filter(|b| *b > page).min().unwrap_or(top);
        let next_reserve = me(k)?.reservations.map.range(page..).next().map_or(top, |(b, _)| *b);
        let end = next_region.min(next_reserve).min(top);
        (0, 0, end - page, MEM_FREE, PAGE_NOACCESS, 0)
    };
    let (alloc_base, alloc_protect, size, state, protect, ty) = answer;
    let mut out = Vec::with_capacity(need as usize);
    let ptr = |out: &mut Vec<u8>, v: u64| {
        if x64 {
            out.extend_from_slice(&v.to_le_bytes())
        } else {
            out.extend_from_slice(&(v as u32).to_le_bytes())
        }
    };
    ptr(&mut out, page);
    ptr(&mut out, alloc_base);
    out.extend_from_slice(&alloc_protect.to_le_bytes());
    if x64 {
        out.extend_from_slice(&[0; 4]); // PartitionId and padding
    }
    ptr(&mut out, size);
    for v in [state, protect, ty] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    if x64 {
        out.extend_from_slice(&[0; 4]);
    }
    k.mem_mut().write(info.0, &out)?;
    Ok(SizeT(need))
}
