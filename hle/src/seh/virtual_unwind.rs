//! x64 virtual unwinding: from the context of a function, the context of its caller, as
//! `RtlVirtualUnwind` computes it — the prologue's unwind codes undone in reverse (including
//! chained entries and machine frames), or, when control is in an epilogue, the epilogue's
//! remaining instructions carried out (recognised from the code for version 1 information,
//! from its epilogue codes for version 2).
//!
//! Every read is of the guest's memory through [`UnwindMemory`]; what the driver wrote there
//! is checked, and a structure that cannot be used is an [`UnwindError`].
#![allow(non_snake_case)]

use portcullis_emu::CpuContext;

use crate::kernel::{KError, KResult, Kx};
use crate::seh::codes::code;
use crate::seh::unwind_info::{op, unw, Code, RuntimeFunction, UnwindError, UnwindInfo, UnwindMemory, CHAIN_LIMIT};
use crate::seh::{context, pdata, raise};
use crate::types::Ptr;

/// Where each non-volatile register was restored from (KNONVOLATILE_CONTEXT_POINTERS).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextPointers {
    pub xmm: [Option<u64>; 16],
    pub integer: [Option<u64>; 16],
}

/// What unwinding one frame found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unwound {
    /// The language handler of the requested kind, when control left the function outside
    /// its prologue and epilogues.
    pub handler: Option<u64>,
    /// The address of the handler's data (the scope table, for `__C_specific_handler`).
    pub handler_data: u64,
    /// The function's establisher frame: its frame pointer, or its stack pointer.
    pub establisher: u64,
}

/// The image a function lives in and a way to find other entries of it.
pub struct Image<'a> {
    pub base: u64,
    pub size: u64,
    /// The entry covering an address of the image, for epilogue detection.
    pub lookup: &'a dyn Fn(u64) -> Option<RuntimeFunction>,
}

/// Unwinds the frame of the function `function` in which control is at `pc`: `ctx` becomes
/// the caller's context. `handler_type` asks for an exception (`unw::EHANDLER`) or
/// termination (`unw::UHANDLER`) handler, or none (0).
pub fn virtual_unwind<M: UnwindMemory + ?Sized>(
    mem: &M,
    handler_type: u8,
    image: &Image,
    pc: u64,
    function: &RuntimeFunction,
    ctx: &mut CpuContext,
    mut pointers: Option<&mut ContextPointers>,
) -> Result<Unwound, UnwindError> {
    let base = image.base;
    let info = UnwindInfo::read(mem, base, image.size, function.unwind)?;
    let prolog_offset = pc.wrapping_sub(base + function.begin as u64);

    // The establisher frame: the stack pointer, unless the function sets up a frame pointer
    // and control is past the point where it does.
    let establisher = if info.frame_register == 0 {
        ctx.sp()
    } else {
        let via_frame = ctx.gpr[info.frame_register as usize].wrapping_sub(16 * info.frame_offset as u64);
        if prolog_offset >= info.prolog_size as u64 || info.flags & unw::CHAININFO != 0 {
            via_frame
        } else {
            match set_fpreg_offset(&info) {
                Some(at) if prolog_offset >= at as u64 => via_frame,
                _ => ctx.sp(),
            }
        }
    };
    let unwound = |ctx: &CpuContext| Unwound { handler: None, handler_data: 0, establisher: ctx.sp() };

    // In an epilogue?
    if info.version < 2 {
        if let Some(epilogue) = code_epilogue(mem, image, pc, function, &info) {
            run_epilogue(mem, ctx, epilogue, &mut pointers)?;
            return Ok(Unwound { establisher, ..unwound(ctx) });
        }
    } else if let Some(offset) = coded_epilogue(&info, pc.wrapping_sub(base), function) {
        unwind_epilogue(mem, image, function, offset, ctx, &mut pointers)?;
        return Ok(Unwound { establisher, ..unwound(ctx) });
    }

    let primary = unwind_prologue(mem, image, pc, establisher, function, ctx, &mut pointers)?;
    let mut result = Unwound { handler: None, handler_data: 0, establisher };
    if handler_type != 0 {
        let info = UnwindInfo::read(mem, base, image.size, primary.unwind)?;
        let offset = pc.wrapping_sub(base + primary.begin as u64);
        if offset >= info.prolog_size as u64 && info.flags & handler_type != 0 {
            if let Some((handler, data)) = info.handler {
                result.handler = Some(base + handler as u64);
                result.handler_data = data;
            }
        }
    }
    Ok(result)
}

