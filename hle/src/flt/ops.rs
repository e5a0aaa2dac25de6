//! Operation callbacks: what the Filter Manager does around each file operation on the
//! volume. [`pre`] builds an FLT_CALLBACK_DATA and runs the pre-operation callbacks of the
//! instances, highest altitude first, honouring what each returns (complete the operation
//! with the status it set, call its post-operation callback later, or not); [`post`] runs the
//! post-operation callbacks in the reverse order with the operation's status, which a
//! callback may change. Parameters a callback changed count only if it marked the callback
//! data dirty (FltSetCallbackDataDirty), as on Windows.
//!
//! Not here: FLT_PREOP_PENDING and FLT_POSTOP_MORE_PROCESSING_REQUIRED need
//! FltCompletePendedPreOperation / FltCompletePendedPostOperation, which the kernel does not
//! implement: a pre-operation callback that pends fails the operation with
//! STATUS_NOT_SUPPORTED, and a post-operation callback that asks for more processing is
//! treated as finished.

use portcullis_emu::CallConv;

use super::layout::FLT_RELATED_OBJECTS as REL;
use super::layout::{size, FLT_CALLBACK_DATA as CBD, FLT_IO_PARAMETER_BLOCK as IOPB, FLT_PARAMETERS as P};
use crate::io::major;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, IO_STATUS_BLOCK};
use crate::types::{status, NtStatus};

/// FLTFL_CALLBACK_DATA_* flags.
pub const IRP_OPERATION: u64 = 0x1;
pub const POST_OPERATION: u64 = 0x8_0000;
pub const DIRTY: u64 = 0x8000_0000;

/// FLT_PREOP_CALLBACK_STATUS.
const SUCCESS_WITH_CALLBACK: u32 = 0;
const SUCCESS_NO_CALLBACK: u32 = 1;
const DISALLOW_FASTIO: u32 = 3;
const COMPLETE: u32 = 4;
const SYNCHRONIZE: u32 = 5;

/// The parameters of an operation, as FLT_PARAMETERS holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Params {
    /// `options`: CreateDisposition in the high 8 bits, CreateOptions in the low 24.
    Create {
        access: u32,
        options: u32,
        attributes: u32,
        share: u32,
        allocation: u64,
    },
    Transfer {
        length: u32,
        offset: u64,
        buffer: u64,
    },
    SetInformation {
        length: u32,
        class: u32,
        buffer: u64,
    },
    QueryInformation {
        length: u32,
        class: u32,
        buffer: u64,
    },
    None,
}

/// One file operation on the volume.
#[derive(Clone, Copy, Debug)]
pub struct FileOp {
    pub major: u8,
    pub file_object: u64,
    /// The request comes from user mode (RequestorMode).
    pub user: bool,
    pub params: Params,
    /// For I/O a filter starts (FltReadFile, FltCreateFile...): only instances below this
    /// altitude see it.
    pub below: Option<u64>,
}

/// An operation whose pre-operation callbacks have run.
#[derive(Debug)]
pub struct Started {
    block: u64,
    file_object: u64,
    /// (instance, post-operation routine, completion context), in pre-operation order.
    posts: Vec<(u64, u64, u64)>,
    /// The parameters after the callbacks (changed only through dirty callback data).
    pub params: Params,
}

/// What the pre-operation callbacks decided.
#[derive(Debug)]
pub enum Pre {
    /// Send the operation on (to the volume).
    Go(Started),
    /// A callback completed it with this status and information.
    Done(Started, NtStatus, u64),
}

fn irp_flags(m: u8) -> u64 {
    match m {
        major::CREATE => 0x80 | 0x4, // IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API
        major::READ => 0x100 | 0x4,  // IRP_READ_OPERATION
        major::WRITE => 0x200 | 0x4, // IRP_WRITE_OPERATION
        major::CLOSE => 0x400 | 0x4, // IRP_CLOSE_OPERATION
        _ => 0x4,
    }
}

/// The instances that see `op` on its way down, with their callbacks for it.
fn chosen(k: &Kx, op: &FileOp) -> Vec<(u64, u64, u64, u64)> {
    let s = &k.ext().flt;
    let limit = op.below.and_then(|b| s.instances.iter().position(|i| i.address == b));
    s.instances
        .iter()
        .enumerate()
        .filter(|(n, _)| limit.is_none_or(|l| *n > l))
        .filter_map(|(_, i)| {
            let f = s.filters.get(&i.filter)?;
            if !f.started || f.unregistering {
                return None;
            }
            let o = f.operations.iter().find(|o| o.major == op.major)?;
            Some((i.address, i.filter, o.pre, o.post))
        })
        .collect()
}

/// Whether any instance has callbacks for `major` (nothing to do otherwise).
pub fn watched(k: &Kx, m: u8) -> bool {
    let s = &k.ext().flt;
    s.instances.iter().any(|i| {
        s.filters
            .get(&i.filter)
            .is_some_and(|f| f.started && !f.unregistering && f.operations.iter().any(|o| o.major == m))
    })
}

