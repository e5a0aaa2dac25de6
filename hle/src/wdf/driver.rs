//! WDFDRIVER (`wdfdriver.h`): WdfDriverCreate takes over the driver object — every
//! MajorFunction goes to the framework's dispatch ([`super::queue::FxDispatch`]), DriverUnload
//! to [`FxDriverUnload`] (EvtDriverUnload, then the driver's objects go) and, for PnP drivers
//! with EvtDriverDeviceAdd, AddDevice to [`super::device::FxAddDevice`].
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::layout::{WDF_DRIVER_CONFIG, WDF_DRIVER_GLOBALS};
use super::object::{self, ObjectKind};
use super::violation;
use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, DRIVER_EXTENSION, DRIVER_OBJECT};
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// WdfDriverInitNonPnpDriver: the driver creates control devices only.
pub const INIT_NON_PNP: u32 = 1;
/// WdfDriverInitNoDispatchOverride: the driver keeps its own MajorFunction entries.
pub const INIT_NO_DISPATCH_OVERRIDE: u32 = 2;
/// IRP_MJ_MAXIMUM_FUNCTION + 1.
const MAJOR_FUNCTIONS: u64 = 0x1C;

/// What WDF_DRIVER_CONFIG said.
#[derive(Clone, Debug, Default)]
pub struct DriverConfig {
    pub device_add: u64,
    pub unload: u64,
    pub flags: u32,
    pub pool_tag: u32,
    /// The registry path's copy WdfDriverGetRegistryPath returns (NUL-terminated).
    pub registry_path: u64,
    /// The same path as text.
    pub registry: String,
}

/// The binding `globals` names, or the run's end: every framework call passes its globals.
pub(crate) fn binding(k: &mut Kx, function: &str, globals: u64) -> KResult<usize> {
    match super::binding_of(k, globals) {
        Some(b) => Ok(b),
        None => {
            let at = crate::kernel::caller(k);
            Err(violation::raise(
                k,
                [violation::code::VERIFIER_FATAL_ERROR, globals, 0, 0],
                at,
                format!("{function}: {globals:#x} is not the WDF_DRIVER_GLOBALS of a bound driver"),
            ))
        }
    }
}

/// NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
/// PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig,
/// WDFDRIVER *Driver)
pub fn WdfDriverCreate(
    k: &mut Kx,
    globals: Ptr,
    driver_object: Ptr,
    registry_path: PUnicodeString,
    attributes: Ptr,
    config: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let b = binding(k, "WdfDriverCreate", globals.0)?;
    if driver_object.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDriverCreate", "DriverObject"));
    }
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDriverCreate", "DriverConfig"));
    }
    if k.ext().wdf.bindings[b].wdf_driver.is_some() || k.ext().wdf.bindings[b].driver_object != driver_object.0 {
        return Ok(NtStatus(0xC000_0184)); // STATUS_INVALID_DEVICE_STATE
    }
    let m = k.mem();
    let mut cfg = DriverConfig {
        device_add: m.get(config.0, WDF_DRIVER_CONFIG::EvtDriverDeviceAdd)?,
        unload: m.get(config.0, WDF_DRIVER_CONFIG::EvtDriverUnload)?,
        flags: m.get(config.0, WDF_DRIVER_CONFIG::DriverInitFlags)? as u32,
        pool_tag: m.get(config.0, WDF_DRIVER_CONFIG::DriverPoolTag)? as u32,
        registry_path: 0,
        registry: String::new(),
    };
    let a = object::read_attributes(k, attributes.0)?;
    if a.parent != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let path = crate::rtl::unicode::read_unicode_string(k, registry_path.0)?;
    let wide: Vec<u8> = path.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
    cfg.registry_path = crate::ob::body::alloc(k, wide.len() as u64)?;
    k.mem_mut().write(cfg.registry_path, &wide)?;
    cfg.registry = path;
    let h = object::create(k, b, ObjectKind::Driver, &a, None)?;
    k.ext_mut().wdf.bindings[b].wdf_driver = Some(h);
    k.ext_mut().wdf.bindings[b].config = cfg.clone();
    let g = globals.0;
    k.mem_mut().set(g, WDF_DRIVER_GLOBALS::Driver, h)?;
    if cfg.pool_tag != 0 {
        k.mem_mut().set(g, WDF_DRIVER_GLOBALS::DriverTag, cfg.pool_tag as u64)?;
    }
    let d = driver_object.0;
    if cfg.flags & INIT_NO_DISPATCH_OVERRIDE == 0 {
        let dispatch = super::table::routine(k, "FxDispatch");
        let ps = k.arch().ptr_size();
        let first = DRIVER_OBJECT::MajorFunction.at(k.arch(), d);
        for i in 0..MAJOR_FUNCTIONS {
            k.mem_mut().write_ptr(first + i * ps, dispatch)?;
        }
    }
    let pnp = cfg.flags & INIT_NON_PNP == 0;
    if cfg.unload != 0 || pnp {
        let unload = super::table::routine(k, "FxDriverUnload");
        k.mem_mut().set(d, DRIVER_OBJECT::DriverUnload, unload)?;
    }
    if pnp && cfg.device_add != 0 {
        let ext = k.mem().get(d, DRIVER_OBJECT::DriverExtension)?;
        let add = super::table::routine(k, "FxAddDevice");
        k.mem_mut().set(ext, DRIVER_EXTENSION::AddDevice, add)?;
    }
    if out.0 != 0 {
        k.mem_mut().write_ptr(out.0, h)?;
    }
    Ok(status::SUCCESS)
}

