//! ZwDeviceIoControlFile through the real stubs on both architectures: a driver's device
//! control through a handle to a file on another driver's device (the methods corpus
//! driver), buffered and direct, a request left pending whose IoStatusBlock and Event say
//! when it completed, and the refusals (a volume file, a handle that is not a file).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, DRIVER_OBJECT, IO_STATUS_BLOCK, OBJECT_ATTRIBUTES};

const NT: Dll = Dll::Ntoskrnl;
const REVERSE: u64 = 0x8000_2400;
const FILL: u64 = 0x8000_240A;
const PEND: u64 = 0x8000_2410;
const RELEASE: u64 = 0x8000_2414;
const PENDING: u64 = 0x103;

fn attributes(fx: &mut Fx, path: &str) -> u64 {
    let name = fx.ustr(path);
    let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
    oa
}

/// ZwCreateFile for reading and writing, opening an existing file: the handle.
fn open_file(fx: &mut Fx, path: &str, iosb: u64) -> u64 {
    let oa = attributes(fx, path);
    let out = fx.alloc(8);
    let st = fx.call(NT, "ZwCreateFile", &[out, 0xC000_0000, oa, iosb, 0, 0x80, 7, 3, 0x20, 0, 0]).unwrap();
    assert_eq!(st, 0, "{:?}: open {path}", fx.arch);
    fx.read_ptr(out)
}

fn iosb_of(fx: &Fx, iosb: u64) -> (u64, u64) {
    let mem = fx.k.mem();
    (
        mem.get(iosb, IO_STATUS_BLOCK::Status).unwrap() & 0xFFFF_FFFF,
        mem.get(iosb, IO_STATUS_BLOCK::Information).unwrap(),
    )
}

#[test]
fn device_controls_reach_the_device_through_the_file_handle() {
    for arch in both() {
        let (k, _) = started("methods", arch);
        let mut fx = Fx::with(k);
        let iosb = fx.alloc(16);
        let h = open_file(&mut fx, "\\Device\\Methods", iosb);

        // METHOD_BUFFERED: the output is the input reversed.
        let input = fx.put(b"abcd");
        let output = fx.alloc(8);
        let args = [h, 0, 0, 0, iosb, REVERSE, input, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.read(output, 4), b"dcba", "{arch:?}");
        assert_eq!(iosb_of(&fx, iosb), (0, 4), "{arch:?}");

        // METHOD_OUT_DIRECT: the output through an MDL.
        let seed = fx.put(&[0x10]);
        let args = [h, 0, 0, 0, iosb, FILL, seed, 1, output, 4];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.read(output, 4), [0x10, 0x11, 0x12, 0x13], "{arch:?}");

        // Left pending: STATUS_PENDING now; the IoStatusBlock and the Event when released.
        let event_handle = fx.alloc(8);
        assert_eq!(fx.call(NT, "ZwCreateEvent", &[event_handle, 0x1F_0003, 0, 0, 0]).unwrap(), 0, "{arch:?}");
        let event = fx.read_ptr(event_handle);
        let pend_iosb = fx.alloc(16);
        fx.k.mem_mut().write_u32(pend_iosb, 0xFFFF_FFFF).unwrap();
        let args = [h, event, 0, 0, pend_iosb, PEND, 0, 0, output, 4];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), PENDING, "{arch:?}");
        assert_eq!(iosb_of(&fx, pend_iosb).0, 0xFFFF_FFFF, "{arch:?}: not completed yet");
        let args = [h, 0, 0, 0, iosb, RELEASE, 0, 0, 0, 0];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0, "{arch:?}");
        assert_eq!(iosb_of(&fx, pend_iosb), (0, 4), "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(output).unwrap(), 0x00C0_FFEE, "{arch:?}");
        // The event was set: a zero timeout wait is satisfied.
        let zero = fx.alloc(8);
        assert_eq!(fx.call(NT, "ZwWaitForSingleObject", &[event, 0, zero]).unwrap(), 0, "{arch:?}");

        // Buffers that are not there, a volume file, and an event handle that is not one.
        let args = [h, 0, 0, 0, iosb, REVERSE, UNMAPPED, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0xC000_0005, "{arch:?}");
        let args = [h, h, 0, 0, iosb, REVERSE, input, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0xC000_0024, "{arch:?}");
        let file = open_file(&mut fx, "\\??\\C:\\Windows\\win.ini", iosb);
        let args = [file, 0, 0, 0, iosb, REVERSE, input, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0xC000_0010, "{arch:?}");
        let args = [event, 0, 0, 0, iosb, REVERSE, input, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0xC000_0024, "{arch:?}");
        let args = [0x7FFC, 0, 0, 0, iosb, REVERSE, input, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0xC000_0008, "{arch:?}");
        for x in [h, file, event] {
            assert_eq!(fx.call(NT, "ZwClose", &[x]).unwrap(), 0, "{arch:?}");
        }
    }
}

#[test]
fn file_system_controls_reach_the_device_and_the_volume_knows_none() {
    for arch in both() {
        let (k, d) = started("methods", arch);
        let mut fx = Fx::with(k);
        let iosb = fx.alloc(16);
        let h = open_file(&mut fx, "\\Device\\Methods", iosb);
        let input = fx.put(b"wxyz");
        let output = fx.alloc(8);
        // methods has no file system control routine: the I/O manager's answer.
        let args = [h, 0, 0, 0, iosb, REVERSE, input, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwFsControlFile", &args).unwrap(), 0xC000_0010, "{arch:?}");
        // Its device control routine for IRP_MJ_FILE_SYSTEM_CONTROL too: it reads the code
        // where Parameters.FileSystemControl.FsControlCode is, and its answer proves the layout.
        let drv = fx.k.ext().drivers()[d].driver_object;
        let table = DRIVER_OBJECT::MajorFunction.at(arch, drv);
        let ps = arch.ptr_size();
        let ioctl = fx.read_ptr(table + 0x0E * ps);
        fx.k.mem_mut().write_ptr(table + 0x0D * ps, ioctl).unwrap();
        assert_eq!(fx.call(NT, "ZwFsControlFile", &args).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.read(output, 4), b"zyxw", "{arch:?}");
        assert_eq!(iosb_of(&fx, iosb), (0, 4), "{arch:?}");
        // FSCTL_LOCK_VOLUME on a file of the in-memory volume: no FSCTL is known there.
        let file = open_file(&mut fx, "\\??\\C:\\Windows\\win.ini", iosb);
        let args = [file, 0, 0, 0, iosb, 0x0009_0018, 0, 0, 0, 0];
        assert_eq!(fx.call(NT, "ZwFsControlFile", &args).unwrap(), 0xC000_0010, "{arch:?}");
        let args = [0x7FFC, 0, 0, 0, iosb, REVERSE, input, 4, output, 8];
        assert_eq!(fx.call(NT, "ZwFsControlFile", &args).unwrap(), 0xC000_0008, "{arch:?}");
        for x in [h, file] {
            assert_eq!(fx.call(NT, "ZwClose", &[x]).unwrap(), 0, "{arch:?}");
        }
    }
}
