//! Dispatcher objects and waits on both architectures, through the real stubs: events,
//! semaphores, mutexes and mutants, timers, waits on one or several objects with timeouts on
//! the virtual clock, delays, event objects with handles, and the bugchecks of misuse.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::ke::scheduler;
use portcullis_hle::layout::{FieldAccess, KEVENT, KMUTANT, KSEMAPHORE, KTIMER, OBJECT_ATTRIBUTES};

const TIMEOUT: u32 = 0x102;
const NOTIFICATION: u64 = 0;
const SYNCHRONIZATION: u64 = 1;

fn now_ns(fx: &Fx) -> u64 {
    fx.k.guest().cpu.clock.now_ns()
}

fn event(fx: &mut Fx, kind: u64, state: u64) -> u64 {
    let e = fx.alloc(KEVENT::STRUCT.size(fx.arch));
    ok(fx, "KeInitializeEvent", &[e, kind, state]);
    e
}

/// A LARGE_INTEGER in guest memory.
fn li(fx: &mut Fx, v: i64) -> u64 {
    fx.put(&v.to_le_bytes())
}

/// KeWaitForSingleObject(object, Executive, KernelMode, FALSE, timeout).
fn wait(fx: &mut Fx, object: u64, timeout: u64) -> u32 {
    ok32(fx, "KeWaitForSingleObject", &[object, 0, 0, 0, timeout])
}

fn poll(fx: &mut Fx, object: u64) -> u32 {
    let zero = li(fx, 0);
    wait(fx, object, zero)
}

/// A system thread starting at `start`; its handle and its (referenced) object.
fn thread(fx: &mut Fx, start: u64, context: u64) -> (u64, u64) {
    let h = fx.alloc(8);
    assert_eq!(ok32(fx, "PsCreateSystemThread", &[h, 0x1F_FFFF, 0, 0, 0, start, context]), 0);
    let handle = fx.read_ptr(h);
    let ty = fx.read_ptr(fx.k.ext().resolve(Dll::Ntoskrnl, "PsThreadType").unwrap());
    let out = fx.alloc(8);
    assert_eq!(ok32(fx, "ObReferenceObjectByHandle", &[handle, 0, ty, 0, out, 0]), 0);
    (handle, fx.read_ptr(out))
}

use portcullis_hle::exports::Dll;

#[test]
fn events_set_reset_clear_pulse_and_read() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let e = event(&mut fx, NOTIFICATION, 0);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[e]), 0);
        assert_eq!(fx.read(e, 1)[0], 0, "{arch:?}: Header.Type NotificationEvent");
        assert_eq!(ok32(&mut fx, "KeSetEvent", &[e, 0, 0]), 0, "previous state");
        assert_eq!(ok32(&mut fx, "KeSetEvent", &[e, 0, 0]), 1);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[e]), 1);
        // A notification event stays signaled through waits.
        assert_eq!(poll(&mut fx, e), 0);
        assert_eq!(poll(&mut fx, e), 0);
        assert_eq!(ok32(&mut fx, "KeResetEvent", &[e]), 1);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[e]), 0);
        assert_eq!(poll(&mut fx, e), TIMEOUT);
        ok(&mut fx, "KeSetEvent", &[e, 0, 0]);
        ok(&mut fx, "KeClearEvent", &[e]);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[e]), 0);
        // A pulse with nobody waiting leaves it clear.
        assert_eq!(ok32(&mut fx, "KePulseEvent", &[e, 0, 0]), 0);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[e]), 0);

        // A synchronization event: a satisfied wait resets it.
        let s = event(&mut fx, SYNCHRONIZATION, 1);
        assert_eq!(fx.read(s, 1)[0], 1, "SynchronizationEvent");
        assert_eq!(poll(&mut fx, s), 0);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[s]), 0);
        assert_eq!(poll(&mut fx, s), TIMEOUT);
    }
}

