//! Device interfaces and PnP notifications: `IoRegisterDeviceInterface`,
//! `IoSetDeviceInterfaceState`, `IoGetDeviceInterfaces`, `IoRegisterPlugPlayNotification`,
//! `IoUnregisterPlugPlayNotification(Ex)`.
//!
//! An interface is named `\??\ROOT#PORTCULLIS#0000#{class}[\reference]`; enabling it makes
//! that symbolic link (to the PDO) and tells the drivers registered for the class
//! (GUID_DEVICE_INTERFACE_ARRIVAL), disabling it removes the link (…_REMOVAL).
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::etw::{guid_text, read_guid};
use crate::ex::pool;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, UNICODE_STRING};
use crate::ob::Owner;
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

#[derive(Clone, Debug)]
pub(crate) struct Interface {
    /// `\??\ROOT#PORTCULLIS#0000#{guid}` (with `\reference`).
    pub(crate) name: String,
    pub(crate) class: [u8; 16],
    pub(crate) pdo: u64,
    pub(crate) enabled: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Notification {
    pub(crate) entry: u64,
    pub(crate) category: u32,
    pub(crate) class: Option<[u8; 16]>,
    pub(crate) callback: u64,
    pub(crate) context: u64,
    pub(crate) owner: Owner,
}

#[derive(Debug, Default)]
pub struct Interfaces {
    pub(crate) list: Vec<Interface>,
    pub(crate) notifications: Vec<Notification>,
}

const EVENT_CATEGORY_DEVICE_INTERFACE_CHANGE: u32 = 2;
const EVENT_CATEGORY_TARGET_DEVICE_CHANGE: u32 = 3;
const PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES: u32 = 1;
/// GUID_DEVICE_INTERFACE_ARRIVAL {CB3A4004-46F0-11D0-B08F-00609713053F}.
const ARRIVAL: [u8; 16] =
    [0x04, 0x40, 0x3A, 0xCB, 0xF0, 0x46, 0xD0, 0x11, 0xB0, 0x8F, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3F];
/// GUID_DEVICE_INTERFACE_REMOVAL {CB3A4005-46F0-11D0-B08F-00609713053F}.
const REMOVAL: [u8; 16] =
    [0x05, 0x40, 0x3A, 0xCB, 0xF0, 0x46, 0xD0, 0x11, 0xB0, 0x8F, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3F];

/// Fills the UNICODE_STRING at `us` with `text` in pool the caller frees
/// (RtlFreeUnicodeString).
fn pool_string(k: &mut Kx, us: u64, text: &str, at: u64) -> KResult<bool> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let bytes = units.len() as u64 * 2;
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let Some(buf) = pool::allocate(k, 1, bytes + 2, u32::from_le_bytes(*b"PnpS"), owner, at)? else {
        return Ok(false);
    };
    let mut b: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    b.extend([0, 0]);
    k.mem_mut().write(buf, &b)?;
    let mem = k.mem_mut();
    mem.set(us, UNICODE_STRING::Length, bytes)?;
    mem.set(us, UNICODE_STRING::MaximumLength, bytes + 2)?;
    mem.set(us, UNICODE_STRING::Buffer, buf)?;
    Ok(true)
}

/// NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject,
/// const GUID *InterfaceClassGuid, PUNICODE_STRING ReferenceString,
/// PUNICODE_STRING SymbolicLinkName): the interface's name, registered (disabled).
pub fn IoRegisterDeviceInterface(
    k: &mut Kx,
    pdo: Ptr,
    class: Ptr,
    reference: PUnicodeString,
    out: Ptr,
) -> KResult<NtStatus> {
    let at = caller(k);
    if !super::is_pdo(k, pdo.0) {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let g = read_guid(k, class.0)?;
    let reference = if reference.0 == 0 { String::new() } else { read_unicode_string(k, reference.0)? };
    if reference.contains('\\') || reference.contains('/') {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let instance = super::instance_path(k, pdo.0).replace('\\', "#");
    let mut name = format!("\\??\\{instance}#{}", guid_text(&g));
    if !reference.is_empty() {
        name.push('\\');
        name.push_str(&reference);
    }
    let list = &mut k.ext_mut().pnp.interfaces.list;
    if !list.iter().any(|i| i.name.eq_ignore_ascii_case(&name)) {
        list.push(Interface { name: name.clone(), class: g, pdo: pdo.0, enabled: false });
        // The interface's key under DeviceClasses.
        let key = format!(
            "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Control\\DeviceClasses\\{}\\##?#{}#{}",
            guid_text(&g),
            instance,
            guid_text(&g)
        );
        let time = crate::ke::time::system_time(k);
        k.ext_mut().registry.ensure(&key, time);
    }
    if !pool_string(k, out.0, &name, at)? {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    Ok(status::SUCCESS)
}

/// Calls the interface-change notifications of `class` with `event` for `name`.
fn notify(k: &mut Kx, class: [u8; 16], event: [u8; 16], name: &str) -> KResult<()> {
    let targets: Vec<Notification> = k
        .ext()
        .pnp
        .interfaces
        .notifications
        .iter()
        .filter(|n| n.category == EVENT_CATEGORY_DEVICE_INTERFACE_CHANGE && n.class == Some(class))
        .cloned()
        .collect();
    for n in targets {
        call_interface(k, &n, event, class, name)?;
    }
    Ok(())
}

/// Calls one notification routine with a DEVICE_INTERFACE_CHANGE_NOTIFICATION.
fn call_interface(k: &mut Kx, n: &Notification, event: [u8; 16], class: [u8; 16], name: &str) -> KResult<()> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    let size = 0x24 + if ps == 8 { 0xC } else { 4 };
    let us_size = UNICODE_STRING::STRUCT.size(arch);
    let block = pool::kernel_alloc(k, size + us_size + 2 * name.len() as u64 + 2, b"PnpN")?;
    let us = block + size;
    let text = us + us_size;
    let units: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).chain([0, 0]).collect();
    let mem = k.mem_mut();
    mem.write_u16(block, 1)?; // Version
    mem.write_u16(block + 2, size as u16)?;
    mem.write(block + 4, &event)?;
    mem.write(block + 0x14, &class)?;
    mem.write_ptr(block + if ps == 8 { 0x28 } else { 0x24 }, us)?;
    mem.write(text, &units)?;
    mem.set(us, UNICODE_STRING::Length, units.len() as u64 - 2)?;
    mem.set(us, UNICODE_STRING::MaximumLength, units.len() as u64)?;
    mem.set(us, UNICODE_STRING::Buffer, text)?;
    let conv = CallConv::Stdcall.for_arch(arch);
    let r = crate::ke::scheduler::call(k, n.callback, &[block, n.context], conv);
    pool::free(k, block, None, 0)?;
    r?;
    Ok(())
}

/// NTSTATUS IoSetDeviceInterfaceState(PUNICODE_STRING SymbolicLinkName, BOOLEAN Enable)
pub fn IoSetDeviceInterfaceState(k: &mut Kx, name: PUnicodeString, enable: crate::types::Boolean) -> KResult<NtStatus> {
    let text = read_unicode_string(k, name.0)?;
    let Some(i) = k.ext().pnp.interfaces.list.iter().position(|x| x.name.eq_ignore_ascii_case(&text)) else {
        return Ok(status::OBJECT_NAME_NOT_FOUND);
    };
    let iface = k.ext().pnp.interfaces.list[i].clone();
    if iface.enabled == enable.0 {
        // Enabling twice: STATUS_OBJECT_NAME_EXISTS; disabling twice: success.
        return Ok(if enable.0 { status::OBJECT_NAME_EXISTS } else { status::SUCCESS });
    }
    k.ext_mut().pnp.interfaces.list[i].enabled = enable.0;
    let link = link_of(&iface.name);
    if enable.0 {
        let target = k.ext().objects.get(iface.pdo).and_then(|o| o.name.clone()).unwrap_or_default();
        let _ = crate::ob::symlink::create(k, &link, &target, Owner::Kernel, true)?;
        notify(k, iface.class, ARRIVAL, &iface.name)?;
    } else {
        crate::ob::symlink::delete(k, &link)?;
        notify(k, iface.class, REMOVAL, &iface.name)?;
    }
    Ok(status::SUCCESS)
}

/// The symbolic link of an interface: its name without the reference string.
fn link_of(name: &str) -> String {
    let rest = name.trim_start_matches("\\??\\");
    format!("\\??\\{}", rest.split('\\').next().unwrap_or(rest))
}

/// The PDO went: its interfaces are disabled (their links and notifications go).
pub(crate) fn pdo_removed(k: &mut Kx, pdo: u64) -> KResult<()> {
    let names: Vec<String> =
        k.ext().pnp.interfaces.list.iter().filter(|i| i.pdo == pdo && i.enabled).map(|i| i.name.clone()).collect();
    for n in names {
        let link = link_of(&n);
        let class = k.ext().pnp.interfaces.list.iter().find(|i| i.name == n).map(|i| i.class).unwrap_or_default();
        if let Some(i) = k.ext_mut().pnp.interfaces.list.iter_mut().find(|i| i.name == n) {
            i.enabled = false;
        }
        crate::ob::symlink::delete(k, &link)?;
        notify(k, class, REMOVAL, &n)?;
    }
    Ok(())
}

const DEVICE_INTERFACE_INCLUDE_NONACTIVE: u32 = 1;

/// NTSTATUS IoGetDeviceInterfaces(const GUID *InterfaceClassGuid,
/// PDEVICE_OBJECT PhysicalDeviceObject, ULONG Flags, PZZWSTR *SymbolicLinkList): the
/// class's (enabled) interfaces as a pool multi-string the caller frees.
pub fn IoGetDeviceInterfaces(k: &mut Kx, class: Ptr, pdo: Ptr, flags: u32, out: Ptr) -> KResult<NtStatus> {
    let at = caller(k);
    let g = read_guid(k, class.0)?;
    let all = flags & DEVICE_INTERFACE_INCLUDE_NONACTIVE != 0;
    let names: Vec<String> = k
        .ext()
        .pnp
        .interfaces
        .list
        .iter()
        .filter(|i| i.class == g && (all || i.enabled) && (pdo.0 == 0 || i.pdo == pdo.0))
        .map(|i| i.name.clone())
        .collect();
    let mut units: Vec<u16> = Vec::new();
    for n in &names {
        units.extend(n.encode_utf16());
        units.push(0);
    }
    units.push(0);
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let Some(p) = pool::allocate(k, 1, bytes.len() as u64, u32::from_le_bytes(*b"PnpS"), owner, at)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    k.mem_mut().write(p, &bytes)?;
    k.mem_mut().write_ptr(out.0, p)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS IoRegisterPlugPlayNotification(IO_NOTIFICATION_EVENT_CATEGORY EventCategory,
/// ULONG EventCategoryFlags, PVOID EventCategoryData, PDRIVER_OBJECT DriverObject,
/// PDRIVER_NOTIFICATION_CALLBACK_ROUTINE CallbackRoutine, PVOID Context,
/// PVOID *NotificationEntry): with PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES
/// the routine hears of the class's enabled interfaces at once.
#[allow(clippy::too_many_arguments)]
pub fn IoRegisterPlugPlayNotification(
    k: &mut Kx,
    category: u32,
    flags: u32,
    data: Ptr,
    _driver: Ptr,
    callback: Ptr,
    context: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let at = caller(k);
    if !(1..=3).contains(&category) || callback.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let class = if category == EVENT_CATEGORY_DEVICE_INTERFACE_CHANGE { Some(read_guid(k, data.0)?) } else { None };
    if category == EVENT_CATEGORY_TARGET_DEVICE_CHANGE && data.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let entry = pool::kernel_alloc(k, 0x40, b"PnpE")?;
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let n = Notification { entry, category, class, callback: callback.0, context: context.0, owner };
    k.ext_mut().pnp.interfaces.notifications.push(n.clone());
    k.mem_mut().write_ptr(out.0, entry)?;
    if let (Some(g), true) = (class, flags & PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES != 0) {
        let existing: Vec<String> =
            k.ext().pnp.interfaces.list.iter().filter(|i| i.class == g && i.enabled).map(|i| i.name.clone()).collect();
        for name in existing {
            call_interface(k, &n, ARRIVAL, g, &name)?;
        }
    }
    Ok(status::SUCCESS)
}

fn unregister(k: &mut Kx, entry: u64) -> KResult<NtStatus> {
    let list = &mut k.ext_mut().pnp.interfaces.notifications;
    let Some(i) = list.iter().position(|n| n.entry == entry) else { return Ok(status::INVALID_PARAMETER) };
    list.remove(i);
    pool::free(k, entry, None, 0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS IoUnregisterPlugPlayNotification(PVOID NotificationEntry)
pub fn IoUnregisterPlugPlayNotification(k: &mut Kx, entry: Ptr) -> KResult<NtStatus> {
    unregister(k, entry.0)
}

/// NTSTATUS IoUnregisterPlugPlayNotificationEx(PVOID NotificationEntry): no callback runs
/// once it returns (none can be running here).
pub fn IoUnregisterPlugPlayNotificationEx(k: &mut Kx, entry: Ptr) -> KResult<NtStatus> {
    unregister(k, entry.0)
}

/// The notifications `owner` still has registered.
pub(crate) fn registrations(k: &Kx, owner: Owner) -> Vec<(&'static str, String)> {
    k.ext()
        .pnp
        .interfaces
        .notifications
        .iter()
        .filter(|n| n.owner == owner)
        .map(|n| {
            let detail = match n.class {
                Some(g) => format!("device interface change {}", guid_text(&g)),
                None => format!("category {}", n.category),
            };
            ("IoRegisterPlugPlayNotification", detail)
        })
        .collect()
}

/// NTSTATUS IoOpenDeviceInterfaceRegistryKey(PUNICODE_STRING SymbolicLinkName,
/// ACCESS_MASK DesiredAccess, PHANDLE DeviceInterfaceKey): a kernel handle to the interface's
/// `Device Parameters` key (under its reference-string key `#<reference>` in
/// `Control\DeviceClasses`), made when it does not exist yet. An interface nobody registered
/// is STATUS_OBJECT_NAME_NOT_FOUND.
pub fn IoOpenDeviceInterfaceRegistryKey(k: &mut Kx, name: PUnicodeString, access: u32, out: Ptr) -> KResult<NtStatus> {
    let text = read_unicode_string(k, name.0)?;
    let Some(iface) = k.ext().pnp.interfaces.list.iter().find(|x| x.name.eq_ignore_ascii_case(&text)).cloned() else {
        return Ok(status::OBJECT_NAME_NOT_FOUND);
    };
    let reference = iface.name.split_once("}\\").map(|(_, r)| r.to_string()).unwrap_or_default();
    let instance = super::instance_path(k, iface.pdo).replace('\\', "#");
    let g = guid_text(&iface.class);
    let path = format!(
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Control\\DeviceClasses\\{g}\\##?#{instance}#{g}\\#{reference}\\Device Parameters"
    );
    let time = crate::ke::time::system_time(k);
    let Some(node) = k.ext_mut().registry.ensure(&path, time) else { return Ok(status::OBJECT_NAME_NOT_FOUND) };
    let access = crate::cm::map_access(access);
    let h =
        crate::cm::open_key_object(k, node, access, crate::ob::OBJ_KERNEL_HANDLE, crate::ob::handles::Mode::Kernel)?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}
