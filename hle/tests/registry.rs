//! The registry: keys, values, their information classes and short buffers, links, deletion,
//! the Rtl routines with every query-table form, and callback registration; both
//! architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok, ok32};
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, OBJECT_ATTRIBUTES, RTL_QUERY_REGISTRY_TABLE};

const NT: Dll = Dll::Ntoskrnl;
const OBJ_KERNEL: u64 = 0x240;
const KEY_ALL_ACCESS: u64 = 0xF003F;
const REG_SZ: u64 = 1;
const REG_EXPAND_SZ: u64 = 2;
const REG_BINARY: u64 = 3;
const REG_DWORD: u64 = 4;

const STATUS_NO_MORE_ENTRIES: u64 = 0x8000_001A;
const STATUS_BUFFER_OVERFLOW: u64 = 0x8000_0005;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STATUS_BUFFER_TOO_SMALL: u64 = 0xC000_0023;
const STATUS_OBJECT_TYPE_MISMATCH: u64 = 0xC000_0024;
const STATUS_OBJECT_NAME_NOT_FOUND: u64 = 0xC000_0034;
const STATUS_CANNOT_DELETE: u64 = 0xC000_0121;
const STATUS_KEY_DELETED: u64 = 0xC000_017C;
const STATUS_FLT_INSTANCE_ALTITUDE_COLLISION: u64 = 0xC01C_0011;

fn oa(fx: &mut Fx, name: &str, root: u64) -> u64 {
    let us = fx.ustr(name);
    let at = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(at, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::RootDirectory, root).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::ObjectName, us).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::Attributes, OBJ_KERNEL).unwrap();
    at
}

fn open_key(fx: &mut Fx, path: &str, root: u64) -> (u64, u64) {
    let attrs = oa(fx, path, root);
    let out = fx.alloc(8);
    let st = fx.call(NT, "ZwOpenKey", &[out, KEY_ALL_ACCESS, attrs]).unwrap();
    (st, fx.read_ptr(out))
}

fn create_key(fx: &mut Fx, path: &str, root: u64, options: u64) -> (u64, u64, u32) {
    let attrs = oa(fx, path, root);
    let out = fx.alloc(8);
    let disp = fx.alloc(4);
    let st = fx.call(NT, "ZwCreateKey", &[out, KEY_ALL_ACCESS, attrs, 0, 0, options, disp]).unwrap();
    (st, fx.read_ptr(out), u32::from_le_bytes(fx.read(disp, 4).try_into().unwrap()))
}

fn set(fx: &mut Fx, h: u64, name: &str, ty: u64, data: &[u8]) -> u64 {
    let n = fx.ustr(name);
    let d = fx.put(data);
    fx.call(NT, "ZwSetValueKey", &[h, n, 0, ty, d, data.len() as u64]).unwrap()
}

/// ZwQueryValueKey into a buffer of `len`: (status, bytes written (up to len), ResultLength).
fn query(fx: &mut Fx, h: u64, name: &str, class: u64, len: u64) -> (u64, Vec<u8>, u32) {
    let n = fx.ustr(name);
    let buf = fx.alloc(len.max(1));
    fx.k.mem_mut().write(buf, &vec![0xEE; len as usize]).unwrap();
    let rl = fx.alloc(4);
    let st = fx.call(NT, "ZwQueryValueKey", &[h, n, class, buf, len, rl]).unwrap();
    (st, fx.read(buf, len as usize), u32::from_le_bytes(fx.read(rl, 4).try_into().unwrap()))
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
}