#[test]
fn a_wait_times_out_on_the_virtual_clock() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let e = event(&mut fx, NOTIFICATION, 0);
        let t0 = now_ns(&fx);
        let rel = li(&mut fx, rel_ms(10));
        assert_eq!(wait(&mut fx, e, rel), TIMEOUT, "{arch:?}");
        assert_eq!(now_ns(&fx) - t0, 10_000_000, "exactly the timeout passed");
        // Absolute: a system time 5 ms from now.
        let now = fx.alloc(8);
        ok(&mut fx, "KeQuerySystemTimePrecise", &[now]);
        let at = u64::from_le_bytes(fx.read(now, 8).try_into().unwrap()) as i64 + 50_000;
        let abs = li(&mut fx, at);
        let t1 = now_ns(&fx);
        assert_eq!(wait(&mut fx, e, abs), TIMEOUT);
        assert_eq!(now_ns(&fx) - t1, 5_000_000);
        // An absolute time already past is a poll.
        assert_eq!(wait(&mut fx, e, abs), TIMEOUT);
        assert_eq!(now_ns(&fx) - t1, 5_000_000);

        // Delays: the interval passes; zero only yields.
        let d = li(&mut fx, rel_ms(20));
        let t2 = now_ns(&fx);
        assert_eq!(ok32(&mut fx, "KeDelayExecutionThread", &[0, 0, d]), 0);
        assert_eq!(now_ns(&fx) - t2, 20_000_000);
        let zero = li(&mut fx, 0);
        assert_eq!(ok32(&mut fx, "KeDelayExecutionThread", &[0, 1, zero]), 0);
        assert_eq!(now_ns(&fx) - t2, 20_000_000);
        // No one else is ready: nothing to yield to.
        assert_eq!(ok32(&mut fx, "ZwYieldExecution", &[]), 0x4000_0024, "STATUS_NO_YIELD_PERFORMED");
    }
}

#[test]
fn waiting_for_several_objects_any_or_all() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let a = event(&mut fx, SYNCHRONIZATION, 0);
        let b = event(&mut fx, SYNCHRONIZATION, 1);
        let ps = arch.ptr_size();
        let list = fx.alloc(4 * ps);
        for (i, o) in [a, b].iter().enumerate() {
            fx.k.mem_mut().write_ptr(list + i as u64 * ps, *o).unwrap();
        }
        let zero = li(&mut fx, 0);
        // WaitAny (1): the second is signaled, STATUS_WAIT_1, and consumed.
        assert_eq!(ok32(&mut fx, "KeWaitForMultipleObjects", &[2, list, 1, 0, 0, 0, zero, 0]), 1, "{arch:?}");
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[b]), 0);
        // WaitAll (0) with one signaled: nothing is consumed.
        ok(&mut fx, "KeSetEvent", &[a, 0, 0]);
        assert_eq!(ok32(&mut fx, "KeWaitForMultipleObjects", &[2, list, 0, 0, 0, 0, zero, 0]), TIMEOUT);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[a]), 1);
        ok(&mut fx, "KeSetEvent", &[b, 0, 0]);
        assert_eq!(ok32(&mut fx, "KeWaitForMultipleObjects", &[2, list, 0, 0, 0, 0, zero, 0]), 0);
        assert_eq!((ok32(&mut fx, "KeReadStateEvent", &[a]), ok32(&mut fx, "KeReadStateEvent", &[b])), (0, 0));
        // More than THREAD_WAIT_OBJECTS needs a wait block array.
        let c = event(&mut fx, NOTIFICATION, 1);
        for i in 2..4 {
            fx.k.mem_mut().write_ptr(list + i * ps, c).unwrap();
        }
        let blocks = fx.alloc(4 * 0x30);
        assert_eq!(ok32(&mut fx, "KeWaitForMultipleObjects", &[4, list, 1, 0, 0, 0, zero, blocks]), 2);
        let b = bugcheck(call(&mut fx, "KeWaitForMultipleObjects", &[4, list, 1, 0, 0, 0, zero, 0]));
        assert_eq!((b.code, b.name), (0xC, "MAXIMUM_WAIT_OBJECTS_EXCEEDED"));
    }
}

