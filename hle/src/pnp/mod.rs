//! Plug and Play: the emulated bus's physical device objects, the start and remove
//! sequences the PnP manager sends a driver with an AddDevice routine, device properties
//! and registry keys, device interfaces and PnP notifications.
//!
//! The bus is a kernel driver (`\Driver\PnpManager`) whose PDOs (`\Device\00000042`, ...)
//! answer the PnP and power IRPs that reach them as a root bus does. Starting a device:
//! a new PDO, `AddDevice(DriverObject, Pdo)`, then IRP_MN_START_DEVICE with the scenario's
//! resources (raw and translated CM_RESOURCE_LISTs), IRP_MN_QUERY_CAPABILITIES,
//! IRP_MN_QUERY_PNP_DEVICE_STATE and IRP_MN_QUERY_DEVICE_RELATIONS (BusRelations), each to
//! the top of the device's stack. Removing it: IRP_MN_QUERY_REMOVE_DEVICE, then
//! IRP_MN_REMOVE_DEVICE (or IRP_MN_CANCEL_REMOVE_DEVICE when a driver refused).
#![allow(non_snake_case)]

pub mod interface;
pub mod property;
pub mod relations;

use portcullis_emu::{Arch, CallConv};
use serde::Serialize;

use crate::ex::pool;
use crate::io::{io_type, irp, major};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_EXTENSION, DRIVER_OBJECT, IO_STACK_LOCATION, IRP};
use crate::ob::{NameTarget, ObjectKind, Owner};
use crate::types::{status, NtStatus, Ptr};

/// IRP_MN_* of IRP_MJ_PNP.
pub mod minor {
    pub const START_DEVICE: u8 = 0x00;
    pub const QUERY_REMOVE_DEVICE: u8 = 0x01;
    pub const REMOVE_DEVICE: u8 = 0x02;
    pub const CANCEL_REMOVE_DEVICE: u8 = 0x03;
    pub const STOP_DEVICE: u8 = 0x04;
    pub const QUERY_DEVICE_RELATIONS: u8 = 0x07;
    pub const QUERY_INTERFACE: u8 = 0x08;
    pub const QUERY_CAPABILITIES: u8 = 0x09;
    pub const QUERY_RESOURCES: u8 = 0x0A;
    pub const QUERY_RESOURCE_REQUIREMENTS: u8 = 0x0B;
    pub const QUERY_DEVICE_TEXT: u8 = 0x0C;
    pub const EJECT: u8 = 0x11;
    pub const FILTER_RESOURCE_REQUIREMENTS: u8 = 0x0D;
    pub const QUERY_ID: u8 = 0x13;
    pub const QUERY_PNP_DEVICE_STATE: u8 = 0x14;
    pub const QUERY_BUS_INFORMATION: u8 = 0x15;
    pub const SURPRISE_REMOVAL: u8 = 0x17;

    pub fn name(m: u8) -> &'static str {
        match m {
            START_DEVICE => "IRP_MN_START_DEVICE",
            QUERY_REMOVE_DEVICE => "IRP_MN_QUERY_REMOVE_DEVICE",
            REMOVE_DEVICE => "IRP_MN_REMOVE_DEVICE",
            CANCEL_REMOVE_DEVICE => "IRP_MN_CANCEL_REMOVE_DEVICE",
            STOP_DEVICE => "IRP_MN_STOP_DEVICE",
            QUERY_DEVICE_RELATIONS => "IRP_MN_QUERY_DEVICE_RELATIONS",
            QUERY_CAPABILITIES => "IRP_MN_QUERY_CAPABILITIES",
            QUERY_PNP_DEVICE_STATE => "IRP_MN_QUERY_PNP_DEVICE_STATE",
            QUERY_ID => "IRP_MN_QUERY_ID",
            QUERY_DEVICE_TEXT => "IRP_MN_QUERY_DEVICE_TEXT",
            EJECT => "IRP_MN_EJECT",
            SURPRISE_REMOVAL => "IRP_MN_SURPRISE_REMOVAL",
            _ => "IRP_MN_OTHER",
        }
    }
}

