//! System services of the executive that are not one subsystem's: system information
//! ([`sysinfo`]), process and thread information and handles ([`process`]), and the virtual
//! memory of processes ([`memory`]).

pub mod firmware;
pub mod job;
pub mod memory;
pub mod process;
pub mod process_set;
pub mod sysinfo;

use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// Writes an information structure of fixed size `bytes.len()` that the caller's buffer must
/// hold exactly (the classes Windows answers STATUS_INFO_LENGTH_MISMATCH for any other
/// length), with ReturnLength when asked for.
pub(crate) fn exact(k: &mut Kx, bytes: &[u8], buffer: Ptr, length: u32, return_length: Ptr) -> KResult<NtStatus> {
    if length as usize != bytes.len() {
        write_len(k, return_length, bytes.len())?;
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    k.mem_mut().write(buffer.0, bytes)?;
    write_len(k, return_length, bytes.len())?;
    Ok(status::SUCCESS)
}

/// Writes a structure that needs at least `bytes.len()` bytes of buffer.
pub(crate) fn at_least(k: &mut Kx, bytes: &[u8], buffer: Ptr, length: u32, return_length: Ptr) -> KResult<NtStatus> {
    write_len(k, return_length, bytes.len())?;
    if (length as usize) < bytes.len() {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    k.mem_mut().write(buffer.0, bytes)?;
    Ok(status::SUCCESS)
}

pub(crate) fn write_len(k: &mut Kx, return_length: Ptr, n: usize) -> KResult<()> {
    if !return_length.is_null() {
        k.mem_mut().write_u32(return_length.0, n as u32)?;
    }
    Ok(())
}

/// Little-endian building of information structures.
#[derive(Default)]
pub(crate) struct Out {
    pub bytes: Vec<u8>,
    ptr: u64,
}

impl Out {
    pub fn new(arch: portcullis_emu::Arch) -> Out {
        Out { bytes: Vec::new(), ptr: arch.ptr_size() }
    }
    pub fn u8(&mut self, v: u8) -> &mut Out {
        self.bytes.push(v);
        self
    }
    pub fn u16(&mut self, v: u16) -> &mut Out {
        self.bytes.extend(v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Out {
        self.bytes.extend(v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Out {
        self.bytes.extend(v.to_le_bytes());
        self
    }
    /// A pointer-sized value.
    pub fn ptr(&mut self, v: u64) -> &mut Out {
        if self.ptr == 8 {
            self.u64(v)
        } else {
            self.u32(v as u32)
        }
    }
    /// Pads to a multiple of `n`.
    pub fn align(&mut self, n: usize) -> &mut Out {
        while !self.bytes.len().is_multiple_of(n) {
            self.bytes.push(0);
        }
        self
    }
}
