//! Structured exception handling in user programs (hle/src/seh/user.rs), on x86 and x64:
//! `corpus/seh/user_seh`, built with clang for the MSVC targets, catches an access violation
//! (its record's parameters as Windows fills them), the privileged instruction an out to a
//! port it was not given raises, a division by zero through a __finally (filter, then the
//! __finally as the handler unwinds, then the __except block), a fault an inner filter
//! declines, and steps over ud2 from a filter that continues execution; RaiseException's
//! exceptions are caught with their arguments, continued (RaiseException returns), and when
//! noncontinuable, continuing one is STATUS_NONCONTINUABLE_EXCEPTION; a filter asks
//! UnhandledExceptionFilter, which asks the top-level filter; msvcrt's _XcptFilter leaves an
//! exception with no signal handler to that filter and calls a SIGILL handler the program
//! set, then continues; its last division by zero is
//! unhandled: the top-level filter sees it and the process ends with its code.

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/seh");

fn run_app(arch: &str) -> (i32, serde_json::Value) {
    run_program("user_seh", arch)
}

fn run_program(program: &str, arch: &str) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/{program}.{arch}.exe"))
        .args(["--driver", &format!("{DIR}/seh.{arch}.sys"), "--format", "json"])
        .output()
        .expect("run portcullis");
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

