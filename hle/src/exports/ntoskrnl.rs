//! ntoskrnl.exe: every export the kernel implements, one line each (the form of a line is in
//! `table.rs`). An import not listed here (nor, for a routine that moved between the two
//! halves of the kernel, in hal.rs) is missing: see the loader and `signatures.rs`.

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::{ex, io, ke, mm, ob, ps, rtl, seh};

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Ntoskrnl,
    data: [
        KeTickCount,
        KeNumberProcessors,
        NtBuildNumber,
        InitSafeBootMode,
        KdDebuggerEnabled,
        KdDebuggerNotPresent,
        PsInitialSystemProcess,
        IoFileObjectType,
        IoDeviceObjectType,
        IoDriverObjectType,
        PsProcessType,
        PsThreadType,
        MmHighestUserAddress,
        MmSystemRangeStart,
        MmUserProbeAddress,
    ],
    functions:
    // Run-time library and C runtime (rtl/).
    stdcall fn RtlInitUnicodeString(DestinationString: Ptr, SourceString: PCWSTR) -> () = rtl::unicode::RtlInitUnicodeString;
    stdcall fn RtlInitAnsiString(DestinationString: Ptr, SourceString: PCSTR) -> () = rtl::unicode::RtlInitAnsiString;
    stdcall fn RtlCopyUnicodeString(DestinationString: Ptr, SourceString: PUnicodeString) -> () = rtl::unicode::RtlCopyUnicodeString;
    stdcall fn RtlCompareMemory(Source1: Ptr, Source2: Ptr, Length: SizeT) -> SizeT = rtl::memory::RtlCompareMemory;
    cdecl fn memcpy(Destination: Ptr, Source: Ptr, Count: SizeT) -> Ptr = rtl::memory::memcpy;
    cdecl fn memmove(Destination: Ptr, Source: Ptr, Count: SizeT) -> Ptr = rtl::memory::memmove;
    cdecl fn memset(Destination: Ptr, Value: i32, Count: SizeT) -> Ptr = rtl::memory::memset;

    // I/O manager (io/).
    stdcall fn IoCreateDevice(DriverObject: Ptr, DeviceExtensionSize: u32, DeviceName: PUnicodeString, DeviceType: u32, DeviceCharacteristics: u32, Exclusive: Boolean, DeviceObject: Ptr) -> NtStatus = io::device::IoCreateDevice;
    stdcall fn IoDeleteDevice(DeviceObject: Ptr) -> () = io::device::IoDeleteDevice;
    stdcall fn IoCreateSymbolicLink(SymbolicLinkName: PUnicodeString, DeviceName: PUnicodeString) -> NtStatus = io::symlink::IoCreateSymbolicLink;
    stdcall fn IoDeleteSymbolicLink(SymbolicLinkName: PUnicodeString) -> NtStatus = io::symlink::IoDeleteSymbolicLink;
    fastcall fn IofCallDriver(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = io::irp::IofCallDriver;
    fastcall fn IofCompleteRequest(Irp: Ptr, PriorityBoost: u8) -> () = io::irp::IofCompleteRequest;
    stdcall fn IoGetCurrentProcess() -> Ptr = ps::process::IoGetCurrentProcess;
    #[x64] stdcall fn IoIs32bitProcess(Irp: Ptr) -> Boolean = ps::process::IoIs32bitProcess;

    // Executive pool (ex/pool.rs).
    stdcall fn ExAllocatePoolWithTag(PoolType: u32, NumberOfBytes: SizeT, Tag: PoolTag) -> Ptr = ex::pool::ExAllocatePoolWithTag;
    stdcall fn ExAllocatePool(PoolType: u32, NumberOfBytes: SizeT) -> Ptr = ex::pool::ExAllocatePool;
    stdcall fn ExAllocatePool2(Flags: u64, NumberOfBytes: SizeT, Tag: PoolTag) -> Ptr = ex::pool::ExAllocatePool2;
    stdcall fn ExFreePoolWithTag(P: Ptr, Tag: PoolTag) -> () = ex::pool::ExFreePoolWithTag;
    stdcall fn ExFreePool(P: Ptr) -> () = ex::pool::ExFreePool;

    // Objects and handles (ob/).
    fastcall fn ObfReferenceObject(Object: Ptr) -> SizeT = ob::ObfReferenceObject;
    fastcall fn ObfDereferenceObject(Object: Ptr) -> SizeT = ob::ObfDereferenceObject;

    // Registry (cm/).

    // Files and system information (zw/, io/).

    // Memory manager (mm/).
    stdcall fn MmMapLockedPagesSpecifyCache(MemoryDescriptorList: Ptr, AccessMode: u8, CacheType: u32, RequestedAddress: Ptr, BugCheckOnFailure: u32, Priority: u32) -> Ptr = mm::mdl::MmMapLockedPagesSpecifyCache;
    stdcall fn MmUnmapLockedPages(BaseAddress: Ptr, MemoryDescriptorList: Ptr) -> () = mm::mdl::MmUnmapLockedPages;

    // Kernel: bugchecks, IRQL, debug output (ke/).
    stdcall fn KeBugCheckEx(BugCheckCode: u32, BugCheckParameter1: SizeT, BugCheckParameter2: SizeT, BugCheckParameter3: SizeT, BugCheckParameter4: SizeT) -> () = ke::bugcheck::KeBugCheckEx;
    #[x64] stdcall fn KeGetCurrentIrql() -> u8 = ke::irql::KeGetCurrentIrql;
    #[varargs] cdecl fn DbgPrint(Format: PCSTR) -> NtStatus = ke::debug::DbgPrint;
    #[varargs] cdecl fn DbgPrintEx(ComponentId: u32, Level: u32, Format: PCSTR) -> NtStatus = ke::debug::DbgPrintEx;

    // Dispatcher objects, waits, threads, DPCs, timers, work items, locks (ke/, ex/, ps/).

    // Processes and threads (ps/).

    // Exceptions and unwinding (seh/).
    #[x64] stdcall fn __C_specific_handler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::c_specific_handler::__C_specific_handler;
    #[x64] stdcall fn _local_unwind(TargetFrame: Ptr, TargetIp: Ptr) -> () = seh::unwind::_local_unwind;
    #[x64] stdcall fn RtlUnwindEx(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr, ContextRecord: Ptr, HistoryTable: Ptr) -> () = seh::unwind::RtlUnwindEx;
    #[x64] stdcall fn RtlUnwind(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr) -> () = seh::unwind::RtlUnwind64;
    #[x86] stdcall fn RtlUnwind(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr) -> SizeT = seh::x86_frames::RtlUnwind;
    #[x64] stdcall fn RtlVirtualUnwind(HandlerType: u32, ImageBase: u64, ControlPc: u64, FunctionEntry: Ptr, ContextRecord: Ptr, HandlerData: Ptr, EstablisherFrame: Ptr, ContextPointers: Ptr) -> Ptr = seh::virtual_unwind::RtlVirtualUnwind;
    #[x64] stdcall fn RtlLookupFunctionEntry(ControlPc: u64, ImageBase: Ptr, HistoryTable: Ptr) -> Ptr = seh::pdata::RtlLookupFunctionEntry;
    stdcall fn RtlCaptureContext(ContextRecord: Ptr) -> () = seh::context::RtlCaptureContext;
    #[x64] stdcall fn RtlRestoreContext(ContextRecord: Ptr, ExceptionRecord: Ptr) -> () = seh::context::RtlRestoreContext;
    stdcall fn RtlCaptureStackBackTrace(FramesToSkip: u32, FramesToCapture: u32, BackTrace: Ptr, BackTraceHash: Ptr) -> u16 = seh::backtrace::RtlCaptureStackBackTrace;
    stdcall fn RtlWalkFrameChain(Callers: Ptr, Count: u32, Flags: u32) -> u32 = seh::backtrace::RtlWalkFrameChain;
    stdcall fn RtlRaiseException(ExceptionRecord: Ptr) -> () = seh::raise::RtlRaiseException;
    stdcall fn ExRaiseStatus(Status: NtStatus) -> () = seh::raise::ExRaiseStatus;
    stdcall fn ExRaiseAccessViolation() -> () = seh::raise::ExRaiseAccessViolation;
    stdcall fn ExRaiseDatatypeMisalignment() -> () = seh::raise::ExRaiseDatatypeMisalignment;
    stdcall fn ProbeForRead(Address: Ptr, Length: SizeT, Alignment: u32) -> () = seh::probe::ProbeForRead;
    stdcall fn ProbeForWrite(Address: Ptr, Length: SizeT, Alignment: u32) -> () = seh::probe::ProbeForWrite;
    stdcall fn MmCopyMemory(TargetAddress: Ptr, SourceAddress: u64, NumberOfBytes: SizeT, Flags: u32, NumberOfBytesTransferred: Ptr) -> NtStatus = mm::copy::MmCopyMemory;
    #[x86] cdecl fn _except_handler2(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::except_handler::_except_handler2;
    #[x86] cdecl fn _except_handler3(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::except_handler::_except_handler3;
    #[x86] cdecl fn _local_unwind2(Registration: Ptr, StopLevel: u32) -> () = seh::except_handler::_local_unwind2;
    #[x86] cdecl fn _global_unwind2(Registration: Ptr) -> () = seh::except_handler::_global_unwind2;
    #[x86] cdecl fn _abnormal_termination() -> u32 = seh::except_handler::_abnormal_termination;

    // Security, power, tracing (se/, po/, etw/).
};
