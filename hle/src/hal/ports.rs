//! READ_PORT_* / WRITE_PORT_* and their _BUFFER_ forms.
//!
//! On x86 drivers import these from hal.dll (on x64 the headers inline them as in/out).
//! Every access goes through the machine's port mediation exactly as an IN/OUT at the
//! call site would: the same policies, devices, permission check and trace, with the
//! driver's call site as the trace's pc. A denied port is a #GP at the call site.
#![allow(non_snake_case)]

use portcullis_emu::ports::Width;

use crate::kernel::{caller, KError, KResult, Kx};
use crate::types::Ptr;

fn port_in(k: &mut Kx, port: Ptr, width: Width, at: u64) -> KResult<u32> {
    k.port_io(port.0 as u16, width, None, at).map_err(KError::Stop)
}

fn port_out(k: &mut Kx, port: Ptr, width: Width, value: u32, at: u64) -> KResult<()> {
    k.port_io(port.0 as u16, width, Some(value), at).map(|_| ()).map_err(KError::Stop)
}

pub fn READ_PORT_UCHAR(k: &mut Kx, port: Ptr) -> KResult<u8> {
    let at = caller(k);
    Ok(port_in(k, port, Width::Byte, at)? as u8)
}

pub fn READ_PORT_USHORT(k: &mut Kx, port: Ptr) -> KResult<u16> {
    let at = caller(k);
    Ok(port_in(k, port, Width::Word, at)? as u16)
}

pub fn READ_PORT_ULONG(k: &mut Kx, port: Ptr) -> KResult<u32> {
    let at = caller(k);
    port_in(k, port, Width::Dword, at)
}

pub fn WRITE_PORT_UCHAR(k: &mut Kx, port: Ptr, value: u8) -> KResult<()> {
    let at = caller(k);
    port_out(k, port, Width::Byte, value as u32, at)
}

pub fn WRITE_PORT_USHORT(k: &mut Kx, port: Ptr, value: u16) -> KResult<()> {
    let at = caller(k);
    port_out(k, port, Width::Word, value as u32, at)
}

pub fn WRITE_PORT_ULONG(k: &mut Kx, port: Ptr, value: u32) -> KResult<()> {
    let at = caller(k);
    port_out(k, port, Width::Dword, value, at)
}

/// `count` reads into `buffer`, element by element, as `rep ins` would.
fn read_buffer(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32, width: Width) -> KResult<()> {
    let at = caller(k);
    let w = width.bytes() as u64;
    for i in 0..count as u64 {
        k.check_budget().map_err(KError::Stop)?;
        let v = port_in(k, port, width, at)?;
        k.mem_mut().write(buffer.0.wrapping_add(i * w), &v.to_le_bytes()[..w as usize])?;
    }
    Ok(())
}

/// `count` writes from `buffer`, element by element, as `rep outs` would.
fn write_buffer(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32, width: Width) -> KResult<()> {
    let at = caller(k);
    let w = width.bytes() as u64;
    for i in 0..count as u64 {
        k.check_budget().map_err(KError::Stop)?;
        let mut b = [0u8; 4];
        k.mem().read(buffer.0.wrapping_add(i * w), &mut b[..w as usize])?;
        port_out(k, port, width, u32::from_le_bytes(b), at)?;
    }
    Ok(())
}

pub fn READ_PORT_BUFFER_UCHAR(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    read_buffer(k, port, buffer, count, Width::Byte)
}

pub fn READ_PORT_BUFFER_USHORT(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    read_buffer(k, port, buffer, count, Width::Word)
}

pub fn READ_PORT_BUFFER_ULONG(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    read_buffer(k, port, buffer, count, Width::Dword)
}

pub fn WRITE_PORT_BUFFER_UCHAR(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    write_buffer(k, port, buffer, count, Width::Byte)
}

pub fn WRITE_PORT_BUFFER_USHORT(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    write_buffer(k, port, buffer, count, Width::Word)
}

pub fn WRITE_PORT_BUFFER_ULONG(k: &mut Kx, port: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    write_buffer(k, port, buffer, count, Width::Dword)
}
