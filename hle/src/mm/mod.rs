//! The memory manager: views of physical memory (I/O space, `\Device\PhysicalMemory`
//! sections, locked pages), memory descriptor lists, contiguous and non-cached memory, and the
//! queries about addresses, over the machine's physical address space
//! ([`portcullis_emu::physical`]).
//!
//! Every view of physical memory a driver makes is recorded ([`Mapping`]): who made it, where,
//! of what, with which caching; one still mapped when the driver unloads is a leak.

pub mod contiguous;
pub mod copy;
pub mod copy_virtual;
pub mod device;
pub mod file_section;
pub mod iospace;
pub mod mdl;
pub mod physical;
pub mod pte;
pub mod section;
pub mod space;
pub mod system;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kernel::{caller, Kx};
use crate::ob::Owner;

/// MEMORY_CACHING_TYPE.
pub fn cache_type_name(t: u32) -> &'static str {
    match t {
        0 => "non_cached",
        1 => "cached",
        2 => "write_combined",
        3 => "hardware_coherent_cached",
        4 => "non_cached_unordered",
        5 => "usws_cached",
        _ => "invalid",
    }
}

/// MmMaximumCacheType: cache types at or above it are invalid.
pub const MAXIMUM_CACHE_TYPE: u32 = 6;

/// How a view of physical memory was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingKind {
    /// MmMapIoSpace(Ex).
    IoSpace,
    /// ZwMapViewOfSection / MmMapViewInSystemSpace of `\Device\PhysicalMemory` or a
    /// pagefile-backed section.
    SectionView,
    /// MmMapLockedPages* of an MDL.
    LockedPages,
    /// A page-table entry the driver wrote through the self-map, pointing a page of one of
    /// its views at another frame. Not a view of its own: the view the page belongs to is
    /// reported, and unmapped, as before (`mapped` stays false).
    PageTableEntry,
}

/// One view of physical memory a driver made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub kind: MappingKind,
    pub owner: Owner,
    /// Where the call came from.
    #[serde(serialize_with = "crate::events::hex")]
    pub caller: u64,
    /// The virtual address returned (page offset included).
    #[serde(serialize_with = "crate::events::hex")]
    pub virtual_address: u64,
    /// The physical address of the first byte; for views of scattered pages (an MDL's, a
    /// pagefile-backed section's), the first page's.
    #[serde(serialize_with = "crate::events::hex")]
    pub physical_address: u64,
    pub size: u64,
    /// MEMORY_CACHING_TYPE as the driver asked for it.
    pub cache: &'static str,
    /// Still mapped (at unload: a leak).
    pub mapped: bool,
}

/// Mappings kept for the report; counts stay exact past it.
pub const MAPPINGS_CAP: usize = 10_000;

/// The memory manager's state.
#[derive(Default, Debug)]
pub struct MmState {
    /// Every view made, in order (capped), and which are live (by virtual page).
    pub mappings: Vec<Mapping>,
    pub mapping_count: u64,
    live: BTreeMap<u64, usize>,
    /// Views made past the cap that are still mapped.
    overflow: BTreeMap<u64, Mapping>,
    /// Contiguous and non-cached allocations: base -> (physical base, size, caller).
    pub contiguous: BTreeMap<u64, Allocation>,
    /// MDLs MmAllocatePagesForMdl built: MDL -> (its frames, owner, caller).
    pub(crate) page_mdls: BTreeMap<u64, (Vec<u64>, Owner, u64)>,
    /// Handles MmSecureVirtualMemory gave out: handle -> (address, size).
    pub(crate) secured: BTreeMap<u64, (u64, u64)>,
    /// Sections: object -> what backs it.
    pub(crate) sections: BTreeMap<u64, section::Section>,
    /// Section views: base -> (section, size).
    pub(crate) views: BTreeMap<u64, (u64, u64)>,
}

/// A contiguous or non-cached allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allocation {
    #[serde(serialize_with = "crate::events::hex")]
    pub address: u64,
    #[serde(serialize_with = "crate::events::hex")]
    pub physical_address: u64,
    pub size: u64,
    pub cache: &'static str,
    pub owner: Owner,
    #[serde(serialize_with = "crate::events::hex")]
    pub caller: u64,
    pub noncached: bool,
}

