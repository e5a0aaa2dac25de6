//! NDIS generic objects: the NDIS handle a component without one (no miniport, filter or
//! protocol registration) allocates to draw NDIS resources from, such as net buffer list pools.
//! An NDIS_GENERIC_OBJECT is nonpaged pool with the caller's tag: the NDIS_OBJECT_HEADER, the
//! two reserved caller fields, the driver object, then `Size` zeroed bytes for the caller.
#![allow(non_snake_case)]

use crate::kernel::{caller, KResult, Kx};
use crate::types::Ptr;

/// NDIS_OBJECT_TYPE_GENERIC_OBJECT. The WDK keeps this value private to NDIS (ndis.h names it
/// in the documentation of NDIS_GENERIC_OBJECT but neither it nor ntddndis.h defines it); the
/// public NDIS_OBJECT_TYPE_* values leave 0x82 free between MINIPORT_INIT_PARAMETERS (0x81) and
/// SG_DMA_DESCRIPTION (0x83), and that is the value used here. Drivers treat the object as an
/// opaque handle.
pub const NDIS_OBJECT_TYPE_GENERIC_OBJECT: u8 = 0x82;
/// NDIS_GENERIC_OBJECT_REVISION_1.
pub const NDIS_GENERIC_OBJECT_REVISION_1: u8 = 1;
const NON_PAGED_POOL: u32 = 0;

/// sizeof(NDIS_GENERIC_OBJECT): the 4-byte header padded to a pointer, then three pointers.
pub fn object_size(ptr: u64) -> u64 {
    4 * ptr
}

/// PNDIS_GENERIC_OBJECT NdisAllocateGenericObject(PDRIVER_OBJECT DriverObject OPTIONAL,
/// ULONG Tag, USHORT Size): NULL when the pool is exhausted.
pub fn NdisAllocateGenericObject(k: &mut Kx, driver_object: Ptr, tag: u32, size: u16) -> KResult<Ptr> {
    let ptr = k.arch().ptr_size();
    let total = object_size(ptr) + size as u64;
    let Some(p) = crate::ex::pool::allocate_for_caller(k, NON_PAGED_POOL, total, tag)? else {
        return Ok(Ptr::NULL);
    };
    crate::ex::pool::zero(k, p, total)?;
    let at = caller(k);
    let mem = k.mem_mut();
    mem.write_u8(p, NDIS_OBJECT_TYPE_GENERIC_OBJECT)?;
    mem.write_u8(p + 1, NDIS_GENERIC_OBJECT_REVISION_1)?;
    mem.write_u16(p + 2, object_size(ptr) as u16)?;
    // Caller: where NDIS was called from (its CallersCaller would need a stack walk: left 0).
    mem.write_ptr(p + ptr, at)?;
    mem.write_ptr(p + 3 * ptr, driver_object.0)?;
    k.ext_mut().ndis.generic_objects.insert(p);
    Ok(Ptr(p))
}

/// VOID NdisFreeGenericObject(PNDIS_GENERIC_OBJECT NdisObject): back to the pool (a pointer
/// the pool does not know is the pool's bugcheck, as ExFreePool's).
pub fn NdisFreeGenericObject(k: &mut Kx, object: Ptr) -> KResult<()> {
    k.ext_mut().ndis.generic_objects.remove(&object.0);
    crate::ex::pool::ExFreePool(k, object)
}
