//! PsGetContextThread and PsSetContextThread through the real stubs on both architectures:
//! the calling thread's registers at the call, a waiting thread's saved registers, the
//! register groups ContextFlags names (and only those), the user-mode probe, and setting the
//! calling thread's context (the call returns into it).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::{Fx, UNMAPPED};
use common::guest::{ok, ok32, routine, K};
use common::*;

const CONTROL: u32 = 0x1;
const INTEGER: u32 = 0x2;
const UNSUCCESSFUL: u32 = 0xC000_0001;
const ACCESS_VIOLATION: u32 = 0xC000_0005;
const MISALIGNMENT: u32 = 0x8000_0002;

fn arch_bit(arch: Arch) -> u32 {
    match arch {
        Arch::X86 => 0x1_0000,
        Arch::X64 => 0x10_0000,
    }
}

/// (ContextFlags offset, Ip, Sp, Ax, Bx) offsets of the CONTEXT, and its size.
fn offsets(arch: Arch) -> (u64, u64, u64, u64, u64, u64) {
    match arch {
        Arch::X86 => (0, 0xb8, 0xc4, 0xb0, 0xa4, 0x2cc),
        Arch::X64 => (0x30, 0xf8, 0x98, 0x78, 0x90, 0x4d0),
    }
}

fn word(fx: &Fx, at: u64) -> u64 {
    match fx.arch {
        Arch::X86 => fx.k.mem().read_u32(at).unwrap() as u64,
        Arch::X64 => fx.k.mem().read_u64(at).unwrap(),
    }
}

/// A CONTEXT buffer filled with 0xCC, asking for `groups`.
fn record(fx: &mut Fx, groups: u32) -> u64 {
    let (flags_at, .., size) = offsets(fx.arch);
    let at = fx.alloc(size + 32);
    let at = (at + 15) & !15;
    fx.k.mem_mut().write(at, &vec![0xCC; size as usize + 8]).unwrap();
    fx.k.mem_mut().write_u32(at + flags_at, arch_bit(fx.arch) | groups).unwrap();
    at
}

#[test]
fn the_calling_thread_gets_its_registers_at_the_call() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (_, ip, sp, ax, bx, size) = offsets(arch);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let popped = if arch == Arch::X86 { 12 } else { 0 };

        // CONTROL and INTEGER: the return address, the stack past it and the arguments the
        // routine pops (the thunk keeps the stack pointer before the call in EBX/RBX).
        let c = record(&mut fx, CONTROL | INTEGER);
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[me, c, 0]), 0, "{arch:?}");
        assert_eq!(word(&fx, c + ip), fx.site, "{arch:?}: Ip");
        let before_call = word(&fx, c + bx);
        assert_eq!(word(&fx, c + sp), before_call + popped, "{arch:?}: Sp");
        assert_eq!(fx.read(c + size, 1), [0xCC], "{arch:?}: nothing past the record");

        // CONTROL only: the integer registers read as zero.
        let c = record(&mut fx, CONTROL);
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[me, c, 0]), 0, "{arch:?}");
        assert_eq!(word(&fx, c + ip), fx.site, "{arch:?}");
        assert_eq!((word(&fx, c + ax), word(&fx, c + bx)), (0, 0), "{arch:?}: INTEGER not asked for");
        if arch == Arch::X86 {
            // Without CONTEXT_EXTENDED_REGISTERS the x86 record ends before them.
            assert_eq!(fx.read(c + 0xcc, 1), [0xCC]);
        }
    }
}

