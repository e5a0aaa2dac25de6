//! Registering a minifilter: FltRegisterFilter reads the FLT_REGISTRATION of the version the
//! driver was built with, FltStartFiltering attaches an instance to the volume (the driver's
//! InstanceSetupCallback may decline), FltUnregisterFilter tears the instances down. As
//! fltmgr.sys does, registering puts the Filter Manager's own routine in DriverUnload: at
//! unload it calls the FilterUnloadCallback (which calls FltUnregisterFilter), then the
//! driver's own DriverUnload if it had one.
//!
//! A filter's altitude comes from its service key, where the INF's AddRegistry section puts
//! it (`Instances\DefaultInstance` names a subkey holding `Altitude` and `Flags`); without
//! one FltRegisterFilter fails with STATUS_OBJECT_NAME_NOT_FOUND, as on Windows. Loading a
//! driver that imports fltmgr.sys writes that key, as its installation would ([`install`]),
//! unless the scenario's registry already has one.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::layout::FLT_RELATED_OBJECTS as REL;
use super::layout::{size, FLT_CONTEXT_REGISTRATION as CR, FLT_OPERATION_REGISTRATION as OR, FLT_REGISTRATION as R};
use super::{st, ContextRegistration, Filter, Instance, OperationCallbacks};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DRIVER_OBJECT};
use crate::ob::Owner;
use crate::types::{status, NtStatus, Ptr};

/// IRP_MJ_OPERATION_END, FLT_CONTEXT_END.
const OPERATION_END: u64 = 0x80;
const CONTEXT_END: u64 = 0xFFFF;
/// Bounds on the arrays a registration points at (there are 28 IRP majors and 22 internal
/// operations; seven context types).
const MAX_OPERATIONS: u64 = 64;
const MAX_CONTEXTS: u64 = 64;
/// The altitude a loaded minifilter gets when the scenario gives none (the FSFilter
/// Activity Monitor range).
pub const DEFAULT_ALTITUDE: &str = "370030";
const FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT: u64 = 1;
const FILE_DEVICE_DISK_FILE_SYSTEM: u64 = 8;
const FLT_FSTYPE_NTFS: u64 = 2;
const FLTFL_INSTANCE_TEARDOWN_FILTER_UNLOAD: u64 = 2;

fn services(name: &str) -> String {
    format!("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\{name}")
}

/// Writes a loaded minifilter's `Instances` key (DefaultInstance, its Altitude and Flags),
/// unless it has one.
pub fn install(k: &mut Kx, name: &str) {
    let base = services(name);
    if k.ext().registry.find(&format!("{base}\\Instances")).is_some() {
        return;
    }
    let instance = format!("{name} Instance");
    let sz = |s: &str| crate::cm::utf16z(s);
    crate::cm::seed_value(k, &format!("{base}\\Instances"), Some(("DefaultInstance", 1, sz(&instance))));
    let key = format!("{base}\\Instances\\{instance}");
    crate::cm::seed_value(k, &key, Some(("Altitude", 1, sz(DEFAULT_ALTITUDE))));
    crate::cm::seed_value(k, &key, Some(("Flags", 4, 0u32.to_le_bytes().to_vec())));
}

/// (instance name, altitude) from the service key of `driver`.
fn altitude(k: &Kx, driver: &str) -> Option<(String, String)> {
    let reg = &k.ext().registry;
    let text = |key: usize, value: &str| reg.value(key, value).map(|v| crate::cm::utf16_text(&v.data));
    let instances = reg.find(&format!("{}\\Instances", services(driver)))?;
    let default = text(instances, "DefaultInstance")?;
    let key = reg.child(instances, &default)?;
    let altitude = text(key, "Altitude")?;
    (!altitude.is_empty() && altitude.chars().all(|c| c.is_ascii_digit() || c == '.')).then_some((default, altitude))
}

fn read_operations(k: &Kx, at: u64) -> KResult<Option<Vec<OperationCallbacks>>> {
    let arch = k.arch();
    let mut v = Vec::new();
    if at == 0 {
        return Ok(Some(v));
    }
    for i in 0..MAX_OPERATIONS {
        let e = at + i * size(OR::SIZE, arch);
        let major = k.mem().get(e, OR::MajorFunction)?;
        if major == OPERATION_END {
            return Ok(Some(v));
        }
        v.push(OperationCallbacks {
            major: major as u8,
            flags: k.mem().get(e, OR::Flags)? as u32,
            pre: k.mem().get(e, OR::PreOperation)?,
            post: k.mem().get(e, OR::PostOperation)?,
        });
    }
    Ok(None)
}

