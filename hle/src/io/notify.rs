//! Registrations drivers make with the I/O manager: shutdown notification
//! (`Io(Un)RegisterShutdownNotification`, `IoRegisterLastChanceShutdownNotification`, sent
//! by the `shutdown` scenario step), reinitialization routines
//! (`IoRegister(Boot)DriverReinitialization`, called after DriverEntry), WMI registration
//! (`IoWMIRegistrationControl`), the error log (`IoAllocateErrorLogEntry`,
//! `IoWriteErrorLogEntry`, `IoFreeErrorLogEntry`), and `IoCreateDriver`.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;
use serde::Serialize;

use crate::events::{hex, SystemEvent};
use crate::ex::pool;
use crate::io::request::{new_id, new_irp, Request, IRP_SYNCHRONOUS_API};
use crate::io::{irp, major};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_OBJECT, IO_ERROR_LOG_PACKET, IRP};
use crate::ob::{ObjectKind, Owner};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

fn owner_at(k: &Kx, at: u64) -> Owner {
    k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel)
}

// ---- shutdown --------------------------------------------------------------------------

const DO_SHUTDOWN_REGISTERED: u64 = 0x800;

fn register_shutdown(k: &mut Kx, device: u64, last_chance: bool) -> KResult<NtStatus> {
    let f = k.mem().get(device, DEVICE_OBJECT::Flags)?;
    k.mem_mut().set(device, DEVICE_OBJECT::Flags, f | DO_SHUTDOWN_REGISTERED)?;
    k.ext_mut().io.shutdown.insert(0, (device, last_chance));
    Ok(status::SUCCESS)
}

/// NTSTATUS IoRegisterShutdownNotification(PDEVICE_OBJECT DeviceObject)
pub fn IoRegisterShutdownNotification(k: &mut Kx, device: Ptr) -> KResult<NtStatus> {
    register_shutdown(k, device.0, false)
}

/// NTSTATUS IoRegisterLastChanceShutdownNotification(PDEVICE_OBJECT DeviceObject)
pub fn IoRegisterLastChanceShutdownNotification(k: &mut Kx, device: Ptr) -> KResult<NtStatus> {
    register_shutdown(k, device.0, true)
}

/// VOID IoUnregisterShutdownNotification(PDEVICE_OBJECT DeviceObject)
pub fn IoUnregisterShutdownNotification(k: &mut Kx, device: Ptr) -> KResult<()> {
    let was = k.ext().io.shutdown.iter().any(|(d, _)| *d == device.0);
    k.ext_mut().io.shutdown.retain(|(d, _)| *d != device.0);
    if was {
        let f = k.mem().get(device.0, DEVICE_OBJECT::Flags)?;
        k.mem_mut().set(device.0, DEVICE_OBJECT::Flags, f & !DO_SHUTDOWN_REGISTERED)?;
    }
    Ok(())
}

/// One IRP_MJ_SHUTDOWN the `shutdown` step sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShutdownSent {
    #[serde(serialize_with = "hex")]
    pub device: u64,
    pub name: Option<String>,
    pub last_chance: bool,
    /// What the dispatch routine returned.
    pub returned: NtStatus,
    /// The IRP's final status, when it completed.
    pub status: Option<NtStatus>,
}

/// Sends a kernel-built IRP the I/O manager tracks; returns what dispatch returned and the
/// final status once completed.
pub(crate) fn send_tracked(
    k: &mut Kx,
    device: u64,
    irp_addr: u64,
    major_code: u8,
) -> KResult<(NtStatus, Option<NtStatus>)> {
    let id = new_id(k);
    let req = Request::new(id, major_code);
    k.ext_mut().io.requests.insert(irp_addr, req);
    let returned = irp::call_driver(k, device, irp_addr)?;
    let completion = k.ext_mut().io.completions.remove(&id).map(|c| c.status);
    Ok((returned, completion))
}

