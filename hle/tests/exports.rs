//! Kernel exports called the way driver code calls them, on both architectures, through the
//! `common::fx` fixture (a guest thunk that calls each export through its real stub and
//! measures what the callee popped: the argument bytes for stdcall and for fastcall's stack
//! arguments, 0 for cdecl and everything on x64). The tests compare it with the conventions
//! Windows documents, not with the export table. New families of exports get test files of
//! their own (`hle/tests/<family>.rs`) on the same fixture.
//!
//! Inputs live in a scratch region of guest memory; results are checked in guest memory, in
//! the kernel's state, and in the trace (`calls`, debug output, port events, bugchecks).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{CallConv, Prot, RegionKind};
use portcullis_hle::exports::{ArgValue, Dll};
use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT, EPROCESS, KPCR, KSYSTEM_TIME};
use portcullis_hle::types::ArgKind;

const NT: Dll = Dll::Ntoskrnl;
const HAL: Dll = Dll::Hal;

const FILE_DEVICE_UNKNOWN: u64 = 0x22;
const FILE_DEVICE_SECURE_OPEN: u64 = 0x100;
const DO_EXCLUSIVE: u64 = 0x8;
const DO_DEVICE_HAS_NAME: u64 = 0x40;

const POOL_FLAG_USE_QUOTA: u64 = 0x1;
const POOL_FLAG_UNINITIALIZED: u64 = 0x2;
const POOL_FLAG_SESSION: u64 = 0x4;
const POOL_FLAG_CACHE_ALIGNED: u64 = 0x8;
const POOL_FLAG_RESERVED1: u64 = 0x10;
const POOL_FLAG_RAISE_ON_FAILURE: u64 = 0x20;
const POOL_FLAG_NON_PAGED: u64 = 0x40;
const POOL_FLAG_NON_PAGED_EXECUTE: u64 = 0x80;
const POOL_FLAG_PAGED: u64 = 0x100;
const POOL_FLAG_SPECIAL_POOL: u64 = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------
// Calling conventions

#[test]
fn callees_pop_exactly_what_their_windows_convention_says() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let s = fx.wstr("abc");
        let dest = fx.alloc(16);
        let buf = fx.alloc(64);
        let fmt = fx.cstr("%d %d %d\n");
        let name = fx.ustr("\\Device\\PopCount");
        let out = fx.alloc(8);
        // (dll, export, arguments, bytes an x86 callee pops)
        let cases: Vec<(Dll, &str, Vec<u64>, u64)> = vec![
            (NT, "RtlInitUnicodeString", vec![dest, s], 8),   // stdcall, 2 args
            (NT, "RtlCompareMemory", vec![buf, buf, 16], 12), // stdcall, 3 args
            (NT, "ExAllocatePoolWithTag", vec![0, 0x20, tag(b"Conv")], 12), // stdcall
            (NT, "memset", vec![buf, 0x5A, 16], 0),           // cdecl: the caller pops
            (NT, "DbgPrint", vec![fmt, 1, 2, 3], 0),          // cdecl, variadic
            (HAL, "KeStallExecutionProcessor", vec![1], 4),   // stdcall, 1 arg
            (HAL, "WRITE_PORT_BUFFER_UCHAR", vec![0x80, buf, 2], 12), // stdcall, 3 args
            (NT, "IoCreateDevice", vec![drv, 0, name, FILE_DEVICE_UNKNOWN, 0, 0, out], 28), // stdcall, 7 args
        ];
        for (dll, export, args, x86_pops) in cases {
            let (_, popped) = fx.call_popped(dll, export, &args).unwrap();
            let expect = if arch == Arch::X86 { x86_pops } else { 0 };
            assert_eq!(popped, expect, "{export} on {arch:?}");
        }
        // ExAllocatePool2's POOL_FLAGS is a ULONG64: two stack slots on x86 (16 bytes popped
        // in all), and the halves arrive combined. The high half is POOL_FLAG_SPECIAL_POOL, an
        // optional flag, so the allocation still succeeds.
        let flags = POOL_FLAG_NON_PAGED | POOL_FLAG_SPECIAL_POOL;
        let args = match arch {
            Arch::X86 => vec![flags & 0xFFFF_FFFF, flags >> 32, 0x20, tag(b"Wide")],
            Arch::X64 => vec![flags, 0x20, tag(b"Wide")],
        };
        let (p, popped) = fx.call_popped(NT, "ExAllocatePool2", &args).unwrap();
        assert_ne!(p, 0);
        assert_eq!(popped, if arch == Arch::X86 { 16 } else { 0 });
        assert_eq!(arg(&fx.last_call(), "Flags"), &ArgValue::Int(flags));
        // Fastcall: the object comes in ECX, nothing is on the stack, nothing is popped.
        let dev = fx.read_ptr(out);
        let (refs, popped) = fx.call_popped(NT, "ObfReferenceObject", &[dev]).unwrap();
        assert_eq!((refs, popped), (1, 0));
        let (refs, popped) = fx.call_popped(NT, "ObfDereferenceObject", &[dev]).unwrap();
        assert_eq!((refs, popped), (0, 0));
        if arch == Arch::X86 {
            let (old, popped) = fx.call_popped(HAL, "KfRaiseIrql", &[2]).unwrap();
            assert_eq!((old, popped), (0, 0));
            let (_, popped) = fx.call_popped(HAL, "KfLowerIrql", &[0]).unwrap();
            assert_eq!(popped, 0);
        }
    }
}

#[test]
fn fastcall_exports_read_ecx_and_edx() {
    // IofCompleteRequest(Irp in ECX, PriorityBoost in DL) on something that is no IRP: the
    // bugcheck names the pointer that arrived in ECX (the stack holds only poison).
    let mut fx = Fx::new(Arch::X86);
    let not_an_irp = fx.alloc(0x100);
    let b = bugcheck(fx.call(NT, "IofCompleteRequest", &[not_an_irp, 2]));
    assert_eq!((b.code, b.name, b.params[0]), (0x44, "MULTIPLE_IRP_COMPLETE_REQUESTS", not_an_irp));
    assert_eq!(b.caller, fx.site);
    let c = fx.last_call();
    assert_eq!(c.name, "IofCompleteRequest");
    assert_eq!(arg(&c, "Irp"), &ArgValue::Hex(format!("{not_an_irp:#x}")));
    assert_eq!(arg(&c, "PriorityBoost"), &ArgValue::Int(2));
    assert_eq!(c.ret, None, "the call did not return");
}

#[test]
fn x64_stack_arguments_sit_above_the_shadow_space() {
    // IoCreateDevice has 7 parameters: DeviceCharacteristics, Exclusive and DeviceObject are
    // read from [rsp+0x28], [rsp+0x30], [rsp+0x38] at entry; the shadow space holds poison.
    let (mut fx, drv) = Fx::with_driver(Arch::X64);
    let name = fx.ustr("\\Device\\SevenArgs");
    let out = fx.alloc(8);
    let st = fx.call(NT, "IoCreateDevice", &[drv, 0x40, name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, 1, out]);
    assert_eq!(st.unwrap(), 0);
    let dev = fx.read_ptr(out);
    let mem = fx.k.mem();
    assert_eq!(mem.get(dev, DEVICE_OBJECT::Characteristics).unwrap(), FILE_DEVICE_SECURE_OPEN);
    let flags = mem.get(dev, DEVICE_OBJECT::Flags).unwrap();
    assert_eq!(flags & (DO_EXCLUSIVE | DO_DEVICE_HAS_NAME), DO_EXCLUSIVE | DO_DEVICE_HAS_NAME);
    assert_eq!(mem.get(dev, DEVICE_OBJECT::DeviceType).unwrap(), FILE_DEVICE_UNKNOWN);
    let c = fx.last_call();
    assert_eq!(arg(&c, "DeviceCharacteristics"), &ArgValue::Int(FILE_DEVICE_SECURE_OPEN));
    assert_eq!(arg(&c, "Exclusive"), &ArgValue::Bool(true));
    assert_eq!(arg(&c, "DeviceName"), &text("\\Device\\SevenArgs"));
    assert_eq!((c.ret, c.ret_kind, c.caller), (Some(0), Some(ArgKind::Status), fx.site));
}

