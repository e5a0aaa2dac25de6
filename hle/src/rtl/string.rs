//! Reading and writing strings in guest memory: NUL-terminated strings (the readers live with
//! printf), counted strings (UNICODE_STRING, ANSI_STRING, STRING and OEM_STRING share one
//! layout), and the pool buffers the string routines allocate on a driver's behalf.

use portcullis_emu::{GuestMemory, MemError};

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, UNICODE_STRING};

pub use super::printf::{read_cstr, read_wstr};

/// The most bytes a counted string can describe.
pub const MAXUSHORT: u64 = 0xFFFF;
/// The longest string a NUL-terminated source may give a counted one: more is never scanned.
pub const SCAN_LIMIT: usize = 0x1_0000;
/// The tag Windows' string allocator gives the buffers it allocates ('Strg').
pub const STRING_TAG: &[u8; 4] = b"Strg";

/// Reads a counted string's bytes (a UNICODE_STRING's or ANSI_STRING's buffer).
pub fn read_counted(mem: &GuestMemory, buffer: u64, len: usize) -> Result<Vec<u8>, MemError> {
    let mut out = vec![0u8; len];
    mem.read(buffer, &mut out)?;
    Ok(out)
}

/// The header of a counted string: UNICODE_STRING, ANSI_STRING, STRING, OEM_STRING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    pub length: u16,
    pub maximum: u16,
    pub buffer: u64,
}

impl Counted {
    pub fn read(mem: &GuestMemory, at: u64) -> Result<Counted, MemError> {
        Ok(Counted {
            length: mem.get(at, UNICODE_STRING::Length)? as u16,
            maximum: mem.get(at, UNICODE_STRING::MaximumLength)? as u16,
            buffer: mem.get(at, UNICODE_STRING::Buffer)?,
        })
    }

    pub fn write(&self, mem: &mut GuestMemory, at: u64) -> Result<(), MemError> {
        mem.set(at, UNICODE_STRING::Length, self.length.into())?;
        mem.set(at, UNICODE_STRING::MaximumLength, self.maximum.into())?;
        mem.set(at, UNICODE_STRING::Buffer, self.buffer)
    }

    /// The bytes `Length` covers (nothing is read for an empty string).
    pub fn bytes(&self, mem: &GuestMemory) -> Result<Vec<u8>, MemError> {
        read_counted(mem, self.buffer, self.length.into())
    }

    /// The whole UTF-16 units `Length` covers (an odd last byte is not a character).
    pub fn units(&self, mem: &GuestMemory) -> Result<Vec<u16>, MemError> {
        Ok(units_of(&read_counted(mem, self.buffer, usize::from(self.length & !1))?))
    }
}

/// Sets only the Length field of the counted string at `at`.
pub fn set_length(mem: &mut GuestMemory, at: u64, length: u64) -> Result<(), MemError> {
    mem.set(at, UNICODE_STRING::Length, length)
}

/// Little-endian UTF-16 units of `bytes` (a trailing odd byte is dropped).
pub fn units_of(bytes: &[u8]) -> Vec<u16> {
    bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
}

/// The little-endian bytes of `units`.
pub fn bytes_of(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

/// Reads `n` UTF-16 units at `at`.
pub fn read_units(mem: &GuestMemory, at: u64, n: usize) -> Result<Vec<u16>, MemError> {
    Ok(units_of(&read_counted(mem, at, n * 2)?))
}

/// Writes UTF-16 units at `at`.
pub fn write_units(mem: &mut GuestMemory, at: u64, units: &[u16]) -> Result<(), MemError> {
    mem.write(at, &bytes_of(units))
}

/// Allocates a paged-pool buffer for a string routine, on behalf of the driver that called
/// it (it shows among that driver's leaks until freed); `None` when the pool refuses.
pub fn alloc_string_buffer(k: &mut Kx, size: u64) -> KResult<Option<u64>> {
    crate::ex::pool::allocate_for_caller(k, crate::ex::pool::PAGED_POOL, size, u32::from_le_bytes(*STRING_TAG))
}

/// Frees a buffer a string routine allocated (RtlFreeUnicodeString and friends), as
/// ExFreePool does: no tag check, and a bad pointer bugchecks.
pub fn free_string_buffer(k: &mut Kx, buffer: u64) -> KResult<()> {
    let at = crate::kernel::caller(k);
    crate::ex::pool::free(k, buffer, None, at)
}
