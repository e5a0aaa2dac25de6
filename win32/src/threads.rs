//! A program's threads: the first, which the host runs, and those CreateThread makes.
//!
//! All of a process's threads — and those of the processes it starts (CreateProcess), each
//! switch between processes loading the other's address space — run in the one run the
//! host started for it, one at a time,
//! switched here at their library calls — never in the middle of their own code, as on one
//! processor without preemption. A thread goes on until it waits for something that is not
//! there yet (WaitForSingleObject, Sleep, a critical section another thread holds), yields
//! (Sleep(0), SwitchToThread) or ends. Then its call is *held*: its registers are saved at
//! the call's slot, the call's trace waits for its value, and another thread of the process
//! that can go on is put into the engine in its place (a jump within the run, well under a
//! microsecond). A held call completes when its thread comes back, with the status its wait
//! ended with, traced then.
//!
//! The waits are the kernel's (`hle::ke::user_wait`): each thread has its own ETHREAD and
//! scheduler context, so an auto-reset event wakes one waiter in the order they came, a
//! timeout fires on the virtual clock, a driver that sets the event wakes the thread, and
//! the wait graph names the threads of a deadlock. When none of the process's threads can
//! go on, another process's thread that can does; when none at all can, the one whose call
//! is running waits in place for any of their waits to end:
//! driver threads, DPCs and timers run meanwhile; when nothing could ever end one, the run
//! stops with the kernel's deadlock. Threads are chosen in turn, from the one after the
//! thread that stopped: the same program gives the same interleaving, and the same trace.
//!
//! A new thread starts with its libraries told (DLL_THREAD_ATTACH: TLS callbacks and
//! DllMain of each attached library that did not DisableThreadLibraryCalls, in the order
//! they attached), then its start routine, which returns into a slot that ends the thread
//! as ExitThread does (DLL_THREAD_DETACH in reverse, then the kernel ends it: notify
//! routines, its object signaled). The last thread to end ends the process with its exit
//! code, as ExitProcess would; ExitProcess from any thread ends the others with it.

use std::rc::Rc;

use portcullis_emu::{CallConv, Prot, RegionKind, SavedContext, Stop, PAGE_SIZE};
use portcullis_hle::ke::scheduler::reason;
use portcullis_hle::ke::user_wait;
use portcullis_hle::kernel::{ApiCall, KError, KResult, KernelEvent, Kx};
use portcullis_hle::ps::user_thread::{self, UserThread};

use crate::module::{InitCall, DLL_THREAD_ATTACH, DLL_THREAD_DETACH};

/// Most threads a process may have had (a hostile program creating threads in a loop meets
/// ERROR_NOT_ENOUGH_MEMORY, as one exhausting its address space would).
pub const MAX_THREADS: usize = 256;
/// The stack a thread gets when CreateThread asks for less (the program's default reserve).
pub const DEFAULT_STACK: u64 = 0x10_0000;
/// The largest stack a thread gets.
pub const MAX_STACK: u64 = 0x100_0000;

/// One thread of a process.
#[derive(Clone, Debug)]
pub struct Thread {
    pub tid: u64,
    pub ethread: u64,
    /// Its scheduler context in the kernel.
    pub(crate) cid: usize,
    pub teb: u64,
    /// Where its stack begins (highest address, past the end) and ends.
    pub stack_top: u64,
    pub stack_limit: u64,
    /// Its static TLS array (the TEB's ThreadLocalStoragePointer).
    pub(crate) tls_array: u64,
    /// Its start routine and parameter (the first thread's: the program's entry point).
    pub start: u64,
    pub parameter: u64,
    /// Chains of loader calls in progress on it ([`crate::callback`]), innermost last.
    pub(crate) pending: Vec<crate::callback::Pending>,
    pub(crate) run: Run,
    /// ResumeThread must bring this to 0 before it starts (CREATE_SUSPENDED).
    pub(crate) suspended: u32,
    /// Set once it ended.
    pub exit_code: Option<u32>,
}

impl Thread {
    fn kernel(&self) -> UserThread {
        UserThread { ethread: self.ethread, tid: self.tid, cid: self.cid }
    }
}