// ---------------------------------------------------------------------------------------
// Strings

#[test]
fn rtl_init_unicode_string_counts_bytes_and_caps_long_strings() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let dest = fx.put(&[0xAA; 16]);
        let src = fx.wstr("Portcullis");
        fx.call(NT, "RtlInitUnicodeString", &[dest, src]).unwrap();
        assert_eq!(fx.counted(dest), (20, 22, src), "{arch:?}: bytes, without and with the terminator");
        let c = fx.last_call();
        assert_eq!((&*c.name, c.ret, c.caller), ("RtlInitUnicodeString", None, fx.site));
        assert_eq!(arg(&c, "SourceString"), &text("Portcullis"));
        assert_eq!(arg(&c, "DestinationString"), &ArgValue::Hex(format!("{dest:#x}")));

        let empty = fx.wstr("");
        fx.call(NT, "RtlInitUnicodeString", &[dest, empty]).unwrap();
        assert_eq!(fx.counted(dest), (0, 2, empty));

        // NULL: every field is written, the buffer is NULL.
        fx.k.mem_mut().write(dest, &[0xAA; 16]).unwrap();
        fx.call(NT, "RtlInitUnicodeString", &[dest, 0]).unwrap();
        assert_eq!(fx.counted(dest), (0, 0, 0));
        assert_eq!(arg(&fx.last_call(), "SourceString"), &text("(null)"));

        // 0x7FFE characters fill a UNICODE_STRING exactly: Length 0xFFFC, MaximumLength 0xFFFE.
        let exact = fx.wstr(&"x".repeat(0x7FFE));
        fx.call(NT, "RtlInitUnicodeString", &[dest, exact]).unwrap();
        assert_eq!(fx.counted(dest), (0xFFFC, 0xFFFE, exact));
        // Longer strings are cut there (never an odd Length, never a MaximumLength of 0xFFFF).
        for n in [0x7FFF, 0x8000, 0x9000] {
            let long = fx.wstr(&"y".repeat(n));
            fx.call(NT, "RtlInitUnicodeString", &[dest, long]).unwrap();
            assert_eq!(fx.counted(dest), (0xFFFC, 0xFFFE, long), "{arch:?}: {n:#x} characters");
        }
    }
}

#[test]
fn rtl_init_ansi_string_counts_bytes_and_caps_long_strings() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let dest = fx.put(&[0xAA; 16]);
        let src = fx.cstr("kernel");
        fx.call(NT, "RtlInitAnsiString", &[dest, src]).unwrap();
        assert_eq!(fx.counted(dest), (6, 7, src), "{arch:?}");
        assert_eq!(arg(&fx.last_call(), "SourceString"), &text("kernel"));
        fx.k.mem_mut().write(dest, &[0xAA; 16]).unwrap();
        fx.call(NT, "RtlInitAnsiString", &[dest, 0]).unwrap();
        assert_eq!(fx.counted(dest), (0, 0, 0));
        let exact = fx.cstr(&"a".repeat(0xFFFE));
        fx.call(NT, "RtlInitAnsiString", &[dest, exact]).unwrap();
        assert_eq!(fx.counted(dest), (0xFFFE, 0xFFFF, exact));
        let long = fx.cstr(&"b".repeat(0x10005));
        fx.call(NT, "RtlInitAnsiString", &[dest, long]).unwrap();
        assert_eq!(fx.counted(dest), (0xFFFE, 0xFFFF, long));
    }
}

#[test]
fn rtl_copy_unicode_string_truncates_terminates_and_empties() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.put(&[0xEE; 32]);
        let src = fx.ustr("ABCDEFGH");

        // Destination shorter than the source: MaximumLength bytes, no terminator past them.
        let dest = fx.ustring(0, 8, buf);
        fx.call(NT, "RtlCopyUnicodeString", &[dest, src]).unwrap();
        assert_eq!(fx.counted(dest), (8, 8, buf), "{arch:?}: MaximumLength and Buffer unchanged");
        let mut expect: Vec<u8> = "ABCD".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        expect.extend([0xEE; 24]);
        assert_eq!(fx.read(buf, 32), expect);
        let c = fx.last_call();
        assert_eq!(arg(&c, "SourceString"), &text("ABCDEFGH"));

        // An odd MaximumLength: exactly that many bytes, as documented.
        fx.k.mem_mut().write(buf, &[0xEE; 32]).unwrap();
        let dest = fx.ustring(0, 7, buf);
        fx.call(NT, "RtlCopyUnicodeString", &[dest, src]).unwrap();
        assert_eq!(fx.counted(dest).0, 7);
        assert_eq!(fx.read(buf, 8), [b'A', 0, b'B', 0, b'C', 0, b'D', 0xEE]);

        // Room for the terminator: it is written right after the copy, nothing more.
        let hi = fx.ustr("Hi");
        for (max, terminated) in [(32u64, true), (6, true), (5, false), (4, false)] {
            fx.k.mem_mut().write(buf, &[0xEE; 32]).unwrap();
            let dest = fx.ustring(0x1234, max, buf);
            fx.call(NT, "RtlCopyUnicodeString", &[dest, hi]).unwrap();
            assert_eq!(fx.counted(dest), (4, max, buf));
            let tail: &[u8] = if terminated { &[0, 0] } else { &[0xEE, 0xEE] };
            assert_eq!(fx.read(buf, 8), [&[b'H', 0, b'i', 0][..], tail, &[0xEE, 0xEE]].concat(), "max {max}");
        }

        // NULL source: Length 0, the buffer and the other fields untouched.
        fx.k.mem_mut().write(buf, &[0xEE; 32]).unwrap();
        let dest = fx.ustring(10, 32, buf);
        fx.call(NT, "RtlCopyUnicodeString", &[dest, 0]).unwrap();
        assert_eq!(fx.counted(dest), (0, 32, buf));
        assert_eq!(fx.read(buf, 32), vec![0xEE; 32]);
    }
}

// ---------------------------------------------------------------------------------------
// Memory routines

#[test]
fn rtl_compare_memory_counts_the_matching_prefix() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let data: Vec<u8> = (0..0x1800u32).map(|i| (i * 7) as u8).collect();
        let a = fx.put(&data);
        let b = fx.put(&data);
        assert_eq!(fx.call(NT, "RtlCompareMemory", &[a, b, 64]).unwrap(), 64, "{arch:?}");
        assert_eq!(fx.call(NT, "RtlCompareMemory", &[a, b, 0x1800]).unwrap(), 0x1800);
        for at in [0u64, 37, 0x1234] {
            let mut other = data.clone();
            other[at as usize] ^= 0xFF;
            fx.k.mem_mut().write(b, &other).unwrap();
            assert_eq!(fx.call(NT, "RtlCompareMemory", &[a, b, 0x1800]).unwrap(), at);
        }
        // Zero length touches nothing, even through pointers that lead nowhere.
        assert_eq!(fx.call(NT, "RtlCompareMemory", &[UNMAPPED, 0x1000, 0]).unwrap(), 0);
        let c = fx.last_call();
        assert_eq!((c.ret, c.ret_kind), (Some(0), Some(ArgKind::Size)));
    }
}

