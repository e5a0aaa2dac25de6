//! Instruction decoding with capstone, reduced to what mediation needs: the instruction id,
//! its length, its text, and its operands by register name.

use capstone::arch::x86::{ArchMode, X86Insn, X86OperandType};
use capstone::arch::{ArchOperand, BuildsCapstone, BuildsCapstoneSyntax};
use std::cell::OnceCell;

use capstone::{Capstone, RegId};

use crate::arch::Arch;
use crate::plain::Plain;

/// An operand of a decoded instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Operand {
    /// A register by its capstone name ("rax", "cr3", "dr7").
    Reg(String),
    Mem(MemOperand),
    Imm(i64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MemOperand {
    pub(crate) segment: Option<String>,
    pub(crate) base: Option<String>,
    pub(crate) index: Option<String>,
    pub(crate) scale: i32,
    pub(crate) disp: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct Decoded {
    pub(crate) id: u32,
    pub(crate) len: u64,
    pub(crate) text: String,
    pub(crate) operands: Vec<Operand>,
}

impl Decoded {
    pub(crate) fn is(&self, insn: X86Insn) -> bool {
        self.id == insn as u32
    }
}

/// Both capstone handles are opened on first use: many runs never trap.
pub(crate) struct Decoder {
    arch: Arch,
    /// With operand details, for the instructions the machine emulates.
    detailed: OnceCell<Capstone>,
    /// Without, for sweeps: ids and lengths do not depend on details, and a detailed decode
    /// costs an allocation and a fill per instruction.
    plain: OnceCell<Capstone>,
}

/// The opcode byte of `popf`/`popfd`/`popfq`.
const POPF_OPCODE: u8 = 0x9D;

impl Decoder {
    pub(crate) fn new(arch: Arch) -> Decoder {
        Decoder { arch, detailed: OnceCell::new(), plain: OnceCell::new() }
    }

    fn cs(&self) -> &Capstone {
        self.detailed.get_or_init(|| capstone(self.arch, true))
    }

    fn plain(&self) -> &Capstone {
        self.plain.get_or_init(|| capstone(self.arch, false))
    }

    /// Decodes the first instruction of `bytes`, located at `pc`.
    pub(crate) fn decode(&self, bytes: &[u8], pc: u64) -> Option<Decoded> {
        let insns = self.cs().disasm_count(bytes, pc, 1).ok()?;
        let insn = insns.iter().next()?;
        let text = match insn.op_str() {
            Some(ops) if !ops.is_empty() => format!("{} {}", insn.mnemonic().unwrap_or("?"), ops),
            _ => insn.mnemonic().unwrap_or("?").to_string(),
        };
        let mut operands = Vec::new();
        if let Ok(detail) = self.cs().insn_detail(insn) {
            for op in detail.arch_detail().operands() {
                if let ArchOperand::X86Operand(op) = op {
                    operands.push(match op.op_type {
                        X86OperandType::Reg(r) => Operand::Reg(self.name(r).unwrap_or_default()),
                        X86OperandType::Imm(i) => Operand::Imm(i),
                        X86OperandType::Mem(m) => Operand::Mem(MemOperand {
                            segment: self.name(m.segment()),
                            base: self.name(m.base()),
                            index: self.name(m.index()),
                            scale: m.scale(),
                            disp: m.disp(),
                        }),
                        X86OperandType::Invalid => continue,
                    });
                }
            }
        }
        Some(Decoded { id: insn.id().0, len: insn.len() as u64, text, operands })
    }

    /// The length of the first instruction of `bytes` and whether it writes memory: an
    /// explicit memory operand it writes (read-modify-write included), or the stack (push,
    /// call, enter). `None` when the bytes do not decode.
    pub(crate) fn length_and_writes(&self, bytes: &[u8], pc: u64) -> Option<(u64, bool)> {
        let insns = self.cs().disasm_count(bytes, pc, 1).ok()?;
        let insn = insns.iter().next()?;
        let len = insn.len() as u64;
        let id = insn.id().0;
        let pushes = [
            X86Insn::X86_INS_PUSH,
            X86Insn::X86_INS_CALL,
            X86Insn::X86_INS_ENTER,
            X86Insn::X86_INS_PUSHAL,
            X86Insn::X86_INS_PUSHF,
            X86Insn::X86_INS_PUSHFD,
            X86Insn::X86_INS_PUSHFQ,
        ];
        if pushes.iter().any(|i| *i as u32 == id) {
            return Some((len, true));
        }
        let Ok(detail) = self.cs().insn_detail(insn) else { return Some((len, false)) };
        let written = detail.arch_detail().operands().into_iter().any(|op| match op {
            ArchOperand::X86Operand(op) => {
                matches!(op.op_type, X86OperandType::Mem(_)) && op.access.is_some_and(|a| a.is_writable())
            }
            _ => false,
        });
        Some((len, written))
    }

    /// Just the text of the first instruction, for reports.
    pub(crate) fn text(&self, bytes: &[u8], pc: u64) -> Option<String> {
        let insns = self.cs().disasm_count(bytes, pc, 1).ok()?;
        let insn = insns.iter().next()?;
        Some(match insn.op_str() {
            Some(ops) if !ops.is_empty() => format!("{} {}", insn.mnemonic().unwrap_or("?"), ops),
            _ => insn.mnemonic().unwrap_or("?").to_string(),
        })
    }

    /// Addresses of the `popf` instructions (any operand size) found by a linear sweep of
    /// `code` at `base`, undecodable bytes skipped one at a time.
    ///
    /// Every `popf` encoding holds the opcode byte 0x9D, so the sweep stops after the last
    /// such byte (and code without one is not decoded at all), and it steps over plain
    /// instructions without capstone: the sites found are exactly those of a capstone sweep
    /// of the whole code, at a fraction of its cost.
    pub(crate) fn popf_sites(&self, code: &[u8], base: u64) -> Vec<u64> {
        let Some(last) = code.iter().rposition(|&b| b == POPF_OPCODE) else {
            return Vec::new();
        };
        let popf = [X86Insn::X86_INS_POPF, X86Insn::X86_INS_POPFD, X86Insn::X86_INS_POPFQ].map(|i| i as u32);
        let mut sites = Vec::new();
        sweep(self.plain(), &Plain::new(self.arch), code, base, last, |addr, id| {
            if popf.contains(&id) {
                sites.push(addr);
            }
        });
        sites
    }

    /// Number of instructions in `code` (a translated block).
    pub(crate) fn count(&self, code: &[u8], base: u64) -> u64 {
        self.cs().disasm_all(code, base).map(|i| i.len() as u64).unwrap_or(1).max(1)
    }

    fn name(&self, r: RegId) -> Option<String> {
        if r.0 == 0 {
            None
        } else {
            self.cs().reg_name(r)
        }
    }
}

fn capstone(arch: Arch, detail: bool) -> Capstone {
    let mode = match arch {
        Arch::X86 => ArchMode::Mode32,
        Arch::X64 => ArchMode::Mode64,
    };
    Capstone::new()
        .x86()
        .mode(mode)
        .syntax(capstone::arch::x86::ArchSyntax::Intel)
        .detail(detail)
        .build()
        .expect("capstone supports x86 in every build")
}

/// A linear sweep of `code` at `base`: `f(address, id)` for each instruction starting at or
/// before offset `last`, but the plain ones (never a `popf`), which it steps over without
/// capstone; an undecodable byte is skipped alone.
fn sweep(cs: &Capstone, plain: &Plain, code: &[u8], base: u64, last: usize, mut f: impl FnMut(u64, u32)) {
    let mut off = 0usize;
    while off <= last && off < code.len() {
        if let Some(len) = plain.length(&code[off..]) {
            off += len;
            continue;
        }
        let decoded = cs.disasm_count(&code[off..], base + off as u64, 1);
        match decoded.as_ref().ok().and_then(|insns| insns.iter().next()) {
            Some(insn) => {
                f(insn.address(), insn.id().0);
                off += insn.len();
            }
            None => off += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sweep `popf_sites` replaced: `cs_disasm` with details over the whole rest of the
    /// code, restarted one byte past each undecodable byte.
    fn whole_sweep_popf_sites(arch: Arch, code: &[u8], base: u64) -> Vec<u64> {
        let cs = capstone(arch, true);
        let popf = [X86Insn::X86_INS_POPF, X86Insn::X86_INS_POPFD, X86Insn::X86_INS_POPFQ].map(|i| i as u32);
        let mut sites = Vec::new();
        let mut off = 0usize;
        while off < code.len() {
            match cs.disasm_all(&code[off..], base + off as u64) {
                Ok(insns) if !insns.is_empty() => {
                    let mut last_end = off;
                    for i in insns.iter() {
                        if popf.contains(&i.id().0) {
                            sites.push(i.address());
                        }
                        last_end = (i.address() - base) as usize + i.len();
                    }
                    off = last_end.max(off + 1);
                    if off < code.len() {
                        off += 1;
                    }
                }
                _ => off += 1,
            }
        }
        sites
    }

    /// Bytes rich in what moves instruction boundaries: `popf`, prefixes, escapes, VEX/EVEX.
    fn code_like(seed: u64, len: usize) -> Vec<u8> {
        const OFTEN: [u8; 12] = [0x9D, 0x66, 0x67, 0x48, 0x41, 0xF3, 0xF2, 0x0F, 0xC4, 0xC5, 0x62, 0x9C];
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x.is_multiple_of(3) {
                    OFTEN[(x >> 8) as usize % OFTEN.len()]
                } else {
                    (x >> 16) as u8
                }
            })
            .collect()
    }

    #[test]
    fn popf_sites_are_those_of_a_whole_sweep() {
        let mut found = 0;
        for arch in [Arch::X86, Arch::X64] {
            let d = Decoder::new(arch);
            for seed in 0..400u64 {
                let code = code_like(seed, 1 + (seed as usize * 37) % 700);
                let base = 0x1_0000 + seed * 0x1000;
                let sites = d.popf_sites(&code, base);
                assert_eq!(sites, whole_sweep_popf_sites(arch, &code, base), "{arch:?} seed {seed}");
                found += sites.len();
            }
        }
        assert!(found > 100, "the generated code holds popf sites ({found})");
    }

    #[test]
    fn popf_sites_of_known_code() {
        for arch in [Arch::X86, Arch::X64] {
            let d = Decoder::new(arch);
            // nop; popf; mov eax, 0x9d (a 0x9D byte that is not an instruction); ret
            let code = [0x90, 0x9D, 0xB8, 0x9D, 0x00, 0x00, 0x00, 0xC3];
            assert_eq!(d.popf_sites(&code, 0x1000), vec![0x1001], "{arch:?}");
            // pushf; cli; popfw (operand-size prefix), then popf as the very last byte
            assert_eq!(d.popf_sites(&[0x9C, 0xFA, 0x66, 0x9D, 0x9D], 0x1000), vec![0x1002, 0x1004], "{arch:?}");
            assert!(d.popf_sites(&[0x90; 64], 0x1000).is_empty());
            assert!(d.popf_sites(&[], 0x1000).is_empty());
        }
    }
}
