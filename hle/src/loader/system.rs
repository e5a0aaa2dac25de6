//! The kernel's own images: ntoskrnl.exe and hal.dll (and any other library whose table
//! has exports) mapped as real PE images, so that a driver that walks the loaded-module list
//! or `ZwQuerySystemInformation`'s module list to a kernel base finds a DOS header, NT
//! headers, a section table and an export directory there.
//!
//! Each image is: a page of headers; `.text`, the host-call slots of its exports (ntoskrnl's
//! also holds the kernel-internal routines after them), so the export directory, the
//! addresses drivers' imports bind to and `MmGetSystemRoutineAddress` all agree; `.data`,
//! where the exported variables live; `.edata`, the export directory with names sorted and
//! ordinals counted from 1 in name order. The images sit at fixed addresses between the stub
//! and driver-image arenas. `PsLoadedModuleList` heads the loaded-module list: ntoskrnl,
//! hal, then each driver in load order.
//!
//! Each image's file is on the volume where the module list says it is
//! (`\SystemRoot\system32\ntoskrnl.exe`, `\SystemRoot\system32\drivers\fltmgr.sys`): the
//! image in file layout as it was at boot, readable and mappable (SEC_IMAGE or data), and, as
//! the file of a loaded image, neither writable nor deletable.

use portcullis_emu::{Arch, Prot, RegionKind, HOST_CALL_SLOT, PAGE_SIZE};

use crate::exports::{Dll, ExportDef};
use crate::kernel::{KError, KResult, Kx};
use crate::layout::{list, FieldAccess, LDR_DATA_TABLE_ENTRY, LIST_ENTRY};

/// Where the first kernel image goes, and how far apart they are.
fn first_base(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x80C0_0000,
        Arch::X64 => 0xFFFF_F800_1200_0000,
    }
}
const IMAGE_SPACING: u64 = 0x10_0000;
/// The other libraries' images follow hal.dll's, each on a 64 KiB boundary (as Windows maps
/// images), so that a dozen of them fit before the drivers' image arena on x86.
const LIBRARY_ALIGNMENT: u64 = 0x1_0000;

/// Where the kernel images' space ends (the drivers' image arena starts there on x86).
fn images_end(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x8100_0000,
        Arch::X64 => 0xFFFF_F801_0000_0000,
    }
}
/// Bytes of `.data` each image has for its variables and kernel structures.
const DATA_SIZE: u64 = 0x3000;
/// The TimeDateStamp of Windows 7 SP1's ntoskrnl.exe.
const TIMESTAMP: u32 = 0x4CE7_951A;

/// One kernel image.
#[derive(Clone, Debug)]
pub struct SystemImage {
    pub dll: Dll,
    pub base: u64,
    pub size: u64,
    text: u64,
    text_size: u64,
    data: u64,
    data_next: u64,
    edata: u64,
    edata_size: u64,
    /// Its entry in the loaded-module list.
    pub ldr_entry: u64,
}

impl SystemImage {
    /// Where Windows keeps the file: system32 for the kernel and HAL, system32\drivers for
    /// the `.sys` libraries (wdfldr.sys).
    pub fn path(&self) -> String {
        let name = self.dll.name();
        if name.ends_with(".sys") {
            format!("\\SystemRoot\\system32\\drivers\\{name}")
        } else {
            format!("\\SystemRoot\\system32\\{name}")
        }
    }
}

/// The kernel's images and the loaded-module list.
#[derive(Clone, Debug, Default)]
pub struct SystemImages {
    pub images: Vec<SystemImage>,
    /// The list head PsLoadedModuleList names.
    pub module_list: u64,
}

fn align(v: u64, to: u64) -> u64 {
    v.div_ceil(to) * to
}

