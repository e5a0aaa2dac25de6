//! The COM objects portcls hands out, in guest memory: a port (PcNewPort), a service group
//! (PcNewServiceGroup) and the resource list a StartDevice routine receives. Each is a pool
//! block whose first pointer is its interface's vtable; the vtables are built once per run
//! and point at internal routines (guest-callable host entries), so a driver calls
//! `Port->lpVtbl->Init(Port, ...)` like on Windows. Reference counts are the kernel's
//! (IUnknown AddRef/Release); the last Release frees the object and the references it held.
//!
//! Objects a driver made (a miniport, an adapter's IAdapterPowerManagement) are called the
//! other way, through their own guest vtables ([`call_method`]).
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::guid::{self, Guid};
use crate::kernel::{KError, KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// What an object of ours is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    PortTopology,
    PortWaveCyclic,
    ServiceGroup,
    ResourceList,
}

impl Kind {
    /// The internal routines of the interface's vtable, in slot order.
    fn slots(self) -> &'static [&'static str] {
        const UNKNOWN: [&str; 3] = ["PcpQueryInterface", "PcpAddRef", "PcpRelease"];
        match self {
            Kind::PortTopology => &[
                UNKNOWN[0],
                UNKNOWN[1],
                UNKNOWN[2],
                "PcpPortInit",
                "PcpPortGetDeviceProperty",
                "PcpPortNewRegistryKey",
            ],
            Kind::PortWaveCyclic => &[
                UNKNOWN[0],
                UNKNOWN[1],
                UNKNOWN[2],
                "PcpPortInit",
                "PcpPortGetDeviceProperty",
                "PcpPortNewRegistryKey",
                "PcpPortNotify",
                "PcpPortNewMasterDmaChannel",
                "PcpPortNewSlaveDmaChannel",
            ],
            Kind::ServiceGroup => &[
                UNKNOWN[0],
                UNKNOWN[1],
                UNKNOWN[2],
                "PcpServiceGroupRequestService",
                "PcpServiceGroupAddMember",
                "PcpServiceGroupRemoveMember",
                "PcpServiceGroupSupportDelayedService",
                "PcpServiceGroupRequestDelayedService",
                "PcpServiceGroupCancelDelayedService",
            ],
            Kind::ResourceList => &[
                UNKNOWN[0],
                UNKNOWN[1],
                UNKNOWN[2],
                "PcpResourceListNumberOfEntries",
                "PcpResourceListNumberOfEntriesOfType",
                "PcpResourceListFindTranslatedEntry",
                "PcpResourceListFindUntranslatedEntry",
                "PcpResourceListAddEntry",
                "PcpResourceListAddEntryFromParent",
                "PcpResourceListTranslatedList",
                "PcpResourceListUntranslatedList",
            ],
        }
    }

    /// The interfaces QueryInterface answers for.
    fn interfaces(self) -> &'static [Guid] {
        match self {
            Kind::PortTopology => &[guid::IID_IUNKNOWN, guid::IID_IPORT, guid::IID_IPORT_TOPOLOGY],
            Kind::PortWaveCyclic => &[guid::IID_IUNKNOWN, guid::IID_IPORT, guid::IID_IPORT_WAVE_CYCLIC],
            Kind::ServiceGroup => &[guid::IID_IUNKNOWN, guid::IID_ISERVICE_SINK, guid::IID_ISERVICE_GROUP],
            Kind::ResourceList => &[guid::IID_IUNKNOWN, guid::IID_IRESOURCE_LIST],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::PortTopology => "topology port",
            Kind::PortWaveCyclic => "wave cyclic port",
            Kind::ServiceGroup => "service group",
            Kind::ResourceList => "resource list",
        }
    }
}

/// An object of ours and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub kind: Kind,
    pub refs: u32,
    /// A port's miniport (its IMiniport* interface, referenced) once Init succeeded.
    pub miniport: u64,
    /// A port's filter description: pin and node counts from the miniport's GetDescription.
    pub pins: u32,
    pub nodes: u32,
    /// A service group's members (IServiceSink interfaces, referenced).
    pub members: Vec<u64>,
    /// A resource list's CM_RESOURCE_LISTs: (untranslated, translated).
    pub lists: (u64, u64),
}

/// A new object of `kind` with one reference.
pub fn create(k: &mut Kx, kind: Kind) -> KResult<u64> {
    let vtable = vtable(k, kind)?;
    let ps = k.arch().ptr_size();
    let at = crate::ex::pool::kernel_alloc(k, 2 * ps, b"PcOb")?;
    k.mem_mut().write_ptr(at, vtable)?;
    k.mem_mut().write_ptr(at + ps, 0)?;
    let o = Object { kind, refs: 1, miniport: 0, pins: 0, nodes: 0, members: Vec::new(), lists: (0, 0) };
    k.ext_mut().portcls.objects.insert(at, o);
    Ok(at)
}

