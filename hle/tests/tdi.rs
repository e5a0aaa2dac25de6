//! tdi.sys through the real stub, both architectures: TdiMapUserRequest turning IOCTL_TDI_*
//! device controls into TDI_* internal device controls (the kernel-mode request written over
//! the stack location's Parameters, connection information pointed at its parts), refusing
//! what a user-mode caller may not ask and what it does not know.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, IO_STACK_LOCATION as SL, IRP};
use portcullis_hle::tdi::{self, minor};

const STATUS_NOT_IMPLEMENTED: u64 = 0xC000_0002;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;
const IRP_MJ_DEVICE_CONTROL: u64 = 0x0E;
const IRP_MJ_INTERNAL_DEVICE_CONTROL: u64 = 0x0F;

/// An IRP and its stack location carrying `code` from `mode` (0 kernel, 1 user) with the
/// system buffer `input` (as long as the input buffer) and `output` bytes of output.
fn request(fx: &mut Fx, mode: u64, code: u32, input: &[u8], output: u64) -> (u64, u64, u64) {
    let irp = fx.alloc(0x100);
    let sp = fx.alloc(0x80);
    let buffer = fx.put(input);
    let mem = fx.k.mem_mut();
    mem.set(irp, IRP::RequestorMode, mode).unwrap();
    mem.set(irp, IRP::SystemBuffer, buffer).unwrap();
    mem.set(sp, SL::MajorFunction, IRP_MJ_DEVICE_CONTROL).unwrap();
    mem.set(sp, SL::IoControlCode, u64::from(code)).unwrap();
    mem.set(sp, SL::InputBufferLength, input.len() as u64).unwrap();
    mem.set(sp, SL::OutputBufferLength, output).unwrap();
    (irp, sp, buffer)
}

fn map(fx: &mut Fx, irp: u64, sp: u64) -> u64 {
    fx.call(Dll::Tdi, "TdiMapUserRequest", &[0, irp, sp]).unwrap()
}

fn functions(fx: &Fx, sp: u64) -> (u64, u64) {
    let mem = fx.k.mem();
    (mem.get(sp, SL::MajorFunction).unwrap(), mem.get(sp, SL::MinorFunction).unwrap())
}

fn ptr_bytes(ps: u64, v: u64) -> Vec<u8> {
    v.to_le_bytes()[..ps as usize].to_vec()
}

/// A TDI_CONNECTION_INFORMATION with these lengths, followed by its parts.
fn conn_info(ps: u64, user: u32, options: u32, remote: u32) -> Vec<u8> {
    let mut b = Vec::new();
    for len in [user, options, remote] {
        b.extend(ptr_bytes(ps, u64::from(len)));
        b.extend(ptr_bytes(ps, 0xAAAA));
    }
    b.extend(vec![0x5A; (user + options + remote) as usize]);
    b
}

#[test]
fn a_kernel_connect_becomes_tdi_connect_with_its_information_pointed_at_its_parts() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let info = fx.put(&conn_info(ps, 3, 5, 16));
        // TDI_REQUEST_CONNECT: header, RequestConnectionInformation, Return..., Timeout.
        let mut req = vec![0u8; (4 * ps) as usize];
        req.extend(ptr_bytes(ps, info));
        req.extend(ptr_bytes(ps, 0x1234));
        req.extend([0xFF; 8]);
        let (irp, sp, _) = request(&mut fx, 0, tdi::IOCTL_TDI_CONNECT, &req, 0);
        assert_eq!(map(&mut fx, irp, sp), 0, "{arch:?}");
        assert_eq!(functions(&fx, sp), (IRP_MJ_INTERNAL_DEVICE_CONTROL, u64::from(minor::CONNECT)));
        let params = SL::OutputBufferLength.at(arch, sp);
        assert_eq!(fx.read_ptr(params + ps), info, "RequestConnectionInformation");
        assert_eq!(fx.read_ptr(params + 2 * ps), 0, "ReturnConnectionInformation");
        let data = info + 6 * ps;
        assert_eq!(fx.read_ptr(info + ps), data, "UserData");
        assert_eq!(fx.read_ptr(info + 3 * ps), data + 3, "Options");
        assert_eq!(fx.read_ptr(info + 5 * ps), data + 8, "RemoteAddress");
    }
}

