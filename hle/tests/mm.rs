//! The memory manager through the real stubs, on both architectures: I/O-space views of the
//! physical machine, \Device\PhysicalMemory and pagefile-backed sections, contiguous memory,
//! MDLs (building, locking with its raised exception, partial MDLs, pages of their own,
//! mapping), and the address queries.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};
use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, MDL, OBJECT_ATTRIBUTES};

const NT: Dll = Dll::Ntoskrnl;

/// A 64-bit argument: two slots on x86.
fn wide(arch: Arch, v: u64) -> Vec<u64> {
    match arch {
        Arch::X86 => vec![v & 0xFFFF_FFFF, v >> 32],
        Arch::X64 => vec![v],
    }
}

fn args(arch: Arch, parts: &[(&[u64], bool)]) -> Vec<u64> {
    parts.iter().flat_map(|(v, w)| if *w { wide(arch, v[0]) } else { v.to_vec() }).collect()
}

fn map_io(fx: &mut Fx, pa: u64, size: u64, cache: u64) -> u64 {
    let a = args(fx.arch, &[(&[pa], true), (&[size], false), (&[cache], false)]);
    fx.call(NT, "MmMapIoSpace", &a).unwrap()
}

fn physical(fx: &mut Fx, va: u64) -> u64 {
    let r = fx.call(NT, "MmGetPhysicalAddress", &[va]).unwrap();
    match fx.arch {
        Arch::X86 => r & 0xFFFF_FFFF | fx.k.reg(portcullis_emu::Reg::Dx) << 32,
        Arch::X64 => r,
    }
}

#[test]
fn io_space_views_reach_rom_devices_and_nothing() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // The SMBIOS anchor in the BIOS ROM, through a view from an unaligned address.
        let va = map_io(&mut fx, 0xF_0000 + 0x10, 0x20, 0);
        assert_ne!(va, 0);
        assert_eq!(va % PAGE_SIZE, 0x10);
        assert_eq!(fx.read(va - 0x10, 4), b"_SM_".to_vec());
        assert_eq!(physical(&mut fx, va), 0xF_0010);
        let m = fx.k.ext().mm.live().next().cloned().unwrap();
        assert_eq!((m.physical_address, m.size, m.cache), (0xF_0010, 0x20, "non_cached"));
        fx.call(NT, "MmUnmapIoSpace", &[va, 0x20]).unwrap();
        assert_eq!(fx.k.ext().mm.live().count(), 0);
        assert!(!fx.k.ext().mm.mappings[0].mapped);
        // Unmapping it again is PTE misuse.
        let b = bugcheck(fx.call(NT, "MmUnmapIoSpace", &[va, 0x20]));
        assert_eq!((b.code, b.params[0]), (0xDA, 3));

        // Refused: no bytes, a bad cache type, past the processor's physical reach.
        let mut fx = Fx::new(arch);
        assert_eq!(map_io(&mut fx, 0xF_0000, 0, 0), 0);
        assert_eq!(map_io(&mut fx, 0xF_0000, 0x10, 6), 0);
        let beyond = match arch {
            Arch::X86 => 0x1_0000_0000,
            Arch::X64 => 1 << 36,
        };
        assert_eq!(map_io(&mut fx, beyond, 0x10, 0), 0);
        // The wrong size when unmapping.
        let va = map_io(&mut fx, 0xFED0_0000, 0x400, 0);
        let b = bugcheck(fx.call(NT, "MmUnmapIoSpace", &[va, 0x2000]));
        assert_eq!((b.code, b.params[0], b.params[2], b.params[3]), (0xDA, 2, 1, 2));

        // MmMapIoSpaceEx: PAGE_READONLY | PAGE_NOCACHE maps; executable protections do not.
        let mut fx = Fx::new(arch);
        let a = args(arch, &[(&[0xE_0000], true), (&[0x1000], false), (&[0x202], false)]);
        let va = fx.call(NT, "MmMapIoSpaceEx", &a).unwrap();
        assert_eq!(fx.k.mem().prot_at(va).map(|p| p.write), Some(false));
        let a = args(arch, &[(&[0xE_0000], true), (&[0x1000], false), (&[0x40], false)]);
        assert_eq!(fx.call(NT, "MmMapIoSpaceEx", &a).unwrap(), 0);
    }
}

