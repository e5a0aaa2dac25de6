//! Contexts: blocks a filter allocates (FltAllocateContext, sized by its
//! FLT_CONTEXT_REGISTRATION) and attaches to a volume, an instance, a stream or a file
//! object. A context lives while references remain: the attachment holds one, every Get and
//! the allocation hold one each until FltReleaseContext; at zero the filter's cleanup routine
//! runs and the memory goes.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::{st, Attachment, Context};
use crate::kernel::{caller, KResult, Kx};
use crate::types::{status, NtStatus, PoolTag, Ptr, SizeT};

/// FLT_*_CONTEXT types.
pub const VOLUME: u16 = 0x1;
pub const INSTANCE: u16 = 0x2;
pub const FILE: u16 = 0x4;
pub const STREAM: u16 = 0x8;
pub const STREAMHANDLE: u16 = 0x10;
pub const TRANSACTION: u16 = 0x20;
pub const SECTION: u16 = 0x40;
pub const ALL: u16 = 0x7F;
/// FLT_SET_CONTEXT_OPERATION.
const KEEP_IF_EXISTS: u32 = 1;
/// FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH.
const NO_EXACT_SIZE_MATCH: u16 = 1;
const VARIABLE_SIZE: u64 = u64::MAX;

/// Drops one reference; at zero the cleanup routine runs and the block is freed.
fn dereference(k: &mut Kx, context: u64) -> KResult<()> {
    let Some(c) = k.ext_mut().flt.contexts.get_mut(&context) else { return Ok(()) };
    c.references -= 1;
    if c.references > 0 {
        return Ok(());
    }
    let c = k.ext_mut().flt.contexts.remove(&context).expect("present");
    if c.cleanup != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, c.cleanup, &[context, c.kind as u64], conv)?;
    }
    crate::ex::pool::free(k, context, None, 0)
}

/// Takes a context off what it is attached to (the attachment's reference goes).
pub(crate) fn detach(k: &mut Kx, a: Attachment) -> KResult<()> {
    let Some(context) = k.ext_mut().flt.attached.remove(&a) else { return Ok(()) };
    if let Some(c) = k.ext_mut().flt.contexts.get_mut(&context) {
        c.attached = None;
    }
    dereference(k, context)
}

/// NTSTATUS FltAllocateContext(PFLT_FILTER Filter, FLT_CONTEXT_TYPE ContextType,
/// SIZE_T ContextSize, POOL_TYPE PoolType, PFLT_CONTEXT *ReturnedContext): a zeroed block of
/// the registered size (or larger registered size with NO_EXACT_SIZE_MATCH, or any size for
/// a variable-sized registration), with one reference.
pub fn FltAllocateContext(
    k: &mut Kx,
    filter: Ptr,
    kind: u32,
    size: SizeT,
    pool_type: u32,
    out: Ptr,
) -> KResult<NtStatus> {
    let Some(f) = super::filter(k, filter.0) else { return Ok(status::INVALID_PARAMETER) };
    let kind = kind as u16;
    if kind.count_ones() != 1 || kind & ALL == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let size = size.0;
    let mut fits: Vec<&super::ContextRegistration> = f
        .contexts
        .iter()
        .filter(|r| r.kind == kind)
        .filter(|r| r.size == size || r.size == VARIABLE_SIZE || (r.flags & NO_EXACT_SIZE_MATCH != 0 && r.size >= size))
        .collect();
    fits.sort_by_key(|r| r.size);
    let Some(reg) = fits.first().map(|r| (*r).clone()) else { return Ok(st::FLT_CONTEXT_ALLOCATION_NOT_FOUND) };
    let (owner, fa) = (f.owner, filter.0);
    let tag = if reg.tag != 0 { reg.tag } else { u32::from_le_bytes(*b"FMct") };
    let at = caller(k);
    let block_size = if reg.size == VARIABLE_SIZE { size } else { reg.size.max(size) };
    let Some(p) = crate::ex::pool::allocate(k, pool_type, block_size.max(1), tag, owner, at)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    crate::ex::pool::zero(k, p, block_size)?;
    k.ext_mut()
        .flt
        .contexts
        .insert(p, Context { filter: fa, kind, references: 1, cleanup: reg.cleanup, attached: None });
    k.mem_mut().write_ptr(out.0, p)?;
    Ok(status::SUCCESS)
}

/// VOID FltReleaseContext(PFLT_CONTEXT Context)
pub fn FltReleaseContext(k: &mut Kx, context: Ptr) -> KResult<()> {
    dereference(k, context.0)
}

