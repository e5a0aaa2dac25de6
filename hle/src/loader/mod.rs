//! The PE loader: maps a driver image, relocates it, binds its imports, sets its security
//! cookie, and creates its loader entry and driver object.
//!
//! Images always load at a base other than their preferred one, so relocation runs every
//! time. Everything in the file is untrusted: headers, section bounds, relocation blocks,
//! import tables and the load-config directory are checked, and any inconsistency is a
//! `LoadError`, never a panic (goblin's parser additionally runs under `catch_unwind`).
//! `headers` walks the headers, section table and import table by hand before goblin sees
//! the file, refusing what Windows refuses with a message that says what and where;
//! `hle/tests/loader_damage.rs` holds the damage shapes and a fuzz to that.

mod headers;
mod image;
pub mod system;

pub use image::{describe, parse, warnings, ImageInfo, ImportInfo, Parsed, ParsedImport, SectionInfo};

use portcullis_emu::{Arch, MachineError, MemError, Prot, Region, RegionKind, PAGE_SIZE};
use serde::Serialize;
use thiserror::Error;

use crate::exports::Dll;
use crate::kernel::{KError, Kx, MissingImports};
use crate::layout::{FieldAccess, LDR_DATA_TABLE_ENTRY};

#[derive(Debug, Error, Clone)]
pub enum LoadError {
    #[error("not a loadable driver image: {0}")]
    Malformed(String),
    #[error("the image is for {image}, the machine is {machine}")]
    WrongArch { image: &'static str, machine: &'static str },
    #[error("unsupported image: {0}")]
    Unsupported(String),
    #[error("{} import{} not implemented: {}", .0.len(), if .0.len() == 1 { " is" } else { "s are" }, .0.join(", "))]
    MissingImports(Vec<String>),
    #[error("guest memory: {0}")]
    Memory(#[from] MemError),
    #[error("machine: {0}")]
    Machine(#[from] MachineError),
    #[error("kernel: {0}")]
    Kernel(String),
}

impl From<KError> for LoadError {
    fn from(e: KError) -> Self {
        match e {
            KError::Mem(m) => LoadError::Memory(m),
            KError::Stop(s) => LoadError::Kernel(s.to_string()),
        }
    }
}

/// A driver the kernel has loaded.
#[derive(Clone, Debug, Serialize)]
pub struct LoadedDriver {
    /// The service name (the file name without `.sys`).
    pub name: String,
    pub image: ImageInfo,
    pub driver_object: u64,
    pub registry_path: u64,
    pub ldr_entry: u64,
    /// `popf` instructions found and virtualised.
    pub popf_sites: usize,
    pub entry_called: bool,
    pub unloaded: bool,
}

/// Default /GS cookies: a cookie still holding one makes `__security_init_cookie` bugcheck.
const DEFAULT_COOKIE_X86: u64 = 0xBB40_E64E;
const DEFAULT_COOKIE_X64: u64 = 0x0000_2B99_2DDF_A232;
/// The cookie Portcullis sets: fixed, so runs repeat; top 16 bits clear on x64 as Windows keeps them.
const COOKIE_X86: u64 = 0x5EC0_0C1E;
const COOKIE_X64: u64 = 0x0000_7A3C_5EC0_0C1E;

const SCN_MEM_EXECUTE: u32 = 0x2000_0000;
const SCN_MEM_WRITE: u32 = 0x8000_0000;
const FILE_RELOCS_STRIPPED: u16 = 0x0001;

/// Loads `bytes` as driver `name` into the kernel. Returns the driver's index. The driver
/// gets a service key and its image a file under `\SystemRoot\System32\drivers`, as if it
/// had been installed there.
pub fn load(k: &mut Kx, name: &str, bytes: &[u8]) -> Result<usize, LoadError> {
    load_image(k, name, bytes, true)
}

/// Loads the image of service `name` that ZwLoadDriver found through the service's key:
/// the key and the file exist already.
pub fn load_service(k: &mut Kx, name: &str, bytes: &[u8]) -> Result<usize, LoadError> {
    load_image(k, name, bytes, false)
}

fn load_image(k: &mut Kx, name: &str, bytes: &[u8], install: bool) -> Result<usize, LoadError> {
    let parsed = image::parse(bytes)?;
    let arch = k.arch();
    if parsed.arch != arch {
        return Err(LoadError::WrongArch { image: parsed.arch.name(), machine: arch.name() });
    }
    if parsed.characteristics & FILE_RELOCS_STRIPPED != 0 {
        return Err(LoadError::Unsupported("relocations are stripped; a driver must be relocatable".into()));
    }
    let size = parsed.size_of_image as u64;

    // Imports first: refusing a load should not leave anything mapped.
    let missing_policy = k.ext().options.missing_imports;
    let mut missing = Vec::new();
    for imp in &parsed.imports {
        let resolved = Dll::from_import(&imp.dll).and_then(|d| resolve_import(k, d, &imp.name));
        if resolved.is_none() {
            missing.push(format!("{}!{}", imp.dll, imp.name));
        }
    }
    if !missing.is_empty() && missing_policy == MissingImports::Error {
        return Err(LoadError::MissingImports(missing));
    }

    // Map: a region of the whole image, never at the preferred base.
    let mut base = k.mem_mut().alloc(RegionKind::Image, name, size, Prot::RWX)?;
    if base == parsed.image_base {
        k.mem_mut().free(base)?;
        base = k.mem_mut().alloc(RegionKind::Image, name, size, Prot::RWX)?;
    }
    let result = map_and_bind(k, name, bytes, &parsed, base, &missing);
    let (imports, popf_sites) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = k.mem_mut().free(base);
            return Err(e);
        }
    };
    let entry = base + parsed.entry as u64;
    if install {
        crate::cm::service_key(k, name);
    }
    if parsed.imports.iter().any(|i| Dll::from_import(&i.dll) == Some(Dll::Fltmgr)) {
        crate::flt::registration::install(k, name);
    }
    // The image file is on the volume where its ImagePath says.
    if install {
        let file = if name.to_ascii_lowercase().ends_with(".sys") { name.to_string() } else { format!("{name}.sys") };
        crate::fs::seed_file(k, &format!("\\Windows\\System32\\drivers\\{file}"), bytes.to_vec());
    }
    let integrity = parsed.dll_characteristics & FORCE_INTEGRITY != 0;
    let objects = ldr_entry(k, name, base, size, entry, integrity)
        .and_then(|ldr| Ok((ldr, crate::io::driver::create(k, name, base, size, ldr, entry)?)));
    let (ldr, objects) = match objects {
        Ok(v) => v,
        Err(e) => {
            let _ = k.mem_mut().free(base);
            return Err(e);
        }
    };
    let sections = parsed.sections.iter().map(|s| SectionInfo { address: base + s.rva as u64, ..s.clone() }).collect();
    let image = ImageInfo {
        base,
        size,
        entry,
        preferred_base: parsed.image_base,
        arch,
        sections,
        imports,
        exports: parsed.exports.clone(),
        timestamp: parsed.timestamp,
        dll_characteristics: parsed.dll_characteristics,
        exception_directory: parsed.exception,
    };
    system::link_module(k, ldr)?;
    let drivers = &mut k.ext_mut().drivers;
    drivers.push(LoadedDriver {
        name: name.to_string(),
        image,
        driver_object: objects.driver_object,
        registry_path: objects.registry_path,
        ldr_entry: ldr,
        popf_sites,
        entry_called: false,
        unloaded: false,
    });
    Ok(drivers.len() - 1)
}

