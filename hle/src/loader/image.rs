//! Parsing a PE image into a checked, owned description (goblin does the format; every
//! bound it reports is checked here before the loader trusts it).

use portcullis_emu::Arch;
use serde::Serialize;

use super::LoadError;

/// A section as the image describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SectionInfo {
    pub name: String,
    pub rva: u32,
    /// Where it was mapped (0 before loading).
    pub address: u64,
    pub virtual_size: u32,
    pub raw_offset: u32,
    pub raw_size: u32,
    pub characteristics: u32,
}

impl SectionInfo {
    pub fn executable(&self) -> bool {
        self.characteristics & 0x2000_0000 != 0
    }

    pub fn writable(&self) -> bool {
        self.characteristics & 0x8000_0000 != 0
    }
}

/// An import and what it was bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportInfo {
    pub dll: String,
    pub name: String,
    pub implemented: bool,
    /// The stub or variable the IAT slot points at.
    pub address: u64,
}

/// What a loaded image looks like.
#[derive(Clone, Debug, Serialize)]
pub struct ImageInfo {
    pub base: u64,
    pub size: u64,
    pub entry: u64,
    pub preferred_base: u64,
    pub arch: Arch,
    pub sections: Vec<SectionInfo>,
    pub imports: Vec<ImportInfo>,
    pub exports: Vec<String>,
    pub timestamp: u32,
}

impl ImageInfo {
    pub fn contains(&self, va: u64) -> bool {
        va >= self.base && va - self.base < self.size
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ParsedImport {
    pub(crate) dll: String,
    pub(crate) name: String,
    pub(crate) iat_rva: u32,
}

/// The checked facts the loader needs.
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub(crate) arch: Arch,
    pub(crate) image_base: u64,
    pub(crate) size_of_image: u32,
    pub(crate) size_of_headers: u32,
    pub(crate) entry: u32,
    pub(crate) characteristics: u16,
    pub(crate) timestamp: u32,
    pub(crate) sections: Vec<SectionInfo>,
    pub(crate) imports: Vec<ParsedImport>,
    pub(crate) exports: Vec<String>,
    pub(crate) relocations: Option<(u32, u32)>,
    pub(crate) load_config: Option<(u32, u32)>,
}

/// Parses and checks an image. Also used by `portcullis info` without loading anything.
pub fn describe(bytes: &[u8]) -> Result<(ImageInfo, Vec<(String, String)>), LoadError> {
    let p = parse(bytes)?;
    let imports = p.imports.iter().map(|i| (i.dll.clone(), i.name.clone())).collect();
    let info = ImageInfo {
        base: p.image_base,
        size: p.size_of_image as u64,
        entry: p.image_base + p.entry as u64,
        preferred_base: p.image_base,
        arch: p.arch,
        sections: p.sections,
        imports: vec![],
        exports: p.exports,
        timestamp: p.timestamp,
    };
    Ok((info, imports))
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, LoadError> {
    // goblin returns errors for what it recognises as malformed; catch_unwind is a second
    // line, so a parser bug on hostile input is still a load error.
    let pe = std::panic::catch_unwind(|| goblin::pe::PE::parse(bytes))
        .map_err(|_| LoadError::Malformed("the PE parser failed on this file".into()))?
        .map_err(|e| LoadError::Malformed(e.to_string()))?;
    let arch = match pe.header.coff_header.machine {
        0x14C => Arch::X86,
        0x8664 => Arch::X64,
        m => return Err(LoadError::Unsupported(format!("machine type {m:#x} (only i386 and AMD64 drivers run)"))),
    };
    if pe.is_64 != (arch == Arch::X64) {
        return Err(LoadError::Malformed("the optional header does not match the machine type".into()));
    }
    let opt = pe.header.optional_header.ok_or_else(|| LoadError::Malformed("no optional header".into()))?;
    let w = &opt.windows_fields;
    let size_of_image = w.size_of_image;
    let sections: Vec<SectionInfo> = pe
        .sections
        .iter()
        .map(|s| SectionInfo {
            name: s.name().unwrap_or("?").to_string(),
            rva: s.virtual_address,
            address: 0,
            virtual_size: s.virtual_size,
            raw_offset: s.pointer_to_raw_data,
            raw_size: s.size_of_raw_data,
            characteristics: s.characteristics,
        })
        .collect();
    for s in &sections {
        if s.raw_size > 0 && (s.raw_offset as u64 + s.raw_size as u64) > bytes.len() as u64 {
            return Err(LoadError::Malformed(format!("section {} lies outside the file", s.name)));
        }
        let end = s.rva as u64 + s.virtual_size.max(s.raw_size) as u64;
        if end > size_of_image as u64 {
            return Err(LoadError::Malformed(format!("section {} lies outside the image", s.name)));
        }
    }
    let entry = pe.entry as u32;
    if entry == 0 || entry as u64 >= size_of_image as u64 {
        return Err(LoadError::Malformed(format!("entry point {entry:#x} lies outside the image")));
    }
    let dirs = &opt.data_directories;
    let dir = |d: Option<&goblin::pe::data_directories::DataDirectory>| {
        d.filter(|d| d.virtual_address != 0 && d.size != 0).map(|d| (d.virtual_address, d.size))
    };
    let relocations = dir(dirs.get_base_relocation_table());
    let load_config = dir(dirs.get_load_config_table());
    for (what, d) in [("relocation", relocations), ("load configuration", load_config)] {
        if let Some((rva, len)) = d {
            if rva as u64 + len as u64 > size_of_image as u64 {
                return Err(LoadError::Malformed(format!("the {what} directory lies outside the image")));
            }
        }
    }
    let ps = if arch == Arch::X64 { 8 } else { 4 };
    let mut imports = Vec::new();
    for i in &pe.imports {
        if i.offset as u64 + ps > size_of_image as u64 {
            return Err(LoadError::Malformed(format!("import {}!{} has its slot outside the image", i.dll, i.name)));
        }
        imports.push(ParsedImport { dll: i.dll.to_string(), name: i.name.to_string(), iat_rva: i.offset as u32 });
    }
    let exports = pe.exports.iter().filter_map(|e| e.name.map(str::to_string)).collect();
    Ok(Parsed {
        arch,
        image_base: pe.image_base,
        size_of_image,
        size_of_headers: w.size_of_headers,
        entry,
        characteristics: pe.header.coff_header.characteristics,
        timestamp: pe.header.coff_header.time_date_stamp,
        sections,
        imports,
        exports,
        relocations,
        load_config,
    })
}