/// VOID FltReferenceContext(PFLT_CONTEXT Context)
pub fn FltReferenceContext(k: &mut Kx, context: Ptr) -> KResult<()> {
    if let Some(c) = k.ext_mut().flt.contexts.get_mut(&context.0) {
        c.references += 1;
    }
    Ok(())
}

/// VOID FltDeleteContext(PFLT_CONTEXT Context): detaches it from what it is attached to.
pub fn FltDeleteContext(k: &mut Kx, context: Ptr) -> KResult<()> {
    let a = k.ext().flt.contexts.get(&context.0).and_then(|c| c.attached);
    if let Some(a) = a {
        detach(k, a)?;
    }
    Ok(())
}

/// Where a context of `kind` for `instance` and `fo` is attached, or the status refusing it.
fn attachment(k: &Kx, kind: u16, instance: u64, fo: u64) -> Result<Attachment, NtStatus> {
    if super::instance(k, instance).is_none() {
        return Err(status::INVALID_PARAMETER);
    }
    let node = || crate::fs::open_of(k, fo).map(|o| o.node).ok_or(status::NOT_SUPPORTED);
    Ok(match kind {
        VOLUME => Attachment::Volume(instance),
        INSTANCE => Attachment::Instance(instance),
        STREAM => Attachment::Stream(instance, node()?),
        FILE => Attachment::File(instance, node()?),
        STREAMHANDLE => {
            node()?;
            Attachment::StreamHandle(instance, fo)
        }
        _ => return Err(status::INVALID_PARAMETER),
    })
}

/// The common part of FltSet*Context.
fn set(k: &mut Kx, kind: u16, instance: u64, fo: u64, operation: u32, new: u64, old_out: u64) -> KResult<NtStatus> {
    let a = match attachment(k, kind, instance, fo) {
        Ok(a) => a,
        Err(s) => return Ok(s),
    };
    match k.ext().flt.contexts.get(&new) {
        Some(c) if c.kind == kind && c.attached.is_none() => {}
        Some(c) if c.attached.is_some() => return Ok(NtStatus(0xC01C_001C)), // STATUS_FLT_CONTEXT_ALREADY_LINKED
        _ => return Ok(status::INVALID_PARAMETER),
    }
    if let Some(&old) = k.ext().flt.attached.get(&a) {
        if operation == KEEP_IF_EXISTS {
            if old_out != 0 {
                FltReferenceContext(k, Ptr(old))?;
                k.mem_mut().write_ptr(old_out, old)?;
            }
            return Ok(st::FLT_CONTEXT_ALREADY_DEFINED);
        }
        // Replaced: the caller gets the old one's attachment reference, or it goes.
        k.ext_mut().flt.attached.remove(&a);
        if let Some(c) = k.ext_mut().flt.contexts.get_mut(&old) {
            c.attached = None;
        }
        if old_out != 0 {
            k.mem_mut().write_ptr(old_out, old)?;
        } else {
            dereference(k, old)?;
        }
    } else if old_out != 0 {
        k.mem_mut().write_ptr(old_out, 0)?;
    }
    let c = k.ext_mut().flt.contexts.get_mut(&new).expect("checked");
    c.references += 1;
    c.attached = Some(a);
    k.ext_mut().flt.attached.insert(a, new);
    Ok(status::SUCCESS)
}

