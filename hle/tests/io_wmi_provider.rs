//! IoWMIDeviceObjectToProviderId (x64) through the real stub: the provider ID a device got
//! when it registered with WMI, 0 before and after.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok, ok32};
use common::*;

#[test]
fn a_registered_device_has_a_provider_id() {
    let (mut fx, drv) = Fx::with_driver(Arch::X64);
    let out = fx.alloc(8);
    let mut devices = vec![];
    for _ in 0..2 {
        assert_eq!(ok32(&mut fx, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]), 0);
        devices.push(fx.read_ptr(out));
    }
    assert_eq!(ok(&mut fx, "IoWMIDeviceObjectToProviderId", &[devices[0]]) as u32, 0, "not registered");
    assert_eq!(ok32(&mut fx, "IoWMIRegistrationControl", &[devices[1], 1]), 0);
    assert_eq!(ok32(&mut fx, "IoWMIRegistrationControl", &[devices[0], 1]), 0);
    assert_eq!(ok(&mut fx, "IoWMIDeviceObjectToProviderId", &[devices[1]]) as u32, 1, "registered first");
    assert_eq!(ok(&mut fx, "IoWMIDeviceObjectToProviderId", &[devices[0]]) as u32, 2);
    assert_eq!(ok32(&mut fx, "IoWMIRegistrationControl", &[devices[1], 2]), 0);
    assert_eq!(ok(&mut fx, "IoWMIDeviceObjectToProviderId", &[devices[1]]) as u32, 0, "deregistered");
    assert_eq!(ok32(&mut fx, "IoWMIRegistrationControl", &[devices[0], 2]), 0);
    for d in devices {
        ok(&mut fx, "IoDeleteDevice", &[d]);
    }
}

/// A WPP trace provider registers with a callback in place of the device object
/// (WMIREG_FLAG_CALLBACK | WMIREG_FLAG_TRACE_PROVIDER | register) and deregisters the same way.
#[test]
fn a_trace_provider_registers_its_callback() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let callback = fx.alloc(0x10);
        assert_eq!(ok32(&mut fx, "IoWMIRegistrationControl", &[callback, 0x8001_0001]), 0, "{arch:?}");
        assert_eq!(ok32(&mut fx, "IoWMIRegistrationControl", &[callback, 0x8001_0001]), 0x4000_0000, "{arch:?}: again");
        assert_eq!(ok32(&mut fx, "IoWMIRegistrationControl", &[callback, 0x8000_0002]), 0, "{arch:?}");
        assert_eq!(
            ok32(&mut fx, "IoWMIRegistrationControl", &[callback, 0x8000_0002]),
            0xC000_000D,
            "{arch:?}: not registered"
        );
    }
}
