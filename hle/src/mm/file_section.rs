//! Sections of files: the data and image sections ZwCreateSection / MmCreateSection make
//! for a file on the volume ([`create`]; mm/section.rs maps their views), and what the
//! memory manager answers a file system about a file's sections: `MmFlushImageSection`,
//! `MmForceSectionClosed`, `MmCanFileBeTruncated`.
//!
//! A file's SECTION_OBJECT_POINTERS (DataSectionObject, SharedCacheMap, ImageSectionObject)
//! name the sections Mm made for it. The volume's files are served by the kernel itself, not
//! by a file system driver with FCBs of its own, so no driver's file holds such pointers:
//! every file a driver's SECTION_OBJECT_POINTERS stand for has no section to flush, close or
//! keep from truncation, and the answers are the ones Windows gives for a file without
//! sections. Windows reads the structure: an unreadable pointer faults; what the fields hold
//! is not consulted, since only Mm may set them and this Mm has set none there (a value a
//! driver wrote names no section of this kernel).
#![allow(non_snake_case)]

use std::sync::Arc;

use portcullis_emu::{Arch, Prot, PAGE_SIZE};

use super::section::{Backing, Section};
use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, NtStatus, Ptr};

/// Reads the SECTION_OBJECT_POINTERS at `sop` as Windows does before it looks at its sections.
pub(crate) fn touch_section_pointers(k: &Kx, sop: Ptr) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let mut b = vec![0u8; 3 * ps as usize];
    k.mem().read(sop.0, &mut b)?;
    Ok(())
}

/// BOOLEAN MmFlushImageSection(PSECTION_OBJECT_POINTERS SectionObjectPointer,
/// MMFLUSH_TYPE FlushType): TRUE when the file has no image section or it was flushed; no
/// file has one here.
pub fn MmFlushImageSection(k: &mut Kx, sop: Ptr, _flush_type: u32) -> KResult<Boolean> {
    touch_section_pointers(k, sop)?;
    Ok(Boolean(true))
}

/// BOOLEAN MmForceSectionClosed(PSECTION_OBJECT_POINTERS SectionObjectPointer,
/// BOOLEAN DelayClose): TRUE when the file's data and image sections were deleted or do not
/// exist; they do not exist here.
pub fn MmForceSectionClosed(k: &mut Kx, sop: Ptr, _delay_close: Boolean) -> KResult<Boolean> {
    touch_section_pointers(k, sop)?;
    Ok(Boolean(true))
}

/// BOOLEAN MmCanFileBeTruncated(PSECTION_OBJECT_POINTERS SectionPointer,
/// PLARGE_INTEGER NewFileSize): FALSE only when an image section or a mapped view of the
/// data section would lose pages; with no section, any size is allowed (NewFileSize, when
/// given, is read as Windows reads it).
pub fn MmCanFileBeTruncated(k: &mut Kx, sop: Ptr, new_size: Ptr) -> KResult<Boolean> {
    touch_section_pointers(k, sop)?;
    if !new_size.is_null() {
        k.mem().read_u64(new_size.0)?;
    }
    Ok(Boolean(true))
}

// ---------------------------------------------------------------------------------------
// File-backed sections (ZwCreateSection / MmCreateSection with a file).

pub(crate) const STATUS_INVALID_FILE_FOR_SECTION: NtStatus = NtStatus(0xC000_0020);
pub(crate) const STATUS_SECTION_TOO_BIG: NtStatus = NtStatus(0xC000_0040);
pub(crate) const STATUS_MAPPED_FILE_SIZE_ZERO: NtStatus = NtStatus(0xC000_011E);
pub(crate) const STATUS_INVALID_IMAGE_NOT_MZ: NtStatus = NtStatus(0xC000_012F);
pub(crate) const STATUS_INVALID_IMAGE_WIN_64: NtStatus = NtStatus(0xC000_0359);
pub(crate) const STATUS_NOT_SUPPORTED: NtStatus = NtStatus(0xC000_00BB);
pub(crate) const STATUS_INVALID_PAGE_PROTECTION: NtStatus = NtStatus(0xC000_0045);
const STATUS_INVALID_PARAMETER_6: NtStatus = NtStatus(0xC000_00F4);
/// A view of an image section not at the image's ImageBase (success: the view is mapped).
pub(crate) const STATUS_IMAGE_NOT_AT_BASE: NtStatus = NtStatus(0x4000_0003);

