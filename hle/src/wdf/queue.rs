//! WDFQUEUE (`wdfio.h`) and the framework's dispatch routine: every IRP a framework device
//! receives becomes a WDFREQUEST presented to a queue — the one WdfDeviceConfigureRequestDispatching
//! chose for its type, else the default queue — by the queue's dispatch type: sequential (one
//! request at a time: the next waits until the driver completes the current one), parallel
//! (each at once) or manual (kept until WdfIoQueueRetrieveNextRequest). A request the
//! driver does not complete in its callback is pending: the IRP returns STATUS_PENDING.
#![allow(non_snake_case)]

use std::collections::VecDeque;

use portcullis_emu::CallConv;

use super::device::Device;
use super::layout::WDF_IO_QUEUE_CONFIG;
use super::object::{self, ObjectKind};
use super::request::{self, Request};
use super::violation;
use crate::io::major;
use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION, IRP};
use crate::types::{status, NtStatus, Ptr};

/// WDF_IO_QUEUE_DISPATCH_TYPE.
pub mod dispatch_type {
    pub const SEQUENTIAL: u32 = 1;
    pub const PARALLEL: u32 = 2;
    pub const MANUAL: u32 = 3;
}

/// STATUS_NO_MORE_ENTRIES.
const NO_MORE_ENTRIES: NtStatus = NtStatus(0x8000_001A);
/// STATUS_INVALID_DEVICE_STATE: a second default queue, a type dispatched twice.
const INVALID_DEVICE_STATE: NtStatus = NtStatus(0xC000_0184);

/// A WDFQUEUE.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    pub device: u64,
    pub dispatch: u32,
    pub io_default: u64,
    pub io_read: u64,
    pub io_write: u64,
    pub io_device_control: u64,
    pub io_internal_device_control: u64,
    /// Requests waiting to be presented (or retrieved, for a manual queue).
    pub waiting: VecDeque<u64>,
    /// Requests presented to the driver and not completed (or forwarded) yet.
    pub presented: usize,
    /// EvtIoCanceledOnQueue: gets the waiting requests a purge cancels.
    pub io_canceled_on_queue: u64,
    /// WdfIoQueuePurge ran and no WdfIoQueueStart since: new requests are failed.
    pub purged: bool,
    /// A purge's EvtIoQueueState and its context, called once the driver holds no request.
    pub purge_complete: Option<(u64, u64)>,
}

/// NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config,
/// PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue): the queue is a child of the
/// device unless the attributes name another parent.
pub fn WdfIoQueueCreate(
    k: &mut Kx,
    _globals: Ptr,
    device_h: Ptr,
    config: Ptr,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let dev = super::device::device(k, "WdfIoQueueCreate", device_h.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfIoQueueCreate", "Config"));
    }
    let m = k.mem();
    let c = |f| m.get(config.0, f);
    let q = Queue {
        device: device_h.0,
        dispatch: c(WDF_IO_QUEUE_CONFIG::DispatchType)? as u32,
        io_default: c(WDF_IO_QUEUE_CONFIG::EvtIoDefault)?,
        io_read: c(WDF_IO_QUEUE_CONFIG::EvtIoRead)?,
        io_write: c(WDF_IO_QUEUE_CONFIG::EvtIoWrite)?,
        io_device_control: c(WDF_IO_QUEUE_CONFIG::EvtIoDeviceControl)?,
        io_internal_device_control: c(WDF_IO_QUEUE_CONFIG::EvtIoInternalDeviceControl)?,
        io_canceled_on_queue: c(WDF_IO_QUEUE_CONFIG::EvtIoCanceledOnQueue)?,
        ..Default::default()
    };
    let default = c(WDF_IO_QUEUE_CONFIG::DefaultQueue)? != 0;
    if !(dispatch_type::SEQUENTIAL..=dispatch_type::MANUAL).contains(&q.dispatch) {
        return Ok(status::INVALID_PARAMETER);
    }
    if default && dev.default_queue.is_some() {
        return Ok(INVALID_DEVICE_STATE);
    }
    let a = object::read_attributes(k, attributes.0)?;
    let parent = if a.parent != 0 { a.parent } else { device_h.0 };
    let b = object::expect(k, "WdfIoQueueCreate", parent, ObjectKind::Any)?.binding;
    let h = object::create(k, b, ObjectKind::Queue, &a, Some(parent))?;
    k.ext_mut().wdf.queues.insert(h, q);
    if default {
        if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
            d.default_queue = Some(h);
        }
    }
    if out.0 != 0 {
        k.mem_mut().write_ptr(out.0, h)?;
    }
    Ok(status::SUCCESS)
}

