//! The handle tables drivers reach through EPROCESS.ObjectTable: Windows 7's HANDLE_TABLE in
//! guest memory, kept in step with the kernel's handles, and ExEnumHandleTable walking it
//! with a driver's procedure; both architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::layout::{FieldAccess, EPROCESS, HANDLE_TABLE, HANDLE_TABLE_ENTRY};

const OBJ_INHERIT: u64 = 0x2;
const OBJ_KERNEL_HANDLE: u64 = 0x200;

fn object_table(fx: &Fx, process: u64) -> u64 {
    fx.k.mem().get(process, EPROCESS::ObjectTable).unwrap()
}

/// A kernel handle to the user process with `access` and `attributes`.
fn open_kernel(fx: &mut Fx, access: u64, attributes: u64) -> u64 {
    let out = fx.alloc(8);
    let target = fx.k.ext().system.user_process;
    let st = ok32(fx, "ObOpenObjectByPointer", &[target, OBJ_KERNEL_HANDLE | attributes, 0, access, 0, 0, out]);
    assert_eq!(st, 0);
    fx.read_ptr(out)
}

/// The guest entry of `handle` (without the kernel bit) in a table of one or two levels.
fn entry_at(fx: &Fx, table: u64, handle: u64) -> u64 {
    let arch = fx.arch;
    let code = fx.k.mem().get(table, HANDLE_TABLE::TableCode).unwrap();
    let per = 0x1000 / HANDLE_TABLE_ENTRY::STRUCT.size(arch);
    let index = (handle & 0x7FFF_FFFF) / 4;
    let page = match code & 3 {
        0 => code,
        1 => fx.read_ptr((code & !3) + (index / per) * arch.ptr_size()),
        l => panic!("level {l}"),
    };
    page + (index % per) * HANDLE_TABLE_ENTRY::STRUCT.size(arch)
}

/// An enumeration procedure (Windows 7's three parameters) that counts its calls, keeps the
/// last handle and the entry's Object as it saw it, and returns `stop`.
fn procedure(fx: &mut Fx, count: u64, last: u64, seen: u64, stop: bool) -> u64 {
    routine(fx, 3, |a, _| {
        a.inc(count).store_param(1, last).store_deref_param(0, seen).value(stop as u64);
    })
}

#[test]
fn every_process_has_a_windows7_handle_table() {
    for arch in both() {
        let fx = Fx::new(arch);
        let system = fx.k.ext().system.system_process;
        let user = fx.k.ext().system.user_process;
        let (st, ut) = (object_table(&fx, system), object_table(&fx, user));
        assert!(st != 0 && ut != 0 && st != ut);
        let m = fx.k.mem();
        assert_eq!(m.get(st, HANDLE_TABLE::UniqueProcessId).unwrap(), 4);
        assert_eq!(m.get(st, HANDLE_TABLE::QuotaProcess).unwrap(), 0, "the kernel-handle table");
        assert_eq!(m.get(ut, HANDLE_TABLE::QuotaProcess).unwrap(), user);
        assert_ne!(m.get(ut, HANDLE_TABLE::TableCode).unwrap(), 0);
        // Both tables are on one list.
        let links = HANDLE_TABLE::HandleTableList.at(arch, st);
        let next = fx.read_ptr(links);
        assert_eq!(next, HANDLE_TABLE::HandleTableList.at(arch, ut));
    }
}

#[test]
fn entries_follow_handles_as_they_open_change_and_close() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = fx.k.ext().system.system_process;
        let table = object_table(&fx, system);
        let before = fx.k.mem().get(table, HANDLE_TABLE::HandleCount).unwrap();
        let target = fx.k.ext().system.user_process;
        let header = target - if arch == Arch::X86 { 0x18 } else { 0x30 };
        let h = open_kernel(&mut fx, 0x400, OBJ_INHERIT);
        let e = entry_at(&fx, table, h);
        assert_eq!(fx.k.mem().get(e, HANDLE_TABLE_ENTRY::Object).unwrap(), header | 2 | 1, "header, inherit, unlocked");
        assert_eq!(fx.k.mem().get(e, HANDLE_TABLE_ENTRY::GrantedAccess).unwrap(), 0x400);
        assert_eq!(fx.k.mem().get(table, HANDLE_TABLE::HandleCount).unwrap(), before + 1);
        // Protected from close: MAXIMUM_ALLOWED in the granted access, as Windows 7 keeps it.
        let flags = fx.put(&[0, 1]);
        assert_eq!(ok32(&mut fx, "ObSetHandleAttributes", &[h, flags, 0]), 0);
        assert_eq!(fx.k.mem().get(e, HANDLE_TABLE_ENTRY::Object).unwrap(), header | 1, "inherit cleared");
        assert_eq!(fx.k.mem().get(e, HANDLE_TABLE_ENTRY::GrantedAccess).unwrap(), 0x0200_0400);
        let flags = fx.put(&[0, 0]);
        assert_eq!(ok32(&mut fx, "ObSetHandleAttributes", &[h, flags, 0]), 0);
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        assert_eq!(fx.k.mem().get(e, HANDLE_TABLE_ENTRY::Object).unwrap(), 0);
        assert_eq!(fx.k.mem().get(table, HANDLE_TABLE::HandleCount).unwrap(), before);
    }
}

