//! Opening files: `ZwCreateFile`, `NtCreateFile`, `ZwOpenFile`, `IoCreateFile`, `ZwDeleteFile`,
//! share access, and what happens when the last handle and reference to a file go.
#![allow(non_snake_case)]

use super::{valid_name, FileChange, Open, FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_READONLY};
use crate::io::ea::EaArgs;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, IO_STATUS_BLOCK};
use crate::ob::handles::{self, Mode};
use crate::ob::name::read_attributes;
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, Ptr};

/// Access rights.
pub const FILE_READ_DATA: u32 = 0x1;
pub const FILE_WRITE_DATA: u32 = 0x2;
pub const FILE_APPEND_DATA: u32 = 0x4;
pub const FILE_EXECUTE: u32 = 0x20;
pub const FILE_READ_ATTRIBUTES: u32 = 0x80;
pub const FILE_WRITE_ATTRIBUTES: u32 = 0x100;
pub const DELETE: u32 = 0x1_0000;
pub const SYNCHRONIZE: u32 = 0x10_0000;
/// Share access.
pub const FILE_SHARE_READ: u32 = 1;
pub const FILE_SHARE_WRITE: u32 = 2;
pub const FILE_SHARE_DELETE: u32 = 4;
/// Create dispositions and what IoStatus.Information reports.
pub const FILE_SUPERSEDE: u32 = 0;
pub const FILE_OPEN: u32 = 1;
pub const FILE_CREATE: u32 = 2;
pub const FILE_OPEN_IF: u32 = 3;
pub const FILE_OVERWRITE: u32 = 4;
pub const FILE_OVERWRITE_IF: u32 = 5;
const FILE_SUPERSEDED: u64 = 0;
const FILE_OPENED: u64 = 1;
const FILE_CREATED: u64 = 2;
const FILE_OVERWRITTEN: u64 = 3;
/// Create options.
pub const FILE_DIRECTORY_FILE: u32 = 0x1;
pub const FILE_SYNCHRONOUS_IO_ALERT: u32 = 0x10;
pub const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x20;
pub const FILE_NON_DIRECTORY_FILE: u32 = 0x40;
pub const FILE_DELETE_ON_CLOSE: u32 = 0x1000;
/// FILE_OBJECT.Flags.
const FO_SYNCHRONOUS_IO: u64 = 0x2;
const FO_ALERTABLE_IO: u64 = 0x4;

const SHARING_VIOLATION: NtStatus = NtStatus(0xC000_0043);
const NOT_A_DIRECTORY: NtStatus = NtStatus(0xC000_0103);
const FILE_IS_A_DIRECTORY: NtStatus = NtStatus(0xC000_00BA);

/// GENERIC_* mapped to file rights.
pub fn map_access(access: u32) -> u32 {
    let mut a = access & 0x0FFF_FFFF & !0x0200_0000;
    if access & 0x8000_0000 != 0 {
        a |= 0x0012_0089; // FILE_GENERIC_READ
    }
    if access & 0x4000_0000 != 0 {
        a |= 0x0012_0116; // FILE_GENERIC_WRITE
    }
    if access & 0x2000_0000 != 0 {
        a |= 0x0012_00A0; // FILE_GENERIC_EXECUTE
    }
    if access & (0x1000_0000 | 0x0200_0000) != 0 {
        a |= 0x001F_01FF; // FILE_ALL_ACCESS
    }
    a
}

/// IoCheckShareAccess's rule: whether an open with `access`/`share` can join `opens`.
pub fn share_ok(opens: impl Iterator<Item = (u32, u32)>, access: u32, share: u32) -> bool {
    let reads = |a: u32| a & (FILE_READ_DATA | FILE_EXECUTE) != 0;
    let writes = |a: u32| a & (FILE_WRITE_DATA | FILE_APPEND_DATA) != 0;
    let deletes = |a: u32| a & DELETE != 0;
    if !(reads(access) || writes(access) || deletes(access)) {
        return true;
    }
    opens.filter(|(a, _)| reads(*a) || writes(*a) || deletes(*a)).all(|(a, s)| {
        !(reads(access) && s & FILE_SHARE_READ == 0
            || writes(access) && s & FILE_SHARE_WRITE == 0
            || deletes(access) && s & FILE_SHARE_DELETE == 0
            || reads(a) && share & FILE_SHARE_READ == 0
            || writes(a) && share & FILE_SHARE_WRITE == 0
            || deletes(a) && share & FILE_SHARE_DELETE == 0)
    })
}

