//! tdi.sys: the Transport Driver Interface library. `TdiMapUserRequest` turns a device-control
//! request carrying an IOCTL_TDI_* code (ntddtdi.h) into the internal device-control request
//! of the same meaning (IRP_MJ_INTERNAL_DEVICE_CONTROL, MinorFunction TDI_*), so a transport,
//! or a filter above one, handles both through one path.
//!
//! The user-mode request structure (tdi.h's TDI_REQUEST_*) sits in the IRP's system buffer;
//! the kernel-mode one (tdikrnl.h's TDI_REQUEST_KERNEL_*) is written over the stack
//! location's Parameters. As Windows since the TDI hardening does, a request whose
//! RequestorMode is UserMode is mapped only for the queries, sets and actions; the requests
//! that would hand a user-mode caller kernel behaviour (connect, listen, send, receive, ...)
//! are STATUS_NOT_IMPLEMENTED for it, as is every unknown code, and IOCTL_TDI_SET_EVENT_HANDLER
//! is always STATUS_INVALID_PARAMETER (it installs handlers called at DISPATCH_LEVEL). A
//! buffer of the wrong size leaves the request unmapped, STATUS_INVALID_PARAMETER.
#![allow(non_snake_case)]

pub mod transport;

use crate::io::major;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION as SL, IRP};
use crate::types::{status, NtStatus, Ptr};

/// CTL_CODE(FILE_DEVICE_TRANSPORT, function, method, FILE_ANY_ACCESS).
const fn tdi_ioctl(function: u32, method: u32) -> u32 {
    (0x21 << 16) | (function << 2) | method
}
const BUFFERED: u32 = 0;
const IN_DIRECT: u32 = 1;
const OUT_DIRECT: u32 = 2;
pub const IOCTL_TDI_ACCEPT: u32 = tdi_ioctl(0, BUFFERED);
pub const IOCTL_TDI_CONNECT: u32 = tdi_ioctl(1, BUFFERED);
pub const IOCTL_TDI_DISCONNECT: u32 = tdi_ioctl(2, BUFFERED);
pub const IOCTL_TDI_LISTEN: u32 = tdi_ioctl(3, BUFFERED);
pub const IOCTL_TDI_QUERY_INFORMATION: u32 = tdi_ioctl(4, OUT_DIRECT);
pub const IOCTL_TDI_RECEIVE: u32 = tdi_ioctl(5, OUT_DIRECT);
pub const IOCTL_TDI_RECEIVE_DATAGRAM: u32 = tdi_ioctl(6, OUT_DIRECT);
pub const IOCTL_TDI_SEND: u32 = tdi_ioctl(7, IN_DIRECT);
pub const IOCTL_TDI_SEND_DATAGRAM: u32 = tdi_ioctl(8, IN_DIRECT);
pub const IOCTL_TDI_SET_EVENT_HANDLER: u32 = tdi_ioctl(9, BUFFERED);
pub const IOCTL_TDI_SET_INFORMATION: u32 = tdi_ioctl(10, IN_DIRECT);
pub const IOCTL_TDI_ASSOCIATE_ADDRESS: u32 = tdi_ioctl(11, BUFFERED);
pub const IOCTL_TDI_DISASSOCIATE_ADDRESS: u32 = tdi_ioctl(12, BUFFERED);
pub const IOCTL_TDI_ACTION: u32 = tdi_ioctl(13, OUT_DIRECT);

/// The TDI_* minor functions (tdikrnl.h).
pub mod minor {
    pub const ASSOCIATE_ADDRESS: u8 = 0x01;
    pub const DISASSOCIATE_ADDRESS: u8 = 0x02;
    pub const CONNECT: u8 = 0x03;
    pub const LISTEN: u8 = 0x04;
    pub const ACCEPT: u8 = 0x05;
    pub const DISCONNECT: u8 = 0x06;
    pub const SEND: u8 = 0x07;
    pub const RECEIVE: u8 = 0x08;
    pub const SEND_DATAGRAM: u8 = 0x09;
    pub const RECEIVE_DATAGRAM: u8 = 0x0A;
    pub const QUERY_INFORMATION: u8 = 0x0C;
    pub const SET_INFORMATION: u8 = 0x0D;
    pub const ACTION: u8 = 0x0E;
}

/// KPROCESSOR_MODE UserMode.
const USER_MODE: u64 = 1;

