//! Threads: PsCreateSystemThread (a guest thread with its own stack and ETHREAD, started by
//! the scheduler), PsTerminateSystemThread, and how a thread ends (its start routine returns,
//! or it terminates itself): notify routines, its mutexes, its object becoming signaled.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::ke::scheduler::{self, trace, Cid, Frame, Kind, Return, Run, SchedEvent, State, Thread};
use crate::kernel::{bugcheck_stop, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, CLIENT_ID, ETHREAD};
use crate::ob::handles::{lookup, open_checked, Mode};
use crate::ob::{ObjectKind, Owner};
use crate::types::{status, NtStatus, Ptr, HANDLE};

/// Base priority of a system thread.
pub const SYSTEM_THREAD_PRIORITY: u8 = 8;

fn new_thread(tid: u64, ethread: u64, process: u64) -> Thread {
    Thread {
        ethread,
        tid,
        process,
        system: false,
        host: false,
        user: false,
        start: 0,
        start_context: 0,
        priority: SYSTEM_THREAD_PRIORITY,
        base_priority: SYSTEM_THREAD_PRIORITY,
        affinity: u64::MAX,
        user_affinity: u64::MAX,
        kernel_apc_disable: 0,
        special_apc_disable: 0,
        exit_status: None,
        wait_next: None,
        worker: None,
        work: None,
        attached: Vec::new(),
        apcs: Default::default(),
    }
}

/// Registers a thread the host calls the driver on as a scheduler context.
pub(crate) fn add_host_thread(k: &mut Kx, ethread: u64, process: u64, system: bool) -> KResult<Cid> {
    let tid = k.mem().get(ethread, ETHREAD::UniqueThread)?;
    let mut t = new_thread(tid, ethread, process);
    t.host = true;
    t.system = system;
    Ok(k.ext_mut().sched.add(Kind::Thread(t), 0, 0))
}

/// Makes an ETHREAD in `process` (PID `pid`) for a new thread; returns it and its TID.
pub(crate) fn new_ethread(k: &mut Kx, process: u64, pid: u64) -> KResult<(u64, u64)> {
    let size = ETHREAD::STRUCT.size(k.arch());
    let ethread = crate::ex::pool::kernel_alloc(k, size, b"Thre")?;
    let tid = k.ext_mut().sched.new_id();
    super::process::init_thread(k, ethread, process, pid, tid)?;
    k.ext_mut().objects.register(ethread, ObjectKind::Thread, None, Owner::Kernel);
    Ok((ethread, tid))
}

/// Creates a system thread in `process` starting at `start(context)`; it runs once the
/// scheduler gets to it. Returns its context.
pub(crate) fn create(k: &mut Kx, process: u64, start: u64, context: u64, worker: Option<u32>) -> KResult<Cid> {
    let pid = k.mem().get(process, crate::layout::EPROCESS::UniqueProcessId)?;
    let (ethread, tid) = new_ethread(k, process, pid)?;
    let mut t = new_thread(tid, ethread, process);
    t.system = true;
    t.start = start;
    t.start_context = context;
    t.worker = worker;
    let cid = k.ext_mut().sched.add(Kind::Thread(t), 0, 0);
    let top = scheduler::give_stack(k, cid)?;
    let (base, size) = k.ext().sched.ctx(cid).stack.expect("just given");
    k.mem_mut().set(ethread, ETHREAD::InitialStack, base + size)?;
    k.mem_mut().set(ethread, ETHREAD::StackLimit, base)?;
    if worker.is_none() {
        let c = &mut k.ext_mut().sched.contexts[cid];
        c.run = Run::Start(Frame {
            pc: start,
            args: vec![context],
            conv: CallConv::Stdcall,
            stack_top: top,
            return_to: Return::ThreadExit,
        });
        k.ext_mut().sched.make_ready(cid);
    }
    let name = scheduler::flow_name(k, cid);
    trace(k, SchedEvent::ThreadStart { thread: name, start, context });
    super::notify::thread_created(k, pid, tid)?;
    Ok(cid)
}

/// NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle, PCLIENT_ID ClientId,
/// PKSTART_ROUTINE StartRoutine, PVOID StartContext)
pub fn PsCreateSystemThread(
    k: &mut Kx,
    thread_handle: Ptr,
    desired_access: u32,
    object_attributes: Ptr,
    process_handle: HANDLE,
    client_id: Ptr,
    start_routine: Ptr,
    start_context: Ptr,
) -> KResult<NtStatus> {
    let process = if process_handle.0 == 0 {
        k.ext().system.system_process
    } else {
        match lookup(k, process_handle.0, Mode::Kernel)? {
            None => return Ok(status::INVALID_HANDLE),
            Some((o, _, _)) if k.ext().objects.get(o).map(|i| i.kind) == Some(ObjectKind::Process) => o,
            Some(_) => return Ok(status::OBJECT_TYPE_MISMATCH),
        }
    };
    let attrs = match crate::ex::named::read(k, object_attributes)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let cid = create(k, process, start_routine.0, start_context.0, None)?;
    let ethread = k.ext().sched.ctx(cid).thread().map(|t| t.ethread).expect("a thread");
    // Object callbacks on threads see the new handle, as for every thread handle made.
    let (value, _) = open_checked(k, ethread, desired_access, attrs.attributes, Mode::Kernel)?;
    k.mem_mut().write_ptr(thread_handle.0, value)?;
    if !client_id.is_null() {
        let pid = k.mem().get(ethread, ETHREAD::UniqueProcess)?;
        let tid = k.mem().get(ethread, ETHREAD::UniqueThread)?;
        k.mem_mut().set(client_id.0, CLIENT_ID::UniqueProcess, pid)?;
        k.mem_mut().set(client_id.0, CLIENT_ID::UniqueThread, tid)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus): ends the calling system thread
/// (it never returns). A thread the host runs calls on is not one: STATUS_INVALID_PARAMETER.
/// A worker thread running a work item must not: ACTIVE_EX_WORKER_THREAD_TERMINATION.
pub fn PsTerminateSystemThread(k: &mut Kx, exit_status: NtStatus) -> KResult<NtStatus> {
    let cid = k.ext().sched.current;
    let (system, host, worker, ethread) = match k.ext().sched.ctx(cid).thread() {
        Some(t) => (t.system, t.host, t.worker.is_some(), t.ethread),
        None => return Ok(status::INVALID_PARAMETER),
    };
    if worker {
        let b = Bugcheck {
            code: 0xE9,
            name: "ACTIVE_EX_WORKER_THREAD_TERMINATION",
            params: [ethread, 0, 0, 0],
            caller: crate::kernel::caller(k),
            reason: "a work item terminated its worker thread".into(),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    if !system || host {
        return Ok(status::INVALID_PARAMETER);
    }
    exit_current(k, exit_status.0)?;
    scheduler::leave(k)?;
    Ok(status::SUCCESS)
}

/// A system thread's start routine returned: it ends with STATUS_SUCCESS.
pub(crate) fn returned(k: &mut Kx, cid: Cid) -> KResult<()> {
    debug_assert_eq!(k.ext().sched.current, cid);
    exit_current(k, status::SUCCESS.0)
}

/// The current thread ends: notify routines run on it, its APCs must be enabled, its
/// mutexes are abandoned, then it is gone.
fn exit_current(k: &mut Kx, exit_status: u32) -> KResult<()> {
    let cid = k.ext().sched.current;
    let (pid, tid) = match k.ext().sched.ctx(cid).thread() {
        Some(t) => (k.mem().get(t.ethread, ETHREAD::UniqueProcess)?, t.tid),
        None => return Ok(()),
    };
    super::notify::thread_exited(k, pid, tid)?;
    crate::ke::apc::check_at_exit(k, cid)?;
    crate::ke::mutex::rundown(k, cid)?;
    terminate(k, cid, exit_status)
}

/// Marks a thread terminated: its object is signaled (its waiters wake), its stack goes
/// back for reuse.
pub(crate) fn terminate(k: &mut Kx, cid: Cid, exit_status: u32) -> KResult<()> {
    let Some(t) = k.ext_mut().sched.contexts[cid].thread_mut() else { return Ok(()) };
    t.exit_status = Some(exit_status);
    let ethread = t.ethread;
    k.ext_mut().sched.contexts[cid].state = State::Terminated;
    crate::ke::apc::drop_queued(k, cid);
    let name = scheduler::flow_name(k, cid);
    trace(k, SchedEvent::ThreadExit { thread: name, status: exit_status });
    crate::ke::dispatcher::signal(k, ethread)?;
    scheduler::release_stack(k, cid);
    Ok(())
}
