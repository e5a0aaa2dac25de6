//! User processes: loading a program, running it in user mode, ending it (the crate
//! documentation has the picture).

use std::collections::BTreeMap;

use portcullis_emu::{Arch, CallConv, Exit, Prot, RegionKind, Stop, PAGE_SIZE};
use portcullis_hle::io::request::{self, FileHandle};
use portcullis_hle::kernel::{KResult, KernelStop, Kx};
use portcullis_hle::layout::{FieldAccess, EPROCESS, ETHREAD};
pub use portcullis_hle::loader::LoadError;
use serde::Serialize;

/// Where the user-mode libraries' slots are mapped (kernel32's address on 32-bit Windows XP).
const LIBRARIES_BASE: u64 = 0x7C80_0000;
/// The user stack each process's thread gets.
const STACK_SIZE: u64 = 0x10_0000;
/// Where a process's own allocations (stacks, heaps, VirtualAlloc) begin: above the
/// preferred base DLLs are linked at by default (0x10000000), which stays free for them.
const FIRST_ALLOCATION: u64 = 0x2000_0000;
/// The kernel stack calls from user mode run on (Windows gives each thread 12-24 KiB; the
/// host's own calls get more).
const KERNEL_STACK: u64 = 0x4_0000;
/// STATUS_ACCESS_VIOLATION.
const ACCESS_VIOLATION: u32 = 0xC000_0005;
/// The x87 control word and MXCSR a Windows thread starts with.
pub(crate) const INITIAL_X87_CONTROL: u16 = 0x27F;
pub(crate) const INITIAL_MXCSR: u32 = 0x1F80;
/// The first process id handed out, and the step (Windows' ids are multiples of 4).
const FIRST_PID: u64 = 0x3E8;

/// A console stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StdStream {
    Input,
    Output,
    Error,
}

/// What a handle of the process refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    /// A console stream.
    Console(StdStream),
    /// An open device or file: the I/O manager's handle, and the file position synchronous
    /// reads and writes go on from.
    File { file: FileHandle, path: String, position: u64, overlapped: bool },
    /// The service control manager (advapi32's SC_HANDLE; not a kernel handle: CloseHandle
    /// refuses it), with the rights it was opened with.
    ScManager { access: u32 },
    /// A service, by its name as the database spells it, with the rights it was opened with.
    Service { name: String, access: u32 },
    /// An access token (the kernel's token object), with the rights it was opened with.
    Token { token: u64, access: u32 },
    /// A registry key (advapi32's HKEY): the kernel's key handle in the process's table, and
    /// the key's absolute path (what a subkey's path is made from).
    Key { handle: u64, path: String },
    /// An event (the kernel's event object): the kernel handle in the process's table.
    Event { handle: u64 },
    /// A thread of the process (its ETHREAD): the kernel handle, and the thread's id.
    Thread { handle: u64, tid: u64 },
    /// Another process (CreateProcess's hProcess, its EPROCESS): the kernel handle, the
    /// process's id, and the rights the handle grants.
    Process { handle: u64, pid: u64, access: u32 },
    /// A directory search (FindFirstFile's handle; not a kernel handle: FindClose closes
    /// it): the entries it found, and the next one FindNextFile gives.
    Find { entries: Vec<crate::kernel32::find::Found>, next: usize },
}

/// The console handles of a Windows 7 process (pseudo handles with the low bits set).
pub const STD_HANDLES: [(u64, StdStream); 3] =
    [(0x3, StdStream::Input), (0x7, StdStream::Output), (0xB, StdStream::Error)];

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exited {
    pub pid: u64,
    /// The exit status (ExitProcess's code, or the exception code).
    pub code: u32,
    /// The exception that ended it: its address and what the machine knows.
    pub exception: Option<(u64, String)>,
}

