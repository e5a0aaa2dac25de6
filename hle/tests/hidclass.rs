//! hidclass.sys: HidRegisterMinidriver's checks, the class driver taking over the driver
//! object, and its AddDevice making the FDO with a HID_DEVICE_EXTENSION and calling the
//! minidriver's AddDevice with it, on both architectures through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Arch, Prot, RegionKind};
use portcullis_hle::events::SystemEvent;
use portcullis_hle::exports::Dll;
use portcullis_hle::kernel::KernelEvent;
use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_EXTENSION, DRIVER_OBJECT};

const HID: Dll = Dll::Hidclass;
const STATUS_REVISION_MISMATCH: u64 = 0xC000_0059;
const STATUS_OBJECT_NAME_COLLISION: u64 = 0xC000_0035;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;

/// A guest AddDevice that stores the device object it is given at `slot` and returns
/// STATUS_SUCCESS.
fn add_device_routine(fx: &mut Fx, slot: u64) -> u64 {
    let code = fx.k.mem_mut().alloc(RegionKind::System, "minidriver AddDevice", 0x1000, Prot::RWX).unwrap();
    let bytes: Vec<u8> = match fx.arch {
        // mov eax,[esp+8]; mov [slot],eax; xor eax,eax; ret 8
        Arch::X86 => {
            [&[0x8B, 0x44, 0x24, 0x08, 0xA3][..], &(slot as u32).to_le_bytes(), &[0x31, 0xC0, 0xC2, 0x08, 0x00]]
                .concat()
        }
        // mov rax,slot; mov [rax],rdx; xor eax,eax; ret
        Arch::X64 => [&[0x48, 0xB8][..], &slot.to_le_bytes(), &[0x48, 0x89, 0x10, 0x31, 0xC0, 0xC3]].concat(),
    };
    fx.k.mem_mut().write(code, &bytes).unwrap();
    code
}

/// HID_MINIDRIVER_REGISTRATION.
fn registration(fx: &mut Fx, revision: u32, driver: u64, ext_size: u32, polled: bool) -> u64 {
    let r = fx.alloc(0x20);
    let (o_driver, o_size, o_polled) = match fx.arch {
        Arch::X86 => (4, 0xC, 0x10),
        Arch::X64 => (8, 0x18, 0x1C),
    };
    fx.k.mem_mut().write_u32(r, revision).unwrap();
    fx.k.mem_mut().write_ptr(r + o_driver, driver).unwrap();
    fx.k.mem_mut().write_u32(r + o_size, ext_size).unwrap();
    fx.k.mem_mut().write(r + o_polled, &[polled as u8]).unwrap();
    r
}

#[test]
fn registration_is_checked_and_takes_over_the_driver_object() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let bad = registration(&mut fx, 2, drv, 0x40, true);
        assert_eq!(fx.call(HID, "HidRegisterMinidriver", &[bad]).unwrap(), STATUS_REVISION_MISMATCH, "{arch:?}");
        let stranger = fx.alloc(0x100);
        let bad = registration(&mut fx, 1, stranger, 0x40, true);
        assert_eq!(fx.call(HID, "HidRegisterMinidriver", &[bad]).unwrap(), STATUS_INVALID_PARAMETER);

        let slot = fx.alloc(8);
        let add = add_device_routine(&mut fx, slot);
        let ext = fx.k.mem().get(drv, DRIVER_OBJECT::DriverExtension).unwrap();
        fx.k.mem_mut().set(ext, DRIVER_EXTENSION::AddDevice, add).unwrap();
        let reg = registration(&mut fx, 1, drv, 0x40, true);
        assert_eq!(fx.call(HID, "HidRegisterMinidriver", &[reg]).unwrap(), 0);
        assert_eq!(fx.call(HID, "HidRegisterMinidriver", &[reg]).unwrap(), STATUS_OBJECT_NAME_COLLISION);

        // Every major function, AddDevice and DriverUnload are the class driver's now.
        let dispatch = portcullis_hle::exports::internal::address(&fx.k, "HidClassDispatch").unwrap();
        let table = DRIVER_OBJECT::MajorFunction.at(arch, drv);
        for i in 0..0x1C {
            assert_eq!(fx.read_ptr(table + i * arch.ptr_size()), dispatch, "{arch:?} major {i:#x}");
        }
        let class_add = portcullis_hle::exports::internal::address(&fx.k, "HidClassAddDevice").unwrap();
        assert_eq!(fx.k.mem().get(ext, DRIVER_EXTENSION::AddDevice).unwrap(), class_add);
        let m = &fx.k.ext().hidclass.minidrivers[0];
        assert_eq!((m.extension_size, m.polled, m.add_device), (0x40, true, add));
        let notices: Vec<_> = kernel_events(&fx.k, |e| match e {
            KernelEvent::System(SystemEvent::Notice(n)) => Some(n.clone()),
            _ => None,
        });
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].kind, "hid_minidriver");
        assert!(notices[0].detail.contains("0x40 bytes, polled"), "{}", notices[0].detail);

        // The class driver's AddDevice (what the PnP manager calls): its FDO, attached to
        // the PDO, goes to the minidriver's AddDevice. A device of our own stands for the PDO.
        let out = fx.alloc(8);
        assert_eq!(fx.call(Dll::Ntoskrnl, "IoCreateDevice", &[drv, 0, 0, 0x22, 0, 0, out]).unwrap(), 0);
        let pdo = fx.read_ptr(out);
        let conv = portcullis_emu::CallConv::Stdcall.for_arch(arch);
        assert_eq!(fx.call_at(class_add, conv, &[drv, pdo]).unwrap().0, 0);
        let fdo = fx.read_ptr(slot);
        assert_eq!(fx.k.ext().hidclass.fdos[0].0, fdo);
        assert_eq!(fx.k.mem().get(fdo, DEVICE_OBJECT::DriverObject).unwrap(), drv);
        let dext = fx.k.mem().get(fdo, DEVICE_OBJECT::DeviceExtension).unwrap();
        let ps = arch.ptr_size();
        assert_eq!(fx.read_ptr(dext), pdo, "PhysicalDeviceObject");
        assert_eq!(fx.read_ptr(dext + ps), pdo, "NextDeviceObject: the PDO the FDO is attached to");
        assert_eq!(fx.read_ptr(dext + 2 * ps), dext + 3 * ps, "MiniDeviceExtension");
        assert_eq!(fx.k.mem().get(pdo, DEVICE_OBJECT::AttachedDevice).unwrap(), fdo);
        let flags = fx.k.mem().get(fdo, DEVICE_OBJECT::Flags).unwrap();
        assert_eq!(flags & 0x80, 0, "DO_DEVICE_INITIALIZING cleared");
    }
}
