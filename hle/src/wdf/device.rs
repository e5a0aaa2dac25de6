//! WDFDEVICE_INIT and WDFDEVICE (`wdfdevice.h`, `wdfcontrol.h`): control devices made in
//! DriverEntry (WdfControlDeviceInitAllocate .. WdfControlFinishInitializing) and PnP
//! function devices made in EvtDriverDeviceAdd, which the PnP manager reaches through the
//! framework's AddDevice ([`FxAddDevice`]). A WDFDEVICE is a WDM device object the framework
//! created; deleting it removes its symbolic links and the device object.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::object::{self, ObjectKind};
use super::violation;
use crate::io::device_flags;
use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT};
use crate::ob::Owner;
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, Boolean, NtStatus, PUnicodeString, Ptr};

/// FILE_DEVICE_UNKNOWN: the device type the framework gives a device that names none.
const FILE_DEVICE_UNKNOWN: u32 = 0x22;
/// STATUS_INFO_LENGTH_MISMATCH.
const INFO_LENGTH_MISMATCH: NtStatus = NtStatus(0xC000_0004);
/// WDF_DEVICE_IO_TYPE.
pub mod io_type {
    pub const NEITHER: u32 = 1;
    pub const BUFFERED: u32 = 2;
    pub const DIRECT: u32 = 3;
}

/// WDF_FILEOBJECT_CLASS (the low bits; WdfFileObjectCanBeOptional is a flag above them).
pub mod file_class {
    pub const NOT_REQUIRED: u32 = 1;
    pub const CANNOT_USE_FS_CONTEXTS: u32 = 4;
}

/// A WDFDEVICE_INIT being filled in.
#[derive(Clone, Debug)]
pub struct DeviceInit {
    pub binding: usize,
    /// For a control device; otherwise the PDO of the PnP device being added.
    pub control: bool,
    pub pdo: u64,
    pub name: Option<String>,
    pub io_type: u32,
    pub exclusive: bool,
    pub device_type: u32,
    pub characteristics: u32,
    /// WdfFdoInitSetFilter: requests it has no queue for go down the stack.
    pub filter: bool,
    pub pnp: PnpPowerCallbacks,
    pub power_policy: PowerPolicyCallbacks,
    pub file: FileConfig,
    /// EvtIoInCallerContext (WdfDeviceInitSetIoInCallerContextCallback).
    pub in_caller_context: u64,
    /// A child PDO's DeviceInit (WdfPdoInitAllocate): its parent and identifiers.
    pub child: Option<super::pdo::PdoIds>,
    /// WdfFdoInitSetDefaultChildListConfig: the default child list's config and attributes.
    pub default_child_list: Option<(super::child_list::Config, object::Attributes)>,
}

/// What WDF_POWER_POLICY_EVENT_CALLBACKS named: arming for wake and its triggers, which
/// only idle and system sleep reach (the emulated machine keeps its devices in D0 and S0).
#[derive(Clone, Copy, Debug, Default)]
pub struct PowerPolicyCallbacks {
    pub arm_wake_from_s0: u64,
    pub disarm_wake_from_s0: u64,
    pub wake_from_s0_triggered: u64,
    pub arm_wake_from_sx: u64,
    pub disarm_wake_from_sx: u64,
    pub wake_from_sx_triggered: u64,
}

/// What WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct S0IdleSettings {
    pub idle_caps: u32,
    pub dx_state: u32,
    pub idle_timeout_ms: u32,
    pub enabled: u32,
}

/// What WDF_PNPPOWER_EVENT_CALLBACKS named (the PnP start and remove sequences).
#[derive(Clone, Copy, Debug, Default)]
pub struct PnpPowerCallbacks {
    pub d0_entry: u64,
    pub d0_entry_post_interrupts: u64,
    pub d0_exit: u64,
    pub d0_exit_pre_interrupts: u64,
    pub prepare_hardware: u64,
    pub release_hardware: u64,
    pub self_managed_io_cleanup: u64,
    pub self_managed_io_init: u64,
    pub self_managed_io_suspend: u64,
}

/// What WDF_FILEOBJECT_CONFIG named, with the file objects' attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileConfig {
    pub create: u64,
    pub close: u64,
    pub cleanup: u64,
    /// WDF_FILEOBJECT_CLASS: WdfFileObjectNotRequired (1) makes no WDFFILEOBJECTs.
    pub class: u32,
    pub attributes: object::Attributes,
}

