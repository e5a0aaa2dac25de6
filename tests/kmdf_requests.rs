//! KMDF requests as memory objects and parameters (corpus/kmdfctl, both architectures): a
//! write reaches the queue WdfDeviceConfigureRequestDispatching chose for it and is completed
//! with WdfRequestCompleteWithPriorityBoost; WdfRequestGetParameters reports each request's
//! type, lengths, code and offset; WdfRequestRetrieveInputMemory/OutputMemory present the
//! buffers as WDFMEMORY objects the request owns, which WdfMemoryCopyToBuffer and
//! WdfMemoryCopyFromBuffer read and fill within their bounds; a control device has no device
//! interfaces. The scenario's expectations (corpus/kmdfctl/kmdfctl.toml) hold the values.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

fn run(arch: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/kmdfctl");
    let out = Command::new(BIN)
        .args(["run", &format!("{dir}/kmdfctl.{arch}.sys"), "--scenario", &format!("{dir}/kmdfctl.toml")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The count the report's call table gives `name`.
fn calls(text: &str, name: &str) -> Option<u32> {
    text.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        let n = w.next()?.parse().ok()?;
        (w.next()? == name && w.next().is_none()).then_some(n)
    })
}

#[test]
fn requests_present_their_parameters_and_buffers_as_memory_objects() {
    for arch in ["x86", "x64"] {
        let text = run(arch);
        assert!(text.contains("steps: 16 of 16 steps passed"), "{arch}:\n{text}");
        assert!(text.contains("IRP_MJ_WRITE 5 bytes at 64"), "{arch}:\n{text}");
        for code in ["0x80002414", "0x80002418"] {
            assert!(text.lines().any(|l| l.contains(code) && l.contains("STATUS_SUCCESS")), "{arch}: {code}:\n{text}");
        }
        for (name, n) in [
            // The write queue, the same type again, IRP_MJ_CLOSE.
            ("WdfDeviceConfigureRequestDispatching", 3),
            ("WdfDeviceCreateDeviceInterface", 1),
            // The write, PARAMS, and PARAMS' call with a wrong Size.
            ("WdfRequestGetParameters", 3),
            // The write, MEMORY twice (the same handle).
            ("WdfRequestRetrieveInputMemory", 3),
            ("WdfRequestRetrieveOutputMemory", 1),
            ("WdfMemoryCopyToBuffer", 3),
            ("WdfMemoryCopyFromBuffer", 2),
            ("WdfRequestCompleteWithPriorityBoost", 2),
        ] {
            assert_eq!(calls(&text, name), Some(n), "{arch}: {name}:\n{text}");
        }
        // The request's memory objects went with their requests.
        assert!(text.contains("leaks: none"), "{arch}:\n{text}");
        assert!(text.contains("outcome: ok"), "{arch}:\n{text}");
    }
}
