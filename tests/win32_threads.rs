//! A program's own threads end to end: `corpus/threadwait/thread_tour` creates threads
//! (suspended too), waits for them, an event, sleeps, a critical section and several objects
//! at once, keeps each thread's last error and TLS slot apart, yields, and has a worker send
//! the threadwait driver an IOCTL its system thread answers, and has the driver start a
//! thread in it (RtlCreateUserThread), on x86 and x64. The program
//! compares each answer with Windows' and exits with 0 when all agree; the test reads the
//! printed values and the report's threads. Four modes end the process or the run on
//! purpose: a worker's ExitProcess, a worker's access violation, a deadlock between the
//! main thread and a worker, a main thread that ends before its worker, and a lone thread
//! that suspends itself.

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/threadwait");

fn run_app(arch: &str, mode: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/thread_tour.{arch}.exe"))
        .args(mode)
        .args(["--driver", &format!("{DIR}/threadwait.{arch}.sys"), "--start", "--format", "json"])
        .output()
        .expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// The report's threads of the program's process (pid 0x3e8).
fn program_threads(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["report"]["scheduler"]["threads"]
        .as_array()
        .unwrap_or_else(|| panic!("no threads: {v}"))
        .iter()
        .filter(|t| t["pid"] == "0x3e8")
        .cloned()
        .collect()
}

fn tour(arch: &str) {
    let (code, v) = run_app(arch, &[]);
    let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("no console: {v}"));
    assert_eq!(code, 0, "every answer as Windows gives it:\n{console}");
    assert_eq!(v["program"]["exit_code"], 0);
    assert!(!console.contains("expected"), "{console}");
    for line in [
        "GetExitCodeThread before it ran = 259",
        "it has not run before the creator waits = 0",
        "GetExitCodeThread after = 7",
        "ExitThread's code = 11",
        "a suspended thread does not run (a 20 ms wait times out) = 258",
        "ResumeThread's previous count = 1",
        "SuspendThread of a waiting worker: previous count = 0\n  again = 1",
        "its event is set, yet it does not go on (a 20 ms wait times out) = 258\n  nor did it log = 0",
        "ResumeThread's previous count = 2\n  suspended still (a 20 ms wait times out) = 258",
        "SuspendThread of a thread that ended = -1\n  its error = 5",
        "a worker that suspended itself stopped there = 1\n  it does not go on (a 20 ms wait times out) = 258",
        "SuspendThread returned 0 to it = 30",
        "SuspendThread at the count's limit (127) = -1\n  its error = 156",
        "order: mste",
        "the 10 ms sleeper woke first = 1",
        "order: wlg",
        "the shared counter = 300",
        "WaitForMultipleObjects(any): the 10 ms one = 1",
        "a handle twice with bWaitAll = -1\n  its error = 87",
        "the worker saw its own = 1\nthe main thread's last error = 42\nthe main thread's TLS slot = 119",
        "SwitchToThread with a thread ready = 1\n  it ran meanwhile = 1",
        "a worker's KICK answered by the driver's thread = 0\n  the driver's count = 1",
        "RtlCreateUserThread's status = 0",
        "waiting through the driver's handle = 0\n  it ran with the parameter = 33\n  the handle closes = 1",
        "all answers as Windows gives them",
    ] {
        assert!(console.contains(line), "{arch}: {line:?} in\n{console}");
    }
    // Its threads: the first, the 18 it made and the one the driver made, each a user
    // thread that ended, with its own code; the driver's system thread saw the KICK.
    let threads = program_threads(&v);
    assert_eq!(threads.len(), 20, "{arch}: {threads:?}");
    assert_eq!(threads[19]["exit_status"], "0x0000000c", "{arch}: the driver's thread returned 12");
    assert!(threads.iter().all(|t| t["kind"] == "user" && t["state"] == "terminated"), "{arch}: {threads:?}");
    assert!(threads.iter().any(|t| t["exit_status"] == "0x0000000b"), "{arch}: ExitThread(11)");
    let debug = v["report"]["debug_output"].to_string();
    assert!(debug.contains("threadwait: worker woke 1"), "{arch}: {debug}");
    let calls = v["report"]["api_call_counts"].to_string();
    assert!(calls.contains("CreateThread") && calls.contains("WaitForMultipleObjects"), "{calls}");
}

