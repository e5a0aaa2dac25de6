//! storport.sys and scsiport.sys through the real stubs on both architectures: the checks of
//! HW_INITIALIZATION_DATA, the port taking over the driver object, the adapter found when the
//! PnP manager starts a device (HwFindAdapter with the right arguments, then HwInitialize),
//! the notifications and extended functions a miniport calls with its device extension.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Arch, Prot, RegionKind};
use portcullis_hle::events::SystemEvent;
use portcullis_hle::exports::Dll;
use portcullis_hle::kernel::KernelEvent;
use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT, DRIVER_EXTENSION, DRIVER_OBJECT};

const STOR: Dll = Dll::Storport;
const SCSI: Dll = Dll::Scsiport;
const STATUS_REVISION_MISMATCH: u64 = 0xC000_0059;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const STOR_STATUS_NOT_IMPLEMENTED: u64 = 0xC100_0002;
const STOR_STATUS_INVALID_PARAMETER: u64 = 0xC100_0006;

/// A guest routine of `args` stdcall arguments that stores its first argument at `slot`
/// and returns `result`.
fn routine(fx: &mut Fx, slot: u64, args: u16, result: u32) -> u64 {
    let code = fx.k.mem_mut().alloc(RegionKind::System, "miniport routine", 0x1000, Prot::RWX).unwrap();
    let r = result.to_le_bytes();
    let bytes: Vec<u8> = match fx.arch {
        // mov eax,[esp+4]; mov [slot],eax; mov eax,result; ret 4*args
        Arch::X86 => [
            &[0x8B, 0x44, 0x24, 0x04, 0xA3][..],
            &(slot as u32).to_le_bytes(),
            &[0xB8],
            &r,
            &[0xC2],
            &(args * 4).to_le_bytes(),
        ]
        .concat(),
        // mov rax,slot; mov [rax],rcx; mov eax,result; ret
        Arch::X64 => [&[0x48, 0xB8][..], &slot.to_le_bytes(), &[0x48, 0x89, 0x08, 0xB8], &r, &[0xC3]].concat(),
    };
    fx.k.mem_mut().write(code, &bytes).unwrap();
    code
}

/// HW_INITIALIZATION_DATA of `size` bytes with HwInitialize, HwStartIo, HwFindAdapter and
/// HwResetBus and a device extension of 0x40 bytes.
fn init_data(fx: &mut Fx, size: u32, find: u64, initialize: u64) -> u64 {
    let ps = fx.arch.ptr_size();
    let d = fx.alloc(0x100);
    let mem = fx.k.mem_mut();
    mem.write_u32(d, size).unwrap();
    mem.write_u32(d + 4, 15).unwrap(); // Internal
    mem.write_ptr(d + 8, initialize).unwrap(); // HwInitialize
    mem.write_ptr(d + 8 + ps, find + 0x800).unwrap(); // HwStartIo: never called here
    mem.write_ptr(d + 8 + 3 * ps, find).unwrap(); // HwFindAdapter
    mem.write_ptr(d + 8 + 4 * ps, find + 0x800).unwrap(); // HwResetBus
    mem.write_u32(d + 8 + 7 * ps, 0x40).unwrap(); // DeviceExtensionSize
    d
}

fn driver_index(fx: &Fx, drv: u64) -> usize {
    fx.k.ext().drivers().iter().position(|d| d.driver_object == drv).unwrap()
}

fn notices(fx: &Fx, kind: &str) -> Vec<String> {
    kernel_events(&fx.k, |e| match e {
        KernelEvent::System(SystemEvent::Notice(n)) if n.kind == kind => Some(n.detail.clone()),
        _ => None,
    })
}

