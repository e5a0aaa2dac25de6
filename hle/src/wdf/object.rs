//! Framework objects: handles, attributes, typed contexts, references, parents and children,
//! cleanup and destroy callbacks (`wdfobject.h`).
//!
//! A handle is the address of a small block of kernel memory of its own, so handles are
//! distinct, deterministic and never valid driver pointers. Each object has a parent (the
//! driver when the attributes name none); deleting an object deletes its children first,
//! calls each EvtCleanupCallback, then EvtDestroyCallback once the last reference is gone.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;
use serde::Serialize;

use super::layout::{WDF_OBJECT_ATTRIBUTES, WDF_OBJECT_CONTEXT_TYPE_INFO};
use super::violation;
use crate::kernel::{KError, KResult, Kx};
use crate::layout::FieldAccess;
use crate::types::{status, NtStatus, Ptr};

/// The kinds of framework object (Parameter 3 of WDF_VIOLATION's invalid-handle subcode
/// numbers them in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ObjectKind {
    Driver = 1,
    Device,
    Queue,
    Request,
    Memory,
    Collection,
    Key,
    FileObject,
    ResourceList,
    /// Any kind (the generic WdfObject* functions).
    Any,
    String,
    Dpc,
    Timer,
    WorkItem,
    SpinLock,
    WaitLock,
    Interrupt,
    ChildList,
}

impl ObjectKind {
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Driver => "WDFDRIVER",
            ObjectKind::Device => "WDFDEVICE",
            ObjectKind::Queue => "WDFQUEUE",
            ObjectKind::Request => "WDFREQUEST",
            ObjectKind::Memory => "WDFMEMORY",
            ObjectKind::Collection => "WDFCOLLECTION",
            ObjectKind::Key => "WDFKEY",
            ObjectKind::FileObject => "WDFFILEOBJECT",
            ObjectKind::ResourceList => "WDFCMRESLIST",
            ObjectKind::Any => "WDFOBJECT",
            ObjectKind::String => "WDFSTRING",
            ObjectKind::Dpc => "WDFDPC",
            ObjectKind::Timer => "WDFTIMER",
            ObjectKind::WorkItem => "WDFWORKITEM",
            ObjectKind::SpinLock => "WDFSPINLOCK",
            ObjectKind::WaitLock => "WDFWAITLOCK",
            ObjectKind::Interrupt => "WDFINTERRUPT",
            ObjectKind::ChildList => "WDFCHILDLIST",
        }
    }
}

/// One live framework object.
#[derive(Clone, Debug)]
pub struct Object {
    pub kind: ObjectKind,
    /// The binding that made it.
    pub binding: usize,
    pub parent: Option<u64>,
    pub children: Vec<u64>,
    /// (type, context memory): the type is the context type info's UniqueType.
    pub contexts: Vec<(u64, u64)>,
    pub cleanup: u64,
    pub destroy: u64,
    /// References beyond the one its creation holds (WdfObjectReference).
    pub references: i64,
    /// Deleted, kept only until its last reference goes.
    pub deleted: bool,
    /// Its callbacks run at PASSIVE_LEVEL (WdfExecutionLevelPassive, its own or inherited).
    pub passive: bool,
    /// It is running down or its EvtCleanupCallback is running: the handle still works there
    /// (drivers commonly call WdfDriverWdmGetDriverObject from their driver's cleanup to stop
    /// tracing; a DPC flushed at its deletion runs with its handle).
    pub cleaning: bool,
}

/// Bytes of a handle's block.
const HANDLE_BLOCK: u64 = 16;

/// What WDF_OBJECT_ATTRIBUTES say.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attributes {
    pub cleanup: u64,
    pub destroy: u64,
    pub parent: u64,
    pub context_size: u64,
    pub type_info: u64,
    /// WDF_EXECUTION_LEVEL.
    pub execution_level: u32,
}

/// WDF_EXECUTION_LEVEL: WdfExecutionLevelPassive.
pub const EXECUTION_LEVEL_PASSIVE: u32 = 2;
/// WDF_EXECUTION_LEVEL: WdfExecutionLevelDispatch.
pub const EXECUTION_LEVEL_DISPATCH: u32 = 3;

