//! Names: OBJECT_ATTRIBUTES as the Zw* routines take them, lookups by name
//! (`ObReferenceObjectByName`, `ObOpenObjectByName`) and the name an object has
//! (`ObQueryNameString`).
#![allow(non_snake_case)]

use super::handles::{self, Mode};
use super::{ObjectKind, OBJ_OPENLINK};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT, OBJECT_ATTRIBUTES, UNICODE_STRING};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// OBJECT_ATTRIBUTES, read and checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectAttributes {
    /// The object RootDirectory's handle refers to (0 when there is none).
    pub root: u64,
    pub root_kind: Option<ObjectKind>,
    /// ObjectName, if given (relative to the root when there is one).
    pub name: Option<String>,
    pub attributes: u32,
    /// The SecurityDescriptor pointer.
    pub security_descriptor: u64,
}

/// Reads OBJECT_ATTRIBUTES at `at` as the object manager captures them for a caller in
/// `mode`: a wrong Length is STATUS_INVALID_PARAMETER, an odd or overlong name
/// STATUS_OBJECT_NAME_INVALID, a RootDirectory that is no handle STATUS_INVALID_HANDLE.
pub fn read_attributes(k: &Kx, at: u64, mode: Mode) -> KResult<Result<ObjectAttributes, NtStatus>> {
    let arch = k.arch();
    let mem = k.mem();
    let length = mem.get(at, OBJECT_ATTRIBUTES::Length)?;
    if length != OBJECT_ATTRIBUTES::STRUCT.size(arch) {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    let root_handle = mem.get(at, OBJECT_ATTRIBUTES::RootDirectory)?;
    let name_ptr = mem.get(at, OBJECT_ATTRIBUTES::ObjectName)?;
    let attributes = mem.get(at, OBJECT_ATTRIBUTES::Attributes)? as u32;
    let security_descriptor = mem.get(at, OBJECT_ATTRIBUTES::SecurityDescriptor)?;
    let name = if name_ptr == 0 {
        None
    } else {
        let len = mem.get(name_ptr, UNICODE_STRING::Length)?;
        let max = mem.get(name_ptr, UNICODE_STRING::MaximumLength)?;
        if len & 1 != 0 || len > max {
            return Ok(Err(status::OBJECT_NAME_INVALID));
        }
        Some(read_unicode_string(k, name_ptr)?)
    };
    let (root, root_kind) = if root_handle == 0 {
        (0, None)
    } else {
        match handles::lookup(k, root_handle, mode)? {
            Some((object, _, _)) => (object, k.ext().objects.get(object).map(|o| o.kind)),
            None => return Ok(Err(status::INVALID_HANDLE)),
        }
    };
    Ok(Ok(ObjectAttributes { root, root_kind, name, attributes, security_descriptor }))
}

impl ObjectAttributes {
    /// The absolute namespace path the attributes name, for objects that live in object
    /// directories: a name relative to a directory handle is joined to the directory's name.
    /// A relative name without a root, or an absolute one with a root, is
    /// STATUS_OBJECT_PATH_SYNTAX_BAD; a root that is not a directory, STATUS_OBJECT_TYPE_MISMATCH.
    pub fn namespace_path(&self, k: &Kx) -> Result<String, NtStatus> {
        let name = self.name.clone().unwrap_or_default();
        if self.root == 0 {
            if !name.starts_with('\\') {
                return Err(status::OBJECT_PATH_SYNTAX_BAD);
            }
            return Ok(name);
        }
        if self.root_kind != Some(ObjectKind::Directory) {
            return Err(status::OBJECT_TYPE_MISMATCH);
        }
        if name.starts_with('\\') {
            return Err(status::OBJECT_PATH_SYNTAX_BAD);
        }
        let base = k.ext().objects.get(self.root).and_then(|o| o.name.clone()).unwrap_or_default();
        Ok(match (base.as_str(), name.is_empty()) {
            (_, true) => base,
            ("\\", false) => format!("\\{name}"),
            (_, false) => format!("{base}\\{name}"),
        })
    }
}

/// The object a namespace path names, as a lookup by name finds it: symbolic links are
/// followed, the last one too unless OBJ_OPENLINK is given or a symbolic link is what is
/// wanted. A path that goes on past an object that parses no names (anything but a
/// directory, which answers OBJECT_NAME/PATH_NOT_FOUND) is STATUS_OBJECT_TYPE_MISMATCH.
pub fn find(k: &Kx, path: &str, attributes: u32, want: Option<ObjectKind>) -> Result<u64, NtStatus> {
    let follow_last = attributes & OBJ_OPENLINK == 0 && want != Some(ObjectKind::SymbolicLink);
    let (object, rest) = k.ext().objects.lookup_path(path, follow_last)?;
    if !rest.is_empty() {
        return Err(status::OBJECT_TYPE_MISMATCH);
    }
    Ok(object)
}

/// The kind an OBJECT_TYPE argument asks for: Ok(None) for NULL (any), Err for a pointer that
/// is no type or a type of which no object can exist.
fn wanted_kind(k: &Kx, object_type: u64) -> Result<Option<ObjectKind>, NtStatus> {
    if object_type == 0 {
        return Ok(None);
    }
    match super::types::kind_of_type(k, object_type) {
        Some(Some(kind)) => Ok(Some(kind)),
        _ => Err(status::OBJECT_TYPE_MISMATCH),
    }
}

/// NTSTATUS ObReferenceObjectByName(PUNICODE_STRING ObjectName, ULONG Attributes,
/// PACCESS_STATE AccessState, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
/// KPROCESSOR_MODE AccessMode, PVOID ParseContext, PVOID *Object)
pub fn ObReferenceObjectByName(
    k: &mut Kx,
    object_name: PUnicodeString,
    attributes: u32,
    _access_state: Ptr,
    _desired_access: u32,
    object_type: Ptr,
    _access_mode: u8,
    _parse_context: Ptr,
    object: Ptr,
) -> KResult<NtStatus> {
    if object_name.0 == 0 {
        return Ok(status::OBJECT_NAME_INVALID);
    }
    let path = read_unicode_string(k, object_name.0)?;
    if path.is_empty() {
        return Ok(status::OBJECT_NAME_INVALID);
    }
    let want = match wanted_kind(k, object_type.0) {
        Ok(w) => w,
        Err(st) => return Ok(st),
    };
    let found = match find(k, &path, attributes, want) {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    let kind = k.ext().objects.get(found).map(|o| o.kind);
    if want.is_some() && kind != want {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    k.mem_mut().write_ptr(object.0, found)?;
    handles::reference(k, found);
    Ok(status::SUCCESS)
}

/// NTSTATUS ObOpenObjectByName(POBJECT_ATTRIBUTES ObjectAttributes, POBJECT_TYPE ObjectType,
/// KPROCESSOR_MODE AccessMode, PACCESS_STATE AccessState, ACCESS_MASK DesiredAccess,
/// PVOID ParseContext, PHANDLE Handle)
pub fn ObOpenObjectByName(
    k: &mut Kx,
    object_attributes: Ptr,
    object_type: Ptr,
    access_mode: u8,
    _access_state: Ptr,
    desired_access: u32,
    _parse_context: Ptr,
    handle: Ptr,
) -> KResult<NtStatus> {
    let mode = Mode::from_raw(access_mode);
    let attrs = match read_attributes(k, object_attributes.0, mode)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let want = match wanted_kind(k, object_type.0) {
        Ok(w) => w,
        Err(st) => return Ok(st),
    };
    let found = attrs.namespace_path(k).and_then(|p| find(k, &p, attrs.attributes, want));
    let found = match found {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    if want.is_some() && k.ext().objects.get(found).map(|o| o.kind) != want {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    handles::open_for(k, found, desired_access, attrs.attributes, mode, handle.0)
}

/// The name an object has: its path in the namespace, or for a file object the name of its
/// device followed by the file's name. Unnamed objects have none.
pub fn object_name(k: &Kx, object: u64) -> KResult<Option<String>> {
    let Some(info) = k.ext().objects.get(object) else { return Ok(None) };
    match info.kind {
        ObjectKind::File => {
            let device = k.mem().get(object, FILE_OBJECT::DeviceObject)?;
            let device_name = k.ext().objects.get(device).and_then(|d| d.name.clone()).unwrap_or_default();
            let file = read_unicode_string(k, FILE_OBJECT::FileName.at(k.arch(), object))?;
            Ok(Some(format!("{device_name}{file}")).filter(|n| !n.is_empty()))
        }
        ObjectKind::Key => Ok(crate::cm::key_path(k, object)),
        _ => Ok(info.name.clone().filter(|n| n.starts_with('\\'))),
    }
}

/// Writes OBJECT_NAME_INFORMATION (a UNICODE_STRING followed by its NUL-terminated buffer)
/// for `name` into `buffer` of `length` bytes. Err(required length) if it does not fit.
pub(crate) fn write_name_information(k: &mut Kx, buffer: u64, length: u64, name: &str) -> KResult<Result<u64, u64>> {
    let us = UNICODE_STRING::STRUCT.size(k.arch());
    let units: Vec<u16> = name.encode_utf16().collect();
    let required = if units.is_empty() { us } else { us + units.len() as u64 * 2 + 2 };
    if length < required {
        return Ok(Err(required));
    }
    if units.is_empty() {
        let mem = k.mem_mut();
        mem.set(buffer, UNICODE_STRING::Length, 0)?;
        mem.set(buffer, UNICODE_STRING::MaximumLength, 0)?;
        mem.set(buffer, UNICODE_STRING::Buffer, 0)?;
    } else {
        crate::ps::write_unicode(k, buffer, buffer + us, name)?;
    }
    Ok(Ok(required))
}

/// NTSTATUS ObQueryNameString(PVOID Object, POBJECT_NAME_INFORMATION ObjectNameInfo,
/// ULONG Length, PULONG ReturnLength): the object's name; STATUS_INFO_LENGTH_MISMATCH with
/// the length needed when the buffer is too small.
pub fn ObQueryNameString(k: &mut Kx, object: Ptr, info: Ptr, length: u32, return_length: Ptr) -> KResult<NtStatus> {
    if k.ext().objects.get(object.0).is_none() {
        return Err(super::bad_reference(k, object.0, "ObQueryNameString"));
    }
    let name = object_name(k, object.0)?.unwrap_or_default();
    let (st, n) = match write_name_information(k, info.0, length as u64, &name)? {
        Ok(n) => (status::SUCCESS, n),
        Err(n) => (status::INFO_LENGTH_MISMATCH, n),
    };
    if !return_length.is_null() {
        k.mem_mut().write_u32(return_length.0, n as u32)?;
    }
    Ok(st)
}
