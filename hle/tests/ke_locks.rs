//! Locks and IRQL on both architectures, through the real stubs: spin locks in every form,
//! fast and guarded mutexes, executive resources, push locks, rundown protection, critical
//! and guarded regions, interlocked operations, S-lists and lookaside lists, and the
//! bugchecks and deadlocks of misuse.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::layout::{FieldAccess, ERESOURCE, FAST_MUTEX, GENERAL_LOOKASIDE, KLOCK_QUEUE_HANDLE};

fn irql(fx: &mut Fx) -> u8 {
    ok(fx, "KeGetCurrentIrql", &[]) as u8
}

fn li(fx: &mut Fx, v: i64) -> u64 {
    fx.put(&v.to_le_bytes())
}

/// Lets 1 ms pass: ready threads run meanwhile.
fn pause(fx: &mut Fx) {
    let d = li(fx, -10_000);
    assert_eq!(ok32(fx, "KeDelayExecutionThread", &[0, 0, d]), 0);
}

fn thread(fx: &mut Fx, start: u64) {
    let h = fx.alloc(8);
    assert_eq!(ok32(fx, "PsCreateSystemThread", &[h, 0x1F_FFFF, 0, 0, 0, start, 0]), 0);
    let handle = fx.read_ptr(h);
    ok(fx, "ZwClose", &[handle]);
}

fn deadlock<T: std::fmt::Debug>(r: Result<T, Stop<KernelStop>>) -> portcullis_hle::ke::wait_graph::Deadlock {
    match r {
        Err(Stop::Host(KernelStop::Deadlock(d))) => d,
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

/// Raises to DISPATCH_LEVEL and takes the lock, the way each architecture exports it.
fn acquire(fx: &mut Fx, lock: u64) -> u64 {
    match fx.arch {
        Arch::X86 => ok(fx, "KfAcquireSpinLock", &[lock]),
        Arch::X64 => ok(fx, "KeAcquireSpinLockRaiseToDpc", &[lock]),
    }
}

fn release(fx: &mut Fx, lock: u64, old: u64) {
    match fx.arch {
        Arch::X86 => ok(fx, "KfReleaseSpinLock", &[lock, old]),
        Arch::X64 => ok(fx, "KeReleaseSpinLock", &[lock, old]),
    };
}

#[test]
fn spin_locks_raise_to_dispatch_level_and_back() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let lock = fx.alloc(8);
        fx.k.mem_mut().write_u32(lock, 0x5555).unwrap();
        ok(&mut fx, "KeInitializeSpinLock", &[lock]);
        assert_eq!(fx.read_ptr(lock), 0);
        assert_eq!(ok32(&mut fx, "KeTestSpinLock", &[lock]) & 0xFF, 1, "{arch:?}: free");
        let old = acquire(&mut fx, lock);
        assert_eq!((old & 0xFF, irql(&mut fx)), (0, 2));
        assert_ne!(fx.read_ptr(lock), 0, "held");
        assert_eq!(ok32(&mut fx, "KeTestSpinLock", &[lock]) & 0xFF, 0);
        assert_eq!(ok32(&mut fx, "KeTryToAcquireSpinLockAtDpcLevel", &[lock]) & 0xFF, 0);
        release(&mut fx, lock, old);
        assert_eq!((fx.read_ptr(lock), irql(&mut fx)), (0, 0));

        // KeAcquireSpinLock writes the old IRQL (x86 HAL export; a macro over
        // KeAcquireSpinLockRaiseToDpc on x64).
        if arch == Arch::X86 {
            let saved = fx.alloc(1);
            ok(&mut fx, "KeAcquireSpinLock", &[lock, saved]);
            assert_eq!((fx.read(saved, 1)[0], irql(&mut fx)), (0, 2));
            ok(&mut fx, "KeReleaseSpinLock", &[lock, 0]);
            assert_eq!(irql(&mut fx), 0);
        }

        // At DISPATCH_LEVEL already: the AtDpcLevel forms leave the IRQL alone.
        let old = ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        ok(&mut fx, "KeAcquireSpinLockAtDpcLevel", &[lock]);
        assert_ne!(fx.read_ptr(lock), 0);
        ok(&mut fx, "KeReleaseSpinLockFromDpcLevel", &[lock]);
        if arch == Arch::X86 {
            ok(&mut fx, "KefAcquireSpinLockAtDpcLevel", &[lock]);
            ok(&mut fx, "KefReleaseSpinLockFromDpcLevel", &[lock]);
        }
        assert_eq!(ok32(&mut fx, "KeTryToAcquireSpinLockAtDpcLevel", &[lock]) & 0xFF, 1);
        ok(&mut fx, "KeReleaseSpinLockFromDpcLevel", &[lock]);
        assert_eq!(irql(&mut fx), 2);
        lower(&mut fx, old);

        // RaiseToSynch: SYNCH_LEVEL, 27 on x86 and 12 on x64.
        let old = ok(&mut fx, "KeAcquireSpinLockRaiseToSynch", &[lock]);
        assert_eq!(irql(&mut fx), if arch == Arch::X86 { 27 } else { 12 });
        release(&mut fx, lock, old);
        assert_eq!(irql(&mut fx), 0);
    }
}

