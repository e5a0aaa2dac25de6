//! NDIS 4.0/5.x protocol drivers (NdisRegisterProtocol, the legacy interface packet-capture
//! drivers still use): registration with NDIS_PROTOCOL_CHARACTERISTICS, NDIS calling the
//! protocol's BindAdapterHandler for the adapter as soon as it registers, NdisOpenAdapter /
//! NdisCloseAdapter against the one emulated adapter (another name is
//! NDIS_STATUS_ADAPTER_NOT_FOUND, as Windows answers when no adapter has it), NdisRequest
//! answered by the adapter (oid.rs), and deregistration unbinding every open binding
//! (UnbindAdapterHandler) first. Everything completes at once: no handler of the protocol's
//! *Complete family is called. These bindings carry no packets: NDIS 5 sends
//! (NdisSend/NdisSendPackets) and receive indications to NDIS 5 protocols are not modelled
//! (not exported), and they are kept apart from the NDIS 6 bindings so that no NDIS 6
//! indication reaches an NDIS 5 handler.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::adapter;
use super::events::{record, Callbacks, NdisChange};
use super::filter::write_ustr;
use super::st;
use crate::kernel::{KResult, Kx};
use crate::types::{NtStatus, PAnsiString, PUnicodeString, Ptr};

const ADAPTER_NOT_FOUND: NtStatus = NtStatus(0xC001_0006);
const UNSUPPORTED_MEDIA: NtStatus = NtStatus(0xC001_001E);
const MAX_MEDIA: u64 = 64;

/// An NDIS 5 protocol registered and not deregistered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyProtocol {
    pub name: String,
    pub bind: u64,
    pub unbind: u64,
}

/// An open NDIS 5 binding (NdisBindingHandle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyBinding {
    pub protocol: u64,
    /// ProtocolBindingContext.
    pub context: u64,
}

/// NDIS_PROTOCOL_CHARACTERISTICS: the ten NDIS 3.0 handlers after the version bytes and
/// flags, the name, the five NDIS 4.0 handlers, then NDIS 5's four reserved and four CoXxx.
struct Layout {
    ps: u64,
}