fn le32(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

#[test]
fn keys_open_through_links_relative_to_handles_and_are_created_one_level_at_a_time() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (st, ccs) = open_key(&mut fx, "\\Registry\\Machine\\System\\CurrentControlSet\\Control", 0);
        assert_eq!(st, 0, "{arch:?}");
        // The link is followed: the key's name is ControlSet001's.
        let info = fx.alloc(0x200);
        let rl = fx.alloc(4);
        assert_eq!(fx.call(NT, "ZwQueryKey", &[ccs, 3, info, 0x200, rl]).unwrap(), 0);
        let n = u32::from_le_bytes(fx.read(info, 4).try_into().unwrap()) as usize;
        assert_eq!(fx.read(info + 4, n), utf16("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control"), "{arch:?}");

        let (st, _) = open_key(&mut fx, "\\Registry\\Machine\\NoSuchKey\\Below", 0);
        assert_eq!(st, STATUS_OBJECT_NAME_NOT_FOUND);
        let (st, _) = open_key(&mut fx, "\\Device", 0);
        assert_eq!(st, STATUS_OBJECT_TYPE_MISMATCH, "{arch:?}: not a key");

        let (st, sub, disp) = create_key(&mut fx, "Test", ccs, 0);
        assert_eq!((st, disp), (0, 1), "{arch:?}: REG_CREATED_NEW_KEY");
        let (st, again, disp) = create_key(&mut fx, "test", ccs, 0);
        assert_eq!((st, disp), (0, 2), "{arch:?}: REG_OPENED_EXISTING_KEY, case-insensitive");
        let (st, _, _) = create_key(&mut fx, "Missing\\Deeper", ccs, 0);
        assert_eq!(st, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}: only the last level is created");
        let (st, vol, _) = create_key(&mut fx, "Volatile", sub, 1);
        assert_eq!(st, 0);
        assert_eq!(create_key(&mut fx, "Stable", vol, 0).0, 0xC000_0181, "{arch:?}: CHILD_MUST_BE_VOLATILE");

        // Deleting: not with subkeys; then the handle reports the key gone.
        assert_eq!(fx.call(NT, "ZwDeleteKey", &[sub]).unwrap(), STATUS_CANNOT_DELETE);
        assert_eq!(fx.call(NT, "ZwDeleteKey", &[vol]).unwrap(), 0);
        assert_eq!(fx.call(NT, "ZwDeleteKey", &[again]).unwrap(), 0);
        assert_eq!(fx.call(NT, "ZwFlushKey", &[sub]).unwrap(), STATUS_KEY_DELETED, "{arch:?}");
        let (_, machine) = open_key(&mut fx, "\\Registry\\Machine\\Software", 0);
        assert_eq!(fx.call(NT, "ZwDeleteKey", &[machine]).unwrap(), STATUS_CANNOT_DELETE, "{arch:?}: a hive root");
        for h in [ccs, sub, vol, again, machine] {
            assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        }
        assert!(
            fx.k.ext().objects.objects().all(|o| o.kind != portcullis_hle::ob::ObjectKind::Key
                || o.handles > 0
                || o.name.as_deref() == Some("\\REGISTRY")),
            "{arch:?}: key objects go with their handles"
        );
    }
}

