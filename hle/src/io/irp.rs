//! IRPs: allocation, IofCallDriver, IofCompleteRequest.
//!
//! Stack locations follow Windows: an IRP of StackSize N has locations 1..N laid out after
//! it; a fresh IRP has CurrentLocation = N + 1 (one past the last), and each IofCallDriver
//! moves one location down before calling the next driver. IofCompleteRequest walks back up,
//! calling each completion routine its stack location asks for, until one returns
//! STATUS_MORE_PROCESSING_REQUIRED or the top is reached, where the I/O manager finishes
//! the request (copies buffered output back, releases buffers and mappings).
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::ex::pool;
use crate::io::{driver, io_type};
use crate::kernel::{bugcheck_stop, caller, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_STACK_LOCATION, IO_STATUS_BLOCK, IRP};
use crate::types::{status, NtStatus, Ptr};

pub const SL_PENDING_RETURNED: u64 = 0x01;
pub const SL_INVOKE_ON_CANCEL: u64 = 0x20;
pub const SL_INVOKE_ON_SUCCESS: u64 = 0x40;
pub const SL_INVOKE_ON_ERROR: u64 = 0x80;

fn sizes(k: &Kx) -> (u64, u64) {
    let arch = k.arch();
    (IRP::STRUCT.size(arch), IO_STACK_LOCATION::STRUCT.size(arch))
}

/// A zeroed IRP with `stack_size` locations, none current yet.
pub fn allocate(k: &mut Kx, stack_size: u8) -> KResult<u64> {
    let (irp_size, loc_size) = sizes(k);
    let total = irp_size + stack_size as u64 * loc_size;
    let irp = pool::kernel_alloc(k, total, b"Irp ")?;
    let thread = crate::ps::current_thread(k)?;
    let arch = k.arch();
    let mem = k.mem_mut();
    mem.set(irp, IRP::Type, io_type::IRP)?;
    mem.set(irp, IRP::Size, total)?;
    mem.set(irp, IRP::StackCount, stack_size as u64)?;
    mem.set(irp, IRP::CurrentLocation, stack_size as u64 + 1)?;
    mem.set(irp, IRP::CurrentStackLocation, irp + total)?;
    let list = IRP::ThreadListEntry.at(arch, irp);
    crate::layout::list::init(mem, list)?;
    mem.set(irp, IRP::Thread, thread)?;
    Ok(irp)
}

/// The stack location the next IofCallDriver will make current.
pub fn next_location(k: &Kx, irp: u64) -> KResult<u64> {
    let (_, loc_size) = sizes(k);
    Ok(k.mem().get(irp, IRP::CurrentStackLocation)?.wrapping_sub(loc_size))
}

pub fn set_status(k: &mut Kx, irp: u64, st: NtStatus, information: u64) -> KResult<()> {
    let io = IRP::IoStatus.at(k.arch(), irp);
    k.mem_mut().set(io, IO_STATUS_BLOCK::Status, st.0 as u64)?;
    k.mem_mut().set(io, IO_STATUS_BLOCK::Information, information)?;
    Ok(())
}

pub fn status_of(k: &Kx, irp: u64) -> KResult<(NtStatus, u64)> {
    let io = IRP::IoStatus.at(k.arch(), irp);
    let st = k.mem().get(io, IO_STATUS_BLOCK::Status)? as u32;
    let info = k.mem().get(io, IO_STATUS_BLOCK::Information)?;
    Ok((NtStatus(st), info))
}

fn irp_bugcheck(k: &mut Kx, code: u32, name: &'static str, irp: u64, reason: String) -> KError {
    let b = Bugcheck { code, name, params: [irp, 0, 0, 0], caller: caller(k), reason };
    KError::Stop(bugcheck_stop(k, b))
}

/// Sends `irp` to `device`: moves to the next stack location, records the device there and
/// calls the driver's dispatch routine for the location's major function.
pub fn call_driver(k: &mut Kx, device: u64, irp: u64) -> KResult<NtStatus> {
    let (_, loc_size) = sizes(k);
    let location = k.mem().get(irp, IRP::CurrentLocation)?;
    if location <= 1 {
        return Err(irp_bugcheck(
            k,
            0x35,
            "NO_MORE_IRP_STACK_LOCATIONS",
            irp,
            "IofCallDriver past the last stack location".into(),
        ));
    }
    let stack = k.mem().get(irp, IRP::CurrentStackLocation)?.wrapping_sub(loc_size);
    k.mem_mut().set(irp, IRP::CurrentLocation, location - 1)?;
    k.mem_mut().set(irp, IRP::CurrentStackLocation, stack)?;
    k.mem_mut().set(stack, IO_STACK_LOCATION::DeviceObject, device)?;
    let major = k.mem().get(stack, IO_STACK_LOCATION::MajorFunction)? as u8;
    let driver_object = k.mem().get(device, DEVICE_OBJECT::DriverObject)?;
    let routine = driver::dispatch_routine(k, driver_object, major)?;
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, routine, &[device, irp], conv)?;
    Ok(NtStatus(r as u32))
}