#[test]
fn memcpy_memmove_memset_follow_the_c_library() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.put(b"0123456789");
        // Overlapping, destination above the source (must copy backwards).
        assert_eq!(fx.call(NT, "memmove", &[buf + 2, buf, 6]).unwrap(), buf + 2, "returns the destination");
        assert_eq!(fx.read(buf, 10), b"0101234589");
        // Overlapping, destination below the source.
        fx.k.mem_mut().write(buf, b"0123456789").unwrap();
        assert_eq!(fx.call(NT, "memmove", &[buf, buf + 2, 6]).unwrap(), buf);
        assert_eq!(fx.read(buf, 10), b"2345676789");
        // Overlapping across a chunk boundary of the kernel's copy loop.
        let big: Vec<u8> = (0..0x2100u32).map(|i| (i % 251) as u8).collect();
        let at = fx.put(&[big.clone(), vec![0; 0x100]].concat());
        fx.call(NT, "memmove", &[at + 0x80, at, 0x2000]).unwrap();
        assert_eq!(fx.read(at + 0x80, 0x2000), big[..0x2000]);
        assert_eq!(fx.read(at, 0x80), big[..0x80], "bytes before the destination untouched");

        let src = fx.put(b"ABCDEFGH");
        let dst = fx.put(&[0xEE; 12]);
        assert_eq!(fx.call(NT, "memcpy", &[dst, src, 8]).unwrap(), dst);
        assert_eq!(fx.read(dst, 12), b"ABCDEFGH\xEE\xEE\xEE\xEE");

        // memset stores the value converted to unsigned char.
        assert_eq!(fx.call(NT, "memset", &[dst, 0x1234, 5]).unwrap(), dst);
        assert_eq!(fx.read(dst, 12), b"\x34\x34\x34\x34\x34FGH\xEE\xEE\xEE\xEE");
        fx.call(NT, "memset", &[dst, 0xFFFF_FFFF, 3]).unwrap(); // -1
        assert_eq!(fx.read(dst, 4), b"\xFF\xFF\xFF\x34");
        let c = fx.last_call();
        assert_eq!(arg(&c, "Value"), &ArgValue::Signed(-1));
        assert_eq!((c.ret, c.ret_kind), (Some(dst), Some(ArgKind::Ptr)));
        // A zero count touches nothing.
        assert_eq!(fx.call(NT, "memcpy", &[UNMAPPED, 0x1000, 0]).unwrap(), UNMAPPED);
        assert_eq!(fx.call(NT, "memset", &[UNMAPPED, 0, 0]).unwrap(), UNMAPPED);
    }
}

// ---------------------------------------------------------------------------------------
// Pool

#[test]
fn pool_blocks_are_aligned_tagged_and_sized() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let align = if arch == Arch::X64 { 16 } else { 8 };
        let hdr = align;
        let live = fx.k.ext().pool.live();
        let mut blocks = Vec::new();
        for size in [1u64, 7, 8, 24, 100, 0x800, 0xFF0, 0x1000, 0x3000] {
            let p = fx.call(NT, "ExAllocatePoolWithTag", &[0, size, tag(b"Test")]).unwrap();
            assert_ne!(p, 0);
            assert_eq!(p % align, 0, "{arch:?}: {size:#x} bytes at {p:#x}");
            if size >= 0x1000 {
                assert_eq!(p % 0x1000, 0, "{arch:?}: a page or more is page-aligned");
            }
            if size + hdr <= 0x1000 - hdr {
                // Blocks that fit in a page with their header carry a POOL_HEADER, with the
                // tag where debuggers look.
                assert_ne!(p % 0x1000, 0);
                assert_eq!(fx.k.mem().read_u32(p - hdr + 4).unwrap() as u64, tag(b"Test"));
            }
            let block = fx.k.ext().pool.block(p).expect("a live block").clone();
            assert_eq!((block.size, block.tag as u64, block.pool_type), (size, tag(b"Test"), 0));
            let c = fx.last_call();
            assert_eq!(arg(&c, "Tag"), &text("Test"));
            assert_eq!(arg(&c, "NumberOfBytes"), &ArgValue::Int(size));
            assert_eq!((c.ret, c.ret_kind, c.caller), (Some(p), Some(ArgKind::Ptr), fx.site));
            // The whole block is usable.
            fx.call(NT, "memset", &[p, 0x11, size]).unwrap();
            blocks.push(p);
        }
        let mut sorted = blocks.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), blocks.len(), "distinct blocks");

        // Zero bytes: a real, distinct, freeable block (NT treats it as one byte).
        let z1 = fx.call(NT, "ExAllocatePoolWithTag", &[0, 0, tag(b"Zero")]).unwrap();
        let z2 = fx.call(NT, "ExAllocatePoolWithTag", &[0, 0, tag(b"Zero")]).unwrap();
        assert!(z1 != 0 && z2 != 0 && z1 != z2);
        assert_eq!(z1 % align, 0);

        // ExAllocatePool tags "None"; cache-aligned pool types get cache-line alignment.
        let none = fx.call(NT, "ExAllocatePool", &[1, 40]).unwrap();
        assert_eq!(fx.k.ext().pool.block(none).unwrap().tag as u64, tag(b"None"));
        let aligned = fx.call(NT, "ExAllocatePoolWithTag", &[4, 40, tag(b"Line")]).unwrap();
        assert_eq!(aligned % 64, 0, "{arch:?}: NonPagedPoolCacheAligned");

        // Every free form: with the tag, with tag 0 (no check, as ExFreePool), without.
        for (i, p) in blocks.iter().enumerate() {
            let r = match i % 3 {
                0 => fx.call(NT, "ExFreePoolWithTag", &[*p, tag(b"Test")]),
                1 => fx.call(NT, "ExFreePoolWithTag", &[*p, 0]),
                _ => fx.call(NT, "ExFreePool", &[*p]),
            };
            r.unwrap();
        }
        for p in [z1, z2, none, aligned] {
            fx.call(NT, "ExFreePool", &[p]).unwrap();
        }
        assert_eq!(fx.k.ext().pool.live(), live, "{arch:?}: everything freed");
    }
}

