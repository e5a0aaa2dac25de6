//! Generic tables (RTL_GENERIC_TABLE): a splay tree of the driver's elements, ordered by its
//! CompareRoutine, with its memory from its AllocateRoutine and FreeRoutine — all three called
//! back in the driver (`NTAPI`: stdcall on x86).
//!
//! Each node is what Windows allocates: RTL_SPLAY_LINKS, then a LIST_ENTRY linking the
//! elements in insertion order, then the caller's data at the next 8-byte boundary (24 bytes
//! in on x86, 40 on x64). Inserting or looking up an element splays it to the root;
//! RtlEnumerateGenericTable walks in order by splaying each element it returns;
//! RtlGetElementGenericTable counts in insertion order, remembering its place in
//! OrderedPointer/WhichOrderedElement as Windows does.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, LIST_ENTRY, RTL_GENERIC_TABLE};
use crate::types::{Boolean, Ptr};

use super::splay::{left, leftmost, real_successor, right, set_left, set_parent, set_right, splay};

/// RTL_GENERIC_COMPARE_RESULTS.
pub const LESS_THAN: u32 = 0;
pub const GREATER_THAN: u32 = 1;

/// TABLE_SEARCH_RESULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    EmptyTree = 0,
    FoundNode = 1,
    InsertAsLeft = 2,
    InsertAsRight = 3,
}

impl Search {
    pub fn from_raw(v: u32) -> Search {
        match v {
            0 => Search::EmptyTree,
            1 => Search::FoundNode,
            2 => Search::InsertAsLeft,
            _ => Search::InsertAsRight,
        }
    }
}

/// Where the caller's data starts in a node: after the links and the list entry, 8-aligned.
pub fn user_data_offset(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 24,
        Arch::X64 => 40,
    }
}

fn list_entry_offset(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 12,
        Arch::X64 => 24,
    }
}

/// Calls one of the table's routines.
pub(crate) fn callback(k: &mut Kx, routine: u64, args: &[u64]) -> KResult<u64> {
    let conv = CallConv::Stdcall.for_arch(k.arch());
    Ok(k.call(routine, args, conv)?)
}

/// Compares `buffer` with a node's data through the table's CompareRoutine.
pub(crate) fn compare(k: &mut Kx, table: u64, routine: u64, buffer: u64, data: u64) -> KResult<u32> {
    Ok(callback(k, routine, &[table, buffer, data])? as u32)
}

/// Finds `buffer`'s node, or the node it would hang under: (result, node or parent).
fn find(k: &mut Kx, table: u64, buffer: u64) -> KResult<(Search, u64)> {
    let root = k.mem().get(table, RTL_GENERIC_TABLE::TableRoot)?;
    if root == 0 {
        return Ok((Search::EmptyTree, 0));
    }
    let cmp = k.mem().get(table, RTL_GENERIC_TABLE::CompareRoutine)?;
    let offset = user_data_offset(k.arch());
    let mut node = root;
    loop {
        let (next, side) = match compare(k, table, cmp, buffer, node + offset)? {
            LESS_THAN => (left(k, node)?, Search::InsertAsLeft),
            GREATER_THAN => (right(k, node)?, Search::InsertAsRight),
            _ => return Ok((Search::FoundNode, node)),
        };
        if next == 0 {
            return Ok((side, node));
        }
        node = next;
    }
}

fn data_of(k: &Kx, node: u64) -> Ptr {
    if node == 0 {
        Ptr::NULL
    } else {
        Ptr(node + user_data_offset(k.arch()))
    }
}

/// VOID RtlInitializeGenericTable(PRTL_GENERIC_TABLE Table, PRTL_GENERIC_COMPARE_ROUTINE
/// CompareRoutine, PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine, PRTL_GENERIC_FREE_ROUTINE
/// FreeRoutine, PVOID TableContext)
pub fn RtlInitializeGenericTable(k: &mut Kx, table: Ptr, cmp: Ptr, alloc: Ptr, free: Ptr, context: Ptr) -> KResult<()> {
    let arch = k.arch();
    let t = table.0;
    let head = RTL_GENERIC_TABLE::InsertOrderList.at(arch, t);
    let mem = k.mem_mut();
    mem.set(t, RTL_GENERIC_TABLE::TableRoot, 0)?;
    mem.set(head, LIST_ENTRY::Flink, head)?;
    mem.set(head, LIST_ENTRY::Blink, head)?;
    mem.set(t, RTL_GENERIC_TABLE::OrderedPointer, head)?;
    mem.set(t, RTL_GENERIC_TABLE::WhichOrderedElement, 0)?;
    mem.set(t, RTL_GENERIC_TABLE::NumberGenericTableElements, 0)?;
    mem.set(t, RTL_GENERIC_TABLE::CompareRoutine, cmp.0)?;
    mem.set(t, RTL_GENERIC_TABLE::AllocateRoutine, alloc.0)?;
    mem.set(t, RTL_GENERIC_TABLE::FreeRoutine, free.0)?;
    mem.set(t, RTL_GENERIC_TABLE::TableContext, context.0)?;
    Ok(())
}

