//! Requests from the (simulated) user program: open, device control, read, write, close.
//!
//! Each does what NtCreateFile / NtDeviceIoControlFile / NtReadFile / NtWriteFile / NtClose
//! do in the I/O manager: the caller's buffers live in user memory; an IRP is built with the
//! transfer method's buffers (a SystemBuffer copy, an MDL over the caller's buffer, or the
//! raw user pointers), sent to the device, and when it completes the output is copied back
//! and everything the I/O manager allocated is released.

use portcullis_emu::{Prot, RegionKind, PAGE_SIZE};
use serde::Serialize;

use crate::ex::pool;
use crate::io::{device_flags, file, irp, major, method};
use crate::kernel::{bugcheck_stop, Bugcheck, KError, KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, IO_STACK_LOCATION, IRP};
use crate::mm::mdl;
use crate::types::{status, NtStatus, Ptr};

/// Identifies one request until its result is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RequestId(pub u64);

/// An open handle of the simulated user program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileHandle(pub u64);

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Completion {
    pub id: RequestId,
    pub status: NtStatus,
    pub information: u64,
    /// The caller's output buffer after completion, up to `information` bytes.
    pub output: Vec<u8>,
}

/// What the caller sees when the request returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IoResult {
    pub id: RequestId,
    /// The status the dispatch routine returned.
    pub returned: NtStatus,
    /// The final result, when the IRP has completed (absent while it is pending).
    pub completion: Option<Completion>,
}

impl IoResult {
    /// The status the caller ends up with: the completion's, or STATUS_PENDING.
    pub fn status(&self) -> NtStatus {
        self.completion.as_ref().map(|c| c.status).unwrap_or(status::PENDING)
    }

    pub fn output(&self) -> &[u8] {
        self.completion.as_ref().map(|c| c.output.as_slice()).unwrap_or(&[])
    }

    pub fn information(&self) -> u64 {
        self.completion.as_ref().map(|c| c.information).unwrap_or(0)
    }
}

/// The I/O manager's bookkeeping for one outstanding IRP.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) id: RequestId,
    pub(crate) major: u8,
    pub(crate) system_buffer: Option<u64>,
    /// Copy the SystemBuffer to the caller's output buffer on success.
    pub(crate) copy_back: bool,
    pub(crate) user_in: Option<(u64, u64)>,
    pub(crate) user_out: Option<(u64, u64)>,
    /// The address space the caller's buffers are in.
    pub(crate) space: portcullis_emu::SpaceId,
    pub(crate) mdl: Option<u64>,
    pub(crate) extra: Vec<u64>,
    /// The caller's buffers are raw addresses it gave (METHOD_NEITHER): nothing is read back
    /// from them or released.
    pub(crate) raw: bool,
    /// What the completion tells the caller in its own memory, for a request that returned
    /// pending ([`notify_on_completion`]).
    pub(crate) notify: Option<Notify>,
}

impl Request {
    /// A request `id` of `major` with no buffers yet.
    pub(crate) fn new(id: RequestId, major: u8) -> Request {
        Request {
            id,
            major,
            system_buffer: None,
            copy_back: false,
            user_in: None,
            user_out: None,
            space: 0,
            mdl: None,
            extra: vec![],
            raw: false,
            notify: None,
        }
    }
}

/// What the I/O manager does for a caller when its pending request completes, as Windows does
/// for NtDeviceIoControlFile's IoStatusBlock and Event: the output reaches the caller's
/// buffer, the status block is written, the events are set.
#[derive(Clone, Debug, Default)]
pub struct Notify {
    /// The caller's output buffer and its size (where the output is copied).
    pub output: Option<(u64, u64)>,
    /// The caller's IO_STATUS_BLOCK (an OVERLAPPED's Internal and InternalHigh): Status,
    /// then Information at the pointer size.
    pub status_block: Option<u64>,
    /// Event objects (of the object manager) set when the request completes; each is
    /// referenced while the request is outstanding.
    pub events: Vec<u64>,
    /// The caller's process (its EPROCESS), whose address space the buffer and status
    /// block are in (0: whichever is loaded when the request completes).
    pub process: u64,
}

/// The caller's output buffer: its size, and what it holds before the call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutBuffer {
    pub len: u64,
    pub initial: Option<Vec<u8>>,
}

impl OutBuffer {
    pub fn zeroed(len: u64) -> OutBuffer {
        OutBuffer { len, initial: None }
    }

    pub fn with(bytes: Vec<u8>) -> OutBuffer {
        OutBuffer { len: bytes.len() as u64, initial: Some(bytes) }
    }
}

/// Largest buffer a single request may carry (the caller's side is the host's to choose,
/// but it still lands in guest memory).
pub const MAX_BUFFER: u64 = 64 << 20;

