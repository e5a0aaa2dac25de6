//! The object manager beyond the handle core: object types, directories, symbolic links,
//! lookups by name, object names, handle information, duplication and object callbacks; both
//! architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, OBJECT_ATTRIBUTES, UNICODE_STRING};

const NT: Dll = Dll::Ntoskrnl;
const OBJ_PERMANENT: u64 = 0x10;
const OBJ_CASE_INSENSITIVE: u64 = 0x40;
const OBJ_OPENIF: u64 = 0x80;
const OBJ_KERNEL_HANDLE: u64 = 0x200;
const KERNEL: u64 = OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE;

const STATUS_OBJECT_NAME_EXISTS: u64 = 0x4000_0000;
const STATUS_NO_MORE_ENTRIES: u64 = 0x8000_001A;
const STATUS_INVALID_INFO_CLASS: u64 = 0xC000_0003;
const STATUS_INFO_LENGTH_MISMATCH: u64 = 0xC000_0004;
const STATUS_INVALID_HANDLE: u64 = 0xC000_0008;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STATUS_ACCESS_DENIED: u64 = 0xC000_0022;
const STATUS_BUFFER_TOO_SMALL: u64 = 0xC000_0023;
const STATUS_OBJECT_TYPE_MISMATCH: u64 = 0xC000_0024;
const STATUS_OBJECT_NAME_NOT_FOUND: u64 = 0xC000_0034;
const STATUS_OBJECT_NAME_COLLISION: u64 = 0xC000_0035;
const STATUS_OBJECT_PATH_NOT_FOUND: u64 = 0xC000_003A;
const STATUS_OBJECT_PATH_SYNTAX_BAD: u64 = 0xC000_003B;
const STATUS_HANDLE_NOT_CLOSABLE: u64 = 0xC000_0235;

fn type_var(fx: &Fx, name: &str) -> u64 {
    let var = fx.k.ext().resolve(NT, name).unwrap_or_else(|| panic!("{name} exported"));
    fx.read_ptr(var)
}

/// OBJECT_ATTRIBUTES for `name` (relative to `root` when not 0).
fn oa(fx: &mut Fx, name: &str, root: u64, attributes: u64) -> u64 {
    let us = fx.ustr(name);
    let at = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(at, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::RootDirectory, root).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::ObjectName, us).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::Attributes, attributes).unwrap();
    at
}

/// Calls a Zw open/create routine of the (PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ...) shape.
fn open_with(fx: &mut Fx, routine: &str, attrs: u64, more: &[u64]) -> (u64, u64) {
    let out = fx.alloc(8);
    let mut args = vec![out, 0x000F_000F, attrs];
    args.extend_from_slice(more);
    let st = fx.call(NT, routine, &args).unwrap();
    (st, fx.read_ptr(out))
}

fn close(fx: &mut Fx, h: u64) -> u64 {
    fx.call(NT, "ZwClose", &[h]).unwrap()
}

fn by_name(fx: &mut Fx, name: &str, ty: u64) -> (u64, u64) {
    let us = fx.ustr(name);
    let out = fx.alloc(8);
    let st = fx.call(NT, "ObReferenceObjectByName", &[us, OBJ_CASE_INSENSITIVE, 0, 0, ty, 0, 0, out]).unwrap();
    (st, fx.read_ptr(out))
}

fn text_at(fx: &Fx, us: u64) -> String {
    let (len, _, buf) = fx.counted(us);
    let b = fx.read(buf, len as usize);
    String::from_utf16_lossy(&b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>())
}

#[test]
fn object_types_are_named_objects_behind_the_exported_variables() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let name_offset = if arch == Arch::X64 { 0x10 } else { 0x8 };
        for (var, name) in [
            ("PsProcessType", "Process"),
            ("ExEventObjectType", "Event"),
            ("CmKeyObjectType", "Key"),
            ("PsJobType", "Job"),
        ] {
            let t = type_var(&fx, var);
            assert_ne!(t, 0, "{arch:?} {var}");
            assert_eq!(text_at(&fx, t + name_offset), name, "{arch:?} {var}");
            let (st, found) = by_name(&mut fx, &format!("\\ObjectTypes\\{name}"), 0);
            assert_eq!((st, found), (0, t), "{arch:?}: \\ObjectTypes\\{name}");
            fx.call(NT, "ObfDereferenceObject", &[t]).unwrap();
        }
        let process = fx.k.ext().system.system_process;
        assert_eq!(fx.call(NT, "ObGetObjectType", &[process]).unwrap(), type_var(&fx, "PsProcessType"));
    }
}

