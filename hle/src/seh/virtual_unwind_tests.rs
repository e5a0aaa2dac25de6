//! The unwinder against hand-built unwind information: every unwind code, chained entries,
//! epilogues recognised from code (version 1) and from epilogue codes (version 2), and
//! damaged information that must be an error, never a panic.

use std::cell::RefCell;
use std::collections::BTreeMap;

use portcullis_emu::{CpuContext, MemError};

use super::{virtual_unwind, ContextPointers, Image, Unwound};
use crate::seh::unwind_info::{op, unw, RuntimeFunction, UnwindError, UnwindInfo, UnwindMemory, CHAIN_LIMIT};

const BASE: u64 = 0x1_4000_0000;
const SIZE: u64 = 0x4000;
/// Where the test functions' code lies in the image.
const TEXT: u32 = 0x1000;
/// Where unwind information goes.
const XDATA: u32 = 0x3000;
const STACK: u64 = 0x7000_0000;
const STACK_SIZE: u64 = 0x20_0000;
const RET: u64 = 0xFFFF_F801_0000_1234;

const RAX: usize = 0;
const RBX: usize = 3;
const RSP: usize = 4;
const RBP: usize = 5;
const RSI: usize = 6;
const RDI: usize = 7;
const R12: usize = 12;
const R15: usize = 15;

/// Guest memory for the unwinder: an image and a stack, nothing else mapped.
struct Mem {
    segments: RefCell<BTreeMap<u64, Vec<u8>>>,
    next_xdata: RefCell<u32>,
}

impl UnwindMemory for Mem {
    fn read(&self, va: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let segments = self.segments.borrow();
        for (i, b) in buf.iter_mut().enumerate() {
            let addr = va.wrapping_add(i as u64);
            let (start, bytes) = segments.range(..=addr).next_back().ok_or(MemError::Unmapped { addr })?;
            *b = *bytes.get((addr - start) as usize).ok_or(MemError::Unmapped { addr })?;
        }
        Ok(())
    }
}

impl Mem {
    fn new() -> Mem {
        let mut segments = BTreeMap::new();
        segments.insert(BASE, vec![0xCC; SIZE as usize]);
        segments.insert(STACK, vec![0; STACK_SIZE as usize]);
        Mem { segments: RefCell::new(segments), next_xdata: RefCell::new(XDATA) }
    }

    fn write(&self, va: u64, data: &[u8]) {
        let mut segments = self.segments.borrow_mut();
        let (start, bytes) = segments.range_mut(..=va).next_back().unwrap();
        let off = (va - start) as usize;
        bytes[off..off + data.len()].copy_from_slice(data);
    }

    fn put64(&self, va: u64, v: u64) {
        self.write(va, &v.to_le_bytes());
    }

    fn put128(&self, va: u64, v: u128) {
        self.write(va, &v.to_le_bytes());
    }

    /// Places an UNWIND_INFO and returns its image offset.
    fn info(&self, info: &Info) -> u32 {
        let mut b = vec![
            info.version | info.flags << 3,
            info.prolog,
            info.codes.len() as u8,
            info.frame_register | info.frame_offset << 4,
        ];
        for c in &info.codes {
            b.extend(c.to_le_bytes());
        }
        if info.codes.len() % 2 == 1 {
            b.extend([0, 0]);
        }
        b.extend(&info.tail);
        let at = *self.next_xdata.borrow();
        self.write(BASE + at as u64, &b);
        *self.next_xdata.borrow_mut() = (at + b.len() as u32 + 3) & !3;
        at
    }
}

/// An UNWIND_INFO to build.
struct Info {
    version: u8,
    flags: u8,
    prolog: u8,
    frame_register: u8,
    frame_offset: u8,
    codes: Vec<u16>,
    /// What follows the codes: a handler's offset and data, or a chained entry.
    tail: Vec<u8>,
}

