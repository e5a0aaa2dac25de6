//! NDIS 6 protocol drivers (NdisRegisterProtocolDriver): NDIS binds each to the adapter as
//! soon as it registers (ProtocolBindAdapterEx with the adapter's bind parameters; the
//! protocol opens it with NdisOpenAdapterEx) and unbinds it when it deregisters
//! (ProtocolUnbindAdapterEx; the protocol closes with NdisCloseAdapterEx). Over an open
//! binding: sends (NdisSendNetBufferLists) go down through the filter modules to the wire and
//! complete back (ProtocolSendNetBufferListsComplete, by the lists' SourceHandle), received
//! frames come up (ProtocolReceiveNetBufferLists) and go back down
//! (NdisReturnNetBufferLists), OID requests go down (NdisOidRequest), status and PnP
//! indications come up.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::adapter;
use super::events::{record, Callbacks, NdisChange};
use super::filter::{self, write_ustr};
use super::st;
use crate::kernel::{KResult, Kx};
use crate::layout::{
    FieldAccess, NDIS_BIND_PARAMETERS as BP, NDIS_OPEN_PARAMETERS as OP, NDIS_PROTOCOL_DRIVER_CHARACTERISTICS as C,
    NET_BUFFER_LIST as NBL,
};
use crate::types::{NtStatus, PUnicodeString, Ptr};

const TYPE_PROTOCOL_DRIVER_CHARACTERISTICS: u64 = 0x95;
const TYPE_BIND_PARAMETERS: u64 = 0x86;
const TYPE_OPEN_PARAMETERS: u64 = 0x87;
/// NDIS_STATUS_ADAPTER_NOT_FOUND, NDIS_STATUS_UNSUPPORTED_MEDIA.
const ADAPTER_NOT_FOUND: NtStatus = NtStatus(0xC001_0006);
const UNSUPPORTED_MEDIA: NtStatus = NtStatus(0xC001_001E);
/// How many media a protocol may offer NdisOpenAdapterEx.
const MAX_MEDIA: u64 = 64;

/// A protocol driver registered and not deregistered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolDriver {
    pub context: u64,
    pub name: String,
    pub handlers: ProtocolHandlers,
}

/// The characteristics' handlers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProtocolHandlers {
    pub bind: u64,
    pub unbind: u64,
    pub net_pnp: u64,
    pub oid_complete: u64,
    pub status: u64,
    pub receive: u64,
    pub send_complete: u64,
}

/// An open binding (NdisBindingHandle) of a protocol to the adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub protocol: u64,
    /// ProtocolBindingContext.
    pub context: u64,
}

fn conv(k: &Kx) -> CallConv {
    CallConv::Stdcall.for_arch(k.arch())
}

fn call(k: &mut Kx, target: u64, args: &[u64]) -> KResult<u64> {
    let conv = conv(k);
    Ok(crate::ke::scheduler::call(k, target, args, conv)?)
}

fn binding_event(k: &mut Kx, operation: &'static str, protocol: u64, binding: u64, status: u32) {
    let adapter = adapter::device_name();
    record(k, NdisChange::Binding { operation, protocol, binding, adapter, status });
}

