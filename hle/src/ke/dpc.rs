//! Deferred procedure calls: KeInitializeDpc, KeInitializeThreadedDpc, KeInsertQueueDpc,
//! KeRemoveQueueDpc, KeSetTargetProcessorDpc(Ex), KeSetImportanceDpc, KeFlushQueuedDpcs, and
//! the generic call on every processor (KeGenericCallDpc, KeSignalCallDpcSynchronize,
//! KeSignalCallDpcDone).
//!
//! Each processor has a queue and a DPC context with a stack of its own; a DPC runs there at
//! DISPATCH_LEVEL with that processor's control region, before any thread, as soon as the
//! IRQL of the code that queued it drops below DISPATCH_LEVEL (or at the next switch). A
//! threaded DPC runs the same way.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv};

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, KDPC, PROCESSOR_NUMBER};
use crate::types::{status, NtStatus, Ptr};

use super::irql::{self, DISPATCH_LEVEL};
use super::scheduler::{self, reason, trace, Block, Cid, Frame, Resume, Return, SchedEvent, State, Wait};

/// KOBJECTS: DpcObject, ThreadedDpcObject.
const DPC_OBJECT: u64 = 0x13;
const THREADED_DPC_OBJECT: u64 = 0x18;
/// KDPC_IMPORTANCE.
const HIGH_IMPORTANCE: u64 = 2;
const MEDIUM_IMPORTANCE: u64 = 1;

/// MAXIMUM_PROCESSORS: KDPC.Number holds it plus the target processor once one is set.
pub fn maximum_processors(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 32,
        Arch::X64 => 64,
    }
}

fn init(k: &mut Kx, dpc: u64, routine: u64, context: u64, kind: u64) -> KResult<()> {
    let arch = k.arch();
    let mem = k.mem_mut();
    mem.set(dpc, KDPC::Type, kind)?;
    mem.set(dpc, KDPC::Importance, MEDIUM_IMPORTANCE)?;
    mem.set(dpc, KDPC::Number, 0)?;
    let list = KDPC::DpcListEntry.at(arch, dpc);
    mem.write_ptr(list, 0)?;
    mem.write_ptr(list + arch.ptr_size(), 0)?;
    mem.set(dpc, KDPC::DeferredRoutine, routine)?;
    mem.set(dpc, KDPC::DeferredContext, context)?;
    mem.set(dpc, KDPC::DpcData, 0)?;
    Ok(())
}

/// VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
pub fn KeInitializeDpc(k: &mut Kx, dpc: Ptr, routine: Ptr, context: Ptr) -> KResult<()> {
    init(k, dpc.0, routine.0, context.0, DPC_OBJECT)
}

/// VOID KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
/// PVOID DeferredContext)
pub fn KeInitializeThreadedDpc(k: &mut Kx, dpc: Ptr, routine: Ptr, context: Ptr) -> KResult<()> {
    init(k, dpc.0, routine.0, context.0, THREADED_DPC_OBJECT)
}

