//! The kernel's C runtime through the real stubs on both architectures: string and wide-string
//! functions (and the secure variants' invalid-parameter bugcheck), character classes, number
//! conversions, the printf family against a table of expected results, qsort/bsearch with a
//! guest comparison routine, rand, and the x86 64-bit helpers against Rust arithmetic.
#[allow(unused_imports)]
mod common;
mod rtl_support;
use common::fx::*;
use common::*;
use rtl_support::*;

use portcullis_emu::{CallConv, Prot, RegionKind};

fn i32_of(v: u64) -> i32 {
    v as u32 as i32
}

#[test]
fn narrow_string_functions() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let s = fx.cstr("Hello, World");
        assert_eq!(call(&mut fx, "strlen", &[s]), 12, "{arch:?}");
        assert_eq!(call(&mut fx, "strnlen", &[s, 5]), 5);
        assert_eq!(call(&mut fx, "strnlen", &[s, 50]), 12);
        let d = fx.put(&[0xEE; 32]);
        assert_eq!(call(&mut fx, "strcpy", &[d, s]), d);
        assert_eq!(cstr_at(&fx, d), b"Hello, World");
        // strncpy: no terminator when the source is longer; NUL padding when shorter.
        fx.k.mem_mut().write(d, &[0xEE; 32]).unwrap();
        call(&mut fx, "strncpy", &[d, s, 5]);
        assert_eq!(fx.read(d, 6), b"Hello\xee");
        let hi = fx.cstr("Hi");
        call(&mut fx, "strncpy", &[d, hi, 6]);
        assert_eq!(fx.read(d, 7), b"Hi\0\0\0\0\xee");
        let tail = fx.cstr(", there");
        call(&mut fx, "strcat", &[d, tail]);
        assert_eq!(cstr_at(&fx, d), b"Hi, there");
        call(&mut fx, "strncat", &[d, tail, 2]);
        assert_eq!(cstr_at(&fx, d), b"Hi, there, ");
        // Comparisons: strcmp is -1/0/1, the others the difference.
        let (abc, abd, abcd, upper) = (fx.cstr("abc"), fx.cstr("abd"), fx.cstr("abcd"), fx.cstr("ABC"));
        assert_eq!(i32_of(call(&mut fx, "strcmp", &[abc, abd])), -1);
        assert_eq!(i32_of(call(&mut fx, "strcmp", &[abd, abc])), 1);
        assert_eq!(i32_of(call(&mut fx, "strcmp", &[abc, abc])), 0);
        assert_eq!(i32_of(call(&mut fx, "strcmp", &[abc, abcd])), -1);
        assert_eq!(i32_of(call(&mut fx, "strncmp", &[abc, abd, 2])), 0);
        assert_eq!(i32_of(call(&mut fx, "strncmp", &[abc, abd, 3])), -1);
        assert_eq!(i32_of(call(&mut fx, "strncmp", &[abcd, abc, 4])), i32::from(b'd'));
        assert_eq!(i32_of(call(&mut fx, "_stricmp", &[upper, abc])), 0);
        assert_eq!(i32_of(call(&mut fx, "_stricmp", &[upper, abd])), -1);
        assert_eq!(i32_of(call(&mut fx, "_strnicmp", &[upper, abd, 2])), 0);
        assert_eq!(i32_of(call(&mut fx, "strncmp", &[abc, abd, 0])), 0);
        // Searches.
        let path = fx.cstr("\\Device\\Harddisk0\\DR0");
        assert_eq!(call(&mut fx, "strchr", &[path, u64::from(b'H')]), path + 8);
        assert_eq!(call(&mut fx, "strrchr", &[path, u64::from(b'\\')]), path + 17);
        assert_eq!(call(&mut fx, "strchr", &[path, 0]), path + 21, "the terminator is found");
        assert_eq!(call(&mut fx, "strchr", &[path, u64::from(b'z')]), 0);
        let disk = fx.cstr("disk");
        let empty = fx.cstr("");
        assert_eq!(call(&mut fx, "strstr", &[path, disk]), path + 12);
        assert_eq!(call(&mut fx, "strstr", &[path, empty]), path);
        assert_eq!(call(&mut fx, "strstr", &[disk, path]), 0);
        let set = fx.cstr("\\Dev");
        assert_eq!(call(&mut fx, "strspn", &[path, set]), 4);
        // In place.
        let m = fx.cstr("MiXeD 123 \u{e9}");
        call(&mut fx, "_strlwr", &[m]);
        assert_eq!(cstr_at(&fx, m), "mixed 123 \u{e9}".as_bytes(), "the C locale changes ASCII only");
        call(&mut fx, "_strupr", &[m]);
        assert_eq!(cstr_at(&fx, m), "MIXED 123 \u{e9}".as_bytes());
        call(&mut fx, "strlwr", &[m]);
        let r = fx.cstr("abc");
        call(&mut fx, "_strrev", &[r]);
        assert_eq!(cstr_at(&fx, r), b"cba");
        call(&mut fx, "_strnset", &[r, u64::from(b'x'), 2]);
        assert_eq!(cstr_at(&fx, r), b"xxa");
        call(&mut fx, "_strset", &[r, u64::from(b'y')]);
        assert_eq!(cstr_at(&fx, r), b"yyy");
        // Memory.
        let buf = fx.put(b"abcdefabc");
        assert_eq!(call(&mut fx, "memchr", &[buf, u64::from(b'f'), 9]), buf + 5);
        assert_eq!(call(&mut fx, "memchr", &[buf, u64::from(b'f'), 5]), 0);
        if arch == Arch::X64 {
            let other = fx.put(b"abcdefabd");
            assert_eq!(i32_of(call(&mut fx, "memcmp", &[buf, other, 9])), -1);
            assert_eq!(i32_of(call(&mut fx, "memcmp", &[buf, other, 8])), 0);
        }
    }
}