fn lower(fx: &mut Fx, to: u64) {
    match fx.arch {
        Arch::X86 => ok(fx, "KfLowerIrql", &[to]),
        Arch::X64 => ok(fx, "KeLowerIrql", &[to]),
    };
}

#[test]
fn in_stack_queued_spin_locks_keep_the_old_irql_in_the_handle() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let lock = fx.alloc(8);
        let h = fx.alloc(KLOCK_QUEUE_HANDLE::STRUCT.size(arch));
        ok(&mut fx, "KeAcquireInStackQueuedSpinLock", &[lock, h]);
        assert_eq!(irql(&mut fx), 2, "{arch:?}");
        assert_eq!(fx.k.mem().get(h, KLOCK_QUEUE_HANDLE::OldIrql).unwrap(), 0);
        assert_eq!(fx.k.mem().get(h, KLOCK_QUEUE_HANDLE::LockQueueLock).unwrap(), lock);
        assert_eq!(fx.read_ptr(lock), h, "the lock points at the queue entry while held");
        ok(&mut fx, "KeReleaseInStackQueuedSpinLock", &[h]);
        assert_eq!((irql(&mut fx), fx.read_ptr(lock)), (0, 0));

        // ForDpc: raises only when below DISPATCH_LEVEL, and restores what it found.
        ok(&mut fx, "KeAcquireInStackQueuedSpinLockForDpc", &[lock, h]);
        assert_eq!(irql(&mut fx), 2);
        ok(&mut fx, "KeReleaseInStackQueuedSpinLockForDpc", &[h]);
        assert_eq!(irql(&mut fx), 0);
        let old = ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        ok(&mut fx, "KeAcquireInStackQueuedSpinLockForDpc", &[lock, h]);
        ok(&mut fx, "KeReleaseInStackQueuedSpinLockForDpc", &[h]);
        assert_eq!(irql(&mut fx), 2);
        ok(&mut fx, "KeAcquireInStackQueuedSpinLockAtDpcLevel", &[lock, h]);
        assert_eq!(fx.read_ptr(lock), h);
        ok(&mut fx, "KeReleaseInStackQueuedSpinLockFromDpcLevel", &[h]);
        assert_eq!((irql(&mut fx), fx.read_ptr(lock)), (2, 0));
        lower(&mut fx, old);
    }
}

#[test]
fn a_spin_lock_taken_twice_is_a_deadlock_and_one_released_free_a_bugcheck() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let lock = fx.alloc(8);
        acquire(&mut fx, lock);
        let d = deadlock(call(&mut fx, "KeAcquireSpinLockAtDpcLevel", &[lock]));
        assert_eq!(d.waits.len(), 1, "{arch:?}: {d:?}");
        assert_eq!(d.waits[0].on[0].object, lock);
        assert!(d.waits[0].on[0].held_by.is_some(), "{d:?}");

        let mut fx = Fx::new(arch);
        let lock = fx.alloc(8);
        ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        let b = bugcheck(call(&mut fx, "KeReleaseSpinLockFromDpcLevel", &[lock]));
        assert_eq!((b.code, b.name, b.params[0]), (0x10, "SPIN_LOCK_NOT_OWNED", lock));
    }
}

#[test]
fn irql_changes_are_checked_and_lowering_runs_queued_dpcs() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let counter = fx.alloc(8);
        let r = routine(&mut fx, 4, |a, _| {
            a.inc(counter);
        });
        let dpc = fx.alloc(0x40);
        ok(&mut fx, "KeInitializeDpc", &[dpc, r, 0]);
        let old = ok(&mut fx, "KfRaiseIrql", &[2]);
        assert_eq!((old & 0xFF, irql(&mut fx)), (0, 2), "{arch:?}");
        ok(&mut fx, "KeInsertQueueDpc", &[dpc, 0, 0]);
        assert_eq!(fx.read_ptr(counter), 0, "queued at DISPATCH_LEVEL");
        lower(&mut fx, 1);
        assert_eq!(fx.read_ptr(counter), 1, "ran on the drop below DISPATCH_LEVEL");
        lower(&mut fx, 0);
        if arch == Arch::X86 {
            // x86 HAL exports; inline on x64.
            assert_eq!(ok(&mut fx, "KeRaiseIrqlToSynchLevel", &[]) & 0xFF, 0);
            assert_eq!(irql(&mut fx), 27);
            lower(&mut fx, 0);
            let saved = fx.alloc(1);
            ok(&mut fx, "KeRaiseIrql", &[2, saved]);
            assert_eq!((fx.read(saved, 1)[0], irql(&mut fx)), (0, 2));
            ok(&mut fx, "KeLowerIrql", &[0]);
            assert_eq!(irql(&mut fx), 0);
        }
        // Lowering to a higher level, raising to a lower one.
        let b = bugcheck(call(&mut fx, if arch == Arch::X86 { "KfLowerIrql" } else { "KeLowerIrql" }, &[2]));
        assert_eq!((b.code, b.name), (0xA, "IRQL_NOT_LESS_OR_EQUAL"));
        let mut fx = Fx::new(arch);
        ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        let b = bugcheck(call(&mut fx, "KfRaiseIrql", &[1]));
        assert_eq!((b.code, b.name), (0x9, "IRQL_NOT_GREATER_OR_EQUAL"));
    }
}

