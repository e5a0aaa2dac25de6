//! Integers and GUIDs to and from text, and the Rtl memory routines, through the real stubs on
//! both architectures, against tables of expected results.
#[allow(unused_imports)]
mod common;
mod rtl_support;
use common::fx::*;
use common::*;
use rtl_support::*;

#[test]
fn integers_to_unicode_strings() {
    // (value, base, text or the status)
    let cases: &[(u64, u64, Result<&str, u32>)] = &[
        (0, 10, Ok("0")),
        (1234, 0, Ok("1234")),
        (0xFFFF_FFFF, 10, Ok("4294967295")),
        (0xBEEF, 16, Ok("BEEF")),
        (8, 8, Ok("10")),
        (5, 2, Ok("101")),
        (5, 3, Err(st::INVALID_PARAMETER)),
        (5, 36, Err(st::INVALID_PARAMETER)),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        for &(value, base, want) in cases {
            let s = ubuf(&mut fx, 64);
            let r = st(&mut fx, "RtlIntegerToUnicodeString", &[value, base, s]);
            match want {
                Ok(text) => {
                    assert_eq!((r, ustring_text(&fx, s)), (st::SUCCESS, text.to_string()), "{arch:?} {value} {base}");
                    assert_eq!(wstr_at(&fx, header(&fx, s).2), text, "NUL-terminated");
                }
                Err(status) => assert_eq!(r, status, "{value} {base}"),
            }
        }
        // The digits and the NUL must fit MaximumLength; Length says what was needed.
        let s = ubuf(&mut fx, 8);
        assert_eq!(st(&mut fx, "RtlIntegerToUnicodeString", &[1234, 10, s]), st::BUFFER_OVERFLOW);
        assert_eq!(header(&fx, s).0, 8);
        let s = ubuf(&mut fx, 10);
        assert_eq!(st(&mut fx, "RtlIntegerToUnicodeString", &[1234, 10, s]), st::SUCCESS);
        // 64-bit values, unsigned.
        for (value, base, text) in [
            (u64::MAX, 10, "18446744073709551615"),
            (0x1_0000_0000, 16, "100000000"),
            (1u64 << 63, 2, "1000000000000000000000000000000000000000000000000000000000000000"),
        ] {
            let s = ubuf(&mut fx, 160);
            let mut args = wide(arch, value);
            args.extend([base, s]);
            assert_eq!(st(&mut fx, "RtlInt64ToUnicodeString", &args), st::SUCCESS, "{arch:?} {value}");
            assert_eq!(ustring_text(&fx, s), text);
        }
    }
}

#[test]
fn integer_to_char_pads_fits_and_catches_bad_buffers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.put(&[0xEE; 16]);
        assert_eq!(st(&mut fx, "RtlIntegerToChar", &[255, 16, 8, out]), st::SUCCESS);
        assert_eq!(fx.read(out, 4), b"FF\0\xee", "{arch:?}");
        // Exactly the digits: no terminator.
        assert_eq!(st(&mut fx, "RtlIntegerToChar", &[1234, 10, 4, out]), st::SUCCESS);
        assert_eq!(fx.read(out, 4), b"1234");
        assert_eq!(st(&mut fx, "RtlIntegerToChar", &[12345, 10, 4, out]), st::BUFFER_OVERFLOW);
        // A negative length pads with zeros to its magnitude.
        assert_eq!(st(&mut fx, "RtlIntegerToChar", &[5, 2, (-8i32) as u32 as u64, out]), st::SUCCESS);
        assert_eq!(fx.read(out, 8), b"00000101");
        assert_eq!(st(&mut fx, "RtlIntegerToChar", &[5, 7, 8, out]), st::INVALID_PARAMETER);
        assert_eq!(st(&mut fx, "RtlIntegerToChar", &[5, 10, 8, UNMAPPED]), st::ACCESS_VIOLATION);
        let wout = fx.alloc(32);
        assert_eq!(st(&mut fx, "RtlIntegerToUnicode", &[0xABC, 16, 8, wout]), st::SUCCESS);
        assert_eq!(wstr_at(&fx, wout), "ABC");
        assert_eq!(st(&mut fx, "RtlIntegerToUnicode", &[0xABC, 16, 2, wout]), st::BUFFER_OVERFLOW);
    }
}

