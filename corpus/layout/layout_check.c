/* Generated from hle/src/layout/structs.rs by `cargo run -p portcullis-hle --example gen_layout_check`.
 * Compiled for i686 and x86_64 by corpus/build.sh: a wrong offset in the emulator's
 * structure layouts fails the corpus build. Do not edit by hand. */
#include <ntddk.h>
#include <usb.h>
#include <usbdlib.h>
#include <stddef.h>

#ifdef _WIN64
#define PICK(x86, x64) (x64)
#else
#define PICK(x86, x64) (x86)
#endif

_Static_assert(sizeof(UNICODE_STRING) == PICK(0x8, 0x10), "sizeof(UNICODE_STRING)");
_Static_assert(offsetof(UNICODE_STRING, Length) == PICK(0x0, 0x0), "UNICODE_STRING.Length");
_Static_assert(offsetof(UNICODE_STRING, MaximumLength) == PICK(0x2, 0x2), "UNICODE_STRING.MaximumLength");
_Static_assert(offsetof(UNICODE_STRING, Buffer) == PICK(0x4, 0x8), "UNICODE_STRING.Buffer");

_Static_assert(sizeof(ANSI_STRING) == PICK(0x8, 0x10), "sizeof(ANSI_STRING)");
_Static_assert(offsetof(ANSI_STRING, Length) == PICK(0x0, 0x0), "ANSI_STRING.Length");
_Static_assert(offsetof(ANSI_STRING, MaximumLength) == PICK(0x2, 0x2), "ANSI_STRING.MaximumLength");
_Static_assert(offsetof(ANSI_STRING, Buffer) == PICK(0x4, 0x8), "ANSI_STRING.Buffer");

_Static_assert(sizeof(LIST_ENTRY) == PICK(0x8, 0x10), "sizeof(LIST_ENTRY)");
_Static_assert(offsetof(LIST_ENTRY, Flink) == PICK(0x0, 0x0), "LIST_ENTRY.Flink");
_Static_assert(offsetof(LIST_ENTRY, Blink) == PICK(0x4, 0x8), "LIST_ENTRY.Blink");

_Static_assert(sizeof(IO_STATUS_BLOCK) == PICK(0x8, 0x10), "sizeof(IO_STATUS_BLOCK)");
_Static_assert(offsetof(IO_STATUS_BLOCK, Status) == PICK(0x0, 0x0), "IO_STATUS_BLOCK.Status");
_Static_assert(offsetof(IO_STATUS_BLOCK, Information) == PICK(0x4, 0x8), "IO_STATUS_BLOCK.Information");

_Static_assert(sizeof(DISPATCHER_HEADER) == PICK(0x10, 0x18), "sizeof(DISPATCHER_HEADER)");
_Static_assert(offsetof(DISPATCHER_HEADER, Type) == PICK(0x0, 0x0), "DISPATCHER_HEADER.Type");
_Static_assert(offsetof(DISPATCHER_HEADER, SignalState) == PICK(0x4, 0x4), "DISPATCHER_HEADER.SignalState");
_Static_assert(offsetof(DISPATCHER_HEADER, WaitListHead) == PICK(0x8, 0x8), "DISPATCHER_HEADER.WaitListHead");

_Static_assert(sizeof(KEVENT) == PICK(0x10, 0x18), "sizeof(KEVENT)");
_Static_assert(offsetof(KEVENT, Header) == PICK(0x0, 0x0), "KEVENT.Header");

_Static_assert(sizeof(KDPC) == PICK(0x20, 0x40), "sizeof(KDPC)");
_Static_assert(offsetof(KDPC, Type) == PICK(0x0, 0x0), "KDPC.Type");
_Static_assert(offsetof(KDPC, Importance) == PICK(0x1, 0x1), "KDPC.Importance");
_Static_assert(offsetof(KDPC, Number) == PICK(0x2, 0x2), "KDPC.Number");
_Static_assert(offsetof(KDPC, DpcListEntry) == PICK(0x4, 0x8), "KDPC.DpcListEntry");
_Static_assert(offsetof(KDPC, DeferredRoutine) == PICK(0xc, 0x18), "KDPC.DeferredRoutine");
_Static_assert(offsetof(KDPC, DeferredContext) == PICK(0x10, 0x20), "KDPC.DeferredContext");
_Static_assert(offsetof(KDPC, SystemArgument1) == PICK(0x14, 0x28), "KDPC.SystemArgument1");
_Static_assert(offsetof(KDPC, SystemArgument2) == PICK(0x18, 0x30), "KDPC.SystemArgument2");
_Static_assert(offsetof(KDPC, DpcData) == PICK(0x1c, 0x38), "KDPC.DpcData");

_Static_assert(sizeof(KAPC) == PICK(0x30, 0x58), "sizeof(KAPC)");
_Static_assert(offsetof(KAPC, Type) == PICK(0x0, 0x0), "KAPC.Type");
_Static_assert(offsetof(KAPC, Size) == PICK(0x2, 0x2), "KAPC.Size");
_Static_assert(offsetof(KAPC, Thread) == PICK(0x8, 0x8), "KAPC.Thread");
_Static_assert(offsetof(KAPC, ApcListEntry) == PICK(0xc, 0x10), "KAPC.ApcListEntry");
_Static_assert(offsetof(KAPC, KernelRoutine) == PICK(0x14, 0x20), "KAPC.KernelRoutine");
_Static_assert(offsetof(KAPC, RundownRoutine) == PICK(0x18, 0x28), "KAPC.RundownRoutine");
_Static_assert(offsetof(KAPC, NormalRoutine) == PICK(0x1c, 0x30), "KAPC.NormalRoutine");
_Static_assert(offsetof(KAPC, NormalContext) == PICK(0x20, 0x38), "KAPC.NormalContext");
_Static_assert(offsetof(KAPC, SystemArgument1) == PICK(0x24, 0x40), "KAPC.SystemArgument1");
_Static_assert(offsetof(KAPC, SystemArgument2) == PICK(0x28, 0x48), "KAPC.SystemArgument2");
_Static_assert(offsetof(KAPC, ApcStateIndex) == PICK(0x2c, 0x50), "KAPC.ApcStateIndex");
_Static_assert(offsetof(KAPC, ApcMode) == PICK(0x2d, 0x51), "KAPC.ApcMode");
_Static_assert(offsetof(KAPC, Inserted) == PICK(0x2e, 0x52), "KAPC.Inserted");

_Static_assert(sizeof(KBUGCHECK_CALLBACK_RECORD) == PICK(0x20, 0x40), "sizeof(KBUGCHECK_CALLBACK_RECORD)");
_Static_assert(offsetof(KBUGCHECK_CALLBACK_RECORD, Entry) == PICK(0x0, 0x0), "KBUGCHECK_CALLBACK_RECORD.Entry");
_Static_assert(offsetof(KBUGCHECK_CALLBACK_RECORD, CallbackRoutine) == PICK(0x8, 0x10), "KBUGCHECK_CALLBACK_RECORD.CallbackRoutine");
_Static_assert(offsetof(KBUGCHECK_CALLBACK_RECORD, Buffer) == PICK(0xc, 0x18), "KBUGCHECK_CALLBACK_RECORD.Buffer");
_Static_assert(offsetof(KBUGCHECK_CALLBACK_RECORD, Length) == PICK(0x10, 0x20), "KBUGCHECK_CALLBACK_RECORD.Length");
_Static_assert(offsetof(KBUGCHECK_CALLBACK_RECORD, Component) == PICK(0x14, 0x28), "KBUGCHECK_CALLBACK_RECORD.Component");
_Static_assert(offsetof(KBUGCHECK_CALLBACK_RECORD, Checksum) == PICK(0x18, 0x30), "KBUGCHECK_CALLBACK_RECORD.Checksum");
_Static_assert(offsetof(KBUGCHECK_CALLBACK_RECORD, State) == PICK(0x1c, 0x38), "KBUGCHECK_CALLBACK_RECORD.State");

_Static_assert(sizeof(KTIMER) == PICK(0x28, 0x40), "sizeof(KTIMER)");
_Static_assert(offsetof(KTIMER, Header) == PICK(0x0, 0x0), "KTIMER.Header");
_Static_assert(offsetof(KTIMER, DueTime) == PICK(0x10, 0x18), "KTIMER.DueTime");
_Static_assert(offsetof(KTIMER, TimerListEntry) == PICK(0x18, 0x20), "KTIMER.TimerListEntry");
_Static_assert(offsetof(KTIMER, Dpc) == PICK(0x20, 0x30), "KTIMER.Dpc");
#ifdef _WIN64
_Static_assert(offsetof(KTIMER, Processor) == 0x38, "KTIMER.Processor");
#endif
_Static_assert(offsetof(KTIMER, Period) == PICK(0x24, 0x3c), "KTIMER.Period");

_Static_assert(sizeof(KMUTANT) == PICK(0x20, 0x38), "sizeof(KMUTANT)");
_Static_assert(offsetof(KMUTANT, Header) == PICK(0x0, 0x0), "KMUTANT.Header");
_Static_assert(offsetof(KMUTANT, MutantListEntry) == PICK(0x10, 0x18), "KMUTANT.MutantListEntry");
_Static_assert(offsetof(KMUTANT, OwnerThread) == PICK(0x18, 0x28), "KMUTANT.OwnerThread");
_Static_assert(offsetof(KMUTANT, Abandoned) == PICK(0x1c, 0x30), "KMUTANT.Abandoned");
_Static_assert(offsetof(KMUTANT, ApcDisable) == PICK(0x1d, 0x31), "KMUTANT.ApcDisable");

_Static_assert(sizeof(KSEMAPHORE) == PICK(0x14, 0x20), "sizeof(KSEMAPHORE)");
_Static_assert(offsetof(KSEMAPHORE, Header) == PICK(0x0, 0x0), "KSEMAPHORE.Header");
_Static_assert(offsetof(KSEMAPHORE, Limit) == PICK(0x10, 0x18), "KSEMAPHORE.Limit");

_Static_assert(sizeof(FAST_MUTEX) == PICK(0x20, 0x38), "sizeof(FAST_MUTEX)");
_Static_assert(offsetof(FAST_MUTEX, Count) == PICK(0x0, 0x0), "FAST_MUTEX.Count");
_Static_assert(offsetof(FAST_MUTEX, Owner) == PICK(0x4, 0x8), "FAST_MUTEX.Owner");
_Static_assert(offsetof(FAST_MUTEX, Contention) == PICK(0x8, 0x10), "FAST_MUTEX.Contention");
_Static_assert(offsetof(FAST_MUTEX, Event) == PICK(0xc, 0x18), "FAST_MUTEX.Event");
_Static_assert(offsetof(FAST_MUTEX, OldIrql) == PICK(0x1c, 0x30), "FAST_MUTEX.OldIrql");

_Static_assert(sizeof(KGUARDED_MUTEX) == PICK(0x20, 0x38), "sizeof(KGUARDED_MUTEX)");
_Static_assert(offsetof(KGUARDED_MUTEX, Count) == PICK(0x0, 0x0), "KGUARDED_MUTEX.Count");
_Static_assert(offsetof(KGUARDED_MUTEX, Owner) == PICK(0x4, 0x8), "KGUARDED_MUTEX.Owner");
_Static_assert(offsetof(KGUARDED_MUTEX, Contention) == PICK(0x8, 0x10), "KGUARDED_MUTEX.Contention");
_Static_assert(offsetof(KGUARDED_MUTEX, Gate) == PICK(0xc, 0x18), "KGUARDED_MUTEX.Gate");
_Static_assert(offsetof(KGUARDED_MUTEX, KernelApcDisable) == PICK(0x1c, 0x30), "KGUARDED_MUTEX.KernelApcDisable");