/// What a create asks for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Create {
    pub access: u32,
    pub attributes: u32,
    pub share: u32,
    pub disposition: u32,
    pub options: u32,
    pub allocation: u64,
}

/// Opens or creates `path` on the volume; returns (file object, IoStatus.Information).
pub(crate) fn on_volume(k: &mut Kx, path: &str, c: Create, at: u64) -> KResult<Result<(u64, u64), NtStatus>> {
    on_volume_into(k, path, c, at, None)
}

/// Opens `path` through the minifilters (IRP_MJ_CREATE's pre- and post-operation callbacks
/// around the volume's open); `below` is the instance a filter's own FltCreateFile starts
/// under. The file object exists before the callbacks see it, as the I/O manager's does.
pub(crate) fn filtered(
    k: &mut Kx,
    path: &str,
    c: Create,
    at: u64,
    user: bool,
    below: Option<u64>,
) -> KResult<Result<(u64, u64), NtStatus>> {
    use crate::flt::ops::{self, FileOp, Params, Pre};
    if !ops::watched(k, crate::io::major::CREATE) {
        return on_volume(k, path, c, at);
    }
    let device = k.ext().volume.device;
    let fo = crate::io::file::create_transient(k, device, path, 0, c.access, c.share)?;
    let params = Params::Create {
        access: c.access,
        options: (c.disposition << 24) | (c.options & 0xFF_FFFF),
        attributes: c.attributes,
        share: c.share,
        allocation: c.allocation,
    };
    let op = FileOp { major: crate::io::major::CREATE, file_object: fo, user, params, below };
    let (started, opened) = match ops::pre(k, &op)? {
        Pre::Go(started) => {
            let c = match started.params {
                Params::Create { options, attributes, share, .. } => {
                    Create { disposition: options >> 24, options: options & 0xFF_FFFF, attributes, share, ..c }
                }
                _ => c,
            };
            let r = on_volume_into(k, path, c, at, Some(fo))?;
            (started, r)
        }
        Pre::Done(started, st, info) => (started, if st.is_success() { Ok((fo, info)) } else { Err(st) }),
    };
    let (st, info) = match opened {
        Ok((_, info)) => (status::SUCCESS, info),
        Err(st) => (st, 0),
    };
    let (mut st, info) = ops::post(k, started, st, info)?;
    if k.ext_mut().flt.cancelled.remove(&fo) && st.is_success() {
        st = status::UNSUCCESSFUL;
    }
    match opened {
        Ok(_) if st.is_success() => {
            // Opened for a filter below its instance: the file object's cleanup and close
            // go only below it too.
            if let Some(instance) = below {
                k.ext_mut().flt.targeted.insert(fo, instance);
            }
            Ok(Ok((fo, info)))
        }
        Ok(_) => {
            // A post-create callback failed the open (FltCancelFileOpen's effect).
            crate::flt::ops::forget_file(k, fo)?;
            if k.ext().volume.opens.contains_key(&fo) {
                k.ext_mut().objects.unregister(fo);
                closed_quietly(k, fo)?;
            } else {
                crate::io::file::destroy(k, fo)?;
            }
            Ok(Err(st))
        }
        Err(_) => {
            crate::flt::ops::forget_file(k, fo)?;
            crate::io::file::destroy(k, fo)?;
            Ok(Err(st))
        }
    }
}

