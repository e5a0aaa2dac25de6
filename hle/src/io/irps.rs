//! IRPs drivers build and send themselves: `IoAllocateIrp`, `IoInitializeIrp`, `IoReuseIrp`,
//! `IoFreeIrp`, `IoBuildDeviceIoControlRequest`, `IoBuildSynchronousFsdRequest`,
//! `IoBuildAsynchronousFsdRequest`; cancellation (`IoCancelIrp`, the cancel spin lock).
//!
//! When such an IRP completes past its last stack location (no completion routine kept it
//! with STATUS_MORE_PROCESSING_REQUIRED), the I/O manager does what IopCompleteRequest does:
//! copies a buffered input operation's SystemBuffer to the caller's buffer, frees the buffer
//! and the MDL it built, writes the caller's IO_STATUS_BLOCK, signals the caller's event and
//! frees the IRP. Sends complete synchronously in this kernel (no other thread runs).
#![allow(non_snake_case)]

use crate::ex::pool;
use crate::io::request::{IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION};
use crate::io::{device_flags, irp, major, method};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_STACK_LOCATION, IO_STATUS_BLOCK, IRP};
use crate::mm::mdl;
use crate::ob::Owner;
use crate::types::{Boolean, NtStatus, Ptr};

/// How a driver IRP came to be, which decides what completing it to the top does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// IoAllocateIrp: freed by the I/O manager if it completes to the top.
    Allocated,
    /// IoInitializeIrp on the driver's own memory: never freed by the I/O manager.
    Initialized,
    /// IoBuild*Request: buffers, MDL, IO_STATUS_BLOCK and event handled at completion.
    Built,
}

#[derive(Clone, Debug)]
pub(crate) struct DriverIrp {
    pub(crate) origin: Origin,
    /// The MDL the I/O manager built for a direct-I/O request.
    pub(crate) mdl: Option<u64>,
    /// The caller's output buffer length (a buffered copy-back never goes past it).
    pub(crate) out_len: u64,
}

pub const IRP_ALLOCATED_FIXED_SIZE: u64 = 0x4;

fn owner_at(k: &Kx, at: u64) -> Owner {
    k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel)
}

fn sizes(k: &Kx) -> (u64, u64) {
    let arch = k.arch();
    (IRP::STRUCT.size(arch), IO_STACK_LOCATION::STRUCT.size(arch))
}

/// Lays out an IRP of `stack_size` locations at `irp` (IoInitializeIrp's work).
fn initialize(k: &mut Kx, irp: u64, packet_size: u64, stack_size: u8) -> KResult<()> {
    // Relaid out while in its thread's list: it leaves the list (the kernel's list stays whole).
    crate::io::thread_irps::dequeue(k, irp)?;
    let (irp_size, _) = sizes(k);
    crate::rtl::memory::memset(k, Ptr(irp), 0, crate::types::SizeT(packet_size))?;
    let arch = k.arch();
    let mem = k.mem_mut();
    mem.set(irp, IRP::Type, crate::io::io_type::IRP)?;
    mem.set(irp, IRP::Size, packet_size)?;
    mem.set(irp, IRP::StackCount, stack_size as u64)?;
    mem.set(irp, IRP::CurrentLocation, stack_size as u64 + 1)?;
    let (_, loc) = sizes(k);
    let mem = k.mem_mut();
    mem.set(irp, IRP::CurrentStackLocation, irp + irp_size + stack_size as u64 * loc)?;
    let list = IRP::ThreadListEntry.at(arch, irp);
    crate::layout::list::init(mem, list)?;
    Ok(())
}

fn size_of_irp(k: &Kx, stack_size: u8) -> u64 {
    let (irp_size, loc) = sizes(k);
    irp_size + stack_size as u64 * loc
}

/// A new IRP in pool charged to the calling driver, registered as a driver IRP.
fn allocate(k: &mut Kx, stack_size: u8, origin: Origin, at: u64) -> KResult<Option<u64>> {
    let size = size_of_irp(k, stack_size);
    let owner = owner_at(k, at);
    let Some(irp) = pool::allocate(k, pool::NON_PAGED_POOL_NX, size, u32::from_le_bytes(*b"Irp "), owner, at)? else {
        return Ok(None);
    };
    initialize(k, irp, size, stack_size)?;
    k.mem_mut().set(irp, IRP::AllocationFlags, IRP_ALLOCATED_FIXED_SIZE)?;
    k.ext_mut().io.driver_irps.insert(irp, DriverIrp { origin, mdl: None, out_len: 0 });
    Ok(Some(irp))
}

/// PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
pub fn IoAllocateIrp(k: &mut Kx, stack_size: u8, _charge_quota: Boolean) -> KResult<Ptr> {
    let at = caller(k);
    Ok(Ptr(allocate(k, stack_size, Origin::Allocated, at)?.unwrap_or(0)))
}

/// VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize): the driver's own
/// memory becomes an IRP.
pub fn IoInitializeIrp(k: &mut Kx, irp: Ptr, packet_size: u16, stack_size: u8) -> KResult<()> {
    initialize(k, irp.0, packet_size as u64, stack_size)?;
    let io = &mut k.ext_mut().io;
    io.completed_irps.remove(&irp.0);
    io.driver_irps.entry(irp.0).or_insert(DriverIrp { origin: Origin::Initialized, mdl: None, out_len: 0 });
    Ok(())
}

/// VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus): reinitializes an IRP for another send,
/// keeping its size and allocation flags, with IoStatus.Status set.
pub fn IoReuseIrp(k: &mut Kx, irp: Ptr, st: NtStatus) -> KResult<()> {
    let mem = k.mem();
    let size = mem.get(irp.0, IRP::Size)?;
    let count = mem.get(irp.0, IRP::StackCount)? as u8;
    let flags = mem.get(irp.0, IRP::AllocationFlags)?;
    initialize(k, irp.0, size, count)?;
    k.mem_mut().set(irp.0, IRP::AllocationFlags, flags)?;
    irp::set_status(k, irp.0, st, 0)?;
    k.ext_mut().io.completed_irps.remove(&irp.0);
    Ok(())
}

fn bugcheck(k: &mut Kx, code: u32, name: &'static str, params: [u64; 4], reason: String) -> KError {
    let at = caller(k);
    KError::Stop(bugcheck_stop(k, Bugcheck { code, name, params, caller: at, reason }))
}

/// VOID IoFreeIrp(PIRP Irp)
pub fn IoFreeIrp(k: &mut Kx, irp: Ptr) -> KResult<()> {
    let at = caller(k);
    if k.ext().io.requests.contains_key(&irp.0) {
        return Err(bugcheck(
            k,
            0xC2,
            "BAD_POOL_CALLER",
            [7, irp.0, 0, 0],
            "IoFreeIrp on an IRP the I/O manager issued and still owns".into(),
        ));
    }
    if k.ext().io.deferred_frees.contains(&irp.0) {
        return Err(bugcheck(
            k,
            0xC2,
            "BAD_POOL_CALLER",
            [7, irp.0, 0, 0],
            "IoFreeIrp on an IRP the I/O manager already freed when it completed".into(),
        ));
    }
    crate::io::thread_irps::dequeue(k, irp.0)?;
    let d = k.ext_mut().io.driver_irps.remove(&irp.0);
    if let Some(m) = d.and_then(|d| d.mdl) {
        mdl::release(k, m)?;
    }
    let ty = k.mem().get(irp.0, IRP::Type).unwrap_or(0);
    if ty != crate::io::io_type::IRP {
        return Err(bugcheck(
            k,
            0xC2,
            "BAD_POOL_CALLER",
            [7, irp.0, 0, 0],
            "IoFreeIrp on something that is not an IRP".into(),
        ));
    }
    k.mem_mut().set(irp.0, IRP::Type, 0)?;
    pool::free(k, irp.0, None, at)
}

/// Whether `irp` is a live driver IRP.
pub(crate) fn is_driver_irp(k: &Kx, irp: u64) -> bool {
    k.ext().io.driver_irps.contains_key(&irp)
}

/// Sets the caller's event (KeSetEvent: a thread waiting on it wakes).
pub(crate) fn signal_event(k: &mut Kx, event: u64) -> KResult<()> {
    if event != 0 {
        crate::ke::event::set(k, event)?;
    }
    Ok(())
}

