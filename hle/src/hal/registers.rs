//! READ_REGISTER_* / WRITE_REGISTER_* and their _BUFFER_ forms (x86 exports of ntoskrnl; on
//! x64 the headers inline them as `mov`s, which reach the device the same way).
//!
//! The register is a virtual address. Behind it may be RAM or ROM (a plain memory access) or
//! device memory: then the access goes through the machine's MMIO mediation exactly as a
//! `mov` at the call site would, with the same devices, policies and trace, and the driver's
//! call site as the trace's pc. A register the machine denies, or an address that is not
//! mapped, is the page fault such an access takes inside the kernel.
#![allow(non_snake_case)]

use portcullis_emu::ports::Width;
use portcullis_emu::MemError;

use crate::kernel::{caller, KError, KResult, Kx};
use crate::types::Ptr;

fn read(k: &mut Kx, va: u64, width: Width, at: u64) -> KResult<u32> {
    let va = k.arch().mask(va);
    let mut b = [0u8; 4];
    let n = width.bytes() as usize;
    match k.mem().read(va, &mut b[..n]) {
        Ok(()) => Ok(u32::from_le_bytes(b)),
        Err(MemError::Device { .. }) => {
            let pa = k.mem().translate(va).ok_or(MemError::Unmapped { addr: va })?;
            k.mmio_io(pa, width, None, at).ok_or(KError::Mem(MemError::Unmapped { addr: va }))
        }
        Err(MemError::Unmapped { addr }) => {
            if let Some(pa) = k.mem().physical().denied_view(addr) {
                k.mmio_io(pa, width, None, at);
            }
            Err(KError::Mem(MemError::Unmapped { addr }))
        }
        Err(e) => Err(e.into()),
    }
}

fn write(k: &mut Kx, va: u64, width: Width, value: u32, at: u64) -> KResult<()> {
    let va = k.arch().mask(va);
    let n = width.bytes() as usize;
    match k.mem_mut().write(va, &value.to_le_bytes()[..n]) {
        Ok(()) => Ok(()),
        Err(MemError::Device { .. }) => {
            let pa = k.mem().translate(va).ok_or(MemError::UnmappedWrite { addr: va })?;
            k.mmio_io(pa, width, Some(value), at).map(|_| ()).ok_or(KError::Mem(MemError::UnmappedWrite { addr: va }))
        }
        Err(MemError::UnmappedWrite { addr }) => {
            if let Some(pa) = k.mem().physical().denied_view(addr) {
                k.mmio_io(pa, width, Some(value), at);
            }
            Err(KError::Mem(MemError::UnmappedWrite { addr }))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn READ_REGISTER_UCHAR(k: &mut Kx, register: Ptr) -> KResult<u8> {
    let at = caller(k);
    Ok(read(k, register.0, Width::Byte, at)? as u8)
}

pub fn READ_REGISTER_USHORT(k: &mut Kx, register: Ptr) -> KResult<u16> {
    let at = caller(k);
    Ok(read(k, register.0, Width::Word, at)? as u16)
}

pub fn READ_REGISTER_ULONG(k: &mut Kx, register: Ptr) -> KResult<u32> {
    let at = caller(k);
    read(k, register.0, Width::Dword, at)
}

pub fn WRITE_REGISTER_UCHAR(k: &mut Kx, register: Ptr, value: u8) -> KResult<()> {
    let at = caller(k);
    write(k, register.0, Width::Byte, value as u32, at)
}

pub fn WRITE_REGISTER_USHORT(k: &mut Kx, register: Ptr, value: u16) -> KResult<()> {
    let at = caller(k);
    write(k, register.0, Width::Word, value as u32, at)
}

pub fn WRITE_REGISTER_ULONG(k: &mut Kx, register: Ptr, value: u32) -> KResult<()> {
    let at = caller(k);
    write(k, register.0, Width::Dword, value, at)
}

/// `count` elements from consecutive registers into `buffer`, as `rep movs` would copy them.
fn read_buffer(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32, width: Width) -> KResult<()> {
    let at = caller(k);
    let w = width.bytes() as u64;
    for i in 0..count as u64 {
        k.check_budget().map_err(KError::Stop)?;
        let v = read(k, register.0.wrapping_add(i * w), width, at)?;
        k.mem_mut().write(buffer.0.wrapping_add(i * w), &v.to_le_bytes()[..w as usize])?;
    }
    Ok(())
}

/// `count` elements from `buffer` into consecutive registers.
fn write_buffer(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32, width: Width) -> KResult<()> {
    let at = caller(k);
    let w = width.bytes() as u64;
    for i in 0..count as u64 {
        k.check_budget().map_err(KError::Stop)?;
        let mut b = [0u8; 4];
        k.mem().read(buffer.0.wrapping_add(i * w), &mut b[..w as usize])?;
        write(k, register.0.wrapping_add(i * w), width, u32::from_le_bytes(b), at)?;
    }
    Ok(())
}

pub fn READ_REGISTER_BUFFER_UCHAR(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    read_buffer(k, register, buffer, count, Width::Byte)
}

pub fn READ_REGISTER_BUFFER_USHORT(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    read_buffer(k, register, buffer, count, Width::Word)
}

pub fn READ_REGISTER_BUFFER_ULONG(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    read_buffer(k, register, buffer, count, Width::Dword)
}

pub fn WRITE_REGISTER_BUFFER_UCHAR(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    write_buffer(k, register, buffer, count, Width::Byte)
}

pub fn WRITE_REGISTER_BUFFER_USHORT(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    write_buffer(k, register, buffer, count, Width::Word)
}

pub fn WRITE_REGISTER_BUFFER_ULONG(k: &mut Kx, register: Ptr, buffer: Ptr, count: u32) -> KResult<()> {
    write_buffer(k, register, buffer, count, Width::Dword)
}
