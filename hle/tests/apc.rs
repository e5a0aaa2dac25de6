//! Asynchronous procedure calls through the real stubs on both architectures: KAPC layout
//! from KeInitializeApc, delivery to the current thread as the APC interrupt would (kernel
//! routine at APC_LEVEL, normal routine at PASSIVE_LEVEL), APCs held back by critical and
//! guarded regions and delivered when they are left, and APCs that stay queued (to another
//! thread, user mode) until their thread ends.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::ke::scheduler::SchedEvent;
use portcullis_hle::ke::snapshot;
use portcullis_hle::layout::{Field, FieldAccess, ETHREAD, KAPC};
use portcullis_hle::ps::processes;

const ORIGINAL_APC_ENVIRONMENT: u64 = 0;
const CURRENT_APC_ENVIRONMENT: u64 = 2;
const KERNEL_MODE: u64 = 0;
const USER_MODE: u64 = 1;

/// A log the routines write: [kernel calls, apc, all-APCs-disabled in the kernel routine,
/// normal calls, context, arg1, arg2, all-APCs-disabled in the normal routine].
struct Log(u64);

impl Log {
    fn slot(&self, i: u64) -> u64 {
        self.0 + 8 * i
    }
    fn get(&self, fx: &Fx, i: u64) -> u64 {
        fx.read_ptr(self.slot(i))
    }
    fn kernel_calls(&self, fx: &Fx) -> u64 {
        self.get(fx, 0) & 0xFFFF_FFFF
    }
    fn normal_calls(&self, fx: &Fx) -> u64 {
        self.get(fx, 3) & 0xFFFF_FFFF
    }
}

/// KernelRoutine(Apc, &NormalRoutine, &NormalContext, &SystemArgument1, &SystemArgument2)
/// and NormalRoutine(NormalContext, SystemArgument1, SystemArgument2), both logging.
fn routines(fx: &mut Fx) -> (Log, u64, u64) {
    let log = Log(fx.alloc(64));
    let (kc, apc, kirql, nc, c0, c1, c2, nirql) =
        (log.slot(0), log.slot(1), log.slot(2), log.slot(3), log.slot(4), log.slot(5), log.slot(6), log.slot(7));
    let kernel = routine(fx, 5, |a, r| {
        a.inc(kc).store_param(0, apc);
        let (f, c) = r("KeAreAllApcsDisabled");
        a.call(f, c, &[]).store(kirql);
    });
    let normal = routine(fx, 3, |a, r| {
        a.inc(nc).store_param(0, c0).store_param(1, c1).store_param(2, c2);
        let (f, c) = r("KeAreAllApcsDisabled");
        a.call(f, c, &[]).store(nirql);
    });
    (log, kernel, normal)
}

fn byte(fx: &Fx, apc: u64, f: Field) -> u64 {
    fx.k.mem().get(apc, f).unwrap()
}

fn kapc(fx: &mut Fx) -> u64 {
    fx.alloc(KAPC::STRUCT.size(fx.arch))
}

#[test]
fn initializing_fills_the_kapc() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let apc = kapc(&mut fx);
        fx.k.mem_mut().write(apc, &vec![0xCC; KAPC::STRUCT.size(arch) as usize]).unwrap();
        ok(&mut fx, "KeInitializeApc", &[apc, me, CURRENT_APC_ENVIRONMENT, 0x1111, 0x2222, 0x3333, USER_MODE, 0x4444]);
        assert_eq!(byte(&fx, apc, KAPC::Type), 18, "ApcObject");
        assert_eq!(byte(&fx, apc, KAPC::Size), KAPC::STRUCT.size(arch));
        assert_eq!(byte(&fx, apc, KAPC::Thread), me);
        assert_eq!(byte(&fx, apc, KAPC::KernelRoutine), 0x1111);
        assert_eq!(byte(&fx, apc, KAPC::RundownRoutine), 0x2222);
        assert_eq!(byte(&fx, apc, KAPC::NormalRoutine), 0x3333);
        assert_eq!(byte(&fx, apc, KAPC::NormalContext), 0x4444);
        assert_eq!(byte(&fx, apc, KAPC::ApcMode), USER_MODE);
        assert_eq!(byte(&fx, apc, KAPC::ApcStateIndex), 0, "not attached");
        assert_eq!(byte(&fx, apc, KAPC::Inserted), 0);
        // No NormalRoutine: a special kernel-mode APC, whatever the mode and context asked.
        ok(&mut fx, "KeInitializeApc", &[apc, me, ORIGINAL_APC_ENVIRONMENT, 0x1111, 0, 0, USER_MODE, 0x4444]);
        assert_eq!(byte(&fx, apc, KAPC::ApcMode), KERNEL_MODE);
        assert_eq!(byte(&fx, apc, KAPC::NormalContext), 0);
    }
}