/// A resource the scenario gives the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    Port { start: u64, length: u32 },
    Memory { start: u64, length: u32 },
    Interrupt { irq: u32 },
}

/// What the scenario says about the device the bus has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceConfig {
    pub resources: Vec<Resource>,
    pub hardware_ids: Vec<String>,
    /// Start the device after DriverEntry (when the driver has an AddDevice routine).
    pub start: bool,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig { resources: Vec::new(), hardware_ids: vec!["ROOT\\PORTCULLIS".into()], start: true }
    }
}

/// A device of the emulated bus.
#[derive(Clone, Debug)]
pub(crate) struct BusDevice {
    pub(crate) pdo: u64,
    pub(crate) instance: u32,
    pub(crate) driver: usize,
    pub(crate) started: bool,
    pub(crate) removed: bool,
}

#[derive(Debug, Default)]
pub struct Pnp {
    pub(crate) config: DeviceConfig,
    pub(crate) bus_driver: u64,
    pub(crate) devices: Vec<BusDevice>,
    pub(crate) next_name: u32,
    pub(crate) interfaces: interface::Interfaces,
    /// Relations invalidated and ejects requested, not yet acted on.
    pub(crate) pending: Vec<relations::Pending>,
    /// The PDOs bus drivers reported in their BusRelations.
    pub children: Vec<relations::Child>,
}

/// One IRP of a PnP sequence, for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// "AddDevice", "IRP_MN_START_DEVICE", ...
    pub what: String,
    /// The PDO's name.
    pub device: String,
    pub returned: NtStatus,
    /// The final status (None while pending).
    pub status: Option<NtStatus>,
}

/// Sets what the bus's device looks like (the scenario's `[pnp]`).
pub fn configure(k: &mut Kx, config: DeviceConfig) {
    k.ext_mut().pnp.config = config;
}

/// Makes `\Driver\PnpManager`, the emulated bus's driver (the first time a device is
/// needed, so that drivers without one see the pool as before).
fn bus_driver(k: &mut Kx) -> KResult<u64> {
    if k.ext().pnp.bus_driver != 0 {
        return Ok(k.ext().pnp.bus_driver);
    }
    let objs = crate::io::driver::create_named(k, "\\Driver\\PnpManager", "PnpManager", 0, 0, 0, 0)?;
    let dispatch = crate::io::internal_routine(k, "PnpBusDispatch");
    let arch = k.arch();
    let table = DRIVER_OBJECT::MajorFunction.at(arch, objs.driver_object);
    for i in 0..major::COUNT {
        k.mem_mut().write_ptr(table + i * arch.ptr_size(), dispatch)?;
    }
    k.ext_mut().pnp.bus_driver = objs.driver_object;
    Ok(objs.driver_object)
}

/// The next name of the series PDOs get (`\Device\000000NN`): the bus's and those bus
/// drivers create with an autogenerated name.
pub(crate) fn next_pdo_name(k: &mut Kx) -> String {
    let p = &mut k.ext_mut().pnp;
    p.next_name += 1;
    format!("\\Device\\{:08X}", 0x41 + p.next_name)
}

/// Whether `device` is one of the bus's PDOs.
pub fn is_pdo(k: &Kx, device: u64) -> bool {
    k.ext().pnp.devices.iter().any(|d| d.pdo == device)
}

fn pdo_name(k: &Kx, pdo: u64) -> String {
    k.ext().objects.get(pdo).and_then(|o| o.name.clone()).unwrap_or_else(|| format!("{pdo:#x}"))
}

/// The instance path of a bus device: `ROOT\PORTCULLIS\0000`.
pub(crate) fn instance_path(k: &Kx, pdo: u64) -> String {
    let d = k.ext().pnp.devices.iter().find(|d| d.pdo == pdo);
    let id = k.ext().pnp.config.hardware_ids.first().cloned().unwrap_or_else(|| "ROOT\\PORTCULLIS".into());
    format!("{}\\{:04}", id, d.map(|d| d.instance).unwrap_or(0))
}

