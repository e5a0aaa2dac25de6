//! Stores the kernel completes on a driver's behalf: an instruction whose write faulted on
//! memory the host keeps (the page-table self-map), computed from the instruction and the
//! registers so the kernel can apply it its own way and resume after it.

use capstone::arch::x86::X86Insn as I;

use crate::decode::Operand;
use crate::machine::{Extension, Machine};
use crate::privileged::{effective_address, get_gpr, gpr};

/// What an instruction writes to memory, and the state it leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Store {
    /// Where, how many bytes (1, 2, 4 or 8) and what.
    pub address: u64,
    pub size: u8,
    pub value: u64,
    /// The instruction's length: execution goes on after it.
    pub len: u64,
    /// The flags register after it (a logic operation sets ZF, SF and PF and clears CF and
    /// OF; `mov` changes none).
    pub flags: u64,
}

const CF: u64 = 1;
const PF: u64 = 1 << 2;
const ZF: u64 = 1 << 6;
const SF: u64 = 1 << 7;
const OF: u64 = 1 << 11;

impl<X: Extension> Machine<X> {
    /// The store the instruction at `pc` makes: `mov`, `or`, `and` or `xor` of a register or
    /// an immediate into a memory operand, the old value read where it points. Anything
    /// else is named in the error.
    pub fn emulate_store(&self, pc: u64) -> Result<Store, String> {
        let g = self.guest();
        let bytes = g.mem.read_partial(pc, 15);
        let text = g.decoder.text(&bytes, pc).unwrap_or_else(|| "an undecodable instruction".into());
        let unsupported = || format!("`{text}`, a store the kernel cannot complete");
        let d = g.decoder.decode(&bytes, pc).ok_or_else(unsupported)?;
        let insn = g.decoder.memory_uses(&bytes, pc, 1).into_iter().next().ok_or_else(unsupported)?;
        let [target] = insn.uses.as_slice() else { return Err(unsupported()) };
        let size = target.size;
        if !target.write || !matches!(size, 1 | 2 | 4 | 8) {
            return Err(unsupported());
        }
        let mask = if size == 8 { u64::MAX } else { (1u64 << (size * 8)) - 1 };
        let source = match d.operands.as_slice() {
            [Operand::Mem(_), Operand::Reg(r)] if gpr(r).is_some() => get_gpr(self, r) & mask,
            [Operand::Mem(_), Operand::Imm(i)] => (*i as u64) & mask,
            _ => return Err(unsupported()),
        };
        let address = effective_address(self, &target.operand, pc + d.len);
        let mut old = [0u8; 8];
        g.mem.read(address, &mut old[..size as usize]).map_err(|e| format!("`{text}`: {e}"))?;
        let old = u64::from_le_bytes(old);
        let flags = self.reg(crate::arch::Reg::Flags);
        let (value, logic) = if d.is(I::X86_INS_MOV) {
            (source, false)
        } else if d.is(I::X86_INS_OR) {
            (old | source, true)
        } else if d.is(I::X86_INS_AND) {
            (old & source, true)
        } else if d.is(I::X86_INS_XOR) {
            (old ^ source, true)
        } else {
            return Err(unsupported());
        };
        let flags = if logic {
            let mut f = flags & !(CF | PF | ZF | SF | OF);
            if value == 0 {
                f |= ZF;
            }
            if value >> (size * 8 - 1) & 1 == 1 {
                f |= SF;
            }
            if (value as u8).count_ones().is_multiple_of(2) {
                f |= PF;
            }
            f
        } else {
            flags
        };
        Ok(Store { address, size, value, len: d.len, flags })
    }
}