impl Layout {
    const V3_HANDLERS: [&'static str; 10] = [
        "OpenAdapterCompleteHandler",
        "CloseAdapterCompleteHandler",
        "SendCompleteHandler",
        "TransferDataCompleteHandler",
        "ResetCompleteHandler",
        "RequestCompleteHandler",
        "ReceiveHandler",
        "ReceiveCompleteHandler",
        "StatusHandler",
        "StatusCompleteHandler",
    ];
    const V4_HANDLERS: [&'static str; 5] =
        ["ReceivePacketHandler", "BindAdapterHandler", "UnbindAdapterHandler", "PnPEventHandler", "UnloadHandler"];
    fn handler(&self, i: u64) -> u64 {
        8 + i * self.ps
    }
    fn name(&self) -> u64 {
        8 + 10 * self.ps
    }
    fn v4_handler(&self, i: u64) -> u64 {
        self.name() + 2 * self.ps + i * self.ps
    }
    /// The structure's size for an NDIS major version.
    fn size(&self, major: u64) -> u64 {
        match major {
            3 => self.name() + 2 * self.ps,
            4 => self.v4_handler(5),
            _ => self.v4_handler(13),
        }
    }
}

fn call(k: &mut Kx, target: u64, args: &[u64]) -> KResult<u64> {
    let conv = CallConv::Stdcall.for_arch(k.arch());
    Ok(crate::ke::scheduler::call(k, target, args, conv)?)
}

fn binding_event(k: &mut Kx, operation: &'static str, protocol: u64, binding: u64, status: u32) {
    let adapter = adapter::device_name();
    record(k, NdisChange::Binding { operation, protocol, binding, adapter, status });
}

/// VOID NdisRegisterProtocol(PNDIS_STATUS Status, PNDIS_HANDLE NdisProtocolHandle,
/// PNDIS_PROTOCOL_CHARACTERISTICS ProtocolCharacteristics, UINT CharacteristicsLength):
/// NDIS_STATUS_BAD_VERSION for a version other than 4.0, 5.0 or 5.1;
/// NDIS_STATUS_BAD_CHARACTERISTICS for a length short of that version's structure or a
/// missing NDIS 3.0 handler (all ten are required). A protocol with a BindAdapterHandler is
/// then bound to the adapter.
pub fn NdisRegisterProtocol(k: &mut Kx, status: Ptr, out: Ptr, chars: Ptr, length: u32) -> KResult<()> {
    let st = register(k, out, chars, length)?;
    k.mem_mut().write_u32(status.0, st.0)?;
    if let Some(protocol) = (st == st::SUCCESS).then(|| k.mem().read_ptr(out.0)).transpose()? {
        bind(k, protocol)?;
    }
    Ok(())
}

fn register(k: &mut Kx, out: Ptr, chars: Ptr, length: u32) -> KResult<NtStatus> {
    let l = Layout { ps: k.arch().ptr_size() };
    let at = chars.0;
    let mem = k.mem();
    let (major, minor) = (mem.read_u8(at)? as u64, mem.read_u8(at + 1)? as u64);
    if !matches!((major, minor), (4, 0) | (5, 0) | (5, 1)) {
        return Ok(st::BAD_VERSION);
    }
    if (length as u64) < l.size(major) {
        return Ok(st::BAD_CHARACTERISTICS);
    }
    let mut callbacks: Callbacks = Vec::new();
    for (i, name) in Layout::V3_HANDLERS.iter().enumerate() {
        let v = mem.read_ptr(at + l.handler(i as u64))?;
        if v == 0 {
            return Ok(st::BAD_CHARACTERISTICS);
        }
        callbacks.push((name, v));
    }
    for (i, name) in Layout::V4_HANDLERS.iter().enumerate() {
        let v = mem.read_ptr(at + l.v4_handler(i as u64))?;
        if v != 0 {
            callbacks.push((name, v));
        }
    }
    let bind = mem.read_ptr(at + l.v4_handler(1))?;
    let unbind = mem.read_ptr(at + l.v4_handler(2))?;
    let name = crate::rtl::unicode::read_unicode_string(k, at + l.name())?;
    let handle = crate::ex::pool::kernel_alloc(k, 16, b"NdP5")?;
    k.mem_mut().write_ptr(out.0, handle)?;
    k.ext_mut().ndis.legacy_protocols.insert(handle, LegacyProtocol { name: name.clone(), bind, unbind });
    let ndis_version = format!("{major}.{minor}");
    record(k, NdisChange::ProtocolRegistered { handle, name, ndis_version, callbacks });
    Ok(st::SUCCESS)
}

/// BindAdapterHandler(PNDIS_STATUS Status, NDIS_HANDLE BindContext, PNDIS_STRING DeviceName,
/// PVOID SystemSpecific1, PVOID SystemSpecific2): the adapter's name, SystemSpecific1 the
/// protocol's section name (as NDIS 6's ProtocolSection), SystemSpecific2 NULL.
fn bind(k: &mut Kx, protocol: u64) -> KResult<()> {
    let Some(p) = k.ext().ndis.legacy_protocols.get(&protocol).cloned() else { return Ok(()) };
    if p.bind == 0 {
        return Ok(());
    }
    let block = crate::ex::pool::kernel_alloc(k, 0x200, b"NdB5")?;
    crate::ex::pool::zero(k, block, 0x200)?;
    let (status_at, context) = (block, block + 8);
    let section = block + 0x20;
    let device = write_ustr(k, section, &p.name)?;
    write_ustr(k, device, &adapter::device_name())?;
    k.mem_mut().write_u32(status_at, st::FAILURE.0)?;
    k.ext_mut().ndis.bind_contexts.insert(context, protocol);
    call(k, p.bind, &[status_at, context, device, section, 0])?;
    k.ext_mut().ndis.bind_contexts.remove(&context);
    let status = k.mem().read_u32(status_at)?;
    binding_event(k, "bind", protocol, 0, status);
    crate::ex::pool::free(k, block, None, 0)
}

/// VOID NdisOpenAdapter(PNDIS_STATUS Status, PNDIS_STATUS OpenErrorStatus, PNDIS_HANDLE
/// NdisBindingHandle, PUINT SelectedMediumIndex, PNDIS_MEDIUM MediumArray, UINT
/// MediumArraySize, NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
/// PNDIS_STRING AdapterName, UINT OpenOptions, PSTRING AddressingInformation): the adapter
/// must be the one named (NDIS_STATUS_ADAPTER_NOT_FOUND) and 802.3 among the media
/// (NDIS_STATUS_UNSUPPORTED_MEDIA); completes at once.
#[allow(clippy::too_many_arguments)]
pub fn NdisOpenAdapter(
    k: &mut Kx,
    status: Ptr,
    _open_error: Ptr,
    out: Ptr,
    selected: Ptr,
    media: Ptr,
    media_count: u32,
    protocol: Ptr,
    binding_context: Ptr,
    name: PUnicodeString,
    _options: u32,
    _addressing: PAnsiString,
) -> KResult<()> {
    let st = open(k, out, selected, media, media_count, protocol, binding_context, name)?;
    Ok(k.mem_mut().write_u32(status.0, st.0)?)
}

#[allow(clippy::too_many_arguments)]
fn open(
    k: &mut Kx,
    out: Ptr,
    selected: Ptr,
    media: Ptr,
    media_count: u32,
    protocol: Ptr,
    binding_context: Ptr,
    name: PUnicodeString,
) -> KResult<NtStatus> {
    if !k.ext().ndis.legacy_protocols.contains_key(&protocol.0) {
        return Ok(st::INVALID_PARAMETER);
    }
    let name = crate::rtl::unicode::read_unicode_string(k, name.0)?;
    if !name.eq_ignore_ascii_case(&adapter::device_name()) {
        binding_event(k, "open", protocol.0, 0, ADAPTER_NOT_FOUND.0);
        return Ok(ADAPTER_NOT_FOUND);
    }
    let mut index = None;
    for i in 0..(media_count as u64).min(MAX_MEDIA) {
        if k.mem().read_u32(media.0 + 4 * i)? == adapter::MEDIUM_802_3 {
            index = Some(i);
            break;
        }
    }
    let Some(index) = index else {
        binding_event(k, "open", protocol.0, 0, UNSUPPORTED_MEDIA.0);
        return Ok(UNSUPPORTED_MEDIA);
    };
    k.mem_mut().write_u32(selected.0, index as u32)?;
    let handle = crate::ex::pool::kernel_alloc(k, 16, b"NdO5")?;
    k.mem_mut().write_ptr(out.0, handle)?;
    let b = LegacyBinding { protocol: protocol.0, context: binding_context.0 };
    k.ext_mut().ndis.legacy_bindings.insert(handle, b);
    binding_event(k, "open", protocol.0, handle, 0);
    Ok(st::SUCCESS)
}

/// VOID NdisCloseAdapter(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle): completes at
/// once. A handle that is no open binding (Windows would dereference it) is
/// NDIS_STATUS_FAILURE and changes nothing.
pub fn NdisCloseAdapter(k: &mut Kx, status: Ptr, binding: Ptr) -> KResult<()> {
    let st = match k.ext_mut().ndis.legacy_bindings.remove(&binding.0) {
        Some(b) => {
            binding_event(k, "close", b.protocol, binding.0, 0);
            crate::ex::pool::free(k, binding.0, None, 0)?;
            st::SUCCESS
        }
        None => st::FAILURE,
    };
    Ok(k.mem_mut().write_u32(status.0, st.0)?)
}

/// VOID NdisRequest(PNDIS_STATUS Status, NDIS_HANDLE NdisBindingHandle, PNDIS_REQUEST
/// NdisRequest): the adapter answers the query or set (NDIS_REQUEST: MacReserved, then
/// RequestType and the DATA union: Oid, InformationBuffer, InformationBufferLength,
/// BytesWritten/BytesRead, BytesNeeded); completes at once.
pub fn NdisRequest(k: &mut Kx, status: Ptr, binding: Ptr, request: Ptr) -> KResult<()> {
    let st = if k.ext().ndis.legacy_bindings.contains_key(&binding.0) {
        let ps = k.arch().ptr_size();
        let at = request.0 + 4 * ps;
        let data = at + ps; // the union is pointer-aligned after the 4-byte RequestType
        let mem = k.mem();
        let kind = mem.read_u32(at)? as u64;
        let oid = mem.read_u32(data)?;
        let buffer = mem.read_ptr(data + ps)?;
        let room = mem.read_u32(data + 2 * ps)?;
        match super::oid::answer_oid(k, kind, oid, buffer, room, binding.0)? {
            None => st::INVALID_PARAMETER,
            Some((st, written, needed)) => {
                if let Some(w) = written {
                    k.mem_mut().write_u32(data + 2 * ps + 4, w)?;
                }
                if let Some(n) = needed {
                    k.mem_mut().write_u32(data + 2 * ps + 8, n)?;
                }
                st
            }
        }
    } else {
        st::INVALID_PARAMETER
    };
    Ok(k.mem_mut().write_u32(status.0, st.0)?)
}

/// VOID NdisDeregisterProtocol(PNDIS_STATUS Status, NDIS_HANDLE NdisProtocolHandle): each
/// open binding is unbound first (UnbindAdapterHandler(Status, ProtocolBindingContext,
/// UnbindContext), in which the protocol closes it; one it leaves open is closed after);
/// a handle that is no registered protocol is NDIS_STATUS_FAILURE.
pub fn NdisDeregisterProtocol(k: &mut Kx, status: Ptr, protocol: Ptr) -> KResult<()> {
    let Some(p) = k.ext().ndis.legacy_protocols.get(&protocol.0).cloned() else {
        return k.mem_mut().write_u32(status.0, st::FAILURE.0).map_err(Into::into);
    };
    let open: Vec<(u64, LegacyBinding)> = k
        .ext()
        .ndis
        .legacy_bindings
        .iter()
        .filter(|(_, b)| b.protocol == protocol.0)
        .map(|(h, b)| (*h, b.clone()))
        .collect();
    for (handle, b) in open {
        let mut unbind_status = st::SUCCESS.0;
        if p.unbind != 0 {
            let block = crate::ex::pool::kernel_alloc(k, 16, b"NdU5")?;
            call(k, p.unbind, &[block, b.context, block + 8])?;
            unbind_status = k.mem().read_u32(block)?;
            crate::ex::pool::free(k, block, None, 0)?;
        }
        binding_event(k, "unbind", protocol.0, handle, unbind_status);
        if k.ext_mut().ndis.legacy_bindings.remove(&handle).is_some() {
            crate::ex::pool::free(k, handle, None, 0)?;
        }
    }
    k.ext_mut().ndis.legacy_protocols.remove(&protocol.0);
    record(k, NdisChange::ProtocolDeregistered { handle: protocol.0 });
    crate::ex::pool::free(k, protocol.0, None, 0)?;
    k.mem_mut().write_u32(status.0, st::SUCCESS.0)?;
    Ok(())
}