fn on_volume_into(
    k: &mut Kx,
    path: &str,
    c: Create,
    at: u64,
    made: Option<u64>,
) -> KResult<Result<(u64, u64), NtStatus>> {
    if c.disposition > FILE_OVERWRITE_IF {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    let dir_wanted = c.options & FILE_DIRECTORY_FILE != 0;
    let dir_conflict =
        c.options & FILE_NON_DIRECTORY_FILE != 0 || ![FILE_CREATE, FILE_OPEN, FILE_OPEN_IF].contains(&c.disposition);
    if dir_wanted && dir_conflict || c.options & FILE_DELETE_ON_CLOSE != 0 && c.access & DELETE == 0 {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    let trimmed = path.trim_end_matches('\\');
    let (parent_path, last) = match trimmed.rfind('\\') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => ("", trimmed),
    };
    let time = crate::ke::time::system_time(k);
    let vol = &k.ext().volume;
    let parent = match vol.find(parent_path) {
        Ok(p) if vol.node(p).directory => p,
        _ => return Ok(Err(status::OBJECT_PATH_NOT_FOUND)),
    };
    let existing = if last.is_empty() { Some(0) } else { vol.child(parent, last) };
    let (node, information) = match existing {
        Some(id) => {
            let n = vol.node(id);
            if n.delete_pending {
                return Ok(Err(status::DELETE_PENDING));
            }
            if c.disposition == FILE_CREATE {
                return Ok(Err(status::OBJECT_NAME_COLLISION));
            }
            if dir_wanted && !n.directory {
                return Ok(Err(NOT_A_DIRECTORY));
            }
            if c.options & FILE_NON_DIRECTORY_FILE != 0 && n.directory {
                return Ok(Err(FILE_IS_A_DIRECTORY));
            }
            let overwrite = matches!(c.disposition, FILE_SUPERSEDE | FILE_OVERWRITE | FILE_OVERWRITE_IF);
            if n.directory && overwrite {
                return Ok(Err(status::INVALID_PARAMETER));
            }
            if n.attributes & FILE_ATTRIBUTE_READONLY != 0 {
                if c.access & DELETE != 0 {
                    return Ok(Err(status::CANNOT_DELETE));
                }
                if c.access & (FILE_WRITE_DATA | FILE_APPEND_DATA) != 0 || overwrite {
                    return Ok(Err(status::ACCESS_DENIED));
                }
            }
            if n.image_in_use {
                // NTFS asks MmFlushImageSection before a write or a delete-on-close open; a
                // loaded image's section cannot be flushed.
                if c.options & FILE_DELETE_ON_CLOSE != 0 {
                    return Ok(Err(status::CANNOT_DELETE));
                }
                if c.access & (FILE_WRITE_DATA | FILE_APPEND_DATA) != 0 || overwrite {
                    return Ok(Err(SHARING_VIOLATION));
                }
            }
            if !share_ok(n.opens.values().copied(), c.access, c.share) {
                return Ok(Err(SHARING_VIOLATION));
            }
            if overwrite {
                let vol = &mut k.ext_mut().volume;
                let node = vol.node_mut(id);
                node.data.clear();
                node.attributes = (c.attributes & !super::FILE_ATTRIBUTE_DIRECTORY) | FILE_ATTRIBUTE_ARCHIVE;
                node.written = time;
                let path = vol.path_of(id);
                super::record(
                    k,
                    FileChange {
                        operation: "truncate",
                        path,
                        from: None,
                        offset: None,
                        length: None,
                        size: 0,
                        caller: at,
                    },
                );
            }
            let info = match c.disposition {
                FILE_SUPERSEDE => FILE_SUPERSEDED,
                FILE_OVERWRITE | FILE_OVERWRITE_IF => FILE_OVERWRITTEN,
                _ => FILE_OPENED,
            };
            (id, info)
        }
        None => {
            if matches!(c.disposition, FILE_OPEN | FILE_OVERWRITE) {
                return Ok(Err(status::OBJECT_NAME_NOT_FOUND));
            }
            if !valid_name(last) {
                return Ok(Err(status::OBJECT_NAME_INVALID));
            }
            if c.allocation > super::MAX_FILE {
                return Ok(Err(NtStatus(0xC000_007F))); // STATUS_DISK_FULL
            }
            let attrs = c.attributes & !(super::FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_NORMAL);
            let vol = &mut k.ext_mut().volume;
            let id =
                vol.add(parent, last, dir_wanted, attrs | if dir_wanted { 0 } else { FILE_ATTRIBUTE_ARCHIVE }, time);
            let path = vol.path_of(id);
            super::record(
                k,
                FileChange { operation: "create", path, from: None, offset: None, length: None, size: 0, caller: at },
            );
            (id, FILE_CREATED)
        }
    };
    let mut flags = 0;
    if c.options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT) != 0 {
        flags |= FO_SYNCHRONOUS_IO;
    }
    if c.options & FILE_SYNCHRONOUS_IO_ALERT != 0 {
        flags |= FO_ALERTABLE_IO;
    }
    let device = k.ext().volume.device;
    let name = k.ext().volume.path_of(node);
    let fo = match made {
        Some(fo) => {
            k.mem_mut().set(fo, crate::layout::FILE_OBJECT::Flags, flags)?;
            fo
        }
        None => crate::io::file::create_transient(k, device, &name, flags, c.access, c.share)?,
    };
    let vol = &mut k.ext_mut().volume;
    vol.node_mut(node).opens.insert(fo, (c.access, c.share));
    vol.opens.insert(
        fo,
        Open {
            node,
            access: c.access,
            options: c.options,
            delete_on_close: c.options & FILE_DELETE_ON_CLOSE != 0,
            cleaned: false,
            scan: None,
            pattern: None,
        },
    );
    Ok(Ok((fo, information)))
}

