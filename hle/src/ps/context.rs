//! A thread's registers as a CONTEXT: PsGetContextThread and PsSetContextThread.
//!
//! Windows gets and sets a thread's context through a special kernel APC the thread runs on
//! itself (on the calling thread, directly). Our threads run kernel code only, so the
//! context of a thread is its kernel context: for the calling thread the registers at the
//! call (the caller's, as after the return), for another thread the registers the scheduler
//! saved when it left the processor (a thread waiting in a kernel routine is inside that
//! routine). A thread whose registers are held nowhere — not started yet, ended, or below a
//! call of its own that is running other threads — cannot run the APC: STATUS_UNSUCCESSFUL,
//! as when the APC cannot be queued.
//!
//! Setting takes effect as the APC's would: the calling thread goes on in the new context
//! when the call returns (as NtSetContextThread on oneself resumes in it). Another thread's
//! saved registers are not replaced (the saved state of the emulated CPU cannot be written
//! group by group): STATUS_UNSUCCESSFUL.
//!
//! Only the register groups ContextFlags names are read or written; the groups not named
//! read as zero, as Windows' zeroed capture buffer leaves them. With UserMode the record
//! must lie in user space (ProbeForReadSmallStructure); a record that cannot be read or
//! written gives the exception's status, as the routines' own `try/except` does.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CpuContext, Stop};

use crate::kernel::{KError, KResult, Kx};
use crate::seh::context::{caller_context, flags, from_bytes, to_bytes};
use crate::seh::probe::user_probe_address;
use crate::types::{status, NtStatus, Ptr};

/// Bytes of arguments the x86 routines pop (three).
const POPPED_X86: u64 = 12;
/// STATUS_DATATYPE_MISALIGNMENT.
const DATATYPE_MISALIGNMENT: NtStatus = NtStatus(0x8000_0002);

/// Where ContextFlags is, and the alignment a user-mode record needs (CONTEXT_ALIGN).
fn flags_offset_align(arch: Arch) -> (u64, u64) {
    match arch {
        Arch::X86 => (0, 4),
        Arch::X64 => (0x30, 16),
    }
}

/// Bytes copied for `context_flags`: x86 leaves ExtendedRegisters out unless asked for.
fn length(arch: Arch, context_flags: u32) -> u64 {
    match arch {
        Arch::X86 if context_flags & flags::EXTENDED_REGISTERS != flags::EXTENDED_REGISTERS => 0xcc,
        _ => crate::seh::context::size(arch),
    }
}

