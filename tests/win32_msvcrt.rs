//! An ordinary C program (mingw-w64's start-up code and msvcrt.dll: `corpus/win32api/
//! hello_crt`) end to end on x86 and x64: its arguments, printf's formatting, the heap,
//! strings, stderr, an atexit function, main's value as exit code, and abort with a
//! SIGABRT handler; the C runtime's files (files_crt) and floating-point control word (fpu_crt).

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");

fn run(arch: &str, args: &[&str]) -> (u64, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/win32api/hello_crt.{arch}.exe"))
        .args(args)
        .args(["--driver", &format!("{DIR}/inpout/inpout.{arch}.sys"), "--format", "json"])
        .output()
        .expect("run portcullis");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let p = &v["program"];
    (p["exit_code"].as_u64().unwrap(), p["console"].as_str().unwrap().to_string())
}

#[test]
fn a_c_runtime_program_runs_main_and_its_exit_functions() {
    for arch in ["x86", "x64"] {
        let (code, out) = run(arch, &["a", "b c", "7"]);
        assert_eq!(code, 7, "{arch}: main's value\n{out}");
        let expected = format!(
            "argc 4\nlocale C .\nargv[0] = [hello_crt.{arch}.exe]\nargv[1] = [a]\nargv[2] = [b c]\nargv[3] = [7]\n\
             hello!!! 8 beef  3.14|ab  |\nstrchr 2 strncmp 0 atoi -42\ncalloc zeroed 1\n\
             to stderr No such file or directory\nfwrite\natexit: goodbye\n"
        );
        assert_eq!(out, expected, "{arch}");
    }
}

#[test]
fn abort_calls_the_sigabrt_handler_and_exits_with_3() {
    for arch in ["x86", "x64"] {
        let (code, out) = run(arch, &["abort"]);
        assert_eq!(code, 3, "{arch}\n{out}");
        assert!(out.contains("requested the Runtime to terminate it in an unusual way"), "{out}");
        assert!(out.ends_with("SIGABRT handler: signal 22\n"), "{arch}: the handler, and no atexit function\n{out}");
    }
}

/// `corpus/crt/files_crt`: fopen's modes on the C: volume (text mode's "\r\n" on the
/// volume, "\n" for the program, Ctrl-Z ending a text read), append, fseek/ftell/rewind,
/// binary fwrite/fread, the indicators, failures with their errno, and getchar, fgets(stdin)
/// and _getch reading the run's standard input.
#[test]
fn c_runtime_files_and_console_input_behave_as_msvcrt() {
    for arch in ["x86", "x64"] {
        let input = std::env::temp_dir().join(format!("files_crt_stdin_{}_{arch}", std::process::id()));
        std::fs::write(&input, "hi there\nxyz\n").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .arg("run-app")
            .arg(format!("{DIR}/crt/files_crt.{arch}.exe"))
            .args(["--driver", &format!("{DIR}/crt/crt.{arch}.sys"), "--format", "json", "--stdin"])
            .arg(&input)
            .output()
            .expect("run portcullis");
        let _ = std::fs::remove_file(&input);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
        let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("{arch}: {v}"));
        assert_eq!(v["program"]["exit_code"], 0, "{arch}: every answer as msvcrt gives it:\n{console}");
        assert!(!console.contains("expected"), "{arch}: {console}");
        for line in [
            "fprintf = 14",
            "bytes on the volume = 16\n  byte 5 is CR = 13",
            "fgets = \"beta 42\n\"\nfgets at the end is NULL = 1\n  feof = 1",
            "fputs on a read-only stream = -1\n  ferror = 1",
            "ftell = 23",
            "getc (CR LF reads as LF) = 10\n  ftell = 7",
            "fread(rt) stops at Ctrl-Z = 3",
            "fopen of a missing directory = 1\n  errno = 2",
            "fopen with a bad mode = 1\n  errno = 22",
            "getchar = 104\nfgets(stdin) = \"i there\n\"\n_getch = 120\ngetchar = 121",
        ] {
            assert!(console.contains(line), "{arch}: {line:?} in\n{console}");
        }
        // The file the program made is on the volume's record of changes.
        let changes = v["report"]["file_changes"].to_string();
        assert!(changes.contains("crt_notes.txt"), "{arch}: {changes}");
    }
}

/// `corpus/crt/fpu_crt`: _controlfp reads the word the start-up code left (mingw-w64's
/// fninit puts the x87 unit at 64-bit precision on x86), sets rounding toward zero, the
/// precision (x86) and an exception mask, which the processor's own registers show (fnstcw,
/// stmxcsr), and puts everything back.
#[test]
fn controlfp_changes_the_processors_control_words() {
    for arch in ["x86", "x64"] {
        let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .arg("run-app")
            .arg(format!("{DIR}/crt/fpu_crt.{arch}.exe"))
            .args(["--driver", &format!("{DIR}/crt/crt.{arch}.sys"), "--format", "json"])
            .output()
            .expect("run portcullis");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
        let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("{arch}: {v}"));
        assert_eq!(v["program"]["exit_code"], 0, "{arch}: every answer as msvcrt gives it:\n{console}");
        let mut lines = vec![
            "_controlfp(0, 0) = 0x8001f",
            "_controlfp(_RC_CHOP, _MCW_RC) = 0x300",
            "MXCSR rounding = 0x6000",
            "MXCSR ZM = 0",
            "put back = 0x8001f",
        ];
        if arch == "x86" {
            lines.extend(["x87 rounding = 0xc00", "_controlfp(_PC_24, _MCW_PC) = 0x20000\n  x87 precision = 0"]);
        }
        for line in lines {
            assert!(console.contains(line), "{arch}: {line:?} in\n{console}");
        }
    }
}