#[test]
fn semaphores_count_and_limit() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let s = fx.alloc(KSEMAPHORE::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeSemaphore", &[s, 1, 2]);
        assert_eq!(fx.read(s, 1)[0], 5, "{arch:?}: SemaphoreObject");
        assert_eq!(ok32(&mut fx, "KeReadStateSemaphore", &[s]), 1);
        assert_eq!(poll(&mut fx, s), 0);
        assert_eq!(ok32(&mut fx, "KeReadStateSemaphore", &[s]), 0);
        assert_eq!(poll(&mut fx, s), TIMEOUT);
        assert_eq!(ok32(&mut fx, "KeReleaseSemaphore", &[s, 0, 2, 0]), 0, "previous count");
        assert_eq!(ok32(&mut fx, "KeReadStateSemaphore", &[s]), 2);
        let b = bugcheck(call(&mut fx, "KeReleaseSemaphore", &[s, 0, 1, 0]));
        assert_eq!((b.code, b.params[0]), (0x1E, 0xC000_0047), "STATUS_SEMAPHORE_LIMIT_EXCEEDED");
    }
}

#[test]
fn mutexes_are_owned_recursively_and_released_by_their_owner() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let m = fx.alloc(KMUTANT::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeMutex", &[m, 0]);
        assert_eq!(ok32(&mut fx, "KeReadStateMutex", &[m]), 1, "{arch:?}: free");
        assert_eq!(ok32(&mut fx, "KeWaitForMutexObject", &[m, 0, 0, 0, 0]), 0);
        assert_eq!(poll(&mut fx, m), 0, "the owner acquires it again");
        assert_eq!(ok32(&mut fx, "KeReadStateMutex", &[m]) as i32, -1);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        assert_eq!(fx.k.mem().get(m, KMUTANT::OwnerThread).unwrap(), me);
        // Holding a kernel mutex disables normal kernel APCs.
        assert_eq!(ok32(&mut fx, "KeAreApcsDisabled", &[]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "KeReleaseMutex", &[m, 0]) as i32, -1);
        assert_eq!(ok32(&mut fx, "KeReleaseMutex", &[m, 0]), 0);
        assert_eq!(ok32(&mut fx, "KeReadStateMutex", &[m]), 1);
        assert_eq!(ok32(&mut fx, "KeAreApcsDisabled", &[]) & 0xFF, 0);
        let b = bugcheck(call(&mut fx, "KeReleaseMutex", &[m, 0]));
        assert_eq!((b.code, b.name), (0x11, "THREAD_NOT_MUTEX_OWNER"));

        // A mutant owned from the start; releasing one not owned raises STATUS_MUTANT_NOT_OWNED.
        let mut fx = Fx::new(arch);
        let mu = fx.alloc(KMUTANT::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeMutant", &[mu, 1]);
        assert_eq!(ok32(&mut fx, "KeReadStateMutant", &[mu]), 0);
        assert_eq!(ok32(&mut fx, "KeReleaseMutant", &[mu, 0, 0, 0]), 0);
        assert_eq!(ok32(&mut fx, "KeReadStateMutant", &[mu]), 1);
        let b = bugcheck(call(&mut fx, "KeReleaseMutant", &[mu, 0, 0, 0]));
        assert_eq!((b.code, b.params[0]), (0x1E, 0xC000_0046));
    }
}

