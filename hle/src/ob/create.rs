//! Objects a driver makes itself: `ObCreateObject` allocates an object of one of the kernel's
//! types with a zeroed body of the size the caller asks (behind a Windows 7 OBJECT_HEADER
//! whose TypeIndex names the type) and captures its OBJECT_ATTRIBUTES; `ObInsertObject`
//! then gives it the name those attributes carry and a handle, as Windows does for a file
//! object a driver opens without the I/O manager's create path.
//!
//! The creator holds one reference from `ObCreateObject`; a successful insert with a handle
//! hands that reference to the handle (plus `ObjectPointerBias` more for the caller), a
//! failed insert drops it, which deletes the object. The body is the caller's to fill: the
//! kernel keeps no state of its own behind it, so only types whose objects are plain memory
//! a driver initializes can be made this way (files, events, semaphores, mutants, timers);
//! any other type is STATUS_OBJECT_TYPE_MISMATCH.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use super::handles::{open_checked, owner_of_call, Mode};
use super::name::{read_attributes, ObjectAttributes};
use super::{NameTarget, ObjectKind, OBJ_KERNEL_HANDLE, OBJ_OPENIF, OBJ_PERMANENT};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// Kinds whose objects are memory the creator initializes.
const MAKEABLE: &[ObjectKind] =
    &[ObjectKind::File, ObjectKind::Event, ObjectKind::Semaphore, ObjectKind::Mutant, ObjectKind::Timer];

/// ACCESS_STATE.RemainingDesiredAccess and PreviouslyGrantedAccess (both architectures).
const REMAINING_DESIRED_ACCESS: u64 = 0x10;
const PREVIOUSLY_GRANTED_ACCESS: u64 = 0x14;

/// An object made by ObCreateObject.
#[derive(Clone, Debug)]
pub struct Made {
    /// The pool block (its OBJECT_HEADER comes first).
    block: u64,
    /// The attributes captured at creation (None once inserted).
    pending: Option<(ObjectAttributes, Mode)>,
}

/// Every object ObCreateObject made that still exists, by body address.
#[derive(Debug, Default)]
pub struct MadeObjects {
    objects: BTreeMap<u64, Made>,
}

/// OBJECT_HEADER.TypeIndex (Windows 7).
fn type_index_offset(k: &Kx) -> u64 {
    match k.arch() {
        portcullis_emu::Arch::X86 => 0xc,
        portcullis_emu::Arch::X64 => 0x18,
    }
}

/// NTSTATUS ObCreateObject(KPROCESSOR_MODE ProbeMode, POBJECT_TYPE ObjectType,
/// POBJECT_ATTRIBUTES ObjectAttributes, KPROCESSOR_MODE OwnershipMode, PVOID ParseContext,
/// ULONG ObjectBodySize, ULONG PagedPoolCharge, ULONG NonPagedPoolCharge, PVOID *Object)
#[allow(clippy::too_many_arguments)]
pub fn ObCreateObject(
    k: &mut Kx,
    probe_mode: u8,
    object_type: Ptr,
    object_attributes: Ptr,
    _ownership_mode: u8,
    _parse_context: Ptr,
    body_size: u32,
    _paged_charge: u32,
    _nonpaged_charge: u32,
    object: Ptr,
) -> KResult<NtStatus> {
    let kind = match super::types::kind_of_type(k, object_type.0) {
        Some(Some(kind)) if MAKEABLE.contains(&kind) => kind,
        _ => return Ok(status::OBJECT_TYPE_MISMATCH),
    };
    let mode = Mode::from_raw(probe_mode);
    let attrs = if object_attributes.is_null() {
        ObjectAttributes::default()
    } else {
        match read_attributes(k, object_attributes.0, mode)? {
            Ok(a) => a,
            Err(st) => return Ok(st),
        }
    };
    let header = super::handle_table::header_size(k.arch());
    let def = super::types::TYPES.iter().find(|d| d.kind == Some(kind)).expect("every kind has a type");
    let tag = u32::from_le_bytes(*def.tag);
    let pool = crate::ex::pool::NON_PAGED_POOL_NX;
    let owner = super::Owner::Kernel;
    let Some(block) = crate::ex::pool::allocate(k, pool, header + body_size as u64, tag, owner, 0)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    crate::ex::pool::zero(k, block, header + body_size as u64)?;
    let body = block + header;
    let type_index = type_index_offset(k);
    k.mem_mut().write_u8(block + type_index, def.index)?;
    let owner = owner_of_call(k);
    k.ext_mut().objects.register_transient(body, kind, None, owner, false);
    if let Some(o) = k.ext_mut().objects.get_mut(body) {
        o.references = 1;
    }
    k.ext_mut().objects.made.objects.insert(body, Made { block, pending: Some((attrs, mode)) });
    if let Err(e) = k.mem_mut().write_ptr(object.0, body) {
        drop_reference(k, body)?;
        return Err(e.into());
    }
    Ok(status::SUCCESS)
}