/// A new PDO named `\Device\000000NN` (kernel memory; the bus owns it).
fn create_pdo(k: &mut Kx, driver: usize) -> KResult<u64> {
    let arch = k.arch();
    let dsize = DEVICE_OBJECT::STRUCT.size(arch);
    let ext_size = match arch {
        Arch::X86 => 0x30,
        Arch::X64 => 0x50,
    };
    let bus = bus_driver(k)?;
    let dev = pool::kernel_alloc(k, dsize + ext_size, b"Devi")?;
    let name = next_pdo_name(k);
    let p = &mut k.ext_mut().pnp;
    let instance = p.devices.iter().filter(|d| d.driver == driver).count() as u32;
    let head = k.mem().get(bus, DRIVER_OBJECT::DeviceObject)?;
    let mem = k.mem_mut();
    mem.set(dev, DEVICE_OBJECT::Type, io_type::DEVICE)?;
    mem.set(dev, DEVICE_OBJECT::Size, dsize)?;
    mem.set(dev, DEVICE_OBJECT::DriverObject, bus)?;
    mem.set(dev, DEVICE_OBJECT::NextDevice, head)?;
    // DO_BUS_ENUMERATED_DEVICE | DO_POWER_PAGABLE | DO_DEVICE_HAS_NAME
    mem.set(dev, DEVICE_OBJECT::Flags, 0x1000 | 0x2000 | 0x40)?;
    mem.set(dev, DEVICE_OBJECT::DeviceType, 0x22)?; // FILE_DEVICE_UNKNOWN
    mem.set(dev, DEVICE_OBJECT::Characteristics, 0x80)?; // FILE_AUTOGENERATED_DEVICE_NAME
    mem.set(dev, DEVICE_OBJECT::StackSize, 1)?;
    mem.set(dev, DEVICE_OBJECT::DeviceObjectExtension, dev + dsize)?;
    mem.set(dev + dsize, crate::layout::DEVICE_OBJECT::Type, io_type::DEVICE_OBJECT_EXTENSION)?;
    mem.write_ptr(dev + dsize + arch.ptr_size(), dev)?;
    mem.set(bus, DRIVER_OBJECT::DeviceObject, dev)?;
    crate::io::device::init_queue_and_sector_size(k, dev, 0x22)?;
    let ob = &mut k.ext_mut().objects;
    let _ = ob.insert_name(&name, NameTarget::Object(dev), Owner::Kernel);
    ob.register(dev, ObjectKind::Device, Some(name), Owner::Kernel);
    k.ext_mut().pnp.devices.push(BusDevice { pdo: dev, instance, driver, started: false, removed: false });
    Ok(dev)
}

/// A PnP (or power) IRP from the PnP manager to the top of `pdo`'s stack, sent with
/// Status STATUS_NOT_SUPPORTED as Windows does; `setup` fills the stack location.
pub(crate) fn send(
    k: &mut Kx,
    pdo: u64,
    major_code: u8,
    minor_code: u8,
    setup: &dyn Fn(&mut Kx, u64) -> KResult<()>,
) -> KResult<(NtStatus, Option<NtStatus>, u64)> {
    let top = crate::io::stack::top(k, pdo)?;
    let (irp_addr, loc) = crate::io::request::new_irp(k, top, 0, major_code, 0)?;
    k.mem_mut().set(irp_addr, IRP::RequestorMode, 0)?;
    k.mem_mut().set(loc, IO_STACK_LOCATION::MinorFunction, minor_code as u64)?;
    irp::set_status(k, irp_addr, status::NOT_SUPPORTED, 0)?;
    setup(k, loc)?;
    let id = crate::io::request::new_id(k);
    let req = crate::io::request::Request::new(id, major_code);
    k.ext_mut().io.requests.insert(irp_addr, req);
    let returned = irp::call_driver(k, top, irp_addr)?;
    let completion = k.ext_mut().io.completions.remove(&id);
    let info = completion.as_ref().map(|c| c.information).unwrap_or(0);
    crate::io::release_deferred(k)?;
    Ok((returned, completion.map(|c| c.status), info))
}

