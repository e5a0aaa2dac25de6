//! Every run ends with a complete, truthful report: the defects found by trying Portcullis as
//! a hostile user would (oversized buffers, budgets, signals, odd files, scenario semantics,
//! per-step results, failing trace files, damaged images), one regression test each.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
}

fn corpus(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-reliability-{}-{name}", std::process::id()));
    // Pids repeat across runs on one machine: never inherit an earlier run's files.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scenario(name: &str, text: &str) -> String {
    let path = temp(name).join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", String::from_utf8_lossy(&o.stdout), stderr(o)))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const OPEN: &str = "[[steps]]\nopen = '\\\\.\\Methods'\n";
const REVERSE: &str = "ioctl = { device_type = 0x8000, function = 0x900, method = \"buffered\" }\n";

/// Defect 1: a buffer over 64 MiB is a scenario error (exit 2), not a silent end.
#[test]
fn buffers_over_the_maximum_are_refused_at_parse() {
    for (key, value) in [("output", "67108865"), ("output", "4294967296"), ("read", "18446744073709551615")] {
        let text = if key == "read" {
            format!("{OPEN}[[steps]]\nread = {value}\n")
        } else {
            format!("{OPEN}[[steps]]\n{REVERSE}{key} = {value}\n")
        };
        let s = scenario("big", &text);
        for arch in ["x86", "x64"] {
            let o = run(&["run", &corpus("methods", arch), "--scenario", &s]);
            assert_eq!(o.status.code(), Some(2), "{key} = {value}: {}", stderr(&o));
            assert!(stderr(&o).contains("a buffer is at most 67108864 bytes"), "{}", stderr(&o));
        }
    }
}

/// Defect 1, through the library: the sandbox refuses the request, the machine goes on.
#[test]
fn the_sandbox_refuses_an_oversized_request_and_goes_on() {
    for arch in ["x86", "x64"] {
        let mut sb = portcullis::Sandbox::builder().load_driver(corpus("methods", arch)).unwrap();
        sb.driver_entry().unwrap();
        let h = sb.open("\\\\.\\Methods").unwrap();
        let e = sb.ioctl(h, 0x8000_2400, b"ab", (64 << 20) + 1).unwrap_err();
        assert!(matches!(e, portcullis::RunError::Refused(_)), "{e}");
        assert!(sb.stopped().is_none());
        let r = sb.ioctl(h, 0x8000_2400, b"ab", 2).unwrap();
        assert_eq!(r.completion.unwrap().output, b"ba");
    }
}

/// Defect 2: a memory budget that a request's buffers exceed ends the run as a limit.
#[test]
fn a_memory_limit_is_a_limit_that_names_the_budget() {
    let s = scenario("mem", &format!("[limits]\nmemory = \"8MiB\"\n{OPEN}[[steps]]\n{REVERSE}output = 67108864\n"));
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("methods", arch), "--scenario", &s, "--format", "json"]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let r = json(&o);
        assert_eq!(r["outcome"], "limit");
        assert_eq!(r["limits"]["hit"][0]["kind"], "memory");
        assert_eq!(r["limits"]["hit"][0]["limit"], 8 << 20);
        assert_eq!(r["steps"][1]["outcome"], "error");
    }
}

