//! Security, tracing and the debugger through the real stubs on both architectures: SIDs,
//! ACLs and security descriptors with their error statuses, the tokens of the System
//! process and the user program (administrator or standard user), privilege and access
//! checks, object security, ETW registrations and events, and the Kd routines with and
//! without a debugger. The secetw corpus driver runs them end to end.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, UNICODE_STRING};
use portcullis_hle::se::Account;

const NT: Dll = Dll::Ntoskrnl;
const STATUS_BUFFER_TOO_SMALL: u64 = 0xC000_0023;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STATUS_UNKNOWN_REVISION: u64 = 0xC000_0058;
const STATUS_INVALID_SECURITY_DESCR: u64 = 0xC000_0079;
const STATUS_ALLOTTED_SPACE_EXCEEDED: u64 = 0xC000_0099;
const STATUS_BAD_DESCRIPTOR_FORMAT: u64 = 0xC000_00E7;
const STATUS_ACCESS_DENIED: u64 = 0xC000_0022;
const STATUS_INVALID_HANDLE: u64 = 0xC000_0008;
const STATUS_DEBUGGER_INACTIVE: u64 = 0xC000_0354;
const STATUS_NO_TOKEN: u64 = 0xC000_007C;

fn u32_at(fx: &Fx, at: u64) -> u32 {
    u32::from_le_bytes(fx.read(at, 4).try_into().unwrap())
}

/// A SID in the test heap.
fn sid(fx: &mut Fx, authority: u8, subs: &[u32]) -> u64 {
    let mut b = vec![1, subs.len() as u8, 0, 0, 0, 0, 0, authority];
    for s in subs {
        b.extend(s.to_le_bytes());
    }
    fx.put(&b)
}

/// Splits a 64-bit argument into the slots it takes.
fn wide(arch: Arch, v: u64) -> Vec<u64> {
    if arch == Arch::X86 {
        vec![v & 0xFFFF_FFFF, v >> 32]
    } else {
        vec![v]
    }
}

fn user_mode(fx: &mut Fx) {
    let t = fx.k.ext().system.user_thread;
    portcullis_hle::ps::set_current_thread(&mut fx.k, t, true).unwrap();
}

#[test]
fn sids_measure_compare_copy_and_print() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let admins = sid(&mut fx, 5, &[32, 544]);
        assert_eq!(fx.call(NT, "RtlLengthSid", &[admins]).unwrap() & 0xFFFF_FFFF, 16);
        assert_eq!(fx.call(NT, "RtlValidSid", &[admins]).unwrap() & 0xFF, 1);
        let bad = fx.put(&[2, 1, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0]);
        assert_eq!(fx.call(NT, "RtlValidSid", &[bad]).unwrap() & 0xFF, 0, "{arch:?}: revision 2");
        assert_eq!(fx.call(NT, "RtlLengthRequiredSid", &[3]).unwrap() & 0xFFFF_FFFF, 20);
        let copy = fx.alloc(16);
        assert_eq!(fx.call(NT, "RtlCopySid", &[15, copy, admins]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        assert_eq!(fx.call(NT, "RtlCopySid", &[16, copy, admins]).unwrap(), 0);
        assert_eq!(fx.call(NT, "RtlEqualSid", &[copy, admins]).unwrap() & 0xFF, 1);
        let sub = fx.call(NT, "RtlSubAuthoritySid", &[copy, 1]).unwrap();
        assert_eq!(u32_at(&fx, sub), 544);
        let authority = fx.put(&[0, 0, 0, 0, 0, 5]);
        let made = fx.alloc(16);
        assert_eq!(fx.call(NT, "RtlInitializeSid", &[made, authority, 16]).unwrap(), STATUS_INVALID_PARAMETER);
        assert_eq!(fx.call(NT, "RtlInitializeSid", &[made, authority, 2]).unwrap(), 0);
        // Into a caller's buffer, and allocated.
        let us = fx.ustring(0, 8, fx.heap + 0x100);
        assert_eq!(fx.call(NT, "RtlConvertSidToUnicodeString", &[us, admins, 0]).unwrap(), 0x8000_0005);
        let us = fx.alloc(16);
        assert_eq!(fx.call(NT, "RtlConvertSidToUnicodeString", &[us, admins, 1]).unwrap(), 0);
        let (len, _, buf) = fx.counted(us);
        let text: Vec<u16> = fx.read(buf, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16(&text).unwrap(), "S-1-5-32-544");
        assert_eq!(fx.k.mem().get(us, UNICODE_STRING::MaximumLength).unwrap(), 26);
    }
}