_Static_assert(sizeof(ERESOURCE) == PICK(0x38, 0x68), "sizeof(ERESOURCE)");
_Static_assert(offsetof(ERESOURCE, SystemResourcesList) == PICK(0x0, 0x0), "ERESOURCE.SystemResourcesList");
_Static_assert(offsetof(ERESOURCE, OwnerTable) == PICK(0x8, 0x10), "ERESOURCE.OwnerTable");
_Static_assert(offsetof(ERESOURCE, ActiveCount) == PICK(0xc, 0x18), "ERESOURCE.ActiveCount");
_Static_assert(offsetof(ERESOURCE, Flag) == PICK(0xe, 0x1a), "ERESOURCE.Flag");
_Static_assert(offsetof(ERESOURCE, SharedWaiters) == PICK(0x10, 0x20), "ERESOURCE.SharedWaiters");
_Static_assert(offsetof(ERESOURCE, ExclusiveWaiters) == PICK(0x14, 0x28), "ERESOURCE.ExclusiveWaiters");
_Static_assert(offsetof(ERESOURCE, OwnerEntry) == PICK(0x18, 0x30), "ERESOURCE.OwnerEntry");
_Static_assert(offsetof(ERESOURCE, ActiveEntries) == PICK(0x20, 0x40), "ERESOURCE.ActiveEntries");
_Static_assert(offsetof(ERESOURCE, ContentionCount) == PICK(0x24, 0x44), "ERESOURCE.ContentionCount");
_Static_assert(offsetof(ERESOURCE, NumberOfSharedWaiters) == PICK(0x28, 0x48), "ERESOURCE.NumberOfSharedWaiters");
_Static_assert(offsetof(ERESOURCE, NumberOfExclusiveWaiters) == PICK(0x2c, 0x4c), "ERESOURCE.NumberOfExclusiveWaiters");
_Static_assert(offsetof(ERESOURCE, SpinLock) == PICK(0x34, 0x60), "ERESOURCE.SpinLock");

_Static_assert(sizeof(OWNER_ENTRY) == PICK(0x8, 0x10), "sizeof(OWNER_ENTRY)");
_Static_assert(offsetof(OWNER_ENTRY, OwnerThread) == PICK(0x0, 0x0), "OWNER_ENTRY.OwnerThread");
_Static_assert(offsetof(OWNER_ENTRY, TableSize) == PICK(0x4, 0x8), "OWNER_ENTRY.TableSize");

_Static_assert(sizeof(WORK_QUEUE_ITEM) == PICK(0x10, 0x20), "sizeof(WORK_QUEUE_ITEM)");
_Static_assert(offsetof(WORK_QUEUE_ITEM, List) == PICK(0x0, 0x0), "WORK_QUEUE_ITEM.List");
_Static_assert(offsetof(WORK_QUEUE_ITEM, WorkerRoutine) == PICK(0x8, 0x10), "WORK_QUEUE_ITEM.WorkerRoutine");
_Static_assert(offsetof(WORK_QUEUE_ITEM, Parameter) == PICK(0xc, 0x18), "WORK_QUEUE_ITEM.Parameter");

_Static_assert(sizeof(GENERAL_LOOKASIDE) == PICK(0x48, 0x80), "sizeof(GENERAL_LOOKASIDE)");
_Static_assert(offsetof(GENERAL_LOOKASIDE, ListHead) == PICK(0x0, 0x0), "GENERAL_LOOKASIDE.ListHead");
_Static_assert(offsetof(GENERAL_LOOKASIDE, Depth) == PICK(0x8, 0x10), "GENERAL_LOOKASIDE.Depth");
_Static_assert(offsetof(GENERAL_LOOKASIDE, MaximumDepth) == PICK(0xa, 0x12), "GENERAL_LOOKASIDE.MaximumDepth");
_Static_assert(offsetof(GENERAL_LOOKASIDE, TotalAllocates) == PICK(0xc, 0x14), "GENERAL_LOOKASIDE.TotalAllocates");
_Static_assert(offsetof(GENERAL_LOOKASIDE, AllocateMisses) == PICK(0x10, 0x18), "GENERAL_LOOKASIDE.AllocateMisses");
_Static_assert(offsetof(GENERAL_LOOKASIDE, TotalFrees) == PICK(0x14, 0x1c), "GENERAL_LOOKASIDE.TotalFrees");
_Static_assert(offsetof(GENERAL_LOOKASIDE, FreeMisses) == PICK(0x18, 0x20), "GENERAL_LOOKASIDE.FreeMisses");
_Static_assert(offsetof(GENERAL_LOOKASIDE, Type) == PICK(0x1c, 0x24), "GENERAL_LOOKASIDE.Type");
_Static_assert(offsetof(GENERAL_LOOKASIDE, Tag) == PICK(0x20, 0x28), "GENERAL_LOOKASIDE.Tag");
_Static_assert(offsetof(GENERAL_LOOKASIDE, Size) == PICK(0x24, 0x2c), "GENERAL_LOOKASIDE.Size");
_Static_assert(offsetof(GENERAL_LOOKASIDE, Allocate) == PICK(0x28, 0x30), "GENERAL_LOOKASIDE.Allocate");
_Static_assert(offsetof(GENERAL_LOOKASIDE, Free) == PICK(0x2c, 0x38), "GENERAL_LOOKASIDE.Free");
_Static_assert(offsetof(GENERAL_LOOKASIDE, ListEntry) == PICK(0x30, 0x40), "GENERAL_LOOKASIDE.ListEntry");
_Static_assert(offsetof(GENERAL_LOOKASIDE, LastTotalAllocates) == PICK(0x38, 0x50), "GENERAL_LOOKASIDE.LastTotalAllocates");
_Static_assert(offsetof(GENERAL_LOOKASIDE, LastAllocateMisses) == PICK(0x3c, 0x54), "GENERAL_LOOKASIDE.LastAllocateMisses");

_Static_assert(sizeof(KLOCK_QUEUE_HANDLE) == PICK(0xc, 0x18), "sizeof(KLOCK_QUEUE_HANDLE)");
_Static_assert(offsetof(KLOCK_QUEUE_HANDLE, LockQueue.Next) == PICK(0x0, 0x0), "KLOCK_QUEUE_HANDLE.LockQueue.Next");
_Static_assert(offsetof(KLOCK_QUEUE_HANDLE, LockQueue.Lock) == PICK(0x4, 0x8), "KLOCK_QUEUE_HANDLE.LockQueue.Lock");
_Static_assert(offsetof(KLOCK_QUEUE_HANDLE, OldIrql) == PICK(0x8, 0x10), "KLOCK_QUEUE_HANDLE.OldIrql");

_Static_assert(sizeof(PROCESSOR_NUMBER) == PICK(0x4, 0x4), "sizeof(PROCESSOR_NUMBER)");
_Static_assert(offsetof(PROCESSOR_NUMBER, Group) == PICK(0x0, 0x0), "PROCESSOR_NUMBER.Group");
_Static_assert(offsetof(PROCESSOR_NUMBER, Number) == PICK(0x2, 0x2), "PROCESSOR_NUMBER.Number");
_Static_assert(offsetof(PROCESSOR_NUMBER, Reserved) == PICK(0x3, 0x3), "PROCESSOR_NUMBER.Reserved");

_Static_assert(sizeof(GROUP_AFFINITY) == PICK(0xc, 0x10), "sizeof(GROUP_AFFINITY)");
_Static_assert(offsetof(GROUP_AFFINITY, Mask) == PICK(0x0, 0x0), "GROUP_AFFINITY.Mask");
_Static_assert(offsetof(GROUP_AFFINITY, Group) == PICK(0x4, 0x8), "GROUP_AFFINITY.Group");

_Static_assert(sizeof(PS_CREATE_NOTIFY_INFO) == PICK(0x24, 0x48), "sizeof(PS_CREATE_NOTIFY_INFO)");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, Size) == PICK(0x0, 0x0), "PS_CREATE_NOTIFY_INFO.Size");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, Flags) == PICK(0x4, 0x8), "PS_CREATE_NOTIFY_INFO.Flags");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, ParentProcessId) == PICK(0x8, 0x10), "PS_CREATE_NOTIFY_INFO.ParentProcessId");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, CreatingThreadId) == PICK(0xc, 0x18), "PS_CREATE_NOTIFY_INFO.CreatingThreadId");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, FileObject) == PICK(0x14, 0x28), "PS_CREATE_NOTIFY_INFO.FileObject");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, ImageFileName) == PICK(0x18, 0x30), "PS_CREATE_NOTIFY_INFO.ImageFileName");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, CommandLine) == PICK(0x1c, 0x38), "PS_CREATE_NOTIFY_INFO.CommandLine");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, CreationStatus) == PICK(0x20, 0x40), "PS_CREATE_NOTIFY_INFO.CreationStatus");

_Static_assert(sizeof(IMAGE_INFO) == PICK(0x14, 0x28), "sizeof(IMAGE_INFO)");
_Static_assert(offsetof(IMAGE_INFO, Properties) == PICK(0x0, 0x0), "IMAGE_INFO.Properties");
_Static_assert(offsetof(IMAGE_INFO, ImageBase) == PICK(0x4, 0x8), "IMAGE_INFO.ImageBase");
_Static_assert(offsetof(IMAGE_INFO, ImageSelector) == PICK(0x8, 0x10), "IMAGE_INFO.ImageSelector");
_Static_assert(offsetof(IMAGE_INFO, ImageSize) == PICK(0xc, 0x18), "IMAGE_INFO.ImageSize");
_Static_assert(offsetof(IMAGE_INFO, ImageSectionNumber) == PICK(0x10, 0x20), "IMAGE_INFO.ImageSectionNumber");

_Static_assert(sizeof(CLIENT_ID) == PICK(0x8, 0x10), "sizeof(CLIENT_ID)");
_Static_assert(offsetof(CLIENT_ID, UniqueProcess) == PICK(0x0, 0x0), "CLIENT_ID.UniqueProcess");
_Static_assert(offsetof(CLIENT_ID, UniqueThread) == PICK(0x4, 0x8), "CLIENT_ID.UniqueThread");

