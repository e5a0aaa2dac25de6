//! Sequenced singly linked lists (S-lists) and their exports: InterlockedPushEntrySList /
//! InterlockedPopEntrySList, ExInterlockedPushEntrySList / PopEntrySList / FlushSList (x86),
//! ExpInterlockedPushEntrySList / PopEntrySList / FlushSList, ExQueryDepthSList,
//! InitializeSListHead (x64), FirstEntrySList.
//!
//! Headers are laid out as Windows lays them out, since drivers read them inline (the depth
//! with ExQueryDepthSList on x86): x86 { Next, Depth:16, Sequence:16 }; x64 the 16-byte
//! header { Depth:16, Sequence:48 | HeaderType:1, Init:1, Reserved:2, NextEntry:60 }, which
//! keeps entries' addresses without their low four bits (entries are 16-byte aligned).
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::kernel::{KResult, Kx};
use crate::types::Ptr;

/// (first entry, depth, sequence)
fn read(k: &Kx, head: u64) -> KResult<(u64, u16, u64)> {
    let mem = k.mem();
    Ok(match k.arch() {
        Arch::X86 => (mem.read_u32(head)? as u64, mem.read_u16(head + 4)?, mem.read_u16(head + 6)? as u64),
        Arch::X64 => {
            let q0 = mem.read_u64(head)?;
            let q1 = mem.read_u64(head + 8)?;
            (q1 & !0xF, q0 as u16, q0 >> 16)
        }
    })
}

fn write(k: &mut Kx, head: u64, first: u64, depth: u16, sequence: u64) -> KResult<()> {
    let mem = k.mem_mut();
    match mem.arch() {
        Arch::X86 => {
            mem.write_u32(head, first as u32)?;
            mem.write_u16(head + 4, depth)?;
            mem.write_u16(head + 6, sequence as u16)?;
        }
        Arch::X64 => {
            mem.write_u64(head, depth as u64 | (sequence << 16))?;
            // HeaderType = 1: the 16-byte header.
            mem.write_u64(head + 8, (first & !0xF) | 1)?;
        }
    }
    Ok(())
}

/// Pushes `entry`; returns the previous first entry.
pub(crate) fn push(k: &mut Kx, head: u64, entry: u64) -> KResult<u64> {
    let (first, depth, seq) = read(k, head)?;
    k.mem_mut().write_ptr(entry, first)?;
    write(k, head, entry, depth.wrapping_add(1), seq.wrapping_add(1))?;
    Ok(first)
}

/// Pops the first entry (0 when empty).
pub(crate) fn pop(k: &mut Kx, head: u64) -> KResult<u64> {
    let (first, depth, seq) = read(k, head)?;
    if first == 0 {
        return Ok(0);
    }
    let next = k.mem().read_ptr(first)?;
    write(k, head, next, depth.wrapping_sub(1), seq.wrapping_add(1))?;
    Ok(first)
}

/// Empties the list; returns what was its first entry.
pub(crate) fn flush(k: &mut Kx, head: u64) -> KResult<u64> {
    let (first, _, seq) = read(k, head)?;
    write(k, head, 0, 0, seq)?;
    Ok(first)
}

pub(crate) fn depth(k: &Kx, head: u64) -> KResult<u16> {
    Ok(read(k, head)?.1)
}

pub(crate) fn init(k: &mut Kx, head: u64) -> KResult<()> {
    write(k, head, 0, 0, 0)
}

/// PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)
/// (fastcall, x86)
pub fn InterlockedPushEntrySList(k: &mut Kx, head: Ptr, entry: Ptr) -> KResult<Ptr> {
    push(k, head.0, entry.0).map(Ptr)
}

/// PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead) (fastcall, x86)
pub fn InterlockedPopEntrySList(k: &mut Kx, head: Ptr) -> KResult<Ptr> {
    pop(k, head.0).map(Ptr)
}

/// PSLIST_ENTRY ExInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry,
/// PKSPIN_LOCK Lock) (fastcall, x86): the lock is no longer used by Windows either.
pub fn ExInterlockedPushEntrySList(k: &mut Kx, head: Ptr, entry: Ptr, _lock: Ptr) -> KResult<Ptr> {
    push(k, head.0, entry.0).map(Ptr)
}

/// PSLIST_ENTRY ExInterlockedPopEntrySList(PSLIST_HEADER ListHead, PKSPIN_LOCK Lock) (x86)
pub fn ExInterlockedPopEntrySList(k: &mut Kx, head: Ptr, _lock: Ptr) -> KResult<Ptr> {
    pop(k, head.0).map(Ptr)
}

/// PSLIST_ENTRY ExInterlockedFlushSList(PSLIST_HEADER ListHead) (fastcall, x86)
pub fn ExInterlockedFlushSList(k: &mut Kx, head: Ptr) -> KResult<Ptr> {
    flush(k, head.0).map(Ptr)
}

/// PSLIST_ENTRY ExpInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry) (x64)
pub fn ExpInterlockedPushEntrySList(k: &mut Kx, head: Ptr, entry: Ptr) -> KResult<Ptr> {
    push(k, head.0, entry.0).map(Ptr)
}

/// PSLIST_ENTRY ExpInterlockedPopEntrySList(PSLIST_HEADER ListHead) (x64)
pub fn ExpInterlockedPopEntrySList(k: &mut Kx, head: Ptr) -> KResult<Ptr> {
    pop(k, head.0).map(Ptr)
}

/// PSLIST_ENTRY ExpInterlockedFlushSList(PSLIST_HEADER ListHead) (x64)
pub fn ExpInterlockedFlushSList(k: &mut Kx, head: Ptr) -> KResult<Ptr> {
    flush(k, head.0).map(Ptr)
}

/// USHORT ExQueryDepthSList(PSLIST_HEADER ListHead) (x64)
pub fn ExQueryDepthSList(k: &mut Kx, head: Ptr) -> KResult<u16> {
    depth(k, head.0)
}

/// VOID InitializeSListHead(PSLIST_HEADER SListHead) (x64)
pub fn InitializeSListHead(k: &mut Kx, head: Ptr) -> KResult<()> {
    init(k, head.0)
}

/// PSLIST_ENTRY FirstEntrySList(PSLIST_HEADER ListHead)
pub fn FirstEntrySList(k: &mut Kx, head: Ptr) -> KResult<Ptr> {
    Ok(Ptr(read(k, head.0)?.0))
}