/// Reads a WDF_OBJECT_ATTRIBUTES (none: all zero).
pub fn read_attributes(k: &Kx, at: u64) -> KResult<Attributes> {
    if at == 0 {
        return Ok(Attributes::default());
    }
    let m = k.mem();
    Ok(Attributes {
        cleanup: m.get(at, WDF_OBJECT_ATTRIBUTES::EvtCleanupCallback)?,
        destroy: m.get(at, WDF_OBJECT_ATTRIBUTES::EvtDestroyCallback)?,
        parent: m.get(at, WDF_OBJECT_ATTRIBUTES::ParentObject)?,
        context_size: m.get(at, WDF_OBJECT_ATTRIBUTES::ContextSizeOverride)?,
        type_info: m.get(at, WDF_OBJECT_ATTRIBUTES::ContextTypeInfo)?,
        execution_level: m.get(at, WDF_OBJECT_ATTRIBUTES::ExecutionLevel)? as u32,
    })
}

/// The type a context type info stands for: its UniqueType, or itself when that is unset.
fn unique_type(k: &Kx, info: u64) -> KResult<u64> {
    let u = k.mem().get(info, WDF_OBJECT_CONTEXT_TYPE_INFO::UniqueType)?;
    Ok(if u == 0 { info } else { u })
}

/// Makes an object of `kind` with `attributes`, a child of `parent` (or of the binding's
/// driver): the handle.
pub fn create(
    k: &mut Kx,
    binding: usize,
    kind: ObjectKind,
    attributes: &Attributes,
    parent: Option<u64>,
) -> KResult<u64> {
    let handle = crate::ob::body::alloc(k, HANDLE_BLOCK)?;
    let parent = parent.or_else(|| k.ext().wdf.bindings[binding].wdf_driver).filter(|p| *p != handle);
    let inherited = parent.and_then(|p| k.ext().wdf.objects.get(&p)).is_some_and(|p| p.passive);
    let passive = match attributes.execution_level {
        EXECUTION_LEVEL_PASSIVE => true,
        EXECUTION_LEVEL_DISPATCH => false,
        _ => inherited,
    };
    let obj = Object {
        kind,
        binding,
        parent,
        children: Vec::new(),
        contexts: Vec::new(),
        cleanup: attributes.cleanup,
        destroy: attributes.destroy,
        references: 0,
        deleted: false,
        passive,
        cleaning: false,
    };
    let fw = &mut k.ext_mut().wdf;
    fw.objects.insert(handle, obj);
    if let Some(p) = parent {
        if let Some(po) = fw.objects.get_mut(&p) {
            po.children.push(handle);
        }
    }
    if attributes.type_info != 0 {
        add_context(k, handle, attributes)?;
    }
    Ok(handle)
}

/// Allocates the context `attributes` describe on `handle`: its memory.
fn add_context(k: &mut Kx, handle: u64, attributes: &Attributes) -> KResult<u64> {
    let info = attributes.type_info;
    let declared = k.mem().get(info, WDF_OBJECT_CONTEXT_TYPE_INFO::ContextSize)?;
    let size = if attributes.context_size != 0 { attributes.context_size.max(declared) } else { declared };
    let ty = unique_type(k, info)?;
    let memory = if size <= 0x8000 {
        crate::ob::body::alloc(k, size.max(1))?
    } else {
        crate::ex::pool::kernel_alloc(k, size, b"FxCt")?
    };
    let fw = &mut k.ext_mut().wdf;
    if let Some(o) = fw.objects.get_mut(&handle) {
        o.contexts.push((ty, memory));
    }
    fw.contexts.insert(memory, handle);
    Ok(memory)
}

/// The WDFDEVICE `handle` is or descends from (a queue's device, say), if any.
pub fn device_of(k: &Kx, handle: u64) -> Option<u64> {
    let objects = &k.ext().wdf.objects;
    let mut at = Some(handle);
    while let Some(h) = at {
        let o = objects.get(&h)?;
        if o.kind == ObjectKind::Device {
            return Some(h);
        }
        at = o.parent;
    }
    None
}