#[test]
fn strtok_s_walks_tokens_through_its_context() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let s = fx.cstr("  one,two,,three ");
        let delims = fx.cstr(" ,");
        let ctx = fx.alloc(8);
        let mut tokens = Vec::new();
        let mut next = s;
        loop {
            let t = call(&mut fx, "strtok_s", &[next, delims, ctx]);
            if t == 0 {
                break;
            }
            tokens.push(String::from_utf8(cstr_at(&fx, t)).unwrap());
            next = 0;
        }
        assert_eq!(tokens, ["one", "two", "three"], "{arch:?}");
    }
}

#[test]
fn wide_string_functions() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let s = fx.wstr("\\Device\\Beeper");
        assert_eq!(call(&mut fx, "wcslen", &[s]), 14, "{arch:?}");
        assert_eq!(call(&mut fx, "wcsnlen", &[s, 3]), 3);
        let d = fx.put(&[0xEE; 64]);
        call(&mut fx, "wcscpy", &[d, s]);
        assert_eq!(wstr_at(&fx, d), "\\Device\\Beeper");
        let suffix = fx.wstr("0");
        call(&mut fx, "wcscat", &[d, suffix]);
        call(&mut fx, "wcsncat", &[d, s, 2]);
        assert_eq!(wstr_at(&fx, d), "\\Device\\Beeper0\\D");
        fx.k.mem_mut().write(d, &[0xEE; 64]).unwrap();
        call(&mut fx, "wcsncpy", &[d, s, 3]);
        assert_eq!(wide_at(&fx, d, 3), "\\De");
        assert_eq!(fx.read(d + 6, 2), [0xEE, 0xEE], "no terminator");
        assert_eq!(call(&mut fx, "wcschr", &[s, u64::from(b'B')]), s + 16);
        assert_eq!(call(&mut fx, "wcsrchr", &[s, u64::from(b'\\')]), s + 14);
        let beep = fx.wstr("Beep");
        assert_eq!(call(&mut fx, "wcsstr", &[s, beep]), s + 16);
        let dev = fx.wstr("\\DEVICE\\beeper");
        assert_eq!(i32_of(call(&mut fx, "wcscmp", &[s, dev])), 1);
        assert_eq!(i32_of(call(&mut fx, "_wcsicmp", &[s, dev])), 0);
        assert_eq!(i32_of(call(&mut fx, "_wcsnicmp", &[s, dev, 7])), 0);
        assert_eq!(i32_of(call(&mut fx, "wcsncmp", &[s, dev, 2])), 0);
        assert_eq!(i32_of(call(&mut fx, "wcsncmp", &[s, dev, 3])), i32::from(b'e') - i32::from(b'E'));
        // Case: towlower-based for characters below U+0100, towupper for the BMP.
        let (a, b) = (fx.wstr("\u{c9}COLE \u{3a3}"), fx.wstr("\u{e9}cole \u{3a3}"));
        assert_eq!(i32_of(call(&mut fx, "_wcsicmp", &[a, b])), 0);
        let sigma_lower = fx.wstr("\u{3c3}");
        let sigma_upper = fx.wstr("\u{3a3}");
        assert_ne!(i32_of(call(&mut fx, "_wcsicmp", &[sigma_lower, sigma_upper])), 0, "Greek is not folded");
        call(&mut fx, "_wcsupr", &[b]);
        assert_eq!(wstr_at(&fx, b), "\u{c9}COLE \u{3a3}");
        call(&mut fx, "_wcslwr", &[a]);
        assert_eq!(wstr_at(&fx, a), "\u{e9}cole \u{3a3}");
        let set = fx.wstr("\\Dveic");
        assert_eq!(call(&mut fx, "wcsspn", &[s, set]), 8);
        let stop = fx.wstr("B");
        assert_eq!(call(&mut fx, "wcscspn", &[s, stop]), 8);
        call(&mut fx, "_wcsrev", &[beep]);
        assert_eq!(wstr_at(&fx, beep), "peeB");
        call(&mut fx, "_wcsnset", &[beep, u64::from(b'*'), 10]);
        assert_eq!(wstr_at(&fx, beep), "****");
    }
}

