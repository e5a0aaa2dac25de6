//! NDIS 6 filter drivers (NdisFRegisterFilterDriver): a filter module per adapter, which
//! NDIS attaches (FilterAttach, the module calls NdisFSetAttributes) and restarts
//! (FilterRestart) as soon as the driver registers, and pauses (FilterPause) and detaches
//! (FilterDetach) when it deregisters. Modules stack in the order they attached, the first
//! nearest the adapter.
//!
//! The data path: what a module sends (NdisFSendNetBufferLists) goes down through the
//! modules below it to the wire (the trace) and completes at once back up
//! (FilterSendNetBufferListsComplete); what the wire delivers (`receive_frame`, a scenario
//! step) goes up through the modules' FilterReceiveNetBufferLists and, past the top, to the
//! protocols bound, of which there are none, so NDIS hands it back down at once
//! (FilterReturnNetBufferLists, then the adapter). A module without a handler for a
//! direction is skipped, as NDIS leaves such a module out of that path.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::adapter;
use super::events::{record, record_host, Callbacks, NdisChange};
use super::st;
use crate::events::hex_bytes;
use crate::kernel::{KResult, Kx};
use crate::layout::{
    FieldAccess, NDIS_FILTER_ATTACH_PARAMETERS as AP, NDIS_FILTER_ATTRIBUTES as FA,
    NDIS_FILTER_DRIVER_CHARACTERISTICS as C, NDIS_FILTER_PAUSE_PARAMETERS as PP, NDIS_FILTER_RESTART_PARAMETERS as RP,
    NDIS_STATUS_INDICATION as SI, NET_BUFFER as NB, NET_BUFFER_LIST as NBL,
};
use crate::types::{NtStatus, Ptr};

/// NDIS_OBJECT_TYPE_* of the structures here.
const TYPE_FILTER_DRIVER_CHARACTERISTICS: u64 = 0x8B;
const TYPE_FILTER_ATTRIBUTES: u64 = 0x8D;
const TYPE_STATUS_INDICATION: u64 = 0x98;
const TYPE_FILTER_ATTACH_PARAMETERS: u8 = 0x99;
const TYPE_FILTER_PAUSE_PARAMETERS: u8 = 0x9A;
const TYPE_FILTER_RESTART_PARAMETERS: u8 = 0x9B;
/// NDIS_SEND_FLAGS_DISPATCH_LEVEL / NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL /
/// NDIS_RETURN_FLAGS_DISPATCH_LEVEL share the bit.
const DISPATCH_LEVEL_FLAG: u32 = 0x1;
/// NDIS_RECEIVE_FLAGS_RESOURCES: the indicating driver keeps ownership.
const RECEIVE_FLAGS_RESOURCES: u32 = 0x2;
/// NDIS_PAUSE_NDIS_INTERNAL... NDIS_PAUSE_FILTER_DETACH: why a module is paused.
const PAUSE_FILTER_DETACH: u32 = 0x2;
/// How many lists (and net buffers per list) a walk follows before it stops.
const MAX_LISTS: usize = 4096;
/// How many bytes of a frame the trace keeps.
const RECORDED_BYTES: u64 = 2048;

/// A filter driver registered and not deregistered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterDriver {
    pub driver_object: u64,
    pub context: u64,
    pub unique_name: String,
    pub service: String,
    pub handlers: Handlers,
}

/// The characteristics' handlers (0 where the driver has none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Handlers {
    pub attach: u64,
    pub detach: u64,
    pub restart: u64,
    pub pause: u64,
    pub send: u64,
    pub send_complete: u64,
    pub receive: u64,
    pub return_nbls: u64,
    pub oid_request: u64,
    pub oid_complete: u64,
    pub status: u64,
    pub net_pnp: u64,
}

/// Where a filter module is in NDIS's state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleState {
    Attaching,
    Paused,
    Running,
}

/// A filter module: one filter driver over the adapter. Its handle (NdisFilterHandle) is a
/// kernel block, as is the block of attach parameters and names NDIS gave FilterAttach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterModule {
    pub driver: u64,
    /// What the module gave NdisFSetAttributes (FilterModuleContext).
    pub context: u64,
    pub attributes_set: bool,
    pub state: ModuleState,
    pub parameters: u64,
}

fn conv(k: &Kx) -> CallConv {
    CallConv::Stdcall.for_arch(k.arch())
}

