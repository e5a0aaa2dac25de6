//! The `portcullis` binary: subcommands, options, exit codes, report schema, traces.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
}

fn corpus(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

fn scenario(rel: &str) -> String {
    format!("{}/corpus/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-cli-{}-{name}", std::process::id()));
    // Pids repeat across runs on one machine: never inherit an earlier run's files.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

#[test]
fn run_prints_a_readable_summary_and_exits_zero() {
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("halports", arch)]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        for needle in [
            "DriverEntry",
            "STATUS_SUCCESS (0x00000000)",
            "IRP_MJ_CREATE \\\\.\\HalPorts",
            "port I/O",
            "0x0080",
            "halports: loaded, 4 functions",
            "leaks: none",
            "outcome: ok",
        ] {
            assert!(out.contains(needle), "{arch}: missing {needle:?} in\n{out}");
        }
    }
}

#[test]
fn json_reports_follow_the_documented_schema() {
    let o = run(&["run", &corpus("rawio", "x64"), "--scenario", &scenario("rawio/rawio.toml"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["schema"], "portcullis-report/1");
    let d = &r["driver"];
    assert!(d["path"].as_str().unwrap().ends_with("rawio.x64.sys"));
    assert_eq!(d["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(d["arch"], "x64");
    for k in ["image_base", "entry", "preferred_base"] {
        assert!(d[k].as_str().unwrap().starts_with("0x"), "{k}");
    }
    assert_ne!(d["image_base"], d["preferred_base"], "never at the preferred base");
    assert!(r["imports"]["implemented"].as_array().unwrap().iter().any(|i| i == "ntoskrnl.exe!IoCreateDevice"));
    assert!(r["imports"]["missing"].as_array().unwrap().is_empty());
    let entries = r["entry_points"].as_array().unwrap();
    assert_eq!(entries[0]["kind"], "DriverEntry");
    assert_eq!(entries[0]["status"], "0x00000000");
    assert_eq!(entries[0]["status_name"], "STATUS_SUCCESS");
    assert_eq!(entries.last().unwrap()["kind"], "DriverUnload");
    let io = r["port_io"].as_array().unwrap();
    let fixed = io.iter().find(|p| p["port"] == 0x80 && p["value"] == 0x11).expect("out 0x80, 0x11");
    assert_eq!((fixed["width"].as_u64(), fixed["dir"].as_str()), (Some(1), Some("out")));
    assert!(fixed["pc"].as_str().unwrap().starts_with("0x"));
    assert!(r["privileged"].as_array().unwrap().iter().any(|p| p["op"] == "rdmsr" && p["msr"] == 0x1b));
    let calls = r["api_calls"].as_array().unwrap();
    let create = calls.iter().find(|c| c["name"] == "IoCreateDevice").unwrap();
    assert_eq!(create["args"]["DeviceName"], "\\Device\\RawIo");
    assert_eq!(create["ret"], "0x0");
    assert!(r["faults"].as_array().unwrap().is_empty());
    assert!(r["limits"]["hit"].as_array().unwrap().is_empty());
    assert!(r["leaks"]["pool"].as_array().unwrap().is_empty());
    assert_eq!(r["outcome"], "ok");
}

#[test]
fn leaked_addresses_are_hex_strings_like_every_address_in_the_report() {
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("leaky", arch), "--scenario", &scenario("leaky/leaky.toml"), "--format", "json"]);
        let r = json(&o);
        let pool = r["leaks"]["pool"].as_array().unwrap();
        assert!(!pool.is_empty(), "{arch}: leaky leaks pool");
        for b in pool {
            for field in ["address", "caller"] {
                assert!(b[field].as_str().is_some_and(|s| s.starts_with("0x")), "{arch}: pool {field}: {b}");
            }
            assert_eq!(b["tag"].as_str().map(str::len), Some(4), "{arch}: the tag's four characters: {b}");
        }
        let devices = r["leaks"]["devices"].as_array().unwrap();
        assert!(devices.iter().all(|d| d["address"].as_str().is_some_and(|s| s.starts_with("0x"))), "{arch}");
    }
    let o = run(&["run", &corpus("mmioreg", "x64"), "--scenario", &scenario("mmioreg/leak.toml"), "--format", "json"]);
    let r = json(&o);
    for m in r["physical_mappings"].as_array().unwrap().iter().chain(r["leaks"]["mappings"].as_array().unwrap()) {
        for field in ["caller", "virtual_address", "physical_address"] {
            assert!(m[field].as_str().is_some_and(|s| s.starts_with("0x")), "{field}: {m}");
        }
    }
}

#[test]
fn verbose_lists_calls_and_quiet_prints_nothing() {
    let o = run(&["run", "-v", &corpus("beeper", "x86")]);
    let out = stdout(&o);
    assert!(out.contains("IoCreateDevice(") && out.contains("DeviceName=\"\\\\Device\\\\Beeper\""), "{out}");
    assert!(out.contains("WRITE_PORT_UCHAR(Port=\"0x43\", Value=182)"), "{out}");
    let o = run(&["run", "-q", &corpus("beeper", "x86")]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), ""));
}

