//! The VPB spin lock (IoAcquireVpbSpinLock, IoReleaseVpbSpinLock: DISPATCH_LEVEL while held,
//! the bugchecks of a second acquire and a release without it) and the bottom of a device
//! stack (IoGetDeviceAttachmentBaseRef), through the real stubs on both architectures.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const NT: Dll = Dll::Ntoskrnl;

fn irql(fx: &mut Fx) -> u64 {
    if fx.arch == Arch::X86 {
        fx.call(Dll::Hal, "KeGetCurrentIrql", &[]).unwrap() & 0xFF
    } else {
        fx.call(NT, "KeGetCurrentIrql", &[]).unwrap() & 0xFF
    }
}

#[test]
fn the_vpb_spin_lock_raises_and_restores_the_irql() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.put(&[0xAA]);
        fx.call(NT, "IoAcquireVpbSpinLock", &[out]).unwrap();
        assert_eq!((fx.read(out, 1)[0], irql(&mut fx)), (0, 2), "{arch:?}: PASSIVE_LEVEL kept, DISPATCH_LEVEL now");
        let b = bugcheck(fx.call(NT, "IoAcquireVpbSpinLock", &[out]));
        assert_eq!(b.code, 0x0F, "{arch:?}: SPIN_LOCK_ALREADY_OWNED");

        let mut fx = Fx::new(arch);
        let out = fx.alloc(1);
        fx.call(NT, "IoAcquireVpbSpinLock", &[out]).unwrap();
        fx.call(NT, "IoReleaseVpbSpinLock", &[0]).unwrap();
        assert_eq!(irql(&mut fx), 0, "{arch:?}");
        // Taken again after a release, then released twice.
        fx.call(NT, "IoAcquireVpbSpinLock", &[out]).unwrap();
        fx.call(NT, "IoReleaseVpbSpinLock", &[0]).unwrap();
        let b = bugcheck(fx.call(NT, "IoReleaseVpbSpinLock", &[0]));
        assert_eq!(b.code, 0x10, "{arch:?}: SPIN_LOCK_NOT_OWNED");
    }
}

fn device(fx: &mut Fx, drv: u64) -> u64 {
    let out = fx.alloc(8);
    assert_eq!(fx.call(NT, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]).unwrap(), 0);
    fx.read_ptr(out)
}

#[test]
fn the_attachment_base_is_the_bottom_of_the_stack_referenced() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let (lower, middle, upper) = (device(&mut fx, drv), device(&mut fx, drv), device(&mut fx, drv));
        assert_eq!(fx.call(NT, "IoAttachDeviceToDeviceStack", &[middle, lower]).unwrap(), lower);
        assert_eq!(fx.call(NT, "IoAttachDeviceToDeviceStack", &[upper, lower]).unwrap(), middle);
        let refs = |fx: &Fx| fx.k.ext().objects.get(lower).unwrap().references;
        let before = refs(&fx);
        for d in [upper, middle, lower] {
            assert_eq!(fx.call(NT, "IoGetDeviceAttachmentBaseRef", &[d]).unwrap(), lower, "{arch:?}");
        }
        assert_eq!(refs(&fx), before + 3, "{arch:?}: one reference each");
        for _ in 0..3 {
            fx.call(NT, "ObfDereferenceObject", &[lower]).unwrap();
        }
        // Detached, the upper device is its own base.
        fx.call(NT, "IoDetachDevice", &[middle]).unwrap();
        assert_eq!(fx.call(NT, "IoGetDeviceAttachmentBaseRef", &[upper]).unwrap(), upper, "{arch:?}");
    }
}
