//! fwpkclnt.sys: the Windows Filtering Platform's kernel client (see ntoskrnl.rs for the form
//! of a line; the routines are in `crate::wfp`).

use crate::exports::{Dll, ExportDef};
use crate::types::*;
use crate::wfp::{callouts, clone, engine, flows, injection, nbl, objects, redirect, references, stream, transaction};

pub static TABLE: &[ExportDef] = crate::exports! {
    dll: Dll::Fwpkclnt,
    data: [],
    functions:
    stdcall fn FwpmEngineOpen0(serverName: PCWSTR, authnService: u32, authIdentity: Ptr, session: Ptr, engineHandle: Ptr) -> NtStatus = engine::FwpmEngineOpen0;
    stdcall fn FwpmEngineClose0(engineHandle: Ptr) -> NtStatus = engine::FwpmEngineClose0;
    stdcall fn FwpmTransactionBegin0(engineHandle: Ptr, flags: u32) -> NtStatus = transaction::FwpmTransactionBegin0;
    stdcall fn FwpmTransactionCommit0(engineHandle: Ptr) -> NtStatus = transaction::FwpmTransactionCommit0;
    stdcall fn FwpmTransactionAbort0(engineHandle: Ptr) -> NtStatus = transaction::FwpmTransactionAbort0;
    stdcall fn FwpmSubLayerAdd0(engineHandle: Ptr, subLayer: Ptr, sd: Ptr) -> NtStatus = objects::FwpmSubLayerAdd0;
    stdcall fn FwpmSubLayerDeleteByKey0(engineHandle: Ptr, key: Ptr) -> NtStatus = objects::FwpmSubLayerDeleteByKey0;
    stdcall fn FwpmCalloutAdd0(engineHandle: Ptr, callout: Ptr, sd: Ptr, id: Ptr) -> NtStatus = objects::FwpmCalloutAdd0;
    stdcall fn FwpmCalloutDeleteByKey0(engineHandle: Ptr, key: Ptr) -> NtStatus = objects::FwpmCalloutDeleteByKey0;
    stdcall fn FwpmCalloutGetByKey0(engineHandle: Ptr, key: Ptr, callout: Ptr) -> NtStatus = objects::FwpmCalloutGetByKey0;
    stdcall fn FwpmFreeMemory0(p: Ptr) -> () = objects::FwpmFreeMemory0;
    stdcall fn FwpmFilterAdd0(engineHandle: Ptr, filter: Ptr, sd: Ptr, id: Ptr) -> NtStatus = objects::FwpmFilterAdd0;
    stdcall fn FwpmFilterDeleteById0(engineHandle: Ptr, id: u64) -> NtStatus = objects::FwpmFilterDeleteById0;
    stdcall fn FwpmFilterDeleteByKey0(engineHandle: Ptr, key: Ptr) -> NtStatus = objects::FwpmFilterDeleteByKey0;
    stdcall fn FwpsCalloutRegister0(deviceObject: Ptr, callout: Ptr, calloutId: Ptr) -> NtStatus = callouts::FwpsCalloutRegister0;
    stdcall fn FwpsCalloutRegister1(deviceObject: Ptr, callout: Ptr, calloutId: Ptr) -> NtStatus = callouts::FwpsCalloutRegister1;
    stdcall fn FwpsCalloutUnregisterById0(calloutId: u32) -> NtStatus = callouts::FwpsCalloutUnregisterById0;
    stdcall fn FwpsCalloutUnregisterByKey0(calloutKey: Ptr) -> NtStatus = callouts::FwpsCalloutUnregisterByKey0;
    stdcall fn FwpsFlowAssociateContext0(flowId: u64, layerId: u16, calloutId: u32, flowContext: u64) -> NtStatus = flows::FwpsFlowAssociateContext0;
    stdcall fn FwpsFlowRemoveContext0(flowId: u64, layerId: u16, calloutId: u32) -> NtStatus = flows::FwpsFlowRemoveContext0;
    stdcall fn FwpsInjectionHandleCreate0(addressFamily: u16, flags: u32, injectionHandle: Ptr) -> NtStatus = injection::FwpsInjectionHandleCreate0;
    stdcall fn FwpsInjectionHandleDestroy0(injectionHandle: Ptr) -> NtStatus = injection::FwpsInjectionHandleDestroy0;
    stdcall fn FwpsQueryPacketInjectionState0(injectionHandle: Ptr, netBufferList: Ptr, injectionContext: Ptr) -> i32 = injection::FwpsQueryPacketInjectionState0;
    stdcall fn FwpsInjectNetworkSendAsync0(injectionHandle: Ptr, injectionContext: Ptr, flags: u32, compartmentId: u32, netBufferList: Ptr, completionFn: Ptr, completionContext: Ptr) -> NtStatus = injection::FwpsInjectNetworkSendAsync0;
    stdcall fn FwpsInjectNetworkReceiveAsync0(injectionHandle: Ptr, injectionContext: Ptr, flags: u32, compartmentId: u32, interfaceIndex: u32, subInterfaceIndex: u32, netBufferList: Ptr, completionFn: Ptr, completionContext: Ptr) -> NtStatus = injection::FwpsInjectNetworkReceiveAsync0;
    stdcall fn FwpsInjectForwardAsync0(injectionHandle: Ptr, injectionContext: Ptr, flags: u32, addressFamily: u16, compartmentId: u32, interfaceIndex: u32, netBufferList: Ptr, completionFn: Ptr, completionContext: Ptr) -> NtStatus = injection::FwpsInjectForwardAsync0;
    stdcall fn FwpsAllocateNetBufferAndNetBufferList0(poolHandle: Ptr, contextSize: u16, contextBackFill: u16, mdlChain: Ptr, dataOffset: u32, dataLength: SizeT, netBufferList: Ptr) -> NtStatus = nbl::FwpsAllocateNetBufferAndNetBufferList0;
    stdcall fn FwpsFreeNetBufferList0(netBufferList: Ptr) -> () = nbl::FwpsFreeNetBufferList0;
    stdcall fn FwpsCopyStreamDataToBuffer0(calloutStreamData: Ptr, buffer: Ptr, bytesToCopy: SizeT, bytesCopied: Ptr) -> () = stream::FwpsCopyStreamDataToBuffer0;
    stdcall fn FwpsStreamContinue0(flowId: u64, calloutId: u32, layerId: u16, streamFlags: u32) -> NtStatus = stream::FwpsStreamContinue0;
    stdcall fn FwpsAllocateCloneNetBufferList0(originalNetBufferList: Ptr, netBufferListPoolHandle: Ptr, netBufferPoolHandle: Ptr, allocateCloneFlags: u32, netBufferList: Ptr) -> NtStatus = clone::FwpsAllocateCloneNetBufferList0;
    stdcall fn FwpsStreamInjectAsync0(injectionHandle: Ptr, injectionContext: Ptr, flags: u32, flowId: u64, calloutId: u32, layerId: u16, streamFlags: u32, netBufferList: Ptr, dataLength: SizeT, completionFn: Ptr, completionContext: Ptr) -> NtStatus = injection::FwpsStreamInjectAsync0;
    stdcall fn FwpsReferenceNetBufferList0(netBufferList: Ptr, intendToModify: Boolean) -> () = references::FwpsReferenceNetBufferList0;
    stdcall fn FwpsDereferenceNetBufferList0(netBufferList: Ptr, dispatchLevel: Boolean) -> () = references::FwpsDereferenceNetBufferList0;
    stdcall fn FwpsAcquireClassifyHandle0(classifyContext: Ptr, reserved: u32, classifyHandle: Ptr) -> NtStatus = references::FwpsAcquireClassifyHandle0;
    stdcall fn FwpsReleaseClassifyHandle0(classifyHandle: u64) -> () = references::FwpsReleaseClassifyHandle0;
    stdcall fn FwpsAcquireWritableLayerDataPointer0(classifyHandle: u64, filterId: u64, flags: u32, writableLayerData: Ptr, classifyOut: Ptr) -> NtStatus = redirect::FwpsAcquireWritableLayerDataPointer0;
    stdcall fn FwpsApplyModifiedLayerData0(classifyHandle: u64, modifiedLayerData: Ptr, flags: u32) -> () = redirect::FwpsApplyModifiedLayerData0;
    stdcall fn FwpsFreeCloneNetBufferList0(netBufferList: Ptr, freeCloneFlags: u32) -> () = clone::FwpsFreeCloneNetBufferList0;
};
