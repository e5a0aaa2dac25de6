//! Modules: LoadLibraryA/W, LoadLibraryExA/W, GetProcAddress, FreeLibrary,
//! GetModuleHandleA/W, GetModuleFileNameA/W over the process's DLLs ([`crate::module`]) and
//! the user-mode libraries of our own (kernel32, advapi32: their module handle is the
//! address of their first slot, GetProcAddress gives a function's slot).
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KError, KResult, Kx};
use portcullis_hle::types::{Ptr, PCSTR, PCWSTR};

use super::thread::set_last_error;
use crate::callback::{self, Then};
use crate::error::*;
use crate::module::{self, Failed, LoadFailure, Loading, Module, DLL_PROCESS_ATTACH, DLL_PROCESS_DETACH};
use crate::strings::string_arg;

/// Longest module name read.
const MAX_NAME: usize = 32767;
/// LOAD_WITH_ALTERED_SEARCH_PATH: a path's own directory is searched for its dependencies.
const LOAD_WITH_ALTERED_SEARCH_PATH: u32 = 0x8;

fn me(k: &mut Kx) -> KResult<&mut crate::Process> {
    crate::current(k).ok_or_else(|| {
        KError::Stop(portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(
            "a kernel32 call with no process running".into(),
        )))
    })
}

/// The module handle of one of our libraries.
fn builtin_handle(k: &mut Kx, dll: &str) -> u64 {
    let i = crate::libraries::first_slot(dll).expect("a library has functions");
    crate::process::slot_address(k, i)
}

/// Our library whose module handle `h` is.
fn builtin_of(k: &mut Kx, h: u64) -> Option<&'static str> {
    let base = crate::state(k).base;
    let off = h.checked_sub(base)?;
    (off % portcullis_emu::HOST_CALL_SLOT == 0)
        .then(|| crate::libraries::library_at((off / portcullis_emu::HOST_CALL_SLOT) as usize))
        .flatten()
}

/// The module holding address `at`: a module of the process (the program, a DLL it loaded)
/// by its image's extent, or one of our libraries by the slots of its functions; 0 for none.
pub(crate) fn module_at(k: &mut Kx, at: u64) -> KResult<u64> {
    let base = crate::state(k).base;
    if let Some(off) = at.checked_sub(base) {
        let index = (off / portcullis_emu::HOST_CALL_SLOT) as usize;
        if let Some(f) = crate::libraries::function(index) {
            return Ok(builtin_handle(k, f.dll));
        }
    }
    let p = me(k)?;
    Ok(p.modules.iter().find(|m| at >= m.base && at - m.base < m.size).map_or(0, |m| m.base))
}

/// Runs `f` with the process's modules and regions as a [`Loading`] searching `dir`. A
/// failure leaves the process as it was: what the attempt mapped is unmapped and the
/// references it took are given back. Returns `f`'s value and the modules it mapped.
fn loading<T>(
    k: &mut Kx,
    dir: Option<String>,
    f: impl FnOnce(&mut Kx, &mut Loading) -> Result<T, Failed>,
) -> KResult<Result<(T, Vec<u64>), LoadFailure>> {
    let p = me(k)?;
    let before = p.modules.clone();
    let mut modules = std::mem::take(&mut p.modules);
    let mut regions = std::mem::take(&mut p.regions);
    let dir = dir.unwrap_or_else(|| module::dir_of(&p.path));
    let data = p.crt.data;
    let mut l = Loading { modules: &mut modules, regions: &mut regions, dir, new: Vec::new(), data };
    let r = f(k, &mut l);
    let new = std::mem::take(&mut l.new);
    if r.is_err() {
        for m in modules.iter().filter(|m| !before.iter().any(|b| b.base == m.base)) {
            module::unmap_region(k, m.base)?;
            regions.retain(|r| *r != m.base);
        }
        modules = before;
    }
    let p = me(k)?;
    p.modules = modules;
    p.regions = regions;
    match r {
        Ok(v) => Ok(Ok((v, new))),
        Err(Failed::Load(e)) => Ok(Err(e)),
        Err(Failed::Kernel(e)) => Err(e),
    }
}