pub(crate) fn queue(k: &mut Kx, function: &str, handle: u64) -> KResult<Queue> {
    object::expect(k, function, handle, ObjectKind::Queue)?;
    Ok(k.ext().wdf.queues.get(&handle).cloned().unwrap_or_default())
}

/// WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue)
pub fn WdfIoQueueGetDevice(k: &mut Kx, _globals: Ptr, queue_h: Ptr) -> KResult<Ptr> {
    Ok(Ptr(queue(k, "WdfIoQueueGetDevice", queue_h.0)?.device))
}

/// WDFQUEUE WdfDeviceGetDefaultQueue(WDFDEVICE Device)
pub fn WdfDeviceGetDefaultQueue(k: &mut Kx, _globals: Ptr, device_h: Ptr) -> KResult<Ptr> {
    Ok(Ptr(super::device::device(k, "WdfDeviceGetDefaultQueue", device_h.0)?.default_queue.unwrap_or(0)))
}

/// NTSTATUS WdfDeviceConfigureRequestDispatching(WDFDEVICE Device, WDFQUEUE Queue,
/// WDF_REQUEST_TYPE RequestType): requests of that type go to this queue.
pub fn WdfDeviceConfigureRequestDispatching(
    k: &mut Kx,
    _globals: Ptr,
    device_h: Ptr,
    queue_h: Ptr,
    request_type: u32,
) -> KResult<NtStatus> {
    super::device::device(k, "WdfDeviceConfigureRequestDispatching", device_h.0)?;
    queue(k, "WdfDeviceConfigureRequestDispatching", queue_h.0)?;
    let t = request_type as u8;
    if request_type > 0x1B
        || !matches!(
            t,
            major::CREATE | major::READ | major::WRITE | major::DEVICE_CONTROL | major::INTERNAL_DEVICE_CONTROL
        )
    {
        return Ok(status::INVALID_PARAMETER);
    }
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&device_h.0) {
        if d.dispatch.iter().any(|(m, _)| *m == t) {
            return Ok(INVALID_DEVICE_STATE);
        }
        d.dispatch.push((t, queue_h.0));
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfIoQueueRetrieveNextRequest(WDFQUEUE Queue, WDFREQUEST *OutRequest): the
/// oldest waiting request of a manual queue, now the driver's.
pub fn WdfIoQueueRetrieveNextRequest(k: &mut Kx, _globals: Ptr, queue_h: Ptr, out: Ptr) -> KResult<NtStatus> {
    let q = queue(k, "WdfIoQueueRetrieveNextRequest", queue_h.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfIoQueueRetrieveNextRequest", "OutRequest"));
    }
    if q.dispatch != dispatch_type::MANUAL {
        return Ok(INVALID_DEVICE_STATE);
    }
    let next = k.ext_mut().wdf.queues.get_mut(&queue_h.0).and_then(|q| {
        let r = q.waiting.pop_front();
        if r.is_some() {
            q.presented += 1;
        }
        r
    });
    match next {
        Some(r) => {
            leaves_waiting(k, r)?;
            k.mem_mut().write_ptr(out.0, r)?;
            Ok(status::SUCCESS)
        }
        None => {
            k.mem_mut().write_ptr(out.0, 0)?;
            Ok(NO_MORE_ENTRIES)
        }
    }
}

/// VOID WdfIoQueuePurge(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE PurgeComplete, WDFCONTEXT
/// Context): the queue stops accepting requests (the framework fails new ones with
/// STATUS_INVALID_DEVICE_STATE), the requests waiting on it are cancelled — handed to
/// EvtIoCanceledOnQueue when the queue has one, else completed with STATUS_CANCELLED — and
/// PurgeComplete(Queue, Context) runs once the driver holds none of its requests.
pub fn WdfIoQueuePurge(k: &mut Kx, _globals: Ptr, queue_h: Ptr, purge_complete: Ptr, context: Ptr) -> KResult<()> {
    let q = queue(k, "WdfIoQueuePurge", queue_h.0)?;
    let waiting = match k.ext_mut().wdf.queues.get_mut(&queue_h.0) {
        Some(q) => {
            q.purged = true;
            q.purge_complete = (purge_complete.0 != 0).then_some((purge_complete.0, context.0));
            std::mem::take(&mut q.waiting)
        }
        None => return Ok(()),
    };
    let conv = CallConv::Stdcall.for_arch(k.arch());
    for r in waiting {
        leaves_waiting(k, r)?;
        if q.io_canceled_on_queue != 0 {
            if let Some(q) = k.ext_mut().wdf.queues.get_mut(&queue_h.0) {
                q.presented += 1;
            }
            crate::ke::scheduler::call(k, q.io_canceled_on_queue, &[queue_h.0, r], conv).map_err(KError::Stop)?;
        } else {
            // Never presented: its completion releases nothing on the queue.
            if let Some(req) = k.ext_mut().wdf.requests.get_mut(&r) {
                req.queue = 0;
            }
            request::finish(k, r, status::CANCELLED, 0)?;
        }
    }
    purge_done(k, queue_h.0)
}

/// VOID WdfIoQueueStart(WDFQUEUE Queue): the queue accepts requests again.
pub fn WdfIoQueueStart(k: &mut Kx, _globals: Ptr, queue_h: Ptr) -> KResult<()> {
    queue(k, "WdfIoQueueStart", queue_h.0)?;
    if let Some(q) = k.ext_mut().wdf.queues.get_mut(&queue_h.0) {
        q.purged = false;
    }
    Ok(())
}

/// A purge completes when the driver holds none of the queue's requests: its EvtIoQueueState.
fn purge_done(k: &mut Kx, queue_h: u64) -> KResult<()> {
    let callback = match k.ext_mut().wdf.queues.get_mut(&queue_h) {
        Some(q) if q.presented == 0 => q.purge_complete.take(),
        _ => None,
    };
    if let Some((routine, context)) = callback {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, routine, &[queue_h, context], conv).map_err(KError::Stop)?;
    }
    Ok(())
}