/// Writes a UNICODE_STRING and its text at `at`; returns the address past both.
pub(crate) fn write_ustr(k: &mut Kx, at: u64, s: &str) -> KResult<u64> {
    let units: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let header = if k.arch().ptr_size() == 8 { 16 } else { 8 };
    let text = at + header;
    let mem = k.mem_mut();
    mem.write(at, &(units.len() as u16).to_le_bytes())?;
    mem.write(at + 2, &(units.len() as u16 + 2).to_le_bytes())?;
    mem.write_ptr(at + header / 2, text)?;
    mem.write(text, &units)?;
    mem.write(text + units.len() as u64, &[0, 0])?;
    Ok((text + units.len() as u64 + 2 + 7) & !7)
}

/// The characteristics' size for each revision (1: NDIS 6.0, 2: 6.1, 3: 6.80).
fn revision_size(k: &Kx, revision: u64) -> Option<u64> {
    let ps = k.arch().ptr_size();
    let through = |f: crate::layout::Field| f.offset(k.arch()) + ps;
    match revision {
        1 => Some(through(C::StatusHandler)),
        2 => Some(through(C::CancelDirectOidRequestHandler)),
        3.. => Some(through(C::CancelDirectOidRequestHandler) + 2 * ps),
        _ => None,
    }
}

/// NDIS 6 minor versions a filter may name (6.0, 6.1, 6.20 ... 6.89).
pub(crate) fn known_version(major: u64, minor: u64) -> bool {
    major == 6 && (minor <= 1 || (20..=89).contains(&minor))
}

/// NDIS_STATUS NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE
/// FilterDriverContext, PNDIS_FILTER_DRIVER_CHARACTERISTICS FilterDriverCharacteristics,
/// PNDIS_HANDLE NdisFilterDriverHandle): checks the characteristics as NDIS does
/// (NDIS_STATUS_BAD_CHARACTERISTICS for a wrong header or a missing attach, detach, restart
/// or pause handler, NDIS_STATUS_BAD_VERSION for an NDIS version that is not 6.x), records
/// the driver and its callbacks, then attaches a module of it to the adapter and restarts it.
pub fn NdisFRegisterFilterDriver(
    k: &mut Kx,
    driver_object: Ptr,
    context: Ptr,
    chars: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let at = chars.0;
    let mem = k.mem();
    let (ty, revision, size) =
        (mem.get(at, C::HeaderType)?, mem.get(at, C::HeaderRevision)?, mem.get(at, C::HeaderSize)?);
    let Some(needed) = revision_size(k, revision) else { return Ok(st::BAD_CHARACTERISTICS) };
    if ty != TYPE_FILTER_DRIVER_CHARACTERISTICS || size < needed {
        return Ok(st::BAD_CHARACTERISTICS);
    }
    let mem = k.mem();
    let (major, minor) = (mem.get(at, C::MajorNdisVersion)?, mem.get(at, C::MinorNdisVersion)?);
    if !known_version(major, minor) {
        return Ok(st::BAD_VERSION);
    }
    let h = Handlers {
        attach: mem.get(at, C::AttachHandler)?,
        detach: mem.get(at, C::DetachHandler)?,
        restart: mem.get(at, C::RestartHandler)?,
        pause: mem.get(at, C::PauseHandler)?,
        send: mem.get(at, C::SendNetBufferListsHandler)?,
        send_complete: mem.get(at, C::SendNetBufferListsCompleteHandler)?,
        receive: mem.get(at, C::ReceiveNetBufferListsHandler)?,
        return_nbls: mem.get(at, C::ReturnNetBufferListsHandler)?,
        oid_request: mem.get(at, C::OidRequestHandler)?,
        oid_complete: mem.get(at, C::OidRequestCompleteHandler)?,
        status: mem.get(at, C::StatusHandler)?,
        net_pnp: mem.get(at, C::NetPnPEventHandler)?,
    };
    if h.attach == 0 || h.detach == 0 || h.restart == 0 || h.pause == 0 {
        return Ok(st::BAD_CHARACTERISTICS);
    }
    let arch = k.arch();
    let name = crate::rtl::unicode::read_unicode_string(k, C::FriendlyName.at(arch, at))?;
    let unique_name = crate::rtl::unicode::read_unicode_string(k, C::UniqueName.at(arch, at))?;
    let service = crate::rtl::unicode::read_unicode_string(k, C::ServiceName.at(arch, at))?;
    let mut callbacks: Callbacks = Vec::new();
    let mem = k.mem();
    for f in [
        C::SetOptionsHandler,
        C::SetFilterModuleOptionsHandler,
        C::AttachHandler,
        C::DetachHandler,
        C::RestartHandler,
        C::PauseHandler,
        C::SendNetBufferListsHandler,
        C::SendNetBufferListsCompleteHandler,
        C::CancelSendNetBufferListsHandler,
        C::ReceiveNetBufferListsHandler,
        C::ReturnNetBufferListsHandler,
        C::OidRequestHandler,
        C::OidRequestCompleteHandler,
        C::CancelOidRequestHandler,
        C::DevicePnPEventNotifyHandler,
        C::NetPnPEventHandler,
        C::StatusHandler,
    ] {
        let v = mem.get(at, f)?;
        if v != 0 {
            callbacks.push((f.name, v));
        }
    }
    let handle = crate::ex::pool::kernel_alloc(k, 16, b"NdFD")?;
    k.mem_mut().write_ptr(out.0, handle)?;
    let driver = FilterDriver {
        driver_object: driver_object.0,
        context: context.0,
        unique_name: unique_name.clone(),
        service: service.clone(),
        handlers: h,
    };
    k.ext_mut().ndis.filter_drivers.insert(handle, driver);
    let ndis_version = format!("{major}.{minor}");
    record(k, NdisChange::FilterRegistered { handle, name, unique_name, service, ndis_version, callbacks });
    attach(k, handle)?;
    Ok(st::SUCCESS)
}