#[test]
fn value_information_classes_and_short_buffers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (_, h, _) = create_key(&mut fx, "\\Registry\\Machine\\Software\\Values", 0, 0);
        assert_eq!(set(&mut fx, h, "Abc", REG_DWORD, &le32(0x1122_3344)), 0);
        // Partial: TitleIndex, Type, DataLength, Data.
        let (st, b, rl) = query(&mut fx, h, "abc", 2, 16);
        assert_eq!((st, rl), (0, 16), "{arch:?}");
        assert_eq!(b, [le32(0), le32(4), le32(4), le32(0x1122_3344)].concat());
        // Full: TitleIndex, Type, DataOffset (after the name, ULONG-aligned), DataLength,
        // NameLength, Name, Data.
        let (st, b, rl) = query(&mut fx, h, "Abc", 1, 40);
        assert_eq!((st, rl), (0, 32), "{arch:?}");
        assert_eq!(&b[..26], &[le32(0), le32(4), le32(28), le32(4), le32(6), utf16("Abc")].concat()[..]);
        assert_eq!(&b[28..32], &le32(0x1122_3344)[..]);
        // Full, 64-bit aligned: the data moves to 32.
        let (_, b, rl) = query(&mut fx, h, "Abc", 3, 40);
        assert_eq!((rl, &b[8..12]), (36, &le32(32)[..]), "{arch:?}");
        // Basic: TitleIndex, Type, NameLength, Name.
        let (_, b, rl) = query(&mut fx, h, "Abc", 0, 18);
        assert_eq!((rl, b), (18, [le32(0), le32(4), le32(6), utf16("Abc")].concat()));
        // Partial, 64-bit aligned: Type, DataLength, Data.
        let (_, b, _) = query(&mut fx, h, "Abc", 4, 12);
        assert_eq!(b, [le32(4), le32(4), le32(0x1122_3344)].concat());
        // Below the fixed part: nothing written. Above it: as much as fits.
        let (st, b, rl) = query(&mut fx, h, "Abc", 2, 8);
        assert_eq!((st, rl, b), (STATUS_BUFFER_TOO_SMALL, 16, vec![0xEE; 8]), "{arch:?}");
        let (st, b, rl) = query(&mut fx, h, "Abc", 2, 14);
        assert_eq!((st, rl), (STATUS_BUFFER_OVERFLOW, 16));
        assert_eq!(&b[12..14], &[0x44, 0x33], "{arch:?}: the part of the data that fits");
        assert_eq!(query(&mut fx, h, "Missing", 2, 16).0, STATUS_OBJECT_NAME_NOT_FOUND);
        assert_eq!(query(&mut fx, h, "Abc", 9, 16).0, STATUS_INVALID_PARAMETER);
        // The default value has an empty name.
        assert_eq!(set(&mut fx, h, "", REG_SZ, &utf16z("dflt")), 0);
        let rl = fx.alloc(4);
        let buf = fx.alloc(64);
        assert_eq!(fx.call(NT, "ZwQueryValueKey", &[h, 0, 2, buf, 64, rl]).unwrap(), 0, "{arch:?}: NULL name");
        assert_eq!(fx.read(buf + 12, 10), utf16z("dflt"));
        fx.call(NT, "ZwClose", &[h]).unwrap();
    }
}

#[test]
fn enumeration_orders_subkeys_by_name_and_values_as_set() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (_, h, _) = create_key(&mut fx, "\\Registry\\Machine\\Software\\Enum", 0, 0);
        for name in ["zeta", "Alpha", "mid"] {
            let (_, s, _) = create_key(&mut fx, name, h, 0);
            fx.call(NT, "ZwClose", &[s]).unwrap();
        }
        for (name, v) in [("Second", 2), ("First", 1)] {
            set(&mut fx, h, name, REG_DWORD, &le32(v));
        }
        let buf = fx.alloc(0x100);
        let rl = fx.alloc(4);
        let mut keys = Vec::new();
        for i in 0.. {
            let st = fx.call(NT, "ZwEnumerateKey", &[h, i, 0, buf, 0x100, rl]).unwrap();
            if st == STATUS_NO_MORE_ENTRIES {
                break;
            }
            assert_eq!(st, 0);
            let n = u32::from_le_bytes(fx.read(buf + 12, 4).try_into().unwrap()) as usize;
            keys.push(String::from_utf16_lossy(
                &fx.read(buf + 16, n).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>(),
            ));
        }
        assert_eq!(keys, ["Alpha", "mid", "zeta"], "{arch:?}");
        let mut values = Vec::new();
        for i in 0..3 {
            let st = fx.call(NT, "ZwEnumerateValueKey", &[h, i, 0, buf, 0x100, rl]).unwrap();
            if st == STATUS_NO_MORE_ENTRIES {
                break;
            }
            let n = u32::from_le_bytes(fx.read(buf + 8, 4).try_into().unwrap()) as usize;
            values.push(fx.read(buf + 12, n));
        }
        assert_eq!(values, [utf16("Second"), utf16("First")], "{arch:?}");
        // KeyFullInformation counts.
        assert_eq!(fx.call(NT, "ZwQueryKey", &[h, 2, buf, 0x100, rl]).unwrap(), 0);
        let words: Vec<u32> =
            (0..10).map(|i| u32::from_le_bytes(fx.read(buf + 8 + 4 * i, 4).try_into().unwrap())).collect();
        // TitleIndex, ClassOffset, ClassLength, SubKeys, MaxNameLen, MaxClassLen, Values,
        // MaxValueNameLen, MaxValueDataLen.
        assert_eq!(&words[..9], &[0, u32::MAX, 0, 3, 10, 0, 2, 12, 4], "{arch:?}");
        assert_eq!(fx.call(NT, "ZwQueryKey", &[h, 0, buf, 8, rl]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        assert_eq!(fx.read(rl, 4), le32(16 + 8), "{arch:?}: basic information of \"Enum\"");
        fx.call(NT, "ZwClose", &[h]).unwrap();
    }
}