/// Puts `request` on `queue`: presented now, or waiting, as the queue's dispatch type says;
/// a purged queue fails it with STATUS_INVALID_DEVICE_STATE.
pub(crate) fn enqueue(k: &mut Kx, queue_h: u64, request_h: u64) -> KResult<()> {
    if let Some(r) = k.ext_mut().wdf.requests.get_mut(&request_h) {
        r.queue = queue_h;
    }
    let Some(q) = k.ext().wdf.queues.get(&queue_h).cloned() else { return Ok(()) };
    if q.purged {
        if let Some(r) = k.ext_mut().wdf.requests.get_mut(&request_h) {
            r.queue = 0;
        }
        return request::finish(k, request_h, INVALID_DEVICE_STATE, 0);
    }
    let now = match q.dispatch {
        dispatch_type::PARALLEL => true,
        dispatch_type::SEQUENTIAL => q.presented == 0 && q.waiting.is_empty(),
        _ => false,
    };
    if now {
        present(k, queue_h, request_h)
    } else {
        let Some(irp) = k.ext().wdf.requests.get(&request_h).map(|r| r.irp) else { return Ok(()) };
        if k.mem().get(irp, IRP::Cancel)? != 0 {
            return cancelled_on_queue(k, queue_h, request_h);
        }
        if let Some(q) = k.ext_mut().wdf.queues.get_mut(&queue_h) {
            q.waiting.push_back(request_h);
        }
        // While it waits, the framework owns its cancellation.
        let routine = super::table::routine(k, "FxRequestCancel");
        crate::io::irps::exchange_cancel_routine(k, irp, routine)?;
        Ok(())
    }
}

/// The request leaves a queue's waiting list: its IRP is no longer cancelable there.
fn leaves_waiting(k: &mut Kx, request_h: u64) -> KResult<()> {
    if let Some(irp) = k.ext().wdf.requests.get(&request_h).map(|r| r.irp) {
        crate::io::irps::exchange_cancel_routine(k, irp, 0)?;
    }
    Ok(())
}