#[test]
fn ex_allocate_pool2_zeroes_and_refuses_invalid_requests() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let flags = |f: u64| -> Vec<u64> {
            match arch {
                Arch::X86 => vec![f & 0xFFFF_FFFF, f >> 32],
                Arch::X64 => vec![f],
            }
        };
        let alloc2 = |fx: &mut Fx, f: u64, size: u64, t: u64| -> u64 {
            let mut args = flags(f);
            args.extend([size, t]);
            fx.call(NT, "ExAllocatePool2", &args).unwrap()
        };
        // A block freed dirty comes back (first fit by size class) zeroed.
        let dirty = fx.call(NT, "ExAllocatePoolWithTag", &[0x200, 0x48, tag(b"Dirt")]).unwrap();
        fx.call(NT, "memset", &[dirty, 0xCC, 0x48]).unwrap();
        fx.call(NT, "ExFreePool", &[dirty]).unwrap();
        let p = alloc2(&mut fx, POOL_FLAG_NON_PAGED, 0x48, tag(b"Zero"));
        assert_eq!(p, dirty, "{arch:?}: the freed block is reused");
        assert_eq!(fx.read(p, 0x48), vec![0; 0x48]);
        let b = fx.k.ext().pool.block(p).unwrap();
        assert_eq!((b.tag as u64, b.pool_type), (tag(b"Zero"), 512), "POOL_FLAG_NON_PAGED is NonPagedPoolNx");
        // Large blocks are zeroed too, and each pool kind maps to its POOL_TYPE.
        for (f, pool_type) in [(POOL_FLAG_PAGED, 1), (POOL_FLAG_NON_PAGED_EXECUTE, 0)] {
            let q = alloc2(&mut fx, f | POOL_FLAG_USE_QUOTA, 0x2345, tag(b"Big2"));
            assert_eq!(q % 0x1000, 0);
            assert!(fx.read(q, 0x2345).iter().all(|&b| b == 0));
            assert_eq!(fx.k.ext().pool.block(q).unwrap().pool_type, pool_type);
        }
        let uninit = alloc2(&mut fx, POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 0x10, tag(b"Unin"));
        assert_ne!(uninit, 0);
        let cached = alloc2(&mut fx, POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, 0x30, tag(b"Line"));
        assert_eq!(cached % 64, 0, "{arch:?}: POOL_FLAG_CACHE_ALIGNED");
        // Optional flags (the high half) are ignored when not understood.
        assert_ne!(alloc2(&mut fx, POOL_FLAG_NON_PAGED | 0x8000_0000_0000_0000, 8, tag(b"Opt ")), 0);

        // Documented NULL returns: tag 0, no pool kind, two pool kinds, and required flags
        // that are reserved, unknown or cannot be honoured (no session space here).
        let live = fx.k.ext().pool.live();
        for (f, t) in [
            (POOL_FLAG_NON_PAGED, 0),
            (0, tag(b"None")),
            (POOL_FLAG_UNINITIALIZED, tag(b"Kind")),
            (POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, tag(b"Two ")),
            (POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED1, tag(b"Resv")),
            (POOL_FLAG_NON_PAGED | 0x800, tag(b"Unkn")),
            (POOL_FLAG_NON_PAGED | 0x8000_0000, tag(b"Unkn")),
            (POOL_FLAG_PAGED | POOL_FLAG_SESSION, tag(b"Sess")),
        ] {
            assert_eq!(alloc2(&mut fx, f, 0x20, t), 0, "{arch:?}: flags {f:#x} tag {t:#x}");
            let c = fx.last_call();
            assert_eq!((c.ret, c.ret_kind), (Some(0), Some(ArgKind::Ptr)));
        }
        assert_eq!(fx.k.ext().pool.live(), live, "nothing was allocated");

        // With POOL_FLAG_RAISE_ON_FAILURE the failure raises STATUS_INSUFFICIENT_RESOURCES
        // from inside the routine; the test's caller has no handler, so the run ends as an
        // unhandled exception raised in ntoskrnl.
        let mut args = flags(POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED);
        args.extend([0x20, 0]);
        let b = bugcheck(fx.call(NT, "ExAllocatePool2", &args));
        assert_eq!((b.code, b.name), (0x1E, "KMODE_EXCEPTION_NOT_HANDLED"));
        assert_eq!(b.params[0] as u32, 0xC000_009A, "the code (sign-extended on x64, as Windows shows it)");
        assert_eq!(b.params[1], fx.stub(NT, "ExAllocatePool2"), "{arch:?}: raised in the routine");
    }
}

#[test]
fn quota_allocations_are_pool_blocks_and_raise_when_they_fail() {
    const POOL_QUOTA_FAIL_INSTEAD_OF_RAISE: u64 = 8;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = fx.call(NT, "ExAllocatePoolWithQuotaTag", &[1, 0x30, tag(b"Quot")]).unwrap();
        assert_ne!(p, 0);
        let b = fx.k.ext().pool.block(p).unwrap();
        assert_eq!((b.size, b.tag as u64, b.pool_type), (0x30, tag(b"Quot"), 1), "{arch:?}: PagedPool");
        let q = fx.call(NT, "ExAllocatePoolWithQuota", &[0, 0x10]).unwrap();
        assert_eq!(fx.k.ext().pool.block(q).unwrap().tag.to_le_bytes(), *b"None");
        fx.call(NT, "ExFreePoolWithTag", &[p, tag(b"Quot")]).unwrap();
        fx.call(NT, "ExFreePool", &[q]).unwrap();
        // More than the machine has: NULL with POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, else a raise.
        let huge = arch.mask(u64::MAX) - 0x1000;
        let r = fx.call(NT, "ExAllocatePoolWithQuotaTag", &[POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, huge, tag(b"Huge")]);
        assert_eq!(r.unwrap(), 0, "{arch:?}");
        let b = bugcheck(fx.call(NT, "ExAllocatePoolWithQuotaTag", &[0, huge, tag(b"Huge")]));
        assert_eq!((b.code, b.params[0] as u32), (0x1E, 0xC000_009A), "{arch:?}");
    }
}

#[test]
fn freeing_twice_bugchecks_bad_pool_caller_7() {
    for arch in both() {
        for size in [0x40u64, 0x2000] {
            let mut fx = Fx::new(arch);
            let p = fx.call(NT, "ExAllocatePoolWithTag", &[0, size, tag(b"Twic")]).unwrap();
            fx.call(NT, "ExFreePoolWithTag", &[p, tag(b"Twic")]).unwrap();
            let b = bugcheck(fx.call(NT, "ExFreePoolWithTag", &[p, tag(b"Twic")]));
            assert_eq!((b.code, b.name), (0xC2, "BAD_POOL_CALLER"), "{arch:?} {size:#x}");
            // 0x07: P2 reserved, P3 the pool header, P4 the block being freed.
            assert_eq!((b.params[0], b.params[1], b.params[3]), (0x07, 0, p));
            if size < 0x1000 {
                // The header of a free block: its tag kept, PoolType 0.
                let hdr = if arch == Arch::X64 { 16 } else { 8 };
                assert_eq!(b.params[2], fx.read_ptr(p - hdr));
                assert_eq!(fx.k.mem().read_u32(p - hdr + 4).unwrap() as u64, tag(b"Twic"));
                let pool_type_bits = if arch == Arch::X64 { 0xFF00_0000 } else { 0xFE00_0000u32 };
                assert_eq!(fx.k.mem().read_u32(p - hdr).unwrap() & pool_type_bits, 0);
            }
            assert_eq!(b.caller, fx.site);
            assert_eq!(fx.traced_bugchecks(), vec![b]);
        }
    }
}

#[test]
fn freeing_with_the_wrong_tag_bugchecks_bad_pool_caller_a() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = fx.call(NT, "ExAllocatePoolWithTag", &[0, 0x30, tag(b"Mine")]).unwrap();
        let b = bugcheck(fx.call(NT, "ExFreePoolWithTag", &[p, tag(b"Your")]));
        assert_eq!((b.code, b.name), (0xC2, "BAD_POOL_CALLER"));
        assert_eq!(b.params, [0x0A, p, tag(b"Mine"), tag(b"Your")], "{arch:?}");
        assert!(fx.k.ext().pool.block(p).is_some(), "the block stays allocated");
    }
}

