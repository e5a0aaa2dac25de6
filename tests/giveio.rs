//! The GIVEIO scenario end to end (x86): a user program opens \\.\giveio, whose driver opens
//! the I/O permission map to it with Ke386SetIoAccessMap/Ke386IoSetAccessProcess, then plays
//! a tone with its own out instructions. Without the driver started, the same program ends
//! with STATUS_PRIVILEGED_INSTRUCTION and nothing reaches the bus. Around them: a second
//! process never inherits the map, a map granting 0x378 but not 0x379 (or a word straddling
//! both), a program reading kernel memory, and Ke386QueryIoAccessMap round trips; and the
//! 64-bit GIVEIO that writes the TSS itself.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use portcullis::sandbox::Sandbox;

const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/giveio/giveio.x86.sys");
const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/giveio/giveio_client.x86.exe");

/// A trace writer the test can read back.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sandbox(trace: &Shared) -> Sandbox {
    Sandbox::builder().max_instructions(50_000_000).trace(Box::new(trace.clone())).load_driver(DRIVER).unwrap()
}

fn trace_lines(trace: &Shared, sb: &mut Sandbox) -> Vec<serde_json::Value> {
    let _ = sb.report(); // flushes the trace
    let text = String::from_utf8(trace.0.borrow().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    lines
}

fn ports(lines: &[serde_json::Value]) -> Vec<(String, u64, u64, Option<u64>, String)> {
    lines
        .iter()
        .filter(|l| l["type"] == "port")
        .map(|l| {
            (
                l["dir"].as_str().unwrap().to_string(),
                l["port"].as_u64().unwrap(),
                l["value"].as_u64().unwrap(),
                l["pid"].as_u64(),
                l["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_client_plays_its_tone_through_the_map_the_driver_opened() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    assert!(sb.driver_entry().unwrap().is_success());
    let client = std::fs::read(CLIENT).unwrap();
    let run = sb.run_program("giveio_client.exe", &client, &[]).unwrap();
    let console = String::from_utf8_lossy(&run.console).into_owned();
    assert_eq!(run.exit_code, 0, "{console} {:?}", run.exception);
    let pid = run.pid;
    assert!(console.contains(&format!("process {pid}, the driver sees process {pid}")), "{console}");
    assert!(console.contains("played 880 Hz for 50 ms"), "{console}");
    let lines = trace_lines(&trace, &mut sb);
    let seen: Vec<_> = ports(&lines).into_iter().filter(|p| p.3.is_some()).collect();
    let expected = [
        ("out", 0x43, 0xB6),
        ("out", 0x42, 0x4B),
        ("out", 0x42, 0x05),
        ("in", 0x61, -1i64),
        ("out", 0x61, -1),
        ("in", 0x61, -1),
        ("out", 0x61, -1),
    ];
    assert_eq!(seen.len(), expected.len(), "{seen:?}");
    for (s, e) in seen.iter().zip(expected) {
        assert_eq!((s.0.as_str(), s.1), (e.0, e.1), "{seen:?}");
        if e.2 >= 0 {
            assert_eq!(s.2, e.2 as u64);
        }
        assert_eq!(s.3, Some(pid));
        assert_ne!(s.4, "denied");
    }
    // The gate went on (bits 0-1 set) and off again.
    assert_eq!(seen[4].2 & 3, 3);
    assert_eq!(seen[6].2 & 3, 0);
    // The driver saw the open from the program's process.
    assert!(lines.iter().any(
        |l| l["type"] == "debug" && l["text"].as_str().unwrap_or("").contains(&format!("opened by process {pid}"))
    ));
}

#[test]
fn without_the_driver_the_client_ends_with_a_privileged_instruction_and_nothing_reaches_the_bus() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace); // loaded, never started: no \\.\giveio
    let client = std::fs::read(CLIENT).unwrap();
    let run = sb.run_program("giveio_client.exe", &client, &[]).unwrap();
    let console = String::from_utf8_lossy(&run.console).into_owned();
    assert_eq!(run.exit_code, 0xC000_0096, "{console}");
    assert!(console.contains("cannot open \\\\.\\giveio (error 2)"), "{console}");
    let lines = trace_lines(&trace, &mut sb);
    let seen = ports(&lines);
    // The one attempt is traced as denied; nothing was allowed through.
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].0.as_str(), seen[0].1, seen[0].4.as_str()), ("out", 0x43, "denied"));
    // The run goes on: the driver can still be started and opened.
    assert!(sb.driver_entry().unwrap().is_success());
    let h = sb.open(r"\\.\giveio").unwrap();
    sb.close(h).unwrap();
}

