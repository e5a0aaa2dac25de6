//! The Windows Filtering Platform's kernel client library (fwpkclnt.sys): a session with the
//! base filtering engine (engine.rs) adds sublayers, callouts and filters (objects.rs), in
//! transactions (transaction.rs); callout drivers register the functions behind their
//! callouts (callouts.rs), keep per-flow contexts (flows.rs), and inject packets through
//! injection handles (injection.rs) in net buffer lists of NDIS's (nbl.rs).
//!
//! The engine is in memory: what a driver adds, registers and injects lands in the trace as
//! [`WfpEvent`]s (layers by name, objects by key), which is what an analyst wants to know of
//! a network filter. The machine has no network stack; the packets a scenario classifies at
//! a layer (classify.rs) reach the callouts of the filters there, a connection classified at
//! ALE_FLOW_ESTABLISHED is a flow whose TCP payload the stream layer classifies, and
//! what a callout keeps past its classifyFn is in references.rs; at the redirect layers a
//! callout changes the connect or bind request (redirect.rs).

pub mod callouts;
pub mod classify;
pub mod clone;
pub mod engine;
pub mod events;
pub mod flows;
pub mod injection;
pub mod layers;
pub mod layout;
pub mod nbl;
pub mod objects;
pub mod redirect;
pub mod references;
pub mod stream;
pub mod transaction;

use std::collections::BTreeMap;

use crate::kernel::{KResult, Kx};

pub use events::WfpEvent;

/// STATUS_FWP_* values (ntstatus.h) and the general ones the library returns.
pub mod st {
    use crate::types::NtStatus;
    pub const CALLOUT_NOT_FOUND: NtStatus = NtStatus(0xC022_0001);
    pub const FILTER_NOT_FOUND: NtStatus = NtStatus(0xC022_0003);
    pub const LAYER_NOT_FOUND: NtStatus = NtStatus(0xC022_0004);
    pub const SUBLAYER_NOT_FOUND: NtStatus = NtStatus(0xC022_0007);
    pub const NOT_FOUND: NtStatus = NtStatus(0xC022_0008);
    pub const ALREADY_EXISTS: NtStatus = NtStatus(0xC022_0009);
    pub const IN_USE: NtStatus = NtStatus(0xC022_000A);
    pub const NO_TXN_IN_PROGRESS: NtStatus = NtStatus(0xC022_000D);
    pub const TXN_IN_PROGRESS: NtStatus = NtStatus(0xC022_000E);
    pub const INCOMPATIBLE_TXN: NtStatus = NtStatus(0xC022_0011);
    pub const INCOMPATIBLE_LAYER: NtStatus = NtStatus(0xC022_0014);
    pub const BUILTIN_OBJECT: NtStatus = NtStatus(0xC022_0017);
    pub const NULL_POINTER: NtStatus = NtStatus(0xC022_001C);
    pub const INVALID_ACTION_TYPE: NtStatus = NtStatus(0xC022_0024);
    pub const INVALID_PARAMETER: NtStatus = NtStatus(0xC022_0035);
    pub const INVALID_HANDLE: NtStatus = NtStatus(0xC000_0008);
    pub const INVALID_PARAMETER_NT: NtStatus = NtStatus(0xC000_000D);
    pub const INSUFFICIENT_RESOURCES: NtStatus = NtStatus(0xC000_009A);
}

/// A GUID's 16 bytes.
pub type Guid = [u8; 16];

/// A session with the engine (FwpmEngineOpen0).
#[derive(Clone, Debug)]
pub struct Session {
    pub name: String,
    /// FWPM_SESSION_FLAG_DYNAMIC: what the session added goes when it closes.
    pub dynamic: bool,
    /// The transaction in progress: whether it is read-only, and the objects as they were
    /// when it began (an abort puts them back).
    pub transaction: Option<(bool, Store)>,
}

/// A sublayer the engine holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubLayer {
    pub name: String,
    pub weight: u16,
    pub session: u64,
}

/// A callout added to the engine (the management object; its functions are registered
/// apart, [`Registered`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callout {
    pub id: u32,
    pub name: String,
    pub layer: Guid,
    pub session: u64,
}

