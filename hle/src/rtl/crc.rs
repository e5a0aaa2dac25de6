//! RtlComputeCrc32: the CRC-32 of IEEE 802.3 (polynomial 0xEDB88320, reflected), continuing
//! from a partial CRC so a buffer can be checksummed in pieces.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::Ptr;

const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            bit += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// Continues a CRC-32 over `bytes`.
pub fn crc32(partial: u32, bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!partial, |c, &b| TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8))
}

/// ULONG RtlComputeCrc32(ULONG PartialCrc, PUCHAR Buffer, ULONG Length)
pub fn RtlComputeCrc32(k: &mut Kx, partial: u32, buffer: Ptr, length: u32) -> KResult<u32> {
    let mut crc = partial;
    let mut chunk = vec![0u8; 0x1000];
    let mut done = 0u64;
    while done < u64::from(length) {
        let len = (u64::from(length) - done).min(0x1000) as usize;
        k.mem().read(buffer.0.wrapping_add(done), &mut chunk[..len])?;
        crc = crc32(crc, &chunk[..len]);
        done += len as u64;
    }
    Ok(crc)
}
