//! The Filter Manager (fltmgr.sys): minifilters register callbacks for the file operations on
//! the in-memory volume ([`crate::fs`]), attach an instance to it, keep contexts on its
//! streams and file objects, ask for file names, and talk to a user program through
//! communication ports.
//!
//! The volume is served by the kernel directly (no IRPs reach a file system driver), so the
//! Filter Manager sits where the file system code starts an operation: [`ops::pre`] runs the
//! pre-operation callbacks of every instance, highest altitude first, before the volume acts,
//! and [`ops::post`] runs the post-operation callbacks in the reverse order after it. Filter,
//! instance, volume and port objects are opaque blocks in the kernel's object heap; their
//! state is here.

pub mod buffers;
pub mod completion;
pub mod context;
pub mod info;
pub mod io;
pub mod layout;
pub mod lock;
pub mod names;
pub mod objects;
pub mod ops;
pub mod port;
pub mod registration;
pub mod volumes;

use std::collections::BTreeMap;

use crate::kernel::{KResult, Kx};
use crate::ob::Owner;
use crate::types::NtStatus;

/// STATUS_FLT_* values (ntstatus.h).
pub mod st {
    use crate::types::NtStatus;
    pub const FLT_CONTEXT_ALREADY_DEFINED: NtStatus = NtStatus(0xC01C_0002);
    pub const FLT_INVALID_NAME_REQUEST: NtStatus = NtStatus(0xC01C_0005);
    pub const FLT_NOT_INITIALIZED: NtStatus = NtStatus(0xC01C_0007);
    pub const FLT_DELETING_OBJECT: NtStatus = NtStatus(0xC01C_000B);
    pub const FLT_DO_NOT_ATTACH: NtStatus = NtStatus(0xC01C_000F);
    pub const FLT_INSTANCE_ALTITUDE_COLLISION: NtStatus = NtStatus(0xC01C_0011);
    pub const FLT_CONTEXT_ALLOCATION_NOT_FOUND: NtStatus = NtStatus(0xC01C_0016);
    pub const FLT_INVALID_CONTEXT_REGISTRATION: NtStatus = NtStatus(0xC01C_0017);
    pub const FLT_NAME_CACHE_MISS: NtStatus = NtStatus(0xC01C_0018);
    pub const PORT_DISCONNECTED: NtStatus = NtStatus(0xC000_0037);
    pub const CONNECTION_COUNT_LIMIT: NtStatus = NtStatus(0xC000_0246);
    pub const TIMEOUT: NtStatus = NtStatus(0x0000_0102);
}

/// One operation a filter registered for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationCallbacks {
    pub major: u8,
    pub flags: u32,
    pub pre: u64,
    pub post: u64,
}

/// One FLT_CONTEXT_REGISTRATION entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextRegistration {
    pub kind: u16,
    pub flags: u16,
    pub cleanup: u64,
    /// FLT_VARIABLE_SIZED_CONTEXTS is u64::MAX.
    pub size: u64,
    pub tag: u32,
    pub allocate: u64,
    pub free: u64,
}

/// A registered minifilter (FLT_FILTER).
#[derive(Clone, Debug)]
pub struct Filter {
    pub address: u64,
    pub driver_object: u64,
    pub owner: Owner,
    pub name: String,
    pub altitude: String,
    pub instance_name: String,
    pub flags: u32,
    pub unload: u64,
    pub instance_setup: u64,
    pub query_teardown: u64,
    pub teardown_start: u64,
    pub teardown_complete: u64,
    pub operations: Vec<OperationCallbacks>,
    pub contexts: Vec<ContextRegistration>,
    pub started: bool,
    /// FltUnregisterFilter has begun: new references and operations are refused.
    pub unregistering: bool,
}

/// An instance of a filter on the volume (FLT_INSTANCE).
#[derive(Clone, Debug)]
pub struct Instance {
    pub address: u64,
    pub filter: u64,
    pub altitude: String,
}

/// Where a context is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attachment {
    Volume(u64),
    Instance(u64),
    /// (instance, node of the volume): a stream (and the file: one stream per file here).
    Stream(u64, usize),
    File(u64, usize),
    /// (instance, file object).
    StreamHandle(u64, u64),
}

/// A context a filter allocated.
#[derive(Clone, Debug)]
pub struct Context {
    pub filter: u64,
    pub kind: u16,
    pub references: i64,
    pub cleanup: u64,
    pub attached: Option<Attachment>,
}