/// One user process.
#[derive(Clone, Debug)]
pub struct Process {
    pub name: String,
    pub pid: u64,
    /// Its first thread's id (its other threads: [`Process::threads`]).
    pub tid: u64,
    pub eprocess: u64,
    /// Its first thread's ETHREAD.
    pub ethread: u64,
    pub image_base: u64,
    pub image_size: u64,
    pub entry: u64,
    pub peb: u64,
    /// Its first thread's TEB and stack.
    pub teb: u64,
    pub stack_top: u64,
    /// Its threads, the first first ([`crate::threads`]), and the one whose code runs.
    pub threads: Vec<crate::threads::Thread>,
    pub(crate) running: usize,
    /// Its command line (ANSI and wide copies in its memory).
    pub command_line: String,
    pub(crate) command_line_a: u64,
    pub(crate) command_line_w: u64,
    /// The regions of its address space (image, stack, PEB/TEB), unmapped when it ends.
    pub(crate) regions: Vec<u64>,
    pub handles: BTreeMap<u64, Object>,
    pub(crate) next_handle: u64,
    /// What was written to its console (standard output and error): its own writes, and
    /// those of the processes it started that share its console.
    pub console: Vec<u8>,
    /// The process whose console it writes to (CreateProcess without CREATE_NEW_CONSOLE or
    /// DETACHED_PROCESS: its creator's, as Windows attaches a console child to its
    /// parent's console), by process id; None: its own.
    pub(crate) console_owner: Option<u64>,
    /// Set once it ended.
    pub exited: Option<Exited>,
    /// Its image's path on the C: volume (its libraries are searched beside it).
    pub path: String,
    /// Its modules: the program first, then its DLLs ([`crate::module`]).
    pub modules: Vec<crate::module::Module>,
    /// The calls its libraries get when it starts (attach), in order.
    pub(crate) startup: Vec<crate::module::InitCall>,
    /// Modules whose DLL_PROCESS_ATTACH succeeded, in that order (they detach in reverse).
    pub(crate) init_order: Vec<u64>,
    /// The next free slot of its threads' static TLS arrays.
    pub(crate) tls_next: u32,
    /// It exited and its libraries are being told (DLL_PROCESS_DETACH).
    pub(crate) detaching: bool,
    /// TerminateProcess ended it: its libraries are not told.
    pub(crate) terminated: bool,
    /// The C runtime's state (msvcrt.rs).
    pub(crate) crt: crate::msvcrt::Crt,
    /// Its overlapped requests still outstanding, by the OVERLAPPED's address.
    pub(crate) overlapped: BTreeMap<u64, crate::kernel32::overlapped::Outstanding>,
    /// SetUnhandledExceptionFilter's filter.
    pub(crate) exception_filter: u64,
    /// TlsAlloc's indexes in use (bit n: slot n of the TEB), and where GetStartupInfo's
    /// strings are.
    pub(crate) tls_slots: u64,
    pub(crate) startup_strings: u64,
    /// Its heaps (kernel32/heap.rs).
    pub(crate) heaps: crate::kernel32::heap::Heaps,
    /// Its VirtualAlloc reservations (kernel32/virtual_memory.rs).
    pub(crate) reservations: crate::kernel32::virtual_memory::Reservations,
    /// Its environment variables (kernel32/environment.rs).
    pub(crate) environment: crate::kernel32::environment::Environment,
    /// Its standard input (kernel32/console.rs).
    pub(crate) stdin: crate::kernel32::console::Input,
    /// The threads waiting for each critical section another thread holds, in the order
    /// they came (kernel32/sync.rs).
    pub(crate) sections: BTreeMap<u64, std::collections::VecDeque<u64>>,
    /// The handles GetStdHandle gives for input, output and error (the process
    /// parameters' StandardInput/Output/Error, which SetStdHandle changes).
    pub(crate) std_handles: [u64; 3],
    /// SetConsoleCtrlHandler's handlers (the last added is asked first) and whether CTRL+C
    /// is ignored.
    pub(crate) ctrl_handlers: Vec<u64>,
    pub(crate) ignore_ctrl_c: bool,
    /// Its address space: a user half of its own (`hle::mm::space`).
    pub space: portcullis_emu::SpaceId,
    /// The process that created it (CreateProcess), if a program did.
    pub parent: Option<u64>,
}

impl Process {
    /// Whether what it writes goes to another process's console (its creator's).
    pub fn shares_console(&self) -> bool {
        self.console_owner.is_some()
    }

    /// A new handle for `object`.
    pub(crate) fn insert(&mut self, object: Object) -> u64 {
        let h = self.next_handle;
        self.next_handle += 4;
        self.handles.insert(h, object);
        h
    }
}

/// TEB and PEB field offsets (x86, x64).
struct TebLayout {
    stack_base: u64,
    stack_limit: u64,
    self_: u64,
    pid: u64,
    tid: u64,
    peb: u64,
    last_error: u64,
    tls_pointer: u64,
    peb_image_base: u64,
}

fn teb_layout(arch: Arch) -> TebLayout {
    match arch {
        Arch::X86 => TebLayout {
            stack_base: 0x4,
            stack_limit: 0x8,
            self_: 0x18,
            pid: 0x20,
            tid: 0x24,
            peb: 0x30,
            last_error: 0x34,
            tls_pointer: 0x2C,
            peb_image_base: 0x8,
        },
        Arch::X64 => TebLayout {
            stack_base: 0x8,
            stack_limit: 0x10,
            self_: 0x30,
            pid: 0x40,
            tid: 0x48,
            peb: 0x60,
            last_error: 0x68,
            tls_pointer: 0x58,
            peb_image_base: 0x10,
        },
    }
}

/// Where TEB.LastErrorValue is.
pub(crate) fn last_error_at(arch: Arch, teb: u64) -> u64 {
    teb + teb_layout(arch).last_error
}

