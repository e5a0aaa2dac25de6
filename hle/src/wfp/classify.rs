//! Classification: a packet a scenario injects at a filtering layer goes through the filters
//! of that layer as the base filtering engine arbitrates them, and the callouts those filters
//! name see it through their classifyFn.
//!
//! The packet is an IPv4 datagram. Its header (and the TCP/UDP ports, or the ICMP type and
//! code, after it) gives the layer's incoming values, in the order of the layer's
//! FWPS_FIELDS_* enumeration; fields the machine has no value for (interfaces, application
//! and user identifiers) are FWP_EMPTY. No metadata value is marked present. The layer data
//! is a NET_BUFFER_LIST of the adapter's holding the packet, from its IP header at the IP
//! packet layers, from its transport header at the others.
//!
//! Arbitration (MSDN "Filter Arbitration"): sublayers from the highest weight down, each
//! evaluating its matching filters from the highest weight down until one returns permit or
//! block; a callout returning FWP_ACTION_CONTINUE (or an inspection callout) passes on. Every
//! sublayer is evaluated; across them block overrides permit, except that a permit whose
//! callout cleared FWPS_RIGHT_ACTION_WRITE (a hard permit) stands, and a later callout is
//! handed the write right only while the decision so far may still be overridden. A
//! terminating callout that is not registered blocks. A block with
//! FWPS_CLASSIFY_OUT_FLAG_ABSORB is an absorbed packet. Nothing matching: permitted.

use portcullis_emu::{Arch, CallConv};
use serde::Serialize;

use super::events::{action_text, key_text, record, WfpChange};
use super::layout::{FWPS_CLASSIFY_OUT0, FWPS_FILTER0, FWPS_INCOMING_VALUES0};
use super::{layers, Condition, Filter, Guid};
use crate::etw::parse_guid;
use crate::kernel::{KResult, Kx};
use crate::layout::FieldAccess;

const FWP_ACTION_BLOCK: u32 = 0x1001;
const FWP_ACTION_PERMIT: u32 = 0x1002;
const FWP_ACTION_CALLOUT_TERMINATING: u32 = 0x5003;
const FWP_ACTION_CALLOUT_INSPECTION: u32 = 0x6004;
const FWP_ACTION_CONTINUE: u32 = 0x2006;
const FWPS_RIGHT_ACTION_WRITE: u32 = 0x1;
const FWPS_CLASSIFY_OUT_FLAG_ABSORB: u32 = 0x1;
/// FWP_DATA_TYPE.
const FWP_EMPTY: u32 = 0;
const FWP_UINT8: u32 = 1;
const FWP_UINT16: u32 = 2;
const FWP_UINT32: u32 = 3;
const FWP_UINT64: u32 = 4;

/// One incoming value of a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    LocalAddress,
    RemoteAddress,
    /// FWP_UINT8 NL_ADDRESS_TYPE: unicast (0) for the packets here.
    LocalAddressType,
    Protocol,
    LocalPort,
    RemotePort,
    /// FWP_UINT8 NL_ADDRESS_TYPE of the remote address: unicast (0).
    DestinationAddressType,
    /// FWP_UINT32 FWP_CONDITION_FLAG_*: none.
    Flags,
    /// A field the machine has no value for.
    Empty,
}

use Value::*;

/// What a layer's callouts get as layer data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Data {
    /// A NET_BUFFER_LIST from the IP header.
    IpPacket,
    /// A NET_BUFFER_LIST from the transport header.
    Transport,
    /// The connect request's FWPS_CONNECT_REQUEST0 (ALE_CONNECT_REDIRECT).
    ConnectRequest,
    /// The bind request's FWPS_BIND_REQUEST0 (ALE_BIND_REDIRECT).
    BindRequest,
}

/// A supported layer: its name, run-time identifier (FWPS_BUILTIN_LAYERS), direction, and
/// fields in the order of its FWPS_FIELDS_* enumeration (the Windows 7 fields).
struct Layer {
    name: &'static str,
    id: u16,
    inbound: bool,
    data: Data,
    fields: &'static [Value],
}

