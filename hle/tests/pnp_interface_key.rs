//! IoOpenDeviceInterfaceRegistryKey: the `Device Parameters` key of a registered device
//! interface, made on first open, through a kernel handle; both architectures, through the
//! real stubs (the pnpdev corpus driver's device gives the PDO).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

const STATUS_OBJECT_NAME_NOT_FOUND: u32 = 0xC000_0034;
const KEY_ALL_ACCESS: u64 = 0xF003F;

#[test]
fn an_interfaces_device_parameters_key() {
    for arch in both() {
        let (mut k, d) = started("pnpdev", arch);
        portcullis_hle::pnp::start(&mut k, d).unwrap();
        let pdo = portcullis_hle::pnp::started_pdos(&k, d)[0];
        let mut fx = Fx::with(k);
        let guid = fx.put(&[0x11; 16]);
        let reference = fx.ustr("Port1");
        let link = fx.alloc(16);
        assert_eq!(ok32(&mut fx, "IoRegisterDeviceInterface", &[pdo, guid, reference, link]), 0);
        let (_, _, buffer) = fx.counted(link);
        let name = String::from_utf16_lossy(
            &fx.read(buffer, 2 * 200)
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect::<Vec<_>>(),
        );
        assert!(name.ends_with("\\Port1"), "{name}");
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "IoOpenDeviceInterfaceRegistryKey", &[link, KEY_ALL_ACCESS, out]), 0);
        let h = fx.read_ptr(out);
        assert!(is_kernel_handle(arch, h), "{h:#x}");
        let object = fx.k.ext().objects.get(lookup(&fx, h)).map(|o| o.kind);
        assert_eq!(object, Some(portcullis_hle::ob::ObjectKind::Key));
        let path = portcullis_hle::cm::key_path(&fx.k, lookup(&fx, h)).unwrap();
        assert!(
            path.to_ascii_uppercase().contains("\\CONTROL\\DEVICECLASSES\\{11111111-1111-1111-1111-111111111111}\\"),
            "{path}"
        );
        assert!(path.ends_with("\\#Port1\\Device Parameters"), "{path}");
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        let unknown = fx.ustr("\\??\\ROOT#NOTHING#0000#{07070707-0707-0707-0707-070707070707}");
        assert_eq!(
            ok32(&mut fx, "IoOpenDeviceInterfaceRegistryKey", &[unknown, KEY_ALL_ACCESS, out]),
            STATUS_OBJECT_NAME_NOT_FOUND
        );
    }
}

fn is_kernel_handle(arch: Arch, h: u64) -> bool {
    h & 0x8000_0000 != 0 && (arch == Arch::X86 || h >> 32 == 0xFFFF_FFFF)
}

fn lookup(fx: &Fx, h: u64) -> u64 {
    portcullis_hle::ob::handles::lookup(&fx.k, h, portcullis_hle::ob::handles::Mode::Kernel).unwrap().unwrap().0
}
