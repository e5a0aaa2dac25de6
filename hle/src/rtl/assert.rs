//! RtlAssert: what a failed `ASSERT` in a checked driver calls. It prints the assertion as
//! Windows does and breaks into the debugger; with no kernel debugger attached that
//! breakpoint is an exception nothing handles, so the run ends with it (a #BP at the routine).
#![allow(non_snake_case)]

use portcullis_emu::{Event, FaultKind, Reg, Stop};

use crate::kernel::{caller, DebugOutput, KError, KResult, KernelEvent, Kx};
use crate::types::PCSTR;

use super::printf::read_cstr;

fn text(k: &Kx, s: PCSTR) -> String {
    if s.0 == 0 {
        return String::new();
    }
    match read_cstr(k.mem(), s.0, 512) {
        Ok(b) => b.iter().map(|&c| super::nls::ansi_char(c)).collect(),
        Err(_) => format!("<unreadable {:#x}>", s.0),
    }
}

/// VOID RtlAssert(PVOID FailedAssertion, PVOID FileName, ULONG LineNumber, PSTR Message)
pub fn RtlAssert(k: &mut Kx, assertion: PCSTR, file: PCSTR, line: u32, message: PCSTR) -> KResult<()> {
    let report = format!(
        "\n*** Assertion failed: {}{}\n***   Source File: {}, line {}\n\n",
        text(k, message),
        text(k, assertion),
        text(k, file),
        line
    );
    let at = caller(k);
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Debug(DebugOutput {
        text: report,
        component: None,
        level: None,
        caller: at,
    })));
    let pc = k.reg(Reg::Ip);
    let fault = k.fault(
        FaultKind::Breakpoint,
        pc,
        "RtlAssert: a failed assertion breaks into a kernel debugger, and none is attached".into(),
    );
    Err(KError::Stop(Stop::Fault(Box::new(fault))))
}
