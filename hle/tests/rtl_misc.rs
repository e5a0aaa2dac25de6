//! Time and time zones, CRC-32, random numbers, x86 large integers, images and system-routine
//! lookup, file-name helpers, heaps and RtlAssert, through the real stubs on both
//! architectures, against tables of expected results.
#[allow(unused_imports)]
mod common;
mod rtl_support;
use common::fx::*;
use common::*;
use rtl_support::*;

use portcullis_emu::{FaultKind, Prot, RegionKind};
use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, TIME_FIELDS};

const FIELDS: [portcullis_hle::layout::Field; 8] = [
    TIME_FIELDS::Year,
    TIME_FIELDS::Month,
    TIME_FIELDS::Day,
    TIME_FIELDS::Hour,
    TIME_FIELDS::Minute,
    TIME_FIELDS::Second,
    TIME_FIELDS::Milliseconds,
    TIME_FIELDS::Weekday,
];

fn read_fields(fx: &Fx, at: u64) -> [u64; 8] {
    FIELDS.map(|f| fx.k.mem().get(at, f).unwrap())
}

#[test]
fn times_convert_to_and_from_calendar_fields() {
    // (system time, year, month, day, hour, minute, second, ms, weekday)
    let cases: &[(u64, [u64; 8])] = &[
        (0, [1601, 1, 1, 0, 0, 0, 0, 1]),
        (116_444_736_000_000_000, [1970, 1, 1, 0, 0, 0, 0, 4]),
        (125_963_012_967_890_000, [2000, 2, 29, 12, 34, 56, 789, 2]),
        (157_521_023_999_990_000, [2100, 3, 1, 23, 59, 59, 999, 1]),
        (94_669_344_000_000_000, [1900, 12, 31, 0, 0, 0, 0, 1]),
        (133_485_408_000_000_000, [2024, 1, 1, 0, 0, 0, 0, 1]),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (t, f, back) = (fx.alloc(8), fx.alloc(16), fx.alloc(8));
        for &(time, want) in cases {
            fx.k.mem_mut().write_u64(t, time).unwrap();
            call(&mut fx, "RtlTimeToTimeFields", &[t, f]);
            assert_eq!(read_fields(&fx, f), want, "{arch:?} {time}");
            assert!(call_bool(&mut fx, "RtlTimeFieldsToTime", &[f, back]));
            assert_eq!(fx.k.mem().read_u64(back).unwrap(), time);
        }
        // Out-of-range fields: FALSE, the time untouched.
        for (field, value) in [(0usize, 1600u64), (1, 13), (2, 30), (3, 24), (4, 60), (5, 60), (6, 1000), (1, 0)] {
            fx.k.mem_mut().write_u64(t, 125_963_012_967_890_000).unwrap();
            call(&mut fx, "RtlTimeToTimeFields", &[t, f]);
            if field == 2 {
                fx.k.mem_mut().set(f, TIME_FIELDS::Month, 2).unwrap(); // February 30th
            }
            fx.k.mem_mut().set(f, FIELDS[field], value).unwrap();
            fx.k.mem_mut().write_u64(back, 7).unwrap();
            assert!(!call_bool(&mut fx, "RtlTimeFieldsToTime", &[f, back]), "{field} = {value}");
            assert_eq!(fx.k.mem().read_u64(back).unwrap(), 7);
        }
        // Elapsed time: days, not dates.
        fx.k.mem_mut().write_u64(t, (3 * 86_400 + 3_723) * 10_000_000 + 4_560_000).unwrap();
        call(&mut fx, "RtlTimeToElapsedTimeFields", &[t, f]);
        assert_eq!(read_fields(&fx, f), [0, 0, 3, 1, 2, 3, 456, 0]);
        // Seconds since 1970 and 1980.
        let secs = fx.alloc(4);
        fx.k.mem_mut().write_u64(t, 133_485_408_000_000_000).unwrap();
        assert!(call_bool(&mut fx, "RtlTimeToSecondsSince1970", &[t, secs]));
        assert_eq!(fx.k.mem().read_u32(secs).unwrap(), 1_704_067_200);
        assert!(call_bool(&mut fx, "RtlTimeToSecondsSince1980", &[t, secs]));
        assert_eq!(fx.k.mem().read_u32(secs).unwrap(), 1_704_067_200 - 315_532_800);
        fx.k.mem_mut().write_u64(t, 116_444_735_990_000_000).unwrap();
        assert!(!call_bool(&mut fx, "RtlTimeToSecondsSince1970", &[t, secs]), "before 1970");
        fx.k.mem_mut().write_u64(t, 116_444_736_000_000_000 + (1u64 << 32) * 10_000_000).unwrap();
        assert!(!call_bool(&mut fx, "RtlTimeToSecondsSince1970", &[t, secs]), "after 2106");
        call(&mut fx, "RtlSecondsSince1970ToTime", &[1_704_067_200, t]);
        assert_eq!(fx.k.mem().read_u64(t).unwrap(), 133_485_408_000_000_000);
        call(&mut fx, "RtlSecondsSince1980ToTime", &[0, t]);
        assert_eq!(fx.k.mem().read_u64(t).unwrap(), 119_600_064_000_000_000);
    }
}

