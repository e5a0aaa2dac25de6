//! CreateProcessA/W: a program starts another program, which runs beside it in an address
//! space of its own (crate::process, crate::threads), and the handles that name it
//! (OpenProcess, GetProcessId; TerminateProcess is kernel32/thread.rs's), through which one
//! reads and writes the other's memory (ReadProcessMemory, WriteProcessMemory).
//!
//! The image is found as Windows finds it: lpApplicationName as given (no search, no
//! extension added), or else the command line's first token (quoted, or up to the first
//! blank) with `.exe` added when it has no extension, searched in the creator's directory,
//! then System32 and the Windows directory. The new process gets lpCommandLine (or
//! lpApplicationName) as its command line, a copy of the creator's environment, an empty
//! standard input, and its creator's console (a console of its own with CREATE_NEW_CONSOLE
//! or DETACHED_PROCESS: what it writes is then in its own record); drivers' process notify routines see it
//! start (on the creator's thread) and may refuse it. It starts running when its creator
//! next waits or yields (with CREATE_SUSPENDED, once ResumeThread brings its first thread's
//! count to 0). Not built, refused with ERROR_NOT_SUPPORTED: the debugging flags, an
//! environment block of the caller's, another current directory, STARTF_USESTDHANDLES. Handles are not inherited (bInheritHandles is read, not acted on:
//! the console handles are the pseudo handles every process has).
#![allow(non_snake_case)]

use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::ob::handles::Mode;
use portcullis_hle::types::{Ptr, SizeT, HANDLE, PCSTR, PCWSTR};

use crate::error::{
    ERROR_ACCESS_DENIED, ERROR_BAD_EXE_FORMAT, ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER,
    ERROR_NOT_ENOUGH_MEMORY, ERROR_NOT_SUPPORTED, ERROR_PARTIAL_COPY, ERROR_PROC_NOT_FOUND,
};
use crate::kernel32::thread::{me, set_last_error};
use crate::process::Object;
use crate::BOOL;

/// The creation flags a process may be made with here: console and window choices, process
/// groups, error modes, jobs and priority classes, which change nothing a program sees here.
const ACCEPTED_FLAGS: u32 = CREATE_SUSPENDED
    | DETACHED_PROCESS
    | CREATE_NEW_CONSOLE
    | 0x0000_0200 // CREATE_NEW_PROCESS_GROUP
    | 0x0000_0400 // CREATE_UNICODE_ENVIRONMENT
    | 0x0000_0020 | 0x0000_0040 | 0x0000_0080 | 0x0000_4000 | 0x0000_8000 // priority classes
    | 0x0100_0000 // CREATE_BREAKAWAY_FROM_JOB
    | 0x0400_0000 // CREATE_DEFAULT_ERROR_MODE
    | 0x0800_0000; // CREATE_NO_WINDOW
/// The process's first thread does not start until ResumeThread.
const CREATE_SUSPENDED: u32 = 0x4;
/// The process gets no console, or a console of its own, instead of its creator's.
const DETACHED_PROCESS: u32 = 0x8;
const CREATE_NEW_CONSOLE: u32 = 0x10;
/// STARTUPINFO.dwFlags: STARTF_USESTDHANDLES.
const STARTF_USESTDHANDLES: u32 = 0x100;
/// PROCESS_ALL_ACCESS and THREAD_ALL_ACCESS (Windows 7).
const PROCESS_ALL_ACCESS: u32 = 0x001F_FFFF;
const THREAD_ALL_ACCESS: u32 = 0x001F_FFFF;
/// The tag bit of the program's kernel-object handles (as kernel32/sync.rs's).
const TAG: u64 = 2;
/// The longest file name read.
const MAX_PATH: usize = 32767;

