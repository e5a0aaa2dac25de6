//! Event tracing: ETW providers (`EtwRegister`, `EtwUnregister`, `EtwEventEnabled`,
//! `EtwProviderEnabled`, `EtwWrite`, `EtwWriteEx`, `EtwWriteTransfer`, `EtwWriteString`,
//! `EtwRegisterClassicProvider`, `EtwActivityIdControl`) and WMI tracing
//! (`WmiTraceMessage`, `WmiQueryTraceInformation`).
//!
//! Every event a driver writes lands in the trace (and the report), with whether a trace
//! session would have received it: a provider is enabled only when the scenario's
//! `[tracing]` table names it (a session at that level and keywords), and then its enable
//! callback runs as the provider registers, as when a session is already listening.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::{Arch, CallConv};
use serde::Serialize;

use crate::events::{hex, SystemEvent};
use crate::exports::CallArgs;
use crate::kernel::{caller, KResult, Kx};
use crate::ob::Owner;
use crate::types::{status, Boolean, NtStatus, Ptr, PCWSTR};

/// A session enabling a provider: (level, any-keywords, all-keywords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enable {
    pub level: u8,
    pub any: u64,
    pub all: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Registration {
    pub(crate) guid: [u8; 16],
    pub(crate) owner: Owner,
    pub(crate) classic: bool,
}

#[derive(Debug, Default)]
pub struct Tracing {
    pub(crate) registrations: BTreeMap<u64, Registration>,
    pub(crate) next: u64,
    /// Providers the scenario's sessions enable.
    pub(crate) enabled: BTreeMap<[u8; 16], Enable>,
    pub(crate) activity: u64,
}

/// One event a driver wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// "EtwWrite", "EtwWriteEx", "EtwWriteTransfer", "EtwWriteString", "WmiTraceMessage".
    pub routine: &'static str,
    /// The provider's (or, for WmiTraceMessage, the message's) GUID.
    pub provider: String,
    pub id: u16,
    pub version: u8,
    pub channel: u8,
    pub level: u8,
    pub opcode: u8,
    pub task: u16,
    #[serde(serialize_with = "hex")]
    pub keyword: u64,
    /// Whether a session enabled the provider for it.
    pub enabled: bool,
    /// The payload, as hex (cut at 256 bytes), or the text of EtwWriteString.
    pub data: String,
    #[serde(serialize_with = "hex")]
    pub caller: u64,
}

impl TraceEvent {
    /// A WMI event or message (no ETW descriptor fields): `guid`'s event `id` with `data`
    /// (cut at 256 bytes).
    pub fn wmi(routine: &'static str, guid: &[u8; 16], id: u16, data: &[u8], enabled: bool, caller: u64) -> Self {
        TraceEvent {
            routine,
            provider: guid_text(guid),
            id,
            version: 0,
            channel: 0,
            level: 0,
            opcode: 0,
            task: 0,
            keyword: 0,
            enabled,
            data: crate::events::hex_bytes(&data[..data.len().min(DATA_CAP)]),
            caller,
        }
    }
}

/// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` of a GUID's bytes, in lower case (as ETW tools
/// and device interface names write them).
pub fn guid_text(g: &[u8; 16]) -> String {
    crate::rtl::convert::guid_text(g).to_ascii_lowercase()
}