#[test]
fn local_time_follows_the_configured_zone() {
    for arch in both() {
        for (bias, shift) in [(0i32, 0i64), (-60, 36_000_000_000), (300, -180_000_000_000)] {
            let options = KernelOptions { time_zone_bias: bias, ..Default::default() };
            let mut fx = Fx::with(Kernel::boot(MachineConfig::new(arch), options).unwrap());
            let (sys, local, back) = (fx.alloc(8), fx.alloc(8), fx.alloc(8));
            let t = 133_485_408_000_000_000u64;
            fx.k.mem_mut().write_u64(sys, t).unwrap();
            call(&mut fx, "ExSystemTimeToLocalTime", &[sys, local]);
            assert_eq!(fx.k.mem().read_u64(local).unwrap(), t.wrapping_add_signed(shift), "{arch:?} bias {bias}");
            call(&mut fx, "ExLocalTimeToSystemTime", &[local, back]);
            assert_eq!(fx.k.mem().read_u64(back).unwrap(), t);
            assert_eq!(st(&mut fx, "RtlSystemTimeToLocalTime", &[sys, local]), st::SUCCESS);
            assert_eq!(st(&mut fx, "RtlLocalTimeToSystemTime", &[local, back]), st::SUCCESS);
            assert_eq!(fx.k.mem().read_u64(back).unwrap(), t);
            // KUSER_SHARED_DATA.TimeZoneBias agrees.
            let sud = fx.k.mem().layout().shared_user_data;
            let low = fx.k.mem().read_u32(sud + 0x20).unwrap() as u64;
            let high = fx.k.mem().read_u32(sud + 0x24).unwrap() as u64;
            assert_eq!((high << 32 | low) as i64, i64::from(bias) * 600_000_000);
        }
    }
}

#[test]
fn crc32_and_random_numbers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let data = fx.put(b"123456789");
        assert_eq!(call(&mut fx, "RtlComputeCrc32", &[0, data, 9]), 0xCBF4_3926, "{arch:?}");
        let part = call(&mut fx, "RtlComputeCrc32", &[0, data, 3]);
        assert_eq!(call(&mut fx, "RtlComputeCrc32", &[part, data + 3, 6]), 0xCBF4_3926, "in pieces");
        assert_eq!(call(&mut fx, "RtlComputeCrc32", &[0x1234, data, 0]), 0x1234);
        // RtlRandom from seed 12345: Windows' generator and shuffle table.
        let seed = fx.alloc(4);
        fx.k.mem_mut().write_u32(seed, 12345).unwrap();
        let expected = [
            (0x74d9_7781u64, 0x0044_0499u32),
            (0x2e49_644d, 0x5fea_7ff9),
            (0x1f6d_0078, 0x41ae_7a59),
            (0x320a_1743, 0x1f0a_8bcb),
        ];
        for (value, next_seed) in expected {
            assert_eq!(call(&mut fx, "RtlRandom", &[seed]), value);
            assert_eq!(fx.k.mem().read_u32(seed).unwrap(), next_seed);
        }
        fx.k.mem_mut().write_u32(seed, 12345).unwrap();
        assert_eq!(call(&mut fx, "RtlRandomEx", &[seed]), 0x7ffc_6b89);
        assert_eq!(fx.k.mem().read_u32(seed).unwrap(), 0x7ffc_6b89);
        // A fresh kernel starts the same way: runs repeat.
        let mut again = Fx::new(arch);
        let s2 = again.alloc(4);
        again.k.mem_mut().write_u32(s2, 12345).unwrap();
        assert_eq!(call(&mut again, "RtlRandom", &[s2]), 0x74d9_7781);
    }
}