/// The names a library exports on `arch`, sorted (functions and variables). Worked out once
/// per library and architecture: every boot needs them, and sorting them was a tenth of one.
fn export_names(dll: Dll, arch: Arch) -> &'static [&'static str] {
    type Names = Vec<(Dll, Vec<&'static str>)>;
    static X86: std::sync::OnceLock<Names> = std::sync::OnceLock::new();
    static X64: std::sync::OnceLock<Names> = std::sync::OnceLock::new();
    let cell = match arch {
        Arch::X86 => &X86,
        Arch::X64 => &X64,
    };
    let all = cell.get_or_init(|| {
        Dll::ALL
            .iter()
            .map(|&dll| {
                let mut names: Vec<&'static str> =
                    dll.table().iter().filter(|e| e.exists_on(arch)).map(ExportDef::name).collect();
                names.sort_unstable();
                names.dedup();
                (dll, names)
            })
            .collect()
    });
    all.iter().find(|(d, _)| *d == dll).map_or(&[], |(_, names)| names.as_slice())
}

/// [`place`] for the routines in `slots` of `arch`'s table, worked out once (every boot
/// places the same names).
fn placed(arch: Arch, slots: std::ops::Range<usize>, names: &[&str], area: u64) -> std::sync::Arc<[u64]> {
    type Placed = std::collections::BTreeMap<(bool, usize, usize), std::sync::Arc<[u64]>>;
    static PLACED: std::sync::Mutex<Placed> = std::sync::Mutex::new(std::collections::BTreeMap::new());
    let key = (arch == Arch::X64, slots.start, slots.end);
    let mut cache = PLACED.lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(key).or_insert_with(|| place(names, area).into()).clone()
}

/// The slots an area holding `routines` routines has: room for four times as many, a power of
/// two, so that hashed positions rarely collide and the area (and every address in it) only
/// changes when a library's table doubles.
fn span(routines: usize) -> u64 {
    (routines as u64 * 4).next_power_of_two().max(64)
}

/// Where each routine's slot goes in an area of `area` slots: a hash of its name, the next
/// free slot on a collision (names taken in sorted order). A routine's address thus depends on
/// its own name, not on how many routines the table has before it: adding an export moves no
/// other (unless their hashes collide), and golden traces holding kernel addresses stay put.
fn place(names: &[&str], area: u64) -> Vec<u64> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_unstable_by_key(|&i| names[i]);
    let mut taken = vec![false; area as usize];
    let mut positions = vec![0u64; names.len()];
    for i in order {
        // FNV-1a, 64 bits.
        let hash = names[i].bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        let mut p = hash % area;
        while taken[p as usize] {
            p = (p + 1) % area;
        }
        taken[p as usize] = true;
        positions[i] = p;
    }
    positions
}

