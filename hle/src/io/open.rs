//! Files drivers open on other drivers' devices (`ZwCreateFile` on `\Device\X`): the I/O
//! manager sends the device IRP_MJ_CREATE with the caller's mode, IRP_MJ_CLEANUP when the
//! last handle closes, and IRP_MJ_CLOSE when the last reference goes. Requests complete
//! synchronously; a create the driver leaves pending is reported as STATUS_PENDING and makes
//! no handle (Windows waits for its completion inside the open; a kernel routine here cannot
//! go on with its own work after a wait that parks its caller).

use crate::ex::pool;
use crate::fs::open::Create;
use crate::io::ea::Captured;
use crate::io::request::{
    new_id, new_irp, new_irp_at, Request, IRP_CLOSE_OPERATION, IRP_CREATE_OPERATION, IRP_SYNCHRONOUS_API,
};
use crate::io::{device_flags, irp, major};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_STACK_LOCATION, IRP};
use crate::ob::handles::Mode;
use crate::types::{status, NtStatus};

/// Sends an IRP the kernel built and returns (what the dispatch routine returned, the final
/// status and information once completed).
fn send(k: &mut Kx, device: u64, irp_addr: u64, req: Request) -> KResult<(NtStatus, Option<(NtStatus, u64)>)> {
    let device = crate::io::stack::top(k, device)?;
    send_to(k, device, irp_addr, req)
}

/// [`send`] to `device` itself, not the top of its stack.
fn send_to(k: &mut Kx, device: u64, irp_addr: u64, req: Request) -> KResult<(NtStatus, Option<(NtStatus, u64)>)> {
    let id = req.id;
    k.ext_mut().io.requests.insert(irp_addr, req);
    let returned = irp::call_driver(k, device, irp_addr)?;
    let completion = k.ext_mut().io.completions.remove(&id).map(|c| (c.status, c.information));
    Ok((returned, completion))
}

fn plain_request(k: &mut Kx, major_code: u8, extra: Vec<u64>) -> Request {
    Request { extra, ..Request::new(new_id(k), major_code) }
}

/// Opens `rest` on `device` (IRP_MJ_CREATE); returns (file object, IoStatus.Information).
pub(crate) fn kernel_open(
    k: &mut Kx,
    device: u64,
    rest: &str,
    c: Create,
    mode: Mode,
    ea: Option<Captured>,
) -> KResult<Result<(u64, u64), NtStatus>> {
    let top = crate::io::stack::top(k, device)?;
    kernel_open_at(k, device, top, rest, c, mode, ea)
}

