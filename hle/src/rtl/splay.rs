//! Splay trees of RTL_SPLAY_LINKS in guest memory (RtlSplay, RtlDelete, RtlDeleteNoSplay,
//! RtlSubtree/RealSuccessor and Predecessor), and the link accessors the generic and AVL
//! tables share (RTL_SPLAY_LINKS and RTL_BALANCED_LINKS begin with the same three pointers).
//!
//! A splay tree's root is the node that is its own parent. The algorithms are the ones
//! Windows documents for these routines: bottom-up splaying (zig, zig-zig, zig-zag), deletion
//! that swaps a node with two children with its in-order predecessor and splays the deleted
//! node's parent.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, RTL_SPLAY_LINKS};
use crate::types::Ptr;

/// The three links of a tree node.
pub(crate) fn parent(k: &Kx, n: u64) -> KResult<u64> {
    Ok(k.mem().get(n, RTL_SPLAY_LINKS::Parent)?)
}

pub(crate) fn left(k: &Kx, n: u64) -> KResult<u64> {
    Ok(k.mem().get(n, RTL_SPLAY_LINKS::LeftChild)?)
}

pub(crate) fn right(k: &Kx, n: u64) -> KResult<u64> {
    Ok(k.mem().get(n, RTL_SPLAY_LINKS::RightChild)?)
}

pub(crate) fn set_parent(k: &mut Kx, n: u64, v: u64) -> KResult<()> {
    Ok(k.mem_mut().set(n, RTL_SPLAY_LINKS::Parent, v)?)
}

pub(crate) fn set_left(k: &mut Kx, n: u64, v: u64) -> KResult<()> {
    Ok(k.mem_mut().set(n, RTL_SPLAY_LINKS::LeftChild, v)?)
}

pub(crate) fn set_right(k: &mut Kx, n: u64, v: u64) -> KResult<()> {
    Ok(k.mem_mut().set(n, RTL_SPLAY_LINKS::RightChild, v)?)
}

/// Sets `child`'s parent when there is a child.
fn adopt(k: &mut Kx, child: u64, p: u64) -> KResult<()> {
    if child != 0 {
        set_parent(k, child, p)?;
    }
    Ok(())
}

pub(crate) fn is_left_child(k: &Kx, n: u64) -> KResult<bool> {
    Ok(left(k, parent(k, n)?)? == n)
}

pub(crate) fn is_right_child(k: &Kx, n: u64) -> KResult<bool> {
    Ok(right(k, parent(k, n)?)? == n)
}

/// Points `p`'s link to `old` at `new` instead.
pub(crate) fn replace_child(k: &mut Kx, p: u64, old: u64, new: u64) -> KResult<()> {
    if left(k, p)? == old {
        set_left(k, p, new)
    } else {
        set_right(k, p, new)
    }
}

/// The most nodes a walk visits before it gives up on a corrupted (cyclic) tree: more than a
/// tree in the guest's memory could hold.
const WALK_LIMIT: usize = 1 << 24;

/// The rightmost node of the subtree at `n`.
pub(crate) fn rightmost(k: &Kx, mut n: u64) -> KResult<u64> {
    for _ in 0..WALK_LIMIT {
        let r = right(k, n)?;
        if r == 0 {
            return Ok(n);
        }
        n = r;
    }
    Ok(n)
}

/// The leftmost node of the subtree at `n`.
pub(crate) fn leftmost(k: &Kx, mut n: u64) -> KResult<u64> {
    for _ in 0..WALK_LIMIT {
        let l = left(k, n)?;
        if l == 0 {
            return Ok(n);
        }
        n = l;
    }
    Ok(n)
}

/// The in-order successor of `n` in the whole tree, or 0.
pub(crate) fn real_successor(k: &Kx, n: u64) -> KResult<u64> {
    let r = right(k, n)?;
    if r != 0 {
        return leftmost(k, r);
    }
    let mut p = n;
    for _ in 0..WALK_LIMIT {
        if !is_right_child(k, p)? {
            break;
        }
        p = parent(k, p)?;
    }
    Ok(if is_left_child(k, p)? { parent(k, p)? } else { 0 })
}

/// The in-order predecessor of `n` in the whole tree, or 0.
pub(crate) fn real_predecessor(k: &Kx, n: u64) -> KResult<u64> {
    let l = left(k, n)?;
    if l != 0 {
        return rightmost(k, l);
    }
    let mut p = n;
    for _ in 0..WALK_LIMIT {
        if !is_left_child(k, p)? {
            break;
        }
        p = parent(k, p)?;
    }
    Ok(if is_right_child(k, p)? { parent(k, p)? } else { 0 })
}

/// Rotates `x` above its parent. A parent that is its own parent was the root: `x` becomes
/// its own parent.
fn rotate_up(k: &mut Kx, x: u64) -> KResult<()> {
    let p = parent(k, x)?;
    let pp = parent(k, p)?;
    if left(k, p)? == x {
        let b = right(k, x)?;
        set_left(k, p, b)?;
        adopt(k, b, p)?;
        set_right(k, x, p)?;
    } else {
        let b = left(k, x)?;
        set_right(k, p, b)?;
        adopt(k, b, p)?;
        set_left(k, x, p)?;
    }
    set_parent(k, p, x)?;
    if pp == p {
        set_parent(k, x, x)
    } else {
        replace_child(k, pp, p, x)?;
        set_parent(k, x, pp)
    }
}

/// Splays `x` to the root of its tree and returns it.
pub(crate) fn splay(k: &mut Kx, x: u64) -> KResult<u64> {
    for _ in 0..WALK_LIMIT {
        let p = parent(k, x)?;
        if p == x {
            break;
        }
        let g = parent(k, p)?;
        if g == p {
            rotate_up(k, x)?;
            break;
        }
        if (left(k, p)? == x) == (left(k, g)? == p) {
            rotate_up(k, p)?;
            rotate_up(k, x)?;
        } else {
            rotate_up(k, x)?;
            rotate_up(k, x)?;
        }
    }
    Ok(x)
}