/// A buffer of the caller's, in the user half of the address space loaded (one of the
/// same size given back before, in the same space, is used again).
pub(crate) fn user_buffer(k: &mut Kx, data: &[u8], len: u64) -> KResult<u64> {
    let size = len.max(1).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let space = k.mem().space();
    let reuse = k.ext().io.user_buffers.iter().position(|(sp, _, s)| *s == size && *sp == space);
    let base = match reuse {
        Some(i) => k.ext_mut().io.user_buffers.swap_remove(i).1,
        None => k.mem_mut().alloc(RegionKind::User, "user buffer", size, Prot::RW)?,
    };
    let mut bytes = data.to_vec();
    bytes.resize(len as usize, 0);
    k.mem_mut().write(base, &bytes)?;
    Ok(base)
}

/// Gives back a buffer [`user_buffer`] made in address space `space`.
pub(crate) fn release_user_buffer(k: &mut Kx, space: portcullis_emu::SpaceId, base: u64, len: u64) {
    let size = len.max(1).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    k.ext_mut().io.user_buffers.push((space, base, size));
}

pub(crate) fn new_id(k: &mut Kx) -> RequestId {
    let io = &mut k.ext_mut().io;
    io.next_request += 1;
    RequestId(io.next_request)
}

/// Builds an IRP for `device` with its next stack location set up for `major` on `file`.
/// The IRP is sized for the top of `device`'s stack, where it goes.
pub(crate) fn new_irp(k: &mut Kx, device: u64, file: u64, major: u8, flags: u64) -> KResult<(u64, u64)> {
    let top = crate::io::stack::top(k, device)?;
    new_irp_at(k, top, file, major, flags)
}

/// [`new_irp`] for an IRP that goes to `to` itself, wherever it is in its stack.
pub(crate) fn new_irp_at(k: &mut Kx, to: u64, file: u64, major: u8, flags: u64) -> KResult<(u64, u64)> {
    let stack_size = k.mem().get(to, DEVICE_OBJECT::StackSize)?.max(1) as u8;
    let irp = irp::allocate(k, stack_size)?;
    let loc = irp::next_location(k, irp)?;
    let mem = k.mem_mut();
    mem.set(loc, IO_STACK_LOCATION::MajorFunction, major as u64)?;
    mem.set(loc, IO_STACK_LOCATION::FileObject, file)?;
    mem.set(irp, IRP::Flags, flags)?;
    mem.set(irp, IRP::RequestorMode, 1)?; // UserMode
    mem.set(irp, IRP::OriginalFileObject, file)?;
    Ok((irp, loc))
}

pub(crate) const IRP_SYNCHRONOUS_API: u64 = 0x4;
pub(crate) const IRP_BUFFERED_IO: u64 = 0x10;
pub(crate) const IRP_DEALLOCATE_BUFFER: u64 = 0x20;
pub(crate) const IRP_INPUT_OPERATION: u64 = 0x40;
pub(crate) const IRP_CREATE_OPERATION: u64 = 0x80;
pub(crate) const IRP_READ_OPERATION: u64 = 0x100;
pub(crate) const IRP_WRITE_OPERATION: u64 = 0x200;
pub(crate) const IRP_CLOSE_OPERATION: u64 = 0x400;

/// The thread a request runs in (the requesting program's, or the user program's) and the
/// thread and mode to return to after it.
fn requester_threads(k: &Kx) -> (u64, (u64, bool)) {
    match k.ext().io.requester {
        Some(t) => (t, (t, true)),
        None => (k.ext().system.user_thread, (k.ext().system.system_thread, false)),
    }
}

/// Runs the volume's part of a request in the requesting program's thread, as the system
/// service would (the minifilters' callbacks see it as the requestor), then returns.
fn as_requester<T>(k: &mut Kx, work: impl FnOnce(&mut Kx) -> KResult<T>) -> KResult<T> {
    let (thread, after) = requester_threads(k);
    crate::ps::set_current_thread(k, thread, true)?;
    let r = work(k);
    crate::ps::set_current_thread(k, after.0, after.1)?;
    r
}

/// Sends a prepared IRP to the top of `device`'s stack and collects what the caller sees.
fn issue(k: &mut Kx, device: u64, irp: u64, req: Request) -> KResult<IoResult> {
    let device = crate::io::stack::top(k, device)?;
    let id = req.id;
    k.ext_mut().io.requests.insert(irp, req);
    let (thread, after) = requester_threads(k);
    crate::ps::set_current_thread(k, thread, true)?;
    crate::ps::sync_time(k)?;
    let returned = irp::call_driver(k, device, irp);
    // Back to user mode: kernel APCs must be enabled again (APC_INDEX_MISMATCH).
    let returned = returned.and_then(|r| crate::ke::apc::check_at_return(k).map(|_| r));
    crate::ps::set_current_thread(k, after.0, after.1)?;
    let returned = returned?;
    check_irql_at_return(k)?;
    let completion = k.ext_mut().io.completions.remove(&id);
    crate::io::release_deferred(k)?;
    Ok(IoResult { id, returned, completion })
}

