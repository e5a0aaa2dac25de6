//! Images in memory: RtlImageNtHeader, RtlImageDirectoryEntryToData, RtlPcToFileHeader,
//! RtlFindExportedRoutineByName, and MmGetSystemRoutineAddress.
//!
//! The PE routines read the headers wherever the caller points (a loaded driver, or a file
//! mapped as data) with Windows' checks: an `MZ` header, e_lfanew below 256 MiB, a `PE\0\0`
//! signature; a pointer into unmapped memory is the page fault Windows would take.
//! MmGetSystemRoutineAddress resolves over the kernel's own export tables (ntoskrnl.exe, then
//! hal.dll): a routine or variable the kernel implements has the address its imports bind to;
//! anything else is NULL, as Windows returns for a name it does not export. The kernel itself
//! has no PE image in guest memory, so RtlPcToFileHeader knows the loaded drivers only.
#![allow(non_snake_case)]

use crate::exports::Dll;
use crate::kernel::{KResult, Kx};
use crate::types::{PUnicodeString, Ptr, PCSTR};

use super::string::{read_cstr, Counted};

const DOS_MAGIC: u16 = 0x5A4D;
const NT_SIGNATURE: u32 = 0x0000_4550;
const PE32: u16 = 0x10B;
const PE32_PLUS: u16 = 0x20B;
/// The largest e_lfanew Windows accepts.
const MAX_DOS_HEADER: u32 = 256 << 20;
const IMAGE_DIRECTORY_ENTRY_EXPORT: u16 = 0;

/// The NT headers of the image at `base`, if it has valid ones.
pub fn nt_header(k: &Kx, base: u64) -> KResult<Option<u64>> {
    let mask = k.arch().mask(u64::MAX);
    if base == 0 || base == mask {
        return Ok(None);
    }
    let mem = k.mem();
    if mem.read_u16(base)? != DOS_MAGIC {
        return Ok(None);
    }
    let lfanew = mem.read_u32(base + 0x3C)?;
    if lfanew >= MAX_DOS_HEADER {
        return Ok(None);
    }
    let nt = base.wrapping_add(lfanew.into());
    Ok((mem.read_u32(nt)? == NT_SIGNATURE).then_some(nt))
}

/// PIMAGE_NT_HEADERS RtlImageNtHeader(PVOID Base)
pub fn RtlImageNtHeader(k: &mut Kx, base: Ptr) -> KResult<Ptr> {
    Ok(Ptr(nt_header(k, base.0)?.unwrap_or(0)))
}

/// The optional header's directory table: (number of entries, address of the first).
fn directories(k: &Kx, nt: u64) -> KResult<Option<(u32, u64)>> {
    let opt = nt + 24;
    Ok(match k.mem().read_u16(opt)? {
        PE32 => Some((k.mem().read_u32(opt + 92)?, opt + 96)),
        PE32_PLUS => Some((k.mem().read_u32(opt + 108)?, opt + 112)),
        _ => None,
    })
}

/// Where the file holds the bytes of `rva`, for an image mapped as a plain file.
fn rva_to_file(k: &Kx, nt: u64, base: u64, rva: u32) -> KResult<Option<u64>> {
    let mem = k.mem();
    let sections = mem.read_u16(nt + 6)?;
    let table = nt + 24 + u64::from(mem.read_u16(nt + 20)?);
    for i in 0..u64::from(sections) {
        let s = table + i * 40;
        let (va, raw_size, raw_ptr) = (mem.read_u32(s + 12)?, mem.read_u32(s + 16)?, mem.read_u32(s + 20)?);
        if rva >= va && u64::from(rva) < u64::from(va) + u64::from(raw_size) {
            return Ok(Some(base + u64::from(rva - va) + u64::from(raw_ptr)));
        }
    }
    Ok(None)
}

