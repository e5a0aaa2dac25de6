//! A raw, copyable handle to the Unicorn engine, and the workarounds Unicorn 2.1.5 needs.
//!
//! Machine state lives inside the engine's user data, so code that holds a borrow of that
//! state cannot also borrow the `Unicorn` wrapper. `Uc` calls the C API directly with the
//! engine pointer instead; it is valid for as long as the engine (and so the state) lives.
//!
//! Two engine defects are absorbed here (see docs/architecture.md, "Unicorn 2.1.5 quirks"):
//! - `uc_reg_write(PC)` sets `skip_sync_pc_on_exit`, which only a code-hook exit clears; after
//!   an interrupt hook moves RIP with it, every later IN/OUT hook of that run sees a stale PC.
//!   Interrupt hooks therefore move RIP with `uc_reg_write2`, which does not set the flag.
//! - Unicorn never delivers exceptions, so the CPU's "exception in flight" (`old_exception`)
//!   is never cleared: a second #GP becomes #DF and a third a triple fault. After each handled
//!   fault we clear it through a CPU context save/patch/restore; the field's offset inside the
//!   context is found once per process by provoking a #DE and then a #GP (escalated to #DF)
//!   on the first machine's own engine, before its set-up, and diffing contexts.

use std::ffi::c_void;
use std::sync::OnceLock;

use unicorn_engine::unicorn_const::{uc_error, ControlType, HookType, Prot};
use unicorn_engine::{uc_context, uc_engine, RegisterX86 as UcReg};

use crate::arch::Arch;
use crate::error::MachineError;
use crate::memory::GuestMemory;

/// Unicorn's engine pointer, usable from inside hooks while the machine state is borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Uc(pub(crate) *mut uc_engine);

impl Uc {
    pub(crate) fn reg(self, reg: UcReg) -> u64 {
        let mut v: u64 = 0;
        // SAFETY: the engine outlives every holder of `Uc`; `v` is large enough for any
        // general-purpose or control register.
        unsafe { unicorn_engine::uc_reg_read(self.0, reg as i32, &mut v as *mut u64 as *mut c_void) };
        v
    }

    pub(crate) fn set_reg(self, reg: UcReg, value: u64) {
        let mut size = 8usize;
        // SAFETY: as above. `uc_reg_write2` does not set `skip_sync_pc_on_exit` (see module doc).
        unsafe { unicorn_engine::uc_reg_write2(self.0, reg as i32, &value as *const u64 as *const c_void, &mut size) };
    }

    /// Reads a 128-bit register (an XMM register) by its raw Unicorn id.
    pub(crate) fn reg128(self, id: i32) -> u128 {
        let mut v = [0u8; 16];
        // SAFETY: the engine outlives every holder of `Uc`; 16 bytes hold an XMM register.
        unsafe { unicorn_engine::uc_reg_read(self.0, id, v.as_mut_ptr() as *mut c_void) };
        u128::from_le_bytes(v)
    }

    pub(crate) fn set_reg128(self, id: i32, value: u128) {
        let v = value.to_le_bytes();
        let mut size = 16usize;
        // SAFETY: as above.
        unsafe { unicorn_engine::uc_reg_write2(self.0, id, v.as_ptr() as *const c_void, &mut size) };
    }

    /// Moves the instruction pointer from inside a code hook. `uc_reg_write` (unlike
    /// `uc_reg_write2`, which [`Uc::set_reg`] uses) sets `skip_sync_pc_on_exit`, so the exit
    /// the write requests keeps the new value instead of restoring the PC of the hooked
    /// instruction (the write would be lost); leaving the code hook clears the flag.
    pub(crate) fn set_pc_from_code_hook(self, reg: UcReg, value: u64) {
        // SAFETY: as above.
        unsafe { unicorn_engine::uc_reg_write(self.0, reg as i32, &value as *const u64 as *const c_void) };
    }

    /// Writes a model-specific register of the emulated CPU itself (used during set-up).
    pub(crate) fn set_msr(self, msr: u32, value: u64) -> Result<(), MachineError> {
        let m = unicorn_engine::uc_x86_msr { rid: msr, value };
        let e = unsafe { unicorn_engine::uc_reg_write(self.0, UcReg::MSR as i32, &m as *const _ as *const c_void) };
        check(e, "write MSR")
    }

    pub(crate) fn set_mmr(
        self,
        reg: UcReg,
        selector: u16,
        base: u64,
        limit: u32,
        flags: u32,
    ) -> Result<(), MachineError> {
        let m = unicorn_engine::uc_x86_mmr { selector, base, limit, flags };
        let e = unsafe { unicorn_engine::uc_reg_write(self.0, reg as i32, &m as *const _ as *const c_void) };
        check(e, "write descriptor-table register")
    }

