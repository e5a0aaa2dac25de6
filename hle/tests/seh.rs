//! Exception routines through their real stubs, on both architectures: probes, raises, the
//! context capture, stack walks, MmCopyMemory, and on x86 the dispatcher calling a handler
//! registered by hand in the `fs:[0]` chain. (Compiled `__try` blocks: seh_driver.rs.)
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Prot, RegionKind};
use portcullis_hle::exports::Dll;

const NT: Dll = Dll::Ntoskrnl;

const ACCESS_VIOLATION: u32 = 0xC000_0005;
const DATATYPE_MISALIGNMENT: u32 = 0x8000_0002;
const NONCONTINUABLE_EXCEPTION: u32 = 0xC000_0025;
const EXCEPTION_NONCONTINUABLE: u32 = 1;

/// MmUserProbeAddress of the Windows emulated (7 SP1): the first address a probe refuses.
fn probe_limit(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x7FFF_0000,
        Arch::X64 => 0x7FF_FFFF_0000,
    }
}

/// Memory of the user-mode caller.
fn user(fx: &mut Fx, size: u64, prot: Prot) -> u64 {
    fx.k.mem_mut().alloc(RegionKind::User, "user buffer", size, prot).unwrap()
}

/// The unhandled exception a call ended in: its KMODE_EXCEPTION_NOT_HANDLED parameters with
/// the code as the status it is.
fn unhandled(fx: &mut Fx, name: &str, args: &[u64]) -> (u32, u64, u64, u64) {
    let b = bugcheck(fx.call(NT, name, args));
    assert_eq!(b.code, 0x1E, "{name}: {b:?}");
    (b.params[0] as u32, b.params[1], b.params[2], b.params[3])
}

#[test]
fn probe_for_read_checks_the_range_and_alignment_without_touching_memory() {
    for arch in both() {
        let limit = probe_limit(arch);
        // Inside user space, mapped or not: nothing is read.
        for (at, len, align) in [(limit - 1, 1, 1), (limit - 4, 4, 4), (UNMAPPED, 0x1000, 8), (0x1000, 0x10, 16)] {
            let mut fx = Fx::new(arch);
            fx.call(NT, "ProbeForRead", &[at, len, align]).unwrap_or_else(|e| panic!("{arch:?} {at:#x}: {e:?}"));
        }
        // A length of 0 checks nothing, not even the alignment.
        let mut fx = Fx::new(arch);
        let heap = fx.heap;
        fx.call(NT, "ProbeForRead", &[heap + 1, 0, 4]).unwrap();

        // Misaligned: STATUS_DATATYPE_MISALIGNMENT, raised (noncontinuable, no parameters).
        let mut fx = Fx::new(arch);
        let (code, _, p0, p1) = unhandled(&mut fx, "ProbeForRead", &[0x1002, 4, 4]);
        assert_eq!((code, p0, p1), (DATATYPE_MISALIGNMENT, 0, 0), "{arch:?}");
        let e = exceptions(&fx.k).pop().unwrap();
        assert_eq!((e.flags, e.location.as_str()), (EXCEPTION_NONCONTINUABLE, "ntoskrnl.exe!ProbeForRead"));

        // Reaching MmUserProbeAddress, kernel space, wrapping around: STATUS_ACCESS_VIOLATION.
        for (at, len) in [(limit - 3, 4), (limit, 1), (fx.heap, 1), (limit - 0x10, u64::MAX - 0x100)] {
            let len = if arch == Arch::X86 { len & 0xFFFF_FFFF } else { len };
            let mut fx = Fx::new(arch);
            let (code, _, p0, p1) = unhandled(&mut fx, "ProbeForRead", &[at, len, 1]);
            // Windows gets it by writing to MmUserProbeAddress.
            assert_eq!((code, p0, p1), (ACCESS_VIOLATION, 1, limit), "{arch:?} {at:#x}+{len:#x}");
        }
    }
}