/// Maps the user-mode libraries' slots, once.
fn install(k: &mut Kx) -> Result<(), LoadError> {
    if crate::state(k).base != 0 {
        return Ok(());
    }
    let arch = k.arch();
    // One slot per function, then the slot the entry point returns to, the one the
    // loader's calls into the program return to (crate::callback), and the one a thread's
    // start routine returns to (crate::threads).
    let mut bodies: Vec<Vec<u8>> = crate::libraries::all().map(|f| f.return_code(arch)).collect();
    bodies.push(vec![0xC3]);
    bodies.push(vec![0xC3]);
    bodies.push(vec![0xC3]);
    let size = (bodies.len() as u64 * portcullis_emu::HOST_CALL_SLOT).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    k.mem_mut().map_fixed(RegionKind::User, "user-mode libraries", LIBRARIES_BASE, size, Prot::RX)?;
    let first = k.host_call_slots();
    k.add_host_calls_at(LIBRARIES_BASE, &bodies, crate::dispatch::on_call)?;
    // Every process's user half shows these very frames at the same address.
    let frames: Vec<u64> =
        (0..size / PAGE_SIZE).filter_map(|i| k.mem().translate(LIBRARIES_BASE + i * PAGE_SIZE)).collect();
    // Kernel code called from a program's library call runs on a kernel stack, out of
    // every process's user half.
    let kstack =
        k.mem_mut().alloc(RegionKind::Stack, "kernel stack of calls from user mode", KERNEL_STACK, Prot::RW)?;
    k.set_user_call_stack(Some(kstack + KERNEL_STACK - 0x100));
    let s = crate::state(k);
    s.library_frames = frames;
    s.base = LIBRARIES_BASE;
    s.first_slot = first;
    crate::exception::install(k);
    portcullis_hle::ps::user_thread::set_starter(k, crate::threads::start_for_driver);
    Ok(())
}

/// The address of slot `i` of the libraries' image.
pub(crate) fn slot_address(k: &mut Kx, i: usize) -> u64 {
    crate::state(k).base + i as u64 * portcullis_emu::HOST_CALL_SLOT
}

/// Longest command line a program gets (in characters, the terminating NUL excluded).
pub const MAX_COMMAND_LINE: usize = 2047;

