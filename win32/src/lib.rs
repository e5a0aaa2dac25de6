//! portcullis-win32: user-mode processes and the Win32 libraries they import, next to the
//! kernel (`portcullis-hle`) rather than inside it.
//!
//! # Processes
//!
//! A user program is a PE console image loaded at its preferred base in the user half of the
//! address space ([`process::load`]). It gets what Windows gives a process: an EPROCESS and
//! its thread in the kernel's process list (`hle::ps::processes`, with a process id of its
//! own; process notify routines see it start and end), a PEB and a TEB, a stack, and a handle
//! table of its own ([`process::Process`]). Its imports bind to host-call slots of the
//! user-mode libraries' tables ([`kernel32`]), in a small image mapped in user space, so its
//! `call [__imp_X]` lands in a slot whose `ret N` the program itself executes.
//!
//! [`process::run`] makes the process's thread the current one (PreviousMode UserMode: a
//! driver's PsGetCurrentProcessId, IoGetCurrentProcess answer the program), switches the
//! machine to user mode and calls the entry point on the user stack, returning to a slot that
//! ends the process as BaseProcessStart does. The process ends when it calls ExitProcess,
//! when its entry point returns, or when it raises an exception that neither its own
//! handlers nor its top-level filter take (exceptions are dispatched in the program as
//! Windows dispatches them: `hle::seh::user`, `exception.rs`, kernel32's RaiseException): the
//! exit status is the exception code, as Windows reports it, and the run goes on. Its handles are closed (a device sees IRP_MJ_CLEANUP and IRP_MJ_CLOSE) and the
//! kernel ends it (notify routines run).
//!
//! # DLLs
//!
//! A program's imports from DLLs of its own load them from the C: volume
//! ([`module`]): its directory (`C:\Program Files\<stem>`), then System32 and the Windows
//! directory. A DLL goes at its preferred base or, relocated, wherever there is room; its
//! imports bind the same way, its exports are read from its mapped image (by name or
//! ordinal, forwarders followed), its static TLS gets a slot in the TEB's TLS array. Its TLS
//! callbacks and DllMain run in user mode as calls chained through a continuation slot
//! (`callback.rs`): before the program's entry point (DLL_PROCESS_ATTACH, dependencies
//! first), in LoadLibrary and FreeLibrary (reference counted: kernel32's module functions),
//! and after ExitProcess (DLL_PROCESS_DETACH in reverse). A DllMain that refuses to attach
//! ends a starting program with STATUS_DLL_INIT_FAILED, or fails LoadLibrary with
//! ERROR_DLL_INIT_FAILED.
//!
//! # The C runtime
//!
//! msvcrt.dll ([`msvcrt`]) has what an ordinary mingw-w64 program's start-up code and a
//! simple `main` call: __getmainargs (the command line split as msvcrt splits it), the
//! initialiser tables (_initterm) and exit functions (atexit, exit, _cexit), called in user
//! mode through the same continuation slot as DllMain; malloc & co. over the process heap;
//! string functions; printf & co. on stdout and stderr (the kernel's printf engine); the
//! "C" locale, errno and signal handlers (abort calls SIGABRT's). Its variables (`_iob`,
//! `__initenv`, ...) are in a page of the process, which importers bind to. Its files
//! (fopen and the reading functions, text mode as msvcrt's) go through kernel32's
//! CreateFile on the C: volume, so minifilters see them; getchar, fgets(stdin) and _getch
//! read the run's standard input.
//!
//! # Address spaces
//!
//! Every guest, drivers included, runs at the real CPL3 (docs/architecture.md). User code
//! runs under the *user view* of the page tables (`GuestMemory::user_view_root`): the same
//! tables with every kernel-half top-level entry supervisor-only, so a program that touches
//! kernel memory takes a page fault (STATUS_ACCESS_VIOLATION). Host calls from user code
//! switch to the kernel's tables, kernel privilege and the processor's KPCR
//! (`Machine::switch_to_kernel`) before any Rust or driver code runs, and back
//! (`Machine::switch_to_user`) before returning. Each process has a user half of its own
//! (`hle::mm::space`: the kernel loads the current thread's process's), so the I/O manager
//! and drivers reach its buffers in its context as on Windows (METHOD_NEITHER pointers
//! included), and two programs at one image base run side by side. CreateProcess starts one
//! beside its creator ([`kernel32::create_process`]); the processes' threads share one
//! processor ([`threads`]).
//!
//! # The I/O permission map
//!
//! The TSS in guest memory is the one source of truth (`hle::ke::iopm`): map 1 is the bitmap
//! at offset 0x68 that Ke386SetIoAccessMap fills, map 0 an IoMapBase past the TSS limit
//! (every port denied). Each process records the map Ke386IoSetAccessProcess gave it (none:
//! map 0); whenever a process's user code is about to run, its map is loaded into IoMapBase.
//! The machine checks each user-mode `in`/`out` against IOPL and the map IoMapBase selects:
//! an allowed access reaches the port bus and is traced with CPL 3 (the report attributes it
//! to the process running); a denied one never reaches the bus and ends the process with
//! STATUS_PRIVILEGED_INSTRUCTION. Programs run on x86 and x64 alike; x64 drivers that write
//! the TSS directly (there is no Ke386* on x64) give the same effect. A program that probes a
//! port inside `__try` catches the privileged instruction (`corpus/seh/user_seh`). A process
//! never inherits its creator's map.
//!
//! A request a driver leaves pending is waited for on a synchronous handle (other flows run
//! meanwhile), and on a handle opened with FILE_FLAG_OVERLAPPED left to complete into the
//! program's OVERLAPPED, buffer and event (DeviceIoControl, GetOverlappedResult:
//! kernel32/overlapped.rs).
//!
//! # kernel32's breadth
//!
//! Beyond files, devices and the console, kernel32 gives a program what its runtime needs,
//! each with Windows' semantics and failures ([`kernel32`], one file per concept): heaps
//! carved from the process's own memory with the bookkeeping on the host (a double free is
//! ERROR_INVALID_PARAMETER, never a corrupted host), VirtualAlloc's reservations and
//! commitments in the user half with page protections the machine enforces, time from the
//! virtual clock, the system's identity from the kernel's (GetVersionEx as an unmanifested
//! program sees it), Windows-1252/437/UTF-8 conversions, a per-process environment,
//! standard input from the run (`run-app --stdin`), and the kernel's own event objects
//! (a driver given the program's handle sets the same event; waits run the kernel's
//! scheduler in place, a wait nothing can end is its deadlock) and critical sections in the
//! RTL_CRITICAL_SECTION layout.
//!
//! # Threads
//!
//! CreateThread gives a process further threads ([`threads`]), each with its own ETHREAD and
//! scheduler context in the kernel, TEB, stack and static TLS, its libraries told when it
//! starts and ends (DLL_THREAD_ATTACH/DETACH). They all run in the process's one run, one
//! at a time, switched at their library calls when one waits, yields or ends; their waits
//! are the kernel's (an event a driver sets wakes the thread waiting for it), a critical
//! section is handed to the thread waiting for it, and when none can go on the process
//! waits in place while driver threads, DPCs and timers run. The last thread to end ends the
//! process; ExitProcess or an unhandled exception in any thread ends them all.
//!
//! # The service control manager
//!
//! advapi32's OpenSCManager, CreateService, OpenService, StartService, ControlService,
//! QueryServiceStatus, DeleteService and CloseServiceHandle ([`advapi32::service`]) keep the
//! services database in the kernel's registry, as services.exe does. The driver the sandbox
//! was given is an installed service named after its file; StartService runs its DriverEntry
//! (NtLoadDriver on the System thread), or loads another driver from the ImagePath a program
//! gave CreateService. OpenProcessToken, LookupPrivilegeValue and AdjustTokenPrivileges
//! ([`advapi32::token`]) work on the kernel's token of the program's process, so a privilege
//! the program enables is the one a driver checks. RegOpenKeyEx, RegCreateKeyEx,
//! RegQueryValueEx, RegSetValueEx, RegDeleteValue and RegCloseKey ([`advapi32::registry`])
//! work on kernel key handles in the program's process, in user mode, so registry callbacks
//! see them. The user-mode libraries share one image of slots
//! ([`libraries`]: kernel32's first, then advapi32's).