impl Info {
    fn v1(prolog: u8, codes: Vec<u16>) -> Info {
        Info { version: 1, flags: 0, prolog, frame_register: 0, frame_offset: 0, codes, tail: vec![] }
    }
}

/// One unwind code slot: prologue offset, operation, operation info.
fn code(offset: u8, op: u8, info: u8) -> u16 {
    offset as u16 | (op as u16) << 8 | (info as u16) << 12
}

fn function(begin: u32, end: u32, unwind: u32) -> RuntimeFunction {
    RuntimeFunction { begin, end, unwind, at: 0 }
}

fn no_lookup(_: u64) -> Option<RuntimeFunction> {
    None
}

fn unwind(mem: &Mem, pc: u64, f: &RuntimeFunction, ctx: &mut CpuContext) -> Result<Unwound, UnwindError> {
    let image = Image { base: BASE, size: SIZE, lookup: &no_lookup };
    virtual_unwind(mem, 0, &image, pc, f, ctx, None)
}

fn context(sp: u64) -> CpuContext {
    let mut ctx = CpuContext::default();
    for (i, r) in ctx.gpr.iter_mut().enumerate() {
        *r = 0x1111_0000 + i as u64;
    }
    ctx.set_sp(sp);
    ctx
}

/// `push rbx; push r12; sub rsp, 0x28` (1 + 2 + 4 bytes), unwound from the body and from each
/// point of the prologue.
#[test]
fn pushed_non_volatiles_and_a_small_allocation() {
    let mem = Mem::new();
    let rva = mem.info(&Info::v1(
        7,
        vec![
            code(7, op::ALLOC_SMALL, (0x28 - 8) / 8),
            code(3, op::PUSH_NONVOL, R12 as u8),
            code(1, op::PUSH_NONVOL, RBX as u8),
        ],
    ));
    let f = function(TEXT, TEXT + 0x40, rva);
    let entry = BASE + TEXT as u64;
    let s = STACK + 0x1000;
    mem.put64(s + 0x28, 0xAAAA); // r12
    mem.put64(s + 0x30, 0xBBBB); // rbx
    mem.put64(s + 0x38, RET);

    let mut ctx = context(s);
    let mut pointers = ContextPointers::default();
    let image = Image { base: BASE, size: SIZE, lookup: &no_lookup };
    let r = virtual_unwind(&mem, 0, &image, entry + 0x20, &f, &mut ctx, Some(&mut pointers)).unwrap();
    assert_eq!(r.establisher, s);
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBX], ctx.gpr[R12]), (RET, s + 0x40, 0xBBBB, 0xAAAA));
    assert_eq!(
        (pointers.integer[RBX], pointers.integer[R12], pointers.integer[RSI]),
        (Some(s + 0x30), Some(s + 0x28), None)
    );
    assert_eq!(ctx.gpr[RSI], 0x1111_0006, "registers the prologue did not save are left alone");

    // After `push rbx; push r12`, before the allocation.
    let t = s + 0x28;
    let mut ctx = context(t);
    unwind(&mem, entry + 3, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBX], ctx.gpr[R12]), (RET, t + 0x18, 0xBBBB, 0xAAAA));

    // After `push rbx` only: r12 still holds the caller's value.
    let t = s + 0x30;
    let mut ctx = context(t);
    unwind(&mem, entry + 1, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBX], ctx.gpr[R12]), (RET, t + 0x10, 0xBBBB, 0x1111_000C));

    // At the first instruction: only the return address.
    let t = s + 0x38;
    let mut ctx = context(t);
    unwind(&mem, entry, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBX]), (RET, t + 8, 0x1111_0003));
}