/// Gives newly mapped modules their TLS, and asks for their attach calls (TLS callbacks,
/// then DllMain with lpReserved NULL, dependencies first) before the function returns
/// `value`.
fn attach(k: &mut Kx, new: Vec<u64>, value: u64) -> KResult<()> {
    let mut calls = Vec::new();
    for base in &new {
        let p = me(k)?;
        let Some(mut m) = p.modules.iter().find(|m| m.base == *base).cloned() else { continue };
        let array = p.threads[p.running].tls_array;
        let others: Vec<u64> =
            p.threads.iter().enumerate().filter(|(i, _)| *i != p.running).map(|(_, t)| t.tls_array).collect();
        let (mut next, mut regions) = (p.tls_next, std::mem::take(&mut p.regions));
        let mut callbacks = module::setup_tls(k, &mut m, array, &mut next, &mut regions);
        // The process's other threads get the library's TLS too (as Windows gives them since
        // Vista).
        for other in others {
            if callbacks.is_err() {
                break;
            }
            if let Err(e) = module::thread_tls(k, &m, other, &mut regions) {
                callbacks = Err(e);
            }
        }
        let p = me(k)?;
        p.regions = regions;
        p.tls_next = next;
        let callbacks = callbacks?;
        if let Some(mm) = p.modules.iter_mut().find(|x| x.base == *base) {
            mm.tls_callbacks = callbacks.clone();
            mm.tls_index = m.tls_index;
            calls.extend(module::calls_for(mm, &callbacks, DLL_PROCESS_ATTACH, 0));
        }
    }
    if !calls.is_empty() {
        let then = Then::Return { sp: 0, caller: 0, pop: 0, value, unload: Vec::new(), loaded: new };
        callback::request(k, calls, then);
    }
    Ok(())
}

/// The error a failed load leaves.
fn failure_error(f: &LoadFailure) -> u32 {
    match f {
        LoadFailure::NotFound(_) => ERROR_MOD_NOT_FOUND,
        LoadFailure::MissingImport(_) => ERROR_PROC_NOT_FOUND,
        LoadFailure::Bad(_) => ERROR_BAD_EXE_FORMAT,
    }
}

fn load_library(k: &mut Kx, name: Option<String>, flags: u32) -> KResult<Ptr> {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(Ptr(0));
    };
    // The flags that map a file as data or skip its initialisation are not built.
    if flags & !LOAD_WITH_ALTERED_SEARCH_PATH != 0 {
        set_last_error(k, ERROR_NOT_SUPPORTED)?;
        return Ok(Ptr(0));
    }
    if let Some(dll) = module::builtin(&name) {
        return Ok(Ptr(builtin_handle(k, dll)));
    }
    let dir = (flags & LOAD_WITH_ALTERED_SEARCH_PATH != 0 && name.contains('\\')).then(|| module::dir_of(&name));
    match loading(k, dir, |k, l| module::load_library(k, l, &name, 0))? {
        Ok((base, new)) => {
            attach(k, new, base)?;
            Ok(Ptr(base))
        }
        Err(f) => {
            set_last_error(k, failure_error(&f))?;
            Ok(Ptr(0))
        }
    }
}

/// HMODULE LoadLibraryA(LPCSTR lpLibFileName): the library (by file name, searched in the
/// program's directory, System32 and the Windows directory; or by path) mapped with its
/// imports bound and DllMain called, or one more reference to it if loaded. NULL with
/// ERROR_MOD_NOT_FOUND, ERROR_PROC_NOT_FOUND (an import nothing exports),
/// ERROR_BAD_EXE_FORMAT or ERROR_DLL_INIT_FAILED (DllMain returned FALSE).
pub fn LoadLibraryA(k: &mut Kx, name: PCSTR) -> KResult<Ptr> {
    let name = string_arg(k, name.0, false, MAX_NAME)?;
    load_library(k, name, 0)
}