_Static_assert(sizeof(DRIVER_OBJECT) == PICK(0xa8, 0x150), "sizeof(DRIVER_OBJECT)");
_Static_assert(offsetof(DRIVER_OBJECT, Type) == PICK(0x0, 0x0), "DRIVER_OBJECT.Type");
_Static_assert(offsetof(DRIVER_OBJECT, Size) == PICK(0x2, 0x2), "DRIVER_OBJECT.Size");
_Static_assert(offsetof(DRIVER_OBJECT, DeviceObject) == PICK(0x4, 0x8), "DRIVER_OBJECT.DeviceObject");
_Static_assert(offsetof(DRIVER_OBJECT, Flags) == PICK(0x8, 0x10), "DRIVER_OBJECT.Flags");
_Static_assert(offsetof(DRIVER_OBJECT, DriverStart) == PICK(0xc, 0x18), "DRIVER_OBJECT.DriverStart");
_Static_assert(offsetof(DRIVER_OBJECT, DriverSize) == PICK(0x10, 0x20), "DRIVER_OBJECT.DriverSize");
_Static_assert(offsetof(DRIVER_OBJECT, DriverSection) == PICK(0x14, 0x28), "DRIVER_OBJECT.DriverSection");
_Static_assert(offsetof(DRIVER_OBJECT, DriverExtension) == PICK(0x18, 0x30), "DRIVER_OBJECT.DriverExtension");
_Static_assert(offsetof(DRIVER_OBJECT, DriverName) == PICK(0x1c, 0x38), "DRIVER_OBJECT.DriverName");
_Static_assert(offsetof(DRIVER_OBJECT, HardwareDatabase) == PICK(0x24, 0x48), "DRIVER_OBJECT.HardwareDatabase");
_Static_assert(offsetof(DRIVER_OBJECT, FastIoDispatch) == PICK(0x28, 0x50), "DRIVER_OBJECT.FastIoDispatch");
_Static_assert(offsetof(DRIVER_OBJECT, DriverInit) == PICK(0x2c, 0x58), "DRIVER_OBJECT.DriverInit");
_Static_assert(offsetof(DRIVER_OBJECT, DriverStartIo) == PICK(0x30, 0x60), "DRIVER_OBJECT.DriverStartIo");
_Static_assert(offsetof(DRIVER_OBJECT, DriverUnload) == PICK(0x34, 0x68), "DRIVER_OBJECT.DriverUnload");
_Static_assert(offsetof(DRIVER_OBJECT, MajorFunction) == PICK(0x38, 0x70), "DRIVER_OBJECT.MajorFunction");

_Static_assert(sizeof(DRIVER_EXTENSION) == PICK(0x14, 0x28), "sizeof(DRIVER_EXTENSION)");
_Static_assert(offsetof(DRIVER_EXTENSION, DriverObject) == PICK(0x0, 0x0), "DRIVER_EXTENSION.DriverObject");
_Static_assert(offsetof(DRIVER_EXTENSION, AddDevice) == PICK(0x4, 0x8), "DRIVER_EXTENSION.AddDevice");
_Static_assert(offsetof(DRIVER_EXTENSION, Count) == PICK(0x8, 0x10), "DRIVER_EXTENSION.Count");
_Static_assert(offsetof(DRIVER_EXTENSION, ServiceKeyName) == PICK(0xc, 0x18), "DRIVER_EXTENSION.ServiceKeyName");

_Static_assert(sizeof(DEVICE_OBJECT) == PICK(0xb8, 0x148), "sizeof(DEVICE_OBJECT)");
_Static_assert(offsetof(DEVICE_OBJECT, Type) == PICK(0x0, 0x0), "DEVICE_OBJECT.Type");
_Static_assert(offsetof(DEVICE_OBJECT, Size) == PICK(0x2, 0x2), "DEVICE_OBJECT.Size");
_Static_assert(offsetof(DEVICE_OBJECT, ReferenceCount) == PICK(0x4, 0x4), "DEVICE_OBJECT.ReferenceCount");
_Static_assert(offsetof(DEVICE_OBJECT, DriverObject) == PICK(0x8, 0x8), "DEVICE_OBJECT.DriverObject");
_Static_assert(offsetof(DEVICE_OBJECT, NextDevice) == PICK(0xc, 0x10), "DEVICE_OBJECT.NextDevice");
_Static_assert(offsetof(DEVICE_OBJECT, AttachedDevice) == PICK(0x10, 0x18), "DEVICE_OBJECT.AttachedDevice");
_Static_assert(offsetof(DEVICE_OBJECT, CurrentIrp) == PICK(0x14, 0x20), "DEVICE_OBJECT.CurrentIrp");
_Static_assert(offsetof(DEVICE_OBJECT, Timer) == PICK(0x18, 0x28), "DEVICE_OBJECT.Timer");
_Static_assert(offsetof(DEVICE_OBJECT, Flags) == PICK(0x1c, 0x30), "DEVICE_OBJECT.Flags");
_Static_assert(offsetof(DEVICE_OBJECT, Characteristics) == PICK(0x20, 0x34), "DEVICE_OBJECT.Characteristics");
_Static_assert(offsetof(DEVICE_OBJECT, Vpb) == PICK(0x24, 0x38), "DEVICE_OBJECT.Vpb");
_Static_assert(offsetof(DEVICE_OBJECT, DeviceExtension) == PICK(0x28, 0x40), "DEVICE_OBJECT.DeviceExtension");
_Static_assert(offsetof(DEVICE_OBJECT, DeviceType) == PICK(0x2c, 0x48), "DEVICE_OBJECT.DeviceType");
_Static_assert(offsetof(DEVICE_OBJECT, StackSize) == PICK(0x30, 0x4c), "DEVICE_OBJECT.StackSize");
_Static_assert(offsetof(DEVICE_OBJECT, Queue) == PICK(0x34, 0x50), "DEVICE_OBJECT.Queue");
_Static_assert(offsetof(DEVICE_OBJECT, AlignmentRequirement) == PICK(0x5c, 0x98), "DEVICE_OBJECT.AlignmentRequirement");
_Static_assert(offsetof(DEVICE_OBJECT, DeviceQueue) == PICK(0x60, 0xa0), "DEVICE_OBJECT.DeviceQueue");
_Static_assert(offsetof(DEVICE_OBJECT, Dpc) == PICK(0x74, 0xc8), "DEVICE_OBJECT.Dpc");
_Static_assert(offsetof(DEVICE_OBJECT, ActiveThreadCount) == PICK(0x94, 0x108), "DEVICE_OBJECT.ActiveThreadCount");
_Static_assert(offsetof(DEVICE_OBJECT, SecurityDescriptor) == PICK(0x98, 0x110), "DEVICE_OBJECT.SecurityDescriptor");
_Static_assert(offsetof(DEVICE_OBJECT, DeviceLock) == PICK(0x9c, 0x118), "DEVICE_OBJECT.DeviceLock");
_Static_assert(offsetof(DEVICE_OBJECT, SectorSize) == PICK(0xac, 0x130), "DEVICE_OBJECT.SectorSize");
_Static_assert(offsetof(DEVICE_OBJECT, Spare1) == PICK(0xae, 0x132), "DEVICE_OBJECT.Spare1");
_Static_assert(offsetof(DEVICE_OBJECT, DeviceObjectExtension) == PICK(0xb0, 0x138), "DEVICE_OBJECT.DeviceObjectExtension");
_Static_assert(offsetof(DEVICE_OBJECT, Reserved) == PICK(0xb4, 0x140), "DEVICE_OBJECT.Reserved");

_Static_assert(sizeof(FILE_OBJECT) == PICK(0x80, 0xd8), "sizeof(FILE_OBJECT)");
_Static_assert(offsetof(FILE_OBJECT, Type) == PICK(0x0, 0x0), "FILE_OBJECT.Type");
_Static_assert(offsetof(FILE_OBJECT, Size) == PICK(0x2, 0x2), "FILE_OBJECT.Size");
_Static_assert(offsetof(FILE_OBJECT, DeviceObject) == PICK(0x4, 0x8), "FILE_OBJECT.DeviceObject");
_Static_assert(offsetof(FILE_OBJECT, Vpb) == PICK(0x8, 0x10), "FILE_OBJECT.Vpb");
_Static_assert(offsetof(FILE_OBJECT, FsContext) == PICK(0xc, 0x18), "FILE_OBJECT.FsContext");
_Static_assert(offsetof(FILE_OBJECT, FsContext2) == PICK(0x10, 0x20), "FILE_OBJECT.FsContext2");
_Static_assert(offsetof(FILE_OBJECT, FinalStatus) == PICK(0x1c, 0x38), "FILE_OBJECT.FinalStatus");
_Static_assert(offsetof(FILE_OBJECT, RelatedFileObject) == PICK(0x20, 0x40), "FILE_OBJECT.RelatedFileObject");
_Static_assert(offsetof(FILE_OBJECT, DeletePending) == PICK(0x25, 0x49), "FILE_OBJECT.DeletePending");
_Static_assert(offsetof(FILE_OBJECT, ReadAccess) == PICK(0x26, 0x4a), "FILE_OBJECT.ReadAccess");
_Static_assert(offsetof(FILE_OBJECT, WriteAccess) == PICK(0x27, 0x4b), "FILE_OBJECT.WriteAccess");
_Static_assert(offsetof(FILE_OBJECT, DeleteAccess) == PICK(0x28, 0x4c), "FILE_OBJECT.DeleteAccess");
_Static_assert(offsetof(FILE_OBJECT, SharedRead) == PICK(0x29, 0x4d), "FILE_OBJECT.SharedRead");
_Static_assert(offsetof(FILE_OBJECT, SharedWrite) == PICK(0x2a, 0x4e), "FILE_OBJECT.SharedWrite");
_Static_assert(offsetof(FILE_OBJECT, SharedDelete) == PICK(0x2b, 0x4f), "FILE_OBJECT.SharedDelete");
_Static_assert(offsetof(FILE_OBJECT, Flags) == PICK(0x2c, 0x50), "FILE_OBJECT.Flags");
_Static_assert(offsetof(FILE_OBJECT, FileName) == PICK(0x30, 0x58), "FILE_OBJECT.FileName");
_Static_assert(offsetof(FILE_OBJECT, CurrentByteOffset) == PICK(0x38, 0x68), "FILE_OBJECT.CurrentByteOffset");
_Static_assert(offsetof(FILE_OBJECT, Event) == PICK(0x5c, 0x98), "FILE_OBJECT.Event");

_Static_assert(sizeof(IRP) == PICK(0x70, 0xd0), "sizeof(IRP)");
_Static_assert(offsetof(IRP, Type) == PICK(0x0, 0x0), "IRP.Type");
_Static_assert(offsetof(IRP, Size) == PICK(0x2, 0x2), "IRP.Size");
_Static_assert(offsetof(IRP, MdlAddress) == PICK(0x4, 0x8), "IRP.MdlAddress");
_Static_assert(offsetof(IRP, Flags) == PICK(0x8, 0x10), "IRP.Flags");
_Static_assert(offsetof(IRP, AssociatedIrp.SystemBuffer) == PICK(0xc, 0x18), "IRP.AssociatedIrp.SystemBuffer");
_Static_assert(offsetof(IRP, ThreadListEntry) == PICK(0x10, 0x20), "IRP.ThreadListEntry");
_Static_assert(offsetof(IRP, IoStatus) == PICK(0x18, 0x30), "IRP.IoStatus");
_Static_assert(offsetof(IRP, RequestorMode) == PICK(0x20, 0x40), "IRP.RequestorMode");
_Static_assert(offsetof(IRP, PendingReturned) == PICK(0x21, 0x41), "IRP.PendingReturned");
_Static_assert(offsetof(IRP, StackCount) == PICK(0x22, 0x42), "IRP.StackCount");
_Static_assert(offsetof(IRP, CurrentLocation) == PICK(0x23, 0x43), "IRP.CurrentLocation");
_Static_assert(offsetof(IRP, Cancel) == PICK(0x24, 0x44), "IRP.Cancel");
_Static_assert(offsetof(IRP, CancelIrql) == PICK(0x25, 0x45), "IRP.CancelIrql");
_Static_assert(offsetof(IRP, ApcEnvironment) == PICK(0x26, 0x46), "IRP.ApcEnvironment");
_Static_assert(offsetof(IRP, AllocationFlags) == PICK(0x27, 0x47), "IRP.AllocationFlags");
_Static_assert(offsetof(IRP, UserIosb) == PICK(0x28, 0x48), "IRP.UserIosb");
_Static_assert(offsetof(IRP, UserEvent) == PICK(0x2c, 0x50), "IRP.UserEvent");
_Static_assert(offsetof(IRP, CancelRoutine) == PICK(0x38, 0x68), "IRP.CancelRoutine");
_Static_assert(offsetof(IRP, UserBuffer) == PICK(0x3c, 0x70), "IRP.UserBuffer");
_Static_assert(offsetof(IRP, Tail.Overlay.DeviceQueueEntry) == PICK(0x40, 0x78), "IRP.Tail.Overlay.DeviceQueueEntry");
_Static_assert(offsetof(IRP, Tail.Overlay.Thread) == PICK(0x50, 0x98), "IRP.Tail.Overlay.Thread");
_Static_assert(offsetof(IRP, Tail.Overlay.AuxiliaryBuffer) == PICK(0x54, 0xa0), "IRP.Tail.Overlay.AuxiliaryBuffer");
_Static_assert(offsetof(IRP, Tail.Overlay.ListEntry) == PICK(0x58, 0xa8), "IRP.Tail.Overlay.ListEntry");
_Static_assert(offsetof(IRP, Tail.Overlay.CurrentStackLocation) == PICK(0x60, 0xb8), "IRP.Tail.Overlay.CurrentStackLocation");
_Static_assert(offsetof(IRP, Tail.Overlay.OriginalFileObject) == PICK(0x64, 0xc0), "IRP.Tail.Overlay.OriginalFileObject");

