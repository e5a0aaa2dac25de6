//! tdi.sys: the Transport Driver Interface library (see ntoskrnl.rs for the form of a line;
//! the routines are in `crate::tdi`).

use crate::exports::{Dll, ExportDef};
use crate::tdi;
use crate::types::*;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Tdi,
    data: [],
    functions:
    stdcall fn TdiMapUserRequest(DeviceObject: Ptr, Irp: Ptr, IrpSp: Ptr) -> NtStatus = tdi::TdiMapUserRequest;
};
