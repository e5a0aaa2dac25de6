//! WDFDPC (`wdfdpc.h`): a kernel DPC (`ke::dpc`) the framework owns, whose deferred routine
//! is the framework's [`FxDpcThunk`], which calls the driver's EvtDpcFunc with the WDFDPC. A
//! DPC belongs to a device or an object under one (a queue). Deleting it (or its parent)
//! flushes queued DPCs first, as the framework's rundown does with KeFlushQueuedDpcs: one
//! still queued runs before the object goes. (AutomaticSerialization takes the parent's
//! callback lock only under a synchronization scope, which no object here has.)
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::layout::WDF_DPC_CONFIG;
use super::object::{self, ObjectKind};
use super::violation;
use crate::kernel::{KError, KResult, Kx};
use crate::layout::{FieldAccess, KDPC};
use crate::types::{status, Boolean, NtStatus, Ptr};

/// STATUS_WDF_PARENT_NOT_SPECIFIED: the attributes (or their ParentObject) are missing.
pub const PARENT_NOT_SPECIFIED: NtStatus = NtStatus(0xC020_0212);

/// A WDFDPC: its KDPC, the driver's callback, the object it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Dpc {
    pub kdpc: u64,
    pub callback: u64,
    pub parent: u64,
}

/// The parent the attributes name, which must be (or descend from) a device: Ok(parent),
/// or the status a create fails with.
pub(crate) fn device_parent(
    k: &mut Kx,
    function: &str,
    attributes: &object::Attributes,
    given: bool,
) -> KResult<Result<u64, NtStatus>> {
    if !given || attributes.parent == 0 {
        return Ok(Err(PARENT_NOT_SPECIFIED));
    }
    object::expect(k, function, attributes.parent, ObjectKind::Any)?;
    Ok(match object::device_of(k, attributes.parent) {
        Some(_) => Ok(attributes.parent),
        None => Err(status::INVALID_DEVICE_REQUEST),
    })
}

/// NTSTATUS WdfDpcCreate(PWDF_DPC_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFDPC
/// *Dpc)
pub fn WdfDpcCreate(k: &mut Kx, globals: Ptr, config: Ptr, attributes: Ptr, out: Ptr) -> KResult<NtStatus> {
    let b = super::driver::binding(k, "WdfDpcCreate", globals.0)?;
    if config.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDpcCreate", "Config"));
    }
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfDpcCreate", "Dpc"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let size = k.mem().get(config.0, WDF_DPC_CONFIG::Size)?;
    if size != WDF_DPC_CONFIG::STRUCT.size(k.arch()) {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let callback = k.mem().get(config.0, WDF_DPC_CONFIG::EvtDpcFunc)?;
    let a = object::read_attributes(k, attributes.0)?;
    let parent = match device_parent(k, "WdfDpcCreate", &a, attributes.0 != 0)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    let h = object::create(k, b, ObjectKind::Dpc, &a, Some(parent))?;
    let kdpc = crate::ex::pool::kernel_alloc(k, KDPC::STRUCT.size(k.arch()), b"FxDp")?;
    let thunk = super::table::routine(k, "FxDpcThunk");
    crate::ke::dpc::KeInitializeDpc(k, Ptr(kdpc), Ptr(thunk), Ptr(h))?;
    k.ext_mut().wdf.dpcs.insert(h, Dpc { kdpc, callback, parent });
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

fn dpc(k: &mut Kx, function: &str, handle: u64) -> KResult<Dpc> {
    object::expect(k, function, handle, ObjectKind::Dpc)?;
    match k.ext().wdf.dpcs.get(&handle) {
        Some(d) => Ok(*d),
        None => Err(violation::invalid_handle(k, function, handle, ObjectKind::Dpc, "no DPC")),
    }
}

/// BOOLEAN WdfDpcEnqueue(WDFDPC Dpc): KeInsertQueueDpc; FALSE if it was queued already.
pub fn WdfDpcEnqueue(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Boolean> {
    let d = dpc(k, "WdfDpcEnqueue", handle.0)?;
    crate::ke::dpc::KeInsertQueueDpc(k, Ptr(d.kdpc), Ptr(0), Ptr(0))
}

/// BOOLEAN WdfDpcCancel(WDFDPC Dpc, BOOLEAN Wait): TRUE if it was queued (and no longer is);
/// with Wait, a DPC that may be running already is waited for (KeFlushQueuedDpcs).
pub fn WdfDpcCancel(k: &mut Kx, _globals: Ptr, handle: Ptr, wait: Boolean) -> KResult<Boolean> {
    let d = dpc(k, "WdfDpcCancel", handle.0)?;
    let removed = crate::ke::dpc::KeRemoveQueueDpc(k, Ptr(d.kdpc))?;
    if wait.0 && !removed.0 {
        crate::ke::dpc::KeFlushQueuedDpcs(k)?;
    }
    Ok(removed)
}

/// WDFOBJECT WdfDpcGetParentObject(WDFDPC Dpc)
pub fn WdfDpcGetParentObject(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(dpc(k, "WdfDpcGetParentObject", handle.0)?.parent))
}

/// PKDPC WdfDpcWdmGetDpc(WDFDPC Dpc)
pub fn WdfDpcWdmGetDpc(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<Ptr> {
    Ok(Ptr(dpc(k, "WdfDpcWdmGetDpc", handle.0)?.kdpc))
}

/// Calls `callback(handle)` (an Evt*Func taking its object) from a framework thunk.
pub(crate) fn call_back(k: &mut Kx, callback: u64, handle: u64) -> KResult<()> {
    if callback == 0 {
        return Ok(());
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, callback, &[handle], conv).map_err(KError::Stop)?;
    Ok(())
}

/// VOID FxDpcThunk(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID
/// SystemArgument2): the KDPC's routine; the context is the WDFDPC.
pub fn FxDpcThunk(k: &mut Kx, _kdpc: Ptr, context: Ptr, _arg1: Ptr, _arg2: Ptr) -> KResult<()> {
    let Some(d) = k.ext().wdf.dpcs.get(&context.0).copied() else { return Ok(()) };
    call_back(k, d.callback, context.0)
}

/// Runs a queued DPC down before it goes: below DISPATCH_LEVEL queued DPCs are flushed (so
/// a queued one runs); at DISPATCH_LEVEL and above, where the framework would defer the
/// rundown to a worker, it is taken off its queue instead.
pub(crate) fn run_down(k: &mut Kx, kdpc: u64) -> KResult<()> {
    let queued = k.mem().get(kdpc, KDPC::DpcData)? != 0;
    if !queued {
        return Ok(());
    }
    if crate::ke::irql::current(k)? < crate::ke::irql::DISPATCH_LEVEL {
        crate::ke::dpc::KeFlushQueuedDpcs(k)
    } else {
        crate::ke::dpc::KeRemoveQueueDpc(k, Ptr(kdpc)).map(|_| ())
    }
}

/// The object is deleted: its DPC runs down, then its memory goes.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(d) = k.ext().wdf.dpcs.get(&handle).copied() else { return Ok(()) };
    run_down(k, d.kdpc)?;
    k.ext_mut().wdf.dpcs.remove(&handle);
    crate::ex::pool::free(k, d.kdpc, None, 0)
}