_Static_assert(sizeof(IO_STACK_LOCATION) == PICK(0x24, 0x48), "sizeof(IO_STACK_LOCATION)");
_Static_assert(offsetof(IO_STACK_LOCATION, MajorFunction) == PICK(0x0, 0x0), "IO_STACK_LOCATION.MajorFunction");
_Static_assert(offsetof(IO_STACK_LOCATION, MinorFunction) == PICK(0x1, 0x1), "IO_STACK_LOCATION.MinorFunction");
_Static_assert(offsetof(IO_STACK_LOCATION, Flags) == PICK(0x2, 0x2), "IO_STACK_LOCATION.Flags");
_Static_assert(offsetof(IO_STACK_LOCATION, Control) == PICK(0x3, 0x3), "IO_STACK_LOCATION.Control");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Create.SecurityContext) == PICK(0x4, 0x8), "IO_STACK_LOCATION.Parameters.Create.SecurityContext");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Create.Options) == PICK(0x8, 0x10), "IO_STACK_LOCATION.Parameters.Create.Options");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Create.FileAttributes) == PICK(0xc, 0x18), "IO_STACK_LOCATION.Parameters.Create.FileAttributes");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Create.ShareAccess) == PICK(0xe, 0x1a), "IO_STACK_LOCATION.Parameters.Create.ShareAccess");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Create.EaLength) == PICK(0x10, 0x20), "IO_STACK_LOCATION.Parameters.Create.EaLength");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Read.Length) == PICK(0x4, 0x8), "IO_STACK_LOCATION.Parameters.Read.Length");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Read.Key) == PICK(0x8, 0x10), "IO_STACK_LOCATION.Parameters.Read.Key");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Read.ByteOffset) == PICK(0xc, 0x18), "IO_STACK_LOCATION.Parameters.Read.ByteOffset");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Write.Length) == PICK(0x4, 0x8), "IO_STACK_LOCATION.Parameters.Write.Length");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Write.ByteOffset) == PICK(0xc, 0x18), "IO_STACK_LOCATION.Parameters.Write.ByteOffset");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.OutputBufferLength) == PICK(0x4, 0x8), "IO_STACK_LOCATION.Parameters.DeviceIoControl.OutputBufferLength");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.InputBufferLength) == PICK(0x8, 0x10), "IO_STACK_LOCATION.Parameters.DeviceIoControl.InputBufferLength");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode) == PICK(0xc, 0x18), "IO_STACK_LOCATION.Parameters.DeviceIoControl.IoControlCode");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.Type3InputBuffer) == PICK(0x10, 0x20), "IO_STACK_LOCATION.Parameters.DeviceIoControl.Type3InputBuffer");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Others.Argument1) == PICK(0x4, 0x8), "IO_STACK_LOCATION.Parameters.Others.Argument1");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Others.Argument2) == PICK(0x8, 0x10), "IO_STACK_LOCATION.Parameters.Others.Argument2");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Others.Argument3) == PICK(0xc, 0x18), "IO_STACK_LOCATION.Parameters.Others.Argument3");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Others.Argument4) == PICK(0x10, 0x20), "IO_STACK_LOCATION.Parameters.Others.Argument4");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Power.SystemContext) == PICK(0x4, 0x8), "IO_STACK_LOCATION.Parameters.Power.SystemContext");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Power.Type) == PICK(0x8, 0x10), "IO_STACK_LOCATION.Parameters.Power.Type");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Power.State) == PICK(0xc, 0x18), "IO_STACK_LOCATION.Parameters.Power.State");
_Static_assert(offsetof(IO_STACK_LOCATION, Parameters.Power.ShutdownType) == PICK(0x10, 0x20), "IO_STACK_LOCATION.Parameters.Power.ShutdownType");
_Static_assert(offsetof(IO_STACK_LOCATION, DeviceObject) == PICK(0x14, 0x28), "IO_STACK_LOCATION.DeviceObject");
_Static_assert(offsetof(IO_STACK_LOCATION, FileObject) == PICK(0x18, 0x30), "IO_STACK_LOCATION.FileObject");
_Static_assert(offsetof(IO_STACK_LOCATION, CompletionRoutine) == PICK(0x1c, 0x38), "IO_STACK_LOCATION.CompletionRoutine");
_Static_assert(offsetof(IO_STACK_LOCATION, Context) == PICK(0x20, 0x40), "IO_STACK_LOCATION.Context");

_Static_assert(sizeof(MDL) == PICK(0x1c, 0x30), "sizeof(MDL)");
_Static_assert(offsetof(MDL, Next) == PICK(0x0, 0x0), "MDL.Next");
_Static_assert(offsetof(MDL, Size) == PICK(0x4, 0x8), "MDL.Size");
_Static_assert(offsetof(MDL, MdlFlags) == PICK(0x6, 0xa), "MDL.MdlFlags");
_Static_assert(offsetof(MDL, Process) == PICK(0x8, 0x10), "MDL.Process");
_Static_assert(offsetof(MDL, MappedSystemVa) == PICK(0xc, 0x18), "MDL.MappedSystemVa");
_Static_assert(offsetof(MDL, StartVa) == PICK(0x10, 0x20), "MDL.StartVa");
_Static_assert(offsetof(MDL, ByteCount) == PICK(0x14, 0x28), "MDL.ByteCount");
_Static_assert(offsetof(MDL, ByteOffset) == PICK(0x18, 0x2c), "MDL.ByteOffset");

_Static_assert(sizeof(KSYSTEM_TIME) == PICK(0xc, 0xc), "sizeof(KSYSTEM_TIME)");
_Static_assert(offsetof(KSYSTEM_TIME, LowPart) == PICK(0x0, 0x0), "KSYSTEM_TIME.LowPart");
_Static_assert(offsetof(KSYSTEM_TIME, High1Time) == PICK(0x4, 0x4), "KSYSTEM_TIME.High1Time");
_Static_assert(offsetof(KSYSTEM_TIME, High2Time) == PICK(0x8, 0x8), "KSYSTEM_TIME.High2Time");

_Static_assert(sizeof(KUSER_SHARED_DATA) == PICK(0x5f0, 0x5f0), "sizeof(KUSER_SHARED_DATA)");
_Static_assert(offsetof(KUSER_SHARED_DATA, TickCountLowDeprecated) == PICK(0x0, 0x0), "KUSER_SHARED_DATA.TickCountLowDeprecated");
_Static_assert(offsetof(KUSER_SHARED_DATA, TickCountMultiplier) == PICK(0x4, 0x4), "KUSER_SHARED_DATA.TickCountMultiplier");
_Static_assert(offsetof(KUSER_SHARED_DATA, InterruptTime) == PICK(0x8, 0x8), "KUSER_SHARED_DATA.InterruptTime");
_Static_assert(offsetof(KUSER_SHARED_DATA, SystemTime) == PICK(0x14, 0x14), "KUSER_SHARED_DATA.SystemTime");
_Static_assert(offsetof(KUSER_SHARED_DATA, TimeZoneBias) == PICK(0x20, 0x20), "KUSER_SHARED_DATA.TimeZoneBias");
_Static_assert(offsetof(KUSER_SHARED_DATA, ImageNumberLow) == PICK(0x2c, 0x2c), "KUSER_SHARED_DATA.ImageNumberLow");
_Static_assert(offsetof(KUSER_SHARED_DATA, ImageNumberHigh) == PICK(0x2e, 0x2e), "KUSER_SHARED_DATA.ImageNumberHigh");
_Static_assert(offsetof(KUSER_SHARED_DATA, NtSystemRoot) == PICK(0x30, 0x30), "KUSER_SHARED_DATA.NtSystemRoot");
_Static_assert(offsetof(KUSER_SHARED_DATA, TimeZoneId) == PICK(0x240, 0x240), "KUSER_SHARED_DATA.TimeZoneId");
_Static_assert(offsetof(KUSER_SHARED_DATA, Reserved2[6]) == PICK(0x260, 0x260), "KUSER_SHARED_DATA.Reserved2[6]");
_Static_assert(offsetof(KUSER_SHARED_DATA, NtProductType) == PICK(0x264, 0x264), "KUSER_SHARED_DATA.NtProductType");
_Static_assert(offsetof(KUSER_SHARED_DATA, ProductTypeIsValid) == PICK(0x268, 0x268), "KUSER_SHARED_DATA.ProductTypeIsValid");
_Static_assert(offsetof(KUSER_SHARED_DATA, NtMajorVersion) == PICK(0x26c, 0x26c), "KUSER_SHARED_DATA.NtMajorVersion");
_Static_assert(offsetof(KUSER_SHARED_DATA, NtMinorVersion) == PICK(0x270, 0x270), "KUSER_SHARED_DATA.NtMinorVersion");
_Static_assert(offsetof(KUSER_SHARED_DATA, ProcessorFeatures) == PICK(0x274, 0x274), "KUSER_SHARED_DATA.ProcessorFeatures");
_Static_assert(offsetof(KUSER_SHARED_DATA, KdDebuggerEnabled) == PICK(0x2d4, 0x2d4), "KUSER_SHARED_DATA.KdDebuggerEnabled");
_Static_assert(offsetof(KUSER_SHARED_DATA, NXSupportPolicy) == PICK(0x2d5, 0x2d5), "KUSER_SHARED_DATA.NXSupportPolicy");
_Static_assert(offsetof(KUSER_SHARED_DATA, NumberOfPhysicalPages) == PICK(0x2e8, 0x2e8), "KUSER_SHARED_DATA.NumberOfPhysicalPages");
_Static_assert(offsetof(KUSER_SHARED_DATA, SafeBootMode) == PICK(0x2ec, 0x2ec), "KUSER_SHARED_DATA.SafeBootMode");
_Static_assert(offsetof(KUSER_SHARED_DATA, TickCount) == PICK(0x320, 0x320), "KUSER_SHARED_DATA.TickCount");
_Static_assert(offsetof(KUSER_SHARED_DATA, Cookie) == PICK(0x330, 0x330), "KUSER_SHARED_DATA.Cookie");
_Static_assert(offsetof(KUSER_SHARED_DATA, ActiveProcessorCount) == PICK(0x3c0, 0x3c0), "KUSER_SHARED_DATA.ActiveProcessorCount");
_Static_assert(offsetof(KUSER_SHARED_DATA, ActiveGroupCount) == PICK(0x3c4, 0x3c4), "KUSER_SHARED_DATA.ActiveGroupCount");

