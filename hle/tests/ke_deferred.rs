//! Deferred work on both architectures, through the real stubs: DPCs (queueing, removal,
//! importance, target processors, threaded DPCs, flushing), the generic call DPC on every
//! processor, work items of the executive and of the I/O manager, and callback objects.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::layout::{FieldAccess, KDPC, OBJECT_ATTRIBUTES, WORK_QUEUE_ITEM};

fn dpc(fx: &mut Fx, routine: u64, context: u64) -> u64 {
    let d = fx.alloc(KDPC::STRUCT.size(fx.arch));
    ok(fx, "KeInitializeDpc", &[d, routine, context]);
    d
}

/// A DPC routine that records, in `slot`, the order it ran in (an interlocked counter's old
/// value plus one), and the processor it ran on in `slot + 8`.
fn recording_routine(fx: &mut Fx, order: u64, lock: u64, slot: u64) -> u64 {
    routine(fx, 4, |a, r| {
        let (add, c) = r("ExInterlockedAddUlong");
        a.call(add, c, &[K(order), K(1), K(lock)]).store(slot);
        let (num, c) = r("KeGetCurrentProcessorNumberEx");
        a.call(num, c, &[K(0)]).store(slot + 8);
    })
}

#[test]
fn a_dpc_runs_once_the_irql_allows_with_its_arguments() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let seen = fx.alloc(32);
        let irql = fx.alloc(8);
        let r = routine(&mut fx, 4, |a, res| {
            a.store_param(0, seen).store_param(1, seen + 8).store_param(2, seen + 16).store_param(3, seen + 24);
            let (get, c) = res("KeGetCurrentIrql");
            a.call(get, c, &[]).store(irql);
        });
        let d = dpc(&mut fx, r, 0xC0);
        assert_eq!(fx.read(d, 1)[0], 0x13, "{arch:?}: DpcObject");
        assert_eq!(fx.k.mem().get(d, KDPC::DeferredRoutine).unwrap(), r);
        assert_eq!(ok32(&mut fx, "KeInsertQueueDpc", &[d, 0xA1, 0xA2]) & 0xFF, 1);
        let ps = 8;
        let vals: Vec<u64> = (0..4).map(|i| fx.read_ptr(seen + i * ps)).collect();
        assert_eq!(vals, vec![d, 0xC0, 0xA1, 0xA2], "(Dpc, DeferredContext, SystemArgument1, SystemArgument2)");
        assert_eq!(fx.read(irql, 1)[0], 2, "at DISPATCH_LEVEL");
        assert_eq!(fx.k.mem().get(d, KDPC::DpcData).unwrap(), 0, "no longer queued");

        // At DISPATCH_LEVEL it waits in the queue: a second insert is refused, removal works.
        fx.k.mem_mut().write_u64(seen, 0).unwrap();
        let old = ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueDpc", &[d, 1, 2]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "KeInsertQueueDpc", &[d, 3, 4]) & 0xFF, 0, "queued already");
        let snap = portcullis_hle::ke::snapshot::take(&fx.k);
        assert_eq!((snap.dpcs.len(), snap.dpcs[0].dpc, snap.dpcs[0].routine), (1, d, r));
        assert_eq!(ok32(&mut fx, "KeRemoveQueueDpc", &[d]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "KeRemoveQueueDpc", &[d]) & 0xFF, 0);
        ok(&mut fx, if arch == Arch::X86 { "KfLowerIrql" } else { "KeLowerIrql" }, &[old]);
        assert_eq!(fx.read_ptr(seen), 0, "removed: never ran");
        ok(&mut fx, "KeFlushQueuedDpcs", &[]);

        // A DPC routine that returns at another IRQL: IRQL_UNEXPECTED_VALUE.
        let bad = routine(&mut fx, 4, |a, r| {
            let (lower, c) = r(if arch == Arch::X86 { "KfLowerIrql" } else { "KeLowerIrql" });
            a.call(lower, c, &[K(0)]);
        });
        let d2 = dpc(&mut fx, bad, 0);
        let b = bugcheck(call(&mut fx, "KeInsertQueueDpc", &[d2, 0, 0]));
        assert_eq!((b.code, b.name), (0xC8, "IRQL_UNEXPECTED_VALUE"));
    }
}