#[test]
fn requests_a_user_mode_caller_may_not_make_are_not_implemented_and_left_alone() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        for code in
            [tdi::IOCTL_TDI_CONNECT, tdi::IOCTL_TDI_SEND, tdi::IOCTL_TDI_ACCEPT, tdi::IOCTL_TDI_ASSOCIATE_ADDRESS]
        {
            let (irp, sp, _) = request(&mut fx, 1, code, &vec![0; (7 * ps) as usize], 0);
            assert_eq!(map(&mut fx, irp, sp), STATUS_NOT_IMPLEMENTED, "{arch:?} {code:#x}");
            assert_eq!(functions(&fx, sp), (IRP_MJ_DEVICE_CONTROL, 0));
            assert_eq!(fx.k.mem().get(sp, SL::IoControlCode).unwrap(), u64::from(code));
        }
    }
}

#[test]
fn unknown_codes_are_not_implemented_and_event_handlers_are_refused() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (irp, sp, _) = request(&mut fx, 0, ctl(0x800, 0), &[0; 8], 0);
        assert_eq!(map(&mut fx, irp, sp), STATUS_NOT_IMPLEMENTED);
        let (irp, sp, _) = request(&mut fx, 0, tdi::IOCTL_TDI_SET_EVENT_HANDLER, &[0; 64], 0);
        assert_eq!(map(&mut fx, irp, sp), STATUS_INVALID_PARAMETER);
        assert_eq!(functions(&fx, sp), (IRP_MJ_DEVICE_CONTROL, 0));
        // A request of the wrong size is not mapped.
        let (irp, sp, _) = request(&mut fx, 0, tdi::IOCTL_TDI_LISTEN, &[0; 12], 0);
        assert_eq!(map(&mut fx, irp, sp), STATUS_INVALID_PARAMETER);
        assert_eq!(functions(&fx, sp), (IRP_MJ_DEVICE_CONTROL, 0));
    }
}

#[test]
fn a_user_mode_query_is_mapped_with_the_information_that_follows_it_when_it_fits() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        // TDI_REQUEST_QUERY_INFORMATION: header, QueryType, RequestConnectionInformation.
        let mut req = vec![0u8; (4 * ps) as usize];
        req.extend(ptr_bytes(ps, 3));
        req.extend(ptr_bytes(ps, 0));
        let info = conn_info(ps, 2, 0, 6);
        let whole: Vec<u8> = req.iter().chain(info.iter()).copied().collect();
        let (irp, sp, buffer) = request(&mut fx, 1, tdi::IOCTL_TDI_QUERY_INFORMATION, &whole, 0x40);
        assert_eq!(map(&mut fx, irp, sp), 0, "{arch:?}");
        assert_eq!(functions(&fx, sp), (IRP_MJ_INTERNAL_DEVICE_CONTROL, u64::from(minor::QUERY_INFORMATION)));
        let params = SL::OutputBufferLength.at(arch, sp);
        assert_eq!(fx.k.mem().read_u32(params).unwrap(), 3, "QueryType");
        let at = buffer + 6 * ps;
        assert_eq!(fx.read_ptr(params + ps), at, "RequestConnectionInformation");
        assert_eq!(fx.read_ptr(at + 5 * ps), at + 6 * ps + 2, "RemoteAddress");

        // Lengths that reach past the buffer are refused.
        let short = &whole[..whole.len() - 1];
        let (irp, sp, _) = request(&mut fx, 1, tdi::IOCTL_TDI_QUERY_INFORMATION, short, 0);
        assert_eq!(map(&mut fx, irp, sp), STATUS_INVALID_PARAMETER);
        // Without information, the request names none.
        let (irp, sp, _) = request(&mut fx, 1, tdi::IOCTL_TDI_QUERY_INFORMATION, &req, 0);
        assert_eq!(map(&mut fx, irp, sp), 0);
        assert_eq!(fx.read_ptr(SL::OutputBufferLength.at(arch, sp) + ps), 0);
    }
}