#[test]
fn enumeration_calls_the_procedure_per_live_handle_until_it_returns_true() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = fx.k.ext().system.system_process;
        let table = object_table(&fx, system);
        let existing = fx.k.ext().handles.count(system) as u64;
        let handles: Vec<u64> = (0..3).map(|_| open_kernel(&mut fx, 0x1000, 0)).collect();
        assert_eq!(ok32(&mut fx, "ZwClose", &[handles[1]]), 0);
        let (count, last, seen, out) = (fx.alloc(8), fx.alloc(8), fx.alloc(8), fx.alloc(8));
        let go_on = procedure(&mut fx, count, last, seen, false);
        let param = fx.alloc(8);
        let r = ok(&mut fx, "ExEnumHandleTable", &[table, go_on, param, out]);
        assert_eq!(r as u8, 0, "nobody stopped it");
        assert_eq!(fx.read_ptr(count) & 0xFFFF_FFFF, existing + 2, "the closed handle is skipped");
        assert_eq!(fx.read_ptr(last), handles[2] & 0x7FFF_FFFF, "the table's own value, in handle order");
        let object = fx.read_ptr(seen);
        assert_eq!(object & 1, 0, "the entry is locked while the procedure runs");
        let e = entry_at(&fx, table, handles[2]);
        assert_eq!(fx.k.mem().get(e, HANDLE_TABLE_ENTRY::Object).unwrap(), object | 1, "and unlocked after");
        assert_eq!(fx.read_ptr(out), 0, "*Handle untouched");

        let (count2, last2, seen2) = (fx.alloc(8), fx.alloc(8), fx.alloc(8));
        let stop = procedure(&mut fx, count2, last2, seen2, true);
        let r = ok(&mut fx, "ExEnumHandleTable", &[table, stop, param, out]);
        assert_eq!(r as u8, 1);
        assert_eq!(fx.read_ptr(count2) & 0xFFFF_FFFF, 1);
        let first = fx.read_ptr(last2);
        assert_eq!(fx.read_ptr(out), first, "*Handle is where it stopped");
        // NULL Handle is allowed.
        assert_eq!(ok(&mut fx, "ExEnumHandleTable", &[table, stop, param, 0]) as u8, 1);
    }
}

#[test]
fn a_table_grows_a_level_and_skips_the_reserved_entries() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = fx.k.ext().system.system_process;
        let table = object_table(&fx, system);
        let per = 0x1000 / HANDLE_TABLE_ENTRY::STRUCT.size(arch);
        let existing = fx.k.ext().handles.count(system) as u64;
        let n = per + 10 - existing;
        let handles: Vec<u64> = (0..n).map(|_| open_kernel(&mut fx, 1, 0)).collect();
        let reserved = per * 4;
        assert!(handles.iter().all(|h| h & 0x7FFF_FFFF != reserved), "never the first entry of a page");
        assert_eq!(handles.last().unwrap() & 0x7FFF_FFFF, (per + 11) * 4, "the values after the reserved one");
        let code = fx.k.mem().get(table, HANDLE_TABLE::TableCode).unwrap();
        assert_eq!(code & 3, 1, "one level of pointers above the entry pages");
        assert_eq!(fx.k.mem().get(table, HANDLE_TABLE::NextHandleNeedingPool).unwrap(), 2 * per * 4);
        let (count, last, seen, out) = (fx.alloc(8), fx.alloc(8), fx.alloc(8), fx.alloc(8));
        let go_on = procedure(&mut fx, count, last, seen, false);
        assert_eq!(ok(&mut fx, "ExEnumHandleTable", &[table, go_on, 0, out]) as u8, 0);
        assert_eq!(fx.read_ptr(count) & 0xFFFF_FFFF, existing + n);
        assert_eq!(fx.read_ptr(last), handles.last().unwrap() & 0x7FFF_FFFF);
    }
}
