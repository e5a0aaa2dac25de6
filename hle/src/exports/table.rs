//! The declarative export tables: the [`exports!`](crate::exports!) macro and the words its
//! lines use.
//!
//! One table per DLL lists every export the kernel implements, one line each:
//!
//! ```text
//! pub static TABLE: &[ExportDef] = exports! {
//!     dll: Dll::Ntoskrnl,
//!     data: [KeTickCount, #[x86] KeNumberProcessors],
//!     functions:
//!     stdcall fn IoDeleteDevice(DeviceObject: Ptr) -> () = io::device::IoDeleteDevice;
//!     #[x64] stdcall fn KeGetCurrentIrql() -> u8 = ke::irql::KeGetCurrentIrql;
//!     #[varargs] cdecl fn DbgPrint(Format: PCSTR) -> NtStatus = ke::debug::DbgPrint;
//! };
//! ```
//!
//! `stdcall`/`cdecl`/`fastcall` is the x86 convention (x64 always uses the Microsoft x64 ABI);
//! parameters carry their Windows names and types; `#[x86]`/`#[x64]` marks an export of one
//! architecture (`fn Name as "_Name@8"` gives an export a name no identifier can spell);
//! `#[varargs]` a variadic one, whose function also receives the argument
//! cursor (positioned after the fixed parameters) to read the rest; `#[regs]` a compiler
//! helper that takes its arguments in EAX, EDX, ECX rather than where its convention puts
//! them (the x86 64-bit shifts: the value in EDX:EAX, the count in CL). A parameter cannot be
//! named like a tuple-struct type in scope (Rust refuses the binding), which is why the types
//! keep Windows' spellings where Windows names parameters after them (`Handle: HANDLE`).
//!
//! The macro is a single, non-recursive repetition over the lines, so a table's size costs
//! compile time linearly and never meets the recursion limit (`hle/tests/tables.rs`
//! compiles and calls through a generated 1,500-line table). Each line becomes a wrapper
//! function — read the arguments with the line's convention, call the export, turn the result
//! into the return register's value — and a [`FunctionDef`](super::FunctionDef) with everything
//! the dispatcher, the stubs, the trace and `portcullis exports` need. The table is a `static`:
//! nothing is built at run time.

use portcullis_emu::Arch;

/// The words a line's `#[...]` may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    /// Only exported on x86.
    X86,
    /// Only exported on x64.
    X64,
    /// Takes a variable argument list after its fixed parameters.
    Varargs,
    /// Takes its arguments in EAX, EDX, ECX (in that slot order) instead of where its x86
    /// convention puts them: the compiler's register-based helpers.
    Regs,
}

/// The name an export has in its library: the line's function name, or the literal after
/// `as` where the library exports a name no Rust identifier can spell (the decorated
/// `_Name@N` exports of x86 usbd.sys).
pub const fn export_name(ident: &'static str, alias: &[&'static str]) -> &'static str {
    match alias {
        [name] => name,
        _ => ident,
    }
}

/// The attribute words as the table writes them.
#[allow(non_upper_case_globals)]
pub mod attr {
    use super::Attr;
    pub const x86: Attr = Attr::X86;
    pub const x64: Attr = Attr::X64;
    pub const varargs: Attr = Attr::Varargs;
    pub const regs: Attr = Attr::Regs;
}

/// The x86 conventions as the table writes them.
#[allow(non_upper_case_globals)]
pub mod conv {
    use portcullis_emu::CallConv;
    pub const stdcall: CallConv = CallConv::Stdcall;
    pub const cdecl: CallConv = CallConv::Cdecl;
    pub const fastcall: CallConv = CallConv::Fastcall;
}

/// What a line's attributes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attrs {
    pub only: Option<Arch>,
    pub varargs: bool,
    pub regs: bool,
}

impl Attrs {
    pub const fn of(words: &[Attr]) -> Attrs {
        let mut a = Attrs { only: None, varargs: false, regs: false };
        let mut i = 0;
        while i < words.len() {
            match words[i] {
                Attr::X86 => a.only = Some(Arch::X86),
                Attr::X64 => a.only = Some(Arch::X64),
                Attr::Varargs => a.varargs = true,
                Attr::Regs => a.regs = true,
            }
            i += 1;
        }
        a
    }
}

/// Builds one DLL's table as a `&'static [ExportDef]` (see the module documentation).
#[macro_export]
macro_rules! exports {
    (
        dll: $dll:expr,
        data: [$($(#[$da:ident])* $dname:ident),* $(,)?],
        functions:
        $(
            $(#[$attr:ident])*
            $conv:ident fn $name:ident $(as $alias:literal)? ( $($p:ident : $t:ty),* ) -> $ret:ty = $f:path ;
        )*
    ) => {
        &[
            $(
                $crate::exports::ExportDef::Data($crate::exports::DataDef {
                    dll: $dll,
                    name: stringify!($dname),
                    only: $crate::exports::table::Attrs::of(&[$($crate::exports::table::attr::$da),*]).only,
                }),
            )*
            $(
                $crate::exports::ExportDef::Function({
                    #[allow(non_snake_case, unused_variables, unused_mut)]
                    fn wrapper(
                        k: &mut $crate::kernel::Kx,
                        a: &mut $crate::exports::CallArgs,
                    ) -> $crate::kernel::KResult<u64> {
                        $( let $p: $t = a.next::<$t>(k)?; )*
                        let r: $ret = $crate::__export_call!([$($attr)*] $f, k, a, ($($p),*))?;
                        Ok(<$ret as $crate::types::Ret>::into_raw(r))
                    }
                    const ATTRS: $crate::exports::table::Attrs =
                        $crate::exports::table::Attrs::of(&[$($crate::exports::table::attr::$attr),*]);
                    $crate::exports::FunctionDef {
                        dll: $dll,
                        name: $crate::exports::table::export_name(stringify!($name), &[$($alias),*]),
                        conv: $crate::exports::table::conv::$conv,
                        params: &[$($crate::exports::Param {
                            name: stringify!($p),
                            kind: <$t as $crate::types::Arg>::KIND,
                            wide: <$t as $crate::types::Arg>::WIDE,
                        }),*],
                        varargs: ATTRS.varargs,
                        regs: ATTRS.regs,
                        ret: if <$ret as $crate::types::Ret>::VOID {
                            None
                        } else {
                            Some(<$ret as $crate::types::Ret>::KIND)
                        },
                        ret_wide: <$ret as $crate::types::Ret>::WIDE,
                        only: ATTRS.only,
                        wrapper,
                    }
                }),
            )*
        ]
    };
}

/// Calls an export's function: variadic ones also get the argument cursor. (Recurses over a
/// line's few attribute words only, never over the table.)
#[doc(hidden)]
#[macro_export]
macro_rules! __export_call {
    ([] $f:path, $k:ident, $a:ident, ($($p:ident),*)) => { $f($k $(, $p)*) };
    ([varargs $($rest:ident)*] $f:path, $k:ident, $a:ident, ($($p:ident),*)) => { $f($k $(, $p)*, $a) };
    ([$other:ident $($rest:ident)*] $f:path, $k:ident, $a:ident, ($($p:ident),*)) => {
        $crate::__export_call!([$($rest)*] $f, $k, $a, ($($p),*))
    };
}