/// Where a thread is.
#[derive(Clone, Debug)]
pub(crate) enum Run {
    /// Its registers are in the engine.
    Running,
    /// Created, not started yet.
    New,
    /// Held in the library call at `slot` with its registers in `cpu`; the call's trace
    /// (and whether its value is 64-bit) waits for the value `on_wake` gives.
    Held { cpu: Rc<SavedContext>, slot: u64, call: Option<ApiCall>, wide: bool, on_wake: OnWake },
    /// It ended.
    Exited,
}

/// What completes a held call.
#[derive(Clone, Debug)]
pub(crate) enum OnWake {
    /// A kernel wait is in progress: the call returns its status (WAIT_OBJECT_0 + i,
    /// WAIT_ABANDONED_0 + i, WAIT_TIMEOUT are the kernel's own values).
    WaitStatus,
    /// A kernel wait is in progress whose status nobody reads (Sleep, a critical section
    /// handed over).
    Nothing,
    /// It yielded: it may go on at once, with this value.
    Value(u64),
    /// It suspended itself: a kernel wait for ResumeThread is in progress (it names the
    /// thread in a deadlock's wait graph); the call returns this value once resumed.
    Resumed(u64),
    /// Its synchronous request is pending: once the request's event is set, what is left of
    /// the call gives its value (kernel32/overlapped.rs).
    Io(Box<crate::kernel32::overlapped::HeldIo>),
    /// GetOverlappedResult waited for an overlapped request: once its event is set, the call
    /// is made again, and finds it complete.
    OverlappedResult { handle: u64, overlapped: u64, transferred: u64 },
}

/// What the dispatcher does with the running thread once a library function returns.
#[derive(Clone, Debug)]
pub(crate) enum After {
    /// Hold its call and switch to another thread.
    Hold(OnWake),
    /// It ended: switch to another thread.
    Gone,
}

/// The running thread of the current process.
pub(crate) fn running(k: &mut Kx) -> Option<&mut Thread> {
    let p = crate::current(k)?;
    let i = p.running;
    p.threads.get_mut(i)
}

/// The running thread, for functions only a running program calls.
pub(crate) fn me(k: &mut Kx) -> KResult<&mut Thread> {
    running(k).ok_or_else(|| {
        KError::Stop(Stop::Machine(portcullis_emu::MachineError::Other(
            "a kernel32 call with no thread running".into(),
        )))
    })
}

/// The thread `tid` of the current process, by index.
pub(crate) fn index_of(k: &mut Kx, tid: u64) -> Option<usize> {
    crate::current(k)?.threads.iter().position(|t| t.tid == tid)
}

/// Makes thread `i` of the current process the running one, for the kernel too (a driver's
/// PsGetCurrentThreadId answers it; requests it sends are its).
fn make_running(k: &mut Kx, i: usize) -> KResult<()> {
    let Some(p) = crate::current(k) else { return Ok(()) };
    p.running = i;
    p.threads[i].run = Run::Running;
    let ethread = p.threads[i].ethread;
    portcullis_hle::ps::set_current_thread(k, ethread, true)?;
    k.ext_mut().io.requester = Some(ethread);
    Ok(())
}

/// Makes a thread of the current process that starts at `start(parameter)` with a stack of
/// `stack_size` bytes (0: the default), suspended or ready to run when the running thread
/// next stops. Its id, or None when the process has had too many.
pub(crate) fn create(k: &mut Kx, start: u64, parameter: u64, stack_size: u64, suspended: bool) -> KResult<Option<u64>> {
    let p = crate::kernel32::thread::me(k)?;
    if p.threads.len() >= MAX_THREADS {
        return Ok(None);
    }
    let (name, eprocess, peb, pid) = (p.name.clone(), p.eprocess, p.peb, p.pid);
    let size = stack_size.clamp(DEFAULT_STACK, MAX_STACK).div_ceil(0x1_0000) * 0x1_0000;
    let mem = k.mem_mut();
    let stack = mem.alloc(RegionKind::User, format!("{name} thread stack"), size, Prot::RW)?;
    // Its TEB (two pages, as the first thread's) and static TLS array.
    let blocks = match mem.alloc(RegionKind::User, format!("{name} thread teb"), 3 * PAGE_SIZE, Prot::RW) {
        Ok(b) => b,
        Err(e) => {
            let _ = crate::module::unmap_region(k, stack);
            return Err(e.into());
        }
    };
    let (teb, tls_array) = (blocks, blocks + 2 * PAGE_SIZE);
    let mut regions = vec![stack, blocks];
    let t = user_thread::create(k, eprocess, start, parameter, teb)?;
    crate::process::write_teb(k, teb, stack + size, stack, pid, t.tid, peb, tls_array)?;
    // Its static TLS: each module's block, at the module's index.
    let modules = crate::kernel32::thread::me(k)?.modules.clone();
    for m in &modules {
        crate::module::thread_tls(k, m, tls_array, &mut regions)?;
    }
    let p = crate::kernel32::thread::me(k)?;
    p.regions.extend(regions);
    p.threads.push(Thread {
        tid: t.tid,
        ethread: t.ethread,
        cid: t.cid,
        teb,
        stack_top: stack + size,
        stack_limit: stack,
        tls_array,
        start,
        parameter,
        pending: Vec::new(),
        run: Run::New,
        suspended: suspended as u32,
        exit_code: None,
    });
    Ok(Some(t.tid))
}

