//! Child devices of a framework bus driver (`wdfpdo.h`, `wdffdo.h`): a PDO's DeviceInit
//! (WdfPdoInitAllocate and its identifiers), the PDO WdfDeviceCreate makes from it, the
//! FDO's static child list (WdfFdoAddStaticChild, WdfPdoMarkMissing, iteration), the
//! BusRelations the FDO answers with its children, and the PnP IRPs a framework PDO
//! completes itself as the bus driver of its stack (IRP_MN_QUERY_ID,
//! IRP_MN_QUERY_DEVICE_TEXT, IRP_MN_QUERY_CAPABILITIES, IRP_MN_QUERY_BUS_INFORMATION, the
//! start and removal with the child's own PnP/power callbacks).
//!
//! A child is "pending" once added, "present" once a BusRelations reported it, "missing"
//! after WdfPdoMarkMissing; a missing child is left out of the next BusRelations, the PnP
//! manager removes it and the framework then deletes its WDFDEVICE. A PDO is an object child
//! of its parent FDO, so the FDO's removal deletes it too.
#![allow(non_snake_case)]

use super::device::{self, init_of, update, Device};
use super::object::{self, ObjectKind};
use super::violation;
use crate::ex::pool;
use crate::io::irp;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION, IRP};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// BUS_QUERY_ID_TYPE.
mod query_id {
    pub const DEVICE_ID: u64 = 0;
    pub const HARDWARE_IDS: u64 = 1;
    pub const COMPATIBLE_IDS: u64 = 2;
    pub const INSTANCE_ID: u64 = 3;
    pub const CONTAINER_ID: u64 = 5;
}
/// DEVICE_RELATION_TYPE.
const BUS_RELATIONS: u64 = 0;
const TARGET_DEVICE_RELATION: u64 = 4;
/// WDF_RETRIEVE_CHILD_FLAGS.
mod retrieve {
    pub const PRESENT: u32 = 1;
    pub const MISSING: u32 = 2;
    pub const PENDING: u32 = 4;
}
/// DEVICE_CAPABILITIES' RawDeviceOK bit (after DeviceD1, DeviceD2, LockSupported,
/// EjectSupported, Removable, DockDevice, UniqueID, SilentInstall).
const RAW_DEVICE_OK: u32 = 1 << 8;
/// STATUS_INVALID_DEVICE_STATE.
const INVALID_DEVICE_STATE: NtStatus = NtStatus(0xC000_0184);

/// What a PDO's DeviceInit (and then the PDO) says about it.
#[derive(Clone, Debug, Default)]
pub struct PdoIds {
    /// The parent FDO (WDFDEVICE).
    pub parent: u64,
    pub device_id: Option<String>,
    pub instance_id: Option<String>,
    pub hardware_ids: Vec<String>,
    pub compatible_ids: Vec<String>,
    pub container_id: Option<String>,
    /// (locale, description, location), WdfPdoInitAddDeviceText.
    pub texts: Vec<(u32, String, Option<String>)>,
    pub default_locale: Option<u32>,
    /// WdfPdoInitAssignRawDevice: the device runs without a function driver.
    pub raw: bool,
    pub forward_to_parent: bool,
    pub callbacks: PdoCallbacks,
    /// A dynamic child (EvtChildListCreateDevice): its WDFCHILDLIST and the framework's
    /// copy of its identification description (0 for a static child).
    pub child_list: u64,
    pub description: u64,
}

/// What WDF_PDO_EVENT_CALLBACKS named. The resource queries, lock and wake-at-bus callbacks
/// answer IRPs the emulated PnP manager does not send (it gives children no resources and
/// never arms wake); eject and reported-missing are called.
#[derive(Clone, Copy, Debug, Default)]
pub struct PdoCallbacks {
    pub resource_requirements_query: u64,
    pub resources_query: u64,
    pub eject: u64,
    pub set_lock: u64,
    pub enable_wake_at_bus: u64,
    pub disable_wake_at_bus: u64,
    /// KMDF 1.11 and later (Size 0x20 on x86, 0x40 on x64).
    pub reported_missing: u64,
}

/// Where a child is in its parent's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildState {
    Pending,
    Present,
    Missing,
}

/// One entry of an FDO's static child list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaticChild {
    pub device: u64,
    pub state: ChildState,
}

