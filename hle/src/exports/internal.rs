//! Kernel-internal routines drivers reach through pointers the kernel hands them rather than
//! through imports (the routine an unset `MajorFunction` entry points at). They go through the
//! same host-call slots, dispatcher and trace as exports, but no import binds to them.

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::{io, seh};

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Ntoskrnl,
    data: [],
    functions:
    stdcall fn IopInvalidDeviceRequest(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = io::IopInvalidDeviceRequest;
    // The handlers of the registrations x86 exception handling links around handler calls.
    #[x86] cdecl fn RtlpNestedExceptionHandler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::x86_frames::RtlpNestedExceptionHandler;
    #[x86] cdecl fn RtlpCollidedUnwindHandler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::x86_frames::RtlpCollidedUnwindHandler;
    #[x86] cdecl fn RtlpLocalUnwindHandler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::except_handler::RtlpLocalUnwindHandler;
};
