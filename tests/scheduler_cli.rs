//! The scheduler through the `portcullis` binary: the scenario keys and steps that let time
//! pass, set the processors and populate and change the process list; the report's threads,
//! timers and processes; a deadlock as its own outcome with its wait graph; byte-identical
//! reruns.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn corpus(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

fn scenario(rel: &str) -> String {
    format!("{}/corpus/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis")).args(args).output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

fn temp(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-sched-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

#[test]
fn a_deadlock_is_its_own_outcome_with_the_wait_graph() {
    for arch in ["x86", "x64"] {
        // The corpus scenario expects it: exit 0.
        let o = run(&[
            "run",
            &corpus("deadlock", arch),
            "--scenario",
            &scenario("deadlock/deadlock.toml"),
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let r = json(&o);
        assert_eq!(r["outcome"], "deadlock");
        let d = &r["scheduler"]["deadlock"];
        let waits = d["waits"].as_array().unwrap();
        assert_eq!(waits.len(), 3, "{d}");
        // The two threads each hold the mutex the other waits for.
        let holders: Vec<(&str, &str)> = waits
            .iter()
            .filter(|w| w["on"][0]["kind"] == "mutex")
            .map(|w| (w["flow"].as_str().unwrap(), w["on"][0]["held_by"].as_str().unwrap()))
            .collect();
        assert_eq!(holders.len(), 2);
        assert_eq!(holders[0], (holders[1].1, holders[1].0), "a cycle: {holders:?}");
        // The caller waits for both threads, each named.
        let caller = waits.iter().find(|w| w["waits_for"] == "objects (all)").unwrap();
        assert!(caller["on"].as_array().unwrap().iter().all(|o| o["flow"].is_string()));
        let entry = r["entry_points"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(entry["outcome"], "deadlock");

        // Without the expectation it is a failure.
        let s = temp(
            &format!("abba-{arch}.toml"),
            "[[steps]]\nopen = '\\\\.\\Deadlock'\n[[steps]]\nioctl = 0x8000200C\n[[steps]]\nioctl = 0x80002000\n",
        );
        let o = run(&["run", &corpus("deadlock", arch), "--scenario", s.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let out = text(&o);
        assert!(out.contains("outcome: deadlock") && out.contains("deadlock: 3 flow(s) wait"), "{out}");
        assert!(out.contains("(held by thread 0x"), "{out}");
    }
}

#[test]
fn time_passes_only_when_a_step_lets_it() {
    let s = temp(
        "ticker.toml",
        "unload_at_end = false\n[[steps]]\nopen = '\\\\.\\Ticker'\n[[steps]]\nadvance = \"35ms\"\n[[steps]]\nioctl = 0x80002000\noutput = 12\nexpect_output = { u32 = [3, 2, 1] }\n",
    );
    for arch in ["x86", "x64"] {
        let o = run(&["run", &corpus("ticker", arch), "--scenario", s.to_str().unwrap(), "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let r = json(&o);
        let kinds: Vec<&str> =
            r["entry_points"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"Advance"), "{kinds:?}");
        let sched = &r["scheduler"];
        assert_eq!(sched["processors"], 2);
        let timers = sched["timers"].as_array().unwrap();
        assert_eq!(timers.len(), 1, "the periodic timer is still armed: {sched}");
        assert_eq!(timers[0]["period_ms"], 10);
        assert!(timers[0]["dpc"].is_string());
        let due = timers[0]["due_ms"].as_u64().unwrap();
        let now = sched["now_ms"].as_u64().unwrap();
        assert!(due > now && due <= now + 10, "{due} {now}");
        // Text: the timers section.
        let o = run(&["run", &corpus("ticker", arch), "--scenario", s.to_str().unwrap()]);
        let out = text(&o);
        assert!(out.contains("timers") && out.contains("every 10 ms"), "{out}");
    }
}

#[test]
fn processes_from_the_scenario_and_their_notify_routines() {
    for arch in ["x86", "x64"] {
        let o = run(&[
            "run",
            &corpus("procwatch", arch),
            "--scenario",
            &scenario("procwatch/procwatch.toml"),
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let r = json(&o);
        let procs = r["scheduler"]["processes"].as_array().unwrap();
        let names: Vec<&str> = procs.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"explorer.exe") && names.contains(&"notepad.exe"), "{names:?}");
        let notepad = procs.iter().find(|p| p["name"] == "notepad.exe").unwrap();
        assert_eq!((notepad["pid"].as_str(), notepad["parent"].as_str()), (Some("0x700"), Some("0x600")));
        assert!(notepad["exited"].is_string(), "process_exit ended it: {notepad}");
        let kinds: Vec<&str> =
            r["entry_points"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"ProcessStart") && kinds.contains(&"ProcessExit"), "{kinds:?}");
    }
}

#[test]
fn scenario_mistakes_in_the_new_keys_are_usage_errors() {
    for (name, body, needle) in [
        ("cpus0.toml", "processors = 0\n", "processors = 0"),
        ("cpus64.toml", "processors = 64\n", "expected 1 to 32"),
        ("pid0.toml", "processes = [{ name = \"a.exe\", pid = 0 }]\n", "PID 0x0"),
        ("idle.toml", "[[steps]]\nwait_idle = \"soon\"\n", "not a duration"),
    ] {
        let s = temp(name, body);
        let o = run(&["run", &corpus("ticker", "x64"), "--scenario", s.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(text(&o).contains(needle), "{name}: {}", text(&o));
    }
    // A process_start whose parent does not exist is refused when it runs.
    let s = temp("orphan.toml", "[[steps]]\nprocess_start = { name = \"x.exe\", pid = 0x900, parent = 0x1234 }\n");
    let o = run(&["run", &corpus("procwatch", "x86"), "--scenario", s.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("parent PID 0x1234 names no process"), "{}", text(&o));
}

#[test]
fn threaded_runs_are_byte_identical() {
    for (drv, sc) in [
        ("pingpong", "pingpong/pingpong.toml"),
        ("percpu", "percpu/percpu.toml"),
        ("resource", "resource/resource.toml"),
    ] {
        for arch in ["x86", "x64"] {
            let dir = std::env::temp_dir().join(format!("portcullis-sched-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let traces: Vec<Vec<u8>> = (0..2)
                .map(|i| {
                    let t = dir.join(format!("{drv}-{arch}-{i}.jsonl"));
                    let o =
                        run(&["run", &corpus(drv, arch), "--scenario", &scenario(sc), "--trace", t.to_str().unwrap()]);
                    assert_eq!(o.status.code(), Some(0), "{drv} {arch}: {}", text(&o));
                    std::fs::read(&t).unwrap()
                })
                .collect();
            assert!(traces[0].len() > 1000);
            assert!(traces[0] == traces[1], "{drv} {arch}: reruns differ");
        }
    }
}
