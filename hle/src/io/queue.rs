//! Device queues and StartIo: `KeInitializeDeviceQueue`, `KeInsert(ByKey)DeviceQueue`,
//! `KeRemove(ByKey)DeviceQueue(IfBusy)`, `KeRemoveEntryDeviceQueue`, `IoStartPacket`,
//! `IoStartNextPacket(ByKey)`; cancel-safe queues (`IoCsqInitialize(Ex)`,
//! `IoCsqInsertIrp(Ex)`, `IoCsqRemoveIrp`, `IoCsqRemoveNextIrp`).
//!
//! The queues live in guest memory as on Windows (KDEVICE_QUEUE in the device object, the
//! entry in IRP.Tail.Overlay.DeviceQueueEntry), so drivers that look at them or remove
//! entries themselves see the same thing.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::io::irps;
use crate::kernel::{KResult, Kx};
use crate::layout::{
    FieldAccess, DEVICE_OBJECT, DRIVER_OBJECT, IO_CSQ, IO_CSQ_IRP_CONTEXT, IO_STACK_LOCATION, IRP, KDEVICE_QUEUE,
    KDEVICE_QUEUE_ENTRY, LIST_ENTRY,
};
use crate::types::{status, Boolean, NtStatus, Ptr};

const DEVICE_QUEUE_OBJECT: u64 = 0x14;
/// Longest queue walked (a corrupted list ends the walk).
const MAX_WALK: usize = 1 << 16;

fn head(k: &Kx, queue: u64) -> u64 {
    KDEVICE_QUEUE::DeviceListHead.at(k.arch(), queue)
}

fn entries(k: &Kx, queue: u64) -> KResult<Vec<u64>> {
    let h = head(k, queue);
    let mut out = Vec::new();
    let mut e = k.mem().get(h, LIST_ENTRY::Flink)?;
    while e != h && e != 0 && out.len() < MAX_WALK {
        out.push(e);
        e = k.mem().get(e, LIST_ENTRY::Flink)?;
    }
    Ok(out)
}

/// Links `entry` in before `next`.
fn insert_before(k: &mut Kx, next: u64, entry: u64) -> KResult<()> {
    Ok(crate::layout::list::insert_before(k.mem_mut(), next, entry)?)
}

fn unlink(k: &mut Kx, entry: u64) -> KResult<()> {
    let next = k.mem().get(entry, LIST_ENTRY::Flink)?;
    let prev = k.mem().get(entry, LIST_ENTRY::Blink)?;
    k.mem_mut().set(prev, LIST_ENTRY::Flink, next)?;
    k.mem_mut().set(next, LIST_ENTRY::Blink, prev)?;
    Ok(())
}

/// VOID KeInitializeDeviceQueue(PKDEVICE_QUEUE DeviceQueue)
pub fn KeInitializeDeviceQueue(k: &mut Kx, queue: Ptr) -> KResult<()> {
    let size = KDEVICE_QUEUE::STRUCT.size(k.arch());
    let h = head(k, queue.0);
    let mem = k.mem_mut();
    mem.set(queue.0, KDEVICE_QUEUE::Type, DEVICE_QUEUE_OBJECT)?;
    mem.set(queue.0, KDEVICE_QUEUE::Size, size)?;
    crate::layout::list::init(mem, h)?;
    mem.set(queue.0, KDEVICE_QUEUE::Lock, 0)?;
    mem.set(queue.0, KDEVICE_QUEUE::Busy, 0)?;
    Ok(())
}

fn insert(k: &mut Kx, queue: u64, entry: u64, key: Option<u32>) -> KResult<bool> {
    if let Some(key) = key {
        k.mem_mut().set(entry, KDEVICE_QUEUE_ENTRY::SortKey, key as u64)?;
    }
    if k.mem().get(queue, KDEVICE_QUEUE::Busy)? == 0 {
        k.mem_mut().set(queue, KDEVICE_QUEUE::Busy, 1)?;
        k.mem_mut().set(entry, KDEVICE_QUEUE_ENTRY::Inserted, 0)?;
        return Ok(false);
    }
    let list = KDEVICE_QUEUE_ENTRY::DeviceListEntry.at(k.arch(), entry);
    let mut before = head(k, queue);
    if let Some(key) = key {
        // After every entry whose key is not above this one.
        for e in entries(k, queue)? {
            if k.mem().get(e, KDEVICE_QUEUE_ENTRY::SortKey)? as u32 > key {
                before = e;
                break;
            }
        }
    }
    insert_before(k, before, list)?;
    k.mem_mut().set(entry, KDEVICE_QUEUE_ENTRY::Inserted, 1)?;
    Ok(true)
}