/// The live object `handle` of `kind`, or the WDF_VIOLATION Windows raises for it.
pub fn expect(k: &mut Kx, function: &str, handle: u64, kind: ObjectKind) -> KResult<Object> {
    if handle == 0 {
        return Err(violation::null_parameter(k, function, kind.name()));
    }
    match k.ext().wdf.objects.get(&handle) {
        Some(o) if (!o.deleted || o.cleaning) && (kind == ObjectKind::Any || o.kind == kind) => Ok(o.clone()),
        Some(o) if o.deleted && !o.cleaning => Err(violation::invalid_handle(k, function, handle, kind, "deleted")),
        Some(_) => Err(violation::invalid_handle(k, function, handle, kind, "another kind of object")),
        None => Err(violation::invalid_handle(k, function, handle, kind, "no such object")),
    }
}

fn call_back(k: &mut Kx, routine: u64, args: &[u64]) -> KResult<u64> {
    let conv = CallConv::Stdcall.for_arch(k.arch());
    crate::ke::scheduler::call(k, routine, args, conv).map_err(KError::Stop)
}

/// Deletes `handle` and its children (children first), calling each EvtCleanupCallback; an
/// object goes (EvtDestroyCallback, its memory) once no reference holds it.
pub fn delete(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(o) = k.ext().wdf.objects.get(&handle).cloned() else { return Ok(()) };
    if o.deleted {
        return Ok(());
    }
    for child in o.children.iter().rev() {
        delete(k, *child)?;
    }
    if let Some(obj) = k.ext_mut().wdf.objects.get_mut(&handle) {
        obj.deleted = true;
    }
    // The handle still works while the object runs down and while its cleanup runs.
    set_cleaning(k, handle, true);
    let r = run_down(k, handle, o.kind).and_then(|_| match o.cleanup {
        0 => Ok(0),
        cleanup => call_back(k, cleanup, &[handle]),
    });
    set_cleaning(k, handle, false);
    r?;
    if o.references <= 0 {
        destroy(k, handle)?;
    }
    Ok(())
}

/// What each kind of object releases as it is deleted, before its cleanup callback.
fn run_down(k: &mut Kx, handle: u64, kind: ObjectKind) -> KResult<()> {
    match kind {
        ObjectKind::Device => super::device::destroy(k, handle)?,
        ObjectKind::Request => super::request::forget(k, handle),
        ObjectKind::FileObject => super::file::destroy(k, handle),
        ObjectKind::Memory => super::memory::destroy(k, handle)?,
        ObjectKind::Collection => super::collection::destroy(k, handle)?,
        ObjectKind::Key => super::registry::destroy(k, handle)?,
        ObjectKind::String => super::string::destroy(k, handle)?,
        ObjectKind::ResourceList => super::resources::destroy(k, handle)?,
        ObjectKind::Dpc => super::dpc::destroy(k, handle)?,
        ObjectKind::Timer => super::timer::destroy(k, handle)?,
        ObjectKind::WorkItem => super::work_item::destroy(k, handle)?,
        ObjectKind::SpinLock => super::spin_lock::destroy(k, handle),
        ObjectKind::WaitLock => super::wait_lock::destroy(k, handle)?,
        ObjectKind::Interrupt => super::interrupt::destroy(k, handle)?,
        ObjectKind::ChildList => super::child_list::destroy(k, handle)?,
        _ => {}
    }
    Ok(())
}

fn set_cleaning(k: &mut Kx, handle: u64, on: bool) {
    if let Some(o) = k.ext_mut().wdf.objects.get_mut(&handle) {
        o.cleaning = on;
    }
}

