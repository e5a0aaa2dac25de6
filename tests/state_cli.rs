//! What a driver changes in the system it runs in, through the binary: the registry and
//! files in the JSON report, `--dump-files`, and the scenario's `[files]` and `[registry]`.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn corpus(name: &str, arch: &str) -> String {
    format!("{}/corpus/{name}/{name}.{arch}.sys", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis")).args(args).output().expect("the binary runs")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-state-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    })
}

#[test]
fn files_a_driver_writes_are_reported_and_extracted() {
    for arch in ["x86", "x64"] {
        let dir = temp(&format!("dump-{arch}"));
        let scenario = format!("{}/corpus/filelog/filelog.toml", env!("CARGO_MANIFEST_DIR"));
        let dump = dir.join("files");
        let o = run(&[
            "run",
            &corpus("filelog", arch),
            "--scenario",
            &scenario,
            "--format",
            "json",
            "--dump-files",
            dump.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let r = json(&o);
        let ops: Vec<&str> =
            r["file_changes"].as_array().unwrap().iter().map(|c| c["operation"].as_str().unwrap()).collect();
        assert_eq!(
            ops,
            ["create", "create", "write", "write", "create", "write", "rename", "delete", "write"],
            "{arch}"
        );
        assert_eq!(r["file_changes"][6]["from"], "\\Logs\\tmp.bin");
        let log = std::fs::read(dump.join("Logs").join("filelog.txt")).unwrap();
        assert_eq!(log, b"started\r\nstarted\r\nhello\r\n", "{arch}");
        assert!(!dump.join("Logs").join("old.bin").exists(), "{arch}: a deleted file is not extracted");
    }
}

#[test]
fn scenario_files_come_from_the_host_and_registry_changes_are_reported() {
    let dir = temp("host-file");
    std::fs::write(dir.join("cfg.txt"), b"debug=1").unwrap();
    let scenario = dir.join("s.toml");
    std::fs::write(
        &scenario,
        "[files]\n'\\SystemRoot\\filelog.ini' = { host = \"cfg.txt\" }\n'C:\\other.bin' = { bytes = \"01 02\" }\n",
    )
    .unwrap();
    let o = run(&["run", &corpus("filelog", "x64"), "--scenario", scenario.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let r = json(&o);
    assert!(r["debug_output"][0]["text"].as_str().unwrap().contains("config 7 bytes"), "{}", r["debug_output"]);

    std::fs::write(&scenario, "[files]\n'D:\\nope.txt' = \"x\"\n").unwrap();
    let o = run(&["run", &corpus("filelog", "x64"), "--scenario", scenario.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a path on C:"), "{}", String::from_utf8_lossy(&o.stderr));

    let cmreg = format!("{}/corpus/cmreg/cmreg.toml", env!("CARGO_MANIFEST_DIR"));
    let o = run(&["run", &corpus("cmreg", "x86"), "--scenario", &cmreg, "--format", "json"]);
    let r = json(&o);
    let changes = r["registry_changes"].as_array().unwrap();
    assert_eq!(changes[0]["operation"], "set_value");
    assert_eq!(changes[0]["value"], "Started");
    assert_eq!(changes[0]["value_type"], "REG_SZ");
    assert_eq!(changes[0]["data"], "yes");
    assert!(changes[0]["caller"].as_str().unwrap().starts_with("0x81"), "the driver's call site");
    assert_eq!(changes.last().unwrap()["caller"], "0x0", "a scenario step");
}