/// BOOL CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine, LPSECURITY_ATTRIBUTES,
/// LPSECURITY_ATTRIBUTES, BOOL bInheritHandles, DWORD dwCreationFlags, LPVOID lpEnvironment,
/// LPCSTR lpCurrentDirectory, LPSTARTUPINFOA lpStartupInfo, LPPROCESS_INFORMATION)
#[allow(clippy::too_many_arguments)]
pub fn CreateProcessA(
    k: &mut Kx,
    application: PCSTR,
    command_line: Ptr,
    _process_attributes: Ptr,
    _thread_attributes: Ptr,
    _inherit: BOOL,
    flags: u32,
    environment: Ptr,
    directory: PCSTR,
    startup: Ptr,
    information: Ptr,
) -> KResult<BOOL> {
    let args =
        Args { application: application.0, command_line: command_line.0, flags, environment, directory: directory.0 };
    create(k, args, startup, information, false)
}

/// BOOL CreateProcessW(...): as CreateProcessA, the strings UTF-16.
#[allow(clippy::too_many_arguments)]
pub fn CreateProcessW(
    k: &mut Kx,
    application: PCWSTR,
    command_line: Ptr,
    _process_attributes: Ptr,
    _thread_attributes: Ptr,
    _inherit: BOOL,
    flags: u32,
    environment: Ptr,
    directory: PCWSTR,
    startup: Ptr,
    information: Ptr,
) -> KResult<BOOL> {
    let args =
        Args { application: application.0, command_line: command_line.0, flags, environment, directory: directory.0 };
    create(k, args, startup, information, true)
}

struct Args {
    application: u64,
    command_line: u64,
    flags: u32,
    environment: Ptr,
    directory: u64,
}

fn fail(k: &mut Kx, error: u32) -> KResult<BOOL> {
    set_last_error(k, error)?;
    Ok(BOOL(false))
}

fn create(k: &mut Kx, a: Args, startup: Ptr, information: Ptr, wide: bool) -> KResult<BOOL> {
    let application = crate::strings::string_arg(k, a.application, wide, MAX_PATH)?;
    let line = crate::strings::string_arg(k, a.command_line, wide, crate::process::MAX_COMMAND_LINE + 1)?;
    let Some(line) = line.or_else(|| application.clone()) else { return fail(k, ERROR_INVALID_PARAMETER) };
    // STARTUPINFO.cb is read as Windows reads it (a bad pointer is the caller's fault).
    k.mem().read_u32(startup.0)?;
    let startup_flags =
        k.mem().read_u32(startup.0 + if k.arch() == portcullis_emu::Arch::X86 { 0x2C } else { 0x3C })?;
    if a.flags & !ACCEPTED_FLAGS != 0
        || !a.environment.is_null()
        || a.directory != 0
        || startup_flags & STARTF_USESTDHANDLES != 0
    {
        return fail(k, ERROR_NOT_SUPPORTED);
    }
    let creator = me(k)?;
    let dir = crate::module::dir_of(&creator.path);
    let (parent, environment) = (creator.pid, creator.environment.clone());
    let found = match &application {
        // As given: the creator's directory for a relative name, no extension added.
        Some(app) => crate::module::find_file(k, app, &dir),
        None => crate::module::find_file(k, &with_exe(first_token(&line)), &dir),
    };
    let Some((path, bytes)) = found else { return fail(k, ERROR_FILE_NOT_FOUND) };
    let name = path.rsplit('\\').next().unwrap_or(&path).to_string();
    let pid = match crate::process::load_image(k, &name, &path, &bytes, &line, Some(parent)) {
        Ok(pid) => pid,
        Err(portcullis_hle::loader::LoadError::MissingImports(_)) => return fail(k, ERROR_PROC_NOT_FOUND),
        // The guest's memory cap (a program starting copies of itself without end).
        Err(portcullis_hle::loader::LoadError::Memory(_)) => return fail(k, ERROR_NOT_ENOUGH_MEMORY),
        Err(_) => return fail(k, ERROR_BAD_EXE_FORMAT),
    };
    let child = crate::state(k).processes.len() - 1;
    crate::state(k).processes[child].environment = environment;
    if a.flags & CREATE_SUSPENDED != 0 {
        crate::state(k).processes[child].threads[0].suspended = 1;
    }
    // A console program shares its creator's console unless asked for a new one or none.
    if a.flags & (CREATE_NEW_CONSOLE | DETACHED_PROCESS) == 0 {
        crate::state(k).processes[child].console_owner = Some(parent);
    }
    // Drivers' notify routines see it start, and may refuse it.
    if let Some(st) = portcullis_hle::ps::processes::announce(k, pid)? {
        crate::process::refused(k, child, st.0)?;
        return fail(k, crate::error::nt_status_to_dos_error(st.0));
    }
    let (eprocess, ethread, tid) = {
        let p = &crate::state(k).processes[child];
        (p.eprocess, p.ethread, p.tid)
    };
    let (process_handle, _) =
        portcullis_hle::ob::handles::open_checked(k, eprocess, PROCESS_ALL_ACCESS, 0, Mode::User)?;
    let (thread_handle, _) = portcullis_hle::ob::handles::open_checked(k, ethread, THREAD_ALL_ACCESS, 0, Mode::User)?;
    let hp = process_handle | TAG;
    let ht = thread_handle | TAG;
    let me_ = me(k)?;
    me_.handles.insert(hp, Object::Process { handle: process_handle, pid, access: PROCESS_ALL_ACCESS });
    me_.handles.insert(ht, Object::Thread { handle: thread_handle, tid });
    // PROCESS_INFORMATION: hProcess, hThread, dwProcessId, dwThreadId.
    let ps = k.arch().ptr_size();
    let mem = k.mem_mut();
    mem.write_ptr(information.0, hp)?;
    mem.write_ptr(information.0 + ps, ht)?;
    mem.write_u32(information.0 + 2 * ps, pid as u32)?;
    mem.write_u32(information.0 + 2 * ps + 4, tid as u32)?;
    Ok(BOOL(true))
}