fn pdo_init(k: &mut Kx, function: &str, init: Ptr) -> KResult<PdoIds> {
    match init_of(k, function, init.0)?.child {
        Some(ids) => Ok(ids),
        None => {
            let at = crate::kernel::caller(k);
            Err(violation::raise(
                k,
                [violation::code::VERIFIER_FATAL_ERROR, init.0, 0, 0],
                at,
                format!("{function}: {:#x} is not a DeviceInit of WdfPdoInitAllocate", init.0),
            ))
        }
    }
}

fn set_ids(k: &mut Kx, function: &str, init: Ptr, f: impl FnOnce(&mut PdoIds)) -> KResult<()> {
    pdo_init(k, function, init)?;
    update(k, function, init, |i| {
        if let Some(ids) = i.child.as_mut() {
            f(ids)
        }
    })
}

/// A required counted string.
fn string(k: &mut Kx, function: &str, what: &str, s: PUnicodeString) -> KResult<String> {
    if s.0 == 0 {
        return Err(violation::null_parameter(k, function, what));
    }
    read_unicode_string(k, s.0)
}

/// PWDFDEVICE_INIT WdfPdoInitAllocate(WDFDEVICE ParentDevice): a DeviceInit for a child
/// PDO of the function device `ParentDevice` (NULL for a control device, which has no bus).
pub fn WdfPdoInitAllocate(k: &mut Kx, _globals: Ptr, parent: Ptr) -> KResult<Ptr> {
    let d = device::device(k, "WdfPdoInitAllocate", parent.0)?;
    if d.control || d.pdo == 0 {
        return Ok(Ptr(0));
    }
    let b = object::expect(k, "WdfPdoInitAllocate", parent.0, ObjectKind::Device)?.binding;
    let init = device::new_init(k, b, false, 0)?;
    if let Some(i) = k.ext_mut().wdf.device_inits.get_mut(&init) {
        i.child = Some(PdoIds { parent: parent.0, ..Default::default() });
    }
    Ok(Ptr(init))
}