    /// Loads a segment register through a real descriptor load (32-bit mode only).
    pub(crate) fn load_segment(self, reg: UcReg, selector: u16) -> Result<(), MachineError> {
        let v = selector as u64;
        let e = unsafe { unicorn_engine::uc_reg_write(self.0, reg as i32, &v as *const u64 as *const c_void) };
        check(e, "load segment register")
    }

    pub(crate) fn stop(self) {
        // SAFETY: valid engine; uc_emu_stop only sets flags.
        unsafe { unicorn_engine::uc_emu_stop(self.0) };
    }

    pub(crate) fn map_ptr(self, addr: u64, size: u64, ptr: *mut u8) -> Result<(), MachineError> {
        // SAFETY: the caller keeps `ptr..ptr+size` alive and unmoved for the engine's lifetime.
        let e = unsafe { unicorn_engine::uc_mem_map_ptr(self.0, addr, size, Prot::ALL.0, ptr as *mut c_void) };
        check(e, "map guest RAM")
    }

    /// Drops translated code for guest virtual addresses `[begin, end)` after the host wrote code.
    pub(crate) fn invalidate_code(self, begin: u64, end: u64) {
        let ctl = ControlType(ControlType::TB_REMOVE_CACHE.0 | ControlType::IO_WRITE.0);
        unsafe { unicorn_engine::uc_ctl(self.0, ctl, begin, end) };
    }

    /// Forgets cached address translations after page tables lost a mapping or a permission.
    pub(crate) fn flush_tlb(self) {
        let ctl = ControlType(ControlType::TLB_FLUSH.0 | ControlType::IO_WRITE.0);
        unsafe { unicorn_engine::uc_ctl(self.0, ctl) };
    }
}

pub(crate) fn check(e: uc_error, what: &'static str) -> Result<(), MachineError> {
    if e == uc_error::OK {
        Ok(())
    } else {
        Err(MachineError::Unicorn { what, error: e })
    }
}

/// Refuses a Unicorn library older than 2.1 (a system `libunicorn` found through pkg-config
/// would be linked instead of the bundled one, with headers and library disagreeing).
pub(crate) fn check_version() -> Result<(), MachineError> {
    let (mut major, mut minor) = (0u32, 0u32);
    unsafe { unicorn_engine::uc_version(&mut major, &mut minor) };
    if (major, minor) < (2, 1) {
        return Err(MachineError::UnicornTooOld { major, minor });
    }
    Ok(())
}

/// Clears the CPU's "exception in flight" so the next fault is not escalated to #DF.
pub(crate) struct ExceptionReset {
    ctx: *mut uc_context,
    total: usize,
    offset: usize,
}

impl ExceptionReset {
    /// The first call of a process calibrates on `uc`, which must be a fresh engine whose
    /// CPU model is chosen, with only `mem`'s RAM mapped and nothing run yet.
    pub(crate) fn new(uc: Uc, arch: Arch, mem: &mut GuestMemory) -> Result<Self, MachineError> {
        let offset = old_exception_offset(uc, arch, mem)?;
        let mut ctx = std::ptr::null_mut();
        check(unsafe { unicorn_engine::uc_context_alloc(uc.0, &mut ctx) }, "allocate CPU context")?;
        let total = unsafe { unicorn_engine::uc_context_size(uc.0) };
        Ok(ExceptionReset { ctx, total, offset })
    }

    pub(crate) fn reset(&self, uc: Uc) {
        // SAFETY: `ctx` was allocated for this engine with `total` bytes; `offset + 4` lies
        // inside the CPU part of it (checked when the offset was calibrated).
        unsafe {
            unicorn_engine::uc_context_save(uc.0, self.ctx);
            let env = env_bytes(self.ctx, self.total);
            env[self.offset..self.offset + 4].copy_from_slice(&(-1i32).to_le_bytes());
            unicorn_engine::uc_context_restore(uc.0, self.ctx);
        }
    }
}

impl Drop for ExceptionReset {
    fn drop(&mut self) {
        unsafe { unicorn_engine::uc_context_free(self.ctx) };
    }
}

/// The CPU-state part of a saved context: the trailing `context_size` bytes.
unsafe fn env_bytes<'a>(ctx: *mut uc_context, total: usize) -> &'a mut [u8] {
    let cpu_size = *(ctx as *const usize);
    std::slice::from_raw_parts_mut((ctx as *mut u8).add(total - cpu_size), cpu_size)
}

static OLD_EXCEPTION_OFFSET: OnceLock<Result<usize, String>> = OnceLock::new();

/// The offset of `old_exception` in a saved context, calibrated once per process on the
/// engine of the first machine built (see `calibrate`).
fn old_exception_offset(uc: Uc, arch: Arch, mem: &mut GuestMemory) -> Result<usize, MachineError> {
    OLD_EXCEPTION_OFFSET
        .get_or_init(|| match mem.spare_frame() {
            Some((pa, page)) => calibrate(uc, arch, pa, page),
            None => Err("no spare frame of guest RAM for the probe".into()),
        })
        .clone()
        .map_err(MachineError::Calibration)
}

