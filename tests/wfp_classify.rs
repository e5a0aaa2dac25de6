//! Packets classified at a filtering layer reach the callout of corpus/wfpcallout, both
//! architectures: its filter (remote address 10.0.0.2, at the outbound IPv4 packet layer)
//! sends them to the classify function, which blocks UDP and permits ICMP; a packet to
//! another address, or at another layer, is permitted without the callout. What the callout
//! saw (the layer's incoming values, FWPS_FILTER0, a classify handle) comes back through an
//! IOCTL; the verdicts and the filters that fired are in the trace. A layer the engine does
//! not classify at, or bytes that are not IPv4, are refused without running anything.

use portcullis::sandbox::Sandbox;

fn driver(arch: &str) -> String {
    format!("{}/corpus/wfpcallout/wfpcallout.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

/// An IPv4 packet from 10.0.0.1 to 10.0.0.`to` of `protocol` with 8 bytes after the header.
fn packet(protocol: u8, to: u8) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 28, 0, 1, 0, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, to];
    p.extend([0x12, 0x34, 0x00, 0x35, 0, 8, 0, 0]);
    p
}

const IOCTL_WFPC_IDS: u32 = 0x8000_2404;
const IOCTL_WFPC_STATS: u32 = 0x8000_2408;

fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn the_callout_blocks_udp_to_its_address_and_permits_the_rest() {
    for arch in ["x86", "x64"] {
        let mut sb = Sandbox::builder().max_instructions(50_000_000).load_driver(driver(arch)).unwrap();
        assert!(sb.driver_entry().unwrap().is_success(), "{arch}");
        let h = sb.open(r"\\.\WfpCallout").unwrap();
        let ids = sb.ioctl(h, IOCTL_WFPC_IDS, &[], 12).unwrap().completion.unwrap().output;
        let filter_id = u64::from(u32s(&ids)[1]);

        let blocked = sb.classify_packet("OUTBOUND_IPPACKET_V4", &packet(17, 2)).unwrap();
        assert_eq!(blocked.verdict, "blocked", "{arch}");
        assert_eq!(blocked.fired.len(), 1);
        assert_eq!(blocked.fired[0].filter, filter_id);
        assert_eq!(blocked.fired[0].action, "block");
        assert_eq!(blocked.fired[0].callout.as_deref(), Some("{6a2b7f10-5c3e-4f0a-9d61-2e8f4c1b7a01}"));

        let icmp = sb.classify_packet("FWPM_LAYER_OUTBOUND_IPPACKET_V4", &packet(1, 2)).unwrap();
        assert_eq!((icmp.verdict.as_str(), icmp.fired[0].action.as_str()), ("permitted", "permit"), "{arch}");

        // No filter matches: permitted, the callout not called.
        let other = sb.classify_packet("outbound_ippacket_v4", &packet(17, 3)).unwrap();
        assert_eq!((other.verdict.as_str(), other.fired.len()), ("permitted", 0), "{arch}");
        let inbound = sb.classify_packet("INBOUND_TRANSPORT_V4", &packet(17, 2)).unwrap();
        assert_eq!((inbound.verdict.as_str(), inbound.fired.len()), ("permitted", 0), "{arch}");

        // Refused before anything runs.
        assert!(sb.classify_packet("STREAM_V4", &packet(6, 2)).is_err());
        assert!(sb.classify_packet("OUTBOUND_IPPACKET_V4", &[0x60; 40]).is_err());

        let stats = sb.ioctl(h, IOCTL_WFPC_STATS, &[], 28).unwrap().completion.unwrap().output;
        // classified, blocked, permitted, remote address, layer id, handle status, filter ok
        assert_eq!(u32s(&stats), [2, 1, 1, 0x0A00_0002, 4, 0, 1], "{arch}");
        sb.close(h).unwrap();
        assert!(sb.unload().unwrap().is_empty(), "{arch}: the engine's lists and blocks are all freed");
    }
}