/// Drops the creator's reference (deleting the object when it was the last).
fn drop_reference(k: &mut Kx, object: u64) -> KResult<()> {
    if let Some(o) = k.ext_mut().objects.get_mut(object) {
        o.references -= 1;
    }
    super::release_if_unused(k, object)
}

/// Frees the block of an object ObCreateObject made, once the object is deleted.
pub(crate) fn deleted(k: &mut Kx, object: u64) -> KResult<()> {
    if let Some(m) = k.ext_mut().objects.made.objects.remove(&object) {
        crate::ex::pool::free(k, m.block, None, 0)?;
    }
    Ok(())
}

/// NTSTATUS ObInsertObject(PVOID Object, PACCESS_STATE PassedAccessState,
/// ACCESS_MASK DesiredAccess, ULONG ObjectPointerBias, PVOID *NewObject, PHANDLE Handle):
/// names the object as its creation attributes say (with OBJ_OPENIF an existing object of
/// that name and type is opened instead: STATUS_OBJECT_NAME_EXISTS, and the new one is
/// deleted), then opens a handle with the access the access state grants (DesiredAccess
/// without one). Any failure deletes the object.
pub fn ObInsertObject(
    k: &mut Kx,
    object: Ptr,
    access_state: Ptr,
    desired_access: u32,
    bias: u32,
    new_object: Ptr,
    handle: Ptr,
) -> KResult<NtStatus> {
    let pending = k.ext_mut().objects.made.objects.get_mut(&object.0).and_then(|m| m.pending.take());
    let Some((attrs, mode)) = pending else {
        // Not an object ObCreateObject made, or one inserted already.
        return Err(super::bad_reference(k, object.0, "ObInsertObject"));
    };
    let access = if access_state.is_null() {
        desired_access
    } else {
        let m = k.mem();
        m.read_u32(access_state.0 + REMAINING_DESIRED_ACCESS)?
            | m.read_u32(access_state.0 + PREVIOUSLY_GRANTED_ACCESS)?
    };
    let kind = k.ext().objects.get(object.0).map(|o| o.kind).expect("registered at creation");
    let (target, st) = match name(k, object.0, kind, &attrs)? {
        Ok(None) => (object.0, status::SUCCESS),
        Ok(Some(existing)) => {
            drop_reference(k, object.0)?;
            super::handles::reference(k, existing);
            (existing, status::OBJECT_NAME_EXISTS)
        }
        Err(st) => {
            drop_reference(k, object.0)?;
            return Ok(st);
        }
    };
    let attributes = if mode == Mode::User { attrs.attributes & !OBJ_KERNEL_HANDLE } else { attrs.attributes };
    if !handle.is_null() {
        let (value, _) = open_checked(k, target, access, attributes, mode)?;
        if let Err(e) = k.mem_mut().write_ptr(handle.0, value) {
            let _ = super::handles::close(k, value, Mode::Kernel)?;
            return Err(e.into());
        }
        // The handle now holds the creator's reference.
        if let Some(o) = k.ext_mut().objects.get_mut(target) {
            o.references -= 1;
        }
    }
    if let Some(o) = k.ext_mut().objects.get_mut(target) {
        o.references += bias as i64;
    }
    if !new_object.is_null() {
        k.mem_mut().write_ptr(new_object.0, target)?;
    }
    Ok(st)
}

/// Gives `object` the name its attributes carry. Ok(Some(existing)) when OBJ_OPENIF found
/// an object of the same kind under that name.
fn name(k: &mut Kx, object: u64, kind: ObjectKind, attrs: &ObjectAttributes) -> KResult<Result<Option<u64>, NtStatus>> {
    if attrs.root == 0 && attrs.name.as_deref().is_none_or(str::is_empty) {
        return Ok(Ok(None));
    }
    let path = match attrs.namespace_path(k) {
        Ok(p) => p,
        Err(st) => return Ok(Err(st)),
    };
    if let Some(existing) = k.ext().objects.lookup(&path).map(|e| e.target.clone()) {
        return Ok(match existing {
            NameTarget::Object(o) if attrs.attributes & OBJ_OPENIF != 0 => {
                if k.ext().objects.get(o).map(|i| i.kind) == Some(kind) {
                    Ok(Some(o))
                } else {
                    Err(status::OBJECT_TYPE_MISMATCH)
                }
            }
            _ => Err(status::OBJECT_NAME_COLLISION),
        });
    }
    let owner = k.ext().objects.get(object).map(|o| o.owner).expect("registered at creation");
    if let Err(st) = k.ext_mut().objects.insert_name(&path, NameTarget::Object(object), owner) {
        return Ok(Err(st));
    }
    if let Some(o) = k.ext_mut().objects.get_mut(object) {
        o.name = Some(path);
        o.permanent = attrs.attributes & OBJ_PERMANENT != 0;
    }
    Ok(Ok(None))
}

impl MadeObjects {
    /// Whether `object` was made by ObCreateObject and still exists.
    pub fn contains(&self, object: u64) -> bool {
        self.objects.contains_key(&object)
    }
}
