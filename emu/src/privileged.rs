//! Mediation of privileged instructions.
//!
//! Driver code runs at CPL3, so each privileged instruction raises #GP before it does
//! anything. The interrupt hook lands here: the instruction is decoded (capstone), applied
//! to the virtual CPU, traced, and RIP moves past it. Anything that is not a privileged
//! instruction the machine emulates stays a #GP and ends the run as a guest fault.
//! `cpuid`, `rdtsc` and `rdtscp` never fault; they arrive through instruction hooks.

use std::ffi::c_void;

use capstone::arch::x86::X86Insn as I;
use unicorn_engine::RegisterX86 as UcReg;

use crate::arch::{flags, Arch, Reg};
use crate::cpu::msr::{IA32_FS_BASE, IA32_GS_BASE, IA32_KERNEL_GS_BASE, IA32_TIME_STAMP_COUNTER, IA32_TSC_AUX};
use crate::cpu::{MsrFault, TableRegister};
use crate::decode::{Decoded, MemOperand, Operand};
use crate::exception::{self, GuestException, Hook};
use crate::fault::FaultKind;
use crate::machine::{Extension, Guest, Machine, Privilege, Stop};
use crate::trace::{Event, Privileged, PrivilegedEvent};

/// A clock tick: what `hlt` with interrupts enabled waits for (15.625 ms, 64 Hz).
const TICK_NS: u64 = 15_625_000;

/// The engine's interrupt hook.
pub(crate) fn on_interrupt<X: Extension>(m: &mut Machine<X>, intno: u32) {
    let pc = m.reg(Reg::Ip);
    if !m.guest().stopping {
        let exception = match intno {
            13 => general_protection(m, pc),
            // int3 / int N / into: Unicorn has already moved RIP past the instruction.
            3 | 4 => {
                let at = software_interrupt_pc(m, pc);
                Some(plain(FaultKind::from_vector(intno, 0), at, pc - at))
            }
            v if v >= 0x20 => {
                let at = software_interrupt_pc(m, pc);
                Some(plain(FaultKind::SoftwareInterrupt { vector: v as u8 }, at, pc - at))
            }
            // `int N` for a low vector (kernel code's `int 8` vectors through the double-fault
            // handler): Unicorn moved RIP past the two-byte instruction.
            v if m.mem().read_u16(pc.wrapping_sub(2)).ok() == Some(0xCD | (v as u16) << 8) => {
                Some(plain(FaultKind::from_vector(v, 0), pc.wrapping_sub(2), 2))
            }
            v => {
                let cr2 = m.guest().uc.reg(UcReg::CR2);
                let mut e = m.exception_at(FaultKind::from_vector(v, cr2), pc);
                if v == 14 {
                    m.guest_mut().cpu.cr2 = cr2;
                    crate::physical::engine::note_denied_fault(m, &mut e);
                }
                Some(e)
            }
        };
        if let Some(e) = exception {
            // Clears the engine's exception in flight itself, before the layer above runs
            // guest code; nothing raises one again after that (see quirk 2).
            exception::raise(m, e, Hook::Interrupt);
            return;
        }
    }
    let g = m.guest();
    g.exceptions.reset(g.uc);
}

/// An exception with nothing known beyond its vector and place.
fn plain(kind: FaultKind, pc: u64, length: u64) -> GuestException {
    GuestException { kind, pc, length, access: None, privileged: false, reason: String::new() }
}