#[test]
fn temporary_directories_and_links_go_with_their_last_handle() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let attrs = oa(&mut fx, "\\Test", 0, KERNEL);
        let (st, dir) = open_with(&mut fx, "ZwCreateDirectoryObject", attrs, &[]);
        assert_eq!(st, 0, "{arch:?}");
        let (st, _) = open_with(&mut fx, "ZwCreateDirectoryObject", attrs, &[]);
        assert_eq!(st, STATUS_OBJECT_NAME_COLLISION, "{arch:?}");
        let openif = oa(&mut fx, "\\Test", 0, KERNEL | OBJ_OPENIF);
        let (st, again) = open_with(&mut fx, "ZwCreateDirectoryObject", openif, &[]);
        assert_eq!(st, STATUS_OBJECT_NAME_EXISTS, "{arch:?}: OBJ_OPENIF opens the existing one");
        assert_eq!(close(&mut fx, again), 0);

        // A link inside it, by a name relative to the directory handle.
        let rel = oa(&mut fx, "Beeper", dir, KERNEL);
        let target = fx.ustr("\\Device\\Beep");
        let (st, link) = open_with(&mut fx, "ZwCreateSymbolicLinkObject", rel, &[target]);
        assert_eq!(st, 0, "{arch:?}");
        let bad = oa(&mut fx, "\\Absolute", dir, KERNEL);
        let (st, _) = open_with(&mut fx, "ZwCreateSymbolicLinkObject", bad, &[target]);
        assert_eq!(st, STATUS_OBJECT_PATH_SYNTAX_BAD, "{arch:?}: an absolute name with a root");

        // The directory lists it.
        let buf = fx.alloc(0x200);
        let ctx = fx.alloc(4);
        let rl = fx.alloc(4);
        let st = fx.call(NT, "ZwQueryDirectoryObject", &[dir, buf, 0x200, 0, 1, ctx, rl]).unwrap();
        assert_eq!(st, 0, "{arch:?}");
        let us = UNICODE_STRING::STRUCT.size(arch);
        assert_eq!(text_at(&fx, buf), "Beeper");
        assert_eq!(text_at(&fx, buf + us), "SymbolicLink");
        assert_eq!(fx.counted(buf + 2 * us).0, 0, "{arch:?}: an all-zero entry closes the list");
        let st = fx.call(NT, "ZwQueryDirectoryObject", &[dir, buf, 0x200, 0, 0, ctx, rl]).unwrap();
        assert_eq!(st, STATUS_NO_MORE_ENTRIES, "{arch:?}");
        let st = fx.call(NT, "ZwQueryDirectoryObject", &[dir, buf, 8, 0, 1, ctx, rl]).unwrap();
        assert_eq!(st, STATUS_BUFFER_TOO_SMALL, "{arch:?}");
        assert_eq!(fx.read(rl, 4), ((4 * us + 14 + 26) as u32).to_le_bytes(), "{arch:?}: what one entry needs");

        // Lookups follow the link; closing the handles deletes both.
        let (st, _) = by_name(&mut fx, "\\Test\\Beeper", 0);
        assert_eq!(st, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}: the link's target does not exist");
        assert_eq!(close(&mut fx, link), 0);
        assert_eq!(close(&mut fx, dir), 0);
        assert_eq!(by_name(&mut fx, "\\Test\\Beeper", 0).0, STATUS_OBJECT_PATH_NOT_FOUND, "{arch:?}");
        assert_eq!(by_name(&mut fx, "\\Test", 0).0, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}");
    }
}

