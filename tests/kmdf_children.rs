//! KMDF child PDOs end to end (corpus/kmdfbus, both architectures): the FDO's static child is
//! enumerated from its BusRelations (IDs, text and capabilities answered by the framework's
//! PDO), started raw with its own PnP/power callbacks, marked missing, removed and deleted,
//! and the scenario's assertions on the driver's own counters pass; the child's driver-defined
//! interfaces (WdfDeviceAddQueryInterface) answer IRP_MN_QUERY_INTERFACE.

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
        assert!(text.contains("steps: 7 of 7 steps passed"), "{arch}:\n{text}");
        assert!(text.contains("leaks: none"), "{arch}:\n{text}");
        assert!(text.contains("outcome: ok"), "{arch}:\n{text}");
    }
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
fn driver_defined_interfaces_are_answered() {
    for arch in ["x86", "x64"] {
        let text = run(arch);
        // The QUERY step's expectations (corpus/kmdfbus/kmdfbus.toml) hold: each
        // interface answered, referenced and dereferenced as the scenario says.
        assert!(text.lines().any(|l| l.contains("0x8000240c") && l.contains("STATUS_SUCCESS")), "{arch}:\n{text}");
        assert!(text.contains("steps: 7 of 7 steps passed"), "{arch}:\n{text}");
        // Four on the child, the FDO's, and the two the framework refused.
        assert_eq!(calls(&text, "WdfDeviceAddQueryInterface"), Some(7), "{arch}:\n{text}");
        assert_eq!(calls(&text, "WdfFdoQueryForInterface"), Some(2), "{arch}:\n{text}");
        // D's InterfaceReference (by the framework) and InterfaceDereference (by the driver).
        assert_eq!(calls(&text, "FxInterfaceNoOp"), Some(2), "{arch}:\n{text}");
    }
}