/// The I/O manager's part when a driver IRP completes to the top.
pub(crate) fn finish(k: &mut Kx, irp_addr: u64) -> KResult<()> {
    let Some(d) = k.ext().io.driver_irps.get(&irp_addr).cloned() else { return Ok(()) };
    if d.origin == Origin::Initialized {
        // The driver's own memory: nothing to release; its IO_STATUS_BLOCK stays in the IRP.
        k.ext_mut().io.completed_irps.insert(irp_addr);
        return Ok(());
    }
    // A power IRP PoRequestPowerIrp made: its completion function first.
    crate::po::completed(k, irp_addr)?;
    k.ext_mut().io.driver_irps.remove(&irp_addr);
    let (st, info) = irp::status_of(k, irp_addr)?;
    let mem = k.mem();
    let flags = mem.get(irp_addr, IRP::Flags)?;
    let system_buffer = mem.get(irp_addr, IRP::SystemBuffer)?;
    let user_buffer = mem.get(irp_addr, IRP::UserBuffer)?;
    let iosb = mem.get(irp_addr, IRP::UserIosb)?;
    let event = mem.get(irp_addr, IRP::UserEvent)?;
    let error = st.0 >> 30 == 3;
    if flags & IRP_BUFFERED_IO != 0 && system_buffer != 0 {
        if flags & IRP_INPUT_OPERATION != 0 && !error && user_buffer != 0 {
            let n = info.min(d.out_len);
            crate::rtl::memory::move_bytes(k, user_buffer, system_buffer, n)?;
        }
        if flags & IRP_DEALLOCATE_BUFFER != 0 {
            k.ext_mut().io.deferred_frees.push(system_buffer);
        }
    }
    if let Some(m) = d.mdl {
        mdl::release(k, m)?;
    }
    if iosb != 0 {
        k.mem_mut().set(iosb, IO_STATUS_BLOCK::Status, st.0 as u64)?;
        k.mem_mut().set(iosb, IO_STATUS_BLOCK::Information, info)?;
    }
    signal_event(k, event)?;
    let io = &mut k.ext_mut().io;
    io.completed_irps.insert(irp_addr);
    io.deferred_frees.push(irp_addr);
    Ok(())
}

/// A readable (and, for `write`, writable) range, as the probe before building an MDL.
fn accessible(k: &Kx, va: u64, len: u64) -> bool {
    len == 0 || (va != 0 && k.mem().translate(va).is_some() && k.mem().translate(va + len - 1).is_some())
}

/// A built request's IRP: StackSize from the device, kernel mode, the caller's thread.
fn built_irp(k: &mut Kx, device: u64, at: u64) -> KResult<Option<(u64, u64)>> {
    let stack = k.mem().get(device, DEVICE_OBJECT::StackSize)? as u8;
    let Some(irp) = allocate(k, stack, Origin::Built, at)? else { return Ok(None) };
    let thread = crate::ps::current_thread(k)?;
    k.mem_mut().set(irp, IRP::Thread, thread)?;
    let loc = irp::next_location(k, irp)?;
    Ok(Some((irp, loc)))
}

/// Undoes a half-built request (a buffer that failed the probe).
fn discard(k: &mut Kx, irp: u64, at: u64) -> KResult<()> {
    k.ext_mut().io.driver_irps.remove(&irp);
    let sb = k.mem().get(irp, IRP::SystemBuffer)?;
    if sb != 0 {
        pool::free(k, sb, None, at)?;
    }
    pool::free(k, irp, None, at)
}

/// PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject,
/// PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
/// BOOLEAN InternalDeviceIoControl, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)
#[allow(clippy::too_many_arguments)]
pub fn IoBuildDeviceIoControlRequest(
    k: &mut Kx,
    code: u32,
    device: Ptr,
    input: Ptr,
    in_len: u32,
    output: Ptr,
    out_len: u32,
    internal: Boolean,
    event: Ptr,
    iosb: Ptr,
) -> KResult<Ptr> {
    let at = caller(k);
    let Some((irp, loc)) = built_irp(k, device.0, at)? else { return Ok(Ptr(0)) };
    let (in_len, out_len) = (in_len as u64, out_len as u64);
    let m = code & 3;
    let mut flags = 0;
    let sb_len = match m {
        method::BUFFERED => in_len.max(out_len),
        method::IN_DIRECT | method::OUT_DIRECT => in_len,
        _ => 0,
    };
    if sb_len > 0 {
        if in_len > 0 && !accessible(k, input.0, in_len) {
            discard(k, irp, at)?;
            return Ok(Ptr(0));
        }
        let sb = pool::kernel_alloc(k, sb_len, b"IoSB")?;
        if in_len > 0 {
            crate::rtl::memory::move_bytes(k, sb, input.0, in_len)?;
        }
        k.mem_mut().set(irp, IRP::SystemBuffer, sb)?;
        flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        if m == method::BUFFERED && out_len > 0 {
            flags |= IRP_INPUT_OPERATION;
        }
    }
    let mut the_mdl = None;
    if matches!(m, method::IN_DIRECT | method::OUT_DIRECT) && out_len > 0 {
        if !accessible(k, output.0, out_len) {
            discard(k, irp, at)?;
            return Ok(Ptr(0));
        }
        let md = mdl::build(k, output.0, out_len)?;
        k.mem_mut().set(irp, IRP::MdlAddress, md)?;
        the_mdl = Some(md);
    }
    let major_code = if internal.0 { major::INTERNAL_DEVICE_CONTROL } else { major::DEVICE_CONTROL };
    let mem = k.mem_mut();
    mem.set(irp, IRP::Flags, flags)?;
    mem.set(irp, IRP::UserBuffer, output.0)?;
    mem.set(irp, IRP::UserIosb, iosb.0)?;
    mem.set(irp, IRP::UserEvent, event.0)?;
    mem.set(loc, IO_STACK_LOCATION::MajorFunction, major_code as u64)?;
    mem.set(loc, IO_STACK_LOCATION::OutputBufferLength, out_len)?;
    mem.set(loc, IO_STACK_LOCATION::InputBufferLength, in_len)?;
    mem.set(loc, IO_STACK_LOCATION::IoControlCode, code as u64)?;
    if m == method::NEITHER {
        mem.set(loc, IO_STACK_LOCATION::Type3InputBuffer, input.0)?;
    }
    if let Some(d) = k.ext_mut().io.driver_irps.get_mut(&irp) {
        d.mdl = the_mdl;
        d.out_len = out_len;
    }
    Ok(Ptr(irp))
}