/// The last reference went: EvtDestroyCallback, then the object is gone.
fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(o) = k.ext().wdf.objects.get(&handle).cloned() else { return Ok(()) };
    if o.destroy != 0 {
        // The context stays reachable through the handle until EvtDestroyCallback returns.
        set_cleaning(k, handle, true);
        let r = call_back(k, o.destroy, &[handle]);
        set_cleaning(k, handle, false);
        r?;
    }
    let fw = &mut k.ext_mut().wdf;
    fw.objects.remove(&handle);
    if let Some(p) = o.parent.and_then(|p| fw.objects.get_mut(&p)) {
        p.children.retain(|c| *c != handle);
    }
    for (_, memory) in &o.contexts {
        fw.contexts.remove(memory);
    }
    for (_, memory) in o.contexts {
        crate::ob::body::free(k, memory);
    }
    crate::ob::body::free(k, handle);
    Ok(())
}

/// PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO
/// TypeInfo): the object's context of that type, NULL when it has none.
pub fn WdfObjectGetTypedContextWorker(k: &mut Kx, _globals: Ptr, handle: Ptr, type_info: Ptr) -> KResult<Ptr> {
    let o = expect(k, "WdfObjectGetTypedContextWorker", handle.0, ObjectKind::Any)?;
    if type_info.0 == 0 {
        return Err(violation::null_parameter(k, "WdfObjectGetTypedContextWorker", "TypeInfo"));
    }
    let ty = unique_type(k, type_info.0)?;
    Ok(Ptr(o.contexts.iter().find(|(t, _)| *t == ty).map_or(0, |(_, m)| *m)))
}

/// NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES
/// ContextAttributes, PVOID *Context): adds a context of another type to an object.
pub fn WdfObjectAllocateContext(
    k: &mut Kx,
    _globals: Ptr,
    handle: Ptr,
    attributes: Ptr,
    context: Ptr,
) -> KResult<NtStatus> {
    let o = expect(k, "WdfObjectAllocateContext", handle.0, ObjectKind::Any)?;
    let a = read_attributes(k, attributes.0)?;
    if attributes.0 == 0 || a.type_info == 0 || a.parent != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let ty = unique_type(k, a.type_info)?;
    if let Some((_, existing)) = o.contexts.iter().find(|(t, _)| *t == ty) {
        if context.0 != 0 {
            k.mem_mut().write_ptr(context.0, *existing)?;
        }
        return Ok(NtStatus(0x4000_0000)); // STATUS_OBJECT_NAME_EXISTS
    }
    let memory = add_context(k, handle.0, &a)?;
    if context.0 != 0 {
        k.mem_mut().write_ptr(context.0, memory)?;
    }
    // Callbacks the attributes name join the object's.
    if let Some(obj) = k.ext_mut().wdf.objects.get_mut(&handle.0) {
        if obj.cleanup == 0 {
            obj.cleanup = a.cleanup;
        }
        if obj.destroy == 0 {
            obj.destroy = a.destroy;
        }
    }
    Ok(status::SUCCESS)
}

/// WDFOBJECT WdfObjectContextGetObject(PVOID ContextPointer): the object a context belongs to.
pub fn WdfObjectContextGetObject(k: &mut Kx, _globals: Ptr, context: Ptr) -> KResult<Ptr> {
    match k.ext().wdf.contexts.get(&context.0) {
        Some(h) => Ok(Ptr(*h)),
        None if context.0 == 0 => Err(violation::null_parameter(k, "WdfObjectContextGetObject", "ContextPointer")),
        None => {
            let at = crate::kernel::caller(k);
            Err(violation::raise(
                k,
                [violation::code::VERIFIER_FATAL_ERROR, context.0, 0, 0],
                at,
                format!("WdfObjectContextGetObject: {:#x} is no object's context", context.0),
            ))
        }
    }
}

/// Takes a reference on a live object (the framework's own, e.g. a collection's).
pub(crate) fn reference(k: &mut Kx, handle: u64) {
    if let Some(o) = k.ext_mut().wdf.objects.get_mut(&handle) {
        o.references += 1;
    }
}

/// Drops a reference [`reference`] took: a deleted object goes with its last.
pub(crate) fn release(k: &mut Kx, handle: u64) -> KResult<()> {
    let gone = match k.ext_mut().wdf.objects.get_mut(&handle) {
        Some(o) => {
            o.references -= 1;
            o.deleted && o.references <= 0
        }
        None => false,
    };
    if gone {
        destroy(k, handle)?;
    }
    Ok(())
}

/// VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCH File)
pub fn WdfObjectReferenceActual(
    k: &mut Kx,
    _globals: Ptr,
    handle: Ptr,
    _tag: Ptr,
    _line: i32,
    _file: Ptr,
) -> KResult<()> {
    expect(k, "WdfObjectReferenceActual", handle.0, ObjectKind::Any)?;
    if let Some(o) = k.ext_mut().wdf.objects.get_mut(&handle.0) {
        o.references += 1;
    }
    Ok(())
}

/// VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCH File): the
/// last reference of a deleted object destroys it.
pub fn WdfObjectDereferenceActual(
    k: &mut Kx,
    _globals: Ptr,
    handle: Ptr,
    _tag: Ptr,
    _line: i32,
    _file: Ptr,
) -> KResult<()> {
    let Some(o) = k.ext().wdf.objects.get(&handle.0).cloned() else {
        return Err(violation::invalid_handle(
            k,
            "WdfObjectDereferenceActual",
            handle.0,
            ObjectKind::Any,
            "no such object",
        ));
    };
    if o.references <= 0 {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, handle.0, 0, 0],
            at,
            format!("WdfObjectDereferenceActual: {:#x} has no reference to drop", handle.0),
        ));
    }
    if let Some(obj) = k.ext_mut().wdf.objects.get_mut(&handle.0) {
        obj.references -= 1;
    }
    if o.deleted && o.references == 1 {
        destroy(k, handle.0)?;
    }
    Ok(())
}

/// VOID WdfObjectDelete(WDFOBJECT Object). Requests are completed, not deleted; devices and
/// queues go with their driver (deleting them is a verifier error).
pub fn WdfObjectDelete(k: &mut Kx, _globals: Ptr, object: Ptr) -> KResult<()> {
    let o = expect(k, "WdfObjectDelete", object.0, ObjectKind::Any)?;
    if matches!(o.kind, ObjectKind::Driver | ObjectKind::Request) {
        let at = crate::kernel::caller(k);
        return Err(violation::raise(
            k,
            [violation::code::VERIFIER_FATAL_ERROR, object.0, 0, 0],
            at,
            format!("WdfObjectDelete on {:#x}, a {} the framework owns", object.0, o.kind.name()),
        ));
    }
    delete(k, object.0)
}

/// NTSTATUS WdfObjectCreate(PWDF_OBJECT_ATTRIBUTES Attributes, WDFOBJECT *Object): a
/// general object, for contexts and lifetimes of the driver's own.
pub fn WdfObjectCreate(k: &mut Kx, globals: Ptr, attributes: Ptr, object: Ptr) -> KResult<NtStatus> {
    let Some(b) = super::binding_of(k, globals.0) else { return Ok(status::INVALID_PARAMETER) };
    if object.0 == 0 {
        return Err(violation::null_parameter(k, "WdfObjectCreate", "Object"));
    }
    let a = read_attributes(k, attributes.0)?;
    let parent = if a.parent != 0 {
        Some(expect(k, "WdfObjectCreate", a.parent, ObjectKind::Any).map(|_| a.parent)?)
    } else {
        None
    };
    let h = create(k, b, ObjectKind::Any, &a, parent)?;
    k.mem_mut().write_ptr(object.0, h)?;
    Ok(status::SUCCESS)
}

/// A framework object a driver left alive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeakedWdfObject {
    #[serde(serialize_with = "crate::events::hex")]
    pub handle: u64,
    pub kind: &'static str,
    /// WdfObjectReference calls not matched by a dereference.
    pub references: i64,
    pub deleted: bool,
}

/// The framework objects of `driver` still alive, for the unload report.
pub fn alive(k: &Kx, driver: usize) -> Vec<LeakedWdfObject> {
    let fw = &k.ext().wdf;
    fw.objects
        .iter()
        .filter(|(_, o)| fw.bindings.get(o.binding).is_some_and(|b| b.driver == driver))
        .map(|(h, o)| LeakedWdfObject { handle: *h, kind: o.kind.name(), references: o.references, deleted: o.deleted })
        .collect()
}
