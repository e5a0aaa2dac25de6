//! Registry callbacks: `CmRegisterCallback(Ex)`, `CmUnRegisterCallback`, and the
//! notifications they get.
//!
//! Each registered routine, `NTSTATUS Callback(PVOID Context, PVOID Argument1 (REG_NOTIFY_CLASS),
//! PVOID Argument2 (the operation's REG_*_INFORMATION))`, is called before an operation (the
//! RegNtPre* classes; a failing status blocks the operation and is what its caller gets,
//! STATUS_CALLBACK_BYPASS makes it succeed without happening) and after it (RegNtPost*, with
//! REG_POST_OPERATION_INFORMATION). As on Windows Vista and later, opens and creates are
//! notified as RegNtPreOpenKeyEx / RegNtPreCreateKeyEx to every routine. Operations notified:
//! create and open key, set, delete and query value, delete key — whoever performs them (the
//! driver through Zw* or Rtl* routines, or a scenario step as the user program).
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};

use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, REG_POST_OPERATION_INFORMATION};
use crate::ob::Owner;
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// REG_NOTIFY_CLASS values this kernel sends.
pub const PRE_DELETE_KEY: u32 = 0;
pub const PRE_SET_VALUE_KEY: u32 = 1;
pub const PRE_DELETE_VALUE_KEY: u32 = 2;
pub const PRE_QUERY_VALUE_KEY: u32 = 8;
pub const PRE_CREATE_KEY_EX: u32 = 26;
pub const PRE_OPEN_KEY_EX: u32 = 28;

/// STATUS_CALLBACK_BYPASS.
const CALLBACK_BYPASS: NtStatus = NtStatus(0xC000_0503);

/// The RegNtPost* class that answers a RegNtPre* one.
fn post_class(pre: u32) -> u32 {
    match pre {
        PRE_DELETE_KEY => 15,
        PRE_SET_VALUE_KEY => 16,
        PRE_DELETE_VALUE_KEY => 17,
        PRE_QUERY_VALUE_KEY => 23,
        other => other + 1,
    }
}

/// One registration.
#[derive(Clone, Debug)]
pub struct Registration {
    pub cookie: u64,
    function: u64,
    context: u64,
    pub altitude: Option<String>,
    pub owner: Owner,
}

#[derive(Default, Debug)]
pub struct Callbacks {
    pub(crate) registrations: Vec<Registration>,
    next_cookie: u64,
}

/// A notified operation: its information block and each routine's call context.
pub(crate) struct Notification {
    class: u32,
    block: u64,
    called: Vec<(u64, u64, u64)>,
}

/// How the pre-operation routines decided.
pub(crate) enum Decision {
    Proceed,
    /// A routine failed it: the operation does not happen and returns this.
    Block(NtStatus),
    /// A routine did it itself: the operation does not happen and succeeds.
    Bypass,
}

/// Calls the pre-operation routines for `class` with an information block of `size` bytes
/// that `fill` writes; `call_context` is the offset of its CallContext field. None when no
/// routine is registered.
pub(crate) fn pre(
    k: &mut Kx,
    class: u32,
    size: u64,
    call_context: u64,
    fill: impl FnOnce(&mut Kx, u64) -> KResult<()>,
) -> KResult<(Option<Notification>, Decision)> {
    let regs = k.ext().registry.callbacks.registrations.clone();
    if regs.is_empty() {
        return Ok((None, Decision::Proceed));
    }
    let block = crate::ex::pool::kernel_alloc(k, size, b"CmCb")?;
    fill(k, block)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let mut n = Notification { class, block, called: Vec::new() };
    for r in regs {
        k.mem_mut().write_ptr(block + call_context, 0)?;
        let st = NtStatus(crate::ke::scheduler::call(k, r.function, &[r.context, class as u64, block], conv)? as u32);
        let cc = k.mem().read_ptr(block + call_context)?;
        n.called.push((r.function, r.context, cc));
        if st == CALLBACK_BYPASS {
            return Ok((Some(n), Decision::Bypass));
        }
        if !st.is_success() {
            return Ok((Some(n), Decision::Block(st)));
        }
    }
    Ok((Some(n), Decision::Proceed))
}

