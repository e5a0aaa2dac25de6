//! The first machine of a process finds the exception-in-flight field on its own engine,
//! before its set-up (docs/architecture.md, quirk 2). This file holds one test so that the
//! calibrating machine is an x86 one (32-bit mode); `calibration_x64.rs` does the same for x64.
mod calibration;
mod common;

use common::Arch;

#[test]
fn the_calibrating_machine_behaves_as_any_other() {
    calibration::check(Arch::X86);
}