/// NTSTATUS WdfPdoInitAssignDeviceID(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceID)
pub fn WdfPdoInitAssignDeviceID(k: &mut Kx, _globals: Ptr, init: Ptr, id: PUnicodeString) -> KResult<NtStatus> {
    let id = string(k, "WdfPdoInitAssignDeviceID", "DeviceID", id)?;
    set_ids(k, "WdfPdoInitAssignDeviceID", init, |i| i.device_id = Some(id))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfPdoInitAssignInstanceID(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING InstanceID)
pub fn WdfPdoInitAssignInstanceID(k: &mut Kx, _globals: Ptr, init: Ptr, id: PUnicodeString) -> KResult<NtStatus> {
    let id = string(k, "WdfPdoInitAssignInstanceID", "InstanceID", id)?;
    set_ids(k, "WdfPdoInitAssignInstanceID", init, |i| i.instance_id = Some(id))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfPdoInitAddHardwareID(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING HardwareID)
pub fn WdfPdoInitAddHardwareID(k: &mut Kx, _globals: Ptr, init: Ptr, id: PUnicodeString) -> KResult<NtStatus> {
    let id = string(k, "WdfPdoInitAddHardwareID", "HardwareID", id)?;
    set_ids(k, "WdfPdoInitAddHardwareID", init, |i| i.hardware_ids.push(id))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfPdoInitAddCompatibleID(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING CompatibleID)
pub fn WdfPdoInitAddCompatibleID(k: &mut Kx, _globals: Ptr, init: Ptr, id: PUnicodeString) -> KResult<NtStatus> {
    let id = string(k, "WdfPdoInitAddCompatibleID", "CompatibleID", id)?;
    set_ids(k, "WdfPdoInitAddCompatibleID", init, |i| i.compatible_ids.push(id))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfPdoInitAssignContainerID(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING ContainerID)
pub fn WdfPdoInitAssignContainerID(k: &mut Kx, _globals: Ptr, init: Ptr, id: PUnicodeString) -> KResult<NtStatus> {
    let id = string(k, "WdfPdoInitAssignContainerID", "ContainerID", id)?;
    set_ids(k, "WdfPdoInitAssignContainerID", init, |i| i.container_id = Some(id))?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfPdoInitAddDeviceText(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING
/// DeviceDescription, PCUNICODE_STRING DeviceLocation, LCID LocaleId): a locale's text
/// replaces an earlier one of the same locale.
pub fn WdfPdoInitAddDeviceText(
    k: &mut Kx,
    _globals: Ptr,
    init: Ptr,
    description: PUnicodeString,
    location: PUnicodeString,
    locale: u32,
) -> KResult<NtStatus> {
    let description = string(k, "WdfPdoInitAddDeviceText", "DeviceDescription", description)?;
    let location = if location.0 == 0 { None } else { Some(read_unicode_string(k, location.0)?) };
    set_ids(k, "WdfPdoInitAddDeviceText", init, |i| {
        i.texts.retain(|t| t.0 != locale);
        i.texts.push((locale, description, location));
    })?;
    Ok(status::SUCCESS)
}

/// VOID WdfPdoInitSetDefaultLocale(PWDFDEVICE_INIT DeviceInit, LCID LocaleId): the text
/// answered for a locale the PDO has none for.
pub fn WdfPdoInitSetDefaultLocale(k: &mut Kx, _globals: Ptr, init: Ptr, locale: u32) -> KResult<()> {
    set_ids(k, "WdfPdoInitSetDefaultLocale", init, |i| i.default_locale = Some(locale))
}

/// NTSTATUS WdfPdoInitAssignRawDevice(PWDFDEVICE_INIT DeviceInit, const GUID
/// *DeviceClassGuid): the PDO may run raw (RawDeviceOK), started without a function driver.
pub fn WdfPdoInitAssignRawDevice(k: &mut Kx, _globals: Ptr, init: Ptr, class: Ptr) -> KResult<NtStatus> {
    if class.0 == 0 {
        return Err(violation::null_parameter(k, "WdfPdoInitAssignRawDevice", "DeviceClassGuid"));
    }
    let mut guid = [0u8; 16];
    k.mem().read(class.0, &mut guid)?;
    set_ids(k, "WdfPdoInitAssignRawDevice", init, |i| i.raw = true)?;
    Ok(status::SUCCESS)
}

/// VOID WdfPdoInitSetEventCallbacks(PWDFDEVICE_INIT DeviceInit, PWDF_PDO_EVENT_CALLBACKS
/// DispatchTable)
pub fn WdfPdoInitSetEventCallbacks(k: &mut Kx, _globals: Ptr, init: Ptr, table: Ptr) -> KResult<()> {
    pdo_init(k, "WdfPdoInitSetEventCallbacks", init)?;
    if table.0 == 0 {
        return Err(violation::null_parameter(k, "WdfPdoInitSetEventCallbacks", "DispatchTable"));
    }
    let ps = k.arch().ptr_size();
    let m = k.mem();
    let size = m.read_u32(table.0)? as u64;
    // Size, then the routines, pointer-aligned.
    let at = |i: u64| -> KResult<u64> {
        let off = ps + i * ps;
        Ok(if off + ps <= size { m.read_ptr(table.0 + off)? } else { 0 })
    };
    let c = PdoCallbacks {
        resource_requirements_query: at(0)?,
        resources_query: at(1)?,
        eject: at(2)?,
        set_lock: at(3)?,
        enable_wake_at_bus: at(4)?,
        disable_wake_at_bus: at(5)?,
        reported_missing: at(6)?,
    };
    set_ids(k, "WdfPdoInitSetEventCallbacks", init, |i| i.callbacks = c)
}

/// VOID WdfPdoInitAllowForwardingRequestToParent(PWDFDEVICE_INIT DeviceInit)
pub fn WdfPdoInitAllowForwardingRequestToParent(k: &mut Kx, _globals: Ptr, init: Ptr) -> KResult<()> {
    set_ids(k, "WdfPdoInitAllowForwardingRequestToParent", init, |i| i.forward_to_parent = true)
}

/// WdfDeviceCreate of a PDO's DeviceInit: a device ID is required (STATUS_INVALID_DEVICE_STATE
/// without one). The device object gets a name of the bus's series, as PnP requires.
pub(crate) fn check_create(ids: &PdoIds) -> Option<NtStatus> {
    if ids.device_id.is_none() {
        return Some(INVALID_DEVICE_STATE);
    }
    None
}

/// What WDF_DEVICE_PNP_CAPABILITIES or WDF_DEVICE_POWER_CAPABILITIES said about the
/// DEVICE_CAPABILITIES a PDO answers: bits to force on or off (a WDF_TRI_STATE other than
/// WdfUseDefault) and fields to write (offset, value) where the driver gave a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapabilityOverrides {
    pub set: u32,
    pub clear: u32,
    pub writes: Vec<(u64, u32)>,
}

impl CapabilityOverrides {
    fn tri_state(&mut self, value: u32, bit: u32) {
        // WdfFalse 0, WdfTrue 1, WdfUseDefault 2.
        match value {
            0 => self.clear |= 1 << bit,
            1 => self.set |= 1 << bit,
            _ => {}
        }
    }

    fn apply(&self, k: &mut Kx, caps: u64) -> KResult<()> {
        let bits = k.mem().read_u32(caps + 4)?;
        k.mem_mut().write_u32(caps + 4, (bits | self.set) & !self.clear)?;
        for (off, v) in &self.writes {
            k.mem_mut().write_u32(caps + off, *v)?;
        }
        Ok(())
    }
}

/// The DEVICE_CAPABILITIES bit of each WDF_DEVICE_PNP_CAPABILITIES field, in its order:
/// LockSupported, EjectSupported, Removable, DockDevice, UniqueID, SilentInstall,
/// SurpriseRemovalOK, HardwareDisabled, NoDisplayInUI.
const PNP_CAPABILITY_BITS: [u32; 9] = [2, 3, 4, 5, 6, 7, 9, 14, 17];

/// VOID WdfDeviceSetPnpCapabilities(WDFDEVICE Device, PWDF_DEVICE_PNP_CAPABILITIES
/// PnpCapabilities): applied to the IRP_MN_QUERY_CAPABILITIES a PDO answers. (A function
/// device's overrides would be applied on the IRP's way back up, which the framework here
/// does not intercept: they are kept but not applied.)
pub fn WdfDeviceSetPnpCapabilities(k: &mut Kx, _globals: Ptr, device_h: Ptr, caps: Ptr) -> KResult<()> {
    device::device(k, "WdfDeviceSetPnpCapabilities", device_h.0)?;
    if caps.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceSetPnpCapabilities", "PnpCapabilities"));
    }
    let m = k.mem();
    let mut c = CapabilityOverrides::default();
    for (i, bit) in PNP_CAPABILITY_BITS.iter().enumerate() {
        c.tri_state(m.read_u32(caps.0 + 4 + 4 * i as u64)?, *bit);
    }
    // Address and UINumber: (ULONG)-1 leaves the bus's value.
    for (from, to) in [(40, 8), (44, 0xC)] {
        let v = m.read_u32(caps.0 + from)?;
        if v != u32::MAX {
            c.writes.push((to, v));
        }
    }
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
        d.pnp_capabilities = Some(c);
    }
    Ok(())
}

/// VOID WdfDeviceSetPowerCapabilities(WDFDEVICE Device, PWDF_DEVICE_POWER_CAPABILITIES
/// PowerCapabilities): DeviceD1/D2 and WakeFromD0..D3 (tri-states), the S-to-D state map
/// (PowerDeviceMaximum: the default), DeviceWake/SystemWake (their Maximum: the default) and
/// the latencies ((ULONG)-1: the default), applied as WdfDeviceSetPnpCapabilities' are.
pub fn WdfDeviceSetPowerCapabilities(k: &mut Kx, _globals: Ptr, device_h: Ptr, caps: Ptr) -> KResult<()> {
    device::device(k, "WdfDeviceSetPowerCapabilities", device_h.0)?;
    if caps.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceSetPowerCapabilities", "PowerCapabilities"));
    }
    const POWER_DEVICE_MAXIMUM: u32 = 5;
    const POWER_SYSTEM_MAXIMUM: u32 = 7;
    let m = k.mem();
    let mut c = CapabilityOverrides::default();
    // DeviceD1, DeviceD2, WakeFromD0, WakeFromD1, WakeFromD2, WakeFromD3.
    for (i, bit) in [0u32, 1, 10, 11, 12, 13].iter().enumerate() {
        c.tri_state(m.read_u32(caps.0 + 4 + 4 * i as u64)?, *bit);
    }
    for s in 0..7u64 {
        let v = m.read_u32(caps.0 + 28 + 4 * s)?;
        if v != POWER_DEVICE_MAXIMUM {
            c.writes.push((0x10 + 4 * s, v));
        }
    }
    let device_wake = m.read_u32(caps.0 + 56)?;
    if device_wake != POWER_DEVICE_MAXIMUM {
        c.writes.push((0x30, device_wake));
    }
    let system_wake = m.read_u32(caps.0 + 60)?;
    if system_wake != POWER_SYSTEM_MAXIMUM {
        c.writes.push((0x2C, system_wake));
    }
    for i in 0..3u64 {
        let v = m.read_u32(caps.0 + 64 + 4 * i)?;
        if v != u32::MAX {
            c.writes.push((0x34 + 4 * i, v));
        }
    }
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
        d.power_capabilities = Some(c);
    }
    Ok(())
}

/// The WDFDEVICE `handle`, which must be a PDO.
fn pdo_device(k: &mut Kx, function: &str, handle: u64) -> KResult<(Device, PdoIds)> {
    let d = device::device(k, function, handle)?;
    match d.child.clone() {
        Some(ids) => Ok((d, ids)),
        None => {
            let at = crate::kernel::caller(k);
            Err(violation::raise(
                k,
                [violation::code::VERIFIER_FATAL_ERROR, handle, 0, 0],
                at,
                format!("{function}: {handle:#x} is not a PDO"),
            ))
        }
    }
}

/// The function device `handle` (not a PDO, not a control device).
fn fdo_device(k: &mut Kx, function: &str, handle: u64) -> KResult<Device> {
    let d = device::device(k, function, handle)?;
    if d.control || d.child.is_some() || d.lower == 0 {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, handle, 0, 0],
            at,
            format!("{function}: {handle:#x} is not a function device"),
        ));
    }
    Ok(d)
}

