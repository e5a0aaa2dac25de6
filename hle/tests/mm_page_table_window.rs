//! The page-table window (the self-map Windows keeps in the top-level table) on both
//! architectures: driver code reads page-table entries at the addresses Windows puts them
//! (x64: PTE_BASE 0xFFFFF680_00000000; x86 without PAE: 0xC0000000), MmGetVirtualForPhysical
//! answers for page-table pages (CR3's first), and nothing writes through the window: not the
//! driver's code, not a kernel routine on its behalf, not the host's mapping calls.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{CallConv, MemError, Prot, RegionKind, PAGE_SIZE};
use portcullis_hle::exports::Dll;

const NT: Dll = Dll::Ntoskrnl;

/// Where the window shows the page-table entry that maps `va`, and the root itself.
fn pte_address(arch: Arch, va: u64) -> u64 {
    match arch {
        Arch::X86 => 0xC000_0000 + (va >> 12) * 4,
        Arch::X64 => 0xFFFF_F680_0000_0000 + ((va >> 9) & 0x7F_FFFF_FFF8),
    }
}

fn root_address(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0xC030_0000,
        Arch::X64 => 0xFFFF_F6FB_7DBE_D000,
    }
}

fn wide(arch: Arch, v: u64) -> Vec<u64> {
    match arch {
        Arch::X86 => vec![v & 0xFFFF_FFFF, v >> 32],
        Arch::X64 => vec![v],
    }
}

/// Guest code of our own, placed in an executable page: a driver's load and store.
fn code(fx: &mut Fx, bytes: &[u8]) -> u64 {
    let at = fx.k.mem_mut().alloc(RegionKind::System, "test code", PAGE_SIZE, Prot::RX).unwrap();
    fx.k.mem_mut().write_unchecked(at, bytes).unwrap();
    at
}

/// `value = *(ptr*)p` and `*(ptr*)p = v` as driver code (stdcall on x86).
fn load_store(fx: &mut Fx) -> (u64, u64) {
    let (load, store): (&[u8], &[u8]) = match fx.arch {
        // mov eax,[esp+4]; mov eax,[eax]; ret 4 / mov eax,[esp+4]; mov edx,[esp+8]; mov [eax],edx; ret 8
        Arch::X86 => (
            &[0x8B, 0x44, 0x24, 0x04, 0x8B, 0x00, 0xC2, 0x04, 0x00],
            &[0x8B, 0x44, 0x24, 0x04, 0x8B, 0x54, 0x24, 0x08, 0x89, 0x10, 0xC2, 0x08, 0x00],
        ),
        // mov rax,[rcx]; ret / mov [rcx],rdx; ret
        Arch::X64 => (&[0x48, 0x8B, 0x01, 0xC3], &[0x48, 0x89, 0x11, 0xC3]),
    };
    (code(fx, load), code(fx, store))
}

fn entry_frame(arch: Arch, e: u64) -> u64 {
    match arch {
        Arch::X86 => e & 0xFFFF_F000,
        Arch::X64 => e & 0x000F_FFFF_FFFF_F000,
    }
}

#[test]
fn driver_code_reads_the_entries_that_map_its_memory() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (load, _) = load_store(&mut fx);
        let conv = CallConv::Stdcall.for_arch(arch);
        let heap = fx.heap;
        let pte = fx.call_at(load, conv, &[pte_address(arch, heap)]).unwrap().0;
        assert_eq!(entry_frame(arch, pte), fx.k.mem().translate(heap).unwrap() & !(PAGE_SIZE - 1), "{arch:?}");
        assert_eq!(pte & 0b111, 0b111, "{arch:?}: present, writable, user (driver code runs at CPL3)");
        // The root's self-map entry, read through the window: the root itself, read-only.
        let cr3 = fx.k.mem().page_table_root();
        let self_slot = match arch {
            Arch::X86 => root_address(arch) + 0x300 * 4,
            Arch::X64 => root_address(arch) + 0x1ED * 8,
        };
        let e = fx.call_at(load, conv, &[self_slot]).unwrap().0;
        assert_eq!(entry_frame(arch, e), cr3, "{arch:?}");
        assert_eq!(e & 0b10, 0, "{arch:?}: the self-map entry is not writable");
        assert_eq!(fx.k.mem().page_table_window().0, pte_address(arch, 0), "{arch:?}");
    }
}

