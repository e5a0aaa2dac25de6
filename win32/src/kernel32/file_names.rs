//! Files by name, without a handle: DeleteFileA/W, CreateDirectoryA/W, RemoveDirectoryA/W,
//! GetFileAttributesA/W, on the C: volume (`hle::fs::open`: opened as kernel32 opens them,
//! so minifilters see each open, acted on and closed). Errors are the statuses' Win32
//! errors: a file not there ERROR_FILE_NOT_FOUND, a directory on the way not there
//! ERROR_PATH_NOT_FOUND, DeleteFile of a directory ERROR_ACCESS_DENIED, RemoveDirectory of
//! one not empty ERROR_DIR_NOT_EMPTY, CreateDirectory of a name taken ERROR_ALREADY_EXISTS.
//! A path off the volume (a device) is ERROR_PATH_NOT_FOUND.
#![allow(non_snake_case)]

use portcullis_hle::fs::{open, volume_path};
use portcullis_hle::io::request::nt_path;
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{NtStatus, Ptr, PCSTR, PCWSTR};

use crate::error::{ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND};
use crate::kernel32::thread::{fail_with_status, set_last_error};
use crate::strings::string_arg;
use crate::table::BOOL;

const MAX_PATH_CHARS: usize = 32_767;
/// GetFileAttributes's failure.
const INVALID_FILE_ATTRIBUTES: u32 = u32::MAX;

/// The volume path a program's path names, or the error that is.
fn volume(k: &Kx, name: u64, wide: bool) -> KResult<Result<String, u32>> {
    let Some(path) = string_arg(k, name, wide, MAX_PATH_CHARS)? else { return Ok(Err(ERROR_PATH_NOT_FOUND)) };
    if path.is_empty() {
        return Ok(Err(ERROR_INVALID_NAME));
    }
    Ok(volume_path(&nt_path(&path)).ok_or(ERROR_PATH_NOT_FOUND))
}

fn by_name(k: &mut Kx, name: u64, wide: bool, op: fn(&mut Kx, &str) -> KResult<NtStatus>) -> KResult<BOOL> {
    let path = match volume(k, name, wide)? {
        Ok(p) => p,
        Err(error) => {
            set_last_error(k, error)?;
            return Ok(BOOL(false));
        }
    };
    let st = op(k, &path)?;
    if !st.is_success() {
        fail_with_status(k, st.0)?;
        return Ok(BOOL(false));
    }
    Ok(BOOL(true))
}

/// BOOL DeleteFileA(LPCSTR lpFileName): the file goes (when its last handle closes).
pub fn DeleteFileA(k: &mut Kx, name: PCSTR) -> KResult<BOOL> {
    by_name(k, name.0, false, |k, p| open::delete_path(k, p, false))
}

/// BOOL DeleteFileW(LPCWSTR lpFileName)
pub fn DeleteFileW(k: &mut Kx, name: PCWSTR) -> KResult<BOOL> {
    by_name(k, name.0, true, |k, p| open::delete_path(k, p, false))
}

/// BOOL RemoveDirectoryA(LPCSTR lpPathName): an empty directory goes.
pub fn RemoveDirectoryA(k: &mut Kx, name: PCSTR) -> KResult<BOOL> {
    by_name(k, name.0, false, |k, p| open::delete_path(k, p, true))
}

/// BOOL RemoveDirectoryW(LPCWSTR lpPathName)
pub fn RemoveDirectoryW(k: &mut Kx, name: PCWSTR) -> KResult<BOOL> {
    by_name(k, name.0, true, |k, p| open::delete_path(k, p, true))
}

/// BOOL CreateDirectoryA(LPCSTR lpPathName, LPSECURITY_ATTRIBUTES): a new directory (its
/// parent must exist). The security attributes are not applied (the volume keeps no
/// security).
pub fn CreateDirectoryA(k: &mut Kx, name: PCSTR, _security: Ptr) -> KResult<BOOL> {
    by_name(k, name.0, false, open::create_directory)
}

/// BOOL CreateDirectoryW(LPCWSTR lpPathName, LPSECURITY_ATTRIBUTES)
pub fn CreateDirectoryW(k: &mut Kx, name: PCWSTR, _security: Ptr) -> KResult<BOOL> {
    by_name(k, name.0, true, open::create_directory)
}

fn attributes(k: &mut Kx, name: u64, wide: bool) -> KResult<u32> {
    let path = match volume(k, name, wide)? {
        Ok(p) => p,
        Err(error) => {
            set_last_error(k, error)?;
            return Ok(INVALID_FILE_ATTRIBUTES);
        }
    };
    match open::attributes_of(k, &path)? {
        Ok(a) => Ok(a),
        Err(st) => {
            fail_with_status(k, st.0)?;
            Ok(INVALID_FILE_ATTRIBUTES)
        }
    }
}

/// DWORD GetFileAttributesA(LPCSTR lpFileName): FILE_ATTRIBUTE_*, or
/// INVALID_FILE_ATTRIBUTES with the error.
pub fn GetFileAttributesA(k: &mut Kx, name: PCSTR) -> KResult<u32> {
    attributes(k, name.0, false)
}

/// DWORD GetFileAttributesW(LPCWSTR lpFileName)
pub fn GetFileAttributesW(k: &mut Kx, name: PCWSTR) -> KResult<u32> {
    attributes(k, name.0, true)
}
