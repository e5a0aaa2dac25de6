//! DLLs in a process: finding a library on the C: volume, mapping it (at its preferred base,
//! or elsewhere with its base relocations applied), binding its imports (to the user-mode
//! libraries' slots, or to other DLLs' exports, loading those first), its exports (what
//! importers and GetProcAddress find), its static TLS, and the calls its TLS callbacks and
//! DllMain receive, in the order Windows makes them (a library's dependencies before it).
//!
//! Everything in a DLL is untrusted like a driver image: headers and sections are checked by
//! the kernel's PE parser, relocations by its relocator, and the export directory is read
//! from the mapped image with every index and address checked here.

use portcullis_emu::{Arch, Prot, RegionKind, PAGE_SIZE};
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::loader::{LoadError, Parsed};

/// DllMain's reasons.
pub const DLL_PROCESS_DETACH: u64 = 0;
pub const DLL_PROCESS_ATTACH: u64 = 1;
pub const DLL_THREAD_ATTACH: u64 = 2;
pub const DLL_THREAD_DETACH: u64 = 3;

/// How deep libraries may import libraries (and forwarders forward), like the loader's own
/// recursion guard.
const MAX_DEPTH: usize = 32;
/// Longest export name read.
const MAX_NAME: usize = 512;
/// Most entries an export directory can have (ordinals are 16-bit).
const MAX_EXPORTS: u64 = 0x1_0000;
/// Most TLS callbacks one image may list.
const MAX_TLS_CALLBACKS: u64 = 64;
/// Most TLS slots a process's images may take (the TEB's static TLS array is one page).
const MAX_TLS_INDEX: u32 = 512;

/// A DLL mapped in a process (or the program itself, its first module).
#[derive(Clone, Debug)]
pub struct Module {
    /// Its file name as found on the volume.
    pub name: String,
    /// Its path on the volume (`C:\...`).
    pub path: String,
    pub base: u64,
    pub size: u64,
    /// Its entry point (DllMain), 0 for none.
    pub entry: u64,
    /// The export directory: (RVA, size).
    pub(crate) exports: Option<(u32, u32)>,
    /// The TLS directory: (RVA, size).
    pub(crate) tls: Option<(u32, u32)>,
    /// Its reference count: LoadLibrary and importers add one, FreeLibrary takes one. The
    /// program and the libraries it imports statically are never unloaded.
    pub refs: u32,
    pub pinned: bool,
    /// The modules it imports from (their bases), released when it is unloaded.
    pub(crate) deps: Vec<u64>,
    /// DLL_PROCESS_ATTACH was delivered and accepted: it gets DLL_PROCESS_DETACH.
    pub attached: bool,
    /// Its TLS callbacks (called before its entry point, with the same reason).
    pub(crate) tls_callbacks: Vec<u64>,
    /// Its static TLS index, when it has static TLS.
    pub(crate) tls_index: Option<u32>,
    /// DisableThreadLibraryCalls: its entry point is not called when threads start and end.
    pub(crate) no_thread_calls: bool,
}

/// One call of a module's TLS callback or entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InitCall {
    pub target: u64,
    /// The module's base (its HINSTANCE).
    pub base: u64,
    pub reason: u64,
    /// lpReserved: nonzero for libraries loaded with the program and for the detach at
    /// process exit.
    pub reserved: u64,
    /// The entry point itself (its FALSE at attach fails the load), not a TLS callback.
    pub entry: bool,
}

/// Why a library did not load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadFailure {
    /// No such file where the search looks (ERROR_MOD_NOT_FOUND).
    NotFound(String),
    /// An import (`dll!name`) that nothing exports (ERROR_PROC_NOT_FOUND).
    MissingImport(String),
    /// A file that is no image for this machine, or cannot be placed (ERROR_BAD_EXE_FORMAT).
    Bad(String),
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadFailure::NotFound(n) => write!(f, "{n} was not found (run-app --dll gives a program its libraries)"),
            LoadFailure::MissingImport(i) => write!(f, "{i} is exported by nothing loaded"),
            LoadFailure::Bad(why) => write!(f, "{why}"),
        }
    }
}

/// What a failed load is at the API: a load error of the program, or the run's stop.
pub(crate) enum Failed {
    Load(LoadFailure),
    Kernel(portcullis_hle::kernel::KError),
}