fn sent(k: &Kx, what: &str, pdo: u64, r: (NtStatus, Option<NtStatus>, u64)) -> Sent {
    Sent { what: what.into(), device: pdo_name(k, pdo), returned: r.0, status: r.1 }
}

/// A CM_RESOURCE_LIST in kernel pool: the raw form or, `translated`, as the HAL maps it.
fn resource_list(k: &mut Kx, translated: bool) -> KResult<u64> {
    let arch = k.arch();
    let res = k.ext().pnp.config.resources.clone();
    let desc = match arch {
        Arch::X86 => 0x10,
        Arch::X64 => 0x14,
    };
    let size = 0x14 + desc * res.len().max(1) as u64;
    let list = pool::kernel_alloc(k, size, b"PnpR")?;
    let mem = k.mem_mut();
    mem.write_u32(list, 1)?; // Count
    mem.write_u32(list + 4, 5)?; // InterfaceType: PCIBus
    mem.write_u32(list + 8, 0)?; // BusNumber
    mem.write_u16(list + 0xC, 1)?; // Version
    mem.write_u16(list + 0xE, 1)?; // Revision
    mem.write_u32(list + 0x10, res.len() as u32)?;
    for (i, r) in res.iter().enumerate() {
        let d = list + 0x14 + desc * i as u64;
        let (ty, flags, a, b, c): (u8, u16, u64, u32, u64) = match *r {
            // CM_RESOURCE_PORT_IO
            Resource::Port { start, length } => (1, 1, start, length, 0),
            Resource::Memory { start, length } => (3, 0, start, length, 0),
            // Raw: Level and Vector the IRQ; translated: the vector and IRQL the HAL assigns
            // (HalGetInterruptVector's: 0x50 + the global system interrupt, ISA IRQ 0 on GSI
            // 2, the IRQL the vector's upper nibble), which IoConnectInterrupt takes.
            Resource::Interrupt { irq } => {
                if translated {
                    let gsi = if irq == 0 { 2 } else { irq as u64 };
                    let vector = 0x50 + gsi;
                    (2, 0, vector >> 4, vector as u32, 1)
                } else {
                    (2, 0, irq as u64, irq, 1)
                }
            }
        };
        mem.write(d, &[ty, 1])?; // CmResourceShareDeviceExclusive
        mem.write_u16(d + 2, flags)?;
        if ty == 2 {
            mem.write_u32(d + 4, a as u32)?; // Level
            mem.write_u32(d + 8, b)?; // Vector
            mem.write_ptr(d + 0xC, c)?; // Affinity
        } else {
            mem.write_u64(d + 4, a)?;
            mem.write_u32(d + 0xC, b)?;
        }
    }
    Ok(list)
}

/// DEVICE_CAPABILITIES as the PnP manager sends it (Size, Version 1, Address and UINumber
/// unknown), for drivers and the bus to fill.
fn capabilities(k: &mut Kx) -> KResult<u64> {
    let c = pool::kernel_alloc(k, 0x40, b"PnpC")?;
    let mem = k.mem_mut();
    mem.write_u16(c, 0x40)?;
    mem.write_u16(c + 2, 1)?;
    mem.write_u32(c + 8, u32::MAX)?;
    mem.write_u32(c + 0xC, u32::MAX)?;
    Ok(c)
}

