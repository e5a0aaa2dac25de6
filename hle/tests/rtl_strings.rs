//! Counted strings, code pages and counted-string conversions, called through the real stubs
//! on both architectures: UNICODE_STRING and ANSI_STRING routines, the ANSI (1252) and OEM
//! (437) code pages, UTF-8, and the Windows statuses of every overflow and invalid case.
#[allow(unused_imports)]
mod common;
mod rtl_support;
use common::fx::*;
use common::*;
use rtl_support::*;

const STRG: u32 = u32::from_le_bytes(*b"Strg");

#[test]
fn init_unicode_string_and_ex_cap_and_refuse_long_sources() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let dest = fx.alloc(16);
        let s = fx.wstr("Portcullis");
        call(&mut fx, "RtlInitUnicodeString", &[dest, s]);
        assert_eq!(header(&fx, dest), (20, 22, s), "{arch:?}");
        assert_eq!(st(&mut fx, "RtlInitUnicodeStringEx", &[dest, s]), st::SUCCESS);
        assert_eq!(header(&fx, dest), (20, 22, s));
        assert_eq!(st(&mut fx, "RtlInitUnicodeStringEx", &[dest, 0]), st::SUCCESS);
        assert_eq!(header(&fx, dest), (0, 0, 0));
        // 0x7FFE characters (0xFFFC bytes) is the longest a UNICODE_STRING takes.
        let longest = fx.put(&[b'a', 0].repeat(0x7FFE).into_iter().chain([0, 0]).collect::<Vec<_>>());
        assert_eq!(st(&mut fx, "RtlInitUnicodeStringEx", &[dest, longest]), st::SUCCESS);
        assert_eq!(header(&fx, dest), (0xFFFC, 0xFFFE, longest));
        let too_long = fx.put(&[b'a', 0].repeat(0x7FFF).into_iter().chain([0, 0]).collect::<Vec<_>>());
        set_header(&mut fx, dest, 2, 4, 0x1234);
        assert_eq!(st(&mut fx, "RtlInitUnicodeStringEx", &[dest, too_long]), st::NAME_TOO_LONG);
        assert_eq!(header(&fx, dest), (2, 4, 0x1234), "a refused Ex leaves the string alone");
        // The plain routine caps instead.
        call(&mut fx, "RtlInitUnicodeString", &[dest, too_long]);
        assert_eq!(header(&fx, dest), (0xFFFC, 0xFFFE, too_long));
    }
}

#[test]
fn appends_are_all_or_nothing_and_terminate_when_room_remains() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let d = ubuf(&mut fx, 12);
        let (_, _, buf) = header(&fx, d);
        let ab = fx.wstr("ab");
        assert_eq!(st(&mut fx, "RtlAppendUnicodeToString", &[d, ab]), st::SUCCESS);
        assert_eq!((ustring_text(&fx, d), wide_at(&fx, buf, 3)), ("ab".into(), "ab\0".into()), "{arch:?}");
        let cd = fx.ustr("cd");
        assert_eq!(st(&mut fx, "RtlAppendUnicodeStringToString", &[d, cd]), st::SUCCESS);
        assert_eq!(header(&fx, d).0, 8);
        // Exactly filling MaximumLength: no room for the NUL, none written.
        let ef = fx.wstr("ef");
        assert_eq!(st(&mut fx, "RtlAppendUnicodeToString", &[d, ef]), st::SUCCESS);
        assert_eq!(header(&fx, d).0, 12);
        assert_eq!(fx.read(buf + 12, 2), vec![0xEE, 0xEE]);
        // Full: refused whole, nothing changes.
        let g = fx.wstr("g");
        assert_eq!(st(&mut fx, "RtlAppendUnicodeToString", &[d, g]), st::BUFFER_TOO_SMALL);
        let gs = fx.ustr("g");
        assert_eq!(st(&mut fx, "RtlAppendUnicodeStringToString", &[d, gs]), st::BUFFER_TOO_SMALL);
        assert_eq!(ustring_text(&fx, d), "abcdef");
        // NULL and empty sources append nothing, even to a full string.
        assert_eq!(st(&mut fx, "RtlAppendUnicodeToString", &[d, 0]), st::SUCCESS);
        let empty = fx.ustr("");
        assert_eq!(st(&mut fx, "RtlAppendUnicodeStringToString", &[d, empty]), st::SUCCESS);
        assert_eq!(header(&fx, d).0, 12);
    }
}

