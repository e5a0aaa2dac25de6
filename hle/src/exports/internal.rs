//! Kernel-internal routines drivers reach through pointers the kernel hands them rather than
//! through imports (the routine an unset `MajorFunction` entry points at). They go through the
//! same host-call slots, dispatcher and trace as exports, but no import binds to them.

use crate::exports::{Dll, ExportDef};
use crate::io;
use crate::types::*;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Ntoskrnl,
    data: [],
    functions:
    stdcall fn IopInvalidDeviceRequest(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = io::IopInvalidDeviceRequest;
    stdcall fn IopCsqCancelRoutine(DeviceObject: Ptr, Irp: Ptr) -> () = io::queue::IopCsqCancelRoutine;
    stdcall fn PnpBusDispatch(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = crate::pnp::PnpBusDispatch;
};
