//! kernel32.dll: every function the user-mode layer implements, one line each (see
//! [`crate::table`]). A program importing anything else is refused at load, naming it.

pub mod console;
pub mod file;
pub mod module;
pub mod thread;

#[cfg(test)]
mod tests;

use portcullis_hle::types::{Ptr, HANDLE, PCSTR, PCWSTR};

use crate::table::{Win32Fn, BOOL};
use crate::win32_exports;

pub static KERNEL32: &[Win32Fn] = win32_exports! {
    dll: "kernel32.dll",
    functions:
    // Files and devices (kernel32/file.rs).
    stdcall fn CreateFileA(lpFileName: PCSTR, dwDesiredAccess: u32, dwShareMode: u32, lpSecurityAttributes: Ptr, dwCreationDisposition: u32, dwFlagsAndAttributes: u32, hTemplateFile: HANDLE) -> HANDLE = file::CreateFileA;
    stdcall fn CreateFileW(lpFileName: PCWSTR, dwDesiredAccess: u32, dwShareMode: u32, lpSecurityAttributes: Ptr, dwCreationDisposition: u32, dwFlagsAndAttributes: u32, hTemplateFile: HANDLE) -> HANDLE = file::CreateFileW;
    stdcall fn DeviceIoControl(hDevice: HANDLE, dwIoControlCode: u32, lpInBuffer: Ptr, nInBufferSize: u32, lpOutBuffer: Ptr, nOutBufferSize: u32, lpBytesReturned: Ptr, lpOverlapped: Ptr) -> BOOL = file::DeviceIoControl;
    stdcall fn ReadFile(hFile: HANDLE, lpBuffer: Ptr, nNumberOfBytesToRead: u32, lpNumberOfBytesRead: Ptr, lpOverlapped: Ptr) -> BOOL = file::ReadFile;
    stdcall fn WriteFile(hFile: HANDLE, lpBuffer: Ptr, nNumberOfBytesToWrite: u32, lpNumberOfBytesWritten: Ptr, lpOverlapped: Ptr) -> BOOL = file::WriteFile;
    stdcall fn CloseHandle(hObject: HANDLE) -> BOOL = file::CloseHandle;
    // The console (kernel32/console.rs).
    stdcall fn GetStdHandle(nStdHandle: u32) -> HANDLE = console::GetStdHandle;
    stdcall fn WriteConsoleA(hConsoleOutput: HANDLE, lpBuffer: Ptr, nNumberOfCharsToWrite: u32, lpNumberOfCharsWritten: Ptr, lpReserved: Ptr) -> BOOL = console::WriteConsoleA;
    // Modules (kernel32/module.rs).
    stdcall fn LoadLibraryA(lpLibFileName: PCSTR) -> Ptr = module::LoadLibraryA;
    stdcall fn LoadLibraryW(lpLibFileName: PCWSTR) -> Ptr = module::LoadLibraryW;
    stdcall fn LoadLibraryExA(lpLibFileName: PCSTR, hFile: Ptr, dwFlags: u32) -> Ptr = module::LoadLibraryExA;
    stdcall fn LoadLibraryExW(lpLibFileName: PCWSTR, hFile: Ptr, dwFlags: u32) -> Ptr = module::LoadLibraryExW;
    stdcall fn GetProcAddress(hModule: Ptr, lpProcName: Ptr) -> Ptr = module::GetProcAddress;
    stdcall fn FreeLibrary(hLibModule: Ptr) -> BOOL = module::FreeLibrary;
    stdcall fn GetModuleHandleA(lpModuleName: PCSTR) -> Ptr = module::GetModuleHandleA;
    stdcall fn GetModuleHandleW(lpModuleName: PCWSTR) -> Ptr = module::GetModuleHandleW;
    stdcall fn GetModuleFileNameA(hModule: Ptr, lpFilename: Ptr, nSize: u32) -> u32 = module::GetModuleFileNameA;
    stdcall fn GetModuleFileNameW(hModule: Ptr, lpFilename: Ptr, nSize: u32) -> u32 = module::GetModuleFileNameW;
    // Processes, threads, errors, time (kernel32/thread.rs).
    stdcall fn ExitProcess(uExitCode: u32) -> () = thread::ExitProcess;
    stdcall fn GetCurrentProcess() -> HANDLE = thread::GetCurrentProcess;
    stdcall fn GetCurrentProcessId() -> u32 = thread::GetCurrentProcessId;
    stdcall fn GetCurrentThreadId() -> u32 = thread::GetCurrentThreadId;
    stdcall fn GetCommandLineA() -> Ptr = thread::GetCommandLineA;
    stdcall fn GetCommandLineW() -> Ptr = thread::GetCommandLineW;
    stdcall fn GetLastError() -> u32 = thread::GetLastError;
    stdcall fn SetLastError(dwErrCode: u32) -> () = thread::SetLastError;
    stdcall fn Sleep(dwMilliseconds: u32) -> () = thread::Sleep;
    stdcall fn GetTickCount() -> u32 = thread::GetTickCount;
};
