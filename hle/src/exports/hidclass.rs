//! hidclass.sys: the HID class driver (see ntoskrnl.rs for the form of a line; the routines
//! are in `crate::hidclass`).

use crate::exports::{Dll, ExportDef};
use crate::hidclass;
use crate::types::*;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Hidclass,
    data: [],
    functions:
    stdcall fn HidRegisterMinidriver(MinidriverRegistration: Ptr) -> NtStatus = hidclass::HidRegisterMinidriver;
};