/// What Windows does at shutdown for the registered devices: IRP_MJ_SHUTDOWN to the top of
/// each device's stack, most recent registration first; the last-chance ones after.
pub fn shutdown(k: &mut Kx) -> KResult<Vec<ShutdownSent>> {
    let list = k.ext().io.shutdown.clone();
    let mut out = Vec::new();
    for last in [false, true] {
        for &(device, last_chance) in list.iter().filter(|(_, l)| *l == last) {
            if k.ext().objects.get(device).is_none_or(|o| o.kind != ObjectKind::Device) {
                continue;
            }
            let top = crate::io::stack::top(k, device)?;
            let (irp_addr, _) = new_irp(k, top, 0, major::SHUTDOWN, IRP_SYNCHRONOUS_API)?;
            k.mem_mut().set(irp_addr, IRP::RequestorMode, 0)?;
            let (returned, st) = send_tracked(k, top, irp_addr, major::SHUTDOWN)?;
            crate::io::release_deferred(k)?;
            let name = k.ext().objects.get(device).and_then(|o| o.name.clone());
            out.push(ShutdownSent { device, name, last_chance, returned, status: st });
        }
    }
    Ok(out)
}

/// The shutdown registrations `owner`'s devices still hold.
pub(crate) fn registrations(k: &Kx, owner: Owner) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    for &(device, last) in &k.ext().io.shutdown {
        let Some(o) = k.ext().objects.get(device) else { continue };
        if o.owner == owner {
            let kind = if last { "IoRegisterLastChanceShutdownNotification" } else { "IoRegisterShutdownNotification" };
            v.push((kind, format!("device {device:#x}")));
        }
    }
    for (&device, &o) in &k.ext().io.wmi {
        if o == owner {
            v.push(("IoWMIRegistrationControl", format!("device {device:#x}")));
        }
    }
    v
}

/// Drops what refers to a deleted device.
pub(crate) fn device_deleted(k: &mut Kx, device: u64) {
    let io = &mut k.ext_mut().io;
    io.shutdown.retain(|(d, _)| *d != device);
}

// ---- reinitialization ------------------------------------------------------------------

const DRVO_REINIT_REGISTERED: u64 = 0x08;
const DRVO_BOOTREINIT_REGISTERED: u64 = 0x20;
/// Calls past which a routine that keeps registering itself is left alone.
const MAX_REINIT_CALLS: usize = 64;

fn register_reinit(k: &mut Kx, driver_object: u64, routine: u64, context: u64, boot: bool) -> KResult<()> {
    let flag = if boot { DRVO_BOOTREINIT_REGISTERED } else { DRVO_REINIT_REGISTERED };
    let f = k.mem().get(driver_object, DRIVER_OBJECT::Flags)?;
    k.mem_mut().set(driver_object, DRIVER_OBJECT::Flags, f | flag)?;
    k.ext_mut().io.reinit.push((driver_object, routine, context, boot));
    Ok(())
}

/// VOID IoRegisterDriverReinitialization(PDRIVER_OBJECT DriverObject,
/// PDRIVER_REINITIALIZE DriverReinitializationRoutine, PVOID Context)
pub fn IoRegisterDriverReinitialization(k: &mut Kx, driver: Ptr, routine: Ptr, context: Ptr) -> KResult<()> {
    register_reinit(k, driver.0, routine.0, context.0, false)
}

/// VOID IoRegisterBootDriverReinitialization(PDRIVER_OBJECT, PDRIVER_REINITIALIZE, PVOID)
pub fn IoRegisterBootDriverReinitialization(k: &mut Kx, driver: Ptr, routine: Ptr, context: Ptr) -> KResult<()> {
    register_reinit(k, driver.0, routine.0, context.0, true)
}

/// After DriverEntry: the routines `driver_object` registered, boot ones first, each as
/// `Routine(DriverObject, Context, Count)` with the number of times it has been called; a
/// routine that registers again is called again.
pub fn run_reinitialization(k: &mut Kx, driver_object: u64) -> KResult<()> {
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let mut counts: std::collections::BTreeMap<u64, u64> = Default::default();
    for _ in 0..MAX_REINIT_CALLS {
        let io = &mut k.ext_mut().io;
        let pos = io
            .reinit
            .iter()
            .position(|r| r.0 == driver_object && r.3)
            .or_else(|| io.reinit.iter().position(|r| r.0 == driver_object));
        let Some(i) = pos else { break };
        let (_, routine, context, boot) = io.reinit.remove(i);
        if !io.reinit.iter().any(|r| r.0 == driver_object && r.3 == boot) {
            let flag = if boot { DRVO_BOOTREINIT_REGISTERED } else { DRVO_REINIT_REGISTERED };
            let f = k.mem().get(driver_object, DRIVER_OBJECT::Flags)?;
            k.mem_mut().set(driver_object, DRIVER_OBJECT::Flags, f & !flag)?;
        }
        let n = counts.entry(routine).or_default();
        *n += 1;
        let count = *n;
        crate::ke::scheduler::call(k, routine, &[driver_object, context, count], conv)?;
    }
    crate::io::release_deferred(k)
}

