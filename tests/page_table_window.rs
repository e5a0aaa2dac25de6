//! The page-table self-map (corpus/ptewrite, both architectures): the entry mapping the
//! driver's page reads through the window as Windows lays it out (present, writable, the frame
//! MmGetPhysicalAddress names); a write through the window, which Windows takes, ends the run
//! naming it (outcome `unimplemented`) instead of being applied behind the host's back.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

fn run(arch: &str, scenario: &str) -> (String, bool) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/ptewrite");
    let out = Command::new(BIN)
        .args(["run", &format!("{dir}/ptewrite.{arch}.sys"), "--scenario", &format!("{dir}/{scenario}.toml")])
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.success())
}

#[test]
fn entry_reads_through_the_window() {
    for arch in ["x86", "x64"] {
        let (text, ok) = run(arch, "read");
        assert!(ok && text.contains("outcome: ok"), "{arch}:\n{text}");
        assert!(text.contains("steps: 3 of 3 steps passed"), "{arch}:\n{text}");
    }
}

#[test]
fn write_through_the_window_is_a_named_refusal() {
    for (arch, entry, mapped) in
        [("x86", "0xc0204008", "0x81002000"), ("x64", "0xfffff6fc00800010", "0xfffff80100002000")]
    {
        let (text, ok) = run(arch, "write");
        let named = format!("a write through the page-table self-map to the entry at {entry} (mapping {mapped})");
        assert!(text.contains(&named), "{arch}:\n{text}");
        assert!(text.contains("outcome: unimplemented") && ok, "{arch}:\n{text}");
        assert!(!text.contains("ATTEMPTED_WRITE_TO_READONLY_MEMORY"), "{arch}:\n{text}");
    }
}