fn write_params(k: &mut Kx, block: u64, p: Params) -> KResult<u64> {
    let arch = k.arch();
    let iopb = block + size(CBD::SIZE, arch);
    let at = IOPB::Parameters.at(arch, iopb);
    let sc = iopb + size(IOPB::SIZE, arch) + size(REL::SIZE, arch) + arch.ptr_size();
    let mem = k.mem_mut();
    match p {
        Params::Create { access, options, attributes, share, allocation } => {
            // IO_SECURITY_CONTEXT: SecurityQos, AccessState, DesiredAccess, FullCreateOptions.
            mem.write_u32(sc + 2 * arch.ptr_size(), access)?;
            mem.write_u32(sc + 2 * arch.ptr_size() + 4, options & 0xFF_FFFF)?;
            mem.set(at, P::CreateSecurityContext, sc)?;
            mem.set(at, P::CreateOptions, options as u64)?;
            mem.set(at, P::CreateFileAttributes, attributes as u64 & 0xFFFF)?;
            mem.set(at, P::CreateShareAccess, share as u64 & 0xFFFF)?;
            mem.set(at, P::CreateAllocationSize, allocation)?;
        }
        Params::Transfer { length, offset, buffer } => {
            mem.set(at, P::Length, length as u64)?;
            mem.set(at, P::ByteOffset, offset)?;
            mem.set(at, P::Buffer, buffer)?;
        }
        Params::SetInformation { length, class, buffer } => {
            mem.set(at, P::Length, length as u64)?;
            mem.set(at, P::InfoClass, class as u64)?;
            mem.set(at, P::SetInfoBuffer, buffer)?;
        }
        Params::QueryInformation { length, class, buffer } => {
            mem.set(at, P::Length, length as u64)?;
            mem.set(at, P::InfoClass, class as u64)?;
            mem.set(at, P::QueryInfoBuffer, buffer)?;
        }
        Params::None => {}
    }
    Ok(at)
}

fn read_params(k: &Kx, at: u64, p: Params) -> KResult<Params> {
    let mem = k.mem();
    Ok(match p {
        Params::Create { access, allocation, .. } => Params::Create {
            access,
            options: mem.get(at, P::CreateOptions)? as u32,
            attributes: mem.get(at, P::CreateFileAttributes)? as u32,
            share: mem.get(at, P::CreateShareAccess)? as u32,
            allocation,
        },
        Params::Transfer { .. } => Params::Transfer {
            length: mem.get(at, P::Length)? as u32,
            offset: mem.get(at, P::ByteOffset)?,
            buffer: mem.get(at, P::Buffer)?,
        },
        Params::SetInformation { .. } => Params::SetInformation {
            length: mem.get(at, P::Length)? as u32,
            class: mem.get(at, P::InfoClass)? as u32,
            buffer: mem.get(at, P::SetInfoBuffer)?,
        },
        Params::QueryInformation { .. } => Params::QueryInformation {
            length: mem.get(at, P::Length)? as u32,
            class: mem.get(at, P::InfoClass)? as u32,
            buffer: mem.get(at, P::QueryInfoBuffer)?,
        },
        Params::None => Params::None,
    })
}

/// Points the related objects and the IOPB at `instance`.
fn aim(k: &mut Kx, block: u64, instance: u64, filter: u64, fo: u64) -> KResult<u64> {
    let arch = k.arch();
    let iopb = block + size(CBD::SIZE, arch);
    let rel = iopb + size(IOPB::SIZE, arch);
    let volume = super::volume(k)?;
    let mem = k.mem_mut();
    mem.set(iopb, IOPB::TargetInstance, instance)?;
    mem.set(rel, REL::Size, size(REL::SIZE, arch))?;
    mem.set(rel, REL::Filter, filter)?;
    mem.set(rel, REL::Volume, volume)?;
    mem.set(rel, REL::Instance, instance)?;
    mem.set(rel, REL::FileObject, fo)?;
    Ok(rel)
}