fn set_new_element(k: &mut Kx, new_element: Ptr, value: bool) -> KResult<()> {
    if !new_element.is_null() {
        k.mem_mut().write_u8(new_element.0, value.into())?;
    }
    Ok(())
}

/// PVOID RtlInsertElementGenericTableFull(PRTL_GENERIC_TABLE Table, PVOID Buffer, CLONG
/// BufferSize, PBOOLEAN NewElement, PVOID NodeOrParent, TABLE_SEARCH_RESULT SearchResult):
/// inserts where a lookup said to (allocating through AllocateRoutine and copying Buffer), or
/// returns the element found; either way splays it to the root. NULL when the allocation
/// fails.
pub fn RtlInsertElementGenericTableFull(
    k: &mut Kx,
    table: Ptr,
    buffer: Ptr,
    size: u32,
    new_element: Ptr,
    node_or_parent: Ptr,
    result: u32,
) -> KResult<Ptr> {
    let arch = k.arch();
    let t = table.0;
    let result = Search::from_raw(result);
    let node = if result == Search::FoundNode {
        set_new_element(k, new_element, false)?;
        node_or_parent.0
    } else {
        let alloc = k.mem().get(t, RTL_GENERIC_TABLE::AllocateRoutine)?;
        let offset = user_data_offset(arch);
        let node = callback(k, alloc, &[t, offset + u64::from(size)])?;
        let node = arch.mask(node);
        if node == 0 {
            set_new_element(k, new_element, false)?;
            return Ok(Ptr::NULL);
        }
        set_parent(k, node, node)?;
        set_left(k, node, 0)?;
        set_right(k, node, 0)?;
        // Append to the insertion-order list.
        let head = RTL_GENERIC_TABLE::InsertOrderList.at(arch, t);
        let entry = node + list_entry_offset(arch);
        crate::layout::list::insert_before(k.mem_mut(), head, entry)?;
        let mem = k.mem_mut();
        let n = mem.get(t, RTL_GENERIC_TABLE::NumberGenericTableElements)?;
        mem.set(t, RTL_GENERIC_TABLE::NumberGenericTableElements, n + 1)?;
        match result {
            Search::EmptyTree => k.mem_mut().set(t, RTL_GENERIC_TABLE::TableRoot, node)?,
            Search::InsertAsLeft => {
                set_left(k, node_or_parent.0, node)?;
                set_parent(k, node, node_or_parent.0)?;
            }
            _ => {
                set_right(k, node_or_parent.0, node)?;
                set_parent(k, node, node_or_parent.0)?;
            }
        }
        super::memory::move_bytes(k, node + offset, buffer.0, size.into())?;
        set_new_element(k, new_element, true)?;
        node
    };
    let root = splay(k, node)?;
    k.mem_mut().set(t, RTL_GENERIC_TABLE::TableRoot, root)?;
    Ok(data_of(k, node))
}

/// PVOID RtlInsertElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer, CLONG
/// BufferSize, PBOOLEAN NewElement): the element equal to Buffer, inserted if it was not
/// there.
pub fn RtlInsertElementGenericTable(k: &mut Kx, table: Ptr, buffer: Ptr, size: u32, new_element: Ptr) -> KResult<Ptr> {
    let (result, node) = find(k, table.0, buffer.0)?;
    RtlInsertElementGenericTableFull(k, table, buffer, size, new_element, Ptr(node), result as u32)
}

/// PVOID RtlLookupElementGenericTableFull(PRTL_GENERIC_TABLE Table, PVOID Buffer, PVOID
/// *NodeOrParent, TABLE_SEARCH_RESULT *SearchResult): the element equal to Buffer (splayed to
/// the root) or NULL, with where an insertion would go.
pub fn RtlLookupElementGenericTableFull(
    k: &mut Kx,
    table: Ptr,
    buffer: Ptr,
    node_or_parent: Ptr,
    result: Ptr,
) -> KResult<Ptr> {
    let (found, node) = find(k, table.0, buffer.0)?;
    k.mem_mut().write_ptr(node_or_parent.0, node)?;
    k.mem_mut().write_u32(result.0, found as u32)?;
    if found != Search::FoundNode {
        return Ok(Ptr::NULL);
    }
    let root = splay(k, node)?;
    k.mem_mut().set(table.0, RTL_GENERIC_TABLE::TableRoot, root)?;
    Ok(data_of(k, node))
}

/// PVOID RtlLookupElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer)
pub fn RtlLookupElementGenericTable(k: &mut Kx, table: Ptr, buffer: Ptr) -> KResult<Ptr> {
    let (found, node) = find(k, table.0, buffer.0)?;
    if found != Search::FoundNode {
        return Ok(Ptr::NULL);
    }
    let root = splay(k, node)?;
    k.mem_mut().set(table.0, RTL_GENERIC_TABLE::TableRoot, root)?;
    Ok(data_of(k, node))
}

