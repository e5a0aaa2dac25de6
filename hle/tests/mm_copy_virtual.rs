//! MmCopyVirtualMemory through the real stub on both architectures: a copy between two
//! processes (one address space here), the bytes copied up to a page that is not there
//! (STATUS_PARTIAL_COPY), a user-mode caller's ranges probed, and an ended process.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok, ok32};
use common::*;

use portcullis_emu::{Prot, RegionKind};

const PARTIAL_COPY: u32 = 0x8000_000D;
const ACCESS_VIOLATION: u32 = 0xC000_0005;

#[test]
fn memory_copies_between_processes() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = ok(&mut fx, "PsGetCurrentProcess", &[]);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "PsLookupProcessByProcessId", &[0x1F4, out]), 0);
        let user = fx.read_ptr(out);
        let region = fx.k.mem_mut().alloc(RegionKind::User, "user data", 0x2000, Prot::RW).unwrap();
        let source = fx.put(b"copied across");
        let copied = fx.alloc(8);
        let args = [system, source, user, region + 0x10, 13, 0, copied];
        assert_eq!(ok32(&mut fx, "MmCopyVirtualMemory", &args), 0, "{arch:?}");
        assert_eq!(fx.read(region + 0x10, 13), b"copied across", "{arch:?}");
        assert_eq!(fx.read_ptr(copied), 13, "{arch:?}");

        // Up to the end of the region: the bytes before the missing page are copied.
        let big = fx.alloc(0x2000);
        let args = [system, big, user, region + 0x1800, 0x1000, 0, copied];
        assert_eq!(ok32(&mut fx, "MmCopyVirtualMemory", &args), PARTIAL_COPY, "{arch:?}");
        assert_eq!(fx.read_ptr(copied), 0x800, "{arch:?}");

        // From user mode, a kernel-space source fails the probe.
        let args = [system, source, user, region, 13, 1, copied];
        assert_eq!(ok32(&mut fx, "MmCopyVirtualMemory", &args), ACCESS_VIOLATION, "{arch:?}");
        let args = [user, region + 0x10, user, region + 0x100, 13, 1, copied];
        assert_eq!(ok32(&mut fx, "MmCopyVirtualMemory", &args), 0, "{arch:?}");
        assert_eq!(fx.read(region + 0x100, 13), b"copied across", "{arch:?}");
        ok(&mut fx, "ObfDereferenceObject", &[user]);
    }
}

/// A copy longer than the host holds at once (a megabyte) goes on chunk after chunk, and one
/// that meets a missing page in a later chunk reports the bytes of every chunk before it.
#[test]
fn long_copies_go_on_across_chunks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = ok(&mut fx, "PsGetCurrentProcess", &[]);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "PsLookupProcessByProcessId", &[0x1F4, out]), 0);
        let user = fx.read_ptr(out);
        let len = 0x28_0800u64; // two and a half megabytes and half a page
        let source = fx.k.mem_mut().alloc(RegionKind::Pool, "source", len, Prot::RW).unwrap();
        let pattern: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        fx.k.mem_mut().write(source, &pattern).unwrap();
        let target = fx.k.mem_mut().alloc(RegionKind::User, "user data", 0x30_0000, Prot::RW).unwrap();
        let copied = fx.alloc(8);

        let args = [system, source, user, target, len, 0, copied];
        assert_eq!(ok32(&mut fx, "MmCopyVirtualMemory", &args), 0, "{arch:?}");
        assert_eq!(fx.read_ptr(copied), len, "{arch:?}");
        assert!(fx.read(target, len as usize) == pattern, "{arch:?}: every chunk arrived in place");

        // The source ends (its region is whole pages) in the third chunk.
        let end = source + len.div_ceil(0x1000) * 0x1000;
        let args = [system, source + 0x1000, user, target, 0x30_0000, 0, copied];
        assert_eq!(ok32(&mut fx, "MmCopyVirtualMemory", &args), PARTIAL_COPY, "{arch:?}");
        assert_eq!(fx.read_ptr(copied), end - (source + 0x1000), "{arch:?}");
        ok(&mut fx, "ObfDereferenceObject", &[user]);
    }
}