/// The command line of a program run as `name args...`: each argument quoted when it holds
/// a space or a tab (embedded quotes are not escaped).
pub fn command_line(name: &str, args: &[String]) -> String {
    std::iter::once(name)
        .chain(args.iter().map(String::as_str))
        .map(|a| if a.contains([' ', '\t']) || a.is_empty() { format!("\"{a}\"") } else { a.to_string() })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Loads the program `name` (its file's bytes) as a new process run with `args`: its image
/// at its preferred base with its imports bound (the DLLs it imports loaded from the C:
/// volume: its own directory, [`crate::module::program_path`], then the Windows
/// directories), a PEB, TEB, command line and stack, and the kernel's EPROCESS and thread.
/// Returns its process id. Nothing runs yet: its libraries attach when it starts.
pub fn load(k: &mut Kx, name: &str, bytes: &[u8], args: &[String]) -> Result<u64, LoadError> {
    let line = command_line(name, args);
    let pid = load_image(k, name, &crate::module::program_path(name), bytes, &line, None)?;
    // Drivers' process notify routines see it start (as the shell's CreateProcess would
    // make them), and may refuse it.
    if let Some(st) = portcullis_hle::ps::processes::announce(k, pid)? {
        let i = crate::state(k).processes.len() - 1;
        refused(k, i, st.0)?;
        return Err(LoadError::Unsupported(format!(
            "a driver's process notify routine refused it ({})",
            portcullis_hle::status_names::describe(st.0)
        )));
    }
    Ok(pid)
}

/// [`load`] for the image `bytes` of the file `path` on the C: volume, with the command line
/// `line` as given, as a child of process `parent` (CreateProcess) or of the sandbox's.
pub(crate) fn load_image(
    k: &mut Kx,
    name: &str,
    path: &str,
    bytes: &[u8],
    line: &str,
    parent: Option<u64>,
) -> Result<u64, LoadError> {
    if line.chars().count() > MAX_COMMAND_LINE {
        return Err(LoadError::Unsupported(format!("a command line of more than {MAX_COMMAND_LINE} characters")));
    }
    let parsed = portcullis_hle::loader::parse(bytes)?;
    let arch = k.arch();
    if parsed.arch != arch {
        return Err(LoadError::WrongArch { image: parsed.arch.name(), machine: arch.name() });
    }
    // What our own libraries lack, and the imports of libraries nowhere to be found, are
    // named all at once.
    let dir = crate::module::dir_of(path);
    let missing: Vec<String> = parsed
        .imports
        .iter()
        .filter(|i| match crate::module::builtin(&i.dll) {
            Some(_) => {
                crate::libraries::find_for(&i.dll, &i.name, arch).is_none()
                    && crate::msvcrt::data_offset(&i.dll, &i.name).is_none()
            }
            None => !crate::module::available(k, &i.dll, &dir),
        })
        .map(|i| format!("{}!{}", i.dll, i.name))
        .collect();
    if !missing.is_empty() {
        return Err(LoadError::MissingImports(missing));
    }
    install(k)?;
    let size = parsed.size_of_image as u64;
    let base = parsed.image_base;
    if base < 0x1_0000 || base.checked_add(size).is_none_or(|end| end > crate::module::user_top(arch)) {
        return Err(LoadError::Unsupported(format!("image base {base:#x} is not in user space")));
    }
    // A user half of its own, which shows the libraries' slots; the one loaded now stays
    // loaded for whoever is running.
    let home = k.mem().space();
    let space = k.mem_mut().new_space(FIRST_ALLOCATION);
    k.mem_mut().switch_space(space)?;
    let im = Image { name, path, bytes, parsed: &parsed, line, parent };
    let made = fill_space(k, &im, space);
    k.mem_mut().switch_space(home)?;
    if made.is_err() {
        // Nothing of a refused program stays mapped.
        portcullis_hle::mm::space::end(k, space)?;
    }
    made
}

/// A program being made into a process: its file's name, path and bytes, the parsed image,
/// its command line and its creator.
struct Image<'a> {
    name: &'a str,
    path: &'a str,
    bytes: &'a [u8],
    parsed: &'a portcullis_hle::loader::Parsed,
    line: &'a str,
    parent: Option<u64>,
}

/// The new process's user half (loaded): the libraries' slots, the image at its base, then
/// the rest ([`build`]).
fn fill_space(k: &mut Kx, im: &Image, space: portcullis_emu::SpaceId) -> Result<u64, LoadError> {
    let (name, parsed) = (im.name, im.parsed);
    let frames = crate::state(k).library_frames.clone();
    k.mem_mut().map_frames_at(RegionKind::User, "user-mode libraries", LIBRARIES_BASE, &frames, Prot::RX)?;
    let (base, size) = (parsed.image_base, parsed.size_of_image as u64);
    k.mem_mut().map_fixed(RegionKind::User, name, base, size, Prot::RWX).map_err(|e| match e {
        portcullis_emu::MemError::Overlap { .. } => LoadError::Unsupported(format!(
            "the image's base {base:#x} is taken (relocating programs is not built yet)"
        )),
        e => LoadError::Memory(e),
    })?;
    let mut regions = vec![base];
    let pid = build(k, im, &mut regions)?;
    portcullis_hle::mm::space::assign(k, pid, space);
    if let Some(p) = crate::state(k).processes.last_mut() {
        p.space = space;
        p.parent = im.parent;
    }
    Ok(pid)
}

/// The rest of [`load`], once the image is mapped at its base: its contents and imports
/// (with the DLLs they need), stack, PEB, TEB and command line (each region added to
/// `regions`), then the kernel's process.
fn build(k: &mut Kx, im: &Image, regions: &mut Vec<u64>) -> Result<u64, LoadError> {
    let Image { name, path, bytes, parsed, line, parent } = *im;
    use crate::module::{Failed, Loading, Module};
    let arch = k.arch();
    let size = parsed.size_of_image as u64;
    let base = parsed.image_base;
    crate::module::write_image(k, base, bytes, parsed)?;
    let path = path.to_string();
    let mut modules = vec![Module {
        name: name.to_string(),
        path: path.clone(),
        base,
        size,
        entry: 0,
        exports: parsed.export_directory,
        tls: parsed.tls,
        refs: 1,
        pinned: true,
        deps: Vec::new(),
        attached: false,
        tls_callbacks: Vec::new(),
        tls_index: None,
        no_thread_calls: false,
    }];
    // The page msvcrt's variables live in (importers bind to their addresses).
    let crt_data = k.mem_mut().alloc(RegionKind::User, format!("{name} C runtime data"), PAGE_SIZE, Prot::RW)?;
    regions.push(crt_data);
    let mut l =
        Loading { modules: &mut modules, regions, dir: crate::module::dir_of(&path), new: Vec::new(), data: crt_data };
    match crate::module::bind_imports(k, &mut l, base, parsed, 0) {
        Ok(deps) => l.modules[0].deps = deps,
        Err(Failed::Load(f)) => return Err(LoadError::Unsupported(format!("its libraries do not load: {f}"))),
        Err(Failed::Kernel(e)) => return Err(e.into()),
    }
    let libraries = std::mem::take(&mut l.new);
    for m in modules.iter_mut() {
        m.pinned = true;
    }

    // Stack, PEB and TEB.
    let stack = k.mem_mut().alloc(RegionKind::User, format!("{name} stack"), STACK_SIZE, Prot::RW)?;
    regions.push(stack);
    let stack_top = stack + STACK_SIZE;
    // The PEB, the TEB (two pages: x64's is 0x1838 bytes, its TLS slots at 0x1480), the
    // command line ANSI then wide (what GetCommandLineA/W hand out), the static TLS array,
    // and the strings GetStartupInfo points at.
    let blocks = k.mem_mut().alloc(RegionKind::User, format!("{name} peb/teb"), 7 * PAGE_SIZE, Prot::RW)?;
    regions.push(blocks);
    let (peb, teb) = (blocks, blocks + PAGE_SIZE);
    let (line_a, line_w) = (blocks + 3 * PAGE_SIZE, blocks + 4 * PAGE_SIZE);
    let tls_array = blocks + 5 * PAGE_SIZE;
    let startup_strings = blocks + 6 * PAGE_SIZE;
    crate::kernel32::startup::write_strings(k, startup_strings, &path)?;
    crate::msvcrt::init_data(k, crt_data, line_a)?;
    let ansi: Vec<u8> = line.chars().map(|c| if (c as u32) < 0x100 { c as u8 } else { b'?' }).chain([0]).collect();
    let wide: Vec<u8> = line.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
    k.mem_mut().write(line_a, &ansi)?;
    k.mem_mut().write(line_w, &wide)?;
    // Static TLS: the program's slot first, then its libraries' in load order; the calls
    // at start are the libraries' (dependencies first, lpReserved nonzero), then the
    // program's TLS callbacks.
    let mut tls_next = 0;
    let mut startup = Vec::new();
    let order: Vec<usize> =
        std::iter::once(0).chain(libraries.iter().filter_map(|b| modules.iter().position(|m| m.base == *b))).collect();
    for &i in &order {
        let callbacks =
            crate::module::setup_tls(k, &mut modules[i], tls_array, &mut tls_next, regions).map_err(LoadError::from)?;
        modules[i].tls_callbacks = callbacks;
    }
    for &i in order.iter().skip(1).chain([&0]) {
        let m = &modules[i];
        startup.extend(crate::module::calls_for(m, &m.tls_callbacks, crate::module::DLL_PROCESS_ATTACH, 1));
    }
    // The kernel's process and thread.
    let pid = (0..)
        .map(|n| FIRST_PID + 4 * n)
        .find(|p| portcullis_hle::ps::processes::check_new(k, name, *p, 0).is_ok())
        .expect("some id is free");
    let parent = parent.unwrap_or(portcullis_hle::ps::USER_PID);
    let eprocess = match portcullis_hle::ps::processes::create(k, name, pid, parent)? {
        Ok(e) => e,
        Err(e) => return Err(LoadError::Kernel(e)),
    };
    portcullis_hle::ps::session::set_section_base(k, eprocess, base)?;
    let ethread = portcullis_hle::ps::processes::find(k, pid).map(|p| p.thread).unwrap_or(0);
    let tid = k.mem().get(ethread, ETHREAD::UniqueThread)?;

    write_teb(k, teb, stack_top, stack, pid, tid, peb, tls_array)?;
    let mem = k.mem_mut();
    mem.write_ptr(peb + teb_layout(arch).peb_image_base, base)?;
    // What PsGetProcessPeb and PsGetThreadTeb answer a driver.
    mem.set(eprocess, EPROCESS::Peb, peb)?;
    mem.set(ethread, ETHREAD::Teb, teb)?;

    let cid = k.ext().sched.by_thread(ethread).unwrap_or(0);
    portcullis_hle::ps::user_thread::mark(k, cid, base + parsed.entry as u64, 0);
    let first = crate::threads::Thread {
        tid,
        ethread,
        cid,
        teb,
        stack_top,
        stack_limit: stack,
        tls_array,
        start: base + parsed.entry as u64,
        parameter: 0,
        pending: Vec::new(),
        run: crate::threads::Run::New,
        suspended: 0,
        exit_code: None,
    };
    let process = Process {
        name: name.to_string(),
        pid,
        tid,
        eprocess,
        ethread,
        image_base: base,
        image_size: size,
        entry: base + parsed.entry as u64,
        peb,
        teb,
        stack_top,
        threads: vec![first],
        running: 0,
        command_line: line.to_string(),
        command_line_a: line_a,
        command_line_w: line_w,
        regions: regions.clone(),
        handles: STD_HANDLES.iter().map(|(h, s)| (*h, Object::Console(*s))).collect(),
        std_handles: STD_HANDLES.map(|(h, _)| h),
        ctrl_handlers: Vec::new(),
        ignore_ctrl_c: false,
        space: 0,
        parent: None,
        console_owner: None,
        next_handle: 0x24,
        console: Vec::new(),
        exited: None,
        path,
        modules,
        startup,
        init_order: Vec::new(),
        tls_next,
        detaching: false,
        terminated: false,
        crt: crate::msvcrt::Crt { data: crt_data, ..Default::default() },
        overlapped: BTreeMap::new(),
        exception_filter: 0,
        tls_slots: 0,
        startup_strings,
        heaps: Default::default(),
        reservations: Default::default(),
        environment: Default::default(),
        stdin: Default::default(),
        sections: BTreeMap::new(),
    };
    crate::state(k).processes.push(process);
    Ok(pid)
}

/// Writes a thread's TEB: the end of its SEH chain, its stack, ids, PEB and static TLS
/// array.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_teb(
    k: &mut Kx,
    teb: u64,
    stack_top: u64,
    stack_limit: u64,
    pid: u64,
    tid: u64,
    peb: u64,
    tls_array: u64,
) -> KResult<()> {
    let arch = k.arch();
    let t = teb_layout(arch);
    let mem = k.mem_mut();
    mem.write_ptr(teb, arch.mask(u64::MAX))?; // ExceptionList: the end of the chain
    mem.write_ptr(teb + t.stack_base, stack_top)?;
    mem.write_ptr(teb + t.stack_limit, stack_limit)?;
    mem.write_ptr(teb + t.self_, teb)?;
    mem.write_ptr(teb + t.pid, pid)?;
    mem.write_ptr(teb + t.tid, tid)?;
    mem.write_ptr(teb + t.peb, peb)?;
    mem.write_ptr(teb + t.tls_pointer, tls_array)?;
    Ok(())
}