/// Maps the images and puts the host-call slots of every kernel routine in their `.text`:
/// the machine's first host-call regions, numbered as [`crate::exports::for_arch`] orders the
/// routines (each library's exports, then the internal routines), each at the position
/// [`place`] gives it.
pub(crate) fn map(k: &mut Kx) -> KResult<()> {
    let arch = k.arch();
    let ex = k.ext().calls.functions;
    // Each library's run of exports in slot order.
    let mut runs: Vec<(Dll, usize, usize)> = Vec::new();
    for (i, f) in ex.functions[..ex.exported].iter().enumerate() {
        match runs.last_mut() {
            Some((d, _, n)) if *d == f.dll => *n += 1,
            _ => runs.push((f.dll, i, 1)),
        }
    }
    let internal = ex.framework - ex.exported;
    let framework = ex.functions.len() - ex.framework;
    let mut base = first_base(arch);
    let mut images = Vec::new();
    for dll in Dll::ALL.iter().copied() {
        let names = export_names(dll, arch);
        if names.is_empty() {
            continue;
        }
        let exports = runs.iter().find(|r| r.0 == dll).map_or(0, |r| r.2);
        let slots = span(exports)
            + match dll {
                Dll::Ntoskrnl => span(internal),
                Dll::Wdfldr => span(framework),
                _ => 0,
            };
        let text_size = align((slots * HOST_CALL_SLOT).max(1), PAGE_SIZE);
        let strings: u64 = names.iter().map(|n| n.len() as u64 + 1).sum::<u64>() + dll.name().len() as u64 + 1;
        let edata_size = align(40 + names.len() as u64 * 10 + strings, PAGE_SIZE);
        let text = base + PAGE_SIZE;
        let data = text + text_size;
        let edata = data + DATA_SIZE;
        let size = PAGE_SIZE + text_size + DATA_SIZE + edata_size;
        if size > IMAGE_SPACING || base + size > images_end(arch) {
            return Err(KError::Stop(portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(format!(
                "{dll}'s image needs {size:#x} bytes at {base:#x}"
            )))));
        }
        k.mem_mut().map_fixed(RegionKind::Image, dll.name(), base, size, Prot::RWX)?;
        images.push(SystemImage {
            dll,
            base,
            size,
            text,
            text_size,
            data,
            data_next: data,
            edata,
            edata_size,
            ldr_entry: 0,
        });
        // ntoskrnl.exe and hal.dll keep their 1 MiB slots (their addresses are in traces).
        base += if matches!(dll, Dll::Ntoskrnl | Dll::Hal) { IMAGE_SPACING } else { align(size, LIBRARY_ALIGNMENT) };
    }
    let handler = crate::dispatch::dispatch;
    let text_of = |dll: Dll| images.iter().find(|i| i.dll == dll).map(|i| i.text);
    let mut addresses = vec![0u64; ex.functions.len()];
    let mut areas: Vec<(u64, std::ops::Range<usize>)> = Vec::new();
    for &(dll, first, count) in &runs {
        areas.push((text_of(dll).expect("a library with exports has an image"), first..first + count));
    }
    if internal > 0 {
        let nt = runs.iter().find(|r| r.0 == Dll::Ntoskrnl).map_or(0, |r| r.2);
        let at = text_of(Dll::Ntoskrnl).expect("ntoskrnl has an image") + span(nt) * HOST_CALL_SLOT;
        areas.push((at, ex.exported..ex.framework));
    }
    if framework > 0 {
        // The framework's routines follow wdfldr.sys's exports (the loader and the library
        // are one image here).
        let ldr = runs.iter().find(|r| r.0 == Dll::Wdfldr).map_or(0, |r| r.2);
        let at = text_of(Dll::Wdfldr).expect("wdfldr has an image") + span(ldr) * HOST_CALL_SLOT;
        areas.push((at, ex.framework..ex.functions.len()));
    }
    for (at, slots) in areas {
        let names: Vec<&str> = ex.functions[slots.clone()].iter().map(|f| f.name).collect();
        let area = span(names.len());
        let positions = placed(arch, slots.clone(), &names, area);
        for (i, p) in positions.iter().enumerate() {
            addresses[slots.start + i] = at + p * HOST_CALL_SLOT;
        }
        k.add_host_calls_placed(at, area, &ex.bodies[slots], &positions, handler)?;
    }
    k.ext_mut().calls.set_addresses(addresses);
    k.ext_mut().images.images = images;
    Ok(())
}

/// `size` bytes of `dll`'s `.data`, zeroed (pointer-aligned).
pub(crate) fn data_block(k: &mut Kx, dll: Dll, size: u64) -> KResult<u64> {
    let arch = k.arch();
    let img = k.ext_mut().images.images.iter_mut().find(|i| i.dll == dll).ok_or_else(|| {
        KError::Stop(portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(format!("{dll} has no image"))))
    })?;
    let at = align(img.data_next, arch.ptr_size());
    if at + size > img.data + DATA_SIZE {
        return Err(KError::Stop(portcullis_emu::Stop::Machine(portcullis_emu::MachineError::Other(format!(
            "{dll}'s .data is full"
        )))));
    }
    img.data_next = at + size;
    Ok(at)
}

/// Places exported variable `dll!name` of `size` bytes in the library's `.data`.
pub(crate) fn variable(k: &mut Kx, dll: Dll, name: &'static str, size: u64) -> KResult<u64> {
    let at = data_block(k, dll, size.max(1))?;
    k.ext_mut().system.data.push((dll, name, at));
    Ok(at)
}

/// A counted string in `.data`, written at `us`.
fn data_string(k: &mut Kx, us: u64, text: &str) -> KResult<()> {
    let bytes = (text.encode_utf16().count() as u64 + 1) * 2;
    let buf = data_block(k, Dll::Ntoskrnl, bytes)?;
    crate::ps::write_unicode(k, us, buf, text)
}