#[test]
fn sends_and_receives_take_their_length_from_the_data_buffer() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let mut req = vec![0u8; (4 * ps) as usize];
        req.extend(ptr_bytes(ps, 0x0002)); // TDI_SEND_EXPEDITED-like flags
        let (irp, sp, _) = request(&mut fx, 0, tdi::IOCTL_TDI_SEND, &req, 1500);
        assert_eq!(map(&mut fx, irp, sp), 0);
        assert_eq!(functions(&fx, sp), (IRP_MJ_INTERNAL_DEVICE_CONTROL, u64::from(minor::SEND)));
        let params = SL::OutputBufferLength.at(arch, sp);
        assert_eq!(fx.k.mem().read_u32(params).unwrap(), 1500, "SendLength");
        assert_eq!(fx.k.mem().read_u32(params + 4).unwrap(), 2, "SendFlags");

        // A receive datagram carries both information pointers and its flags.
        let mut req = vec![0u8; (4 * ps) as usize];
        req.extend(ptr_bytes(ps, 0x1111));
        req.extend(ptr_bytes(ps, 0x2222));
        req.extend(ptr_bytes(ps, 0x20));
        let (irp, sp, _) = request(&mut fx, 0, tdi::IOCTL_TDI_RECEIVE_DATAGRAM, &req, 512);
        assert_eq!(map(&mut fx, irp, sp), 0);
        let params = SL::OutputBufferLength.at(arch, sp);
        assert_eq!(fx.k.mem().read_u32(params).unwrap(), 512);
        assert_eq!(fx.read_ptr(params + ps), 0x1111);
        assert_eq!(fx.read_ptr(params + 2 * ps), 0x2222);
        assert_eq!(fx.k.mem().read_u32(params + 3 * ps).unwrap(), 0x20);
        assert_eq!(functions(&fx, sp).1, u64::from(minor::RECEIVE_DATAGRAM));

        // Associate: the address handle is the whole kernel request.
        let mut req = vec![0u8; (4 * ps) as usize];
        req.extend(ptr_bytes(ps, 0x80));
        let (irp, sp, _) = request(&mut fx, 0, tdi::IOCTL_TDI_ASSOCIATE_ADDRESS, &req, 0);
        assert_eq!(map(&mut fx, irp, sp), 0);
        assert_eq!(fx.read_ptr(SL::OutputBufferLength.at(arch, sp)), 0x80);
        assert_eq!(functions(&fx, sp).1, u64::from(minor::ASSOCIATE_ADDRESS));
    }
}

/// The TCP/IP transport's devices, made when first named: IoGetDeviceObjectPointer opens a
/// control channel on \Device\Tcp (FsContext2 TDI_CONTROL_CHANNEL_FILE) of \Driver\Tcpip,
/// FILE_DEVICE_NETWORK; \Device\Udp is the driver's other device; a device control through a
/// handle on it is STATUS_INVALID_DEVICE_REQUEST (no stack behind it); other names under
/// \Device are not made.
#[test]
fn the_transport_devices_open_as_control_channels() {
    use portcullis_hle::layout::{DEVICE_OBJECT, DRIVER_OBJECT, FILE_OBJECT};
    const NT: Dll = Dll::Ntoskrnl;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (file, device) = (fx.alloc(8), fx.alloc(8));
        let tcp = fx.ustr("\\Device\\Tcp");
        assert_eq!(fx.call(NT, "IoGetDeviceObjectPointer", &[tcp, 0x1F_01FF, file, device]).unwrap(), 0, "{arch:?}");
        let (fo, dev) = (fx.read_ptr(file), fx.read_ptr(device));
        let m = fx.k.mem();
        assert_eq!(m.get(fo, FILE_OBJECT::FsContext2).unwrap(), 3, "{arch:?}");
        assert_eq!(m.get(fo, FILE_OBJECT::DeviceObject).unwrap(), dev);
        assert_eq!(m.get(dev, DEVICE_OBJECT::DeviceType).unwrap(), 0x12);
        let driver = m.get(dev, DEVICE_OBJECT::DriverObject).unwrap();
        fx.call(NT, "ObfDereferenceObject", &[fo]).unwrap();

        let udp = fx.ustr("\\Device\\Udp");
        assert_eq!(fx.call(NT, "IoGetDeviceObjectPointer", &[udp, 0x1F_01FF, file, device]).unwrap(), 0, "{arch:?}");
        let udp_device = fx.read_ptr(device);
        assert_ne!(udp_device, dev);
        assert_eq!(fx.k.mem().get(udp_device, DEVICE_OBJECT::DriverObject).unwrap(), driver);
        assert_eq!(fx.k.mem().get(driver, DRIVER_OBJECT::DeviceObject).unwrap(), udp_device, "the last made first");
        fx.call(NT, "ObfDereferenceObject", &[fx.read_ptr(file)]).unwrap();

        // A handle on \Device\Tcp: a device control is refused by the transport.
        let oa = fx.object_attributes("\\Device\\Tcp");
        let (handle, iosb) = (fx.alloc(8), fx.alloc(16));
        let st = fx.call(NT, "ZwCreateFile", &[handle, 0xC000_0000, oa, iosb, 0, 0x80, 3, 1, 0x20, 0, 0]).unwrap();
        assert_eq!(st, 0, "{arch:?}");
        let h = fx.read_ptr(handle);
        let args = [h, 0, 0, 0, iosb, tdi::IOCTL_TDI_QUERY_INFORMATION.into(), 0, 0, 0, 0];
        assert_eq!(fx.call(NT, "ZwDeviceIoControlFile", &args).unwrap(), 0xC000_0010, "{arch:?}");
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);

        let raw = fx.ustr("\\Device\\RawIp");
        assert_eq!(fx.call(NT, "IoGetDeviceObjectPointer", &[raw, 0x1F_01FF, file, device]).unwrap(), 0xC000_0034);
    }
}