impl From<portcullis_hle::kernel::KError> for Failed {
    fn from(e: portcullis_hle::kernel::KError) -> Self {
        Failed::Kernel(e)
    }
}

impl From<portcullis_emu::MemError> for Failed {
    fn from(e: portcullis_emu::MemError) -> Self {
        Failed::Kernel(e.into())
    }
}

/// A process's modules and regions while libraries load into it (the process itself may
/// not exist yet: the program's static imports load before it is made).
pub(crate) struct Loading<'a> {
    pub modules: &'a mut Vec<Module>,
    pub regions: &'a mut Vec<u64>,
    /// The program's directory, searched first.
    pub dir: String,
    /// Modules this load mapped, dependencies first (their init calls run in this order).
    pub new: Vec<u64>,
    /// The process's C runtime data page (msvcrt's variables).
    pub data: u64,
}

/// Where a program runs from: `C:\Program Files\<stem>\<name>` (its libraries given on the
/// command line go beside it).
pub fn program_path(name: &str) -> String {
    let stem = name.split('.').next().filter(|s| !s.is_empty()).unwrap_or("program");
    format!("C:\\Program Files\\{stem}\\{name}")
}

/// The directory of a volume path (`C:\a\b.dll` -> `C:\a`).
pub(crate) fn dir_of(path: &str) -> String {
    path.rfind('\\').map_or(String::new(), |i| path[..i].to_string())
}

fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// `name` as LoadLibrary reads it: `.dll` appended when it has no extension (a trailing
/// dot means "no extension, do not append").
fn with_extension(name: &str) -> String {
    let file = file_name(name);
    match file.rfind('.') {
        Some(i) if i + 1 == file.len() => name[..name.len() - 1].to_string(),
        Some(_) => name.to_string(),
        None => format!("{name}.dll"),
    }
}

/// Whether `name` names a user-mode library of ours (kernel32, advapi32), and which.
pub(crate) fn builtin(name: &str) -> Option<&'static str> {
    let file = with_extension(file_name(name));
    crate::libraries::names().find(|d| d.eq_ignore_ascii_case(&file))
}

/// The loaded module `name` names: by file name (with `.dll` implied), or by full path.
pub(crate) fn find_loaded(modules: &[Module], name: &str) -> Option<usize> {
    let wanted = with_extension(name);
    let by_path = wanted.contains('\\');
    modules.iter().position(|m| {
        if by_path {
            m.path.eq_ignore_ascii_case(&wanted)
        } else {
            m.name.eq_ignore_ascii_case(&wanted)
        }
    })
}

/// The file a library name leads to: a path as given, or the first of the program's
/// directory, `C:\Windows\System32` and `C:\Windows` holding it.
fn search(k: &Kx, name: &str, dir: &str) -> Option<(String, Vec<u8>)> {
    find_file(k, &with_extension(name), dir)
}

/// The file `name` (its extension given) leads to, and its bytes: a path as given, or the
/// first of `dir`, `C:\Windows\System32` and `C:\Windows` holding it.
pub(crate) fn find_file(k: &Kx, name: &str, dir: &str) -> Option<(String, Vec<u8>)> {
    let name = name.to_string();
    let candidates: Vec<String> = if name.contains(['\\', ':', '/']) {
        vec![name]
    } else {
        [dir, "C:\\Windows\\System32", "C:\\Windows"].iter().map(|d| format!("{d}\\{name}")).collect()
    };
    candidates.into_iter().find_map(|c| {
        let on_volume = portcullis_hle::fs::volume_path(&c)?;
        let vol = &k.ext().volume;
        let id = vol.find(&on_volume).ok()?;
        let node = vol.node(id);
        (!node.directory && !node.deleted).then(|| (c, node.data.clone()))
    })
}

/// Whether a PE file's optional header says IMAGE_SUBSYSTEM_NATIVE (1): a kernel-mode image.
/// (Subsystem sits 68 bytes into the optional header in PE32 and PE32+ alike.)
fn native_subsystem(bytes: &[u8]) -> bool {
    let at = |o: usize, n: usize| bytes.get(o..o + n);
    let Some(lfanew) = at(0x3C, 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize) else { return false };
    let subsystem = lfanew.checked_add(4 + 20 + 68).and_then(|o| at(o, 2));
    subsystem.is_some_and(|b| u16::from_le_bytes([b[0], b[1]]) == 1)
}

