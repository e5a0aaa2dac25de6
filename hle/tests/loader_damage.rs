//! Damaged driver images, on both architectures: each kind of damage is a typed
//! `LoadError` naming the problem, never a panic, a hang or a huge allocation. The damage is
//! done to the real corpus drivers, at offsets parsed from each file (no offsets of a
//! particular build are hard-coded), and a deterministic fuzz mutates them at random.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::*;

use std::panic::{catch_unwind, AssertUnwindSafe};

use loader::LoadError;
use portcullis_emu::{MemError, RegionKind};

// Field offsets of the PE format.
const COFF_MACHINE: usize = 0;
const COFF_SECTIONS: usize = 2;
const COFF_SIZE_OF_OPTIONAL_HEADER: usize = 16;
const COFF_CHARACTERISTICS: usize = 18;
const OPT_ENTRY: usize = 16;
const OPT_SECTION_ALIGNMENT: usize = 32;
const OPT_FILE_ALIGNMENT: usize = 36;
const OPT_SIZE_OF_IMAGE: usize = 56;
const OPT_SIZE_OF_HEADERS: usize = 60;
const OPT_SUBSYSTEM: usize = 68;
const SEC_VIRTUAL_SIZE: usize = 8;
const SEC_RVA: usize = 12;
const SEC_RAW_SIZE: usize = 16;
const SEC_RAW_OFFSET: usize = 20;
const SEC_CHARACTERISTICS: usize = 36;
const SECTION_HEADER: usize = 40;

const DIR_IMPORT: usize = 1;
const DIR_BASERELOC: usize = 5;
const DIR_LOAD_CONFIG: usize = 10;

const SCN_DATA: u32 = 0xC000_0040; // initialised data, read, write
const FILE_RELOCS_STRIPPED: u16 = 0x0001;
const FILE_EXECUTABLE_IMAGE: u16 = 0x0002;
const FILE_DLL: u16 = 0x2000;

/// A section header read from the file.
#[derive(Clone, Debug)]
struct Sect {
    /// File offset of the header.
    at: usize,
    name: String,
    rva: u32,
    vsize: u32,
    raw_offset: u32,
    raw_size: u32,
    characteristics: u32,
}

/// A PE image to damage, with the offsets of its headers parsed from the file.
#[derive(Clone)]
struct Pe {
    b: Vec<u8>,
    coff: usize,
    opt: usize,
    plus: bool,
}

impl Pe {
    fn new(b: Vec<u8>) -> Pe {
        let coff = u32::from_le_bytes(b[0x3C..0x40].try_into().unwrap()) as usize + 4;
        let opt = coff + 20;
        let plus = match u16::from_le_bytes([b[opt], b[opt + 1]]) {
            0x10B => false,
            0x20B => true,
            m => panic!("optional header magic {m:#x}"),
        };
        Pe { b, coff, opt, plus }
    }

    fn corpus(name: &str, arch: Arch) -> Pe {
        let pe = Pe::new(corpus_bytes(name, arch));
        assert_eq!(pe.plus, arch == Arch::X64);
        pe
    }

    fn r16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.b[at..at + 2].try_into().unwrap())
    }
    fn r32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.b[at..at + 4].try_into().unwrap())
    }
    fn r64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.b[at..at + 8].try_into().unwrap())
    }
    fn w16(&mut self, at: usize, v: u16) -> &mut Self {
        self.b[at..at + 2].copy_from_slice(&v.to_le_bytes());
        self
    }
    fn w32(&mut self, at: usize, v: u32) -> &mut Self {
        self.b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        self
    }

    fn lfanew(&self) -> usize {
        self.coff - 4
    }
    fn opt32(&self, field: usize) -> u32 {
        self.r32(self.opt + field)
    }
    fn set_opt32(&mut self, field: usize, v: u32) -> &mut Self {
        self.w32(self.opt + field, v)
    }
    fn size_of_image(&self) -> u32 {
        self.opt32(OPT_SIZE_OF_IMAGE)
    }
    fn size_of_headers(&self) -> u32 {
        self.opt32(OPT_SIZE_OF_HEADERS)
    }
    fn image_base(&self) -> u64 {
        if self.plus {
            self.r64(self.opt + 24)
        } else {
            self.r32(self.opt + 28) as u64
        }
    }
    fn size_of_optional_header(&self) -> usize {
        self.r16(self.coff + COFF_SIZE_OF_OPTIONAL_HEADER) as usize
    }
    fn characteristics(&self) -> u16 {
        self.r16(self.coff + COFF_CHARACTERISTICS)
    }
    fn set_characteristics(&mut self, v: u16) -> &mut Self {
        self.w16(self.coff + COFF_CHARACTERISTICS, v)
    }
    fn ptr_size(&self) -> usize {
        if self.plus {
            8
        } else {
            4
        }
    }

    fn dirs(&self) -> usize {
        self.opt + if self.plus { 112 } else { 96 }
    }
    fn dir(&self, i: usize) -> (u32, u32) {
        let at = self.dirs() + 8 * i;
        (self.r32(at), self.r32(at + 4))
    }
    fn set_dir(&mut self, i: usize, rva: u32, size: u32) -> &mut Self {
        let at = self.dirs() + 8 * i;
        self.w32(at, rva).w32(at + 4, size)
    }

    fn table(&self) -> usize {
        self.opt + self.size_of_optional_header()
    }
    fn nsections(&self) -> usize {
        self.r16(self.coff + COFF_SECTIONS) as usize
    }
    fn sections(&self) -> Vec<Sect> {
        (0..self.nsections())
            .map(|i| {
                let at = self.table() + i * SECTION_HEADER;
                let name = &self.b[at..at + 8];
                let name = String::from_utf8_lossy(&name[..name.iter().position(|c| *c == 0).unwrap_or(8)]).into();
                Sect {
                    at,
                    name,
                    vsize: self.r32(at + SEC_VIRTUAL_SIZE),
                    rva: self.r32(at + SEC_RVA),
                    raw_size: self.r32(at + SEC_RAW_SIZE),
                    raw_offset: self.r32(at + SEC_RAW_OFFSET),
                    characteristics: self.r32(at + SEC_CHARACTERISTICS),
                }
            })
            .collect()
    }
    fn section(&self, name: &str) -> Sect {
        self.sections().into_iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no section {name}"))
    }
    /// The file offset of an RVA inside a section's raw data.
    fn off(&self, rva: u32) -> usize {
        let s = self
            .sections()
            .into_iter()
            .find(|s| rva >= s.rva && rva - s.rva < s.raw_size)
            .unwrap_or_else(|| panic!("rva {rva:#x} is not in the file"));
        (s.raw_offset + rva - s.rva) as usize
    }
    fn entry(&self) -> u32 {
        self.opt32(OPT_ENTRY)
    }

    /// Appends a section holding `data`: its header after the last one (in the header
    /// slack, which must be free), its raw data at the end of the file, its RVA after the
    /// image, which grows to hold it.
    fn add_section(&mut self, name: &str, data: &[u8], characteristics: u32) -> u32 {
        let n = self.nsections();
        let at = self.table() + n * SECTION_HEADER;
        assert!(at + SECTION_HEADER <= self.size_of_headers() as usize, "no room for another section header");
        assert!(self.b[at..at + SECTION_HEADER].iter().all(|b| *b == 0), "header slack is not free");
        let fa = self.opt32(OPT_FILE_ALIGNMENT) as usize;
        let sa = self.opt32(OPT_SECTION_ALIGNMENT);
        let raw_offset = self.b.len().next_multiple_of(fa);
        let raw_size = data.len().next_multiple_of(fa);
        self.b.resize(raw_offset + raw_size, 0);
        self.b[raw_offset..raw_offset + data.len()].copy_from_slice(data);
        let rva = self.size_of_image().next_multiple_of(sa);
        let coff = self.coff;
        let mut name8 = [0u8; 8];
        name8[..name.len()].copy_from_slice(name.as_bytes());
        self.b[at..at + 8].copy_from_slice(&name8);
        self.w32(at + SEC_VIRTUAL_SIZE, data.len() as u32)
            .w32(at + SEC_RVA, rva)
            .w32(at + SEC_RAW_SIZE, raw_size as u32)
            .w32(at + SEC_RAW_OFFSET, raw_offset as u32)
            .w32(at + SEC_CHARACTERISTICS, characteristics)
            .w16(coff + COFF_SECTIONS, n as u16 + 1)
            .set_opt32(OPT_SIZE_OF_IMAGE, (rva + data.len() as u32).next_multiple_of(sa));
        rva
    }

    /// Replaces the relocation directory with `dir`, in a section of its own. Returns its RVA.
    fn with_relocs(&mut self, dir: &[u8]) -> u32 {
        let rva = self.add_section(".dmgrel", dir, 0x4200_0040);
        self.set_dir(DIR_BASERELOC, rva, dir.len() as u32);
        rva
    }

    /// The import descriptors: (file offset, OriginalFirstThunk, Name, FirstThunk).
    fn import_descriptors(&self) -> Vec<(usize, u32, u32, u32)> {
        let (rva, _) = self.dir(DIR_IMPORT);
        let mut out = Vec::new();
        let mut at = self.off(rva);
        while self.r32(at + 12) != 0 {
            out.push((at, self.r32(at), self.r32(at + 12), self.r32(at + 16)));
            at += 20;
        }
        out
    }
    /// The DLL name at an RVA.
    fn cstr(&self, rva: u32) -> String {
        let at = self.off(rva);
        let end = self.b[at..].iter().position(|c| *c == 0).unwrap();
        String::from_utf8_lossy(&self.b[at..at + end]).into()
    }
}