/// Writes the headers and export directories, makes the loaded-module list with the
/// kernel's images in it, and sets the sections' protections. After every variable is
/// placed.
pub(crate) fn finish(k: &mut Kx) -> KResult<()> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    let head = variable(k, Dll::Ntoskrnl, "PsLoadedModuleList", 2 * ps)?;
    crate::layout::list::init(k.mem_mut(), head)?;
    k.ext_mut().images.module_list = head;
    let images = k.ext().images.images.clone();
    for (index, img) in images.iter().enumerate() {
        let edata = export_directory(k, img)?;
        headers(k, img, edata)?;
        let entry = data_block(k, Dll::Ntoskrnl, LDR_DATA_TABLE_ENTRY::STRUCT.size(arch))?;
        let mem = k.mem_mut();
        mem.set(entry, LDR_DATA_TABLE_ENTRY::DllBase, img.base)?;
        mem.set(entry, LDR_DATA_TABLE_ENTRY::SizeOfImage, img.size)?;
        mem.set(entry, LDR_DATA_TABLE_ENTRY::Flags, 0x0900_4000)?;
        mem.set(entry, LDR_DATA_TABLE_ENTRY::LoadCount, 1)?;
        data_string(k, LDR_DATA_TABLE_ENTRY::FullDllName.at(arch, entry), &img.path())?;
        data_string(k, LDR_DATA_TABLE_ENTRY::BaseDllName.at(arch, entry), img.dll.name())?;
        for links in [LDR_DATA_TABLE_ENTRY::InMemoryOrderLinks, LDR_DATA_TABLE_ENTRY::InInitializationOrderLinks] {
            let l = links.at(arch, entry);
            crate::layout::list::init(k.mem_mut(), l)?;
        }
        link_module(k, entry)?;
        k.ext_mut().images.images[index].ldr_entry = entry;
        let mem = k.mem_mut();
        mem.protect(img.base, PAGE_SIZE, Prot::R)?;
        mem.protect(img.text, img.text_size, Prot::RX)?;
        mem.protect(img.data, DATA_SIZE, Prot::RW)?;
        mem.protect(img.edata, img.edata_size, Prot::R)?;
    }
    for img in &images {
        let bytes = file_bytes(k, img)?;
        crate::fs::seed_running_image(k, &img.path(), bytes);
    }
    Ok(())
}

/// The module's file as it lies on the volume: the image in file layout. Each section's
/// PointerToRawData is its VirtualAddress and its SizeOfRawData its VirtualSize (whole pages,
/// multiples of FileAlignment), and the headers fill SizeOfHeaders, so the file is the image's
/// bytes as mapped at boot: the same headers, export directory, `.text` and `.data` a driver
/// finds in memory (no relocations: the file's ImageBase is the base the image is at).
fn file_bytes(k: &Kx, img: &SystemImage) -> KResult<Vec<u8>> {
    let mut bytes = vec![0u8; img.size as usize];
    k.mem().read(img.base, &mut bytes)?;
    Ok(bytes)
}

/// Appends a module's entry to the loaded-module list (InLoadOrderLinks).
pub(crate) fn link_module(k: &mut Kx, entry: u64) -> KResult<()> {
    let head = k.ext().images.module_list;
    if head == 0 {
        return Ok(());
    }
    let links = LDR_DATA_TABLE_ENTRY::InLoadOrderLinks.at(k.arch(), entry);
    Ok(list::insert_before(k.mem_mut(), head, links)?)
}

/// Takes a module's entry out of the loaded-module list (its image was unloaded).
pub(crate) fn unlink_module(k: &mut Kx, entry: u64) -> KResult<()> {
    let links = LDR_DATA_TABLE_ENTRY::InLoadOrderLinks.at(k.arch(), entry);
    if k.mem().get(links, LIST_ENTRY::Flink)? == links {
        return Ok(());
    }
    Ok(list::remove(k.mem_mut(), links)?)
}