/// BOOLEAN RtlDeleteElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer): removes the
/// element equal to Buffer and hands its node to FreeRoutine; FALSE when there is none.
pub fn RtlDeleteElementGenericTable(k: &mut Kx, table: Ptr, buffer: Ptr) -> KResult<Boolean> {
    let arch = k.arch();
    let t = table.0;
    let (found, node) = find(k, t, buffer.0)?;
    if found != Search::FoundNode {
        return Ok(Boolean(false));
    }
    let root = super::splay::RtlDelete(k, Ptr(node))?;
    k.mem_mut().set(t, RTL_GENERIC_TABLE::TableRoot, root.0)?;
    let entry = node + list_entry_offset(arch);
    let (next, prev) = (k.mem().get(entry, LIST_ENTRY::Flink)?, k.mem().get(entry, LIST_ENTRY::Blink)?);
    let head = RTL_GENERIC_TABLE::InsertOrderList.at(arch, t);
    let mem = k.mem_mut();
    mem.set(prev, LIST_ENTRY::Flink, next)?;
    mem.set(next, LIST_ENTRY::Blink, prev)?;
    let n = mem.get(t, RTL_GENERIC_TABLE::NumberGenericTableElements)?;
    mem.set(t, RTL_GENERIC_TABLE::NumberGenericTableElements, n.saturating_sub(1))?;
    mem.set(t, RTL_GENERIC_TABLE::WhichOrderedElement, 0)?;
    mem.set(t, RTL_GENERIC_TABLE::OrderedPointer, head)?;
    let free = k.mem().get(t, RTL_GENERIC_TABLE::FreeRoutine)?;
    callback(k, free, &[t, node])?;
    Ok(Boolean(true))
}

/// PVOID RtlEnumerateGenericTable(PRTL_GENERIC_TABLE Table, BOOLEAN Restart): the first
/// element in order (Restart) or the one after the root (the element returned last), splayed
/// to the root; NULL at the end.
pub fn RtlEnumerateGenericTable(k: &mut Kx, table: Ptr, restart: Boolean) -> KResult<Ptr> {
    let root = k.mem().get(table.0, RTL_GENERIC_TABLE::TableRoot)?;
    if root == 0 {
        return Ok(Ptr::NULL);
    }
    let node = if restart.0 { leftmost(k, root)? } else { real_successor(k, root)? };
    if node != 0 {
        let root = splay(k, node)?;
        k.mem_mut().set(table.0, RTL_GENERIC_TABLE::TableRoot, root)?;
    }
    Ok(data_of(k, node))
}

/// PVOID RtlEnumerateGenericTableWithoutSplaying(PRTL_GENERIC_TABLE Table, PVOID
/// *RestartKey): in order from *RestartKey (NULL: the first), which it advances.
pub fn RtlEnumerateGenericTableWithoutSplaying(k: &mut Kx, table: Ptr, key: Ptr) -> KResult<Ptr> {
    let root = k.mem().get(table.0, RTL_GENERIC_TABLE::TableRoot)?;
    if root == 0 {
        return Ok(Ptr::NULL);
    }
    let last = k.mem().read_ptr(key.0)?;
    let node = if last == 0 { leftmost(k, root)? } else { real_successor(k, last)? };
    if node != 0 {
        k.mem_mut().write_ptr(key.0, node)?;
    }
    Ok(data_of(k, node))
}

/// PVOID RtlGetElementGenericTable(PRTL_GENERIC_TABLE Table, ULONG I): the I-th element
/// (from 0) in insertion order, or NULL past the end.
pub fn RtlGetElementGenericTable(k: &mut Kx, table: Ptr, i: u32) -> KResult<Ptr> {
    let arch = k.arch();
    let t = table.0;
    let count = k.mem().get(t, RTL_GENERIC_TABLE::NumberGenericTableElements)?;
    let wanted = u64::from(i) + 1;
    if i == u32::MAX || wanted > count {
        return Ok(Ptr::NULL);
    }
    let head = RTL_GENERIC_TABLE::InsertOrderList.at(arch, t);
    let mut entry = head;
    for _ in 0..wanted {
        entry = k.mem().get(entry, LIST_ENTRY::Flink)?;
    }
    k.mem_mut().set(t, RTL_GENERIC_TABLE::OrderedPointer, entry)?;
    k.mem_mut().set(t, RTL_GENERIC_TABLE::WhichOrderedElement, wanted)?;
    Ok(data_of(k, entry - list_entry_offset(arch)))
}

/// ULONG RtlNumberGenericTableElements(PRTL_GENERIC_TABLE Table)
pub fn RtlNumberGenericTableElements(k: &mut Kx, table: Ptr) -> KResult<u32> {
    Ok(k.mem().get(table.0, RTL_GENERIC_TABLE::NumberGenericTableElements)? as u32)
}

/// BOOLEAN RtlIsGenericTableEmpty(PRTL_GENERIC_TABLE Table)
pub fn RtlIsGenericTableEmpty(k: &mut Kx, table: Ptr) -> KResult<Boolean> {
    Ok(Boolean(k.mem().get(table.0, RTL_GENERIC_TABLE::TableRoot)? == 0))
}