#[test]
fn an_apc_to_the_current_thread_runs_before_the_insert_returns() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (log, kernel, normal) = routines(&mut fx);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let apc = kapc(&mut fx);
        ok(&mut fx, "KeInitializeApc", &[apc, me, ORIGINAL_APC_ENVIRONMENT, kernel, 0, normal, KERNEL_MODE, 0xC0]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[apc, 0xA1, 0xA2, 0]) & 0xFF, 1);
        assert_eq!((log.kernel_calls(&fx), log.get(&fx, 1)), (1, apc), "KernelRoutine(Apc, ...)");
        assert_eq!(log.get(&fx, 2) & 0xFF, 1, "the kernel routine runs at APC_LEVEL");
        assert_eq!(log.normal_calls(&fx), 1);
        assert_eq!(
            (log.get(&fx, 4), log.get(&fx, 5), log.get(&fx, 6)),
            (0xC0, 0xA1, 0xA2),
            "NormalRoutine(Context, Arg1, Arg2)"
        );
        assert_eq!(log.get(&fx, 7) & 0xFF, 0, "the normal routine runs at PASSIVE_LEVEL");
        assert_eq!(byte(&fx, apc, KAPC::Inserted), 0, "off the queue");
        assert_eq!(ok32(&mut fx, "KeGetCurrentIrql", &[]) & 0xFF, 0, "back at PASSIVE_LEVEL");
        // Delivered, it can be queued again.
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[apc, 0xB1, 0xB2, 0]) & 0xFF, 1);
        assert_eq!((log.kernel_calls(&fx), log.normal_calls(&fx), log.get(&fx, 5)), (2, 2, 0xB1));
        let events = kernel_events(&fx.k, |e| match e {
            KernelEvent::Sched(SchedEvent::Apc { apc: a, kernel_routine, .. }) => Some((*a, *kernel_routine)),
            _ => None,
        });
        assert_eq!(events, vec![(apc, kernel), (apc, kernel)]);
    }
}

#[test]
fn regions_hold_apcs_back_until_they_are_left() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (log, kernel, normal) = routines(&mut fx);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let (a_normal, a_special) = (kapc(&mut fx), kapc(&mut fx));
        ok(&mut fx, "KeInitializeApc", &[a_normal, me, ORIGINAL_APC_ENVIRONMENT, kernel, 0, normal, KERNEL_MODE, 1]);
        ok(&mut fx, "KeInitializeApc", &[a_special, me, ORIGINAL_APC_ENVIRONMENT, kernel, 0, 0, KERNEL_MODE, 0]);

        // A critical region holds back normal kernel APCs, not special ones.
        ok(&mut fx, "KeEnterCriticalRegion", &[]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_normal, 0, 0, 0]) & 0xFF, 1);
        assert_eq!(log.kernel_calls(&fx), 0, "held back");
        assert_eq!(byte(&fx, a_normal, KAPC::Inserted), 1);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_normal, 0, 0, 0]) & 0xFF, 0, "queued already");
        assert_eq!(snapshot::take(&fx.k).threads.iter().find(|t| t.ethread == me).unwrap().apcs, vec![a_normal]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_special, 0, 0, 0]) & 0xFF, 1);
        assert_eq!((log.kernel_calls(&fx), log.get(&fx, 1), log.normal_calls(&fx)), (1, a_special, 0), "special runs");
        ok(&mut fx, "KeLeaveCriticalRegion", &[]);
        assert_eq!((log.kernel_calls(&fx), log.get(&fx, 1), log.normal_calls(&fx)), (2, a_normal, 1), "run on leaving");
        assert!(snapshot::take(&fx.k).threads.iter().all(|t| t.apcs.is_empty()));

        // A guarded region holds back both; nested regions deliver on the last leave.
        ok(&mut fx, "KeEnterGuardedRegion", &[]);
        ok(&mut fx, "KeEnterGuardedRegion", &[]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_normal, 0, 0, 0]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_special, 0, 0, 0]) & 0xFF, 1);
        ok(&mut fx, "KeLeaveGuardedRegion", &[]);
        assert_eq!(log.kernel_calls(&fx), 2, "still guarded");
        ok(&mut fx, "KeLeaveGuardedRegion", &[]);
        assert_eq!((log.kernel_calls(&fx), log.normal_calls(&fx)), (4, 2));
        assert_eq!(log.get(&fx, 1), a_normal, "the special APC first, then the normal one");
    }
}

