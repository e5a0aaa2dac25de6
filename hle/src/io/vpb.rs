//! The VPB spin lock: IoAcquireVpbSpinLock and IoReleaseVpbSpinLock. One system-wide lock
//! guards every volume parameter block (a file system driver takes it to read or change a
//! VPB's DeviceObject, ReferenceCount or Flags); like the cancel spin lock it raises to
//! DISPATCH_LEVEL, and the kernel keeps who holds it rather than a lock word in memory.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::types::Ptr;

const DISPATCH_LEVEL: u8 = 2;

fn bugcheck(k: &mut Kx, code: u32, name: &'static str, reason: &str) -> KError {
    let at = caller(k);
    KError::Stop(bugcheck_stop(k, Bugcheck { code, name, params: [0; 4], caller: at, reason: reason.into() }))
}

/// VOID IoAcquireVpbSpinLock(PKIRQL Irql): the IRQL to give back goes to *Irql.
pub fn IoAcquireVpbSpinLock(k: &mut Kx, irql: Ptr) -> KResult<()> {
    if k.ext().io.vpb_lock.is_some() {
        let reason = "the VPB spin lock acquired again by its holder (a deadlock on a real system)";
        return Err(bugcheck(k, 0x0F, "SPIN_LOCK_ALREADY_OWNED", reason));
    }
    let old = crate::ke::irql::current(k)?;
    k.mem_mut().write(irql.0, &[old])?;
    if old < DISPATCH_LEVEL {
        crate::ke::irql::set(k, DISPATCH_LEVEL)?;
    }
    k.ext_mut().io.vpb_lock = Some(old);
    Ok(())
}

/// VOID IoReleaseVpbSpinLock(KIRQL Irql)
pub fn IoReleaseVpbSpinLock(k: &mut Kx, irql: u8) -> KResult<()> {
    if k.ext_mut().io.vpb_lock.take().is_none() {
        return Err(bugcheck(k, 0x10, "SPIN_LOCK_NOT_OWNED", "IoReleaseVpbSpinLock without the VPB spin lock held"));
    }
    crate::ke::irql::set(k, irql)
}
