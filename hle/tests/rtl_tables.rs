//! Bitmaps, splay trees, generic tables and AVL tables through the real stubs on both
//! architectures. The tables call back into guest routines written here (compare, allocate,
//! free), and the trees they build in guest memory are checked for Windows' shape: parent
//! links, order, AVL balance factors and DepthOfTree.
#[allow(unused_imports)]
mod common;
mod rtl_support;
use common::fx::*;
use common::*;
use rtl_support::*;

use portcullis_emu::{Prot, RegionKind};
use portcullis_hle::layout::{FieldAccess, RTL_AVL_TABLE, RTL_BALANCED_LINKS, RTL_BITMAP_RUN, RTL_GENERIC_TABLE};

const NOT_FOUND: u64 = 0xFFFF_FFFF;

/// A bitmap of `bits` bits over `bytes` (padded with zeros to whole ULONGs).
fn bitmap(fx: &mut Fx, bits: u32, bytes: &[u8]) -> (u64, u64) {
    let mut b = bytes.to_vec();
    b.resize((bits as usize).div_ceil(32) * 4 + 8, 0);
    let buf = fx.put(&b);
    let header = fx.alloc(16);
    call(fx, "RtlInitializeBitMap", &[header, buf, bits.into()]);
    (header, buf)
}

#[test]
fn bitmaps_set_clear_count_and_test() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (h, buf) = bitmap(&mut fx, 70, &[]);
        call(&mut fx, "RtlSetBits", &[h, 3, 10]);
        assert_eq!(fx.read(buf, 3), [0xF8, 0x1F, 0x00], "{arch:?}");
        call(&mut fx, "RtlSetBit", &[h, 69]);
        assert!(call_bool(&mut fx, "RtlTestBit", &[h, 69]));
        assert!(!call_bool(&mut fx, "RtlTestBit", &[h, 68]));
        assert_eq!(call(&mut fx, "RtlNumberOfSetBits", &[h]), 11);
        assert_eq!(call(&mut fx, "RtlNumberOfClearBits", &[h]), 59);
        call(&mut fx, "RtlClearBit", &[h, 5]);
        call(&mut fx, "RtlClearBits", &[h, 10, 3]);
        assert_eq!(fx.read(buf, 2), [0xD8, 0x03]);
        assert!(call_bool(&mut fx, "RtlAreBitsSet", &[h, 6, 4]));
        assert!(!call_bool(&mut fx, "RtlAreBitsSet", &[h, 5, 4]));
        assert!(call_bool(&mut fx, "RtlAreBitsClear", &[h, 10, 50]));
        assert!(!call_bool(&mut fx, "RtlAreBitsClear", &[h, 10, 60]), "past the end");
        assert!(!call_bool(&mut fx, "RtlAreBitsClear", &[h, 10, 0]), "an empty range is FALSE");
        call(&mut fx, "RtlSetAllBits", &[h]);
        assert_eq!(fx.read(buf, 12), [0xFF; 12], "whole ULONGs");
        assert_eq!(call(&mut fx, "RtlNumberOfSetBits", &[h]), 70, "bits past the size never count");
        call(&mut fx, "RtlClearAllBits", &[h]);
        assert_eq!(fx.read(buf, 12), [0; 12]);
        for (set, least, most) in
            [(0u64, -1i32, -1i32), (1, 0, 0), (0x8000_0000_0000_0000, 63, 63), (0x0000_0010_0001_0000, 16, 36)]
        {
            let lo = call_i32(&mut fx, "RtlFindLeastSignificantBit", &wide(arch, set));
            let hi = call_i32(&mut fx, "RtlFindMostSignificantBit", &wide(arch, set));
            assert_eq!((lo as i8 as i32, hi as i8 as i32), (least, most), "{set:#x}");
        }
        assert_eq!(call(&mut fx, "RtlNumberOfSetBitsUlongPtr", &[0xF0F0]), 8);
    }
}