const SEC_IMAGE: u32 = 0x0100_0000;
const SEC_RESERVE: u32 = 0x0400_0000;
const SEC_COMMIT: u32 = 0x0800_0000;
const SEC_NOCACHE: u32 = 0x1000_0000;

const FILE_READ_DATA: u32 = 0x1;
const FILE_WRITE_DATA: u32 = 0x2;
const FILE_EXECUTE: u32 = 0x20;

/// Largest image section (SizeOfImage); larger ones are STATUS_SECTION_TOO_BIG here (no
/// file on the volume comes near: it holds files of at most 64 MiB).
const MAX_IMAGE: u64 = 256 << 20;

/// A PE file laid out as an image: what every view of an image section shows.
#[derive(Debug)]
pub(crate) struct ImageLayout {
    /// SizeOfImage bytes (page-rounded): the headers, each section's raw data at its
    /// VirtualAddress, zeros elsewhere.
    pub(crate) bytes: Vec<u8>,
    pub(crate) image_base: u64,
    /// The protection of each part: (offset, size, protection), headers first.
    pub(crate) protections: Vec<(u64, u64, Prot)>,
}

/// The file rights a section of protection `protect` needs (MmMakeFileAccess): reading the
/// data for every protection, writing it for a shared writable one, and FILE_EXECUTE
/// standing in for FILE_READ_DATA for the execute protections.
fn needed_access(protect: u32) -> (u32, u32) {
    // (one of these, all of these)
    match protect & 0xFF {
        0x04 => (FILE_READ_DATA, FILE_WRITE_DATA),
        0x40 => (FILE_READ_DATA | FILE_EXECUTE, FILE_WRITE_DATA),
        0x10 | 0x20 | 0x80 => (FILE_READ_DATA | FILE_EXECUTE, 0),
        _ => (FILE_READ_DATA, 0),
    }
}

/// The section ZwCreateSection / MmCreateSection make for the file object `file_object` (an
/// open of a volume file): a data section (SEC_COMMIT / SEC_RESERVE) showing the file's bytes,
/// or an image section (SEC_IMAGE) showing the PE file as the loader lays it out.
///
/// The file object must have been opened with the rights the protection needs
/// (FILE_READ_DATA, or FILE_EXECUTE for the execute protections; FILE_WRITE_DATA too for a
/// writable one): STATUS_ACCESS_DENIED otherwise. Views are copies of the file's bytes made
/// when they are mapped: nothing a view holds is written back to the file, so a shared
/// writable data section (PAGE_READWRITE, PAGE_EXECUTE_READWRITE), whose views Windows writes
/// back, is refused with STATUS_NOT_SUPPORTED; PAGE_WRITECOPY sections (private copies, as on
/// Windows) are made.
pub(crate) fn create(
    k: &Kx,
    file_object: u64,
    maximum_size: u64,
    protect: u32,
    allocation: u32,
) -> KResult<Result<Section, NtStatus>> {
    let Some(writable) = super::section::protection(protect) else {
        return Ok(Err(STATUS_INVALID_PAGE_PROTECTION));
    };
    let image = allocation & SEC_IMAGE != 0;
    let known = SEC_IMAGE | SEC_RESERVE | SEC_COMMIT | SEC_NOCACHE;
    let kind_ok =
        if image { allocation & (SEC_RESERVE | SEC_COMMIT) == 0 } else { allocation & (SEC_RESERVE | SEC_COMMIT) != 0 };
    if allocation & !known != 0 || !kind_ok {
        return Ok(Err(STATUS_INVALID_PARAMETER_6));
    }
    let Some(open) = crate::fs::open_of(k, file_object) else { return Ok(Err(STATUS_INVALID_FILE_FOR_SECTION)) };
    let (node, granted) = (open.node, open.access);
    let n = k.ext().volume.node(node);
    if n.directory {
        return Ok(Err(STATUS_INVALID_FILE_FOR_SECTION));
    }
    let (any, all) = needed_access(protect);
    if granted & any == 0 || granted & all != all {
        return Ok(Err(status::ACCESS_DENIED));
    }
    let file_size = n.data.len() as u64;
    if image {
        let layout = match layout(&n.data, k.arch()) {
            Ok(l) => l,
            Err(st) => return Ok(Err(st)),
        };
        let size = layout.bytes.len() as u64;
        return Ok(Ok(Section { backing: Backing::Image(Arc::new(layout)), size, writable: false }));
    }
    if writable && protect & 0xFF & (0x08 | 0x80) == 0 {
        return Ok(Err(STATUS_NOT_SUPPORTED));
    }
    if file_size == 0 && maximum_size == 0 {
        return Ok(Err(STATUS_MAPPED_FILE_SIZE_ZERO));
    }
    // A read-only or copy-on-write section cannot extend the file.
    if maximum_size > file_size {
        return Ok(Err(STATUS_SECTION_TOO_BIG));
    }
    let size = if maximum_size == 0 { file_size } else { maximum_size };
    Ok(Ok(Section { backing: Backing::File(node), size, writable }))
}

