//! Exact layouts of the kernel structures drivers see, for both architectures.
//!
//! Each structure is declared once with its field offsets on x86 and x64. The same
//! declarations generate `corpus/layout/layout_check.c`, a file of `static_assert`s the corpus
//! build compiles for both triples against the mingw-w64 DDK headers, so a wrong offset here
//! fails the build (see `check_source`). Structures the DDK headers keep opaque (EPROCESS,
//! ETHREAD, LDR_DATA_TABLE_ENTRY) use Windows 7 SP1 offsets and are not in the check.

pub mod list;
mod structs;

pub use structs::*;

use portcullis_emu::{Arch, GuestMemory, MemError};

/// How a field is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    U8,
    U16,
    U32,
    U64,
    /// Pointer-sized: 4 bytes on x86, 8 on x64.
    Ptr,
    /// An embedded structure or array; read it by its own fields.
    Inline,
}

/// One field of a structure: its C path and offsets on x86 and x64 (absent on one of them
/// when the field exists on one architecture only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub x86: Option<u16>,
    pub x64: Option<u16>,
    pub kind: Kind,
}

impl Field {
    pub fn offset(&self, arch: Arch) -> u64 {
        let off = match arch {
            Arch::X86 => self.x86,
            Arch::X64 => self.x64,
        };
        off.unwrap_or_else(|| panic!("{} does not exist on {}", self.name, arch.name())) as u64
    }

    pub fn at(&self, arch: Arch, base: u64) -> u64 {
        base.wrapping_add(self.offset(arch))
    }
}

/// A structure's name, size on each architecture, and fields.
#[derive(Clone, Copy, Debug)]
pub struct Struct {
    pub name: &'static str,
    pub size: [u64; 2],
    pub fields: &'static [Field],
    /// Whether the mingw-w64 headers define it (and the C check covers it).
    pub checked: bool,
}

impl Struct {
    pub fn size(&self, arch: Arch) -> u64 {
        match arch {
            Arch::X86 => self.size[0],
            Arch::X64 => self.size[1],
        }
    }
}

/// Reads and writes structure fields in guest memory with the right width for the arch.
pub trait FieldAccess {
    fn get(&self, base: u64, field: Field) -> Result<u64, MemError>;
    fn set(&mut self, base: u64, field: Field, value: u64) -> Result<(), MemError>;
}

impl FieldAccess for GuestMemory {
    fn get(&self, base: u64, f: Field) -> Result<u64, MemError> {
        let at = f.at(self.arch(), base);
        match f.kind {
            Kind::U8 => self.read_u8(at).map(u64::from),
            Kind::U16 => self.read_u16(at).map(u64::from),
            Kind::U32 => self.read_u32(at).map(u64::from),
            Kind::U64 => self.read_u64(at),
            Kind::Ptr => self.read_ptr(at),
            Kind::Inline => Ok(at),
        }
    }

    fn set(&mut self, base: u64, f: Field, value: u64) -> Result<(), MemError> {
        let at = f.at(self.arch(), base);
        match f.kind {
            Kind::U8 => self.write_u8(at, value as u8),
            Kind::U16 => self.write_u16(at, value as u16),
            Kind::U32 => self.write_u32(at, value as u32),
            Kind::U64 => self.write_u64(at, value),
            Kind::Ptr => self.write_ptr(at, value),
            Kind::Inline => panic!("{} is an embedded structure; write its fields", f.name),
        }
    }
}

/// The C source of the layout check: `static_assert`s on every offset and size of every
/// checked structure, valid for both architectures.
pub fn check_source() -> String {
    let mut s = String::new();
    s.push_str(
        "/* Generated from hle/src/layout/structs.rs by `cargo run -p portcullis-hle --example gen_layout_check`.\n",
    );
    s.push_str(" * Compiled for i686 and x86_64 by corpus/build.sh: a wrong offset in the emulator's\n");
    s.push_str(" * structure layouts fails the corpus build. Do not edit by hand. */\n");
    s.push_str("#include <ntddk.h>\n#include <usb.h>\n#include <usbdlib.h>\n#include <stddef.h>\n\n");
    s.push_str("#ifdef _WIN64\n#define PICK(x86, x64) (x64)\n#else\n#define PICK(x86, x64) (x86)\n#endif\n\n");
    for st in ALL_STRUCTS.iter().filter(|s| s.checked) {
        s.push_str(&format!(
            "_Static_assert(sizeof({0}) == PICK({1:#x}, {2:#x}), \"sizeof({0})\");\n",
            st.name, st.size[0], st.size[1]
        ));
        for f in st.fields {
            match (f.x86, f.x64) {
                (Some(a), Some(b)) => s.push_str(&format!(
                    "_Static_assert(offsetof({0}, {1}) == PICK({2:#x}, {3:#x}), \"{0}.{1}\");\n",
                    st.name, f.name, a, b
                )),
                (Some(a), None) => s.push_str(&format!(
                    "#ifndef _WIN64\n_Static_assert(offsetof({0}, {1}) == {2:#x}, \"{0}.{1}\");\n#endif\n",
                    st.name, f.name, a
                )),
                (None, Some(b)) => s.push_str(&format!(
                    "#ifdef _WIN64\n_Static_assert(offsetof({0}, {1}) == {2:#x}, \"{0}.{1}\");\n#endif\n",
                    st.name, f.name, b
                )),
                (None, None) => {}
            }
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_check_file_matches_the_declarations() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/layout/layout_check.c");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == check_source(),
            "corpus/layout/layout_check.c is stale: run `cargo run -p portcullis-hle --example gen_layout_check`"
        );
    }

    #[test]
    fn fields_lie_inside_their_structures() {
        for st in ALL_STRUCTS {
            for f in st.fields {
                if let Some(o) = f.x86 {
                    assert!((o as u64) < st.size[0], "{}.{} on x86", st.name, f.name);
                }
                if let Some(o) = f.x64 {
                    assert!((o as u64) < st.size[1], "{}.{} on x64", st.name, f.name);
                }
            }
        }
    }
}