_Static_assert(sizeof(OBJECT_ATTRIBUTES) == PICK(0x18, 0x30), "sizeof(OBJECT_ATTRIBUTES)");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, Length) == PICK(0x0, 0x0), "OBJECT_ATTRIBUTES.Length");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, RootDirectory) == PICK(0x4, 0x8), "OBJECT_ATTRIBUTES.RootDirectory");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, ObjectName) == PICK(0x8, 0x10), "OBJECT_ATTRIBUTES.ObjectName");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, Attributes) == PICK(0xc, 0x18), "OBJECT_ATTRIBUTES.Attributes");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, SecurityDescriptor) == PICK(0x10, 0x20), "OBJECT_ATTRIBUTES.SecurityDescriptor");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, SecurityQualityOfService) == PICK(0x14, 0x28), "OBJECT_ATTRIBUTES.SecurityQualityOfService");

_Static_assert(sizeof(KPCR) == PICK(0xd4, 0x178), "sizeof(KPCR)");
#ifndef _WIN64
_Static_assert(offsetof(KPCR, SelfPcr) == 0x1c, "KPCR.SelfPcr");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, Prcb) == 0x20, "KPCR.Prcb");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, Irql) == 0x24, "KPCR.Irql");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, IDT) == 0x38, "KPCR.IDT");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, GDT) == 0x3c, "KPCR.GDT");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, TSS) == 0x40, "KPCR.TSS");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, MajorVersion) == 0x44, "KPCR.MajorVersion");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, MinorVersion) == 0x46, "KPCR.MinorVersion");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, SetMember) == 0x48, "KPCR.SetMember");
#endif
#ifndef _WIN64
_Static_assert(offsetof(KPCR, Number) == 0x51, "KPCR.Number");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, GdtBase) == 0x0, "KPCR.GdtBase");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, TssBase) == 0x8, "KPCR.TssBase");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, UserRsp) == 0x10, "KPCR.UserRsp");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, Self) == 0x18, "KPCR.Self");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, CurrentPrcb) == 0x20, "KPCR.CurrentPrcb");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, IdtBase) == 0x38, "KPCR.IdtBase");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, Irql) == 0x50, "KPCR.Irql");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, MajorVersion) == 0x60, "KPCR.MajorVersion");
#endif
#ifdef _WIN64
_Static_assert(offsetof(KPCR, MinorVersion) == 0x62, "KPCR.MinorVersion");
#endif

_Static_assert(sizeof(OB_CALLBACK_REGISTRATION) == PICK(0x14, 0x28), "sizeof(OB_CALLBACK_REGISTRATION)");
_Static_assert(offsetof(OB_CALLBACK_REGISTRATION, Version) == PICK(0x0, 0x0), "OB_CALLBACK_REGISTRATION.Version");
_Static_assert(offsetof(OB_CALLBACK_REGISTRATION, OperationRegistrationCount) == PICK(0x2, 0x2), "OB_CALLBACK_REGISTRATION.OperationRegistrationCount");
_Static_assert(offsetof(OB_CALLBACK_REGISTRATION, Altitude) == PICK(0x4, 0x8), "OB_CALLBACK_REGISTRATION.Altitude");
_Static_assert(offsetof(OB_CALLBACK_REGISTRATION, RegistrationContext) == PICK(0xc, 0x18), "OB_CALLBACK_REGISTRATION.RegistrationContext");
_Static_assert(offsetof(OB_CALLBACK_REGISTRATION, OperationRegistration) == PICK(0x10, 0x20), "OB_CALLBACK_REGISTRATION.OperationRegistration");

_Static_assert(sizeof(OB_OPERATION_REGISTRATION) == PICK(0x10, 0x20), "sizeof(OB_OPERATION_REGISTRATION)");
_Static_assert(offsetof(OB_OPERATION_REGISTRATION, ObjectType) == PICK(0x0, 0x0), "OB_OPERATION_REGISTRATION.ObjectType");
_Static_assert(offsetof(OB_OPERATION_REGISTRATION, Operations) == PICK(0x4, 0x8), "OB_OPERATION_REGISTRATION.Operations");
_Static_assert(offsetof(OB_OPERATION_REGISTRATION, PreOperation) == PICK(0x8, 0x10), "OB_OPERATION_REGISTRATION.PreOperation");
_Static_assert(offsetof(OB_OPERATION_REGISTRATION, PostOperation) == PICK(0xc, 0x18), "OB_OPERATION_REGISTRATION.PostOperation");

_Static_assert(sizeof(OB_PRE_OPERATION_INFORMATION) == PICK(0x18, 0x28), "sizeof(OB_PRE_OPERATION_INFORMATION)");
_Static_assert(offsetof(OB_PRE_OPERATION_INFORMATION, Operation) == PICK(0x0, 0x0), "OB_PRE_OPERATION_INFORMATION.Operation");
_Static_assert(offsetof(OB_PRE_OPERATION_INFORMATION, Flags) == PICK(0x4, 0x4), "OB_PRE_OPERATION_INFORMATION.Flags");
_Static_assert(offsetof(OB_PRE_OPERATION_INFORMATION, Object) == PICK(0x8, 0x8), "OB_PRE_OPERATION_INFORMATION.Object");
_Static_assert(offsetof(OB_PRE_OPERATION_INFORMATION, ObjectType) == PICK(0xc, 0x10), "OB_PRE_OPERATION_INFORMATION.ObjectType");
_Static_assert(offsetof(OB_PRE_OPERATION_INFORMATION, CallContext) == PICK(0x10, 0x18), "OB_PRE_OPERATION_INFORMATION.CallContext");
_Static_assert(offsetof(OB_PRE_OPERATION_INFORMATION, Parameters) == PICK(0x14, 0x20), "OB_PRE_OPERATION_INFORMATION.Parameters");

_Static_assert(sizeof(OB_PRE_DUPLICATE_HANDLE_INFORMATION) == PICK(0x10, 0x18), "sizeof(OB_PRE_DUPLICATE_HANDLE_INFORMATION)");
_Static_assert(offsetof(OB_PRE_DUPLICATE_HANDLE_INFORMATION, DesiredAccess) == PICK(0x0, 0x0), "OB_PRE_DUPLICATE_HANDLE_INFORMATION.DesiredAccess");
_Static_assert(offsetof(OB_PRE_DUPLICATE_HANDLE_INFORMATION, OriginalDesiredAccess) == PICK(0x4, 0x4), "OB_PRE_DUPLICATE_HANDLE_INFORMATION.OriginalDesiredAccess");
_Static_assert(offsetof(OB_PRE_DUPLICATE_HANDLE_INFORMATION, SourceProcess) == PICK(0x8, 0x8), "OB_PRE_DUPLICATE_HANDLE_INFORMATION.SourceProcess");
_Static_assert(offsetof(OB_PRE_DUPLICATE_HANDLE_INFORMATION, TargetProcess) == PICK(0xc, 0x10), "OB_PRE_DUPLICATE_HANDLE_INFORMATION.TargetProcess");

_Static_assert(sizeof(OB_POST_OPERATION_INFORMATION) == PICK(0x1c, 0x30), "sizeof(OB_POST_OPERATION_INFORMATION)");
_Static_assert(offsetof(OB_POST_OPERATION_INFORMATION, Operation) == PICK(0x0, 0x0), "OB_POST_OPERATION_INFORMATION.Operation");
_Static_assert(offsetof(OB_POST_OPERATION_INFORMATION, Flags) == PICK(0x4, 0x4), "OB_POST_OPERATION_INFORMATION.Flags");
_Static_assert(offsetof(OB_POST_OPERATION_INFORMATION, Object) == PICK(0x8, 0x8), "OB_POST_OPERATION_INFORMATION.Object");
_Static_assert(offsetof(OB_POST_OPERATION_INFORMATION, ObjectType) == PICK(0xc, 0x10), "OB_POST_OPERATION_INFORMATION.ObjectType");
_Static_assert(offsetof(OB_POST_OPERATION_INFORMATION, CallContext) == PICK(0x10, 0x18), "OB_POST_OPERATION_INFORMATION.CallContext");
_Static_assert(offsetof(OB_POST_OPERATION_INFORMATION, ReturnStatus) == PICK(0x14, 0x20), "OB_POST_OPERATION_INFORMATION.ReturnStatus");
_Static_assert(offsetof(OB_POST_OPERATION_INFORMATION, Parameters) == PICK(0x18, 0x28), "OB_POST_OPERATION_INFORMATION.Parameters");

_Static_assert(sizeof(RTL_QUERY_REGISTRY_TABLE) == PICK(0x1c, 0x38), "sizeof(RTL_QUERY_REGISTRY_TABLE)");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, QueryRoutine) == PICK(0x0, 0x0), "RTL_QUERY_REGISTRY_TABLE.QueryRoutine");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, Flags) == PICK(0x4, 0x8), "RTL_QUERY_REGISTRY_TABLE.Flags");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, Name) == PICK(0x8, 0x10), "RTL_QUERY_REGISTRY_TABLE.Name");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, EntryContext) == PICK(0xc, 0x18), "RTL_QUERY_REGISTRY_TABLE.EntryContext");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultType) == PICK(0x10, 0x20), "RTL_QUERY_REGISTRY_TABLE.DefaultType");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultData) == PICK(0x14, 0x28), "RTL_QUERY_REGISTRY_TABLE.DefaultData");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultLength) == PICK(0x18, 0x30), "RTL_QUERY_REGISTRY_TABLE.DefaultLength");

_Static_assert(sizeof(REG_CREATE_KEY_INFORMATION) == PICK(0x3c, 0x70), "sizeof(REG_CREATE_KEY_INFORMATION)");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, CompleteName) == PICK(0x0, 0x0), "REG_CREATE_KEY_INFORMATION.CompleteName");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, RootObject) == PICK(0x4, 0x8), "REG_CREATE_KEY_INFORMATION.RootObject");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, ObjectType) == PICK(0x8, 0x10), "REG_CREATE_KEY_INFORMATION.ObjectType");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, CreateOptions) == PICK(0xc, 0x18), "REG_CREATE_KEY_INFORMATION.CreateOptions");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, Class) == PICK(0x10, 0x20), "REG_CREATE_KEY_INFORMATION.Class");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, DesiredAccess) == PICK(0x1c, 0x38), "REG_CREATE_KEY_INFORMATION.DesiredAccess");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, GrantedAccess) == PICK(0x20, 0x3c), "REG_CREATE_KEY_INFORMATION.GrantedAccess");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, Disposition) == PICK(0x24, 0x40), "REG_CREATE_KEY_INFORMATION.Disposition");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, ResultObject) == PICK(0x28, 0x48), "REG_CREATE_KEY_INFORMATION.ResultObject");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, CallContext) == PICK(0x2c, 0x50), "REG_CREATE_KEY_INFORMATION.CallContext");
_Static_assert(offsetof(REG_CREATE_KEY_INFORMATION, RootObjectContext) == PICK(0x30, 0x58), "REG_CREATE_KEY_INFORMATION.RootObjectContext");