/// The kernel's [`user_thread::Starter`]: a driver's RtlCreateUserThread in the process
/// `eprocess`, which must be the program running now (the only one whose code runs).
pub(crate) fn start_for_driver(
    k: &mut Kx,
    eprocess: u64,
    start: u64,
    parameter: u64,
    suspended: bool,
) -> KResult<Option<UserThread>> {
    if !crate::current(k).is_some_and(|p| p.eprocess == eprocess && p.exited.is_none()) {
        return Ok(None);
    }
    let Some(tid) = create(k, start, parameter, 0, suspended)? else { return Ok(None) };
    let i = index_of(k, tid);
    Ok(i.and_then(|i| crate::current(k).map(|p| p.threads[i].kernel())))
}

/// Whether thread `i` could go on now.
fn can_go_on(k: &Kx, t: &Thread) -> bool {
    if t.suspended > 0 {
        return false;
    }
    match &t.run {
        Run::New => true,
        Run::Held { on_wake: OnWake::Value(_), .. } => true,
        Run::Held { .. } => user_wait::ended(k, t.cid),
        Run::Running | Run::Exited => false,
    }
}

/// The next thread that could go on: of the current process first, in turn from the one
/// after its running thread (the running one itself last, when `me_too`); then of the other
/// processes alive, in the order they were made from the one after the current, each from
/// its running thread on. (process, thread) indexes.
fn next_ready(k: &mut Kx, me_too: bool) -> Option<(usize, usize)> {
    let s = crate::state_ref(k)?;
    let here = s.current;
    if let Some(p) = here.and_then(|i| s.processes.get(i)) {
        let n = p.threads.len();
        let first = p.running;
        let own = (1..=n).map(|d| (first + d) % n).filter(|&i| me_too || i != first);
        if let Some(t) = own.into_iter().find(|&i| can_go_on(k, &p.threads[i])) {
            return Some((here.unwrap_or(0), t));
        }
    }
    let count = s.processes.len();
    let after = here.map_or(0, |i| i + 1);
    (0..count).map(|d| (after + d) % count).filter(|&i| Some(i) != here).find_map(|i| {
        let p = &s.processes[i];
        if p.exited.is_some() {
            return None;
        }
        let n = p.threads.len();
        (0..n).map(|d| (p.running + d) % n).find(|&t| can_go_on(k, &p.threads[t])).map(|t| (i, t))
    })
}

/// Whether some process is alive (has not ended).
fn any_alive(k: &Kx) -> bool {
    crate::state_ref(k).is_some_and(|s| s.processes.iter().any(|p| p.exited.is_none()))
}

/// A wait of the running thread for `objects` (any, or `all`; none: only time), with
/// KeWait's `timeout`. Some(status) when it is over without the thread stopping; None when
/// the thread is held (the function returns, and the dispatcher switches: [`After::Hold`]).
pub(crate) fn wait(
    k: &mut Kx,
    objects: &[u64],
    all: bool,
    timeout: Option<i64>,
    on_wake: OnWake,
) -> KResult<Option<u64>> {
    let cid = me(k)?.cid;
    if let Some(st) = user_wait::begin(k, cid, objects, all, timeout)? {
        return Ok(Some(st));
    }
    settle(k, on_wake)
}