/// HMODULE LoadLibraryW(LPCWSTR lpLibFileName)
pub fn LoadLibraryW(k: &mut Kx, name: PCWSTR) -> KResult<Ptr> {
    let name = string_arg(k, name.0, true, MAX_NAME)?;
    load_library(k, name, 0)
}

/// HMODULE LoadLibraryExA(LPCSTR lpLibFileName, HANDLE hFile, DWORD dwFlags): hFile must be
/// NULL; flags 0 or LOAD_WITH_ALTERED_SEARCH_PATH (ERROR_NOT_SUPPORTED for the others).
pub fn LoadLibraryExA(k: &mut Kx, name: PCSTR, file: Ptr, flags: u32) -> KResult<Ptr> {
    if file.0 != 0 {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(Ptr(0));
    }
    let name = string_arg(k, name.0, false, MAX_NAME)?;
    load_library(k, name, flags)
}

/// HMODULE LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile, DWORD dwFlags)
pub fn LoadLibraryExW(k: &mut Kx, name: PCWSTR, file: Ptr, flags: u32) -> KResult<Ptr> {
    if file.0 != 0 {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(Ptr(0));
    }
    let name = string_arg(k, name.0, true, MAX_NAME)?;
    load_library(k, name, flags)
}

/// FARPROC GetProcAddress(HMODULE hModule, LPCSTR lpProcName): a name, or an ordinal in
/// the low word (the high word zero). Forwarders are followed. NULL with
/// ERROR_PROC_NOT_FOUND, or ERROR_MOD_NOT_FOUND for a handle that is no module.
pub fn GetProcAddress(k: &mut Kx, h: Ptr, name: Ptr) -> KResult<Ptr> {
    let wanted = if name.0 >> 16 == 0 {
        format!("ORDINAL {}", name.0)
    } else {
        // Past 0xFFFF the pointer is not NULL: there is a string.
        string_arg(k, name.0, false, MAX_NAME)?.unwrap_or_default()
    };
    let h = if h.0 == 0 { me(k)?.image_base } else { h.0 };
    if let Some(dll) = builtin_of(k, h) {
        return Ok(match crate::libraries::find_for(dll, &wanted, k.arch()) {
            Some(i) => Ptr(crate::process::slot_address(k, i)),
            None => {
                set_last_error(k, ERROR_PROC_NOT_FOUND)?;
                Ptr(0)
            }
        });
    }
    if !me(k)?.modules.iter().any(|m| m.base == h) {
        set_last_error(k, ERROR_MOD_NOT_FOUND)?;
        return Ok(Ptr(0));
    }
    match loading(k, None, |k, l| module::export(k, l, h, &wanted, 0))? {
        Ok((Some(at), new)) => {
            attach(k, new, at)?;
            Ok(Ptr(at))
        }
        Ok((None, _)) => {
            set_last_error(k, ERROR_PROC_NOT_FOUND)?;
            Ok(Ptr(0))
        }
        Err(f) => {
            set_last_error(k, failure_error(&f))?;
            Ok(Ptr(0))
        }
    }
}

/// BOOL FreeLibrary(HMODULE hLibModule): one reference less; at none the library gets
/// DLL_PROCESS_DETACH (TLS callbacks, then DllMain) and is unmapped, and the libraries
/// only it held go too. The program and the libraries it imports are never unloaded.
/// FALSE with ERROR_MOD_NOT_FOUND for a handle that is no module.
pub fn FreeLibrary(k: &mut Kx, h: Ptr) -> KResult<crate::BOOL> {
    if builtin_of(k, h.0).is_some() {
        return Ok(crate::BOOL(true));
    }
    let p = me(k)?;
    let Some(i) = p.modules.iter().position(|m| m.base == h.0) else {
        set_last_error(k, ERROR_MOD_NOT_FOUND)?;
        return Ok(crate::BOOL(false));
    };
    // The modules whose last reference goes: this one, then what only they held.
    let mut gone: Vec<u64> = Vec::new();
    let mut release = vec![i];
    while let Some(i) = release.pop() {
        let m = &mut p.modules[i];
        if m.pinned || gone.contains(&m.base) {
            continue;
        }
        m.refs = m.refs.saturating_sub(1);
        if m.refs > 0 {
            continue;
        }
        gone.push(m.base);
        let deps = m.deps.clone();
        release.extend(deps.iter().filter_map(|d| p.modules.iter().position(|m| m.base == *d)));
    }
    let mut calls = Vec::new();
    for base in &gone {
        if let Some(m) = p.modules.iter_mut().find(|m| m.base == *base && m.attached) {
            m.attached = false;
            calls.extend(module::calls_for(m, &m.tls_callbacks.clone(), DLL_PROCESS_DETACH, 0));
        }
    }
    if calls.is_empty() {
        unmap(k, &gone)?;
    } else {
        let then = Then::Return { sp: 0, caller: 0, pop: 0, value: 1, unload: gone, loaded: Vec::new() };
        callback::request(k, calls, then);
    }
    Ok(crate::BOOL(true))
}

