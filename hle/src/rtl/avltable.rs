//! AVL generic tables (RTL_AVL_TABLE): the generic table interface over a height-balanced
//! tree of RTL_BALANCED_LINKS, with the driver's CompareRoutine, AllocateRoutine and
//! FreeRoutine called back (`NTAPI`).
//!
//! As on Windows, the table's BalancedRoot is a sentinel that is its own parent and holds the
//! real root as its RightChild; each node is RTL_BALANCED_LINKS followed by the caller's data;
//! Balance is the right subtree's height minus the left's (-1, 0, 1); DepthOfTree follows the
//! tree's height; enumeration walks in order without changing the tree, remembering its place
//! in RestartKey; RtlGetElementGenericTableAvl counts in sorted order.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, RTL_AVL_TABLE, RTL_BALANCED_LINKS};
use crate::types::{Boolean, Ptr};

use super::gentable::{callback, compare, Search, GREATER_THAN, LESS_THAN};
use super::splay::{
    is_left_child, left, leftmost, parent, real_predecessor, real_successor, replace_child, right, rightmost, set_left,
    set_parent, set_right, swap_places,
};

/// Where the caller's data starts in a node: right after its RTL_BALANCED_LINKS.
pub fn user_data_offset(arch: Arch) -> u64 {
    RTL_BALANCED_LINKS::STRUCT.size(arch)
}

fn balance(k: &Kx, n: u64) -> KResult<i8> {
    Ok(k.mem().get(n, RTL_BALANCED_LINKS::Balance)? as u8 as i8)
}

fn set_balance(k: &mut Kx, n: u64, b: i8) -> KResult<()> {
    Ok(k.mem_mut().set(n, RTL_BALANCED_LINKS::Balance, b as u8 as u64)?)
}

/// The table's sentinel (its BalancedRoot) and the real root.
fn root(k: &Kx, table: u64) -> KResult<(u64, u64)> {
    let sentinel = RTL_AVL_TABLE::BalancedRoot.at(k.arch(), table);
    Ok((sentinel, right(k, sentinel)?))
}

fn data_of(k: &Kx, node: u64) -> Ptr {
    if node == 0 {
        Ptr::NULL
    } else {
        Ptr(node + user_data_offset(k.arch()))
    }
}

fn add_count(k: &mut Kx, table: u64, delta: i64) -> KResult<()> {
    let n = k.mem().get(table, RTL_AVL_TABLE::NumberGenericTableElements)?;
    k.mem_mut().set(table, RTL_AVL_TABLE::NumberGenericTableElements, n.wrapping_add_signed(delta) & 0xFFFF_FFFF)?;
    Ok(())
}

fn add_depth(k: &mut Kx, table: u64, delta: i64) -> KResult<()> {
    let d = k.mem().get(table, RTL_AVL_TABLE::DepthOfTree)?;
    k.mem_mut().set(table, RTL_AVL_TABLE::DepthOfTree, d.wrapping_add_signed(delta) & 0xFFFF_FFFF)?;
    Ok(())
}

