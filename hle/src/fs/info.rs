//! File and volume information: `ZwQueryInformationFile`, `ZwSetInformationFile`,
//! `ZwQueryVolumeInformationFile`, `FsRtlGetFileSize`, and the I/O manager's queries on a
//! file object: `IoQueryFileInformation`, `IoQueryVolumeInformation`.
//!
//! A buffer shorter than a class's structure is STATUS_INFO_LENGTH_MISMATCH; a name that does
//! not fit is cut, with STATUS_BUFFER_OVERFLOW; IoStatus.Information is the bytes written.
#![allow(non_snake_case)]

use super::open::{io_status, DELETE, FILE_APPEND_DATA, FILE_WRITE_ATTRIBUTES, FILE_WRITE_DATA};
use super::rw::volume_file;
use super::{FileChange, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_READONLY};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT};
use crate::ob::handles::Mode;
use crate::types::{status, NtStatus, Ptr, HANDLE};
use crate::zw::Out;

/// FILE_INFORMATION_CLASS values answered.
pub const FILE_BASIC_INFORMATION: u32 = 4;
pub const FILE_STANDARD_INFORMATION: u32 = 5;
pub const FILE_INTERNAL_INFORMATION: u32 = 6;
pub const FILE_EA_INFORMATION: u32 = 7;
pub const FILE_ACCESS_INFORMATION: u32 = 8;
pub const FILE_NAME_INFORMATION: u32 = 9;
pub const FILE_RENAME_INFORMATION: u32 = 10;
pub const FILE_DISPOSITION_INFORMATION: u32 = 13;
pub const FILE_POSITION_INFORMATION: u32 = 14;
pub const FILE_MODE_INFORMATION: u32 = 16;
pub const FILE_ALIGNMENT_INFORMATION: u32 = 17;
pub const FILE_ALL_INFORMATION: u32 = 18;
pub const FILE_ALLOCATION_INFORMATION: u32 = 19;
pub const FILE_END_OF_FILE_INFORMATION: u32 = 20;
pub const FILE_NETWORK_OPEN_INFORMATION: u32 = 34;
pub const FILE_ATTRIBUTE_TAG_INFORMATION: u32 = 35;

const CLUSTER: u64 = 4096;
/// The volume's size in clusters (64 GiB).
const VOLUME_CLUSTERS: u64 = 0x100_0000;
const NOT_SAME_DEVICE: NtStatus = NtStatus(0xC000_00D4);

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// A structure of fixed part `fixed` and its bytes; the caller's `length` decides how much
/// goes out.
fn deliver(k: &mut Kx, bytes: &[u8], fixed: usize, buffer: Ptr, length: u32, iosb: Ptr) -> KResult<NtStatus> {
    let (st, n) = written(k, bytes, fixed, buffer, length)?;
    if st != status::INFO_LENGTH_MISMATCH {
        io_status(k, iosb, st, n)?;
    }
    Ok(st)
}

fn basic(o: &mut Out, n: &super::Node) {
    o.u64(n.created).u64(n.accessed).u64(n.written).u64(n.changed).u32(n.attributes).u32(0);
}

/// FILE_NETWORK_OPEN_INFORMATION: the times, the sizes and the attributes.
pub(crate) fn network_open(o: &mut Out, n: &super::Node) {
    let size = n.data.len() as u64;
    o.u64(n.created).u64(n.accessed).u64(n.written).u64(n.changed);
    o.u64(size.div_ceil(CLUSTER) * CLUSTER).u64(size).u32(n.attributes).u32(0);
}

fn standard(o: &mut Out, n: &super::Node) {
    let size = n.data.len() as u64;
    o.u64(size.div_ceil(CLUSTER) * CLUSTER).u64(size).u32(1).u8(n.delete_pending as u8).u8(n.directory as u8).u16(0);
}

/// NTSTATUS ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
/// PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)
pub fn ZwQueryInformationFile(
    k: &mut Kx,
    handle: HANDLE,
    iosb: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
) -> KResult<NtStatus> {
    information_request(k, handle, iosb, info, length, class, false)
}

