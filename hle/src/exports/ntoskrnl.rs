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
        ExEventObjectType,
        ExSemaphoreObjectType,
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
    stdcall fn KeInitializeEvent(Event: Ptr, Type: u32, State: Boolean) -> () = ke::event::KeInitializeEvent;
    stdcall fn KeSetEvent(Event: Ptr, Increment: i32, Wait: Boolean) -> i32 = ke::event::KeSetEvent;
    stdcall fn KeResetEvent(Event: Ptr) -> i32 = ke::event::KeResetEvent;
    stdcall fn KeClearEvent(Event: Ptr) -> () = ke::event::KeClearEvent;
    stdcall fn KeReadStateEvent(Event: Ptr) -> i32 = ke::event::KeReadStateEvent;
    stdcall fn KePulseEvent(Event: Ptr, Increment: i32, Wait: Boolean) -> i32 = ke::event::KePulseEvent;
    stdcall fn ZwCreateEvent(EventHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, EventType: u32, InitialState: Boolean) -> NtStatus = ke::event::ZwCreateEvent;
    stdcall fn ZwOpenEvent(EventHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr) -> NtStatus = ke::event::ZwOpenEvent;
    stdcall fn ZwSetEvent(EventHandle: HANDLE, PreviousState: Ptr) -> NtStatus = ke::event::ZwSetEvent;
    stdcall fn ZwResetEvent(EventHandle: HANDLE, PreviousState: Ptr) -> NtStatus = ke::event::ZwResetEvent;
    stdcall fn ZwClearEvent(EventHandle: HANDLE) -> NtStatus = ke::event::ZwClearEvent;
    stdcall fn ZwPulseEvent(EventHandle: HANDLE, PreviousState: Ptr) -> NtStatus = ke::event::ZwPulseEvent;
    stdcall fn IoCreateNotificationEvent(EventName: PUnicodeString, EventHandle: Ptr) -> Ptr = ke::event::IoCreateNotificationEvent;
    stdcall fn IoCreateSynchronizationEvent(EventName: PUnicodeString, EventHandle: Ptr) -> Ptr = ke::event::IoCreateSynchronizationEvent;
    stdcall fn KeInitializeSemaphore(Semaphore: Ptr, Count: i32, Limit: i32) -> () = ke::semaphore::KeInitializeSemaphore;
    stdcall fn KeReleaseSemaphore(Semaphore: Ptr, Increment: i32, Adjustment: i32, Wait: Boolean) -> i32 = ke::semaphore::KeReleaseSemaphore;
    stdcall fn KeReadStateSemaphore(Semaphore: Ptr) -> i32 = ke::semaphore::KeReadStateSemaphore;
    stdcall fn KeInitializeMutex(Mutex: Ptr, Level: u32) -> () = ke::mutex::KeInitializeMutex;
    stdcall fn KeInitializeMutant(Mutant: Ptr, InitialOwner: Boolean) -> () = ke::mutex::KeInitializeMutant;
    stdcall fn KeReleaseMutex(Mutex: Ptr, Wait: Boolean) -> i32 = ke::mutex::KeReleaseMutex;
    stdcall fn KeReleaseMutant(Mutant: Ptr, Increment: i32, Abandon: Boolean, Wait: Boolean) -> i32 = ke::mutex::KeReleaseMutant;
    stdcall fn KeReadStateMutex(Mutex: Ptr) -> i32 = ke::mutex::KeReadStateMutex;
    stdcall fn KeReadStateMutant(Mutant: Ptr) -> i32 = ke::mutex::KeReadStateMutant;
    stdcall fn KeWaitForSingleObject(Object: Ptr, WaitReason: u32, WaitMode: u8, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::KeWaitForSingleObject;
    stdcall fn KeWaitForMutexObject(Mutex: Ptr, WaitReason: u32, WaitMode: u8, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::KeWaitForSingleObject;
    stdcall fn KeWaitForMultipleObjects(Count: u32, Object: Ptr, WaitType: u32, WaitReason: u32, WaitMode: u8, Alertable: Boolean, Timeout: Ptr, WaitBlockArray: Ptr) -> NtStatus = ke::wait::KeWaitForMultipleObjects;
    stdcall fn KeDelayExecutionThread(WaitMode: u8, Alertable: Boolean, Interval: Ptr) -> NtStatus = ke::wait::KeDelayExecutionThread;
    stdcall fn ZwWaitForSingleObject(Handle: HANDLE, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::ZwWaitForSingleObject;
    stdcall fn ZwWaitForMultipleObjects(Count: u32, Handles: Ptr, WaitType: u32, Alertable: Boolean, Timeout: Ptr) -> NtStatus = ke::wait::ZwWaitForMultipleObjects;
    stdcall fn ZwYieldExecution() -> NtStatus = ke::wait::ZwYieldExecution;
    stdcall fn KeInitializeTimer(Timer: Ptr) -> () = ke::timer::KeInitializeTimer;
    stdcall fn KeInitializeTimerEx(Timer: Ptr, Type: u32) -> () = ke::timer::KeInitializeTimerEx;
    stdcall fn KeSetTimer(Timer: Ptr, DueTime: u64, Dpc: Ptr) -> Boolean = ke::timer::KeSetTimer;
    stdcall fn KeSetTimerEx(Timer: Ptr, DueTime: u64, Period: i32, Dpc: Ptr) -> Boolean = ke::timer::KeSetTimerEx;
    stdcall fn KeSetCoalescableTimer(Timer: Ptr, DueTime: u64, Period: u32, TolerableDelay: u32, Dpc: Ptr) -> Boolean = ke::timer::KeSetCoalescableTimer;
    stdcall fn KeCancelTimer(Timer: Ptr) -> Boolean = ke::timer::KeCancelTimer;
    stdcall fn KeReadStateTimer(Timer: Ptr) -> Boolean = ke::timer::KeReadStateTimer;
    stdcall fn KeInitializeDpc(Dpc: Ptr, DeferredRoutine: Ptr, DeferredContext: Ptr) -> () = ke::dpc::KeInitializeDpc;
    stdcall fn KeInitializeThreadedDpc(Dpc: Ptr, DeferredRoutine: Ptr, DeferredContext: Ptr) -> () = ke::dpc::KeInitializeThreadedDpc;
    stdcall fn KeInsertQueueDpc(Dpc: Ptr, SystemArgument1: Ptr, SystemArgument2: Ptr) -> Boolean = ke::dpc::KeInsertQueueDpc;
    stdcall fn KeRemoveQueueDpc(Dpc: Ptr) -> Boolean = ke::dpc::KeRemoveQueueDpc;
    stdcall fn KeSetImportanceDpc(Dpc: Ptr, Importance: u32) -> () = ke::dpc::KeSetImportanceDpc;
    stdcall fn KeSetTargetProcessorDpc(Dpc: Ptr, Number: u8) -> () = ke::dpc::KeSetTargetProcessorDpc;
    stdcall fn KeSetTargetProcessorDpcEx(Dpc: Ptr, ProcNumber: Ptr) -> NtStatus = ke::dpc::KeSetTargetProcessorDpcEx;
    stdcall fn KeFlushQueuedDpcs() -> () = ke::dpc::KeFlushQueuedDpcs;
    stdcall fn KeGenericCallDpc(Routine: Ptr, Context: Ptr) -> () = ke::dpc::KeGenericCallDpc;
    stdcall fn KeSignalCallDpcDone(SystemArgument1: Ptr) -> () = ke::dpc::KeSignalCallDpcDone;
    stdcall fn KeSignalCallDpcSynchronize(SystemArgument2: Ptr) -> u32 = ke::dpc::KeSignalCallDpcSynchronize;
    stdcall fn KeGetCurrentThread() -> Ptr = ke::thread::KeGetCurrentThread;
    stdcall fn KeSetPriorityThread(Thread: Ptr, Priority: i32) -> i32 = ke::thread::KeSetPriorityThread;
    stdcall fn KeQueryPriorityThread(Thread: Ptr) -> i32 = ke::thread::KeQueryPriorityThread;
    stdcall fn KeSetBasePriorityThread(Thread: Ptr, Increment: i32) -> i32 = ke::thread::KeSetBasePriorityThread;
    stdcall fn KeSetSystemAffinityThread(Affinity: SizeT) -> () = ke::thread::KeSetSystemAffinityThread;
    stdcall fn KeSetSystemAffinityThreadEx(Affinity: SizeT) -> SizeT = ke::thread::KeSetSystemAffinityThreadEx;
    stdcall fn KeRevertToUserAffinityThread() -> () = ke::thread::KeRevertToUserAffinityThread;
    stdcall fn KeRevertToUserAffinityThreadEx(Affinity: SizeT) -> () = ke::thread::KeRevertToUserAffinityThreadEx;
    stdcall fn KeSetSystemGroupAffinityThread(Affinity: Ptr, PreviousAffinity: Ptr) -> () = ke::thread::KeSetSystemGroupAffinityThread;
    stdcall fn KeRevertToUserGroupAffinityThread(PreviousAffinity: Ptr) -> () = ke::thread::KeRevertToUserGroupAffinityThread;
    stdcall fn KeEnterCriticalRegion() -> () = ke::apc::KeEnterCriticalRegion;
    stdcall fn KeLeaveCriticalRegion() -> () = ke::apc::KeLeaveCriticalRegion;
    stdcall fn KeEnterGuardedRegion() -> () = ke::apc::KeEnterGuardedRegion;
    stdcall fn KeLeaveGuardedRegion() -> () = ke::apc::KeLeaveGuardedRegion;
    stdcall fn KeAreApcsDisabled() -> Boolean = ke::apc::KeAreApcsDisabled;
    stdcall fn KeAreAllApcsDisabled() -> Boolean = ke::apc::KeAreAllApcsDisabled;
    stdcall fn KeStackAttachProcess(Process: Ptr, ApcState: Ptr) -> () = ke::attach::KeStackAttachProcess;
    stdcall fn KeUnstackDetachProcess(ApcState: Ptr) -> () = ke::attach::KeUnstackDetachProcess;
    stdcall fn KeAttachProcess(Process: Ptr) -> () = ke::attach::KeAttachProcess;
    stdcall fn KeDetachProcess() -> () = ke::attach::KeDetachProcess;
    stdcall fn KeGetCurrentProcessorNumberEx(ProcNumber: Ptr) -> u32 = ke::processor::KeGetCurrentProcessorNumberEx;
    stdcall fn KeQueryActiveProcessors() -> SizeT = ke::processor::KeQueryActiveProcessors;
    stdcall fn KeQueryActiveProcessorCount(ActiveProcessors: Ptr) -> u32 = ke::processor::KeQueryActiveProcessorCount;
    stdcall fn KeQueryActiveProcessorCountEx(GroupNumber: u16) -> u32 = ke::processor::KeQueryActiveProcessorCountEx;
    stdcall fn KeQueryMaximumProcessorCount() -> u32 = ke::processor::KeQueryMaximumProcessorCount;
    stdcall fn KeQueryMaximumProcessorCountEx(GroupNumber: u16) -> u32 = ke::processor::KeQueryMaximumProcessorCountEx;
    stdcall fn KeQueryActiveGroupCount() -> u16 = ke::processor::KeQueryActiveGroupCount;
    stdcall fn KeQueryMaximumGroupCount() -> u16 = ke::processor::KeQueryMaximumGroupCount;
    stdcall fn KeQueryGroupAffinity(GroupNumber: u16) -> SizeT = ke::processor::KeQueryGroupAffinity;
    stdcall fn KeGetProcessorNumberFromIndex(ProcIndex: u32, ProcNumber: Ptr) -> NtStatus = ke::processor::KeGetProcessorNumberFromIndex;
    stdcall fn KeGetProcessorIndexFromNumber(ProcNumber: Ptr) -> u32 = ke::processor::KeGetProcessorIndexFromNumber;
    stdcall fn KeGetCurrentNodeNumber() -> u16 = ke::processor::KeGetCurrentNodeNumber;
    stdcall fn KeQueryHighestNodeNumber() -> u16 = ke::processor::KeQueryHighestNodeNumber;
    stdcall fn KeInitializeSpinLock(SpinLock: Ptr) -> () = ke::spinlock::KeInitializeSpinLock;
    stdcall fn KeAcquireSpinLockAtDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KeAcquireSpinLockAtDpcLevel;
    stdcall fn KeReleaseSpinLockFromDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KeReleaseSpinLockFromDpcLevel;
    #[x86] fastcall fn KefAcquireSpinLockAtDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KefAcquireSpinLockAtDpcLevel;
    #[x86] fastcall fn KefReleaseSpinLockFromDpcLevel(SpinLock: Ptr) -> () = ke::spinlock::KefReleaseSpinLockFromDpcLevel;
    fastcall fn KeTryToAcquireSpinLockAtDpcLevel(SpinLock: Ptr) -> Boolean = ke::spinlock::KeTryToAcquireSpinLockAtDpcLevel;
    fastcall fn KeTestSpinLock(SpinLock: Ptr) -> Boolean = ke::spinlock::KeTestSpinLock;
    #[x64] stdcall fn KeAcquireSpinLockRaiseToDpc(SpinLock: Ptr) -> u8 = ke::spinlock::KeAcquireSpinLockRaiseToDpc;
    #[x64] stdcall fn KeAcquireSpinLockRaiseToSynch(SpinLock: Ptr) -> u8 = ke::spinlock::KeAcquireSpinLockRaiseToSynch;
    #[x64] stdcall fn KeReleaseSpinLock(SpinLock: Ptr, NewIrql: u8) -> () = ke::spinlock::KeReleaseSpinLock;
    #[x64] stdcall fn KeAcquireInStackQueuedSpinLock(SpinLock: Ptr, LockHandle: Ptr) -> () = ke::spinlock::KeAcquireInStackQueuedSpinLock;
    #[x64] stdcall fn KeReleaseInStackQueuedSpinLock(LockHandle: Ptr) -> () = ke::spinlock::KeReleaseInStackQueuedSpinLock;
    fastcall fn KeAcquireInStackQueuedSpinLockAtDpcLevel(SpinLock: Ptr, LockHandle: Ptr) -> () = ke::spinlock::KeAcquireInStackQueuedSpinLockAtDpcLevel;
    fastcall fn KeReleaseInStackQueuedSpinLockFromDpcLevel(LockHandle: Ptr) -> () = ke::spinlock::KeReleaseInStackQueuedSpinLockFromDpcLevel;
    fastcall fn KeAcquireInStackQueuedSpinLockForDpc(SpinLock: Ptr, LockHandle: Ptr) -> () = ke::spinlock::KeAcquireInStackQueuedSpinLockForDpc;
    fastcall fn KeReleaseInStackQueuedSpinLockForDpc(LockHandle: Ptr) -> () = ke::spinlock::KeReleaseInStackQueuedSpinLockForDpc;
    #[x64] stdcall fn KeLowerIrql(NewIrql: u8) -> () = ke::irql::KeLowerIrql;
    #[x64] stdcall fn KfRaiseIrql(NewIrql: u8) -> u8 = ke::irql::KfRaiseIrql;
    #[x64] stdcall fn KeRaiseIrqlToDpcLevel() -> u8 = ke::irql::KeRaiseIrqlToDpcLevel;
    fastcall fn KeInitializeGuardedMutex(Mutex: Ptr) -> () = ke::guarded_mutex::KeInitializeGuardedMutex;
    fastcall fn KeAcquireGuardedMutex(Mutex: Ptr) -> () = ke::guarded_mutex::KeAcquireGuardedMutex;
    fastcall fn KeAcquireGuardedMutexUnsafe(FastMutex: Ptr) -> () = ke::guarded_mutex::KeAcquireGuardedMutexUnsafe;
    fastcall fn KeTryToAcquireGuardedMutex(Mutex: Ptr) -> Boolean = ke::guarded_mutex::KeTryToAcquireGuardedMutex;
    fastcall fn KeReleaseGuardedMutex(Mutex: Ptr) -> () = ke::guarded_mutex::KeReleaseGuardedMutex;
    fastcall fn KeReleaseGuardedMutexUnsafe(FastMutex: Ptr) -> () = ke::guarded_mutex::KeReleaseGuardedMutexUnsafe;
    #[x64] stdcall fn ExAcquireFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExAcquireFastMutex;
    #[x64] stdcall fn ExReleaseFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutex;
    #[x64] stdcall fn ExTryToAcquireFastMutex(FastMutex: Ptr) -> Boolean = ex::fast_mutex::ExTryToAcquireFastMutex;
    #[x86] fastcall fn ExiAcquireFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExAcquireFastMutex;
    #[x86] fastcall fn ExiReleaseFastMutex(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutex;
    #[x86] fastcall fn ExiTryToAcquireFastMutex(FastMutex: Ptr) -> Boolean = ex::fast_mutex::ExTryToAcquireFastMutex;
    fastcall fn ExAcquireFastMutexUnsafe(FastMutex: Ptr) -> () = ex::fast_mutex::ExAcquireFastMutexUnsafe;
    fastcall fn ExReleaseFastMutexUnsafe(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutexUnsafe;
    fastcall fn ExEnterCriticalRegionAndAcquireFastMutexUnsafe(FastMutex: Ptr) -> () = ex::fast_mutex::ExEnterCriticalRegionAndAcquireFastMutexUnsafe;
    fastcall fn ExReleaseFastMutexUnsafeAndLeaveCriticalRegion(FastMutex: Ptr) -> () = ex::fast_mutex::ExReleaseFastMutexUnsafeAndLeaveCriticalRegion;
    stdcall fn ExInitializeResourceLite(Resource: Ptr) -> NtStatus = ex::resource::ExInitializeResourceLite;
    stdcall fn ExReinitializeResourceLite(Resource: Ptr) -> NtStatus = ex::resource::ExReinitializeResourceLite;
    stdcall fn ExDeleteResourceLite(Resource: Ptr) -> NtStatus = ex::resource::ExDeleteResourceLite;
    stdcall fn ExAcquireResourceExclusiveLite(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireResourceExclusiveLite;
    stdcall fn ExAcquireResourceSharedLite(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireResourceSharedLite;
    stdcall fn ExAcquireSharedStarveExclusive(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireSharedStarveExclusive;
    stdcall fn ExAcquireSharedWaitForExclusive(Resource: Ptr, Wait: Boolean) -> Boolean = ex::resource::ExAcquireSharedWaitForExclusive;
    fastcall fn ExReleaseResourceLite(Resource: Ptr) -> () = ex::resource::ExReleaseResourceLite;
    stdcall fn ExReleaseResourceForThreadLite(Resource: Ptr, ResourceThreadId: SizeT) -> () = ex::resource::ExReleaseResourceForThreadLite;
    stdcall fn ExConvertExclusiveToSharedLite(Resource: Ptr) -> () = ex::resource::ExConvertExclusiveToSharedLite;
    stdcall fn ExIsResourceAcquiredExclusiveLite(Resource: Ptr) -> Boolean = ex::resource::ExIsResourceAcquiredExclusiveLite;
    stdcall fn ExIsResourceAcquiredSharedLite(Resource: Ptr) -> u32 = ex::resource::ExIsResourceAcquiredSharedLite;
    stdcall fn ExGetExclusiveWaiterCount(Resource: Ptr) -> u32 = ex::resource::ExGetExclusiveWaiterCount;
    stdcall fn ExGetSharedWaiterCount(Resource: Ptr) -> u32 = ex::resource::ExGetSharedWaiterCount;
    stdcall fn ExSetResourceOwnerPointer(Resource: Ptr, OwnerPointer: Ptr) -> () = ex::resource::ExSetResourceOwnerPointer;
    stdcall fn ExSetResourceOwnerPointerEx(Resource: Ptr, OwnerPointer: Ptr, Flags: u32) -> () = ex::resource::ExSetResourceOwnerPointerEx;
    stdcall fn ExDisableResourceBoostLite(Resource: Ptr) -> () = ex::resource::ExDisableResourceBoostLite;
    stdcall fn ExEnterCriticalRegionAndAcquireResourceExclusive(Resource: Ptr) -> Ptr = ex::resource::ExEnterCriticalRegionAndAcquireResourceExclusive;
    stdcall fn ExEnterCriticalRegionAndAcquireResourceShared(Resource: Ptr) -> Ptr = ex::resource::ExEnterCriticalRegionAndAcquireResourceShared;
    stdcall fn ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(Resource: Ptr) -> Ptr = ex::resource::ExEnterCriticalRegionAndAcquireSharedWaitForExclusive;
    fastcall fn ExReleaseResourceAndLeaveCriticalRegion(Resource: Ptr) -> () = ex::resource::ExReleaseResourceAndLeaveCriticalRegion;
    stdcall fn ExInitializePushLock(PushLock: Ptr) -> () = ex::push_lock::ExInitializePushLock;
    fastcall fn ExfAcquirePushLockExclusive(PushLock: Ptr) -> () = ex::push_lock::ExfAcquirePushLockExclusive;
    fastcall fn ExfAcquirePushLockShared(PushLock: Ptr) -> () = ex::push_lock::ExfAcquirePushLockShared;
    fastcall fn ExfTryAcquirePushLockShared(PushLock: Ptr) -> Boolean = ex::push_lock::ExfTryAcquirePushLockShared;
    fastcall fn ExfReleasePushLock(PushLock: Ptr) -> () = ex::push_lock::ExfReleasePushLock;
    fastcall fn ExfReleasePushLockExclusive(PushLock: Ptr) -> () = ex::push_lock::ExfReleasePushLockExclusive;
    fastcall fn ExfReleasePushLockShared(PushLock: Ptr) -> () = ex::push_lock::ExfReleasePushLockShared;
    stdcall fn ExAcquirePushLockExclusiveEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExAcquirePushLockExclusiveEx;
    stdcall fn ExAcquirePushLockSharedEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExAcquirePushLockSharedEx;
    stdcall fn ExReleasePushLockExclusiveEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExReleasePushLockExclusiveEx;
    stdcall fn ExReleasePushLockSharedEx(PushLock: Ptr, Flags: u32) -> () = ex::push_lock::ExReleasePushLockSharedEx;
    fastcall fn ExInitializeRundownProtection(RunRef: Ptr) -> () = ex::rundown::ExInitializeRundownProtection;
    fastcall fn ExReInitializeRundownProtection(RunRef: Ptr) -> () = ex::rundown::ExReInitializeRundownProtection;
    fastcall fn ExAcquireRundownProtection(RunRef: Ptr) -> Boolean = ex::rundown::ExAcquireRundownProtection;
    fastcall fn ExAcquireRundownProtectionEx(RunRef: Ptr, Count: u32) -> Boolean = ex::rundown::ExAcquireRundownProtectionEx;
    fastcall fn ExReleaseRundownProtection(RunRef: Ptr) -> () = ex::rundown::ExReleaseRundownProtection;
    fastcall fn ExReleaseRundownProtectionEx(RunRef: Ptr, Count: u32) -> () = ex::rundown::ExReleaseRundownProtectionEx;
    fastcall fn ExWaitForRundownProtectionRelease(RunRef: Ptr) -> () = ex::rundown::ExWaitForRundownProtectionRelease;
    fastcall fn ExRundownCompleted(RunRef: Ptr) -> () = ex::rundown::ExRundownCompleted;
    #[x86] fastcall fn InterlockedIncrement(Addend: Ptr) -> i32 = ex::interlocked::InterlockedIncrement;
    #[x86] fastcall fn InterlockedDecrement(Addend: Ptr) -> i32 = ex::interlocked::InterlockedDecrement;
    #[x86] fastcall fn InterlockedExchange(Target: Ptr, Value: i32) -> i32 = ex::interlocked::InterlockedExchange;
    #[x86] fastcall fn InterlockedExchangeAdd(Addend: Ptr, Value: i32) -> i32 = ex::interlocked::InterlockedExchangeAdd;
    #[x86] fastcall fn InterlockedCompareExchange(Destination: Ptr, Exchange: i32, Comparand: i32) -> i32 = ex::interlocked::InterlockedCompareExchange;
    stdcall fn ExInterlockedAddUlong(Addend: Ptr, Increment: u32, Lock: Ptr) -> u32 = ex::interlocked::ExInterlockedAddUlong;
    #[x86] fastcall fn ExfInterlockedAddUlong(Addend: Ptr, Increment: u32, Lock: Ptr) -> u32 = ex::interlocked::ExfInterlockedAddUlong;
    stdcall fn ExInterlockedAddLargeInteger(Addend: Ptr, Increment: u64, Lock: Ptr) -> u64 = ex::interlocked::ExInterlockedAddLargeInteger;
    #[x86] fastcall fn ExInterlockedAddLargeStatistic(Addend: Ptr, Increment: u32) -> () = ex::interlocked::ExInterlockedAddLargeStatistic;
    #[x86] fastcall fn ExInterlockedCompareExchange64(Destination: Ptr, Exchange: Ptr, Comparand: Ptr, Lock: Ptr) -> u64 = ex::interlocked::ExInterlockedCompareExchange64;
    #[x86] fastcall fn ExfInterlockedCompareExchange64(Destination: Ptr, Exchange: Ptr, Comperand: Ptr) -> u64 = ex::interlocked::ExfInterlockedCompareExchange64;
    #[x86] fastcall fn ExInterlockedIncrementLong(Addend: Ptr, Lock: Ptr) -> i32 = ex::interlocked::ExInterlockedIncrementLong;
    #[x86] stdcall fn ExInterlockedDecrementLong(Addend: Ptr, Lock: Ptr) -> i32 = ex::interlocked::ExInterlockedDecrementLong;
    #[x86] stdcall fn ExInterlockedExchangeUlong(Target: Ptr, Value: u32, Lock: Ptr) -> u32 = ex::interlocked::ExInterlockedExchangeUlong;
    #[x86] stdcall fn Exi386InterlockedIncrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exi386InterlockedIncrementLong;
    #[x86] stdcall fn Exi386InterlockedDecrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exi386InterlockedDecrementLong;
    #[x86] stdcall fn Exi386InterlockedExchangeUlong(Target: Ptr, Value: u32) -> u32 = ex::interlocked::Exi386InterlockedExchangeUlong;
    #[x86] fastcall fn Exfi386InterlockedIncrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exfi386InterlockedIncrementLong;
    #[x86] fastcall fn Exfi386InterlockedDecrementLong(Addend: Ptr) -> i32 = ex::interlocked::Exfi386InterlockedDecrementLong;
    #[x86] fastcall fn Exfi386InterlockedExchangeUlong(Target: Ptr, Value: u32) -> u32 = ex::interlocked::Exfi386InterlockedExchangeUlong;
    stdcall fn ExInterlockedInsertHeadList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedInsertHeadList;
    stdcall fn ExInterlockedInsertTailList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedInsertTailList;
    stdcall fn ExInterlockedRemoveHeadList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedRemoveHeadList;
    #[x86] fastcall fn ExfInterlockedInsertHeadList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedInsertHeadList;
    #[x86] fastcall fn ExfInterlockedInsertTailList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedInsertTailList;
    #[x86] fastcall fn ExfInterlockedRemoveHeadList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedRemoveHeadList;
    stdcall fn ExInterlockedPushEntryList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedPushEntryList;
    stdcall fn ExInterlockedPopEntryList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExInterlockedPopEntryList;
    #[x86] fastcall fn ExfInterlockedPushEntryList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedPushEntryList;
    #[x86] fastcall fn ExfInterlockedPopEntryList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::interlocked::ExfInterlockedPopEntryList;
    #[x86] fastcall fn InterlockedPushEntrySList(ListHead: Ptr, ListEntry: Ptr) -> Ptr = ex::slist::InterlockedPushEntrySList;
    #[x86] fastcall fn InterlockedPopEntrySList(ListHead: Ptr) -> Ptr = ex::slist::InterlockedPopEntrySList;
    #[x86] fastcall fn ExInterlockedPushEntrySList(ListHead: Ptr, ListEntry: Ptr, Lock: Ptr) -> Ptr = ex::slist::ExInterlockedPushEntrySList;
    #[x86] fastcall fn ExInterlockedPopEntrySList(ListHead: Ptr, Lock: Ptr) -> Ptr = ex::slist::ExInterlockedPopEntrySList;
    #[x86] fastcall fn ExInterlockedFlushSList(ListHead: Ptr) -> Ptr = ex::slist::ExInterlockedFlushSList;
    #[x64] stdcall fn ExpInterlockedPushEntrySList(ListHead: Ptr, ListEntry: Ptr) -> Ptr = ex::slist::ExpInterlockedPushEntrySList;
    #[x64] stdcall fn ExpInterlockedPopEntrySList(ListHead: Ptr) -> Ptr = ex::slist::ExpInterlockedPopEntrySList;
    #[x64] stdcall fn ExpInterlockedFlushSList(ListHead: Ptr) -> Ptr = ex::slist::ExpInterlockedFlushSList;
    #[x64] stdcall fn ExQueryDepthSList(ListHead: Ptr) -> u16 = ex::slist::ExQueryDepthSList;
    #[x64] stdcall fn InitializeSListHead(SListHead: Ptr) -> () = ex::slist::InitializeSListHead;
    stdcall fn FirstEntrySList(ListHead: Ptr) -> Ptr = ex::slist::FirstEntrySList;
    stdcall fn ExInitializeNPagedLookasideList(Lookaside: Ptr, Allocate: Ptr, Free: Ptr, Flags: u32, Size: SizeT, Tag: PoolTag, Depth: u16) -> () = ex::lookaside::ExInitializeNPagedLookasideList;
    stdcall fn ExInitializePagedLookasideList(Lookaside: Ptr, Allocate: Ptr, Free: Ptr, Flags: u32, Size: SizeT, Tag: PoolTag, Depth: u16) -> () = ex::lookaside::ExInitializePagedLookasideList;
    stdcall fn ExDeleteNPagedLookasideList(Lookaside: Ptr) -> () = ex::lookaside::ExDeleteNPagedLookasideList;
    stdcall fn ExDeletePagedLookasideList(Lookaside: Ptr) -> () = ex::lookaside::ExDeletePagedLookasideList;
    stdcall fn ExAllocateFromPagedLookasideList(Lookaside: Ptr) -> Ptr = ex::lookaside::ExAllocateFromPagedLookasideList;
    stdcall fn ExFreeToPagedLookasideList(Lookaside: Ptr, Entry: Ptr) -> () = ex::lookaside::ExFreeToPagedLookasideList;
    stdcall fn ExInitializeLookasideListEx(Lookaside: Ptr, Allocate: Ptr, Free: Ptr, PoolType: u32, Flags: u32, Size: SizeT, Tag: PoolTag, Depth: u16) -> NtStatus = ex::lookaside::ExInitializeLookasideListEx;
    stdcall fn ExDeleteLookasideListEx(Lookaside: Ptr) -> () = ex::lookaside::ExDeleteLookasideListEx;
    stdcall fn ExFlushLookasideListEx(Lookaside: Ptr) -> () = ex::lookaside::ExFlushLookasideListEx;
    stdcall fn ExQueueWorkItem(WorkItem: Ptr, QueueType: u32) -> () = ex::work_item::ExQueueWorkItem;
    stdcall fn IoAllocateWorkItem(DeviceObject: Ptr) -> Ptr = io::work_item::IoAllocateWorkItem;
    stdcall fn IoFreeWorkItem(IoWorkItem: Ptr) -> () = io::work_item::IoFreeWorkItem;
    stdcall fn IoInitializeWorkItem(IoObject: Ptr, IoWorkItem: Ptr) -> () = io::work_item::IoInitializeWorkItem;
    stdcall fn IoUninitializeWorkItem(IoWorkItem: Ptr) -> () = io::work_item::IoUninitializeWorkItem;
    stdcall fn IoSizeofWorkItem() -> u32 = io::work_item::IoSizeofWorkItem;
    stdcall fn IoQueueWorkItem(IoWorkItem: Ptr, WorkerRoutine: Ptr, QueueType: u32, Context: Ptr) -> () = io::work_item::IoQueueWorkItem;
    stdcall fn IoQueueWorkItemEx(IoWorkItem: Ptr, WorkerRoutine: Ptr, QueueType: u32, Context: Ptr) -> () = io::work_item::IoQueueWorkItemEx;
    stdcall fn ExCreateCallback(CallbackObject: Ptr, ObjectAttributes: Ptr, Create: Boolean, AllowMultipleCallbacks: Boolean) -> NtStatus = ex::callback::ExCreateCallback;
    stdcall fn ExRegisterCallback(CallbackObject: Ptr, CallbackFunction: Ptr, CallbackContext: Ptr) -> Ptr = ex::callback::ExRegisterCallback;
    stdcall fn ExUnregisterCallback(CbRegistration: Ptr) -> () = ex::callback::ExUnregisterCallback;
    stdcall fn ExNotifyCallback(CallbackObject: Ptr, Argument1: Ptr, Argument2: Ptr) -> () = ex::callback::ExNotifyCallback;
    #[x86] stdcall fn KeQuerySystemTime(CurrentTime: Ptr) -> () = ke::time::KeQuerySystemTime;
    stdcall fn KeQuerySystemTimePrecise(CurrentTime: Ptr) -> () = ke::time::KeQuerySystemTimePrecise;
    #[x86] stdcall fn KeQueryTickCount(TickCount: Ptr) -> () = ke::time::KeQueryTickCount;
    #[x86] stdcall fn KeQueryInterruptTime() -> u64 = ke::time::KeQueryInterruptTime;
    stdcall fn KeQueryInterruptTimePrecise(QpcTimeStamp: Ptr) -> u64 = ke::time::KeQueryInterruptTimePrecise;
    stdcall fn KeQueryUnbiasedInterruptTime() -> u64 = ke::time::KeQueryUnbiasedInterruptTime;
    stdcall fn KeQueryTimeIncrement() -> u32 = ke::time::KeQueryTimeIncrement;

    // Processes and threads (ps/).
    stdcall fn PsCreateSystemThread(ThreadHandle: Ptr, DesiredAccess: u32, ObjectAttributes: Ptr, ProcessHandle: HANDLE, ClientId: Ptr, StartRoutine: Ptr, StartContext: Ptr) -> NtStatus = ps::thread::PsCreateSystemThread;
    stdcall fn PsTerminateSystemThread(ExitStatus: NtStatus) -> NtStatus = ps::thread::PsTerminateSystemThread;
    stdcall fn PsGetCurrentThread() -> Ptr = ps::lookup::PsGetCurrentThread;
    stdcall fn PsGetCurrentThreadId() -> Ptr = ps::lookup::PsGetCurrentThreadId;
    stdcall fn PsGetCurrentProcess() -> Ptr = ps::lookup::PsGetCurrentProcess;
    stdcall fn PsGetCurrentProcessId() -> Ptr = ps::lookup::PsGetCurrentProcessId;
    stdcall fn PsLookupProcessByProcessId(ProcessId: Ptr, Process: Ptr) -> NtStatus = ps::lookup::PsLookupProcessByProcessId;
    stdcall fn PsLookupThreadByThreadId(ThreadId: Ptr, Thread: Ptr) -> NtStatus = ps::lookup::PsLookupThreadByThreadId;
    stdcall fn PsGetProcessId(Process: Ptr) -> Ptr = ps::lookup::PsGetProcessId;
    stdcall fn PsGetProcessImageFileName(Process: Ptr) -> Ptr = ps::lookup::PsGetProcessImageFileName;
    stdcall fn PsGetProcessInheritedFromUniqueProcessId(Process: Ptr) -> Ptr = ps::lookup::PsGetProcessInheritedFromUniqueProcessId;
    stdcall fn PsGetThreadId(Thread: Ptr) -> Ptr = ps::lookup::PsGetThreadId;
    stdcall fn PsGetThreadProcessId(Thread: Ptr) -> Ptr = ps::lookup::PsGetThreadProcessId;
    stdcall fn PsGetThreadProcess(Thread: Ptr) -> Ptr = ps::lookup::PsGetThreadProcess;
    stdcall fn IoThreadToProcess(Thread: Ptr) -> Ptr = ps::lookup::IoThreadToProcess;
    stdcall fn PsIsSystemThread(Thread: Ptr) -> Boolean = ps::lookup::PsIsSystemThread;
    stdcall fn PsIsThreadTerminating(Thread: Ptr) -> Boolean = ps::lookup::PsIsThreadTerminating;
    stdcall fn PsSetCreateProcessNotifyRoutine(NotifyRoutine: Ptr, Remove: Boolean) -> NtStatus = ps::notify::PsSetCreateProcessNotifyRoutine;
    stdcall fn PsSetCreateProcessNotifyRoutineEx(NotifyRoutine: Ptr, Remove: Boolean) -> NtStatus = ps::notify::PsSetCreateProcessNotifyRoutineEx;
    stdcall fn PsSetCreateProcessNotifyRoutineEx2(NotifyType: u32, NotifyInformation: Ptr, Remove: Boolean) -> NtStatus = ps::notify::PsSetCreateProcessNotifyRoutineEx2;
    stdcall fn PsSetCreateThreadNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsSetCreateThreadNotifyRoutine;
    stdcall fn PsRemoveCreateThreadNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsRemoveCreateThreadNotifyRoutine;
    stdcall fn PsSetLoadImageNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsSetLoadImageNotifyRoutine;
    stdcall fn PsRemoveLoadImageNotifyRoutine(NotifyRoutine: Ptr) -> NtStatus = ps::notify::PsRemoveLoadImageNotifyRoutine;

    // Exceptions and unwinding (seh/).

    // Security, power, tracing (se/, po/, etw/).
};
