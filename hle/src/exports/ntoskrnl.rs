//! ntoskrnl.exe: every export the kernel implements, one line each (the form of a line is in
//! `table.rs`). An import not listed here (nor, for a routine that moved between the two
//! halves of the kernel, in hal.rs) is missing: see the loader and `signatures.rs`.

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::{cm, etw, ex, fs, io, kd, ke, mm, ob, pnp, po, ps, rtl, se, zw};

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
        PsLoadedModuleList,
        IoFileObjectType,
        IoDeviceObjectType,
        IoDriverObjectType,
        PsProcessType,
        PsThreadType,
        SeTokenObjectType,
        PsJobType,
        ExEventObjectType,
        ExSemaphoreObjectType,
        ExWindowStationObjectType,
        ExDesktopObjectType,
        IoAdapterObjectType,
        TmTransactionManagerObjectType,
        TmTransactionObjectType,
        TmResourceManagerObjectType,
        TmEnlistmentObjectType,
        MmSectionObjectType,
        CmKeyObjectType,
        LpcPortObjectType,
        IoDeviceHandlerObjectType,
        MmHighestUserAddress,
        MmSystemRangeStart,
        MmUserProbeAddress,
        SeExports,
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
    stdcall fn ObDereferenceObject(Object: Ptr) -> () = ob::ObDereferenceObject;
    #[x64] stdcall fn ObfReferenceObjectWithTag(Object: Ptr, Tag: PoolTag) -> SizeT = ob::ObfReferenceObjectWithTag;
    #[x64] stdcall fn ObfDereferenceObjectWithTag(Object: Ptr, Tag: PoolTag) -> SizeT = ob::ObfDereferenceObjectWithTag;
    stdcall fn ZwClose(Handle: HANDLE) -> NtStatus = ob::handles::ZwClose;
    stdcall fn NtClose(Handle: HANDLE) -> NtStatus = ob::handles::NtClose;
    stdcall fn ObCloseHandle(Handle: HANDLE, PreviousMode: u8) -> NtStatus = ob::handles::ObCloseHandle;
    stdcall fn ObReferenceObjectByHandle(Handle: HANDLE, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Object: Ptr, HandleInformation: Ptr) -> NtStatus = ob::handles::ObReferenceObjectByHandle;
    stdcall fn ObReferenceObjectByHandleWithTag(Handle: HANDLE, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Tag: PoolTag, Object: Ptr, HandleInformation: Ptr) -> NtStatus = ob::handles::ObReferenceObjectByHandleWithTag;
    stdcall fn ObReferenceObjectByPointer(Object: Ptr, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8) -> NtStatus = ob::handles::ObReferenceObjectByPointer;
    stdcall fn ObReferenceObjectByPointerWithTag(Object: Ptr, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Tag: PoolTag) -> NtStatus = ob::handles::ObReferenceObjectByPointerWithTag;
    stdcall fn ObOpenObjectByPointer(Object: Ptr, HandleAttributes: u32, PassedAccessState: Ptr, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, Handle: Ptr) -> NtStatus = ob::handles::ObOpenObjectByPointer;
    stdcall fn ObReferenceObjectByName(ObjectName: PUnicodeString, Attributes: u32, AccessState: Ptr, DesiredAccess: u32, ObjectType: Ptr, AccessMode: u8, ParseContext: Ptr, Object: Ptr) -> NtStatus = ob::name::ObReferenceObjectByName;
    stdcall fn ObOpenObjectByName(ObjectAttributes: Ptr, ObjectType: Ptr, AccessMode: u8, AccessState: Ptr, DesiredAccess: u32, ParseContext: Ptr, Handle: Ptr) -> NtStatus = ob::name::ObOpenObjectByName;
    stdcall fn ObQueryNameString(Object: Ptr, ObjectNameInfo: Ptr, Length: u32, ReturnLength: Ptr) -> NtStatus = ob::name::ObQueryNameString;
    stdcall fn ObGetObjectType(Object: Ptr) -> Ptr = ob::types::ObGetObjectType;
    stdcall fn ObMakeTemporaryObject(Object: Ptr) -> () = ob::query::ObMakeTemporaryObject;
    stdcall fn ObDereferenceObjectDeferDelete(Object: Ptr) -> () = ob::query::ObDereferenceObjectDeferDelete;
    stdcall fn ObDereferenceObjectDeferDeleteWithTag(Object: Ptr, Tag: PoolTag) -> () = ob::query::ObDereferenceObjectDeferDeleteWithTag;
    stdcall fn ObIsKernelHandle(Handle: HANDLE) -> Boolean = ob::query::ObIsKernelHandle;
    stdcall fn ObSetHandleAttributes(Handle: HANDLE, HandleFlags: Ptr, PreviousMode: u8) -> NtStatus = ob::query::ObSetHandleAttributes;
    stdcall fn ObRegisterCallbacks(CallbackRegistration: Ptr, RegistrationHandle: Ptr) -> NtStatus = ob::callbacks::ObRegisterCallbacks;
    stdcall fn ObUnRegisterCallbacks(RegistrationHandle: Ptr) -> () = ob::callbacks::ObUnRegisterCallbacks;
    stdcall fn ObGetFilterVersion() -> u16 = ob::callbacks::ObGetFilterVersion;
    stdcall fn ZwQueryObject(Handle: HANDLE, ObjectInformationClass: u32, ObjectInformation: Ptr, ObjectInformationLength: u32, ReturnLength: Ptr) -> NtStatus = ob::query::ZwQueryObject;
    stdcall fn ZwSetInformationObject(Handle: HANDLE, ObjectInformationClass: u32, ObjectInformation: Ptr, ObjectInformationLength: u32) -> NtStatus = ob::query::ZwSetInformationObject;
    stdcall fn ZwDuplicateObject(SourceProcessHandle: HANDLE, SourceHandle: HANDLE, TargetProcessHandle: HANDLE, TargetHandle: Ptr, DesiredAccess: u32, HandleAttributes: u32, Options: u32) -> NtStatus = ob::query::ZwDuplicateObject;
    stdcall fn ZwMakeTemporaryObject(Handle: HANDLE) -> NtStatus = ob::query::ZwMakeTemporaryObject;
    stdcall fn ZwCreateDirectoryObject(DirectoryHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr) -> NtStatus = ob::directory::ZwCreateDirectoryObject;
    stdcall fn ZwOpenDirectoryObject(DirectoryHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr) -> NtStatus = ob::directory::ZwOpenDirectoryObject;
    stdcall fn ZwQueryDirectoryObject(DirectoryHandle: HANDLE, Buffer: Ptr, Length: u32, ReturnSingleEntry: Boolean, RestartScan: Boolean, Context: Ptr, ReturnLength: Ptr) -> NtStatus = ob::directory::ZwQueryDirectoryObject;
    stdcall fn ZwCreateSymbolicLinkObject(LinkHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, LinkTarget: PUnicodeString) -> NtStatus = ob::symlink::ZwCreateSymbolicLinkObject;
    stdcall fn ZwOpenSymbolicLinkObject(LinkHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr) -> NtStatus = ob::symlink::ZwOpenSymbolicLinkObject;
    stdcall fn ZwQuerySymbolicLinkObject(LinkHandle: HANDLE, LinkTarget: Ptr, ReturnedLength: Ptr) -> NtStatus = ob::symlink::ZwQuerySymbolicLinkObject;

    // Registry (cm/).
    stdcall fn ZwCreateKey(KeyHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, TitleIndex: u32, Class: PUnicodeString, CreateOptions: u32, Disposition: Ptr) -> NtStatus = cm::key::ZwCreateKey;
    stdcall fn ZwOpenKey(KeyHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr) -> NtStatus = cm::key::ZwOpenKey;
    stdcall fn ZwOpenKeyEx(KeyHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, OpenOptions: u32) -> NtStatus = cm::key::ZwOpenKeyEx;
    stdcall fn ZwDeleteKey(KeyHandle: HANDLE) -> NtStatus = cm::key::ZwDeleteKey;
    stdcall fn ZwFlushKey(KeyHandle: HANDLE) -> NtStatus = cm::key::ZwFlushKey;
    stdcall fn ZwQueryKey(KeyHandle: HANDLE, KeyInformationClass: u32, KeyInformation: Ptr, Length: u32, ResultLength: Ptr) -> NtStatus = cm::key::ZwQueryKey;
    stdcall fn ZwEnumerateKey(KeyHandle: HANDLE, Index: u32, KeyInformationClass: u32, KeyInformation: Ptr, Length: u32, ResultLength: Ptr) -> NtStatus = cm::key::ZwEnumerateKey;
    stdcall fn ZwSetValueKey(KeyHandle: HANDLE, ValueName: PUnicodeString, TitleIndex: u32, Type: u32, Data: Ptr, DataSize: u32) -> NtStatus = cm::value::ZwSetValueKey;
    stdcall fn ZwDeleteValueKey(KeyHandle: HANDLE, ValueName: PUnicodeString) -> NtStatus = cm::value::ZwDeleteValueKey;
    stdcall fn ZwQueryValueKey(KeyHandle: HANDLE, ValueName: PUnicodeString, KeyValueInformationClass: u32, KeyValueInformation: Ptr, Length: u32, ResultLength: Ptr) -> NtStatus = cm::value::ZwQueryValueKey;
    stdcall fn ZwEnumerateValueKey(KeyHandle: HANDLE, Index: u32, KeyValueInformationClass: u32, KeyValueInformation: Ptr, Length: u32, ResultLength: Ptr) -> NtStatus = cm::value::ZwEnumerateValueKey;
    stdcall fn RtlQueryRegistryValues(RelativeTo: u32, Path: PCWSTR, QueryTable: Ptr, Context: Ptr, Environment: Ptr) -> NtStatus = cm::rtl::RtlQueryRegistryValues;
    stdcall fn RtlQueryRegistryValuesEx(RelativeTo: u32, Path: PCWSTR, QueryTable: Ptr, Context: Ptr, Environment: Ptr) -> NtStatus = cm::rtl::RtlQueryRegistryValuesEx;
    stdcall fn RtlWriteRegistryValue(RelativeTo: u32, Path: PCWSTR, ValueName: PCWSTR, ValueType: u32, ValueData: Ptr, ValueLength: u32) -> NtStatus = cm::rtl::RtlWriteRegistryValue;
    stdcall fn RtlDeleteRegistryValue(RelativeTo: u32, Path: PCWSTR, ValueName: PCWSTR) -> NtStatus = cm::rtl::RtlDeleteRegistryValue;
    stdcall fn RtlCheckRegistryKey(RelativeTo: u32, Path: PCWSTR) -> NtStatus = cm::rtl::RtlCheckRegistryKey;
    stdcall fn RtlCreateRegistryKey(RelativeTo: u32, Path: PCWSTR) -> NtStatus = cm::rtl::RtlCreateRegistryKey;
    stdcall fn CmRegisterCallback(Function: Ptr, Context: Ptr, Cookie: Ptr) -> NtStatus = cm::callbacks::CmRegisterCallback;
    stdcall fn CmRegisterCallbackEx(Function: Ptr, Altitude: PUnicodeString, Driver: Ptr, Context: Ptr, Cookie: Ptr, Reserved: Ptr) -> NtStatus = cm::callbacks::CmRegisterCallbackEx;
    stdcall fn CmUnRegisterCallback(Cookie: u64) -> NtStatus = cm::callbacks::CmUnRegisterCallback;

    // Files and system information (zw/, io/).
    stdcall fn ZwCreateFile(FileHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, IoStatusBlock: Ptr, AllocationSize: Ptr, FileAttributes: u32, ShareAccess: u32, CreateDisposition: u32, CreateOptions: u32, EaBuffer: Ptr, EaLength: u32) -> NtStatus = fs::open::ZwCreateFile;
    stdcall fn NtCreateFile(FileHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, IoStatusBlock: Ptr, AllocationSize: Ptr, FileAttributes: u32, ShareAccess: u32, CreateDisposition: u32, CreateOptions: u32, EaBuffer: Ptr, EaLength: u32) -> NtStatus = fs::open::NtCreateFile;
    stdcall fn ZwOpenFile(FileHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, IoStatusBlock: Ptr, ShareAccess: u32, OpenOptions: u32) -> NtStatus = fs::open::ZwOpenFile;
    stdcall fn IoCreateFile(FileHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, IoStatusBlock: Ptr, AllocationSize: Ptr, FileAttributes: u32, ShareAccess: u32, Disposition: u32, CreateOptions: u32, EaBuffer: Ptr, EaLength: u32, CreateFileType: u32, InternalParameters: Ptr, Options: u32) -> NtStatus = fs::open::IoCreateFile;
    stdcall fn ZwDeleteFile(ObjectAttributes: Ptr) -> NtStatus = fs::open::ZwDeleteFile;
    stdcall fn ZwReadFile(FileHandle: HANDLE, Event: HANDLE, ApcRoutine: Ptr, ApcContext: Ptr, IoStatusBlock: Ptr, Buffer: Ptr, Length: u32, ByteOffset: Ptr, Key: Ptr) -> NtStatus = fs::rw::ZwReadFile;
    stdcall fn ZwWriteFile(FileHandle: HANDLE, Event: HANDLE, ApcRoutine: Ptr, ApcContext: Ptr, IoStatusBlock: Ptr, Buffer: Ptr, Length: u32, ByteOffset: Ptr, Key: Ptr) -> NtStatus = fs::rw::ZwWriteFile;
    stdcall fn ZwFlushBuffersFile(FileHandle: HANDLE, IoStatusBlock: Ptr) -> NtStatus = fs::rw::ZwFlushBuffersFile;
    stdcall fn ZwQueryInformationFile(FileHandle: HANDLE, IoStatusBlock: Ptr, FileInformation: Ptr, Length: u32, FileInformationClass: u32) -> NtStatus = fs::info::ZwQueryInformationFile;
    stdcall fn ZwSetInformationFile(FileHandle: HANDLE, IoStatusBlock: Ptr, FileInformation: Ptr, Length: u32, FileInformationClass: u32) -> NtStatus = fs::info::ZwSetInformationFile;
    stdcall fn ZwQueryVolumeInformationFile(FileHandle: HANDLE, IoStatusBlock: Ptr, FsInformation: Ptr, Length: u32, FsInformationClass: u32) -> NtStatus = fs::info::ZwQueryVolumeInformationFile;
    stdcall fn ZwQueryDirectoryFile(FileHandle: HANDLE, Event: HANDLE, ApcRoutine: Ptr, ApcContext: Ptr, IoStatusBlock: Ptr, FileInformation: Ptr, Length: u32, FileInformationClass: u32, ReturnSingleEntry: Boolean, FileName: PUnicodeString, RestartScan: Boolean) -> NtStatus = fs::dir::ZwQueryDirectoryFile;
    stdcall fn FsRtlGetFileSize(FileObject: Ptr, FileSize: Ptr) -> NtStatus = fs::info::FsRtlGetFileSize;
    stdcall fn ZwQuerySystemInformation(SystemInformationClass: u32, SystemInformation: Ptr, SystemInformationLength: u32, ReturnLength: Ptr) -> NtStatus = zw::sysinfo::ZwQuerySystemInformation;
    stdcall fn NtQuerySystemInformation(SystemInformationClass: u32, SystemInformation: Ptr, SystemInformationLength: u32, ReturnLength: Ptr) -> NtStatus = zw::sysinfo::NtQuerySystemInformation;
    stdcall fn ZwOpenProcess(ProcessHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, ClientId: Ptr) -> NtStatus = zw::process::ZwOpenProcess;
    stdcall fn NtOpenProcess(ProcessHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, ClientId: Ptr) -> NtStatus = zw::process::NtOpenProcess;
    stdcall fn ZwOpenThread(ThreadHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, ClientId: Ptr) -> NtStatus = zw::process::ZwOpenThread;
    stdcall fn ZwQueryInformationProcess(ProcessHandle: HANDLE, ProcessInformationClass: u32, ProcessInformation: Ptr, ProcessInformationLength: u32, ReturnLength: Ptr) -> NtStatus = zw::process::ZwQueryInformationProcess;
    stdcall fn ZwQueryInformationThread(ThreadHandle: HANDLE, ThreadInformationClass: u32, ThreadInformation: Ptr, ThreadInformationLength: u32, ReturnLength: Ptr) -> NtStatus = zw::process::ZwQueryInformationThread;
    stdcall fn ZwSetInformationThread(ThreadHandle: HANDLE, ThreadInformationClass: u32, ThreadInformation: Ptr, ThreadInformationLength: u32) -> NtStatus = zw::process::ZwSetInformationThread;
    stdcall fn ZwTerminateProcess(ProcessHandle: HANDLE, ExitStatus: NtStatus) -> NtStatus = zw::process::ZwTerminateProcess;
    stdcall fn ZwAllocateVirtualMemory(ProcessHandle: HANDLE, BaseAddress: Ptr, ZeroBits: SizeT, RegionSize: Ptr, AllocationType: u32, Protect: u32) -> NtStatus = zw::memory::ZwAllocateVirtualMemory;
    stdcall fn ZwFreeVirtualMemory(ProcessHandle: HANDLE, BaseAddress: Ptr, RegionSize: Ptr, FreeType: u32) -> NtStatus = zw::memory::ZwFreeVirtualMemory;
    stdcall fn ZwProtectVirtualMemory(ProcessHandle: HANDLE, BaseAddress: Ptr, RegionSize: Ptr, NewProtect: u32, OldProtect: Ptr) -> NtStatus = zw::memory::ZwProtectVirtualMemory;
    stdcall fn ZwQueryVirtualMemory(ProcessHandle: HANDLE, BaseAddress: Ptr, MemoryInformationClass: u32, MemoryInformation: Ptr, MemoryInformationLength: SizeT, ReturnLength: Ptr) -> NtStatus = zw::memory::ZwQueryVirtualMemory;
    // I/O manager breadth (io/stack, irps, queue, notify, misc).
    stdcall fn IoAttachDeviceToDeviceStack(SourceDevice: Ptr, TargetDevice: Ptr) -> Ptr = io::stack::IoAttachDeviceToDeviceStack;
    stdcall fn IoAttachDeviceToDeviceStackSafe(SourceDevice: Ptr, TargetDevice: Ptr, AttachedToDeviceObject: Ptr) -> NtStatus = io::stack::IoAttachDeviceToDeviceStackSafe;
    stdcall fn IoAttachDevice(SourceDevice: Ptr, TargetDevice: PUnicodeString, AttachedDevice: Ptr) -> NtStatus = io::stack::IoAttachDevice;
    stdcall fn IoAttachDeviceByPointer(SourceDevice: Ptr, TargetDevice: Ptr) -> NtStatus = io::stack::IoAttachDeviceByPointer;
    stdcall fn IoDetachDevice(TargetDevice: Ptr) -> () = io::stack::IoDetachDevice;
    stdcall fn IoGetAttachedDevice(DeviceObject: Ptr) -> Ptr = io::stack::IoGetAttachedDevice;
    stdcall fn IoGetAttachedDeviceReference(DeviceObject: Ptr) -> Ptr = io::stack::IoGetAttachedDeviceReference;
    stdcall fn IoGetRelatedDeviceObject(FileObject: Ptr) -> Ptr = io::stack::IoGetRelatedDeviceObject;
    stdcall fn IoGetDeviceObjectPointer(ObjectName: PUnicodeString, DesiredAccess: u32, FileObject: Ptr, DeviceObject: Ptr) -> NtStatus = io::stack::IoGetDeviceObjectPointer;
    stdcall fn IoAllocateIrp(StackSize: u8, ChargeQuota: Boolean) -> Ptr = io::irps::IoAllocateIrp;
    stdcall fn IoInitializeIrp(Irp: Ptr, PacketSize: u16, StackSize: u8) -> () = io::irps::IoInitializeIrp;
    stdcall fn IoReuseIrp(Irp: Ptr, Status: NtStatus) -> () = io::irps::IoReuseIrp;
    stdcall fn IoFreeIrp(Irp: Ptr) -> () = io::irps::IoFreeIrp;
    stdcall fn IoBuildDeviceIoControlRequest(IoControlCode: u32, DeviceObject: Ptr, InputBuffer: Ptr, InputBufferLength: u32, OutputBuffer: Ptr, OutputBufferLength: u32, InternalDeviceIoControl: Boolean, Event: Ptr, IoStatusBlock: Ptr) -> Ptr = io::irps::IoBuildDeviceIoControlRequest;
    stdcall fn IoBuildSynchronousFsdRequest(MajorFunction: u32, DeviceObject: Ptr, Buffer: Ptr, Length: u32, StartingOffset: Ptr, Event: Ptr, IoStatusBlock: Ptr) -> Ptr = io::irps::IoBuildSynchronousFsdRequest;
    stdcall fn IoBuildAsynchronousFsdRequest(MajorFunction: u32, DeviceObject: Ptr, Buffer: Ptr, Length: u32, StartingOffset: Ptr, IoStatusBlock: Ptr) -> Ptr = io::irps::IoBuildAsynchronousFsdRequest;
    stdcall fn IoCancelIrp(Irp: Ptr) -> Boolean = io::irps::IoCancelIrp;
    stdcall fn IoAcquireCancelSpinLock(Irql: Ptr) -> () = io::irps::IoAcquireCancelSpinLock;
    stdcall fn IoReleaseCancelSpinLock(Irql: u8) -> () = io::irps::IoReleaseCancelSpinLock;
    stdcall fn KeInitializeDeviceQueue(DeviceQueue: Ptr) -> () = io::queue::KeInitializeDeviceQueue;
    stdcall fn KeInsertDeviceQueue(DeviceQueue: Ptr, DeviceQueueEntry: Ptr) -> Boolean = io::queue::KeInsertDeviceQueue;
    stdcall fn KeInsertByKeyDeviceQueue(DeviceQueue: Ptr, DeviceQueueEntry: Ptr, SortKey: u32) -> Boolean = io::queue::KeInsertByKeyDeviceQueue;
    stdcall fn KeRemoveDeviceQueue(DeviceQueue: Ptr) -> Ptr = io::queue::KeRemoveDeviceQueue;
    stdcall fn KeRemoveByKeyDeviceQueue(DeviceQueue: Ptr, SortKey: u32) -> Ptr = io::queue::KeRemoveByKeyDeviceQueue;
    stdcall fn KeRemoveByKeyDeviceQueueIfBusy(DeviceQueue: Ptr, SortKey: u32) -> Ptr = io::queue::KeRemoveByKeyDeviceQueueIfBusy;
    stdcall fn KeRemoveEntryDeviceQueue(DeviceQueue: Ptr, DeviceQueueEntry: Ptr) -> Boolean = io::queue::KeRemoveEntryDeviceQueue;
    stdcall fn IoStartPacket(DeviceObject: Ptr, Irp: Ptr, Key: Ptr, CancelFunction: Ptr) -> () = io::queue::IoStartPacket;
    stdcall fn IoStartNextPacket(DeviceObject: Ptr, Cancelable: Boolean) -> () = io::queue::IoStartNextPacket;
    stdcall fn IoStartNextPacketByKey(DeviceObject: Ptr, Cancelable: Boolean, Key: u32) -> () = io::queue::IoStartNextPacketByKey;
    stdcall fn IoCsqInitialize(Csq: Ptr, CsqInsertIrp: Ptr, CsqRemoveIrp: Ptr, CsqPeekNextIrp: Ptr, CsqAcquireLock: Ptr, CsqReleaseLock: Ptr, CsqCompleteCanceledIrp: Ptr) -> NtStatus = io::queue::IoCsqInitialize;
    stdcall fn IoCsqInitializeEx(Csq: Ptr, CsqInsertIrpEx: Ptr, CsqRemoveIrp: Ptr, CsqPeekNextIrp: Ptr, CsqAcquireLock: Ptr, CsqReleaseLock: Ptr, CsqCompleteCanceledIrp: Ptr) -> NtStatus = io::queue::IoCsqInitializeEx;
    stdcall fn IoCsqInsertIrp(Csq: Ptr, Irp: Ptr, Context: Ptr) -> () = io::queue::IoCsqInsertIrp;
    stdcall fn IoCsqInsertIrpEx(Csq: Ptr, Irp: Ptr, Context: Ptr, InsertContext: Ptr) -> NtStatus = io::queue::IoCsqInsertIrpEx;
    stdcall fn IoCsqRemoveIrp(Csq: Ptr, Context: Ptr) -> Ptr = io::queue::IoCsqRemoveIrp;
    stdcall fn IoCsqRemoveNextIrp(Csq: Ptr, PeekContext: Ptr) -> Ptr = io::queue::IoCsqRemoveNextIrp;
    stdcall fn IoRegisterShutdownNotification(DeviceObject: Ptr) -> NtStatus = io::notify::IoRegisterShutdownNotification;
    stdcall fn IoRegisterLastChanceShutdownNotification(DeviceObject: Ptr) -> NtStatus = io::notify::IoRegisterLastChanceShutdownNotification;
    stdcall fn IoUnregisterShutdownNotification(DeviceObject: Ptr) -> () = io::notify::IoUnregisterShutdownNotification;
    stdcall fn IoRegisterDriverReinitialization(DriverObject: Ptr, DriverReinitializationRoutine: Ptr, Context: Ptr) -> () = io::notify::IoRegisterDriverReinitialization;
    stdcall fn IoRegisterBootDriverReinitialization(DriverObject: Ptr, DriverReinitializationRoutine: Ptr, Context: Ptr) -> () = io::notify::IoRegisterBootDriverReinitialization;
    stdcall fn IoWMIRegistrationControl(DeviceObject: Ptr, Action: u32) -> NtStatus = io::notify::IoWMIRegistrationControl;
    stdcall fn IoAllocateErrorLogEntry(IoObject: Ptr, EntrySize: u8) -> Ptr = io::notify::IoAllocateErrorLogEntry;
    stdcall fn IoWriteErrorLogEntry(ElEntry: Ptr) -> () = io::notify::IoWriteErrorLogEntry;
    stdcall fn IoFreeErrorLogEntry(ElEntry: Ptr) -> () = io::notify::IoFreeErrorLogEntry;
    stdcall fn IoCreateDriver(DriverName: PUnicodeString, InitializationFunction: Ptr) -> NtStatus = io::notify::IoCreateDriver;
    stdcall fn IoCheckShareAccess(DesiredAccess: u32, DesiredShareAccess: u32, FileObject: Ptr, ShareAccess: Ptr, Update: Boolean) -> NtStatus = io::misc::IoCheckShareAccess;
    stdcall fn IoSetShareAccess(DesiredAccess: u32, DesiredShareAccess: u32, FileObject: Ptr, ShareAccess: Ptr) -> () = io::misc::IoSetShareAccess;
    stdcall fn IoRemoveShareAccess(FileObject: Ptr, ShareAccess: Ptr) -> () = io::misc::IoRemoveShareAccess;
    stdcall fn IoUpdateShareAccess(FileObject: Ptr, ShareAccess: Ptr) -> () = io::misc::IoUpdateShareAccess;
    stdcall fn IoIsWdmVersionAvailable(MajorVersion: u8, MinorVersion: u8) -> Boolean = io::misc::IoIsWdmVersionAvailable;
    stdcall fn IoGetRequestorProcess(Irp: Ptr) -> Ptr = io::misc::IoGetRequestorProcess;
    stdcall fn IoGetRequestorProcessId(Irp: Ptr) -> u32 = io::misc::IoGetRequestorProcessId;
    stdcall fn IoGetStackLimits(LowLimit: Ptr, HighLimit: Ptr) -> () = io::misc::IoGetStackLimits;
    stdcall fn IoGetInitialStack() -> Ptr = io::misc::IoGetInitialStack;
    stdcall fn IoValidateDeviceIoControlAccess(Irp: Ptr, RequiredAccess: u32) -> NtStatus = io::misc::IoValidateDeviceIoControlAccess;
    stdcall fn IoInitializeRemoveLockEx(Lock: Ptr, AllocateTag: u32, MaxLockedMinutes: u32, HighWatermark: u32, RemlockSize: u32) -> () = io::misc::IoInitializeRemoveLockEx;
    stdcall fn IoAcquireRemoveLockEx(RemoveLock: Ptr, Tag: Ptr, File: Ptr, Line: u32, RemlockSize: u32) -> NtStatus = io::misc::IoAcquireRemoveLockEx;
    stdcall fn IoReleaseRemoveLockEx(RemoveLock: Ptr, Tag: Ptr, RemlockSize: u32) -> () = io::misc::IoReleaseRemoveLockEx;
    stdcall fn IoReleaseRemoveLockAndWaitEx(RemoveLock: Ptr, Tag: Ptr, RemlockSize: u32) -> () = io::misc::IoReleaseRemoveLockAndWaitEx;

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
    stdcall fn RtlLengthSid(Sid: Ptr) -> u32 = se::sid::RtlLengthSid;
    stdcall fn RtlLengthRequiredSid(SubAuthorityCount: u32) -> u32 = se::sid::RtlLengthRequiredSid;
    stdcall fn RtlValidSid(Sid: Ptr) -> Boolean = se::sid::RtlValidSid;
    stdcall fn RtlEqualSid(Sid1: Ptr, Sid2: Ptr) -> Boolean = se::sid::RtlEqualSid;
    stdcall fn RtlCopySid(Length: u32, Destination: Ptr, Source: Ptr) -> NtStatus = se::sid::RtlCopySid;
    stdcall fn RtlInitializeSid(Sid: Ptr, IdentifierAuthority: Ptr, SubAuthorityCount: u8) -> NtStatus = se::sid::RtlInitializeSid;
    stdcall fn RtlSubAuthoritySid(Sid: Ptr, SubAuthority: u32) -> Ptr = se::sid::RtlSubAuthoritySid;
    stdcall fn RtlSubAuthorityCountSid(Sid: Ptr) -> Ptr = se::sid::RtlSubAuthorityCountSid;
    stdcall fn RtlConvertSidToUnicodeString(UnicodeString: PUnicodeString, Sid: Ptr, AllocateDestinationString: Boolean) -> NtStatus = se::sid::RtlConvertSidToUnicodeString;
    stdcall fn RtlCreateAcl(Acl: Ptr, AclLength: u32, AclRevision: u32) -> NtStatus = se::acl::RtlCreateAcl;
    stdcall fn RtlAddAccessAllowedAce(Acl: Ptr, AceRevision: u32, AccessMask: u32, Sid: Ptr) -> NtStatus = se::acl::RtlAddAccessAllowedAce;
    stdcall fn RtlAddAccessAllowedAceEx(Acl: Ptr, AceRevision: u32, AceFlags: u32, AccessMask: u32, Sid: Ptr) -> NtStatus = se::acl::RtlAddAccessAllowedAceEx;
    stdcall fn RtlAddAce(Acl: Ptr, AceRevision: u32, StartingAceIndex: u32, AceList: Ptr, AceListLength: u32) -> NtStatus = se::acl::RtlAddAce;
    stdcall fn RtlGetAce(Acl: Ptr, AceIndex: u32, Ace: Ptr) -> NtStatus = se::acl::RtlGetAce;
    stdcall fn RtlDeleteAce(Acl: Ptr, AceIndex: u32) -> NtStatus = se::acl::RtlDeleteAce;
    stdcall fn RtlCreateSecurityDescriptor(SecurityDescriptor: Ptr, Revision: u32) -> NtStatus = se::sd::RtlCreateSecurityDescriptor;
    stdcall fn RtlValidSecurityDescriptor(SecurityDescriptor: Ptr) -> Boolean = se::sd::RtlValidSecurityDescriptor;
    stdcall fn RtlValidRelativeSecurityDescriptor(SecurityDescriptorInput: Ptr, SecurityDescriptorLength: u32, RequiredInformation: u32) -> Boolean = se::sd::RtlValidRelativeSecurityDescriptor;
    stdcall fn RtlLengthSecurityDescriptor(SecurityDescriptor: Ptr) -> u32 = se::sd::RtlLengthSecurityDescriptor;
    stdcall fn RtlSetDaclSecurityDescriptor(SecurityDescriptor: Ptr, DaclPresent: Boolean, Dacl: Ptr, DaclDefaulted: Boolean) -> NtStatus = se::sd::RtlSetDaclSecurityDescriptor;
    stdcall fn RtlSetSaclSecurityDescriptor(SecurityDescriptor: Ptr, SaclPresent: Boolean, Sacl: Ptr, SaclDefaulted: Boolean) -> NtStatus = se::sd::RtlSetSaclSecurityDescriptor;
    stdcall fn RtlSetOwnerSecurityDescriptor(SecurityDescriptor: Ptr, Owner: Ptr, OwnerDefaulted: Boolean) -> NtStatus = se::sd::RtlSetOwnerSecurityDescriptor;
    stdcall fn RtlSetGroupSecurityDescriptor(SecurityDescriptor: Ptr, Group: Ptr, GroupDefaulted: Boolean) -> NtStatus = se::sd::RtlSetGroupSecurityDescriptor;
    stdcall fn RtlGetDaclSecurityDescriptor(SecurityDescriptor: Ptr, DaclPresent: Ptr, Dacl: Ptr, DaclDefaulted: Ptr) -> NtStatus = se::sd::RtlGetDaclSecurityDescriptor;
    stdcall fn RtlGetSaclSecurityDescriptor(SecurityDescriptor: Ptr, SaclPresent: Ptr, Sacl: Ptr, SaclDefaulted: Ptr) -> NtStatus = se::sd::RtlGetSaclSecurityDescriptor;
    stdcall fn RtlGetOwnerSecurityDescriptor(SecurityDescriptor: Ptr, Owner: Ptr, OwnerDefaulted: Ptr) -> NtStatus = se::sd::RtlGetOwnerSecurityDescriptor;
    stdcall fn RtlGetGroupSecurityDescriptor(SecurityDescriptor: Ptr, Group: Ptr, GroupDefaulted: Ptr) -> NtStatus = se::sd::RtlGetGroupSecurityDescriptor;
    stdcall fn RtlAbsoluteToSelfRelativeSD(AbsoluteSecurityDescriptor: Ptr, SelfRelativeSecurityDescriptor: Ptr, BufferLength: Ptr) -> NtStatus = se::sd::RtlAbsoluteToSelfRelativeSD;
    stdcall fn SeCaptureSecurityDescriptor(SecurityDescriptor: Ptr, RequestorMode: u8, PoolType: u32, ForceCapture: Boolean, OutputSecurityDescriptor: Ptr) -> NtStatus = se::sd::SeCaptureSecurityDescriptor;
    stdcall fn SeReleaseSecurityDescriptor(CapturedSecurityDescriptor: Ptr, RequestorMode: u8, ForceCapture: Boolean) -> () = se::sd::SeReleaseSecurityDescriptor;
    stdcall fn ZwSetSecurityObject(Handle: HANDLE, SecurityInformation: u32, SecurityDescriptor: Ptr) -> NtStatus = se::sd::ZwSetSecurityObject;
    stdcall fn NtSetSecurityObject(Handle: HANDLE, SecurityInformation: u32, SecurityDescriptor: Ptr) -> NtStatus = se::sd::NtSetSecurityObject;
    stdcall fn ZwQuerySecurityObject(FileHandle: HANDLE, SecurityInformation: u32, SecurityDescriptor: Ptr, Length: u32, ResultLength: Ptr) -> NtStatus = se::sd::ZwQuerySecurityObject;
    stdcall fn ObGetObjectSecurity(Object: Ptr, SecurityDescriptor: Ptr, MemoryAllocated: Ptr) -> NtStatus = se::sd::ObGetObjectSecurity;
    stdcall fn ObReleaseObjectSecurity(SecurityDescriptor: Ptr, MemoryAllocated: Boolean) -> () = se::sd::ObReleaseObjectSecurity;
    stdcall fn SeAccessCheck(SecurityDescriptor: Ptr, SubjectSecurityContext: Ptr, SubjectContextLocked: Boolean, DesiredAccess: u32, PreviouslyGrantedAccess: u32, Privileges: Ptr, GenericMapping: Ptr, AccessMode: u8, GrantedAccess: Ptr, AccessStatus: Ptr) -> Boolean = se::sd::SeAccessCheck;
    stdcall fn SeCaptureSubjectContext(SubjectContext: Ptr) -> () = se::token::SeCaptureSubjectContext;
    stdcall fn SeReleaseSubjectContext(SubjectContext: Ptr) -> () = se::token::SeReleaseSubjectContext;
    stdcall fn SeLockSubjectContext(SubjectContext: Ptr) -> () = se::token::SeLockSubjectContext;
    stdcall fn SeUnlockSubjectContext(SubjectContext: Ptr) -> () = se::token::SeUnlockSubjectContext;
    stdcall fn SeSinglePrivilegeCheck(PrivilegeValue: u64, PreviousMode: u8) -> Boolean = se::token::SeSinglePrivilegeCheck;
    stdcall fn SePrivilegeCheck(RequiredPrivileges: Ptr, SubjectContext: Ptr, AccessMode: u8) -> Boolean = se::token::SePrivilegeCheck;
    stdcall fn SeQueryInformationToken(Token: Ptr, TokenInformationClass: u32, TokenInformation: Ptr) -> NtStatus = se::token::SeQueryInformationToken;
    stdcall fn ZwQueryInformationToken(TokenHandle: HANDLE, TokenInformationClass: u32, TokenInformation: Ptr, Length: u32, ResultLength: Ptr) -> NtStatus = se::token::ZwQueryInformationToken;
    stdcall fn NtQueryInformationToken(TokenHandle: HANDLE, TokenInformationClass: u32, TokenInformation: Ptr, TokenInformationLength: u32, ReturnLength: Ptr) -> NtStatus = se::token::NtQueryInformationToken;
    stdcall fn SeTokenIsAdmin(Token: Ptr) -> Boolean = se::token::SeTokenIsAdmin;
    stdcall fn SeTokenIsRestricted(Token: Ptr) -> Boolean = se::token::SeTokenIsRestricted;
    stdcall fn SeTokenType(Token: Ptr) -> u32 = se::token::SeTokenType;
    stdcall fn SeQueryAuthenticationIdToken(Token: Ptr, AuthenticationId: Ptr) -> NtStatus = se::token::SeQueryAuthenticationIdToken;
    stdcall fn PsReferencePrimaryToken(Process: Ptr) -> Ptr = se::token::PsReferencePrimaryToken;
    stdcall fn PsDereferencePrimaryToken(PrimaryToken: Ptr) -> () = se::token::PsDereferencePrimaryToken;
    stdcall fn PsReferenceImpersonationToken(Thread: Ptr, CopyOnOpen: Ptr, EffectiveOnly: Ptr, ImpersonationLevel: Ptr) -> Ptr = se::token::PsReferenceImpersonationToken;
    stdcall fn PsDereferenceImpersonationToken(ImpersonationToken: Ptr) -> () = se::token::PsDereferenceImpersonationToken;
    stdcall fn ZwOpenProcessToken(ProcessHandle: HANDLE, DesiredAccess: u32, TokenHandle: Ptr) -> NtStatus = se::token::ZwOpenProcessToken;
    stdcall fn ZwOpenProcessTokenEx(ProcessHandle: HANDLE, DesiredAccess: u32, HandleAttributes: u32, TokenHandle: Ptr) -> NtStatus = se::token::ZwOpenProcessTokenEx;
    stdcall fn ZwOpenThreadToken(ThreadHandle: HANDLE, DesiredAccess: u32, OpenAsSelf: Boolean, TokenHandle: Ptr) -> NtStatus = se::token::ZwOpenThreadToken;
    stdcall fn ZwOpenThreadTokenEx(ThreadHandle: HANDLE, DesiredAccess: u32, OpenAsSelf: Boolean, HandleAttributes: u32, TokenHandle: Ptr) -> NtStatus = se::token::ZwOpenThreadTokenEx;
    stdcall fn SeCreateAccessState(AccessState: Ptr, AuxData: Ptr, DesiredAccess: u32, GenericMapping: Ptr) -> NtStatus = se::token::SeCreateAccessState;
    stdcall fn SeDeleteAccessState(AccessState: Ptr) -> () = se::token::SeDeleteAccessState;
    stdcall fn EtwRegister(ProviderId: Ptr, EnableCallback: Ptr, CallbackContext: Ptr, RegHandle: Ptr) -> NtStatus = etw::EtwRegister;
    stdcall fn EtwRegisterClassicProvider(ProviderGuid: Ptr, Type: u32, EnableCallback: Ptr, CallbackContext: Ptr, RegHandle: Ptr) -> NtStatus = etw::EtwRegisterClassicProvider;
    stdcall fn EtwUnregister(RegHandle: u64) -> NtStatus = etw::EtwUnregister;
    stdcall fn EtwEventEnabled(RegHandle: u64, EventDescriptor: Ptr) -> Boolean = etw::EtwEventEnabled;
    stdcall fn EtwProviderEnabled(RegHandle: u64, Level: u8, Keyword: u64) -> Boolean = etw::EtwProviderEnabled;
    stdcall fn EtwWrite(RegHandle: u64, EventDescriptor: Ptr, ActivityId: Ptr, UserDataCount: u32, UserData: Ptr) -> NtStatus = etw::EtwWrite;
    stdcall fn EtwWriteEx(RegHandle: u64, EventDescriptor: Ptr, Filter: u64, Flags: u32, ActivityId: Ptr, RelatedActivityId: Ptr, UserDataCount: u32, UserData: Ptr) -> NtStatus = etw::EtwWriteEx;
    stdcall fn EtwWriteTransfer(RegHandle: u64, EventDescriptor: Ptr, ActivityId: Ptr, RelatedActivityId: Ptr, UserDataCount: u32, UserData: Ptr) -> NtStatus = etw::EtwWriteTransfer;
    stdcall fn EtwWriteString(RegHandle: u64, Level: u8, Keyword: u64, ActivityId: Ptr, String: PCWSTR) -> NtStatus = etw::EtwWriteString;
    stdcall fn EtwActivityIdControl(ControlCode: u32, ActivityId: Ptr) -> NtStatus = etw::EtwActivityIdControl;
    #[varargs] cdecl fn WmiTraceMessage(LoggerHandle: u64, MessageFlags: u32, MessageGuid: Ptr, MessageNumber: u16) -> NtStatus = etw::WmiTraceMessage;
    stdcall fn WmiQueryTraceInformation(TraceInformationClass: u32, TraceInformation: Ptr, TraceInformationLength: u32, RequiredLength: Ptr, Buffer: Ptr) -> NtStatus = etw::WmiQueryTraceInformation;
    stdcall fn KdDisableDebugger() -> NtStatus = kd::KdDisableDebugger;
    stdcall fn KdEnableDebugger() -> NtStatus = kd::KdEnableDebugger;
    stdcall fn KdChangeOption(Option: u32, InBufferBytes: u32, InBuffer: Ptr, OutBufferBytes: u32, OutBuffer: Ptr, OutBufferNeeded: Ptr) -> NtStatus = kd::KdChangeOption;
    stdcall fn KdRefreshDebuggerNotPresent() -> Boolean = kd::KdRefreshDebuggerNotPresent;
    stdcall fn DbgBreakPoint() -> () = kd::DbgBreakPoint;
    stdcall fn DbgBreakPointWithStatus(Status: u32) -> () = kd::DbgBreakPointWithStatus;
    stdcall fn DbgPrompt(Prompt: PCSTR, Response: Ptr, MaximumResponseLength: u32) -> u32 = kd::DbgPrompt;
    stdcall fn IoRegisterDeviceInterface(PhysicalDeviceObject: Ptr, InterfaceClassGuid: Ptr, ReferenceString: PUnicodeString, SymbolicLinkName: Ptr) -> NtStatus = pnp::interface::IoRegisterDeviceInterface;
    stdcall fn IoSetDeviceInterfaceState(SymbolicLinkName: PUnicodeString, Enable: Boolean) -> NtStatus = pnp::interface::IoSetDeviceInterfaceState;
    stdcall fn IoGetDeviceInterfaces(InterfaceClassGuid: Ptr, PhysicalDeviceObject: Ptr, Flags: u32, SymbolicLinkList: Ptr) -> NtStatus = pnp::interface::IoGetDeviceInterfaces;
    stdcall fn IoRegisterPlugPlayNotification(EventCategory: u32, EventCategoryFlags: u32, EventCategoryData: Ptr, DriverObject: Ptr, CallbackRoutine: Ptr, Context: Ptr, NotificationEntry: Ptr) -> NtStatus = pnp::interface::IoRegisterPlugPlayNotification;
    stdcall fn IoUnregisterPlugPlayNotification(NotificationEntry: Ptr) -> NtStatus = pnp::interface::IoUnregisterPlugPlayNotification;
    stdcall fn IoUnregisterPlugPlayNotificationEx(NotificationEntry: Ptr) -> NtStatus = pnp::interface::IoUnregisterPlugPlayNotificationEx;
    stdcall fn IoGetDeviceProperty(DeviceObject: Ptr, DeviceProperty: u32, BufferLength: u32, PropertyBuffer: Ptr, ResultLength: Ptr) -> NtStatus = pnp::property::IoGetDeviceProperty;
    stdcall fn IoOpenDeviceRegistryKey(DeviceObject: Ptr, DevInstKeyType: u32, DesiredAccess: u32, DevInstRegKey: Ptr) -> NtStatus = pnp::property::IoOpenDeviceRegistryKey;
    stdcall fn PoCallDriver(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = po::PoCallDriver;
    stdcall fn PoStartNextPowerIrp(Irp: Ptr) -> () = po::PoStartNextPowerIrp;
    stdcall fn PoSetPowerState(DeviceObject: Ptr, Type: u32, State: u32) -> u32 = po::PoSetPowerState;
    stdcall fn PoRequestPowerIrp(DeviceObject: Ptr, MinorFunction: u8, PowerState: u32, CompletionFunction: Ptr, Context: Ptr, Irp: Ptr) -> NtStatus = po::PoRequestPowerIrp;
    stdcall fn PoRegisterSystemState(StateHandle: Ptr, Flags: u32) -> Ptr = po::PoRegisterSystemState;
    stdcall fn PoUnregisterSystemState(StateHandle: Ptr) -> () = po::PoUnregisterSystemState;
    stdcall fn PoSetSystemState(Flags: u32) -> () = po::PoSetSystemState;
};