/// A file object on the volume went with its last handle and reference: it leaves its file's
/// opens, and a file to be deleted goes with the last of them.
pub(crate) fn closed(k: &mut Kx, fo: u64) -> KResult<()> {
    if !k.ext().volume.opens.contains_key(&fo) {
        return Ok(());
    }
    cleanup(k, fo)?;
    let op = crate::flt::ops::FileOp {
        major: crate::io::major::CLOSE,
        file_object: fo,
        user: false,
        params: crate::flt::ops::Params::None,
        below: k.ext().flt.targeted.get(&fo).copied(),
    };
    crate::flt::ops::filtered(k, op, |_, _| Ok((status::SUCCESS, 0)))?;
    crate::flt::ops::forget_file(k, fo)?;
    closed_quietly(k, fo)
}

/// The last handle to a file object on the volume closed: the minifilters see
/// IRP_MJ_CLEANUP (once); for a file a filter opened below its instance (FltCreateFile), only
/// the instances below it, as fltmgr.sys targets every request on that file object.
pub(crate) fn cleanup(k: &mut Kx, fo: u64) -> KResult<()> {
    match k.ext_mut().volume.opens.get_mut(&fo) {
        Some(o) if !o.cleaned => o.cleaned = true,
        _ => return Ok(()),
    }
    let op = crate::flt::ops::FileOp {
        major: crate::io::major::CLEANUP,
        file_object: fo,
        user: false,
        params: crate::flt::ops::Params::None,
        below: k.ext().flt.targeted.get(&fo).copied(),
    };
    crate::flt::ops::filtered(k, op, |_, _| Ok((status::SUCCESS, 0)))?;
    Ok(())
}

/// The volume's part of a close: the file leaves its node's opens.
fn closed_quietly(k: &mut Kx, fo: u64) -> KResult<()> {
    let Some(open) = k.ext_mut().volume.opens.remove(&fo) else { return Ok(()) };
    let vol = &mut k.ext_mut().volume;
    let node = vol.node_mut(open.node);
    node.opens.remove(&fo);
    if open.delete_on_close {
        node.delete_pending = true;
    }
    let gone = node.delete_pending && node.opens.is_empty() && !node.deleted;
    if gone && vol.children(open.node).is_empty() {
        let path = vol.path_of(open.node);
        vol.remove(open.node);
        super::record(
            k,
            FileChange { operation: "delete", path, from: None, offset: None, length: None, size: 0, caller: 0 },
        );
    }
    crate::ex::pool::free(k, fo, None, 0)
}

/// Where an OBJECT_ATTRIBUTES name leads: a path on the volume, or another device.
enum Target {
    Volume(String),
    Device(u64, String),
}

