//! advapi32.dll: the service control manager a program installs and starts its driver with
//! ([`service`]), the token privileges it enables first ([`token`]) and the registry
//! ([`registry`]), one line each (see [`crate::table`]). A program importing anything
//! else is refused at load, naming it.

pub mod registry;
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
    stdcall fn QueryServiceStatusEx(hService: Ptr, InfoLevel: u32, lpBuffer: Ptr, cbBufSize: u32, pcbBytesNeeded: Ptr) -> BOOL = service::QueryServiceStatusEx;
    stdcall fn ChangeServiceConfigA(hService: Ptr, dwServiceType: u32, dwStartType: u32, dwErrorControl: u32, lpBinaryPathName: PCSTR, lpLoadOrderGroup: PCSTR, lpdwTagId: Ptr, lpDependencies: Ptr, lpServiceStartName: PCSTR, lpPassword: PCSTR, lpDisplayName: PCSTR) -> BOOL = service::ChangeServiceConfigA;
    stdcall fn ChangeServiceConfigW(hService: Ptr, dwServiceType: u32, dwStartType: u32, dwErrorControl: u32, lpBinaryPathName: PCWSTR, lpLoadOrderGroup: PCWSTR, lpdwTagId: Ptr, lpDependencies: Ptr, lpServiceStartName: PCWSTR, lpPassword: PCWSTR, lpDisplayName: PCWSTR) -> BOOL = service::ChangeServiceConfigW;
    stdcall fn DeleteService(hService: Ptr) -> BOOL = service::DeleteService;
    stdcall fn CloseServiceHandle(hSCObject: Ptr) -> BOOL = service::CloseServiceHandle;
    // The registry (advapi32/registry.rs).
    stdcall fn RegOpenKeyExA(hKey: Ptr, lpSubKey: PCSTR, ulOptions: u32, samDesired: u32, phkResult: Ptr) -> u32 = registry::RegOpenKeyExA;
    stdcall fn RegOpenKeyExW(hKey: Ptr, lpSubKey: PCWSTR, ulOptions: u32, samDesired: u32, phkResult: Ptr) -> u32 = registry::RegOpenKeyExW;
    stdcall fn RegCreateKeyExA(hKey: Ptr, lpSubKey: PCSTR, Reserved: u32, lpClass: PCSTR, dwOptions: u32, samDesired: u32, lpSecurityAttributes: Ptr, phkResult: Ptr, lpdwDisposition: Ptr) -> u32 = registry::RegCreateKeyExA;
    stdcall fn RegCreateKeyExW(hKey: Ptr, lpSubKey: PCWSTR, Reserved: u32, lpClass: PCWSTR, dwOptions: u32, samDesired: u32, lpSecurityAttributes: Ptr, phkResult: Ptr, lpdwDisposition: Ptr) -> u32 = registry::RegCreateKeyExW;
    stdcall fn RegQueryValueExA(hKey: Ptr, lpValueName: PCSTR, lpReserved: Ptr, lpType: Ptr, lpData: Ptr, lpcbData: Ptr) -> u32 = registry::RegQueryValueExA;
    stdcall fn RegQueryValueExW(hKey: Ptr, lpValueName: PCWSTR, lpReserved: Ptr, lpType: Ptr, lpData: Ptr, lpcbData: Ptr) -> u32 = registry::RegQueryValueExW;
    stdcall fn RegSetValueExA(hKey: Ptr, lpValueName: PCSTR, Reserved: u32, dwType: u32, lpData: Ptr, cbData: u32) -> u32 = registry::RegSetValueExA;
    stdcall fn RegSetValueExW(hKey: Ptr, lpValueName: PCWSTR, Reserved: u32, dwType: u32, lpData: Ptr, cbData: u32) -> u32 = registry::RegSetValueExW;
    stdcall fn RegDeleteValueA(hKey: Ptr, lpValueName: PCSTR) -> u32 = registry::RegDeleteValueA;
    stdcall fn RegDeleteValueW(hKey: Ptr, lpValueName: PCWSTR) -> u32 = registry::RegDeleteValueW;
    stdcall fn RegCloseKey(hKey: Ptr) -> u32 = registry::RegCloseKey;
    // The program's token (advapi32/token.rs).
    stdcall fn OpenProcessToken(ProcessHandle: HANDLE, DesiredAccess: u32, TokenHandle: Ptr) -> BOOL = token::OpenProcessToken;
    stdcall fn LookupPrivilegeValueA(lpSystemName: PCSTR, lpName: PCSTR, lpLuid: Ptr) -> BOOL = token::LookupPrivilegeValueA;
    stdcall fn LookupPrivilegeValueW(lpSystemName: PCWSTR, lpName: PCWSTR, lpLuid: Ptr) -> BOOL = token::LookupPrivilegeValueW;
    stdcall fn AdjustTokenPrivileges(TokenHandle: HANDLE, DisableAllPrivileges: BOOL, NewState: Ptr, BufferLength: u32, PreviousState: Ptr, ReturnLength: Ptr) -> BOOL = token::AdjustTokenPrivileges;
};
