//! WDFWORKITEM (`wdfworkitem.h`): the driver's EvtWorkItemFunc run at PASSIVE_LEVEL on a
//! system worker thread (`ex::work_item`, the delayed queue), through the framework's
//! [`FxWorkItemThunk`]. A work item belongs to a device or an object under one.
//! WdfWorkItemEnqueue does nothing while the item waits to run (it may be queued again once
//! its callback started); WdfWorkItemFlush returns once a queued or running callback has
//! finished, waiting on a notification event that is signaled whenever the item is idle, as
//! the framework's FxWorkItem does. Deleting the item (or its parent) waits so too (at
//! PASSIVE_LEVEL; the framework defers a rundown at DISPATCH_LEVEL to a worker, which
//! leaves the callback to run after the object went — here it then finds nothing to call).
#![allow(non_snake_case)]

use super::layout::WDF_WORKITEM_CONFIG;
use super::object::{self, ObjectKind};
use super::violation;
use crate::ex::work_item::Item;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, KEVENT};
use crate::types::{status, NtStatus, Ptr};

/// WORK_QUEUE_TYPE DelayedWorkQueue: where the framework queues its work items.
const DELAYED_WORK_QUEUE: u32 = 1;

/// A WDFWORKITEM.
#[derive(Clone, Copy, Debug)]
pub struct WorkItem {
    pub callback: u64,
    pub parent: u64,
    /// The notification KEVENT signaled while the item is neither queued nor running.
    pub idle: u64,
    /// Queued and not yet started.
    pub enqueued: bool,
    /// Callbacks running (a callback may queue its item again and it start on another worker).
    pub running: u32,
    /// The flow running the latest callback: deleting the item from its own callback cannot
    /// wait for it.
    pub runner: Option<usize>,
}

/// NTSTATUS WdfWorkItemCreate(PWDF_WORKITEM_CONFIG Config, PWDF_OBJECT_ATTRIBUTES
/// Attributes, WDFWORKITEM *WorkItem)
pub fn WdfWorkItemCreate(k: &mut Kx, globals: Ptr, config: Ptr, attributes: Ptr, out: Ptr) -> KResult<NtStatus> {
    let b = super::driver::binding(k, "WdfWorkItemCreate", globals.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfWorkItemCreate", "Config"));
    }
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfWorkItemCreate", "WorkItem"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let size = k.mem().get(config.0, WDF_WORKITEM_CONFIG::Size)?;
    if size != WDF_WORKITEM_CONFIG::STRUCT.size(k.arch()) {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let callback = k.mem().get(config.0, WDF_WORKITEM_CONFIG::EvtWorkItemFunc)?;
    if callback == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let a = object::read_attributes(k, attributes.0)?;
    let parent = match super::dpc::device_parent(k, "WdfWorkItemCreate", &a, attributes.0 != 0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    let h = object::create(k, b, ObjectKind::WorkItem, &a, Some(parent))?;
    let idle = crate::ex::pool::kernel_alloc(k, KEVENT::STRUCT.size(k.arch()), b"FxWi")?;
    // NotificationEvent, signaled: nothing to wait for yet.
    crate::ke::event::KeInitializeEvent(k, Ptr(idle), 0, crate::types::Boolean(true))?;
    let w = WorkItem { callback, parent, idle, enqueued: false, running: 0, runner: None };
    k.ext_mut().wdf.work_items.insert(h, w);
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

fn item(k: &mut Kx, function: &str, handle: u64) -> KResult<WorkItem> {
    object::expect(k, function, handle, ObjectKind::WorkItem)?;
    match k.ext().wdf.work_items.get(&handle) {
        Some(w) => Ok(*w),
        None => Err(violation::invalid_handle(k, function, handle, ObjectKind::WorkItem, "no work item")),
    }
}

/// VOID WdfWorkItemEnqueue(WDFWORKITEM WorkItem)
pub fn WdfWorkItemEnqueue(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<()> {
    let w = item(k, "WdfWorkItemEnqueue", handle.0)?;
    if w.enqueued {
        return Ok(());
    }
    if let Some(e) = k.ext_mut().wdf.work_items.get_mut(&handle.0) {
        e.enqueued = true;
    }
    crate::ke::event::KeClearEvent(k, Ptr(w.idle))?;
    let thunk = super::table::routine(k, "FxWorkItemThunk");
    // The worker's item record is the WDFWORKITEM; `io` keeps the executive from reading it
    // as a WORK_QUEUE_ITEM (its queued state is the framework's).
    let job = Item { routine: thunk, args: vec![handle.0], item: handle.0, io: true };
    crate::ex::work_item::queue(k, job, DELAYED_WORK_QUEUE)
}

/// VOID WdfWorkItemFlush(WDFWORKITEM WorkItem): returns once the item is idle.
pub fn WdfWorkItemFlush(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<()> {
    let w = item(k, "WdfWorkItemFlush", handle.0)?;
    crate::ke::wait::wait_for(k, vec![w.idle], false, 0, 0, false, None, "WdfWorkItemFlush")?;
    Ok(())
}

/// WDFOBJECT WdfWorkItemGetParentObject(WDFWORKITEM WorkItem)
pub fn WdfWorkItemGetParentObject(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(item(k, "WdfWorkItemGetParentObject", handle.0)?.parent))
}

/// VOID FxWorkItemThunk(PVOID Context): a worker runs the item; the context is the
/// WDFWORKITEM. The item may be queued again from here on.
pub fn FxWorkItemThunk(k: &mut Kx, context: Ptr) -> KResult<()> {
    let Some(w) = k.ext_mut().wdf.work_items.get_mut(&context.0) else { return Ok(()) };
    w.enqueued = false;
    w.running += 1;
    let callback = w.callback;
    let me = k.ext().sched.current;
    if let Some(w) = k.ext_mut().wdf.work_items.get_mut(&context.0) {
        w.runner = Some(me);
    }
    let r = super::dpc::call_back(k, callback, context.0);
    if let Some(w) = k.ext_mut().wdf.work_items.get_mut(&context.0) {
        w.running -= 1;
        if w.running == 0 && !w.enqueued {
            let idle = w.idle;
            crate::ke::event::set(k, idle)?;
        }
    }
    r
}

/// The object is deleted: a queued or running callback is waited for (below
/// DISPATCH_LEVEL, and unless it is the callback deleting its own item), then the item's
/// memory goes.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(w) = k.ext().wdf.work_items.get(&handle).copied() else { return Ok(()) };
    let own = w.running != 0 && w.runner == Some(k.ext().sched.current);
    let busy = w.enqueued || w.running != 0;
    if busy && !own && crate::ke::irql::current(k)? < crate::ke::irql::DISPATCH_LEVEL {
        crate::ke::wait::wait_in_place(k, w.idle, "the rundown of a WDFWORKITEM")?;
    }
    k.ext_mut().wdf.work_items.remove(&handle);
    crate::ex::pool::free(k, w.idle, None, 0)
}