/// The guest vtable of `kind`, built on first use.
fn vtable(k: &mut Kx, kind: Kind) -> KResult<u64> {
    if let Some(&v) = k.ext().portcls.vtables.get(&kind) {
        return Ok(v);
    }
    let ps = k.arch().ptr_size();
    let slots = kind.slots();
    let at = crate::ex::pool::kernel_alloc(k, slots.len() as u64 * ps, b"PcVt")?;
    for (i, name) in slots.iter().enumerate() {
        let routine = crate::io::internal_routine(k, name);
        k.mem_mut().write_ptr(at + i as u64 * ps, routine)?;
    }
    k.ext_mut().portcls.vtables.insert(kind, at);
    Ok(at)
}

pub fn kind_of(k: &Kx, this: u64) -> Option<Kind> {
    k.ext().portcls.objects.get(&this).map(|o| o.kind)
}

/// Calls method `slot` of a guest object's vtable (COM methods are stdcall on x86, `this`
/// first).
pub fn call_method(k: &mut Kx, this: u64, slot: u64, args: &[u64]) -> KResult<u64> {
    let ps = k.arch().ptr_size();
    let vtbl = k.mem().read_ptr(this)?;
    let routine = k.mem().read_ptr(vtbl + slot * ps)?;
    let mut all = vec![this];
    all.extend_from_slice(args);
    let conv = CallConv::Stdcall.for_arch(k.arch());
    Ok(crate::ke::scheduler::call(k, routine, &all, conv)?)
}

/// QueryInterface on any object (ours go through the same vtable call): the interface
/// pointer, referenced, or the failing status.
pub fn query(k: &mut Kx, unknown: u64, iid: Guid) -> KResult<Result<u64, NtStatus>> {
    let ps = k.arch().ptr_size();
    let scratch = crate::ex::pool::kernel_alloc(k, 16 + ps, b"PcQi")?;
    k.mem_mut().write(scratch, &iid)?;
    k.mem_mut().write_ptr(scratch + 16, 0)?;
    let r = NtStatus(call_method(k, unknown, 0, &[scratch, scratch + 16])? as u32);
    let out = k.mem().read_ptr(scratch + 16)?;
    crate::ex::pool::free(k, scratch, None, 0)?;
    Ok(if r.is_success() && out != 0 { Ok(out) } else { Err(if r.is_success() { status::UNSUCCESSFUL } else { r }) })
}

/// IUnknown::Release on any object.
pub fn release(k: &mut Kx, unknown: u64) -> KResult<()> {
    call_method(k, unknown, 2, &[]).map(|_| ())
}

fn object(k: &Kx, this: Ptr) -> KResult<Object> {
    k.ext().portcls.objects.get(&this.0).cloned().ok_or_else(|| not_ours(k, this.0))
}

/// A method of ours called on something that is not (or no longer) an object of ours: what
/// a use after the last Release is on Windows, a fault in portcls; here the run stops saying so.
fn not_ours(k: &Kx, this: u64) -> KError {
    let caller = crate::kernel::caller(k);
    KError::Stop(portcullis_emu::Stop::Host(crate::kernel::KernelStop::Unimplemented {
        routine: format!("a portcls method on {this:#x}, which is no portcls object (released?)"),
        caller,
    }))
}

/// NTSTATUS QueryInterface(THIS_ REFIID, PVOID *Object)
pub fn PcpQueryInterface(k: &mut Kx, this: Ptr, iid: Ptr, out: Ptr) -> KResult<NtStatus> {
    let o = object(k, this)?;
    let mut want = [0u8; 16];
    k.mem().read(iid.0, &mut want)?;
    if !o.kind.interfaces().contains(&want) {
        k.mem_mut().write_ptr(out.0, 0)?;
        return Ok(status::UNSUCCESSFUL);
    }
    PcpAddRef(k, this)?;
    k.mem_mut().write_ptr(out.0, this.0)?;
    Ok(status::SUCCESS)
}

/// ULONG AddRef(THIS)
pub fn PcpAddRef(k: &mut Kx, this: Ptr) -> KResult<u32> {
    object(k, this)?;
    let o = k.ext_mut().portcls.objects.get_mut(&this.0).expect("checked");
    o.refs = o.refs.saturating_add(1);
    Ok(o.refs)
}

/// ULONG Release(THIS): the last reference frees the object and releases what it held.
pub fn PcpRelease(k: &mut Kx, this: Ptr) -> KResult<u32> {
    object(k, this)?;
    let o = k.ext_mut().portcls.objects.get_mut(&this.0).expect("checked");
    o.refs -= 1;
    if o.refs > 0 {
        return Ok(o.refs);
    }
    let o = k.ext_mut().portcls.objects.remove(&this.0).expect("checked");
    if o.miniport != 0 {
        release(k, o.miniport)?;
    }
    for m in o.members {
        release(k, m)?;
    }
    crate::ex::pool::free(k, this.0, None, 0)?;
    Ok(0)
}