/// WDFDEVICE WdfPdoGetParent(WDFDEVICE Device)
pub fn WdfPdoGetParent(k: &mut Kx, _globals: Ptr, pdo: Ptr) -> KResult<Ptr> {
    Ok(Ptr(pdo_device(k, "WdfPdoGetParent", pdo.0)?.1.parent))
}

/// The parent's PDO gets its relations queried again, once the parent has started (before,
/// its start queries them anyway).
pub(crate) fn invalidate(k: &mut Kx, parent: &Device) -> KResult<()> {
    if parent.started {
        crate::pnp::relations::IoInvalidateDeviceRelations(k, Ptr(parent.pdo), BUS_RELATIONS as u32)?;
    }
    Ok(())
}

/// NTSTATUS WdfFdoAddStaticChild(WDFDEVICE Fdo, WDFDEVICE Child): the PDO joins the FDO's
/// static list (pending until the next BusRelations); a PDO of another parent, or one listed
/// already, is STATUS_INVALID_DEVICE_REQUEST.
pub fn WdfFdoAddStaticChild(k: &mut Kx, _globals: Ptr, fdo: Ptr, child: Ptr) -> KResult<NtStatus> {
    let parent = fdo_device(k, "WdfFdoAddStaticChild", fdo.0)?;
    let (_, ids) = pdo_device(k, "WdfFdoAddStaticChild", child.0)?;
    if ids.parent != fdo.0 || parent.static_children.iter().any(|c| c.device == child.0) {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&fdo.0) {
        d.static_children.push(StaticChild { device: child.0, state: ChildState::Pending });
    }
    invalidate(k, &parent)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfPdoMarkMissing(WDFDEVICE Device): the static child is left out of the next
/// BusRelations; STATUS_NO_SUCH_DEVICE for one that is not listed (or missing already).
pub fn WdfPdoMarkMissing(k: &mut Kx, _globals: Ptr, pdo: Ptr) -> KResult<NtStatus> {
    let (_, ids) = pdo_device(k, "WdfPdoMarkMissing", pdo.0)?;
    let parent = device::device(k, "WdfPdoMarkMissing", ids.parent)?;
    let Some(i) = parent.static_children.iter().position(|c| c.device == pdo.0 && c.state != ChildState::Missing)
    else {
        return Ok(status::NO_SUCH_DEVICE);
    };
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&ids.parent) {
        d.static_children[i].state = ChildState::Missing;
    }
    invalidate(k, &parent)?;
    Ok(status::SUCCESS)
}

