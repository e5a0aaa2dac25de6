//! The scenario parser on arbitrary text: a scenario or a located error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = portcullis::scenario::Scenario::parse(text, "fuzz.toml") {
            // Errors point inside the text.
            assert!(e.line <= text.lines().count() + 1, "{e}");
        }
    }
});
