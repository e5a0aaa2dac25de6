//! Hard-error popups: IoSetThreadHardErrorMode and IoRaiseInformationalHardError. No user
//! sits at the emulated console, so a popup a driver raises is delivered at once: it goes to
//! the trace and the report (`hard_errors`), where the user reads it.
#![allow(non_snake_case)]

use serde::Serialize;

use crate::events::{hex, SystemEvent};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, ETHREAD};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{Boolean, NtStatus, PUnicodeString, Ptr};

/// ETHREAD.CrossThreadFlags.HardErrorsAreDisabled (bit 5, as Windows 7 lays the flags out).
const HARD_ERRORS_ARE_DISABLED: u64 = 1 << 5;

/// A popup a driver raised for the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HardError {
    /// The NTSTATUS the popup explains.
    pub status: NtStatus,
    /// The string the driver gave with it (a file or directory name, for some statuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
    /// The program the popup is titled for ("ApplicationName.exe - System Error"): the
    /// process of the thread the driver named; none for the system ("System Process").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

/// Whether hard errors are reported for the thread at `ethread`.
pub fn enabled_for(k: &Kx, ethread: u64) -> KResult<bool> {
    Ok(k.mem().get(ethread, ETHREAD::CrossThreadFlags)? & HARD_ERRORS_ARE_DISABLED == 0)
}

/// BOOLEAN IoSetThreadHardErrorMode(BOOLEAN EnableHardErrors): turns hard-error popups for
/// the current thread on or off; whether they were on before.
pub fn IoSetThreadHardErrorMode(k: &mut Kx, enable: Boolean) -> KResult<Boolean> {
    let t = crate::ps::current_thread(k)?;
    let flags = k.mem().get(t, ETHREAD::CrossThreadFlags)?;
    let was = flags & HARD_ERRORS_ARE_DISABLED == 0;
    let flags = if enable.0 { flags & !HARD_ERRORS_ARE_DISABLED } else { flags | HARD_ERRORS_ARE_DISABLED };
    k.mem_mut().set(t, ETHREAD::CrossThreadFlags, flags)?;
    Ok(Boolean(was))
}

/// BOOLEAN IoRaiseInformationalHardError(NTSTATUS ErrorStatus, PUNICODE_STRING String
/// OPTIONAL, PKTHREAD Thread OPTIONAL): queues a popup telling the user why an I/O request
/// failed. FALSE when hard errors are disabled for Thread (IoSetThreadHardErrorMode);
/// otherwise the popup is delivered (recorded) and the answer is TRUE.
pub fn IoRaiseInformationalHardError(
    k: &mut Kx,
    error: NtStatus,
    string: PUnicodeString,
    thread: Ptr,
) -> KResult<Boolean> {
    let at = caller(k);
    if thread.0 != 0 && !enabled_for(k, thread.0)? {
        return Ok(Boolean(false));
    }
    let string = if string.0 == 0 { None } else { Some(read_unicode_string(k, string.0)?) };
    let process = if thread.0 == 0 {
        None
    } else {
        let p = k.mem().get(thread.0, ETHREAD::Process)?;
        let system = k.ext().system.system_process;
        crate::ps::processes::by_object(k, p).filter(|_| p != system).map(|e| e.name.clone())
    };
    let popup = HardError { status: error, string, process, caller: at };
    crate::events::push(k, SystemEvent::HardError(popup));
    Ok(Boolean(true))
}