_Static_assert(sizeof(REG_POST_OPERATION_INFORMATION) == PICK(0x1c, 0x38), "sizeof(REG_POST_OPERATION_INFORMATION)");
_Static_assert(offsetof(REG_POST_OPERATION_INFORMATION, Object) == PICK(0x0, 0x0), "REG_POST_OPERATION_INFORMATION.Object");
_Static_assert(offsetof(REG_POST_OPERATION_INFORMATION, Status) == PICK(0x4, 0x8), "REG_POST_OPERATION_INFORMATION.Status");
_Static_assert(offsetof(REG_POST_OPERATION_INFORMATION, PreInformation) == PICK(0x8, 0x10), "REG_POST_OPERATION_INFORMATION.PreInformation");
_Static_assert(offsetof(REG_POST_OPERATION_INFORMATION, ReturnStatus) == PICK(0xc, 0x18), "REG_POST_OPERATION_INFORMATION.ReturnStatus");
_Static_assert(offsetof(REG_POST_OPERATION_INFORMATION, CallContext) == PICK(0x10, 0x20), "REG_POST_OPERATION_INFORMATION.CallContext");
_Static_assert(offsetof(REG_POST_OPERATION_INFORMATION, ObjectContext) == PICK(0x14, 0x28), "REG_POST_OPERATION_INFORMATION.ObjectContext");

_Static_assert(sizeof(REG_SET_VALUE_KEY_INFORMATION) == PICK(0x24, 0x40), "sizeof(REG_SET_VALUE_KEY_INFORMATION)");
_Static_assert(offsetof(REG_SET_VALUE_KEY_INFORMATION, Object) == PICK(0x0, 0x0), "REG_SET_VALUE_KEY_INFORMATION.Object");
_Static_assert(offsetof(REG_SET_VALUE_KEY_INFORMATION, ValueName) == PICK(0x4, 0x8), "REG_SET_VALUE_KEY_INFORMATION.ValueName");
_Static_assert(offsetof(REG_SET_VALUE_KEY_INFORMATION, TitleIndex) == PICK(0x8, 0x10), "REG_SET_VALUE_KEY_INFORMATION.TitleIndex");
_Static_assert(offsetof(REG_SET_VALUE_KEY_INFORMATION, Type) == PICK(0xc, 0x14), "REG_SET_VALUE_KEY_INFORMATION.Type");
_Static_assert(offsetof(REG_SET_VALUE_KEY_INFORMATION, Data) == PICK(0x10, 0x18), "REG_SET_VALUE_KEY_INFORMATION.Data");
_Static_assert(offsetof(REG_SET_VALUE_KEY_INFORMATION, DataSize) == PICK(0x14, 0x20), "REG_SET_VALUE_KEY_INFORMATION.DataSize");
_Static_assert(offsetof(REG_SET_VALUE_KEY_INFORMATION, CallContext) == PICK(0x18, 0x28), "REG_SET_VALUE_KEY_INFORMATION.CallContext");

_Static_assert(sizeof(REG_DELETE_KEY_INFORMATION) == PICK(0x10, 0x20), "sizeof(REG_DELETE_KEY_INFORMATION)");
_Static_assert(offsetof(REG_DELETE_KEY_INFORMATION, Object) == PICK(0x0, 0x0), "REG_DELETE_KEY_INFORMATION.Object");
_Static_assert(offsetof(REG_DELETE_KEY_INFORMATION, CallContext) == PICK(0x4, 0x8), "REG_DELETE_KEY_INFORMATION.CallContext");

_Static_assert(sizeof(REG_DELETE_VALUE_KEY_INFORMATION) == PICK(0x14, 0x28), "sizeof(REG_DELETE_VALUE_KEY_INFORMATION)");
_Static_assert(offsetof(REG_DELETE_VALUE_KEY_INFORMATION, Object) == PICK(0x0, 0x0), "REG_DELETE_VALUE_KEY_INFORMATION.Object");
_Static_assert(offsetof(REG_DELETE_VALUE_KEY_INFORMATION, ValueName) == PICK(0x4, 0x8), "REG_DELETE_VALUE_KEY_INFORMATION.ValueName");
_Static_assert(offsetof(REG_DELETE_VALUE_KEY_INFORMATION, CallContext) == PICK(0x8, 0x10), "REG_DELETE_VALUE_KEY_INFORMATION.CallContext");

_Static_assert(sizeof(REG_QUERY_VALUE_KEY_INFORMATION) == PICK(0x24, 0x48), "sizeof(REG_QUERY_VALUE_KEY_INFORMATION)");
_Static_assert(offsetof(REG_QUERY_VALUE_KEY_INFORMATION, Object) == PICK(0x0, 0x0), "REG_QUERY_VALUE_KEY_INFORMATION.Object");
_Static_assert(offsetof(REG_QUERY_VALUE_KEY_INFORMATION, ValueName) == PICK(0x4, 0x8), "REG_QUERY_VALUE_KEY_INFORMATION.ValueName");
_Static_assert(offsetof(REG_QUERY_VALUE_KEY_INFORMATION, KeyValueInformationClass) == PICK(0x8, 0x10), "REG_QUERY_VALUE_KEY_INFORMATION.KeyValueInformationClass");
_Static_assert(offsetof(REG_QUERY_VALUE_KEY_INFORMATION, KeyValueInformation) == PICK(0xc, 0x18), "REG_QUERY_VALUE_KEY_INFORMATION.KeyValueInformation");
_Static_assert(offsetof(REG_QUERY_VALUE_KEY_INFORMATION, Length) == PICK(0x10, 0x20), "REG_QUERY_VALUE_KEY_INFORMATION.Length");
_Static_assert(offsetof(REG_QUERY_VALUE_KEY_INFORMATION, ResultLength) == PICK(0x14, 0x28), "REG_QUERY_VALUE_KEY_INFORMATION.ResultLength");
_Static_assert(offsetof(REG_QUERY_VALUE_KEY_INFORMATION, CallContext) == PICK(0x18, 0x30), "REG_QUERY_VALUE_KEY_INFORMATION.CallContext");

_Static_assert(sizeof(KDEVICE_QUEUE) == PICK(0x14, 0x28), "sizeof(KDEVICE_QUEUE)");
_Static_assert(offsetof(KDEVICE_QUEUE, Type) == PICK(0x0, 0x0), "KDEVICE_QUEUE.Type");
_Static_assert(offsetof(KDEVICE_QUEUE, Size) == PICK(0x2, 0x2), "KDEVICE_QUEUE.Size");
_Static_assert(offsetof(KDEVICE_QUEUE, DeviceListHead) == PICK(0x4, 0x8), "KDEVICE_QUEUE.DeviceListHead");
_Static_assert(offsetof(KDEVICE_QUEUE, Lock) == PICK(0xc, 0x18), "KDEVICE_QUEUE.Lock");
_Static_assert(offsetof(KDEVICE_QUEUE, Busy) == PICK(0x10, 0x20), "KDEVICE_QUEUE.Busy");

_Static_assert(sizeof(KDEVICE_QUEUE_ENTRY) == PICK(0x10, 0x18), "sizeof(KDEVICE_QUEUE_ENTRY)");
_Static_assert(offsetof(KDEVICE_QUEUE_ENTRY, DeviceListEntry) == PICK(0x0, 0x0), "KDEVICE_QUEUE_ENTRY.DeviceListEntry");
_Static_assert(offsetof(KDEVICE_QUEUE_ENTRY, SortKey) == PICK(0x8, 0x10), "KDEVICE_QUEUE_ENTRY.SortKey");
_Static_assert(offsetof(KDEVICE_QUEUE_ENTRY, Inserted) == PICK(0xc, 0x14), "KDEVICE_QUEUE_ENTRY.Inserted");

_Static_assert(sizeof(IO_CSQ) == PICK(0x20, 0x40), "sizeof(IO_CSQ)");
_Static_assert(offsetof(IO_CSQ, Type) == PICK(0x0, 0x0), "IO_CSQ.Type");
_Static_assert(offsetof(IO_CSQ, CsqInsertIrp) == PICK(0x4, 0x8), "IO_CSQ.CsqInsertIrp");
_Static_assert(offsetof(IO_CSQ, CsqRemoveIrp) == PICK(0x8, 0x10), "IO_CSQ.CsqRemoveIrp");
_Static_assert(offsetof(IO_CSQ, CsqPeekNextIrp) == PICK(0xc, 0x18), "IO_CSQ.CsqPeekNextIrp");
_Static_assert(offsetof(IO_CSQ, CsqAcquireLock) == PICK(0x10, 0x20), "IO_CSQ.CsqAcquireLock");
_Static_assert(offsetof(IO_CSQ, CsqReleaseLock) == PICK(0x14, 0x28), "IO_CSQ.CsqReleaseLock");
_Static_assert(offsetof(IO_CSQ, CsqCompleteCanceledIrp) == PICK(0x18, 0x30), "IO_CSQ.CsqCompleteCanceledIrp");
_Static_assert(offsetof(IO_CSQ, ReservePointer) == PICK(0x1c, 0x38), "IO_CSQ.ReservePointer");

_Static_assert(sizeof(IO_CSQ_IRP_CONTEXT) == PICK(0xc, 0x18), "sizeof(IO_CSQ_IRP_CONTEXT)");
_Static_assert(offsetof(IO_CSQ_IRP_CONTEXT, Type) == PICK(0x0, 0x0), "IO_CSQ_IRP_CONTEXT.Type");
_Static_assert(offsetof(IO_CSQ_IRP_CONTEXT, Irp) == PICK(0x4, 0x8), "IO_CSQ_IRP_CONTEXT.Irp");
_Static_assert(offsetof(IO_CSQ_IRP_CONTEXT, Csq) == PICK(0x8, 0x10), "IO_CSQ_IRP_CONTEXT.Csq");

_Static_assert(sizeof(IO_ERROR_LOG_PACKET) == PICK(0x30, 0x30), "sizeof(IO_ERROR_LOG_PACKET)");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, MajorFunctionCode) == PICK(0x0, 0x0), "IO_ERROR_LOG_PACKET.MajorFunctionCode");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, RetryCount) == PICK(0x1, 0x1), "IO_ERROR_LOG_PACKET.RetryCount");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, DumpDataSize) == PICK(0x2, 0x2), "IO_ERROR_LOG_PACKET.DumpDataSize");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, NumberOfStrings) == PICK(0x4, 0x4), "IO_ERROR_LOG_PACKET.NumberOfStrings");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, StringOffset) == PICK(0x6, 0x6), "IO_ERROR_LOG_PACKET.StringOffset");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, EventCategory) == PICK(0x8, 0x8), "IO_ERROR_LOG_PACKET.EventCategory");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, ErrorCode) == PICK(0xc, 0xc), "IO_ERROR_LOG_PACKET.ErrorCode");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, UniqueErrorValue) == PICK(0x10, 0x10), "IO_ERROR_LOG_PACKET.UniqueErrorValue");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, FinalStatus) == PICK(0x14, 0x14), "IO_ERROR_LOG_PACKET.FinalStatus");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, SequenceNumber) == PICK(0x18, 0x18), "IO_ERROR_LOG_PACKET.SequenceNumber");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, IoControlCode) == PICK(0x1c, 0x1c), "IO_ERROR_LOG_PACKET.IoControlCode");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, DeviceOffset) == PICK(0x20, 0x20), "IO_ERROR_LOG_PACKET.DeviceOffset");
_Static_assert(offsetof(IO_ERROR_LOG_PACKET, DumpData) == PICK(0x28, 0x28), "IO_ERROR_LOG_PACKET.DumpData");

