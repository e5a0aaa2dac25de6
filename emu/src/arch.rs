//! The two guest architectures and an architecture-neutral view of their registers.

use serde::Serialize;
use unicorn_engine::RegisterX86 as UcReg;

/// The guest's instruction set: a driver image decides which one a machine runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Arch {
    /// 32-bit protected mode with classic two-level paging.
    #[serde(rename = "x86")]
    X86,
    /// 64-bit long mode with four-level paging.
    #[serde(rename = "x64")]
    X64,
}

impl Arch {
    /// Size of a guest pointer in bytes.
    pub fn ptr_size(self) -> u64 {
        match self {
            Arch::X86 => 4,
            Arch::X64 => 8,
        }
    }

    /// The short name used in reports ("x86" or "x64").
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
        }
    }

    /// Truncates a value to the width of a guest pointer.
    pub fn mask(self, value: u64) -> u64 {
        match self {
            Arch::X86 => value & 0xFFFF_FFFF,
            Arch::X64 => value,
        }
    }
}

/// General-purpose and control registers by role, independent of width.
///
/// On x86 `Ax` is EAX, on x64 RAX; `R8`..`R15` exist only on x64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Reg {
    Ax,
    Bx,
    Cx,
    Dx,
    Si,
    Di,
    Bp,
    Sp,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    Ip,
    Flags,
}

impl Reg {
    /// Registers every report dumps, in the conventional order.
    pub const DUMP_X86: [Reg; 10] =
        [Reg::Ax, Reg::Bx, Reg::Cx, Reg::Dx, Reg::Si, Reg::Di, Reg::Bp, Reg::Sp, Reg::Ip, Reg::Flags];
    pub const DUMP_X64: [Reg; 18] = [
        Reg::Ax,
        Reg::Bx,
        Reg::Cx,
        Reg::Dx,
        Reg::Si,
        Reg::Di,
        Reg::Bp,
        Reg::Sp,
        Reg::R8,
        Reg::R9,
        Reg::R10,
        Reg::R11,
        Reg::R12,
        Reg::R13,
        Reg::R14,
        Reg::R15,
        Reg::Ip,
        Reg::Flags,
    ];

    /// The conventional name of this register on `arch` ("eax", "r12", ...).
    pub fn name(self, arch: Arch) -> &'static str {
        let (n32, n64) = match self {
            Reg::Ax => ("eax", "rax"),
            Reg::Bx => ("ebx", "rbx"),
            Reg::Cx => ("ecx", "rcx"),
            Reg::Dx => ("edx", "rdx"),
            Reg::Si => ("esi", "rsi"),
            Reg::Di => ("edi", "rdi"),
            Reg::Bp => ("ebp", "rbp"),
            Reg::Sp => ("esp", "rsp"),
            Reg::R8 => ("r8", "r8"),
            Reg::R9 => ("r9", "r9"),
            Reg::R10 => ("r10", "r10"),
            Reg::R11 => ("r11", "r11"),
            Reg::R12 => ("r12", "r12"),
            Reg::R13 => ("r13", "r13"),
            Reg::R14 => ("r14", "r14"),
            Reg::R15 => ("r15", "r15"),
            Reg::Ip => ("eip", "rip"),
            Reg::Flags => ("eflags", "rflags"),
        };
        match arch {
            Arch::X86 => n32,
            Arch::X64 => n64,
        }
    }

    /// The Unicorn register id for this role on `arch`; `None` for R8..R15 on x86.
    pub(crate) fn uc(self, arch: Arch) -> Option<UcReg> {
        use UcReg::*;
        let r = match (self, arch) {
            (Reg::Ax, Arch::X86) => EAX,
            (Reg::Bx, Arch::X86) => EBX,
            (Reg::Cx, Arch::X86) => ECX,
            (Reg::Dx, Arch::X86) => EDX,
            (Reg::Si, Arch::X86) => ESI,
            (Reg::Di, Arch::X86) => EDI,
            (Reg::Bp, Arch::X86) => EBP,
            (Reg::Sp, Arch::X86) => ESP,
            (Reg::Ip, Arch::X86) => EIP,
            (Reg::Flags, Arch::X86) => EFLAGS,
            (Reg::Ax, Arch::X64) => RAX,
            (Reg::Bx, Arch::X64) => RBX,
            (Reg::Cx, Arch::X64) => RCX,
            (Reg::Dx, Arch::X64) => RDX,
            (Reg::Si, Arch::X64) => RSI,
            (Reg::Di, Arch::X64) => RDI,
            (Reg::Bp, Arch::X64) => RBP,
            (Reg::Sp, Arch::X64) => RSP,
            (Reg::R8, Arch::X64) => R8,
            (Reg::R9, Arch::X64) => R9,
            (Reg::R10, Arch::X64) => R10,
            (Reg::R11, Arch::X64) => R11,
            (Reg::R12, Arch::X64) => R12,
            (Reg::R13, Arch::X64) => R13,
            (Reg::R14, Arch::X64) => R14,
            (Reg::R15, Arch::X64) => R15,
            (Reg::Ip, Arch::X64) => RIP,
            (Reg::Flags, Arch::X64) => RFLAGS,
            _ => return None,
        };
        Some(r)
    }
}

/// EFLAGS bits the machine cares about.
pub mod flags {
    pub const TF: u64 = 1 << 8;
    pub const IF: u64 = 1 << 9;
    pub const DF: u64 = 1 << 10;
    pub const IOPL_SHIFT: u32 = 12;
    pub const IOPL_MASK: u64 = 3 << IOPL_SHIFT;
    /// Bit 1 is always set in EFLAGS.
    pub const RESERVED1: u64 = 1 << 1;
    pub const NT: u64 = 1 << 14;
    pub const RF: u64 = 1 << 16;
}
