//! The program's token, as loaders adjust it before loading a driver: OpenProcessToken,
//! LookupPrivilegeValueA/W, AdjustTokenPrivileges. The token is the kernel's token of the
//! program's process (`hle::se`: an elevated administrator's by default), so a privilege the
//! program enables is what a driver's SeSinglePrivilegeCheck(…, UserMode) sees.
// The functions take the parameters Windows gives them.
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::se::privilege;
use portcullis_hle::types::{Ptr, HANDLE, PCSTR, PCWSTR};

use crate::error::*;
use crate::kernel32::thread::set_last_error;
use crate::process::Object;
use crate::strings::string_arg;
use crate::table::BOOL;

const TOKEN_QUERY: u32 = 0x8;
const TOKEN_ADJUST_PRIVILEGES: u32 = 0x20;
const TOKEN_ALL_ACCESS: u32 = 0xF01FF;
const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
const GENERIC_READ: u32 = 0x8000_0000;
const GENERIC_WRITE: u32 = 0x4000_0000;
const GENERIC_EXECUTE: u32 = 0x2000_0000;
const GENERIC_ALL: u32 = 0x1000_0000;
/// Most privileges a TOKEN_PRIVILEGES is read with (Windows has 35).
const MAX_PRIVILEGES: u32 = 1024;

/// Token rights asked for, generic ones mapped (TokenGenericMapping).
fn map_access(access: u32) -> u32 {
    let mut a = access & 0x00FF_FFFF;
    if access & (GENERIC_ALL | MAXIMUM_ALLOWED) != 0 {
        a |= TOKEN_ALL_ACCESS;
    }
    if access & GENERIC_READ != 0 {
        a |= 0x2_0000 | TOKEN_QUERY;
    }
    if access & GENERIC_WRITE != 0 {
        a |= 0x2_0000 | TOKEN_ADJUST_PRIVILEGES | 0x40 | 0x80;
    }
    if access & GENERIC_EXECUTE != 0 {
        a |= 0x2_0000 | 0x4;
    }
    a
}

fn fail(k: &mut Kx, error: u32) -> KResult<BOOL> {
    set_last_error(k, error)?;
    Ok(BOOL(false))
}

/// BOOL OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle):
/// the program's own process (GetCurrentProcess()) is the only one it has a handle to.
pub fn OpenProcessToken(k: &mut Kx, process: HANDLE, access: u32, out: Ptr) -> KResult<BOOL> {
    let Some(p) = crate::current(k) else { return fail(k, ERROR_INVALID_HANDLE) };
    let eprocess = p.eprocess;
    if process.0 != k.arch().mask(u64::MAX) {
        return fail(k, ERROR_INVALID_HANDLE);
    }
    let token = portcullis_hle::se::process_token(k, eprocess)?;
    let h = crate::current(k).map(|p| p.insert(Object::Token { token, access: map_access(access) })).unwrap_or(0);
    if k.mem_mut().write_ptr(out.0, h).is_err() {
        crate::current(k).map(|p| p.handles.remove(&h));
        return fail(k, ERROR_NOACCESS);
    }
    Ok(BOOL(true))
}

/// BOOL LookupPrivilegeValueA(LPCSTR lpSystemName, LPCSTR lpName, PLUID lpLuid)
pub fn LookupPrivilegeValueA(k: &mut Kx, system: PCSTR, name: PCSTR, luid: Ptr) -> KResult<BOOL> {
    let (system, name) = (string_arg(k, system.0, false, 256)?, string_arg(k, name.0, false, 256)?);
    lookup(k, system, name, luid)
}

/// BOOL LookupPrivilegeValueW(LPCWSTR lpSystemName, LPCWSTR lpName, PLUID lpLuid)
pub fn LookupPrivilegeValueW(k: &mut Kx, system: PCWSTR, name: PCWSTR, luid: Ptr) -> KResult<BOOL> {
    let (system, name) = (string_arg(k, system.0, true, 256)?, string_arg(k, name.0, true, 256)?);
    lookup(k, system, name, luid)
}