fn build_fsd(
    k: &mut Kx,
    major_code: u32,
    device: Ptr,
    buffer: Ptr,
    length: u32,
    offset: Ptr,
    iosb: Ptr,
    at: u64,
) -> KResult<Ptr> {
    let Some((irp, loc)) = built_irp(k, device.0, at)? else { return Ok(Ptr(0)) };
    let major_code = major_code as u8;
    k.mem_mut().set(loc, IO_STACK_LOCATION::MajorFunction, major_code as u64)?;
    k.mem_mut().set(irp, IRP::UserIosb, iosb.0)?;
    if major_code == major::READ || major_code == major::WRITE {
        let len = length as u64;
        let dflags = k.mem().get(device.0, DEVICE_OBJECT::Flags)?;
        let mut flags = 0;
        let mut the_mdl = None;
        if len > 0 && !accessible(k, buffer.0, len) {
            discard(k, irp, at)?;
            return Ok(Ptr(0));
        }
        if dflags & device_flags::BUFFERED_IO != 0 {
            let sb = pool::kernel_alloc(k, len.max(1), b"IoSB")?;
            if major_code == major::WRITE {
                crate::rtl::memory::move_bytes(k, sb, buffer.0, len)?;
                flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
            } else {
                flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION;
            }
            k.mem_mut().set(irp, IRP::SystemBuffer, sb)?;
        } else if dflags & device_flags::DIRECT_IO != 0 && len > 0 {
            let md = mdl::build(k, buffer.0, len)?;
            k.mem_mut().set(irp, IRP::MdlAddress, md)?;
            the_mdl = Some(md);
        }
        let byte_offset = if offset.is_null() { 0 } else { k.mem().read_u64(offset.0)? };
        let mem = k.mem_mut();
        mem.set(irp, IRP::Flags, flags)?;
        mem.set(irp, IRP::UserBuffer, buffer.0)?;
        mem.set(loc, IO_STACK_LOCATION::ReadLength, len)?;
        mem.set(loc, IO_STACK_LOCATION::ReadByteOffset, byte_offset)?;
        if let Some(d) = k.ext_mut().io.driver_irps.get_mut(&irp) {
            d.mdl = the_mdl;
            d.out_len = if major_code == major::READ { len } else { 0 };
        }
    }
    Ok(Ptr(irp))
}

/// PIRP IoBuildAsynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject,
/// PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset, PIO_STATUS_BLOCK IoStatusBlock)
pub fn IoBuildAsynchronousFsdRequest(
    k: &mut Kx,
    major_code: u32,
    device: Ptr,
    buffer: Ptr,
    length: u32,
    offset: Ptr,
    iosb: Ptr,
) -> KResult<Ptr> {
    let at = caller(k);
    build_fsd(k, major_code, device, buffer, length, offset, iosb, at)
}

/// PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject,
/// PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset, PKEVENT Event,
/// PIO_STATUS_BLOCK IoStatusBlock)
#[allow(clippy::too_many_arguments)]
pub fn IoBuildSynchronousFsdRequest(
    k: &mut Kx,
    major_code: u32,
    device: Ptr,
    buffer: Ptr,
    length: u32,
    offset: Ptr,
    event: Ptr,
    iosb: Ptr,
) -> KResult<Ptr> {
    let at = caller(k);
    let irp = build_fsd(k, major_code, device, buffer, length, offset, iosb, at)?;
    if !irp.is_null() {
        k.mem_mut().set(irp.0, IRP::UserEvent, event.0)?;
    }
    Ok(irp)
}