#[test]
fn a_programs_handlers_take_its_exceptions_and_the_top_level_filter_the_last() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app(arch);
        assert_ne!(code, 0, "{arch}: the process ended by an exception");
        let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("{arch}: no console: {v}"));
        for line in [
            "1: access violation writing 0x10 caught\n",
            "2: out 0x80 is a privileged instruction until a driver opens the port\n",
            "3: tfFe\n",
            "4: the inner filter declined, the outer one took it\n",
            "5: execution continued after ud2\n",
            "6: RaiseException's record caught\n",
            "7: RaiseException returned after the filter continued\n",
            "8: continuing a noncontinuable exception is STATUS_NONCONTINUABLE_EXCEPTION\n",
            "top-level filter: 3758096393\n9: UnhandledExceptionFilter asked the top-level filter\n",
            "top-level filter: 3221225477\n10: _XcptFilter with no signal handler: the top-level filter decided\n",
            "SIGILL handler: 4\n11: continued after the SIGILL handler\n",
            "all exceptions as Windows dispatches them\n",
            "top-level filter: 3221225620\n",
        ] {
            assert!(console.contains(line), "{arch}: {line:?} in\n{console}");
        }
        assert!(!console.contains("12:"), "{arch}: nothing runs after an unhandled exception:\n{console}");
        assert_eq!(v["program"]["exit_code"], 0xC000_0094u32, "{arch}: STATUS_INTEGER_DIVIDE_BY_ZERO");
        // The faulting division is what the report names.
        let reason = v["program"]["exception"][1].as_str().unwrap_or_default();
        assert!(reason.contains("idiv"), "{arch}: {reason}");

        let exceptions = v["report"]["exceptions"].as_array().unwrap_or_else(|| panic!("{arch}: {v}"));
        let seen: Vec<(&str, &str)> = exceptions
            .iter()
            .map(|e| (e["code_name"].as_str().unwrap_or("?"), e["outcome"].as_str().unwrap_or("?")))
            .collect();
        assert_eq!(
            seen,
            [
                ("STATUS_ACCESS_VIOLATION", "handled"),
                ("STATUS_PRIVILEGED_INSTRUCTION", "handled"),
                ("STATUS_INTEGER_DIVIDE_BY_ZERO", "handled"),
                ("STATUS_ACCESS_VIOLATION", "handled"),
                ("STATUS_ILLEGAL_INSTRUCTION", "continued"),
                ("?", "handled"),
                ("?", "continued"),
                // Raised while the noncontinuable one was dispatched: it ends first.
                ("STATUS_NONCONTINUABLE_EXCEPTION", "handled"),
                ("?", "handled"),
                ("?", "handled"),
                ("STATUS_ACCESS_VIOLATION", "handled"),
                ("STATUS_ILLEGAL_INSTRUCTION", "continued"),
                ("STATUS_INTEGER_DIVIDE_BY_ZERO", "unhandled"),
            ],
            "{arch}"
        );
        // An access violation's parameters: a write (1) of 0x10.
        assert_eq!(exceptions[0]["params"], serde_json::json!(["0x1", "0x10"]), "{arch}");
        // The program resumed in its own image each time, and after ud2 on the next instruction.
        for e in &exceptions[..4] {
            let at = e["resumed_in"].as_str().unwrap_or_default();
            assert!(at.starts_with(&format!("user_seh.{arch}.exe+")), "{arch}: {e}");
        }
        let ud2 = u64::from_str_radix(exceptions[4]["address"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        let resumed =
            u64::from_str_radix(exceptions[4]["resumed_at"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        assert_eq!(resumed, ud2 + 2, "{arch}");
        // RaiseException's: the codes, RaiseException's own address, the arguments.
        let codes: Vec<&str> = exceptions[5..10].iter().map(|e| e["code"].as_str().unwrap_or("?")).collect();
        assert_eq!(codes, ["0xe0000001", "0xe0000002", "0xc0000025", "0xe0000003", "0xe0000009"], "{arch}");
        assert_eq!(exceptions[5]["location"], "kernel32.dll!RaiseException", "{arch}");
        assert_eq!(exceptions[5]["params"], serde_json::json!(["0x1", "0x2", "0x3"]), "{arch}");
        assert_eq!(exceptions[8]["flags"], 1, "{arch}: EXCEPTION_NONCONTINUABLE");
        // The denied port never reached the bus.
        let ports = v["port_io"].to_string();
        assert!(ports.contains("denied"), "{arch}: {ports}");
    }
}

/// `corpus/seh/user_unwind`: the unwinding routines a static MSVC runtime imports from
/// kernel32. x86: RtlUnwind to a caller's registration calls the two handlers above it with
/// STATUS_UNWIND and returns the return value; to a target below the chain it raises
/// STATUS_INVALID_UNWIND_TARGET, which a __try takes. x64: a stack walk with
/// RtlCaptureContext / RtlLookupFunctionEntry / RtlVirtualUnwind names the functions walked;
/// RtlUnwindEx runs the __finally between and resumes the target frame with the return
/// value. Both: RtlPcToFileHeader and the S-list routines (the program checks each and
/// prints what failed).
#[test]
fn a_programs_runtime_unwinds_through_kernel32() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_program("user_unwind", arch);
        let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("{arch}: no console: {v}"));
        assert!(!console.contains("FAILED"), "{arch}:\n{console}");
        assert!(console.contains("unwinding as a C runtime asks for it\n"), "{arch}:\n{console}");
        assert_eq!((code, &v["program"]["exit_code"]), (0, &serde_json::json!(0)), "{arch}: {v}");
        let exceptions = v["report"]["exceptions"].as_array().cloned().unwrap_or_default();
        let seen: Vec<&str> = exceptions.iter().map(|e| e["code_name"].as_str().unwrap_or("?")).collect();
        match arch {
            "x86" => assert_eq!(seen, ["STATUS_INVALID_UNWIND_TARGET"], "{arch}: {exceptions:?}"),
            _ => assert!(seen.is_empty(), "{arch}: an unwind is no exception: {exceptions:?}"),
        }
        let calls = v["report"]["api_calls"].to_string();
        let wanted: &[&str] = match arch {
            "x86" => &["RtlUnwind", "RtlPcToFileHeader", "InterlockedPushEntrySList"],
            _ => &["RtlUnwindEx", "RtlVirtualUnwind", "RtlLookupFunctionEntry", "RtlCaptureContext"],
        };
        for name in wanted {
            assert!(calls.contains(name), "{arch}: {name} in {calls}");
        }
    }
}