/// BOOLEAN KeInsertDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY Entry):
/// FALSE (and the queue becomes busy) when it was idle, TRUE when queued.
pub fn KeInsertDeviceQueue(k: &mut Kx, queue: Ptr, entry: Ptr) -> KResult<Boolean> {
    Ok(Boolean(insert(k, queue.0, entry.0, None)?))
}

/// BOOLEAN KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE, PKDEVICE_QUEUE_ENTRY, ULONG SortKey)
pub fn KeInsertByKeyDeviceQueue(k: &mut Kx, queue: Ptr, entry: Ptr, key: u32) -> KResult<Boolean> {
    Ok(Boolean(insert(k, queue.0, entry.0, Some(key))?))
}

/// Removes the first entry (or the first whose key is at least `key`, else the first);
/// an empty queue becomes idle.
fn remove(k: &mut Kx, queue: u64, key: Option<u32>) -> KResult<u64> {
    let all = entries(k, queue)?;
    let Some(&first) = all.first() else {
        k.mem_mut().set(queue, KDEVICE_QUEUE::Busy, 0)?;
        return Ok(0);
    };
    let mut chosen = first;
    if let Some(key) = key {
        for &e in &all {
            if k.mem().get(e, KDEVICE_QUEUE_ENTRY::SortKey)? as u32 >= key {
                chosen = e;
                break;
            }
        }
    }
    unlink(k, chosen)?;
    k.mem_mut().set(chosen, KDEVICE_QUEUE_ENTRY::Inserted, 0)?;
    Ok(chosen)
}

/// PKDEVICE_QUEUE_ENTRY KeRemoveDeviceQueue(PKDEVICE_QUEUE DeviceQueue)
pub fn KeRemoveDeviceQueue(k: &mut Kx, queue: Ptr) -> KResult<Ptr> {
    Ok(Ptr(remove(k, queue.0, None)?))
}

/// PKDEVICE_QUEUE_ENTRY KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, ULONG SortKey)
pub fn KeRemoveByKeyDeviceQueue(k: &mut Kx, queue: Ptr, key: u32) -> KResult<Ptr> {
    Ok(Ptr(remove(k, queue.0, Some(key))?))
}

/// PKDEVICE_QUEUE_ENTRY KeRemoveByKeyDeviceQueueIfBusy(PKDEVICE_QUEUE, ULONG SortKey)
pub fn KeRemoveByKeyDeviceQueueIfBusy(k: &mut Kx, queue: Ptr, key: u32) -> KResult<Ptr> {
    if k.mem().get(queue.0, KDEVICE_QUEUE::Busy)? == 0 {
        return Ok(Ptr(0));
    }
    Ok(Ptr(remove(k, queue.0, Some(key))?))
}

/// BOOLEAN KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY Entry)
pub fn KeRemoveEntryDeviceQueue(k: &mut Kx, _queue: Ptr, entry: Ptr) -> KResult<Boolean> {
    if k.mem().get(entry.0, KDEVICE_QUEUE_ENTRY::Inserted)? == 0 {
        return Ok(Boolean(false));
    }
    unlink(k, entry.0)?;
    k.mem_mut().set(entry.0, KDEVICE_QUEUE_ENTRY::Inserted, 0)?;
    Ok(Boolean(true))
}

// ---- StartIo ---------------------------------------------------------------------------

fn device_queue(k: &Kx, device: u64) -> u64 {
    DEVICE_OBJECT::DeviceQueue.at(k.arch(), device)
}

fn irp_entry(k: &Kx, irp: u64) -> u64 {
    IRP::DeviceQueueEntry.at(k.arch(), irp)
}

fn start_io(k: &mut Kx, device: u64, irp: u64) -> KResult<()> {
    let driver = k.mem().get(device, DEVICE_OBJECT::DriverObject)?;
    let routine = k.mem().get(driver, DRIVER_OBJECT::DriverStartIo)?;
    if routine == 0 {
        return Ok(());
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, routine, &[device, irp], conv)?;
    Ok(())
}

const DISPATCH_LEVEL: u8 = 2;

fn raise_to_dispatch(k: &mut Kx) -> KResult<u8> {
    let old = crate::ke::irql::current(k)?;
    if old < DISPATCH_LEVEL {
        crate::ke::irql::set(k, DISPATCH_LEVEL)?;
    }
    Ok(old)
}

