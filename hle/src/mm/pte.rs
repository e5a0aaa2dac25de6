//! Page-table entries a driver writes through the self-map.
//!
//! Windows maps its page tables into kernel space (the self-map), and drivers that read
//! physical memory without MmMapIoSpace — memory acquisition tools such as WinPmem's PTE
//! remapping — find the entry of a page of their own there and point it at another frame.
//! Here the host keeps the tables (with its translation cache, the user view and each
//! region's frames beside them), so the window is read-only to the guest: the write faults
//! and the kernel completes it. The instruction's store is computed (`mov`, `or`, `and`,
//! `xor` into the entry), applied to the leaf entry of a page of a *view* (frames another
//! region owns, or device memory: MmMapLockedPages, MmMapIoSpace), traced as a view of the
//! new frame, and execution resumes after the instruction. The frame is mediated as every
//! view's is: a denied physical range stays not-present. Entries of tables above the
//! leaves, of pages a region owns (its frames would be lost), or stores the kernel cannot
//! compute are refused by name.

use portcullis_emu::{Arch, CpuContext, GuestException, PAGE_SIZE};

use crate::kernel::Kx;
use crate::mm::MappingKind;
use crate::ob::Owner;

/// Completes the write of the instruction at `e.pc` into the page-table window at
/// `address`: Ok with the context to resume with, or Err naming what the sandbox refuses.
pub(crate) fn written(k: &mut Kx, e: &GuestException, address: u64, ctx: &CpuContext) -> Result<CpuContext, String> {
    let arch = k.arch();
    let refused =
        |what: String| format!("a write through the page-table self-map to the entry at {address:#x}: {what}");
    let store = k.emulate_store(e.pc).map_err(refused)?;
    let entry_size = match arch {
        Arch::X86 => 4,
        Arch::X64 => 8,
    };
    let entry_at = store.address & !(entry_size - 1);
    if store.address + store.size as u64 > entry_at + entry_size {
        return Err(refused(format!("a {}-byte store across two entries", store.size)));
    }
    let (start, end) = k.mem().page_table_window();
    if !(start..end).contains(&entry_at) {
        return Err(refused(format!("the store reaches {:#x}, outside the window", store.address)));
    }
    let va = mapped_by(arch, start, entry_at);
    if (start..end).contains(&va) {
        return Err(refused(format!("it is the entry of a page table (for {va:#x}), not of a page")));
    }
    let mut bytes = [0u8; 8];
    k.mem().read(entry_at, &mut bytes[..entry_size as usize]).map_err(|e| refused(e.to_string()))?;
    let shift = (store.address - entry_at) * 8;
    let mask = if store.size == 8 { u64::MAX } else { ((1u64 << (store.size * 8)) - 1) << shift };
    let entry = (u64::from_le_bytes(bytes) & !mask) | ((store.value << shift) & mask);
    let frame = k.mem_mut().repoint_view_page(va, entry).map_err(|e| {
        format!("a write through the page-table self-map to the entry at {address:#x} (mapping {va:#x}): {e}")
    })?;
    if let Some(pa) = frame {
        let owner = k.ext().driver_at(e.pc).map(Owner::Driver).unwrap_or(Owner::Kernel);
        // PCD (bit 4) makes the page uncached; PWT alone, write-through, is cached here.
        let cache = if entry & 0x10 != 0 { 0 } else { 1 };
        crate::mm::record_from(k, MappingKind::PageTableEntry, owner, e.pc, va, pa, PAGE_SIZE, cache);
    }
    let mut next = ctx.clone();
    next.ip = e.pc + store.len;
    next.flags = store.flags;
    Ok(next)
}

/// The address whose mapping the page-table entry at `entry` (in the window from `base`)
/// holds: each level of the self-map shifts by the entries a table holds.
pub(crate) fn mapped_by(arch: Arch, base: u64, entry: u64) -> u64 {
    match arch {
        Arch::X86 => ((entry - base) << 10) & 0xFFFF_FFFF,
        // Sign-extended from bit 47.
        Arch::X64 => ((((entry - base) << 9) << 16) as i64 >> 16) as u64,
    }
}