#[test]
fn acls_fill_up_and_give_their_aces_back() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let world = sid(&mut fx, 1, &[0]);
        let admins = sid(&mut fx, 5, &[32, 544]);
        let acl = fx.alloc(64);
        assert_eq!(fx.call(NT, "RtlCreateAcl", &[acl, 4, 2]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        assert_eq!(fx.call(NT, "RtlCreateAcl", &[acl, 64, 9]).unwrap(), STATUS_INVALID_PARAMETER);
        assert_eq!(fx.call(NT, "RtlCreateAcl", &[acl, 44, 2]).unwrap(), 0);
        assert_eq!(fx.call(NT, "RtlAddAccessAllowedAce", &[acl, 2, 0x1F01FF, admins]).unwrap(), 0, "{arch:?}");
        // 8 + 24 used of 44: a 20-byte ACE does not fit.
        assert_eq!(fx.call(NT, "RtlAddAccessAllowedAce", &[acl, 2, 1, world]).unwrap(), STATUS_ALLOTTED_SPACE_EXCEEDED);
        assert_eq!(fx.read(acl + 4, 2), [1, 0], "still one ACE");
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "RtlGetAce", &[acl, 0, out]).unwrap(), 0);
        let ace = fx.read_ptr(out);
        assert_eq!((ace, u32_at(&fx, ace + 4)), (acl + 8, 0x1F01FF));
        assert_eq!(fx.call(NT, "RtlGetAce", &[acl, 1, out]).unwrap(), STATUS_INVALID_PARAMETER);
        // RtlAddAce puts a copy first; RtlDeleteAce takes it out again.
        let big = fx.alloc(128);
        fx.call(NT, "RtlCreateAcl", &[big, 128, 2]).unwrap();
        fx.call(NT, "RtlAddAccessAllowedAceEx", &[big, 2, 0x3, 0x12_0089, world]).unwrap();
        assert_eq!(fx.call(NT, "RtlAddAce", &[big, 2, 0, ace, 24]).unwrap(), 0);
        assert_eq!(fx.read(big + 4, 2), [2, 0]);
        fx.call(NT, "RtlGetAce", &[big, 0, out]).unwrap();
        assert_eq!(u32_at(&fx, fx.read_ptr(out) + 4), 0x1F01FF);
        assert_eq!(fx.call(NT, "RtlDeleteAce", &[big, 0]).unwrap(), 0);
        fx.call(NT, "RtlGetAce", &[big, 0, out]).unwrap();
        let first = fx.read_ptr(out);
        assert_eq!((fx.read(first + 1, 1)[0], u32_at(&fx, first + 4)), (0x3, 0x12_0089));
    }
}

#[test]
fn security_descriptors_are_built_measured_and_made_self_relative() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let owner = sid(&mut fx, 5, &[32, 544]);
        let acl = fx.alloc(32);
        fx.call(NT, "RtlCreateAcl", &[acl, 32, 2]).unwrap();
        let sd = fx.alloc(5 * ps);
        assert_eq!(fx.call(NT, "RtlCreateSecurityDescriptor", &[sd, 2]).unwrap(), STATUS_UNKNOWN_REVISION);
        assert_eq!(fx.call(NT, "RtlCreateSecurityDescriptor", &[sd, 1]).unwrap(), 0);
        assert_eq!(fx.call(NT, "RtlLengthSecurityDescriptor", &[sd]).unwrap() & 0xFFFF_FFFF, 5 * ps, "{arch:?}");
        fx.call(NT, "RtlSetDaclSecurityDescriptor", &[sd, 1, acl, 1]).unwrap();
        fx.call(NT, "RtlSetOwnerSecurityDescriptor", &[sd, owner, 0]).unwrap();
        assert_eq!(fx.call(NT, "RtlLengthSecurityDescriptor", &[sd]).unwrap() & 0xFFFF_FFFF, 5 * ps + 16 + 32);
        assert_eq!(fx.call(NT, "RtlValidSecurityDescriptor", &[sd]).unwrap() & 0xFF, 1);
        let (present, dacl, defaulted) = (fx.alloc(1), fx.alloc(8), fx.alloc(1));
        fx.call(NT, "RtlGetDaclSecurityDescriptor", &[sd, present, dacl, defaulted]).unwrap();
        assert_eq!((fx.read(present, 1)[0], fx.read_ptr(dacl), fx.read(defaulted, 1)[0]), (1, acl, 1));
        // Self-relative: the length first, then the copy; a second conversion is refused.
        let len = fx.put(&0u32.to_le_bytes());
        let rel = fx.alloc(128);
        assert_eq!(fx.call(NT, "RtlAbsoluteToSelfRelativeSD", &[sd, rel, len]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        assert_eq!(u32_at(&fx, len), 20 + 16 + 32);
        assert_eq!(fx.call(NT, "RtlAbsoluteToSelfRelativeSD", &[sd, rel, len]).unwrap(), 0);
        assert_eq!(fx.read(rel + 2, 2), (0x8000u16 | 0x4 | 0x8).to_le_bytes());
        assert_eq!(fx.call(NT, "RtlAbsoluteToSelfRelativeSD", &[rel, sd, len]).unwrap(), STATUS_BAD_DESCRIPTOR_FORMAT);
        assert_eq!(
            fx.call(NT, "RtlSetDaclSecurityDescriptor", &[rel, 1, acl, 0]).unwrap(),
            STATUS_INVALID_SECURITY_DESCR
        );
        let out = fx.alloc(8);
        fx.call(NT, "RtlGetOwnerSecurityDescriptor", &[rel, out, defaulted]).unwrap();
        assert_eq!(fx.read_ptr(out), rel + 20);
        // A user-mode descriptor is captured into pool; a kernel-mode one is used in place.
        assert_eq!(fx.call(NT, "SeCaptureSecurityDescriptor", &[sd, 0, 1, 0, out]).unwrap(), 0);
        assert_eq!(fx.read_ptr(out), sd);
        assert_eq!(fx.call(NT, "SeCaptureSecurityDescriptor", &[sd, 1, 1, 0, out]).unwrap(), 0);
        let copy = fx.read_ptr(out);
        assert!(fx.k.ext().pool.block(copy).is_some());
        assert_eq!(fx.read(copy, 68), fx.read(rel, 68));
        fx.call(NT, "SeReleaseSecurityDescriptor", &[copy, 1, 0]).unwrap();
        assert!(fx.k.ext().pool.block(copy).is_none());
    }
}