/// The binding of a WDFDRIVER.
fn driver_binding(k: &mut Kx, function: &str, driver: u64) -> KResult<usize> {
    Ok(object::expect(k, function, driver, ObjectKind::Driver)?.binding)
}

/// PWSTR WdfDriverGetRegistryPath(WDFDRIVER Driver)
pub fn WdfDriverGetRegistryPath(k: &mut Kx, _globals: Ptr, driver: Ptr) -> KResult<Ptr> {
    let b = driver_binding(k, "WdfDriverGetRegistryPath", driver.0)?;
    Ok(Ptr(k.ext().wdf.bindings[b].config.registry_path))
}

/// PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver)
pub fn WdfDriverWdmGetDriverObject(k: &mut Kx, _globals: Ptr, driver: Ptr) -> KResult<Ptr> {
    let b = driver_binding(k, "WdfDriverWdmGetDriverObject", driver.0)?;
    Ok(Ptr(k.ext().wdf.bindings[b].driver_object))
}

/// WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PDRIVER_OBJECT DriverObject): NULL for a driver
/// object the framework does not own.
pub fn WdfWdmDriverGetWdfDriverHandle(k: &mut Kx, _globals: Ptr, driver_object: Ptr) -> KResult<Ptr> {
    let fw = &k.ext().wdf;
    Ok(Ptr(fw
        .bindings
        .iter()
        .find(|b| b.driver_object == driver_object.0 && !b.unbound)
        .and_then(|b| b.wdf_driver)
        .unwrap_or(0)))
}

/// VOID FxDriverUnload(PDRIVER_OBJECT DriverObject): the framework's DriverUnload —
/// EvtDriverUnload, then the WDFDRIVER and every object under it are deleted (devices,
/// their names and links included).
pub fn FxDriverUnload(k: &mut Kx, driver_object: Ptr) -> KResult<()> {
    let Some(b) = k.ext().wdf.bindings.iter().position(|b| b.driver_object == driver_object.0 && !b.unbound) else {
        return Ok(());
    };
    let Some(h) = k.ext().wdf.bindings[b].wdf_driver else { return Ok(()) };
    let unload = k.ext().wdf.bindings[b].config.unload;
    if unload != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, unload, &[h], conv).map_err(KError::Stop)?;
    }
    object::delete(k, h)?;
    k.ext_mut().wdf.bindings[b].wdf_driver = None;
    Ok(())
}
