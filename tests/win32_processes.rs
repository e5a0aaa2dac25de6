//! Several processes at once, end to end: `corpus/win32api/process_tour` starts copies of
//! itself with CreateProcess on x86 and x64. Each copy runs beside its creator in a user
//! half of its own (the same image at the same address, its own globals: the child reports
//! 0 where the parent has written 40), the two hand a named event back and forth, the
//! parent waits on the process handles and reads the exit codes, and a child that writes
//! through NULL ends alone with STATUS_ACCESS_VIOLATION. The report has an entry point for
//! every process, the children's naming their creator.

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/win32api");

fn run_app(arch: &str) -> (i32, serde_json::Value) {
    let exe = format!("{DIR}/process_tour.{arch}.exe");
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(&exe)
        // The program finds its children's image beside it.
        .args(["--dll", &exe, "--driver", &format!("{DIR}/win32api.{arch}.sys"), "--format", "json"])
        .output()
        .expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

fn tour(arch: &str) {
    let (code, v) = run_app(arch);
    let console = v["program"]["console"].as_str().unwrap();
    assert_eq!(code, 0, "{console}");
    for line in [
        // The child writes to the console it shares with its creator.
        "child: my global is 0\n",
        "its exit code (7 + its own global) = 7",
        "my global = 40",
        "pongs = 3",
        "crash's exit code = 3221225477",
        "WaitForSingleObject (it does not run) = 258",
        "its exit code (5 + the 3 written) = 8",
        "  the child's global now = 77",
        "  mine = 40",
        "its exit code = 42",
        "TerminateProcess again = 0",
        "  GetLastError = 2",
        "  GetLastError = 87",
        "all answers as Windows gives them",
    ] {
        assert!(console.contains(line), "{line:?} in\n{console}");
    }
    let entries: Vec<(String, String)> = v["report"]["entry_points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "process")
        .map(|e| {
            (e["target"].as_str().unwrap_or_default().to_string(), e["status"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    let name = format!("process_tour.{arch}.exe");
    assert_eq!(
        entries,
        [
            (format!("{name} (pid 1000)"), "0x00000000".to_string()),
            (format!("{name} (pid 1004, started by pid 1000)"), "0x00000007".to_string()),
            (format!("{name} (pid 1008, started by pid 1000)"), "0x00000003".to_string()),
            (format!("{name} (pid 1012, started by pid 1000)"), "0xC0000005".to_string()),
            (format!("{name} (pid 1016, started by pid 1000)"), "0x00000008".to_string()),
            (format!("{name} (pid 1020, started by pid 1000)"), "0x0000002A".to_string()),
        ]
    );
    // Every process's thread ended with its process.
    let threads = v["report"]["scheduler"]["threads"].as_array().unwrap();
    let user: Vec<_> =
        threads.iter().filter(|t| t["kind"] == "user").map(|t| t["state"].as_str().unwrap_or_default()).collect();
    assert_eq!(user, ["terminated"; 6], "{threads:?}");
}

#[test]
fn a_program_starts_copies_of_itself_that_run_beside_it_in_their_own_address_spaces_x86() {
    tour("x86");
}

#[test]
fn a_program_starts_copies_of_itself_that_run_beside_it_in_their_own_address_spaces_x64() {
    tour("x64");
}

/// A hostile program that starts copies of itself without end: every copy does the same,
/// the machine's memory cap refuses the newest (ERROR_NOT_ENOUGH_MEMORY ends it, freeing
/// room for the next), and the run ends at its instruction budget with a complete report:
/// the limit named, memory at the cap and never past it.
#[test]
fn a_program_starting_copies_of_itself_without_end_meets_the_limits() {
    let exe = format!("{DIR}/process_tour.x64.exe");
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["run-app", &exe, "bomb", "--dll", &exe, "--driver", &format!("{DIR}/win32api.x64.sys")])
        .args(["--max-insns", "1000000", "--format", "json"])
        .output()
        .expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(out.status.code(), Some(3), "the limit's exit code: {}", v["error"]);
    let limits = &v["report"]["limits"];
    assert_eq!(limits["hit"][0]["kind"], "instructions", "{limits}");
    let memory = &limits["memory"];
    assert!(memory["peak"].as_u64() <= memory["limit"].as_u64(), "{memory}");
    let entries = v["report"]["entry_points"].as_array().unwrap();
    assert!(entries.len() > 100, "{} processes", entries.len());
    let refused = entries.iter().filter(|e| e["status"] == "0x00000008").count();
    assert!(refused > 0, "copies refused at the memory cap end with ERROR_NOT_ENOUGH_MEMORY");
}