#[test]
fn bitmap_searches_follow_the_hint_and_wrap() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // Bits: 0-7 set, 8-11 clear, 12-15 set, 16-39 clear (40 bits).
        let (h, _) = bitmap(&mut fx, 40, &[0xFF, 0xF0, 0, 0, 0]);
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 4, 0]), 8, "{arch:?}");
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 5, 0]), 16);
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 3, 20]), 20, "from the hint");
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 24, 30]), 16, "wraps to the start");
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 25, 0]), NOT_FOUND);
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 0, 5]), NOT_FOUND, "nothing to find");
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 41, 0]), NOT_FOUND);
        assert_eq!(call(&mut fx, "RtlFindSetBits", &[h, 4, 9]), 12);
        assert_eq!(call(&mut fx, "RtlFindSetBits", &[h, 8, 9]), 0, "wraps");
        assert_eq!(call(&mut fx, "RtlFindClearBitsAndSet", &[h, 4, 0]), 8);
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 1, 0]), 16);
        assert_eq!(call(&mut fx, "RtlFindSetBitsAndClear", &[h, 16, 0]), 0);
        assert_eq!(call(&mut fx, "RtlNumberOfSetBits", &[h]), 0);

        // Runs: 0-2 clear, 3-4 set, 5-14 clear, 15 set, 16-19 clear.
        let (h, _) = bitmap(&mut fx, 20, &[0x18, 0x80, 0x00]);
        let start = fx.alloc(4);
        assert_eq!(call(&mut fx, "RtlFindFirstRunClear", &[h, start]), 3);
        assert_eq!(fx.k.mem().read_u32(start).unwrap(), 0);
        assert_eq!(call(&mut fx, "RtlFindNextForwardRunClear", &[h, 4, start]), 10);
        assert_eq!(fx.k.mem().read_u32(start).unwrap(), 5);
        assert_eq!(call(&mut fx, "RtlFindNextForwardRunClear", &[h, 7, start]), 8, "from inside a run");
        assert_eq!(fx.k.mem().read_u32(start).unwrap(), 7);
        assert_eq!(call(&mut fx, "RtlFindLongestRunClear", &[h, start]), 10);
        assert_eq!(fx.k.mem().read_u32(start).unwrap(), 5);
        assert_eq!(call(&mut fx, "RtlFindLastBackwardRunClear", &[h, 17, start]), 2);
        assert_eq!(fx.k.mem().read_u32(start).unwrap(), 16);
        assert_eq!(call(&mut fx, "RtlFindLastBackwardRunClear", &[h, 15, start]), 10, "back over a set bit");
        assert_eq!(fx.k.mem().read_u32(start).unwrap(), 5);
        let runs = fx.alloc(64);
        let run = |fx: &Fx, i: u64| {
            let at = runs + i * 8;
            (
                fx.k.mem().get(at, RTL_BITMAP_RUN::StartingIndex).unwrap(),
                fx.k.mem().get(at, RTL_BITMAP_RUN::NumberOfBits).unwrap(),
            )
        };
        assert_eq!(call(&mut fx, "RtlFindClearRuns", &[h, runs, 2, 0]), 2);
        assert_eq!((run(&fx, 0), run(&fx, 1)), ((0, 3), (5, 10)), "the first runs, in order");
        assert_eq!(call(&mut fx, "RtlFindClearRuns", &[h, runs, 2, 1]), 2);
        assert_eq!((run(&fx, 0), run(&fx, 1)), ((5, 10), (16, 4)), "the longest runs");
        assert_eq!(call(&mut fx, "RtlFindClearRuns", &[h, runs, 8, 1]), 3);
    }
}

#[test]
fn a_huge_bitmap_header_reads_only_what_a_search_reaches() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // 4 G bits claimed over a small buffer: the clear run at its start is found without
        // touching what is not there.
        let buf = fx.put(&[0x01, 0, 0, 0]);
        let h = fx.alloc(16);
        call(&mut fx, "RtlInitializeBitMap", &[h, buf, 0xFFFF_FFF0]);
        assert_eq!(call(&mut fx, "RtlFindClearBits", &[h, 8, 0]), 1, "{arch:?}");
        // Counting every bit reaches unmapped memory: the page fault Windows takes.
        let b = bugcheck(fx.call(NT, "RtlNumberOfSetBits", &[h]));
        assert_eq!(b.code, 0x50);
    }
}