/// Starts a device of the bus for `driver` (whose AddDevice routine is `add_device`).
pub fn start(k: &mut Kx, driver: usize) -> KResult<Vec<Sent>> {
    let d = k.ext().drivers[driver].clone();
    let ext = k.mem().get(d.driver_object, DRIVER_OBJECT::DriverExtension)?;
    let add_device = k.mem().get(ext, DRIVER_EXTENSION::AddDevice)?;
    let mut out = Vec::new();
    if add_device == 0 {
        return Ok(out);
    }
    let pdo = create_pdo(k, driver)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = NtStatus(crate::ke::scheduler::call(k, add_device, &[d.driver_object, pdo], conv)? as u32);
    crate::io::release_deferred(k)?;
    out.push(Sent { what: "AddDevice".into(), device: pdo_name(k, pdo), returned: r, status: Some(r) });
    if !r.is_success() {
        remove_pdo(k, pdo)?;
        return Ok(out);
    }
    // The devices AddDevice made: the I/O manager does not clear DO_DEVICE_INITIALIZING
    // for them; a driver that forgets leaves its FDO unopenable, as on Windows.
    let raw = resource_list(k, false)?;
    let translated = resource_list(k, true)?;
    let setup = move |k: &mut Kx, loc: u64| -> KResult<()> {
        k.mem_mut().set(loc, IO_STACK_LOCATION::Argument1, raw)?;
        k.mem_mut().set(loc, IO_STACK_LOCATION::Argument2, translated)?;
        Ok(())
    };
    let s = send(k, pdo, major::PNP, minor::START_DEVICE, &setup)?;
    pool::free(k, raw, None, 0)?;
    pool::free(k, translated, None, 0)?;
    let ok = s.1.is_some_and(|st| st.is_success());
    out.push(sent(k, minor::name(minor::START_DEVICE), pdo, s));
    if !ok {
        // A failed start: the PnP manager removes the device again.
        let r = send(k, pdo, major::PNP, minor::REMOVE_DEVICE, &|_, _| Ok(()))?;
        out.push(sent(k, minor::name(minor::REMOVE_DEVICE), pdo, r));
        remove_pdo(k, pdo)?;
        return Ok(out);
    }
    if let Some(dev) = k.ext_mut().pnp.devices.iter_mut().find(|x| x.pdo == pdo) {
        dev.started = true;
    }
    let caps = capabilities(k)?;
    let s = send(k, pdo, major::PNP, minor::QUERY_CAPABILITIES, &move |k, loc| {
        k.mem_mut().set(loc, IO_STACK_LOCATION::Argument1, caps)?;
        Ok(())
    })?;
    out.push(sent(k, minor::name(minor::QUERY_CAPABILITIES), pdo, s));
    pool::free(k, caps, None, 0)?;
    let s = send(k, pdo, major::PNP, minor::QUERY_PNP_DEVICE_STATE, &|_, _| Ok(()))?;
    out.push(sent(k, minor::name(minor::QUERY_PNP_DEVICE_STATE), pdo, s));
    // BusRelations: a function driver that is no bus driver passes it down and the PDO
    // answers with none; a bus driver's children are enumerated (and raw ones started).
    relations::bus_relations(k, pdo, &mut out)?;
    // What the driver queued meanwhile (IoInvalidateDeviceRelations in its start routine).
    out.extend(relations::enumerate_pending(k)?);
    Ok(out)
}

fn remove_pdo(k: &mut Kx, pdo: u64) -> KResult<()> {
    crate::pnp::interface::pdo_removed(k, pdo)?;
    if let Some(d) = k.ext_mut().pnp.devices.iter_mut().find(|d| d.pdo == pdo) {
        d.removed = true;
        d.started = false;
    }
    // The PDO stays (its memory may still be named by what the driver kept), nameless.
    if let Some(n) = k.ext().objects.get(pdo).and_then(|o| o.name.clone()) {
        k.ext_mut().objects.remove_name(&n);
    }
    Ok(())
}

/// Removes `driver`'s started devices: IRP_MN_QUERY_REMOVE_DEVICE, then
/// IRP_MN_REMOVE_DEVICE, or IRP_MN_CANCEL_REMOVE_DEVICE when the stack refused.
pub fn remove(k: &mut Kx, driver: usize) -> KResult<Vec<Sent>> {
    let pdos: Vec<u64> =
        k.ext().pnp.devices.iter().filter(|d| d.driver == driver && d.started && !d.removed).map(|d| d.pdo).collect();
    let mut out = Vec::new();
    for pdo in pdos {
        let q = send(k, pdo, major::PNP, minor::QUERY_REMOVE_DEVICE, &|_, _| Ok(()))?;
        let ok = q.1.is_some_and(|st| st.is_success());
        out.push(sent(k, minor::name(minor::QUERY_REMOVE_DEVICE), pdo, q));
        if !ok {
            let c = send(k, pdo, major::PNP, minor::CANCEL_REMOVE_DEVICE, &|_, _| Ok(()))?;
            out.push(sent(k, minor::name(minor::CANCEL_REMOVE_DEVICE), pdo, c));
            continue;
        }
        // The device's children go first.
        relations::remove_children_of(k, pdo, &mut out)?;
        let r = send(k, pdo, major::PNP, minor::REMOVE_DEVICE, &|_, _| Ok(()))?;
        out.push(sent(k, minor::name(minor::REMOVE_DEVICE), pdo, r));
        remove_pdo(k, pdo)?;
    }
    Ok(out)
}

