//! The service control manager and token privileges (advapi32) end to end:
//! `corpus/giveio/service_cycle` enables SeLoadDriverPrivilege, then installs, starts, stops
//! and deletes the driver run-app was given, on x86 (giveio: the program then
//! writes a port itself) and x64 (beeper: DriverEntry plays its tone).

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");

fn run_app(arch: &str, service: &str, mode: &[&str], driver: &str) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/giveio/service_cycle.{arch}.exe"))
        .arg(service)
        .args(mode)
        .args(["--driver", &format!("{DIR}/{driver}.{arch}.sys"), "--format", "json"])
        .output()
        .expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

fn kinds(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["entry_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (s("kind"), s("target"), s("status_name"))
        })
        .collect()
}

#[test]
fn a_program_starts_its_driver_through_the_scm_and_then_reaches_the_port_it_opened() {
    let (code, v) = run_app("x86", "giveio.x86", &["io"], "giveio/giveio");
    let console = v["program"]["console"].as_str().unwrap();
    assert_eq!(code, 0, "every step answered as Windows does:\n{console}");
    for line in [
        "3: AdjustTokenPrivileges -> ok, error 0",
        "SeLoadDriverPrivilege: 1 changed, 16 bytes of previous state",
        "SeLoadDriverPrivilege: 0 changed, 4 bytes of previous state",
        "6: LookupPrivilegeValueA (no such privilege) -> failed, error 1313",
        "8: AdjustTokenPrivileges -> ok, error 1300",
        "11: CreateServiceA (installed already) -> failed, error 1073",
        "state 1, accepts 0, exit code 1077",
        "14: StartServiceA -> ok",
        "15: StartServiceA again -> failed, error 1056",
        "state 4, accepts 1, exit code 0",
        "22: DeleteService again -> failed, error 1072",
        "24: OpenServiceA (deleted) -> failed, error 1060",
        "26: StartServiceA ghost (no image) -> failed, error 3",
        "27: QueryServiceStatus ghost (no such right) -> failed, error 5",
        "30: CreateServiceA spare -> ok",
        "32: ChangeServiceConfigA spare -> ok, error 5\n   tag 1",
        "33: ChangeServiceConfigA spare (start type 7) -> failed, error 87",
        "34: ChangeServiceConfigA spare (a taken display name) -> failed, error 1078",
        "35: QueryServiceStatusEx spare (8 bytes) -> failed, error 122\n   needed 36",
        "36: QueryServiceStatusEx spare -> ok, error 122\n   state 1, process 0, flags 0",
        "37: QueryServiceStatusEx spare (level 5) -> failed, error 124",
        "42: CloseHandle (manager) -> failed, error 6",
    ] {
        assert!(console.contains(line), "{line:?} in\n{console}");
    }
    let report = &v["report"];
    let entries = kinds(report);
    assert_eq!(
        entries[0],
        ("DriverEntry".into(), "giveio.x86 (StartService by pid 1000)".into(), "STATUS_SUCCESS".into())
    );
    assert_eq!(entries[1].0, "DriverUnload");
    assert_eq!(
        entries[2],
        ("StartService".into(), "ghost (StartService by pid 1000)".into(), "STATUS_OBJECT_PATH_NOT_FOUND".into())
    );
    // The driver the SCM started opened the I/O permission map to the program.
    let port = v["port_io"].as_array().unwrap().iter().find(|p| p["port"] == 0x80).expect("port 0x80");
    assert_eq!((port["outcome"].as_str(), port["by"].as_str()), (Some("emulated"), Some("pid 1000")));
}

#[test]
fn created_services_are_written_to_the_registry_and_deleted_keys_go_with_their_last_handle() {
    let (code, v) = run_app("x64", "beeper.x64", &[], "beeper/beeper");
    assert_eq!(code, 0, "{}", v["program"]["console"]);
    let report = &v["report"];
    assert_eq!(kinds(report)[0].0, "DriverEntry");
    assert_eq!(report["devices"]["tones"].as_array().map(Vec::len), Some(1), "DriverEntry played its tone");
    let changes: Vec<String> = report["registry_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let v = c["value"].as_str().map(|v| format!(" {v}={}", c["data"].as_str().unwrap_or_default()));
            format!("{} {}{}", c["operation"].as_str().unwrap(), c["key"].as_str().unwrap(), v.unwrap_or_default())
        })
        .collect();
    let services = r"\REGISTRY\MACHINE\SYSTEM\ControlSet001\Services";
    for expected in [
        format!(r"delete_key {services}\beeper.x64\Parameters"),
        format!(r"delete_key {services}\beeper.x64"),
        format!(r"create_key {services}\ghost"),
        format!(r"set_value {services}\ghost Type=0x1"),
        format!(r"set_value {services}\ghost ImagePath=\??\C:\nowhere\ghost.sys"),
        format!(r"set_value {services}\ghost DisplayName=Ghost driver"),
        format!(r#"set_value {services}\ghost DependOnService=["Beep", "Null"]"#),
        format!(r"delete_key {services}\ghost"),
        // ChangeServiceConfigA: only what changed.
        format!(r"set_value {services}\spare Start=0x1"),
        format!(r"set_value {services}\spare ImagePath=\??\C:\drivers\spare2.sys"),
        format!(r"set_value {services}\spare Group=Extended Base"),
        format!(r"set_value {services}\spare Tag=0x1"),
        format!(r"set_value {services}\spare DisplayName=Spare, renamed"),
    ] {
        assert!(changes.contains(&expected), "{expected} in {changes:#?}");
    }
}
