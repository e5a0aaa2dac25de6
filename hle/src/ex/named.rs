//! Named kernel objects the executive creates (events, callback objects): reading an
//! OBJECT_ATTRIBUTES, creating an object under a name or opening the one already there.

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, OBJECT_ATTRIBUTES};
use crate::ob::{NameTarget, ObjectKind, Owner};
use crate::types::{status, NtStatus, Ptr};

/// OBJ_OPENIF: open the object when the name exists.
pub const OBJ_OPENIF: u32 = 0x80;
/// STATUS_OBJECT_NAME_EXISTS: created with OBJ_OPENIF and opened an existing object.
pub const OBJECT_NAME_EXISTS: NtStatus = NtStatus(0x4000_0035);

/// What an OBJECT_ATTRIBUTES says.
#[derive(Clone, Debug, Default)]
pub struct Attributes {
    pub name: Option<String>,
    pub attributes: u32,
    pub root: u64,
}

/// Reads an OBJECT_ATTRIBUTES (none: no name, no attributes).
pub fn read(k: &Kx, oa: Ptr) -> KResult<Attributes> {
    if oa.is_null() {
        return Ok(Attributes::default());
    }
    let mem = k.mem();
    let name_at = mem.get(oa.0, OBJECT_ATTRIBUTES::ObjectName)?;
    let attributes = mem.get(oa.0, OBJECT_ATTRIBUTES::Attributes)? as u32;
    let root = mem.get(oa.0, OBJECT_ATTRIBUTES::RootDirectory)?;
    let name = if name_at == 0 { None } else { Some(crate::rtl::unicode::read_unicode_string(k, name_at)?) };
    Ok(Attributes { name: name.filter(|n| !n.is_empty()), attributes, root })
}

/// How a create ended.
pub enum Created {
    New(u64),
    /// OBJ_OPENIF found the name: the existing object.
    Existing(u64),
}

/// Creates an object of `kind` with `make` (which allocates and initializes it), under the
/// name the attributes give if any, or opens the existing object of that name with
/// OBJ_OPENIF. Names are absolute: there are no directory objects to be relative to.
pub fn create(
    k: &mut Kx,
    attrs: &Attributes,
    kind: ObjectKind,
    make: impl FnOnce(&mut Kx) -> KResult<u64>,
) -> KResult<Result<Created, NtStatus>> {
    if attrs.root != 0 {
        return Ok(Err(status::OBJECT_PATH_NOT_FOUND));
    }
    if let Some(name) = &attrs.name {
        if !crate::ob::valid_path(name) {
            return Ok(Err(status::OBJECT_NAME_INVALID));
        }
        if let Some(existing) = k.ext().objects.lookup(name).map(|e| e.target.clone()) {
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
    let object = make(k)?;
    k.ext_mut().objects.register(object, kind, attrs.name.clone(), Owner::Kernel);
    if let Some(name) = &attrs.name {
        // Checked above: the name is valid and free.
        let _ = k.ext_mut().objects.insert_name(name, NameTarget::Object(object), Owner::Kernel);
    }
    Ok(Ok(Created::New(object)))
}

/// The object of `kind` a name names.
pub fn open(k: &Kx, attrs: &Attributes, kind: ObjectKind) -> Result<u64, NtStatus> {
    if attrs.root != 0 {
        return Err(status::OBJECT_PATH_NOT_FOUND);
    }
    let Some(name) = &attrs.name else { return Err(status::OBJECT_NAME_INVALID) };
    match k.ext().objects.lookup(name).map(|e| e.target.clone()) {
        Some(NameTarget::Object(o)) if k.ext().objects.get(o).map(|i| i.kind) == Some(kind) => Ok(o),
        Some(NameTarget::Object(_)) => Err(status::OBJECT_TYPE_MISMATCH),
        _ => Err(status::OBJECT_NAME_NOT_FOUND),
    }
}