fn program(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/corpus/giveio/{name}.x86.exe", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn a_second_process_never_inherits_the_first_ones_map() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    assert!(sb.driver_entry().unwrap().is_success());
    let first = sb.run_program("giveio_client.exe", &program("giveio_client"), &[]).unwrap();
    assert_eq!(first.exit_code, 0);
    let second = sb.run_program("port_probe.exe", &program("port_probe"), &[]).unwrap();
    assert_ne!(second.pid, first.pid);
    assert_eq!(second.exit_code, 0xC000_0096);
    assert_eq!(String::from_utf8_lossy(&second.console), "port_probe: out 0x80\n");
    let lines = trace_lines(&trace, &mut sb);
    let theirs: Vec<_> = ports(&lines).into_iter().filter(|p| p.3 == Some(second.pid)).collect();
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!((theirs[0].1, theirs[0].4.as_str()), (0x80, "denied"));
}

#[test]
fn a_program_that_reads_kernel_memory_ends_with_an_access_violation_and_the_run_goes_on() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    let run = sb.run_program("kernel_peek.exe", &program("kernel_peek"), &[]).unwrap();
    assert_eq!(run.exit_code, 0xC000_0005, "{:?}", run.exception);
    assert_eq!(String::from_utf8_lossy(&run.console), "kernel_peek: reading 0xFFDFF000\n");
    // The kernel is unharmed: the driver starts, and another program runs.
    assert!(sb.driver_entry().unwrap().is_success());
    let again = sb.run_program("giveio_client.exe", &program("giveio_client"), &[]).unwrap();
    assert_eq!(again.exit_code, 0);
}

#[test]
fn ke386_query_io_access_map_returns_what_was_set() {
    const SET_MAP: u32 = 0x8000_2404;
    const QUERY_MAP: u32 = 0x8000_2408;
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    assert!(sb.driver_entry().unwrap().is_success());
    let h = sb.open(r"\\.\giveio").unwrap();
    // A map granting 0x378 and 0x37A only: bytes 0x6F (ports 0x378-0x37F) = 0b1111_1010.
    let mut map = vec![0xFFu8; 0x2000];
    map[0x378 / 8] = 0xFA;
    let r = sb.ioctl(h, SET_MAP, &map, 0).unwrap();
    assert!(r.status().is_success());
    let r = sb.ioctl(h, QUERY_MAP, &1u32.to_le_bytes(), 0x2000).unwrap();
    assert!(r.status().is_success());
    assert_eq!(r.output(), &map[..]);
    // Map 0 reads as every port denied; there is no map 2.
    let r = sb.ioctl(h, QUERY_MAP, &0u32.to_le_bytes(), 0x2000).unwrap();
    assert!(r.output().iter().all(|&b| b == 0xFF) && r.output().len() == 0x2000);
    let r = sb.ioctl(h, QUERY_MAP, &2u32.to_le_bytes(), 0x2000).unwrap();
    assert_eq!(r.status().0, 0xC000_000D);
    sb.close(h).unwrap();
}