#[test]
fn secure_functions_succeed_truncate_or_bugcheck() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let d = fx.put(&[0xEE; 32]);
        let src = fx.wstr("abcdef");
        assert_eq!(call(&mut fx, "wcscpy_s", &[d, 7, src]), 0, "{arch:?}");
        assert_eq!(wstr_at(&fx, d), "abcdef");
        let more = fx.wstr("gh");
        assert_eq!(call(&mut fx, "wcscat_s", &[d, 9, more]), 0);
        assert_eq!(wstr_at(&fx, d), "abcdefgh");
        assert_eq!(call(&mut fx, "wcsncpy_s", &[d, 8, src, 3]), 0);
        assert_eq!(wstr_at(&fx, d), "abc");
        let truncate = arch.mask(u64::MAX);
        assert_eq!(call(&mut fx, "wcsncpy_s", &[d, 4, src, truncate]), 80, "STRUNCATE");
        assert_eq!(wstr_at(&fx, d), "abc");
        assert_eq!(call(&mut fx, "wcsncat_s", &[d, 6, more, truncate]), 0, "exactly fits");
        assert_eq!(wstr_at(&fx, d), "abcgh");
        assert_eq!(call(&mut fx, "wcsncpy_s", &[d, 8, src, 3]), 0);
        assert_eq!(call(&mut fx, "wcsncat_s", &[d, 5, more, truncate]), 80);
        assert_eq!(wstr_at(&fx, d), "abcg");
        assert_eq!(call(&mut fx, "wcsncat_s", &[d, 8, more, 1]), 0);
        assert_eq!(wstr_at(&fx, d), "abcgg");
        assert_eq!(call(&mut fx, "wcsncat_s", &[d, 16, src, 1]), 0);
        assert_eq!(wstr_at(&fx, d), "abcgga");
        let n = fx.put(&[0xEE; 16]);
        let narrow = fx.cstr("xyz");
        assert_eq!(call(&mut fx, "strcpy_s", &[n, 4, narrow]), 0);
        assert_eq!(call(&mut fx, "strcat_s", &[n, 7, narrow]), 0);
        assert_eq!(cstr_at(&fx, n), b"xyzxyz");
        assert_eq!(call(&mut fx, "strncpy_s", &[n, 3, narrow, truncate]), 80);
        assert_eq!(cstr_at(&fx, n), b"xy");
        assert_eq!(call(&mut fx, "strncat_s", &[n, 16, narrow, 2]), 0);
        assert_eq!(cstr_at(&fx, n), b"xyxy");
        assert_eq!(call(&mut fx, "_strnset_s", &[n, 16, u64::from(b'q'), 2]), 0);
        assert_eq!(call(&mut fx, "_wcsset_s", &[d, 16, u64::from(b'w')]), 0);
        assert_eq!(wstr_at(&fx, d), "wwwwww");
        let (m1, m2) = (fx.put(b"12345678"), fx.put(&[0; 8]));
        assert_eq!(call(&mut fx, "memcpy_s", &[m2, 8, m1, 8]), 0);
        assert_eq!(fx.read(m2, 8), b"12345678");
        assert_eq!(call(&mut fx, "memmove_s", &[m2 + 1, 7, m2, 7]), 0);
        assert_eq!(fx.read(m2, 8), b"11234567");
        assert_eq!(call(&mut fx, "memcpy_s", &[0, 0, 0, 0]), 0, "nothing to copy");

        // Every error goes to the kernel's invalid-parameter handler: bugcheck 0x110. Each
        // case runs on a fresh kernel (a bugcheck ends the run).
        type Case = fn(&mut Fx) -> (&'static str, Vec<u64>);
        let cases: [Case; 8] = [
            |fx| ("wcscpy_s", vec![fx.alloc(8), 3, fx.wstr("abcdef")]),
            |fx| ("wcscpy_s", vec![0, 8, fx.wstr("abcdef")]),
            |fx| ("wcscpy_s", vec![fx.alloc(16), 8, 0]),
            |fx| ("strcpy_s", vec![fx.alloc(8), 0, fx.cstr("xyz")]),
            |fx| ("strcat_s", vec![fx.cstr("ab"), 3, fx.cstr("xyz")]),
            |fx| ("wcsncpy_s", vec![fx.alloc(8), 3, fx.wstr("abcdef"), 5]),
            |fx| ("memcpy_s", vec![fx.alloc(8), 4, fx.alloc(8), 8]),
            |fx| ("memmove_s", vec![fx.alloc(8), 8, 0, 8]),
        ];
        for case in cases {
            let mut fresh = Fx::new(arch);
            let (name, args) = case(&mut fresh);
            let b = bugcheck(fresh.call(NT, name, &args));
            assert_eq!((b.code, b.name), (0x110, "DRIVER_INVALID_CRUNTIME_PARAMETER"), "{arch:?} {name}");
        }
    }
}

#[test]
fn character_classes_and_case_follow_the_c_locale() {
    // (character, isdigit, islower, isupper, isspace, isxdigit, isprint)
    let cases: &[(i32, bool, bool, bool, bool, bool, bool)] = &[
        (b'7' as i32, true, false, false, false, true, true),
        (b'a' as i32, false, true, false, false, true, true),
        (b'G' as i32, false, false, true, false, false, true),
        (b' ' as i32, false, false, false, true, false, true),
        (b'\t' as i32, false, false, false, true, false, false),
        (b'~' as i32, false, false, false, false, false, true),
        (0x7F, false, false, false, false, false, false),
        (0xE9, false, false, false, false, false, false),
        (-1, false, false, false, false, false, false),
        (0x1234, false, false, false, false, false, false),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        for &(c, digit, lower, upper, space, xdigit, print) in cases {
            let c64 = c as u32 as u64;
            let got = ["isdigit", "islower", "isupper", "isspace", "isxdigit", "isprint"]
                .map(|f| call(&mut fx, f, &[c64]) as u32 != 0);
            assert_eq!(got, [digit, lower, upper, space, xdigit, print], "{arch:?} {c:#x}");
        }
        // The values are the class bits, as the Microsoft CRT returns them.
        assert_eq!(call(&mut fx, "isupper", &[u64::from(b'A')]), 1);
        assert_eq!(call(&mut fx, "isdigit", &[u64::from(b'0')]), 4);
        assert_eq!(call(&mut fx, "isxdigit", &[u64::from(b'f')]), 0x80);
        assert_eq!(call(&mut fx, "tolower", &[u64::from(b'Q')]) as u8, b'q');
        assert_eq!(call(&mut fx, "tolower", &[0xC9]), 0xC9);
        assert_eq!(call(&mut fx, "toupper", &[u64::from(b'q')]) as u8, b'Q');
        assert_eq!(call(&mut fx, "towlower", &[0xC9]) as u16, 0xE9);
        assert_eq!(call(&mut fx, "towlower", &[0x3A3]) as u16, 0x3A3, "towlower stops at U+0100");
        assert_eq!(call(&mut fx, "towupper", &[0x3C3]) as u16, 0x3A3);
        assert_eq!(call(&mut fx, "towupper", &[u64::from(b'z')]) as u16, u16::from(b'Z'));
    }
}

