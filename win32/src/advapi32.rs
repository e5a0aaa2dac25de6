//! advapi32.dll: the service control manager a program installs and starts its driver with
//! ([`service`]) and the token privileges it enables first ([`token`]), one line each (see [`crate::table`]). A program importing anything
//! else is refused at load, naming it.

pub mod service;
pub mod token;

use portcullis_hle::types::{Ptr, HANDLE, PCSTR, PCWSTR};

use crate::table::{Win32Fn, BOOL};
use crate::win32_exports;

pub static ADVAPI32: &[Win32Fn] = win32_exports! {
    dll: "advapi32.dll",
    functions:
    // The service control manager (advapi32/service.rs).
    stdcall fn OpenSCManagerA(lpMachineName: PCSTR, lpDatabaseName: PCSTR, dwDesiredAccess: u32) -> Ptr = service::OpenSCManagerA;
    stdcall fn OpenSCManagerW(lpMachineName: PCWSTR, lpDatabaseName: PCWSTR, dwDesiredAccess: u32) -> Ptr = service::OpenSCManagerW;
    stdcall fn CreateServiceA(hSCManager: Ptr, lpServiceName: PCSTR, lpDisplayName: PCSTR, dwDesiredAccess: u32, dwServiceType: u32, dwStartType: u32, dwErrorControl: u32, lpBinaryPathName: PCSTR, lpLoadOrderGroup: PCSTR, lpdwTagId: Ptr, lpDependencies: Ptr, lpServiceStartName: PCSTR, lpPassword: PCSTR) -> Ptr = service::CreateServiceA;
    stdcall fn CreateServiceW(hSCManager: Ptr, lpServiceName: PCWSTR, lpDisplayName: PCWSTR, dwDesiredAccess: u32, dwServiceType: u32, dwStartType: u32, dwErrorControl: u32, lpBinaryPathName: PCWSTR, lpLoadOrderGroup: PCWSTR, lpdwTagId: Ptr, lpDependencies: Ptr, lpServiceStartName: PCWSTR, lpPassword: PCWSTR) -> Ptr = service::CreateServiceW;
    stdcall fn OpenServiceA(hSCManager: Ptr, lpServiceName: PCSTR, dwDesiredAccess: u32) -> Ptr = service::OpenServiceA;
    stdcall fn OpenServiceW(hSCManager: Ptr, lpServiceName: PCWSTR, dwDesiredAccess: u32) -> Ptr = service::OpenServiceW;
    stdcall fn StartServiceA(hService: Ptr, dwNumServiceArgs: u32, lpServiceArgVectors: Ptr) -> BOOL = service::StartServiceA;
    stdcall fn StartServiceW(hService: Ptr, dwNumServiceArgs: u32, lpServiceArgVectors: Ptr) -> BOOL = service::StartServiceW;
    stdcall fn ControlService(hService: Ptr, dwControl: u32, lpServiceStatus: Ptr) -> BOOL = service::ControlService;
    stdcall fn QueryServiceStatus(hService: Ptr, lpServiceStatus: Ptr) -> BOOL = service::QueryServiceStatus;
    stdcall fn DeleteService(hService: Ptr) -> BOOL = service::DeleteService;
    stdcall fn CloseServiceHandle(hSCObject: Ptr) -> BOOL = service::CloseServiceHandle;
    // The program's token (advapi32/token.rs).
    stdcall fn OpenProcessToken(ProcessHandle: HANDLE, DesiredAccess: u32, TokenHandle: Ptr) -> BOOL = token::OpenProcessToken;
    stdcall fn LookupPrivilegeValueA(lpSystemName: PCSTR, lpName: PCSTR, lpLuid: Ptr) -> BOOL = token::LookupPrivilegeValueA;
    stdcall fn LookupPrivilegeValueW(lpSystemName: PCWSTR, lpName: PCWSTR, lpLuid: Ptr) -> BOOL = token::LookupPrivilegeValueW;
    stdcall fn AdjustTokenPrivileges(TokenHandle: HANDLE, DisableAllPrivileges: BOOL, NewState: Ptr, BufferLength: u32, PreviousState: Ptr, ReturnLength: Ptr) -> BOOL = token::AdjustTokenPrivileges;
};