/// A FAST_MUTEX as ExInitializeFastMutex (a macro) leaves it.
fn fast_mutex(fx: &mut Fx) -> u64 {
    let arch = fx.arch;
    let m = fx.alloc(FAST_MUTEX::STRUCT.size(arch));
    fx.k.mem_mut().set(m, FAST_MUTEX::Count, 1).unwrap();
    ok(fx, "KeInitializeEvent", &[FAST_MUTEX::Event.at(arch, m), 1, 0]);
    m
}

#[test]
fn fast_mutexes_raise_to_apc_level_and_hand_over_to_waiters() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let m = fast_mutex(&mut fx);
        ok(&mut fx, "ExAcquireFastMutex", &[m]);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        assert_eq!(irql(&mut fx), 1, "{arch:?}: APC_LEVEL");
        assert_eq!(fx.k.mem().get(m, FAST_MUTEX::Owner).unwrap(), me);
        assert_eq!(fx.k.mem().get(m, FAST_MUTEX::Count).unwrap(), 0);
        // A thread wants it too: it waits until the owner releases.
        let got = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, r| {
            let (acq, c) = r("ExAcquireFastMutex");
            a.call(acq, c, &[K(m)]).inc(got);
            let (rel, c) = r("ExReleaseFastMutex");
            a.call(rel, c, &[K(m)]);
        });
        thread(&mut fx, start);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got), 0, "blocked on the mutex");
        assert_eq!(fx.k.mem().get(m, FAST_MUTEX::Contention).unwrap(), 1);
        assert_eq!(ok32(&mut fx, "ExTryToAcquireFastMutex", &[m]) & 0xFF, 0, "held (by us)");
        ok(&mut fx, "ExReleaseFastMutex", &[m]);
        assert_eq!(irql(&mut fx), 0);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got) as u32, 1, "the waiter got it");
        assert_eq!(ok32(&mut fx, "ExTryToAcquireFastMutex", &[m]) & 0xFF, 1);
        assert_eq!(irql(&mut fx), 1);
        ok(&mut fx, "ExReleaseFastMutex", &[m]);

        // The unsafe forms leave the IRQL alone; the critical-region pair disables APCs.
        ok(&mut fx, "KeEnterCriticalRegion", &[]);
        ok(&mut fx, "ExAcquireFastMutexUnsafe", &[m]);
        assert_eq!(irql(&mut fx), 0);
        ok(&mut fx, "ExReleaseFastMutexUnsafe", &[m]);
        ok(&mut fx, "KeLeaveCriticalRegion", &[]);
        ok(&mut fx, "ExEnterCriticalRegionAndAcquireFastMutexUnsafe", &[m]);
        assert_eq!(ok32(&mut fx, "KeAreApcsDisabled", &[]) & 0xFF, 1);
        ok(&mut fx, "ExReleaseFastMutexUnsafeAndLeaveCriticalRegion", &[m]);
        assert_eq!(ok32(&mut fx, "KeAreApcsDisabled", &[]) & 0xFF, 0);
        if arch == Arch::X86 {
            ok(&mut fx, "ExiAcquireFastMutex", &[m]);
            assert_eq!(irql(&mut fx), 1);
            assert_eq!(ok32(&mut fx, "ExiTryToAcquireFastMutex", &[m]) & 0xFF, 0);
            ok(&mut fx, "ExiReleaseFastMutex", &[m]);
            assert_eq!(irql(&mut fx), 0);
        }

        // Misuse: releasing one not held; acquiring one held.
        let b = bugcheck(call(&mut fx, "ExReleaseFastMutex", &[m]));
        assert_eq!((b.code, b.name), (0x11, "THREAD_NOT_MUTEX_OWNER"));
        let mut fx = Fx::new(arch);
        let m = fast_mutex(&mut fx);
        ok(&mut fx, "ExAcquireFastMutex", &[m]);
        let d = deadlock(call(&mut fx, "ExAcquireFastMutex", &[m]));
        assert_eq!(d.waits[0].on[0].kind, "fast mutex", "{arch:?}: {d:?}");
    }
}