#[test]
fn permanent_objects_keep_their_names_until_made_temporary() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let attrs = oa(&mut fx, "\\Kept", 0, KERNEL | OBJ_PERMANENT);
        let (st, dir) = open_with(&mut fx, "ZwCreateDirectoryObject", attrs, &[]);
        assert_eq!(st, 0);
        assert_eq!(close(&mut fx, dir), 0);
        let (st, object) = by_name(&mut fx, "\\Kept", 0);
        assert_eq!(st, 0, "{arch:?}: still there");
        let (st, h) = open_with(&mut fx, "ZwOpenDirectoryObject", attrs, &[]);
        assert_eq!(st, 0);
        assert_eq!(fx.call(NT, "ZwMakeTemporaryObject", &[h]).unwrap(), 0);
        assert_eq!(close(&mut fx, h), 0);
        assert_eq!(by_name(&mut fx, "\\Kept", 0).0, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}: the name went");
        assert!(fx.k.ext().objects.get(object).is_some(), "{arch:?}: the reference keeps the object");
        fx.call(NT, "ObfDereferenceObject", &[object]).unwrap();
        assert!(fx.k.ext().objects.get(object).is_none(), "{arch:?}: and its last reference deletes it");
    }
}

#[test]
fn symbolic_link_targets_come_back_with_their_lengths() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let attrs = oa(&mut fx, "\\GLOBAL??\\Global", 0, KERNEL);
        let (st, h) = open_with(&mut fx, "ZwOpenSymbolicLinkObject", attrs, &[]);
        assert_eq!(st, 0, "{arch:?}: \\??\\Global is a link");
        let buf = fx.alloc(64);
        let small = fx.ustring(0, 4, buf);
        let rl = fx.alloc(4);
        assert_eq!(fx.call(NT, "ZwQuerySymbolicLinkObject", &[h, small, rl]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        assert_eq!(fx.read(rl, 4), 20u32.to_le_bytes(), "{arch:?}: \\GLOBAL?? and its NUL");
        let big = fx.ustring(0, 64, buf);
        assert_eq!(fx.call(NT, "ZwQuerySymbolicLinkObject", &[h, big, rl]).unwrap(), 0);
        assert_eq!(text_at(&fx, big), "\\GLOBAL??");
        assert_eq!(fx.counted(big).0, 18);
        // A directory is not a link.
        let dir = oa(&mut fx, "\\Device", 0, KERNEL);
        assert_eq!(open_with(&mut fx, "ZwOpenSymbolicLinkObject", dir, &[]).0, STATUS_OBJECT_TYPE_MISMATCH);
        assert_eq!(close(&mut fx, h), 0);
    }
}

#[test]
fn names_of_objects_and_lookups_by_name() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let driver_type = type_var(&fx, "IoDriverObjectType");
        let device_type = type_var(&fx, "IoDeviceObjectType");
        assert_eq!(by_name(&mut fx, "\\driver\\KAPI", driver_type), (0, drv), "{arch:?}: case-insensitive");
        fx.call(NT, "ObfDereferenceObject", &[drv]).unwrap();
        assert_eq!(by_name(&mut fx, "\\Driver\\kapi", device_type).0, STATUS_OBJECT_TYPE_MISMATCH);
        assert_eq!(by_name(&mut fx, "\\Driver\\kapi\\more", 0).0, STATUS_OBJECT_TYPE_MISMATCH, "{arch:?}");
        assert_eq!(by_name(&mut fx, "\\Nowhere\\x", 0).0, STATUS_OBJECT_PATH_NOT_FOUND);

        let info = fx.alloc(0x100);
        let rl = fx.alloc(4);
        assert_eq!(fx.call(NT, "ObQueryNameString", &[drv, info, 0x100, rl]).unwrap(), 0);
        assert_eq!(text_at(&fx, info), "\\Driver\\kapi");
        let us = UNICODE_STRING::STRUCT.size(arch);
        assert_eq!(fx.read(rl, 4), ((us + 24 + 2) as u32).to_le_bytes());
        let st = fx.call(NT, "ObQueryNameString", &[drv, info, us, rl]).unwrap();
        assert_eq!(st, STATUS_INFO_LENGTH_MISMATCH, "{arch:?}");
        let process = fx.k.ext().system.system_process;
        assert_eq!(fx.call(NT, "ObQueryNameString", &[process, info, 0x100, rl]).unwrap(), 0);
        assert_eq!(fx.counted(info), (0, 0, 0), "{arch:?}: processes are unnamed");
    }
}