/// A query (`set` false) or set of a volume file's information: through the minifilters
/// when one watches the operation (they may complete it themselves), else directly.
fn information_request(
    k: &mut Kx,
    handle: HANDLE,
    iosb: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
    set: bool,
) -> KResult<NtStatus> {
    let (fo, node, access) = match volume_file(k, handle.0)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let major = if set { crate::flt::io::IRP_MJ_SET_INFORMATION } else { crate::flt::io::IRP_MJ_QUERY_INFORMATION };
    if crate::flt::ops::watched(k, major) {
        let (st, n) = crate::flt::io::information(k, 0, fo, info.0, length, class, set)?;
        super::open::io_status(k, iosb, st, n)?;
        return Ok(st);
    }
    if set {
        set_information(k, fo, node, access, iosb, info, length, class)
    } else {
        query_information(k, fo, node, access, iosb, info, length, class)
    }
}

/// ZwQueryInformationFile's work on the file object `fo` of `node`, opened with `access`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn query_information(
    k: &mut Kx,
    fo: u64,
    node: usize,
    access: u32,
    iosb: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
) -> KResult<NtStatus> {
    let arch = k.arch();
    let vol = &k.ext().volume;
    let n = vol.node(node).clone();
    let path = utf16(&vol.path_of(node));
    let options = super::open_of(k, fo).map_or(0, |o| o.options);
    let position = k.mem().get(fo, FILE_OBJECT::CurrentByteOffset)?;
    let mut o = Out::new(arch);
    let fixed = match class {
        FILE_BASIC_INFORMATION => {
            basic(&mut o, &n);
            40
        }
        FILE_STANDARD_INFORMATION => {
            standard(&mut o, &n);
            24
        }
        FILE_INTERNAL_INFORMATION => {
            o.u64(node as u64);
            8
        }
        FILE_EA_INFORMATION => {
            o.u32(0);
            4
        }
        FILE_ACCESS_INFORMATION => {
            o.u32(access);
            4
        }
        FILE_NAME_INFORMATION => {
            o.u32(path.len() as u32).bytes.extend(&path);
            8
        }
        FILE_POSITION_INFORMATION => {
            o.u64(position);
            8
        }
        FILE_MODE_INFORMATION => {
            o.u32(options & 0x103E); // the FILE_*_THROUGH/SEQUENTIAL/SYNCHRONOUS/DELETE_ON_CLOSE bits
            4
        }
        FILE_ALIGNMENT_INFORMATION => {
            o.u32(0);
            4
        }
        FILE_ALL_INFORMATION => {
            basic(&mut o, &n);
            standard(&mut o, &n);
            o.u64(node as u64).u32(0).u32(access).u64(position).u32(options & 0x103E).u32(0);
            o.u32(path.len() as u32).bytes.extend(&path);
            0x68
        }
        FILE_NETWORK_OPEN_INFORMATION => {
            network_open(&mut o, &n);
            56
        }
        FILE_ATTRIBUTE_TAG_INFORMATION => {
            o.u32(n.attributes).u32(0);
            8
        }
        _ => return Ok(status::INVALID_INFO_CLASS),
    };
    deliver(k, &o.bytes, fixed, info, length, iosb)
}

/// Resolves a rename's target to a volume path: a bare name stays in the file's directory,
/// a name relative to RootDirectory goes under it, a full path must lead to this volume.
fn rename_target(k: &Kx, node: usize, root: u64, name: &str) -> Result<String, NtStatus> {
    let vol = &k.ext().volume;
    if root != 0 {
        let Some((dir_fo, _, _)) = crate::ob::handles::lookup(k, root, Mode::Kernel).ok().flatten() else {
            return Err(status::INVALID_HANDLE);
        };
        let Some(o) = super::open_of(k, dir_fo) else { return Err(NOT_SAME_DEVICE) };
        return Ok(format!("{}\\{name}", vol.path_of(o.node).trim_end_matches('\\')));
    }
    if !name.starts_with('\\') {
        let parent = vol.node(node).parent.unwrap_or(0);
        return Ok(format!("{}\\{name}", vol.path_of(parent).trim_end_matches('\\')));
    }
    let (object, rest) = k.ext().objects.lookup_path(name, true).map_err(|_| status::OBJECT_PATH_NOT_FOUND)?;
    if object != vol.device {
        return Err(NOT_SAME_DEVICE);
    }
    Ok(rest)
}