#[test]
fn guarded_mutexes_enter_a_guarded_region() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let m = fx.alloc(0x40);
        ok(&mut fx, "KeInitializeGuardedMutex", &[m]);
        ok(&mut fx, "KeAcquireGuardedMutex", &[m]);
        assert_eq!(irql(&mut fx), 0, "{arch:?}: no IRQL change");
        assert_eq!(ok32(&mut fx, "KeAreAllApcsDisabled", &[]) & 0xFF, 1, "a guarded region");
        assert_eq!(ok32(&mut fx, "KeTryToAcquireGuardedMutex", &[m]) & 0xFF, 0);
        ok(&mut fx, "KeReleaseGuardedMutex", &[m]);
        assert_eq!(ok32(&mut fx, "KeAreAllApcsDisabled", &[]) & 0xFF, 0);
        assert_eq!(ok32(&mut fx, "KeTryToAcquireGuardedMutex", &[m]) & 0xFF, 1);
        ok(&mut fx, "KeReleaseGuardedMutex", &[m]);
        ok(&mut fx, "KeEnterGuardedRegion", &[]);
        ok(&mut fx, "KeAcquireGuardedMutexUnsafe", &[m]);
        ok(&mut fx, "KeReleaseGuardedMutexUnsafe", &[m]);
        ok(&mut fx, "KeLeaveGuardedRegion", &[]);

        // A waiter gets it on release.
        let got = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, r| {
            let (acq, c) = r("KeAcquireGuardedMutex");
            a.call(acq, c, &[K(m)]).inc(got);
            let (rel, c) = r("KeReleaseGuardedMutex");
            a.call(rel, c, &[K(m)]);
        });
        ok(&mut fx, "KeAcquireGuardedMutex", &[m]);
        thread(&mut fx, start);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got), 0);
        ok(&mut fx, "KeReleaseGuardedMutex", &[m]);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got) as u32, 1);
        let b = bugcheck(call(&mut fx, "KeReleaseGuardedMutex", &[m]));
        assert_eq!(b.code, 0x11);
    }
}

#[test]
fn critical_and_guarded_regions_disable_apcs() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let flags =
            |fx: &mut Fx| (ok32(fx, "KeAreApcsDisabled", &[]) & 0xFF, ok32(fx, "KeAreAllApcsDisabled", &[]) & 0xFF);
        assert_eq!(flags(&mut fx), (0, 0), "{arch:?}");
        ok(&mut fx, "KeEnterCriticalRegion", &[]);
        ok(&mut fx, "KeEnterCriticalRegion", &[]);
        assert_eq!(flags(&mut fx), (1, 0));
        ok(&mut fx, "KeLeaveCriticalRegion", &[]);
        assert_eq!(flags(&mut fx), (1, 0), "nested");
        ok(&mut fx, "KeLeaveCriticalRegion", &[]);
        ok(&mut fx, "KeEnterGuardedRegion", &[]);
        assert_eq!(flags(&mut fx), (1, 1));
        ok(&mut fx, "KeLeaveGuardedRegion", &[]);
        assert_eq!(flags(&mut fx), (0, 0));
        // At APC_LEVEL both are disabled.
        let old = ok(&mut fx, "KfRaiseIrql", &[1]);
        assert_eq!(flags(&mut fx), (1, 1));
        lower(&mut fx, old);
    }
}

