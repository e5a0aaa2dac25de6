//! The service control manager as a program sees it through advapi32: OpenSCManager,
//! CreateService, OpenService, StartService, ControlService, QueryServiceStatus(Ex),
//! ChangeServiceConfig, DeleteService, CloseServiceHandle.
//!
//! The database is the registry's `CurrentControlSet\Services`, as services.exe keeps it: a
//! service is a key there with a `Type` value (the sandbox's driver has one from the start:
//! it is installed). CreateService writes the key's values as the SCM does (a driver's
//! `C:\...` image path becomes `\??\C:\...`), through the kernel's registry as a user-mode
//! caller, so registry callbacks see the writes and the report lists them.
//!
//! Starting a driver service is NtLoadDriver on its key (`hle::io::service::load_driver`)
//! on the System thread, as Windows runs DriverEntry on a system worker thread while the
//! caller waits: the sandbox's own driver, installed and not yet started, is started; any
//! other is loaded from its ImagePath on the C: volume. Stopping is NtUnloadDriver. Each
//! start and stop is logged ([`Services::log`]) for the report. A failed start leaves the
//! NTSTATUS's Win32 error as GetLastError and as the service's exit code. A call that
//! succeeds leaves GetLastError as it was.
//!
//! The program is an elevated administrator: every access it asks for is granted, and each
//! handle keeps what it asked for (a call needing a right the handle lacks fails with
//! ERROR_ACCESS_DENIED). Services of the Win32 types can be created, opened, queried and
//! deleted; starting one is ERROR_NOT_SUPPORTED, as no user-mode service process runs here.
//! The local machine's active database is the only one (another machine is
//! RPC_S_SERVER_UNAVAILABLE, another database ERROR_DATABASE_DOES_NOT_EXIST).
// The functions take the parameters Windows gives them.
#![allow(non_snake_case, clippy::too_many_arguments)]

use std::collections::{BTreeMap, BTreeSet};

use portcullis_hle::cm::{utf16_text, utf16z, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::layout::{FieldAccess, DRIVER_OBJECT, ETHREAD};
use portcullis_hle::types::{status, NtStatus, Ptr, PCSTR, PCWSTR};
use serde::Serialize;

use crate::error::*;
use crate::kernel32::thread::{fail_with_status, set_last_error};
use crate::process::Object;
use crate::table::BOOL;

/// The services database, as the object manager names it.
const SERVICES: &str = "\\Registry\\Machine\\System\\CurrentControlSet\\Services";
/// Longest service name (characters).
const MAX_SERVICE_NAME: usize = 256;
/// Longest path or string argument read (characters).
const MAX_STRING: usize = 32_767;

const SERVICE_KERNEL_DRIVER: u32 = 0x1;
const SERVICE_FILE_SYSTEM_DRIVER: u32 = 0x2;
const SERVICE_WIN32_OWN_PROCESS: u32 = 0x10;
const SERVICE_WIN32_SHARE_PROCESS: u32 = 0x20;
const SERVICE_INTERACTIVE_PROCESS: u32 = 0x100;
const SERVICE_SYSTEM_START: u32 = 1;
const SERVICE_DISABLED: u32 = 4;
const SERVICE_ERROR_CRITICAL: u32 = 3;

const SERVICE_STOPPED: u32 = 1;
const SERVICE_RUNNING: u32 = 4;
const SERVICE_ACCEPT_STOP: u32 = 1;
const SERVICE_CONTROL_STOP: u32 = 1;
const SERVICE_CONTROL_PAUSE: u32 = 2;
const SERVICE_CONTROL_CONTINUE: u32 = 3;
const SERVICE_CONTROL_INTERROGATE: u32 = 4;

// Access rights (winsvc.h) and their generic mappings.
const SC_MANAGER_CONNECT: u32 = 0x1;
const SC_MANAGER_CREATE_SERVICE: u32 = 0x2;
const SC_MANAGER_ENUMERATE_SERVICE: u32 = 0x4;
const SC_MANAGER_LOCK: u32 = 0x8;
const SC_MANAGER_QUERY_LOCK_STATUS: u32 = 0x10;
const SC_MANAGER_MODIFY_BOOT_CONFIG: u32 = 0x20;
const SC_MANAGER_ALL_ACCESS: u32 = 0xF003F;
const SERVICE_QUERY_CONFIG: u32 = 0x1;
const SERVICE_CHANGE_CONFIG: u32 = 0x2;
const SERVICE_QUERY_STATUS: u32 = 0x4;
const SERVICE_ENUMERATE_DEPENDENTS: u32 = 0x8;
const SERVICE_START: u32 = 0x10;
const SERVICE_STOP: u32 = 0x20;
const SERVICE_PAUSE_CONTINUE: u32 = 0x40;
const SERVICE_INTERROGATE: u32 = 0x80;
const SERVICE_USER_DEFINED_CONTROL: u32 = 0x100;
const SERVICE_ALL_ACCESS: u32 = 0xF01FF;
const DELETE: u32 = 0x1_0000;
const STANDARD_RIGHTS: u32 = 0x2_0000;
const GENERIC_READ: u32 = 0x8000_0000;
const GENERIC_WRITE: u32 = 0x4000_0000;
const GENERIC_EXECUTE: u32 = 0x2000_0000;
const GENERIC_ALL: u32 = 0x1000_0000;

/// The rights generic access stands for: (read, write, execute, all).
type Mapping = (u32, u32, u32, u32);
const SCM_MAPPING: Mapping = (
    STANDARD_RIGHTS | SC_MANAGER_ENUMERATE_SERVICE | SC_MANAGER_QUERY_LOCK_STATUS,
    STANDARD_RIGHTS | SC_MANAGER_CREATE_SERVICE | SC_MANAGER_MODIFY_BOOT_CONFIG,
    STANDARD_RIGHTS | SC_MANAGER_CONNECT | SC_MANAGER_LOCK,
    SC_MANAGER_ALL_ACCESS,
);
const SERVICE_MAPPING: Mapping = (
    STANDARD_RIGHTS | SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS | SERVICE_INTERROGATE | SERVICE_ENUMERATE_DEPENDENTS,
    STANDARD_RIGHTS | SERVICE_CHANGE_CONFIG,
    STANDARD_RIGHTS | SERVICE_START | SERVICE_STOP | SERVICE_PAUSE_CONTINUE | SERVICE_USER_DEFINED_CONTROL,
    SERVICE_ALL_ACCESS,
);

fn map_generic(access: u32, (read, write, execute, all): Mapping) -> u32 {
    let mut a = access & 0x0FFF_FFFF;
    for (bit, rights) in [(GENERIC_READ, read), (GENERIC_WRITE, write), (GENERIC_EXECUTE, execute), (GENERIC_ALL, all)]
    {
        if access & bit != 0 {
            a |= rights;
        }
    }
    a
}

/// What the service control manager remembers besides the registry.
#[derive(Clone, Debug, Default)]
pub struct Services {
    /// Services DeleteService marked (upper-case names): their keys go when the last handle
    /// to them closes and they are stopped.
    marked: BTreeSet<String>,
    /// The Win32 exit code each service's last start left (upper-case names; none: never
    /// started).
    exit_codes: BTreeMap<String, u32>,
    /// Every start and stop a program asked for, in order.
    pub log: Vec<ServiceEvent>,
}

/// A start or stop of a driver service by a program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceEvent {
    /// "start" or "stop".
    pub action: &'static str,
    pub service: String,
    /// The program that asked.
    pub pid: u64,
    /// The driver's index in the kernel's list (once loaded).
    pub driver: Option<usize>,
    /// What NtLoadDriver / NtUnloadDriver returned (DriverEntry's status on a start).
    pub status: NtStatus,
}

