//! The HAL's bus routines, translation, interrupt vectors, slot resources and registers
//! through the real stubs, on both architectures, against the machine's PCI configuration
//! space, CMOS and devices.
#[allow(unused_imports)]
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::MmioEvent;
use portcullis_hle::exports::{ArgValue, Dll};

const HAL: Dll = Dll::Hal;
const NT: Dll = Dll::Ntoskrnl;
const PCI: u64 = 4;
const CMOS: u64 = 0;

/// PCI_SLOT_NUMBER of device/function.
fn slot(device: u64, function: u64) -> u64 {
    device | function << 5
}

/// A configuration dword through ports 0xCF8/0xCFC, as guest code reads it.
fn through_ports(fx: &mut Fx, bus: u32, device: u32, function: u32, reg: u32) -> u32 {
    let address = 0x8000_0000 | bus << 16 | device << 11 | function << 8 | reg;
    fx.k.port_io(0xCF8, Width::Dword, Some(address), 0).unwrap();
    fx.k.port_io(0xCFC, Width::Dword, None, 0).unwrap()
}

#[test]
fn bus_data_reads_the_configuration_space_the_ports_reach() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.alloc(256);
        // Every function of the default machine: the HAL's header equals the ports' dwords.
        for (bus, dev, func) in [(0, 0, 0), (0, 3, 0), (0, 0x1F, 0), (0, 0x1F, 2), (0, 0x1F, 3), (1, 0, 0)] {
            let n = fx.call(HAL, "HalGetBusDataByOffset", &[PCI, bus, slot(dev, func), buf, 0, 0x40]).unwrap() as u32;
            assert_eq!(n, 0x40, "{bus}:{dev}.{func}");
            let header = fx.read(buf, 0x40);
            for reg in (0..0x40).step_by(4) {
                let d = u32::from_le_bytes(header[reg..reg + 4].try_into().unwrap());
                assert_eq!(d, through_ports(&mut fx, bus as u32, dev as u32, func as u32, reg as u32));
            }
        }
        // An empty slot: two bytes of PCI_INVALID_VENDORID; past the header nothing. A bus that
        // does not exist: nothing.
        assert_eq!(fx.call(HAL, "HalGetBusData", &[PCI, 0, slot(5, 0), buf, 256]).unwrap() as u32, 2);
        assert_eq!(fx.read(buf, 2), vec![0xFF, 0xFF]);
        assert_eq!(fx.call(HAL, "HalGetBusDataByOffset", &[PCI, 0, slot(5, 0), buf, 0x40, 4]).unwrap() as u32, 0);
        assert_eq!(fx.call(HAL, "HalGetBusData", &[PCI, 9, slot(0, 0), buf, 4]).unwrap() as u32, 0);
        // Length clipped to the 256-byte space.
        assert_eq!(fx.call(HAL, "HalGetBusDataByOffset", &[PCI, 0, 0, buf, 0xF0, 0x100]).unwrap() as u32, 0x10);
    }
}

#[test]
fn ulong_arguments_are_traced_as_the_routine_sees_them() {
    // MSVC stores a ULONG stack argument with a 32-bit move: the slot's upper half is stale.
    // The routine uses the low half, and the trace must show that, not the whole slot.
    for arch in both() {
        let mut fx = Fx::new(arch);
        let buf = fx.alloc(4);
        let stale = 0xFFFF_FA80_0000_0000;
        let n = fx.call(HAL, "HalGetBusDataByOffset", &[PCI, stale, slot(0x1F, 3) | stale, buf, stale, 4 | stale]);
        assert_eq!(n.unwrap() as u32, 4);
        assert_eq!(fx.read(buf, 4), 0x3A30_8086u32.to_le_bytes().to_vec());
        let call = fx.last_call();
        for (name, value) in
            [("BusDataType", PCI), ("BusNumber", 0), ("SlotNumber", slot(0x1F, 3)), ("Offset", 0), ("Length", 4)]
        {
            assert_eq!(arg(&call, name), &ArgValue::Int(value), "{arch:?} {name}");
        }
    }
}

#[test]
fn set_bus_data_sizes_a_bar_through_the_masks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ones = fx.put(&[0xFF; 4]);
        let out = fx.alloc(4);
        let smbus = slot(0x1F, 3);
        assert_eq!(fx.call(HAL, "HalSetBusDataByOffset", &[PCI, 0, smbus, ones, 0x10, 4]).unwrap() as u32, 4);
        fx.call(HAL, "HalGetBusDataByOffset", &[PCI, 0, smbus, out, 0x10, 4]).unwrap();
        assert_eq!(fx.read(out, 4), 0xFFFF_FF00u32.to_le_bytes().to_vec());
        assert_eq!(through_ports(&mut fx, 0, 0x1F, 3, 0x10), 0xFFFF_FF00);
        // An empty slot takes nothing.
        assert_eq!(fx.call(HAL, "HalSetBusData", &[PCI, 0, slot(9, 0), ones, 4]).unwrap() as u32, 0);
        let bus = fx.k.mem().physical().pci.clone();
        let rows = bus.borrow().accesses();
        assert!(rows.iter().any(|r| r.key.write && r.mechanisms == [portcullis_emu::pci::Mechanism::Hal]));
    }
}

