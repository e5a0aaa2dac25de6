//! Asynchronous procedure calls: KeInitializeApc, KeInsertQueueApc, and APC disabling:
//! KeEnterCriticalRegion / KeLeaveCriticalRegion (normal kernel APCs), KeEnterGuardedRegion /
//! KeLeaveGuardedRegion (all APCs), KeAreApcsDisabled, KeAreAllApcsDisabled.
//!
//! Delivery is what the APC interrupt would do, on the current thread only: a kernel-mode
//! APC queued to the current thread runs as soon as it may (IRQL at PASSIVE_LEVEL, not in a
//! guarded region, and, for a normal APC, not in a critical region nor inside another normal
//! APC): when KeInsertQueueApc queues it, when leaving the region that held it back, or
//! when the IRQL drops below APC_LEVEL (KeLowerIrql, releasing a spin lock). Its
//! KernelRoutine runs at APC_LEVEL, then its NormalRoutine, if still set, at PASSIVE_LEVEL.
//! APCs queued to another thread, and user-mode APCs (no user-mode code runs here), stay
//! queued: the scheduler snapshot lists them, the trace records them, and they are dropped,
//! never run, when their thread ends.
//!
//! The disable counts are checked as Windows does: a request that returns to user mode with
//! kernel APCs still disabled is APC_INDEX_MISMATCH, a thread that ends with them disabled
//! KERNEL_APC_PENDING_DURING_EXIT.
#![allow(non_snake_case)]

use portcullis_emu::{CallConv, Reg};

use crate::kernel::{bugcheck_stop, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, ETHREAD, KAPC};
use crate::types::{Boolean, Ptr};

use super::irql::{self, APC_LEVEL, PASSIVE_LEVEL};
use super::scheduler::{trace, Cid, SchedEvent, State, Thread};

/// KOBJECTS.ApcObject, in KAPC.Type.
const APC_OBJECT: u64 = 18;
/// KPROCESSOR_MODE.
const KERNEL_MODE: u8 = 0;
/// KAPC_ENVIRONMENT: CurrentApcEnvironment takes the thread's present one.
const CURRENT_APC_ENVIRONMENT: u32 = 2;

/// The APCs queued to one thread and not delivered, in delivery order (KAPC addresses).
#[derive(Clone, Debug, Default)]
pub struct ApcQueues {
    /// Kernel-mode APCs: special ones (no NormalRoutine) first, then normal ones.
    pub kernel: Vec<u64>,
    /// User-mode APCs.
    pub user: Vec<u64>,
    /// A normal kernel APC's NormalRoutine is running (KernelApcInProgress).
    pub in_progress: bool,
}

impl ApcQueues {
    /// Every queued APC, kernel-mode first.
    pub fn all(&self) -> Vec<u64> {
        self.kernel.iter().chain(self.user.iter()).copied().collect()
    }
}

/// KTHREAD.ApcStateIndex: 1 while attached to another process, else 0.
fn apc_state_index(t: &Thread) -> u8 {
    u8::from(!t.attached.is_empty())
}

/// VOID KeInitializeApc(PRKAPC Apc, PRKTHREAD Thread, KAPC_ENVIRONMENT Environment,
/// PKKERNEL_ROUTINE KernelRoutine, PKRUNDOWN_ROUTINE RundownRoutine, PKNORMAL_ROUTINE
/// NormalRoutine, KPROCESSOR_MODE ApcMode, PVOID NormalContext). As ReactOS: an APC without
/// a NormalRoutine is a special kernel-mode APC whatever the mode asked for.
#[allow(clippy::too_many_arguments)]
pub fn KeInitializeApc(
    k: &mut Kx,
    apc: Ptr,
    thread: Ptr,
    environment: u32,
    kernel_routine: Ptr,
    rundown_routine: Ptr,
    normal_routine: Ptr,
    mode: u8,
    normal_context: Ptr,
) -> KResult<()> {
    let index = if environment == CURRENT_APC_ENVIRONMENT {
        let s = &k.ext().sched;
        s.by_thread(thread.0).and_then(|c| s.ctx(c).thread()).map(apc_state_index).unwrap_or(0)
    } else {
        environment as u8
    };
    let (mode, context) = if normal_routine.0 == 0 { (KERNEL_MODE, 0) } else { (mode, normal_context.0) };
    let size = KAPC::STRUCT.size(k.arch());
    let mem = k.mem_mut();
    mem.set(apc.0, KAPC::Type, APC_OBJECT)?;
    mem.set(apc.0, KAPC::Size, size)?;
    mem.set(apc.0, KAPC::Thread, thread.0)?;
    mem.set(apc.0, KAPC::KernelRoutine, kernel_routine.0)?;
    mem.set(apc.0, KAPC::RundownRoutine, rundown_routine.0)?;
    mem.set(apc.0, KAPC::NormalRoutine, normal_routine.0)?;
    mem.set(apc.0, KAPC::NormalContext, context)?;
    mem.set(apc.0, KAPC::ApcStateIndex, index as u64)?;
    mem.set(apc.0, KAPC::ApcMode, mode as u64)?;
    mem.set(apc.0, KAPC::Inserted, 0)?;
    Ok(())
}