/// Switches the machine to the current process's user mode: its address space view, its
/// running thread's TEB, and its I/O permission map.
pub(crate) fn enter_user(k: &mut Kx) -> KResult<()> {
    let Some(p) = crate::current(k) else { return Ok(()) };
    let (teb, eprocess) = (p.threads[p.running].teb, p.eprocess);
    // The TSS is kernel memory: written before the user view is loaded.
    portcullis_hle::ke::iopm::load_for(k, eprocess)?;
    Ok(k.switch_to_user(teb)?)
}

/// Back to the kernel, on the current processor.
pub(crate) fn enter_kernel(k: &mut Kx) -> KResult<()> {
    let cpu = k.ext().sched.current().processor;
    Ok(k.switch_to_kernel(cpu)?)
}

/// Runs process `pid` from its entry point until it ends, and every process it starts
/// (CreateProcess) until they end too, then ends each in the kernel (handles closed, notify
/// routines). Their threads share one processor, switched at their library calls
/// ([`crate::threads`]). A stop of the whole run (a bugcheck in a driver a program called, a
/// limit) is returned as such. Returns how process `pid` ended (the others': their
/// [`Process::exited`]).
pub fn run(k: &mut Kx, pid: u64) -> Result<Exited, Stop<KernelStop>> {
    let Some(i) = crate::state(k).processes.iter().position(|p| p.pid == pid && p.exited.is_none()) else {
        return Err(Stop::Machine(portcullis_emu::MachineError::Other(format!("no process {pid:#x} to run"))));
    };
    let fail = stop_of;
    crate::state(k).current = Some(i);
    crate::state(k).processes[i].running = 0;
    crate::state(k).processes[i].threads[0].run = crate::threads::Run::Running;
    let ethread = crate::state(k).processes[i].ethread;
    portcullis_hle::ps::set_current_thread(k, ethread, true).map_err(fail)?;
    k.ext_mut().io.requester = Some(ethread);
    let mut next = (begin(k, i).map_err(fail)?, false);
    loop {
        enter_user(k).map_err(fail)?;
        let outcome = k.run_at(next.0, next.1);
        enter_kernel(k).map_err(fail)?;
        // The process whose code ran last is the one that ended.
        let Some(j) = crate::state(k).current else {
            return Err(Stop::Machine(portcullis_emu::MachineError::Other(
                "a program's run ended with no process".into(),
            )));
        };
        let ended = crate::state(k).processes[j].pid;
        let exited = match outcome {
            Ok(Exit::Suspended { .. }) => match crate::state(k).processes[j].exited.clone() {
                Some(e) => e,
                None => {
                    return Err(Stop::Machine(portcullis_emu::MachineError::Other(
                        "the program stopped without ending".into(),
                    )))
                }
            },
            // The program jumped to the host's return address: kernel memory to it.
            Ok(Exit::Returned(_)) => Exited {
                pid: ended,
                code: ACCESS_VIOLATION,
                exception: Some((k.reg(portcullis_emu::Reg::Ip), "a jump to the host's return address".into())),
            },
            Ok(other) => {
                return Err(Stop::Machine(portcullis_emu::MachineError::Other(format!(
                    "the program's run ended unexpectedly: {other:?}"
                ))))
            }
            Err(Stop::Host(KernelStop::UserException { code, pc, reason })) => {
                Exited { pid: ended, code, exception: Some((pc, reason)) }
            }
            // What the machine itself refuses in user code (a jump into a host-call slot, to
            // the nested calls' return address) is the program's access violation.
            Err(Stop::Fault(f)) if f.cpl == 3 => {
                Exited { pid: ended, code: ACCESS_VIOLATION, exception: Some((f.pc, f.reason)) }
            }
            Err(stop) => {
                crate::state(k).current = None;
                k.ext_mut().io.requester = None;
                return Err(stop);
            }
        };
        end(k, j, exited)?;
        // Another process's thread goes on (waiting in place until one can); none left
        // alive ends the run.
        match crate::threads::resume_any(k).map_err(fail)? {
            Some(at) => next = at,
            None => break,
        }
    }
    crate::state(k).processes[i]
        .exited
        .clone()
        .ok_or_else(|| Stop::Machine(portcullis_emu::MachineError::Other(format!("process {pid:#x} did not end"))))
}