#[test]
fn x86_large_integer_routines() {
    let mut fx = Fx::new(Arch::X86);
    let w = |v: i64| wide(Arch::X86, v as u64);
    let args2 = |a: i64, b: i64| [w(a), w(b)].concat();
    let cases: &[(i64, i64)] =
        &[(5, 3), (-7, 2), (i64::MAX, 1), (i64::MIN, -1), (0x1_0000_0000, 0xFFFF_FFFF), (-1, -1)];
    for &(a, b) in cases {
        assert_eq!(call64(&mut fx, "RtlLargeIntegerAdd", &args2(a, b)) as i64, a.wrapping_add(b));
        assert_eq!(call64(&mut fx, "RtlLargeIntegerSubtract", &args2(a, b)) as i64, a.wrapping_sub(b));
        assert_eq!(call64(&mut fx, "RtlLargeIntegerNegate", &w(a)) as i64, a.wrapping_neg());
        let rem = fx.alloc(8);
        let mut args = args2(a, b);
        args.push(rem);
        assert_eq!(call64(&mut fx, "RtlLargeIntegerDivide", &args), a as u64 / b as u64, "unsigned {a} / {b}");
        assert_eq!(fx.k.mem().read_u64(rem).unwrap(), a as u64 % b as u64);
        let mut args = w(a);
        args.extend([b as u32 as u64, rem]);
        assert_eq!(call64(&mut fx, "RtlExtendedLargeIntegerDivide", &args), a as u64 / u64::from(b as u32));
        assert_eq!(u64::from(fx.k.mem().read_u32(rem).unwrap()), a as u64 % u64::from(b as u32));
        let mut args = w(a);
        args.push(b as u32 as u64);
        assert_eq!(call64(&mut fx, "RtlExtendedIntegerMultiply", &args) as i64, a.wrapping_mul(i64::from(b as i32)));
        for shift in [0u64, 1, 31, 32, 63, 64, 100] {
            let mut args = w(a);
            args.push(shift);
            let s = shift as u32;
            assert_eq!(call64(&mut fx, "RtlLargeIntegerShiftLeft", &args), (a as u64).checked_shl(s).unwrap_or(0));
            assert_eq!(call64(&mut fx, "RtlLargeIntegerShiftRight", &args), (a as u64).checked_shr(s).unwrap_or(0));
            assert_eq!(call64(&mut fx, "RtlLargeIntegerArithmeticShift", &args) as i64, a >> s.min(63));
        }
    }
    assert_eq!(
        call64(&mut fx, "RtlEnlargedIntegerMultiply", &[(-3i32) as u32 as u64, 0x7FFF_FFFF]) as i64,
        -3 * 0x7FFF_FFFF
    );
    assert_eq!(call64(&mut fx, "RtlEnlargedUnsignedMultiply", &[0xFFFF_FFFF, 0xFFFF_FFFF]), 0xFFFF_FFFE_0000_0001);
    assert_eq!(call64(&mut fx, "RtlConvertLongToLargeInteger", &[0xFFFF_FFFF]) as i64, -1);
    assert_eq!(call64(&mut fx, "RtlConvertUlongToLargeInteger", &[0xFFFF_FFFF]), 0xFFFF_FFFF);
    let rem = fx.alloc(4);
    let mut args = w(100);
    args.extend([7, rem]);
    assert_eq!(call(&mut fx, "RtlEnlargedUnsignedDivide", &args), 14);
    assert_eq!(fx.k.mem().read_u32(rem).unwrap(), 2);
    // (x * magic) >> 64 >> shift: dividing by 10 with its magic number.
    let mut args = w(-1234);
    args.extend(w(0xCCCC_CCCC_CCCC_CCCD_u64 as i64));
    args.push(3);
    assert_eq!(call64(&mut fx, "RtlExtendedMagicDivide", &args) as i64, -123);
    assert_eq!(call(&mut fx, "RtlUlongByteSwap", &[0x1122_3344]), 0x4433_2211);
    assert_eq!(call(&mut fx, "RtlUshortByteSwap", &[0x1122]) as u16, 0x2211);
    // A quotient too big for 32 bits, or a zero divisor: #DE.
    for (name, args) in [
        ("RtlEnlargedUnsignedDivide", [w(1 << 40), vec![2, 0]].concat()),
        ("RtlLargeIntegerDivide", [w(1), w(0), vec![0]].concat()),
    ] {
        let mut fresh = Fx::new(Arch::X86);
        match fresh.call(NT, name, &args) {
            Err(Stop::Fault(f)) => assert_eq!(f.kind, FaultKind::DivideError, "{name}"),
            other => panic!("{name}: expected #DE, got {other:?}"),
        }
    }
}

