//! Processors, time, and processes on both architectures, through the real stubs: processor
//! counts and numbers, the clocks (all virtual), the process list with its lookups, attaching
//! to a process, and process, thread and image notify routines fired as processes start and
//! end.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{
    FieldAccess, DRIVER_OBJECT, EPROCESS, KAPC_STATE, LDR_DATA_TABLE_ENTRY, OBJECT_ATTRIBUTES, PS_CREATE_NOTIFY_INFO,
};
use portcullis_hle::ps::processes;

fn fx_with(arch: Arch, processors: u32) -> Fx {
    let k = Kernel::boot(MachineConfig::new(arch), KernelOptions { processors, ..Default::default() }).expect("boot");
    Fx::with(k)
}

#[test]
fn processor_counts_numbers_and_groups() {
    for (arch, n) in [(Arch::X86, 2u32), (Arch::X64, 2), (Arch::X86, 4), (Arch::X64, 3)] {
        let mut fx = fx_with(arch, n);
        let all = (1u64 << n) - 1;
        assert_eq!(ok(&mut fx, "KeQueryActiveProcessors", &[]), all, "{arch:?} {n}");
        let mask = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "KeQueryActiveProcessorCount", &[mask]), n);
        assert_eq!(fx.read_ptr(mask), all);
        assert_eq!(ok32(&mut fx, "KeQueryActiveProcessorCount", &[0]), n);
        assert_eq!(ok32(&mut fx, "KeQueryActiveProcessorCountEx", &[0]), n);
        assert_eq!(ok32(&mut fx, "KeQueryActiveProcessorCountEx", &[0xFFFF]), n, "ALL_PROCESSOR_GROUPS");
        assert_eq!(ok32(&mut fx, "KeQueryActiveProcessorCountEx", &[1]), 0, "no group 1");
        assert_eq!(ok32(&mut fx, "KeQueryMaximumProcessorCount", &[]), n);
        assert_eq!(ok32(&mut fx, "KeQueryMaximumProcessorCountEx", &[0xFFFF]), n);
        assert_eq!(ok32(&mut fx, "KeQueryActiveGroupCount", &[]) & 0xFFFF, 1);
        assert_eq!(ok32(&mut fx, "KeQueryMaximumGroupCount", &[]) & 0xFFFF, 1);
        assert_eq!(ok(&mut fx, "KeQueryGroupAffinity", &[0]), all);
        assert_eq!(ok32(&mut fx, "KeGetCurrentNodeNumber", &[]) & 0xFFFF, 0);
        assert_eq!(ok32(&mut fx, "KeQueryHighestNodeNumber", &[]) & 0xFFFF, 0);
        // PROCESSOR_NUMBER { Group, Number, Reserved } and back.
        let pn = fx.alloc(4);
        assert_eq!(ok32(&mut fx, "KeGetProcessorNumberFromIndex", &[n as u64 - 1, pn]), 0);
        assert_eq!(fx.read(pn, 4), vec![0, 0, n as u8 - 1, 0]);
        assert_eq!(ok32(&mut fx, "KeGetProcessorIndexFromNumber", &[pn]), n - 1);
        assert_eq!(ok32(&mut fx, "KeGetProcessorNumberFromIndex", &[n as u64, pn]), 0xC000_000D);
        fx.k.mem_mut().write(pn, &[0, 0, 9, 0]).unwrap();
        assert_eq!(ok32(&mut fx, "KeGetProcessorIndexFromNumber", &[pn]), 0xFFFF_FFFF, "INVALID_PROCESSOR_INDEX");
        // KeNumberProcessors, the exported variable.
        let var = fx.k.ext().resolve(Dll::Ntoskrnl, "KeNumberProcessors").unwrap();
        assert_eq!(fx.read(var, 1)[0] as u32, n);
        // Each processor's control region knows its number: the thread moves, the number follows.
        for p in 0..n {
            ok(&mut fx, "KeSetSystemAffinityThread", &[1 << p]);
            assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), p);
        }
        ok(&mut fx, "KeRevertToUserAffinityThread", &[]);
    }
}

