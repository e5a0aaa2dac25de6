//! The kernel-mode libraries drivers import from.

use serde::Serialize;

macro_rules! dlls {
    ($($variant:ident = $name:literal $(| $alias:literal)*;)*) => {
        /// A kernel-mode library a driver can import from. Each has a table of the exports the
        /// kernel implements (possibly empty); an import from a library not listed here is a
        /// missing import like any other.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Dll {
            $($variant,)*
        }

        impl Dll {
            /// Every library, in table order.
            pub const ALL: &'static [Dll] = &[$(Dll::$variant,)*];

            /// The file name drivers import it by (lower case).
            pub fn name(self) -> &'static str {
                match self {
                    $(Dll::$variant => $name,)*
                }
            }

            /// The library an import names, case-insensitively (other file names of the same
            /// library, such as the multiprocessor kernels, included).
            pub fn from_import(name: &str) -> Option<Dll> {
                let lower = name.to_ascii_lowercase();
                match lower.as_str() {
                    $($name $(| $alias)* => Some(Dll::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

dlls! {
    Ntoskrnl = "ntoskrnl.exe" | "ntkrnlpa.exe" | "ntkrnlmp.exe" | "ntkrpamp.exe";
    Hal = "hal.dll" | "halmacpi.dll" | "halacpi.dll" | "halaacpi.dll" | "halapic.dll";
    Wdfldr = "wdfldr.sys";
    Fltmgr = "fltmgr.sys";
    Ndis = "ndis.sys";
    Fwpkclnt = "fwpkclnt.sys";
    Wmilib = "wmilib.sys";
    Usbd = "usbd.sys";
    Ksecdd = "ksecdd.sys";
    Cng = "cng.sys";
    Storport = "storport.sys";
    Scsiport = "scsiport.sys";
    Hidclass = "hidclass.sys";
    Portcls = "portcls.sys";
    Tdi = "tdi.sys";
    Classpnp = "classpnp.sys";
    Ks = "ks.sys";
    Videoprt = "videoprt.sys";
    Netio = "netio.sys";
    Wpprecorder = "wpprecorder.sys";
}

impl Dll {
    /// The other half of the kernel image: since Windows 8, hal.dll's exports forward to
    /// ntoskrnl.exe and ntoskrnl.exe exports the HAL routines that moved into it, so drivers
    /// built for different Windows versions import the same routine from either.
    pub fn kernel_sibling(self) -> Option<Dll> {
        match self {
            Dll::Ntoskrnl => Some(Dll::Hal),
            Dll::Hal => Some(Dll::Ntoskrnl),
            _ => None,
        }
    }
}

impl Serialize for Dll {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for Dll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