#[test]
fn probe_for_write_touches_every_page() {
    for arch in both() {
        // Writable user memory: probed, left as it was.
        let mut fx = Fx::new(arch);
        let buf = user(&mut fx, 0x3000, Prot::RW);
        fx.k.mem_mut().write(buf + 0x1FFF, &[0x5A]).unwrap();
        fx.call(NT, "ProbeForWrite", &[buf + 0x10, 0x2000, 4]).unwrap();
        assert_eq!(fx.read(buf + 0x1FFF, 1), vec![0x5A]);

        // A read-only page: the write faults, an access violation writing its first byte.
        let mut fx = Fx::new(arch);
        let ro = user(&mut fx, 0x1000, Prot::R);
        let (code, addr, p0, p1) = unhandled(&mut fx, "ProbeForWrite", &[ro + 8, 8, 8]);
        assert_eq!((code, p0, p1), (ACCESS_VIOLATION, 1, ro + 8), "{arch:?}");
        assert_eq!(exceptions(&fx.k).pop().unwrap().address, addr);

        // Running from a mapped page into an unmapped one: the read of the unmapped page faults.
        let mut fx = Fx::new(arch);
        let buf = user(&mut fx, 0x1000, Prot::RW);
        let (code, _, p0, p1) = unhandled(&mut fx, "ProbeForWrite", &[buf + 0xF00, 0x200, 1]);
        assert_eq!((code, p0, p1), (ACCESS_VIOLATION, 0, buf + 0x1000), "{arch:?}");

        // Outside user space, or misaligned: the range checks of ProbeForRead.
        let mut fx = Fx::new(arch);
        let heap = fx.heap;
        let (code, _, _, _) = unhandled(&mut fx, "ProbeForWrite", &[heap, 4, 4]);
        assert_eq!(code, ACCESS_VIOLATION);
        let mut fx = Fx::new(arch);
        let (code, _, _, _) = unhandled(&mut fx, "ProbeForWrite", &[0x1001, 4, 2]);
        assert_eq!(code, DATATYPE_MISALIGNMENT);
    }
}

#[test]
fn raised_statuses_nobody_handles_end_the_run_with_their_code_and_the_callers_address() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (code, addr, p0, p1) = unhandled(&mut fx, "ExRaiseStatus", &[0xC000_1234]);
        assert_eq!((code, addr, p0, p1), (0xC000_1234, fx.site, 0, 0), "{arch:?}");
        let e = exceptions(&fx.k).pop().unwrap();
        assert_eq!(e.flags, EXCEPTION_NONCONTINUABLE);
        assert_eq!(e.detail.unwrap().frames[0].pc, fx.site, "the call stack starts at the raise");

        let mut fx = Fx::new(arch);
        assert_eq!(unhandled(&mut fx, "ExRaiseAccessViolation", &[]).0, ACCESS_VIOLATION);
        let mut fx = Fx::new(arch);
        assert_eq!(unhandled(&mut fx, "ExRaiseDatatypeMisalignment", &[]).0, DATATYPE_MISALIGNMENT);

        // RtlRaiseException: the caller's record, its address set to the return address.
        let mut fx = Fx::new(arch);
        let record = exception_record(&mut fx, 0xE000_0042, 0, &[7, 8]);
        let (code, addr, p0, p1) = unhandled(&mut fx, "RtlRaiseException", &[record]);
        assert_eq!((code, addr, p0, p1), (0xE000_0042, fx.site, 7, 8), "{arch:?}");
        let at = if arch == Arch::X86 { 12 } else { 16 };
        assert_eq!(fx.read_ptr(record + at), fx.site, "ExceptionAddress written back");
    }
}

/// An EXCEPTION_RECORD in the heap.
fn exception_record(fx: &mut Fx, code: u32, flags: u32, params: &[u64]) -> u64 {
    let ps = fx.arch.ptr_size();
    let at = fx.alloc(0x98);
    let mem = fx.k.mem_mut();
    mem.write_u32(at, code).unwrap();
    mem.write_u32(at + 4, flags).unwrap();
    // NumberParameters, then ExceptionInformation[].
    let (count, info) = if ps == 4 { (16, 20) } else { (24, 32) };
    mem.write_u32(at + count, params.len() as u32).unwrap();
    for (i, p) in params.iter().enumerate() {
        mem.write_ptr(at + info + (i as u64) * ps, *p).unwrap();
    }
    at
}

#[test]
fn rtl_capture_context_gives_the_callers_registers_as_windows_does() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ctx = fx.alloc(0x4D0);
        fx.call(NT, "RtlCaptureContext", &[ctx]).unwrap();
        let u32_at = |fx: &Fx, o: u64| u32::from_le_bytes(fx.read(ctx + o, 4).try_into().unwrap()) as u64;
        let u64_at = |fx: &Fx, o: u64| u64::from_le_bytes(fx.read(ctx + o, 8).try_into().unwrap());
        // The thunk keeps the stack pointer of just before its call in EBX/RBX.
        match arch {
            Arch::X64 => {
                // The caller's registers after the return.
                let (ip, sp, bx) = (u64_at(&fx, 0xF8), u64_at(&fx, 0x98), u64_at(&fx, 0x90));
                assert_eq!((ip, sp), (fx.site, bx));
                // CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS | FLOATING_POINT
                assert_eq!(u32_at(&fx, 0x30), 0x10_000F);
                assert_ne!(u32_at(&fx, 0x38) & 0xFFFF, 0, "SegCs");
            }
            Arch::X86 => {
                // Read through EBP: the thunk's frame (push ebp; mov ebp, esp; push ebx; push
                // the argument: EBP = EBX + 8) as if the thunk had returned to its caller.
                let (ip, sp, bp, bx) = (u32_at(&fx, 0xB8), u32_at(&fx, 0xC4), u32_at(&fx, 0xB4), u32_at(&fx, 0xA4));
                let ebp = bx + 8;
                assert_eq!((ip, sp, bp), (word(&fx, ebp + 4), ebp + 8, word(&fx, ebp)));
                // CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS
                assert_eq!(u32_at(&fx, 0), 0x1_0007);
                assert_ne!(u32_at(&fx, 0xBC), 0, "SegCs");
            }
        }
    }
}

