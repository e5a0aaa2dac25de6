//! advapi32's registry functions end to end: `corpus/cmcallbacks/reg_probe` creates a key,
//! sets, queries and deletes values (ANSI and wide) while the cmcallbacks driver filters the
//! registry — it refuses the value named Forbidden and counts what it saw — on both
//! architectures.

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/cmcallbacks");

#[test]
fn a_program_uses_the_registry_and_the_drivers_callbacks_see_it() {
    for arch in ["x86", "x64"] {
        let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .arg("run-app")
            .arg(format!("{DIR}/reg_probe.{arch}.exe"))
            .args(["--driver", &format!("{DIR}/cmcallbacks.{arch}.sys"), "--start", "--format", "json"])
            .output()
            .expect("run portcullis");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let console = v["program"]["console"].as_str().unwrap();
        assert_eq!(out.status.code(), Some(0), "{arch}: each answer as Windows gives it:\n{console}");
        for line in [
            "6: RegQueryValueExA Greeting (3 bytes) -> 234",
            "Greeting = hello",
            "10: RegSetValueExA Forbidden (the driver refuses) -> 5",
            "12: RegDeleteValueA Count again -> 2",
            "16: RegSetValueExA (a read-only handle) -> 5",
            // The driver's own open, set x2 and query, plus the program's opens (one of a
            // key that does not exist), creates, three sets (Forbidden refused; a set on a
            // read-only handle fails its access check first) and two deletes.
            "opens, creates, pre sets, post sets, deletes, queries, refused = 3 2 5 5 2 1 2",
        ] {
            assert!(console.contains(line), "{arch}: {line:?} in\n{console}");
        }
        let changes: Vec<String> = v["report"]["registry_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{} {} {}", c["operation"], c["value"], c["data"]))
            .collect();
        for expected in
            [r#""set_value" "Greeting" "hello""#, r#""set_value" "Count" "0x2a""#, r#""delete_value" "Count" null"#]
        {
            assert!(changes.iter().any(|c| c == expected), "{arch}: {expected} in {changes:#?}");
        }
        assert!(!changes.iter().any(|c| c.contains("Forbidden")), "{arch}: the refused write changed nothing");
    }
}
