//! A guest thread's register context: what the machine captures when guest code is
//! interrupted and writes back to resume it somewhere else (an exception handler, an unwind
//! target). Windows-free: the layer above translates it to and from whatever structure its
//! guest code reads.

use unicorn_engine::RegisterX86 as UcReg;

use crate::arch::{flags, Arch, Reg};
use crate::machine::{Extension, Machine};

/// The registers of one guest context.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CpuContext {
    /// General-purpose registers in their encoding order: rax, rcx, rdx, rbx, rsp, rbp, rsi,
    /// rdi, r8 .. r15 (the order unwind information numbers them in). On x86 the first eight
    /// hold eax .. edi and the rest are zero.
    pub gpr: [u64; 16],
    pub ip: u64,
    pub flags: u64,
    /// xmm0 .. xmm15 (xmm0 .. xmm7 on x86).
    pub xmm: [u128; 16],
    pub mxcsr: u32,
    /// Segment selectors: cs, ds, es, fs, gs, ss (captured, never restored).
    pub segments: [u16; 6],
}

/// Register numbers in encoding order.
pub mod gpr {
    pub const AX: usize = 0;
    pub const CX: usize = 1;
    pub const DX: usize = 2;
    pub const BX: usize = 3;
    pub const SP: usize = 4;
    pub const BP: usize = 5;
    pub const SI: usize = 6;
    pub const DI: usize = 7;
}

/// Encoding order of the general-purpose registers, by role.
const ORDER: [Reg; 16] = [
    Reg::Ax,
    Reg::Cx,
    Reg::Dx,
    Reg::Bx,
    Reg::Sp,
    Reg::Bp,
    Reg::Si,
    Reg::Di,
    Reg::R8,
    Reg::R9,
    Reg::R10,
    Reg::R11,
    Reg::R12,
    Reg::R13,
    Reg::R14,
    Reg::R15,
];

/// EFLAGS bits a restored context may change: the status flags, TF, IF and DF. IOPL, VM, RF
/// and AC stay the machine's (driver code runs at CPL3 underneath, where AC would turn on
/// alignment checks the guest's CPL0 never sees).
const RESTORABLE_FLAGS: u64 = 0xFD5 | flags::IF;

impl CpuContext {
    pub fn sp(&self) -> u64 {
        self.gpr[gpr::SP]
    }

    pub fn set_sp(&mut self, v: u64) {
        self.gpr[gpr::SP] = v;
    }

    /// A register by role (`Reg::Ip` and `Reg::Flags` included).
    pub fn get(&self, r: Reg) -> u64 {
        match r {
            Reg::Ip => self.ip,
            Reg::Flags => self.flags,
            r => ORDER.iter().position(|o| *o == r).map(|i| self.gpr[i]).unwrap_or(0),
        }
    }

    pub fn set(&mut self, r: Reg, v: u64) {
        match r {
            Reg::Ip => self.ip = v,
            Reg::Flags => self.flags = v,
            r => {
                if let Some(i) = ORDER.iter().position(|o| *o == r) {
                    self.gpr[i] = v;
                }
            }
        }
    }
}

fn gprs(arch: Arch) -> usize {
    match arch {
        Arch::X86 => 8,
        Arch::X64 => 16,
    }
}

fn xmm_id(i: usize) -> i32 {
    UcReg::XMM0 as i32 + i as i32
}

impl<X: Extension> Machine<X> {
    /// The guest's registers as they are now.
    pub fn capture_context(&self) -> CpuContext {
        let arch = self.arch();
        let uc = self.guest().uc;
        let mut c = CpuContext::default();
        for (i, r) in ORDER.iter().take(gprs(arch)).enumerate() {
            c.gpr[i] = self.reg(*r);
        }
        c.ip = self.reg(Reg::Ip);
        c.flags = self.reg(Reg::Flags);
        for (i, x) in c.xmm.iter_mut().take(gprs(arch)).enumerate() {
            *x = uc.reg128(xmm_id(i));
        }
        c.mxcsr = uc.reg(UcReg::MXCSR) as u32;
        for (i, s) in [UcReg::CS, UcReg::DS, UcReg::ES, UcReg::FS, UcReg::GS, UcReg::SS].into_iter().enumerate() {
            c.segments[i] = uc.reg(s) as u16;
        }
        c
    }

    /// The floating-point control registers: the x87 control word and MXCSR.
    pub fn fpu_control(&self) -> (u16, u32) {
        let uc = self.guest().uc;
        (uc.reg(UcReg::FPCW) as u16, uc.reg(UcReg::MXCSR) as u32)
    }

    /// Sets the x87 control word and MXCSR (its reserved high half stays clear).
    pub fn set_fpu_control(&mut self, x87: u16, mxcsr: u32) {
        let uc = self.guest().uc;
        uc.set_reg(UcReg::FPCW, x87 as u64);
        uc.set_reg(UcReg::MXCSR, mxcsr as u64 & 0xFFFF);
    }

    /// Makes `ctx` the guest's registers (segments excepted, and only the flags a program
    /// may change). `from_code_hook`: the caller is a code hook, where a new instruction
    /// pointer must be written so that the engine leaves the current block at it.
    pub(crate) fn apply_context(&mut self, ctx: &CpuContext, from_code_hook: bool) {
        let arch = self.arch();
        for (i, r) in ORDER.iter().take(gprs(arch)).enumerate() {
            self.set_reg(*r, ctx.gpr[i]);
        }
        let uc = self.guest().uc;
        for (i, x) in ctx.xmm.iter().take(gprs(arch)).enumerate() {
            uc.set_reg128(xmm_id(i), *x);
        }
        uc.set_reg(UcReg::MXCSR, ctx.mxcsr as u64 & 0xFFFF);
        let now = self.reg(Reg::Flags);
        let flags = (now & !RESTORABLE_FLAGS) | (ctx.flags & RESTORABLE_FLAGS);
        self.set_reg(Reg::Flags, flags);
        self.guest_mut().cpu.interrupts_enabled = flags & flags::IF != 0;
        if from_code_hook {
            self.guest_mut().pc_written = true;
            uc.set_pc_from_code_hook(Reg::Ip.uc(arch).expect("every arch has an IP"), arch.mask(ctx.ip));
        } else {
            self.set_reg(Reg::Ip, ctx.ip);
        }
    }
}