#[test]
fn storport_registration_is_checked_and_the_adapter_is_found_at_the_start() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let path = fx.ustr("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mini");
        let found_ext = fx.alloc(8);
        let init_ext = fx.alloc(8);
        let find = routine(&mut fx, found_ext, 6, 1);
        let initialize = routine(&mut fx, init_ext, 1, 1);
        let full = match arch {
            Arch::X86 => 0x80,
            Arch::X64 => 0xD0,
        };
        // A newer revision than the port knows, a required routine missing, NULL arguments.
        let d = init_data(&mut fx, full + 4, find, initialize);
        assert_eq!(fx.call(STOR, "StorPortInitialize", &[drv, path, d, 0]).unwrap(), STATUS_REVISION_MISMATCH);
        let d = init_data(&mut fx, full, find, 0);
        assert_eq!(fx.call(STOR, "StorPortInitialize", &[drv, path, d, 0]).unwrap(), STATUS_REVISION_MISMATCH);
        let d = init_data(&mut fx, full, find, initialize);
        assert_eq!(fx.call(STOR, "StorPortInitialize", &[drv, 0, d, 0]).unwrap(), STATUS_INVALID_PARAMETER);
        assert_eq!(fx.call(STOR, "StorPortInitialize", &[drv, path, 0, 0]).unwrap(), STATUS_INVALID_PARAMETER);
        let stranger = fx.alloc(0x100);
        assert_eq!(fx.call(STOR, "StorPortInitialize", &[stranger, path, d, 0]).unwrap(), STATUS_INVALID_PARAMETER);
        // Nothing was taken over by the refusals.
        let ext = fx.k.mem().get(drv, DRIVER_OBJECT::DriverExtension).unwrap();
        assert_eq!(fx.k.mem().get(ext, DRIVER_EXTENSION::AddDevice).unwrap(), 0, "{arch:?}");

        assert_eq!(fx.call(STOR, "StorPortInitialize", &[drv, path, d, 0x1234]).unwrap(), 0, "{arch:?}");
        let dispatch = portcullis_hle::exports::internal::address(&fx.k, "PortDispatch").unwrap();
        let table = DRIVER_OBJECT::MajorFunction.at(arch, drv);
        for m in [0x00u64, 0x02, 0x0E, 0x0F, 0x16, 0x17, 0x1B] {
            assert_eq!(fx.read_ptr(table + m * arch.ptr_size()), dispatch, "{arch:?} major {m:#x}");
        }
        let add = portcullis_hle::exports::internal::address(&fx.k, "PortAddDevice").unwrap();
        assert_eq!(fx.k.mem().get(ext, DRIVER_EXTENSION::AddDevice).unwrap(), add);
        assert_eq!(fx.read_ptr(found_ext), 0, "no device yet: HwFindAdapter not called");
        assert!(notices(&fx, "storage_miniport")[0].contains("storport"), "{arch:?}");

        // The PnP manager starts a device: AddDevice makes \Device\RaidPort0 over the PDO,
        // the start finds the adapter with the miniport's zeroed extension.
        let d_index = driver_index(&fx, drv);
        let sent = portcullis_hle::pnp::start(&mut fx.k, d_index).unwrap();
        assert!(sent.iter().all(|s| s.status.is_none_or(|st| st.0 == 0 || st.0 == 0xC000_00BB)), "{arch:?}: {sent:?}");
        let a = fx.k.ext().storport.adapters[0].clone();
        assert!(a.started, "{arch:?}");
        assert_eq!(fx.read_ptr(found_ext), a.hw_extension, "HwFindAdapter got the extension");
        assert_eq!(fx.read_ptr(init_ext), a.hw_extension, "HwInitialize got the extension");
        assert_eq!(fx.k.mem().get(a.fdo, DEVICE_OBJECT::DriverObject).unwrap(), drv);
        assert_eq!(fx.k.mem().get(a.pdo, DEVICE_OBJECT::AttachedDevice).unwrap(), a.fdo);
        assert_eq!(fx.k.mem().read_u32(a.config).unwrap(), if arch == Arch::X86 { 0xD0 } else { 0xE0 });
        assert!(notices(&fx, "storage_adapter")[0].contains("HwFindAdapter returned 1, start STATUS_SUCCESS"));

        // Notifications with the extension: the tick count, a passive initialization asked
        // for too late, a completion of an SRB the port never issued.
        let ext = a.hw_extension;
        let ticks = fx.alloc(8);
        fx.k.mem_mut().write_u64(ticks, u64::MAX).unwrap();
        fx.call(STOR, "StorPortNotification", &[12, ext, ticks]).unwrap();
        assert_ne!(fx.k.mem().read_u64(ticks).unwrap(), u64::MAX, "{arch:?}");
        let result = fx.alloc(8);
        fx.k.mem_mut().write_u8(result, 0xAA).unwrap();
        fx.call(STOR, "StorPortNotification", &[0x1000, ext, find, result]).unwrap();
        assert_eq!(fx.k.mem().read_u8(result).unwrap(), 0, "{arch:?}: the adapter is started");
        fx.call(STOR, "StorPortNotification", &[0, ext, 0x5000]).unwrap();
        assert!(notices(&fx, "storage_notification").iter().any(|n| n.contains("never issued")));
        assert_eq!(fx.call(STOR, "StorPortGetLogicalUnit", &[ext, 0, 0, 0]).unwrap(), 0, "{arch:?}");

        // Extended functions: pool, then one not built.
        let out = fx.alloc(8);
        assert_eq!(fx.call(STOR, "StorPortExtendedFunction", &[0, ext, 0x30, 0x6B736944, out]).unwrap(), 0);
        let p = fx.read_ptr(out);
        assert_ne!(p, 0, "{arch:?}");
        assert_eq!(fx.call(STOR, "StorPortExtendedFunction", &[1, ext, p]).unwrap(), 0);
        assert_eq!(
            fx.call(STOR, "StorPortExtendedFunction", &[0, ext, 0x30, 0, 0]).unwrap(),
            STOR_STATUS_INVALID_PARAMETER
        );
        assert_eq!(fx.call(STOR, "StorPortExtendedFunction", &[9, ext]).unwrap(), STOR_STATUS_NOT_IMPLEMENTED);
    }
}