/// The methods no driver of ours or of the measured set calls: the run ends naming the one
/// called (DMA channels, registry keys and device properties through a port, delayed
/// service, building resource lists).
pub fn unimplemented(k: &mut Kx) -> KResult<()> {
    let pc = k.host_call_pc();
    let name = k.ext().calls.routine_at(pc).map_or("a portcls method".to_string(), |(_, n)| n.to_string());
    let caller = crate::kernel::caller(k);
    Err(KError::Stop(portcullis_emu::Stop::Host(crate::kernel::KernelStop::Unimplemented {
        routine: format!("portcls: {name}"),
        caller,
    })))
}

/// NTSTATUS IPort::Init(THIS_ PDEVICE_OBJECT DeviceObject, PIRP Irp, PUNKNOWN
/// UnknownMiniport, PUNKNOWN UnknownAdapter, PRESOURCELIST ResourceList): the port takes
/// the miniport's interface of its kind (QueryInterface), calls the miniport's Init with the
/// adapter, the resources and itself, then its GetDescription for the filter it will expose.
pub fn PcpPortInit(
    k: &mut Kx,
    this: Ptr,
    device: Ptr,
    _irp: Ptr,
    miniport: Ptr,
    adapter: Ptr,
    resources: Ptr,
) -> KResult<NtStatus> {
    let o = object(k, this)?;
    if o.miniport != 0 {
        return Ok(status::UNSUCCESSFUL);
    }
    if miniport.is_null() {
        return Ok(status::INVALID_PARAMETER);
    }
    let iid = match o.kind {
        Kind::PortTopology => guid::IID_IMINIPORT_TOPOLOGY,
        _ => guid::IID_IMINIPORT_WAVE_CYCLIC,
    };
    let mini = match query(k, miniport.0, iid)? {
        Ok(m) => m,
        Err(st) => return Ok(st),
    };
    // IMiniportTopology/IMiniportWaveCyclic::Init (slot 5): UnknownAdapter, ResourceList, Port.
    let st = NtStatus(call_method(k, mini, 5, &[adapter.0, resources.0, this.0])? as u32);
    if !st.is_success() {
        release(k, mini)?;
        return Ok(st);
    }
    // IMiniport::GetDescription (slot 3): PPCFILTER_DESCRIPTOR *.
    let ps = k.arch().ptr_size();
    let out = crate::ex::pool::kernel_alloc(k, ps, b"PcQi")?;
    k.mem_mut().write_ptr(out, 0)?;
    let st = NtStatus(call_method(k, mini, 3, &[out])? as u32);
    let desc = k.mem().read_ptr(out)?;
    crate::ex::pool::free(k, out, None, 0)?;
    if !st.is_success() || desc == 0 {
        release(k, mini)?;
        return Ok(if st.is_success() { status::UNSUCCESSFUL } else { st });
    }
    // PCFILTER_DESCRIPTOR { ULONG Version; automation table; ULONG PinSize, PinCount; pins;
    // ULONG NodeSize, NodeCount; ... }.
    let pins = k.mem().read_u32(desc + 2 * ps + 4)?;
    let nodes = k.mem().read_u32(desc + 3 * ps + 12)?;
    if let Some(p) = k.ext_mut().portcls.objects.get_mut(&this.0) {
        (p.miniport, p.pins, p.nodes) = (mini, pins, nodes);
    }
    let detail = format!(
        "{} {:#x} on device {:#x}: miniport {:#x} initialized, {pins} pin(s), {nodes} node(s)",
        o.kind.name(),
        this.0,
        device.0,
        mini
    );
    super::notice(k, "portcls_port", detail);
    Ok(status::SUCCESS)
}

/// VOID IPortWaveCyclic::Notify(THIS_ PSERVICEGROUP ServiceGroup): the port's streams are
/// serviced: the group's members are asked for service.
pub fn PcpPortNotify(k: &mut Kx, this: Ptr, group: Ptr) -> KResult<()> {
    object(k, this)?;
    if !group.is_null() {
        call_method(k, group.0, 3, &[])?;
    }
    Ok(())
}

/// VOID IServiceSink::RequestService(THIS): every member's RequestService, in the order they
/// were added.
pub fn PcpServiceGroupRequestService(k: &mut Kx, this: Ptr) -> KResult<()> {
    let o = object(k, this)?;
    for m in o.members {
        call_method(k, m, 3, &[])?;
    }
    Ok(())
}