/// Whether library `name` is one of ours or a file the search finds from `dir`.
pub(crate) fn available(k: &Kx, name: &str, dir: &str) -> bool {
    builtin(name).is_some() || search(k, name, dir).is_some()
}

/// Writes an image's headers and sections at `base` (mapped, `size_of_image` bytes).
pub(crate) fn write_image(k: &mut Kx, base: u64, bytes: &[u8], parsed: &Parsed) -> Result<(), LoadError> {
    let size = parsed.size_of_image as u64;
    // Exceptions in its code find its functions' unwind information (x64).
    let exception_directory = parsed.exception;
    portcullis_hle::seh::user::add_image(k, portcullis_hle::seh::user::UserImage { base, size, exception_directory });
    let mem = k.mem_mut();
    let headers = (parsed.size_of_headers as usize).min(bytes.len()).min(size as usize);
    mem.write_unchecked(base, &bytes[..headers])?;
    for s in &parsed.sections {
        let reach = (s.extent() as u64).div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let n = (s.raw_size as u64).min(reach).min(size.saturating_sub(s.rva as u64)) as usize;
        if n > 0 {
            mem.write_unchecked(base + s.rva as u64, &bytes[s.raw_offset as usize..][..n])?;
        }
    }
    Ok(())
}

/// Unmaps a region of a process (an image, a stack, ...): exception handling forgets an
/// image there.
pub(crate) fn unmap_region(k: &mut Kx, base: u64) -> Result<(), portcullis_emu::MemError> {
    portcullis_hle::seh::user::remove_image(k, base);
    k.mem_mut().free(base).map(|_| ())
}

/// The highest user address an image may reach.
pub(crate) fn user_top(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x8000_0000,
        Arch::X64 => 0x7FF_FFFF_0000,
    }
}

/// Loads library `name` into the process being loaded (or returns the one loaded, with one
/// more reference), its imports bound.
pub(crate) fn load_library(k: &mut Kx, l: &mut Loading, name: &str, depth: usize) -> Result<u64, Failed> {
    if let Some(i) = find_loaded(l.modules, name) {
        l.modules[i].refs = l.modules[i].refs.saturating_add(1);
        return Ok(l.modules[i].base);
    }
    if depth > MAX_DEPTH {
        return Err(Failed::Load(LoadFailure::Bad(format!(
            "{name}: libraries import each other more than {MAX_DEPTH} deep"
        ))));
    }
    let Some((path, bytes)) = search(k, name, &l.dir) else {
        return Err(Failed::Load(LoadFailure::NotFound(with_extension(name))));
    };
    let bad = |e: LoadError| Failed::Load(LoadFailure::Bad(format!("{}: {e}", file_name(&path))));
    if native_subsystem(&bytes) {
        // The kernel's own files (ntoskrnl.exe, hal.dll, drivers) are on the volume too.
        return Err(Failed::Load(LoadFailure::Bad(format!(
            "{}: a kernel-mode image (native subsystem), which a program cannot load",
            file_name(&path)
        ))));
    }
    let parsed = portcullis_hle::loader::parse(&bytes).map_err(bad)?;
    let arch = k.arch();
    if parsed.arch != arch {
        return Err(bad(LoadError::WrongArch { image: parsed.arch.name(), machine: arch.name() }));
    }
    let size = parsed.size_of_image as u64;
    let name = file_name(&path).to_string();
    let preferred = parsed.image_base;
    // Address space the process reserved with VirtualAlloc is taken too.
    let fits = preferred >= 0x1_0000
        && preferred.checked_add(size).is_some_and(|end| end <= user_top(arch))
        && !crate::current(k).is_some_and(|p| p.reservations.overlaps(preferred, size));
    let base = match fits.then(|| k.mem_mut().map_fixed(RegionKind::User, name.clone(), preferred, size, Prot::RWX)) {
        Some(Ok(())) => preferred,
        // Taken (or outside user space): anywhere, relocated.
        _ => {
            if parsed.relocations.is_none() {
                return Err(bad(LoadError::Unsupported(format!(
                    "its base {preferred:#x} is taken and it has no relocations"
                ))));
            }
            k.mem_mut().alloc(RegionKind::User, name.clone(), size, Prot::RWX)?
        }
    };
    l.regions.push(base);
    write_image(k, base, &bytes, &parsed).map_err(bad)?;
    if base != preferred {
        if let Some((rva, len)) = parsed.relocations {
            portcullis_hle::loader::relocate(k, base, size, rva as u64, len as u64, base.wrapping_sub(preferred))
                .map_err(bad)?;
        }
    }
    l.modules.push(Module {
        name,
        path,
        base,
        size,
        entry: if parsed.entry == 0 { 0 } else { base + parsed.entry as u64 },
        exports: parsed.export_directory,
        tls: parsed.tls,
        refs: 1,
        pinned: false,
        deps: Vec::new(),
        attached: false,
        tls_callbacks: Vec::new(),
        tls_index: None,
        no_thread_calls: false,
    });
    // Mapped before its imports bind, so libraries importing each other find it.
    let deps = bind_imports(k, l, base, &parsed, depth + 1)?;
    if let Some(m) = l.modules.iter_mut().find(|m| m.base == base) {
        m.deps = deps;
    }
    l.new.push(base);
    Ok(base)
}

