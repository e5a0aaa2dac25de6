//! wdfldr.sys: every export the kernel implements, one line each (see ntoskrnl.rs for the
//! form). The framework's own function table is `crate::wdf::table`.

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::wdf::ldr;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Wdfldr,
    data: [],
    functions:
    stdcall fn WdfVersionBind(DriverObject: Ptr, RegistryPath: PUnicodeString, BindInfo: Ptr, ComponentGlobals: Ptr) -> NtStatus = ldr::WdfVersionBind;
    stdcall fn WdfVersionUnbind(RegistryPath: PUnicodeString, BindInfo: Ptr, ComponentGlobals: Ptr) -> NtStatus = ldr::WdfVersionUnbind;
    stdcall fn WdfVersionBindClass(RegistryPath: PUnicodeString, BindInfo: Ptr, ClassBindInfo: Ptr) -> NtStatus = ldr::WdfVersionBindClass;
    stdcall fn WdfVersionUnbindClass(RegistryPath: PUnicodeString, BindInfo: Ptr, ClassBindInfo: Ptr) -> () = ldr::WdfVersionUnbindClass;
};
