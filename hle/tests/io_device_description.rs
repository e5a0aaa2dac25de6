//! IoQueryDeviceDescription through the real stub on both architectures: the machine's
//! firmware describes no adapter (STATUS_NO_MORE_ENTRIES, no callout), and a seeded
//! description is walked bus by bus and controller by controller, the callout getting the
//! key path, the numbers and each level's values.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok32, routine};
use common::*;

use portcullis_hle::cm::{user, REG_FULL_RESOURCE_DESCRIPTOR, REG_SZ};

const SYSTEM: &str = "\\Registry\\Machine\\HARDWARE\\DESCRIPTION\\System";
const ISA: u32 = 1;
const PCI: u32 = 5;
const SERIAL_CONTROLLER: u32 = 17;
const NO_MORE_ENTRIES: u32 = 0x8000_001A;

fn wide(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
}

/// A CM_FULL_RESOURCE_DESCRIPTOR with no resources: InterfaceType, BusNumber, the list's
/// Version, Revision and Count.
fn bus_data(interface: u32, number: u32) -> Vec<u8> {
    [interface, number, 0x0001_0001, 0].iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn seed(fx: &mut Fx) {
    let k = &mut fx.k;
    let made = |st: portcullis_hle::types::NtStatus| assert_eq!(st, status::SUCCESS);
    made(user::create_key(k, &format!("{SYSTEM}\\MultifunctionAdapter")).unwrap());
    for (n, interface, id) in [(0, ISA, "ISA"), (1, PCI, "PCI"), (2, ISA, "ISA")] {
        let bus = format!("{SYSTEM}\\MultifunctionAdapter\\{n}");
        made(user::create_key(k, &bus).unwrap());
        made(user::set(k, &bus, "Identifier", REG_SZ, wide(id)).unwrap());
        made(user::set(k, &bus, "Configuration Data", REG_FULL_RESOURCE_DESCRIPTOR, bus_data(interface, n)).unwrap());
    }
    made(user::create_key(k, &format!("{SYSTEM}\\MultifunctionAdapter\\0\\SerialController")).unwrap());
    for (n, id) in [(0, "COM1"), (1, "COM2")] {
        let c = format!("{SYSTEM}\\MultifunctionAdapter\\0\\SerialController\\{n}");
        made(user::create_key(k, &c).unwrap());
        made(user::set(k, &c, "Identifier", REG_SZ, wide(id)).unwrap());
    }
}

/// A callout logging its calls: [log] the count, then the last call's PathName,
/// BusNumber, ControllerNumber and ControllerInformation; it returns `result`.
fn callout(fx: &mut Fx, log: u64, result: u64) -> u64 {
    routine(fx, 11, |a, _| {
        a.inc(log).store_param(1, log + 8).store_param(3, log + 16).store_param(6, log + 24).store_param(7, log + 32);
        a.value(result);
    })
}

fn path(fx: &Fx, us: u64) -> String {
    let (len, _, buf) = fx.counted(us);
    let units: Vec<u16> = fx.read(buf, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

#[test]
fn nothing_described_means_no_callout() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let log = fx.alloc(48);
        let f = callout(&mut fx, log, 0);
        let isa = fx.put(&ISA.to_le_bytes());
        let args = [isa, 0, 0, 0, 0, 0, f, 0];
        assert_eq!(ok32(&mut fx, "IoQueryDeviceDescription", &args), NO_MORE_ENTRIES, "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(log).unwrap(), 0, "{arch:?}");
    }
}

#[test]
fn buses_and_controllers_of_the_type_asked_for_reach_the_callout() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        seed(&mut fx);
        let log = fx.alloc(48);
        let f = callout(&mut fx, log, 0);
        let (isa, pci) = (fx.put(&ISA.to_le_bytes()), fx.put(&PCI.to_le_bytes()));

        // Buses: the ISA buses are numbered 0 and 1 in the order met.
        assert_eq!(ok32(&mut fx, "IoQueryDeviceDescription", &[isa, 0, 0, 0, 0, 0, f, 0]), NO_MORE_ENTRIES);
        assert_eq!(fx.k.mem().read_u32(log).unwrap(), 2, "{arch:?}");
        assert_eq!(fx.read_ptr(log + 16) & 0xFFFF_FFFF, 1, "{arch:?}: the second ISA bus");
        assert_eq!(
            path(&fx, fx.read_ptr(log + 8)),
            format!("{SYSTEM}\\MultifunctionAdapter\\2").replace("Registry\\Machine", "REGISTRY\\MACHINE")
        );
        let one = fx.put(&0u32.to_le_bytes());
        fx.k.mem_mut().write_u32(log, 0).unwrap();
        assert_eq!(
            ok32(&mut fx, "IoQueryDeviceDescription", &[pci, one, 0, 0, 0, 0, f, 0]),
            0,
            "{arch:?}: bus 0 found"
        );
        assert_eq!(fx.k.mem().read_u32(log).unwrap(), 1, "{arch:?}");

        // Serial controllers on the ISA buses: bus 0 has two.
        fx.k.mem_mut().write_u32(log, 0).unwrap();
        let serial = fx.put(&SERIAL_CONTROLLER.to_le_bytes());
        assert_eq!(ok32(&mut fx, "IoQueryDeviceDescription", &[isa, 0, serial, 0, 0, 0, f, 0]), NO_MORE_ENTRIES);
        assert_eq!(fx.k.mem().read_u32(log).unwrap(), 2, "{arch:?}");
        assert_eq!(fx.read_ptr(log + 24) & 0xFFFF_FFFF, 1, "{arch:?}: ControllerNumber");
        assert!(path(&fx, fx.read_ptr(log + 8)).ends_with("MultifunctionAdapter\\0\\SerialController\\1"), "{arch:?}");
        // ControllerInformation[0]: the Identifier as KEY_VALUE_FULL_INFORMATION (DataOffset
        // at 8, DataLength at 12); [1] and [2]: the values the key lacks.
        let info = fx.read_ptr(log + 32);
        let ident = fx.read_ptr(info);
        let (offset, length) =
            (fx.k.mem().read_u32(ident + 8).unwrap() as u64, fx.k.mem().read_u32(ident + 12).unwrap());
        assert_eq!(fx.read(ident + offset, length as usize), wide("COM2"), "{arch:?}");
        assert_eq!(fx.read_ptr(info + arch.ptr_size()), 0, "{arch:?}");

        // A callout's failure ends the walk with its status.
        fx.k.mem_mut().write_u32(log, 0).unwrap();
        let failing = callout(&mut fx, log, 0xC000_0001);
        assert_eq!(ok32(&mut fx, "IoQueryDeviceDescription", &[isa, 0, serial, 0, 0, 0, failing, 0]), 0xC000_0001);
        assert_eq!(fx.k.mem().read_u32(log).unwrap(), 1, "{arch:?}");
    }
}