/// A WDFDEVICE.
#[derive(Clone, Debug, Default)]
pub struct Device {
    /// Its DEVICE_OBJECT.
    pub wdm: u64,
    /// The PDO of its stack (PnP devices).
    pub pdo: u64,
    /// The device it is attached to (PnP function devices).
    pub lower: u64,
    pub control: bool,
    pub io_type: u32,
    pub default_queue: Option<u64>,
    /// Queues WdfDeviceConfigureRequestDispatching chose, by major function.
    pub dispatch: Vec<(u8, u64)>,
    pub links: Vec<String>,
    pub filter: bool,
    pub pnp: PnpPowerCallbacks,
    pub power_policy: PowerPolicyCallbacks,
    pub file: FileConfig,
    /// EvtIoInCallerContext: every read, write and device control request goes to it, in
    /// the requester's context, before any queue.
    pub in_caller_context: u64,
    /// Through EvtDevicePrepareHardware and EvtDeviceD0Entry (the PnP start sequence).
    pub started: bool,
    /// WdfDeviceAssignS0IdleSettings' settings (the device powers down when idle only on a
    /// real machine: the emulated one never lets its idle timeout expire).
    pub s0_idle: Option<S0IdleSettings>,
    /// The PNP_BUS_INFORMATION (24 bytes) its child PDOs answer IRP_MN_QUERY_BUS_INFORMATION
    /// with (WdfDeviceSetBusInformationForChildren).
    pub bus_information_for_children: Option<Vec<u8>>,
    /// The WDFCMRESLISTs (raw, translated) of its start.
    pub resources: Option<(u64, u64)>,
    /// Its WDFINTERRUPTs, in the order they were created.
    pub interrupts: Vec<u64>,
    /// A child PDO: its parent and identifiers.
    pub child: Option<super::pdo::PdoIds>,
    /// An FDO's static child list (WdfFdoAddStaticChild), and how deep its iteration lock is.
    pub static_children: Vec<super::pdo::StaticChild>,
    pub static_iterations: u32,
    /// An FDO's WDFCHILDLISTs (dynamic enumeration), and its default one (0: none).
    pub child_lists: Vec<u64>,
    pub default_child_list: u64,
    /// WdfDeviceSetPnpCapabilities, WdfDeviceSetPowerCapabilities.
    pub pnp_capabilities: Option<super::pdo::CapabilityOverrides>,
    pub power_capabilities: Option<super::pdo::CapabilityOverrides>,
    /// WdfDeviceAddQueryInterface: the interfaces it answers IRP_MN_QUERY_INTERFACE with.
    pub query_interfaces: Vec<super::query_interface::QueryInterface>,
}

pub(crate) fn init_of(k: &mut Kx, function: &str, init: u64) -> KResult<DeviceInit> {
    if init == 0 {
        return Err(violation::null_parameter(k, function, "DeviceInit"));
    }
    match k.ext().wdf.device_inits.get(&init) {
        Some(i) => Ok(i.clone()),
        None => {
            let at = crate::kernel::caller(k);
            Err(violation::raise(
                k,
                [violation::code::VERIFIER_FATAL_ERROR, init, 0, 0],
                at,
                format!("{function}: {init:#x} is not a WDFDEVICE_INIT the framework handed out"),
            ))
        }
    }
}

pub(crate) fn update(k: &mut Kx, function: &str, init: Ptr, f: impl FnOnce(&mut DeviceInit)) -> KResult<()> {
    init_of(k, function, init.0)?;
    if let Some(i) = k.ext_mut().wdf.device_inits.get_mut(&init.0) {
        f(i);
    }
    Ok(())
}

pub(crate) fn new_init(k: &mut Kx, binding: usize, control: bool, pdo: u64) -> KResult<u64> {
    let h = crate::ob::body::alloc(k, 16)?;
    let init = DeviceInit {
        binding,
        control,
        pdo,
        name: None,
        io_type: io_type::BUFFERED,
        exclusive: false,
        device_type: FILE_DEVICE_UNKNOWN,
        characteristics: 0,
        filter: false,
        pnp: PnpPowerCallbacks::default(),
        power_policy: PowerPolicyCallbacks::default(),
        file: FileConfig { class: file_class::CANNOT_USE_FS_CONTEXTS, ..Default::default() },
        in_caller_context: 0,
        child: None,
        default_child_list: None,
    };
    k.ext_mut().wdf.device_inits.insert(h, init);
    Ok(h)
}

