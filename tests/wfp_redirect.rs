//! Connect and bind redirection through corpus/wfpredirect, both architectures: a TCP
//! connect to port 80 classified at ALE_CONNECT_REDIRECT_V4 reaches the driver's callout
//! with the connect request as layer data; the callout takes a writable copy
//! (FwpsAcquireWritableLayerDataPointer0), points it at 10.0.0.9:8080 and applies it
//! (FwpsApplyModifiedLayerData0), and the classification ends redirected. A bind to local
//! port 5000 at ALE_BIND_REDIRECT_V4 is moved to port 6000. Connects no filter matches keep
//! their destination; an IPv4 packet at an IPv6 redirect layer is refused.

use portcullis::sandbox::Sandbox;

fn driver(arch: &str) -> String {
    format!("{}/corpus/wfpredirect/wfpredirect.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

/// An IPv4 packet 10.0.0.1:`from` -> 93.184.216.34:`to` of `protocol` (TCP SYN or UDP).
fn packet(protocol: u8, from: u16, to: u16) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 40, 0, 1, 0, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 93, 184, 216, 34];
    p.extend(from.to_be_bytes());
    p.extend(to.to_be_bytes());
    p.extend([0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    p
}

const IOCTL_WFPR_STATS: u32 = 0x8000_2400;

fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn the_callouts_redirect_a_connect_and_move_a_bind() {
    for arch in ["x86", "x64"] {
        let mut sb = Sandbox::builder().max_instructions(50_000_000).load_driver(driver(arch)).unwrap();
        assert!(sb.driver_entry().unwrap().is_success(), "{arch}");
        let h = sb.open(r"\\.\WfpRedirect").unwrap();

        let web = sb.classify_packet("ALE_CONNECT_REDIRECT_V4", &packet(6, 49232, 80)).unwrap();
        assert_eq!((web.verdict.as_str(), web.fired.len()), ("permitted", 1), "{arch}");
        assert_eq!(web.fired[0].action, "permit");
        let r = web.redirected.expect("redirected");
        assert_eq!((r.endpoint, r.from.as_str(), r.to.as_str()), ("remote", "93.184.216.34:80", "10.0.0.9:8080"));
        assert_eq!(r.filter, web.fired[0].filter);

        // No filter matches: the destination stays, no callout runs.
        let tls = sb.classify_packet("ALE_CONNECT_REDIRECT_V4", &packet(6, 49233, 443)).unwrap();
        assert_eq!((tls.fired.len(), tls.redirected.is_none()), (0, true), "{arch}");
        let udp = sb.classify_packet("ALE_CONNECT_REDIRECT_V4", &packet(17, 49234, 80)).unwrap();
        assert_eq!((udp.fired.len(), udp.redirected.is_none()), (0, true), "{arch}");

        let bind = sb.classify_packet("ALE_BIND_REDIRECT_V4", &packet(17, 5000, 53)).unwrap();
        let r = bind.redirected.expect("moved");
        assert_eq!((r.endpoint, r.from.as_str(), r.to.as_str()), ("local", "10.0.0.1:5000", "10.0.0.1:6000"), "{arch}");
        let other = sb.classify_packet("ALE_BIND_REDIRECT_V4", &packet(17, 5001, 53)).unwrap();
        assert!(other.redirected.is_none() && other.fired.is_empty(), "{arch}");

        assert!(sb.classify_packet("ALE_CONNECT_REDIRECT_V6", &packet(6, 1, 80)).is_err());
        // The same connect over IPv6: the driver's filters are at the IPv4 layers, so no
        // callout runs (the callout's count below stays 1) and the destination stays.
        let mut v6 = vec![0x60, 0, 0, 0, 0, 20, 6, 64, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        v6.extend([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22]);
        v6.extend(&packet(6, 49232, 80)[20..]);
        let web6 = sb.classify_packet("ALE_CONNECT_REDIRECT_V6", &v6).unwrap();
        assert_eq!((web6.verdict.as_str(), web6.fired.len(), web6.redirected.is_none()), ("permitted", 0, true));

        let stats = sb.ioctl(h, IOCTL_WFPR_STATS, &[], 40).unwrap().completion.unwrap().output;
        // classified, redirected, remote address, remote port, layer id, request as the
        // incoming values, a handle never acquired, the copy's status, the copy as documented,
        // binds moved
        assert_eq!(u32s(&stats), [1, 1, 0x5DB8_D822, 80, 66, 1, 0xC000_000D, 0, 1, 1], "{arch}");
        sb.close(h).unwrap();
        assert!(sb.unload().unwrap().is_empty(), "{arch}: every version of the requests is freed");
    }
}