_Static_assert(sizeof(RTL_OSVERSIONINFOEXW) == PICK(0x11c, 0x11c), "sizeof(RTL_OSVERSIONINFOEXW)");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, dwOSVersionInfoSize) == PICK(0x0, 0x0), "RTL_OSVERSIONINFOEXW.dwOSVersionInfoSize");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, dwMajorVersion) == PICK(0x4, 0x4), "RTL_OSVERSIONINFOEXW.dwMajorVersion");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, dwMinorVersion) == PICK(0x8, 0x8), "RTL_OSVERSIONINFOEXW.dwMinorVersion");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, dwBuildNumber) == PICK(0xc, 0xc), "RTL_OSVERSIONINFOEXW.dwBuildNumber");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, dwPlatformId) == PICK(0x10, 0x10), "RTL_OSVERSIONINFOEXW.dwPlatformId");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, szCSDVersion) == PICK(0x14, 0x14), "RTL_OSVERSIONINFOEXW.szCSDVersion");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, wServicePackMajor) == PICK(0x114, 0x114), "RTL_OSVERSIONINFOEXW.wServicePackMajor");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, wServicePackMinor) == PICK(0x116, 0x116), "RTL_OSVERSIONINFOEXW.wServicePackMinor");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, wSuiteMask) == PICK(0x118, 0x118), "RTL_OSVERSIONINFOEXW.wSuiteMask");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, wProductType) == PICK(0x11a, 0x11a), "RTL_OSVERSIONINFOEXW.wProductType");
_Static_assert(offsetof(RTL_OSVERSIONINFOEXW, wReserved) == PICK(0x11b, 0x11b), "RTL_OSVERSIONINFOEXW.wReserved");

_Static_assert(sizeof(TIME_FIELDS) == PICK(0x10, 0x10), "sizeof(TIME_FIELDS)");
_Static_assert(offsetof(TIME_FIELDS, Year) == PICK(0x0, 0x0), "TIME_FIELDS.Year");
_Static_assert(offsetof(TIME_FIELDS, Month) == PICK(0x2, 0x2), "TIME_FIELDS.Month");
_Static_assert(offsetof(TIME_FIELDS, Day) == PICK(0x4, 0x4), "TIME_FIELDS.Day");
_Static_assert(offsetof(TIME_FIELDS, Hour) == PICK(0x6, 0x6), "TIME_FIELDS.Hour");
_Static_assert(offsetof(TIME_FIELDS, Minute) == PICK(0x8, 0x8), "TIME_FIELDS.Minute");
_Static_assert(offsetof(TIME_FIELDS, Second) == PICK(0xa, 0xa), "TIME_FIELDS.Second");
_Static_assert(offsetof(TIME_FIELDS, Milliseconds) == PICK(0xc, 0xc), "TIME_FIELDS.Milliseconds");
_Static_assert(offsetof(TIME_FIELDS, Weekday) == PICK(0xe, 0xe), "TIME_FIELDS.Weekday");

_Static_assert(sizeof(RTL_BITMAP) == PICK(0x8, 0x10), "sizeof(RTL_BITMAP)");
_Static_assert(offsetof(RTL_BITMAP, SizeOfBitMap) == PICK(0x0, 0x0), "RTL_BITMAP.SizeOfBitMap");
_Static_assert(offsetof(RTL_BITMAP, Buffer) == PICK(0x4, 0x8), "RTL_BITMAP.Buffer");

_Static_assert(sizeof(RTL_BITMAP_RUN) == PICK(0x8, 0x8), "sizeof(RTL_BITMAP_RUN)");
_Static_assert(offsetof(RTL_BITMAP_RUN, StartingIndex) == PICK(0x0, 0x0), "RTL_BITMAP_RUN.StartingIndex");
_Static_assert(offsetof(RTL_BITMAP_RUN, NumberOfBits) == PICK(0x4, 0x4), "RTL_BITMAP_RUN.NumberOfBits");

_Static_assert(sizeof(RTL_SPLAY_LINKS) == PICK(0xc, 0x18), "sizeof(RTL_SPLAY_LINKS)");
_Static_assert(offsetof(RTL_SPLAY_LINKS, Parent) == PICK(0x0, 0x0), "RTL_SPLAY_LINKS.Parent");
_Static_assert(offsetof(RTL_SPLAY_LINKS, LeftChild) == PICK(0x4, 0x8), "RTL_SPLAY_LINKS.LeftChild");
_Static_assert(offsetof(RTL_SPLAY_LINKS, RightChild) == PICK(0x8, 0x10), "RTL_SPLAY_LINKS.RightChild");

_Static_assert(sizeof(RTL_GENERIC_TABLE) == PICK(0x28, 0x48), "sizeof(RTL_GENERIC_TABLE)");
_Static_assert(offsetof(RTL_GENERIC_TABLE, TableRoot) == PICK(0x0, 0x0), "RTL_GENERIC_TABLE.TableRoot");
_Static_assert(offsetof(RTL_GENERIC_TABLE, InsertOrderList) == PICK(0x4, 0x8), "RTL_GENERIC_TABLE.InsertOrderList");
_Static_assert(offsetof(RTL_GENERIC_TABLE, OrderedPointer) == PICK(0xc, 0x18), "RTL_GENERIC_TABLE.OrderedPointer");
_Static_assert(offsetof(RTL_GENERIC_TABLE, WhichOrderedElement) == PICK(0x10, 0x20), "RTL_GENERIC_TABLE.WhichOrderedElement");
_Static_assert(offsetof(RTL_GENERIC_TABLE, NumberGenericTableElements) == PICK(0x14, 0x24), "RTL_GENERIC_TABLE.NumberGenericTableElements");
_Static_assert(offsetof(RTL_GENERIC_TABLE, CompareRoutine) == PICK(0x18, 0x28), "RTL_GENERIC_TABLE.CompareRoutine");
_Static_assert(offsetof(RTL_GENERIC_TABLE, AllocateRoutine) == PICK(0x1c, 0x30), "RTL_GENERIC_TABLE.AllocateRoutine");
_Static_assert(offsetof(RTL_GENERIC_TABLE, FreeRoutine) == PICK(0x20, 0x38), "RTL_GENERIC_TABLE.FreeRoutine");
_Static_assert(offsetof(RTL_GENERIC_TABLE, TableContext) == PICK(0x24, 0x40), "RTL_GENERIC_TABLE.TableContext");

_Static_assert(sizeof(RTL_BALANCED_LINKS) == PICK(0x10, 0x20), "sizeof(RTL_BALANCED_LINKS)");
_Static_assert(offsetof(RTL_BALANCED_LINKS, Parent) == PICK(0x0, 0x0), "RTL_BALANCED_LINKS.Parent");
_Static_assert(offsetof(RTL_BALANCED_LINKS, LeftChild) == PICK(0x4, 0x8), "RTL_BALANCED_LINKS.LeftChild");
_Static_assert(offsetof(RTL_BALANCED_LINKS, RightChild) == PICK(0x8, 0x10), "RTL_BALANCED_LINKS.RightChild");
_Static_assert(offsetof(RTL_BALANCED_LINKS, Balance) == PICK(0xc, 0x18), "RTL_BALANCED_LINKS.Balance");

_Static_assert(sizeof(RTL_AVL_TABLE) == PICK(0x38, 0x68), "sizeof(RTL_AVL_TABLE)");
_Static_assert(offsetof(RTL_AVL_TABLE, BalancedRoot) == PICK(0x0, 0x0), "RTL_AVL_TABLE.BalancedRoot");
_Static_assert(offsetof(RTL_AVL_TABLE, OrderedPointer) == PICK(0x10, 0x20), "RTL_AVL_TABLE.OrderedPointer");
_Static_assert(offsetof(RTL_AVL_TABLE, WhichOrderedElement) == PICK(0x14, 0x28), "RTL_AVL_TABLE.WhichOrderedElement");
_Static_assert(offsetof(RTL_AVL_TABLE, NumberGenericTableElements) == PICK(0x18, 0x2c), "RTL_AVL_TABLE.NumberGenericTableElements");
_Static_assert(offsetof(RTL_AVL_TABLE, DepthOfTree) == PICK(0x1c, 0x30), "RTL_AVL_TABLE.DepthOfTree");
_Static_assert(offsetof(RTL_AVL_TABLE, RestartKey) == PICK(0x20, 0x38), "RTL_AVL_TABLE.RestartKey");
_Static_assert(offsetof(RTL_AVL_TABLE, DeleteCount) == PICK(0x24, 0x40), "RTL_AVL_TABLE.DeleteCount");
_Static_assert(offsetof(RTL_AVL_TABLE, CompareRoutine) == PICK(0x28, 0x48), "RTL_AVL_TABLE.CompareRoutine");
_Static_assert(offsetof(RTL_AVL_TABLE, AllocateRoutine) == PICK(0x2c, 0x50), "RTL_AVL_TABLE.AllocateRoutine");
_Static_assert(offsetof(RTL_AVL_TABLE, FreeRoutine) == PICK(0x30, 0x58), "RTL_AVL_TABLE.FreeRoutine");
_Static_assert(offsetof(RTL_AVL_TABLE, TableContext) == PICK(0x34, 0x60), "RTL_AVL_TABLE.TableContext");

_Static_assert(sizeof(EXCEPTION_RECORD) == PICK(0x50, 0x98), "sizeof(EXCEPTION_RECORD)");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionCode) == PICK(0x0, 0x0), "EXCEPTION_RECORD.ExceptionCode");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionFlags) == PICK(0x4, 0x4), "EXCEPTION_RECORD.ExceptionFlags");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionRecord) == PICK(0x8, 0x8), "EXCEPTION_RECORD.ExceptionRecord");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionAddress) == PICK(0xc, 0x10), "EXCEPTION_RECORD.ExceptionAddress");
_Static_assert(offsetof(EXCEPTION_RECORD, NumberParameters) == PICK(0x10, 0x18), "EXCEPTION_RECORD.NumberParameters");
_Static_assert(offsetof(EXCEPTION_RECORD, ExceptionInformation) == PICK(0x14, 0x20), "EXCEPTION_RECORD.ExceptionInformation");

