//! The life of a driver after loading: DriverEntry, DriverUnload, and what it left behind.

use portcullis_emu::{CallConv, Stop};
use serde::Serialize;

use crate::ex::pool::Block;
use crate::io;
use crate::kernel::{KError, KResult, KernelStop, Kx};
use crate::layout::{FieldAccess, DRIVER_OBJECT};
use crate::ob::{NameTarget, ObjectKind, Owner};
use crate::types::NtStatus;

/// Something that stops a driver's routine from returning normally.
pub type RunStop = Stop<KernelStop>;

fn stop(k: &mut Kx, e: KError, what: &str) -> RunStop {
    crate::kernel::into_stop(k, e, what, 0)
}

/// Runs with the System thread current, at PASSIVE_LEVEL, clocks in step.
pub(crate) fn system_context(k: &mut Kx) -> KResult<()> {
    let t = k.ext().system.system_thread;
    crate::ps::set_current_thread(k, t, false)?;
    crate::ke::irql::set(k, crate::ke::irql::PASSIVE_LEVEL)?;
    crate::ps::sync_time(k)
}

/// Calls `DriverEntry(DriverObject, RegistryPath)`. On success the I/O manager clears
/// DO_DEVICE_INITIALIZING on the devices the driver created.
pub fn call_entry(k: &mut Kx, driver: usize) -> Result<NtStatus, RunStop> {
    let d = k.ext().drivers[driver].clone();
    system_context(k).map_err(|e| stop(k, e, "DriverEntry set-up"))?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    k.ext_mut().drivers[driver].entry_called = true;
    let r = crate::ke::scheduler::call(k, d.image.entry, &[d.driver_object, d.registry_path], conv);
    io::release_deferred(k).map_err(|e| stop(k, e, "DriverEntry"))?;
    let status = NtStatus(r? as u32);
    if status.is_success() {
        io::driver::finish_initialization(k, d.driver_object).map_err(|e| stop(k, e, "DriverEntry"))?;
        io::notify::run_reinitialization(k, d.driver_object).map_err(|e| stop(k, e, "reinitialization routine"))?;
    }
    Ok(status)
}

/// What unloading found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Unload {
    /// Whether the driver has an unload routine (without one, Windows keeps it loaded).
    pub routine_called: bool,
    /// The status a minifilter's FilterUnloadCallback refused the unload with: the driver
    /// stays loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<NtStatus>,
    pub leaks: Leaks,
}

/// An object a driver created and left behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakedObject {
    #[serde(serialize_with = "crate::events::hex")]
    pub address: u64,
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakedLink {
    pub name: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakedReference {
    #[serde(serialize_with = "crate::events::hex")]
    pub address: u64,
    pub kind: ObjectKind,
    pub name: Option<String>,
    pub references: i64,
}

/// A handle a driver opened and did not close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakedHandle {
    /// The handle value as the driver saw it.
    #[serde(serialize_with = "crate::events::hex")]
    pub handle: u64,
    /// The process whose table holds it (the System process for kernel handles).
    #[serde(serialize_with = "crate::events::hex")]
    pub process: u64,
    #[serde(serialize_with = "crate::events::hex")]
    pub object: u64,
    pub kind: Option<ObjectKind>,
}

/// A callback or notification a driver registered and did not take back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakedRegistration {
    /// The routine that registered it ("ObRegisterCallbacks", ...).
    pub kind: &'static str,
    /// What identifies it (an altitude, a cookie, a device).
    pub detail: String,
}

/// What a driver left behind at unload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Leaks {
    pub pool: Vec<Block>,
    pub devices: Vec<LeakedObject>,
    pub symbolic_links: Vec<LeakedLink>,
    /// Objects whose references (ObReferenceObject*) were not all dropped.
    pub references: Vec<LeakedReference>,
    /// Requests still outstanding in the driver (pending IRPs never completed).
    pub pending_requests: Vec<String>,
    /// Handles the driver opened and never closed.
    pub handles: Vec<LeakedHandle>,
    /// Views of physical memory the driver made and did not unmap.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mappings: Vec<crate::mm::Mapping>,
    /// Contiguous, non-cached and MDL memory the driver allocated and did not free.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub memory: Vec<crate::mm::Allocation>,
    /// Callbacks and notifications still registered (they would call into unloaded code).
    pub registrations: Vec<LeakedRegistration>,
    /// KMDF objects still alive (referenced after their deletion, or never deleted because
    /// the driver did not unbind).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wdf_objects: Vec<crate::wdf::object::LeakedWdfObject>,
}

impl Leaks {
    pub fn is_empty(&self) -> bool {
        self.pool.is_empty()
            && self.devices.is_empty()
            && self.symbolic_links.is_empty()
            && self.references.is_empty()
            && self.pending_requests.is_empty()
            && self.handles.is_empty()
            && self.mappings.is_empty()
            && self.memory.is_empty()
            && self.registrations.is_empty()
            && self.wdf_objects.is_empty()
    }
}