/// Exchanges the places of `a` and `b` in their tree, where `b` is an ancestor of `a`. A root
/// is recognised as its own parent (splay trees) or as the only child of its parent's other
/// side (the AVL table's sentinel, whose RightChild is the root).
pub(crate) fn swap_places(k: &mut Kx, a: u64, b: u64) -> KResult<()> {
    let (pa, la, ra) = (parent(k, a)?, left(k, a)?, right(k, a)?);
    let (pb, lb, rb) = (parent(k, b)?, left(k, b)?, right(k, b)?);
    if pb == b {
        set_parent(k, a, a)?;
    } else {
        replace_child(k, pb, b, a)?;
        set_parent(k, a, pb)?;
    }
    if pa == b {
        if lb == a {
            set_left(k, a, b)?;
            set_right(k, a, rb)?;
            adopt(k, rb, a)?;
        } else {
            set_right(k, a, b)?;
            set_left(k, a, lb)?;
            adopt(k, lb, a)?;
        }
        set_parent(k, b, a)?;
    } else {
        replace_child(k, pa, a, b)?;
        set_parent(k, b, pa)?;
        set_left(k, a, lb)?;
        set_right(k, a, rb)?;
        adopt(k, lb, a)?;
        adopt(k, rb, a)?;
    }
    set_left(k, b, la)?;
    set_right(k, b, ra)?;
    adopt(k, la, b)?;
    adopt(k, ra, b)
}

/// Unlinks `n` (which has at most one child) from its splay tree: returns the node to splay
/// (its parent) or the new root when `n` was the root (0 for an empty tree).
fn unlink(k: &mut Kx, n: u64) -> KResult<(u64, bool)> {
    let child = match left(k, n)? {
        0 => right(k, n)?,
        l => l,
    };
    let p = parent(k, n)?;
    if p == n {
        if child != 0 {
            set_parent(k, child, child)?;
        }
        return Ok((child, false));
    }
    replace_child(k, p, n, child)?;
    adopt(k, child, p)?;
    Ok((p, true))
}

/// Deletes `n` from its splay tree: swaps a node with two children with its predecessor
/// first. Returns (node to splay or new root, whether it must be splayed).
fn delete(k: &mut Kx, n: u64) -> KResult<(u64, bool)> {
    if left(k, n)? != 0 && right(k, n)? != 0 {
        let pred = rightmost(k, left(k, n)?)?;
        swap_places(k, pred, n)?;
    }
    unlink(k, n)
}

/// PRTL_SPLAY_LINKS RtlSplay(PRTL_SPLAY_LINKS Links): splays Links to the root.
pub fn RtlSplay(k: &mut Kx, links: Ptr) -> KResult<Ptr> {
    Ok(Ptr(splay(k, links.0)?))
}

/// PRTL_SPLAY_LINKS RtlDelete(PRTL_SPLAY_LINKS Links): removes Links and returns the new root
/// (the deleted node's parent, splayed), or NULL for an empty tree.
pub fn RtlDelete(k: &mut Kx, links: Ptr) -> KResult<Ptr> {
    let (node, must_splay) = delete(k, links.0)?;
    Ok(Ptr(if must_splay { splay(k, node)? } else { node }))
}

/// VOID RtlDeleteNoSplay(PRTL_SPLAY_LINKS Links, PRTL_SPLAY_LINKS *Root): removes Links
/// without splaying, updating *Root when the root changes.
pub fn RtlDeleteNoSplay(k: &mut Kx, links: Ptr, root: Ptr) -> KResult<()> {
    let n = links.0;
    let was_root = parent(k, n)? == n;
    if left(k, n)? != 0 && right(k, n)? != 0 {
        let pred = rightmost(k, left(k, n)?)?;
        swap_places(k, pred, n)?;
        if was_root {
            k.mem_mut().write_ptr(root.0, pred)?;
        }
    }
    let (node, spliced) = unlink(k, n)?;
    if !spliced {
        k.mem_mut().write_ptr(root.0, node)?;
    }
    Ok(())
}

/// PRTL_SPLAY_LINKS RtlSubtreeSuccessor(PRTL_SPLAY_LINKS Links): the smallest node of the
/// right subtree, or NULL.
pub fn RtlSubtreeSuccessor(k: &mut Kx, links: Ptr) -> KResult<Ptr> {
    Ok(Ptr(match right(k, links.0)? {
        0 => 0,
        r => leftmost(k, r)?,
    }))
}

/// PRTL_SPLAY_LINKS RtlSubtreePredecessor(PRTL_SPLAY_LINKS Links): the largest node of the
/// left subtree, or NULL.
pub fn RtlSubtreePredecessor(k: &mut Kx, links: Ptr) -> KResult<Ptr> {
    Ok(Ptr(match left(k, links.0)? {
        0 => 0,
        l => rightmost(k, l)?,
    }))
}

/// PRTL_SPLAY_LINKS RtlRealSuccessor(PRTL_SPLAY_LINKS Links): the next node in order, or NULL.
pub fn RtlRealSuccessor(k: &mut Kx, links: Ptr) -> KResult<Ptr> {
    Ok(Ptr(real_successor(k, links.0)?))
}

/// PRTL_SPLAY_LINKS RtlRealPredecessor(PRTL_SPLAY_LINKS Links): the previous node in order,
/// or NULL.
pub fn RtlRealPredecessor(k: &mut Kx, links: Ptr) -> KResult<Ptr> {
    Ok(Ptr(real_predecessor(k, links.0)?))
}
