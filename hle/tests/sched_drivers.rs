//! The scheduler's corpus drivers end to end on both architectures: system threads woken by
//! requests, threads ping-ponging on events, DPCs a request waits for, a periodic timer over
//! virtual time, a DPC on every processor, work items, resources; and the same inputs giving
//! the same interleaving and the same trace, event for event.
#[allow(unused_imports)]
mod common;
use common::*;

use portcullis_hle::ke::scheduler::{self, SchedEvent};
use portcullis_hle::ke::snapshot;

fn sched(k: &Kx) -> Vec<SchedEvent> {
    kernel_events(k, |e| match e {
        KernelEvent::Sched(s) => Some(s.clone()),
        _ => None,
    })
}

fn switches(k: &Kx) -> usize {
    sched(k).iter().filter(|e| matches!(e, SchedEvent::Switch { .. })).count()
}

#[test]
fn a_system_thread_answers_each_request() {
    for arch in both() {
        let (mut k, d) = started("threadwait", arch);
        let h = open(&mut k, "\\\\.\\ThreadWait");
        // POLL: nothing signaled yet, a zero-timeout wait.
        assert_eq!(
            ioctl(&mut k, h, ctl(0x801, 0), &[], 0).status(),
            portcullis_hle::types::NtStatus(0x102),
            "{arch:?}"
        );
        clear_trace(&mut k);
        let r = ioctl(&mut k, h, ctl(0x800, 0), &[], 4);
        assert_eq!((r.status(), u32s(r.output())), (status::SUCCESS, vec![1]));
        // The request's thread waited, the system thread ran, and back.
        let names: Vec<String> = sched(&k)
            .iter()
            .filter_map(|e| match e {
                SchedEvent::Switch { to, .. } => Some(to.clone()),
                _ => None,
            })
            .collect();
        assert!(names.len() >= 2, "{names:?}");
        assert_ne!(names[0], names[1]);
        assert_eq!(ioctl(&mut k, h, ctl(0x801, 0), &[], 0).status(), status::SUCCESS);
        let r = ioctl(&mut k, h, ctl(0x800, 0), &[], 4);
        assert_eq!(u32s(r.output()), vec![2]);
        // HANDLES: event handles and a wait that times out after 5 virtual ms.
        let before = k.guest().cpu.clock.now_ns();
        let r = ioctl(&mut k, h, ctl(0x802, 0), &[], 4);
        assert_eq!((r.status(), u32s(r.output())), (status::SUCCESS, vec![5]));
        assert!(k.guest().cpu.clock.now_ns() - before >= 5_000_000);
        // The system thread waits for the next request.
        let snap = snapshot::take(&k);
        let t = snap.threads.iter().find(|t| t.kind == "system").expect("the driver's thread");
        assert_eq!(t.state, "waiting");
        assert!(t.wait.as_ref().is_some_and(|w| w.on.iter().any(|o| o.kind == "synchronization event")), "{t:?}");
        request::close(&mut k, h).unwrap();
        let u = driver::unload(&mut k, d).unwrap();
        assert!(u.leaks.is_empty(), "{:?}", u.leaks);
        let snap = snapshot::take(&k);
        assert_eq!(snap.threads.iter().find(|t| t.kind == "system").unwrap().state, "terminated");
    }
}

#[test]
fn two_threads_ping_pong_and_a_request_waits_for_its_dpcs() {
    for arch in both() {
        let (mut k, _) = started("pingpong", arch);
        let h = open(&mut k, "\\\\.\\PingPong");
        clear_trace(&mut k);
        let r = ioctl(&mut k, h, ctl(0x800, 0), &100u32.to_le_bytes(), 8);
        assert_eq!((r.status(), u32s(r.output())), (status::SUCCESS, vec![100, 100]), "{arch:?}");
        // Every round hands over twice.
        assert!(switches(&k) >= 200, "{}", switches(&k));
        let exits = sched(&k).iter().filter(|e| matches!(e, SchedEvent::ThreadExit { .. })).count();
        assert_eq!(exits, 2);
        clear_trace(&mut k);
        let r = ioctl(&mut k, h, ctl(0x801, 0), &50u32.to_le_bytes(), 4);
        assert_eq!((r.status(), u32s(r.output())), (status::SUCCESS, vec![50]));
        let dpcs = sched(&k).iter().filter(|e| matches!(e, SchedEvent::Dpc { .. })).count();
        assert_eq!(dpcs, 50);
    }
}

