//! WMI data blocks a driver opens: IoWMIOpenBlock, IoWMIQuerySingleInstance,
//! IoWMISetSingleInstance.
//!
//! A data block object is a WmiGuid object naming a GUID, with the access it was opened for;
//! the caller closes it with ObDereferenceObject. Opening a GUID nobody provides succeeds, as
//! on Windows (a consumer may open a block before its provider registers). Queries and sets
//! go to the block's provider; here no driver provides a data block (the WMI service's
//! IRP_MN_REGINFO requests, which tell WMI a provider's blocks, are not sent), so every
//! instance query or set is answered as for a GUID no provider has registered:
//! STATUS_WMI_GUID_NOT_FOUND. A block opened without the access the request needs is
//! STATUS_ACCESS_DENIED first.
#![allow(non_snake_case)]

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// WMIGUID_* access rights.
const WMIGUID_QUERY: u32 = 0x1;
const WMIGUID_SET: u32 = 0x2;
const WMIGUID_ALL: u32 = 0x1_2FFF;
const STANDARD_AND_GENERIC: u32 = 0xF01F_0000;
/// STATUS_WMI_GUID_NOT_FOUND.
pub const STATUS_WMI_GUID_NOT_FOUND: NtStatus = NtStatus(0xC000_0295);

/// An open data block: its GUID and the access it was opened for.
#[derive(Clone, Debug)]
pub struct DataBlock {
    pub guid: [u8; 16],
    pub access: u32,
}

/// NTSTATUS IoWMIOpenBlock(LPCGUID Guid, ULONG DesiredAccess, PVOID *DataBlockObject)
pub fn IoWMIOpenBlock(k: &mut Kx, guid: Ptr, access: u32, out: Ptr) -> KResult<NtStatus> {
    let g = crate::etw::read_guid(k, guid.0)?;
    if access & !(WMIGUID_ALL | STANDARD_AND_GENERIC) != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    k.mem().read_ptr(out.0)?;
    let object = pool::kernel_alloc(k, 0x40, b"WmiG")?;
    let owner = crate::ob::handles::owner_of_call(k);
    k.ext_mut().objects.register_transient(object, ObjectKind::WmiGuid, None, owner, false);
    k.ext_mut().io.wmi_blocks.insert(object, DataBlock { guid: g, access });
    crate::ob::handles::reference(k, object);
    k.mem_mut().write_ptr(out.0, object)?;
    Ok(status::SUCCESS)
}

/// The block a data block object names; anything else is a bad reference.
fn block(k: &mut Kx, object: u64, what: &str) -> KResult<DataBlock> {
    match k.ext().io.wmi_blocks.get(&object) {
        Some(b) => Ok(b.clone()),
        None => Err(crate::ob::bad_reference(k, object, what)),
    }
}

/// NTSTATUS IoWMIQuerySingleInstance(PVOID DataBlockObject, PUNICODE_STRING InstanceName,
/// PULONG InOutBufferSize, PVOID OutBuffer)
pub fn IoWMIQuerySingleInstance(
    k: &mut Kx,
    object: Ptr,
    _instance: PUnicodeString,
    size: Ptr,
    _out: Ptr,
) -> KResult<NtStatus> {
    let b = block(k, object.0, "IoWMIQuerySingleInstance")?;
    k.mem().read_u32(size.0)?;
    if b.access & WMIGUID_QUERY == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    Ok(STATUS_WMI_GUID_NOT_FOUND)
}

/// NTSTATUS IoWMISetSingleInstance(PVOID DataBlockObject, PUNICODE_STRING InstanceName, ULONG
/// Version, ULONG ValueBufferSize, PVOID ValueBuffer)
pub fn IoWMISetSingleInstance(
    k: &mut Kx,
    object: Ptr,
    _instance: PUnicodeString,
    _version: u32,
    _length: u32,
    _buffer: Ptr,
) -> KResult<NtStatus> {
    let b = block(k, object.0, "IoWMISetSingleInstance")?;
    if b.access & WMIGUID_SET == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    Ok(STATUS_WMI_GUID_NOT_FOUND)
}

/// A data block object's last reference went.
pub(crate) fn deleted(k: &mut Kx, object: u64) -> KResult<()> {
    if k.ext_mut().io.wmi_blocks.remove(&object).is_some() {
        pool::free(k, object, None, 0)?;
    }
    Ok(())
}
