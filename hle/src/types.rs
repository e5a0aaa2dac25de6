//! The Windows types export functions take and return, as thin typed wrappers.
//!
//! Each argument type knows how many argument slots it occupies and how the call trace
//! shows it ([`ArgKind`]); each return type knows how it goes back into EAX/RAX.

use portcullis_emu::Arch;
use serde::Serialize;

/// How an argument is shown in the call trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgKind {
    U8,
    U16,
    U32,
    I32,
    U64,
    I64,
    /// Pointer-sized unsigned (SIZE_T, ULONG_PTR).
    Size,
    Ptr,
    Handle,
    Bool,
    Status,
    /// A pool tag: four characters.
    Tag,
    /// PUNICODE_STRING: shown as the string it describes.
    UnicodeString,
    /// PANSI_STRING / PSTRING.
    AnsiString,
    /// PCWSTR: a NUL-terminated wide string.
    #[serde(rename = "wstr")]
    WStr,
    /// PCSTR: a NUL-terminated ANSI string.
    #[serde(rename = "cstr")]
    CStr,
    /// A control code (IOCTL), shown in hex.
    Code,
}

/// An argument type of an export.
pub trait Arg: Sized {
    const KIND: ArgKind;
    /// Whether it takes two slots on x86 (a 64-bit value passed by value).
    const WIDE: bool = false;
    fn from_raw(raw: u64, arch: Arch) -> Self;
}

/// A return type of an export.
pub trait Ret {
    const KIND: ArgKind;
    /// VOID: nothing is returned (the trace shows no value).
    const VOID: bool = false;
    /// Whether EDX:EAX carries it on x86.
    const WIDE: bool = false;
    fn into_raw(self) -> u64;
}

macro_rules! newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty) = $kind:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub $inner);
        impl Arg for $name {
            const KIND: ArgKind = ArgKind::$kind;
            fn from_raw(raw: u64, arch: Arch) -> Self {
                $name(arch.mask(raw) as $inner)
            }
        }
        impl Ret for $name {
            const KIND: ArgKind = ArgKind::$kind;
            fn into_raw(self) -> u64 {
                self.0 as u64
            }
        }
    };
}

newtype!(
    /// A guest pointer (PVOID and every pointer to a structure).
    Ptr(u64) = Ptr
);
newtype!(
    /// PUNICODE_STRING.
    PUnicodeString(u64) = UnicodeString
);
newtype!(
    /// PANSI_STRING.
    PAnsiString(u64) = AnsiString
);
newtype!(
    /// PCWSTR.
    PCWSTR(u64) = WStr
);
newtype!(
    /// PCSTR.
    PCSTR(u64) = CStr
);
newtype!(
    /// HANDLE (spelled as Windows does, so that a parameter may be named `Handle`).
    HANDLE(u64) = Handle
);
newtype!(
    /// SIZE_T / ULONG_PTR.
    SizeT(u64) = Size
);
newtype!(
    /// A pool tag (ULONG, shown as four characters).
    PoolTag(u32) = Tag
);

/// A UNICODE_STRING or ANSI_STRING passed by value (FsRtlDissectName's Path): two slots on
/// x86 (Length and MaximumLength, then Buffer), and on x64, where the ABI passes a 16-byte
/// structure by reference, a pointer to the caller's copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StringByValue(pub u64);

impl Arg for StringByValue {
    const KIND: ArgKind = ArgKind::Ptr;
    const WIDE: bool = true;
    fn from_raw(raw: u64, _: Arch) -> Self {
        StringByValue(raw)
    }
}

impl Ptr {
    pub const NULL: Ptr = Ptr(0);
    pub fn is_null(self) -> bool {
        self.0 == 0
    }
}

/// NTSTATUS.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct NtStatus(pub u32);

impl NtStatus {
    pub const SUCCESS: NtStatus = status::SUCCESS;
    pub const PENDING: NtStatus = status::PENDING;
    pub const UNSUCCESSFUL: NtStatus = status::UNSUCCESSFUL;
    pub const NOT_IMPLEMENTED: NtStatus = status::NOT_IMPLEMENTED;
    pub const INVALID_PARAMETER: NtStatus = status::INVALID_PARAMETER;
    pub const INVALID_DEVICE_REQUEST: NtStatus = status::INVALID_DEVICE_REQUEST;
    pub const BUFFER_TOO_SMALL: NtStatus = status::BUFFER_TOO_SMALL;

