//! `portcullis run-app`: the GIVEIO pair from the command line (x86).

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/giveio");

fn run_app(extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/giveio_client.x86.exe"))
        .arg("--driver")
        .arg(format!("{DIR}/giveio.x86.sys"))
        .args(extra)
        .output()
        .expect("run portcullis");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_started_driver_lets_the_program_play_its_tone() {
    let (code, text) = run_app(&["--start"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("exit code              0x00000000 (STATUS_SUCCESS)"), "{text}");
    assert!(text.contains("giveio_client: process 1000, the driver sees process 1000"), "{text}");
    assert!(
        text.contains("0x0043   1     out  0xb6               1  0x401104           emulated    pid 1000"),
        "{text}"
    );
    assert!(text.contains("speaker tones (1)"), "{text}");
}

#[test]
fn an_installed_driver_that_was_not_started_leaves_the_program_to_fault() {
    let (code, text) = run_app(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("0xc0000096 (STATUS_PRIVILEGED_INSTRUCTION)"), "{text}");
    assert!(text.contains("denied      pid 1000"), "{text}");
}

#[test]
fn the_json_report_has_the_program_and_attributed_ports() {
    let (code, text) = run_app(&["--start", "--format", "json"]);
    assert_eq!(code, 0, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["program"]["exit_code"], 0);
    assert_eq!(v["program"]["pid"], 1000);
    let ports = v["port_io"].as_array().unwrap();
    assert_eq!(ports.len(), 7);
    assert!(ports.iter().all(|p| p["by"] == "pid 1000"));
}

#[test]
fn arguments_go_to_the_program_and_options_anywhere_to_portcullis() {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/lpt_probe.x86.exe"))
        .arg("word")
        .arg("--driver")
        .arg(format!("{DIR}/giveio.x86.sys"))
        .arg("--start")
        .output()
        .expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("lpt_probe: out 0x378, word"), "{text}");
    assert!(text.contains("0xc0000096 (STATUS_PRIVILEGED_INSTRUCTION)"), "{text}");
}