#[test]
fn compare_equal_and_prefix_follow_the_first_difference_then_the_length() {
    // (a, b, case-insensitive, sign of RtlCompareUnicodeString, equal, a is a prefix of b)
    let cases: &[(&str, &str, bool, i32, bool, bool)] = &[
        ("abc", "abc", false, 0, true, true),
        ("abc", "abd", false, -1, false, false),
        ("abd", "abc", false, 1, false, false),
        ("ab", "abc", false, -1, false, true),
        ("abc", "ab", false, 1, false, false),
        ("ABC", "abc", false, -1, false, false),
        ("ABC", "abc", true, 0, true, true),
        ("\u{e4}bc", "\u{c4}BC", true, 0, true, true),
        ("", "", false, 0, true, true),
        ("", "x", true, -1, false, true),
        ("\\Device\\Foo", "\\device\\foo\\bar", true, -1, false, true),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        for &(a, b, ci, sign, equal, prefix) in cases {
            let (x, y) = (fx.ustr(a), fx.ustr(b));
            let ci = ci as u64;
            let r = call_i32(&mut fx, "RtlCompareUnicodeString", &[x, y, ci]);
            assert_eq!(r.signum(), sign, "{arch:?} compare {a:?} {b:?} {ci}");
            assert_eq!(call_bool(&mut fx, "RtlEqualUnicodeString", &[x, y, ci]), equal, "equal {a:?} {b:?}");
            assert_eq!(call_bool(&mut fx, "RtlPrefixUnicodeString", &[x, y, ci]), prefix, "prefix {a:?} {b:?}");
            let (wa, wb) = (fx.wstr(a), fx.wstr(b));
            let (la, lb) = (a.encode_utf16().count() as u64, b.encode_utf16().count() as u64);
            let r2 = call_i32(&mut fx, "RtlCompareUnicodeStrings", &[wa, la, wb, lb, ci]);
            assert_eq!(r2.signum(), sign, "compare strings {a:?} {b:?}");
        }
        // The first differing character decides by its value; then the length difference.
        let (x, y) = (fx.ustr("a"), fx.ustr("c"));
        assert_eq!(call_i32(&mut fx, "RtlCompareUnicodeString", &[x, y, 0]), -2);
        let (x, y) = (fx.ustr("abcde"), fx.ustr("ab"));
        assert_eq!(call_i32(&mut fx, "RtlCompareUnicodeString", &[x, y, 0]), 3);
    }
}

#[test]
fn upcase_and_downcase_into_a_buffer_or_a_new_one() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let src = fx.ustr("Stra\u{df}e \u{e9}t\u{e9} 9z");
        let d = ubuf(&mut fx, 32);
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeString", &[d, src, 0]), st::SUCCESS);
        // Simple one-to-one mappings: ß has no single uppercase and stays.
        assert_eq!(ustring_text(&fx, d), "STRA\u{df}E \u{c9}T\u{c9} 9Z", "{arch:?}");
        assert_eq!(st(&mut fx, "RtlDowncaseUnicodeString", &[d, src, 0]), st::SUCCESS);
        assert_eq!(ustring_text(&fx, d), "stra\u{df}e \u{e9}t\u{e9} 9z");
        let small = ubuf(&mut fx, 4);
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeString", &[small, src, 0]), st::BUFFER_OVERFLOW);
        assert_eq!(header(&fx, small).0, 0);
        let a = fx.alloc(16);
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeString", &[a, src, 1]), st::SUCCESS);
        let (len, max, buf) = header(&fx, a);
        assert_eq!((len, max), (26, 26));
        assert_eq!(pool_block(&fx, buf), Some(STRG));
        call(&mut fx, "RtlFreeUnicodeString", &[a]);
        assert_eq!(header(&fx, a), (0, 0, 0));
        assert_eq!(pool_block(&fx, buf), None);
        for (c, up, down) in [
            ('a', 'A', 'a'),
            ('Z', 'Z', 'z'),
            ('\u{e4}', '\u{c4}', '\u{e4}'),
            ('\u{3c9}', '\u{3a9}', '\u{3c9}'),
            ('1', '1', '1'),
            ('\u{df}', '\u{df}', '\u{df}'),
        ] {
            assert_eq!(call(&mut fx, "RtlUpcaseUnicodeChar", &[c as u64]) as u16, up as u16, "{c:?}");
            assert_eq!(call(&mut fx, "RtlDowncaseUnicodeChar", &[up as u64]) as u16, down as u16, "{c:?}");
        }
    }
}

