//! The interrupt request level: CR8 on x64 (drivers read and write it inline, and the
//! machine mediates those instructions), KPCR.Irql on x86 (through the HAL's routines).
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KPCR};

pub const PASSIVE_LEVEL: u8 = 0;
pub const DISPATCH_LEVEL: u8 = 2;
pub const HIGH_LEVEL: u8 = 15;

pub fn current(k: &Kx) -> KResult<u8> {
    Ok(match k.arch() {
        Arch::X64 => k.guest().cpu.cr8 as u8,
        Arch::X86 => k.mem().get(k.ext().system.kpcr, KPCR::IrqlX86)? as u8,
    })
}

pub fn set(k: &mut Kx, irql: u8) -> KResult<()> {
    match k.arch() {
        Arch::X64 => k.guest_mut().cpu.cr8 = irql as u64 & 0xF,
        Arch::X86 => {
            let kpcr = k.ext().system.kpcr;
            k.mem_mut().set(kpcr, KPCR::IrqlX86, irql as u64)?;
        }
    }
    Ok(())
}

/// KIRQL KeGetCurrentIrql(void)
pub fn KeGetCurrentIrql(k: &mut Kx) -> KResult<u8> {
    current(k)
}

/// KIRQL KfRaiseIrql(KIRQL NewIrql) (fastcall, x86 HAL). Lowering through it bugchecks.
pub fn KfRaiseIrql(k: &mut Kx, new: u8) -> KResult<u8> {
    let old = current(k)?;
    if new < old {
        let b = Bugcheck {
            code: 0x9,
            name: "IRQL_NOT_GREATER_OR_EQUAL",
            params: [old as u64, new as u64, 0, 9],
            caller: caller(k),
            reason: format!("KfRaiseIrql({new}) at IRQL {old}"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    set(k, new)?;
    Ok(old)
}

/// VOID KfLowerIrql(KIRQL NewIrql) (fastcall, x86 HAL). Raising through it bugchecks.
pub fn KfLowerIrql(k: &mut Kx, new: u8) -> KResult<()> {
    let old = current(k)?;
    if new > old {
        let b = Bugcheck {
            code: 0xA,
            name: "IRQL_NOT_LESS_OR_EQUAL",
            params: [new as u64, old as u64, 0, 9],
            caller: caller(k),
            reason: format!("KfLowerIrql({new}) at IRQL {old}"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    set(k, new)
}

/// KIRQL KeRaiseIrqlToDpcLevel(void) (x86 HAL)
pub fn KeRaiseIrqlToDpcLevel(k: &mut Kx) -> KResult<u8> {
    KfRaiseIrql(k, DISPATCH_LEVEL)
}