#[test]
fn privilege_checks_follow_the_callers_token() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let debug = wide(arch, 20);
        let mut args = debug.clone();
        args.push(1); // UserMode
        let mut kernel = debug.clone();
        kernel.push(0);
        assert_eq!(fx.call(NT, "SeSinglePrivilegeCheck", &kernel).unwrap() & 0xFF, 1, "{arch:?}: kernel mode");
        // The System process's token has every privilege.
        assert_eq!(fx.call(NT, "SeSinglePrivilegeCheck", &args).unwrap() & 0xFF, 1);
        user_mode(&mut fx);
        // An administrator holds SeDebugPrivilege, disabled until the program enables it.
        assert_eq!(fx.call(NT, "SeSinglePrivilegeCheck", &args).unwrap() & 0xFF, 0);
        let mut notify = wide(arch, 23);
        notify.push(1);
        assert_eq!(fx.call(NT, "SeSinglePrivilegeCheck", &notify).unwrap() & 0xFF, 1);
        portcullis_hle::se::configure(&mut fx.k, Account::Administrator, &["SeDebugPrivilege".into()]).unwrap();
        assert_eq!(fx.call(NT, "SeSinglePrivilegeCheck", &args).unwrap() & 0xFF, 1);
        // A standard user does not hold it at all.
        let e = portcullis_hle::se::configure(&mut fx.k, Account::User, &["SeDebugPrivilege".into()]).unwrap_err();
        assert!(e.contains("SeDebugPrivilege"), "{e}");
        portcullis_hle::se::configure(&mut fx.k, Account::User, &[]).unwrap();
        let ctx = fx.alloc(0x20);
        fx.call(NT, "SeCaptureSubjectContext", &[ctx]).unwrap();
        let token = fx.read_ptr(ctx + 2 * arch.ptr_size());
        assert_eq!(fx.call(NT, "SeTokenIsAdmin", &[token]).unwrap() & 0xFF, 0);
        // PRIVILEGE_SET of two, any one necessary: SeChangeNotify is enabled.
        let mut set = vec![];
        set.extend(2u32.to_le_bytes());
        set.extend(0u32.to_le_bytes());
        for l in [20u64, 23] {
            set.extend(l.to_le_bytes());
            set.extend(0u32.to_le_bytes());
        }
        let set = fx.put(&set);
        assert_eq!(fx.call(NT, "SePrivilegeCheck", &[set, ctx, 1]).unwrap() & 0xFF, 1);
        assert_eq!(u32_at(&fx, set + 8 + 12 + 8), 0x8000_0000, "SeChangeNotify used");
        assert_eq!(u32_at(&fx, set + 8 + 8), 0);
        fx.k.mem_mut().write_u32(set + 4, 1).unwrap(); // PRIVILEGE_SET_ALL_NECESSARY
        assert_eq!(fx.call(NT, "SePrivilegeCheck", &[set, ctx, 1]).unwrap() & 0xFF, 0);
        fx.call(NT, "SeReleaseSubjectContext", &[ctx]).unwrap();
    }
}

#[test]
fn access_checks_apply_deny_aces_first_and_owner_rights() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        user_mode(&mut fx);
        let world = sid(&mut fx, 1, &[0]);
        let acl = fx.alloc(64);
        fx.call(NT, "RtlCreateAcl", &[acl, 64, 2]).unwrap();
        // Administrators denied writing (a deny ACE put first), Everyone allowed generic all.
        let deny = fx.put(&[1, 0, 24, 0, 2, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0]);
        fx.call(NT, "RtlAddAccessAllowedAce", &[acl, 2, 0x1000_0000, world]).unwrap();
        fx.call(NT, "RtlAddAce", &[acl, 2, 0, deny, 24]).unwrap();
        let sd = fx.alloc(5 * arch.ptr_size());
        fx.call(NT, "RtlCreateSecurityDescriptor", &[sd, 1]).unwrap();
        fx.call(NT, "RtlSetDaclSecurityDescriptor", &[sd, 1, acl, 0]).unwrap();
        let ctx = fx.alloc(0x20);
        fx.call(NT, "SeCaptureSubjectContext", &[ctx]).unwrap();
        let mapping = fx.put(&[0x89u8, 0, 0x12, 0, 0x16, 1, 0x12, 0, 0xA0, 0, 0x12, 0, 0xFF, 1, 0x1F, 0]);
        let (granted, st) = (fx.alloc(4), fx.alloc(4));
        let check = |fx: &mut Fx, desired: u64| {
            let r = fx.call(NT, "SeAccessCheck", &[sd, ctx, 0, desired, 0, 0, mapping, 1, granted, st]).unwrap() & 0xFF;
            (r, u32_at(fx, granted), u32_at(fx, st) as u64)
        };
        assert_eq!(check(&mut fx, 1), (1, 1, 0), "{arch:?}: FILE_READ_DATA");
        assert_eq!(check(&mut fx, 2), (0, 0, STATUS_ACCESS_DENIED), "FILE_WRITE_DATA denied");
        assert_eq!(check(&mut fx, 0x8000_0000), (1, 0x12_0089, 0), "GENERIC_READ mapped");
        let (r, g, _) = check(&mut fx, 0x0200_0000);
        assert_eq!((r, g), (1, 0x1F01FF & !2), "MAXIMUM_ALLOWED");
        // Kernel mode grants what is asked.
        let r = fx.call(NT, "SeAccessCheck", &[sd, ctx, 0, 2, 0, 0, mapping, 0, granted, st]).unwrap() & 0xFF;
        assert_eq!((r, u32_at(&fx, granted)), (1, 2));
        fx.call(NT, "SeReleaseSubjectContext", &[ctx]).unwrap();
    }
}

