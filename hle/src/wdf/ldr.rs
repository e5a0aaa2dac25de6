//! wdfldr.sys: binding a driver to the framework (`fxldr.h`).
//!
//! `WdfVersionBind` accepts every KMDF 1.x version a driver may be built for (the table is
//! append-only, so a driver built for 1.9 reads a prefix of the 1.33 table). Drivers built for
//! KMDF 1.13 and older (at most [`COPIED_TABLE_MAX`] entries) hold the table itself in their
//! `WdfFunctions` array, which the framework fills; newer ones hold a pointer to the
//! framework's table. The driver's `WdfDriverGlobals` receives a fresh WDF_DRIVER_GLOBALS. Class extensions (`WdfVersionBindClass`) are libraries such as
//! the SPB or HID class extensions; none is installed here, so binding one fails as it does
//! on a Windows without that library.
#![allow(non_snake_case)]

use super::layout::{WDF_BIND_INFO, WDF_CLASS_BIND_INFO, WDF_DRIVER_GLOBALS};
use super::{names, Binding};
use crate::kernel::{KResult, Kx};
use crate::layout::FieldAccess;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// STATUS_OBJECT_TYPE_MISMATCH: what the loader answers a bind info of another major version.
const OBJECT_TYPE_MISMATCH: NtStatus = NtStatus(0xC000_0024);
/// STATUS_DLL_NOT_FOUND: a class extension that is not installed.
const DLL_NOT_FOUND: NtStatus = NtStatus(0xC000_0135);

/// The largest table a driver holds a copy of (KMDF 1.13's 438 entries); larger ones point
/// at the framework's.
pub const COPIED_TABLE_MAX: u32 = 438;

/// The function table (one per kernel: every binding shares it), made on first use.
fn table(k: &mut Kx) -> KResult<u64> {
    if k.ext().wdf.table != 0 {
        return Ok(k.ext().wdf.table);
    }
    let ps = k.arch().ptr_size();
    let at = crate::ob::body::alloc(k, names::COUNT as u64 * ps)?;
    let calls = &k.ext().calls;
    let entries: Vec<u64> =
        (0..names::COUNT).map(|i| calls.functions.wdf_slot(i).map_or(0, |s| calls.address(s))).collect();
    for (i, e) in entries.into_iter().enumerate() {
        k.mem_mut().write_ptr(at + i as u64 * ps, e)?;
    }
    k.ext_mut().wdf.table = at;
    Ok(at)
}

/// The name the framework knows a driver by: its service name (the registry path's last
/// component), at most 31 characters.
fn driver_name(k: &Kx, registry_path: u64) -> String {
    let path = crate::rtl::unicode::read_unicode_string(k, registry_path).unwrap_or_default();
    path.rsplit('\\').next().unwrap_or("").chars().filter(char::is_ascii).take(31).collect()
}

/// NTSTATUS WdfVersionBind(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
/// PWDF_BIND_INFO BindInfo, PWDF_COMPONENT_GLOBALS *ComponentGlobals)
pub fn WdfVersionBind(
    k: &mut Kx,
    driver_object: Ptr,
    registry_path: PUnicodeString,
    bind_info: Ptr,
    globals_out: Ptr,
) -> KResult<NtStatus> {
    let Some(driver) = crate::io::device::owner_of_driver_object(k, driver_object.0) else {
        return Ok(status::INVALID_PARAMETER);
    };
    if bind_info.0 == 0 || globals_out.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let m = k.mem();
    let major = m.get(bind_info.0, WDF_BIND_INFO::Major)? as u32;
    let minor = m.get(bind_info.0, WDF_BIND_INFO::Minor)? as u32;
    let build = m.get(bind_info.0, WDF_BIND_INFO::Build)? as u32;
    let func_count = m.get(bind_info.0, WDF_BIND_INFO::FuncCount)? as u32;
    let func_table = m.get(bind_info.0, WDF_BIND_INFO::FuncTable)?;
    if major != 1 || func_table == 0 {
        return Ok(OBJECT_TYPE_MISMATCH);
    }
    if func_count as usize > names::COUNT {
        // Built for a framework newer than this one.
        return Ok(status::NOT_IMPLEMENTED);
    }
    let table = table(k)?;
    let name = driver_name(k, registry_path.0);
    let g = crate::ob::body::alloc(k, WDF_DRIVER_GLOBALS::STRUCT.size(k.arch()))?;
    let tag = {
        let mut t = [b' '; 4];
        for (d, s) in t.iter_mut().zip(name.bytes()) {
            *d = s;
        }
        u32::from_le_bytes(t)
    };
    let name_at = WDF_DRIVER_GLOBALS::DriverName.at(k.arch(), g);
    let mem = k.mem_mut();
    mem.set(g, WDF_DRIVER_GLOBALS::DriverTag, tag as u64)?;
    mem.write(name_at, name.as_bytes())?;
    // FxDriverEntry puts its own unload routine in front of the framework's.
    k.mem_mut().set(g, WDF_DRIVER_GLOBALS::DisplaceDriverUnload, 1)?;
    if func_count <= COPIED_TABLE_MAX {
        let ps = k.arch().ptr_size();
        for i in 0..func_count as u64 {
            let entry = k.mem().read_ptr(table + i * ps)?;
            k.mem_mut().write_ptr(func_table + i * ps, entry)?;
        }
    } else {
        k.mem_mut().write_ptr(func_table, table)?;
    }
    k.mem_mut().write_ptr(globals_out.0, g)?;
    k.ext_mut().wdf.bindings.push(Binding {
        driver,
        driver_object: driver_object.0,
        globals: g,
        version: (major, minor, build),
        func_count,
        wdf_driver: None,
        config: Default::default(),
        unbound: false,
    });
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfVersionUnbind(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo,
/// PWDF_COMPONENT_GLOBALS ComponentGlobals): the driver leaves the framework; the objects it
/// still has go with its WDFDRIVER.
pub fn WdfVersionUnbind(
    k: &mut Kx,
    _registry_path: PUnicodeString,
    _bind_info: Ptr,
    globals: Ptr,
) -> KResult<NtStatus> {
    let Some(b) = super::binding_of(k, globals.0) else { return Ok(status::INVALID_PARAMETER) };
    if let Some(d) = k.ext().wdf.bindings[b].wdf_driver {
        super::object::delete(k, d)?;
    }
    k.ext_mut().wdf.bindings[b].unbound = true;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfVersionBindClass(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo,
/// PWDF_CLASS_BIND_INFO ClassBindInfo): no class extension library is installed.
pub fn WdfVersionBindClass(
    k: &mut Kx,
    _registry_path: PUnicodeString,
    _bind_info: Ptr,
    class: Ptr,
) -> KResult<NtStatus> {
    if class.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    k.mem().get(class.0, WDF_CLASS_BIND_INFO::ClassName)?;
    Ok(DLL_NOT_FOUND)
}

/// VOID WdfVersionUnbindClass(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo,
/// PWDF_CLASS_BIND_INFO ClassBindInfo): nothing is bound, so nothing is released.
pub fn WdfVersionUnbindClass(k: &mut Kx, _registry_path: PUnicodeString, _bind_info: Ptr, class: Ptr) -> KResult<()> {
    if class.0 != 0 {
        k.mem().get(class.0, WDF_CLASS_BIND_INFO::ClassName)?;
    }
    Ok(())
}
