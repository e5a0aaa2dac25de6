//! IoInvalidateDeviceRelations and IoRequestDeviceEject: what they accept, and the PnP
//! manager's work they queue, on both architectures through the real stubs. The bus's PDO
//! is started for a driver whose AddDevice (a few guest instructions) attaches nothing.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Arch, Prot, RegionKind};
use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, DRIVER_EXTENSION, DRIVER_OBJECT};
use portcullis_hle::pnp::relations::enumerate_pending;

const NT: Dll = Dll::Ntoskrnl;

/// Boots, loads kapi, gives it an AddDevice that returns STATUS_SUCCESS, starts the bus's
/// device for it: (fixture, driver object, PDO).
fn started(arch: Arch) -> (Fx, u64, u64) {
    let (mut fx, drv) = Fx::with_driver(arch);
    let code = fx.k.mem_mut().alloc(RegionKind::System, "AddDevice", 0x1000, Prot::RWX).unwrap();
    let body: &[u8] = match arch {
        Arch::X86 => &[0x31, 0xC0, 0xC2, 0x08, 0x00], // xor eax,eax; ret 8
        Arch::X64 => &[0x31, 0xC0, 0xC3],             // xor eax,eax; ret
    };
    fx.k.mem_mut().write(code, body).unwrap();
    let ext = fx.k.mem().get(drv, DRIVER_OBJECT::DriverExtension).unwrap();
    fx.k.mem_mut().set(ext, DRIVER_EXTENSION::AddDevice, code).unwrap();
    let sent = portcullis_hle::pnp::start(&mut fx.k, 0).unwrap();
    assert!(sent
        .iter()
        .any(|s| s.what == "IRP_MN_START_DEVICE" && s.status == Some(portcullis_hle::types::NtStatus(0))));
    let pdo = portcullis_hle::pnp::started_pdos(&fx.k, 0)[0];
    (fx, drv, pdo)
}

#[test]
fn a_device_that_is_no_pdo_is_a_fatal_pnp_error() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]).unwrap(), 0);
        let fdo = fx.read_ptr(out);
        let b = bugcheck(fx.call(NT, "IoInvalidateDeviceRelations", &[fdo, 0]));
        assert_eq!((b.code, b.params[0], b.params[1]), (0xCA, 2, fdo), "{arch:?}");
        let (mut fx, _) = Fx::with_driver(arch);
        let b = bugcheck(fx.call(NT, "IoRequestDeviceEject", &[fdo]));
        assert_eq!((b.code, b.params[0]), (0xCA, 2));
    }
}

#[test]
fn invalidated_bus_relations_are_queried_later() {
    for arch in both() {
        let (mut fx, _, pdo) = started(arch);
        fx.call(NT, "IoInvalidateDeviceRelations", &[pdo, 0]).unwrap();
        fx.call(NT, "IoInvalidateDeviceRelations", &[pdo, 0]).unwrap(); // queued once
        let sent = enumerate_pending(&mut fx.k).unwrap();
        let what: Vec<&str> = sent.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(what, ["IRP_MN_QUERY_DEVICE_RELATIONS"], "{arch:?}");
        // The bus's PDO has no children: nothing new, nothing removed.
        assert!(fx.k.ext().pnp.children.is_empty());
        assert!(enumerate_pending(&mut fx.k).unwrap().is_empty());
    }
}

#[test]
fn an_eject_request_removes_the_device() {
    for arch in both() {
        let (mut fx, _, pdo) = started(arch);
        fx.call(NT, "IoRequestDeviceEject", &[pdo]).unwrap();
        // Nothing happens until the PnP manager runs.
        assert_eq!(portcullis_hle::pnp::started_pdos(&fx.k, 0), [pdo]);
        let sent = enumerate_pending(&mut fx.k).unwrap();
        let what: Vec<&str> = sent.iter().map(|s| s.what.as_str()).collect();
        // The root bus does not report EjectSupported: no IRP_MN_EJECT.
        assert_eq!(
            what,
            ["IRP_MN_QUERY_CAPABILITIES", "IRP_MN_QUERY_REMOVE_DEVICE", "IRP_MN_REMOVE_DEVICE"],
            "{arch:?}"
        );
        assert!(portcullis_hle::pnp::started_pdos(&fx.k, 0).is_empty());
    }
}
