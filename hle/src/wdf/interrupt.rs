//! WDFINTERRUPT (`wdfinterrupt.h`): a device's interrupt, connected through the kernel's
//! interrupt objects (`io::interrupt`) while the device is in D0. Its resource is the
//! translated descriptor WdfInterruptCreate names (KMDF 1.11, from EvtDevicePrepareHardware)
//! or, for an interrupt created in EvtDriverDeviceAdd, the next interrupt descriptor of the
//! start's translated resources, assigned in creation order as the framework does. After
//! EvtDeviceD0Entry the framework connects each interrupt (its ISR is [`FxInterruptThunk`],
//! which calls EvtInterruptIsr with the WDFINTERRUPT and message 0) and calls
//! EvtInterruptEnable at the interrupt's IRQL; before EvtDeviceD0Exit it calls
//! EvtInterruptDisable and disconnects. WdfInterruptQueueDpcForIsr queues the interrupt's
//! DPC ([`FxInterruptDpcThunk`]: EvtInterruptDpc with the interrupt and its device).
//! WdfInterruptSynchronize, WdfInterruptAcquireLock and the enable/disable callbacks run at
//! the interrupt's IRQL holding its KINTERRUPT's spin lock while it is connected (the lock the
//! service routine runs under, `io::interrupt`); before it is connected, at its IRQL alone.
//!
//! Interrupts handled at PASSIVE_LEVEL (PassiveHandling, with a wait lock) are not built
//! here: creating one ends the run naming it.
#![allow(non_snake_case)]

use portcullis_emu::{Arch, CallConv, Stop};

use super::object::{self, ObjectKind};
use super::violation;
use crate::ke::irql;
use crate::kernel::{KError, KResult, KernelStop, Kx};
use crate::layout::KDPC;
use crate::types::{status, Boolean, NtStatus, Ptr, SizeT};

/// CM_RESOURCE_TYPE CmResourceTypeInterrupt, and CmResourceShareShared.
const CM_RESOURCE_TYPE_INTERRUPT: u8 = 2;
const CM_RESOURCE_SHARE_SHARED: u8 = 3;
/// WDF_TRI_STATE: WdfFalse, WdfTrue, WdfUseDefault.
const WDF_TRUE: u32 = 1;
const WDF_USE_DEFAULT: u32 = 2;

/// The translated interrupt resource an interrupt connects with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub vector: u32,
    pub irql: u8,
    pub affinity: u64,
    pub shared: bool,
}

/// A WDFINTERRUPT.
#[derive(Clone, Copy, Debug)]
pub struct Interrupt {
    pub device: u64,
    pub isr: u64,
    pub dpc: u64,
    pub enable: u64,
    pub disable: u64,
    /// WDF_INTERRUPT_CONFIG.ShareVector (a tri-state: the resource decides by default).
    pub share: u32,
    pub floating_save: bool,
    pub line: Option<Line>,
    /// The KINTERRUPT while connected.
    pub kinterrupt: u64,
    pub kdpc: u64,
    /// The IRQL WdfInterruptAcquireLock raised from.
    pub old_irql: u8,
}

/// WDF_INTERRUPT_CONFIG's fields (`wdfinterrupt.h`), by architecture: (x86, x64) offsets.
mod config {
    pub const SHARE_VECTOR: (u64, u64) = (0x8, 0x10);
    pub const FLOATING_SAVE: (u64, u64) = (0xc, 0x14);
    pub const ISR: (u64, u64) = (0x10, 0x18);
    pub const DPC: (u64, u64) = (0x14, 0x20);
    pub const ENABLE: (u64, u64) = (0x18, 0x28);
    pub const DISABLE: (u64, u64) = (0x1c, 0x30);
    pub const INTERRUPT_TRANSLATED: (u64, u64) = (0x28, 0x48);
    pub const PASSIVE_HANDLING: (u64, u64) = (0x30, 0x58);
    /// Sizes: KMDF 1.0 .. 1.9; 1.11 (work item, resources, wait lock, passive handling, report
    /// inactive); 1.13 (CanWakeDevice).
    pub const SIZES: (&[u64], &[u64]) = (&[0x20, 0x38, 0x3c], &[0x38, 0x60, 0x68]);
}

