//! Questions about addresses: the physical address behind a virtual one and back, the RAM the
//! machine has, and whether an address may be touched.
#![allow(non_snake_case)]

use portcullis_emu::{RegionKind, PAGE_SIZE};

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, Ptr};

/// PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
///
/// The physical address behind a valid virtual address (a view of device memory the machine
/// denies included: its frame is known), 0 for one that is not mapped.
pub fn MmGetPhysicalAddress(k: &mut Kx, va: Ptr) -> KResult<u64> {
    let va = k.arch().mask(va.0);
    Ok(k.mem().translate(va).or_else(|| k.mem().physical().denied_view(va)).unwrap_or(0))
}

/// PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress)
///
/// The kernel virtual address of a physical address that some system-space mapping holds
/// (pool, an I/O-space view, a stack...), the first found in address order; a page of the
/// page tables (CR3's included) answers with its address in the page-table window, as
/// Windows' does; NULL when nothing maps it.
pub fn MmGetVirtualForPhysical(k: &mut Kx, pa: u64) -> KResult<Ptr> {
    let frame = pa & !(PAGE_SIZE - 1);
    let mem = k.mem();
    if let Some(va) = mem.page_table_address(pa) {
        return Ok(Ptr(va));
    }
    let regions: Vec<(u64, u64)> =
        mem.regions().filter(|r| r.kind != RegionKind::User).map(|r| (r.base, r.size)).collect();
    for (base, size) in regions {
        k.check_budget().map_err(crate::kernel::KError::Stop)?;
        for page in (base..base + size).step_by(PAGE_SIZE as usize) {
            if k.mem().translate(page) == Some(frame) {
                return Ok(Ptr(page + pa % PAGE_SIZE));
            }
        }
    }
    Ok(Ptr::NULL)
}

/// PPHYSICAL_MEMORY_RANGE MmGetPhysicalMemoryRanges(void)
///
/// The machine's RAM as an array of (base, size) pairs ending with a zero pair, in nonpaged
/// pool the caller frees with ExFreePool; NULL when the pool cannot provide it. As Windows
/// reports it, the first page and the extended BIOS data area's page of conventional memory
/// belong to the firmware.
pub fn MmGetPhysicalMemoryRanges(k: &mut Kx) -> KResult<Ptr> {
    let ranges: Vec<(u64, u64)> = k
        .mem()
        .physical()
        .ram_ranges()
        .into_iter()
        .map(|(base, size)| if base == 0 { (PAGE_SIZE, size - 2 * PAGE_SIZE) } else { (base, size) })
        .collect();
    let bytes = (ranges.len() as u64 + 1) * 16;
    let Some(at) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, bytes, u32::from_le_bytes(*b"hPmM"))? else {
        return Ok(Ptr::NULL);
    };
    let mut out = Vec::with_capacity(bytes as usize);
    for (base, size) in ranges {
        out.extend(base.to_le_bytes());
        out.extend(size.to_le_bytes());
    }
    out.extend([0u8; 16]);
    k.mem_mut().write(at, &out)?;
    Ok(Ptr(at))
}

/// BOOLEAN MmIsAddressValid(PVOID VirtualAddress)
///
/// Whether reading the address would not fault.
pub fn MmIsAddressValid(k: &mut Kx, va: Ptr) -> KResult<Boolean> {
    Ok(Boolean(k.mem().translate(va.0).is_some()))
}

/// BOOLEAN MmIsNonPagedSystemAddressValid(PVOID VirtualAddress)
///
/// Whether the address is system space that may be touched at any IRQL (nothing here is
/// ever paged out).
pub fn MmIsNonPagedSystemAddressValid(k: &mut Kx, va: Ptr) -> KResult<Boolean> {
    let arch = k.arch();
    Ok(Boolean(!crate::seh::trap::is_user(arch, va.0) && k.mem().translate(va.0).is_some()))
}