/// BOOLEAN KeInsertQueueApc(PRKAPC Apc, PVOID SystemArgument1, PVOID SystemArgument2,
/// KPRIORITY Increment): FALSE if the APC is queued already or its thread cannot take APCs
/// (it has ended, or is no thread); otherwise queues it to its thread and returns TRUE. An
/// APC to the current thread that may run now runs before this returns.
pub fn KeInsertQueueApc(k: &mut Kx, apc: Ptr, arg1: Ptr, arg2: Ptr, _increment: u32) -> KResult<Boolean> {
    let thread = k.mem().get(apc.0, KAPC::Thread)?;
    let inserted = k.mem().get(apc.0, KAPC::Inserted)? != 0;
    let live = k.ext().sched.by_thread(thread).filter(|c| k.ext().sched.ctx(*c).state != State::Terminated);
    let Some(cid) = live.filter(|_| !inserted) else { return Ok(Boolean(false)) };
    let mem = k.mem_mut();
    mem.set(apc.0, KAPC::SystemArgument1, arg1.0)?;
    mem.set(apc.0, KAPC::SystemArgument2, arg2.0)?;
    mem.set(apc.0, KAPC::Inserted, 1)?;
    let mode = k.mem().get(apc.0, KAPC::ApcMode)? as u8;
    let special = k.mem().get(apc.0, KAPC::NormalRoutine)? == 0;
    // Read before the queue is borrowed: where special APCs end in the kernel list.
    let specials = {
        let q = k.ext().sched.ctx(cid).thread().map(|t| t.apcs.kernel.clone()).unwrap_or_default();
        q.iter().take_while(|a| k.mem().get(**a, KAPC::NormalRoutine).is_ok_and(|n| n == 0)).count()
    };
    if let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() {
        match (mode, special) {
            (KERNEL_MODE, true) => t.apcs.kernel.insert(specials, apc.0),
            (KERNEL_MODE, false) => t.apcs.kernel.push(apc.0),
            _ => t.apcs.user.push(apc.0),
        }
    }
    let name = super::scheduler::flow_name(k, cid);
    trace(k, SchedEvent::ApcQueued { thread: name, apc: apc.0, mode });
    if cid == k.ext().sched.current {
        deliver(k)?;
    }
    Ok(Boolean(true))
}

/// The next kernel-mode APC the current thread may run now, taken off its queue, as the
/// APC interrupt (KiDeliverApc) picks it: none in a guarded region or above PASSIVE_LEVEL;
/// a special APC first; a normal one only outside critical regions and other normal APCs.
fn next_deliverable(k: &mut Kx) -> KResult<Option<u64>> {
    let queued = k.ext().sched.current().thread().is_some_and(|t| !t.apcs.kernel.is_empty());
    if !queued || k.depth() == 0 || irql::current(k)? != PASSIVE_LEVEL {
        return Ok(None);
    }
    let Some(t) = k.ext().sched.current().thread() else { return Ok(None) };
    if t.special_apc_disable != 0 {
        return Ok(None);
    }
    let index = apc_state_index(t) as u64;
    let (normal_ok, queue) = (t.kernel_apc_disable == 0 && !t.apcs.in_progress, t.apcs.kernel.clone());
    let mut pick = None;
    for (i, apc) in queue.iter().enumerate() {
        if k.mem().get(*apc, KAPC::ApcStateIndex)? != index {
            continue; // for the other environment: it waits for the thread to attach or detach
        }
        let special = k.mem().get(*apc, KAPC::NormalRoutine)? == 0;
        if special || normal_ok {
            pick = Some(i);
        }
        break;
    }
    let Some(i) = pick else { return Ok(None) };
    let t = k.ext_mut().sched.current_mut().thread_mut().expect("checked above");
    Ok(Some(t.apcs.kernel.remove(i)))
}

