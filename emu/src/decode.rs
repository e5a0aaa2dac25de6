//! Instruction decoding with capstone, reduced to what mediation needs: the instruction id,
//! its length, its text, and its operands by register name.

use capstone::arch::x86::{ArchMode, X86Insn, X86OperandType};
use capstone::arch::{ArchOperand, BuildsCapstone, BuildsCapstoneSyntax};
use capstone::{Capstone, RegId};

use crate::arch::Arch;

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

/// A memory operand with how the instruction uses it, for attributing memory accesses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MemUse {
    pub(crate) operand: MemOperand,
    /// Bytes accessed.
    pub(crate) size: u8,
    pub(crate) read: bool,
    pub(crate) write: bool,
}

/// An instruction reduced to its memory operands.
#[derive(Clone, Debug)]
pub(crate) struct MemInsn {
    pub(crate) pc: u64,
    pub(crate) len: u64,
    pub(crate) uses: Vec<MemUse>,
    /// A REP-prefixed string instruction: it may make the same access many times.
    pub(crate) repeats: bool,
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

pub(crate) struct Decoder {
    cs: Capstone,
}

impl Decoder {
    pub(crate) fn new(arch: Arch) -> Decoder {
        let mode = match arch {
            Arch::X86 => ArchMode::Mode32,
            Arch::X64 => ArchMode::Mode64,
        };
        let cs = Capstone::new()
            .x86()
            .mode(mode)
            .syntax(capstone::arch::x86::ArchSyntax::Intel)
            .detail(true)
            .build()
            .expect("capstone supports x86 in every build");
        Decoder { cs }
    }

    /// Decodes the first instruction of `bytes`, located at `pc`.
    pub(crate) fn decode(&self, bytes: &[u8], pc: u64) -> Option<Decoded> {
        let insns = self.cs.disasm_count(bytes, pc, 1).ok()?;
        let insn = insns.iter().next()?;
        let text = match insn.op_str() {
            Some(ops) if !ops.is_empty() => format!("{} {}", insn.mnemonic().unwrap_or("?"), ops),
            _ => insn.mnemonic().unwrap_or("?").to_string(),
        };
        let mut operands = Vec::new();
        if let Ok(detail) = self.cs.insn_detail(insn) {
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
        let insns = self.cs.disasm_count(bytes, pc, 1).ok()?;
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
        let Ok(detail) = self.cs.insn_detail(insn) else { return Some((len, false)) };
        let written = detail.arch_detail().operands().into_iter().any(|op| match op {
            ArchOperand::X86Operand(op) => {
                matches!(op.op_type, X86OperandType::Mem(_)) && op.access.is_some_and(|a| a.is_writable())
            }
            _ => false,
        });
        Some((len, written))
    }

    /// The straight-line instructions of `code` (at `pc`) up to the first that transfers
    /// control, at most `max`, with their memory operands.
    pub(crate) fn memory_uses(&self, code: &[u8], pc: u64, max: usize) -> Vec<MemInsn> {
        use capstone::InsnGroupType as G;
        let Ok(insns) = self.cs.disasm_count(code, pc, max) else { return Vec::new() };
        let mut out = Vec::new();
        for insn in insns.iter() {
            let Ok(detail) = self.cs.insn_detail(insn) else { break };
            let ends_block = detail.groups().iter().any(|g| {
                [G::CS_GRP_JUMP, G::CS_GRP_CALL, G::CS_GRP_RET, G::CS_GRP_INT, G::CS_GRP_IRET]
                    .iter()
                    .any(|k| g.0 as u32 == *k as u32)
            });
            let arch = detail.arch_detail();
            let x86 = arch.x86();
            let repeats = x86.is_some_and(|x| x.prefix()[0] == 0xF3 || x.prefix()[0] == 0xF2);
            let uses = arch
                .operands()
                .into_iter()
                .filter_map(|op| match op {
                    ArchOperand::X86Operand(op) => match op.op_type {
                        X86OperandType::Mem(m) => Some(MemUse {
                            operand: MemOperand {
                                segment: self.name(m.segment()),
                                base: self.name(m.base()),
                                index: self.name(m.index()),
                                scale: m.scale(),
                                disp: m.disp(),
                            },
                            size: op.size,
                            read: op.access.is_none_or(|a| a.is_readable()),
                            write: op.access.is_none_or(|a| a.is_writable()),
                        }),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            out.push(MemInsn { pc: insn.address(), len: insn.len() as u64, uses, repeats });
            if ends_block {
                break;
            }
        }
        out
    }

    /// Just the text of the first instruction, for reports.
    pub(crate) fn text(&self, bytes: &[u8], pc: u64) -> Option<String> {
        let insns = self.cs.disasm_count(bytes, pc, 1).ok()?;
        let insn = insns.iter().next()?;
        Some(match insn.op_str() {
            Some(ops) if !ops.is_empty() => format!("{} {}", insn.mnemonic().unwrap_or("?"), ops),
            _ => insn.mnemonic().unwrap_or("?").to_string(),
        })
    }

    /// Addresses and ids of the instructions found by a linear sweep of `code` at `base`.
    /// Undecodable bytes are skipped one at a time.
    pub(crate) fn sweep(&self, code: &[u8], base: u64) -> Vec<(u64, u32, u64)> {
        let mut out = Vec::new();
        let mut off = 0usize;
        while off < code.len() {
            match self.cs.disasm_all(&code[off..], base + off as u64) {
                Ok(insns) if !insns.is_empty() => {
                    let mut last_end = off;
                    for i in insns.iter() {
                        out.push((i.address(), i.id().0, i.len() as u64));
                        last_end = (i.address() - base) as usize + i.len();
                    }
                    off = last_end.max(off + 1);
                    // capstone stops at the first undecodable byte; skip it.
                    if off < code.len() {
                        off += 1;
                    }
                }
                _ => off += 1,
            }
        }
        out
    }

    /// Number of instructions in `code` (a translated block).
    pub(crate) fn count(&self, code: &[u8], base: u64) -> u64 {
        self.cs.disasm_all(code, base).map(|i| i.len() as u64).unwrap_or(1).max(1)
    }

    fn name(&self, r: RegId) -> Option<String> {
        if r.0 == 0 {
            None
        } else {
            self.cs.reg_name(r)
        }
    }
}
