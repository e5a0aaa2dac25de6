//! The Filter Manager's structures drivers see (fltKernel.h; the mingw-w64 headers do not
//! have it, so these offsets come from the WDK header's declarations: x86 packs
//! FLT_PARAMETERS to 4 bytes, POINTER_ALIGNMENT fields sit on pointer boundaries).
#![allow(non_snake_case, non_upper_case_globals)]

use crate::layout::{Field, Kind};

macro_rules! fields {
    ($($name:ident = $kind:ident @ ($x86:expr, $x64:expr)),* $(,)?) => {
        $(pub const $name: Field = Field { name: stringify!($name), x86: Some($x86), x64: Some($x64), kind: Kind::$kind };)*
    };
}

/// FLT_REGISTRATION: the fields every version has, then the ones versions 0x0201..0x0203 add.
pub mod FLT_REGISTRATION {
    use super::*;
    fields! {
        Size = U16 @ (0, 0),
        Version = U16 @ (2, 2),
        Flags = U32 @ (4, 4),
        ContextRegistration = Ptr @ (8, 8),
        OperationRegistration = Ptr @ (12, 16),
        FilterUnloadCallback = Ptr @ (16, 24),
        InstanceSetupCallback = Ptr @ (20, 32),
        InstanceQueryTeardownCallback = Ptr @ (24, 40),
        InstanceTeardownStartCallback = Ptr @ (28, 48),
        InstanceTeardownCompleteCallback = Ptr @ (32, 56),
        GenerateFileNameCallback = Ptr @ (36, 64),
        NormalizeNameComponentCallback = Ptr @ (40, 72),
        NormalizeContextCleanupCallback = Ptr @ (44, 80),
        TransactionNotificationCallback = Ptr @ (48, 88),
        NormalizeNameComponentExCallback = Ptr @ (52, 96),
        SectionNotificationCallback = Ptr @ (56, 104),
    }
    /// The size of each version's structure (0x0200, 0x0201, 0x0202, 0x0203): x86, x64.
    pub const SIZES: [(u16, u64, u64); 4] = [(0x0200, 48, 88), (0x0201, 52, 96), (0x0202, 56, 104), (0x0203, 60, 112)];
}

pub mod FLT_OPERATION_REGISTRATION {
    use super::*;
    fields! {
        MajorFunction = U8 @ (0, 0),
        Flags = U32 @ (4, 4),
        PreOperation = Ptr @ (8, 8),
        PostOperation = Ptr @ (12, 16),
    }
    pub const SIZE: [u64; 2] = [20, 32];
}

pub mod FLT_CONTEXT_REGISTRATION {
    use super::*;
    fields! {
        ContextType = U16 @ (0, 0),
        Flags = U16 @ (2, 2),
        ContextCleanupCallback = Ptr @ (4, 8),
        Size = Ptr @ (8, 16),
        PoolTag = U32 @ (12, 24),
        ContextAllocateCallback = Ptr @ (16, 32),
        ContextFreeCallback = Ptr @ (20, 40),
    }
    pub const SIZE: [u64; 2] = [28, 56];
}

pub mod FLT_CALLBACK_DATA {
    use super::*;
    fields! {
        Flags = U32 @ (0, 0),
        Thread = Ptr @ (4, 8),
        Iopb = Ptr @ (8, 16),
        IoStatus = Inline @ (12, 24),
        TagData = Ptr @ (20, 40),
        FilterContext = Inline @ (24, 48),
        RequestorMode = U8 @ (40, 80),
    }
    pub const SIZE: [u64; 2] = [44, 88];
}

pub mod FLT_IO_PARAMETER_BLOCK {
    use super::*;
    fields! {
        IrpFlags = U32 @ (0, 0),
        MajorFunction = U8 @ (4, 4),
        MinorFunction = U8 @ (5, 5),
        OperationFlags = U8 @ (6, 6),
        TargetFileObject = Ptr @ (8, 8),
        TargetInstance = Ptr @ (12, 16),
        Parameters = Inline @ (16, 24),
    }
    /// FLT_PARAMETERS is 36 bytes on x86 (Others: five pointers and a 4-aligned
    /// LARGE_INTEGER) and 48 on x64.
    pub const SIZE: [u64; 2] = [16 + 28, 24 + 48];
}

/// FLT_PARAMETERS members, relative to Parameters.
pub mod FLT_PARAMETERS {
    use super::*;
    fields! {
        CreateSecurityContext = Ptr @ (0, 0),
        CreateOptions = U32 @ (4, 8),
        CreateFileAttributes = U16 @ (8, 16),
        CreateShareAccess = U16 @ (10, 18),
        CreateEaLength = U32 @ (12, 24),
        CreateEaBuffer = Ptr @ (16, 32),
        CreateAllocationSize = U64 @ (20, 40),
        Length = U32 @ (0, 0),
        Key = U32 @ (4, 8),
        ByteOffset = U64 @ (8, 16),
        Buffer = Ptr @ (16, 24),
        MdlAddress = Ptr @ (20, 32),
        InfoClass = U32 @ (4, 8),
        QueryInfoBuffer = Ptr @ (8, 16),
        SetParentOfTarget = Ptr @ (8, 16),
        SetReplaceIfExists = U8 @ (12, 24),
        SetInfoBuffer = Ptr @ (16, 32),
    }
}

pub mod FLT_RELATED_OBJECTS {
    use super::*;
    fields! {
        Size = U16 @ (0, 0),
        TransactionContext = U16 @ (2, 2),
        Filter = Ptr @ (4, 8),
        Volume = Ptr @ (8, 16),
        Instance = Ptr @ (12, 24),
        FileObject = Ptr @ (16, 32),
        Transaction = Ptr @ (20, 40),
    }
    pub const SIZE: [u64; 2] = [24, 48];
}

pub mod FLT_FILE_NAME_INFORMATION {
    use super::*;
    fields! {
        Size = U16 @ (0, 0),
        NamesParsed = U16 @ (2, 2),
        Format = U32 @ (4, 4),
        Name = Inline @ (8, 8),
        Volume = Inline @ (16, 24),
        Share = Inline @ (24, 40),
        Extension = Inline @ (32, 56),
        Stream = Inline @ (40, 72),
        FinalComponent = Inline @ (48, 88),
        ParentDir = Inline @ (56, 104),
    }
    pub const SIZE: [u64; 2] = [64, 120];
}

/// The size of a structure on `arch` from its [x86, x64] pair.
pub fn size(pair: [u64; 2], arch: portcullis_emu::Arch) -> u64 {
    match arch {
        portcullis_emu::Arch::X86 => pair[0],
        portcullis_emu::Arch::X64 => pair[1],
    }
}