/// Whether `driver` has devices still started (Windows unloads a PnP driver only after).
pub fn has_started(k: &Kx, driver: usize) -> bool {
    k.ext().pnp.devices.iter().any(|d| d.driver == driver && d.started && !d.removed)
}

/// The PDOs of `driver`'s started devices.
pub fn started_pdos(k: &Kx, driver: usize) -> Vec<u64> {
    k.ext().pnp.devices.iter().filter(|d| d.driver == driver && d.started && !d.removed).map(|d| d.pdo).collect()
}

/// Sends a power IRP (IRP_MN_SET_POWER or IRP_MN_QUERY_POWER) for `state` to the top of
/// `pdo`'s stack: `system` for a system power state (S0 = 1 ... S5 = 6), else a device
/// power state (D0 = 1 ... D3 = 4).
pub fn power(k: &mut Kx, pdo: u64, minor_code: u8, system: bool, state: u32) -> KResult<Sent> {
    let s = send(k, pdo, major::POWER, minor_code, &move |k, loc| {
        k.mem_mut().set(loc, IO_STACK_LOCATION::PowerType, if system { 0 } else { 1 })?;
        k.mem_mut().set(loc, IO_STACK_LOCATION::PowerState, state as u64)?;
        // ShutdownType: PowerActionNone, or PowerActionShutdownOff for S5.
        let action = if system && state == 6 { 6 } else { 0 };
        k.mem_mut().set(loc, IO_STACK_LOCATION::PowerShutdownType, action)?;
        Ok(())
    })?;
    let what = format!(
        "{} {}{}",
        if minor_code == 2 { "IRP_MN_SET_POWER" } else { "IRP_MN_QUERY_POWER" },
        if system { "S" } else { "D" },
        state.saturating_sub(1)
    );
    Ok(sent(k, &what, pdo, s))
}

// ---- the bus driver --------------------------------------------------------------------