/// VOID WdfFdoLockStaticChildListForIteration(WDFDEVICE Fdo): no other thread changes the
/// list here while the driver runs, so the lock is a nesting count the unlock must match.
pub fn WdfFdoLockStaticChildListForIteration(k: &mut Kx, _globals: Ptr, fdo: Ptr) -> KResult<()> {
    fdo_device(k, "WdfFdoLockStaticChildListForIteration", fdo.0)?;
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&fdo.0) {
        d.static_iterations += 1;
    }
    Ok(())
}

/// VOID WdfFdoUnlockStaticChildListFromIteration(WDFDEVICE Fdo)
pub fn WdfFdoUnlockStaticChildListFromIteration(k: &mut Kx, _globals: Ptr, fdo: Ptr) -> KResult<()> {
    let d = fdo_device(k, "WdfFdoUnlockStaticChildListFromIteration", fdo.0)?;
    if d.static_iterations == 0 {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, fdo.0, 0, 0],
            at,
            "WdfFdoUnlockStaticChildListFromIteration without WdfFdoLockStaticChildListForIteration".into(),
        ));
    }
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&fdo.0) {
        d.static_iterations -= 1;
    }
    Ok(())
}

/// WDFDEVICE WdfFdoRetrieveNextStaticChild(WDFDEVICE Fdo, WDFDEVICE PreviousChild, ULONG
/// Flags): the next child after `PreviousChild` (NULL: the first) whose state `Flags`
/// selects (WdfRetrievePresentChildren, WdfRetrieveMissingChildren,
/// WdfRetrievePendingChildren); NULL at the end. Only inside a locked iteration.
pub fn WdfFdoRetrieveNextStaticChild(k: &mut Kx, _globals: Ptr, fdo: Ptr, previous: Ptr, flags: u32) -> KResult<Ptr> {
    let d = fdo_device(k, "WdfFdoRetrieveNextStaticChild", fdo.0)?;
    if d.static_iterations == 0 || flags & 7 == 0 {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, fdo.0, flags as u64, 0],
            at,
            "WdfFdoRetrieveNextStaticChild outside a locked iteration or with no flags".into(),
        ));
    }
    let start = if previous.0 == 0 {
        0
    } else {
        match d.static_children.iter().position(|c| c.device == previous.0) {
            Some(i) => i + 1,
            None => return Ok(Ptr(0)),
        }
    };
    let wanted = |s: ChildState| match s {
        ChildState::Present => flags & retrieve::PRESENT != 0,
        ChildState::Missing => flags & retrieve::MISSING != 0,
        ChildState::Pending => flags & retrieve::PENDING != 0,
    };
    Ok(Ptr(d.static_children[start..].iter().find(|c| wanted(c.state)).map_or(0, |c| c.device)))
}

