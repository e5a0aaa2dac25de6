//! The registry as a program sees it: RegOpenKeyExA/W, RegCreateKeyExA/W, RegQueryValueExA/W,
//! RegSetValueExA/W, RegDeleteValueA/W, RegCloseKey over the kernel's registry
//! (`hle::cm::user`), on the program's own thread in user mode: its handles are kernel key
//! handles in its process's table, access is checked, and the registry callbacks drivers
//! registered see its opens, creates, sets and deletes (not its queries).
//!
//! The predefined keys are HKEY_CLASSES_ROOT (`\Registry\Machine\Software\Classes`),
//! HKEY_CURRENT_USER (`\Registry\User\<the token's SID>`), HKEY_LOCAL_MACHINE, HKEY_USERS and
//! HKEY_CURRENT_CONFIG. The functions return the Win32 error (they do not set the last
//! error). The ANSI functions convert names and string data (REG_SZ, REG_EXPAND_SZ,
//! REG_MULTI_SZ) between the ANSI code page (Windows-1252 here, ASCII in practice) and the
//! registry's UTF-16.
// The functions take the parameters Windows gives them.
#![allow(non_snake_case, clippy::too_many_arguments)]

use portcullis_hle::cm::{REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::types::{status, NtStatus, Ptr, PCSTR, PCWSTR};

use crate::error::*;
use crate::process::Object;

/// Longest key path or value name read (characters).
const MAX_NAME: usize = 32_767;
/// Largest value data a program may set (the kernel registry's limit).
const MAX_DATA: u32 = 1 << 20;
const REG_OPTION_OPEN_LINK: u32 = 0x8;
const REG_OPTION_VOLATILE: u32 = 0x1;
const REG_OPTION_CREATE_LINK: u32 = 0x2;
const REG_OPTION_BACKUP_RESTORE: u32 = 0x4;

/// The key a handle names: its absolute path, and the kernel handle (none for a predefined
/// key, which is opened on use).
fn key(k: &mut Kx, h: Ptr) -> KResult<Option<(String, Option<u64>)>> {
    // A predefined HKEY is a small negative number (sign-extended on x64).
    let high = h.0 >> 32;
    if (high == 0 || high == 0xFFFF_FFFF) && (0x8000_0000..=0x8000_0005).contains(&(h.0 as u32)) {
        let path = match h.0 as u32 {
            0x8000_0000 => "\\Registry\\Machine\\Software\\Classes".to_string(),
            0x8000_0001 => {
                let sid = portcullis_hle::se::token::current(k)?.user.text();
                format!("\\Registry\\User\\{sid}")
            }
            0x8000_0002 => "\\Registry\\Machine".to_string(),
            0x8000_0003 => "\\Registry\\User".to_string(),
            0x8000_0005 => "\\Registry\\Machine\\System\\CurrentControlSet\\Hardware Profiles\\Current".to_string(),
            _ => return Ok(None),
        };
        return Ok(Some((path, None)));
    }
    Ok(match crate::current(k).and_then(|p| p.handles.get(&h.0)) {
        Some(Object::Key { handle, path }) => Some((path.clone(), Some(*handle))),
        _ => None,
    })
}

fn text(k: &Kx, p: u64, wide: bool) -> KResult<Option<String>> {
    crate::strings::string_arg(k, p, wide, MAX_NAME)
}

fn error_of(st: NtStatus) -> u32 {
    crate::error::nt_status_to_dos_error(st.0)
}

/// LSTATUS RegOpenKeyExA(HKEY hKey, LPCSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
/// PHKEY phkResult)
pub fn RegOpenKeyExA(k: &mut Kx, h: Ptr, sub: PCSTR, options: u32, access: u32, out: Ptr) -> KResult<u32> {
    let sub = text(k, sub.0, false)?;
    open(k, h, sub, options, access, out, None)
}

/// LSTATUS RegOpenKeyExW(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
/// PHKEY phkResult)
pub fn RegOpenKeyExW(k: &mut Kx, h: Ptr, sub: PCWSTR, options: u32, access: u32, out: Ptr) -> KResult<u32> {
    let sub = text(k, sub.0, true)?;
    open(k, h, sub, options, access, out, None)
}

/// LSTATUS RegCreateKeyExA(HKEY hKey, LPCSTR lpSubKey, DWORD Reserved, LPSTR lpClass,
/// DWORD dwOptions, REGSAM samDesired, LPSECURITY_ATTRIBUTES, PHKEY phkResult,
/// LPDWORD lpdwDisposition)
pub fn RegCreateKeyExA(
    k: &mut Kx,
    h: Ptr,
    sub: PCSTR,
    _reserved: u32,
    _class: PCSTR,
    options: u32,
    access: u32,
    _security: Ptr,
    out: Ptr,
    disposition: Ptr,
) -> KResult<u32> {
    let sub = text(k, sub.0, false)?;
    open(k, h, sub, options, access, out, Some(disposition))
}

/// LSTATUS RegCreateKeyExW(...): as RegCreateKeyExA.
pub fn RegCreateKeyExW(
    k: &mut Kx,
    h: Ptr,
    sub: PCWSTR,
    _reserved: u32,
    _class: PCWSTR,
    options: u32,
    access: u32,
    _security: Ptr,
    out: Ptr,
    disposition: Ptr,
) -> KResult<u32> {
    let sub = text(k, sub.0, true)?;
    open(k, h, sub, options, access, out, Some(disposition))
}

/// Opens (`disposition` None) or creates the key `sub` under `h`.
fn open(
    k: &mut Kx,
    h: Ptr,
    sub: Option<String>,
    options: u32,
    access: u32,
    out: Ptr,
    disposition: Option<Ptr>,
) -> KResult<u32> {
    if out.0 == 0 {
        return Ok(ERROR_INVALID_PARAMETER);
    }
    let allowed = match disposition {
        None => REG_OPTION_OPEN_LINK,
        Some(_) => REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK | REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK,
    };
    if options & !allowed != 0 {
        return Ok(ERROR_INVALID_PARAMETER);
    }
    if disposition.is_some() && sub.is_none() {
        return Ok(ERROR_BADKEY);
    }
    let Some((base, _)) = key(k, h)? else { return Ok(ERROR_INVALID_HANDLE) };
    let path = match sub.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => format!("{base}\\{s}"),
        None => base,
    };
    let (handle, how) = match portcullis_hle::cm::user::open_key(k, &path, access, options, disposition.is_some())? {
        Ok(v) => v,
        Err(st) => return Ok(error_of(st)),
    };
    let Some(p) = crate::current(k) else { return Ok(ERROR_INVALID_HANDLE) };
    let hkey = p.insert(Object::Key { handle, path });
    let written = k.mem_mut().write_ptr(out.0, hkey).is_ok()
        && disposition.filter(|d| d.0 != 0).is_none_or(|d| k.mem_mut().write_u32(d.0, how).is_ok());
    if !written {
        close(k, hkey)?;
        return Ok(ERROR_NOACCESS);
    }
    Ok(ERROR_SUCCESS)
}