/// NTSTATUS IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp) (fastcall on x86)
pub fn IofCallDriver(k: &mut Kx, device: Ptr, irp: Ptr) -> KResult<NtStatus> {
    call_driver(k, device.0, irp.0)
}

/// VOID IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost) (fastcall on x86)
pub fn IofCompleteRequest(k: &mut Kx, irp: Ptr, _boost: u8) -> KResult<()> {
    let at = caller(k);
    complete(k, irp, at)
}

/// Completes an IRP: the stack walk, then the I/O manager's part for requests it issued.
pub fn complete(k: &mut Kx, irp: Ptr, at: u64) -> KResult<()> {
    let irp = irp.0;
    let known = k.ext().io.requests.contains_key(&irp) || crate::io::irps::is_driver_irp(k, irp);
    if !known || k.ext().io.completed_irps.contains(&irp) {
        let why = if known || k.ext().io.completed_irps.contains(&irp) {
            "IofCompleteRequest on an IRP that was already completed"
        } else {
            "IofCompleteRequest on something that is not an outstanding IRP"
        };
        let b = Bugcheck {
            code: 0x44,
            name: "MULTIPLE_IRP_COMPLETE_REQUESTS",
            params: [irp, 0, 0, 0],
            caller: at,
            reason: why.into(),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    let (_, loc_size) = sizes(k);
    let count = k.mem().get(irp, IRP::StackCount)?;
    let mut location = k.mem().get(irp, IRP::CurrentLocation)?;
    let mut stack = k.mem().get(irp, IRP::CurrentStackLocation)?;
    if location > count + 1 {
        return Err(irp_bugcheck(
            k,
            0x44,
            "MULTIPLE_IRP_COMPLETE_REQUESTS",
            irp,
            "completion of an IRP that is not in any driver".into(),
        ));
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    while location <= count {
        let here = stack;
        // Move up first: a completion routine runs with the caller's location current.
        location += 1;
        stack = stack.wrapping_add(loc_size);
        k.mem_mut().set(irp, IRP::CurrentLocation, location)?;
        k.mem_mut().set(irp, IRP::CurrentStackLocation, stack)?;
        let mem = k.mem();
        let control = mem.get(here, IO_STACK_LOCATION::Control)?;
        let routine = mem.get(here, IO_STACK_LOCATION::CompletionRoutine)?;
        let context = mem.get(here, IO_STACK_LOCATION::Context)?;
        let pending = control & SL_PENDING_RETURNED != 0;
        k.mem_mut().set(irp, IRP::PendingReturned, pending as u64)?;
        let (st, _) = status_of(k, irp)?;
        let cancelled = k.mem().get(irp, IRP::Cancel)? != 0;
        let wanted = (st.is_success() && control & SL_INVOKE_ON_SUCCESS != 0)
            || (!st.is_success() && control & SL_INVOKE_ON_ERROR != 0)
            || (cancelled && control & SL_INVOKE_ON_CANCEL != 0);
        clear_location(k, here)?;
        if routine != 0 && wanted {
            let device = if location == count + 1 { 0 } else { k.mem().get(stack, IO_STACK_LOCATION::DeviceObject)? };
            let r = crate::ke::scheduler::call(k, routine, &[device, irp, context], conv)?;
            if r as u32 == status::MORE_PROCESSING_REQUIRED.0 {
                // The routine keeps the IRP; it will complete it again later.
                return Ok(());
            }
        } else if pending && location <= count {
            // Propagate the pending mark to the caller's location (IoMarkIrpPending).
            let c = k.mem().get(stack, IO_STACK_LOCATION::Control)?;
            k.mem_mut().set(stack, IO_STACK_LOCATION::Control, c | SL_PENDING_RETURNED)?;
        }
    }
    crate::io::thread_irps::dequeue(k, irp)?;
    if crate::io::irps::is_driver_irp(k, irp) {
        crate::io::irps::finish(k, irp)
    } else {
        crate::io::request::finish(k, irp)
    }
}

fn clear_location(k: &mut Kx, loc: u64) -> KResult<()> {
    let mem = k.mem_mut();
    mem.set(loc, IO_STACK_LOCATION::MinorFunction, 0)?;
    mem.set(loc, IO_STACK_LOCATION::Flags, 0)?;
    mem.set(loc, IO_STACK_LOCATION::Control, 0)?;
    mem.set(loc, IO_STACK_LOCATION::CompletionRoutine, 0)?;
    mem.set(loc, IO_STACK_LOCATION::Context, 0)?;
    Ok(())
}