#[test]
fn user_mode_records_are_probed_and_bad_records_fail_with_the_exception_status() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let c = record(&mut fx, CONTROL);
        // A kernel-space record from a user-mode request: the probe's access violation.
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[me, c, 1]), ACCESS_VIOLATION, "{arch:?}");
        assert_eq!(ok32(&mut fx, "PsSetContextThread", &[me, c, 1]), ACCESS_VIOLATION, "{arch:?}");
        // Misaligned in user space.
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[me, 0x10001, 1]), MISALIGNMENT, "{arch:?}");
        // A record that is not there.
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[me, UNMAPPED, 0]), ACCESS_VIOLATION, "{arch:?}");
        // Not a thread: the dereference's bugcheck.
        let not_thread = fx.alloc(0x40);
        let b = common::fx::bugcheck(guest_call(&mut fx, "PsGetContextThread", &[not_thread, c, 0]));
        assert_eq!(b.code, 0x18, "{arch:?}");
    }
}

fn guest_call(fx: &mut Fx, name: &str, args: &[u64]) -> Result<u64, Stop<KernelStop>> {
    common::guest::call(fx, name, args)
}

#[test]
fn a_waiting_thread_shows_the_registers_it_left_with() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (_, ip, ..) = offsets(arch);
        let event = fx.alloc(0x20);
        ok(&mut fx, "KeInitializeEvent", &[event, 0, 0]);
        let start = routine(&mut fx, 1, |a, r| {
            let (wait, c) = r("KeWaitForSingleObject");
            a.call(wait, c, &[K(event), K(0), K(0), K(0), K(0)]);
        });
        let h = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "PsCreateSystemThread", &[h, 0, 0, 0, 0, start, 0]), 0);
        let handle = fx.read_ptr(h);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "ObReferenceObjectByHandle", &[handle, 0, 0, 0, out, 0]), 0, "{arch:?}");
        let thread = fx.read_ptr(out);

        // Not started yet: its registers are held nowhere.
        let c = record(&mut fx, CONTROL);
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[thread, c, 0]), UNSUCCESSFUL, "{arch:?}");

        // Waiting: inside KeWaitForSingleObject.
        portcullis_hle::ke::scheduler::settle(&mut fx.k).unwrap();
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[thread, c, 0]), 0, "{arch:?}");
        let wait_stub = fx.stub(common::guest::dll_of(arch, "KeWaitForSingleObject"), "KeWaitForSingleObject");
        assert_eq!(word(&fx, c + ip), wait_stub, "{arch:?}: parked in the wait");
        // Its saved registers are not replaced.
        assert_eq!(ok32(&mut fx, "PsSetContextThread", &[thread, c, 0]), UNSUCCESSFUL, "{arch:?}");

        // The thread goes on as before.
        ok(&mut fx, "KeSetEvent", &[event, 0, 0]);
        portcullis_hle::ke::scheduler::settle(&mut fx.k).unwrap();
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[thread, c, 0]), UNSUCCESSFUL, "{arch:?}: ended");
        ok(&mut fx, "ObfDereferenceObject", &[thread]);
        ok(&mut fx, "ZwClose", &[handle]);
    }
}

#[test]
fn setting_the_calling_threads_context_returns_into_it() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (_, _, _, ax, ..) = offsets(arch);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        // Get the context at a call, then set it from the same place with another Eax/Rax:
        // the call returns into it, with that value.
        let c = record(&mut fx, CONTROL | INTEGER);
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[me, c, 0]), 0);
        match arch {
            Arch::X86 => fx.k.mem_mut().write_u32(c + ax, 0x1234_5678).unwrap(),
            Arch::X64 => fx.k.mem_mut().write_u64(c + ax, 0x1234_5678).unwrap(),
        }
        assert_eq!(ok(&mut fx, "PsSetContextThread", &[me, c, 0]), 0x1234_5678, "{arch:?}");
        // CONTROL only: the call returns STATUS_SUCCESS where it was called.
        let c = record(&mut fx, CONTROL);
        assert_eq!(ok32(&mut fx, "PsGetContextThread", &[me, c, 0]), 0);
        assert_eq!(ok32(&mut fx, "PsSetContextThread", &[me, c, 0]), 0, "{arch:?}");
    }
}