#[test]
fn a_programs_threads_get_windows_answers_on_x86() {
    tour("x86");
}

#[test]
fn a_programs_threads_get_windows_answers_on_x64() {
    tour("x64");
}

#[test]
fn a_workers_exit_process_ends_every_thread() {
    for arch in ["x86", "x64"] {
        let (_, v) = run_app(arch, &["exit-from-worker"]);
        assert_eq!(v["program"]["exit_code"], 5, "{arch}: {v}");
        assert_eq!(v["report"]["outcome"], "ok", "{arch}");
        let threads = program_threads(&v);
        assert_eq!(threads.len(), 2, "{arch}: {threads:?}");
        assert!(
            threads.iter().all(|t| t["state"] == "terminated" && t["exit_status"] == "0x00000005"),
            "{arch}: {threads:?}"
        );
    }
}

#[test]
fn a_workers_fault_ends_the_process_with_its_code() {
    for arch in ["x86", "x64"] {
        let (_, v) = run_app(arch, &["fault-in-worker"]);
        assert_eq!(v["program"]["exit_code"], 0xC000_0005u32, "{arch}: {v}");
        assert_eq!(v["program"]["console"], "the worker writes through NULL\n", "{arch}");
        assert_eq!(v["report"]["outcome"], "ok", "{arch}: the run goes on");
        assert!(program_threads(&v).iter().all(|t| t["state"] == "terminated"), "{arch}");
    }
}

#[test]
fn threads_waiting_for_each_other_are_the_kernels_deadlock() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app(arch, &["deadlock"]);
        assert_ne!(code, 0);
        assert_eq!(v["report"]["outcome"], "deadlock", "{arch}: {v}");
        // The wait graph names both: the main thread waits for the worker, which waits for
        // an event.
        let threads = program_threads(&v);
        assert_eq!(threads.len(), 2, "{arch}: {threads:?}");
        assert!(threads.iter().all(|t| t["state"] == "waiting"), "{arch}: {threads:?}");
        assert_eq!(threads[0]["wait"]["on"][0]["kind"], "thread", "{arch}");
        assert_eq!(threads[0]["wait"]["on"][0]["flow"], format!("thread {}", threads[1]["tid"].as_str().unwrap()));
        assert_eq!(threads[1]["wait"]["on"][0]["kind"], "notification event", "{arch}");
    }
}

#[test]
fn a_thread_that_suspends_itself_with_none_to_resume_it_is_a_deadlock() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app(arch, &["suspend-self"]);
        assert_ne!(code, 0);
        assert_eq!(v["report"]["outcome"], "deadlock", "{arch}: {v}");
        let threads = program_threads(&v);
        assert_eq!(threads.len(), 1, "{arch}: {threads:?}");
        let wait = &threads[0]["wait"];
        assert_eq!(wait["waits_for"], "ResumeThread (it suspended itself)", "{arch}: {wait}");
        assert_eq!(wait["reason"], 5, "{arch}: KWAIT_REASON Suspended");
        assert_eq!(wait["on"][0]["object"], threads[0]["ethread"], "{arch}: its own thread object: {threads:?}");
    }
}

#[test]
fn the_last_thread_to_end_gives_the_process_its_code() {
    for arch in ["x86", "x64"] {
        let (_, v) = run_app(arch, &["last-thread"]);
        assert_eq!(v["program"]["exit_code"], 6, "{arch}: {v}");
        assert_eq!(v["program"]["console"], "the main thread ends first\nthe worker ends last\n", "{arch}");
        let threads = program_threads(&v);
        assert_eq!(threads[0]["exit_status"], "0x00000009", "{arch}: the main thread keeps ExitThread's code");
        assert_eq!(threads[1]["exit_status"], "0x00000006", "{arch}");
    }
}