/// The engine's invalid-instruction hook. QEMU raises #UD (not #GP) for `rdpmc`, which it
/// does not implement, and for `rdtscp` on this CPU model; both are mediated here like the
/// #GP ones. Anything else is a guest #UD. Returns whether execution may continue.
pub(crate) fn on_invalid<X: Extension>(m: &mut Machine<X>) -> bool {
    let pc = m.reg(Reg::Ip);
    if m.guest().stopping {
        return false;
    }
    let bytes = m.mem().read_partial(pc, 15);
    let insn = m.guest().decoder.decode(&bytes, pc);
    let action = match &insn {
        Some(d) if d.is(I::X86_INS_RDPMC) => {
            let counter = m.reg(Reg::Cx) as u32;
            // No performance counters are modelled: they read as zero.
            m.set_reg(Reg::Ax, 0);
            m.set_reg(Reg::Dx, 0);
            Privileged::Rdpmc { counter, value: 0 }
        }
        Some(d) if d.is(I::X86_INS_RDTSCP) => {
            let g = m.guest_mut();
            let value = g.cpu.clock.read_tsc();
            let aux = g.cpu.msrs.read(IA32_TSC_AUX).unwrap_or(0) as u32;
            m.set_reg(Reg::Ax, value & 0xFFFF_FFFF);
            m.set_reg(Reg::Dx, value >> 32);
            m.set_reg(Reg::Cx, aux as u64);
            Privileged::Rdtscp { value, aux }
        }
        _ => {
            let length = insn.as_ref().map_or(0, |d| d.len);
            return exception::raise(m, plain(FaultKind::InvalidOpcode, pc, length), Hook::Interrupt);
        }
    };
    let insn = insn.expect("matched above");
    let g = m.guest_mut();
    g.trace.counters.privileged += 1;
    if g.trace.record_privileged {
        g.trace.push(Event::Privileged(PrivilegedEvent { pc, text: insn.text.clone(), action }));
    }
    m.set_reg(Reg::Ip, pc + insn.len);
    true
}

/// Where a software interrupt instruction that Unicorn stepped over began.
fn software_interrupt_pc<X: Extension>(m: &Machine<X>, next: u64) -> u64 {
    let before = m.mem().read_u8(next.wrapping_sub(1)).unwrap_or(0);
    let two_before = m.mem().read_u8(next.wrapping_sub(2)).unwrap_or(0);
    if two_before == 0xCD {
        next.wrapping_sub(2)
    } else if matches!(before, 0xCC | 0xCE | 0xF1) {
        next.wrapping_sub(1)
    } else {
        next.wrapping_sub(2)
    }
}

/// A #GP: a privileged instruction the machine mediates (and the guest goes on), or an
/// exception to raise.
fn general_protection<X: Extension>(m: &mut Machine<X>, pc: u64) -> Option<GuestException> {
    let bytes = m.mem().read_partial(pc, 15);
    let Some(insn) = m.guest().decoder.decode(&bytes, pc) else {
        return Some(m.exception_at(FaultKind::GeneralProtection, pc));
    };
    if m.guest().privilege == Privilege::User {
        // User code: nothing is mediated. The layer above tells a privileged instruction
        // from other #GPs by `privileged` (Windows raises STATUS_PRIVILEGED_INSTRUCTION for
        // the first, STATUS_ACCESS_VIOLATION for the rest).
        let mut e = m.exception_at(FaultKind::GeneralProtection, pc);
        e.privileged = is_privileged(&insn);
        e.reason = format!("{} at CPL3", insn.text);
        return Some(e);
    }
    match emulate(m, &insn, pc) {
        Ok(Some(action)) => {
            let g = m.guest_mut();
            g.trace.counters.privileged += 1;
            if g.trace.record_privileged {
                g.trace.push(Event::Privileged(PrivilegedEvent { pc, text: insn.text.clone(), action }));
            }
            let next = pc.wrapping_add(insn.len);
            m.set_reg(Reg::Ip, next);
            None
        }
        Ok(None) => Some(plain(FaultKind::GeneralProtection, pc, insn.len)),
        Err(Raise::Fault(action, reason)) => {
            let g = m.guest_mut();
            g.trace.counters.privileged += 1;
            if let (true, Some(action)) = (g.trace.record_privileged, action) {
                g.trace.push(Event::Privileged(PrivilegedEvent { pc, text: insn.text.clone(), action }));
            }
            let mut e = plain(FaultKind::GeneralProtection, pc, insn.len);
            e.privileged = true;
            e.reason = reason;
            Some(e)
        }
        Err(Raise::Halt(action)) => {
            let g = m.guest_mut();
            if g.trace.record_privileged {
                g.trace.push(Event::Privileged(PrivilegedEvent { pc, text: insn.text.clone(), action }));
            }
            m.request_stop(Stop::Halted { pc });
            None
        }
    }
}