#[test]
fn tokens_open_and_answer_queries_with_their_lengths() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let h = fx.alloc(8);
        let current = if arch == Arch::X86 { 0xFFFF_FFFF } else { u64::MAX };
        assert_eq!(fx.call(NT, "ZwOpenProcessTokenEx", &[current, 8, 0x200, h]).unwrap(), 0, "{arch:?}");
        let token = fx.read_ptr(h);
        let (buf, ret) = (fx.alloc(256), fx.alloc(4));
        assert_eq!(fx.call(NT, "ZwQueryInformationToken", &[token, 1, buf, 4, ret]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        let need = u32_at(&fx, ret) as u64;
        assert_eq!(need, 2 * arch.ptr_size() + 12, "TOKEN_USER and S-1-5-18");
        assert_eq!(fx.call(NT, "ZwQueryInformationToken", &[token, 1, buf, need, ret]).unwrap(), 0);
        let sid = fx.read_ptr(buf);
        assert_eq!(sid, buf + 2 * arch.ptr_size());
        assert_eq!(fx.read(sid, 12), [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
        assert_eq!(fx.call(NT, "ZwQueryInformationToken", &[token, 99, buf, 256, ret]).unwrap(), 0xC000_0003);
        fx.call(NT, "ZwClose", &[token]).unwrap();
        // A handle without TOKEN_QUERY.
        fx.call(NT, "ZwOpenProcessTokenEx", &[current, 0x4, 0x200, h]).unwrap();
        let t2 = fx.read_ptr(h);
        assert_eq!(fx.call(NT, "ZwQueryInformationToken", &[t2, 20, buf, 4, ret]).unwrap(), STATUS_ACCESS_DENIED);
        // Threads do not impersonate.
        let thread = if arch == Arch::X86 { 0xFFFF_FFFE } else { u64::MAX - 1 };
        assert_eq!(fx.call(NT, "ZwOpenThreadTokenEx", &[thread, 8, 0, 0x200, h]).unwrap(), STATUS_NO_TOKEN);
        // SeQueryInformationToken allocates; PsReferencePrimaryToken references.
        let system = fx.k.ext().system.system_process;
        let t = fx.call(NT, "PsReferencePrimaryToken", &[system]).unwrap();
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "SeQueryInformationToken", &[t, 20, out]).unwrap(), 0);
        assert_eq!(u32_at(&fx, fx.read_ptr(out)), 1, "elevated");
        let luid = fx.alloc(8);
        fx.call(NT, "SeQueryAuthenticationIdToken", &[t, luid]).unwrap();
        assert_eq!(fx.read(luid, 8), 0x3E7u64.to_le_bytes(), "SYSTEM_LUID");
        fx.call(NT, "PsDereferencePrimaryToken", &[t]).unwrap();
    }
}

#[test]
fn object_security_needs_the_handles_access() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        let name = fx.ustr("\\Device\\Guarded");
        fx.call(NT, "IoCreateDevice", &[drv, 0, name, 0x22, 0, 0, out]).unwrap();
        let dev = fx.read_ptr(out);
        let h = fx.alloc(8);
        // READ_CONTROL only: the DACL can be read, not written.
        fx.call(NT, "ObOpenObjectByPointer", &[dev, 0x200, 0, 0x2_0000, 0, 0, h]).unwrap();
        let handle = fx.read_ptr(h);
        let (buf, need) = (fx.alloc(256), fx.alloc(4));
        assert_eq!(fx.call(NT, "ZwQuerySecurityObject", &[handle, 4, buf, 8, need]).unwrap(), STATUS_BUFFER_TOO_SMALL);
        let n = u32_at(&fx, need) as u64;
        assert_eq!(fx.call(NT, "ZwQuerySecurityObject", &[handle, 4, buf, n, need]).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.read(buf + 2, 2), (0x8000u16 | 0x4).to_le_bytes(), "self-relative, DACL present");
        assert_eq!(fx.call(NT, "ZwSetSecurityObject", &[handle, 4, buf]).unwrap(), STATUS_ACCESS_DENIED);
        assert_eq!(fx.call(NT, "ZwQuerySecurityObject", &[handle, 8, buf, 256, need]).unwrap(), STATUS_ACCESS_DENIED);
        assert_eq!(fx.call(NT, "ZwSetSecurityObject", &[0x1234, 4, buf]).unwrap(), STATUS_INVALID_HANDLE);
    }
}

#[test]
fn se_exports_holds_the_privileges_and_well_known_sids() {
    for arch in both() {
        let (fx, _) = Fx::with_driver(arch);
        let var = fx.k.ext().resolve(NT, "SeExports").unwrap();
        let exports = fx.read_ptr(var);
        let ps = arch.ptr_size();
        assert_eq!(u32_at(&fx, exports + 18 * 8), 20, "{arch:?}: SeDebugPrivilege");
        let admins = fx.read_ptr(exports + 23 * 8 + 11 * ps);
        assert_eq!(fx.read(admins, 16), [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0]);
        let size = if arch == Arch::X86 { 0x18C } else { 0x208 };
        let owner_rights = fx.read_ptr(exports + size - ps);
        assert_eq!(fx.read(owner_rights, 12), [1, 1, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0]);
    }
}

