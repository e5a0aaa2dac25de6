//! Logon sessions through the real stubs on both architectures: GetSecurityUserInfo for the
//! caller's session, SYSTEM's and the user's, an unknown one, and LsaFreeReturnBuffer freeing
//! what it returned (in the calling process's virtual memory).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const STATUS_NO_SUCH_LOGON_SESSION: u64 = 0xC000_005F;
const STATUS_MEMORY_NOT_ALLOCATED: u64 = 0xC000_00A0;

fn text(fx: &Fx, at: u64) -> String {
    let (len, max, buffer) = fx.counted(at);
    assert_eq!(max, len + 2, "NUL-terminated");
    let units: Vec<u16> = fx.read(buffer, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16(&units).unwrap()
}

/// (user, domain, server, SID bytes) of the SecurityUserData at `at`.
fn user_data(fx: &Fx, at: u64) -> (String, String, String, Vec<u8>) {
    let us = if fx.arch == Arch::X86 { 8 } else { 16 };
    let sid = fx.read_ptr(at + 3 * us);
    let subs = fx.read(sid + 1, 1)[0] as usize;
    (text(fx, at), text(fx, at + us), text(fx, at + 2 * us), fx.read(sid, 8 + 4 * subs))
}

#[test]
fn sessions_are_named_and_their_buffers_freed() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        // The caller's session: DriverEntry runs in the System process, SYSTEM's session.
        assert_eq!(fx.call(Dll::Ksecdd, "GetSecurityUserInfo", &[0, 0, out]).unwrap(), 0, "{arch:?}");
        let data = fx.read_ptr(out);
        let (user, domain, server, sid) = user_data(&fx, data);
        assert_eq!((user.as_str(), domain.as_str(), server.as_str()), ("PORTCULLIS$", "WORKGROUP", ""));
        assert_eq!(sid, vec![1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0], "S-1-5-18");
        assert!(data < 0x8000_0000, "{arch:?}: in the process's user-mode memory");
        assert_eq!(fx.call(Dll::Ntoskrnl, "LsaFreeReturnBuffer", &[data]).unwrap(), 0);
        assert_eq!(fx.call(Dll::Ntoskrnl, "LsaFreeReturnBuffer", &[data]).unwrap(), STATUS_MEMORY_NOT_ALLOCATED);
        // The pages are gone: reading them is the kernel's unhandled fault.
        let b = bugcheck(fx.call(Dll::Ntoskrnl, "RtlCompareMemory", &[data, data, 4]));
        assert!(b.name.contains("PAGE_FAULT") || b.name.contains("KMODE_EXCEPTION"), "{arch:?}: freed: {}", b.name);

        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        // The interactive user's session, by its LUID.
        let luid = fx.put(&0x0001_C3A2u64.to_le_bytes());
        assert_eq!(fx.call(Dll::Ksecdd, "GetSecurityUserInfo", &[luid, 1, out]).unwrap(), 0, "{arch:?}");
        let data = fx.read_ptr(out);
        let (user, domain, server, sid) = user_data(&fx, data);
        assert_eq!((user.as_str(), domain.as_str(), server.as_str()), ("User", "PORTCULLIS", "PORTCULLIS"));
        assert_eq!(&sid[..12], &[1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0], "a local account's SID");
        assert_eq!(&sid[24..], &1000u32.to_le_bytes(), "RID 1000");
        assert_eq!(fx.call(Dll::Ntoskrnl, "LsaFreeReturnBuffer", &[data + 8]).unwrap(), 0xC000_009F, "not at base");
        assert_eq!(fx.call(Dll::Ntoskrnl, "LsaFreeReturnBuffer", &[data]).unwrap(), 0);
        // A LUID no session has.
        let none = fx.put(&0x1234_5678u64.to_le_bytes());
        assert_eq!(fx.call(Dll::Ksecdd, "GetSecurityUserInfo", &[none, 0, out]).unwrap(), STATUS_NO_SUCH_LOGON_SESSION);
    }
}
