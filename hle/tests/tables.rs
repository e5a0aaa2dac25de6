//! The export tables as a whole: they scale, they hold no doubles, and what they declare agrees
//! with the real libraries' signature list (conventions and the bytes x86 routines pop).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::*;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};

use portcullis_emu::{CallConv, Machine};
use portcullis_hle::exports::signatures::{self, Shape};
use portcullis_hle::exports::{self, CallArgs, Dll, ExportDef, FunctionDef};
use portcullis_hle::kernel::KResult;

// A 1,500-line table written by hle/build.rs: line i is `ScaleI(X: u32) -> u32`, adding i,
// with the three x86 conventions in turn and every fifth line x86-only or x64-only.
include!(concat!(env!("OUT_DIR"), "/scale_table.rs"));

static SCALE_FIRST_SLOT: AtomicU32 = AtomicU32::new(0);

fn scale_functions(arch: Arch) -> Vec<&'static FunctionDef> {
    SCALE_TABLE
        .iter()
        .filter_map(|e| match e {
            ExportDef::Function(f) if f.exists_on(arch) => Some(f),
            _ => None,
        })
        .collect()
}

/// Host-call handler for the scale table's slots: the same wrapper the kernel's dispatcher
/// calls, with the line's own convention.
fn scale_dispatch(k: &mut Machine<Kernel>, slot: u32) -> Result<(), Stop<KernelStop>> {
    let arch = k.arch();
    let f = scale_functions(arch)[(slot - SCALE_FIRST_SLOT.load(Ordering::Relaxed)) as usize];
    let mut args = CallArgs::new(f.conv_on(arch), arch);
    let r =
        (f.wrapper)(k, &mut args).map_err(|e| Stop::Machine(portcullis_emu::MachineError::Other(format!("{e:?}"))))?;
    k.set_return(r);
    Ok(())
}

#[test]
fn a_generated_table_of_1500_lines_compiles_and_calls_through_its_slots() {
    assert_eq!(SCALE_TABLE.len(), 1500);
    for arch in both() {
        let functions = scale_functions(arch);
        // Lines 1, 6, 11, ... are x86-only, 2, 7, 12, ... x64-only.
        assert_eq!(functions.len(), 1200, "{arch:?}");
        let mut k = boot(arch);
        SCALE_FIRST_SLOT.store(k.host_call_slots(), Ordering::Relaxed);
        let bodies: Vec<Vec<u8>> = functions.iter().map(|f| f.return_code(arch)).collect();
        let base = k.add_host_calls("scale table", &bodies, scale_dispatch).unwrap();
        for (i, f) in functions.iter().enumerate().step_by(7) {
            let line: u32 = f.name.trim_start_matches("Scale").parse().unwrap();
            let stub = base + i as u64 * portcullis_emu::HOST_CALL_SLOT;
            // Machine::call places the argument and checks the stack comes back balanced
            // for the convention (the slot's `ret 4` for stdcall).
            let r = k.call(stub, &[1000], f.conv_on(arch)).unwrap();
            assert_eq!(r, 1000 + line as u64, "{arch:?} {}", f.name);
            let expected = match (arch, line % 3) {
                (Arch::X64, _) => CallConv::Win64,
                (_, 0) => CallConv::Stdcall,
                (_, 1) => CallConv::Cdecl,
                _ => CallConv::Fastcall,
            };
            assert_eq!(f.conv_on(arch), expected);
        }
    }
}

#[test]
fn no_table_lists_an_export_twice() {
    for arch in both() {
        let mut seen = HashSet::new();
        for e in exports::all().filter(|e| e.exists_on(arch)) {
            assert!(seen.insert((e.dll(), e.name())), "{}!{} twice on {arch:?}", e.dll(), e.name());
        }
        let internal: Vec<_> = exports::internal::TABLE.iter().map(|e| e.name()).collect();
        assert!(internal.iter().all(|n| !seen.iter().any(|(_, s)| s == n)), "an internal routine is also exported");
    }
}

