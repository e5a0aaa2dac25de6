//! Device timers: IoInitializeTimer, IoStartTimer, IoStopTimer; the routine runs once a
//! second of virtual time with its device and context while started, and stops with the
//! device; both architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::ke::scheduler;
use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT};

const SECOND: u64 = 1_000_000_000;

fn device(fx: &mut Fx, driver: u64) -> u64 {
    let out = fx.alloc(8);
    assert_eq!(ok32(fx, "IoCreateDevice", &[driver, 0, 0, 0x22, 0, 0, out]), 0);
    fx.read_ptr(out)
}

#[test]
fn the_timer_routine_runs_every_second_while_started() {
    for arch in both() {
        let (mut fx, driver) = Fx::with_driver(arch);
        let dev = device(&mut fx, driver);
        let (count, seen_dev, seen_ctx) = (fx.alloc(8), fx.alloc(8), fx.alloc(8));
        let tick = routine(&mut fx, 2, |a, _| {
            a.inc(count).store_param(0, seen_dev).store_param(1, seen_ctx);
        });
        assert_eq!(ok32(&mut fx, "IoInitializeTimer", &[dev, tick, 0x1234]), 0);
        let timer = fx.k.mem().get(dev, DEVICE_OBJECT::Timer).unwrap();
        assert_ne!(timer, 0);
        assert_eq!(fx.read(timer, 2), [9, 0], "IO_TYPE_TIMER");
        scheduler::advance(&mut fx.k, 3 * SECOND).unwrap();
        assert_eq!(fx.read_ptr(count) as u32, 0, "not started");
        ok(&mut fx, "IoStartTimer", &[dev]);
        ok(&mut fx, "IoStartTimer", &[dev]);
        scheduler::advance(&mut fx.k, 3 * SECOND + 1).unwrap();
        assert_eq!(fx.read_ptr(count) as u32, 3, "once a second, started twice or not");
        assert_eq!(fx.read_ptr(seen_dev), dev);
        assert_eq!(fx.read_ptr(seen_ctx), 0x1234);
        ok(&mut fx, "IoStopTimer", &[dev]);
        scheduler::advance(&mut fx.k, 3 * SECOND).unwrap();
        assert_eq!(fx.read_ptr(count) as u32, 3, "stopped");
        // Re-initialized: the same IO_TIMER, the new context.
        assert_eq!(ok32(&mut fx, "IoInitializeTimer", &[dev, tick, 0x5678]), 0);
        assert_eq!(fx.k.mem().get(dev, DEVICE_OBJECT::Timer).unwrap(), timer);
        ok(&mut fx, "IoStartTimer", &[dev]);
        scheduler::advance(&mut fx.k, SECOND + 1).unwrap();
        assert_eq!(fx.read_ptr(count) as u32, 4);
        assert_eq!(fx.read_ptr(seen_ctx), 0x5678);
        // Deleting the device stops it.
        ok(&mut fx, "IoDeleteDevice", &[dev]);
        scheduler::advance(&mut fx.k, 3 * SECOND).unwrap();
        assert_eq!(fx.read_ptr(count) as u32, 4);
    }
}

#[test]
fn a_device_without_a_timer_cannot_be_started_or_stopped() {
    for arch in both() {
        let (mut fx, driver) = Fx::with_driver(arch);
        let dev = device(&mut fx, driver);
        let b = bugcheck(call(&mut fx, "IoStopTimer", &[dev]));
        assert!(matches!(b.code, 0x50 | 0x1E | 0xD1), "a read through the NULL Timer: {:#x}", b.code);
    }
}