fn read_contexts(k: &Kx, at: u64) -> KResult<Result<Vec<ContextRegistration>, NtStatus>> {
    let arch = k.arch();
    let mut v = Vec::new();
    if at == 0 {
        return Ok(Ok(v));
    }
    for i in 0..MAX_CONTEXTS {
        let e = at + i * size(CR::SIZE, arch);
        let kind = k.mem().get(e, CR::ContextType)?;
        if kind == CONTEXT_END {
            return Ok(Ok(v));
        }
        let r = ContextRegistration {
            kind: kind as u16,
            flags: k.mem().get(e, CR::Flags)? as u16,
            cleanup: k.mem().get(e, CR::ContextCleanupCallback)?,
            size: match k.mem().get(e, CR::Size)? {
                s if s == arch.mask(u64::MAX) => u64::MAX,
                s => s,
            },
            tag: k.mem().get(e, CR::PoolTag)? as u32,
            allocate: k.mem().get(e, CR::ContextAllocateCallback)?,
            free: k.mem().get(e, CR::ContextFreeCallback)?,
        };
        // One type per entry; allocation routines come in pairs (the kernel allocates itself).
        if r.kind.count_ones() != 1 || r.kind & super::context::ALL == 0 || (r.allocate == 0) != (r.free == 0) {
            return Ok(Err(st::FLT_INVALID_CONTEXT_REGISTRATION));
        }
        if r.allocate != 0 {
            return Ok(Err(status::NOT_SUPPORTED));
        }
        v.push(r);
    }
    Ok(Err(st::FLT_INVALID_CONTEXT_REGISTRATION))
}

/// NTSTATUS FltRegisterFilter(PDRIVER_OBJECT Driver, const FLT_REGISTRATION *Registration,
/// PFLT_FILTER *RetFilter)
pub fn FltRegisterFilter(k: &mut Kx, driver: Ptr, registration: Ptr, ret: Ptr) -> KResult<NtStatus> {
    let arch = k.arch();
    let Some(index) = k.ext().drivers.iter().position(|d| d.driver_object == driver.0) else {
        return Ok(status::INVALID_PARAMETER);
    };
    let r = registration.0;
    let version = k.mem().get(r, R::Version)? as u16;
    let given = k.mem().get(r, R::Size)?;
    // The major version must be 2; the minor says which fields exist.
    let Some(&(_, s86, s64)) = R::SIZES.iter().rev().find(|(v, _, _)| *v <= version && version & 0xFF00 == 0x0200)
    else {
        return Ok(status::INVALID_PARAMETER);
    };
    if given < size([s86, s64], arch) {
        return Ok(status::INVALID_PARAMETER);
    }
    let Some(operations) = read_operations(k, k.mem().get(r, R::OperationRegistration)?)? else {
        return Ok(status::INVALID_PARAMETER);
    };
    let contexts = match read_contexts(k, k.mem().get(r, R::ContextRegistration)?)? {
        Ok(c) => c,
        Err(s) => return Ok(s),
    };
    let name = k.ext().drivers[index].name.trim_end_matches(".sys").to_string();
    let service = k.ext().drivers[index].name.clone();
    let Some((instance_name, altitude)) = altitude(k, &service).or_else(|| altitude(k, &name)) else {
        return Ok(status::OBJECT_NAME_NOT_FOUND);
    };
    let filter = super::new_object(k, 0x40)?;
    let unload = k.mem().get(r, R::FilterUnloadCallback)?;
    let f = Filter {
        address: filter,
        driver_object: driver.0,
        owner: Owner::Driver(index),
        name,
        altitude,
        instance_name,
        flags: k.mem().get(r, R::Flags)? as u32,
        unload,
        instance_setup: k.mem().get(r, R::InstanceSetupCallback)?,
        query_teardown: k.mem().get(r, R::InstanceQueryTeardownCallback)?,
        teardown_start: k.mem().get(r, R::InstanceTeardownStartCallback)?,
        teardown_complete: k.mem().get(r, R::InstanceTeardownCompleteCallback)?,
        operations,
        contexts,
        started: false,
        unregistering: false,
    };
    k.ext_mut().flt.filters.insert(filter, f);
    super::volume(k)?;
    if unload != 0 {
        if let Some(ours) = crate::exports::internal::address(k, "FltpMiniFilterDriverUnload") {
            let current = k.mem().get(driver.0, DRIVER_OBJECT::DriverUnload)?;
            if current != ours {
                k.ext_mut().flt.driver_unloads.insert(driver.0, current);
                k.mem_mut().set(driver.0, DRIVER_OBJECT::DriverUnload, ours)?;
            }
        }
    }
    k.mem_mut().write_ptr(ret.0, filter)?;
    Ok(status::SUCCESS)
}

/// An altitude as a number for ordering ("370030", "370030.5").
fn altitude_key(a: &str) -> (u64, u64) {
    let mut parts = a.splitn(2, '.');
    let whole = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let frac = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (whole, frac)
}

/// Fills an FLT_RELATED_OBJECTS for `instance` of `filter` (no file object).
pub(crate) fn related(k: &mut Kx, filter: u64, instance: u64) -> KResult<u64> {
    let arch = k.arch();
    let volume = super::volume(k)?;
    let rel = crate::ex::pool::kernel_alloc(k, size(REL::SIZE, arch), b"FMro")?;
    let mem = k.mem_mut();
    mem.set(rel, REL::Size, size(REL::SIZE, arch))?;
    mem.set(rel, REL::Filter, filter)?;
    mem.set(rel, REL::Volume, volume)?;
    mem.set(rel, REL::Instance, instance)?;
    Ok(rel)
}