/// Queues `dpc` on its target processor (or the current one). False if already queued.
pub(crate) fn insert(k: &mut Kx, dpc: u64, arg1: u64, arg2: u64) -> KResult<bool> {
    if k.mem().get(dpc, KDPC::DpcData)? != 0 {
        return Ok(false);
    }
    let number = k.mem().get(dpc, KDPC::Number)?;
    let max = maximum_processors(k.arch());
    let processor = if number >= max { number - max } else { k.ext().sched.current().processor as u64 };
    let Some(p) = k.ext().sched.processors.get(processor as usize) else {
        let b = Bugcheck {
            code: 0x50,
            name: "PAGE_FAULT_IN_NONPAGED_AREA",
            params: [0, 0, caller(k), 0],
            caller: caller(k),
            reason: format!("a DPC queued on processor {processor}, which does not exist"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    };
    let kprcb = p.kprcb;
    let mem = k.mem_mut();
    mem.set(dpc, KDPC::SystemArgument1, arg1)?;
    mem.set(dpc, KDPC::SystemArgument2, arg2)?;
    // DpcData points at the processor's DPC data while queued; the processor block stands in.
    mem.set(dpc, KDPC::DpcData, kprcb)?;
    let high = k.mem().get(dpc, KDPC::Importance)? == HIGH_IMPORTANCE;
    let q = &mut k.ext_mut().sched.processors[processor as usize].dpcs;
    if high {
        q.push_front(dpc);
    } else {
        q.push_back(dpc);
    }
    Ok(true)
}

/// BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2). Below
/// DISPATCH_LEVEL the DPC runs as soon as this returns.
pub fn KeInsertQueueDpc(k: &mut Kx, dpc: Ptr, arg1: Ptr, arg2: Ptr) -> KResult<crate::types::Boolean> {
    let queued = insert(k, dpc.0, arg1.0, arg2.0)?;
    if queued {
        scheduler::deliver_after_call(k);
    }
    Ok(crate::types::Boolean(queued))
}

/// BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc): true if it was queued (and now is not).
pub fn KeRemoveQueueDpc(k: &mut Kx, dpc: Ptr) -> KResult<crate::types::Boolean> {
    if k.mem().get(dpc.0, KDPC::DpcData)? == 0 {
        return Ok(crate::types::Boolean(false));
    }
    let mut found = false;
    for p in &mut k.ext_mut().sched.processors {
        let before = p.dpcs.len();
        p.dpcs.retain(|d| *d != dpc.0);
        found |= p.dpcs.len() != before;
    }
    k.mem_mut().set(dpc.0, KDPC::DpcData, 0)?;
    Ok(crate::types::Boolean(found))
}

/// VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)
pub fn KeSetImportanceDpc(k: &mut Kx, dpc: Ptr, importance: u32) -> KResult<()> {
    k.mem_mut().set(dpc.0, KDPC::Importance, importance as u64)?;
    Ok(())
}

/// VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number)
pub fn KeSetTargetProcessorDpc(k: &mut Kx, dpc: Ptr, number: u8) -> KResult<()> {
    let max = maximum_processors(k.arch());
    k.mem_mut().set(dpc.0, KDPC::Number, number as u64 + max)?;
    Ok(())
}

/// NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber)
pub fn KeSetTargetProcessorDpcEx(k: &mut Kx, dpc: Ptr, number: Ptr) -> KResult<NtStatus> {
    let group = k.mem().get(number.0, PROCESSOR_NUMBER::Group)?;
    let n = k.mem().get(number.0, PROCESSOR_NUMBER::Number)?;
    if group != 0 || n >= k.cpus() as u64 {
        return Ok(status::INVALID_PARAMETER);
    }
    KeSetTargetProcessorDpc(k, dpc, n as u8)?;
    Ok(status::SUCCESS)
}

/// Starts the next queued DPC on a processor's DPC context.
pub(crate) fn start_next(k: &mut Kx, cid: Cid) -> KResult<()> {
    let processor = k.ext().sched.ctx(cid).processor;
    let Some(dpc) = k.ext_mut().sched.processors[processor as usize].dpcs.pop_front() else { return Ok(()) };
    let mem = k.mem();
    let routine = mem.get(dpc, KDPC::DeferredRoutine)?;
    let context = mem.get(dpc, KDPC::DeferredContext)?;
    let arg1 = mem.get(dpc, KDPC::SystemArgument1)?;
    let arg2 = mem.get(dpc, KDPC::SystemArgument2)?;
    k.mem_mut().set(dpc, KDPC::DpcData, 0)?;
    scheduler::check_loaded(k, routine, "a DPC routine")?;
    let top = match k.ext().sched.ctx(cid).stack {
        Some((base, size)) => base + size - 0x100,
        None => scheduler::give_stack(k, cid)?,
    };
    let c = &mut k.ext_mut().sched.contexts[cid];
    c.irql = DISPATCH_LEVEL;
    c.state = State::Ready;
    c.run = scheduler::Run::Start(Frame {
        pc: routine,
        args: vec![dpc, context, arg1, arg2],
        conv: CallConv::Stdcall,
        stack_top: top,
        return_to: Return::Dpc,
    });
    trace(k, SchedEvent::Dpc { processor, dpc, routine });
    Ok(())
}

/// A DPC routine returned: it must still be at DISPATCH_LEVEL.
pub(crate) fn finished(k: &mut Kx, cid: Cid) -> KResult<()> {
    let level = irql::current(k)?;
    if level != DISPATCH_LEVEL {
        let b = Bugcheck {
            code: 0xC8,
            name: "IRQL_UNEXPECTED_VALUE",
            params: [((level as u64) << 16) | DISPATCH_LEVEL as u64, 0, 0, 0],
            caller: 0,
            reason: format!("a DPC routine returned at IRQL {level}"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    k.ext_mut().sched.contexts[cid].state = State::Idle;
    Ok(())
}

/// Runs every queued DPC before the caller goes on, the caller waiting for them.
fn wait_for_dpcs(k: &mut Kx, what: &str) -> KResult<()> {
    let level = irql::current(k)?;
    super::wait::check_may_wait(k, level, what)?;
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Dpcs,
        deadline: None,
        timeout_status: 0,
        reason: reason::WR_DPC,
        alertable: false,
        mode: 0,
        seq,
    };
    scheduler::run_dpcs(k, wait)
}

/// VOID KeFlushQueuedDpcs(void): returns once every DPC queued on any processor has run.
pub fn KeFlushQueuedDpcs(k: &mut Kx) -> KResult<()> {
    wait_for_dpcs(k, "KeFlushQueuedDpcs")
}

/// A generic call's barrier: the DPCs waiting at it, and how many must arrive.
#[derive(Clone, Debug, Default)]
pub struct Barrier {
    pub total: u32,
    pub waiting: Vec<Cid>,
}

/// VOID KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context): runs Routine on every
/// processor as a DPC (SystemArgument1: the count KeSignalCallDpcDone decrements;
/// SystemArgument2: the barrier of KeSignalCallDpcSynchronize) and returns once all of them
/// signalled done.
pub fn KeGenericCallDpc(k: &mut Kx, routine: Ptr, context: Ptr) -> KResult<()> {
    let n = k.cpus();
    let arch = k.arch();
    let dpc_size = KDPC::STRUCT.size(arch);
    // The two counters, then one KDPC per processor.
    let block = crate::ex::pool::kernel_alloc(k, 16 + n as u64 * dpc_size, b"Gdpc")?;
    let (done, barrier) = (block, block + 8);
    k.mem_mut().write_u32(done, n)?;
    k.mem_mut().write_u32(barrier, n)?;
    k.ext_mut().sched.barriers.insert(barrier, Barrier { total: n, waiting: vec![] });
    for p in 0..n {
        let dpc = block + 16 + p as u64 * dpc_size;
        init(k, dpc, routine.0, context.0, DPC_OBJECT)?;
        k.mem_mut().set(dpc, KDPC::Importance, HIGH_IMPORTANCE)?;
        KeSetTargetProcessorDpc(k, Ptr(dpc), p as u8)?;
        insert(k, dpc, done, barrier)?;
    }
    let r = wait_for_dpcs(k, "KeGenericCallDpc");
    k.ext_mut().sched.barriers.remove(&barrier);
    r?;
    let left = k.mem().read_u32(done)?;
    crate::ex::pool::free(k, block, None, 0)?;
    if left != 0 {
        let graph = super::wait_graph::build(k);
        let mut stop = super::wait_graph::deadlock(k, graph);
        if let portcullis_emu::Stop::Host(crate::kernel::KernelStop::Deadlock(d)) = &mut stop {
            d.reason = format!("KeGenericCallDpc waits for {left} DPC(s) that returned without KeSignalCallDpcDone");
        }
        return Err(KError::Stop(stop));
    }
    Ok(())
}

/// VOID KeSignalCallDpcDone(PVOID SystemArgument1)
pub fn KeSignalCallDpcDone(k: &mut Kx, arg1: Ptr) -> KResult<()> {
    let left = k.mem().read_u32(arg1.0)?;
    k.mem_mut().write_u32(arg1.0, left.wrapping_sub(1))?;
    Ok(())
}

/// LOGICAL KeSignalCallDpcSynchronize(PVOID SystemArgument2): waits until the generic call's
/// DPCs on every processor have reached it; TRUE for the last to arrive, FALSE for the rest.
pub fn KeSignalCallDpcSynchronize(k: &mut Kx, arg2: Ptr) -> KResult<u32> {
    let barrier = arg2.0;
    let left = k.mem().read_u32(barrier)?.wrapping_sub(1);
    k.mem_mut().write_u32(barrier, left)?;
    let cid = k.ext().sched.current;
    let Some(b) = k.ext_mut().sched.barriers.get_mut(&barrier) else {
        // Not a generic call's barrier: a single processor is trivially everyone.
        return Ok(1);
    };
    if left == 0 || b.waiting.len() as u32 + 1 >= b.total {
        // The last one: everyone goes on, and the barrier can be used again.
        let total = b.total;
        let waiting = std::mem::take(&mut b.waiting);
        k.mem_mut().write_u32(barrier, total)?;
        for w in waiting {
            k.ext_mut().sched.wake(w, 0);
        }
        return Ok(1);
    }
    b.waiting.push(cid);
    let seq = k.ext_mut().sched.next_seq();
    let wait = Wait {
        block: Block::Barrier { barrier },
        deadline: None,
        timeout_status: 0,
        reason: reason::WR_DPC,
        alertable: false,
        mode: 0,
        seq,
    };
    Ok(scheduler::block(k, wait, Resume::Value(0))?.unwrap_or(0) as u32)
}