/// A request returns to user mode at PASSIVE_LEVEL; a driver that left the IRQL raised
/// bugchecks as on Windows.
fn check_irql_at_return(k: &mut Kx) -> KResult<()> {
    let irql = crate::ke::irql::current(k)?;
    if irql != 0 {
        let b = Bugcheck {
            code: 0x4A,
            name: "IRQL_GT_ZERO_AT_SYSTEM_SERVICE",
            params: [0, irql as u64, 0, 0],
            caller: 0,
            reason: format!("the dispatch routine returned at IRQL {irql}"),
        };
        return Err(KError::Stop(bugcheck_stop(k, b)));
    }
    Ok(())
}

/// The I/O manager's completion work for a request it issued (called at the end of
/// IofCompleteRequest).
pub(crate) fn finish(k: &mut Kx, irp_addr: u64) -> KResult<()> {
    let Some(req) = k.ext_mut().io.requests.remove(&irp_addr) else { return Ok(()) };
    k.ext_mut().io.completed_irps.insert(irp_addr);
    let (st, info) = irp::status_of(k, irp_addr)?;
    let ok = st.0 >> 30 != 3; // success, informational or warning
    let mut output = Vec::new();
    if let (false, Some((out, out_len))) = (req.raw, req.user_out) {
        let n = info.min(out_len);
        if ok {
            if let (true, Some(sb)) = (req.copy_back, req.system_buffer) {
                crate::rtl::memory::move_bytes(k, out, sb, n)?;
            }
            output = vec![0u8; n as usize];
            k.mem().read(out, &mut output)?;
        }
    }
    if let Some(m) = req.mdl {
        mdl::release(k, m)?;
    }
    let io = &mut k.ext_mut().io;
    io.deferred_frees.extend(req.system_buffer);
    io.deferred_frees.extend(req.extra.iter().copied());
    io.deferred_frees.push(irp_addr);
    if !req.raw {
        for (b, l) in req.user_in.into_iter().chain(req.user_out) {
            release_user_buffer(k, req.space, b, l);
        }
    }
    if let Some(n) = &req.notify {
        apply_notify(k, n, st, info, &output)?;
    }
    k.ext_mut().io.completions.insert(req.id, Completion { id: req.id, status: st, information: info, output });
    Ok(())
}

/// Tells the caller of a completed request what [`Notify`] asks. A caller buffer or status
/// block that is gone is the caller's loss (Windows' completion APC would fault in the
/// caller's context); the events are set regardless.
fn apply_notify(k: &mut Kx, n: &Notify, st: NtStatus, info: u64, output: &[u8]) -> KResult<()> {
    // Written in the caller's address space, as the completion APC runs in its thread.
    let write = |k: &mut Kx| {
        if let Some((at, len)) = n.output {
            let count = (output.len() as u64).min(len) as usize;
            if count > 0 {
                let _ = k.mem_mut().write(at, &output[..count]);
            }
        }
        if let Some(iosb) = n.status_block {
            let ps = k.arch().ptr_size();
            let _ = k.mem_mut().write_u32(iosb, st.0);
            let _ = k.mem_mut().write_ptr(iosb + ps, info);
        }
        Ok(())
    };
    if n.process == 0 {
        write(k)?;
    } else {
        crate::mm::space::in_process(k, n.process, write)?;
    }
    for &event in &n.events {
        crate::ke::event::KeSetEvent(k, Ptr(event), 0, crate::types::Boolean(false))?;
        crate::ob::ObfDereferenceObject(k, Ptr(event))?;
    }
    Ok(())
}

/// Asks that a request left pending tell its caller when it completes ([`Notify`]). False
/// when the request is no longer outstanding (it completed, or never existed).
pub fn notify_on_completion(k: &mut Kx, id: RequestId, notify: Notify) -> KResult<bool> {
    let Some(r) = k.ext_mut().io.requests.values_mut().find(|r| r.id == id) else { return Ok(false) };
    let old = r.notify.replace(notify.clone());
    for event in notify.events {
        crate::ob::ObfReferenceObject(k, Ptr(event))?;
    }
    release_notify(k, old)?;
    Ok(true)
}

/// Takes back what [`notify_on_completion`] asked of a request still outstanding (its caller
/// is gone): the completion will tell nobody.
pub fn cancel_notify(k: &mut Kx, id: RequestId) -> KResult<()> {
    let old = k.ext_mut().io.requests.values_mut().find(|r| r.id == id).and_then(|r| r.notify.take());
    release_notify(k, old)
}