/// Writes the export directory; returns (its RVA, its size).
fn export_directory(k: &mut Kx, img: &SystemImage) -> KResult<(u32, u32)> {
    let arch = k.arch();
    let names = export_names(img.dll, arch);
    let n = names.len() as u64;
    let dir = img.edata;
    let functions = dir + 40;
    let name_ptrs = functions + 4 * n;
    let ordinals = name_ptrs + 4 * n;
    let mut strings = ordinals + 2 * n;
    let rva = |a: u64| (a - img.base) as u32;
    // Built on the host and written once: a thousand names are four thousand small writes
    // otherwise, a good part of a run's start-up.
    let mut table = vec![0u8; (strings - dir) as usize];
    let mut put = |at: u64, bytes: &[u8]| {
        let off = (at - dir) as usize;
        if table.len() < off + bytes.len() {
            table.resize(off + bytes.len(), 0);
        }
        table[off..off + bytes.len()].copy_from_slice(bytes);
    };
    let dll_name = strings;
    put(dll_name, &[img.dll.name().as_bytes(), &[0]].concat());
    strings += img.dll.name().len() as u64 + 1;
    for (i, name) in names.iter().enumerate() {
        let i = i as u64;
        let address = k.ext().resolve_in(img.dll, name).unwrap_or(0);
        // Outside the image (never, for the kernel's own routines and variables): no address.
        let target = if address >= img.base && address < img.base + img.size { rva(address) } else { 0 };
        put(functions + 4 * i, &target.to_le_bytes());
        put(name_ptrs + 4 * i, &rva(strings).to_le_bytes());
        put(ordinals + 2 * i, &(i as u16).to_le_bytes());
        put(strings, &[name.as_bytes(), &[0]].concat());
        strings += name.len() as u64 + 1;
    }
    put(dir + 4, &TIMESTAMP.to_le_bytes());
    put(dir + 12, &rva(dll_name).to_le_bytes());
    put(dir + 16, &1u32.to_le_bytes()); // Base: ordinals count from 1
    put(dir + 20, &(n as u32).to_le_bytes());
    put(dir + 24, &(n as u32).to_le_bytes());
    put(dir + 28, &rva(functions).to_le_bytes());
    put(dir + 32, &rva(name_ptrs).to_le_bytes());
    put(dir + 36, &rva(ordinals).to_le_bytes());
    k.mem_mut().write(dir, &table)?;
    Ok((rva(dir), (strings - dir) as u32))
}