/// The export an import binds to: by name, or by ordinal ("ORDINAL n", counted 1-based over
/// the DLL's exports on this architecture in name order; no Windows build numbers them the
/// same way, so ordinal imports of ntoskrnl are rare and best avoided).
fn resolve_import(k: &Kx, dll: Dll, name: &str) -> Option<u64> {
    if let Some(n) = name.strip_prefix("ORDINAL ") {
        let ordinal: usize = n.parse().ok()?;
        let mut names: Vec<&'static str> =
            dll.table().iter().filter(|e| e.exists_on(k.arch())).map(|e| e.name()).collect();
        names.sort_unstable();
        let name = names.get(ordinal.checked_sub(1)?)?;
        return k.ext().resolve(dll, name);
    }
    k.ext().resolve(dll, name)
}

fn map_and_bind(
    k: &mut Kx,
    name: &str,
    bytes: &[u8],
    img: &image::Parsed,
    base: u64,
    missing: &[String],
) -> Result<(Vec<ImportInfo>, usize), LoadError> {
    let arch = k.arch();
    let size = img.size_of_image as u64;
    let mem = k.mem_mut();
    let headers = (img.size_of_headers as usize).min(bytes.len()).min(size as usize);
    mem.write_unchecked(base, &bytes[..headers])?;
    // Each section's raw data, as far as its extent reaches rounded up to a page (Windows
    // maps the file page by page); the header checks keep both inside the file and image.
    for s in &img.sections {
        let reach = (s.extent() as u64).div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let n = (s.raw_size as u64).min(reach).min(size - s.rva as u64) as usize;
        if n > 0 {
            mem.write_unchecked(base + s.rva as u64, &bytes[s.raw_offset as usize..][..n])?;
        }
    }

    // Relocations.
    let delta = base.wrapping_sub(img.image_base);
    if let Some((rva, len)) = img.relocations {
        relocate(k, base, size, rva as u64, len as u64, delta)?;
    }

    // Imports.
    let ps = arch.ptr_size();
    let mut imports = Vec::new();
    let stubs = if missing.is_empty() { None } else { Some(missing_stubs(k, &img.imports, missing)?) };
    for imp in &img.imports {
        if imp.iat_rva as u64 + ps > size {
            return Err(LoadError::Malformed(format!(
                "import {}!{} has its slot outside the image",
                imp.dll, imp.name
            )));
        }
        let dll = Dll::from_import(&imp.dll);
        let target = dll.and_then(|d| resolve_import(k, d, &imp.name));
        let address = match (target, &stubs) {
            (Some(t), _) => t,
            (None, Some(stub_map)) => {
                *stub_map.get(&format!("{}!{}", imp.dll, imp.name)).expect("a stub for each missing import")
            }
            (None, None) => unreachable!("missing imports were refused above"),
        };
        k.mem_mut().write_unchecked(base + imp.iat_rva as u64, &address.to_le_bytes()[..ps as usize])?;
        imports.push(ImportInfo {
            dll: imp.dll.clone(),
            name: imp.name.clone(),
            implemented: target.is_some(),
            address,
        });
    }

    // Security cookie: the load-config directory names it (an absolute, relocated VA).
    if let Some((rva, len)) = img.load_config {
        let field = if arch == Arch::X64 { 0x58 } else { 0x3C };
        if field + ps <= len as u64 {
            let at = k.mem().read_ptr(base + rva as u64 + field)?;
            if at != 0 {
                if at < base || at.checked_add(ps).is_none_or(|end| end > base + size) {
                    return Err(LoadError::Malformed(format!(
                        "the security cookie at {at:#x} lies outside the image ({base:#x}+{size:#x})"
                    )));
                }
                let (default, ours) = match arch {
                    Arch::X86 => (DEFAULT_COOKIE_X86, COOKIE_X86),
                    Arch::X64 => (DEFAULT_COOKIE_X64, COOKIE_X64),
                };
                let current = k.mem().read_ptr(at)?;
                if current == default || current == 0 {
                    k.mem_mut().write_unchecked(at, &ours.to_le_bytes()[..ps as usize])?;
                }
            }
        }
    }

    // Page protections: the union of every section touching a page (sections may share
    // pages when SectionAlignment is below the page size).
    let pages = size.div_ceil(PAGE_SIZE);
    let mut prot = vec![Prot::R; pages as usize];
    for s in &img.sections {
        let start = s.rva as u64 / PAGE_SIZE;
        let end = (s.rva as u64 + s.extent() as u64).div_ceil(PAGE_SIZE).min(pages);
        for p in prot.iter_mut().take(end as usize).skip(start as usize) {
            p.write |= s.characteristics & SCN_MEM_WRITE != 0;
            p.exec |= s.characteristics & SCN_MEM_EXECUTE != 0;
        }
    }
    for (i, p) in prot.iter().enumerate() {
        k.mem_mut().protect(base + i as u64 * PAGE_SIZE, PAGE_SIZE, *p)?;
    }

    // popf virtualisation over executable sections.
    let mut popf = 0;
    for s in img.sections.iter().filter(|s| s.characteristics & SCN_MEM_EXECUTE != 0) {
        popf += k.watch_popf(base + s.rva as u64, s.extent() as u64)?;
    }
    let _ = name;
    Ok((imports, popf))
}