fn release_notify(k: &mut Kx, notify: Option<Notify>) -> KResult<()> {
    for event in notify.map(|n| n.events).unwrap_or_default() {
        crate::ob::ObfDereferenceObject(k, Ptr(event))?;
    }
    Ok(())
}

/// Turns `\\.\NAME` (or `NAME`) into `\??\NAME`; NT paths pass through.
pub fn nt_path(path: &str) -> String {
    let p = path.replace('/', "\\");
    if let Some(rest) = p.strip_prefix("\\\\.\\").or_else(|| p.strip_prefix("\\\\?\\")) {
        format!("\\??\\{rest}")
    } else if p.starts_with('\\') {
        p
    } else {
        format!("\\??\\{p}")
    }
}

/// What CreateFile asks for by default: GENERIC_READ | GENERIC_WRITE.
pub const DEFAULT_ACCESS: u32 = 0xC000_0000;
const FILE_READ_DATA: u32 = 0x1;
const FILE_WRITE_DATA: u32 = 0x2;
const FILE_APPEND_DATA: u32 = 0x4;

/// Opens a device by path (`\\.\NAME`, `\??\NAME`, `\Device\NAME`) with CreateFile's
/// default access: IRP_MJ_CREATE. Returns the handle, or the status the open failed with
/// (with the create's result when the driver saw it).
pub fn open(k: &mut Kx, path: &str) -> KResult<(Result<FileHandle, NtStatus>, Option<IoResult>)> {
    open_with(k, path, DEFAULT_ACCESS)
}

/// [`open`] asking for `access` (generic rights map to the file ones). The device's
/// security descriptor is checked against the user program's token first (a path below the
/// device skips the check unless the device has FILE_DEVICE_SECURE_OPEN, as on Windows):
/// STATUS_ACCESS_DENIED without an IRP.
pub fn open_with(k: &mut Kx, path: &str, access: u32) -> KResult<(Result<FileHandle, NtStatus>, Option<IoResult>)> {
    create_with(k, path, access, crate::fs::open::FILE_OPEN)
}

/// [`open_with`] with NtCreateFile's `disposition` (FILE_OPEN, FILE_CREATE, FILE_OPEN_IF,
/// FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_SUPERSEDE): files of the volume are created,
/// truncated or replaced as it says (the result's Information is FILE_CREATED, FILE_OPENED,
/// ...); a device is opened whatever it says, its driver being the one to care.
pub fn create_with(
    k: &mut Kx,
    path: &str,
    access: u32,
    disposition: u32,
) -> KResult<(Result<FileHandle, NtStatus>, Option<IoResult>)> {
    let access = crate::se::sd::map_generic(access, crate::se::sd::FILE_GENERIC_MAPPING);
    let nt = nt_path(path);
    let Some((object, rest)) = k.ext().objects.resolve(&nt) else {
        return Ok((Err(status::OBJECT_NAME_NOT_FOUND), None));
    };
    if k.ext().objects.get(object).map(|o| o.kind) != Some(crate::ob::ObjectKind::Device) {
        return Ok((Err(NtStatus(0xC000_0024)), None)); // STATUS_OBJECT_TYPE_MISMATCH
    }
    if object == k.ext().volume.device {
        return volume_open(k, path, &rest, access, disposition);
    }
    let flags = k.mem().get(object, DEVICE_OBJECT::Flags)?;
    if flags & device_flags::DEVICE_INITIALIZING != 0 {
        return Ok((Err(status::NO_SUCH_DEVICE), None));
    }
    if flags & device_flags::EXCLUSIVE != 0 && k.ext().io.files.values().any(|f| f.device == object) {
        return Ok((Err(status::ACCESS_DENIED), None));
    }
    const FILE_DEVICE_SECURE_OPEN: u64 = 0x100;
    let secure = k.mem().get(object, DEVICE_OBJECT::Characteristics)? & FILE_DEVICE_SECURE_OPEN != 0;
    if rest.is_empty() || secure {
        // The caller's token: the program's making the request, or the sandbox's own
        // user process for a scenario's request.
        let process = match k.ext().io.requester {
            Some(thread) => k.mem().get(thread, crate::layout::ETHREAD::ApcStateProcess)?,
            None => k.ext().system.user_process,
        };
        let t = crate::se::process_token(k, process)?;
        let token = crate::se::token(k, t).expect("a token");
        let sd = crate::se::sd::of_object(k, object);
        if let Err(st) = crate::se::sd::access_check(&token, &sd, access, crate::se::sd::FILE_GENERIC_MAPPING) {
            return Ok((Err(st), None));
        }
    }
    let file = file::create(k, object, &rest)?;
    // IO_SECURITY_CONTEXT: SecurityQos, AccessState, DesiredAccess, FullCreateOptions.
    let ps = k.arch().ptr_size();
    let sc = pool::kernel_alloc(k, 2 * ps + 8, b"IoSc")?;
    k.mem_mut().write_u32(sc + 2 * ps, access)?;
    k.mem_mut().write_u32(sc + 2 * ps + 4, 0x20)?; // FILE_SYNCHRONOUS_IO_NONALERT
    let (irp_addr, loc) = new_irp(k, object, file, major::CREATE, IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API)?;
    let mem = k.mem_mut();
    mem.set(loc, IO_STACK_LOCATION::CreateSecurityContext, sc)?;
    mem.set(loc, IO_STACK_LOCATION::CreateOptions, (1 << 24) | 0x20)?; // FILE_OPEN
    mem.set(loc, IO_STACK_LOCATION::CreateShareAccess, 3)?;
    mem.set(loc, IO_STACK_LOCATION::CreateFileAttributes, 0x80)?;
    let id = new_id(k);
    let req = Request { extra: vec![sc], ..Request::new(id, major::CREATE) };
    let r = issue(k, object, irp_addr, req)?;
    let st = r.status();
    if st.is_success() && st != status::PENDING {
        let io = &mut k.ext_mut().io;
        io.next_handle += 4;
        let h = io.next_handle;
        io.files.insert(
            h,
            file::OpenFile { file_object: file, device: object, path: path.to_string(), device_deleted: false, access },
        );
        let rc = k.mem().get(object, DEVICE_OBJECT::ReferenceCount)?;
        k.mem_mut().set(object, DEVICE_OBJECT::ReferenceCount, rc + 1)?;
        Ok((Ok(FileHandle(h)), Some(r)))
    } else {
        if st != status::PENDING {
            file::destroy(k, file)?;
        }
        Ok((Err(st), Some(r)))
    }
}

