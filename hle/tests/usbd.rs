//! usbd.sys: descriptor walking, the select-configuration URB and the USBDI version, over
//! descriptors in guest memory; both architectures (and x86's decorated export names),
//! through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{
    FieldAccess, URB_HEADER, URB_SELECT_CONFIGURATION, USBD_INTERFACE_INFORMATION, USBD_INTERFACE_LIST_ENTRY,
    USBD_PIPE_INFORMATION,
};

const USBD: Dll = Dll::Usbd;
const ANY: u64 = -1i32 as u32 as u64;

fn interface(number: u8, alternate: u8, endpoints: u8, class: u8) -> Vec<u8> {
    vec![9, 4, number, alternate, endpoints, class, 0, 0, 0]
}

fn endpoint(address: u8) -> Vec<u8> {
    vec![7, 5, address, 2, 0x40, 0, 0]
}

/// A configuration: interface 0 (alternate 0: three endpoints and a class descriptor;
/// alternate 1: none), interface 1 (vendor class, two endpoints). Returns (address, offsets
/// of the three interface descriptors, total length).
fn configuration(fx: &mut Fx) -> (u64, [u64; 3], u64) {
    let mut d = vec![9, 2, 0, 0, 2, 1, 0, 0x80, 50];
    let i0 = d.len() as u64;
    d.extend(interface(0, 0, 3, 2));
    d.extend([5, 0x24, 0, 0x10, 1]);
    for a in [0x81, 0x02, 0x83] {
        d.extend(endpoint(a));
    }
    let i1 = d.len() as u64;
    d.extend(interface(0, 1, 0, 2));
    let i2 = d.len() as u64;
    d.extend(interface(1, 0, 2, 0xFF));
    d.extend(endpoint(0x84));
    d.extend(endpoint(0x05));
    let total = d.len() as u16;
    d[2..4].copy_from_slice(&total.to_le_bytes());
    let at = fx.put(&d);
    (at, [at + i0, at + i1, at + i2], total as u64)
}

fn parse_ex(fx: &mut Fx, name: &str, args: &[u64]) -> u64 {
    fx.call(USBD, name, args).unwrap() & fx.arch.mask(u64::MAX)
}

#[test]
fn interface_descriptors_are_found_by_any_combination_of_criteria() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (c, [i0, i1, i2], _) = configuration(&mut fx);
        let mut names = vec!["USBD_ParseConfigurationDescriptorEx"];
        if arch == Arch::X86 {
            names.push("_USBD_ParseConfigurationDescriptorEx@28");
        }
        for name in names {
            let mut find =
                |start: u64, n: u64, a: u64, class: u64| parse_ex(&mut fx, name, &[c, start, n, a, class, ANY, ANY]);
            assert_eq!(find(c, ANY, ANY, ANY), i0, "{name}: the first interface");
            assert_eq!(find(c, 1, ANY, ANY), i2);
            assert_eq!(find(c, 0, 1, ANY), i1);
            assert_eq!(find(c, ANY, ANY, 0xFF), i2);
            assert_eq!(find(i0 + 9, ANY, ANY, ANY), i1, "from a start position");
            assert_eq!(find(c, 2, ANY, ANY), 0, "no interface 2");
            assert_eq!(find(c, 1, 1, ANY), 0);
            assert_eq!(find(c - 1, ANY, ANY, ANY), 0, "a start before the descriptor");
        }
        assert_eq!(fx.call(USBD, "USBD_ParseConfigurationDescriptor", &[c, 0, 1]).unwrap(), i1);
        assert_eq!(fx.call(USBD, "USBD_ParseConfigurationDescriptor", &[c, 1, 0]).unwrap(), i2);
    }
}