/// Windows 10 builds lay out the fields Windows 8 and later appended after SeOwnerRightsSid,
/// each a real SID (a driver's SDDL "AC"/"UD" reads them); Windows 7's structure ends there.
#[test]
fn se_exports_grows_with_the_windows_version() {
    use portcullis_emu::MachineConfig;
    use portcullis_hle::kernel::{Kernel, KernelOptions};
    use portcullis_hle::rtl::version::WindowsVersion;
    for arch in both() {
        let ps = arch.ptr_size();
        let win7_end = if arch == Arch::X86 { 0x18C } else { 0x208 };
        let sid = |fx: &Fx, at: u64, n: usize| fx.read(fx.read_ptr(at), n);
        for version in [WindowsVersion::WINDOWS_10, WindowsVersion::WINDOWS_11] {
            let options = KernelOptions { version, ..Default::default() };
            let fx = Fx::with(Kernel::boot(MachineConfig::new(arch), options).unwrap());
            let exports = fx.read_ptr(fx.k.ext().resolve(NT, "SeExports").unwrap());
            let at = |i: u64| exports + win7_end + i * ps;
            assert_eq!(
                sid(&fx, at(0), 16),
                [1, 2, 0, 0, 0, 0, 0, 15, 2, 0, 0, 0, 1, 0, 0, 0],
                "{arch:?}: all app packages"
            );
            let drivers = sid(&fx, at(1), 32);
            assert_eq!(drivers[..12], [1, 6, 0, 0, 0, 0, 0, 5, 84, 0, 0, 0], "{arch:?}: user-mode drivers");
            assert!(drivers[12..].iter().all(|b| *b == 0));
            assert_eq!(sid(&fx, at(2), 16), [1, 2, 0, 0, 0, 0, 0, 19, 0, 2, 0, 0, 0, 0x20, 0, 0], "{arch:?}: WinTcb");
            let installer = sid(&fx, at(3), 32);
            assert_eq!(installer[..12], [1, 6, 0, 0, 0, 0, 0, 5, 80, 0, 0, 0], "{arch:?}: TrustedInstaller");
            assert_eq!(installer[28..32], 2_271_478_464u32.to_le_bytes());
            // SeDelegateSessionUserImpersonatePrivilege (Windows 10 1709 and later).
            assert_eq!(u32_at(&fx, at(4)), 36, "{arch:?}");
        }
    }
}

#[test]
fn etw_providers_register_write_and_unregister() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let guid = fx.put(&[0x11; 16]);
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "EtwRegister", &[guid, 0, 0, out]).unwrap(), 0);
        let handle = u64::from_le_bytes(fx.read(out, 8).try_into().unwrap());
        let desc = fx.put(&[5, 0, 0, 3, 0, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0]);
        let mut enabled = wide(arch, handle);
        enabled.push(desc);
        assert_eq!(fx.call(NT, "EtwEventEnabled", &enabled).unwrap() & 0xFF, 0, "{arch:?}: no session");
        let payload = fx.put(b"abc");
        let mut data = payload.to_le_bytes().to_vec();
        data.extend(3u32.to_le_bytes());
        data.extend(0u32.to_le_bytes());
        let data = fx.put(&data);
        let mut write = wide(arch, handle);
        write.extend([desc, 0, 1, data]);
        assert_eq!(fx.call(NT, "EtwWrite", &write).unwrap(), 0);
        let mut unregister = wide(arch, handle);
        assert_eq!(fx.call(NT, "EtwUnregister", &unregister).unwrap(), 0);
        assert_eq!(fx.call(NT, "EtwUnregister", &unregister).unwrap(), STATUS_INVALID_HANDLE);
        assert_eq!(fx.call(NT, "EtwWrite", &write).unwrap(), STATUS_INVALID_HANDLE);
        // With a session at level 3 for keyword 4, the provider is enabled for the event.
        let mut g = [0u8; 16];
        g.copy_from_slice(&fx.read(guid, 16));
        portcullis_hle::etw::configure(&mut fx.k, &[(g, portcullis_hle::etw::Enable { level: 3, any: 4, all: 0 })]);
        fx.call(NT, "EtwRegister", &[guid, 0, 0, out]).unwrap();
        let handle = u64::from_le_bytes(fx.read(out, 8).try_into().unwrap());
        let mut enabled = wide(arch, handle);
        enabled.push(desc);
        assert_eq!(fx.call(NT, "EtwEventEnabled", &enabled).unwrap() & 0xFF, 1);
        let mut provider = wide(arch, handle);
        provider.push(4);
        provider.extend(wide(arch, 4));
        assert_eq!(fx.call(NT, "EtwProviderEnabled", &provider).unwrap() & 0xFF, 0, "level 4 is above the session's 3");
        unregister = wide(arch, handle);
        fx.call(NT, "EtwUnregister", &unregister).unwrap();
        assert_eq!(
            fx.call(NT, "WmiQueryTraceInformation", &[2, payload, 4, 0, 0]).unwrap(),
            STATUS_INVALID_HANDLE,
            "no logger"
        );
    }
}