/// Parses `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` (braces optional).
pub fn parse_guid(s: &str) -> Option<[u8; 16]> {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 5
        || [8, 4, 4, 4, 12] != [parts[0].len(), parts[1].len(), parts[2].len(), parts[3].len(), parts[4].len()]
    {
        return None;
    }
    let d1 = u32::from_str_radix(parts[0], 16).ok()?;
    let d2 = u16::from_str_radix(parts[1], 16).ok()?;
    let d3 = u16::from_str_radix(parts[2], 16).ok()?;
    let mut g = [0u8; 16];
    g[0..4].copy_from_slice(&d1.to_le_bytes());
    g[4..6].copy_from_slice(&d2.to_le_bytes());
    g[6..8].copy_from_slice(&d3.to_le_bytes());
    let rest = format!("{}{}", parts[3], parts[4]);
    for (i, b) in g[8..].iter_mut().enumerate() {
        *b = u8::from_str_radix(&rest[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(g)
}

/// The providers trace sessions enable (the scenario's `[tracing]`).
pub fn configure(k: &mut Kx, enabled: &[([u8; 16], Enable)]) {
    k.ext_mut().tracing.enabled = enabled.iter().cloned().collect();
}

/// The 16 bytes of a GUID in guest memory.
pub(crate) fn read_guid(k: &Kx, at: u64) -> KResult<[u8; 16]> {
    let mut g = [0u8; 16];
    k.mem().read(at, &mut g)?;
    Ok(g)
}

/// Arguments of a call into the guest: a 64-bit value takes two slots on x86.
fn wide_args(arch: Arch, args: &[(u64, bool)]) -> Vec<u64> {
    let mut v = Vec::new();
    for &(a, wide) in args {
        if wide && arch == Arch::X86 {
            v.push(a & 0xFFFF_FFFF);
            v.push(a >> 32);
        } else {
            v.push(a);
        }
    }
    v
}

const EVENT_CONTROL_CODE_ENABLE_PROVIDER: u64 = 1;

fn register(k: &mut Kx, guid: u64, callback: u64, context: u64, out: u64, classic: bool) -> KResult<NtStatus> {
    let at = caller(k);
    let g = read_guid(k, guid)?;
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let t = &mut k.ext_mut().tracing;
    t.next += 1;
    // A REGHANDLE is opaque; Windows' are pointers.
    let handle = 0xFFFF_FA80_0E70_0000u64.wrapping_add(t.next * 0x100);
    let handle = if k.arch() == Arch::X86 { handle & 0xFFFF_FFFF } else { handle };
    k.ext_mut().tracing.registrations.insert(handle, Registration { guid: g, owner, classic });
    k.mem_mut().write(out, &handle.to_le_bytes())?;
    if let (Some(e), true) = (k.ext().tracing.enabled.get(&g).copied(), callback != 0) {
        let arch = k.arch();
        let conv = CallConv::Stdcall.for_arch(arch);
        if classic {
            // ETW_CLASSIC_CALLBACK(LPCGUID Guid, UCHAR ControlCode, PVOID EnableContext,
            // PVOID CallbackContext): the trace handle is not modelled.
            crate::ke::scheduler::call(k, callback, &[guid, EVENT_CONTROL_CODE_ENABLE_PROVIDER, 0, context], conv)?;
        } else {
            let args = wide_args(
                arch,
                &[
                    (guid, false),
                    (EVENT_CONTROL_CODE_ENABLE_PROVIDER, false),
                    (e.level as u64, false),
                    (e.any, true),
                    (e.all, true),
                    (0, false),
                    (context, false),
                ],
            );
            crate::ke::scheduler::call(k, callback, &args, conv)?;
        }
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS EtwRegister(LPCGUID ProviderId, PETWENABLECALLBACK EnableCallback,
/// PVOID CallbackContext, PREGHANDLE RegHandle)
pub fn EtwRegister(k: &mut Kx, guid: Ptr, callback: Ptr, context: Ptr, out: Ptr) -> KResult<NtStatus> {
    register(k, guid.0, callback.0, context.0, out.0, false)
}

/// NTSTATUS EtwRegisterClassicProvider(LPCGUID ProviderGuid, ULONG Type,
/// PETW_CLASSIC_CALLBACK EnableCallback, PVOID CallbackContext, PREGHANDLE RegHandle)
pub fn EtwRegisterClassicProvider(
    k: &mut Kx,
    guid: Ptr,
    _ty: u32,
    callback: Ptr,
    context: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    register(k, guid.0, callback.0, context.0, out.0, true)
}

/// NTSTATUS EtwUnregister(REGHANDLE RegHandle)
pub fn EtwUnregister(k: &mut Kx, handle: u64) -> KResult<NtStatus> {
    Ok(if k.ext_mut().tracing.registrations.remove(&handle).is_some() {
        status::SUCCESS
    } else {
        status::INVALID_HANDLE
    })
}

/// Whether a session receives an event of `level` and `keyword` from `handle`'s provider.
fn enabled(k: &Kx, handle: u64, level: u8, keyword: u64) -> bool {
    let t = &k.ext().tracing;
    let Some(r) = t.registrations.get(&handle) else { return false };
    let Some(e) = t.enabled.get(&r.guid) else { return false };
    let level_ok = level == 0 || e.level == 0 || level <= e.level;
    let keyword_ok = keyword == 0 || ((e.any == 0 || keyword & e.any != 0) && keyword & e.all == e.all);
    level_ok && keyword_ok
}

/// EVENT_DESCRIPTOR: (Id, Version, Channel, Level, Opcode, Task, Keyword).
fn descriptor(k: &Kx, at: u64) -> KResult<(u16, u8, u8, u8, u8, u16, u64)> {
    let mut b = [0u8; 16];
    k.mem().read(at, &mut b)?;
    Ok((
        u16::from_le_bytes([b[0], b[1]]),
        b[2],
        b[3],
        b[4],
        b[5],
        u16::from_le_bytes([b[6], b[7]]),
        u64::from_le_bytes(b[8..16].try_into().expect("8")),
    ))
}

/// BOOLEAN EtwEventEnabled(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor)
pub fn EtwEventEnabled(k: &mut Kx, handle: u64, desc: Ptr) -> KResult<Boolean> {
    let (_, _, _, level, _, _, keyword) = descriptor(k, desc.0)?;
    Ok(Boolean(enabled(k, handle, level, keyword)))
}

/// BOOLEAN EtwProviderEnabled(REGHANDLE RegHandle, UCHAR Level, ULONGLONG Keyword)
pub fn EtwProviderEnabled(k: &mut Kx, handle: u64, level: u8, keyword: u64) -> KResult<Boolean> {
    Ok(Boolean(enabled(k, handle, level, keyword)))
}

const DATA_CAP: usize = 256;

/// The payload of `count` EVENT_DATA_DESCRIPTORs at `at`, as hex (cut at 256 bytes).
fn payload(k: &Kx, count: u32, at: u64) -> KResult<String> {
    let mut bytes = Vec::new();
    for i in 0..count.min(128) as u64 {
        let d = at + 16 * i;
        let ptr = k.mem().read_u64(d)?;
        let size = k.mem().read_u32(d + 8)? as usize;
        let take = size.min(DATA_CAP + 1 - bytes.len().min(DATA_CAP + 1));
        let mut b = vec![0u8; take];
        k.mem().read(ptr, &mut b)?;
        bytes.extend(b);
        if bytes.len() > DATA_CAP {
            break;
        }
    }
    let cut = bytes.len() > DATA_CAP;
    bytes.truncate(DATA_CAP);
    let mut s = crate::events::hex_bytes(&bytes);
    if cut {
        s.push_str(" ...");
    }
    Ok(s)
}

fn write_event(k: &mut Kx, routine: &'static str, handle: u64, desc: u64, count: u32, data: u64) -> KResult<NtStatus> {
    let at = caller(k);
    let Some(r) = k.ext().tracing.registrations.get(&handle).cloned() else { return Ok(status::INVALID_HANDLE) };
    let (id, version, channel, level, opcode, task, keyword) = descriptor(k, desc)?;
    let data = payload(k, count, data)?;
    let e = TraceEvent {
        routine,
        provider: guid_text(&r.guid),
        id,
        version,
        channel,
        level,
        opcode,
        task,
        keyword,
        enabled: enabled(k, handle, level, keyword),
        data,
        caller: at,
    };
    crate::events::push(k, SystemEvent::Trace(e));
    Ok(status::SUCCESS)
}

/// NTSTATUS EtwWrite(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor,
/// LPCGUID ActivityId, ULONG UserDataCount, PEVENT_DATA_DESCRIPTOR UserData)
pub fn EtwWrite(k: &mut Kx, handle: u64, desc: Ptr, _activity: Ptr, count: u32, data: Ptr) -> KResult<NtStatus> {
    write_event(k, "EtwWrite", handle, desc.0, count, data.0)
}

/// NTSTATUS EtwWriteEx(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor,
/// ULONG64 Filter, ULONG Flags, LPCGUID ActivityId, LPCGUID RelatedActivityId,
/// ULONG UserDataCount, PEVENT_DATA_DESCRIPTOR UserData)
#[allow(clippy::too_many_arguments)]
pub fn EtwWriteEx(
    k: &mut Kx,
    handle: u64,
    desc: Ptr,
    _filter: u64,
    _flags: u32,
    _activity: Ptr,
    _related: Ptr,
    count: u32,
    data: Ptr,
) -> KResult<NtStatus> {
    write_event(k, "EtwWriteEx", handle, desc.0, count, data.0)
}

/// NTSTATUS EtwWriteTransfer(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor,
/// LPCGUID ActivityId, LPCGUID RelatedActivityId, ULONG UserDataCount,
/// PEVENT_DATA_DESCRIPTOR UserData)
pub fn EtwWriteTransfer(
    k: &mut Kx,
    handle: u64,
    desc: Ptr,
    _activity: Ptr,
    _related: Ptr,
    count: u32,
    data: Ptr,
) -> KResult<NtStatus> {
    write_event(k, "EtwWriteTransfer", handle, desc.0, count, data.0)
}

/// NTSTATUS EtwWriteString(REGHANDLE RegHandle, UCHAR Level, ULONGLONG Keyword,
/// LPCGUID ActivityId, PCWSTR String)
pub fn EtwWriteString(
    k: &mut Kx,
    handle: u64,
    level: u8,
    keyword: u64,
    _activity: Ptr,
    text: PCWSTR,
) -> KResult<NtStatus> {
    let at = caller(k);
    let Some(r) = k.ext().tracing.registrations.get(&handle).cloned() else { return Ok(status::INVALID_HANDLE) };
    let s = String::from_utf16_lossy(&crate::rtl::printf::read_wstr(k.mem(), text.0, 1024)?);
    let e = TraceEvent {
        routine: "EtwWriteString",
        provider: guid_text(&r.guid),
        id: 0,
        version: 0,
        channel: 0,
        level,
        opcode: 0,
        task: 0,
        keyword,
        enabled: enabled(k, handle, level, keyword),
        data: s,
        caller: at,
    };
    crate::events::push(k, SystemEvent::Trace(e));
    Ok(status::SUCCESS)
}

const EVENT_ACTIVITY_CTRL_GET_ID: u32 = 1;
const EVENT_ACTIVITY_CTRL_SET_ID: u32 = 2;
const EVENT_ACTIVITY_CTRL_CREATE_ID: u32 = 3;
const EVENT_ACTIVITY_CTRL_GET_SET_ID: u32 = 4;
const EVENT_ACTIVITY_CTRL_CREATE_SET_ID: u32 = 5;

/// NTSTATUS EtwActivityIdControl(ULONG ControlCode, LPGUID ActivityId): activity ids are
/// made deterministically; the thread's current one starts as GUID_NULL.
pub fn EtwActivityIdControl(k: &mut Kx, code: u32, id: Ptr) -> KResult<NtStatus> {
    let fresh = |k: &mut Kx| {
        let t = &mut k.ext_mut().tracing;
        t.activity += 1;
        let mut g = [0u8; 16];
        g[0..8].copy_from_slice(&t.activity.to_le_bytes());
        g[8..].copy_from_slice(b"PortCull");
        g
    };
    match code {
        EVENT_ACTIVITY_CTRL_GET_ID => k.mem_mut().write(id.0, &[0u8; 16])?,
        EVENT_ACTIVITY_CTRL_SET_ID | EVENT_ACTIVITY_CTRL_GET_SET_ID => {}
        EVENT_ACTIVITY_CTRL_CREATE_ID | EVENT_ACTIVITY_CTRL_CREATE_SET_ID => {
            let g = fresh(k);
            k.mem_mut().write(id.0, &g)?;
        }
        _ => return Ok(status::INVALID_PARAMETER),
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS WmiTraceMessage(TRACEHANDLE LoggerHandle, ULONG MessageFlags,
/// LPCGUID MessageGuid, USHORT MessageNumber, ...): the (PVOID, SIZE_T) pairs up to a NULL
/// pointer are the payload. No logger session exists, so none receives it.
pub fn WmiTraceMessage(
    k: &mut Kx,
    _logger: u64,
    _flags: u32,
    guid: Ptr,
    number: u16,
    args: &mut CallArgs,
) -> KResult<NtStatus> {
    let at = caller(k);
    let g = if guid.0 != 0 { read_guid(k, guid.0)? } else { [0; 16] };
    let mut bytes = Vec::new();
    for _ in 0..64 {
        let p = args.slot(k)?;
        let p = if k.arch() == Arch::X86 { p & 0xFFFF_FFFF } else { p };
        if p == 0 {
            break;
        }
        let n = args.slot(k)?;
        let n = if k.arch() == Arch::X86 { n & 0xFFFF_FFFF } else { n } as usize;
        let take = n.min(DATA_CAP.saturating_sub(bytes.len()));
        let mut b = vec![0u8; take];
        k.mem().read(p, &mut b)?;
        bytes.extend(b);
    }
    let e = TraceEvent::wmi("WmiTraceMessage", &g, number, &bytes, false, at);
    crate::events::push(k, SystemEvent::Trace(e));
    Ok(status::SUCCESS)
}

/// NTSTATUS WmiQueryTraceInformation(TRACE_INFORMATION_CLASS TraceInformationClass,
/// PVOID TraceInformation, ULONG TraceInformationLength, PULONG RequiredLength,
/// PVOID Buffer): no logger session exists — the logger-handle classes
/// (TraceEnableFlagsClass, TraceEnableLevelClass, ...) find none.
pub fn WmiQueryTraceInformation(
    k: &mut Kx,
    class: u32,
    info: Ptr,
    len: u32,
    required: Ptr,
    _buffer: Ptr,
) -> KResult<NtStatus> {
    match class {
        // TraceIdClass, TraceHandleClass, TraceEnableFlagsClass, TraceEnableLevelClass
        0..=3 => Ok(status::INVALID_HANDLE),
        // GlobalLoggerHandleClass, EventLoggerHandleClass: no such logger.
        4 | 5 => Ok(status::NOT_FOUND),
        // AllLoggerHandlesClass: none.
        6 => {
            if required.0 != 0 {
                k.mem_mut().write_u32(required.0, 0)?;
            }
            let _ = (info, len);
            Ok(status::SUCCESS)
        }
        _ => Ok(status::INVALID_INFO_CLASS),
    }
}

/// The ETW registrations `owner` still has.
pub(crate) fn registrations(k: &Kx, owner: Owner) -> Vec<(&'static str, String)> {
    k.ext()
        .tracing
        .registrations
        .values()
        .filter(|r| r.owner == owner)
        .map(|r| (if r.classic { "EtwRegisterClassicProvider" } else { "EtwRegister" }, guid_text(&r.guid)))
        .collect()
}