#[test]
fn a_raised_irql_holds_apcs_back_until_it_drops() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (log, kernel, normal) = routines(&mut fx);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let apc = kapc(&mut fx);
        ok(&mut fx, "KeInitializeApc", &[apc, me, ORIGINAL_APC_ENVIRONMENT, kernel, 0, normal, KERNEL_MODE, 0]);
        assert_eq!(ok32(&mut fx, "KeRaiseIrqlToDpcLevel", &[]) & 0xFF, 0);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[apc, 0, 0, 0]) & 0xFF, 1);
        assert_eq!(log.kernel_calls(&fx), 0, "at DISPATCH_LEVEL");
        ok(&mut fx, "KeLowerIrql", &[0]);
        assert_eq!((log.kernel_calls(&fx), log.normal_calls(&fx)), (1, 1), "taken as the IRQL drops");
        assert_eq!(ok32(&mut fx, "KeGetCurrentIrql", &[]) & 0xFF, 0);
    }
}

#[test]
fn apcs_to_other_threads_and_user_apcs_stay_queued_until_the_thread_ends() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (log, kernel, normal) = routines(&mut fx);
        processes::start(&mut fx.k, "app.exe", 0x3C0, 4).unwrap().unwrap();
        let other = processes::find(&fx.k, 0x3C0).unwrap().thread;
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let (a_other, a_user) = (kapc(&mut fx), kapc(&mut fx));
        ok(&mut fx, "KeInitializeApc", &[a_other, other, ORIGINAL_APC_ENVIRONMENT, kernel, 0, normal, KERNEL_MODE, 0]);
        ok(&mut fx, "KeInitializeApc", &[a_user, me, ORIGINAL_APC_ENVIRONMENT, kernel, 0, normal, USER_MODE, 0]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_other, 0, 0, 0]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_user, 0, 0, 0]) & 0xFF, 1);
        assert_eq!(log.kernel_calls(&fx), 0, "neither runs here");
        let snap = snapshot::take(&fx.k);
        let apcs_of = |t: u64| snap.threads.iter().find(|i| i.ethread == t).unwrap().apcs.clone();
        assert_eq!((apcs_of(other), apcs_of(me)), (vec![a_other], vec![a_user]));

        processes::exit(&mut fx.k, 0x3C0, 0).unwrap().unwrap();
        let dropped = kernel_events(&fx.k, |e| match e {
            KernelEvent::Sched(SchedEvent::ApcsDropped { apcs, .. }) => Some(apcs.clone()),
            _ => None,
        });
        assert_eq!(dropped, vec![vec![a_other]], "never delivered, and said so");
        assert_eq!(log.kernel_calls(&fx), 0);
        // An ended thread takes no APC.
        ok(&mut fx, "KeInitializeApc", &[a_other, other, ORIGINAL_APC_ENVIRONMENT, kernel, 0, normal, KERNEL_MODE, 0]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_other, 0, 0, 0]) & 0xFF, 0);
    }
}

#[test]
fn testing_for_an_alert_marks_a_queued_user_apc_pending() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (_log, kernel, normal) = routines(&mut fx);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        let pending = |fx: &Fx| fx.k.mem().get(me, ETHREAD::UserApcPending).unwrap();
        // Nothing alerts a thread here: FALSE in both modes, and no user APC to mark.
        assert_eq!(ok32(&mut fx, "KeTestAlertThread", &[KERNEL_MODE]) & 0xFF, 0, "{arch:?}");
        assert_eq!(ok32(&mut fx, "KeTestAlertThread", &[USER_MODE]) & 0xFF, 0);
        assert_eq!(pending(&fx), 0);
        let a_user = kapc(&mut fx);
        ok(&mut fx, "KeInitializeApc", &[a_user, me, ORIGINAL_APC_ENVIRONMENT, kernel, 0, normal, USER_MODE, 0]);
        assert_eq!(ok32(&mut fx, "KeInsertQueueApc", &[a_user, 0, 0, 0]) & 0xFF, 1);
        // A kernel-mode test leaves user APCs alone; a user-mode one marks them pending.
        assert_eq!(ok32(&mut fx, "KeTestAlertThread", &[KERNEL_MODE]) & 0xFF, 0);
        assert_eq!(pending(&fx), 0, "{arch:?}");
        assert_eq!(ok32(&mut fx, "KeTestAlertThread", &[USER_MODE]) & 0xFF, 0);
        assert_eq!(pending(&fx), 1, "{arch:?}");
    }
}