const LAYERS: &[Layer] = &[
    Layer {
        name: "INBOUND_IPPACKET_V4",
        id: 0,
        inbound: true,
        data: Data::IpPacket,
        fields: &[LocalAddress, RemoteAddress, LocalAddressType, Empty, Empty, Empty, Flags, Empty, Empty],
    },
    Layer {
        name: "OUTBOUND_IPPACKET_V4",
        id: 4,
        inbound: false,
        data: Data::IpPacket,
        fields: &[LocalAddress, LocalAddressType, RemoteAddress, Empty, Empty, Empty, Flags, Empty, Empty],
    },
    Layer {
        name: "INBOUND_TRANSPORT_V4",
        id: 12,
        inbound: true,
        data: Data::Transport,
        fields: &[
            Protocol,
            LocalAddress,
            RemoteAddress,
            LocalAddressType,
            LocalPort,
            RemotePort,
            Empty,
            Empty,
            Empty,
            Flags,
            Empty,
            Empty,
        ],
    },
    Layer {
        name: "OUTBOUND_TRANSPORT_V4",
        id: 16,
        inbound: false,
        data: Data::Transport,
        fields: &[
            Protocol,
            LocalAddress,
            LocalAddressType,
            RemoteAddress,
            LocalPort,
            RemotePort,
            Empty,
            Empty,
            Empty,
            Empty,
            Flags,
            Empty,
            Empty,
        ],
    },
    Layer {
        name: "ALE_AUTH_RECV_ACCEPT_V4",
        id: 44,
        inbound: true,
        data: Data::Transport,
        fields: &[
            Empty,
            Empty,
            LocalAddress,
            LocalAddressType,
            LocalPort,
            Protocol,
            RemoteAddress,
            RemotePort,
            Empty,
            Empty,
            Empty,
            Flags,
            Empty,
            Empty,
            Empty,
            Empty,
            Empty,
            Empty,
        ],
    },
    Layer {
        name: "ALE_AUTH_CONNECT_V4",
        id: 48,
        inbound: false,
        data: Data::Transport,
        fields: &[
            Empty,
            Empty,
            LocalAddress,
            LocalAddressType,
            LocalPort,
            Protocol,
            RemoteAddress,
            RemotePort,
            Empty,
            Empty,
            Empty,
            Empty,
            Flags,
            Empty,
            Empty,
            Empty,
            Empty,
        ],
    },
    // The redirect layers' identifiers follow FWPS_LAYER_STREAM_PACKET_V4's neighbours in
    // FWPS_BUILTIN_LAYERS: ..., ALE_ENDPOINT_CLOSURE_V6 (65), ALE_CONNECT_REDIRECT_V4 (66),
    // _V6, ALE_BIND_REDIRECT_V4 (68), _V6.
    Layer {
        name: "ALE_CONNECT_REDIRECT_V4",
        id: 66,
        inbound: false,
        data: Data::ConnectRequest,
        fields: &[
            Empty,
            Empty,
            LocalAddress,
            LocalAddressType,
            LocalPort,
            Protocol,
            RemoteAddress,
            DestinationAddressType,
            RemotePort,
            Flags,
        ],
    },
    Layer {
        name: "ALE_BIND_REDIRECT_V4",
        id: 68,
        inbound: false,
        data: Data::BindRequest,
        fields: &[Empty, Empty, LocalAddress, LocalAddressType, LocalPort, Protocol, Flags],
    },
];

/// The layers a scenario can classify at, by name (without FWPM_LAYER_).
pub fn supported_layers() -> Vec<&'static str> {
    LAYERS.iter().map(|l| l.name).collect()
}

/// The FWPM_CONDITION_* keys of the fields conditions can test here.
const CONDITIONS: &[(&str, Value)] = &[
    ("d9ee00de-c1ef-4617-bfe3-ffd8f5a08957", LocalAddress),
    ("b235ae9a-1d64-49b8-a44c-5ff3d9095045", RemoteAddress),
    ("3971ef2b-623e-4f9a-8cb1-6e79b806b9a7", Protocol),
    ("0c1ba1af-5765-453f-af22-a8f791ac775b", LocalPort),
    ("c35a604d-d22b-4e1a-91b4-68f674ee674b", RemotePort),
];

/// What a packet says of itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packet {
    source: u32,
    destination: u32,
    protocol: u8,
    /// The header's length, and the transport ports (ICMP: type and code).
    header: usize,
    source_port: u16,
    destination_port: u16,
}

/// Why a packet cannot be classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassifyError {
    UnknownLayer(String),
    NotIpv4(String),
}