#[test]
fn physical_to_virtual_answers_for_page_table_pages() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let cr3 = fx.k.mem().page_table_root();
        let va = fx.call(NT, "MmGetVirtualForPhysical", &wide(arch, cr3 + 0x18)).unwrap();
        assert_eq!(va, root_address(arch) + 0x18, "{arch:?}");
        // Back again.
        let pa = fx.call(NT, "MmGetPhysicalAddress", &[va]).unwrap();
        assert_eq!(pa & 0xFFFF_FFFF, cr3 + 0x18, "{arch:?}: (the low half on x86, in EAX)");
        // The table that maps the heap: its page in the window holds the heap's entry.
        let heap = fx.heap;
        let table = pte_address(arch, heap) & !(PAGE_SIZE - 1);
        let table_pa = fx.k.mem().translate(table).unwrap();
        let va = fx.call(NT, "MmGetVirtualForPhysical", &wide(arch, table_pa)).unwrap();
        assert_eq!(va, table, "{arch:?}");
        // Every level of an x64 walk, as WinPmem does it: each table's frame maps back.
        if arch == Arch::X64 {
            let mut table = cr3;
            let shifts = [39, 30, 21, 12];
            for (level, shift) in shifts.iter().enumerate() {
                let window = fx.call(NT, "MmGetVirtualForPhysical", &[table]).unwrap();
                let slot = window + ((heap >> shift) & 0x1FF) * 8;
                let e = fx.k.mem().read_u64(slot).unwrap();
                assert_eq!(e & 1, 1, "level {level}");
                table = entry_frame(arch, e);
            }
            assert_eq!(table, fx.k.mem().translate(heap).unwrap() & !(PAGE_SIZE - 1));
        }
        // A frame that holds data, not a table, is not in the window.
        let data = fx.k.mem().translate(heap).unwrap();
        let va = fx.call(NT, "MmGetVirtualForPhysical", &wide(arch, data)).unwrap();
        assert!(!(fx.k.mem().page_table_window().0..fx.k.mem().page_table_window().1).contains(&va), "{arch:?}");
        assert_eq!(fx.k.mem().translate(va), Some(data), "{arch:?}");
    }
}

#[test]
fn a_store_to_a_read_only_kernel_page_names_its_entry() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (load, store) = load_store(&mut fx);
        let conv = CallConv::Stdcall.for_arch(arch);
        let b = bugcheck(fx.call_at(store, conv, &[load, 0]));
        assert_eq!((b.code, b.params[0]), (0xBE, load), "{arch:?}");
        let frame = fx.k.mem().translate(load).unwrap();
        assert_eq!(entry_frame(arch, b.params[1]), frame, "{arch:?}");
        assert_eq!(b.params[1] & 0b11, 0b01, "{arch:?}: present, not writable");
        // Unmapped kernel memory stays PAGE_FAULT_IN_NONPAGED_AREA.
        let mut fx = Fx::new(arch);
        let (_, store) = load_store(&mut fx);
        let hole = fx.heap + HEAP; // the guard page after the heap
        let b = bugcheck(fx.call_at(store, conv, &[hole, 0]));
        assert_eq!((b.code, b.params[0], b.params[1]), (0x50, hole, 1), "{arch:?}");
    }
}

#[test]
fn nothing_writes_through_the_window() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (_, store) = load_store(&mut fx);
        let conv = CallConv::Stdcall.for_arch(arch);
        let heap = fx.heap;
        let slot = pte_address(arch, heap);
        let before = fx.k.mem().read_u32(slot).unwrap();
        // The driver's own store: Windows would let it edit the entry; the sandbox cannot
        // (its own translation state sits beside the tables) and ends the run naming it.
        match fx.call_at(store, conv, &[slot, 0]) {
            Err(Stop::Host(KernelStop::Unimplemented { routine, .. })) => {
                assert!(routine.contains("page-table self-map") && routine.contains(&format!("{slot:#x}")), "{routine}")
            }
            other => panic!("{arch:?}: expected the named refusal, got {other:?}"),
        }
        assert_eq!(fx.k.mem().read_u32(slot).unwrap(), before, "{arch:?}: nothing written");
        // A kernel routine writing there for the driver: ATTEMPTED_WRITE_TO_READONLY_MEMORY.
        let mut fx = Fx::new(arch);
        let b = bugcheck(fx.call(NT, "RtlFillMemory", &[slot, 4, 0]));
        assert_eq!((b.code, b.params[0]), (0xBE, slot), "{arch:?}");
        // The host itself: neither checked nor loader writes, nor mapping calls.
        let mem = fx.k.mem_mut();
        assert_eq!(mem.write_u32(slot, 0), Err(MemError::ReadOnly { addr: slot }));
        assert_eq!(mem.write_unchecked(slot, &[0]), Err(MemError::ReadOnly { addr: slot }));
        let (start, _) = mem.page_table_window();
        assert!(mem.map_fixed(RegionKind::System, "in the window", start, PAGE_SIZE, Prot::RW).is_err());
        assert!(mem.protect(slot, 4, Prot::RW).is_err());
        assert_eq!(mem.read_u32(slot).unwrap(), before, "{arch:?}");
        // Not executable either where the paging mode can say so (x86 pages without PAE here).
        let exec = arch == Arch::X86;
        assert_eq!(mem.prot_at(slot), Some(Prot { write: false, exec }), "{arch:?}");
    }
}