/// A lock of the running thread's (a critical section another thread holds), handed over
/// by [`hand_over`]: as [`wait`].
pub(crate) fn wait_for_lock(k: &mut Kx, lock: u64) -> KResult<Option<u64>> {
    let cid = me(k)?.cid;
    user_wait::begin_lock(k, cid, lock, "critical section", reason::EXECUTIVE);
    settle(k, OnWake::Nothing)
}

/// The running thread has begun a wait: its own status when it ends before any other
/// thread can go on; otherwise it is held.
fn settle(k: &mut Kx, on_wake: OnWake) -> KResult<Option<u64>> {
    let cid = me(k)?.cid;
    loop {
        if let Some(st) = user_wait::take_result(k, cid) {
            return Ok(Some(st));
        }
        if next_ready(k, false).is_some() {
            crate::state(k).after = Some(After::Hold(on_wake));
            return Ok(None);
        }
        user_wait::run_until_one_woken(k)?;
    }
}

/// Hands the lock thread `tid` waits for to it (it goes on as its owner).
pub(crate) fn hand_over(k: &mut Kx, tid: u64) {
    if let Some(cid) = index_of(k, tid).and_then(|i| crate::current(k).map(|p| p.threads[i].cid)) {
        user_wait::hand_over(k, cid);
    }
}

/// Sleep(0), SwitchToThread: another thread that can go on does, this one is ready again
/// at once. Whether one did.
pub(crate) fn yield_now(k: &mut Kx, value: u64) -> bool {
    if next_ready(k, false).is_none() {
        return false;
    }
    crate::state(k).after = Some(After::Hold(OnWake::Value(value)));
    true
}

/// What a thread that suspended itself waits for, in the kernel's wait graph.
const RESUME: &str = "ResumeThread (it suspended itself)";

/// Thread `i` was suspended (its count went from 0) or resumed (back to 0): the kernel
/// knows, so that a wait of its that ends meanwhile does not count as one it could go on
/// with; the running thread suspending itself is held until it is resumed, returning
/// `previous` then (when no other thread can go on, that is the run's deadlock).
pub(crate) fn set_suspended(k: &mut Kx, i: usize, suspended: bool, previous: u32) -> KResult<()> {
    let Some(p) = crate::current(k) else { return Ok(()) };
    let running = p.running == i;
    let t = &p.threads[i];
    let (cid, ethread) = (t.cid, t.ethread);
    let waiting = matches!(t.run, Run::Held { on_wake: OnWake::Resumed(_), .. });
    user_wait::set_suspended(k, cid, suspended);
    if suspended && running {
        // Its wait is on itself: the graph shows its own thread object.
        user_wait::begin_lock(k, cid, ethread, RESUME, reason::SUSPENDED);
        crate::state(k).after = Some(After::Hold(OnWake::Resumed(previous as u64)));
    } else if !suspended && waiting {
        user_wait::hand_over(k, cid);
    }
    Ok(())
}

/// The dispatcher's side of [`After::Hold`]: the running thread's call (at the slot being
/// handled, traced as `call` once it has a value) is held, and another thread goes on.
pub(crate) fn hold(k: &mut Kx, call: Option<ApiCall>, wide: bool, on_wake: OnWake) -> KResult<()> {
    let slot = k.host_call_pc();
    let cpu = Rc::new(k.new_context()?);
    me(k)?.run = Run::Held { cpu, slot, call, wide, on_wake };
    switch_away(k)
}

/// The running thread stopped for good or is held: the next thread that can go on does
/// (of another process, when none of its own can); when none can, this waits in place until
/// one can.
pub(crate) fn switch_away(k: &mut Kx) -> KResult<()> {
    loop {
        if let Some((p, t)) = next_ready(k, true) {
            let (pc, resume) = go_on(k, p, t)?;
            k.jump(pc, resume);
            return Ok(());
        }
        user_wait::run_until_one_woken(k)?;
    }
}

/// From the host, once a process has ended: where the next thread that can go on, of any
/// process alive, resumes (`run_at`'s pc and whether it completes a held call), waiting in
/// place until one can. None when no process is left.
pub(crate) fn resume_any(k: &mut Kx) -> KResult<Option<(u64, bool)>> {
    loop {
        if !any_alive(k) {
            return Ok(None);
        }
        if let Some((p, t)) = next_ready(k, true) {
            return go_on(k, p, t).map(Some);
        }
        user_wait::run_until_one_woken(k)?;
    }
}

