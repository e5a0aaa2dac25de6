//! Injection: handles (FwpsInjectionHandleCreate0/Destroy0), the injection state of a net
//! buffer list (FwpsQueryPacketInjectionState0), and packets injected into the stack
//! (FwpsInjectNetworkSendAsync0, FwpsInjectNetworkReceiveAsync0, FwpsInjectForwardAsync0),
//! and stream data injected into a flow at a stream layer (FwpsStreamInjectAsync0).
//!
//! The machine has no network stack: an injected packet is recorded in the trace (its bytes,
//! from the list's first net buffer) and the stack is done with it at once: the list's
//! status becomes STATUS_SUCCESS and the driver's completion function runs, before the
//! injecting call returns (at PASSIVE_LEVEL, dispatchLevel FALSE). Until the list is freed
//! it counts as injected by the handle that injected it.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::events::{record, WfpChange};
use super::{st, InjectionHandle};
use crate::events::hex_bytes;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, NET_BUFFER as NB, NET_BUFFER_LIST as NBL};
use crate::types::{NtStatus, Ptr, SizeT};

/// AF_UNSPEC, AF_INET, AF_INET6.
const ADDRESS_FAMILIES: [u16; 3] = [0, 2, 23];
/// FWPS_INJECTION_TYPE_* (stream, transport, network, forward, L2, vSwitch).
const FWPS_INJECTION_TYPE_STREAM: u32 = 0x1;
const FWPS_INJECTION_TYPE_NETWORK: u32 = 0x4;
const FWPS_INJECTION_TYPE_FORWARD: u32 = 0x8;
const INJECTION_TYPES: u32 = 0x3F;
/// FWPS_PACKET_INJECTION_STATE.
const FWPS_PACKET_NOT_INJECTED: i32 = 0;
const FWPS_PACKET_INJECTED_BY_SELF: i32 = 1;
const FWPS_PACKET_INJECTED_BY_OTHER: i32 = 2;
/// How many packet bytes the trace keeps.
const RECORDED_BYTES: u64 = 256;

