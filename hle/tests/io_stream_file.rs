//! IoCreateStreamFileObject, IoGetDiskDeviceObject and FsRtlIsPagingFile through the real
//! stubs on both architectures: a stream file on the methods corpus driver's device gets
//! IRP_MJ_CLEANUP at once (the pending request it holds completes, cancelled) and
//! IRP_MJ_CLOSE with its last reference; the volume's disk; no paging files.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok, ok32};
use common::*;

use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT, FILE_OBJECT, IO_STATUS_BLOCK, OBJECT_ATTRIBUTES};

const PEND: u64 = 0x8000_2410;
const CANCELLED: u64 = 0xC000_0120;

fn open_methods(fx: &mut Fx, iosb: u64) -> u64 {
    let name = fx.ustr("\\Device\\Methods");
    let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
    let out = fx.alloc(8);
    assert_eq!(ok32(fx, "ZwCreateFile", &[out, 0xC000_0000, oa, iosb, 0, 0x80, 7, 3, 0x20, 0, 0]), 0);
    fx.read_ptr(out)
}

#[test]
fn a_stream_file_is_cleaned_up_at_once_and_closed_with_its_last_reference() {
    for arch in both() {
        let (k, _) = started("methods", arch);
        let mut fx = Fx::with(k);
        let iosb = fx.alloc(16);
        let h = open_methods(&mut fx, iosb);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "ObReferenceObjectByHandle", &[h, 0, 0, 0, out, 0]), 0);
        let file = fx.read_ptr(out);
        let device = fx.k.mem().get(file, FILE_OBJECT::DeviceObject).unwrap();
        let refs = fx.k.mem().get(device, DEVICE_OBJECT::ReferenceCount).unwrap();

        // A request left pending on the device, which its cleanup cancels.
        let pend_iosb = fx.alloc(16);
        let buffer = fx.alloc(4);
        let args = [h, 0, 0, 0, pend_iosb, PEND, 0, 0, buffer, 4];
        assert_eq!(ok32(&mut fx, "ZwDeviceIoControlFile", &args), 0x103, "{arch:?}");

        let stream = ok(&mut fx, "IoCreateStreamFileObject", &[file, 0]);
        assert_ne!(stream, 0, "{arch:?}");
        let mem = fx.k.mem();
        assert_eq!(mem.get(stream, FILE_OBJECT::DeviceObject).unwrap(), device, "{arch:?}");
        assert_eq!(
            mem.get(stream, FILE_OBJECT::Flags).unwrap() & 0x0014_0000,
            0x0014_0000,
            "{arch:?}: stream, handle made"
        );
        assert_eq!(mem.get(device, DEVICE_OBJECT::ReferenceCount).unwrap(), refs + 1, "{arch:?}");
        assert_eq!(
            mem.get(pend_iosb, IO_STATUS_BLOCK::Status).unwrap() & 0xFFFF_FFFF,
            CANCELLED,
            "{arch:?}: cleaned up"
        );

        // Its last reference: IRP_MJ_CLOSE, and the device is referenced once less.
        ok(&mut fx, "ObfDereferenceObject", &[stream]);
        assert_eq!(fx.k.mem().get(device, DEVICE_OBJECT::ReferenceCount).unwrap(), refs, "{arch:?}");
        assert!(fx.k.ext().objects.get(stream).is_none(), "{arch:?}: gone");
        // On a device directly.
        let stream = ok(&mut fx, "IoCreateStreamFileObject", &[0, device]);
        assert_eq!(fx.k.mem().get(stream, FILE_OBJECT::DeviceObject).unwrap(), device, "{arch:?}");
        ok(&mut fx, "ObfDereferenceObject", &[stream]);

        assert_eq!(ok32(&mut fx, "FsRtlIsPagingFile", &[file]), 0, "{arch:?}: no paging file");
        ok(&mut fx, "ObfDereferenceObject", &[file]);
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
    }
}

#[test]
fn the_volumes_disk_is_under_its_file_system_device() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let volume = fx.k.ext().volume.device_object();
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "IoGetDiskDeviceObject", &[volume, out]), 0, "{arch:?}");
        let disk = fx.read_ptr(out);
        let name = fx.k.ext().objects.get(disk).and_then(|o| o.name.clone());
        assert_eq!(name.as_deref(), Some("\\Device\\Harddisk0\\DR0"), "{arch:?}");
        ok(&mut fx, "ObfDereferenceObject", &[disk]);
        // The disk itself is no file system device.
        assert_eq!(ok32(&mut fx, "IoGetDiskDeviceObject", &[disk, out]), 0xC000_000D, "{arch:?}");
    }
}
