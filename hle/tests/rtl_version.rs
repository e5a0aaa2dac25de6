//! The emulated Windows version: every way to ask agrees (RtlGetVersion, PsGetVersion,
//! RtlVerifyVersionInfo, RtlIsNtDdiVersionAvailable, the NtBuildNumber variable and
//! KUSER_SHARED_DATA), for the Windows 7 SP1 default and for Windows 10 and 11.
#[allow(unused_imports)]
mod common;
mod rtl_support;
use common::fx::*;
use common::*;
use rtl_support::*;

use portcullis_hle::layout::{FieldAccess, KUSER_SHARED_DATA, RTL_OSVERSIONINFOEXW};
use portcullis_hle::rtl::version::WindowsVersion;

fn booted(arch: Arch, version: WindowsVersion) -> Fx {
    let options = KernelOptions { version, ..Default::default() };
    Fx::with(Kernel::boot(MachineConfig::new(arch), options).unwrap())
}

const VERSIONS: [(WindowsVersion, u32, u32, u32, u16, &str); 3] = [
    (WindowsVersion::WINDOWS_7_SP1, 6, 1, 7601, 1, "Service Pack 1"),
    (WindowsVersion::WINDOWS_10, 10, 0, 19045, 0, ""),
    (WindowsVersion::WINDOWS_11, 10, 0, 22631, 0, ""),
];

#[test]
fn every_version_report_agrees() {
    for arch in both() {
        for (v, major, minor, build, sp, csd) in VERSIONS {
            let mut fx = booted(arch, v);
            let info = fx.alloc(0x11C);
            fx.k.mem_mut().set(info, RTL_OSVERSIONINFOEXW::dwOSVersionInfoSize, 0x11C).unwrap();
            assert_eq!(st(&mut fx, "RtlGetVersion", &[info]), st::SUCCESS);
            let get = |fx: &Fx, f| fx.k.mem().get(info, f).unwrap();
            assert_eq!(
                (get(&fx, RTL_OSVERSIONINFOEXW::dwMajorVersion), get(&fx, RTL_OSVERSIONINFOEXW::dwMinorVersion)),
                (major.into(), minor.into()),
                "{arch:?} {v:?}"
            );
            assert_eq!(get(&fx, RTL_OSVERSIONINFOEXW::dwBuildNumber), build.into());
            assert_eq!(get(&fx, RTL_OSVERSIONINFOEXW::dwPlatformId), 2);
            assert_eq!(wstr_at(&fx, info + 0x14), csd);
            assert_eq!(get(&fx, RTL_OSVERSIONINFOEXW::wServicePackMajor), sp.into());
            assert_eq!(get(&fx, RTL_OSVERSIONINFOEXW::wProductType), 1, "VER_NT_WORKSTATION");
            assert_eq!(get(&fx, RTL_OSVERSIONINFOEXW::wSuiteMask), 0x100);

            let out = fx.alloc(32);
            let csd_string = fx.alloc(16);
            assert!(!call_bool(&mut fx, "PsGetVersion", &[out, out + 4, out + 8, csd_string]), "a free build");
            let mem = fx.k.mem();
            assert_eq!(
                (mem.read_u32(out).unwrap(), mem.read_u32(out + 4).unwrap(), mem.read_u32(out + 8).unwrap()),
                (major, minor, build)
            );
            assert_eq!(ustring_text(&fx, csd_string), csd);
            // NULL pointers are skipped.
            call(&mut fx, "PsGetVersion", &[0, 0, 0, 0]);

            let nt_build = fx.stub(NT, "NtBuildNumber");
            assert_eq!(fx.k.mem().read_u32(nt_build).unwrap(), 0xF000_0000 | build);
            let sud = fx.k.mem().layout().shared_user_data;
            let mem = fx.k.mem();
            assert_eq!(mem.get(sud, KUSER_SHARED_DATA::NtMajorVersion).unwrap(), major.into());
            assert_eq!(mem.get(sud, KUSER_SHARED_DATA::NtMinorVersion).unwrap(), minor.into());
            let shared_build = mem.get(sud, KUSER_SHARED_DATA::NtBuildNumber).unwrap();
            assert_eq!(shared_build, if major >= 10 { build.into() } else { 0 }, "a Windows 10 field");
        }
    }
}

