//! The framework's function table: one line per implemented WDF function — its
//! `WDFFUNCENUM` index, its name and parameters after the `DriverGlobals` every entry takes,
//! and the Rust function — in the form of the export tables (`crate::exports::table`). Every
//! other index of [`names::NAMES`] gets a slot of its own that ends the run naming the WDF
//! function ([`unimplemented`]). Entries are stdcall on x86, as the WDK builds them, but for the two context lookups
//! `wdfobject.h` declares FASTCALL (WdfObjectGetTypedContextWorker, WdfObjectContextGetObject).

use std::sync::OnceLock;

use portcullis_emu::{Arch, CallConv, Stop};

use super::{
    caller_context, child_list, collection, device, dpc, driver, file, interrupt, memory, names, object, pdo, pnp,
    query_interface, queue, registry, request, resources, spin_lock, string, timer, verifier, wait_lock, work_item,
};
use crate::exports::{CallArgs, Dll, ExportDef, FunctionDef, Param};
use crate::kernel::{KError, KResult, KernelStop, Kx};
use crate::types::*;

/// `index => line`: the exports' line form, with the function's table index in front.
macro_rules! wdf_functions {
    ($($index:literal => $conv:ident fn $name:ident ( $($p:ident : $t:ty),* ) -> $ret:ty = $f:path ;)*) => {
        /// The implemented entries, in the order of [`INDICES`].
        pub static TABLE: &[ExportDef] = crate::exports! {
            dll: Dll::Wdfldr,
            data: [],
            functions:
            $($conv fn $name($($p: $t),*) -> $ret = $f;)*
        };
        /// The table index of each line of [`TABLE`].
        pub static INDICES: &[usize] = &[$($index),*];
    };
}

