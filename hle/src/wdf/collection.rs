//! WDFCOLLECTION (`wdfcollection.h`): an ordered list of framework objects. Adding an
//! object takes a reference on it, removing it (or deleting the collection) drops it, so an
//! object deleted while in a collection lives until it leaves.
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// The collection is deleted: its items leave it.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    for item in k.ext_mut().wdf.collections.remove(&handle).unwrap_or_default() {
        object::release(k, item)?;
    }
    Ok(())
}

fn items(k: &mut Kx, function: &str, handle: u64) -> KResult<Vec<u64>> {
    object::expect(k, function, handle, ObjectKind::Collection)?;
    Ok(k.ext().wdf.collections.get(&handle).cloned().unwrap_or_default())
}

/// NTSTATUS WdfCollectionCreate(PWDF_OBJECT_ATTRIBUTES CollectionAttributes, WDFCOLLECTION
/// *Collection)
pub fn WdfCollectionCreate(k: &mut Kx, globals: Ptr, attributes: Ptr, out: Ptr) -> KResult<NtStatus> {
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfCollectionCreate", "Collection"));
    }
    let b = super::driver::binding(k, "WdfCollectionCreate", globals.0)?;
    let a = object::read_attributes(k, attributes.0)?;
    let parent = if a.parent != 0 {
        object::expect(k, "WdfCollectionCreate", a.parent, ObjectKind::Any)?;
        Some(a.parent)
    } else {
        None
    };
    let h = object::create(k, b, ObjectKind::Collection, &a, parent)?;
    k.ext_mut().wdf.collections.insert(h, Vec::new());
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// ULONG WdfCollectionGetCount(WDFCOLLECTION Collection)
pub fn WdfCollectionGetCount(k: &mut Kx, _globals: Ptr, collection: Ptr) -> KResult<u32> {
    Ok(items(k, "WdfCollectionGetCount", collection.0)?.len() as u32)
}

/// NTSTATUS WdfCollectionAdd(WDFCOLLECTION Collection, WDFOBJECT Object): at the end.
pub fn WdfCollectionAdd(k: &mut Kx, _globals: Ptr, collection: Ptr, item: Ptr) -> KResult<NtStatus> {
    items(k, "WdfCollectionAdd", collection.0)?;
    object::expect(k, "WdfCollectionAdd", item.0, ObjectKind::Any)?;
    object::reference(k, item.0);
    if let Some(v) = k.ext_mut().wdf.collections.get_mut(&collection.0) {
        v.push(item.0);
    }
    Ok(status::SUCCESS)
}

/// Removes the item at `index` (which must exist: a bad index is a verifier error).
fn remove_at(k: &mut Kx, function: &str, collection: u64, index: Option<usize>, what: u64) -> KResult<()> {
    let Some(i) = index else {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, collection, what, 0],
            at,
            format!("{function}: {what:#x} is not in collection {collection:#x}"),
        ));
    };
    let item = k.ext_mut().wdf.collections.get_mut(&collection).map(|v| v.remove(i));
    match item {
        Some(item) => object::release(k, item),
        None => Ok(()),
    }
}

/// VOID WdfCollectionRemove(WDFCOLLECTION Collection, WDFOBJECT Item)
pub fn WdfCollectionRemove(k: &mut Kx, _globals: Ptr, collection: Ptr, item: Ptr) -> KResult<()> {
    let v = items(k, "WdfCollectionRemove", collection.0)?;
    let i = v.iter().position(|x| *x == item.0);
    remove_at(k, "WdfCollectionRemove", collection.0, i, item.0)
}

/// VOID WdfCollectionRemoveItem(WDFCOLLECTION Collection, ULONG Index)
pub fn WdfCollectionRemoveItem(k: &mut Kx, _globals: Ptr, collection: Ptr, index: u32) -> KResult<()> {
    let v = items(k, "WdfCollectionRemoveItem", collection.0)?;
    let i = (index as usize) < v.len();
    remove_at(k, "WdfCollectionRemoveItem", collection.0, i.then_some(index as usize), index as u64)
}

/// WDFOBJECT WdfCollectionGetItem(WDFCOLLECTION Collection, ULONG Index): NULL past the end.
pub fn WdfCollectionGetItem(k: &mut Kx, _globals: Ptr, collection: Ptr, index: u32) -> KResult<Ptr> {
    Ok(Ptr(items(k, "WdfCollectionGetItem", collection.0)?.get(index as usize).copied().unwrap_or(0)))
}

/// WDFOBJECT WdfCollectionGetFirstItem(WDFCOLLECTION Collection): NULL when empty.
pub fn WdfCollectionGetFirstItem(k: &mut Kx, _globals: Ptr, collection: Ptr) -> KResult<Ptr> {
    Ok(Ptr(items(k, "WdfCollectionGetFirstItem", collection.0)?.first().copied().unwrap_or(0)))
}

/// WDFOBJECT WdfCollectionGetLastItem(WDFCOLLECTION Collection): NULL when empty.
pub fn WdfCollectionGetLastItem(k: &mut Kx, _globals: Ptr, collection: Ptr) -> KResult<Ptr> {
    Ok(Ptr(items(k, "WdfCollectionGetLastItem", collection.0)?.last().copied().unwrap_or(0)))
}
