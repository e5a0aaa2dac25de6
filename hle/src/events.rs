//! What a driver does to the system beyond the calls it makes, as trace events: registry
//! writes, files written and deleted, error-log entries, hard-error popups, ETW and WMI events, breakpoints.
//! Each lands in the machine's one ordered trace, and the report lists them.

use portcullis_emu::Event;
use serde::{Serialize, Serializer};

use crate::kernel::{KernelEvent, Kx};

pub(crate) fn hex<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

/// An optional value as hex (with `skip_serializing_if = "Option::is_none"`).
pub(crate) fn hex_opt<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&format!("{v:#x}")),
        None => s.serialize_none(),
    }
}

pub(crate) fn hex32<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

/// A pool tag as its four characters ("Leak").
pub(crate) fn tag<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::exports::args::tag_text(*v))
}

/// Bytes as space-separated hex.
pub(crate) fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

/// One change to the system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SystemEvent {
    Registry(RegistryChange),
    /// A file written, created, renamed or deleted.
    File(crate::fs::FileChange),
    /// ZwTerminateProcess ended a process.
    ProcessTerminated(crate::zw::process::ProcessTermination),
    /// IoWriteErrorLogEntry.
    ErrorLog(crate::io::notify::ErrorLogEntry),
    /// A popup for the user (IoRaiseInformationalHardError).
    HardError(crate::io::hard_error::HardError),
    /// An ETW or WMI trace event the driver wrote.
    Trace(crate::etw::TraceEvent),
    /// A breakpoint (DbgBreakPoint, DbgBreakPointWithStatus) or a debugger prompt.
    Debugger(crate::kd::DebuggerEvent),
    /// A minifilter's message to a user program (FltSendMessage).
    FilterMessage(crate::flt::port::FilterMessage),
    /// A change to the filtering platform: sessions, objects, callouts, injected packets.
    Wfp(crate::wfp::WfpEvent),
    /// What a driver did through NDIS: filters registered and attached, OID requests,
    /// frames sent to and received from the wire.
    Ndis(crate::ndis::NdisEvent),
    /// Something the kernel noticed that the report should show: a HID minidriver's
    /// registration, a write to the system service table, a reboot request.
    Notice(Notice),
}

/// A notice ([`SystemEvent::Notice`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// What it is: "hid_minidriver", "service_table_write", "return_to_firmware".
    pub kind: &'static str,
    pub detail: String,
    /// Where the driver made the call (0 when the kernel noticed it by itself).
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

/// A write to the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegistryChange {
    /// "create_key", "set_value", "delete_key" or "delete_value".
    pub operation: &'static str,
    /// The key's full path (`\REGISTRY\MACHINE\...`).
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// REG_SZ, REG_DWORD, ... for set_value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_type: Option<String>,
    /// The data written, as text for strings and numbers, hex for the rest (cut at 256 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Where the driver made the call (0 for a scenario step).
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

/// Adds an event to the trace.
pub fn push(k: &mut Kx, e: SystemEvent) {
    k.guest_mut().trace.push(Event::Ext(KernelEvent::System(e)));
}
