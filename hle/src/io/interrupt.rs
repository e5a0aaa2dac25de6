//! Interrupt objects: IoConnectInterrupt, IoDisconnectInterrupt, KeSynchronizeExecution,
//! and the delivery of a device's interrupt to the service routine connected to its line.
//!
//! A vector is what HalGetInterruptVector gave (`hal/translate.rs`: 0x50 + the global
//! system interrupt; ISA IRQ 0 arrives on input 2). Connecting unmasks the IRQ at the
//! machine's interrupt controller (the 8259 pair of the default machine), as the HAL's
//! HalEnableSystemInterrupt does; disconnecting the last object of a line masks it again.
//!
//! Delivery: the machine runs one processor's flow at a time, so a requested interrupt is
//! taken where the kernel gets control and time can have passed — after
//! KeStallExecutionProcessor, when the IRQL drops, and while nothing can run (a wait, an
//! idle step: the scheduler lets time pass to the devices' next callback and takes the
//! interrupt on the processor's DPC flow, see `ke/scheduler.rs`) — if the virtual interrupt
//! flag is set and the current IRQL is below the object's. The kernel acknowledges the controller,
//! raises the IRQL to the object's SynchronizeIrql, takes the interrupt's spin lock (the one
//! given to IoConnectInterrupt, or the object's own), calls the service routine (each object
//! of a shared vector in connection order until one returns TRUE), releases the lock,
//! restores the IRQL and sends the end of interrupt. KeSynchronizeExecution and
//! KeAcquireInterruptSpinLock take the same lock at the same IRQL: while another flow (the
//! other processor's) holds it, interrupts wait at the controller, as the processor taking
//! them would spin; the flow that holds it taking it again is the deadlock it is on Windows.
#![allow(non_snake_case)]

use std::collections::BTreeMap;

use portcullis_emu::CallConv;

use crate::ke::irql;
use crate::kernel::{caller, KResult, Kx};
use crate::types::{Boolean, NtStatus, Ptr};

/// The first vector HalGetInterruptVector hands out (global system interrupt 0).
const FIRST_VECTOR: u32 = 0x50;
/// An interrupt object: large enough for either architecture's KINTERRUPT.
const KINTERRUPT_SIZE: u64 = 0x280;
/// Where in our interrupt object its own spin lock lives (used when the driver gives none).
const OWN_LOCK: u64 = 0x40;
const INTERRUPT_OBJECT: u64 = 0x16;
/// Interrupts delivered at one delivery point at most (a line that never stops requesting
/// cannot hold the kernel).
const MAX_PER_POINT: u32 = 64;

/// One connected interrupt object.
#[derive(Clone, Debug)]
pub struct Connected {
    pub routine: u64,
    pub context: u64,
    pub vector: u32,
    /// The ISA IRQ (0-15) at the interrupt controller.
    pub irq: u8,
    pub irql: u8,
    pub synchronize_irql: u8,
    pub shared: bool,
    /// The spin lock the service routine runs under.
    pub lock: u64,
    /// Service routine calls so far.
    pub delivered: u64,
}

#[derive(Default, Debug)]
pub struct Interrupts {
    /// By KINTERRUPT address, in connection order (addresses grow).
    pub connected: BTreeMap<u64, Connected>,
    delivering: bool,
}

/// The ISA IRQ a vector reaches, when it is one of the controller's lines.
fn irq_of(vector: u32) -> Option<u8> {
    let gsi = vector.checked_sub(FIRST_VECTOR)?;
    match gsi {
        2 => Some(0),
        0 => None,
        1 | 3..=15 => Some(gsi as u8),
        _ => None,
    }
}