#[test]
fn rtl_get_version_fills_the_ex_part_only_for_the_ex_size() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let info = fx.put(&[0xAA; 0x11C]);
        fx.k.mem_mut().write_u32(info, 0x114).unwrap();
        assert_eq!(st(&mut fx, "RtlGetVersion", &[info]), st::SUCCESS);
        assert_eq!(fx.read(info + 0x114, 8), [0xAA; 8], "{arch:?}: an OSVERSIONINFOW has no EX fields");
        assert_eq!(fx.k.mem().read_u32(info + 4).unwrap(), 6);
    }
}

/// VerSetConditionMask(mask, type, condition) on both architectures (a ULONGLONG in and out).
fn set_condition(fx: &mut Fx, mask: u64, type_mask: u64, condition: u64) -> u64 {
    let mut args = wide(fx.arch, mask);
    args.extend([type_mask, condition]);
    call64(fx, "VerSetConditionMask", &args)
}

const VER_MINORVERSION: u64 = 0x1;
const VER_MAJORVERSION: u64 = 0x2;
const VER_BUILDNUMBER: u64 = 0x4;
const VER_SERVICEPACKMAJOR: u64 = 0x20;
const VER_SUITENAME: u64 = 0x40;
const VER_PRODUCT_TYPE: u64 = 0x80;
const VER_EQUAL: u64 = 1;
const VER_GREATER: u64 = 2;
const VER_GREATER_EQUAL: u64 = 3;
const VER_LESS: u64 = 4;
const VER_AND: u64 = 6;

#[test]
fn condition_masks_take_the_highest_type_bit_of_each_call() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        assert_eq!(set_condition(&mut fx, 0, VER_MAJORVERSION, VER_GREATER_EQUAL), 3 << 3, "{arch:?}");
        assert_eq!(set_condition(&mut fx, 0, VER_MINORVERSION, VER_EQUAL), 1);
        assert_eq!(set_condition(&mut fx, 0, VER_PRODUCT_TYPE, VER_EQUAL), 1 << 21);
        // Two bits at once: only the higher one.
        assert_eq!(set_condition(&mut fx, 0, VER_MAJORVERSION | VER_MINORVERSION, VER_LESS), 4 << 3);
        // ORed into the existing mask; a zero type or condition changes nothing.
        assert_eq!(
            set_condition(&mut fx, 0x1234_5678_0000_0000, VER_BUILDNUMBER, 0xFA),
            0x1234_5678_0000_0000 | 2 << 6
        );
        assert_eq!(set_condition(&mut fx, 7, 0, VER_EQUAL), 7);
        assert_eq!(set_condition(&mut fx, 7, VER_MAJORVERSION, 8), 7);
    }
}