/// Finds `buffer`'s node or the node it would hang under.
fn find(k: &mut Kx, table: u64, buffer: u64) -> KResult<(Search, u64)> {
    let (_, mut node) = root(k, table)?;
    if node == 0 {
        return Ok((Search::EmptyTree, 0));
    }
    let cmp = k.mem().get(table, RTL_AVL_TABLE::CompareRoutine)?;
    let offset = user_data_offset(k.arch());
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

/// Rotates `x` above its parent `p` (x's inner subtree moves to p).
fn rotate_up(k: &mut Kx, x: u64) -> KResult<()> {
    let p = parent(k, x)?;
    let pp = parent(k, p)?;
    if left(k, p)? == x {
        let b = right(k, x)?;
        set_left(k, p, b)?;
        if b != 0 {
            set_parent(k, b, p)?;
        }
        set_right(k, x, p)?;
    } else {
        let b = left(k, x)?;
        set_right(k, p, b)?;
        if b != 0 {
            set_parent(k, b, p)?;
        }
        set_left(k, x, p)?;
    }
    set_parent(k, p, x)?;
    replace_child(k, pp, p, x)?;
    set_parent(k, x, pp)
}

/// Rebalances `a`, whose balance has reached ±2; returns the subtree's new root and whether
/// the subtree's height is now one less than before the change that unbalanced it... as seen
/// from above: `true` when the height shrank relative to `a`'s unbalanced height.
fn rebalance(k: &mut Kx, a: u64) -> KResult<(u64, bool)> {
    let sign: i8 = if balance(k, a)? > 0 { 1 } else { -1 };
    let b = if sign > 0 { right(k, a)? } else { left(k, a)? };
    let bb = balance(k, b)?;
    if bb == sign || bb == 0 {
        // Single rotation.
        rotate_up(k, b)?;
        if bb == 0 {
            set_balance(k, a, sign)?;
            set_balance(k, b, -sign)?;
            return Ok((b, false));
        }
        set_balance(k, a, 0)?;
        set_balance(k, b, 0)?;
        return Ok((b, true));
    }
    // Double rotation through b's inner child.
    let c = if sign > 0 { left(k, b)? } else { right(k, b)? };
    let cb = balance(k, c)?;
    rotate_up(k, c)?;
    rotate_up(k, c)?;
    set_balance(k, a, if cb == sign { -sign } else { 0 })?;
    set_balance(k, b, if cb == -sign { sign } else { 0 })?;
    set_balance(k, c, 0)?;
    Ok((c, true))
}

/// Walks up from a node whose subtree grew by one level.
fn grew(k: &mut Kx, table: u64, sentinel: u64, mut node: u64) -> KResult<()> {
    loop {
        let p = parent(k, node)?;
        if p == sentinel {
            return add_depth(k, table, 1);
        }
        let b = balance(k, p)? + if left(k, p)? == node { -1 } else { 1 };
        set_balance(k, p, b)?;
        match b {
            0 => return Ok(()),
            -1 | 1 => node = p,
            _ => {
                rebalance(k, p)?;
                return Ok(());
            }
        }
    }
}

/// Walks up from `p`, whose `left_side` subtree shrank by one level.
fn shrank(k: &mut Kx, table: u64, sentinel: u64, mut p: u64, mut left_side: bool) -> KResult<()> {
    loop {
        if p == sentinel {
            return add_depth(k, table, -1);
        }
        let b = balance(k, p)? + if left_side { 1 } else { -1 };
        set_balance(k, p, b)?;
        let top = match b {
            -1 | 1 => return Ok(()),
            0 => p,
            _ => {
                let (top, shorter) = rebalance(k, p)?;
                if !shorter {
                    return Ok(());
                }
                top
            }
        };
        let up = parent(k, top)?;
        left_side = left(k, up)? == top;
        p = up;
    }
}

/// VOID RtlInitializeGenericTableAvl(PRTL_AVL_TABLE Table, PRTL_AVL_COMPARE_ROUTINE
/// CompareRoutine, PRTL_AVL_ALLOCATE_ROUTINE AllocateRoutine, PRTL_AVL_FREE_ROUTINE
/// FreeRoutine, PVOID TableContext)
pub fn RtlInitializeGenericTableAvl(
    k: &mut Kx,
    table: Ptr,
    cmp: Ptr,
    alloc: Ptr,
    free: Ptr,
    context: Ptr,
) -> KResult<()> {
    let t = table.0;
    let size = RTL_AVL_TABLE::STRUCT.size(k.arch());
    super::memory::fill_pattern(k, t, size, &[0])?;
    let (sentinel, _) = root(k, t)?;
    set_parent(k, sentinel, sentinel)?;
    let mem = k.mem_mut();
    mem.set(t, RTL_AVL_TABLE::CompareRoutine, cmp.0)?;
    mem.set(t, RTL_AVL_TABLE::AllocateRoutine, alloc.0)?;
    mem.set(t, RTL_AVL_TABLE::FreeRoutine, free.0)?;
    mem.set(t, RTL_AVL_TABLE::TableContext, context.0)?;
    Ok(())
}

fn set_new_element(k: &mut Kx, new_element: Ptr, value: bool) -> KResult<()> {
    if !new_element.is_null() {
        k.mem_mut().write_u8(new_element.0, value.into())?;
    }
    Ok(())
}

/// PVOID RtlInsertElementGenericTableFullAvl(PRTL_AVL_TABLE Table, PVOID Buffer, CLONG
/// BufferSize, PBOOLEAN NewElement, PVOID NodeOrParent, TABLE_SEARCH_RESULT SearchResult)
pub fn RtlInsertElementGenericTableFullAvl(
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
    if result == Search::FoundNode {
        set_new_element(k, new_element, false)?;
        return Ok(data_of(k, node_or_parent.0));
    }
    let alloc = k.mem().get(t, RTL_AVL_TABLE::AllocateRoutine)?;
    let offset = user_data_offset(arch);
    let node = arch.mask(callback(k, alloc, &[t, offset + u64::from(size)])?);
    if node == 0 {
        set_new_element(k, new_element, false)?;
        return Ok(Ptr::NULL);
    }
    super::memory::fill_pattern(k, node, offset, &[0])?;
    add_count(k, t, 1)?;
    let (sentinel, _) = root(k, t)?;
    match result {
        Search::EmptyTree => {
            set_right(k, sentinel, node)?;
            set_parent(k, node, sentinel)?;
        }
        Search::InsertAsLeft => {
            set_left(k, node_or_parent.0, node)?;
            set_parent(k, node, node_or_parent.0)?;
        }
        _ => {
            set_right(k, node_or_parent.0, node)?;
            set_parent(k, node, node_or_parent.0)?;
        }
    }
    grew(k, t, sentinel, node)?;
    super::memory::move_bytes(k, node + offset, buffer.0, size.into())?;
    // The remembered position in sorted order no longer holds.
    k.mem_mut().set(t, RTL_AVL_TABLE::WhichOrderedElement, 0)?;
    set_new_element(k, new_element, true)?;
    Ok(data_of(k, node))
}

/// PVOID RtlInsertElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer, CLONG
/// BufferSize, PBOOLEAN NewElement)
pub fn RtlInsertElementGenericTableAvl(
    k: &mut Kx,
    table: Ptr,
    buffer: Ptr,
    size: u32,
    new_element: Ptr,
) -> KResult<Ptr> {
    let (result, node) = find(k, table.0, buffer.0)?;
    RtlInsertElementGenericTableFullAvl(k, table, buffer, size, new_element, Ptr(node), result as u32)
}

/// PVOID RtlLookupElementGenericTableFullAvl(PRTL_AVL_TABLE Table, PVOID Buffer, PVOID
/// *NodeOrParent, TABLE_SEARCH_RESULT *SearchResult)
pub fn RtlLookupElementGenericTableFullAvl(
    k: &mut Kx,
    table: Ptr,
    buffer: Ptr,
    node_or_parent: Ptr,
    result: Ptr,
) -> KResult<Ptr> {
    let (found, node) = find(k, table.0, buffer.0)?;
    k.mem_mut().write_ptr(node_or_parent.0, node)?;
    k.mem_mut().write_u32(result.0, found as u32)?;
    Ok(if found == Search::FoundNode { data_of(k, node) } else { Ptr::NULL })
}

/// PVOID RtlLookupElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer)
pub fn RtlLookupElementGenericTableAvl(k: &mut Kx, table: Ptr, buffer: Ptr) -> KResult<Ptr> {
    let (found, node) = find(k, table.0, buffer.0)?;
    Ok(if found == Search::FoundNode { data_of(k, node) } else { Ptr::NULL })
}

/// The in-order neighbours of a node, the sentinel never counting as one.
fn successor(k: &Kx, sentinel: u64, n: u64) -> KResult<u64> {
    Ok(match real_successor(k, n)? {
        s if s == sentinel => 0,
        s => s,
    })
}

fn predecessor(k: &Kx, sentinel: u64, n: u64) -> KResult<u64> {
    Ok(match real_predecessor(k, n)? {
        p if p == sentinel => 0,
        p => p,
    })
}

/// BOOLEAN RtlDeleteElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer): removes the
/// element equal to Buffer, rebalances, and hands the node to FreeRoutine; FALSE when there
/// is none. An enumeration's RestartKey on the deleted node moves to its predecessor.
pub fn RtlDeleteElementGenericTableAvl(k: &mut Kx, table: Ptr, buffer: Ptr) -> KResult<Boolean> {
    let t = table.0;
    let (found, node) = find(k, t, buffer.0)?;
    if found != Search::FoundNode {
        return Ok(Boolean(false));
    }
    let (sentinel, _) = root(k, t)?;
    if k.mem().get(t, RTL_AVL_TABLE::RestartKey)? == node {
        let p = predecessor(k, sentinel, node)?;
        k.mem_mut().set(t, RTL_AVL_TABLE::RestartKey, p)?;
    }
    if left(k, node)? != 0 && right(k, node)? != 0 {
        // Trade places (and balances) with the in-order predecessor: now at most one child.
        let pred = rightmost(k, left(k, node)?)?;
        let (bn, bp) = (balance(k, node)?, balance(k, pred)?);
        swap_places(k, pred, node)?;
        set_balance(k, pred, bn)?;
        set_balance(k, node, bp)?;
    }
    let child = match left(k, node)? {
        0 => right(k, node)?,
        l => l,
    };
    let p = parent(k, node)?;
    let left_side = p != sentinel && is_left_child(k, node)?;
    replace_child(k, p, node, child)?;
    if child != 0 {
        set_parent(k, child, p)?;
    }
    shrank(k, t, sentinel, p, left_side)?;
    add_count(k, t, -1)?;
    let deletes = k.mem().get(t, RTL_AVL_TABLE::DeleteCount)?;
    k.mem_mut().set(t, RTL_AVL_TABLE::DeleteCount, (deletes + 1) & 0xFFFF_FFFF)?;
    k.mem_mut().set(t, RTL_AVL_TABLE::WhichOrderedElement, 0)?;
    let free = k.mem().get(t, RTL_AVL_TABLE::FreeRoutine)?;
    callback(k, free, &[t, node])?;
    Ok(Boolean(true))
}

/// PVOID RtlEnumerateGenericTableWithoutSplayingAvl(PRTL_AVL_TABLE Table, PVOID *RestartKey):
/// in order from *RestartKey (NULL: the first), which it advances; NULL at the end.
pub fn RtlEnumerateGenericTableWithoutSplayingAvl(k: &mut Kx, table: Ptr, key: Ptr) -> KResult<Ptr> {
    let (sentinel, top) = root(k, table.0)?;
    if top == 0 {
        return Ok(Ptr::NULL);
    }
    let last = k.mem().read_ptr(key.0)?;
    let node = if last == 0 { leftmost(k, top)? } else { successor(k, sentinel, last)? };
    if node != 0 {
        k.mem_mut().write_ptr(key.0, node)?;
    }
    Ok(data_of(k, node))
}

/// PVOID RtlEnumerateGenericTableAvl(PRTL_AVL_TABLE Table, BOOLEAN Restart): in order, the
/// place kept in the table's RestartKey.
pub fn RtlEnumerateGenericTableAvl(k: &mut Kx, table: Ptr, restart: Boolean) -> KResult<Ptr> {
    let key = RTL_AVL_TABLE::RestartKey.at(k.arch(), table.0);
    if restart.0 {
        k.mem_mut().write_ptr(key, 0)?;
    }
    RtlEnumerateGenericTableWithoutSplayingAvl(k, table, Ptr(key))
}

/// PVOID RtlLookupFirstMatchingElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer,
/// PVOID *RestartKey): the first element in order that compares equal to Buffer (the
/// comparison may match several), with *RestartKey set to continue an enumeration after it.
pub fn RtlLookupFirstMatchingElementGenericTableAvl(k: &mut Kx, table: Ptr, buffer: Ptr, key: Ptr) -> KResult<Ptr> {
    let t = table.0;
    let (found, mut node) = find(k, t, buffer.0)?;
    if found != Search::FoundNode {
        return Ok(Ptr::NULL);
    }
    let (sentinel, _) = root(k, t)?;
    let cmp = k.mem().get(t, RTL_AVL_TABLE::CompareRoutine)?;
    let offset = user_data_offset(k.arch());
    loop {
        let p = predecessor(k, sentinel, node)?;
        if p == 0 || matches!(compare(k, t, cmp, buffer.0, p + offset)?, LESS_THAN | GREATER_THAN) {
            break;
        }
        node = p;
    }
    k.mem_mut().write_ptr(key.0, node)?;
    Ok(data_of(k, node))
}

/// PVOID RtlGetElementGenericTableAvl(PRTL_AVL_TABLE Table, ULONG I): the I-th element (from
/// 0) in sorted order, or NULL past the end.
pub fn RtlGetElementGenericTableAvl(k: &mut Kx, table: Ptr, i: u32) -> KResult<Ptr> {
    let t = table.0;
    let count = k.mem().get(t, RTL_AVL_TABLE::NumberGenericTableElements)?;
    let wanted = u64::from(i) + 1;
    if i == u32::MAX || wanted > count {
        return Ok(Ptr::NULL);
    }
    let (sentinel, top) = root(k, t)?;
    let mut node = leftmost(k, top)?;
    for _ in 1..wanted {
        node = successor(k, sentinel, node)?;
        if node == 0 {
            return Ok(Ptr::NULL);
        }
    }
    k.mem_mut().set(t, RTL_AVL_TABLE::OrderedPointer, node)?;
    k.mem_mut().set(t, RTL_AVL_TABLE::WhichOrderedElement, wanted)?;
    Ok(data_of(k, node))
}

/// ULONG RtlNumberGenericTableElementsAvl(PRTL_AVL_TABLE Table)
pub fn RtlNumberGenericTableElementsAvl(k: &mut Kx, table: Ptr) -> KResult<u32> {
    Ok(k.mem().get(table.0, RTL_AVL_TABLE::NumberGenericTableElements)? as u32)
}

/// BOOLEAN RtlIsGenericTableEmptyAvl(PRTL_AVL_TABLE Table)
pub fn RtlIsGenericTableEmptyAvl(k: &mut Kx, table: Ptr) -> KResult<Boolean> {
    Ok(Boolean(root(k, table.0)?.1 == 0))
}
