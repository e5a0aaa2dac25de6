//! Extended-attribute lists a create carries (FILE_FULL_EA_INFORMATION chains):
//! `IoCheckEaBufferValidity`, and the I/O manager's capture of a create's EaBuffer. The
//! I/O manager copies the caller's list into nonpaged pool, checks it, and hands the copy to
//! the driver as IRP_MJ_CREATE's `Irp->AssociatedIrp.SystemBuffer` with
//! `Parameters.Create.EaLength`; the copy goes when the create completes. A malformed list
//! never reaches a driver: the create fails with STATUS_EA_LIST_INCONSISTENT and the offset
//! of the bad entry in IoStatus.Information.
#![allow(non_snake_case)]

use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// FIELD_OFFSET(FILE_FULL_EA_INFORMATION, EaName): NextEntryOffset, Flags, EaNameLength,
/// EaValueLength.
const HEADER: usize = 8;

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

/// IoCheckEaBufferValidity's rule on a list: every entry's header, name, terminating NUL
/// and value lie inside the list; every entry but the last (NextEntryOffset 0) is followed
/// by the next exactly at its own size rounded up to a ULONG boundary. `Err` is the offset
/// of the first entry that breaks the rule.
pub fn check(list: &[u8]) -> Result<(), u32> {
    let mut at = 0usize;
    loop {
        let rest = &list[at..];
        if rest.len() < HEADER {
            return Err(at as u32);
        }
        let name_len = rest[5] as usize;
        let value_len = u16::from_le_bytes([rest[6], rest[7]]) as usize;
        let size = HEADER + name_len + 1 + value_len;
        if rest.len() < size || rest[HEADER + name_len] != 0 {
            return Err(at as u32);
        }
        let next = u32_at(rest, 0) as usize;
        if next == 0 {
            return Ok(());
        }
        if next != (size + 3) & !3 || next > rest.len() {
            return Err(at as u32);
        }
        at += next;
    }
}

/// The entries of a list [`check`] accepted: (Flags, name, value).
pub fn entries(list: &[u8]) -> Vec<(u8, &[u8], &[u8])> {
    let mut out = Vec::new();
    if check(list).is_err() {
        return out;
    }
    let mut at = 0usize;
    loop {
        let e = &list[at..];
        let name_len = e[5] as usize;
        let value_len = u16::from_le_bytes([e[6], e[7]]) as usize;
        let name = &e[HEADER..HEADER + name_len];
        let value = &e[HEADER + name_len + 1..HEADER + name_len + 1 + value_len];
        out.push((e[4], name, value));
        match u32_at(e, 0) {
            0 => return out,
            next => at += next as usize,
        }
    }
}

/// Reads `length` bytes of guest memory at `at` a page at a time, so that a length larger
/// than what is mapped there faults on the first missing page instead of being allocated.
fn read_list(k: &Kx, at: u64, length: u32) -> KResult<Vec<u8>> {
    let mut list = Vec::new();
    let mut done = 0u64;
    while done < u64::from(length) {
        let n = (0x1000 - (at.wrapping_add(done) & 0xFFF)).min(u64::from(length) - done);
        let mut chunk = vec![0u8; n as usize];
        k.mem().read(at.wrapping_add(done), &mut chunk)?;
        list.extend_from_slice(&chunk);
        done += n;
    }
    Ok(list)
}

/// A create's extended attributes as the I/O manager captured them: the nonpaged-pool copy
/// and its length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Captured {
    pub buffer: u64,
    pub length: u32,
}

/// What the caller of a create gave: EaBuffer and EaLength.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EaArgs {
    pub buffer: Ptr,
    pub length: u32,
}

/// The I/O manager's capture of a create's EaBuffer: nothing when there is no buffer or its
/// length is 0 (as IopCreateFile, which takes both or neither); otherwise a checked copy in
/// nonpaged pool (tag 'IoEa'), which the caller frees when the create is done. A malformed
/// list is `Err((STATUS_EA_LIST_INCONSISTENT, offset of the bad entry))`; a list larger than
/// the pool can hold is STATUS_INSUFFICIENT_RESOURCES.
pub(crate) fn capture(k: &mut Kx, args: EaArgs) -> KResult<Result<Option<Captured>, (NtStatus, u64)>> {
    if args.buffer.is_null() || args.length == 0 {
        return Ok(Ok(None));
    }
    let list = read_list(k, args.buffer.0, args.length)?;
    if let Err(offset) = check(&list) {
        return Ok(Err((status::EA_LIST_INCONSISTENT, u64::from(offset))));
    }
    let tag = u32::from_le_bytes(*b"IoEa");
    let Some(copy) = pool::allocate(k, pool::NON_PAGED_POOL_NX, list.len() as u64, tag, crate::ob::Owner::Kernel, 0)?
    else {
        return Ok(Err((status::INSUFFICIENT_RESOURCES, 0)));
    };
    k.mem_mut().write(copy, &list)?;
    Ok(Ok(Some(Captured { buffer: copy, length: args.length })))
}