#[test]
fn hash_is_x65599_and_checks_its_arguments() {
    let x65599 = |s: &str| s.encode_utf16().fold(0u32, |h, c| h.wrapping_mul(65599).wrapping_add(c as u32));
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(4);
        let s = fx.ustr("\\Device\\Beeper");
        assert_eq!(st(&mut fx, "RtlHashUnicodeString", &[s, 0, 0, out]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(out).unwrap(), x65599("\\Device\\Beeper"), "{arch:?}");
        assert_eq!(st(&mut fx, "RtlHashUnicodeString", &[s, 1, 1, out]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(out).unwrap(), x65599("\\DEVICE\\BEEPER"));
        assert_eq!(st(&mut fx, "RtlHashUnicodeString", &[s, 0, 2, out]), st::INVALID_PARAMETER);
        assert_eq!(st(&mut fx, "RtlHashUnicodeString", &[0, 0, 0, out]), st::INVALID_PARAMETER);
        assert_eq!(st(&mut fx, "RtlHashUnicodeString", &[s, 0, 0, 0]), st::INVALID_PARAMETER);
    }
}

#[test]
fn duplicate_create_validate_and_free() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let src = fx.ustr("dup");
        let d = fx.alloc(16);
        assert_eq!(st(&mut fx, "RtlDuplicateUnicodeString", &[1, src, d]), st::SUCCESS);
        let (len, max, buf) = header(&fx, d);
        assert_eq!((len, max, wstr_at(&fx, buf)), (6, 8, "dup".into()), "{arch:?}");
        call(&mut fx, "RtlFreeUnicodeString", &[d]);
        assert_eq!(st(&mut fx, "RtlDuplicateUnicodeString", &[0, src, d]), st::SUCCESS);
        assert_eq!(header(&fx, d).1, 6, "no terminator: MaximumLength = Length");
        call(&mut fx, "RtlFreeUnicodeString", &[d]);
        let empty = fx.ustr("");
        assert_eq!(st(&mut fx, "RtlDuplicateUnicodeString", &[1, empty, d]), st::SUCCESS);
        assert_eq!(header(&fx, d), (0, 0, 0));
        assert_eq!(st(&mut fx, "RtlDuplicateUnicodeString", &[3, empty, d]), st::SUCCESS);
        let (len, max, buf) = header(&fx, d);
        assert_eq!((len, max), (0, 2));
        assert!(pool_block(&fx, buf).is_some());
        call(&mut fx, "RtlFreeUnicodeString", &[d]);
        for (flags, s) in [(2, src), (4, src), (1, 0)] {
            assert_eq!(st(&mut fx, "RtlDuplicateUnicodeString", &[flags, s, d]), st::INVALID_PARAMETER);
        }
        let bad = fx.ustring(8, 4, src);
        assert_eq!(st(&mut fx, "RtlDuplicateUnicodeString", &[1, bad, d]), st::INVALID_PARAMETER);

        let w = fx.wstr("created");
        assert!(call_bool(&mut fx, "RtlCreateUnicodeString", &[d, w]));
        let (len, max, buf) = header(&fx, d);
        assert_eq!((len, max, wstr_at(&fx, buf)), (14, 16, "created".into()));
        assert_eq!(pool_block(&fx, buf), Some(STRG));
        call(&mut fx, "RtlFreeUnicodeString", &[d]);
        assert_eq!(pool_block(&fx, buf), None);
        // Freeing an empty string touches nothing.
        call(&mut fx, "RtlFreeUnicodeString", &[d]);

        // (Length, MaximumLength, Buffer, valid)
        for (l, m, b, ok) in
            [(4, 6, 1, true), (0, 0, 0, true), (3, 6, 1, false), (4, 5, 1, false), (6, 4, 1, false), (0, 2, 0, false)]
        {
            let s = fx.ustring(l, m, if b == 1 { buf } else { 0 });
            let want = if ok { st::SUCCESS } else { st::INVALID_PARAMETER };
            assert_eq!(st(&mut fx, "RtlValidateUnicodeString", &[0, s]), want, "{l} {m} {b}");
        }
        assert_eq!(st(&mut fx, "RtlValidateUnicodeString", &[0, 0]), st::SUCCESS);
        let s = fx.ustr("x");
        assert_eq!(st(&mut fx, "RtlValidateUnicodeString", &[1, s]), st::INVALID_PARAMETER);
    }
}

