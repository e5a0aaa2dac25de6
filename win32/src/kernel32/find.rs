//! Directory searches: FindFirstFileA/W, FindFirstFileExA/W, FindNextFileA/W, FindClose,
//! over the C: volume (`hle::fs`).
//!
//! A search lists the directory its path names — "." and ".." first unless it is the root,
//! then its entries in name order — keeping those whose names match the last part of the path
//! (`*` and `?`, without regard to case; `*.*` is everything, as on Windows). The entries are
//! taken when the search begins: a file made meanwhile does not appear. No 8.3 names exist
//! on the volume, so cAlternateFileName is empty. Paths other than the volume's are
//! ERROR_PATH_NOT_FOUND.
#![allow(non_snake_case, clippy::too_many_arguments)]

use portcullis_hle::fs::{volume_path, Node};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{Ptr, HANDLE, PCSTR, PCWSTR};

use crate::error::{
    ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE, ERROR_INVALID_NAME, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED,
    ERROR_NO_MORE_FILES, ERROR_PATH_NOT_FOUND,
};
use crate::kernel32::thread::set_last_error;
use crate::process::Object;
use crate::strings::string_arg;
use crate::table::BOOL;

const MAX_PATH_CHARS: usize = 32_767;
/// WIN32_FIND_DATA's fixed part, then cFileName[260] and cAlternateFileName[14].
const FIXED: usize = 44;
const NAME_CHARS: usize = 260;
const SHORT_CHARS: usize = 14;

/// FINDEX_INFO_LEVELS (FindExInfoStandard 0, FindExInfoBasic 1: the same here, the short
/// name being empty either way) and FINDEX_SEARCH_OPS (FindExSearchNameMatch 0).
const FIND_EX_INFO_BASIC: u32 = 1;
const FIND_EX_SEARCH_LIMIT_TO_DIRECTORIES: u32 = 1;
/// FindFirstFileEx's dwAdditionalFlags: FIND_FIRST_EX_CASE_SENSITIVE, _LARGE_FETCH.
const FIND_FIRST_EX_FLAGS: u32 = 0x1 | 0x2;

/// One entry a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    name: String,
    attributes: u32,
    created: u64,
    accessed: u64,
    written: u64,
    size: u64,
}

impl Found {
    fn of(name: &str, n: &Node) -> Found {
        let attributes = if n.attributes == 0 { portcullis_hle::fs::FILE_ATTRIBUTE_NORMAL } else { n.attributes };
        Found {
            name: name.to_string(),
            attributes,
            created: n.created,
            accessed: n.accessed,
            written: n.written,
            size: if n.directory { 0 } else { n.data.len() as u64 },
        }
    }

    /// WIN32_FIND_DATAA or WIN32_FIND_DATAW.
    fn data(&self, wide: bool) -> Vec<u8> {
        let mut d = Vec::with_capacity(FIXED + (NAME_CHARS + SHORT_CHARS) * 2);
        d.extend(self.attributes.to_le_bytes());
        for t in [self.created, self.accessed, self.written] {
            d.extend(t.to_le_bytes());
        }
        d.extend(((self.size >> 32) as u32).to_le_bytes());
        d.extend((self.size as u32).to_le_bytes());
        d.extend([0u8; 8]); // dwReserved0, dwReserved1
        let unit = if wide { 2 } else { 1 };
        let mut name = vec![0u8; NAME_CHARS * unit];
        let text: Vec<u8> = if wide {
            self.name.encode_utf16().take(NAME_CHARS - 1).flat_map(u16::to_le_bytes).collect()
        } else {
            self.name.chars().take(NAME_CHARS - 1).map(|c| if (c as u32) < 0x100 { c as u8 } else { b'?' }).collect()
        };
        name[..text.len()].copy_from_slice(&text);
        d.extend(name);
        d.extend(vec![0u8; SHORT_CHARS * unit]);
        d
    }
}

/// What a search's path finds: the entries, or the error it fails with.
fn search(k: &Kx, path: &str, directories_only: bool) -> Result<Vec<Found>, u32> {
    let full = portcullis_hle::io::request::nt_path(path);
    let Some(on_volume) = volume_path(&full) else { return Err(ERROR_PATH_NOT_FOUND) };
    let (dir, pattern) = match on_volume.rfind('\\') {
        Some(i) => (&on_volume[..i], &on_volume[i + 1..]),
        None => ("", on_volume.as_str()),
    };
    if pattern.is_empty() {
        // "C:\dir\": no name to match.
        return Err(ERROR_FILE_NOT_FOUND);
    }
    let pattern = if pattern == "*.*" { "*" } else { pattern };
    let volume = &k.ext().volume;
    let Ok(at) = volume.find(dir) else { return Err(ERROR_PATH_NOT_FOUND) };
    if !volume.node(at).directory {
        return Err(ERROR_PATH_NOT_FOUND);
    }
    let mut all: Vec<(String, usize)> = Vec::new();
    if let Some(parent) = volume.node(at).parent {
        all.push((".".into(), at));
        all.push(("..".into(), parent));
    }
    all.extend(volume.children(at).into_iter().map(|c| (volume.node(c).name.clone(), c)));
    let found: Vec<Found> = all
        .iter()
        .filter(|(name, id)| {
            portcullis_hle::fs::dir::matches(pattern, name) && (!directories_only || volume.node(*id).directory)
        })
        .filter(|(_, id)| !volume.node(*id).deleted)
        .map(|(name, id)| Found::of(name, volume.node(*id)))
        .collect();
    if found.is_empty() {
        return Err(ERROR_FILE_NOT_FOUND);
    }
    Ok(found)
}

fn invalid(k: &Kx) -> HANDLE {
    HANDLE(k.arch().mask(u64::MAX))
}