/// Process `i` (current, its first thread running) starts: its libraries attach, then its
/// entry point runs (crate::callback chains them), returning to the slot that ends it.
/// Where its code begins.
pub(crate) fn begin(k: &mut Kx, i: usize) -> KResult<u64> {
    let p = crate::state(k).processes[i].clone();
    let exit_slot = slot_address(k, crate::libraries::count());
    let chain = crate::callback::Pending {
        calls: p.startup.iter().copied().collect(),
        current: None,
        failed: false,
        then: crate::callback::Then::Start,
    };
    let start = match crate::callback::start(k, chain, p.stack_top)? {
        Some(first) => first,
        None => {
            k.prepare_call(&[], CallConv::Stdcall, p.stack_top, exit_slot)?;
            p.entry
        }
    };
    note(k, &p, None);
    // A Windows thread's floating-point state: x87 at 53-bit precision, every exception
    // masked in both units.
    k.set_fpu_control(INITIAL_X87_CONTROL, INITIAL_MXCSR);
    Ok(start)
}

/// Ends process `i`, current, which exited: its other threads end first
/// (NtTerminateProcess), then its libraries are told, then the kernel ends it.
fn end(k: &mut Kx, i: usize, exited: Exited) -> Result<(), Stop<KernelStop>> {
    let fail = stop_of;
    let p = crate::state(k).processes[i].clone();
    crate::state(k).current = Some(i);
    crate::threads::end_others(k, exited.code).map_err(fail)?;
    if exited.exception.is_none() && !crate::state(k).processes[i].terminated {
        detach(k, i)?;
    }
    crate::state(k).current = Some(i);
    crate::threads::end_running_with_process(k, exited.code).map_err(fail)?;
    finish(k, i, exited.clone()).map_err(fail)?;
    note(k, &p, Some(exited.code));
    Ok(())
}