#[test]
fn contiguous_memory_honours_its_bounds_and_is_freed_once() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let a = args(
            arch,
            &[(&[0x3000], false), (&[0x20_0000], true), (&[0xFFFF_FFFF], true), (&[0x4000], true), (&[0], false)],
        );
        let va = fx.call(NT, "MmAllocateContiguousMemorySpecifyCache", &a).unwrap();
        assert_ne!(va, 0);
        let pa = physical(&mut fx, va);
        assert!(pa >= 0x20_0000);
        for i in 1..3 {
            assert_eq!(physical(&mut fx, va + i * PAGE_SIZE), pa + i * PAGE_SIZE, "contiguous");
        }
        assert_eq!(pa / 0x4000, (pa + 0x2FFF) / 0x4000, "no boundary crossed");
        assert_eq!(fx.read(va, 0x3000), vec![0; 0x3000]);
        fx.call(NT, "MmFreeContiguousMemory", &[va]).unwrap();
        let b = bugcheck(fx.call(NT, "MmFreeContiguousMemory", &[va]));
        assert_eq!(b.code, 0xC2);

        // Nothing can satisfy a range below RAM's free memory.
        let mut fx = Fx::new(arch);
        let a = args(arch, &[(&[0x1000], false), (&[0x1000], true)]);
        assert_eq!(fx.call(NT, "MmAllocateContiguousMemory", &a).unwrap(), 0);
        let va = fx.call(NT, "MmAllocateNonCachedMemory", &[0x1800]).unwrap();
        assert_ne!(va, 0);
        fx.call(NT, "MmFreeNonCachedMemory", &[va, 0x1800]).unwrap();
    }
}

#[test]
fn mdls_describe_lock_map_and_partially_describe_buffers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.alloc(0x2000) + 0x10;
        fx.k.mem_mut().write(buf, b"hello").unwrap();
        let mdl = fx.call(NT, "IoAllocateMdl", &[buf, 0x1800, 0, 0, 0]).unwrap();
        assert_ne!(mdl, 0);
        let mem = fx.k.mem();
        assert_eq!(mem.get(mdl, MDL::ByteCount).unwrap(), 0x1800);
        assert_eq!(mem.get(mdl, MDL::StartVa).unwrap() + mem.get(mdl, MDL::ByteOffset).unwrap(), buf);
        fx.call(NT, "MmBuildMdlForNonPagedPool", &[mdl]).unwrap();
        assert_eq!(fx.k.mem().get(mdl, MDL::MappedSystemVa).unwrap(), buf);
        let pfn0 = fx.k.mem().read_ptr(mdl + MDL::STRUCT.size(arch)).unwrap();
        assert_eq!(pfn0 * PAGE_SIZE, fx.k.mem().translate(buf).unwrap() & !0xFFF);
        let a = [mdl, 0, 1, 0, 0, 16];
        let view = fx.call(NT, "MmMapLockedPagesSpecifyCache", &a).unwrap();
        assert_ne!(view, buf);
        assert_eq!(fx.read(view, 5), b"hello".to_vec());
        fx.k.mem_mut().write(view + 0x1000, b"both").unwrap();
        assert_eq!(fx.read(buf + 0x1000, 4), b"both".to_vec(), "one set of frames");
        // A partial MDL of the second page.
        let part = fx.call(NT, "IoAllocateMdl", &[buf + 0x1000, 0x100, 0, 0, 0]).unwrap();
        fx.call(NT, "IoBuildPartialMdl", &[mdl, part, buf + 0x1000, 0x100]).unwrap();
        let pfn = fx.k.mem().read_ptr(part + MDL::STRUCT.size(arch)).unwrap();
        assert_eq!(pfn * PAGE_SIZE, fx.k.mem().translate(buf + 0x1000).unwrap() & !0xFFF);
        assert_ne!(fx.k.mem().get(part, MDL::MdlFlags).unwrap() & 0x10, 0, "MDL_PARTIAL");
        // Outside the source: the bugcheck.
        let mut other = Fx::new(arch);
        let b2 = other.alloc(0x100);
        let src = other.call(NT, "IoAllocateMdl", &[b2, 0x10, 0, 0, 0]).unwrap();
        let dst = other.call(NT, "IoAllocateMdl", &[b2, 0x10, 0, 0, 0]).unwrap();
        assert_eq!(bugcheck(other.call(NT, "IoBuildPartialMdl", &[src, dst, b2 + 0x20, 0x10])).code, 0x1A);
        fx.call(NT, "MmUnmapLockedPages", &[view, mdl]).unwrap();
        assert_eq!(fx.k.mem().translate(view), None);
        fx.call(NT, "IoFreeMdl", &[part]).unwrap();
        fx.call(NT, "IoFreeMdl", &[mdl]).unwrap();
        assert_eq!(fx.k.ext().mm.live().count(), 0);
    }
}

