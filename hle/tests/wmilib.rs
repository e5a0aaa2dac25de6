//! wmilib.sys through the real stubs, both architectures: WmiSystemControl's dispositions,
//! the data-block requests it hands to the driver's callbacks, WmiCompleteRequest finishing
//! the WNODEs (sizes, offsets, WNODE_TOO_SMALL), registration information, WmiFireEvent.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Prot, RegionKind};
use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, IO_STACK_LOCATION, IRP};

const W: Dll = Dll::Wmilib;
const NT: Dll = Dll::Ntoskrnl;
const GUID_A: [u8; 16] = [0xA1; 16];
const GUID_B: [u8; 16] = [0xB2; 16];

struct Wmi {
    fx: Fx,
    /// WMILIB_CONTEXT with GUID_A (1 instance) and GUID_B (2 instances).
    lib: u64,
    device: u64,
    disposition: u64,
}

/// A stdcall routine of `args` arguments returning `value`.
fn returns(fx: &mut Fx, value: u32, args: u16) -> u64 {
    let code = fx.k.mem_mut().alloc(RegionKind::System, "callback", 0x1000, Prot::RWX).unwrap();
    let mut b = vec![0xB8];
    b.extend(value.to_le_bytes());
    if fx.arch == Arch::X86 {
        b.push(0xC2);
        b.extend((args * 4).to_le_bytes());
    } else {
        b.push(0xC3);
    }
    fx.k.mem_mut().write(code, &b).unwrap();
    code
}

impl Wmi {
    fn new(arch: Arch) -> Wmi {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let a = fx.put(&GUID_A);
        let b = fx.put(&GUID_B);
        let entry = if ps == 8 { 16 } else { 12 };
        let list = fx.alloc(2 * entry);
        let mem = fx.k.mem_mut();
        mem.write_ptr(list, a).unwrap();
        mem.write_u32(list + ps, 1).unwrap();
        mem.write_ptr(list + entry, b).unwrap();
        mem.write_u32(list + entry + ps, 2).unwrap();
        let reginfo = returns(&mut fx, 0, 6);
        let query = returns(&mut fx, 0, 8);
        let lib = fx.alloc(8 * ps);
        let mem = fx.k.mem_mut();
        mem.write_u32(lib, 2).unwrap();
        mem.write_ptr(lib + ps, list).unwrap();
        mem.write_ptr(lib + 2 * ps, reginfo).unwrap();
        mem.write_ptr(lib + 3 * ps, query).unwrap();
        let device = fx.alloc(0x100);
        let disposition = fx.alloc(4);
        Wmi { fx, lib, device, disposition }
    }

    /// An IRP_MJ_SYSTEM_CONTROL IRP whose current location asks `minor` of `provider`.
    fn irp(&mut self, minor: u8, provider: u64, path: u64, size: u32, buffer: u64) -> u64 {
        let fx = &mut self.fx;
        let irp = fx.call(NT, "IoAllocateIrp", &[1, 0]).unwrap();
        let loc_size = IO_STACK_LOCATION::STRUCT.size(fx.arch);
        let mem = fx.k.mem_mut();
        let current = mem.get(irp, IRP::CurrentStackLocation).unwrap() - loc_size;
        mem.set(irp, IRP::CurrentStackLocation, current).unwrap();
        mem.set(irp, IRP::CurrentLocation, 1).unwrap();
        mem.set(current, IO_STACK_LOCATION::MajorFunction, 0x17).unwrap();
        mem.set(current, IO_STACK_LOCATION::MinorFunction, minor as u64).unwrap();
        mem.set(current, IO_STACK_LOCATION::Argument1, provider).unwrap();
        mem.set(current, IO_STACK_LOCATION::Argument2, path).unwrap();
        mem.set(current, IO_STACK_LOCATION::Argument3, size as u64).unwrap();
        mem.set(current, IO_STACK_LOCATION::Argument4, buffer).unwrap();
        irp
    }

    fn control(&mut self, irp: u64) -> (u64, u32) {
        let args = [self.lib, self.device, irp, self.disposition];
        let st = self.fx.call(W, "WmiSystemControl", &args).unwrap();
        (st, u32::from_le_bytes(self.fx.read(self.disposition, 4).try_into().unwrap()))
    }

    fn u32_at(&self, at: u64) -> u32 {
        u32::from_le_bytes(self.fx.read(at, 4).try_into().unwrap())
    }
}

#[test]
fn requests_for_other_devices_or_not_wmi_are_left_alone() {
    for arch in both() {
        let mut w = Wmi::new(arch);
        let guid = w.fx.put(&GUID_A);
        let buffer = w.fx.alloc(256);
        let other = w.device + 0x1000;
        let irp = w.irp(1, other, guid, 256, buffer);
        assert_eq!(w.control(irp).1, 3, "{arch:?}: IrpForward");
        let irp = w.irp(0xC, w.device, guid, 256, buffer);
        assert_eq!(w.control(irp).1, 2, "{arch:?}: IrpNotWmi");
        let unknown = w.fx.put(&[0x55; 16]);
        let irp = w.irp(1, w.device, unknown, 256, buffer);
        assert_eq!(w.control(irp), (0xC000_0295, 0), "{arch:?}: STATUS_WMI_GUID_NOT_FOUND, processed");
        // GUID_A has one instance: index 1 does not exist.
        w.fx.k.mem_mut().write_u32(buffer + 52, 1).unwrap();
        let irp = w.irp(1, w.device, guid, 256, buffer);
        assert_eq!(w.control(irp).0, 0xC000_0296, "{arch:?}: STATUS_WMI_INSTANCE_NOT_FOUND");
    }
}

