//! The one path from user code to the host: a call into a slot of the libraries' image.
//!
//! The handler switches the machine to kernel mode before anything else runs (the kernel's
//! page tables, privilege and KPCR: the function may send IRPs that run driver code), calls
//! the typed function through its table line's wrapper, records one `ApiCall` trace event of
//! the same shape as the kernel's, and switches back to the process's user mode before the
//! slot's `ret N` runs. A function that ends the process (ExitProcess, the entry point's
//! return) suspends the run instead. A bad user pointer a function meets is an access
//! violation in the program, as Windows raises it there.

use portcullis_emu::{Event, Stop};
use portcullis_hle::exports::{decode_args, ArgValue, CallArgs};
use portcullis_hle::kernel::{caller, ApiCall, KError, KernelEvent, KernelStop, Kx};
use portcullis_hle::seh::codes::code;

use crate::process::{enter_kernel, enter_user, Exited};
use crate::table::Win32Fn;
use crate::threads::After;

/// The host-call handler of every slot of the libraries' image.
pub(crate) fn on_call(k: &mut Kx, slot: u32) -> Result<(), Stop<KernelStop>> {
    let index = (slot - crate::state(k).first_slot) as usize;
    let at = caller(k);
    enter_kernel(k).map_err(stop_of)?;
    let Some(f) = crate::libraries::function(index) else {
        if index == crate::libraries::count() {
            // The entry point returned: BaseProcessStart ends the process with its value.
            let code = k.reg(portcullis_emu::Reg::Ax) as u32;
            end_process(k, code);
            return Ok(());
        }
        if index == crate::libraries::count() + 2 {
            // A thread's start routine returned: BaseThreadStart ends it with its value.
            let code = k.reg(portcullis_emu::Reg::Ax) as u32;
            if crate::threads::running(k).is_none_or(|t| t.pending.iter().any(|_| true)) {
                return Err(Stop::Host(KernelStop::UserException {
                    code: code::ACCESS_VIOLATION,
                    pc: at,
                    reason: "a jump into the threads' return slot from the middle of a loader call".into(),
                }));
            }
            if crate::threads::exit_running(k, code).map_err(stop_of)? {
                let chain = crate::state(k).request.take();
                if let Some(chain) = chain {
                    crate::callback::begin(k, chain, 0, 0).map_err(stop_of)?;
                }
            } else if crate::current(k).is_some_and(|p| p.exited.is_none()) {
                crate::threads::switch_away(k).map_err(stop_of)?;
            }
            return resume(k);
        }
        // A TLS callback or DllMain the loader called returned (crate::callback).
        if !crate::callback::on_return(k).map_err(stop_of)? {
            return Err(Stop::Host(KernelStop::UserException {
                code: code::ACCESS_VIOLATION,
                pc: at,
                reason: "a jump into the loader's return slot with no call of the loader in progress".into(),
            }));
        }
        return resume(k);
    };
    let arch = k.arch();
    let traced = k.ext().options.record_calls.then(|| trace_args(k, f));
    let mut call = CallArgs::new(f.conv.for_arch(arch), arch);
    let result = (f.wrapper)(k, &mut call);
    let raw = match result {
        Ok(raw) => raw,
        Err(e) => {
            crate::state(k).after = None;
            if let Some(args) = traced {
                record(k, f, args, None, at);
            }
            return Err(match e {
                KError::Stop(s) => s,
                KError::Mem(m) => Stop::Host(KernelStop::UserException {
                    code: code::ACCESS_VIOLATION,
                    pc: at,
                    reason: format!("{}!{} touched {m}", f.dll, f.name),
                }),
            });
        }
    };
    match crate::state(k).after.take() {
        None => {}
        Some(After::Hold(on_wake)) => {
            // The thread waits: its call completes when it goes on, traced then.
            let call = traced.map(|args| api_call(f, args, None, at));
            crate::threads::hold(k, call, f.ret_wide, on_wake).map_err(stop_of)?;
            return resume(k);
        }
        Some(After::Gone) => {
            // The thread ended in the call (ExitThread): another goes on.
            if let Some(args) = traced {
                record(k, f, args, None, at);
            }
            if crate::current(k).is_some_and(|p| p.exited.is_none()) {
                crate::threads::switch_away(k).map_err(stop_of)?;
            }
            return resume(k);
        }
    }
    if f.ret_wide {
        k.set_return_u64(raw);
    } else {
        k.set_return(raw);
    }
    if let Some(args) = traced {
        record(k, f, args, f.ret.map(|_| raw), at);
    }
    // The function asked for calls into the program before it returns (DllMain).
    if let Some(chain) = crate::state(k).request.take() {
        let pops = match f.conv.for_arch(arch) {
            portcullis_emu::CallConv::Stdcall if arch == portcullis_emu::Arch::X86 => 4 * f.slots(arch) as u64,
            _ => 0,
        };
        crate::callback::begin(k, chain, pops, raw).map_err(|e| match e {
            KError::Stop(s) => s,
            KError::Mem(m) => Stop::Host(KernelStop::UserException {
                code: code::ACCESS_VIOLATION,
                pc: at,
                reason: format!("{}!{}: the stack for the loader's calls: {m}", f.dll, f.name),
            }),
        })?;
    }
    resume(k)
}

/// Back to the program's user mode after a host call, unless the process has ended (its
/// run stops).
fn resume(k: &mut Kx) -> Result<(), Stop<KernelStop>> {
    if crate::current(k).is_some_and(|p| p.exited.is_some() && !p.detaching) {
        k.suspend();
        return Ok(());
    }
    enter_user(k).map_err(stop_of)
}

/// Records that the current process ends with `code` and suspends its run.
pub(crate) fn end_process(k: &mut Kx, code: u32) {
    if let Some(p) = crate::current(k) {
        if p.exited.is_none() {
            p.exited = Some(Exited { pid: p.pid, code, exception: None });
        }
    }
    k.suspend();
}

fn stop_of(e: KError) -> Stop<KernelStop> {
    match e {
        KError::Stop(s) => s,
        KError::Mem(m) => Stop::Machine(portcullis_emu::MachineError::Memory(m)),
    }
}

/// The arguments as the trace shows them, read before the call can change them.
fn trace_args(k: &Kx, f: &Win32Fn) -> Vec<(&'static str, ArgValue)> {
    let arch = k.arch();
    let mut call = CallArgs::new(f.conv.for_arch(arch), arch);
    let raw: Vec<_> = f
        .params
        .iter()
        .map(|p| {
            let v = if p.wide && arch == portcullis_emu::Arch::X86 {
                let lo = call.slot(k).unwrap_or(0);
                lo | call.slot(k).unwrap_or(0) << 32
            } else {
                call.slot(k).unwrap_or(0)
            };
            (p.kind, v)
        })
        .collect();
    let values = decode_args(k.mem(), &raw);
    f.params.iter().map(|p| p.name).zip(values).collect()
}

fn api_call(f: &Win32Fn, args: Vec<(&'static str, ArgValue)>, ret: Option<u64>, caller: u64) -> ApiCall {
    ApiCall { dll: f.dll.into(), name: f.name.into(), args, ret, ret_kind: f.ret, caller, missing: false }
}

fn record(k: &mut Kx, f: &Win32Fn, args: Vec<(&'static str, ArgValue)>, ret: Option<u64>, caller: u64) {
    let call = api_call(f, args, ret, caller);
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Call(call)));
}