#[test]
fn object_information_by_class() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let attrs = oa(&mut fx, "\\Device", 0, KERNEL);
        let (_, h) = open_with(&mut fx, "ZwOpenDirectoryObject", attrs, &[]);
        let buf = fx.alloc(0x200);
        let rl = fx.alloc(4);
        let q = |fx: &mut Fx, class: u64, len: u64| fx.call(NT, "ZwQueryObject", &[h, class, buf, len, rl]).unwrap();
        assert_eq!(q(&mut fx, 0, 0x37), STATUS_INFO_LENGTH_MISMATCH);
        assert_eq!(q(&mut fx, 0, 0x38), 0);
        assert_eq!(fx.read(buf + 4, 4), 0xF000Fu32.to_le_bytes(), "{arch:?}: granted access");
        assert_eq!(fx.read(buf + 8, 4), 1u32.to_le_bytes(), "{arch:?}: one handle");
        assert_eq!(q(&mut fx, 1, 0x200), 0);
        assert_eq!(text_at(&fx, buf), "\\Device");
        assert_eq!(q(&mut fx, 2, 0x10), STATUS_INFO_LENGTH_MISMATCH);
        assert_eq!(q(&mut fx, 2, 0x200), 0);
        assert_eq!(text_at(&fx, buf), "Directory");
        assert_eq!(q(&mut fx, 4, 2), 0);
        assert_eq!(fx.read(buf, 2), [0, 0]);
        assert_eq!(q(&mut fx, 9, 0x200), STATUS_INVALID_INFO_CLASS);
        // All types at once.
        let all = fx.alloc(0x1000);
        let st = fx.call(NT, "ZwQueryObject", &[0, 3, all, 0x1000, rl]).unwrap();
        assert_eq!(st, 0, "{arch:?}");
        assert_eq!(fx.read(all, 4), 27u32.to_le_bytes());
        assert_eq!(text_at(&fx, all + arch.ptr_size()), "Type");
        assert_eq!(fx.call(NT, "ZwQueryObject", &[0x1234, 0, buf, 0x38, rl]).unwrap(), STATUS_INVALID_HANDLE);
        assert_eq!(close(&mut fx, h), 0);
    }
}

#[test]
fn protected_handles_refuse_to_close() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let attrs = oa(&mut fx, "\\Device", 0, KERNEL);
        let (_, h) = open_with(&mut fx, "ZwOpenDirectoryObject", attrs, &[]);
        let flags = fx.put(&[1, 1]);
        assert_eq!(fx.call(NT, "ZwSetInformationObject", &[h, 4, flags, 2]).unwrap(), 0);
        assert_eq!(fx.call(NT, "ZwSetInformationObject", &[h, 4, flags, 3]).unwrap(), STATUS_INFO_LENGTH_MISMATCH);
        assert_eq!(close(&mut fx, h), STATUS_HANDLE_NOT_CLOSABLE, "{arch:?}");
        let buf = fx.alloc(2);
        assert_eq!(fx.call(NT, "ZwQueryObject", &[h, 4, buf, 2, 0]).unwrap(), 0);
        assert_eq!(fx.read(buf, 2), [1, 1], "{arch:?}: inherit and protect");
        let clear = fx.put(&[0, 0]);
        assert_eq!(fx.call(NT, "ObSetHandleAttributes", &[h, clear, 0]).unwrap(), 0);
        assert_eq!(close(&mut fx, h), 0);
        assert_eq!(fx.call(NT, "ObIsKernelHandle", &[h]).unwrap() & 0xFF, 1);
        assert_eq!(fx.call(NT, "ObIsKernelHandle", &[arch.mask(u64::MAX)]).unwrap() & 0xFF, 0);
    }
}