impl MmState {
    /// The views still mapped.
    pub fn live(&self) -> impl Iterator<Item = &Mapping> {
        self.live.values().map(|&i| &self.mappings[i]).chain(self.overflow.values())
    }
}

/// The driver (or the kernel) making the current call.
pub(crate) fn owner_of_call(k: &Kx) -> Owner {
    k.ext().driver_at(caller(k)).map(Owner::Driver).unwrap_or(Owner::Kernel)
}

/// Records a new view at `va` (its page is the key).
pub(crate) fn record(k: &mut Kx, kind: MappingKind, va: u64, pa: u64, size: u64, cache: u32) {
    let (owner, at) = (owner_of_call(k), caller(k));
    record_from(k, kind, owner, at, va, pa, size, cache);
}

/// Records a new view at `va` made by `owner`'s code at `at`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_from(
    k: &mut Kx,
    kind: MappingKind,
    owner: Owner,
    at: u64,
    va: u64,
    pa: u64,
    size: u64,
    cache: u32,
) {
    let m = Mapping {
        kind,
        owner,
        caller: at,
        virtual_address: va,
        physical_address: pa,
        size,
        cache: cache_type_name(cache),
        mapped: kind != MappingKind::PageTableEntry,
    };
    let mm = &mut k.ext_mut().mm;
    mm.mapping_count += 1;
    if kind == MappingKind::PageTableEntry {
        if mm.mappings.len() < MAPPINGS_CAP {
            mm.mappings.push(m);
        }
        return;
    }
    let page = va & !0xFFF;
    if mm.mappings.len() < MAPPINGS_CAP {
        mm.mappings.push(m);
        mm.live.insert(page, mm.mappings.len() - 1);
    } else {
        mm.overflow.insert(page, m);
    }
}

/// The live view whose first page is `va`'s page.
pub(crate) fn live_at(k: &Kx, va: u64) -> Option<Mapping> {
    let mm = &k.ext().mm;
    let page = va & !0xFFF;
    mm.live.get(&page).map(|&i| mm.mappings[i].clone()).or_else(|| mm.overflow.get(&page).cloned())
}

/// Marks the view starting at `va`'s page unmapped.
pub(crate) fn forget(k: &mut Kx, va: u64) {
    let mm = &mut k.ext_mut().mm;
    let page = va & !0xFFF;
    if let Some(i) = mm.live.remove(&page) {
        mm.mappings[i].mapped = false;
    }
    mm.overflow.remove(&page);
}

/// Ends the run with bugcheck `code` (`name`), raised by the routine the driver called.
pub(crate) fn bugcheck(
    k: &mut Kx,
    code: u32,
    name: &'static str,
    params: [u64; 4],
    reason: String,
) -> crate::kernel::KError {
    let b = crate::kernel::Bugcheck { code, name, params, caller: caller(k), reason };
    crate::kernel::KError::Stop(crate::kernel::bugcheck_stop(k, b))
}

/// Pages spanned by `size` bytes from `va`.
pub(crate) fn span_pages(va: u64, size: u64) -> u64 {
    ((va % portcullis_emu::PAGE_SIZE) + size).div_ceil(portcullis_emu::PAGE_SIZE)
}

/// The contiguous, non-cached and MDL memory `owner` holds.
pub fn owned_memory(k: &Kx, owner: Owner) -> Vec<Allocation> {
    let mm = &k.ext().mm;
    let mut v: Vec<Allocation> = mm.contiguous.values().filter(|a| a.owner == owner).cloned().collect();
    for (&mdl, (frames, o, at)) in &mm.page_mdls {
        if *o == owner {
            v.push(Allocation {
                address: mdl,
                physical_address: frames.first().copied().unwrap_or(0),
                size: frames.len() as u64 * portcullis_emu::PAGE_SIZE,
                cache: "cached",
                owner,
                caller: *at,
                noncached: false,
            });
        }
    }
    v
}
