//! The in-memory file system: create dispositions, sharing, reading and writing at offsets,
//! information classes, deletion, directory listings and the volume; both architectures,
//! through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, IO_STATUS_BLOCK, OBJECT_ATTRIBUTES};

const NT: Dll = Dll::Ntoskrnl;
const GENERIC_READ: u64 = 0x8000_0000;
const GENERIC_WRITE: u64 = 0x4000_0000;
const DELETE: u64 = 0x1_0000;
const SYNC: u64 = 0x20; // FILE_SYNCHRONOUS_IO_NONALERT
const SHARE_ALL: u64 = 7;

const STATUS_END_OF_FILE: u64 = 0xC000_0011;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STATUS_ACCESS_DENIED: u64 = 0xC000_0022;
const STATUS_OBJECT_NAME_NOT_FOUND: u64 = 0xC000_0034;
const STATUS_OBJECT_NAME_COLLISION: u64 = 0xC000_0035;
const STATUS_OBJECT_PATH_NOT_FOUND: u64 = 0xC000_003A;
const STATUS_SHARING_VIOLATION: u64 = 0xC000_0043;
const STATUS_DELETE_PENDING: u64 = 0xC000_0056;
const STATUS_INFO_LENGTH_MISMATCH: u64 = 0xC000_0004;
const STATUS_BUFFER_OVERFLOW: u64 = 0x8000_0005;
const STATUS_NO_SUCH_FILE: u64 = 0xC000_000F;
const STATUS_NO_MORE_FILES: u64 = 0x8000_0006;

struct Files {
    fx: Fx,
    iosb: u64,
}

impl Files {
    fn new(arch: Arch) -> Files {
        let mut fx = Fx::new(arch);
        let iosb = fx.alloc(16);
        Files { fx, iosb }
    }

    fn info(&self) -> u64 {
        self.fx.k.mem().get(self.iosb, IO_STATUS_BLOCK::Information).unwrap()
    }

    /// ZwCreateFile: (status, handle).
    fn create(&mut self, path: &str, access: u64, share: u64, disposition: u64, options: u64) -> (u64, u64) {
        let fx = &mut self.fx;
        let name = fx.ustr(path);
        let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
        let mem = fx.k.mem_mut();
        mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
        let out = fx.alloc(8);
        let st = fx
            .call(NT, "ZwCreateFile", &[out, access, oa, self.iosb, 0, 0x80, share, disposition, options, 0, 0])
            .unwrap();
        (st, fx.read_ptr(out))
    }

    fn write(&mut self, h: u64, data: &[u8], offset: Option<u64>) -> u64 {
        let fx = &mut self.fx;
        let buf = fx.put(data);
        let off = match offset {
            Some(o) => fx.put(&o.to_le_bytes()),
            None => 0,
        };
        fx.call(NT, "ZwWriteFile", &[h, 0, 0, 0, self.iosb, buf, data.len() as u64, off, 0]).unwrap()
    }

    fn read(&mut self, h: u64, len: u64, offset: Option<u64>) -> (u64, Vec<u8>) {
        let fx = &mut self.fx;
        let buf = fx.alloc(len);
        let off = match offset {
            Some(o) => fx.put(&o.to_le_bytes()),
            None => 0,
        };
        let st = fx.call(NT, "ZwReadFile", &[h, 0, 0, 0, self.iosb, buf, len, off, 0]).unwrap();
        let n = self.info() as usize;
        (st, self.fx.read(buf, n))
    }