/// NDIS_STATUS NdisRegisterProtocolDriver(NDIS_HANDLE ProtocolDriverContext,
/// PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolCharacteristics, PNDIS_HANDLE
/// NdisProtocolHandle): checks the characteristics (NDIS_STATUS_BAD_CHARACTERISTICS for a
/// wrong header or a missing required handler, NDIS_STATUS_BAD_VERSION for a version that is
/// not NDIS 6.x), records the protocol and binds it to the adapter.
pub fn NdisRegisterProtocolDriver(k: &mut Kx, context: Ptr, chars: Ptr, out: Ptr) -> KResult<NtStatus> {
    let at = chars.0;
    let arch = k.arch();
    let mem = k.mem();
    let revision_1 = C::SendNetBufferListsCompleteHandler.offset(arch) + arch.ptr_size();
    if mem.get(at, C::HeaderType)? != TYPE_PROTOCOL_DRIVER_CHARACTERISTICS
        || mem.get(at, C::HeaderRevision)? < 1
        || mem.get(at, C::HeaderSize)? < revision_1
    {
        return Ok(st::BAD_CHARACTERISTICS);
    }
    let (major, minor) = (mem.get(at, C::MajorNdisVersion)?, mem.get(at, C::MinorNdisVersion)?);
    if !filter::known_version(major, minor) {
        return Ok(st::BAD_VERSION);
    }
    let h = ProtocolHandlers {
        bind: mem.get(at, C::BindAdapterHandlerEx)?,
        unbind: mem.get(at, C::UnbindAdapterHandlerEx)?,
        net_pnp: mem.get(at, C::NetPnPEventHandler)?,
        oid_complete: mem.get(at, C::OidRequestCompleteHandler)?,
        status: mem.get(at, C::StatusHandlerEx)?,
        receive: mem.get(at, C::ReceiveNetBufferListsHandler)?,
        send_complete: mem.get(at, C::SendNetBufferListsCompleteHandler)?,
    };
    let required = [
        h.bind,
        h.unbind,
        mem.get(at, C::OpenAdapterCompleteHandlerEx)?,
        mem.get(at, C::CloseAdapterCompleteHandlerEx)?,
        h.net_pnp,
        h.oid_complete,
        h.status,
        h.receive,
        h.send_complete,
    ];
    if required.contains(&0) {
        return Ok(st::BAD_CHARACTERISTICS);
    }
    let mut callbacks: Callbacks = Vec::new();
    for f in [
        C::SetOptionsHandler,
        C::BindAdapterHandlerEx,
        C::UnbindAdapterHandlerEx,
        C::OpenAdapterCompleteHandlerEx,
        C::CloseAdapterCompleteHandlerEx,
        C::NetPnPEventHandler,
        C::UninstallHandler,
        C::OidRequestCompleteHandler,
        C::StatusHandlerEx,
        C::ReceiveNetBufferListsHandler,
        C::SendNetBufferListsCompleteHandler,
    ] {
        let v = mem.get(at, f)?;
        if v != 0 {
            callbacks.push((f.name, v));
        }
    }
    let name = crate::rtl::unicode::read_unicode_string(k, C::Name.at(arch, at))?;
    let handle = crate::ex::pool::kernel_alloc(k, 16, b"NdPD")?;
    k.mem_mut().write_ptr(out.0, handle)?;
    let p = ProtocolDriver { context: context.0, name: name.clone(), handlers: h };
    k.ext_mut().ndis.protocols.insert(handle, p);
    let ndis_version = format!("{major}.{minor}");
    record(k, NdisChange::ProtocolRegistered { handle, name, ndis_version, callbacks });
    bind(k, handle)?;
    Ok(st::SUCCESS)
}