#[test]
fn every_clock_follows_the_virtual_clock() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let t = fx.alloc(8);
        let read = |fx: &Fx| u64::from_le_bytes(fx.read(t, 8).try_into().unwrap());
        ok(&mut fx, "KeQuerySystemTimePrecise", &[t]);
        let sys0 = read(&fx);
        let int0 = ok(&mut fx, "KeQueryUnbiasedInterruptTime", &[]);
        let freq = fx.alloc(8);
        let pc0 = ok(&mut fx, "KeQueryPerformanceCounter", &[freq]);
        assert_eq!(u64::from_le_bytes(fx.read(freq, 8).try_into().unwrap()), 10_000_000, "{arch:?}: 10 MHz");
        assert_eq!(ok32(&mut fx, "KeQueryTimeIncrement", &[]), 156_250, "15.625 ms ticks");

        // 100 ms of virtual time: a stall of 100 000 us.
        ok(&mut fx, "KeStallExecutionProcessor", &[100_000]);
        ok(&mut fx, "KeQuerySystemTimePrecise", &[t]);
        let sys1 = read(&fx);
        assert!((1_000_000..1_000_100).contains(&(sys1 - sys0)), "{}", sys1 - sys0);
        let int1 = ok(&mut fx, "KeQueryUnbiasedInterruptTime", &[]);
        assert!((1_000_000..1_000_100).contains(&(int1 - int0)));
        let pc1 = ok(&mut fx, "KeQueryPerformanceCounter", &[0]);
        if arch == Arch::X64 {
            assert!((1_000_000..1_000_100).contains(&(pc1 - pc0)), "{}", pc1 - pc0);
        } else {
            assert!(pc1 as u32 > pc0 as u32, "EAX holds the low half on x86");
        }
        let qpc = fx.alloc(8);
        let int2 = ok(&mut fx, "KeQueryInterruptTimePrecise", &[qpc]);
        assert!(int2 >= int1 && u64::from_le_bytes(fx.read(qpc, 8).try_into().unwrap()) >= pc1);
        // KUSER_SHARED_DATA.SystemTime (0x14) is kept in step.
        let shared: u64 = match arch {
            Arch::X86 => 0xFFDF_0000,
            Arch::X64 => 0xFFFF_F780_0000_0000,
        };
        let low = u32::from_le_bytes(fx.read(shared + 0x14, 4).try_into().unwrap()) as u64;
        let high = u32::from_le_bytes(fx.read(shared + 0x18, 4).try_into().unwrap()) as u64;
        assert!((low | high << 32) >= sys1);
        if arch == Arch::X86 {
            ok(&mut fx, "KeQuerySystemTime", &[t]);
            assert!(read(&fx) >= sys1);
            ok(&mut fx, "KeQueryTickCount", &[t]);
            assert_eq!(read(&fx), ok(&mut fx, "KeQueryInterruptTime", &[]) / 156_250);
        }
    }
}

/// A notify routine that appends its three arguments to a log: [count, (a0, a1, a2)...].
fn logging_routine(fx: &mut Fx, log: u64, lock: u64) -> u64 {
    // The slot is picked by the counter's old value: store to a scratch, then copy... the
    // builder has no indexed store, so each call overwrites the same three slots and the
    // counter says how many calls there were; tests read the trace for the full sequence.
    routine(fx, 3, |a, r| {
        let (add, c) = r("ExInterlockedAddUlong");
        a.call(add, c, &[K(log), K(1), K(lock)]);
        a.store_param(0, log + 8).store_param(1, log + 16).store_param(2, log + 24);
    })
}

fn args(fx: &Fx, log: u64) -> (u32, u64, u64, u64) {
    (fx.read_ptr(log) as u32, fx.read_ptr(log + 8), fx.read_ptr(log + 16), fx.read_ptr(log + 24) & 0xFF)
}

