//! The physical address space inside Unicorn.
//!
//! Main RAM is mapped chunk by chunk by the frame allocator; conventional memory is mapped as
//! host memory the first time a kernel mapping reaches the first megabyte. Everything else —
//! the legacy window, ROMs, devices, BARs, unclaimed space up to the processor's address
//! width — is covered by two MMIO regions whose callbacks route each access through
//! [`PhysicalSpace::access`](super::PhysicalSpace::access) by physical address, so a BAR a
//! driver moves, or a range a scenario adds, needs no change in the engine. A driver's plain
//! `mov` to a mapped register costs one callback: no per-instruction hook, no fault.
//!
//! Each access that reaches a device (not ROM contents) is counted and, when the trace
//! records MMIO, traced like a port access with the pc of the instruction that made it
//! (`pc.rs`).

use std::ffi::{c_uint, c_void};

use unicorn_engine::uc_engine;

use crate::exception::GuestException;
use crate::fault::FaultKind;
use crate::firmware;
use crate::machine::{Extension, Guest, Machine};
use crate::memory::MemError;
use crate::ports::Width;
use crate::trace::{Event, MmioEvent};
use crate::uc::Uc;

type ReadFn = unsafe extern "C" fn(*mut uc_engine, u64, c_uint, *mut c_void) -> u64;
type WriteFn = unsafe extern "C" fn(*mut uc_engine, u64, c_uint, u64, *mut c_void);

/// What one MMIO region's callbacks are given: the machine state, and where the region
/// starts.
struct RegionContext {
    guest: *mut c_void,
    base: u64,
}

#[derive(Default)]
pub(crate) struct Engine {
    /// The callbacks for this machine's extension type, and its state.
    glue: Option<(ReadFn, WriteFn, *mut c_void)>,
    /// Boxed: Unicorn holds pointers to them, which must not move when the vector grows.
    #[allow(clippy::vec_box)]
    contexts: Vec<Box<RegionContext>>,
    mapped: bool,
    /// A kernel mapping of device memory exists (so MMIO may be traced from now on).
    pub(crate) devices_mapped: bool,
}

impl Engine {
    /// Installs the callbacks of the machine's extension type `X`.
    pub(crate) fn set_glue<X: Extension>(&mut self, guest: *mut Guest<X>) {
        self.glue = Some((read::<X>, write::<X>, guest as *mut c_void));
    }

    /// Maps conventional memory and the MMIO regions into the engine (once).
    pub(crate) fn map(&mut self, uc: Uc, low: *mut u8, ram_end: u64, limit: u64) -> Result<(), MemError> {
        if self.mapped {
            return Ok(());
        }
        let Some((r, w, guest)) = self.glue else {
            return Err(MemError::Host("the physical address space has no engine glue".into()));
        };
        uc.map_ptr(0, firmware::LOW_RAM_SIZE, low).map_err(|e| MemError::Host(e.to_string()))?;
        for (base, end) in [(firmware::LOW_RAM_SIZE, crate::memory::RAM_BASE), (ram_end, limit)] {
            if end <= base {
                continue;
            }
            let ctx = Box::new(RegionContext { guest, base });
            let data = &*ctx as *const RegionContext as *mut c_void;
            // SAFETY: the callbacks match Unicorn's MMIO signatures; `data` points into a box
            // kept for the engine's lifetime (`contexts`), and the guest outlives the engine's
            // regions (both are dropped with the machine).
            let e = unsafe { unicorn_engine::uc_mmio_map(uc.0, base, end - base, Some(r), data, Some(w), data) };
            if e != unicorn_engine::unicorn_const::uc_error::OK {
                return Err(MemError::Host(format!("map MMIO {base:#x}-{end:#x}: {e:?}")));
            }
            self.contexts.push(ctx);
        }
        self.mapped = true;
        Ok(())
    }
}

/// # Safety
/// Called by Unicorn with the context `Engine::map` registered.
unsafe extern "C" fn read<X: Extension>(_: *mut uc_engine, offset: u64, size: c_uint, data: *mut c_void) -> u64 {
    let ctx = &*(data as *const RegionContext);
    let g = &mut *(ctx.guest as *mut Guest<X>);
    access(g, ctx.base + offset, size, None) as u64
}

/// # Safety
/// Called by Unicorn with the context `Engine::map` registered.
unsafe extern "C" fn write<X: Extension>(_: *mut uc_engine, offset: u64, size: c_uint, value: u64, data: *mut c_void) {
    let ctx = &*(data as *const RegionContext);
    let g = &mut *(ctx.guest as *mut Guest<X>);
    access(g, ctx.base + offset, size, Some(value as u32));
}