#[test]
fn ansi_strings_init_copy_append_compare_upcase() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let d = fx.alloc(16);
        let s = fx.cstr("gate");
        call(&mut fx, "RtlInitString", &[d, s]);
        assert_eq!(header(&fx, d), (4, 5, s), "{arch:?}");
        assert_eq!(st(&mut fx, "RtlInitAnsiStringEx", &[d, s]), st::SUCCESS);
        let long = fx.put(&vec![b'x'; 0xFFFF].into_iter().chain([0]).collect::<Vec<_>>());
        assert_eq!(st(&mut fx, "RtlInitAnsiStringEx", &[d, long]), st::NAME_TOO_LONG);
        call(&mut fx, "RtlInitAnsiString", &[d, long]);
        assert_eq!(header(&fx, d), (0xFFFE, 0xFFFF, long));

        let src = astr(&mut fx, b"hello");
        let dst = astr_max(&mut fx, b"", 4);
        call(&mut fx, "RtlCopyString", &[dst, src]);
        assert_eq!(astring_bytes(&fx, dst), b"hell", "truncated to MaximumLength, no NUL room");
        let dst2 = astr_max(&mut fx, b"", 8);
        call(&mut fx, "RtlCopyString", &[dst2, src]);
        let (_, _, b2) = header(&fx, dst2);
        assert_eq!(fx.read(b2, 6), b"hello\0");
        call(&mut fx, "RtlCopyString", &[dst2, 0]);
        assert_eq!(header(&fx, dst2).0, 0);

        let a = astr_max(&mut fx, b"ab", 6);
        let cd = astr(&mut fx, b"cd");
        assert_eq!(st(&mut fx, "RtlAppendStringToString", &[a, cd]), st::SUCCESS);
        let ef = fx.cstr("ef");
        assert_eq!(st(&mut fx, "RtlAppendAsciizToString", &[a, ef]), st::SUCCESS);
        assert_eq!(astring_bytes(&fx, a), b"abcdef");
        assert_eq!(st(&mut fx, "RtlAppendAsciizToString", &[a, ef]), st::BUFFER_TOO_SMALL);
        assert_eq!(st(&mut fx, "RtlAppendStringToString", &[a, cd]), st::BUFFER_TOO_SMALL);
        assert_eq!(st(&mut fx, "RtlAppendAsciizToString", &[a, 0]), st::SUCCESS);

        for (x, y, ci, sign, eq, prefix) in [
            (&b"abc"[..], &b"abc"[..], 0, 0, true, true),
            (b"ABC", b"abc", 0, -1, false, false),
            (b"ABC", b"abc", 1, 0, true, true),
            (b"\xe9t\xe9", b"\xc9T\xc9", 1, 0, true, true),
            (b"ab", b"abc", 0, -1, false, true),
            (b"b", b"abc", 1, 1, false, false),
        ] {
            let (p, q) = (astr(&mut fx, x), astr(&mut fx, y));
            assert_eq!(call_i32(&mut fx, "RtlCompareString", &[p, q, ci]).signum(), sign, "{x:?} {y:?}");
            assert_eq!(call_bool(&mut fx, "RtlEqualString", &[p, q, ci]), eq);
            assert_eq!(call_bool(&mut fx, "RtlPrefixString", &[p, q, ci]), prefix);
        }

        let mixed = astr(&mut fx, b"Mixed \xe9\xff 1");
        let up = astr_max(&mut fx, b"", 32);
        call(&mut fx, "RtlUpperString", &[up, mixed]);
        // 0xFF (ÿ) upcases to Ÿ, which 1252 has at 0x9F.
        assert_eq!(astring_bytes(&fx, up), b"MIXED \xc9\x9f 1");
        assert_eq!(call(&mut fx, "RtlUpperChar", &[u64::from(b'q')]) as u8, b'Q');
        assert_eq!(call(&mut fx, "RtlUpperChar", &[0xE0]) as u8, 0xC0);
        assert_eq!(call(&mut fx, "RtlUpperChar", &[0xB5]) as u8, 0xB5, "µ's uppercase is not in 1252");
    }
}

