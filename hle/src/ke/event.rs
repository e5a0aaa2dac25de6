//! Events: KeInitializeEvent, KeSetEvent, KeResetEvent, KeClearEvent, KeReadStateEvent,
//! KePulseEvent; event objects with handles (ZwCreateEvent, ZwOpenEvent, ZwSetEvent,
//! ZwClearEvent, ZwResetEvent, ZwPulseEvent) and the I/O manager's named ones
//! (IoCreateNotificationEvent, IoCreateSynchronizationEvent).
//!
//! Setting a notification event wakes every waiter and it stays set; a synchronization
//! event wakes one waiter and resets (or stays set when nobody waits).
#![allow(non_snake_case)]

use crate::ex::named::{self, Created};
use crate::kernel::{KResult, Kx};
use crate::layout::KEVENT;
use crate::ob::handles::{lookup, open, Mode};
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

use super::dispatcher::{self, init_header, otype, set_signal_state, signal_state};
use super::irql;

/// EVENT_ALL_ACCESS.
const EVENT_ALL_ACCESS: u32 = 0x1F_0003;

/// VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
pub fn KeInitializeEvent(k: &mut Kx, event: Ptr, event_type: u32, state: Boolean) -> KResult<()> {
    let t = if event_type == 0 { otype::EVENT_NOTIFICATION } else { otype::EVENT_SYNCHRONIZATION };
    let size = KEVENT::STRUCT.size(k.arch());
    init_header(k, event.0, t, size, state.0 as i32)
}

/// Sets an event and wakes its waiters; returns the previous state.
pub(crate) fn set(k: &mut Kx, event: u64) -> KResult<i32> {
    let old = signal_state(k, event)?;
    if old == 0 {
        dispatcher::signal(k, event)?;
    }
    Ok(old)
}

/// LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait). With Wait, the caller
/// goes on at DISPATCH_LEVEL until the wait it must call next.
pub fn KeSetEvent(k: &mut Kx, event: Ptr, _increment: i32, wait: Boolean) -> KResult<i32> {
    let old = set(k, event.0)?;
    if wait.0 {
        let level = irql::current(k)?;
        if let Some(t) = k.ext_mut().sched.current_mut().thread_mut() {
            t.wait_next = Some(level);
        }
        irql::set(k, irql::DISPATCH_LEVEL)?;
    }
    Ok(old)
}

/// LONG KeResetEvent(PRKEVENT Event): clears it, returning the previous state.
pub fn KeResetEvent(k: &mut Kx, event: Ptr) -> KResult<i32> {
    let old = signal_state(k, event.0)?;
    set_signal_state(k, event.0, 0)?;
    Ok(old)
}

/// VOID KeClearEvent(PRKEVENT Event)
pub fn KeClearEvent(k: &mut Kx, event: Ptr) -> KResult<()> {
    set_signal_state(k, event.0, 0)
}

/// LONG KeReadStateEvent(PRKEVENT Event)
pub fn KeReadStateEvent(k: &mut Kx, event: Ptr) -> KResult<i32> {
    signal_state(k, event.0)
}

/// Sets then clears: wakes whoever waits now (all of a notification event's waiters, one of
/// a synchronization event's), leaving it not signaled. Returns the previous state.
pub(crate) fn pulse(k: &mut Kx, event: u64) -> KResult<i32> {
    let old = signal_state(k, event)?;
    if old == 0 {
        dispatcher::signal(k, event)?;
    }
    set_signal_state(k, event, 0)?;
    Ok(old)
}

/// LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
pub fn KePulseEvent(k: &mut Kx, event: Ptr, _increment: i32, _wait: Boolean) -> KResult<i32> {
    pulse(k, event.0)
}

/// A kernel-allocated event object.
fn new_event(k: &mut Kx, event_type: u32, state: bool) -> KResult<u64> {
    let size = KEVENT::STRUCT.size(k.arch());
    let at = crate::ex::pool::kernel_alloc(k, size, b"Even")?;
    KeInitializeEvent(k, Ptr(at), event_type, Boolean(state))?;
    Ok(at)
}