fn at(arch: Arch, field: (u64, u64)) -> u64 {
    match arch {
        Arch::X86 => field.0,
        Arch::X64 => field.1,
    }
}

/// Reads a translated CM_PARTIAL_RESOURCE_DESCRIPTOR of an interrupt: None for another type.
pub(crate) fn read_line(k: &Kx, descriptor: u64) -> KResult<Option<Line>> {
    let m = k.mem();
    if m.read_u8(descriptor)? != CM_RESOURCE_TYPE_INTERRUPT {
        return Ok(None);
    }
    Ok(Some(Line {
        shared: m.read_u8(descriptor + 1)? == CM_RESOURCE_SHARE_SHARED,
        irql: m.read_u32(descriptor + 4)?.min(irql::HIGH_LEVEL as u32) as u8,
        vector: m.read_u32(descriptor + 8)?,
        affinity: m.read_ptr(descriptor + 0xC)?,
    }))
}

/// NTSTATUS WdfInterruptCreate(WDFDEVICE Device, PWDF_INTERRUPT_CONFIG Configuration,
/// PWDF_OBJECT_ATTRIBUTES Attributes, WDFINTERRUPT *Interrupt): EvtInterruptIsr is required;
/// a translated resource that is no interrupt is STATUS_INVALID_PARAMETER.
pub fn WdfInterruptCreate(
    k: &mut Kx,
    _globals: Ptr,
    device: Ptr,
    cfg: Ptr,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let d = object::expect(k, "WdfInterruptCreate", device.0, ObjectKind::Device)?;
    if cfg.0 == 0 {
        return Err(violation::null_parameter(k, "WdfInterruptCreate", "Configuration"));
    }
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfInterruptCreate", "Interrupt"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let arch = k.arch();
    let m = k.mem();
    let size = m.read_u32(cfg.0)? as u64;
    let sizes = match arch {
        Arch::X86 => config::SIZES.0,
        Arch::X64 => config::SIZES.1,
    };
    if !sizes.contains(&size) {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let extended = size > sizes[0];
    let read_ptr = |f| m.read_ptr(cfg.0 + at(arch, f));
    let mut i = Interrupt {
        device: device.0,
        isr: read_ptr(config::ISR)?,
        dpc: read_ptr(config::DPC)?,
        enable: read_ptr(config::ENABLE)?,
        disable: read_ptr(config::DISABLE)?,
        share: m.read_u32(cfg.0 + at(arch, config::SHARE_VECTOR))?,
        floating_save: m.read_u8(cfg.0 + at(arch, config::FLOATING_SAVE))? != 0,
        line: None,
        kinterrupt: 0,
        kdpc: 0,
        old_irql: 0,
    };
    if i.isr == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if extended {
        if m.read_u8(cfg.0 + at(arch, config::PASSIVE_HANDLING))? != 0 {
            let caller = crate::kernel::caller(k);
            return Err(KError::Stop(Stop::Host(KernelStop::Unimplemented {
                routine: "wdf!WdfInterruptCreate (PassiveHandling)".into(),
                caller,
            })));
        }
        let translated = read_ptr(config::INTERRUPT_TRANSLATED)?;
        if translated != 0 {
            match read_line(k, translated)? {
                Some(line) => i.line = Some(line),
                None => return Ok(status::INVALID_PARAMETER),
            }
        }
    }
    let a = object::read_attributes(k, attributes.0)?;
    if a.parent != 0 && a.parent != device.0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let h = object::create(k, d.binding, ObjectKind::Interrupt, &a, Some(device.0))?;
    i.kdpc = crate::ex::pool::kernel_alloc(k, KDPC::STRUCT.size(arch), b"FxIn")?;
    let thunk = super::table::routine(k, "FxInterruptDpcThunk");
    crate::ke::dpc::KeInitializeDpc(k, Ptr(i.kdpc), Ptr(thunk), Ptr(h))?;
    k.ext_mut().wdf.interrupts.insert(h, i);
    if let Some(dev) = k.ext_mut().wdf.devices.get_mut(&device.0) {
        dev.interrupts.push(h);
    }
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

fn interrupt(k: &mut Kx, function: &str, handle: u64) -> KResult<Interrupt> {
    object::expect(k, function, handle, ObjectKind::Interrupt)?;
    match k.ext().wdf.interrupts.get(&handle) {
        Some(i) => Ok(*i),
        None => Err(violation::invalid_handle(k, function, handle, ObjectKind::Interrupt, "no interrupt")),
    }
}

fn update(k: &mut Kx, handle: u64, f: impl FnOnce(&mut Interrupt)) {
    if let Some(i) = k.ext_mut().wdf.interrupts.get_mut(&handle) {
        f(i);
    }
}

/// Calls `routine(args)` at the interrupt's IRQL (at least the current one): what it returned.
fn at_dirql(k: &mut Kx, i: &Interrupt, routine: u64, args: &[u64]) -> KResult<u64> {
    let old = lock(k, i)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, routine, args, conv).map_err(KError::Stop);
    unlock(k, i, old)?;
    r
}

/// Raises to the interrupt's IRQL, holding its KINTERRUPT's spin lock while it is connected
/// (the lock its service routine runs under); returns the IRQL to go back to.
fn lock(k: &mut Kx, i: &Interrupt) -> KResult<u8> {
    if i.kinterrupt != 0 {
        return crate::io::interrupt::KeAcquireInterruptSpinLock(k, Ptr(i.kinterrupt));
    }
    let old = irql::current(k)?;
    irql::set(k, i.line.map_or(old, |l| l.irql.max(old)))?;
    Ok(old)
}

/// Undoes [`lock`].
fn unlock(k: &mut Kx, i: &Interrupt, old: u8) -> KResult<()> {
    if i.kinterrupt != 0 {
        return crate::io::interrupt::KeReleaseInterruptSpinLock(k, Ptr(i.kinterrupt), old);
    }
    irql::set(k, old)
}

/// The start's translated resources reach the device's interrupts that named none, in the
/// order they were created.
pub(crate) fn assign(k: &mut Kx, device: u64, translated: u64) -> KResult<()> {
    let lines: Vec<Line> = match k.ext().wdf.resource_lists.get(&translated) {
        Some(list) => {
            let ds = list.descriptors.clone();
            let mut lines = Vec::new();
            for d in ds {
                if d.first() == Some(&CM_RESOURCE_TYPE_INTERRUPT) && d.len() >= 16 {
                    let word = |o: usize| u32::from_le_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]);
                    let affinity = if d.len() >= 20 {
                        u64::from_le_bytes(d[12..20].try_into().unwrap_or_default())
                    } else {
                        word(12) as u64
                    };
                    lines.push(Line {
                        shared: d[1] == CM_RESOURCE_SHARE_SHARED,
                        irql: word(4).min(irql::HIGH_LEVEL as u32) as u8,
                        vector: word(8),
                        affinity,
                    });
                }
            }
            lines
        }
        None => Vec::new(),
    };
    let mut lines = lines.into_iter();
    let handles = k.ext().wdf.devices.get(&device).map(|d| d.interrupts.clone()).unwrap_or_default();
    for h in handles {
        if k.ext().wdf.interrupts.get(&h).is_some_and(|i| i.line.is_none()) {
            let Some(line) = lines.next() else { break };
            update(k, h, |i| i.line = Some(line));
        }
    }
    Ok(())
}

