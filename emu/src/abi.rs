//! Calling conventions: where the n-th argument slot lives and who cleans the stack.
//!
//! A "slot" is one pointer-sized argument position. On x86 a 64-bit argument (a
//! LARGE_INTEGER or PHYSICAL_ADDRESS passed by value) takes two consecutive slots, low half
//! first; the layer that knows argument types maps arguments to slots.

use serde::Serialize;

use crate::arch::Arch;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallConv {
    /// x86: arguments on the stack right to left, the callee pops them (`ret N`).
    Stdcall,
    /// x86: arguments on the stack right to left, the caller pops them.
    Cdecl,
    /// x86: first two slots in ECX and EDX, the rest on the stack, the callee pops them.
    Fastcall,
    /// x64 Microsoft ABI: RCX, RDX, R8, R9, then the stack above 32 bytes of shadow space;
    /// the caller owns the stack.
    Win64,
}

/// Where one argument slot lives at function entry (stack pointer on the return address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotLocation {
    Register(crate::arch::Reg),
    /// Byte offset from the stack pointer.
    Stack(u64),
}

impl CallConv {
    /// The name as the export tables and reports write it.
    pub fn name(self) -> &'static str {
        match self {
            CallConv::Stdcall => "stdcall",
            CallConv::Cdecl => "cdecl",
            CallConv::Fastcall => "fastcall",
            CallConv::Win64 => "win64",
        }
    }

    /// The convention a plain `__stdcall`/default routine has on `arch`
    /// (on x64 every convention collapses to the Microsoft ABI).
    pub fn for_arch(self, arch: Arch) -> CallConv {
        match arch {
            Arch::X64 => CallConv::Win64,
            Arch::X86 => self,
        }
    }

    pub fn slot(self, index: usize) -> SlotLocation {
        use crate::arch::Reg;
        match self {
            CallConv::Win64 => match index {
                0 => SlotLocation::Register(Reg::Cx),
                1 => SlotLocation::Register(Reg::Dx),
                2 => SlotLocation::Register(Reg::R8),
                3 => SlotLocation::Register(Reg::R9),
                n => SlotLocation::Stack(8 + 8 * n as u64),
            },
            CallConv::Stdcall | CallConv::Cdecl => SlotLocation::Stack(4 + 4 * index as u64),
            CallConv::Fastcall => match index {
                0 => SlotLocation::Register(Reg::Cx),
                1 => SlotLocation::Register(Reg::Dx),
                n => SlotLocation::Stack(4 + 4 * (n as u64 - 2)),
            },
        }
    }

    /// Bytes of arguments the callee removes from the stack on return (`ret N`).
    pub fn callee_pops(self, slots: usize) -> u16 {
        match self {
            CallConv::Stdcall => 4 * slots as u16,
            CallConv::Fastcall => 4 * slots.saturating_sub(2) as u16,
            CallConv::Cdecl | CallConv::Win64 => 0,
        }
    }

    /// The machine code of a host-call slot body for this convention: `ret` or `ret N`.
    pub fn return_code(self, slots: usize) -> Vec<u8> {
        match self.callee_pops(slots) {
            0 => vec![0xC3],
            n => vec![0xC2, n as u8, (n >> 8) as u8],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Reg;

    #[test]
    fn win64_uses_four_registers_then_the_stack_above_shadow_space() {
        let c = CallConv::Win64;
        assert_eq!(c.slot(0), SlotLocation::Register(Reg::Cx));
        assert_eq!(c.slot(3), SlotLocation::Register(Reg::R9));
        assert_eq!(c.slot(4), SlotLocation::Stack(0x28));
        assert_eq!(c.slot(6), SlotLocation::Stack(0x38));
        assert_eq!(c.callee_pops(7), 0);
    }

    #[test]
    fn fastcall_takes_ecx_edx_then_stack() {
        let c = CallConv::Fastcall;
        assert_eq!(c.slot(0), SlotLocation::Register(Reg::Cx));
        assert_eq!(c.slot(1), SlotLocation::Register(Reg::Dx));
        assert_eq!(c.slot(2), SlotLocation::Stack(4));
        assert_eq!(c.callee_pops(3), 4);
        assert_eq!(c.return_code(3), vec![0xC2, 4, 0]);
    }

    #[test]
    fn stdcall_pops_and_cdecl_does_not() {
        assert_eq!(CallConv::Stdcall.slot(2), SlotLocation::Stack(12));
        assert_eq!(CallConv::Stdcall.return_code(7), vec![0xC2, 28, 0]);
        assert_eq!(CallConv::Cdecl.return_code(7), vec![0xC3]);
    }
}