/// One query-table row: (routine, flags, name, context, default type, data, length).
type Row<'a> = (u64, u64, Option<&'a str>, u64, u64, u64, u64);

/// A query table of `entries`, terminated.
fn table(fx: &mut Fx, entries: &[Row]) -> u64 {
    let size = RTL_QUERY_REGISTRY_TABLE::STRUCT.size(fx.arch);
    let at = fx.alloc(size * (entries.len() as u64 + 1));
    fx.k.mem_mut().write(at, &vec![0; (size * (entries.len() as u64 + 1)) as usize]).unwrap();
    for (i, e) in entries.iter().enumerate() {
        let name = e.2.map(|n| fx.wstr(n)).unwrap_or(0);
        let row = at + i as u64 * size;
        let mem = fx.k.mem_mut();
        mem.set(row, RTL_QUERY_REGISTRY_TABLE::QueryRoutine, e.0).unwrap();
        mem.set(row, RTL_QUERY_REGISTRY_TABLE::Flags, e.1).unwrap();
        mem.set(row, RTL_QUERY_REGISTRY_TABLE::Name, name).unwrap();
        mem.set(row, RTL_QUERY_REGISTRY_TABLE::EntryContext, e.3).unwrap();
        mem.set(row, RTL_QUERY_REGISTRY_TABLE::DefaultType, e.4).unwrap();
        mem.set(row, RTL_QUERY_REGISTRY_TABLE::DefaultData, e.5).unwrap();
        mem.set(row, RTL_QUERY_REGISTRY_TABLE::DefaultLength, e.6).unwrap();
    }
    at
}

const DIRECT: u64 = 0x20;
const REQUIRED: u64 = 0x4;
const NOEXPAND: u64 = 0x10;
const DELETE: u64 = 0x40;
const TYPECHECK: u64 = 0x100;
const SUBKEY: u64 = 0x1;