#[test]
fn processes_start_and_end_through_the_notify_routines() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let lock = fx.alloc(8);
        let plog = fx.alloc(32);
        let tlog = fx.alloc(32);
        let ilog = fx.alloc(32);
        let p = logging_routine(&mut fx, plog, lock);
        let t = logging_routine(&mut fx, tlog, lock);
        let i = logging_routine(&mut fx, ilog, lock);
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutine", &[p, 0]), 0, "{arch:?}");
        assert_eq!(ok32(&mut fx, "PsSetCreateThreadNotifyRoutine", &[t]), 0);
        assert_eq!(ok32(&mut fx, "PsSetLoadImageNotifyRoutine", &[i]), 0);

        let started = processes::start(&mut fx.k, "notepad.exe", 0x1F0, 4).unwrap().unwrap();
        assert_eq!(started.denied, None);
        assert_eq!(args(&fx, plog), (1, 4, 0x1F0, 1), "(ParentId, ProcessId, Create)");
        let (n, pid, tid, create) = args(&fx, tlog);
        assert_eq!((n, pid, create), (1, 0x1F0, 1), "(ProcessId, ThreadId, Create)");
        assert_eq!(ilog_pid(&fx, ilog), 0x1F0, "the image notify's ProcessId");
        let entry = processes::find(&fx.k, 0x1F0).unwrap().clone();
        assert_eq!((entry.name.as_str(), entry.parent, entry.eprocess), ("notepad.exe", 4, started.eprocess));

        // Lookups.
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "PsLookupProcessByProcessId", &[0x1F0, out]), 0);
        let e = fx.read_ptr(out);
        assert_eq!(e, started.eprocess);
        assert_eq!(ok(&mut fx, "PsGetProcessId", &[e]), 0x1F0);
        assert_eq!(ok(&mut fx, "PsGetProcessInheritedFromUniqueProcessId", &[e]), 4);
        let name = ok(&mut fx, "PsGetProcessImageFileName", &[e]);
        assert_eq!(&fx.read(name, 12)[..], b"notepad.exe\0");
        ok(&mut fx, "ObfDereferenceObject", &[e]);
        assert_eq!(ok32(&mut fx, "PsLookupThreadByThreadId", &[tid, out]), 0);
        let th = fx.read_ptr(out);
        assert_eq!(ok(&mut fx, "PsGetThreadProcessId", &[th]), 0x1F0);
        assert_eq!(ok(&mut fx, "PsGetThreadId", &[th]), tid);
        assert_eq!(ok32(&mut fx, "PsIsSystemThread", &[th]) & 0xFF, 0, "a thread of notepad.exe");
        ok(&mut fx, "ObfDereferenceObject", &[th]);
        assert_eq!(ok32(&mut fx, "PsLookupProcessByProcessId", &[0x999, out]), 0xC000_000D);
        assert_eq!(ok32(&mut fx, "PsLookupThreadByThreadId", &[0x999, out]), 0xC000_000D);

        processes::exit(&mut fx.k, 0x1F0, 0).unwrap().unwrap();
        assert_eq!(args(&fx, plog), (2, 4, 0x1F0, 0), "Create = FALSE");
        assert_eq!(args(&fx, tlog), (2, 0x1F0, tid, 0));
        assert_eq!(ok32(&mut fx, "PsLookupProcessByProcessId", &[0x1F0, out]), 0xC000_000D, "ended");
        assert_eq!(u32s(&fx.read(ilog, 4)), vec![1], "images load, they do not unload here");

        // A system thread's creation and end fire the thread routine too, in the System process.
        let start = routine(&mut fx, 1, |_, _| {});
        let h = fx.alloc(8);
        ok(&mut fx, "PsCreateSystemThread", &[h, 0, 0, 0, 0, start, 0]);
        assert_eq!(args(&fx, tlog).0, 3);
        assert_eq!((args(&fx, tlog).1, args(&fx, tlog).3), (4, 1));
        portcullis_hle::ke::scheduler::settle(&mut fx.k).unwrap();
        assert_eq!((args(&fx, tlog).0, args(&fx, tlog).3), (4, 0), "ended");

        // Removal.
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutine", &[p, 1]), 0);
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutine", &[p, 1]), 0xC000_000D, "not registered");
        assert_eq!(ok32(&mut fx, "PsRemoveCreateThreadNotifyRoutine", &[t]), 0);
        assert_eq!(ok32(&mut fx, "PsRemoveCreateThreadNotifyRoutine", &[t]), 0xC000_007A, "STATUS_PROCEDURE_NOT_FOUND");
        assert_eq!(ok32(&mut fx, "PsRemoveLoadImageNotifyRoutine", &[i]), 0);
        assert_eq!(ok32(&mut fx, "PsRemoveLoadImageNotifyRoutine", &[i]), 0xC000_007A);
        processes::start(&mut fx.k, "calc.exe", 0x200, 4).unwrap().unwrap();
        assert_eq!(args(&fx, plog).0, 2, "removed: not called");
    }
}

fn ilog_pid(fx: &Fx, log: u64) -> u64 {
    fx.read_ptr(log + 16)
}

