//! wmilib.sys: the WMI library (see ntoskrnl.rs for the form of a line; the routines are in
//! `crate::wmilib`).

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::wmilib;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Wmilib,
    data: [],
    functions:
    stdcall fn WmiSystemControl(WmiLibInfo: Ptr, DeviceObject: Ptr, Irp: Ptr, IrpDisposition: Ptr) -> NtStatus = wmilib::WmiSystemControl;
    stdcall fn WmiCompleteRequest(DeviceObject: Ptr, Irp: Ptr, Status: NtStatus, BufferUsed: u32, PriorityBoost: u8) -> NtStatus = wmilib::WmiCompleteRequest;
    stdcall fn WmiFireEvent(DeviceObject: Ptr, Guid: Ptr, InstanceIndex: u32, EventDataSize: u32, EventData: Ptr) -> NtStatus = wmilib::WmiFireEvent;
};