#[test]
fn duplicated_handles_keep_or_change_access_and_can_close_their_source() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let me = arch.mask(u64::MAX);
        let attrs = oa(&mut fx, "\\Driver", 0, KERNEL);
        let (_, h) = open_with(&mut fx, "ZwOpenDirectoryObject", attrs, &[]);
        let out = fx.alloc(8);
        let dup = |fx: &mut Fx, src: u64, access: u64, attrs: u64, options: u64| {
            fx.call(NT, "ZwDuplicateObject", &[me, src, me, out, access, attrs, options]).unwrap()
        };
        assert_eq!(dup(&mut fx, h, 0, OBJ_KERNEL_HANDLE, 2), 0, "{arch:?}: DUPLICATE_SAME_ACCESS");
        let copy = fx.read_ptr(out);
        assert_ne!(copy, h);
        let object = fx.k.ext().objects.lookup("\\Driver").unwrap().object;
        assert_eq!(fx.k.ext().objects.get(object).unwrap().handles, 2);
        let info = fx.alloc(0x38);
        fx.call(NT, "ZwQueryObject", &[copy, 0, info, 0x38, 0]).unwrap();
        assert_eq!(fx.read(info + 4, 4), 0xF000Fu32.to_le_bytes(), "{arch:?}");
        // A new access, closing the source.
        assert_eq!(dup(&mut fx, copy, 1, OBJ_KERNEL_HANDLE, 1), 0);
        let third = fx.read_ptr(out);
        let gone = fx.call(NT, "ZwQueryObject", &[copy, 0, info, 0x38, 0]).unwrap();
        assert_eq!(gone, STATUS_INVALID_HANDLE, "{arch:?}: the source is closed");
        fx.call(NT, "ZwQueryObject", &[third, 0, info, 0x38, 0]).unwrap();
        assert_eq!(fx.read(info + 4, 4), 1u32.to_le_bytes());
        assert_eq!(dup(&mut fx, 0x4444, 0, 0, 2), STATUS_INVALID_HANDLE);
        // A source process handle that is no process.
        assert_eq!(fx.call(NT, "ZwDuplicateObject", &[h, h, me, out, 0, 0, 2]).unwrap(), STATUS_OBJECT_TYPE_MISMATCH);
        assert_eq!(close(&mut fx, third), 0);
        assert_eq!(close(&mut fx, h), 0);
        assert_eq!(fx.k.ext().objects.get(object).unwrap().handles, 0);
    }
}

#[test]
fn object_callbacks_are_checked_before_they_are_registered() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let process_type_var = fx.k.ext().resolve(NT, "PsProcessType").unwrap();
        // One operation registration: process handles, create, a routine outside any
        // integrity-checked image (the fixture's own code).
        let op = fx.alloc(4 * ps);
        fx.k.mem_mut().write_ptr(op, process_type_var).unwrap();
        fx.k.mem_mut().write_u32(op + ps, 1).unwrap();
        fx.k.mem_mut().write_ptr(op + 2 * ps, fx.thunk).unwrap();
        let reg = fx.alloc(0x28);
        let altitude = fx.ustr("1000");
        let (len, max, buf) = fx.counted(altitude);
        let registration = |fx: &mut Fx, version: u64, count: u64| {
            let mem = fx.k.mem_mut();
            mem.write_u16(reg, version as u16).unwrap();
            mem.write_u16(reg + 2, count as u16).unwrap();
            mem.write_u16(reg + ps, len as u16).unwrap();
            mem.write_u16(reg + ps + 2, max as u16).unwrap();
            mem.write_ptr(reg + 2 * ps, buf).unwrap();
            mem.write_ptr(reg + 4 * ps, op).unwrap();
        };
        let out = fx.alloc(8);
        registration(&mut fx, 0x100, 1);
        assert_eq!(fx.call(NT, "ObRegisterCallbacks", &[reg, out]).unwrap(), STATUS_ACCESS_DENIED, "{arch:?}");
        registration(&mut fx, 0x200, 1);
        assert_eq!(fx.call(NT, "ObRegisterCallbacks", &[reg, out]).unwrap(), STATUS_INVALID_PARAMETER);
        registration(&mut fx, 0x100, 0);
        assert_eq!(fx.call(NT, "ObRegisterCallbacks", &[reg, out]).unwrap(), STATUS_INVALID_PARAMETER);
        assert_eq!(fx.call(NT, "ObGetFilterVersion", &[]).unwrap() & 0xFFFF, 0x100);
    }
}