/// A waiting request whose IRP was cancelled: taken off its queue and handed to
/// EvtIoCanceledOnQueue when the queue has one, else completed with STATUS_CANCELLED. False
/// when the request waits on no queue.
pub(crate) fn cancel_waiting(k: &mut Kx, request_h: u64) -> KResult<bool> {
    let queue_h = k.ext().wdf.queues.iter().find(|(_, q)| q.waiting.contains(&request_h)).map(|(h, _)| *h);
    let Some(queue_h) = queue_h else { return Ok(false) };
    if let Some(q) = k.ext_mut().wdf.queues.get_mut(&queue_h) {
        q.waiting.retain(|r| *r != request_h);
    }
    cancelled_on_queue(k, queue_h, request_h)?;
    Ok(true)
}

fn cancelled_on_queue(k: &mut Kx, queue_h: u64, request_h: u64) -> KResult<()> {
    let canceled_on_queue = k.ext().wdf.queues.get(&queue_h).map_or(0, |q| q.io_canceled_on_queue);
    if canceled_on_queue != 0 {
        if let Some(q) = k.ext_mut().wdf.queues.get_mut(&queue_h) {
            q.presented += 1;
        }
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, canceled_on_queue, &[queue_h, request_h], conv).map_err(KError::Stop)?;
        return Ok(());
    }
    // Never presented: its completion releases nothing on the queue.
    if let Some(req) = k.ext_mut().wdf.requests.get_mut(&request_h) {
        req.queue = 0;
    }
    request::finish(k, request_h, status::CANCELLED, 0)
}

/// The request leaves the driver's hands on `queue_h` (completed or forwarded): a sequential
/// queue presents its next.
pub(crate) fn released(k: &mut Kx, queue_h: u64) -> KResult<()> {
    let next = match k.ext_mut().wdf.queues.get_mut(&queue_h) {
        Some(q) => {
            q.presented = q.presented.saturating_sub(1);
            if q.dispatch == dispatch_type::SEQUENTIAL && q.presented == 0 {
                q.waiting.pop_front()
            } else {
                None
            }
        }
        None => None,
    };
    match next {
        Some(r) => {
            leaves_waiting(k, r)?;
            present(k, queue_h, r)
        }
        None => purge_done(k, queue_h),
    }
}

/// Calls the queue's callback for the request's type (EvtIoDefault when it has none); with
/// no callback at all the framework fails the request with STATUS_INVALID_DEVICE_REQUEST.
fn present(k: &mut Kx, queue_h: u64, request_h: u64) -> KResult<()> {
    let Some(q) = k.ext().wdf.queues.get(&queue_h).cloned() else { return Ok(()) };
    let Some(r) = k.ext().wdf.requests.get(&request_h).cloned() else { return Ok(()) };
    if let Some(q) = k.ext_mut().wdf.queues.get_mut(&queue_h) {
        q.presented += 1;
    }
    let loc = k.mem().get(r.irp, IRP::CurrentStackLocation)?;
    let m = k.mem();
    let (specific, args) = match r.major {
        major::READ => (q.io_read, vec![m.get(loc, IO_STACK_LOCATION::ReadLength)?]),
        major::WRITE => (q.io_write, vec![m.get(loc, IO_STACK_LOCATION::WriteLength)?]),
        major::DEVICE_CONTROL | major::INTERNAL_DEVICE_CONTROL => (
            if r.major == major::DEVICE_CONTROL { q.io_device_control } else { q.io_internal_device_control },
            vec![
                m.get(loc, IO_STACK_LOCATION::OutputBufferLength)?,
                m.get(loc, IO_STACK_LOCATION::InputBufferLength)?,
                m.get(loc, IO_STACK_LOCATION::IoControlCode)?,
            ],
        ),
        _ => (0, vec![]),
    };
    let (routine, args) = if specific != 0 {
        (specific, [vec![queue_h, request_h], args].concat())
    } else if q.io_default != 0 {
        (q.io_default, vec![queue_h, request_h])
    } else {
        return request::finish(k, request_h, status::INVALID_DEVICE_REQUEST, 0);
    };
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, routine, &args, conv).map_err(KError::Stop)?;
    Ok(())
}