enum Raise {
    /// #GP in the guest, with the attempted action (for the trace) and a reason.
    Fault(Option<Privileged>, String),
    /// `hlt` with interrupts disabled.
    Halt(Privileged),
}

/// Applies one trapped instruction. `Ok(None)`: not a privileged instruction we emulate.
fn emulate<X: Extension>(m: &mut Machine<X>, insn: &Decoded, pc: u64) -> Result<Option<Privileged>, Raise> {
    let arch = m.arch();
    let action = if insn.is(I::X86_INS_RDMSR) {
        let msr = m.reg(Reg::Cx) as u32;
        match read_msr(m, msr) {
            Ok(v) => {
                m.set_reg(Reg::Ax, v & 0xFFFF_FFFF);
                m.set_reg(Reg::Dx, v >> 32);
                Privileged::Rdmsr { msr, value: Some(v) }
            }
            Err(f) => {
                let why = if f == MsrFault::WriteOnly { "write-only" } else { "unimplemented" };
                return Err(Raise::Fault(
                    Some(Privileged::Rdmsr { msr, value: None }),
                    format!("rdmsr of {why} MSR {msr:#x}"),
                ));
            }
        }
    } else if insn.is(I::X86_INS_WRMSR) {
        let msr = m.reg(Reg::Cx) as u32;
        let value = (m.reg(Reg::Dx) & 0xFFFF_FFFF) << 32 | (m.reg(Reg::Ax) & 0xFFFF_FFFF);
        match write_msr(m, msr, value) {
            Ok(()) => Privileged::Wrmsr { msr, value, accepted: true },
            Err(f) => {
                let why = match f {
                    MsrFault::Unknown => "unimplemented",
                    MsrFault::ReadOnly => "read-only",
                    MsrFault::WriteOnly => "write-only",
                };
                return Err(Raise::Fault(
                    Some(Privileged::Wrmsr { msr, value, accepted: false }),
                    format!("wrmsr to {why} MSR {msr:#x}"),
                ));
            }
        }
    } else if insn.is(I::X86_INS_CLI) {
        set_interrupt_flag(m, false);
        Privileged::Cli
    } else if insn.is(I::X86_INS_STI) {
        set_interrupt_flag(m, true);
        Privileged::Sti
    } else if insn.is(I::X86_INS_HLT) {
        if !m.guest().cpu.interrupts_enabled {
            return Err(Raise::Halt(Privileged::Hlt { resumed: false }));
        }
        m.guest_mut().cpu.clock.advance_ns(TICK_NS);
        Privileged::Hlt { resumed: true }
    } else if insn.is(I::X86_INS_MOV) {
        match (&insn.operands[..], arch) {
            ([Operand::Reg(dst), Operand::Reg(src)], _) => {
                if let Some(cr) = numbered(src, "cr") {
                    let value = read_cr(m, cr).ok_or_else(|| undefined_register(src))?;
                    set_gpr(m, dst, value);
                    Privileged::ReadCr { cr, value }
                } else if let Some(cr) = numbered(dst, "cr") {
                    let value = get_gpr(m, src);
                    write_cr(m, cr, value).ok_or_else(|| undefined_register(dst))?;
                    Privileged::WriteCr { cr, value }
                } else if let Some(dr) = numbered(src, "dr") {
                    let value = m.guest().cpu.dr[dr as usize & 7];
                    set_gpr(m, dst, value);
                    Privileged::ReadDr { dr, value }
                } else if let Some(dr) = numbered(dst, "dr") {
                    let value = get_gpr(m, src);
                    m.guest_mut().cpu.dr[dr as usize & 7] = value;
                    Privileged::WriteDr { dr, value }
                } else {
                    return Ok(None);
                }
            }
            _ => return Ok(None),
        }
    } else if insn.is(I::X86_INS_LGDT) || insn.is(I::X86_INS_LIDT) {
        let Some(Operand::Mem(mem)) = insn.operands.first() else {
            return Ok(None);
        };
        let ea = effective_address(m, mem, pc + insn.len);
        let limit = m.mem().read_u16(ea).map_err(|e| Raise::Fault(None, e.to_string()))?;
        let base = m.mem().read_ptr(ea + 2).map_err(|e| Raise::Fault(None, e.to_string()))?;
        let t = TableRegister { base, limit };
        if insn.is(I::X86_INS_LGDT) {
            m.guest_mut().cpu.gdtr = t;
            Privileged::Lgdt { base, limit }
        } else {
            m.guest_mut().cpu.idtr = t;
            Privileged::Lidt { base, limit }
        }
    } else if insn.is(I::X86_INS_LLDT) || insn.is(I::X86_INS_LTR) {
        let selector = match insn.operands.first() {
            Some(Operand::Reg(r)) => get_gpr(m, r) as u16,
            Some(Operand::Mem(mem)) => {
                let ea = effective_address(m, mem, pc + insn.len);
                m.mem().read_u16(ea).map_err(|e| Raise::Fault(None, e.to_string()))?
            }
            _ => return Ok(None),
        };
        if insn.is(I::X86_INS_LLDT) {
            m.guest_mut().cpu.ldtr = selector;
            Privileged::Lldt { selector }
        } else {
            m.guest_mut().cpu.tr = selector;
            Privileged::Ltr { selector }
        }
    } else if insn.is(I::X86_INS_INVLPG) {
        let Some(Operand::Mem(mem)) = insn.operands.first() else {
            return Ok(None);
        };
        let address = effective_address(m, mem, pc + insn.len);
        m.guest_mut().cpu.cache_flushes += 1;
        Privileged::Invlpg { address }
    } else if insn.is(I::X86_INS_WBINVD) {
        m.guest_mut().cpu.cache_flushes += 1;
        Privileged::Wbinvd
    } else if insn.is(I::X86_INS_INVD) {
        m.guest_mut().cpu.cache_flushes += 1;
        Privileged::Invd
    } else if insn.is(I::X86_INS_SWAPGS) && arch == Arch::X64 {
        let g = m.guest_mut();
        let kernel = g.cpu.msrs.read(IA32_KERNEL_GS_BASE).unwrap_or(0);
        let current = g.uc.reg(UcReg::GS_BASE);
        g.uc.set_reg(UcReg::GS_BASE, kernel);
        g.cpu.msrs.set(IA32_KERNEL_GS_BASE, current, true);
        Privileged::Swapgs { gs_base: kernel }
    } else if insn.is(I::X86_INS_CLTS) {
        m.guest_mut().cpu.cr0 &= !(1 << 3);
        Privileged::Clts
    } else if insn.is(I::X86_INS_LMSW) {
        let value = match insn.operands.first() {
            Some(Operand::Reg(r)) => get_gpr(m, r) as u16,
            Some(Operand::Mem(mem)) => {
                let ea = effective_address(m, mem, pc + insn.len);
                m.mem().read_u16(ea).map_err(|e| Raise::Fault(None, e.to_string()))?
            }
            _ => return Ok(None),
        };
        // LMSW sets PE, MP, EM, TS; it can set PE but never clear it.
        let cpu = &mut m.guest_mut().cpu;
        cpu.cr0 = (cpu.cr0 & !0xE) | (value as u64 & 0xF) | (cpu.cr0 & 1);
        Privileged::Lmsw { value }
    } else {
        return Ok(None);
    };
    Ok(Some(action))
}