/// Guest routines for the tables: compare u32 keys, a bump allocator of 0x100-byte nodes,
/// a free routine that counts its calls. Returns (compare, allocate, free, free count cell).
fn table_routines(fx: &mut Fx) -> (u64, u64, u64, u64) {
    let code = fx.k.mem_mut().alloc(RegionKind::System, "table routines", 0x1000, Prot::RWX).unwrap();
    let arena = fx.k.mem_mut().alloc(RegionKind::Pool, "table nodes", 0x10000, Prot::RW).unwrap();
    let cursor = fx.alloc(8);
    let frees = fx.alloc(8);
    fx.k.mem_mut().write_u64(cursor, arena).unwrap();
    let (cmp, alloc, free): (Vec<u8>, Vec<u8>, Vec<u8>) = match fx.arch {
        Arch::X86 => {
            // mov eax,[esp+8]; mov eax,[eax]; mov ecx,[esp+12]; cmp eax,[ecx]; jb L; ja G; mov eax,2; ret 12
            // L: xor eax,eax; ret 12   G: mov eax,1; ret 12
            let cmp = vec![
                0x8B, 0x44, 0x24, 0x08, 0x8B, 0x00, 0x8B, 0x4C, 0x24, 0x0C, 0x3B, 0x01, 0x72, 0x0A, 0x77, 0x0D, 0xB8,
                0x02, 0x00, 0x00, 0x00, 0xC2, 0x0C, 0x00, 0x31, 0xC0, 0xC2, 0x0C, 0x00, 0xB8, 0x01, 0x00, 0x00, 0x00,
                0xC2, 0x0C, 0x00,
            ];
            let mut alloc = vec![0xA1]; // mov eax,[cursor]
            alloc.extend((cursor as u32).to_le_bytes());
            alloc.extend([0x81, 0x05]); // add dword [cursor], 0x100
            alloc.extend((cursor as u32).to_le_bytes());
            alloc.extend(0x100u32.to_le_bytes());
            alloc.extend([0xC2, 0x08, 0x00]);
            let mut free = vec![0xFF, 0x05]; // inc dword [frees]
            free.extend((frees as u32).to_le_bytes());
            free.extend([0xC2, 0x08, 0x00]);
            (cmp, alloc, free)
        }
        Arch::X64 => {
            // mov eax,[rdx]; cmp eax,[r8]; jb L; ja G; mov eax,2; ret; L: xor eax,eax; ret; G: mov eax,1; ret
            let cmp = vec![
                0x8B, 0x02, 0x41, 0x3B, 0x00, 0x72, 0x08, 0x77, 0x09, 0xB8, 0x02, 0x00, 0x00, 0x00, 0xC3, 0x31, 0xC0,
                0xC3, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3,
            ];
            let mut alloc = vec![0x48, 0xB8]; // mov rax, cursor
            alloc.extend(cursor.to_le_bytes());
            alloc.extend([0x48, 0x8B, 0x08]); // mov rcx,[rax]
            alloc.extend([0x48, 0x81, 0x00, 0x00, 0x01, 0x00, 0x00]); // add qword [rax], 0x100
            alloc.extend([0x48, 0x89, 0xC8, 0xC3]); // mov rax, rcx; ret
            let mut free = vec![0x48, 0xB8]; // mov rax, frees
            free.extend(frees.to_le_bytes());
            free.extend([0xFF, 0x00, 0xC3]); // inc dword [rax]; ret
            (cmp, alloc, free)
        }
    };
    let mut at = code;
    let mut place = |fx: &mut Fx, bytes: &[u8]| {
        let a = at;
        fx.k.mem_mut().write(a, bytes).unwrap();
        at += 0x80;
        a
    };
    (place(fx, &cmp), place(fx, &alloc), place(fx, &free), frees)
}

const KEYS: [u32; 24] = [50, 20, 80, 10, 30, 70, 90, 5, 15, 25, 35, 65, 75, 85, 95, 1, 2, 3, 4, 6, 7, 8, 9, 11];

