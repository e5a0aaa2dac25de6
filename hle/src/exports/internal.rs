//! Kernel-internal routines drivers reach through pointers the kernel hands them rather than
//! through imports (the routine an unset `MajorFunction` entry points at). They go through the
//! same host-call slots, dispatcher and trace as exports, but no import binds to them.

use crate::exports::{Dll, ExportDef};
use crate::kernel::Kx;
use crate::types::*;
use crate::{ex, io, seh};

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Ntoskrnl,
    data: [],
    functions:
    stdcall fn IopInvalidDeviceRequest(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = io::IopInvalidDeviceRequest;
    stdcall fn IopCsqCancelRoutine(DeviceObject: Ptr, Irp: Ptr) -> () = io::queue::IopCsqCancelRoutine;
    stdcall fn PnpBusDispatch(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = crate::pnp::PnpBusDispatch;
    stdcall fn IopTimerDpc(Dpc: Ptr, DeferredContext: Ptr, SystemArgument1: Ptr, SystemArgument2: Ptr) -> () = io::timer::IopTimerDpc;
    stdcall fn ExpDefaultAllocateEx(PoolType: u32, NumberOfBytes: SizeT, Tag: PoolTag, Lookaside: Ptr) -> Ptr = ex::lookaside::ExpDefaultAllocateEx;
    stdcall fn ExpDefaultFreeEx(Buffer: Ptr, Lookaside: Ptr) -> () = ex::lookaside::ExpDefaultFreeEx;
    // The handlers of the registrations x86 exception handling links around handler calls.
    #[x86] cdecl fn RtlpNestedExceptionHandler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::x86_frames::RtlpNestedExceptionHandler;
    #[x86] cdecl fn RtlpCollidedUnwindHandler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::x86_frames::RtlpCollidedUnwindHandler;
    stdcall fn FltpMiniFilterDriverUnload(DriverObject: Ptr) -> () = crate::flt::registration::FltpMiniFilterDriverUnload;
    stdcall fn HidClassAddDevice(DriverObject: Ptr, PhysicalDeviceObject: Ptr) -> NtStatus = crate::hidclass::HidClassAddDevice;
    stdcall fn HidClassDispatch(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = crate::hidclass::HidClassDispatch;
    stdcall fn HidClassDriverUnload(DriverObject: Ptr) -> () = crate::hidclass::HidClassDriverUnload;
    // The SCSI port drivers' routines in a miniport's driver object (storport/).
    stdcall fn PortAddDevice(DriverObject: Ptr, PhysicalDeviceObject: Ptr) -> NtStatus = crate::storport::adapter::PortAddDevice;
    stdcall fn PortDispatch(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = crate::storport::adapter::PortDispatch;
    stdcall fn PortDriverUnload(DriverObject: Ptr) -> () = crate::storport::PortDriverUnload;
    // A DMA adapter's DMA_OPERATIONS (hal/dma.rs).
    stdcall fn HalpDmaPutAdapter(DmaAdapter: Ptr) -> () = crate::hal::dma::HalpDmaPutAdapter;
    stdcall fn HalpDmaAllocateCommonBuffer(DmaAdapter: Ptr, Length: u32, LogicalAddress: Ptr, CacheEnabled: Boolean) -> Ptr = crate::hal::dma::HalpDmaAllocateCommonBuffer;
    stdcall fn HalpDmaFreeCommonBuffer(DmaAdapter: Ptr, Length: u32, LogicalAddress: u64, VirtualAddress: Ptr, CacheEnabled: Boolean) -> () = crate::hal::dma::HalpDmaFreeCommonBuffer;
    stdcall fn HalpDmaAllocateAdapterChannel(DmaAdapter: Ptr, DeviceObject: Ptr, NumberOfMapRegisters: u32, ExecutionRoutine: Ptr, Context: Ptr) -> NtStatus = crate::hal::dma::HalpDmaAllocateAdapterChannel;
    stdcall fn HalpDmaFlushAdapterBuffers(DmaAdapter: Ptr, Mdl: Ptr, MapRegisterBase: Ptr, CurrentVa: Ptr, Length: u32, WriteToDevice: Boolean) -> Boolean = crate::hal::dma::HalpDmaFlushAdapterBuffers;
    stdcall fn HalpDmaFreeAdapterChannel(DmaAdapter: Ptr) -> () = crate::hal::dma::HalpDmaFreeAdapterChannel;
    stdcall fn HalpDmaFreeMapRegisters(DmaAdapter: Ptr, MapRegisterBase: Ptr, NumberOfMapRegisters: u32) -> () = crate::hal::dma::HalpDmaFreeMapRegisters;
    stdcall fn HalpDmaMapTransfer(DmaAdapter: Ptr, Mdl: Ptr, MapRegisterBase: Ptr, CurrentVa: Ptr, Length: Ptr, WriteToDevice: Boolean) -> u64 = crate::hal::dma::HalpDmaMapTransfer;
    stdcall fn HalpDmaGetAlignment(DmaAdapter: Ptr) -> u32 = crate::hal::dma::HalpDmaGetAlignment;
    stdcall fn HalpDmaGetScatterGatherList(DmaAdapter: Ptr, DeviceObject: Ptr, Mdl: Ptr, CurrentVa: Ptr, Length: u32, ExecutionRoutine: Ptr, Context: Ptr, WriteToDevice: Boolean) -> NtStatus = crate::hal::dma::HalpDmaGetScatterGatherList;
    stdcall fn HalpDmaPutScatterGatherList(DmaAdapter: Ptr, ScatterGather: Ptr, WriteToDevice: Boolean) -> () = crate::hal::dma::HalpDmaPutScatterGatherList;
    // HalDispatchTable's entries (hal/dispatch_table.rs): none implemented, each named.
    stdcall fn xHalQuerySystemInformation() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalSetSystemInformation() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalQueryBusSlots() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalExamineMBR() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalIoAssignDriveLetters() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalIoReadPartitionTable() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalIoSetPartitionInformation() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalIoWritePartitionTable() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalReferenceHandlerForBus() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalReferenceBusHandler() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalDereferenceBusHandler() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalInitPnpDriver() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalInitPowerManagement() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalGetDmaAdapter() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalGetInterruptTranslator() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalStartMirroring() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalEndMirroring() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalMirrorPhysicalMemory() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalEndOfBoot() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalMirrorVerify() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalGetCachedAcpiTable() -> () = crate::hal::dispatch_table::unimplemented;
    stdcall fn xHalSetPciErrorHandlerCallback() -> () = crate::hal::dispatch_table::unimplemented;
    // portcls.sys's dispatch routine, the start's completion routine and the methods of the
    // COM objects it hands out (portcls/com.rs).
    stdcall fn PcpDispatchIrp(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = crate::portcls::PcDispatchIrp;
    stdcall fn PcpStartCompletion(DeviceObject: Ptr, Irp: Ptr, Context: Ptr) -> NtStatus = crate::portcls::PcpStartCompletion;
    stdcall fn PcpQueryInterface(This: Ptr, Iid: Ptr, Object: Ptr) -> NtStatus = crate::portcls::com::PcpQueryInterface;
    stdcall fn PcpAddRef(This: Ptr) -> u32 = crate::portcls::com::PcpAddRef;
    stdcall fn PcpRelease(This: Ptr) -> u32 = crate::portcls::com::PcpRelease;
    stdcall fn PcpPortInit(This: Ptr, DeviceObject: Ptr, Irp: Ptr, UnknownMiniport: Ptr, UnknownAdapter: Ptr, ResourceList: Ptr) -> NtStatus = crate::portcls::com::PcpPortInit;
    stdcall fn PcpPortGetDeviceProperty() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpPortNewRegistryKey() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpPortNotify(This: Ptr, ServiceGroup: Ptr) -> () = crate::portcls::com::PcpPortNotify;
    stdcall fn PcpPortNewMasterDmaChannel() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpPortNewSlaveDmaChannel() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpServiceGroupRequestService(This: Ptr) -> () = crate::portcls::com::PcpServiceGroupRequestService;
    stdcall fn PcpServiceGroupAddMember(This: Ptr, ServiceSink: Ptr) -> NtStatus = crate::portcls::com::PcpServiceGroupAddMember;
    stdcall fn PcpServiceGroupRemoveMember(This: Ptr, ServiceSink: Ptr) -> () = crate::portcls::com::PcpServiceGroupRemoveMember;
    stdcall fn PcpServiceGroupSupportDelayedService() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpServiceGroupRequestDelayedService() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpServiceGroupCancelDelayedService() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpResourceListNumberOfEntries(This: Ptr) -> u32 = crate::portcls::com::PcpResourceListNumberOfEntries;
    stdcall fn PcpResourceListNumberOfEntriesOfType(This: Ptr, Type: u8) -> u32 = crate::portcls::com::PcpResourceListNumberOfEntriesOfType;
    stdcall fn PcpResourceListFindTranslatedEntry(This: Ptr, Type: u8, Index: u32) -> Ptr = crate::portcls::com::PcpResourceListFindTranslatedEntry;
    stdcall fn PcpResourceListFindUntranslatedEntry(This: Ptr, Type: u8, Index: u32) -> Ptr = crate::portcls::com::PcpResourceListFindUntranslatedEntry;
    stdcall fn PcpResourceListAddEntry() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpResourceListAddEntryFromParent() -> () = crate::portcls::com::unimplemented;
    stdcall fn PcpResourceListTranslatedList(This: Ptr) -> Ptr = crate::portcls::com::PcpResourceListTranslatedList;
    stdcall fn PcpResourceListUntranslatedList(This: Ptr) -> Ptr = crate::portcls::com::PcpResourceListUntranslatedList;
    #[x86] cdecl fn KiServiceNotImplemented() -> () = crate::ke::service_table::KiServiceNotImplemented;
    #[x86] cdecl fn RtlpLocalUnwindHandler(ExceptionRecord: Ptr, EstablisherFrame: Ptr, ContextRecord: Ptr, DispatcherContext: Ptr) -> u32 = seh::except_handler::RtlpLocalUnwindHandler;
    // The TCP/IP transport's dispatch routine (tdi/transport.rs).
    stdcall fn TcpipDispatch(DeviceObject: Ptr, Irp: Ptr) -> NtStatus = crate::tdi::transport::TcpipDispatch;
};

/// The address of the internal routine `name`.
pub fn address(k: &Kx, name: &str) -> Option<u64> {
    let calls = &k.ext().calls;
    calls.functions.internal_slot(name).map(|slot| calls.address(slot))
}