/// Applies an image's base relocations (directory at `rva`, `len` bytes) for an image mapped
/// `delta` bytes away from its preferred base; every block and entry is checked against the
/// image's `size`. User-mode DLLs loaded away from their base use it too.
pub fn relocate(k: &mut Kx, base: u64, size: u64, rva: u64, len: u64, delta: u64) -> Result<(), LoadError> {
    if rva + len > size {
        return Err(LoadError::Malformed(format!(
            "the relocation directory {rva:#x}+{len:#x} lies outside the {size:#x}-byte image"
        )));
    }
    let mut dir = vec![0u8; len as usize];
    k.mem().read(base + rva, &mut dir)?;
    let mut off = 0usize;
    while off < dir.len() {
        let rest = &dir[off..];
        let at_block = rva + off as u64;
        // Zeros to the end of the directory are padding after the last block; anything
        // else must be a whole block.
        let header = (rest.len() >= 8).then(|| {
            let word = |i: usize| u32::from_le_bytes(rest[i..i + 4].try_into().expect("4 bytes"));
            (word(0) as u64, word(4) as usize)
        });
        let (page, block) = match header {
            Some((_, 0)) | None if rest.iter().all(|b| *b == 0) => break,
            None => {
                return Err(LoadError::Malformed(format!(
                    "the relocation directory ends with {} stray bytes at {at_block:#x}",
                    rest.len()
                )))
            }
            Some(h) => h,
        };
        if block < 8 || block > rest.len() {
            return Err(LoadError::Malformed(format!(
                "relocation block at {at_block:#x} (page {page:#x}) has SizeOfBlock {block:#x}, {}",
                if block < 8 {
                    "smaller than its 8-byte header".to_string()
                } else {
                    format!("more than the {:#x} bytes left in the directory", rest.len())
                }
            )));
        }
        for (i, e) in rest[8..block].chunks_exact(2).enumerate() {
            let e = u16::from_le_bytes([e[0], e[1]]);
            let (kind, at) = (e >> 12, page + (e & 0xFFF) as u64);
            let width = match kind {
                0 => continue,
                3 => 4,
                10 => 8,
                other => {
                    return Err(LoadError::Unsupported(format!(
                        "relocation type {other} ({}) at {at:#x}, entry {i} of the block at {at_block:#x}: only ABSOLUTE, HIGHLOW and DIR64 are applied",
                        reloc_type_name(other)
                    )))
                }
            };
            if at + width > size {
                return Err(LoadError::Malformed(format!(
                    "relocation target {at:#x} (entry {i} of the block at {at_block:#x}) lies outside the {size:#x}-byte image"
                )));
            }
            let va = base + at;
            if width == 4 {
                let v = k.mem().read_u32(va)?.wrapping_add(delta as u32);
                k.mem_mut().write_unchecked(va, &v.to_le_bytes())?;
            } else {
                let v = k.mem().read_u64(va)?.wrapping_add(delta);
                k.mem_mut().write_unchecked(va, &v.to_le_bytes())?;
            }
        }
        off += block;
    }
    Ok(())
}