/// Frees what [`capture`] made.
pub(crate) fn release(k: &mut Kx, captured: Option<Captured>) -> KResult<()> {
    match captured {
        Some(c) => pool::free(k, c.buffer, None, 0),
        None => Ok(()),
    }
}

/// The names in the list of `length` bytes at `at` in guest memory (a create's SystemBuffer),
/// as a driver walking it would see them: entries that break the list's rule end the walk.
pub(crate) fn names_at(k: &Kx, at: u64, length: u32) -> KResult<Vec<Vec<u8>>> {
    if at == 0 || length == 0 {
        return Ok(Vec::new());
    }
    let list = read_list(k, at, length)?;
    Ok(entries(&list).into_iter().map(|(_, name, _)| name.to_vec()).collect())
}

/// NTSTATUS IoCheckEaBufferValidity(PFILE_FULL_EA_INFORMATION EaBuffer, ULONG EaLength,
/// PULONG ErrorOffset): STATUS_SUCCESS for a well-formed list; STATUS_EA_LIST_INCONSISTENT
/// with the offset of the first bad entry in *ErrorOffset otherwise (an EaLength of 0 has no
/// room for an entry: offset 0).
pub fn IoCheckEaBufferValidity(k: &mut Kx, buffer: Ptr, length: u32, error_offset: Ptr) -> KResult<NtStatus> {
    let list = read_list(k, buffer.0, length)?;
    match check(&list) {
        Ok(()) => Ok(status::SUCCESS),
        Err(offset) => {
            k.mem_mut().write_u32(error_offset.0, offset)?;
            Ok(status::EA_LIST_INCONSISTENT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: &[u8], last: bool) -> Vec<u8> {
        let size = HEADER + name.len() + 1 + value.len();
        let next = if last { 0 } else { (size + 3) & !3 };
        let mut e = (next as u32).to_le_bytes().to_vec();
        e.extend([0, name.len() as u8]);
        e.extend((value.len() as u16).to_le_bytes());
        e.extend(name.as_bytes());
        e.push(0);
        e.extend(value);
        e.resize(if last { size } else { next }, 0xCC);
        e
    }

    #[test]
    fn a_well_formed_chain_passes_and_lists_its_entries() {
        let mut list = entry("TransportAddress", &[1, 2, 3], false);
        list.extend(entry("ConnectionContext", &[9; 8], true));
        assert_eq!(check(&list), Ok(()));
        let e = entries(&list);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, b"TransportAddress");
        assert_eq!(e[0].2, &[1, 2, 3]);
        assert_eq!(e[1].1, b"ConnectionContext");
        // Room after the last entry is allowed.
        list.extend([0; 5]);
        assert_eq!(check(&list), Ok(()));
    }

    #[test]
    fn each_broken_rule_names_the_offset_of_its_entry() {
        assert_eq!(check(&[]), Err(0), "no room for a header");
        let first = entry("A", &[1], false);
        let at = first.len() as u32;
        // The second entry's value runs past the end.
        let mut list = first.clone();
        let mut second = entry("Bee", &[7; 4], true);
        second.truncate(second.len() - 1);
        list.extend(&second);
        assert_eq!(check(&list), Err(at));
        // The name is not NUL-terminated.
        let mut list = first.clone();
        let mut second = entry("Bee", &[], true);
        second[HEADER + 3] = b'x';
        list.extend(&second);
        assert_eq!(check(&list), Err(at));
        // NextEntryOffset not the entry's aligned size.
        let mut list = entry("A", &[1], false);
        list[0] += 4;
        list.extend([0; 4]);
        list.extend(entry("B", &[], true));
        assert_eq!(check(&list), Err(0));
        // NextEntryOffset past the end.
        let list = entry("A", &[1], false);
        assert_eq!(check(&list), Err(at));
        assert!(entries(&list).is_empty());
    }
}
