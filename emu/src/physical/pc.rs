//! Which instruction made an MMIO access.
//!
//! Unicorn calls an MMIO region's callbacks from inside translated code without bringing the
//! program counter up to date: RIP holds whatever the last synchronisation point left there,
//! and chained blocks skip even the block-exit update. A block hook (the instruction budget's,
//! or one the machine adds once device memory is mapped while the trace records MMIO) makes
//! Unicorn store the block's start in RIP before the block runs, and guest registers are
//! written back before every memory access. So: decode the block from RIP, compute each
//! memory operand's address with the current registers, and the first instruction whose
//! operand covers the accessed physical address, in the access's direction, made it. An
//! instruction that already made that access in this run of the block is passed over (a
//! second read of the same register is the next instruction's), unless it repeats (`rep`).
//! Without a block hook RIP is the best there is: events then carry the last synchronised pc.
//! A run in quanta (the scheduler's) has Unicorn's per-instruction count hook, which keeps
//! RIP at each instruction: the decode then starts at the instruction itself, and what the
//! previous one made does not carry over (`last` belongs to the decode it was found in).

use std::rc::Rc;

use hashbrown::HashMap;

use crate::arch::Arch;
use crate::decode::{Decoder, MemInsn, MemOperand};
use crate::memory::GuestMemory;
use crate::uc::Uc;

/// Instructions decoded past a block's start when looking for the access.
const WINDOW: usize = 48;

#[derive(Default)]
pub(crate) struct Attribution {
    blocks: HashMap<u64, Rc<[MemInsn]>>,
    /// Where the decode started (RIP), the instruction (by index in that decode) the last
    /// access of the current run of the block was attributed to, and how many accesses it
    /// made so far.
    last: Option<(u64, usize, usize)>,
    /// RIP holds the block's start when a block runs (a block hook exists).
    pub(crate) synced: bool,
    /// Guest memory's code generation the decoded blocks belong to.
    generation: u64,
}

impl Attribution {
    pub(crate) fn new(synced: bool) -> Attribution {
        Attribution { synced, ..Default::default() }
    }

    /// A block starts running: accesses from here on belong to this run of it.
    pub(crate) fn block_started(&mut self) {
        self.last = None;
    }

    /// The pc of the instruction that accessed `pa` (reading or writing).
    pub(crate) fn attribute(
        &mut self,
        uc: Uc,
        arch: Arch,
        mem: &GuestMemory,
        decoder: &Decoder,
        pa: u64,
        write: bool,
    ) -> u64 {
        let ip = crate::arch::Reg::Ip.uc(arch).expect("every architecture has an ip");
        let start = arch.mask(uc.reg(ip));
        if !self.synced {
            return start;
        }
        if mem.code_generation() != self.generation {
            // Code was written since the blocks were decoded.
            self.blocks.clear();
            self.generation = mem.code_generation();
        }
        let insns = match self.blocks.get(&start) {
            Some(i) => i.clone(),
            None => {
                let code = mem.read_partial(start, WINDOW * 15);
                let decoded: Rc<[MemInsn]> = decoder.memory_uses(&code, start, WINDOW).into();
                self.blocks.insert(start, decoded.clone());
                decoded
            }
        };
        // Accesses follow program order: resume at the instruction that made the last one.
        let (from, made) = match self.last {
            Some((at, from, made)) if at == start => (from, made),
            _ => (0, 0),
        };
        for (i, insn) in insns.iter().enumerate().skip(from) {
            let addresses: Vec<Option<u64>> =
                insn.uses.iter().map(|u| effective(uc, arch, &u.operand, insn.pc + insn.len)).collect();
            if i == from && made > 0 && !insn.repeats {
                // How many accesses the instruction makes: each operand read and written,
                // in 4-byte parts past 4 bytes, twice when it straddles its alignment.
                let most: usize = insn
                    .uses
                    .iter()
                    .zip(&addresses)
                    .map(|(u, ea)| {
                        let size = u.size.max(1) as u64;
                        let parts = size.div_ceil(4) as usize + ea.is_some_and(|a| a % size.min(4) != 0) as usize;
                        (u.read as usize + u.write as usize) * parts
                    })
                    .sum();
                if made >= most {
                    continue;
                }
            }
            let hit = insn.uses.iter().zip(&addresses).any(|(u, ea)| {
                (if write { u.write } else { u.read })
                    && ea.and_then(|ea| mem.translate(ea)).is_some_and(|at| {
                        let size = u.size.max(1) as u64;
                        // The access overlaps the operand (QEMU splits wide or unaligned ones
                        // into aligned parts).
                        pa < at + size && at < pa + 4
                    })
            });
            if hit {
                self.last = Some((start, i, if i == from { made + 1 } else { 1 }));
                return insn.pc;
            }
        }
        start
    }
}

/// The address a memory operand names with the current registers.
fn effective(uc: Uc, arch: Arch, m: &MemOperand, next_pc: u64) -> Option<u64> {
    let reg = |name: &str| -> Option<u64> {
        if name == "rip" || name == "eip" {
            return Some(next_pc);
        }
        crate::privileged::gpr(name).map(|r| uc.reg(r))
    };
    let mut ea = m.disp as u64;
    if let Some(b) = &m.base {
        ea = ea.wrapping_add(reg(b)?);
    }
    if let Some(i) = &m.index {
        ea = ea.wrapping_add(reg(i)?.wrapping_mul(m.scale as u64));
    }
    match m.segment.as_deref() {
        Some("fs") => ea = ea.wrapping_add(uc.reg(unicorn_engine::RegisterX86::FS_BASE)),
        Some("gs") => ea = ea.wrapping_add(uc.reg(unicorn_engine::RegisterX86::GS_BASE)),
        _ => {}
    }
    Some(arch.mask(ea))
}