/// The common part of FltGet*Context.
fn get(k: &mut Kx, kind: u16, instance: u64, fo: u64, out: u64) -> KResult<NtStatus> {
    let a = match attachment(k, kind, instance, fo) {
        Ok(a) => a,
        Err(s) => return Ok(s),
    };
    let Some(&c) = k.ext().flt.attached.get(&a) else {
        k.mem_mut().write_ptr(out, 0)?;
        return Ok(status::NOT_FOUND);
    };
    FltReferenceContext(k, Ptr(c))?;
    k.mem_mut().write_ptr(out, c)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltSetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
/// FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
pub fn FltSetStreamContext(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    operation: u32,
    new: Ptr,
    old: Ptr,
) -> KResult<NtStatus> {
    set(k, STREAM, instance.0, fo.0, operation, new.0, old.0)
}

/// NTSTATUS FltGetStreamContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
/// PFLT_CONTEXT *Context)
pub fn FltGetStreamContext(k: &mut Kx, instance: Ptr, fo: Ptr, out: Ptr) -> KResult<NtStatus> {
    get(k, STREAM, instance.0, fo.0, out.0)
}

/// FltSetStreamHandleContext: a context of the file object itself.
pub fn FltSetStreamHandleContext(
    k: &mut Kx,
    instance: Ptr,
    fo: Ptr,
    operation: u32,
    new: Ptr,
    old: Ptr,
) -> KResult<NtStatus> {
    set(k, STREAMHANDLE, instance.0, fo.0, operation, new.0, old.0)
}

pub fn FltGetStreamHandleContext(k: &mut Kx, instance: Ptr, fo: Ptr, out: Ptr) -> KResult<NtStatus> {
    get(k, STREAMHANDLE, instance.0, fo.0, out.0)
}

/// NTSTATUS FltSetInstanceContext(PFLT_INSTANCE Instance, FLT_SET_CONTEXT_OPERATION
/// Operation, PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
pub fn FltSetInstanceContext(k: &mut Kx, instance: Ptr, operation: u32, new: Ptr, old: Ptr) -> KResult<NtStatus> {
    set(k, INSTANCE, instance.0, 0, operation, new.0, old.0)
}

pub fn FltGetInstanceContext(k: &mut Kx, instance: Ptr, out: Ptr) -> KResult<NtStatus> {
    get(k, INSTANCE, instance.0, 0, out.0)
}

/// NTSTATUS FltSetVolumeContext(PFLT_VOLUME Volume, ...): the volume context of the calling
/// filter's instance on it.
pub fn FltSetVolumeContext(k: &mut Kx, volume: Ptr, operation: u32, new: Ptr, old: Ptr) -> KResult<NtStatus> {
    let Some(instance) = instance_on(k, volume.0, new.0) else { return Ok(status::INVALID_PARAMETER) };
    set(k, VOLUME, instance, 0, operation, new.0, old.0)
}

/// NTSTATUS FltGetVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume, PFLT_CONTEXT *Context)
pub fn FltGetVolumeContext(k: &mut Kx, filter: Ptr, volume: Ptr, out: Ptr) -> KResult<NtStatus> {
    if volume.0 != k.ext().flt.volume || volume.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let Some(instance) = k.ext().flt.instances.iter().find(|i| i.filter == filter.0).map(|i| i.address) else {
        return Ok(status::NOT_FOUND);
    };
    get(k, VOLUME, instance, 0, out.0)
}

/// The instance on `volume` of the filter that allocated `context`.
fn instance_on(k: &Kx, volume: u64, context: u64) -> Option<u64> {
    if volume != k.ext().flt.volume || volume == 0 {
        return None;
    }
    let filter = k.ext().flt.contexts.get(&context)?.filter;
    k.ext().flt.instances.iter().find(|i| i.filter == filter).map(|i| i.address)
}

/// Contexts a filter still holds (for FltUnregisterFilter): detached from its instances.
pub(crate) fn detach_instance(k: &mut Kx, instance: u64) -> KResult<()> {
    let gone: Vec<Attachment> = k
        .ext()
        .flt
        .attached
        .keys()
        .filter(|a| match a {
            Attachment::Volume(i) | Attachment::Instance(i) => *i == instance,
            Attachment::Stream(i, _) | Attachment::File(i, _) | Attachment::StreamHandle(i, _) => *i == instance,
        })
        .copied()
        .collect();
    for a in gone {
        detach(k, a)?;
    }
    Ok(())
}

/// PVOID FltAllocatePoolAlignedWithTag(PFLT_INSTANCE Instance, POOL_TYPE PoolType,
/// SIZE_T NumberOfBytes, ULONG Tag): cache-aligned pool (whole pages), so aligned for the
/// volume's 512-byte sectors.
pub fn FltAllocatePoolAlignedWithTag(
    k: &mut Kx,
    instance: Ptr,
    pool_type: u32,
    size: SizeT,
    tag: PoolTag,
) -> KResult<Ptr> {
    if super::instance(k, instance.0).is_none() {
        return Ok(Ptr(0));
    }
    const CACHE_ALIGNED: u32 = 4;
    let r = crate::ex::pool::allocate_for_caller(k, pool_type | CACHE_ALIGNED, size.0.max(1), tag.0)?;
    Ok(Ptr(r.unwrap_or(0)))
}

/// VOID FltFreePoolAlignedWithTag(PFLT_INSTANCE Instance, PVOID Buffer, ULONG Tag)
pub fn FltFreePoolAlignedWithTag(k: &mut Kx, _instance: Ptr, buffer: Ptr, tag: PoolTag) -> KResult<()> {
    crate::ex::pool::ExFreePoolWithTag(k, buffer, tag)
}