fn undefined_register(name: &str) -> Raise {
    Raise::Fault(None, format!("access to undefined register {name}"))
}

fn read_msr<X: Extension>(m: &mut Machine<X>, msr: u32) -> Result<u64, MsrFault> {
    let g = m.guest_mut();
    match msr {
        IA32_TIME_STAMP_COUNTER => Ok(g.cpu.clock.read_tsc()),
        IA32_FS_BASE if g.arch == Arch::X64 => Ok(g.uc.reg(UcReg::FS_BASE)),
        IA32_GS_BASE if g.arch == Arch::X64 => Ok(g.uc.reg(UcReg::GS_BASE)),
        crate::cpu::msr::IA32_MPERF | crate::cpu::msr::IA32_APERF => Ok(g.cpu.clock.cycles()),
        _ => g.cpu.msrs.read(msr),
    }
}

fn write_msr<X: Extension>(m: &mut Machine<X>, msr: u32, value: u64) -> Result<(), MsrFault> {
    let g = m.guest_mut();
    match msr {
        IA32_TIME_STAMP_COUNTER => {
            g.cpu.clock.set_cycles(value);
            Ok(())
        }
        IA32_FS_BASE if g.arch == Arch::X64 => {
            g.uc.set_reg(UcReg::FS_BASE, value);
            Ok(())
        }
        IA32_GS_BASE if g.arch == Arch::X64 => {
            g.uc.set_reg(UcReg::GS_BASE, value);
            Ok(())
        }
        _ => g.cpu.msrs.write(msr, value),
    }
}