fn key_at(fx: &Fx, data: u64) -> u32 {
    fx.k.mem().read_u32(data).unwrap()
}

/// Calls an export returning an element and reads the element's key.
fn call_key(fx: &mut Fx, name: &str, args: &[u64]) -> u32 {
    let data = call(fx, name, args);
    assert_ne!(data, 0, "{name} found nothing");
    key_at(fx, data)
}

#[test]
fn generic_tables_insert_lookup_enumerate_and_delete_through_driver_callbacks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (cmp, alloc, free, frees) = table_routines(&mut fx);
        let table = fx.alloc(0x48);
        call(&mut fx, "RtlInitializeGenericTable", &[table, cmp, alloc, free, 0x1234]);
        assert!(call_bool(&mut fx, "RtlIsGenericTableEmpty", &[table]));
        let key = fx.alloc(8);
        let new = fx.alloc(1);
        let offset = if arch == Arch::X86 { 24 } else { 40 };
        for (i, &v) in KEYS.iter().enumerate() {
            fx.k.mem_mut().write_u32(key, v).unwrap();
            let data = call(&mut fx, "RtlInsertElementGenericTable", &[table, key, 4, new]);
            assert_eq!((key_at(&fx, data), fx.read(new, 1)[0]), (v, 1), "{arch:?} insert {v}");
            // The element just inserted is splayed to the root.
            assert_eq!(fx.k.mem().get(table, RTL_GENERIC_TABLE::TableRoot).unwrap(), data - offset);
            assert_eq!(call(&mut fx, "RtlNumberGenericTableElements", &[table]), i as u64 + 1);
        }
        // Inserting an existing key returns it, NewElement FALSE.
        fx.k.mem_mut().write_u32(key, 30).unwrap();
        let again = call(&mut fx, "RtlInsertElementGenericTable", &[table, key, 4, new]);
        assert_eq!((key_at(&fx, again), fx.read(new, 1)[0]), (30, 0));
        assert_eq!(call(&mut fx, "RtlNumberGenericTableElements", &[table]), KEYS.len() as u64);
        // Lookup.
        fx.k.mem_mut().write_u32(key, 75).unwrap();
        assert_eq!(call_key(&mut fx, "RtlLookupElementGenericTable", &[table, key]), 75);
        fx.k.mem_mut().write_u32(key, 76).unwrap();
        assert_eq!(call(&mut fx, "RtlLookupElementGenericTable", &[table, key]), 0);
        let (nop, result) = (fx.alloc(8), fx.alloc(4));
        assert_eq!(call(&mut fx, "RtlLookupElementGenericTableFull", &[table, key, nop, result]), 0);
        let search = fx.k.mem().read_u32(result).unwrap();
        assert!(search == 2 || search == 3, "where 76 would go: {search}");
        // Enumeration in key order, by splaying and without.
        let mut sorted = KEYS.to_vec();
        sorted.sort();
        let mut seen = Vec::new();
        let mut p = call(&mut fx, "RtlEnumerateGenericTable", &[table, 1]);
        while p != 0 {
            seen.push(key_at(&fx, p));
            p = call(&mut fx, "RtlEnumerateGenericTable", &[table, 0]);
        }
        assert_eq!(seen, sorted, "{arch:?}");
        let restart = fx.alloc(8);
        fx.k.mem_mut().write_ptr(restart, 0).unwrap();
        let mut seen = Vec::new();
        loop {
            let p = call(&mut fx, "RtlEnumerateGenericTableWithoutSplaying", &[table, restart]);
            if p == 0 {
                break;
            }
            seen.push(key_at(&fx, p));
        }
        assert_eq!(seen, sorted);
        // RtlGetElementGenericTable counts in insertion order.
        for i in [0u64, 5, 23, 3] {
            assert_eq!(call_key(&mut fx, "RtlGetElementGenericTable", &[table, i]), KEYS[i as usize], "element {i}");
        }
        assert_eq!(call(&mut fx, "RtlGetElementGenericTable", &[table, 24]), 0);
        assert_eq!(call(&mut fx, "RtlGetElementGenericTable", &[table, 0xFFFF_FFFF]), 0);
        // Delete half, through FreeRoutine.
        for &v in KEYS.iter().step_by(2) {
            fx.k.mem_mut().write_u32(key, v).unwrap();
            assert!(call_bool(&mut fx, "RtlDeleteElementGenericTable", &[table, key]), "delete {v}");
        }
        assert!(!call_bool(&mut fx, "RtlDeleteElementGenericTable", &[table, key]), "already gone");
        assert_eq!(fx.k.mem().read_u32(frees).unwrap(), 12);
        let remaining: Vec<u32> = KEYS.iter().skip(1).step_by(2).copied().collect();
        for (i, &v) in remaining.iter().enumerate() {
            assert_eq!(call_key(&mut fx, "RtlGetElementGenericTable", &[table, i as u64]), v);
        }
        let mut left: Vec<u32> = remaining.clone();
        left.sort();
        let mut seen = Vec::new();
        let mut p = call(&mut fx, "RtlEnumerateGenericTable", &[table, 1]);
        while p != 0 {
            seen.push(key_at(&fx, p));
            p = call(&mut fx, "RtlEnumerateGenericTable", &[table, 0]);
        }
        assert_eq!(seen, left);
        check_splay_tree(&fx, fx.k.mem().get(table, RTL_GENERIC_TABLE::TableRoot).unwrap(), offset, left.len());
    }
}