/// Calls the post-operation routines of the routines the pre-notification reached, in
/// reverse order, then releases the information block.
pub(crate) fn post(k: &mut Kx, n: Option<Notification>, object: u64, result: NtStatus) -> KResult<()> {
    let Some(n) = n else { return Ok(()) };
    let arch = k.arch();
    let conv = CallConv::Stdcall.for_arch(arch);
    let size = REG_POST_OPERATION_INFORMATION::STRUCT.size(arch);
    let info = crate::ex::pool::kernel_alloc(k, size, b"CmCb")?;
    for &(function, context, call_context) in n.called.iter().rev() {
        let mem = k.mem_mut();
        mem.write(info, &vec![0u8; size as usize])?;
        mem.set(info, REG_POST_OPERATION_INFORMATION::Object, object)?;
        mem.set(info, REG_POST_OPERATION_INFORMATION::Status, result.0 as u64)?;
        mem.set(info, REG_POST_OPERATION_INFORMATION::PreInformation, n.block)?;
        mem.set(info, REG_POST_OPERATION_INFORMATION::ReturnStatus, result.0 as u64)?;
        mem.set(info, REG_POST_OPERATION_INFORMATION::CallContext, call_context)?;
        crate::ke::scheduler::call(k, function, &[context, post_class(n.class) as u64, info], conv)?;
    }
    crate::ex::pool::free(k, info, None, 0)?;
    crate::ex::pool::free(k, n.block, None, 0)
}

/// Writes a UNICODE_STRING for `s` (with its buffer) in kernel pool; returns its address.
/// The caller frees it with the notification.
pub(crate) fn kernel_string(k: &mut Kx, s: &str) -> KResult<u64> {
    let us = crate::layout::UNICODE_STRING::STRUCT.size(k.arch());
    let bytes = (s.encode_utf16().count() as u64 + 1) * 2;
    let at = crate::ex::pool::kernel_alloc(k, us + bytes, b"CmCb")?;
    crate::ps::write_unicode(k, at, at + us, s)?;
    Ok(at)
}

fn register(k: &mut Kx, function: u64, context: u64, altitude: Option<String>, cookie: Ptr) -> KResult<NtStatus> {
    if function == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if let Some(a) = &altitude {
        if k.ext().registry.callbacks.registrations.iter().any(|r| r.altitude.as_deref() == Some(a.as_str())) {
            return Ok(status::FLT_INSTANCE_ALTITUDE_COLLISION);
        }
    }
    let owner = k.ext().driver_at(caller(k)).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let arch = k.arch();
    let cbs = &mut k.ext_mut().registry.callbacks;
    cbs.next_cookie += 1;
    // Cookies are opaque 64-bit values; these look like the pointers Windows hands out.
    let value = match arch {
        Arch::X86 => 0x1000 + cbs.next_cookie * 0x10,
        Arch::X64 => 0x0000_0001_0000_0000 + cbs.next_cookie * 0x10,
    };
    k.mem_mut().write_u64(cookie.0, value)?;
    let cbs = &mut k.ext_mut().registry.callbacks;
    cbs.registrations.push(Registration { cookie: value, function, context, altitude, owner });
    Ok(status::SUCCESS)
}

/// NTSTATUS CmRegisterCallback(PEX_CALLBACK_FUNCTION Function, PVOID Context,
/// PLARGE_INTEGER Cookie)
pub fn CmRegisterCallback(k: &mut Kx, function: Ptr, context: Ptr, cookie: Ptr) -> KResult<NtStatus> {
    register(k, function.0, context.0, None, cookie)
}

/// NTSTATUS CmRegisterCallbackEx(PEX_CALLBACK_FUNCTION Function, PCUNICODE_STRING Altitude,
/// PVOID Driver, PVOID Context, PLARGE_INTEGER Cookie, PVOID Reserved): two registrations
/// may not share an altitude (STATUS_FLT_INSTANCE_ALTITUDE_COLLISION).
pub fn CmRegisterCallbackEx(
    k: &mut Kx,
    function: Ptr,
    altitude: PUnicodeString,
    _driver: Ptr,
    context: Ptr,
    cookie: Ptr,
    _reserved: Ptr,
) -> KResult<NtStatus> {
    let altitude = read_unicode_string(k, altitude.0)?;
    if altitude.is_empty() {
        return Ok(status::INVALID_PARAMETER);
    }
    register(k, function.0, context.0, Some(altitude), cookie)
}

/// NTSTATUS CmUnRegisterCallback(LARGE_INTEGER Cookie): STATUS_INVALID_PARAMETER for a
/// cookie no registration has.
pub fn CmUnRegisterCallback(k: &mut Kx, cookie: u64) -> KResult<NtStatus> {
    let regs = &mut k.ext_mut().registry.callbacks.registrations;
    match regs.iter().position(|r| r.cookie == cookie) {
        Some(i) => {
            regs.remove(i);
            Ok(status::SUCCESS)
        }
        None => Ok(status::INVALID_PARAMETER),
    }
}

/// The registrations `owner` still has: their cookies.
pub fn owned_by(k: &Kx, owner: Owner) -> Vec<u64> {
    k.ext().registry.callbacks.registrations.iter().filter(|r| r.owner == owner).map(|r| r.cookie).collect()
}
