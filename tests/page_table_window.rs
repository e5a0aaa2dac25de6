//! The page-table self-map (corpus/ptewrite, both architectures): the entry mapping the
//! driver's page reads through the window as Windows lays it out (present, writable, the frame
//! MmGetPhysicalAddress names); a write to the entry of a page a region owns (the image's),
//! which Windows takes, ends the run naming it (outcome `unimplemented`) instead of losing the
//! page's frame; the entry of a view's page is repointed as WinPmem does (`remap`).

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
        let named = format!(
            "a write through the page-table self-map to the entry at {entry} (mapping {mapped}): the page at {mapped} is not a view"
        );
        assert!(text.contains(&named), "{arch}:\n{text}");
        assert!(text.contains("outcome: unimplemented") && ok, "{arch}:\n{text}");
        assert!(!text.contains("ATTEMPTED_WRITE_TO_READONLY_MEMORY"), "{arch}:\n{text}");
    }
}

#[test]
fn a_views_entry_is_repointed_and_restored() {
    for arch in ["x86", "x64"] {
        let (text, ok) = run(arch, "remap");
        assert!(ok && text.contains("outcome: ok"), "{arch}:\n{text}");
        assert!(text.contains("steps: 3 of 3 steps passed"), "{arch}:\n{text}");
        // The view, then each entry written: repointed at B's frame (three writes), back at A's.
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("-> physical")).collect();
        assert_eq!(lines.len(), 5, "{arch}:\n{text}");
        assert!(lines[0].contains("locked_pages") && lines[0].ends_with("unmapped"), "{arch}:\n{text}");
        let frame = |l: &str| l.split("physical ").nth(1).unwrap().split(',').next().unwrap().to_string();
        for l in &lines[1..] {
            assert!(l.contains("page_table_entry") && l.ends_with("entry written"), "{arch}: {l}");
        }
        assert_ne!(frame(lines[1]), frame(lines[0]), "{arch}: repointed at another frame");
        assert_eq!(frame(lines[4]), frame(lines[0]), "{arch}: restored");
    }
}
