//! The declarative tables of the user-mode libraries: the [`win32_exports!`] macro, the
//! kernel's export-table form (`hle/src/exports/table.rs`) for user-mode DLLs.
//!
//! ```text
//! pub static KERNEL32: &[Win32Fn] = win32_exports! {
//!     dll: "kernel32.dll",
//!     functions:
//!     stdcall fn CloseHandle(hObject: HANDLE) -> BOOL = file::CloseHandle;
//! };
//! ```
//!
//! `#[x86]` before a line marks a function only the 32-bit library exports.
//!
//! Each line becomes a wrapper (read the arguments with the line's convention, call the
//! typed function, produce the return register's value) and a [`Win32Fn`] the dispatcher
//! traces and the image loader binds imports to. The argument and return types are the
//! kernel's (`portcullis_hle::types`), plus [`BOOL`].

use portcullis_emu::{Arch, CallConv};
use portcullis_hle::exports::{Param, Wrapper};
use portcullis_hle::types::{Arg, ArgKind, Ret};

/// One function of a user-mode library.
#[derive(Clone, Copy, Debug)]
pub struct Win32Fn {
    pub dll: &'static str,
    pub name: &'static str,
    /// The x86 convention (x64 always uses the Microsoft x64 ABI).
    pub conv: CallConv,
    pub params: &'static [Param],
    /// The return type; `None` for VOID.
    pub ret: Option<ArgKind>,
    pub ret_wide: bool,
    pub wrapper: Wrapper,
    /// Exported by one architecture's library only: `#[x86]` on its line (x64's kernel32
    /// has no InterlockedIncrement, say, which is a compiler intrinsic there) or `#[x64]`
    /// (RtlVirtualUnwind); a name on two lines, one per architecture, has a function for each
    /// (RtlUnwind).
    pub only: Option<Arch>,
}

impl Win32Fn {
    /// Argument slots the parameters take on `arch`.
    pub fn slots(&self, arch: Arch) -> usize {
        self.params.iter().map(|p| if p.wide && arch == Arch::X86 { 2 } else { 1 }).sum()
    }

    /// The host-call slot body: `ret` or `ret N`.
    pub fn return_code(&self, arch: Arch) -> Vec<u8> {
        self.conv.for_arch(arch).return_code(self.slots(arch))
    }
}

/// A Win32 BOOL: TRUE (1) or FALSE (0), 32 bits wide.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BOOL(pub bool);

impl Arg for BOOL {
    const KIND: ArgKind = ArgKind::Bool;
    fn from_raw(raw: u64, _: Arch) -> Self {
        BOOL(raw as u32 != 0)
    }
}

impl Ret for BOOL {
    const KIND: ArgKind = ArgKind::Bool;
    fn into_raw(self) -> u64 {
        self.0 as u64
    }
}

/// Builds one user-mode DLL's table as a `&'static [Win32Fn]` (see the module documentation).
#[macro_export]
macro_rules! win32_exports {
    (
        dll: $dll:literal,
        functions:
        $(
            $(#[$attr:ident])* $conv:ident fn $name:ident ( $($p:ident : $t:ty),* ) -> $ret:ty = $f:path ;
        )*
    ) => {
        &[
            $(
                {
                    #[allow(non_snake_case, unused_variables, unused_mut)]
                    fn wrapper(
                        k: &mut ::portcullis_hle::kernel::Kx,
                        a: &mut ::portcullis_hle::exports::CallArgs,
                    ) -> ::portcullis_hle::kernel::KResult<u64> {
                        $( let $p: $t = a.next::<$t>(k)?; )*
                        let r: $ret = $crate::win32_exports!(@call [$($attr)*] $f, k, a, ($($p),*))?;
                        Ok(<$ret as ::portcullis_hle::types::Ret>::into_raw(r))
                    }
                    $crate::table::Win32Fn {
                        dll: $dll,
                        name: stringify!($name),
                        conv: ::portcullis_hle::exports::table::conv::$conv,
                        params: &[$(::portcullis_hle::exports::Param {
                            name: stringify!($p),
                            kind: <$t as ::portcullis_hle::types::Arg>::KIND,
                            wide: <$t as ::portcullis_hle::types::Arg>::WIDE,
                        }),*],
                        ret: if <$ret as ::portcullis_hle::types::Ret>::VOID {
                            None
                        } else {
                            Some(<$ret as ::portcullis_hle::types::Ret>::KIND)
                        },
                        ret_wide: <$ret as ::portcullis_hle::types::Ret>::WIDE,
                        wrapper,
                        only: $crate::win32_exports!(@only [$($attr)*]),
                    }
                },
            )*
        ]
    };
    (@only []) => {
        None
    };
    (@only [x86 $($rest:ident)*]) => {
        Some(::portcullis_emu::Arch::X86)
    };
    (@only [x64 $($rest:ident)*]) => {
        Some(::portcullis_emu::Arch::X64)
    };
    (@only [$other:ident $($rest:ident)*]) => {
        $crate::win32_exports!(@only [$($rest)*])
    };
    // A variadic function also gets the call's arguments, to read the variadic slots
    // after its fixed parameters.
    (@call [] $f:path, $k:ident, $a:ident, ($($p:ident),*)) => { $f($k $(, $p)*) };
    (@call [varargs $($rest:ident)*] $f:path, $k:ident, $a:ident, ($($p:ident),*)) => { $f($k $(, $p)*, $a) };
    (@call [$other:ident $($rest:ident)*] $f:path, $k:ident, $a:ident, ($($p:ident),*)) => {
        $crate::win32_exports!(@call [$($rest)*] $f, $k, $a, ($($p),*))
    };
}