/// One base-relocation block.
fn block(page: u32, entries: &[u16]) -> Vec<u8> {
    let mut b = page.to_le_bytes().to_vec();
    b.extend_from_slice(&(8 + 2 * entries.len() as u32).to_le_bytes());
    for e in entries {
        b.extend_from_slice(&e.to_le_bytes());
    }
    b
}

/// A relocation entry: type in the top 4 bits, page offset in the low 12.
fn reloc(kind: u16, offset: u32) -> u16 {
    (kind << 12) | (offset & 0xFFF) as u16
}

/// The pointer-sized relocation type of the architecture.
fn ptr_reloc(arch: Arch) -> u16 {
    if arch == Arch::X64 {
        10
    } else {
        3
    }
}

/// Loads `bytes` into `k`. A refused load must leave no driver and no image region behind.
fn load_with(k: &mut Kx, bytes: &[u8]) -> Result<usize, LoadError> {
    let images = |k: &Kx| k.mem().regions().filter(|r| r.kind == RegionKind::Image).count();
    let (drivers, before) = (k.ext().drivers().len(), images(k));
    let r = loader::load(k, "damaged", bytes);
    if r.is_err() {
        assert_eq!(k.ext().drivers().len(), drivers, "a refused load registered a driver");
        assert_eq!(images(k), before, "a refused load left its image mapped");
    }
    r
}

fn load(arch: Arch, bytes: &[u8]) -> Result<usize, LoadError> {
    load_with(&mut boot(arch), bytes)
}

#[track_caller]
fn refused(arch: Arch, bytes: &[u8]) -> LoadError {
    match load(arch, bytes) {
        Ok(_) => panic!("{arch:?}: the damaged image was loaded"),
        Err(e) => e,
    }
}

/// Refused by the loader and, with the same error, by `describe` (`portcullis info`).
#[track_caller]
fn refused_on_sight(arch: Arch, bytes: &[u8]) -> LoadError {
    let e = refused(arch, bytes);
    match loader::describe(bytes) {
        Ok(_) => panic!("{arch:?}: describe accepted what load refused: {e}"),
        Err(d) => assert_eq!(d.to_string(), e.to_string()),
    }
    e
}

#[track_caller]
fn assert_malformed(e: &LoadError, needles: &[&str]) {
    let LoadError::Malformed(m) = e else { panic!("expected LoadError::Malformed, got {e:?}") };
    for n in needles {
        assert!(m.contains(n), "{m:?} does not mention {n:?}");
    }
}

#[track_caller]
fn assert_unsupported(e: &LoadError, needles: &[&str]) {
    let LoadError::Unsupported(m) = e else { panic!("expected LoadError::Unsupported, got {e:?}") };
    for n in needles {
        assert!(m.contains(n), "{m:?} does not mention {n:?}");
    }
}

/// "1 slot", "2 slots".
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The corpus drivers the shape tests damage.
const DRIVERS: [&str; 3] = ["halports", "kapi", "methods"];

fn each(mut f: impl FnMut(Arch, &str, Pe)) {
    for arch in both() {
        for name in DRIVERS {
            f(arch, name, Pe::corpus(name, arch));
        }
    }
}

#[test]
fn the_undamaged_drivers_load_and_describe() {
    each(|arch, name, pe| {
        let mut k = boot(arch);
        let d = load_with(&mut k, &pe.b).unwrap_or_else(|e| panic!("{name} {arch:?}: {e}"));
        let image = &k.ext().drivers()[d].image;
        assert_eq!(image.size, pe.size_of_image() as u64);
        assert_eq!(image.entry, image.base + pe.entry() as u64);
        assert_ne!(image.base, image.preferred_base);
        assert_eq!(image.sections.len(), pe.nsections());
        let (info, imports) = loader::describe(&pe.b).unwrap();
        assert_eq!(info.arch, arch);
        assert!(!imports.is_empty());
    });
}

// 1-3: the DOS header.

#[test]
fn an_empty_file_is_malformed() {
    for arch in both() {
        let e = refused_on_sight(arch, &[]);
        assert_malformed(&e, &["0 bytes", "DOS header"]);
        assert_eq!(
            e.to_string(),
            "not a loadable driver image: the file is 0 bytes, too short for the 64-byte DOS header"
        );
    }
}

#[test]
fn a_file_cut_inside_the_dos_header_is_malformed() {
    each(|arch, _, pe| {
        for n in [1, 2, 0x20, 0x3C, 0x3F] {
            let e = refused_on_sight(arch, &pe.b[..n]);
            assert_malformed(&e, &[&format!("{n} bytes"), "DOS header"]);
        }
    });
}

#[test]
fn a_bad_mz_signature_is_malformed() {
    each(|arch, _, pe| {
        for sig in [*b"ZM", *b"\0\0", *b"MX", *b"PE"] {
            let mut pe = pe.clone();
            pe.b[..2].copy_from_slice(&sig);
            assert_malformed(&refused_on_sight(arch, &pe.b), &["no MZ signature"]);
        }
    });
}

// 4-5: e_lfanew and the PE signature.

#[test]
fn e_lfanew_past_the_end_of_the_file_is_malformed() {
    each(|arch, _, pe| {
        let len = pe.b.len() as u32;
        // Past the end; at the end; the signature fits but the file header does not; huge.
        for v in [len + 0x100, len, len - 4, len - 23, 0x7FFF_FFFF, 0xFFFF_FFF0, u32::MAX] {
            let mut pe = pe.clone();
            pe.w32(0x3C, v);
            let e = refused_on_sight(arch, &pe.b);
            assert_malformed(&e, &["e_lfanew", &format!("{v:#x}"), "past the end", &format!("{len:#x}-byte file")]);
        }
    });
}