/// HANDLE OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId): a
/// handle of a program's process that has not ended (the caller's own too), with the
/// access asked for. A process of the system's (System, the sandbox's own): ERROR_ACCESS_DENIED;
/// no process of that id: ERROR_INVALID_PARAMETER, as Windows.
pub fn OpenProcess(k: &mut Kx, access: u32, _inherit: BOOL, pid: u32) -> KResult<HANDLE> {
    let pid = u64::from(pid);
    let found = crate::state(k).processes.iter().find(|p| p.pid == pid && p.exited.is_none()).map(|p| p.eprocess);
    let Some(eprocess) = found else {
        let system = portcullis_hle::ps::processes::find(k, pid).is_some_and(|p| p.exited.is_none());
        set_last_error(k, if system { ERROR_ACCESS_DENIED } else { ERROR_INVALID_PARAMETER })?;
        return Ok(HANDLE(0));
    };
    let (handle, _) = portcullis_hle::ob::handles::open_checked(k, eprocess, access, 0, Mode::User)?;
    let h = handle | TAG;
    me(k)?.handles.insert(h, Object::Process { handle, pid, access });
    Ok(HANDLE(h))
}

/// DWORD GetProcessId(HANDLE Process): the id of the process a handle names (the pseudo
/// handle: the caller's); 0 and ERROR_INVALID_HANDLE for anything else.
pub fn GetProcessId(k: &mut Kx, process: HANDLE) -> KResult<u32> {
    match process_of(k, process.0) {
        Some(i) => Ok(crate::state(k).processes[i].pid as u32),
        None => {
            set_last_error(k, ERROR_INVALID_HANDLE)?;
            Ok(0)
        }
    }
}

/// The command line's first token: up to the closing quote of a quoted one, else up to the
/// first blank.
fn first_token(line: &str) -> &str {
    let line = line.trim_start_matches([' ', '\t']);
    match line.strip_prefix('"') {
        Some(rest) => rest.split('"').next().unwrap_or(rest),
        None => line.split([' ', '\t']).next().unwrap_or(line),
    }
}

/// `name` with `.exe` added when its file name has no extension.
fn with_exe(name: &str) -> String {
    let file = name.rsplit(['\\', '/']).next().unwrap_or(name);
    if file.contains('.') {
        name.to_string()
    } else {
        format!("{name}.exe")
    }
}

/// The process a handle of the current program names (CreateProcess's hProcess): its
/// index among the processes, or the current one for the pseudo handle (HANDLE)-1.
pub(crate) fn process_of(k: &mut Kx, h: u64) -> Option<usize> {
    process_and_access(k, h).map(|(i, _)| i)
}