/// Makes process `p` the current one, its user half loaded (through its thread, made
/// current by [`make_running`]).
fn switch_process(k: &mut Kx, p: usize) {
    let before = crate::state(k).current.replace(p);
    // A process that started before runs again (one starting is traced as it begins).
    let started = !matches!(crate::state(k).processes[p].threads[0].run, Run::New);
    if before != Some(p) && started {
        crate::process::note_resumed(k, p);
    }
}

/// Readies thread `t` of process `p` to go on: a held call completes with its value, a new
/// thread starts, a process not started yet begins. Where its code goes on, and whether
/// that completes a held call (for `jump` in a run, `run_at` from the host).
fn go_on(k: &mut Kx, p: usize, t: usize) -> KResult<(u64, bool)> {
    let from = k.ext().sched.current;
    switch_process(k, p);
    let Some(proc_) = crate::current(k) else { return Err(cannot_go_on(t)) };
    let run = std::mem::replace(&mut proc_.threads[t].run, Run::Running);
    let cid = proc_.threads[t].cid;
    user_thread::switched(k, from, cid);
    match run {
        Run::Held { cpu, slot, call, wide, on_wake } => {
            let status = user_wait::take_result(k, cid);
            make_running(k, t)?;
            let value = match on_wake {
                OnWake::Value(v) | OnWake::Resumed(v) => v,
                OnWake::WaitStatus | OnWake::Nothing => status.unwrap_or(0),
                // What is left of the call runs as the thread's own (its last error).
                OnWake::Io(held) => crate::kernel32::overlapped::finish_held(k, *held)?,
                OnWake::OverlappedResult { handle, overlapped, transferred } => {
                    let again = crate::kernel32::overlapped::GetOverlappedResult(
                        k,
                        portcullis_hle::types::HANDLE(handle),
                        portcullis_hle::types::Ptr(overlapped),
                        portcullis_hle::types::Ptr(transferred),
                        crate::BOOL(false),
                    )?;
                    again.0 as u64
                }
            };
            k.restore_context(&cpu);
            if wide {
                k.set_return_u64(value);
            } else {
                k.set_return(value);
            }
            if let Some(mut call) = call {
                if call.ret_kind.is_some() {
                    call.ret = Some(k.arch().mask(value));
                }
                k.guest_mut().trace.push(portcullis_emu::Event::Ext(KernelEvent::Call(call)));
            }
            Ok((slot, true))
        }
        // A process's first thread, new: the process starts.
        Run::New if t == 0 => {
            make_running(k, t)?;
            Ok((crate::process::begin(k, p)?, false))
        }
        Run::New => {
            make_running(k, t)?;
            Ok((start(k, t)?, false))
        }
        other => {
            if let Some(proc_) = crate::current(k) {
                proc_.threads[t].run = other;
            }
            Err(cannot_go_on(t))
        }
    }
}

fn cannot_go_on(t: usize) -> KError {
    KError::Stop(Stop::Machine(portcullis_emu::MachineError::Other(format!("thread {t} of the process cannot go on"))))
}

/// Starts new thread `i` (now running): its libraries' DLL_THREAD_ATTACH calls, then its
/// start routine, returning to the slot that ends it. Where its code begins.
fn start(k: &mut Kx, i: usize) -> KResult<u64> {
    let Some(p) = crate::current(k) else { return Err(cannot_go_on(i)) };
    let t = &p.threads[i];
    let (top, start, parameter) = (t.stack_top, t.start, t.parameter);
    let calls = thread_calls(p, DLL_THREAD_ATTACH);
    k.set_fpu_control(crate::process::INITIAL_X87_CONTROL, crate::process::INITIAL_MXCSR);
    let chain = crate::callback::Pending {
        calls: calls.into(),
        current: None,
        failed: false,
        then: crate::callback::Then::StartThread,
    };
    Ok(match crate::callback::start(k, chain, top)? {
        Some(first) => first,
        None => {
            let exit = thread_exit_slot(k);
            k.prepare_call(&[parameter], CallConv::Stdcall.for_arch(k.arch()), top, exit)?;
            start
        }
    })
}