pub(crate) fn free_init(k: &mut Kx, init: u64) {
    if k.ext_mut().wdf.device_inits.remove(&init).is_some() {
        crate::ob::body::free(k, init);
    }
}

/// PWDFDEVICE_INIT WdfControlDeviceInitAllocate(WDFDRIVER Driver, PCUNICODE_STRING
/// SDDLString): a DeviceInit for a control device. The SDDL string is required.
pub fn WdfControlDeviceInitAllocate(k: &mut Kx, _globals: Ptr, driver: Ptr, sddl: PUnicodeString) -> KResult<Ptr> {
    let d = object::expect(k, "WdfControlDeviceInitAllocate", driver.0, ObjectKind::Driver)?;
    if sddl.0 == 0 {
        return Err(violation::null_parameter(k, "WdfControlDeviceInitAllocate", "SDDLString"));
    }
    read_unicode_string(k, sddl.0)?;
    Ok(Ptr(new_init(k, d.binding, true, 0)?))
}

/// VOID WdfDeviceInitFree(PWDFDEVICE_INIT DeviceInit)
pub fn WdfDeviceInitFree(k: &mut Kx, _globals: Ptr, init: Ptr) -> KResult<()> {
    init_of(k, "WdfDeviceInitFree", init.0)?;
    free_init(k, init.0);
    Ok(())
}

/// NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING
/// DeviceName): NULL clears the name.
pub fn WdfDeviceInitAssignName(k: &mut Kx, _globals: Ptr, init: Ptr, name: PUnicodeString) -> KResult<NtStatus> {
    init_of(k, "WdfDeviceInitAssignName", init.0)?;
    let name = if name.0 == 0 { None } else { Some(read_unicode_string(k, name.0)?) };
    update(k, "WdfDeviceInitAssignName", init, |i| i.name = name)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfDeviceInitAssignSDDLString(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING
/// SDDLString)
pub fn WdfDeviceInitAssignSDDLString(k: &mut Kx, _globals: Ptr, init: Ptr, sddl: PUnicodeString) -> KResult<NtStatus> {
    init_of(k, "WdfDeviceInitAssignSDDLString", init.0)?;
    if sddl.0 != 0 {
        read_unicode_string(k, sddl.0)?;
    }
    Ok(status::SUCCESS)
}

/// VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType)
pub fn WdfDeviceInitSetIoType(k: &mut Kx, _globals: Ptr, init: Ptr, io: u32) -> KResult<()> {
    update(k, "WdfDeviceInitSetIoType", init, |i| {
        if (io_type::NEITHER..=io_type::DIRECT).contains(&io) {
            i.io_type = io;
        }
    })
}

/// VOID WdfDeviceInitSetExclusive(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive)
pub fn WdfDeviceInitSetExclusive(k: &mut Kx, _globals: Ptr, init: Ptr, exclusive: Boolean) -> KResult<()> {
    update(k, "WdfDeviceInitSetExclusive", init, |i| i.exclusive = exclusive.0)
}

/// VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType)
pub fn WdfDeviceInitSetDeviceType(k: &mut Kx, _globals: Ptr, init: Ptr, device_type: u32) -> KResult<()> {
    update(k, "WdfDeviceInitSetDeviceType", init, |i| i.device_type = device_type)
}

/// VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit, ULONG
/// DeviceCharacteristics, BOOLEAN OrInValues)
pub fn WdfDeviceInitSetCharacteristics(
    k: &mut Kx,
    _globals: Ptr,
    init: Ptr,
    characteristics: u32,
    or_in: Boolean,
) -> KResult<()> {
    update(k, "WdfDeviceInitSetCharacteristics", init, |i| {
        i.characteristics = if or_in.0 { i.characteristics | characteristics } else { characteristics }
    })
}

/// VOID WdfFdoInitSetFilter(PWDFDEVICE_INIT DeviceInit): the device is a filter — requests
/// of a type it has no queue for pass to the device below instead of failing.
pub fn WdfFdoInitSetFilter(k: &mut Kx, _globals: Ptr, init: Ptr) -> KResult<()> {
    update(k, "WdfFdoInitSetFilter", init, |i| i.filter = true)
}

/// VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit,
/// PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks)
pub fn WdfDeviceInitSetPnpPowerEventCallbacks(k: &mut Kx, _globals: Ptr, init: Ptr, callbacks: Ptr) -> KResult<()> {
    init_of(k, "WdfDeviceInitSetPnpPowerEventCallbacks", init.0)?;
    if callbacks.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceInitSetPnpPowerEventCallbacks", "PnpPowerEventCallbacks"));
    }
    use super::layout::WDF_PNPPOWER_EVENT_CALLBACKS as C;
    let m = k.mem();
    let c = |f| m.get(callbacks.0, f);
    let pnp = PnpPowerCallbacks {
        d0_entry: c(C::EvtDeviceD0Entry)?,
        d0_entry_post_interrupts: c(C::EvtDeviceD0EntryPostInterruptsEnabled)?,
        d0_exit: c(C::EvtDeviceD0Exit)?,
        d0_exit_pre_interrupts: c(C::EvtDeviceD0ExitPreInterruptsDisabled)?,
        prepare_hardware: c(C::EvtDevicePrepareHardware)?,
        release_hardware: c(C::EvtDeviceReleaseHardware)?,
        self_managed_io_cleanup: c(C::EvtDeviceSelfManagedIoCleanup)?,
        self_managed_io_init: c(C::EvtDeviceSelfManagedIoInit)?,
        self_managed_io_suspend: c(C::EvtDeviceSelfManagedIoSuspend)?,
    };
    update(k, "WdfDeviceInitSetPnpPowerEventCallbacks", init, |i| i.pnp = pnp)
}

/// VOID WdfDeviceInitSetPowerPolicyEventCallbacks(PWDFDEVICE_INIT DeviceInit,
/// PWDF_POWER_POLICY_EVENT_CALLBACKS PowerPolicyEventCallbacks)
pub fn WdfDeviceInitSetPowerPolicyEventCallbacks(k: &mut Kx, _globals: Ptr, init: Ptr, callbacks: Ptr) -> KResult<()> {
    init_of(k, "WdfDeviceInitSetPowerPolicyEventCallbacks", init.0)?;
    if callbacks.0 == 0 {
        return Err(violation::null_parameter(
            k,
            "WdfDeviceInitSetPowerPolicyEventCallbacks",
            "PowerPolicyEventCallbacks",
        ));
    }
    use super::layout::WDF_POWER_POLICY_EVENT_CALLBACKS as C;
    let m = k.mem();
    let c = |f| m.get(callbacks.0, f);
    let policy = PowerPolicyCallbacks {
        arm_wake_from_s0: c(C::EvtDeviceArmWakeFromS0)?,
        disarm_wake_from_s0: c(C::EvtDeviceDisarmWakeFromS0)?,
        wake_from_s0_triggered: c(C::EvtDeviceWakeFromS0Triggered)?,
        arm_wake_from_sx: c(C::EvtDeviceArmWakeFromSx)?,
        disarm_wake_from_sx: c(C::EvtDeviceDisarmWakeFromSx)?,
        wake_from_sx_triggered: c(C::EvtDeviceWakeFromSxTriggered)?,
    };
    update(k, "WdfDeviceInitSetPowerPolicyEventCallbacks", init, |i| i.power_policy = policy)
}

/// NTSTATUS WdfDeviceQueryProperty(WDFDEVICE Device, DEVICE_REGISTRY_PROPERTY
/// DeviceProperty, ULONG BufferLength, PVOID PropertyBuffer, PULONG ResultLength): the
/// property of the device's PDO (IoGetDeviceProperty); a control device has none.
pub fn WdfDeviceQueryProperty(
    k: &mut Kx,
    _globals: Ptr,
    device_h: Ptr,
    property: u32,
    length: u32,
    buffer: Ptr,
    result: Ptr,
) -> KResult<NtStatus> {
    let d = device(k, "WdfDeviceQueryProperty", device_h.0)?;
    if result.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceQueryProperty", "ResultLength"));
    }
    if d.pdo == 0 {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    crate::pnp::property::IoGetDeviceProperty(k, Ptr(d.pdo), property, length, buffer, result)
}

/// NTSTATUS WdfDeviceAllocAndQueryProperty(WDFDEVICE Device, DEVICE_REGISTRY_PROPERTY
/// DeviceProperty, POOL_TYPE PoolType, PWDF_OBJECT_ATTRIBUTES PropertyMemoryAttributes,
/// WDFMEMORY *PropertyMemory): the property in a WDFMEMORY of its size (a child of the
/// device unless the attributes name a parent); `*PropertyMemory` is NULL on failure.
pub fn WdfDeviceAllocAndQueryProperty(
    k: &mut Kx,
    globals: Ptr,
    device_h: Ptr,
    property: u32,
    pool_type: u32,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let d = device(k, "WdfDeviceAllocAndQueryProperty", device_h.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceAllocAndQueryProperty", "PropertyMemory"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    if d.pdo == 0 {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let b = super::driver::binding(k, "WdfDeviceAllocAndQueryProperty", globals.0)?;
    let len_at = crate::ob::body::alloc(k, 8)?;
    let st = crate::pnp::property::IoGetDeviceProperty(k, Ptr(d.pdo), property, 0, Ptr(0), Ptr(len_at));
    let len = k.mem().read_u32(len_at);
    crate::ob::body::free(k, len_at);
    let (st, len) = (st?, len? as u64);
    if st != status::BUFFER_TOO_SMALL || len == 0 {
        return Ok(if st.is_success() { status::UNSUCCESSFUL } else { st });
    }
    let (memory, buffer) = match super::memory::create(k, b, attributes.0, pool_type, 0, len, Some(device_h.0))? {
        Ok(m) => m,
        Err(st) => return Ok(st),
    };
    let len_at = crate::ob::body::alloc(k, 8)?;
    let st = crate::pnp::property::IoGetDeviceProperty(k, Ptr(d.pdo), property, len as u32, Ptr(buffer), Ptr(len_at));
    crate::ob::body::free(k, len_at);
    let st = st?;
    if !st.is_success() {
        object::delete(k, memory)?;
        return Ok(st);
    }
    k.mem_mut().write_ptr(out.0, memory)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfDeviceAssignS0IdleSettings(WDFDEVICE Device,
/// PWDF_DEVICE_POWER_POLICY_IDLE_SETTINGS Settings): only the power policy owner (a function
/// device; not a filter, not a control device) may; a Size of neither KMDF layout is
/// STATUS_INFO_LENGTH_MISMATCH, capabilities or a device state out of range
/// STATUS_INVALID_PARAMETER.
pub fn WdfDeviceAssignS0IdleSettings(k: &mut Kx, _globals: Ptr, device_h: Ptr, settings: Ptr) -> KResult<NtStatus> {
    let d = device(k, "WdfDeviceAssignS0IdleSettings", device_h.0)?;
    if settings.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceAssignS0IdleSettings", "Settings"));
    }
    if d.control || d.filter {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let m = k.mem();
    let size = m.read_u32(settings.0)?;
    // The layouts drivers are built with: KMDF 1.7's 0x18 bytes, 1.9's 0x1C
    // (PowerUpIdleDeviceOnSystemWake), 1.11's 0x24 (IdleTimeoutType, ExcludeD3Cold).
    if size != 0x18 && size != 0x1C && size != 0x24 {
        return Ok(INFO_LENGTH_MISMATCH);
    }
    let s = S0IdleSettings {
        idle_caps: m.read_u32(settings.0 + 4)?,
        dx_state: m.read_u32(settings.0 + 8)?,
        idle_timeout_ms: m.read_u32(settings.0 + 12)?,
        enabled: m.read_u32(settings.0 + 20)?,
    };
    // IdleCannotWakeFromS0, IdleCanWakeFromS0, IdleUsbSelectiveSuspend; PowerDeviceD1..D3 or
    // PowerDeviceMaximum (the deepest the device supports); WdfFalse, WdfTrue, WdfUseDefault.
    if !(1..=3).contains(&s.idle_caps) || !(2..=5).contains(&s.dx_state) || s.enabled > 2 {
        return Ok(status::INVALID_PARAMETER);
    }
    if let Some(dev) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
        dev.s0_idle = Some(s);
    }
    Ok(status::SUCCESS)
}

/// VOID WdfDeviceSetBusInformationForChildren(WDFDEVICE Device, PPNP_BUS_INFORMATION
/// BusInformation): a copy of the bus type GUID, legacy bus type and bus number the
/// device's child PDOs report.
pub fn WdfDeviceSetBusInformationForChildren(k: &mut Kx, _globals: Ptr, device_h: Ptr, info: Ptr) -> KResult<()> {
    device(k, "WdfDeviceSetBusInformationForChildren", device_h.0)?;
    if info.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceSetBusInformationForChildren", "BusInformation"));
    }
    let mut bytes = vec![0; 24];
    k.mem().read(info.0, &mut bytes)?;
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
        d.bus_information_for_children = Some(bytes);
    }
    Ok(())
}

/// VOID WdfDeviceInitSetFileObjectConfig(PWDFDEVICE_INIT DeviceInit, PWDF_FILEOBJECT_CONFIG
/// FileObjectConfig, PWDF_OBJECT_ATTRIBUTES FileObjectAttributes): the file callbacks, and
/// the attributes (context, cleanup) of each WDFFILEOBJECT.
pub fn WdfDeviceInitSetFileObjectConfig(
    k: &mut Kx,
    _globals: Ptr,
    init: Ptr,
    config: Ptr,
    attributes: Ptr,
) -> KResult<()> {
    init_of(k, "WdfDeviceInitSetFileObjectConfig", init.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceInitSetFileObjectConfig", "FileObjectConfig"));
    }
    use super::layout::WDF_FILEOBJECT_CONFIG as C;
    let m = k.mem();
    let c = |f| m.get(config.0, f);
    let class = c(C::FileObjectClass)? as u32 & 0x7fff_ffff;
    let file = FileConfig {
        create: c(C::EvtDeviceFileCreate)?,
        close: c(C::EvtFileClose)?,
        cleanup: c(C::EvtFileCleanup)?,
        class: if class == 0 { file_class::CANNOT_USE_FS_CONTEXTS } else { class },
        attributes: object::read_attributes(k, attributes.0)?,
    };
    update(k, "WdfDeviceInitSetFileObjectConfig", init, |i| i.file = file)
}

/// A counted string of kernel memory holding `text`, for calls into the I/O manager; freed
/// with [`free_ustr`].
fn temp_ustr(k: &mut Kx, text: &str) -> KResult<u64> {
    let at = crate::ob::body::alloc(k, crate::layout::UNICODE_STRING::STRUCT.size(k.arch()))?;
    crate::io::driver::write_name(k, at, text)?;
    Ok(at)
}

fn free_ustr(k: &mut Kx, at: u64) -> KResult<()> {
    let buf = k.mem().get(at, crate::layout::UNICODE_STRING::Buffer)?;
    crate::ob::body::free(k, buf);
    crate::ob::body::free(k, at);
    Ok(())
}

/// NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES
/// DeviceAttributes, WDFDEVICE *Device): the device object, as the DeviceInit describes it.
/// On success the framework owns the DeviceInit and sets `*DeviceInit` to NULL.
pub fn WdfDeviceCreate(k: &mut Kx, _globals: Ptr, init_ptr: Ptr, attributes: Ptr, out: Ptr) -> KResult<NtStatus> {
    if init_ptr.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceCreate", "DeviceInit"));
    }
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceCreate", "Device"));
    }
    let init_h = k.mem().read_ptr(init_ptr.0)?;
    let init = init_of(k, "WdfDeviceCreate", init_h)?;
    let a = object::read_attributes(k, attributes.0)?;
    let b = init.binding;
    if let Some(st) = init.child.as_ref().and_then(super::pdo::check_create) {
        return Ok(st);
    }
    let driver_object = k.ext().wdf.bindings[b].driver_object;
    // A PDO is named, in the bus's series (FILE_AUTOGENERATED_DEVICE_NAME).
    let pdo_name = match (&init.child, &init.name) {
        (Some(_), None) => Some(crate::pnp::next_pdo_name(k)),
        _ => init.name.clone(),
    };
    let name = match &pdo_name {
        Some(n) => temp_ustr(k, n)?,
        None => 0,
    };
    let slot = crate::ob::body::alloc(k, 8)?;
    let st = crate::io::device::IoCreateDevice(
        k,
        Ptr(driver_object),
        0,
        PUnicodeString(name),
        init.device_type,
        init.characteristics,
        Boolean(init.exclusive),
        Ptr(slot),
    )?;
    let wdm = k.mem().read_ptr(slot)?;
    crate::ob::body::free(k, slot);
    if name != 0 {
        free_ustr(k, name)?;
    }
    if !st.is_success() {
        return Ok(st);
    }
    let flags = k.mem().get(wdm, DEVICE_OBJECT::Flags)?;
    let io_flag = match init.io_type {
        io_type::BUFFERED => device_flags::BUFFERED_IO,
        io_type::DIRECT => device_flags::DIRECT_IO,
        _ => 0,
    };
    let mut lower = 0;
    let mut flags = flags | io_flag;
    let mut pdo = init.pdo;
    if init.child.is_some() {
        // The bottom of its own stack; ready for the PnP manager once reported.
        pdo = wdm;
        flags &= !device_flags::DEVICE_INITIALIZING;
    } else if !init.control {
        lower = crate::io::stack::IoAttachDeviceToDeviceStack(k, Ptr(wdm), Ptr(init.pdo))?.0;
        flags &= !device_flags::DEVICE_INITIALIZING;
        if init.filter && lower != 0 {
            // A filter takes the I/O type and device type of the device below it.
            let below = k.mem().get(lower, DEVICE_OBJECT::Flags)?;
            let io = device_flags::BUFFERED_IO | device_flags::DIRECT_IO;
            flags = (flags & !io) | (below & io);
            let t = k.mem().get(lower, DEVICE_OBJECT::DeviceType)?;
            k.mem_mut().set(wdm, DEVICE_OBJECT::DeviceType, t)?;
        }
    }
    k.mem_mut().set(wdm, DEVICE_OBJECT::Flags, flags)?;
    // A PDO is an object child of its parent FDO: the parent's deletion takes it along.
    let parent = init.child.as_ref().map(|c| c.parent);
    let h = object::create(k, b, ObjectKind::Device, &a, parent)?;
    let dev = Device {
        wdm,
        pdo,
        lower,
        control: init.control,
        io_type: init.io_type,
        filter: init.filter,
        pnp: init.pnp,
        power_policy: init.power_policy,
        file: init.file,
        in_caller_context: init.in_caller_context,
        child: init.child.clone(),
        ..Default::default()
    };
    k.ext_mut().wdf.devices.insert(h, dev);
    k.ext_mut().wdf.by_device_object.insert(wdm, h);
    if let (Some(c), false, None) = (&init.default_child_list, init.control, &init.child) {
        super::child_list::create_default(k, b, h, c)?;
    }
    free_init(k, init_h);
    k.mem_mut().write_ptr(init_ptr.0, 0)?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// The WDFDEVICE `handle`.