/// A string argument (NULL: None), ANSI or wide.
fn text(k: &Kx, p: u64, wide: bool) -> KResult<Option<String>> {
    crate::strings::string_arg(k, p, wide, MAX_STRING)
}

/// The strings of a double-NUL-terminated list (lpDependencies), ANSI or wide.
fn string_list(k: &Kx, p: u64, wide: bool) -> KResult<Vec<String>> {
    let mut out = Vec::new();
    let mut at = p;
    while at != 0 && out.len() < 1024 {
        let s = text(k, at, wide)?.unwrap_or_default();
        if s.is_empty() {
            break;
        }
        // The string's bytes in the list: a unit per character (ANSI characters past 0x7F are
        // two bytes in a String).
        let units = if wide { s.encode_utf16().count() } else { s.chars().count() };
        at = at.saturating_add((units as u64 + 1) * if wide { 2 } else { 1 });
        out.push(s);
    }
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= MAX_SERVICE_NAME && !name.contains(['\\', '/'])
}

fn key_path(name: &str) -> String {
    format!("{SERVICES}\\{name}")
}

/// The service `name` as the database has it (its key's own spelling), if there is one.
fn find(k: &Kx, name: &str) -> Option<String> {
    let reg = &k.ext().registry;
    let node = reg.find(&key_path(name))?;
    reg.value(node, "Type")?;
    Some(reg.node(node).name.clone())
}

/// A DWORD value of the service's key.
fn dword(k: &Kx, name: &str, value: &str) -> Option<u32> {
    let reg = &k.ext().registry;
    let v = reg.value(reg.find(&key_path(name))?, value)?;
    Some(u32::from_le_bytes(v.data.get(..4)?.try_into().ok()?))
}

fn is_driver(service_type: u32) -> bool {
    service_type & (SERVICE_KERNEL_DRIVER | SERVICE_FILE_SYSTEM_DRIVER) != 0
}

/// The loaded driver of a driver service that is running (started, not unloaded).
fn running_driver(k: &Kx, name: &str) -> Option<usize> {
    k.ext().drivers().iter().position(|d| d.name.eq_ignore_ascii_case(name) && d.entry_called && !d.unloaded)
}

/// Runs `f` as the service control manager: on the System thread (DriverEntry and
/// DriverUnload run on a system worker thread on Windows), the program's thread current
/// again afterwards.
fn as_scm<T>(k: &mut Kx, f: impl FnOnce(&mut Kx) -> KResult<T>) -> KResult<T> {
    let program = portcullis_hle::ps::current_thread(k)?;
    let user_mode = k.mem().get(program, ETHREAD::PreviousMode)? != 0;
    let system = k.ext().system.system_thread;
    portcullis_hle::ps::set_current_thread(k, system, false)?;
    let r = f(k);
    portcullis_hle::ps::set_current_thread(k, program, user_mode)?;
    r
}

/// The handle's object, if it is one of the service control manager's.
fn sc_object(k: &mut Kx, h: Ptr) -> Option<Object> {
    let p = crate::current(k)?;
    p.handles.get(&h.0).filter(|o| matches!(o, Object::ScManager { .. } | Object::Service { .. })).cloned()
}