/// The result of a request the volume served at once.
fn done(k: &mut Kx, st: NtStatus, information: u64, output: Vec<u8>) -> IoResult {
    let id = new_id(k);
    IoResult { id, returned: st, completion: Some(Completion { id, status: st, information, output }) }
}

/// CreateFile of a file on the C: volume (FILE_OPEN, shared read and write), through the
/// minifilters.
fn volume_open(
    k: &mut Kx,
    path: &str,
    rest: &str,
    access: u32,
    disposition: u32,
) -> KResult<(Result<FileHandle, NtStatus>, Option<IoResult>)> {
    use crate::fs::open::{Create, FILE_SYNCHRONOUS_IO_NONALERT};
    let c = Create {
        access,
        attributes: 0x80,
        share: 3,
        disposition,
        options: FILE_SYNCHRONOUS_IO_NONALERT,
        allocation: 0,
    };
    let rest = if rest.is_empty() { "\\" } else { rest };
    match as_requester(k, |k| crate::fs::open::filtered(k, rest, c, 0, true, None))? {
        Ok((fo, information)) => {
            let r = done(k, status::SUCCESS, information, vec![]);
            let device = k.ext().volume.device;
            let io = &mut k.ext_mut().io;
            io.next_handle += 4;
            let h = io.next_handle;
            io.files.insert(
                h,
                file::OpenFile { file_object: fo, device, path: path.to_string(), device_deleted: false, access },
            );
            Ok((Ok(FileHandle(h)), Some(r)))
        }
        Err(st) => {
            let r = done(k, st, 0, vec![]);
            Ok((Err(st), Some(r)))
        }
    }
}

/// ReadFile / WriteFile on a file of the volume, through the minifilters.
fn volume_transfer(k: &mut Kx, f: &file::OpenFile, write: Option<&[u8]>, len: u64, offset: u64) -> KResult<IoResult> {
    let Some(node) = crate::fs::open_of(k, f.file_object).map(|o| o.node) else { return Ok(bad_handle(k)) };
    if k.ext().volume.node(node).directory {
        return Ok(done(k, status::INVALID_DEVICE_REQUEST, 0, vec![]));
    }
    let length = len.min(u32::MAX as u64);
    let buffer = user_buffer(k, write.unwrap_or(&[]), length)?;
    let space = k.mem().space();
    let fo = f.file_object;
    let major_code = if write.is_some() { major::WRITE } else { major::READ };
    let op = crate::fs::rw::transfer_op(major_code, fo, length as u32, offset, buffer, true);
    let (st, n) = crate::flt::ops::filtered(k, op, |k, p| {
        if write.is_some() {
            crate::fs::rw::write_at(k, fo, node, p, 0)
        } else {
            crate::fs::rw::read_at(k, fo, node, p)
        }
    })?;
    let mut output = vec![0u8; if write.is_none() && st.is_success() { n.min(length) as usize } else { 0 }];
    k.mem().read(buffer, &mut output)?;
    release_user_buffer(k, space, buffer, length);
    Ok(done(k, st, n, output))
}

