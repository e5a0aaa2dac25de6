//! Classification: a packet a scenario injects at a filtering layer goes through the filters
//! of that layer as the base filtering engine arbitrates them, and the callouts those filters
//! name see it through their classifyFn.
//!
//! The packet is an IPv4 or IPv6 datagram, as the layer's family wants (IPv6: the fixed
//! header and the hop-by-hop, routing, fragment and destination options headers after it).
//! Its header (and the TCP/UDP ports, or the ICMP type and code, after it) gives the layer's
//! incoming values, in the order of the layer's FWPS_FIELDS_* enumeration (IPv4 addresses
//! FWP_UINT32, IPv6 ones FWP_BYTE_ARRAY16_TYPE); fields the machine has no value for
//! (interfaces, application and user identifiers) are FWP_EMPTY. The layer data is a
//! NET_BUFFER_LIST of the adapter's holding the packet, its data starting where MSDN's "Data
//! offset positions" puts it for the layer: at the IP header at OUTBOUND_IPPACKET and
//! IPFORWARD; at the transport header at INBOUND_IPPACKET, OUTBOUND_TRANSPORT, ALE_AUTH_CONNECT
//! and ALE_FLOW_ESTABLISHED (outbound); at the data (after a TCP or UDP header; ICMP and other
//! protocols at their header) at INBOUND_TRANSPORT, ALE_AUTH_RECV_ACCEPT and DATAGRAM_DATA
//! coming in (DATAGRAM_DATA: UDP and other non-TCP datagrams, either way, the caller says
//! which), at the transport header going out; at INBOUND_ICMP_ERROR (an ICMP error about a
//! packet this machine sent: its protocol, remote address and ports are the embedded values)
//! at the IP header of the packet the error carries; at OUTBOUND_ICMP_ERROR at the ICMP
//! header (type and code where the ports are). Where the data starts past headers that came
//! in, the list still holds them (its MDL maps the whole packet), and the incoming metadata
//! gives their sizes (ipHeaderSize, transportHeaderSize, as "Metadata fields at each
//! filtering layer" lists them) for a callout to retreat over them, as on Windows, without
//! an allocation. ALE_AUTH_LISTEN (a TCP packet from the listening endpoint) has no layer
//! data.
//!
//! A packet at ALE_FLOW_ESTABLISHED is a connection's first (its source the local end): the
//! flow is made before the callouts run (the flow handle in their metadata,
//! FWPS_METADATA_FIELD_FLOW_HANDLE) and ends at once if the connection is blocked there. A
//! TCP segment at a stream layer belongs to the flow of its endpoints (from the local end:
//! sent, else received); its payload, after any data held for the flow, is the stream data
//! of an FWPS_STREAM_CALLOUT_IO_PACKET0 handed to the callouts with their flow context. The
//! stream layer takes the first decision of its callouts in arbitration order for the bytes
//! it covers (countBytesEnforced; none or all: the whole) and presents the rest again; a
//! callout may ask for more data (held until countBytesRequired more arrive), defer it (held,
//! with what follows, until the callout resumes it: FwpsStreamContinue0 classifies it again),
//! drop the connection (the flow ends) or allow it (no longer called for the flow). A reset ends
//! the flow without a classification; a FIN each way ends it after one.
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
use super::flows::{Endpoint, Flow, StreamReport};
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
const FWP_BYTE_ARRAY16_TYPE: u32 = 11;
/// FWPS_INCOMING_METADATA_VALUES0: currentMetadataValues at 0, flowHandle at 32 (both
/// architectures); FWPS_METADATA_FIELD_FLOW_HANDLE.
const META_FLOW_HANDLE_AT: u64 = 32;
const FWPS_METADATA_FIELD_FLOW_HANDLE: u32 = 0x2;
/// FWPS_INCOMING_METADATA_VALUES0: ipHeaderSize at 40, transportHeaderSize at 44 (after
/// currentMetadataValues, flags, reserved, the 16-byte FWPS_DISCARD_METADATA0 and flowHandle:
/// the same on both architectures); FWPS_METADATA_FIELD_IP_HEADER_SIZE and
/// _TRANSPORT_HEADER_SIZE.
const META_IP_HEADER_SIZE_AT: u64 = 40;
const META_TRANSPORT_HEADER_SIZE_AT: u64 = 44;
const FWPS_METADATA_FIELD_IP_HEADER_SIZE: u32 = 0x4;
const FWPS_METADATA_FIELD_TRANSPORT_HEADER_SIZE: u32 = 0x400;
/// An ICMP (ICMPv6) header: type, code, checksum and four bytes the type gives meaning.
const ICMP_HEADER: usize = 8;
/// FWPS_STREAM_ACTION_TYPE.
const STREAM_NONE: u32 = 0;
const STREAM_NEED_MORE_DATA: u32 = 1;
const STREAM_DROP_CONNECTION: u32 = 2;
const STREAM_DEFER: u32 = 3;
const STREAM_ALLOW_CONNECTION: u32 = 4;
/// FWPS_STREAM_FLAG_*.
const STREAM_FLAG_RECEIVE: u32 = 0x1;
const STREAM_FLAG_RECEIVE_DISCONNECT: u32 = 0x4;
const STREAM_FLAG_RECEIVE_PUSH: u32 = 0x10;
const STREAM_FLAG_SEND: u32 = 0x1_0000;
const STREAM_FLAG_SEND_DISCONNECT: u32 = 0x8_0000;
/// TCP header flags.
const TCP_FIN: u8 = 0x01;
const TCP_RST: u8 = 0x04;
const TCP_PSH: u8 = 0x08;
/// The most rounds a stream segment goes through the callouts (each enforces some bytes).
const MAX_STREAM_ROUNDS: usize = 64;

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
    /// FWP_UINT32 FWP_DIRECTION: outbound 0, inbound 1.
    Direction,
    /// FWP_UINT32 FWP_CONDITION_FLAG_*: none.
    Flags,
    /// The packet's own source and destination (IPFORWARD: neither end is local).
    SourceAddress,
    DestinationAddress,
    /// FWP_UINT16 ICMP type and code of the packet (an ICMP error).
    IcmpType,
    IcmpCode,
    /// Of the packet an ICMP error carries (the one this machine sent): its protocol, its
    /// destination (the remote end) and its source and destination ports.
    EmbeddedProtocol,
    EmbeddedRemoteAddress,
    EmbeddedLocalPort,
    EmbeddedRemotePort,
    /// A field the machine has no value for.
    Empty,
}

use Value::*;

/// What a layer's callouts get as layer data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Data {
    /// A NET_BUFFER_LIST of an IP packet: going out from its IP header, coming in from its
    /// transport header.
    IpPacket,
    /// A NET_BUFFER_LIST going out from the transport header, coming in from the data.
    Transport,
    /// The connect request's FWPS_CONNECT_REQUEST0 (ALE_CONNECT_REDIRECT).
    ConnectRequest,
    /// The bind request's FWPS_BIND_REQUEST0 (ALE_BIND_REDIRECT).
    BindRequest,
    /// A NET_BUFFER_LIST from the transport header; the connection becomes a flow.
    FlowEstablished,
    /// An FWPS_STREAM_CALLOUT_IO_PACKET0 of the flow's stream data.
    Stream,
    /// A NET_BUFFER_LIST of a datagram going either way (DATAGRAM_DATA): inbound from its
    /// data, outbound from its transport header.
    Datagram,
    /// A NET_BUFFER_LIST of a received ICMP error from the IP header of the packet it
    /// carries (INBOUND_ICMP_ERROR).
    IcmpErrorIn,
    /// A NET_BUFFER_LIST of a sent ICMP error from its ICMP header (OUTBOUND_ICMP_ERROR).
    IcmpErrorOut,
    /// None: a listen request has no packet (ALE_AUTH_LISTEN).
    Listen,
    /// A NET_BUFFER_LIST of a packet in transit from its IP header (IPFORWARD).
    Forward,
}

/// A supported layer: its name, run-time identifier (FWPS_BUILTIN_LAYERS), family,
/// direction (none: the flow's), and fields in the order of its FWPS_FIELDS_* enumeration.
struct Layer {
    name: &'static str,
    id: u16,
    v6: bool,
    inbound: Option<bool>,
    data: Data,
    fields: &'static [Value],
}

const IPPACKET_IN: &[Value] =
    &[LocalAddress, RemoteAddress, LocalAddressType, Empty, Empty, Empty, Flags, Empty, Empty];
