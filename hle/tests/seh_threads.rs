//! Exceptions in system threads, end to end on both architectures through the sehthread
//! corpus driver: a thread's fault is dispatched on its own stack to its own handlers while
//! the request that started it waits inside a `__try` of its own (on x86 each flow keeps its
//! own fs:[0] chain across switches), a thread's call stack ends at its start routine, and
//! what nobody handles in a system thread or a work item is SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
//! with the exception and context records.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::*;

use portcullis_emu::Reg;
use portcullis_hle::seh::context;
use portcullis_hle::seh::events::ExceptionOutcome;
use portcullis_hle::seh::record::ExceptionRecord;

const AV: u32 = 0xC000_0005;
const EXCEPTION_CHAIN_END: u64 = 0xFFFF_FFFF;

fn sehthread(arch: Arch) -> (Kx, usize, request::FileHandle) {
    let (mut k, d) = started("sehthread", arch);
    let h = open(&mut k, "\\\\.\\SehThread");
    (k, d, h)
}

fn words(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// fs:[0] of processor 0 (x86): the chain of the flow running there.
fn chain_head(k: &Kx) -> u64 {
    let kpcr = k.ext().sched.processors[0].kpcr;
    k.mem().read_u32(kpcr).unwrap() as u64
}

#[test]
fn exceptions_reach_the_handlers_of_the_flow_they_happen_in() {
    for arch in both() {
        let (mut k, d, h) = sehthread(arch);
        // The request faults while the thread waits inside its __try, then the thread faults
        // after the request's __try has ended: each handler takes its own flow's exception,
        // the request's first.
        let r = ioctl(&mut k, h, ctl(0x800, 0), &words(&[0x10]), 32);
        assert_eq!(r.status(), status::SUCCESS, "{arch:?}");
        assert_eq!(u32s(r.output()), [1, AV, 1, AV, 0x12], "{arch:?}");
        let caught = exceptions(&k);
        assert_eq!(caught.len(), 2, "{arch:?}");
        let image = &k.ext().drivers()[d].image;
        for e in &caught {
            let ExceptionOutcome::Handled { target, .. } = e.outcome else { panic!("{arch:?}: {:?}", e.outcome) };
            assert!(image.contains(target) && image.contains(e.address), "{arch:?}");
            assert_eq!((e.code, e.params.clone()), (AV, vec![0, 0x10]), "{arch:?}");
        }
        // Both handlers are the same __except construct in different functions: they resume
        // at different places.
        let targets: Vec<_> = caught
            .iter()
            .map(|e| match e.outcome {
                ExceptionOutcome::Handled { target, .. } => target,
                _ => 0,
            })
            .collect();
        assert_ne!(targets[0], targets[1], "{arch:?}");
        if arch == Arch::X86 {
            // Every registration came off again, in the flow that made it.
            assert_eq!(chain_head(&k), EXCEPTION_CHAIN_END);
        }

        // A thread's call stack: its start routine and the function it called, no further.
        let r = ioctl(&mut k, h, ctl(0x801, 0), &[], 32);
        assert_eq!(u32s(r.output()), [2, 2, 2, 1], "{arch:?}");

        request::close(&mut k, h).unwrap();
        let u = driver::unload(&mut k, d).unwrap();
        assert!(u.leaks.is_empty(), "{:?}", u.leaks);
    }
}

/// The bugcheck of an unhandled exception in a system thread, checked against the records
/// its parameters point at.
fn check_system_thread_bugcheck(k: &Kx, d: usize, b: &portcullis_hle::kernel::Bugcheck, arch: Arch) {
    // (code, address, exception record, context record)
    assert_eq!((b.code, b.name), (0x7E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED"), "{arch:?}");
    assert_eq!(b.params[0], status_param(arch, AV));
    assert!(k.ext().drivers()[d].image.contains(b.params[1]), "{arch:?}");
    let record = ExceptionRecord::read(k.mem(), b.params[2]).unwrap();
    assert_eq!((record.code, record.address, record.params.clone()), (AV, b.params[1], vec![0, 0x10]));
    let ctx = context::read_over(k.mem(), b.params[3], &Default::default()).unwrap();
    assert_eq!(ctx.ip, b.params[1], "{arch:?}: the context is the faulting one");
    // Both on the thread's own stack, below where it faulted.
    let stack = k.mem().region_at(b.params[2]).unwrap();
    assert_eq!(stack.name, "thread stack", "{arch:?}");
    assert!(b.params[3] > b.params[2] && b.params[3] < ctx.get(Reg::Sp), "{arch:?}");
    let e = exceptions(k).pop().unwrap();
    assert_eq!((e.outcome, e.address), (ExceptionOutcome::Unhandled, b.params[1]), "{arch:?}");
}

#[test]
fn an_unhandled_exception_in_a_system_thread_is_system_thread_exception_not_handled() {
    for arch in both() {
        let (mut k, d, h) = sehthread(arch);
        let r = request::device_control(&mut k, h, ctl(0x802, 0), &words(&[0x10]), &OutBuffer::zeroed(32), false);
        let b = bugcheck_of(r);
        check_system_thread_bugcheck(&k, d, &b, arch);
    }
}

#[test]
fn an_unhandled_exception_in_a_work_item_is_system_thread_exception_not_handled() {
    for arch in both() {
        let (mut k, d, h) = sehthread(arch);
        let r = request::device_control(&mut k, h, ctl(0x803, 0), &words(&[0x10]), &OutBuffer::zeroed(32), false);
        let b = bugcheck_of(r);
        check_system_thread_bugcheck(&k, d, &b, arch);
    }
}