/// Runs every kernel-mode APC of the current thread that may run now.
pub(crate) fn deliver(k: &mut Kx) -> KResult<()> {
    while let Some(apc) = next_deliverable(k)? {
        run_one(k, apc)?;
    }
    Ok(())
}

/// Delivers one APC as KiDeliverApc does: it leaves the queue, its KernelRoutine runs at
/// APC_LEVEL with pointers to the NormalRoutine, NormalContext and system arguments (it may
/// change them, or free the APC), then the NormalRoutine, if any is left, at PASSIVE_LEVEL.
fn run_one(k: &mut Kx, apc: u64) -> KResult<()> {
    let arch = k.arch();
    let mem = k.mem();
    let kernel_routine = mem.get(apc, KAPC::KernelRoutine)?;
    let fields = [
        mem.get(apc, KAPC::NormalRoutine)?,
        mem.get(apc, KAPC::NormalContext)?,
        mem.get(apc, KAPC::SystemArgument1)?,
        mem.get(apc, KAPC::SystemArgument2)?,
    ];
    k.mem_mut().set(apc, KAPC::Inserted, 0)?;
    let thread = super::scheduler::flow_name(k, k.ext().sched.current);
    trace(k, SchedEvent::Apc { thread, apc, kernel_routine, normal_routine: fields[0] });
    let conv = CallConv::Stdcall.for_arch(arch);
    // The four locals KiDeliverApc passes by address live on the stack below the caller's.
    let ps = arch.ptr_size();
    let sp = k.reg(Reg::Sp);
    let locals = (sp - 4 * ps - 0x40) & !0xF;
    for (i, v) in fields.iter().enumerate() {
        k.mem_mut().write_ptr(locals + i as u64 * ps, *v)?;
    }
    let slots: Vec<u64> = (0..4).map(|i| locals + i * ps).collect();
    irql::set(k, APC_LEVEL)?;
    k.set_reg(Reg::Sp, locals);
    let r = k.call(kernel_routine, &[apc, slots[0], slots[1], slots[2], slots[3]], conv);
    k.set_reg(Reg::Sp, sp);
    r?;
    let mut v = [0u64; 4];
    for (i, slot) in slots.iter().enumerate() {
        v[i] = k.mem().read_ptr(*slot)?;
    }
    if v[0] != 0 {
        set_in_progress(k, true);
        irql::set(k, PASSIVE_LEVEL)?;
        k.set_reg(Reg::Sp, locals);
        let r = k.call(v[0], &[v[1], v[2], v[3]], conv);
        k.set_reg(Reg::Sp, sp);
        set_in_progress(k, false);
        r?;
    }
    irql::set(k, PASSIVE_LEVEL)
}

fn set_in_progress(k: &mut Kx, on: bool) {
    with_thread(k, |t| t.apcs.in_progress = on);
}

/// A thread ends: the APCs still queued to it are never delivered here; the trace says so.
pub(crate) fn drop_queued(k: &mut Kx, cid: Cid) {
    let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() else { return };
    let apcs = std::mem::take(&mut t.apcs).all();
    if !apcs.is_empty() {
        let thread = super::scheduler::flow_name(k, cid);
        trace(k, SchedEvent::ApcsDropped { thread, apcs });
    }
}

fn with_thread(k: &mut Kx, f: impl FnOnce(&mut Thread)) {
    if let Some(t) = k.ext_mut().sched.current_mut().thread_mut() {
        f(t);
    }
}