/// The prologue offset of the UWOP_SET_FPREG code, if any.
fn set_fpreg_offset(info: &UnwindInfo) -> Option<u8> {
    let mut i = 0;
    while i < info.codes.len() {
        let c = info.codes[i];
        if c.op() == op::SET_FPREG {
            return Some(c.offset());
        }
        i += c.slots()?;
    }
    None
}

/// Undoes the prologue of `function` (and of every entry it chains to) as far as control had
/// got through it. Returns the final, primary entry.
fn unwind_prologue<M: UnwindMemory + ?Sized>(
    mem: &M,
    image: &Image,
    pc: u64,
    frame_base: u64,
    function: &RuntimeFunction,
    ctx: &mut CpuContext,
    pointers: &mut Option<&mut ContextPointers>,
) -> Result<RuntimeFunction, UnwindError> {
    let mut entry = *function;
    for _ in 0..=CHAIN_LIMIT {
        let info = UnwindInfo::read(mem, image.base, image.size, entry.unwind)?;
        let prolog_offset = pc.wrapping_sub(image.base + entry.begin as u64);
        let mut machine_frame = false;
        let mut i = 0;
        while i < info.codes.len() {
            let (code, extra) = info.operation(i)?;
            if prolog_offset >= code.offset() as u64 {
                machine_frame |= apply(mem, &info, code, extra, frame_base, ctx, pointers)?;
            }
            i += 1 + extra.len();
        }
        match info.chained {
            Some(parent) => entry = parent,
            None => {
                if !machine_frame {
                    pop_return(mem, ctx)?;
                }
                return Ok(entry);
            }
        }
    }
    Err(UnwindError::ChainTooLong(CHAIN_LIMIT))
}

/// Applies one unwind code. Returns whether it was a machine frame (which sets RIP itself).
fn apply<M: UnwindMemory + ?Sized>(
    mem: &M,
    info: &UnwindInfo,
    code: Code,
    extra: &[Code],
    frame_base: u64,
    ctx: &mut CpuContext,
    pointers: &mut Option<&mut ContextPointers>,
) -> Result<bool, UnwindError> {
    let reg = code.info() as usize;
    let word = |i: usize| extra[i].0 as u64;
    match code.op() {
        op::PUSH_NONVOL => {
            let at = ctx.sp();
            restore_integer(mem, ctx, reg, at, pointers)?;
            ctx.set_sp(at.wrapping_add(8));
        }
        op::ALLOC_LARGE => {
            let size = if code.info() == 0 { word(0) * 8 } else { word(0) | word(1) << 16 };
            ctx.set_sp(ctx.sp().wrapping_add(size));
        }
        op::ALLOC_SMALL => ctx.set_sp(ctx.sp().wrapping_add(code.info() as u64 * 8 + 8)),
        op::SET_FPREG => {
            let fp = ctx.gpr[info.frame_register as usize];
            ctx.set_sp(fp.wrapping_sub(16 * info.frame_offset as u64));
        }
        op::SAVE_NONVOL => restore_integer(mem, ctx, reg, frame_base.wrapping_add(word(0) * 8), pointers)?,
        op::SAVE_NONVOL_FAR => {
            restore_integer(mem, ctx, reg, frame_base.wrapping_add(word(0) | word(1) << 16), pointers)?
        }
        op::SAVE_XMM128 => restore_xmm(mem, ctx, reg, frame_base.wrapping_add(word(0) * 16), pointers)?,
        op::SAVE_XMM128_FAR => restore_xmm(mem, ctx, reg, frame_base.wrapping_add(word(0) | word(1) << 16), pointers)?,
        op::PUSH_MACHFRAME => {
            // The processor pushed SS, RSP, RFLAGS, CS, RIP (and an error code first when
            // the op info says so).
            let top = ctx.sp().wrapping_add(if code.info() != 0 { 8 } else { 0 });
            ctx.ip = mem.read_u64(top)?;
            ctx.set_sp(mem.read_u64(top.wrapping_add(24))?);
            return Ok(true);
        }
        // An epilogue descriptor says nothing about the prologue; the spare code was never
        // assigned (Windows skips it too).
        op::EPILOG | op::SPARE => {}
        other => return Err(UnwindError::BadCode { at: info.at, op: other }),
    }
    Ok(false)
}

fn restore_integer<M: UnwindMemory + ?Sized>(
    mem: &M,
    ctx: &mut CpuContext,
    reg: usize,
    at: u64,
    pointers: &mut Option<&mut ContextPointers>,
) -> Result<(), UnwindError> {
    ctx.gpr[reg] = mem.read_u64(at)?;
    if let Some(p) = pointers {
        p.integer[reg] = Some(at);
    }
    Ok(())
}