/// Every implemented export the real library also exports must be exported the same way: a
/// routine as a routine, a variable as a variable, and on x86 with the same convention and
/// the same bytes popped — a table line that disagrees would corrupt the caller's stack.
#[test]
fn the_tables_agree_with_the_real_libraries() {
    let mut checked = 0;
    for e in exports::all() {
        let dll = e.dll();
        let Some(sig) = signatures::lookup(dll.name(), e.name()) else { continue };
        for arch in both() {
            if !e.exists_on(arch) {
                continue;
            }
            match (e, sig.shape(arch)) {
                (ExportDef::Function(f), Shape::Function { conv, pops }) => {
                    if arch == Arch::X86 {
                        assert_eq!(f.conv_on(arch), conv, "{dll}!{} convention on x86", f.name);
                        let ours = f.conv_on(arch).callee_pops(f.slots(arch)) as u32;
                        assert_eq!(ours, pops, "{dll}!{}: bytes popped on x86", f.name);
                    }
                    checked += 1;
                }
                (ExportDef::Data(_), Shape::Data) => checked += 1,
                // Exported elsewhere on this architecture (hal.dll vs ntoskrnl.exe) or only
                // in newer Windows versions than the list describes.
                (_, Shape::Absent) => {}
                (e, shape) => panic!("{dll}!{} is {:?} in the table but {shape:?} in the real library", e.name(), e),
            }
        }
    }
    assert!(checked > 40, "only {checked} exports were checked");
}

#[test]
fn the_libraries_drivers_import_are_known_and_unknown_ones_are_missing() {
    for name in [
        "ntoskrnl.exe",
        "NTOSKRNL.EXE",
        "ntkrnlpa.exe",
        "hal.dll",
        "HAL.dll",
        "wdfldr.sys",
        "FLTMGR.SYS",
        "ndis.sys",
        "fwpkclnt.sys",
        "wmilib.sys",
        "usbd.sys",
        "ksecdd.sys",
        "cng.sys",
        "storport.sys",
        "scsiport.sys",
        "hidclass.sys",
        "portcls.sys",
        "tdi.sys",
    ] {
        let dll = Dll::from_import(name).unwrap_or_else(|| panic!("{name} is not known"));
        assert!(name.eq_ignore_ascii_case(dll.name()) || dll == Dll::Ntoskrnl, "{name} -> {dll}");
    }
    assert_eq!(Dll::from_import("amdpcore.sys"), None);
    // An import from a library the kernel does not know is a missing import, named.
    let k = boot(Arch::X64);
    assert!(k.ext().resolve(Dll::Tdi, "TdiCopyBufferToMdl").is_none());
    assert!(k.ext().resolve(Dll::Fltmgr, "FltRegisterFilter").is_some());
}

#[test]
fn signatures_know_the_kernel_and_hal_with_x86_stack_cleanup() {
    let n = |dll: &str| signatures::SIGNATURES.iter().filter(|s| s.dll == dll).count();
    assert!(n("ntoskrnl.exe") > 1500, "{}", n("ntoskrnl.exe"));
    assert!(n("hal.dll") > 80);
    let io = signatures::lookup("ntoskrnl.exe", "IoCreateDevice").unwrap();
    assert_eq!(io.shape(Arch::X86), Shape::Function { conv: CallConv::Stdcall, pops: 28 });
    assert_eq!(io.shape(Arch::X64), Shape::Function { conv: CallConv::Win64, pops: 0 });
    assert_eq!(io.params.unwrap().len(), 7);
    let complete = signatures::lookup("ntoskrnl.exe", "IofCompleteRequest").unwrap();
    assert_eq!(complete.shape(Arch::X86), Shape::Function { conv: CallConv::Fastcall, pops: 0 });
    let tick = signatures::lookup("ntoskrnl.exe", "KeTickCount").unwrap();
    assert_eq!((tick.shape(Arch::X86), tick.shape(Arch::X64)), (Shape::Data, Shape::Absent));
    let dbg = signatures::lookup("ntoskrnl.exe", "DbgPrint").unwrap();
    assert!(dbg.varargs);
    assert_eq!(dbg.shape(Arch::X86), Shape::Function { conv: CallConv::Cdecl, pops: 0 });
    assert!(signatures::lookup("ntoskrnl.exe", "PortcullisNoSuchRoutine").is_none());
}

/// Keeps `KResult` in use for the generated table's functions.
#[allow(dead_code)]
fn _kresult(_: KResult<()>) {}