fn first(k: &mut Kx, name: u64, wide: bool, out: Ptr, directories_only: bool) -> KResult<HANDLE> {
    let Some(path) = string_arg(k, name, wide, MAX_PATH_CHARS)? else {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(invalid(k));
    };
    if path.is_empty() {
        set_last_error(k, ERROR_INVALID_NAME)?;
        return Ok(invalid(k));
    }
    let entries = match search(k, &path, directories_only) {
        Ok(e) => e,
        Err(error) => {
            set_last_error(k, error)?;
            return Ok(invalid(k));
        }
    };
    k.mem_mut().write(out.0, &entries[0].data(wide))?;
    let Some(p) = crate::current(k) else { return Ok(invalid(k)) };
    Ok(HANDLE(p.insert(Object::Find { entries, next: 1 })))
}

/// HANDLE FindFirstFileA(LPCSTR lpFileName, LPWIN32_FIND_DATAA lpFindFileData): a search
/// handle with the first entry written, or INVALID_HANDLE_VALUE (ERROR_FILE_NOT_FOUND when
/// nothing matches, ERROR_PATH_NOT_FOUND when the directory is not there).
pub fn FindFirstFileA(k: &mut Kx, name: PCSTR, out: Ptr) -> KResult<HANDLE> {
    first(k, name.0, false, out, false)
}

/// HANDLE FindFirstFileW(LPCWSTR lpFileName, LPWIN32_FIND_DATAW lpFindFileData)
pub fn FindFirstFileW(k: &mut Kx, name: PCWSTR, out: Ptr) -> KResult<HANDLE> {
    first(k, name.0, true, out, false)
}

fn first_ex(
    k: &mut Kx,
    name: u64,
    wide: bool,
    level: u32,
    out: Ptr,
    op: u32,
    filter: Ptr,
    flags: u32,
) -> KResult<HANDLE> {
    if level > FIND_EX_INFO_BASIC || !filter.is_null() || flags & !FIND_FIRST_EX_FLAGS != 0 {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(invalid(k));
    }
    // FindExSearchLimitToDevices is not built.
    if op > FIND_EX_SEARCH_LIMIT_TO_DIRECTORIES {
        set_last_error(k, ERROR_NOT_SUPPORTED)?;
        return Ok(invalid(k));
    }
    first(k, name, wide, out, op == FIND_EX_SEARCH_LIMIT_TO_DIRECTORIES)
}

/// HANDLE FindFirstFileExA(LPCSTR lpFileName, FINDEX_INFO_LEVELS fInfoLevelId, LPVOID
/// lpFindFileData, FINDEX_SEARCH_OPS fSearchOp, LPVOID lpSearchFilter, DWORD
/// dwAdditionalFlags): FindFirstFile, with FindExSearchLimitToDirectories keeping
/// directories only; a search filter or an unknown level or flag is ERROR_INVALID_PARAMETER.
pub fn FindFirstFileExA(
    k: &mut Kx,
    name: PCSTR,
    level: u32,
    out: Ptr,
    op: u32,
    filter: Ptr,
    flags: u32,
) -> KResult<HANDLE> {
    first_ex(k, name.0, false, level, out, op, filter, flags)
}

/// HANDLE FindFirstFileExW(LPCWSTR lpFileName, FINDEX_INFO_LEVELS fInfoLevelId, LPVOID
/// lpFindFileData, FINDEX_SEARCH_OPS fSearchOp, LPVOID lpSearchFilter, DWORD
/// dwAdditionalFlags)
pub fn FindFirstFileExW(
    k: &mut Kx,
    name: PCWSTR,
    level: u32,
    out: Ptr,
    op: u32,
    filter: Ptr,
    flags: u32,
) -> KResult<HANDLE> {
    first_ex(k, name.0, true, level, out, op, filter, flags)
}

fn next(k: &mut Kx, h: HANDLE, out: Ptr, wide: bool) -> KResult<BOOL> {
    let entry = match crate::current(k).and_then(|p| p.handles.get_mut(&h.0)) {
        Some(Object::Find { entries, next }) => {
            let e = entries.get(*next).cloned();
            if e.is_some() {
                *next += 1;
            }
            Ok(e)
        }
        _ => Err(ERROR_INVALID_HANDLE),
    };
    match entry {
        Ok(Some(e)) => {
            k.mem_mut().write(out.0, &e.data(wide))?;
            Ok(BOOL(true))
        }
        Ok(None) => {
            set_last_error(k, ERROR_NO_MORE_FILES)?;
            Ok(BOOL(false))
        }
        Err(error) => {
            set_last_error(k, error)?;
            Ok(BOOL(false))
        }
    }
}

/// BOOL FindNextFileA(HANDLE hFindFile, LPWIN32_FIND_DATAA lpFindFileData): the next entry,
/// or FALSE with ERROR_NO_MORE_FILES.
pub fn FindNextFileA(k: &mut Kx, h: HANDLE, out: Ptr) -> KResult<BOOL> {
    next(k, h, out, false)
}

/// BOOL FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData)
pub fn FindNextFileW(k: &mut Kx, h: HANDLE, out: Ptr) -> KResult<BOOL> {
    next(k, h, out, true)
}

/// BOOL FindClose(HANDLE hFindFile): ends the search; a handle that is no search is
/// ERROR_INVALID_HANDLE.
pub fn FindClose(k: &mut Kx, h: HANDLE) -> KResult<BOOL> {
    let p = crate::kernel32::thread::me(k)?;
    if matches!(p.handles.get(&h.0), Some(Object::Find { .. })) {
        p.handles.remove(&h.0);
        return Ok(BOOL(true));
    }
    set_last_error(k, ERROR_INVALID_HANDLE)?;
    Ok(BOOL(false))
}