#[test]
fn importance_orders_the_queue_and_the_target_processor_runs_it() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let order = fx.alloc(8);
        let lock = fx.alloc(8);
        let slots = fx.alloc(48);
        let routines: Vec<u64> = (0..3).map(|i| recording_routine(&mut fx, order, lock, slots + 16 * i)).collect();
        let dpcs: Vec<u64> = routines.iter().map(|r| dpc(&mut fx, *r, 0)).collect();
        // Queued at DISPATCH_LEVEL on processor 0: 0 (medium), 1 (high: to the front), and 2
        // (threaded) on processor 1, which is not at DISPATCH_LEVEL: it runs at once there.
        ok(&mut fx, "KeSetImportanceDpc", &[dpcs[1], 2]);
        ok(&mut fx, "KeInitializeThreadedDpc", &[dpcs[2], routines[2], 0]);
        assert_eq!(fx.read(dpcs[2], 1)[0], 0x18, "ThreadedDpcObject");
        ok(&mut fx, "KeSetTargetProcessorDpc", &[dpcs[2], 1]);
        let old = ok(&mut fx, "KeRaiseIrqlToDpcLevel", &[]);
        for d in &dpcs {
            ok(&mut fx, "KeInsertQueueDpc", &[*d, 0, 0]);
        }
        let snap = portcullis_hle::ke::snapshot::take(&fx.k);
        let queued: Vec<(u32, u64)> = snap.dpcs.iter().map(|d| (d.processor, d.dpc)).collect();
        assert_eq!(queued, vec![(0, dpcs[1]), (0, dpcs[0])], "{arch:?}");
        assert_eq!(
            (fx.read_ptr(slots + 32) as u32, fx.read_ptr(slots + 40) as u32),
            (0, 1),
            "ran first, on processor 1"
        );
        ok(&mut fx, if arch == Arch::X86 { "KfLowerIrql" } else { "KeLowerIrql" }, &[old]);
        let got: Vec<(u32, u32)> =
            (0..3).map(|i| (fx.read_ptr(slots + 16 * i) as u32, fx.read_ptr(slots + 16 * i + 8) as u32)).collect();
        // (order it ran in, counting from 0; processor)
        assert_eq!(got, vec![(2, 0), (1, 0), (0, 1)]);

        // KeSetTargetProcessorDpcEx takes a PROCESSOR_NUMBER; a processor that does not exist
        // is refused.
        let pn = fx.put(&[0, 0, 1, 0]);
        assert_eq!(ok32(&mut fx, "KeSetTargetProcessorDpcEx", &[dpcs[0], pn]), 0);
        fx.k.mem_mut().write_u32(order, 0).unwrap();
        ok(&mut fx, "KeInsertQueueDpc", &[dpcs[0], 0, 0]);
        assert_eq!(fx.read_ptr(slots + 8) as u32, 1, "ran on processor 1");
        let bad = fx.put(&[0, 0, 7, 0]);
        assert_eq!(ok32(&mut fx, "KeSetTargetProcessorDpcEx", &[dpcs[0], bad]), 0xC000_000D);
    }
}

#[test]
fn the_generic_call_runs_on_every_processor_and_synchronizes() {
    for cpus in [2u32, 4] {
        for arch in both() {
            let k = Kernel::boot(MachineConfig::new(arch), KernelOptions { processors: cpus, ..Default::default() })
                .expect("boot");
            let mut fx = Fx::with(k);
            let count = fx.alloc(8);
            let r = routine(&mut fx, 4, |a, res| {
                a.inc(count);
                let (num, c) = res("KeGetCurrentProcessorNumberEx");
                a.call(num, c, &[K(0)]);
                let (sync, c) = res("KeSignalCallDpcSynchronize");
                a.call(sync, c, &[Param(3)]);
                let (done, c) = res("KeSignalCallDpcDone");
                a.call(done, c, &[Param(2)]);
            });
            ok(&mut fx, "KeGenericCallDpc", &[r, 0x77]);
            assert_eq!(fx.read_ptr(count) as u32, cpus, "{arch:?}: once per processor");
            let dpcs: Vec<u64> = calls(&fx.k)
                .iter()
                .filter(|c| c.name == "KeGetCurrentProcessorNumberEx")
                .map(|c| c.ret.unwrap_or(u64::MAX))
                .collect();
            assert_eq!(dpcs, (0..cpus as u64).collect::<Vec<_>>(), "processor by processor");
            let sync: Vec<u64> = calls(&fx.k)
                .iter()
                .filter(|c| c.name == "KeSignalCallDpcSynchronize")
                .map(|c| c.ret.unwrap_or(u64::MAX) & 0xFFFF_FFFF)
                .collect();
            assert_eq!(sync.iter().filter(|v| **v == 1).count(), 1, "one last arrival: {sync:?}");
            assert_eq!(sync.len(), cpus as usize);
            assert!(portcullis_hle::ke::snapshot::take(&fx.k).dpcs.is_empty());
        }
    }
}