impl std::fmt::Display for ClassifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClassifyError::UnknownLayer(l) => {
                write!(f, "layer `{l}`: packets are classified at {}", supported_layers().join(", "))
            }
            ClassifyError::NotIpv4(why) => write!(f, "not an IPv4 packet: {why}"),
        }
    }
}

fn parse(b: &[u8]) -> Result<Packet, ClassifyError> {
    let bad = |why: &str| Err(ClassifyError::NotIpv4(why.to_string()));
    if b.len() < 20 || b[0] >> 4 != 4 {
        return bad("an IPv4 header is 20 bytes or more, version 4");
    }
    let header = usize::from(b[0] & 0xF) * 4;
    if header < 20 || header > b.len() {
        return bad("the header length is out of the packet");
    }
    let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let protocol = b[9];
    let t = &b[header..];
    let (source_port, destination_port) = match protocol {
        6 | 17 if t.len() >= 4 => (u16::from_be_bytes([t[0], t[1]]), u16::from_be_bytes([t[2], t[3]])),
        1 if t.len() >= 2 => (u16::from(t[0]), u16::from(t[1])),
        _ => (0, 0),
    };
    Ok(Packet { source: u32_at(12), destination: u32_at(16), protocol, header, source_port, destination_port })
}

/// A value of the packet at a layer: (FWP_DATA_TYPE, value).
fn value(p: &Packet, inbound: bool, v: Value) -> (u32, u64) {
    let (local, remote) = if inbound { (p.destination, p.source) } else { (p.source, p.destination) };
    let (lport, rport) =
        if inbound { (p.destination_port, p.source_port) } else { (p.source_port, p.destination_port) };
    match v {
        LocalAddress => (FWP_UINT32, local.into()),
        RemoteAddress => (FWP_UINT32, remote.into()),
        LocalAddressType | DestinationAddressType => (FWP_UINT8, 0),
        Protocol => (FWP_UINT8, p.protocol.into()),
        LocalPort => (FWP_UINT16, lport.into()),
        RemotePort => (FWP_UINT16, rport.into()),
        Flags => (FWP_UINT32, 0),
        Empty => (FWP_EMPTY, 0),
    }
}

/// Whether `c` holds for the value `v` (FWP_MATCH_TYPE on scalars).
fn holds(c: &Condition, v: u64) -> bool {
    let Some(x) = c.value else { return false };
    match c.match_type {
        0 => v == x,
        1 => v > x,
        2 => v < x,
        3 => v >= x,
        4 => v <= x,
        6 => v & x == x,
        7 => v & x != 0,
        8 => v & x == 0,
        10 => v != x,
        _ => false,
    }
}

/// Whether the filter's conditions hold: those on one field any of them, every field.
/// A condition on a field the layer does not have here never holds.
fn matches(f: &Filter, layer: &Layer, p: &Packet) -> bool {
    let mut fields: Vec<Guid> = f.conditions.iter().map(|c| c.field).collect();
    fields.dedup();
    fields.iter().all(|field| {
        let which = CONDITIONS.iter().find(|(g, _)| parse_guid(g).as_ref() == Some(field)).map(|(_, v)| *v);
        let Some(which) = which.filter(|w| layer.fields.contains(w)) else { return false };
        let (_, v) = value(p, layer.inbound, which);
        f.conditions.iter().filter(|c| c.field == *field).any(|c| holds(c, v))
    })
}

/// A filter that took part, and what came of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fired {
    pub filter: u64,
    pub sublayer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callout: Option<String>,
    /// "permit", "block", "continue", "absorb" (a block absorbing the packet) or
    /// "block (callout not registered)".
    pub action: String,
}

/// The engine's decision on a packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classified {
    pub layer: String,
    pub fired: Vec<Fired>,
    /// "permitted", "blocked" or "absorbed".
    pub verdict: String,
    /// At a redirect layer: the endpoint a callout changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirected: Option<super::redirect::Redirected>,
}

/// The kernel blocks handed to callouts for one packet.
struct Blocks {
    values: u64,
    meta: u64,
    filter: u64,
    out: u64,
    context: u64,
}

const META_SIZE: u64 = 0x100;

fn size(arch: Arch, s: (u64, u64)) -> u64 {
    match arch {
        Arch::X86 => s.0,
        Arch::X64 => s.1,
    }
}