/// The field offsets of tdi.h's and tdikrnl.h's structures in pointer-size units `p`
/// (measured from the mingw-w64 headers for both triples): every user-mode request starts
/// with a TDI_REQUEST of four pointers.
struct Shapes {
    p: u64,
}

impl Shapes {
    /// The first field after the TDI_REQUEST header.
    fn body(&self) -> u64 {
        4 * self.p
    }
    /// sizeof(TDI_REQUEST_CONNECT): header, two pointers, a LARGE_INTEGER timeout.
    fn connect(&self) -> u64 {
        6 * self.p + 8
    }
    /// sizeof(TDI_REQUEST_LISTEN), TDI_REQUEST_RECEIVE_DATAGRAM: header, two pointers, flags.
    fn listen(&self) -> u64 {
        if self.p == 8 {
            56
        } else {
            28
        }
    }
    /// sizeof(TDI_REQUEST_QUERY_INFORMATION), _SET_INFORMATION: header, ULONG, pointer.
    fn query(&self) -> u64 {
        6 * self.p
    }
    /// sizeof of the requests with one field after the header (send, receive, send
    /// datagram, associate address).
    fn one(&self) -> u64 {
        5 * self.p
    }
    /// sizeof(TDI_CONNECTION_INFORMATION): three (length, pointer) pairs.
    fn conn_info(&self) -> u64 {
        6 * self.p
    }
}