pub(crate) fn device(k: &mut Kx, function: &str, handle: u64) -> KResult<Device> {
    object::expect(k, function, handle, ObjectKind::Device)?;
    Ok(k.ext().wdf.devices.get(&handle).cloned().unwrap_or_default())
}

/// NTSTATUS WdfDeviceCreateSymbolicLink(WDFDEVICE Device, PCUNICODE_STRING
/// SymbolicLinkName): a link to the device's name, removed with the device.
pub fn WdfDeviceCreateSymbolicLink(
    k: &mut Kx,
    _globals: Ptr,
    device_h: Ptr,
    link: PUnicodeString,
) -> KResult<NtStatus> {
    let d = device(k, "WdfDeviceCreateSymbolicLink", device_h.0)?;
    if link.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDeviceCreateSymbolicLink", "SymbolicLinkName"));
    }
    let link = read_unicode_string(k, link.0)?;
    let Some(target) = k.ext().objects.get(d.wdm).and_then(|o| o.name.clone()) else {
        return Ok(status::INVALID_DEVICE_REQUEST);
    };
    let owner = k.ext().objects.get(d.wdm).map_or(Owner::Kernel, |o| o.owner);
    match crate::ob::symlink::create(k, &link, &target, owner, true)? {
        Ok(_) => {
            if let Some(dev) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
                dev.links.push(link);
            }
            Ok(status::SUCCESS)
        }
        Err(s) => Ok(s),
    }
}

/// PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device)
pub fn WdfDeviceWdmGetDeviceObject(k: &mut Kx, _globals: Ptr, device_h: Ptr) -> KResult<Ptr> {
    Ok(Ptr(device(k, "WdfDeviceWdmGetDeviceObject", device_h.0)?.wdm))
}

/// PDEVICE_OBJECT WdfDeviceWdmGetAttachedDevice(WDFDEVICE Device): the device below (NULL
/// for a control device).
pub fn WdfDeviceWdmGetAttachedDevice(k: &mut Kx, _globals: Ptr, device_h: Ptr) -> KResult<Ptr> {
    Ok(Ptr(device(k, "WdfDeviceWdmGetAttachedDevice", device_h.0)?.lower))
}

/// PDEVICE_OBJECT WdfDeviceWdmGetPhysicalDevice(WDFDEVICE Device): the PDO of the device's
/// stack (NULL for a control device).
pub fn WdfDeviceWdmGetPhysicalDevice(k: &mut Kx, _globals: Ptr, device_h: Ptr) -> KResult<Ptr> {
    Ok(Ptr(device(k, "WdfDeviceWdmGetPhysicalDevice", device_h.0)?.pdo))
}

/// WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(PDEVICE_OBJECT DeviceObject): NULL for a device
/// object the framework did not create.
pub fn WdfWdmDeviceGetWdfDeviceHandle(k: &mut Kx, _globals: Ptr, device_object: Ptr) -> KResult<Ptr> {
    Ok(Ptr(k.ext().wdf.by_device_object.get(&device_object.0).copied().unwrap_or(0)))
}

