//! Calls the loader makes into a process's own code: TLS callbacks and DllMain, when the
//! program starts (its libraries attach, then its entry point runs), when LoadLibrary loads
//! or FreeLibrary unloads a library, and when the program exits (its libraries detach); and
//! the C runtime's (msvcrt's _initterm initialisers, atexit functions, a SIGABRT handler).
//!
//! A library function cannot run guest code nested in its host call here: the program's
//! code runs in user mode and could not return to the machine's nested-call address in
//! kernel memory. Instead the function's slot returns *into* the first routine: the stack
//! is arranged so that the slot's own `ret` enters it, with its arguments, returning to the
//! continuation slot of the libraries' image. That slot's host call notes what the routine
//! returned and enters the next one the same way, and after the last one returns the
//! library function's value to its caller (or starts the program, or ends its run). The
//! guest stack carries only the frames; what comes next is kept here, out of the guest's
//! reach, so a program that jumps to the continuation slot can only advance its own chain.

use std::collections::VecDeque;

use portcullis_emu::{Arch, Reg};
use portcullis_hle::kernel::{KResult, Kx};

use crate::module::{InitCall, DLL_PROCESS_ATTACH, DLL_PROCESS_DETACH};

/// STATUS_DLL_INIT_FAILED: a library the program imports refused to attach.
pub const STATUS_DLL_INIT_FAILED: u32 = 0xC000_0142;

/// A chain of calls in progress in a process.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    /// The calls still to make.
    pub calls: VecDeque<InitCall>,
    /// The call running now.
    pub current: Option<InitCall>,
    /// An entry point refused DLL_PROCESS_ATTACH.
    pub failed: bool,
    pub then: Then,
}

/// What happens once the chain's calls are made.
#[derive(Clone, Debug)]
pub(crate) enum Then {
    /// Return `value` from the library function whose slot was entered with the stack at
    /// `sp` (holding its caller's return address `caller`) and whose arguments take `pop`
    /// bytes; first unmap the modules in `unload`. When an entry point refused to attach,
    /// the modules in `loaded` are unmapped instead, and the function returns 0 with
    /// ERROR_DLL_INIT_FAILED.
    Return { sp: u64, caller: u64, pop: u64, value: u64, unload: Vec<u64>, loaded: Vec<u64> },
    /// Enter the program's entry point, returning to the slot that ends it.
    Start,
    /// The process has exited: its run stops.
    End,
    /// The process exits with this status (ExitProcess: its libraries detach).
    Exit(u32),
    /// Enter the running thread's start routine (its libraries were told it starts).
    StartThread,
    /// The running thread ends with this status (its libraries were told).
    EndThread(u32),
}

/// A chain a library function asks for; the dispatcher begins it once the function's value
/// is known ([`begin`]).
pub(crate) fn request(k: &mut Kx, calls: Vec<InitCall>, then: Then) {
    let p = Pending { calls: calls.into(), current: None, failed: false, then };
    crate::state(k).request = Some(p);
}

/// The slot the calls return to.
pub(crate) fn continuation_slot(k: &mut Kx) -> u64 {
    crate::process::slot_address(k, crate::libraries::count() + 1)
}

/// Begins a requested chain from the slot of the function that asked (its `ret` pops
/// `pops` bytes of arguments), now that it returned `value`.
pub(crate) fn begin(k: &mut Kx, mut p: Pending, pops: u64, value: u64) -> KResult<()> {
    let sp = k.reg(Reg::Sp);
    if let Then::Return { sp: at, caller, pop, value: v, .. } = &mut p.then {
        *at = sp;
        *caller = k.mem().read_ptr(sp)?;
        *pop = pops;
        *v = value;
    }
    next(k, p, sp, pops)
}

/// Starts a chain from the host, on a fresh stack at `top` (the process's run is the root:
/// the program starting, or its libraries detaching after it exited). Returns where the run
/// begins.
pub(crate) fn start(k: &mut Kx, mut p: Pending, top: u64) -> KResult<Option<u64>> {
    let Some(first) = p.calls.pop_front() else { return Ok(None) };
    let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
    let back = continuation_slot(k);
    k.prepare_call(&[first.base, first.reason, first.reserved], conv, top, back)?;
    p.current = Some(first);
    push(k, p);
    Ok(Some(first.target))
}

fn push(k: &mut Kx, p: Pending) {
    if let Some(t) = crate::threads::running(k) {
        t.pending.push(p);
    }
}

/// The continuation slot's host call: the routine that just returned gave `returned`.
/// False when no chain is in progress (the program jumped here on its own).
pub(crate) fn on_return(k: &mut Kx) -> KResult<bool> {
    let returned = k.reg(Reg::Ax) as u32;
    let Some(mut p) = crate::threads::running(k).and_then(|t| t.pending.pop()) else { return Ok(false) };
    if let Some(c) = p.current.take() {
        if c.entry && c.reason == DLL_PROCESS_ATTACH {
            if returned != 0 {
                if let Some(m) = crate::current(k).and_then(|proc_| proc_.modules.iter_mut().find(|m| m.base == c.base))
                {
                    m.attached = true;
                }
            } else {
                refused(k, &mut p, c)?;
            }
        }
    }
    let sp = k.reg(Reg::Sp);
    next(k, p, sp, 0)?;
    Ok(true)
}