/// PVOID RtlImageDirectoryEntryToData(PVOID Base, BOOLEAN MappedAsImage, USHORT
/// DirectoryEntry, PULONG Size): the address of a data directory's contents (*Size its size),
/// or NULL when the image has no such directory. A Base with its low bit set is a data-file
/// mapping; for one not mapped as an image the directory's RVA is translated through the
/// section table to its place in the file.
pub fn RtlImageDirectoryEntryToData(
    k: &mut Kx,
    base: Ptr,
    mapped: crate::types::Boolean,
    entry: u16,
    size: Ptr,
) -> KResult<Ptr> {
    let (base, mapped) = if base.0 & 1 != 0 { (base.0 & !1, false) } else { (base.0, mapped.0) };
    let Some(nt) = nt_header(k, base)? else { return Ok(Ptr::NULL) };
    let Some((count, dirs)) = directories(k, nt)? else { return Ok(Ptr::NULL) };
    if u32::from(entry) >= count {
        return Ok(Ptr::NULL);
    }
    let dir = dirs + u64::from(entry) * 8;
    let (va, len) = (k.mem().read_u32(dir)?, k.mem().read_u32(dir + 4)?);
    if va == 0 {
        return Ok(Ptr::NULL);
    }
    k.mem_mut().write_u32(size.0, len)?;
    let headers = k.mem().read_u32(nt + 24 + 60)?;
    if mapped || va < headers {
        return Ok(Ptr(base.wrapping_add(va.into())));
    }
    Ok(Ptr(rva_to_file(k, nt, base, va)?.unwrap_or(0)))
}

/// PVOID RtlPcToFileHeader(PVOID PcValue, PVOID *BaseOfImage): the base of the loaded image
/// containing PcValue (also stored in *BaseOfImage), or NULL.
pub fn RtlPcToFileHeader(k: &mut Kx, pc: Ptr, base_out: Ptr) -> KResult<Ptr> {
    let base = k.ext().driver_at(pc.0).map_or(0, |d| k.ext().drivers()[d].image.base);
    k.mem_mut().write_ptr(base_out.0, base)?;
    Ok(Ptr(base))
}

/// The address the export `name` of the mapped image at `base` has, if it exports it by name
/// (forwarded exports have none).
pub fn find_export(k: &Kx, base: u64, name: &[u8]) -> KResult<Option<u64>> {
    let Some(nt) = nt_header(k, base)? else { return Ok(None) };
    let Some((count, dirs)) = directories(k, nt)? else { return Ok(None) };
    if u32::from(IMAGE_DIRECTORY_ENTRY_EXPORT) >= count {
        return Ok(None);
    }
    let mem = k.mem();
    let (dir_rva, dir_size) = (mem.read_u32(dirs)?, mem.read_u32(dirs + 4)?);
    if dir_rva == 0 {
        return Ok(None);
    }
    let dir = base + u64::from(dir_rva);
    let functions = mem.read_u32(dir + 0x14)?;
    let names = mem.read_u32(dir + 0x18)?;
    let (address_of_functions, address_of_names, address_of_ordinals) =
        (mem.read_u32(dir + 0x1C)?, mem.read_u32(dir + 0x20)?, mem.read_u32(dir + 0x24)?);
    // The name table is sorted: binary search it.
    let (mut lo, mut hi) = (0u32, names);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let name_rva = mem.read_u32(base + u64::from(address_of_names) + u64::from(mid) * 4)?;
        let candidate = read_cstr(mem, base + u64::from(name_rva), 512)?;
        match candidate.as_slice().cmp(name) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => {
                let ordinal = mem.read_u16(base + u64::from(address_of_ordinals) + u64::from(mid) * 2)?;
                if u32::from(ordinal) >= functions {
                    return Ok(None);
                }
                let rva = mem.read_u32(base + u64::from(address_of_functions) + u64::from(ordinal) * 4)?;
                let forwarded = rva >= dir_rva && u64::from(rva) < u64::from(dir_rva) + u64::from(dir_size);
                return Ok((!forwarded && rva != 0).then(|| base + u64::from(rva)));
            }
        }
    }
    Ok(None)
}

/// PVOID RtlFindExportedRoutineByName(PVOID DllBase, PCSTR RoutineName): the routine the
/// mapped image at DllBase exports by that name, or NULL.
pub fn RtlFindExportedRoutineByName(k: &mut Kx, base: Ptr, name: PCSTR) -> KResult<Ptr> {
    let name = read_cstr(k.mem(), name.0, 512)?;
    Ok(Ptr(find_export(k, base.0, &name)?.unwrap_or(0)))
}

/// PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName): the address of a
/// routine or variable ntoskrnl.exe or hal.dll exports, as the kernel implements it; NULL for
/// any other name.
pub fn MmGetSystemRoutineAddress(k: &mut Kx, name: PUnicodeString) -> KResult<Ptr> {
    let units = Counted::read(k.mem(), name.0)?.units(k.mem())?;
    let Ok(name) = String::from_utf16(&units) else { return Ok(Ptr::NULL) };
    Ok(Ptr(k.ext().resolve(Dll::Ntoskrnl, &name).unwrap_or(0)))
}