/// UWOP_ALLOC_LARGE with a 16-bit size in 8-byte units, and with a full 32-bit size.
#[test]
fn large_allocations_in_both_forms() {
    let mem = Mem::new();
    let entry = BASE + TEXT as u64;
    // sub rsp, 0x1000 (7 bytes): info 0, the size / 8 in the next slot.
    let small = mem.info(&Info::v1(7, vec![code(7, op::ALLOC_LARGE, 0), 0x1000 / 8]));
    let s = STACK + 0x1000;
    mem.put64(s + 0x1000, RET);
    let mut ctx = context(s);
    unwind(&mem, entry + 0x10, &function(TEXT, TEXT + 0x40, small), &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp()), (RET, s + 0x1008));

    // sub rsp, 0x12_3450: info 1, the size in two slots, low half first.
    let size = 0x12_3450u64;
    let large = mem.info(&Info::v1(7, vec![code(7, op::ALLOC_LARGE, 1), size as u16, (size >> 16) as u16]));
    let s = STACK + 0x100;
    mem.put64(s + size, RET);
    let mut ctx = context(s);
    unwind(&mem, entry + 0x10, &function(TEXT, TEXT + 0x40, large), &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp()), (RET, s + size + 8));
}

/// `push rbp; sub rsp, 0x40; lea rbp, [rsp+0x20]`: the frame pointer, not the stack pointer
/// (which the body moved), says where the frame is — once the prologue has set it.
#[test]
fn a_frame_pointer_locates_the_frame() {
    let mem = Mem::new();
    let mut info = Info::v1(
        10,
        vec![code(10, op::SET_FPREG, 0), code(5, op::ALLOC_SMALL, (0x40 - 8) / 8), code(1, op::PUSH_NONVOL, RBP as u8)],
    );
    info.frame_register = RBP as u8;
    info.frame_offset = 2;
    let f = function(TEXT, TEXT + 0x80, mem.info(&info));
    let entry = BASE + TEXT as u64;
    let s = STACK + 0x2000;
    mem.put64(s + 0x40, 0x5555); // the caller's rbp
    mem.put64(s + 0x48, RET);

    // In the body, with 0x300 bytes of alloca below the fixed frame.
    let mut ctx = context(s - 0x300);
    ctx.gpr[RBP] = s + 0x20;
    let r = unwind(&mem, entry + 0x30, &f, &mut ctx).unwrap();
    assert_eq!(r.establisher, s);
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBP]), (RET, s + 0x48 + 8, 0x5555));

    // Before the lea: rbp is still the caller's, the stack pointer is the frame.
    let mut ctx = context(s);
    ctx.gpr[RBP] = 0x9999;
    let r = unwind(&mem, entry + 5, &f, &mut ctx).unwrap();
    assert_eq!(r.establisher, s);
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBP]), (RET, s + 0x50, 0x5555));
}