/// VOID KeEnterCriticalRegion(void)
pub fn KeEnterCriticalRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.kernel_apc_disable += 1);
    Ok(())
}

/// VOID KeLeaveCriticalRegion(void)
/// Normal kernel APCs held back run once the last region is left.
pub fn KeLeaveCriticalRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.kernel_apc_disable -= 1);
    deliver(k)
}

/// VOID KeEnterGuardedRegion(void)
pub fn KeEnterGuardedRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.special_apc_disable += 1);
    Ok(())
}

/// VOID KeLeaveGuardedRegion(void)
/// Kernel APCs held back run once the last region is left.
pub fn KeLeaveGuardedRegion(k: &mut Kx) -> KResult<()> {
    with_thread(k, |t| t.special_apc_disable -= 1);
    deliver(k)
}

fn counts(k: &Kx) -> (i32, i32) {
    k.ext().sched.current().thread().map(|t| (t.kernel_apc_disable, t.special_apc_disable)).unwrap_or((0, 0))
}

/// BOOLEAN KeAreApcsDisabled(void): in a critical or guarded region, or at APC_LEVEL or above.
pub fn KeAreApcsDisabled(k: &mut Kx) -> KResult<Boolean> {
    let (normal, special) = counts(k);
    Ok(Boolean(normal != 0 || special != 0 || irql::current(k)? >= APC_LEVEL))
}

/// BOOLEAN KeAreAllApcsDisabled(void): in a guarded region, or at APC_LEVEL or above.
pub fn KeAreAllApcsDisabled(k: &mut Kx) -> KResult<Boolean> {
    let (_, special) = counts(k);
    Ok(Boolean(special != 0 || irql::current(k)? >= APC_LEVEL))
}

/// A request returns to user mode: kernel APCs must be enabled again (APC_INDEX_MISMATCH).
pub fn check_at_return(k: &mut Kx) -> KResult<()> {
    let (normal, special) = counts(k);
    if normal != 0 || special != 0 {
        let b = Bugcheck {
            code: 0x1,
            name: "APC_INDEX_MISMATCH",
            params: [0, 0, ((special as u32 as u64) << 16) | (normal as u16 as u64), 0],
            caller: 0,
            reason: format!(
                "a request returned with kernel APCs disabled ({normal} critical, {special} guarded regions open)"
            ),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    Ok(())
}

/// A thread ends: its APCs must be enabled (KERNEL_APC_PENDING_DURING_EXIT).
pub(crate) fn check_at_exit(k: &mut Kx, cid: Cid) -> KResult<()> {
    let Some(t) = k.ext().sched.ctx(cid).thread() else { return Ok(()) };
    let (normal, thread) = (t.kernel_apc_disable, t.ethread);
    if normal != 0 {
        let level = irql::current(k)?;
        let b = Bugcheck {
            code: 0x20,
            name: "KERNEL_APC_PENDING_DURING_EXIT",
            params: [0, normal as u32 as u64, level as u64, 0],
            caller: 0,
            reason: format!("thread {thread:#x} ended with kernel APCs disabled ({normal})"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    Ok(())
}

/// BOOLEAN KeTestAlertThread(KPROCESSOR_MODE AlertMode): whether the current thread was alerted
/// for `AlertMode`, clearing the alert; when it was not and AlertMode is UserMode with user
/// APCs queued, it marks a user APC pending (KAPC_STATE.UserApcPending), as ReactOS's does.
/// Nothing here alerts a thread (no KeAlertThread, alertable waits end only by their objects
/// or time-outs), so the answer is always FALSE.
pub fn KeTestAlertThread(k: &mut Kx, alert_mode: u8) -> KResult<Boolean> {
    let thread = crate::ps::current_thread(k)?;
    if alert_mode != KERNEL_MODE {
        let cid = k.ext().sched.current;
        let user_apcs = k.ext().sched.ctx(cid).thread().is_some_and(|t| !t.apcs.user.is_empty());
        if user_apcs {
            k.mem_mut().set(thread, ETHREAD::UserApcPending, 1)?;
        }
    }
    Ok(Boolean(false))
}
