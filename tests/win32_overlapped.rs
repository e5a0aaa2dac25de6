//! Requests a driver leaves pending, seen from a program (kernel32/overlapped.rs), on x86
//! and x64: `corpus/methods/overlapped` opens \\.\Methods with FILE_FLAG_OVERLAPPED, sends
//! PEND with an OVERLAPPED (pending: ERROR_IO_PENDING, Internal STATUS_PENDING, its event
//! reset), a second PEND that completes at once with a warning, and RELEASE, after which
//! the first request's output, status block and event say it completed; GetOverlappedResult
//! with and without waiting. The same PEND on a synchronous handle waits for a completion
//! nothing makes: the run ends as a deadlock, with what the program printed before it; with
//! a second thread of the program sending RELEASE meanwhile (the inverted call), it returns
//! the completion, as GetOverlappedResult waiting for an overlapped PEND does.

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/methods");

fn run_app(arch: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/overlapped.{arch}.exe"))
        .args(args)
        .args(["--driver", &format!("{DIR}/methods.{arch}.sys"), "--start", "--format", "json"])
        .output()
        .expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

#[test]
fn an_overlapped_request_completes_later_into_the_programs_memory() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app(arch, &[]);
        let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("{arch}: no console: {v}"));
        assert_eq!(code, 0, "{arch}: every answer as Windows gives it:\n{console}");
        assert!(!console.contains("expected"), "{arch}: {console}");
        for line in [
            "DeviceIoControl(no OVERLAPPED) = 0\n  GetLastError = 87",
            "DeviceIoControl(PEND) = 0\n  GetLastError = 997\n  Internal = 259\n  HasOverlappedIoCompleted = 0\n  the event (reset) = 258",
            "GetOverlappedResult(no wait) = 0\n  GetLastError = 996",
            "DeviceIoControl(second PEND) = 0\n  GetLastError = 170\n  Internal = 2147483665\n  its event = 0",
            "DeviceIoControl(RELEASE) = 1\n  Internal = 0",
            "the event (set) = 0\nHasOverlappedIoCompleted = 1",
            "GetOverlappedResult(wait) = 1\n  bytes = 4\n  output = 12648430\n  InternalHigh = 4",
        ] {
            assert!(console.contains(line), "{arch}: {line:?} in\n{console}");
        }
        // The driver saw four control requests and completed each (the first from RELEASE).
        let calls = v["report"]["api_calls"].to_string();
        assert!(calls.contains("IofCompleteRequest"), "{arch}: {calls}");
    }
}

#[test]
fn a_pending_request_on_a_synchronous_handle_is_waited_for() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app(arch, &["sync"]);
        assert_ne!(code, 0, "{arch}");
        assert_eq!(v["report"]["outcome"], "deadlock", "{arch}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with("deadlock"), "{arch}: {}", v["error"]);
        // What it printed before the wait is in the report; nothing after.
        let console = v["console_until_stop"].as_str().unwrap_or_else(|| panic!("{arch}: {v}"));
        assert_eq!(console, "PEND on a synchronous handle\n", "{arch}");
    }
}

#[test]
fn a_synchronous_request_completes_when_another_thread_releases_it() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app(arch, &["inverted"]);
        let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("{arch}: {v}"));
        assert_eq!(code, 0, "{arch}: {console}");
        assert!(
            console.contains("synchronous DeviceIoControl(PEND) = 1\n  the worker's RELEASE came first = 1"),
            "{console}"
        );
        assert!(console.contains("bytes returned = 4\n  output = 12648430"), "{console}");
        assert!(
            console.contains(
                "GetOverlappedResult(waiting) while a worker releases it = 1\n  the worker's RELEASE came first = 1"
            ),
            "{console}"
        );
        assert_eq!(v["report"]["outcome"], "ok", "{arch}");
    }
}