fn reloc_type_name(kind: u16) -> &'static str {
    match kind {
        1 => "HIGH",
        2 => "LOW",
        4 => "HIGHADJ",
        5 => "MIPS_JMPADDR / ARM_MOV32",
        6 => "reserved",
        7 => "THUMB_MOV32",
        8 => "RISCV_LOW12S",
        9 => "MIPS_JMPADDR16 / IA64_IMM64",
        _ => "undefined",
    }
}

/// Binds each missing import (once per distinct `dll!name`) to what stands in for it: a
/// host-call slot of the one dispatcher for a routine (popping what the signature list says the
/// routine pops on x86, `ret` when the routine is unknown), or a zeroed variable for a data
/// import, so that a driver reading it through its import sees NULL/0 rather than code bytes.
fn missing_stubs(
    k: &mut Kx,
    imports: &[image::ParsedImport],
    missing: &[String],
) -> Result<std::collections::HashMap<String, u64>, LoadError> {
    use crate::dispatch::MissingStub;
    use crate::exports::signatures::{self, Shape};
    use std::borrow::Cow;

    let arch = k.arch();
    let mut seen = std::collections::HashSet::new();
    // (the import as the image names it, its stub)
    let mut stubs: Vec<(String, MissingStub)> = Vec::new();
    for imp in imports {
        let full = format!("{}!{}", imp.dll, imp.name);
        if !missing.contains(&full) || !seen.insert(full.clone()) {
            continue;
        }
        let known = Dll::from_import(&imp.dll);
        let signature = known.and_then(|d| {
            signatures::lookup(d.name(), &imp.name)
                .or_else(|| d.kernel_sibling().and_then(|s| signatures::lookup(s.name(), &imp.name)))
        });
        let shape = signature.map(|s| s.shape(arch)).unwrap_or(Shape::Absent);
        let (dll, name): (Cow<'static, str>, Cow<'static, str>) = match (known, signature) {
            (Some(d), Some(s)) => (Cow::Borrowed(d.name()), Cow::Borrowed(s.name)),
            (Some(d), None) => (Cow::Borrowed(d.name()), Cow::Owned(imp.name.clone())),
            (None, _) => (Cow::Owned(imp.dll.clone()), Cow::Owned(imp.name.clone())),
        };
        let stub = MissingStub {
            dll,
            name,
            signature: signature.filter(|_| shape != Shape::Absent),
            address: 0,
            data: shape == Shape::Data,
        };
        stubs.push((full, stub));
    }

    // Routines: one host-call region; slots continue the machine's numbering.
    let bodies: Vec<Vec<u8>> = stubs
        .iter()
        .filter(|(_, s)| !s.data)
        .map(|(_, s)| match s.signature.map(|sig| sig.shape(arch)) {
            Some(Shape::Function { pops, .. }) if pops > 0 => vec![0xC2, pops as u8, (pops >> 8) as u8],
            _ => vec![0xC3],
        })
        .collect();
    let first = k.host_call_slots() as usize;
    let calls = &k.ext().calls;
    let registered = calls.functions.functions.len() + calls.reserved as usize + calls.missing.len();
    if first != registered {
        return Err(LoadError::Kernel(format!(
            "host-call slots out of step: the machine has {first}, the kernel knows {registered}"
        )));
    }
    let code = if bodies.is_empty() {
        0
    } else {
        k.add_host_calls("missing-import stubs", &bodies, crate::dispatch::dispatch)?
    };
    // Variables: a zeroed block, one 16-byte cell each.
    let cells = stubs.iter().filter(|(_, s)| s.data).count() as u64;
    let data = if cells == 0 {
        0
    } else {
        k.mem_mut().alloc(RegionKind::System, "missing-import variables", cells * 16, Prot::RW)?
    };
    let (mut next_code, mut next_data) = (code, data);
    let mut map = std::collections::HashMap::new();
    for (full, mut stub) in stubs {
        let at = if stub.data { &mut next_data } else { &mut next_code };
        stub.address = *at;
        *at += if stub.data { 16 } else { portcullis_emu::HOST_CALL_SLOT };
        map.insert(full, stub.address);
        let calls = &mut k.ext_mut().calls;
        if stub.data {
            calls.missing_data.push(stub);
        } else {
            calls.missing.push(stub);
        }
    }
    Ok(map)
}

