//! The signature list: every export of the real kernel-mode libraries (ntoskrnl.exe, hal.dll
//! and the smaller ones), whether the kernel implements it or not, with what a stub needs to
//! stand in for it honestly — the bytes an x86 stdcall/fastcall routine pops, the kind of its
//! return value, its parameters where known.
//!
//! Public facts gathered once by `tools/gen-signatures` from the mingw-w64 import libraries
//! (the `Name@N` decorations) and headers, plus `tools/gen-signatures/overrides.tsv` from
//! Microsoft's documentation, committed as `hle/data/signatures.tsv` and compiled into a
//! sorted static table by `hle/build.rs`.

use portcullis_emu::{Arch, CallConv};

use super::Param;
use crate::types::ArgKind;

/// How an export exists on x86.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum X86Export {
    Absent,
    Data,
    Cdecl,
    /// Pops this many bytes.
    Stdcall(u32),
    /// Pops this many bytes (what ECX and EDX do not carry).
    Fastcall(u32),
}

/// How an export exists on x64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum X64Export {
    Absent,
    Data,
    Function,
}

/// The kind of a routine's return value, as far as a stub's answer is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetKind {
    Void,
    Status,
    Bool,
    Ptr,
    Int,
    /// A 64-bit value: EDX:EAX on x86.
    Wide,
    Unknown,
}

/// One export of a real library.
#[derive(Clone, Copy, Debug)]
pub struct Signature {
    /// The library's file name, lower case.
    pub dll: &'static str,
    pub name: &'static str,
    pub x86: X86Export,
    pub x64: X64Export,
    pub ret: RetKind,
    /// The fixed parameters, when the headers declare them.
    pub params: Option<&'static [Param]>,
    pub varargs: bool,
}

/// How an export looks on one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A routine with this convention, popping this many bytes (0 on x64 and for cdecl).
    Function {
        conv: CallConv,
        pops: u32,
    },
    Data,
    Absent,
}

impl Signature {
    pub fn shape(&self, arch: Arch) -> Shape {
        match arch {
            Arch::X86 => match self.x86 {
                X86Export::Absent => Shape::Absent,
                X86Export::Data => Shape::Data,
                X86Export::Cdecl => Shape::Function { conv: CallConv::Cdecl, pops: 0 },
                X86Export::Stdcall(n) => Shape::Function { conv: CallConv::Stdcall, pops: n },
                X86Export::Fastcall(n) => Shape::Function { conv: CallConv::Fastcall, pops: n },
            },
            Arch::X64 => match self.x64 {
                X64Export::Absent => Shape::Absent,
                X64Export::Data => Shape::Data,
                X64Export::Function => Shape::Function { conv: CallConv::Win64, pops: 0 },
            },
        }
    }

    /// The kind the trace shows the return value as (None for VOID and unknown types).
    pub fn ret_arg_kind(&self) -> Option<ArgKind> {
        match self.ret {
            RetKind::Void | RetKind::Unknown => None,
            RetKind::Status => Some(ArgKind::Status),
            RetKind::Bool => Some(ArgKind::Bool),
            RetKind::Ptr => Some(ArgKind::Ptr),
            RetKind::Int => Some(ArgKind::U32),
            RetKind::Wide => Some(ArgKind::U64),
        }
    }
}

mod generated {
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/signatures.rs"));
}

pub use generated::SIGNATURES;

/// The signature of `dll!name` (`dll` as [`Dll::name`](super::Dll::name) spells it).
pub fn lookup(dll: &str, name: &str) -> Option<&'static Signature> {
    SIGNATURES.binary_search_by(|s| (s.dll, s.name).cmp(&(dll, name))).ok().map(|i| &SIGNATURES[i])
}