fn target(k: &Kx, attrs: &crate::ob::name::ObjectAttributes) -> Result<Target, NtStatus> {
    let name = attrs.name.clone().unwrap_or_default();
    if attrs.root != 0 {
        if name.starts_with('\\') {
            return Err(status::OBJECT_PATH_SYNTAX_BAD);
        }
        return match super::open_of(k, attrs.root) {
            Some(o) => {
                let base = k.ext().volume.path_of(o.node);
                let base = base.trim_end_matches('\\');
                Ok(Target::Volume(if name.is_empty() { format!("{base}\\") } else { format!("{base}\\{name}") }))
            }
            None if attrs.root_kind == Some(ObjectKind::Directory) => {
                let path = attrs.namespace_path(k)?;
                device_target(k, &path)
            }
            None => Err(status::INVALID_PARAMETER),
        };
    }
    device_target(k, &name)
}

fn device_target(k: &Kx, path: &str) -> Result<Target, NtStatus> {
    let (object, rest) = k.ext().objects.lookup_path(path, true)?;
    if object == k.ext().volume.device {
        return Ok(Target::Volume(if rest.is_empty() { "\\".into() } else { rest }));
    }
    match k.ext().objects.get(object).map(|o| o.kind) {
        Some(ObjectKind::Device) => Ok(Target::Device(object, rest)),
        _ => Err(status::OBJECT_TYPE_MISMATCH),
    }
}

/// Writes an IO_STATUS_BLOCK.
pub(crate) fn io_status(k: &mut Kx, iosb: Ptr, st: NtStatus, information: u64) -> KResult<()> {
    k.mem_mut().set(iosb.0, IO_STATUS_BLOCK::Status, st.0 as u64)?;
    k.mem_mut().set(iosb.0, IO_STATUS_BLOCK::Information, information)?;
    Ok(())
}

/// The create routines' common path, for a caller in `mode`.
pub(crate) fn create_file(
    k: &mut Kx,
    handle: Ptr,
    attributes: Ptr,
    iosb: Ptr,
    c: Create,
    mode: Mode,
    ea: EaArgs,
) -> KResult<NtStatus> {
    create_below(k, handle, attributes, iosb, c, mode, None, ea).map(|(st, _)| st)
}

/// [`create_file`] for I/O a minifilter starts: only the instances below `below` see it.
/// Also returns the file object opened. The extended attributes `ea` are captured and
/// checked first ([`crate::io::ea::capture`]); a device's driver gets them with its
/// IRP_MJ_CREATE; the in-memory volume keeps no extended attributes: a create that brings
/// some is STATUS_EAS_NOT_SUPPORTED, as on a file system without them (FAT32).
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_below(
    k: &mut Kx,
    handle: Ptr,
    attributes: Ptr,
    iosb: Ptr,
    c: Create,
    mode: Mode,
    below: Option<u64>,
    ea: EaArgs,
) -> KResult<(NtStatus, u64)> {
    let attrs = match read_attributes(k, attributes.0, mode)? {
        Ok(a) => a,
        Err(st) => return Ok((st, 0)),
    };
    let ea = match crate::io::ea::capture(k, ea)? {
        Ok(ea) => ea,
        Err((st, offset)) => {
            io_status(k, iosb, st, offset)?;
            return Ok((st, 0));
        }
    };
    let c = Create { access: map_access(c.access), ..c };
    let at = caller(k);
    crate::tdi::transport::materialize(k, attrs.name.as_deref().unwrap_or_default())?;
    let opened = match target(k, &attrs) {
        Err(st) => {
            crate::io::ea::release(k, ea)?;
            Err(st)
        }
        Ok(Target::Volume(_)) if ea.is_some() => {
            crate::io::ea::release(k, ea)?;
            Err(status::EAS_NOT_SUPPORTED)
        }
        Ok(Target::Volume(path)) => filtered(k, &path, c, at, mode == Mode::User, below)?,
        Ok(Target::Device(device, rest)) => crate::io::open::kernel_open(k, device, &rest, c, mode, ea)?,
    };
    let (fo, information) = match opened {
        Ok(v) => v,
        Err(st) => {
            // IoStatus is written for failures the file system reports too.
            io_status(k, iosb, st, 0)?;
            return Ok((st, 0));
        }
    };
    let st = handles::open_for(k, fo, c.access, attrs.attributes, mode, handle.0)?;
    io_status(k, iosb, st, information)?;
    Ok((st, fo))
}