const IPPACKET_OUT: &[Value] =
    &[LocalAddress, LocalAddressType, RemoteAddress, Empty, Empty, Empty, Flags, Empty, Empty];
const TRANSPORT_IN: &[Value] = &[
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
];
const TRANSPORT_OUT: &[Value] = &[
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
];
const RECV_ACCEPT: &[Value] = &[
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
];
const CONNECT: &[Value] = &[
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
];
/// FWPS_FIELDS_ALE_FLOW_ESTABLISHED_V4/V6 (Windows 7).
const FLOW_ESTABLISHED: &[Value] = &[
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
    DestinationAddressType,
    Empty,
    Direction,
    Empty,
    Empty,
    Flags,
];
/// FWPS_FIELDS_STREAM_V4/V6 (Windows 7).
const STREAM: &[Value] = &[LocalAddress, LocalAddressType, RemoteAddress, LocalPort, RemotePort, Direction, Flags];
/// FWPS_FIELDS_ALE_CONNECT_REDIRECT_V4/V6.
const CONNECT_REDIRECT: &[Value] = &[
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
];
/// FWPS_FIELDS_ALE_BIND_REDIRECT_V4/V6.
const BIND_REDIRECT: &[Value] = &[Empty, Empty, LocalAddress, LocalAddressType, LocalPort, Protocol, Flags];
/// FWPS_FIELDS_DATAGRAM_DATA_V4/V6 (Windows 7): protocol, local and remote address, local
/// address type, local and remote port, local interface, interface and sub-interface
/// index, direction, flags, interface and tunnel type.
const DATAGRAM: &[Value] = &[
    Protocol,
    LocalAddress,
    RemoteAddress,
    LocalAddressType,
    LocalPort,
    RemotePort,
    Empty,
    Empty,
    Empty,
    Direction,
    Flags,
    Empty,
    Empty,
];
/// FWPS_FIELDS_INBOUND_ICMP_ERROR_V4/V6 (Windows 7): embedded protocol, local and remote
/// address, embedded remote address, embedded local address type, embedded local and
/// remote port, local interface, ICMP type and code, interface and sub-interface index,
/// interface and tunnel type, the arrival interface's LUID, index, type and tunnel type,
/// flags, arrival interface profile, quarantine epoch.
const ICMP_ERROR_IN: &[Value] = &[
    EmbeddedProtocol,
    LocalAddress,
    RemoteAddress,
    EmbeddedRemoteAddress,
    LocalAddressType,
    EmbeddedLocalPort,
    EmbeddedRemotePort,
    Empty,
    IcmpType,
    IcmpCode,
    Empty,
    Empty,
    Empty,
    Empty,
    Empty,
    Empty,
    Empty,
    Empty,
    Flags,
    Empty,
    Empty,
];
/// FWPS_FIELDS_OUTBOUND_ICMP_ERROR_V4/V6 (Windows 7): local and remote address, local
/// address type, local interface, ICMP type and code, interface and sub-interface index,
/// interface and tunnel type, flags, next-hop profile, quarantine epoch.
const ICMP_ERROR_OUT: &[Value] = &[
    LocalAddress,
    RemoteAddress,
    LocalAddressType,
    Empty,
    IcmpType,
    IcmpCode,
    Empty,
    Empty,
    Empty,
    Empty,
    Flags,
    Empty,
    Empty,
];
/// FWPS_FIELDS_ALE_AUTH_LISTEN_V4/V6 (Windows 7): application and user, local address,
/// its type, local port, local interface, flags, interface and tunnel type, interface
/// profile, socket property.
const LISTEN: &[Value] =
    &[Empty, Empty, LocalAddress, LocalAddressType, LocalPort, Empty, Flags, Empty, Empty, Empty, Empty];
/// FWPS_FIELDS_IPFORWARD_V4/V6 (Windows 7): source and destination address, destination
/// address type, local and forward interface, source and destination (sub-)interface
/// indexes, flags, physical arrival interface, its profile, physical next-hop interface,
/// its profile.
const IPFORWARD: &[Value] = &[
    SourceAddress,
    DestinationAddress,
    DestinationAddressType,
    Empty,
    Empty,
    Empty,
    Empty,
    Empty,
    Empty,
    Flags,
    Empty,
    Empty,
    Empty,
    Empty,
];

const fn layer(
    name: &'static str,
    id: u16,
    v6: bool,
    inbound: Option<bool>,
    data: Data,
    fields: &'static [Value],
) -> Layer {
    Layer { name, id, v6, inbound, data, fields }
}

/// Direction: Some(true) inbound, Some(false) outbound, None at the two-way layers (a
/// stream layer: the flow's; DATAGRAM_DATA: the caller's). IPFORWARD's packets are in
/// transit (outbound here: its values are the packet's own source and destination).
const LAYERS: &[Layer] = &[
    layer("INBOUND_IPPACKET_V4", 0, false, Some(true), Data::IpPacket, IPPACKET_IN),
    layer("INBOUND_IPPACKET_V6", 2, true, Some(true), Data::IpPacket, IPPACKET_IN),
    layer("OUTBOUND_IPPACKET_V4", 4, false, Some(false), Data::IpPacket, IPPACKET_OUT),
    layer("OUTBOUND_IPPACKET_V6", 6, true, Some(false), Data::IpPacket, IPPACKET_OUT),
    layer("IPFORWARD_V4", 8, false, Some(false), Data::Forward, IPFORWARD),
    layer("IPFORWARD_V6", 10, true, Some(false), Data::Forward, IPFORWARD),
    layer("INBOUND_TRANSPORT_V4", 12, false, Some(true), Data::Transport, TRANSPORT_IN),
    layer("INBOUND_TRANSPORT_V6", 14, true, Some(true), Data::Transport, TRANSPORT_IN),
    layer("OUTBOUND_TRANSPORT_V4", 16, false, Some(false), Data::Transport, TRANSPORT_OUT),
    layer("OUTBOUND_TRANSPORT_V6", 18, true, Some(false), Data::Transport, TRANSPORT_OUT),
    layer("STREAM_V4", 20, false, None, Data::Stream, STREAM),
    layer("STREAM_V6", 22, true, None, Data::Stream, STREAM),
    layer("DATAGRAM_DATA_V4", 24, false, None, Data::Datagram, DATAGRAM),
    layer("DATAGRAM_DATA_V6", 26, true, None, Data::Datagram, DATAGRAM),
    layer("INBOUND_ICMP_ERROR_V4", 28, false, Some(true), Data::IcmpErrorIn, ICMP_ERROR_IN),
    layer("INBOUND_ICMP_ERROR_V6", 30, true, Some(true), Data::IcmpErrorIn, ICMP_ERROR_IN),
    layer("OUTBOUND_ICMP_ERROR_V4", 32, false, Some(false), Data::IcmpErrorOut, ICMP_ERROR_OUT),
    layer("OUTBOUND_ICMP_ERROR_V6", 34, true, Some(false), Data::IcmpErrorOut, ICMP_ERROR_OUT),
    layer("ALE_AUTH_LISTEN_V4", 40, false, Some(false), Data::Listen, LISTEN),
    layer("ALE_AUTH_LISTEN_V6", 42, true, Some(false), Data::Listen, LISTEN),
    layer("ALE_AUTH_RECV_ACCEPT_V4", 44, false, Some(true), Data::Transport, RECV_ACCEPT),
    layer("ALE_AUTH_RECV_ACCEPT_V6", 46, true, Some(true), Data::Transport, RECV_ACCEPT),
    layer("ALE_AUTH_CONNECT_V4", 48, false, Some(false), Data::Transport, CONNECT),
    layer("ALE_AUTH_CONNECT_V6", 50, true, Some(false), Data::Transport, CONNECT),
    layer("ALE_FLOW_ESTABLISHED_V4", 52, false, Some(false), Data::FlowEstablished, FLOW_ESTABLISHED),
    layer("ALE_FLOW_ESTABLISHED_V6", 54, true, Some(false), Data::FlowEstablished, FLOW_ESTABLISHED),
    // The redirect layers' identifiers follow FWPS_LAYER_STREAM_PACKET_V4's neighbours in
    // FWPS_BUILTIN_LAYERS: ..., ALE_ENDPOINT_CLOSURE_V6 (65), ALE_CONNECT_REDIRECT_V4 (66),
    // _V6 (67), ALE_BIND_REDIRECT_V4 (68), _V6 (69).
    layer("ALE_CONNECT_REDIRECT_V4", 66, false, Some(false), Data::ConnectRequest, CONNECT_REDIRECT),
    layer("ALE_CONNECT_REDIRECT_V6", 67, true, Some(false), Data::ConnectRequest, CONNECT_REDIRECT),
    layer("ALE_BIND_REDIRECT_V4", 68, false, Some(false), Data::BindRequest, BIND_REDIRECT),
    layer("ALE_BIND_REDIRECT_V6", 69, true, Some(false), Data::BindRequest, BIND_REDIRECT),
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
    ("8784c146-ca97-44d6-9fd1-19fb1840cbf7", Direction),
    // FWPM_CONDITION_IP_SOURCE_ADDRESS, _IP_DESTINATION_ADDRESS (IPFORWARD).
    ("ae96897e-2e94-4bc9-b313-b27ee80e574d", SourceAddress),
    ("2d79133b-b390-45c6-8699-acaceaafed33", DestinationAddress),
    // FWPM_CONDITION_ICMP_TYPE and _ICMP_CODE are IP_LOCAL_PORT and IP_REMOTE_PORT.
    ("0c1ba1af-5765-453f-af22-a8f791ac775b", IcmpType),
    ("c35a604d-d22b-4e1a-91b4-68f674ee674b", IcmpCode),
    ("07784107-a29e-4c7b-9ec7-29c44afafdbc", EmbeddedProtocol),
    ("77ee4b39-3273-4671-b63b-ab6feb66eeb6", EmbeddedRemoteAddress),
    ("bfca394d-acdb-484e-b8e6-2aff79757345", EmbeddedLocalPort),
    ("cae4d6a1-2968-40ed-a4ce-547160dda88d", EmbeddedRemotePort),
];

