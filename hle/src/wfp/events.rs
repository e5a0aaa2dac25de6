//! What a driver does to the filtering platform, as trace events: sessions, transactions,
//! the objects it adds and deletes (by key, layers by name), the callouts it registers, the
//! injection handles it makes and the packets it injects.

use serde::Serialize;

use super::Guid;
use crate::events::{hex, push, SystemEvent};
use crate::kernel::{caller, Kx};

/// One change, and where the driver made the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WfpEvent {
    #[serde(flatten)]
    pub change: WfpChange,
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "wfp", rename_all = "snake_case")]
pub enum WfpChange {
    EngineOpened {
        #[serde(serialize_with = "hex")]
        handle: u64,
        session: String,
        dynamic: bool,
    },
    EngineClosed {
        #[serde(serialize_with = "hex")]
        handle: u64,
    },
    /// "begin", "begin_read_only", "commit" or "abort".
    Transaction {
        #[serde(serialize_with = "hex")]
        handle: u64,
        operation: &'static str,
    },
    SublayerAdded {
        key: String,
        name: String,
        weight: u16,
    },
    SublayerDeleted {
        key: String,
    },
    CalloutAdded {
        key: String,
        id: u32,
        name: String,
        layer: String,
    },
    CalloutDeleted {
        key: String,
    },
    FilterAdded {
        id: u64,
        key: String,
        name: String,
        layer: String,
        sublayer: String,
        action: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        callout: Option<String>,
        /// The condition fields' keys.
        conditions: Vec<String>,
    },
    FilterDeleted {
        id: u64,
        key: String,
    },
    CalloutRegistered {
        key: String,
        id: u32,
        version: u8,
        #[serde(serialize_with = "hex")]
        classify: u64,
        #[serde(serialize_with = "hex")]
        notify: u64,
        #[serde(serialize_with = "hex")]
        flow_delete: u64,
    },
    CalloutUnregistered {
        key: String,
        id: u32,
    },
    InjectionHandleCreated {
        #[serde(serialize_with = "hex")]
        handle: u64,
        address_family: u16,
        #[serde(serialize_with = "crate::events::hex32")]
        flags: u32,
    },
    InjectionHandleDestroyed {
        #[serde(serialize_with = "hex")]
        handle: u64,
    },
    /// A packet injected: "network_send", "network_receive" or "forward".
    Injected {
        kind: &'static str,
        #[serde(serialize_with = "hex")]
        handle: u64,
        length: u64,
        /// The first 256 bytes, as hex.
        bytes: String,
    },
    /// A packet classified at a layer: the filters that took part and the verdict.
    Classified {
        layer: String,
        length: u64,
        fired: Vec<super::classify::Fired>,
        verdict: String,
        /// At a redirect layer: the endpoint a callout changed.
        #[serde(skip_serializing_if = "Option::is_none")]
        redirected: Option<super::redirect::Redirected>,
        /// At ALE_FLOW_ESTABLISHED: the flow made.
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::events::hex_opt")]
        flow: Option<u64>,
        /// At a stream layer: what became of the stream data.
        #[serde(skip_serializing_if = "Option::is_none")]
        stream: Option<super::flows::StreamReport>,
    },
    FlowContextAssociated {
        #[serde(serialize_with = "hex")]
        flow: u64,
        layer: u16,
        callout: u32,
        #[serde(serialize_with = "hex")]
        context: u64,
    },
    /// A context removed from a flow (by the callout or as the flow ended); `called`: the
    /// callout's flowDeleteFn ran.
    FlowContextDeleted {
        #[serde(serialize_with = "hex")]
        flow: u64,
        layer: u16,
        callout: u32,
        #[serde(serialize_with = "hex")]
        context: u64,
        called: bool,
    },
    FlowEnded {
        #[serde(serialize_with = "hex")]
        flow: u64,
    },
    ClassifyHandleAcquired {
        #[serde(serialize_with = "hex")]
        handle: u64,
    },
    ClassifyHandleReleased {
        #[serde(serialize_with = "hex")]
        handle: u64,
    },
}

