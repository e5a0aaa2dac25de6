//! storport.sys and scsiport.sys: the SCSI port drivers (see ntoskrnl.rs for the form of a
//! line; the routines are in `crate::storport` and `crate::scsiport`).

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::{scsiport, storport};

pub static STORPORT: &[ExportDef] = crate::exports! {
    dll: Dll::Storport,
    data: [],
    functions:
    stdcall fn StorPortInitialize(Argument1: Ptr, Argument2: Ptr, HwInitializationData: Ptr, HwContext: Ptr) -> u32 = storport::StorPortInitialize;
    #[varargs] cdecl fn StorPortNotification(NotificationType: u32, HwDeviceExtension: Ptr) -> () = storport::notification::StorPortNotification;
    stdcall fn StorPortGetLogicalUnit(HwDeviceExtension: Ptr, PathId: u8, TargetId: u8, Lun: u8) -> Ptr = storport::notification::StorPortGetLogicalUnit;
    #[varargs] cdecl fn StorPortExtendedFunction(FunctionCode: u32, HwDeviceExtension: Ptr) -> u32 = storport::notification::StorPortExtendedFunction;
};

pub static SCSIPORT: &[ExportDef] = crate::exports! {
    dll: Dll::Scsiport,
    data: [],
    functions:
    stdcall fn ScsiPortInitialize(Argument1: Ptr, Argument2: Ptr, HwInitializationData: Ptr, HwContext: Ptr) -> u32 = scsiport::ScsiPortInitialize;
    #[varargs] cdecl fn ScsiPortNotification(NotificationType: u32, HwDeviceExtension: Ptr) -> () = storport::notification::ScsiPortNotification;
    stdcall fn ScsiPortGetLogicalUnit(HwDeviceExtension: Ptr, PathId: u8, TargetId: u8, Lun: u8) -> Ptr = storport::notification::ScsiPortGetLogicalUnit;
};