/// The same round trips from a program, as a DLPortIO-style client makes them before its
/// own out/in (`corpus/giveio/map_roundtrip`): DeviceIoControl's buffers and errors, then the
/// ports its map grants, attributed to it.
#[test]
fn a_dlportio_style_client_reads_the_maps_back_before_its_port_io() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    assert!(sb.driver_entry().unwrap().is_success());
    let run = sb.run_program("map_roundtrip.exe", &program("map_roundtrip"), &[]).unwrap();
    let console = String::from_utf8_lossy(&run.console).into_owned();
    assert_eq!(run.exit_code, 0, "{console}");
    for line in [
        "QUERY_MAP 1 = 1\n  bytes = 8192\n  as set = 1",
        "QUERY_MAP 0 = 1\n  every port denied = 1",
        "QUERY_MAP 2 = 0\n  GetLastError = 87",
        "QUERY_MAP with 2 bytes of input = 0\n  GetLastError = 122",
        "all answers as Windows gives them",
    ] {
        assert!(console.contains(line), "{line:?} in\n{console}");
    }
    let lines = trace_lines(&trace, &mut sb);
    let user: Vec<_> = ports(&lines).into_iter().filter(|p| p.3.is_some()).collect();
    let seen: Vec<_> = user.iter().map(|p| (p.0.as_str(), p.1, p.3, p.4.as_str())).collect();
    assert_eq!(seen, [("out", 0x378, Some(run.pid), "emulated"), ("in", 0x37A, Some(run.pid), "emulated")]);
}

#[test]
fn a_map_that_grants_0x378_but_not_0x379_lets_one_through_and_faults_on_the_other() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    assert!(sb.driver_entry().unwrap().is_success());
    let byte = sb.run_program("lpt_probe.exe", &program("lpt_probe"), &["byte".to_string()]).unwrap();
    assert_eq!(byte.exit_code, 0xC000_0096, "{:?}", byte.exception);
    assert_eq!(String::from_utf8_lossy(&byte.console), "lpt_probe: out 0x378, byte\nlpt_probe: in 0x379\n");
    // A word at 0x378 covers 0x379 too: denied as a whole, nothing reaches the port.
    let word = sb.run_program("lpt_probe.exe", &program("lpt_probe"), &["word".to_string()]).unwrap();
    assert_eq!(word.exit_code, 0xC000_0096, "{:?}", word.exception);
    let lines = trace_lines(&trace, &mut sb);
    let user: Vec<_> = ports(&lines).into_iter().filter(|p| p.3.is_some()).collect();
    let seen: Vec<_> = user.iter().map(|p| (p.0.as_str(), p.1, p.3, p.4.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("out", 0x378, Some(byte.pid), "emulated"),
            ("in", 0x379, Some(byte.pid), "denied"),
            ("out", 0x378, Some(word.pid), "denied"),
        ]
    );
}

/// An x64 machine with a driver installed but not started (the x64 programs need no driver).
fn sandbox_x64(trace: &Shared) -> Sandbox {
    let driver = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/beeper/beeper.x64.sys");
    Sandbox::builder().max_instructions(50_000_000).trace(Box::new(trace.clone())).load_driver(driver).unwrap()
}

fn program_x64(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/corpus/giveio/{name}.x64.exe", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn x64_programs_meet_the_same_map_and_the_same_wall_around_the_kernel() {
    let trace = Shared::default();
    let mut sb = sandbox_x64(&trace);
    let probe = sb.run_program("port_probe.exe", &program_x64("port_probe"), &[]).unwrap();
    assert_eq!(probe.exit_code, 0xC000_0096);
    assert_eq!(String::from_utf8_lossy(&probe.console), "port_probe: out 0x80\n");
    let peek = sb.run_program("kernel_peek.exe", &program_x64("kernel_peek"), &[]).unwrap();
    assert_eq!(peek.exit_code, 0xC000_0005, "{:?}", peek.exception);
    assert_eq!(String::from_utf8_lossy(&peek.console), "kernel_peek: reading 0xFFFFF80000100000\n");
    let lines = trace_lines(&trace, &mut sb);
    let seen = ports(&lines);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].1, seen[0].3, seen[0].4.as_str()), (0x80, Some(probe.pid), "denied"));
}

#[test]
fn a_jump_into_the_middle_of_a_library_slot_ends_the_program_not_the_run() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    let run = sb.run_program("slot_jump.exe", &program("slot_jump"), &[]).unwrap();
    assert_eq!(run.exit_code, 0xC000_0005, "{:?}", run.exception);
    assert_eq!(String::from_utf8_lossy(&run.console), "slot_jump: jumping\n");
    assert!(run.exception.as_ref().is_some_and(|e| e.1.contains("host-call slot")), "{:?}", run.exception);
    let again = sb.run_program("port_probe.exe", &program("port_probe"), &[]).unwrap();
    assert_eq!(again.exit_code, 0xC000_0096);
}

