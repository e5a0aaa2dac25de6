//! Executive pool: ExAllocatePool*, ExFreePool*.
//!
//! Small blocks come from 64 KiB pool pages and carry a POOL_HEADER in front (as on
//! Windows, with the tag where drivers and debuggers look for it); blocks of a page or more
//! get their own page-aligned region with a guard page after it. Every block remembers its
//! owner (a driver, or the kernel itself for IRPs and buffers) and the address that asked
//! for it, so unload can report what a driver leaked. Freed small blocks are reused
//! first-fit by exact size class, deterministically.
#![allow(non_snake_case)]

use std::collections::{BTreeMap, BTreeSet};

use portcullis_emu::{Arch, LimitHit, MemError, Prot, RegionKind, Stop, PAGE_SIZE};
use serde::Serialize;

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::ob::Owner;
use crate::types::{PoolTag, Ptr, SizeT};

/// POOL_TYPE values drivers pass.
pub const NON_PAGED_POOL: u32 = 0;
pub const PAGED_POOL: u32 = 1;
/// The CACHE_ALIGNED_POOL_TYPE_MASK bit (NonPagedPoolCacheAligned = 4, PagedPoolCacheAligned = 5).
pub const CACHE_ALIGNED_POOL_TYPE_MASK: u32 = 4;
pub const NON_PAGED_POOL_NX: u32 = 512;
/// ExAllocatePool2 flags. The low 32 bits are required attributes (an allocation that cannot
/// honour one, or does not know it, fails); the high 32 bits are optional (ignored when not
/// understood).
pub const POOL_FLAG_USE_QUOTA: u64 = 0x1;
pub const POOL_FLAG_UNINITIALIZED: u64 = 0x2;
pub const POOL_FLAG_SESSION: u64 = 0x4;
pub const POOL_FLAG_CACHE_ALIGNED: u64 = 0x8;
pub const POOL_FLAG_RAISE_ON_FAILURE: u64 = 0x20;
pub const POOL_FLAG_NON_PAGED: u64 = 0x40;
pub const POOL_FLAG_NON_PAGED_EXECUTE: u64 = 0x80;
pub const POOL_FLAG_PAGED: u64 = 0x100;
/// The required flags this kernel can honour (POOL_FLAG_SESSION is not among them: there is
/// no session space; the reserved bits never are).
const POOL_FLAGS_SUPPORTED: u64 = POOL_FLAG_USE_QUOTA
    | POOL_FLAG_UNINITIALIZED
    | POOL_FLAG_CACHE_ALIGNED
    | POOL_FLAG_RAISE_ON_FAILURE
    | POOL_FLAG_NON_PAGED
    | POOL_FLAG_NON_PAGED_EXECUTE
    | POOL_FLAG_PAGED;
const POOL_FLAGS_REQUIRED: u64 = 0xFFFF_FFFF;
/// The tag used when none is given (ExAllocatePool): "None".
pub const TAG_NONE: u32 = u32::from_le_bytes(*b"None");
const PROTECTED_POOL: u32 = 0x8000_0000;
const CHUNK: u64 = 0x10000;
/// How many freed large-block addresses are remembered to tell a double free from a bad pointer.
const FREED_LARGE_MEMORY: usize = 4096;

/// A live allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    #[serde(serialize_with = "crate::events::hex")]
    pub address: u64,
    pub size: u64,
    #[serde(serialize_with = "crate::events::tag")]
    pub tag: u32,
    pub pool_type: u32,
    pub owner: Owner,
    /// Where the allocation was asked for.
    #[serde(serialize_with = "crate::events::hex")]
    pub caller: u64,
    #[serde(skip)]
    class: u64,
    #[serde(skip)]
    large: bool,
}

#[derive(Default, Debug)]
pub struct Pool {
    blocks: BTreeMap<u64, Block>,
    /// Freed small blocks by (executable, size class).
    free: BTreeMap<(bool, u64), Vec<u64>>,
    /// Addresses (as handed out) of the small blocks on the free lists.
    freed_small: BTreeSet<u64>,
    /// Addresses of recently freed large blocks (their regions are gone; large-block
    /// addresses are never handed out twice, so the oldest are the lowest).
    freed_large: BTreeSet<u64>,
    /// The current pool pages to carve from, executable and not.
    cursor: [Option<(u64, u64)>; 2],
    pub allocations: u64,
    pub frees: u64,
}

impl Pool {
    /// Live blocks owned by `owner`.
    pub fn owned_by(&self, owner: Owner) -> impl Iterator<Item = &Block> {
        self.blocks.values().filter(move |b| b.owner == owner)
    }