#[test]
fn numbers_from_text() {
    // (text, atoi)
    let atoi: &[(&str, i32)] = &[
        ("42", 42),
        ("  -17xyz", -17),
        ("+8", 8),
        ("\t\n 9", 9),
        ("abc", 0),
        ("", 0),
        ("2147483648", i32::MIN),    // wraps
        ("99999999999", 1215752191), // 99999999999 mod 2^32
    ];
    // (text, base, value, characters consumed)
    let wcstoul: &[(&str, i32, u32, usize)] = &[
        ("1234", 10, 1234, 4),
        ("0x1F", 0, 31, 4),
        ("0X1f", 16, 31, 4),
        ("0x", 0, 0, 1), // the 0 only
        ("017", 0, 15, 3),
        ("  -1", 10, u32::MAX, 4),
        ("99999999999", 10, u32::MAX, 11),
        ("zz", 36, 1295, 2),
        ("12", 1, 0, 0),
        ("12", 37, 0, 0),
        ("xyz", 10, 0, 0),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        for &(text, want) in atoi {
            let (c, w) = (fx.cstr(text), fx.wstr(text));
            for (f, s) in [("atoi", c), ("atol", c), ("_wtoi", w), ("_wtol", w)] {
                assert_eq!(i32_of(call(&mut fx, f, &[s])), want, "{arch:?} {f} {text:?}");
            }
        }
        let end = fx.alloc(8);
        for &(text, base, value, used) in wcstoul {
            let (c, w) = (fx.cstr(text), fx.wstr(text));
            assert_eq!(call(&mut fx, "wcstoul", &[w, end, base as u32 as u64]) as u32, value, "{arch:?} {text:?}");
            assert_eq!(fx.read_ptr(end), w + used as u64 * 2, "wcstoul end {text:?}");
            let v64 = call64(&mut fx, "_strtoui64", &[c, end, base as u32 as u64]);
            let want64 = if value == u32::MAX && text.contains("99999999999") {
                99_999_999_999
            } else if text.trim() == "-1" {
                u64::MAX
            } else {
                value.into()
            };
            assert_eq!(v64, want64, "_strtoui64 {text:?}");
            assert_eq!(fx.read_ptr(end), c + used as u64, "_strtoui64 end {text:?}");
        }
        let max = fx.cstr("18446744073709551616");
        assert_eq!(call64(&mut fx, "_strtoui64", &[max, 0, 10]), u64::MAX);
    }
}

#[test]
fn numbers_to_text() {
    // (value, radix, text)
    let cases: &[(i32, i32, &str)] = &[
        (255, 16, "ff"),
        (-255, 10, "-255"),
        (-1, 16, "ffffffff"),
        (5, 2, "101"),
        (35, 36, "z"),
        (0, 10, "0"),
        (i32::MIN, 10, "-2147483648"),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.alloc(80);
        for &(v, radix, text) in cases {
            let v = v as u32 as u64;
            assert_eq!(call(&mut fx, "_itoa", &[v, buf, radix as u64]), buf);
            assert_eq!(cstr_at(&fx, buf), text.as_bytes(), "{arch:?} _itoa {v} {radix}");
            call(&mut fx, "_itow", &[v, buf, radix as u64]);
            assert_eq!(wstr_at(&fx, buf), text);
            assert_eq!(call(&mut fx, "_itoa_s", &[v, buf, 40, radix as u64]), 0);
            assert_eq!(cstr_at(&fx, buf), text.as_bytes());
            assert_eq!(call(&mut fx, "_ltow_s", &[v, buf, 40, radix as u64]), 0);
            assert_eq!(wstr_at(&fx, buf), text);
        }
        call(&mut fx, "_itoa", &[5, buf, 1]);
        assert_eq!(cstr_at(&fx, buf), b"", "an unusable radix writes an empty string");
        assert_eq!(call(&mut fx, "_ultoa_s", &[0xFFFF_FFFF, buf, 11, 10]), 0);
        assert_eq!(cstr_at(&fx, buf), b"4294967295");
        let mut args = wide(arch, (-5i64) as u64);
        args.extend([buf, 30, 10]);
        assert_eq!(call(&mut fx, "_i64toa_s", &args), 0);
        assert_eq!(cstr_at(&fx, buf), b"-5");
        let mut args = wide(arch, u64::MAX);
        args.extend([buf, 30, 16]);
        assert_eq!(call(&mut fx, "_ui64tow_s", &args), 0);
        assert_eq!(wstr_at(&fx, buf), "ffffffffffffffff");
        let b = bugcheck(fx.call(NT, "_itoa_s", &[12345, buf, 5, 10]));
        assert_eq!(b.code, 0x110, "{arch:?}: the buffer must hold the digits and the NUL");
    }
}