/// Ends process `i`, which is not the one running, with `code` (another's TerminateProcess):
/// its threads end where they are, its libraries are not told, and its handles are closed
/// and the kernel ends it in its own context (its first thread's); then the caller's thread
/// is current again.
pub(crate) fn terminate(k: &mut Kx, i: usize, code: u32) -> KResult<()> {
    let caller = crate::state(k).current;
    let caller_thread = portcullis_hle::ps::current_thread(k)?;
    let p = &mut crate::state(k).processes[i];
    p.terminated = true;
    let exited = Exited { pid: p.pid, code, exception: None };
    p.exited = Some(exited.clone());
    let (snapshot, ethread) = (p.clone(), p.ethread);
    crate::state(k).current = Some(i);
    crate::threads::end_others(k, code)?;
    crate::threads::end_running_with_process(k, code)?;
    portcullis_hle::ps::set_current_thread(k, ethread, true)?;
    finish(k, i, exited)?;
    note(k, &snapshot, Some(code));
    crate::state(k).current = caller;
    portcullis_hle::ps::set_current_thread(k, caller_thread, true)?;
    k.ext_mut().io.requester = Some(caller_thread);
    Ok(())
}

/// Process `i`, just made, was refused by a driver's notify routine with `status` (the
/// kernel ended it): it never runs, and its address space goes.
pub(crate) fn refused(k: &mut Kx, i: usize, status: u32) -> KResult<()> {
    let p = &mut crate::state(k).processes[i];
    p.exited = Some(Exited { pid: p.pid, code: status, exception: None });
    p.regions.clear();
    let space = p.space;
    portcullis_hle::mm::space::end(k, space)
}

/// The libraries of process `i`, which exited (not by an exception: then Windows tells
/// them nothing), get DLL_PROCESS_DETACH with lpReserved nonzero, in the reverse of the
/// order they attached, then the program's TLS callbacks. An exception in one ends the
/// calls; the exit status stays.
fn detach(k: &mut Kx, i: usize) -> Result<(), Stop<KernelStop>> {
    let p = &mut crate::state(k).processes[i];
    let running = p.running;
    p.threads[running].pending.clear();
    let mut calls = Vec::new();
    for base in p.init_order.iter().rev() {
        if let Some(m) = p.modules.iter_mut().find(|m| m.base == *base && m.attached) {
            m.attached = false;
            calls.extend(crate::module::calls_for(m, &m.tls_callbacks, crate::module::DLL_PROCESS_DETACH, 1));
        }
    }
    let program = &p.modules[0];
    calls.extend(crate::module::calls_for(program, &program.tls_callbacks, crate::module::DLL_PROCESS_DETACH, 1));
    if calls.is_empty() {
        return Ok(());
    }
    p.detaching = true;
    let top = p.threads[running].stack_top;
    crate::state(k).current = Some(i);
    let chain = crate::callback::Pending {
        calls: calls.into(),
        current: None,
        failed: false,
        then: crate::callback::Then::End,
    };
    let Some(first) = crate::callback::start(k, chain, top).map_err(stop_of)? else { return Ok(()) };
    enter_user(k).map_err(stop_of)?;
    let outcome = k.run_at(first, false);
    enter_kernel(k).map_err(stop_of)?;
    crate::state(k).processes[i].detaching = false;
    match outcome {
        Ok(_) | Err(Stop::Host(KernelStop::UserException { .. })) => Ok(()),
        Err(Stop::Fault(f)) if f.cpl == 3 => Ok(()),
        Err(stop) => Err(stop),
    }
}