#[test]
fn extended_process_routines_need_an_integrity_checked_image_and_can_refuse() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let ex = routine(&mut fx, 3, |_, _| {});
        assert_eq!(
            ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx", &[ex, 0]),
            0xC000_0022,
            "{arch:?}: ACCESS_DENIED"
        );
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx2", &[0, ex, 0]), 0xC000_0022);
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx2", &[1, ex, 0]), 0xC000_000D, "type 1");

        // What counts is the image as the loader read it: kapi (not linked with
        // /INTEGRITYCHECK) setting the flag in its headers in memory changes nothing.
        let kapi = fx.k.ext().drivers()[0].image.clone();
        let pe = kapi.base + fx.k.mem().read_u32(kapi.base + 0x3C).unwrap() as u64;
        let dll_chars = pe + 0x18 + 0x46;
        let c = fx.k.mem().read_u16(dll_chars).unwrap();
        fx.k.mem_mut().write_unchecked(dll_chars, &(c | 0x80).to_le_bytes()).unwrap();
        let in_kapi = kapi.base + 0x1000;
        fx.k.mem_mut().write_unchecked(in_kapi, &[0xC3]).unwrap();
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx", &[in_kapi, 0]), 0xC000_0022, "{arch:?}");
        // The loader's entry for the image (DriverObject->DriverSection) is what Windows asks:
        // LDRP_IMAGE_INTEGRITY_FORCED there (which drivers are known to set themselves) counts.
        let driver_object = fx.k.ext().drivers()[0].driver_object;
        let section = fx.k.mem().get(driver_object, DRIVER_OBJECT::DriverSection).unwrap();
        assert_eq!(section, fx.k.ext().drivers()[0].ldr_entry);
        let flags = fx.k.mem().get(section, LDR_DATA_TABLE_ENTRY::Flags).unwrap();
        assert_eq!(flags & 0x20, 0, "{arch:?}: kapi is not linked with /INTEGRITYCHECK");
        fx.k.mem_mut().set(section, LDR_DATA_TABLE_ENTRY::Flags, flags | 0x20).unwrap();
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx", &[in_kapi, 0]), 0, "{arch:?}");
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx", &[in_kapi, 1]), 0, "removed");
        fx.k.mem_mut().set(section, LDR_DATA_TABLE_ENTRY::Flags, flags).unwrap();

        // The routine inside a driver image linked with /INTEGRITYCHECK (obcallbacks): it
        // refuses processes named by their PS_CREATE_NOTIFY_INFO (CreationStatus =
        // STATUS_ACCESS_DENIED).
        let d = portcullis_hle::loader::load(&mut fx.k, "obcallbacks", &corpus_bytes("obcallbacks", arch)).unwrap();
        let image = fx.k.ext().drivers()[d].image.clone();
        let entry = fx.k.ext().drivers()[d].ldr_entry;
        assert_eq!(fx.k.mem().get(entry, LDR_DATA_TABLE_ENTRY::Flags).unwrap() & 0x20, 0x20, "set by the loader");
        let seen = fx.alloc(32);
        let status_at = PS_CREATE_NOTIFY_INFO::CreationStatus.at(arch, 0) as u8;
        let mut a = Asm::new(arch);
        a.store_param(0, seen).store_param(1, seen + 8).store_param(2, seen + 16);
        a.if_param_set_field(2, status_at, 0xC000_0022);
        let code = a.ret(3);
        let inside = image.base + 0x1000;
        fx.k.mem_mut().write_unchecked(inside, &code).unwrap();
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx", &[inside, 0]), 0);
        let s = processes::start(&mut fx.k, "blocked.exe", 0x300, 4).unwrap().unwrap();
        assert_eq!(s.denied.map(|d| d.0), Some(0xC000_0022));
        assert_eq!(fx.read_ptr(seen), s.eprocess, "(Process, ProcessId, CreateInfo)");
        assert_eq!(fx.read_ptr(seen + 8), 0x300);
        let info = fx.read_ptr(seen + 16);
        assert_ne!(info, 0);
        assert_eq!(fx.k.mem().get(info, PS_CREATE_NOTIFY_INFO::ParentProcessId).unwrap(), 4);
        assert!(processes::find(&fx.k, 0x300).unwrap().exited.is_some(), "refused: it never ran");
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx", &[inside, 1]), 0);
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx2", &[0, inside, 0]), 0);
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutineEx2", &[0, inside, 1]), 0);
    }
}

