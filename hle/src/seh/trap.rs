//! From the machine's exceptions to Windows' (KiTrap*/KiDispatchException): a fault or trap in
//! driver code becomes an exception record and is dispatched, or is the bugcheck Windows
//! raises for it without looking for a handler. A kernel routine that touches a bad pointer
//! the driver gave it takes the same path, from inside the routine.

use portcullis_emu::{Arch, CpuContext, FaultKind, GuestException, IdtRoute, MemError, Reg, Resolution, Stop};

use crate::ke::irql;
use crate::kernel::{into_stop, KError, KernelStop, Kx};
use crate::seh::bugcheck::{self, access_code};
use crate::seh::codes::{code, fast_fail_name};
use crate::seh::record::ExceptionRecord;
use crate::seh::{dispatch, raise};

/// The first kernel-space address (MmSystemRangeStart).
pub fn system_range_start(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x8000_0000,
        Arch::X64 => 0xFFFF_0800_0000_0000,
    }
}

/// Whether `va` is in user space (below the kernel half, and canonical on x64).
pub fn is_user(arch: Arch, va: u64) -> bool {
    match arch {
        Arch::X86 => va < 0x8000_0000,
        Arch::X64 => va < 0x0000_8000_0000_0000,
    }
}

fn canonical(arch: Arch, va: u64) -> bool {
    arch == Arch::X86 || !(0x0000_8000_0000_0000..0xFFFF_8000_0000_0000).contains(&va)
}

/// What becomes of a machine exception.
enum Trap {
    /// Dispatched as this exception.
    Dispatch(ExceptionRecord),
    /// The bugcheck Windows raises without dispatching.
    Fatal { code: u32, params: [u64; 4], record: ExceptionRecord, reason: String },
    /// Not an exception Windows defines for kernel code: the machine's fault ends the run.
    NotOurs,
    /// Something Windows allows that the sandbox does not do: the run ends naming it.
    Refused(String),
    /// The kernel completed the faulting instruction: go on with this context.
    Completed(Box<CpuContext>),
}

/// The machine's hook: an exception in guest code.
pub(crate) fn on_exception(k: &mut Kx, e: &GuestException) -> Resolution<KernelStop> {
    if k.privilege() == portcullis_emu::Privilege::User {
        // User-mode code: no kernel handler applies and no bugcheck; the program's own
        // handlers are asked, and nobody taking it ends the process.
        return crate::seh::user::on_exception(k, e);
    }
    let mut ctx = k.capture_context();
    ctx.ip = e.pc;
    // A gate of the driver's own IDT: the processor enters the driver's handler, and Windows
    // never sees the exception.
    match k.route_through_idt(e, &ctx) {
        IdtRoute::Machine => {}
        IdtRoute::Delivered(d) => {
            let record = idt_record(k, e);
            crate::seh::events::delivered_through_idt(k, &record, &d);
            return Resolution::Resume(Box::new(d.context));
        }
        IdtRoute::TripleFault { reason } => {
            let fault = k.fault(FaultKind::DoubleFault, e.pc, format!("triple fault: {reason}"));
            return Resolution::Stop(Stop::Fault(Box::new(fault)));
        }
    }
    let outer_note = k.ext_mut().seh.machine_note.take();
    if !e.reason.is_empty() {
        k.ext_mut().seh.machine_note = Some((e.pc, e.reason.clone()));
    }
    let r = resolve(k, e, &ctx);
    k.ext_mut().seh.machine_note = outer_note;
    r
}