#[test]
fn a_generic_call_whose_routine_never_signals_done_is_reported() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let r = routine(&mut fx, 4, |_, _| {});
        match call(&mut fx, "KeGenericCallDpc", &[r, 0]) {
            Err(Stop::Host(KernelStop::Deadlock(d))) => {
                assert!(d.reason.contains("without KeSignalCallDpcDone"), "{arch:?}: {}", d.reason)
            }
            other => panic!("{arch:?}: {other:?}"),
        }
    }
}

#[test]
fn executive_work_items_run_on_worker_threads() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let seen = fx.alloc(16);
        let r = routine(&mut fx, 1, |a, res| {
            a.store_param(0, seen);
            let (me, c) = res("PsGetCurrentThread");
            a.call(me, c, &[]).store(seen + 8);
        });
        let item = fx.alloc(WORK_QUEUE_ITEM::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(item, WORK_QUEUE_ITEM::WorkerRoutine, r).unwrap();
        mem.set(item, WORK_QUEUE_ITEM::Parameter, 0x5150).unwrap();
        ok(&mut fx, "ExQueueWorkItem", &[item, 1]);
        assert_ne!(fx.read_ptr(item), 0, "{arch:?}: linked while queued");
        // Queued again before it ran: WORKER_INVALID.
        let b = bugcheck(call(&mut fx, "ExQueueWorkItem", &[item, 1]));
        assert_eq!((b.code, b.name), (0xE4, "WORKER_INVALID"));

        let mut fx = Fx::new(arch);
        let seen = fx.alloc(16);
        let r = routine(&mut fx, 1, |a, res| {
            a.store_param(0, seen);
            let (me, c) = res("PsGetCurrentThread");
            a.call(me, c, &[]).store(seen + 8);
        });
        let item = fx.alloc(WORK_QUEUE_ITEM::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(item, WORK_QUEUE_ITEM::WorkerRoutine, r).unwrap();
        mem.set(item, WORK_QUEUE_ITEM::Parameter, 0x5150).unwrap();
        ok(&mut fx, "ExQueueWorkItem", &[item, 1]);
        portcullis_hle::ke::scheduler::settle(&mut fx.k).unwrap();
        assert_eq!(fx.read_ptr(seen), 0x5150);
        let worker = fx.read_ptr(seen + 8);
        let snap = portcullis_hle::ke::snapshot::take(&fx.k);
        let w = snap.threads.iter().find(|t| t.ethread == worker).expect("the worker");
        assert_eq!((w.kind, w.state), ("worker", "waiting"), "waiting for more work");
        assert_eq!(fx.read_ptr(item), 0, "unlinked once it ran");
        // Queued again: the same worker takes it.
        ok(&mut fx, "ExQueueWorkItem", &[item, 1]);
        portcullis_hle::ke::scheduler::settle(&mut fx.k).unwrap();
        assert_eq!(fx.read_ptr(seen + 8), worker);
        // A queue type Windows does not have.
        let b = bugcheck(call(&mut fx, "ExQueueWorkItem", &[item, 9]));
        assert_eq!(b.code, 0xE4);
    }
}

#[test]
fn io_work_items_pass_their_device_and_context() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]), 0);
        let dev = fx.read_ptr(out);
        let seen = fx.alloc(32);
        let r = routine(&mut fx, 2, |a, _| {
            a.store_param(0, seen).store_param(1, seen + 8);
        });
        let item = ok(&mut fx, "IoAllocateWorkItem", &[dev]);
        assert_ne!(item, 0, "{arch:?}");
        ok(&mut fx, "IoQueueWorkItem", &[item, r, 1, 0xC7]);
        portcullis_hle::ke::scheduler::settle(&mut fx.k).unwrap();
        assert_eq!((fx.read_ptr(seen), fx.read_ptr(seen + 8)), (dev, 0xC7), "(DeviceObject, Context)");
        // It may be queued again once it ran; twice before it ran is WORKER_INVALID.
        ok(&mut fx, "IoQueueWorkItem", &[item, r, 1, 0xC9]);
        let again = call(&mut fx, "IoQueueWorkItem", &[item, r, 1, 0xC9]);
        let b = bugcheck(again);
        assert_eq!((b.code, b.params[0]), (0xE4, 1));

        // Freed after it ran: the pool block goes back.
        let (mut fx, drv) = Fx::with_driver(arch);
        let dev = {
            let out = fx.alloc(8);
            ok(&mut fx, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]);
            fx.read_ptr(out)
        };
        let live = fx.k.ext().pool.live();
        let item = ok(&mut fx, "IoAllocateWorkItem", &[dev]);
        ok(&mut fx, "IoFreeWorkItem", &[item]);
        assert_eq!(fx.k.ext().pool.live(), live);
    }
}

