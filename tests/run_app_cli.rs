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

/// `--vcd` and `--wav` on run-app: the program's own port writes (the PIT's mode and count,
/// the speaker gate) are in the dump, and the tone they start is in the sound file.
#[test]
fn the_programs_port_writes_are_in_the_waveform_and_its_tone_in_the_sound() {
    let dir = std::env::temp_dir().join(format!("portcullis-run-app-vcd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (vcd, wav) = (dir.join("client.vcd"), dir.join("client.wav"));
    let (code, text) = run_app(&["--start", "--vcd", vcd.to_str().unwrap(), "--wav", wav.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");

    let mut parser = vcd::Parser::new(std::io::BufReader::new(std::fs::File::open(&vcd).unwrap()));
    let header = parser.parse_header().unwrap();
    let ports = header.find_scope(&["portcullis".to_string(), "ports".to_string()]).expect("a ports scope");
    let code_of = |name: &str| {
        ports
            .items
            .iter()
            .find_map(|i| match i {
                vcd::ScopeItem::Var(v) if v.reference == name => Some(v.code),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no signal {name}"))
    };
    let (mode, gate) = (code_of("port_0043"), code_of("port_0061"));
    let values = |id: vcd::IdCode| -> Vec<String> {
        let mut p = vcd::Parser::new(std::io::BufReader::new(std::fs::File::open(&vcd).unwrap()));
        p.parse_header().unwrap();
        p.filter_map(|c| match c.unwrap() {
            vcd::Command::ChangeVector(i, v) if i == id => Some(v.to_string()),
            _ => None,
        })
        .collect()
    };
    assert!(values(mode).contains(&"10110110".to_string()), "the PIT's channel 2 mode (0xb6) was written");
    assert!(values(gate).iter().any(|v| v.ends_with("11")), "the speaker gate (0x61 bits 0-1) was opened");

    let sound = std::fs::read(&wav).unwrap();
    assert_eq!(&sound[..4], b"RIFF");
    assert!(sound.len() > 44 + 1000, "the tone is in the sound file ({} bytes)", sound.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_standard_input_file_that_cannot_be_read_is_a_usage_error() {
    let missing = format!("{DIR}/no_such_stdin.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/giveio_client.x86.exe"))
        .args(["--driver", &format!("{DIR}/giveio.x86.sys"), "--stdin", &missing])
        .output()
        .expect("run portcullis");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read") && err.contains("no_such_stdin.txt"), "{err}");
}