    pub fn block(&self, address: u64) -> Option<&Block> {
        self.blocks.get(&address)
    }

    pub fn live(&self) -> usize {
        self.blocks.len()
    }
}

fn header_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 8,
        Arch::X64 => 16,
    }
}

/// Executable pool: NonPagedPool (and its variants below 512) is executable on Windows 7.
fn executable(pool_type: u32) -> bool {
    pool_type & NON_PAGED_POOL_NX == 0 && pool_type & 1 == 0
}

/// The POOL_HEADER PoolType field of an allocated block (a free block has 0).
fn header_pool_type(pool_type: u32) -> u64 {
    pool_type as u64 + 1
}

/// Allocates `size` bytes for `owner`. `Ok(None)` when the request cannot be satisfied
/// (larger than the whole guest memory); running out of the memory budget ends the run.
pub fn allocate(k: &mut Kx, pool_type: u32, size: u64, tag: u32, owner: Owner, at: u64) -> KResult<Option<u64>> {
    let arch = k.arch();
    let limit = k.mem().usage().limit;
    if size >= limit {
        return Ok(None);
    }
    let exec = executable(pool_type);
    let prot = if exec { Prot::RWX } else { Prot::RW };
    let hdr = header_size(arch);
    // A zero-byte request gets the smallest block, as NT does (ReactOS: "based on NT's
    // similar behavior").
    let class = (size.max(1) + hdr).div_ceil(hdr) * hdr;
    // Cache-aligned pool types get whole pages: a page boundary is a cache-line boundary.
    let cache_aligned = pool_type & CACHE_ALIGNED_POOL_TYPE_MASK != 0;
    let g = k.guest_mut();
    let (address, large) = if class > PAGE_SIZE - hdr || cache_aligned {
        let name = format!("pool {}", crate::exports::args::tag_text(tag));
        let a = g.mem.alloc(RegionKind::Pool, name, size.max(1), prot).map_err(limit_stop)?;
        (a, true)
    } else {
        let reused = g.ext.pool.free.get_mut(&(exec, class)).and_then(Vec::pop);
        let start = match reused {
            Some(start) => start,
            None => {
                let slot = &mut g.ext.pool.cursor[exec as usize];
                match slot {
                    Some((cur, end)) if *end - *cur >= class => {
                        let s = *cur;
                        *cur += class;
                        s
                    }
                    _ => {
                        let base = g.mem.alloc(RegionKind::Pool, "nonpaged pool", CHUNK, prot).map_err(limit_stop)?;
                        *slot = Some((base + class, base + CHUNK));
                        base
                    }
                }
            }
        };
        write_header(&mut g.mem, arch, start, class, header_pool_type(pool_type), tag)?;
        g.ext.pool.freed_small.remove(&(start + hdr));
        (start + hdr, false)
    };
    let pool = &mut k.ext_mut().pool;
    pool.allocations += 1;
    pool.blocks.insert(address, Block { address, size, tag, pool_type, owner, caller: at, class, large });
    Ok(Some(address))
}

fn limit_stop(e: MemError) -> KError {
    match e {
        MemError::LimitExceeded { limit } => KError::Stop(Stop::Limit(LimitHit::Memory { limit })),
        other => KError::Mem(other),
    }
}

/// Writes a POOL_HEADER; `kind` is the PoolType field (the pool type + 1, or 0 when free).
fn write_header(
    mem: &mut portcullis_emu::GuestMemory,
    arch: Arch,
    at: u64,
    class: u64,
    kind: u64,
    tag: u32,
) -> Result<(), MemError> {
    let units = class / header_size(arch);
    let first = match arch {
        // PreviousSize:9 PoolIndex:7 BlockSize:9 PoolType:7
        Arch::X86 => ((units & 0x1FF) << 16) | ((kind & 0x7F) << 25),
        // PreviousSize:8 PoolIndex:8 BlockSize:8 PoolType:8
        Arch::X64 => ((units & 0xFF) << 16) | ((kind & 0xFF) << 24),
    };
    mem.write_u32(at, first as u32)?;
    mem.write_u32(at + 4, tag)?;
    Ok(())
}

