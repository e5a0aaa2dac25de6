//! ndis.sys's library routines through the real stubs, both architectures: memory, spin
//! locks (the IRQL they raise to and restore), events and timed waits, the processor count,
//! routine lookup.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const N: Dll = Dll::Ndis;
const NT: Dll = Dll::Ntoskrnl;

fn irql(fx: &mut Fx) -> u64 {
    if fx.arch == Arch::X86 {
        fx.call(Dll::Hal, "KeGetCurrentIrql", &[]).unwrap() & 0xFF
    } else {
        fx.call(NT, "KeGetCurrentIrql", &[]).unwrap() & 0xFF
    }
}

#[test]
fn memory_and_spin_locks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        assert_eq!(fx.call(N, "NdisAllocateMemoryWithTag", &[out, 64, tag(b"Nds1")]).unwrap(), 0, "{arch:?}");
        let p = fx.read_ptr(out);
        assert!(fx.k.ext().pool.block(p).is_some(), "{arch:?}");
        fx.call(N, "NdisFreeMemory", &[p, 64, 0]).unwrap();
        assert!(fx.k.ext().pool.block(p).is_none(), "{arch:?}: freed");
        let lock = fx.alloc(16);
        fx.call(N, "NdisAllocateSpinLock", &[lock]).unwrap();
        assert_eq!(irql(&mut fx), 0);
        fx.call(N, "NdisAcquireSpinLock", &[lock]).unwrap();
        assert_eq!(irql(&mut fx), 2, "{arch:?}: DISPATCH_LEVEL");
        assert_ne!(fx.read_ptr(lock), 0, "{arch:?}: held");
        fx.call(N, "NdisReleaseSpinLock", &[lock]).unwrap();
        assert_eq!((irql(&mut fx), fx.read_ptr(lock)), (0, 0), "{arch:?}: back to PASSIVE_LEVEL, free");
        fx.call(N, "NdisFreeSpinLock", &[lock]).unwrap();
    }
}

#[test]
fn events_wait_with_a_limit_and_the_system_is_described() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let event = fx.alloc(32);
        fx.call(N, "NdisInitializeEvent", &[event]).unwrap();
        assert_eq!(fx.call(N, "NdisWaitEvent", &[event, 10]).unwrap() & 0xFF, 0, "{arch:?}: not signaled: timed out");
        fx.call(N, "NdisSetEvent", &[event]).unwrap();
        assert_eq!(fx.call(N, "NdisWaitEvent", &[event, 0]).unwrap() & 0xFF, 1, "{arch:?}");
        assert_eq!(
            fx.call(N, "NdisWaitEvent", &[event, 10]).unwrap() & 0xFF,
            1,
            "{arch:?}: a notification event stays set"
        );
        fx.call(N, "NdisResetEvent", &[event]).unwrap();
        assert_eq!(fx.call(N, "NdisWaitEvent", &[event, 10]).unwrap() & 0xFF, 0, "{arch:?}");
        assert_eq!(fx.call(N, "NdisSystemProcessorCount", &[]).unwrap() & 0xFF, 2);
        let name = fx.ustr("NdisSetEvent");
        assert_eq!(fx.call(N, "NdisGetRoutineAddress", &[name]).unwrap(), fx.stub(N, "NdisSetEvent"), "{arch:?}");
        let name = fx.ustr("NdisNoSuchRoutine");
        assert_eq!(fx.call(N, "NdisGetRoutineAddress", &[name]).unwrap(), 0);
    }
}
