//! What a minifilter can learn about a filter and a volume: FltGetFilterInformation
//! (FILTER_FULL_INFORMATION, FILTER_AGGREGATE_BASIC_INFORMATION,
//! FILTER_AGGREGATE_STANDARD_INFORMATION) and FltGetVolumeProperties
//! (FLT_VOLUME_PROPERTIES, its three names in the buffer right after it).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, DEVICE_OBJECT, UNICODE_STRING};
use crate::types::{status, NtStatus, Ptr};

/// FILTER_INFORMATION_CLASS.
const FULL: u32 = 0;
const AGGREGATE_BASIC: u32 = 1;
const AGGREGATE_STANDARD: u32 = 2;
/// FLTFL_IASI_IS_MINIFILTER / FLTFL_ASI_IS_MINIFILTER.
const IS_MINIFILTER: u32 = 1;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn u16le(v: usize) -> [u8; 2] {
    (v as u16).to_le_bytes()
}

/// NTSTATUS FltGetFilterInformation(PFLT_FILTER Filter, FILTER_INFORMATION_CLASS
/// InformationClass, PVOID Buffer, ULONG BufferSize, PULONG BytesReturned): the filter's
/// frame (0: the one frame), instance count, name and altitude. A buffer too small for the
/// whole answer is STATUS_BUFFER_TOO_SMALL with the size needed in *BytesReturned.
pub fn FltGetFilterInformation(
    k: &mut Kx,
    filter: Ptr,
    class: u32,
    buffer: Ptr,
    size: u32,
    returned: Ptr,
) -> KResult<NtStatus> {
    let Some(f) = super::filter(k, filter.0) else { return Ok(status::INVALID_PARAMETER) };
    let (name, altitude) = (utf16(&f.name), utf16(&f.altitude));
    let instances = k.ext().flt.instances.iter().filter(|i| i.filter == filter.0).count() as u32;
    let mut out: Vec<u8> = Vec::new();
    out.extend(0u32.to_le_bytes()); // NextEntryOffset
    match class {
        FULL => {
            out.extend(0u32.to_le_bytes()); // FrameID
            out.extend(instances.to_le_bytes());
            out.extend(u16le(name.len()));
            out.extend(&name);
        }
        AGGREGATE_BASIC | AGGREGATE_STANDARD => {
            out.extend(IS_MINIFILTER.to_le_bytes());
            if class == AGGREGATE_STANDARD {
                out.extend(0u32.to_le_bytes()); // MiniFilter.Flags
            }
            out.extend(0u32.to_le_bytes()); // FrameID
            out.extend(instances.to_le_bytes());
            let header = out.len() + 8;
            out.extend(u16le(name.len()));
            out.extend(u16le(header));
            out.extend(u16le(altitude.len()));
            out.extend(u16le(header + name.len()));
            out.extend(&name);
            out.extend(&altitude);
        }
        _ => return Ok(status::INVALID_PARAMETER),
    }
    k.mem_mut().write_u32(returned.0, out.len() as u32)?;
    if (size as usize) < out.len() || buffer.0 == 0 {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(buffer.0, &out)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS FltGetVolumeProperties(PFLT_VOLUME Volume, PFLT_VOLUME_PROPERTIES
/// VolumeProperties, ULONG VolumePropertiesLength, PULONG LengthReturned): the disk's type,
/// characteristics, flags, alignment and sector size, then the file system's driver and
/// device names and the volume's device name, each in the buffer after the structure.
/// Shorter than the structure: STATUS_BUFFER_TOO_SMALL; room for the structure but not every
/// name: the names that fit, STATUS_BUFFER_OVERFLOW. *LengthReturned is the size needed.
pub fn FltGetVolumeProperties(k: &mut Kx, volume: Ptr, props: Ptr, length: u32, returned: Ptr) -> KResult<NtStatus> {
    if volume.0 == 0 || volume.0 != k.ext().flt.volume {
        return Ok(status::INVALID_PARAMETER);
    }
    let arch = k.arch();
    let us = UNICODE_STRING::STRUCT.size(arch);
    let fixed = 20u64.div_ceil(arch.ptr_size()) * arch.ptr_size() + 3 * us;
    let names = ["\\FileSystem\\Ntfs", "\\Ntfs", crate::fs::VOLUME].map(utf16);
    let total = fixed + names.iter().map(|n| n.len() as u64).sum::<u64>();
    k.mem_mut().write_u32(returned.0, total as u32)?;
    if (length as u64) < fixed {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let disk = crate::fs::disk_device(k)?;
    let mem = k.mem();
    let device_type = mem.get(disk, DEVICE_OBJECT::DeviceType)? as u32;
    let characteristics = mem.get(disk, DEVICE_OBJECT::Characteristics)? as u32;
    let flags = mem.get(disk, DEVICE_OBJECT::Flags)? as u32;
    let alignment = mem.get(disk, DEVICE_OBJECT::AlignmentRequirement)? as u32;
    let sector = match mem.get(disk, DEVICE_OBJECT::SectorSize)? {
        0 => 512,
        s => s as u16,
    };
    let p = props.0;
    let mem = k.mem_mut();
    for (i, v) in [device_type, characteristics, flags, alignment].into_iter().enumerate() {
        mem.write_u32(p + 4 * i as u64, v)?;
    }
    mem.write_u16(p + 16, sector)?;
    mem.write_u16(p + 18, 0)?;
    let mut at = p + fixed;
    let mut complete = true;
    for (i, n) in names.iter().enumerate() {
        let s = p + fixed - 3 * us + i as u64 * us;
        let fits = at + n.len() as u64 <= p + length as u64;
        if fits {
            k.mem_mut().write(at, n)?;
        } else {
            complete = false;
        }
        let len = if fits { n.len() as u64 } else { 0 };
        k.mem_mut().set(s, UNICODE_STRING::Length, len)?;
        k.mem_mut().set(s, UNICODE_STRING::MaximumLength, len)?;
        k.mem_mut().set(s, UNICODE_STRING::Buffer, if fits { at } else { 0 })?;
        at += len;
    }
    Ok(if complete { status::SUCCESS } else { status::BUFFER_OVERFLOW })
}