#[test]
fn a_periodic_timer_counts_ticks_across_virtual_time() {
    for arch in both() {
        let (mut k, d) = started("ticker", arch);
        let h = open(&mut k, "\\\\.\\Ticker");
        let ticks = |k: &mut Kx| u32s(ioctl(k, h, ctl(0x800, 0), &[], 12).output());
        assert_eq!(ticks(&mut k)[0], 0, "{arch:?}: no time has passed");
        scheduler::advance(&mut k, 35_000_000).unwrap();
        assert_eq!(ticks(&mut k)[..2], [3, 2], "three ticks, each DPC at DISPATCH_LEVEL");
        scheduler::advance(&mut k, 5_000_000).unwrap();
        assert_eq!(ticks(&mut k)[0], 4);
        // The one-shot wait lets 30 ms pass inside the request: the periodic timer fires
        // meanwhile.
        let r = ioctl(&mut k, h, ctl(0x802, 0), &[], 4);
        assert_eq!((r.status(), u32s(r.output())), (status::SUCCESS, vec![1]));
        assert_eq!(ticks(&mut k)[0], 7);
        let snap = snapshot::take(&k);
        assert_eq!(snap.timers.len(), 1, "the periodic timer, re-armed");
        assert_eq!(snap.timers[0].period_ms, 10);
        // wait_idle ignores periodic timers: it returns at once.
        let now = k.guest().cpu.clock.now_ns();
        scheduler::wait_idle(&mut k, 1_000_000_000).unwrap();
        assert_eq!(k.guest().cpu.clock.now_ns(), now);
        request::close(&mut k, h).unwrap();
        driver::unload(&mut k, d).unwrap();
        assert!(snapshot::take(&k).timers.is_empty(), "cancelled on unload");
    }
}

/// Loads and drives pingpong and threadwait; the whole trace, rendered.
fn session(arch: Arch) -> Vec<String> {
    let (mut k, d) = started("pingpong", arch);
    let h = open(&mut k, "\\\\.\\PingPong");
    ioctl(&mut k, h, ctl(0x800, 0), &20u32.to_le_bytes(), 8);
    ioctl(&mut k, h, ctl(0x801, 0), &5u32.to_le_bytes(), 4);
    request::close(&mut k, h).unwrap();
    driver::unload(&mut k, d).unwrap();
    let d = loader::load(&mut k, "threadwait", &corpus_bytes("threadwait", arch)).unwrap();
    driver::call_entry(&mut k, d).unwrap();
    let h = open(&mut k, "\\\\.\\ThreadWait");
    for code in [0x801, 0x800, 0x801, 0x802] {
        ioctl(&mut k, h, ctl(code, 0), &[], 4);
    }
    scheduler::advance(&mut k, 50_000_000).unwrap();
    request::close(&mut k, h).unwrap();
    driver::unload(&mut k, d).unwrap();
    k.guest().trace.events().iter().map(|e| format!("{e:?}")).collect()
}

#[test]
fn the_same_inputs_give_the_same_interleaving_and_trace() {
    for arch in both() {
        let a = session(arch);
        let b = session(arch);
        assert!(a.len() > 100, "{arch:?}: {}", a.len());
        assert_eq!(a, b, "{arch:?}");
    }
}

#[test]
fn processors_that_all_have_work_take_turns() {
    for processors in [2u32, 4] {
        for arch in both() {
            let mut k = Kernel::boot(MachineConfig::new(arch), KernelOptions { processors, ..Default::default() })
                .expect("boot");
            let d = loader::load(&mut k, "percpu", &corpus_bytes("percpu", arch)).unwrap();
            assert_eq!(driver::call_entry(&mut k, d).unwrap(), status::SUCCESS);
            let h = open(&mut k, "\\\\.\\PerCpu");
            clear_trace(&mut k);
            // Each DPC spins until the caller, spinning too, lets them all go.
            let r = ioctl(&mut k, h, ctl(0x802, 0), &[], 8);
            let all = (1u32 << processors) - 1;
            assert_eq!((r.status(), u32s(r.output())), (status::SUCCESS, vec![all, all]), "{arch:?} {processors}");
            let preempted: Vec<String> = sched(&k)
                .iter()
                .filter_map(|e| match e {
                    SchedEvent::Preempt { flow } => Some(flow.clone()),
                    _ => None,
                })
                .collect();
            // Every other processor's DPC spun until the caller let it go; so did the caller.
            assert!(preempted.len() >= processors as usize, "{preempted:?}");
            for p in 1..processors {
                assert!(preempted.contains(&format!("dpc {p}")), "{preempted:?}");
            }
            // Nothing is left preempted or queued.
            let snap = snapshot::take(&k);
            assert!(snap.dpcs.is_empty());
            assert!(snap.threads.iter().all(|t| t.state != "ready"), "{:?}", snap.threads);
        }
    }
}

#[test]
fn notify_routines_still_registered_are_leaks_until_unload_removes_them() {
    for arch in both() {
        let (mut k, d) = started("procwatch", arch);
        // While loaded, its three routines are registrations it holds.
        let held = portcullis_hle::driver::leaks(&k, d).registrations;
        let kinds: Vec<&str> = held.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            ["PsSetCreateProcessNotifyRoutine", "PsSetCreateThreadNotifyRoutine", "PsSetLoadImageNotifyRoutine"],
            "{arch:?}"
        );
        // Its unload removes them.
        let u = portcullis_hle::driver::unload(&mut k, d).unwrap();
        assert!(u.leaks.registrations.is_empty(), "{arch:?}: {:?}", u.leaks);
    }
}