/// The device enters D0: each interrupt with a resource connects, then EvtInterruptEnable.
/// A connection the kernel refuses fails the start with its status.
pub(crate) fn connect_all(k: &mut Kx, device: u64) -> KResult<NtStatus> {
    let handles = k.ext().wdf.devices.get(&device).map(|d| d.interrupts.clone()).unwrap_or_default();
    for h in handles {
        let Some(i) = k.ext().wdf.interrupts.get(&h).copied() else { continue };
        let (Some(line), 0) = (i.line, i.kinterrupt) else { continue };
        let slot = crate::ob::body::alloc(k, 8)?;
        let isr = super::table::routine(k, "FxInterruptThunk");
        let share = match i.share {
            WDF_TRUE => true,
            WDF_USE_DEFAULT => line.shared,
            _ => false,
        };
        let st = crate::io::interrupt::IoConnectInterrupt(
            k,
            Ptr(slot),
            Ptr(isr),
            Ptr(h),
            Ptr(0),
            line.vector,
            line.irql,
            line.irql,
            0,
            Boolean(share),
            SizeT(if line.affinity == 0 { 1 } else { line.affinity }),
            Boolean(i.floating_save),
        );
        let object = k.mem().read_ptr(slot);
        crate::ob::body::free(k, slot);
        let (st, object) = (st?, object?);
        if !st.is_success() {
            return Ok(st);
        }
        update(k, h, |i| i.kinterrupt = object);
        let i = Interrupt { kinterrupt: object, ..i };
        if i.enable != 0 {
            let st = NtStatus(at_dirql(k, &i, i.enable, &[h, device])? as u32);
            if !st.is_success() {
                return Ok(st);
            }
        }
    }
    Ok(status::SUCCESS)
}