/// Finds `old_exception` in the saved CPU state: -1 before any fault, the vector after one.
/// A #DE (vector 0) followed by a #GP, which the #DE still in flight escalates to a double
/// fault (vector 8), must single out exactly one 32-bit field going -1, 0, 8.
///
/// It runs on the engine of the machine being built, before set-up: paging is still off, so
/// the probe's code sits at its physical address in `page`, a never-used frame of the
/// machine's RAM. (A probe engine of its own cost a whole engine initialisation per process.)
/// It leaves the engine as it found it: the initial CPU state restored, the probe's hook
/// removed, the frame zero again and its translations dropped.
fn calibrate(uc: Uc, arch: Arch, pa: u64, page: &mut [u8]) -> Result<usize, String> {
    struct Probe {
        uc: Uc,
        pc: UcReg,
        resume_at: u64,
        ctx: *mut uc_context,
        total: usize,
        vectors: Vec<u32>,
        snapshots: Vec<Vec<u8>>,
    }
    unsafe extern "C" fn on_fault(_: *mut uc_engine, vector: u32, probe: *mut c_void) {
        // SAFETY: `probe` is the `Probe` below, alive for as long as the hook exists.
        let p = unsafe { &mut *(probe as *mut Probe) };
        unsafe { unicorn_engine::uc_context_save(p.uc.0, p.ctx) };
        p.snapshots.push(unsafe { env_bytes(p.ctx, p.total) }.to_vec());
        p.vectors.push(vector);
        if p.vectors.len() == 1 {
            // Past the `div` (without `uc_reg_write`'s stale-PC flag), on to the #GP.
            p.uc.set_reg(p.pc, p.resume_at);
        } else {
            p.uc.stop();
        }
    }
    // xor ecx,ecx; div ecx (#DE) ; mov cx, 0x4242; mov ds, cx (#GP: a selector past the GDT)
    let code: [u8; 11] = [0x31, 0xC9, 0xF7, 0xF1, 0x66, 0xB9, 0x42, 0x42, 0x8E, 0xD9, 0x90];
    let h = uc.0;
    let mut ctx = std::ptr::null_mut();
    unsafe { unicorn_engine::uc_context_alloc(h, &mut ctx) };
    if ctx.is_null() {
        return Err("cannot allocate a CPU context".into());
    }
    let total = unsafe { unicorn_engine::uc_context_size(h) };
    unsafe { unicorn_engine::uc_context_save(h, ctx) };
    let clean = unsafe { env_bytes(ctx, total) }.to_vec();
    let pc = match arch {
        Arch::X86 => UcReg::EIP,
        Arch::X64 => UcReg::RIP,
    };
    let mut probe = Probe { uc, pc, resume_at: pa + 4, ctx, total, vectors: Vec::new(), snapshots: Vec::new() };
    page[..code.len()].copy_from_slice(&code);
    let mut hook = 0usize;
    let e = unsafe {
        unicorn_engine::uc_hook_add(
            h,
            &mut hook,
            HookType::INTR.0 as i32,
            on_fault as *mut c_void,
            &mut probe as *mut Probe as *mut c_void,
            1,
            0,
        )
    };
    if e == uc_error::OK {
        unsafe { unicorn_engine::uc_emu_start(h, pa, pa + code.len() as u64, 0, 0) };
        unsafe { unicorn_engine::uc_hook_del(h, hook) };
    }
    // Leave the engine as it was: initial CPU state, a zero frame, no translations of it.
    unsafe { restore(h, ctx, total, &clean) };
    page[..code.len()].fill(0);
    uc.invalidate_code(pa, pa + page.len() as u64);
    unsafe { unicorn_engine::uc_context_free(ctx) };
    check(e, "hook the probe's faults").map_err(|e| e.to_string())?;
    let snaps = &probe.snapshots;
    if probe.vectors != [0, 8] {
        return Err(format!("expected a #DE then a double fault, saw vectors {:?}", probe.vectors));
    }
    let field = |buf: &[u8], off: usize| i32::from_le_bytes(buf[off..off + 4].try_into().unwrap());
    let candidates: Vec<usize> = (0..clean.len().saturating_sub(4))
        .step_by(4)
        .filter(|&off| field(&clean, off) == -1 && field(&snaps[0], off) == 0 && field(&snaps[1], off) == 8)
        .collect();
    match candidates.as_slice() {
        [one] => Ok(*one),
        other => Err(format!("the exception-in-flight field is ambiguous ({} candidates)", other.len())),
    }
}

/// Restores the CPU state `env` through the context `ctx` of `total` bytes.
unsafe fn restore(h: *mut uc_engine, ctx: *mut uc_context, total: usize, env: &[u8]) {
    unsafe {
        env_bytes(ctx, total).copy_from_slice(env);
        unicorn_engine::uc_context_restore(h, ctx);
    }
}
