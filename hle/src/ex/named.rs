//! Named kernel objects the executive creates (events, callback objects): creating an object
//! under the name its OBJECT_ATTRIBUTES give, in the object manager's namespace
//! ([`crate::ob`]: directories, links, a root directory handle), or opening the one already
//! there.

use crate::kernel::{KResult, Kx};
use crate::ob::handles::{owner_of_call, Mode};
use crate::ob::name::{find, read_attributes, ObjectAttributes};
use crate::ob::{NameTarget, ObjectKind, OBJ_OPENIF, OBJ_PERMANENT};
use crate::types::{status, NtStatus, Ptr};

/// STATUS_OBJECT_NAME_EXISTS: created with OBJ_OPENIF and opened an existing object.
pub const OBJECT_NAME_EXISTS: NtStatus = status::OBJECT_NAME_EXISTS;

/// Reads a kernel-mode caller's OBJECT_ATTRIBUTES (none: no name, no attributes).
pub fn read(k: &Kx, oa: Ptr) -> KResult<Result<ObjectAttributes, NtStatus>> {
    if oa.is_null() {
        return Ok(Ok(ObjectAttributes::default()));
    }
    read_attributes(k, oa.0, Mode::Kernel)
}

/// The namespace path the attributes name, if they name one.
fn path_of(k: &Kx, attrs: &ObjectAttributes) -> Result<Option<String>, NtStatus> {
    if attrs.root == 0 && attrs.name.as_deref().is_none_or(str::is_empty) {
        return Ok(None);
    }
    attrs.namespace_path(k).map(Some)
}

/// How a create ended.
pub enum Created {
    New(u64),
    /// OBJ_OPENIF found the name: the existing object.
    Existing(u64),
}

/// Creates an object of `kind` with `make` (which allocates and initializes it), under the
/// name the attributes give if any, or opens the existing object of that name with
/// OBJ_OPENIF. The new object lives while handles and references to it do (its name too,
/// unless OBJ_PERMANENT), or for good when `kept` (objects the kernel itself provides).
pub fn create(
    k: &mut Kx,
    attrs: &ObjectAttributes,
    kind: ObjectKind,
    kept: bool,
    make: impl FnOnce(&mut Kx) -> KResult<u64>,
) -> KResult<Result<Created, NtStatus>> {
    let path = match path_of(k, attrs) {
        Ok(p) => p,
        Err(st) => return Ok(Err(st)),
    };
    if let Some(p) = &path {
        if let Some(existing) = k.ext().objects.lookup(p).map(|e| e.target.clone()) {
            return Ok(match existing {
                NameTarget::Object(o) if attrs.attributes & OBJ_OPENIF != 0 => {
                    if k.ext().objects.get(o).map(|i| i.kind) == Some(kind) {
                        Ok(Created::Existing(o))
                    } else {
                        Err(status::OBJECT_TYPE_MISMATCH)
                    }
                }
                _ => Err(status::OBJECT_NAME_COLLISION),
            });
        }
    }
    let owner = if kept { crate::ob::Owner::Kernel } else { owner_of_call(k) };
    if let Some(p) = &path {
        // The name is taken before the object is made: its directory must exist.
        if let Err(st) = k.ext_mut().objects.insert_name(p, NameTarget::Object(0), owner) {
            return Ok(Err(st));
        }
    }
    let object = match make(k) {
        Ok(o) => o,
        Err(e) => {
            if let Some(p) = &path {
                k.ext_mut().objects.remove_name(p);
            }
            return Err(e);
        }
    };
    let ob = &mut k.ext_mut().objects;
    if let Some(p) = &path {
        ob.remove_name(p);
        ob.insert_name(p, NameTarget::Object(object), owner).expect("the name was free a moment ago");
    }
    if kept {
        ob.register(object, kind, path, owner);
    } else {
        ob.register_transient(object, kind, path, owner, attrs.attributes & OBJ_PERMANENT != 0);
    }
    Ok(Ok(Created::New(object)))
}

/// The object of `kind` a name names (links followed).
pub fn open(k: &Kx, attrs: &ObjectAttributes, kind: ObjectKind) -> Result<u64, NtStatus> {
    let path = path_of(k, attrs)?.ok_or(status::OBJECT_NAME_INVALID)?;
    let o = find(k, &path, attrs.attributes, Some(kind))?;
    if k.ext().objects.get(o).map(|i| i.kind) != Some(kind) {
        return Err(status::OBJECT_TYPE_MISMATCH);
    }
    Ok(o)
}
