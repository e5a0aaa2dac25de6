//! Each kernel32 function on its own (x86): a process loaded (the giveio client's image) and
//! made current, the functions called directly. The programs in corpus/giveio take them
//! end to end through their slots.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, MachineConfig, Prot, RegionKind};
use portcullis_hle::kernel::{Kernel, KernelOptions, Kx};
use portcullis_hle::types::{Ptr, HANDLE, PCSTR, PCWSTR};

use super::{console::*, file::*, thread::*};
use crate::error::*;
use crate::table::BOOL;

const INVALID: HANDLE = HANDLE(0xFFFF_FFFF);

/// A kernel with one loaded, current process, and a page of its memory to pass buffers in.
fn process() -> (Kx, u64) {
    let mut k = Kernel::boot(MachineConfig::new(Arch::X86), KernelOptions::default()).unwrap();
    let image = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/giveio/giveio_client.x86.exe")).unwrap();
    crate::load(&mut k, "client.exe", &image, &["a b".to_string(), "c".to_string()]).unwrap();
    crate::state(&mut k).current = Some(0);
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
    assert_eq!(CreateFileA(&mut k, name, 0, 0, Ptr(0), 2, 0, HANDLE(0)).unwrap(), INVALID);
    assert_eq!(last_error(&mut k), ERROR_NOT_SUPPORTED);
    // An unreadable name is the program's access violation.
    assert!(CreateFileA(&mut k, PCSTR(0x10), 0, 0, Ptr(0), 3, 0, HANDLE(0)).is_err());
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
    // A driver imports from ntoskrnl.exe, which no program library exports.
    let driver = std::fs::read(format!("{corpus}/giveio.x86.sys")).unwrap();
    let e = crate::load(&mut k, "giveio.sys", &driver, &[]).unwrap_err();
    assert!(
        matches!(e, crate::LoadError::MissingImports(ref m) if m.iter().any(|i| i.contains("IoCreateDevice"))),
        "{e}"
    );
    // An x64 program on an x86 machine.
    let x64 = std::fs::read(format!("{corpus}/port_probe.x64.exe")).unwrap();
    assert!(matches!(crate::load(&mut k, "p.exe", &x64, &[]), Err(crate::LoadError::WrongArch { .. })));
    // Two programs at one base while the first lives (relocation is not built yet).
    let image = std::fs::read(format!("{corpus}/port_probe.x86.exe")).unwrap();
    crate::load(&mut k, "first.exe", &image, &[]).unwrap();
    let before = regions(&k);
    assert!(matches!(crate::load(&mut k, "second.exe", &image, &[]), Err(crate::LoadError::Unsupported(_))));
    assert_eq!(regions(&k), before);
    // Not an image at all.
    assert!(crate::load(&mut k, "junk.exe", b"MZ junk", &[]).is_err());
    assert_eq!(regions(&k), before);
}