#[test]
fn a_virtual_miniport_gets_the_device_objects_and_scsiport_its_own_sizes() {
    for arch in both() {
        // VIRTUAL_HW_INITIALIZATION_DATA's size: HwFindAdapter takes seven arguments, the
        // second the PDO.
        let (mut fx, drv) = Fx::with_driver(arch);
        let path = fx.ustr("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mini");
        let first = fx.alloc(8);
        let find = routine(&mut fx, first, 7, 1);
        let spare = fx.alloc(8);
        let initialize = routine(&mut fx, spare, 1, 1);
        let size = if arch == Arch::X86 { 0x68 } else { 0xB0 };
        let d = init_data(&mut fx, size, find, initialize);
        assert_eq!(fx.call(STOR, "StorPortInitialize", &[drv, path, d, 0]).unwrap(), 0, "{arch:?}");
        let d_index = driver_index(&fx, drv);
        portcullis_hle::pnp::start(&mut fx.k, d_index).unwrap();
        let a = fx.k.ext().storport.adapters[0].clone();
        assert!(a.started, "{arch:?}: the stack was balanced for seven arguments");
        assert_eq!(fx.read_ptr(first), a.hw_extension);
        assert!(notices(&fx, "storage_miniport")[0].contains("virtual miniport"), "{arch:?}");

        // An extension the pool cannot give: the start fails, HwFindAdapter is not called.
        let (mut fx, drv) = Fx::with_driver(arch);
        let path = fx.ustr("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mini");
        let first = fx.alloc(8);
        let find = routine(&mut fx, first, 7, 1);
        let d = init_data(&mut fx, size, find, find);
        fx.k.mem_mut().write_u32(d + 8 + 7 * arch.ptr_size(), 0xFFFF_FFF0).unwrap();
        assert_eq!(fx.call(STOR, "StorPortInitialize", &[drv, path, d, 0]).unwrap(), 0, "{arch:?}");
        let d_index = driver_index(&fx, drv);
        let sent = portcullis_hle::pnp::start(&mut fx.k, d_index).unwrap();
        assert_eq!(sent[1].status.map(|s| s.0), Some(0xC000_009A), "{arch:?}: {sent:?}");
        assert_eq!(fx.read_ptr(first), 0, "{arch:?}");
        assert!(fx.k.ext().storport.adapters.is_empty(), "{arch:?}: removed after the failed start");

        // scsiport: its structure ends at HwAdapterControl.
        let (mut fx, drv) = Fx::with_driver(arch);
        let path = fx.ustr("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mini");
        let first = fx.alloc(8);
        let find = routine(&mut fx, first, 6, 1);
        let spare = fx.alloc(8);
        let initialize = routine(&mut fx, spare, 1, 1);
        let size = if arch == Arch::X86 { 0x50 } else { 0x80 };
        let d = init_data(&mut fx, size + 4, find, initialize);
        assert_eq!(fx.call(SCSI, "ScsiPortInitialize", &[drv, path, d, 0]).unwrap(), STATUS_REVISION_MISMATCH);
        let d = init_data(&mut fx, size, find, initialize);
        assert_eq!(fx.call(SCSI, "ScsiPortInitialize", &[drv, path, d, 0]).unwrap(), 0, "{arch:?}");
        let d_index = driver_index(&fx, drv);
        portcullis_hle::pnp::start(&mut fx.k, d_index).unwrap();
        let a = fx.k.ext().storport.adapters[0].clone();
        assert!(a.started, "{arch:?}");
        assert_eq!(fx.read_ptr(first), a.hw_extension);
        assert_eq!(fx.k.mem().read_u32(a.config).unwrap(), if arch == Arch::X86 { 0x8C } else { 0x98 });
        assert_eq!(fx.call(SCSI, "ScsiPortGetLogicalUnit", &[a.hw_extension, 0, 0, 0]).unwrap(), 0);
        let ticks = fx.alloc(8);
        fx.k.mem_mut().write_u64(ticks, u64::MAX).unwrap();
        fx.call(SCSI, "ScsiPortNotification", &[12, a.hw_extension, ticks]).unwrap();
        assert_ne!(fx.k.mem().read_u64(ticks).unwrap(), u64::MAX, "{arch:?}");
        // Storport's own notifications are not scsiport's.
        fx.call(SCSI, "ScsiPortNotification", &[0x1000, a.hw_extension, find, ticks]).unwrap();
        assert!(notices(&fx, "storage_notification").iter().any(|n| n.contains("scsiport: notification 0x1000")));
    }
}