/// IRP_MN_QUERY_DEVICE_RELATIONS BusRelations at a framework FDO with static children: the
/// relations the IRP carries (from a filter above) plus every child not missing, each
/// referenced for the PnP manager; then down the stack. Reported children are present.
pub(crate) fn bus_relations(k: &mut Kx, device_h: u64, dev: &Device, irp_addr: u64) -> KResult<NtStatus> {
    let (st, information) = irp::status_of(k, irp_addr)?;
    let ps = k.arch().ptr_size();
    let mut objects = Vec::new();
    if st.is_success() && information != 0 && k.ext().pool.block(information).is_some() {
        let n = k.mem().read_u32(information)?.min(256) as u64;
        for i in 0..n {
            objects.push(k.mem().read_ptr(information + ps + i * ps)?);
        }
        pool::free(k, information, None, 0)?;
    }
    objects.extend(super::child_list::relations(k, dev)?);
    let mut children = dev.static_children.clone();
    for c in children.iter_mut().filter(|c| c.state != ChildState::Missing) {
        let Some(wdm) = k.ext().wdf.devices.get(&c.device).map(|d| d.wdm) else { continue };
        if let Some(info) = k.ext_mut().objects.get_mut(wdm) {
            info.references += 1;
        }
        objects.push(wdm);
        c.state = ChildState::Present;
    }
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h) {
        d.static_children = children;
    }
    let list = pool::kernel_alloc(k, ps + ps * objects.len().max(1) as u64, b"FxDr")?;
    k.mem_mut().write_u32(list, objects.len() as u32)?;
    for (i, o) in objects.iter().enumerate() {
        k.mem_mut().write_ptr(list + ps + i as u64 * ps, *o)?;
    }
    irp::set_status(k, irp_addr, status::SUCCESS, list)?;
    super::queue::pass_down(k, dev.lower, irp_addr)
}

