//! Parsing a PE image into a checked, owned description (goblin does the format; every
//! bound it reports is checked here before the loader trusts it).

use portcullis_emu::Arch;
use serde::Serialize;

use super::headers;
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

    /// The bytes the section spans in the image: VirtualSize, or SizeOfRawData when that is
    /// 0 (as Windows reads it; raw data beyond VirtualSize is file padding).
    pub fn extent(&self) -> u32 {
        if self.virtual_size != 0 {
            self.virtual_size
        } else {
            self.raw_size
        }
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
    /// IMAGE_OPTIONAL_HEADER.DllCharacteristics (FORCE_INTEGRITY gates object callbacks).
    pub dll_characteristics: u16,
    /// The exception directory (RVA, size) as the headers give it: read only when an
    /// exception is dispatched (see `crate::seh::pdata`).
    #[serde(skip)]
    pub exception_directory: Option<(u32, u32)>,
}

impl ImageInfo {
    pub fn contains(&self, va: u64) -> bool {
        va >= self.base && va - self.base < self.size
    }
}

#[derive(Clone, Debug)]
pub struct ParsedImport {
    pub dll: String,
    pub name: String,
    pub iat_rva: u32,
}

/// The checked facts the loader needs.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub arch: Arch,
    pub image_base: u64,
    pub size_of_image: u32,
    pub size_of_headers: u32,
    pub entry: u32,
    pub characteristics: u16,
    pub timestamp: u32,
    pub dll_characteristics: u16,
    pub sections: Vec<SectionInfo>,
    pub imports: Vec<ParsedImport>,
    pub exports: Vec<String>,
    pub relocations: Option<(u32, u32)>,
    /// The export directory (RVA, size): what a DLL's importers bind to.
    pub export_directory: Option<(u32, u32)>,
    /// The TLS directory (RVA, size): a user-mode image's TLS callbacks and data.
    pub tls: Option<(u32, u32)>,
    pub load_config: Option<(u32, u32)>,
    pub exception: Option<(u32, u32)>,
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
        dll_characteristics: p.dll_characteristics,
        exception_directory: p.exception,
    };
    Ok((info, imports))
}

pub fn parse(bytes: &[u8]) -> Result<Parsed, LoadError> {
    // The headers, section table and directories first, by hand: clear errors for the
    // common damage, and goblin only ever sees a file whose structure is sound.
    let h = headers::check(bytes)?;
    // goblin refuses an exception directory it cannot map; Windows ignores that directory
    // when it loads an image, so the file is parsed again without it (the directory is
    // read later, from the mapped image, when an exception is dispatched).
    let without_exceptions: Vec<u8>;
    let pe = match goblin_parse(bytes) {
        Ok(pe) => pe,
        Err(e) => {
            match h.directory(headers::DIR_EXCEPTION).and_then(|_| h.without_directory(bytes, headers::DIR_EXCEPTION)) {
                Some(copy) => {
                    without_exceptions = copy;
                    goblin_parse(&without_exceptions)?
                }
                None => return Err(e),
            }
        }
    };
    if pe.is_64 != (h.arch == Arch::X64) || pe.entry != h.entry || pe.sections.len() != h.sections.len() {
        return Err(LoadError::Malformed("the PE parser read these headers differently".into()));
    }
    let size_of_image = h.size_of_image;
    let sections: Vec<SectionInfo> = h
        .sections
        .iter()
        .map(|s| SectionInfo {
            name: s.name.clone(),
            rva: s.rva,
            address: 0,
            virtual_size: s.virtual_size,
            raw_offset: s.raw_offset,
            raw_size: s.raw_size,
            characteristics: s.characteristics,
        })
        .collect();

    // Imports. The header walk has kept every import RVA inside the image; goblin reports
    // what it cannot find in the file, but it skips a thunk whose hint/name entry it cannot
    // map and then binds the rest one slot early: a lookup table that does not match its
    // IAT is refused here.
    for (i, d) in pe.import_data.iter().flat_map(|d| d.import_data.iter()).enumerate() {
        if d.name.is_empty() {
            return Err(LoadError::Malformed(format!(
                "import descriptor {i} names its DLL with an empty string (at RVA {:#x})",
                d.import_directory_entry.name_rva
            )));
        }
        let named = d.import_lookup_table.as_ref().map_or(0, |t| t.len());
        let slots = d.import_address_table.len();
        if named != slots {
            return Err(LoadError::Malformed(format!(
                "import descriptor {i} ({}): its lookup table names {named} import{} but its IAT has {slots} slot{} (a hint/name entry the file does not hold, or tables of different lengths)",
                d.name,
                if named == 1 { "" } else { "s" },
                if slots == 1 { "" } else { "s" },
            )));
        }
    }
    let ps = if h.arch == Arch::X64 { 8 } else { 4 };
    let mut imports = Vec::new();
    for i in &pe.imports {
        if i.name.is_empty() {
            return Err(LoadError::Malformed(format!("an import from {} has an empty name", i.dll)));
        }
        if i.offset as u64 + ps > size_of_image as u64 {
            return Err(LoadError::Malformed(format!(
                "import {}!{} has its IAT slot {:#x} outside the image",
                i.dll, i.name, i.offset
            )));
        }
        imports.push(ParsedImport { dll: i.dll.to_string(), name: i.name.to_string(), iat_rva: i.offset as u32 });
    }
    let exports = pe.exports.iter().filter_map(|e| e.name.map(str::to_string)).collect();
    Ok(Parsed {
        arch: h.arch,
        image_base: h.image_base,
        size_of_image,
        size_of_headers: h.size_of_headers,
        entry: h.entry,
        characteristics: h.characteristics,
        timestamp: pe.header.coff_header.time_date_stamp,
        dll_characteristics: pe.header.optional_header.map(|o| o.windows_fields.dll_characteristics).unwrap_or(0),
        sections,
        imports,
        exports,
        relocations: h.directory(headers::DIR_BASERELOC),
        export_directory: h.directory(headers::DIR_EXPORT),
        tls: h.directory(headers::DIR_TLS),
        load_config: h.directory(headers::DIR_LOAD_CONFIG),
        exception: h.directory(headers::DIR_EXCEPTION),
    })
}