fn read_cr<X: Extension>(m: &Machine<X>, cr: u8) -> Option<u64> {
    let c = &m.guest().cpu;
    match cr {
        0 => Some(c.cr0),
        2 => Some(c.cr2),
        3 => Some(c.cr3),
        4 => Some(c.cr4),
        8 if m.arch() == Arch::X64 => Some(c.cr8),
        _ => None,
    }
}

fn write_cr<X: Extension>(m: &mut Machine<X>, cr: u8, value: u64) -> Option<()> {
    let arch = m.arch();
    let c = &mut m.guest_mut().cpu;
    match cr {
        0 => c.cr0 = value,
        2 => c.cr2 = value,
        3 => c.cr3 = value,
        4 => c.cr4 = value,
        8 if arch == Arch::X64 => c.cr8 = value & 0xF,
        _ => return None,
    }
    Some(())
}

/// Virtual IF, mirrored into the real EFLAGS.IF so `pushf` shows what the guest expects.
fn set_interrupt_flag<X: Extension>(m: &mut Machine<X>, enabled: bool) {
    m.guest_mut().cpu.interrupts_enabled = enabled;
    let f = m.reg(Reg::Flags);
    m.set_reg(Reg::Flags, if enabled { f | flags::IF } else { f & !flags::IF });
}

/// A `popf` is about to run: take IF from the value it pops (see `Machine::watch_popf`).
pub(crate) fn on_popf<X: Extension>(m: &mut Machine<X>, pc: u64) {
    let bytes = m.mem().read_partial(pc, 4);
    let is_popf = m
        .guest()
        .decoder
        .decode(&bytes, pc)
        .is_some_and(|d| d.is(I::X86_INS_POPF) || d.is(I::X86_INS_POPFD) || d.is(I::X86_INS_POPFQ));
    if !is_popf || m.guest().stopping {
        return;
    }
    let sp = m.reg(Reg::Sp);
    let Ok(popped) = m.mem().read_u16(sp) else { return };
    let enabled = popped as u64 & flags::IF != 0;
    let changed = enabled != m.guest().cpu.interrupts_enabled;
    set_interrupt_flag(m, enabled);
    let g = m.guest_mut();
    g.trace.counters.privileged += 1;
    if g.trace.record_privileged && changed {
        let text = g.decoder.text(&bytes, pc).unwrap_or_else(|| "popf".into());
        g.trace.push(Event::Privileged(PrivilegedEvent {
            pc,
            text,
            action: Privileged::Popf { interrupts_enabled: enabled },
        }));
    }
}

