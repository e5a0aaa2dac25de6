//! The first look at an untrusted image, before goblin sees it: the DOS header, the NT
//! headers, the section table and the data directories the loader uses, walked by hand with
//! every offset and size checked against the file and against SizeOfImage.
//!
//! The checks follow what the Windows image loader refuses (`MiVerifyImageHeader` and
//! `MiCreateImageFileMap` return STATUS_INVALID_IMAGE_FORMAT for these), and each error says
//! what is wrong and where, in the terms of the PE format.

use portcullis_emu::Arch;

use super::LoadError;

/// Largest image accepted (Windows allows more, but no driver comes close).
pub(crate) const MAX_IMAGE: u64 = 256 << 20;
/// Most sections the Windows loader accepts (the PE specification's limit).
const MAX_SECTIONS: usize = 96;
/// Most import thunks, over all descriptors, that the loader walks. Real drivers import a
/// few hundred routines; the cap keeps a crafted table (many descriptors sharing one long
/// lookup table) from costing descriptors x thunks here and in goblin.
const MAX_THUNKS: u64 = 0x10000;
const PAGE: u64 = 0x1000;

const DOS_HEADER: usize = 0x40;
const COFF_HEADER: usize = 20;
const SECTION_HEADER: usize = 40;
const MAGIC_PE32: u16 = 0x10B;
const MAGIC_PE32_PLUS: u16 = 0x20B;
const FILE_EXECUTABLE_IMAGE: u16 = 0x0002;
const SCN_MEM_EXECUTE: u32 = 0x2000_0000;

pub(crate) const DIR_EXPORT: usize = 0;
pub(crate) const DIR_IMPORT: usize = 1;
/// Read lazily, when an exception is dispatched; never checked at load (Windows ignores it).
pub(crate) const DIR_EXCEPTION: usize = 3;
pub(crate) const DIR_BASERELOC: usize = 5;
pub(crate) const DIR_TLS: usize = 9;
pub(crate) const DIR_LOAD_CONFIG: usize = 10;

/// A section header as the file has it, with its extent in the image.
#[derive(Clone, Debug)]
pub(crate) struct RawSection {
    pub(crate) name: String,
    pub(crate) rva: u32,
    pub(crate) virtual_size: u32,
    /// The bytes the section spans in the image: VirtualSize, or SizeOfRawData when that is 0.
    pub(crate) extent: u32,
    pub(crate) raw_offset: u32,
    pub(crate) raw_size: u32,
    pub(crate) characteristics: u32,
}

/// The checked header facts.
#[derive(Clone, Debug)]
pub(crate) struct Headers {
    pub(crate) arch: Arch,
    pub(crate) characteristics: u16,
    pub(crate) image_base: u64,
    pub(crate) entry: u32,
    pub(crate) size_of_image: u32,
    pub(crate) size_of_headers: u32,
    pub(crate) sections: Vec<RawSection>,
    /// Data directories (RVA, size), at most 16; absent ones are (0, 0).
    pub(crate) directories: Vec<(u32, u32)>,
    /// File offset of the data directory array.
    pub(crate) directories_at: usize,
}

impl Headers {
    /// A copy of the file with data directory `index` emptied (what the loader parses
    /// when it ignores that directory), or `None` when the image has no such entry.
    pub(crate) fn without_directory(&self, bytes: &[u8], index: usize) -> Option<Vec<u8>> {
        if index >= self.directories.len() {
            return None;
        }
        let at = self.directories_at + 8 * index;
        let mut copy = bytes.to_vec();
        copy.get_mut(at..at + 8)?.fill(0);
        Some(copy)
    }

    /// A data directory the image has: both its RVA and its size non-zero.
    pub(crate) fn directory(&self, index: usize) -> Option<(u32, u32)> {
        self.directories.get(index).copied().filter(|(rva, size)| *rva != 0 && *size != 0)
    }