/// Walks a splay tree: parent links, the root its own parent, keys in order.
fn check_splay_tree(fx: &Fx, root: u64, offset: u64, count: usize) {
    let mem = fx.k.mem();
    let ptr = fx.arch.ptr_size();
    assert_eq!(mem.read_ptr(root).unwrap(), root, "the root is its own parent");
    let mut keys = Vec::new();
    // In-order walk with an explicit stack.
    let mut stack = Vec::new();
    let mut node = root;
    loop {
        while node != 0 {
            stack.push(node);
            node = mem.read_ptr(node + ptr).unwrap();
        }
        let Some(n) = stack.pop() else { break };
        keys.push(mem.read_u32(n + offset).unwrap());
        for child in [mem.read_ptr(n + ptr).unwrap(), mem.read_ptr(n + 2 * ptr).unwrap()] {
            if child != 0 {
                assert_eq!(mem.read_ptr(child).unwrap(), n, "parent link");
            }
        }
        node = mem.read_ptr(n + 2 * ptr).unwrap();
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!((keys.len(), keys.clone()), (count, sorted));
}

/// Checks an AVL table's tree: parent links, order, balance factors and DepthOfTree.
fn check_avl(fx: &Fx, table: u64) -> Vec<u32> {
    let mem = fx.k.mem();
    let arch = fx.arch;
    let sentinel = RTL_AVL_TABLE::BalancedRoot.at(arch, table);
    let offset = RTL_BALANCED_LINKS::STRUCT.size(arch);
    let root = mem.get(sentinel, RTL_BALANCED_LINKS::RightChild).unwrap();
    fn walk(fx: &Fx, n: u64, parent: u64, offset: u64, keys: &mut Vec<u32>) -> i64 {
        if n == 0 {
            return 0;
        }
        let mem = fx.k.mem();
        assert_eq!(mem.get(n, RTL_BALANCED_LINKS::Parent).unwrap(), parent, "parent link");
        let l = walk(fx, mem.get(n, RTL_BALANCED_LINKS::LeftChild).unwrap(), n, offset, keys);
        keys.push(mem.read_u32(n + offset).unwrap());
        let r = walk(fx, mem.get(n, RTL_BALANCED_LINKS::RightChild).unwrap(), n, offset, keys);
        let balance = mem.get(n, RTL_BALANCED_LINKS::Balance).unwrap() as u8 as i8;
        assert_eq!(i64::from(balance), r - l, "the balance factor of {:#x}", n);
        assert!((r - l).abs() <= 1, "an unbalanced node");
        1 + l.max(r)
    }
    let mut keys = Vec::new();
    let height = walk(fx, root, sentinel, offset, &mut keys);
    assert_eq!(mem.get(table, RTL_AVL_TABLE::DepthOfTree).unwrap() as i64, height, "DepthOfTree");
    assert_eq!(mem.get(table, RTL_AVL_TABLE::NumberGenericTableElements).unwrap() as usize, keys.len());
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "in order");
    keys
}

