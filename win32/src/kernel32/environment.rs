//! The environment: GetEnvironmentVariableA/W, SetEnvironmentVariableA/W,
//! GetEnvironmentStrings(A)/W, FreeEnvironmentStringsA/W.
//!
//! Each process starts with the same small environment, the one the registry's Session
//! Manager\Environment and the system describe (SystemRoot and windir C:\Windows, Path,
//! COMPUTERNAME, PROCESSOR_ARCHITECTURE, NUMBER_OF_PROCESSORS, TEMP, ...), and changes to it
//! are its own. Names compare without case and keep the spelling they were set with; the
//! block lists them sorted by name, as Windows keeps it. ANSI text is Windows-1252.
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::rtl::nls::CodePage;
use portcullis_hle::types::{Ptr, PCSTR, PCWSTR};

use crate::error::{ERROR_ENVVAR_NOT_FOUND, ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY};
use crate::kernel32::thread::{me, set_last_error};
use crate::strings::string_arg;
use crate::table::BOOL;

/// The longest name or value, in characters.
const MAX_VARIABLE: usize = 32_767;

/// A process's variables: (name as set, value), sorted by upper-cased name.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    vars: Vec<(String, String)>,
    /// Whether the defaults were filled in (on first use).
    made: bool,
}

impl Environment {
    fn position(&self, name: &str) -> Result<usize, usize> {
        let key = name.to_uppercase();
        self.vars.binary_search_by(|(n, _)| n.to_uppercase().cmp(&key))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).ok().map(|i| self.vars[i].1.as_str())
    }

    /// Sets (Some) or removes (None) `name`.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        match (self.position(name), value) {
            (Ok(i), Some(v)) => self.vars[i].1 = v.to_string(),
            (Ok(i), None) => {
                self.vars.remove(i);
            }
            (Err(i), Some(v)) => self.vars.insert(i, (name.to_string(), v.to_string())),
            (Err(_), None) => {}
        }
    }

    /// The block GetEnvironmentStrings hands out: `name=value` strings, then an empty one.
    pub fn block(&self) -> Vec<String> {
        self.vars.iter().map(|(n, v)| format!("{n}={v}")).collect()
    }
}

/// The default environment of a process on `k`'s machine.
fn defaults(k: &Kx) -> Environment {
    let arch = if k.arch() == portcullis_emu::Arch::X64 { "AMD64" } else { "x86" };
    let mut e = Environment { vars: Vec::new(), made: true };
    let cpus = k.cpus().to_string();
    for (n, v) in [
        ("ALLUSERSPROFILE", r"C:\ProgramData"),
        ("ComSpec", r"C:\Windows\system32\cmd.exe"),
        ("COMPUTERNAME", crate::kernel32::system::COMPUTER_NAME),
        ("NUMBER_OF_PROCESSORS", cpus.as_str()),
        ("OS", "Windows_NT"),
        ("Path", r"C:\Windows\system32;C:\Windows"),
        ("PATHEXT", ".COM;.EXE;.BAT;.CMD"),
        ("PROCESSOR_ARCHITECTURE", arch),
        ("ProgramData", r"C:\ProgramData"),
        ("ProgramFiles", r"C:\Program Files"),
        ("SystemDrive", "C:"),
        ("SystemRoot", r"C:\Windows"),
        ("TEMP", r"C:\Windows\Temp"),
        ("TMP", r"C:\Windows\Temp"),
        ("windir", r"C:\Windows"),
    ] {
        e.set(n, Some(v));
    }
    e
}

/// The current process's environment, made on first use.
pub(crate) fn environment(k: &mut Kx) -> KResult<&mut Environment> {
    if !me(k)?.environment.made {
        let d = defaults(k);
        me(k)?.environment = d;
    }
    Ok(&mut me(k)?.environment)
}

/// Text as the program's buffers hold it: UTF-16LE units, or Windows-1252 bytes.
fn encode(text: &str, wide: bool) -> (Vec<u8>, usize) {
    let units: Vec<u16> = text.encode_utf16().collect();
    if wide {
        (units.iter().flat_map(|u| u.to_le_bytes()).collect(), units.len())
    } else {
        (units.iter().map(|u| CodePage::Ansi.encode(*u)).collect(), units.len())
    }
}

