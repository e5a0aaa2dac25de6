//! The export tables and the machinery behind them.
//!
//! Every export is a plain Rust function with the Windows name and typed arguments, in the
//! module of its subsystem. One declarative table per DLL (`ntoskrnl.rs`, `hal.rs`, in the
//! spirit of Wine's `.spec` files; see [`table`] for the form of a line) lists each export with
//! its calling convention and its parameters; the [`exports!`](crate::exports!) macro turns each
//! line into a wrapper that reads the arguments with the right convention, calls the function
//! and produces the return register's value. The dispatcher ([`crate::dispatch`]) records each
//! call in the trace. Stack cleanup comes from the same line: the host-call slot an import is
//! bound to holds `ret` or `ret N`, with N from the parameter list, never from the image.
//!
//! Imports the kernel does not implement are named by the [`signatures`] list of every export of
//! the real libraries, which gives their stubs an honest shape.

pub mod args;
mod dll;
pub mod fltmgr;
pub mod fwpkclnt;
pub mod hal;
pub mod hidclass;
pub mod internal;
pub mod ksecdd;
pub mod ndis;
pub mod ntoskrnl;
pub mod portcls;
pub mod signatures;
pub mod storport;
pub mod table;
pub mod tdi;
pub mod usbd;
pub mod wdfldr;
pub mod wmilib;

use std::sync::OnceLock;

pub use args::{decode_args, ArgValue, CallArgs};
pub use dll::Dll;

use portcullis_emu::{Arch, CallConv};

use crate::kernel::{KResult, Kx};
use crate::types::ArgKind;

/// A parameter as a table line declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ArgKind,
    /// Takes two slots on x86.
    pub wide: bool,
}

/// The generated wrapper: reads arguments, calls the function, returns the raw result.
pub type Wrapper = fn(&mut Kx, &mut CallArgs) -> KResult<u64>;

/// A function export.
#[derive(Clone, Copy, Debug)]
pub struct FunctionDef {
    pub dll: Dll,
    pub name: &'static str,
    /// The x86 convention (every export is Win64 on x64).
    pub conv: CallConv,
    pub params: &'static [Param],
    pub varargs: bool,
    /// Takes its arguments in EAX, EDX, ECX (`#[regs]`; see [`table`]).
    pub regs: bool,
    /// The return type; `None` for VOID.
    pub ret: Option<ArgKind>,
    pub ret_wide: bool,
    /// Only exported on this architecture.
    pub only: Option<Arch>,
    pub wrapper: Wrapper,
}

impl FunctionDef {
    pub fn exists_on(&self, arch: Arch) -> bool {
        self.only.is_none_or(|a| a == arch)
    }

    pub fn conv_on(&self, arch: Arch) -> CallConv {
        self.conv.for_arch(arch)
    }

    /// A cursor over this routine's arguments on `arch`, as its line declares them.
    pub fn args(&self, arch: Arch) -> CallArgs {
        if self.regs {
            CallArgs::registers(arch)
        } else {
            CallArgs::new(self.conv_on(arch), arch)
        }
    }

    /// Argument slots the fixed parameters take on `arch`.
    pub fn slots(&self, arch: Arch) -> usize {
        self.params.iter().map(|p| if p.wide && arch == Arch::X86 { 2 } else { 1 }).sum()
    }

    /// The host-call slot body: `ret` or `ret N` for the callee-popped bytes.
    pub fn return_code(&self, arch: Arch) -> Vec<u8> {
        self.conv_on(arch).return_code(self.slots(arch))
    }
}

/// A data export: a variable in the kernel the driver reads through its import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataDef {
    pub dll: Dll,
    pub name: &'static str,
    pub only: Option<Arch>,
}

/// One line of a table.
#[derive(Clone, Copy, Debug)]
pub enum ExportDef {
    Function(FunctionDef),
    Data(DataDef),
}

impl ExportDef {
    pub fn name(&self) -> &'static str {
        match self {
            ExportDef::Function(f) => f.name,
            ExportDef::Data(d) => d.name,
        }
    }

    pub fn dll(&self) -> Dll {
        match self {
            ExportDef::Function(f) => f.dll,
            ExportDef::Data(d) => d.dll,
        }
    }

    pub fn exists_on(&self, arch: Arch) -> bool {
        match self {
            ExportDef::Function(f) => f.exists_on(arch),
            ExportDef::Data(d) => d.only.is_none_or(|a| a == arch),
        }
    }
}