#[test]
fn freeing_what_was_never_allocated_bugchecks() {
    for arch in both() {
        // An address in no pool at all: 0x42.
        let mut fx = Fx::new(arch);
        let elsewhere = fx.alloc(0x40);
        let b = bugcheck(fx.call(NT, "ExFreePool", &[elsewhere]));
        assert_eq!((b.code, b.params), (0xC2, [0x42, elsewhere, 0, 0]), "{arch:?}");
        // Inside pool memory but not a block an allocation returned: 0x46.
        let mut fx = Fx::new(arch);
        let p = fx.call(NT, "ExAllocatePoolWithTag", &[0, 0x40, tag(b"Half")]).unwrap();
        let b = bugcheck(fx.call(NT, "ExFreePool", &[p + 0x10]));
        assert_eq!((b.code, b.params), (0xC2, [0x46, p + 0x10, 0, 0]), "{arch:?}");
        // NULL is not a pool block either.
        let mut fx = Fx::new(arch);
        let b = bugcheck(fx.call(NT, "ExFreePoolWithTag", &[0, tag(b"Null")]));
        assert_eq!((b.code, b.params[0], b.params[1]), (0xC2, 0x42, 0));
    }
}

// ---------------------------------------------------------------------------------------
// I/O manager and objects

#[test]
fn device_and_link_names_collide_and_go_away_as_documented() {
    const COLLISION: u64 = 0xC000_0035;
    const NOT_FOUND: u64 = 0xC000_0034;
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let name = fx.ustr("\\Device\\ExportTest");
        let out = fx.alloc(8);
        let st = fx.call(NT, "IoCreateDevice", &[drv, 0x20, name, FILE_DEVICE_UNKNOWN, 0, 0, out]).unwrap();
        assert_eq!(st, 0, "{arch:?}");
        let dev = fx.read_ptr(out);
        assert_eq!(fx.k.ext().objects.resolve("\\Device\\ExportTest").map(|r| r.0), Some(dev));
        // The extension follows the object, zeroed.
        let ext = fx.k.mem().get(dev, DEVICE_OBJECT::DeviceExtension).unwrap();
        assert_eq!(ext, dev + DEVICE_OBJECT::STRUCT.size(arch));
        assert_eq!(fx.read(ext, 0x20), vec![0; 0x20]);

        // Names are case-insensitive: either spelling collides, and nothing new appears.
        let live = fx.k.ext().pool.live();
        for spelling in ["\\Device\\ExportTest", "\\DEVICE\\exporttest"] {
            let again = fx.ustr(spelling);
            let st = fx.call(NT, "IoCreateDevice", &[drv, 0, again, FILE_DEVICE_UNKNOWN, 0, 0, out]).unwrap();
            assert_eq!(st, COLLISION, "{arch:?} {spelling}");
            assert_eq!(fx.last_call().ret_kind, Some(ArgKind::Status));
        }
        assert_eq!(fx.k.ext().pool.live(), live, "a refused device leaves no memory behind");

        let link = fx.ustr("\\DosDevices\\ExportTest");
        assert_eq!(fx.call(NT, "IoCreateSymbolicLink", &[link, name]).unwrap(), 0);
        assert_eq!(fx.k.ext().objects.resolve("\\??\\EXPORTTEST").map(|r| r.0), Some(dev));
        assert_eq!(fx.call(NT, "IoCreateSymbolicLink", &[link, name]).unwrap(), COLLISION);
        let alias = fx.ustr("\\??\\ExportTest");
        assert_eq!(fx.call(NT, "IoCreateSymbolicLink", &[alias, name]).unwrap(), COLLISION);
        let c = fx.last_call();
        assert_eq!(arg(&c, "SymbolicLinkName"), &text("\\??\\ExportTest"));
        assert_eq!(arg(&c, "DeviceName"), &text("\\Device\\ExportTest"));

        let missing = fx.ustr("\\DosDevices\\NoSuchLink");
        assert_eq!(fx.call(NT, "IoDeleteSymbolicLink", &[missing]).unwrap(), NOT_FOUND);
        assert_eq!(fx.call(NT, "IoDeleteSymbolicLink", &[alias]).unwrap(), 0);
        assert_eq!(fx.call(NT, "IoDeleteSymbolicLink", &[link]).unwrap(), NOT_FOUND, "already gone");
        assert!(fx.k.ext().objects.lookup("\\??\\ExportTest").is_none());

        // IoDeleteDevice: the name leaves the namespace, the object leaves the driver's list,
        // and the name can be used again.
        fx.call(NT, "IoDeleteDevice", &[dev]).unwrap();
        assert!(fx.k.ext().objects.lookup("\\Device\\ExportTest").is_none());
        assert!(fx.k.ext().objects.get(dev).is_none());
        assert!(!portcullis_hle::io::driver::devices(&fx.k, drv).unwrap().contains(&dev));
        let st = fx.call(NT, "IoCreateDevice", &[drv, 0, name, FILE_DEVICE_UNKNOWN, 0, 0, out]).unwrap();
        assert_eq!(st, 0);
    }
}

#[test]
fn object_references_count_and_underflow_bugchecks() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        fx.call(NT, "IoCreateDevice", &[drv, 0, 0, FILE_DEVICE_UNKNOWN, 0, 0, out]).unwrap();
        let dev = fx.read_ptr(out);
        assert_eq!(fx.call(NT, "ObfReferenceObject", &[dev]).unwrap(), 1, "{arch:?}");
        assert_eq!(fx.call(NT, "ObfReferenceObject", &[dev]).unwrap(), 2);
        assert_eq!(fx.k.ext().objects.get(dev).unwrap().references, 2);
        let c = fx.last_call();
        assert_eq!((c.ret, c.ret_kind), (Some(2), Some(ArgKind::Size)));
        assert_eq!(fx.call(NT, "ObfDereferenceObject", &[dev]).unwrap(), 1);
        assert_eq!(fx.call(NT, "ObfDereferenceObject", &[dev]).unwrap(), 0);
        // One more than was taken: REFERENCE_BY_POINTER (object type, object).
        let b = bugcheck(fx.call(NT, "ObfDereferenceObject", &[dev]));
        let device_type = fx.read_ptr(fx.stub(NT, "IoDeviceObjectType"));
        assert_ne!(device_type, 0);
        assert_eq!((b.code, b.name), (0x18, "REFERENCE_BY_POINTER"));
        assert_eq!((b.params[0], b.params[1], b.caller), (device_type, dev, fx.site));

        // Something that is not an object at all.
        let (mut fx, _) = Fx::with_driver(arch);
        let junk = fx.alloc(0x40);
        let b = bugcheck(fx.call(NT, "ObfReferenceObject", &[junk]));
        assert_eq!((b.code, b.params[1]), (0x18, junk));
    }
}

// ---------------------------------------------------------------------------------------
// IRQL, time, bugchecks