#[test]
fn attaching_to_a_process_changes_the_current_process() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let e = processes::create(&mut fx.k, "target.exe", 0x440, 4).unwrap().unwrap();
        let system = ok(&mut fx, "PsGetCurrentProcess", &[]);
        assert_eq!(system, fx.k.ext().system.system_process, "{arch:?}");
        let state = fx.alloc(KAPC_STATE::STRUCT.size(arch));
        ok(&mut fx, "KeStackAttachProcess", &[e, state]);
        assert_eq!(ok(&mut fx, "PsGetCurrentProcess", &[]), e);
        assert_eq!(ok(&mut fx, "PsGetCurrentProcessId", &[]), 4, "the thread's own process");
        assert_eq!(ok(&mut fx, "PsGetCurrentThreadId", &[]) & 3, 0);
        // Nested: attaching to where it is already is remembered as nothing to undo.
        let inner = fx.alloc(KAPC_STATE::STRUCT.size(arch));
        ok(&mut fx, "KeStackAttachProcess", &[e, inner]);
        ok(&mut fx, "KeUnstackDetachProcess", &[inner]);
        assert_eq!(ok(&mut fx, "PsGetCurrentProcess", &[]), e);
        ok(&mut fx, "KeUnstackDetachProcess", &[state]);
        assert_eq!(ok(&mut fx, "PsGetCurrentProcess", &[]), system);

        ok(&mut fx, "KeAttachProcess", &[e]);
        assert_eq!(ok(&mut fx, "PsGetCurrentProcess", &[]), e);
        let other = processes::create(&mut fx.k, "other.exe", 0x448, 4).unwrap().unwrap();
        let b = bugcheck(call(&mut fx, "KeAttachProcess", &[other]));
        assert_eq!((b.code, b.name), (0x5, "INVALID_PROCESS_ATTACH_ATTEMPT"));

        let mut fx = Fx::new(arch);
        let e = processes::create(&mut fx.k, "target.exe", 0x440, 4).unwrap().unwrap();
        ok(&mut fx, "KeAttachProcess", &[e]);
        ok(&mut fx, "KeDetachProcess", &[]);
        assert_eq!(ok(&mut fx, "PsGetCurrentProcess", &[]), fx.k.ext().system.system_process);
        // Undoing an attach that never happened.
        let state = fx.alloc(KAPC_STATE::STRUCT.size(arch));
        fx.k.mem_mut().set(state, KAPC_STATE::Process, e).unwrap();
        let b = bugcheck(call(&mut fx, "KeUnstackDetachProcess", &[state]));
        assert_eq!((b.code, b.name), (0x6, "INVALID_PROCESS_DETACH_ATTEMPT"));
        // Not a process.
        let junk = fx.alloc(0x100);
        let b = bugcheck(call(&mut fx, "KeAttachProcess", &[junk]));
        assert_eq!(b.code, 0x5);
    }
}

#[test]
fn a_driver_terminating_a_process_ends_it_as_its_exit_does() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let lock = fx.alloc(8);
        let plog = fx.alloc(32);
        let p = logging_routine(&mut fx, plog, lock);
        assert_eq!(ok32(&mut fx, "PsSetCreateProcessNotifyRoutine", &[p, 0]), 0, "{arch:?}");
        processes::start(&mut fx.k, "victim.exe", 0x300, 0x1F4).unwrap().unwrap();
        assert_eq!(args(&fx, plog).0, 1);

        // ZwOpenProcess by client id, then ZwTerminateProcess.
        let ps = arch.ptr_size();
        let size = OBJECT_ATTRIBUTES::STRUCT.size(arch);
        let oa = fx.alloc(size);
        fx.k.mem_mut().set(oa, OBJECT_ATTRIBUTES::Length, size).unwrap();
        fx.k.mem_mut().set(oa, OBJECT_ATTRIBUTES::Attributes, 0x200).unwrap(); // OBJ_KERNEL_HANDLE
        let cid = fx.alloc(2 * ps);
        fx.k.mem_mut().write_ptr(cid, 0x300).unwrap();
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "ZwOpenProcess", &[out, 0x1F_FFFF, oa, cid]), 0, "{arch:?}");
        let h = fx.read_ptr(out);
        // Its image name, as ProcessImageFileName gives it.
        let info = fx.alloc(0x100);
        assert_eq!(ok32(&mut fx, "ZwQueryInformationProcess", &[h, 27, info, 0x100, 0]), 0);
        let (len, _, buf) = fx.counted(info);
        let text: Vec<u16> = fx.read(buf, len as usize).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16_lossy(&text), "\\Device\\HarddiskVolume1\\Windows\\victim.exe", "{arch:?}");
        assert_eq!(ok32(&mut fx, "ZwTerminateProcess", &[h, 0xC000_0005]), 0);
        // The process notify routine saw it end; its object is signaled; lookups fail.
        assert_eq!(args(&fx, plog), (2, 0x1F4, 0x300, 0), "{arch:?}: (ParentId, ProcessId, Create = FALSE)");
        assert_eq!(processes::find(&fx.k, 0x300).and_then(|p| p.exited), Some(0xC000_0005));
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[h, 0, 0]), 0, "{arch:?}: the process object is signaled");
        assert_eq!(ok32(&mut fx, "PsLookupProcessByProcessId", &[0x300, out]), 0xC000_000D);
        assert_eq!(ok32(&mut fx, "ZwTerminateProcess", &[h, 0]), 0xC000_010A, "STATUS_PROCESS_IS_TERMINATING");
        assert_eq!(ok32(&mut fx, "ZwOpenProcess", &[out, 0x1F_FFFF, oa, cid]), 0xC000_000B, "STATUS_INVALID_CID");
        let pbi = fx.alloc(6 * ps);
        assert_eq!(ok32(&mut fx, "ZwQueryInformationProcess", &[h, 0, pbi, 6 * ps, 0]), 0);
        assert_eq!(fx.read(pbi, 4), 0xC000_0005u32.to_le_bytes(), "{arch:?}: ExitStatus");
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
    }
}