/// VOID IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key,
/// PDRIVER_CANCEL CancelFunction): StartIo now if the device is idle, else queued.
pub fn IoStartPacket(k: &mut Kx, device: Ptr, irp: Ptr, key: Ptr, cancel: Ptr) -> KResult<()> {
    let old = raise_to_dispatch(k)?;
    let mut cancel_irql = 0;
    if !cancel.is_null() {
        cancel_irql = irps::acquire_cancel_lock(k)?;
        k.mem_mut().set(irp.0, IRP::CancelRoutine, cancel.0)?;
    }
    let key = if key.is_null() { None } else { Some(k.mem().read_u32(key.0)?) };
    let queue = device_queue(k, device.0);
    let entry = irp_entry(k, irp.0);
    if !insert(k, queue, entry, key)? {
        k.mem_mut().set(device.0, DEVICE_OBJECT::CurrentIrp, irp.0)?;
        if !cancel.is_null() {
            irps::release_cancel_lock(k, cancel_irql)?;
        }
        start_io(k, device.0, irp.0)?;
    } else if !cancel.is_null() {
        if k.mem().get(irp.0, IRP::Cancel)? != 0 {
            k.mem_mut().set(irp.0, IRP::CancelRoutine, 0)?;
            irps::call_cancel_routine(k, cancel.0, device.0, irp.0, cancel_irql)?;
        } else {
            irps::release_cancel_lock(k, cancel_irql)?;
        }
    }
    crate::ke::irql::set(k, old)
}

fn start_next(k: &mut Kx, device: u64, cancelable: bool, key: Option<u32>) -> KResult<()> {
    let irql = if cancelable { Some(irps::acquire_cancel_lock(k)?) } else { None };
    k.mem_mut().set(device, DEVICE_OBJECT::CurrentIrp, 0)?;
    let queue = device_queue(k, device);
    let entry = remove(k, queue, key)?;
    let irp = if entry == 0 { 0 } else { entry - (irp_entry(k, 0)) };
    if irp != 0 {
        k.mem_mut().set(device, DEVICE_OBJECT::CurrentIrp, irp)?;
    }
    if let Some(i) = irql {
        irps::release_cancel_lock(k, i)?;
    }
    if irp != 0 {
        start_io(k, device, irp)?;
    }
    Ok(())
}

/// VOID IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable)
pub fn IoStartNextPacket(k: &mut Kx, device: Ptr, cancelable: Boolean) -> KResult<()> {
    start_next(k, device.0, cancelable.0, None)
}

/// VOID IoStartNextPacketByKey(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, ULONG Key)
pub fn IoStartNextPacketByKey(k: &mut Kx, device: Ptr, cancelable: Boolean, key: u32) -> KResult<()> {
    start_next(k, device.0, cancelable.0, Some(key))
}

// ---- cancel-safe queues ----------------------------------------------------------------

const IO_TYPE_CSQ_IRP_CONTEXT: u64 = 1;
const IO_TYPE_CSQ: u64 = 2;
const IO_TYPE_CSQ_EX: u64 = 3;

/// IRP.Tail.Overlay.DriverContext[3]: the queue or the IRP's context.
fn driver_context3(k: &Kx, irp: u64) -> u64 {
    irp_entry(k, irp) + 3 * k.arch().ptr_size()
}