#[test]
fn x86_irql_is_raised_and_lowered_through_the_hal() {
    let mut fx = Fx::new(Arch::X86);
    let kpcr = fx.k.mem().layout().kpcr;
    let irql = |fx: &Fx| fx.k.mem().get(kpcr, KPCR::IrqlX86).unwrap();
    // x86 KeGetCurrentIrql lives in hal.dll; since Windows 8 ntoskrnl.exe exports the HAL
    // routines too, and an import from either binds to the same routine.
    assert!(fx.k.ext().resolve(HAL, "KeGetCurrentIrql").is_some());
    assert_eq!(fx.k.ext().resolve(NT, "KeGetCurrentIrql"), fx.k.ext().resolve(HAL, "KeGetCurrentIrql"));
    assert_eq!(fx.call(HAL, "KeGetCurrentIrql", &[]).unwrap(), 0);
    // KfRaiseIrql returns the old level; the new one is in KPCR.Irql (fs:[0x24]).
    assert_eq!(fx.call(HAL, "KfRaiseIrql", &[1]).unwrap(), 0);
    assert_eq!(irql(&fx), 1);
    assert_eq!(fx.call(HAL, "KfRaiseIrql", &[1]).unwrap(), 1, "raising to the same level is allowed");
    assert_eq!(fx.call(HAL, "KeRaiseIrqlToDpcLevel", &[]).unwrap(), 1);
    assert_eq!(fx.call(HAL, "KeGetCurrentIrql", &[]).unwrap(), 2);
    let c = fx.last_call();
    assert_eq!((c.ret, c.ret_kind), (Some(2), Some(ArgKind::U8)));
    fx.call(HAL, "KfLowerIrql", &[1]).unwrap();
    assert_eq!(irql(&fx), 1);
    assert_eq!(arg(&fx.last_call(), "NewIrql"), &ArgValue::Int(1));
    fx.call(HAL, "KfLowerIrql", &[0]).unwrap();
    assert_eq!(fx.call(HAL, "KeGetCurrentIrql", &[]).unwrap(), 0);

    // Raising to a lower level: IRQL_NOT_GREATER_OR_EQUAL (current, requested).
    fx.call(HAL, "KfRaiseIrql", &[2]).unwrap();
    let b = bugcheck(fx.call(HAL, "KfRaiseIrql", &[1]));
    assert_eq!((b.code, b.name, b.params), (0x09, "IRQL_NOT_GREATER_OR_EQUAL", [2, 1, 0, 9]));
    assert_eq!(b.caller, fx.site);

    // Lowering to a higher level: IRQL_NOT_LESS_OR_EQUAL (requested, current).
    let mut fx = Fx::new(Arch::X86);
    let b = bugcheck(fx.call(HAL, "KfLowerIrql", &[2]));
    assert_eq!((b.code, b.name, b.params), (0x0A, "IRQL_NOT_LESS_OR_EQUAL", [2, 0, 0, 9]));
}

#[test]
fn x64_irql_is_cr8() {
    let mut fx = Fx::new(Arch::X64);
    // KfLowerIrql does not exist on x64; KfRaiseIrql, KeLowerIrql and KeRaiseIrqlToDpcLevel
    // are ntoskrnl exports there (drivers normally inline them).
    assert!(fx.k.ext().resolve(HAL, "KfLowerIrql").is_none(), "KfLowerIrql is x86-only");
    for name in ["KfRaiseIrql", "KeLowerIrql", "KeRaiseIrqlToDpcLevel"] {
        assert!(fx.k.ext().resolve(NT, name).is_some(), "{name} is an x64 ntoskrnl export");
    }
    assert_eq!(fx.call(NT, "KeGetCurrentIrql", &[]).unwrap(), 0);
    // Driver code raises IRQL with `mov cr8, rcx` (KeRaiseIrql is inline on x64).
    let code = fx.thunk + 0x800;
    fx.k.mem_mut().write(code, &[0x44, 0x0F, 0x22, 0xC1, 0xC3]).unwrap(); // mov cr8, rcx; ret
    fx.k.call(code, &[2], CallConv::Win64).unwrap();
    assert_eq!(fx.call(NT, "KeGetCurrentIrql", &[]).unwrap(), 2);
    fx.k.call(code, &[0xF], CallConv::Win64).unwrap();
    assert_eq!(fx.call(NT, "KeGetCurrentIrql", &[]).unwrap(), 15);
    fx.k.call(code, &[0], CallConv::Win64).unwrap();
    assert_eq!(fx.call(NT, "KeGetCurrentIrql", &[]).unwrap(), 0);
}

#[test]
fn stalls_advance_only_the_virtual_clock() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let tick_count = fx.stub(NT, "KeTickCount");
        let ticks = |fx: &Fx| fx.k.mem().get(tick_count, KSYSTEM_TIME::LowPart).unwrap();
        let (t0, k0) = (fx.k.guest().cpu.clock.now_ns(), ticks(&fx));
        // Two clock ticks of 15.625 ms.
        fx.call(HAL, "KeStallExecutionProcessor", &[31_250]).unwrap();
        assert_eq!(fx.k.guest().cpu.clock.now_ns() - t0, 31_250_000, "{arch:?}");
        assert_eq!(ticks(&fx) - k0, 2);
        assert_eq!(arg(&fx.last_call(), "MicroSeconds"), &ArgValue::Int(31_250));
        // The largest stall a ULONG asks for (71 minutes) costs no host time at all: it is
        // just a number added to the clock.
        fx.call(HAL, "KeStallExecutionProcessor", &[u32::MAX as u64]).unwrap();
        assert_eq!(fx.k.guest().cpu.clock.now_ns() - t0, 31_250_000 + u32::MAX as u64 * 1000);
    }
}

#[test]
fn kebugcheckex_ends_the_run_with_its_code_and_four_parameters() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p4 = if arch == Arch::X64 { 0x1122_3344_5566_7788 } else { 0x1122_3344 };
        // On x64 the fourth parameter is the fifth argument: on the stack at [rsp+0x28].
        let b = bugcheck(fx.call(NT, "KeBugCheckEx", &[0xE2, 1, 2, 0xFFFF_FFFF, p4]));
        assert_eq!((b.code, b.name, b.params), (0xE2, "MANUALLY_INITIATED_CRASH", [1, 2, 0xFFFF_FFFF, p4]), "{arch:?}");
        assert_eq!(b.caller, fx.site);
        assert_eq!(fx.traced_bugchecks(), vec![b]);
        let c = fx.last_call();
        assert_eq!((&*c.name, c.ret), ("KeBugCheckEx", None));
        assert_eq!(arg(&c, "BugCheckCode"), &ArgValue::Int(0xE2));
        assert_eq!(arg(&c, "BugCheckParameter4"), &ArgValue::Int(p4));
    }
}

// ---------------------------------------------------------------------------------------
// HAL port routines