#[test]
fn a_bad_pe_signature_is_malformed() {
    each(|arch, _, pe| {
        for sig in [*b"PE\0\x01", *b"NE\0\0", *b"LE\0\0", [0; 4]] {
            let mut pe = pe.clone();
            let at = pe.lfanew();
            pe.b[at..at + 4].copy_from_slice(&sig);
            let e = refused_on_sight(arch, &pe.b);
            assert_malformed(&e, &["no PE signature", &format!("{at:#x}")]);
        }
        // e_lfanew pointing somewhere else in the file, at something that is not "PE\0\0".
        let mut moved = pe.clone();
        moved.w32(0x3C, 0x100);
        assert_malformed(&refused_on_sight(arch, &moved.b), &["no PE signature at e_lfanew 0x100"]);
    });
}

// 6: the optional header and the section table.

#[test]
fn a_file_cut_inside_the_optional_header_or_section_table_is_malformed() {
    each(|arch, _, pe| {
        // Cut inside the file header, the optional header, the section table.
        assert_malformed(&refused_on_sight(arch, &pe.b[..pe.coff + 10]), &["e_lfanew", "past the end"]);
        for cut in [pe.opt + 1, pe.opt + 0x40, pe.opt + pe.size_of_optional_header() - 1] {
            let e = refused_on_sight(arch, &pe.b[..cut]);
            assert_malformed(&e, &["optional header", "cut off", &format!("{cut:#x}-byte file")]);
        }
        let end = pe.table() + pe.nsections() * SECTION_HEADER;
        for cut in [pe.table() + 1, pe.table() + SECTION_HEADER + 7, end - 1] {
            let e = refused_on_sight(arch, &pe.b[..cut]);
            assert_malformed(&e, &["section table", &format!("{} entries", pe.nsections()), "cut off"]);
        }
        // Cut after the headers: the first section's raw data is missing.
        let first = &pe.sections()[0];
        let e = refused_on_sight(arch, &pe.b[..pe.size_of_headers() as usize]);
        assert_malformed(&e, &[&format!("section {} raw data", first.name), "outside the"]);

        // A section table claiming more entries than the file holds.
        let mut many = pe.clone();
        many.w16(many.coff + COFF_SECTIONS, 96);
        let cut = many.table() + 96 * SECTION_HEADER - 1;
        assert_malformed(&refused_on_sight(arch, &many.b[..cut]), &["section table (96 entries", "cut off"]);
        // More sections than Windows loads.
        for n in [97u16, 0xFFFF] {
            let mut more = pe.clone();
            more.w16(more.coff + COFF_SECTIONS, n);
            assert_malformed(&refused_on_sight(arch, &more.b), &[&format!("NumberOfSections is {n}"), "at most 96"]);
        }
        // SizeOfOptionalHeader too small for the header, or for its data directories.
        for size in [0u16, 1, 0x20, pe.size_of_optional_header() as u16 - 8] {
            let mut small = pe.clone();
            small.w16(small.coff + COFF_SIZE_OF_OPTIONAL_HEADER, size);
            assert_malformed(&refused_on_sight(arch, &small.b), &["SizeOfOptionalHeader"]);
        }
        // SizeOfOptionalHeader reaching past the end of the file.
        let mut big = pe.clone();
        big.w16(big.coff + COFF_SIZE_OF_OPTIONAL_HEADER, 0xFFFF);
        let e = refused_on_sight(arch, &big.b);
        assert!(
            matches!(&e, LoadError::Malformed(m) if m.contains("optional header") || m.contains("section table")),
            "{e}"
        );
    });
}

// 7-8: sections.

#[test]
fn section_raw_data_outside_the_file_is_malformed() {
    each(|arch, _, pe| {
        let len = pe.b.len();
        let text = pe.section(".text");
        let mut big = pe.clone();
        big.w32(text.at + SEC_RAW_SIZE, 0x20000);
        let e = refused_on_sight(arch, &big.b);
        assert_eq!(
            e.to_string(),
            format!(
                "not a loadable driver image: section .text raw data {:#x}+0x20000 lies outside the {len:#x}-byte file",
                text.raw_offset
            )
        );
        // An offset that wraps a 32-bit sum; one just past the end.
        for (offset, size) in [(0xFFFF_FF00, text.raw_size), (len as u32 - text.raw_size + 1, text.raw_size)] {
            let mut far = pe.clone();
            far.w32(text.at + SEC_RAW_OFFSET, offset).w32(text.at + SEC_RAW_SIZE, size);
            assert_malformed(&refused_on_sight(arch, &far.b), &["section .text raw data", "outside the"]);
        }
        // With no raw data the offset does not matter (Windows ignores it too).
        let mut bss = pe.clone();
        let last = pe.sections().into_iter().find(|s| s.raw_size == 0).expect("a .bss section");
        bss.w32(last.at + SEC_RAW_OFFSET, 0xFFFF_FFF0);
        load(arch, &bss.b).unwrap();
    });
}

#[test]
fn section_virtual_ranges_must_lie_in_the_image_after_the_headers_without_overlap() {
    each(|arch, _, pe| {
        let size = pe.size_of_image();
        let sections = pe.sections();
        let last = sections.last().unwrap();
        let mut long = pe.clone();
        long.w32(last.at + SEC_VIRTUAL_SIZE, 0x10_0000);
        let e = refused_on_sight(arch, &long.b);
        assert_malformed(
            &e,
            &[
                &format!("section {} virtual range {:#x}+0x100000", last.name, last.rva),
                &format!("{size:#x}-byte image"),
            ],
        );
        // An RVA whose end wraps 32 bits.
        let mut wraps = pe.clone();
        wraps.w32(last.at + SEC_RVA, 0xFFFF_F000).w32(last.at + SEC_VIRTUAL_SIZE, 0x2000);
        assert_malformed(&refused_on_sight(arch, &wraps.b), &["virtual range 0xfffff000+0x2000", "outside the"]);

        // Over the headers.
        let first = &sections[0];
        let mut low = pe.clone();
        low.w32(first.at + SEC_RVA, 0x200);
        let e = refused_on_sight(arch, &low.b);
        assert_malformed(&e, &[&format!("section {} at 0x200 overlaps the headers", first.name)]);

        // Over the previous section, and out of order.
        let (a, b) = (&sections[0], &sections[1]);
        let mut over = pe.clone();
        over.w32(b.at + SEC_RVA, a.rva + 0x10);
        let e = refused_on_sight(arch, &over.b);
        assert_malformed(
            &e,
            &[&format!("section {} at {:#x} overlaps or precedes section {}", b.name, a.rva + 0x10, a.name)],
        );
        let mut swapped = pe.clone();
        swapped.w32(a.at + SEC_RVA, b.rva).w32(b.at + SEC_RVA, a.rva);
        assert_malformed(&refused_on_sight(arch, &swapped.b), &["overlaps or precedes", "must ascend"]);

        // A section of no size at all.
        let mut empty = pe.clone();
        empty.w32(b.at + SEC_VIRTUAL_SIZE, 0).w32(b.at + SEC_RAW_SIZE, 0);
        assert_malformed(&refused_on_sight(arch, &empty.b), &[&format!("section {} is empty", b.name)]);
    });
}

// 9: SizeOfImage.