/// A NUL-terminated (`multi`: doubly terminated list of) string(s) in pool for an IRP's
/// Information.
fn pool_strings(k: &mut Kx, strings: &[String], multi: bool) -> KResult<u64> {
    let mut units: Vec<u16> = Vec::new();
    for s in strings {
        units.extend(s.encode_utf16());
        units.push(0);
    }
    if multi || units.is_empty() {
        units.push(0);
    }
    let at = pool::kernel_alloc(k, units.len() as u64 * 2, b"FxId")?;
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    k.mem_mut().write(at, &bytes)?;
    Ok(at)
}

/// The text of `locale`, else of the default locale, else the first.
fn text_for(ids: &PdoIds, locale: u32) -> Option<&(u32, String, Option<String>)> {
    ids.texts
        .iter()
        .find(|t| t.0 == locale)
        .or_else(|| ids.default_locale.and_then(|l| ids.texts.iter().find(|t| t.0 == l)))
        .or_else(|| ids.texts.first())
}

/// IRP_MJ_PNP at a framework PDO: the framework is the bus driver of the stack and
/// completes every PnP IRP; what it does not handle keeps the status it came with.
pub(crate) fn dispatch_pnp(k: &mut Kx, device_h: u64, dev: &Device, irp_addr: u64, mn: u8) -> KResult<NtStatus> {
    use crate::pnp::minor;
    if mn == minor::QUERY_INTERFACE {
        if let Some(st) = super::query_interface::dispatch(k, device_h, dev, irp_addr)? {
            return Ok(st);
        }
    }
    let ids = dev.child.clone().unwrap_or_default();
    let loc = k.mem().get(irp_addr, IRP::CurrentStackLocation)?;
    let arg1 = k.mem().get(loc, IO_STACK_LOCATION::Argument1)?;
    let (current, information) = irp::status_of(k, irp_addr)?;
    let answer: Option<(NtStatus, u64)> = match mn {
        minor::QUERY_ID => {
            let one = |s: &Option<String>| s.clone().map(|s| vec![s]);
            let (strings, multi) = match arg1 & 0xffff_ffff {
                query_id::DEVICE_ID => (one(&ids.device_id), false),
                query_id::INSTANCE_ID => (one(&ids.instance_id), false),
                query_id::CONTAINER_ID => (one(&ids.container_id), false),
                query_id::HARDWARE_IDS => (Some(ids.hardware_ids.clone()).filter(|v| !v.is_empty()), true),
                query_id::COMPATIBLE_IDS => (Some(ids.compatible_ids.clone()).filter(|v| !v.is_empty()), true),
                _ => (None, false),
            };
            match strings {
                Some(s) => Some((status::SUCCESS, pool_strings(k, &s, multi)?)),
                None => None,
            }
        }
        minor::QUERY_DEVICE_TEXT => {
            let locale = k.mem().get(loc, IO_STACK_LOCATION::Argument2)? as u32;
            let text = text_for(&ids, locale).cloned();
            let chosen = match (arg1 & 0xffff_ffff, text) {
                (0, Some(t)) => Some(t.1),
                (1, Some(t)) => t.2,
                _ => None,
            };
            match chosen {
                Some(s) => Some((status::SUCCESS, pool_strings(k, &[s], false)?)),
                None => None,
            }
        }
        minor::QUERY_CAPABILITIES => {
            if arg1 != 0 {
                if ids.raw {
                    let bits = k.mem().read_u32(arg1 + 4)?;
                    k.mem_mut().write_u32(arg1 + 4, bits | RAW_DEVICE_OK)?;
                }
                for c in [&dev.pnp_capabilities, &dev.power_capabilities].into_iter().flatten() {
                    c.apply(k, arg1)?;
                }
            }
            Some((status::SUCCESS, information))
        }
        minor::QUERY_BUS_INFORMATION => {
            let parent = k.ext().wdf.devices.get(&ids.parent).and_then(|p| p.bus_information_for_children.clone());
            match parent {
                Some(bytes) => {
                    let at = pool::kernel_alloc(k, bytes.len() as u64, b"FxBi")?;
                    k.mem_mut().write(at, &bytes)?;
                    Some((status::SUCCESS, at))
                }
                None => None,
            }
        }
        minor::QUERY_DEVICE_RELATIONS if arg1 & 0xffff_ffff == TARGET_DEVICE_RELATION => {
            let ps = k.arch().ptr_size();
            let list = pool::kernel_alloc(k, 2 * ps, b"FxDr")?;
            k.mem_mut().write_u32(list, 1)?;
            k.mem_mut().write_ptr(list + ps, dev.wdm)?;
            if let Some(info) = k.ext_mut().objects.get_mut(dev.wdm) {
                info.references += 1;
            }
            Some((status::SUCCESS, list))
        }
        minor::START_DEVICE => {
            let st = super::pnp::run_start(k, device_h, irp_addr)?;
            Some((st, 0))
        }
        minor::REMOVE_DEVICE => {
            super::pnp::stop_started(k, device_h)?;
            let parent = k.ext().wdf.devices.get(&ids.parent);
            let missing = parent.is_none_or(|p| {
                p.static_children.iter().any(|c| c.device == device_h && c.state == ChildState::Missing)
            }) || super::child_list::reported_missing(k, device_h);
            irp::set_status(k, irp_addr, status::SUCCESS, 0)?;
            irp::complete(k, Ptr(irp_addr), 0)?;
            if missing {
                // Reported missing and now removed: EvtDeviceReportedMissing, then the
                // framework deletes the PDO.
                call(k, ids.callbacks.reported_missing, &[device_h])?;
                if let Some(p) = k.ext_mut().wdf.devices.get_mut(&ids.parent) {
                    p.static_children.retain(|c| c.device != device_h);
                }
                super::child_list::forget_pdo(k, device_h)?;
                object::delete(k, device_h)?;
            }
            return Ok(status::SUCCESS);
        }
        minor::EJECT => {
            let st =
                if ids.callbacks.eject != 0 { call(k, ids.callbacks.eject, &[device_h])? } else { status::SUCCESS };
            if st.is_success() {
                // Ejected: the child is missing, so the next enumeration does not report it.
                ejected(k, device_h, &ids)?;
            }
            Some((st, 0))
        }
        minor::QUERY_REMOVE_DEVICE
        | minor::CANCEL_REMOVE_DEVICE
        | minor::STOP_DEVICE
        | minor::SURPRISE_REMOVAL
        | QUERY_STOP_DEVICE
        | CANCEL_STOP_DEVICE => Some((status::SUCCESS, 0)),
        _ => None,
    };
    let (st, info) = answer.unwrap_or((current, information));
    irp::set_status(k, irp_addr, st, info)?;
    irp::complete(k, Ptr(irp_addr), 0)?;
    Ok(st)
}