/// NTSTATUS IServiceGroup::AddMember(THIS_ PSERVICESINK ServiceSink): referenced.
pub fn PcpServiceGroupAddMember(k: &mut Kx, this: Ptr, sink: Ptr) -> KResult<NtStatus> {
    object(k, this)?;
    if sink.is_null() {
        return Ok(status::INVALID_PARAMETER);
    }
    call_method(k, sink.0, 1, &[])?;
    if let Some(o) = k.ext_mut().portcls.objects.get_mut(&this.0) {
        o.members.push(sink.0);
    }
    Ok(status::SUCCESS)
}

/// VOID IServiceGroup::RemoveMember(THIS_ PSERVICESINK ServiceSink)
pub fn PcpServiceGroupRemoveMember(k: &mut Kx, this: Ptr, sink: Ptr) -> KResult<()> {
    object(k, this)?;
    let o = k.ext_mut().portcls.objects.get_mut(&this.0).expect("checked");
    if let Some(i) = o.members.iter().position(|m| *m == sink.0) {
        o.members.remove(i);
        release(k, sink.0)?;
    }
    Ok(())
}

/// The descriptors of a CM_RESOURCE_LIST's first full descriptor: (address of the first
/// CM_PARTIAL_RESOURCE_DESCRIPTOR, count). An empty or absent list has none.
fn partials(k: &Kx, list: u64) -> KResult<(u64, u32)> {
    if list == 0 || k.mem().read_u32(list)? == 0 {
        return Ok((0, 0));
    }
    // CM_RESOURCE_LIST { ULONG Count; CM_FULL_RESOURCE_DESCRIPTOR { INTERFACE_TYPE; ULONG
    // BusNumber; CM_PARTIAL_RESOURCE_LIST { USHORT Version, Revision; ULONG Count; ... } } }.
    let count = k.mem().read_u32(list + 16)?;
    Ok((list + 20, count.min(4096)))
}

/// sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR): 16 bytes on x86, 20 on x64 (the union, packed to
/// 4, is as large as its interrupt member with a 64-bit affinity).
fn partial_size(k: &Kx) -> u64 {
    if k.arch().ptr_size() == 8 {
        20
    } else {
        16
    }
}

/// ULONG IResourceList::NumberOfEntries(THIS)
pub fn PcpResourceListNumberOfEntries(k: &mut Kx, this: Ptr) -> KResult<u32> {
    let o = object(k, this)?;
    Ok(partials(k, o.lists.1)?.1)
}

/// ULONG IResourceList::NumberOfEntriesOfType(THIS_ CM_RESOURCE_TYPE Type)
pub fn PcpResourceListNumberOfEntriesOfType(k: &mut Kx, this: Ptr, kind: u8) -> KResult<u32> {
    let o = object(k, this)?;
    let (first, count) = partials(k, o.lists.1)?;
    let mut n = 0;
    for i in 0..u64::from(count) {
        if k.mem().read_u8(first + i * partial_size(k))? == kind {
            n += 1;
        }
    }
    Ok(n)
}

fn find(k: &Kx, list: u64, kind: u8, index: u32) -> KResult<Ptr> {
    let (first, count) = partials(k, list)?;
    let mut seen = 0;
    for i in 0..u64::from(count) {
        let at = first + i * partial_size(k);
        if k.mem().read_u8(at)? == kind {
            if seen == index {
                return Ok(Ptr(at));
            }
            seen += 1;
        }
    }
    Ok(Ptr::NULL)
}

/// PCM_PARTIAL_RESOURCE_DESCRIPTOR IResourceList::FindTranslatedEntry(THIS_ CM_RESOURCE_TYPE
/// Type, ULONG Index): the Index-th descriptor of that type, NULL if there is none.
pub fn PcpResourceListFindTranslatedEntry(k: &mut Kx, this: Ptr, kind: u8, index: u32) -> KResult<Ptr> {
    let o = object(k, this)?;
    find(k, o.lists.1, kind, index)
}

/// PCM_PARTIAL_RESOURCE_DESCRIPTOR IResourceList::FindUntranslatedEntry(THIS_ Type, Index)
pub fn PcpResourceListFindUntranslatedEntry(k: &mut Kx, this: Ptr, kind: u8, index: u32) -> KResult<Ptr> {
    let o = object(k, this)?;
    find(k, o.lists.0, kind, index)
}

/// PCM_RESOURCE_LIST IResourceList::TranslatedList(THIS)
pub fn PcpResourceListTranslatedList(k: &mut Kx, this: Ptr) -> KResult<Ptr> {
    Ok(Ptr(object(k, this)?.lists.1))
}

/// PCM_RESOURCE_LIST IResourceList::UntranslatedList(THIS)
pub fn PcpResourceListUntranslatedList(k: &mut Kx, this: Ptr) -> KResult<Ptr> {
    Ok(Ptr(object(k, this)?.lists.0))
}
