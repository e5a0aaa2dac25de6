//! The current thread and its scheduling: KeGetCurrentThread, priorities
//! (KeSetPriorityThread, KeQueryPriorityThread, KeSetBasePriorityThread) and affinity
//! (KeSetSystemAffinityThread(Ex), KeRevertToUserAffinityThread(Ex),
//! KeSetSystemGroupAffinityThread, KeRevertToUserGroupAffinityThread). Restricting a thread's
//! affinity moves it to the lowest processor allowed, at once.
#![allow(non_snake_case)]

use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, GROUP_AFFINITY, KPRCB};
use crate::types::{Ptr, SizeT};

use super::processor::active_mask;
use super::scheduler::Cid;

/// The thread the current processor runs (in a DPC: the one it interrupted).
pub fn current_thread(k: &Kx) -> KResult<u64> {
    let s = &k.ext().sched;
    let kprcb = s.processors[s.current().processor as usize].kprcb;
    Ok(k.mem().get(kprcb, KPRCB::CurrentThread)?)
}

/// PKTHREAD KeGetCurrentThread(void) (exported on x86; x64 drivers read gs:[0x188])
pub fn KeGetCurrentThread(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(current_thread(k)?))
}

/// The context of a thread object; an object that is not a thread ends the run as
/// Windows' dereference of it would.
pub(crate) fn context_of(k: &mut Kx, thread: u64, what: &str) -> KResult<Cid> {
    match k.ext().sched.by_thread(thread) {
        Some(c) => Ok(c),
        None => {
            // Reading it is what Windows would do first: an unreadable pointer faults.
            k.mem().read_u8(thread)?;
            let b = Bugcheck {
                code: 0x18,
                name: "REFERENCE_BY_POINTER",
                params: [0, thread, 0, 0],
                caller: caller(k),
                reason: format!("{what} on {thread:#x}, which is not a thread"),
            };
            Err(KError::Stop(bugcheck_stop(k, b)))
        }
    }
}

/// KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority): returns the old one.
pub fn KeSetPriorityThread(k: &mut Kx, thread: Ptr, priority: i32) -> KResult<i32> {
    let cid = context_of(k, thread.0, "KeSetPriorityThread")?;
    let old = k.ext().sched.ctx(cid).thread().map(|t| t.priority).unwrap_or(0);
    let new = (priority as u32 % super::scheduler::PRIORITIES as u32) as u8;
    k.ext_mut().sched.set_priority(cid, new, None);
    Ok(old as i32)
}

/// KPRIORITY KeQueryPriorityThread(PKTHREAD Thread)
pub fn KeQueryPriorityThread(k: &mut Kx, thread: Ptr) -> KResult<i32> {
    let cid = context_of(k, thread.0, "KeQueryPriorityThread")?;
    Ok(k.ext().sched.ctx(cid).thread().map(|t| t.priority as i32).unwrap_or(0))
}

/// LONG KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment): the base priority becomes
/// the process's (8) plus Increment, within 1..=15; returns the old increment.
pub fn KeSetBasePriorityThread(k: &mut Kx, thread: Ptr, increment: i32) -> KResult<i32> {
    let cid = context_of(k, thread.0, "KeSetBasePriorityThread")?;
    let old = k.ext().sched.ctx(cid).thread().map(|t| t.base_priority as i32 - 8).unwrap_or(0);
    let base = (8 + increment).clamp(1, 15) as u8;
    k.ext_mut().sched.set_priority(cid, base, Some(base));
    Ok(old)
}