/// The Filter Manager's state.
#[derive(Default, Debug)]
pub struct FltState {
    pub filters: BTreeMap<u64, Filter>,
    /// Instances, highest altitude first (the order pre-operation callbacks run in).
    pub instances: Vec<Instance>,
    /// The FLT_VOLUME of the C: volume (made with the first filter).
    pub volume: u64,
    pub contexts: BTreeMap<u64, Context>,
    pub attached: BTreeMap<Attachment, u64>,
    /// FltObjectReference counts on filters, instances and the volume.
    pub references: BTreeMap<u64, i64>,
    /// Name information blocks and their references.
    pub names: BTreeMap<u64, i64>,
    /// File objects whose name was looked up (the name cache).
    pub cached_names: std::collections::BTreeSet<u64>,
    pub ports: port::Ports,
    /// Callback data filters allocated (FltAllocateCallbackData).
    pub callback_data: std::collections::BTreeSet<u64>,
    /// File objects a filter opened below its instance (FltCreateFile*), and that instance:
    /// their cleanup and close go only below it.
    pub targeted: BTreeMap<u64, u64>,
    /// File objects whose open a post-create callback cancelled (FltCancelFileOpen).
    pub cancelled: std::collections::BTreeSet<u64>,
    /// Each minifilter driver's own DriverUnload, from before the Filter Manager put its
    /// routine there (by driver object).
    pub driver_unloads: BTreeMap<u64, u64>,
    /// The status a FilterUnloadCallback refused the last unload with.
    pub unload_refused: Option<NtStatus>,
    /// The MDLs FltLockUserBuffer made, by callback data.
    pub locked_buffers: BTreeMap<u64, u64>,
    /// Name buffers FltCheckAndGrowNameControl gave (freed when it replaces them).
    pub name_buffers: std::collections::BTreeSet<u64>,
}

/// Whether the unload that just ran was refused by a FilterUnloadCallback (and with what);
/// the driver then stays loaded, as fltmgr.sys leaves it.
pub fn take_unload_refusal(k: &mut Kx) -> Option<NtStatus> {
    k.ext_mut().flt.unload_refused.take()
}

/// An opaque object of `size` bytes in the kernel's object heap.
pub(crate) fn new_object(k: &mut Kx, size: u64) -> KResult<u64> {
    crate::ob::body::alloc(k, size)
}

/// The FLT_VOLUME of the C: volume.
pub(crate) fn volume(k: &mut Kx) -> KResult<u64> {
    if k.ext().flt.volume == 0 {
        let v = new_object(k, 0x40)?;
        k.ext_mut().flt.volume = v;
    }
    Ok(k.ext().flt.volume)
}

/// The filter an instance belongs to.
pub(crate) fn instance(k: &Kx, address: u64) -> Option<&Instance> {
    k.ext().flt.instances.iter().find(|i| i.address == address)
}

/// The filter `address` names, if it is a registered one.
pub(crate) fn filter(k: &Kx, address: u64) -> Option<&Filter> {
    k.ext().flt.filters.get(&address)
}

/// The filter a caller acts for: given directly, or through one of its instances.
pub(crate) fn filter_of(k: &Kx, object: u64) -> Option<u64> {
    if k.ext().flt.filters.contains_key(&object) {
        return Some(object);
    }
    instance(k, object).map(|i| i.filter)
}

/// The driver that owns a filter's allocations.
pub(crate) fn owner_of(k: &Kx, filter: u64) -> Owner {
    self::filter(k, filter).map(|f| f.owner).unwrap_or(Owner::Kernel)
}

/// What a driver still has registered with the Filter Manager (for the unload report).
pub(crate) fn registrations(k: &Kx, owner: Owner) -> Vec<(&'static str, String)> {
    let s = &k.ext().flt;
    let mut v: Vec<(&'static str, String)> = s
        .filters
        .values()
        .filter(|f| f.owner == owner)
        .map(|f| ("FltRegisterFilter", format!("{} at altitude {}", f.name, f.altitude)))
        .collect();
    v.extend(port::registrations(k, owner));
    v
}

/// The status a callback returned, as NTSTATUS.
pub(crate) fn status(raw: u64) -> NtStatus {
    NtStatus(raw as u32)
}