#[test]
fn a_mutant_its_owner_leaves_is_abandoned_and_a_held_mutex_is_a_bugcheck() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let mu = fx.alloc(KMUTANT::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeMutant", &[mu, 0]);
        let got = fx.alloc(8);
        // The thread takes the mutant and ends holding it.
        let start = routine(&mut fx, 1, |a, r| {
            let (w, c) = r("KeWaitForSingleObject");
            a.call(w, c, &[K(mu), K(0), K(0), K(0), K(0)]).store(got);
        });
        let (_, t) = thread(&mut fx, start, 0);
        assert_eq!(wait(&mut fx, t, 0), 0, "{arch:?}: the thread ended");
        assert_eq!(fx.read_ptr(got) as u32, 0);
        assert_eq!(poll(&mut fx, mu), 0x80, "STATUS_ABANDONED_WAIT_0");
        assert_eq!(fx.k.mem().get(mu, KMUTANT::Abandoned).unwrap(), 0, "the new owner has it");

        // A kernel mutex held at the end: its APCs are still disabled, which Windows checks
        // first (PspExitThread before KeRundownThread): KERNEL_APC_PENDING_DURING_EXIT.
        let m = fx.alloc(KMUTANT::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeMutex", &[m, 0]);
        let start = routine(&mut fx, 1, |a, r| {
            let (w, c) = r("KeWaitForSingleObject");
            a.call(w, c, &[K(m), K(0), K(0), K(0), K(0)]);
        });
        let (_, t) = thread(&mut fx, start, 0);
        let b = bugcheck(call(&mut fx, "KeWaitForSingleObject", &[t, 0, 0, 0, 0]));
        assert_eq!((b.code, b.name), (0x20, "KERNEL_APC_PENDING_DURING_EXIT"));
    }
}

#[test]
fn a_system_thread_runs_while_its_creator_waits() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let e = event(&mut fx, SYNCHRONIZATION, 0);
        let counter = fx.alloc(8);
        let tid = fx.alloc(8);
        let ctx = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, r| {
            a.inc(counter).store_param(0, ctx);
            let (id, c) = r("PsGetCurrentThreadId");
            a.call(id, c, &[]).store(tid);
            let (set, c) = r("KeSetEvent");
            a.call(set, c, &[K(e), K(0), K(0)]);
        });
        let (h, t) = thread(&mut fx, start, 0x1234);
        assert_eq!(fx.read_ptr(counter), 0, "{arch:?}: not run before the creator waits");
        assert_eq!(wait(&mut fx, e, 0), 0);
        assert_eq!(fx.read_ptr(counter) as u32, 1);
        assert_eq!(fx.read_ptr(ctx), 0x1234, "StartContext");
        assert_eq!(wait(&mut fx, t, 0), 0, "its end signals the thread");
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[h, 0, 0]), 0, "and its handle waits the same");
        assert_eq!(ok(&mut fx, "PsGetThreadId", &[t]), fx.read_ptr(tid));
        assert_eq!(ok(&mut fx, "PsGetThreadProcessId", &[t]), 4, "the System process");
        let system = fx.k.ext().system.system_process;
        assert_eq!(ok(&mut fx, "PsGetThreadProcess", &[t]), system);
        assert_eq!(ok(&mut fx, "IoThreadToProcess", &[t]), system);
        assert_eq!(ok32(&mut fx, "PsIsSystemThread", &[t]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "PsIsThreadTerminating", &[t]) & 0xFF, 1);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        assert_ne!(me, t);
        assert_eq!(ok32(&mut fx, "PsIsThreadTerminating", &[me]) & 0xFF, 0);
        if arch == Arch::X86 {
            assert_eq!(ok(&mut fx, "KeGetCurrentThread", &[]), me, "KeGetCurrentThread is an export on x86");
        }
        assert_eq!(ok32(&mut fx, "ZwClose", &[h]), 0);
        ok(&mut fx, "ObfDereferenceObject", &[t]);
    }
}

#[test]
fn ps_terminate_system_thread_ends_the_thread_with_its_status() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let after = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, r| {
            let (term, c) = r("PsTerminateSystemThread");
            a.call(term, c, &[K(0xC000_0001)]).inc(after);
        });
        let (_, t) = thread(&mut fx, start, 0);
        assert_eq!(wait(&mut fx, t, 0), 0, "{arch:?}");
        assert_eq!(fx.read_ptr(after), 0, "PsTerminateSystemThread does not return");
        let snap = portcullis_hle::ke::snapshot::take(&fx.k);
        let info = snap.threads.iter().find(|i| i.ethread == t).expect("the thread in the snapshot");
        assert_eq!((info.state, info.exit_status, info.kind), ("terminated", Some(0xC000_0001), "system"));
        // The host's own thread is not a system thread it may end.
        assert_eq!(ok32(&mut fx, "PsTerminateSystemThread", &[0]), 0xC000_000D);
    }
}