#[test]
fn probe_and_lock_raises_an_access_violation_for_what_cannot_be_touched() {
    for arch in both() {
        // Writable user memory locks; unlocking twice is PFN corruption.
        let mut fx = Fx::new(arch);
        let user = fx.k.mem_mut().alloc(RegionKind::User, "user buffer", 0x2000, Prot::RW).unwrap();
        let mdl = fx.call(NT, "IoAllocateMdl", &[user + 8, 0x1000, 0, 0, 0]).unwrap();
        fx.call(NT, "MmProbeAndLockPages", &[mdl, 1, 1]).unwrap();
        let flags = fx.k.mem().get(mdl, MDL::MdlFlags).unwrap();
        assert_eq!(flags & 0x82, 0x82, "locked, for writing");
        assert_ne!(fx.k.mem().get(mdl, MDL::Process).unwrap(), 0);
        fx.call(NT, "MmUnlockPages", &[mdl]).unwrap();
        assert_eq!(bugcheck(fx.call(NT, "MmUnlockPages", &[mdl])).code, 0x4E);

        // Read-only memory for writing, unmapped memory, kernel memory from user mode: all
        // raise STATUS_ACCESS_VIOLATION, here unhandled.
        for case in 0..3 {
            let mut fx = Fx::new(arch);
            let (va, mode) = match case {
                0 => (fx.k.mem_mut().alloc(RegionKind::User, "ro", 0x1000, Prot::R).unwrap(), 1),
                1 => (UNMAPPED, 0),
                _ => (fx.heap, 1),
            };
            let mdl = fx.call(NT, "IoAllocateMdl", &[va, 0x10, 0, 0, 0]).unwrap();
            let b = bugcheck(fx.call(NT, "MmProbeAndLockPages", &[mdl, mode, 1]));
            assert_eq!((b.code, b.params[0] as u32), (0x1E, 0xC000_0005), "{arch:?} case {case}");
        }
    }
}

#[test]
fn read_only_system_pages_lock_for_modify_access_and_a_second_mapping_writes_them() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let code = fx.k.mem_mut().alloc(RegionKind::System, "read-only code", 0x1000, Prot::RX).unwrap();
        fx.k.mem_mut().write_unchecked(code + 0x10, &[0x90; 12]).unwrap();
        let mdl = fx.call(NT, "IoAllocateMdl", &[code + 0x10, 12, 0, 0, 0]).unwrap();
        // IoModifyAccess from kernel mode: locked, not raised.
        fx.call(NT, "MmProbeAndLockPages", &[mdl, 0, 2]).unwrap();
        assert_eq!(fx.k.mem().get(mdl, MDL::MdlFlags).unwrap() & 0x2, 0x2, "{arch:?}: locked");
        let view = fx.call(NT, "MmMapLockedPagesSpecifyCache", &[mdl, 0, 1, 0, 0, 16]).unwrap();
        assert_ne!(view, 0);
        assert_eq!(fx.call(NT, "MmProtectMdlSystemAddress", &[mdl, 0x40]).unwrap(), 0);
        fx.k.mem_mut().write(view, &[0xCC; 12]).unwrap();
        assert_eq!(fx.read(code + 0x10, 12), vec![0xCC; 12], "the same page");
        fx.call(NT, "MmUnmapLockedPages", &[view, mdl]).unwrap();
        fx.call(NT, "MmUnlockPages", &[mdl]).unwrap();
        fx.call(NT, "IoFreeMdl", &[mdl]).unwrap();
        // User-space read-only pages still refuse writing (the first test's case 0).
    }
}

#[test]
fn pages_for_an_mdl_are_its_own_until_freed() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let a = args(arch, &[(&[0], true), (&[u64::MAX >> 28], true), (&[0], true), (&[0x3000], false)]);
        let mdl = fx.call(NT, "MmAllocatePagesForMdl", &a).unwrap();
        assert_ne!(mdl, 0);
        assert_eq!(fx.k.mem().get(mdl, MDL::ByteCount).unwrap(), 0x3000);
        let view = fx.call(NT, "MmMapLockedPagesSpecifyCache", &[mdl, 0, 1, 0, 0, 16]).unwrap();
        assert_eq!(fx.read(view, 0x3000), vec![0; 0x3000]);
        let leaks = portcullis_hle::driver::leaks(&fx.k, 0);
        assert!(leaks.memory.is_empty(), "the kernel's own call");
        fx.call(NT, "MmUnmapLockedPages", &[view, mdl]).unwrap();
        fx.call(NT, "MmFreePagesFromMdl", &[mdl]).unwrap();
        assert_eq!(bugcheck(fx.call(NT, "MmFreePagesFromMdl", &[mdl])).code, 0x4E);
    }
}