_Static_assert(sizeof(CONTEXT) == PICK(0x2cc, 0x4d0), "sizeof(CONTEXT)");
_Static_assert(offsetof(CONTEXT, ContextFlags) == PICK(0x0, 0x30), "CONTEXT.ContextFlags");
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, MxCsr) == 0x34, "CONTEXT.MxCsr");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, SegCs) == 0xbc, "CONTEXT.SegCs");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, SegCs) == 0x38, "CONTEXT.SegCs");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, SegDs) == 0x98, "CONTEXT.SegDs");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, SegDs) == 0x3a, "CONTEXT.SegDs");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, SegEs) == 0x94, "CONTEXT.SegEs");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, SegEs) == 0x3c, "CONTEXT.SegEs");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, SegFs) == 0x90, "CONTEXT.SegFs");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, SegFs) == 0x3e, "CONTEXT.SegFs");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, SegGs) == 0x8c, "CONTEXT.SegGs");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, SegGs) == 0x40, "CONTEXT.SegGs");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, SegSs) == 0xc8, "CONTEXT.SegSs");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, SegSs) == 0x42, "CONTEXT.SegSs");
#endif
_Static_assert(offsetof(CONTEXT, EFlags) == PICK(0xc0, 0x44), "CONTEXT.EFlags");
_Static_assert(offsetof(CONTEXT, Dr0) == PICK(0x4, 0x48), "CONTEXT.Dr0");
_Static_assert(offsetof(CONTEXT, Dr7) == PICK(0x18, 0x70), "CONTEXT.Dr7");
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, FloatSave) == 0x1c, "CONTEXT.FloatSave");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Edi) == 0x9c, "CONTEXT.Edi");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Esi) == 0xa0, "CONTEXT.Esi");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Ebx) == 0xa4, "CONTEXT.Ebx");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Edx) == 0xa8, "CONTEXT.Edx");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Ecx) == 0xac, "CONTEXT.Ecx");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Eax) == 0xb0, "CONTEXT.Eax");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Ebp) == 0xb4, "CONTEXT.Ebp");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Eip) == 0xb8, "CONTEXT.Eip");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, Esp) == 0xc4, "CONTEXT.Esp");
#endif
#ifndef _WIN64
_Static_assert(offsetof(CONTEXT, ExtendedRegisters) == 0xcc, "CONTEXT.ExtendedRegisters");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, Rax) == 0x78, "CONTEXT.Rax");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, Rsp) == 0x98, "CONTEXT.Rsp");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, R15) == 0xf0, "CONTEXT.R15");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, Rip) == 0xf8, "CONTEXT.Rip");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, FltSave) == 0x100, "CONTEXT.FltSave");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, Xmm0) == 0x1a0, "CONTEXT.Xmm0");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, Xmm15) == 0x290, "CONTEXT.Xmm15");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, VectorRegister) == 0x300, "CONTEXT.VectorRegister");
#endif
#ifdef _WIN64
_Static_assert(offsetof(CONTEXT, LastExceptionFromRip) == 0x4c8, "CONTEXT.LastExceptionFromRip");
#endif

_Static_assert(sizeof(CONFIGURATION_INFORMATION) == PICK(0x28, 0x28), "sizeof(CONFIGURATION_INFORMATION)");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, DiskCount) == PICK(0x0, 0x0), "CONFIGURATION_INFORMATION.DiskCount");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, FloppyCount) == PICK(0x4, 0x4), "CONFIGURATION_INFORMATION.FloppyCount");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, CdRomCount) == PICK(0x8, 0x8), "CONFIGURATION_INFORMATION.CdRomCount");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, TapeCount) == PICK(0xc, 0xc), "CONFIGURATION_INFORMATION.TapeCount");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, ScsiPortCount) == PICK(0x10, 0x10), "CONFIGURATION_INFORMATION.ScsiPortCount");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, SerialCount) == PICK(0x14, 0x14), "CONFIGURATION_INFORMATION.SerialCount");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, ParallelCount) == PICK(0x18, 0x18), "CONFIGURATION_INFORMATION.ParallelCount");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, Version) == PICK(0x20, 0x20), "CONFIGURATION_INFORMATION.Version");
_Static_assert(offsetof(CONFIGURATION_INFORMATION, MediumChangerCount) == PICK(0x24, 0x24), "CONFIGURATION_INFORMATION.MediumChangerCount");

_Static_assert(sizeof(USB_CONFIGURATION_DESCRIPTOR) == PICK(0x9, 0x9), "sizeof(USB_CONFIGURATION_DESCRIPTOR)");
_Static_assert(offsetof(USB_CONFIGURATION_DESCRIPTOR, bLength) == PICK(0x0, 0x0), "USB_CONFIGURATION_DESCRIPTOR.bLength");
_Static_assert(offsetof(USB_CONFIGURATION_DESCRIPTOR, bDescriptorType) == PICK(0x1, 0x1), "USB_CONFIGURATION_DESCRIPTOR.bDescriptorType");
_Static_assert(offsetof(USB_CONFIGURATION_DESCRIPTOR, wTotalLength) == PICK(0x2, 0x2), "USB_CONFIGURATION_DESCRIPTOR.wTotalLength");
_Static_assert(offsetof(USB_CONFIGURATION_DESCRIPTOR, bNumInterfaces) == PICK(0x4, 0x4), "USB_CONFIGURATION_DESCRIPTOR.bNumInterfaces");

_Static_assert(sizeof(USB_INTERFACE_DESCRIPTOR) == PICK(0x9, 0x9), "sizeof(USB_INTERFACE_DESCRIPTOR)");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bLength) == PICK(0x0, 0x0), "USB_INTERFACE_DESCRIPTOR.bLength");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bDescriptorType) == PICK(0x1, 0x1), "USB_INTERFACE_DESCRIPTOR.bDescriptorType");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bInterfaceNumber) == PICK(0x2, 0x2), "USB_INTERFACE_DESCRIPTOR.bInterfaceNumber");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bAlternateSetting) == PICK(0x3, 0x3), "USB_INTERFACE_DESCRIPTOR.bAlternateSetting");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bNumEndpoints) == PICK(0x4, 0x4), "USB_INTERFACE_DESCRIPTOR.bNumEndpoints");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bInterfaceClass) == PICK(0x5, 0x5), "USB_INTERFACE_DESCRIPTOR.bInterfaceClass");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bInterfaceSubClass) == PICK(0x6, 0x6), "USB_INTERFACE_DESCRIPTOR.bInterfaceSubClass");
_Static_assert(offsetof(USB_INTERFACE_DESCRIPTOR, bInterfaceProtocol) == PICK(0x7, 0x7), "USB_INTERFACE_DESCRIPTOR.bInterfaceProtocol");

_Static_assert(sizeof(struct _URB_HEADER) == PICK(0x10, 0x18), "sizeof(struct _URB_HEADER)");
_Static_assert(offsetof(struct _URB_HEADER, Length) == PICK(0x0, 0x0), "struct _URB_HEADER.Length");
_Static_assert(offsetof(struct _URB_HEADER, Function) == PICK(0x2, 0x2), "struct _URB_HEADER.Function");
_Static_assert(offsetof(struct _URB_HEADER, Status) == PICK(0x4, 0x4), "struct _URB_HEADER.Status");
_Static_assert(offsetof(struct _URB_HEADER, UsbdDeviceHandle) == PICK(0x8, 0x8), "struct _URB_HEADER.UsbdDeviceHandle");
_Static_assert(offsetof(struct _URB_HEADER, UsbdFlags) == PICK(0xc, 0x10), "struct _URB_HEADER.UsbdFlags");

_Static_assert(sizeof(struct _URB_SELECT_CONFIGURATION) == PICK(0x3c, 0x58), "sizeof(struct _URB_SELECT_CONFIGURATION)");
_Static_assert(offsetof(struct _URB_SELECT_CONFIGURATION, ConfigurationDescriptor) == PICK(0x10, 0x18), "struct _URB_SELECT_CONFIGURATION.ConfigurationDescriptor");
_Static_assert(offsetof(struct _URB_SELECT_CONFIGURATION, ConfigurationHandle) == PICK(0x14, 0x20), "struct _URB_SELECT_CONFIGURATION.ConfigurationHandle");
_Static_assert(offsetof(struct _URB_SELECT_CONFIGURATION, Interface) == PICK(0x18, 0x28), "struct _URB_SELECT_CONFIGURATION.Interface");

_Static_assert(sizeof(USBD_INTERFACE_INFORMATION) == PICK(0x24, 0x30), "sizeof(USBD_INTERFACE_INFORMATION)");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, Length) == PICK(0x0, 0x0), "USBD_INTERFACE_INFORMATION.Length");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, InterfaceNumber) == PICK(0x2, 0x2), "USBD_INTERFACE_INFORMATION.InterfaceNumber");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, AlternateSetting) == PICK(0x3, 0x3), "USBD_INTERFACE_INFORMATION.AlternateSetting");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, Class) == PICK(0x4, 0x4), "USBD_INTERFACE_INFORMATION.Class");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, SubClass) == PICK(0x5, 0x5), "USBD_INTERFACE_INFORMATION.SubClass");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, Protocol) == PICK(0x6, 0x6), "USBD_INTERFACE_INFORMATION.Protocol");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, InterfaceHandle) == PICK(0x8, 0x8), "USBD_INTERFACE_INFORMATION.InterfaceHandle");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, NumberOfPipes) == PICK(0xc, 0x10), "USBD_INTERFACE_INFORMATION.NumberOfPipes");
_Static_assert(offsetof(USBD_INTERFACE_INFORMATION, Pipes) == PICK(0x10, 0x18), "USBD_INTERFACE_INFORMATION.Pipes");

_Static_assert(sizeof(USBD_PIPE_INFORMATION) == PICK(0x14, 0x18), "sizeof(USBD_PIPE_INFORMATION)");
_Static_assert(offsetof(USBD_PIPE_INFORMATION, MaximumPacketSize) == PICK(0x0, 0x0), "USBD_PIPE_INFORMATION.MaximumPacketSize");
_Static_assert(offsetof(USBD_PIPE_INFORMATION, EndpointAddress) == PICK(0x2, 0x2), "USBD_PIPE_INFORMATION.EndpointAddress");
_Static_assert(offsetof(USBD_PIPE_INFORMATION, Interval) == PICK(0x3, 0x3), "USBD_PIPE_INFORMATION.Interval");
_Static_assert(offsetof(USBD_PIPE_INFORMATION, PipeType) == PICK(0x4, 0x4), "USBD_PIPE_INFORMATION.PipeType");
_Static_assert(offsetof(USBD_PIPE_INFORMATION, PipeHandle) == PICK(0x8, 0x8), "USBD_PIPE_INFORMATION.PipeHandle");
_Static_assert(offsetof(USBD_PIPE_INFORMATION, MaximumTransferSize) == PICK(0xc, 0x10), "USBD_PIPE_INFORMATION.MaximumTransferSize");
_Static_assert(offsetof(USBD_PIPE_INFORMATION, PipeFlags) == PICK(0x10, 0x14), "USBD_PIPE_INFORMATION.PipeFlags");

_Static_assert(sizeof(USBD_INTERFACE_LIST_ENTRY) == PICK(0x8, 0x10), "sizeof(USBD_INTERFACE_LIST_ENTRY)");
_Static_assert(offsetof(USBD_INTERFACE_LIST_ENTRY, InterfaceDescriptor) == PICK(0x0, 0x0), "USBD_INTERFACE_LIST_ENTRY.InterfaceDescriptor");
_Static_assert(offsetof(USBD_INTERFACE_LIST_ENTRY, Interface) == PICK(0x4, 0x8), "USBD_INTERFACE_LIST_ENTRY.Interface");

_Static_assert(sizeof(USBD_VERSION_INFORMATION) == PICK(0x8, 0x8), "sizeof(USBD_VERSION_INFORMATION)");
_Static_assert(offsetof(USBD_VERSION_INFORMATION, USBDI_Version) == PICK(0x0, 0x0), "USBD_VERSION_INFORMATION.USBDI_Version");
_Static_assert(offsetof(USBD_VERSION_INFORMATION, Supported_USB_Version) == PICK(0x4, 0x4), "USBD_VERSION_INFORMATION.Supported_USB_Version");