#[allow(clippy::too_many_arguments)]
fn csq_init(
    k: &mut Kx,
    csq: u64,
    ty: u64,
    insert: u64,
    remove: u64,
    peek: u64,
    acquire: u64,
    release: u64,
    complete: u64,
) -> KResult<NtStatus> {
    let mem = k.mem_mut();
    mem.set(csq, IO_CSQ::Type, ty)?;
    mem.set(csq, IO_CSQ::CsqInsertIrp, insert)?;
    mem.set(csq, IO_CSQ::CsqRemoveIrp, remove)?;
    mem.set(csq, IO_CSQ::CsqPeekNextIrp, peek)?;
    mem.set(csq, IO_CSQ::CsqAcquireLock, acquire)?;
    mem.set(csq, IO_CSQ::CsqReleaseLock, release)?;
    mem.set(csq, IO_CSQ::CsqCompleteCanceledIrp, complete)?;
    mem.set(csq, IO_CSQ::ReservePointer, 0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp,
/// PIO_CSQ_REMOVE_IRP CsqRemoveIrp, PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
/// PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock, PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
/// PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
#[allow(clippy::too_many_arguments)]
pub fn IoCsqInitialize(
    k: &mut Kx,
    csq: Ptr,
    insert: Ptr,
    remove: Ptr,
    peek: Ptr,
    acquire: Ptr,
    release: Ptr,
    complete: Ptr,
) -> KResult<NtStatus> {
    csq_init(k, csq.0, IO_TYPE_CSQ, insert.0, remove.0, peek.0, acquire.0, release.0, complete.0)
}

/// NTSTATUS IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp, ...): the
/// insert routine returns a status and gets the insert context.
#[allow(clippy::too_many_arguments)]
pub fn IoCsqInitializeEx(
    k: &mut Kx,
    csq: Ptr,
    insert: Ptr,
    remove: Ptr,
    peek: Ptr,
    acquire: Ptr,
    release: Ptr,
    complete: Ptr,
) -> KResult<NtStatus> {
    csq_init(k, csq.0, IO_TYPE_CSQ_EX, insert.0, remove.0, peek.0, acquire.0, release.0, complete.0)
}

fn conv(k: &Kx) -> CallConv {
    CallConv::Stdcall.for_arch(k.arch())
}

/// Calls the queue's lock routine; returns the KIRQL it stored.
fn csq_lock(k: &mut Kx, csq: u64) -> KResult<u8> {
    let routine = k.mem().get(csq, IO_CSQ::CsqAcquireLock)?;
    let slot = crate::ex::pool::kernel_alloc(k, 8, b"IoCq")?;
    let c = conv(k);
    let r = crate::ke::scheduler::call(k, routine, &[csq, slot], c);
    let irql = k.mem().read_u32(slot).map(|v| v as u8);
    crate::ex::pool::free(k, slot, None, 0)?;
    r?;
    Ok(irql?)
}

fn csq_unlock(k: &mut Kx, csq: u64, irql: u8) -> KResult<()> {
    let routine = k.mem().get(csq, IO_CSQ::CsqReleaseLock)?;
    let c = conv(k);
    crate::ke::scheduler::call(k, routine, &[csq, irql as u64], c)?;
    Ok(())
}

fn csq_call(k: &mut Kx, csq: u64, field: crate::layout::Field, args: &[u64]) -> KResult<u64> {
    let routine = k.mem().get(csq, field)?;
    let c = conv(k);
    let mut all = vec![csq];
    all.extend_from_slice(args);
    Ok(crate::ke::scheduler::call(k, routine, &all, c)?)
}

/// IoMarkIrpPending on the IRP's current stack location.
fn mark_pending(k: &mut Kx, irp: u64) -> KResult<()> {
    let loc = k.mem().get(irp, IRP::CurrentStackLocation)?;
    let count = k.mem().get(irp, IRP::StackCount)?;
    if k.mem().get(irp, IRP::CurrentLocation)? <= count {
        let c = k.mem().get(loc, IO_STACK_LOCATION::Control)?;
        k.mem_mut().set(loc, IO_STACK_LOCATION::Control, c | irp_pending())?;
    }
    Ok(())
}

fn irp_pending() -> u64 {
    crate::io::irp::SL_PENDING_RETURNED
}

fn csq_insert(k: &mut Kx, csq: u64, irp: u64, context: u64, insert_context: u64) -> KResult<NtStatus> {
    let irql = csq_lock(k, csq)?;
    if k.mem().get(csq, IO_CSQ::Type)? == IO_TYPE_CSQ_EX {
        let st = NtStatus(csq_call(k, csq, IO_CSQ::CsqInsertIrp, &[irp, insert_context])? as u32);
        if !st.is_success() {
            csq_unlock(k, csq, irql)?;
            return Ok(st);
        }
    } else {
        csq_call(k, csq, IO_CSQ::CsqInsertIrp, &[irp])?;
    }
    let dc3 = driver_context3(k, irp);
    if context != 0 {
        let mem = k.mem_mut();
        mem.set(context, IO_CSQ_IRP_CONTEXT::Type, IO_TYPE_CSQ_IRP_CONTEXT)?;
        mem.set(context, IO_CSQ_IRP_CONTEXT::Irp, irp)?;
        mem.set(context, IO_CSQ_IRP_CONTEXT::Csq, csq)?;
        mem.write_ptr(dc3, context)?;
    } else {
        k.mem_mut().write_ptr(dc3, csq)?;
    }
    mark_pending(k, irp)?;
    let cancel_routine = crate::io::internal_routine(k, "IopCsqCancelRoutine");
    irps::exchange_cancel_routine(k, irp, cancel_routine)?;
    if k.mem().get(irp, IRP::Cancel)? != 0 && irps::exchange_cancel_routine(k, irp, 0)? != 0 {
        // Cancelled before it was queued: out again, completed as cancelled.
        csq_call(k, csq, IO_CSQ::CsqRemoveIrp, &[irp])?;
        csq_unlock(k, csq, irql)?;
        csq_call(k, csq, IO_CSQ::CsqCompleteCanceledIrp, &[irp])?;
    } else {
        csq_unlock(k, csq, irql)?;
    }
    Ok(status::PENDING)
}

/// VOID IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context)
pub fn IoCsqInsertIrp(k: &mut Kx, csq: Ptr, irp: Ptr, context: Ptr) -> KResult<()> {
    csq_insert(k, csq.0, irp.0, context.0, 0)?;
    Ok(())
}

/// NTSTATUS IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context,
/// PVOID InsertContext)
pub fn IoCsqInsertIrpEx(k: &mut Kx, csq: Ptr, irp: Ptr, context: Ptr, insert_context: Ptr) -> KResult<NtStatus> {
    csq_insert(k, csq.0, irp.0, context.0, insert_context.0)
}

/// PIRP IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context): the IRP the context
/// tracks, unless it was cancelled (or is being).
pub fn IoCsqRemoveIrp(k: &mut Kx, csq: Ptr, context: Ptr) -> KResult<Ptr> {
    let irql = csq_lock(k, csq.0)?;
    let mut irp = k.mem().get(context.0, IO_CSQ_IRP_CONTEXT::Irp)?;
    if irp != 0 {
        if irps::exchange_cancel_routine(k, irp, 0)? != 0 {
            csq_call(k, csq.0, IO_CSQ::CsqRemoveIrp, &[irp])?;
            k.mem_mut().set(context.0, IO_CSQ_IRP_CONTEXT::Irp, 0)?;
            let dc3 = driver_context3(k, irp);
            k.mem_mut().write_ptr(dc3, 0)?;
        } else {
            irp = 0;
        }
    }
    csq_unlock(k, csq.0, irql)?;
    Ok(Ptr(irp))
}

/// PIRP IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext): the first queued IRP the
/// driver's peek routine offers that is not being cancelled.
pub fn IoCsqRemoveNextIrp(k: &mut Kx, csq: Ptr, peek: Ptr) -> KResult<Ptr> {
    let irql = csq_lock(k, csq.0)?;
    let mut irp = csq_call(k, csq.0, IO_CSQ::CsqPeekNextIrp, &[0, peek.0])?;
    let mut seen = 0;
    while irp != 0 && seen < MAX_WALK {
        seen += 1;
        if irps::exchange_cancel_routine(k, irp, 0)? != 0 {
            csq_call(k, csq.0, IO_CSQ::CsqRemoveIrp, &[irp])?;
            let dc3 = driver_context3(k, irp);
            let ctx = k.mem().read_ptr(dc3)?;
            if ctx != 0 && ctx != csq.0 && k.mem().get(ctx, IO_CSQ_IRP_CONTEXT::Type)? == IO_TYPE_CSQ_IRP_CONTEXT {
                k.mem_mut().set(ctx, IO_CSQ_IRP_CONTEXT::Irp, 0)?;
            }
            k.mem_mut().write_ptr(dc3, 0)?;
            break;
        }
        irp = csq_call(k, csq.0, IO_CSQ::CsqPeekNextIrp, &[irp, peek.0])?;
    }
    csq_unlock(k, csq.0, irql)?;
    Ok(Ptr(irp))
}

/// VOID IopCsqCancelRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp): the cancel routine a
/// cancel-safe queue puts on its IRPs — out of the queue, completed as cancelled.
pub fn IopCsqCancelRoutine(k: &mut Kx, _device: Ptr, irp: Ptr) -> KResult<()> {
    let irql = k.mem().get(irp.0, IRP::CancelIrql)? as u8;
    irps::release_cancel_lock(k, irql)?;
    let dc3 = driver_context3(k, irp.0);
    let mut csq = k.mem().read_ptr(dc3)?;
    if k.mem().get(csq, IO_CSQ::Type)? == IO_TYPE_CSQ_IRP_CONTEXT {
        let ctx = csq;
        csq = k.mem().get(ctx, IO_CSQ_IRP_CONTEXT::Csq)?;
        k.mem_mut().set(ctx, IO_CSQ_IRP_CONTEXT::Irp, 0)?;
    }
    let irql = csq_lock(k, csq)?;
    csq_call(k, csq, IO_CSQ::CsqRemoveIrp, &[irp.0])?;
    csq_unlock(k, csq, irql)?;
    csq_call(k, csq, IO_CSQ::CsqCompleteCanceledIrp, &[irp.0])?;
    Ok(())
}
