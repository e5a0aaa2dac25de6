//! Kernel routines touching device memory on the driver's behalf (memcpy from a view of
//! registers, memset into one): the bytes that are memory are copied as memory, the ones
//! device registers answer go through the machine's mediated MMIO path — dwords where
//! aligned, bytes elsewhere, as the routine's own loads and stores would reach the device —
//! with the routine's caller as the pc.

use portcullis_emu::ports::Width;
use portcullis_emu::{MemError, PAGE_SIZE};

use crate::kernel::{caller, KError, KResult, Kx};

/// One register access at `va` (mapped to device memory), or the fault it takes.
fn access(k: &mut Kx, va: u64, width: Width, write: Option<u32>, at: u64) -> KResult<u32> {
    let fault = || match write {
        Some(_) => KError::Mem(MemError::UnmappedWrite { addr: va }),
        None => KError::Mem(MemError::Unmapped { addr: va }),
    };
    let pa = k.mem().translate(va).ok_or_else(fault)?;
    k.mmio_io(pa, width, write, at).ok_or_else(fault)
}

/// Element widths for `n` bytes at `va`: dwords while aligned, bytes for the rest.
fn step(va: u64, left: usize) -> Width {
    if va.is_multiple_of(4) && left >= 4 {
        Width::Dword
    } else {
        Width::Byte
    }
}

/// Reads `buf.len()` bytes at `va`, memory or device registers.
pub fn read(k: &mut Kx, va: u64, buf: &mut [u8]) -> KResult<()> {
    let at = caller(k);
    let mut done = 0usize;
    while done < buf.len() {
        let addr = va.wrapping_add(done as u64);
        let n = ((PAGE_SIZE - addr % PAGE_SIZE) as usize).min(buf.len() - done);
        match k.mem().read(addr, &mut buf[done..done + n]) {
            Ok(()) => done += n,
            Err(MemError::Device { .. }) => {
                let end = done + n;
                while done < end {
                    k.check_budget().map_err(KError::Stop)?;
                    let a = va.wrapping_add(done as u64);
                    let w = step(a, end - done);
                    let v = access(k, a, w, None, at)?;
                    let b = w.bytes() as usize;
                    buf[done..done + b].copy_from_slice(&v.to_le_bytes()[..b]);
                    done += b;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Writes `data` at `va`, memory or device registers.
pub fn write(k: &mut Kx, va: u64, data: &[u8]) -> KResult<()> {
    let at = caller(k);
    let mut done = 0usize;
    while done < data.len() {
        let addr = va.wrapping_add(done as u64);
        let n = ((PAGE_SIZE - addr % PAGE_SIZE) as usize).min(data.len() - done);
        match k.mem_mut().write(addr, &data[done..done + n]) {
            Ok(()) => done += n,
            Err(MemError::Device { .. }) => {
                let end = done + n;
                while done < end {
                    k.check_budget().map_err(KError::Stop)?;
                    let a = va.wrapping_add(done as u64);
                    let w = step(a, end - done);
                    let b = w.bytes() as usize;
                    let mut v = [0u8; 4];
                    v[..b].copy_from_slice(&data[done..done + b]);
                    access(k, a, w, Some(u32::from_le_bytes(v)), at)?;
                    done += b;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
