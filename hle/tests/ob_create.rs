//! Objects drivers make themselves: ObCreateObject (a body of the requested size behind an
//! OBJECT_HEADER of the type) and ObInsertObject (its name and a handle, access from the
//! access state, references handed to the handle); both architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, FILE_OBJECT, KEVENT, OBJECT_ATTRIBUTES};

const NT: Dll = Dll::Ntoskrnl;
const OBJ_OPENIF: u64 = 0x80;
const OBJ_KERNEL_HANDLE: u64 = 0x200;
const STATUS_OBJECT_NAME_EXISTS: u32 = 0x4000_0000;
const STATUS_OBJECT_TYPE_MISMATCH: u32 = 0xC000_0024;
const STATUS_OBJECT_NAME_COLLISION: u32 = 0xC000_0035;

fn type_var(fx: &Fx, name: &str) -> u64 {
    let var = fx.k.ext().resolve(NT, name).unwrap();
    fx.read_ptr(var)
}

/// OBJECT_ATTRIBUTES naming `name` (none when empty).
fn oa(fx: &mut Fx, name: &str, attributes: u64) -> u64 {
    let us = if name.is_empty() { 0 } else { fx.ustr(name) };
    let at = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(at, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::ObjectName, us).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::Attributes, attributes).unwrap();
    at
}

/// ObCreateObject(KernelMode, type, attrs, KernelMode, NULL, size, 0, 0, &object).
fn create(fx: &mut Fx, ty: &str, attrs: u64, size: u64) -> (u32, u64) {
    let out = fx.alloc(8);
    let t = type_var(fx, ty);
    let st = ok32(fx, "ObCreateObject", &[0, t, attrs, 0, 0, size, 0, 0, out]);
    (st, fx.read_ptr(out))
}

/// ObInsertObject(object, state, access, bias, &new, &handle) -> (status, new, handle).
fn insert(fx: &mut Fx, object: u64, state: u64, access: u64, bias: u64) -> (u32, u64, u64) {
    let (new, h) = (fx.alloc(8), fx.alloc(8));
    let st = ok32(fx, "ObInsertObject", &[object, state, access, bias, new, h]);
    (st, fx.read_ptr(new), fx.read_ptr(h))
}

fn refs(fx: &Fx, object: u64) -> Option<(i64, i64)> {
    fx.k.ext().objects.get(object).map(|o| (o.references, o.handles))
}

#[test]
fn a_file_object_made_by_a_driver_gets_a_handle_with_the_access_states_rights() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let attrs = oa(&mut fx, "", OBJ_KERNEL_HANDLE);
        let size = FILE_OBJECT::STRUCT.size(arch);
        let (st, fo) = create(&mut fx, "IoFileObjectType", attrs, size);
        assert_eq!(st, 0);
        assert_eq!(fx.read(fo, size as usize), vec![0; size as usize], "a zeroed body");
        let type_index = if arch == Arch::X86 { fo - 0x18 + 0xc } else { fo - 0x30 + 0x18 };
        assert_eq!(fx.read(type_index, 1), [28], "OBJECT_HEADER.TypeIndex of File (Windows 7)");
        assert_eq!(refs(&fx, fo), Some((1, 0)), "the creator's reference");
        let block = fo - if arch == Arch::X86 { 0x18 } else { 0x30 };
        assert!(fx.k.ext().pool.block(block).is_some());
        // The access state's rights, not DesiredAccess.
        let state = fx.alloc(0x100);
        let aux = fx.alloc(0x100);
        assert_eq!(ok32(&mut fx, "SeCreateAccessState", &[state, aux, 0x0012_0089, 0]), 0);
        let (st, new, h) = insert(&mut fx, fo, state, 0x1, 0);
        assert_eq!(st, 0);
        assert_eq!(new, fo);
        assert_eq!(h & 0x8000_0000, 0x8000_0000, "a kernel handle, as the attributes asked");
        assert_eq!(refs(&fx, fo), Some((0, 1)), "the handle holds the creation reference");
        let (out, info) = (fx.alloc(8), fx.alloc(8));
        let ft = type_var(&fx, "IoFileObjectType");
        assert_eq!(ok32(&mut fx, "ObReferenceObjectByHandle", &[h, 0, ft, 0, out, info]), 0);
        assert_eq!(fx.read_ptr(out), fo);
        assert_eq!(fx.k.mem().read_u32(info + 4).unwrap(), 0x0012_0089);
        ok(&mut fx, "ObfDereferenceObject", &[fo]);
        // A second insert of the same object is a bad reference.
        let out = fx.alloc(8);
        let b = bugcheck(fx.call(NT, "ObInsertObject", &[fo, 0, 1, 0, 0, out]));
        assert_eq!(b.code, 0x18);
    }
}