/// The bind parameters (revision 2) and the names they point to, in one kernel block.
fn bind_parameters(k: &mut Kx, protocol_name: &str) -> KResult<u64> {
    let arch = k.arch();
    let size = BP::STRUCT.size(arch);
    let block = crate::ex::pool::kernel_alloc(k, 0x300, b"NdBP")?;
    crate::ex::pool::zero(k, block, 0x300)?;
    let section = block + ((size + 7) & !7);
    let name = write_ustr(k, section, protocol_name)?;
    write_ustr(k, name, &adapter::device_name())?;
    let mem = k.mem_mut();
    mem.set(block, BP::HeaderType, TYPE_BIND_PARAMETERS)?;
    mem.set(block, BP::HeaderRevision, 2)?;
    mem.set(block, BP::HeaderSize, size)?;
    mem.set(block, BP::ProtocolSection, section)?;
    mem.set(block, BP::AdapterName, name)?;
    mem.set(block, BP::BoundAdapterName, name)?;
    mem.set(block, BP::MediaType, adapter::MEDIUM_802_3 as u64)?;
    mem.set(block, BP::MtuSize, adapter::MTU as u64)?;
    for f in [BP::MaxXmitLinkSpeed, BP::XmitLinkSpeed, BP::MaxRcvLinkSpeed, BP::RcvLinkSpeed] {
        mem.set(block, f, adapter::LINK_SPEED)?;
    }
    mem.set(block, BP::MediaConnectState, adapter::CONNECTED as u64)?;
    mem.set(block, BP::MediaDuplexState, adapter::DUPLEX_FULL as u64)?;
    mem.set(block, BP::LookaheadSize, adapter::MAX_TOTAL_SIZE as u64)?;
    mem.set(block, BP::SupportedPacketFilters, 0x2F)?;
    mem.set(block, BP::MaxMulticastListSize, adapter::MULTICAST_LIST_SIZE as u64)?;
    mem.set(block, BP::MacAddressLength, 6)?;
    mem.write(BP::CurrentMacAddress.at(arch, block), &adapter::MAC)?;
    mem.set(block, BP::PhysicalMediumType, adapter::PHYSICAL_MEDIUM_802_3 as u64)?;
    mem.set(block, BP::BoundIfNetluid, adapter::NET_LUID)?;
    mem.set(block, BP::BoundIfIndex, adapter::IF_INDEX as u64)?;
    mem.set(block, BP::LowestIfNetluid, adapter::NET_LUID)?;
    mem.set(block, BP::LowestIfIndex, adapter::IF_INDEX as u64)?;
    // NET_IF_ACCESS_BROADCAST, NET_IF_DIRECTION_SENDRECEIVE, NET_IF_CONNECTION_DEDICATED.
    mem.set(block, BP::AccessType, 2)?;
    mem.set(block, BP::DirectionType, 0)?;
    mem.set(block, BP::ConnectionType, 1)?;
    mem.set(block, BP::IfType, 6)?;
    mem.set(block, BP::IfConnectorPresent, 1)?;
    Ok(block)
}

/// ProtocolBindAdapterEx(ProtocolDriverContext, BindContext, BindParameters).
fn bind(k: &mut Kx, protocol: u64) -> KResult<()> {
    let Some(p) = k.ext().ndis.protocols.get(&protocol).cloned() else { return Ok(()) };
    let context = crate::ex::pool::kernel_alloc(k, 16, b"NdBC")?;
    let params = bind_parameters(k, &p.name)?;
    k.ext_mut().ndis.bind_contexts.insert(context, protocol);
    let status = call(k, p.handlers.bind, &[p.context, context, params])? as u32;
    k.ext_mut().ndis.bind_contexts.remove(&context);
    binding_event(k, "bind", protocol, 0, status);
    crate::ex::pool::free(k, params, None, 0)?;
    crate::ex::pool::free(k, context, None, 0)
}

/// NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE
/// ProtocolBindingContext, PNDIS_OPEN_PARAMETERS OpenParameters, NDIS_HANDLE BindContext,
/// PNDIS_HANDLE NdisBindingHandle): from the protocol's ProtocolBindAdapterEx; the adapter
/// must be the one named (NDIS_STATUS_ADAPTER_NOT_FOUND) and 802.3 among the media offered
/// (NDIS_STATUS_UNSUPPORTED_MEDIA, else its index to SelectedMediumIndex). Completes at once.
pub fn NdisOpenAdapterEx(
    k: &mut Kx,
    protocol: Ptr,
    binding_context: Ptr,
    params: Ptr,
    bind_context: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    if k.ext().ndis.bind_contexts.get(&bind_context.0) != Some(&protocol.0) {
        return Ok(st::INVALID_PARAMETER);
    }
    let at = params.0;
    if k.mem().get(at, OP::HeaderType)? != TYPE_OPEN_PARAMETERS {
        return Ok(st::INVALID_PARAMETER);
    }
    let name_at = k.mem().get(at, OP::AdapterName)?;
    let name = crate::rtl::unicode::read_unicode_string(k, name_at)?;
    if !name.eq_ignore_ascii_case(&adapter::device_name()) {
        binding_event(k, "open", protocol.0, 0, ADAPTER_NOT_FOUND.0);
        return Ok(ADAPTER_NOT_FOUND);
    }
    let media = k.mem().get(at, OP::MediumArray)?;
    let count = k.mem().get(at, OP::MediumArraySize)?.min(MAX_MEDIA);
    let mut selected = None;
    for i in 0..count {
        if k.mem().read_u32(media + 4 * i)? == adapter::MEDIUM_802_3 {
            selected = Some(i);
            break;
        }
    }
    let Some(index) = selected else {
        binding_event(k, "open", protocol.0, 0, UNSUPPORTED_MEDIA.0);
        return Ok(UNSUPPORTED_MEDIA);
    };
    let index_at = k.mem().get(at, OP::SelectedMediumIndex)?;
    k.mem_mut().write_u32(index_at, index as u32)?;
    let handle = crate::ex::pool::kernel_alloc(k, 16, b"NdOB")?;
    k.mem_mut().write_ptr(out.0, handle)?;
    k.ext_mut().ndis.bindings.insert(handle, Binding { protocol: protocol.0, context: binding_context.0 });
    binding_event(k, "open", protocol.0, handle, 0);
    Ok(st::SUCCESS)
}

/// NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle): completes at once.
pub fn NdisCloseAdapterEx(k: &mut Kx, binding: Ptr) -> KResult<NtStatus> {
    let Some(b) = k.ext_mut().ndis.bindings.remove(&binding.0) else { return Ok(st::INVALID_PARAMETER) };
    binding_event(k, "close", b.protocol, binding.0, 0);
    crate::ex::pool::free(k, binding.0, None, 0)?;
    Ok(st::SUCCESS)
}

/// VOID NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle): unbinds each open
/// binding (ProtocolUnbindAdapterEx, which closes it), then forgets the protocol.
pub fn NdisDeregisterProtocolDriver(k: &mut Kx, protocol: Ptr) -> KResult<()> {
    let Some(p) = k.ext().ndis.protocols.get(&protocol.0).cloned() else { return Ok(()) };
    let open: Vec<(u64, Binding)> =
        k.ext().ndis.bindings.iter().filter(|(_, b)| b.protocol == protocol.0).map(|(h, b)| (*h, b.clone())).collect();
    for (handle, b) in open {
        let unbind_context = crate::ex::pool::kernel_alloc(k, 16, b"NdUC")?;
        let status = call(k, p.handlers.unbind, &[unbind_context, b.context])? as u32;
        crate::ex::pool::free(k, unbind_context, None, 0)?;
        binding_event(k, "unbind", protocol.0, handle, status);
    }
    k.ext_mut().ndis.protocols.remove(&protocol.0);
    record(k, NdisChange::ProtocolDeregistered { handle: protocol.0 });
    crate::ex::pool::free(k, protocol.0, None, 0)
}

/// The protocol behind an open binding, with its handlers.
pub(crate) fn binding(k: &Kx, handle: u64) -> Option<(Binding, ProtocolHandlers)> {
    let b = k.ext().ndis.bindings.get(&handle)?.clone();
    let h = k.ext().ndis.protocols.get(&b.protocol)?.handlers.clone();
    Some((b, h))
}

/// The open bindings, in the order they were opened.
pub(crate) fn open_bindings(k: &Kx) -> Vec<u64> {
    k.ext().ndis.bindings.keys().copied().collect()
}

/// VOID NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST
/// NetBufferLists, NDIS_PORT_NUMBER PortNumber, ULONG SendFlags): each list's SourceHandle
/// becomes the binding; the lists go down the filter stack to the wire.
pub fn NdisSendNetBufferLists(k: &mut Kx, handle: Ptr, nbl: Ptr, port: u32, flags: u32) -> KResult<()> {
    if !k.ext().ndis.bindings.contains_key(&handle.0) {
        return Ok(());
    }
    for l in filter::chain(k, nbl.0)? {
        k.mem_mut().set(l, NBL::SourceHandle, handle.0)?;
    }
    filter::send_down(k, None, handle.0, nbl.0, port, flags)
}