fn allocation(k: &Kx, at: Ptr) -> KResult<u64> {
    Ok(if at.is_null() { 0 } else { k.mem().read_u64(at.0)? })
}

/// NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
/// PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
/// ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)
pub fn ZwCreateFile(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation_size: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: Ptr,
    ea_length: u32,
) -> KResult<NtStatus> {
    let c = Create {
        access,
        attributes: file_attributes,
        share,
        disposition,
        options,
        allocation: allocation(k, allocation_size)?,
    };
    create_file(k, handle, attributes, iosb, c, Mode::Kernel, EaArgs { buffer: ea, length: ea_length })
}

/// NtCreateFile: ZwCreateFile for a caller of the current thread's previous mode.
pub fn NtCreateFile(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation_size: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: Ptr,
    ea_length: u32,
) -> KResult<NtStatus> {
    let mode = crate::ps::mode::previous_mode(k)?;
    let c = Create {
        access,
        attributes: file_attributes,
        share,
        disposition,
        options,
        allocation: allocation(k, allocation_size)?,
    };
    create_file(k, handle, attributes, iosb, c, mode, EaArgs { buffer: ea, length: ea_length })
}

/// NTSTATUS ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess,
/// ULONG OpenOptions): ZwCreateFile with FILE_OPEN.
pub fn ZwOpenFile(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    share: u32,
    options: u32,
) -> KResult<NtStatus> {
    let c = Create { access, attributes: 0, share, disposition: FILE_OPEN, options, allocation: 0 };
    create_file(k, handle, attributes, iosb, c, Mode::Kernel, EaArgs::default())
}

/// NTSTATUS IoCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
/// PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
/// ULONG Disposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength,
/// CREATE_FILE_TYPE CreateFileType, PVOID InternalParameters, ULONG Options): ZwCreateFile
/// for ordinary files (CreateFileTypeNone); named pipes and mailslots do not exist here.
pub fn IoCreateFile(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation_size: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: Ptr,
    ea_length: u32,
    file_type: u32,
    _internal: Ptr,
    _io_options: u32,
) -> KResult<NtStatus> {
    if file_type != 0 {
        return Ok(status::NOT_SUPPORTED);
    }
    ZwCreateFile(
        k,
        handle,
        access,
        attributes,
        iosb,
        allocation_size,
        file_attributes,
        share,
        disposition,
        options,
        ea,
        ea_length,
    )
}