/// Completes an IRP the framework answers itself.
fn complete_irp(k: &mut Kx, irp: u64, st: NtStatus) -> KResult<NtStatus> {
    crate::io::irp::set_status(k, irp, st, 0)?;
    crate::io::irp::complete(k, Ptr(irp), 0)?;
    Ok(st)
}

/// Passes an IRP down to the device below (IoSkipCurrentIrpStackLocation, then
/// IoCallDriver): PnP and power IRPs, and what a filter has no queue for.
pub(crate) fn pass_down(k: &mut Kx, lower: u64, irp: u64) -> KResult<NtStatus> {
    let size = IO_STACK_LOCATION::STRUCT.size(k.arch());
    let location = k.mem().get(irp, IRP::CurrentLocation)?;
    let stack = k.mem().get(irp, IRP::CurrentStackLocation)?;
    k.mem_mut().set(irp, IRP::CurrentLocation, location + 1)?;
    k.mem_mut().set(irp, IRP::CurrentStackLocation, stack + size)?;
    crate::io::irp::call_driver(k, lower, irp)
}

/// What the framework does with an IRP nobody in the driver takes: a filter passes it
/// down, a function or control device completes it with `st`.
pub(crate) fn unclaimed(k: &mut Kx, dev: &Device, irp: u64, st: NtStatus) -> KResult<NtStatus> {
    if dev.filter && dev.lower != 0 {
        pass_down(k, dev.lower, irp)
    } else {
        complete_irp(k, irp, st)
    }
}

/// A WDFREQUEST for `irp`, a child of `parent`.
pub(crate) fn new_request(k: &mut Kx, parent: u64, queue_h: u64, irp: u64, mj: u8) -> KResult<u64> {
    let b = object::expect(k, "FxDispatch", parent, ObjectKind::Any)?.binding;
    let r = object::create(k, b, ObjectKind::Request, &object::Attributes::default(), Some(parent))?;
    let req =
        Request { irp, queue: queue_h, major: mj, information: 0, completed: None, caller_context: None, cancel: None };
    k.ext_mut().wdf.requests.insert(r, req);
    Ok(r)
}

/// What the dispatch routine returns for a request the driver has had: its completion
/// status, or STATUS_PENDING (the IRP marked pending) while the driver holds it.
pub(crate) fn outcome(k: &mut Kx, r: u64, loc: u64) -> KResult<NtStatus> {
    match request::completed_status(k, r) {
        Some(st) => Ok(st),
        None => {
            let c = k.mem().get(loc, IO_STACK_LOCATION::Control)?;
            k.mem_mut().set(loc, IO_STACK_LOCATION::Control, c | crate::io::irp::SL_PENDING_RETURNED)?;
            Ok(status::PENDING)
        }
    }
}

/// IRP_MJ_CREATE: a WDFFILEOBJECT, then the create queue, else EvtDeviceFileCreate (which
/// completes the request), else success. A failed create deletes its WDFFILEOBJECT.
fn create(k: &mut Kx, device_h: u64, dev: &Device, irp: u64, loc: u64, routed: Option<u64>) -> KResult<NtStatus> {
    let wdm = super::file::wdm_file_of(k, irp)?;
    let fo = super::file::created(k, device_h, dev, wdm)?;
    let st = if let Some(queue_h) = routed {
        let r = new_request(k, queue_h, queue_h, irp, major::CREATE)?;
        enqueue(k, queue_h, r)?;
        outcome(k, r, loc)?
    } else if dev.file.create != 0 {
        let r = new_request(k, device_h, 0, irp, major::CREATE)?;
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, dev.file.create, &[device_h, r, fo.unwrap_or(0)], conv).map_err(KError::Stop)?;
        outcome(k, r, loc)?
    } else {
        return unclaimed(k, dev, irp, status::SUCCESS);
    };
    if let Some(fo) = fo {
        if st != status::PENDING && !st.is_success() {
            object::delete(k, fo)?;
        }
    }
    Ok(st)
}