/// Completes sends back to the binding that made them (the first list's SourceHandle).
pub(crate) fn send_complete(k: &mut Kx, nbl: u64, flags: u32) -> KResult<()> {
    let source = k.mem().get(nbl, NBL::SourceHandle)?;
    if let Some((b, h)) = binding(k, source) {
        call(k, h.send_complete, &[b.context, nbl, flags as u64])?;
    }
    Ok(())
}

/// VOID NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PVOID CancelId): every
/// send completes before NdisSendNetBufferLists returns, so none is pending to cancel.
pub fn NdisCancelSendNetBufferLists(_k: &mut Kx, _handle: Ptr, _cancel_id: Ptr) -> KResult<()> {
    Ok(())
}

/// VOID NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST
/// NetBufferLists, ULONG ReturnFlags): received lists go back down the stack.
pub fn NdisReturnNetBufferLists(k: &mut Kx, _handle: Ptr, nbl: Ptr, flags: u32) -> KResult<()> {
    let top = k.ext().ndis.filter_stack.last().copied();
    filter::return_down(k, top, nbl.0, flags)
}

/// NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest):
/// down through the filter modules with an OID handler, or the adapter answers it.
pub fn NdisOidRequest(k: &mut Kx, handle: Ptr, req: Ptr) -> KResult<NtStatus> {
    if !k.ext().ndis.bindings.contains_key(&handle.0) {
        return Ok(st::INVALID_PARAMETER);
    }
    filter::oid_down(k, None, handle.0, req.0)
}

/// Completes a pended OID request to the binding that made it.
pub(crate) fn oid_complete(k: &mut Kx, binding_handle: u64, req: u64, status: u32) -> KResult<()> {
    if let Some((b, h)) = binding(k, binding_handle) {
        call(k, h.oid_complete, &[b.context, req, status as u64])?;
    }
    Ok(())
}

/// NDIS_STATUS NdisQueryAdapterInstanceName(PNDIS_STRING pAdapterInstanceName, NDIS_HANDLE
/// NdisBindingHandle): the adapter's friendly name in a buffer of the caller's (freed with
/// NdisFreeMemory).
pub fn NdisQueryAdapterInstanceName(k: &mut Kx, name: PUnicodeString, handle: Ptr) -> KResult<NtStatus> {
    if !k.ext().ndis.bindings.contains_key(&handle.0) && !k.ext().ndis.filter_modules.contains_key(&handle.0) {
        return Ok(st::INVALID_PARAMETER);
    }
    let units: Vec<u8> = adapter::INSTANCE_NAME.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect();
    let Some(buffer) = crate::ex::pool::allocate_for_caller(k, 0, units.len() as u64, u32::from_le_bytes(*b"NdIN"))?
    else {
        return Ok(st::RESOURCES);
    };
    k.mem_mut().write(buffer, &units)?;
    let mem = k.mem_mut();
    mem.set(name.0, crate::layout::UNICODE_STRING::Length, units.len() as u64 - 2)?;
    mem.set(name.0, crate::layout::UNICODE_STRING::MaximumLength, units.len() as u64)?;
    mem.set(name.0, crate::layout::UNICODE_STRING::Buffer, buffer)?;
    Ok(st::SUCCESS)
}

/// UCHAR NdisGeneratePartialCancelId(void): the next of the values NDIS hands out for the
/// high byte of cancel identifiers (1, 2, ... wrapping past 255 to 1).
pub fn NdisGeneratePartialCancelId(k: &mut Kx) -> KResult<u8> {
    let n = &mut k.ext_mut().ndis.partial_cancel_id;
    *n = if *n == u8::MAX { 1 } else { *n + 1 };
    Ok(*n)
}