/// A minimal PE image (PE32 on x86, PE32+ on x64) exporting Alpha, Beta and a forwarded Fwd,
/// with one section whose file data starts at 0x400.
fn pe_image(fx: &mut Fx) -> u64 {
    let base = fx.k.mem_mut().alloc(RegionKind::Image, "test image", 0x3000, Prot::RW).unwrap();
    let plus = fx.arch == Arch::X64;
    let mut img = vec![0u8; 0x3000];
    let put16 = |img: &mut Vec<u8>, at: usize, v: u16| img[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |img: &mut Vec<u8>, at: usize, v: u32| img[at..at + 4].copy_from_slice(&v.to_le_bytes());
    img[0..2].copy_from_slice(b"MZ");
    put32(&mut img, 0x3C, 0x80);
    img[0x80..0x84].copy_from_slice(b"PE\0\0");
    put16(&mut img, 0x86, 1); // NumberOfSections
    let opt_size: u16 = if plus { 0xF0 } else { 0xE0 };
    put16(&mut img, 0x94, opt_size);
    let opt = 0x98;
    put16(&mut img, opt, if plus { 0x20B } else { 0x10B });
    put32(&mut img, opt + 60, 0x400); // SizeOfHeaders
    let (count_at, dirs) = if plus { (opt + 108, opt + 112) } else { (opt + 92, opt + 96) };
    put32(&mut img, count_at, 16);
    put32(&mut img, dirs, 0x1000); // export directory
    put32(&mut img, dirs + 4, 0x100);
    put32(&mut img, dirs + 8, 0x1800); // import directory (for the file-offset test)
    put32(&mut img, dirs + 12, 0x20);
    let sec = opt + opt_size as usize;
    put32(&mut img, sec + 8, 0x1000); // VirtualSize
    put32(&mut img, sec + 12, 0x1000); // VirtualAddress
    put32(&mut img, sec + 16, 0x1000); // SizeOfRawData
    put32(&mut img, sec + 20, 0x400); // PointerToRawData
    let ed = 0x1000;
    put32(&mut img, ed + 0x14, 3);
    put32(&mut img, ed + 0x18, 3);
    put32(&mut img, ed + 0x1C, 0x1040);
    put32(&mut img, ed + 0x20, 0x1050);
    put32(&mut img, ed + 0x24, 0x1060);
    for (i, rva) in [0x2000u32, 0x2010, 0x1080].iter().enumerate() {
        put32(&mut img, 0x1040 + i * 4, *rva);
    }
    for (i, (name, at)) in [("Alpha", 0x1090usize), ("Beta", 0x10A0), ("Fwd", 0x10B0)].iter().enumerate() {
        put32(&mut img, 0x1050 + i * 4, *at as u32);
        put16(&mut img, 0x1060 + i * 2, i as u16);
        img[*at..*at + name.len()].copy_from_slice(name.as_bytes());
    }
    img[0x1080..0x108B].copy_from_slice(b"OTHER.Func\0");
    fx.k.mem_mut().write(base, &img).unwrap();
    base
}

#[test]
fn image_headers_directories_and_exports() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let base = pe_image(&mut fx);
        assert_eq!(call(&mut fx, "RtlImageNtHeader", &[base]), base + 0x80, "{arch:?}");
        assert_eq!(call(&mut fx, "RtlImageNtHeader", &[0]), 0);
        let not_pe = fx.put(&[0u8; 0x100]);
        assert_eq!(call(&mut fx, "RtlImageNtHeader", &[not_pe]), 0);
        let size = fx.alloc(4);
        assert_eq!(call(&mut fx, "RtlImageDirectoryEntryToData", &[base, 1, 0, size]), base + 0x1000);
        assert_eq!(fx.k.mem().read_u32(size).unwrap(), 0x100);
        // Not mapped as an image: the RVA through the section table to the file offset.
        assert_eq!(call(&mut fx, "RtlImageDirectoryEntryToData", &[base, 0, 1, size]), base + 0x400 + 0x800);
        assert_eq!(
            call(&mut fx, "RtlImageDirectoryEntryToData", &[base | 1, 1, 1, size]),
            base + 0x400 + 0x800,
            "a data-file base"
        );
        assert_eq!(call(&mut fx, "RtlImageDirectoryEntryToData", &[base, 1, 5, size]), 0, "no such directory");
        assert_eq!(call(&mut fx, "RtlImageDirectoryEntryToData", &[base, 1, 16, size]), 0);
        for (name, want) in [("Alpha", base + 0x2000), ("Beta", base + 0x2010), ("Fwd", 0), ("Gamma", 0), ("alpha", 0)]
        {
            let n = fx.cstr(name);
            assert_eq!(call(&mut fx, "RtlFindExportedRoutineByName", &[base, n]), want, "{name}");
        }
    }
}

