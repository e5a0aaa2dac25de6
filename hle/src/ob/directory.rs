//! Object directories: the namespace's root and standard directories, and
//! `ZwCreateDirectoryObject`, `ZwOpenDirectoryObject`, `ZwQueryDirectoryObject`.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use super::handles::{self, Mode};
use super::name::read_attributes;
use super::{NameTarget, ObjectKind, Owner, OBJ_OPENIF, OBJ_PERMANENT};
use crate::kernel::{KResult, Kx};
use crate::layout::UNICODE_STRING;
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

/// The directories every Windows namespace has.
const STANDARD: &[&str] = &[
    "\\Device",
    "\\Driver",
    "\\FileSystem",
    "\\GLOBAL??",
    "\\ObjectTypes",
    "\\BaseNamedObjects",
    "\\KernelObjects",
    "\\Callback",
];

/// Bytes of an OBJECT_DIRECTORY (opaque: its hash buckets).
fn body_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0xA8,
        Arch::X64 => 0x150,
    }
}

/// Makes the root and the standard directories.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let root = super::body::alloc(k, body_size(k.arch()))?;
    let ob = &mut k.ext_mut().objects;
    ob.register(root, ObjectKind::Directory, Some("\\".into()), Owner::Kernel);
    ob.root = root;
    for path in STANDARD {
        let dir = super::body::alloc(k, body_size(k.arch()))?;
        let ob = &mut k.ext_mut().objects;
        ob.insert_name(path, NameTarget::Object(dir), Owner::Kernel).expect("a fresh namespace");
        ob.register(dir, ObjectKind::Directory, Some(path.to_string()), Owner::Kernel);
    }
    // \DosDevices\Global (\??\Global) is the global DOS device directory itself.
    let global = crate::ob::symlink::create(k, "\\GLOBAL??\\Global", "\\GLOBAL??", Owner::Kernel, true)?;
    debug_assert!(global.is_ok());
    Ok(())
}

/// Creates a directory object named `path` (None: unnamed).
fn create(k: &mut Kx, path: Option<&str>, owner: Owner, permanent: bool) -> KResult<Result<u64, NtStatus>> {
    let dir = super::body::alloc(k, body_size(k.arch()))?;
    if let Some(p) = path {
        if let Err(st) = k.ext_mut().objects.insert_name(p, NameTarget::Object(dir), owner) {
            super::body::free(k, dir);
            return Ok(Err(st));
        }
    }
    let name = path.map(str::to_string);
    k.ext_mut().objects.register_transient(dir, ObjectKind::Directory, name, owner, permanent);
    Ok(Ok(dir))
}

/// NTSTATUS ZwCreateDirectoryObject(PHANDLE DirectoryHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes): a new directory (temporary unless OBJ_PERMANENT);
/// with OBJ_OPENIF an existing one is opened (STATUS_OBJECT_NAME_EXISTS).
pub fn ZwCreateDirectoryObject(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr) -> KResult<NtStatus> {
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let path = match attrs.name.as_deref() {
        None | Some("") if attrs.root == 0 => None,
        _ => match attrs.namespace_path(k) {
            Ok(p) => Some(p),
            Err(st) => return Ok(st),
        },
    };
    if let Some(p) = &path {
        if let Some(existing) = k.ext().objects.lookup(p).map(|e| e.object) {
            if attrs.attributes & OBJ_OPENIF == 0 {
                return Ok(status::OBJECT_NAME_COLLISION);
            }
            if k.ext().objects.get(existing).map(|o| o.kind) != Some(ObjectKind::Directory) {
                return Ok(status::OBJECT_TYPE_MISMATCH);
            }
            let st = handles::open_for(k, existing, access, attrs.attributes, Mode::Kernel, handle.0)?;
            return Ok(if st.is_success() { status::OBJECT_NAME_EXISTS } else { st });
        }
    }
    let owner = handles::owner_of_call(k);
    let dir = match create(k, path.as_deref(), owner, attrs.attributes & OBJ_PERMANENT != 0)? {
        Ok(d) => d,
        Err(st) => return Ok(st),
    };
    let r = handles::open_for(k, dir, access, attrs.attributes, Mode::Kernel, handle.0);
    if r.is_err() {
        super::release_if_unused(k, dir)?;
    }
    r
}