#[test]
fn avl_tables_stay_balanced_through_inserts_and_deletes() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (cmp, alloc, free, frees) = table_routines(&mut fx);
        let table = fx.alloc(0x68);
        call(&mut fx, "RtlInitializeGenericTableAvl", &[table, cmp, alloc, free, 0]);
        assert!(call_bool(&mut fx, "RtlIsGenericTableEmptyAvl", &[table]));
        let key = fx.alloc(8);
        let new = fx.alloc(1);
        // Ascending inserts are the worst case for an unbalanced tree.
        for v in 1..=40u32 {
            fx.k.mem_mut().write_u32(key, v * 10).unwrap();
            let data = call(&mut fx, "RtlInsertElementGenericTableAvl", &[table, key, 4, new]);
            assert_eq!((key_at(&fx, data), fx.read(new, 1)[0]), (v * 10, 1), "{arch:?}");
            check_avl(&fx, table);
        }
        assert_eq!(fx.k.mem().get(table, RTL_AVL_TABLE::DepthOfTree).unwrap(), 6, "40 nodes: height 6");
        for &v in &KEYS {
            fx.k.mem_mut().write_u32(key, v).unwrap();
            call(&mut fx, "RtlInsertElementGenericTableAvl", &[table, key, 4, new]);
            check_avl(&fx, table);
        }
        fx.k.mem_mut().write_u32(key, 200).unwrap();
        let again = call(&mut fx, "RtlInsertElementGenericTableAvl", &[table, key, 4, new]);
        assert_eq!((key_at(&fx, again), fx.read(new, 1)[0]), (200, 0));
        assert_eq!(call_key(&mut fx, "RtlLookupElementGenericTableAvl", &[table, key]), 200);
        fx.k.mem_mut().write_u32(key, 201).unwrap();
        assert_eq!(call(&mut fx, "RtlLookupElementGenericTableAvl", &[table, key]), 0);
        let all = check_avl(&fx, table);
        // Sorted-order access.
        for i in [0u64, 1, 17, all.len() as u64 - 1] {
            assert_eq!(call_key(&mut fx, "RtlGetElementGenericTableAvl", &[table, i]), all[i as usize]);
        }
        assert_eq!(call(&mut fx, "RtlGetElementGenericTableAvl", &[table, all.len() as u64]), 0);
        // Enumeration, restartable.
        let mut seen = Vec::new();
        let mut p = call(&mut fx, "RtlEnumerateGenericTableAvl", &[table, 1]);
        while p != 0 {
            seen.push(key_at(&fx, p));
            p = call(&mut fx, "RtlEnumerateGenericTableAvl", &[table, 0]);
        }
        assert_eq!(seen, all);
        // Delete in an order that exercises every rebalancing case.
        let mut expected = all.clone();
        let mut deleted = 0;
        for (i, v) in all.iter().enumerate().filter(|(i, _)| i % 3 != 1) {
            fx.k.mem_mut().write_u32(key, *v).unwrap();
            assert!(call_bool(&mut fx, "RtlDeleteElementGenericTableAvl", &[table, key]), "delete {v} ({i})");
            expected.retain(|x| x != v);
            deleted += 1;
            assert_eq!(check_avl(&fx, table), expected, "{arch:?} after deleting {v}");
        }
        assert_eq!(fx.k.mem().read_u32(frees).unwrap(), deleted);
        assert!(!call_bool(&mut fx, "RtlDeleteElementGenericTableAvl", &[table, key]));
        // Deleting while enumerating: the restart key survives.
        let restart = fx.alloc(8);
        fx.k.mem_mut().write_ptr(restart, 0).unwrap();
        let first = call(&mut fx, "RtlEnumerateGenericTableWithoutSplayingAvl", &[table, restart]);
        assert_eq!(key_at(&fx, first), expected[0]);
        let second = call(&mut fx, "RtlEnumerateGenericTableWithoutSplayingAvl", &[table, restart]);
        assert_eq!(key_at(&fx, second), expected[1]);
        // First matching element.
        fx.k.mem_mut().write_u32(key, expected[2]).unwrap();
        let first_match = call(&mut fx, "RtlLookupFirstMatchingElementGenericTableAvl", &[table, key, restart]);
        assert_eq!(key_at(&fx, first_match), expected[2]);
        // Empty it.
        for v in expected.clone() {
            fx.k.mem_mut().write_u32(key, v).unwrap();
            assert!(call_bool(&mut fx, "RtlDeleteElementGenericTableAvl", &[table, key]));
        }
        assert!(call_bool(&mut fx, "RtlIsGenericTableEmptyAvl", &[table]));
        assert_eq!(fx.k.mem().get(table, RTL_AVL_TABLE::DepthOfTree).unwrap(), 0);
        assert_eq!(call(&mut fx, "RtlEnumerateGenericTableAvl", &[table, 1]), 0);
    }
}