pub mod advapi32;
mod callback;
pub mod error;
mod exception;
pub mod kernel32;
pub mod libraries;
pub mod module;
pub mod msvcrt;
pub mod process;
mod strings;
pub mod table;
pub mod threads;

mod dispatch;

pub use process::{load, run, Exited, LoadError, Process};
pub use table::{Win32Fn, BOOL};

use portcullis_hle::kernel::Kx;

/// The user-mode layer's state, kept in the kernel's opaque `user` slot.
#[derive(Default)]
pub struct Win32 {
    /// The host-call number of the first slot of the libraries' image (0 until installed).
    pub(crate) first_slot: u32,
    /// Where the libraries' slots are mapped (0 until installed).
    pub(crate) base: u64,
    /// The frames behind them, which every process's user half maps.
    pub(crate) library_frames: Vec<u64>,
    /// Every process started, in order.
    pub processes: Vec<Process>,
    /// The process whose code runs (an index into `processes`).
    pub(crate) current: Option<usize>,
    /// The service control manager's state.
    pub services: advapi32::service::Services,
    /// Calls into the program the library function running asked for (crate::callback).
    pub(crate) request: Option<callback::Pending>,
    /// What the library function running asked for its thread (crate::threads).
    pub(crate) after: Option<threads::After>,
}

/// The user-mode layer's state, created on first use.
pub fn state(k: &mut Kx) -> &mut Win32 {
    let slot = &mut k.ext_mut().user;
    if !slot.as_ref().is_some_and(|b| b.is::<Win32>()) {
        *slot = Some(Box::new(Win32::default()));
    }
    slot.as_mut().and_then(|b| b.downcast_mut::<Win32>()).expect("just made")
}

/// The state, if any process was ever loaded.
pub fn state_ref(k: &Kx) -> Option<&Win32> {
    k.ext().user.as_ref().and_then(|b| b.downcast_ref::<Win32>())
}

/// The process whose code runs now.
pub(crate) fn current(k: &mut Kx) -> Option<&mut Process> {
    let s = state(k);
    let i = s.current?;
    s.processes.get_mut(i)
}