#[test]
fn query_tables_store_directly_in_every_documented_form() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let path = "\\Registry\\Machine\\Software\\Rtl";
        let (_, h, _) = create_key(&mut fx, path, 0, 0);
        set(&mut fx, h, "Dword", REG_DWORD, &le32(7));
        set(&mut fx, h, "Text", REG_SZ, &utf16z("hello"));
        set(&mut fx, h, "Blob", REG_BINARY, &[1, 2, 3, 4, 5, 6]);
        set(&mut fx, h, "Expand", REG_EXPAND_SZ, &utf16z("%Root%\\x"));
        let (_, sub, _) = create_key(&mut fx, "Sub", h, 0);
        set(&mut fx, sub, "Inner", REG_DWORD, &le32(99));
        let dword = fx.alloc(4);
        let text = fx.ustring(0, 0, 0);
        let small_buf = fx.alloc(4);
        let small = fx.ustring(0, 4, small_buf);
        let neg = fx.alloc(16);
        fx.k.mem_mut().write_u32(neg, (-8i32) as u32).unwrap();
        let pos = fx.alloc(32);
        fx.k.mem_mut().write_u32(pos, 32).unwrap();
        let inner = fx.alloc(4);
        let dflt = fx.alloc(4);
        let forty_two = fx.put(&le32(42));
        let p = fx.wstr(path);
        let t = table(
            &mut fx,
            &[
                (0, DIRECT, Some("Dword"), dword, 0, 0, 0),
                (0, DIRECT, Some("Text"), text, 0, 0, 0),
                (0, DIRECT, Some("Blob"), neg, 0, 0, 0),
                (0, DIRECT, Some("Blob"), pos, 0, 0, 0),
                (0, DIRECT, Some("Missing"), dflt, REG_DWORD, forty_two, 4),
                (0, SUBKEY, Some("Sub"), 0, 0, 0, 0),
                (0, DIRECT, Some("Inner"), inner, 0, 0, 0),
            ],
        );
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0, p, t, 0, 0]).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.read(dword, 4), le32(7));
        let (len, max, buf) = fx.counted(text);
        assert_eq!((len, max), (10, 12), "{arch:?}: an allocated buffer of the value's length");
        assert_eq!(fx.read(buf, 12), utf16z("hello"));
        assert!(fx.k.ext().pool.block(buf).is_some(), "{arch:?}: from pool, for the caller to free");
        assert_eq!(fx.read(neg, 6), [1, 2, 3, 4, 5, 6], "{arch:?}: a negative size stores the data alone");
        assert_eq!(fx.read(pos, 14), [le32(6), le32(3), vec![1, 2, 3, 4, 5, 6]].concat(), "{arch:?}");
        assert_eq!(fx.read(dflt, 4), le32(42), "{arch:?}: the default");
        assert_eq!(fx.read(inner, 4), le32(99), "{arch:?}: a subkey's value");

        // A caller's buffer too small for the string; a REQUIRED value missing; a type check.
        let t = table(&mut fx, &[(0, DIRECT, Some("Text"), small, 0, 0, 0)]);
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0, p, t, 0, 0]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        let t = table(&mut fx, &[(0, DIRECT | REQUIRED, Some("Missing"), dword, 0, 0, 0)]);
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0, p, t, 0, 0]).unwrap(), STATUS_OBJECT_NAME_NOT_FOUND);
        let t = table(&mut fx, &[(0, DIRECT | TYPECHECK, Some("Dword"), dword, REG_SZ << 24, 0, 0)]);
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0, p, t, 0, 0]).unwrap(), STATUS_OBJECT_TYPE_MISMATCH);
        let t = table(&mut fx, &[(0, DIRECT, None, dword, 0, 0, 0)]);
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0, p, t, 0, 0]).unwrap(), STATUS_INVALID_PARAMETER);

        // REG_EXPAND_SZ expands with the environment given, unless NOEXPAND.
        let env = fx.put(&[utf16z("Root=C:\\R"), utf16z("")].concat());
        let expanded = fx.ustring(0, 0, 0);
        let raw = fx.ustring(0, 0, 0);
        let t = table(
            &mut fx,
            &[(0, DIRECT, Some("Expand"), expanded, 0, 0, 0), (0, DIRECT | NOEXPAND, Some("Expand"), raw, 0, 0, 0)],
        );
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0, p, t, 0, env]).unwrap(), 0);
        let (len, _, buf) = fx.counted(expanded);
        assert_eq!(fx.read(buf, len as usize), utf16("C:\\R\\x"), "{arch:?}");
        let (len, _, buf) = fx.counted(raw);
        assert_eq!(fx.read(buf, len as usize), utf16("%Root%\\x"), "{arch:?}");

        // RTL_QUERY_REGISTRY_DELETE removes the value once read.
        let t = table(&mut fx, &[(0, DIRECT | DELETE, Some("Dword"), dword, 0, 0, 0)]);
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0, p, t, 0, 0]).unwrap(), 0);
        assert_eq!(query(&mut fx, h, "Dword", 2, 16).0, STATUS_OBJECT_NAME_NOT_FOUND, "{arch:?}");
        // A missing key, and the same with RTL_REGISTRY_OPTIONAL.
        let nowhere = fx.wstr("\\Registry\\Machine\\Nowhere");
        assert_eq!(
            fx.call(NT, "RtlQueryRegistryValues", &[0, nowhere, t, 0, 0]).unwrap(),
            STATUS_OBJECT_NAME_NOT_FOUND
        );
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[0x8000_0000, nowhere, t, 0, 0]).unwrap(), 0);
        assert_eq!(fx.call(NT, "RtlQueryRegistryValues", &[9, p, t, 0, 0]).unwrap(), STATUS_INVALID_PARAMETER);
    }
}