#[test]
fn system_routine_addresses_are_the_kernels_own() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        for (name, dll) in [
            ("IoCreateDevice", Dll::Ntoskrnl),
            ("KeTickCount", Dll::Ntoskrnl),
            ("READ_PORT_UCHAR", Dll::Hal),
            ("RtlGetVersion", Dll::Ntoskrnl),
        ] {
            let n = fx.ustr(name);
            let expected = fx.k.ext().resolve(dll, name).unwrap();
            assert_eq!(call(&mut fx, "MmGetSystemRoutineAddress", &[n]), expected, "{arch:?} {name}");
        }
        for name in ["PortcullisNoSuchRoutine", "iocreatedevice", "", "ZwQueryVirtualMemoryEx"] {
            let n = fx.ustr(name);
            assert_eq!(call(&mut fx, "MmGetSystemRoutineAddress", &[n]), 0, "{name}");
        }
        // The address works: calling through it reaches the export.
        let n = fx.ustr("RtlUpcaseUnicodeChar");
        let routine = call(&mut fx, "MmGetSystemRoutineAddress", &[n]);
        let conv = portcullis_emu::CallConv::Stdcall.for_arch(arch);
        assert_eq!(fx.k.call(routine, &[u64::from(b'q')], conv).unwrap() as u16, u16::from(b'Q'));
        if arch == Arch::X64 {
            let image = fx.k.ext().drivers()[0].image.base;
            let out = fx.alloc(8);
            assert_eq!(call(&mut fx, "RtlPcToFileHeader", &[image + 0x1010, out]), image);
            assert_eq!(fx.read_ptr(out), image);
            assert_eq!(call(&mut fx, "RtlPcToFileHeader", &[routine, out]), 0, "the kernel has no image in memory");
            assert_eq!(fx.read_ptr(out), 0);
        }
    }
}

