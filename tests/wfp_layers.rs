//! The filtering layers corpus/wfplayers puts a callout on, both architectures:
//! ALE_CONNECT_REDIRECT_V6 (the connect request's endpoints as SOCKADDR_IN6, redirected),
//! DATAGRAM_DATA_V4/V6 (either direction, said by the caller; the layer data from the
//! transport header going out, from the data coming in), INBOUND_ICMP_ERROR (the values of
//! the packet the error carries; the data from its IP header), OUTBOUND_ICMP_ERROR (type
//! and code; the data from the ICMP header), ALE_AUTH_LISTEN (no layer data) and IPFORWARD
//! (source and destination). Packets a layer does not see, and directions it does not take,
//! are refused.
//!
//! Coming in, the layer data starts past the headers the stack has passed (INBOUND_IPPACKET:
//! at the transport header; INBOUND_TRANSPORT and DATAGRAM_DATA: at the data, ICMP at its
//! header) and the incoming metadata gives their sizes (ipHeaderSize, transportHeaderSize,
//! with their FWPS_METADATA_FIELD_* bits where the layer has them): the callout retreats the
//! net buffer over them without a new MDL, finds the IP header, and advances back.

use portcullis::sandbox::Sandbox;

fn driver(arch: &str) -> String {
    format!("{}/corpus/wfplayers/wfplayers.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

const IOCTL_WFPL_STATS: u32 = 0x8000_2400;
const IOCTL_WFPL_HEADERS: u32 = 0x8000_2404;
/// FWPS_METADATA_FIELD_IP_HEADER_SIZE, _TRANSPORT_HEADER_SIZE.
const IP: u32 = 0x4;
const TRANSPORT: u32 = 0x400;

fn v6(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[15] = last;
    a
}

fn ip4(protocol: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0, (len >> 8) as u8, len as u8, 0, 1, 0, 0, 64, protocol, 0, 0];
    p.extend(src);
    p.extend(dst);
    p.extend(payload);
    p
}

fn ip6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u16;
    let mut p = vec![0x60, 0, 0, 0, (len >> 8) as u8, len as u8, next, 64];
    p.extend(src);
    p.extend(dst);
    p.extend(payload);
    p
}

