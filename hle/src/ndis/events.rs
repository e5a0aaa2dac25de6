//! What a driver does with NDIS's registration surfaces, as trace events: the filter drivers
//! it registers (with their callbacks), the modules attached to the emulated adapter and the
//! state changes NDIS drives them through, the OID requests the adapter answers, the frames
//! a driver sends to the wire (their bytes) and the frames the wire delivered.

use serde::Serialize;

use crate::events::{hex, hex32, push, SystemEvent};
use crate::kernel::{caller, Kx};

/// One change, and where the driver made the call (0 when NDIS made it on its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NdisEvent {
    #[serde(flatten)]
    pub change: NdisChange,
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

/// A registered driver's callbacks by name, the ones it left NULL out.
pub type Callbacks = Vec<(&'static str, u64)>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "ndis", rename_all = "snake_case")]
pub enum NdisChange {
    FilterRegistered {
        #[serde(serialize_with = "hex")]
        handle: u64,
        name: String,
        unique_name: String,
        service: String,
        ndis_version: String,
        #[serde(serialize_with = "callbacks_map")]
        callbacks: Callbacks,
    },
    FilterDeregistered {
        #[serde(serialize_with = "hex")]
        handle: u64,
    },
    ProtocolRegistered {
        #[serde(serialize_with = "hex")]
        handle: u64,
        name: String,
        ndis_version: String,
        #[serde(serialize_with = "callbacks_map")]
        callbacks: Callbacks,
    },
    ProtocolDeregistered {
        #[serde(serialize_with = "hex")]
        handle: u64,
    },
    /// A protocol's binding to the adapter: NDIS called its ProtocolBindAdapterEx ("bind")
    /// or ProtocolUnbindAdapterEx ("unbind"), or it opened ("open") or closed ("close") the
    /// adapter; `binding` is the NdisBindingHandle (0 before one exists).
    Binding {
        operation: &'static str,
        #[serde(serialize_with = "hex")]
        protocol: u64,
        #[serde(serialize_with = "hex")]
        binding: u64,
        adapter: String,
        #[serde(serialize_with = "hex32")]
        status: u32,
    },
    /// Received frames handed to a protocol binding.
    IndicatedToProtocol {
        #[serde(serialize_with = "hex")]
        binding: u64,
        count: u32,
    },
    /// NDIS called a filter module's FilterAttach, FilterRestart, FilterPause or
    /// FilterDetach for the adapter ("attach", "restart", "pause", "detach"), and what it
    /// returned (0 for the VOID detach).
    Module {
        operation: &'static str,
        #[serde(serialize_with = "hex")]
        module: u64,
        adapter: String,
        #[serde(serialize_with = "hex32")]
        status: u32,
    },
    /// An OID request the adapter answered: "query", "set" or "method".
    OidRequest {
        #[serde(serialize_with = "hex")]
        module: u64,
        kind: &'static str,
        #[serde(serialize_with = "hex32")]
        oid: u32,
        #[serde(serialize_with = "hex32")]
        status: u32,
        /// What a set wrote, or a query read back, as hex.
        data: String,
    },
    /// A frame a driver sent to the wire.
    FrameSent {
        #[serde(serialize_with = "hex")]
        module: u64,
        length: u64,
        bytes: String,
    },
    /// A frame the wire delivered to the stack (a scenario step).
    FrameReceived { length: u64, bytes: String },
    /// Frames that reached the top of the stack with no protocol bound above: NDIS hands
    /// them straight back.
    IndicatedToNoProtocol {
        #[serde(serialize_with = "hex")]
        module: u64,
        count: u32,
    },
    /// The adapter's received frames came back to it (the stack is done with them).
    FramesReturned { count: u32 },
    /// A status indication a filter passed up ("status"), a PnP event it passed up
    /// ("net_pnp") or a device PnP notification it passed down ("device_pnp"), by code.
    Indication {
        kind: &'static str,
        #[serde(serialize_with = "hex")]
        module: u64,
        #[serde(serialize_with = "hex32")]
        code: u32,
    },
}

fn callbacks_map<S: serde::Serializer>(v: &Callbacks, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (name, at) in v {
        m.serialize_entry(name, &format!("{at:#x}"))?;
    }
    m.end()
}

impl NdisChange {
    /// One line for the text report.
    pub fn text(&self) -> String {
        match self {
            NdisChange::FilterRegistered { handle, name, unique_name, service, ndis_version, callbacks } => format!(
                "filter driver registered {handle:#x}: {name:?} {unique_name} (service {service:?}, NDIS {ndis_version}): {}",
                callbacks.iter().map(|(n, a)| format!("{n} {a:#x}")).collect::<Vec<_>>().join(", ")
            ),
            NdisChange::FilterDeregistered { handle } => format!("filter driver deregistered {handle:#x}"),
            NdisChange::ProtocolRegistered { handle, name, ndis_version, callbacks } => format!(
                "protocol driver registered {handle:#x}: {name:?} (NDIS {ndis_version}): {}",
                callbacks.iter().map(|(n, a)| format!("{n} {a:#x}")).collect::<Vec<_>>().join(", ")
            ),
            NdisChange::ProtocolDeregistered { handle } => format!("protocol driver deregistered {handle:#x}"),
            NdisChange::Binding { operation, protocol, binding, adapter, status } => {
                format!("protocol {protocol:#x} {operation} {adapter} (binding {binding:#x}) -> {status:#x}")
            }
            NdisChange::IndicatedToProtocol { binding, count } => {
                format!("{count} frame(s) indicated to the protocol of binding {binding:#x}")
            }
            NdisChange::Module { operation, module, adapter, status } => {
                format!("filter module {module:#x} on {adapter}: {operation} -> {status:#x}")
            }
            NdisChange::OidRequest { module, kind, oid, status, data } => {
                format!("OID {kind} {oid:#010x} from {module:#x} -> {status:#x}: {data}")
            }
            NdisChange::FrameSent { module, length, bytes } => {
                format!("frame sent by {module:#x}: {length} bytes: {bytes}")
            }
            NdisChange::FrameReceived { length, bytes } => format!("frame received: {length} bytes: {bytes}"),
            NdisChange::IndicatedToNoProtocol { module, count } => {
                format!("{count} frame(s) indicated up by {module:#x} with no protocol bound: returned")
            }
            NdisChange::FramesReturned { count } => format!("{count} received frame(s) back at the adapter"),
            NdisChange::Indication { kind, module, code } => format!("{kind} indication {code:#x} from {module:#x}"),
        }
    }
}

/// Records a change the calling driver made.
pub fn record(k: &mut Kx, change: NdisChange) {
    let at = caller(k);
    push(k, SystemEvent::Ndis(NdisEvent { change, caller: at }));
}

/// Records a change NDIS made on its own (a scenario step, no driver call).
pub fn record_host(k: &mut Kx, change: NdisChange) {
    push(k, SystemEvent::Ndis(NdisEvent { change, caller: 0 }));
}
