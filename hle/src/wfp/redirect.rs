//! Connect and bind redirection, at the ALE_CONNECT_REDIRECT and ALE_BIND_REDIRECT layers.
//! A classification there hands callouts the request as read-only layer data (an
//! FWPS_CONNECT_REQUEST0 or FWPS_BIND_REQUEST0 with the endpoints as SOCKADDR_IN). A callout
//! holding the classification's classify handle takes a writable copy
//! (FwpsAcquireWritableLayerDataPointer0, which as documented sets the callout's classifyOut
//! to block and clears its write right), changes it and applies it
//! (FwpsApplyModifiedLayerData0). The applied copy is the request the callouts after it see
//! (previousVersion: the request before; modifierFilterId: the filter whose callout made
//! it) and what the connection or bind ends up with; the change is in the `classified`
//! trace event. The endpoints are SOCKADDR_IN at the _V4 layers and SOCKADDR_IN6 (no flow
//! information, scope 0) at the _V6 ones. Pending a classification is not supported
//! here, so both calls belong inside the classifyFn; outside one the copy is refused.
#![allow(non_snake_case)]

use portcullis_emu::Arch;
use serde::Serialize;

use super::layout::{FWPS_BIND_REQUEST0 as BIND, FWPS_CLASSIFY_OUT0, FWPS_CONNECT_REQUEST0 as CONNECT};
use super::st;
use crate::kernel::{KResult, Kx};
use crate::layout::{Field, FieldAccess};
use crate::types::{NtStatus, Ptr};

const AF_INET: u16 = 2;
const AF_INET6: u16 = 23;
const FWP_ACTION_BLOCK: u64 = 0x1001;
const FWPS_RIGHT_ACTION_WRITE: u64 = 0x1;

/// The request of the classification running at a redirect layer.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The classification's classify context (its classify handle).
    pub context: u64,
    /// A bind request (else a connect request).
    pub bind: bool,
    /// The version callouts see now.
    pub current: u64,
    /// The writable copy handed out and not applied yet, and the filter it was taken for.
    pub writable: Option<(u64, u64)>,
    /// Every version made, freed when the classification ends.
    pub versions: Vec<u64>,
    /// The filter whose callout applied the current version.
    pub modified_by: Option<u64>,
}

/// A redirect a classification ended with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redirected {
    /// "remote" (a connect request's destination) or "local" (a bind request's endpoint).
    pub endpoint: &'static str,
    pub from: String,
    pub to: String,
    /// The filter whose callout applied the change.
    pub filter: u64,
}

fn size(arch: Arch, bind: bool) -> u64 {
    let s = if bind { BIND::SIZE } else { CONNECT::SIZE };
    match arch {
        Arch::X86 => s.0,
        Arch::X64 => s.1,
    }
}

/// The endpoint a request's kind redirects.
fn endpoint(bind: bool) -> Field {
    if bind {
        BIND::localAddressAndPort
    } else {
        CONNECT::remoteAddressAndPort
    }
}

fn previous(bind: bool) -> Field {
    if bind {
        BIND::previousVersion
    } else {
        CONNECT::previousVersion
    }
}

fn modifier(bind: bool) -> Field {
    if bind {
        BIND::modifierFilterId
    } else {
        CONNECT::modifierFilterId
    }
}

/// An endpoint: the address (IPv4: its first four bytes) and the port.
pub(crate) type Endpoint = ([u8; 16], u16);

/// Writes a SOCKADDR_IN (family, port and address in network order) or, `v6`, a
/// SOCKADDR_IN6 (family, port, flow information 0, address, scope 0).
fn write_sockaddr(k: &mut Kx, at: u64, v6: bool, (address, port): Endpoint) -> KResult<()> {
    let m = k.mem_mut();
    m.write_u16(at, if v6 { AF_INET6 } else { AF_INET })?;
    m.write(at + 2, &port.to_be_bytes())?;
    if v6 {
        m.write_u32(at + 4, 0)?;
        m.write(at + 8, &address)?;
        m.write_u32(at + 24, 0)?;
    } else {
        m.write(at + 4, &address[..4])?;
    }
    Ok(())
}

/// `a.b.c.d:port` or `[v6 address]:port` of the SOCKADDR at `at`, or its address family
/// when it is neither.
fn sockaddr_text(k: &Kx, at: u64) -> KResult<String> {
    let b = k.mem().read_vec(at, 24)?;
    let family = u16::from_le_bytes([b[0], b[1]]);
    let port = u16::from_be_bytes([b[2], b[3]]);
    Ok(match family {
        AF_INET => format!("{}.{}.{}.{}:{port}", b[4], b[5], b[6], b[7]),
        AF_INET6 => {
            let a: [u8; 16] = b[8..24].try_into().expect("16 bytes");
            format!("[{}]:{port}", std::net::Ipv6Addr::from(a))
        }
        _ => format!("(address family {family})"),
    })
}