#[test]
fn resources_share_readers_and_queue_writers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let r = fx.alloc(ERESOURCE::STRUCT.size(arch));
        assert_eq!(ok32(&mut fx, "ExInitializeResourceLite", &[r]), 0, "{arch:?}");
        ok(&mut fx, "KeEnterCriticalRegion", &[]);
        assert_eq!(ok32(&mut fx, "ExAcquireResourceSharedLite", &[r, 1]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "ExAcquireResourceSharedLite", &[r, 1]) & 0xFF, 1, "shared again");
        assert_eq!(ok32(&mut fx, "ExIsResourceAcquiredSharedLite", &[r]), 2);
        assert_eq!(ok32(&mut fx, "ExIsResourceAcquiredExclusiveLite", &[r]) & 0xFF, 0);
        assert_eq!(fx.k.mem().get(r, ERESOURCE::ActiveCount).unwrap(), 1, "one owner");

        // A writer thread waits behind the reader; then a new shared acquire would wait
        // behind the writer (Wait = FALSE: refused), but StarveExclusive goes ahead.
        let got = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, res| {
            let (enter, c) = res("KeEnterCriticalRegion");
            a.call(enter, c, &[]);
            let (acq, c) = res("ExAcquireResourceExclusiveLite");
            a.call(acq, c, &[K(r), K(1)]).inc(got);
            let (rel, c) = res("ExReleaseResourceAndLeaveCriticalRegion");
            a.call(rel, c, &[K(r)]);
        });
        thread(&mut fx, start);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got), 0);
        assert_eq!(ok32(&mut fx, "ExGetExclusiveWaiterCount", &[r]), 1);
        assert_eq!(ok32(&mut fx, "ExGetSharedWaiterCount", &[r]), 0);
        assert_eq!(ok32(&mut fx, "ExAcquireSharedStarveExclusive", &[r, 0]) & 0xFF, 1);
        // WaitForExclusive grants a shared owner no recursion past an exclusive waiter: it
        // would wait (and here, deadlock), so without Wait it is refused.
        assert_eq!(ok32(&mut fx, "ExAcquireSharedWaitForExclusive", &[r, 0]) & 0xFF, 0);
        for _ in 0..3 {
            ok(&mut fx, "ExReleaseResourceLite", &[r]);
        }
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got) as u32, 1, "the writer went once the readers left");
        assert_eq!(ok32(&mut fx, "ExGetExclusiveWaiterCount", &[r]), 0);

        // Exclusive, recursive, converted to shared.
        assert_eq!(ok32(&mut fx, "ExAcquireResourceExclusiveLite", &[r, 1]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "ExAcquireResourceExclusiveLite", &[r, 1]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "ExIsResourceAcquiredExclusiveLite", &[r]) & 0xFF, 1);
        assert_eq!(fx.k.mem().get(r, ERESOURCE::Flag).unwrap() & 0x80, 0x80, "ResourceOwnedExclusive");
        ok(&mut fx, "ExConvertExclusiveToSharedLite", &[r]);
        assert_eq!(ok32(&mut fx, "ExIsResourceAcquiredExclusiveLite", &[r]) & 0xFF, 0);
        assert_eq!(ok32(&mut fx, "ExIsResourceAcquiredSharedLite", &[r]), 2);
        // Released for the thread by its ERESOURCE_THREAD (the thread), or through an owner pointer.
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        ok(&mut fx, "ExReleaseResourceForThreadLite", &[r, me]);
        let owner = fx.alloc(16);
        ok(&mut fx, "ExSetResourceOwnerPointer", &[r, owner]);
        assert_eq!(ok32(&mut fx, "ExIsResourceAcquiredSharedLite", &[r]), 0, "no longer the thread's");
        ok(&mut fx, "ExReleaseResourceForThreadLite", &[r, owner | 3]);
        assert_eq!(fx.k.mem().get(r, ERESOURCE::ActiveCount).unwrap(), 0);
        ok(&mut fx, "ExAcquireResourceSharedLite", &[r, 1]);
        ok(&mut fx, "ExSetResourceOwnerPointerEx", &[r, owner, 0]);
        ok(&mut fx, "ExReleaseResourceForThreadLite", &[r, owner | 3]);
        ok(&mut fx, "ExDisableResourceBoostLite", &[r]);
        assert_eq!(fx.k.mem().get(r, ERESOURCE::Flag).unwrap() & 0x08, 0x08, "ResourceDisableBoost");
        ok(&mut fx, "KeLeaveCriticalRegion", &[]);

        // The critical-region pairs.
        ok(&mut fx, "ExEnterCriticalRegionAndAcquireResourceExclusive", &[r]);
        assert_eq!(ok32(&mut fx, "KeAreApcsDisabled", &[]) & 0xFF, 1);
        ok(&mut fx, "ExReleaseResourceAndLeaveCriticalRegion", &[r]);
        ok(&mut fx, "ExEnterCriticalRegionAndAcquireResourceShared", &[r]);
        ok(&mut fx, "ExReleaseResourceAndLeaveCriticalRegion", &[r]);
        ok(&mut fx, "ExEnterCriticalRegionAndAcquireSharedWaitForExclusive", &[r]);
        ok(&mut fx, "ExReleaseResourceAndLeaveCriticalRegion", &[r]);
        assert_eq!(ok32(&mut fx, "KeAreApcsDisabled", &[]) & 0xFF, 0);

        assert_eq!(ok32(&mut fx, "ExReinitializeResourceLite", &[r]), 0);
        assert_eq!(ok32(&mut fx, "ExDeleteResourceLite", &[r]), 0);

        // Releasing what one does not hold: RESOURCE_NOT_OWNED.
        let r2 = fx.alloc(ERESOURCE::STRUCT.size(arch));
        ok(&mut fx, "ExInitializeResourceLite", &[r2]);
        let b = bugcheck(call(&mut fx, "ExReleaseResourceLite", &[r2]));
        assert_eq!((b.code, b.name), (0xE3, "RESOURCE_NOT_OWNED"));
    }
}

#[test]
fn a_shared_owner_asking_for_exclusive_access_deadlocks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let r = fx.alloc(ERESOURCE::STRUCT.size(arch));
        ok(&mut fx, "ExInitializeResourceLite", &[r]);
        ok(&mut fx, "ExEnterCriticalRegionAndAcquireResourceShared", &[r]);
        assert_eq!(ok32(&mut fx, "ExAcquireResourceExclusiveLite", &[r, 0]) & 0xFF, 0, "{arch:?}: no wait: refused");
        let d = deadlock(call(&mut fx, "ExAcquireResourceExclusiveLite", &[r, 1]));
        assert_eq!(d.waits[0].on[0].object, r, "{d:?}");
    }
}

#[test]
fn push_locks_exclusive_and_shared() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let l = fx.alloc(8);
        fx.k.mem_mut().write_ptr(l, 0x77).unwrap();
        ok(&mut fx, "ExInitializePushLock", &[l]);
        assert_eq!(fx.read_ptr(l), 0, "{arch:?}");
        ok(&mut fx, "KeEnterCriticalRegion", &[]);
        ok(&mut fx, "ExfAcquirePushLockShared", &[l]);
        assert_eq!(ok32(&mut fx, "ExfTryAcquirePushLockShared", &[l]) & 0xFF, 1, "shared with shared");
        assert_ne!(fx.read_ptr(l), 0);
        ok(&mut fx, "ExfReleasePushLockShared", &[l]);
        ok(&mut fx, "ExfReleasePushLock", &[l]);
        assert_eq!(fx.read_ptr(l), 0);
        ok(&mut fx, "ExfAcquirePushLockExclusive", &[l]);
        assert_eq!(fx.read_ptr(l) & 1, 1, "the lock bit");
        assert_eq!(ok32(&mut fx, "ExfTryAcquirePushLockShared", &[l]) & 0xFF, 0);
        // A thread wanting it shared waits until the exclusive owner lets go.
        let got = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, r| {
            let (acq, c) = r("ExAcquirePushLockSharedEx");
            a.call(acq, c, &[K(l), K(0)]).inc(got);
            let (rel, c) = r("ExReleasePushLockSharedEx");
            a.call(rel, c, &[K(l), K(0)]);
        });
        thread(&mut fx, start);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got), 0);
        ok(&mut fx, "ExfReleasePushLockExclusive", &[l]);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(got) as u32, 1);
        ok(&mut fx, "ExAcquirePushLockExclusiveEx", &[l, 0]);
        ok(&mut fx, "ExReleasePushLockExclusiveEx", &[l, 0]);
        assert_eq!(fx.read_ptr(l), 0);
        ok(&mut fx, "KeLeaveCriticalRegion", &[]);
        let b = bugcheck(call(&mut fx, "ExfReleasePushLockExclusive", &[l]));
        assert_eq!(b.code, 0xE3);
    }
}

