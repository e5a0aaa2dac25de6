//! WDFREQUEST (`wdfrequest.h`): an IRP as the framework presents it to a queue. Completing
//! it completes the IRP; the handle is then dead, and using it again — completing twice
//! above all — is WDF_VIOLATION.
#![allow(non_snake_case)]

use super::object::ObjectKind;
use super::violation;
use crate::io::{major, method};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION, IRP, MDL};
use crate::types::{status, NtStatus, Ptr, SizeT};

/// Completed requests whose handles stay reserved.
const TOMBSTONES: usize = 64;

/// A WDFREQUEST.
#[derive(Clone, Debug)]
pub struct Request {
    pub irp: u64,
    /// The queue it was last put on.
    pub queue: u64,
    pub major: u8,
    /// WdfRequestSetInformation's value.
    pub information: u64,
    /// Completed, with this status.
    pub completed: Option<NtStatus>,
    /// In EvtIoInCallerContext: the driver holds it before any queue, and
    /// WdfDeviceEnqueueRequest puts it on this queue (0: none is configured for its type).
    pub caller_context: Option<u64>,
    /// The driver's EvtRequestCancel while the request is cancelable
    /// (WdfRequestMarkCancelable): the IRP's cancel routine is then `FxRequestCancel`.
    pub cancel: Option<u64>,
}

/// The status a request completed with, if it has.
pub fn completed_status(k: &Kx, r: u64) -> Option<NtStatus> {
    k.ext().wdf.requests.get(&r).and_then(|r| r.completed)
}

/// The live request `handle`, or WDF_VIOLATION.
pub(crate) fn live(k: &mut Kx, function: &str, handle: u64) -> KResult<Request> {
    if handle == 0 {
        return Err(violation::null_parameter(k, function, "Request"));
    }
    match k.ext().wdf.requests.get(&handle).cloned() {
        Some(r) if r.completed.is_none() => Ok(r),
        Some(_) => Err(violation::invalid_handle(k, function, handle, ObjectKind::Request, "already completed")),
        None => Err(violation::invalid_handle(k, function, handle, ObjectKind::Request, "no such request")),
    }
}

/// Completes the request's IRP with `st` and `information`; the handle dies.
pub(crate) fn finish(k: &mut Kx, handle: u64, st: NtStatus, information: u64) -> KResult<()> {
    let Some(r) = k.ext().wdf.requests.get(&handle).cloned() else { return Ok(()) };
    let at = crate::kernel::caller(k);
    crate::io::irp::set_status(k, r.irp, st, information)?;
    crate::io::irp::complete(k, Ptr(r.irp), at)?;
    retire(k, handle, st);
    super::queue::released(k, r.queue)
}

/// The request is done with (its IRP completed with `st`, or passed down and answered
/// `st`): the handle dies, kept a while as a tombstone so a second use is caught.
pub(crate) fn retire(k: &mut Kx, handle: u64, st: NtStatus) {
    let fw = &mut k.ext_mut().wdf;
    if let Some(r) = fw.requests.get_mut(&handle) {
        r.completed = Some(st);
    }
    if let Some(o) = fw.objects.remove(&handle) {
        if let Some(p) = o.parent.and_then(|p| fw.objects.get_mut(&p)) {
            p.children.retain(|c| *c != handle);
        }
    }
    fw.completed.push_back(handle);
    super::memory::request_done(k, handle);
    let fw = &mut k.ext_mut().wdf;
    if fw.completed.len() > TOMBSTONES {
        if let Some(old) = fw.completed.pop_front() {
            fw.requests.remove(&old);
            crate::ob::body::free(k, old);
        }
    }
}

/// A request deleted with its queue (the driver unloads with it pending): the IRP stays
/// outstanding, and the unload report lists it.
pub(crate) fn forget(k: &mut Kx, handle: u64) {
    k.ext_mut().wdf.requests.remove(&handle);
}