/// The device leaves D0: EvtInterruptDisable, then each connected interrupt disconnects.
pub(crate) fn disconnect_all(k: &mut Kx, device: u64) -> KResult<()> {
    let handles = k.ext().wdf.devices.get(&device).map(|d| d.interrupts.clone()).unwrap_or_default();
    for h in handles {
        let Some(i) = k.ext().wdf.interrupts.get(&h).copied() else { continue };
        if i.kinterrupt == 0 {
            continue;
        }
        if i.disable != 0 {
            at_dirql(k, &i, i.disable, &[h, device])?;
        }
        disconnect(k, h, i.kinterrupt)?;
    }
    Ok(())
}

fn disconnect(k: &mut Kx, handle: u64, kinterrupt: u64) -> KResult<()> {
    update(k, handle, |i| i.kinterrupt = 0);
    crate::io::interrupt::IoDisconnectInterrupt(k, Ptr(kinterrupt))
}

/// The object is deleted: disconnected if it still is, its DPC dequeued, its memory freed.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(i) = k.ext().wdf.interrupts.get(&handle).copied() else { return Ok(()) };
    if i.kinterrupt != 0 {
        disconnect(k, handle, i.kinterrupt)?;
    }
    super::dpc::run_down(k, i.kdpc)?;
    k.ext_mut().wdf.interrupts.remove(&handle);
    if let Some(d) = k.ext_mut().wdf.devices.get_mut(&i.device) {
        d.interrupts.retain(|h| *h != handle);
    }
    crate::ex::pool::free(k, i.kdpc, None, 0)
}

/// BOOLEAN FxInterruptThunk(PKINTERRUPT Interrupt, PVOID ServiceContext): the kernel's
/// service routine; the context is the WDFINTERRUPT.
pub fn FxInterruptThunk(k: &mut Kx, _kinterrupt: Ptr, context: Ptr) -> KResult<Boolean> {
    let Some(i) = k.ext().wdf.interrupts.get(&context.0).copied() else { return Ok(Boolean(false)) };
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, i.isr, &[context.0, 0], conv).map_err(KError::Stop)?;
    Ok(Boolean(r as u8 != 0))
}