#[test]
fn cmos_through_the_bus_routines_goes_through_the_ports() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // The CMOS/RTC of the default machine (the tool attaches it; the kernel does not).
        let mut devices = portcullis_devices::Devices::default();
        devices.install_defaults(&mut fx.k.guest_mut().ports, &Default::default());
        let buf = fx.alloc(16);
        // Year, month, day of the real-time clock (BCD), from register 7.
        assert_eq!(fx.call(HAL, "HalGetBusData", &[CMOS, 0, 7, buf, 3]).unwrap() as u32, 3);
        assert_eq!(fx.read(buf, 3), vec![0x01, 0x01, 0x24]);
        let ports: Vec<u16> = fx.k.guest().trace.ports().map(|p| p.port).collect();
        assert_eq!(ports, vec![0x70, 0x71, 0x70, 0x71, 0x70, 0x71]);
        // CMOS RAM is writable; bank 2 has no device and reads ones; there is no bank 3.
        let v = fx.put(&[0x5A]);
        assert_eq!(fx.call(HAL, "HalSetBusDataByOffset", &[CMOS, 0, 0x40, v, 0, 1]).unwrap() as u32, 1);
        fx.call(HAL, "HalGetBusDataByOffset", &[CMOS, 0, 0x3F, buf, 1, 1]).unwrap();
        assert_eq!(fx.read(buf, 1), vec![0x5A]);
        assert_eq!(fx.call(HAL, "HalGetBusData", &[CMOS, 1, 0, buf, 2]).unwrap() as u32, 2);
        assert_eq!(fx.read(buf, 2), vec![0xFF, 0xFF]);
        assert_eq!(fx.call(HAL, "HalGetBusData", &[CMOS, 3, 0, buf, 2]).unwrap() as u32, 0);
    }
}

#[test]
fn bus_addresses_translate_to_themselves_and_interrupts_to_apic_vectors() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let space = fx.alloc(4);
        let out = fx.alloc(8);
        let call = |fx: &mut Fx, interface: u64, bus: u64, address: u64, s: u32| {
            fx.k.mem_mut().write_u32(space, s).unwrap();
            let mut a = vec![interface, bus];
            match fx.arch {
                Arch::X86 => a.extend([address & 0xFFFF_FFFF, address >> 32]),
                Arch::X64 => a.push(address),
            }
            a.extend([space, out]);
            let ok = fx.call(HAL, "HalTranslateBusAddress", &a).unwrap() as u8;
            (ok, fx.k.mem().read_u32(space).unwrap(), fx.k.mem().read_u64(out).unwrap())
        };
        assert_eq!(call(&mut fx, 5, 0, 0xDFFF_F000, 0), (1, 0, 0xDFFF_F000));
        assert_eq!(call(&mut fx, 1, 0, 0x378, 1), (1, 1, 0x378));
        assert_eq!(call(&mut fx, 5, 1, 0xC000_0000, 0).0, 1, "bus 1, behind the root port");
        assert_eq!(call(&mut fx, 5, 7, 0xC000_0000, 0).0, 0, "no bus 7");
        assert_eq!(call(&mut fx, 1, 0, 0x1_0000, 1).0, 0, "no such port");
        assert_eq!(call(&mut fx, 4, 0, 0x1000, 0).0, 0, "TurboChannel");

        let irql = fx.alloc(1);
        let affinity = fx.alloc(8);
        let vector = |fx: &mut Fx, interface: u64, bus: u64, level: u64| {
            let v =
                fx.call(HAL, "HalGetInterruptVector", &[interface, bus, level, level, irql, affinity]).unwrap() as u32;
            (v, fx.k.mem().read_u8(irql).unwrap())
        };
        assert_eq!(vector(&mut fx, 1, 0, 1), (0x51, 5));
        assert_eq!(vector(&mut fx, 1, 0, 0), (0x52, 5), "IRQ 0 arrives on GSI 2");
        assert_eq!(vector(&mut fx, 5, 0, 0x13), (0x63, 6));
        assert_eq!(vector(&mut fx, 5, 4, 0x13).0, 0);
        assert_eq!(vector(&mut fx, 1, 0, 16).0, 0);
        // Any of the (two, by default) processors.
        assert_eq!(fx.k.mem().read_ptr(affinity).unwrap(), 0b11);
    }
}

