//! fltmgr.sys: the Filter Manager's exports the kernel implements (see ntoskrnl.rs for the
//! form of a line; the routines are in `crate::flt`).

use crate::exports::{Dll, ExportDef};
use crate::flt::{buffers, completion, context, info, io, lock, names, objects, port, registration, volumes};
use crate::types::*;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Fltmgr,
    data: [],
    functions:
    // Registration (flt/registration.rs).
    stdcall fn FltRegisterFilter(Driver: Ptr, Registration: Ptr, RetFilter: Ptr) -> NtStatus = registration::FltRegisterFilter;
    stdcall fn FltStartFiltering(Filter: Ptr) -> NtStatus = registration::FltStartFiltering;
    stdcall fn FltUnregisterFilter(Filter: Ptr) -> () = registration::FltUnregisterFilter;
    stdcall fn FltGetRoutineAddress(FltMgrRoutineName: PCSTR) -> Ptr = registration::FltGetRoutineAddress;
    // Filter and volume information (flt/info.rs).
    stdcall fn FltGetFilterInformation(Filter: Ptr, InformationClass: u32, Buffer: Ptr, BufferSize: u32, BytesReturned: Ptr) -> NtStatus = info::FltGetFilterInformation;
    stdcall fn FltGetVolumeProperties(Volume: Ptr, VolumeProperties: Ptr, VolumePropertiesLength: u32, LengthReturned: Ptr) -> NtStatus = info::FltGetVolumeProperties;
    // Objects and callback data (flt/objects.rs).
    stdcall fn FltObjectReference(FltObject: Ptr) -> NtStatus = objects::FltObjectReference;
    stdcall fn FltObjectDereference(FltObject: Ptr) -> () = objects::FltObjectDereference;
    stdcall fn FltSetCallbackDataDirty(Data: Ptr) -> () = objects::FltSetCallbackDataDirty;
    stdcall fn FltClearCallbackDataDirty(Data: Ptr) -> () = objects::FltClearCallbackDataDirty;
    stdcall fn FltIsCallbackDataDirty(Data: Ptr) -> Boolean = objects::FltIsCallbackDataDirty;
    stdcall fn FltLockUserBuffer(CallbackData: Ptr) -> NtStatus = buffers::FltLockUserBuffer;
    stdcall fn FltDoCompletionProcessingWhenSafe(Data: Ptr, FltObjects: Ptr, CompletionContext: Ptr, Flags: u32, SafePostCallback: Ptr, RetPostOperationStatus: Ptr) -> Boolean = completion::FltDoCompletionProcessingWhenSafe;
    stdcall fn FltGetRequestorProcess(CallbackData: Ptr) -> Ptr = objects::FltGetRequestorProcess;
    stdcall fn FltGetRequestorProcessId(CallbackData: Ptr) -> u32 = objects::FltGetRequestorProcessId;
    stdcall fn FltGetVolumeFromInstance(Instance: Ptr, RetVolume: Ptr) -> NtStatus = objects::FltGetVolumeFromInstance;
    stdcall fn FltGetFilterFromInstance(Instance: Ptr, RetFilter: Ptr) -> NtStatus = objects::FltGetFilterFromInstance;
    stdcall fn FltGetVolumeName(Volume: Ptr, VolumeName: Ptr, BufferSizeNeeded: Ptr) -> NtStatus = objects::FltGetVolumeName;
    // File names (flt/names.rs).
    stdcall fn FltGetFileNameInformation(CallbackData: Ptr, NameOptions: u32, FileNameInformation: Ptr) -> NtStatus = names::FltGetFileNameInformation;
    stdcall fn FltGetFileNameInformationUnsafe(FileObject: Ptr, Instance: Ptr, NameOptions: u32, FileNameInformation: Ptr) -> NtStatus = names::FltGetFileNameInformationUnsafe;
    stdcall fn FltReleaseFileNameInformation(FileNameInformation: Ptr) -> () = names::FltReleaseFileNameInformation;
    stdcall fn FltReferenceFileNameInformation(FileNameInformation: Ptr) -> () = names::FltReferenceFileNameInformation;
    stdcall fn FltParseFileNameInformation(FileNameInformation: Ptr) -> NtStatus = names::FltParseFileNameInformation;
    stdcall fn FltGetDestinationFileNameInformation(Instance: Ptr, FileObject: Ptr, RootDirectory: HANDLE, FileName: Ptr, FileNameLength: u32, NameOptions: u32, RetFileNameInformation: Ptr) -> NtStatus = names::FltGetDestinationFileNameInformation;
    stdcall fn FltCheckAndGrowNameControl(NameCtrl: Ptr, NewSize: u16) -> NtStatus = names::FltCheckAndGrowNameControl;
    stdcall fn FltGetTunneledName(CallbackData: Ptr, FileNameInformation: Ptr, RetTunneledFileNameInformation: Ptr) -> NtStatus = names::FltGetTunneledName;
    // I/O a filter starts (flt/io.rs).
    stdcall fn FltCreateFile(Filter: Ptr, Instance: Ptr, FileHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, IoStatusBlock: Ptr, AllocationSize: Ptr, FileAttributes: u32, ShareAccess: u32, CreateDisposition: u32, CreateOptions: u32, EaBuffer: Ptr, EaLength: u32, Flags: u32) -> NtStatus = io::FltCreateFile;
    stdcall fn FltCreateFileEx(Filter: Ptr, Instance: Ptr, FileHandle: Ptr, FileObject: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, IoStatusBlock: Ptr, AllocationSize: Ptr, FileAttributes: u32, ShareAccess: u32, CreateDisposition: u32, CreateOptions: u32, EaBuffer: Ptr, EaLength: u32, Flags: u32) -> NtStatus = io::FltCreateFileEx;
    stdcall fn FltCreateFileEx2(Filter: Ptr, Instance: Ptr, FileHandle: Ptr, FileObject: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, IoStatusBlock: Ptr, AllocationSize: Ptr, FileAttributes: u32, ShareAccess: u32, CreateDisposition: u32, CreateOptions: u32, EaBuffer: Ptr, EaLength: u32, Flags: u32, DriverContext: Ptr) -> NtStatus = io::FltCreateFileEx2;
    stdcall fn FltClose(FileHandle: HANDLE) -> NtStatus = io::FltClose;
    stdcall fn FltReadFile(InitiatingInstance: Ptr, FileObject: Ptr, ByteOffset: Ptr, Length: u32, Buffer: Ptr, Flags: u32, BytesRead: Ptr, CallbackRoutine: Ptr, CallbackContext: Ptr) -> NtStatus = io::FltReadFile;
    stdcall fn FltWriteFile(InitiatingInstance: Ptr, FileObject: Ptr, ByteOffset: Ptr, Length: u32, Buffer: Ptr, Flags: u32, BytesWritten: Ptr, CallbackRoutine: Ptr, CallbackContext: Ptr) -> NtStatus = io::FltWriteFile;
    stdcall fn FltQueryInformationFile(Instance: Ptr, FileObject: Ptr, FileInformation: Ptr, Length: u32, FileInformationClass: u32, LengthReturned: Ptr) -> NtStatus = io::FltQueryInformationFile;
    stdcall fn FltSetInformationFile(Instance: Ptr, FileObject: Ptr, FileInformation: Ptr, Length: u32, FileInformationClass: u32) -> NtStatus = io::FltSetInformationFile;
    stdcall fn FltAllocateCallbackData(Instance: Ptr, FileObject: Ptr, RetNewCallbackData: Ptr) -> NtStatus = io::FltAllocateCallbackData;
    stdcall fn FltFreeCallbackData(CallbackData: Ptr) -> () = io::FltFreeCallbackData;
    stdcall fn FltPerformSynchronousIo(CallbackData: Ptr) -> () = io::FltPerformSynchronousIo;
    stdcall fn FltCancelFileOpen(Instance: Ptr, FileObject: Ptr) -> () = io::FltCancelFileOpen;
    stdcall fn FltFlushBuffers(Instance: Ptr, FileObject: Ptr) -> NtStatus = io::FltFlushBuffers;
    stdcall fn FltIsDirectory(FileObject: Ptr, Instance: Ptr, IsDirectory: Ptr) -> NtStatus = io::FltIsDirectory;
    // The volume, instances and filters (flt/volumes.rs).
    stdcall fn FltGetVolumeFromFileObject(Filter: Ptr, FileObject: Ptr, RetVolume: Ptr) -> NtStatus = volumes::FltGetVolumeFromFileObject;
    stdcall fn FltGetVolumeFromName(Filter: Ptr, VolumeName: PUnicodeString, RetVolume: Ptr) -> NtStatus = volumes::FltGetVolumeFromName;
    stdcall fn FltGetDeviceObject(Volume: Ptr, DeviceObject: Ptr) -> NtStatus = volumes::FltGetDeviceObject;
    stdcall fn FltGetDiskDeviceObject(Volume: Ptr, DiskDeviceObject: Ptr) -> NtStatus = volumes::FltGetDiskDeviceObject;
    stdcall fn FltGetVolumeGuidName(Volume: Ptr, VolumeGuidName: Ptr, BufferSizeNeeded: Ptr) -> NtStatus = volumes::FltGetVolumeGuidName;
    stdcall fn FltGetBottomInstance(Volume: Ptr, Instance: Ptr) -> NtStatus = volumes::FltGetBottomInstance;
    stdcall fn FltGetTopInstance(Volume: Ptr, Instance: Ptr) -> NtStatus = volumes::FltGetTopInstance;
    stdcall fn FltEnumerateInstances(Volume: Ptr, Filter: Ptr, InstanceList: Ptr, InstanceListSize: u32, NumberInstancesReturned: Ptr) -> NtStatus = volumes::FltEnumerateInstances;
    stdcall fn FltEnumerateFilters(FilterList: Ptr, FilterListSize: u32, NumberFiltersReturned: Ptr) -> NtStatus = volumes::FltEnumerateFilters;
    // Contexts and pool (flt/context.rs).
    stdcall fn FltAllocateContext(Filter: Ptr, ContextType: u32, ContextSize: SizeT, PoolType: u32, ReturnedContext: Ptr) -> NtStatus = context::FltAllocateContext;
    stdcall fn FltReleaseContext(Context: Ptr) -> () = context::FltReleaseContext;
    stdcall fn FltReferenceContext(Context: Ptr) -> () = context::FltReferenceContext;
    stdcall fn FltDeleteContext(Context: Ptr) -> () = context::FltDeleteContext;
    stdcall fn FltSetStreamContext(Instance: Ptr, FileObject: Ptr, Operation: u32, NewContext: Ptr, OldContext: Ptr) -> NtStatus = context::FltSetStreamContext;
    stdcall fn FltGetStreamContext(Instance: Ptr, FileObject: Ptr, Context: Ptr) -> NtStatus = context::FltGetStreamContext;
    stdcall fn FltSetStreamHandleContext(Instance: Ptr, FileObject: Ptr, Operation: u32, NewContext: Ptr, OldContext: Ptr) -> NtStatus = context::FltSetStreamHandleContext;
    stdcall fn FltGetStreamHandleContext(Instance: Ptr, FileObject: Ptr, Context: Ptr) -> NtStatus = context::FltGetStreamHandleContext;
    stdcall fn FltSetInstanceContext(Instance: Ptr, Operation: u32, NewContext: Ptr, OldContext: Ptr) -> NtStatus = context::FltSetInstanceContext;
    stdcall fn FltGetInstanceContext(Instance: Ptr, Context: Ptr) -> NtStatus = context::FltGetInstanceContext;
    stdcall fn FltSetVolumeContext(Volume: Ptr, Operation: u32, NewContext: Ptr, OldContext: Ptr) -> NtStatus = context::FltSetVolumeContext;
    stdcall fn FltGetVolumeContext(Filter: Ptr, Volume: Ptr, Context: Ptr) -> NtStatus = context::FltGetVolumeContext;
    stdcall fn FltAllocatePoolAlignedWithTag(Instance: Ptr, PoolType: u32, NumberOfBytes: SizeT, Tag: PoolTag) -> Ptr = context::FltAllocatePoolAlignedWithTag;
    stdcall fn FltFreePoolAlignedWithTag(Instance: Ptr, Buffer: Ptr, Tag: PoolTag) -> () = context::FltFreePoolAlignedWithTag;
    // Locks (flt/lock.rs).
    stdcall fn FltInitializePushLock(PushLock: Ptr) -> () = lock::FltInitializePushLock;
    stdcall fn FltDeletePushLock(PushLock: Ptr) -> () = lock::FltDeletePushLock;
    stdcall fn FltAcquirePushLockExclusive(PushLock: Ptr) -> () = lock::FltAcquirePushLockExclusive;
    stdcall fn FltAcquirePushLockShared(PushLock: Ptr) -> () = lock::FltAcquirePushLockShared;
    stdcall fn FltReleasePushLock(PushLock: Ptr) -> () = lock::FltReleasePushLock;
    stdcall fn FltAcquirePushLockExclusiveEx(PushLock: Ptr, Flags: u32) -> () = lock::FltAcquirePushLockExclusiveEx;
    stdcall fn FltAcquirePushLockSharedEx(PushLock: Ptr, Flags: u32) -> () = lock::FltAcquirePushLockSharedEx;
    stdcall fn FltReleasePushLockEx(PushLock: Ptr, Flags: u32) -> () = lock::FltReleasePushLockEx;
    stdcall fn FltAcquireResourceExclusive(Resource: Ptr) -> () = lock::FltAcquireResourceExclusive;
    stdcall fn FltAcquireResourceShared(Resource: Ptr) -> () = lock::FltAcquireResourceShared;
    stdcall fn FltReleaseResource(Resource: Ptr) -> () = lock::FltReleaseResource;
    // Communication ports (flt/port.rs).
    stdcall fn FltBuildDefaultSecurityDescriptor(SecurityDescriptor: Ptr, DesiredAccess: u32) -> NtStatus = port::FltBuildDefaultSecurityDescriptor;
    stdcall fn FltFreeSecurityDescriptor(SecurityDescriptor: Ptr) -> () = port::FltFreeSecurityDescriptor;
    stdcall fn FltCreateCommunicationPort(Filter: Ptr, ServerPort: Ptr, ObjectAttributes: Ptr, ServerPortCookie: Ptr, ConnectNotifyCallback: Ptr, DisconnectNotifyCallback: Ptr, MessageNotifyCallback: Ptr, MaxConnections: i32) -> NtStatus = port::FltCreateCommunicationPort;
    stdcall fn FltCloseCommunicationPort(ServerPort: Ptr) -> () = port::FltCloseCommunicationPort;
    stdcall fn FltCloseClientPort(Filter: Ptr, ClientPort: Ptr) -> () = port::FltCloseClientPort;
    stdcall fn FltSendMessage(Filter: Ptr, ClientPort: Ptr, SenderBuffer: Ptr, SenderBufferLength: u32, ReplyBuffer: Ptr, ReplyLength: Ptr, Timeout: Ptr) -> NtStatus = port::FltSendMessage;
};