/// What Windows reads when it loads a driver: not the certificate table (outside the mapped
/// image), the resources or TLS data, which goblin parses by default and refuses when damaged.
fn load_options() -> goblin::pe::options::ParseOptions {
    let mut o = goblin::pe::options::ParseOptions::default();
    o.parse_attribute_certificates = false;
    o.parse_resources = false;
    o.parse_tls_data = false;
    o
}

fn goblin_parse(bytes: &[u8]) -> Result<goblin::pe::PE<'_>, LoadError> {
    goblin_parse_with(bytes, &load_options())
}

fn goblin_parse_with<'a>(
    bytes: &'a [u8],
    opts: &goblin::pe::options::ParseOptions,
) -> Result<goblin::pe::PE<'a>, LoadError> {
    // goblin returns errors for what it recognises as malformed; catch_unwind is a second
    // line, so a parser bug on hostile input is still a load error.
    std::panic::catch_unwind(|| goblin::pe::PE::parse_with_opts(bytes, opts))
        .map_err(|_| LoadError::Malformed("the PE parser failed on this file".into()))?
        .map_err(|e| LoadError::Malformed(goblin_message(e)))
}

/// The damaged parts of an image that loads anyway, because Windows does not read them at
/// load (`portcullis info` shows them as warnings): the certificate table, the resources,
/// the TLS data, an exception directory outside the file's raw data.
pub fn warnings(bytes: &[u8]) -> Vec<String> {
    let Ok(h) = headers::check(bytes) else { return Vec::new() };
    if goblin_parse(bytes).is_err() {
        // Loads only without its exception directory (see `parse`).
        if h.without_directory(bytes, headers::DIR_EXCEPTION).is_some_and(|c| goblin_parse(&c).is_ok()) {
            return vec!["the exception directory cannot be read from the file (a packed image?); it is read \
                         from the mapped image when an exception is dispatched"
                .into()];
        }
        return Vec::new();
    }
    let mut out = Vec::new();
    type Enable = fn(&mut goblin::pe::options::ParseOptions);
    let parts: [(&str, Enable); 3] = [
        ("certificate table", |o| o.parse_attribute_certificates = true),
        ("resource section", |o| o.parse_resources = true),
        ("TLS data", |o| o.parse_tls_data = true),
    ];
    for (what, enable) in parts {
        let mut o = load_options();
        enable(&mut o);
        if let Err(LoadError::Malformed(m)) = goblin_parse_with(bytes, &o) {
            out.push(format!("the {what} is damaged ({m}); Windows does not read it at load"));
        }
    }
    out
}

/// goblin's error, without the dump of every section header some of its messages carry.
fn goblin_message(e: goblin::error::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" in sections: ").next().unwrap_or_default();
    if msg.chars().count() > 240 {
        format!("{}...", msg.chars().take(240).collect::<String>())
    } else {
        msg.to_string()
    }
}
