//! The locale end to end (win32/src/kernel32/locale.rs, ctype.rs, sort.rs):
//! `corpus/win32api/locale_tour` asks for the locale's identity, GetLocaleInfo's values and
//! errors, character types (GetStringType A/W/Ex, CT_CTYPE1), case mappings (LCMapString
//! A/W, sizes and errors) and the linguistic sort (CompareString A/W with its flags,
//! lstrcmp/lstrcmpi A/W) on x86 and x64, compares each answer with Windows 7's (en-US), and
//! names each that disagrees.

use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/win32api");

#[test]
fn a_program_sees_the_locale_windows_7_english_has() {
    for arch in ["x86", "x64"] {
        let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .arg("run-app")
            .arg(format!("{DIR}/locale_tour.{arch}.exe"))
            .args(["--driver", &format!("{DIR}/win32api.{arch}.sys"), "--format", "json"])
            .output()
            .expect("run portcullis");
        let text = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("{arch}: no console: {v}"));
        assert!(!console.contains("FAILED"), "{arch}:\n{console}");
        assert_eq!(console, "locale as Windows answers\n", "{arch}");
        assert_eq!(v["program"]["exit_code"], 0, "{arch}");
        let calls = v["report"]["api_calls"].to_string();
        for name in [
            "GetUserDefaultLCID",
            "GetSystemDefaultLCID",
            "GetThreadLocale",
            "GetUserDefaultLangID",
            "GetSystemDefaultLangID",
            "GetUserDefaultUILanguage",
            "IsValidLocale",
            "GetLocaleInfoA",
            "GetLocaleInfoW",
            "GetStringTypeW",
            "GetStringTypeA",
            "GetStringTypeExA",
            "GetStringTypeExW",
            "LCMapStringW",
            "LCMapStringA",
            "CompareStringW",
            "CompareStringA",
            "lstrcmpA",
            "lstrcmpW",
            "lstrcmpiA",
            "lstrcmpiW",
        ] {
            assert!(calls.contains(&format!("\"{name}\"")), "{arch}: {name} in {calls}");
        }
    }
}