fn resolve(k: &mut Kx, e: &GuestException, ctx: &CpuContext) -> Resolution<KernelStop> {
    let r = match classify(k, e, ctx) {
        Trap::NotOurs => return Resolution::Fault,
        Trap::Refused(what) => {
            return Resolution::Stop(Stop::Host(KernelStop::Unimplemented { routine: what, caller: e.pc }))
        }
        Trap::Completed(next) => return Resolution::Resume(next),
        Trap::Dispatch(record) => match dispatch::dispatch(k, &record, ctx) {
            Ok(dispatch::Outcome::Continue(c)) => return Resolution::Resume(c),
            r => dispatch::conclude(k, &record, ctx, r),
        },
        Trap::Fatal { code, params, record, reason } => bugcheck::fatal(k, code, params, &record, ctx, reason),
    };
    match r {
        KError::Stop(s) => Resolution::Stop(s),
        KError::Mem(_) => {
            // The exception's records could not be written to the stack: the kernel stack
            // itself is gone, which Windows meets as a double fault.
            let sp = ctx.sp();
            match bugcheck::stack_overflow(k, sp) {
                KError::Stop(s) => Resolution::Stop(s),
                KError::Mem(m) => Resolution::Stop(Stop::Machine(portcullis_emu::MachineError::Memory(m))),
            }
        }
    }
}

/// How the trace names an exception the driver's IDT took: the code Windows would have
/// raised for it, with an access violation's parameters.
fn idt_record(k: &Kx, e: &GuestException) -> ExceptionRecord {
    let code = user_exception_code(e, k.capture_context().mxcsr);
    let params = match (&e.kind, e.access) {
        (FaultKind::PageFault { address }, Some(a)) => vec![access_code(a.write, a.execute, false), *address],
        _ => Vec::new(),
    };
    record(code, e.pc, &params)
}

/// The exception code Windows raises in a user-mode thread for a machine exception
/// (KiTrap0D tells privileged instructions, I/O included, from other protection faults).
pub fn user_exception_code(e: &GuestException, mxcsr: u32) -> u32 {
    match e.kind {
        FaultKind::DivideError => code::INTEGER_DIVIDE_BY_ZERO,
        FaultKind::Debug => code::SINGLE_STEP,
        FaultKind::Breakpoint => code::BREAKPOINT,
        FaultKind::Overflow => code::INTEGER_OVERFLOW,
        FaultKind::BoundRange => 0xC000_008C, // STATUS_ARRAY_BOUNDS_EXCEEDED
        FaultKind::InvalidOpcode => code::ILLEGAL_INSTRUCTION,
        FaultKind::AlignmentCheck => code::DATATYPE_MISALIGNMENT,
        FaultKind::GeneralProtection if e.privileged => code::PRIVILEGED_INSTRUCTION,
        FaultKind::FloatingPoint { vector: 19 } => simd_status(mxcsr),
        FaultKind::FloatingPoint { .. } => code::FLOAT_INVALID_OPERATION,
        FaultKind::SoftwareInterrupt { vector: 0x29 } => code::STACK_BUFFER_OVERRUN,
        FaultKind::SoftwareInterrupt { vector: 0x2C } => code::ASSERTION_FAILURE,
        _ => code::ACCESS_VIOLATION,
    }
}

fn record(code: u32, pc: u64, params: &[u64]) -> ExceptionRecord {
    ExceptionRecord::new(code, 0, pc, params)
}