#[test]
fn the_previous_mode_is_the_current_threads() {
    use portcullis_hle::layout::ETHREAD;
    for arch in [Arch::X86, Arch::X64] {
        let mut fx = fx_with(arch, 1);
        // DriverEntry and system threads run kernel code only: KernelMode.
        assert_eq!(ok(&mut fx, "ExGetPreviousMode", &[]) & 0xFF, 0, "{arch:?}");
        // A thread that entered the kernel from user mode (the user program's request).
        let t = portcullis_hle::ps::current_thread(&fx.k).unwrap();
        fx.k.mem_mut().set(t, ETHREAD::PreviousMode, 1).unwrap();
        assert_eq!(ok(&mut fx, "ExGetPreviousMode", &[]) & 0xFF, 1, "{arch:?}");
    }
}

#[test]
fn client_ids_name_a_thread_and_its_process() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let started = processes::start(&mut fx.k, "svc.exe", 0x2A0, 4).unwrap().unwrap();
        let entry = processes::find(&fx.k, 0x2A0).unwrap().clone();
        let tid = ok(&mut fx, "PsGetThreadId", &[entry.thread]);
        let ps = arch.ptr_size();
        let cid = fx.alloc(2 * ps);
        let set_cid = |fx: &mut Fx, pid: u64, tid: u64| {
            fx.k.mem_mut().write_ptr(cid, pid).unwrap();
            fx.k.mem_mut().write_ptr(cid + ps, tid).unwrap();
        };
        let (po, to) = (fx.alloc(8), fx.alloc(8));
        let refs = |fx: &Fx, o: u64| fx.k.ext().objects.get(o).unwrap().references;
        let (p0, t0) = (refs(&fx, started.eprocess), refs(&fx, entry.thread));

        set_cid(&mut fx, 0x2A0, tid);
        assert_eq!(ok32(&mut fx, "PsLookupProcessThreadByCid", &[cid, po, to]), 0);
        assert_eq!((fx.read_ptr(po), fx.read_ptr(to)), (started.eprocess, entry.thread));
        assert_eq!((refs(&fx, started.eprocess), refs(&fx, entry.thread)), (p0 + 1, t0 + 1), "both referenced");
        ok(&mut fx, "ObfDereferenceObject", &[started.eprocess]);
        ok(&mut fx, "ObfDereferenceObject", &[entry.thread]);

        // Process is optional: only the thread is returned and referenced.
        fx.k.mem_mut().write_ptr(to, 0).unwrap();
        assert_eq!(ok32(&mut fx, "PsLookupProcessThreadByCid", &[cid, 0, to]), 0);
        assert_eq!(fx.read_ptr(to), entry.thread);
        assert_eq!((refs(&fx, started.eprocess), refs(&fx, entry.thread)), (p0, t0 + 1));
        ok(&mut fx, "ObfDereferenceObject", &[entry.thread]);

        // The current thread with its own process.
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let (my_pid, my_tid) = (ok(&mut fx, "PsGetCurrentProcessId", &[]), ok(&mut fx, "PsGetCurrentThreadId", &[]));
        set_cid(&mut fx, my_pid, my_tid);
        assert_eq!(ok32(&mut fx, "PsLookupProcessThreadByCid", &[cid, po, to]), 0);
        assert_eq!(fx.read_ptr(to), me);
        assert_eq!(fx.read_ptr(po), ok(&mut fx, "PsGetThreadProcess", &[me]));

        // A thread with another process's ID, an unknown thread, an ended one: STATUS_INVALID_CID.
        fx.k.mem_mut().write_ptr(to, 0x5A5A).unwrap();
        set_cid(&mut fx, 4, tid);
        assert_eq!(ok32(&mut fx, "PsLookupProcessThreadByCid", &[cid, po, to]), 0xC000_000B);
        set_cid(&mut fx, 0x2A0, 0x999);
        assert_eq!(ok32(&mut fx, "PsLookupProcessThreadByCid", &[cid, po, to]), 0xC000_000B);
        assert_eq!(fx.read_ptr(to), 0x5A5A, "nothing written on failure");
        processes::exit(&mut fx.k, 0x2A0, 0).unwrap().unwrap();
        set_cid(&mut fx, 0x2A0, tid);
        assert_eq!(ok32(&mut fx, "PsLookupProcessThreadByCid", &[cid, po, to]), 0xC000_000B, "ended");
    }
}