    pub fn is_success(self) -> bool {
        (self.0 as i32) >= 0
    }
}

impl std::fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl Arg for NtStatus {
    const KIND: ArgKind = ArgKind::Status;
    fn from_raw(raw: u64, _: Arch) -> Self {
        NtStatus(raw as u32)
    }
}

impl Ret for NtStatus {
    const KIND: ArgKind = ArgKind::Status;
    fn into_raw(self) -> u64 {
        self.0 as u64
    }
}

/// BOOLEAN (a UCHAR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Boolean(pub bool);

impl Arg for Boolean {
    const KIND: ArgKind = ArgKind::Bool;
    fn from_raw(raw: u64, _: Arch) -> Self {
        Boolean(raw as u8 != 0)
    }
}

impl Ret for Boolean {
    const KIND: ArgKind = ArgKind::Bool;
    fn into_raw(self) -> u64 {
        self.0 as u64
    }
}

macro_rules! primitive {
    ($t:ty = $kind:ident, $wide:expr) => {
        impl Arg for $t {
            const KIND: ArgKind = ArgKind::$kind;
            const WIDE: bool = $wide;
            fn from_raw(raw: u64, _: Arch) -> Self {
                raw as $t
            }
        }
        impl Ret for $t {
            const KIND: ArgKind = ArgKind::$kind;
            const WIDE: bool = $wide;
            fn into_raw(self) -> u64 {
                self as u64
            }
        }
    };
}

primitive!(u8 = U8, false);
primitive!(u16 = U16, false);
primitive!(u32 = U32, false);
primitive!(i32 = I32, false);
primitive!(u64 = U64, true);
primitive!(i64 = I64, true);

/// No return value (VOID).
impl Ret for () {
    const KIND: ArgKind = ArgKind::U32;
    const VOID: bool = true;
    fn into_raw(self) -> u64 {
        0
    }
}