/// Restricts the current thread to `mask`, moving it when its processor is not in it.
/// Returns the previous system affinity, 0 when it ran with its user affinity. An empty mask
/// is INVALID_AFFINITY_SET.
fn set_affinity(k: &mut Kx, mask: u64, what: &str) -> KResult<u64> {
    let allowed = mask & active_mask(k);
    if allowed == 0 {
        let b = Bugcheck {
            code: 0x3,
            name: "INVALID_AFFINITY_SET",
            params: [mask, active_mask(k), 0, 0],
            caller: caller(k),
            reason: format!("{what}({mask:#x}) names no active processor"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    let Some(t) = k.ext_mut().sched.current_mut().thread_mut() else { return Ok(0) };
    let old = if t.affinity == t.user_affinity { 0 } else { t.affinity };
    // Reverting keeps the user affinity as it was, so that the next Ex set sees none.
    t.affinity = if mask == t.user_affinity { mask } else { allowed };
    let here = k.ext().sched.current().processor;
    if allowed & (1 << here) == 0 {
        move_to(k, allowed.trailing_zeros())?;
    }
    Ok(old)
}

/// Sets a thread's user affinity (NtSetInformationThread's ThreadAffinityMask), a mask of
/// active processors the caller checked. A thread that runs with its user affinity takes it
/// at once; the current thread moves to the lowest processor of the mask when its own is not
/// in it (another thread stays on its processor: this kernel moves only running threads).
pub(crate) fn set_user_affinity(k: &mut Kx, cid: Cid, mask: u64) -> KResult<()> {
    let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() else { return Ok(()) };
    let system = t.affinity != t.user_affinity;
    t.user_affinity = mask;
    if system {
        return Ok(());
    }
    t.affinity = mask;
    let s = &k.ext().sched;
    if cid == s.current && mask & (1 << s.current().processor) == 0 {
        move_to(k, mask.trailing_zeros())?;
    }
    Ok(())
}

/// Moves the current thread to `processor`: its per-CPU segment, the processor's current
/// thread, its IRQL and (x86) its part of the NT_TIB there.
fn move_to(k: &mut Kx, processor: u32) -> KResult<()> {
    let irql = super::irql::current(k)?;
    let thread = current_thread(k)?;
    let cid = k.ext().sched.current;
    let chain = crate::seh::x86_frames::chain_of(k, k.ext().sched.contexts[cid].processor)?;
    k.ext_mut().sched.contexts[cid].processor = processor;
    let stack = super::scheduler::flow_stack(k, cid);
    crate::seh::x86_frames::load_tib(k, processor, chain, stack)?;
    k.select_cpu(processor)?;
    let kprcb = k.ext().sched.processors[processor as usize].kprcb;
    k.mem_mut().set(kprcb, KPRCB::CurrentThread, thread)?;
    super::irql::set(k, irql)
}

/// VOID KeSetSystemAffinityThread(KAFFINITY Affinity)
pub fn KeSetSystemAffinityThread(k: &mut Kx, affinity: SizeT) -> KResult<()> {
    set_affinity(k, affinity.0, "KeSetSystemAffinityThread").map(|_| ())
}

/// KAFFINITY KeSetSystemAffinityThreadEx(KAFFINITY Affinity): returns the previous affinity.
pub fn KeSetSystemAffinityThreadEx(k: &mut Kx, affinity: SizeT) -> KResult<SizeT> {
    set_affinity(k, affinity.0, "KeSetSystemAffinityThreadEx").map(SizeT)
}

/// The affinity the thread had before any system affinity.
fn user_affinity(k: &Kx) -> u64 {
    k.ext().sched.current().thread().map(|t| t.user_affinity).unwrap_or(u64::MAX)
}

/// VOID KeRevertToUserAffinityThread(void)
pub fn KeRevertToUserAffinityThread(k: &mut Kx) -> KResult<()> {
    let mask = user_affinity(k);
    set_affinity(k, mask, "KeRevertToUserAffinityThread").map(|_| ())
}

/// VOID KeRevertToUserAffinityThreadEx(KAFFINITY Affinity): back to the affinity the Ex set
/// returned (0: the user affinity).
pub fn KeRevertToUserAffinityThreadEx(k: &mut Kx, affinity: SizeT) -> KResult<()> {
    let mask = if affinity.0 == 0 { user_affinity(k) } else { affinity.0 };
    set_affinity(k, mask, "KeRevertToUserAffinityThreadEx").map(|_| ())
}

/// VOID KeSetSystemGroupAffinityThread(PGROUP_AFFINITY Affinity, PGROUP_AFFINITY PreviousAffinity)
pub fn KeSetSystemGroupAffinityThread(k: &mut Kx, affinity: Ptr, previous: Ptr) -> KResult<()> {
    let mask = k.mem().get(affinity.0, GROUP_AFFINITY::Mask)?;
    let group = k.mem().get(affinity.0, GROUP_AFFINITY::Group)?;
    let mask = if group == 0 { mask } else { 0 };
    let old = set_affinity(k, mask, "KeSetSystemGroupAffinityThread")?;
    if !previous.is_null() {
        let mem = k.mem_mut();
        mem.set(previous.0, GROUP_AFFINITY::Mask, old)?;
        mem.set(previous.0, GROUP_AFFINITY::Group, 0)?;
    }
    Ok(())
}

/// VOID KeRevertToUserGroupAffinityThread(PGROUP_AFFINITY PreviousAffinity)
pub fn KeRevertToUserGroupAffinityThread(k: &mut Kx, previous: Ptr) -> KResult<()> {
    let mask = k.mem().get(previous.0, GROUP_AFFINITY::Mask)?;
    let mask = if mask == 0 { user_affinity(k) } else { mask };
    set_affinity(k, mask, "KeRevertToUserGroupAffinityThread").map(|_| ())
}