/// Registers saved with `mov` into the frame, near (scaled) and far (32-bit offsets).
#[test]
fn saved_non_volatiles_and_xmm_registers() {
    let mem = Mem::new();
    let frame = 0x2_0000u64;
    // The far offsets, 0x1_8010 and 0x1_8008, take two slots each: low half, then high.
    let info = Info::v1(
        0x30,
        vec![
            code(0x30, op::SAVE_XMM128_FAR, 15),
            0x8010,
            0x1,
            code(0x28, op::SAVE_XMM128, 6),
            0x30 / 16,
            code(0x20, op::SAVE_NONVOL_FAR, R15 as u8),
            0x8008,
            0x1,
            code(0x18, op::SAVE_NONVOL, RSI as u8),
            0x40 / 8,
            code(0x10, op::ALLOC_LARGE, 1),
            frame as u16,
            (frame >> 16) as u16,
        ],
    );
    let f = function(TEXT, TEXT + 0x80, mem.info(&info));
    let s = STACK + 0x1000;
    mem.put64(s + 0x40, 0x5151);
    mem.put64(s + 0x1_8008, 0xF0F0);
    mem.put128(s + 0x30, 0x6666_0000_0000_0000_0000_0000_0000_0006);
    mem.put128(s + 0x1_8010, 0xFFFF_0000_0000_0000_0000_0000_0000_000F);
    mem.put64(s + frame, RET);
    let mut ctx = context(s);
    let mut pointers = ContextPointers::default();
    let image = Image { base: BASE, size: SIZE, lookup: &no_lookup };
    virtual_unwind(&mem, 0, &image, BASE + TEXT as u64 + 0x40, &f, &mut ctx, Some(&mut pointers)).unwrap();
    assert_eq!((ctx.ip, ctx.sp()), (RET, s + frame + 8));
    assert_eq!((ctx.gpr[RSI], ctx.gpr[R15]), (0x5151, 0xF0F0));
    assert_eq!(ctx.xmm[6], 0x6666_0000_0000_0000_0000_0000_0000_0006);
    assert_eq!(ctx.xmm[15], 0xFFFF_0000_0000_0000_0000_0000_0000_000F);
    assert_eq!((pointers.xmm[6], pointers.xmm[15]), (Some(s + 0x30), Some(s + 0x1_8010)));
    assert_eq!(pointers.integer[R15], Some(s + 0x1_8008));

    // Early in the prologue (offset 0x18): the xmm saves had not happened.
    let mut ctx = context(s);
    unwind(&mem, BASE + TEXT as u64 + 0x18, &f, &mut ctx).unwrap();
    assert_eq!((ctx.gpr[RSI], ctx.gpr[R15], ctx.xmm[6]), (0x5151, 0x1111_000F, 0));
}

/// A machine frame (an interrupt's): RIP and RSP come from what the processor pushed, with
/// or without an error code below them.
#[test]
fn machine_frames_with_and_without_an_error_code() {
    for error_code in [0u8, 1] {
        let mem = Mem::new();
        let f = function(TEXT, TEXT + 0x40, mem.info(&Info::v1(0, vec![code(0, op::PUSH_MACHFRAME, error_code)])));
        let s = STACK + 0x1000;
        let top = s + 8 * error_code as u64;
        mem.put64(top, RET); // RIP
        mem.put64(top + 8, 0x10); // CS
        mem.put64(top + 16, 0x202); // RFLAGS
        mem.put64(top + 24, STACK + 0x8000); // RSP
        mem.put64(top + 32, 0x18); // SS
        let mut ctx = context(s);
        unwind(&mem, BASE + TEXT as u64 + 4, &f, &mut ctx).unwrap();
        assert_eq!((ctx.ip, ctx.sp()), (RET, STACK + 0x8000), "error code {error_code}");
    }
}

/// A function split in two: the second part's entry chains to the first's, whose codes (and
/// handler) apply too.
#[test]
fn chained_entries_unwind_through_their_parent() {
    let mem = Mem::new();
    let mut primary = Info::v1(5, vec![code(5, op::ALLOC_SMALL, 3), code(1, op::PUSH_NONVOL, RBX as u8)]);
    primary.flags = unw::EHANDLER;
    primary.tail = [0x2000u32.to_le_bytes(), 0xABCDu32.to_le_bytes()].concat();
    let parent = function(TEXT, TEXT + 0x40, mem.info(&primary));
    let mut part = Info::v1(0, vec![code(0, op::SAVE_NONVOL, RDI as u8), 0x10 / 8]);
    part.flags = unw::CHAININFO;
    part.tail = [parent.begin, parent.end, parent.unwind].iter().flat_map(|w| w.to_le_bytes()).collect();
    let child = function(TEXT + 0x200, TEXT + 0x240, mem.info(&part));

    let s = STACK + 0x1000;
    mem.put64(s + 0x10, 0xD1D1); // rdi, saved by the second part
    mem.put64(s + 0x20, 0xB0B0); // rbx
    mem.put64(s + 0x28, RET);
    let mut ctx = context(s);
    let image = Image { base: BASE, size: SIZE, lookup: &no_lookup };
    let r = virtual_unwind(&mem, unw::EHANDLER, &image, BASE + 0x1210, &child, &mut ctx, None).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RDI], ctx.gpr[RBX]), (RET, s + 0x30, 0xD1D1, 0xB0B0));
    assert_eq!(r.handler, Some(BASE + 0x2000), "the primary entry's handler");
    let data = UnwindInfo::read(&mem, BASE, SIZE, parent.unwind).unwrap().handler.unwrap().1;
    assert_eq!(r.handler_data, data);

    // A handler is not reported for a pc in the prologue.
    let mut ctx = context(s + 0x20);
    let r = virtual_unwind(&mem, unw::EHANDLER, &image, BASE + TEXT as u64 + 1, &parent, &mut ctx, None).unwrap();
    assert_eq!((r.handler, ctx.gpr[RBX]), (None, 0xB0B0));
}

