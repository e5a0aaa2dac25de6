//! Each thread's list of the IRPs issued for it (ETHREAD.IrpList): `IoEnqueueIrp` links an
//! IRP a driver built into its thread's list, as the I/O manager links its own; the IRP
//! leaves the list when it completes to the top (IopCompleteRequest's work) or is freed.
//!
//! The ETHREAD's layout is opaque, so the list head is a kernel block per thread, kept by
//! ETHREAD address; the IRP's ThreadListEntry is linked into it in guest memory as Windows
//! links it. Nothing cancels a thread's IRPs at its exit here (IoCancelThreadIo): the
//! emulated threads end with the run.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{list, FieldAccess, IRP};
use crate::types::Ptr;

/// VOID IoEnqueueIrp(PIRP Irp): links Irp at the head of the list of Irp->Tail.Overlay.Thread
/// (IoQueueThreadIrp). An IRP with no thread faults, as Windows dereferences the thread.
pub fn IoEnqueueIrp(k: &mut Kx, irp: Ptr) -> KResult<()> {
    let thread = k.mem().get(irp.0, IRP::Thread)?;
    if k.ext().objects.get(thread).map(|o| o.kind) != Some(crate::ob::ObjectKind::Thread) {
        // Windows writes the thread's IrpList: what is not a thread faults or is corrupted.
        k.mem().read_u8(thread)?;
        return Err(crate::ob::bad_reference(k, thread, "IoEnqueueIrp (Irp->Tail.Overlay.Thread)"));
    }
    let entry = IRP::ThreadListEntry.at(k.arch(), irp.0);
    if k.ext().io.enqueued_irps.contains(&irp.0) {
        // Linked already: the entry moves to the head, as a second InsertHeadList would
        // corrupt the list instead.
        list::remove(k.mem_mut(), entry)?;
    }
    let head = match k.ext().io.thread_irp_lists.get(&thread) {
        Some(h) => *h,
        None => {
            let ps = k.arch().ptr_size();
            let h = crate::ex::pool::kernel_alloc(k, 2 * ps, b"IrpL")?;
            list::init(k.mem_mut(), h)?;
            k.ext_mut().io.thread_irp_lists.insert(thread, h);
            h
        }
    };
    let first = k.mem().get(head, crate::layout::LIST_ENTRY::Flink)?;
    list::insert_before(k.mem_mut(), first, entry)?;
    k.ext_mut().io.enqueued_irps.insert(irp.0);
    Ok(())
}

/// Takes `irp` out of its thread's list if IoEnqueueIrp linked it (completion, IoFreeIrp).
pub(crate) fn dequeue(k: &mut Kx, irp: u64) -> KResult<()> {
    if k.ext_mut().io.enqueued_irps.remove(&irp) {
        let entry = IRP::ThreadListEntry.at(k.arch(), irp);
        list::remove(k.mem_mut(), entry)?;
    }
    Ok(())
}

/// The IRPs in `thread`'s list, first to last (for tests and reports).
pub fn thread_irps(k: &Kx, thread: u64) -> KResult<Vec<u64>> {
    let Some(&head) = k.ext().io.thread_irp_lists.get(&thread) else { return Ok(Vec::new()) };
    let offset = IRP::ThreadListEntry.at(k.arch(), 0);
    let mut out = Vec::new();
    let mut at = k.mem().get(head, crate::layout::LIST_ENTRY::Flink)?;
    while at != head && out.len() < k.ext().io.enqueued_irps.len() {
        out.push(at - offset);
        at = k.mem().get(at, crate::layout::LIST_ENTRY::Flink)?;
    }
    Ok(out)
}