#[test]
fn name_expressions_match_with_windows_wildcards() {
    // (expression, name, ignore case, matches)
    let cases: &[(&str, &str, bool, bool)] = &[
        ("*", "anything.sys", false, true),
        ("*.TXT", "FILE.TXT", false, true),
        ("*.TXT", "file.txt", true, true),
        ("*.TXT", "file.txt", false, false),
        ("*.txt", "file.txt", true, false), // the expression must be upcased already
        ("A?C", "ABC", false, true),
        ("A?C", "AC", false, false),
        ("*.*", "A.B", false, true),
        ("*.*", "AB", false, false),
        ("<.TXT", "A.B.TXT", false, true),
        ("<.TXT", "A.TXT", false, true),
        ("<", "A.B", false, false), // DOS_STAR cannot take the last dot
        ("<.<", "A.B", false, true),
        ("AB>>>>>>", "AB", false, true),
        ("AB>>>>>>", "ABCDEFGH", false, true),
        ("AB>>>>>>", "ABCDEFGHI", false, false),
        ("FILE>>>>.>>>", "FILE.TXT", false, true),
        ("FILE\"*", "FILE", false, true),
        ("FILE\"*", "FILE.X", false, true),
        ("\\DEVICE\\*", "\\DEVICE\\HARDDISK0", false, true),
        ("*\\DR?", "\\DEVICE\\HARDDISK0\\DR0", false, true),
        ("", "", false, true),
        ("*", "", false, false),
        ("", "A", false, false),
        ("**", "A", false, true),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        for &(expr, name, ci, want) in cases {
            let (e, n) = (fx.ustr(expr), fx.ustr(name));
            assert_eq!(
                call_bool(&mut fx, "FsRtlIsNameInExpression", &[e, n, ci as u64, 0]),
                want,
                "{arch:?} {expr:?} {name:?} {ci}"
            );
            if !ci {
                let (ea, na) = (astr(&mut fx, expr.as_bytes()), astr(&mut fx, name.as_bytes()));
                assert_eq!(call_bool(&mut fx, "FsRtlIsDbcsInExpression", &[ea, na]), want, "DBCS {expr:?} {name:?}");
            }
            let wild = expr.chars().any(|c| "*?<>\"".contains(c));
            assert_eq!(call_bool(&mut fx, "FsRtlDoesNameContainWildCards", &[e]), wild);
            let ea = astr(&mut fx, expr.as_bytes());
            assert_eq!(call_bool(&mut fx, "FsRtlDoesDbcsContainWildCards", &[ea]), wild);
        }
        // An upcase table the caller supplies: here one that maps every character to 'X'.
        let table = fx.put(&[b'X', 0].repeat(0x10000));
        let (e, n) = (fx.ustr("XXX"), fx.ustr("abc"));
        assert!(call_bool(&mut fx, "FsRtlIsNameInExpression", &[e, n, 1, table]));
        assert!(!call_bool(&mut fx, "FsRtlIsNameInExpression", &[e, n, 1, 0]));
        let (a, b) = (fx.ustr("\\Device\\Foo"), fx.ustr("\\DEVICE\\foo"));
        assert!(call_bool(&mut fx, "FsRtlAreNamesEqual", &[a, b, 1, 0]));
        assert!(!call_bool(&mut fx, "FsRtlAreNamesEqual", &[a, b, 0, 0]));
        let c = fx.ustr("\\Device\\Fo");
        assert!(!call_bool(&mut fx, "FsRtlAreNamesEqual", &[a, c, 1, 0]));
        let d = fx.ustr("abc");
        let e2 = fx.ustr("qrs");
        assert!(call_bool(&mut fx, "FsRtlAreNamesEqual", &[d, e2, 1, table]));
    }
}

#[test]
fn dissect_splits_the_first_path_component() {
    // (path, first, remaining)
    let cases: &[(&str, &str, &str)] = &[
        ("\\Device\\HardDisk0\\DR0", "Device", "HardDisk0\\DR0"),
        ("Device\\X", "Device", "X"),
        ("\\Single", "Single", ""),
        ("Single", "Single", ""),
        ("\\", "", ""),
        ("", "", ""),
        ("a\\\\b", "a", "\\b"),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (first, rest) = (fx.alloc(16), fx.alloc(16));
        for &(path, want_first, want_rest) in cases {
            let u = fx.ustr(path);
            let (len, max, buf) = header(&fx, u);
            // The path by value: two slots on x86, a pointer to a copy on x64.
            let arg = match arch {
                Arch::X86 => vec![len | max << 16, buf],
                Arch::X64 => vec![u],
            };
            call(&mut fx, "FsRtlDissectName", &[arg.clone(), vec![first, rest]].concat());
            assert_eq!(
                (ustring_text(&fx, first), ustring_text(&fx, rest)),
                (want_first.into(), want_rest.into()),
                "{arch:?} {path:?}"
            );
            let a = astr(&mut fx, path.as_bytes());
            let (alen, amax, abuf) = header(&fx, a);
            let arg = match arch {
                Arch::X86 => vec![alen | amax << 16, abuf],
                Arch::X64 => vec![a],
            };
            call(&mut fx, "FsRtlDissectDbcs", &[arg, vec![first, rest]].concat());
            assert_eq!(astring_bytes(&fx, first), want_first.as_bytes());
            assert_eq!(astring_bytes(&fx, rest), want_rest.as_bytes());
        }
    }
}