/// The 64-bit GIVEIO (`corpus/giveio64`): no Ke386* on x64, so the driver finds the TSS
/// through sgdt/str and writes the bitmap inside it; the processor's check reads the TSS
/// in guest memory, so the client's own out instructions reach the speaker. Its close
/// denies every port again, and the next program meets a closed map.
#[test]
fn on_x64_a_driver_that_writes_the_tss_itself_opens_the_ports_to_the_program() {
    let trace = Shared::default();
    let driver = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/giveio64/giveio64.x64.sys");
    let mut sb =
        Sandbox::builder().max_instructions(50_000_000).trace(Box::new(trace.clone())).load_driver(driver).unwrap();
    assert!(sb.driver_entry().unwrap().is_success());
    let read =
        |name: &str| std::fs::read(format!("{}/corpus/giveio64/{name}.x64.exe", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let run = sb.run_program("giveio_client.exe", &read("giveio_client"), &[]).unwrap();
    let console = String::from_utf8_lossy(&run.console).into_owned();
    assert_eq!(run.exit_code, 0, "{console} {:?}", run.exception);
    let pid = run.pid;
    assert!(console.contains(&format!("process {pid}, the driver sees process {pid}")), "{console}");
    let probe = sb.run_program("port_probe.exe", &read("port_probe"), &[]).unwrap();
    assert_eq!(probe.exit_code, 0xC000_0096, "the close denied every port again");
    let lines = trace_lines(&trace, &mut sb);
    let seen: Vec<_> = ports(&lines).into_iter().filter(|p| p.3.is_some()).collect();
    let tone: Vec<_> = seen.iter().filter(|p| p.3 == Some(pid)).map(|p| (p.0.as_str(), p.1, p.4.as_str())).collect();
    assert_eq!(tone.len(), 7, "{seen:?}");
    assert_eq!(tone[0], ("out", 0x43, "emulated"));
    assert!(tone.iter().all(|t| t.2 != "denied"), "{seen:?}");
    let denied: Vec<_> = seen.iter().filter(|p| p.3 == Some(probe.pid)).map(|p| (p.1, p.4.as_str())).collect();
    assert_eq!(denied, [(0x80, "denied")]);
    // The driver found the machine's TSS, its bitmap where IoMapBase says.
    assert!(lines
        .iter()
        .any(|l| l["type"] == "debug" && l["text"].as_str().unwrap_or("").contains("limit 2068, IoMapBase 68")));
}

/// Two processes at once: the one that opened giveio keeps its map while the program it
/// started (CreateProcess) meets map 0 on the same port, faults alone, and is waited for.
#[test]
fn a_process_started_while_the_map_is_open_never_inherits_it() {
    let trace = Shared::default();
    let mut sb = sandbox(&trace);
    assert!(sb.driver_entry().unwrap().is_success());
    assert!(sb.add_program_file("map_sibling.exe", "port_probe.x86.exe", program("port_probe")));
    let run = sb.run_program("map_sibling.exe", &program("map_sibling"), &[]).unwrap();
    let console = String::from_utf8_lossy(&run.console).into_owned();
    assert_eq!(run.exit_code, 0, "{console}");
    assert!(console.contains("port_probe's exit code = 3221225622"), "{console}");
    let lines = trace_lines(&trace, &mut sb);
    let user: Vec<_> = ports(&lines).into_iter().filter(|p| p.3.is_some()).collect();
    let seen: Vec<_> = user.iter().map(|p| (p.0.as_str(), p.1, p.2, p.3, p.4.as_str())).collect();
    let child = run.pid + 4;
    assert_eq!(
        seen,
        [
            ("out", 0x80, 0x11, Some(run.pid), "emulated"),
            ("out", 0x80, 0x55, Some(child), "denied"),
            ("out", 0x80, 0x22, Some(run.pid), "emulated"),
        ]
    );
}