#[test]
fn size_of_image_zero_or_absurd_is_refused_before_anything_is_allocated() {
    each(|arch, _, pe| {
        let mut zero = pe.clone();
        zero.set_opt32(OPT_SIZE_OF_IMAGE, 0);
        assert_malformed(&refused_on_sight(arch, &zero.b), &["SizeOfImage is 0"]);
        for huge in [0xFFFF_F000u32, 0x8000_0000, 0x1000_1000] {
            let mut k = boot(arch);
            let used = k.mem().usage().used;
            let mut big = pe.clone();
            big.set_opt32(OPT_SIZE_OF_IMAGE, huge);
            let e = load_with(&mut k, &big.b).unwrap_err();
            assert_malformed(&e, &[&format!("SizeOfImage {huge:#x} is larger than the 0x10000000-byte limit")]);
            assert_eq!(k.mem().usage().used, used, "guest memory was allocated for a refused image");
        }
        // Smaller than the headers, or than the sections.
        let mut tiny = pe.clone();
        tiny.set_opt32(OPT_SIZE_OF_IMAGE, pe.size_of_headers());
        let soh = pe.size_of_headers();
        assert_malformed(
            &refused_on_sight(arch, &tiny.b),
            &[&format!("SizeOfHeaders {soh:#x} is not below SizeOfImage {soh:#x}")],
        );
        let mut short = pe.clone();
        short.set_opt32(OPT_SIZE_OF_IMAGE, pe.size_of_image() - 0x1000);
        assert_malformed(&refused_on_sight(arch, &short.b), &["lies outside the", "-byte image"]);
    });
}

#[test]
fn a_large_size_of_image_within_the_limit_is_bounded_by_the_memory_limit() {
    for arch in both() {
        let mut pe = Pe::corpus("halports", arch);
        // 96 MiB: within the loader's limit and the image arena of both architectures, but
        // more than this machine's 32 MiB of guest memory.
        pe.set_opt32(OPT_SIZE_OF_IMAGE, 0x0600_0000);
        let mut config = MachineConfig::new(arch);
        config.limits.memory_bytes = 32 << 20;
        let mut k = Kernel::boot(config, KernelOptions::default()).unwrap();
        let used = k.mem().usage().used;
        match load_with(&mut k, &pe.b) {
            Err(LoadError::Memory(MemError::LimitExceeded { limit })) => assert_eq!(limit, 32 << 20),
            other => panic!("{arch:?}: {other:?}"),
        }
        assert!(k.mem().usage().peak <= 32 << 20);
        // The image's frames were given back (the page tables that mapped them stay: tens of
        // KiB against the ~27 MiB mapped before the limit was hit).
        let kept = k.mem().usage().used - used;
        assert!(kept <= 256 << 10, "{arch:?}: {kept:#x} bytes still in use after the refused load");
        // The kernel is still usable: the undamaged driver loads.
        load_with(&mut k, &corpus_bytes("halports", arch)).unwrap();
    }
}

// 10: the entry point.

#[test]
fn the_entry_point_must_lie_in_an_executable_section() {
    each(|arch, _, pe| {
        let size = pe.size_of_image();
        for entry in [size, size + 0x10, u32::MAX] {
            let mut out = pe.clone();
            out.set_opt32(OPT_ENTRY, entry);
            let e = refused_on_sight(arch, &out.b);
            assert_malformed(&e, &[&format!("entry point {entry:#x} lies outside the {size:#x}-byte image")]);
        }
        let mut zero = pe.clone();
        zero.set_opt32(OPT_ENTRY, 0);
        assert_malformed(&refused_on_sight(arch, &zero.b), &["AddressOfEntryPoint is 0"]);
        // In the headers; in the gap after .text's virtual size.
        let text = pe.section(".text");
        for entry in [0x10, text.rva + text.vsize.next_multiple_of(0x10) + 0x10] {
            let mut gap = pe.clone();
            gap.set_opt32(OPT_ENTRY, entry);
            assert_malformed(
                &refused_on_sight(arch, &gap.b),
                &[&format!("entry point {entry:#x} is not inside any section")],
            );
        }
        // In data.
        let rdata = pe.section(".rdata");
        let mut data = pe.clone();
        data.set_opt32(OPT_ENTRY, rdata.rva + 4);
        let e = refused_on_sight(arch, &data.b);
        assert_malformed(
            &e,
            &[&format!("entry point {:#x} is in section .rdata, which is not executable", rdata.rva + 4)],
        );
        // In .text with .text no longer executable.
        let mut nx = pe.clone();
        nx.w32(text.at + SEC_CHARACTERISTICS, text.characteristics & !0x2000_0000);
        assert_malformed(&refused_on_sight(arch, &nx.b), &["is in section .text, which is not executable"]);
    });
}

// 11-14: base relocations, in a directory of their own.

/// Where a pointer-sized relocation target can go: the start of .rdata.
fn rdata_target(pe: &Pe) -> u32 {
    pe.section(".rdata").rva
}

#[test]
fn an_added_relocation_block_is_applied_by_the_load_delta() {
    for arch in both() {
        for name in DRIVERS {
            let mut pe = Pe::corpus(name, arch);
            let target = rdata_target(&pe);
            let ps = pe.ptr_size();
            let original = {
                let at = pe.off(target);
                let mut v = [0u8; 8];
                v[..ps].copy_from_slice(&pe.b[at..at + ps]);
                u64::from_le_bytes(v)
            };
            // One block, then zero padding to the end of the directory (tolerated).
            let mut dir = block(target & !0xFFF, &[reloc(ptr_reloc(arch), target), reloc(0, 0)]);
            dir.extend_from_slice(&[0; 8]);
            pe.with_relocs(&dir);
            let mut k = boot(arch);
            let d = load_with(&mut k, &pe.b).unwrap_or_else(|e| panic!("{name} {arch:?}: {e}"));
            let image = &k.ext().drivers()[d].image;
            let delta = image.base.wrapping_sub(pe.image_base());
            let now = k.mem().read_ptr(image.base + target as u64).unwrap();
            let expect = if ps == 4 {
                (original as u32).wrapping_add(delta as u32) as u64
            } else {
                original.wrapping_add(delta)
            };
            assert_eq!(now, expect, "{name} {arch:?}");
        }
        // A directory of nothing but zeros is padding: nothing to apply.
        let mut pe = Pe::corpus("halports", arch);
        pe.with_relocs(&[0; 16]);
        load(arch, &pe.b).unwrap();
    }
}

#[test]
fn a_relocation_block_with_a_bad_size_is_malformed() {
    each(|arch, _, pe| {
        let target = rdata_target(&pe);
        let page = target & !0xFFF;
        let good = block(page, &[reloc(ptr_reloc(arch), target), reloc(ptr_reloc(arch), target + 8)]);
        for (size, what) in [
            (0u32, "smaller than its 8-byte header"),
            (4, "smaller than its 8-byte header"),
            (7, "smaller than its 8-byte header"),
            (0x100, "more than the 0xc bytes left in the directory"),
            (u32::MAX, "more than the 0xc bytes left in the directory"),
        ] {
            let mut pe = pe.clone();
            let mut dir = good.clone();
            dir[4..8].copy_from_slice(&size.to_le_bytes());
            let rva = pe.with_relocs(&dir);
            let e = refused(arch, &pe.b);
            assert_malformed(
                &e,
                &[&format!("relocation block at {rva:#x} (page {page:#x}) has SizeOfBlock {size:#x}, {what}")],
            );
        }
        // A block larger than the directory's own size (the directory cuts it short).
        let mut cut = pe.clone();
        let rva = cut.with_relocs(&good);
        cut.set_dir(DIR_BASERELOC, rva, good.len() as u32 - 2);
        assert_malformed(&refused(arch, &cut.b), &["SizeOfBlock 0xc, more than the 0xa bytes left"]);
        // A second block with size 0 but entries after it, and stray bytes after the last block.
        let mut second = pe.clone();
        let mut dir = good.clone();
        dir.extend_from_slice(&block(page, &[reloc(ptr_reloc(arch), target)]));
        dir[good.len() + 4..good.len() + 8].copy_from_slice(&0u32.to_le_bytes());
        let rva = second.with_relocs(&dir);
        let at = rva + good.len() as u32;
        assert_malformed(&refused(arch, &second.b), &[&format!("relocation block at {at:#x}"), "SizeOfBlock 0x0"]);
        let mut stray = pe.clone();
        let mut dir = good.clone();
        dir.extend_from_slice(&[1, 2, 3, 4]);
        stray.with_relocs(&dir);
        assert_malformed(&refused(arch, &stray.b), &["ends with 4 stray bytes"]);
    });
}