/// VOID WdfControlFinishInitializing(WDFDEVICE Device): the control device may receive
/// requests (DO_DEVICE_INITIALIZING cleared).
pub fn WdfControlFinishInitializing(k: &mut Kx, _globals: Ptr, device_h: Ptr) -> KResult<()> {
    let d = device(k, "WdfControlFinishInitializing", device_h.0)?;
    let flags = k.mem().get(d.wdm, DEVICE_OBJECT::Flags)?;
    k.mem_mut().set(d.wdm, DEVICE_OBJECT::Flags, flags & !device_flags::DEVICE_INITIALIZING)?;
    Ok(())
}

/// WDFDRIVER WdfDeviceGetDriver(WDFDEVICE Device)
pub fn WdfDeviceGetDriver(k: &mut Kx, _globals: Ptr, device_h: Ptr) -> KResult<Ptr> {
    let o = object::expect(k, "WdfDeviceGetDriver", device_h.0, ObjectKind::Device)?;
    Ok(Ptr(k.ext().wdf.bindings[o.binding].wdf_driver.unwrap_or(0)))
}

/// The device goes: its links, its attachment, its device object.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(d) = k.ext_mut().wdf.devices.remove(&handle) else { return Ok(()) };
    k.ext_mut().wdf.by_device_object.remove(&d.wdm);
    super::query_interface::free_all(k, &d)?;
    for link in &d.links {
        crate::ob::symlink::delete(k, link)?;
    }
    if d.lower != 0 {
        crate::io::stack::IoDetachDevice(k, Ptr(d.lower))?;
    }
    crate::io::device::IoDeleteDevice(k, Ptr(d.wdm))
}

/// NTSTATUS FxAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject):
/// the framework's AddDevice — a DeviceInit for the PDO, then EvtDriverDeviceAdd. A DeviceInit
/// the callback did not consume is freed.
pub fn FxAddDevice(k: &mut Kx, driver_object: Ptr, pdo: Ptr) -> KResult<NtStatus> {
    let Some(b) = k.ext().wdf.bindings.iter().position(|b| b.driver_object == driver_object.0 && !b.unbound) else {
        return Ok(status::NO_SUCH_DEVICE);
    };
    let (Some(driver), add) = (k.ext().wdf.bindings[b].wdf_driver, k.ext().wdf.bindings[b].config.device_add) else {
        return Ok(status::NO_SUCH_DEVICE);
    };
    let init = new_init(k, b, false, pdo.0)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, add, &[driver, init], conv).map_err(KError::Stop)?;
    free_init(k, init);
    Ok(NtStatus(r as u32))
}
