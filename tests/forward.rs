//! Forwarding to the host's real ports: nothing reaches the host with forwarding off,
//! whatever the driver does; a dry run records and touches nothing; the command line
//! refuses what is not allowed (exit 2, a clear message).

use std::process::Command;

use portcullis::forward::{self, ForwardRequest};
use portcullis::scenario::Scenario;
use portcullis::Sandbox;

fn corpus(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

const FORWARD_ALL: &str = "[[ports]]\nrange = \"0x0000-0xffff\"\npolicy = \"forward\"\n";

/// The rawio driver reads and writes ports all over the space (single accesses and
/// `rep outsb`), in every width.
fn hammer(sb: &mut Sandbox) {
    sb.driver_entry().unwrap();
    let h = sb.open(r"\\.\RawIo").unwrap();
    for port in (0u32..0x10000).step_by(97) {
        for width in [1u16, 2, 4] {
            let mut write = (port as u16).to_le_bytes().to_vec();
            write.extend_from_slice(&width.to_le_bytes());
            write.extend_from_slice(&0xA5A5_A5A5u32.to_le_bytes());
            sb.ioctl(h, 0x8000_2004, &write, 0).unwrap();
            sb.ioctl(h, 0x8000_2000, &write[..4], 4).unwrap();
        }
    }
    let mut string = 0x378u16.to_le_bytes().to_vec();
    string.extend_from_slice(&1u16.to_le_bytes());
    string.extend_from_slice(&64u32.to_le_bytes());
    string.extend(0..64u8);
    sb.ioctl(h, 0x8000_2008, &string, 0).unwrap();
}

#[test]
fn nothing_reaches_the_host_with_forwarding_off() {
    for arch in ["x86", "x64"] {
        let scenario = Scenario::parse(FORWARD_ALL, "forward.toml").unwrap();
        assert_eq!(scenario.forward_ranges(), vec![(0, 0xFFFF)]);
        // No --forward-ports: the scenario's policy alone forwards nothing.
        let b = scenario.configure(Sandbox::builder()).unwrap();
        let mut sb = b.load_driver(corpus("rawio", arch)).unwrap();
        hammer(&mut sb);
        let report = sb.report();
        assert!(report.port_io.iter().all(|r| r.outcome == portcullis_emu::ports::Outcome::Logged), "all logged");
        assert!(report.port_io.len() > 1000);
        assert_eq!(forward::host_accesses(), 0);
        assert_eq!(forward::host_backends_opened(), 0);
    }
}

#[test]
fn a_dry_run_records_what_would_be_forwarded_and_touches_nothing() {
    let scenario = Scenario::parse(FORWARD_ALL, "forward.toml").unwrap();
    let request = ForwardRequest { ranges: vec![(0x378, 0x37F)], i_know: false, dry_run: true };
    let (b, log) = forward::attach(Sandbox::builder(), &request, &scenario.forward_ranges()).unwrap();
    let b = scenario.configure(b).unwrap();
    let mut sb = b.load_driver(corpus("rawio", "x64")).unwrap();
    hammer(&mut sb);
    let log = log.unwrap();
    let writes: u64 = log.borrow().iter().filter(|((p, w, ..), _)| *w && *p == 0x378).map(|(_, n)| n).sum();
    assert_eq!(writes, 64, "rep outsb's 64 bytes");
    assert!(log.borrow().keys().all(|(p, ..)| (0x378..=0x37F).contains(p)));
    let report = sb.report();
    assert!(report.port_io.iter().any(|r| r.outcome == portcullis_emu::ports::Outcome::Forwarded));
    assert_eq!(forward::host_accesses(), 0);
    assert!(forward::render_dry_run(&log).contains("0x0378"));
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis")).args(args).output().unwrap()
}

#[test]
fn the_command_line_refuses_what_is_not_allowed() {
    let dir = std::env::temp_dir().join(format!("portcullis-forward-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lpt.toml");
    std::fs::write(&file, "[[ports]]\nrange = \"0x378-0x37f\"\npolicy = \"forward\"\n[[ports]]\nrange = \"0x60-0x64\"\npolicy = \"forward\"\n").unwrap();
    let s = file.to_str().unwrap();
    let drv = corpus("lptprint", "x64");
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();

    let o = run(&["run", &drv, "--scenario", s, "--forward-ports", "0x278-0x27a"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not allow forwarding"), "{}", stderr(&o));

    let o = run(&["run", &drv, "--scenario", s, "--forward-ports", "0x60", "--forward-dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--i-know"), "{}", stderr(&o));

    let o = run(&["run", &drv, "--forward-dry-run"]);
    assert_eq!(o.status.code(), Some(2), "dry run without ranges");

    let o =
        run(&["run", &drv, "--scenario", s, "--forward-ports", "0x378-0x37a", "--forward-dry-run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("would have reached the host"), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["port_io"].as_array().unwrap().iter().any(|p| p["outcome"] == "forwarded"));

    if !forward::has_cap_sys_rawio() {
        let o = run(&["run", &drv, "--scenario", s, "--forward-ports", "0x378-0x37a"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("CAP_SYS_RAWIO"), "{}", stderr(&o));
    }
}