/// Builds the attach parameters (revision 3, NDIS 6.20) and the names they point to in
/// one kernel block.
fn attach_parameters(k: &mut Kx, unique_name: &str) -> KResult<u64> {
    let arch = k.arch();
    let size = AP::STRUCT.size(arch);
    let block = crate::ex::pool::kernel_alloc(k, 0x400, b"NdFA")?;
    crate::ex::pool::zero(k, block, 0x400)?;
    let guid_name = block + ((size + 7) & !7);
    let instance = write_ustr(k, guid_name, &format!("{}-{}-0000", adapter::GUID, unique_name))?;
    let base_name = write_ustr(k, instance, adapter::INSTANCE_NAME)?;
    write_ustr(k, base_name, &adapter::device_name())?;
    let mem = k.mem_mut();
    mem.set(block, AP::HeaderType, TYPE_FILTER_ATTACH_PARAMETERS as u64)?;
    mem.set(block, AP::HeaderRevision, 3)?;
    mem.set(block, AP::HeaderSize, size)?;
    mem.set(block, AP::IfIndex, adapter::IF_INDEX as u64)?;
    mem.set(block, AP::NetLuid, adapter::NET_LUID)?;
    mem.set(block, AP::FilterModuleGuidName, guid_name)?;
    mem.set(block, AP::BaseMiniportIfIndex, adapter::IF_INDEX as u64)?;
    mem.set(block, AP::BaseMiniportInstanceName, instance)?;
    mem.set(block, AP::BaseMiniportName, base_name)?;
    mem.set(block, AP::MediaConnectState, adapter::CONNECTED as u64)?;
    mem.set(block, AP::MediaDuplexState, adapter::DUPLEX_FULL as u64)?;
    mem.set(block, AP::XmitLinkSpeed, adapter::LINK_SPEED)?;
    mem.set(block, AP::RcvLinkSpeed, adapter::LINK_SPEED)?;
    mem.set(block, AP::MiniportMediaType, adapter::MEDIUM_802_3 as u64)?;
    mem.set(block, AP::MiniportPhysicalMediaType, adapter::PHYSICAL_MEDIUM_802_3 as u64)?;
    mem.set(block, AP::MacAddressLength, 6)?;
    mem.write(AP::CurrentMacAddress.at(arch, block), &adapter::MAC)?;
    mem.set(block, AP::BaseMiniportNetLuid, adapter::NET_LUID)?;
    mem.set(block, AP::LowerIfIndex, adapter::IF_INDEX as u64)?;
    mem.set(block, AP::LowerIfNetLuid, adapter::NET_LUID)?;
    Ok(block)
}

/// A small parameters block of NDIS's (restart or pause), written by `fill`.
fn parameters(k: &mut Kx, size: u64, fill: impl FnOnce(&mut Kx, u64) -> KResult<()>) -> KResult<u64> {
    let p = crate::ex::pool::kernel_alloc(k, size, b"NdFP")?;
    crate::ex::pool::zero(k, p, size)?;
    fill(k, p)?;
    Ok(p)
}

fn module_event(k: &mut Kx, operation: &'static str, module: u64, status: u64) {
    let adapter = adapter::device_name();
    record(k, NdisChange::Module { operation, module, adapter, status: status as u32 });
}