/// VOID FxInterruptDpcThunk(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID
/// SystemArgument2): the interrupt's DPC; EvtInterruptDpc(Interrupt, AssociatedObject).
pub fn FxInterruptDpcThunk(k: &mut Kx, _kdpc: Ptr, context: Ptr, _arg1: Ptr, _arg2: Ptr) -> KResult<()> {
    let Some(i) = k.ext().wdf.interrupts.get(&context.0).copied() else { return Ok(()) };
    if i.dpc == 0 {
        return Ok(());
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, i.dpc, &[context.0, i.device], conv).map_err(KError::Stop)?;
    Ok(())
}

/// BOOLEAN WdfInterruptQueueDpcForIsr(WDFINTERRUPT Interrupt): FALSE if queued already.
pub fn WdfInterruptQueueDpcForIsr(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Boolean> {
    let i = interrupt(k, "WdfInterruptQueueDpcForIsr", handle.0)?;
    crate::ke::dpc::KeInsertQueueDpc(k, Ptr(i.kdpc), Ptr(0), Ptr(0))
}

/// BOOLEAN WdfInterruptSynchronize(WDFINTERRUPT Interrupt, PFN_WDF_INTERRUPT_SYNCHRONIZE
/// Callback, WDFCONTEXT Context): the callback at the interrupt's IRQL; what it returned.
pub fn WdfInterruptSynchronize(
    k: &mut Kx,
    _globals: Ptr,
    handle: Ptr,
    callback: Ptr,
    context: Ptr,
) -> KResult<Boolean> {
    let i = interrupt(k, "WdfInterruptSynchronize", handle.0)?;
    if callback.0 == 0 {
        return Err(violation::null_parameter(k, "WdfInterruptSynchronize", "Callback"));
    }
    Ok(Boolean(at_dirql(k, &i, callback.0, &[handle.0, context.0])? as u8 != 0))
}

/// VOID WdfInterruptAcquireLock(WDFINTERRUPT Interrupt): raises to the interrupt's IRQL,
/// taking its spin lock while it is connected.
pub fn WdfInterruptAcquireLock(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<()> {
    let i = interrupt(k, "WdfInterruptAcquireLock", handle.0)?;
    let old = lock(k, &i)?;
    update(k, handle.0, |i| i.old_irql = old);
    Ok(())
}

/// VOID WdfInterruptReleaseLock(WDFINTERRUPT Interrupt): back to the IRQL of the acquire.
pub fn WdfInterruptReleaseLock(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<()> {
    let i = interrupt(k, "WdfInterruptReleaseLock", handle.0)?;
    unlock(k, &i, i.old_irql)
}

/// BOOLEAN WdfInterruptEnable(WDFINTERRUPT Interrupt): EvtInterruptEnable at the interrupt's
/// IRQL; TRUE.
pub fn WdfInterruptEnable(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Boolean> {
    let i = interrupt(k, "WdfInterruptEnable", handle.0)?;
    if i.enable != 0 {
        at_dirql(k, &i, i.enable, &[handle.0, i.device])?;
    }
    Ok(Boolean(true))
}

/// BOOLEAN WdfInterruptDisable(WDFINTERRUPT Interrupt): EvtInterruptDisable at the
/// interrupt's IRQL; TRUE.
pub fn WdfInterruptDisable(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Boolean> {
    let i = interrupt(k, "WdfInterruptDisable", handle.0)?;
    if i.disable != 0 {
        at_dirql(k, &i, i.disable, &[handle.0, i.device])?;
    }
    Ok(Boolean(true))
}

/// PKINTERRUPT WdfInterruptWdmGetInterrupt(WDFINTERRUPT Interrupt): NULL while disconnected.
pub fn WdfInterruptWdmGetInterrupt(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(interrupt(k, "WdfInterruptWdmGetInterrupt", handle.0)?.kinterrupt))
}

/// WDFDEVICE WdfInterruptGetDevice(WDFINTERRUPT Interrupt)
pub fn WdfInterruptGetDevice(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(interrupt(k, "WdfInterruptGetDevice", handle.0)?.device))
}