wdf_functions! {
    0 => stdcall fn WdfChildListCreate(DriverGlobals: Ptr, Device: Ptr, Config: Ptr, ChildListAttributes: Ptr, ChildList: Ptr) -> NtStatus = child_list::WdfChildListCreate;
    1 => stdcall fn WdfChildListGetDevice(DriverGlobals: Ptr, ChildList: Ptr) -> Ptr = child_list::WdfChildListGetDevice;
    2 => stdcall fn WdfChildListRetrievePdo(DriverGlobals: Ptr, ChildList: Ptr, RetrieveInfo: Ptr) -> Ptr = child_list::WdfChildListRetrievePdo;
    4 => stdcall fn WdfChildListBeginScan(DriverGlobals: Ptr, ChildList: Ptr) -> () = child_list::WdfChildListBeginScan;
    5 => stdcall fn WdfChildListEndScan(DriverGlobals: Ptr, ChildList: Ptr) -> () = child_list::WdfChildListEndScan;
    6 => stdcall fn WdfChildListBeginIteration(DriverGlobals: Ptr, ChildList: Ptr, Iterator: Ptr) -> () = child_list::WdfChildListBeginIteration;
    7 => stdcall fn WdfChildListRetrieveNextDevice(DriverGlobals: Ptr, ChildList: Ptr, Iterator: Ptr, Device: Ptr, Info: Ptr) -> NtStatus = child_list::WdfChildListRetrieveNextDevice;
    8 => stdcall fn WdfChildListEndIteration(DriverGlobals: Ptr, ChildList: Ptr, Iterator: Ptr) -> () = child_list::WdfChildListEndIteration;
    9 => stdcall fn WdfChildListAddOrUpdateChildDescriptionAsPresent(DriverGlobals: Ptr, ChildList: Ptr, IdentificationDescription: Ptr, AddressDescription: Ptr) -> NtStatus = child_list::WdfChildListAddOrUpdateChildDescriptionAsPresent;
    10 => stdcall fn WdfChildListUpdateChildDescriptionAsMissing(DriverGlobals: Ptr, ChildList: Ptr, IdentificationDescription: Ptr) -> NtStatus = child_list::WdfChildListUpdateChildDescriptionAsMissing;
    11 => stdcall fn WdfChildListUpdateAllChildDescriptionsAsPresent(DriverGlobals: Ptr, ChildList: Ptr) -> () = child_list::WdfChildListUpdateAllChildDescriptionsAsPresent;
    12 => stdcall fn WdfChildListRequestChildEject(DriverGlobals: Ptr, ChildList: Ptr, IdentificationDescription: Ptr) -> Boolean = child_list::WdfChildListRequestChildEject;
    13 => stdcall fn WdfCollectionCreate(DriverGlobals: Ptr, CollectionAttributes: Ptr, Collection: Ptr) -> NtStatus = collection::WdfCollectionCreate;
    14 => stdcall fn WdfCollectionGetCount(DriverGlobals: Ptr, Collection: Ptr) -> u32 = collection::WdfCollectionGetCount;
    15 => stdcall fn WdfCollectionAdd(DriverGlobals: Ptr, Collection: Ptr, Object: Ptr) -> NtStatus = collection::WdfCollectionAdd;
    16 => stdcall fn WdfCollectionRemove(DriverGlobals: Ptr, Collection: Ptr, Item: Ptr) -> () = collection::WdfCollectionRemove;
    17 => stdcall fn WdfCollectionRemoveItem(DriverGlobals: Ptr, Collection: Ptr, Index: u32) -> () = collection::WdfCollectionRemoveItem;
    18 => stdcall fn WdfCollectionGetItem(DriverGlobals: Ptr, Collection: Ptr, Index: u32) -> Ptr = collection::WdfCollectionGetItem;
    19 => stdcall fn WdfCollectionGetFirstItem(DriverGlobals: Ptr, Collection: Ptr) -> Ptr = collection::WdfCollectionGetFirstItem;
    20 => stdcall fn WdfCollectionGetLastItem(DriverGlobals: Ptr, Collection: Ptr) -> Ptr = collection::WdfCollectionGetLastItem;
    25 => stdcall fn WdfControlDeviceInitAllocate(DriverGlobals: Ptr, Driver: Ptr, SDDLString: PUnicodeString) -> Ptr = device::WdfControlDeviceInitAllocate;
    27 => stdcall fn WdfControlFinishInitializing(DriverGlobals: Ptr, Device: Ptr) -> () = device::WdfControlFinishInitializing;
    30 => stdcall fn WdfWdmDeviceGetWdfDeviceHandle(DriverGlobals: Ptr, DeviceObject: Ptr) -> Ptr = device::WdfWdmDeviceGetWdfDeviceHandle;
    31 => stdcall fn WdfDeviceWdmGetDeviceObject(DriverGlobals: Ptr, Device: Ptr) -> Ptr = device::WdfDeviceWdmGetDeviceObject;
    32 => stdcall fn WdfDeviceWdmGetAttachedDevice(DriverGlobals: Ptr, Device: Ptr) -> Ptr = device::WdfDeviceWdmGetAttachedDevice;
    33 => stdcall fn WdfDeviceWdmGetPhysicalDevice(DriverGlobals: Ptr, Device: Ptr) -> Ptr = device::WdfDeviceWdmGetPhysicalDevice;
    39 => stdcall fn WdfDeviceGetDriver(DriverGlobals: Ptr, Device: Ptr) -> Ptr = device::WdfDeviceGetDriver;
    46 => stdcall fn WdfDeviceAssignS0IdleSettings(DriverGlobals: Ptr, Device: Ptr, Settings: Ptr) -> NtStatus = device::WdfDeviceAssignS0IdleSettings;
    48 => stdcall fn WdfDeviceOpenRegistryKey(DriverGlobals: Ptr, Device: Ptr, DeviceInstanceKeyType: u32, DesiredAccess: u32, KeyAttributes: Ptr, Key: Ptr) -> NtStatus = registry::WdfDeviceOpenRegistryKey;
    54 => stdcall fn WdfDeviceInitFree(DriverGlobals: Ptr, DeviceInit: Ptr) -> () = device::WdfDeviceInitFree;
    55 => stdcall fn WdfDeviceInitSetPnpPowerEventCallbacks(DriverGlobals: Ptr, DeviceInit: Ptr, PnpPowerEventCallbacks: Ptr) -> () = device::WdfDeviceInitSetPnpPowerEventCallbacks;
    56 => stdcall fn WdfDeviceInitSetPowerPolicyEventCallbacks(DriverGlobals: Ptr, DeviceInit: Ptr, PowerPolicyEventCallbacks: Ptr) -> () = device::WdfDeviceInitSetPowerPolicyEventCallbacks;
    61 => stdcall fn WdfDeviceInitSetIoType(DriverGlobals: Ptr, DeviceInit: Ptr, IoType: u32) -> () = device::WdfDeviceInitSetIoType;
    62 => stdcall fn WdfDeviceInitSetExclusive(DriverGlobals: Ptr, DeviceInit: Ptr, IsExclusive: Boolean) -> () = device::WdfDeviceInitSetExclusive;
    66 => stdcall fn WdfDeviceInitSetDeviceType(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceType: u32) -> () = device::WdfDeviceInitSetDeviceType;
    67 => stdcall fn WdfDeviceInitAssignName(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceName: PUnicodeString) -> NtStatus = device::WdfDeviceInitAssignName;
    68 => stdcall fn WdfDeviceInitAssignSDDLString(DriverGlobals: Ptr, DeviceInit: Ptr, SDDLString: PUnicodeString) -> NtStatus = device::WdfDeviceInitAssignSDDLString;
    70 => stdcall fn WdfDeviceInitSetCharacteristics(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceCharacteristics: u32, OrInValues: Boolean) -> () = device::WdfDeviceInitSetCharacteristics;
    71 => stdcall fn WdfDeviceInitSetFileObjectConfig(DriverGlobals: Ptr, DeviceInit: Ptr, FileObjectConfig: Ptr, FileObjectAttributes: Ptr) -> () = device::WdfDeviceInitSetFileObjectConfig;
    74 => stdcall fn WdfDeviceInitSetIoInCallerContextCallback(DriverGlobals: Ptr, DeviceInit: Ptr, EvtIoInCallerContext: Ptr) -> () = caller_context::WdfDeviceInitSetIoInCallerContextCallback;
    75 => stdcall fn WdfDeviceCreate(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceAttributes: Ptr, Device: Ptr) -> NtStatus = device::WdfDeviceCreate;
    77 => stdcall fn WdfDeviceCreateDeviceInterface(DriverGlobals: Ptr, Device: Ptr, InterfaceClassGUID: Ptr, ReferenceString: PUnicodeString) -> NtStatus = device::WdfDeviceCreateDeviceInterface;
    80 => stdcall fn WdfDeviceCreateSymbolicLink(DriverGlobals: Ptr, Device: Ptr, SymbolicLinkName: PUnicodeString) -> NtStatus = device::WdfDeviceCreateSymbolicLink;
    81 => stdcall fn WdfDeviceQueryProperty(DriverGlobals: Ptr, Device: Ptr, DeviceProperty: u32, BufferLength: u32, PropertyBuffer: Ptr, ResultLength: Ptr) -> NtStatus = device::WdfDeviceQueryProperty;
    82 => stdcall fn WdfDeviceAllocAndQueryProperty(DriverGlobals: Ptr, Device: Ptr, DeviceProperty: u32, PoolType: u32, PropertyMemoryAttributes: Ptr, PropertyMemory: Ptr) -> NtStatus = device::WdfDeviceAllocAndQueryProperty;
    83 => stdcall fn WdfDeviceSetPnpCapabilities(DriverGlobals: Ptr, Device: Ptr, PnpCapabilities: Ptr) -> () = pdo::WdfDeviceSetPnpCapabilities;
    84 => stdcall fn WdfDeviceSetPowerCapabilities(DriverGlobals: Ptr, Device: Ptr, PowerCapabilities: Ptr) -> () = pdo::WdfDeviceSetPowerCapabilities;
    85 => stdcall fn WdfDeviceSetBusInformationForChildren(DriverGlobals: Ptr, Device: Ptr, BusInformation: Ptr) -> () = device::WdfDeviceSetBusInformationForChildren;
    91 => stdcall fn WdfDeviceEnqueueRequest(DriverGlobals: Ptr, Device: Ptr, Request: Ptr) -> NtStatus = caller_context::WdfDeviceEnqueueRequest;
    92 => stdcall fn WdfDeviceGetDefaultQueue(DriverGlobals: Ptr, Device: Ptr) -> Ptr = queue::WdfDeviceGetDefaultQueue;
    93 => stdcall fn WdfDeviceConfigureRequestDispatching(DriverGlobals: Ptr, Device: Ptr, Queue: Ptr, RequestType: u32) -> NtStatus = queue::WdfDeviceConfigureRequestDispatching;
    111 => stdcall fn WdfDpcCreate(DriverGlobals: Ptr, Config: Ptr, Attributes: Ptr, Dpc: Ptr) -> NtStatus = dpc::WdfDpcCreate;
    112 => stdcall fn WdfDpcEnqueue(DriverGlobals: Ptr, Dpc: Ptr) -> Boolean = dpc::WdfDpcEnqueue;
    113 => stdcall fn WdfDpcCancel(DriverGlobals: Ptr, Dpc: Ptr, Wait: Boolean) -> Boolean = dpc::WdfDpcCancel;
    114 => stdcall fn WdfDpcGetParentObject(DriverGlobals: Ptr, Dpc: Ptr) -> Ptr = dpc::WdfDpcGetParentObject;
    115 => stdcall fn WdfDpcWdmGetDpc(DriverGlobals: Ptr, Dpc: Ptr) -> Ptr = dpc::WdfDpcWdmGetDpc;
    116 => stdcall fn WdfDriverCreate(DriverGlobals: Ptr, DriverObject: Ptr, RegistryPath: PUnicodeString, DriverAttributes: Ptr, DriverConfig: Ptr, Driver: Ptr) -> NtStatus = driver::WdfDriverCreate;
    117 => stdcall fn WdfDriverGetRegistryPath(DriverGlobals: Ptr, Driver: Ptr) -> Ptr = driver::WdfDriverGetRegistryPath;
    118 => stdcall fn WdfDriverWdmGetDriverObject(DriverGlobals: Ptr, Driver: Ptr) -> Ptr = driver::WdfDriverWdmGetDriverObject;
    119 => stdcall fn WdfDriverOpenParametersRegistryKey(DriverGlobals: Ptr, Driver: Ptr, DesiredAccess: u32, KeyAttributes: Ptr, Key: Ptr) -> NtStatus = registry::WdfDriverOpenParametersRegistryKey;
    120 => stdcall fn WdfWdmDriverGetWdfDriverHandle(DriverGlobals: Ptr, DriverObject: Ptr) -> Ptr = driver::WdfWdmDriverGetWdfDriverHandle;
    125 => stdcall fn WdfFdoInitOpenRegistryKey(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceInstanceKeyType: u32, DesiredAccess: u32, KeyAttributes: Ptr, Key: Ptr) -> NtStatus = registry::WdfFdoInitOpenRegistryKey;
    129 => stdcall fn WdfFdoInitSetFilter(DriverGlobals: Ptr, DeviceInit: Ptr) -> () = device::WdfFdoInitSetFilter;
    130 => stdcall fn WdfFdoInitSetDefaultChildListConfig(DriverGlobals: Ptr, DeviceInit: Ptr, Config: Ptr, DefaultChildListAttributes: Ptr) -> () = child_list::WdfFdoInitSetDefaultChildListConfig;
    131 => stdcall fn WdfFdoQueryForInterface(DriverGlobals: Ptr, Fdo: Ptr, InterfaceType: Ptr, Interface: Ptr, Size: u16, Version: u16, InterfaceSpecificData: Ptr) -> NtStatus = query_interface::WdfFdoQueryForInterface;
    132 => stdcall fn WdfFdoGetDefaultChildList(DriverGlobals: Ptr, Fdo: Ptr) -> Ptr = child_list::WdfFdoGetDefaultChildList;
    133 => stdcall fn WdfFdoAddStaticChild(DriverGlobals: Ptr, Fdo: Ptr, Child: Ptr) -> NtStatus = pdo::WdfFdoAddStaticChild;
    134 => stdcall fn WdfFdoLockStaticChildListForIteration(DriverGlobals: Ptr, Fdo: Ptr) -> () = pdo::WdfFdoLockStaticChildListForIteration;
    135 => stdcall fn WdfFdoRetrieveNextStaticChild(DriverGlobals: Ptr, Fdo: Ptr, PreviousChild: Ptr, Flags: u32) -> Ptr = pdo::WdfFdoRetrieveNextStaticChild;
    136 => stdcall fn WdfFdoUnlockStaticChildListFromIteration(DriverGlobals: Ptr, Fdo: Ptr) -> () = pdo::WdfFdoUnlockStaticChildListFromIteration;
    137 => stdcall fn WdfFileObjectGetFileName(DriverGlobals: Ptr, FileObject: Ptr) -> Ptr = file::WdfFileObjectGetFileName;
    139 => stdcall fn WdfFileObjectGetDevice(DriverGlobals: Ptr, FileObject: Ptr) -> Ptr = file::WdfFileObjectGetDevice;
    140 => stdcall fn WdfFileObjectWdmGetFileObject(DriverGlobals: Ptr, FileObject: Ptr) -> Ptr = file::WdfFileObjectWdmGetFileObject;
    141 => stdcall fn WdfInterruptCreate(DriverGlobals: Ptr, Device: Ptr, Configuration: Ptr, Attributes: Ptr, Interrupt: Ptr) -> NtStatus = interrupt::WdfInterruptCreate;
    142 => stdcall fn WdfInterruptQueueDpcForIsr(DriverGlobals: Ptr, Interrupt: Ptr) -> Boolean = interrupt::WdfInterruptQueueDpcForIsr;
    143 => stdcall fn WdfInterruptSynchronize(DriverGlobals: Ptr, Interrupt: Ptr, Callback: Ptr, Context: Ptr) -> Boolean = interrupt::WdfInterruptSynchronize;
    144 => stdcall fn WdfInterruptAcquireLock(DriverGlobals: Ptr, Interrupt: Ptr) -> () = interrupt::WdfInterruptAcquireLock;
    145 => stdcall fn WdfInterruptReleaseLock(DriverGlobals: Ptr, Interrupt: Ptr) -> () = interrupt::WdfInterruptReleaseLock;
    146 => stdcall fn WdfInterruptEnable(DriverGlobals: Ptr, Interrupt: Ptr) -> Boolean = interrupt::WdfInterruptEnable;
    147 => stdcall fn WdfInterruptDisable(DriverGlobals: Ptr, Interrupt: Ptr) -> Boolean = interrupt::WdfInterruptDisable;
    148 => stdcall fn WdfInterruptWdmGetInterrupt(DriverGlobals: Ptr, Interrupt: Ptr) -> Ptr = interrupt::WdfInterruptWdmGetInterrupt;
    151 => stdcall fn WdfInterruptGetDevice(DriverGlobals: Ptr, Interrupt: Ptr) -> Ptr = interrupt::WdfInterruptGetDevice;
    152 => stdcall fn WdfIoQueueCreate(DriverGlobals: Ptr, Device: Ptr, Config: Ptr, QueueAttributes: Ptr, Queue: Ptr) -> NtStatus = queue::WdfIoQueueCreate;
    154 => stdcall fn WdfIoQueueStart(DriverGlobals: Ptr, Queue: Ptr) -> () = queue::WdfIoQueueStart;
    157 => stdcall fn WdfIoQueueGetDevice(DriverGlobals: Ptr, Queue: Ptr) -> Ptr = queue::WdfIoQueueGetDevice;
    158 => stdcall fn WdfIoQueueRetrieveNextRequest(DriverGlobals: Ptr, Queue: Ptr, OutRequest: Ptr) -> NtStatus = queue::WdfIoQueueRetrieveNextRequest;
    165 => stdcall fn WdfIoQueuePurge(DriverGlobals: Ptr, Queue: Ptr, PurgeComplete: Ptr, Context: Ptr) -> () = queue::WdfIoQueuePurge;
    192 => stdcall fn WdfMemoryCreate(DriverGlobals: Ptr, Attributes: Ptr, PoolType: u32, Tag: PoolTag, BufferSize: SizeT, Memory: Ptr, Buffer: Ptr) -> NtStatus = memory::WdfMemoryCreate;
    194 => stdcall fn WdfMemoryGetBuffer(DriverGlobals: Ptr, Memory: Ptr, BufferSize: Ptr) -> Ptr = memory::WdfMemoryGetBuffer;
    196 => stdcall fn WdfMemoryCopyToBuffer(DriverGlobals: Ptr, SourceMemory: Ptr, SourceOffset: SizeT, Buffer: Ptr, NumBytesToCopyTo: SizeT) -> NtStatus = memory::WdfMemoryCopyToBuffer;
    197 => stdcall fn WdfMemoryCopyFromBuffer(DriverGlobals: Ptr, DestinationMemory: Ptr, DestinationOffset: SizeT, Buffer: Ptr, NumBytesToCopyFrom: SizeT) -> NtStatus = memory::WdfMemoryCopyFromBuffer;
    202 => fastcall fn WdfObjectGetTypedContextWorker(DriverGlobals: Ptr, Handle: Ptr, TypeInfo: Ptr) -> Ptr = object::WdfObjectGetTypedContextWorker;
    203 => stdcall fn WdfObjectAllocateContext(DriverGlobals: Ptr, Handle: Ptr, ContextAttributes: Ptr, Context: Ptr) -> NtStatus = object::WdfObjectAllocateContext;
    204 => fastcall fn WdfObjectContextGetObject(DriverGlobals: Ptr, ContextPointer: Ptr) -> Ptr = object::WdfObjectContextGetObject;
    205 => stdcall fn WdfObjectReferenceActual(DriverGlobals: Ptr, Handle: Ptr, Tag: Ptr, Line: i32, File: Ptr) -> () = object::WdfObjectReferenceActual;
    206 => stdcall fn WdfObjectDereferenceActual(DriverGlobals: Ptr, Handle: Ptr, Tag: Ptr, Line: i32, File: Ptr) -> () = object::WdfObjectDereferenceActual;
    207 => stdcall fn WdfObjectCreate(DriverGlobals: Ptr, Attributes: Ptr, Object: Ptr) -> NtStatus = object::WdfObjectCreate;
    208 => stdcall fn WdfObjectDelete(DriverGlobals: Ptr, Object: Ptr) -> () = object::WdfObjectDelete;
    210 => stdcall fn WdfPdoInitAllocate(DriverGlobals: Ptr, ParentDevice: Ptr) -> Ptr = pdo::WdfPdoInitAllocate;
    211 => stdcall fn WdfPdoInitSetEventCallbacks(DriverGlobals: Ptr, DeviceInit: Ptr, DispatchTable: Ptr) -> () = pdo::WdfPdoInitSetEventCallbacks;
    212 => stdcall fn WdfPdoInitAssignDeviceID(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceID: PUnicodeString) -> NtStatus = pdo::WdfPdoInitAssignDeviceID;
    213 => stdcall fn WdfPdoInitAssignInstanceID(DriverGlobals: Ptr, DeviceInit: Ptr, InstanceID: PUnicodeString) -> NtStatus = pdo::WdfPdoInitAssignInstanceID;
    214 => stdcall fn WdfPdoInitAddHardwareID(DriverGlobals: Ptr, DeviceInit: Ptr, HardwareID: PUnicodeString) -> NtStatus = pdo::WdfPdoInitAddHardwareID;
    215 => stdcall fn WdfPdoInitAddCompatibleID(DriverGlobals: Ptr, DeviceInit: Ptr, CompatibleID: PUnicodeString) -> NtStatus = pdo::WdfPdoInitAddCompatibleID;
    216 => stdcall fn WdfPdoInitAddDeviceText(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceDescription: PUnicodeString, DeviceLocation: PUnicodeString, LocaleId: u32) -> NtStatus = pdo::WdfPdoInitAddDeviceText;
    217 => stdcall fn WdfPdoInitSetDefaultLocale(DriverGlobals: Ptr, DeviceInit: Ptr, LocaleId: u32) -> () = pdo::WdfPdoInitSetDefaultLocale;
    218 => stdcall fn WdfPdoInitAssignRawDevice(DriverGlobals: Ptr, DeviceInit: Ptr, DeviceClassGuid: Ptr) -> NtStatus = pdo::WdfPdoInitAssignRawDevice;
    219 => stdcall fn WdfPdoMarkMissing(DriverGlobals: Ptr, Device: Ptr) -> NtStatus = pdo::WdfPdoMarkMissing;
    220 => stdcall fn WdfPdoRequestEject(DriverGlobals: Ptr, Device: Ptr) -> () = child_list::WdfPdoRequestEject;
    221 => stdcall fn WdfPdoGetParent(DriverGlobals: Ptr, Device: Ptr) -> Ptr = pdo::WdfPdoGetParent;
    228 => stdcall fn WdfDeviceAddQueryInterface(DriverGlobals: Ptr, Device: Ptr, InterfaceConfig: Ptr) -> NtStatus = query_interface::WdfDeviceAddQueryInterface;
    229 => stdcall fn WdfRegistryOpenKey(DriverGlobals: Ptr, ParentKey: Ptr, KeyName: PUnicodeString, DesiredAccess: u32, KeyAttributes: Ptr, Key: Ptr) -> NtStatus = registry::WdfRegistryOpenKey;
    230 => stdcall fn WdfRegistryCreateKey(DriverGlobals: Ptr, ParentKey: Ptr, KeyName: PUnicodeString, DesiredAccess: u32, CreateOptions: u32, CreateDisposition: Ptr, KeyAttributes: Ptr, Key: Ptr) -> NtStatus = registry::WdfRegistryCreateKey;
    231 => stdcall fn WdfRegistryClose(DriverGlobals: Ptr, Key: Ptr) -> () = registry::WdfRegistryClose;
    232 => stdcall fn WdfRegistryWdmGetHandle(DriverGlobals: Ptr, Key: Ptr) -> Ptr = registry::WdfRegistryWdmGetHandle;
    235 => stdcall fn WdfRegistryQueryValue(DriverGlobals: Ptr, Key: Ptr, ValueName: PUnicodeString, ValueLength: u32, Value: Ptr, ValueLengthQueried: Ptr, ValueType: Ptr) -> NtStatus = registry::WdfRegistryQueryValue;
    236 => stdcall fn WdfRegistryQueryMemory(DriverGlobals: Ptr, Key: Ptr, ValueName: PUnicodeString, PoolType: u32, MemoryAttributes: Ptr, Memory: Ptr, ValueType: Ptr) -> NtStatus = registry::WdfRegistryQueryMemory;
    237 => stdcall fn WdfRegistryQueryMultiString(DriverGlobals: Ptr, Key: Ptr, ValueName: PUnicodeString, StringsAttributes: Ptr, Collection: Ptr) -> NtStatus = registry::WdfRegistryQueryMultiString;
    238 => stdcall fn WdfRegistryQueryUnicodeString(DriverGlobals: Ptr, Key: Ptr, ValueName: PUnicodeString, ValueByteLength: Ptr, Value: PUnicodeString) -> NtStatus = registry::WdfRegistryQueryUnicodeString;
    239 => stdcall fn WdfRegistryQueryString(DriverGlobals: Ptr, Key: Ptr, ValueName: PUnicodeString, String: Ptr) -> NtStatus = registry::WdfRegistryQueryString;
    240 => stdcall fn WdfRegistryQueryULong(DriverGlobals: Ptr, Key: Ptr, ValueName: PUnicodeString, Value: Ptr) -> NtStatus = registry::WdfRegistryQueryULong;
    255 => stdcall fn WdfRequestMarkCancelable(DriverGlobals: Ptr, Request: Ptr, EvtRequestCancel: Ptr) -> () = request::WdfRequestMarkCancelable;
    256 => stdcall fn WdfRequestUnmarkCancelable(DriverGlobals: Ptr, Request: Ptr) -> NtStatus = request::WdfRequestUnmarkCancelable;
    263 => stdcall fn WdfRequestComplete(DriverGlobals: Ptr, Request: Ptr, Status: NtStatus) -> () = request::WdfRequestComplete;
    264 => stdcall fn WdfRequestCompleteWithPriorityBoost(DriverGlobals: Ptr, Request: Ptr, Status: NtStatus, PriorityBoost: u8) -> () = request::WdfRequestCompleteWithPriorityBoost;
    265 => stdcall fn WdfRequestCompleteWithInformation(DriverGlobals: Ptr, Request: Ptr, Status: NtStatus, Information: SizeT) -> () = request::WdfRequestCompleteWithInformation;
    266 => stdcall fn WdfRequestGetParameters(DriverGlobals: Ptr, Request: Ptr, Parameters: Ptr) -> () = request::WdfRequestGetParameters;
    267 => stdcall fn WdfRequestRetrieveInputMemory(DriverGlobals: Ptr, Request: Ptr, Memory: Ptr) -> NtStatus = request::WdfRequestRetrieveInputMemory;
    268 => stdcall fn WdfRequestRetrieveOutputMemory(DriverGlobals: Ptr, Request: Ptr, Memory: Ptr) -> NtStatus = request::WdfRequestRetrieveOutputMemory;
    269 => stdcall fn WdfRequestRetrieveInputBuffer(DriverGlobals: Ptr, Request: Ptr, MinimumRequiredLength: SizeT, Buffer: Ptr, Length: Ptr) -> NtStatus = request::WdfRequestRetrieveInputBuffer;
    270 => stdcall fn WdfRequestRetrieveOutputBuffer(DriverGlobals: Ptr, Request: Ptr, MinimumRequiredSize: SizeT, Buffer: Ptr, Length: Ptr) -> NtStatus = request::WdfRequestRetrieveOutputBuffer;
    275 => stdcall fn WdfRequestSetInformation(DriverGlobals: Ptr, Request: Ptr, Information: SizeT) -> () = request::WdfRequestSetInformation;
    276 => stdcall fn WdfRequestGetInformation(DriverGlobals: Ptr, Request: Ptr) -> SizeT = request::WdfRequestGetInformation;
    277 => stdcall fn WdfRequestGetFileObject(DriverGlobals: Ptr, Request: Ptr) -> Ptr = file::WdfRequestGetFileObject;
    281 => stdcall fn WdfRequestForwardToIoQueue(DriverGlobals: Ptr, Request: Ptr, DestinationQueue: Ptr) -> NtStatus = request::WdfRequestForwardToIoQueue;
    282 => stdcall fn WdfRequestGetIoQueue(DriverGlobals: Ptr, Request: Ptr) -> Ptr = request::WdfRequestGetIoQueue;
    285 => stdcall fn WdfRequestWdmGetIrp(DriverGlobals: Ptr, Request: Ptr) -> Ptr = request::WdfRequestWdmGetIrp;
    304 => stdcall fn WdfCmResourceListGetCount(DriverGlobals: Ptr, List: Ptr) -> u32 = resources::WdfCmResourceListGetCount;
    305 => stdcall fn WdfCmResourceListGetDescriptor(DriverGlobals: Ptr, List: Ptr, Index: u32) -> Ptr = resources::WdfCmResourceListGetDescriptor;
    308 => stdcall fn WdfStringCreate(DriverGlobals: Ptr, UnicodeString: PUnicodeString, StringAttributes: Ptr, String: Ptr) -> NtStatus = string::WdfStringCreate;
    309 => stdcall fn WdfStringGetUnicodeString(DriverGlobals: Ptr, String: Ptr, UnicodeString: PUnicodeString) -> () = string::WdfStringGetUnicodeString;
    312 => stdcall fn WdfWaitLockCreate(DriverGlobals: Ptr, LockAttributes: Ptr, Lock: Ptr) -> NtStatus = wait_lock::WdfWaitLockCreate;
    313 => stdcall fn WdfWaitLockAcquire(DriverGlobals: Ptr, Lock: Ptr, Timeout: Ptr) -> NtStatus = wait_lock::WdfWaitLockAcquire;
    314 => stdcall fn WdfWaitLockRelease(DriverGlobals: Ptr, Lock: Ptr) -> () = wait_lock::WdfWaitLockRelease;
    315 => stdcall fn WdfSpinLockCreate(DriverGlobals: Ptr, SpinLockAttributes: Ptr, SpinLock: Ptr) -> NtStatus = spin_lock::WdfSpinLockCreate;
    316 => stdcall fn WdfSpinLockAcquire(DriverGlobals: Ptr, SpinLock: Ptr) -> () = spin_lock::WdfSpinLockAcquire;
    317 => stdcall fn WdfSpinLockRelease(DriverGlobals: Ptr, SpinLock: Ptr) -> () = spin_lock::WdfSpinLockRelease;
    318 => stdcall fn WdfTimerCreate(DriverGlobals: Ptr, Config: Ptr, Attributes: Ptr, Timer: Ptr) -> NtStatus = timer::WdfTimerCreate;
    319 => stdcall fn WdfTimerStart(DriverGlobals: Ptr, Timer: Ptr, DueTime: u64) -> Boolean = timer::WdfTimerStart;
    320 => stdcall fn WdfTimerStop(DriverGlobals: Ptr, Timer: Ptr, Wait: Boolean) -> Boolean = timer::WdfTimerStop;
    321 => stdcall fn WdfTimerGetParentObject(DriverGlobals: Ptr, Timer: Ptr) -> Ptr = timer::WdfTimerGetParentObject;
    367 => stdcall fn WdfVerifierDbgBreakPoint(DriverGlobals: Ptr) -> () = verifier::WdfVerifierDbgBreakPoint;
    368 => stdcall fn WdfVerifierKeBugCheck(DriverGlobals: Ptr, BugCheckCode: u32, BugCheckParameter1: SizeT, BugCheckParameter2: SizeT, BugCheckParameter3: SizeT, BugCheckParameter4: SizeT) -> () = verifier::WdfVerifierKeBugCheck;
    379 => stdcall fn WdfWorkItemCreate(DriverGlobals: Ptr, Config: Ptr, Attributes: Ptr, WorkItem: Ptr) -> NtStatus = work_item::WdfWorkItemCreate;
    380 => stdcall fn WdfWorkItemEnqueue(DriverGlobals: Ptr, WorkItem: Ptr) -> () = work_item::WdfWorkItemEnqueue;
    381 => stdcall fn WdfWorkItemGetParentObject(DriverGlobals: Ptr, WorkItem: Ptr) -> Ptr = work_item::WdfWorkItemGetParentObject;
    382 => stdcall fn WdfWorkItemFlush(DriverGlobals: Ptr, WorkItem: Ptr) -> () = work_item::WdfWorkItemFlush;
    391 => stdcall fn WdfPdoInitAssignContainerID(DriverGlobals: Ptr, DeviceInit: Ptr, ContainerID: PUnicodeString) -> NtStatus = pdo::WdfPdoInitAssignContainerID;
    392 => stdcall fn WdfPdoInitAllowForwardingRequestToParent(DriverGlobals: Ptr, DeviceInit: Ptr) -> () = pdo::WdfPdoInitAllowForwardingRequestToParent;
    393 => stdcall fn WdfRequestMarkCancelableEx(DriverGlobals: Ptr, Request: Ptr, EvtRequestCancel: Ptr) -> NtStatus = request::WdfRequestMarkCancelableEx;
}

