//! The kernel's side of a user program's further threads (kernel32's CreateThread, issue 14):
//! an ETHREAD in the program's process with a thread id of its own, a scheduler context the
//! user-mode layer runs (as the host runs the process's first thread: never from the
//! scheduler's loops, `ke/user_wait.rs`), the thread notify routines when it starts and
//! ends, and its object signaled when it ends.

use crate::ke::scheduler::{trace, Cid, SchedEvent};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, ETHREAD};

/// A user thread the kernel knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserThread {
    pub ethread: u64,
    pub tid: u64,
    pub cid: Cid,
}

/// Creates a thread of the user process `eprocess` that starts at `start(parameter)` with
/// `teb`: traced as a thread start, thread notify routines told (on the creating thread,
/// as PspInsertThread tells them).
pub fn create(k: &mut Kx, eprocess: u64, start: u64, parameter: u64, teb: u64) -> KResult<UserThread> {
    let pid = k.mem().get(eprocess, EPROCESS::UniqueProcessId)?;
    let (ethread, tid) = super::thread::new_ethread(k, eprocess, pid)?;
    k.mem_mut().set(ethread, ETHREAD::Teb, teb)?;
    let cid = super::thread::add_host_thread(k, ethread, eprocess, false)?;
    mark(k, cid, start, parameter);
    let name = crate::ke::scheduler::flow_name(k, cid);
    trace(k, SchedEvent::ThreadStart { thread: name, start, context: parameter });
    super::notify::thread_created(k, pid, tid)?;
    Ok(UserThread { ethread, tid, cid })
}

/// The user-mode layer put user thread `to` in the engine in place of `from`: traced as
/// the scheduler's own switches are.
pub fn switched(k: &mut Kx, from: Cid, to: Cid) {
    if from != to {
        crate::ke::scheduler::trace_switch(k, from, to);
    }
}

/// Marks context `cid` as a user program's thread that starts at `start(parameter)` (the
/// first thread of a program's process, which the kernel made with the process, too).
pub fn mark(k: &mut Kx, cid: Cid, start: u64, parameter: u64) {
    if let Some(t) = k.ext_mut().sched.contexts.get_mut(cid).and_then(|c| c.thread_mut()) {
        t.user = true;
        t.start = start;
        t.start_context = parameter;
    }
}

/// The user thread `t` ends with `exit_status`: thread notify routines run (on it, as it
/// ends itself), then its object is signaled (its waiters wake).
pub fn exit(k: &mut Kx, t: UserThread, exit_status: u32) -> KResult<()> {
    let pid = k.mem().get(t.ethread, ETHREAD::UniqueProcess)?;
    super::notify::thread_exited(k, pid, t.tid)?;
    crate::ke::mutex::rundown(k, t.cid)?;
    crate::ke::user_wait::abandon(k, t.cid);
    super::thread::terminate(k, t.cid, exit_status)
}

/// The user thread `t` ends with its process (another thread ended it): no notify routine
/// runs for it on its own behalf; its wait is abandoned and its object signaled.
pub fn end_with_process(k: &mut Kx, t: UserThread, exit_status: u32) -> KResult<()> {
    crate::ke::user_wait::abandon(k, t.cid);
    crate::ke::mutex::rundown(k, t.cid)?;
    super::thread::terminate(k, t.cid, exit_status)
}