fn numbered(name: &str, prefix: &str) -> Option<u8> {
    name.strip_prefix(prefix)?.parse().ok()
}

pub(crate) fn gpr(name: &str) -> Option<UcReg> {
    use UcReg::*;
    Some(match name {
        "rax" => RAX,
        "rbx" => RBX,
        "rcx" => RCX,
        "rdx" => RDX,
        "rsi" => RSI,
        "rdi" => RDI,
        "rbp" => RBP,
        "rsp" => RSP,
        "r8" => R8,
        "r9" => R9,
        "r10" => R10,
        "r11" => R11,
        "r12" => R12,
        "r13" => R13,
        "r14" => R14,
        "r15" => R15,
        "eax" => EAX,
        "ebx" => EBX,
        "ecx" => ECX,
        "edx" => EDX,
        "esi" => ESI,
        "edi" => EDI,
        "ebp" => EBP,
        "esp" => ESP,
        "r8d" => R8D,
        "r9d" => R9D,
        "r10d" => R10D,
        "r11d" => R11D,
        "r12d" => R12D,
        "r13d" => R13D,
        "r14d" => R14D,
        "r15d" => R15D,
        "ax" => AX,
        "bx" => BX,
        "cx" => CX,
        "dx" => DX,
        "si" => SI,
        "di" => DI,
        "bp" => BP,
        "sp" => SP,
        "rip" => RIP,
        "eip" => EIP,
        _ => return None,
    })
}

pub(crate) fn get_gpr<X: Extension>(m: &Machine<X>, name: &str) -> u64 {
    gpr(name).map(|r| m.guest().uc.reg(r)).unwrap_or(0)
}

/// Writes a general-purpose register with x86 semantics: a 32-bit write in 64-bit mode
/// clears the upper half.
fn set_gpr<X: Extension>(m: &mut Machine<X>, name: &str, value: u64) {
    let g = m.guest();
    let Some(r) = gpr(name) else { return };
    if g.arch == Arch::X64 && name.starts_with('e') {
        if let Some(wide) = gpr(&format!("r{}", &name[1..])) {
            g.uc.set_reg(wide, value & 0xFFFF_FFFF);
            return;
        }
    }
    g.uc.set_reg(r, value);
}

pub(crate) fn effective_address<X: Extension>(m: &Machine<X>, mem: &MemOperand, next_pc: u64) -> u64 {
    let reg = |name: &Option<String>| match name.as_deref() {
        None => 0,
        Some("rip") | Some("eip") => next_pc,
        Some(n) => get_gpr(m, n),
    };
    let seg = match mem.segment.as_deref() {
        Some("gs") if m.arch() == Arch::X64 => m.guest().uc.reg(UcReg::GS_BASE),
        Some("fs") if m.arch() == Arch::X64 => m.guest().uc.reg(UcReg::FS_BASE),
        Some("fs") => m.guest().uc.reg(UcReg::FS_BASE),
        _ => 0,
    };
    let ea = seg
        .wrapping_add(reg(&mem.base))
        .wrapping_add(reg(&mem.index).wrapping_mul(mem.scale.max(1) as u64))
        .wrapping_add(mem.disp as u64);
    m.arch().mask(ea)
}

/// Recovers the guest state from a raw hook's user data.
///
/// # Safety
/// `data` must be the `Guest<X>` pointer the hook was installed with.
unsafe fn guest<'a, X: Extension>(data: *mut c_void) -> &'a mut Guest<X> {
    &mut *(data as *mut Guest<X>)
}

