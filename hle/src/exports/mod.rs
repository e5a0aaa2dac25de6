//! The export tables and the machinery behind them.
//!
//! Every export is a plain Rust function with the Windows name and typed arguments, in the
//! module of its subsystem. One declarative table per DLL (`ntoskrnl.rs`, `hal.rs`, in the
//! spirit of Wine's `.spec` files) lists each export with its calling convention and its
//! parameters; the [`exports!`] macro turns each line into a wrapper that reads the arguments
//! with the right convention, calls the function, sets the return register, and records the
//! call (name, decoded arguments, return value, caller) in the trace. Stack cleanup comes from
//! the same line: the host-call slot an import is bound to holds `ret` or `ret N`, with N from
//! the parameter list, never from the image.

pub mod args;
pub mod hal;
pub mod ntoskrnl;

pub use args::{decode_args, ArgValue, CallArgs};

use portcullis_emu::{Arch, CallConv};

use crate::kernel::{KResult, Kx};
use crate::types::ArgKind;

/// The DLLs a driver imports its kernel from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Dll {
    #[serde(rename = "ntoskrnl.exe")]
    Ntoskrnl,
    #[serde(rename = "hal.dll")]
    Hal,
}

impl Dll {
    pub fn name(self) -> &'static str {
        match self {
            Dll::Ntoskrnl => "ntoskrnl.exe",
            Dll::Hal => "hal.dll",
        }
    }

    /// The DLL an import names, case-insensitively (the multiprocessor and PAE kernel
    /// names resolve to ntoskrnl).
    pub fn from_import(name: &str) -> Option<Dll> {
        match name.to_ascii_lowercase().as_str() {
            "ntoskrnl.exe" | "ntkrnlpa.exe" | "ntkrnlmp.exe" | "ntkrpamp.exe" => Some(Dll::Ntoskrnl),
            "hal.dll" | "halmacpi.dll" | "halacpi.dll" => Some(Dll::Hal),
            _ => None,
        }
    }
}

/// A parameter as a table line declares it.
#[derive(Clone, Copy, Debug)]
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

/// Every export of both DLLs (for every architecture).
pub fn all() -> Vec<ExportDef> {
    let mut v = ntoskrnl::table();
    v.extend(hal::table());
    v
}

/// Builds one DLL's table. Each line is
/// `[only x86|x64] <convention> fn Name(Param: Type, ...) -> Ret = path::to::function;`
/// with `...` after the fixed parameters for variadic routines (the function then receives
/// the `CallArgs` to read them), or `data Name;` for a variable.
#[macro_export]
macro_rules! exports {
    (@conv stdcall) => { portcullis_emu::CallConv::Stdcall };
    (@conv cdecl) => { portcullis_emu::CallConv::Cdecl };
    (@conv fastcall) => { portcullis_emu::CallConv::Fastcall };
    (@only) => { None };
    (@only x86) => { Some(portcullis_emu::Arch::X86) };
    (@only x64) => { Some(portcullis_emu::Arch::X64) };
    // Variadic exports (DbgPrint) also get the argument cursor, to read their varargs.
    (@invoke $f:path, $k:ident, $a:ident, [$($p:ident),*], false) => { $f($k $(, $p)*) };
    (@invoke $f:path, $k:ident, $a:ident, [$($p:ident),*], true) => { $f($k $(, $p)*, $a) };
    (@line $dll:expr, $only:tt, $conv:ident, $name:ident, [$($p:ident : $t:ty),*], $ret:ty, $f:path, $va:tt) => {{
        #[allow(non_snake_case, unused_variables, unused_mut)]
        fn wrapper(k: &mut $crate::kernel::Kx, a: &mut $crate::exports::CallArgs) -> $crate::kernel::KResult<u64> {
            $( let $p: $t = a.next::<$t>(k)?; )*
            let r: $ret = $crate::exports!(@invoke $f, k, a, [$($p),*], $va)?;
            Ok(<$ret as $crate::types::Ret>::into_raw(r))
        }
        $crate::exports::ExportDef::Function($crate::exports::FunctionDef {
            dll: $dll,
            name: stringify!($name),
            conv: $crate::exports!(@conv $conv),
            params: &[$($crate::exports::Param {
                name: stringify!($p),
                kind: <$t as $crate::types::Arg>::KIND,
                wide: <$t as $crate::types::Arg>::WIDE,
            }),*],
            varargs: $va,
            ret: if <$ret as $crate::types::Ret>::VOID { None } else { Some(<$ret as $crate::types::Ret>::KIND) },
            ret_wide: <$ret as $crate::types::Ret>::WIDE,
            only: $only,
            wrapper,
        })
    }};
    ($dll:expr; $($body:tt)*) => {{
        let mut table: Vec<$crate::exports::ExportDef> = Vec::new();
        $crate::exports!(@lines table, $dll, $($body)*);
        table
    }};
    (@lines $t:ident, $dll:expr,) => {};
    (@lines $t:ident, $dll:expr, data $name:ident ; $($rest:tt)*) => {
        $t.push($crate::exports::ExportDef::Data($crate::exports::DataDef { dll: $dll, name: stringify!($name), only: None }));
        $crate::exports!(@lines $t, $dll, $($rest)*);
    };
    (@lines $t:ident, $dll:expr, only $arch:ident data $name:ident ; $($rest:tt)*) => {
        $t.push($crate::exports::ExportDef::Data($crate::exports::DataDef { dll: $dll, name: stringify!($name), only: $crate::exports!(@only $arch) }));
        $crate::exports!(@lines $t, $dll, $($rest)*);
    };
    (@lines $t:ident, $dll:expr, only $arch:ident $conv:ident fn $name:ident ( $($p:ident : $ty:ty),* $(,)? ) -> $ret:ty = $f:path ; $($rest:tt)*) => {
        $t.push($crate::exports!(@line $dll, ($crate::exports!(@only $arch)), $conv, $name, [$($p : $ty),*], $ret, $f, false));
        $crate::exports!(@lines $t, $dll, $($rest)*);
    };
    (@lines $t:ident, $dll:expr, $conv:ident fn $name:ident ( $($p:ident : $ty:ty),* $(,)? ) -> $ret:ty = $f:path ; $($rest:tt)*) => {
        $t.push($crate::exports!(@line $dll, None, $conv, $name, [$($p : $ty),*], $ret, $f, false));
        $crate::exports!(@lines $t, $dll, $($rest)*);
    };
    (@lines $t:ident, $dll:expr, $conv:ident fn $name:ident ( $($p:ident : $ty:ty),* , ... ) -> $ret:ty = $f:path ; $($rest:tt)*) => {
        $t.push($crate::exports!(@line $dll, None, $conv, $name, [$($p : $ty),*], $ret, $f, true));
        $crate::exports!(@lines $t, $dll, $($rest)*);
    };
}