/// NTSTATUS ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, EVENT_TYPE EventType, BOOLEAN InitialState)
pub fn ZwCreateEvent(
    k: &mut Kx,
    handle: Ptr,
    desired_access: u32,
    object_attributes: Ptr,
    event_type: u32,
    initial_state: Boolean,
) -> KResult<NtStatus> {
    if event_type > 1 {
        return Ok(status::INVALID_PARAMETER);
    }
    let attrs = match named::read(k, object_attributes)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let made = named::create(k, &attrs, ObjectKind::Event, false, |k| new_event(k, event_type, initial_state.0))?;
    let (object, st) = match made {
        Ok(Created::New(o)) => (o, status::SUCCESS),
        Ok(Created::Existing(o)) => (o, named::OBJECT_NAME_EXISTS),
        Err(st) => return Ok(st),
    };
    let value = open(k, object, desired_access, attrs.attributes)?;
    k.mem_mut().write_ptr(handle.0, value)?;
    Ok(st)
}

/// NTSTATUS ZwOpenEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes)
pub fn ZwOpenEvent(k: &mut Kx, handle: Ptr, desired_access: u32, object_attributes: Ptr) -> KResult<NtStatus> {
    let attrs = match named::read(k, object_attributes)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let object = match named::open(k, &attrs, ObjectKind::Event) {
        Ok(o) => o,
        Err(st) => return Ok(st),
    };
    let value = open(k, object, desired_access, attrs.attributes)?;
    k.mem_mut().write_ptr(handle.0, value)?;
    Ok(status::SUCCESS)
}

/// The event a handle names (kernel-mode caller).
fn event_of(k: &Kx, handle: HANDLE) -> KResult<Result<u64, NtStatus>> {
    Ok(match lookup(k, handle.0, Mode::Kernel)? {
        None => Err(status::INVALID_HANDLE),
        Some((o, _, _)) if k.ext().objects.get(o).map(|i| i.kind) == Some(ObjectKind::Event) => Ok(o),
        Some(_) => Err(status::OBJECT_TYPE_MISMATCH),
    })
}