#[test]
fn yielding_and_delaying_let_ready_threads_run_by_priority() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let order = fx.alloc(8);
        let slots = fx.alloc(16);
        let lock = fx.alloc(8);
        // Each thread records the order it ran in: ExInterlockedAddUlong returns the old value.
        let mut starts = vec![];
        for i in 0..2u64 {
            starts.push(routine(&mut fx, 1, |a, r| {
                let (add, c) = r("ExInterlockedAddUlong");
                a.call(add, c, &[K(order), K(1), K(lock)]).store(slots + 8 * i);
            }));
        }
        let (_, low) = thread(&mut fx, starts[0], 0);
        let (_, high) = thread(&mut fx, starts[1], 0);
        assert_eq!(ok32(&mut fx, "KeQueryPriorityThread", &[low]), 8, "{arch:?}: system threads start at 8");
        assert_eq!(ok32(&mut fx, "KeSetPriorityThread", &[high, 12]), 8);
        assert_eq!(ok32(&mut fx, "KeQueryPriorityThread", &[high]), 12);
        assert_eq!(ok32(&mut fx, "KeSetBasePriorityThread", &[low, 2]), 0, "the old increment");
        assert_eq!(ok32(&mut fx, "KeQueryPriorityThread", &[low]), 10);
        // The caller yields: both ready threads run, the higher priority first.
        assert_eq!(ok32(&mut fx, "ZwYieldExecution", &[]), 0);
        assert_eq!((fx.read(slots, 1)[0], fx.read(slots + 8, 1)[0]), (1, 0), "high ran first");
        assert_eq!(u32s(&fx.read(order, 4)), vec![2]);
    }
}

#[test]
fn affinity_moves_the_thread_between_processors() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let number = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 0, "{arch:?}");
        ok(&mut fx, "KeSetSystemAffinityThread", &[2]);
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[number]), 1);
        assert_eq!(fx.read(number, 4), vec![0, 0, 1, 0], "PROCESSOR_NUMBER group 0, number 1");
        // Back to the user affinity (any processor): it stays where it is.
        ok(&mut fx, "KeRevertToUserAffinityThread", &[]);
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 1);

        let old = ok(&mut fx, "KeSetSystemAffinityThreadEx", &[1]);
        assert_eq!(old, 0, "no system affinity before");
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 0);
        assert_eq!(ok(&mut fx, "KeSetSystemAffinityThreadEx", &[2]), 1, "the previous system affinity");
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 1);
        ok(&mut fx, "KeRevertToUserAffinityThreadEx", &[1]);
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 0, "back to processor 0 only");
        ok(&mut fx, "KeRevertToUserAffinityThreadEx", &[0]);
        assert_eq!(ok(&mut fx, "KeSetSystemAffinityThreadEx", &[1]), 0, "reverted to the user affinity");
        ok(&mut fx, "KeRevertToUserAffinityThreadEx", &[0]);

        // GROUP_AFFINITY { Mask, Group, Reserved[3] }.
        let ps = arch.ptr_size();
        let ga = fx.alloc(ps + 8);
        fx.k.mem_mut().write_ptr(ga, 2).unwrap();
        let prev = fx.alloc(ps + 8);
        ok(&mut fx, "KeSetSystemGroupAffinityThread", &[ga, prev]);
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 1);
        assert_eq!(fx.read_ptr(prev), 0, "no system affinity before");
        fx.k.mem_mut().write_ptr(ga, 1).unwrap();
        ok(&mut fx, "KeSetSystemGroupAffinityThread", &[ga, prev]);
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 0);
        assert_eq!(fx.read_ptr(prev), 2);
        ok(&mut fx, "KeRevertToUserGroupAffinityThread", &[prev]);
        assert_eq!(ok32(&mut fx, "KeGetCurrentProcessorNumberEx", &[0]), 1, "back to processor 1 only");

        // No processor at all: INVALID_AFFINITY_SET.
        let b = bugcheck(call(&mut fx, "KeSetSystemAffinityThread", &[4]));
        assert_eq!((b.code, b.name), (0x3, "INVALID_AFFINITY_SET"));
    }
}