    fn close(&mut self, h: u64) {
        assert_eq!(self.fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
    }
}

#[test]
fn dispositions_answer_with_their_information_codes() {
    for arch in both() {
        let mut f = Files::new(arch);
        let path = "\\??\\C:\\Windows\\Temp\\a.txt";
        assert_eq!(f.create(path, GENERIC_READ, 0, 1, SYNC).0, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}: FILE_OPEN");
        let (st, h) = f.create(path, GENERIC_WRITE, SHARE_ALL, 2, SYNC);
        assert_eq!((st, f.info()), (0, 2), "{arch:?}: FILE_CREATE: FILE_CREATED");
        assert_eq!(f.write(h, b"0123456789", None), 0);
        f.close(h);
        assert_eq!(f.create(path, GENERIC_WRITE, 0, 2, SYNC).0, STATUS_OBJECT_NAME_COLLISION);
        let (_, h) = f.create(path, GENERIC_READ, SHARE_ALL, 3, SYNC);
        assert_eq!(f.info(), 1, "{arch:?}: FILE_OPEN_IF on an existing file: FILE_OPENED");
        f.close(h);
        let (_, h) = f.create(path, GENERIC_WRITE, SHARE_ALL, 5, SYNC);
        assert_eq!(f.info(), 3, "{arch:?}: FILE_OVERWRITE_IF: FILE_OVERWRITTEN");
        assert_eq!(f.read(h, 4, Some(0)).0, STATUS_ACCESS_DENIED, "{arch:?}: opened for writing only");
        f.close(h);
        let (_, h) = f.create(path, GENERIC_READ, SHARE_ALL, 1, SYNC);
        assert_eq!(f.read(h, 4, None).0, STATUS_END_OF_FILE, "{arch:?}: overwritten to nothing");
        f.close(h);
        assert_eq!(f.create("\\??\\C:\\NoDir\\x", GENERIC_WRITE, 0, 2, SYNC).0, STATUS_OBJECT_PATH_NOT_FOUND);
        assert_eq!(
            f.create("\\??\\C:\\Windows\\a*b", GENERIC_WRITE, 0, 2, SYNC).0,
            0xC000_0033,
            "{arch:?}: a bad name"
        );
        assert_eq!(f.create("\\??\\C:\\Windows", GENERIC_READ, 0, 1, 0x40).0, 0xC000_00BA, "{arch:?}: a directory");
    }
}

#[test]
fn reads_and_writes_at_offsets_positions_and_ends() {
    for arch in both() {
        let mut f = Files::new(arch);
        let (_, h) = f.create("\\??\\C:\\data.bin", GENERIC_READ | GENERIC_WRITE, 0, 2, SYNC);
        assert_eq!(f.write(h, b"abcdef", None), 0);
        assert_eq!(f.write(h, b"XY", Some(2)), 0);
        assert_eq!(f.write(h, b"!", Some(u64::MAX)), 0, "{arch:?}: FILE_WRITE_TO_END_OF_FILE");
        assert_eq!(f.write(h, b"z", Some(10)), 0, "{arch:?}: a gap reads as zeros");
        assert_eq!(f.read(h, 64, Some(0)), (0, b"abXYef!\0\0\0z".to_vec()), "{arch:?}");
        // The file's position follows synchronous transfers.
        assert_eq!(f.read(h, 4, Some(1)).1, b"bXYe");
        assert_eq!(f.read(h, 2, None).1, b"f!", "{arch:?}: from the position");
        assert_eq!(f.read(h, 4, Some(64)).0, STATUS_END_OF_FILE);
        f.close(h);
        // Without FILE_SYNCHRONOUS_IO_* a request needs its offset.
        let (_, h) = f.create("\\??\\C:\\data.bin", GENERIC_READ, SHARE_ALL, 1, 0);
        assert_eq!(f.read(h, 4, None).0, STATUS_INVALID_PARAMETER, "{arch:?}");
        f.close(h);
        // Append-only: every write lands at the end.
        let (_, h) = f.create("\\??\\C:\\data.bin", 0x4 | 0x10_0000, SHARE_ALL, 1, SYNC);
        assert_eq!(f.write(h, b"+", Some(0)), 0);
        f.close(h);
        let (_, h) = f.create("\\??\\C:\\data.bin", GENERIC_READ, SHARE_ALL, 1, SYNC);
        assert_eq!(f.read(h, 64, Some(0)).1.last(), Some(&b'+'), "{arch:?}");
        f.close(h);
    }
}

#[test]
fn sharing_and_deletion_follow_the_open_handles() {
    for arch in both() {
        let mut f = Files::new(arch);
        let path = "\\??\\C:\\shared.txt";
        let (_, w) = f.create(path, GENERIC_WRITE | DELETE, 1, 2, SYNC); // shares read only
        assert_eq!(f.create(path, GENERIC_WRITE, SHARE_ALL, 1, SYNC).0, STATUS_SHARING_VIOLATION, "{arch:?}");
        let (st, r) = f.create(path, GENERIC_READ, SHARE_ALL, 1, SYNC);
        assert_eq!(st, 0, "{arch:?}: a reader it shares with");
        // Delete while a reader has it: pending until the last handle.
        let disp = f.fx.put(&[1]);
        let iosb = f.iosb;
        assert_eq!(f.fx.call(NT, "ZwSetInformationFile", &[w, iosb, disp, 1, 13]).unwrap(), 0);
        f.close(w);
        assert_eq!(f.create(path, GENERIC_READ, SHARE_ALL, 1, SYNC).0, STATUS_DELETE_PENDING, "{arch:?}");
        f.close(r);
        assert_eq!(f.create(path, GENERIC_READ, SHARE_ALL, 1, SYNC).0, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}: gone");
        let changes = kernel_events(&f.fx.k, |e| match e {
            KernelEvent::System(portcullis_hle::events::SystemEvent::File(c)) => Some(c.operation),
            _ => None,
        });
        assert_eq!(changes, ["create", "delete"], "{arch:?}");
    }
}

#[test]
fn information_classes_and_end_of_file() {
    for arch in both() {
        let mut f = Files::new(arch);
        let (_, h) = f.create("\\??\\C:\\Windows\\info.txt", GENERIC_READ | GENERIC_WRITE, 0, 2, SYNC);
        f.write(h, b"hello world", None);
        let buf = f.fx.alloc(0x200);
        let iosb = f.iosb;
        let q = |f: &mut Files, class: u64, len: u64| {
            f.fx.call(NT, "ZwQueryInformationFile", &[h, iosb, buf, len, class]).unwrap()
        };
        assert_eq!(q(&mut f, 5, 23), STATUS_INFO_LENGTH_MISMATCH);
        assert_eq!(q(&mut f, 5, 24), 0);
        assert_eq!(f.fx.read(buf, 16), [4096u64.to_le_bytes(), 11u64.to_le_bytes()].concat(), "{arch:?}");
        assert_eq!(q(&mut f, 9, 0x200), 0);
        let name: Vec<u8> = "\\Windows\\info.txt".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(f.fx.read(buf, 4), (name.len() as u32).to_le_bytes());
        assert_eq!(f.fx.read(buf + 4, name.len()), name, "{arch:?}");
        assert_eq!(q(&mut f, 9, 12), STATUS_BUFFER_OVERFLOW, "{arch:?}: the name cut");
        assert_eq!(q(&mut f, 14, 8), 0);
        assert_eq!(f.fx.read(buf, 8), 11u64.to_le_bytes(), "{arch:?}: the position after the write");
        // End of file: truncate.
        let eof = f.fx.put(&5u64.to_le_bytes());
        assert_eq!(f.fx.call(NT, "ZwSetInformationFile", &[h, iosb, eof, 8, 20]).unwrap(), 0);
        assert_eq!(f.read(h, 64, Some(0)).1, b"hello");
        assert_eq!(q(&mut f, 34, 56), 0);
        assert_eq!(f.fx.read(buf + 40, 8), 5u64.to_le_bytes(), "{arch:?}: network open information");
        assert_eq!(q(&mut f, 99, 64), 0xC000_0003);
        // The volume.
        assert_eq!(f.fx.call(NT, "ZwQueryVolumeInformationFile", &[h, iosb, buf, 0x40, 5]).unwrap(), 0);
        assert_eq!(f.fx.read(buf + 12, 8), "NTFS".encode_utf16().flat_map(|u| u.to_le_bytes()).collect::<Vec<_>>());
        f.close(h);
    }
}

#[test]
fn directory_listings_match_patterns_and_end() {
    for arch in both() {
        let mut f = Files::new(arch);
        for name in ["b.log", "a.txt", "c.txt"] {
            let (_, h) = f.create(&format!("\\??\\C:\\Users\\Public\\{name}"), GENERIC_WRITE, 0, 2, SYNC);
            f.close(h);
        }
        let (_, d) = f.create("\\??\\C:\\Users\\Public", 0x1, SHARE_ALL, 1, SYNC | 1);
        let buf = f.fx.alloc(0x400);
        let pattern = f.fx.ustr("*.TXT");
        let iosb = f.iosb;
        let list = |f: &mut Files, pattern: u64, restart: u64| {
            f.fx.call(NT, "ZwQueryDirectoryFile", &[d, 0, 0, 0, iosb, buf, 0x400, 12, 0, pattern, restart]).unwrap()
        };
        assert_eq!(list(&mut f, pattern, 1), 0, "{arch:?}");
        let mut names = Vec::new();
        let mut at = buf;
        loop {
            let next = u32::from_le_bytes(f.fx.read(at, 4).try_into().unwrap()) as u64;
            let len = u32::from_le_bytes(f.fx.read(at + 8, 4).try_into().unwrap()) as usize;
            let units: Vec<u16> = f.fx.read(at + 12, len).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            names.push(String::from_utf16_lossy(&units));
            if next == 0 {
                break;
            }
            assert_eq!(next % 8, 0);
            at += next;
        }
        assert_eq!(names, ["a.txt", "c.txt"], "{arch:?}: case-insensitive, in name order");
        assert_eq!(list(&mut f, 0, 0), STATUS_NO_MORE_FILES);
        let none = f.fx.ustr("*.exe");
        assert_eq!(list(&mut f, none, 1), STATUS_NO_SUCH_FILE, "{arch:?}");
        f.close(d);
    }
}

#[test]
fn a_completed_read_sets_its_event_and_wakes_the_thread_waiting_on_it() {
    use common::guest::*;
    for arch in both() {
        let mut f = Files::new(arch);
        let path = "\\??\\C:\\Windows\\Temp\\event.txt";
        let (st, h) = f.create(path, GENERIC_READ | GENERIC_WRITE, SHARE_ALL, 2, SYNC);
        assert_eq!(st, 0, "{arch:?}");
        assert_eq!(f.write(h, b"ready", Some(0)), 0);
        let fx = &mut f.fx;
        // A notification event, created set.
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "ZwCreateEvent", &[out, 0x1F_0003, 0, 0, 1]).unwrap(), 0);
        let event = fx.read_ptr(out);
        // A system thread waits on it (by handle), then notes that it woke.
        let woke = fx.alloc(8);
        let start = routine(fx, 1, |a, r| {
            let (wait, c) = r("ZwWaitForSingleObject");
            a.call(wait, c, &[K(event), K(0), K(0)]).store(woke + 8);
            a.inc(woke);
        });
        let th = fx.alloc(8);
        assert_eq!(ok32(fx, "PsCreateSystemThread", &[th, 0x1F_FFFF, 0, 0, 0, start, 0]), 0);
        let thread = fx.read_ptr(th);
        let buf = fx.alloc(8);
        let off = fx.put(&0u64.to_le_bytes());
        let iosb = f.iosb;
        // Cleared, the thread runs and waits on it while the caller yields; the read's
        // completion sets it and wakes the thread.
        let fx = &mut f.fx;
        assert_eq!(fx.call(NT, "ZwClearEvent", &[event]).unwrap(), 0);
        assert_eq!(ok32(fx, "ZwYieldExecution", &[]), 0, "{arch:?}: the thread runs and waits");
        assert_eq!(fx.read_ptr(woke), 0, "{arch:?}: still waiting");
        assert_eq!(fx.call(NT, "ZwReadFile", &[h, event, 0, 0, iosb, buf, 5, off, 0]).unwrap(), 0);
        assert_eq!(fx.read(buf, 5), b"ready");
        assert_eq!(ok32(fx, "ZwWaitForSingleObject", &[thread, 0, 0]), 0, "{arch:?}: the thread ended");
        assert_eq!((fx.read_ptr(woke), fx.read_ptr(woke + 8) as u32), (1, 0), "{arch:?}: woken by the read");
        assert_eq!(fx.call(NT, "ZwClose", &[thread]).unwrap(), 0);
        assert_eq!(fx.call(NT, "ZwClose", &[event]).unwrap(), 0);
        f.close(h);
    }
}

