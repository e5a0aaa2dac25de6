//! The x86 I/O permission maps: Ke386SetIoAccessMap, Ke386QueryIoAccessMap,
//! Ke386IoSetAccessProcess (x86-only, undocumented, declared in no header; the routines
//! GIVEIO-style drivers open a user process's port access with).
//!
//! As on Windows, the maps live in the task state segment: map 1 (the only one, IOPM_COUNT
//! is 1) is the 8 KiB bitmap at offset 0x68, the one the processor reads when the TSS's
//! IoMapBase points there; map 0 (IO_ACCESS_MAP_NONE) is no bitmap at all, an IoMapBase past
//! the TSS limit, so every port is denied. A driver copies a bitmap into map 1 with
//! Ke386SetIoAccessMap, and a process uses it from when Ke386IoSetAccessProcess(process, 1)
//! records map 1 in it; every other process stays on map 0. The process's choice is its
//! KPROCESS.IopmOffset on Windows, kept here by EPROCESS ([`IoMaps`]); whoever makes a
//! process current for user code points the TSS's IoMapBase at its map
//! ([`load_for`], what KiSwapProcess does), and Ke386IoSetAccessProcess does it at once for
//! the current process. The machine's own permission check reads the TSS, so guest memory
//! is the one source of truth.
#![allow(non_snake_case)]

use hashbrown::HashMap;
use portcullis_emu::cpu::descriptors::TSS_SIZE;
use portcullis_emu::ports::iopm::IOPM_BYTES;

use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, Ptr};

/// Maps besides map 0 (IOPM_COUNT).
pub const IOPM_COUNT: u32 = 1;
/// IoMapBase of map 0: past the TSS limit, so nothing is permitted.
pub const NO_MAP_OFFSET: u16 = 0xFFFF;

/// The map each process uses (absent: map 0).
#[derive(Default, Debug)]
pub struct IoMaps {
    pub by_process: HashMap<u64, u32>,
}

/// Map `n`'s IoMapBase: map 1 at the end of the TSS proper.
fn offset_of(n: u32) -> u16 {
    match n {
        0 => NO_MAP_OFFSET,
        _ => TSS_SIZE as u16,
    }
}

/// The map process `eprocess` uses.
pub fn map_of(k: &Kx, eprocess: u64) -> u32 {
    k.ext().iopm.by_process.get(&eprocess).copied().unwrap_or(0)
}

/// Points the TSS's IoMapBase at the map of `eprocess`, which becomes the process whose user
/// code runs (KiSwapProcess's part). x64 Windows keeps no map per process (its KPROCESS has
/// no IopmOffset, and there is no Ke386* to choose one): the TSS's IoMapBase and bitmap stay
/// as the kernel and drivers wrote them, one map for every process (what a 64-bit GIVEIO
/// that writes the TSS itself relies on).
pub fn load_for(k: &mut Kx, eprocess: u64) -> KResult<()> {
    if k.arch() == portcullis_emu::Arch::X64 {
        return Ok(());
    }
    let offset = offset_of(map_of(k, eprocess));
    Ok(k.set_io_map_base(offset)?)
}

/// BOOLEAN Ke386SetIoAccessMap(ULONG MapNumber, PKIO_ACCESS_MAP IoAccessMap): copies the
/// 8 KiB bitmap into map `MapNumber` of the TSS; FALSE for map 0 (it cannot be changed) or a
/// map that does not exist.
pub fn Ke386SetIoAccessMap(k: &mut Kx, map_number: u32, map: Ptr) -> KResult<Boolean> {
    if map_number == 0 || map_number > IOPM_COUNT {
        return Ok(Boolean(false));
    }
    let mut bytes = vec![0u8; IOPM_BYTES];
    k.mem().read(map.0, &mut bytes)?;
    let at = k.tss() + offset_of(map_number) as u64;
    k.mem_mut().write(at, &bytes)?;
    Ok(Boolean(true))
}

/// BOOLEAN Ke386QueryIoAccessMap(ULONG MapNumber, PKIO_ACCESS_MAP IoAccessMap): copies map
/// `MapNumber` out (map 0 reads as every port denied, all ones); FALSE for a map that does
/// not exist.
pub fn Ke386QueryIoAccessMap(k: &mut Kx, map_number: u32, map: Ptr) -> KResult<Boolean> {
    if map_number > IOPM_COUNT {
        return Ok(Boolean(false));
    }
    let bytes = if map_number == 0 {
        vec![0xFFu8; IOPM_BYTES]
    } else {
        let at = k.tss() + offset_of(map_number) as u64;
        let mut b = vec![0u8; IOPM_BYTES];
        k.mem().read(at, &mut b)?;
        b
    };
    k.mem_mut().write(map.0, &bytes)?;
    Ok(Boolean(true))
}

/// BOOLEAN Ke386IoSetAccessProcess(PKPROCESS Process, ULONG MapNumber): `Process` uses map
/// `MapNumber` from now on (at once when it is the current process); FALSE for a map that
/// does not exist.
pub fn Ke386IoSetAccessProcess(k: &mut Kx, process: Ptr, map_number: u32) -> KResult<Boolean> {
    if map_number > IOPM_COUNT {
        return Ok(Boolean(false));
    }
    if map_number == 0 {
        k.ext_mut().iopm.by_process.remove(&process.0);
    } else {
        k.ext_mut().iopm.by_process.insert(process.0, map_number);
    }
    if crate::ps::current_process(k)? == process.0 {
        load_for(k, process.0)?;
    }
    Ok(Boolean(true))
}
