//! DLLs in a user program end to end (`corpus/inpout`): an InpOut32-style library whose
//! DllMain installs, starts and opens its driver, used by a program that imports it and by
//! one that loads it at run time, on x86 and x64.

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/inpout");

fn run_app(program: &str, arch: &str, with_dll: bool) -> (i32, serde_json::Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    cmd.arg("run-app").arg(format!("{DIR}/{program}.{arch}.exe"));
    cmd.args(["--driver", &format!("{DIR}/inpout.{arch}.sys"), "--format", "json"]);
    if with_dll {
        cmd.args(["--dll", &format!("{DIR}/inpout.{arch}.dll")]);
    }
    let out = cmd.output().expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

fn console(v: &serde_json::Value) -> String {
    v["program"]["console"].as_str().unwrap_or_default().to_string()
}

/// The driver's DbgPrint lines.
fn driver_lines(v: &serde_json::Value) -> Vec<String> {
    v["report"]["debug_output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["text"].as_str().unwrap().trim_end().to_string())
        .collect()
}

/// The port accesses as (port, direction, value, by).
fn ports(v: &serde_json::Value) -> Vec<(u64, String, u64, String)> {
    v["port_io"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            (p["port"].as_u64().unwrap(), s("dir"), p["value"].as_u64().unwrap(), s("by"))
        })
        .collect()
}

#[test]
fn a_program_importing_the_library_reaches_the_port_through_its_driver() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app("inpout_client", arch, true);
        let out = console(&v);
        assert_eq!(code, 0, "{arch}:\n{out}");
        for line in [
            "driver open 1".to_string(),
            "attached 1".into(),
            // The TLS callback ran before DllMain, and the thread's TLS block holds the
            // image's template (01 02 03 04).
            "tls callback calls 1".into(),
            format!("tls data {}", 0x0403_0201),
            "module handle found 1".into(),
            "GetProcAddress Inp32 is the import 1".into(),
            format!("library path C:\\Program Files\\inpout_client\\inpout.{arch}.dll"),
            format!("program path C:\\Program Files\\inpout_client\\inpout_client.{arch}.exe"),
            "0x378 reads back 85".into(),
            "0x378 reads back 240".into(),
        ] {
            assert!(out.contains(&line), "{arch}: {line:?} in\n{out}");
        }
        let driver = format!("inpout.{arch}");
        let seen = ports(&v);
        let writes: Vec<u64> = seen.iter().filter(|p| p.0 == 0x378 && p.1 == "out").map(|p| p.2).collect();
        assert_eq!(writes, [0x55, 0xAA, 0x0F, 0xF0], "{arch}: {seen:?}");
        assert!(seen.iter().all(|p| p.3 == driver), "every access is the driver's: {seen:?}");
        // DllMain started the service (DriverEntry on the program's behalf), opened the
        // device, and closed it again when the program exited (DLL_PROCESS_DETACH).
        let entries = v["report"]["entry_points"].as_array().unwrap();
        assert!(entries[0]["target"].as_str().unwrap().contains("StartService by pid 1000"), "{entries:?}");
        let lines = driver_lines(&v);
        assert_eq!(
            lines,
            ["inpout: create by process 1000", "inpout: cleanup by process 1000", "inpout: close by process 1000"],
            "{arch}"
        );
    }
}

#[test]
fn loadlibrary_getprocaddress_and_freelibrary_follow_the_reference_count() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app("inpout_dynamic", arch, true);
        let out = console(&v);
        assert_eq!(code, 0, "{arch}:\n{out}");
        for line in [
            "1: loaded before LoadLibrary 0",
            "2: LoadLibraryA 1",
            "3: GetProcAddress 1",
            "4: ordinal 1 is a function 1",
            "5: 0x378 reads back 165",
            "6: attach count 1",
            "7: LoadLibraryA again is the same module 1",
            "8: attach count still 1",
            "9: FreeLibrary (one of two) 1",
            "10: still loaded 1",
            "11: FreeLibrary (the last) 1",
            "12: gone 1",
            "13:   error 126",
            "14: LoadLibraryA missing.dll 1",
            "15:   error 126",
            "16: LoadLibraryA after unloading 1",
            // A fresh mapping: its data is the file's again.
            "17: attach count after reloading 1",
            "18: GetProcAddress Nope 1",
            "19:   error 127",
            "20: FreeLibrary (not a module) 0",
            "21:   error 126",
            "22: kernel32's GetTickCount through GetProcAddress 1",
            "23: GetProcAddress kernel32 Nope 1",
        ] {
            assert!(out.contains(line), "{arch}: {line:?} in\n{out}");
        }
        // Opened at each load, closed at the unload (FreeLibrary) and at exit.
        let lines = driver_lines(&v);
        assert_eq!(lines.iter().filter(|l| l.contains("create")).count(), 2, "{arch}: {lines:?}");
        assert_eq!(lines.iter().filter(|l| l.contains("close")).count(), 2, "{arch}: {lines:?}");
    }
}

#[test]
fn a_program_whose_library_is_missing_is_refused_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/inpout_client.x86.exe"))
        .args(["--driver", &format!("{DIR}/inpout.x86.sys")])
        .output()
        .expect("run portcullis");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("imports are not implemented") && err.contains("inpout.x86.dll!Out32@8"), "{err}");
}

/// The corpus scenario `corpus/inpout/clients.toml` runs both programs as steps and as
/// `[[programs]]`; an expectation a program does not meet fails the run, naming it.
#[test]
fn scenarios_run_programs_and_check_their_exit_and_console() {
    for arch in ["x86", "x64"] {
        let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["run", &format!("{DIR}/inpout.{arch}.sys"), "--scenario", &format!("{DIR}/clients.toml")])
            .args(["--format", "json"])
            .output()
            .expect("run portcullis");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{arch}: {}", v["failed_expectations"]);
        let processes: Vec<&str> = v["entry_points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "process")
            .map(|e| e["target"].as_str().unwrap())
            .collect();
        assert_eq!(
            processes,
            [format!("inpout_client.{arch}.exe (pid 1000)"), format!("inpout_dynamic.{arch}.exe (pid 1004)")]
        );
    }
    let dir = std::env::temp_dir().join(format!("portcullis-programs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["inpout_client.x86.exe", "inpout.x86.dll"] {
        std::fs::copy(format!("{DIR}/{f}"), dir.join(f)).unwrap();
    }
    let scenario = dir.join("wrong.toml");
    std::fs::write(
        &scenario,
        "[[steps]]\nprogram = 'inpout_client.{arch}.exe'\ndlls = ['inpout.{arch}.dll']\nexpect_exit = 1\nexpect_console = 'no such line'\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["run", &format!("{DIR}/inpout.x86.sys"), "--scenario", scenario.to_str().unwrap(), "--format", "json"])
        .output()
        .expect("run portcullis");
    let _ = std::fs::remove_dir_all(&dir);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let failed = v["failed_expectations"].to_string();
    assert!(failed.contains("exited with STATUS_SUCCESS"), "{failed}");
    assert!(failed.contains("does not hold \\\"no such line\\\""), "{failed}");
}