#[test]
fn text_to_integers() {
    // (text, base, value or status)
    let cases: &[(&str, u64, Result<u32, u32>)] = &[
        ("1234", 10, Ok(1234)),
        ("  -42", 10, Ok(-42i32 as u32)),
        ("+7", 0, Ok(7)),
        ("0x1F", 0, Ok(31)),
        ("0X1F", 0, Ok(0)), // only a lowercase prefix is one: "0" then 'X' stops
        ("0b101", 0, Ok(5)),
        ("0o17", 0, Ok(15)),
        ("1F", 16, Ok(31)),
        ("ff", 16, Ok(255)),
        ("123abc", 10, Ok(123)),
        ("", 10, Ok(0)),
        ("xyz", 10, Ok(0)),
        ("4294967297", 10, Ok(1)), // wraps
        ("12", 5, Err(st::INVALID_PARAMETER)),
        ("\t\n 9", 0, Ok(9)),
    ];
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(4);
        for &(text, base, want) in cases {
            fx.k.mem_mut().write_u32(out, 0xAAAA_AAAA).unwrap();
            let c = fx.cstr(text);
            let u = fx.ustr(text);
            for (name, s) in [("RtlCharToInteger", c), ("RtlUnicodeStringToInteger", u)] {
                let r = st(&mut fx, name, &[s, base, out]);
                match want {
                    Ok(v) => {
                        assert_eq!((r, fx.k.mem().read_u32(out).unwrap()), (st::SUCCESS, v), "{arch:?} {name} {text:?}")
                    }
                    Err(status) => assert_eq!(r, status, "{name} {text:?}"),
                }
            }
        }
        // A NULL Value is STATUS_ACCESS_VIOLATION, reported rather than taken.
        let c = fx.cstr("1");
        assert_eq!(st(&mut fx, "RtlCharToInteger", &[c, 10, 0]), st::ACCESS_VIOLATION);
        // CHAR is signed on Windows: bytes 0x80-0xFF are skipped like spaces.
        let hi = fx.put(b"\xa0\xff12\0");
        assert_eq!(st(&mut fx, "RtlCharToInteger", &[hi, 10, out]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(out).unwrap(), 12);
        // The Unicode routine stops at Length, not at a NUL.
        let buf = fx.wstr("1234");
        let s = fx.ustring(4, 10, buf);
        assert_eq!(st(&mut fx, "RtlUnicodeStringToInteger", &[s, 10, out]), st::SUCCESS);
        assert_eq!(fx.k.mem().read_u32(out).unwrap(), 12);
    }
}

