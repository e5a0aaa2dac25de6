//! ZwLoadDriver and ZwUnloadDriver: a second driver loaded from its service key's image on
//! the C: volume, its DriverEntry and DriverUnload run, and the statuses Windows returns
//! otherwise; both architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::layout::{FieldAccess, DRIVER_OBJECT};

const SERVICES: &str = "\\Registry\\Machine\\System\\CurrentControlSet\\Services";
const REG_EXPAND_SZ: u32 = 2;
const STATUS_INVALID_DEVICE_REQUEST: u32 = 0xC000_0010;
const STATUS_OBJECT_NAME_NOT_FOUND: u32 = 0xC000_0034;
const STATUS_OBJECT_NAME_COLLISION: u32 = 0xC000_0035;
const STATUS_OBJECT_PATH_NOT_FOUND: u32 = 0xC000_003A;
const STATUS_INVALID_IMAGE_FORMAT: u32 = 0xC000_007B;
const STATUS_IMAGE_ALREADY_LOADED: u32 = 0xC000_010E;
const STATUS_DRIVER_ENTRYPOINT_NOT_FOUND: u32 = 0xC000_0263;

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
}

/// A service key `name` whose ImagePath is `image` (none when empty).
fn service(fx: &mut Fx, name: &str, image: &str) -> u64 {
    let key = format!("{SERVICES}\\{name}");
    let value = (!image.is_empty()).then(|| ("ImagePath", REG_EXPAND_SZ, utf16z(image)));
    assert!(portcullis_hle::cm::seed_value(&mut fx.k, &key.replace("CurrentControlSet", "ControlSet001"), value));
    fx.ustr(&key)
}

fn driver_object(fx: &Fx, name: &str) -> Option<u64> {
    fx.k.ext().objects.lookup(&format!("\\Driver\\{name}")).map(|e| e.object)
}

#[test]
fn a_second_driver_loads_from_its_service_key_and_unloads() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "\\Tools\\second.sys", corpus_bytes("beeper", arch)));
        let key = service(&mut fx, "Second", "\\??\\C:\\Tools\\second.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[key]), 0);
        let drv = driver_object(&fx, "Second").expect("\\Driver\\Second");
        let d = fx.k.ext().drivers().iter().find(|d| d.driver_object == drv).unwrap().clone();
        assert!(d.entry_called && !d.unloaded);
        assert!(fx.k.ext().objects.lookup("\\Device\\Beeper").is_some(), "its DriverEntry ran");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[key]), STATUS_IMAGE_ALREADY_LOADED);
        // A second copy's DriverEntry fails (its device name is taken): nothing stays loaded.
        let again = service(&mut fx, "Third", "\\??\\C:\\Tools\\second.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[again]), STATUS_OBJECT_NAME_COLLISION);
        assert!(driver_object(&fx, "Third").is_none());
        assert_eq!(ok32(&mut fx, "ZwUnloadDriver", &[again]), STATUS_OBJECT_NAME_NOT_FOUND);
        // Unloading runs DriverUnload (beeper deletes its device) and forgets the driver.
        assert_eq!(ok32(&mut fx, "ZwUnloadDriver", &[key]), 0);
        assert!(fx.k.ext().objects.lookup("\\Device\\Beeper").is_none());
        assert!(driver_object(&fx, "Second").is_none());
        assert!(fx.k.ext().drivers().iter().find(|d| d.driver_object == drv).unwrap().unloaded);
        assert_eq!(ok32(&mut fx, "ZwUnloadDriver", &[key]), STATUS_OBJECT_NAME_NOT_FOUND);
        // Loaded again under its own name, it runs again.
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[key]), 0);
        assert!(fx.k.ext().objects.lookup("\\Device\\Beeper").is_some());
    }
}

#[test]
fn the_image_path_defaults_and_the_errors_windows_returns() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // No ImagePath: \SystemRoot\System32\drivers\<name>.sys.
        assert!(portcullis_hle::fs::seed_file(
            &mut fx.k,
            "\\Windows\\System32\\drivers\\Defaulted.sys",
            corpus_bytes("beeper", arch)
        ));
        let key = service(&mut fx, "Defaulted", "");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[key]), 0);
        // A driver without an unload routine stays.
        let drv = driver_object(&fx, "Defaulted").unwrap();
        fx.k.mem_mut().set(drv, DRIVER_OBJECT::DriverUnload, 0).unwrap();
        assert_eq!(ok32(&mut fx, "ZwUnloadDriver", &[key]), STATUS_INVALID_DEVICE_REQUEST);

        // A relative ImagePath is under \SystemRoot: found and run (its device name is taken).
        let relative = service(&mut fx, "Relative", "System32\\drivers\\Defaulted.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[relative]), STATUS_OBJECT_NAME_COLLISION);

        let nokey = fx.ustr(&format!("{SERVICES}\\Nothing"));
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[nokey]), STATUS_OBJECT_NAME_NOT_FOUND);
        let nofile = service(&mut fx, "NoFile", "\\SystemRoot\\System32\\drivers\\nofile.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[nofile]), STATUS_OBJECT_NAME_NOT_FOUND);
        let nodir = service(&mut fx, "NoDir", "\\??\\C:\\Nowhere\\x.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[nodir]), STATUS_OBJECT_PATH_NOT_FOUND);
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "\\Tools\\junk.sys", b"MZ not really".to_vec()));
        let junk = service(&mut fx, "Junk", "\\??\\C:\\Tools\\junk.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[junk]), STATUS_INVALID_IMAGE_FORMAT);
        let other = if arch == Arch::X86 { Arch::X64 } else { Arch::X86 };
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "\\Tools\\other.sys", corpus_bytes("beeper", other)));
        let wrong = service(&mut fx, "Other", "\\??\\C:\\Tools\\other.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[wrong]), STATUS_INVALID_IMAGE_FORMAT);
        // An import nothing exports: refused, and nothing is left behind.
        assert!(portcullis_hle::fs::seed_file(&mut fx.k, "\\Tools\\missing.sys", corpus_bytes("missing", arch)));
        let missing = service(&mut fx, "Missing2", "\\??\\C:\\Tools\\missing.sys");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[missing]), STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
        assert!(driver_object(&fx, "Missing2").is_none());
    }
}

/// A driver installed but not started (loaded before the run, DriverEntry not run yet: what
/// `run-app` without `--start` leaves) is started by loading its service, once.
#[test]
fn loading_an_installed_driver_that_was_not_started_runs_its_driver_entry() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let d = portcullis_hle::loader::load(&mut fx.k, "beeper", &corpus_bytes("beeper", arch)).unwrap();
        assert!(!fx.k.ext().drivers()[d].entry_called);
        let key = fx.ustr(&format!("{SERVICES}\\beeper"));
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[key]), 0);
        assert!(fx.k.ext().drivers()[d].entry_called, "the installed driver's DriverEntry ran");
        assert!(fx.k.ext().objects.lookup("\\Device\\Beeper").is_some());
        assert_eq!(fx.k.ext().drivers().len(), d + 1, "no second copy was loaded");
        assert_eq!(ok32(&mut fx, "ZwLoadDriver", &[key]), STATUS_IMAGE_ALREADY_LOADED);
    }
}
