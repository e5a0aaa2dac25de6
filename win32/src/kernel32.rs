//! kernel32.dll: every function the user-mode layer implements, one line each (see
//! [`crate::table`]). A program importing anything else is refused at load, naming it.
//!
//! Not here on purpose: movable Local/Global memory.

pub mod console;
pub mod create_process;
pub mod ctype;
pub mod debug;
pub mod environment;
pub mod exception;
pub mod file;
pub mod file_names;
pub mod find;
pub mod heap;
pub mod locale;
pub mod module;
pub mod overlapped;
pub mod pointer;
pub mod sort;
pub mod startup;
pub mod sync;
pub mod system;
pub mod text;
pub mod thread;
pub mod time;
pub mod virtual_memory;

#[cfg(test)]
mod tests;

use portcullis_hle::types::{Ptr, SizeT, HANDLE, PCSTR, PCWSTR};

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
    stdcall fn DeleteFileA(lpFileName: PCSTR) -> BOOL = file_names::DeleteFileA;
    stdcall fn DeleteFileW(lpFileName: PCWSTR) -> BOOL = file_names::DeleteFileW;
    stdcall fn CreateDirectoryA(lpPathName: PCSTR, lpSecurityAttributes: Ptr) -> BOOL = file_names::CreateDirectoryA;
    stdcall fn CreateDirectoryW(lpPathName: PCWSTR, lpSecurityAttributes: Ptr) -> BOOL = file_names::CreateDirectoryW;
    stdcall fn RemoveDirectoryA(lpPathName: PCSTR) -> BOOL = file_names::RemoveDirectoryA;
    stdcall fn RemoveDirectoryW(lpPathName: PCWSTR) -> BOOL = file_names::RemoveDirectoryW;
    stdcall fn GetFileAttributesA(lpFileName: PCSTR) -> u32 = file_names::GetFileAttributesA;
    stdcall fn GetFileAttributesW(lpFileName: PCWSTR) -> u32 = file_names::GetFileAttributesW;
    stdcall fn FindFirstFileA(lpFileName: PCSTR, lpFindFileData: Ptr) -> HANDLE = find::FindFirstFileA;
    stdcall fn FindFirstFileW(lpFileName: PCWSTR, lpFindFileData: Ptr) -> HANDLE = find::FindFirstFileW;
    stdcall fn FindFirstFileExA(lpFileName: PCSTR, fInfoLevelId: u32, lpFindFileData: Ptr, fSearchOp: u32, lpSearchFilter: Ptr, dwAdditionalFlags: u32) -> HANDLE = find::FindFirstFileExA;
    stdcall fn FindFirstFileExW(lpFileName: PCWSTR, fInfoLevelId: u32, lpFindFileData: Ptr, fSearchOp: u32, lpSearchFilter: Ptr, dwAdditionalFlags: u32) -> HANDLE = find::FindFirstFileExW;
    stdcall fn FindNextFileA(hFindFile: HANDLE, lpFindFileData: Ptr) -> BOOL = find::FindNextFileA;
    stdcall fn FindNextFileW(hFindFile: HANDLE, lpFindFileData: Ptr) -> BOOL = find::FindNextFileW;
    stdcall fn FindClose(hFindFile: HANDLE) -> BOOL = find::FindClose;
    stdcall fn GetOverlappedResult(hFile: HANDLE, lpOverlapped: Ptr, lpNumberOfBytesTransferred: Ptr, bWait: BOOL) -> BOOL = overlapped::GetOverlappedResult;
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
    stdcall fn GetModuleHandleExA(dwFlags: u32, lpModuleName: Ptr, phModule: Ptr) -> BOOL = module::GetModuleHandleExA;
    stdcall fn GetModuleHandleExW(dwFlags: u32, lpModuleName: Ptr, phModule: Ptr) -> BOOL = module::GetModuleHandleExW;
    stdcall fn WriteConsoleW(hConsoleOutput: HANDLE, lpBuffer: Ptr, nNumberOfCharsToWrite: u32, lpNumberOfCharsWritten: Ptr, lpReserved: Ptr) -> BOOL = console::WriteConsoleW;
    stdcall fn ReadConsoleA(hConsoleInput: HANDLE, lpBuffer: Ptr, nNumberOfCharsToRead: u32, lpNumberOfCharsRead: Ptr, pInputControl: Ptr) -> BOOL = console::ReadConsoleA;
    stdcall fn ReadConsoleW(hConsoleInput: HANDLE, lpBuffer: Ptr, nNumberOfCharsToRead: u32, lpNumberOfCharsRead: Ptr, pInputControl: Ptr) -> BOOL = console::ReadConsoleW;
    // Processes, threads, errors, time (kernel32/thread.rs).
    stdcall fn ExitProcess(uExitCode: u32) -> () = thread::ExitProcess;
    stdcall fn GetCurrentProcess() -> HANDLE = thread::GetCurrentProcess;
    stdcall fn GetCurrentProcessId() -> u32 = thread::GetCurrentProcessId;
    stdcall fn GetCurrentThreadId() -> u32 = thread::GetCurrentThreadId;
    // What a C runtime asks at start (kernel32/startup.rs).
    stdcall fn GetStartupInfoA(lpStartupInfo: Ptr) -> () = startup::GetStartupInfoA;
    stdcall fn GetStartupInfoW(lpStartupInfo: Ptr) -> () = startup::GetStartupInfoW;
    stdcall fn TlsAlloc() -> u32 = startup::TlsAlloc;
    stdcall fn TlsGetValue(dwTlsIndex: u32) -> Ptr = startup::TlsGetValue;
    stdcall fn TlsSetValue(dwTlsIndex: u32, lpTlsValue: Ptr) -> BOOL = startup::TlsSetValue;
    stdcall fn TlsFree(dwTlsIndex: u32) -> BOOL = startup::TlsFree;
    stdcall fn IsDBCSLeadByteEx(CodePage: u32, TestChar: u8) -> BOOL = startup::IsDBCSLeadByteEx;
    // Exceptions (kernel32/exception.rs).
    stdcall fn SetUnhandledExceptionFilter(lpTopLevelExceptionFilter: Ptr) -> Ptr = exception::SetUnhandledExceptionFilter;
    stdcall fn UnhandledExceptionFilter(ExceptionInfo: Ptr) -> i32 = exception::UnhandledExceptionFilter;
    stdcall fn RaiseException(dwExceptionCode: u32, dwExceptionFlags: u32, nNumberOfArguments: u32, lpArguments: Ptr) -> () = exception::RaiseException;
    #[x86] stdcall fn RtlUnwind(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr) -> SizeT = exception::RtlUnwind;
    #[x64] stdcall fn RtlUnwind(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr) -> () = exception::RtlUnwind64;
    #[x64] stdcall fn RtlUnwindEx(TargetFrame: Ptr, TargetIp: Ptr, ExceptionRecord: Ptr, ReturnValue: Ptr, ContextRecord: Ptr, HistoryTable: Ptr) -> () = exception::RtlUnwindEx;
    stdcall fn RtlCaptureContext(ContextRecord: Ptr) -> () = exception::RtlCaptureContext;
    #[x64] stdcall fn RtlLookupFunctionEntry(ControlPc: u64, ImageBase: Ptr, HistoryTable: Ptr) -> Ptr = portcullis_hle::seh::pdata::RtlLookupFunctionEntry;
    #[x64] stdcall fn RtlVirtualUnwind(HandlerType: u32, ImageBase: u64, ControlPc: u64, FunctionEntry: Ptr, ContextRecord: Ptr, HandlerData: Ptr, EstablisherFrame: Ptr, ContextPointers: Ptr) -> Ptr = portcullis_hle::seh::virtual_unwind::RtlVirtualUnwind;
    stdcall fn RtlPcToFileHeader(PcValue: Ptr, BaseOfImage: Ptr) -> Ptr = exception::RtlPcToFileHeader;
    // Sequenced singly linked lists (the kernel's, hle::ex::slist: the same layouts).
    stdcall fn InitializeSListHead(ListHead: Ptr) -> () = portcullis_hle::ex::slist::InitializeSListHead;
    stdcall fn InterlockedPushEntrySList(ListHead: Ptr, ListEntry: Ptr) -> Ptr = portcullis_hle::ex::slist::ExpInterlockedPushEntrySList;
    stdcall fn InterlockedPopEntrySList(ListHead: Ptr) -> Ptr = portcullis_hle::ex::slist::ExpInterlockedPopEntrySList;
    stdcall fn InterlockedFlushSList(ListHead: Ptr) -> Ptr = portcullis_hle::ex::slist::ExpInterlockedFlushSList;
    stdcall fn QueryDepthSList(ListHead: Ptr) -> u16 = portcullis_hle::ex::slist::ExQueryDepthSList;
    stdcall fn GetCommandLineA() -> Ptr = thread::GetCommandLineA;
    stdcall fn GetCommandLineW() -> Ptr = thread::GetCommandLineW;
    stdcall fn GetLastError() -> u32 = thread::GetLastError;
    stdcall fn SetLastError(dwErrCode: u32) -> () = thread::SetLastError;
    stdcall fn Sleep(dwMilliseconds: u32) -> () = thread::Sleep;
    stdcall fn GetTickCount() -> u32 = thread::GetTickCount;
    // Heaps (kernel32/heap.rs).
    stdcall fn GetProcessHeap() -> HANDLE = heap::GetProcessHeap;
    stdcall fn HeapCreate(flOptions: u32, dwInitialSize: SizeT, dwMaximumSize: SizeT) -> HANDLE = heap::HeapCreate;
    stdcall fn HeapDestroy(hHeap: HANDLE) -> BOOL = heap::HeapDestroy;
    stdcall fn HeapAlloc(hHeap: HANDLE, dwFlags: u32, dwBytes: SizeT) -> Ptr = heap::HeapAlloc;
    stdcall fn HeapFree(hHeap: HANDLE, dwFlags: u32, lpMem: Ptr) -> BOOL = heap::HeapFree;
    stdcall fn HeapReAlloc(hHeap: HANDLE, dwFlags: u32, lpMem: Ptr, dwBytes: SizeT) -> Ptr = heap::HeapReAlloc;
    stdcall fn HeapSize(hHeap: HANDLE, dwFlags: u32, lpMem: Ptr) -> SizeT = heap::HeapSize;
    stdcall fn LocalAlloc(uFlags: u32, uBytes: SizeT) -> Ptr = heap::LocalAlloc;
    stdcall fn LocalFree(hMem: Ptr) -> Ptr = heap::LocalFree;
    stdcall fn GlobalAlloc(uFlags: u32, dwBytes: SizeT) -> Ptr = heap::GlobalAlloc;
    stdcall fn GlobalFree(hMem: Ptr) -> Ptr = heap::GlobalFree;
    // Virtual memory (kernel32/virtual_memory.rs).
    stdcall fn VirtualAlloc(lpAddress: Ptr, dwSize: SizeT, flAllocationType: u32, flProtect: u32) -> Ptr = virtual_memory::VirtualAlloc;
    stdcall fn VirtualFree(lpAddress: Ptr, dwSize: SizeT, dwFreeType: u32) -> BOOL = virtual_memory::VirtualFree;
    stdcall fn VirtualProtect(lpAddress: Ptr, dwSize: SizeT, flNewProtect: u32, lpflOldProtect: Ptr) -> BOOL = virtual_memory::VirtualProtect;
    stdcall fn VirtualQuery(lpAddress: Ptr, lpBuffer: Ptr, dwLength: SizeT) -> SizeT = virtual_memory::VirtualQuery;
    // Time (kernel32/time.rs).
    stdcall fn GetTickCount64() -> u64 = time::GetTickCount64;
    stdcall fn QueryPerformanceCounter(lpPerformanceCount: Ptr) -> BOOL = time::QueryPerformanceCounter;
    stdcall fn QueryPerformanceFrequency(lpFrequency: Ptr) -> BOOL = time::QueryPerformanceFrequency;
    stdcall fn GetSystemTime(lpSystemTime: Ptr) -> () = time::GetSystemTime;
    stdcall fn GetSystemTimeAsFileTime(lpSystemTimeAsFileTime: Ptr) -> () = time::GetSystemTimeAsFileTime;
    stdcall fn GetLocalTime(lpSystemTime: Ptr) -> () = time::GetLocalTime;
    // The system (kernel32/system.rs).
    stdcall fn GetVersion() -> u32 = system::GetVersion;
    stdcall fn GetVersionExA(lpVersionInformation: Ptr) -> BOOL = system::GetVersionExA;
    stdcall fn GetVersionExW(lpVersionInformation: Ptr) -> BOOL = system::GetVersionExW;
    stdcall fn GetSystemDirectoryA(lpBuffer: Ptr, uSize: u32) -> u32 = system::GetSystemDirectoryA;
    stdcall fn GetSystemDirectoryW(lpBuffer: Ptr, uSize: u32) -> u32 = system::GetSystemDirectoryW;
    stdcall fn GetWindowsDirectoryA(lpBuffer: Ptr, uSize: u32) -> u32 = system::GetWindowsDirectoryA;
    stdcall fn GetWindowsDirectoryW(lpBuffer: Ptr, uSize: u32) -> u32 = system::GetWindowsDirectoryW;
    stdcall fn GetSystemInfo(lpSystemInfo: Ptr) -> () = system::GetSystemInfo;
    stdcall fn IsWow64Process(hProcess: HANDLE, Wow64Process: Ptr) -> BOOL = system::IsWow64Process;
    stdcall fn GetCurrentThread() -> HANDLE = system::GetCurrentThread;
    stdcall fn GetExitCodeProcess(hProcess: HANDLE, lpExitCode: Ptr) -> BOOL = system::GetExitCodeProcess;
    stdcall fn GetComputerNameA(lpBuffer: Ptr, nSize: Ptr) -> BOOL = system::GetComputerNameA;
    stdcall fn GetComputerNameW(lpBuffer: Ptr, nSize: Ptr) -> BOOL = system::GetComputerNameW;
    // Text (kernel32/text.rs).
    stdcall fn MultiByteToWideChar(CodePage: u32, dwFlags: u32, lpMultiByteStr: PCSTR, cbMultiByte: i32, lpWideCharStr: Ptr, cchWideChar: i32) -> i32 = text::MultiByteToWideChar;
    stdcall fn WideCharToMultiByte(CodePage: u32, dwFlags: u32, lpWideCharStr: PCWSTR, cchWideChar: i32, lpMultiByteStr: Ptr, cbMultiByte: i32, lpDefaultChar: Ptr, lpUsedDefaultChar: Ptr) -> i32 = text::WideCharToMultiByte;
    stdcall fn lstrlenA(lpString: PCSTR) -> i32 = text::lstrlenA;
    stdcall fn lstrlenW(lpString: PCWSTR) -> i32 = text::lstrlenW;
    stdcall fn lstrcpyA(lpString1: Ptr, lpString2: PCSTR) -> Ptr = text::lstrcpyA;
    stdcall fn lstrcpyW(lpString1: Ptr, lpString2: PCWSTR) -> Ptr = text::lstrcpyW;
    // The locale (kernel32/locale.rs), character types and case (kernel32/ctype.rs), the
    // linguistic comparison (kernel32/sort.rs).
    stdcall fn GetUserDefaultLCID() -> u32 = locale::GetUserDefaultLCID;
    stdcall fn GetSystemDefaultLCID() -> u32 = locale::GetUserDefaultLCID;
    stdcall fn GetThreadLocale() -> u32 = locale::GetUserDefaultLCID;
    stdcall fn GetUserDefaultLangID() -> u16 = locale::GetUserDefaultLangID;
    stdcall fn GetSystemDefaultLangID() -> u16 = locale::GetUserDefaultLangID;
    stdcall fn GetUserDefaultUILanguage() -> u16 = locale::GetUserDefaultLangID;
    stdcall fn IsValidLocale(Locale: u32, dwFlags: u32) -> BOOL = locale::IsValidLocale;
    stdcall fn GetLocaleInfoA(Locale: u32, LCType: u32, lpLCData: Ptr, cchData: i32) -> i32 = locale::GetLocaleInfoA;
    stdcall fn GetLocaleInfoW(Locale: u32, LCType: u32, lpLCData: Ptr, cchData: i32) -> i32 = locale::GetLocaleInfoW;
    stdcall fn GetStringTypeA(Locale: u32, dwInfoType: u32, lpSrcStr: PCSTR, cchSrc: i32, lpCharType: Ptr) -> BOOL = ctype::GetStringTypeA;
    stdcall fn GetStringTypeW(dwInfoType: u32, lpSrcStr: PCWSTR, cchSrc: i32, lpCharType: Ptr) -> BOOL = ctype::GetStringTypeW;
    stdcall fn GetStringTypeExA(Locale: u32, dwInfoType: u32, lpSrcStr: PCSTR, cchSrc: i32, lpCharType: Ptr) -> BOOL = ctype::GetStringTypeExA;
    stdcall fn GetStringTypeExW(Locale: u32, dwInfoType: u32, lpSrcStr: PCWSTR, cchSrc: i32, lpCharType: Ptr) -> BOOL = ctype::GetStringTypeExW;
    stdcall fn LCMapStringA(Locale: u32, dwMapFlags: u32, lpSrcStr: PCSTR, cchSrc: i32, lpDestStr: Ptr, cchDest: i32) -> i32 = ctype::LCMapStringA;
    stdcall fn LCMapStringW(Locale: u32, dwMapFlags: u32, lpSrcStr: PCWSTR, cchSrc: i32, lpDestStr: Ptr, cchDest: i32) -> i32 = ctype::LCMapStringW;
    stdcall fn CompareStringA(Locale: u32, dwCmpFlags: u32, lpString1: PCSTR, cchCount1: i32, lpString2: PCSTR, cchCount2: i32) -> i32 = sort::CompareStringA;
    stdcall fn CompareStringW(Locale: u32, dwCmpFlags: u32, lpString1: PCWSTR, cchCount1: i32, lpString2: PCWSTR, cchCount2: i32) -> i32 = sort::CompareStringW;
    stdcall fn lstrcmpA(lpString1: PCSTR, lpString2: PCSTR) -> i32 = sort::lstrcmpA;
    stdcall fn lstrcmpW(lpString1: PCWSTR, lpString2: PCWSTR) -> i32 = sort::lstrcmpW;
    stdcall fn lstrcmpiA(lpString1: PCSTR, lpString2: PCSTR) -> i32 = sort::lstrcmpiA;
    stdcall fn lstrcmpiW(lpString1: PCWSTR, lpString2: PCWSTR) -> i32 = sort::lstrcmpiW;
    // The environment (kernel32/environment.rs).
    stdcall fn GetEnvironmentVariableA(lpName: PCSTR, lpBuffer: Ptr, nSize: u32) -> u32 = environment::GetEnvironmentVariableA;
    stdcall fn GetEnvironmentVariableW(lpName: PCWSTR, lpBuffer: Ptr, nSize: u32) -> u32 = environment::GetEnvironmentVariableW;
    stdcall fn SetEnvironmentVariableA(lpName: PCSTR, lpValue: PCSTR) -> BOOL = environment::SetEnvironmentVariableA;
    stdcall fn SetEnvironmentVariableW(lpName: PCWSTR, lpValue: PCWSTR) -> BOOL = environment::SetEnvironmentVariableW;
    stdcall fn GetEnvironmentStrings() -> Ptr = environment::GetEnvironmentStringsA;
    stdcall fn GetEnvironmentStringsA() -> Ptr = environment::GetEnvironmentStringsA;
    stdcall fn GetEnvironmentStringsW() -> Ptr = environment::GetEnvironmentStringsW;
    stdcall fn FreeEnvironmentStringsA(penv: Ptr) -> BOOL = environment::FreeEnvironmentStrings;
    stdcall fn FreeEnvironmentStringsW(penv: Ptr) -> BOOL = environment::FreeEnvironmentStrings;
    // Synchronisation (kernel32/sync.rs).
    stdcall fn CreateEventA(lpEventAttributes: Ptr, bManualReset: BOOL, bInitialState: BOOL, lpName: PCSTR) -> HANDLE = sync::CreateEventA;
    stdcall fn CreateEventW(lpEventAttributes: Ptr, bManualReset: BOOL, bInitialState: BOOL, lpName: PCWSTR) -> HANDLE = sync::CreateEventW;
    stdcall fn SetEvent(hEvent: HANDLE) -> BOOL = sync::SetEvent;
    stdcall fn ResetEvent(hEvent: HANDLE) -> BOOL = sync::ResetEvent;
    stdcall fn WaitForSingleObject(hHandle: HANDLE, dwMilliseconds: u32) -> u32 = sync::WaitForSingleObject;
    stdcall fn InitializeCriticalSection(lpCriticalSection: Ptr) -> () = sync::InitializeCriticalSection;
    stdcall fn InitializeCriticalSectionAndSpinCount(lpCriticalSection: Ptr, dwSpinCount: u32) -> BOOL = sync::InitializeCriticalSectionAndSpinCount;
    stdcall fn EnterCriticalSection(lpCriticalSection: Ptr) -> () = sync::EnterCriticalSection;
    stdcall fn TryEnterCriticalSection(lpCriticalSection: Ptr) -> BOOL = sync::TryEnterCriticalSection;
    stdcall fn LeaveCriticalSection(lpCriticalSection: Ptr) -> () = sync::LeaveCriticalSection;
    stdcall fn DeleteCriticalSection(lpCriticalSection: Ptr) -> () = sync::DeleteCriticalSection;
    #[x86] stdcall fn InterlockedIncrement(Addend: Ptr) -> i32 = sync::InterlockedIncrement;
    #[x86] stdcall fn InterlockedDecrement(Addend: Ptr) -> i32 = sync::InterlockedDecrement;
    #[x86] stdcall fn InterlockedExchange(Target: Ptr, Value: i32) -> i32 = sync::InterlockedExchange;
    #[x86] stdcall fn InterlockedExchangeAdd(Addend: Ptr, Value: i32) -> i32 = sync::InterlockedExchangeAdd;
    #[x86] stdcall fn InterlockedCompareExchange(Destination: Ptr, ExChange: i32, Comperand: i32) -> i32 = sync::InterlockedCompareExchange;
    // What a C runtime's start-up asks: files and the console (kernel32/file.rs,
    // kernel32/console.rs), code pages (kernel32/text.rs), the debugger (kernel32/debug.rs),
    // encoded pointers (kernel32/pointer.rs), heaps, ending the process.
    stdcall fn GetFileType(hFile: HANDLE) -> u32 = file::GetFileType;
    stdcall fn SetHandleCount(uNumber: u32) -> u32 = file::SetHandleCount;
    stdcall fn SetFilePointer(hFile: HANDLE, lDistanceToMove: i32, lpDistanceToMoveHigh: Ptr, dwMoveMethod: u32) -> u32 = file::SetFilePointer;
    stdcall fn SetFilePointerEx(hFile: HANDLE, liDistanceToMove: i64, lpNewFilePointer: Ptr, dwMoveMethod: u32) -> BOOL = file::SetFilePointerEx;
    stdcall fn FlushFileBuffers(hFile: HANDLE) -> BOOL = file::FlushFileBuffers;
    stdcall fn SetStdHandle(nStdHandle: u32, hHandle: HANDLE) -> BOOL = console::SetStdHandle;
    stdcall fn SetConsoleCtrlHandler(HandlerRoutine: Ptr, Add: BOOL) -> BOOL = console::SetConsoleCtrlHandler;
    stdcall fn HeapValidate(hHeap: HANDLE, dwFlags: u32, lpMem: Ptr) -> BOOL = heap::HeapValidate;
    stdcall fn InitializeCriticalSectionEx(lpCriticalSection: Ptr, dwSpinCount: u32, Flags: u32) -> BOOL = sync::InitializeCriticalSectionEx;
    stdcall fn GetTimeZoneInformation(lpTimeZoneInformation: Ptr) -> u32 = time::GetTimeZoneInformation;
    stdcall fn GetConsoleCP() -> u32 = console::GetConsoleCP;
    stdcall fn GetConsoleOutputCP() -> u32 = console::GetConsoleOutputCP;
    stdcall fn GetConsoleMode(hConsoleHandle: HANDLE, lpMode: Ptr) -> BOOL = console::GetConsoleMode;
    stdcall fn GetACP() -> u32 = text::GetACP;
    stdcall fn GetOEMCP() -> u32 = text::GetOEMCP;
    stdcall fn IsValidCodePage(CodePage: u32) -> BOOL = text::IsValidCodePage;
    stdcall fn GetCPInfo(CodePage: u32, lpCPInfo: Ptr) -> BOOL = text::GetCPInfo;
    stdcall fn IsDebuggerPresent() -> BOOL = debug::IsDebuggerPresent;
    stdcall fn IsProcessorFeaturePresent(ProcessorFeature: u32) -> BOOL = system::IsProcessorFeaturePresent;
    stdcall fn OutputDebugStringA(lpOutputString: PCSTR) -> () = debug::OutputDebugStringA;
    stdcall fn OutputDebugStringW(lpOutputString: PCWSTR) -> () = debug::OutputDebugStringW;
    stdcall fn EncodePointer(Pointer: Ptr) -> Ptr = pointer::EncodePointer;
    stdcall fn DecodePointer(Pointer: Ptr) -> Ptr = pointer::DecodePointer;
    stdcall fn HeapSetInformation(HeapHandle: HANDLE, HeapInformationClass: u32, HeapInformation: Ptr, HeapInformationLength: SizeT) -> BOOL = heap::HeapSetInformation;
    stdcall fn TerminateProcess(hProcess: HANDLE, uExitCode: u32) -> BOOL = thread::TerminateProcess;
    stdcall fn CreateProcessA(lpApplicationName: PCSTR, lpCommandLine: Ptr, lpProcessAttributes: Ptr, lpThreadAttributes: Ptr, bInheritHandles: BOOL, dwCreationFlags: u32, lpEnvironment: Ptr, lpCurrentDirectory: PCSTR, lpStartupInfo: Ptr, lpProcessInformation: Ptr) -> BOOL = create_process::CreateProcessA;
    stdcall fn CreateProcessW(lpApplicationName: PCWSTR, lpCommandLine: Ptr, lpProcessAttributes: Ptr, lpThreadAttributes: Ptr, bInheritHandles: BOOL, dwCreationFlags: u32, lpEnvironment: Ptr, lpCurrentDirectory: PCWSTR, lpStartupInfo: Ptr, lpProcessInformation: Ptr) -> BOOL = create_process::CreateProcessW;
    stdcall fn OpenProcess(dwDesiredAccess: u32, bInheritHandle: BOOL, dwProcessId: u32) -> HANDLE = create_process::OpenProcess;
    stdcall fn GetProcessId(Process: HANDLE) -> u32 = create_process::GetProcessId;
    stdcall fn ReadProcessMemory(hProcess: HANDLE, lpBaseAddress: Ptr, lpBuffer: Ptr, nSize: SizeT, lpNumberOfBytesRead: Ptr) -> BOOL = create_process::ReadProcessMemory;
    stdcall fn WriteProcessMemory(hProcess: HANDLE, lpBaseAddress: Ptr, lpBuffer: Ptr, nSize: SizeT, lpNumberOfBytesWritten: Ptr) -> BOOL = create_process::WriteProcessMemory;
    // Threads (kernel32/thread.rs, crate::threads) and their waits (kernel32/sync.rs).
    stdcall fn CreateThread(lpThreadAttributes: Ptr, dwStackSize: SizeT, lpStartAddress: Ptr, lpParameter: Ptr, dwCreationFlags: u32, lpThreadId: Ptr) -> HANDLE = thread::CreateThread;
    stdcall fn ExitThread(dwExitCode: u32) -> () = thread::ExitThread;
    stdcall fn GetExitCodeThread(hThread: HANDLE, lpExitCode: Ptr) -> BOOL = thread::GetExitCodeThread;
    stdcall fn ResumeThread(hThread: HANDLE) -> u32 = thread::ResumeThread;
    stdcall fn SuspendThread(hThread: HANDLE) -> u32 = thread::SuspendThread;
    stdcall fn GetThreadId(Thread: HANDLE) -> u32 = thread::GetThreadId;
    stdcall fn SwitchToThread() -> BOOL = thread::SwitchToThread;
    stdcall fn WaitForMultipleObjects(nCount: u32, lpHandles: Ptr, bWaitAll: BOOL, dwMilliseconds: u32) -> u32 = sync::WaitForMultipleObjects;
    stdcall fn DisableThreadLibraryCalls(hLibModule: Ptr) -> BOOL = module::DisableThreadLibraryCalls;
};