    /// The file offset of `len` bytes at `rva`, when a section's raw data holds them (as
    /// far as the loader maps it: to the section's extent rounded up to a page).
    fn file_offset(&self, rva: u32, len: usize, file_len: usize) -> Option<usize> {
        let s = self.sections.iter().find(|s| {
            let mapped = (s.raw_size as u64).min((s.extent as u64).next_multiple_of(PAGE));
            rva >= s.rva && ((rva - s.rva) as u64) < mapped
        })?;
        let off = s.raw_offset as usize + (rva - s.rva) as usize;
        (off + len <= file_len).then_some(off)
    }
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

fn malformed(msg: String) -> LoadError {
    LoadError::Malformed(msg)
}

/// Names of machine types that are real but not ours.
fn foreign_machine(machine: u16) -> Option<&'static str> {
    Some(match machine {
        0x01C0 => "ARM",
        0x01C2 => "ARM Thumb",
        0x01C4 => "ARMv7 Thumb-2 (ARMNT)",
        0xAA64 => "ARM64",
        0xA641 => "ARM64EC",
        0xA64E => "ARM64X",
        0x0200 => "IA-64",
        0x0EBC => "EFI byte code",
        0x0166 => "MIPS R4000",
        0x0184 => "Alpha AXP",
        0x0284 => "Alpha 64",
        0x01F0 => "PowerPC",
        0x5032 => "RISC-V 32",
        0x5064 => "RISC-V 64",
        0x6264 => "LoongArch 64",
        _ => return None,
    })
}

