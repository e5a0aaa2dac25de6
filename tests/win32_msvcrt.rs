//! An ordinary C program (mingw-w64's start-up code and msvcrt.dll: `corpus/win32api/
//! hello_crt`) end to end on x86 and x64: its arguments, printf's formatting, the heap,
//! strings, stderr, an atexit function, main's value as exit code, and abort with a
//! SIGABRT handler.

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