#[test]
fn no_process_has_a_peb_or_a_wow64_peb() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = fx.k.ext().system.system_process;
        let mine = ok(&mut fx, "PsGetCurrentProcess", &[]);
        for p in [system, mine] {
            assert_eq!(ok(&mut fx, "PsGetProcessPeb", &[p]), 0);
            if arch == Arch::X64 {
                assert_eq!(ok(&mut fx, "PsGetProcessWow64Process", &[p]), 0, "native processes");
            }
        }
        assert!(!exported(Arch::X86, "PsGetProcessWow64Process"), "x64 only");
    }
}

#[test]
fn no_process_or_thread_has_a_win32_part_or_a_job() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let process = fx.call(Dll::Ntoskrnl, "PsGetCurrentProcess", &[]).unwrap();
        let thread = fx.call(Dll::Ntoskrnl, "PsGetCurrentThread", &[]).unwrap();
        assert_ne!((process, thread), (0, 0));
        assert_eq!(fx.call(Dll::Ntoskrnl, "PsGetProcessWin32Process", &[process]).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.call(Dll::Ntoskrnl, "PsGetThreadWin32Thread", &[thread]).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.call(Dll::Ntoskrnl, "PsGetProcessJob", &[process]).unwrap(), 0, "{arch:?}");
        // The process is read as Windows reads it: an unmapped one is the kernel's access
        // violation, unhandled.
        let b = bugcheck(fx.call(Dll::Ntoskrnl, "PsGetProcessJob", &[0x10]));
        assert_eq!(b.name, "KMODE_EXCEPTION_NOT_HANDLED", "{arch:?}");
    }
}

#[test]
fn the_finest_timer_resolution_requested_holds_until_every_request_is_released() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let set = |fx: &mut Fx, desired: u64, on: u64| ok32(fx, "ExSetTimerResolution", &[desired, on]);
        assert_eq!(set(&mut fx, 0, 0), 156_250, "{arch:?}: no request to release: the default");
        assert_eq!(set(&mut fx, 10_000, 1), 10_000, "1 ms");
        assert_eq!(set(&mut fx, 50_000, 1), 10_000, "a coarser request does not slow the clock");
        assert_eq!(set(&mut fx, 1, 1), 5_000, "0.5 ms is the finest");
        assert_eq!(ok32(&mut fx, "KeQueryTimeIncrement", &[]), 156_250, "still the maximum increment");
        assert_eq!(set(&mut fx, 0, 0), 5_000);
        assert_eq!(set(&mut fx, 0, 0), 5_000);
        assert_eq!(set(&mut fx, 0, 0), 156_250, "the last release restores the default");
        assert_eq!(set(&mut fx, 99_999_999, 1), 156_250, "kept within the range");
    }
}

/// An export's LONGLONG result: EDX:EAX on x86.
fn ok_wide(fx: &mut Fx, name: &str, args: &[u64]) -> u64 {
    let lo = ok(fx, name, args);
    match fx.arch {
        Arch::X86 => (lo & 0xFFFF_FFFF) | (fx.k.reg(portcullis_emu::Reg::Dx) & 0xFFFF_FFFF) << 32,
        Arch::X64 => lo,
    }
}

