//! The I/O manager's work items: IoAllocateWorkItem, IoFreeWorkItem, IoInitializeWorkItem,
//! IoUninitializeWorkItem, IoSizeofWorkItem, IoQueueWorkItem, IoQueueWorkItemEx. They run
//! on the system worker threads (ex/work_item.rs). An item belongs to a device or driver
//! object (else WORKER_INVALID); queuing it twice before it ran, or freeing it while queued,
//! is WORKER_INVALID as on Windows.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use crate::ex::work_item::{check_queue, queue, Item};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::ob::ObjectKind;
use crate::types::{PoolTag, Ptr, SizeT};

/// IO_WORKITEM: a WORK_QUEUE_ITEM, then the routine, the object, the context, the type.
fn size(k: &Kx) -> u64 {
    match k.arch() {
        portcullis_emu::Arch::X86 => 0x20,
        portcullis_emu::Arch::X64 => 0x40,
    }
}

/// What the I/O manager knows of one work item.
#[derive(Clone, Debug, Default)]
pub struct WorkItem {
    pub io_object: u64,
    pub queued: bool,
    pub routine: u64,
}

fn items(k: &mut Kx) -> &mut BTreeMap<u64, WorkItem> {
    &mut k.ext_mut().io.work_items
}

fn invalid(k: &mut Kx, params: [u64; 4], reason: String) -> KError {
    let b = Bugcheck { code: 0xE4, name: "WORKER_INVALID", params, caller: caller(k), reason };
    KError::Stop(bugcheck_stop(k, b))
}

fn check_object(k: &mut Kx, item: u64, object: u64) -> KResult<()> {
    match k.ext().objects.get(object).map(|o| o.kind) {
        Some(ObjectKind::Device | ObjectKind::Driver) => Ok(()),
        _ => {
            Err(invalid(k, [3, item, object, 0], format!("a work item for {object:#x}, which is no device or driver")))
        }
    }
}

/// A work item routine returned: it may be queued again.
pub(crate) fn done(k: &mut Kx, item: u64) {
    if let Some(w) = items(k).get_mut(&item) {
        w.queued = false;
    }
}

/// PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
pub fn IoAllocateWorkItem(k: &mut Kx, device: Ptr) -> KResult<Ptr> {
    check_object(k, 0, device.0)?;
    let n = size(k);
    let p = crate::ex::pool::ExAllocatePoolWithTag(k, 0x200, SizeT(n), PoolTag(u32::from_le_bytes(*b"IoWk")))?;
    if p.is_null() {
        return Ok(p);
    }
    crate::ex::pool::zero(k, p.0, n)?;
    items(k).insert(p.0, WorkItem { io_object: device.0, ..Default::default() });
    Ok(p)
}

/// VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
pub fn IoFreeWorkItem(k: &mut Kx, item: Ptr) -> KResult<()> {
    IoUninitializeWorkItem(k, item)?;
    crate::ex::pool::ExFreePool(k, item)
}

/// VOID IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem)
pub fn IoInitializeWorkItem(k: &mut Kx, io_object: Ptr, item: Ptr) -> KResult<()> {
    check_object(k, item.0, io_object.0)?;
    let n = size(k);
    crate::ex::pool::zero(k, item.0, n)?;
    items(k).insert(item.0, WorkItem { io_object: io_object.0, ..Default::default() });
    Ok(())
}

/// VOID IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem)
pub fn IoUninitializeWorkItem(k: &mut Kx, item: Ptr) -> KResult<()> {
    if let Some(w) = items(k).get(&item.0).cloned() {
        if w.queued {
            return Err(invalid(k, [2, item.0, w.routine, 0], "a queued work item was freed".into()));
        }
    }
    items(k).remove(&item.0);
    Ok(())
}

/// ULONG IoSizeofWorkItem(void)
pub fn IoSizeofWorkItem(k: &mut Kx) -> KResult<u32> {
    Ok(size(k) as u32)
}

fn queue_io(k: &mut Kx, item: u64, routine: u64, queue_type: u32, context: u64, ex: bool) -> KResult<()> {
    let Some(w) = items(k).get(&item).cloned() else {
        return Err(invalid(
            k,
            [3, item, 0, 0],
            "a work item that was never allocated or initialized was queued".into(),
        ));
    };
    if w.queued {
        return Err(invalid(k, [1, item, queue_type as u64, 0], "a work item was queued again before it ran".into()));
    }
    check_queue(k, item, queue_type)?;
    let arch = k.arch();
    let ps = arch.ptr_size();
    let fields = crate::layout::WORK_QUEUE_ITEM::STRUCT.size(arch);
    let mem = k.mem_mut();
    mem.write_ptr(item + fields, routine)?;
    mem.write_ptr(item + fields + ps, w.io_object)?;
    mem.write_ptr(item + fields + 2 * ps, context)?;
    if let Some(e) = items(k).get_mut(&item) {
        e.queued = true;
        e.routine = routine;
    }
    let args = if ex { vec![w.io_object, context, item] } else { vec![w.io_object, context] };
    queue(k, Item { routine, args, item, io: true }, queue_type)
}

/// VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
/// WORK_QUEUE_TYPE QueueType, PVOID Context): WorkerRoutine(DeviceObject, Context).
pub fn IoQueueWorkItem(k: &mut Kx, item: Ptr, routine: Ptr, queue_type: u32, context: Ptr) -> KResult<()> {
    queue_io(k, item.0, routine.0, queue_type, context.0, false)
}

/// VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
/// WORK_QUEUE_TYPE QueueType, PVOID Context): WorkerRoutine(IoObject, Context, IoWorkItem).
pub fn IoQueueWorkItemEx(k: &mut Kx, item: Ptr, routine: Ptr, queue_type: u32, context: Ptr) -> KResult<()> {
    queue_io(k, item.0, routine.0, queue_type, context.0, true)
}
