//! Exceptions in user-mode code, dispatched in the program as Windows dispatches them there
//! (`KiUserExceptionDispatcher` and ntdll's `RtlDispatchException`): the records go on the
//! thread's user stack, the program's own frames are searched — x64 through the exception
//! directories of its images, x86 along the TEB's `fs:[0]` chain — and their handlers and
//! filters run in user mode. A handler that accepts the exception unwinds to its frame
//! (`__finally` blocks run on the way); one that says continue resumes the context.
//!
//! Nobody taking it, the top-level filter runs (SetUnhandledExceptionFilter's, as
//! kernel32's UnhandledExceptionFilter calls it): EXCEPTION_CONTINUE_EXECUTION resumes the
//! context as the filter left it; anything else ends the process with the exception code,
//! as Windows does (the user-mode layer ends it: [`KernelStop::UserException`]).
//!
//! The kernel knows nothing of processes' images and libraries: the user-mode layer tells
//! it where its images are ([`add_image`], [`remove_image`]), which of its library routines
//! are which routine ([`Hooks::routine_at`]: the language handlers compiled code names run
//! directly, as the kernel's own do), and which top-level filter the current process set
//! ([`Hooks::top_level_filter`]).

use portcullis_emu::{CallConv, CpuContext, FaultKind, GuestException, Resolution, Stop};

use crate::kernel::{KError, KResult, KernelStop, Kx};
use crate::layout::{FieldAccess, ETHREAD};
use crate::seh::bugcheck::access_code;
use crate::seh::codes::{code, flag, EXCEPTION_CONTINUE_EXECUTION};
use crate::seh::dispatch::{self, Outcome, Records};
use crate::seh::record::ExceptionRecord;
use crate::seh::{context, frames, trap};

/// An image of a user process, with its exception directory (RVA, size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserImage {
    pub base: u64,
    pub size: u64,
    pub exception_directory: Option<(u32, u32)>,
}

/// A user-mode library routine, as (library, name).
pub type Routine = (&'static str, &'static str);

/// What the user-mode layer answers the kernel's exception handling.
#[derive(Clone, Copy, Default)]
pub struct Hooks {
    /// The user-mode library routine whose slot is at this address, as (library, name).
    pub routine_at: Option<fn(&Kx, u64) -> Option<Routine>>,
    /// The current process's top-level exception filter (0: none).
    pub top_level_filter: Option<fn(&mut Kx) -> u64>,
}

/// Exception handling's view of user space.
#[derive(Default)]
pub struct UserState {
    pub(crate) images: Vec<UserImage>,
    pub(crate) hooks: Hooks,
    /// The top-level filter is running: an exception it raises is not given to it again.
    in_filter: bool,
}

/// Installs the user-mode layer's answers.
pub fn set_hooks(k: &mut Kx, hooks: Hooks) {
    k.ext_mut().seh.user.hooks = hooks;
}

/// A user image was mapped: its functions' unwind information is read from it when an
/// exception first needs it.
pub fn add_image(k: &mut Kx, image: UserImage) {
    remove_image(k, image.base);
    k.ext_mut().seh.user.images.push(image);
}

/// A user image went away (its process ended, FreeLibrary unloaded it).
pub fn remove_image(k: &mut Kx, base: u64) {
    let s = &mut k.ext_mut().seh;
    s.user.images.retain(|i| i.base != base);
    s.tables.retain(|t| t.base != base);
}

/// The user image holding `pc`.
pub(crate) fn image_at(k: &Kx, pc: u64) -> Option<UserImage> {
    k.ext().seh.user.images.iter().find(|i| pc >= i.base && pc - i.base < i.size).copied()
}

/// The current thread's TEB (where fs:[0] points in user mode on x86).
pub(crate) fn teb(k: &Kx) -> KResult<u64> {
    let thread = crate::ke::thread::current_thread(k)?;
    Ok(k.mem().get(thread, ETHREAD::Teb)?)
}

/// The user-mode library routine whose slot is at `target`, as (library, name).
pub(crate) fn routine_at(k: &Kx, target: u64) -> Option<Routine> {
    k.ext().seh.user.hooks.routine_at.and_then(|f| f(k, target))
}