/// Unmaps the modules at `bases` from the current process.
pub(crate) fn unmap(k: &mut Kx, bases: &[u64]) -> KResult<()> {
    for base in bases {
        let p = me(k)?;
        let Some(i) = p.modules.iter().position(|m| m.base == *base) else { continue };
        p.modules.remove(i);
        p.regions.retain(|r| r != base);
        module::unmap_region(k, *base)?;
    }
    Ok(())
}

fn module_handle(k: &mut Kx, name: Option<String>) -> KResult<Ptr> {
    let Some(name) = name else { return Ok(Ptr(me(k)?.image_base)) };
    if let Some(dll) = module::builtin(&name) {
        return Ok(Ptr(builtin_handle(k, dll)));
    }
    let p = me(k)?;
    match module::find_loaded(&p.modules, &name) {
        Some(i) => Ok(Ptr(p.modules[i].base)),
        None => {
            set_last_error(k, ERROR_MOD_NOT_FOUND)?;
            Ok(Ptr(0))
        }
    }
}

/// HMODULE GetModuleHandleA(LPCSTR lpModuleName): NULL names the program. No reference is
/// taken. NULL with ERROR_MOD_NOT_FOUND for a module not loaded.
pub fn GetModuleHandleA(k: &mut Kx, name: PCSTR) -> KResult<Ptr> {
    let name = string_arg(k, name.0, false, MAX_NAME)?;
    module_handle(k, name)
}

/// HMODULE GetModuleHandleW(LPCWSTR lpModuleName)
pub fn GetModuleHandleW(k: &mut Kx, name: PCWSTR) -> KResult<Ptr> {
    let name = string_arg(k, name.0, true, MAX_NAME)?;
    module_handle(k, name)
}

fn module_file_name(k: &mut Kx, h: Ptr, buffer: Ptr, size: u32, wide: bool) -> KResult<u32> {
    let path = if let Some(dll) = builtin_of(k, h.0) {
        format!("{}\\{dll}", crate::kernel32::system::SYSTEM_DIRECTORY)
    } else {
        let p = me(k)?;
        let h = if h.0 == 0 { p.image_base } else { h.0 };
        match p.modules.iter().find(|m: &&Module| m.base == h) {
            Some(m) => m.path.clone(),
            None => {
                set_last_error(k, ERROR_MOD_NOT_FOUND)?;
                return Ok(0);
            }
        }
    };
    let units: Vec<u16> = if wide { path.encode_utf16().collect() } else { path.chars().map(|c| c as u16).collect() };
    let size = size as usize;
    // Windows 7: a name that does not fit is cut to nSize - 1 characters and terminated;
    // the function returns nSize with ERROR_INSUFFICIENT_BUFFER.
    let fits = units.len() < size;
    let n = if fits { units.len() } else { size.saturating_sub(1) };
    if size > 0 {
        let mut bytes: Vec<u8> = Vec::new();
        for u in units[..n].iter().chain([&0u16]) {
            if wide {
                bytes.extend(u.to_le_bytes());
            } else {
                bytes.push(*u as u8);
            }
        }
        k.mem_mut().write(buffer.0, &bytes)?;
    }
    if fits {
        Ok(n as u32)
    } else {
        set_last_error(k, ERROR_INSUFFICIENT_BUFFER)?;
        Ok(size as u32)
    }
}