/// A FILE_FULL_EA_INFORMATION list of one entry.
fn ea(name: &str, value: &[u8]) -> Vec<u8> {
    let mut e = vec![0, 0, 0, 0, 0, name.len() as u8];
    e.extend((value.len() as u16).to_le_bytes());
    e.extend(name.as_bytes());
    e.push(0);
    e.extend(value);
    e
}

/// The transport tells its opens apart by the create's extended attributes (the I/O
/// manager's checked copy, freed once the create completes): an address or a connection
/// open is STATUS_NOT_SUPPORTED, an EA it does not know STATUS_INVALID_EA_NAME; a malformed
/// list never reaches it (STATUS_EA_LIST_INCONSISTENT, the bad entry's offset in
/// IoStatus.Information).
#[test]
fn transport_opens_are_told_apart_by_their_extended_attributes() {
    use portcullis_hle::layout::IO_STATUS_BLOCK;
    const NT: Dll = Dll::Ntoskrnl;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let oa = fx.object_attributes("\\Device\\Udp");
        let (handle, iosb) = (fx.alloc(8), fx.alloc(16));
        let create = |fx: &mut Fx, list: &[u8]| {
            let buffer = fx.put(list);
            let args = [handle, 0xC000_0000, oa, iosb, 0, 0x80, 3, 1, 0x20, buffer, list.len() as u64];
            let st = fx.call(NT, "NtCreateFile", &args).unwrap();
            let info = fx.k.mem().get(iosb, IO_STATUS_BLOCK::Information).unwrap();
            (st, info)
        };
        let live = fx.k.ext().pool.live();
        assert_eq!(create(&mut fx, &ea("TransportAddress", &[0; 20])).0, 0xC000_00BB, "{arch:?}");
        assert_eq!(fx.k.ext().pool.live(), live, "{arch:?}: the copy went with the create");
        assert_eq!(create(&mut fx, &ea("ConnectionContext", &[0; 8])).0, 0xC000_00BB);
        assert_eq!(create(&mut fx, &ea("Transport", &[])).0, 0x8000_0013, "{arch:?}: STATUS_INVALID_EA_NAME");
        // Two entries, the second one's header cut short: its offset is the answer.
        let mut list = ea("ConnectionContext", &[0; 2]);
        let next = list.len().next_multiple_of(4);
        list[..4].copy_from_slice(&(next as u32).to_le_bytes());
        list.resize(next + 6, 0);
        assert_eq!(create(&mut fx, &list), (0x8000_0014, next as u64), "{arch:?}");
        let control = create(&mut fx, &[]);
        assert_eq!(control.0, 0, "{arch:?}: no EAs is a control channel");
        assert_eq!(fx.call(NT, "ZwClose", &[fx.read_ptr(handle)]).unwrap(), 0);
    }
}