fn access<X: Extension>(g: &mut Guest<X>, pa: u64, size: c_uint, value: Option<u32>) -> u32 {
    let Some(width) = Width::from_bytes(size as usize) else { return u32::MAX };
    if g.stopping {
        return width.all_ones();
    }
    let a = g.mem.device_access(pa, width, value, &mut g.cpu.clock, Some(g.ports.lines_mut()));
    g.ports.sync_interrupts();
    if !a.memory {
        g.trace.counters.mmio_accesses += 1;
        g.timed_mmio.note(g.cpu.clock.cycles(), pa, width, value.is_some(), value.unwrap_or(a.value));
        if g.trace.record_mmio {
            let write = value.is_some();
            let pc = g.attribution.attribute(g.uc, g.arch, &g.mem, &g.decoder, pa, write);
            g.trace.push(Event::Mmio(MmioEvent {
                pc,
                address: pa,
                width,
                write,
                value: value.unwrap_or(a.value),
                cpl: g.privilege.cpl(),
                outcome: a.outcome,
                answered: a.answered,
            }));
        }
    }
    a.value
}

/// A page fault on a kernel page left not-present because its frame is denied: the access is
/// traced as a denied MMIO access and the exception says why.
pub(crate) fn note_denied_fault<X: Extension>(m: &mut Machine<X>, e: &mut GuestException) {
    let FaultKind::PageFault { address } = e.kind else { return };
    let Some(pa) = m.mem().phys.denied_view(address) else { return };
    let name = m.mem().phys.range_name_at(pa).unwrap_or("device memory").to_string();
    e.reason = format!("physical address {pa:#x} ({name}) is denied by policy");
    let write = e.access.is_some_and(|a| a.write);
    let g = m.guest_mut();
    g.trace.counters.mmio_accesses += 1;
    if g.trace.record_mmio {
        // The operand's width, when the instruction decodes.
        let code = g.mem.read_partial(e.pc, 15);
        let size = g.decoder.memory_uses(&code, e.pc, 1).first().and_then(|i| i.uses.first()).map_or(4, |u| u.size);
        let width = Width::from_bytes(size.min(4) as usize).unwrap_or(Width::Dword);
        // What a write would have stored: its immediate or register source.
        let stored = write
            .then(|| g.decoder.decode(&code, e.pc))
            .flatten()
            .and_then(|d| {
                d.operands.iter().find_map(|o| match o {
                    crate::decode::Operand::Imm(i) => Some(*i as u64),
                    crate::decode::Operand::Reg(r) => crate::privileged::gpr(r).map(|r| g.uc.reg(r)),
                    crate::decode::Operand::Mem(_) => None,
                })
            })
            .map_or(0, |v| v as u32 & width.all_ones());
        let answered = g.mem.phys.answered_at(pa);
        g.trace.push(Event::Mmio(MmioEvent {
            pc: e.pc,
            address: pa,
            width,
            write,
            value: if write { stored } else { width.all_ones() },
            cpl: g.privilege.cpl(),
            outcome: crate::ports::Outcome::Denied,
            answered,
        }));
    }
}

impl<X: Extension> Machine<X> {
    /// An MMIO access the host makes on behalf of guest code at `pc` (the HAL's
    /// READ_REGISTER_* / WRITE_REGISTER_* routines) to physical address `pa`, which must not
    /// be RAM: the same devices, policies and trace as a `mov` there. `None` for a denied
    /// address (traced; the caller raises the fault an access there takes).
    pub fn mmio_io(&mut self, pa: u64, width: Width, write: Option<u32>, pc: u64) -> Option<u32> {
        let g = self.guest_mut();
        let a = if g.mem.phys.is_denied(pa) {
            let answered = g.mem.phys.answered_at(pa);
            let value = if write.is_some() { 0 } else { width.all_ones() };
            crate::physical::Access { value, outcome: crate::ports::Outcome::Denied, answered, memory: false }
        } else {
            let a = g.mem.device_access(pa, width, write, &mut g.cpu.clock, Some(g.ports.lines_mut()));
            g.ports.sync_interrupts();
            a
        };
        if !a.memory {
            g.trace.counters.mmio_accesses += 1;
            g.timed_mmio.note(g.cpu.clock.cycles(), pa, width, write.is_some(), write.unwrap_or(a.value));
            if g.trace.record_mmio {
                g.trace.push(Event::Mmio(MmioEvent {
                    pc,
                    address: pa,
                    width,
                    write: write.is_some(),
                    value: write.unwrap_or(a.value),
                    cpl: g.privilege.cpl(),
                    outcome: a.outcome,
                    answered: a.answered,
                }));
            }
        }
        (a.outcome != crate::ports::Outcome::Denied).then_some(a.value)
    }

    /// Makes every MMIO access from here on carry the pc of the instruction that made it
    /// (see `pc.rs`); the machine does this by itself once device memory is mapped while the
    /// trace records MMIO.
    pub fn attribute_mmio_pcs(&mut self) {
        if !self.guest().attribution.synced {
            self.sync_block_pcs();
        }
    }
}