/// LSTATUS RegCloseKey(HKEY hKey): a predefined key needs no closing.
pub fn RegCloseKey(k: &mut Kx, h: Ptr) -> KResult<u32> {
    match key(k, h)? {
        Some((_, None)) => Ok(ERROR_SUCCESS),
        Some((_, Some(_))) => close(k, h.0),
        None => Ok(ERROR_INVALID_HANDLE),
    }
}

/// Closes a key handle of the program's and the kernel handle behind it.
pub(crate) fn close(k: &mut Kx, hkey: u64) -> KResult<u32> {
    let removed = crate::current(k).and_then(|p| p.handles.remove(&hkey));
    let Some(Object::Key { handle, .. }) = removed else { return Ok(ERROR_INVALID_HANDLE) };
    Ok(error_of(portcullis_hle::cm::user::close_key(k, handle)?))
}

/// The kernel handle to use for `h`: its own, or a predefined key opened for the call (the
/// second item: close it after).
fn handle_for(k: &mut Kx, h: Ptr, access: u32) -> KResult<Result<(u64, bool), u32>> {
    Ok(match key(k, h)? {
        None => Err(ERROR_INVALID_HANDLE),
        Some((_, Some(handle))) => Ok((handle, false)),
        Some((path, None)) => match portcullis_hle::cm::user::open_key(k, &path, access, 0, false)? {
            Ok((handle, _)) => Ok((handle, true)),
            Err(st) => Err(error_of(st)),
        },
    })
}

fn done_with(k: &mut Kx, handle: u64, temporary: bool) -> KResult<()> {
    if temporary {
        portcullis_hle::cm::user::close_key(k, handle)?;
    }
    Ok(())
}

fn is_string(ty: u32) -> bool {
    matches!(ty, REG_SZ | REG_EXPAND_SZ | REG_MULTI_SZ)
}

/// UTF-16LE bytes as ANSI bytes (one per unit; a unit past 0xFF becomes '?').
fn to_ansi(data: &[u8]) -> Vec<u8> {
    data.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .map(|u| if u < 0x100 { u as u8 } else { b'?' })
        .collect()
}

/// LSTATUS RegQueryValueExA(HKEY hKey, LPCSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType,
/// LPBYTE lpData, LPDWORD lpcbData)
pub fn RegQueryValueExA(
    k: &mut Kx,
    h: Ptr,
    name: PCSTR,
    _reserved: Ptr,
    ty: Ptr,
    data: Ptr,
    size: Ptr,
) -> KResult<u32> {
    let name = text(k, name.0, false)?.unwrap_or_default();
    query(k, h, &name, ty, data, size, false)
}

/// LSTATUS RegQueryValueExW(HKEY hKey, LPCWSTR lpValueName, ...)
pub fn RegQueryValueExW(
    k: &mut Kx,
    h: Ptr,
    name: PCWSTR,
    _reserved: Ptr,
    ty: Ptr,
    data: Ptr,
    size: Ptr,
) -> KResult<u32> {
    let name = text(k, name.0, true)?.unwrap_or_default();
    query(k, h, &name, ty, data, size, true)
}

