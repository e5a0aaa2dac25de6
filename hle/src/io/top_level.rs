//! The top-level IRP of a thread (ETHREAD.TopLevelIrp): file systems and filters record there
//! the IRP, or an FSRTL_*_TOP_LEVEL_IRP marker, that entered them first on this thread, so
//! that recursive calls (cache manager, paging I/O) can tell they are not the top level.
//! A value per thread, kept by ETHREAD; the kernel never interprets it.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::Ptr;

/// PIRP IoGetTopLevelIrp(void): the current thread's value, NULL if none was set.
pub fn IoGetTopLevelIrp(k: &mut Kx) -> KResult<Ptr> {
    let t = crate::ps::current_thread(k)?;
    Ok(Ptr(k.ext().io.top_level_irps.get(&t).copied().unwrap_or(0)))
}

/// VOID IoSetTopLevelIrp(PIRP Irp): the current thread's value (NULL clears it).
pub fn IoSetTopLevelIrp(k: &mut Kx, irp: Ptr) -> KResult<()> {
    let t = crate::ps::current_thread(k)?;
    let irps = &mut k.ext_mut().io.top_level_irps;
    if irp.is_null() {
        irps.remove(&t);
    } else {
        irps.insert(t, irp.0);
    }
    Ok(())
}
