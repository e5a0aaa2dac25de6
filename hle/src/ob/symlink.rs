//! Symbolic-link objects: `IoCreateSymbolicLink`'s permanent links and
//! `ZwCreateSymbolicLinkObject`, `ZwOpenSymbolicLinkObject`, `ZwQuerySymbolicLinkObject`.
//!
//! A link is an object with a name and a target path (OBJECT_SYMBOLIC_LINK: its creation
//! time and target string, as Windows 7 lays it out); lookups through its name continue at the
//! target. A link made by `IoCreateSymbolicLink` is permanent until `IoDeleteSymbolicLink`;
//! one made by `ZwCreateSymbolicLinkObject` lives while handles to it do, unless it was
//! created OBJ_PERMANENT (`ZwMakeTemporaryObject` undoes that).
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use super::handles::{self, Mode};
use super::name::read_attributes;
use super::{ObjectKind, Owner, OBJ_PERMANENT};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, UNICODE_STRING};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr, HANDLE};

/// Offsets in OBJECT_SYMBOLIC_LINK: CreationTime at 0, LinkTarget at 8; its size.
const LINK_TARGET: u64 = 8;
fn header_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x18,
        Arch::X64 => 0x20,
    }
}

/// Creates link `path` -> `target`; returns its object.
pub(crate) fn create(
    k: &mut Kx,
    path: &str,
    target: &str,
    owner: Owner,
    permanent: bool,
) -> KResult<Result<u64, NtStatus>> {
    let arch = k.arch();
    let bytes = (target.encode_utf16().count() as u64 + 1) * 2;
    let link = super::body::alloc(k, header_size(arch) + bytes)?;
    if let Err(st) = k.ext_mut().objects.insert_link(path, target, owner, link) {
        k.ext_mut().objects.links.remove(&link);
        super::body::free(k, link);
        return Ok(Err(st));
    }
    let now = crate::ke::time::system_time(k);
    k.mem_mut().write_u64(link, now)?;
    crate::ps::write_unicode(k, link + LINK_TARGET, link + header_size(arch), target)?;
    k.ext_mut().objects.register_transient(link, ObjectKind::SymbolicLink, Some(path.to_string()), owner, permanent);
    Ok(Ok(link))
}

/// Removes the name `path` if it is a link (IoDeleteSymbolicLink): the link object goes when
/// nothing refers to it any more.
pub(crate) fn delete(k: &mut Kx, path: &str) -> KResult<NtStatus> {
    let entry = k.ext().objects.lookup(path).cloned();
    let Some(entry) = entry else { return Ok(status::OBJECT_NAME_NOT_FOUND) };
    if !matches!(entry.target, super::NameTarget::Link(_)) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    k.ext_mut().objects.remove_name(path);
    if let Some(o) = k.ext_mut().objects.get_mut(entry.object) {
        o.permanent = false;
    }
    super::release_if_unused(k, entry.object)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwCreateSymbolicLinkObject(PHANDLE LinkHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PUNICODE_STRING LinkTarget)
pub fn ZwCreateSymbolicLinkObject(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    target: PUnicodeString,
) -> KResult<NtStatus> {
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let len = k.mem().get(target.0, UNICODE_STRING::Length)?;
    let max = k.mem().get(target.0, UNICODE_STRING::MaximumLength)?;
    if len & 1 != 0 || len > max {
        return Ok(status::INVALID_PARAMETER);
    }
    let target = read_unicode_string(k, target.0)?;
    let path = match attrs.namespace_path(k) {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    let owner = handles::owner_of_call(k);
    let link = match create(k, &path, &target, owner, attrs.attributes & OBJ_PERMANENT != 0)? {
        Ok(l) => l,
        Err(st) => return Ok(st),
    };
    let r = handles::open_for(k, link, access, attrs.attributes, Mode::Kernel, handle.0);
    if r.is_err() {
        super::release_if_unused(k, link)?;
    }
    r
}

/// NTSTATUS ZwOpenSymbolicLinkObject(PHANDLE LinkHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes): the link itself (its target is not followed).
pub fn ZwOpenSymbolicLinkObject(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr) -> KResult<NtStatus> {
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let found = attrs
        .namespace_path(k)
        .and_then(|p| super::name::find(k, &p, attrs.attributes, Some(ObjectKind::SymbolicLink)));
    let link = match found {
        Ok(l) => l,
        Err(st) => return Ok(st),
    };
    if k.ext().objects.get(link).map(|o| o.kind) != Some(ObjectKind::SymbolicLink) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    handles::open_for(k, link, access, attrs.attributes, Mode::Kernel, handle.0)
}

/// NTSTATUS ZwQuerySymbolicLinkObject(HANDLE LinkHandle, PUNICODE_STRING LinkTarget,
/// PULONG ReturnedLength): copies the target into LinkTarget's buffer, with its NUL when
/// that fits. STATUS_BUFFER_TOO_SMALL (and the length needed, NUL included, in
/// ReturnedLength) when MaximumLength is too small for the target with its NUL, or, when no
/// ReturnedLength is asked for, for the target alone.
pub fn ZwQuerySymbolicLinkObject(k: &mut Kx, handle: HANDLE, target: Ptr, returned: Ptr) -> KResult<NtStatus> {
    let Some((link, _, _)) = handles::lookup(k, handle.0, Mode::Kernel)? else {
        return Ok(status::INVALID_HANDLE);
    };
    let Some(text) = k.ext().objects.links.get(&link).cloned() else {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    };
    let units: Vec<u16> = text.encode_utf16().collect();
    let bytes = units.len() as u64 * 2;
    let required = bytes + 2;
    let max = k.mem().get(target.0, UNICODE_STRING::MaximumLength)?;
    let buffer = k.mem().get(target.0, UNICODE_STRING::Buffer)?;
    if !(required <= max || (bytes <= max && returned.is_null())) {
        if !returned.is_null() {
            k.mem_mut().write_u32(returned.0, required as u32)?;
        }
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let copy = if required <= max { required } else { bytes };
    let data: Vec<u8> = units.iter().chain([&0u16]).flat_map(|u| u.to_le_bytes()).take(copy as usize).collect();
    k.mem_mut().write(buffer, &data)?;
    k.mem_mut().set(target.0, UNICODE_STRING::Length, bytes)?;
    if !returned.is_null() {
        k.mem_mut().write_u32(returned.0, copy as u32)?;
    }
    Ok(status::SUCCESS)
}