/// GetEnvironmentVariableA/W: the value's length when it fits in `size` characters (with
/// its NUL), else the size needed with the NUL; 0 with ERROR_ENVVAR_NOT_FOUND.
fn get(k: &mut Kx, name: u64, buffer: Ptr, size: u32, wide: bool) -> KResult<u32> {
    let Some(name) = string_arg(k, name, wide, MAX_VARIABLE)? else {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(0);
    };
    let Some(value) = environment(k)?.get(&name).map(str::to_string) else {
        set_last_error(k, ERROR_ENVVAR_NOT_FOUND)?;
        return Ok(0);
    };
    let (mut bytes, len) = encode(&value, wide);
    if (size as usize) <= len || buffer.is_null() {
        return Ok(len as u32 + 1);
    }
    bytes.extend_from_slice(if wide { &[0, 0] } else { &[0] });
    k.mem_mut().write(buffer.0, &bytes)?;
    Ok(len as u32)
}

/// DWORD GetEnvironmentVariableA(LPCSTR lpName, LPSTR lpBuffer, DWORD nSize)
pub fn GetEnvironmentVariableA(k: &mut Kx, name: PCSTR, buffer: Ptr, size: u32) -> KResult<u32> {
    get(k, name.0, buffer, size, false)
}

/// DWORD GetEnvironmentVariableW(LPCWSTR lpName, LPWSTR lpBuffer, DWORD nSize)
pub fn GetEnvironmentVariableW(k: &mut Kx, name: PCWSTR, buffer: Ptr, size: u32) -> KResult<u32> {
    get(k, name.0, buffer, size, true)
}

/// SetEnvironmentVariableA/W: a NULL value removes the variable. A name that is empty or
/// holds `=` past its first character is ERROR_INVALID_PARAMETER.
fn set(k: &mut Kx, name: u64, value: u64, wide: bool) -> KResult<BOOL> {
    let name = string_arg(k, name, wide, MAX_VARIABLE)?.unwrap_or_default();
    if name.is_empty() || name.chars().skip(1).any(|c| c == '=') {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    let value = string_arg(k, value, wide, MAX_VARIABLE)?;
    environment(k)?.set(&name, value.as_deref());
    Ok(BOOL(true))
}

/// BOOL SetEnvironmentVariableA(LPCSTR lpName, LPCSTR lpValue)
pub fn SetEnvironmentVariableA(k: &mut Kx, name: PCSTR, value: PCSTR) -> KResult<BOOL> {
    set(k, name.0, value.0, false)
}

/// BOOL SetEnvironmentVariableW(LPCWSTR lpName, LPCWSTR lpValue)
pub fn SetEnvironmentVariableW(k: &mut Kx, name: PCWSTR, value: PCWSTR) -> KResult<BOOL> {
    set(k, name.0, value.0, true)
}

/// A copy of the environment block in the process heap (NULL with ERROR_NOT_ENOUGH_MEMORY).
fn strings(k: &mut Kx, wide: bool) -> KResult<Ptr> {
    let mut data = Vec::new();
    for s in environment(k)?.block() {
        data.extend(encode(&s, wide).0);
        data.extend_from_slice(if wide { &[0, 0] } else { &[0] });
    }
    data.extend_from_slice(if wide { &[0, 0] } else { &[0] });
    let heap = crate::kernel32::heap::process_heap(k)?;
    let at = crate::kernel32::heap::alloc(k, heap, 0, data.len() as u64)?;
    if at == 0 {
        set_last_error(k, ERROR_NOT_ENOUGH_MEMORY)?;
        return Ok(Ptr(0));
    }
    k.mem_mut().write(at, &data)?;
    Ok(Ptr(at))
}

/// LPCH GetEnvironmentStrings(void) (also exported as GetEnvironmentStringsA)
pub fn GetEnvironmentStringsA(k: &mut Kx) -> KResult<Ptr> {
    strings(k, false)
}

/// LPWCH GetEnvironmentStringsW(void)
pub fn GetEnvironmentStringsW(k: &mut Kx) -> KResult<Ptr> {
    strings(k, true)
}

/// BOOL FreeEnvironmentStringsA/W(LPCH penv): the block goes back to the process heap;
/// FALSE with ERROR_INVALID_PARAMETER for what is no block of it.
pub fn FreeEnvironmentStrings(k: &mut Kx, block: Ptr) -> KResult<BOOL> {
    let heap = crate::kernel32::heap::process_heap(k)?;
    crate::kernel32::heap::HeapFree(k, portcullis_hle::types::HANDLE(heap), 0, block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_and_the_block_stays_sorted() {
        let mut e = Environment::default();
        e.set("Path", Some("a"));
        e.set("COMSPEC", Some("b"));
        e.set("PATH", Some("c"));
        assert_eq!(e.get("path"), Some("c"));
        assert_eq!(e.block(), ["COMSPEC=b", "Path=c"]);
        e.set("pAtH", None);
        assert_eq!(e.get("Path"), None);
        e.set("nothing", None);
        assert_eq!(e.block(), ["COMSPEC=b"]);
    }
}