/// Attaches a module of the driver to the adapter and restarts it.
fn attach(k: &mut Kx, driver: u64) -> KResult<()> {
    let Some(d) = k.ext().ndis.filter_drivers.get(&driver).cloned() else { return Ok(()) };
    let module = crate::ex::pool::kernel_alloc(k, 16, b"NdFM")?;
    let params = attach_parameters(k, &d.unique_name)?;
    let m =
        FilterModule { driver, context: 0, attributes_set: false, state: ModuleState::Attaching, parameters: params };
    k.ext_mut().ndis.filter_modules.insert(module, m);
    k.ext_mut().ndis.filter_stack.push(module);
    let conv = conv(k);
    let status = crate::ke::scheduler::call(k, d.handlers.attach, &[module, d.context, params], conv)? as u32;
    let set = k.ext().ndis.filter_modules.get(&module).is_some_and(|m| m.attributes_set);
    // A module that did not call NdisFSetAttributes has not attached, whatever it returned.
    let status = if status == 0 && !set { st::FAILURE.0 } else { status };
    module_event(k, "attach", module, status as u64);
    if status != 0 {
        forget_module(k, module)?;
        return Ok(());
    }
    set_state(k, module, ModuleState::Paused);
    restart(k, module)
}

fn set_state(k: &mut Kx, module: u64, state: ModuleState) {
    if let Some(m) = k.ext_mut().ndis.filter_modules.get_mut(&module) {
        m.state = state;
    }
}

fn forget_module(k: &mut Kx, module: u64) -> KResult<()> {
    k.ext_mut().ndis.filter_stack.retain(|m| *m != module);
    if let Some(m) = k.ext_mut().ndis.filter_modules.remove(&module) {
        crate::ex::pool::free(k, m.parameters, None, 0)?;
    }
    crate::ex::pool::free(k, module, None, 0)
}

fn handlers_of(k: &Kx, module: u64) -> Option<(FilterModule, Handlers)> {
    let m = k.ext().ndis.filter_modules.get(&module)?.clone();
    let h = k.ext().ndis.filter_drivers.get(&m.driver)?.handlers.clone();
    Some((m, h))
}

/// FilterRestart with restart parameters for the adapter; a module that restarts (or
/// pends its restart) runs.
fn restart(k: &mut Kx, module: u64) -> KResult<()> {
    let Some((m, h)) = handlers_of(k, module) else { return Ok(()) };
    let arch = k.arch();
    let p = parameters(k, RP::STRUCT.size(arch), |k, p| {
        let mem = k.mem_mut();
        mem.set(p, RP::HeaderType, TYPE_FILTER_RESTART_PARAMETERS as u64)?;
        mem.set(p, RP::HeaderRevision, 1)?;
        mem.set(p, RP::HeaderSize, RP::STRUCT.size(arch))?;
        mem.set(p, RP::MiniportMediaType, adapter::MEDIUM_802_3 as u64)?;
        mem.set(p, RP::LowerIfIndex, adapter::IF_INDEX as u64)?;
        mem.set(p, RP::LowerIfNetLuid, adapter::NET_LUID)?;
        Ok(())
    })?;
    let conv = conv(k);
    let status = crate::ke::scheduler::call(k, h.restart, &[m.context, p], conv)? as u32;
    crate::ex::pool::free(k, p, None, 0)?;
    module_event(k, "restart", module, status as u64);
    if status == 0 || NtStatus(status) == st::PENDING {
        set_state(k, module, ModuleState::Running);
    }
    Ok(())
}

/// FilterPause (for the detach that follows) then FilterDetach.
fn detach(k: &mut Kx, module: u64) -> KResult<()> {
    let Some((m, h)) = handlers_of(k, module) else { return Ok(()) };
    let conv = conv(k);
    if m.state == ModuleState::Running {
        let p = parameters(k, PP::STRUCT.size(k.arch()), |k, p| {
            let mem = k.mem_mut();
            mem.set(p, PP::HeaderType, TYPE_FILTER_PAUSE_PARAMETERS as u64)?;
            mem.set(p, PP::HeaderRevision, 1)?;
            mem.set(p, PP::HeaderSize, 0xc)?;
            mem.set(p, PP::PauseReason, PAUSE_FILTER_DETACH as u64)?;
            Ok(())
        })?;
        let status = crate::ke::scheduler::call(k, h.pause, &[m.context, p], conv)?;
        crate::ex::pool::free(k, p, None, 0)?;
        module_event(k, "pause", module, status);
        set_state(k, module, ModuleState::Paused);
    }
    crate::ke::scheduler::call(k, h.detach, &[m.context], conv)?;
    module_event(k, "detach", module, 0);
    forget_module(k, module)
}

