//! Each kernel32 function on its own (x86): a process loaded (the giveio client's image) and
//! made current, the functions called directly. The programs in corpus/giveio take them
//! end to end through their slots.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, MachineConfig, Prot, RegionKind};
use portcullis_hle::kernel::{Kernel, KernelOptions, Kx};
use portcullis_hle::types::{Ptr, SizeT, HANDLE, PCSTR, PCWSTR};

use super::{
    console::*, environment::*, file::*, heap::*, sync::*, system::*, text::*, thread::*, time::*, virtual_memory::*,
};
use crate::error::*;
use crate::table::BOOL;

const INVALID: HANDLE = HANDLE(0xFFFF_FFFF);

/// A kernel with one loaded, current process, and a page of its memory to pass buffers in.
fn process() -> (Kx, u64) {
    process_with(KernelOptions::default())
}

/// [`process`] on a kernel with `options`.
fn process_with(options: KernelOptions) -> (Kx, u64) {
    let mut k = Kernel::boot(MachineConfig::new(Arch::X86), options).unwrap();
    let image = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/giveio/giveio_client.x86.exe")).unwrap();
    crate::load(&mut k, "client.exe", &image, &["a b".to_string(), "c".to_string()]).unwrap();
    crate::state(&mut k).current = Some(0);
    // Its thread current, its user half loaded, as when it runs.
    let ethread = crate::state(&mut k).processes[0].ethread;
    portcullis_hle::ps::set_current_thread(&mut k, ethread, true).unwrap();
    k.ext_mut().io.requester = Some(ethread);
    let page = k.mem_mut().alloc(RegionKind::User, "buffers", 0x1000, Prot::RW).unwrap();
    (k, page)
}

fn cstr(k: &mut Kx, at: u64, s: &str) -> PCSTR {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    k.mem_mut().write(at, &b).unwrap();
    PCSTR(at)
}

fn last_error(k: &mut Kx) -> u32 {
    GetLastError(k).unwrap()
}

#[test]
fn a_driver_finds_the_programs_peb_and_teb() {
    let (mut k, _) = process();
    let p = crate::current(&mut k).map(|p| (p.eprocess, p.ethread, p.peb, p.teb)).unwrap();
    let peb = portcullis_hle::ps::lookup::PsGetProcessPeb(&mut k, Ptr(p.0)).unwrap();
    let teb = portcullis_hle::ps::lookup::PsGetThreadTeb(&mut k, Ptr(p.1)).unwrap();
    assert_eq!((peb.0, teb.0), (p.2, p.3));
    assert_ne!(peb.0, 0);
    // The System process has none.
    let system = k.ext().system.system_process;
    assert_eq!(portcullis_hle::ps::lookup::PsGetProcessPeb(&mut k, Ptr(system)).unwrap(), Ptr(0));
}

#[test]
fn the_last_error_lives_in_the_teb() {
    let (mut k, _) = process();
    SetLastError(&mut k, 1234).unwrap();
    assert_eq!(last_error(&mut k), 1234);
    let teb = crate::current(&mut k).unwrap().teb;
    assert_eq!(k.mem().read_u32(teb + 0x34).unwrap(), 1234);
}