#[test]
fn an_unhandled_driver_fault_exits_one_with_the_bugcheck_and_the_instruction_disassembled() {
    let dir = temp("fault");
    let s = dir.join("crash.toml");
    std::fs::write(&s, "[[steps]]\nopen = '\\\\.\\NullDeref'\n[[steps]]\nioctl = 0x80002000\noutput = 4\n").unwrap();
    let o = run(&["run", &corpus("nullderef", "x64"), "--scenario", s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    // A read of address 0 nobody handles: KMODE_EXCEPTION_NOT_HANDLED for an access violation.
    assert!(
        out.contains("bugcheck 0x0000001e KMODE_EXCEPTION_NOT_HANDLED (0xffffffffc0000005, 0xfffff8010000"),
        "{out}"
    );
    assert!(out.contains("exception STATUS_ACCESS_VIOLATION at 0xfffff8010000"), "{out}");
    assert!(out.contains("(nullderef.x64+0x"), "{out}");
    assert!(out.contains(" mov edx, dword ptr [rdx]"), "{out}");
    assert!(out.contains("rax=") && out.find("rax=") < out.find("r8="), "registers in conventional order");
    assert!(out.contains("outcome: bugcheck"));
    // The corpus scenario states the fault, so there it is expected behaviour.
    let o = run(&["run", &corpus("nullderef", "x64"), "--scenario", &scenario("nullderef/crash.toml")]);
    assert_eq!(o.status.code(), Some(0));
}

/// When the system crashes, the bugcheck callbacks drivers registered run (nullderef's saves
/// its state to port 0x80), after the request that crashed, each recorded as an entry point.
#[test]
fn a_crash_runs_the_registered_bugcheck_callbacks() {
    for arch in ["x86", "x64"] {
        let o = run(&[
            "run",
            &corpus("nullderef", arch),
            "--scenario",
            &scenario("nullderef/crash.toml"),
            "--format",
            "json",
        ]);
        let r = json(&o);
        assert_eq!(r["outcome"], "bugcheck", "{arch}");
        let entries = r["entry_points"].as_array().unwrap();
        let last = entries.last().unwrap();
        assert_eq!(last["kind"], "BugCheckCallback", "{arch}: {entries:?}");
        assert_eq!(last["target"], "nullderef");
        assert_eq!(last["outcome"], "returned");
        assert_eq!(entries[entries.len() - 2]["outcome"], "bugcheck", "the crash comes first");
        let ports = r["port_io"].as_array().unwrap();
        assert!(ports.iter().any(|p| p["port"] == 0x80 && p["value"] == 0x5a), "{arch}: {ports:?}");
        // KiBugCheckData holds the crash's code while the callbacks run.
        assert!(ports.iter().any(|p| p["port"] == 0x81 && p["value"] == 0x1e), "{arch}: {ports:?}");
        // The callback registered once: the second registration of the same record failed.
        assert!(!r["debug_output"].to_string().contains("registration is wrong"), "{arch}");
    }
}

#[test]
fn a_bugcheck_exits_one() {
    let dir = temp("bugcheck");
    let s = dir.join("b.toml");
    std::fs::write(&s, "[[steps]]\nopen = '\\\\.\\KApi'\n[[steps]]\nioctl = 0x80002818\n").unwrap();
    let o = run(&["run", &corpus("kapi", "x86"), "--scenario", s.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let r = json(&o);
    assert_eq!(r["bugchecks"][0]["code"], "0xdeaddead");
    assert_eq!(r["outcome"], "bugcheck");
}

#[test]
fn a_failed_expectation_exits_one_and_names_the_step() {
    let dir = temp("expect");
    let s = dir.join("e.toml");
    std::fs::write(&s, "[[steps]]\nopen = '\\\\.\\Methods'\n\n[[steps]]\nioctl = 0x80002400\ninput = '0102'\noutput = 4\nexpect_output = '0102'\n").unwrap();
    let o = run(&["run", &corpus("methods", "x64"), "--scenario", s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("step 2 (line 4): expected output [01 02], got [02 01]"), "{out}");
    assert!(out.contains("outcome: failed_expectation"));
}

#[test]
fn limits_exit_three_and_the_trace_survives() {
    let dir = temp("limit");
    let trace = dir.join("spin.jsonl");
    let o = run(&["run", &corpus("spin", "x64"), "--max-insns", "100000", "--trace", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("limit: instruction budget of 100000 exhausted"));
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert!(lines.iter().any(|l| l["type"] == "debug" && l["text"] == "spin: entering a loop that never ends\n"));
    assert!(lines.iter().any(|l| l["type"] == "limit" && l["kind"] == "instructions"));
    let seqs: Vec<u64> = lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "events are in order");

    // Without an instruction budget, which a fast machine could spend within the 200 ms.
    let o = run(&["run", &corpus("spin", "x86"), "--timeout", "200ms", "--max-insns", "0", "--format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o)["limits"]["hit"][0]["kind"], "time");
}

#[test]
fn load_and_usage_errors_exit_two() {
    let o = run(&["run", &corpus("missing", "x64")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ntoskrnl.exe!PortcullisNoSuchRoutine"), "{}", stderr(&o));
    let o = run(&["run", "/nonexistent/driver.sys"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"));
    let dir = temp("usage");
    let junk = dir.join("junk.sys");
    std::fs::write(&junk, b"MZ this is not a driver").unwrap();
    let o = run(&["run", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a loadable driver image"), "{}", stderr(&o));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[steps]]\nopen = '\\\\.\\X'\n[[steps]]\nclose = 'nope'\n").unwrap();
    let o = run(&["run", &corpus("halports", "x64"), "--scenario", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.toml:3:1: step 2: no open handle named `nope`"), "{err}");
    assert_eq!(run(&["run"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["run", &corpus("halports", "x64"), "--timeout", "soon"]).status.code(), Some(2));
}

#[test]
fn missing_imports_can_be_stubbed() {
    let o = run(&["run", &corpus("missing", "x86"), "--missing-imports", "stub", "--format", "json"]);
    let r = json(&o);
    assert_eq!(r["imports"]["missing"][0], "ntoskrnl.exe!PortcullisNoSuchRoutine");
    assert_eq!(r["entry_points"][0]["status_name"], "STATUS_NOT_IMPLEMENTED");
    // The default scenario expects DriverEntry to succeed.
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["run", &corpus("missing", "x86"), "--scenario", &scenario("missing/missing.toml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn rust_log_enables_debug_logs() {
    // On a bare machine the beeper's PIT and speaker ports are unclaimed.
    let dir = temp("rust-log");
    let bare = dir.join("bare.toml");
    std::fs::write(&bare, "machine = \"bare\"\n").unwrap();
    let bare = bare.to_str().unwrap();
    let args = ["run", "-q", &corpus("beeper", "x64"), "--scenario", bare];
    let o = bin().args(args).env("RUST_LOG", "info").output().unwrap();
    assert!(stderr(&o).contains("unclaimed port"), "{}", stderr(&o));
    let o = bin().args(args).env_remove("RUST_LOG").output().unwrap();
    assert!(!stderr(&o).contains("unclaimed port"));
}

#[test]
fn runs_are_byte_for_byte_repeatable() {
    let dir = temp("determinism");
    let mut outs = Vec::new();
    for i in 0..2 {
        let trace = dir.join(format!("t{i}.jsonl"));
        let o = run(&[
            "run",
            &corpus("methods", "x86"),
            "--scenario",
            &scenario("methods/methods.toml"),
            "--format",
            "json",
            "--trace",
            trace.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0));
        outs.push((o.stdout, std::fs::read(&trace).unwrap()));
    }
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn info_describes_the_image_statically() {
    let o = run(&["info", &corpus("rawio", "x86")]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("(x86)") && out.contains(".text") && out.contains("ntoskrnl.exe!IoCreateDevice"), "{out}");
    let o = run(&["info", &corpus("missing", "x64"), "--format", "json"]);
    let r = json(&o);
    assert_eq!(r["arch"], "x64");
    let imports = r["imports"].as_array().unwrap();
    let missing = imports.iter().find(|i| i["name"] == "PortcullisNoSuchRoutine").unwrap();
    assert_eq!(missing["implemented"], false);
    assert!(imports.iter().any(|i| i["name"] == "DbgPrint" && i["implemented"] == true));
    let o = run(&["info", &corpus("rawio", "x64"), "--format", "json"]);
    let census = &json(&o)["privileged_census"];
    for m in ["in", "out", "rdmsr", "cli", "sti", "cpuid"] {
        assert!(census[m]["count"].as_u64().unwrap_or(0) > 0, "{m} in {census}");
    }
    assert_eq!(run(&["info", "/nonexistent.sys"]).status.code(), Some(2));
    assert!(Path::new(&corpus("rawio", "x64")).exists());
}

#[test]
fn exports_lists_the_tables_as_json_and_text() {
    use portcullis::hle::exports::{self, ExportDef};
    let o = run(&["exports", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = json(&o);
    let rows = rows.as_array().expect("a list");
    // One row per export and architecture, exactly as the tables say.
    let mut expected = 0;
    for e in exports::all() {
        for arch in [portcullis::emu::Arch::X86, portcullis::emu::Arch::X64] {
            if !e.exists_on(arch) {
                continue;
            }
            expected += 1;
            let row = rows
                .iter()
                .find(|r| r["dll"] == e.dll().name() && r["name"] == e.name() && r["arch"] == arch.name())
                .unwrap_or_else(|| panic!("no row for {}!{} on {arch:?}", e.dll(), e.name()));
            for key in ["dll", "name", "arch", "conv", "params", "ret"] {
                assert!(row.get(key).is_some(), "{key} missing in {row}");
            }
            if let ExportDef::Function(f) = e {
                assert_eq!(row["conv"], f.conv_on(arch).name());
                assert_eq!(row["params"].as_array().unwrap().len(), f.params.len());
                let names: Vec<&str> =
                    row["params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
                assert_eq!(names, f.params.iter().map(|p| p.name).collect::<Vec<_>>());
            } else {
                assert_eq!(row["kind"], "data");
            }
        }
    }
    assert_eq!(rows.len(), expected);
    let io = rows.iter().find(|r| r["name"] == "IoCreateDevice" && r["arch"] == "x86").unwrap();
    assert_eq!(
        (io["conv"].as_str(), io["pops"].as_u64(), io["ret"].as_str()),
        (Some("stdcall"), Some(28), Some("status"))
    );

    // Filters.
    let o = run(&["exports", "--dll", "HAL.DLL", "--arch", "x64", "--format", "json"]);
    let hal = json(&o);
    assert!(hal.as_array().unwrap().iter().all(|r| r["dll"] == "hal.dll" && r["arch"] == "x64"));
    assert!(hal.as_array().unwrap().iter().any(|r| r["name"] == "READ_PORT_UCHAR"));
    let o = run(&["exports", "--dll", "nosuch.sys"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown library nosuch.sys"), "{}", stderr(&o));
    let text = stdout(&run(&["exports"]));
    assert!(text.contains("ntoskrnl.exe!IoCreateDevice"), "{text}");
    assert!(text.lines().last().unwrap().contains("exports ("), "{text}");
}

#[test]
fn stubbed_calls_are_listed_and_the_exception_after_one_names_it() {
    for arch in ["x86", "x64"] {
        let o = run(&[
            "run",
            &corpus("stubbed", arch),
            "--scenario",
            &scenario("stubbed/stubbed.toml"),
            "--format",
            "json",
        ]);
        // The scenario expects the fault.
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r = json(&o);
        let stubbed: Vec<&Value> = r["api_calls"].as_array().unwrap().iter().filter(|c| c["missing"] == true).collect();
        assert_eq!(stubbed.len(), 9, "{arch}: eight routines in DriverEntry, one in the IOCTL");
        assert!(r["api_calls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["missing"] != true)
            .all(|c| c.get("missing").is_none()));
        let rows = r["stubbed_calls"].as_array().unwrap();
        let verify = rows.iter().find(|row| row["import"] == "ntoskrnl.exe!IoGetDeviceToVerify").unwrap();
        assert_eq!((verify["count"].as_u64(), verify["ret"].as_str()), (Some(2), Some("0x0")));
        let exception = &r["bugchecks"][0]["exception"];
        assert_eq!(exception["code"], "0xc0000005", "{exception}");
        assert!(
            exception["after_stub"].as_str().unwrap().starts_with("ntoskrnl.exe!IoGetDeviceToVerify returned 0x0"),
            "{exception}"
        );
        assert_eq!(r["imports"]["missing"].as_array().unwrap().len(), 9);

        let text = stdout(&run(&["run", &corpus("stubbed", arch), "--scenario", &scenario("stubbed/stubbed.toml")]));
        assert!(text.contains("stubbed calls"), "{text}");
        assert!(text.contains("after the stubbed call ntoskrnl.exe!IoGetDeviceToVerify returned 0x0"), "{text}");
    }
}

#[test]
fn a_run_with_no_limits_given_ends_at_the_default_budget() {
    // corpus/spin loops forever in DriverEntry.
    let o = run(&["run", &corpus("spin", "x64")]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stdout(&o).contains("limit: instruction budget of 10000000 exhausted"), "{}", stdout(&o));
    let o = run(&["run", &corpus("spin", "x64"), "--format", "json"]);
    let r = json(&o);
    assert_eq!(
        (r["limits"]["max_instructions"].as_u64(), r["limits"]["timeout_ms"].as_u64()),
        (Some(10_000_000), Some(60_000))
    );
    assert_eq!(r["limits"]["hit"][0]["kind"], "instructions");
    // Where the budget ran out: a block of the driver's code.
    assert!(r["limits"]["hit"][0]["pc"].as_u64().is_some_and(|pc| pc != 0), "{}", r["limits"]);
    // 0 and none disable a limit; the other one still ends the run.
    for off in ["0", "none"] {
        let o = run(&["run", &corpus("spin", "x86"), "--max-insns", off, "--timeout", "200ms", "--format", "json"]);
        assert_eq!(o.status.code(), Some(3));
        let r = json(&o);
        assert_eq!(
            (r["limits"]["max_instructions"].as_u64(), r["limits"]["hit"][0]["kind"].as_str()),
            (None, Some("time"))
        );
    }
    let help = stdout(&run(&["run", "--help"]));
    assert!(help.contains("else 10000000]") && help.contains("else 60s]"), "the help states the defaults:\n{help}");
    let o = run(&["run", "-q", &corpus("beeper", "x64"), "--max-insns", "0", "--timeout", "none"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The scenario's own limits hold, and the command line overrides them.
    let o = run(&["run", &corpus("spin", "x86"), "--scenario", &scenario("spin/spin.toml")]);
    assert_eq!(o.status.code(), Some(0), "the scenario expects the limit");
    assert!(stdout(&o).contains("limit: instruction budget of 1000000 exhausted"), "{}", stdout(&o));
    let o = run(&["run", &corpus("spin", "x86"), "--scenario", &scenario("spin/spin.toml"), "--max-insns", "5_000"]);
    assert!(stdout(&o).contains("limit: instruction budget of 5000 exhausted"), "{}", stdout(&o));
}

#[test]
fn a_driver_refused_at_load_still_gives_a_json_report() {
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("missing", arch), "--format", "json"]);
        assert_eq!(o.status.code(), Some(2));
        let r = json(&o);
        assert_eq!((r["schema"].as_str(), r["outcome"].as_str()), (Some("portcullis-report/1"), Some("load_error")));
        let e = &r["load_error"];
        assert_eq!(e["kind"], "missing_imports");
        assert_eq!(e["missing"], serde_json::json!(["ntoskrnl.exe!PortcullisNoSuchRoutine"]));
        assert!(e["message"].as_str().unwrap().contains("ntoskrnl.exe!PortcullisNoSuchRoutine"));
        assert_eq!(r["imports"]["missing"], e["missing"]);
        assert!(r["imports"]["implemented"].as_array().unwrap().iter().any(|i| i == "ntoskrnl.exe!DbgPrint"));
        assert_eq!(r["driver"]["arch"], arch);
        assert_eq!(r["driver"]["sha256"].as_str().unwrap().len(), 64);
        assert!(r["driver"]["image_base"].is_null(), "never mapped");
        assert!(r["entry_points"].as_array().unwrap().is_empty());
        assert_eq!(r["limits"]["max_instructions"], 10_000_000);
        // Text keeps the readable error.
        let o = run(&["run", &corpus("missing", arch)]);
        assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(2), ""));
        assert!(stderr(&o).contains("1 import is not implemented: ntoskrnl.exe!PortcullisNoSuchRoutine"));
    }
    let dir = temp("load-error");
    let junk = dir.join("junk.sys");
    std::fs::write(&junk, b"MZ this is not a driver").unwrap();
    let o = run(&["run", junk.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let r = json(&o);
    assert_eq!(r["load_error"]["kind"], "malformed");
    assert!(r["load_error"]["missing"].as_array().unwrap().is_empty());
    assert!(r["driver"]["arch"].is_null() && r["driver"]["sha256"].is_string());
    let o = run(&["run", "/nonexistent/driver.sys", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let r = json(&o);
    assert_eq!((r["load_error"]["kind"].as_str(), r["driver"]["sha256"].is_null()), (Some("unreadable"), true));
}

#[test]
fn a_bare_machine_has_no_chipset_ports_either() {
    // pcienum walks PCI configuration space through 0xCF8/0xCFC: the default machine's
    // chipset answers; on a bare machine those ports are unclaimed like every other.
    let dir = temp("bare-pci");
    let text = std::fs::read_to_string(scenario("pcienum/pcienum.toml")).unwrap();
    let bare = dir.join("bare.toml");
    std::fs::write(&bare, format!("machine = \"bare\"\n{text}")).unwrap();
    for (file, expect) in
        [(scenario("pcienum/pcienum.toml"), "emulated"), (bare.to_str().unwrap().to_string(), "unclaimed")]
    {
        let o = run(&["run", &corpus("pcienum", "x64"), "--scenario", &file, "--format", "json"]);
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        let cf8: Vec<&Value> = r["port_io"].as_array().unwrap().iter().filter(|p| p["port"] == 0xCF8).collect();
        assert!(!cf8.is_empty(), "{file}");
        assert!(cf8.iter().all(|p| p["outcome"] == expect), "{file}: {}", cf8[0]);
    }
}