#[test]
fn damage_to_the_real_x86_relocation_directory_is_malformed() {
    for name in DRIVERS {
        let pe = Pe::corpus(name, Arch::X86);
        let (rva, len) = pe.dir(DIR_BASERELOC);
        assert!(len > 0, "{name} has relocations on x86");
        let at = pe.off(rva);
        for size in [0u32, 2, len + 8] {
            let mut bad = pe.clone();
            bad.w32(at + 4, size);
            let e = refused(Arch::X86, &bad.b);
            assert_malformed(&e, &[&format!("relocation block at {rva:#x}"), &format!("SizeOfBlock {size:#x}")]);
        }
    }
}

#[test]
fn a_relocation_directory_outside_the_image_is_malformed() {
    each(|arch, _, pe| {
        let target = rdata_target(&pe);
        let dir = block(target & !0xFFF, &[reloc(ptr_reloc(arch), target)]);
        let mut base = pe.clone();
        let rva = base.with_relocs(&dir);
        let size_now = base.size_of_image();
        for (r, n) in [(size_now, 8), (rva, 0x7FFF_FFFF), (0xFFFF_FFF8, 0x10), (size_now - 4, 8)] {
            let mut pe = base.clone();
            pe.set_dir(DIR_BASERELOC, r, n);
            let e = refused_on_sight(arch, &pe.b);
            assert_malformed(
                &e,
                &[&format!("the relocation directory {r:#x}+{n:#x} lies outside the {size_now:#x}-byte image")],
            );
        }
        // Inside the image but where the file has no data (.bss): goblin cannot map it.
        let bss = pe.sections().into_iter().find(|s| s.raw_size == 0).unwrap();
        let mut virt = pe.clone();
        virt.set_dir(DIR_BASERELOC, bss.rva, 8);
        assert_malformed(&refused_on_sight(arch, &virt.b), &["base reloc rva", &format!("{:#x}", bss.rva)]);
    });
}

#[test]
fn unsupported_relocation_types_are_refused_by_type() {
    each(|arch, _, pe| {
        let target = rdata_target(&pe);
        for kind in [1u16, 2, 4, 5, 7, 9, 11, 15] {
            let mut pe = pe.clone();
            let rva = pe.with_relocs(&block(target & !0xFFF, &[reloc(0, 0), reloc(kind, target)]));
            let e = refused(arch, &pe.b);
            assert_unsupported(
                &e,
                &[&format!("relocation type {kind} "), &format!("at {target:#x}, entry 1 of the block at {rva:#x}")],
            );
        }
    });
}

#[test]
fn a_relocation_target_outside_the_image_is_malformed() {
    each(|arch, _, pe| {
        let kind = ptr_reloc(arch);
        let mut probe = pe.clone();
        probe.with_relocs(&block(0, &[]));
        let size = probe.size_of_image();
        // Straddling the end of the image; past it; far past it.
        let width = pe.ptr_size() as u32;
        for at in [size - width + 1, size, size + 0x1000 - 2, 0xFFFF_FFFE] {
            let mut pe = pe.clone();
            pe.with_relocs(&block(at & !0xFFF, &[reloc(kind, at)]));
            let e = refused(arch, &pe.b);
            assert_malformed(
                &e,
                &[&format!("relocation target {at:#x}"), &format!("outside the {size:#x}-byte image")],
            );
        }
    });
}

// 15: imports.

#[test]
fn an_import_directory_outside_the_image_is_malformed() {
    each(|arch, _, pe| {
        let size = pe.size_of_image();
        let (rva, len) = pe.dir(DIR_IMPORT);
        for (r, n) in [(size, 0x28), (rva, 0x7FFF_FFFF), (0xFFFF_FF00, 0x200), (size - 0x10, 0x28)] {
            let mut pe = pe.clone();
            pe.set_dir(DIR_IMPORT, r, n);
            assert_malformed(
                &refused_on_sight(arch, &pe.b),
                &[&format!("the import directory {r:#x}+{n:#x} lies outside")],
            );
        }
        // In the image, but not in the file: the parser cannot map it.
        let bss = pe.sections().into_iter().find(|s| s.raw_size == 0).unwrap();
        let mut virt = pe.clone();
        virt.set_dir(DIR_IMPORT, bss.rva, len);
        let e = refused_on_sight(arch, &virt.b);
        assert_malformed(&e, &[&format!("import descriptor 0 at {:#x} lies where the file has no data", bss.rva)]);
    });
}

#[test]
fn an_import_descriptor_with_a_garbage_name_rva_is_malformed() {
    each(|arch, _, pe| {
        let (at, _, _, _) = pe.import_descriptors()[0];
        let size = pe.size_of_image();
        for name_rva in [0x7FFF_0000u32, size, 0xFFFF_FFFF] {
            let mut bad = pe.clone();
            bad.w32(at + 12, name_rva);
            let e = refused_on_sight(arch, &bad.b);
            assert_malformed(
                &e,
                &[&format!("import descriptor 0 names its DLL at RVA {name_rva:#x}, outside the {size:#x}-byte image")],
            );
        }
        // An empty name: the RVA of a zero byte (the import table's closing null descriptor).
        let (dir, _) = pe.dir(DIR_IMPORT);
        let null = dir + 20 * pe.import_descriptors().len() as u32;
        let mut empty = pe.clone();
        empty.w32(at + 12, null);
        let e = refused_on_sight(arch, &empty.b);
        assert_malformed(&e, &[&format!("import descriptor 0 names its DLL with an empty string (at RVA {null:#x})")]);
        // An import with an empty name: a hint/name entry of zeros.
        let (_, ilt, name, _) = pe.import_descriptors()[0];
        let mut unnamed = pe.clone();
        let slot = unnamed.off(ilt);
        unnamed.w32(slot, null);
        let e = refused_on_sight(arch, &unnamed.b);
        assert_malformed(&e, &[&format!("an import from {} has an empty name", pe.cstr(name))]);
        // Inside the image, where the file has no data: the parser cannot read a name there.
        let bss = pe.sections().into_iter().find(|s| s.raw_size == 0).unwrap();
        let mut virt = pe.clone();
        virt.w32(at + 12, bss.rva);
        assert_malformed(&refused_on_sight(arch, &virt.b), &[&format!("name from rva {:#x}", bss.rva)]);
    });
}

