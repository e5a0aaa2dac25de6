//! ntoskrnl.exe: every export the kernel implements, one line each (the form of a line is in
//! `table.rs`). An import not listed here (nor, for a routine that moved between the two
//! halves of the kernel, in hal.rs) is missing: see the loader and `signatures.rs`.

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::{ex, io, ke, mm, ob, ps, rtl};

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
    // Counted Unicode strings (rtl/unicode.rs).
    stdcall fn RtlInitUnicodeString(DestinationString: Ptr, SourceString: PCWSTR) -> () = rtl::unicode::RtlInitUnicodeString;
    stdcall fn RtlInitUnicodeStringEx(DestinationString: Ptr, SourceString: PCWSTR) -> NtStatus = rtl::unicode::RtlInitUnicodeStringEx;
    stdcall fn RtlCopyUnicodeString(DestinationString: Ptr, SourceString: PUnicodeString) -> () = rtl::unicode::RtlCopyUnicodeString;
    stdcall fn RtlAppendUnicodeStringToString(Destination: PUnicodeString, Source: PUnicodeString) -> NtStatus = rtl::unicode::RtlAppendUnicodeStringToString;
    stdcall fn RtlAppendUnicodeToString(Destination: PUnicodeString, Source: PCWSTR) -> NtStatus = rtl::unicode::RtlAppendUnicodeToString;
    stdcall fn RtlCompareUnicodeString(String1: PUnicodeString, String2: PUnicodeString, CaseInSensitive: Boolean) -> i32 = rtl::unicode::RtlCompareUnicodeString;
    stdcall fn RtlCompareUnicodeStrings(String1: PCWSTR, String1Length: SizeT, String2: PCWSTR, String2Length: SizeT, CaseInSensitive: Boolean) -> i32 = rtl::unicode::RtlCompareUnicodeStrings;
    stdcall fn RtlEqualUnicodeString(String1: PUnicodeString, String2: PUnicodeString, CaseInSensitive: Boolean) -> Boolean = rtl::unicode::RtlEqualUnicodeString;
    stdcall fn RtlPrefixUnicodeString(String1: PUnicodeString, String2: PUnicodeString, CaseInSensitive: Boolean) -> Boolean = rtl::unicode::RtlPrefixUnicodeString;
    stdcall fn RtlUpcaseUnicodeString(DestinationString: PUnicodeString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::unicode::RtlUpcaseUnicodeString;
    stdcall fn RtlDowncaseUnicodeString(DestinationString: PUnicodeString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::unicode::RtlDowncaseUnicodeString;
    stdcall fn RtlHashUnicodeString(String: PUnicodeString, CaseInSensitive: Boolean, HashAlgorithm: u32, HashValue: Ptr) -> NtStatus = rtl::unicode::RtlHashUnicodeString;
    stdcall fn RtlDuplicateUnicodeString(Flags: u32, StringIn: PUnicodeString, StringOut: Ptr) -> NtStatus = rtl::unicode::RtlDuplicateUnicodeString;
    stdcall fn RtlFreeUnicodeString(UnicodeString: PUnicodeString) -> () = rtl::unicode::RtlFreeUnicodeString;
    stdcall fn RtlCreateUnicodeString(DestinationString: Ptr, SourceString: PCWSTR) -> Boolean = rtl::unicode::RtlCreateUnicodeString;
    stdcall fn RtlValidateUnicodeString(Flags: u32, String: PUnicodeString) -> NtStatus = rtl::unicode::RtlValidateUnicodeString;
    // Counted byte strings (rtl/ansi.rs).
    stdcall fn RtlInitAnsiString(DestinationString: Ptr, SourceString: PCSTR) -> () = rtl::ansi::RtlInitAnsiString;
    stdcall fn RtlInitAnsiStringEx(DestinationString: Ptr, SourceString: PCSTR) -> NtStatus = rtl::ansi::RtlInitAnsiStringEx;
    stdcall fn RtlInitString(DestinationString: Ptr, SourceString: PCSTR) -> () = rtl::ansi::RtlInitString;
    stdcall fn RtlCopyString(DestinationString: Ptr, SourceString: PAnsiString) -> () = rtl::ansi::RtlCopyString;
    stdcall fn RtlAppendStringToString(Destination: PAnsiString, Source: PAnsiString) -> NtStatus = rtl::ansi::RtlAppendStringToString;
    stdcall fn RtlAppendAsciizToString(Destination: PAnsiString, Source: PCSTR) -> NtStatus = rtl::ansi::RtlAppendAsciizToString;
    stdcall fn RtlCompareString(String1: PAnsiString, String2: PAnsiString, CaseInSensitive: Boolean) -> i32 = rtl::ansi::RtlCompareString;
    stdcall fn RtlEqualString(String1: PAnsiString, String2: PAnsiString, CaseInSensitive: Boolean) -> Boolean = rtl::ansi::RtlEqualString;
    stdcall fn RtlPrefixString(String1: PAnsiString, String2: PAnsiString, CaseInSensitive: Boolean) -> Boolean = rtl::ansi::RtlPrefixString;
    stdcall fn RtlUpperString(DestinationString: PAnsiString, SourceString: PAnsiString) -> () = rtl::ansi::RtlUpperString;
    stdcall fn RtlFreeAnsiString(AnsiString: PAnsiString) -> () = rtl::ansi::RtlFreeAnsiString;
    stdcall fn RtlFreeOemString(OemString: PAnsiString) -> () = rtl::ansi::RtlFreeOemString;
    // Code pages and case (rtl/nls.rs).
    stdcall fn RtlMultiByteToUnicodeN(UnicodeString: Ptr, MaxBytesInUnicodeString: u32, BytesInUnicodeString: Ptr, MultiByteString: PCSTR, BytesInMultiByteString: u32) -> NtStatus = rtl::nls::RtlMultiByteToUnicodeN;
    stdcall fn RtlMultiByteToUnicodeSize(BytesInUnicodeString: Ptr, MultiByteString: PCSTR, BytesInMultiByteString: u32) -> NtStatus = rtl::nls::RtlMultiByteToUnicodeSize;
    stdcall fn RtlUnicodeToMultiByteN(MultiByteString: Ptr, MaxBytesInMultiByteString: u32, BytesInMultiByteString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUnicodeToMultiByteN;
    stdcall fn RtlUnicodeToMultiByteSize(BytesInMultiByteString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUnicodeToMultiByteSize;
    stdcall fn RtlUpcaseUnicodeToMultiByteN(MultiByteString: Ptr, MaxBytesInMultiByteString: u32, BytesInMultiByteString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUpcaseUnicodeToMultiByteN;
    stdcall fn RtlOemToUnicodeN(UnicodeString: Ptr, MaxBytesInUnicodeString: u32, BytesInUnicodeString: Ptr, OemString: PCSTR, BytesInOemString: u32) -> NtStatus = rtl::nls::RtlOemToUnicodeN;
    stdcall fn RtlUnicodeToOemN(OemString: Ptr, MaxBytesInOemString: u32, BytesInOemString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUnicodeToOemN;
    stdcall fn RtlUpcaseUnicodeToOemN(OemString: Ptr, MaxBytesInOemString: u32, BytesInOemString: Ptr, UnicodeString: PCWSTR, BytesInUnicodeString: u32) -> NtStatus = rtl::nls::RtlUpcaseUnicodeToOemN;
    stdcall fn RtlUTF8ToUnicodeN(UnicodeStringDestination: Ptr, UnicodeStringMaxByteCount: u32, UnicodeStringActualByteCount: Ptr, UTF8StringSource: PCSTR, UTF8StringByteCount: u32) -> NtStatus = rtl::nls::RtlUTF8ToUnicodeN;
    stdcall fn RtlUnicodeToUTF8N(UTF8StringDestination: Ptr, UTF8StringMaxByteCount: u32, UTF8StringActualByteCount: Ptr, UnicodeStringSource: PCWSTR, UnicodeStringByteCount: u32) -> NtStatus = rtl::nls::RtlUnicodeToUTF8N;
    stdcall fn RtlUpcaseUnicodeChar(SourceCharacter: u16) -> u16 = rtl::nls::RtlUpcaseUnicodeChar;
    stdcall fn RtlDowncaseUnicodeChar(SourceCharacter: u16) -> u16 = rtl::nls::RtlDowncaseUnicodeChar;
    stdcall fn RtlUpperChar(Character: u8) -> u8 = rtl::nls::RtlUpperChar;
    stdcall fn RtlAnsiCharToUnicodeChar(SourceCharacter: Ptr) -> u16 = rtl::nls::RtlAnsiCharToUnicodeChar;
    stdcall fn RtlIsValidOemCharacter(Char: Ptr) -> Boolean = rtl::nls::RtlIsValidOemCharacter;
    stdcall fn RtlGetDefaultCodePage(AnsiCodePage: Ptr, OemCodePage: Ptr) -> () = rtl::nls::RtlGetDefaultCodePage;
    // Counted-string conversions (rtl/transcode.rs).
    stdcall fn RtlAnsiStringToUnicodeString(DestinationString: PUnicodeString, SourceString: PAnsiString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlAnsiStringToUnicodeString;
    stdcall fn RtlUnicodeStringToAnsiString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUnicodeStringToAnsiString;
    stdcall fn RtlUpcaseUnicodeStringToAnsiString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUpcaseUnicodeStringToAnsiString;
    stdcall fn RtlOemStringToUnicodeString(DestinationString: PUnicodeString, SourceString: PAnsiString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlOemStringToUnicodeString;
    stdcall fn RtlOemStringToCountedUnicodeString(DestinationString: PUnicodeString, SourceString: PAnsiString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlOemStringToCountedUnicodeString;
    stdcall fn RtlUnicodeStringToOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUnicodeStringToOemString;
    stdcall fn RtlUpcaseUnicodeStringToOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUpcaseUnicodeStringToOemString;
    stdcall fn RtlUnicodeStringToCountedOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUnicodeStringToCountedOemString;
    stdcall fn RtlUpcaseUnicodeStringToCountedOemString(DestinationString: PAnsiString, SourceString: PUnicodeString, AllocateDestinationString: Boolean) -> NtStatus = rtl::transcode::RtlUpcaseUnicodeStringToCountedOemString;
    stdcall fn RtlxAnsiStringToUnicodeSize(AnsiString: PAnsiString) -> u32 = rtl::transcode::RtlxAnsiStringToUnicodeSize;
    stdcall fn RtlAnsiStringToUnicodeSize(AnsiString: PAnsiString) -> u32 = rtl::transcode::RtlxAnsiStringToUnicodeSize;
    stdcall fn RtlxOemStringToUnicodeSize(OemString: PAnsiString) -> u32 = rtl::transcode::RtlxOemStringToUnicodeSize;
    stdcall fn RtlOemStringToUnicodeSize(OemString: PAnsiString) -> u32 = rtl::transcode::RtlxOemStringToUnicodeSize;
    stdcall fn RtlxUnicodeStringToAnsiSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToAnsiSize;
    stdcall fn RtlUnicodeStringToAnsiSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToAnsiSize;
    stdcall fn RtlxUnicodeStringToOemSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToOemSize;
    stdcall fn RtlUnicodeStringToOemSize(UnicodeString: PUnicodeString) -> u32 = rtl::transcode::RtlxUnicodeStringToOemSize;
    // Integers and GUIDs as text (rtl/convert.rs).
    stdcall fn RtlIntegerToChar(Value: u32, Base: u32, OutputLength: i32, String: Ptr) -> NtStatus = rtl::convert::RtlIntegerToChar;
    stdcall fn RtlIntegerToUnicode(Value: u32, Base: u32, OutputLength: i32, String: Ptr) -> NtStatus = rtl::convert::RtlIntegerToUnicode;
    stdcall fn RtlIntegerToUnicodeString(Value: u32, Base: u32, String: PUnicodeString) -> NtStatus = rtl::convert::RtlIntegerToUnicodeString;
    stdcall fn RtlInt64ToUnicodeString(Value: u64, Base: u32, String: PUnicodeString) -> NtStatus = rtl::convert::RtlInt64ToUnicodeString;
    stdcall fn RtlCharToInteger(String: PCSTR, Base: u32, Value: Ptr) -> NtStatus = rtl::convert::RtlCharToInteger;
    stdcall fn RtlUnicodeStringToInteger(String: PUnicodeString, Base: u32, Value: Ptr) -> NtStatus = rtl::convert::RtlUnicodeStringToInteger;
    stdcall fn RtlStringFromGUID(Guid: Ptr, GuidString: Ptr) -> NtStatus = rtl::convert::RtlStringFromGUID;
    stdcall fn RtlGUIDFromString(GuidString: PUnicodeString, Guid: Ptr) -> NtStatus = rtl::convert::RtlGUIDFromString;
    // Memory (rtl/memory.rs).
    stdcall fn RtlCompareMemory(Source1: Ptr, Source2: Ptr, Length: SizeT) -> SizeT = rtl::memory::RtlCompareMemory;
    stdcall fn RtlCompareMemoryUlong(Source: Ptr, Length: SizeT, Pattern: u32) -> SizeT = rtl::memory::RtlCompareMemoryUlong;
    stdcall fn RtlMoveMemory(Destination: Ptr, Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlMoveMemory;
    #[x64] stdcall fn RtlCopyMemory(Destination: Ptr, Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlCopyMemory;
    #[x64] stdcall fn RtlCopyMemoryNonTemporal(Destination: Ptr, Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlCopyMemoryNonTemporal;
    stdcall fn RtlFillMemory(Destination: Ptr, Length: SizeT, Fill: u8) -> () = rtl::memory::RtlFillMemory;
    stdcall fn RtlZeroMemory(Destination: Ptr, Length: SizeT) -> () = rtl::memory::RtlZeroMemory;
    #[x86] stdcall fn RtlFillMemoryUlong(Destination: Ptr, Length: SizeT, Pattern: u32) -> () = rtl::memory::RtlFillMemoryUlong;
    #[x86] stdcall fn RtlFillMemoryUlonglong(Destination: Ptr, Length: SizeT, Pattern: u64) -> () = rtl::memory::RtlFillMemoryUlonglong;
    fastcall fn RtlPrefetchMemoryNonTemporal(Source: Ptr, Length: SizeT) -> () = rtl::memory::RtlPrefetchMemoryNonTemporal;
    cdecl fn memcpy(Destination: Ptr, Source: Ptr, Count: SizeT) -> Ptr = rtl::memory::memcpy;
    cdecl fn memmove(Destination: Ptr, Source: Ptr, Count: SizeT) -> Ptr = rtl::memory::memmove;
    cdecl fn memset(Destination: Ptr, Value: i32, Count: SizeT) -> Ptr = rtl::memory::memset;
    // The emulated Windows version (rtl/version.rs).
    stdcall fn RtlGetVersion(lpVersionInformation: Ptr) -> NtStatus = rtl::version::RtlGetVersion;
    stdcall fn PsGetVersion(MajorVersion: Ptr, MinorVersion: Ptr, BuildNumber: Ptr, CSDVersion: Ptr) -> Boolean = rtl::version::PsGetVersion;
    stdcall fn RtlVerifyVersionInfo(VersionInfo: Ptr, TypeMask: u32, ConditionMask: u64) -> NtStatus = rtl::version::RtlVerifyVersionInfo;
    stdcall fn VerSetConditionMask(ConditionMask: u64, TypeMask: u32, Condition: u8) -> u64 = rtl::version::VerSetConditionMask;
    stdcall fn RtlIsNtDdiVersionAvailable(Version: u32) -> Boolean = rtl::version::RtlIsNtDdiVersionAvailable;
    stdcall fn RtlIsServicePackVersionInstalled(Version: u32) -> Boolean = rtl::version::RtlIsServicePackVersionInstalled;

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

    // Security, power, tracing (se/, po/, etw/).
};