// ---- WMI -------------------------------------------------------------------------------

const WMIREG_ACTION_REGISTER: u32 = 1;
const WMIREG_ACTION_DEREGISTER: u32 = 2;
const WMIREG_ACTION_REREGISTER: u32 = 3;
const WMIREG_ACTION_UPDATE_GUIDS: u32 = 4;
const WMIREG_ACTION_BLOCK_IRPS: u32 = 5;
const WMIREG_FLAG_CALLBACK: u32 = 0x8000_0000;
/// The action is the low word; the high word holds flags (WMIREG_FLAG_TRACE_PROVIDER, the
/// trace notification mask, WMIREG_FLAG_CALLBACK).
const WMIREG_ACTION_MASK: u32 = 0xFFFF;

/// NTSTATUS IoWMIRegistrationControl(PDEVICE_OBJECT DeviceObject, ULONG Action): registers
/// the device as a WMI data provider (the WMI service's IRP_MN_REGINFO requests, which
/// come later from its own thread, are not sent).
pub fn IoWMIRegistrationControl(k: &mut Kx, device: Ptr, action: u32) -> KResult<NtStatus> {
    let at = caller(k);
    let callback = action & WMIREG_FLAG_CALLBACK != 0;
    if !callback && k.ext().objects.get(device.0).is_none_or(|o| o.kind != ObjectKind::Device) {
        return Ok(status::INVALID_PARAMETER);
    }
    let registered = k.ext().io.wmi.contains_key(&device.0);
    Ok(match action & WMIREG_ACTION_MASK {
        WMIREG_ACTION_REGISTER => {
            if registered {
                status::OBJECT_NAME_EXISTS
            } else {
                let owner = owner_at(k, at);
                let io = &mut k.ext_mut().io;
                io.wmi.insert(device.0, owner);
                io.last_wmi_provider_id += 1;
                let id = io.last_wmi_provider_id;
                io.wmi_provider_ids.insert(device.0, id);
                status::SUCCESS
            }
        }
        WMIREG_ACTION_DEREGISTER => {
            k.ext_mut().io.wmi_provider_ids.remove(&device.0);
            if k.ext_mut().io.wmi.remove(&device.0).is_some() {
                status::SUCCESS
            } else {
                status::INVALID_PARAMETER
            }
        }
        WMIREG_ACTION_REREGISTER | WMIREG_ACTION_UPDATE_GUIDS | WMIREG_ACTION_BLOCK_IRPS => {
            if registered {
                status::SUCCESS
            } else {
                status::INVALID_PARAMETER
            }
        }
        _ => status::INVALID_PARAMETER,
    })
}

/// ULONG IoWMIDeviceObjectToProviderId(PDEVICE_OBJECT DeviceObject) (x64; x86 drivers use
/// the device object's address, a macro): the provider ID WMI gave the device when it
/// registered (IDs are given in registration order from 1), 0 for a device that is not a
/// registered provider.
pub fn IoWMIDeviceObjectToProviderId(k: &mut Kx, device: Ptr) -> KResult<u32> {
    Ok(k.ext().io.wmi_provider_ids.get(&device.0).copied().unwrap_or(0))
}

/// sizeof(WNODE_HEADER): BufferSize, ProviderId, two 8-byte unions, Guid, ClientContext,
/// Flags (wmistr.h); the event's data follows.
const WNODE_HEADER_SIZE: u64 = 0x30;
const WNODE_GUID: u64 = 0x18;
/// Event payload kept in the trace.
const WMI_EVENT_DATA_CAP: u64 = 256;

