//! A program and its debugger: IsDebuggerPresent, OutputDebugStringA/W. No debugger is
//! attached to a program here; what it says to one is in the report, as a driver's DbgPrint
//! is.
#![allow(non_snake_case)]

use portcullis_emu::Event;
use portcullis_hle::kernel::{caller, DebugOutput, KResult, KernelEvent, Kx};
use portcullis_hle::rtl::printf::{read_cstr, read_wstr};
use portcullis_hle::types::{PCSTR, PCWSTR};

use crate::kernel32::thread::me;
use crate::table::BOOL;

/// Longest string OutputDebugString passes on (Windows' buffer for the debugger).
const MAX_DEBUG_STRING: usize = 4096;

/// BOOL IsDebuggerPresent(void): the PEB's BeingDebugged byte (nobody sets it: a program may).
pub fn IsDebuggerPresent(k: &mut Kx) -> KResult<BOOL> {
    let peb = me(k)?.peb;
    Ok(BOOL(k.mem().read_u8(peb + 2)? != 0))
}

/// VOID OutputDebugStringA(LPCSTR lpOutputString): the string is the report's debug output,
/// attributed to its caller. A bad pointer is caught, as Windows' handler around it does.
pub fn OutputDebugStringA(k: &mut Kx, s: PCSTR) -> KResult<()> {
    let Ok(bytes) = read_cstr(k.mem(), s.0, MAX_DEBUG_STRING) else { return Ok(()) };
    let text = bytes.iter().map(|b| portcullis_hle::rtl::nls::CodePage::Ansi.to_unicode(*b)).collect::<Vec<u16>>();
    debug_output(k, String::from_utf16_lossy(&text));
    Ok(())
}

/// VOID OutputDebugStringW(LPCWSTR lpOutputString)
pub fn OutputDebugStringW(k: &mut Kx, s: PCWSTR) -> KResult<()> {
    let Ok(units) = read_wstr(k.mem(), s.0, MAX_DEBUG_STRING) else { return Ok(()) };
    debug_output(k, String::from_utf16_lossy(&units));
    Ok(())
}

fn debug_output(k: &mut Kx, text: String) {
    let at = caller(k);
    let output = DebugOutput { text, component: None, level: None, caller: at };
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Debug(output)));
}
