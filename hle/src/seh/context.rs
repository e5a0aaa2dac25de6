//! CONTEXT: a thread's registers in guest memory, to and from the machine's [`CpuContext`];
//! `RtlCaptureContext` and `RtlRestoreContext`.
#![allow(non_snake_case)]

use portcullis_emu::context::gpr;
use portcullis_emu::{Arch, CpuContext, GuestMemory, MemError, Reg, Stop};

use crate::kernel::{KError, KResult, Kx};
use crate::layout::CONTEXT;
use crate::types::Ptr;

/// ContextFlags: the architecture bit and the register groups a context holds.
pub mod flags {
    pub const AMD64: u32 = 0x0010_0000;
    pub const I386: u32 = 0x0001_0000;
    pub const CONTROL: u32 = 0x1;
    pub const INTEGER: u32 = 0x2;
    pub const SEGMENTS: u32 = 0x4;
    pub const FLOATING_POINT: u32 = 0x8;
    /// x86: the FXSAVE area (XMM registers, MXCSR).
    pub const EXTENDED_REGISTERS: u32 = 0x20;
}

/// The groups a full capture holds on `arch` (what RtlCaptureContext reports).
pub fn full_flags(arch: Arch) -> u32 {
    match arch {
        Arch::X64 => flags::AMD64 | flags::CONTROL | flags::INTEGER | flags::SEGMENTS | flags::FLOATING_POINT,
        Arch::X86 => flags::I386 | flags::CONTROL | flags::INTEGER | flags::SEGMENTS | flags::EXTENDED_REGISTERS,
    }
}

/// Bytes a CONTEXT takes on `arch`.
pub fn size(arch: Arch) -> u64 {
    CONTEXT::STRUCT.size(arch)
}

/// x86 general-purpose registers in CONTEXT order, with their encoding numbers.
const X86_GPRS: [(u64, usize); 8] = [
    (0x9c, gpr::DI),
    (0xa0, gpr::SI),
    (0xa4, gpr::BX),
    (0xa8, gpr::DX),
    (0xac, gpr::CX),
    (0xb0, gpr::AX),
    (0xb4, gpr::BP),
    (0xc4, gpr::SP),
];

/// Offset of Rax in the x64 CONTEXT: Rax .. R15 follow in encoding order.
const X64_RAX: u64 = 0x78;
const X64_RIP: u64 = 0xf8;
const X64_FLTSAVE: u64 = 0x100;
/// Within an FXSAVE area: MXCSR and the XMM registers.
const FX_MXCSR: u64 = 0x18;
const FX_XMM: u64 = 0xa0;
const X86_EXTENDED: u64 = 0xcc;

fn put(b: &mut [u8], off: u64, v: u64, width: usize) {
    b[off as usize..off as usize + width].copy_from_slice(&v.to_le_bytes()[..width]);
}

fn get(b: &[u8], off: u64, width: usize) -> u64 {
    let mut v = [0u8; 8];
    v[..width].copy_from_slice(&b[off as usize..off as usize + width]);
    u64::from_le_bytes(v)
}