fn ldr_entry(k: &mut Kx, name: &str, base: u64, size: u64, entry: u64, integrity: bool) -> Result<u64, LoadError> {
    let arch = k.arch();
    let e = crate::ex::pool::kernel_alloc(k, LDR_DATA_TABLE_ENTRY::STRUCT.size(arch), b"Ldr ")?;
    let mem = k.mem_mut();
    for links in [
        LDR_DATA_TABLE_ENTRY::InLoadOrderLinks,
        LDR_DATA_TABLE_ENTRY::InMemoryOrderLinks,
        LDR_DATA_TABLE_ENTRY::InInitializationOrderLinks,
    ] {
        let l = links.at(arch, e);
        crate::layout::list::init(mem, l)?;
    }
    mem.set(e, LDR_DATA_TABLE_ENTRY::DllBase, base)?;
    mem.set(e, LDR_DATA_TABLE_ENTRY::EntryPoint, entry)?;
    mem.set(e, LDR_DATA_TABLE_ENTRY::SizeOfImage, size)?;
    // LDRP_ENTRY_PROCESSED | LDRP_IMAGE_DLL-ish, as loaded drivers show; the loader adds
    // LDRP_IMAGE_INTEGRITY_FORCED for an image linked with /INTEGRITYCHECK.
    let flags = 0x0900_4000 | if integrity { LDRP_IMAGE_INTEGRITY_FORCED } else { 0 };
    mem.set(e, LDR_DATA_TABLE_ENTRY::Flags, flags)?;
    mem.set(e, LDR_DATA_TABLE_ENTRY::LoadCount, 1)?;
    let file = if name.to_ascii_lowercase().ends_with(".sys") { name.to_string() } else { format!("{name}.sys") };
    crate::io::driver::new_unicode(
        k,
        LDR_DATA_TABLE_ENTRY::FullDllName.at(arch, e),
        &format!("\\SystemRoot\\system32\\drivers\\{file}"),
    )?;
    crate::io::driver::new_unicode(k, LDR_DATA_TABLE_ENTRY::BaseDllName.at(arch, e), &file)?;
    Ok(e)
}