/// Calls DriverUnload (if the driver set one) and reports what the driver still owns.
pub fn unload(k: &mut Kx, driver: usize) -> Result<Unload, RunStop> {
    let d = k.ext().drivers[driver].clone();
    if d.unloaded {
        // Unloaded already (ZwUnloadDriver): its unload routine ran then.
        return Ok(Unload { routine_called: false, refused: None, leaks: leaks(k, driver) });
    }
    system_context(k).map_err(|e| stop(k, e, "unload set-up"))?;
    let routine = k.mem().get(d.driver_object, DRIVER_OBJECT::DriverUnload).map_err(|e| stop(k, e.into(), "unload"))?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let mut refused = None;
    if routine != 0 {
        let r = crate::ke::scheduler::call(k, routine, &[d.driver_object], conv);
        io::release_deferred(k).map_err(|e| stop(k, e, "DriverUnload"))?;
        r?;
        refused = crate::flt::take_unload_refusal(k);
        if refused.is_none() {
            k.ext_mut().drivers[driver].unloaded = true;
            // The image is unloaded: it leaves the loaded-module list.
            crate::loader::system::unlink_module(k, d.ldr_entry).map_err(|e| stop(k, e, "unload"))?;
        }
    }
    Ok(Unload { routine_called: routine != 0, refused, leaks: leaks(k, driver) })
}

/// What `driver` owns right now.
pub fn leaks(k: &Kx, driver: usize) -> Leaks {
    let owner = Owner::Driver(driver);
    let ext = k.ext();
    let pool = ext.pool.owned_by(owner).cloned().collect();
    let devices = ext
        .objects
        .objects()
        .filter(|o| o.owner == owner && o.kind == ObjectKind::Device)
        .map(|o| LeakedObject { address: o.address, name: o.name.clone() })
        .collect();
    let symbolic_links = ext
        .objects
        .names()
        .filter(|n| n.owner == owner)
        .filter_map(|n| match &n.target {
            NameTarget::Link(t) => Some(LeakedLink { name: n.path.clone(), target: t.clone() }),
            NameTarget::Object(_) => None,
        })
        .collect();
    let references = ext
        .objects
        .objects()
        .filter(|o| o.references > 0)
        .map(|o| LeakedReference { address: o.address, kind: o.kind, name: o.name.clone(), references: o.references })
        .collect();
    let pending_requests =
        io::request::outstanding(k).into_iter().map(|(id, major)| format!("request {} ({major})", id.0)).collect();
    let handles = ext
        .handles
        .all(k.arch())
        .into_iter()
        .filter(|(_, _, e)| e.owner == owner)
        .map(|(process, value, e)| LeakedHandle {
            handle: value,
            process,
            object: e.object,
            kind: ext.objects.get(e.object).map(|o| o.kind),
        })
        .collect();
    let mappings = ext.mm.live().filter(|m| m.owner == owner).cloned().collect();
    let memory = crate::mm::owned_memory(k, owner);
    let registrations = registrations(k, owner);
    let wdf_objects = crate::wdf::object::alive(k, driver);
    Leaks {
        pool,
        devices,
        symbolic_links,
        references,
        pending_requests,
        handles,
        mappings,
        memory,
        registrations,
        wdf_objects,
    }
}

/// The callbacks and notifications `owner` still has registered.
fn registrations(k: &Kx, owner: Owner) -> Vec<LeakedRegistration> {
    let mut v: Vec<LeakedRegistration> = crate::ob::callbacks::owned_by(k, owner)
        .into_iter()
        .map(|(_, altitude)| LeakedRegistration { kind: "ObRegisterCallbacks", detail: format!("altitude {altitude}") })
        .collect();
    v.extend(
        crate::cm::callbacks::owned_by(k, owner)
            .into_iter()
            .map(|cookie| LeakedRegistration { kind: "CmRegisterCallback", detail: format!("cookie {cookie:#x}") }),
    );
    v.extend(
        crate::etw::registrations(k, owner)
            .into_iter()
            .chain(crate::pnp::interface::registrations(k, owner))
            .chain(crate::po::registrations(k, owner))
            .chain(crate::ps::notify::registrations(k, owner))
            .chain(crate::ex::callback::registrations(k, owner))
            .chain(crate::flt::registrations(k, owner))
            .map(|(kind, detail)| LeakedRegistration { kind, detail }),
    );
    v.extend(
        crate::io::notify::registrations(k, owner)
            .into_iter()
            .map(|(kind, detail)| LeakedRegistration { kind, detail }),
    );
    v.sort_by(|a, b| (a.kind, &a.detail).cmp(&(b.kind, &b.detail)));
    v
}