/// What a packet says of itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packet {
    v6: bool,
    /// The addresses (IPv4: the first four bytes).
    source: [u8; 16],
    destination: [u8; 16],
    protocol: u8,
    /// The IP headers' length (IPv6: with the extension headers), and the transport ports
    /// (ICMP: type and code).
    header: usize,
    source_port: u16,
    destination_port: u16,
    /// TCP: the flags and where the payload starts.
    tcp_flags: u8,
    payload: usize,
    /// The packet an ICMP error carries (INBOUND_ICMP_ERROR).
    inner: Option<Inner>,
}

/// What an ICMP error says of the packet it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Inner {
    protocol: u8,
    destination: [u8; 16],
    source_port: u16,
    destination_port: u16,
}

impl Packet {
    fn v4(&self, a: &[u8; 16]) -> u32 {
        u32::from_be_bytes([a[0], a[1], a[2], a[3]])
    }
}

/// Why a packet cannot be classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassifyError {
    UnknownLayer(String),
    NotIpv4(String),
    NotIpv6(String),
    /// A stream layer's segment of no established flow, or not TCP.
    NoFlow(String),
    /// A packet the layer does not see (TCP at DATAGRAM_DATA, no ICMP error at an
    /// ICMP_ERROR layer, ...).
    Unfit(String),
    /// A direction the layer does not take, or none where it takes either.
    Direction(String),
}

impl std::fmt::Display for ClassifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClassifyError::UnknownLayer(l) => {
                write!(f, "layer `{l}`: packets are classified at {}", supported_layers().join(", "))
            }
            ClassifyError::NotIpv4(why) => write!(f, "not an IPv4 packet: {why}"),
            ClassifyError::NotIpv6(why) => write!(f, "not an IPv6 packet: {why}"),
            ClassifyError::NoFlow(why) => write!(f, "no flow for this segment: {why}"),
            ClassifyError::Unfit(why) => write!(f, "not a packet this layer sees: {why}"),
            ClassifyError::Direction(why) => write!(f, "direction: {why}"),
        }
    }
}

/// The ports (ICMP: type and code), TCP flags and payload offset of the transport header at
/// `t` (the packet from the transport header on), and where the payload starts in it.
fn transport(protocol: u8, t: &[u8]) -> (u16, u16, u8, usize) {
    match protocol {
        6 if t.len() >= 20 => {
            let off = (usize::from(t[12] >> 4) * 4).clamp(20, t.len());
            (u16::from_be_bytes([t[0], t[1]]), u16::from_be_bytes([t[2], t[3]]), t[13], off)
        }
        17 if t.len() >= 8 => (u16::from_be_bytes([t[0], t[1]]), u16::from_be_bytes([t[2], t[3]]), 0, 8),
        6 | 17 if t.len() >= 4 => (u16::from_be_bytes([t[0], t[1]]), u16::from_be_bytes([t[2], t[3]]), 0, t.len()),
        1 | 58 if t.len() >= 2 => (u16::from(t[0]), u16::from(t[1]), 0, t.len()),
        _ => (0, 0, 0, t.len()),
    }
}

fn parse_v4(b: &[u8]) -> Result<Packet, ClassifyError> {
    let bad = |why: &str| Err(ClassifyError::NotIpv4(why.to_string()));
    if b.len() < 20 || b[0] >> 4 != 4 {
        return bad("an IPv4 header is 20 bytes or more, version 4");
    }
    let header = usize::from(b[0] & 0xF) * 4;
    if header < 20 || header > b.len() {
        return bad("the header length is out of the packet");
    }
    let (mut source, mut destination) = ([0u8; 16], [0u8; 16]);
    source[..4].copy_from_slice(&b[12..16]);
    destination[..4].copy_from_slice(&b[16..20]);
    let protocol = b[9];
    let (source_port, destination_port, tcp_flags, off) = transport(protocol, &b[header..]);
    Ok(Packet {
        v6: false,
        source,
        destination,
        protocol,
        header,
        source_port,
        destination_port,
        tcp_flags,
        payload: header + off,
        inner: None,
    })
}

/// An IPv6 packet: the fixed header, then the extension headers the stack walks to the
/// transport (hop-by-hop options 0, routing 43, fragment 44, destination options 60).
fn parse_v6(b: &[u8]) -> Result<Packet, ClassifyError> {
    let bad = |why: &str| Err(ClassifyError::NotIpv6(why.to_string()));
    if b.len() < 40 || b[0] >> 4 != 6 {
        return bad("an IPv6 header is 40 bytes, version 6");
    }
    let (mut source, mut destination) = ([0u8; 16], [0u8; 16]);
    source.copy_from_slice(&b[8..24]);
    destination.copy_from_slice(&b[24..40]);
    let (mut next, mut at) = (b[6], 40usize);
    for _ in 0..8 {
        let len = match next {
            0 | 43 | 60 if at + 2 <= b.len() => (usize::from(b[at + 1]) + 1) * 8,
            44 => 8,
            0 | 43 | 60 => return bad("an extension header is cut short"),
            _ => break,
        };
        if at + len > b.len() {
            return bad("an extension header is cut short");
        }
        next = b[at];
        at += len;
    }
    let (source_port, destination_port, tcp_flags, off) = transport(next, &b[at..]);
    Ok(Packet {
        v6: true,
        source,
        destination,
        protocol: next,
        header: at,
        source_port,
        destination_port,
        tcp_flags,
        payload: at + off,
        inner: None,
    })
}

fn parse(b: &[u8], v6: bool) -> Result<Packet, ClassifyError> {
    if v6 {
        parse_v6(b)
    } else {
        parse_v4(b)
    }
}

/// A value as the layer hands it: a scalar (FWP_DATA_TYPE, value) or an IPv6 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    Scalar(u32, u64),
    Address([u8; 16]),
}

/// A value of the packet at a layer, going `inbound` or not.
fn value(p: &Packet, inbound: bool, v: Value) -> Val {
    let (local, remote) = if inbound { (p.destination, p.source) } else { (p.source, p.destination) };
    let (lport, rport) =
        if inbound { (p.destination_port, p.source_port) } else { (p.source_port, p.destination_port) };
    let address = |a: [u8; 16]| if p.v6 { Val::Address(a) } else { Val::Scalar(FWP_UINT32, p.v4(&a).into()) };
    match v {
        LocalAddress => address(local),
        RemoteAddress => address(remote),
        LocalAddressType | DestinationAddressType => Val::Scalar(FWP_UINT8, 0),
        Protocol => Val::Scalar(FWP_UINT8, p.protocol.into()),
        LocalPort => Val::Scalar(FWP_UINT16, lport.into()),
        RemotePort => Val::Scalar(FWP_UINT16, rport.into()),
        Direction => Val::Scalar(FWP_UINT32, inbound.into()),
        Flags => Val::Scalar(FWP_UINT32, 0),
        SourceAddress => address(p.source),
        DestinationAddress => address(p.destination),
        // An ICMP packet's type and code are where a transport header's ports are.
        IcmpType => Val::Scalar(FWP_UINT16, p.source_port.into()),
        IcmpCode => Val::Scalar(FWP_UINT16, p.destination_port.into()),
        EmbeddedProtocol => Val::Scalar(FWP_UINT8, p.inner.map_or(0, |i| i.protocol).into()),
        EmbeddedRemoteAddress => address(p.inner.map_or([0; 16], |i| i.destination)),
        EmbeddedLocalPort => Val::Scalar(FWP_UINT16, p.inner.map_or(0, |i| i.source_port).into()),
        EmbeddedRemotePort => Val::Scalar(FWP_UINT16, p.inner.map_or(0, |i| i.destination_port).into()),
        Empty => Val::Scalar(FWP_EMPTY, 0),
    }
}