#[test]
fn stack_walks_start_at_the_caller() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(0x100);
        let n = fx.call(NT, "RtlWalkFrameChain", &[out, 16, 0]).unwrap() as u32;
        assert!(n >= 1, "{arch:?}");
        assert_eq!(fx.read_ptr(out), fx.site);
        // The user-mode stack: none.
        assert_eq!(fx.call(NT, "RtlWalkFrameChain", &[out, 16, 1]).unwrap() as u32, 0);

        let hash = fx.alloc(4);
        let n = fx.call(NT, "RtlCaptureStackBackTrace", &[0, 16, out, hash]).unwrap() as u16;
        assert!(n >= 1);
        assert_eq!(fx.read_ptr(out), fx.site);
        let ps = arch.ptr_size() as usize;
        let sum = (0..n as usize).fold(0u32, |h, i| h.wrapping_add(fx.read_ptr(out + (i * ps) as u64) as u32));
        assert_eq!(fx.read(hash, 4), sum.to_le_bytes());
        // Skipping more frames than there are: none.
        assert_eq!(fx.call(NT, "RtlCaptureStackBackTrace", &[64, 16, out, 0]).unwrap() as u16, 0);
    }
}

#[test]
fn mm_copy_memory_copies_what_it_can_read_and_says_how_much() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // MM_COPY_ADDRESS is 8 bytes: two argument slots on x86.
        let args = |fx: &Fx, target: u64, source: u64, n: u64, flags: u64, done: u64| -> Vec<u64> {
            match fx.arch {
                Arch::X86 => vec![target, source & 0xFFFF_FFFF, source >> 32, n, flags, done],
                Arch::X64 => vec![target, source, n, flags, done],
            }
        };
        let data: Vec<u8> = (0..=255u8).collect();
        let src = fx.put(&data);
        let dst = fx.alloc(0x100);
        let done = fx.alloc(8);
        // Virtual.
        let a = args(&fx, dst, src, 0x100, 2, done);
        assert_eq!(fx.call(NT, "MmCopyMemory", &a).unwrap() as u32, 0);
        assert_eq!((fx.read(dst, 0x100), fx.read_ptr(done)), (data.clone(), 0x100));
        // Physical: the frame behind the same bytes.
        let pa = fx.k.mem().translate(src).unwrap();
        let dst2 = fx.alloc(0x100);
        let a = args(&fx, dst2, pa, 0x100, 1, done);
        assert_eq!(fx.call(NT, "MmCopyMemory", &a).unwrap() as u32, 0);
        assert_eq!(fx.read(dst2, 0x100), data);

        // Running off the end of mapped memory: STATUS_PARTIAL_COPY with the bytes before it.
        let end = fx.heap + HEAP;
        let a = args(&fx, dst, end - 0x10, 0x40, 2, done);
        assert_eq!(fx.call(NT, "MmCopyMemory", &a).unwrap() as u32, 0x8000_000D);
        assert_eq!(fx.read_ptr(done), 0x10);
        // Nothing at all: user space nobody mapped, physical memory below RAM.
        for (source, flags) in [(UNMAPPED, 2), (0x1000, 1)] {
            let a = args(&fx, dst, source, 0x10, flags, done);
            assert_eq!(fx.call(NT, "MmCopyMemory", &a).unwrap() as u32, 0x8000_000D, "{arch:?} {source:#x}");
            assert_eq!(fx.read_ptr(done), 0);
        }
        // Neither or both kinds of address: refused.
        for flags in [0, 3] {
            let a = args(&fx, dst, src, 0x10, flags, done);
            assert_eq!(fx.call(NT, "MmCopyMemory", &a).unwrap() as u32, 0xC000_000D);
        }
    }
}

/// x86: a handler linked into the `fs:[0]` chain by hand (as compiled code does) is called
/// with the exception record, its registration, the context and the dispatcher context; it
/// continues exceptions with code `continue_code` and passes on the others.
struct Registered {
    registration: u64,
    /// What the handler saw last: record pointer, registration, context pointer, calls, code.
    seen: u64,
}