/// The image region of a driver, for reports.
/// IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY.
const FORCE_INTEGRITY: u16 = 0x0080;

/// LDR_DATA_TABLE_ENTRY.Flags: the image was linked with /INTEGRITYCHECK (and its signature
/// checked).
const LDRP_IMAGE_INTEGRITY_FORCED: u64 = 0x20;

/// Whether `routine` lies in a driver image whose loader entry says integrity was forced
/// (what Windows' MmVerifyCallbackFunction demands of object callbacks and extended process
/// notify routines). The loader sets the flag from the headers it read, so a driver changing
/// its headers afterwards changes nothing; as on Windows, the flag lives in the entry
/// (`DriverObject->DriverSection`), which a driver can write.
pub fn integrity_checked(k: &Kx, routine: u64) -> bool {
    let Some(d) = k.ext().driver_at(routine) else { return false };
    let entry = k.ext().drivers()[d].ldr_entry;
    k.mem().get(entry, LDR_DATA_TABLE_ENTRY::Flags).is_ok_and(|f| f & LDRP_IMAGE_INTEGRITY_FORCED != 0)
}

pub fn image_region(k: &Kx, driver: usize) -> Option<Region> {
    let base = k.ext().drivers.get(driver)?.image.base;
    k.mem().region_at(base).cloned()
}