#[test]
fn breakpoints_stop_the_system_unless_a_debugger_is_attached() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        assert_eq!(fx.call(NT, "KdDisableDebugger", &[]).unwrap(), STATUS_DEBUGGER_INACTIVE, "{arch:?}");
        assert_eq!(fx.call(NT, "KdRefreshDebuggerNotPresent", &[]).unwrap() & 0xFF, 1);
        let b = bugcheck(fx.call(NT, "DbgBreakPoint", &[]));
        assert_eq!((b.code, b.params[0]), (0x1E, 0x8000_0003));
        let (mut fx, _) = Fx::with_driver(arch);
        portcullis_hle::kd::configure(&mut fx.k, true, vec!["yes".into()]).unwrap();
        let enabled = fx.k.ext().resolve(NT, "KdDebuggerEnabled").unwrap();
        assert_eq!(fx.read(enabled, 1), [1]);
        fx.call(NT, "DbgBreakPointWithStatus", &[0x55]).unwrap();
        assert_eq!(fx.call(NT, "KdDisableDebugger", &[]).unwrap(), 0);
        assert_eq!(fx.read(enabled, 1), [0]);
        assert_eq!(fx.call(NT, "KdEnableDebugger", &[]).unwrap(), 0);
        assert_eq!(fx.call(NT, "KdEnableDebugger", &[]).unwrap(), STATUS_INVALID_PARAMETER);
        let prompt = fx.cstr("continue? ");
        let answer = fx.alloc(8);
        assert_eq!(fx.call(NT, "DbgPrompt", &[prompt, answer, 8]).unwrap() & 0xFFFF_FFFF, 3);
        assert_eq!(fx.read(answer, 4), b"yes\0");
        assert_eq!(fx.call(NT, "DbgPrompt", &[prompt, answer, 8]).unwrap() & 0xFFFF_FFFF, 0, "no answers left");
    }
}

#[test]
fn access_states_and_object_security_copies() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let (state, aux) = (fx.alloc(0xA0), fx.alloc(0x80));
        let mapping = fx.put(&[0x89u8, 0, 0x12, 0, 0x16, 1, 0x12, 0, 0xA0, 0, 0x12, 0, 0xFF, 1, 0x1F, 0]);
        assert_eq!(fx.call(NT, "SeCreateAccessState", &[state, aux, 0x8000_0000, mapping]).unwrap(), 0);
        // RemainingDesiredAccess and OriginalDesiredAccess: GENERIC_READ mapped.
        assert_eq!((u32_at(&fx, state + 0x10), u32_at(&fx, state + 0x18)), (0x12_0089, 0x12_0089), "{arch:?}");
        let subject = if arch == Arch::X86 { 0x1C } else { 0x20 };
        let token = fx.read_ptr(state + subject + 2 * arch.ptr_size());
        assert_eq!(fx.call(NT, "SeTokenIsRestricted", &[token]).unwrap() & 0xFF, 0);
        assert_eq!(fx.call(NT, "SeTokenType", &[token]).unwrap() & 0xFFFF_FFFF, 1, "TokenPrimary");
        fx.call(NT, "SeDeleteAccessState", &[state]).unwrap();
        assert_eq!(fx.read_ptr(state + subject + 2 * arch.ptr_size()), 0);
        // ObGetObjectSecurity gives a self-relative copy of a device's default descriptor.
        let out = fx.alloc(8);
        let name = fx.ustr("\\Device\\Secured");
        fx.call(NT, "IoCreateDevice", &[drv, 0, name, 0x22, 0, 0, out]).unwrap();
        let dev = fx.read_ptr(out);
        let (sd, allocated) = (fx.alloc(8), fx.alloc(1));
        assert_eq!(fx.call(NT, "ObGetObjectSecurity", &[dev, sd, allocated]).unwrap(), 0);
        let copy = fx.read_ptr(sd);
        assert_eq!((fx.read(allocated, 1)[0], fx.read(copy + 2, 2)), (1, (0x8000u16 | 0x4).to_le_bytes().to_vec()));
        let len = fx.call(NT, "RtlLengthSecurityDescriptor", &[copy]).unwrap() & 0xFFFF_FFFF;
        assert_eq!(fx.call(NT, "RtlValidRelativeSecurityDescriptor", &[copy, len, 7]).unwrap() & 0xFF, 1);
        assert_eq!(fx.call(NT, "RtlValidRelativeSecurityDescriptor", &[copy, 10, 0]).unwrap() & 0xFF, 0);
        let (group, defaulted, present, sacl) = (fx.alloc(8), fx.alloc(1), fx.alloc(1), fx.alloc(8));
        fx.call(NT, "RtlGetGroupSecurityDescriptor", &[copy, group, defaulted]).unwrap();
        assert_eq!(fx.read(fx.read_ptr(group), 12), [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0], "SYSTEM");
        fx.call(NT, "RtlGetSaclSecurityDescriptor", &[copy, present, sacl, defaulted]).unwrap();
        assert_eq!(fx.read(present, 1), [0]);
        fx.call(NT, "ObReleaseObjectSecurity", &[copy, 1]).unwrap();
        assert!(fx.k.ext().pool.block(copy).is_none());
        // NtSetSecurityObject through a WRITE_DAC handle changes what comes back.
        let h = fx.alloc(8);
        fx.call(NT, "ObOpenObjectByPointer", &[dev, 0x200, 0, 0x6_0000, 0, 0, h]).unwrap();
        let handle = fx.read_ptr(h);
        let abs = fx.alloc(5 * arch.ptr_size());
        fx.call(NT, "RtlCreateSecurityDescriptor", &[abs, 1]).unwrap();
        fx.call(NT, "RtlSetDaclSecurityDescriptor", &[abs, 1, 0, 0]).unwrap(); // a NULL DACL
        fx.call(NT, "RtlSetSaclSecurityDescriptor", &[abs, 0, 0, 0]).unwrap();
        assert_eq!(fx.call(NT, "NtSetSecurityObject", &[handle, 4, abs]).unwrap(), 0);
        let (buf, need) = (fx.alloc(64), fx.alloc(4));
        assert_eq!(fx.call(NT, "ZwQuerySecurityObject", &[handle, 4, buf, 64, need]).unwrap(), 0);
        assert_eq!((u32_at(&fx, need), u32_at(&fx, buf + 16)), (20, 0), "DACL present, NULL");
    }
}

