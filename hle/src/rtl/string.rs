//! Reading strings out of guest memory (the NUL-terminated readers live with printf).

use portcullis_emu::{GuestMemory, MemError};

pub use super::printf::{read_cstr, read_wstr};

/// Reads a counted string's bytes (a UNICODE_STRING's or ANSI_STRING's buffer).
pub fn read_counted(mem: &GuestMemory, buffer: u64, len: usize) -> Result<Vec<u8>, MemError> {
    let mut out = vec![0u8; len];
    mem.read(buffer, &mut out)?;
    Ok(out)
}