/// A driver callback returning NTSTATUS (or VOID: its value is then unused).
fn call(k: &mut Kx, routine: u64, args: &[u64]) -> KResult<NtStatus> {
    if routine == 0 {
        return Ok(status::SUCCESS);
    }
    let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, routine, args, conv).map_err(crate::kernel::KError::Stop)?;
    Ok(NtStatus(r as u32))
}

/// After a successful IRP_MN_EJECT: a static child is marked missing (as WdfPdoMarkMissing
/// does), a dynamic one's description is no longer present.
fn ejected(k: &mut Kx, device_h: u64, ids: &PdoIds) -> KResult<()> {
    if ids.child_list != 0 {
        return super::child_list::ejected(k, device_h);
    }
    let Some(parent) = k.ext().wdf.devices.get(&ids.parent).cloned() else { return Ok(()) };
    let Some(i) = parent.static_children.iter().position(|c| c.device == device_h && c.state != ChildState::Missing)
    else {
        return Ok(());
    };
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&ids.parent) {
        d.static_children[i].state = ChildState::Missing;
    }
    invalidate(k, &parent)
}

/// IRP_MN_QUERY_STOP_DEVICE and IRP_MN_CANCEL_STOP_DEVICE.
const QUERY_STOP_DEVICE: u8 = 0x05;
const CANCEL_STOP_DEVICE: u8 = 0x06;

/// IRP_MJ_POWER at a framework PDO: the bottom of the stack completes set and query power
/// with success (the emulated machine stays in S0/D0), others with their status.
pub(crate) fn dispatch_power(k: &mut Kx, irp_addr: u64, mn: u8) -> KResult<NtStatus> {
    let (current, information) = irp::status_of(k, irp_addr)?;
    // IRP_MN_SET_POWER (2), IRP_MN_QUERY_POWER (3).
    let st = if mn == 2 || mn == 3 { status::SUCCESS } else { current };
    irp::set_status(k, irp_addr, st, information)?;
    irp::complete(k, Ptr(irp_addr), 0)?;
    Ok(st)
}