fn udp(from: u16, to: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend(from.to_be_bytes());
    u.extend(to.to_be_bytes());
    u.extend((8 + data.len() as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend(data);
    u
}

fn tcp(from: u16, to: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(from.to_be_bytes());
    t.extend(to.to_be_bytes());
    t.extend([0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    t
}

fn icmp(kind: u8, code: u8, carried: &[u8]) -> Vec<u8> {
    let mut m = vec![kind, code, 0, 0, 0, 0, 0, 0];
    m.extend(carried);
    m
}

/// The statistics of layer `i` (wfplayers' order): classifications, two incoming values,
/// the layer data's first byte, the data offset.
fn stats(sb: &mut Sandbox, h: portcullis::sandbox::Handle, i: usize) -> [u32; 5] {
    let out = sb.ioctl(h, IOCTL_WFPL_STATS, &[], 280).unwrap().completion.unwrap().output;
    let all: Vec<u32> = out.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    all[i * 5..i * 5 + 5].try_into().unwrap()
}

/// What the callout of layer `i` saw of the headers: the header-size bits of the metadata,
/// ipHeaderSize, transportHeaderSize, the retreat's status (u32::MAX: none), the IP version
/// and protocol behind the data, whether the retreat kept the MDL chain and the advance
/// restored the data start.
fn headers(sb: &mut Sandbox, h: portcullis::sandbox::Handle, i: usize) -> [u32; 7] {
    let out = sb.ioctl(h, IOCTL_WFPL_HEADERS, &[], 392).unwrap().completion.unwrap().output;
    let all: Vec<u32> = out.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    all[i * 7..i * 7 + 7].try_into().unwrap()
}

const NONE: u32 = u32::MAX;

const HOST: [u8; 4] = [10, 0, 0, 1];
const DNS: [u8; 4] = [10, 0, 0, 53];

#[test]
fn callouts_see_the_other_layers_with_their_values_and_data() {
    for arch in ["x86", "x64"] {
        let mut sb = Sandbox::builder().max_instructions(50_000_000).load_driver(driver(arch)).unwrap();
        assert!(sb.driver_entry().unwrap().is_success(), "{arch}");
        let h = sb.open(r"\\.\WfpLayers").unwrap();

        // Connect redirect, IPv6.
        let c = sb.classify_packet("ALE_CONNECT_REDIRECT_V6", &ip6(6, v6(1), v6(0x22), &tcp(49232, 80))).unwrap();
        let r = c.redirected.expect("redirected");
        assert_eq!((r.from.as_str(), r.to.as_str()), ("[2001:db8::22]:80", "[2001:db8::9]:8080"), "{arch}");
        assert_eq!(stats(&mut sb, h, 0), [1, 80, 0x22, 23, 1], "{arch}: AF_INET6 endpoints");
        let other = sb.classify_packet("ALE_CONNECT_REDIRECT_V6", &ip6(6, v6(1), v6(0x22), &tcp(49233, 443))).unwrap();
        assert!(other.fired.is_empty() && other.redirected.is_none(), "{arch}");

        // Datagrams: out from the transport header, in from the data.
        let out = ip4(17, HOST, DNS, &udp(5353, 53, &[0xab, 0xcd]));
        let c = sb.classify_packet_toward("DATAGRAM_DATA_V4", &out, Some(false)).unwrap();
        assert_eq!(c.verdict, "permitted", "{arch}");
        assert_eq!(stats(&mut sb, h, 1), [1, 0, 53, 0x14, 20], "{arch}");
        let back = ip4(17, DNS, HOST, &udp(53, 5353, &[0xab, 0xcd]));
        assert_eq!(sb.classify_packet_toward("DATAGRAM_DATA_V4", &back, Some(true)).unwrap().verdict, "blocked");
        assert_eq!(stats(&mut sb, h, 1), [2, 1, 53, 0xab, 28], "{arch}");
        assert!(sb.classify_packet("DATAGRAM_DATA_V4", &back).is_err(), "{arch}: the direction is needed");
        let segment = ip4(6, HOST, DNS, &tcp(1, 53));
        assert!(sb.classify_packet_toward("DATAGRAM_DATA_V4", &segment, Some(false)).is_err(), "{arch}: TCP");
        let back6 = ip6(17, v6(0x35), v6(1), &udp(53, 5353, &[0xab, 0xcd]));
        assert_eq!(sb.classify_packet_toward("DATAGRAM_DATA_V6", &back6, Some(true)).unwrap().verdict, "blocked");
        assert_eq!(stats(&mut sb, h, 2), [1, 1, 53, 0xab, 48], "{arch}");

        // A port unreachable about our UDP to 10.0.0.53:53: the carried packet's values, the
        // data from its IP header. One about TCP matches no filter (embedded protocol 17).
        let carried = ip4(17, HOST, DNS, &udp(5353, 53, &[]));
        let error = ip4(1, DNS, HOST, &icmp(3, 3, &carried));
        assert!(sb.classify_packet_toward("INBOUND_ICMP_ERROR_V4", &error, Some(false)).is_err(), "{arch}");
        assert_eq!(sb.classify_packet("INBOUND_ICMP_ERROR_V4", &error).unwrap().fired.len(), 1, "{arch}");
        assert_eq!(stats(&mut sb, h, 3), [1, 53, 0x0A00_0035, 0x45, 28], "{arch}");
        let about_tcp = ip4(1, DNS, HOST, &icmp(3, 3, &ip4(6, HOST, DNS, &tcp(1, 53)[..8])));
        assert!(sb.classify_packet("INBOUND_ICMP_ERROR_V4", &about_tcp).unwrap().fired.is_empty(), "{arch}");
        let echo = ip4(1, DNS, HOST, &icmp(8, 0, &[0; 8]));
        assert!(sb.classify_packet("INBOUND_ICMP_ERROR_V4", &echo).is_err(), "{arch}: an echo is no error");
        let carried6 = ip6(17, v6(1), v6(0x35), &udp(5353, 53, &[]));
        sb.classify_packet("INBOUND_ICMP_ERROR_V6", &ip6(58, v6(0x35), v6(1), &icmp(1, 4, &carried6))).unwrap();
        assert_eq!(stats(&mut sb, h, 4), [1, 53, 0x35, 0x60, 48], "{arch}");

        // Errors we send: type and code, the data from the ICMP header; the filter on type 3.
        let ours = ip4(1, HOST, DNS, &icmp(3, 3, &ip4(17, DNS, HOST, &udp(53, 5353, &[]))));
        sb.classify_packet("OUTBOUND_ICMP_ERROR_V4", &ours).unwrap();
        assert_eq!(stats(&mut sb, h, 5), [1, 3, 3, 3, 20], "{arch}");
        let exceeded = ip4(1, HOST, DNS, &icmp(11, 0, &ip4(17, DNS, HOST, &udp(53, 5353, &[]))));
        assert!(sb.classify_packet("OUTBOUND_ICMP_ERROR_V4", &exceeded).unwrap().fired.is_empty(), "{arch}");
        let ours6 = ip6(58, v6(1), v6(0x35), &icmp(1, 4, &ip6(17, v6(0x35), v6(1), &udp(53, 5353, &[]))));
        sb.classify_packet("OUTBOUND_ICMP_ERROR_V6", &ours6).unwrap();
        assert_eq!(stats(&mut sb, h, 6), [1, 1, 4, 1, 40], "{arch}");

        // Listens: the filter on local port 23; no layer data.
        let telnet = ip4(6, HOST, [0; 4], &tcp(23, 0));
        assert_eq!(sb.classify_packet("ALE_AUTH_LISTEN_V4", &telnet).unwrap().verdict, "blocked", "{arch}");
        assert_eq!(stats(&mut sb, h, 7), [1, 23, 0x0A00_0001, u32::MAX, 0], "{arch}");
        let web = ip4(6, HOST, [0; 4], &tcp(8080, 0));
        assert_eq!(sb.classify_packet("ALE_AUTH_LISTEN_V4", &web).unwrap().verdict, "permitted", "{arch}");
        assert!(sb.classify_packet("ALE_AUTH_LISTEN_V4", &ip4(17, HOST, DNS, &udp(23, 1, &[]))).is_err(), "{arch}");
        let telnet6 = ip6(6, v6(1), [0; 16], &tcp(23, 0));
        assert_eq!(sb.classify_packet("ALE_AUTH_LISTEN_V6", &telnet6).unwrap().verdict, "blocked", "{arch}");
        assert_eq!(stats(&mut sb, h, 8), [1, 23, 1, u32::MAX, 0], "{arch}");

        // Forwarding: the filter on destination 192.168.1.99.
        let transit = ip4(17, [192, 168, 1, 5], [192, 168, 1, 99], &udp(1024, 53, &[]));
        assert_eq!(sb.classify_packet("IPFORWARD_V4", &transit).unwrap().verdict, "blocked", "{arch}");
        assert_eq!(stats(&mut sb, h, 9), [1, 0xC0A8_0105, 0xC0A8_0163, 0x45, 0], "{arch}");
        assert!(sb.classify_packet_toward("IPFORWARD_V4", &transit, Some(true)).is_err(), "{arch}");
        let elsewhere = ip4(17, [192, 168, 1, 5], [192, 168, 1, 100], &udp(1024, 53, &[]));
        assert_eq!(sb.classify_packet("IPFORWARD_V4", &elsewhere).unwrap().verdict, "permitted", "{arch}");
        let transit6 = ip6(17, v6(5), v6(0x63), &udp(1024, 53, &[]));
        assert_eq!(sb.classify_packet("IPFORWARD_V6", &transit6).unwrap().verdict, "blocked", "{arch}");
        assert_eq!(stats(&mut sb, h, 10), [1, 5, 0x63, 0x60, 0], "{arch}");

        // The header sizes at the layers above: datagrams (the last came in) and ICMP
        // errors coming in have both, the errors going out the ICMP header's, the others none.
        assert_eq!(headers(&mut sb, h, 2), [IP | TRANSPORT, 40, 8, 0, 6, 17, 1], "{arch}");
        assert_eq!(headers(&mut sb, h, 3), [IP | TRANSPORT, 20, 8, 0, 4, 1, 1], "{arch}: the outer header");
        assert_eq!(headers(&mut sb, h, 4), [IP | TRANSPORT, 40, 8, 0, 6, 58, 1], "{arch}");
        assert_eq!(headers(&mut sb, h, 5), [TRANSPORT, 0, 8, NONE, 0, 0, 0], "{arch}");
        assert_eq!(headers(&mut sb, h, 0), [0, 0, 0, NONE, 0, 0, 0], "{arch}: a connect request");
        assert_eq!(headers(&mut sb, h, 7), [0, 0, 0, NONE, 0, 0, 0], "{arch}: a listen");
        assert_eq!(headers(&mut sb, h, 9), [0, 0, 0, NONE, 0, 0, 0], "{arch}: in transit");
        let out = ip4(17, HOST, DNS, &udp(5353, 53, &[0xab, 0xcd]));
        sb.classify_packet_toward("DATAGRAM_DATA_V4", &out, Some(false)).unwrap();
        assert_eq!(headers(&mut sb, h, 1), [IP | TRANSPORT, 20, 8, NONE, 0, 0, 0], "{arch}: not retreated going out");

        // Inbound IP packets: the data from the transport header; only the IP header's size.
        // An IPv4 header with options (24 bytes), an IPv6 one with a hop-by-hop header (48).
        let mut with_options = ip4(17, DNS, HOST, &udp(53, 5353, &[0xab, 0xcd]));
        with_options[0] = 0x46;
        with_options.splice(20..20, [1, 1, 1, 0]);
        with_options[3] += 4;
        assert_eq!(sb.classify_packet("INBOUND_IPPACKET_V4", &with_options).unwrap().verdict, "permitted");
        assert_eq!(stats(&mut sb, h, 11), [1, 0x0A00_0035, 0x0A00_0001, 0x00, 24], "{arch}");
        assert_eq!(headers(&mut sb, h, 11), [IP, 24, 0, 0, 4, 17, 1], "{arch}");
        let mut hop = vec![6, 0, 1, 4, 0, 0, 0, 0];
        hop.extend(tcp(80, 49232));
        let in6 = ip6(0, v6(0x22), v6(1), &hop);
        assert_eq!(sb.classify_packet("INBOUND_IPPACKET_V6", &in6).unwrap().verdict, "permitted");
        assert_eq!(stats(&mut sb, h, 12), [1, 0x22, 1, 0x00, 48], "{arch}");
        assert_eq!(headers(&mut sb, h, 12), [IP, 48, 0, 0, 6, 0, 1], "{arch}: the fixed header's next header");
        assert!(sb.classify_packet("INBOUND_IPPACKET_V6", &with_options).is_err(), "{arch}");
        assert!(sb.classify_packet_toward("INBOUND_IPPACKET_V4", &with_options, Some(false)).is_err(), "{arch}");

        // The inbound transport layer: UDP from its data, ICMP from its header.
        let answer = ip4(17, DNS, HOST, &udp(53, 5353, &[0xab, 0xcd]));
        sb.classify_packet("INBOUND_TRANSPORT_V4", &answer).unwrap();
        assert_eq!(stats(&mut sb, h, 13), [1, 17, 53, 0xab, 28], "{arch}");
        assert_eq!(headers(&mut sb, h, 13), [IP | TRANSPORT, 20, 8, 0, 4, 17, 1], "{arch}");
        let echo = ip4(1, DNS, HOST, &icmp(8, 0, &[0, 1, 0, 1]));
        sb.classify_packet("INBOUND_TRANSPORT_V4", &echo).unwrap();
        assert_eq!(stats(&mut sb, h, 13), [2, 1, 8, 8, 20], "{arch}: type 8 where the remote port is");
        assert_eq!(headers(&mut sb, h, 13), [IP | TRANSPORT, 20, 8, 0, 4, 1, 1], "{arch}");

        sb.close(h).unwrap();
        assert!(sb.unload().unwrap().is_empty(), "{arch}: every layer data block is freed");
    }
}