/// The framework's own routines the I/O manager reaches through the driver object.
pub static INTERNAL: &[ExportDef] = crate::exports! {
    dll: Dll::Wdfldr,
    data: [],
    functions:
    stdcall fn FxDispatch(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = queue::FxDispatch;
    stdcall fn FxDriverUnload(DriverObject: Ptr) -> () = driver::FxDriverUnload;
    stdcall fn FxAddDevice(DriverObject: Ptr, PhysicalDeviceObject: Ptr) -> NtStatus = device::FxAddDevice;
    stdcall fn FxStartCompletion(DeviceObject: Ptr, Irp: Ptr, Context: Ptr) -> NtStatus = pnp::FxStartCompletion;
    stdcall fn FxDpcThunk(Dpc: Ptr, DeferredContext: Ptr, SystemArgument1: Ptr, SystemArgument2: Ptr) -> () = dpc::FxDpcThunk;
    stdcall fn FxTimerThunk(Dpc: Ptr, DeferredContext: Ptr, SystemArgument1: Ptr, SystemArgument2: Ptr) -> () = timer::FxTimerThunk;
    stdcall fn FxWorkItemThunk(Context: Ptr) -> () = work_item::FxWorkItemThunk;
    stdcall fn FxInterruptThunk(Interrupt: Ptr, ServiceContext: Ptr) -> Boolean = interrupt::FxInterruptThunk;
    stdcall fn FxInterruptDpcThunk(Dpc: Ptr, DeferredContext: Ptr, SystemArgument1: Ptr, SystemArgument2: Ptr) -> () = interrupt::FxInterruptDpcThunk;
    stdcall fn FxRequestCancel(DeviceObject: Ptr, Irp: Ptr) -> () = request::FxRequestCancel;
    stdcall fn FxInterfaceNoOp(Context: Ptr) -> () = query_interface::FxInterfaceNoOp;
};

fn function(e: &'static ExportDef) -> &'static FunctionDef {
    match e {
        ExportDef::Function(f) => f,
        ExportDef::Data(_) => unreachable!("the framework's tables hold functions only"),
    }
}

static GLOBALS_ONLY: &[Param] = &[Param { name: "DriverGlobals", kind: ArgKind::Ptr, wide: false }];

/// What stands in every index the table does not implement.
fn unimplemented_entry(name: &'static str) -> FunctionDef {
    FunctionDef {
        dll: Dll::Wdfldr,
        name,
        conv: CallConv::Stdcall,
        params: GLOBALS_ONLY,
        varargs: false,
        regs: false,
        ret: None,
        ret_wide: false,
        only: None,
        wrapper: unimplemented,
    }
}

/// A call to a table entry the framework does not implement: the run ends, naming it.
fn unimplemented(k: &mut Kx, _args: &mut CallArgs) -> KResult<u64> {
    let pc = k.host_call_pc();
    let name = k.ext().calls.routine_at(pc).map_or("an unknown WDF function".to_string(), |(_, n)| n.to_string());
    let caller = crate::kernel::caller(k);
    Err(KError::Stop(Stop::Host(KernelStop::Unimplemented { routine: format!("wdf!{name}"), caller })))
}

/// The framework's host-call routines, in slot order: [`INTERNAL`], then one per table index.
pub fn routines(_arch: Arch) -> Vec<&'static FunctionDef> {
    static ALL: OnceLock<Vec<&'static FunctionDef>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut by_index: Vec<Option<&'static FunctionDef>> = vec![None; names::COUNT];
        for (line, &index) in TABLE.iter().zip(INDICES) {
            by_index[index] = Some(function(line));
        }
        let mut v: Vec<&'static FunctionDef> = INTERNAL.iter().map(function).collect();
        v.extend(
            by_index
                .into_iter()
                .enumerate()
                .map(|(i, f)| f.unwrap_or_else(|| Box::leak(Box::new(unimplemented_entry(names::NAMES[i]))))),
        );
        v
    })
    .clone()
}

/// The address of one of the framework's internal routines.
pub(crate) fn routine(k: &Kx, name: &str) -> u64 {
    crate::exports::internal::address(k, name).unwrap_or(0)
}