/// The size of the volume file open as `h` (None for a device or a directory).
pub fn file_size(k: &Kx, h: FileHandle) -> Option<u64> {
    let f = k.ext().io.files.get(&h.0)?;
    if f.device != k.ext().volume.device {
        return None;
    }
    let node = k.ext().volume.node(crate::fs::open_of(k, f.file_object)?.node);
    (!node.directory).then_some(node.data.len() as u64)
}

/// The type of the device the file open as `h` is on (DEVICE_OBJECT.DeviceType: FILE_DEVICE_*).
pub fn device_type(k: &Kx, h: FileHandle) -> Option<u32> {
    let f = k.ext().io.files.get(&h.0)?;
    k.mem().get(f.device, crate::layout::DEVICE_OBJECT::DeviceType).ok().map(|t| t as u32)
}

fn open_file(k: &Kx, h: FileHandle) -> Option<file::OpenFile> {
    k.ext().io.files.get(&h.0).cloned()
}

/// A request the I/O manager refused before any IRP: the handle lacks the access.
fn denied(k: &mut Kx) -> IoResult {
    let id = new_id(k);
    IoResult {
        id,
        returned: status::ACCESS_DENIED,
        completion: Some(Completion { id, status: status::ACCESS_DENIED, information: 0, output: vec![] }),
    }
}

fn bad_handle(k: &mut Kx) -> IoResult {
    let id = new_id(k);
    IoResult {
        id,
        returned: status::INVALID_HANDLE,
        completion: Some(Completion { id, status: status::INVALID_HANDLE, information: 0, output: vec![] }),
    }
}

/// DeviceIoControl: `code`'s transfer method decides how the buffers reach the driver.
pub fn device_control(
    k: &mut Kx,
    h: FileHandle,
    code: u32,
    input: &[u8],
    out: &OutBuffer,
    internal: bool,
) -> KResult<IoResult> {
    let Some(f) = open_file(k, h) else { return Ok(bad_handle(k)) };
    // The access the code asks for, against the handle's (NtDeviceIoControlFile's check).
    let required = (code >> 14) & 3;
    if (required & 1 != 0 && f.access & FILE_READ_DATA == 0) || (required & 2 != 0 && f.access & FILE_WRITE_DATA == 0) {
        return Ok(denied(k));
    }
    let in_len = input.len() as u64;
    let out_len = out.len;
    let user_in = if in_len > 0 { Some((user_buffer(k, input, in_len)?, in_len)) } else { None };
    let user_out = if out_len > 0 {
        Some((user_buffer(k, out.initial.as_deref().unwrap_or(&[]), out_len)?, out_len))
    } else {
        None
    };
    let mut req = Request {
        user_in,
        user_out,
        space: k.mem().space(),
        ..Request::new(new_id(k), if internal { major::INTERNAL_DEVICE_CONTROL } else { major::DEVICE_CONTROL })
    };
    let m = code & 3;
    let mut flags = IRP_SYNCHRONOUS_API;
    let sb_len = match m {
        method::BUFFERED => in_len.max(out_len),
        method::IN_DIRECT | method::OUT_DIRECT => in_len,
        _ => 0,
    };
    if sb_len > 0 {
        let sb = pool::kernel_alloc(k, sb_len, b"IoSB")?;
        if let Some((u, l)) = user_in {
            crate::rtl::memory::move_bytes(k, sb, u, l)?;
        }
        req.system_buffer = Some(sb);
        flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        if m == method::BUFFERED && out_len > 0 {
            flags |= IRP_INPUT_OPERATION;
            req.copy_back = true;
        }
    }
    if matches!(m, method::IN_DIRECT | method::OUT_DIRECT) {
        if let Some((u, l)) = user_out {
            req.mdl = Some(mdl::build(k, u, l)?);
        }
    }
    control_irp(k, &f, code, req, flags)
}