/// NTSTATUS IoCreateFileSpecifyDeviceObjectHint(..., the IoCreateFile parameters,
/// PVOID DeviceObject): IoCreateFile with the create sent to `DeviceObject`, a device of the
/// target's stack, instead of the top of that stack, so that the filters above it do not see
/// it (a filter opening files without recursing into itself). No hint is IoCreateFile; a
/// hint outside the target's stack is STATUS_INVALID_DEVICE_OBJECT_PARAMETER. On the
/// in-memory volume the hint is its device (below every filter: the minifilters do not see the
/// create) or one of the devices above it (the filtered path).
pub fn IoCreateFileSpecifyDeviceObjectHint(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    iosb: Ptr,
    allocation_size: Ptr,
    file_attributes: u32,
    share: u32,
    disposition: u32,
    options: u32,
    ea: Ptr,
    ea_length: u32,
    file_type: u32,
    internal: Ptr,
    io_options: u32,
    hint: Ptr,
) -> KResult<NtStatus> {
    if hint.is_null() {
        return IoCreateFile(
            k,
            handle,
            access,
            attributes,
            iosb,
            allocation_size,
            file_attributes,
            share,
            disposition,
            options,
            ea,
            ea_length,
            file_type,
            internal,
            io_options,
        );
    }
    if file_type != 0 {
        return Ok(status::NOT_SUPPORTED);
    }
    let c = Create {
        access: map_access(access),
        attributes: file_attributes,
        share,
        disposition,
        options,
        allocation: allocation(k, allocation_size)?,
    };
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let ea = match crate::io::ea::capture(k, EaArgs { buffer: ea, length: ea_length })? {
        Ok(ea) => ea,
        Err((st, offset)) => {
            io_status(k, iosb, st, offset)?;
            return Ok(st);
        }
    };
    let at = caller(k);
    crate::tdi::transport::materialize(k, attrs.name.as_deref().unwrap_or_default())?;
    let opened = match target(k, &attrs) {
        Err(st) => {
            crate::io::ea::release(k, ea)?;
            Err(st)
        }
        Ok(Target::Volume(path)) => {
            let volume = k.ext().volume.device;
            let in_stack = hint.0 == volume || crate::io::stack::in_stack(k, volume, hint.0)?;
            crate::io::ea::release(k, ea)?;
            if in_stack && ea.is_some() {
                Err(status::EAS_NOT_SUPPORTED)
            } else if hint.0 == volume {
                on_volume(k, &path, c, at)?
            } else if in_stack {
                filtered(k, &path, c, at, false, None)?
            } else {
                Err(status::INVALID_DEVICE_OBJECT_PARAMETER)
            }
        }
        Ok(Target::Device(device, rest)) => {
            if crate::io::stack::in_stack(k, device, hint.0)? {
                crate::io::open::kernel_open_at(k, device, hint.0, &rest, c, Mode::Kernel, ea)?
            } else {
                crate::io::ea::release(k, ea)?;
                Err(status::INVALID_DEVICE_OBJECT_PARAMETER)
            }
        }
    };
    let (fo, information) = match opened {
        Ok(v) => v,
        Err(st) => {
            io_status(k, iosb, st, 0)?;
            return Ok(st);
        }
    };
    let st = handles::open_for(k, fo, c.access, attrs.attributes, Mode::Kernel, handle.0)?;
    io_status(k, iosb, st, information)?;
    Ok(st)
}

/// Opens the volume file OBJECT_ATTRIBUTES `attributes` names, for `access` with `options`,
/// sharing everything, without a handle (the routines that act on a file by name: delete,
/// query attributes). Device paths are refused (STATUS_INVALID_DEVICE_REQUEST).
fn open_by_name(k: &mut Kx, attributes: Ptr, access: u32, options: u32) -> KResult<Result<u64, NtStatus>> {
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(Err(st)),
    };
    let path = match target(k, &attrs) {
        Ok(Target::Volume(p)) => p,
        Ok(Target::Device(..)) => return Ok(Err(status::INVALID_DEVICE_REQUEST)),
        Err(st) => return Ok(Err(st)),
    };
    let c = Create {
        access,
        attributes: 0,
        share: FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
        disposition: FILE_OPEN,
        options,
        allocation: 0,
    };
    let at = caller(k);
    Ok(on_volume(k, &path, c, at)?.map(|(fo, _)| fo))
}

/// NTSTATUS ZwDeleteFile(POBJECT_ATTRIBUTES ObjectAttributes): the file goes when its last
/// handle closes (at once when no one has it open).
pub fn ZwDeleteFile(k: &mut Kx, attributes: Ptr) -> KResult<NtStatus> {
    match open_by_name(k, attributes, DELETE, FILE_DELETE_ON_CLOSE)? {
        Ok(fo) => delete_opened(k, fo),
        Err(st) => Ok(st),
    }
}

/// Deletes the file object `fo` was opened for (with FILE_DELETE_ON_CLOSE) as it closes; a
/// directory that is not empty stays (STATUS_DIRECTORY_NOT_EMPTY).
fn delete_opened(k: &mut Kx, fo: u64) -> KResult<NtStatus> {
    let vol = &k.ext().volume;
    let node = vol.opens.get(&fo).map(|o| o.node).expect("just opened");
    if vol.node(node).directory && !vol.children(node).is_empty() {
        k.ext_mut().volume.opens.get_mut(&fo).expect("just opened").delete_on_close = false;
        k.ext_mut().objects.unregister(fo);
        closed_quietly(k, fo)?;
        return Ok(status::DIRECTORY_NOT_EMPTY);
    }
    k.ext_mut().objects.unregister(fo);
    closed_quietly(k, fo)?;
    Ok(status::SUCCESS)
}