#[test]
fn io_work_items_ex_and_uninitialize() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let seen = fx.alloc(32);
        let size = ok32(&mut fx, "IoSizeofWorkItem", &[]) as u64;
        let mine = fx.alloc(size);
        ok(&mut fx, "IoInitializeWorkItem", &[drv, mine]);
        let r3 = routine(&mut fx, 3, |a, _| {
            a.store_param(0, seen).store_param(1, seen + 8).store_param(2, seen + 16);
        });
        ok(&mut fx, "IoQueueWorkItemEx", &[mine, r3, 0, 0xC8]);
        portcullis_hle::ke::scheduler::settle(&mut fx.k).unwrap();
        let got: Vec<u64> = (0..3).map(|i| fx.read_ptr(seen + 8 * i)).collect();
        assert_eq!(got, vec![drv, 0xC8, mine], "{arch:?}: (IoObject, Context, IoWorkItem)");
        ok(&mut fx, "IoUninitializeWorkItem", &[mine]);
        // Not initialized any more: queuing it is WORKER_INVALID.
        assert_eq!(bugcheck(call(&mut fx, "IoQueueWorkItemEx", &[mine, r3, 0, 0])).code, 0xE4);
        // Nor is a work item for something that is no device or driver.
        let other = fx.alloc(size);
        assert_eq!(bugcheck(call(&mut fx, "IoInitializeWorkItem", &[seen, other])).code, 0xE4);
    }
}

fn attributes(fx: &mut Fx, name: &str) -> u64 {
    let arch = fx.arch;
    let n = fx.ustr(name);
    let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(arch));
    let mem = fx.k.mem_mut();
    mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(arch)).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, n).unwrap();
    mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x40).unwrap(); // OBJ_CASE_INSENSITIVE
    oa
}

#[test]
fn callback_objects_call_their_registrations_in_order() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        let oa = attributes(&mut fx, "\\Callback\\PortcullisTest");
        assert_eq!(ok32(&mut fx, "ExCreateCallback", &[out, oa, 0, 1]), 0xC000_0034, "{arch:?}: not found");
        assert_eq!(ok32(&mut fx, "ExCreateCallback", &[out, oa, 1, 1]), 0, "created");
        let object = fx.read_ptr(out);
        let seen = fx.alloc(64);
        let order = fx.alloc(8);
        let lock = fx.alloc(8);
        let mut regs = vec![];
        for i in 0..2u64 {
            let r = routine(&mut fx, 3, |a, res| {
                let (add, c) = res("ExInterlockedAddUlong");
                a.call(add, c, &[K(order), K(1), K(lock)]).store(seen + 32 * i);
                a.store_param(0, seen + 32 * i + 8)
                    .store_param(1, seen + 32 * i + 16)
                    .store_param(2, seen + 32 * i + 24);
            });
            let reg = ok(&mut fx, "ExRegisterCallback", &[object, r, 0x100 + i]);
            assert_ne!(reg, 0);
            regs.push(reg);
        }
        ok(&mut fx, "ExNotifyCallback", &[object, 0xA1, 0xA2]);
        let got: Vec<u64> = (0..8).map(|i| fx.read_ptr(seen + 8 * i)).collect();
        assert_eq!(got, vec![0, 0x100, 0xA1, 0xA2, 1, 0x101, 0xA1, 0xA2], "(context, Argument1, Argument2)");
        ok(&mut fx, "ExUnregisterCallback", &[regs[0]]);
        ok(&mut fx, "ExNotifyCallback", &[object, 0xB1, 0xB2]);
        assert_eq!(fx.read_ptr(seen + 32 + 16), 0xB1);
        assert_eq!(fx.read_ptr(seen + 16), 0xA1, "unregistered: not called");
        ok(&mut fx, "ExUnregisterCallback", &[regs[1]]);

        // Opened again by name: the same object. One routine only when not multiple.
        assert_eq!(ok32(&mut fx, "ExCreateCallback", &[out, oa, 0, 0]), 0);
        assert_eq!(fx.read_ptr(out), object);
        ok(&mut fx, "ObfDereferenceObject", &[object]);
        let single = attributes(&mut fx, "\\Callback\\PortcullisSingle");
        assert_eq!(ok32(&mut fx, "ExCreateCallback", &[out, single, 1, 0]), 0);
        let one = fx.read_ptr(out);
        let r = routine(&mut fx, 3, |_, _| {});
        assert_ne!(ok(&mut fx, "ExRegisterCallback", &[one, r, 0]), 0);
        assert_eq!(ok(&mut fx, "ExRegisterCallback", &[one, r, 0]), 0, "a second registration is refused");
        // The kernel's own objects exist without Create.
        let power = attributes(&mut fx, "\\Callback\\PowerState");
        assert_eq!(ok32(&mut fx, "ExCreateCallback", &[out, power, 0, 0]), 0);
    }
}