/// An entry point returned FALSE for DLL_PROCESS_ATTACH: the attach calls left are
/// dropped. At start the program ends with STATUS_DLL_INIT_FAILED; from LoadLibrary the
/// libraries it loaded that attached detach (the one that refused too, as Windows calls it
/// with DLL_PROCESS_DETACH at once), in reverse, and are unloaded.
fn refused(k: &mut Kx, p: &mut Pending, c: InitCall) -> KResult<()> {
    p.failed = true;
    p.calls.retain(|x| x.reason != DLL_PROCESS_ATTACH);
    match &p.then {
        Then::Start => {
            p.calls.clear();
            crate::dispatch::end_process(k, STATUS_DLL_INIT_FAILED);
        }
        Then::Return { loaded, .. } => {
            let Some(proc_) = crate::current(k) else { return Ok(()) };
            let mut detach = vec![c.base];
            detach.extend(
                loaded
                    .iter()
                    .rev()
                    .copied()
                    .filter(|b| *b != c.base && proc_.modules.iter().any(|m| m.base == *b && m.attached)),
            );
            for base in detach {
                if let Some(m) = proc_.modules.iter_mut().find(|m| m.base == base) {
                    m.attached = false;
                    let calls = crate::module::calls_for(m, &m.tls_callbacks.clone(), DLL_PROCESS_DETACH, 0);
                    p.calls.extend(calls);
                }
            }
        }
        Then::End | Then::Exit(_) | Then::StartThread | Then::EndThread(_) => {}
    }
    Ok(())
}

/// Makes the chain's next call, or finishes it, from a slot whose `ret` pops `pops` bytes
/// with the stack at `sp`.
fn next(k: &mut Kx, mut p: Pending, sp: u64, pops: u64) -> KResult<()> {
    if crate::current(k).is_some_and(|proc_| proc_.exited.is_some() && !proc_.detaching) {
        // The program ended (ExitProcess in a DllMain): nothing more runs.
        return Ok(());
    }
    if let Some(c) = p.calls.pop_front() {
        let back = continuation_slot(k);
        enter(k, sp.saturating_sub(0x100), pops, c.target, &[c.base, c.reason, c.reserved], back)?;
        p.current = Some(c);
        push(k, p);
        return Ok(());
    }
    match p.then {
        Then::Return { sp: at, caller, pop, value, unload, loaded } => {
            let gone = if p.failed { loaded } else { unload };
            crate::kernel32::module::unmap(k, &gone)?;
            let ret_sp = at.wrapping_add(pop).wrapping_sub(pops);
            k.mem_mut().write_ptr(ret_sp, caller)?;
            k.set_reg(Reg::Sp, ret_sp);
            if p.failed {
                k.set_return(0);
                crate::kernel32::thread::set_last_error(k, crate::error::ERROR_DLL_INIT_FAILED)?;
            } else {
                k.set_return(value);
            }
        }
        Then::Start => {
            let Some(proc_) = crate::current(k) else { return Ok(()) };
            let (entry, top) = (proc_.entry, proc_.stack_top);
            let exit = crate::process::slot_address(k, crate::libraries::count());
            enter(k, top, pops, entry, &[], exit)?;
        }
        Then::End => {
            if let Some(proc_) = crate::current(k) {
                proc_.detaching = false;
            }
            k.suspend();
        }
        Then::Exit(code) => crate::dispatch::end_process(k, code),
        Then::StartThread => {
            let Some(t) = crate::threads::running(k) else { return Ok(()) };
            let (start, parameter, top) = (t.start, t.parameter, t.stack_top);
            let exit = crate::threads::thread_exit_slot(k);
            enter(k, top, pops, start, &[parameter], exit)?;
        }
        Then::EndThread(code) => {
            crate::threads::end_running(k, code)?;
            if crate::current(k).is_some_and(|p| p.exited.is_none()) {
                crate::threads::switch_away(k)?;
            }
        }
    }
    Ok(())
}

/// Arranges the stack so that the running slot's `ret` (popping `pops` bytes of arguments)
/// enters `target` with `args` (stdcall on x86, the x64 ABI on x64), returning to
/// `return_to`; the routine's frame lies below `below`.
fn enter(k: &mut Kx, below: u64, pops: u64, target: u64, args: &[u64], return_to: u64) -> KResult<()> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    // The routine's stack pointer at entry: 4-aligned on x86; on x64 RSP + 8 16-aligned,
    // with the four home slots above the return address.
    // The stack pointer is the program's: arithmetic wraps, and a frame nowhere mapped is
    // the program's access violation when it is written.
    let frame = match arch {
        Arch::X86 => below.wrapping_sub(4 * (args.len() as u64 + 1) + 0x10) & !0xF,
        Arch::X64 => (below.wrapping_sub(0x30) & !0xF).wrapping_sub(8),
    };
    let mem = k.mem_mut();
    mem.write_ptr(frame, return_to)?;
    match arch {
        Arch::X86 => {
            for (i, a) in args.iter().enumerate() {
                mem.write_u32(frame.wrapping_add(4 * (i as u64 + 1)), *a as u32)?;
            }
        }
        Arch::X64 => {
            for (r, a) in [Reg::Cx, Reg::Dx, Reg::R8, Reg::R9].into_iter().zip(args) {
                k.set_reg(r, *a);
            }
        }
    }
    let ret_sp = frame.wrapping_sub(ps + pops);
    k.mem_mut().write_ptr(ret_sp, target)?;
    k.set_reg(Reg::Sp, ret_sp);
    Ok(())
}