#[test]
fn sessions_and_section_bases_of_processes() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let system = fx.k.ext().system.system_process;
        let user = processes::find(&fx.k, portcullis_hle::ps::USER_PID).unwrap().eprocess;
        assert_eq!(ok32(&mut fx, "PsGetProcessSessionId", &[system]), 0, "{arch:?}: System is in no session");
        assert_eq!(ok32(&mut fx, "PsGetProcessSessionId", &[user]), 1, "the user's program is interactive");
        assert_eq!(ok32(&mut fx, "PsGetCurrentProcessSessionId", &[]), 0);
        let state = fx.alloc(KAPC_STATE::STRUCT.size(arch));
        ok(&mut fx, "KeStackAttachProcess", &[user, state]);
        assert_eq!(ok32(&mut fx, "PsGetCurrentProcessSessionId", &[]), 1, "follows the attached process");
        ok(&mut fx, "KeUnstackDetachProcess", &[state]);

        // A main image: its base, as the user-program loader records it; none for the others.
        let e = processes::create(&mut fx.k, "app.exe", 0x440, 4).unwrap().unwrap();
        assert_eq!(ok(&mut fx, "PsGetProcessSectionBaseAddress", &[e]), 0);
        assert_eq!(ok(&mut fx, "PsGetProcessSectionBaseAddress", &[system]), 0);
        portcullis_hle::ps::session::set_section_base(&mut fx.k, e, 0x40_0000).unwrap();
        assert_eq!(ok(&mut fx, "PsGetProcessSectionBaseAddress", &[e]), 0x40_0000);
        let at = EPROCESS::SectionBaseAddress.at(arch, e);
        assert_eq!(fx.read_ptr(at), 0x40_0000, "in the EPROCESS field drivers read");
        // Creation times: the virtual clock's, when each process was made.
        let boot = ok_wide(&mut fx, "PsGetProcessCreateTimeQuadPart", &[system]);
        assert_eq!(ok_wide(&mut fx, "PsGetProcessCreateTimeQuadPart", &[user]), boot, "{arch:?}: both at boot");
        assert!(boot >= portcullis_hle::ps::BOOT_SYSTEM_TIME);
        assert!(ok_wide(&mut fx, "PsGetProcessCreateTimeQuadPart", &[e]) >= boot);
        ok(&mut fx, "KeStallExecutionProcessor", &[50_000]);
        let later = processes::create(&mut fx.k, "later.exe", 0x450, 4).unwrap().unwrap();
        let t = fx.alloc(8);
        ok(&mut fx, "KeQuerySystemTimePrecise", &[t]);
        let now = u64::from_le_bytes(fx.read(t, 8).try_into().unwrap());
        let created = ok_wide(&mut fx, "PsGetProcessCreateTimeQuadPart", &[later]);
        assert!(created >= boot + 500_000 && created <= now, "{arch:?}: 50 ms later: {}", created - boot);
        // Not a process: the read faults, the bugcheck Windows would raise.
        bugcheck(call(&mut fx, "PsGetProcessSessionId", &[0]));
    }
}

#[test]
fn no_thread_has_a_teb_and_the_current_process_no_wow64_peb() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        processes::start(&mut fx.k, "app.exe", 0x3C0, 4).unwrap().unwrap();
        let app_thread = processes::find(&fx.k, 0x3C0).unwrap().thread;
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        for t in [me, app_thread] {
            assert_eq!(ok(&mut fx, "PsGetThreadTeb", &[t]), 0, "{arch:?}: no user-mode code runs");
        }
        // The answer is KTHREAD.Teb as the thread holds it.
        fx.k.mem_mut().set(app_thread, portcullis_hle::layout::ETHREAD::Teb, 0x7FFD_E000).unwrap();
        assert_eq!(ok(&mut fx, "PsGetThreadTeb", &[app_thread]), 0x7FFD_E000);
        let b = bugcheck(fx.call(Dll::Ntoskrnl, "PsGetThreadTeb", &[0x10]));
        assert_eq!(b.name, "KMODE_EXCEPTION_NOT_HANDLED", "{arch:?}");
        if arch == Arch::X64 {
            assert_eq!(ok(&mut fx, "PsGetCurrentProcessWow64Process", &[]), 0, "native");
        }
        assert!(!exported(Arch::X86, "PsGetCurrentProcessWow64Process"), "x64 only");
    }
}