/// Version 1: an epilogue is recognised from its instructions, and what remains of it is
/// carried out instead of undoing the prologue.
#[test]
fn epilogues_are_recognised_from_the_code() {
    let mem = Mem::new();
    let info = mem.info(&Info::v1(
        7,
        vec![code(7, op::ALLOC_SMALL, 4), code(3, op::PUSH_NONVOL, R12 as u8), code(1, op::PUSH_NONVOL, RBX as u8)],
    ));
    let f = function(TEXT, TEXT + 0x40, info);
    let entry = BASE + TEXT as u64;
    // add rsp, 0x28; pop r12; pop rbx; ret
    let epilogue = entry + 0x30;
    mem.write(epilogue, &[0x48, 0x83, 0xC4, 0x28, 0x41, 0x5C, 0x5B, 0xC3]);
    let s = STACK + 0x1000;
    mem.put64(s + 0x28, 0xAAAA);
    mem.put64(s + 0x30, 0xBBBB);
    mem.put64(s + 0x38, RET);
    // At the add: all of it.
    let mut ctx = context(s);
    unwind(&mem, epilogue, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[R12], ctx.gpr[RBX]), (RET, s + 0x40, 0xAAAA, 0xBBBB));
    // At `pop rbx`: r12 is already back (whatever it holds now stays), only rbx is popped.
    let mut ctx = context(s + 0x30);
    unwind(&mem, epilogue + 6, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[R12], ctx.gpr[RBX]), (RET, s + 0x40, 0x1111_000C, 0xBBBB));
    // At the ret.
    let mut ctx = context(s + 0x38);
    unwind(&mem, epilogue + 7, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp()), (RET, s + 0x40));

    // lea rsp, [rbp+0x10]; pop rbp; ret — with rbp the frame register.
    let mut framed = Info::v1(4, vec![code(4, op::SET_FPREG, 0), code(1, op::PUSH_NONVOL, RBP as u8)]);
    framed.frame_register = RBP as u8;
    let g = function(TEXT + 0x100, TEXT + 0x140, mem.info(&framed));
    let at = BASE + TEXT as u64 + 0x130;
    mem.write(at, &[0x48, 0x8D, 0x65, 0x10, 0x5D, 0xC3]);
    mem.put64(s + 0x10, 0x5555);
    mem.put64(s + 0x18, RET);
    let mut ctx = context(STACK + 0x10);
    ctx.gpr[RBP] = s;
    unwind(&mem, at, &g, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBP]), (RET, s + 0x20, 0x5555));

    // pop rbx; jmp elsewhere (a tail call out of the function) is an epilogue too.
    let tail = entry + 0x20;
    mem.write(tail, &[0x5B, 0xE9, 0x00, 0x10, 0x00, 0x00]);
    let mut ctx = context(s + 0x30);
    unwind(&mem, tail, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBX]), (RET, s + 0x40, 0xBBBB));

    // Fourteen `pop r15`, a REPNE prefix and a 5-byte jump: the longest sequence looked at.
    let long = entry + 0x100;
    let mut bytes = [0x41, 0x5F].repeat(14);
    bytes.extend([0xF2, 0xE9, 0, 0x10, 0, 0]);
    mem.write(long, &bytes);
    let mut ctx = context(STACK + 0x100);
    unwind(&mem, long, &function(TEXT, TEXT + 0x200, info), &mut ctx).unwrap();
    assert_eq!(ctx.sp(), STACK + 0x100 + 15 * 8, "fourteen pops and the return");

    // A jump inside the function is no epilogue: the body's unwind applies.
    mem.write(tail, &[0x5B, 0xEB, 0x02]);
    let mut ctx = context(s);
    unwind(&mem, tail, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[R12], ctx.gpr[RBX]), (RET, s + 0x40, 0xAAAA, 0xBBBB));
}