#[test]
fn verify_version_info_compares_major_minor_and_service_pack_as_one_hierarchy() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let info = fx.alloc(0x11C);
        let verify = |fx: &mut Fx, (major, minor, sp, build): (u64, u64, u64, u64), types: u64, mask: u64| {
            let mem = fx.k.mem_mut();
            mem.set(info, RTL_OSVERSIONINFOEXW::dwMajorVersion, major).unwrap();
            mem.set(info, RTL_OSVERSIONINFOEXW::dwMinorVersion, minor).unwrap();
            mem.set(info, RTL_OSVERSIONINFOEXW::wServicePackMajor, sp).unwrap();
            mem.set(info, RTL_OSVERSIONINFOEXW::dwBuildNumber, build).unwrap();
            mem.set(info, RTL_OSVERSIONINFOEXW::wSuiteMask, 0x100).unwrap();
            mem.set(info, RTL_OSVERSIONINFOEXW::wProductType, 1).unwrap();
            let mut args = vec![info, types];
            args.extend(wide(fx.arch, mask));
            st(fx, "RtlVerifyVersionInfo", &args)
        };
        let ge = |fx: &mut Fx, types: &[u64]| types.iter().fold(0, |m, &t| set_condition(fx, m, t, VER_GREATER_EQUAL));
        let mmsp = VER_MAJORVERSION | VER_MINORVERSION | VER_SERVICEPACKMAJOR;
        let m = ge(&mut fx, &[VER_MAJORVERSION, VER_MINORVERSION, VER_SERVICEPACKMAJOR]);
        // The system is 6.1 SP1 build 7601.
        assert_eq!(verify(&mut fx, (6, 1, 1, 0), mmsp, m), st::SUCCESS, "{arch:?} >= 6.1 SP1");
        assert_eq!(verify(&mut fx, (6, 0, 2, 0), mmsp, m), st::SUCCESS, ">= 6.0 SP2: the minor version decides");
        assert_eq!(verify(&mut fx, (5, 9, 9, 0), mmsp, m), st::SUCCESS);
        assert_eq!(verify(&mut fx, (6, 1, 2, 0), mmsp, m), st::REVISION_MISMATCH, ">= 6.1 SP2");
        assert_eq!(verify(&mut fx, (6, 2, 0, 0), mmsp, m), st::REVISION_MISMATCH, ">= Windows 8");
        assert_eq!(verify(&mut fx, (10, 0, 0, 0), mmsp, m), st::REVISION_MISMATCH);
        let eq = set_condition(&mut fx, 0, VER_MAJORVERSION, VER_EQUAL);
        assert_eq!(verify(&mut fx, (6, 0, 0, 0), VER_MAJORVERSION, eq), st::SUCCESS);
        let gt = set_condition(&mut fx, 0, VER_BUILDNUMBER, VER_GREATER);
        assert_eq!(verify(&mut fx, (0, 0, 0, 7600), VER_BUILDNUMBER, gt), st::SUCCESS);
        assert_eq!(verify(&mut fx, (0, 0, 0, 7601), VER_BUILDNUMBER, gt), st::REVISION_MISMATCH);
        let and = set_condition(&mut fx, 0, VER_SUITENAME, VER_AND);
        assert_eq!(verify(&mut fx, (0, 0, 0, 0), VER_SUITENAME, and), st::SUCCESS);
        let product = set_condition(&mut fx, 0, VER_PRODUCT_TYPE, VER_EQUAL);
        assert_eq!(verify(&mut fx, (0, 0, 0, 0), VER_PRODUCT_TYPE, product), st::SUCCESS);
        // Empty masks and conditions that do not apply.
        assert_eq!(verify(&mut fx, (6, 1, 1, 0), 0, m), st::INVALID_PARAMETER);
        assert_eq!(verify(&mut fx, (6, 1, 1, 0), mmsp, 0), st::INVALID_PARAMETER);
        let bad_suite = set_condition(&mut fx, 0, VER_SUITENAME, VER_EQUAL);
        assert_eq!(verify(&mut fx, (0, 0, 0, 0), VER_SUITENAME, bad_suite), st::INVALID_PARAMETER);
        let bad_major = set_condition(&mut fx, 0, VER_MAJORVERSION, VER_AND);
        assert_eq!(verify(&mut fx, (6, 0, 0, 0), VER_MAJORVERSION, bad_major), st::INVALID_PARAMETER);
    }
}

#[test]
fn ddi_versions_available_follow_the_emulated_release() {
    // (NTDDI value, available on Windows 7 SP1, on Windows 10 22H2)
    let cases = [
        (0x0501_0000u64, true, true), // XP
        (0x0601_0000, true, true),    // 7
        (0x0601_0100, true, true),    // 7 SP1
        (0x0601_0200, false, true),   // 7 SP2 never existed
        (0x0602_0000, false, true),   // 8
        (0x0A00_0000, false, true),   // 10 1507
        (0x0A00_0008, false, true),   // 10 2004
        (0x0A00_000C, false, false),  // 11 22H2
    ];
    for arch in both() {
        let mut seven = Fx::new(arch);
        let mut ten = booted(arch, WindowsVersion::WINDOWS_10);
        for (ddi, on7, on10) in cases {
            assert_eq!(call_bool(&mut seven, "RtlIsNtDdiVersionAvailable", &[ddi]), on7, "{arch:?} {ddi:#x} on 7");
            assert_eq!(call_bool(&mut ten, "RtlIsNtDdiVersionAvailable", &[ddi]), on10, "{ddi:#x} on 10");
        }
        assert!(call_bool(&mut seven, "RtlIsServicePackVersionInstalled", &[0x0601_0100]));
        assert!(!call_bool(&mut seven, "RtlIsServicePackVersionInstalled", &[0x0601_0200]));
        assert!(!call_bool(&mut seven, "RtlIsServicePackVersionInstalled", &[0x0600_0100]));
    }
}

#[test]
fn scenario_names_for_versions() {
    assert_eq!(WindowsVersion::parse("7"), Ok(WindowsVersion::WINDOWS_7_SP1));
    assert_eq!(WindowsVersion::parse("11"), Ok(WindowsVersion::WINDOWS_11));
    assert_eq!(WindowsVersion::parse("10.0.19041").map(|v| v.build), Ok(19041));
    assert!(WindowsVersion::parse("10.0.9200").is_err());
    assert!(WindowsVersion::parse("8").is_err());
    assert!(WindowsVersion::parse("10.0.x").is_err());
}