/// Binds the imports of the image at `base`: the user-mode libraries' slots, or the exports
/// of DLLs (loaded as needed). Returns the DLLs it imports from.
pub(crate) fn bind_imports(
    k: &mut Kx,
    l: &mut Loading,
    base: u64,
    parsed: &Parsed,
    depth: usize,
) -> Result<Vec<u64>, Failed> {
    let mut deps: Vec<u64> = Vec::new();
    for imp in &parsed.imports {
        let at = if builtin(&imp.dll).is_some() {
            match crate::libraries::find_for(&imp.dll, &imp.name, k.arch()) {
                Some(i) => crate::process::slot_address(k, i),
                None => match crate::msvcrt::data_offset(&imp.dll, &imp.name) {
                    Some(off) => l.data + off,
                    None => return Err(Failed::Load(LoadFailure::MissingImport(format!("{}!{}", imp.dll, imp.name)))),
                },
            }
        } else {
            let dep = match deps.iter().find(|&&d| l.modules.iter().any(|m| m.base == d && same_file(m, &imp.dll))) {
                Some(&d) => d,
                None => {
                    let d = load_library(k, l, &imp.dll, depth)?;
                    deps.push(d);
                    d
                }
            };
            match export(k, l, dep, &imp.name, depth)? {
                Some(a) => a,
                None => return Err(Failed::Load(LoadFailure::MissingImport(format!("{}!{}", imp.dll, imp.name)))),
            }
        };
        k.mem_mut().write_ptr(base + imp.iat_rva as u64, at)?;
    }
    Ok(deps)
}

fn same_file(m: &Module, dll: &str) -> bool {
    m.name.eq_ignore_ascii_case(&with_extension(file_name(dll)))
}

/// An export of a module: by name, or `ORDINAL n` / `#n` by ordinal.
pub(crate) enum Wanted<'a> {
    Name(&'a str),
    Ordinal(u32),
}