/// DeviceIoControl with METHOD_NEITHER buffers at raw addresses of the caller's, `(address,
/// length)`: the I/O manager passes such pointers to the driver unprobed, so this is how a
/// driver's handling of pointers into unmapped or kernel memory is tested. Nothing is read
/// back from them. `code` must use METHOD_NEITHER.
pub fn device_control_raw(
    k: &mut Kx,
    h: FileHandle,
    code: u32,
    input: (u64, u64),
    output: (u64, u64),
    internal: bool,
) -> KResult<IoResult> {
    debug_assert_eq!(code & 3, method::NEITHER);
    let Some(f) = open_file(k, h) else { return Ok(bad_handle(k)) };
    let required = (code >> 14) & 3;
    if (required & 1 != 0 && f.access & FILE_READ_DATA == 0) || (required & 2 != 0 && f.access & FILE_WRITE_DATA == 0) {
        return Ok(denied(k));
    }
    let req = Request {
        user_in: Some(input),
        user_out: Some(output),
        raw: true,
        ..Request::new(new_id(k), if internal { major::INTERNAL_DEVICE_CONTROL } else { major::DEVICE_CONTROL })
    };
    control_irp(k, &f, code, req, IRP_SYNCHRONOUS_API)
}

/// The IRP of a device control request, its stack location filled in, issued.
fn control_irp(k: &mut Kx, f: &file::OpenFile, code: u32, req: Request, flags: u64) -> KResult<IoResult> {
    let (in_len, out_len) = (req.user_in.map_or(0, |u| u.1), req.user_out.map_or(0, |u| u.1));
    let (user_in, user_out) = (req.user_in, req.user_out);
    let (irp_addr, loc) = buffered_irp(k, f, &req, flags, user_out)?;
    let mem = k.mem_mut();
    mem.set(loc, IO_STACK_LOCATION::OutputBufferLength, out_len)?;
    mem.set(loc, IO_STACK_LOCATION::InputBufferLength, in_len)?;
    mem.set(loc, IO_STACK_LOCATION::IoControlCode, code as u64)?;
    mem.set(loc, IO_STACK_LOCATION::Type3InputBuffer, user_in.map(|(u, _)| u).unwrap_or(0))?;
    // What the handle grants, for IoValidateDeviceIoControlAccess.
    let granted = if f.access & FILE_READ_DATA != 0 { crate::io::misc::SL_READ_ACCESS_GRANTED } else { 0 }
        | if f.access & FILE_WRITE_DATA != 0 { crate::io::misc::SL_WRITE_ACCESS_GRANTED } else { 0 };
    mem.set(loc, IO_STACK_LOCATION::Flags, granted)?;
    issue(k, f.device, irp_addr, req)
}

/// A new IRP for `req` with its three buffer fields filled in; returns (IRP, stack location).
fn buffered_irp(
    k: &mut Kx,
    f: &file::OpenFile,
    req: &Request,
    flags: u64,
    user: Option<(u64, u64)>,
) -> KResult<(u64, u64)> {
    let (irp, loc) = new_irp(k, f.device, f.file_object, req.major, flags)?;
    let mem = k.mem_mut();
    mem.set(irp, IRP::SystemBuffer, req.system_buffer.unwrap_or(0))?;
    mem.set(irp, IRP::MdlAddress, req.mdl.unwrap_or(0))?;
    mem.set(irp, IRP::UserBuffer, user.map(|(u, _)| u).unwrap_or(0))?;
    Ok((irp, loc))
}

/// ReadFile / WriteFile: buffered, direct or neither by the device's flags.
fn transfer(k: &mut Kx, h: FileHandle, write: Option<&[u8]>, len: u64, offset: u64) -> KResult<IoResult> {
    let Some(f) = open_file(k, h) else { return Ok(bad_handle(k)) };
    let need = if write.is_some() { FILE_WRITE_DATA | FILE_APPEND_DATA } else { FILE_READ_DATA };
    if f.access & need == 0 {
        return Ok(denied(k));
    }
    if f.device == k.ext().volume.device {
        return as_requester(k, |k| volume_transfer(k, &f, write, len, offset));
    }
    let dflags = k.mem().get(f.device, DEVICE_OBJECT::Flags)?;
    let user = if len > 0 { Some((user_buffer(k, write.unwrap_or(&[]), len)?, len)) } else { None };
    let mut req = Request::new(new_id(k), if write.is_some() { major::WRITE } else { major::READ });
    if write.is_some() {
        req.user_in = user;
    } else {
        req.user_out = user;
    }
    let mut flags = IRP_SYNCHRONOUS_API | if write.is_some() { IRP_WRITE_OPERATION } else { IRP_READ_OPERATION };
    if let Some((u, l)) = user {
        if dflags & device_flags::BUFFERED_IO != 0 {
            let sb = pool::kernel_alloc(k, l, b"IoSB")?;
            if write.is_some() {
                crate::rtl::memory::move_bytes(k, sb, u, l)?;
            } else {
                req.copy_back = true;
                flags |= IRP_INPUT_OPERATION;
            }
            req.system_buffer = Some(sb);
            flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        } else if dflags & device_flags::DIRECT_IO != 0 {
            req.mdl = Some(mdl::build(k, u, l)?);
        }
    }
    let (irp_addr, loc) = buffered_irp(k, &f, &req, flags, user)?;
    let mem = k.mem_mut();
    mem.set(loc, IO_STACK_LOCATION::ReadLength, len)?;
    mem.set(loc, IO_STACK_LOCATION::ReadByteOffset, offset)?;
    issue(k, f.device, irp_addr, req)
}