/// Traces that process `i` runs again after another did (what the trace's port accesses in
/// user mode are attributed by).
pub(crate) fn note_resumed(k: &mut Kx, i: usize) {
    let p = &crate::state(k).processes[i];
    let e =
        portcullis_hle::kernel::UserProcessEvent { pid: p.pid, name: p.name.clone(), exit_status: None, resumed: true };
    k.guest_mut().trace.push(portcullis_emu::Event::Ext(portcullis_hle::kernel::KernelEvent::UserProcess(e)));
}

/// Traces that the process starts running, or ended with `exit_status`.
fn note(k: &mut Kx, p: &Process, exit_status: Option<u32>) {
    let e = portcullis_hle::kernel::UserProcessEvent { pid: p.pid, name: p.name.clone(), exit_status, resumed: false };
    k.guest_mut().trace.push(portcullis_emu::Event::Ext(portcullis_hle::kernel::KernelEvent::UserProcess(e)));
}

/// A failure of the kernel's own bookkeeping around a process, as the reason the run stops.
fn stop_of(e: portcullis_hle::kernel::KError) -> Stop<KernelStop> {
    match e {
        portcullis_hle::kernel::KError::Stop(s) => s,
        portcullis_hle::kernel::KError::Mem(m) => Stop::Machine(portcullis_emu::MachineError::Memory(m)),
    }
}

/// Ends process `i`: its handles are closed, the kernel ends it, the host thread takes over.
fn finish(k: &mut Kx, i: usize, exited: Exited) -> KResult<()> {
    // Requests it left outstanding tell nobody when they complete.
    let outstanding = std::mem::take(&mut crate::state(k).processes[i].overlapped);
    for o in outstanding.into_values() {
        crate::kernel32::overlapped::forget(k, o)?;
    }
    let handles: Vec<FileHandle> = crate::state(k).processes[i]
        .handles
        .values()
        .filter_map(|o| match o {
            Object::File { file, .. } => Some(*file),
            _ => None,
        })
        .collect();
    let keys: Vec<u64> = crate::state(k).processes[i]
        .handles
        .iter()
        .filter_map(|(h, o)| matches!(o, Object::Key { .. }).then_some(*h))
        .collect();
    for h in keys {
        crate::advapi32::registry::close(k, h)?;
    }
    // Its events go with their handles (a named one outlives it only if another holds it).
    let events: Vec<u64> = crate::state(k).processes[i]
        .handles
        .values()
        .filter_map(|o| match o {
            Object::Event { handle } | Object::Thread { handle, .. } | Object::Process { handle, .. } => Some(*handle),
            _ => None,
        })
        .collect();
    for handle in events {
        let _ = portcullis_hle::ob::handles::close(k, handle, portcullis_hle::ob::handles::Mode::User)?;
    }
    // The service control manager closes a dead client's handles (a service it marked for
    // deletion may go then).
    let services: Vec<String> = crate::state(k).processes[i]
        .handles
        .values()
        .filter_map(|o| match o {
            Object::Service { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    for h in handles {
        request::close(k, h)?;
    }
    k.ext_mut().io.requester = None;
    let s = crate::state(k);
    let p = &mut s.processes[i];
    p.handles.clear();
    p.exited = Some(exited.clone());
    let (pid, eprocess) = (p.pid, p.eprocess);
    let regions = std::mem::take(&mut p.regions);
    s.current = None;
    // Its address space goes with it.
    for base in regions {
        crate::module::unmap_region(k, base)?;
    }
    if let Err(e) = portcullis_hle::ps::processes::exit(k, pid, exited.code)? {
        return Err(portcullis_hle::kernel::KError::Stop(Stop::Machine(portcullis_emu::MachineError::Other(e))));
    }
    k.ext_mut().iopm.by_process.remove(&eprocess);
    let system = k.ext().system.system_thread;
    portcullis_hle::ps::set_current_thread(k, system, false)?;
    // Its user half goes with it (what drivers mapped into it too).
    let space = crate::state(k).processes[i].space;
    if space != 0 && k.mem().space() != space {
        portcullis_hle::mm::space::end(k, space)?;
    }
    for name in services {
        crate::advapi32::service::delete_if_done(k, &name)?;
    }
    Ok(())
}
