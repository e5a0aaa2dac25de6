//! IoWMIOpenBlock, IoWMIQuerySingleInstance and IoWMISetSingleInstance through the real
//! stubs on both architectures: a data block object opens for any GUID, its queries and sets
//! find no provider (STATUS_WMI_GUID_NOT_FOUND), the access it was opened for is checked, and
//! it goes with its last reference.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok, ok32};
use common::*;

const WMIGUID_QUERY: u64 = 1;
const WMIGUID_SET: u64 = 2;
const GUID_NOT_FOUND: u32 = 0xC000_0295;
const ACCESS_DENIED: u32 = 0xC000_0022;

#[test]
fn data_blocks_open_and_find_no_provider() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // MSAcpi_ThermalZoneTemperature's GUID: no driver here provides it.
        let guid =
            fx.put(&[0x57, 0x80, 0x1c, 0xa1, 0x12, 0x8a, 0xd3, 0x11, 0x9e, 0x18, 0x00, 0x00, 0xf8, 0x75, 0x7a, 0x8d]);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "IoWMIOpenBlock", &[guid, WMIGUID_QUERY, out]), 0, "{arch:?}");
        let block = fx.read_ptr(out);
        assert!(fx.k.ext().objects.get(block).is_some_and(|o| o.references == 1), "{arch:?}");
        let instance = fx.ustr("ACPI\\ThermalZone\\TZ00_0");
        let size = fx.put(&0x100u32.to_le_bytes());
        let buffer = fx.alloc(0x100);
        let st = ok32(&mut fx, "IoWMIQuerySingleInstance", &[block, instance, size, buffer]);
        assert_eq!(st, GUID_NOT_FOUND, "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(size).unwrap(), 0x100, "{arch:?}: the size is left as it was");
        let st = ok32(&mut fx, "IoWMISetSingleInstance", &[block, instance, 1, 4, buffer]);
        assert_eq!(st, ACCESS_DENIED, "{arch:?}: opened for queries only");
        ok(&mut fx, "ObfDereferenceObject", &[block]);
        assert!(fx.k.ext().objects.get(block).is_none(), "{arch:?}: gone with its last reference");

        assert_eq!(ok32(&mut fx, "IoWMIOpenBlock", &[guid, WMIGUID_SET, out]), 0);
        let block = fx.read_ptr(out);
        assert_eq!(ok32(&mut fx, "IoWMISetSingleInstance", &[block, instance, 1, 4, buffer]), GUID_NOT_FOUND);
        assert_eq!(ok32(&mut fx, "IoWMIQuerySingleInstance", &[block, instance, size, buffer]), ACCESS_DENIED);
        ok(&mut fx, "ObfDereferenceObject", &[block]);
        // Access bits WMI does not define.
        assert_eq!(ok32(&mut fx, "IoWMIOpenBlock", &[guid, 0x8000, out]), 0xC000_000D, "{arch:?}");
    }
}
