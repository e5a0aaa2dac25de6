//! scsiport.sys: the older SCSI port driver. Its registration, adapters and notifications are
//! the Storport model's (`crate::storport`) with scsiport's HW_INITIALIZATION_DATA (through
//! HwAdapterControl), its HwFindAdapter (no device objects) and its \Device\ScsiPortN names.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::storport::{register, PortKind};
use crate::types::Ptr;

/// ULONG ScsiPortInitialize(PVOID Argument1, PVOID Argument2, PHW_INITIALIZATION_DATA
/// HwInitializationData, PVOID HwContext)
pub fn ScsiPortInitialize(
    k: &mut Kx,
    driver_object: Ptr,
    _registry_path: Ptr,
    init: Ptr,
    hw_context: Ptr,
) -> KResult<u32> {
    Ok(register(k, PortKind::Scsiport, driver_object.0, init.0, hw_context.0)?.0)
}
