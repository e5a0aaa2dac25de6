//! KeRegisterBugCheckCallback and KeDeregisterBugCheckCallback, and the callbacks' run when
//! the system crashes.

#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::ke::bugcheck_callback::run_callbacks;
use portcullis_hle::layout::{FieldAccess, KBUGCHECK_CALLBACK_RECORD as R};

const EMPTY: u64 = 0;
const INSERTED: u64 = 1;
const FINISHED: u64 = 3;

#[test]
fn a_record_registers_once_and_deregisters_once() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let record = fx.alloc(R::STRUCT.size(arch));
        let (buffer, component) = (fx.alloc(16), fx.cstr("test"));
        let (seen_buffer, seen_length) = (fx.alloc(8), fx.alloc(8));
        let routine = routine(&mut fx, 2, |a, _| {
            a.store_param(0, seen_buffer).store_param(1, seen_length);
        });
        let register =
            |fx: &mut Fx| ok32(fx, "KeRegisterBugCheckCallback", &[record, routine, buffer, 16, component]) & 0xFF;
        assert_eq!(register(&mut fx), 1, "{arch:?}");
        assert_eq!(fx.k.mem().get(record, R::State).unwrap(), INSERTED);
        assert_eq!(fx.k.mem().get(record, R::CallbackRoutine).unwrap(), routine);
        assert_eq!(register(&mut fx), 0, "{arch:?}: registered already");
        assert_eq!(ok32(&mut fx, "KeDeregisterBugCheckCallback", &[record]) & 0xFF, 1);
        assert_eq!(fx.k.mem().get(record, R::State).unwrap(), EMPTY);
        assert_eq!(ok32(&mut fx, "KeDeregisterBugCheckCallback", &[record]) & 0xFF, 0, "not registered");
        assert!(run_callbacks(&mut fx.k).is_empty(), "{arch:?}: none registered");

        // Registered again: a crash calls it with its buffer and length.
        assert_eq!(register(&mut fx), 1);
        let runs = run_callbacks(&mut fx.k);
        assert_eq!(runs.len(), 1, "{arch:?}");
        assert_eq!(runs[0].component.as_deref(), Some("test"));
        assert!(runs[0].stopped.is_none(), "{arch:?}: {:?}", runs[0].stopped);
        assert_eq!(fx.read_ptr(seen_buffer), buffer);
        assert_eq!(fx.read_ptr(seen_length) as u32, 16);
        assert_eq!(fx.k.mem().get(record, R::State).unwrap(), FINISHED);
    }
}

#[test]
fn a_record_the_driver_overwrote_is_not_called() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let record = fx.alloc(R::STRUCT.size(arch));
        let (buffer, called) = (fx.alloc(16), fx.alloc(8));
        let routine = routine(&mut fx, 2, |a, _| {
            a.inc(called);
        });
        assert_eq!(ok32(&mut fx, "KeRegisterBugCheckCallback", &[record, routine, buffer, 16, 0]) & 0xFF, 1);
        // The length changes behind the kernel's back: the checksum no longer matches.
        fx.k.mem_mut().set(record, R::Length, 4096).unwrap();
        assert!(run_callbacks(&mut fx.k).is_empty(), "{arch:?}");
        assert_eq!(fx.read_ptr(called), 0);
    }
}