/// VOID NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle): pauses and
/// detaches the driver's modules, then forgets it.
pub fn NdisFDeregisterFilterDriver(k: &mut Kx, handle: Ptr) -> KResult<()> {
    if !k.ext().ndis.filter_drivers.contains_key(&handle.0) {
        return Ok(());
    }
    let modules: Vec<u64> =
        k.ext().ndis.filter_modules.iter().filter(|(_, m)| m.driver == handle.0).map(|(h, _)| *h).collect();
    for m in modules.into_iter().rev() {
        detach(k, m)?;
    }
    k.ext_mut().ndis.filter_drivers.remove(&handle.0);
    record(k, NdisChange::FilterDeregistered { handle: handle.0 });
    crate::ex::pool::free(k, handle.0, None, 0)
}

/// NDIS_STATUS NdisFSetAttributes(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE
/// FilterModuleContext, PNDIS_FILTER_ATTRIBUTES FilterAttributes): the module's context,
/// from its FilterAttach only.
pub fn NdisFSetAttributes(k: &mut Kx, handle: Ptr, context: Ptr, attributes: Ptr) -> KResult<NtStatus> {
    let mem = k.mem();
    if mem.get(attributes.0, FA::HeaderType)? != TYPE_FILTER_ATTRIBUTES
        || mem.get(attributes.0, FA::HeaderRevision)? < 1
        || mem.get(attributes.0, FA::HeaderSize)? < FA::STRUCT.size(k.arch())
    {
        return Ok(st::INVALID_PARAMETER);
    }
    match k.ext_mut().ndis.filter_modules.get_mut(&handle.0) {
        Some(m) if m.state == ModuleState::Attaching => {
            m.context = context.0;
            m.attributes_set = true;
            Ok(st::SUCCESS)
        }
        _ => Ok(st::FAILURE),
    }
}

/// The lists of a chain, in order.
pub(crate) fn chain(k: &Kx, mut nbl: u64) -> KResult<Vec<u64>> {
    let mut v = Vec::new();
    while nbl != 0 && v.len() < MAX_LISTS {
        v.push(nbl);
        nbl = k.mem().get(nbl, NBL::Next)?;
    }
    Ok(v)
}

/// The modules in stack order (nearest the adapter first).
fn stack(k: &Kx) -> Vec<u64> {
    k.ext().ndis.filter_stack.clone()
}

/// The modules below `from` (a module; None: above the top one), nearest first.
fn below(k: &Kx, from: Option<u64>) -> Vec<u64> {
    let stack = stack(k);
    match from {
        None => stack.iter().rev().copied().collect(),
        Some(m) => stack.iter().rev().skip_while(|h| **h != m).skip(1).copied().collect(),
    }
}

/// VOID NdisFSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST
/// NetBufferList, NDIS_PORT_NUMBER PortNumber, ULONG SendFlags): each list's frames go on
/// down (through the send handlers of the modules below, which send them on themselves) to
/// the wire; the adapter completes them, and the completion goes back up to the sending
/// module. A module that is not running gets its lists back with NDIS_STATUS_PAUSED.
pub fn NdisFSendNetBufferLists(k: &mut Kx, handle: Ptr, nbl: Ptr, port: u32, flags: u32) -> KResult<()> {
    if !k.ext().ndis.filter_modules.contains_key(&handle.0) {
        return Ok(());
    }
    send_down(k, Some(handle.0), handle.0, nbl.0, port, flags)
}

/// Sends lists from `from` (a module, or None: a protocol binding, `source`) down to the
/// next running module below with a send handler, or to the wire, completing them back up.
pub(crate) fn send_down(k: &mut Kx, from: Option<u64>, source: u64, nbl: u64, port: u32, flags: u32) -> KResult<()> {
    let below = below(k, from);
    let conv = conv(k);
    for lower in below {
        if let Some((lm, lh)) = handlers_of(k, lower) {
            if lm.state == ModuleState::Running && lh.send != 0 {
                crate::ke::scheduler::call(k, lh.send, &[lm.context, nbl, port as u64, flags as u64], conv)?;
                return Ok(());
            }
        }
    }
    let running = match from {
        Some(m) => handlers_of(k, m).is_some_and(|(m, _)| m.state == ModuleState::Running),
        None => true,
    };
    let status = if running { st::SUCCESS } else { st::PAUSED };
    for l in chain(k, nbl)? {
        if status == st::SUCCESS {
            let mut nb = k.mem().get(l, NBL::FirstNetBuffer)?;
            for _ in 0..MAX_LISTS {
                if nb == 0 {
                    break;
                }
                let length = k.mem().get(nb, NB::DataLength)?;
                let bytes = super::net_buffer::read_data(k, nb, length.min(RECORDED_BYTES))?;
                k.ext_mut().ndis.adapter.frames_sent += 1;
                record(k, NdisChange::FrameSent { module: source, length, bytes: hex_bytes(&bytes) });
                nb = k.mem().get(nb, NB::Next)?;
            }
        }
        k.mem_mut().set(l, NBL::Status, status.0 as u64)?;
    }
    match from {
        Some(m) => send_complete(k, m, nbl, flags & DISPATCH_LEVEL_FLAG),
        None => super::protocol::send_complete(k, nbl, flags & DISPATCH_LEVEL_FLAG),
    }
}

