//! The memory manager's answers about the system and the driver: how big the system is,
//! whether it is a server, securing user memory, and driver paging (nothing here is ever
//! paged, so locking a driver in memory is already true).
#![allow(non_snake_case)]

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, Ptr, SizeT, HANDLE};

/// MM_SYSTEMSIZE MmQuerySystemSize(void): MmLargeSystem above 19 MiB of RAM, as Windows
/// decides it.
pub fn MmQuerySystemSize(k: &mut Kx) -> KResult<u32> {
    let ram: u64 = k.mem().physical().ram_ranges().iter().map(|r| r.1).sum();
    Ok(match ram >> 20 {
        0..=12 => 0,
        13..=19 => 1,
        _ => 2,
    })
}

/// BOOLEAN MmIsThisAnNtAsSystem(void): whether the system is a server product. The kernel
/// presents a workstation.
pub fn MmIsThisAnNtAsSystem(_k: &mut Kx) -> KResult<Boolean> {
    Ok(Boolean(false))
}

/// PAGE_* probe modes MmSecureVirtualMemory takes.
const PAGE_READONLY: u32 = 0x02;
const PAGE_READWRITE: u32 = 0x04;

/// HANDLE MmSecureVirtualMemory(PVOID Address, SIZE_T Size, ULONG ProbeMode)
///
/// Secures a user-space range that is mapped with at least the protection `ProbeMode` asks
/// (PAGE_READONLY or PAGE_READWRITE); NULL when it is not. The handle is freed by
/// MmUnsecureVirtualMemory.
pub fn MmSecureVirtualMemory(k: &mut Kx, address: Ptr, size: SizeT, probe: u32) -> KResult<Ptr> {
    let arch = k.arch();
    let write = match probe {
        PAGE_READONLY => false,
        PAGE_READWRITE => true,
        _ => return Ok(Ptr::NULL),
    };
    let Some(end) = address.0.checked_add(size.0) else { return Ok(Ptr::NULL) };
    if size.0 == 0 || !crate::seh::trap::is_user(arch, address.0) || !crate::seh::trap::is_user(arch, end - 1) {
        return Ok(Ptr::NULL);
    }
    for page in (address.0 & !0xFFF..end).step_by(0x1000) {
        match k.mem().prot_at(page) {
            Some(p) if !write || p.write => {}
            _ => return Ok(Ptr::NULL),
        }
    }
    let Some(handle) = pool::allocate_for_caller(k, pool::NON_PAGED_POOL_NX, 16, u32::from_le_bytes(*b"MmSe"))? else {
        return Ok(Ptr::NULL);
    };
    k.ext_mut().mm.secured.insert(handle, (address.0, size.0));
    Ok(Ptr(handle))
}

/// VOID MmUnsecureVirtualMemory(HANDLE SecureHandle)
pub fn MmUnsecureVirtualMemory(k: &mut Kx, handle: HANDLE) -> KResult<()> {
    if k.ext_mut().mm.secured.remove(&handle.0).is_some() {
        let at = crate::kernel::caller(k);
        pool::free(k, handle.0, None, at)?;
    }
    Ok(())
}

/// PVOID MmPageEntireDriver(PVOID AddressWithinSection): the base of the driver image holding
/// the address (NULL when none does). Nothing is paged here, so the driver stays resident.
pub fn MmPageEntireDriver(k: &mut Kx, address: Ptr) -> KResult<Ptr> {
    Ok(match k.ext().driver_at(address.0) {
        Some(d) => Ptr(k.ext().drivers()[d].image.base),
        None => Ptr::NULL,
    })
}

/// VOID MmResetDriverPaging(PVOID AddressWithinSection): the driver's sections are resident
/// already.
pub fn MmResetDriverPaging(_k: &mut Kx, _address: Ptr) -> KResult<()> {
    Ok(())
}

/// LOGICAL MmIsDriverVerifying(PDRIVER_OBJECT DriverObject): Driver Verifier watches no
/// driver here.
pub fn MmIsDriverVerifying(_k: &mut Kx, _driver: Ptr) -> KResult<u32> {
    Ok(0)
}
