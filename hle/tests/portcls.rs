//! portcls.sys through the audioadapter corpus driver, both architectures: the adapter
//! device portcls makes, the StartDevice it calls at the PnP start, the ports (COM objects in
//! guest memory) initialized over the driver's miniports, the subdevices, the connection and
//! the power interface it records, and what the device's removal releases.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::*;

use portcullis_hle::pnp::{self, DeviceConfig, Resource};
use portcullis_hle::portcls::Kind;

fn adapter(arch: Arch) -> (portcullis_hle::kernel::Kx, usize) {
    let (mut k, d) = started("audioadapter", arch);
    let resources = vec![Resource::Port { start: 0x220, length: 0x10 }, Resource::Interrupt { irq: 5 }];
    pnp::configure(&mut k, DeviceConfig { resources, ..Default::default() });
    let sent = pnp::start(&mut k, d).expect("start runs");
    let start = sent.iter().find(|s| s.what == "IRP_MN_START_DEVICE").expect("a start");
    assert_eq!(start.status.map(|s| s.0), Some(0), "{arch:?}: StartDevice succeeded");
    (k, d)
}

#[test]
fn the_start_makes_two_initialized_ports_registered_and_connected() {
    for arch in both() {
        let (k, _) = adapter(arch);
        let pc = &k.ext().portcls;
        assert_eq!(pc.adapters.len(), 1, "{arch:?}: one adapter device (the too-small extension refused)");
        let (&fdo, a) = pc.adapters.iter().next().unwrap();
        assert_ne!(a.power, 0, "IAdapterPowerManagement kept");
        assert_eq!(a.max_objects, 2);
        let names: Vec<&str> = pc.subdevices.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Topology", "Wave"]);
        assert!(pc.subdevices.iter().all(|s| s.device == fdo));
        // The ports live while their subdevices hold them (the driver released its own
        // references); the service group and the resource list are gone.
        let kinds: Vec<Kind> = pc.objects.values().map(|o| o.kind).collect();
        assert_eq!(kinds.len(), 2, "{arch:?}: {kinds:?}");
        for s in &pc.subdevices {
            let o = &pc.objects[&s.port];
            assert_eq!(o.refs, 1, "held by its subdevice only");
            assert_ne!(o.miniport, 0, "initialized");
        }
        let topology = &pc.objects[&pc.subdevices[0].port];
        assert_eq!((topology.kind, topology.pins, topology.nodes), (Kind::PortTopology, 4, 2));
        let wave = &pc.objects[&pc.subdevices[1].port];
        assert_eq!((wave.kind, wave.pins, wave.nodes), (Kind::PortWaveCyclic, 2, 1));
        assert_eq!(pc.connections, vec![(fdo, pc.subdevices[1].port, 1, pc.subdevices[0].port, 0)]);
        let lines = debug_lines(&k);
        assert!(lines.iter().any(|l| l.contains("untranslated interrupt 5")), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("2 miniport Init(s), 2 description(s), 1 service(s)")), "{lines:?}");
    }
}

#[test]
fn removing_the_device_releases_its_ports_and_power_interface() {
    for arch in both() {
        let (mut k, d) = adapter(arch);
        pnp::remove(&mut k, d).expect("remove runs");
        let pc = &k.ext().portcls;
        assert!(pc.adapters.is_empty(), "{arch:?}: the adapter device is gone");
        assert!(pc.subdevices.is_empty() && pc.connections.is_empty());
        assert!(pc.objects.is_empty(), "the last references to the ports went with the subdevices");
    }
}