/// Hands completed sends back to `module` (or, without a completion handler, to the one
/// above it that has one).
fn send_complete(k: &mut Kx, module: u64, nbl: u64, flags: u32) -> KResult<()> {
    let stack = stack(k);
    let conv = conv(k);
    for upper in stack.iter().skip_while(|h| **h != module).copied().collect::<Vec<_>>() {
        if let Some((m, h)) = handlers_of(k, upper) {
            if h.send_complete != 0 {
                crate::ke::scheduler::call(k, h.send_complete, &[m.context, nbl, flags as u64], conv)?;
                return Ok(());
            }
        }
    }
    super::protocol::send_complete(k, nbl, flags)
}

/// VOID NdisFSendNetBufferListsComplete(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST
/// NetBufferList, ULONG SendCompleteFlags): a module completing sends that came from above
/// it: they go to the next module up that has a completion handler, or past the top to
/// the protocol binding that sent them.
pub fn NdisFSendNetBufferListsComplete(k: &mut Kx, handle: Ptr, nbl: Ptr, flags: u32) -> KResult<()> {
    let stack = stack(k);
    match stack.iter().skip_while(|h| **h != handle.0).nth(1) {
        Some(above) => send_complete(k, *above, nbl.0, flags),
        None => super::protocol::send_complete(k, nbl.0, flags),
    }
}

/// Passes received lists up from `from` (None: the adapter) to the next running module
/// with a receive handler, or past the top to no protocol, which returns them at once.
fn indicate_up(k: &mut Kx, from: Option<u64>, nbl: u64, port: u32, count: u32, flags: u32) -> KResult<()> {
    let stack = stack(k);
    let above: Vec<u64> = match from {
        None => stack.clone(),
        Some(f) => stack.iter().skip_while(|h| **h != f).skip(1).copied().collect(),
    };
    let conv = conv(k);
    for upper in above {
        if let Some((m, h)) = handlers_of(k, upper) {
            if m.state == ModuleState::Running && h.receive != 0 {
                let args = [m.context, nbl, port as u64, count as u64, flags as u64];
                crate::ke::scheduler::call(k, h.receive, &args, conv)?;
                return Ok(());
            }
        }
    }
    let bindings = super::protocol::open_bindings(k);
    if !bindings.is_empty() {
        // One protocol owns what it is given; several each get it with
        // NDIS_RECEIVE_FLAGS_RESOURCES (to copy), and it goes back at once.
        let shared = bindings.len() > 1;
        let given = if shared { flags | RECEIVE_FLAGS_RESOURCES } else { flags };
        for b in bindings {
            if let Some((binding, h)) = super::protocol::binding(k, b) {
                let change = NdisChange::IndicatedToProtocol { binding: b, count };
                if from.is_some() {
                    record(k, change);
                } else {
                    record_host(k, change);
                }
                let args = [binding.context, nbl, port as u64, count as u64, given as u64];
                crate::ke::scheduler::call(k, h.receive, &args, conv)?;
            }
        }
        if shared && flags & RECEIVE_FLAGS_RESOURCES == 0 {
            return_down(k, from, nbl, flags & DISPATCH_LEVEL_FLAG)?;
        }
        return Ok(());
    }
    let change = NdisChange::IndicatedToNoProtocol { module: from.unwrap_or(0), count };
    if from.is_some() {
        record(k, change);
    } else {
        record_host(k, change);
    }
    if flags & RECEIVE_FLAGS_RESOURCES == 0 {
        return_down(k, from, nbl, flags & DISPATCH_LEVEL_FLAG)?;
    }
    Ok(())
}

/// Returns received lists down to `to` (or, without a return handler, further down), or to
/// the adapter, which frees the ones it made.
pub(crate) fn return_down(k: &mut Kx, to: Option<u64>, nbl: u64, flags: u32) -> KResult<()> {
    let stack = stack(k);
    let below: Vec<u64> = match to {
        None => Vec::new(),
        Some(t) => stack.iter().rev().skip_while(|h| **h != t).copied().collect(),
    };
    let conv = conv(k);
    for lower in below {
        if let Some((m, h)) = handlers_of(k, lower) {
            if h.return_nbls != 0 && h.receive != 0 {
                crate::ke::scheduler::call(k, h.return_nbls, &[m.context, nbl, flags as u64], conv)?;
                return Ok(());
            }
        }
    }
    super::receive::reclaim(k, nbl)
}

/// VOID NdisFIndicateReceiveNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST
/// NetBufferLists, NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
/// ULONG ReceiveFlags)
pub fn NdisFIndicateReceiveNetBufferLists(
    k: &mut Kx,
    handle: Ptr,
    nbl: Ptr,
    port: u32,
    count: u32,
    flags: u32,
) -> KResult<()> {
    if !k.ext().ndis.filter_modules.contains_key(&handle.0) {
        return Ok(());
    }
    indicate_up(k, Some(handle.0), nbl.0, port, count, flags)
}

/// VOID NdisFReturnNetBufferLists(NDIS_HANDLE NdisFilterHandle, PNET_BUFFER_LIST
/// NetBufferLists, ULONG ReturnFlags): received lists go back down to whoever indicated
/// them.
pub fn NdisFReturnNetBufferLists(k: &mut Kx, handle: Ptr, nbl: Ptr, flags: u32) -> KResult<()> {
    let stack = stack(k);
    let below = stack.iter().rev().skip_while(|h| **h != handle.0).nth(1).copied();
    return_down(k, below, nbl.0, flags)
}

/// Delivers `frame` from the wire to the stack (a scenario step): the adapter indicates it
/// in a list of its own, which comes back to it when the stack is done.
pub fn receive_frame(k: &mut Kx, frame: &[u8]) -> KResult<()> {
    let nbl = super::receive::make(k, frame)?;
    k.ext_mut().ndis.adapter.frames_received += 1;
    let bytes = hex_bytes(&frame[..frame.len().min(RECORDED_BYTES as usize)]);
    record_host(k, NdisChange::FrameReceived { length: frame.len() as u64, bytes });
    indicate_up(k, None, nbl, 0, 1, 0)
}

/// NDIS_STATUS NdisFOidRequest(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest):
/// passes the request down through the modules below with an OID handler, or the adapter
/// answers it at once.
pub fn NdisFOidRequest(k: &mut Kx, handle: Ptr, req: Ptr) -> KResult<NtStatus> {
    if !k.ext().ndis.filter_modules.contains_key(&handle.0) {
        return Ok(st::INVALID_PARAMETER);
    }
    oid_down(k, Some(handle.0), handle.0, req.0)
}

/// Where a request a module's OID handler pended came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OidOrigin {
    Module(u64),
    Binding(u64),
}

/// Passes a request from `from` (a module, or None: the binding `source`) to the next
/// module below with an OID handler, or the adapter. A request that handler pends is
/// remembered, for its NdisFOidRequestComplete to reach the requester.
pub(crate) fn oid_down(k: &mut Kx, from: Option<u64>, source: u64, req: u64) -> KResult<NtStatus> {
    let below = below(k, from);
    let conv = conv(k);
    for lower in below {
        if let Some((m, h)) = handlers_of(k, lower) {
            if h.oid_request != 0 {
                let status = NtStatus(crate::ke::scheduler::call(k, h.oid_request, &[m.context, req], conv)? as u32);
                if status == st::PENDING {
                    let origin = match from {
                        Some(m) => OidOrigin::Module(m),
                        None => OidOrigin::Binding(source),
                    };
                    k.ext_mut().ndis.pending_oids.insert(req, origin);
                }
                return Ok(status);
            }
        }
    }
    super::oid::answer(k, req, source)
}

/// VOID NdisFOidRequestComplete(NDIS_HANDLE NdisFilterHandle, PNDIS_OID_REQUEST OidRequest,
/// NDIS_STATUS Status): a module completing a request it pended: the requester (the module
/// above's FilterOidRequestComplete, or the protocol's ProtocolOidRequestComplete) gets it.
/// A request nobody is waiting for is only recorded.
pub fn NdisFOidRequestComplete(k: &mut Kx, handle: Ptr, req: Ptr, status: u32) -> KResult<()> {
    let oid = k.mem().get(req.0, crate::layout::NDIS_OID_REQUEST::Oid)? as u32;
    let kind = "complete";
    record(k, NdisChange::OidRequest { module: handle.0, kind, oid, status, data: String::new() });
    match k.ext_mut().ndis.pending_oids.remove(&req.0) {
        Some(OidOrigin::Module(m)) => {
            if let Some((m, h)) = handlers_of(k, m).filter(|(_, h)| h.oid_complete != 0) {
                let conv = conv(k);
                crate::ke::scheduler::call(k, h.oid_complete, &[m.context, req.0, status as u64], conv)?;
            }
        }
        Some(OidOrigin::Binding(b)) => super::protocol::oid_complete(k, b, req.0, status)?,
        None => {}
    }
    Ok(())
}