fn lookup(k: &mut Kx, system: Option<String>, name: Option<String>, luid: Ptr) -> KResult<BOOL> {
    if system.as_deref().is_some_and(|s| !s.is_empty() && s != "." && s != "\\\\.") {
        return fail(k, RPC_S_SERVER_UNAVAILABLE);
    }
    let name = name.unwrap_or_default();
    let Some(&(_, value)) = privilege::NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name)) else {
        return fail(k, ERROR_NO_SUCH_PRIVILEGE);
    };
    if k.mem_mut().write_u64(luid.0, value as u64).is_err() {
        return fail(k, ERROR_NOACCESS);
    }
    Ok(BOOL(true))
}

/// BOOL AdjustTokenPrivileges(HANDLE TokenHandle, BOOL DisableAllPrivileges,
/// PTOKEN_PRIVILEGES NewState, DWORD BufferLength, PTOKEN_PRIVILEGES PreviousState,
/// PDWORD ReturnLength): TRUE with ERROR_NOT_ALL_ASSIGNED when a privilege asked for is not
/// in the token (its enabled state is what the others got), ERROR_SUCCESS otherwise; a
/// PreviousState buffer too small for the privileges that change fails with
/// ERROR_INSUFFICIENT_BUFFER and changes nothing.
pub fn AdjustTokenPrivileges(
    k: &mut Kx,
    token: HANDLE,
    disable_all: BOOL,
    new_state: Ptr,
    length: u32,
    previous: Ptr,
    return_length: Ptr,
) -> KResult<BOOL> {
    let object = crate::current(k).and_then(|p| p.handles.get(&token.0).cloned());
    let Some(Object::Token { token, access }) = object else { return fail(k, ERROR_INVALID_HANDLE) };
    let needs = TOKEN_ADJUST_PRIVILEGES | if previous.0 != 0 { TOKEN_QUERY } else { 0 };
    if access & needs != needs {
        return fail(k, ERROR_ACCESS_DENIED);
    }
    let mut changes = Vec::new();
    if !disable_all.0 {
        if new_state.0 == 0 {
            return fail(k, ERROR_INVALID_PARAMETER);
        }
        let Ok(count) = k.mem().read_u32(new_state.0) else { return fail(k, ERROR_NOACCESS) };
        for i in 0..count.min(MAX_PRIVILEGES) as u64 {
            let at = new_state.0 + 4 + 12 * i;
            match (k.mem().read_u64(at), k.mem().read_u32(at + 8)) {
                (Ok(luid), Ok(attrs)) => changes.push((luid, attrs)),
                _ => return fail(k, ERROR_NOACCESS),
            }
        }
    }
    let Some(planned) = portcullis_hle::se::token::adjust_privileges(k, token, disable_all.0, &changes, false) else {
        return fail(k, ERROR_INVALID_HANDLE);
    };
    let needed = 4 + 12 * planned.previous.len() as u32;
    if previous.0 != 0 {
        if return_length.0 != 0 && k.mem_mut().write_u32(return_length.0, needed).is_err() {
            return fail(k, ERROR_NOACCESS);
        }
        if length < needed {
            return fail(k, ERROR_INSUFFICIENT_BUFFER);
        }
    }
    let done = portcullis_hle::se::token::adjust_privileges(k, token, disable_all.0, &changes, true).unwrap_or(planned);
    if previous.0 != 0 {
        let mut bytes = (done.previous.len() as u32).to_le_bytes().to_vec();
        for (luid, attrs) in &done.previous {
            bytes.extend((*luid as u64).to_le_bytes());
            bytes.extend(attrs.to_le_bytes());
        }
        if k.mem_mut().write(previous.0, &bytes).is_err() {
            return fail(k, ERROR_NOACCESS);
        }
    }
    set_last_error(k, if done.not_all_assigned { ERROR_NOT_ALL_ASSIGNED } else { ERROR_SUCCESS })?;
    Ok(BOOL(true))
}