/// Makes the request cancelable with `evt` unless its IRP was cancelled already (false).
fn mark_cancelable(k: &mut Kx, function: &str, handle: u64, evt: u64) -> KResult<bool> {
    let r = live(k, function, handle)?;
    if evt == 0 {
        return Err(violation::null_parameter(k, function, "EvtRequestCancel"));
    }
    if k.mem().get(r.irp, IRP::Cancel)? != 0 {
        return Ok(false);
    }
    if let Some(req) = k.ext_mut().wdf.requests.get_mut(&handle) {
        req.cancel = Some(evt);
    }
    let routine = super::table::routine(k, "FxRequestCancel");
    crate::io::irps::exchange_cancel_routine(k, r.irp, routine)?;
    Ok(true)
}

fn call_cancel(k: &mut Kx, evt: u64, handle: u64) -> KResult<()> {
    let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, evt, &[handle], conv).map_err(crate::kernel::KError::Stop)?;
    Ok(())
}

/// VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel):
/// a later cancel of the IRP (IoCancelIrp) calls EvtRequestCancel; a request cancelled
/// already gets the call before this returns.
pub fn WdfRequestMarkCancelable(k: &mut Kx, _globals: Ptr, request: Ptr, evt: Ptr) -> KResult<()> {
    if !mark_cancelable(k, "WdfRequestMarkCancelable", request.0, evt.0)? {
        call_cancel(k, evt.0, request.0)?;
    }
    Ok(())
}

/// NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL
/// EvtRequestCancel): as WdfRequestMarkCancelable, but a request cancelled already is
/// STATUS_CANCELLED and EvtRequestCancel is not called.
pub fn WdfRequestMarkCancelableEx(k: &mut Kx, _globals: Ptr, request: Ptr, evt: Ptr) -> KResult<NtStatus> {
    Ok(match mark_cancelable(k, "WdfRequestMarkCancelableEx", request.0, evt.0)? {
        true => status::SUCCESS,
        false => status::CANCELLED,
    })
}

/// NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request): the request is no longer
/// cancelable (STATUS_SUCCESS), or its cancel has begun and EvtRequestCancel runs or ran
/// (STATUS_CANCELLED: the driver must not complete it here). STATUS_INVALID_DEVICE_REQUEST
/// for a request that was not cancelable.
pub fn WdfRequestUnmarkCancelable(k: &mut Kx, _globals: Ptr, request: Ptr) -> KResult<NtStatus> {
    let r = live(k, "WdfRequestUnmarkCancelable", request.0)?;
    if r.cancel.is_none() {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let previous = crate::io::irps::exchange_cancel_routine(k, r.irp, 0)?;
    if previous == 0 {
        return Ok(status::CANCELLED);
    }
    if let Some(req) = k.ext_mut().wdf.requests.get_mut(&request.0) {
        req.cancel = None;
    }
    Ok(status::SUCCESS)
}

/// VOID FxRequestCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp): the cancel routine of the
/// IRP of a request waiting on a queue or marked cancelable. Releases the cancel spin lock;
/// a waiting request leaves its queue cancelled (EvtIoCanceledOnQueue, or completed with
/// STATUS_CANCELLED), a cancelable one goes to the driver's EvtRequestCancel, which
/// completes it.
pub fn FxRequestCancel(k: &mut Kx, _device: Ptr, irp: Ptr) -> KResult<()> {
    let irql = k.mem().get(irp.0, IRP::CancelIrql)? as u8;
    crate::io::irps::release_cancel_lock(k, irql)?;
    let found =
        k.ext().wdf.requests.iter().find(|(_, r)| r.irp == irp.0 && r.completed.is_none()).map(|(h, r)| (*h, r.cancel));
    let Some((handle, evt)) = found else { return Ok(()) };
    if super::queue::cancel_waiting(k, handle)? {
        return Ok(());
    }
    if let Some(evt) = evt {
        call_cancel(k, evt, handle)?;
    }
    Ok(())
}

/// VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status)
pub fn WdfRequestComplete(k: &mut Kx, _globals: Ptr, request: Ptr, st: NtStatus) -> KResult<()> {
    let r = live(k, "WdfRequestComplete", request.0)?;
    finish(k, request.0, st, r.information)
}

/// VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status, ULONG_PTR
/// Information)
pub fn WdfRequestCompleteWithInformation(
    k: &mut Kx,
    _globals: Ptr,
    request: Ptr,
    st: NtStatus,
    information: SizeT,
) -> KResult<()> {
    live(k, "WdfRequestCompleteWithInformation", request.0)?;
    finish(k, request.0, st, information.0)
}

/// VOID WdfRequestCompleteWithPriorityBoost(WDFREQUEST Request, NTSTATUS Status, CCHAR
/// PriorityBoost)
pub fn WdfRequestCompleteWithPriorityBoost(
    k: &mut Kx,
    _globals: Ptr,
    request: Ptr,
    st: NtStatus,
    _boost: u8,
) -> KResult<()> {
    let r = live(k, "WdfRequestCompleteWithPriorityBoost", request.0)?;
    finish(k, request.0, st, r.information)
}

/// VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information)
pub fn WdfRequestSetInformation(k: &mut Kx, _globals: Ptr, request: Ptr, information: SizeT) -> KResult<()> {
    live(k, "WdfRequestSetInformation", request.0)?;
    if let Some(r) = k.ext_mut().wdf.requests.get_mut(&request.0) {
        r.information = information.0;
    }
    Ok(())
}

/// ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request)
pub fn WdfRequestGetInformation(k: &mut Kx, _globals: Ptr, request: Ptr) -> KResult<SizeT> {
    Ok(SizeT(live(k, "WdfRequestGetInformation", request.0)?.information))
}

/// PIRP WdfRequestWdmGetIrp(WDFREQUEST Request)
pub fn WdfRequestWdmGetIrp(k: &mut Kx, _globals: Ptr, request: Ptr) -> KResult<Ptr> {
    Ok(Ptr(live(k, "WdfRequestWdmGetIrp", request.0)?.irp))
}

/// WDFQUEUE WdfRequestGetIoQueue(WDFREQUEST Request)
pub fn WdfRequestGetIoQueue(k: &mut Kx, _globals: Ptr, request: Ptr) -> KResult<Ptr> {
    Ok(Ptr(live(k, "WdfRequestGetIoQueue", request.0)?.queue))
}

/// NTSTATUS WdfRequestForwardToIoQueue(WDFREQUEST Request, WDFQUEUE DestinationQueue): the
/// request leaves its queue (a sequential one presents its next) and joins the other.
pub fn WdfRequestForwardToIoQueue(k: &mut Kx, _globals: Ptr, request: Ptr, destination: Ptr) -> KResult<NtStatus> {
    let r = live(k, "WdfRequestForwardToIoQueue", request.0)?;
    let dest = super::queue::queue(k, "WdfRequestForwardToIoQueue", destination.0)?;
    let src = k.ext().wdf.queues.get(&r.queue).map(|q| q.device);
    if destination.0 == r.queue || src != Some(dest.device) {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    super::queue::enqueue(k, destination.0, request.0)?;
    super::queue::released(k, r.queue)?;
    Ok(status::SUCCESS)
}

/// Where a request's buffer of one direction is, and its length.
fn buffer(k: &mut Kx, r: &Request, output: bool) -> KResult<Result<(u64, u64), NtStatus>> {
    let loc = k.mem().get(r.irp, IRP::CurrentStackLocation)?;
    let m = k.mem();
    let system = m.get(r.irp, IRP::SystemBuffer)?;
    let mdl = m.get(r.irp, IRP::MdlAddress)?;
    let device = m.get(loc, IO_STACK_LOCATION::DeviceObject)?;
    let direct =
        device != 0 && m.get(device, crate::layout::DEVICE_OBJECT::Flags)? & crate::io::device_flags::DIRECT_IO != 0;
    let buffered =
        device != 0 && m.get(device, crate::layout::DEVICE_OBJECT::Flags)? & crate::io::device_flags::BUFFERED_IO != 0;
    let (at, len) = match (r.major, output) {
        (major::DEVICE_CONTROL | major::INTERNAL_DEVICE_CONTROL, _) => {
            let code = m.get(loc, IO_STACK_LOCATION::IoControlCode)? as u32;
            let in_len = m.get(loc, IO_STACK_LOCATION::InputBufferLength)?;
            let out_len = m.get(loc, IO_STACK_LOCATION::OutputBufferLength)?;
            match (code & 3, output) {
                (method::NEITHER, _) => return Ok(Err(status::INVALID_DEVICE_REQUEST)),
                (_, false) => (system, in_len),
                (method::BUFFERED, true) => (system, out_len),
                (_, true) => (mdl_address(k, mdl)?, out_len),
            }
        }
        (major::WRITE, false) | (major::READ, true) => {
            let len =
                m.get(loc, if output { IO_STACK_LOCATION::ReadLength } else { IO_STACK_LOCATION::WriteLength })?;
            if buffered {
                (system, len)
            } else if direct {
                (mdl_address(k, mdl)?, len)
            } else {
                return Ok(Err(status::INVALID_DEVICE_REQUEST));
            }
        }
        _ => return Ok(Err(status::INVALID_DEVICE_REQUEST)),
    };
    Ok(Ok((at, len)))
}

/// MmGetSystemAddressForMdlSafe.
fn mdl_address(k: &mut Kx, mdl: u64) -> KResult<u64> {
    if mdl == 0 {
        return Ok(0);
    }
    let flags = k.mem().get(mdl, MDL::MdlFlags)?;
    if flags & 0x5 != 0 {
        return Ok(k.mem().get(mdl, MDL::MappedSystemVa)?);
    }
    Ok(crate::mm::mdl::MmMapLockedPagesSpecifyCache(k, Ptr(mdl), 0, 1, Ptr(0), 0, 16)?.0)
}

fn retrieve(
    k: &mut Kx,
    function: &str,
    request: Ptr,
    minimum: SizeT,
    out: Ptr,
    length: Ptr,
    output: bool,
) -> KResult<NtStatus> {
    let r = live(k, function, request.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, function, "Buffer"));
    }
    let (at, len) = match buffer(k, &r, output)? {
        Ok(b) => b,
        Err(st) => return Ok(st),
    };
    if len == 0 || at == 0 || len < minimum.0 {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write_ptr(out.0, at)?;
    if length.0 != 0 {
        k.mem_mut().write_ptr(length.0, len)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
/// PVOID *Buffer, size_t *Length): the system buffer of a buffered or direct IOCTL, or the
/// data of a write (METHOD_NEITHER and neither-I/O requests have none).
pub fn WdfRequestRetrieveInputBuffer(
    k: &mut Kx,
    _globals: Ptr,
    request: Ptr,
    minimum: SizeT,
    out: Ptr,
    length: Ptr,
) -> KResult<NtStatus> {
    retrieve(k, "WdfRequestRetrieveInputBuffer", request, minimum, out, length, false)
}

/// NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
/// PVOID *Buffer, size_t *Length): the system buffer of a buffered IOCTL, the MDL's system
/// address of a direct one, or the buffer a read fills.
pub fn WdfRequestRetrieveOutputBuffer(
    k: &mut Kx,
    _globals: Ptr,
    request: Ptr,
    minimum: SizeT,
    out: Ptr,
    length: Ptr,
) -> KResult<NtStatus> {
    retrieve(k, "WdfRequestRetrieveOutputBuffer", request, minimum, out, length, true)
}

fn retrieve_memory(k: &mut Kx, function: &str, request: Ptr, out: Ptr, output: bool) -> KResult<NtStatus> {
    let r = live(k, function, request.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, function, "Memory"));
    }
    let (at, len) = match buffer(k, &r, output)? {
        Ok(b) => b,
        Err(st) => return Ok(st),
    };
    if len == 0 || at == 0 {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let h = super::memory::of_request(k, request.0, output, at, len)?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY *Memory): the input
/// buffer WdfRequestRetrieveInputBuffer finds, as a WDFMEMORY the request owns (valid until
/// it completes; the same handle each time); STATUS_BUFFER_TOO_SMALL for an empty one.
pub fn WdfRequestRetrieveInputMemory(k: &mut Kx, _globals: Ptr, request: Ptr, out: Ptr) -> KResult<NtStatus> {
    retrieve_memory(k, "WdfRequestRetrieveInputMemory", request, out, false)
}

/// NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY *Memory): the
/// output buffer, as WdfRequestRetrieveInputMemory presents the input one.
pub fn WdfRequestRetrieveOutputMemory(k: &mut Kx, _globals: Ptr, request: Ptr, out: Ptr) -> KResult<NtStatus> {
    retrieve_memory(k, "WdfRequestRetrieveOutputMemory", request, out, true)
}

/// VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters): the
/// request's type (its major function), minor function and the parameters of its stack
/// location, the ULONG lengths widened to size_t. WDF_REQUEST_PARAMETERS is USHORT Size,
/// UCHAR MinorFunction, WDF_REQUEST_TYPE Type at 4, the union at 8 (0x18 bytes on x86, 0x28
/// on x64); a Size other than that is left unfilled, as the framework does.
pub fn WdfRequestGetParameters(k: &mut Kx, _globals: Ptr, request: Ptr, params: Ptr) -> KResult<()> {
    let r = live(k, "WdfRequestGetParameters", request.0)?;
    if params.0 == 0 {
        return Err(violation::null_parameter(k, "WdfRequestGetParameters", "Parameters"));
    }
    let wide = k.arch().ptr_size() == 8;
    let (size, p) = if wide { (0x28u64, 8u64) } else { (0x18, 4) };
    if k.mem().read_u16(params.0)? as u64 != size {
        return Ok(());
    }
    let loc = k.mem().get(r.irp, IRP::CurrentStackLocation)?;
    let m = k.mem();
    let major = m.get(loc, IO_STACK_LOCATION::MajorFunction)?;
    let minor = m.get(loc, IO_STACK_LOCATION::MinorFunction)?;
    // The union, copied as the stack location holds it (Others' four arguments).
    let mut union = vec![0u8; (size - 8) as usize];
    m.read(loc + p, &mut union[..4 * p as usize])?;
    let get = |f| m.get(loc, f);
    // Fields as (offset in the union, value, width): x64 aligns each to 8, x86 packs by 4.
    let at = |i: u64| if wide { 8 * i } else { 4 * i };
    let fields: Vec<(u64, u64, u64)> = match major as u8 {
        major::CREATE => vec![
            (0, get(IO_STACK_LOCATION::CreateSecurityContext)?, p),
            (at(1), get(IO_STACK_LOCATION::CreateOptions)?, 4),
            (at(2), get(IO_STACK_LOCATION::CreateFileAttributes)?, 2),
            (at(2) + 2, get(IO_STACK_LOCATION::CreateShareAccess)?, 2),
            (at(3), m.read_u32(loc + p + at(3))? as u64, 4),
        ],
        major::READ | major::WRITE => {
            let (len, offset) = if major as u8 == major::READ {
                (IO_STACK_LOCATION::ReadLength, IO_STACK_LOCATION::ReadByteOffset)
            } else {
                (IO_STACK_LOCATION::WriteLength, IO_STACK_LOCATION::WriteByteOffset)
            };
            vec![(0, get(len)?, p), (at(1), get(IO_STACK_LOCATION::ReadKey)?, 4), (at(2), get(offset)?, 8)]
        }
        major::DEVICE_CONTROL | major::INTERNAL_DEVICE_CONTROL => vec![
            (0, get(IO_STACK_LOCATION::OutputBufferLength)?, p),
            (at(1), get(IO_STACK_LOCATION::InputBufferLength)?, p),
            (at(2), get(IO_STACK_LOCATION::IoControlCode)?, 4),
            (at(3), get(IO_STACK_LOCATION::Type3InputBuffer)?, p),
        ],
        _ => Vec::new(),
    };
    if !fields.is_empty() {
        union.iter_mut().for_each(|b| *b = 0);
    }
    for (off, value, width) in fields {
        let off = off as usize;
        union[off..off + width as usize].copy_from_slice(&value.to_le_bytes()[..width as usize]);
    }
    let mem = k.mem_mut();
    mem.write(params.0 + 2, &[minor as u8])?;
    mem.write_u32(params.0 + 4, major as u32)?;
    mem.write(params.0 + 8, &union)?;
    Ok(())
}