#[test]
fn descriptors_of_a_type_and_interface_lengths() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (c, [i0, i1, i2], total) = configuration(&mut fx);
        let first_endpoint = i0 + 9 + 5;
        assert_eq!(fx.call(USBD, "USBD_ParseDescriptors", &[c, total, c, 5]).unwrap(), first_endpoint);
        assert_eq!(fx.call(USBD, "USBD_ParseDescriptors", &[c, total, c, 0x24]).unwrap(), i0 + 9);
        assert_eq!(fx.call(USBD, "USBD_ParseDescriptors", &[c, total, i1, 5]).unwrap(), i2 + 9);
        assert_eq!(fx.call(USBD, "USBD_ParseDescriptors", &[c, total, c, 0x21]).unwrap(), 0);
        // The buffer's length bounds the walk: the last endpoint lies past 1 byte short of it.
        assert_eq!(fx.call(USBD, "USBD_ParseDescriptors", &[c, total - 7, i2 + 16, 5]).unwrap(), 0);
        // A descriptor of length 0 ends the walk instead of looping on it.
        let stuck = fx.put(&[0, 5, 0, 0, 7, 5, 0, 0, 0, 0, 0]);
        assert_eq!(fx.call(USBD, "USBD_ParseDescriptors", &[stuck, 11, stuck, 5]).unwrap(), 0);
        let end = c + total;
        assert_eq!(fx.call(USBD, "USBD_GetInterfaceLength", &[i0, end]).unwrap(), 9 + 5 + 3 * 7);
        assert_eq!(fx.call(USBD, "USBD_GetInterfaceLength", &[i1, end]).unwrap(), 9);
        assert_eq!(fx.call(USBD, "USBD_GetInterfaceLength", &[i2, end]).unwrap(), 9 + 2 * 7);
    }
}

#[test]
fn a_select_configuration_urb_for_the_chosen_interfaces() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (c, [i0, _, i2], _) = configuration(&mut fx);
        let entry = USBD_INTERFACE_LIST_ENTRY::STRUCT.size(arch);
        let mut names = vec!["USBD_CreateConfigurationRequestEx"];
        if arch == Arch::X86 {
            names.push("_USBD_CreateConfigurationRequestEx@8");
        }
        for name in names {
            let list = fx.alloc(3 * entry);
            let m = fx.k.mem_mut();
            m.set(list, USBD_INTERFACE_LIST_ENTRY::InterfaceDescriptor, i0).unwrap();
            m.set(list + entry, USBD_INTERFACE_LIST_ENTRY::InterfaceDescriptor, i2).unwrap();
            let urb = fx.call(USBD, name, &[c, list]).unwrap();
            assert_ne!(urb, 0);
            let m = fx.k.mem();
            let (pipe, iface) =
                (USBD_PIPE_INFORMATION::STRUCT.size(arch), USBD_INTERFACE_INFORMATION::STRUCT.size(arch));
            let first = URB_SELECT_CONFIGURATION::Interface.offset(arch);
            let (len0, len1) = (iface + 2 * pipe, iface + pipe);
            assert_eq!(m.get(urb, URB_HEADER::Length).unwrap(), first + len0 + len1, "{name}");
            assert_eq!(m.get(urb, URB_HEADER::Function).unwrap(), 0, "URB_FUNCTION_SELECT_CONFIGURATION");
            assert_eq!(m.get(urb, URB_SELECT_CONFIGURATION::ConfigurationDescriptor).unwrap(), c);
            let infos = [urb + first, urb + first + len0];
            for (i, (info, (number, pipes))) in infos.iter().zip([(0u64, 3u64), (1, 2)]).enumerate() {
                let e = list + i as u64 * entry;
                assert_eq!(m.get(e, USBD_INTERFACE_LIST_ENTRY::Interface).unwrap(), *info);
                assert_eq!(m.get(*info, USBD_INTERFACE_INFORMATION::Length).unwrap(), iface + (pipes - 1) * pipe);
                assert_eq!(m.get(*info, USBD_INTERFACE_INFORMATION::InterfaceNumber).unwrap(), number);
                assert_eq!(m.get(*info, USBD_INTERFACE_INFORMATION::AlternateSetting).unwrap(), 0);
                assert_eq!(m.get(*info, USBD_INTERFACE_INFORMATION::NumberOfPipes).unwrap(), pipes);
                for p in 0..pipes {
                    let at = USBD_INTERFACE_INFORMATION::Pipes.at(arch, *info) + p * pipe;
                    assert_eq!(m.get(at, USBD_PIPE_INFORMATION::MaximumTransferSize).unwrap(), 0xFFFF_FFFF);
                    assert_eq!(m.get(at, USBD_PIPE_INFORMATION::PipeHandle).unwrap(), 0, "the bus driver's to fill");
                }
            }
            // The caller frees it with ExFreePool.
            assert!(fx.k.ext().pool.block(urb).is_some());
            fx.call(Dll::Ntoskrnl, "ExFreePool", &[urb]).unwrap();
        }
    }
}

#[test]
fn the_usbdi_version_is_windows_7s() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let info = fx.alloc(8);
        fx.call(USBD, "USBD_GetUSBDIVersion", &[info]).unwrap();
        assert_eq!(fx.read(info, 8), [0x00, 0x06, 0, 0, 0x00, 0x02, 0, 0]);
        fx.call(USBD, "USBD_GetUSBDIVersion", &[0]).unwrap();
    }
}
