//! Compiled `__try`/`__except`/`__finally` blocks, end to end on both architectures: the seh
//! corpus driver (clang, MSVC targets: `__C_specific_handler` on x64, `_except_handler3` on
//! x86) faults, raises and probes, and its handlers take what Windows would give them; what
//! nobody handles ends in the bugcheck Windows raises, with its parameters.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::*;

use portcullis_hle::seh::events::ExceptionOutcome;

const AV: u32 = 0xC000_0005;

fn seh(arch: Arch) -> (Kx, usize, request::FileHandle) {
    let (mut k, d) = started("seh", arch);
    let h = open(&mut k, "\\\\.\\Seh");
    (k, d, h)
}

fn words(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The request's output words.
fn call(k: &mut Kx, h: request::FileHandle, function: u32, input: &[u32]) -> Vec<u32> {
    let r = ioctl(k, h, ctl(function, 0), &words(input), 64);
    assert_eq!(r.status(), status::SUCCESS, "request {function:#x}");
    u32s(r.output())
}

#[test]
fn handled_faults_raises_and_probes() {
    for arch in both() {
        let (mut k, d, h) = seh(arch);
        // A bad user pointer read inside __try: the filter sees the access violation (a read
        // of 0x10), the __except block runs.
        assert_eq!(call(&mut k, h, 0x800, &[0x10]), [1, AV, 0, 0x10], "{arch:?}");
        let e = exceptions(&k).pop().unwrap();
        assert_eq!((e.code, e.params.clone()), (AV, vec![0, 0x10]));
        let ExceptionOutcome::Handled { target, .. } = e.outcome else { panic!("{:?}", e.outcome) };
        assert!(k.ext().drivers()[d].image.contains(target), "resumed in the driver");
        assert!(k.ext().drivers()[d].image.contains(e.address));

        // Nested __try blocks: the filter first, then the three __finally blocks during the
        // unwind (innermost first, each seeing an abnormal termination), then __except.
        assert_eq!(call(&mut k, h, 0x802, &[0x20]), [5, 0x30, 0x21, 0x22, 0x23, 0x40]);
        // A filter that raises: its exception goes to the outer handler.
        assert_eq!(call(&mut k, h, 0x803, &[]), [2, 0xE000_0001]);
        // ExRaiseStatus caught with its status.
        assert_eq!(call(&mut k, h, 0x804, &[0xC000_1234]), [0xC000_1234]);
        // Division by zero caught; by 7, no exception.
        assert_eq!(call(&mut k, h, 0x805, &[0]), [1, 0xC000_0094]);
        assert_eq!(call(&mut k, h, 0x805, &[7]), [0, 14]);
        // A fault three frames below its handler; on x64 through an 8 KiB frame with a frame
        // pointer, pushed and saved non-volatiles (xmm6 too) and a chained unwind entry. Every
        // callee-saved register of the frames above comes back.
        assert_eq!(call(&mut k, h, 0x808, &[0x30]), [AV, 0]);
        // Continuing a continuable exception; continuing a noncontinuable one is
        // STATUS_NONCONTINUABLE_EXCEPTION, chained to it.
        assert_eq!(call(&mut k, h, 0x809, &[]), [1, 1]);
        assert_eq!(call(&mut k, h, 0x80A, &[]), [0xC000_0025, 0xE000_0003]);
        // A fault inside the kernel's memcpy reaches the driver's handler.
        assert_eq!(call(&mut k, h, 0x80B, &[0x40]), [1, AV]);
        // int3 and an MSR the CPU lacks.
        assert_eq!(call(&mut k, h, 0x80D, &[]), [0x8000_0003]);
        assert_eq!(call(&mut k, h, 0x80E, &[]), [1, 0xC000_0096]);
        // An exception raised by a __finally block during an unwind, caught further out.
        assert_eq!(call(&mut k, h, 0x80F, &[0x50]), [5, 0x30, 0x21, 0x31, 0x22, 0x50]);
        // ProbeForWrite of unmapped user memory and misaligned: caught.
        assert_eq!(call(&mut k, h, 0x813, &[0x2000_0000, 0, 8, 4]), [1, AV, 0, 0x2000_0000]);
        assert_eq!(call(&mut k, h, 0x813, &[0x1000_0002, 0, 8, 4]), [1, 0x8000_0002, 0, 0]);
        // ProbeForRead misaligned.
        assert_eq!(call(&mut k, h, 0x812, &[0x1000_0001, 8, 4]), [1, 0x8000_0002, 0, 0]);

        // Every exception so far was handled or continued, none ended the run.
        assert!(exceptions(&k)
            .iter()
            .all(|e| matches!(e.outcome, ExceptionOutcome::Handled { .. } | ExceptionOutcome::Continued { .. })));
        request::close(&mut k, h).unwrap();
        let u = driver::unload(&mut k, d).unwrap();
        assert!(u.leaks.is_empty(), "{:?}", u.leaks);
    }
}

#[test]
fn an_unhandled_bad_user_pointer_is_kmode_exception_not_handled() {
    for arch in both() {
        let (mut k, d, h) = seh(arch);
        let r = request::device_control(&mut k, h, ctl(0x806, 0), &words(&[0x10]), &OutBuffer::zeroed(64), false);
        let b = bugcheck_of(r);
        // (code, address, ExceptionInformation[0] (a read), [1] (the address))
        assert_eq!((b.code, b.name), (0x1E, "KMODE_EXCEPTION_NOT_HANDLED"), "{arch:?}");
        assert_eq!([b.params[0], b.params[2], b.params[3]], [status_param(arch, AV), 0, 0x10]);
        let image = &k.ext().drivers()[d].image;
        assert!(image.contains(b.params[1]));
        let e = exceptions(&k).pop().unwrap();
        assert_eq!((e.outcome.clone(), e.address), (ExceptionOutcome::Unhandled, b.params[1]));
        let detail = e.detail.unwrap();
        assert!(detail.instruction.unwrap().starts_with("mov"), "the faulting read");
        // The call stack: the faulting function, then the dispatch routine that called it,
        // both in the driver, named by image and offset.
        let frames = detail.frames;
        assert!(frames.len() >= 2, "{frames:?}");
        assert_eq!(frames[0].pc, b.params[1]);
        assert!(frames.iter().take(2).all(|f| image.contains(f.pc) && f.location.starts_with("seh+")), "{frames:?}");
    }
}

#[test]
fn an_invalid_kernel_address_is_page_fault_in_nonpaged_area_without_asking_the_handler() {
    for arch in both() {
        let (mut k, d, h) = seh(arch);
        let r = request::device_control(&mut k, h, ctl(0x807, 0), &[], &OutBuffer::zeroed(64), false);
        let b = bugcheck_of(r);
        let address = if arch == Arch::X64 { 0xFFFF_F806_0000_1000 } else { 0xB000_1000 };
        // (address, 0: a read, the faulting instruction, 0)
        assert_eq!((b.code, b.params[0], b.params[1], b.params[3]), (0x50, address, 0, 0), "{arch:?}");
        assert!(k.ext().drivers()[d].image.contains(b.params[2]));
        let e = exceptions(&k).pop().unwrap();
        assert_eq!(e.outcome, ExceptionOutcome::Fatal);
    }
}

#[test]
fn fast_fail_is_kernel_security_check_failure() {
    for arch in both() {
        let (mut k, _, h) = seh(arch);
        let r = request::device_control(&mut k, h, ctl(0x80C, 0), &[], &OutBuffer::zeroed(64), false);
        let b = bugcheck_of(r);
        // FAST_FAIL_STACK_COOKIE_CHECK_FAILURE (2): what a failed /GS check raises.
        assert_eq!((b.code, b.params), (0x139, [2, 0, 0, 0]), "{arch:?}");
        assert!(b.reason.contains("__fastfail(2)"), "{}", b.reason);
    }
}