/// Byte ranges of each register group in the CONTEXT of `arch`.
fn groups(arch: Arch) -> [(u32, &'static [(usize, usize)]); 5] {
    match arch {
        Arch::X64 => [
            // SegCs, SegSs, EFlags; Rsp; Rip.
            (flags::CONTROL, &[(0x38, 0x3a), (0x42, 0x48), (0x98, 0xa0), (0xf8, 0x100)]),
            // Rax..Rbx, Rbp..R15.
            (flags::INTEGER, &[(0x78, 0x98), (0xa0, 0xf8)]),
            // SegDs, SegEs, SegFs, SegGs.
            (flags::SEGMENTS, &[(0x3a, 0x42)]),
            // MxCsr; FltSave.
            (flags::FLOATING_POINT, &[(0x34, 0x38), (0x100, 0x300)]),
            (flags::EXTENDED_REGISTERS, &[]),
        ],
        Arch::X86 => [
            // Ebp, Eip, SegCs, EFlags, Esp, SegSs.
            (flags::CONTROL, &[(0xb4, 0xcc)]),
            // Edi .. Eax.
            (flags::INTEGER, &[(0x9c, 0xb4)]),
            // SegGs .. SegDs.
            (flags::SEGMENTS, &[(0x8c, 0x9c)]),
            // FloatSave.
            (flags::FLOATING_POINT, &[(0x1c, 0x8c)]),
            (flags::EXTENDED_REGISTERS, &[(0xcc, 0x2cc)]),
        ],
    }
}

/// The CONTEXT bytes of `c` holding only the groups `context_flags` names.
fn record(arch: Arch, c: &CpuContext, context_flags: u32) -> Vec<u8> {
    let full = to_bytes(arch, c, context_flags);
    let mut b = vec![0u8; full.len()];
    let (flags_at, _) = flags_offset_align(arch);
    b[flags_at as usize..flags_at as usize + 4].copy_from_slice(&context_flags.to_le_bytes());
    for (group, ranges) in groups(arch) {
        if context_flags & group != 0 {
            for &(from, to) in ranges {
                b[from..to].copy_from_slice(&full[from..to]);
            }
        }
    }
    b
}

/// The thread's context: `None` when its registers are held nowhere.
fn registers_of(k: &mut Kx, thread: u64) -> KResult<Option<CpuContext>> {
    if thread == crate::ke::thread::current_thread(k)? {
        let popped = if k.arch() == Arch::X86 { POPPED_X86 } else { 0 };
        return Ok(Some(caller_context(k, popped)?));
    }
    let cid = crate::ke::thread::context_of(k, thread, "PsGetContextThread")?;
    let Some(saved) = k.ext_mut().sched.take_saved_registers(cid) else { return Ok(None) };
    // Read the saved state through the engine and put the live one back.
    let now = k.new_context();
    let c = now.map(|now| {
        k.restore_context(&saved);
        let c = k.capture_context();
        k.restore_context(&now);
        c
    });
    k.ext_mut().sched.put_saved_registers(cid, saved);
    c.map(Some).map_err(|e| KError::Stop(Stop::Machine(e)))
}

/// Reads ContextFlags, checking a user-mode record's place: the flags, or the status the
/// probe or the read raises.
fn context_flags(k: &Kx, context: u64, mode: u8) -> Result<u32, NtStatus> {
    let arch = k.arch();
    let (at, align) = flags_offset_align(arch);
    if mode != 0 {
        if context & (align - 1) != 0 {
            return Err(DATATYPE_MISALIGNMENT);
        }
        match context.checked_add(at + 4) {
            Some(end) if end <= user_probe_address(arch) => {}
            _ => return Err(status::ACCESS_VIOLATION),
        }
    }
    k.mem().read_u32(context.wrapping_add(at)).map_err(|_| status::ACCESS_VIOLATION)
}

/// NTSTATUS PsGetContextThread(PETHREAD Thread, PCONTEXT ThreadContext, KPROCESSOR_MODE Mode)
pub fn PsGetContextThread(k: &mut Kx, thread: Ptr, context: Ptr, mode: u8) -> KResult<NtStatus> {
    let context_flags = match context_flags(k, context.0, mode) {
        Ok(f) => f,
        Err(st) => return Ok(st),
    };
    let Some(c) = registers_of(k, thread.0)? else { return Ok(status::UNSUCCESSFUL) };
    let arch = k.arch();
    let b = record(arch, &c, context_flags);
    let len = length(arch, context_flags) as usize;
    Ok(match k.mem_mut().write(context.0, &b[..len]) {
        Ok(()) => status::SUCCESS,
        Err(_) => status::ACCESS_VIOLATION,
    })
}

/// NTSTATUS PsSetContextThread(PETHREAD Thread, PCONTEXT ThreadContext, KPROCESSOR_MODE Mode)
pub fn PsSetContextThread(k: &mut Kx, thread: Ptr, context: Ptr, mode: u8) -> KResult<NtStatus> {
    let context_flags = match context_flags(k, context.0, mode) {
        Ok(f) => f,
        Err(st) => return Ok(st),
    };
    let arch = k.arch();
    let mut b = vec![0u8; crate::seh::context::size(arch) as usize];
    let len = length(arch, context_flags) as usize;
    if k.mem().read(context.0, &mut b[..len]).is_err() {
        return Ok(status::ACCESS_VIOLATION);
    }
    if thread.0 != crate::ke::thread::current_thread(k)? {
        crate::ke::thread::context_of(k, thread.0, "PsSetContextThread")?;
        return Ok(status::UNSUCCESSFUL);
    }
    let popped = if arch == Arch::X86 { POPPED_X86 } else { 0 };
    let now = caller_context(k, popped)?;
    // Only the named groups replace the caller's registers (from_bytes honours the flags).
    let mut c = from_bytes(arch, &b, &now);
    if context_flags & flags::INTEGER == 0 {
        // The call returns STATUS_SUCCESS into the context.
        c.set(portcullis_emu::Reg::Ax, 0);
    }
    Err(KError::Stop(Stop::Unwind(Box::new(c))))
}