/// A filter the engine holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub key: Guid,
    pub name: String,
    pub layer: Guid,
    pub sublayer: Guid,
    pub action: u32,
    /// The callout a callout action names.
    pub callout: Option<Guid>,
    pub session: u64,
    /// The weight within its sublayer (FWP_UINT64 as given, FWP_UINT8 in the top four
    /// bits, FWP_EMPTY 0).
    pub weight: u64,
    /// FWPM_FILTER0.rawContext, handed to callouts in FWPS_FILTER0.context.
    pub context: u64,
    pub conditions: Vec<Condition>,
}

/// A filter condition: the field, FWP_MATCH_TYPE and the value (the scalar types; an IPv6
/// address, FWP_BYTE_ARRAY16_TYPE or FWP_V6_ADDR_MASK, in `address` with its prefix length;
/// another type keeps both `None` and never matches).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub field: Guid,
    pub match_type: u32,
    pub value: Option<u64>,
    pub address: Option<([u8; 16], u8)>,
}

/// The engine's objects (what a transaction snapshots).
#[derive(Clone, Debug, Default)]
pub struct Store {
    pub sublayers: BTreeMap<Guid, SubLayer>,
    pub callouts: BTreeMap<Guid, Callout>,
    pub filters: BTreeMap<u64, Filter>,
    pub next_filter_id: u64,
}

/// A callout's functions as a driver registered them (FwpsCalloutRegister0/1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    pub key: Guid,
    pub version: u8,
    pub device_object: u64,
    pub flags: u32,
    pub classify: u64,
    pub notify: u64,
    pub flow_delete: u64,
}

/// An injection handle (FwpsInjectionHandleCreate0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectionHandle {
    pub address_family: u16,
    pub flags: u32,
}

/// The library's state.
#[derive(Debug, Default)]
pub struct WfpState {
    /// Open sessions, by engine handle.
    pub sessions: BTreeMap<u64, Session>,
    pub store: Store,
    /// Run-time callout identifiers by callout key: one per key, whether the callout was
    /// registered or added first.
    pub callout_ids: BTreeMap<Guid, u32>,
    /// Registered callouts, by run-time identifier.
    pub registered: BTreeMap<u32, Registered>,
    pub injection_handles: BTreeMap<u64, InjectionHandle>,
    /// Net buffer lists injected and not freed: (injection handle, injection context).
    pub injected: BTreeMap<u64, (u64, u64)>,
    /// Clones (FwpsAllocateCloneNetBufferList0) and their net buffers.
    pub clones: BTreeMap<u64, Vec<u64>>,
    /// The classify context of the callout running now (FwpsAcquireClassifyHandle0 takes it).
    pub classifying: Option<u64>,
    /// Classify handles acquired and not released (each its classify context).
    pub classify_handles: std::collections::BTreeSet<u64>,
    /// References on net buffer lists (FwpsReferenceNetBufferList0), by list.
    pub nbl_references: BTreeMap<u64, u32>,
    /// The engine's lists whose classification is over, kept for their references.
    pub nbl_kept: std::collections::BTreeSet<u64>,
    /// The request of a classification running at a redirect layer.
    pub request: Option<redirect::Request>,
    /// Data flows, by flow handle, and how many were made.
    pub flows: BTreeMap<u64, flows::Flow>,
    pub flows_made: u64,
    /// flowDeleteFn calls FwpsFlowRemoveContext0 put off until the classification running
    /// is over: (flow, layer, callout, context).
    pub put_off_deletes: Vec<(u64, u16, u32, u64)>,
}

/// The run-time identifier of the callout `key`, given out on first use.
pub(crate) fn callout_id(k: &mut Kx, key: Guid) -> u32 {
    let w = &mut k.ext_mut().wfp;
    let next = FIRST_CALLOUT_ID + w.callout_ids.len() as u32;
    *w.callout_ids.entry(key).or_insert(next)
}

/// Where run-time callout identifiers start (the built-in callouts take the low ones).
const FIRST_CALLOUT_ID: u32 = 0x100;

/// A key for an object added with a zero key: the engine makes one (ExUuidCreate's kind).
pub(crate) fn key_or_new(k: &mut Kx, key: Guid) -> Guid {
    if key != [0; 16] {
        key
    } else {
        crate::ex::uuid::generate(k)
    }
}

/// The NUL-terminated wide string at `at` (empty for NULL), cut at 256 characters.
pub(crate) fn wide_name(k: &Kx, at: u64) -> KResult<String> {
    if at == 0 {
        return Ok(String::new());
    }
    let units = crate::rtl::printf::read_wstr(k.mem(), at, 256)?;
    Ok(String::from_utf16_lossy(&units))
}