/// Opens the volume path `path` for `access` with `options` and `disposition`, sharing
/// everything, without a handle.
fn open_path(k: &mut Kx, path: &str, access: u32, options: u32, disposition: u32) -> KResult<Result<u64, NtStatus>> {
    let c = Create {
        access,
        attributes: 0,
        share: FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
        disposition,
        options,
        allocation: 0,
    };
    let at = caller(k);
    Ok(on_volume(k, path, c, at)?.map(|(fo, _)| fo))
}

/// What the user-mode layer's DeleteFile (`directory` false) and RemoveDirectory (true) do
/// on the volume path `path`: opened for DELETE as a file (a directory is
/// STATUS_FILE_IS_A_DIRECTORY) or as a directory (a file is STATUS_NOT_A_DIRECTORY), deleted
/// as it closes.
pub fn delete_path(k: &mut Kx, path: &str, directory: bool) -> KResult<NtStatus> {
    let kind = if directory { FILE_DIRECTORY_FILE } else { FILE_NON_DIRECTORY_FILE };
    match open_path(k, path, DELETE, FILE_DELETE_ON_CLOSE | kind, FILE_OPEN)? {
        Ok(fo) => delete_opened(k, fo),
        Err(st) => Ok(st),
    }
}

/// The user-mode layer's CreateDirectory on the volume path `path`: a new directory
/// (STATUS_OBJECT_NAME_COLLISION when the name is taken).
pub fn create_directory(k: &mut Kx, path: &str) -> KResult<NtStatus> {
    match open_path(k, path, SYNCHRONIZE | 0x1, FILE_DIRECTORY_FILE, FILE_CREATE)? {
        Ok(fo) => {
            k.ext_mut().objects.unregister(fo);
            closed_quietly(k, fo)?;
            Ok(status::SUCCESS)
        }
        Err(st) => Ok(st),
    }
}

/// The FILE_ATTRIBUTE_* of the file or directory at the volume path `path` (the user-mode
/// layer's GetFileAttributes), opened for FILE_READ_ATTRIBUTES as Windows does.
pub fn attributes_of(k: &mut Kx, path: &str) -> KResult<Result<u32, NtStatus>> {
    let fo = match open_path(k, path, FILE_READ_ATTRIBUTES, 0, FILE_OPEN)? {
        Ok(fo) => fo,
        Err(st) => return Ok(Err(st)),
    };
    let vol = &k.ext().volume;
    let n = vol.node(vol.opens.get(&fo).map(|o| o.node).expect("just opened"));
    let attributes = match (n.attributes, n.directory) {
        (0, true) => super::FILE_ATTRIBUTE_DIRECTORY,
        (0, false) => super::FILE_ATTRIBUTE_NORMAL,
        (a, true) => a | super::FILE_ATTRIBUTE_DIRECTORY,
        (a, false) => a,
    };
    k.ext_mut().objects.unregister(fo);
    closed_quietly(k, fo)?;
    Ok(Ok(attributes))
}

/// NTSTATUS ZwQueryFullAttributesFile(POBJECT_ATTRIBUTES ObjectAttributes,
/// PFILE_NETWORK_OPEN_INFORMATION FileInformation): a file's times, sizes and attributes by
/// name, without a handle: the file is opened for FILE_READ_ATTRIBUTES (sharing everything),
/// queried and closed, as Windows does. Not for device paths (STATUS_INVALID_DEVICE_REQUEST).
pub fn ZwQueryFullAttributesFile(k: &mut Kx, attributes: Ptr, info: Ptr) -> KResult<NtStatus> {
    let fo = match open_by_name(k, attributes, FILE_READ_ATTRIBUTES, 0)? {
        Ok(fo) => fo,
        Err(st) => return Ok(st),
    };
    let vol = &k.ext().volume;
    let node = vol.opens.get(&fo).map(|o| o.node).expect("just opened");
    let mut o = crate::zw::Out::new(k.arch());
    super::info::network_open(&mut o, vol.node(node));
    k.ext_mut().objects.unregister(fo);
    closed_quietly(k, fo)?;
    k.mem_mut().write(info.0, &o.bytes)?;
    Ok(status::SUCCESS)
}