#[test]
fn guids_round_trip_through_their_registry_form() {
    let guid: [u8; 16] =
        [0x78, 0x56, 0x34, 0x12, 0xBC, 0x9A, 0xF0, 0xDE, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
    let text = "{12345678-9ABC-DEF0-0123-456789ABCDEF}";
    for arch in both() {
        let mut fx = Fx::new(arch);
        let g = fx.put(&guid);
        let s = fx.alloc(16);
        assert_eq!(st(&mut fx, "RtlStringFromGUID", &[g, s]), st::SUCCESS);
        let (len, max, buf) = header(&fx, s);
        assert_eq!((len, max, wstr_at(&fx, buf)), (76, 78, text.to_string()), "{arch:?}");
        let out = fx.alloc(16);
        assert_eq!(st(&mut fx, "RtlGUIDFromString", &[s, out]), st::SUCCESS);
        assert_eq!(fx.read(out, 16), guid);
        call(&mut fx, "RtlFreeUnicodeString", &[s]);
        let lower = fx.ustr(&text.to_lowercase());
        assert_eq!(st(&mut fx, "RtlGUIDFromString", &[lower, out]), st::SUCCESS);
        assert_eq!(fx.read(out, 16), guid);
        for bad in [
            "12345678-9ABC-DEF0-0123-456789ABCDEF",
            "{12345678-9ABC-DEF0-0123-456789ABCDEF",
            "{12345678-9ABC-DEF0-0123-456789ABCDEG}",
            "{12345678+9ABC-DEF0-0123-456789ABCDEF}",
            "{12345678-9ABC-DEF0-0123-456789ABCDEF}x",
            "",
        ] {
            let b = fx.ustr(bad);
            fx.k.mem_mut().write(out, &[0xAA; 16]).unwrap();
            assert_eq!(st(&mut fx, "RtlGUIDFromString", &[b, out]), st::INVALID_PARAMETER, "{bad:?}");
            assert_eq!(fx.read(out, 16), [0xAA; 16]);
        }
    }
}

#[test]
fn memory_routines_fill_move_and_compare() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.put(&[0u8; 64]);
        call(&mut fx, "RtlFillMemory", &[buf, 10, 0x5A]);
        assert_eq!(fx.read(buf, 11), [&[0x5A; 10][..], &[0]].concat(), "{arch:?}");
        call(&mut fx, "RtlZeroMemory", &[buf, 4]);
        assert_eq!(fx.read(buf, 6), [0, 0, 0, 0, 0x5A, 0x5A]);
        fx.k.mem_mut().write(buf, b"0123456789").unwrap();
        call(&mut fx, "RtlMoveMemory", &[buf + 2, buf, 6]);
        assert_eq!(fx.read(buf, 10), b"0101234589", "overlapping forward move");
        call(&mut fx, "RtlMoveMemory", &[buf, buf + 2, 6]);
        assert_eq!(fx.read(buf, 10), b"0123454589");
        let pat = fx.put(&[0xEF, 0xBE, 0xAD, 0xDE, 0xEF, 0xBE, 0xAD, 0xDE, 0xEF, 0xBE, 0xAD, 0xDF, 0, 0]);
        assert_eq!(call(&mut fx, "RtlCompareMemoryUlong", &[pat, 12, 0xDEAD_BEEF]), 8);
        assert_eq!(call(&mut fx, "RtlCompareMemoryUlong", &[pat, 7, 0xDEAD_BEEF]), 4, "Length rounds down");
        assert_eq!(call(&mut fx, "RtlCompareMemoryUlong", &[pat, 8, 0xDEAD_BEEF]), 8);
        assert_eq!(call(&mut fx, "RtlCompareMemoryUlong", &[pat, 4, 0]), 0);
        let (a, b) = (fx.put(b"abcdef"), fx.put(b"abcxef"));
        assert_eq!(call(&mut fx, "RtlCompareMemory", &[a, b, 6]), 3);
        assert_eq!(call(&mut fx, "RtlCompareMemory", &[a, a, 6]), 6);
        call(&mut fx, "RtlPrefetchMemoryNonTemporal", &[UNMAPPED, 0x1000]);
        match arch {
            Arch::X86 => {
                call(&mut fx, "RtlFillMemoryUlong", &[buf, 10, 0x1122_3344]);
                assert_eq!(fx.read(buf, 10), [0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11, b'8', b'9']);
                let mut args = vec![buf, 16];
                args.extend(wide(arch, 0x0102_0304_0506_0708));
                call(&mut fx, "RtlFillMemoryUlonglong", &args);
                assert_eq!(fx.read(buf, 8), [8, 7, 6, 5, 4, 3, 2, 1]);
            }
            Arch::X64 => {
                call(&mut fx, "RtlCopyMemory", &[buf, a, 6]);
                assert_eq!(fx.read(buf, 6), b"abcdef");
                call(&mut fx, "RtlCopyMemoryNonTemporal", &[buf, b, 6]);
                assert_eq!(fx.read(buf, 6), b"abcxef");
            }
        }
    }
}