/// The slot a thread's start routine returns to.
pub(crate) fn thread_exit_slot(k: &mut Kx) -> u64 {
    crate::process::slot_address(k, crate::libraries::count() + 2)
}

/// The calls a thread's libraries get when it starts or ends (`reason`): each library that
/// attached and did not disable them, TLS callbacks then DllMain, in the order they
/// attached (in reverse when it ends), then the program's TLS callbacks.
fn thread_calls(p: &crate::Process, reason: u64) -> Vec<InitCall> {
    let mut order: Vec<u64> = p.init_order.clone();
    if reason == DLL_THREAD_DETACH {
        order.reverse();
    }
    let mut calls = Vec::new();
    for base in order {
        if let Some(m) = p.modules.iter().find(|m| m.base == base && m.attached && !m.no_thread_calls) {
            calls.extend(crate::module::calls_for(m, &m.tls_callbacks, reason, 0));
        }
    }
    let program = &p.modules[0];
    calls.extend(crate::module::calls_for(program, &program.tls_callbacks, reason, 0).into_iter().filter(|c| !c.entry));
    calls
}

/// ExitThread, or the running thread's start routine returned `code`: its libraries are
/// told (DLL_THREAD_DETACH), then it ends ([`end_running`]). The last thread ends the
/// process instead, as ExitProcess does. Returns whether a chain of calls was asked for
/// (the dispatcher begins it); otherwise the thread has ended and the dispatcher switches.
pub(crate) fn exit_running(k: &mut Kx, code: u32) -> KResult<bool> {
    let p = crate::kernel32::thread::me(k)?;
    let others = p.threads.iter().enumerate().any(|(i, t)| i != p.running && !matches!(t.run, Run::Exited));
    if !others {
        crate::kernel32::thread::ExitProcess(k, code)?;
        return Ok(false);
    }
    let calls = thread_calls(p, DLL_THREAD_DETACH);
    if calls.is_empty() {
        end_running(k, code)?;
        return Ok(false);
    }
    crate::callback::request(k, calls, crate::callback::Then::EndThread(code));
    Ok(true)
}

/// The running thread ends with `code` (its libraries were told): the kernel ends it.
/// The caller switches away.
pub(crate) fn end_running(k: &mut Kx, code: u32) -> KResult<()> {
    let t = me(k)?;
    t.run = Run::Exited;
    t.exit_code = Some(code);
    t.pending.clear();
    let kt = t.kernel();
    user_thread::exit(k, kt, code)?;
    // Another thread may have ended the process meanwhile (a notify routine cannot, but
    // the last thread's end is the process's).
    let p = crate::kernel32::thread::me(k)?;
    if p.threads.iter().all(|t| matches!(t.run, Run::Exited)) {
        crate::kernel32::thread::ExitProcess(k, code)?;
    }
    Ok(())
}

/// The process has ended and its libraries were told: the running thread ends with it
/// (the first thread is the process's own, which the kernel ends with the process).
pub(crate) fn end_running_with_process(k: &mut Kx, code: u32) -> KResult<()> {
    let Some(p) = crate::current(k) else { return Ok(()) };
    let i = p.running;
    let t = &mut p.threads[i];
    if i == 0 || matches!(t.run, Run::Exited) {
        return Ok(());
    }
    t.run = Run::Exited;
    t.exit_code = Some(code);
    let kt = t.kernel();
    user_thread::end_with_process(k, kt, code)
}

/// The process ends: every thread other than the running one ends with it (their waits
/// abandoned, their objects signaled), as NtTerminateProcess ends them.
pub(crate) fn end_others(k: &mut Kx, code: u32) -> KResult<()> {
    let Some(p) = crate::current(k) else { return Ok(()) };
    let running = p.running;
    let ending: Vec<(usize, UserThread)> = p
        .threads
        .iter_mut()
        .enumerate()
        .filter(|(i, t)| *i != running && !matches!(t.run, Run::Exited))
        .map(|(i, t)| {
            t.run = Run::Exited;
            t.exit_code = Some(code);
            (i, t.kernel())
        })
        .collect();
    for (i, t) in ending {
        if i == 0 {
            // The first thread is the process's own: the kernel ends it with the process.
            user_wait::abandon(k, t.cid);
        } else {
            user_thread::end_with_process(k, t, code)?;
        }
    }
    Ok(())
}