/// Version 2: UWOP_EPILOG codes say where the epilogues are; from inside one, only the pops
/// not yet done are undone.
#[test]
fn version_2_epilogue_codes() {
    let mem = Mem::new();
    // Prologue: push rbx; push r12; sub rsp, 0x28. Epilogue: add rsp, 0x28; then the described
    // part, pop r12 (2 bytes); pop rbx; ret: 4 bytes, one at the end of the function and one
    // 0x30 bytes before it.
    let mut info = Info::v1(
        7,
        vec![
            code(4, op::EPILOG, 1),
            code(0x30, op::EPILOG, 0),
            code(7, op::ALLOC_SMALL, 4),
            code(3, op::PUSH_NONVOL, R12 as u8),
            code(1, op::PUSH_NONVOL, RBX as u8),
        ],
    );
    info.version = 2;
    let f = function(TEXT, TEXT + 0x80, mem.info(&info));
    let end = BASE + TEXT as u64 + 0x80;
    let s = STACK + 0x1000;
    mem.put64(s, 0xAAAA);
    mem.put64(s + 8, 0xBBBB);
    mem.put64(s + 0x10, RET);
    for start in [end - 4, end - 0x30] {
        // At `pop r12`: both pops.
        let mut ctx = context(s);
        unwind(&mem, start, &f, &mut ctx).unwrap();
        assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[R12], ctx.gpr[RBX]), (RET, s + 0x18, 0xAAAA, 0xBBBB));
        // At `pop rbx`.
        let mut ctx = context(s + 8);
        unwind(&mem, start + 2, &f, &mut ctx).unwrap();
        assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[R12], ctx.gpr[RBX]), (RET, s + 0x18, 0x1111_000C, 0xBBBB));
        // At the ret.
        let mut ctx = context(s + 0x10);
        unwind(&mem, start + 3, &f, &mut ctx).unwrap();
        assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[RBX]), (RET, s + 0x18, 0x1111_0003));
    }
    // In the body, the prologue is undone (the epilogue codes skipped).
    mem.put64(s + 0x28, 0xAAAA);
    mem.put64(s + 0x30, 0xBBBB);
    mem.put64(s + 0x38, RET);
    let mut ctx = context(s);
    unwind(&mem, end - 0x50, &f, &mut ctx).unwrap();
    assert_eq!((ctx.ip, ctx.sp(), ctx.gpr[R12], ctx.gpr[RBX]), (RET, s + 0x40, 0xAAAA, 0xBBBB));
}