#[test]
fn splay_links_splay_delete_and_walk() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ptr = arch.ptr_size();
        // Nodes 1..=7 as a degenerate right spine: 1 -> 2 -> ... -> 7, keys in a side table.
        let nodes: Vec<u64> = (0..7).map(|_| fx.alloc(3 * ptr)).collect();
        for (i, &n) in nodes.iter().enumerate() {
            let mem = fx.k.mem_mut();
            mem.write_ptr(n, if i == 0 { n } else { nodes[i - 1] }).unwrap();
            mem.write_ptr(n + ptr, 0).unwrap();
            mem.write_ptr(n + 2 * ptr, nodes.get(i + 1).copied().unwrap_or(0)).unwrap();
        }
        let order = |fx: &mut Fx, root: u64| -> Vec<usize> {
            let mut out = Vec::new();
            let mut n = root;
            while let Some(l) = Some(fx.k.mem().read_ptr(n + ptr).unwrap()).filter(|&l| l != 0) {
                n = l;
            }
            while n != 0 {
                out.push(nodes.iter().position(|&x| x == n).unwrap() + 1);
                n = call(fx, "RtlRealSuccessor", &[n]);
            }
            out
        };
        let root = call(&mut fx, "RtlSplay", &[nodes[6]]);
        assert_eq!(root, nodes[6], "{arch:?}");
        assert_eq!(fx.read_ptr(root), root, "the new root is its own parent");
        assert_eq!(order(&mut fx, root), [1, 2, 3, 4, 5, 6, 7]);
        let root = call(&mut fx, "RtlSplay", &[nodes[2]]);
        assert_eq!(order(&mut fx, root), [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(call(&mut fx, "RtlRealPredecessor", &[nodes[2]]), nodes[1]);
        assert_eq!(call(&mut fx, "RtlRealPredecessor", &[nodes[0]]), 0);
        assert_eq!(call(&mut fx, "RtlRealSuccessor", &[nodes[6]]), 0);
        assert_eq!(call(&mut fx, "RtlSubtreePredecessor", &[root]), nodes[1]);
        assert_eq!(call(&mut fx, "RtlSubtreeSuccessor", &[root]), nodes[3]);
        // Delete the root (two children): the tree keeps its order.
        let root = call(&mut fx, "RtlDelete", &[root]);
        assert_eq!(order(&mut fx, root), [1, 2, 4, 5, 6, 7]);
        let root_cell = fx.alloc(8);
        fx.k.mem_mut().write_ptr(root_cell, root).unwrap();
        call(&mut fx, "RtlDeleteNoSplay", &[nodes[6], root_cell]);
        let root = fx.read_ptr(root_cell);
        assert_eq!(order(&mut fx, root), [1, 2, 4, 5, 6]);
        call(&mut fx, "RtlDeleteNoSplay", &[root, root_cell]);
        let root = fx.read_ptr(root_cell);
        assert_eq!(fx.read_ptr(root), root);
        assert_eq!(order(&mut fx, root).len(), 4);
    }
}