#[test]
fn code_page_buffers_convert_both_ways() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(64);
        let n = fx.alloc(4);
        let ansi = fx.put(b"A\x80\xe9\x81\xff");
        assert_eq!(st(&mut fx, "RtlMultiByteToUnicodeN", &[out, 64, n, ansi, 5]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(n).unwrap(), 10, "{arch:?}");
        assert_eq!(wide_at(&fx, out, 5), "A\u{20ac}\u{e9}\u{81}\u{ff}");
        // Truncation is silent: as many characters as fit.
        assert_eq!(st(&mut fx, "RtlMultiByteToUnicodeN", &[out, 5, n, ansi, 5]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(n).unwrap(), 4);
        assert_eq!(st(&mut fx, "RtlMultiByteToUnicodeN", &[out, 64, 0, ansi, 5]), st::SUCCESS);
        let oem = fx.put(b"\x80\x9b\xe1\xdb");
        assert_eq!(st(&mut fx, "RtlOemToUnicodeN", &[out, 64, n, oem, 4]), st::SUCCESS);
        assert_eq!(wide_at(&fx, out, 4), "\u{c7}\u{a2}\u{df}\u{2588}");

        let w = fx.wstr("A\u{20ac}\u{e9}\u{100}z");
        assert_eq!(st(&mut fx, "RtlUnicodeToMultiByteN", &[out, 64, n, w, 10]), st::SUCCESS);
        assert_eq!((fx.k.mem().read_u32(n).unwrap(), fx.read(out, 5)), (5, b"A\x80\xe9?z".to_vec()));
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeToMultiByteN", &[out, 3, n, w, 10]), st::SUCCESS);
        assert_eq!((fx.k.mem().read_u32(n).unwrap(), fx.read(out, 3)), (3, b"A\x80\xc9".to_vec()));
        assert_eq!(st(&mut fx, "RtlUnicodeToOemN", &[out, 64, n, w, 10]), st::SUCCESS);
        assert_eq!(fx.read(out, 5), b"A?\x82?z");
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeToOemN", &[out, 64, n, w, 10]), st::SUCCESS);
        assert_eq!(fx.read(out, 5), b"A?\x90?Z");
        assert_eq!(st(&mut fx, "RtlMultiByteToUnicodeSize", &[n, ansi, 7]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(n).unwrap(), 14);
        assert_eq!(st(&mut fx, "RtlUnicodeToMultiByteSize", &[n, w, 10]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(n).unwrap(), 5);

        // RtlAnsiCharToUnicodeChar advances the caller's pointer.
        let p = fx.alloc(8);
        fx.k.mem_mut().write_ptr(p, ansi + 1).unwrap();
        assert_eq!(call(&mut fx, "RtlAnsiCharToUnicodeChar", &[p]) as u16, 0x20AC);
        assert_eq!(fx.read_ptr(p), ansi + 2);
        // RtlIsValidOemCharacter: upcased, and survives the round trip.
        let c = fx.alloc(2);
        fx.k.mem_mut().write_u16(c, 0xE9).unwrap();
        assert!(call_bool(&mut fx, "RtlIsValidOemCharacter", &[c]));
        assert_eq!(fx.k.mem().read_u16(c).unwrap(), 0xC9);
        fx.k.mem_mut().write_u16(c, 0x20AC).unwrap();
        assert!(!call_bool(&mut fx, "RtlIsValidOemCharacter", &[c]));
        let (a, o) = (fx.alloc(2), fx.alloc(2));
        call(&mut fx, "RtlGetDefaultCodePage", &[a, o]);
        assert_eq!((fx.k.mem().read_u16(a).unwrap(), fx.k.mem().read_u16(o).unwrap()), (1252, 437));
    }
}

#[test]
fn utf8_conversions_replace_invalid_input_and_report_sizes() {
    // (UTF-8 bytes, expected text, expected status)
    let cases: &[(&[u8], &str, u32)] = &[
        (b"plain", "plain", st::SUCCESS),
        ("\u{e9}\u{20ac}\u{1f600}".as_bytes(), "\u{e9}\u{20ac}\u{1f600}", st::SUCCESS),
        (b"a\xffb", "a\u{fffd}b", st::SOME_NOT_MAPPED),
        (b"\xc0\xaf", "\u{fffd}\u{fffd}", st::SOME_NOT_MAPPED), // overlong '/'
        (b"\xed\xa0\x80", "\u{fffd}", st::SOME_NOT_MAPPED),     // an encoded surrogate
        (b"\xe2\x82", "\u{fffd}", st::SOME_NOT_MAPPED),         // truncated
        (b"", "", st::SUCCESS),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(64);
        let n = fx.alloc(4);
        for &(bytes, text, status) in cases {
            let src = fx.put(if bytes.is_empty() { b"\0" } else { bytes });
            let len = bytes.len() as u64;
            assert_eq!(st(&mut fx, "RtlUTF8ToUnicodeN", &[out, 64, n, src, len]), status, "{arch:?} {bytes:?}");
            let units = text.encode_utf16().count();
            assert_eq!(fx.k.mem().read_u32(n).unwrap() as usize, units * 2);
            assert_eq!(wide_at(&fx, out, units), text);
            // The size alone.
            assert_eq!(st(&mut fx, "RtlUTF8ToUnicodeN", &[0, 0, n, src, len]), status);
            assert_eq!(fx.k.mem().read_u32(n).unwrap() as usize, units * 2);
        }
        let w = fx.wstr("\u{e9}\u{1f600}x");
        assert_eq!(st(&mut fx, "RtlUnicodeToUTF8N", &[out, 64, n, w, 8]), st::SUCCESS);
        assert_eq!(fx.read(out, 7), "\u{e9}\u{1f600}x".as_bytes());
        assert_eq!(fx.k.mem().read_u32(n).unwrap(), 7);
        // Too small: whole characters only, STATUS_BUFFER_TOO_SMALL.
        assert_eq!(st(&mut fx, "RtlUnicodeToUTF8N", &[out, 4, n, w, 8]), st::BUFFER_TOO_SMALL);
        assert_eq!(fx.k.mem().read_u32(n).unwrap(), 2);
        let surrogate = fx.put(&[0x00, 0xD8, b'a', 0]);
        assert_eq!(st(&mut fx, "RtlUnicodeToUTF8N", &[out, 64, n, surrogate, 4]), st::SOME_NOT_MAPPED);
        assert_eq!(fx.read(out, 4), b"\xef\xbf\xbda");
        assert_eq!(st(&mut fx, "RtlUnicodeToUTF8N", &[out, 64, n, w, 3]), st::INVALID_PARAMETER_5);
        assert_eq!(st(&mut fx, "RtlUnicodeToUTF8N", &[out, 64, n, 0, 2]), st::INVALID_PARAMETER_4);
        assert_eq!(st(&mut fx, "RtlUnicodeToUTF8N", &[0, 0, 0, w, 2]), st::INVALID_PARAMETER);
        let u8src = fx.put("\u{1f600}".as_bytes());
        assert_eq!(st(&mut fx, "RtlUTF8ToUnicodeN", &[out, 2, n, u8src, 4]), st::BUFFER_TOO_SMALL);
        assert_eq!(fx.k.mem().read_u32(n).unwrap(), 0, "half a surrogate pair is never written");
        assert_eq!(st(&mut fx, "RtlUTF8ToUnicodeN", &[out, 64, n, 0, 1]), st::INVALID_PARAMETER_4);
    }
}

#[test]
fn ansi_and_oem_strings_convert_to_unicode_strings() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let src = astr(&mut fx, b"Gr\xfc\xdfe \x80");
        let d = fx.alloc(16);
        assert_eq!(st(&mut fx, "RtlAnsiStringToUnicodeString", &[d, src, 1]), st::SUCCESS);
        let (len, max, buf) = header(&fx, d);
        assert_eq!((len, max), (14, 16), "{arch:?}");
        assert_eq!(wstr_at(&fx, buf), "Gr\u{fc}\u{df}e \u{20ac}");
        assert_eq!(pool_block(&fx, buf), Some(STRG));
        call(&mut fx, "RtlFreeUnicodeString", &[d]);
        // Into a caller buffer: the NUL must fit too; Length is set even when it does not.
        let small = ubuf(&mut fx, 14);
        assert_eq!(st(&mut fx, "RtlAnsiStringToUnicodeString", &[small, src, 0]), st::BUFFER_OVERFLOW);
        assert_eq!(header(&fx, small).0, 14);
        let fits = ubuf(&mut fx, 16);
        assert_eq!(st(&mut fx, "RtlAnsiStringToUnicodeString", &[fits, src, 0]), st::SUCCESS);
        assert_eq!(wstr_at(&fx, header(&fx, fits).2), "Gr\u{fc}\u{df}e \u{20ac}");
        let oem = astr(&mut fx, b"\x80\x81");
        assert_eq!(st(&mut fx, "RtlOemStringToUnicodeString", &[fits, oem, 0]), st::SUCCESS);
        assert_eq!(ustring_text(&fx, fits), "\u{c7}\u{fc}");
        assert_eq!(st(&mut fx, "RtlOemStringToCountedUnicodeString", &[d, oem, 1]), st::SUCCESS);
        assert_eq!(header(&fx, d).0, 4);
        assert_eq!(header(&fx, d).1, 4, "counted: no terminator");
        call(&mut fx, "RtlFreeUnicodeString", &[d]);
        let empty = astr(&mut fx, b"");
        assert_eq!(st(&mut fx, "RtlOemStringToCountedUnicodeString", &[d, empty, 1]), st::SUCCESS);
        assert_eq!(header(&fx, d), (0, 0, 0));
        // A result too long for a UNICODE_STRING.
        let huge_buf = fx.alloc(0x8000);
        let huge = fx.ustring(0x7FFF, 0x8000, huge_buf);
        assert_eq!(st(&mut fx, "RtlAnsiStringToUnicodeString", &[d, huge, 1]), st::INVALID_PARAMETER_2);
        assert_eq!(call(&mut fx, "RtlxAnsiStringToUnicodeSize", &[src]), 16);
        assert_eq!(call(&mut fx, "RtlAnsiStringToUnicodeSize", &[src]), 16);
        assert_eq!(call(&mut fx, "RtlxOemStringToUnicodeSize", &[oem]), 6);
        assert_eq!(call(&mut fx, "RtlOemStringToUnicodeSize", &[oem]), 6);
    }
}