/// Runs the pre-operation callbacks for `op`.
pub fn pre(k: &mut Kx, op: &FileOp) -> KResult<Pre> {
    let list = chosen(k, op);
    let mut started = Started { block: 0, file_object: op.file_object, posts: Vec::new(), params: op.params };
    if list.is_empty() {
        return Ok(Pre::Go(started));
    }
    let arch = k.arch();
    let ps = arch.ptr_size();
    let total = size(CBD::SIZE, arch) + size(IOPB::SIZE, arch) + size(REL::SIZE, arch) + ps + 2 * ps + 8;
    let block = crate::ex::pool::kernel_alloc(k, total, b"FMcb")?;
    started.block = block;
    let iopb = block + size(CBD::SIZE, arch);
    let rel_size = size(REL::SIZE, arch);
    let slot = iopb + size(IOPB::SIZE, arch) + rel_size;
    let thread = crate::ps::current_thread(k)?;
    let mem = k.mem_mut();
    mem.set(block, CBD::Flags, IRP_OPERATION)?;
    mem.set(block, CBD::Thread, thread)?;
    mem.set(block, CBD::Iopb, iopb)?;
    mem.set(block, CBD::RequestorMode, op.user as u64)?;
    mem.set(iopb, IOPB::IrpFlags, irp_flags(op.major))?;
    mem.set(iopb, IOPB::MajorFunction, op.major as u64)?;
    mem.set(iopb, IOPB::TargetFileObject, op.file_object)?;
    let params_at = write_params(k, block, op.params)?;
    let conv = CallConv::Stdcall.for_arch(arch);
    for (instance, filter, pre_routine, post_routine) in list {
        let rel = aim(k, block, instance, filter, op.file_object)?;
        if pre_routine == 0 {
            started.posts.push((instance, post_routine, 0));
            continue;
        }
        k.mem_mut().write_ptr(slot, 0)?;
        let r = crate::ke::scheduler::call(k, pre_routine, &[block, rel, slot], conv)? as u32;
        let flags = k.mem().get(block, CBD::Flags)?;
        if flags & DIRTY != 0 {
            started.params = read_params(k, params_at, started.params)?;
            k.mem_mut().set(block, CBD::Flags, flags & !DIRTY)?;
        }
        let context = k.mem().read_ptr(slot)?;
        match r {
            SUCCESS_WITH_CALLBACK | SYNCHRONIZE if post_routine != 0 => {
                started.posts.push((instance, post_routine, context))
            }
            SUCCESS_WITH_CALLBACK | SYNCHRONIZE | SUCCESS_NO_CALLBACK | DISALLOW_FASTIO => {}
            COMPLETE => {
                let io = CBD::IoStatus.at(arch, block);
                let st = NtStatus(k.mem().get(io, IO_STATUS_BLOCK::Status)? as u32);
                let info = k.mem().get(io, IO_STATUS_BLOCK::Information)?;
                return Ok(Pre::Done(started, st, info));
            }
            _ => return Ok(Pre::Done(started, status::NOT_SUPPORTED, 0)),
        }
    }
    Ok(Pre::Go(started))
}

/// Runs the post-operation callbacks of a started operation that ended with `st`/`info`;
/// returns the status and information after them.
pub fn post(k: &mut Kx, started: Started, st: NtStatus, info: u64) -> KResult<(NtStatus, u64)> {
    if started.block == 0 {
        return Ok((st, info));
    }
    let arch = k.arch();
    let block = started.block;
    let io = CBD::IoStatus.at(arch, block);
    let (mut st, mut info) = (st, info);
    let conv = CallConv::Stdcall.for_arch(arch);
    for &(instance, routine, context) in started.posts.iter().rev() {
        let filter = super::instance(k, instance).map(|i| i.filter).unwrap_or(0);
        let rel = aim(k, block, instance, filter, started.file_object)?;
        let mem = k.mem_mut();
        mem.set(io, IO_STATUS_BLOCK::Status, st.0 as u64)?;
        mem.set(io, IO_STATUS_BLOCK::Information, info)?;
        let flags = mem.get(block, CBD::Flags)?;
        mem.set(block, CBD::Flags, flags | POST_OPERATION)?;
        crate::ke::scheduler::call(k, routine, &[block, rel, context, 0], conv)?;
        st = NtStatus(k.mem().get(io, IO_STATUS_BLOCK::Status)? as u32);
        info = k.mem().get(io, IO_STATUS_BLOCK::Information)?;
    }
    super::buffers::release(k, block)?;
    crate::ex::pool::free(k, block, None, 0)?;
    Ok((st, info))
}

/// Runs `op` through the filters around `body`, the volume's own work.
pub fn filtered(
    k: &mut Kx,
    op: FileOp,
    body: impl FnOnce(&mut Kx, Params) -> KResult<(NtStatus, u64)>,
) -> KResult<(NtStatus, u64)> {
    if !watched(k, op.major) {
        return body(k, op.params);
    }
    match pre(k, &op)? {
        Pre::Go(started) => {
            let params = started.params;
            let (st, info) = body(k, params)?;
            post(k, started, st, info)
        }
        Pre::Done(started, st, info) => post(k, started, st, info),
    }
}

/// A file object on the volume is going: its stream-handle contexts are detached, its name
/// leaves the cache, and with the last open of its file the stream contexts go too.
pub fn forget_file(k: &mut Kx, fo: u64) -> KResult<()> {
    k.ext_mut().flt.cached_names.remove(&fo);
    k.ext_mut().flt.targeted.remove(&fo);
    let node = crate::fs::open_of(k, fo).map(|o| o.node);
    let mut gone: Vec<super::Attachment> = k
        .ext()
        .flt
        .attached
        .keys()
        .filter(|a| matches!(a, super::Attachment::StreamHandle(_, f) if *f == fo))
        .copied()
        .collect();
    if let Some(n) = node {
        let last = k.ext().volume.node(n).opens.keys().all(|f| *f == fo);
        if last {
            gone.extend(
                k.ext().flt.attached.keys().filter(
                    |a| matches!(a, super::Attachment::Stream(_, m) | super::Attachment::File(_, m) if *m == n),
                ),
            );
        }
    }
    for a in gone {
        super::context::detach(k, a)?;
    }
    Ok(())
}