#[test]
fn rundown_protection_waits_for_the_last_reference() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let r = fx.alloc(8);
        ok(&mut fx, "ExInitializeRundownProtection", &[r]);
        assert_eq!(ok32(&mut fx, "ExAcquireRundownProtection", &[r]) & 0xFF, 1, "{arch:?}");
        assert_eq!(ok32(&mut fx, "ExAcquireRundownProtectionEx", &[r, 3]) & 0xFF, 1);
        assert_eq!(fx.read_ptr(r), 8, "four references, counted in steps of 2");
        ok(&mut fx, "ExReleaseRundownProtectionEx", &[r, 3]);
        // A thread runs the reference down: it waits for our last reference.
        let done = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, res| {
            let (w, c) = res("ExWaitForRundownProtectionRelease");
            a.call(w, c, &[K(r)]).inc(done);
        });
        thread(&mut fx, start);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(done), 0, "waiting for the reference");
        assert_eq!(ok32(&mut fx, "ExAcquireRundownProtection", &[r]) & 0xFF, 0, "no new reference");
        ok(&mut fx, "ExReleaseRundownProtection", &[r]);
        pause(&mut fx);
        assert_eq!(fx.read_ptr(done) as u32, 1);
        ok(&mut fx, "ExRundownCompleted", &[r]);
        assert_eq!(ok32(&mut fx, "ExAcquireRundownProtection", &[r]) & 0xFF, 0);
        ok(&mut fx, "ExReInitializeRundownProtection", &[r]);
        assert_eq!(ok32(&mut fx, "ExAcquireRundownProtection", &[r]) & 0xFF, 1);
        ok(&mut fx, "ExReleaseRundownProtection", &[r]);
        // Nothing held: the wait returns at once.
        ok(&mut fx, "ExWaitForRundownProtectionRelease", &[r]);
    }
}

#[test]
fn interlocked_arithmetic_and_exchange() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let v = fx.alloc(8);
        let lock = fx.alloc(8);
        let get = |fx: &Fx| u32s(&fx.read(v, 4))[0];
        assert_eq!(ok32(&mut fx, "ExInterlockedAddUlong", &[v, 5, lock]), 0, "{arch:?}: the old value");
        assert_eq!(get(&fx), 5);
        assert_eq!(fx.read_ptr(lock), 0, "the lock is released after");
        let big = fx.alloc(8);
        fx.k.mem_mut().write_u64(big, 0xFFFF_FFFF).unwrap();
        let inc = large(arch, 1);
        let old = ok(&mut fx, "ExInterlockedAddLargeInteger", &[&[big][..], &inc, &[lock]].concat());
        assert_eq!(old as u32, 0xFFFF_FFFF);
        assert_eq!(fx.k.mem().read_u64(big).unwrap(), 0x1_0000_0000, "the carry");
        if arch == Arch::X86 {
            assert_eq!(ok32(&mut fx, "InterlockedIncrement", &[v]), 6, "the new value");
            assert_eq!(ok32(&mut fx, "InterlockedDecrement", &[v]), 5);
            assert_eq!(ok32(&mut fx, "InterlockedExchange", &[v, 9]), 5);
            assert_eq!(ok32(&mut fx, "InterlockedExchangeAdd", &[v, 2]), 9);
            assert_eq!(ok32(&mut fx, "InterlockedCompareExchange", &[v, 1, 0]), 11, "no match: unchanged");
            assert_eq!(ok32(&mut fx, "InterlockedCompareExchange", &[v, 1, 11]), 11);
            assert_eq!(get(&fx), 1);
            assert_eq!(ok32(&mut fx, "ExfInterlockedAddUlong", &[v, 1, lock]), 1);
            ok(&mut fx, "ExInterlockedAddLargeStatistic", &[big, 2]);
            assert_eq!(fx.k.mem().read_u64(big).unwrap(), 0x1_0000_0002);
            let x = fx.put(&7u64.to_le_bytes());
            let c = fx.put(&0x1_0000_0002u64.to_le_bytes());
            assert_eq!(ok32(&mut fx, "ExInterlockedCompareExchange64", &[big, x, c, lock]), 2);
            assert_eq!(fx.k.mem().read_u64(big).unwrap(), 7);
            assert_eq!(ok32(&mut fx, "ExfInterlockedCompareExchange64", &[big, c, x]), 7);
            assert_eq!(fx.k.mem().read_u64(big).unwrap(), 0x1_0000_0002);
            // INTERLOCKED_RESULT: ResultNegative 1, ResultZero 0, ResultPositive 2.
            fx.k.mem_mut().write_u32(v, 0).unwrap();
            assert_eq!(ok32(&mut fx, "ExInterlockedIncrementLong", &[v, lock]), 2);
            assert_eq!(ok32(&mut fx, "ExInterlockedDecrementLong", &[v, lock]), 0);
            assert_eq!(ok32(&mut fx, "Exi386InterlockedDecrementLong", &[v]), 1);
            assert_eq!(ok32(&mut fx, "Exi386InterlockedIncrementLong", &[v]), 0);
            assert_eq!(ok32(&mut fx, "Exfi386InterlockedIncrementLong", &[v]), 2);
            assert_eq!(ok32(&mut fx, "Exfi386InterlockedDecrementLong", &[v]), 0);
            assert_eq!(ok32(&mut fx, "ExInterlockedExchangeUlong", &[v, 3, lock]), 0);
            assert_eq!(ok32(&mut fx, "Exi386InterlockedExchangeUlong", &[v, 4]), 3);
            assert_eq!(ok32(&mut fx, "Exfi386InterlockedExchangeUlong", &[v, 5]), 4);
            assert_eq!(get(&fx), 5);
        }
    }
}

