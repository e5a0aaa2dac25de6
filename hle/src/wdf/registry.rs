//! WDFKEY (`wdfregistry.h`): a registry key the framework opened, over the kernel's
//! registry; the object owns a kernel handle, closed when the object is deleted
//! (WdfRegistryClose) or with its parent.
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::cm::key::{open_or_create, Request};
use crate::kernel::{KResult, Kx};
use crate::ob::handles::Mode;
use crate::ob::name::ObjectAttributes;
use crate::ob::{OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE};
use crate::types::{status, NtStatus, Ptr, HANDLE};

/// The object is deleted: its handle closes.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    if let Some(h) = k.ext_mut().wdf.keys.remove(&handle) {
        crate::ob::handles::ZwClose(k, HANDLE(h))?;
    }
    Ok(())
}

/// NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess,
/// PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key): the service key's `Parameters`
/// subkey, created when missing (as the framework does), as a WDFKEY (a child of the
/// driver unless the attributes name a parent).
pub fn WdfDriverOpenParametersRegistryKey(
    k: &mut Kx,
    _globals: Ptr,
    driver: Ptr,
    access: u32,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let d = object::expect(k, "WdfDriverOpenParametersRegistryKey", driver.0, ObjectKind::Driver)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDriverOpenParametersRegistryKey", "Key"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let a = object::read_attributes(k, attributes.0)?;
    let path = format!("{}\\Parameters", k.ext().wdf.bindings[d.binding].config.registry);
    let req = Request {
        attrs: ObjectAttributes {
            name: Some(path),
            attributes: OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
            ..Default::default()
        },
        access,
        options: 0,
        create: Some(None),
        mode: Mode::Kernel,
        caller: crate::kernel::caller(k),
    };
    let handle = match open_or_create(k, &req)? {
        Ok((h, _)) => h,
        Err(st) => return Ok(st),
    };
    let parent = if a.parent != 0 { Some(a.parent) } else { Some(driver.0) };
    let h = object::create(k, d.binding, ObjectKind::Key, &a, parent)?;
    k.ext_mut().wdf.keys.insert(h, handle);
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// VOID WdfRegistryClose(WDFKEY Key): deletes the key object, closing its handle.
pub fn WdfRegistryClose(k: &mut Kx, _globals: Ptr, key: Ptr) -> KResult<()> {
    object::expect(k, "WdfRegistryClose", key.0, ObjectKind::Key)?;
    object::delete(k, key.0)
}

/// HANDLE WdfRegistryWdmGetHandle(WDFKEY Key): the kernel handle, for Zw* registry calls.
pub fn WdfRegistryWdmGetHandle(k: &mut Kx, _globals: Ptr, key: Ptr) -> KResult<Ptr> {
    object::expect(k, "WdfRegistryWdmGetHandle", key.0, ObjectKind::Key)?;
    Ok(Ptr(k.ext().wdf.keys.get(&key.0).copied().unwrap_or(0)))
}