/// NTSTATUS IoConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
/// PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector, KIRQL Irql, KIRQL SynchronizeIrql,
/// KINTERRUPT_MODE InterruptMode, BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
/// BOOLEAN FloatingSave)
#[allow(clippy::too_many_arguments)]
pub fn IoConnectInterrupt(
    k: &mut Kx,
    interrupt_object: Ptr,
    service_routine: Ptr,
    service_context: Ptr,
    spin_lock: Ptr,
    vector: u32,
    irql: u8,
    synchronize_irql: u8,
    _mode: u32,
    share_vector: Boolean,
    processor_mask: crate::types::SizeT,
    _floating_save: Boolean,
) -> KResult<NtStatus> {
    let Some(irq) = irq_of(vector) else { return Ok(NtStatus::INVALID_PARAMETER) };
    if synchronize_irql < irql || irql > irql::HIGH_LEVEL || irql <= irql::DISPATCH_LEVEL || processor_mask.0 == 0 {
        return Ok(NtStatus::INVALID_PARAMETER);
    }
    // A vector already connected unshared, or connected now unshared, cannot take another.
    if k.ext().io.interrupts.connected.values().any(|c| c.vector == vector && !(c.shared && share_vector.0)) {
        return Ok(NtStatus::INVALID_PARAMETER);
    }
    let Some(object) = crate::ex::pool::allocate_for_caller(k, 0, KINTERRUPT_SIZE, u32::from_le_bytes(*b"Intr"))?
    else {
        return Ok(crate::types::status::INSUFFICIENT_RESOURCES);
    };
    crate::rtl::memory::memset(k, Ptr(object), 0, crate::types::SizeT(KINTERRUPT_SIZE))?;
    k.mem_mut().write_u16(object, INTERRUPT_OBJECT as u16)?;
    k.mem_mut().write_u16(object + 2, KINTERRUPT_SIZE as u16)?;
    if let Err(e) = k.mem_mut().write_ptr(interrupt_object.0, object) {
        crate::ex::pool::free(k, object, None, caller(k))?;
        return Err(e.into());
    }
    let c = Connected {
        routine: service_routine.0,
        context: service_context.0,
        vector,
        irq,
        irql,
        synchronize_irql,
        shared: share_vector.0,
        lock: if spin_lock.0 != 0 { spin_lock.0 } else { object + OWN_LOCK },
        delivered: 0,
    };
    k.ext_mut().io.interrupts.connected.insert(object, c);
    if let Some(ctl) = k.guest_mut().ports.interrupt_controller() {
        ctl.set_masked(irq, false);
    }
    Ok(NtStatus::SUCCESS)
}

/// NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)
///
/// CONNECT_FULLY_SPECIFIED (1) connects as IoConnectInterrupt does with the structure's
/// fields (offsets checked against the DDK headers for both architectures). The line- and
/// message-based versions take the interrupt resources the PnP manager assigned to the
/// device; no device here has any, so they fail as for such a device,
/// STATUS_INVALID_DEVICE_REQUEST; other versions are STATUS_INVALID_PARAMETER.
pub fn IoConnectInterruptEx(k: &mut Kx, parameters: Ptr) -> KResult<NtStatus> {
    let p = parameters.0;
    let version = k.mem().read_u32(p)?;
    match version {
        1 => {}
        2 | 3 => return Ok(crate::types::status::INVALID_DEVICE_REQUEST),
        _ => return Ok(NtStatus::INVALID_PARAMETER),
    }
    let ptr = k.arch().ptr_size();
    let field = |i: u64| p + ptr * (i + 1);
    let mem = k.mem();
    let interrupt_object = mem.read_ptr(field(1))?;
    let routine = mem.read_ptr(field(2))?;
    let context = mem.read_ptr(field(3))?;
    let spin_lock = mem.read_ptr(field(4))?;
    let bytes = field(5);
    let synchronize_irql = mem.read_u8(bytes)?;
    let floating_save = mem.read_u8(bytes + 1)? != 0;
    let share_vector = mem.read_u8(bytes + 2)? != 0;
    let vector = mem.read_u32(bytes + 4)?;
    let irql = mem.read_u8(bytes + 8)?;
    let mode = mem.read_u32(bytes + 12)?;
    let mask = if ptr == 8 { mem.read_u64(bytes + 16)? } else { mem.read_u32(bytes + 16)? as u64 };
    IoConnectInterrupt(
        k,
        Ptr(interrupt_object),
        Ptr(routine),
        Ptr(context),
        Ptr(spin_lock),
        vector,
        irql,
        synchronize_irql,
        mode,
        Boolean(share_vector),
        crate::types::SizeT(mask),
        Boolean(floating_save),
    )
}

/// VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters): version 1
/// (fully specified) disconnects `ConnectionContext.InterruptObject`.
pub fn IoDisconnectInterruptEx(k: &mut Kx, parameters: Ptr) -> KResult<()> {
    let version = k.mem().read_u32(parameters.0)?;
    if version != 1 {
        return Ok(());
    }
    let object = k.mem().read_ptr(parameters.0 + k.arch().ptr_size())?;
    IoDisconnectInterrupt(k, Ptr(object))
}

/// VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject)
pub fn IoDisconnectInterrupt(k: &mut Kx, interrupt_object: Ptr) -> KResult<()> {
    let Some(c) = k.ext_mut().io.interrupts.connected.remove(&interrupt_object.0) else {
        // Windows reads the object before it frees it: NULL or unmapped memory faults there.
        let mut probe = [0u8; 1];
        if k.mem().read(interrupt_object.0, &mut probe).is_err() {
            return Err(crate::kernel::KError::Mem(portcullis_emu::MemError::Unmapped { addr: interrupt_object.0 }));
        }
        // Not an interrupt object: freeing it is what Windows' pool would refuse.
        let at = caller(k);
        return crate::ex::pool::free(k, interrupt_object.0, None, at);
    };
    if !k.ext().io.interrupts.connected.values().any(|o| o.irq == c.irq) {
        if let Some(ctl) = k.guest_mut().ports.interrupt_controller() {
            ctl.set_masked(c.irq, true);
        }
    }
    let at = caller(k);
    crate::ex::pool::free(k, interrupt_object.0, None, at)
}

/// BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE
/// SynchronizeRoutine, PVOID SynchronizeContext): calls the routine at the object's
/// SynchronizeIrql and returns what it returned.
pub fn KeSynchronizeExecution(k: &mut Kx, interrupt: Ptr, routine: Ptr, context: Ptr) -> KResult<Boolean> {
    let c = connected(k, interrupt)?;
    let old = irql::current(k)?;
    let level = c.synchronize_irql.max(old);
    irql::set(k, level)?;
    crate::ke::spinlock::take(k, c.lock, 1)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, routine.0, &[context.0], conv).map_err(crate::kernel::KError::Stop)?;
    crate::ke::spinlock::give(k, c.lock, "KeSynchronizeExecution")?;
    irql::set(k, old)?;
    Ok(Boolean(r as u8 != 0))
}

/// The connected object at `interrupt`, or the fault Windows takes reading what is not one
/// (it dereferences the object).
fn connected(k: &Kx, interrupt: Ptr) -> KResult<Connected> {
    match k.ext().io.interrupts.connected.get(&interrupt.0) {
        Some(c) => Ok(c.clone()),
        None => Err(crate::kernel::KError::Mem(portcullis_emu::MemError::Unmapped { addr: interrupt.0 })),
    }
}

/// KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt): raises to the object's
/// SynchronizeIrql, takes its spin lock, returns the IRQL it raised from.
pub fn KeAcquireInterruptSpinLock(k: &mut Kx, interrupt: Ptr) -> KResult<u8> {
    let c = connected(k, interrupt)?;
    let old = irql::current(k)?;
    irql::set(k, c.synchronize_irql.max(old))?;
    crate::ke::spinlock::take(k, c.lock, 1)?;
    Ok(old)
}

/// VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql): releases the lock
/// (SPIN_LOCK_NOT_OWNED when it is free) and lowers to OldIrql (an interrupt held back by
/// the raised level is taken then).
pub fn KeReleaseInterruptSpinLock(k: &mut Kx, interrupt: Ptr, old_irql: u8) -> KResult<()> {
    let c = connected(k, interrupt)?;
    crate::ke::spinlock::give(k, c.lock, "KeReleaseInterruptSpinLock")?;
    irql::lower(k, old_irql, "KeReleaseInterruptSpinLock")
}

/// Delivers the interrupts the controller has pending to their service routines (see the
/// module comment). Called where the kernel has control and time may have passed.
pub fn deliver(k: &mut Kx) -> KResult<()> {
    if k.ext().io.interrupts.connected.is_empty() || k.ext().io.interrupts.delivering {
        return Ok(());
    }
    k.ext_mut().io.interrupts.delivering = true;
    let r = deliver_pending(k);
    k.ext_mut().io.interrupts.delivering = false;
    r
}

fn deliver_pending(k: &mut Kx) -> KResult<()> {
    for _ in 0..MAX_PER_POINT {
        if !k.guest().cpu.interrupts_enabled {
            return Ok(());
        }
        let current = irql::current(k)?;
        let Some(lowest) = k.ext().io.interrupts.connected.values().map(|c| c.irql).min() else { return Ok(()) };
        if lowest <= current {
            return Ok(());
        }
        // A flow holds an interrupt's lock: requests wait at the controller until it lets go.
        let locks = &k.ext().sched.lock_owners;
        if k.ext().io.interrupts.connected.values().any(|c| locks.contains_key(&c.lock)) {
            return Ok(());
        }
        let acknowledged = match k.guest_mut().ports.interrupt_controller() {
            Some(ctl) if ctl.pending() => ctl.acknowledge(),
            _ => None,
        };
        let Some((line, _)) = acknowledged else { return Ok(()) };
        let targets: Vec<(u64, Connected)> = k
            .ext()
            .io
            .interrupts
            .connected
            .iter()
            .filter(|(_, c)| c.irq == line && c.irql > current)
            .map(|(a, c)| (*a, c.clone()))
            .collect();
        let conv = CallConv::Stdcall.for_arch(k.arch());
        for (object, c) in targets {
            irql::set(k, c.synchronize_irql)?;
            crate::ke::spinlock::take(k, c.lock, 1)?;
            let r = crate::ke::scheduler::call(k, c.routine, &[object, c.context], conv);
            if r.is_ok() {
                crate::ke::spinlock::give(k, c.lock, "an interrupt service routine's return")?;
            }
            irql::set(k, current)?;
            if let Some(o) = k.ext_mut().io.interrupts.connected.get_mut(&object) {
                o.delivered += 1;
            }
            if r.map_err(crate::kernel::KError::Stop)? as u8 != 0 {
                break;
            }
        }
        if let Some(ctl) = k.guest_mut().ports.interrupt_controller() {
            ctl.end_of_interrupt(line);
        }
    }
    Ok(())
}
