//! EvtIoInCallerContext (`wdfdevice.h`): a device that registers it sees every read, write
//! and device control request first, in the requester's own context (so it can probe and
//! lock user buffers of METHOD_NEITHER requests), before any queue. The driver then either
//! completes the request or gives it back to the framework with WdfDeviceEnqueueRequest,
//! which puts it on the queue configured for its type — the queue the request would have
//! gone to without the callback.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::device::Device;
use super::{queue, request};
use crate::kernel::{KError, KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// VOID WdfDeviceInitSetIoInCallerContextCallback(PWDFDEVICE_INIT DeviceInit,
/// PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext)
pub fn WdfDeviceInitSetIoInCallerContextCallback(k: &mut Kx, _globals: Ptr, init: Ptr, callback: Ptr) -> KResult<()> {
    super::device::update(k, "WdfDeviceInitSetIoInCallerContextCallback", init, |i| i.in_caller_context = callback.0)
}

/// A read, write or device control IRP of a device with EvtIoInCallerContext: a new
/// request, handed to the callback with `queue_h` (the queue its type is dispatched to, if
/// any) kept for WdfDeviceEnqueueRequest. The IRP is pending unless the request ended
/// (completed, or passed down by a filter) before the callback returned.
pub(crate) fn dispatch(
    k: &mut Kx,
    device_h: u64,
    dev: &Device,
    queue_h: Option<u64>,
    irp: u64,
    mj: u8,
    loc: u64,
) -> KResult<NtStatus> {
    let r = queue::new_request(k, device_h, 0, irp, mj)?;
    if let Some(req) = k.ext_mut().wdf.requests.get_mut(&r) {
        req.caller_context = Some(queue_h.unwrap_or(0));
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, dev.in_caller_context, &[device_h, r], conv).map_err(KError::Stop)?;
    // Past the callback the driver may still hold the request (to complete it later), but
    // can no longer enqueue it.
    if let Some(req) = k.ext_mut().wdf.requests.get_mut(&r) {
        req.caller_context = None;
    }
    queue::outcome(k, r, loc)
}

/// NTSTATUS WdfDeviceEnqueueRequest(WDFDEVICE Device, WDFREQUEST Request): from
/// EvtIoInCallerContext, the request joins the queue configured for its type. With no such
/// queue a filter passes the IRP down; a function or control device returns
/// STATUS_INVALID_DEVICE_REQUEST and the request stays the driver's to complete. A request
/// not in EvtIoInCallerContext cannot be enqueued (STATUS_INVALID_DEVICE_REQUEST).
pub fn WdfDeviceEnqueueRequest(k: &mut Kx, _globals: Ptr, device_h: Ptr, request_h: Ptr) -> KResult<NtStatus> {
    let dev = super::device::device(k, "WdfDeviceEnqueueRequest", device_h.0)?;
    let r = request::live(k, "WdfDeviceEnqueueRequest", request_h.0)?;
    let Some(target) = r.caller_context else { return Ok(status::INVALID_DEVICE_REQUEST) };
    if target == 0 {
        if !(dev.filter && dev.lower != 0) {
            return Ok(status::INVALID_DEVICE_REQUEST);
        }
        let st = queue::pass_down(k, dev.lower, r.irp)?;
        request::retire(k, request_h.0, st);
        return Ok(st);
    }
    if let Some(req) = k.ext_mut().wdf.requests.get_mut(&request_h.0) {
        req.caller_context = None;
    }
    queue::enqueue(k, target, request_h.0)?;
    Ok(status::SUCCESS)
}
