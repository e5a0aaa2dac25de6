//! A new device object's queue fields as IoCreateDevice leaves them (corpus/devqueue, both
//! architectures): an idle, initialised DeviceQueue a driver can lock, walk and use without
//! initialising it itself (cpqss.sys flushes it on removal), an empty Queue.ListEntry on a
//! file system's device, and the sector size of a disk.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

#[test]
fn device_queue_is_initialised_by_io_create_device() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/devqueue");
    for arch in ["x86", "x64"] {
        let out = Command::new(BIN)
            .args(["run", &format!("{dir}/devqueue.{arch}.sys"), "--scenario", &format!("{dir}/devqueue.toml")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        // The scenario's expect_output checks each field (see devqueue.toml).
        assert!(text.contains("steps: 4 of 4 steps passed"), "{arch}:\n{text}");
        assert!(text.contains("leaks: none"), "{arch}:\n{text}");
        assert!(text.contains("outcome: ok"), "{arch}:\n{text}");
    }
}