/// [`kernel_open`] with the create sent to `to`, a device of `device`'s stack (the file
/// object is still `device`'s, as IoCreateFileSpecifyDeviceObjectHint makes it). The
/// captured extended attributes `ea` are the request's SystemBuffer, with
/// Parameters.Create.EaLength, and go when it completes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn kernel_open_at(
    k: &mut Kx,
    device: u64,
    to: u64,
    rest: &str,
    c: Create,
    mode: Mode,
    ea: Option<Captured>,
) -> KResult<Result<(u64, u64), NtStatus>> {
    let flags = k.mem().get(device, DEVICE_OBJECT::Flags)?;
    let refused = if flags & device_flags::DEVICE_INITIALIZING != 0 {
        Some(status::NO_SUCH_DEVICE)
    } else if flags & device_flags::EXCLUSIVE != 0 && k.mem().get(device, DEVICE_OBJECT::ReferenceCount)? != 0 {
        Some(status::ACCESS_DENIED)
    } else {
        None
    };
    if let Some(st) = refused {
        crate::io::ea::release(k, ea)?;
        return Ok(Err(st));
    }
    let fo_flags = if c.options & 0x30 != 0 { 0x2 } else { 0 }; // FO_SYNCHRONOUS_IO
    let fo = crate::io::file::create_transient(k, device, rest, fo_flags, c.access, c.share)?;
    // IO_SECURITY_CONTEXT: SecurityQos, AccessState, DesiredAccess, FullCreateOptions.
    let ps = k.arch().ptr_size();
    let sc = pool::kernel_alloc(k, 2 * ps + 8, b"IoSc")?;
    k.mem_mut().write_u32(sc + 2 * ps, c.access)?;
    k.mem_mut().write_u32(sc + 2 * ps + 4, c.options)?;
    let (irp_addr, loc) = new_irp_at(k, to, fo, major::CREATE, IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API)?;
    let mem = k.mem_mut();
    mem.set(irp_addr, IRP::RequestorMode, (mode == Mode::User) as u64)?;
    mem.set(loc, IO_STACK_LOCATION::CreateSecurityContext, sc)?;
    mem.set(loc, IO_STACK_LOCATION::CreateOptions, ((c.disposition as u64) << 24) | (c.options as u64 & 0xFF_FFFF))?;
    mem.set(loc, IO_STACK_LOCATION::CreateShareAccess, c.share as u64)?;
    mem.set(loc, IO_STACK_LOCATION::CreateFileAttributes, c.attributes as u64)?;
    if let Some(ea) = ea {
        mem.set(irp_addr, IRP::SystemBuffer, ea.buffer)?;
        mem.set(loc, IO_STACK_LOCATION::CreateEaLength, u64::from(ea.length))?;
    }
    let req = Request { system_buffer: ea.map(|ea| ea.buffer), ..plain_request(k, major::CREATE, vec![sc]) };
    let (_, completion) = send_to(k, to, irp_addr, req)?;
    crate::io::release_deferred(k)?;
    match completion {
        Some((st, info)) if st.is_success() => {
            let rc = k.mem().get(device, DEVICE_OBJECT::ReferenceCount)?;
            k.mem_mut().set(device, DEVICE_OBJECT::ReferenceCount, rc + 1)?;
            k.ext_mut().io.kernel_files.insert(fo, device);
            Ok(Ok((fo, info)))
        }
        Some((st, _)) => {
            k.ext_mut().objects.unregister(fo);
            pool::free(k, fo, None, 0)?;
            Ok(Err(st))
        }
        None => Ok(Err(status::PENDING)),
    }
}

/// The last handle to a file a driver opened on a device closed: IRP_MJ_CLEANUP (once).
pub(crate) fn cleanup(k: &mut Kx, fo: u64) -> KResult<()> {
    let Some(&device) = k.ext().io.kernel_files.get(&fo) else { return Ok(()) };
    if !k.ext_mut().io.cleaned_files.insert(fo) {
        return Ok(());
    }
    let (irp_addr, _) = new_irp(k, device, fo, major::CLEANUP, IRP_SYNCHRONOUS_API)?;
    k.mem_mut().set(irp_addr, IRP::RequestorMode, 0)?;
    let req = plain_request(k, major::CLEANUP, vec![]);
    send(k, device, irp_addr, req)?;
    crate::io::release_deferred(k)
}

/// A file object a driver opened on a device went with its last reference: IRP_MJ_CLEANUP
/// if no handle close sent it, IRP_MJ_CLOSE, and the device is referenced once less.
pub(crate) fn closed(k: &mut Kx, fo: u64) -> KResult<()> {
    cleanup(k, fo)?;
    k.ext_mut().io.cleaned_files.remove(&fo);
    let Some(device) = k.ext_mut().io.kernel_files.remove(&fo) else { return Ok(()) };
    let (irp_addr, _) = new_irp(k, device, fo, major::CLOSE, IRP_SYNCHRONOUS_API | IRP_CLOSE_OPERATION)?;
    k.mem_mut().set(irp_addr, IRP::RequestorMode, 0)?;
    let req = plain_request(k, major::CLOSE, vec![]);
    send(k, device, irp_addr, req)?;
    crate::io::release_deferred(k)?;
    let rc = k.mem().get(device, DEVICE_OBJECT::ReferenceCount)?;
    k.mem_mut().set(device, DEVICE_OBJECT::ReferenceCount, rc.saturating_sub(1))?;
    pool::free(k, fo, None, 0)
}
