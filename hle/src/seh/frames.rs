//! The guest stack as exception handling sees it: scratch space below the stack pointer for
//! the records handlers read, calls into handlers (and which of them are in progress), the
//! places where guest frames meet the host, and names for code addresses.
//!
//! Every call the kernel makes into the guest runs on the stack of the flow it serves (the
//! kernel stack for the host's threads, a thread's or processor's own stack otherwise),
//! below the frames of the code that was interrupted. A walk up the stack that reaches a
//! return to the host continues in the frames of the call the host was serving, at the
//! host-call slot (a leaf routine of the kernel) — or, where the host was running a handler
//! for an exception being dispatched or unwound, as Windows' own dispatcher frames would make
//! it continue. It ends at the root of the flow's frames: where the host started its call,
//! or where a thread's start routine or a DPC routine returns to the scheduler.

use portcullis_emu::{Arch, CallConv, CpuContext, Reg};

use crate::exports::Dll;
use crate::kernel::{KResult, Kx};
use crate::seh::{bugcheck, c_specific_handler, except_handler, x86_frames};
use crate::types::Ptr;

/// Bytes kept free below scratch space before a stack is called exhausted: room for the
/// handler frames the kernel is about to run there.
const STACK_RESERVE: u64 = 0x800;

/// Runs `f` with `bytes` of scratch space carved out of the guest stack below the stack
/// pointer (16-byte aligned, its address passed to `f`); calls into the guest made by `f`
/// run below it. The stack pointer is put back afterwards. A stack too small for it is the
/// kernel stack overflow Windows meets there: the double fault bugcheck.
pub(crate) fn with_scratch<T>(k: &mut Kx, bytes: u64, f: impl FnOnce(&mut Kx, u64) -> KResult<T>) -> KResult<T> {
    let sp = k.reg(Reg::Sp);
    let (low, _) = k.stack_limits();
    let base = (sp.wrapping_sub(bytes + 0x40)) & !0xF;
    if base < low.saturating_add(STACK_RESERVE) || base > sp {
        if k.privilege() == portcullis_emu::Privilege::User {
            return Err(crate::seh::user::stack_overflow(k, sp));
        }
        return Err(bugcheck::stack_overflow(k, sp));
    }
    k.set_reg(Reg::Sp, base);
    k.ext_mut().seh.scratch.push((base, sp));
    let r = f(k, base);
    k.ext_mut().seh.scratch.pop();
    k.set_reg(Reg::Sp, sp);
    r
}

/// The stack pointer guest code had before the kernel carved scratch space below it: what
/// a call made from inside that space saw as its caller's.
fn before_scratch(k: &Kx, mut sp: u64) -> u64 {
    for (lowered, original) in k.ext().seh.scratch.iter().rev() {
        if *lowered == sp {
            sp = *original;
        }
    }
    sp
}

/// A call into a handler in progress: what a stack walk that meets it must know.
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    /// Index of the guest call the handler runs in (`Kx::guest_calls`), or for a kernel
    /// handler run directly, of the first call it makes into the guest (a filter, a
    /// `__finally` block).
    pub level: usize,
    pub kind: InvocationKind,
    /// A kernel language handler run directly, not through a call into the guest.
    pub direct: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum InvocationKind {
    /// A handler asked about an exception being dispatched: the frame it handles and the
    /// context the exception happened in.
    Dispatch { establisher: u64, context: Box<CpuContext> },
    /// A handler called by an unwind: the dispatcher context it was given (guest memory,
    /// where the handler advances ScopeIndex).
    Unwind { dispatcher_context: u64 },
}

/// Calls the guest routine `target` with `args` (Win64 on x64, `conv` on x86) and `regs`
/// set first (EBP for an x86 filter, say), keeping the registers the caller's code relies
/// on (the callee-saved ones) as they were. Returns EAX/RAX.
pub(crate) fn call_guest(k: &mut Kx, target: u64, args: &[u64], regs: Option<&[(Reg, u64)]>) -> KResult<u64> {
    call_guest_with(k, target, args, regs, CallConv::Cdecl)
}

pub(crate) fn call_guest_with(
    k: &mut Kx,
    target: u64,
    args: &[u64],
    regs: Option<&[(Reg, u64)]>,
    conv: CallConv,
) -> KResult<u64> {
    let arch = k.arch();
    let saved: &[Reg] = match arch {
        Arch::X86 => &[Reg::Bx, Reg::Si, Reg::Di, Reg::Bp],
        Arch::X64 => &[Reg::Bx, Reg::Bp, Reg::Si, Reg::Di, Reg::R12, Reg::R13, Reg::R14, Reg::R15],
    };
    let keep: Vec<u64> = saved.iter().map(|r| k.reg(*r)).collect();
    for (r, v) in regs.unwrap_or_default() {
        k.set_reg(*r, *v);
    }
    let r = k.call(target, args, conv.for_arch(arch))?;
    for (r, v) in saved.iter().zip(keep) {
        k.set_reg(*r, v);
    }
    Ok(r)
}

/// A language handler: (ExceptionRecord, EstablisherFrame, ContextRecord, DispatcherContext).
type LanguageHandler = fn(&mut Kx, Ptr, Ptr, Ptr, Ptr) -> KResult<u32>;