/// VOID NdisFCancelSendNetBufferLists(NDIS_HANDLE NdisFilterHandle, PVOID CancelId): the
/// adapter completes every send before NdisFSendNetBufferLists returns, so no send is
/// pending to cancel.
pub fn NdisFCancelSendNetBufferLists(_k: &mut Kx, _handle: Ptr, _cancel_id: Ptr) -> KResult<()> {
    Ok(())
}

/// VOID NdisFCancelOidRequest(NDIS_HANDLE NdisFilterHandle, PVOID RequestId): the adapter
/// answers every request at once, so none is pending to cancel.
pub fn NdisFCancelOidRequest(_k: &mut Kx, _handle: Ptr, _request_id: Ptr) -> KResult<()> {
    Ok(())
}

/// VOID NdisFIndicateStatus(NDIS_HANDLE NdisFilterHandle, PNDIS_STATUS_INDICATION
/// StatusIndication): passes a status up to the next module with a status handler; past
/// the top (no protocol) it ends. Recorded by its status code.
pub fn NdisFIndicateStatus(k: &mut Kx, handle: Ptr, indication: Ptr) -> KResult<()> {
    if k.mem().get(indication.0, SI::HeaderType)? != TYPE_STATUS_INDICATION {
        return Ok(());
    }
    let code = k.mem().get(indication.0, SI::StatusCode)? as u32;
    record(k, NdisChange::Indication { kind: "status", module: handle.0, code });
    let stack = stack(k);
    let conv = conv(k);
    for upper in stack.iter().skip_while(|h| **h != handle.0).skip(1).copied().collect::<Vec<_>>() {
        if let Some((m, h)) = handlers_of(k, upper) {
            if h.status != 0 {
                crate::ke::scheduler::call(k, h.status, &[m.context, indication.0], conv)?;
                return Ok(());
            }
        }
    }
    for b in super::protocol::open_bindings(k) {
        if let Some((binding, h)) = super::protocol::binding(k, b) {
            crate::ke::scheduler::call(k, h.status, &[binding.context, indication.0], conv)?;
        }
    }
    Ok(())
}

/// NDIS_STATUS NdisFNetPnPEvent(NDIS_HANDLE NdisFilterHandle, PNET_PNP_EVENT_NOTIFICATION
/// NetPnPEventNotification): passes a network PnP event up; no protocol is bound above
/// the top module, so it succeeds there. Recorded by its NET_PNP_EVENT_CODE.
pub fn NdisFNetPnPEvent(k: &mut Kx, handle: Ptr, notification: Ptr) -> KResult<NtStatus> {
    // NET_PNP_EVENT_NOTIFICATION: Header, PortNumber, then the NET_PNP_EVENT whose first
    // field is the code, at 8 on either architecture.
    let code = k.mem().read_u32(notification.0 + 8)?;
    record(k, NdisChange::Indication { kind: "net_pnp", module: handle.0, code });
    let stack = stack(k);
    let conv = conv(k);
    for upper in stack.iter().skip_while(|h| **h != handle.0).skip(1).copied().collect::<Vec<_>>() {
        if let Some((m, h)) = handlers_of(k, upper) {
            if h.net_pnp != 0 {
                let s = crate::ke::scheduler::call(k, h.net_pnp, &[m.context, notification.0], conv)?;
                return Ok(NtStatus(s as u32));
            }
        }
    }
    // Past the top: each protocol bound; the first failure is the answer.
    let mut status = st::SUCCESS;
    for b in super::protocol::open_bindings(k) {
        if let Some((binding, h)) = super::protocol::binding(k, b) {
            let s =
                NtStatus(crate::ke::scheduler::call(k, h.net_pnp, &[binding.context, notification.0], conv)? as u32);
            if status == st::SUCCESS {
                status = s;
            }
        }
    }
    Ok(status)
}

/// VOID NdisFDevicePnPEventNotify(NDIS_HANDLE NdisFilterHandle, PNET_DEVICE_PNP_EVENT
/// NetDevicePnPEvent): passes a device PnP event down to the adapter, which has nothing to
/// do for one. Recorded by its NDIS_DEVICE_PNP_EVENT (after the header and port number).
pub fn NdisFDevicePnPEventNotify(k: &mut Kx, handle: Ptr, event: Ptr) -> KResult<()> {
    let code = k.mem().read_u32(event.0 + 8)?;
    record(k, NdisChange::Indication { kind: "device_pnp", module: handle.0, code });
    Ok(())
}