/// NTSTATUS IoWMIWriteEvent(PVOID WnodeEventItem): delivers a WMI event (a WNODE in nonpaged
/// pool, its header's BufferSize long) to the event consumers — here the trace, as a trace
/// event of the WNODE's GUID. On success WMI owns the buffer and frees it; a buffer too short
/// for a WNODE header is refused and stays the caller's.
pub fn IoWMIWriteEvent(k: &mut Kx, wnode: Ptr) -> KResult<NtStatus> {
    let at = caller(k);
    let size = k.mem().read_u32(wnode.0)? as u64;
    if size < WNODE_HEADER_SIZE {
        return Ok(status::INVALID_PARAMETER);
    }
    let guid = crate::etw::read_guid(k, wnode.0 + WNODE_GUID)?;
    let mut data = vec![0u8; (size - WNODE_HEADER_SIZE).min(WMI_EVENT_DATA_CAP) as usize];
    k.mem().read(wnode.0 + WNODE_HEADER_SIZE, &mut data)?;
    let enabled = k.ext().tracing.enabled.contains_key(&guid);
    let e = crate::etw::TraceEvent::wmi("IoWMIWriteEvent", &guid, 0, &data, enabled, at);
    crate::events::push(k, SystemEvent::Trace(e));
    pool::free(k, wnode.0, None, at)?;
    Ok(status::SUCCESS)
}

// ---- error log -------------------------------------------------------------------------

/// Largest packet IoAllocateErrorLogEntry hands out (ERROR_LOG_MAXIMUM_SIZE: a port
/// message, 256 bytes on x86 and 512 on x64, less the message header, capped at 240).
pub fn error_log_maximum_size(arch: portcullis_emu::Arch) -> u64 {
    match arch {
        portcullis_emu::Arch::X86 => 0x98,
        portcullis_emu::Arch::X64 => 0xF0,
    }
}
/// Outstanding error-log memory past which allocations fail, as the I/O manager's limit.
const ERROR_LOG_LIMIT: u64 = 64 * 1024;

/// An entry a driver wrote to the system event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorLogEntry {
    /// The name of the driver the entry is for (the device's driver for a device).
    pub source: Option<String>,
    #[serde(serialize_with = "crate::events::hex32")]
    pub error_code: u32,
    pub unique_error_value: u32,
    pub final_status: NtStatus,
    pub sequence_number: u32,
    #[serde(serialize_with = "crate::events::hex32")]
    pub io_control_code: u32,
    pub major_function: u8,
    pub retry_count: u8,
    pub event_category: u16,
    /// DumpData, as 32-bit values.
    pub dump_data: Vec<u32>,
    /// The insertion strings.
    pub strings: Vec<String>,
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

/// PVOID IoAllocateErrorLogEntry(PVOID IoObject, UCHAR EntrySize)
pub fn IoAllocateErrorLogEntry(k: &mut Kx, object: Ptr, size: u8) -> KResult<Ptr> {
    let size = size as u64;
    let kind = k.ext().objects.get(object.0).map(|o| o.kind);
    if !matches!(kind, Some(ObjectKind::Device) | Some(ObjectKind::Driver)) || size > error_log_maximum_size(k.arch()) {
        return Ok(Ptr(0));
    }
    let outstanding: u64 = k.ext().io.error_packets.values().sum();
    if outstanding + size > ERROR_LOG_LIMIT {
        return Ok(Ptr(0));
    }
    let size = size.max(IO_ERROR_LOG_PACKET::STRUCT.size(k.arch()));
    let packet = pool::kernel_alloc(k, size, b"IoEr")?;
    k.ext_mut().io.error_packets.insert(packet, size);
    k.ext_mut().io.error_objects.insert(packet, object.0);
    Ok(Ptr(packet))
}

