//! MmCreateSection and MmMapViewOfSection through the real stubs on both architectures: the
//! pagefile-backed section ZwCreateSection makes, as a referenced object, mapped by object
//! into the current process; file-backed sections refused; SeDeleteObjectAuditAlarm leaves
//! the object and its handle as they were (object access is not audited).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok, ok32};
use common::*;


/// MmMapViewOfSection into `process`: (status, base, size).
fn map(fx: &mut Fx, section: u64, process: u64, size: u64, protect: u64) -> (u32, u64, u64) {
    let (base, view) = (fx.alloc(8), fx.alloc(8));
    fx.k.mem_mut().write_u64(base, 0).unwrap();
    fx.k.mem_mut().write_ptr(view, size).unwrap();
    let st = ok32(fx, "MmMapViewOfSection", &[section, process, base, 0, 0, 0, view, 1, 0, protect]);
    (st, fx.k.mem().read_ptr(base).unwrap(), fx.k.mem().read_ptr(view).unwrap())
}

#[test]
fn section_objects_map_by_object() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        let max = fx.put(&0x2000u64.to_le_bytes());
        assert_eq!(ok32(&mut fx, "MmCreateSection", &[out, 0xF001F, 0, max, 4, 0x0800_0000, 0, 0]), 0, "{arch:?}");
        let section = fx.read_ptr(out);
        assert!(fx.k.ext().objects.get(section).is_some_and(|o| o.references == 1), "{arch:?}: the caller's reference");
        let process = ok(&mut fx, "PsGetCurrentProcess", &[]);
        let (st, a, size) = map(&mut fx, section, process, 0, 4);
        assert_eq!((st, size), (0, 0x2000), "{arch:?}");
        let (st, b, _) = map(&mut fx, section, process, 0x1000, 2);
        assert_eq!(st, 0, "{arch:?}");
        fx.k.mem_mut().write(a + 0x10, b"object").unwrap();
        assert_eq!(fx.read(b + 0x10, 6), b"object", "{arch:?}: the same pages");
        // Read-only views may not be written; a view past the end is refused.
        assert_eq!(fx.k.mem().prot_at(b).map(|p| p.write), Some(false), "{arch:?}");
        let (st, _, _) = map(&mut fx, section, process, 0x3000, 4);
        assert_eq!(st, 0xC000_001F, "{arch:?}");
        let current = arch.mask(u64::MAX);
        for v in [a, b] {
            assert_eq!(ok32(&mut fx, "ZwUnmapViewOfSection", &[current, v]), 0, "{arch:?}");
        }
        // SeDeleteObjectAuditAlarm: no audit, nothing changes.
        let before = fx.k.ext().objects.get(section).map(|o| (o.references, o.handles));
        ok(&mut fx, "SeDeleteObjectAuditAlarm", &[section, 0]);
        assert_eq!(fx.k.ext().objects.get(section).map(|o| (o.references, o.handles)), before, "{arch:?}");
        ok(&mut fx, "ObfDereferenceObject", &[section]);

        // A file object that is not one of a file: STATUS_INVALID_FILE_FOR_SECTION; a
        // process that is not one: the dereference's bugcheck.
        let file_object = fx.alloc(0x100);
        let args = [out, 0xF001F, 0, max, 4, 0x0800_0000, 0, file_object];
        assert_eq!(ok32(&mut fx, "MmCreateSection", &args), 0xC000_0020, "{arch:?}");
        assert_eq!(ok32(&mut fx, "MmCreateSection", &[out, 0xF001F, 0, max, 4, 0x0800_0000, 0, 0]), 0);
        let section = fx.read_ptr(out);
        let not_process = fx.alloc(0x40);
        let (base, view) = (fx.alloc(8), fx.alloc(8));
        let r = fx.call(
            portcullis_hle::exports::Dll::Ntoskrnl,
            "MmMapViewOfSection",
            &[section, not_process, base, 0, 0, 0, view, 1, 0, 4],
        );
        assert_eq!(bugcheck(r).code, 0x18, "{arch:?}");
    }
}