#[test]
fn named_events_live_in_the_namespace_and_go_with_their_last_handle() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // Relative to a directory handle, as user-mode Win32 names are made.
        let dir_attrs = oa(&mut fx, "\\BaseNamedObjects", 0, KERNEL);
        let (st, dir) = open_with(&mut fx, "ZwOpenDirectoryObject", dir_attrs, &[]);
        assert_eq!(st, 0, "{arch:?}");
        let rel = oa(&mut fx, "PortcullisReady", dir, KERNEL);
        let (st, event) = open_with(&mut fx, "ZwCreateEvent", rel, &[0, 0]);
        assert_eq!(st, 0, "{arch:?}");
        let (st, again) = open_with(&mut fx, "ZwCreateEvent", rel, &[0, 0]);
        assert_eq!((st, again), (STATUS_OBJECT_NAME_COLLISION, 0), "{arch:?}");
        let openif = oa(&mut fx, "PortcullisReady", dir, KERNEL | OBJ_OPENIF);
        let (st, again) = open_with(&mut fx, "ZwCreateEvent", openif, &[0, 0]);
        assert_eq!(st, STATUS_OBJECT_NAME_EXISTS, "{arch:?}");
        assert_eq!(close(&mut fx, again), 0);

        // The directory lists it as an Event; a lookup with ExEventObjectType finds it, one
        // with another type does not.
        let buf = fx.alloc(0x200);
        let ctx = fx.alloc(4);
        let rl = fx.alloc(4);
        assert_eq!(fx.call(NT, "ZwQueryDirectoryObject", &[dir, buf, 0x200, 0, 1, ctx, rl]).unwrap(), 0);
        let us = UNICODE_STRING::STRUCT.size(arch);
        assert_eq!((text_at(&fx, buf), text_at(&fx, buf + us)), ("PortcullisReady".into(), "Event".into()));
        let name = "\\BaseNamedObjects\\PortcullisReady";
        let (event_type, thread_type) = (type_var(&fx, "ExEventObjectType"), type_var(&fx, "PsThreadType"));
        let (st, object) = by_name(&mut fx, name, event_type);
        assert_eq!(st, 0, "{arch:?}");
        assert_eq!(fx.call(NT, "ObGetObjectType", &[object]).unwrap(), event_type);
        assert_eq!(by_name(&mut fx, name, thread_type).0, STATUS_OBJECT_TYPE_MISMATCH);
        fx.call(NT, "ObfDereferenceObject", &[object]).unwrap();

        // A name whose directory does not exist; an absolute name with a root.
        let nowhere = oa(&mut fx, "\\NoSuchDirectory\\Event", 0, KERNEL);
        assert_eq!(open_with(&mut fx, "ZwCreateEvent", nowhere, &[0, 0]).0, STATUS_OBJECT_PATH_NOT_FOUND);
        let bad = oa(&mut fx, "\\Absolute", dir, KERNEL);
        assert_eq!(open_with(&mut fx, "ZwCreateEvent", bad, &[0, 0]).0, STATUS_OBJECT_PATH_SYNTAX_BAD);

        // Temporary: the name goes with the last handle.
        assert_eq!(close(&mut fx, event), 0);
        let abs = oa(&mut fx, name, 0, KERNEL);
        assert_eq!(open_with(&mut fx, "ZwOpenEvent", abs, &[]).0, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}");
        // Permanent: it stays.
        let kept = oa(&mut fx, name, 0, KERNEL | OBJ_PERMANENT);
        let (st, h) = open_with(&mut fx, "ZwCreateEvent", kept, &[1, 1]);
        assert_eq!(st, 0);
        assert_eq!(close(&mut fx, h), 0);
        let (st, h) = open_with(&mut fx, "ZwOpenEvent", abs, &[]);
        assert_eq!(st, 0, "{arch:?}: a permanent event keeps its name");
        assert_eq!(fx.call(NT, "ZwWaitForSingleObject", &[h, 0, 0]).unwrap(), 0, "created signaled");
        assert_eq!(close(&mut fx, h), 0);
        assert_eq!(close(&mut fx, dir), 0);
    }
}