#[test]
fn dos_8dot3_names() {
    // (name, legal, contains spaces)
    let cases: &[(&str, bool, bool)] = &[
        ("FILENAME.TXT", true, false),
        ("filename.txt", true, false),
        ("LONGFILENAME.TXT", false, false),
        ("FILE.TEXT", false, false),
        ("A B.TXT", true, true),
        (" A.TXT", false, false),
        ("A .TXT", false, false),
        ("AB ", false, false),
        (".", true, false),
        ("..", true, false),
        ("...", false, false),
        (".A", false, false),
        ("A.", false, false),
        ("A.B.C", false, false),
        ("A+B", false, false),
        ("\u{c4}RGER", true, false),
        ("\u{20ac}", false, false),
        ("NINECHARS", false, false),
        ("EIGHTCHR", true, false),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let spaces = fx.alloc(1);
        for &(name, legal, has_spaces) in cases {
            let u = fx.ustr(name);
            fx.k.mem_mut().write_u8(spaces, 0xAA).unwrap();
            assert_eq!(call_bool(&mut fx, "RtlIsNameLegalDOS8Dot3", &[u, 0, spaces]), legal, "{arch:?} {name:?}");
            if legal {
                assert_eq!(fx.read(spaces, 1)[0], has_spaces as u8, "{name:?} spaces");
            }
        }
        // The OEM form, when asked for.
        let oem = astr_max(&mut fx, b"", 12);
        let u = fx.ustr("r\u{e9}sum\u{e9}.doc");
        assert!(call_bool(&mut fx, "RtlIsNameLegalDOS8Dot3", &[u, oem, 0]));
        assert_eq!(astring_bytes(&fx, oem), b"R\x90SUM\x90.DOC");
    }
}

#[test]
fn heaps_allocate_from_and_return_to_their_heap() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let heap = call(&mut fx, "RtlCreateHeap", &[2, 0, 0x10000, 0x1000, 0, 0]);
        assert_ne!(heap, 0, "{arch:?}");
        let before = fx.k.ext().pool.live();
        let a = call(&mut fx, "RtlAllocateHeap", &[heap, 8, 100]);
        assert_eq!(fx.read(a, 100), vec![0; 100], "HEAP_ZERO_MEMORY");
        let b = call(&mut fx, "RtlAllocateHeap", &[heap, 0, 30]);
        assert_eq!(call(&mut fx, "RtlSizeHeap", &[heap, 0, a]), 100);
        assert_eq!(call(&mut fx, "RtlSizeHeap", &[heap, 0, b]), 30);
        assert_eq!(call(&mut fx, "RtlSizeHeap", &[heap, 0, heap]), arch.mask(u64::MAX), "not a block of the heap");
        assert!(call_bool(&mut fx, "RtlFreeHeap", &[heap, 0, a]));
        assert!(!call_bool(&mut fx, "RtlFreeHeap", &[heap, 0, a]), "already freed");
        assert!(call_bool(&mut fx, "RtlFreeHeap", &[heap, 0, 0]), "NULL is nothing to free");
        assert_eq!(call(&mut fx, "RtlAllocateHeap", &[heap + 8, 0, 10]), 0, "not a heap");
        assert_eq!(fx.k.ext().pool.live(), before + 1);
        assert_eq!(call(&mut fx, "RtlDestroyHeap", &[heap]), 0);
        assert_eq!(fx.k.ext().pool.live(), before - 1, "the heap and its last block are freed");
        assert_eq!(call(&mut fx, "RtlDestroyHeap", &[heap]), heap, "no longer a heap");
        let base = fx.alloc(0x1000);
        assert_eq!(call(&mut fx, "RtlCreateHeap", &[2, base, 0x1000, 0x1000, 0, 0]), 0, "caller memory is not offered");
    }
}

#[test]
fn a_failed_assertion_prints_and_breaks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (expr, file, msg) = (fx.cstr("Irp != NULL"), fx.cstr("driver.c"), fx.cstr("dispatch: "));
        let stub = fx.stub(NT, "RtlAssert");
        match fx.call(NT, "RtlAssert", &[expr, file, 42, msg]) {
            Err(Stop::Fault(f)) => assert_eq!((f.kind, f.pc), (FaultKind::Breakpoint, stub), "{arch:?}"),
            other => panic!("expected a breakpoint, got {other:?}"),
        }
        let text = &fx.debug_events()[0].text;
        assert_eq!(text, "\n*** Assertion failed: dispatch: Irp != NULL\n***   Source File: driver.c, line 42\n\n");
    }
}