#[test]
fn multibyte_conversions_use_the_ansi_code_page() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let src = fx.put(b"A\x80\xe9\0");
        let out = fx.put(&[0xEE; 16]);
        assert_eq!(call(&mut fx, "mbstowcs", &[0, src, 0]), 3, "{arch:?}");
        assert_eq!(call(&mut fx, "mbstowcs", &[out, src, 8]), 3);
        assert_eq!(wstr_at(&fx, out), "A\u{20ac}\u{e9}");
        fx.k.mem_mut().write(out, &[0xEE; 16]).unwrap();
        assert_eq!(call(&mut fx, "mbstowcs", &[out, src, 2]), 2);
        assert_eq!(fx.read(out + 4, 2), [0xEE, 0xEE], "no room: no terminator");
        let w = fx.wstr("A\u{20ac}\u{100}");
        assert_eq!(call(&mut fx, "wcstombs", &[0, w, 0]), 3);
        assert_eq!(call(&mut fx, "wcstombs", &[out, w, 8]), 3);
        assert_eq!(cstr_at(&fx, out), b"A\x80?");
        let c = fx.alloc(2);
        assert_eq!(call(&mut fx, "mbtowc", &[c, src + 1, 1]), 1);
        assert_eq!(fx.k.mem().read_u16(c).unwrap(), 0x20AC);
        assert_eq!(call(&mut fx, "mbtowc", &[c, src + 3, 1]), 0);
        assert_eq!(call(&mut fx, "wctomb", &[out, 0xE9]), 1);
        assert_eq!(fx.read(out, 1), [0xE9]);
        assert_eq!(call(&mut fx, "wctomb", &[0, 0xE9]), 0);
    }
}