/// Writes the DOS header, NT headers and section table.
fn headers(k: &mut Kx, img: &SystemImage, export: (u32, u32)) -> KResult<()> {
    let arch = k.arch();
    let x64 = arch == Arch::X64;
    let mut h = vec![0u8; 0x400];
    let put16 = |h: &mut Vec<u8>, at: usize, v: u16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |h: &mut Vec<u8>, at: usize, v: u32| h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put64 = |h: &mut Vec<u8>, at: usize, v: u64| h[at..at + 8].copy_from_slice(&v.to_le_bytes());
    h[0..2].copy_from_slice(b"MZ");
    put32(&mut h, 0x3C, 0x80);
    h[0x80..0x84].copy_from_slice(b"PE\0\0");
    let coff = 0x84;
    let optional_size: u16 = if x64 { 0xF0 } else { 0xE0 };
    put16(&mut h, coff, if x64 { 0x8664 } else { 0x14C });
    put16(&mut h, coff + 2, 3);
    put32(&mut h, coff + 4, TIMESTAMP);
    put16(&mut h, coff + 16, optional_size);
    // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE, 32BIT_MACHINE on x86, DLL for the libraries.
    let mut characteristics: u16 = 0x0022 | if x64 { 0 } else { 0x0100 };
    if img.dll != Dll::Ntoskrnl {
        characteristics |= 0x2000;
    }
    put16(&mut h, coff + 18, characteristics);
    let opt = coff + 20;
    let rva = |a: u64| (a - img.base) as u32;
    put16(&mut h, opt, if x64 { 0x20B } else { 0x10B });
    h[opt + 2] = 9; // linker version
    put32(&mut h, opt + 4, img.text_size as u32); // SizeOfCode
    put32(&mut h, opt + 8, (DATA_SIZE + img.edata_size) as u32); // SizeOfInitializedData
    put32(&mut h, opt + 20, rva(img.text)); // BaseOfCode
    let windows = if x64 {
        put64(&mut h, opt + 24, img.base);
        opt + 32
    } else {
        put32(&mut h, opt + 24, rva(img.data)); // BaseOfData
        put32(&mut h, opt + 28, img.base as u32);
        opt + 32
    };
    put32(&mut h, windows, PAGE_SIZE as u32); // SectionAlignment
    put32(&mut h, windows + 4, 0x200); // FileAlignment
    for (i, v) in [6u16, 1, 6, 1, 6, 1].iter().enumerate() {
        put16(&mut h, windows + 8 + 2 * i, *v); // OS, image and subsystem versions 6.1
    }
    put32(&mut h, windows + 24, img.size as u32); // SizeOfImage
    put32(&mut h, windows + 28, PAGE_SIZE as u32); // SizeOfHeaders
    put16(&mut h, windows + 36, 1); // IMAGE_SUBSYSTEM_NATIVE
    let (reserve, commit) = (0x4_0000u64, 0x1000u64);
    let dirs = if x64 {
        put64(&mut h, windows + 40, reserve);
        put64(&mut h, windows + 48, commit);
        put64(&mut h, windows + 56, 0x10_0000);
        put64(&mut h, windows + 64, commit);
        put32(&mut h, windows + 76, 16);
        windows + 80
    } else {
        put32(&mut h, windows + 40, reserve as u32);
        put32(&mut h, windows + 44, commit as u32);
        put32(&mut h, windows + 48, 0x10_0000);
        put32(&mut h, windows + 52, commit as u32);
        put32(&mut h, windows + 60, 16);
        windows + 64
    };
    put32(&mut h, dirs, export.0);
    put32(&mut h, dirs + 4, export.1);
    let sections = opt + optional_size as usize;
    let table = [
        (b".text\0\0\0", img.text, img.text_size, 0x6000_0020u32),
        (b".data\0\0\0", img.data, DATA_SIZE, 0xC000_0040),
        (b".edata\0\0", img.edata, img.edata_size, 0x4000_0040),
    ];
    for (i, (name, at, size, flags)) in table.iter().enumerate() {
        let s = sections + 40 * i;
        h[s..s + 8].copy_from_slice(&name[..]);
        put32(&mut h, s + 8, *size as u32); // VirtualSize
        put32(&mut h, s + 12, rva(*at)); // VirtualAddress
        put32(&mut h, s + 16, *size as u32); // SizeOfRawData
        put32(&mut h, s + 20, rva(*at)); // PointerToRawData
        put32(&mut h, s + 36, *flags);
    }
    k.mem_mut().write_unchecked(img.base, &h)?;
    Ok(())
}

/// The image of a kernel library, by its base or by an address inside it.
pub fn image_at(k: &Kx, va: u64) -> Option<&SystemImage> {
    k.ext().images.images.iter().find(|i| va >= i.base && va < i.base + i.size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_a_routine_moves_no_other() {
        let names = export_names(Dll::Ntoskrnl, Arch::X64);
        let area = span(names.len());
        let all = place(names, area);
        let mut seen = std::collections::HashSet::new();
        assert!(all.iter().all(|p| *p < area && seen.insert(*p)), "distinct positions inside the area");
        // Without each of a spread of routines, as when it had not been written yet: every
        // other routine keeps its place unless it had probed past the missing one's.
        let mut moved = 0;
        for gone in (0..names.len()).step_by(37) {
            let fewer: Vec<&str> = names.iter().enumerate().filter(|(i, _)| *i != gone).map(|(_, n)| *n).collect();
            let before = place(&fewer, area);
            let after: Vec<u64> = all.iter().enumerate().filter(|(i, _)| *i != gone).map(|(_, p)| *p).collect();
            moved += before.iter().zip(&after).filter(|(a, b)| a != b).count();
        }
        // A removal shifts the rest of its probe cluster, on average about load/(1 - load)
        // routines (the load is 1/8 to 1/4: `span` doubles the area as the table grows);
        // allow twice that.
        let additions = names.len().div_ceil(37) as f64;
        let load = names.len() as f64 / area as f64;
        let bound = (additions * 2.0 * load / (1.0 - load)).ceil() as usize + 2;
        assert!(moved <= bound, "{moved} routines moved over {additions} additions (load {load:.3}, bound {bound})");
    }
}