fn pc_of<X: Extension>(g: &Guest<X>) -> u64 {
    g.uc.reg(Reg::Ip.uc(g.arch).unwrap())
}

fn set32<X: Extension>(g: &Guest<X>, r: Reg, v: u32) {
    g.uc.set_reg(r.uc(g.arch).unwrap(), v as u64);
}

/// CPUID hook: answers from the configured identity. Returns 1: skip the engine's own.
pub(crate) extern "C" fn on_cpuid<X: Extension>(_uc: *mut unicorn_engine::uc_engine, data: *mut c_void) -> i32 {
    // SAFETY: installed by `Machine::install_hooks` with the guest pointer.
    let g = unsafe { guest::<X>(data) };
    let leaf = g.uc.reg(Reg::Ax.uc(g.arch).unwrap()) as u32;
    let subleaf = g.uc.reg(Reg::Cx.uc(g.arch).unwrap()) as u32;
    let result = g.cpu.identity.leaf(leaf, subleaf);
    if leaf == 1 {
        g.cpu.msrs.cpuid_leaf1();
    }
    for (r, v) in [Reg::Ax, Reg::Bx, Reg::Cx, Reg::Dx].into_iter().zip(result) {
        set32(g, r, v);
    }
    g.trace.counters.privileged += 1;
    if g.trace.record_privileged {
        let pc = pc_of(g);
        g.trace.push(Event::Privileged(PrivilegedEvent {
            pc,
            text: "cpuid".into(),
            action: Privileged::Cpuid { leaf, subleaf, result },
        }));
    }
    1
}

/// RDTSC hook: the virtual clock. Returns 1: skip the engine's host-time TSC.
pub(crate) extern "C" fn on_rdtsc<X: Extension>(_uc: *mut unicorn_engine::uc_engine, data: *mut c_void) -> i32 {
    // SAFETY: installed by `Machine::install_hooks` with the guest pointer.
    let g = unsafe { guest::<X>(data) };
    let value = g.cpu.clock.read_tsc();
    set32(g, Reg::Ax, value as u32);
    set32(g, Reg::Dx, (value >> 32) as u32);
    g.trace.counters.privileged += 1;
    if g.trace.record_privileged {
        let pc = pc_of(g);
        g.trace.push(Event::Privileged(PrivilegedEvent {
            pc,
            text: "rdtsc".into(),
            action: Privileged::Rdtsc { value },
        }));
    }
    1
}

/// Whether a #GP at CPL3 comes from an instruction only CPL0 (or IOPL) may run.
fn is_privileged(insn: &Decoded) -> bool {
    use I::*;
    const PRIVILEGED: &[I] = &[
        X86_INS_IN,
        X86_INS_OUT,
        X86_INS_INSB,
        X86_INS_INSW,
        X86_INS_INSD,
        X86_INS_OUTSB,
        X86_INS_OUTSW,
        X86_INS_OUTSD,
        X86_INS_CLI,
        X86_INS_STI,
        X86_INS_HLT,
        X86_INS_RDMSR,
        X86_INS_WRMSR,
        X86_INS_LGDT,
        X86_INS_LIDT,
        X86_INS_LLDT,
        X86_INS_LTR,
        X86_INS_LMSW,
        X86_INS_CLTS,
        X86_INS_INVD,
        X86_INS_WBINVD,
        X86_INS_INVLPG,
        X86_INS_RDPMC,
        X86_INS_SWAPGS,
        X86_INS_SYSEXIT,
        X86_INS_SYSRET,
    ];
    let control_register = |t: &str| {
        let b = t.as_bytes();
        b.len() >= 3 && (b[0] == b'c' || b[0] == b'd') && b[1] == b'r' && b[2..].iter().all(u8::is_ascii_digit)
    };
    PRIVILEGED.iter().any(|i| insn.is(*i))
        || insn.text.starts_with("mov") && insn.text.split(|c: char| !c.is_ascii_alphanumeric()).any(control_register)
}