/// Starts a request for the classification of `context`: the original version, from the
/// packet's local and remote (address, port). Returns it (the callouts' layer data).
pub(crate) fn begin(k: &mut Kx, context: u64, bind: bool, v6: bool, local: Endpoint, remote: Endpoint) -> KResult<u64> {
    end(k)?;
    let arch = k.arch();
    let n = size(arch, bind);
    let at = crate::ex::pool::kernel_alloc(k, n, b"FwpR")?;
    crate::ex::pool::zero(k, at, n)?;
    if bind {
        write_sockaddr(k, BIND::localAddressAndPort.at(arch, at), v6, local)?;
    } else {
        write_sockaddr(k, CONNECT::localAddressAndPort.at(arch, at), v6, local)?;
        write_sockaddr(k, CONNECT::remoteAddressAndPort.at(arch, at), v6, remote)?;
    }
    k.ext_mut().wfp.request =
        Some(Request { context, bind, current: at, writable: None, versions: vec![at], modified_by: None });
    Ok(at)
}

/// The version the next callout sees.
pub(crate) fn current(k: &Kx) -> u64 {
    k.ext().wfp.request.as_ref().map(|r| r.current).unwrap_or(0)
}

/// Ends the request: the redirect it was given, if an applied version changed the endpoint;
/// every version goes.
pub(crate) fn end(k: &mut Kx) -> KResult<Option<Redirected>> {
    let Some(r) = k.ext_mut().wfp.request.take() else { return Ok(None) };
    let arch = k.arch();
    let field = endpoint(r.bind);
    let from = sockaddr_text(k, field.at(arch, r.versions[0]))?;
    let to = sockaddr_text(k, field.at(arch, r.current))?;
    let redirected = match r.modified_by {
        Some(filter) if from != to => {
            Some(Redirected { endpoint: if r.bind { "local" } else { "remote" }, from, to, filter })
        }
        _ => None,
    };
    for at in r.versions.iter().copied().chain(r.writable.map(|(w, _)| w)) {
        crate::ex::pool::free(k, at, None, 0)?;
    }
    Ok(redirected)
}

/// NTSTATUS FwpsAcquireWritableLayerDataPointer0(UINT64 classifyHandle, UINT64 filterId,
/// UINT32 flags, PVOID *writableLayerData, FWPS_CLASSIFY_OUT0 *classifyOut): a writable
/// copy of the request the classification of `classifyHandle` is at; classifyOut is set to
/// block, without the write right. STATUS_INVALID_PARAMETER for a handle not acquired or a
/// classification not running, or a copy already out; STATUS_FWP_INCOMPATIBLE_LAYER at a
/// layer without writable data.
pub fn FwpsAcquireWritableLayerDataPointer0(
    k: &mut Kx,
    handle: u64,
    filter: u64,
    _flags: u32,
    out: Ptr,
    classify_out: Ptr,
) -> KResult<NtStatus> {
    let w = &k.ext().wfp;
    if out.is_null() || classify_out.is_null() || !w.classify_handles.contains(&handle) {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    if w.classifying != Some(handle) {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    let Some(r) = w.request.clone().filter(|r| r.context == handle) else {
        return Ok(st::INCOMPATIBLE_LAYER);
    };
    if r.writable.is_some() {
        return Ok(st::INVALID_PARAMETER_NT);
    }
    let arch = k.arch();
    let n = size(arch, r.bind);
    let copy = crate::ex::pool::kernel_alloc(k, n, b"FwpR")?;
    let bytes = k.mem().read_vec(r.current, n)?;
    let m = k.mem_mut();
    m.write(copy, &bytes)?;
    m.set(copy, previous(r.bind), r.current)?;
    m.set(copy, modifier(r.bind), filter)?;
    m.write_ptr(out.0, copy)?;
    m.set(classify_out.0, FWPS_CLASSIFY_OUT0::actionType, FWP_ACTION_BLOCK)?;
    let rights = m.get(classify_out.0, FWPS_CLASSIFY_OUT0::rights)?;
    m.set(classify_out.0, FWPS_CLASSIFY_OUT0::rights, rights & !FWPS_RIGHT_ACTION_WRITE)?;
    if let Some(r) = k.ext_mut().wfp.request.as_mut() {
        r.writable = Some((copy, filter));
    }
    Ok(NtStatus(0))
}

/// VOID FwpsApplyModifiedLayerData0(UINT64 classifyHandle, PVOID modifiedLayerData, UINT32
/// flags): the copy FwpsAcquireWritableLayerDataPointer0 gave out for this classification
/// becomes the request (its previousVersion and modifierFilterId as the engine set them);
/// anything else is left alone.
pub fn FwpsApplyModifiedLayerData0(k: &mut Kx, handle: u64, data: Ptr, _flags: u32) -> KResult<()> {
    let w = &k.ext().wfp;
    let Some(r) = w.request.clone().filter(|r| r.context == handle && w.classifying == Some(handle)) else {
        return Ok(());
    };
    let Some((copy, filter)) = r.writable.filter(|(c, _)| *c == data.0) else { return Ok(()) };
    let m = k.mem_mut();
    m.set(copy, previous(r.bind), r.current)?;
    m.set(copy, modifier(r.bind), filter)?;
    if let Some(r) = k.ext_mut().wfp.request.as_mut() {
        r.current = copy;
        r.versions.push(copy);
        r.writable = None;
        r.modified_by = Some(filter);
    }
    Ok(())
}