#[test]
fn interlocked_lists() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let lock = fx.alloc(8);
        let head = fx.alloc(2 * ps);
        fx.k.mem_mut().write_ptr(head, head).unwrap();
        fx.k.mem_mut().write_ptr(head + ps, head).unwrap();
        let e: Vec<u64> = (0..3).map(|_| fx.alloc(2 * ps)).collect();
        assert_eq!(ok(&mut fx, "ExInterlockedInsertHeadList", &[head, e[0], lock]), 0, "{arch:?}: was empty");
        assert_eq!(ok(&mut fx, "ExInterlockedInsertTailList", &[head, e[1], lock]), e[0], "the old last");
        assert_eq!(ok(&mut fx, "ExInterlockedInsertHeadList", &[head, e[2], lock]), e[0], "the old first");
        // e2, e0, e1
        assert_eq!(ok(&mut fx, "ExInterlockedRemoveHeadList", &[head, lock]), e[2]);
        assert_eq!(ok(&mut fx, "ExInterlockedRemoveHeadList", &[head, lock]), e[0]);
        assert_eq!(ok(&mut fx, "ExInterlockedRemoveHeadList", &[head, lock]), e[1]);
        assert_eq!(ok(&mut fx, "ExInterlockedRemoveHeadList", &[head, lock]), 0);
        assert_eq!((fx.read_ptr(head), fx.read_ptr(head + ps)), (head, head), "empty again");
        if arch == Arch::X86 {
            assert_eq!(ok(&mut fx, "ExfInterlockedInsertTailList", &[head, e[0], lock]), 0);
            assert_eq!(ok(&mut fx, "ExfInterlockedInsertHeadList", &[head, e[1], lock]), e[0]);
            assert_eq!(ok(&mut fx, "ExfInterlockedRemoveHeadList", &[head, lock]), e[1]);
        }

        // Singly linked lists.
        let single = fx.alloc(ps);
        assert_eq!(ok(&mut fx, "ExInterlockedPushEntryList", &[single, e[0], lock]), 0);
        assert_eq!(ok(&mut fx, "ExInterlockedPushEntryList", &[single, e[1], lock]), e[0]);
        assert_eq!(ok(&mut fx, "ExInterlockedPopEntryList", &[single, lock]), e[1]);
        if arch == Arch::X86 {
            assert_eq!(ok(&mut fx, "ExfInterlockedPushEntryList", &[single, e[2], lock]), e[0]);
            assert_eq!(ok(&mut fx, "ExfInterlockedPopEntryList", &[single, lock]), e[2]);
        }
        assert_eq!(ok(&mut fx, "ExInterlockedPopEntryList", &[single, lock]), e[0]);
        assert_eq!(ok(&mut fx, "ExInterlockedPopEntryList", &[single, lock]), 0);
        assert_eq!(fx.read_ptr(lock), 0);
    }
}