#[test]
fn slot_resources_describe_the_functions_bars_and_interrupt() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let out = fx.alloc(8);
        let a = [0, 0, 0, 0, 5, 0, slot(0x1F, 3), out];
        assert_eq!(fx.call(HAL, "HalAssignSlotResources", &a).unwrap() as u32, 0);
        let list = fx.k.mem().read_ptr(out).unwrap();
        let count = fx.k.mem().read_u32(list + 16).unwrap();
        assert_eq!(count, 3, "memory BAR, I/O BAR, interrupt");
        let d = if arch == Arch::X86 { 16 } else { 20 };
        let first = list + 20;
        let read = |fx: &Fx, i: u64, off: u64| fx.k.mem().read_u64(first + i * d + off).unwrap();
        assert_eq!(fx.k.mem().read_u8(first).unwrap(), 3);
        assert_eq!((read(&fx, 0, 4), read(&fx, 0, 12) as u32), (0xDFFF_F000, 256));
        assert_eq!(fx.k.mem().read_u8(first + d).unwrap(), 1);
        assert_eq!((read(&fx, 1, 4), read(&fx, 1, 12) as u32), (0x400, 32));
        assert_eq!(fx.k.mem().read_u8(first + 2 * d).unwrap(), 2);
        assert_eq!(read(&fx, 2, 4) as u32, 0x12);
        fx.call(NT, "ExFreePool", &[list]).unwrap();
        let a = [0, 0, 0, 0, 5, 0, slot(7, 0), out];
        assert_eq!(fx.call(HAL, "HalAssignSlotResources", &a).unwrap() as u32, 0xC000_000E);
    }
}

#[test]
fn resource_claims_conflict_between_claimants() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let d = if arch == Arch::X86 { 16 } else { 20 };
        // One port range, 0x378-0x37F.
        let mut list = Vec::new();
        list.extend(1u32.to_le_bytes());
        list.extend([1u32, 0].iter().flat_map(|v| v.to_le_bytes()));
        list.extend([1u16, 1].iter().flat_map(|v| v.to_le_bytes()));
        list.extend(1u32.to_le_bytes());
        let mut desc = vec![1u8, 1, 1, 0];
        desc.extend(0x378u64.to_le_bytes());
        desc.extend(8u32.to_le_bytes());
        desc.resize(d, 0);
        list.extend(desc);
        let l = fx.put(&list);
        let conflict = fx.alloc(1);
        let len = list.len() as u64;
        let a = [0, 0x1000, l, len, 0, 0, 0, 0, conflict];
        assert_eq!(fx.call(NT, "IoReportResourceUsage", &a).unwrap() as u32, 0);
        assert_eq!(fx.read(conflict, 1), vec![0]);
        // The same driver again: its own claim is no conflict. Another one: a conflict.
        fx.call(NT, "IoReportResourceUsage", &a).unwrap();
        assert_eq!(fx.read(conflict, 1), vec![0]);
        let b = [0, 0x2000, l, len, 0, 0, 0, 0, conflict];
        fx.call(NT, "IoReportResourceUsage", &b).unwrap();
        assert_eq!(fx.read(conflict, 1), vec![1]);
        assert_eq!(fx.k.ext().hal.claims.len(), 1);
    }
}

#[test]
fn registers_reach_devices_through_the_mediated_path_on_x86() {
    let mut fx = Fx::new(Arch::X86);
    let a = [0xFED0_0000, 0, 0x400, 0];
    let hpet = fx.call(NT, "MmMapIoSpace", &a).unwrap();
    assert_eq!(fx.call(NT, "READ_REGISTER_ULONG", &[hpet]).unwrap() as u32, 0x8086_A301);
    let site = fx.site;
    fx.call(NT, "WRITE_REGISTER_ULONG", &[hpet + 0x10, 1]).unwrap();
    assert_eq!(fx.call(NT, "READ_REGISTER_USHORT", &[hpet + 0x10]).unwrap() as u16, 1);
    let buf = fx.alloc(8);
    fx.call(NT, "READ_REGISTER_BUFFER_ULONG", &[hpet, buf, 2]).unwrap();
    assert_eq!(fx.read(buf, 8)[4..], 69_841_279u32.to_le_bytes());
    let events: Vec<MmioEvent> = fx.k.guest().trace.mmio().copied().collect();
    assert_eq!(events.len(), 5);
    assert_eq!((events[0].pc, events[0].address, events[0].value), (site, 0xFED0_0000, 0x8086_A301));
    assert!(events[1].write && events[1].value == 1);
    // Registers in RAM are plain memory: no MMIO event.
    let ram = fx.alloc(4);
    fx.call(NT, "WRITE_REGISTER_UCHAR", &[ram, 0x42]).unwrap();
    assert_eq!(fx.read(ram, 1), vec![0x42]);
    assert_eq!(fx.k.guest().trace.mmio().count(), 5);
    // A register nothing maps: the page fault of a bad kernel address.
    assert_eq!(bugcheck(fx.call(NT, "READ_REGISTER_UCHAR", &[0xF000_0000])).code, 0x50);
}

#[test]
fn the_speaker_beeps_through_the_timer() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        assert_eq!(fx.call(HAL, "HalMakeBeep", &[1000]).unwrap() as u8, 1);
        let outs: Vec<(u16, u32)> = fx.k.guest().trace.ports().filter(|p| p.write).map(|p| (p.port, p.value)).collect();
        assert_eq!(outs, vec![(0x61, 0xFC), (0x43, 0xB6), (0x42, 0xA9), (0x42, 0x04), (0x61, 0xFF)]);
        assert_eq!(fx.call(HAL, "HalMakeBeep", &[5]).unwrap() as u8, 0, "below what the divisor reaches");
    }
}
