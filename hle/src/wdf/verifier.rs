//! The framework's verifier entry points (`wdfverifier.h`): a break into the debugger when the
//! driver's `DbgBreakOnError` asks for one, and a bugcheck on the driver's request.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{Ptr, SizeT};

/// The driver's `Parameters\Wdf\DbgBreakOnError` is set (non-zero), which is where KMDF reads
/// it for the driver it binds.
fn break_on_error(k: &Kx, binding: usize) -> bool {
    let path = format!("{}\\Parameters\\Wdf", k.ext().wdf.bindings[binding].config.registry);
    let reg = &k.ext().registry;
    let Some(key) = reg.find(&path) else { return false };
    reg.node(key)
        .values
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case("DbgBreakOnError"))
        .is_some_and(|v| v.data.iter().any(|b| *b != 0))
}

/// VOID WdfVerifierDbgBreakPoint(void): DbgBreakPoint when the driver's DbgBreakOnError is
/// set; otherwise nothing (the framework only traces the event).
pub fn WdfVerifierDbgBreakPoint(k: &mut Kx, globals: Ptr) -> KResult<()> {
    let b = super::driver::binding(k, "WdfVerifierDbgBreakPoint", globals.0)?;
    if break_on_error(k, b) {
        crate::kd::DbgBreakPoint(k)?;
    }
    Ok(())
}

/// VOID WdfVerifierKeBugCheck(ULONG BugCheckCode, ULONG_PTR P1..P4): the bugcheck, as
/// KeBugCheckEx raises it.
pub fn WdfVerifierKeBugCheck(
    k: &mut Kx,
    globals: Ptr,
    code: u32,
    p1: SizeT,
    p2: SizeT,
    p3: SizeT,
    p4: SizeT,
) -> KResult<()> {
    super::driver::binding(k, "WdfVerifierKeBugCheck", globals.0)?;
    crate::ke::bugcheck::KeBugCheckEx(k, code, p1, p2, p3, p4)
}