/// The bytes of a CONTEXT holding `c`, with ContextFlags `context_flags`.
pub fn to_bytes(arch: Arch, c: &CpuContext, context_flags: u32) -> Vec<u8> {
    let mut b = vec![0u8; size(arch) as usize];
    let seg = |i: usize| c.segments[i] as u64;
    match arch {
        Arch::X64 => {
            put(&mut b, 0x30, context_flags as u64, 4);
            put(&mut b, 0x34, c.mxcsr as u64, 4);
            for (i, off) in [0x38u64, 0x3a, 0x3c, 0x3e, 0x40, 0x42].into_iter().enumerate() {
                put(&mut b, off, seg(i), 2);
            }
            put(&mut b, 0x44, c.flags, 4);
            for (i, v) in c.gpr.iter().enumerate() {
                put(&mut b, X64_RAX + 8 * i as u64, *v, 8);
            }
            put(&mut b, X64_RIP, c.ip, 8);
            put(&mut b, X64_FLTSAVE, 0x27F, 2); // x87 control word at reset
            put(&mut b, X64_FLTSAVE + FX_MXCSR, c.mxcsr as u64, 4);
            put(&mut b, X64_FLTSAVE + 0x1c, 0xFFFF, 4); // MxCsr_Mask
            for (i, x) in c.xmm.iter().enumerate() {
                let at = (X64_FLTSAVE + FX_XMM + 16 * i as u64) as usize;
                b[at..at + 16].copy_from_slice(&x.to_le_bytes());
            }
        }
        Arch::X86 => {
            put(&mut b, 0, context_flags as u64, 4);
            // SegCs, SegDs, SegEs, SegFs, SegGs, SegSs
            for (i, off) in [0xbcu64, 0x98, 0x94, 0x90, 0x8c, 0xc8].into_iter().enumerate() {
                put(&mut b, off, seg(i), 4);
            }
            for (off, r) in X86_GPRS {
                put(&mut b, off, c.gpr[r], 4);
            }
            put(&mut b, 0xb8, c.ip, 4);
            put(&mut b, 0xc0, c.flags, 4);
            put(&mut b, X86_EXTENDED, 0x27F, 2);
            put(&mut b, X86_EXTENDED + FX_MXCSR, c.mxcsr as u64, 4);
            for (i, x) in c.xmm.iter().take(8).enumerate() {
                let at = (X86_EXTENDED + FX_XMM + 16 * i as u64) as usize;
                b[at..at + 16].copy_from_slice(&x.to_le_bytes());
            }
        }
    }
    b
}

/// Writes `c` as a CONTEXT at `at`, with ContextFlags `context_flags`.
pub fn write(mem: &mut GuestMemory, at: u64, c: &CpuContext, context_flags: u32) -> Result<(), MemError> {
    let b = to_bytes(mem.arch(), c, context_flags);
    mem.write(at, &b)
}

/// Writes `c` as a full CONTEXT at `at` (every register group it holds).
pub fn write_full(mem: &mut GuestMemory, at: u64, c: &CpuContext) -> Result<(), MemError> {
    let flags = full_flags(mem.arch());
    write(mem, at, c, flags)
}

/// Reads the CONTEXT at `at` over `base`: the register groups its ContextFlags name replace
/// those of `base`, the rest stay (as NtContinue and RtlRestoreContext treat a partial
/// context).
pub fn read_over(mem: &GuestMemory, at: u64, base: &CpuContext) -> Result<CpuContext, MemError> {
    let arch = mem.arch();
    let mut b = vec![0u8; size(arch) as usize];
    mem.read(at, &mut b)?;
    Ok(from_bytes(arch, &b, base))
}

/// A context from CONTEXT bytes over `base` (see [`read_over`]).
pub fn from_bytes(arch: Arch, b: &[u8], base: &CpuContext) -> CpuContext {
    let mut c = base.clone();
    match arch {
        Arch::X64 => {
            let f = get(b, 0x30, 4) as u32;
            if f & flags::CONTROL != 0 {
                c.ip = get(b, X64_RIP, 8);
                c.flags = get(b, 0x44, 4);
                c.gpr[gpr::SP] = get(b, X64_RAX + 8 * gpr::SP as u64, 8);
            }
            if f & flags::INTEGER != 0 {
                for i in (0..16).filter(|i| *i != gpr::SP) {
                    c.gpr[i] = get(b, X64_RAX + 8 * i as u64, 8);
                }
            }
            if f & flags::FLOATING_POINT != 0 {
                c.mxcsr = get(b, 0x34, 4) as u32;
                for i in 0..16 {
                    let at = (X64_FLTSAVE + FX_XMM + 16 * i as u64) as usize;
                    c.xmm[i] = u128::from_le_bytes(b[at..at + 16].try_into().expect("16 bytes"));
                }
            }
        }
        Arch::X86 => {
            let f = get(b, 0, 4) as u32;
            if f & flags::CONTROL != 0 {
                c.ip = get(b, 0xb8, 4);
                c.flags = get(b, 0xc0, 4);
                c.gpr[gpr::SP] = get(b, 0xc4, 4);
                c.gpr[gpr::BP] = get(b, 0xb4, 4);
            }
            if f & flags::INTEGER != 0 {
                for (off, r) in X86_GPRS.into_iter().filter(|(_, r)| *r != gpr::SP && *r != gpr::BP) {
                    c.gpr[r] = get(b, off, 4);
                }
            }
            if f & flags::EXTENDED_REGISTERS != 0 {
                c.mxcsr = get(b, X86_EXTENDED + FX_MXCSR, 4) as u32;
                for i in 0..8 {
                    let at = (X86_EXTENDED + FX_XMM + 16 * i as u64) as usize;
                    c.xmm[i] = u128::from_le_bytes(b[at..at + 16].try_into().expect("16 bytes"));
                }
            }
        }
    }
    c
}