/// The kernel's own language handler whose host-call slot is `target`, if it is one: a frame
/// naming it has it run directly, as Windows' dispatcher calls it, with no call into the
/// guest in between (a call into the guest from inside a call into the guest is what an
/// exception costs most).
fn kernel_handler(k: &Kx, target: u64) -> Option<LanguageHandler> {
    let target = through_import_thunk(k, target);
    // A user-mode library's handler (msvcrt's): the same routine, for the program's frames.
    if let Some((dll, name)) = crate::seh::user::routine_at(k, target) {
        return match (k.arch(), name) {
            (Arch::X64, "__C_specific_handler") if dll.eq_ignore_ascii_case("msvcrt.dll") => {
                Some(c_specific_handler::__C_specific_handler)
            }
            (Arch::X86, "_except_handler3") if dll.eq_ignore_ascii_case("msvcrt.dll") => {
                Some(except_handler::_except_handler3)
            }
            _ => None,
        };
    }
    let (_, name) = k.ext().calls.routine_at(target)?;
    let handler: LanguageHandler = match (k.arch(), name) {
        (Arch::X64, "__C_specific_handler") => c_specific_handler::__C_specific_handler,
        (Arch::X86, "_except_handler3") => except_handler::_except_handler3,
        (Arch::X86, "_except_handler2") => except_handler::_except_handler2,
        (Arch::X86, "RtlpNestedExceptionHandler") => x86_frames::RtlpNestedExceptionHandler,
        (Arch::X86, "RtlpCollidedUnwindHandler") => x86_frames::RtlpCollidedUnwindHandler,
        (Arch::X86, "RtlpLocalUnwindHandler") => except_handler::RtlpLocalUnwindHandler,
        _ => return None,
    };
    let slot = k.ext().resolve(Dll::Ntoskrnl, name).unwrap_or_else(|| x86_frames::routine(k, name));
    (slot == target).then_some(handler)
}

/// Where `target` leads when it is an image's import thunk (`jmp [IAT slot]`, how compiled
/// code names an imported handler), or `target` itself.
fn through_import_thunk(k: &Kx, target: u64) -> u64 {
    let mut code = [0u8; 6];
    if k.mem().read(target, &mut code).is_err() || code[..2] != [0xFF, 0x25] {
        return target;
    }
    let operand = u32::from_le_bytes([code[2], code[3], code[4], code[5]]);
    let slot = match k.arch() {
        Arch::X64 => target.wrapping_add(6).wrapping_add(operand as i32 as i64 as u64),
        Arch::X86 => operand as u64,
    };
    k.mem().read_ptr(slot).unwrap_or(target)
}

/// Calls a language handler (four arguments), registered as in progress for stack walks
/// while it runs.
pub(crate) fn invoke(k: &mut Kx, kind: InvocationKind, target: u64, args: &[u64; 4]) -> KResult<u64> {
    let level = k.guest_calls().len();
    let direct = kernel_handler(k, target);
    k.ext_mut().seh.invocations.push(Invocation { level, kind, direct: direct.is_some() });
    let r = match direct {
        Some(handler) => handler(k, Ptr(args[0]), Ptr(args[1]), Ptr(args[2]), Ptr(args[3])).map(u64::from),
        None => call_guest(k, target, args, None),
    };
    k.ext_mut().seh.invocations.pop();
    r
}

/// For a kernel language handler run directly to decide on an exception: the context the
/// exception happened in, where an unwind it starts walks from (a handler called from the
/// guest finds it by walking out of its own frames).
pub(crate) fn direct_dispatch_context(k: &Kx) -> Option<CpuContext> {
    let i = k.ext().seh.invocations.last()?;
    match &i.kind {
        InvocationKind::Dispatch { context, .. } if i.direct && i.level == k.guest_calls().len() => {
            Some((**context).clone())
        }
        _ => None,
    }
}

/// Where a stack walk that just popped a return address has arrived.
#[derive(Clone, Debug)]
pub(crate) enum Arrival {
    /// Guest code: walk on.
    Guest,
    /// The return of the outermost call into the guest, or of the first call of a flow (a
    /// thread's start routine, a DPC routine, a call the host made on a thread): the stack
    /// ends here.
    End,
    /// The return of a call the host made while serving guest code: the walk goes on in
    /// the interrupted code, at `pc` with stack pointer `sp` (a host-call slot, or a faulting
    /// instruction), and `invocation` says when the call was a handler's.
    Host { pc: u64, sp: u64, invocation: Option<Invocation> },
}

/// Classifies the context a walk reached after unwinding a frame (`ip` the return address
/// it popped, `sp` past it).
pub(crate) fn arrival(k: &Kx, ip: u64, sp: u64) -> Arrival {
    let ps = k.arch().ptr_size();
    let calls = k.guest_calls();
    let Some(level) = calls.iter().rposition(|c| c.entry_sp.wrapping_add(ps) == sp && c.returns_to == ip) else {
        return if k.is_return_to_host(ip) { Arrival::End } else { Arrival::Guest };
    };
    let call = calls[level];
    if level == 0 || call.is_root() {
        return Arrival::End;
    }
    let invocation = k.ext().seh.invocations.iter().rev().find(|i| i.level == level).cloned();
    Arrival::Host { pc: call.caller_pc, sp: before_scratch(k, call.caller_sp), invocation }
}

/// A name for a code address: `driver+0x1234` in a loaded image, `dll!Routine` for a
/// kernel or user-mode library routine's slot, `region+offset` elsewhere.
pub fn describe(k: &Kx, va: u64) -> String {
    if let Some((dll, name)) = k.ext().calls.routine_at(va) {
        return format!("{dll}!{name}");
    }
    if let Some((dll, name)) = crate::seh::user::routine_at(k, va) {
        return format!("{dll}!{name}");
    }
    match k.mem().region_at(va) {
        Some(r) => format!("{}+{:#x}", r.name, va - r.base),
        None => format!("{va:#x}"),
    }
}
