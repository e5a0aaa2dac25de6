//! The volume, its instances and the registered filters as a minifilter enumerates them.
//! Objects a routine returns are referenced: the caller drops the reference
//! (FltObjectDereference, ObDereferenceObject for device objects).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, FILE_OBJECT, UNICODE_STRING};
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// The volume's GUID name (the mount manager's `\??\Volume{...}` link).
pub const VOLUME_GUID_NAME: &str = "\\??\\Volume{5c9d4b2e-6f1a-11e0-a1f0-806e6f6e6963}";

fn reference(k: &mut Kx, object: u64) {
    *k.ext_mut().flt.references.entry(object).or_default() += 1;
}

fn is_volume(k: &Kx, v: u64) -> bool {
    v != 0 && v == k.ext().flt.volume
}

/// NTSTATUS FltGetVolumeFromFileObject(PFLT_FILTER Filter, PFILE_OBJECT FileObject,
/// PFLT_VOLUME *RetVolume)
pub fn FltGetVolumeFromFileObject(k: &mut Kx, filter: Ptr, fo: Ptr, out: Ptr) -> KResult<NtStatus> {
    if super::filter(k, filter.0).is_none() {
        return Ok(status::INVALID_PARAMETER);
    }
    let device = k.mem().get(fo.0, FILE_OBJECT::DeviceObject)?;
    if device != k.ext().volume.device_object() {
        return Ok(NtStatus(0xC01C_0014)); // STATUS_FLT_VOLUME_NOT_FOUND
    }
    let v = super::volume(k)?;
    reference(k, v);
    k.mem_mut().write_ptr(out.0, v)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetVolumeFromName(PFLT_FILTER Filter, PCUNICODE_STRING VolumeName,
/// PFLT_VOLUME *RetVolume): `\Device\HarddiskVolume1`, `C:`, `\??\C:` or the GUID name.
pub fn FltGetVolumeFromName(k: &mut Kx, filter: Ptr, name: PUnicodeString, out: Ptr) -> KResult<NtStatus> {
    if super::filter(k, filter.0).is_none() {
        return Ok(status::INVALID_PARAMETER);
    }
    let given = crate::rtl::unicode::read_unicode_string(k, name.0)?;
    let g = given.trim_end_matches('\\').to_ascii_uppercase();
    let known = [crate::fs::VOLUME, "C:", "\\??\\C:", "\\DOSDEVICES\\C:", VOLUME_GUID_NAME];
    if !known.iter().any(|n| n.to_ascii_uppercase() == g) {
        return Ok(NtStatus(0xC01C_0014)); // STATUS_FLT_VOLUME_NOT_FOUND
    }
    let v = super::volume(k)?;
    reference(k, v);
    k.mem_mut().write_ptr(out.0, v)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetDeviceObject(PFLT_VOLUME Volume, PDEVICE_OBJECT *DeviceObject): the
/// volume's device object (referenced).
pub fn FltGetDeviceObject(k: &mut Kx, volume: Ptr, out: Ptr) -> KResult<NtStatus> {
    if !is_volume(k, volume.0) {
        return Ok(status::INVALID_PARAMETER);
    }
    let d = k.ext().volume.device_object();
    crate::ob::handles::reference(k, d);
    k.mem_mut().write_ptr(out.0, d)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetDiskDeviceObject(PFLT_VOLUME Volume, PDEVICE_OBJECT *DiskDeviceObject):
/// the disk the volume is on (referenced).
pub fn FltGetDiskDeviceObject(k: &mut Kx, volume: Ptr, out: Ptr) -> KResult<NtStatus> {
    if !is_volume(k, volume.0) {
        return Ok(status::INVALID_PARAMETER);
    }
    let d = crate::fs::disk_device(k)?;
    crate::ob::handles::reference(k, d);
    k.mem_mut().write_ptr(out.0, d)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetVolumeGuidName(PFLT_VOLUME Volume, PUNICODE_STRING VolumeGuidName,
/// PULONG BufferSizeNeeded)
pub fn FltGetVolumeGuidName(k: &mut Kx, volume: Ptr, name: Ptr, needed: Ptr) -> KResult<NtStatus> {
    if !is_volume(k, volume.0) {
        return Ok(status::INVALID_PARAMETER);
    }
    let units: Vec<u8> = VOLUME_GUID_NAME.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    if needed.0 != 0 {
        k.mem_mut().write_u32(needed.0, units.len() as u32)?;
    }
    if name.0 == 0 || k.mem().get(name.0, UNICODE_STRING::MaximumLength)? < units.len() as u64 {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let buffer = k.mem().get(name.0, UNICODE_STRING::Buffer)?;
    k.mem_mut().write(buffer, &units)?;
    k.mem_mut().set(name.0, UNICODE_STRING::Length, units.len() as u64)?;
    Ok(status::SUCCESS)
}

/// The instances on `volume`, highest altitude first (optionally of one filter).
fn instances(k: &Kx, filter: Option<u64>) -> Vec<u64> {
    let s = &k.ext().flt;
    s.instances
        .iter()
        .filter(|i| filter.is_none_or(|f| i.filter == f))
        .filter(|i| s.filters.get(&i.filter).is_some_and(|f| !f.unregistering))
        .map(|i| i.address)
        .collect()
}

fn edge(k: &mut Kx, volume: Ptr, out: Ptr, top: bool) -> KResult<NtStatus> {
    if !is_volume(k, volume.0) {
        return Ok(status::INVALID_PARAMETER);
    }
    let list = instances(k, None);
    let Some(&i) = (if top { list.first() } else { list.last() }) else { return Ok(status::NO_MORE_ENTRIES) };
    reference(k, i);
    k.mem_mut().write_ptr(out.0, i)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetBottomInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance): the
/// lowest-altitude instance.
pub fn FltGetBottomInstance(k: &mut Kx, volume: Ptr, out: Ptr) -> KResult<NtStatus> {
    edge(k, volume, out, false)
}

/// NTSTATUS FltGetTopInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance)
pub fn FltGetTopInstance(k: &mut Kx, volume: Ptr, out: Ptr) -> KResult<NtStatus> {
    edge(k, volume, out, true)
}

/// Writes a referenced list of `objects` into `list` of `room` entries: STATUS_BUFFER_TOO_SMALL
/// (and the count needed) when it does not fit.
fn deliver(k: &mut Kx, objects: Vec<u64>, list: Ptr, room: u32, returned: Ptr) -> KResult<NtStatus> {
    k.mem_mut().write_u32(returned.0, objects.len() as u32)?;
    if objects.len() > room as usize {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let ps = k.arch().ptr_size();
    for (n, o) in objects.into_iter().enumerate() {
        reference(k, o);
        k.mem_mut().write_ptr(list.0 + n as u64 * ps, o)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS FltEnumerateInstances(PFLT_VOLUME Volume, PFLT_FILTER Filter, PFLT_INSTANCE
/// *InstanceList, ULONG InstanceListSize, PULONG NumberInstancesReturned): the instances on
/// the volume (of Filter when given; every volume when Volume is NULL).
pub fn FltEnumerateInstances(
    k: &mut Kx,
    volume: Ptr,
    filter: Ptr,
    list: Ptr,
    room: u32,
    returned: Ptr,
) -> KResult<NtStatus> {
    if volume.0 != 0 && !is_volume(k, volume.0) {
        return Ok(status::INVALID_PARAMETER);
    }
    let found = instances(k, (filter.0 != 0).then_some(filter.0));
    deliver(k, found, list, room, returned)
}

/// NTSTATUS FltEnumerateFilters(PFLT_FILTER *FilterList, ULONG FilterListSize, PULONG
/// NumberFiltersReturned): the registered filters.
pub fn FltEnumerateFilters(k: &mut Kx, list: Ptr, room: u32, returned: Ptr) -> KResult<NtStatus> {
    let found: Vec<u64> = k.ext().flt.filters.values().filter(|f| !f.unregistering).map(|f| f.address).collect();
    deliver(k, found, list, room, returned)
}

/// Whether a FltGet*/FltEnumerate* reference is still held (for tests and reports).
pub fn references(k: &Kx, object: u64) -> i64 {
    k.ext().flt.references.get(&object).copied().unwrap_or(0)
}