#[test]
fn import_thunks_outside_the_image_are_malformed() {
    each(|arch, _, pe| {
        let size = pe.size_of_image();
        let (at, ilt, name, _) = pe.import_descriptors()[0];
        let dll = pe.cstr(name);
        // FirstThunk (the IAT) or OriginalFirstThunk (the lookup table) outside the image.
        for (field, offset) in [("FirstThunk", 16), ("OriginalFirstThunk", 0)] {
            for rva in [size, 0x7FFF_0000, u32::MAX] {
                let mut bad = pe.clone();
                bad.w32(at + offset, rva);
                let e = refused_on_sight(arch, &bad.b);
                assert_malformed(
                    &e,
                    &[&format!("import descriptor 0: its {field} {rva:#x} lies outside the {size:#x}-byte image")],
                );
            }
        }
        // In the image but not in the file: the parser cannot map the IAT.
        let bss = pe.sections().into_iter().find(|s| s.raw_size == 0).unwrap();
        let mut virt = pe.clone();
        virt.w32(at + 16, bss.rva);
        assert_malformed(&refused_on_sight(arch, &virt.b), &[&format!("import_address_table_rva {:#x}", bss.rva)]);
        // A hint/name RVA outside the image in the lookup table.
        for rva in [0x7FFF_0000u32, size] {
            let mut hint = pe.clone();
            let slot = hint.off(ilt);
            hint.b[slot..slot + 4].copy_from_slice(&rva.to_le_bytes());
            let e = refused_on_sight(arch, &hint.b);
            assert_malformed(&e, &[&format!("import descriptor 0: thunk 0 names its import at RVA {rva:#x}, outside")]);
        }
        // Inside the image but not in the file: goblin skips such a thunk and binds the ones
        // after it a slot early; the loader refuses instead.
        let mut skipped = pe.clone();
        let slot = skipped.off(ilt);
        skipped.b[slot..slot + 4].copy_from_slice(&bss.rva.to_le_bytes());
        let e = refused_on_sight(arch, &skipped.b);
        let slots = (0..).find(|j| pe.r32(pe.off(ilt) + j * pe.ptr_size()) == 0).unwrap();
        let expect = format!(
            "import descriptor 0 ({dll}): its lookup table names {} but its IAT has {} (",
            count(slots - 1, "import"),
            count(slots, "slot")
        );
        assert_malformed(&e, &[&expect]);
        // The lookup table's zero terminator overwritten: it runs on into the next table, and
        // no longer agrees with the IAT (whose slots the binding would overrun).
        let mut unterminated = pe.clone();
        let zero = pe.off(ilt) + slots * pe.ptr_size();
        unterminated.w32(zero, pe.r32(pe.off(ilt)));
        let e = refused_on_sight(arch, &unterminated.b);
        assert_malformed(&e, &["import descriptor 0 (", &format!("but its IAT has {} (", count(slots, "slot"))]);
    });
}

#[test]
fn an_import_table_of_absurd_size_is_refused_before_it_is_walked() {
    for arch in both() {
        let pe = Pe::corpus("halports", arch);
        let (_, ilt, name, _) = pe.import_descriptors()[0];
        let hint = pe.r32(pe.off(ilt)); // a valid hint/name RVA
        let rva = pe.size_of_image().next_multiple_of(pe.opt32(OPT_SECTION_ALIGNMENT));
        // An import table in a section of its own: `descriptors` descriptors all naming the
        // first DLL and sharing one lookup table (and IAT) of `thunks` thunks.
        let shared = |descriptors: usize, thunks: usize| {
            let table = rva + 20 * (descriptors as u32 + 1);
            let mut data = Vec::new();
            for _ in 0..descriptors {
                for v in [table, 0, 0, name, table] {
                    data.extend_from_slice(&v.to_le_bytes());
                }
            }
            data.extend_from_slice(&[0; 20]);
            for _ in 0..thunks {
                data.extend_from_slice(&(hint as u64).to_le_bytes()[..pe.ptr_size()]);
            }
            data.extend_from_slice(&[0; 8]);
            let mut with = pe.clone();
            assert_eq!(with.add_section(".dmgimp", &data, SCN_DATA), rva);
            with.set_dir(DIR_IMPORT, rva, 20 * (descriptors as u32 + 1));
            with
        };
        // One table too long; many descriptors sharing one (descriptors x thunks to walk).
        for (descriptors, thunks) in [(1, 0x10001), (4097, 16)] {
            let e = refused_on_sight(arch, &shared(descriptors, thunks).b);
            assert_malformed(&e, &["the import table has more than 65536 thunks"]);
        }
        // The same shape at a real size loads: 16 descriptors sharing 16 thunks.
        let mut k = boot(arch);
        let d = load_with(&mut k, &shared(16, 16).b).unwrap();
        assert_eq!(k.ext().drivers()[d].image.imports.len(), 16 * 16);
    }
}

#[test]
fn a_damaged_iat_copy_is_harmless_because_the_lookup_table_names_the_imports() {
    each(|arch, _, pe| {
        // The IAT's file contents are overwritten at load; only the lookup table is read.
        let (_, _, _, iat) = pe.import_descriptors()[0];
        let mut pe = pe.clone();
        let slot = pe.off(iat);
        pe.b[slot..slot + 4].copy_from_slice(&0x7FFF_0000u32.to_le_bytes());
        let mut k = boot(arch);
        let d = load_with(&mut k, &pe.b).unwrap();
        let image = &k.ext().drivers()[d].image;
        let bound = k.mem().read_ptr(image.base + iat as u64).unwrap();
        assert_eq!(bound, image.imports[0].address, "{arch:?}: slot 0 bound to its import");
    });
}

#[test]
fn an_import_from_an_unknown_dll_is_a_missing_import_or_a_stub() {
    each(|arch, _, pe| {
        let (_, _, name_rva, _) = pe.import_descriptors()[0];
        let dll = pe.cstr(name_rva);
        let evil = format!("{}.dll", "e".repeat(dll.len() - 4));
        let mut bad = pe.clone();
        let at = bad.off(name_rva);
        bad.b[at..at + evil.len()].copy_from_slice(evil.as_bytes());
        match refused(arch, &bad.b) {
            LoadError::MissingImports(m) => {
                assert!(!m.is_empty() && m.iter().all(|i| !i.starts_with(&dll)));
                assert!(m.iter().all(|i| i.starts_with(&format!("{evil}!"))), "{m:?}");
            }
            other => panic!("expected MissingImports, got {other:?}"),
        }
        // With missing imports stubbed, it loads, its imports from that DLL unimplemented.
        let options = KernelOptions { missing_imports: MissingImports::Stub, ..Default::default() };
        let mut k = Kernel::boot(MachineConfig::new(arch), options).unwrap();
        let d = load_with(&mut k, &bad.b).unwrap();
        let imports = &k.ext().drivers()[d].image.imports;
        assert!(imports.iter().filter(|i| i.dll == evil).all(|i| !i.implemented));
    });
}

#[test]
fn an_import_by_an_ordinal_nothing_exports_is_missing() {
    each(|arch, _, pe| {
        let (_, ilt, name_rva, _) = pe.import_descriptors()[0];
        let dll = pe.cstr(name_rva);
        let mut bad = pe.clone();
        let at = bad.off(ilt);
        let thunk: u64 = if arch == Arch::X64 { 1 << 63 | 0xFFFF } else { 1 << 31 | 0xFFFF };
        let ps = bad.ptr_size();
        bad.b[at..at + ps].copy_from_slice(&thunk.to_le_bytes()[..ps]);
        match refused(arch, &bad.b) {
            LoadError::MissingImports(m) => assert_eq!(m, vec![format!("{dll}!ORDINAL 65535")]),
            other => panic!("expected MissingImports, got {other:?}"),
        }
    });
}

#[test]
fn a_null_dll_name_ends_the_import_table_as_on_windows() {
    // Windows walks import descriptors while Name and FirstThunk are non-zero: a zero name
    // ends the table, and the remaining IAT slots stay unbound. The driver loads; calling
    // through an unbound slot (which still holds a name's RVA, a user address) is a guest
    // access violation, which the driver does not handle.
    for arch in both() {
        let pe = Pe::corpus("halports", arch);
        let descriptors = pe.import_descriptors();
        let mut cut = pe.clone();
        cut.w32(descriptors[0].0 + 12, 0);
        let mut k = boot(arch);
        let d = load_with(&mut k, &cut.b).unwrap();
        assert!(k.ext().drivers()[d].image.imports.is_empty());
        let b = fx::bugcheck(driver::call_entry(&mut k, d));
        assert_eq!(b.code, 0x1E, "{arch:?}: DriverEntry through unbound imports: {b:?}");
        // An instruction fetch (8) from the unbound slot's contents.
        assert_eq!((b.params[1], b.params[2], b.params[3]), (b.params[3], 8, b.params[1]));
    }
}

// 16: machine types and header kinds.