fn make_blocks(k: &mut Kx, layer: &Layer, p: &Packet) -> KResult<Blocks> {
    let arch = k.arch();
    let n = layer.fields.len() as u64;
    let vsize = size(arch, FWPS_INCOMING_VALUES0::VALUE_SIZE);
    let vals_size = size(arch, FWPS_INCOMING_VALUES0::SIZE);
    let values = crate::ex::pool::kernel_alloc(k, vals_size + n * vsize, b"FwpC")?;
    crate::ex::pool::zero(k, values, vals_size + n * vsize)?;
    let array = values + vals_size;
    let m = k.mem_mut();
    m.set(values, FWPS_INCOMING_VALUES0::layerId, layer.id.into())?;
    m.set(values, FWPS_INCOMING_VALUES0::valueCount, n)?;
    m.set(values, FWPS_INCOMING_VALUES0::incomingValue, array)?;
    for (i, v) in layer.fields.iter().enumerate() {
        let (ty, x) = value(p, layer.inbound, *v);
        let at = array + i as u64 * vsize;
        m.write_u32(at, ty)?;
        m.write_u32(at + if arch == Arch::X86 { 4 } else { 8 }, x as u32)?;
    }
    let meta = crate::ex::pool::kernel_alloc(k, META_SIZE, b"FwpC")?;
    crate::ex::pool::zero(k, meta, META_SIZE)?;
    let fsize = size(arch, FWPS_FILTER0::SIZE);
    let filter = crate::ex::pool::kernel_alloc(k, fsize, b"FwpC")?;
    let osize = size(arch, FWPS_CLASSIFY_OUT0::SIZE);
    let out = crate::ex::pool::kernel_alloc(k, osize, b"FwpC")?;
    let context = crate::ex::pool::kernel_alloc(k, 16, b"FwpC")?;
    crate::ex::pool::zero(k, context, 16)?;
    Ok(Blocks { values, meta, filter, out, context })
}

/// Frees the blocks; the classify context stays while a classify handle holds it
/// (FwpsReleaseClassifyHandle0 frees it).
fn free_blocks(k: &mut Kx, b: &Blocks) -> KResult<()> {
    for at in [b.values, b.meta, b.filter, b.out] {
        crate::ex::pool::free(k, at, None, 0)?;
    }
    if !k.ext().wfp.classify_handles.contains(&b.context) {
        crate::ex::pool::free(k, b.context, None, 0)?;
    }
    Ok(())
}

/// Calls the callout of filter `id` for the packet, with `layer_data`; returns (actionType,
/// rights, flags).
fn call_callout(
    k: &mut Kx,
    b: &Blocks,
    id: u64,
    f: &Filter,
    r: &super::Registered,
    layer_data: u64,
    rights: u32,
) -> KResult<(u32, u32, u32)> {
    let arch = k.arch();
    let fsize = size(arch, FWPS_FILTER0::SIZE);
    crate::ex::pool::zero(k, b.filter, fsize)?;
    let callout_id = k.ext().wfp.callout_ids.get(&f.callout.unwrap_or_default()).copied().unwrap_or(0);
    let m = k.mem_mut();
    m.set(b.filter, FWPS_FILTER0::filterId, id)?;
    // The weight: FWP_UINT64, the value through a pointer (into the context block's tail).
    let w = FWPS_FILTER0::weight.at(arch, b.filter);
    m.write_u32(w, FWP_UINT64)?;
    m.write_u64(b.context + 8, f.weight)?;
    m.set(w, super::layout::FWP_VALUE0::value, b.context + 8)?;
    m.set(b.filter, FWPS_FILTER0::actionType, f.action.into())?;
    m.set(b.filter, FWPS_FILTER0::calloutId, callout_id.into())?;
    m.set(b.filter, FWPS_FILTER0::context, f.context)?;
    crate::ex::pool::zero(k, b.out, size(arch, FWPS_CLASSIFY_OUT0::SIZE))?;
    let m = k.mem_mut();
    m.set(b.out, FWPS_CLASSIFY_OUT0::actionType, FWP_ACTION_CONTINUE.into())?;
    m.set(b.out, FWPS_CLASSIFY_OUT0::filterId, id)?;
    m.set(b.out, FWPS_CLASSIFY_OUT0::rights, rights.into())?;
    // flowContext is a UINT64: two stack slots on x86.
    let flow: &[u64] = if arch == Arch::X86 { &[0, 0] } else { &[0] };
    let mut args = vec![b.values, b.meta, layer_data];
    if r.version > 0 {
        args.push(b.context);
    }
    args.push(b.filter);
    args.extend_from_slice(flow);
    args.push(b.out);
    k.ext_mut().wfp.classifying = Some(b.context);
    let conv = CallConv::Stdcall.for_arch(arch);
    let called = crate::ke::scheduler::call(k, r.classify, &args, conv);
    k.ext_mut().wfp.classifying = None;
    called?;
    let m = k.mem();
    Ok((
        m.get(b.out, FWPS_CLASSIFY_OUT0::actionType)? as u32,
        m.get(b.out, FWPS_CLASSIFY_OUT0::rights)? as u32,
        m.get(b.out, FWPS_CLASSIFY_OUT0::flags)? as u32,
    ))
}