/// NTSTATUS FltStartFiltering(PFLT_FILTER Filter): attaches an instance to the volume
/// (automatic attachment), asking the InstanceSetupCallback first.
pub fn FltStartFiltering(k: &mut Kx, filter: Ptr) -> KResult<NtStatus> {
    let Some(f) = super::filter(k, filter.0).cloned() else { return Ok(status::INVALID_PARAMETER) };
    if f.started || f.unregistering {
        return Ok(NtStatus(0xC000_0184)); // STATUS_INVALID_DEVICE_STATE
    }
    k.ext_mut().flt.filters.get_mut(&filter.0).expect("present").started = true;
    if k.ext().flt.instances.iter().any(|i| i.altitude == f.altitude) {
        // Another filter holds the altitude: no instance, filtering still starts.
        return Ok(status::SUCCESS);
    }
    let instance = super::new_object(k, 0x40)?;
    let attach = if f.instance_setup != 0 {
        let rel = related(k, filter.0, instance)?;
        let conv = CallConv::Stdcall.for_arch(k.arch());
        // The instance exists while its setup routine runs (it may set contexts on it).
        k.ext_mut().flt.instances.push(Instance { address: instance, filter: filter.0, altitude: f.altitude.clone() });
        let args = [rel, FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT, FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS];
        let r = crate::ke::scheduler::call(k, f.instance_setup, &args, conv)?;
        crate::ex::pool::free(k, rel, None, 0)?;
        k.ext_mut().flt.instances.retain(|i| i.address != instance);
        // A warning or an error declines the attachment.
        (r as u32) < 0x8000_0000
    } else {
        true
    };
    if !attach {
        super::context::detach_instance(k, instance)?;
        return Ok(status::SUCCESS);
    }
    let list = &mut k.ext_mut().flt.instances;
    list.push(Instance { address: instance, filter: filter.0, altitude: f.altitude.clone() });
    list.sort_by_key(|i| std::cmp::Reverse(altitude_key(&i.altitude)));
    Ok(status::SUCCESS)
}

/// VOID FltUnregisterFilter(PFLT_FILTER Filter): tears down the filter's instances (teardown
/// start and complete callbacks, their contexts detached) and forgets the filter. Nothing is
/// called twice: a second call finds no filter.
pub fn FltUnregisterFilter(k: &mut Kx, filter: Ptr) -> KResult<()> {
    let Some(f) = super::filter(k, filter.0).cloned() else { return Ok(()) };
    if f.unregistering {
        return Ok(());
    }
    k.ext_mut().flt.filters.get_mut(&filter.0).expect("present").unregistering = true;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let instances: Vec<u64> =
        k.ext().flt.instances.iter().filter(|i| i.filter == filter.0).map(|i| i.address).collect();
    for instance in instances {
        let rel = related(k, filter.0, instance)?;
        for routine in [f.teardown_start, f.teardown_complete] {
            if routine != 0 {
                crate::ke::scheduler::call(k, routine, &[rel, FLTFL_INSTANCE_TEARDOWN_FILTER_UNLOAD], conv)?;
            }
        }
        crate::ex::pool::free(k, rel, None, 0)?;
        super::context::detach_instance(k, instance)?;
        k.ext_mut().flt.instances.retain(|i| i.address != instance);
    }
    k.ext_mut().flt.filters.remove(&filter.0);
    Ok(())
}

/// The Filter Manager's DriverUnload for a minifilter: the FilterUnloadCallback (it calls
/// FltUnregisterFilter; a failure status refuses the unload, and then nothing else runs),
/// then the driver's own unload routine.
pub fn FltpMiniFilterDriverUnload(k: &mut Kx, driver: Ptr) -> KResult<()> {
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let filters: Vec<Filter> =
        k.ext().flt.filters.values().filter(|f| f.driver_object == driver.0 && !f.unregistering).cloned().collect();
    let previous = k.ext().flt.driver_unloads.get(&driver.0).copied().unwrap_or(0);
    for f in filters {
        if f.unload != 0 {
            let r = crate::ke::scheduler::call(k, f.unload, &[0], conv)? as u32;
            if r >= 0x8000_0000 {
                k.ext_mut().flt.unload_refused = Some(NtStatus(r));
                return Ok(());
            }
        }
    }
    if previous != 0 {
        crate::ke::scheduler::call(k, previous, &[driver.0], conv)?;
    }
    Ok(())
}

/// PVOID FltGetRoutineAddress(PCSTR FltMgrRoutineName): a routine of fltmgr.sys the kernel
/// implements, or NULL.
pub fn FltGetRoutineAddress(k: &mut Kx, name: crate::types::PCSTR) -> KResult<Ptr> {
    let raw = crate::rtl::printf::read_cstr(k.mem(), name.0, 256)?;
    let name = String::from_utf8_lossy(&raw).into_owned();
    let calls = &k.ext().calls;
    Ok(Ptr(calls.functions.slot(crate::exports::Dll::Fltmgr, &name).map(|s| calls.address(s)).unwrap_or(0)))
}