/// Walks and checks the headers of `bytes`.
pub(crate) fn check(bytes: &[u8]) -> Result<Headers, LoadError> {
    let len = bytes.len();
    if len < DOS_HEADER {
        return Err(malformed(format!("the file is {len} bytes, too short for the 64-byte DOS header")));
    }
    if &bytes[..2] != b"MZ" {
        return Err(malformed(format!(
            "no MZ signature at the start of the file (found {:02x} {:02x})",
            bytes[0], bytes[1]
        )));
    }
    let e_lfanew = u32_at(bytes, 0x3C);
    let pe = e_lfanew as usize;
    if e_lfanew as u64 + 4 + COFF_HEADER as u64 > len as u64 {
        return Err(malformed(format!(
            "e_lfanew {e_lfanew:#x} points past the end of the {len:#x}-byte file (the PE signature and file header need 24 bytes there)"
        )));
    }
    if &bytes[pe..pe + 4] != b"PE\0\0" {
        return Err(malformed(format!(
            "no PE signature at e_lfanew {e_lfanew:#x} (found {:02x?})",
            &bytes[pe..pe + 4]
        )));
    }

    // The COFF file header.
    let coff = pe + 4;
    let machine = u16_at(bytes, coff);
    let arch = match machine {
        0x014C => Arch::X86,
        0x8664 => Arch::X64,
        m => {
            return Err(match foreign_machine(m) {
                Some(name) => {
                    LoadError::Unsupported(format!("machine type {m:#x} ({name}): only i386 and AMD64 drivers run"))
                }
                None => malformed(format!("unknown machine type {m:#x} in the file header")),
            })
        }
    };
    let number_of_sections = u16_at(bytes, coff + 2) as usize;
    let size_of_optional_header = u16_at(bytes, coff + 16) as usize;
    let characteristics = u16_at(bytes, coff + 18);
    if characteristics & FILE_EXECUTABLE_IMAGE == 0 {
        return Err(malformed(format!(
            "the file header does not mark the image executable (Characteristics {characteristics:#06x} lacks IMAGE_FILE_EXECUTABLE_IMAGE)"
        )));
    }

    // The optional header.
    let opt = coff + COFF_HEADER;
    if size_of_optional_header < 2 {
        return Err(malformed(format!(
            "SizeOfOptionalHeader {size_of_optional_header:#x} leaves no room for an optional header"
        )));
    }
    if opt + size_of_optional_header > len {
        return Err(malformed(format!(
            "the optional header ({size_of_optional_header:#x} bytes at {opt:#x}) is cut off by the end of the {len:#x}-byte file"
        )));
    }
    let magic = u16_at(bytes, opt);
    let (fixed, kind) = match magic {
        MAGIC_PE32 => (96, "PE32"),
        MAGIC_PE32_PLUS => (112, "PE32+"),
        m => return Err(malformed(format!("unknown optional header magic {m:#x} (PE32 is 0x10b, PE32+ 0x20b)"))),
    };
    let header_arch = if magic == MAGIC_PE32 { Arch::X86 } else { Arch::X64 };
    if header_arch != arch {
        return Err(malformed(format!(
            "a {kind} optional header with machine type {machine:#x}: {} images have {} headers",
            arch.name(),
            if arch == Arch::X64 { "PE32+" } else { "PE32" }
        )));
    }
    if size_of_optional_header < fixed {
        return Err(malformed(format!(
            "SizeOfOptionalHeader {size_of_optional_header:#x} is smaller than the {fixed:#x} bytes of a {kind} optional header"
        )));
    }
    let entry = u32_at(bytes, opt + 16);
    let image_base = if magic == MAGIC_PE32 { u32_at(bytes, opt + 28) as u64 } else { u64_at(bytes, opt + 24) };
    let section_alignment = u32_at(bytes, opt + 32);
    let file_alignment = u32_at(bytes, opt + 36);
    let size_of_image = u32_at(bytes, opt + 56);
    let size_of_headers = u32_at(bytes, opt + 60);
    let number_of_dirs = u32_at(bytes, opt + fixed - 4);
    let dirs = (number_of_dirs as usize).min(16);
    if size_of_optional_header < fixed + 8 * dirs {
        return Err(malformed(format!(
            "SizeOfOptionalHeader {size_of_optional_header:#x} has no room for the {dirs} data directories NumberOfRvaAndSizes announces"
        )));
    }
    let directories: Vec<(u32, u32)> = (0..dirs)
        .map(|i| {
            let at = opt + fixed + 8 * i;
            (u32_at(bytes, at), u32_at(bytes, at + 4))
        })
        .collect();

    if !file_alignment.is_power_of_two() {
        return Err(malformed(format!("FileAlignment {file_alignment:#x} is not a power of two")));
    }
    if section_alignment < file_alignment {
        return Err(malformed(format!(
            "SectionAlignment {section_alignment:#x} is smaller than FileAlignment {file_alignment:#x}"
        )));
    }
    if file_alignment < 0x200 && file_alignment != section_alignment {
        return Err(malformed(format!(
            "FileAlignment {file_alignment:#x} is below 0x200 but differs from SectionAlignment {section_alignment:#x}"
        )));
    }
    if image_base % 0x10000 != 0 {
        return Err(malformed(format!("ImageBase {image_base:#x} is not a multiple of 64 KiB")));
    }
    if size_of_image == 0 {
        return Err(malformed("SizeOfImage is 0".into()));
    }
    if size_of_image as u64 > MAX_IMAGE {
        return Err(malformed(format!(
            "SizeOfImage {size_of_image:#x} is larger than the {MAX_IMAGE:#x}-byte limit for a driver image"
        )));
    }
    if size_of_headers >= size_of_image {
        return Err(malformed(format!(
            "SizeOfHeaders {size_of_headers:#x} is not below SizeOfImage {size_of_image:#x}"
        )));
    }

    // The section table.
    if number_of_sections > MAX_SECTIONS {
        return Err(malformed(format!(
            "NumberOfSections is {number_of_sections}; Windows loads images of at most {MAX_SECTIONS} sections"
        )));
    }
    let table = opt + size_of_optional_header;
    if table as u64 + (number_of_sections * SECTION_HEADER) as u64 > len as u64 {
        return Err(malformed(format!(
            "the section table ({number_of_sections} entries at {table:#x}) is cut off by the end of the {len:#x}-byte file"
        )));
    }
    let mut sections: Vec<RawSection> = Vec::with_capacity(number_of_sections);
    for i in 0..number_of_sections {
        let at = table + i * SECTION_HEADER;
        let raw_name = &bytes[at..at + 8];
        let name_len = raw_name.iter().position(|b| *b == 0).unwrap_or(8);
        let name = String::from_utf8_lossy(&raw_name[..name_len]).into_owned();
        let s = RawSection {
            name,
            virtual_size: u32_at(bytes, at + 8),
            rva: u32_at(bytes, at + 12),
            raw_size: u32_at(bytes, at + 16),
            raw_offset: u32_at(bytes, at + 20),
            characteristics: u32_at(bytes, at + 36),
            extent: 0,
        };
        let extent = if s.virtual_size != 0 { s.virtual_size } else { s.raw_size };
        let s = RawSection { extent, ..s };
        let name = &s.name;
        if s.raw_size != 0 && s.raw_offset as u64 + s.raw_size as u64 > len as u64 {
            return Err(malformed(format!(
                "section {name} raw data {:#x}+{:#x} lies outside the {len:#x}-byte file",
                s.raw_offset, s.raw_size
            )));
        }
        if extent == 0 {
            return Err(malformed(format!("section {name} is empty (VirtualSize and SizeOfRawData are both 0)")));
        }
        if s.rva as u64 + extent as u64 > size_of_image as u64 {
            return Err(malformed(format!(
                "section {name} virtual range {:#x}+{extent:#x} lies outside the {size_of_image:#x}-byte image",
                s.rva
            )));
        }
        if s.rva < size_of_headers {
            return Err(malformed(format!(
                "section {name} at {:#x} overlaps the headers ({size_of_headers:#x} bytes)",
                s.rva
            )));
        }
        if let Some(prev) = sections.last() {
            if (s.rva as u64) < prev.rva as u64 + prev.extent as u64 {
                return Err(malformed(format!(
                    "section {name} at {:#x} overlaps or precedes section {} ({:#x}+{:#x}): sections must ascend without overlapping",
                    s.rva, prev.name, prev.rva, prev.extent
                )));
            }
        }
        sections.push(s);
    }

    // The entry point: DriverEntry, inside an executable section.
    if entry == 0 {
        return Err(malformed("AddressOfEntryPoint is 0: a driver needs a DriverEntry".into()));
    }
    if entry >= size_of_image {
        return Err(malformed(format!("entry point {entry:#x} lies outside the {size_of_image:#x}-byte image")));
    }
    match sections.iter().find(|s| entry >= s.rva && ((entry - s.rva) as u64) < s.extent as u64) {
        None => return Err(malformed(format!("entry point {entry:#x} is not inside any section"))),
        Some(s) if s.characteristics & SCN_MEM_EXECUTE == 0 => {
            return Err(malformed(format!("entry point {entry:#x} is in section {}, which is not executable", s.name)))
        }
        Some(_) => {}
    }

    let headers = Headers {
        arch,
        characteristics,
        image_base,
        entry,
        size_of_image,
        size_of_headers,
        sections,
        directories,
        directories_at: opt + fixed,
    };
    // The directories the loader reads must lie inside the image.
    for (index, what) in
        [(DIR_IMPORT, "import"), (DIR_BASERELOC, "relocation"), (DIR_LOAD_CONFIG, "load configuration")]
    {
        if let Some((rva, size)) = headers.directory(index) {
            if rva as u64 + size as u64 > size_of_image as u64 {
                return Err(malformed(format!(
                    "the {what} directory {rva:#x}+{size:#x} lies outside the {size_of_image:#x}-byte image"
                )));
            }
        }
    }
    check_imports(bytes, &headers)?;
    Ok(headers)
}