/// The bytes `[offset, offset + len)` of a data section's file: what a view shows (zeros past
/// the file's end, should it have shrunk since).
pub(crate) fn file_bytes(k: &Kx, node: usize, offset: u64, len: u64) -> Vec<u8> {
    let data = &k.ext().volume.node(node).data;
    let mut out = vec![0u8; len as usize];
    let start = (offset as usize).min(data.len());
    let end = (offset.saturating_add(len) as usize).min(data.len());
    out[..end - start].copy_from_slice(&data[start..end]);
    out
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// The protection a mapped image section gets from its characteristics.
fn section_protection(characteristics: u32) -> Prot {
    let execute = characteristics & 0x2000_0000 != 0;
    let write = characteristics & 0x8000_0000 != 0;
    match (execute, write) {
        (true, true) => Prot::RWX,
        (true, false) => Prot::RX,
        (false, true) => Prot::RW,
        (false, false) => Prot::R,
    }
}

/// Lays a PE file out as Mm maps an image section: STATUS_INVALID_IMAGE_NOT_MZ without the
/// DOS signature, STATUS_INVALID_IMAGE_FORMAT for headers that do not hold together (no PE
/// signature, an unknown machine or optional header, a section outside SizeOfImage or raw
/// data outside the file), STATUS_INVALID_IMAGE_WIN_64 for an AMD64 image on x86 (x64
/// Windows maps i386 images too). Relocations are not applied: the image's pages are the
/// file's, wherever a view lands.
fn layout(file: &[u8], arch: Arch) -> Result<ImageLayout, NtStatus> {
    let bad = status::INVALID_IMAGE_FORMAT;
    if file.len() < 0x40 || &file[..2] != b"MZ" {
        return Err(STATUS_INVALID_IMAGE_NOT_MZ);
    }
    let pe = u32_at(file, 0x3C).ok_or(bad)? as usize;
    if file.get(pe..pe.checked_add(4).ok_or(bad)?) != Some(b"PE\0\0".as_slice()) {
        return Err(bad);
    }
    let coff = pe + 4;
    let machine = u16_at(file, coff).ok_or(bad)?;
    match (machine, arch) {
        (0x014C, _) | (0x8664, Arch::X64) => {}
        (0x8664, Arch::X86) => return Err(STATUS_INVALID_IMAGE_WIN_64),
        _ => return Err(bad),
    }
    let sections = u16_at(file, coff + 2).ok_or(bad)? as usize;
    let optional_size = u16_at(file, coff + 16).ok_or(bad)? as usize;
    let opt = coff + 20;
    let magic = u16_at(file, opt).ok_or(bad)?;
    let image_base = match (magic, machine) {
        (0x10B, 0x014C) => u32_at(file, opt + 28).ok_or(bad)? as u64,
        (0x20B, 0x8664) => u64_at(file, opt + 24).ok_or(bad)?,
        _ => return Err(bad),
    };
    let section_alignment = u32_at(file, opt + 32).ok_or(bad)? as u64;
    let size_of_image = u32_at(file, opt + 56).ok_or(bad)? as u64;
    let size_of_headers = u32_at(file, opt + 60).ok_or(bad)? as u64;
    if size_of_image == 0 || section_alignment == 0 || size_of_headers > size_of_image || sections > 96 {
        return Err(bad);
    }
    if size_of_image > MAX_IMAGE {
        return Err(STATUS_SECTION_TOO_BIG);
    }
    let total = size_of_image.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let mut bytes = vec![0u8; total as usize];
    let headers = (size_of_headers as usize).min(file.len());
    bytes[..headers].copy_from_slice(&file[..headers]);
    let headers_end = size_of_headers.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let mut protections = vec![(0, headers_end.min(total), Prot::R)];
    let table = opt + optional_size;
    for i in 0..sections {
        let at = table + 40 * i;
        let virtual_size = u32_at(file, at + 8).ok_or(bad)? as u64;
        let rva = u32_at(file, at + 12).ok_or(bad)? as u64;
        let raw_size = u32_at(file, at + 16).ok_or(bad)? as u64;
        let raw_offset = u32_at(file, at + 20).ok_or(bad)? as u64;
        let characteristics = u32_at(file, at + 36).ok_or(bad)?;
        let extent = if virtual_size != 0 { virtual_size } else { raw_size };
        let span = extent.div_ceil(section_alignment) * section_alignment;
        if rva < size_of_headers || rva + extent > size_of_image {
            return Err(bad);
        }
        let copied = raw_size.min(span).min(total - rva);
        if copied != 0 {
            if raw_offset + copied > file.len() as u64 {
                return Err(bad);
            }
            let (from, to) = (raw_offset as usize, rva as usize);
            bytes[to..to + copied as usize].copy_from_slice(&file[from..from + copied as usize]);
        }
        let start = rva / PAGE_SIZE * PAGE_SIZE;
        let end = ((rva + extent).div_ceil(PAGE_SIZE) * PAGE_SIZE).min(total);
        protections.push((start, end - start, section_protection(characteristics)));
    }
    Ok(ImageLayout { bytes, image_base, protections })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PE32 file: headers in 0x200 bytes, one section of 0x10 raw bytes at file
    /// offset 0x200 mapped at RVA 0x1000 with VirtualSize 0x1800.
    fn pe32() -> Vec<u8> {
        let mut f = vec![0u8; 0x210];
        f[..2].copy_from_slice(b"MZ");
        f[0x3C..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        f[0x80..0x84].copy_from_slice(b"PE\0\0");
        f[0x84..0x86].copy_from_slice(&0x14Cu16.to_le_bytes());
        f[0x86..0x88].copy_from_slice(&1u16.to_le_bytes());
        f[0x94..0x96].copy_from_slice(&0xE0u16.to_le_bytes());
        let opt = 0x98;
        f[opt..opt + 2].copy_from_slice(&0x10Bu16.to_le_bytes());
        f[opt + 28..opt + 32].copy_from_slice(&0x40_0000u32.to_le_bytes());
        f[opt + 32..opt + 36].copy_from_slice(&0x1000u32.to_le_bytes());
        f[opt + 56..opt + 60].copy_from_slice(&0x3000u32.to_le_bytes());
        f[opt + 60..opt + 64].copy_from_slice(&0x200u32.to_le_bytes());
        let s = opt + 0xE0;
        f[s..s + 5].copy_from_slice(b".text");
        f[s + 8..s + 12].copy_from_slice(&0x1800u32.to_le_bytes());
        f[s + 12..s + 16].copy_from_slice(&0x1000u32.to_le_bytes());
        f[s + 16..s + 20].copy_from_slice(&0x10u32.to_le_bytes());
        f[s + 20..s + 24].copy_from_slice(&0x200u32.to_le_bytes());
        f[s + 36..s + 40].copy_from_slice(&0x6000_0020u32.to_le_bytes());
        f[0x200..0x210].copy_from_slice(&[0xAB; 16]);
        f
    }

    #[test]
    fn an_image_is_laid_out_at_its_section_addresses() {
        let l = layout(&pe32(), Arch::X86).expect("valid");
        assert_eq!(l.bytes.len(), 0x3000);
        assert_eq!(l.image_base, 0x40_0000);
        assert_eq!(&l.bytes[..2], b"MZ");
        assert_eq!(&l.bytes[0x1000..0x1010], &[0xAB; 16]);
        assert!(l.bytes[0x1010..].iter().all(|b| *b == 0), "zero past the raw data");
        assert_eq!(l.protections, vec![(0, 0x1000, Prot::R), (0x1000, 0x2000, Prot::RX)]);
    }

    #[test]
    fn broken_images_are_refused_by_name() {
        assert_eq!(
            layout(b"not a PE file at all, just text that goes on for 64+ bytes......", Arch::X64).unwrap_err(),
            STATUS_INVALID_IMAGE_NOT_MZ
        );
        let mut f = pe32();
        f[0x80] = b'X';
        assert_eq!(layout(&f, Arch::X86).unwrap_err(), status::INVALID_IMAGE_FORMAT);
        let mut f = pe32();
        f[0x98 + 0xE0 + 20..0x98 + 0xE0 + 24].copy_from_slice(&0x1_0000u32.to_le_bytes()); // raw data past the end
        assert_eq!(layout(&f, Arch::X86).unwrap_err(), status::INVALID_IMAGE_FORMAT);
        let mut f = pe32();
        f[0x3C..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(layout(&f, Arch::X86).unwrap_err(), status::INVALID_IMAGE_FORMAT);
    }
}
