//! Exceptions in a program, kernel32's side: SetUnhandledExceptionFilter (the top-level
//! filter a dispatch in the program ends with: `hle::seh::user`), UnhandledExceptionFilter
//! (what a C runtime's outermost handler asks) and RaiseException.
#![allow(non_snake_case)]

use portcullis_emu::Arch;
use portcullis_hle::kernel::{KResult, Kx};
use portcullis_hle::seh::codes::{flag, EXCEPTION_MAXIMUM_PARAMETERS};
use portcullis_hle::types::{Ptr, SizeT};

use crate::kernel32::thread::me;
use crate::process::{enter_kernel, enter_user};

/// LPTOP_LEVEL_EXCEPTION_FILTER SetUnhandledExceptionFilter(LPTOP_LEVEL_EXCEPTION_FILTER
/// filter): records the filter an exception nobody handles is given, returns the previous
/// one.
pub fn SetUnhandledExceptionFilter(k: &mut Kx, filter: Ptr) -> KResult<Ptr> {
    Ok(Ptr(std::mem::replace(&mut me(k)?.exception_filter, filter.0)))
}

/// LONG UnhandledExceptionFilter(EXCEPTION_POINTERS *ExceptionInfo): the top-level filter's
/// answer, run in user mode; with none set, EXCEPTION_EXECUTE_HANDLER (no debugger is
/// attached: the caller's handler is to end the process).
pub fn UnhandledExceptionFilter(k: &mut Kx, pointers: Ptr) -> KResult<i32> {
    enter_user(k)?;
    let r = portcullis_hle::seh::user::call_top_level_filter(k, pointers.0);
    enter_kernel(k)?;
    r
}

/// VOID RaiseException(DWORD dwExceptionCode, DWORD dwExceptionFlags, DWORD
/// nNumberOfArguments, const ULONG_PTR *lpArguments): dispatched in the program from its
/// caller's context, as an exception of the machine's would be. Only EXCEPTION_NONCONTINUABLE
/// of the flags is kept and at most 15 arguments; the record's address is RaiseException's
/// own, as Windows gives it. A handler that continues returns to the caller.
pub fn RaiseException(k: &mut Kx, code: u32, flags: u32, count: u32, arguments: Ptr) -> KResult<()> {
    let arch = k.arch();
    let popped = if arch == Arch::X86 { 16 } else { 0 };
    let ctx = portcullis_hle::seh::context::caller_context(k, popped)?;
    let n = if arguments.0 == 0 { 0 } else { (count as usize).min(EXCEPTION_MAXIMUM_PARAMETERS) };
    let ps = arch.ptr_size();
    let params = (0..n as u64).map(|i| k.mem().read_ptr(arguments.0 + i * ps)).collect::<Result<Vec<_>, _>>()?;
    let address = k.host_call_pc();
    // The handlers are the program's: they run in user mode.
    enter_user(k)?;
    Err(portcullis_hle::seh::user::raise(k, code, flags & flag::NONCONTINUABLE, address, &params, &ctx))
}

/// VOID RtlUnwind(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord, PVOID
/// ReturnValue) (x86; kernel32 forwards it to ntdll): the registrations above TargetFrame on
/// the thread's fs:[0] chain have their handlers called with the unwinding flags and are
/// taken off, as the kernel's own routine does for drivers; the handlers are the program's
/// and run in user mode. Returns with EAX = ReturnValue (a static MSVC runtime's
/// `_global_unwind2` calls it). A target below the chain's head raises
/// STATUS_INVALID_UNWIND_TARGET in the program.
pub fn RtlUnwind(k: &mut Kx, target: Ptr, target_ip: Ptr, record: Ptr, value: Ptr) -> KResult<SizeT> {
    enter_user(k)?;
    let r = portcullis_hle::seh::x86_frames::RtlUnwind(k, target, target_ip, record, value)?;
    enter_kernel(k)?;
    Ok(r)
}

/// VOID RtlUnwindEx(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord,
/// PVOID ReturnValue, PCONTEXT ContextRecord, PUNWIND_HISTORY_TABLE HistoryTable) (x64):
/// the program's frames from the caller's up to the one whose establisher frame is
/// TargetFrame are unwound through their function tables, their termination handlers run
/// (in user mode), and execution resumes in that frame at TargetIp with RAX = ReturnValue.
pub fn RtlUnwindEx(
    k: &mut Kx,
    target: Ptr,
    target_ip: Ptr,
    record: Ptr,
    value: Ptr,
    ctx: Ptr,
    history: Ptr,
) -> KResult<()> {
    enter_user(k)?;
    portcullis_hle::seh::unwind::RtlUnwindEx(k, target, target_ip, record, value, ctx, history)
}

/// VOID RtlUnwind(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord, PVOID
/// ReturnValue) (x64): RtlUnwindEx without the caller's scratch context.
pub fn RtlUnwind64(k: &mut Kx, target: Ptr, target_ip: Ptr, record: Ptr, value: Ptr) -> KResult<()> {
    enter_user(k)?;
    portcullis_hle::seh::unwind::RtlUnwind64(k, target, target_ip, record, value)
}

/// VOID RtlCaptureContext(PCONTEXT ContextRecord): the caller's registers as the program
/// sees them (its own segment registers: captured in user mode).
pub fn RtlCaptureContext(k: &mut Kx, record: Ptr) -> KResult<()> {
    enter_user(k)?;
    let r = portcullis_hle::seh::context::RtlCaptureContext(k, record);
    enter_kernel(k)?;
    r
}

/// PVOID RtlPcToFileHeader(PVOID PcValue, PVOID *BaseOfImage): the base of the program's
/// module holding PcValue (the module handle of one of our libraries for an address among
/// its functions), also stored in *BaseOfImage; NULL for an address in none.
pub fn RtlPcToFileHeader(k: &mut Kx, pc: Ptr, base_out: Ptr) -> KResult<Ptr> {
    let base = crate::kernel32::module::module_at(k, pc.0)?;
    k.mem_mut().write_ptr(base_out.0, base)?;
    Ok(Ptr(base))
}
