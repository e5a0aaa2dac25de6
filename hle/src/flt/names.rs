//! File names as minifilters ask for them: FLT_FILE_NAME_INFORMATION blocks holding the
//! volume's device name and the file's path (`\Device\HarddiskVolume1\dir\file.ext`),
//! normalized (the case the volume keeps for components that exist), opened (as the open
//! named it) or short (the final component's 8.3 form); FltParseFileNameInformation splits
//! it. A block is referenced: FltReleaseFileNameInformation drops a reference, the last frees it.
#![allow(non_snake_case)]

use super::layout::{size, FLT_CALLBACK_DATA as CBD, FLT_FILE_NAME_INFORMATION as NI, FLT_IO_PARAMETER_BLOCK as IOPB};
use super::st;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT, UNICODE_STRING};
use crate::types::{status, NtStatus, Ptr};

const NORMALIZED: u32 = 1;
const OPENED: u32 = 2;
const SHORT: u32 = 3;
const QUERY_CACHE_ONLY: u32 = 0x200;
const NOT_SAME_DEVICE: NtStatus = NtStatus(0xC000_00D4);
/// FLTFL_FILE_NAME_PARSED_*.
const PARSED_FINAL_COMPONENT: u64 = 1;
const PARSED_EXTENSION: u64 = 2;
const PARSED_STREAM: u64 = 4;
const PARSED_PARENT_DIR: u64 = 8;

/// The path on the volume a file object names (its FileName, relative to its related file
/// object when it has one).
fn opened_path(k: &Kx, fo: u64) -> KResult<String> {
    let arch = k.arch();
    let name = crate::rtl::unicode::read_unicode_string(k, FILE_OBJECT::FileName.at(arch, fo))?;
    if let Some(o) = crate::fs::open_of(k, fo) {
        if name.is_empty() {
            return Ok(k.ext().volume.path_of(o.node));
        }
    }
    Ok(if name.starts_with('\\') { name } else { format!("\\{name}") })
}

/// `path` with each existing component in the case the volume keeps.
fn normalized(k: &Kx, path: &str) -> String {
    let vol = &k.ext().volume;
    let mut at = Some(0usize);
    let mut out = String::new();
    for part in path.split('\\').filter(|p| !p.is_empty()) {
        let found = at.and_then(|d| vol.child(d, part));
        out.push('\\');
        match found {
            Some(c) => out.push_str(&vol.node(c).name),
            None => out.push_str(part),
        }
        at = found;
    }
    if out.is_empty() {
        out.push('\\');
    }
    out
}

/// The 8.3 form of a name: itself when it fits, else six characters, `~1` and three of the
/// extension, upper case.
fn short_name(name: &str) -> String {
    let upper = name.to_uppercase();
    let (base, ext) = match upper.rfind('.') {
        Some(i) => (&upper[..i], &upper[i + 1..]),
        None => (upper.as_str(), ""),
    };
    let fits = |s: &str, n: usize| s.chars().count() <= n && !s.contains([' ', '.', '+', ',', ';', '=', '[', ']']);
    if !base.is_empty() && fits(base, 8) && fits(ext, 3) {
        return upper;
    }
    let clean = |s: &str, n: usize| s.chars().filter(|c| c.is_ascii_alphanumeric()).take(n).collect::<String>();
    let b = clean(base, 6);
    let e = clean(ext, 3);
    if e.is_empty() {
        format!("{b}~1")
    } else {
        format!("{b}~1.{e}")
    }
}

/// Writes a UNICODE_STRING at `at` for `units` UTF-16 units at `buffer`.
fn counted(k: &mut Kx, at: u64, buffer: u64, units: usize) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(at, UNICODE_STRING::Length, units as u64 * 2)?;
    mem.set(at, UNICODE_STRING::MaximumLength, units as u64 * 2)?;
    mem.set(at, UNICODE_STRING::Buffer, if units == 0 { 0 } else { buffer })?;
    Ok(())
}

