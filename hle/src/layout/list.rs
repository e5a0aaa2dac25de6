//! Doubly linked LIST_ENTRY lists in guest memory, as the kernel's own lists use them
//! (InitializeListHead, InsertTailList, RemoveEntryList).

use portcullis_emu::{GuestMemory, MemError};

use super::{FieldAccess, LIST_ENTRY};

/// An empty list: the head points at itself both ways.
pub fn init(mem: &mut GuestMemory, head: u64) -> Result<(), MemError> {
    mem.set(head, LIST_ENTRY::Flink, head)?;
    mem.set(head, LIST_ENTRY::Blink, head)
}

/// Links `entry` in before `next` (before the head: at the end of the list).
pub fn insert_before(mem: &mut GuestMemory, next: u64, entry: u64) -> Result<(), MemError> {
    let prev = mem.get(next, LIST_ENTRY::Blink)?;
    mem.set(entry, LIST_ENTRY::Flink, next)?;
    mem.set(entry, LIST_ENTRY::Blink, prev)?;
    mem.set(prev, LIST_ENTRY::Flink, entry)?;
    mem.set(next, LIST_ENTRY::Blink, entry)
}

/// Takes `entry` out of its list; it points at itself afterwards.
pub fn remove(mem: &mut GuestMemory, entry: u64) -> Result<(), MemError> {
    let (next, prev) = (mem.get(entry, LIST_ENTRY::Flink)?, mem.get(entry, LIST_ENTRY::Blink)?);
    mem.set(prev, LIST_ENTRY::Flink, next)?;
    mem.set(next, LIST_ENTRY::Blink, prev)?;
    init(mem, entry)
}