/// IRP_MJ_CLEANUP and IRP_MJ_CLOSE: EvtFileCleanup or EvtFileClose with the WDFFILEOBJECT;
/// after the close the object goes.
fn cleanup_or_close(k: &mut Kx, dev: &Device, irp: u64, mj: u8) -> KResult<NtStatus> {
    let wdm = super::file::wdm_file_of(k, irp)?;
    if let Some(fo) = super::file::of_wdm(k, wdm) {
        let routine = if mj == major::CLOSE { dev.file.close } else { dev.file.cleanup };
        if routine != 0 {
            let conv = CallConv::Stdcall.for_arch(k.arch());
            crate::ke::scheduler::call(k, routine, &[fo], conv).map_err(KError::Stop)?;
        }
        if mj == major::CLOSE {
            object::delete(k, fo)?;
        }
    }
    unclaimed(k, dev, irp, status::SUCCESS)
}

/// NTSTATUS FxDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp): the framework's dispatch
/// routine, every MajorFunction entry of a framework driver.
pub fn FxDispatch(k: &mut Kx, device_object: Ptr, irp: Ptr) -> KResult<NtStatus> {
    let Some(device_h) = k.ext().wdf.by_device_object.get(&device_object.0).copied() else {
        return complete_irp(k, irp.0, status::INVALID_DEVICE_REQUEST);
    };
    let dev = k.ext().wdf.devices.get(&device_h).cloned().unwrap_or_default();
    let loc = k.mem().get(irp.0, IRP::CurrentStackLocation)?;
    let mj = k.mem().get(loc, IO_STACK_LOCATION::MajorFunction)? as u8;
    let mn = k.mem().get(loc, IO_STACK_LOCATION::MinorFunction)? as u8;
    let routed = dev.dispatch.iter().find(|(m, _)| *m == mj).map(|(_, q)| *q);
    match mj {
        major::PNP if dev.child.is_some() => super::pdo::dispatch_pnp(k, device_h, &dev, irp.0, mn),
        major::POWER if dev.child.is_some() => super::pdo::dispatch_power(k, irp.0, mn),
        major::PNP
            if dev.lower != 0
                && (!dev.static_children.is_empty() || !dev.child_lists.is_empty())
                && mn == crate::pnp::minor::QUERY_DEVICE_RELATIONS
                && k.mem().get(loc, IO_STACK_LOCATION::Argument1)? & 0xffff_ffff == 0 =>
        {
            super::pdo::bus_relations(k, device_h, &dev, irp.0)
        }
        major::PNP if mn == crate::pnp::minor::QUERY_INTERFACE && !dev.query_interfaces.is_empty() => {
            match super::query_interface::dispatch(k, device_h, &dev, irp.0)? {
                Some(st) => Ok(st),
                None if dev.lower != 0 => pass_down(k, dev.lower, irp.0),
                None => unclaimed(k, &dev, irp.0, status::NOT_SUPPORTED),
            }
        }
        major::PNP if dev.lower != 0 && mn == crate::pnp::minor::START_DEVICE => {
            super::pnp::start_device(k, device_h, dev.lower, irp.0)
        }
        major::PNP if dev.lower != 0 && mn == crate::pnp::minor::REMOVE_DEVICE => {
            super::pnp::remove_device(k, device_h, irp.0)
        }
        major::PNP | major::POWER | major::SYSTEM_CONTROL if dev.lower != 0 => pass_down(k, dev.lower, irp.0),
        major::CREATE => create(k, device_h, &dev, irp.0, loc, routed),
        major::CLOSE | major::CLEANUP => cleanup_or_close(k, &dev, irp.0, mj),
        major::READ | major::WRITE | major::DEVICE_CONTROL | major::INTERNAL_DEVICE_CONTROL => {
            if dev.in_caller_context != 0 {
                return super::caller_context::dispatch(
                    k,
                    device_h,
                    &dev,
                    routed.or(dev.default_queue),
                    irp.0,
                    mj,
                    loc,
                );
            }
            let Some(queue_h) = routed.or(dev.default_queue) else {
                return unclaimed(k, &dev, irp.0, status::INVALID_DEVICE_REQUEST);
            };
            let r = new_request(k, queue_h, queue_h, irp.0, mj)?;
            enqueue(k, queue_h, r)?;
            outcome(k, r, loc)
        }
        _ => unclaimed(k, &dev, irp.0, status::INVALID_DEVICE_REQUEST),
    }
}
