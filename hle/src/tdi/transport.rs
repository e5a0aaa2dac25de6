//! The TCP/IP transport's TDI device objects: `\Device\Tcp` and `\Device\Udp`, both of
//! `\Driver\Tcpip` (FILE_DEVICE_NETWORK), made the first time a driver names one (opening
//! it, IoGetDeviceObjectPointer, IoAttachDevice), so that a run that never does sees no
//! difference. A TDI filter finds them, opens them and attaches its own devices on top, as
//! on Windows.
//!
//! The machine has no TCP/IP stack behind them. What the transport answers, from the
//! extended attributes the create brings (the I/O manager's checked copy in
//! Irp->AssociatedIrp.SystemBuffer, Parameters.Create.EaLength long): none is a control
//! channel (STATUS_SUCCESS, FsContext2 TDI_CONTROL_CHANNEL_FILE); an entry named
//! "TransportAddress" (TdiTransportAddress: open an address object) or "ConnectionContext"
//! (TdiConnectionContext: open a connection endpoint) is STATUS_NOT_SUPPORTED (no address can
//! be bound nor connection made here); a list naming neither is STATUS_INVALID_EA_NAME.
//! Cleanup and close succeed, every other request is STATUS_INVALID_DEVICE_REQUEST.
#![allow(non_snake_case)]

use crate::io::{irp, major};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT, IO_STACK_LOCATION as SL, IRP};
use crate::types::{status, NtStatus, Ptr};

/// The transport's driver and its devices.
const DRIVER: &str = "\\Driver\\Tcpip";
const DEVICES: &[&str] = &["\\Device\\Tcp", "\\Device\\Udp"];
/// FILE_DEVICE_NETWORK.
const FILE_DEVICE_NETWORK: u64 = 0x12;
/// tdikrnl.h: FsContext2 of a control channel's file object.
const TDI_CONTROL_CHANNEL_FILE: u64 = 3;
/// tdi.h: the extended-attribute names of an address and a connection open.
const TDI_TRANSPORT_ADDRESS: &[u8] = b"TransportAddress";
const TDI_CONNECTION_CONTEXT: &[u8] = b"ConnectionContext";

/// Makes the transport's devices if `path` names one of them and they are not made yet.
pub(crate) fn materialize(k: &mut Kx, path: &str) -> KResult<()> {
    if !DEVICES.iter().any(|d| d.eq_ignore_ascii_case(path.trim_end_matches('\\'))) {
        return Ok(());
    }
    if k.ext().objects.lookup_path(DRIVER, true).is_ok() {
        return Ok(());
    }
    let dispatch = crate::exports::internal::address(k, "TcpipDispatch").expect("an internal routine");
    let driver = crate::fs::kernel_driver(k, DRIVER)?;
    let table = crate::layout::DRIVER_OBJECT::MajorFunction.at(k.arch(), driver);
    let ps = k.arch().ptr_size();
    for m in [major::CREATE, major::CLEANUP, major::CLOSE, major::DEVICE_CONTROL, major::INTERNAL_DEVICE_CONTROL] {
        k.mem_mut().write_ptr(table + u64::from(m) * ps, dispatch)?;
    }
    for name in DEVICES {
        crate::fs::kernel_device_of(k, driver, name, FILE_DEVICE_NETWORK)?;
    }
    Ok(())
}

/// NTSTATUS TcpipDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp): the transport's dispatch
/// routine (the module comment says what it answers).
pub fn TcpipDispatch(k: &mut Kx, _device: Ptr, irp_addr: Ptr) -> KResult<NtStatus> {
    let at = crate::kernel::caller(k);
    let loc = k.mem().get(irp_addr.0, IRP::CurrentStackLocation)?;
    let st = match k.mem().get(loc, SL::MajorFunction)? as u8 {
        major::CREATE if k.mem().get(irp_addr.0, IRP::SystemBuffer)? != 0 => {
            let buffer = k.mem().get(irp_addr.0, IRP::SystemBuffer)?;
            let length = k.mem().get(loc, SL::CreateEaLength)? as u32;
            let names = crate::io::ea::names_at(k, buffer, length)?;
            if names.iter().any(|n| n == TDI_TRANSPORT_ADDRESS || n == TDI_CONNECTION_CONTEXT) {
                status::NOT_SUPPORTED
            } else {
                status::INVALID_EA_NAME
            }
        }
        major::CREATE => {
            let fo = k.mem().get(loc, SL::FileObject)?;
            if fo != 0 {
                k.mem_mut().set(fo, FILE_OBJECT::FsContext2, TDI_CONTROL_CHANNEL_FILE)?;
            }
            status::SUCCESS
        }
        major::CLEANUP | major::CLOSE => status::SUCCESS,
        _ => status::INVALID_DEVICE_REQUEST,
    };
    irp::set_status(k, irp_addr.0, st, 0)?;
    irp::complete(k, irp_addr, at)?;
    Ok(st)
}