#[test]
fn hal_port_routines_reach_the_bus_with_exact_widths_and_counts() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let dev = attach(&mut fx.k, 0x300);
        clear_trace(&mut fx.k);
        let mut sites = Vec::new();
        for (name, args) in [
            ("WRITE_PORT_UCHAR", vec![0x301, 0xFFFF_FFAB]), // only the low byte is the value
            ("WRITE_PORT_USHORT", vec![0x302, 0xFFFF_1234]),
            ("WRITE_PORT_ULONG", vec![0x304, 0xCAFE_BABE]),
        ] {
            fx.call(HAL, name, &args).unwrap();
            sites.push(fx.site);
        }
        assert_eq!(*dev.regs.borrow(), [0, 0xAB, 0x34, 0x12, 0xBE, 0xBA, 0xFE, 0xCA], "{arch:?}");
        for (name, port, value) in [
            ("READ_PORT_UCHAR", 0x301, 0xAB),
            ("READ_PORT_USHORT", 0x302, 0x1234),
            ("READ_PORT_ULONG", 0x304, 0xCAFE_BABE),
        ] {
            assert_eq!(fx.call(HAL, name, &[port]).unwrap(), value, "{arch:?} {name}");
            sites.push(fx.site);
        }
        let c = fx.last_call();
        assert_eq!((c.ret, c.ret_kind), (Some(0xCAFE_BABE), Some(ArgKind::U32)));
        assert_eq!(
            *dev.log.borrow(),
            vec![
                (1, Width::Byte, true, 0xAB),
                (2, Width::Word, true, 0x1234),
                (4, Width::Dword, true, 0xCAFE_BABE),
                (1, Width::Byte, false, 0),
                (2, Width::Word, false, 0),
                (4, Width::Dword, false, 0),
            ]
        );
        // Each access is in the trace at the driver's call site, as an `in`/`out` there would be.
        let events = ports(&fx.k);
        assert_eq!(events.len(), 6);
        for (p, site) in events.iter().zip(&sites) {
            assert_eq!((p.pc, p.cpl, p.outcome), (*site, 0, Outcome::Emulated), "{arch:?} {p:?}");
        }

        // Buffer forms: exactly Count elements of exactly the width, one access each.
        dev.log.borrow_mut().clear();
        let words = fx.put(&[1, 0, 2, 0, 3, 0, 4, 0]);
        fx.call(HAL, "WRITE_PORT_BUFFER_USHORT", &[0x300, words, 3]).unwrap();
        let buf = fx.put(&[0xEE; 16]);
        fx.call(HAL, "READ_PORT_BUFFER_UCHAR", &[0x305, buf, 4]).unwrap();
        assert_eq!(fx.read(buf, 6), [0xBA, 0xBA, 0xBA, 0xBA, 0xEE, 0xEE]);
        fx.call(HAL, "READ_PORT_BUFFER_USHORT", &[0x304, buf, 2]).unwrap();
        assert_eq!(fx.read(buf, 6), [0xBE, 0xBA, 0xBE, 0xBA, 0xEE, 0xEE]);
        fx.k.mem_mut().write(buf, &[0xEE; 16]).unwrap();
        fx.call(HAL, "READ_PORT_BUFFER_ULONG", &[0x304, buf, 3]).unwrap();
        assert_eq!(u32s(&fx.read(buf, 16)), vec![0xCAFE_BABE, 0xCAFE_BABE, 0xCAFE_BABE, 0xEEEE_EEEE]);
        let dwords = fx.put(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
        fx.call(HAL, "WRITE_PORT_BUFFER_ULONG", &[0x304, dwords, 2]).unwrap();
        fx.call(HAL, "WRITE_PORT_BUFFER_UCHAR", &[0x300, dwords, 0]).unwrap(); // Count 0: nothing
        fx.call(HAL, "WRITE_PORT_BUFFER_UCHAR", &[0x307, dwords, 1]).unwrap();
        assert_eq!(
            *dev.log.borrow(),
            vec![
                (0, Width::Word, true, 1),
                (0, Width::Word, true, 2),
                (0, Width::Word, true, 3),
                (5, Width::Byte, false, 0),
                (5, Width::Byte, false, 0),
                (5, Width::Byte, false, 0),
                (5, Width::Byte, false, 0),
                (4, Width::Word, false, 0),
                (4, Width::Word, false, 0),
                (4, Width::Dword, false, 0),
                (4, Width::Dword, false, 0),
                (4, Width::Dword, false, 0),
                (4, Width::Dword, true, 0x4433_2211),
                (4, Width::Dword, true, 0x8877_6655),
                (7, Width::Byte, true, 0x11),
            ],
            "{arch:?}"
        );
        let c = fx.last_call();
        assert_eq!((&*c.name, c.args.len()), ("WRITE_PORT_BUFFER_UCHAR", 3));
        assert_eq!(arg(&c, "Count"), &ArgValue::Int(1));

        // A port nothing answers reads all-ones at every width.
        assert_eq!(fx.call(HAL, "READ_PORT_UCHAR", &[0x3F8]).unwrap(), 0xFF);
        assert_eq!(fx.call(HAL, "READ_PORT_USHORT", &[0x3F8]).unwrap(), 0xFFFF);
        assert_eq!(fx.call(HAL, "READ_PORT_ULONG", &[0x3F8]).unwrap(), 0xFFFF_FFFF);
    }
}

// ---------------------------------------------------------------------------------------
// Debug output and processes

#[test]
fn dbgprint_formats_guest_arguments_and_dbgprintex_keeps_component_and_level() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let fmt = fx.cstr("n=%d u=%u s=%s ws=%ws us=%wZ c=%c x=%I64x%%\n");
        let s = fx.cstr("abc");
        let ws = fx.wstr("wide");
        let us = fx.ustr("Portcullis");
        let mut args = vec![fmt, (-5i32) as u32 as u64, 4_000_000_000, s, ws, us, b'Q' as u64];
        match arch {
            Arch::X86 => args.extend([0x5566_7788, 0x1122_3344]), // a 64-bit value takes two slots
            Arch::X64 => args.push(0x1122_3344_5566_7788),
        }
        assert_eq!(fx.call(NT, "DbgPrint", &args).unwrap(), 0, "{arch:?}: STATUS_SUCCESS");
        assert_eq!(
            debug_lines(&fx.k),
            vec!["n=-5 u=4000000000 s=abc ws=wide us=Portcullis c=Q x=1122334455667788%\n"],
            "{arch:?}"
        );
        let c = fx.last_call();
        assert_eq!(arg(&c, "Format"), &text("n=%d u=%u s=%s ws=%ws us=%wZ c=%c x=%I64x%%\n"));
        assert_eq!((c.ret, c.ret_kind, c.caller), (Some(0), Some(ArgKind::Status), fx.site));

        // DbgPrintEx: every message is kept, with its component and level for filtering later.
        let fmt = fx.cstr("level %u of %s\n");
        let what = fx.cstr("ten");
        for level in [0u64, 3] {
            assert_eq!(fx.call(NT, "DbgPrintEx", &[77, level, fmt, level, what]).unwrap(), 0);
        }
        let ex: Vec<(String, Option<u32>, Option<u32>, u64)> =
            fx.debug_events().into_iter().skip(1).map(|d| (d.text, d.component, d.level, d.caller)).collect();
        assert_eq!(
            ex,
            vec![
                ("level 0 of ten\n".to_string(), Some(77), Some(0), fx.site),
                ("level 3 of ten\n".to_string(), Some(77), Some(3), fx.site),
            ]
        );
        assert_eq!(fx.debug_events()[0].component, None, "DbgPrint has no component");

        // A format the kernel cannot read: DbgPrint's own handler returns
        // STATUS_ACCESS_VIOLATION and prints nothing; the run goes on.
        assert_eq!(fx.call(NT, "DbgPrint", &[UNMAPPED]).unwrap(), 0xC000_0005);
        assert_eq!(arg(&fx.last_call(), "Format"), &text(&format!("<unreadable {UNMAPPED:#x}>")));
        let bad_arg = fx.cstr("%s");
        assert_eq!(fx.call(NT, "DbgPrint", &[bad_arg, UNMAPPED]).unwrap(), 0xC000_0005);
        assert_eq!(fx.debug_events().len(), 3);
    }
}