fn restore_xmm<M: UnwindMemory + ?Sized>(
    mem: &M,
    ctx: &mut CpuContext,
    reg: usize,
    at: u64,
    pointers: &mut Option<&mut ContextPointers>,
) -> Result<(), UnwindError> {
    ctx.xmm[reg] = mem.read_u128(at)?;
    if let Some(p) = pointers {
        p.xmm[reg] = Some(at);
    }
    Ok(())
}

fn pop_return<M: UnwindMemory + ?Sized>(mem: &M, ctx: &mut CpuContext) -> Result<(), UnwindError> {
    ctx.ip = mem.read_u64(ctx.sp())?;
    ctx.set_sp(ctx.sp().wrapping_add(8));
    Ok(())
}

/// Bytes of code an epilogue is recognised from: at most 28 bytes of stack adjustment and
/// pops, a prefix, and a 5-byte jump, with room to spare.
const CODE_WINDOW: usize = 40;

/// The code at `pc`; what cannot be read reads as zeros (no epilogue starts with them).
fn code_at<M: UnwindMemory + ?Sized>(mem: &M, pc: u64) -> [u8; CODE_WINDOW] {
    let mut b = [0u8; CODE_WINDOW];
    if mem.read(pc, &mut b).is_err() {
        for (i, byte) in b.iter_mut().enumerate() {
            let mut one = [0u8; 1];
            if mem.read(pc.wrapping_add(i as u64), &mut one).is_err() {
                break;
            }
            *byte = one[0];
        }
    }
    b
}

/// An epilogue recognised from the code (version 1 information): the bytes from `pc`.
struct CodeEpilogue {
    code: [u8; CODE_WINDOW],
    frame_register: u8,
}

const REX_W: u8 = 0x48;

/// Whether control at `pc` is in an epilogue, read from the instructions there: an optional
/// `add rsp, imm` / `lea rsp, [fp+disp]`, then `pop`s, then `ret` or a jump out of the
/// function.
fn code_epilogue<M: UnwindMemory + ?Sized>(
    mem: &M,
    image: &Image,
    pc: u64,
    function: &RuntimeFunction,
    info: &UnwindInfo,
) -> Option<CodeEpilogue> {
    let b = code_at(mem, pc);
    let mut i = 0usize;
    if b[0] == REX_W && b[1] == 0x83 && b[2] == 0xC4 {
        i = 4;
    } else if b[0] == REX_W && b[1] == 0x81 && b[2] == 0xC4 {
        i = 7;
    } else if b[0] & 0xFE == REX_W && b[1] == 0x8D {
        let fp = ((b[0] & 1) << 3) | (b[2] & 7);
        if fp != 0 && fp == info.frame_register {
            match b[2] & 0xF8 {
                0x60 => i = 4,
                0xA0 => i = 7,
                _ => {}
            }
        }
    }
    loop {
        if b[i] & 0xF8 == 0x58 {
            i += 1;
        } else if b[i] & 0xF0 == 0x40 && b[i + 1] & 0xF8 == 0x58 {
            i += 2;
        } else {
            break;
        }
        if i > 28 {
            return None;
        }
    }
    if b[i] == 0xF2 {
        i += 1; // a REPNE prefix before the control transfer changes nothing
    }
    let epilogue = match b[i] {
        0xC3 | 0xC2 => true,
        0xF3 if b[i + 1] == 0xC3 => true,
        0xEB | 0xE9 => {
            let next = pc + i as u64;
            let target = if b[i] == 0xEB {
                next.wrapping_add(2).wrapping_add(b[i + 1] as i8 as i64 as u64)
            } else {
                let d = i32::from_le_bytes([b[i + 1], b[i + 2], b[i + 3], b[i + 4]]);
                next.wrapping_add(5).wrapping_add(d as i64 as u64)
            };
            let rel = target.wrapping_sub(image.base);
            if rel < function.begin as u64 || rel >= function.end as u64 {
                // Outside this entry: a tail call, unless it lands in another part of the
                // same function (anywhere but its start).
                match same_function(mem, image, function, target) {
                    Some(primary) => target == image.base + primary.begin as u64,
                    None => true,
                }
            } else {
                rel == function.begin as u64 && info.flags & unw::CHAININFO == 0
            }
        }
        0xFF if b[i + 1] == 0x25 => true,
        x if x & 0xF8 == REX_W && b[i + 1] == 0xFF && b[i + 2] & 0x38 == 0x20 => true,
        _ => false,
    };
    epilogue.then_some(CodeEpilogue { code: b, frame_register: info.frame_register })
}

