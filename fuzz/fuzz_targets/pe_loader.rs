//! The PE loader on arbitrary bytes: parsing, the damage report `info` shows, and loading into
//! a machine (mapping, relocations, imports bound with stubs) must end in an image or a load
//! error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = portcullis::hle::loader::warnings(data);
    if portcullis::hle::loader::describe(data).is_ok() {
        // Only what parses is worth a machine (a few milliseconds each).
        let b = portcullis::Sandbox::builder()
            .missing_imports(portcullis::hle::kernel::MissingImports::Stub)
            .max_instructions(200_000);
        if let Ok(mut sb) = b.load_driver_bytes("fuzz.sys", data) {
            let _ = sb.driver_entry();
            let _ = sb.report();
        }
    }
});