#[test]
fn the_current_process_is_the_system_process_at_boot() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = fx.read_ptr(fx.stub(NT, "PsInitialSystemProcess"));
        let p = fx.call(NT, "IoGetCurrentProcess", &[]).unwrap();
        assert_eq!(p, system, "{arch:?}");
        assert_eq!(fx.k.mem().get(p, EPROCESS::UniqueProcessId).unwrap(), 4);
        assert_eq!(fx.read(EPROCESS::ImageFileName.at(arch, p), 7), b"System\0");
        let c = fx.last_call();
        assert_eq!((c.args.len(), c.ret, c.ret_kind), (0, Some(system), Some(ArgKind::Ptr)));
        match arch {
            Arch::X64 => {
                // Requests come from a native 64-bit process.
                assert_eq!(fx.call(NT, "IoIs32bitProcess", &[0]).unwrap(), 0);
                assert_eq!(fx.last_call().ret_kind, Some(ArgKind::Bool));
            }
            Arch::X86 => assert!(fx.k.ext().resolve(NT, "IoIs32bitProcess").is_none(), "x64 only"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bad pointers

#[test]
fn bad_pointers_raise_access_violations_or_end_the_run_as_page_faults_in_the_kernel() {
    for arch in both() {
        // A user-space destination nothing maps (a NULL-page pointer): the page fault inside the
        // routine is an access violation, raised there; nothing handles it, so the run ends in
        // KMODE_EXCEPTION_NOT_HANDLED(code, address in the routine, write, address).
        let mut fx = Fx::new(arch);
        let src = fx.wstr("text");
        let b = bugcheck(fx.call(NT, "RtlInitUnicodeString", &[0x1000, src]));
        assert_eq!((b.code, b.name), (0x1E, "KMODE_EXCEPTION_NOT_HANDLED"), "{arch:?}");
        assert_eq!([b.params[0], b.params[2], b.params[3]], [status_param(arch, 0xC000_0005), 1, 0x1000]);
        let e = exceptions(&fx.k).pop().unwrap();
        assert_eq!(e.location, "ntoskrnl.exe!RtlInitUnicodeString");
        assert_eq!((e.address, e.params.clone()), (b.params[1], vec![1, 0x1000]));
        assert_eq!(fx.traced_bugchecks(), vec![b]);
        assert_eq!(fx.last_call().ret, None);

        // An unmapped user-space source: the trace shows it unreadable; a read of it.
        let mut fx = Fx::new(arch);
        let dest = fx.alloc(16);
        let b = bugcheck(fx.call(NT, "RtlInitUnicodeString", &[dest, UNMAPPED]));
        assert_eq!((b.code, b.params[2], b.params[3]), (0x1E, 0, UNMAPPED));
        assert_eq!(arg(&fx.last_call(), "SourceString"), &text(&format!("<unreadable {UNMAPPED:#x}>")));

        // An invalid kernel address is PAGE_FAULT_IN_NONPAGED_AREA(address, read, caller, 0):
        // a string that runs off the end of mapped kernel memory faults at its first unmapped byte.
        let mut fx = Fx::new(arch);
        let dest = fx.alloc(16);
        let end = fx.heap + HEAP;
        fx.k.mem_mut().write(end - 4, &[b'A', 0, b'B', 0]).unwrap();
        let b = bugcheck(fx.call(NT, "RtlInitUnicodeString", &[dest, end - 4]));
        assert_eq!((b.code, b.name), (0x50, "PAGE_FAULT_IN_NONPAGED_AREA"));
        assert_eq!((b.params[0], b.params[2], b.caller), (end, fx.site, fx.site));
        assert!(b.reason.contains("RtlInitUnicodeString"), "{}", b.reason);

        // A read-only destination: ATTEMPTED_WRITE_TO_READONLY_MEMORY.
        let mut fx = Fx::new(arch);
        let ro = fx.k.mem_mut().alloc(RegionKind::System, "read-only", 0x1000, Prot::R).unwrap();
        let src = fx.cstr("text");
        let b = bugcheck(fx.call(NT, "RtlInitAnsiString", &[ro, src]));
        assert_eq!((b.code, b.name, b.params[0]), (0xBE, "ATTEMPTED_WRITE_TO_READONLY_MEMORY", ro));
        assert_eq!(fx.read(ro, 8), vec![0; 8], "nothing was written");

        // memcpy from and memset to nowhere in user space, and from beyond kernel memory.
        let mut fx = Fx::new(arch);
        let dst = fx.alloc(0x100);
        let b = bugcheck(fx.call(NT, "memcpy", &[dst, UNMAPPED, 0x10]));
        assert_eq!((b.code, b.params[3]), (0x1E, UNMAPPED));
        let mut fx = Fx::new(arch);
        let b = bugcheck(fx.call(NT, "memset", &[UNMAPPED + 0x10, 0, 0x10]));
        assert_eq!((b.code, b.params[2], b.params[3]), (0x1E, 1, UNMAPPED + 0x10));
        let mut fx = Fx::new(arch);
        let dst = fx.alloc(0x100);
        let b = bugcheck(fx.call(NT, "memcpy", &[dst, fx.heap + HEAP, 0x10]));
        assert_eq!((b.code, b.params[0], b.params[1]), (0x50, fx.heap + HEAP, 0));

        // RtlCopyUnicodeString into a destination whose Buffer is NULL.
        let mut fx = Fx::new(arch);
        let dest = fx.ustring(0, 32, 0);
        let src = fx.ustr("data");
        let b = bugcheck(fx.call(NT, "RtlCopyUnicodeString", &[dest, src]));
        assert_eq!((b.code, b.params[2], b.params[3]), (0x1E, 1, 0));

        // IoCreateDevice with nowhere to put the device: the run ends, and no half-made
        // device is left behind (no name, no memory).
        let (mut fx, drv) = Fx::with_driver(arch);
        let name = fx.ustr("\\Device\\Nowhere");
        let live = fx.k.ext().pool.live();
        let b = bugcheck(fx.call(NT, "IoCreateDevice", &[drv, 0, name, FILE_DEVICE_UNKNOWN, 0, 0, UNMAPPED]));
        assert_eq!((b.code, b.params[3]), (0x1E, UNMAPPED));
        assert!(fx.k.ext().objects.lookup("\\Device\\Nowhere").is_none());
        assert_eq!(fx.k.ext().pool.live(), live);
    }
    // A non-canonical x64 pointer is a general-protection fault: an access violation whose
    // address the CPU does not give (read, -1).
    let mut fx = Fx::new(Arch::X64);
    let src = fx.wstr("text");
    let b = bugcheck(fx.call(NT, "RtlInitUnicodeString", &[0x8000_0000_0000_1000, src]));
    assert_eq!((b.code, b.params[2], b.params[3]), (0x1E, 0, u64::MAX));
}

// ---------------------------------------------------------------------------------------
// The trace shows what the callee sees

#[test]
fn narrow_arguments_are_traced_without_the_registers_upper_bits() {
    // On x64 a ULONG argument is the low half of its register; the caller leaves anything
    // above it. ExAllocatePoolWithTag(PoolType: u32, NumberOfBytes: SIZE_T, Tag: ULONG).
    let mut fx = Fx::new(portcullis_emu::Arch::X64);
    let p = fx.call(NT, "ExAllocatePoolWithTag", &[0xDEAD_BEEF_0000_0000, 0x40, 0x1234_5678_6B61_654C]).unwrap();
    assert_ne!(p, 0);
    let call = fx.last_call();
    let arg = |name: &str| call.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(arg("PoolType"), ArgValue::Int(0), "NonPagedPool, not the garbage above it");
    assert_eq!(arg("NumberOfBytes"), ArgValue::Int(0x40));
    assert_eq!(arg("Tag"), ArgValue::Text("Leak".into()));
}
