//! The kernel debugger as drivers see it: `KdDisableDebugger`, `KdEnableDebugger`,
//! `KdChangeOption`, `KdRefreshDebuggerNotPresent`, `DbgBreakPoint`,
//! `DbgBreakPointWithStatus`, `DbgPrompt`.
//!
//! By default no debugger is attached, as on a machine booted without /DEBUG: the Kd
//! routines answer STATUS_DEBUGGER_INACTIVE, and a breakpoint is an exception nothing
//! handles — KMODE_EXCEPTION_NOT_HANDLED with STATUS_BREAKPOINT. The scenario's
//! `[debugger]` table attaches one: breakpoints are recorded and the debugger lets the
//! driver go on, and DbgPrompt gets the scenario's answers in order.
#![allow(non_snake_case)]

use std::collections::VecDeque;

use serde::Serialize;

use crate::events::{hex, SystemEvent};
use crate::exports::Dll;
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KUSER_SHARED_DATA};
use crate::types::{status, Boolean, NtStatus, Ptr, PCSTR};

const STATUS_DEBUGGER_INACTIVE: NtStatus = NtStatus(0xC000_0354);
const STATUS_BREAKPOINT: u64 = 0x8000_0003;

#[derive(Debug, Default)]
pub struct Debugger {
    pub(crate) attached: bool,
    /// KdDisableDebugger calls not yet undone by KdEnableDebugger.
    pub(crate) disabled: u32,
    pub(crate) answers: VecDeque<String>,
}

/// A breakpoint or a prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DebuggerEvent {
    /// "breakpoint" or "prompt".
    pub kind: &'static str,
    /// DbgBreakPointWithStatus's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<NtStatus>,
    /// DbgPrompt's prompt and the answer it got.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// A debugger was attached (otherwise the breakpoint stopped the system).
    pub debugger: bool,
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

/// Attaches a debugger (or not), with the answers DbgPrompt gets.
pub fn configure(k: &mut Kx, attached: bool, answers: Vec<String>) -> KResult<()> {
    k.ext_mut().debugger = Debugger { attached, disabled: 0, answers: answers.into() };
    publish(k)
}

fn active(k: &Kx) -> bool {
    k.ext().debugger.attached && k.ext().debugger.disabled == 0
}

/// KdDebuggerEnabled, KdDebuggerNotPresent and SharedUserData's KdDebuggerEnabled.
fn publish(k: &mut Kx) -> KResult<()> {
    let on = active(k);
    let enabled = k.ext().system.data_export(Dll::Ntoskrnl, "KdDebuggerEnabled");
    let not_present = k.ext().system.data_export(Dll::Ntoskrnl, "KdDebuggerNotPresent");
    if let Some(a) = enabled {
        k.mem_mut().write(a, &[on as u8])?;
    }
    if let Some(a) = not_present {
        k.mem_mut().write(a, &[!on as u8])?;
    }
    let sud = k.ext().system.shared_data;
    if sud != 0 {
        k.mem_mut().set(sud, KUSER_SHARED_DATA::KdDebuggerEnabled, if on { 3 } else { 0 })?;
    }
    Ok(())
}