// ---- cancellation ----------------------------------------------------------------------

const DISPATCH_LEVEL: u8 = 2;

/// Acquires the cancel spin lock; returns the IRQL to restore.
pub(crate) fn acquire_cancel_lock(k: &mut Kx) -> KResult<u8> {
    if k.ext().io.cancel_lock.is_some() {
        return Err(bugcheck(
            k,
            0x0F,
            "SPIN_LOCK_ALREADY_OWNED",
            [0, 0, 0, 0],
            "the cancel spin lock acquired again by its holder (a deadlock on a real system)".into(),
        ));
    }
    let old = crate::ke::irql::current(k)?;
    if old < DISPATCH_LEVEL {
        crate::ke::irql::set(k, DISPATCH_LEVEL)?;
    }
    k.ext_mut().io.cancel_lock = Some(old);
    Ok(old)
}

pub(crate) fn release_cancel_lock(k: &mut Kx, irql: u8) -> KResult<()> {
    if k.ext_mut().io.cancel_lock.take().is_none() {
        return Err(bugcheck(
            k,
            0x10,
            "SPIN_LOCK_NOT_OWNED",
            [0, 0, 0, 0],
            "IoReleaseCancelSpinLock without the cancel spin lock held".into(),
        ));
    }
    crate::ke::irql::set(k, irql)
}

/// VOID IoAcquireCancelSpinLock(PKIRQL Irql)
pub fn IoAcquireCancelSpinLock(k: &mut Kx, irql: Ptr) -> KResult<()> {
    let old = acquire_cancel_lock(k)?;
    k.mem_mut().write(irql.0, &[old])?;
    Ok(())
}

/// VOID IoReleaseCancelSpinLock(KIRQL Irql)
pub fn IoReleaseCancelSpinLock(k: &mut Kx, irql: u8) -> KResult<()> {
    release_cancel_lock(k, irql)
}

/// Swaps IRP.CancelRoutine (IoSetCancelRoutine's interlocked exchange).
pub(crate) fn exchange_cancel_routine(k: &mut Kx, irp: u64, routine: u64) -> KResult<u64> {
    let old = k.mem().get(irp, IRP::CancelRoutine)?;
    k.mem_mut().set(irp, IRP::CancelRoutine, routine)?;
    Ok(old)
}

/// The device of an IRP's current stack location (what a cancel routine is called with).
pub(crate) fn current_device(k: &Kx, irp: u64) -> KResult<u64> {
    let count = k.mem().get(irp, IRP::StackCount)?;
    let location = k.mem().get(irp, IRP::CurrentLocation)?;
    if location == 0 || location > count {
        return Ok(0);
    }
    let loc = k.mem().get(irp, IRP::CurrentStackLocation)?;
    Ok(k.mem().get(loc, IO_STACK_LOCATION::DeviceObject)?)
}

/// Calls a cancel routine with the cancel spin lock held (the routine releases it).
pub(crate) fn call_cancel_routine(k: &mut Kx, routine: u64, device: u64, irp: u64, irql: u8) -> KResult<()> {
    k.mem_mut().set(irp, IRP::CancelIrql, irql as u64)?;
    let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, routine, &[device, irp], conv)?;
    Ok(())
}

/// BOOLEAN IoCancelIrp(PIRP Irp): marks the IRP cancelled and calls its cancel routine,
/// if it has one (TRUE), with the cancel spin lock held.
pub fn IoCancelIrp(k: &mut Kx, irp: Ptr) -> KResult<Boolean> {
    let old = acquire_cancel_lock(k)?;
    k.mem_mut().set(irp.0, IRP::Cancel, 1)?;
    let routine = exchange_cancel_routine(k, irp.0, 0)?;
    if routine == 0 {
        release_cancel_lock(k, old)?;
        return Ok(Boolean(false));
    }
    let count = k.mem().get(irp.0, IRP::StackCount)?;
    if k.mem().get(irp.0, IRP::CurrentLocation)? > count + 1 {
        return Err(bugcheck(
            k,
            0x48,
            "CANCEL_STATE_IN_COMPLETED_IRP",
            [irp.0, routine, 0, 0],
            "IoCancelIrp found a cancel routine on an IRP that has completed".into(),
        ));
    }
    let device = current_device(k, irp.0)?;
    call_cancel_routine(k, routine, device, irp.0, old)?;
    Ok(Boolean(true))
}