#[test]
fn ipv4_addresses_to_and_from_text() {
    // (text, strict, address bytes or None, where a plain parse stops)
    let cases: &[(&str, bool, Option<[u8; 4]>, usize)] = &[
        ("192.168.1.20", true, Some([192, 168, 1, 20]), 12),
        ("192.168.1.20", false, Some([192, 168, 1, 20]), 12),
        ("10.1", false, Some([10, 0, 0, 1]), 4),
        ("10.1", true, None, 4),
        ("0x7f.1", false, Some([127, 0, 0, 1]), 6),
        ("0x7f.1", true, None, 2),
        ("010.0.0.1", false, Some([8, 0, 0, 1]), 9),
        ("4294967295", false, Some([255, 255, 255, 255]), 10),
        ("1.2.3.256", true, None, 9),
        ("1.2.3.4.5", false, None, 7),
        ("1.2.3.4 tail", true, Some([1, 2, 3, 4]), 7),
        ("1.2.3.4:80", true, Some([1, 2, 3, 4]), 7),
        ("1.2.3.4:0", true, None, 9),
        ("", true, None, 0),
        (".1.2.3", false, None, 1),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (term, addr, port) = (fx.alloc(8), fx.alloc(4), fx.alloc(2));
        for &(text, strict, bytes, stop) in cases {
            let (a, w) = (fx.cstr(text), fx.wstr(text));
            let want = if bytes.is_some() { st::SUCCESS } else { st::INVALID_PARAMETER };
            fx.k.mem_mut().write(addr, &[0xEE; 4]).unwrap();
            assert_eq!(
                st(&mut fx, "RtlIpv4StringToAddressA", &[a, strict as u64, term, addr]),
                want,
                "{arch:?} {text:?} {strict}"
            );
            assert_eq!(fx.read_ptr(term), a + stop as u64, "terminator of {text:?}");
            if let Some(b) = bytes {
                assert_eq!(fx.read(addr, 4), b);
            }
            assert_eq!(st(&mut fx, "RtlIpv4StringToAddressW", &[w, strict as u64, term, addr]), want);
            assert_eq!(fx.read_ptr(term), w + stop as u64 * 2);
        }
        // The Ex forms: the whole string, a port in network order.
        let s = fx.cstr("10.0.0.1:8080");
        assert_eq!(st(&mut fx, "RtlIpv4StringToAddressExA", &[s, 1, addr, port]), st::SUCCESS);
        assert_eq!((fx.read(addr, 4), fx.read(port, 2)), (vec![10, 0, 0, 1], 8080u16.to_be_bytes().to_vec()));
        let s = fx.wstr("10.0.0.1");
        assert_eq!(st(&mut fx, "RtlIpv4StringToAddressExW", &[s, 1, addr, port]), st::SUCCESS);
        assert_eq!(fx.read(port, 2), [0, 0]);
        let s = fx.wstr("10.0.0.1 x");
        assert_eq!(st(&mut fx, "RtlIpv4StringToAddressExW", &[s, 1, addr, port]), st::INVALID_PARAMETER);
        assert_eq!(st(&mut fx, "RtlIpv4StringToAddressExW", &[s, 1, 0, port]), st::INVALID_PARAMETER);
        // And back.
        let ip = fx.put(&[172, 16, 254, 3]);
        let out = fx.alloc(64);
        assert_eq!(call(&mut fx, "RtlIpv4AddressToStringA", &[ip, out]), out + 12);
        assert_eq!(cstr_at(&fx, out), b"172.16.254.3");
        assert_eq!(call(&mut fx, "RtlIpv4AddressToStringW", &[ip, out]), out + 24);
        assert_eq!(wstr_at(&fx, out), "172.16.254.3");
        let len = fx.alloc(4);
        fx.k.mem_mut().write_u32(len, 64).unwrap();
        assert_eq!(st(&mut fx, "RtlIpv4AddressToStringExA", &[ip, u64::from(443u16.to_be()), out, len]), st::SUCCESS);
        assert_eq!((cstr_at(&fx, out), fx.k.mem().read_u32(len).unwrap()), (b"172.16.254.3:443".to_vec(), 17));
        fx.k.mem_mut().write_u32(len, 10).unwrap();
        assert_eq!(st(&mut fx, "RtlIpv4AddressToStringExW", &[ip, 0, out, len]), st::INVALID_PARAMETER);
        assert_eq!(fx.k.mem().read_u32(len).unwrap(), 13, "the room needed");
    }
}

#[test]
fn a_pure_virtual_call_is_an_unhandled_exception() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let b = bugcheck(fx.call(NT, "_purecall", &[]));
        assert_eq!((b.code, b.params[0]), (0x1E, 0xC000_0002), "{arch:?}");
    }
}
