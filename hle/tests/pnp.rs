//! PnP and power routines through the real stubs on both architectures: what they answer
//! for devices that are not the bus's PDOs, bad arguments, power states and system-state
//! registrations. The pnpdev corpus driver runs the start, remove and power sequences.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const NT: Dll = Dll::Ntoskrnl;
const STATUS_INVALID_DEVICE_REQUEST: u64 = 0xC000_0010;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STATUS_INVALID_PARAMETER_2: u64 = 0xC000_00F0;

fn device(fx: &mut Fx, drv: u64) -> u64 {
    let out = fx.alloc(8);
    assert_eq!(fx.call(NT, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]).unwrap(), 0);
    fx.read_ptr(out)
}

#[test]
fn pnp_routines_want_a_physical_device_object() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let fdo = device(&mut fx, drv);
        let (buf, len) = (fx.alloc(64), fx.alloc(4));
        assert_eq!(fx.call(NT, "IoGetDeviceProperty", &[fdo, 1, 64, buf, len]).unwrap(), STATUS_INVALID_DEVICE_REQUEST);
        let guid = fx.put(&[7; 16]);
        let us = fx.alloc(16);
        assert_eq!(
            fx.call(NT, "IoRegisterDeviceInterface", &[fdo, guid, 0, us]).unwrap(),
            STATUS_INVALID_DEVICE_REQUEST,
            "{arch:?}"
        );
        let h = fx.alloc(8);
        assert_eq!(
            fx.call(NT, "IoOpenDeviceRegistryKey", &[fdo, 1, 0x2_0019, h]).unwrap(),
            STATUS_INVALID_DEVICE_REQUEST
        );
        let name = fx.ustr("\\??\\ROOT#NOTHING#0000#{07070707-0707-0707-0707-070707070707}");
        assert_eq!(fx.call(NT, "IoSetDeviceInterfaceState", &[name, 1]).unwrap(), 0xC000_0034);
        // No interfaces of the class: an empty multi-string.
        let list = fx.alloc(8);
        assert_eq!(fx.call(NT, "IoGetDeviceInterfaces", &[guid, 0, 0, list]).unwrap(), 0);
        assert_eq!(fx.read(fx.read_ptr(list), 2), [0, 0]);
    }
}

#[test]
fn notifications_check_their_category_and_entry() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let (guid, entry) = (fx.put(&[9; 16]), fx.alloc(8));
        let routine = fx.thunk;
        assert_eq!(
            fx.call(NT, "IoRegisterPlugPlayNotification", &[7, 0, guid, drv, routine, 0, entry]).unwrap(),
            STATUS_INVALID_PARAMETER,
            "{arch:?}"
        );
        assert_eq!(fx.call(NT, "IoRegisterPlugPlayNotification", &[2, 0, guid, drv, routine, 0, entry]).unwrap(), 0);
        let e = fx.read_ptr(entry);
        assert_eq!(fx.call(NT, "IoUnregisterPlugPlayNotification", &[e]).unwrap(), 0);
        assert_eq!(fx.call(NT, "IoUnregisterPlugPlayNotificationEx", &[e]).unwrap(), STATUS_INVALID_PARAMETER);
    }
}

#[test]
fn power_states_and_requests() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let dev = device(&mut fx, drv);
        // DevicePowerState (1): D0 to D3 returns D0, then D3.
        assert_eq!(fx.call(NT, "PoSetPowerState", &[dev, 1, 4]).unwrap() & 0xFFFF_FFFF, 1, "{arch:?}");
        assert_eq!(fx.call(NT, "PoSetPowerState", &[dev, 1, 1]).unwrap() & 0xFFFF_FFFF, 4);
        // SystemPowerState (0) is kept apart.
        assert_eq!(fx.call(NT, "PoSetPowerState", &[dev, 0, 4]).unwrap() & 0xFFFF_FFFF, 1);
        assert_eq!(portcullis_hle::po::device_state(&fx.k, dev), 1);
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "PoRequestPowerIrp", &[dev, 7, 4, 0, 0, out]).unwrap(), STATUS_INVALID_PARAMETER_2);
        let h = fx.call(NT, "PoRegisterSystemState", &[0, 0x8000_0001]).unwrap();
        assert_ne!(h, 0);
        assert_eq!(fx.call(NT, "PoRegisterSystemState", &[h, 1]).unwrap(), h, "the same handle, new flags");
        fx.call(NT, "PoUnregisterSystemState", &[h]).unwrap();
        fx.call(NT, "PoSetSystemState", &[1]).unwrap();
        fx.call(NT, "PoStartNextPowerIrp", &[0]).unwrap();
    }
}