/// The BAD_POOL_CALLER parameters for freeing `address`, which is not a live block:
/// 0x07 for a block that was freed already (P3 the pool header, P4 the block), 0x46 for an
/// address inside pool memory that no allocation returned, 0x42 for one that was never in
/// any pool.
fn bad_free(k: &Kx, address: u64) -> ([u64; 4], String) {
    let pool = &k.ext().pool;
    if pool.freed_small.contains(&address) {
        let header = k.mem().read_ptr(address.wrapping_sub(header_size(k.arch()))).unwrap_or(0);
        return ([0x07, 0, header, address], format!("double free of the pool block at {address:#x}"));
    }
    if pool.freed_large.contains(&address) {
        return ([0x07, 0, 0, address], format!("double free of the pool block at {address:#x}"));
    }
    if k.mem().region_at(address).is_some_and(|r| r.kind == RegionKind::Pool) {
        return (
            [0x46, address, 0, 0],
            format!("free of {address:#x}, inside pool memory but not the start of an allocated block"),
        );
    }
    ([0x42, address, 0, 0], format!("free of {address:#x}, which was never in any pool"))
}

/// Frees a block; `tag` is checked when given and not 0 (ExFreePoolWithTag(P, 0) is
/// ExFreePool). Bad frees bugcheck as on Windows.
pub fn free(k: &mut Kx, address: u64, tag: Option<u32>, at: u64) -> KResult<()> {
    let Some(block) = k.ext().pool.blocks.get(&address).cloned() else {
        let (params, reason) = bad_free(k, address);
        let b = Bugcheck { code: 0xC2, name: "BAD_POOL_CALLER", params, caller: at, reason };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    };
    if let Some(tag) = tag.filter(|&t| t != 0) {
        if tag & !PROTECTED_POOL != block.tag & !PROTECTED_POOL {
            let b = Bugcheck {
                code: 0xC2,
                name: "BAD_POOL_CALLER",
                params: [0x0A, address, block.tag as u64, tag as u64],
                caller: at,
                reason: format!(
                    "freed with tag '{}' but allocated with '{}'",
                    crate::exports::args::tag_text(tag),
                    crate::exports::args::tag_text(block.tag)
                ),
            };
            return Err(KError::Stop(bugcheck_stop(k, b)));
        }
    }
    let arch = k.arch();
    let hdr = header_size(arch);
    let exec = executable(block.pool_type);
    let g = k.guest_mut();
    if block.large {
        g.mem.free(address)?;
        let freed = &mut g.ext.pool.freed_large;
        freed.insert(address);
        if freed.len() > FREED_LARGE_MEMORY {
            freed.pop_first();
        }
    } else {
        // A free block's header keeps its size and tag, with PoolType 0.
        write_header(&mut g.mem, arch, address - hdr, block.class, 0, block.tag)?;
        g.ext.pool.free.entry((exec, block.class)).or_default().push(address - hdr);
        g.ext.pool.freed_small.insert(address);
    }
    g.ext.pool.blocks.remove(&address);
    g.ext.pool.frees += 1;
    Ok(())
}

fn owner_of(k: &Kx, at: u64) -> Owner {
    k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel)
}

pub(crate) fn zero(k: &mut Kx, at: u64, size: u64) -> KResult<()> {
    crate::rtl::memory::memset(k, Ptr(at), 0, SizeT(size))?;
    Ok(())
}

/// Allocates for the driver calling the current export (what the run-time library's
/// allocating routines do on its behalf); `None` when the request cannot be satisfied.
pub fn allocate_for_caller(k: &mut Kx, pool_type: u32, size: u64, tag: u32) -> KResult<Option<u64>> {
    let at = caller(k);
    let owner = owner_of(k, at);
    allocate(k, pool_type, size, tag, owner, at)
}

/// PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
pub fn ExAllocatePoolWithTag(k: &mut Kx, pool_type: u32, size: SizeT, tag: PoolTag) -> KResult<Ptr> {
    let at = caller(k);
    let owner = owner_of(k, at);
    Ok(Ptr(allocate(k, pool_type, size.0, tag.0, owner, at)?.unwrap_or(0)))
}

/// PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
/// EX_POOL_PRIORITY Priority): the priority only says which requests fail first when memory
/// runs low; the special-pool bits ask for the Driver Verifier's special pool, which is not
/// on. So: ExAllocatePoolWithTag.
pub fn ExAllocatePoolWithTagPriority(
    k: &mut Kx,
    pool_type: u32,
    size: SizeT,
    tag: PoolTag,
    _priority: u32,
) -> KResult<Ptr> {
    ExAllocatePoolWithTag(k, pool_type, size, tag)
}

/// PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes): tagged "None".
pub fn ExAllocatePool(k: &mut Kx, pool_type: u32, size: SizeT) -> KResult<Ptr> {
    let at = caller(k);
    let owner = owner_of(k, at);
    Ok(Ptr(allocate(k, pool_type, size.0, TAG_NONE, owner, at)?.unwrap_or(0)))
}

/// PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag): zeroed unless
/// POOL_FLAG_UNINITIALIZED. NULL when the tag is 0, when not exactly one of
/// POOL_FLAG_NON_PAGED / _NON_PAGED_EXECUTE / _PAGED is given, when a required flag (low 32
/// bits) is reserved, unknown or cannot be honoured (POOL_FLAG_SESSION: there is no session
/// space), or when memory runs out; optional flags (high 32 bits) are ignored. With
/// POOL_FLAG_RAISE_ON_FAILURE a failure raises STATUS_INSUFFICIENT_RESOURCES instead, which
/// the driver's handlers see like any exception.
pub fn ExAllocatePool2(k: &mut Kx, flags: u64, size: SizeT, tag: PoolTag) -> KResult<Ptr> {
    let kinds = [
        (POOL_FLAG_NON_PAGED, NON_PAGED_POOL_NX),
        (POOL_FLAG_NON_PAGED_EXECUTE, NON_PAGED_POOL),
        (POOL_FLAG_PAGED, PAGED_POOL),
    ];
    let chosen: Vec<u32> = kinds.iter().filter(|(f, _)| flags & f != 0).map(|(_, t)| *t).collect();
    let unsupported = flags & POOL_FLAGS_REQUIRED & !POOL_FLAGS_SUPPORTED;
    let at = caller(k);
    let pool_type = match chosen[..] {
        [t] if tag.0 != 0 && unsupported == 0 => Some(t),
        _ => None,
    };
    let pool_type =
        pool_type.map(|t| if flags & POOL_FLAG_CACHE_ALIGNED != 0 { t | CACHE_ALIGNED_POOL_TYPE_MASK } else { t });
    let owner = owner_of(k, at);
    let p = match pool_type {
        Some(t) => allocate(k, t, size.0, tag.0, owner, at)?,
        None => None,
    };
    let Some(p) = p else {
        if flags & POOL_FLAG_RAISE_ON_FAILURE != 0 {
            return Err(crate::seh::raise::raise_status(k, crate::types::status::INSUFFICIENT_RESOURCES.0));
        }
        return Ok(Ptr::NULL);
    };
    if flags & POOL_FLAG_UNINITIALIZED == 0 {
        zero(k, p, size.0)?;
    }
    Ok(Ptr(p))
}

/// POOL_QUOTA_FAIL_INSTEAD_OF_RAISE: a quota allocation that fails returns NULL.
const POOL_QUOTA_FAIL_INSTEAD_OF_RAISE: u32 = 8;

/// PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag):
/// charged to the current process's quota (which the emulated processes do not limit); a
/// failure raises STATUS_INSUFFICIENT_RESOURCES unless the type carries
/// POOL_QUOTA_FAIL_INSTEAD_OF_RAISE.
pub fn ExAllocatePoolWithQuotaTag(k: &mut Kx, pool_type: u32, size: SizeT, tag: PoolTag) -> KResult<Ptr> {
    let at = caller(k);
    let owner = owner_of(k, at);
    match allocate(k, pool_type & !POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, size.0, tag.0, owner, at)? {
        Some(p) => Ok(Ptr(p)),
        None if pool_type & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE != 0 => Ok(Ptr::NULL),
        None => Err(crate::seh::raise::raise_status(k, crate::types::status::INSUFFICIENT_RESOURCES.0)),
    }
}

/// PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes): tagged "None".
pub fn ExAllocatePoolWithQuota(k: &mut Kx, pool_type: u32, size: SizeT) -> KResult<Ptr> {
    ExAllocatePoolWithQuotaTag(k, pool_type, size, PoolTag(TAG_NONE))
}

/// VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
pub fn ExFreePoolWithTag(k: &mut Kx, p: Ptr, tag: PoolTag) -> KResult<()> {
    let at = caller(k);
    free(k, p.0, Some(tag.0), at)
}

/// VOID ExFreePool(PVOID P)
pub fn ExFreePool(k: &mut Kx, p: Ptr) -> KResult<()> {
    let at = caller(k);
    free(k, p.0, None, at)
}

/// A zeroed kernel-owned block (IRPs, objects, buffers): it must succeed, or the run ends on
/// the memory budget.
pub fn kernel_alloc(k: &mut Kx, size: u64, tag: &[u8; 4]) -> KResult<u64> {
    let limit = k.mem().usage().limit;
    let p = allocate(k, NON_PAGED_POOL_NX, size, u32::from_le_bytes(*tag), Owner::Kernel, 0)?
        .ok_or(KError::Stop(Stop::Limit(LimitHit::Memory { limit })))?;
    zero(k, p, size)?;
    Ok(p)
}
