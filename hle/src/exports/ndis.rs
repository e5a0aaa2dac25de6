//! ndis.sys: the NDIS library routines the kernel implements (see ntoskrnl.rs for the form of
//! a line; the routines are in `crate::ndis`).

use crate::exports::{Dll, ExportDef};
use crate::ndis;
use crate::types::*;

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Ndis,
    data: [],
    functions:
    stdcall fn NdisAllocateMemoryWithTag(VirtualAddress: Ptr, Length: u32, Tag: u32) -> NtStatus = ndis::NdisAllocateMemoryWithTag;
    stdcall fn NdisFreeMemory(VirtualAddress: Ptr, Length: u32, MemoryFlags: u32) -> () = ndis::NdisFreeMemory;
    stdcall fn NdisAllocateSpinLock(SpinLock: Ptr) -> () = ndis::NdisAllocateSpinLock;
    stdcall fn NdisFreeSpinLock(SpinLock: Ptr) -> () = ndis::NdisFreeSpinLock;
    stdcall fn NdisAcquireSpinLock(SpinLock: Ptr) -> () = ndis::NdisAcquireSpinLock;
    stdcall fn NdisReleaseSpinLock(SpinLock: Ptr) -> () = ndis::NdisReleaseSpinLock;
    stdcall fn NdisDprAcquireSpinLock(SpinLock: Ptr) -> () = ndis::NdisDprAcquireSpinLock;
    stdcall fn NdisDprReleaseSpinLock(SpinLock: Ptr) -> () = ndis::NdisDprReleaseSpinLock;
    stdcall fn NdisInitializeEvent(Event: Ptr) -> () = ndis::NdisInitializeEvent;
    stdcall fn NdisSetEvent(Event: Ptr) -> () = ndis::NdisSetEvent;
    stdcall fn NdisResetEvent(Event: Ptr) -> () = ndis::NdisResetEvent;
    stdcall fn NdisWaitEvent(Event: Ptr, MsToWait: u32) -> Boolean = ndis::NdisWaitEvent;
    stdcall fn NdisSystemProcessorCount() -> u8 = ndis::NdisSystemProcessorCount;
    stdcall fn NdisGetRoutineAddress(NdisRoutineName: PUnicodeString) -> Ptr = ndis::NdisGetRoutineAddress;
    stdcall fn NdisAllocateNetBufferListPool(NdisHandle: Ptr, Parameters: Ptr) -> Ptr = ndis::NdisAllocateNetBufferListPool;
    stdcall fn NdisFreeNetBufferListPool(PoolHandle: Ptr) -> () = ndis::NdisFreeNetBufferListPool;
    stdcall fn NdisAllocateNetBufferPool(NdisHandle: Ptr, Parameters: Ptr) -> Ptr = ndis::NdisAllocateNetBufferPool;
    stdcall fn NdisFreeNetBufferPool(PoolHandle: Ptr) -> () = ndis::NdisFreeNetBufferPool;
    stdcall fn NdisAllocateNetBuffer(PoolHandle: Ptr, MdlChain: Ptr, DataOffset: u32, DataLength: SizeT) -> Ptr = ndis::NdisAllocateNetBuffer;
    stdcall fn NdisFreeNetBuffer(NetBuffer: Ptr) -> () = ndis::NdisFreeNetBuffer;
    stdcall fn NdisAllocateNetBufferAndNetBufferList(PoolHandle: Ptr, ContextSize: u16, ContextBackFill: u16, MdlChain: Ptr, DataOffset: u32, DataLength: SizeT) -> Ptr = ndis::NdisAllocateNetBufferAndNetBufferList;
    stdcall fn NdisAllocateNetBufferList(PoolHandle: Ptr, ContextSize: u16, ContextBackFill: u16) -> Ptr = ndis::NdisAllocateNetBufferList;
    stdcall fn NdisFreeNetBufferList(NetBufferList: Ptr) -> () = ndis::NdisFreeNetBufferList;
    stdcall fn NdisGetPoolFromNetBufferList(NetBufferList: Ptr) -> Ptr = ndis::NdisGetPoolFromNetBufferList;
    stdcall fn NdisGetPoolFromNetBuffer(NetBuffer: Ptr) -> Ptr = ndis::NdisGetPoolFromNetBuffer;
    stdcall fn NdisAllocateMdl(NdisHandle: Ptr, VirtualAddress: Ptr, Length: u32) -> Ptr = ndis::NdisAllocateMdl;
    stdcall fn NdisFreeMdl(Mdl: Ptr) -> () = ndis::NdisFreeMdl;
    stdcall fn NdisAllocateGenericObject(DriverObject: Ptr, Tag: u32, Size: u16) -> Ptr = ndis::NdisAllocateGenericObject;
    stdcall fn NdisFreeGenericObject(NdisObject: Ptr) -> () = ndis::NdisFreeGenericObject;
    stdcall fn NdisGetDataBuffer(NetBuffer: Ptr, BytesNeeded: u32, Storage: Ptr, AlignMultiple: u32, AlignOffset: u32) -> Ptr = ndis::NdisGetDataBuffer;
    stdcall fn NdisAdvanceNetBufferDataStart(NetBuffer: Ptr, DataOffsetDelta: u32, FreeMdl: Boolean, FreeMdlHandler: Ptr) -> () = ndis::NdisAdvanceNetBufferDataStart;
    stdcall fn NdisRetreatNetBufferDataStart(NetBuffer: Ptr, DataOffsetDelta: u32, DataBackFill: u32, AllocateMdlHandler: Ptr) -> NtStatus = ndis::NdisRetreatNetBufferDataStart;
    stdcall fn NdisFRegisterFilterDriver(DriverObject: Ptr, FilterDriverContext: Ptr, FilterDriverCharacteristics: Ptr, NdisFilterDriverHandle: Ptr) -> NtStatus = ndis::NdisFRegisterFilterDriver;
    stdcall fn NdisFDeregisterFilterDriver(NdisFilterDriverHandle: Ptr) -> () = ndis::NdisFDeregisterFilterDriver;
    stdcall fn NdisFSetAttributes(NdisFilterHandle: Ptr, FilterModuleContext: Ptr, FilterAttributes: Ptr) -> NtStatus = ndis::NdisFSetAttributes;
    stdcall fn NdisFSendNetBufferLists(NdisFilterHandle: Ptr, NetBufferList: Ptr, PortNumber: u32, SendFlags: u32) -> () = ndis::NdisFSendNetBufferLists;
    stdcall fn NdisFSendNetBufferListsComplete(NdisFilterHandle: Ptr, NetBufferList: Ptr, SendCompleteFlags: u32) -> () = ndis::NdisFSendNetBufferListsComplete;
    stdcall fn NdisFIndicateReceiveNetBufferLists(NdisFilterHandle: Ptr, NetBufferLists: Ptr, PortNumber: u32, NumberOfNetBufferLists: u32, ReceiveFlags: u32) -> () = ndis::NdisFIndicateReceiveNetBufferLists;
    stdcall fn NdisFReturnNetBufferLists(NdisFilterHandle: Ptr, NetBufferLists: Ptr, ReturnFlags: u32) -> () = ndis::NdisFReturnNetBufferLists;
    stdcall fn NdisFOidRequest(NdisFilterHandle: Ptr, OidRequest: Ptr) -> NtStatus = ndis::NdisFOidRequest;
    stdcall fn NdisFOidRequestComplete(NdisFilterHandle: Ptr, OidRequest: Ptr, Status: u32) -> () = ndis::NdisFOidRequestComplete;
    stdcall fn NdisFCancelSendNetBufferLists(NdisFilterHandle: Ptr, CancelId: Ptr) -> () = ndis::NdisFCancelSendNetBufferLists;
    stdcall fn NdisFCancelOidRequest(NdisFilterHandle: Ptr, RequestId: Ptr) -> () = ndis::NdisFCancelOidRequest;
    stdcall fn NdisFIndicateStatus(NdisFilterHandle: Ptr, StatusIndication: Ptr) -> () = ndis::NdisFIndicateStatus;
    stdcall fn NdisFNetPnPEvent(NdisFilterHandle: Ptr, NetPnPEventNotification: Ptr) -> NtStatus = ndis::NdisFNetPnPEvent;
    stdcall fn NdisFDevicePnPEventNotify(NdisFilterHandle: Ptr, NetDevicePnPEvent: Ptr) -> () = ndis::NdisFDevicePnPEventNotify;
    stdcall fn NdisAllocateCloneOidRequest(SourceHandle: Ptr, OidRequest: Ptr, Tag: PoolTag, CloneOidRequest: Ptr) -> NtStatus = ndis::NdisAllocateCloneOidRequest;
    stdcall fn NdisFreeCloneOidRequest(SourceHandle: Ptr, Request: Ptr) -> () = ndis::NdisFreeCloneOidRequest;
    stdcall fn NdisRegisterProtocolDriver(ProtocolDriverContext: Ptr, ProtocolCharacteristics: Ptr, NdisProtocolHandle: Ptr) -> NtStatus = ndis::NdisRegisterProtocolDriver;
    stdcall fn NdisDeregisterProtocolDriver(NdisProtocolHandle: Ptr) -> () = ndis::NdisDeregisterProtocolDriver;
    stdcall fn NdisOpenAdapterEx(NdisProtocolHandle: Ptr, ProtocolBindingContext: Ptr, OpenParameters: Ptr, BindContext: Ptr, NdisBindingHandle: Ptr) -> NtStatus = ndis::NdisOpenAdapterEx;
    stdcall fn NdisCloseAdapterEx(NdisBindingHandle: Ptr) -> NtStatus = ndis::NdisCloseAdapterEx;
    stdcall fn NdisRegisterProtocol(Status: Ptr, NdisProtocolHandle: Ptr, ProtocolCharacteristics: Ptr, CharacteristicsLength: u32) -> () = ndis::NdisRegisterProtocol;
    stdcall fn NdisDeregisterProtocol(Status: Ptr, NdisProtocolHandle: Ptr) -> () = ndis::NdisDeregisterProtocol;
    stdcall fn NdisOpenAdapter(Status: Ptr, OpenErrorStatus: Ptr, NdisBindingHandle: Ptr, SelectedMediumIndex: Ptr, MediumArray: Ptr, MediumArraySize: u32, NdisProtocolHandle: Ptr, ProtocolBindingContext: Ptr, AdapterName: PUnicodeString, OpenOptions: u32, AddressingInformation: PAnsiString) -> () = ndis::NdisOpenAdapter;
    stdcall fn NdisCloseAdapter(Status: Ptr, NdisBindingHandle: Ptr) -> () = ndis::NdisCloseAdapter;
    stdcall fn NdisRequest(Status: Ptr, NdisBindingHandle: Ptr, NdisRequest: Ptr) -> () = ndis::NdisRequest;
    stdcall fn NdisSendNetBufferLists(NdisBindingHandle: Ptr, NetBufferLists: Ptr, PortNumber: u32, SendFlags: u32) -> () = ndis::NdisSendNetBufferLists;
    stdcall fn NdisCancelSendNetBufferLists(NdisBindingHandle: Ptr, CancelId: Ptr) -> () = ndis::NdisCancelSendNetBufferLists;
    stdcall fn NdisReturnNetBufferLists(NdisBindingHandle: Ptr, NetBufferLists: Ptr, ReturnFlags: u32) -> () = ndis::NdisReturnNetBufferLists;
    stdcall fn NdisOidRequest(NdisBindingHandle: Ptr, OidRequest: Ptr) -> NtStatus = ndis::NdisOidRequest;
    stdcall fn NdisQueryAdapterInstanceName(pAdapterInstanceName: PUnicodeString, NdisBindingHandle: Ptr) -> NtStatus = ndis::NdisQueryAdapterInstanceName;
    stdcall fn NdisGeneratePartialCancelId() -> u8 = ndis::NdisGeneratePartialCancelId;
    stdcall fn NdisOpenConfigurationEx(ConfigObject: Ptr, ConfigurationHandle: Ptr) -> NtStatus = ndis::NdisOpenConfigurationEx;
    stdcall fn NdisReadConfiguration(Status: Ptr, ParameterValue: Ptr, ConfigurationHandle: Ptr, Keyword: PUnicodeString, ParameterType: u32) -> () = ndis::NdisReadConfiguration;
    stdcall fn NdisCloseConfiguration(ConfigurationHandle: Ptr) -> () = ndis::NdisCloseConfiguration;
    stdcall fn NdisAllocateTimerObject(NdisHandle: Ptr, TimerCharacteristics: Ptr, pTimerObject: Ptr) -> NtStatus = ndis::NdisAllocateTimerObject;
    stdcall fn NdisSetTimerObject(TimerObject: Ptr, DueTime: u64, MillisecondsPeriod: i32, FunctionContext: Ptr) -> Boolean = ndis::NdisSetTimerObject;
    stdcall fn NdisCancelTimerObject(TimerObject: Ptr) -> Boolean = ndis::NdisCancelTimerObject;
    stdcall fn NdisFreeTimerObject(TimerObject: Ptr) -> () = ndis::NdisFreeTimerObject;
    stdcall fn NdisCopyFromNetBufferToNetBuffer(Destination: Ptr, DestinationOffset: u32, BytesToCopy: u32, Source: Ptr, SourceOffset: u32, BytesCopied: Ptr) -> NtStatus = ndis::NdisCopyFromNetBufferToNetBuffer;
    stdcall fn NdisAllocatePacketPool(Status: Ptr, PoolHandle: Ptr, NumberOfDescriptors: u32, ProtocolReservedLength: u32) -> () = ndis::NdisAllocatePacketPool;
    stdcall fn NdisFreePacketPool(PoolHandle: Ptr) -> () = ndis::NdisFreePacketPool;
    stdcall fn NdisAllocatePacket(Status: Ptr, Packet: Ptr, PoolHandle: Ptr) -> () = ndis::NdisAllocatePacket;
    stdcall fn NdisFreePacket(Packet: Ptr) -> () = ndis::NdisFreePacket;
    stdcall fn NdisUnchainBufferAtFront(Packet: Ptr, Buffer: Ptr) -> () = ndis::NdisUnchainBufferAtFront;
};