/// Whether `c` holds for the value `v` (FWP_MATCH_TYPE on scalars; an IPv6 address equal,
/// or not, within the condition's prefix).
fn holds(c: &Condition, v: Val) -> bool {
    match v {
        Val::Address(a) => {
            let Some((x, prefix)) = c.address else { return false };
            let bits = usize::from(prefix);
            let same = (0..16).all(|i| {
                let keep = bits.saturating_sub(i * 8).min(8);
                let mask = if keep == 0 { 0 } else { 0xFFu8 << (8 - keep) };
                a[i] & mask == x[i] & mask
            });
            match c.match_type {
                0 => same,
                10 => !same,
                _ => false,
            }
        }
        Val::Scalar(_, v) => {
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
    }
}

/// Whether the filter's conditions hold: those on one field any of them, every field.
/// A condition on a field the layer does not have here never holds.
fn matches(f: &Filter, layer: &Layer, inbound: bool, p: &Packet) -> bool {
    let mut fields: Vec<Guid> = f.conditions.iter().map(|c| c.field).collect();
    fields.dedup();
    fields.iter().all(|field| {
        let which = CONDITIONS
            .iter()
            .filter(|(g, _)| parse_guid(g).as_ref() == Some(field))
            .map(|(_, v)| *v)
            .find(|w| layer.fields.contains(w));
        let Some(which) = which else { return false };
        let v = value(p, inbound, which);
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
    /// "block (callout not registered)"; at a stream layer also "need more data", "defer",
    /// "drop connection", "allow connection" and "permit (connection allowed)".
    pub action: String,
    /// At a stream layer: the stream data presented, and the bytes the decision covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presented: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforced: Option<u64>,
}

impl Fired {
    fn new(filter: u64, sublayer: String, callout: Option<String>, action: String) -> Fired {
        Fired { filter, sublayer, callout, action, presented: None, enforced: None }
    }
}

/// The engine's decision on a packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classified {
    pub layer: String,
    pub fired: Vec<Fired>,
    /// "permitted", "blocked" or "absorbed"; at a stream layer also "dropped" (the
    /// connection), "held" (for a callout that needs more data) or "deferred".
    pub verdict: String,
    /// At a redirect layer: the endpoint a callout changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirected: Option<super::redirect::Redirected>,
    /// At ALE_FLOW_ESTABLISHED: the flow made (none if the connection was blocked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<u64>,
    /// At a stream layer: what became of the stream data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamReport>,
}

/// The verdicts a classification can end with.
pub const VERDICTS: &[&str] = &["permitted", "blocked", "absorbed", "dropped", "held", "deferred"];

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

fn make_blocks(k: &mut Kx, layer: &Layer, inbound: bool, p: &Packet, flow: Option<u64>) -> KResult<Blocks> {
    let arch = k.arch();
    let n = layer.fields.len() as u64;
    let vsize = size(arch, FWPS_INCOMING_VALUES0::VALUE_SIZE);
    let vals_size = size(arch, FWPS_INCOMING_VALUES0::SIZE);
    // The values, then (IPv6) room for the addresses they point to.
    let total = vals_size + n * vsize + if layer.v6 { n * 16 } else { 0 };
    let values = crate::ex::pool::kernel_alloc(k, total, b"FwpC")?;
    crate::ex::pool::zero(k, values, total)?;
    let array = values + vals_size;
    let addresses = array + n * vsize;
    let m = k.mem_mut();
    m.set(values, FWPS_INCOMING_VALUES0::layerId, layer.id.into())?;
    m.set(values, FWPS_INCOMING_VALUES0::valueCount, n)?;
    m.set(values, FWPS_INCOMING_VALUES0::incomingValue, array)?;
    let inline = if arch == Arch::X86 { 4 } else { 8 };
    for (i, v) in layer.fields.iter().enumerate() {
        let at = array + i as u64 * vsize;
        match value(p, inbound, *v) {
            Val::Scalar(ty, x) => {
                m.write_u32(at, ty)?;
                m.write_u32(at + inline, x as u32)?;
            }
            Val::Address(a) => {
                let to = addresses + i as u64 * 16;
                m.write(to, &a)?;
                m.write_u32(at, FWP_BYTE_ARRAY16_TYPE)?;
                m.write_ptr(at + inline, to)?;
            }
        }
    }
    let meta = crate::ex::pool::kernel_alloc(k, META_SIZE, b"FwpC")?;
    crate::ex::pool::zero(k, meta, META_SIZE)?;
    if let Some(id) = flow {
        k.mem_mut().write_u32(meta, FWPS_METADATA_FIELD_FLOW_HANDLE)?;
        k.mem_mut().write_u64(meta + META_FLOW_HANDLE_AT, id)?;
    }
    let fsize = size(arch, FWPS_FILTER0::SIZE);
    let filter = crate::ex::pool::kernel_alloc(k, fsize, b"FwpC")?;
    let osize = size(arch, FWPS_CLASSIFY_OUT0::SIZE);
    let out = crate::ex::pool::kernel_alloc(k, osize, b"FwpC")?;
    let context = crate::ex::pool::kernel_alloc(k, 16, b"FwpC")?;
    crate::ex::pool::zero(k, context, 16)?;
    Ok(Blocks { values, meta, filter, out, context })
}

/// The size of the packet's transport header: TCP's (its data offset), UDP's, an ICMP
/// header's (of the layer's family), none for another protocol.
fn transport_header_size(p: &Packet) -> usize {
    let icmp = if p.v6 { 58 } else { 1 };
    match p.protocol {
        6 | 17 => p.payload - p.header,
        x if x == icmp => ICMP_HEADER.min(p.payload - p.header),
        _ => 0,
    }
}

/// Where an inbound packet's data starts at the transport, datagram-data and receive-accept
/// layers ("Data offset positions": the beginning of the data, past the IP and transport
/// headers; for ICMP, and a protocol the stack has no header for, its header).
fn data_start(p: &Packet) -> usize {
    match p.protocol {
        6 | 17 => p.payload,
        _ => p.header,
    }
}

/// Fills in the header sizes the layer hands its callouts in the incoming metadata
/// ("Metadata fields at each filtering layer"), with their FWPS_METADATA_FIELD_* bits:
/// ipHeaderSize (the IP header with IPv6's extension headers) at INBOUND_IPPACKET,
/// OUTBOUND_IPPACKET, INBOUND_TRANSPORT, ALE_AUTH_RECV_ACCEPT, DATAGRAM_DATA and
/// INBOUND_ICMP_ERROR (the outer header); transportHeaderSize at those but INBOUND_IPPACKET,
/// and at OUTBOUND_TRANSPORT, ALE_AUTH_CONNECT and OUTBOUND_ICMP_ERROR (the ICMP header).
/// A callout retreats the net buffer by them to see the headers the layer's data offset is
/// past (the bytes are there: the list holds the whole packet).
fn header_sizes(k: &mut Kx, meta: u64, layer: &Layer, inbound: bool, p: &Packet) -> KResult<()> {
    let (ip, transport) = match layer.data {
        Data::IpPacket => (true, !inbound),
        Data::Transport => (inbound, true),
        Data::Datagram | Data::IcmpErrorIn => (true, true),
        Data::IcmpErrorOut => (false, true),
        _ => (false, false),
    };
    let transport_size = match layer.data {
        Data::IcmpErrorIn | Data::IcmpErrorOut => ICMP_HEADER,
        _ => transport_header_size(p),
    };
    let m = k.mem_mut();
    let mut present = m.read_u32(meta)?;
    if ip {
        present |= FWPS_METADATA_FIELD_IP_HEADER_SIZE;
        m.write_u32(meta + META_IP_HEADER_SIZE_AT, p.header as u32)?;
    }
    if transport {
        present |= FWPS_METADATA_FIELD_TRANSPORT_HEADER_SIZE;
        m.write_u32(meta + META_TRANSPORT_HEADER_SIZE_AT, transport_size as u32)?;
    }
    m.write_u32(meta, present)?;
    Ok(())
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

/// Calls the callout of filter `id` for the packet, with `layer_data` and `flow_context`;
/// returns (actionType, rights, flags).
#[allow(clippy::too_many_arguments)]
fn call_callout(
    k: &mut Kx,
    b: &Blocks,
    id: u64,
    f: &Filter,
    r: &super::Registered,
    layer_data: u64,
    rights: u32,
    flow_context: u64,
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
    let mut args = vec![b.values, b.meta, layer_data];
    if r.version > 0 {
        args.push(b.context);
    }
    args.push(b.filter);
    if arch == Arch::X86 {
        args.extend([flow_context & 0xFFFF_FFFF, flow_context >> 32]);
    } else {
        args.push(flow_context);
    }
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

/// The matching filters of a layer, in arbitration order: (sublayer, filter id, filter).
fn ordered(k: &Kx, layer: &Layer, inbound: bool, p: &Packet) -> Vec<(Guid, u64, Filter)> {
    let key = layers::layer_key(layer.name).expect("a known layer");
    let mut order: Vec<(u16, Guid, u64, u64, Filter)> = Vec::new();
    for (id, f) in &k.ext().wfp.store.filters {
        if f.layer == key && matches(f, layer, inbound, p) {
            let (sw, _) = sublayer_of(k, &f.sublayer);
            order.push((sw, f.sublayer, f.weight, *id, f.clone()));
        }
    }
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)));
    order.into_iter().map(|(_, s, _, id, f)| (s, id, f)).collect()
}

/// The registered callout a filter names, and its run-time identifier.
fn registered(k: &Kx, callout: &Guid) -> Option<(super::Registered, u32)> {
    let w = &k.ext().wfp;
    w.registered.iter().find(|(_, r)| r.key == *callout).map(|(id, r)| (r.clone(), *id))
}

/// Classifies `bytes` (an IPv4 or IPv6 packet, as the layer's family wants) at `layer_name`
/// (FWPM_LAYER_ name, with or without the prefix, any case): the callouts run, and the
/// decision is recorded and returned.
pub fn classify(k: &mut Kx, layer_name: &str, bytes: &[u8]) -> KResult<Result<Classified, ClassifyError>> {
    classify_toward(k, layer_name, bytes, None)
}

/// Whether a layer takes packets both ways, the caller saying which (DATAGRAM_DATA).
pub fn two_way(layer_name: &str) -> bool {
    let wanted = layer_name.trim_start_matches("FWPM_LAYER_").to_ascii_uppercase();
    LAYERS.iter().any(|l| l.name == wanted && l.data == Data::Datagram)
}

/// The direction a packet goes at `layer`: the layer's own, or at DATAGRAM_DATA the one
/// asked for (`inbound`), which it needs.
fn direction(layer: &Layer, inbound: Option<bool>) -> Result<bool, ClassifyError> {
    let text = |i: bool| if i { "inbound" } else { "outbound" };
    match (layer.data, layer.inbound, inbound) {
        (Data::Datagram, _, Some(i)) => Ok(i),
        (Data::Datagram, _, None) => {
            Err(ClassifyError::Direction(format!("{} sees datagrams both ways: say which", layer.name)))
        }
        (Data::Stream, _, Some(_)) => {
            Err(ClassifyError::Direction(format!("at {} the flow of the segment gives it", layer.name)))
        }
        (Data::Forward, _, Some(_)) => {
            Err(ClassifyError::Direction(format!("{} sees packets in transit: neither way", layer.name)))
        }
        (_, Some(own), Some(i)) if own != i => {
            Err(ClassifyError::Direction(format!("{} sees {} packets only", layer.name, text(own))))
        }
        (_, own, _) => Ok(own.unwrap_or(false)),
    }
}

/// Whether an ICMP header of type `t` (ICMPv4, or ICMPv6 when `v6`) is an error message
/// carrying the packet it is about: destination unreachable, source quench, redirect, time
/// exceeded and parameter problem (ICMPv6: destination unreachable, packet too big, time
/// exceeded and parameter problem).
fn icmp_error(v6: bool, t: u16) -> bool {
    if v6 {
        (1..=4).contains(&t)
    } else {
        matches!(t, 3 | 4 | 5 | 11 | 12)
    }
}

/// Checks that `p` is a packet the layer sees, and reads what an ICMP error carries.
fn fit(layer: &Layer, bytes: &[u8], p: &mut Packet) -> Result<(), ClassifyError> {
    let icmp = if layer.v6 { 58 } else { 1 };
    let unfit = |why: String| Err(ClassifyError::Unfit(why));
    match layer.data {
        Data::Datagram if p.protocol == 6 => unfit("TCP data goes through the stream layers".into()),
        Data::Listen if p.protocol != 6 => unfit("a listen is TCP's".into()),
        Data::IcmpErrorIn | Data::IcmpErrorOut if p.protocol != icmp || bytes.len() < p.header + 8 => {
            unfit(format!("an ICMP error is an ICMP{} message, its header 8 bytes", if layer.v6 { "v6" } else { "" }))
        }
        Data::IcmpErrorIn | Data::IcmpErrorOut if !icmp_error(layer.v6, p.source_port) => {
            unfit(format!("ICMP type {} is not an error message", p.source_port))
        }
        Data::IcmpErrorIn => match parse(&bytes[p.header + 8..], layer.v6) {
            Ok(q) => {
                p.inner = Some(Inner {
                    protocol: q.protocol,
                    destination: q.destination,
                    source_port: q.source_port,
                    destination_port: q.destination_port,
                });
                Ok(())
            }
            Err(e) => unfit(format!("the packet the ICMP error carries: {e}")),
        },
        _ => Ok(()),
    }
}

/// Classifies `bytes` at `layer_name` going the way `inbound` says (Some(true): received),
/// which only DATAGRAM_DATA needs and the one-way layers check.
pub fn classify_toward(
    k: &mut Kx,
    layer_name: &str,
    bytes: &[u8],
    inbound: Option<bool>,
) -> KResult<Result<Classified, ClassifyError>> {
    let wanted = layer_name.trim_start_matches("FWPM_LAYER_").to_ascii_uppercase();
    let Some(layer) = LAYERS.iter().find(|l| l.name == wanted) else {
        return Ok(Err(ClassifyError::UnknownLayer(layer_name.to_string())));
    };
    let mut p = match parse(bytes, layer.v6) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let inbound = match direction(layer, inbound).and_then(|i| fit(layer, bytes, &mut p).map(|_| i)) {
        Ok(i) => i,
        Err(e) => return Ok(Err(e)),
    };
    let c = if layer.data == Data::Stream {
        match stream(k, layer, bytes, &p)? {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        }
    } else {
        packet(k, layer, inbound, bytes, &p)?
    };
    super::flows::run_put_off(k)?;
    record(
        k,
        WfpChange::Classified {
            layer: c.layer.clone(),
            length: bytes.len() as u64,
            fired: c.fired.clone(),
            verdict: c.verdict.clone(),
            redirected: c.redirected.clone(),
            flow: c.flow,
            stream: c.stream.clone(),
        },
    );
    Ok(Ok(c))
}

/// A packet at a layer other than a stream layer.
fn packet(k: &mut Kx, layer: &Layer, inbound: bool, bytes: &[u8], p: &Packet) -> KResult<Classified> {
    let order = ordered(k, layer, inbound, p);

    // The layer data: a net buffer list of the packet, from where the layer is at ("Data
    // offset positions"), or the request at a redirect layer, or nothing (a listen).
    use crate::ndis::receive::{make, make_at};
    let nbl = match layer.data {
        Data::IpPacket if inbound => make_at(k, bytes, p.header)?,
        Data::IpPacket | Data::Forward => make(k, bytes)?,
        Data::Transport | Data::Datagram if inbound => make_at(k, bytes, data_start(p))?,
        Data::Transport | Data::FlowEstablished | Data::Stream => make(k, &bytes[p.header..])?,
        Data::Datagram | Data::IcmpErrorOut => make_at(k, bytes, p.header)?,
        Data::IcmpErrorIn => make_at(k, bytes, p.header + ICMP_HEADER)?,
        Data::ConnectRequest | Data::BindRequest | Data::Listen => 0,
    };
    let request = matches!(layer.data, Data::ConnectRequest | Data::BindRequest);
    let flow = if layer.data == Data::FlowEstablished {
        let f = Flow {
            v6: p.v6,
            protocol: p.protocol,
            local: (p.source, p.source_port),
            remote: (p.destination, p.destination_port),
            ..Flow::default()
        };
        Some(super::flows::establish(k, f)?)
    } else {
        None
    };
    let b = make_blocks(k, layer, inbound, p, flow)?;
    header_sizes(k, b.meta, layer, inbound, p)?;
    if request {
        let (local, remote) = ((p.source, p.source_port), (p.destination, p.destination_port));
        super::redirect::begin(k, b.context, layer.data == Data::BindRequest, p.v6, local, remote)?;
    }
    let mut fired = Vec::new();
    // The decision so far: (action, hard, absorbed).
    let mut decision: Option<(u32, bool, bool)> = None;
    let mut done_sublayer: Option<Guid> = None;
    for (sublayer, id, f) in &order {
        if done_sublayer == Some(*sublayer) {
            continue;
        }
        let may_write = !matches!(decision, Some((_, true, _)));
        let (action, rights, flags, label) = match f.callout {
            None => (f.action, FWPS_RIGHT_ACTION_WRITE, 0, None),
            Some(c) => match registered(k, &c) {
                Some((r, _)) => {
                    let rights = if may_write { FWPS_RIGHT_ACTION_WRITE } else { 0 };
                    let data = if request { super::redirect::current(k) } else { nbl };
                    let (a, rt, fl) = call_callout(k, &b, *id, f, &r, data, rights, 0)?;
                    let a = if f.action == FWP_ACTION_CALLOUT_INSPECTION { FWP_ACTION_CONTINUE } else { a };
                    (a, rt, fl, Some(key_text(&c)))
                }
                None if f.action == FWP_ACTION_CALLOUT_TERMINATING => {
                    (FWP_ACTION_BLOCK, FWPS_RIGHT_ACTION_WRITE, u32::MAX, Some(key_text(&c)))
                }
                None => (FWP_ACTION_CONTINUE, FWPS_RIGHT_ACTION_WRITE, 0, Some(key_text(&c))),
            },
        };
        let terminating = action == FWP_ACTION_BLOCK || action == FWP_ACTION_PERMIT;
        let absorb = action == FWP_ACTION_BLOCK && flags != u32::MAX && flags & FWPS_CLASSIFY_OUT_FLAG_ABSORB != 0;
        let text = match (action, flags) {
            (FWP_ACTION_BLOCK, u32::MAX) => "block (callout not registered)".to_string(),
            _ if absorb => "absorb".to_string(),
            (FWP_ACTION_CONTINUE, _) => "continue".to_string(),
            _ => action_text(action),
        };
        fired.push(Fired::new(*id, sublayer_of(k, sublayer).1, label, text));
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
    // A connection blocked as it is established is no flow.
    let flow = match flow {
        Some(id) if verdict != "permitted" => {
            super::flows::run_put_off(k)?;
            super::flows::end(k, id)?;
            None
        }
        other => other,
    };
    Ok(Classified {
        layer: layer.name.to_string(),
        fired,
        verdict: verdict.to_string(),
        redirected,
        flow,
        stream: None,
    })
}

/// FWPS_STREAM_DATA0 (flags, dataOffset { netBufferList, netBuffer, mdl, mdlOffset,
/// netBufferOffset, streamDataOffset }, dataLength, netBufferListChain) and
/// FWPS_STREAM_CALLOUT_IO_PACKET0 (streamData, missedBytes, countBytesRequired,
/// countBytesEnforced, streamAction): offsets and sizes.
struct StreamLayout {
    data_size: u64,
    nbl: u64,
    nb: u64,
    mdl: u64,
    length: u64,
    chain: u64,
    io_size: u64,
    required: u64,
    enforced: u64,
    action: u64,
}

fn stream_layout(arch: Arch) -> StreamLayout {
    match arch {
        Arch::X86 => StreamLayout {
            data_size: 36,
            nbl: 4,
            nb: 8,
            mdl: 12,
            length: 28,
            chain: 32,
            io_size: 20,
            required: 8,
            enforced: 12,
            action: 16,
        },
        Arch::X64 => StreamLayout {
            data_size: 64,
            nbl: 8,
            nb: 16,
            mdl: 24,
            length: 48,
            chain: 56,
            io_size: 40,
            required: 16,
            enforced: 24,
            action: 32,
        },
    }
}

/// The stream data `data` as a callout gets it: the list holding it, the FWPS_STREAM_DATA0
/// and the FWPS_STREAM_CALLOUT_IO_PACKET0 (streamAction none, nothing required or enforced).
fn stream_blocks(k: &mut Kx, data: &[u8], flags: u32) -> KResult<(u64, u64, u64)> {
    let arch = k.arch();
    let l = stream_layout(arch);
    let nbl = crate::ndis::receive::make(k, data)?;
    let nb = k.mem().get(nbl, crate::layout::NET_BUFFER_LIST::FirstNetBuffer)?;
    let mdl = k.mem().get(nb, crate::layout::NET_BUFFER::CurrentMdl)?;
    let sd = crate::ex::pool::kernel_alloc(k, l.data_size + l.io_size, b"FwpS")?;
    crate::ex::pool::zero(k, sd, l.data_size + l.io_size)?;
    let io = sd + l.data_size;
    let m = k.mem_mut();
    m.write_u32(sd, flags)?;
    m.write_ptr(sd + l.nbl, nbl)?;
    m.write_ptr(sd + l.nb, nb)?;
    m.write_ptr(sd + l.mdl, mdl)?;
    m.write_ptr(sd + l.length, data.len() as u64)?;
    m.write_ptr(sd + l.chain, nbl)?;
    m.write_ptr(io, sd)?;
    Ok((nbl, sd, io))
}

/// What a stream callout said: (actionType, streamAction, countBytesRequired,
/// countBytesEnforced).
fn stream_answer(k: &Kx, b: &Blocks, io: u64) -> KResult<(u32, u32, u64, u64)> {
    let l = stream_layout(k.arch());
    let m = k.mem();
    Ok((
        m.get(b.out, FWPS_CLASSIFY_OUT0::actionType)? as u32,
        m.read_u32(io + l.action)?,
        m.read_u32(io + l.required)?.into(),
        m.read_ptr(io + l.enforced)?,
    ))
}

/// A TCP segment of a flow at a stream layer.
fn stream(k: &mut Kx, layer: &Layer, bytes: &[u8], p: &Packet) -> KResult<Result<Classified, ClassifyError>> {
    if p.protocol != 6 {
        return Ok(Err(ClassifyError::NoFlow("the stream layers classify TCP".into())));
    }
    let (src, dst): (Endpoint, Endpoint) = ((p.source, p.source_port), (p.destination, p.destination_port));
    let found = k.ext().wfp.flows.iter().find_map(|(id, f)| {
        if f.v6 != p.v6 || f.protocol != 6 {
            None
        } else if f.local == src && f.remote == dst {
            Some((*id, false))
        } else if f.local == dst && f.remote == src {
            Some((*id, true))
        } else {
            None
        }
    });
    let Some((flow_id, inbound)) = found else {
        return Ok(Err(ClassifyError::NoFlow("classify the connection at ALE_FLOW_ESTABLISHED first".into())));
    };
    let dir = usize::from(inbound);
    let name = layer.name.to_string();
    let direction = if inbound { "inbound" } else { "outbound" };
    let payload = &bytes[p.payload.min(bytes.len())..];
    let mut report =
        StreamReport { flow: flow_id, direction, length: 0, permitted: 0, blocked: 0, held: 0, ended: false };
    // A reset ends the flow without a classification.
    if p.tcp_flags & TCP_RST != 0 {
        super::flows::end(k, flow_id)?;
        report.ended = true;
        return Ok(Ok(Classified {
            layer: name,
            fired: Vec::new(),
            verdict: "permitted".into(),
            redirected: None,
            flow: None,
            stream: Some(report),
        }));
    }
    let fin = p.tcp_flags & TCP_FIN != 0;
    let (data, required, deferred) = {
        let f = k.ext_mut().wfp.flows.get_mut(&flow_id).expect("found");
        let mut held = std::mem::take(&mut f.held[dir]);
        held.extend_from_slice(payload);
        if fin {
            f.closed[dir] = true;
        }
        (held, f.required[dir], f.deferred[dir].is_some())
    };
    report.length = data.len() as u64;
    // Data for a callout waiting for more, or deferred, stays held.
    if deferred || (!fin && (data.len() as u64) < required) || (data.is_empty() && !fin) {
        let verdict = if deferred {
            "deferred"
        } else if data.is_empty() {
            "permitted"
        } else {
            "held"
        };
        report.held = data.len() as u64;
        k.ext_mut().wfp.flows.get_mut(&flow_id).expect("found").held[dir] = data;
        return Ok(Ok(Classified {
            layer: name,
            fired: Vec::new(),
            verdict: verdict.into(),
            redirected: None,
            flow: None,
            stream: Some(report),
        }));
    }
    k.ext_mut().wfp.flows.get_mut(&flow_id).expect("found").required[dir] = 0;
    let mut flags = if inbound { STREAM_FLAG_RECEIVE } else { STREAM_FLAG_SEND };
    if fin {
        flags |= if inbound { STREAM_FLAG_RECEIVE_DISCONNECT } else { STREAM_FLAG_SEND_DISCONNECT };
    }
    if inbound && p.tcp_flags & TCP_PSH != 0 {
        flags |= STREAM_FLAG_RECEIVE_PUSH;
    }
    let (fired, outcome) = stream_rounds(k, layer, flow_id, inbound, p, data, flags, &mut report)?;
    Ok(Ok(Classified {
        layer: name,
        fired,
        verdict: outcome.into(),
        redirected: None,
        flow: None,
        stream: Some(report),
    }))
}

/// Why deferred stream data cannot be resumed (FwpsStreamContinue0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResumeError {
    /// The layer is not STREAM_V4/V6, of the flow's family, or the flags name no direction.
    InvalidParameter,
    /// No such flow.
    NoFlow,
    /// The flow's stream that way is not deferred by this callout.
    NotDeferred,
}

/// Resumes the stream data of `flow` that callout `callout` deferred at the stream layer
/// `layer_id`, the way `flags` name (FWPS_STREAM_FLAG_SEND: outbound, else
/// FWPS_STREAM_FLAG_RECEIVE: inbound): the data held since, deferred data first, goes
/// through the layer's callouts again (with the side's disconnect flag if it closed
/// meanwhile), and the classification is recorded.
pub(crate) fn resume(
    k: &mut Kx,
    flow_id: u64,
    callout: u32,
    layer_id: u16,
    flags: u32,
) -> KResult<Result<(), ResumeError>> {
    let Some(layer) = LAYERS.iter().find(|l| l.data == Data::Stream && l.id == layer_id) else {
        return Ok(Err(ResumeError::InvalidParameter));
    };
    let inbound = match (flags & STREAM_FLAG_SEND != 0, flags & STREAM_FLAG_RECEIVE != 0) {
        (true, false) => false,
        (false, true) => true,
        _ => return Ok(Err(ResumeError::InvalidParameter)),
    };
    let dir = usize::from(inbound);
    let Some(f) = k.ext_mut().wfp.flows.get_mut(&flow_id) else { return Ok(Err(ResumeError::NoFlow)) };
    if f.v6 != layer.v6 {
        return Ok(Err(ResumeError::InvalidParameter));
    }
    if f.deferred[dir] != Some(callout) {
        return Ok(Err(ResumeError::NotDeferred));
    }
    f.deferred[dir] = None;
    f.required[dir] = 0;
    let data = std::mem::take(&mut f.held[dir]);
    let mut flags = flags;
    if f.closed[dir] {
        flags |= if inbound { STREAM_FLAG_RECEIVE_DISCONNECT } else { STREAM_FLAG_SEND_DISCONNECT };
    }
    // The segment as it goes that way: from the remote end inbound, from the local end out.
    let (from, to) = if inbound { (f.remote, f.local) } else { (f.local, f.remote) };
    let p = Packet {
        v6: f.v6,
        source: from.0,
        destination: to.0,
        protocol: 6,
        header: 0,
        source_port: from.1,
        destination_port: to.1,
        tcp_flags: 0,
        payload: 0,
        inner: None,
    };
    let direction = if inbound { "inbound" } else { "outbound" };
    let length = data.len() as u64;
    let mut report = StreamReport { flow: flow_id, direction, length, permitted: 0, blocked: 0, held: 0, ended: false };
    let (fired, outcome) = if data.is_empty() {
        (Vec::new(), "permitted")
    } else {
        stream_rounds(k, layer, flow_id, inbound, &p, data, flags, &mut report)?
    };
    record(
        k,
        WfpChange::Classified {
            layer: layer.name.to_string(),
            length,
            fired,
            verdict: outcome.to_string(),
            redirected: None,
            flow: None,
            stream: Some(report),
        },
    );
    Ok(Ok(()))
}

/// The stream data `data` of the flow going `inbound` or not, with `flags`, through the
/// callouts of the stream layer, round after round until every byte is decided, held or
/// deferred; the flow ends if a callout dropped it or both sides are closed. Returns the
/// filters that fired and the outcome.
#[allow(clippy::too_many_arguments)]
fn stream_rounds(
    k: &mut Kx,
    layer: &Layer,
    flow_id: u64,
    inbound: bool,
    p: &Packet,
    mut data: Vec<u8>,
    flags: u32,
    report: &mut StreamReport,
) -> KResult<(Vec<Fired>, &'static str)> {
    let dir = usize::from(inbound);
    let order = ordered(k, layer, inbound, p);
    let b = make_blocks(k, layer, inbound, p, Some(flow_id))?;
    let mut fired = Vec::new();
    let mut outcome = "permitted";
    let mut dropped = false;
    // The callout that deferred the data (FwpsStreamContinue0 names it to resume).
    let mut deferrer = 0;
    for _ in 0..MAX_STREAM_ROUNDS {
        // The first decision among the filters: an FWP_ACTION_* over its bytes of `data`, or
        // a stream action (in the high half) with its bytes (for need-more-data: the more
        // it waits for).
        let mut decided: Option<(u32, u64)> = None;
        for (sublayer, id, f) in &order {
            let sub = sublayer_of(k, sublayer).1;
            let Some(c) = f.callout else {
                fired.push(Fired::new(*id, sub, None, action_text(f.action)));
                decided = Some((f.action, data.len() as u64));
                break;
            };
            let Some((r, callout_id)) = registered(k, &c) else {
                if f.action == FWP_ACTION_CALLOUT_TERMINATING {
                    fired.push(Fired::new(*id, sub, Some(key_text(&c)), "block (callout not registered)".into()));
                    decided = Some((FWP_ACTION_BLOCK, data.len() as u64));
                    break;
                }
                continue;
            };
            let allowed = k.ext().wfp.flows.get(&flow_id).is_some_and(|fl| fl.allowed.contains(&callout_id));
            if allowed {
                let mut e = Fired::new(*id, sub, Some(key_text(&c)), "permit (connection allowed)".into());
                e.enforced = Some(data.len() as u64);
                fired.push(e);
                decided = Some((FWP_ACTION_PERMIT, data.len() as u64));
                break;
            }
            let context = k
                .ext()
                .wfp
                .flows
                .get(&flow_id)
                .and_then(|fl| fl.contexts.get(&(layer.id, callout_id)).copied())
                .unwrap_or(0);
            let (nbl, sd, io) = stream_blocks(k, &data, flags)?;
            call_callout(k, &b, *id, f, &r, io, FWPS_RIGHT_ACTION_WRITE, context)?;
            let (action, stream_action, more, enforced) = stream_answer(k, &b, io)?;
            crate::ex::pool::free(k, sd, None, 0)?;
            super::references::classify_done(k, nbl)?;
            let len = data.len() as u64;
            let covered = if enforced == 0 || enforced > len { len } else { enforced };
            let action = if f.action == FWP_ACTION_CALLOUT_INSPECTION { FWP_ACTION_CONTINUE } else { action };
            let (text, decision) = match stream_action {
                STREAM_NEED_MORE_DATA => ("need more data".to_string(), Some((STREAM_NEED_MORE_DATA << 16, more))),
                STREAM_DROP_CONNECTION => ("drop connection".to_string(), Some((STREAM_DROP_CONNECTION << 16, len))),
                STREAM_DEFER => {
                    deferrer = callout_id;
                    ("defer".to_string(), Some((STREAM_DEFER << 16, len)))
                }
                STREAM_ALLOW_CONNECTION => {
                    if let Some(fl) = k.ext_mut().wfp.flows.get_mut(&flow_id) {
                        fl.allowed.insert(callout_id);
                    }
                    ("allow connection".to_string(), Some((FWP_ACTION_PERMIT, len)))
                }
                STREAM_NONE if action == FWP_ACTION_BLOCK || action == FWP_ACTION_PERMIT => {
                    (action_text(action), Some((action, covered)))
                }
                STREAM_NONE => ("continue".to_string(), None),
                other => (format!("stream action {other}"), Some((FWP_ACTION_BLOCK, len))),
            };
            let mut e = Fired::new(*id, sub, Some(key_text(&c)), text);
            e.presented = Some(len);
            e.enforced =
                decision.map(|(_, n)| n).filter(|_| [STREAM_NONE, STREAM_ALLOW_CONNECTION].contains(&stream_action));
            fired.push(e);
            if decision.is_some() {
                decided = decision;
                break;
            }
        }
        let len = data.len() as u64;
        let Some((action, n)) = decided else {
            // Nothing decided: the data goes on.
            report.permitted += len;
            break;
        };
        match action >> 16 {
            STREAM_NEED_MORE_DATA => {
                report.held = len;
                outcome = "held";
                let f = k.ext_mut().wfp.flows.get_mut(&flow_id).expect("the flow");
                f.required[dir] = len + n;
                f.held[dir] = std::mem::take(&mut data);
                break;
            }
            STREAM_DROP_CONNECTION => {
                report.blocked += len;
                outcome = "dropped";
                dropped = true;
                break;
            }
            STREAM_DEFER => {
                report.held = len;
                outcome = "deferred";
                let f = k.ext_mut().wfp.flows.get_mut(&flow_id).expect("the flow");
                f.deferred[dir] = Some(deferrer);
                f.held[dir] = std::mem::take(&mut data);
                break;
            }
            _ => {}
        }
        if action == FWP_ACTION_BLOCK {
            report.blocked += n;
            outcome = "blocked";
        } else {
            report.permitted += n;
        }
        data.drain(..n as usize);
        if data.is_empty() {
            break;
        }
    }
    free_blocks(k, &b)?;
    super::flows::run_put_off(k)?;
    let closed = k.ext().wfp.flows.get(&flow_id).is_some_and(|f| f.closed == [true, true]);
    if dropped || closed {
        super::flows::end(k, flow_id)?;
        report.ended = true;
    }
    Ok((fired, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_udp_ports_and_refuses_what_is_not_ipv4() {
        let mut b = vec![0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        b.extend([0x12, 0x34, 0x00, 0x35, 0, 8, 0, 0]);
        let p = parse(&b, false).unwrap();
        assert_eq!((p.v4(&p.source), p.v4(&p.destination), p.protocol), (0x0A00_0001, 0x0A00_0002, 17));
        assert_eq!((p.source_port, p.destination_port, p.header), (0x1234, 53, 20));
        assert_eq!(value(&p, true, RemoteAddress), Val::Scalar(FWP_UINT32, 0x0A00_0001));
        assert_eq!(value(&p, false, RemotePort), Val::Scalar(FWP_UINT16, 53));
        assert!(parse(&b[..19], false).is_err());
        b[0] = 0x65;
        assert!(parse(&b, false).is_err());
    }

    #[test]
    fn parses_ipv6_through_extension_headers_and_tcp_payload() {
        // Hop-by-hop options (8 bytes), then TCP 1234 -> 80 with 3 bytes of payload.
        let mut b = vec![0x60, 0, 0, 0, 0, 39, 0, 64];
        b.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[1]));
        b.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[2]));
        b.extend([6, 0, 1, 4, 0, 0, 0, 0]);
        let mut tcp = vec![0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0];
        tcp.extend(b"GET");
        b.extend(&tcp);
        let p = parse(&b, true).unwrap();
        assert_eq!((p.protocol, p.header, p.source_port, p.destination_port), (6, 48, 1234, 80));
        assert_eq!((p.tcp_flags, &b[p.payload..]), (0x18, &b"GET"[..]));
        assert_eq!(p.destination[15], 2);
        let Val::Address(a) = value(&p, false, RemoteAddress) else { panic!("an address") };
        assert_eq!(a, p.destination);
        // Cut inside the extension header; an IPv4 packet at an IPv6 layer.
        assert!(parse(&b[..44], true).is_err());
        assert!(parse(&b, false).is_err());
    }

    #[test]
    fn header_sizes_and_where_inbound_data_starts() {
        // TCP with 4 bytes of options (data offset 6) and 2 bytes of payload.
        let mut b = vec![0x45, 0, 0, 46, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1];
        b.extend([0, 80, 0x04, 0xd2, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x18, 0xff, 0xff, 0, 0, 0, 0, 1, 1, 1, 0]);
        b.extend(b"hi");
        let p = parse(&b, false).unwrap();
        assert_eq!((p.header, transport_header_size(&p), data_start(&p)), (20, 24, 44));
        // ICMP: its header's 8 bytes, the data from the header; another protocol: none.
        let mut icmp = b[..20].to_vec();
        icmp[9] = 1;
        icmp.extend([8, 0, 0, 0, 0, 1, 0, 1, 0xaa]);
        let p = parse(&icmp, false).unwrap();
        assert_eq!((transport_header_size(&p), data_start(&p)), (8, 20));
        icmp[9] = 47;
        let p = parse(&icmp, false).unwrap();
        assert_eq!((transport_header_size(&p), data_start(&p)), (0, 20));
        // A cut ICMP header is as long as what there is.
        let p = parse(&icmp[..24], false).map(|mut p| {
            p.protocol = 1;
            p.payload = 24;
            p
        });
        assert_eq!(transport_header_size(&p.unwrap()), 4);
    }

    fn filter(conditions: Vec<Condition>) -> Filter {
        Filter {
            key: [0; 16],
            name: String::new(),
            layer: [0; 16],
            sublayer: [0; 16],
            action: FWP_ACTION_BLOCK,
            callout: None,
            session: 0,
            weight: 0,
            context: 0,
            conditions,
        }
    }

    #[test]
    fn conditions_or_within_a_field_and_across_fields() {
        let mut p = parse_v4(&[0x45, 0, 0, 28, 0, 1, 0, 0, 64, 6, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 80, 0, 90]).unwrap();
        p.source_port = 80;
        let g = |s: &str| parse_guid(s).unwrap();
        let remote = g(CONDITIONS[1].0);
        let proto = g(CONDITIONS[2].0);
        let c = |field, match_type, value| Condition { field, match_type, value: Some(value), address: None };
        let mut f = filter(vec![c(remote, 0, 7), c(remote, 0, 2), c(proto, 0, 6)]);
        let out = LAYERS.iter().find(|l| l.name == "OUTBOUND_TRANSPORT_V4").unwrap();
        let ip = LAYERS.iter().find(|l| l.name == "OUTBOUND_IPPACKET_V4").unwrap();
        assert!(matches(&f, out, false, &p));
        f.conditions[2].value = Some(17);
        assert!(!matches(&f, out, false, &p));
        // The IP packet layers have no protocol field.
        f.conditions.truncate(2);
        assert!(matches(&f, ip, false, &p));
        f.conditions.push(c(proto, 10, 17));
        assert!(!matches(&f, ip, false, &p));
    }

    #[test]
    fn ipv6_address_conditions_match_within_their_prefix() {
        let mut p = parse_v4(&[0x45, 0, 0, 20, 0, 1, 0, 0, 64, 6, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]).unwrap();
        p.v6 = true;
        p.destination = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42];
        let remote = parse_guid(CONDITIONS[1].0).unwrap();
        let mut net = p.destination;
        net[15] = 0;
        let c = |address, match_type| Condition { field: remote, match_type, value: None, address: Some(address) };
        let ip = LAYERS.iter().find(|l| l.name == "OUTBOUND_IPPACKET_V6").unwrap();
        assert!(matches(&filter(vec![c((net, 64), 0)]), ip, false, &p));
        assert!(!matches(&filter(vec![c((net, 128), 0)]), ip, false, &p));
        assert!(matches(&filter(vec![c((net, 128), 10)]), ip, false, &p));
        assert!(matches(&filter(vec![c((p.destination, 128), 0)]), ip, false, &p));
        // A scalar condition never matches an IPv6 address.
        let s = Condition { field: remote, match_type: 0, value: Some(0x42), address: None };
        assert!(!matches(&filter(vec![s]), ip, false, &p));
    }
}