impl WfpChange {
    /// One line for the text report.
    pub fn text(&self) -> String {
        match self {
            WfpChange::EngineOpened { handle, session, dynamic } => {
                let kind = if *dynamic { "dynamic session" } else { "session" };
                format!("engine opened {handle:#x}: {kind} {session:?}")
            }
            WfpChange::EngineClosed { handle } => format!("engine closed {handle:#x}"),
            WfpChange::Transaction { handle, operation } => format!("transaction {operation} on {handle:#x}"),
            WfpChange::SublayerAdded { key, name, weight } => format!("sublayer added {key} {name:?} weight {weight}"),
            WfpChange::SublayerDeleted { key } => format!("sublayer deleted {key}"),
            WfpChange::CalloutAdded { key, id, name, layer } => {
                format!("callout added {key} id {id} {name:?} at {layer}")
            }
            WfpChange::CalloutDeleted { key } => format!("callout deleted {key}"),
            WfpChange::FilterAdded { id, key, name, layer, sublayer, action, callout, conditions } => format!(
                "filter added {id} {key} {name:?} at {layer} in {sublayer}: {action}{}, {} condition(s)",
                callout.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
                conditions.len()
            ),
            WfpChange::FilterDeleted { id, key } => format!("filter deleted {id} {key}"),
            WfpChange::CalloutRegistered { key, id, version, classify, notify, flow_delete } => format!(
                "callout registered {key} id {id} (v{version}): classify {classify:#x} notify {notify:#x} flow delete {flow_delete:#x}"
            ),
            WfpChange::CalloutUnregistered { key, id } => format!("callout unregistered {key} id {id}"),
            WfpChange::InjectionHandleCreated { handle, address_family, flags } => {
                format!("injection handle {handle:#x} created: family {address_family}, types {flags:#x}")
            }
            WfpChange::InjectionHandleDestroyed { handle } => format!("injection handle {handle:#x} destroyed"),
            WfpChange::Injected { kind, handle, length, bytes } => {
                format!("injected ({kind}) through {handle:#x}: {length} bytes: {bytes}")
            }
            WfpChange::Classified { layer, length, fired, verdict, redirected, flow, stream } => {
                let f: Vec<String> = fired
                    .iter()
                    .map(|f| {
                        let c = f.callout.as_deref().map(|c| format!(" callout {c}")).unwrap_or_default();
                        format!("filter {} in {}{c}: {}", f.filter, f.sublayer, f.action)
                    })
                    .collect();
                let r = redirected
                    .as_ref()
                    .map(|r| format!(", {} endpoint redirected {} -> {} by filter {}", r.endpoint, r.from, r.to, r.filter))
                    .unwrap_or_default();
                let fl = flow.map(|f| format!(", flow {f:#x} established")).unwrap_or_default();
                let s = stream
                    .as_ref()
                    .map(|s| {
                        format!(
                            ", flow {:#x} {} stream data {}: {} permitted, {} blocked, {} held{}",
                            s.flow,
                            s.direction,
                            s.length,
                            s.permitted,
                            s.blocked,
                            s.held,
                            if s.ended { ", flow ended" } else { "" }
                        )
                    })
                    .unwrap_or_default();
                format!("classified {length} bytes at {layer}: {verdict}{r}{fl}{s} [{}]", f.join("; "))
            }
            WfpChange::FlowContextAssociated { flow, layer, callout, context } => {
                format!("flow {flow:#x}: callout {callout} associated context {context:#x} at layer {layer}")
            }
            WfpChange::FlowContextDeleted { flow, layer, callout, context, called } => format!(
                "flow {flow:#x}: context {context:#x} of callout {callout} at layer {layer} removed{}",
                if *called { ", flowDeleteFn called" } else { "" }
            ),
            WfpChange::FlowEnded { flow } => format!("flow {flow:#x} ended"),
            WfpChange::ClassifyHandleAcquired { handle } => format!("classify handle {handle:#x} acquired"),
            WfpChange::ClassifyHandleReleased { handle } => format!("classify handle {handle:#x} released"),
        }
    }
}

/// `{xxxxxxxx-...}` of a key.
pub fn key_text(g: &Guid) -> String {
    crate::etw::guid_text(g)
}

/// A layer by name (FWPM_LAYER_ without its prefix) or key.
pub fn layer_text(g: &Guid) -> String {
    super::layers::layer_name(g).map(str::to_string).unwrap_or_else(|| key_text(g))
}

/// A filter action type by name.
pub fn action_text(action: u32) -> String {
    match action {
        0x1001 => "block".into(),
        0x1002 => "permit".into(),
        0x5003 => "callout_terminating".into(),
        0x6004 => "callout_inspection".into(),
        0x4005 => "callout_unknown".into(),
        other => format!("{other:#x}"),
    }
}

/// Records a change made by the calling driver.
pub fn record(k: &mut Kx, change: WfpChange) {
    let at = caller(k);
    push(k, SystemEvent::Wfp(WfpEvent { change, caller: at }));
}