#[test]
fn timers_expire_on_the_virtual_clock_and_queue_their_dpc() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let t = fx.alloc(KTIMER::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeTimer", &[t]);
        assert_eq!(fx.read(t, 1)[0], 8, "{arch:?}: TimerNotificationObject");
        let due = large(arch, rel_ms(10));
        assert_eq!(ok32(&mut fx, "KeSetTimer", &[&[t][..], &due, &[0]].concat()) & 0xFF, 0, "was not armed");
        assert_eq!(ok32(&mut fx, "KeReadStateTimer", &[t]) & 0xFF, 0);
        let snap = portcullis_hle::ke::snapshot::take(&fx.k);
        assert_eq!(snap.timers.len(), 1);
        assert_eq!(snap.timers[0].due_ms, snap.now_ms + 10);
        scheduler::advance(&mut fx.k, 9_999_999).unwrap();
        assert_eq!(ok32(&mut fx, "KeReadStateTimer", &[t]) & 0xFF, 0);
        scheduler::advance(&mut fx.k, 1).unwrap();
        assert_eq!(ok32(&mut fx, "KeReadStateTimer", &[t]) & 0xFF, 1);
        assert!(portcullis_hle::ke::snapshot::take(&fx.k).timers.is_empty());

        // A wait on an armed timer: the clock jumps to its expiry.
        ok(&mut fx, "KeSetTimer", &[&[t][..], &large(arch, rel_ms(5)), &[0]].concat());
        let t0 = now_ns(&fx);
        assert_eq!(wait(&mut fx, t, 0), 0);
        assert_eq!(now_ns(&fx) - t0, 5_000_000);

        // A periodic timer with a DPC counting its expiries.
        let counter = fx.alloc(8);
        let dpc_routine = routine(&mut fx, 4, |a, _| {
            a.inc(counter);
        });
        let dpc = fx.alloc(0x40);
        ok(&mut fx, "KeInitializeDpc", &[dpc, dpc_routine, 0]);
        let p = fx.alloc(KTIMER::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeTimerEx", &[p, SYNCHRONIZATION]);
        assert_eq!(fx.read(p, 1)[0], 9, "TimerSynchronizationObject");
        ok(&mut fx, "KeSetTimerEx", &[&[p][..], &large(arch, rel_ms(10)), &[10, dpc]].concat());
        scheduler::advance(&mut fx.k, 35_000_000).unwrap();
        assert_eq!(fx.read_ptr(counter) as u32, 3, "at 10, 20 and 30 ms");
        // A synchronization timer's signal is consumed by a wait.
        assert_eq!(poll(&mut fx, p), 0);
        assert_eq!(poll(&mut fx, p), TIMEOUT);
        assert_eq!(ok32(&mut fx, "KeCancelTimer", &[p]) & 0xFF, 1, "it was armed");
        assert_eq!(ok32(&mut fx, "KeCancelTimer", &[p]) & 0xFF, 0);
        scheduler::advance(&mut fx.k, 50_000_000).unwrap();
        assert_eq!(fx.read_ptr(counter) as u32, 3, "cancelled");

        // Coalescable: expires on time, periodic.
        let c = fx.alloc(KTIMER::STRUCT.size(arch));
        ok(&mut fx, "KeInitializeTimerEx", &[c, NOTIFICATION]);
        ok(&mut fx, "KeSetCoalescableTimer", &[&[c][..], &large(arch, rel_ms(1)), &[4, 50, dpc]].concat());
        scheduler::advance(&mut fx.k, 8_000_000).unwrap();
        assert_eq!(fx.read_ptr(counter) as u32, 5, "at 1 and 5 ms");
        assert_eq!(
            ok32(&mut fx, "KeSetTimer", &[&[c][..], &large(arch, rel_ms(1)), &[0]].concat()) & 0xFF,
            1,
            "re-armed"
        );
        assert_eq!(ok32(&mut fx, "KeCancelTimer", &[c]) & 0xFF, 1);
    }
}