#[test]
fn closing_the_last_handle_deletes_the_object_and_frees_its_block() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (st, fo) = create(&mut fx, "IoFileObjectType", 0, FILE_OBJECT::STRUCT.size(arch));
        assert_eq!(st, 0);
        let (st, _, h) = insert(&mut fx, fo, 0, 0x1F01FF, 0);
        assert_eq!(st, 0);
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        assert_eq!(refs(&fx, fo), None, "deleted with its last handle");
        let block = fo - if arch == Arch::X86 { 0x18 } else { 0x30 };
        assert!(fx.k.ext().pool.block(block).is_none());
        // Never inserted: the creator's dereference deletes it.
        let (_, fo) = create(&mut fx, "IoFileObjectType", 0, 0x40);
        ok(&mut fx, "ObfDereferenceObject", &[fo]);
        assert_eq!(refs(&fx, fo), None);
        // A bias keeps it past the handle for the caller.
        let (_, fo) = create(&mut fx, "IoFileObjectType", 0, 0x40);
        let (st, _, h) = insert(&mut fx, fo, 0, 1, 1);
        assert_eq!(st, 0);
        assert_eq!(refs(&fx, fo), Some((1, 1)));
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        assert_eq!(refs(&fx, fo), Some((1, 0)));
        ok(&mut fx, "ObfDereferenceObject", &[fo]);
        assert_eq!(refs(&fx, fo), None);
    }
}

#[test]
fn named_objects_collide_or_open_the_existing_one() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let attrs = oa(&mut fx, "\\BaseNamedObjects\\PortcullisMade", OBJ_OPENIF);
        let (st, ev) = create(&mut fx, "ExEventObjectType", attrs, KEVENT::STRUCT.size(arch));
        assert_eq!(st, 0);
        ok(&mut fx, "KeInitializeEvent", &[ev, 0, 0]);
        let (st, _, h) = insert(&mut fx, ev, 0, 0x1F0003, 0);
        assert_eq!(st, 0);
        assert_eq!(fx.k.ext().objects.get(ev).unwrap().name.as_deref(), Some("\\BaseNamedObjects\\PortcullisMade"));
        // ZwOpenEvent finds it by name.
        let (out, by_name) = (fx.alloc(8), oa(&mut fx, "\\BaseNamedObjects\\PortcullisMade", 0));
        assert_eq!(ok32(&mut fx, "ZwOpenEvent", &[out, 0x1F0003, by_name]), 0);
        let opened = fx.read_ptr(out);
        assert_eq!(ok32(&mut fx, "ZwClose", &[opened]), 0);
        // OBJ_OPENIF: the existing event, and the new object is gone.
        let (_, second) = create(&mut fx, "ExEventObjectType", attrs, KEVENT::STRUCT.size(arch));
        let (st, new, h2) = insert(&mut fx, second, 0, 0x1F0003, 0);
        assert_eq!(st, STATUS_OBJECT_NAME_EXISTS);
        assert_eq!(new, ev);
        assert_eq!(refs(&fx, second), None);
        assert_eq!(refs(&fx, ev), Some((0, 2)), "a second handle, no reference left to the caller");
        // Without it: a collision, and the new object is deleted.
        let plain = oa(&mut fx, "\\BaseNamedObjects\\PortcullisMade", 0);
        let (_, third) = create(&mut fx, "ExEventObjectType", plain, KEVENT::STRUCT.size(arch));
        let (st, _, _) = insert(&mut fx, third, 0, 0x1F0003, 0);
        assert_eq!(st, STATUS_OBJECT_NAME_COLLISION);
        assert_eq!(refs(&fx, third), None);
        for h in [h, h2] {
            assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        }
        assert_eq!(refs(&fx, ev), None, "the name went with the last handle");
        assert!(fx.k.ext().objects.lookup("\\BaseNamedObjects\\PortcullisMade").is_none());
    }
}

#[test]
fn types_with_kernel_state_behind_them_cannot_be_made() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        for ty in ["PsProcessType", "IoDriverObjectType", "PsJobType"] {
            let (st, _) = create(&mut fx, ty, 0, 0x100);
            assert_eq!(st, STATUS_OBJECT_TYPE_MISMATCH, "{ty}");
        }
        // Not a type at all.
        let out = fx.alloc(8);
        let junk = fx.alloc(0x100);
        assert_eq!(ok32(&mut fx, "ObCreateObject", &[0, junk, 0, 0, 0, 0x10, 0, 0, out]), STATUS_OBJECT_TYPE_MISMATCH);
    }
}
