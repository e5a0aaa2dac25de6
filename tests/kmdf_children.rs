//! KMDF child PDOs end to end (corpus/kmdfbus, both architectures): the FDO's static child is
//! enumerated from its BusRelations (IDs, text and capabilities answered by the framework's
//! PDO), started raw with its own PnP/power callbacks, marked missing, removed and deleted,
//! and the scenario's assertions on the driver's own counters pass.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

fn run(arch: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/kmdfbus");
    let out = Command::new(BIN)
        .args(["run", &format!("{dir}/kmdfbus.{arch}.sys"), "--scenario", &format!("{dir}/kmdfbus.toml")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn static_child_is_enumerated_started_and_removed() {
    for arch in ["x86", "x64"] {
        let text = run(arch);
        let line = |needle: &str| text.lines().any(|l| l.contains(needle) && l.contains("STATUS_SUCCESS"));
        // The bus's PDO is \Device\00000042; the child is the next of the series.
        for what in [
            "IRP_MN_QUERY_ID DeviceID \\Device\\00000043",
            "IRP_MN_QUERY_ID HardwareIDs \\Device\\00000043",
            "IRP_MN_QUERY_ID InstanceID \\Device\\00000043",
            "IRP_MN_QUERY_DEVICE_TEXT \\Device\\00000043",
            "IRP_MN_QUERY_CAPABILITIES \\Device\\00000043",
            "IRP_MN_START_DEVICE \\Device\\00000043",
        ] {
            assert!(line(what), "{arch}: no successful {what}:\n{text}");
        }
        // After WdfPdoMarkMissing: the relations again, then the child's removal.
        let relations = text.lines().filter(|l| l.contains("IRP_MN_QUERY_DEVICE_RELATIONS \\Device\\00000042")).count();
        assert_eq!(relations, 2, "{arch}:\n{text}");
        assert!(text.contains("steps: 6 of 6 steps passed"), "{arch}:\n{text}");
        assert!(text.contains("leaks: none"), "{arch}:\n{text}");
        assert!(text.contains("outcome: ok"), "{arch}:\n{text}");
    }
}