#[test]
fn event_objects_with_handles() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let h = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "ZwCreateEvent", &[h, 0x1F_0003, 0, NOTIFICATION, 0]), 0, "{arch:?}");
        let handle = fx.read_ptr(h);
        let prev = fx.alloc(4);
        let zero = li(&mut fx, 0);
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[handle, 0, zero]), TIMEOUT);
        assert_eq!(ok32(&mut fx, "ZwSetEvent", &[handle, prev]), 0);
        assert_eq!(u32s(&fx.read(prev, 4)), vec![0]);
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[handle, 0, zero]), 0);
        assert_eq!(ok32(&mut fx, "ZwResetEvent", &[handle, prev]), 0);
        assert_eq!(u32s(&fx.read(prev, 4)), vec![1]);
        assert_eq!(ok32(&mut fx, "ZwPulseEvent", &[handle, prev]), 0);
        assert_eq!(u32s(&fx.read(prev, 4)), vec![0]);
        ok(&mut fx, "ZwSetEvent", &[handle, 0]);
        assert_eq!(ok32(&mut fx, "ZwClearEvent", &[handle]), 0);
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[handle, 0, zero]), TIMEOUT);
        // The object behind the handle is a KEVENT of ExEventObjectType.
        let ty = fx.read_ptr(fx.k.ext().resolve(Dll::Ntoskrnl, "ExEventObjectType").unwrap());
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "ObReferenceObjectByHandle", &[handle, 0, ty, 0, out, 0]), 0);
        let object = fx.read_ptr(out);
        let sem = fx.read_ptr(fx.k.ext().resolve(Dll::Ntoskrnl, "ExSemaphoreObjectType").unwrap());
        assert!(sem != 0 && sem != ty, "another type");
        assert_eq!(ok32(&mut fx, "ObReferenceObjectByHandle", &[handle, 0, sem, 0, out, 0]), 0xC000_0024);
        ok(&mut fx, "KeSetEvent", &[object, 0, 0]);
        // ZwWaitForMultipleObjects on handles (WaitAny = 1).
        let list = fx.alloc(16);
        fx.k.mem_mut().write_ptr(list, handle).unwrap();
        assert_eq!(ok32(&mut fx, "ZwWaitForMultipleObjects", &[1, list, 1, 0, zero]), 0);
        ok(&mut fx, "ObfDereferenceObject", &[object]);
        assert_eq!(ok32(&mut fx, "ZwSetEvent", &[0x1234, 0]), 0xC000_0008, "STATUS_INVALID_HANDLE");
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[0x1234, 0, zero]), 0xC000_0008);
        assert_eq!(ok32(&mut fx, "ZwClose", &[handle]), 0);

        // Named: created, then opened by name, the same object.
        let name = fx.ustr("\\BaseNamedObjects\\PortcullisTest");
        let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(arch)).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap(); // OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE
        assert_eq!(ok32(&mut fx, "ZwCreateEvent", &[h, 0x1F_0003, oa, SYNCHRONIZATION, 1]), 0);
        let created = fx.read_ptr(h);
        let h2 = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "ZwOpenEvent", &[h2, 0x1F_0003, oa]), 0);
        let opened = fx.read_ptr(h2);
        assert_ne!(created, opened);
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[opened, 0, zero]), 0, "created signaled");
        assert_eq!(ok32(&mut fx, "ZwWaitForSingleObject", &[created, 0, zero]), TIMEOUT, "one object");
        ok(&mut fx, "ZwClose", &[created]);
        ok(&mut fx, "ZwClose", &[opened]);

        // The I/O manager's named events: signaled when created, the same object again after.
        let n = fx.ustr("\\BaseNamedObjects\\PortcullisIo");
        let e = ok(&mut fx, "IoCreateNotificationEvent", &[n, h]);
        assert_ne!(e, 0);
        assert_eq!(ok32(&mut fx, "KeReadStateEvent", &[e]), 1);
        assert_eq!(fx.read(e, 1)[0], 0, "a notification event");
        let n2 = fx.ustr("\\BaseNamedObjects\\PortcullisSync");
        let s = ok(&mut fx, "IoCreateSynchronizationEvent", &[n2, h2]);
        assert_eq!(fx.read(s, 1)[0], 1, "a synchronization event");
        assert_eq!(ok(&mut fx, "IoCreateNotificationEvent", &[n, h2]), e);
    }
}