/// A sublayer's weight (a built-in one's: 0) and its name for the trace.
fn sublayer_of(k: &Kx, key: &Guid) -> (u16, String) {
    match k.ext().wfp.store.sublayers.get(key) {
        Some(s) => (s.weight, key_text(key)),
        None => (0, layers::builtin_sublayer(key).map(str::to_string).unwrap_or_else(|| key_text(key))),
    }
}

/// Classifies `bytes` (an IPv4 packet) at `layer_name` (FWPM_LAYER_ name, with or without
/// the prefix, any case): the callouts run, and the decision is recorded and returned.
pub fn classify(k: &mut Kx, layer_name: &str, bytes: &[u8]) -> KResult<Result<Classified, ClassifyError>> {
    let wanted = layer_name.trim_start_matches("FWPM_LAYER_").to_ascii_uppercase();
    let Some(layer) = LAYERS.iter().find(|l| l.name == wanted) else {
        return Ok(Err(ClassifyError::UnknownLayer(layer_name.to_string())));
    };
    let p = match parse(bytes) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let key = layers::layer_key(layer.name).expect("a known layer");
    // The filters of the layer that match, by sublayer (highest weight first), then weight.
    let mut order: Vec<(u16, Guid, u64, u64, Filter)> = Vec::new();
    for (id, f) in &k.ext().wfp.store.filters {
        if f.layer == key && matches(f, layer, &p) {
            let (sw, _) = sublayer_of(k, &f.sublayer);
            order.push((sw, f.sublayer, f.weight, *id, f.clone()));
        }
    }
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)));

    // The layer data: a net buffer list of the packet, or the request at a redirect layer.
    let nbl = match layer.data {
        Data::IpPacket => crate::ndis::receive::make(k, bytes)?,
        Data::Transport => crate::ndis::receive::make(k, &bytes[p.header..])?,
        Data::ConnectRequest | Data::BindRequest => 0,
    };
    let b = make_blocks(k, layer, &p)?;
    if nbl == 0 {
        let (local, remote) = ((p.source, p.source_port), (p.destination, p.destination_port));
        super::redirect::begin(k, b.context, layer.data == Data::BindRequest, local, remote)?;
    }
    let mut fired = Vec::new();
    // The decision so far: (action, hard, absorbed).
    let mut decision: Option<(u32, bool, bool)> = None;
    let mut done_sublayer: Option<Guid> = None;
    for (_, sublayer, _, id, f) in &order {
        if done_sublayer == Some(*sublayer) {
            continue;
        }
        let may_write = !matches!(decision, Some((_, true, _)));
        let (action, rights, flags, label) = match f.callout {
            None => (f.action, FWPS_RIGHT_ACTION_WRITE, 0, None),
            Some(c) => {
                let registered = k.ext().wfp.registered.values().find(|r| r.key == c).cloned();
                match registered {
                    Some(r) => {
                        let rights = if may_write { FWPS_RIGHT_ACTION_WRITE } else { 0 };
                        let data = if nbl != 0 { nbl } else { super::redirect::current(k) };
                        let (a, rt, fl) = call_callout(k, &b, *id, f, &r, data, rights)?;
                        let a = if f.action == FWP_ACTION_CALLOUT_INSPECTION { FWP_ACTION_CONTINUE } else { a };
                        (a, rt, fl, Some(key_text(&c)))
                    }
                    None if f.action == FWP_ACTION_CALLOUT_TERMINATING => {
                        (FWP_ACTION_BLOCK, FWPS_RIGHT_ACTION_WRITE, u32::MAX, Some(key_text(&c)))
                    }
                    None => (FWP_ACTION_CONTINUE, FWPS_RIGHT_ACTION_WRITE, 0, Some(key_text(&c))),
                }
            }
        };
        let terminating = action == FWP_ACTION_BLOCK || action == FWP_ACTION_PERMIT;
        let absorb = action == FWP_ACTION_BLOCK && flags != u32::MAX && flags & FWPS_CLASSIFY_OUT_FLAG_ABSORB != 0;
        let text = match (action, flags) {
            (FWP_ACTION_BLOCK, u32::MAX) => "block (callout not registered)".to_string(),
            _ if absorb => "absorb".to_string(),
            (FWP_ACTION_CONTINUE, _) => "continue".to_string(),
            _ => action_text(action),
        };
        fired.push(Fired { filter: *id, sublayer: sublayer_of(k, sublayer).1, callout: label, action: text });
        if !terminating {
            continue;
        }
        done_sublayer = Some(*sublayer);
        let hard = rights & FWPS_RIGHT_ACTION_WRITE == 0;
        decision = match decision {
            None => Some((action, hard, absorb)),
            // A soft permit gives way to a block of a lower sublayer.
            Some((FWP_ACTION_PERMIT, false, _)) if action == FWP_ACTION_BLOCK => Some((action, hard, absorb)),
            other => other,
        };
    }
    let redirected = super::redirect::end(k)?;
    free_blocks(k, &b)?;
    if nbl != 0 {
        super::references::classify_done(k, nbl)?;
    }
    let verdict = match decision {
        Some((FWP_ACTION_BLOCK, _, true)) => "absorbed",
        Some((FWP_ACTION_BLOCK, _, false)) => "blocked",
        _ => "permitted",
    };
    let c = Classified { layer: layer.name.to_string(), fired, verdict: verdict.to_string(), redirected };
    record(
        k,
        WfpChange::Classified {
            layer: c.layer.clone(),
            length: bytes.len() as u64,
            fired: c.fired.clone(),
            verdict: c.verdict.clone(),
            redirected: c.redirected.clone(),
        },
    );
    Ok(Ok(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_udp_ports_and_refuses_what_is_not_ipv4() {
        let mut b = vec![0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        b.extend([0x12, 0x34, 0x00, 0x35, 0, 8, 0, 0]);
        let p = parse(&b).unwrap();
        assert_eq!((p.source, p.destination, p.protocol), (0x0A00_0001, 0x0A00_0002, 17));
        assert_eq!((p.source_port, p.destination_port, p.header), (0x1234, 53, 20));
        assert_eq!(value(&p, true, RemoteAddress), (FWP_UINT32, 0x0A00_0001));
        assert_eq!(value(&p, false, RemotePort), (FWP_UINT16, 53));
        assert!(parse(&b[..19]).is_err());
        b[0] = 0x65;
        assert!(parse(&b).is_err());
    }

    #[test]
    fn conditions_or_within_a_field_and_across_fields() {
        let p = Packet { source: 1, destination: 2, protocol: 6, header: 20, source_port: 80, destination_port: 90 };
        let g = |s: &str| parse_guid(s).unwrap();
        let remote = g(CONDITIONS[1].0);
        let proto = g(CONDITIONS[2].0);
        let c = |field, match_type, value| Condition { field, match_type, value: Some(value) };
        let mut f = Filter {
            key: [0; 16],
            name: String::new(),
            layer: [0; 16],
            sublayer: [0; 16],
            action: FWP_ACTION_BLOCK,
            callout: None,
            session: 0,
            weight: 0,
            context: 0,
            conditions: vec![c(remote, 0, 7), c(remote, 0, 2), c(proto, 0, 6)],
        };
        let out = &LAYERS[3];
        assert!(matches(&f, out, &p));
        f.conditions[2].value = Some(17);
        assert!(!matches(&f, out, &p));
        // The IP packet layers have no protocol field.
        f.conditions.truncate(2);
        assert!(matches(&f, &LAYERS[1], &p));
        f.conditions.push(c(proto, 10, 17));
        assert!(!matches(&f, &LAYERS[1], &p));
    }
}
