//! The interrupt request level: CR8 on x64 (drivers read and write it inline, and the
//! machine mediates those instructions), KPCR.Irql of the processor on x86 (through the
//! HAL's routines). Lowering it below DISPATCH_LEVEL through a routine lets queued DPCs run,
//! as the DPC interrupt does on Windows (an inline `mov cr8` on x64 lowers it silently: the
//! DPCs then run at the next point the scheduler switches).
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::ke::processor::current_kpcr;
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KPCR};
use crate::types::Ptr;

pub const PASSIVE_LEVEL: u8 = 0;
pub const APC_LEVEL: u8 = 1;
pub const DISPATCH_LEVEL: u8 = 2;
pub const HIGH_LEVEL: u8 = 15;

/// SYNCH_LEVEL: 27 on x86 multiprocessor kernels, 12 on x64.
pub fn synch_level(arch: Arch) -> u8 {
    match arch {
        Arch::X86 => 27,
        Arch::X64 => 12,
    }
}

pub fn current(k: &Kx) -> KResult<u8> {
    Ok(match k.arch() {
        Arch::X64 => k.guest().cpu.cr8 as u8,
        Arch::X86 => k.mem().get(current_kpcr(k), KPCR::IrqlX86)? as u8,
    })
}

pub fn set(k: &mut Kx, irql: u8) -> KResult<()> {
    match k.arch() {
        Arch::X64 => k.guest_mut().cpu.cr8 = irql as u64 & 0xF,
        Arch::X86 => {
            let at = current_kpcr(k);
            k.mem_mut().set(at, KPCR::IrqlX86, irql as u64)?;
        }
    }
    Ok(())
}

/// Raises to `new`; lowering through a raise is IRQL_NOT_GREATER_OR_EQUAL.
pub fn raise(k: &mut Kx, new: u8, what: &str) -> KResult<u8> {
    let old = current(k)?;
    if new < old {
        let b = Bugcheck {
            code: 0x9,
            name: "IRQL_NOT_GREATER_OR_EQUAL",
            params: [old as u64, new as u64, 0, 9],
            caller: caller(k),
            reason: format!("{what}({new}) at IRQL {old}"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    set(k, new)?;
    Ok(old)
}

/// Lowers to `new`; raising through a lower is IRQL_NOT_LESS_OR_EQUAL. Dropping below
/// DISPATCH_LEVEL lets queued DPCs run once the call returns.
pub fn lower(k: &mut Kx, new: u8, what: &str) -> KResult<()> {
    let old = current(k)?;
    if new > old {
        let b = Bugcheck {
            code: 0xA,
            name: "IRQL_NOT_LESS_OR_EQUAL",
            params: [new as u64, old as u64, 0, 9],
            caller: caller(k),
            reason: format!("{what}({new}) at IRQL {old}"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    set(k, new)?;
    if new < old {
        // An interrupt held back by the raised level is taken now.
        crate::io::interrupt::deliver(k)?;
    }
    if new < DISPATCH_LEVEL && old >= DISPATCH_LEVEL {
        super::scheduler::deliver_after_call(k);
    }
    if new < APC_LEVEL && old >= APC_LEVEL {
        // The APC interrupt held back by the raised level is taken now.
        super::apc::deliver(k)?;
    }
    Ok(())
}

/// KIRQL KeGetCurrentIrql(void)
pub fn KeGetCurrentIrql(k: &mut Kx) -> KResult<u8> {
    current(k)
}

/// KIRQL KfRaiseIrql(KIRQL NewIrql) (fastcall on x86).
pub fn KfRaiseIrql(k: &mut Kx, new: u8) -> KResult<u8> {
    raise(k, new, "KfRaiseIrql")
}

/// VOID KfLowerIrql(KIRQL NewIrql) (fastcall, x86 HAL).
pub fn KfLowerIrql(k: &mut Kx, new: u8) -> KResult<()> {
    lower(k, new, "KfLowerIrql")
}

/// VOID KeLowerIrql(KIRQL NewIrql): the exported function form.
pub fn KeLowerIrql(k: &mut Kx, new: u8) -> KResult<()> {
    lower(k, new, "KeLowerIrql")
}

/// VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql) (x86 HAL): the old level goes to *OldIrql.
pub fn KeRaiseIrql(k: &mut Kx, new: u8, old: Ptr) -> KResult<()> {
    let was = raise(k, new, "KeRaiseIrql")?;
    k.mem_mut().write_u8(old.0, was)?;
    Ok(())
}

/// KIRQL KeRaiseIrqlToDpcLevel(void)
pub fn KeRaiseIrqlToDpcLevel(k: &mut Kx) -> KResult<u8> {
    raise(k, DISPATCH_LEVEL, "KeRaiseIrqlToDpcLevel")
}

/// KIRQL KeRaiseIrqlToSynchLevel(void)
pub fn KeRaiseIrqlToSynchLevel(k: &mut Kx) -> KResult<u8> {
    let level = synch_level(k.arch());
    raise(k, level, "KeRaiseIrqlToSynchLevel")
}