fn take_packet(k: &mut Kx, packet: u64, what: &str) -> KResult<(u64, u64)> {
    let Some(size) = k.ext_mut().io.error_packets.remove(&packet) else {
        let at = caller(k);
        let b = Bugcheck {
            code: 0xC2,
            name: "BAD_POOL_CALLER",
            params: [7, packet, 0, 0],
            caller: at,
            reason: format!("{what} on something IoAllocateErrorLogEntry did not return, or already written or freed"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    };
    let object = k.ext_mut().io.error_objects.remove(&packet).unwrap_or(0);
    Ok((size, object))
}

/// VOID IoWriteErrorLogEntry(PVOID ElEntry): the entry goes to the event log (the trace and
/// the report) and the packet is freed.
pub fn IoWriteErrorLogEntry(k: &mut Kx, packet: Ptr) -> KResult<()> {
    let at = caller(k);
    let (size, object) = take_packet(k, packet.0, "IoWriteErrorLogEntry")?;
    let mut bytes = vec![0u8; size as usize];
    k.mem().read(packet.0, &mut bytes)?;
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let dump_size = (u16_at(2) as usize).min(bytes.len().saturating_sub(0x28));
    let dump_data = (0..dump_size / 4).map(|i| u32_at(0x28 + i * 4)).collect();
    let mut strings = Vec::new();
    let mut off = u16_at(6) as usize;
    for _ in 0..u16_at(4) {
        if off == 0 || off >= bytes.len() {
            break;
        }
        let mut units = Vec::new();
        while off + 1 < bytes.len() {
            let u = u16_at(off);
            off += 2;
            if u == 0 {
                break;
            }
            units.push(u);
        }
        strings.push(String::from_utf16_lossy(&units));
    }
    // The event's source is the driver's name (the device's driver for a device).
    let driver = match k.ext().objects.get(object).map(|o| o.kind) {
        Some(ObjectKind::Device) => k.mem().get(object, DEVICE_OBJECT::DriverObject).unwrap_or(0),
        _ => object,
    };
    let source = k.ext().objects.get(driver).and_then(|o| o.name.clone());
    let sequence_number = u32_at(0x18);
    k.ext_mut().io.error_sequence += 1;
    let entry = ErrorLogEntry {
        source,
        error_code: u32_at(0xc),
        unique_error_value: u32_at(0x10),
        final_status: NtStatus(u32_at(0x14)),
        sequence_number,
        io_control_code: u32_at(0x1c),
        major_function: bytes[0],
        retry_count: bytes[1],
        event_category: u16_at(8),
        dump_data,
        strings,
        caller: at,
    };
    crate::events::push(k, SystemEvent::ErrorLog(entry));
    pool::free(k, packet.0, None, at)
}

/// VOID IoFreeErrorLogEntry(PVOID ElEntry)
pub fn IoFreeErrorLogEntry(k: &mut Kx, packet: Ptr) -> KResult<()> {
    let at = caller(k);
    take_packet(k, packet.0, "IoFreeErrorLogEntry")?;
    pool::free(k, packet.0, None, at)
}

// ---- IoCreateDriver --------------------------------------------------------------------

/// NTSTATUS IoCreateDriver(PUNICODE_STRING DriverName, PDRIVER_INITIALIZE
/// InitializationFunction): a new driver object (named `\Driver\<n>` when no name is given)
/// for the calling driver's image, passed to the routine with a NULL registry path; it is
/// deleted again if the routine fails.
pub fn IoCreateDriver(k: &mut Kx, name: PUnicodeString, init: Ptr) -> KResult<NtStatus> {
    let at = caller(k);
    let Some(driver) = k.ext().driver_at(at) else { return Ok(status::INVALID_PARAMETER) };
    let full = if name.0 == 0 {
        let n = k.ext().io.created_drivers.len() as u64 + 1;
        format!("\\Driver\\{:08}", crate::ke::time::system_time(k) / 10_000 % 100_000_000 + n)
    } else {
        read_unicode_string(k, name.0)?
    };
    if !crate::ob::valid_path(&full) {
        return Ok(NtStatus(0xC000_003B)); // STATUS_OBJECT_PATH_SYNTAX_BAD
    }
    if k.ext().objects.lookup(&full).is_some() {
        return Ok(status::OBJECT_NAME_COLLISION);
    }
    let service = full.rsplit('\\').next().unwrap_or("").to_string();
    let d = k.ext().drivers[driver].clone();
    let objs = crate::io::driver::create_named(k, &full, &service, d.image.base, d.image.size, d.ldr_entry, init.0)?;
    k.ext_mut().io.created_drivers.insert(objs.driver_object, driver);
    // The object is owned by the driver that made it (what it leaves behind is its).
    if let Some(o) = k.ext_mut().objects.get_mut(objs.driver_object) {
        o.owner = Owner::Driver(driver);
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = NtStatus(crate::ke::scheduler::call(k, init.0, &[objs.driver_object, 0], conv)? as u32);
    if r.is_success() {
        crate::io::driver::finish_initialization(k, objs.driver_object)?;
    } else {
        k.ext_mut().io.created_drivers.remove(&objs.driver_object);
        k.ext_mut().objects.remove_name(&full);
        k.ext_mut().objects.unregister(objs.driver_object);
    }
    Ok(r)
}

/// Whether `driver_object` was made by IoCreateDriver (for reports).
pub fn created_by_driver(k: &Kx, driver_object: u64) -> Option<usize> {
    k.ext().io.created_drivers.get(&driver_object).copied()
}