/// Places a format's arguments: each entry is one argument slot value.
fn format_args(fx: &mut Fx, args: &[Arg]) -> Vec<u64> {
    args.iter()
        .flat_map(|a| match a {
            Arg::Int(v) => vec![*v],
            Arg::Str(s) => vec![fx.cstr(s)],
            Arg::WStr(s) => vec![fx.wstr(s)],
            Arg::Long(v) => wide(fx.arch, *v),
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Arg {
    Int(u64),
    Str(&'static str),
    WStr(&'static str),
    Long(u64),
}

#[test]
fn sprintf_family_formats_and_returns_as_microsoft_documents() {
    use Arg::*;
    // (format, arguments, narrow output)
    let narrow: &[(&str, &[Arg], &str)] = &[
        ("%d-%u-%x-%X-%o", &[Int(0xFFFF_FFFF), Int(7), Int(255), Int(255), Int(8)], "-1-7-ff-FF-10"),
        ("%5d|%-5d|%05d", &[Int(42), Int(42), Int(42)], "   42|42   |00042"),
        ("%s and %ws", &[Str("narrow"), WStr("wide")], "narrow and wide"),
        ("%S", &[WStr("upper S is wide")], "upper S is wide"),
        ("%c%C", &[Int(b'n' as u64), Int(0x20AC)], "n\u{80}"),
        ("%I64d %lld", &[Long(u64::MAX), Long(1 << 40)], "-1 1099511627776"),
        ("%%", &[], "%"),
        ("%.3s", &[Str("abcdef")], "abc"),
        ("%ws", &[WStr("\u{100}")], "?"),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.put(&[0xEE; 256]);
        for &(f, args, want) in narrow {
            let fmt = fx.cstr(f);
            let mut all = vec![buf, fmt];
            all.extend(format_args(&mut fx, args));
            let n = i32_of(call(&mut fx, "sprintf", &all));
            let want_bytes: Vec<u8> = want.chars().map(|c| c as u32 as u8).collect();
            assert_eq!((cstr_at(&fx, buf), n), (want_bytes.clone(), want_bytes.len() as i32), "{arch:?} {f:?}");
        }
        // The wide family: %s is wide, %S narrow.
        let wbuf = fx.put(&[0xEE; 256]);
        let wfmt = fx.wstr("%s|%S|%hs|%ls|%d|\u{e9}\u{1f600}");
        let (w, n) = (fx.wstr("wide"), fx.cstr("narrow"));
        let (n2, w2) = (fx.cstr("h"), fx.wstr("l"));
        let r = i32_of(call(&mut fx, "swprintf", &[wbuf, wfmt, w, n, n2, w2, 7]));
        let want = "wide|narrow|h|l|7|\u{e9}\u{1f600}";
        assert_eq!((wstr_at(&fx, wbuf), r), (want.to_string(), want.encode_utf16().count() as i32), "{arch:?}");
        call(&mut fx, "_swprintf", &[wbuf, wfmt, w, n, n2, w2, 8]);
        assert_eq!(wstr_at(&fx, wbuf), want.replace('7', "8"));

        // _snprintf: terminated when shorter, not when exactly count, cut and -1 when longer.
        let fmt = fx.cstr("%s");
        let abc = fx.cstr("abc");
        fx.k.mem_mut().write(buf, &[0xEE; 8]).unwrap();
        assert_eq!(i32_of(call(&mut fx, "_snprintf", &[buf, 4, fmt, abc])), 3);
        assert_eq!(fx.read(buf, 4), b"abc\0");
        fx.k.mem_mut().write(buf, &[0xEE; 8]).unwrap();
        assert_eq!(i32_of(call(&mut fx, "_snprintf", &[buf, 3, fmt, abc])), 3);
        assert_eq!(fx.read(buf, 4), b"abc\xee");
        fx.k.mem_mut().write(buf, &[0xEE; 8]).unwrap();
        assert_eq!(i32_of(call(&mut fx, "_snprintf", &[buf, 2, fmt, abc])), -1);
        assert_eq!(fx.read(buf, 3), b"ab\xee");
        assert_eq!(i32_of(call(&mut fx, "_snprintf", &[0, 0, fmt, abc])), 3, "the size alone");
        let wf = fx.wstr("%s");
        let wabc = fx.wstr("abc");
        assert_eq!(i32_of(call(&mut fx, "_snwprintf", &[wbuf, 2, wf, wabc])), -1);
        assert_eq!(wide_at(&fx, wbuf, 2), "ab");
        assert_eq!(i32_of(call(&mut fx, "_snwprintf", &[wbuf, 8, wf, wabc])), 3);
        assert_eq!(wstr_at(&fx, wbuf), "abc");

        // The v forms read a va_list: consecutive pointer-sized slots.
        let list = fx.alloc(32);
        let slot = arch.ptr_size();
        fx.k.mem_mut().write_ptr(list, abc).unwrap();
        fx.k.mem_mut().write_ptr(list + slot, 99).unwrap();
        let vf = fx.cstr("%s=%d");
        assert_eq!(i32_of(call(&mut fx, "vsprintf", &[buf, vf, list])), 6);
        assert_eq!(cstr_at(&fx, buf), b"abc=99");
        assert_eq!(i32_of(call(&mut fx, "_vsnprintf", &[buf, 3, vf, list])), -1);
        fx.k.mem_mut().write_ptr(list, wabc).unwrap();
        let wvf = fx.wstr("%s=%d");
        assert_eq!(i32_of(call(&mut fx, "_vswprintf", &[wbuf, wvf, list])), 6);
        assert_eq!(wstr_at(&fx, wbuf), "abc=99");
        assert_eq!(i32_of(call(&mut fx, "_vsnwprintf", &[wbuf, 16, wvf, list])), 6);

        // Secure forms.
        let truncate = arch.mask(u64::MAX);
        assert_eq!(i32_of(call(&mut fx, "sprintf_s", &[buf, 4, fmt, abc])), 3);
        assert_eq!(i32_of(call(&mut fx, "_snprintf_s", &[buf, 8, 2, fmt, abc])), -1);
        assert_eq!(fx.read(buf, 3), b"ab\0");
        assert_eq!(i32_of(call(&mut fx, "_snprintf_s", &[buf, 3, truncate, fmt, abc])), -1);
        assert_eq!(fx.read(buf, 3), b"ab\0");
        assert_eq!(i32_of(call(&mut fx, "swprintf_s", &[wbuf, 4, wf, wabc])), 3);
        assert_eq!(i32_of(call(&mut fx, "_snwprintf_s", &[wbuf, 3, truncate, wf, wabc])), -1);
        assert_eq!(wstr_at(&fx, wbuf), "ab");
        fx.k.mem_mut().write_ptr(list, abc).unwrap();
        assert_eq!(i32_of(call(&mut fx, "vsprintf_s", &[buf, 8, vf, list])), 6);
        assert_eq!(i32_of(call(&mut fx, "_vsnprintf_s", &[buf, 8, 4, vf, list])), -1);
        assert_eq!(cstr_at(&fx, buf), b"abc=");
        let b = bugcheck(fx.call(NT, "sprintf_s", &[buf, 3, fmt, abc]));
        assert_eq!(b.code, 0x110, "{arch:?}: sprintf_s output that does not fit");
    }
}

/// A guest `int __cdecl compare(const int *a, const int *b)` returning *a - *b.
fn int_comparator(fx: &mut Fx) -> u64 {
    let code: &[u8] = match fx.arch {
        // mov eax,[esp+4]; mov eax,[eax]; mov ecx,[esp+8]; sub eax,[ecx]; ret
        Arch::X86 => &[0x8B, 0x44, 0x24, 0x04, 0x8B, 0x00, 0x8B, 0x4C, 0x24, 0x08, 0x2B, 0x01, 0xC3],
        // mov eax,[rcx]; sub eax,[rdx]; ret
        Arch::X64 => &[0x8B, 0x01, 0x2B, 0x02, 0xC3],
    };
    let at = fx.k.mem_mut().alloc(RegionKind::System, "comparator", 0x1000, Prot::RWX).unwrap();
    fx.k.mem_mut().write(at, code).unwrap();
    at
}

#[test]
fn qsort_and_bsearch_call_the_drivers_comparator() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let cmp = int_comparator(&mut fx);
        let values: Vec<i32> = vec![42, -7, 13, 0, 99, 13, -100, 5, 8, 1, 77, 3];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let base = fx.put(&bytes);
        call(&mut fx, "qsort", &[base, values.len() as u64, 4, cmp]);
        let sorted: Vec<i32> =
            fx.read(base, bytes.len()).chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
        let mut want = values.clone();
        want.sort();
        assert_eq!(sorted, want, "{arch:?}");
        let key = fx.put(&77i32.to_le_bytes());
        let found = call(&mut fx, "bsearch", &[key, base, values.len() as u64, 4, cmp]);
        assert_eq!(found, base + 4 * want.iter().position(|&v| v == 77).unwrap() as u64);
        let missing = fx.put(&4i32.to_le_bytes());
        assert_eq!(call(&mut fx, "bsearch", &[missing, base, values.len() as u64, 4, cmp]), 0);
        // Nothing to sort: the comparator is never called.
        call(&mut fx, "qsort", &[base, 1, 4, UNMAPPED]);
        call(&mut fx, "qsort", &[base, 0, 4, UNMAPPED]);
    }
}

#[test]
fn rand_is_the_crt_generator_from_seed_one() {
    let mut seed: u32 = 1;
    let mut next = || {
        seed = seed.wrapping_mul(214_013).wrapping_add(2_531_011);
        (seed >> 16 & 0x7FFF) as u64
    };
    let expected: Vec<u64> = (0..5).map(|_| next()).collect();
    assert_eq!(expected[0], 41, "the C runtime's first rand()");
    for arch in both() {
        let mut fx = Fx::new(arch);
        let got: Vec<u64> = (0..5).map(|_| call(&mut fx, "rand", &[])).collect();
        assert_eq!(got, expected, "{arch:?}");
        call(&mut fx, "srand", &[1]);
        assert_eq!(call(&mut fx, "rand", &[]), 41);
        call(&mut fx, "srand", &[12345]);
        let a = call(&mut fx, "rand", &[]);
        call(&mut fx, "srand", &[12345]);
        assert_eq!(call(&mut fx, "rand", &[]), a);
    }
}

/// Calls an x86 helper with EAX, EDX, ECX preset and stack arguments pushed; returns
/// (EAX, EDX, ECX, EBX, bytes the helper popped).
fn x86_helper(
    fx: &mut Fx,
    name: &str,
    regs: [u32; 3],
    stack: &[u32],
) -> Result<(u32, u32, u32, u32, u32), Stop<KernelStop>> {
    let stub = fx.stub(NT, name);
    let res = fx.alloc(20);
    let mut c = vec![0x55, 0x89, 0xE5, 0x53, 0x56, 0x57]; // push ebp; mov ebp,esp; push ebx; push esi; push edi
    for v in stack.iter().rev() {
        c.push(0x68);
        c.extend(v.to_le_bytes());
    }
    for (op, v) in [0xB8u8, 0xBA, 0xB9].iter().zip(regs) {
        c.push(*op); // mov eax/edx/ecx, imm32
        c.extend(v.to_le_bytes());
    }
    c.push(0xBB); // mov ebx, poison
    c.extend(0x1111_1111u32.to_le_bytes());
    c.extend([0x89, 0xE6]); // mov esi, esp
    c.push(0xBF); // mov edi, stub
    c.extend((stub as u32).to_le_bytes());
    c.extend([0xFF, 0xD7]); // call edi
    c.push(0xA3); // mov [res], eax
    c.extend((res as u32).to_le_bytes());
    for (modrm, off) in [(0x15u8, 4u32), (0x0D, 8), (0x1D, 12)] {
        c.extend([0x89, modrm]); // mov [res+off], edx/ecx/ebx
        c.extend((res as u32 + off).to_le_bytes());
    }
    c.extend([0x89, 0xE0, 0x29, 0xF0]); // mov eax, esp; sub eax, esi
    c.push(0xA3);
    c.extend((res as u32 + 16).to_le_bytes());
    c.extend([0x8D, 0x65, 0xF4, 0x5F, 0x5E, 0x5B, 0x5D, 0xC3]); // lea esp,[ebp-12]; pop edi; pop esi; pop ebx; pop ebp; ret
    let thunk = fx.k.mem_mut().alloc(RegionKind::System, "helper caller", 0x1000, Prot::RWX).unwrap();
    fx.k.mem_mut().write(thunk, &c).unwrap();
    fx.k.call(thunk, &[], CallConv::Cdecl)?;
    let r: Vec<u32> = fx.read(res, 20).chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    Ok((r[0], r[1], r[2], r[3], r[4]))
}

fn halves(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

const EDGES: [i64; 12] =
    [0, 1, -1, 2, -2, 7, -7, i64::MAX, i64::MIN, 0x1_0000_0000, -0x1_0000_0001, 0x1234_5678_9ABC_DEF0];

#[test]
fn x86_division_and_multiplication_helpers_match_rust_arithmetic() {
    let mut fx = Fx::new(Arch::X86);
    for &a in &EDGES {
        for &b in &EDGES {
            let stack = [halves(a as u64), halves(b as u64)].concat();
            let run = |fx: &mut Fx, name: &str| {
                x86_helper(fx, name, [0xAAAA_AAAA, 0xBBBB_BBBB, 0xCCCC_CCCC], &stack).unwrap()
            };
            let wide = |lo: u32, hi: u32| u64::from(lo) | u64::from(hi) << 32;
            let (lo, hi, _, _, popped) = run(&mut fx, "_allmul");
            assert_eq!((wide(lo, hi), popped), (a.wrapping_mul(b) as u64, 16), "_allmul {a} {b}");
            if b == 0 {
                continue;
            }
            let (lo, hi, _, _, popped) = run(&mut fx, "_alldiv");
            assert_eq!((wide(lo, hi) as i64, popped), (a.wrapping_div(b), 16), "_alldiv {a} {b}");
            let (lo, hi, ..) = run(&mut fx, "_allrem");
            assert_eq!(wide(lo, hi) as i64, a.wrapping_rem(b), "_allrem {a} {b}");
            let (lo, hi, ..) = run(&mut fx, "_aulldiv");
            assert_eq!(wide(lo, hi), a as u64 / b as u64, "_aulldiv {a} {b}");
            let (lo, hi, ..) = run(&mut fx, "_aullrem");
            assert_eq!(wide(lo, hi), a as u64 % b as u64, "_aullrem {a} {b}");
            let (lo, hi, ecx, ebx, popped) = run(&mut fx, "_alldvrm");
            assert_eq!(
                (wide(lo, hi) as i64, wide(ecx, ebx) as i64, popped),
                (a.wrapping_div(b), a.wrapping_rem(b), 16),
                "_alldvrm {a} {b}"
            );
            let (lo, hi, ecx, ebx, _) = run(&mut fx, "_aulldvrm");
            assert_eq!((wide(lo, hi), wide(ecx, ebx)), (a as u64 / b as u64, a as u64 % b as u64), "_aulldvrm {a} {b}");
        }
    }
}

#[test]
fn x86_shift_helpers_take_edx_eax_and_cl() {
    let mut fx = Fx::new(Arch::X86);
    for &v in &EDGES {
        for count in [0u32, 1, 4, 31, 32, 33, 63, 64, 65, 200, 0x1_00 | 3] {
            let cl = count & 0xFF;
            let [lo, hi] = halves(v as u64);
            let run = |fx: &mut Fx, name: &str| {
                let (a, d, c, _, popped) = x86_helper(fx, name, [lo, hi, count], &[]).unwrap();
                assert_eq!((c, popped), (count, 0), "{name}: ECX kept, nothing popped");
                u64::from(a) | u64::from(d) << 32
            };
            let shl = if cl < 64 { (v as u64) << cl } else { 0 };
            let sar = if cl < 64 { v >> cl } else { v >> 63 } as u64;
            let shr = if cl < 64 { (v as u64) >> cl } else { 0 };
            assert_eq!(run(&mut fx, "_allshl"), shl, "_allshl {v:#x} {count}");
            assert_eq!(run(&mut fx, "_allshr"), sar, "_allshr {v:#x} {count}");
            assert_eq!(run(&mut fx, "_aullshr"), shr, "_aullshr {v:#x} {count}");
        }
    }
}

#[test]
fn x86_division_by_zero_raises_divide_error() {
    for name in ["_alldiv", "_aulldiv", "_allrem", "_aullrem", "_alldvrm", "_aulldvrm"] {
        let mut fx = Fx::new(Arch::X86);
        let stub = fx.stub(NT, name);
        // STATUS_INTEGER_DIVIDE_BY_ZERO raised at the helper; nobody handles it here, so the
        // run ends in KMODE_EXCEPTION_NOT_HANDLED naming the code and the helper's address.
        match x86_helper(&mut fx, name, [0; 3], &[5, 0, 0, 0]) {
            Err(Stop::Host(KernelStop::Bugcheck(b))) => {
                assert_eq!((b.code, b.params[0], b.params[1]), (0x1E, 0xC000_0094, stub), "{name}");
            }
            other => panic!("{name}: expected the unhandled #DE, got {other:?}"),
        }
    }
}

#[test]
fn chkstk_probes_the_stack_and_preserves_rax() {
    let mut fx = Fx::new(Arch::X64);
    let stub = fx.stub(NT, "__chkstk");
    let res = fx.alloc(16);
    let run = |fx: &mut Fx, size: u64| {
        let mut c = vec![0x55, 0x48, 0x89, 0xE5, 0x53]; // push rbp; mov rbp,rsp; push rbx
        c.extend([0x48, 0xB8]); // mov rax, size
        c.extend(size.to_le_bytes());
        c.extend([0x48, 0xBB]); // mov rbx, stub
        c.extend(stub.to_le_bytes());
        c.extend([0xFF, 0xD3]); // call rbx
        c.extend([0x48, 0xA3]); // mov [res], rax
        c.extend(res.to_le_bytes());
        c.extend([0x48, 0x8D, 0x65, 0xF8, 0x5B, 0x5D, 0xC3]); // lea rsp,[rbp-8]; pop rbx; pop rbp; ret
        let thunk = fx.k.mem_mut().alloc(RegionKind::System, "chkstk caller", 0x1000, Prot::RWX).unwrap();
        fx.k.mem_mut().write(thunk, &c).unwrap();
        fx.k.call(thunk, &[], CallConv::Win64)
    };
    run(&mut fx, 0x3000).unwrap();
    assert_eq!(fx.k.mem().read_u64(res).unwrap(), 0x3000, "RAX is preserved");
    run(&mut fx, 0x10).unwrap();
    // A frame larger than the whole stack: the probe faults, as on Windows.
    let b = bugcheck(run(&mut fx, 0x100_0000));
    assert_eq!(b.code, 0x50);
}
