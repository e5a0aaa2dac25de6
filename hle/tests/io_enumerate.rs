//! IoEnumerateDeviceObjectList, ExAllocatePoolWithTagPriority and KdSystemDebugControl
//! without a kernel debugger, through the real stubs on both architectures.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const NT: Dll = Dll::Ntoskrnl;

#[test]
fn a_drivers_devices_are_listed_referenced() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let out = fx.alloc(8);
        let mut made = Vec::new();
        for _ in 0..2 {
            assert_eq!(fx.call(NT, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]).unwrap(), 0);
            made.push(fx.read_ptr(out));
        }
        let (list, count) = (fx.alloc(32), fx.alloc(4));
        let ps = arch.ptr_size();
        assert_eq!(fx.call(NT, "IoEnumerateDeviceObjectList", &[drv, list, ps, count]).unwrap() as u32, 0xC000_0023);
        assert_eq!(fx.read(count, 4), [2, 0, 0, 0], "{arch:?}");
        let before = fx.k.ext().objects.get(made[0]).unwrap().references;
        assert_eq!(fx.call(NT, "IoEnumerateDeviceObjectList", &[drv, list, 32, count]).unwrap(), 0);
        let mut listed = vec![fx.read_ptr(list), fx.read_ptr(list + ps)];
        listed.sort();
        made.sort();
        assert_eq!(listed, made);
        assert_eq!(fx.k.ext().objects.get(made[0]).unwrap().references, before + 1, "referenced");
    }
}

#[test]
fn pool_with_a_priority_and_the_debugger_control_without_a_debugger() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let p = fx.call(NT, "ExAllocatePoolWithTagPriority", &[0, 64, tag(b"Prio"), 16]).unwrap();
        assert_ne!(p, 0, "{arch:?}");
        assert_eq!(fx.call(NT, "ExFreePoolWithTag", &[p, tag(b"Prio")]).unwrap(), 0);
        // SysDbgReadVirtual without a kernel debugger: STATUS_DEBUGGER_INACTIVE.
        let (buf, ret) = (fx.alloc(16), fx.alloc(4));
        assert_eq!(fx.call(NT, "KdSystemDebugControl", &[8, buf, 16, buf, 16, ret, 0]).unwrap() as u32, 0xC000_0354);
    }
}