impl<'a> Wanted<'a> {
    pub(crate) fn parse(s: &'a str) -> Wanted<'a> {
        let n = s.strip_prefix("ORDINAL ").or_else(|| s.strip_prefix('#')).and_then(|n| n.trim().parse().ok());
        match n {
            Some(n) => Wanted::Ordinal(n),
            None => Wanted::Name(s),
        }
    }
}

/// Where an export points.
pub(crate) enum Target {
    Address(u64),
    /// A forwarder: `DLL.Name` or `DLL.#n`.
    Forward(String, String),
}

/// Reads `module`'s export directory (in its mapped image) for `wanted`.
pub(crate) fn lookup(k: &Kx, m: &Module, wanted: &Wanted) -> KResult<Option<Target>> {
    let Some((dir, dir_size)) = m.exports else { return Ok(None) };
    let mem = k.mem();
    let (base, size) = (m.base, m.size);
    let inside = |rva: u64, len: u64| rva.checked_add(len).is_some_and(|end| end <= size);
    if !inside(dir as u64, 40) {
        return Ok(None);
    }
    let d = base + dir as u64;
    let ordinal_base = mem.read_u32(d + 16)?;
    let functions = mem.read_u32(d + 20)? as u64;
    let names = mem.read_u32(d + 24)? as u64;
    let (at_functions, at_names, at_ordinals) =
        (mem.read_u32(d + 28)? as u64, mem.read_u32(d + 32)? as u64, mem.read_u32(d + 36)? as u64);
    // Ordinals are 16-bit: a directory claiming more entries is damaged (and would make a
    // name search walk the whole image).
    if functions > MAX_EXPORTS || names > MAX_EXPORTS {
        return Ok(None);
    }
    if !inside(at_functions, functions * 4) || !inside(at_names, names * 4) || !inside(at_ordinals, names * 2) {
        return Ok(None);
    }
    let index = match wanted {
        Wanted::Ordinal(n) => match n.checked_sub(ordinal_base) {
            Some(i) => i as u64,
            None => return Ok(None),
        },
        Wanted::Name(want) => {
            let mut found = None;
            for i in 0..names {
                let rva = mem.read_u32(base + at_names + 4 * i)? as u64;
                if !inside(rva, 1) {
                    continue;
                }
                let name = portcullis_hle::rtl::printf::read_cstr(mem, base + rva, MAX_NAME)?;
                if name == want.as_bytes() {
                    found = Some(mem.read_u16(base + at_ordinals + 2 * i)? as u64);
                    break;
                }
            }
            match found {
                Some(i) => i,
                None => return Ok(None),
            }
        }
    };
    if index >= functions {
        return Ok(None);
    }
    let rva = mem.read_u32(base + at_functions + 4 * index)? as u64;
    if rva == 0 || !inside(rva, 1) {
        return Ok(None);
    }
    // An address inside the export directory is a forwarder string.
    if (dir as u64..dir as u64 + dir_size as u64).contains(&rva) {
        let text: String =
            portcullis_hle::rtl::printf::read_cstr(mem, base + rva, MAX_NAME)?.iter().map(|&b| b as char).collect();
        return Ok(text.split_once('.').map(|(dll, name)| Target::Forward(dll.to_string(), name.to_string())));
    }
    Ok(Some(Target::Address(base + rva)))
}

/// The address `name` (a name, or `ORDINAL n`) of the module at `base` resolves to,
/// following forwarders (loading the libraries they name).
pub(crate) fn export(k: &mut Kx, l: &mut Loading, base: u64, name: &str, depth: usize) -> Result<Option<u64>, Failed> {
    let Some(m) = l.modules.iter().find(|m| m.base == base).cloned() else { return Ok(None) };
    match lookup(k, &m, &Wanted::parse(name))? {
        None => Ok(None),
        Some(Target::Address(a)) => Ok(Some(a)),
        Some(Target::Forward(dll, func)) => {
            if depth > MAX_DEPTH {
                return Ok(None);
            }
            if builtin(&dll).is_some() {
                return Ok(crate::libraries::find_for(&with_extension(&dll), &func, k.arch())
                    .map(|i| crate::process::slot_address(k, i)));
            }
            let target = load_library(k, l, &dll, depth + 1)?;
            if let Some(m) = l.modules.iter_mut().find(|m| m.base == base) {
                m.deps.push(target);
            }
            export(k, l, target, &func, depth + 1)
        }
    }
}

/// An image's TLS directory, as virtual addresses.
struct TlsDirectory {
    /// Where the template of each thread's TLS block starts and ends.
    start: u64,
    end: u64,
    /// Where the slot index the loader gives the image is written.
    index_at: u64,
    /// The NULL-terminated array of its TLS callbacks (0: none).
    callbacks_at: u64,
    /// Bytes zeroed past the template.
    zero_fill: u64,
}

fn tls_directory(k: &Kx, m: &Module) -> KResult<Option<TlsDirectory>> {
    let Some((rva, _)) = m.tls else { return Ok(None) };
    let at = m.base + rva as u64;
    let mem = k.mem();
    let ps = k.arch().ptr_size();
    if (rva as u64).saturating_add(4 * ps + 8) > m.size {
        return Ok(None);
    }
    Ok(Some(TlsDirectory {
        start: mem.read_ptr(at)?,
        end: mem.read_ptr(at + ps)?,
        index_at: mem.read_ptr(at + 2 * ps)?,
        callbacks_at: mem.read_ptr(at + 3 * ps)?,
        zero_fill: mem.read_u32(at + 4 * ps)? as u64,
    }))
}

/// Gives module `m` its static TLS in the process (a slot index written to its
/// AddressOfIndex, a copy of its template in the TEB's TLS array), and returns its TLS
/// callbacks. `next` is the process's next free slot.
pub(crate) fn setup_tls(
    k: &mut Kx,
    m: &mut Module,
    tls_array: u64,
    next: &mut u32,
    regions: &mut Vec<u64>,
) -> KResult<Vec<u64>> {
    let Some(TlsDirectory { start, end, index_at, callbacks_at, zero_fill }) = tls_directory(k, m)? else {
        return Ok(Vec::new());
    };
    let template = end.saturating_sub(start).min(1 << 20);
    let block_size = (template + zero_fill.min(1 << 20)).max(1);
    if *next < MAX_TLS_INDEX {
        let block = k.mem_mut().alloc(RegionKind::User, format!("{} TLS", m.name), block_size, Prot::RW)?;
        regions.push(block);
        if template > 0 {
            let data = k.mem().read_vec(start, template)?;
            k.mem_mut().write(block, &data)?;
        }
        let ps = k.arch().ptr_size();
        k.mem_mut().write_ptr(tls_array + *next as u64 * ps, block)?;
        if index_at != 0 {
            k.mem_mut().write_u32(index_at, *next)?;
        }
        m.tls_index = Some(*next);
        *next += 1;
    }
    let mut callbacks = Vec::new();
    if callbacks_at != 0 {
        for i in 0..MAX_TLS_CALLBACKS {
            let cb = k.mem().read_ptr(callbacks_at + i * k.arch().ptr_size())?;
            if cb == 0 {
                break;
            }
            callbacks.push(cb);
        }
    }
    Ok(callbacks)
}

/// Gives a new thread module `m`'s static TLS: a block initialised from the module's
/// template, at the module's index of the thread's `tls_array` (each region added to
/// `regions`).
pub(crate) fn thread_tls(k: &mut Kx, m: &Module, tls_array: u64, regions: &mut Vec<u64>) -> KResult<()> {
    let Some(index) = m.tls_index else { return Ok(()) };
    let Some(TlsDirectory { start, end, zero_fill, .. }) = tls_directory(k, m)? else { return Ok(()) };
    let template = end.saturating_sub(start).min(1 << 20);
    let block_size = (template + zero_fill.min(1 << 20)).max(1);
    let block = k.mem_mut().alloc(RegionKind::User, format!("{} TLS", m.name), block_size, Prot::RW)?;
    regions.push(block);
    if template > 0 {
        let data = k.mem().read_vec(start, template)?;
        k.mem_mut().write(block, &data)?;
    }
    let ps = k.arch().ptr_size();
    k.mem_mut().write_ptr(tls_array + index as u64 * ps, block)?;
    Ok(())
}

/// The calls a module gets for `reason`: its TLS callbacks, then its entry point.
pub(crate) fn calls_for(m: &Module, callbacks: &[u64], reason: u64, reserved: u64) -> Vec<InitCall> {
    let mut calls: Vec<InitCall> =
        callbacks.iter().map(|&cb| InitCall { target: cb, base: m.base, reason, reserved, entry: false }).collect();
    if m.entry != 0 {
        calls.push(InitCall { target: m.entry, base: m.base, reason, reserved, entry: true });
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_names_get_their_extension_as_loadlibrary_gives_it() {
        assert_eq!(with_extension("inpout32"), "inpout32.dll");
        assert_eq!(with_extension("inpout32.dll"), "inpout32.dll");
        assert_eq!(with_extension("driver.sys"), "driver.sys");
        assert_eq!(with_extension("plain."), "plain");
        assert_eq!(with_extension("C:\\x.y\\lib"), "C:\\x.y\\lib.dll");
        assert_eq!(builtin("KERNEL32"), Some("kernel32.dll"));
        assert_eq!(builtin("C:\\Windows\\System32\\advapi32.dll"), Some("advapi32.dll"));
        assert_eq!(builtin("inpout32.dll"), None);
    }

    #[test]
    fn programs_live_in_a_directory_of_their_own() {
        assert_eq!(program_path("inpout_client.x86.exe"), "C:\\Program Files\\inpout_client\\inpout_client.x86.exe");
        assert_eq!(dir_of("C:\\Program Files\\a\\a.exe"), "C:\\Program Files\\a");
        assert!(matches!(Wanted::parse("ORDINAL 3"), Wanted::Ordinal(3)));
        assert!(matches!(Wanted::parse("#7"), Wanted::Ordinal(7)));
        assert!(matches!(Wanted::parse("Out32"), Wanted::Name("Out32")));
    }
}