#[test]
fn tokens_through_the_nt_forms_and_impersonation() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let h = fx.alloc(8);
        let current = if arch == Arch::X86 { 0xFFFF_FFFF } else { u64::MAX };
        assert_eq!(fx.call(NT, "ZwOpenProcessToken", &[current, 8, h]).unwrap(), 0, "{arch:?}");
        let token = fx.read_ptr(h);
        let (buf, ret) = (fx.alloc(512), fx.alloc(4));
        assert_eq!(fx.call(NT, "NtQueryInformationToken", &[token, 3, buf, 512, ret]).unwrap(), 0);
        assert_eq!(u32_at(&fx, buf), 34, "the System token holds every privilege");
        assert_eq!(u32_at(&fx, ret), 4 + 34 * 12);
        let thread = if arch == Arch::X86 { 0xFFFF_FFFE } else { u64::MAX - 1 };
        assert_eq!(fx.call(NT, "ZwOpenThreadToken", &[thread, 8, 0, h]).unwrap(), STATUS_NO_TOKEN);
        let t = fx.k.ext().system.system_thread;
        assert_eq!(fx.call(NT, "PsReferenceImpersonationToken", &[t, buf, buf, buf]).unwrap(), 0);
        fx.call(NT, "PsDereferenceImpersonationToken", &[0]).unwrap();
        fx.call(NT, "ZwClose", &[token]).unwrap();
    }
}

#[test]
fn etw_variants_activity_ids_and_wmi_messages() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let guid = fx.put(&[0x22; 16]);
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "EtwRegisterClassicProvider", &[guid, 0, 0, 0, out]).unwrap(), 0);
        let handle = u64::from_le_bytes(fx.read(out, 8).try_into().unwrap());
        let desc = fx.put(&[9, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut ex = wide(arch, handle);
        ex.push(desc);
        ex.extend(wide(arch, 0));
        ex.extend([0, 0, 0, 0, 0]);
        assert_eq!(fx.call(NT, "EtwWriteEx", &ex).unwrap(), 0, "{arch:?}");
        let mut transfer = wide(arch, handle);
        transfer.extend([desc, 0, 0, 0, 0]);
        assert_eq!(fx.call(NT, "EtwWriteTransfer", &transfer).unwrap(), 0);
        let id = fx.alloc(16);
        assert_eq!(fx.call(NT, "EtwActivityIdControl", &[3, id]).unwrap(), 0);
        let first = fx.read(id, 16);
        fx.call(NT, "EtwActivityIdControl", &[3, id]).unwrap();
        assert_ne!(fx.read(id, 16), first, "each new id differs");
        assert_eq!(fx.call(NT, "EtwActivityIdControl", &[9, id]).unwrap(), STATUS_INVALID_PARAMETER);
        // WmiTraceMessage: (pointer, length) pairs up to a NULL pointer.
        let data = fx.put(b"wmi!");
        let mut msg = wide(arch, 0);
        msg.extend([0, guid, 7, data, 4, 0]);
        assert_eq!(fx.call(NT, "WmiTraceMessage", &msg).unwrap(), 0);
        let events = trace_events(&fx);
        let routines: Vec<_> = events.iter().map(|e| e.routine).collect();
        assert_eq!(routines, ["EtwWriteEx", "EtwWriteTransfer", "WmiTraceMessage"]);
        assert_eq!((events[2].id, events[2].data.as_str()), (7, "77 6d 69 21"));
        let mut unregister = wide(arch, handle);
        unregister.truncate(if arch == Arch::X86 { 2 } else { 1 });
        assert_eq!(fx.call(NT, "EtwUnregister", &unregister).unwrap(), 0);
        // KdChangeOption needs a debugger.
        assert_eq!(fx.call(NT, "KdChangeOption", &[0, 1, data, 0, 0, 0]).unwrap(), STATUS_DEBUGGER_INACTIVE);
    }
}