#[test]
fn s_lists_push_pop_flush_and_depth() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let head = fx.alloc(16);
        let lock = fx.alloc(8);
        let e: Vec<u64> = (0..3).map(|_| fx.alloc(16)).collect();
        let depth = |fx: &mut Fx| -> u64 {
            match fx.arch {
                Arch::X86 => u16::from_le_bytes(fx.read(head + 4, 2).try_into().unwrap()) as u64,
                Arch::X64 => ok(fx, "ExQueryDepthSList", &[head]) & 0xFFFF,
            }
        };
        match arch {
            Arch::X86 => {
                assert_eq!(ok(&mut fx, "InterlockedPushEntrySList", &[head, e[0]]), 0);
                assert_eq!(ok(&mut fx, "ExInterlockedPushEntrySList", &[head, e[1], lock]), e[0]);
                assert_eq!(ok(&mut fx, "InterlockedPushEntrySList", &[head, e[2]]), e[1]);
                assert_eq!(depth(&mut fx), 3);
                assert_eq!(ok(&mut fx, "FirstEntrySList", &[head]), e[2]);
                assert_eq!(ok(&mut fx, "InterlockedPopEntrySList", &[head]), e[2]);
                assert_eq!(ok(&mut fx, "ExInterlockedPopEntrySList", &[head, lock]), e[1]);
                assert_eq!(ok(&mut fx, "ExInterlockedFlushSList", &[head]), e[0]);
            }
            Arch::X64 => {
                fx.k.mem_mut().write_u64(head, 0x55).unwrap();
                ok(&mut fx, "InitializeSListHead", &[head]);
                assert_eq!(fx.read(head, 8), vec![0; 8], "no entry, depth 0");
                assert_eq!(ok(&mut fx, "ExpInterlockedPushEntrySList", &[head, e[0]]), 0);
                assert_eq!(ok(&mut fx, "ExpInterlockedPushEntrySList", &[head, e[1]]), e[0]);
                assert_eq!(ok(&mut fx, "ExpInterlockedPushEntrySList", &[head, e[2]]), e[1]);
                assert_eq!(depth(&mut fx), 3);
                assert_eq!(ok(&mut fx, "FirstEntrySList", &[head]), e[2]);
                assert_eq!(ok(&mut fx, "ExpInterlockedPopEntrySList", &[head]), e[2]);
                assert_eq!(depth(&mut fx), 2);
                assert_eq!(ok(&mut fx, "ExpInterlockedFlushSList", &[head]), e[1]);
            }
        }
        assert_eq!(depth(&mut fx), 0, "{arch:?}");
        assert_eq!(ok(&mut fx, "FirstEntrySList", &[head]), 0);
        assert_eq!(fx.read_ptr(e[1]), e[0], "the entries stay linked");
    }
}

#[test]
fn lookaside_lists_allocate_through_their_routines() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let size = GENERAL_LOOKASIDE::STRUCT.size(arch) + 0x40;
        let l = fx.alloc(size);
        let tag = tag(b"Look");
        ok(&mut fx, "ExInitializeNPagedLookasideList", &[l, 0, 0, 0, 0x30, tag, 0]);
        let mem = fx.k.mem();
        assert_eq!(mem.get(l, GENERAL_LOOKASIDE::Size).unwrap(), 0x30, "{arch:?}");
        assert_eq!(mem.get(l, GENERAL_LOOKASIDE::Tag).unwrap(), tag);
        assert_eq!(mem.get(l, GENERAL_LOOKASIDE::Type).unwrap(), 0, "NonPagedPool");
        let allocate = mem.get(l, GENERAL_LOOKASIDE::Allocate).unwrap();
        let free = mem.get(l, GENERAL_LOOKASIDE::Free).unwrap();
        assert_eq!(allocate, fx.stub(Dll::Ntoskrnl, "ExAllocatePoolWithTag"), "the default allocator");
        assert_eq!(free, fx.stub(Dll::Ntoskrnl, "ExFreePool"));
        // What the inline ExAllocateFromNPagedLookasideList does when the list is empty.
        let conv = CallConv::Stdcall.for_arch(arch);
        let entry = fx.k.call(allocate, &[0, 0x30, tag], conv).unwrap();
        assert_ne!(entry, 0);
        fx.k.call(free, &[entry], conv).unwrap();
        ok(&mut fx, "ExDeleteNPagedLookasideList", &[l]);

        // Paged: the exported allocate and free.
        ok(&mut fx, "ExInitializePagedLookasideList", &[l, 0, 0, 0, 0x20, tag, 0]);
        assert_eq!(fx.k.mem().get(l, GENERAL_LOOKASIDE::Type).unwrap(), 1, "PagedPool");
        let a = ok(&mut fx, "ExAllocateFromPagedLookasideList", &[l]);
        assert_ne!(a, 0);
        ok(&mut fx, "ExFreeToPagedLookasideList", &[l, a]);
        assert_eq!(ok(&mut fx, "ExAllocateFromPagedLookasideList", &[l]), a, "reused from the list");
        ok(&mut fx, "ExFreeToPagedLookasideList", &[l, a]);
        ok(&mut fx, "ExDeletePagedLookasideList", &[l]);

        // Ex lists: the kernel's own default routines, callable.
        assert_eq!(ok32(&mut fx, "ExInitializeLookasideListEx", &[l, 0, 0, 0, 0, 0x40, tag, 0]), 0);
        let allocate = fx.k.mem().get(l, GENERAL_LOOKASIDE::Allocate).unwrap();
        let free = fx.k.mem().get(l, GENERAL_LOOKASIDE::Free).unwrap();
        let entry = fx.k.call(allocate, &[0, 0x40, tag, l], conv).unwrap();
        assert_ne!(entry, 0);
        fx.k.call(free, &[entry, l], conv).unwrap();
        ok(&mut fx, "ExFlushLookasideListEx", &[l]);
        let live = fx.k.ext().pool.live();
        ok(&mut fx, "ExDeleteLookasideListEx", &[l]);
        assert!(fx.k.ext().pool.live() <= live);
    }
}

use portcullis_emu::CallConv;
use portcullis_hle::exports::Dll;