impl Dll {
    /// The exports of this library the kernel implements.
    pub fn table(self) -> &'static [ExportDef] {
        match self {
            Dll::Ntoskrnl => ntoskrnl::TABLE,
            Dll::Hal => hal::TABLE,
            Dll::Wdfldr => wdfldr::TABLE,
            Dll::Fltmgr => fltmgr::TABLE,
            Dll::Wmilib => wmilib::TABLE,
            Dll::Ndis => ndis::TABLE,
            Dll::Fwpkclnt => fwpkclnt::TABLE,
            Dll::Usbd => usbd::TABLE,
            Dll::Hidclass => hidclass::TABLE,
            Dll::Ksecdd => ksecdd::KSECDD,
            Dll::Cng => ksecdd::CNG,
            Dll::Storport => storport::STORPORT,
            Dll::Scsiport => storport::SCSIPORT,
            Dll::Tdi => tdi::TABLE,
            Dll::Portcls => portcls::TABLE,
            _ => &[],
        }
    }
}

/// Every line of every table (for every architecture).
pub fn all() -> impl Iterator<Item = &'static ExportDef> {
    Dll::ALL.iter().flat_map(|d| d.table().iter())
}

/// The routines the kernel offers on one architecture, indexed: built once per process.
pub struct ArchExports {
    /// Every function, in host-call slot order: the exports of every table, then the
    /// kernel-internal routines drivers reach through pointers ([`internal`]).
    pub functions: Vec<&'static FunctionDef>,
    /// How many of `functions` are exports (the rest are internal routines, then the
    /// framework's).
    pub exported: usize,
    /// Where the framework's routines start in `functions` (`crate::wdf::table`): its
    /// internal routines, then one per entry of the function table, by index.
    pub framework: usize,
    /// The host-call slot bodies (`ret`/`ret N`) of `functions`.
    pub bodies: Vec<Vec<u8>>,
    /// (dll, name, slot) of every export, sorted.
    by_name: Vec<(Dll, &'static str, u32)>,
    /// (dll, name) of every data export, sorted.
    data: Vec<(Dll, &'static str)>,
}

impl ArchExports {
    /// The slot of the export `dll!name`, if a table lists it.
    pub fn slot(&self, dll: Dll, name: &str) -> Option<u32> {
        self.by_name.binary_search_by(|(d, n, _)| (*d, *n).cmp(&(dll, name))).ok().map(|i| self.by_name[i].2)
    }

    /// Whether an import of `dll!name` binds to a routine or variable of the kernel: the rule
    /// the loader applies, including routines that moved between hal.dll and ntoskrnl.exe
    /// ([`Dll::kernel_sibling`]).
    pub fn implements(&self, dll: Dll, name: &str) -> bool {
        let has = |d: Dll| self.slot(d, name).is_some() || self.data.binary_search(&(d, name)).is_ok();
        has(dll) || dll.kernel_sibling().is_some_and(has)
    }

    /// The slot of the internal routine `name`.
    pub fn internal_slot(&self, name: &str) -> Option<u32> {
        self.functions[self.exported..].iter().position(|f| f.name == name).map(|i| (self.exported + i) as u32)
    }

    /// The slot of entry `index` of the framework's function table.
    pub fn wdf_slot(&self, index: usize) -> Option<u32> {
        let first = self.framework + crate::wdf::table::INTERNAL.len();
        (index < crate::wdf::names::COUNT).then_some((first + index) as u32)
    }

    /// The exports of `dll`, sorted by name (for ordinal imports).
    pub fn names_of(&self, dll: Dll) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.iter().filter(move |(d, _, _)| *d == dll).map(|(_, n, _)| *n)
    }
}

/// The exports and internal routines of `arch`.
pub fn for_arch(arch: Arch) -> &'static ArchExports {
    static X86: OnceLock<ArchExports> = OnceLock::new();
    static X64: OnceLock<ArchExports> = OnceLock::new();
    let cell = match arch {
        Arch::X86 => &X86,
        Arch::X64 => &X64,
    };
    cell.get_or_init(|| {
        let mut functions: Vec<&'static FunctionDef> = all()
            .filter_map(|e| match e {
                ExportDef::Function(f) if f.exists_on(arch) => Some(f),
                _ => None,
            })
            .collect();
        let exported = functions.len();
        let mut by_name: Vec<(Dll, &'static str, u32)> =
            functions.iter().enumerate().map(|(i, f)| (f.dll, f.name, i as u32)).collect();
        by_name.sort_unstable();
        // A line listed twice keeps its first slot (a test holds the tables free of doubles).
        by_name.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
        functions.extend(internal::TABLE.iter().filter_map(|e| match e {
            ExportDef::Function(f) if f.exists_on(arch) => Some(f),
            _ => None,
        }));
        let framework = functions.len();
        functions.extend(crate::wdf::table::routines(arch));
        let bodies = functions.iter().map(|f| f.return_code(arch)).collect();
        let mut data: Vec<(Dll, &'static str)> = all()
            .filter_map(|e| match e {
                ExportDef::Data(d) if e.exists_on(arch) => Some((d.dll, d.name)),
                _ => None,
            })
            .collect();
        data.sort_unstable();
        ArchExports { functions, exported, framework, bodies, by_name, data }
    })
}