/// NTSTATUS PnpBusDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp): the emulated bus's
/// dispatch routine for its PDOs, completing what reaches the bottom of a stack as a root
/// bus driver does.
pub fn PnpBusDispatch(k: &mut Kx, device: Ptr, irp_addr: Ptr) -> KResult<NtStatus> {
    let at = crate::kernel::caller(k);
    let loc = k.mem().get(irp_addr.0, IRP::CurrentStackLocation)?;
    let major_code = k.mem().get(loc, IO_STACK_LOCATION::MajorFunction)? as u8;
    let minor_code = k.mem().get(loc, IO_STACK_LOCATION::MinorFunction)? as u8;
    let (current, info) = irp::status_of(k, irp_addr.0)?;
    let (st, info) = match major_code {
        major::PNP => match minor_code {
            minor::START_DEVICE
            | minor::QUERY_REMOVE_DEVICE
            | minor::REMOVE_DEVICE
            | minor::CANCEL_REMOVE_DEVICE
            | minor::STOP_DEVICE
            | 0x05 // QUERY_STOP_DEVICE
            | 0x06 // CANCEL_STOP_DEVICE
            | minor::SURPRISE_REMOVAL => (status::SUCCESS, 0),
            minor::QUERY_CAPABILITIES => {
                let caps = k.mem().get(loc, IO_STACK_LOCATION::Argument1)?;
                bus_capabilities(k, caps)?;
                (status::SUCCESS, 0)
            }
            minor::QUERY_DEVICE_RELATIONS => {
                let kind = k.mem().get(loc, IO_STACK_LOCATION::Argument1)?;
                if kind == 4 {
                    // TargetDeviceRelation: the PDO itself, referenced.
                    let ps = k.arch().ptr_size();
                    let list = pool::kernel_alloc(k, 2 * ps, b"PnpD")?;
                    k.mem_mut().write_u32(list, 1)?;
                    k.mem_mut().write_ptr(list + ps, device.0)?;
                    crate::ob::handles::reference(k, device.0);
                    (status::SUCCESS, list)
                } else {
                    (current, info)
                }
            }
            minor::QUERY_PNP_DEVICE_STATE => (status::SUCCESS, info),
            minor::QUERY_ID => {
                let ty = k.mem().get(loc, IO_STACK_LOCATION::Argument1)?;
                match query_id(k, device.0, ty)? {
                    Some(p) => (status::SUCCESS, p),
                    None => (current, info),
                }
            }
            // What a bus leaves alone keeps the status it came with.
            _ => (current, info),
        },
        major::POWER => match minor_code {
            // SET_POWER, QUERY_POWER: the bus agrees.
            0x02 | 0x03 => (status::SUCCESS, 0),
            // WAIT_WAKE: this bus cannot wake the system.
            0x00 => (status::NOT_SUPPORTED, 0),
            _ => (current, info),
        },
        major::CREATE | major::CLOSE | major::CLEANUP => (status::SUCCESS, 0),
        major::SYSTEM_CONTROL => (current, info),
        _ => (status::INVALID_DEVICE_REQUEST, 0),
    };
    irp::set_status(k, irp_addr.0, st, info)?;
    irp::complete(k, irp_addr, at)?;
    Ok(st)
}

/// The bus's part of DEVICE_CAPABILITIES: the device's power states for each system
/// state (S0 D0, S1-S3 D3, S4-S5 D3), no wake, UINumber 0, removable no.
fn bus_capabilities(k: &mut Kx, caps: u64) -> KResult<()> {
    if caps == 0 {
        return Ok(());
    }
    let mem = k.mem_mut();
    // DeviceState[PowerSystemUnspecified..PowerSystemShutdown].
    let states = [0u32, 1, 4, 4, 4, 4, 4];
    for (i, s) in states.iter().enumerate() {
        mem.write_u32(caps + 0x10 + 4 * i as u64, *s)?;
    }
    mem.write_u32(caps + 0x2C, 0)?; // SystemWake: unspecified
    mem.write_u32(caps + 0x30, 0)?; // DeviceWake: unspecified
    mem.write_u32(caps + 0xC, 0)?; // UINumber
    Ok(())
}

/// IRP_MN_QUERY_ID: BusQueryDeviceID (0), BusQueryHardwareIDs (1), BusQueryCompatibleIDs
/// (2), BusQueryInstanceID (3), as pool strings the caller frees.
fn query_id(k: &mut Kx, pdo: u64, ty: u64) -> KResult<Option<u64>> {
    let ids = k.ext().pnp.config.hardware_ids.clone();
    let instance = instance_path(k, pdo);
    let strings: Vec<String> = match ty {
        0 => vec![ids.first().cloned().unwrap_or_default()],
        1 => ids,
        2 => vec![],
        3 => vec![instance.rsplit('\\').next().unwrap_or("0000").to_string()],
        _ => return Ok(None),
    };
    let multi = ty == 1 || ty == 2;
    let mut units: Vec<u16> = Vec::new();
    for s in &strings {
        units.extend(s.encode_utf16());
        units.push(0);
    }
    if multi || units.is_empty() {
        units.push(0);
    }
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let p = pool::kernel_alloc(k, bytes.len() as u64, b"PnpI")?;
    k.mem_mut().write(p, &bytes)?;
    Ok(Some(p))
}

/// Whether the bus's device starts right after DriverEntry.
pub fn starts_after_entry(k: &Kx) -> bool {
    k.ext().pnp.config.start
}