/// The machine's exception in user-mode code: dispatched in the program.
pub(crate) fn on_exception(k: &mut Kx, e: &GuestException) -> Resolution<KernelStop> {
    let mut ctx = k.capture_context();
    ctx.ip = e.pc;
    let status = trap::user_exception_code(e, ctx.mxcsr);
    let params = match e.kind {
        FaultKind::PageFault { address } => {
            let access = e.access.unwrap_or_default();
            vec![access_code(access.write, access.execute, false), address]
        }
        FaultKind::GeneralProtection if status == code::ACCESS_VIOLATION => vec![0, k.arch().mask(u64::MAX)],
        _ => Vec::new(),
    };
    let record = ExceptionRecord::new(status, 0, e.pc, &params);
    // What the report says of it: the machine's words, or the instruction.
    let reason = match (&e.reason, k.disassemble(e.pc)) {
        (r, Some(i)) if r.is_empty() => format!("`{i}`"),
        (r, _) => r.clone(),
    };
    let ends = Resolution::Stop(Stop::Host(KernelStop::UserException { code: status, pc: e.pc, reason }));
    match dispatch_in_program(k, &record, &ctx) {
        Ok(Outcome::Continue(c)) => Resolution::Resume(c),
        Ok(Outcome::Unhandled) => ends,
        Err(KError::Stop(s)) => Resolution::Stop(s),
        // The user stack cannot hold the records: the process ends.
        Err(KError::Mem(_)) => ends,
    }
}

/// Dispatches `record`, raised in user-mode context `ctx`, to the program's frames, then to
/// its top-level filter. A handler that unwinds comes back as `Stop::Unwind`.
pub(crate) fn dispatch_in_program(k: &mut Kx, record: &ExceptionRecord, ctx: &CpuContext) -> KResult<Outcome> {
    dispatch::dispatch_then(k, record, ctx, top_level)
}

/// An exception a user-mode library routine raises in the program (kernel32's
/// RaiseException), from `ctx` (the routine's caller), already in user mode: dispatched as a
/// machine exception would be. The error says what happens next: the program resumes where
/// a handler decided (`Stop::Unwind`), or nobody took it and the process ends.
pub fn raise(k: &mut Kx, status: u32, flags: u32, address: u64, params: &[u64], ctx: &CpuContext) -> KError {
    let record = ExceptionRecord::new(status, flags, address, params);
    match dispatch_in_program(k, &record, ctx) {
        Ok(Outcome::Continue(c)) => KError::Stop(Stop::Unwind(c)),
        Ok(Outcome::Unhandled) => KError::Stop(Stop::Host(KernelStop::UserException {
            code: status,
            pc: address,
            reason: format!("raised in software ({status:#010x}) and not handled"),
        })),
        Err(e) => e,
    }
}

/// Calls the current process's top-level filter on an exception (kernel32's
/// UnhandledExceptionFilter called by a program's own handler): its answer, or
/// EXCEPTION_EXECUTE_HANDLER when it set none (no debugger: the process is to end).
pub fn call_top_level_filter(k: &mut Kx, pointers: u64) -> KResult<i32> {
    let filter = k.ext().seh.user.hooks.top_level_filter.map_or(0, |f| f(k));
    if filter == 0 || k.ext().seh.user.in_filter {
        return Ok(crate::seh::codes::EXCEPTION_EXECUTE_HANDLER);
    }
    k.ext_mut().seh.user.in_filter = true;
    let r = frames::call_guest_with(k, filter, &[pointers], None, CallConv::Stdcall);
    k.ext_mut().seh.user.in_filter = false;
    Ok(r? as u32 as i32)
}

/// kernel32's UnhandledExceptionFilter: the top-level filter gets EXCEPTION_POINTERS (in
/// the dispatcher context's room, no longer needed).
fn top_level(k: &mut Kx, at: &Records, ctx: &CpuContext) -> KResult<Outcome> {
    let Some(filter) = k.ext().seh.user.hooks.top_level_filter else { return Ok(Outcome::Unhandled) };
    let filter = filter(k);
    if filter == 0 || k.ext().seh.user.in_filter {
        return Ok(Outcome::Unhandled);
    }
    let ps = k.arch().ptr_size();
    k.mem_mut().write_ptr(at.dispatcher, at.record)?;
    k.mem_mut().write_ptr(at.dispatcher + ps, at.context)?;
    k.ext_mut().seh.user.in_filter = true;
    let r = frames::call_guest_with(k, filter, &[at.dispatcher], None, CallConv::Stdcall);
    k.ext_mut().seh.user.in_filter = false;
    let answer = r? as u32 as i32;
    let flags = ExceptionRecord::read(k.mem(), at.record)?.flags;
    if answer == EXCEPTION_CONTINUE_EXECUTION && flags & flag::NONCONTINUABLE == 0 {
        return Ok(Outcome::Continue(Box::new(context::read_over(k.mem(), at.context, ctx)?)));
    }
    Ok(Outcome::Unhandled)
}

/// The user stack has no room for an exception's records: the process ends with
/// STATUS_STACK_OVERFLOW.
pub(crate) fn stack_overflow(k: &Kx, sp: u64) -> KError {
    KError::Stop(Stop::Host(KernelStop::UserException {
        code: code::STACK_OVERFLOW,
        pc: k.reg(portcullis_emu::Reg::Ip),
        reason: format!("no room on the user stack for an exception's records (stack pointer {sp:#x})"),
    }))
}