/// A value's type and data: the size through `size` (what the data needs when the buffer is
/// too small: ERROR_MORE_DATA; when `data` is NULL: only the size).
fn query(k: &mut Kx, h: Ptr, name: &str, ty: Ptr, data: Ptr, size: Ptr, wide: bool) -> KResult<u32> {
    if data.0 != 0 && size.0 == 0 {
        return Ok(ERROR_INVALID_PARAMETER);
    }
    let (handle, temporary) = match handle_for(k, h, 0x1)? {
        Ok(v) => v,
        Err(e) => return Ok(e),
    };
    let found = portcullis_hle::cm::user::query_value_of(k, handle, name)?;
    done_with(k, handle, temporary)?;
    let (value_type, bytes) = match found {
        Ok(v) => v,
        Err(st) => return Ok(error_of(st)),
    };
    let bytes = if !wide && is_string(value_type) { to_ansi(&bytes) } else { bytes };
    let Ok(()) = (|| -> Result<(), portcullis_emu::MemError> {
        if ty.0 != 0 {
            k.mem_mut().write_u32(ty.0, value_type)?;
        }
        Ok(())
    })() else {
        return Ok(ERROR_NOACCESS);
    };
    if size.0 == 0 {
        return Ok(ERROR_SUCCESS);
    }
    let Ok(room) = k.mem().read_u32(size.0) else { return Ok(ERROR_NOACCESS) };
    if k.mem_mut().write_u32(size.0, bytes.len() as u32).is_err() {
        return Ok(ERROR_NOACCESS);
    }
    if data.0 == 0 {
        return Ok(ERROR_SUCCESS);
    }
    if (room as usize) < bytes.len() {
        return Ok(ERROR_MORE_DATA);
    }
    Ok(if k.mem_mut().write(data.0, &bytes).is_ok() { ERROR_SUCCESS } else { ERROR_NOACCESS })
}

/// LSTATUS RegSetValueExA(HKEY hKey, LPCSTR lpValueName, DWORD Reserved, DWORD dwType,
/// const BYTE *lpData, DWORD cbData)
pub fn RegSetValueExA(k: &mut Kx, h: Ptr, name: PCSTR, _reserved: u32, ty: u32, data: Ptr, size: u32) -> KResult<u32> {
    let name = text(k, name.0, false)?.unwrap_or_default();
    set(k, h, &name, ty, data, size, false)
}

/// LSTATUS RegSetValueExW(HKEY hKey, LPCWSTR lpValueName, ...)
pub fn RegSetValueExW(k: &mut Kx, h: Ptr, name: PCWSTR, _reserved: u32, ty: u32, data: Ptr, size: u32) -> KResult<u32> {
    let name = text(k, name.0, true)?.unwrap_or_default();
    set(k, h, &name, ty, data, size, true)
}

fn set(k: &mut Kx, h: Ptr, name: &str, ty: u32, data: Ptr, size: u32, wide: bool) -> KResult<u32> {
    if size > MAX_DATA || (data.0 == 0 && size != 0) {
        return Ok(ERROR_INVALID_PARAMETER);
    }
    let mut bytes = vec![0u8; size as usize];
    if size != 0 && k.mem().read(data.0, &mut bytes).is_err() {
        return Ok(ERROR_NOACCESS);
    }
    if !wide && is_string(ty) {
        // ANSI string data becomes UTF-16, its NULs included.
        bytes = bytes.iter().flat_map(|&b| [b, 0]).collect();
    }
    let (handle, temporary) = match handle_for(k, h, 0x2)? {
        Ok(v) => v,
        Err(e) => return Ok(e),
    };
    let st = portcullis_hle::cm::user::set_value_of(k, handle, name, ty, bytes)?;
    done_with(k, handle, temporary)?;
    Ok(if st == status::SUCCESS { ERROR_SUCCESS } else { error_of(st) })
}

/// LSTATUS RegDeleteValueA(HKEY hKey, LPCSTR lpValueName)
pub fn RegDeleteValueA(k: &mut Kx, h: Ptr, name: PCSTR) -> KResult<u32> {
    let name = text(k, name.0, false)?.unwrap_or_default();
    delete(k, h, &name)
}

/// LSTATUS RegDeleteValueW(HKEY hKey, LPCWSTR lpValueName)
pub fn RegDeleteValueW(k: &mut Kx, h: Ptr, name: PCWSTR) -> KResult<u32> {
    let name = text(k, name.0, true)?.unwrap_or_default();
    delete(k, h, &name)
}

fn delete(k: &mut Kx, h: Ptr, name: &str) -> KResult<u32> {
    let (handle, temporary) = match handle_for(k, h, 0x2)? {
        Ok(v) => v,
        Err(e) => return Ok(e),
    };
    let st = portcullis_hle::cm::user::delete_value_of(k, handle, name)?;
    done_with(k, handle, temporary)?;
    Ok(error_of(st))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_strings_come_from_utf16_unit_by_unit() {
        assert_eq!(to_ansi(&[b'h', 0, b'i', 0, 0, 0]), b"hi\0");
        assert_eq!(to_ansi(&[0x3A, 0x26]), b"?");
        assert!(is_string(REG_MULTI_SZ) && !is_string(4));
    }
}