fn with_event(
    k: &mut Kx,
    handle: HANDLE,
    previous: Ptr,
    f: impl FnOnce(&mut Kx, u64) -> KResult<i32>,
) -> KResult<NtStatus> {
    let event = match event_of(k, handle)? {
        Ok(e) => e,
        Err(st) => return Ok(st),
    };
    let old = f(k, event)?;
    if !previous.is_null() {
        k.mem_mut().write_u32(previous.0, old as u32)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS ZwSetEvent(HANDLE EventHandle, PLONG PreviousState)
pub fn ZwSetEvent(k: &mut Kx, handle: HANDLE, previous: Ptr) -> KResult<NtStatus> {
    with_event(k, handle, previous, set)
}

/// NTSTATUS ZwResetEvent(HANDLE EventHandle, PLONG PreviousState)
pub fn ZwResetEvent(k: &mut Kx, handle: HANDLE, previous: Ptr) -> KResult<NtStatus> {
    with_event(k, handle, previous, |k, e| KeResetEvent(k, Ptr(e)))
}

/// NTSTATUS ZwClearEvent(HANDLE EventHandle)
pub fn ZwClearEvent(k: &mut Kx, handle: HANDLE) -> KResult<NtStatus> {
    with_event(k, handle, Ptr::NULL, |k, e| KeResetEvent(k, Ptr(e)))
}

/// NTSTATUS ZwPulseEvent(HANDLE EventHandle, PLONG PreviousState)
pub fn ZwPulseEvent(k: &mut Kx, handle: HANDLE, previous: Ptr) -> KResult<NtStatus> {
    with_event(k, handle, previous, pulse)
}

/// The named event the I/O manager routines create (signaled when new) or open, with a
/// kernel handle to it.
fn io_named_event(k: &mut Kx, name: Ptr, handle: Ptr, event_type: u32) -> KResult<Ptr> {
    if name.is_null() {
        return Ok(Ptr::NULL);
    }
    let attrs = crate::ob::name::ObjectAttributes {
        name: Some(crate::rtl::unicode::read_unicode_string(k, name.0)?),
        attributes: crate::ob::OBJ_OPENIF | crate::ob::OBJ_KERNEL_HANDLE,
        ..Default::default()
    };
    let object = match named::create(k, &attrs, ObjectKind::Event, false, |k| new_event(k, event_type, true))? {
        Ok(Created::New(o)) | Ok(Created::Existing(o)) => o,
        Err(_) => return Ok(Ptr::NULL),
    };
    let value = open(k, object, EVENT_ALL_ACCESS, attrs.attributes)?;
    k.mem_mut().write_ptr(handle.0, value)?;
    Ok(Ptr(object))
}

/// PKEVENT IoCreateNotificationEvent(PUNICODE_STRING EventName, PHANDLE EventHandle)
pub fn IoCreateNotificationEvent(k: &mut Kx, name: crate::types::PUnicodeString, handle: Ptr) -> KResult<Ptr> {
    io_named_event(k, Ptr(name.0), handle, 0)
}

/// PKEVENT IoCreateSynchronizationEvent(PUNICODE_STRING EventName, PHANDLE EventHandle)
pub fn IoCreateSynchronizationEvent(k: &mut Kx, name: crate::types::PUnicodeString, handle: Ptr) -> KResult<Ptr> {
    io_named_event(k, Ptr(name.0), handle, 1)
}

/// EVENT_MODIFY_STATE: the right SetEvent and ResetEvent need.
pub const EVENT_MODIFY_STATE: u32 = 0x2;

/// An event for a user program (kernel32's CreateEvent), with a handle of `access` in the
/// current process's table: made under `name` (a full object path) or, when the name is
/// taken by an event, that event opened. (handle, whether it existed); a name taken by
/// another kind of object is STATUS_OBJECT_TYPE_MISMATCH.
pub fn create_for_user(
    k: &mut Kx,
    name: Option<String>,
    manual_reset: bool,
    initial_state: bool,
    access: u32,
) -> KResult<Result<(u64, bool), NtStatus>> {
    let attrs = crate::ob::name::ObjectAttributes {
        name,
        attributes: crate::ob::OBJ_OPENIF | crate::ob::OBJ_CASE_INSENSITIVE,
        ..Default::default()
    };
    let event_type = if manual_reset { 0 } else { 1 };
    let made = named::create(k, &attrs, ObjectKind::Event, false, |k| new_event(k, event_type, initial_state))?;
    let (object, existed) = match made {
        Ok(Created::New(o)) => (o, false),
        Ok(Created::Existing(o)) => (o, true),
        Err(st) => return Ok(Err(st)),
    };
    let (value, _) = crate::ob::handles::open_checked(k, object, access, attrs.attributes, Mode::User)?;
    Ok(Ok((value, existed)))
}

/// Sets (or, with `reset`, clears) the event a user program's handle names, as NtSetEvent
/// and NtResetEvent do for a UserMode caller: the handle needs EVENT_MODIFY_STATE.
pub fn set_for_user(k: &mut Kx, handle: u64, reset: bool) -> KResult<NtStatus> {
    let (event, granted) = match lookup(k, handle, Mode::User)? {
        None => return Ok(status::INVALID_HANDLE),
        Some((o, g, _)) if k.ext().objects.get(o).map(|i| i.kind) == Some(ObjectKind::Event) => (o, g),
        Some(_) => return Ok(status::OBJECT_TYPE_MISMATCH),
    };
    if granted & EVENT_MODIFY_STATE == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    if reset {
        set_signal_state(k, event, 0)?;
    } else {
        set(k, event)?;
    }
    Ok(status::SUCCESS)
}