/// Builds a name information block for `fo` in `format`; `instance` owns it.
fn build(k: &mut Kx, instance: u64, fo: u64, options: u32, out: u64) -> KResult<NtStatus> {
    let format = options & 0xFF;
    if !(NORMALIZED..=SHORT).contains(&format) {
        return Ok(status::INVALID_PARAMETER);
    }
    if crate::fs::open_of(k, fo).is_none() && k.mem().get(fo, FILE_OBJECT::DeviceObject)? != k.ext().volume.device {
        return Ok(st::FLT_INVALID_NAME_REQUEST);
    }
    if options & 0xFF00 == QUERY_CACHE_ONLY && !k.ext().flt.cached_names.contains(&fo) {
        return Ok(st::FLT_NAME_CACHE_MISS);
    }
    let opened = opened_path(k, fo)?;
    let r = build_path(k, instance, &opened, options, out)?;
    if r.is_success() {
        k.ext_mut().flt.cached_names.insert(fo);
    }
    Ok(r)
}

/// Builds a name information block for the volume path `opened` in the format `options` asks.
fn build_path(k: &mut Kx, instance: u64, opened: &str, options: u32, out: u64) -> KResult<NtStatus> {
    let format = options & 0xFF;
    if !(NORMALIZED..=SHORT).contains(&format) {
        return Ok(status::INVALID_PARAMETER);
    }
    let opened = opened.to_string();
    let text = match format {
        SHORT => short_name(opened.rsplit('\\').next().unwrap_or_default()),
        NORMALIZED => format!("{}{}", crate::fs::VOLUME, normalized(k, &opened)),
        OPENED => format!("{}{}", crate::fs::VOLUME, opened),
        _ => unreachable!("checked above"),
    };
    let arch = k.arch();
    let head = size(NI::SIZE, arch);
    let units: Vec<u16> = text.encode_utf16().collect();
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let owner = super::filter_of(k, instance).map(|f| super::owner_of(k, f)).unwrap_or(crate::ob::Owner::Kernel);
    let at = caller(k);
    let tag = u32::from_le_bytes(*b"FMfn");
    let Some(p) = crate::ex::pool::allocate(
        k,
        crate::ex::pool::NON_PAGED_POOL_NX,
        head + bytes.len() as u64 + 2,
        tag,
        owner,
        at,
    )?
    else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    crate::ex::pool::zero(k, p, head)?;
    let buffer = p + head;
    k.mem_mut().write(buffer, &bytes)?;
    k.mem_mut().write(buffer + bytes.len() as u64, &[0, 0])?;
    k.mem_mut().set(p, NI::Size, head)?;
    k.mem_mut().set(p, NI::Format, options as u64)?;
    counted(k, NI::Name.at(arch, p), buffer, units.len())?;
    if format != SHORT {
        let volume_units = crate::fs::VOLUME.encode_utf16().count();
        counted(k, NI::Volume.at(arch, p), buffer, volume_units)?;
    }
    k.ext_mut().flt.names.insert(p, 1);
    k.mem_mut().write_ptr(out, p)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetFileNameInformation(PFLT_CALLBACK_DATA CallbackData,
/// FLT_FILE_NAME_OPTIONS NameOptions, PFLT_FILE_NAME_INFORMATION *FileNameInformation)
pub fn FltGetFileNameInformation(k: &mut Kx, data: Ptr, options: u32, out: Ptr) -> KResult<NtStatus> {
    let iopb = k.mem().get(data.0, CBD::Iopb)?;
    let fo = k.mem().get(iopb, IOPB::TargetFileObject)?;
    let instance = k.mem().get(iopb, IOPB::TargetInstance)?;
    build(k, instance, fo, options, out.0)
}

/// NTSTATUS FltGetFileNameInformationUnsafe(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance,
/// FLT_FILE_NAME_OPTIONS NameOptions, PFLT_FILE_NAME_INFORMATION *FileNameInformation)
pub fn FltGetFileNameInformationUnsafe(
    k: &mut Kx,
    fo: Ptr,
    instance: Ptr,
    options: u32,
    out: Ptr,
) -> KResult<NtStatus> {
    build(k, instance.0, fo.0, options, out.0)
}

/// VOID FltReleaseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
pub fn FltReleaseFileNameInformation(k: &mut Kx, info: Ptr) -> KResult<()> {
    let Some(r) = k.ext_mut().flt.names.get_mut(&info.0) else { return Ok(()) };
    *r -= 1;
    if *r > 0 {
        return Ok(());
    }
    k.ext_mut().flt.names.remove(&info.0);
    crate::ex::pool::free(k, info.0, None, 0)
}

/// VOID FltReferenceFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
pub fn FltReferenceFileNameInformation(k: &mut Kx, info: Ptr) -> KResult<()> {
    if let Some(r) = k.ext_mut().flt.names.get_mut(&info.0) {
        *r += 1;
    }
    Ok(())
}

/// NTSTATUS FltParseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation):
/// fills Extension, Stream, FinalComponent and ParentDir from Name, as substrings of it.
pub fn FltParseFileNameInformation(k: &mut Kx, info: Ptr) -> KResult<NtStatus> {
    let arch = k.arch();
    let p = info.0;
    let name_at = NI::Name.at(arch, p);
    let buffer = k.mem().get(name_at, UNICODE_STRING::Buffer)?;
    let len = k.mem().get(name_at, UNICODE_STRING::Length)? as usize / 2;
    let mut raw = vec![0u8; len * 2];
    k.mem().read(buffer, &mut raw)?;
    let units: Vec<u16> = raw.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    let format = k.mem().get(p, NI::Format)? as u32 & 0xFF;
    let volume_units = k.mem().get(NI::Volume.at(arch, p), UNICODE_STRING::Length)? as usize / 2;
    let slash = units.iter().rposition(|&u| u == b'\\' as u16);
    let final_start = if format == SHORT { 0 } else { slash.map(|i| i + 1).unwrap_or(0) };
    let stream = units[final_start..].iter().position(|&u| u == b':' as u16).map(|i| final_start + i);
    let final_end = stream.unwrap_or(units.len());
    let dot = units[final_start..final_end].iter().rposition(|&u| u == b'.' as u16).map(|i| final_start + i + 1);
    let at = |i: usize| buffer + 2 * i as u64;
    let mut parsed = PARSED_FINAL_COMPONENT | PARSED_EXTENSION | PARSED_STREAM;
    counted(k, NI::FinalComponent.at(arch, p), at(final_start), units.len() - final_start)?;
    match dot {
        Some(d) => counted(k, NI::Extension.at(arch, p), at(d), final_end - d)?,
        None => counted(k, NI::Extension.at(arch, p), 0, 0)?,
    }
    match stream {
        Some(s) => counted(k, NI::Stream.at(arch, p), at(s), units.len() - s)?,
        None => counted(k, NI::Stream.at(arch, p), 0, 0)?,
    }
    if format != SHORT && volume_units <= final_start {
        counted(k, NI::ParentDir.at(arch, p), at(volume_units), final_start - volume_units)?;
        parsed |= PARSED_PARENT_DIR;
    }
    let old = k.mem().get(p, NI::NamesParsed)?;
    k.mem_mut().set(p, NI::NamesParsed, old | parsed)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetDestinationFileNameInformation(PFLT_INSTANCE Instance, PFILE_OBJECT
/// FileObject, HANDLE RootDirectory, PWSTR FileName, ULONG FileNameLength,
/// FLT_FILE_NAME_OPTIONS NameOptions, PFLT_FILE_NAME_INFORMATION *RetFileNameInformation): the
/// name a rename or link of `FileObject` to FileName would give it: a full path, a path
/// relative to RootDirectory, or a name in the file's own directory.
#[allow(clippy::too_many_arguments)]
pub fn FltGetDestinationFileNameInformation(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    root: crate::types::HANDLE,
    name: Ptr,
    length: u32,
    options: u32,
    out: Ptr,
) -> KResult<NtStatus> {
    let Some(open) = crate::fs::open_of(k, fo.0).cloned() else { return Ok(st::FLT_INVALID_NAME_REQUEST) };
    if !length.is_multiple_of(2) || length > 0xFFFE {
        return Ok(status::OBJECT_NAME_INVALID);
    }
    let mut raw = vec![0u8; length as usize];
    k.mem().read(name.0, &mut raw)?;
    let given = String::from_utf16_lossy(&raw.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>());
    let path = if root.0 != 0 {
        let Some((object, _, _)) = crate::ob::handles::lookup(k, root.0, crate::ob::handles::Mode::Kernel)? else {
            return Ok(status::INVALID_HANDLE);
        };
        let Some(r) = crate::fs::open_of(k, object) else { return Ok(NOT_SAME_DEVICE) };
        let base = k.ext().volume.path_of(r.node);
        format!("{}\\{given}", base.trim_end_matches('\\'))
    } else if given.starts_with('\\') {
        let upper = given.to_ascii_uppercase();
        let on_volume =
            ["\\??\\C:", "\\DOSDEVICES\\C:", "\\DEVICE\\HARDDISKVOLUME1"].iter().any(|p| upper.starts_with(p));
        match crate::fs::volume_path(&given) {
            Some(p) if on_volume => p,
            _ => return Ok(NOT_SAME_DEVICE),
        }
    } else {
        let current = k.ext().volume.path_of(open.node);
        let parent = current.rsplit_once('\\').map(|(p, _)| p).unwrap_or("");
        format!("{parent}\\{given}")
    };
    build_path(k, instance.0, &path, options, out.0)
}

/// NTSTATUS FltGetTunneledName(PFLT_CALLBACK_DATA CallbackData, PFLT_FILE_NAME_INFORMATION
/// FileNameInformation, PFLT_FILE_NAME_INFORMATION *RetTunneledFileNameInformation): the
/// volume keeps no tunnel cache of short names, so no name was tunneled: NULL.
pub fn FltGetTunneledName(k: &mut Kx, _data: Ptr, _info: Ptr, out: Ptr) -> KResult<NtStatus> {
    k.mem_mut().write_ptr(out.0, 0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltCheckAndGrowNameControl(PFLT_NAME_CONTROL NameCtrl, USHORT NewSize): makes sure
/// NameCtrl->Name (the public part of FLT_NAME_CONTROL, a UNICODE_STRING) can hold NewSize
/// bytes: a smaller buffer is replaced by one of NewSize bytes from the Filter Manager's pool,
/// holding the Length bytes the old one had; an old buffer the Filter Manager gave is freed.
/// STATUS_INSUFFICIENT_RESOURCES when pool runs out.
pub fn FltCheckAndGrowNameControl(k: &mut Kx, control: Ptr, new_size: u16) -> KResult<NtStatus> {
    let max = k.mem().get(control.0, UNICODE_STRING::MaximumLength)?;
    if u64::from(new_size) <= max {
        return Ok(status::SUCCESS);
    }
    let length = k.mem().get(control.0, UNICODE_STRING::Length)?.min(u64::from(new_size));
    let old = k.mem().get(control.0, UNICODE_STRING::Buffer)?;
    let mut kept = vec![0u8; length as usize];
    k.mem().read(old, &mut kept)?;
    let at = caller(k);
    let tag = u32::from_le_bytes(*b"FMnc");
    let pool = crate::ex::pool::NON_PAGED_POOL_NX;
    let owner = crate::ob::Owner::Kernel;
    let Some(p) = crate::ex::pool::allocate(k, pool, u64::from(new_size), tag, owner, at)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    k.mem_mut().write(p, &kept)?;
    let mem = k.mem_mut();
    mem.set(control.0, UNICODE_STRING::Buffer, p)?;
    mem.set(control.0, UNICODE_STRING::MaximumLength, u64::from(new_size))?;
    mem.set(control.0, UNICODE_STRING::Length, length)?;
    let s = &mut k.ext_mut().flt.name_buffers;
    s.insert(p);
    if s.remove(&old) {
        crate::ex::pool::free(k, old, None, 0)?;
    }
    Ok(status::SUCCESS)
}