#[test]
fn waiting_at_dispatch_level_is_a_bugcheck_and_polling_is_not() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let e = event(&mut fx, NOTIFICATION, 0);
        let old = ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        assert_eq!(old & 0xFF, 0);
        assert_eq!(poll(&mut fx, e), TIMEOUT, "{arch:?}: a zero timeout is fine at DISPATCH_LEVEL");
        let b = bugcheck(call(&mut fx, "KeWaitForSingleObject", &[e, 0, 0, 0, 0]));
        assert_eq!((b.code, b.name, b.params[1]), (0xA, "IRQL_NOT_LESS_OR_EQUAL", 2));

        let mut fx = Fx::new(arch);
        ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        let d = li(&mut fx, rel_ms(1));
        let b = bugcheck(call(&mut fx, "KeDelayExecutionThread", &[0, 0, d]));
        assert_eq!(b.code, 0xA);

        // KeSetEvent(Wait = TRUE) raises to DISPATCH_LEVEL for the wait that follows, which
        // is judged at the level from before.
        let mut fx = Fx::new(arch);
        let e = event(&mut fx, NOTIFICATION, 0);
        let s = event(&mut fx, SYNCHRONIZATION, 1);
        ok(&mut fx, "KeSetEvent", &[e, 0, 1]);
        assert_eq!(ok32(&mut fx, "KeGetCurrentIrql", &[]) & 0xFF, 2);
        assert_eq!(wait(&mut fx, s, 0), 0);
        assert_eq!(ok32(&mut fx, "KeGetCurrentIrql", &[]) & 0xFF, 0);

        // A wait inside a DPC routine: ATTEMPTED_SWITCH_FROM_DPC.
        let mut fx = Fx::new(arch);
        let e = event(&mut fx, NOTIFICATION, 0);
        let r = routine(&mut fx, 4, |a, r| {
            let (w, c) = r("KeWaitForSingleObject");
            a.call(w, c, &[K(e), K(0), K(0), K(0), K(0)]);
        });
        let dpc = fx.alloc(0x40);
        ok(&mut fx, "KeInitializeDpc", &[dpc, r, 0]);
        let b = bugcheck(call(&mut fx, "KeInsertQueueDpc", &[dpc, 0, 0]));
        assert_eq!((b.code, b.name), (0xB8, "ATTEMPTED_SWITCH_FROM_DPC"));
    }
}

#[test]
fn a_wait_nothing_can_end_is_a_deadlock_with_its_wait_graph() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let e = event(&mut fx, SYNCHRONIZATION, 0);
        match call(&mut fx, "KeWaitForSingleObject", &[e, 0, 0, 0, 0]) {
            Err(Stop::Host(KernelStop::Deadlock(d))) => {
                assert_eq!(d.waits.len(), 1, "{arch:?}: {d:?}");
                let w = &d.waits[0];
                assert_eq!(w.waits_for, "objects (any)");
                assert_eq!(w.on[0].object, e);
                assert_eq!(w.on[0].kind, "synchronization event");
            }
            other => panic!("{arch:?}: expected a deadlock, got {other:?}"),
        }
    }
}
