//! HalReturnToFirmware (reported, then the machine resets or halts) and x86
//! KeDcacheFlushCount, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Arch, Stop};
use portcullis_hle::events::SystemEvent;
use portcullis_hle::exports::Dll;
use portcullis_hle::kernel::KernelEvent;

fn notices(fx: &Fx) -> Vec<String> {
    kernel_events(&fx.k, |e| match e {
        KernelEvent::System(SystemEvent::Notice(n)) if n.kind == "return_to_firmware" => Some(n.detail.clone()),
        _ => None,
    })
}

#[test]
fn returning_to_firmware_ends_the_run() {
    for arch in both() {
        for (routine, name) in [(0u64, "HalHaltRoutine"), (1, "HalPowerDownRoutine"), (3, "HalRebootRoutine")] {
            let mut fx = Fx::new(arch);
            match fx.call(Dll::Hal, "HalReturnToFirmware", &[routine]) {
                Err(Stop::Halted { .. }) if routine != 3 => {}
                // Reboot pulses the keyboard controller's reset line: a reset where the board
                // has the controller, else the processor stays halted.
                Err(Stop::Halted { .. }) | Err(Stop::Reset(_)) if routine == 3 => {}
                other => panic!("{arch:?} {name}: {other:?}"),
            }
            assert_eq!(notices(&fx), [name]);
        }
        // Not a FIRMWARE_REENTRY routine: nothing happens.
        let mut fx = Fx::new(arch);
        fx.call(Dll::Hal, "HalReturnToFirmware", &[9]).unwrap();
        assert!(notices(&fx).is_empty());
    }
}

#[test]
fn the_data_cache_flush_count_is_zero_on_x86() {
    let fx = Fx::new(Arch::X86);
    let at = fx.k.ext().resolve(Dll::Ntoskrnl, "KeDcacheFlushCount").unwrap();
    assert_eq!(fx.read(at, 4), [0; 4]);
    assert!(Fx::new(Arch::X64).k.ext().resolve(Dll::Ntoskrnl, "KeDcacheFlushCount").is_none());
}