/// The primary entry of the function `target` belongs to, when that is the function of
/// `function` too (a function split into several entries chained to one primary).
fn same_function<M: UnwindMemory + ?Sized>(
    mem: &M,
    image: &Image,
    function: &RuntimeFunction,
    target: u64,
) -> Option<RuntimeFunction> {
    let other = (image.lookup)(target)?;
    let (a, b) = (primary_of(mem, image, *function)?, primary_of(mem, image, other)?);
    (a.begin == b.begin && a.unwind == b.unwind).then_some(b)
}

/// The entry a chain of unwind information ends at.
fn primary_of<M: UnwindMemory + ?Sized>(mem: &M, image: &Image, mut f: RuntimeFunction) -> Option<RuntimeFunction> {
    for _ in 0..=CHAIN_LIMIT {
        match UnwindInfo::read(mem, image.base, image.size, f.unwind).ok()?.chained {
            Some(parent) => f = parent,
            None => return Some(f),
        }
    }
    None
}

/// Carries out the epilogue's remaining instructions: the stack adjustment, the pops, the
/// return.
fn run_epilogue<M: UnwindMemory + ?Sized>(
    mem: &M,
    ctx: &mut CpuContext,
    e: CodeEpilogue,
    pointers: &mut Option<&mut ContextPointers>,
) -> Result<(), UnwindError> {
    let b = e.code;
    let mut i = 0usize;
    if b[0] & 0xF8 == REX_W {
        match b[1] {
            0x83 => {
                ctx.set_sp(ctx.sp().wrapping_add(b[3] as i8 as i64 as u64));
                i = 4;
            }
            0x81 => {
                let d = i32::from_le_bytes([b[3], b[4], b[5], b[6]]);
                ctx.set_sp(ctx.sp().wrapping_add(d as i64 as u64));
                i = 7;
            }
            0x8D => {
                let fp = e.frame_register as usize;
                match b[2] & 0xF8 {
                    0x60 => {
                        ctx.set_sp(ctx.gpr[fp].wrapping_add(b[3] as i8 as i64 as u64));
                        i = 4;
                    }
                    0xA0 => {
                        let d = i32::from_le_bytes([b[3], b[4], b[5], b[6]]);
                        ctx.set_sp(ctx.gpr[fp].wrapping_add(d as i64 as u64));
                        i = 7;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    loop {
        let (reg, len) = if b[i] & 0xF8 == 0x58 {
            ((b[i] & 7) as usize, 1)
        } else if b[i] & 0xF0 == 0x40 && b[i + 1] & 0xF8 == 0x58 {
            ((((b[i] & 1) << 3) | (b[i + 1] & 7)) as usize, 2)
        } else {
            break;
        };
        let at = ctx.sp();
        restore_integer(mem, ctx, reg, at, pointers)?;
        ctx.set_sp(at.wrapping_add(8));
        i += len;
        if i > 28 {
            break;
        }
    }
    // A return (or a jump taken as one).
    pop_return(mem, ctx)
}

/// For version 2 information: the offset of `rva` into an epilogue its codes describe.
fn coded_epilogue(info: &UnwindInfo, rva: u64, function: &RuntimeFunction) -> Option<u64> {
    let first = *info.codes.first()?;
    if first.op() != op::EPILOG {
        return None;
    }
    let size = first.offset() as u64;
    if size == 0 {
        return None;
    }
    let end = function.end as u64;
    if first.info() & 1 != 0 {
        let start = end.wrapping_sub(size);
        if rva.wrapping_sub(start) < size {
            return Some(rva - start);
        }
    }
    for c in info.codes.iter().skip(1) {
        if c.op() != op::EPILOG {
            break;
        }
        let back = c.offset() as u64 + c.info() as u64 * 256;
        if back == 0 {
            break; // padding
        }
        let start = end.wrapping_sub(back);
        if rva.wrapping_sub(start) < size {
            return Some(rva - start);
        }
    }
    None
}

/// Unwinds from `offset` bytes into an epilogue described by version 2 codes: the pushes
/// not yet popped are undone from the prologue's codes, then the return.
fn unwind_epilogue<M: UnwindMemory + ?Sized>(
    mem: &M,
    image: &Image,
    function: &RuntimeFunction,
    offset: u64,
    ctx: &mut CpuContext,
    pointers: &mut Option<&mut ContextPointers>,
) -> Result<(), UnwindError> {
    // Find the entry holding the first push (it may be a parent of a chained entry).
    let mut entry = *function;
    let mut found = None;
    for _ in 0..=CHAIN_LIMIT {
        let info = UnwindInfo::read(mem, image.base, image.size, entry.unwind)?;
        let mut i = 0;
        while i < info.codes.len() {
            let c = info.codes[i];
            if c.op() == op::PUSH_NONVOL || c.op() == op::PUSH_MACHFRAME {
                break;
            }
            i += c.slots().ok_or(UnwindError::BadCode { at: info.at, op: c.op() })?;
        }
        if i < info.codes.len() {
            found = Some((info, i));
            break;
        }
        match info.chained {
            Some(parent) => entry = parent,
            None => break,
        }
    }
    let Some((info, first)) = found else { return pop_return(mem, ctx) };
    let mut current = 0u64;
    let mut i = first;
    let mut last = None;
    while i < info.codes.len() {
        let c = info.codes[i];
        last = Some(c);
        if c.op() != op::PUSH_NONVOL {
            break;
        }
        if current >= offset {
            let at = ctx.sp();
            restore_integer(mem, ctx, c.info() as usize, at, pointers)?;
            ctx.set_sp(at.wrapping_add(8));
        }
        // pop r64 is one byte for the first eight registers, two with REX for the rest.
        current += if c.info() >= 8 { 2 } else { 1 };
        i += 1;
    }
    if i < info.codes.len() && last.is_some_and(|c| c.op() == op::ALLOC_SMALL && c.info() == 0) {
        // `pop rcx` after a pushfq.
        if current >= offset {
            ctx.set_sp(ctx.sp().wrapping_add(8));
        }
        i += 1;
    }
    if info.codes.get(i).is_some_and(|c| c.op() == op::PUSH_MACHFRAME) {
        let top = ctx.sp();
        ctx.ip = mem.read_u64(top)?;
        ctx.set_sp(mem.read_u64(top.wrapping_add(24))?);
        return Ok(());
    }
    pop_return(mem, ctx)
}

/// PEXCEPTION_ROUTINE RtlVirtualUnwind(ULONG HandlerType, DWORD64 ImageBase, DWORD64 ControlPc,
/// PRUNTIME_FUNCTION FunctionEntry, PCONTEXT ContextRecord, PVOID *HandlerData,
/// PDWORD64 EstablisherFrame, PKNONVOLATILE_CONTEXT_POINTERS ContextPointers) (x64)
pub fn RtlVirtualUnwind(
    k: &mut Kx,
    handler_type: u32,
    image_base: u64,
    pc: u64,
    function: Ptr,
    record: Ptr,
    handler_data: Ptr,
    establisher: Ptr,
    context_pointers: Ptr,
) -> KResult<Ptr> {
    let mut e = [0u8; 12];
    k.mem().read(function.0, &mut e)?;
    let word = |o: usize| u32::from_le_bytes(e[o..o + 4].try_into().expect("4 bytes"));
    let f = RuntimeFunction { begin: word(0), end: word(4), unwind: word(8), at: function.0 };
    pdata::ensure(k, image_base);
    let size = pdata::image_size(k, image_base).unwrap_or(u32::MAX as u64);
    let now = k.capture_context();
    let mut ctx = context::read_over(k.mem(), record.0, &now)?;
    let mut ptrs = ContextPointers::default();
    let want_ptrs = context_pointers.0 != 0;
    let r = {
        let k: &Kx = k;
        let lookup = |va: u64| pdata::lookup_loaded(k, va).map(|(_, f)| f);
        let image = Image { base: image_base, size, lookup: &lookup };
        virtual_unwind(k.mem(), handler_type as u8 & 3, &image, pc, &f, &mut ctx, want_ptrs.then_some(&mut ptrs))
    };
    let r = match r {
        Ok(r) => r,
        Err(UnwindError::Memory(m)) => return Err(KError::Mem(m)),
        Err(_) => return Err(raise::raise_status(k, code::BAD_FUNCTION_TABLE)),
    };
    context::write_full(k.mem_mut(), record.0, &ctx)?;
    if handler_data.0 != 0 {
        k.mem_mut().write_u64(handler_data.0, r.handler_data)?;
    }
    if establisher.0 != 0 {
        k.mem_mut().write_u64(establisher.0, r.establisher)?;
    }
    if want_ptrs {
        // KNONVOLATILE_CONTEXT_POINTERS: FloatingContext[16], then IntegerContext[16].
        for (i, p) in ptrs.xmm.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))) {
            k.mem_mut().write_u64(context_pointers.0 + 8 * i as u64, p)?;
        }
        for (i, p) in ptrs.integer.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))) {
            k.mem_mut().write_u64(context_pointers.0 + 0x80 + 8 * i as u64, p)?;
        }
    }
    Ok(Ptr(r.handler.unwrap_or(0)))
}

#[cfg(test)]
#[path = "virtual_unwind_tests.rs"]
mod tests;