/// OBJECT_ATTRIBUTES naming `path` (case-insensitive, kernel handle).
fn attributes(fx: &mut Fx, path: &str) -> u64 {
    let name = fx.ustr(path);
    let size = OBJECT_ATTRIBUTES::STRUCT.size(fx.arch);
    let oa = fx.alloc(size);
    let mem = fx.k.mem_mut();
    mem.set(oa, OBJECT_ATTRIBUTES::Length, size).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
    oa
}

#[test]
fn full_attributes_by_name_and_dos_names_of_file_objects() {
    for arch in both() {
        let mut f = Files::new(arch);
        let (st, _) = f.create("\\??\\C:\\Logs\\run.txt", GENERIC_WRITE, 0, 2, SYNC);
        assert_eq!(st, STATUS_OBJECT_PATH_NOT_FOUND, "{arch:?}: no Logs directory yet");
        let (st, d) = f.create("\\??\\C:\\Logs", GENERIC_READ, SHARE_ALL, 2, 1); // FILE_DIRECTORY_FILE
        assert_eq!(st, 0);
        f.close(d);
        let (st, h2) = f.create("\\??\\C:\\Logs\\run.txt", GENERIC_WRITE | GENERIC_READ, 0, 2, SYNC);
        assert_eq!(st, 0);
        assert_eq!(f.write(h2, b"hello", None), 0);

        // FILE_NETWORK_OPEN_INFORMATION without a handle, even while the file is open unshared
        // (FILE_READ_ATTRIBUTES needs no sharing).
        let oa = attributes(&mut f.fx, "\\??\\C:\\Logs\\run.txt");
        let info = f.fx.alloc(56);
        assert_eq!(f.fx.call(NT, "ZwQueryFullAttributesFile", &[oa, info]).unwrap(), 0, "{arch:?}");
        let b = f.fx.read(info, 56);
        let q = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        assert!(q(0) > 0 && q(16) >= q(0), "creation and write times");
        assert_eq!((q(32), q(40)), (4096, 5), "allocation and end of file");
        assert_eq!(u32::from_le_bytes(b[48..52].try_into().unwrap()) & 0x10, 0, "not a directory");
        let oa = attributes(&mut f.fx, "\\??\\C:\\Logs");
        assert_eq!(f.fx.call(NT, "ZwQueryFullAttributesFile", &[oa, info]).unwrap(), 0);
        assert_eq!(u32::from_le_bytes(f.fx.read(info + 48, 4).try_into().unwrap()) & 0x10, 0x10, "a directory");
        let oa = attributes(&mut f.fx, "\\??\\C:\\Logs\\none.txt");
        assert_eq!(f.fx.call(NT, "ZwQueryFullAttributesFile", &[oa, info]).unwrap(), STATUS_OBJECT_NAME_NOT_FOUND);

        // The file object's name with the drive letter, in pool the caller frees.
        let fo_out = f.fx.alloc(8);
        assert_eq!(f.fx.call(NT, "ObReferenceObjectByHandle", &[h2, 0, 0, 0, fo_out, 0]).unwrap(), 0);
        let fo = f.fx.read_ptr(fo_out);
        let out = f.fx.alloc(8);
        assert_eq!(f.fx.call(NT, "IoQueryFileDosDeviceName", &[fo, out]).unwrap(), 0);
        let name = f.fx.read_ptr(out);
        let (len, _, buffer) = f.fx.counted(name);
        let units: Vec<u16> =
            f.fx.read(buffer, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16(&units).unwrap(), "C:\\Logs\\run.txt", "{arch:?}");
        assert!(f.fx.k.ext().pool.block(name).is_some());
        f.fx.call(NT, "ExFreePool", &[name]).unwrap();
        assert!(f.fx.k.ext().pool.block(name).is_none());
        f.fx.call(NT, "ObfDereferenceObject", &[fo]).unwrap();
        // Not a file object.
        let junk = f.fx.alloc(0x100);
        bugcheck(f.fx.call(NT, "IoQueryFileDosDeviceName", &[junk, out]));
        f.close(h2);
    }
}

#[test]
fn no_file_object_is_part_of_a_transaction() {
    for arch in both() {
        let mut f = Files::new(arch);
        let (st, h) = f.create("\\??\\C:\\txn.txt", 0x12019F, 0, 2, 0x20);
        assert_eq!(st, 0, "{arch:?}");
        let fo_out = f.fx.alloc(8);
        assert_eq!(f.fx.call(NT, "ObReferenceObjectByHandle", &[h, 0, 0, 0, fo_out, 0]).unwrap(), 0);
        let fo = f.fx.read_ptr(fo_out);
        assert_eq!(f.fx.call(NT, "IoGetTransactionParameterBlock", &[fo]).unwrap(), 0, "{arch:?}");
        let b = bugcheck(f.fx.call(NT, "IoGetTransactionParameterBlock", &[0x10]));
        assert_eq!(b.name, "KMODE_EXCEPTION_NOT_HANDLED", "{arch:?}");
        f.fx.call(NT, "ObfDereferenceObject", &[fo]).unwrap();
        f.close(h);
    }
}