#[test]
fn rtl_write_check_create_and_delete() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let services = 1;
        let path = fx.wstr("Demo");
        assert_eq!(fx.call(NT, "RtlCheckRegistryKey", &[services, path]).unwrap(), STATUS_OBJECT_NAME_NOT_FOUND);
        assert_eq!(fx.call(NT, "RtlCreateRegistryKey", &[services, path]).unwrap(), 0);
        assert_eq!(fx.call(NT, "RtlCheckRegistryKey", &[services, path]).unwrap(), 0, "{arch:?}");
        let name = fx.wstr("Value");
        let data = fx.put(&le32(5));
        assert_eq!(fx.call(NT, "RtlWriteRegistryValue", &[services, path, name, REG_DWORD, data, 4]).unwrap(), 0);
        let dump = portcullis_hle::cm::dump(&fx.k, "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Demo");
        assert_eq!(dump.len(), 1, "{arch:?}");
        assert_eq!((dump[0].1.name.as_str(), dump[0].1.data.as_slice()), ("Value", &le32(5)[..]));
        assert_eq!(fx.call(NT, "RtlDeleteRegistryValue", &[services, path, name]).unwrap(), 0);
        assert_eq!(
            fx.call(NT, "RtlDeleteRegistryValue", &[services, path, name]).unwrap(),
            STATUS_OBJECT_NAME_NOT_FOUND
        );
        // Every write is in the trace.
        let changes = kernel_events(&fx.k, |e| match e {
            KernelEvent::System(portcullis_hle::events::SystemEvent::Registry(c)) => Some(c.operation),
            _ => None,
        });
        assert_eq!(changes, ["create_key", "set_value", "delete_value"], "{arch:?}");
    }
}

#[test]
fn registry_callbacks_register_once_per_altitude() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let altitude = fx.ustr("320000");
        let cookie = fx.alloc(8);
        let args = |fx: &Fx| [fx.thunk, altitude, 0, 0, cookie, 0];
        let a = args(&fx);
        assert_eq!(fx.call(NT, "CmRegisterCallbackEx", &a).unwrap(), 0);
        let first = u64::from_le_bytes(fx.read(cookie, 8).try_into().unwrap());
        assert_ne!(first, 0);
        assert_eq!(fx.call(NT, "CmRegisterCallbackEx", &a).unwrap(), STATUS_FLT_INSTANCE_ALTITUDE_COLLISION);
        // LARGE_INTEGER by value: two slots on x86.
        let split = |c: u64| if arch == Arch::X86 { vec![c & 0xFFFF_FFFF, c >> 32] } else { vec![c] };
        assert_eq!(fx.call(NT, "CmUnRegisterCallback", &split(0x1234)).unwrap(), STATUS_INVALID_PARAMETER);
        assert_eq!(fx.call(NT, "CmUnRegisterCallback", &split(first)).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.call(NT, "CmUnRegisterCallback", &split(first)).unwrap(), STATUS_INVALID_PARAMETER);
    }
}

#[test]
fn the_current_user_key_path_names_the_current_process_token_user() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let us = fx.alloc(16);
        assert_eq!(ok32(&mut fx, "RtlFormatCurrentUserKeyPath", &[us]), 0, "{arch:?}");
        let (len, max, buffer) = fx.counted(us);
        let want = "\\REGISTRY\\USER\\S-1-5-18";
        assert_eq!(len as usize, want.len() * 2, "{arch:?}");
        assert_eq!(max, len + 2, "NUL-terminated");
        assert_eq!(fx.read(buffer, max as usize), utf16z(want), "{arch:?}: the System process's user");
        assert!(fx.k.ext().pool.block(buffer).is_some());
        ok(&mut fx, "RtlFreeUnicodeString", &[us]);
        assert!(fx.k.ext().pool.block(buffer).is_none(), "{arch:?}: RtlFreeUnicodeString frees it");
    }
}
