//! The I/O manager's device timers: IoInitializeTimer, IoStartTimer, IoStopTimer, and
//! IoDeleteDevice taking the timer with it, on the virtual clock.

#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::ke::scheduler;
use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT};

const SECOND: u64 = 1_000_000_000;

#[test]
fn a_started_device_timer_calls_its_routine_once_a_second() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]), 0);
        let device = fx.read_ptr(out);
        // IoTimer(DeviceObject, Context): counts its calls and keeps its arguments.
        let (count, seen_device, seen_context) = (fx.alloc(8), fx.alloc(8), fx.alloc(8));
        let timer_routine = routine(&mut fx, 2, |a, _| {
            a.inc(count).store_param(0, seen_device).store_param(1, seen_context);
        });
        let calls = |fx: &Fx| fx.read_ptr(count) as u32;

        assert_eq!(fx.k.mem().get(device, DEVICE_OBJECT::Timer).unwrap(), 0, "{arch:?}: no timer yet");
        assert_eq!(ok32(&mut fx, "IoInitializeTimer", &[device, timer_routine, 0x1234]), 0);
        let timer = fx.k.mem().get(device, DEVICE_OBJECT::Timer).unwrap();
        assert_ne!(timer, 0, "DEVICE_OBJECT.Timer is set");
        scheduler::advance(&mut fx.k, 3 * SECOND).unwrap();
        assert_eq!(calls(&fx), 0, "{arch:?}: not started");

        ok(&mut fx, "IoStartTimer", &[device]);
        ok(&mut fx, "IoStartTimer", &[device]); // already started: no second timer
        scheduler::advance(&mut fx.k, 3 * SECOND + SECOND / 2).unwrap();
        assert_eq!(calls(&fx), 3, "{arch:?}: at 1, 2 and 3 s");
        assert_eq!(fx.read_ptr(seen_device), device);
        assert_eq!(fx.read_ptr(seen_context), 0x1234);

        ok(&mut fx, "IoStopTimer", &[device]);
        scheduler::advance(&mut fx.k, 5 * SECOND).unwrap();
        assert_eq!(calls(&fx), 3, "{arch:?}: stopped");

        // Initializing again changes the routine's context and keeps the same timer.
        assert_eq!(ok32(&mut fx, "IoInitializeTimer", &[device, timer_routine, 0x5678]), 0);
        assert_eq!(fx.k.mem().get(device, DEVICE_OBJECT::Timer).unwrap(), timer);
        ok(&mut fx, "IoStartTimer", &[device]);
        scheduler::advance(&mut fx.k, SECOND).unwrap();
        assert_eq!(calls(&fx), 4, "{arch:?}: a second after the restart");
        assert_eq!(fx.read_ptr(seen_context), 0x5678);

        // Deleting the device stops its timer and frees it.
        assert!(fx.k.ext().pool.block(timer).is_some());
        ok(&mut fx, "IoDeleteDevice", &[device]);
        assert!(fx.k.ext().pool.block(timer).is_none(), "{arch:?}: the timer's block is freed");
        scheduler::advance(&mut fx.k, 5 * SECOND).unwrap();
        assert_eq!(calls(&fx), 4, "{arch:?}: no calls after IoDeleteDevice");
    }
}

#[test]
fn starting_a_device_timer_that_was_never_initialized_faults_as_on_windows() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]), 0);
        let device = fx.read_ptr(out);
        let b = bugcheck(fx.call(portcullis_hle::exports::Dll::Ntoskrnl, "IoStartTimer", &[device]));
        assert!(b.name.contains("PAGE_FAULT") || b.name.contains("KMODE_EXCEPTION"), "{arch:?}: {b:?}");
    }
}