/// The import descriptors and their thunks, as far as they point: every RVA inside the
/// image. (goblin then reads them; what it cannot map in the file, it reports.) Descriptors
/// end, as Windows reads them, at the first one with no Name or no FirstThunk.
fn check_imports(bytes: &[u8], h: &Headers) -> Result<(), LoadError> {
    let Some((dir, _)) = h.directory(DIR_IMPORT) else { return Ok(()) };
    let size = h.size_of_image;
    let ps = if h.arch == Arch::X64 { 8 } else { 4 };
    let outside = |rva: u32| rva >= size;
    let mut walked = 0u64;
    for i in 0.. {
        let at = dir as u64 + 20 * i as u64;
        let Some(off) = u32::try_from(at).ok().and_then(|at| h.file_offset(at, 20, bytes.len())) else {
            return Err(malformed(format!(
                "import descriptor {i} at {at:#x} lies where the file has no data (no section's raw data holds it)"
            )));
        };
        let (lookup, name, first) = (u32_at(bytes, off), u32_at(bytes, off + 12), u32_at(bytes, off + 16));
        if name == 0 || first == 0 {
            return Ok(());
        }
        if outside(name) {
            return Err(malformed(format!(
                "import descriptor {i} names its DLL at RVA {name:#x}, outside the {size:#x}-byte image"
            )));
        }
        for (field, rva) in [("OriginalFirstThunk", lookup), ("FirstThunk", first)] {
            if rva != 0 && outside(rva) {
                return Err(malformed(format!(
                    "import descriptor {i}: its {field} {rva:#x} lies outside the {size:#x}-byte image"
                )));
            }
        }
        // The thunks that name the imports: the lookup table, or the IAT when there is none.
        let table = if lookup != 0 { lookup } else { first };
        for j in 0u64.. {
            let Some(t) =
                u32::try_from(table as u64 + j * ps).ok().and_then(|t| h.file_offset(t, ps as usize, bytes.len()))
            else {
                return Err(malformed(format!(
                    "import descriptor {i}: thunk {j} at {:#x} lies where the file has no data (no zero thunk ended the table)",
                    table as u64 + j * ps
                )));
            };
            walked += 1;
            if walked > MAX_THUNKS {
                return Err(malformed(format!(
                    "the import table has more than {MAX_THUNKS} thunks (descriptor {i} reaches thunk {j})"
                )));
            }
            let thunk = if ps == 8 { u64_at(bytes, t) } else { u32_at(bytes, t) as u64 };
            let by_ordinal = thunk >> (ps * 8 - 1) != 0;
            if thunk == 0 {
                break;
            }
            if !by_ordinal && (thunk > u32::MAX as u64 || outside(thunk as u32)) {
                return Err(malformed(format!(
                    "import descriptor {i}: thunk {j} names its import at RVA {thunk:#x}, outside the {size:#x}-byte image"
                )));
            }
        }
    }
    Ok(())
}