#[test]
fn foreign_machines_are_unsupported_and_unknown_ones_malformed() {
    each(|arch, _, pe| {
        for (machine, name) in [(0xAA64u16, "(ARM64)"), (0x01C0, "(ARM)"), (0x01C4, "ARMNT"), (0x0200, "(IA-64)")] {
            let mut foreign = pe.clone();
            foreign.w16(foreign.coff + COFF_MACHINE, machine);
            let e = refused_on_sight(arch, &foreign.b);
            assert_unsupported(&e, &[&format!("machine type {machine:#x} ("), name, "only i386 and AMD64"]);
        }
        for machine in [0u16, 0x1234, 0xFFFF] {
            let mut unknown = pe.clone();
            unknown.w16(unknown.coff + COFF_MACHINE, machine);
            assert_malformed(&refused_on_sight(arch, &unknown.b), &[&format!("unknown machine type {machine:#x}")]);
        }
    });
}

#[test]
fn an_image_of_the_other_architecture_is_wrong_arch() {
    each(|arch, name, pe| {
        let other = if arch == Arch::X86 { Arch::X64 } else { Arch::X86 };
        match load(other, &pe.b) {
            Err(LoadError::WrongArch { image, machine }) => {
                assert_eq!((image, machine), (arch.name(), other.name()), "{name}");
            }
            r => panic!("{name} {arch:?} into {other:?}: {r:?}"),
        }
    });
}

#[test]
fn a_machine_type_that_contradicts_the_optional_header_is_malformed() {
    each(|arch, _, pe| {
        // PE32 headers claiming AMD64, PE32+ headers claiming i386.
        let mut swapped = pe.clone();
        let machine = if arch == Arch::X86 { 0x8664u16 } else { 0x14C };
        swapped.w16(swapped.coff + COFF_MACHINE, machine);
        let kind = if arch == Arch::X86 { "a PE32 optional header" } else { "a PE32+ optional header" };
        assert_malformed(&refused_on_sight(arch, &swapped.b), &[kind, &format!("machine type {machine:#x}")]);
        // The magic of the other kind, or of none.
        let mut magic = pe.clone();
        magic.w16(magic.opt, if arch == Arch::X86 { 0x20B } else { 0x10B });
        assert_malformed(&refused_on_sight(arch, &magic.b), &["optional header with machine type"]);
        for m in [0u16, 0x107, 0x30B] {
            let mut rom = pe.clone();
            rom.w16(rom.opt, m);
            assert_malformed(&refused_on_sight(arch, &rom.b), &[&format!("unknown optional header magic {m:#x}")]);
        }
    });
}

// 16b: the exception directory. Windows does not look at it when it loads a driver, only when
// an exception is dispatched through the image: no damage to it refuses an image, and a bad
// entry is as if the function had no unwind information.

#[test]
fn a_damaged_exception_directory_does_not_refuse_the_image() {
    each(|arch, name, pe| {
        let size = pe.size_of_image();
        let text = pe.section(".text");
        for (rva, len) in
            [(0xFFFF_FF00, 0x1000), (size - 4, 0x100), (0x10, 7), (text.rva, u32::MAX), (text.rva, text.vsize)]
        {
            let mut bad = pe.clone();
            bad.set_dir(3, rva, len);
            let mut k = boot(arch);
            let d = load_with(&mut k, &bad.b).unwrap_or_else(|e| panic!("{name} {arch:?} {rva:#x}+{len:#x}: {e}"));
            let st = driver::call_entry(&mut k, d).unwrap_or_else(|e| panic!("{name} {arch:?}: {e:?}"));
            assert_eq!(st, status::SUCCESS, "{name} {arch:?}");
        }
    });
}

#[test]
fn an_exception_through_a_damaged_function_table_is_unhandled_not_a_host_failure() {
    // The seh driver's DriverEntry reads NULL inside a __try and catches the fault. With the
    // function table replaced by its own code bytes or cut short (x64), the handler is not
    // found: the fault is an unhandled exception, a bugcheck, like any other.
    let pe = Pe::corpus("seh", Arch::X64);
    let text = pe.section(".text");
    for (rva, len) in [(text.rva, text.vsize), (text.rva + 1, 0x7FFF_FFF0), (pe.size_of_image() - 12, 12)] {
        let mut bad = pe.clone();
        bad.set_dir(3, rva, len);
        let mut k = boot(Arch::X64);
        let d = load_with(&mut k, &bad.b).unwrap();
        let b = fx::bugcheck(driver::call_entry(&mut k, d));
        assert_eq!((b.code, b.params[0]), (0x1E, status_param(Arch::X64, 0xC000_0005)), "{rva:#x}+{len:#x}");
        assert_eq!(b.params[3], 0, "a read of NULL");
    }
    // Undamaged, it is handled.
    started("seh", Arch::X64);
}

// 17: what kind of image it is.

#[test]
fn a_dll_or_a_non_native_subsystem_loads_as_on_windows() {
    // Export drivers are DLLs, and the kernel's image loader checks neither the DLL flag
    // nor the subsystem: both load.
    each(|arch, _, pe| {
        let mut dll = pe.clone();
        let c = dll.characteristics();
        dll.set_characteristics(c | FILE_DLL);
        load(arch, &dll.b).unwrap();
        for subsystem in [2u16, 3, 10] {
            let mut gui = pe.clone();
            let at = gui.opt + OPT_SUBSYSTEM;
            gui.w16(at, subsystem);
            load(arch, &gui.b).unwrap();
        }
    });
}

#[test]
fn an_image_not_marked_executable_or_without_relocations_is_refused() {
    each(|arch, _, pe| {
        let c = pe.characteristics();
        let mut obj = pe.clone();
        obj.set_characteristics(c & !FILE_EXECUTABLE_IMAGE);
        assert_malformed(&refused_on_sight(arch, &obj.b), &["IMAGE_FILE_EXECUTABLE_IMAGE"]);
        let mut fixed = pe.clone();
        fixed.set_characteristics(c | FILE_RELOCS_STRIPPED);
        assert_unsupported(&refused(arch, &fixed.b), &["relocations are stripped"]);
    });
}

#[test]
fn bad_alignments_and_image_bases_are_malformed() {
    each(|arch, _, pe| {
        for (fa, sa, what) in [
            (0u32, 0x1000u32, "FileAlignment 0x0 is not a power of two"),
            (0x300, 0x1000, "FileAlignment 0x300 is not a power of two"),
            (0x2000, 0x1000, "SectionAlignment 0x1000 is smaller than FileAlignment 0x2000"),
            (0x100, 0x1000, "FileAlignment 0x100 is below 0x200"),
        ] {
            let mut bad = pe.clone();
            bad.set_opt32(OPT_FILE_ALIGNMENT, fa).set_opt32(OPT_SECTION_ALIGNMENT, sa);
            assert_malformed(&refused_on_sight(arch, &bad.b), &[what]);
        }
        let mut base = pe.clone();
        let at = if arch == Arch::X64 { base.opt + 24 } else { base.opt + 28 };
        let v = base.r32(at) + 0x1000;
        base.w32(at, v);
        assert_malformed(&refused_on_sight(arch, &base.b), &["is not a multiple of 64 KiB"]);
    });
}

// The load-config directory and its security cookie.

/// A load-config directory whose SecurityCookie field holds `cookie` (at `cookie_field`).
fn load_config(arch: Arch, cookie: u64) -> (Vec<u8>, usize) {
    let (size, field) = if arch == Arch::X64 { (0x70usize, 0x58usize) } else { (0x48, 0x3C) };
    let mut lc = vec![0u8; size];
    lc[..4].copy_from_slice(&(size as u32).to_le_bytes());
    let ps = if arch == Arch::X64 { 8 } else { 4 };
    lc[field..field + ps].copy_from_slice(&cookie.to_le_bytes()[..ps]);
    (lc, field)
}