/// Damaged unwind information is an error saying what is wrong.
#[test]
fn damaged_information_is_an_error() {
    let mem = Mem::new();
    let s = STACK + 0x1000;
    let pc = BASE + TEXT as u64 + 0x10;
    let mut bad_version = Info::v1(0, vec![]);
    bad_version.version = 3;
    let rva = mem.info(&bad_version);
    let e = unwind(&mem, pc, &function(TEXT, TEXT + 0x40, rva), &mut context(s)).unwrap_err();
    assert_eq!(e, UnwindError::Version { at: BASE + rva as u64, version: 3 });

    // Outside the image, or running off its end.
    let e = unwind(&mem, pc, &function(TEXT, TEXT + 0x40, SIZE as u32 - 2), &mut context(s)).unwrap_err();
    assert!(matches!(e, UnwindError::OutsideImage { .. }), "{e:?}");
    mem.write(BASE + SIZE - 4, &[1, 0, 0xFF, 0]);
    let e = unwind(&mem, pc, &function(TEXT, TEXT + 0x40, SIZE as u32 - 4), &mut context(s)).unwrap_err();
    assert!(matches!(e, UnwindError::OutsideImage { .. }), "{e:?}");

    // An operation whose slots run past the array, an operation that does not exist.
    let rva = mem.info(&Info::v1(4, vec![code(4, op::ALLOC_LARGE, 1), 0x10]));
    let e = unwind(&mem, pc, &function(TEXT, TEXT + 0x40, rva), &mut context(s)).unwrap_err();
    assert!(matches!(e, UnwindError::Truncated { .. }), "{e:?}");
    let rva = mem.info(&Info::v1(4, vec![code(4, 11, 0)]));
    let e = unwind(&mem, pc, &function(TEXT, TEXT + 0x40, rva), &mut context(s)).unwrap_err();
    assert!(matches!(e, UnwindError::BadCode { op: 11, .. }), "{e:?}");

    // An entry chained to itself.
    let at = *mem.next_xdata.borrow();
    let mut looped = Info::v1(0, vec![]);
    looped.flags = unw::CHAININFO;
    looped.tail = [TEXT, TEXT + 0x40, at].iter().flat_map(|w| w.to_le_bytes()).collect();
    assert_eq!(mem.info(&looped), at);
    let e = unwind(&mem, pc, &function(TEXT, TEXT + 0x40, at), &mut context(s)).unwrap_err();
    assert_eq!(e, UnwindError::ChainTooLong(CHAIN_LIMIT));

    // A stack pointer off the stack: the return address cannot be read.
    let rva = mem.info(&Info::v1(0, vec![]));
    let e = unwind(&mem, pc, &function(TEXT, TEXT + 0x40, rva), &mut context(0x10)).unwrap_err();
    assert_eq!(e, UnwindError::Memory(MemError::Unmapped { addr: 0x10 }));
}

/// Whatever bytes the unwind information and code hold, and wherever the pc and registers
/// point, the unwinder returns.
#[test]
fn arbitrary_information_never_panics() {
    let mem = Mem::new();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut bytes = vec![0u8; 0x800];
    for round in 0..3000 {
        for b in bytes.iter_mut() {
            *b = next() as u8;
        }
        // Mostly plausible headers, to get past the version check.
        bytes[0] = (bytes[0] & 0xF8) | if round % 4 == 0 { bytes[0] & 7 } else { 1 + (round as u8 & 1) };
        mem.write(BASE + XDATA as u64, &bytes);
        mem.write(BASE + TEXT as u64, &bytes[0x400..]);
        let begin = TEXT + (next() % 0x40) as u32;
        let f = function(begin, begin + (next() % 0x100) as u32, XDATA + (next() % 8) as u32 * 2);
        let pc = BASE + TEXT as u64 + next() % 0x400;
        let mut ctx = context(STACK + next() % (STACK_SIZE + 0x100));
        ctx.gpr[RBP] = if round % 2 == 0 { STACK + next() % STACK_SIZE } else { next() };
        ctx.gpr[RAX] = next();
        ctx.gpr[RSP] = ctx.sp();
        let lookup = |va: u64| (va.wrapping_sub(BASE) < SIZE).then_some(f);
        let image = Image { base: BASE, size: SIZE, lookup: &lookup };
        let mut pointers = ContextPointers::default();
        let _ = virtual_unwind(&mem, (round % 4) as u8, &image, pc, &f, &mut ctx, Some(&mut pointers));
    }
}
