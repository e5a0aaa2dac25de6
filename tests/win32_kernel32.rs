//! kernel32's breadth end to end: `corpus/win32api/kernel32_tour` walks heaps, virtual
//! memory, time, the system's identity, text conversion, the environment, console input,
//! synchronisation and what a C runtime's start-up asks (code pages, file types, console
//! modes, file positions, encoded pointers, the debugger) on x86 and x64, against the win32api driver (which sets the event whose
//! handle the program sends it, at once or from a timer's DPC while the program waits), with its standard input given by `run-app --stdin`. The
//! program compares each answer with Windows' and exits with 0 when all agree; the test reads
//! the printed values as well. Four modes end the run on purpose: a wait nothing can end (a
//! deadlock), a critical section another thread owns (STATUS_POSSIBLE_DEADLOCK), a heap
//! that raises (STATUS_NO_MEMORY) and TerminateProcess.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/win32api");
const STDIN: &[u8] = b"first line\nsecond\nh\xc3\xa9\n";

fn run_app(arch: &str, mode: &[&str], start: bool) -> (i32, serde_json::Value) {
    // A file of its own per run: the tests run at once.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let input = std::env::temp_dir().join(format!("kernel32_tour_stdin_{}_{n}", std::process::id()));
    std::fs::write(&input, STDIN).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("run-app")
        .arg(format!("{DIR}/kernel32_tour.{arch}.exe"))
        .args(mode)
        .args(["--driver", &format!("{DIR}/win32api.{arch}.sys"), "--format", "json", "--stdin"])
        .arg(&input)
        .args(start.then_some("--start"))
        .output()
        .expect("run portcullis");
    let _ = std::fs::remove_file(&input);
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

fn tour(arch: &str) {
    let (code, v) = run_app(arch, &[], true);
    let console = v["program"]["console"].as_str().unwrap_or_else(|| panic!("no console: {v}"));
    assert_eq!(code, 0, "every answer as Windows gives it:\n{console}");
    assert_eq!(v["program"]["exit_code"], 0);
    assert!(!console.contains("expected"), "{console}");
    let architecture = if arch == "x86" { "  architecture 0" } else { "  architecture 9" };
    for line in [
        // Heaps.
        "HeapSize = 100",
        "HeapFree again = 0\n  last error = 87",
        "40 blocks of 4000 bytes = 1",
        "HeapAlloc beyond it fails = 1",
        "HeapDestroy of the process heap = 0",
        "LocalFree again returns the pointer = 1\n  last error = 6",
        "GlobalAlloc(GMEM_MOVEABLE) = 1\n  last error = 50",
        // Virtual memory.
        "reserved: state 8192, protect 0, size 131072",
        "committed: state 4096, protect 4, size 4096",
        "read-only: state 4096, protect 2, size 4096",
        "no access: state 4096, protect 1, size 4096",
        "the contents came back = 42",
        "VirtualProtect of a reserved page = 0\n  last error = 487",
        "decommitted: state 8192, protect 0, size 126976",
        "released: MEM_FREE = 65536",
        "code run from VirtualAlloc'ed memory = 7",
        // Time: the virtual boot is 2024-01-01 00:00 UTC, a Monday.
        "GetSystemTime year = 2024\n  month = 1\n  day = 1\n  day of week (Monday) = 1",
        "Sleep(100) lets 100 ms pass = 1",
        // The system.
        "GetVersion major = 6\n  minor = 1\n  build = 7601",
        "szCSDVersion: Service Pack 1",
        "GetVersionExA, wrong size = 0\n  last error = 122",
        "GetSystemDirectoryA = 19\n  directory: C:\\Windows\\system32",
        "GetSystemDirectoryA, small buffer: size needed = 20",
        "GetWindowsDirectoryA = 10\n  directory: C:\\Windows",
        "GetSystemInfo page size = 4096\n  allocation granularity = 65536",
        architecture,
        "IsWow64Process = 1\n  Wow64Process = 0",
        "code (STILL_ACTIVE) = 259",
        "GetComputerNameA = 1\n  name: PORTCULLIS\n  length = 10",
        "GetComputerNameA, small buffer = 0\n  last error = 111\n  size needed = 11",
        // Text.
        "MultiByteToWideChar UTF-8 size = 4",
        "MultiByteToWideChar, buffer too small = 0\n  last error = 122",
        "MultiByteToWideChar, invalid UTF-8 refused = 0\n  last error = 1113",
        "WideCharToMultiByte UTF-8 round trip = 1",
        "WideCharToMultiByte CP_ACP with a default character = 1",
        // The environment.
        "GetEnvironmentVariableA SystemRoot = 10\n  value: C:\\Windows",
        "GetEnvironmentVariableA missing = 0\n  last error = 203",
        "GetEnvironmentStringsA has it = 1\n  variables = 16",
        // The console: output in UTF-8, input a line at a time.
        "wide text: é\n",
        "ReadConsoleA reads a line = 1\n  characters = 11\n  line: first line\n",
        "ReadFile on standard input reads the next = 1\n  bytes = 7",
        "ReadConsoleW reads UTF-8 as UTF-16 = 1",
        "at the end of input ReadFile reads 0 bytes = 1",
        // Synchronisation.
        "WaitForSingleObject(not set, 50) = 258\n  50 ms passed on the virtual clock = 1",
        "auto-reset event, set = 0\n  and clear after one wait = 258",
        "opened again: last error = 183\n  one event behind both handles = 0",
        "the driver sets the event through its handle = 1\n  set = 0",
        "the driver sets it 100 ms later, from a timer's DPC = 1\n  WaitForSingleObject(INFINITE) meanwhile = 0\n  after 100 ms of virtual time = 1",
        "the driver given no handle = 0\n  last error = 6",
        "waiting for the process itself, 10 ms = 258",
        "WaitForSingleObject on a closed handle = -1",
        "EnterCriticalSection twice: LockCount = -2\n  RecursionCount = 2\n  OwningThread is the caller = 1",
        "left three times: LockCount = -1",
        "InterlockedCompareExchange, not equal = 1\n  value = 1",
        // What a C runtime's start-up asks.
        "x87 control word at the start = 639\nMXCSR at the start = 8064\nGetACP = 1252\nGetOEMCP = 437\nGetConsoleCP = 437\nGetConsoleOutputCP = 437",
        "IsValidCodePage(CP_ACP) = 0",
        "GetCPInfo(1252) = 1\n  MaxCharSize = 1\n  DefaultChar = 63\nGetCPInfo(CP_UTF8): MaxCharSize = 4",
        "GetCPInfo(42) = 0\n  last error = 87",
        "GetFileType(stdout) = 2\nGetFileType(nothing) = 0\n  last error = 6",
        "GetConsoleMode(stdin) = 503\nGetConsoleMode(stdout) = 3\nGetConsoleMode(nothing) = 0",
        "SetHandleCount = 20\nIsDebuggerPresent = 0",
        "IsProcessorFeaturePresent(PF_XMMI64_INSTRUCTIONS_AVAILABLE) = 1\nIsProcessorFeaturePresent(PF_3DNOW_INSTRUCTIONS_AVAILABLE) = 0\nIsProcessorFeaturePresent(200) = 0",
        "EncodePointer hides the pointer = 1\nDecodePointer gives it back = 1",
        "HeapSetInformation(low-fragmentation heap) = 1\nHeapSetInformation(terminate on corruption) = 1",
        "TerminateProcess(nothing) = 0\n  last error = 6",
        "GetFileType(a file on C:) = 1",
        "SetFilePointer(FILE_BEGIN, 3) = 3\n  read there: 34\nSetFilePointer(FILE_CURRENT, -1) = 4",
        "SetFilePointer(FILE_END, -2) = 8\nSetFilePointer before the start = 1\n  last error = 131",
        "SetFilePointer to 4 GB: low half = 0\n  high half = 1\n  last error = 0",
        "SetFilePointer past 4 GB without the high half = 1\n  last error = 87",
        "SetFilePointerEx past 4 GB = 1\n  the new position's high half = 1\nSetFilePointerEx(FILE_END, -7) = 1\n  the new position = 3",
        "SetFilePointerEx before the start = 0\n  last error = 131",
        "FlushFileBuffers(a file on C:) = 1\nFlushFileBuffers(the console) = 0\n  last error = 6",
        "SetStdHandle(output, the file) = 1\n  GetStdHandle gives the file = 1\n  and back = 1\nSetStdHandle(-13) = 0\n  last error = 6",
        "FlushFileBuffers(a file open for reading) = 0\n  last error = 5",
        "FlushFileBuffers(the device) = 0\n  last error = 1",
        "FindFirstFileA(C:\\find_*.txt) = 1\n  first: find_a.txt\n  its size = 5\n  a file = 1\nFindNextFileA = 1\n  next: find_b.txt\n  its size = 3",
        "FindNextFileA at the end = 0\n  last error = 18\nFindClose = 1\nFindClose again = 0\n  last error = 6",
        "FindFirstFileW(C:\\Windows\\*.*) begins with . = 1\n  then .. = 1\n  a directory = 1",
        "FindFirstFileExW(C:\\*, directories only) finds Windows and no file = 1",
        "FindFirstFileA of nothing = 1\n  last error = 2\nFindFirstFileExA in no directory = 1\n  last error = 3",
        "CreateDirectoryA(C:\\tourdir) = 1\nCreateDirectoryA again = 0\n  last error = 183\nCreateDirectoryW in no directory = 0\n  last error = 3",
        "GetFileAttributesA(the directory) = 16\nGetFileAttributesW(a file) = 0\nGetFileAttributesA(nothing) = 1\n  last error = 2",
        "RemoveDirectoryA(not empty) = 0\n  last error = 145\nDeleteFileA(the directory) = 0\n  last error = 5",
        "DeleteFileW(the file) = 1\nDeleteFileA again = 0\n  last error = 2\nRemoveDirectoryW(now empty) = 1\n  gone = 1",
        "FindFirstFileExW with a search filter = 1\n  last error = 87",
        "GetTimeZoneInformation = 0\n  bias = 0\n  Coordinated Universal Time = 1",
        "HeapValidate(the heap) = 1\nHeapValidate(a block) = 1\nHeapValidate(a freed block) = 0",
        "InitializeCriticalSectionEx = 1\nInitializeCriticalSectionEx(bad flags) = 0\n  last error = 87",
        "SetConsoleCtrlHandler(add) = 1\nSetConsoleCtrlHandler(remove) = 1\nSetConsoleCtrlHandler(remove again) = 0\n  last error = 87",
        "SetConsoleCtrlHandler(NULL: ignore CTRL+C) = 1",
        "GetModuleHandleExW(NULL): the program = 1\nGetModuleHandleExW(FROM_ADDRESS of this function) = 1\nGetModuleHandleExA(kernel32) = 1",
        "GetModuleHandleExA(a module not loaded) = 0\n  *phModule = 1\n  last error = 126",
        "GetModuleHandleExW(PIN | UNCHANGED_REFCOUNT) = 0\n  last error = 87",
        "all answers as Windows gives them",
    ] {
        assert!(console.contains(line), "{line:?} in\n{console}");
    }
    // The program's calls are traced like the kernel's.
    let calls = &v["report"]["api_calls"];
    assert!(calls.to_string().contains("WaitForSingleObject"), "{calls}");
    // What it told a debugger is the report's debug output.
    let debug = v["report"]["debug_output"].to_string();
    assert!(debug.contains("kernel32_tour: a word for the debugger"), "{debug}");
}

#[test]
fn the_kernel32_tour_gets_windows_answers_on_x86() {
    tour("x86");
}

#[test]
fn the_kernel32_tour_gets_windows_answers_on_x64() {
    tour("x64");
}

#[test]
fn a_wait_nothing_can_end_is_the_kernels_deadlock() {
    for arch in ["x86", "x64"] {
        let (code, v) = run_app(arch, &["wait-self"], false);
        assert_ne!(code, 0);
        assert_eq!(v["report"]["outcome"], "deadlock", "{arch}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with("deadlock"), "{arch}: {}", v["error"]);
    }
}

#[test]
fn a_section_another_thread_owns_and_a_heap_that_raises_end_the_process() {
    for arch in ["x86", "x64"] {
        let (_, v) = run_app(arch, &["cs-foreign"], false);
        assert_eq!(v["program"]["exit_code"], 0xC000_0194u32, "{arch}: STATUS_POSSIBLE_DEADLOCK");
        let (_, v) = run_app(arch, &["heap-exception"], false);
        assert_eq!(v["program"]["exit_code"], 0xC000_0017u32, "{arch}: STATUS_NO_MEMORY");
        assert_eq!(v["report"]["outcome"], "ok", "{arch}: the run goes on");
    }
}

#[test]
fn terminate_process_ends_the_process_with_its_code() {
    for arch in ["x86", "x64"] {
        let (_, v) = run_app(arch, &["terminate"], false);
        assert_eq!(v["program"]["exit_code"], 7, "{arch}: {v}");
        assert_eq!(v["program"]["console"], "terminating\n", "{arch}: nothing runs after it");
        assert_eq!(v["report"]["outcome"], "ok", "{arch}");
    }
}