#[test]
fn a_security_cookie_outside_the_image_is_malformed() {
    for arch in both() {
        let pe = Pe::corpus("halports", arch);
        let top = if arch == Arch::X64 { u64::MAX } else { u32::MAX as u64 };
        // Not relocated, so pointing where the image is not; and at the very top of the
        // address space (an end that wraps).
        for cookie in [pe.image_base() + 0x2000, top, top - 3, 1] {
            let mut bad = pe.clone();
            let (lc, _) = load_config(arch, cookie);
            let rva = bad.add_section(".dmglc", &lc, SCN_DATA);
            bad.set_dir(DIR_LOAD_CONFIG, rva, lc.len() as u32);
            let e = refused(arch, &bad.b);
            assert_malformed(&e, &[&format!("the security cookie at {cookie:#x} lies outside the image")]);
        }
        // A load-config directory outside the image.
        let mut far = pe.clone();
        let size = far.size_of_image();
        far.set_dir(DIR_LOAD_CONFIG, size - 0x10, 0x40);
        assert_malformed(&refused_on_sight(arch, &far.b), &["the load configuration directory"]);
    }
}

#[test]
fn the_security_cookie_is_set_through_a_relocated_load_config() {
    for arch in both() {
        let mut pe = Pe::corpus("halports", arch);
        let (default, ours) =
            if arch == Arch::X64 { (0x2B99_2DDF_A232u64, 0x7A3C_5EC0_0C1Eu64) } else { (0xBB40_E64E, 0x5EC0_0C1E) };
        // The section: the load config at 0, the cookie at 0x100; one relocation for the
        // cookie's address in the load config.
        let sa = pe.opt32(OPT_SECTION_ALIGNMENT);
        let rva = pe.size_of_image().next_multiple_of(sa);
        let (mut data, field) = load_config(arch, pe.image_base() + rva as u64 + 0x100);
        data.resize(0x100 + 8, 0);
        let ps = pe.ptr_size();
        data[0x100..0x100 + ps].copy_from_slice(&default.to_le_bytes()[..ps]);
        assert_eq!(pe.add_section(".dmglc", &data, SCN_DATA), rva);
        pe.set_dir(DIR_LOAD_CONFIG, rva, field as u32 + ps as u32);
        pe.with_relocs(&block(rva, &[reloc(ptr_reloc(arch), field as u32), reloc(0, 0)]));
        let mut k = boot(arch);
        let d = load_with(&mut k, &pe.b).unwrap();
        let base = k.ext().drivers()[d].image.base;
        assert_eq!(k.mem().read_ptr(base + rva as u64 + 0x100).unwrap(), ours, "{arch:?}");
    }
}

// 18: a deterministic fuzz.

/// xorshift64*: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Values that sit on the boundaries header checks care about.
const INTERESTING: [u32; 12] =
    [0, 1, 7, 8, 0x200, 0x1000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_F000, 0xFFFF_FFF8, 0xFFFF_FFFE, u32::MAX];

#[derive(Clone, Copy, Debug)]
enum Mutation {
    /// 1-8 random bytes anywhere in the file.
    Anywhere,
    /// 1-8 random bytes in the first 0x400 bytes (the headers).
    Headers,
    /// 1-3 aligned dwords of the headers or the import and relocation data set to
    /// boundary values.
    Fields,
}

#[derive(Default, Debug)]
struct Stats {
    loaded: usize,
    malformed: usize,
    unsupported: usize,
    wrong_arch: usize,
    missing_imports: usize,
    memory: usize,
    other: usize,
    /// Refusals where goblin itself panicked (caught inside the loader).
    parser_panics: usize,
}

fn fuzz(mutation: Mutation, seed: u64, count: usize) {
    let mut failures = Vec::new();
    for arch in both() {
        let pe = Pe::corpus("halports", arch);
        let original = pe.b.clone();
        // Regions where Fields mutations land: the headers and the import and relocation data.
        let mut spans = vec![(0usize, pe.size_of_headers() as usize)];
        for d in [DIR_IMPORT, DIR_BASERELOC] {
            let (rva, size) = pe.dir(d);
            if size > 0 {
                spans.push((pe.off(rva), size as usize));
            }
        }
        spans.push((pe.off(pe.section(".idata").rva), pe.section(".idata").raw_size as usize));

        let mut rng = Rng(seed ^ if arch == Arch::X64 { 0x64 } else { 0x86 });
        let mut stats = Stats::default();
        let mut k = boot(arch);
        let mut since_boot = 0;
        for i in 0..count {
            let mut m = original.clone();
            let mut edits = Vec::new();
            match mutation {
                Mutation::Anywhere | Mutation::Headers => {
                    let limit = if matches!(mutation, Mutation::Headers) { 0x400.min(m.len()) } else { m.len() };
                    for _ in 0..1 + rng.below(8) {
                        let (at, v) = (rng.below(limit), rng.next() as u8);
                        m[at] = v;
                        edits.push((at, v as u32));
                    }
                }
                Mutation::Fields => {
                    for _ in 0..1 + rng.below(3) {
                        let (start, len) = spans[rng.below(spans.len())];
                        let at = (start + rng.below(len.max(4) - 3)) & !3;
                        let v = INTERESTING[rng.below(INTERESTING.len())];
                        m[at..at + 4].copy_from_slice(&v.to_le_bytes());
                        edits.push((at, v));
                    }
                }
            }
            if since_boot == 100 {
                k = boot(arch);
                since_boot = 0;
            }
            since_boot += 1;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let described = loader::describe(&m).map(|_| ());
                let loaded = load_with(&mut k, &m);
                if let Ok(d) = loaded {
                    // A loaded mutant is a consistent image.
                    let image = &k.ext().drivers()[d].image;
                    assert!(image.contains(image.entry) && image.base != image.preferred_base);
                    assert!(image.sections.iter().all(|s| s.rva as u64 + s.extent() as u64 <= image.size));
                    assert!(described.is_ok(), "describe refused what load accepted: {described:?}");
                }
                loaded
            }));
            match outcome {
                Ok(Ok(_)) => stats.loaded += 1,
                Ok(Err(e)) => match e {
                    LoadError::Malformed(m) => {
                        stats.malformed += 1;
                        stats.parser_panics += (m == "the PE parser failed on this file") as usize;
                    }
                    LoadError::Unsupported(_) => stats.unsupported += 1,
                    LoadError::WrongArch { .. } => stats.wrong_arch += 1,
                    LoadError::MissingImports(_) => stats.missing_imports += 1,
                    LoadError::Memory(_) => stats.memory += 1,
                    _ => stats.other += 1,
                },
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("{arch:?} {mutation:?} seed {seed:#x} mutant {i}: edits {edits:x?}: {msg}"));
                    k = boot(arch);
                    since_boot = 0;
                }
            }
        }
        println!("{arch:?} {mutation:?}: {count} mutants: {stats:?}");
        assert_eq!(stats.other, 0, "{arch:?}: unexpected error kinds");
        assert!(stats.loaded > 0 && stats.malformed > 0, "{arch:?} {mutation:?}: {stats:?}");
    }
    assert!(failures.is_empty(), "{} mutants panicked:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn fuzz_random_bytes_anywhere_either_load_or_are_refused() {
    fuzz(Mutation::Anywhere, 0x5EED_0001, 2000);
}

#[test]
fn fuzz_random_bytes_in_the_headers_either_load_or_are_refused() {
    fuzz(Mutation::Headers, 0x5EED_0002, 2000);
}

#[test]
fn fuzz_boundary_values_in_header_import_and_relocation_fields_either_load_or_are_refused() {
    fuzz(Mutation::Fields, 0x5EED_0003, 1000);
}