/// NTSTATUS FwpsInjectionHandleCreate0(ADDRESS_FAMILY addressFamily, UINT32 flags,
/// HANDLE *injectionHandle)
pub fn FwpsInjectionHandleCreate0(k: &mut Kx, family: u16, flags: u32, out: Ptr) -> KResult<NtStatus> {
    if out.is_null() {
        return Ok(st::NULL_POINTER);
    }
    if !ADDRESS_FAMILIES.contains(&family) || flags == 0 || flags & !INJECTION_TYPES != 0 {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    let handle = crate::ex::pool::kernel_alloc(k, 16, b"FwpI")?;
    k.mem_mut().write_ptr(out.0, handle)?;
    k.ext_mut().wfp.injection_handles.insert(handle, InjectionHandle { address_family: family, flags });
    record(k, WfpChange::InjectionHandleCreated { handle, address_family: family, flags });
    Ok(NtStatus(0))
}

/// NTSTATUS FwpsInjectionHandleDestroy0(HANDLE injectionHandle)
pub fn FwpsInjectionHandleDestroy0(k: &mut Kx, handle: Ptr) -> KResult<NtStatus> {
    if k.ext_mut().wfp.injection_handles.remove(&handle.0).is_none() {
        return Ok(st::INVALID_HANDLE);
    }
    k.ext_mut().wfp.injected.retain(|_, (h, _)| *h != handle.0);
    record(k, WfpChange::InjectionHandleDestroyed { handle: handle.0 });
    crate::ex::pool::free(k, handle.0, None, 0)?;
    Ok(NtStatus(0))
}

/// FWPS_PACKET_INJECTION_STATE FwpsQueryPacketInjectionState0(HANDLE injectionHandle,
/// const NET_BUFFER_LIST *netBufferList, HANDLE *injectionContext): injected by this handle
/// (its injection context to *injectionContext), by another, or not at all.
pub fn FwpsQueryPacketInjectionState0(k: &mut Kx, handle: Ptr, nbl: Ptr, context: Ptr) -> KResult<i32> {
    let Some(&(by, ctx)) = k.ext().wfp.injected.get(&nbl.0) else {
        return Ok(FWPS_PACKET_NOT_INJECTED);
    };
    if by != handle.0 {
        return Ok(FWPS_PACKET_INJECTED_BY_OTHER);
    }
    if !context.is_null() {
        k.mem_mut().write_ptr(context.0, ctx)?;
    }
    Ok(FWPS_PACKET_INJECTED_BY_SELF)
}

/// What an injection names.
struct Injection {
    kind: &'static str,
    needs: u32,
    handle: u64,
    context: u64,
    nbl: u64,
    completion: u64,
    completion_context: u64,
}

fn inject(k: &mut Kx, i: Injection) -> KResult<NtStatus> {
    let Some(h) = k.ext().wfp.injection_handles.get(&i.handle) else {
        return Ok(st::INVALID_HANDLE);
    };
    if h.flags & i.needs == 0 {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    if i.nbl == 0 || i.completion == 0 {
        return Ok(st::NULL_POINTER);
    }
    // The packet: every net buffer's length, the first one's bytes.
    let (mut length, mut bytes) = (0u64, Vec::new());
    let mut nb = k.mem().get(i.nbl, NBL::FirstNetBuffer)?;
    for n in 0..4096 {
        if nb == 0 {
            break;
        }
        let len = k.mem().get(nb, NB::DataLength)?;
        if n == 0 {
            bytes = crate::ndis::net_buffer::read_data(k, nb, len.min(RECORDED_BYTES))?;
        }
        length += len;
        nb = k.mem().get(nb, NB::Next)?;
    }
    k.ext_mut().wfp.injected.insert(i.nbl, (i.handle, i.context));
    record(k, WfpChange::Injected { kind: i.kind, handle: i.handle, length, bytes: hex_bytes(&bytes) });
    k.mem_mut().set(i.nbl, NBL::Status, 0)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, i.completion, &[i.completion_context, i.nbl, 0], conv)?;
    Ok(NtStatus(0))
}

/// NTSTATUS FwpsInjectNetworkSendAsync0(HANDLE injectionHandle, HANDLE injectionContext,
/// UINT32 flags, COMPARTMENT_ID compartmentId, NET_BUFFER_LIST *netBufferList,
/// FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext)
#[allow(clippy::too_many_arguments)]
pub fn FwpsInjectNetworkSendAsync0(
    k: &mut Kx,
    handle: Ptr,
    context: Ptr,
    _flags: u32,
    _compartment: u32,
    nbl: Ptr,
    completion: Ptr,
    completion_context: Ptr,
) -> KResult<NtStatus> {
    let needs = FWPS_INJECTION_TYPE_NETWORK;
    let (handle, context, nbl) = (handle.0, context.0, nbl.0);
    let (completion, completion_context) = (completion.0, completion_context.0);
    inject(k, Injection { kind: "network_send", needs, handle, context, nbl, completion, completion_context })
}

/// NTSTATUS FwpsInjectNetworkReceiveAsync0(HANDLE injectionHandle, HANDLE injectionContext,
/// UINT32 flags, COMPARTMENT_ID compartmentId, IF_INDEX interfaceIndex,
/// IF_INDEX subInterfaceIndex, NET_BUFFER_LIST *netBufferList,
/// FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext)
#[allow(clippy::too_many_arguments)]
pub fn FwpsInjectNetworkReceiveAsync0(
    k: &mut Kx,
    handle: Ptr,
    context: Ptr,
    _flags: u32,
    _compartment: u32,
    _interface: u32,
    _sub_interface: u32,
    nbl: Ptr,
    completion: Ptr,
    completion_context: Ptr,
) -> KResult<NtStatus> {
    let needs = FWPS_INJECTION_TYPE_NETWORK;
    let (handle, context, nbl) = (handle.0, context.0, nbl.0);
    let (completion, completion_context) = (completion.0, completion_context.0);
    inject(k, Injection { kind: "network_receive", needs, handle, context, nbl, completion, completion_context })
}

/// NTSTATUS FwpsInjectForwardAsync0(HANDLE injectionHandle, HANDLE injectionContext,
/// UINT32 flags, ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId,
/// IF_INDEX interfaceIndex, NET_BUFFER_LIST *netBufferList,
/// FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext)
#[allow(clippy::too_many_arguments)]
pub fn FwpsInjectForwardAsync0(
    k: &mut Kx,
    handle: Ptr,
    context: Ptr,
    _flags: u32,
    family: u16,
    _compartment: u32,
    _interface: u32,
    nbl: Ptr,
    completion: Ptr,
    completion_context: Ptr,
) -> KResult<NtStatus> {
    if !ADDRESS_FAMILIES[1..].contains(&family) {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    let needs = FWPS_INJECTION_TYPE_FORWARD;
    let (handle, context, nbl) = (handle.0, context.0, nbl.0);
    let (completion, completion_context) = (completion.0, completion_context.0);
    inject(k, Injection { kind: "forward", needs, handle, context, nbl, completion, completion_context })
}

/// FWPS_LAYER_STREAM_V4 and FWPS_LAYER_STREAM_V6: where stream data is injected.
const STREAM_LAYERS: [u16; 2] = [20, 22];

/// NTSTATUS FwpsStreamInjectAsync0(HANDLE injectionHandle, HANDLE injectionContext,
/// UINT32 flags, UINT64 flowId, UINT32 calloutId, UINT16 layerId, UINT32 streamFlags,
/// NET_BUFFER_LIST *netBufferList, SIZE_T dataLength, FWPS_INJECT_COMPLETE0 completionFn,
/// HANDLE completionContext): stream data (a chain of lists) into the flow, through a
/// stream injection handle, at a stream layer, by a registered callout. The data is
/// recorded and the flow takes it at once: the completion function runs.
#[allow(clippy::too_many_arguments)]
pub fn FwpsStreamInjectAsync0(
    k: &mut Kx,
    handle: Ptr,
    context: Ptr,
    _flags: u32,
    _flow: u64,
    callout: u32,
    layer: u16,
    _stream_flags: u32,
    nbl: Ptr,
    _length: SizeT,
    completion: Ptr,
    completion_context: Ptr,
) -> KResult<NtStatus> {
    if !STREAM_LAYERS.contains(&layer) || !k.ext().wfp.registered.contains_key(&callout) {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    let needs = FWPS_INJECTION_TYPE_STREAM;
    let (handle, context, nbl) = (handle.0, context.0, nbl.0);
    let (completion, completion_context) = (completion.0, completion_context.0);
    inject(k, Injection { kind: "stream", needs, handle, context, nbl, completion, completion_context })
}