fn rename(k: &mut Kx, node: usize, access: u32, info: Ptr, length: u32) -> KResult<NtStatus> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    if access & DELETE == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    if (length as u64) < 2 * ps + 4 {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let mem = k.mem();
    let replace = mem.read_u8(info.0)? != 0;
    let root = mem.read_ptr(info.0 + ps)?;
    let name_len = mem.read_u32(info.0 + 2 * ps)? as u64;
    let name_at = info.0 + 2 * ps + 4;
    if name_len & 1 != 0 || name_len > length as u64 || name_len == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let name = crate::rtl::string::read_counted(mem, name_at, name_len as usize)?;
    let name =
        String::from_utf16_lossy(&name.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>());
    let target = match rename_target(k, node, root, &name) {
        Ok(t) => t,
        Err(st) => return Ok(st),
    };
    let (dir, last) = match target.trim_end_matches('\\').rfind('\\') {
        Some(i) => (target[..i].to_string(), target[i + 1..].to_string()),
        None => return Ok(status::OBJECT_NAME_INVALID),
    };
    if !super::valid_name(&last) {
        return Ok(status::OBJECT_NAME_INVALID);
    }
    let vol = &k.ext().volume;
    let parent = match vol.find(&dir) {
        Ok(p) if vol.node(p).directory => p,
        _ => return Ok(status::OBJECT_PATH_NOT_FOUND),
    };
    let from = vol.path_of(node);
    if let Some(existing) = vol.child(parent, &last).filter(|e| *e != node) {
        if !replace {
            return Ok(status::OBJECT_NAME_COLLISION);
        }
        if vol.node(existing).directory || !vol.node(existing).opens.is_empty() {
            return Ok(status::ACCESS_DENIED);
        }
        k.ext_mut().volume.remove(existing);
    }
    let time = crate::ke::time::system_time(k);
    let vol = &mut k.ext_mut().volume;
    vol.rename(node, parent, &last);
    vol.node_mut(node).changed = time;
    let path = vol.path_of(node);
    let size = vol.node(node).data.len() as u64;
    let at = caller(k);
    super::record(
        k,
        FileChange { operation: "rename", path, from: Some(from), offset: None, length: None, size, caller: at },
    );
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
/// PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass):
/// times and attributes, position, end of file and allocation (truncating or extending
/// with zeros), deletion on close, rename.
pub fn ZwSetInformationFile(
    k: &mut Kx,
    handle: HANDLE,
    iosb: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
) -> KResult<NtStatus> {
    information_request(k, handle, iosb, info, length, class, true)
}

/// ZwSetInformationFile's work on the file object `fo` of `node`, opened with `access`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn set_information(
    k: &mut Kx,
    fo: u64,
    node: usize,
    access: u32,
    iosb: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
) -> KResult<NtStatus> {
    let need = match class {
        FILE_BASIC_INFORMATION => 40,
        FILE_DISPOSITION_INFORMATION => 1,
        FILE_POSITION_INFORMATION | FILE_ALLOCATION_INFORMATION | FILE_END_OF_FILE_INFORMATION => 8,
        FILE_RENAME_INFORMATION => 0,
        _ => return Ok(status::INVALID_INFO_CLASS),
    };
    if length < need {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let time = crate::ke::time::system_time(k);
    let at = caller(k);
    let st = match class {
        FILE_BASIC_INFORMATION => {
            if access & FILE_WRITE_ATTRIBUTES == 0 {
                return Ok(status::ACCESS_DENIED);
            }
            let mut b = [0u8; 40];
            k.mem().read(info.0, &mut b)?;
            let t = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
            let attrs = u32::from_le_bytes(b[32..36].try_into().expect("4 bytes"));
            let vol = &mut k.ext_mut().volume;
            let n = vol.node_mut(node);
            // 0 leaves a time as it is; -1 stops its updates (it is left as it is too).
            for (i, field) in [&mut n.created, &mut n.accessed, &mut n.written, &mut n.changed].into_iter().enumerate()
            {
                if t(i) != 0 && t(i) != u64::MAX {
                    *field = t(i);
                }
            }
            if attrs != 0 {
                n.attributes = (attrs & !FILE_ATTRIBUTE_DIRECTORY) | (n.attributes & FILE_ATTRIBUTE_DIRECTORY);
                let path = vol.path_of(node);
                let size = vol.node(node).data.len() as u64;
                super::record(
                    k,
                    FileChange {
                        operation: "set_attributes",
                        path,
                        from: None,
                        offset: None,
                        length: None,
                        size,
                        caller: at,
                    },
                );
            }
            status::SUCCESS
        }
        FILE_DISPOSITION_INFORMATION => {
            let delete = k.mem().read_u8(info.0)? != 0;
            let vol = &k.ext().volume;
            let n = vol.node(node);
            if access & DELETE == 0 {
                status::ACCESS_DENIED
            } else if delete && (n.attributes & FILE_ATTRIBUTE_READONLY != 0 || n.image_in_use) {
                status::CANNOT_DELETE
            } else if delete && n.directory && !vol.children(node).is_empty() {
                status::DIRECTORY_NOT_EMPTY
            } else {
                k.ext_mut().volume.node_mut(node).delete_pending = delete;
                k.mem_mut().set(fo, FILE_OBJECT::DeletePending, delete as u64)?;
                status::SUCCESS
            }
        }
        FILE_POSITION_INFORMATION => {
            let offset = k.mem().read_u64(info.0)?;
            if offset >> 63 != 0 {
                status::INVALID_PARAMETER
            } else {
                k.mem_mut().set(fo, FILE_OBJECT::CurrentByteOffset, offset)?;
                status::SUCCESS
            }
        }
        FILE_ALLOCATION_INFORMATION | FILE_END_OF_FILE_INFORMATION => {
            let size = k.mem().read_u64(info.0)?;
            let current = k.ext().volume.node(node).data.len() as u64;
            if access & (FILE_WRITE_DATA | FILE_APPEND_DATA) == 0 {
                status::ACCESS_DENIED
            } else if k.ext().volume.node(node).directory {
                status::INVALID_PARAMETER
            } else if size > super::MAX_FILE {
                status::DISK_FULL
            } else if class == FILE_ALLOCATION_INFORMATION && size >= current {
                // More allocation than data: the end of file stays.
                status::SUCCESS
            } else {
                let vol = &mut k.ext_mut().volume;
                let n = vol.node_mut(node);
                n.data.resize(size as usize, 0);
                n.written = time;
                let path = vol.path_of(node);
                super::record(
                    k,
                    FileChange {
                        operation: "truncate",
                        path,
                        from: None,
                        offset: None,
                        length: None,
                        size,
                        caller: at,
                    },
                );
                status::SUCCESS
            }
        }
        _ => rename(k, node, access, info, length)?,
    };
    if st.is_success() {
        io_status(k, iosb, st, 0)?;
    }
    Ok(st)
}

/// NTSTATUS ZwQueryVolumeInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
/// PVOID FsInformation, ULONG Length, FS_INFORMATION_CLASS FsInformationClass): the NTFS
/// volume C: of 64 GiB in 4 KiB clusters.
pub fn ZwQueryVolumeInformationFile(
    k: &mut Kx,
    handle: HANDLE,
    iosb: Ptr,
    info: Ptr,
    length: u32,
    class: u32,
) -> KResult<NtStatus> {
    if let Err(st) = volume_file(k, handle.0)? {
        return Ok(st);
    }
    let (st, n) = volume_information(k, info, length, class)?;
    if st.is_success() || st == status::BUFFER_OVERFLOW {
        io_status(k, iosb, st, n)?;
    }
    Ok(st)
}

/// The volume's information of `class` into `info` (`length` bytes): (status, bytes written).
fn volume_information(k: &mut Kx, info: Ptr, length: u32, class: u32) -> KResult<(NtStatus, u64)> {
    let used: u64 = (0..k.ext().volume.nodes_len())
        .map(|i| k.ext().volume.node(i))
        .filter(|n| !n.deleted)
        .map(|n| (n.data.len() as u64).div_ceil(CLUSTER))
        .sum();
    let free = VOLUME_CLUSTERS - used.min(VOLUME_CLUSTERS);
    let mut o = Out::new(k.arch());
    let fixed = match class {
        1 => {
            // FileFsVolumeInformation: creation time, serial, label length, SupportsObjects.
            o.u64(crate::ps::BOOT_SYSTEM_TIME).u32(0x5054_434C).u32(0).u8(1).u8(0);
            0x18
        }
        3 => {
            o.u64(VOLUME_CLUSTERS).u64(free).u32(8).u32(512);
            24
        }
        4 => {
            o.u32(7).u32(0x20); // FILE_DEVICE_DISK, FILE_DEVICE_IS_MOUNTED
            8
        }
        5 => {
            let name = utf16("NTFS");
            o.u32(0x0007_00FF).u32(255).u32(name.len() as u32).bytes.extend(name);
            0x10
        }
        7 => {
            o.u64(VOLUME_CLUSTERS).u64(free).u64(free).u32(8).u32(512);
            32
        }
        _ => return Ok((status::INVALID_INFO_CLASS, 0)),
    };
    written(k, &o.bytes, fixed, info, length)
}

/// `deliver` without an IO_STATUS_BLOCK: (status, bytes written).
fn written(k: &mut Kx, bytes: &[u8], fixed: usize, buffer: Ptr, length: u32) -> KResult<(NtStatus, u64)> {
    if (length as usize) < fixed {
        return Ok((status::INFO_LENGTH_MISMATCH, 0));
    }
    let n = bytes.len().min(length as usize);
    k.mem_mut().write(buffer.0, &bytes[..n])?;
    Ok((if n < bytes.len() { status::BUFFER_OVERFLOW } else { status::SUCCESS }, n as u64))
}

/// Writes the bytes a request returned to `returned` (ULONG) when it succeeded or overflowed.
fn returned_length(k: &mut Kx, returned: Ptr, st: NtStatus, n: u64) -> KResult<()> {
    if st.is_success() || st == status::BUFFER_OVERFLOW {
        k.mem_mut().write_u32(returned.0, n as u32)?;
    }
    Ok(())
}

/// NTSTATUS IoQueryFileInformation(PFILE_OBJECT FileObject, FILE_INFORMATION_CLASS
/// FileInformationClass, ULONG Length, PVOID FileInformation, PULONG ReturnedLength): the
/// query ZwQueryInformationFile makes, on a file object (through the minifilters, as the
/// IRP would go). A file object of another driver's device is STATUS_INVALID_DEVICE_REQUEST
/// (the I/O manager sends no IRP there: fs/rw.rs).
pub fn IoQueryFileInformation(
    k: &mut Kx,
    fo: Ptr,
    class: u32,
    length: u32,
    info: Ptr,
    returned: Ptr,
) -> KResult<NtStatus> {
    let (st, n) = crate::flt::io::information(k, 0, fo.0, info.0, length, class, false)?;
    returned_length(k, returned, st, n)?;
    Ok(st)
}

/// NTSTATUS IoQueryVolumeInformation(PFILE_OBJECT FileObject, FS_INFORMATION_CLASS
/// FsInformationClass, ULONG Length, PVOID FsInformation, PULONG ReturnedLength): the volume
/// of a file object on it, as ZwQueryVolumeInformationFile answers.
pub fn IoQueryVolumeInformation(
    k: &mut Kx,
    fo: Ptr,
    class: u32,
    length: u32,
    info: Ptr,
    returned: Ptr,
) -> KResult<NtStatus> {
    if super::open_of(k, fo.0).is_none() {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let (st, n) = volume_information(k, info, length, class)?;
    returned_length(k, returned, st, n)?;
    Ok(st)
}

/// NTSTATUS FsRtlGetFileSize(PFILE_OBJECT FileObject, PLARGE_INTEGER FileSize)
pub fn FsRtlGetFileSize(k: &mut Kx, file_object: Ptr, size: Ptr) -> KResult<NtStatus> {
    let Some(node) = super::open_of(k, file_object.0).map(|o| o.node) else {
        return Ok(status::INVALID_DEVICE_REQUEST);
    };
    let n = k.ext().volume.node(node);
    if n.directory {
        return Ok(status::FILE_IS_A_DIRECTORY);
    }
    let len = n.data.len() as u64;
    k.mem_mut().write_u64(size.0, len)?;
    Ok(status::SUCCESS)
}