/// OBJECT_ATTRIBUTES naming `name` (kernel handle).
fn attributes(fx: &mut Fx, name: &str) -> u64 {
    let n = fx.ustr(name);
    let at = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(fx.arch));
    let mem = fx.k.mem_mut();
    mem.set(at, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(fx.arch)).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::ObjectName, n).unwrap();
    mem.set(at, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
    at
}

/// ZwMapViewOfSection into the current process: (status, base, size, offset after).
fn map_view(fx: &mut Fx, section: u64, offset: u64, size: u64, protect: u64) -> (u32, u64, u64, u64) {
    let base = fx.alloc(8);
    let view = fx.alloc(8);
    let off = fx.alloc(8);
    fx.k.mem_mut().write_u64(base, 0).unwrap();
    fx.k.mem_mut().write_ptr(view, size).unwrap();
    fx.k.mem_mut().write_u64(off, offset).unwrap();
    let current = fx.arch.mask(u64::MAX);
    let st = fx.call(NT, "ZwMapViewOfSection", &[section, current, base, 0, 0, off, view, 1, 0, protect]).unwrap();
    (
        st as u32,
        fx.k.mem().read_ptr(base).unwrap(),
        fx.k.mem().read_ptr(view).unwrap(),
        fx.k.mem().read_u64(off).unwrap(),
    )
}

#[test]
fn physical_memory_sections_map_any_physical_address() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let oa = attributes(&mut fx, "\\Device\\PhysicalMemory");
        let h = fx.alloc(8);
        assert_eq!(fx.call(NT, "ZwOpenSection", &[h, 0xF001F, oa]).unwrap(), 0);
        let section = fx.k.mem().read_ptr(h).unwrap();
        // The offset rounds down to 64 KiB; the size grows by what that added, in pages.
        let (st, base, size, offset) = map_view(&mut fx, section, 0xF_0123, 0x100, 4);
        assert_eq!((st, size, offset), (0, 0x1000, 0xF_0000), "{arch:?}");
        assert_eq!(fx.read(base, 4), b"_SM_".to_vec());
        let m = fx.k.ext().mm.live().next().cloned().unwrap();
        assert_eq!((m.physical_address, m.size), (0xF_0000, 0x1000));
        // Unmapping by any address inside the view; a second time it is not a view.
        let current = arch.mask(u64::MAX);
        assert_eq!(fx.call(NT, "ZwUnmapViewOfSection", &[current, base + 0x10]).unwrap(), 0);
        assert_eq!(fx.call(NT, "ZwUnmapViewOfSection", &[current, base]).unwrap(), 0xC000_0019);
        // Device memory through the section: the local APIC's version register.
        let (st, base, _, _) = map_view(&mut fx, section, 0xFEE0_0000, 0x1000, 0x204);
        assert_eq!(st, 0);
        assert_eq!(fx.k.mem().translate(base), Some(0xFEE0_0000));
        assert_eq!(fx.call(NT, "ZwClose", &[section]).unwrap(), 0);
        // A name that is not there.
        let oa = attributes(&mut fx, "\\Device\\NoSuchSection");
        assert_eq!(fx.call(NT, "ZwOpenSection", &[h, 0xF001F, oa]).unwrap(), 0xC000_0034);
    }
}

#[test]
fn pagefile_backed_sections_share_their_pages_between_views() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let oa = attributes(&mut fx, "\\BaseNamedObjects\\Shared");
        let h = fx.alloc(8);
        let max = fx.put(&0x3000u64.to_le_bytes());
        let st = fx.call(NT, "ZwCreateSection", &[h, 0xF001F, oa, max, 4, 0x0800_0000, 0]).unwrap();
        assert_eq!(st, 0);
        let section = fx.k.mem().read_ptr(h).unwrap();
        let (st, a, size, _) = map_view(&mut fx, section, 0, 0, 4);
        assert_eq!((st, size), (0, 0x3000));
        let (_, b, _, _) = map_view(&mut fx, section, 0, 0x1000, 2);
        assert_ne!(a, b);
        fx.k.mem_mut().write(a + 8, b"shared").unwrap();
        assert_eq!(fx.read(b + 8, 6), b"shared".to_vec());
        assert_eq!(fx.k.mem().prot_at(b).map(|p| p.write), Some(false));
        // Opened again by name; views beyond its end are refused.
        let h2 = fx.alloc(8);
        assert_eq!(fx.call(NT, "ZwOpenSection", &[h2, 0xF001F, oa]).unwrap(), 0);
        let (st, ..) = map_view(&mut fx, section, 0x1_0000, 0x1000, 4);
        assert_eq!(st, 0xC000_001F);
        // No size, no SEC_ flag, a bad protection.
        let zero = fx.put(&0u64.to_le_bytes());
        assert_eq!(fx.call(NT, "ZwCreateSection", &[h, 0xF001F, 0, zero, 4, 0x0800_0000, 0]).unwrap(), 0xC000_00F2);
        assert_eq!(fx.call(NT, "ZwCreateSection", &[h, 0xF001F, 0, max, 4, 0, 0]).unwrap(), 0xC000_00F4);
        assert_eq!(fx.call(NT, "ZwCreateSection", &[h, 0xF001F, 0, max, 0x99, 0x0800_0000, 0]).unwrap(), 0xC000_0045);
        // A view of it in system space.
        let obj =
            fx.k.ext()
                .objects
                .objects()
                .find(|o| o.name.as_deref() == Some("\\BaseNamedObjects\\Shared"))
                .unwrap()
                .address;
        let base = fx.alloc(8);
        let vs = fx.put(&[0u8; 8]);
        assert_eq!(fx.call(NT, "MmMapViewInSystemSpace", &[obj, base, vs]).unwrap(), 0);
        let sys = fx.k.mem().read_ptr(base).unwrap();
        assert_eq!(fx.read(sys + 8, 6), b"shared".to_vec());
        assert_eq!(fx.call(NT, "MmUnmapViewInSystemSpace", &[sys]).unwrap(), 0);
    }
}

