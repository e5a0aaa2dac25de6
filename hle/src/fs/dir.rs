//! Directory listings: `ZwQueryDirectoryFile`.
#![allow(non_snake_case)]

use super::open::io_status;
use super::rw::volume_file;
use crate::kernel::{KResult, Kx};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, Boolean, NtStatus, PUnicodeString, Ptr, HANDLE};
use crate::zw::Out;

/// FILE_INFORMATION_CLASS values of directory entries, and where each entry's name starts.
fn name_offset(class: u32) -> Option<usize> {
    Some(match class {
        1 => 0x40,  // FileDirectoryInformation
        2 => 0x44,  // FileFullDirectoryInformation
        3 => 0x5E,  // FileBothDirectoryInformation
        12 => 0x0C, // FileNamesInformation
        37 => 0x68, // FileIdBothDirectoryInformation
        38 => 0x50, // FileIdFullDirectoryInformation
        _ => return None,
    })
}

/// Whether `name` matches `pattern` (`*` any run, `?` one character), ignoring case.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_uppercase().chars().collect();
    let n: Vec<char> = name.to_uppercase().chars().collect();
    // Dynamic programming over (pattern, name) prefixes: no backtracking blow-up.
    let mut row = vec![false; n.len() + 1];
    row[0] = true;
    for pc in &p {
        let mut next = vec![false; n.len() + 1];
        if *pc == '*' {
            let mut any = false;
            for j in 0..=n.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 1..=n.len() {
                next[j] = row[j - 1] && (*pc == '?' || *pc == n[j - 1]);
            }
        }
        row = next;
    }
    row[n.len()]
}

/// One entry of class `class`.
fn entry(class: u32, index: u32, name: &str, n: &super::Node, id: u64) -> Vec<u8> {
    let name16: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let mut o = Out::new(portcullis_emu::Arch::X64);
    o.u32(0).u32(index);
    if class == 12 {
        o.u32(name16.len() as u32);
    } else {
        let size = n.data.len() as u64;
        o.u64(n.created).u64(n.accessed).u64(n.written).u64(n.changed);
        o.u64(size).u64(size.div_ceil(4096) * 4096).u32(n.attributes).u32(name16.len() as u32);
        if class != 1 {
            o.u32(0); // EaSize
        }
        if matches!(class, 3 | 37) {
            o.u8(0).u8(0); // ShortNameLength, reserved
            o.bytes.extend([0u8; 24]); // ShortName
        }
        if class == 37 {
            o.u16(0).u64(id);
        }
        if class == 38 {
            o.u32(0).u64(id);
        }
    }
    o.bytes.extend(name16);
    o.bytes
}

/// NTSTATUS ZwQueryDirectoryFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
/// PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation, ULONG Length,
/// FILE_INFORMATION_CLASS FileInformationClass, BOOLEAN ReturnSingleEntry,
/// PUNICODE_STRING FileName, BOOLEAN RestartScan)
///
/// Lists a directory (".", ".." unless it is the root, then its entries in name order) from
/// where the last call on this file object stopped; the pattern (`*`, `?`) given on the first
/// call, or with RestartScan, holds for the whole listing. STATUS_NO_SUCH_FILE when nothing
/// matches, STATUS_NO_MORE_FILES when the listing is done, STATUS_BUFFER_OVERFLOW (the name
/// cut) when not even one entry fits.
pub fn ZwQueryDirectoryFile(
    k: &mut Kx,
    handle: HANDLE,
    _event: HANDLE,
    _apc: Ptr,
    _apc_context: Ptr,
    iosb: Ptr,
    buffer: Ptr,
    length: u32,
    class: u32,
    single: Boolean,
    file_name: PUnicodeString,
    restart: Boolean,
) -> KResult<NtStatus> {
    let (fo, node, _) = match volume_file(k, handle.0)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let Some(name_at) = name_offset(class) else { return Ok(status::INVALID_INFO_CLASS) };
    if !k.ext().volume.node(node).directory {
        return Ok(status::INVALID_PARAMETER);
    }
    if (length as usize) < name_at {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let open = super::open_of(k, fo).cloned().expect("a volume file");
    let first_call = open.scan.is_none() || restart.0;
    let pattern = if first_call {
        let p = if file_name.0 == 0 { String::new() } else { read_unicode_string(k, file_name.0)? };
        if p.is_empty() {
            "*".to_string()
        } else {
            p
        }
    } else {
        open.pattern.clone().unwrap_or_else(|| "*".into())
    };
    let start = if first_call { 0 } else { open.scan.unwrap_or(0) };
    let vol = &k.ext().volume;
    let mut all: Vec<(String, usize)> = Vec::new();
    if vol.node(node).parent.is_some() {
        all.push((".".into(), node));
        all.push(("..".into(), vol.node(node).parent.unwrap_or(0)));
    }
    all.extend(vol.children(node).into_iter().map(|c| (vol.node(c).name.clone(), c)));
    let mut out: Vec<u8> = Vec::new();
    let mut last_entry = None;
    let mut position = start;
    let mut any = false;
    let mut st = status::SUCCESS;
    while position < all.len() {
        let (name, id) = &all[position];
        if !matches(&pattern, name) {
            position += 1;
            continue;
        }
        any = true;
        let e = entry(class, position as u32, name, vol.node(*id), *id as u64);
        let at = out.len().div_ceil(8) * 8;
        if at + e.len() > length as usize {
            if out.is_empty() {
                // Not even one entry: as much of it as fits.
                out = e[..length as usize].to_vec();
                st = status::BUFFER_OVERFLOW;
            }
            break;
        }
        if let Some(prev) = last_entry {
            let next = (at - prev) as u32;
            out[prev..prev + 4].copy_from_slice(&next.to_le_bytes());
        }
        out.resize(at, 0);
        out.extend(e);
        last_entry = Some(at);
        position += 1;
        if single.0 {
            break;
        }
    }
    if out.is_empty() {
        let st = if first_call && !any { status::NO_SUCH_FILE } else { status::NO_MORE_FILES };
        if let Some(o) = k.ext_mut().volume.opens.get_mut(&fo) {
            o.scan = Some(position);
            o.pattern = Some(pattern);
        }
        io_status(k, iosb, st, 0)?;
        return Ok(st);
    }
    k.mem_mut().write(buffer.0, &out)?;
    if let Some(o) = k.ext_mut().volume.opens.get_mut(&fo) {
        o.scan = Some(position);
        o.pattern = Some(pattern);
    }
    io_status(k, iosb, st, out.len() as u64)?;
    Ok(st)
}