fn classify(k: &mut Kx, e: &GuestException, ctx: &CpuContext) -> Trap {
    let arch = k.arch();
    let pc = e.pc;
    let unexpected = |vector: u64, what: &str| Trap::Fatal {
        code: bugcheck::UNEXPECTED_KERNEL_MODE_TRAP,
        params: [vector, 0, 0, 0],
        record: record(0, pc, &[]),
        reason: format!("{what} in kernel mode"),
    };
    match e.kind {
        FaultKind::DivideError => Trap::Dispatch(record(code::INTEGER_DIVIDE_BY_ZERO, pc, &[])),
        FaultKind::Debug => Trap::Dispatch(record(code::SINGLE_STEP, pc, &[])),
        // BREAKPOINT_BREAK: an int3 in the code, not a debug service call.
        FaultKind::Breakpoint => Trap::Dispatch(record(code::BREAKPOINT, pc, &[0])),
        FaultKind::Overflow => Trap::Dispatch(record(code::INTEGER_OVERFLOW, pc, &[])),
        FaultKind::InvalidOpcode => Trap::Dispatch(record(code::ILLEGAL_INSTRUCTION, pc, &[])),
        FaultKind::AlignmentCheck => Trap::Dispatch(record(code::DATATYPE_MISALIGNMENT, pc, &[])),
        FaultKind::GeneralProtection if e.privileged => Trap::Dispatch(record(code::PRIVILEGED_INSTRUCTION, pc, &[])),
        // A protection fault (a non-canonical address, a bad selector): an access violation
        // whose address is unknown.
        FaultKind::GeneralProtection => Trap::Dispatch(record(code::ACCESS_VIOLATION, pc, &[0, arch.mask(u64::MAX)])),
        FaultKind::PageFault { address } => page_fault(k, e, address, ctx),
        FaultKind::FloatingPoint { vector: 19 } => Trap::Dispatch(record(simd_status(ctx.mxcsr), pc, &[])),
        FaultKind::BoundRange => unexpected(5, "#BR"),
        FaultKind::DeviceNotAvailable => unexpected(7, "#NM"),
        FaultKind::DoubleFault => unexpected(8, "#DF"),
        FaultKind::Segment { vector } => unexpected(vector as u64, "a segment fault"),
        FaultKind::FloatingPoint { vector } => unexpected(vector as u64, "an x87 floating-point error"),
        FaultKind::MachineCheck => unexpected(18, "#MC"),
        FaultKind::SoftwareInterrupt { vector: 0x29 } => {
            // __fastfail: the failure code in ECX/RCX.
            let failure = ctx.get(Reg::Cx);
            let name = fast_fail_name(failure).map(|n| format!(" ({n})")).unwrap_or_default();
            Trap::Fatal {
                code: bugcheck::KERNEL_SECURITY_CHECK_FAILURE,
                params: [failure, 0, 0, 0],
                record: record(code::STACK_BUFFER_OVERRUN, pc, &[failure]),
                reason: format!("__fastfail({failure}){name}"),
            }
        }
        FaultKind::SoftwareInterrupt { vector: 0x2C } => Trap::Dispatch(record(code::ASSERTION_FAILURE, pc, &[])),
        FaultKind::SoftwareInterrupt { .. } => Trap::NotOurs,
    }
}

/// A page fault: at raised IRQL or on a kernel-space address Windows bugchecks at once; on a
/// user-space address it raises an access violation the driver may catch.
fn page_fault(k: &mut Kx, e: &GuestException, address: u64, ctx: &CpuContext) -> Trap {
    let arch = k.arch();
    let access = e.access.unwrap_or_default();
    let pc = e.pc;
    let av = record(code::ACCESS_VIOLATION, pc, &[access_code(access.write, access.execute, false), address]);
    if access.write && access.present && in_page_table_window(k, address) {
        // Windows' self-map is writable kernel memory; here the host keeps the tables, and
        // completes the write itself (mm/pte.rs).
        return match crate::mm::pte::written(k, e, address, ctx) {
            Ok(next) => Trap::Completed(Box::new(next)),
            Err(what) => Trap::Refused(what),
        };
    }
    let level = irql::current(k).unwrap_or(0);
    if level >= irql::DISPATCH_LEVEL {
        let in_driver = k.ext().driver_at(pc).is_some();
        let code = if in_driver { bugcheck::DRIVER_IRQL_NOT_LESS_OR_EQUAL } else { bugcheck::IRQL_NOT_LESS_OR_EQUAL };
        let rw = access_code(access.write, access.execute, !in_driver);
        return Trap::Fatal {
            code,
            params: [address, level as u64, rw, pc],
            record: av,
            reason: format!("page fault on {address:#x} at IRQL {level}"),
        };
    }
    if is_user(arch, address) {
        return Trap::Dispatch(av);
    }
    if access.execute && access.present {
        return Trap::Fatal {
            code: bugcheck::ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY,
            params: [address, 0, 0, 0],
            record: av,
            reason: format!("execution of no-execute memory at {address:#x}"),
        };
    }
    if access.write && access.present {
        // The page is there but read-only: Windows names the entry that says so.
        return Trap::Fatal {
            code: bugcheck::ATTEMPTED_WRITE_TO_READONLY_MEMORY,
            params: [address, pte_of(k, address), 0, 0],
            record: av,
            reason: format!("write to read-only memory at {address:#x}"),
        };
    }
    Trap::Fatal {
        code: bugcheck::PAGE_FAULT_IN_NONPAGED_AREA,
        params: [address, access_code(access.write, access.execute, true), pc, 0],
        record: av,
        reason: format!("invalid kernel address {address:#x} referenced"),
    }
}