/// NTSTATUS ZwOpenDirectoryObject(PHANDLE DirectoryHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes)
pub fn ZwOpenDirectoryObject(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr) -> KResult<NtStatus> {
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let found =
        attrs.namespace_path(k).and_then(|p| super::name::find(k, &p, attrs.attributes, Some(ObjectKind::Directory)));
    let dir = match found {
        Ok(d) => d,
        Err(st) => return Ok(st),
    };
    if k.ext().objects.get(dir).map(|o| o.kind) != Some(ObjectKind::Directory) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    handles::open_for(k, dir, access, attrs.attributes, Mode::Kernel, handle.0)
}

/// (name, type name) of each entry of a directory, in name order.
fn entries(k: &Kx, dir: u64) -> Vec<(String, &'static str)> {
    let ob = &k.ext().objects;
    let Some(path) = ob.get(dir).and_then(|o| o.name.clone()) else { return Vec::new() };
    ob.children(&path)
        .into_iter()
        .map(|e| {
            let last = e.path.rsplit('\\').next().unwrap_or_default().to_string();
            let ty = match &e.target {
                NameTarget::Link(_) => "SymbolicLink",
                NameTarget::Object(o) => ob.get(*o).map(|i| super::types::type_name(i.kind)).unwrap_or(""),
            };
            (last, ty)
        })
        .collect()
}

/// NTSTATUS ZwQueryDirectoryObject(HANDLE DirectoryHandle, PVOID Buffer, ULONG Length,
/// BOOLEAN ReturnSingleEntry, BOOLEAN RestartScan, PULONG Context, PULONG ReturnLength)
///
/// Fills the buffer with OBJECT_DIRECTORY_INFORMATION entries (Name, TypeName), closed by an
/// all-zero entry, with the strings after them, from the entry `*Context` names (0 with
/// RestartScan). STATUS_MORE_ENTRIES when more remain than fit, STATUS_NO_MORE_ENTRIES when
/// none remain, STATUS_BUFFER_TOO_SMALL (with the length one entry needs) when not even one
/// fits.
pub fn ZwQueryDirectoryObject(
    k: &mut Kx,
    handle: HANDLE,
    buffer: Ptr,
    length: u32,
    single: Boolean,
    restart: Boolean,
    context: Ptr,
    return_length: Ptr,
) -> KResult<NtStatus> {
    let Some((dir, _, _)) = handles::lookup(k, handle.0, Mode::Kernel)? else {
        return Ok(status::INVALID_HANDLE);
    };
    if k.ext().objects.get(dir).map(|o| o.kind) != Some(ObjectKind::Directory) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    let start = if restart.0 { 0 } else { k.mem().read_u32(context.0)? as usize };
    let all = entries(k, dir);
    if start >= all.len() {
        return Ok(status::NO_MORE_ENTRIES);
    }
    let us = UNICODE_STRING::STRUCT.size(k.arch());
    let entry_size = 2 * us;
    let strings = |(n, t): &(String, &str)| (n.encode_utf16().count() as u64 + 1) * 2 + (t.len() as u64 + 1) * 2;
    let length = length as u64;
    // How many entries fit, with the terminating entry.
    let mut count = 0usize;
    let mut used = entry_size;
    for e in &all[start..] {
        let need = used + entry_size + strings(e);
        if need > length || (single.0 && count == 1) {
            break;
        }
        used = need;
        count += 1;
    }
    if count == 0 {
        let need = 2 * entry_size + strings(&all[start]);
        if !return_length.is_null() {
            k.mem_mut().write_u32(return_length.0, need as u32)?;
        }
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let mut text = buffer.0 + (count as u64 + 1) * entry_size;
    for (i, (name, ty)) in all[start..start + count].iter().enumerate() {
        let at = buffer.0 + i as u64 * entry_size;
        crate::ps::write_unicode(k, at, text, name)?;
        text += (name.encode_utf16().count() as u64 + 1) * 2;
        crate::ps::write_unicode(k, at + us, text, ty)?;
        text += (ty.len() as u64 + 1) * 2;
    }
    k.mem_mut().write(buffer.0 + count as u64 * entry_size, &vec![0u8; entry_size as usize])?;
    k.mem_mut().write_u32(context.0, (start + count) as u32)?;
    if !return_length.is_null() {
        k.mem_mut().write_u32(return_length.0, used as u32)?;
    }
    Ok(if start + count < all.len() && !single.0 { NtStatus(0x105) } else { status::SUCCESS })
}
