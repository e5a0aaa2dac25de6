//! APC disabling: KeEnterCriticalRegion / KeLeaveCriticalRegion (normal kernel APCs),
//! KeEnterGuardedRegion / KeLeaveGuardedRegion (all APCs), KeAreApcsDisabled,
//! KeAreAllApcsDisabled. No APC is ever delivered here; the counts are kept because Windows
//! checks them: a request that returns to user mode with kernel APCs still disabled is
//! APC_INDEX_MISMATCH, a thread that ends with them disabled KERNEL_APC_PENDING_DURING_EXIT.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, Bugcheck, KError, KResult, Kx};
use crate::types::Boolean;

use super::irql::{self, APC_LEVEL};
use super::scheduler::{Cid, Thread};

fn with_thread(k: &mut Kx, f: impl FnOnce(&mut Thread)) {
    if let Some(t) = k.ext_mut().sched.current_mut().thread_mut() {
        f(t);
    }
}

/// VOID KeEnterCriticalRegion(void)
pub fn KeEnterCriticalRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.kernel_apc_disable += 1);
    Ok(())
}

/// VOID KeLeaveCriticalRegion(void)
pub fn KeLeaveCriticalRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.kernel_apc_disable -= 1);
    Ok(())
}

/// VOID KeEnterGuardedRegion(void)
pub fn KeEnterGuardedRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.special_apc_disable += 1);
    Ok(())
}

/// VOID KeLeaveGuardedRegion(void)
pub fn KeLeaveGuardedRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.special_apc_disable -= 1);
    Ok(())
}

fn counts(k: &Kx) -> (i32, i32) {
    k.ext().sched.current().thread().map(|t| (t.kernel_apc_disable, t.special_apc_disable)).unwrap_or((0, 0))
}

/// BOOLEAN KeAreApcsDisabled(void): in a critical or guarded region, or at APC_LEVEL or above.
pub fn KeAreApcsDisabled(k: &mut Kx) -> KResult<Boolean> {
    let (normal, special) = counts(k);
    Ok(Boolean(normal != 0 || special != 0 || irql::current(k)? >= APC_LEVEL))
}

/// BOOLEAN KeAreAllApcsDisabled(void): in a guarded region, or at APC_LEVEL or above.
pub fn KeAreAllApcsDisabled(k: &mut Kx) -> KResult<Boolean> {
    let (_, special) = counts(k);
    Ok(Boolean(special != 0 || irql::current(k)? >= APC_LEVEL))
}

/// A request returns to user mode: kernel APCs must be enabled again (APC_INDEX_MISMATCH).
pub fn check_at_return(k: &mut Kx) -> KResult<()> {
    let (normal, special) = counts(k);
    if normal != 0 || special != 0 {
        let b = Bugcheck {
            code: 0x1,
            name: "APC_INDEX_MISMATCH",
            params: [0, 0, ((special as u32 as u64) << 16) | (normal as u16 as u64), 0],
            caller: 0,
            reason: format!(
                "a request returned with kernel APCs disabled ({normal} critical, {special} guarded regions open)"
            ),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    Ok(())
}

/// A thread ends: its APCs must be enabled (KERNEL_APC_PENDING_DURING_EXIT).
pub(crate) fn check_at_exit(k: &mut Kx, cid: Cid) -> KResult<()> {
    let Some(t) = k.ext().sched.ctx(cid).thread() else { return Ok(()) };
    let (normal, thread) = (t.kernel_apc_disable, t.ethread);
    if normal != 0 {
        let level = irql::current(k)?;
        let b = Bugcheck {
            code: 0x20,
            name: "KERNEL_APC_PENDING_DURING_EXIT",
            params: [0, normal as u32 as u64, level as u64, 0],
            caller: 0,
            reason: format!("thread {thread:#x} ended with kernel APCs disabled ({normal})"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    Ok(())
}