#[test]
fn standard_handles_and_console_output() {
    let (mut k, page) = process();
    assert_eq!(GetStdHandle(&mut k, -10i32 as u32).unwrap(), HANDLE(0x3));
    let out = GetStdHandle(&mut k, -11i32 as u32).unwrap();
    assert_eq!(out, HANDLE(0x7));
    assert_eq!(GetStdHandle(&mut k, -12i32 as u32).unwrap(), HANDLE(0xB));
    assert_eq!(GetStdHandle(&mut k, 5).unwrap(), INVALID);
    assert_eq!(last_error(&mut k), ERROR_INVALID_HANDLE);

    k.mem_mut().write(page, b"hello").unwrap();
    let written = Ptr(page + 0x100);
    assert_eq!(WriteConsoleA(&mut k, out, Ptr(page), 5, written, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(page + 0x100).unwrap(), 5);
    assert_eq!(WriteFile(&mut k, HANDLE(0xB), Ptr(page), 2, written, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(crate::current(&mut k).unwrap().console, b"hellohe");
    // Standard input takes no output, and is empty to read.
    assert_eq!(WriteConsoleA(&mut k, HANDLE(0x3), Ptr(page), 5, written, Ptr(0)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    assert_eq!(ReadFile(&mut k, HANDLE(0x3), Ptr(page), 5, written, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(page + 0x100).unwrap(), 0);
    assert_eq!(WriteConsoleA(&mut k, HANDLE(0x44), Ptr(page), 5, written, Ptr(0)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_HANDLE);
}

#[test]
fn opening_what_is_not_there_fails_with_the_mapped_error() {
    let (mut k, page) = process();
    let name = cstr(&mut k, page, r"\\.\nothing");
    let h = CreateFileA(&mut k, name, 0xC000_0000, 0, Ptr(0), 3, 0x80, HANDLE(0)).unwrap();
    assert_eq!(h, INVALID);
    assert_eq!(last_error(&mut k), ERROR_FILE_NOT_FOUND);
    // The wide twin reads its name the same way.
    let wide: Vec<u8> = r"\\.\nothing".encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
    k.mem_mut().write(page + 0x200, &wide).unwrap();
    let h = CreateFileW(&mut k, PCWSTR(page + 0x200), 0, 0, Ptr(0), 3, 0, HANDLE(0)).unwrap();
    assert_eq!(h, INVALID);
    assert_eq!(last_error(&mut k), ERROR_FILE_NOT_FOUND);
    // A disposition that is none, an empty name, what is not built yet.
    assert_eq!(CreateFileA(&mut k, name, 0, 0, Ptr(0), 0, 0, HANDLE(0)).unwrap(), INVALID);
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    let empty = cstr(&mut k, page + 0x300, "");
    assert_eq!(CreateFileA(&mut k, empty, 0, 0, Ptr(0), 3, 0, HANDLE(0)).unwrap(), INVALID);
    assert_eq!(last_error(&mut k), ERROR_INVALID_NAME);
    // Any disposition opens a device (the driver is the one to care): none here.
    assert_eq!(CreateFileA(&mut k, name, 0, 0, Ptr(0), 2, 0, HANDLE(0)).unwrap(), INVALID);
    assert_eq!(last_error(&mut k), ERROR_FILE_NOT_FOUND);
    // An unreadable name is the program's access violation.
    assert!(CreateFileA(&mut k, PCSTR(0x10), 0, 0, Ptr(0), 3, 0, HANDLE(0)).is_err());
}

#[test]
fn dispositions_create_truncate_and_open_files_of_the_volume() {
    let (mut k, page) = process();
    let name = cstr(&mut k, page, r"C:\made.txt");
    let (rw, create_new, create_always, open_existing, open_always, truncate) = (0xC000_0000, 1, 2, 3, 4, 5);
    let open = |k: &mut Kx, access: u32, disposition: u32| {
        let h = CreateFileA(k, name, access, 0, Ptr(0), disposition, 0x80, HANDLE(0)).unwrap();
        let e = GetLastError(k).unwrap();
        (h, e)
    };
    let (h, e) = open(&mut k, rw, open_existing);
    assert_eq!((h, e), (INVALID, ERROR_FILE_NOT_FOUND));
    let (h, e) = open(&mut k, rw, create_new);
    assert_ne!(h, INVALID);
    assert_eq!(e, 0);
    k.mem_mut().write(page + 0x100, b"twelve bytes").unwrap();
    assert_eq!(WriteFile(&mut k, h, Ptr(page + 0x100), 12, Ptr(page + 0x200), Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(CloseHandle(&mut k, h).unwrap(), BOOL(true));
    // CREATE_NEW finds it: ERROR_FILE_EXISTS (kernel32's name for the collision).
    assert_eq!(open(&mut k, rw, create_new), (INVALID, ERROR_FILE_EXISTS));
    // OPEN_ALWAYS opens it, saying it was there; its bytes stay.
    let (h, e) = open(&mut k, rw, open_always);
    assert_eq!(e, ERROR_ALREADY_EXISTS);
    assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 64, Ptr(page + 0x200), Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(page + 0x200).unwrap(), 12);
    CloseHandle(&mut k, h).unwrap();
    // TRUNCATE_EXISTING needs GENERIC_WRITE; with it, the file is empty.
    assert_eq!(open(&mut k, 0x8000_0000, truncate), (INVALID, ERROR_INVALID_PARAMETER));
    let (h, e) = open(&mut k, rw, truncate);
    assert_eq!(e, 0);
    assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 64, Ptr(page + 0x200), Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(page + 0x200).unwrap(), 0);
    CloseHandle(&mut k, h).unwrap();
    // CREATE_ALWAYS replaces it, saying it was there.
    let (h, e) = open(&mut k, rw, create_always);
    assert_ne!(h, INVALID);
    assert_eq!(e, ERROR_ALREADY_EXISTS);
    CloseHandle(&mut k, h).unwrap();
}

#[test]
fn read_and_write_take_an_overlapped_offset_and_status_block() {
    let (mut k, page) = process();
    let name = cstr(&mut k, page, r"C:\offsets.bin");
    let ov = page + 0x400; // x86 OVERLAPPED: Internal, InternalHigh, Offset, OffsetHigh, hEvent
    let set_offset = |k: &mut Kx, offset: u32| {
        k.mem_mut().write(ov, &[0u8; 20]).unwrap();
        k.mem_mut().write_u32(ov + 8, offset).unwrap();
    };
    let done = Ptr(page + 0x200);
    // An overlapped handle: every transfer needs its OVERLAPPED.
    let h = CreateFileA(&mut k, name, 0xC000_0000, 0, Ptr(0), 2, 0x4000_0000, HANDLE(0)).unwrap();
    assert_ne!(h, INVALID);
    k.mem_mut().write(page + 0x100, b"0123456789").unwrap();
    assert_eq!(WriteFile(&mut k, h, Ptr(page + 0x100), 10, done, Ptr(0)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    set_offset(&mut k, 0);
    assert_eq!(WriteFile(&mut k, h, Ptr(page + 0x100), 10, done, Ptr(ov)).unwrap(), BOOL(true));
    assert_eq!((k.mem().read_u32(ov).unwrap(), k.mem().read_u32(ov + 4).unwrap()), (0, 10));
    // Reads at the OVERLAPPED's offset, whatever came before.
    set_offset(&mut k, 6);
    assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 16, done, Ptr(ov)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(done.0).unwrap(), 4);
    assert_eq!(k.mem().read_vec(page + 0x300, 4).unwrap(), b"6789");
    assert_eq!(k.mem().read_u32(ov + 4).unwrap(), 4);
    // Past the end: an overlapped read fails with ERROR_HANDLE_EOF.
    set_offset(&mut k, 10);
    assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 16, done, Ptr(ov)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), 38);
    assert_eq!(k.mem().read_u32(ov).unwrap(), 0xC000_0011);
    CloseHandle(&mut k, h).unwrap();
    // An offset at the very end of the 64-bit range harms nothing: nothing is there to read,
    // and a write there completes with the volume's answer, whatever it is.
    for (low, high) in [(0xFFFF_FFF0u32, 0xFFFF_FFFFu32), (0xFFFF_FFFF, 0x7FFF_FFFF)] {
        set_offset(&mut k, low);
        k.mem_mut().write_u32(ov + 12, high).unwrap();
        assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 16, done, Ptr(ov)).unwrap(), BOOL(false));
        k.mem_mut().write_u32(ov + 12, high).unwrap();
        WriteFile(&mut k, h, Ptr(page + 0x100), 10, done, Ptr(ov)).unwrap();
        assert_ne!(k.mem().read_u32(ov).unwrap(), 0x103, "completed, not left pending");
    }
    // A synchronous handle given an OVERLAPPED reads at its offset and moves its position.
    let h = CreateFileA(&mut k, name, 0x8000_0000, 0, Ptr(0), 3, 0x80, HANDLE(0)).unwrap();
    set_offset(&mut k, 2);
    assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 3, done, Ptr(ov)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_vec(page + 0x300, 3).unwrap(), b"234");
    assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 2, done, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_vec(page + 0x300, 2).unwrap(), b"56");
    // At the end, a synchronous read succeeds with nothing read.
    set_offset(&mut k, 10);
    assert_eq!(ReadFile(&mut k, h, Ptr(page + 0x300), 2, done, Ptr(ov)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(done.0).unwrap(), 0);
    CloseHandle(&mut k, h).unwrap();
}

#[test]
fn handles_that_are_not_open_are_refused() {
    let (mut k, page) = process();
    let ret = Ptr(page);
    assert_eq!(
        DeviceIoControl(&mut k, HANDLE(0x24), 0x8000_2400, Ptr(0), 0, Ptr(0), 0, ret, Ptr(0)).unwrap(),
        BOOL(false)
    );
    assert_eq!(last_error(&mut k), ERROR_INVALID_HANDLE);
    assert_eq!(ReadFile(&mut k, HANDLE(0x24), Ptr(page), 1, ret, Ptr(0)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_HANDLE);
    assert_eq!(CloseHandle(&mut k, HANDLE(0x24)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_HANDLE);
    // A console handle closes once; the current-process pseudo handle always.
    assert_eq!(CloseHandle(&mut k, HANDLE(0x7)).unwrap(), BOOL(true));
    assert_eq!(CloseHandle(&mut k, HANDLE(0x7)).unwrap(), BOOL(false));
    let me = GetCurrentProcess(&mut k).unwrap();
    assert_eq!(CloseHandle(&mut k, me).unwrap(), BOOL(true));
}

#[test]
fn identity_command_line_and_exit() {
    let (mut k, _) = process();
    let (pid, tid) = {
        let p = crate::current(&mut k).unwrap();
        (p.pid, p.tid)
    };
    assert_eq!(GetCurrentProcessId(&mut k).unwrap() as u64, pid);
    assert_eq!(GetCurrentThreadId(&mut k).unwrap() as u64, tid);
    assert_eq!(GetCurrentProcess(&mut k).unwrap(), INVALID);
    let a = GetCommandLineA(&mut k).unwrap();
    let text = portcullis_hle::rtl::printf::read_cstr(k.mem(), a.0, 100).unwrap();
    assert_eq!(text, b"client.exe \"a b\" c");
    let w = GetCommandLineW(&mut k).unwrap();
    let wide = portcullis_hle::rtl::printf::read_wstr(k.mem(), w.0, 100).unwrap();
    assert_eq!(String::from_utf16_lossy(&wide), "client.exe \"a b\" c");
    ExitProcess(&mut k, 7).unwrap();
    assert_eq!(crate::current(&mut k).unwrap().exited.as_ref().map(|e| e.code), Some(7));
}

#[test]
fn sleep_lets_virtual_time_pass() {
    let (mut k, _) = process();
    let before = GetTickCount(&mut k).unwrap();
    let ns = k.guest().cpu.clock.now_ns();
    Sleep(&mut k, 250).unwrap();
    assert!(k.guest().cpu.clock.now_ns() - ns >= 250_000_000);
    assert!(GetTickCount(&mut k).unwrap() - before >= 250);
}

#[test]
fn programs_that_cannot_run_here_are_refused_and_leave_nothing_mapped() {
    let mut k = Kernel::boot(MachineConfig::new(Arch::X86), KernelOptions::default()).unwrap();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/giveio");
    let regions = |k: &Kx| k.mem().regions().count();
    // A driver imports from ntoskrnl.exe, whose file (on the volume as on Windows) is a
    // kernel-mode image no program can load.
    let driver = std::fs::read(format!("{corpus}/giveio.x86.sys")).unwrap();
    let e = crate::load(&mut k, "giveio.sys", &driver, &[]).unwrap_err();
    assert!(e.to_string().contains("ntoskrnl.exe: a kernel-mode image (native subsystem)"), "{e}");
    // (The first load sets up what every program shares; a refused one leaves nothing more.)
    let before = regions(&k);
    assert!(crate::load(&mut k, "giveio.sys", &driver, &[]).is_err());
    assert_eq!(regions(&k), before, "nothing of it stays mapped");
    // An x64 program on an x86 machine.
    let x64 = std::fs::read(format!("{corpus}/port_probe.x64.exe")).unwrap();
    assert!(matches!(crate::load(&mut k, "p.exe", &x64, &[]), Err(crate::LoadError::WrongArch { .. })));
    // Two programs at one base while the first lives: each in its own address space (the
    // one loaded is left as it was).
    let image = std::fs::read(format!("{corpus}/port_probe.x86.exe")).unwrap();
    crate::load(&mut k, "first.exe", &image, &[]).unwrap();
    let before = regions(&k);
    crate::load(&mut k, "second.exe", &image, &[]).unwrap();
    assert_eq!(regions(&k), before);
    // Not an image at all.
    assert!(crate::load(&mut k, "junk.exe", b"MZ junk", &[]).is_err());
    assert_eq!(regions(&k), before);
}

fn wide(k: &mut Kx, at: u64, s: &str) -> PCWSTR {
    let b: Vec<u8> = s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
    k.mem_mut().write(at, &b).unwrap();
    PCWSTR(at)
}

fn regions_of(k: &mut Kx) -> Vec<u64> {
    crate::current(k).unwrap().regions.clone()
}

#[test]
fn heap_blocks_are_refused_when_freed_twice_or_foreign_and_destroyed_heaps_leave_nothing() {
    let (mut k, page) = process();
    let heap = GetProcessHeap(&mut k).unwrap();
    assert_eq!(GetProcessHeap(&mut k).unwrap(), heap, "one process heap");
    assert!(regions_of(&mut k).contains(&heap.0), "its segment is the process's");
    let peb = crate::current(&mut k).unwrap().peb;
    assert_eq!(k.mem().read_u32(peb + 0x18).unwrap() as u64, heap.0, "PEB.ProcessHeap");
    let p = HeapAlloc(&mut k, heap, HEAP_ZERO_MEMORY, SizeT(24)).unwrap();
    assert_eq!(p.0 % 8, 0, "x86 blocks are 8-byte aligned");
    assert_eq!(k.mem().read_vec(p.0, 24).unwrap(), [0; 24]);
    assert_eq!(HeapSize(&mut k, heap, 0, p).unwrap(), SizeT(24));
    assert_eq!(HeapFree(&mut k, heap, 0, p).unwrap(), BOOL(true));
    assert_eq!(HeapFree(&mut k, heap, 0, p).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    assert_eq!(HeapFree(&mut k, heap, 0, Ptr(page)).unwrap(), BOOL(false), "a pointer the heap never gave");
    assert_eq!(HeapSize(&mut k, heap, 0, Ptr(page)).unwrap(), SizeT(0xFFFF_FFFF));
    assert_eq!(HeapFree(&mut k, heap, 0, Ptr(0)).unwrap(), BOOL(true), "NULL frees nothing");
    assert_eq!(HeapAlloc(&mut k, HANDLE(0x1234), 0, SizeT(8)).unwrap(), Ptr(0));
    assert_eq!(last_error(&mut k), ERROR_INVALID_HANDLE);

    let mine = HeapCreate(&mut k, 0, SizeT(0), SizeT(0)).unwrap();
    let big = HeapAlloc(&mut k, mine, 0, SizeT(0x3_0000)).unwrap();
    assert_ne!(big, Ptr(0), "a growable heap takes another segment");
    let moved = HeapReAlloc(&mut k, mine, HEAP_REALLOC_IN_PLACE_ONLY, big, SizeT(0x10_0000)).unwrap();
    assert_eq!(moved, Ptr(0), "in place only: it cannot grow there");
    let before = k.mem().regions().count();
    assert_eq!(HeapDestroy(&mut k, mine).unwrap(), BOOL(true));
    assert_eq!(k.mem().regions().count(), before - 2, "both segments unmapped");
    assert!(!regions_of(&mut k).contains(&mine.0));
    assert_eq!(HeapDestroy(&mut k, mine).unwrap(), BOOL(false));
    assert_eq!(HeapDestroy(&mut k, heap).unwrap(), BOOL(false));
}

#[test]
fn virtual_memory_maps_only_what_is_committed_and_keeps_no_access_pages_aside() {
    let (mut k, page) = process();
    let before = regions_of(&mut k).len();
    let v = VirtualAlloc(&mut k, Ptr(0), SizeT(0x3000), MEM_RESERVE, PAGE_READWRITE).unwrap().0;
    assert_eq!(v % ALLOCATION_GRANULARITY, 0);
    assert!(k.mem().read_u32(v).is_err(), "reserved is not mapped");
    assert_eq!(
        VirtualAlloc(&mut k, Ptr(v + 0x1800), SizeT(0x10), MEM_COMMIT, PAGE_READWRITE).unwrap(),
        Ptr(v + 0x1000)
    );
    k.mem_mut().write_u32(v + 0x1000, 0xFEED).unwrap();
    let old = Ptr(page);
    assert_eq!(VirtualProtect(&mut k, Ptr(v + 0x1000), SizeT(4), PAGE_NOACCESS, old).unwrap(), BOOL(true));
    assert!(k.mem().read_u32(v + 0x1000).is_err(), "no access: unmapped");
    assert_eq!(VirtualProtect(&mut k, Ptr(v + 0x1000), SizeT(4), PAGE_EXECUTE_READ, old).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(page).unwrap(), PAGE_NOACCESS);
    assert_eq!(k.mem().read_u32(v + 0x1000).unwrap(), 0xFEED, "the contents came back");
    assert!(k.mem_mut().write_u32(v + 0x1000, 1).is_err(), "read-only now");
    // VirtualQuery's MEMORY_BASIC_INFORMATION (x86: 28 bytes).
    assert_eq!(VirtualQuery(&mut k, Ptr(v + 0x1000), Ptr(page), SizeT(28)).unwrap(), SizeT(28));
    let mbi: Vec<u32> = (0..7).map(|i| k.mem().read_u32(page + 4 * i).unwrap()).collect();
    assert_eq!(mbi, [v as u32 + 0x1000, v as u32, PAGE_READWRITE, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_PRIVATE]);
    assert_eq!(VirtualQuery(&mut k, Ptr(v), Ptr(page), SizeT(27)).unwrap(), SizeT(0));
    assert_eq!(last_error(&mut k), ERROR_BAD_LENGTH);
    assert_eq!(VirtualQuery(&mut k, Ptr(0x8000_0000), Ptr(page), SizeT(28)).unwrap(), SizeT(0));
    // Nothing in the kernel half, nothing unaligned at a chosen address in the arena.
    assert_eq!(VirtualAlloc(&mut k, Ptr(0x8000_0000), SizeT(0x1000), MEM_RESERVE, PAGE_READWRITE).unwrap(), Ptr(0));
    assert_eq!(VirtualAlloc(&mut k, Ptr(0x2000_0000), SizeT(0x1000), MEM_RESERVE, PAGE_READWRITE).unwrap(), Ptr(0));
    assert_eq!(last_error(&mut k), ERROR_INVALID_ADDRESS);
    assert_eq!(VirtualAlloc(&mut k, Ptr(0), SizeT(0x1000), 0x8_0000, PAGE_READWRITE).unwrap(), Ptr(0), "MEM_RESET");
    assert_eq!(last_error(&mut k), ERROR_NOT_SUPPORTED);
    assert_eq!(VirtualAlloc(&mut k, Ptr(0), SizeT(0x1000), MEM_COMMIT, 0x3).unwrap(), Ptr(0), "no such protection");
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    assert_eq!(VirtualFree(&mut k, Ptr(v + 0x1000), SizeT(0), MEM_RELEASE).unwrap(), BOOL(false), "not the base");
    assert_eq!(VirtualFree(&mut k, Ptr(v), SizeT(0), MEM_RELEASE).unwrap(), BOOL(true));
    assert_eq!(regions_of(&mut k).len(), before, "released: the committed page went");
    assert_eq!(VirtualFree(&mut k, Ptr(v), SizeT(0), MEM_RELEASE).unwrap(), BOOL(false));
}

#[test]
fn programs_without_a_manifest_see_windows_8_on_later_windows() {
    let (mut k, page) = process();
    assert_eq!(GetVersion(&mut k).unwrap(), 7601 << 16 | 1 << 8 | 6);
    let options =
        KernelOptions { version: portcullis_hle::rtl::version::WindowsVersion::WINDOWS_10, ..Default::default() };
    let (mut k10, _) = process_with(options);
    assert_eq!(GetVersion(&mut k10).unwrap(), 9200 << 16 | 2 << 8 | 6);
    // OSVERSIONINFOEXW: 284 bytes; any other size but 276 is refused.
    k.mem_mut().write_u32(page, 284).unwrap();
    assert_eq!(GetVersionExW(&mut k, Ptr(page)).unwrap(), BOOL(true));
    let csd = portcullis_hle::rtl::printf::read_wstr(k.mem(), page + 20, 128).unwrap();
    assert_eq!(String::from_utf16_lossy(&csd), "Service Pack 1");
    assert_eq!(k.mem().read_u16(page + 276).unwrap(), 1, "wServicePackMajor");
    assert_eq!(k.mem().read_u8(page + 282).unwrap(), 1, "wProductType: workstation");
    k.mem_mut().write_u32(page, 148).unwrap();
    assert_eq!(GetVersionExW(&mut k, Ptr(page)).unwrap(), BOOL(false), "the ANSI size");
    assert_eq!(last_error(&mut k), ERROR_INSUFFICIENT_BUFFER);
}

#[test]
fn directories_computer_name_and_system_information() {
    let (mut k, page) = process();
    assert_eq!(GetWindowsDirectoryW(&mut k, Ptr(page), 11).unwrap(), 10);
    let dir = portcullis_hle::rtl::printf::read_wstr(k.mem(), page, 64).unwrap();
    assert_eq!(String::from_utf16_lossy(&dir), r"C:\Windows");
    assert_eq!(GetWindowsDirectoryW(&mut k, Ptr(page), 10).unwrap(), 11, "no room for the NUL");
    GetSystemInfo(&mut k, Ptr(page)).unwrap();
    assert_eq!(k.mem().read_u16(page).unwrap(), 0, "PROCESSOR_ARCHITECTURE_INTEL");
    assert_eq!(k.mem().read_u32(page + 20).unwrap(), 2, "the kernel's two processors");
    assert_eq!(k.mem().read_u32(page + 16).unwrap(), 3, "their mask");
    assert_eq!(k.mem().read_u32(page + 24).unwrap(), 586);
    let me = GetCurrentProcess(&mut k).unwrap();
    assert_eq!(GetExitCodeProcess(&mut k, me, Ptr(page)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(page).unwrap(), STILL_ACTIVE);
    assert_eq!(GetExitCodeProcess(&mut k, HANDLE(0x24), Ptr(page)).unwrap(), BOOL(false));
    assert_eq!(IsWow64Process(&mut k, HANDLE(0x24), Ptr(page)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_HANDLE);
    k.mem_mut().write_u32(page, 11).unwrap();
    assert_eq!(GetComputerNameW(&mut k, Ptr(page + 8), Ptr(page)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(page).unwrap(), 10);
}

#[test]
fn time_comes_from_the_virtual_clock_in_the_configured_zone() {
    let options = KernelOptions { time_zone_bias: -90, ..Default::default() };
    let (mut k, page) = process_with(options);
    GetSystemTime(&mut k, Ptr(page)).unwrap();
    GetLocalTime(&mut k, Ptr(page + 16)).unwrap();
    let st: Vec<u16> = (0..8).map(|i| k.mem().read_u16(page + 2 * i).unwrap()).collect();
    let lt: Vec<u16> = (0..8).map(|i| k.mem().read_u16(page + 16 + 2 * i).unwrap()).collect();
    assert_eq!(&st[..6], [2024, 1, 1, 1, 0, 0], "UTC: Monday 2024-01-01 00:00");
    assert_eq!(&lt[..6], [2024, 1, 1, 1, 1, 30], "UTC+01:30");
    assert_eq!(QueryPerformanceFrequency(&mut k, Ptr(page)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u64(page).unwrap(), 10_000_000);
    assert_eq!(QueryPerformanceCounter(&mut k, Ptr(0)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_NOACCESS);
    let t = GetTickCount64(&mut k).unwrap();
    Sleep(&mut k, 1500).unwrap();
    assert!(GetTickCount64(&mut k).unwrap() - t >= 1500);
}

#[test]
fn conversions_answer_size_queries_and_refuse_what_does_not_fit() {
    let (mut k, page) = process();
    let src = wide(&mut k, page, "aé€");
    let size = WideCharToMultiByte(&mut k, CP_UTF8, 0, src, -1, Ptr(0), 0, Ptr(0), Ptr(0)).unwrap();
    assert_eq!(size, 7, "a, é (2 bytes), € (3 bytes), NUL");
    let out = Ptr(page + 0x100);
    assert_eq!(WideCharToMultiByte(&mut k, CP_UTF8, 0, src, 3, out, 3, Ptr(0), Ptr(0)).unwrap(), 0);
    assert_eq!(last_error(&mut k), ERROR_INSUFFICIENT_BUFFER);
    assert_eq!(WideCharToMultiByte(&mut k, CP_ACP, 0, src, 3, out, 8, Ptr(0), Ptr(0)).unwrap(), 3);
    assert_eq!(k.mem().read_vec(page + 0x100, 3).unwrap(), [b'a', 0xE9, 0x80], "1252 has both");
    assert_eq!(WideCharToMultiByte(&mut k, CP_UTF8, 0x400, src, 3, out, 8, Ptr(0), Ptr(0)).unwrap(), 0);
    assert_eq!(last_error(&mut k), ERROR_INVALID_FLAGS);
    let ansi = cstr(&mut k, page + 0x200, "abc");
    assert_eq!(MultiByteToWideChar(&mut k, CP_ACP, 0, ansi, 0, out, 8).unwrap(), 0, "an empty count");
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    assert_eq!(MultiByteToWideChar(&mut k, CP_OEMCP, 0, ansi, 2, Ptr(0), 0).unwrap(), 2);
    assert_eq!(lstrlenW(&mut k, src).unwrap(), 3);
    assert_eq!(lstrlenA(&mut k, PCSTR(0x10)).unwrap(), 0, "a bad pointer is caught");
    assert_eq!(lstrcpyW(&mut k, Ptr(page + 0x300), src).unwrap(), Ptr(page + 0x300));
    assert_eq!(lstrlenW(&mut k, PCWSTR(page + 0x300)).unwrap(), 3);
    assert_eq!(lstrcpyA(&mut k, Ptr(0x10), ansi).unwrap(), Ptr(0));
}

#[test]
fn the_environment_is_the_processs_own_and_its_block_lives_in_the_heap() {
    let (mut k, page) = process();
    let name = wide(&mut k, page, "Path");
    let buffer = Ptr(page + 0x100);
    let n = GetEnvironmentVariableW(&mut k, name, buffer, 64).unwrap();
    let value = portcullis_hle::rtl::printf::read_wstr(k.mem(), buffer.0, 64).unwrap();
    assert_eq!((n, String::from_utf16_lossy(&value).as_str()), (30, r"C:\Windows\system32;C:\Windows"));
    let value = wide(&mut k, page + 0x200, "x");
    assert_eq!(SetEnvironmentVariableW(&mut k, name, value).unwrap(), BOOL(true));
    assert_eq!(GetEnvironmentVariableW(&mut k, name, buffer, 64).unwrap(), 1);
    assert_eq!(SetEnvironmentVariableW(&mut k, PCWSTR(0), value).unwrap(), BOOL(false));
    let block = GetEnvironmentStringsW(&mut k).unwrap();
    let heap = GetProcessHeap(&mut k).unwrap();
    assert!(HeapSize(&mut k, heap, 0, block).unwrap().0 > 0, "a block of the process heap");
    let first = portcullis_hle::rtl::printf::read_wstr(k.mem(), block.0, 64).unwrap();
    assert_eq!(String::from_utf16_lossy(&first), r"ALLUSERSPROFILE=C:\ProgramData");
    assert_eq!(FreeEnvironmentStrings(&mut k, block).unwrap(), BOOL(true));
    assert_eq!(FreeEnvironmentStrings(&mut k, block).unwrap(), BOOL(false));
}

#[test]
fn standard_input_is_read_a_line_at_a_time() {
    let (mut k, page) = process();
    let pid = crate::current(&mut k).unwrap().pid;
    give_input(&mut k, pid, b"a long line\nx");
    let read = Ptr(page + 0x100);
    assert_eq!(ReadConsoleA(&mut k, HANDLE(0x3), Ptr(page), 4, read, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!((k.mem().read_u32(read.0).unwrap(), k.mem().read_vec(page, 4).unwrap()), (4, b"a lo".to_vec()));
    assert_eq!(ReadFile(&mut k, HANDLE(0x3), Ptr(page), 64, read, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_vec(page, 8).unwrap(), b"ng line\n", "the rest of the line, no more");
    assert_eq!(ReadConsoleW(&mut k, HANDLE(0x3), Ptr(page), 64, read, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!((k.mem().read_u32(read.0).unwrap(), k.mem().read_u16(page).unwrap()), (1, u16::from(b'x')));
    assert_eq!(ReadConsoleA(&mut k, HANDLE(0x3), Ptr(page), 64, read, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(k.mem().read_u32(read.0).unwrap(), 0, "end of input");
    assert_eq!(ReadConsoleA(&mut k, HANDLE(0x7), Ptr(page), 64, read, Ptr(0)).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    // é, then an unpaired surrogate.
    k.mem_mut().write(page, &[0xE9, 0, 0x00, 0xD8]).unwrap();
    let text = PCWSTR(page);
    assert_eq!(WriteConsoleW(&mut k, HANDLE(0x7), Ptr(text.0), 2, read, Ptr(0)).unwrap(), BOOL(true));
    assert_eq!(crate::current(&mut k).unwrap().console, "é\u{FFFD}".as_bytes());
}

#[test]
fn events_wait_on_the_virtual_clock_and_critical_sections_keep_windows_layout() {
    let (mut k, page) = process();
    let e = CreateEventA(&mut k, Ptr(0), BOOL(false), BOOL(false), PCSTR(0)).unwrap();
    assert_eq!(e.0 & 3, 2, "a kernel handle with the tag bit (bit 0 stays clear for OVERLAPPED.hEvent)");
    let before = k.guest().cpu.clock.now_ns();
    assert_eq!(WaitForSingleObject(&mut k, e, 250).unwrap(), WAIT_TIMEOUT);
    assert!(k.guest().cpu.clock.now_ns() - before >= 250_000_000);
    assert_eq!(SetEvent(&mut k, e).unwrap(), BOOL(true));
    assert_eq!(WaitForSingleObject(&mut k, e, INFINITE).unwrap(), WAIT_OBJECT_0);
    assert_eq!(WaitForSingleObject(&mut k, e, 0).unwrap(), WAIT_TIMEOUT, "auto-reset");
    assert_eq!(WaitForSingleObject(&mut k, HANDLE(0x3), 0).unwrap(), WAIT_FAILED, "the console waits for nothing here");
    let thread = GetCurrentThread(&mut k).unwrap();
    assert_eq!(WaitForSingleObject(&mut k, thread, 5).unwrap(), WAIT_TIMEOUT, "the thread runs: never signaled");
    assert_eq!(CloseHandle(&mut k, e).unwrap(), BOOL(true));
    assert_eq!(ResetEvent(&mut k, e).unwrap(), BOOL(false));
    // A name that is a path is no event's.
    let bad = cstr(&mut k, page + 0x80, r"no\such\directory");
    assert_eq!(CreateEventA(&mut k, Ptr(0), BOOL(true), BOOL(false), bad).unwrap(), HANDLE(0));
    assert_eq!(last_error(&mut k), ERROR_PATH_NOT_FOUND);

    let cs = Ptr(page);
    InitializeCriticalSection(&mut k, cs).unwrap();
    let field = |k: &Kx, off: u64| k.mem().read_u32(page + off).unwrap();
    assert_eq!((field(&k, 0), field(&k, 4), field(&k, 8), field(&k, 0xC)), (u32::MAX, u32::MAX, 0, 0));
    EnterCriticalSection(&mut k, cs).unwrap();
    let tid = crate::current(&mut k).unwrap().tid as u32;
    assert_eq!((field(&k, 4), field(&k, 8), field(&k, 0xC)), (-2i32 as u32, 1, tid));
    LeaveCriticalSection(&mut k, cs).unwrap();
    LeaveCriticalSection(&mut k, cs).unwrap();
    assert_eq!((field(&k, 4), field(&k, 8), field(&k, 0xC)), (u32::MAX, 0, 0), "an extra leave changes nothing");
    k.mem_mut().write_u32(page + 4, -2i32 as u32).unwrap();
    k.mem_mut().write_u32(page + 0xC, 0x1234).unwrap();
    assert_eq!(TryEnterCriticalSection(&mut k, cs).unwrap(), BOOL(false), "another thread's");
    assert!(EnterCriticalSection(&mut k, cs).is_err(), "waiting for ever: STATUS_POSSIBLE_DEADLOCK");
    k.mem_mut().write_u32(page + 0x40, 7).unwrap();
    assert_eq!(InterlockedCompareExchange(&mut k, Ptr(page + 0x40), 9, 7).unwrap(), 7);
    assert_eq!(InterlockedExchangeAdd(&mut k, Ptr(page + 0x40), -10).unwrap(), 9);
    assert_eq!(InterlockedIncrement(&mut k, Ptr(page + 0x40)).unwrap(), 0);
}

#[test]
fn sizes_a_hostile_x64_program_makes_up_are_refused_not_followed() {
    let mut k = Kernel::boot(MachineConfig::new(Arch::X64), KernelOptions::default()).unwrap();
    let image = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/giveio/port_probe.x64.exe")).unwrap();
    crate::load(&mut k, "probe.exe", &image, &[]).unwrap();
    crate::state(&mut k).current = Some(0);
    // Its thread current, its user half loaded, as when it runs.
    let ethread = crate::state(&mut k).processes[0].ethread;
    portcullis_hle::ps::set_current_thread(&mut k, ethread, true).unwrap();
    k.ext_mut().io.requester = Some(ethread);
    let page = k.mem_mut().alloc(RegionKind::User, "buffers", 0x1000, Prot::RW).unwrap();
    let huge = SizeT(u64::MAX - 0x10);
    let v = VirtualAlloc(&mut k, Ptr(0), SizeT(0x2000), MEM_COMMIT, PAGE_READWRITE).unwrap();
    assert_ne!(v, Ptr(0));
    assert_eq!(VirtualAlloc(&mut k, Ptr(0), huge, MEM_RESERVE, PAGE_READWRITE).unwrap(), Ptr(0));
    assert_eq!(VirtualAlloc(&mut k, Ptr(v.0 + 0x1000), huge, MEM_COMMIT, PAGE_READWRITE).unwrap(), Ptr(0));
    assert_eq!(VirtualFree(&mut k, Ptr(v.0 + 0x1000), huge, MEM_DECOMMIT).unwrap(), BOOL(false));
    assert_eq!(VirtualProtect(&mut k, v, huge, PAGE_READONLY, Ptr(page)).unwrap(), BOOL(false));
    assert_eq!(VirtualQuery(&mut k, Ptr(u64::MAX), Ptr(page), SizeT(48)).unwrap(), SizeT(0));
    let heap = GetProcessHeap(&mut k).unwrap();
    assert_eq!(heap.0 % 16, 0);
    assert_eq!(HeapAlloc(&mut k, heap, 0, huge).unwrap(), Ptr(0));
    let p = HeapAlloc(&mut k, heap, 0, SizeT(1)).unwrap();
    assert_eq!(p.0 % 16, 0, "x64 blocks are 16-byte aligned");
    assert_eq!(HeapReAlloc(&mut k, heap, 0, p, huge).unwrap(), Ptr(0));
    assert_eq!(HeapCreate(&mut k, 0, huge, SizeT(0)).unwrap(), HANDLE(0));
    assert_eq!(LocalAlloc(&mut k, 0, huge).unwrap(), Ptr(0));
    let src = cstr(&mut k, page, "abc");
    assert_eq!(
        MultiByteToWideChar(&mut k, CP_ACP, 0, src, i32::MAX, Ptr(page + 0x100), 8).unwrap_or(-1),
        -1,
        "a length past the mapped bytes is the program's access violation"
    );
    // x64 layouts: RTL_CRITICAL_SECTION is 40 bytes, LockCount at 8.
    InitializeCriticalSection(&mut k, Ptr(page + 0x200)).unwrap();
    EnterCriticalSection(&mut k, Ptr(page + 0x200)).unwrap();
    assert_eq!(k.mem().read_u32(page + 0x208).unwrap(), -2i32 as u32);
    assert_eq!(k.mem().read_u32(page + 0x20C).unwrap(), 1);
    GetSystemInfo(&mut k, Ptr(page + 0x300)).unwrap();
    assert_eq!(k.mem().read_u16(page + 0x300).unwrap(), 9, "PROCESSOR_ARCHITECTURE_AMD64");
    assert_eq!(k.mem().read_u32(page + 0x300 + 36).unwrap(), 8664);
}

/// A DLL whose preferred base is taken is mapped elsewhere with its base relocations applied, and its exports are found at the same offsets. A damaged
/// export directory finds nothing; the attach calls wait for the dispatcher.
#[test]
fn a_library_whose_base_is_taken_is_relocated() {
    use super::module::{GetProcAddress, LoadLibraryA};
    let (mut k, page) = process();
    let dll = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/inpout/inpout.x86.dll")).unwrap();
    let dir = "C:\\Program Files\\client";
    for name in ["one.dll", "two.dll"] {
        assert!(portcullis_hle::fs::seed_file(&mut k, &format!("{dir}\\{name}"), dll.clone()));
    }
    let name = cstr(&mut k, page, "one.dll");
    let one = LoadLibraryA(&mut k, name).unwrap().0;
    assert!(crate::state(&mut k).request.take().is_some(), "DllMain is asked for");
    let name = cstr(&mut k, page, "two");
    let two = LoadLibraryA(&mut k, name).unwrap().0;
    crate::state(&mut k).request = None;
    // The first takes the preferred base (0x10000000, which a process's own allocations
    // leave free); the second, relocated, goes elsewhere.
    assert!(one == 0x1000_0000 && two != 0 && two != one, "{one:#x} {two:#x}");
    let inp = cstr(&mut k, page + 0x100, "Inp32");
    let f1 = GetProcAddress(&mut k, Ptr(one), Ptr(inp.0)).unwrap().0;
    let f2 = GetProcAddress(&mut k, Ptr(two), Ptr(inp.0)).unwrap().0;
    assert_eq!(f1 - one, f2 - two);
    // Every pointer into the first image has its counterpart, moved by the delta, in the
    // second (the relocated absolute addresses), and at least one exists.
    let size = crate::current(&mut k).unwrap().modules.iter().find(|m| m.base == one).unwrap().size;
    let (a, b) = (k.mem().read_vec(one, size).unwrap(), k.mem().read_vec(two, size).unwrap());
    let mut moved = 0;
    for at in (0x1000..size as usize - 4).step_by(4) {
        let v = u32::from_le_bytes(a[at..at + 4].try_into().unwrap()) as u64;
        if (one + 0x1000..one + size).contains(&v) {
            let w = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as u64;
            if w == v + (two - one) {
                moved += 1;
            }
        }
    }
    assert!(moved > 0);
    // A directory claiming more names than ordinals can number: nothing is found there.
    let dir_rva = {
        let p = crate::current(&mut k).unwrap();
        p.modules.iter().find(|m| m.base == two).unwrap().exports.unwrap().0 as u64
    };
    k.mem_mut().write_u32(two + dir_rva + 24, 0x7FFF_FFFF).unwrap();
    assert_eq!(GetProcAddress(&mut k, Ptr(two), Ptr(inp.0)).unwrap().0, 0);
    assert_eq!(last_error(&mut k), ERROR_PROC_NOT_FOUND);
}

#[test]
fn startup_info_and_dynamic_tls_slots() {
    use super::startup::*;
    let (mut k, page) = process();
    GetStartupInfoA(&mut k, Ptr(page)).unwrap();
    assert_eq!(k.mem().read_u32(page).unwrap(), 0x44);
    let desktop = k.mem().read_u32(page + 8).unwrap() as u64;
    let title = k.mem().read_u32(page + 0xC).unwrap() as u64;
    assert_eq!(portcullis_hle::rtl::printf::read_cstr(k.mem(), desktop, 64).unwrap(), b"WinSta0\\Default");
    let title = portcullis_hle::rtl::printf::read_cstr(k.mem(), title, 300).unwrap();
    assert_eq!(title, b"C:\\Program Files\\client\\client.exe");
    assert_eq!(k.mem().read_u32(page + 0x2C).unwrap(), 0, "no STARTF_* flags");
    GetStartupInfoW(&mut k, Ptr(page + 0x100)).unwrap();
    let wide = k.mem().read_u32(page + 0x10C).unwrap() as u64;
    assert_eq!(
        String::from_utf16_lossy(&portcullis_hle::rtl::printf::read_wstr(k.mem(), wide, 300).unwrap()),
        "C:\\Program Files\\client\\client.exe"
    );

    let a = TlsAlloc(&mut k).unwrap();
    let b = TlsAlloc(&mut k).unwrap();
    assert_eq!((a, b), (0, 1));
    assert_eq!(TlsSetValue(&mut k, b, Ptr(0x1234)).unwrap(), BOOL(true));
    SetLastError(&mut k, 7).unwrap();
    assert_eq!(TlsGetValue(&mut k, b).unwrap(), Ptr(0x1234));
    assert_eq!(last_error(&mut k), 0, "a successful TlsGetValue clears the last error");
    let teb = crate::current(&mut k).unwrap().teb;
    assert_eq!(k.mem().read_u32(teb + 0xE10 + 4).unwrap(), 0x1234, "the TEB's TlsSlots[1]");
    assert_eq!(TlsFree(&mut k, b).unwrap(), BOOL(true));
    assert_eq!(TlsFree(&mut k, b).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);
    assert_eq!(TlsAlloc(&mut k).unwrap(), 1, "the lowest free slot, zeroed");
    assert_eq!(TlsGetValue(&mut k, 1).unwrap(), Ptr(0));
    for _ in 2..64 {
        assert_ne!(TlsAlloc(&mut k).unwrap(), TLS_OUT_OF_INDEXES);
    }
    assert_eq!(TlsAlloc(&mut k).unwrap(), TLS_OUT_OF_INDEXES);
    assert_eq!(last_error(&mut k), ERROR_NO_MORE_ITEMS);
    assert_eq!(TlsGetValue(&mut k, 64).unwrap(), Ptr(0));
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER);

    assert_eq!(IsDBCSLeadByteEx(&mut k, 1252, 0x81).unwrap(), BOOL(false));
    SetLastError(&mut k, 0).unwrap();
    assert_eq!(IsDBCSLeadByteEx(&mut k, 932, 0x81).unwrap(), BOOL(false));
    assert_eq!(last_error(&mut k), ERROR_INVALID_PARAMETER, "Shift-JIS is not installed");
}

#[test]
fn x64_tls_slots_lie_in_the_second_page_of_the_teb() {
    use super::startup::*;
    let mut k = Kernel::boot(MachineConfig::new(Arch::X64), KernelOptions::default()).unwrap();
    let image = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/giveio/port_probe.x64.exe")).unwrap();
    crate::load(&mut k, "probe.exe", &image, &["x".to_string()]).unwrap();
    crate::state(&mut k).current = Some(0);
    // Its thread current, its user half loaded, as when it runs.
    let ethread = crate::state(&mut k).processes[0].ethread;
    portcullis_hle::ps::set_current_thread(&mut k, ethread, true).unwrap();
    k.ext_mut().io.requester = Some(ethread);
    let slot = TlsAlloc(&mut k).unwrap();
    assert_eq!(TlsSetValue(&mut k, slot, Ptr(0xAABB_CCDD_EEFF)).unwrap(), BOOL(true));
    let teb = crate::current(&mut k).unwrap().teb;
    assert_eq!(k.mem().read_u64(teb + 0x1480).unwrap(), 0xAABB_CCDD_EEFF);
    // The command line after the TEB is untouched.
    let at = crate::current(&mut k).unwrap().command_line_a;
    assert_eq!(crate::kernel32::thread::GetCommandLineA(&mut k).unwrap(), Ptr(at));
    let line = portcullis_hle::rtl::printf::read_cstr(k.mem(), at, 100).unwrap();
    assert_eq!(line, b"probe.exe x");
}

/// msvcrt's memcpy moves overlapping ranges as memmove does, and a made-up count faults in
/// the program instead of sizing a host buffer.
#[test]
fn memcpy_overlaps_and_hostile_counts() {
    use crate::msvcrt::string::memcpy;
    let (mut k, page) = process();
    let bytes: Vec<u8> = (0..200u8).collect();
    k.mem_mut().write(page, &bytes).unwrap();
    memcpy(&mut k, Ptr(page + 10), Ptr(page), SizeT(150)).unwrap();
    assert_eq!(k.mem().read_vec(page + 10, 150).unwrap(), bytes[..150]);
    k.mem_mut().write(page, &bytes).unwrap();
    memcpy(&mut k, Ptr(page), Ptr(page + 10), SizeT(150)).unwrap();
    assert_eq!(k.mem().read_vec(page, 150).unwrap(), bytes[10..160]);
    assert!(memcpy(&mut k, Ptr(page), Ptr(page), SizeT(0xFFFF_FFFF)).is_err());
}
