//! ExUuidCreate: time-based (version 1) UUIDs, as the kernel makes them, from the virtual
//! clock: the same run gives the same UUIDs. The node is a fixed locally administered
//! address (the machine has no network adapter); a counter keeps UUIDs made at the same
//! virtual instant apart.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{NtStatus, Ptr};

/// 100 ns intervals from the UUID epoch (1582-10-15) to the FILETIME one (1601-01-01).
const UUID_EPOCH_TO_1601: u64 = 0x0014_6BF3_3E42_C000;
/// The node: locally administered, multicast bit set (so never a real adapter's address).
const NODE: [u8; 6] = [0x03, 0x50, 0x43, 0x55, 0x4C, 0x53];

/// The last timestamp given out.
#[derive(Debug, Default)]
pub struct UuidState {
    last: u64,
}

/// A new version-1 UUID in GUID byte order.
pub fn generate(k: &mut Kx) -> [u8; 16] {
    let now = crate::ke::time::system_time(k) + UUID_EPOCH_TO_1601;
    let state = &mut k.ext_mut().ex.uuids;
    let t = now.max(state.last + 1);
    state.last = t;
    let mut g = [0u8; 16];
    g[0..4].copy_from_slice(&(t as u32).to_le_bytes());
    g[4..6].copy_from_slice(&((t >> 32) as u16).to_le_bytes());
    g[6..8].copy_from_slice(&(((t >> 48) as u16 & 0x0FFF) | 0x1000).to_le_bytes());
    // Clock sequence 0 with the RFC 4122 variant bits.
    g[8] = 0x80;
    g[9] = 0;
    g[10..16].copy_from_slice(&NODE);
    g
}

/// NTSTATUS ExUuidCreate(UUID *Uuid)
pub fn ExUuidCreate(k: &mut Kx, uuid: Ptr) -> KResult<NtStatus> {
    let g = generate(k);
    k.mem_mut().write(uuid.0, &g)?;
    Ok(NtStatus(0))
}