#[test]
fn a_single_instance_query_fills_its_wnode() {
    for arch in both() {
        let mut w = Wmi::new(arch);
        let guid = w.fx.put(&GUID_A);
        let buffer = w.fx.alloc(256);
        // WNODE_SINGLE_INSTANCE: InstanceIndex 0, DataBlockOffset 64.
        w.fx.k.mem_mut().write_u32(buffer + 56, 64).unwrap();
        let irp = w.irp(1, w.device, guid, 256, buffer);
        assert_eq!(w.control(irp), (0, 0), "{arch:?}");
        w.fx.k.mem_mut().write(buffer + 64, b"DATA").unwrap();
        assert_eq!(w.fx.call(W, "WmiCompleteRequest", &[w.device, irp, 0, 4, 0]).unwrap(), 0);
        assert_eq!((w.u32_at(buffer + 60), w.u32_at(buffer)), (4, 68), "{arch:?}: SizeDataBlock, BufferSize");
        // The same with too little room: a WNODE_TOO_SMALL naming what is needed.
        let irp = w.irp(1, w.device, guid, 80, buffer);
        w.control(irp);
        assert_eq!(w.fx.call(W, "WmiCompleteRequest", &[w.device, irp, 0xC000_0023, 100, 0]).unwrap(), 0);
        assert_eq!((w.u32_at(buffer), w.u32_at(buffer + 48)), (56, 164), "{arch:?}");
        assert_ne!(w.u32_at(buffer + 44) & 0x20, 0, "{arch:?}: WNODE_FLAG_TOO_SMALL");
    }
}

#[test]
fn an_all_data_query_gets_offsets_and_lengths_per_instance() {
    for arch in both() {
        let mut w = Wmi::new(arch);
        let guid = w.fx.put(&GUID_B);
        let buffer = w.fx.alloc(256);
        let irp = w.irp(0, w.device, guid, 256, buffer);
        assert_eq!(w.control(irp), (0, 0), "{arch:?}");
        // DataBlockOffset after two OFFSETINSTANCEDATAANDLENGTH, 8-aligned; two instances.
        assert_eq!((w.u32_at(buffer + 48), w.u32_at(buffer + 52)), (80, 2), "{arch:?}");
        // The callback's lengths (3 and 5), data padded to 8 bytes.
        let mem = w.fx.k.mem_mut();
        mem.write_u32(buffer + 60, 3).unwrap();
        mem.write_u32(buffer + 64, 5).unwrap();
        assert_eq!(w.fx.call(W, "WmiCompleteRequest", &[w.device, irp, 0, 13, 0]).unwrap(), 0);
        let pairs: Vec<u32> = (0..4).map(|i| w.u32_at(buffer + 60 + 4 * i)).collect();
        assert_eq!(pairs, [80, 3, 88, 5], "{arch:?}");
        assert_eq!(w.u32_at(buffer), 93);
    }
}

#[test]
fn registration_information_lists_the_guids() {
    for arch in both() {
        let mut w = Wmi::new(arch);
        let buffer = w.fx.alloc(512);
        let irp = w.irp(8, w.device, 0, 512, buffer);
        assert_eq!(w.control(irp), (0, 0), "{arch:?}");
        let entry = if arch == Arch::X64 { 32 } else { 28 };
        assert_eq!(w.u32_at(buffer + 16), 2, "{arch:?}: GuidCount");
        assert_eq!(w.fx.read(buffer + 20, 16), GUID_A);
        assert_eq!(w.fx.read(buffer + 20 + entry, 16), GUID_B);
        assert_eq!(w.u32_at(buffer + 20 + entry + 20), 2, "{arch:?}: InstanceCount");
        let total = w.u32_at(buffer);
        let irp = w.irp(8, w.device, 0, 8, buffer);
        assert_eq!(w.control(irp).0, 0xC000_0023, "{arch:?}: too small");
        assert_eq!(w.u32_at(buffer), total, "{arch:?}: the size needed");
    }
}

#[test]
fn events_are_fired_and_their_data_freed() {
    for arch in both() {
        let mut w = Wmi::new(arch);
        let guid = w.fx.put(&GUID_A);
        let data = w.fx.call(NT, "ExAllocatePoolWithTag", &[0, 8, tag(b"Evnt")]).unwrap();
        w.fx.k.mem_mut().write(data, b"payload!").unwrap();
        assert_eq!(w.fx.call(W, "WmiFireEvent", &[w.device, guid, 0, 8, data]).unwrap(), 0, "{arch:?}");
        assert!(w.fx.k.ext().pool.block(data).is_none(), "{arch:?}: EventData freed");
    }
}
