//! SeConvertStringSecurityDescriptorToSecurityDescriptor end to end (corpus/sddl, both
//! architectures): found through MmGetSystemRoutineAddress as the static wdmsec library finds
//! it, a device SDDL with inheritance flags becomes the exact self-relative descriptor the
//! scenario spells out, in pool the driver frees; a wrong revision, malformed text and a
//! domain group are refused with STATUS_UNKNOWN_REVISION, STATUS_INVALID_PARAMETER and
//! STATUS_NONE_MAPPED.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

#[test]
fn sddl_strings_become_self_relative_descriptors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/sddl");
    for arch in ["x86", "x64"] {
        let out = Command::new(BIN)
            .args(["run", &format!("{dir}/sddl.{arch}.sys"), "--scenario", &format!("{dir}/sddl.toml")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        // The scenario's expect_output holds the descriptor's bytes and the refusals.
        assert!(text.contains("steps: 4 of 4 steps passed"), "{arch}:\n{text}");
        assert!(text.contains("leaks: none"), "{arch}:\n{text}");
        assert!(text.contains("outcome: ok"), "{arch}:\n{text}");
    }
}