pub fn read(k: &mut Kx, h: FileHandle, len: u64, offset: u64) -> KResult<IoResult> {
    transfer(k, h, None, len, offset)
}

pub fn write(k: &mut Kx, h: FileHandle, data: &[u8], offset: u64) -> KResult<IoResult> {
    transfer(k, h, Some(data), data.len() as u64, offset)
}

/// FlushFileBuffers: IRP_MJ_FLUSH_BUFFERS to the file's device, for a handle open for
/// writing (else STATUS_ACCESS_DENIED). A file of the volume, which is memory, has nothing
/// to write back.
pub fn flush(k: &mut Kx, h: FileHandle) -> KResult<IoResult> {
    let Some(f) = open_file(k, h) else { return Ok(bad_handle(k)) };
    if f.access & (FILE_WRITE_DATA | FILE_APPEND_DATA) == 0 {
        return Ok(denied(k));
    }
    if f.device == k.ext().volume.device {
        return Ok(done(k, status::SUCCESS, 0, vec![]));
    }
    let req = Request::new(new_id(k), major::FLUSH_BUFFERS);
    let (irp_addr, _) = buffered_irp(k, &f, &req, IRP_SYNCHRONOUS_API, None)?;
    issue(k, f.device, irp_addr, req)
}

/// CloseHandle: IRP_MJ_CLEANUP, then IRP_MJ_CLOSE; the file object goes away.
pub fn close(k: &mut Kx, h: FileHandle) -> KResult<(IoResult, IoResult)> {
    let Some(f) = open_file(k, h) else {
        let a = bad_handle(k);
        let b = bad_handle(k);
        return Ok((a, b));
    };
    if f.device == k.ext().volume.device {
        // CloseHandle of a file on the volume: the minifilters see IRP_MJ_CLEANUP and
        // IRP_MJ_CLOSE, and the file object goes.
        k.ext_mut().io.files.remove(&h.0);
        as_requester(k, |k| crate::fs::open::cleanup(k, f.file_object))?;
        let cleanup = done(k, status::SUCCESS, 0, vec![]);
        k.ext_mut().objects.unregister(f.file_object);
        as_requester(k, |k| crate::fs::open::closed(k, f.file_object))?;
        let close = done(k, status::SUCCESS, 0, vec![]);
        return Ok((cleanup, close));
    }
    let mut results = Vec::new();
    for (major, flags) in
        [(major::CLEANUP, IRP_SYNCHRONOUS_API), (major::CLOSE, IRP_SYNCHRONOUS_API | IRP_CLOSE_OPERATION)]
    {
        let (irp_addr, _) = new_irp(k, f.device, f.file_object, major, flags)?;
        let req = Request::new(new_id(k), major);
        results.push(issue(k, f.device, irp_addr, req)?);
    }
    k.ext_mut().io.files.remove(&h.0);
    file::destroy(k, f.file_object)?;
    if f.device_deleted {
        if !k.ext().io.files.values().any(|o| o.device == f.device) {
            k.ext_mut().objects.unregister(f.device);
            pool::free(k, f.device, None, 0)?;
        }
    } else {
        let rc = k.mem().get(f.device, DEVICE_OBJECT::ReferenceCount)?;
        k.mem_mut().set(f.device, DEVICE_OBJECT::ReferenceCount, rc.saturating_sub(1))?;
    }
    let close = results.pop().expect("two results");
    let cleanup = results.pop().expect("two results");
    Ok((cleanup, close))
}

/// The result of a request that was pending when it returned, once it has completed.
pub fn take_completion(k: &mut Kx, id: RequestId) -> Option<Completion> {
    k.ext_mut().io.completions.remove(&id)
}

/// Requests still outstanding (issued, not completed).
pub fn outstanding(k: &Kx) -> Vec<(RequestId, &'static str)> {
    k.ext().io.requests.values().map(|r| (r.id, major::name(r.major))).collect()
}

/// The open handles.
pub fn handles(k: &Kx) -> Vec<(FileHandle, String)> {
    k.ext().io.files.iter().map(|(h, f)| (FileHandle(*h), f.path.clone())).collect()
}

/// Whether `p` points into the memory of a request's caller (for reports).
pub fn is_user_buffer(k: &Kx, p: Ptr) -> bool {
    k.mem().region_at(p.0).is_some_and(|r| r.kind == RegionKind::User)
}