/// NTSTATUS KdDisableDebugger(void)
pub fn KdDisableDebugger(k: &mut Kx) -> KResult<NtStatus> {
    if !k.ext().debugger.attached {
        return Ok(STATUS_DEBUGGER_INACTIVE);
    }
    k.ext_mut().debugger.disabled += 1;
    publish(k)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS KdEnableDebugger(void)
pub fn KdEnableDebugger(k: &mut Kx) -> KResult<NtStatus> {
    if !k.ext().debugger.attached {
        return Ok(STATUS_DEBUGGER_INACTIVE);
    }
    if k.ext().debugger.disabled == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    k.ext_mut().debugger.disabled -= 1;
    publish(k)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS KdChangeOption(KD_OPTION Option, ULONG InBufferBytes, PVOID InBuffer,
/// ULONG OutBufferBytes, PVOID OutBuffer, PULONG OutBufferNeeded): only
/// KD_OPTION_SET_BLOCK_ENABLE (0) exists; it needs an active debugger.
pub fn KdChangeOption(
    k: &mut Kx,
    option: u32,
    in_len: u32,
    _input: Ptr,
    _out_len: u32,
    _out: Ptr,
    needed: Ptr,
) -> KResult<NtStatus> {
    if needed.0 != 0 {
        k.mem_mut().write_u32(needed.0, 0)?;
    }
    if !active(k) {
        return Ok(STATUS_DEBUGGER_INACTIVE);
    }
    if option != 0 || in_len != 1 {
        return Ok(status::INVALID_PARAMETER);
    }
    Ok(status::SUCCESS)
}

/// BOOLEAN KdRefreshDebuggerNotPresent(void): TRUE when no debugger is there.
pub fn KdRefreshDebuggerNotPresent(k: &mut Kx) -> KResult<Boolean> {
    publish(k)?;
    Ok(Boolean(!active(k)))
}

fn breakpoint(k: &mut Kx, st: Option<NtStatus>, routine: &str) -> KResult<()> {
    let at = caller(k);
    let debugger = active(k);
    let e = DebuggerEvent { kind: "breakpoint", status: st, prompt: None, answer: None, debugger, caller: at };
    crate::events::push(k, SystemEvent::Debugger(e));
    if debugger {
        return Ok(());
    }
    let address = k.ext().resolve(Dll::Ntoskrnl, routine).unwrap_or(0);
    let b = Bugcheck {
        code: 0x1E,
        name: "KMODE_EXCEPTION_NOT_HANDLED",
        params: [STATUS_BREAKPOINT, address, 0, 0],
        caller: at,
        reason: format!("{routine} with no kernel debugger attached: a breakpoint exception nothing handles"),
    };
    Err(KError::Stop(bugcheck_stop(k, b)))
}

/// VOID DbgBreakPoint(void)
pub fn DbgBreakPoint(k: &mut Kx) -> KResult<()> {
    breakpoint(k, None, "DbgBreakPoint")
}

/// VOID DbgBreakPointWithStatus(ULONG Status)
pub fn DbgBreakPointWithStatus(k: &mut Kx, st: u32) -> KResult<()> {
    breakpoint(k, Some(NtStatus(st)), "DbgBreakPointWithStatus")
}

/// ULONG DbgPrompt(PCCH Prompt, PCH Response, ULONG MaximumResponseLength): the next of
/// the scenario's answers, cut to the buffer; 0 with no debugger (or no answer left).
pub fn DbgPrompt(k: &mut Kx, prompt: PCSTR, response: Ptr, max: u32) -> KResult<u32> {
    let at = caller(k);
    let text = String::from_utf8_lossy(&crate::rtl::printf::read_cstr(k.mem(), prompt.0, 512)?).into_owned();
    let answer = if active(k) { k.ext_mut().debugger.answers.pop_front() } else { None };
    let mut n = 0;
    if let Some(a) = &answer {
        let bytes: Vec<u8> = a.bytes().take(max as usize).collect();
        n = bytes.len() as u32;
        k.mem_mut().write(response.0, &bytes)?;
        if (n as usize) < max as usize {
            k.mem_mut().write(response.0 + n as u64, &[0])?;
        }
    }
    let debugger = active(k);
    let e = DebuggerEvent { kind: "prompt", status: None, prompt: Some(text), answer, debugger, caller: at };
    crate::events::push(k, SystemEvent::Debugger(e));
    Ok(n)
}

/// NTSTATUS KdSystemDebugControl(SYSDBG_COMMAND Command, PVOID InputBuffer, ULONG
/// InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength, PULONG ReturnLength,
/// KPROCESSOR_MODE PreviousMode): the debugger's services (reading and writing memory, I/O
/// space, MSRs, bus data...) for a system booted with a kernel debugger; without one every
/// command is STATUS_DEBUGGER_INACTIVE. None of the commands is implemented for a run with a
/// debugger attached: the run ends naming the command.
pub fn KdSystemDebugControl(
    k: &mut Kx,
    command: u32,
    _input: Ptr,
    _input_len: u32,
    _output: Ptr,
    _output_len: u32,
    _returned: Ptr,
    _mode: u8,
) -> KResult<NtStatus> {
    if !active(k) {
        return Ok(STATUS_DEBUGGER_INACTIVE);
    }
    let caller = crate::kernel::caller(k);
    Err(crate::kernel::KError::Stop(portcullis_emu::Stop::Host(crate::kernel::KernelStop::Unimplemented {
        routine: format!("KdSystemDebugControl command {command} with a debugger attached"),
        caller,
    })))
}