/// The context of the routine that called the export being run: the registers as they are,
/// the instruction pointer at the return address and the stack pointer past it and the
/// `popped` bytes of arguments the export removes (x86 stdcall).
pub fn caller_context(k: &Kx, popped: u64) -> KResult<CpuContext> {
    let mut c = k.capture_context();
    let sp = c.sp();
    c.ip = k.mem().read_ptr(sp)?;
    c.set_sp(sp.wrapping_add(k.arch().ptr_size() + popped));
    Ok(c)
}

/// VOID RtlCaptureContext(PCONTEXT ContextRecord)
///
/// x64: the caller's registers as they are after the return. x86: the registers as they
/// are, with the control registers of the caller's own frame as if it had returned (what
/// EBP points at: the saved EBP, the return address above it) — Windows' x86 routine reads
/// them through EBP, so a caller without an EBP frame gets its caller's values.
pub fn RtlCaptureContext(k: &mut Kx, record: Ptr) -> KResult<()> {
    let c = match k.arch() {
        Arch::X64 => caller_context(k, 0)?,
        Arch::X86 => {
            let mut c = k.capture_context();
            let ebp = c.get(Reg::Bp);
            c.ip = k.mem().read_u32(ebp.wrapping_add(4))? as u64;
            c.set(Reg::Bp, k.mem().read_u32(ebp)? as u64);
            c.set_sp(ebp.wrapping_add(8) & 0xFFFF_FFFF);
            c
        }
    };
    write_full(k.mem_mut(), record.0, &c)?;
    if k.arch() == Arch::X86 {
        // CONTEXT_FULL | CONTEXT_SEGMENTS: the x86 routine leaves the extended registers out.
        k.mem_mut().write_u32(record.0, 0x1_0007)?;
    }
    Ok(())
}

/// VOID RtlRestoreContext(PCONTEXT ContextRecord, PEXCEPTION_RECORD ExceptionRecord) (x64)
///
/// Resumes at the context. An unwind-consolidation record first calls its callback (the
/// first parameter) with the record; the callback's return value is where execution resumes
/// (how C++ exception handling consolidates frames).
pub fn RtlRestoreContext(k: &mut Kx, record: Ptr, exception: Ptr) -> KResult<()> {
    let now = k.capture_context();
    let mut c = read_over(k.mem(), record.0, &now)?;
    if exception.0 != 0 {
        let e = crate::seh::record::ExceptionRecord::read(k.mem(), exception.0)?;
        if e.code == crate::seh::codes::code::UNWIND_CONSOLIDATE && !e.params.is_empty() {
            let callback = e.params[0];
            let target = crate::seh::frames::call_guest(k, callback, &[exception.0], None)?;
            c.ip = target;
        }
    }
    Err(KError::Stop(Stop::Unwind(Box::new(c))))
}