/// A service handle's (name, access), or the error for the last-error slot.
fn service_handle(k: &mut Kx, h: Ptr, needs: u32) -> KResult<Result<String, u32>> {
    Ok(match sc_object(k, h) {
        Some(Object::Service { name, access }) if access & needs == needs => Ok(name),
        Some(Object::Service { .. }) => Err(ERROR_ACCESS_DENIED),
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

fn new_handle(k: &mut Kx, object: Object) -> KResult<Ptr> {
    let p = crate::current(k).ok_or_else(|| {
        portcullis_hle::kernel::KError::Stop(portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(
            "a service control manager call with no process running".into(),
        )))
    })?;
    Ok(Ptr(p.insert(object)))
}

/// Fails a call that returns a handle: NULL, with the last error.
fn no_handle(k: &mut Kx, error: u32) -> KResult<Ptr> {
    set_last_error(k, error)?;
    Ok(Ptr::NULL)
}

/// Fails a call that returns a BOOL.
fn fail(k: &mut Kx, error: u32) -> KResult<BOOL> {
    set_last_error(k, error)?;
    Ok(BOOL(false))
}

/// SC_HANDLE OpenSCManagerA(LPCSTR lpMachineName, LPCSTR lpDatabaseName, DWORD dwDesiredAccess)
pub fn OpenSCManagerA(k: &mut Kx, machine: PCSTR, database: PCSTR, access: u32) -> KResult<Ptr> {
    let (machine, database) = (text(k, machine.0, false)?, text(k, database.0, false)?);
    open_manager(k, machine, database, access)
}

/// SC_HANDLE OpenSCManagerW(LPCWSTR lpMachineName, LPCWSTR lpDatabaseName, DWORD dwDesiredAccess)
pub fn OpenSCManagerW(k: &mut Kx, machine: PCWSTR, database: PCWSTR, access: u32) -> KResult<Ptr> {
    let (machine, database) = (text(k, machine.0, true)?, text(k, database.0, true)?);
    open_manager(k, machine, database, access)
}

fn open_manager(k: &mut Kx, machine: Option<String>, database: Option<String>, access: u32) -> KResult<Ptr> {
    let local = |m: &str| m.is_empty() || m == "." || m == "\\\\." || m.eq_ignore_ascii_case("localhost");
    if machine.as_deref().is_some_and(|m| !local(m)) {
        return no_handle(k, RPC_S_SERVER_UNAVAILABLE);
    }
    if database.as_deref().is_some_and(|d| !d.is_empty() && !d.eq_ignore_ascii_case("ServicesActive")) {
        return no_handle(k, ERROR_DATABASE_DOES_NOT_EXIST);
    }
    // SC_MANAGER_CONNECT comes with every handle.
    let access = map_generic(access, SCM_MAPPING) | SC_MANAGER_CONNECT;
    new_handle(k, Object::ScManager { access })
}

/// SC_HANDLE CreateServiceA(SC_HANDLE hSCManager, LPCSTR lpServiceName, LPCSTR lpDisplayName,
/// DWORD dwDesiredAccess, DWORD dwServiceType, DWORD dwStartType, DWORD dwErrorControl,
/// LPCSTR lpBinaryPathName, LPCSTR lpLoadOrderGroup, LPDWORD lpdwTagId, LPCSTR lpDependencies,
/// LPCSTR lpServiceStartName, LPCSTR lpPassword)
pub fn CreateServiceA(
    k: &mut Kx,
    scm: Ptr,
    name: PCSTR,
    display: PCSTR,
    access: u32,
    service_type: u32,
    start: u32,
    error_control: u32,
    binary: PCSTR,
    group: PCSTR,
    tag: Ptr,
    dependencies: Ptr,
    start_name: PCSTR,
    _password: PCSTR,
) -> KResult<Ptr> {
    let new = NewService {
        name: text(k, name.0, false)?,
        display: text(k, display.0, false)?,
        service_type,
        start,
        error_control,
        binary: text(k, binary.0, false)?,
        group: text(k, group.0, false)?,
        dependencies: string_list(k, dependencies.0, false)?,
        start_name: text(k, start_name.0, false)?,
    };
    create(k, scm, new, access, tag)
}

/// SC_HANDLE CreateServiceW(...): as CreateServiceA.
pub fn CreateServiceW(
    k: &mut Kx,
    scm: Ptr,
    name: PCWSTR,
    display: PCWSTR,
    access: u32,
    service_type: u32,
    start: u32,
    error_control: u32,
    binary: PCWSTR,
    group: PCWSTR,
    tag: Ptr,
    dependencies: Ptr,
    start_name: PCWSTR,
    _password: PCWSTR,
) -> KResult<Ptr> {
    let new = NewService {
        name: text(k, name.0, true)?,
        display: text(k, display.0, true)?,
        service_type,
        start,
        error_control,
        binary: text(k, binary.0, true)?,
        group: text(k, group.0, true)?,
        dependencies: string_list(k, dependencies.0, true)?,
        start_name: text(k, start_name.0, true)?,
    };
    create(k, scm, new, access, tag)
}

/// CreateService's arguments, read.
struct NewService {
    name: Option<String>,
    display: Option<String>,
    service_type: u32,
    start: u32,
    error_control: u32,
    binary: Option<String>,
    group: Option<String>,
    dependencies: Vec<String>,
    start_name: Option<String>,
}

/// The ImagePath the SCM stores: a driver's `C:\...` path as the NT path `\??\C:\...`.
fn image_path(binary: &str, driver: bool) -> String {
    let b = binary.as_bytes();
    if driver && b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
        format!("\\??\\{binary}")
    } else {
        binary.to_string()
    }
}

/// Whether a service type is a driver's, and whether it is a Win32 service's.
fn kinds(service_type: u32) -> (bool, bool) {
    let base = service_type & !SERVICE_INTERACTIVE_PROCESS;
    (
        matches!(base, SERVICE_KERNEL_DRIVER | SERVICE_FILE_SYSTEM_DRIVER),
        matches!(base, SERVICE_WIN32_OWN_PROCESS | SERVICE_WIN32_SHARE_PROCESS),
    )
}

/// Whether a configuration is one the SCM accepts: a driver or Win32 type (a driver is not
/// interactive), a start type that exists (boot and system starts are for drivers), an
/// error control that exists, and a tag asked for only in a group with a boot or system start.
fn valid_config(service_type: u32, start: u32, error_control: u32, tag: bool, group: bool) -> bool {
    let (driver, win32) = kinds(service_type);
    (driver || win32)
        && !(driver && service_type & SERVICE_INTERACTIVE_PROCESS != 0)
        && start <= SERVICE_DISABLED
        && (driver || start > SERVICE_SYSTEM_START)
        && error_control <= SERVICE_ERROR_CRITICAL
        && !(tag && (!group || start > SERVICE_SYSTEM_START))
}

fn create(k: &mut Kx, scm: Ptr, new: NewService, access: u32, tag: Ptr) -> KResult<Ptr> {
    match sc_object(k, scm) {
        Some(Object::ScManager { access }) if access & SC_MANAGER_CREATE_SERVICE != 0 => {}
        Some(Object::ScManager { .. }) => return no_handle(k, ERROR_ACCESS_DENIED),
        _ => return no_handle(k, ERROR_INVALID_HANDLE),
    }
    let Some(name) = new.name.filter(|n| valid_name(n)) else { return no_handle(k, ERROR_INVALID_NAME) };
    let Some(binary) = new.binary.filter(|b| !b.is_empty()) else {
        return no_handle(k, ERROR_INVALID_PARAMETER);
    };
    let (driver, win32) = kinds(new.service_type);
    let group = new.group.filter(|g| !g.is_empty());
    if !valid_config(new.service_type, new.start, new.error_control, tag.0 != 0, group.is_some()) {
        return no_handle(k, ERROR_INVALID_PARAMETER);
    }
    if let Some(existing) = find(k, &name) {
        let marked = crate::state(k).services.marked.contains(&existing.to_uppercase());
        return no_handle(k, if marked { ERROR_SERVICE_MARKED_FOR_DELETE } else { ERROR_SERVICE_EXISTS });
    }
    if let Some(display) = new.display.as_deref().filter(|d| !d.is_empty()) {
        if display_taken(k, display) {
            return no_handle(k, ERROR_DUPLICATE_SERVICE_NAME);
        }
    }
    // A tag orders the drivers of a load-order group: one past the group's highest.
    let tag_value = match &group {
        Some(g) if tag.0 != 0 => Some(next_tag(k, g)),
        _ => None,
    };

    let path = key_path(&name);
    let mut values: Vec<(&str, u32, Vec<u8>)> = vec![
        ("Type", REG_DWORD, new.service_type.to_le_bytes().to_vec()),
        ("Start", REG_DWORD, new.start.to_le_bytes().to_vec()),
        ("ErrorControl", REG_DWORD, new.error_control.to_le_bytes().to_vec()),
        ("ImagePath", REG_EXPAND_SZ, utf16z(&image_path(&binary, driver))),
    ];
    if let Some(d) = new.display.as_deref().filter(|d| !d.is_empty()) {
        values.push(("DisplayName", REG_SZ, utf16z(d)));
    }
    if let Some(g) = &group {
        values.push(("Group", REG_SZ, utf16z(g)));
    }
    if let Some(t) = tag_value {
        values.push(("Tag", REG_DWORD, t.to_le_bytes().to_vec()));
    }
    if !new.dependencies.is_empty() {
        let mut data: Vec<u8> = new.dependencies.iter().flat_map(|d| utf16z(d)).collect();
        data.extend_from_slice(&[0, 0]);
        values.push(("DependOnService", REG_MULTI_SZ, data));
    }
    let object_name = match (win32, new.start_name.filter(|s| !s.is_empty())) {
        (_, Some(s)) => Some(s),
        (true, None) => Some("LocalSystem".to_string()),
        (false, None) => None,
    };
    if let Some(o) = &object_name {
        values.push(("ObjectName", REG_SZ, utf16z(o)));
    }
    let written = as_scm(k, |k| {
        let st = portcullis_hle::cm::user::create_key(k, &path)?;
        if !st.is_success() {
            return Ok(st);
        }
        for (value, ty, data) in values {
            let st = portcullis_hle::cm::user::set(k, &path, value, ty, data)?;
            if !st.is_success() {
                return Ok(st);
            }
        }
        Ok(status::SUCCESS)
    })?;
    if !written.is_success() {
        fail_with_status(k, written.0)?;
        return Ok(Ptr::NULL);
    }
    if let Some(t) = tag_value {
        k.mem_mut().write_u32(tag.0, t)?;
    }
    new_handle(k, Object::Service { name, access: map_generic(access, SERVICE_MAPPING) })
}

/// Whether a service has `display` as its name or display name.
fn display_taken(k: &Kx, display: &str) -> bool {
    let reg = &k.ext().registry;
    let Some(root) = reg.find(SERVICES) else { return false };
    reg.subkeys(root).into_iter().any(|s| {
        reg.node(s).name.eq_ignore_ascii_case(display)
            || reg.value(s, "DisplayName").is_some_and(|v| utf16_text(&v.data).eq_ignore_ascii_case(display))
    })
}

/// One more than the highest tag of the load-order group `group`.
fn next_tag(k: &Kx, group: &str) -> u32 {
    let reg = &k.ext().registry;
    let Some(root) = reg.find(SERVICES) else { return 1 };
    let highest = reg
        .subkeys(root)
        .into_iter()
        .filter(|&s| reg.value(s, "Group").is_some_and(|v| utf16_text(&v.data).eq_ignore_ascii_case(group)))
        .filter_map(|s| reg.value(s, "Tag").and_then(|v| Some(u32::from_le_bytes(v.data.get(..4)?.try_into().ok()?))))
        .max()
        .unwrap_or(0);
    highest.saturating_add(1)
}

/// SC_HANDLE OpenServiceA(SC_HANDLE hSCManager, LPCSTR lpServiceName, DWORD dwDesiredAccess)
pub fn OpenServiceA(k: &mut Kx, scm: Ptr, name: PCSTR, access: u32) -> KResult<Ptr> {
    let name = text(k, name.0, false)?;
    open_service(k, scm, name, access)
}

/// SC_HANDLE OpenServiceW(SC_HANDLE hSCManager, LPCWSTR lpServiceName, DWORD dwDesiredAccess)
pub fn OpenServiceW(k: &mut Kx, scm: Ptr, name: PCWSTR, access: u32) -> KResult<Ptr> {
    let name = text(k, name.0, true)?;
    open_service(k, scm, name, access)
}

fn open_service(k: &mut Kx, scm: Ptr, name: Option<String>, access: u32) -> KResult<Ptr> {
    if !matches!(sc_object(k, scm), Some(Object::ScManager { .. })) {
        return no_handle(k, ERROR_INVALID_HANDLE);
    }
    let Some(name) = name.filter(|n| valid_name(n)) else { return no_handle(k, ERROR_INVALID_NAME) };
    let Some(name) = find(k, &name) else { return no_handle(k, ERROR_SERVICE_DOES_NOT_EXIST) };
    new_handle(k, Object::Service { name, access: map_generic(access, SERVICE_MAPPING) })
}

/// BOOL StartServiceA(SC_HANDLE hService, DWORD dwNumServiceArgs, LPCSTR *lpServiceArgVectors):
/// a driver takes no arguments (they go to a Win32 service's ServiceMain).
pub fn StartServiceA(k: &mut Kx, service: Ptr, _argc: u32, _argv: Ptr) -> KResult<BOOL> {
    start(k, service)
}

/// BOOL StartServiceW(...): as StartServiceA.
pub fn StartServiceW(k: &mut Kx, service: Ptr, _argc: u32, _argv: Ptr) -> KResult<BOOL> {
    start(k, service)
}

fn start(k: &mut Kx, service: Ptr) -> KResult<BOOL> {
    let name = match service_handle(k, service, SERVICE_START)? {
        Ok(n) => n,
        Err(e) => return fail(k, e),
    };
    let upper = name.to_uppercase();
    if crate::state(k).services.marked.contains(&upper) {
        return fail(k, ERROR_SERVICE_MARKED_FOR_DELETE);
    }
    let Some(service_type) = dword(k, &name, "Type") else { return fail(k, ERROR_SERVICE_DOES_NOT_EXIST) };
    if dword(k, &name, "Start") == Some(SERVICE_DISABLED) {
        return fail(k, ERROR_SERVICE_DISABLED);
    }
    if !is_driver(service_type) {
        return fail(k, ERROR_NOT_SUPPORTED);
    }
    if running_driver(k, &name).is_some() {
        return fail(k, ERROR_SERVICE_ALREADY_RUNNING);
    }
    let path = key_path(&name);
    let st = as_scm(k, |k| portcullis_hle::io::service::load_driver(k, &path))?;
    let driver = k.ext().drivers().iter().rposition(|d| d.name.eq_ignore_ascii_case(&name) && d.entry_called);
    log(k, "start", &name, driver, st);
    if st == status::IMAGE_ALREADY_LOADED {
        return fail(k, ERROR_SERVICE_ALREADY_RUNNING);
    }
    let error = if st.is_success() { ERROR_SUCCESS } else { crate::error::nt_status_to_dos_error(st.0) };
    crate::state(k).services.exit_codes.insert(upper, error);
    if st.is_success() {
        Ok(BOOL(true))
    } else {
        fail(k, error)
    }
}

fn log(k: &mut Kx, action: &'static str, service: &str, driver: Option<usize>, status: NtStatus) {
    let pid = crate::current(k).map_or(0, |p| p.pid);
    crate::state(k).services.log.push(ServiceEvent { action, service: service.to_string(), pid, driver, status });
}

/// SERVICE_STATUS: seven DWORDs.
fn write_status(k: &mut Kx, at: u64, name: &str) -> KResult<()> {
    let service_type = dword(k, name, "Type").unwrap_or(0);
    let running = running_driver(k, name);
    let stoppable = match running {
        Some(d) => {
            let object = k.ext().drivers()[d].driver_object;
            k.mem().get(object, DRIVER_OBJECT::DriverUnload)? != 0
        }
        None => false,
    };
    let exit = crate::state(k).services.exit_codes.get(&name.to_uppercase()).copied();
    let fields = [
        service_type,
        if running.is_some() { SERVICE_RUNNING } else { SERVICE_STOPPED },
        if stoppable { SERVICE_ACCEPT_STOP } else { 0 },
        if running.is_some() { ERROR_SUCCESS } else { exit.unwrap_or(ERROR_SERVICE_NEVER_STARTED) },
        0,
        0,
        0,
    ];
    let bytes: Vec<u8> = fields.iter().flat_map(|f| f.to_le_bytes()).collect();
    k.mem_mut().write(at, &bytes)?;
    Ok(())
}

/// BOOL QueryServiceStatus(SC_HANDLE hService, LPSERVICE_STATUS lpServiceStatus)
pub fn QueryServiceStatus(k: &mut Kx, service: Ptr, out: Ptr) -> KResult<BOOL> {
    let name = match service_handle(k, service, SERVICE_QUERY_STATUS)? {
        Ok(n) => n,
        Err(e) => return fail(k, e),
    };
    if out.0 == 0 {
        return fail(k, RPC_X_NULL_REF_POINTER);
    }
    write_status(k, out.0, &name)?;
    Ok(BOOL(true))
}

/// SC_STATUS_PROCESS_INFO, QueryServiceStatusEx's one level, and SERVICE_STATUS_PROCESS's size.
const SC_STATUS_PROCESS_INFO: u32 = 0;
const SERVICE_STATUS_PROCESS_SIZE: u32 = 36;

/// BOOL QueryServiceStatusEx(SC_HANDLE hService, SC_STATUS_TYPE InfoLevel, LPBYTE lpBuffer,
/// DWORD cbBufSize, LPDWORD pcbBytesNeeded): SERVICE_STATUS_PROCESS, the status and then the
/// process the service runs in (none for a driver: 0) and its flags (0). A smaller buffer is
/// ERROR_INSUFFICIENT_BUFFER with the size needed; another level ERROR_INVALID_LEVEL.
pub fn QueryServiceStatusEx(k: &mut Kx, service: Ptr, level: u32, out: Ptr, size: u32, needed: Ptr) -> KResult<BOOL> {
    let name = match service_handle(k, service, SERVICE_QUERY_STATUS)? {
        Ok(n) => n,
        Err(e) => return fail(k, e),
    };
    if level != SC_STATUS_PROCESS_INFO {
        return fail(k, ERROR_INVALID_LEVEL);
    }
    if needed.0 == 0 {
        return fail(k, RPC_X_NULL_REF_POINTER);
    }
    k.mem_mut().write_u32(needed.0, SERVICE_STATUS_PROCESS_SIZE)?;
    if size < SERVICE_STATUS_PROCESS_SIZE {
        return fail(k, ERROR_INSUFFICIENT_BUFFER);
    }
    if out.0 == 0 {
        return fail(k, RPC_X_NULL_REF_POINTER);
    }
    write_status(k, out.0, &name)?;
    k.mem_mut().write(out.0 + 28, &[0; 8])?;
    Ok(BOOL(true))
}

/// A registry value's type and data; a change that removes the value has none.
type Typed = (u32, Vec<u8>);

/// ChangeServiceConfig's SERVICE_NO_CHANGE.
const SERVICE_NO_CHANGE: u32 = 0xFFFF_FFFF;

/// BOOL ChangeServiceConfigA(SC_HANDLE hService, DWORD dwServiceType, DWORD dwStartType, DWORD
/// dwErrorControl, LPCSTR lpBinaryPathName, LPCSTR lpLoadOrderGroup, LPDWORD lpdwTagId,
/// LPCSTR lpDependencies, LPCSTR lpServiceStartName, LPCSTR lpPassword, LPCSTR lpDisplayName)
#[allow(clippy::too_many_arguments)]
pub fn ChangeServiceConfigA(
    k: &mut Kx,
    service: Ptr,
    service_type: u32,
    start: u32,
    error_control: u32,
    binary: PCSTR,
    group: PCSTR,
    tag: Ptr,
    dependencies: Ptr,
    start_name: PCSTR,
    _password: PCSTR,
    display: PCSTR,
) -> KResult<BOOL> {
    let strings = [binary.0, group.0, dependencies.0, start_name.0, display.0];
    let change = Change::read(k, false, [service_type, start, error_control], strings)?;
    change_config(k, service, change, tag)
}

/// BOOL ChangeServiceConfigW(...): as ChangeServiceConfigA.
#[allow(clippy::too_many_arguments)]
pub fn ChangeServiceConfigW(
    k: &mut Kx,
    service: Ptr,
    service_type: u32,
    start: u32,
    error_control: u32,
    binary: PCWSTR,
    group: PCWSTR,
    tag: Ptr,
    dependencies: Ptr,
    start_name: PCWSTR,
    _password: PCWSTR,
    display: PCWSTR,
) -> KResult<BOOL> {
    let strings = [binary.0, group.0, dependencies.0, start_name.0, display.0];
    let change = Change::read(k, true, [service_type, start, error_control], strings)?;
    change_config(k, service, change, tag)
}

/// ChangeServiceConfig's arguments, read: SERVICE_NO_CHANGE and NULL leave a field as it is.
struct Change {
    service_type: u32,
    start: u32,
    error_control: u32,
    binary: Option<String>,
    group: Option<String>,
    dependencies: Option<Vec<String>>,
    start_name: Option<String>,
    display: Option<String>,
}

impl Change {
    /// Reads the type, start and error control, then the binary path, group, dependency list,
    /// start name and display name at their addresses (ANSI, or UTF-16 when `wide`).
    fn read(k: &Kx, wide: bool, [service_type, start, error_control]: [u32; 3], at: [u64; 5]) -> KResult<Change> {
        let [binary, group, dependencies, start_name, display] = at;
        Ok(Change {
            service_type,
            start,
            error_control,
            binary: text(k, binary, wide)?,
            group: text(k, group, wide)?,
            dependencies: (dependencies != 0).then(|| string_list(k, dependencies, wide)).transpose()?,
            start_name: text(k, start_name, wide)?,
            display: text(k, display, wide)?,
        })
    }
}

/// Changes a service's configuration in its key, checked as CreateService checks a new one
/// (against what it keeps where nothing changes): an empty group or dependency list removes
/// it; a tag needs a group and a boot or system start (a new one is handed out).
fn change_config(k: &mut Kx, service: Ptr, c: Change, tag: Ptr) -> KResult<BOOL> {
    let name = match service_handle(k, service, SERVICE_CHANGE_CONFIG)? {
        Ok(n) => n,
        Err(e) => return fail(k, e),
    };
    if crate::state(k).services.marked.contains(&name.to_uppercase()) {
        return fail(k, ERROR_SERVICE_MARKED_FOR_DELETE);
    }
    let or_now =
        |k: &Kx, new: u32, value: &str| if new == SERVICE_NO_CHANGE { dword(k, &name, value) } else { Some(new) };
    let service_type = or_now(k, c.service_type, "Type").unwrap_or(0);
    let start = or_now(k, c.start, "Start").unwrap_or(SERVICE_DISABLED);
    let error_control = or_now(k, c.error_control, "ErrorControl").unwrap_or(0);
    let (driver, _) = kinds(service_type);
    let path = key_path(&name);
    let group_now = {
        let reg = &k.ext().registry;
        reg.find(&path).and_then(|key| reg.value(key, "Group")).map(|v| utf16_text(&v.data))
    };
    let group = match &c.group {
        Some(g) => Some(g.clone()).filter(|g| !g.is_empty()),
        None => group_now.filter(|g| !g.is_empty()),
    };
    let valid = valid_config(service_type, start, error_control, tag.0 != 0, group.is_some());
    if !valid || c.binary.as_deref() == Some("") {
        return fail(k, ERROR_INVALID_PARAMETER);
    }
    if let Some(display) = c.display.as_deref().filter(|d| !d.is_empty()) {
        let own = display.eq_ignore_ascii_case(&name)
            || k.ext()
                .registry
                .find(&path)
                .and_then(|key| k.ext().registry.value(key, "DisplayName"))
                .is_some_and(|v| utf16_text(&v.data).eq_ignore_ascii_case(display));
        if !own && display_taken(k, display) {
            return fail(k, ERROR_DUPLICATE_SERVICE_NAME);
        }
    }
    let tag_value = match &group {
        Some(g) if tag.0 != 0 => Some(next_tag(k, g)),
        _ => None,
    };
    let mut writes: Vec<(&str, Option<Typed>)> = Vec::new();
    for (value, new) in [("Type", c.service_type), ("Start", c.start), ("ErrorControl", c.error_control)] {
        if new != SERVICE_NO_CHANGE {
            writes.push((value, Some((REG_DWORD, new.to_le_bytes().to_vec()))));
        }
    }
    if let Some(b) = &c.binary {
        writes.push(("ImagePath", Some((REG_EXPAND_SZ, utf16z(&image_path(b, driver))))));
    }
    match c.group.as_deref() {
        Some("") => writes.push(("Group", None)),
        Some(g) => writes.push(("Group", Some((REG_SZ, utf16z(g))))),
        None => {}
    }
    if let Some(t) = tag_value {
        writes.push(("Tag", Some((REG_DWORD, t.to_le_bytes().to_vec()))));
    }
    match &c.dependencies {
        Some(d) if d.is_empty() => writes.push(("DependOnService", None)),
        Some(d) => {
            let mut data: Vec<u8> = d.iter().flat_map(|s| utf16z(s)).collect();
            data.extend_from_slice(&[0, 0]);
            writes.push(("DependOnService", Some((REG_MULTI_SZ, data))));
        }
        None => {}
    }
    if let Some(s) = c.start_name.as_deref().filter(|s| !s.is_empty()) {
        writes.push(("ObjectName", Some((REG_SZ, utf16z(s)))));
    }
    match c.display.as_deref() {
        Some("") => writes.push(("DisplayName", None)),
        Some(d) => writes.push(("DisplayName", Some((REG_SZ, utf16z(d))))),
        None => {}
    }
    let written = as_scm(k, |k| {
        for (value, write) in writes {
            let st = match write {
                Some((ty, data)) => portcullis_hle::cm::user::set(k, &path, value, ty, data)?,
                None => match portcullis_hle::cm::user::delete(k, &path, value)? {
                    // Nothing to remove is no failure.
                    st if st == status::OBJECT_NAME_NOT_FOUND => status::SUCCESS,
                    st => st,
                },
            };
            if !st.is_success() {
                return Ok(st);
            }
        }
        Ok(status::SUCCESS)
    })?;
    if !written.is_success() {
        fail_with_status(k, written.0)?;
        return Ok(BOOL(false));
    }
    if let Some(t) = tag_value {
        k.mem_mut().write_u32(tag.0, t)?;
    }
    Ok(BOOL(true))
}

/// BOOL ControlService(SC_HANDLE hService, DWORD dwControl, LPSERVICE_STATUS lpServiceStatus):
/// a driver accepts SERVICE_CONTROL_STOP (when it has an unload routine) and
/// SERVICE_CONTROL_INTERROGATE; any other control is ERROR_INVALID_SERVICE_CONTROL.
pub fn ControlService(k: &mut Kx, service: Ptr, control: u32, out: Ptr) -> KResult<BOOL> {
    let needs = match control {
        SERVICE_CONTROL_STOP => SERVICE_STOP,
        SERVICE_CONTROL_PAUSE | SERVICE_CONTROL_CONTINUE => SERVICE_PAUSE_CONTINUE,
        SERVICE_CONTROL_INTERROGATE => SERVICE_INTERROGATE,
        128..=255 => SERVICE_USER_DEFINED_CONTROL,
        _ => 0,
    };
    let name = match service_handle(k, service, needs)? {
        Ok(n) => n,
        Err(e) => return fail(k, e),
    };
    if out.0 == 0 {
        return fail(k, RPC_X_NULL_REF_POINTER);
    }
    if needs == 0 {
        return fail(k, ERROR_INVALID_PARAMETER);
    }
    let Some(driver) = running_driver(k, &name) else {
        write_status(k, out.0, &name)?;
        return fail(k, ERROR_SERVICE_NOT_ACTIVE);
    };
    match control {
        SERVICE_CONTROL_INTERROGATE => {}
        SERVICE_CONTROL_STOP => {
            let path = key_path(&name);
            let st = as_scm(k, |k| portcullis_hle::io::service::unload_driver(k, &path))?;
            log(k, "stop", &name, Some(driver), st);
            if !st.is_success() {
                write_status(k, out.0, &name)?;
                return fail(k, ERROR_INVALID_SERVICE_CONTROL);
            }
            crate::state(k).services.exit_codes.insert(name.to_uppercase(), ERROR_SUCCESS);
        }
        _ => {
            write_status(k, out.0, &name)?;
            return fail(k, ERROR_INVALID_SERVICE_CONTROL);
        }
    }
    write_status(k, out.0, &name)?;
    Ok(BOOL(true))
}

/// BOOL DeleteService(SC_HANDLE hService): marks the service for deletion; its key goes
/// once it is stopped and its last handle is closed.
pub fn DeleteService(k: &mut Kx, service: Ptr) -> KResult<BOOL> {
    let name = match service_handle(k, service, DELETE)? {
        Ok(n) => n,
        Err(e) => return fail(k, e),
    };
    if !crate::state(k).services.marked.insert(name.to_uppercase()) {
        return fail(k, ERROR_SERVICE_MARKED_FOR_DELETE);
    }
    Ok(BOOL(true))
}

/// BOOL CloseServiceHandle(SC_HANDLE hSCObject)
pub fn CloseServiceHandle(k: &mut Kx, h: Ptr) -> KResult<BOOL> {
    let Some(object) = sc_object(k, h) else { return fail(k, ERROR_INVALID_HANDLE) };
    if let Some(p) = crate::current(k) {
        p.handles.remove(&h.0);
    }
    if let Object::Service { name, .. } = object {
        delete_if_done(k, &name)?;
    }
    Ok(BOOL(true))
}

/// Deletes a marked service's key (and its subkeys) once it is stopped and no process has a
/// handle to it.
pub(crate) fn delete_if_done(k: &mut Kx, name: &str) -> KResult<()> {
    let upper = name.to_uppercase();
    let open = crate::state(k).processes.iter().filter(|p| p.exited.is_none()).any(|p| {
        p.handles.values().any(|o| matches!(o, Object::Service { name: n, .. } if n.eq_ignore_ascii_case(name)))
    });
    if open || !crate::state(k).services.marked.contains(&upper) || running_driver(k, name).is_some() {
        return Ok(());
    }
    crate::state(k).services.marked.remove(&upper);
    crate::state(k).services.exit_codes.remove(&upper);
    // Deepest keys first: a key with subkeys cannot be deleted.
    let mut keys = Vec::new();
    if let Some(root) = k.ext().registry.find(&key_path(name)) {
        let reg = &k.ext().registry;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            keys.push(reg.path_of(node));
            stack.extend(reg.subkeys(node));
        }
    }
    as_scm(k, |k| {
        for key in keys.iter().rev() {
            portcullis_hle::cm::user::delete_key(k, key)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_rights_map_to_the_service_rights_windows_gives() {
        assert_eq!(map_generic(GENERIC_ALL, SERVICE_MAPPING), SERVICE_ALL_ACCESS);
        let execute = map_generic(GENERIC_EXECUTE, SERVICE_MAPPING);
        assert_eq!(execute & (SERVICE_START | SERVICE_STOP), SERVICE_START | SERVICE_STOP);
        assert_eq!(execute & SERVICE_QUERY_STATUS, 0);
        assert_eq!(map_generic(GENERIC_READ | DELETE, SERVICE_MAPPING) & (SERVICE_QUERY_STATUS | DELETE), 0x1_0004);
        assert_eq!(map_generic(GENERIC_WRITE, SCM_MAPPING) & SC_MANAGER_CREATE_SERVICE, SC_MANAGER_CREATE_SERVICE);
    }

    #[test]
    fn a_drivers_dos_path_becomes_an_nt_path() {
        assert_eq!(image_path(r"C:\drivers\giveio.sys", true), r"\??\C:\drivers\giveio.sys");
        assert_eq!(image_path(r"\SystemRoot\System32\drivers\x.sys", true), r"\SystemRoot\System32\drivers\x.sys");
        assert_eq!(image_path(r"system32\drivers\x.sys", true), r"system32\drivers\x.sys");
        assert_eq!(image_path(r"C:\tools\svc.exe", false), r"C:\tools\svc.exe");
    }

    #[test]
    fn service_names_have_no_slashes_and_fit() {
        assert!(valid_name("giveio"));
        assert!(!valid_name(""));
        assert!(!valid_name(r"a\b") && !valid_name("a/b"));
        assert!(!valid_name(&"x".repeat(MAX_SERVICE_NAME + 1)));
    }
}