#[test]
fn address_queries() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let heap = fx.heap;
        assert_eq!(fx.call(NT, "MmIsAddressValid", &[heap]).unwrap() as u8, 1);
        assert_eq!(fx.call(NT, "MmIsAddressValid", &[UNMAPPED]).unwrap() as u8, 0);
        assert_eq!(fx.call(NT, "MmIsNonPagedSystemAddressValid", &[heap]).unwrap() as u8, 1);
        let pa = physical(&mut fx, heap + 0x123);
        let va = fx.call(NT, "MmGetVirtualForPhysical", &wide(arch, pa)).unwrap();
        assert_eq!(fx.k.mem().translate(va), Some(pa));
        assert_eq!(physical(&mut fx, UNMAPPED), 0);
        // The RAM ranges: conventional memory less its first and last page, then main RAM.
        let list = fx.call(NT, "MmGetPhysicalMemoryRanges", &[]).unwrap();
        let raw = fx.read(list, 48);
        let q = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap());
        assert_eq!((q(0), q(1)), (0x1000, 0x9E000));
        assert_eq!(q(2), 0x10_0000);
        assert_eq!(q(2) + q(3), fx.k.mem().physical().ram_end());
        assert_eq!((q(4), q(5)), (0, 0));
        assert_eq!(fx.call(NT, "MmQuerySystemSize", &[]).unwrap() as u32, 2);
        assert_eq!(fx.call(NT, "MmIsThisAnNtAsSystem", &[]).unwrap() as u8, 0);
        // Securing user memory: writable for PAGE_READWRITE, read-only for PAGE_READONLY only.
        let ro = fx.k.mem_mut().alloc(RegionKind::User, "ro", 0x1000, Prot::R).unwrap();
        assert_eq!(fx.call(NT, "MmSecureVirtualMemory", &[ro, 0x10, 4]).unwrap(), 0);
        let h = fx.call(NT, "MmSecureVirtualMemory", &[ro, 0x10, 2]).unwrap();
        assert_ne!(h, 0);
        fx.call(NT, "MmUnsecureVirtualMemory", &[h]).unwrap();
    }
}

#[test]
fn kernel_copies_reach_device_registers_through_the_mediated_path() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let hpet = map_io(&mut fx, 0xFED0_0000, 0x400, 0);
        let dst = fx.alloc(8);
        fx.call(NT, "memcpy", &[dst, hpet, 8]).unwrap();
        let site = fx.site;
        assert_eq!(fx.read(dst, 8), [0x8086_A301u32.to_le_bytes(), 69_841_279u32.to_le_bytes()].concat());
        let ev: Vec<_> = fx.k.guest().trace.mmio().copied().collect();
        assert_eq!(
            ev.iter().map(|e| (e.address, e.width.bytes(), e.pc)).collect::<Vec<_>>(),
            vec![(0xFED0_0000, 4, site), (0xFED0_0004, 4, site)]
        );
        // memset into the configuration register: the counter starts.
        fx.call(NT, "memset", &[hpet + 0x10, 1, 1]).unwrap();
        assert_eq!(
            fx.k.guest().trace.mmio().last().map(|e| (e.address, e.write, e.value)),
            Some((0xFED0_0010, true, 1))
        );
    }
}
