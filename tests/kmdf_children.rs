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
        assert!(text.contains("steps: 8 of 8 steps passed"), "{arch}:\n{text}");
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
        assert!(text.contains("steps: 8 of 8 steps passed"), "{arch}:\n{text}");
        // Four on the child, the FDO's, and the two the framework refused.
        assert_eq!(calls(&text, "WdfDeviceAddQueryInterface"), Some(7), "{arch}:\n{text}");
        assert_eq!(calls(&text, "WdfFdoQueryForInterface"), Some(2), "{arch}:\n{text}");
        // D's InterfaceReference (by the framework) and InterfaceDereference (by the driver).
        assert_eq!(calls(&text, "FxInterfaceNoOp"), Some(2), "{arch}:\n{text}");
    }
}

/// The child's DeviceInit security, container ID and power capabilities, and the FDO's device
/// interfaces (corpus/kmdfbus's EXTRA step, asserted by the scenario): the driver asks the
/// child's PDO for its container ID (WdfPdoInitAssignContainerID) and capabilities
/// (WdfDeviceSetPowerCapabilities) as a requester would; an interface registered in
/// EvtDriverDeviceAdd is enabled at the start, one registered after it stays disabled
/// (IoGetDeviceInterfaces counts both); a spare DeviceInit with a malformed SDDL string fails
/// WdfDeviceCreate and is freed (WdfDeviceInitFree) without consuming a PDO name.
#[test]
fn child_security_container_power_and_device_interfaces() {
    for arch in ["x86", "x64"] {
        let text = run(arch);
        assert!(text.lines().any(|l| l.contains("0x80002410") && l.contains("STATUS_SUCCESS")), "{arch}:\n{text}");
        assert!(text.contains("steps: 8 of 8 steps passed"), "{arch}:\n{text}");
        // The spare's failed create took no name: the child is still the next of the series.
        assert!(text.contains("IRP_MN_START_DEVICE \\Device\\00000043 STATUS_SUCCESS"), "{arch}:\n{text}");
        for (name, n) in [
            ("WdfDeviceInitAssignSDDLString", 2),
            ("WdfDeviceInitFree", 1),
            ("WdfDeviceCreate", 3),
            ("WdfPdoInitAssignContainerID", 1),
            ("WdfPdoInitAllowForwardingRequestToParent", 1),
            ("WdfDeviceSetPowerCapabilities", 1),
            ("WdfDeviceCreateDeviceInterface", 2),
        ] {
            assert_eq!(calls(&text, name), Some(n), "{arch}: {name}:\n{text}");
        }
        assert!(text.contains("leaks: none"), "{arch}:\n{text}");
    }
}

fn run_enum(arch: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/kmdfenum");
    let out = Command::new(BIN)
        .args(["run", &format!("{dir}/kmdfenum.{arch}.sys"), "--scenario", &format!("{dir}/kmdfenum.toml")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Dynamic enumeration (corpus/kmdfenum): the default child list's scan at the FDO's start
/// reports two children, whose PDOs EvtChildListCreateDevice makes as the FDO answers
/// BusRelations; later additions, ejects (WdfPdoRequestEject, WdfChildListRequestChildEject),
/// updates as missing, a rescan and a second list (WdfChildListCreate) change what the next
/// BusRelations reports, and the PnP manager adds and removes the children accordingly.
#[test]
fn dynamic_children_are_created_ejected_and_reported_missing() {
    for arch in ["x86", "x64"] {
        let text = run_enum(arch);
        // Serials 1 and 2 at the start, 3 plugged in, 5 from the rescan, 7 on the second list.
        for pdo in ["00000043", "00000044", "00000045", "00000046", "00000047"] {
            let started = format!("IRP_MN_START_DEVICE \\Device\\{pdo} STATUS_SUCCESS");
            assert!(text.contains(&started), "{arch}: {pdo} not started:\n{text}");
        }
        // Serials 3 and 5 ejected: the PnP manager's eject sequence reaches EvtDeviceEject.
        for pdo in ["00000045", "00000046"] {
            let eject = format!("IRP_MN_EJECT \\Device\\{pdo} STATUS_SUCCESS");
            assert!(text.contains(&eject), "{arch}: {pdo} not ejected:\n{text}");
        }
        // The start, five changes, each followed by the FDO's relations.
        let relations = text.lines().filter(|l| l.contains("IRP_MN_QUERY_DEVICE_RELATIONS \\Device\\00000042")).count();
        assert_eq!(relations, 7, "{arch}:\n{text}");
        assert_eq!(calls(&text, "WdfChildListRetrieveNextDevice"), Some(7), "{arch}:\n{text}");
        assert!(text.contains("steps: 13 of 13 steps passed"), "{arch}:\n{text}");
        assert!(text.contains("leaks: none"), "{arch}:\n{text}");
        assert!(text.contains("outcome: ok"), "{arch}:\n{text}");
    }
}