/// Well-known NTSTATUS values.
pub mod status {
    use super::NtStatus;
    pub const SUCCESS: NtStatus = NtStatus(0);
    pub const PENDING: NtStatus = NtStatus(0x0000_0103);
    pub const BUFFER_OVERFLOW: NtStatus = NtStatus(0x8000_0005);
    pub const UNSUCCESSFUL: NtStatus = NtStatus(0xC000_0001);
    pub const NOT_IMPLEMENTED: NtStatus = NtStatus(0xC000_0002);
    pub const INVALID_PARAMETER: NtStatus = NtStatus(0xC000_000D);
    pub const INVALID_PARAMETER_1: NtStatus = NtStatus(0xC000_00EF);
    pub const INVALID_PARAMETER_2: NtStatus = NtStatus(0xC000_00F0);
    pub const INVALID_PARAMETER_3: NtStatus = NtStatus(0xC000_00F1);
    pub const INVALID_PARAMETER_4: NtStatus = NtStatus(0xC000_00F2);
    pub const INVALID_PARAMETER_5: NtStatus = NtStatus(0xC000_00F3);
    pub const NO_MEMORY: NtStatus = NtStatus(0xC000_0017);
    pub const NAME_TOO_LONG: NtStatus = NtStatus(0xC000_0106);
    pub const UNMAPPABLE_CHARACTER: NtStatus = NtStatus(0xC000_0162);
    pub const INTEGER_OVERFLOW: NtStatus = NtStatus(0xC000_0095);
    pub const INTEGER_DIVIDE_BY_ZERO: NtStatus = NtStatus(0xC000_0094);
    pub const NO_SUCH_DEVICE: NtStatus = NtStatus(0xC000_000E);
    pub const INVALID_DEVICE_REQUEST: NtStatus = NtStatus(0xC000_0010);
    pub const INVALID_DEVICE_OBJECT_PARAMETER: NtStatus = NtStatus(0xC000_0369);
    pub const MORE_PROCESSING_REQUIRED: NtStatus = NtStatus(0xC000_0016);
    pub const ACCESS_VIOLATION: NtStatus = NtStatus(0xC000_0005);
    pub const ACCESS_DENIED: NtStatus = NtStatus(0xC000_0022);
    pub const BUFFER_TOO_SMALL: NtStatus = NtStatus(0xC000_0023);
    pub const OBJECT_NAME_INVALID: NtStatus = NtStatus(0xC000_0033);
    pub const OBJECT_NAME_NOT_FOUND: NtStatus = NtStatus(0xC000_0034);
    pub const OBJECT_NAME_COLLISION: NtStatus = NtStatus(0xC000_0035);
    pub const REVISION_MISMATCH: NtStatus = NtStatus(0xC000_0059);
    pub const OBJECT_PATH_NOT_FOUND: NtStatus = NtStatus(0xC000_003A);
    pub const INSUFFICIENT_RESOURCES: NtStatus = NtStatus(0xC000_009A);
    pub const CANCELLED: NtStatus = NtStatus(0xC000_0120);
    pub const NOT_FOUND: NtStatus = NtStatus(0xC000_0225);
    pub const DEVICE_BUSY: NtStatus = NtStatus(0x8000_0011);
    pub const INVALID_HANDLE: NtStatus = NtStatus(0xC000_0008);
    pub const OBJECT_TYPE_MISMATCH: NtStatus = NtStatus(0xC000_0024);
    pub const DRIVER_ENTRYPOINT_NOT_FOUND: NtStatus = NtStatus(0xC000_0263);
    pub const NO_SUCH_FILE: NtStatus = NtStatus(0xC000_000F);
    pub const END_OF_FILE: NtStatus = NtStatus(0xC000_0011);
    pub const SHARING_VIOLATION: NtStatus = NtStatus(0xC000_0043);
    pub const DISK_FULL: NtStatus = NtStatus(0xC000_007F);
    pub const FILE_IS_A_DIRECTORY: NtStatus = NtStatus(0xC000_00BA);
    pub const DIRECTORY_NOT_EMPTY: NtStatus = NtStatus(0xC000_0101);
    pub const NOT_A_DIRECTORY: NtStatus = NtStatus(0xC000_0103);
    pub const OBJECT_NAME_EXISTS: NtStatus = NtStatus(0x4000_0000);
    pub const NO_MORE_ENTRIES: NtStatus = NtStatus(0x8000_001A);
    pub const NO_MORE_FILES: NtStatus = NtStatus(0x8000_0006);
    pub const INVALID_INFO_CLASS: NtStatus = NtStatus(0xC000_0003);
    pub const INFO_LENGTH_MISMATCH: NtStatus = NtStatus(0xC000_0004);
    pub const OBJECT_PATH_SYNTAX_BAD: NtStatus = NtStatus(0xC000_003B);
    pub const NOT_SUPPORTED: NtStatus = NtStatus(0xC000_00BB);
    pub const HANDLE_NOT_CLOSABLE: NtStatus = NtStatus(0xC000_0235);
    pub const INVALID_PARAMETER_6: NtStatus = NtStatus(0xC000_00F4);
    pub const INVALID_CID: NtStatus = NtStatus(0xC000_000B);
    pub const FLT_INSTANCE_ALTITUDE_COLLISION: NtStatus = NtStatus(0xC01C_0011);
    pub const DELETE_PENDING: NtStatus = NtStatus(0xC000_0056);
    pub const BAD_WORKING_SET_LIMIT: NtStatus = NtStatus(0xC000_004C);
    pub const IMAGE_ALREADY_LOADED: NtStatus = NtStatus(0xC000_010E);
    pub const INVALID_IMAGE_FORMAT: NtStatus = NtStatus(0xC000_007B);
    pub const KEY_DELETED: NtStatus = NtStatus(0xC000_017C);
    pub const CANNOT_DELETE: NtStatus = NtStatus(0xC000_0121);
    pub const INVALID_EA_NAME: NtStatus = NtStatus(0x8000_0013);
    pub const EA_LIST_INCONSISTENT: NtStatus = NtStatus(0x8000_0014);
    pub const EAS_NOT_SUPPORTED: NtStatus = NtStatus(0xC000_004F);
}