/// NTSTATUS TdiMapUserRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION IrpSp)
pub fn TdiMapUserRequest(k: &mut Kx, _device: Ptr, irp: Ptr, sp: Ptr) -> KResult<NtStatus> {
    let mem = k.mem();
    let code = mem.get(sp.0, SL::IoControlCode)? as u32;
    let input = mem.get(sp.0, SL::InputBufferLength)?;
    let output = mem.get(sp.0, SL::OutputBufferLength)?;
    let buffer = mem.get(irp.0, IRP::SystemBuffer)?;
    let user = mem.get(irp.0, IRP::RequestorMode)? == USER_MODE;
    let s = Shapes { p: k.arch().ptr_size() };
    let p = s.p;
    // Where the kernel-mode request goes: IrpSp->Parameters.
    let params = SL::OutputBufferLength.at(k.arch(), sp.0);
    let kernel_only = matches!(
        code,
        IOCTL_TDI_ACCEPT
            | IOCTL_TDI_CONNECT
            | IOCTL_TDI_DISCONNECT
            | IOCTL_TDI_LISTEN
            | IOCTL_TDI_RECEIVE
            | IOCTL_TDI_RECEIVE_DATAGRAM
            | IOCTL_TDI_SEND
            | IOCTL_TDI_SEND_DATAGRAM
            | IOCTL_TDI_ASSOCIATE_ADDRESS
            | IOCTL_TDI_DISASSOCIATE_ADDRESS
    );
    if user && kernel_only {
        return Ok(status::NOT_IMPLEMENTED);
    }
    let minor = match code {
        IOCTL_TDI_ACCEPT => minor::ACCEPT,
        IOCTL_TDI_DISCONNECT => minor::DISCONNECT,
        IOCTL_TDI_DISASSOCIATE_ADDRESS => minor::DISASSOCIATE_ADDRESS,
        IOCTL_TDI_ACTION => minor::ACTION,
        IOCTL_TDI_CONNECT => {
            if input != s.connect() {
                return Ok(status::INVALID_PARAMETER);
            }
            // The connection information's variable parts follow it: user data, options,
            // remote address, in that order; their pointers are set to where they lie.
            let info = mem.read_ptr(buffer + s.body())?;
            point_into(k, info, p)?;
            let mem = k.mem_mut();
            mem.write_ptr(params + p, info)?;
            mem.write_ptr(params + 2 * p, 0)?;
            minor::CONNECT
        }
        IOCTL_TDI_LISTEN => {
            if input != s.listen() {
                return Ok(status::INVALID_PARAMETER);
            }
            let flags = mem.read_u16(buffer + 6 * p)?;
            k.mem_mut().write_u32(params, u32::from(flags))?;
            minor::LISTEN
        }
        IOCTL_TDI_QUERY_INFORMATION => {
            if input < s.query() {
                return Ok(status::INVALID_PARAMETER);
            }
            let query_type = mem.read_u32(buffer + s.body())?;
            // Connection information may follow the request, its parts after it; they must
            // lie within what the caller passed.
            let rest = input - s.query();
            let info = if rest >= s.conn_info() {
                let info = buffer + s.query();
                // The three LONG lengths (a negative one is out of any buffer).
                let mut parts = 0u64;
                for i in [0, 2, 4] {
                    parts += u64::from(mem.read_u32(info + i * p)?);
                }
                if parts > rest - s.conn_info() {
                    return Ok(status::INVALID_PARAMETER);
                }
                point_into(k, info, p)?;
                info
            } else {
                0
            };
            let mem = k.mem_mut();
            mem.write_u32(params, query_type)?;
            mem.write_ptr(params + p, info)?;
            minor::QUERY_INFORMATION
        }
        IOCTL_TDI_SET_INFORMATION => {
            if input != s.query() {
                return Ok(status::INVALID_PARAMETER);
            }
            let set_type = mem.read_u32(buffer + s.body())?;
            let mem = k.mem_mut();
            mem.write_u32(params, set_type)?;
            mem.write_ptr(params + p, 0)?;
            minor::SET_INFORMATION
        }
        IOCTL_TDI_RECEIVE | IOCTL_TDI_SEND => {
            if input != s.one() {
                return Ok(status::INVALID_PARAMETER);
            }
            // The length is the data buffer's (the output buffer of the direct methods).
            let flags = mem.read_u16(buffer + s.body())?;
            let mem = k.mem_mut();
            mem.write_u32(params, output as u32)?;
            mem.write_u32(params + 4, u32::from(flags))?;
            if code == IOCTL_TDI_SEND {
                minor::SEND
            } else {
                minor::RECEIVE
            }
        }
        IOCTL_TDI_RECEIVE_DATAGRAM => {
            if input != s.listen() {
                return Ok(status::INVALID_PARAMETER);
            }
            let info = mem.read_ptr(buffer + s.body())?;
            let ret = mem.read_ptr(buffer + 5 * p)?;
            let flags = mem.read_u16(buffer + 6 * p)?;
            let mem = k.mem_mut();
            mem.write_u32(params, output as u32)?;
            mem.write_ptr(params + p, info)?;
            mem.write_ptr(params + 2 * p, ret)?;
            mem.write_u32(params + 3 * p, u32::from(flags))?;
            minor::RECEIVE_DATAGRAM
        }
        IOCTL_TDI_SEND_DATAGRAM => {
            if input != s.one() {
                return Ok(status::INVALID_PARAMETER);
            }
            let info = mem.read_ptr(buffer + s.body())?;
            let mem = k.mem_mut();
            mem.write_u32(params, output as u32)?;
            mem.write_ptr(params + p, info)?;
            minor::SEND_DATAGRAM
        }
        IOCTL_TDI_ASSOCIATE_ADDRESS => {
            if input != s.one() {
                return Ok(status::INVALID_PARAMETER);
            }
            let handle = mem.read_ptr(buffer + s.body())?;
            k.mem_mut().write_ptr(params, handle)?;
            minor::ASSOCIATE_ADDRESS
        }
        IOCTL_TDI_SET_EVENT_HANDLER => return Ok(status::INVALID_PARAMETER),
        _ => return Ok(status::NOT_IMPLEMENTED),
    };
    let mem = k.mem_mut();
    mem.set(sp.0, SL::MajorFunction, u64::from(major::INTERNAL_DEVICE_CONTROL))?;
    mem.set(sp.0, SL::MinorFunction, u64::from(minor))?;
    Ok(NtStatus(0))
}

/// Points a TDI_CONNECTION_INFORMATION's UserData, Options and RemoteAddress at the bytes
/// that follow it, laid out in that order by their lengths.
fn point_into(k: &mut Kx, info: u64, p: u64) -> KResult<()> {
    let mem = k.mem();
    let user_len = u64::from(mem.read_u32(info)?);
    let options_len = u64::from(mem.read_u32(info + 2 * p)?);
    let user_data = info + 6 * p;
    let options = user_data.wrapping_add(user_len);
    let remote = options.wrapping_add(options_len);
    let mem = k.mem_mut();
    mem.write_ptr(info + p, user_data)?;
    mem.write_ptr(info + 3 * p, options)?;
    mem.write_ptr(info + 5 * p, remote)?;
    Ok(())
}