/// [`process_of`], with the rights the handle grants (the pseudo handle: all).
fn process_and_access(k: &mut Kx, h: u64) -> Option<(usize, u32)> {
    if h == k.arch().mask(u64::MAX) {
        return crate::state(k).current.map(|i| (i, PROCESS_ALL_ACCESS));
    }
    let (pid, access) = match crate::current(k)?.handles.get(&h) {
        Some(Object::Process { pid, access, .. }) => (*pid, *access),
        _ => return None,
    };
    crate::state(k).processes.iter().position(|p| p.pid == pid).map(|i| (i, access))
}

/// PROCESS_VM_OPERATION, PROCESS_VM_READ, PROCESS_VM_WRITE.
const PROCESS_VM_OPERATION: u32 = 0x8;
const PROCESS_VM_READ: u32 = 0x10;
const PROCESS_VM_WRITE: u32 = 0x20;

/// BOOL ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer, SIZE_T
/// nSize, SIZE_T *lpNumberOfBytesRead): nSize bytes at lpBaseAddress in that process's
/// address space into the caller's buffer. A range that ends in memory the process does not
/// have copies what comes before: FALSE, ERROR_PARTIAL_COPY, the count in
/// *lpNumberOfBytesRead (optional). A handle without PROCESS_VM_READ: ERROR_ACCESS_DENIED.
pub fn ReadProcessMemory(k: &mut Kx, process: HANDLE, base: Ptr, buffer: Ptr, size: SizeT, done: Ptr) -> KResult<BOOL> {
    transfer(k, process, base.0, buffer.0, size.0, done, false)
}

/// BOOL WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress, LPCVOID lpBuffer, SIZE_T
/// nSize, SIZE_T *lpNumberOfBytesWritten): the caller's bytes into that process's address
/// space — read-only pages too, as kernel32 makes them writable for the copy; what the
/// process does not have ends it (ERROR_PARTIAL_COPY). Needs PROCESS_VM_WRITE and
/// PROCESS_VM_OPERATION.
pub fn WriteProcessMemory(
    k: &mut Kx,
    process: HANDLE,
    base: Ptr,
    buffer: Ptr,
    size: SizeT,
    done: Ptr,
) -> KResult<BOOL> {
    transfer(k, process, base.0, buffer.0, size.0, done, true)
}

/// The copy of [`ReadProcessMemory`] (`write` false) and [`WriteProcessMemory`], a page at
/// a time on each side (a megabyte held at once), stopping at the first page one side lacks.
fn transfer(k: &mut Kx, process: HANDLE, remote: u64, local: u64, size: u64, done: Ptr, write: bool) -> KResult<BOOL> {
    let Some((i, access)) = process_and_access(k, process.0) else { return fail(k, ERROR_INVALID_HANDLE) };
    let needed = if write { PROCESS_VM_WRITE | PROCESS_VM_OPERATION } else { PROCESS_VM_READ };
    let target = &crate::state(k).processes[i];
    if access & needed != needed || target.exited.is_some() {
        return fail(k, ERROR_ACCESS_DENIED);
    }
    let eprocess = target.eprocess;
    let (from, to) = if write { (None, Some(eprocess)) } else { (Some(eprocess), None) };
    let (src, dst) = if write { (local, remote) } else { (remote, local) };
    let n = portcullis_hle::mm::copy_virtual::copy_across(k, from, src, to, dst, size, write)?;
    if !done.is_null() {
        k.mem_mut().write_ptr(done.0, n)?;
    }
    if n < size {
        return fail(k, ERROR_PARTIAL_COPY);
    }
    Ok(BOOL(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_the_command_lines_first_token_with_exe_added() {
        assert_eq!(first_token("child.exe a b"), "child.exe");
        assert_eq!(first_token("  \"C:\\Program Files\\x\\child\" -v"), "C:\\Program Files\\x\\child");
        assert_eq!(with_exe("child"), "child.exe");
        assert_eq!(with_exe("C:\\dir.d\\child"), "C:\\dir.d\\child.exe");
        assert_eq!(with_exe("child.com"), "child.com");
    }
}