/// DWORD GetModuleFileNameA(HMODULE hModule, LPSTR lpFilename, DWORD nSize): the module's
/// path (NULL: the program's), its length without the NUL.
pub fn GetModuleFileNameA(k: &mut Kx, h: Ptr, buffer: Ptr, size: u32) -> KResult<u32> {
    module_file_name(k, h, buffer, size, false)
}

/// DWORD GetModuleFileNameW(HMODULE hModule, LPWSTR lpFilename, DWORD nSize)
pub fn GetModuleFileNameW(k: &mut Kx, h: Ptr, buffer: Ptr, size: u32) -> KResult<u32> {
    module_file_name(k, h, buffer, size, true)
}

/// BOOL DisableThreadLibraryCalls(HMODULE hLibModule): the library is no longer told when
/// threads start and end (neither its DllMain nor its TLS callbacks, as the loader skips a
/// module flagged LDRP_DONT_CALL_FOR_THREADS). FALSE with ERROR_INVALID_HANDLE for a module
/// the process does not have.
pub fn DisableThreadLibraryCalls(k: &mut Kx, module: Ptr) -> KResult<crate::BOOL> {
    let Some(m) = me(k)?.modules.iter_mut().find(|m| m.base == module.0) else {
        set_last_error(k, crate::error::ERROR_INVALID_HANDLE)?;
        return Ok(crate::BOOL(false));
    };
    m.no_thread_calls = true;
    Ok(crate::BOOL(true))
}

const GET_MODULE_HANDLE_EX_FLAG_PIN: u32 = 0x1;
const GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT: u32 = 0x2;
const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;

fn module_handle_ex(k: &mut Kx, flags: u32, name: u64, out: Ptr, wide: bool) -> KResult<crate::BOOL> {
    let known = GET_MODULE_HANDLE_EX_FLAG_PIN
        | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT
        | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS;
    let pin_and_keep = GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
    if out.is_null() || flags & !known != 0 || flags & pin_and_keep == pin_and_keep {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(crate::BOOL(false));
    }
    let h = if flags & GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS != 0 {
        match module_at(k, name)? {
            0 => {
                set_last_error(k, ERROR_MOD_NOT_FOUND)?;
                0
            }
            base => base,
        }
    } else {
        let name = string_arg(k, name, wide, MAX_NAME)?;
        module_handle(k, name)?.0
    };
    k.mem_mut().write_ptr(out.0, h)?;
    if h == 0 {
        return Ok(crate::BOOL(false));
    }
    // A reference the caller gives back with FreeLibrary, or none that could ever go.
    if flags & GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT == 0 {
        if let Some(m) = me(k)?.modules.iter_mut().find(|m| m.base == h) {
            if flags & GET_MODULE_HANDLE_EX_FLAG_PIN != 0 {
                m.pinned = true;
            } else {
                m.refs = m.refs.saturating_add(1);
            }
        }
    }
    Ok(crate::BOOL(true))
}

/// BOOL GetModuleHandleExA(DWORD dwFlags, LPCSTR lpModuleName, HMODULE *phModule): the
/// module by name (NULL: the program) or, with GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, the
/// one holding an address; it takes a reference FreeLibrary gives back, unless
/// GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, and GET_MODULE_HANDLE_EX_FLAG_PIN keeps the
/// module until the process ends. *phModule is NULL on failure (ERROR_MOD_NOT_FOUND).
pub fn GetModuleHandleExA(k: &mut Kx, flags: u32, name: Ptr, out: Ptr) -> KResult<crate::BOOL> {
    module_handle_ex(k, flags, name.0, out, false)
}

/// BOOL GetModuleHandleExW(DWORD dwFlags, LPCWSTR lpModuleName, HMODULE *phModule)
pub fn GetModuleHandleExW(k: &mut Kx, flags: u32, name: Ptr, out: Ptr) -> KResult<crate::BOOL> {
    module_handle_ex(k, flags, name.0, out, true)
}