#[test]
fn wmi_events_reach_the_trace_and_wmi_frees_their_buffers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let wnode = fx.call(NT, "ExAllocatePoolWithTag", &[0, 0x38, 0x696D_5721]).unwrap();
        let guid: [u8; 16] = *b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10";
        let mut header = vec![0u8; 0x30];
        header[0..4].copy_from_slice(&0x38u32.to_le_bytes());
        header[0x18..0x28].copy_from_slice(&guid);
        header.extend(b"event!!!");
        fx.k.mem_mut().write(wnode, &header).unwrap();
        assert_eq!(fx.call(NT, "IoWMIWriteEvent", &[wnode]).unwrap(), 0, "{arch:?}");
        assert!(fx.k.ext().pool.block(wnode).is_none(), "{arch:?}: WMI freed the buffer");
        let events = trace_events(&fx);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].routine, "IoWMIWriteEvent");
        assert_eq!(events[0].provider, "{04030201-0605-0807-090a-0b0c0d0e0f10}");
        assert_eq!(events[0].data, "65 76 65 6e 74 21 21 21");

        // Shorter than a WNODE header: refused, and the buffer stays the caller's.
        let short = fx.call(NT, "ExAllocatePoolWithTag", &[0, 0x10, 0x696D_5721]).unwrap();
        fx.k.mem_mut().write(short, &0x10u32.to_le_bytes()).unwrap();
        assert_eq!(fx.call(NT, "IoWMIWriteEvent", &[short]).unwrap(), STATUS_INVALID_PARAMETER);
        assert!(fx.k.ext().pool.block(short).is_some());
    }
}

/// The ETW and WMI events in the trace.
fn trace_events(fx: &Fx) -> Vec<portcullis_hle::etw::TraceEvent> {
    fx.k.guest()
        .trace
        .events()
        .iter()
        .filter_map(|e| match e {
            portcullis_emu::Event::Ext(portcullis_hle::kernel::KernelEvent::System(
                portcullis_hle::events::SystemEvent::Trace(t),
            )) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn self_relative_descriptors_become_absolute_in_place() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let owner = sid(&mut fx, 5, &[32, 544]);
        let acl = fx.alloc(32);
        fx.call(NT, "RtlCreateAcl", &[acl, 32, 2]).unwrap();
        let sd = fx.alloc(5 * ps);
        fx.call(NT, "RtlCreateSecurityDescriptor", &[sd, 1]).unwrap();
        fx.call(NT, "RtlSetDaclSecurityDescriptor", &[sd, 1, acl, 0]).unwrap();
        fx.call(NT, "RtlSetOwnerSecurityDescriptor", &[sd, owner, 0]).unwrap();
        let rel_len = 20 + 16 + 32;
        let len = fx.put(&(rel_len as u32).to_le_bytes());
        let buf = fx.alloc(128);
        assert_eq!(fx.call(NT, "RtlAbsoluteToSelfRelativeSD", &[sd, buf, len]).unwrap(), 0);

        // x64's absolute header is 20 bytes longer: the parts move up by that much.
        let needed = rel_len + (5 * ps - 20);
        let size = fx.put(&(rel_len as u32).to_le_bytes());
        let st = fx.call(NT, "RtlSelfRelativeToAbsoluteSD2", &[buf, size]).unwrap();
        if arch == Arch::X64 {
            assert_eq!((st, u32_at(&fx, size) as u64), (STATUS_BUFFER_TOO_SMALL, needed), "{arch:?}");
            assert_eq!(fx.read(buf + 2, 2), (0x8000u16 | 0x4).to_le_bytes(), "untouched");
            fx.k.mem_mut().write_u32(size, 128).unwrap();
            assert_eq!(fx.call(NT, "RtlSelfRelativeToAbsoluteSD2", &[buf, size]).unwrap(), 0);
        } else {
            assert_eq!(st, 0, "{arch:?}: same header size, nothing moves");
        }
        assert_eq!(fx.read(buf + 2, 2), 0x4u16.to_le_bytes(), "{arch:?}: no longer self-relative");
        assert_eq!(fx.call(NT, "RtlLengthSecurityDescriptor", &[buf]).unwrap() & 0xFFFF_FFFF, needed);
        assert_eq!(fx.call(NT, "RtlValidSecurityDescriptor", &[buf]).unwrap() & 0xFF, 1);
        let (out, flag) = (fx.alloc(8), fx.alloc(1));
        fx.call(NT, "RtlGetOwnerSecurityDescriptor", &[buf, out, flag]).unwrap();
        let o = fx.read_ptr(out);
        assert_eq!(o, buf + 5 * ps, "{arch:?}: the owner right after the absolute header");
        assert_eq!(fx.call(NT, "RtlEqualSid", &[o, owner]).unwrap() & 0xFF, 1);
        let present = fx.alloc(1);
        fx.call(NT, "RtlGetDaclSecurityDescriptor", &[buf, present, out, flag]).unwrap();
        assert_eq!((fx.read(present, 1)[0], fx.read_ptr(out)), (1, buf + 5 * ps + 16));
        assert_eq!(fx.read(buf + 5 * ps + 16, 32), fx.read(acl, 32), "the DACL's bytes, whole");

        // Already absolute, no descriptor, no size.
        assert_eq!(fx.call(NT, "RtlSelfRelativeToAbsoluteSD2", &[buf, size]).unwrap(), STATUS_BAD_DESCRIPTOR_FORMAT);
        assert_eq!(fx.call(NT, "RtlSelfRelativeToAbsoluteSD2", &[0, size]).unwrap(), 0xC000_00EF);
        assert_eq!(fx.call(NT, "RtlSelfRelativeToAbsoluteSD2", &[buf, 0]).unwrap(), 0xC000_00F0);
        fx.k.mem_mut().write(buf, &[2]).unwrap();
        assert_eq!(fx.call(NT, "RtlSelfRelativeToAbsoluteSD2", &[buf, size]).unwrap(), STATUS_UNKNOWN_REVISION);
    }
}
