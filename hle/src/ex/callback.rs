//! Callback objects: ExCreateCallback, ExRegisterCallback, ExUnregisterCallback,
//! ExNotifyCallback. A callback object is named (`\Callback\...`) or not; the kernel's own
//! (`\Callback\SetSystemTime`, `\Callback\PowerState`, `\Callback\ProcessorAdd`) exist from
//! the start. Notifying calls every registered routine, in registration order, with its
//! context and the two arguments.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::ex::named::{self, Created};
use crate::kernel::{KResult, Kx};
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr};

/// The callback objects the kernel creates.
const PREDEFINED: [&str; 3] = ["\\Callback\\SetSystemTime", "\\Callback\\PowerState", "\\Callback\\ProcessorAdd"];

/// One callback object.
#[derive(Clone, Debug, Default)]
pub struct CallbackObject {
    pub allow_multiple: bool,
    /// (registration, routine, context), in registration order.
    pub registrations: Vec<(u64, u64, u64)>,
}

fn new_object(k: &mut Kx, allow_multiple: bool) -> KResult<u64> {
    let at = crate::ex::pool::kernel_alloc(k, 0x40, b"Cbk ")?;
    k.ext_mut().ex.callbacks.insert(at, CallbackObject { allow_multiple, registrations: vec![] });
    Ok(at)
}

/// NTSTATUS ExCreateCallback(PCALLBACK_OBJECT *CallbackObject,
/// POBJECT_ATTRIBUTES ObjectAttributes, BOOLEAN Create, BOOLEAN AllowMultipleCallbacks):
/// opens the named object, or creates it when asked; the caller gets a reference.
pub fn ExCreateCallback(
    k: &mut Kx,
    object: Ptr,
    object_attributes: Ptr,
    create: Boolean,
    allow_multiple: Boolean,
) -> KResult<NtStatus> {
    let attrs = match named::read(k, object_attributes)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    let existing = match attrs.name.as_deref() {
        Some(_) => named::open(k, &attrs, ObjectKind::Callback),
        None => Err(status::OBJECT_NAME_NOT_FOUND),
    };
    let found = match existing {
        Ok(o) => o,
        Err(st) if st == status::OBJECT_NAME_NOT_FOUND => {
            let predefined =
                attrs.name.as_deref().is_some_and(|n| PREDEFINED.iter().any(|p| p.eq_ignore_ascii_case(n)));
            if !create.0 && !predefined {
                return Ok(status::OBJECT_NAME_NOT_FOUND);
            }
            let multiple = allow_multiple.0 || predefined;
            // The predefined ones are the kernel's: they outlive the drivers' references.
            match named::create(k, &attrs, ObjectKind::Callback, predefined, |k| new_object(k, multiple))? {
                Ok(Created::New(o)) | Ok(Created::Existing(o)) => o,
                Err(st) => return Ok(st),
            }
        }
        Err(st) => return Ok(st),
    };
    k.mem_mut().write_ptr(object.0, found)?;
    if let Some(o) = k.ext_mut().objects.get_mut(found) {
        o.references += 1;
    }
    Ok(status::SUCCESS)
}

/// PVOID ExRegisterCallback(PCALLBACK_OBJECT CallbackObject, PCALLBACK_FUNCTION
/// CallbackFunction, PVOID CallbackContext): a registration to unregister later, or NULL when
/// the object takes one routine and has it.
pub fn ExRegisterCallback(k: &mut Kx, object: Ptr, function: Ptr, context: Ptr) -> KResult<Ptr> {
    let Some(cb) = k.ext().ex.callbacks.get(&object.0).cloned() else {
        k.mem().read_u8(object.0)?;
        return Ok(Ptr::NULL);
    };
    if !cb.allow_multiple && !cb.registrations.is_empty() {
        return Ok(Ptr::NULL);
    }
    let reg = crate::ex::pool::kernel_alloc(k, 0x20, b"CbRg")?;
    let ps = k.arch().ptr_size();
    k.mem_mut().write_ptr(reg, object.0)?;
    k.mem_mut().write_ptr(reg + ps, function.0)?;
    k.mem_mut().write_ptr(reg + 2 * ps, context.0)?;
    if let Some(cb) = k.ext_mut().ex.callbacks.get_mut(&object.0) {
        cb.registrations.push((reg, function.0, context.0));
    }
    Ok(Ptr(reg))
}

/// VOID ExUnregisterCallback(PVOID CbRegistration)
pub fn ExUnregisterCallback(k: &mut Kx, registration: Ptr) -> KResult<()> {
    let object = k.mem().read_ptr(registration.0)?;
    let removed = match k.ext_mut().ex.callbacks.get_mut(&object) {
        Some(cb) => {
            let before = cb.registrations.len();
            cb.registrations.retain(|r| r.0 != registration.0);
            before != cb.registrations.len()
        }
        None => false,
    };
    if removed {
        crate::ex::pool::free(k, registration.0, None, 0)?;
    }
    Ok(())
}

/// VOID ExNotifyCallback(PVOID CallbackObject, PVOID Argument1, PVOID Argument2)
pub fn ExNotifyCallback(k: &mut Kx, object: Ptr, argument1: Ptr, argument2: Ptr) -> KResult<()> {
    let Some(cb) = k.ext().ex.callbacks.get(&object.0).cloned() else {
        k.mem().read_u8(object.0)?;
        return Ok(());
    };
    let conv = CallConv::Stdcall.for_arch(k.arch());
    for (_, function, context) in cb.registrations {
        crate::ke::scheduler::check_loaded(k, function, "a callback routine")?;
        crate::ke::scheduler::call(k, function, &[context, argument1.0, argument2.0], conv)?;
    }
    Ok(())
}

/// The registrations routines in `image` still hold (for leak reports).
pub fn registered_in(k: &Kx, contains: impl Fn(u64) -> bool) -> Vec<u64> {
    k.ext().ex.callbacks.values().flat_map(|c| c.registrations.iter()).filter(|r| contains(r.1)).map(|r| r.0).collect()
}

/// The callback registrations of routines in `owner`'s image still registered, for the leak
/// report.
pub(crate) fn registrations(k: &Kx, owner: crate::ob::Owner) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = k
        .ext()
        .ex
        .callbacks
        .iter()
        .flat_map(|(object, cb)| cb.registrations.iter().map(move |(reg, routine, _)| (*object, *reg, *routine)))
        .filter(|(_, _, routine)| k.ext().driver_at(*routine).map(crate::ob::Owner::Driver) == Some(owner))
        .map(|(object, reg, _)| ("ExRegisterCallback", format!("registration {reg:#x} on {object:#x}")))
        .collect();
    v.sort();
    v
}