/// Defect 3: SIGTERM (and SIGINT) stop the guest; the trace is flushed, whole lines only,
/// and the report says `interrupted` (exit 128 + the signal).
#[test]
fn a_signal_ends_the_run_with_a_report_and_a_whole_trace() {
    // A run confined by --sandbox handles them the same way.
    for (signal, code, sandbox) in [(libc::SIGTERM, 143, false), (libc::SIGINT, 130, false), (libc::SIGTERM, 143, true)]
    {
        let dir = temp(&format!("signal{signal}{sandbox}"));
        let trace = dir.join("t.jsonl");
        let child = bin()
            .args(["run", &corpus("spin", "x64"), "--max-insns", "0", "--timeout", "0", "--format", "json"])
            .args(["--trace", trace.to_str().unwrap()])
            .args(sandbox.then_some("--sandbox"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Into the driver's loop (a run starts in a few milliseconds).
        std::thread::sleep(std::time::Duration::from_millis(500));
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        let r = json(&o);
        assert_eq!((r["outcome"].as_str(), r["signal"].as_i64()), (Some("interrupted"), Some(signal as i64)));
        let text = std::fs::read_to_string(&trace).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("whole JSON lines")).collect();
        let last = lines.last().unwrap();
        assert_eq!((last["type"].as_str(), last["outcome"].as_str()), (Some("entry_point"), Some("interrupted")));
        assert!(lines.iter().any(|l| l["type"] == "debug" && l["text"] == "spin: entering a loop that never ends\n"));
    }
}

/// Defect 4: driver images and scenarios are read only as regular files, under a cap.
#[test]
fn fifos_and_oversized_images_are_refused_without_reading_them() {
    let dir = temp("files");
    let fifo = dir.join("driver.sys");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let o = run(&["run", fifo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let o = run(&["run", &corpus("methods", "x64"), "--scenario", fifo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));

    let big = dir.join("big.sys");
    std::fs::File::create(&big).unwrap().set_len(300 << 20).unwrap();
    let o = run(&["run", big.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("over the 256 MiB"), "{}", stderr(&o));
    assert_eq!(json(&o)["load_error"]["kind"], "unreadable");
}

/// Defect 6: scenario semantics.
#[test]
fn byte_tables_keep_their_written_order() {
    let s = scenario(
        "order",
        &format!("{OPEN}[[steps]]\n{REVERSE}input = {{ u32 = [0x378], u16 = [0xAA55] }}\noutput = 6\nexpect_output = \"aa 55 00 00 03 78\"\n"),
    );
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("methods", arch), "--scenario", &s]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    }
}

#[test]
fn expect_port_fields_left_out_match_anything() {
    let s = scenario(
        "anyport",
        "[[steps]]\nexpect_port = { dir = \"out\" }\n[[steps]]\nexpect_no_port = { width = 4, value = 0x12345678 }\n",
    );
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("halports", arch), "--scenario", &s, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
        assert_eq!(json(&o)["steps"][0]["outcome"], "passed");
    }
}

#[test]
fn the_command_line_wins_over_the_scenario() {
    let s = scenario("missing", "missing_imports = \"stub\"\n");
    let o =
        run(&["run", &corpus("missing", "x64"), "--scenario", &s, "--missing-imports", "error", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(json(&o)["load_error"]["kind"], "missing_imports");
    let o = run(&["run", &corpus("missing", "x64"), "--scenario", &s, "--format", "json"]);
    assert_ne!(json(&o)["outcome"], "load_error", "the scenario's own setting applies without the flag");
}

#[test]
fn mistakes_are_refused_at_parse() {
    for (text, needle) in [
        ("[[steps]]\nunload = true\n[[steps]]\nunload = true\n", "already unloaded (step 1)"),
        ("[limits]\nmemory = 1\n", "at least 1 MiB"),
    ] {
        let s = scenario("mistake", text);
        let o = run(&["run", &corpus("methods", "x64"), "--scenario", &s]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(stderr(&o).contains(needle), "{}", stderr(&o));
    }
    // Zero instructions means no instruction budget, as on the command line.
    let s = scenario("zero", "[limits]\nmax_instructions = 0\n");
    let o = run(&["run", &corpus("methods", "x64"), "--scenario", &s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Defect 7: the report says what became of every step.
#[test]
fn the_report_has_every_step_and_why_the_rest_did_not_run() {
    let s = scenario(
        "steps",
        "[[steps]]\nopen = '\\\\.\\NullDeref'\n[[steps]]\nexpect_port = { port = 0x80 }\n[[steps]]\nioctl = 0x80002000\noutput = 4\n[[steps]]\nioctl = 0x80002000\noutput = 4\n[[steps]]\nunload = true\n",
    );
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("nullderef", arch), "--scenario", &s, "--format", "json"]);
        assert_eq!(o.status.code(), Some(1));
        let r = json(&o);
        let outcomes: Vec<&str> =
            r["steps"].as_array().unwrap().iter().map(|s| s["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["passed", "failed", "error", "not_run", "not_run"]);
        assert!(r["steps"][3]["reason"].as_str().unwrap().contains("step 3 ended the run"));
        // The failed expect_port is its own step's, not the open's.
        let create = r["entry_points"].as_array().unwrap().iter().find(|e| e["kind"] == "IRP_MJ_CREATE").unwrap();
        assert!(create.get("unmet").is_none_or(|u| u.as_array().unwrap().is_empty()), "{create}");
        let text = run(&["run", &corpus("nullderef", arch), "--scenario", &s]);
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("steps: 1 of 5 steps passed, 1 failed, 1 in error, 2 not run"), "{text}");
    }
}

#[test]
fn a_refused_open_is_refused_and_faults_have_reasons() {
    let s = scenario("refused", "[[steps]]\nopen = '\\\\.\\Nope'\nexpect_status = 0xC0000034\n");
    let o = run(&["run", &corpus("methods", "x64"), "--scenario", &s, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let r = json(&o);
    let create = r["entry_points"].as_array().unwrap().iter().find(|e| e["kind"] == "IRP_MJ_CREATE").unwrap();
    assert_eq!(create["outcome"], "refused");

    let o = run(&[
        "run",
        &corpus("rawio", "x64"),
        "--scenario",
        &format!("{}/corpus/rawio/rawio.toml", env!("CARGO_MANIFEST_DIR")),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("rdmsr 0x1b -> 0x"), "MSR number and value in the text report:\n{text}");
}

/// Defect 8: a trace file that cannot be written is reported; `--max-trace` cuts it.
#[test]
fn trace_failures_and_cuts_are_reported() {
    let o = run(&["run", &corpus("halports", "x64"), "--trace", "/dev/full"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("writing the trace to /dev/full failed"), "{}", stderr(&o));

    let trace = temp("cut").join("t.jsonl");
    let o = run(&[
        "run",
        &corpus("halports", "x86"),
        "--trace",
        trace.to_str().unwrap(),
        "--max-trace",
        "2KiB",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["trace_file"]["cut"], true);
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.len() <= 2048 + 64);
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "trace_cut");
}

/// Defect 9: damage Windows ignores at load (the certificate table, resources) does not
/// refuse the image; `info` warns about it.
#[test]
fn damaged_parts_windows_ignores_do_not_refuse_the_image() {
    for arch in ["x86", "x64"] {
        let mut b = std::fs::read(corpus("methods", arch)).unwrap();
        let pe = u32::from_le_bytes(b[0x3c..0x40].try_into().unwrap()) as usize;
        let opt = pe + 24;
        let dirs = opt + if u16::from_le_bytes([b[opt], b[opt + 1]]) == 0x20b { 112 } else { 96 };
        let len = b.len() as u32;
        // IMAGE_DIRECTORY_ENTRY_SECURITY (4): past the end of the file.
        b[dirs + 32..dirs + 40].copy_from_slice(&[(len + 0x100).to_le_bytes(), 0x200u32.to_le_bytes()].concat());
        let path = temp("damaged").join(format!("methods.{arch}.sys"));
        std::fs::write(&path, &b).unwrap();
        let o = run(&["run", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let o = run(&["info", path.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&o.stdout).contains("warning: the certificate table is damaged"));
    }
}

/// A driver that spins forever, run with no options, ends by the default budget.
#[test]
fn an_endless_driver_ends_by_default() {
    let o = run(&["run", &corpus("spin", "x86"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["limits"]["hit"][0]["kind"], "instructions");
}

/// A METHOD_NEITHER request with raw pointers: the driver that does not probe them faults on
/// them, as on Windows; other methods refuse raw pointers at parse.
#[test]
fn raw_neither_pointers_reach_the_driver_unprobed() {
    let s = scenario(
        "raw",
        &format!(
            "{OPEN}[[steps]]\nioctl = {{ device_type = 0x8000, function = 0x903, method = \"neither\" }}\ninput_pointer = {{ address = 0x10, length = 8 }}\noutput_pointer = {{ address = 0x20, length = 8 }}\n"
        ),
    );
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("methods", arch), "--scenario", &s, "--format", "json"]);
        let r = json(&o);
        assert_eq!(r["outcome"], "bugcheck", "{arch}");
        assert_eq!(r["bugchecks"][0]["code"], "0x0000001e");
        assert_eq!(r["exceptions"][0]["params"][1], "0x10", "{arch}: the read of the raw input pointer");
    }
    let s = scenario(
        "rawbuffered",
        &format!("{OPEN}[[steps]]\n{REVERSE}input_pointer = {{ address = 0x10, length = 8 }}\n"),
    );
    let o = run(&["run", &corpus("methods", "x64"), "--scenario", &s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("go with METHOD_NEITHER"), "{}", stderr(&o));
}

/// Sandboxed workers: `run --sandbox` confines the process (seccomp filter, rlimits) once the
/// driver is loaded and the output files are open; the run, its trace and its outputs are the
/// same as without. (Corpus and survey workers are confined by default: tests/corpus_cli.rs
/// shows a forbidden system call killing one.)
#[test]
fn a_sandboxed_run_is_the_same_run() {
    let dir = temp("sandbox");
    let beeper = corpus("beeper", "x64");
    let scenario = format!("{}/corpus/beeper/beeper.toml", env!("CARGO_MANIFEST_DIR"));
    let mut runs = Vec::new();
    for sandbox in [false, true] {
        let file = |ext: &str| dir.join(format!("{sandbox}.{ext}")).to_str().unwrap().to_string();
        let (trace, wav, vcd) = (file("jsonl"), file("wav"), file("vcd"));
        let o = bin()
            .args(["run", &beeper, "--scenario", &scenario, "--format", "json"])
            .args(["--trace", &trace, "--wav", &wav, "--vcd", &vcd])
            .args(sandbox.then_some("--sandbox"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r = json(&o);
        let read = |p: &str| std::fs::read(p).unwrap();
        runs.push((r["outcome"].clone(), r["steps"].clone(), read(&trace), read(&wav), read(&vcd)));
    }
    assert!(!runs[0].2.is_empty() && !runs[0].3.is_empty());
    assert_eq!(runs[0], runs[1]);

    let o = run(&["run", &beeper, "--sandbox", "--dump-files", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--dump-files creates files after the run, which --sandbox forbids"), "{}", stderr(&o));
}

/// Defect 10 (found by the pe_loader fuzz campaign): after a kernel routine called back into
/// the driver (RtlQueryRegistryValues' query routine, a nested run), the engine stayed halted
/// at the nested run's stop address and spun without executing or counting, so only the wall
/// clock ended the run. The instruction budget ends it now, and a bigger budget lets the
/// mutated driver run on to the fault it really has.
#[test]
fn a_callback_from_a_kernel_routine_leaves_the_instruction_budget_working() {
    let image = format!("{}/fuzz/regressions/pe_loader-nested-run-halted.x86.sys", env!("CARGO_MANIFEST_DIR"));
    let limited = |insns: &str| {
        let started = std::time::Instant::now();
        let o = bin()
            .args(["run", &image, "--missing-imports", "stub", "--max-insns", insns, "--timeout", "60s"])
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "only the wall clock ended the run");
        json(&o)
    };
    let r = limited("20000");
    assert_eq!(r["outcome"], "limit");
    assert_eq!(r["limits"]["hit"][0]["kind"], "instructions", "{}", r["limits"]);
    let api: Vec<&str> = r["api_calls"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(api.contains(&"RtlQueryRegistryValues"), "{api:?}");

    let r = limited("200000");
    assert_eq!(r["outcome"], "bugcheck");
    assert_eq!(r["bugchecks"][0]["name"], "PAGE_FAULT_IN_NONPAGED_AREA", "{}", r["bugchecks"]);
}