#[test]
fn unicode_strings_convert_to_ansi_and_oem_strings() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let src = fx.ustr("Stra\u{df}e \u{20ac}\u{100}");
        let d = fx.alloc(16);
        assert_eq!(st(&mut fx, "RtlUnicodeStringToAnsiString", &[d, src, 1]), st::SUCCESS);
        let (len, max, buf) = header(&fx, d);
        assert_eq!((len, max), (9, 10), "{arch:?}");
        assert_eq!(cstr_at(&fx, buf), b"Stra\xdfe \x80?");
        call(&mut fx, "RtlFreeAnsiString", &[d]);
        assert_eq!(pool_block(&fx, buf), None);
        // Too small: RtlUnicodeStringToAnsiString converts what fits, then overflows.
        let small = astr_max(&mut fx, b"", 5);
        assert_eq!(st(&mut fx, "RtlUnicodeStringToAnsiString", &[small, src, 0]), st::BUFFER_OVERFLOW);
        assert_eq!(header(&fx, small).0, 4);
        assert_eq!(cstr_at(&fx, header(&fx, small).2), b"Stra");
        // The upcasing and OEM routines convert nothing then.
        let small2 = astr_max(&mut fx, b"", 5);
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeStringToAnsiString", &[small2, src, 0]), st::BUFFER_OVERFLOW);
        assert_eq!(fx.read(header(&fx, small2).2, 1), b"\0");
        assert_eq!(st(&mut fx, "RtlUnicodeStringToOemString", &[small2, src, 0]), st::BUFFER_OVERFLOW);
        let big = astr_max(&mut fx, b"", 16);
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeStringToAnsiString", &[big, src, 0]), st::SUCCESS);
        assert_eq!(cstr_at(&fx, header(&fx, big).2), b"STRA\xdfE \x80?");
        assert_eq!(st(&mut fx, "RtlUnicodeStringToOemString", &[big, src, 0]), st::SUCCESS);
        assert_eq!(cstr_at(&fx, header(&fx, big).2), b"Stra\xe1e ??");
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeStringToOemString", &[big, src, 0]), st::SUCCESS);
        assert_eq!(cstr_at(&fx, header(&fx, big).2), b"STRA\xe1E ??");
        // Counted OEM: no terminator, and a character the page lacks is refused.
        let ok = fx.ustr("Gr\u{fc}n");
        assert_eq!(st(&mut fx, "RtlUnicodeStringToCountedOemString", &[d, ok, 1]), st::SUCCESS);
        let (len, max, buf) = header(&fx, d);
        assert_eq!((len, max, fx.read(buf, 4)), (4, 4, b"Gr\x81n".to_vec()));
        call(&mut fx, "RtlFreeOemString", &[d]);
        assert_eq!(st(&mut fx, "RtlUpcaseUnicodeStringToCountedOemString", &[d, ok, 1]), st::SUCCESS);
        assert_eq!(fx.read(header(&fx, d).2, 4), b"GR\x9aN");
        call(&mut fx, "RtlFreeOemString", &[d]);
        let blocks_before = fx.k.ext().pool.live();
        assert_eq!(st(&mut fx, "RtlUnicodeStringToCountedOemString", &[d, src, 1]), st::UNMAPPABLE_CHARACTER);
        assert_eq!(fx.k.ext().pool.live(), blocks_before, "the buffer is freed again");
        assert_eq!(call(&mut fx, "RtlxUnicodeStringToAnsiSize", &[src]), 10);
        assert_eq!(call(&mut fx, "RtlUnicodeStringToAnsiSize", &[src]), 10);
        assert_eq!(call(&mut fx, "RtlxUnicodeStringToOemSize", &[src]), 10);
        assert_eq!(call(&mut fx, "RtlUnicodeStringToOemSize", &[src]), 10);
    }
}

#[test]
fn a_bad_string_pointer_is_the_fault_windows_would_take() {
    for arch in both() {
        // An unmapped user-space address: an access violation raised in the routine, which
        // nobody handles here.
        let mut fx = Fx::new(arch);
        let d = ubuf(&mut fx, 16);
        let bad = fx.ustring(8, 8, UNMAPPED);
        let b = bugcheck(fx.call(NT, "RtlAppendUnicodeStringToString", &[d, bad]));
        assert_eq!((b.code, arch.mask(b.params[0])), (0x1E, arch.mask(0xFFFF_FFFF_C000_0005)), "{arch:?}");
    }
}