fn in_page_table_window(k: &Kx, address: u64) -> bool {
    let (start, end) = k.mem().page_table_window();
    (start..end).contains(&address)
}

/// The page-table entry that maps `va`, read where the page-table window shows it (0 if that
/// cannot be read).
fn pte_of(k: &Kx, va: u64) -> u64 {
    let mem = k.mem();
    let base = mem.page_table_window().0;
    match k.arch() {
        Arch::X86 => mem.read_u32(base + ((va & 0xFFFF_FFFF) >> 12) * 4).map_or(0, u64::from),
        Arch::X64 => mem.read_u64(base + ((va >> 9) & 0x7F_FFFF_FFF8)).unwrap_or(0),
    }
}

/// The status of an SSE exception, from the unmasked exception flags in MXCSR.
fn simd_status(mxcsr: u32) -> u32 {
    let raised = mxcsr & 0x3F & !(mxcsr >> 7);
    match raised {
        r if r & 0x01 != 0 => code::FLOAT_INVALID_OPERATION,
        r if r & 0x04 != 0 => code::FLOAT_DIVIDE_BY_ZERO,
        r if r & 0x02 != 0 => code::FLOAT_DENORMAL_OPERAND,
        r if r & 0x08 != 0 => code::FLOAT_OVERFLOW,
        r if r & 0x10 != 0 => code::FLOAT_UNDERFLOW,
        r if r & 0x20 != 0 => code::FLOAT_INEXACT_RESULT,
        _ => 0xC000_02B5, // STATUS_FLOAT_MULTIPLE_TRAPS
    }
}

/// A kernel routine running for the driver failed. A bad pointer the driver gave it is the
/// page fault Windows takes inside the routine: an access violation the driver's handlers
/// may catch when the address is in user space (or not canonical), the bugcheck of an
/// invalid kernel address otherwise, or of a fault at raised IRQL.
pub(crate) fn routine_failed(k: &mut Kx, e: KError, what: &str, caller: u64) -> Stop<KernelStop> {
    let arch = k.arch();
    let (addr, write) = match &e {
        KError::Mem(MemError::Unmapped { addr }) => (*addr, false),
        KError::Mem(MemError::UnmappedWrite { addr } | MemError::ReadOnly { addr }) => (*addr, true),
        _ => return into_stop(k, e, what, caller),
    };
    let level = irql::current(k).unwrap_or(0);
    if level >= irql::DISPATCH_LEVEL {
        let b = crate::kernel::Bugcheck {
            code: bugcheck::IRQL_NOT_LESS_OR_EQUAL,
            name: crate::ke::bugcheck::name(bugcheck::IRQL_NOT_LESS_OR_EQUAL),
            params: [addr, level as u64, write as u64, caller],
            caller,
            reason: format!("{what} touched {addr:#x} on the driver's behalf at IRQL {level}"),
        };
        return crate::kernel::bugcheck_stop(k, b);
    }
    let params = if !canonical(arch, addr) {
        [0, u64::MAX]
    } else if is_user(arch, addr) {
        [write as u64, addr]
    } else {
        return into_stop(k, e, what, caller);
    };
    match raise::raise_in_routine(k, code::ACCESS_VIOLATION, 0, &params) {
        KError::Stop(s) => s,
        KError::Mem(m) => Stop::Machine(portcullis_emu::MachineError::Memory(m)),
    }
}