fn register_x86_handler(fx: &mut Fx, continue_code: u32) -> Registered {
    let seen = fx.alloc(20);
    let code = fx.k.mem_mut().alloc(RegionKind::System, "handler", 0x1000, Prot::RWX).unwrap();
    let s = |o: u32| (seen as u32 + o).to_le_bytes();
    let mut c = vec![0x8B, 0x44, 0x24, 0x04, 0xA3]; // mov eax, [esp+4]; mov [seen], eax
    c.extend(s(0));
    c.extend([0x8B, 0x08, 0x89, 0x0D]); // mov ecx, [eax]; mov [seen+16], ecx
    c.extend(s(16));
    c.extend([0x8B, 0x44, 0x24, 0x08, 0xA3]); // mov eax, [esp+8]; mov [seen+4], eax
    c.extend(s(4));
    c.extend([0x8B, 0x44, 0x24, 0x0C, 0xA3]); // mov eax, [esp+12]; mov [seen+8], eax
    c.extend(s(8));
    c.extend([0xFF, 0x05]); // inc dword [seen+12]
    c.extend(s(12));
    c.extend([0x31, 0xC0, 0x81, 0xF9]); // xor eax, eax; cmp ecx, continue_code
    c.extend(continue_code.to_le_bytes());
    c.extend([0x74, 0x05, 0xB8, 1, 0, 0, 0, 0xC3]); // je +5; mov eax, 1; ret
    fx.k.mem_mut().write(code, &c).unwrap();
    // The registration lives on the stack, well below where the call runs.
    let (low, _) = fx.k.stack_limits();
    let registration = low + 0x1000;
    let kpcr = fx.k.mem().layout().kpcr;
    let head = fx.k.mem().read_u32(kpcr).unwrap();
    fx.k.mem_mut().write_u32(registration, head).unwrap();
    fx.k.mem_mut().write_u32(registration + 4, code as u32).unwrap();
    fx.k.mem_mut().write_u32(kpcr, registration as u32).unwrap();
    Registered { registration, seen }
}

fn word(fx: &Fx, at: u64) -> u64 {
    fx.k.mem().read_u32(at).unwrap() as u64
}

#[test]
fn x86_a_registered_handler_continues_a_raised_exception() {
    let mut fx = Fx::new(Arch::X86);
    let h = register_x86_handler(&mut fx, 0xE000_0001);
    let record = exception_record(&mut fx, 0xE000_0001, 0, &[0x11, 0x22]);
    fx.call(NT, "RtlRaiseException", &[record]).expect("continued: RtlRaiseException returns");
    assert_eq!(word(&fx, h.seen + 12), 1, "called once");
    assert_eq!(word(&fx, h.seen + 4), h.registration);
    let (rec, ctx) = (word(&fx, h.seen), word(&fx, h.seen + 8));
    assert_eq!((word(&fx, rec), word(&fx, rec + 12), word(&fx, rec + 20)), (0xE000_0001, fx.site, 0x11));
    assert_eq!(word(&fx, ctx + 0xB8), fx.site, "the context is the caller's, after the call");
    let e = exceptions(&fx.k).pop().unwrap();
    assert_eq!(e.outcome, portcullis_hle::seh::events::ExceptionOutcome::Continued { at: fx.site });
}

#[test]
fn x86_a_handler_that_passes_leaves_the_exception_unhandled() {
    let mut fx = Fx::new(Arch::X86);
    let h = register_x86_handler(&mut fx, 0);
    let record = exception_record(&mut fx, 0xE000_0001, 0, &[0x11, 0x22]);
    let (code, addr, p0, p1) = unhandled(&mut fx, "RtlRaiseException", &[record]);
    assert_eq!((code, addr, p0, p1), (0xE000_0001, fx.site, 0x11, 0x22));
    assert_eq!(word(&fx, h.seen + 12), 1);
}

#[test]
fn x86_continuing_a_noncontinuable_exception_raises_another() {
    let mut fx = Fx::new(Arch::X86);
    let h = register_x86_handler(&mut fx, 0xE000_0001);
    let record = exception_record(&mut fx, 0xE000_0001, EXCEPTION_NONCONTINUABLE, &[]);
    let (code, _, _, _) = unhandled(&mut fx, "RtlRaiseException", &[record]);
    assert_eq!(code, NONCONTINUABLE_EXCEPTION);
    // Called for the first exception, then for STATUS_NONCONTINUABLE_EXCEPTION, whose record
    // chains to the first.
    assert_eq!(word(&fx, h.seen + 12), 2);
    assert_eq!(word(&fx, h.seen + 16), NONCONTINUABLE_EXCEPTION as u64);
    let second = word(&fx, h.seen);
    let first = word(&fx, second + 8);
    assert_eq!((word(&fx, first), word(&fx, first + 4) & 1), (0xE000_0001, 1));
}
