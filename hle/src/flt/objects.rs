//! References on the Filter Manager's objects and what a callback can ask about them.
#![allow(non_snake_case)]

use super::layout::{FLT_CALLBACK_DATA as CBD, FLT_IO_PARAMETER_BLOCK as IOPB};
use super::ops::DIRTY;
use super::st;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, UNICODE_STRING};
use crate::types::{status, Boolean, NtStatus, Ptr};

fn known(k: &Kx, object: u64) -> Option<bool> {
    let s = &k.ext().flt;
    if let Some(f) = s.filters.get(&object) {
        return Some(f.unregistering);
    }
    if let Some(i) = super::instance(k, object) {
        return Some(s.filters.get(&i.filter).is_none_or(|f| f.unregistering));
    }
    (object != 0 && object == s.volume).then_some(false)
}

/// NTSTATUS FltObjectReference(PVOID FltObject): a filter, instance or volume not being
/// torn down gains a reference.
pub fn FltObjectReference(k: &mut Kx, object: Ptr) -> KResult<NtStatus> {
    match known(k, object.0) {
        Some(false) => {
            *k.ext_mut().flt.references.entry(object.0).or_default() += 1;
            Ok(status::SUCCESS)
        }
        _ => Ok(st::FLT_DELETING_OBJECT),
    }
}

/// VOID FltObjectDereference(PVOID FltObject): drops a reference FltObjectReference or a
/// FltGet* routine took.
pub fn FltObjectDereference(k: &mut Kx, object: Ptr) -> KResult<()> {
    let refs = &mut k.ext_mut().flt.references;
    if let Some(r) = refs.get_mut(&object.0) {
        *r -= 1;
        if *r <= 0 {
            refs.remove(&object.0);
        }
    }
    Ok(())
}

/// VOID FltSetCallbackDataDirty(PFLT_CALLBACK_DATA Data): parameter changes count.
pub fn FltSetCallbackDataDirty(k: &mut Kx, data: Ptr) -> KResult<()> {
    let f = k.mem().get(data.0, CBD::Flags)?;
    k.mem_mut().set(data.0, CBD::Flags, f | DIRTY)?;
    Ok(())
}

/// VOID FltClearCallbackDataDirty(PFLT_CALLBACK_DATA Data)
pub fn FltClearCallbackDataDirty(k: &mut Kx, data: Ptr) -> KResult<()> {
    let f = k.mem().get(data.0, CBD::Flags)?;
    k.mem_mut().set(data.0, CBD::Flags, f & !DIRTY)?;
    Ok(())
}

/// BOOLEAN FltIsCallbackDataDirty(PFLT_CALLBACK_DATA Data)
pub fn FltIsCallbackDataDirty(k: &mut Kx, data: Ptr) -> KResult<Boolean> {
    Ok(Boolean(k.mem().get(data.0, CBD::Flags)? & DIRTY != 0))
}

/// PEPROCESS FltGetRequestorProcess(PFLT_CALLBACK_DATA CallbackData): the process of the
/// thread that started the operation.
pub fn FltGetRequestorProcess(k: &mut Kx, data: Ptr) -> KResult<Ptr> {
    let thread = k.mem().get(data.0, CBD::Thread)?;
    if thread == 0 {
        return Ok(Ptr(0));
    }
    crate::ps::lookup::PsGetThreadProcess(k, Ptr(thread))
}

/// ULONG FltGetRequestorProcessId(PFLT_CALLBACK_DATA CallbackData)
pub fn FltGetRequestorProcessId(k: &mut Kx, data: Ptr) -> KResult<u32> {
    let p = FltGetRequestorProcess(k, data)?;
    if p.0 == 0 {
        return Ok(0);
    }
    Ok(crate::ps::lookup::PsGetProcessId(k, p)?.0 as u32)
}

/// NTSTATUS FltGetVolumeFromInstance(PFLT_INSTANCE Instance, PFLT_VOLUME *RetVolume):
/// referenced.
pub fn FltGetVolumeFromInstance(k: &mut Kx, instance: Ptr, out: Ptr) -> KResult<NtStatus> {
    if known(k, instance.0) != Some(false) || super::instance(k, instance.0).is_none() {
        return Ok(st::FLT_DELETING_OBJECT);
    }
    let v = super::volume(k)?;
    *k.ext_mut().flt.references.entry(v).or_default() += 1;
    k.mem_mut().write_ptr(out.0, v)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetFilterFromInstance(PFLT_INSTANCE Instance, PFLT_FILTER *RetFilter):
/// referenced.
pub fn FltGetFilterFromInstance(k: &mut Kx, instance: Ptr, out: Ptr) -> KResult<NtStatus> {
    let Some(f) = super::instance(k, instance.0).map(|i| i.filter) else { return Ok(st::FLT_DELETING_OBJECT) };
    if known(k, f) != Some(false) {
        return Ok(st::FLT_DELETING_OBJECT);
    }
    *k.ext_mut().flt.references.entry(f).or_default() += 1;
    k.mem_mut().write_ptr(out.0, f)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetVolumeName(PFLT_VOLUME Volume, PUNICODE_STRING VolumeName,
/// PULONG BufferSizeNeeded): the volume's device name.
pub fn FltGetVolumeName(k: &mut Kx, volume: Ptr, name: Ptr, needed: Ptr) -> KResult<NtStatus> {
    if volume.0 == 0 || volume.0 != k.ext().flt.volume {
        return Ok(status::INVALID_PARAMETER);
    }
    let units: Vec<u8> = crate::fs::VOLUME.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    if needed.0 != 0 {
        k.mem_mut().write_u32(needed.0, units.len() as u32)?;
    }
    if name.0 == 0 {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let max = k.mem().get(name.0, UNICODE_STRING::MaximumLength)?;
    if max < units.len() as u64 {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let buffer = k.mem().get(name.0, UNICODE_STRING::Buffer)?;
    k.mem_mut().write(buffer, &units)?;
    k.mem_mut().set(name.0, UNICODE_STRING::Length, units.len() as u64)?;
    Ok(status::SUCCESS)
}

/// The instance and file object of a callback data (for tests and other routines).
pub fn target(k: &Kx, data: u64) -> KResult<(u64, u64)> {
    let iopb = k.mem().get(data, CBD::Iopb)?;
    Ok((k.mem().get(iopb, IOPB::TargetInstance)?, k.mem().get(iopb, IOPB::TargetFileObject)?))
}
