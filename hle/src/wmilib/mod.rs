//! wmilib.sys: the WMI library drivers use to answer IRP_MJ_SYSTEM_CONTROL. WmiSystemControl
//! reads the request WMI sent (IO_STACK_LOCATION.Parameters.WMI: ProviderId, DataPath,
//! BufferSize, Buffer), finds the data block's GUID in the driver's WMILIB_CONTEXT and calls
//! the driver's callback for it with the right part of the WNODE buffer; the callback calls
//! WmiCompleteRequest, which finishes the WNODE (sizes, offsets, or a WNODE_TOO_SMALL saying
//! how much room was needed) and completes the IRP. Registration (IRP_MN_REGINFO(_EX)) builds
//! the WMIREGINFO from the GUID list and the driver's QueryWmiRegInfo callback.
//! WmiFireEvent sends an event WNODE; it is recorded in the trace.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use crate::io::major;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, IO_STACK_LOCATION, IRP};
use crate::types::{status, NtStatus, Ptr};

/// IRP_MN_* of IRP_MJ_SYSTEM_CONTROL.
const QUERY_ALL_DATA: u8 = 0;
const QUERY_SINGLE_INSTANCE: u8 = 1;
const CHANGE_SINGLE_INSTANCE: u8 = 2;
const CHANGE_SINGLE_ITEM: u8 = 3;
const ENABLE_EVENTS: u8 = 4;
const ENABLE_COLLECTION: u8 = 6;
const REGINFO: u8 = 8;
const EXECUTE_METHOD: u8 = 9;
const REGINFO_EX: u8 = 0xB;
/// SYSCTL_IRP_DISPOSITION.
const IRP_PROCESSED: u32 = 0;
const IRP_NOT_WMI: u32 = 2;
const IRP_FORWARD: u32 = 3;
/// WMIENABLEDISABLECONTROL.
const WMI_EVENT_CONTROL: u64 = 0;
const WMI_DATA_BLOCK_CONTROL: u64 = 1;
const WMI_GUID_NOT_FOUND: NtStatus = NtStatus(0xC000_0295);
const WMI_INSTANCE_NOT_FOUND: NtStatus = NtStatus(0xC000_0296);
/// WNODE offsets (every field a ULONG: the same on both architectures).
const WNODE_BUFFER_SIZE: u64 = 0;
const WNODE_PROVIDER_ID: u64 = 4;
const WNODE_GUID: u64 = 24;
const WNODE_FLAGS: u64 = 44;
const WNODE_FLAG_SINGLE_INSTANCE: u32 = 0x2;
const WNODE_FLAG_EVENT_ITEM: u32 = 0x8;
const WNODE_FLAG_TOO_SMALL: u32 = 0x20;
const WNODE_FLAG_STATIC_INSTANCE_NAMES: u32 = 0x80;
/// WNODE_ALL_DATA: DataBlockOffset, InstanceCount, OffsetInstanceNameOffsets, then the
/// OFFSETINSTANCEDATAANDLENGTH array.
const ALL_DATA_BLOCK_OFFSET: u64 = 48;
const ALL_INSTANCE_COUNT: u64 = 52;
const ALL_LENGTHS: u64 = 60;
/// WNODE_SINGLE_INSTANCE / WNODE_METHOD_ITEM / WNODE_SINGLE_ITEM fields.
const SINGLE_INSTANCE_INDEX: u64 = 52;
const SINGLE_DATA_BLOCK_OFFSET: u64 = 56;
const SINGLE_SIZE_DATA_BLOCK: u64 = 60;
const SINGLE_HEADER: u64 = 64;
const ITEM_ID: u64 = 56;
const ITEM_DATA_BLOCK_OFFSET: u64 = 60;
const ITEM_SIZE: u64 = 64;
/// WNODE_TOO_SMALL: the header and SizeNeeded, 8-aligned.
const TOO_SMALL_SIZE: u64 = 56;
const TOO_SMALL_NEEDED: u64 = 48;

/// The WMI parameters of the current stack location: (minor, provider, data path, size, buffer).
fn request(k: &Kx, irp: u64) -> KResult<(u8, u64, u64, u32, u64)> {
    let loc = k.mem().get(irp, IRP::CurrentStackLocation)?;
    let m = k.mem();
    Ok((
        m.get(loc, IO_STACK_LOCATION::MinorFunction)? as u8,
        m.get(loc, IO_STACK_LOCATION::Argument1)?,
        m.get(loc, IO_STACK_LOCATION::Argument2)?,
        m.get(loc, IO_STACK_LOCATION::Argument3)? as u32,
        m.get(loc, IO_STACK_LOCATION::Argument4)?,
    ))
}

/// The WMILIB_CONTEXT's fields: GuidCount, GuidList and the six callbacks.
struct Library {
    guids: Vec<([u8; 16], u32, u32)>,
    query_reginfo: u64,
    query_block: u64,
    set_block: u64,
    set_item: u64,
    execute: u64,
    function_control: u64,
}

/// Reads a WMILIB_CONTEXT (at most 1024 GUIDs are read).
fn library(k: &Kx, at: u64) -> KResult<Library> {
    let ps = k.arch().ptr_size();
    let m = k.mem();
    let count = m.read_u32(at)?.min(1024) as u64;
    let list = m.read_ptr(at + ps)?;
    let entry = if ps == 8 { 16 } else { 12 };
    let mut guids = Vec::new();
    for i in 0..count {
        let e = list + i * entry;
        let mut g = [0u8; 16];
        m.read(m.read_ptr(e)?, &mut g)?;
        guids.push((g, m.read_u32(e + ps)?, m.read_u32(e + ps + 4)?));
    }
    let f = |n: u64| m.read_ptr(at + ps * (2 + n));
    Ok(Library {
        guids,
        query_reginfo: f(0)?,
        query_block: f(1)?,
        set_block: f(2)?,
        set_item: f(3)?,
        execute: f(4)?,
        function_control: f(5)?,
    })
}

/// Completes the IRP with `st` and `information` (IoCompleteRequest).
fn finish(k: &mut Kx, irp: u64, st: NtStatus, information: u64) -> KResult<NtStatus> {
    crate::io::irp::set_status(k, irp, st, information)?;
    let at = caller(k);
    crate::io::irp::complete(k, Ptr(irp), at)?;
    Ok(st)
}

fn call(k: &mut Kx, routine: u64, args: &[u64]) -> KResult<NtStatus> {
    let conv = CallConv::Stdcall.for_arch(k.arch());
    Ok(NtStatus(crate::ke::scheduler::call(k, routine, args, conv)? as u32))
}

fn align8(v: u64) -> u64 {
    (v + 7) & !7
}

/// NTSTATUS WmiSystemControl(PWMILIB_CONTEXT WmiLibInfo, PDEVICE_OBJECT DeviceObject,
/// PIRP Irp, PSYSCTL_IRP_DISPOSITION IrpDisposition)
pub fn WmiSystemControl(k: &mut Kx, info: Ptr, device: Ptr, irp: Ptr, disposition: Ptr) -> KResult<NtStatus> {
    let (minor, provider, path, size, buffer) = request(k, irp.0)?;
    let loc = k.mem().get(irp.0, IRP::CurrentStackLocation)?;
    let current = crate::io::irp::status_of(k, irp.0)?.0;
    if k.mem().get(loc, IO_STACK_LOCATION::MajorFunction)? as u8 != major::SYSTEM_CONTROL
        || !(QUERY_ALL_DATA..=REGINFO_EX).contains(&minor)
        || minor == 0xA
    {
        k.mem_mut().write_u32(disposition.0, IRP_NOT_WMI)?;
        return Ok(current);
    }
    if provider != device.0 {
        // Another device's request: pass it down.
        k.mem_mut().write_u32(disposition.0, IRP_FORWARD)?;
        return Ok(current);
    }
    k.mem_mut().write_u32(disposition.0, IRP_PROCESSED)?;
    let lib = library(k, info.0)?;
    if minor == REGINFO || minor == REGINFO_EX {
        return reginfo(k, &lib, device.0, irp.0, size, buffer);
    }
    let mut guid = [0u8; 16];
    k.mem().read(path, &mut guid)?;
    let Some(index) = lib.guids.iter().position(|g| g.0 == guid) else {
        return finish(k, irp.0, WMI_GUID_NOT_FOUND, 0);
    };
    let instances = lib.guids[index].1;
    let (d, i, g) = (device.0, irp.0, index as u64);
    let m = k.mem();
    match minor {
        QUERY_ALL_DATA => {
            if lib.query_block == 0 {
                return finish(k, i, status::INVALID_DEVICE_REQUEST, 0);
            }
            let used = ALL_LENGTHS + instances as u64 * 8;
            let (lengths, avail, data) = if used <= size as u64 {
                let offset = align8(used);
                k.mem_mut().write_u32(buffer + ALL_DATA_BLOCK_OFFSET, offset as u32)?;
                (buffer + ALL_LENGTHS, (size as u64).saturating_sub(offset), buffer + offset.min(size as u64))
            } else {
                (0, 0, 0)
            };
            k.mem_mut().write_u32(buffer + ALL_INSTANCE_COUNT, instances)?;
            call(k, lib.query_block, &[d, i, g, 0, instances as u64, lengths, avail, data])
        }
        QUERY_SINGLE_INSTANCE | CHANGE_SINGLE_INSTANCE | EXECUTE_METHOD | CHANGE_SINGLE_ITEM => {
            let index_in = m.read_u32(buffer + SINGLE_INSTANCE_INDEX)?;
            if index_in >= instances {
                return finish(k, i, WMI_INSTANCE_NOT_FOUND, 0);
            }
            let item = minor == CHANGE_SINGLE_ITEM || minor == EXECUTE_METHOD;
            let offset =
                m.read_u32(buffer + if item { ITEM_DATA_BLOCK_OFFSET } else { SINGLE_DATA_BLOCK_OFFSET })? as u64;
            let data = buffer + offset;
            let avail = (size as u64).saturating_sub(offset);
            let (routine, args) = match minor {
                QUERY_SINGLE_INSTANCE => {
                    (lib.query_block, vec![d, i, g, index_in as u64, 1, buffer + SINGLE_SIZE_DATA_BLOCK, avail, data])
                }
                CHANGE_SINGLE_INSTANCE => {
                    let n = m.read_u32(buffer + SINGLE_SIZE_DATA_BLOCK)? as u64;
                    (lib.set_block, vec![d, i, g, index_in as u64, n, data])
                }
                CHANGE_SINGLE_ITEM => {
                    let id = m.read_u32(buffer + ITEM_ID)? as u64;
                    let n = m.read_u32(buffer + ITEM_SIZE)? as u64;
                    (lib.set_item, vec![d, i, g, index_in as u64, id, n, data])
                }
                _ => {
                    let id = m.read_u32(buffer + ITEM_ID)? as u64;
                    let n = m.read_u32(buffer + ITEM_SIZE)? as u64;
                    (lib.execute, vec![d, i, g, index_in as u64, id, n, avail, data])
                }
            };
            if routine == 0 {
                return finish(k, i, status::INVALID_DEVICE_REQUEST, 0);
            }
            call(k, routine, &args)
        }
        _ => {
            // ENABLE/DISABLE_EVENTS, ENABLE/DISABLE_COLLECTION.
            if lib.function_control == 0 {
                return finish(k, i, status::SUCCESS, 0);
            }
            // IRP_MN_DISABLE_EVENTS is 5.
            let what = if matches!(minor, ENABLE_EVENTS | 5) { WMI_EVENT_CONTROL } else { WMI_DATA_BLOCK_CONTROL };
            let enable = matches!(minor, ENABLE_EVENTS | ENABLE_COLLECTION) as u64;
            call(k, lib.function_control, &[d, i, g, what, enable])
        }
    }
}

/// Writes a counted string (USHORT length in bytes, then the characters) at `at`.
fn counted(k: &mut Kx, at: u64, text: &[u16]) -> KResult<()> {
    let mut b = ((text.len() * 2) as u16).to_le_bytes().to_vec();
    b.extend(text.iter().flat_map(|u| u.to_le_bytes()));
    k.mem_mut().write(at, &b)?;
    Ok(())
}

/// IRP_MN_REGINFO(_EX): the WMIREGINFO of the driver's GUIDs.
fn reginfo(k: &mut Kx, lib: &Library, device: u64, irp: u64, size: u32, buffer: u64) -> KResult<NtStatus> {
    if lib.query_reginfo == 0 {
        return finish(k, irp, status::INVALID_DEVICE_REQUEST, 0);
    }
    let arch = k.arch();
    let ps = arch.ptr_size();
    let us = crate::layout::UNICODE_STRING::STRUCT.size(arch);
    // RegFlags, InstanceName, *RegistryPath, MofResourceName, *Pdo.
    let block = crate::ex::pool::kernel_alloc(k, 8 + 2 * us + 2 * ps, b"WmiR")?;
    let (flags_at, name_at, mof_at) = (block, block + 8, block + 8 + us);
    let (path_at, pdo_at) = (mof_at + us, mof_at + us + ps);
    let st = call(k, lib.query_reginfo, &[device, flags_at, name_at, path_at, mof_at, pdo_at])?;
    let read_string = |k: &Kx, at: u64| -> KResult<Vec<u16>> {
        if at == 0 {
            return Ok(Vec::new());
        }
        Ok(crate::rtl::unicode::read_unicode_string(k, at)?.encode_utf16().collect())
    };
    let reg_flags = k.mem().read_u32(flags_at)?;
    let instance_name = read_string(k, name_at)?;
    let name_buffer = k.mem().get(name_at, crate::layout::UNICODE_STRING::Buffer)?;
    let path_ptr = k.mem().read_ptr(path_at)?;
    let registry_path = read_string(k, path_ptr)?;
    let mof = read_string(k, mof_at)?;
    let pdo = k.mem().read_ptr(pdo_at)?;
    crate::ex::pool::free(k, block, None, 0)?;
    // WMILIB frees the instance name the callback allocated.
    if name_buffer != 0 && k.ext().pool.block(name_buffer).is_some() {
        crate::ex::pool::free(k, name_buffer, None, 0)?;
    }
    if !st.is_success() {
        return finish(k, irp, st, 0);
    }
    const WMIREG_FLAG_INSTANCE_BASENAME: u32 = 0x8;
    const WMIREG_FLAG_INSTANCE_PDO: u32 = 0x20;
    let entry = if ps == 8 { 32 } else { 28 };
    let head = 20 + lib.guids.len() as u64 * entry;
    let path_off = head;
    let mof_off = path_off + 2 + registry_path.len() as u64 * 2;
    let base_off = mof_off + if mof.is_empty() { 0 } else { 2 + mof.len() as u64 * 2 };
    let pdo_named = reg_flags & WMIREG_FLAG_INSTANCE_PDO != 0;
    let total = base_off + if pdo_named { 0 } else { 2 + instance_name.len() as u64 * 2 };
    if total > size as u64 {
        if size >= 4 {
            k.mem_mut().write_u32(buffer, total as u32)?;
        }
        return finish(k, irp, status::BUFFER_TOO_SMALL, 4);
    }
    let mem = k.mem_mut();
    mem.write_u32(buffer, total as u32)?;
    mem.write_u32(buffer + 4, 0)?;
    mem.write_u32(buffer + 8, path_off as u32)?;
    mem.write_u32(buffer + 12, if mof.is_empty() { 0 } else { mof_off as u32 })?;
    mem.write_u32(buffer + 16, lib.guids.len() as u32)?;
    for (n, (guid, count, flags)) in lib.guids.iter().enumerate() {
        let e = buffer + 20 + n as u64 * entry;
        mem.write(e, guid)?;
        let naming = if pdo_named { WMIREG_FLAG_INSTANCE_PDO } else { WMIREG_FLAG_INSTANCE_BASENAME };
        mem.write_u32(e + 16, flags | (reg_flags & !WMIREG_FLAG_INSTANCE_PDO) | naming)?;
        mem.write_u32(e + 20, *count)?;
        let union = e + 24;
        if pdo_named {
            mem.write_ptr(union, pdo)?;
        } else {
            mem.write_u32(union, base_off as u32)?;
        }
    }
    counted(k, buffer + path_off, &registry_path)?;
    if !mof.is_empty() {
        counted(k, buffer + mof_off, &mof)?;
    }
    if !pdo_named {
        counted(k, buffer + base_off, &instance_name)?;
    }
    finish(k, irp, status::SUCCESS, total)
}

/// NTSTATUS WmiCompleteRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp, NTSTATUS Status,
/// ULONG BufferUsed, CCHAR PriorityBoost): finishes the WNODE of a data-block request and
/// completes the IRP. A callback that found the buffer too small passes
/// STATUS_BUFFER_TOO_SMALL with the data size it needs; WMI then gets a WNODE_TOO_SMALL.
pub fn WmiCompleteRequest(
    k: &mut Kx,
    _device: Ptr,
    irp: Ptr,
    st: NtStatus,
    used: u32,
    _boost: u8,
) -> KResult<NtStatus> {
    let (minor, _, _, size, buffer) = request(k, irp.0)?;
    let used = used as u64;
    let (offset, fill) = match minor {
        QUERY_ALL_DATA => (k.mem().read_u32(buffer + ALL_DATA_BLOCK_OFFSET)? as u64, true),
        QUERY_SINGLE_INSTANCE => (k.mem().read_u32(buffer + SINGLE_DATA_BLOCK_OFFSET)? as u64, true),
        EXECUTE_METHOD => (k.mem().read_u32(buffer + ITEM_DATA_BLOCK_OFFSET)? as u64, true),
        _ => (0, false),
    };
    if !fill {
        return finish(k, irp.0, st, 0);
    }
    let offset = if minor == QUERY_ALL_DATA && offset == 0 {
        // There was no room even for the instance lengths.
        align8(ALL_LENGTHS + k.mem().read_u32(buffer + ALL_INSTANCE_COUNT)? as u64 * 8)
    } else {
        offset
    };
    if st == status::BUFFER_TOO_SMALL || (st.is_success() && offset + used > size as u64) {
        let flags = k.mem().read_u32(buffer + WNODE_FLAGS)?;
        let mem = k.mem_mut();
        mem.write_u32(buffer + WNODE_FLAGS, flags | WNODE_FLAG_TOO_SMALL)?;
        mem.write_u32(buffer + WNODE_BUFFER_SIZE, TOO_SMALL_SIZE as u32)?;
        mem.write_u32(buffer + TOO_SMALL_NEEDED, (offset + used) as u32)?;
        return finish(k, irp.0, status::SUCCESS, TOO_SMALL_SIZE);
    }
    if !st.is_success() {
        return finish(k, irp.0, st, 0);
    }
    match minor {
        QUERY_ALL_DATA => {
            // The callback wrote one ULONG length per instance where the offset/length pairs
            // go; turn them into pairs, last first so no length is overwritten before read.
            let count = k.mem().read_u32(buffer + ALL_INSTANCE_COUNT)? as u64;
            let lengths: Vec<u64> = (0..count)
                .map(|n| k.mem().read_u32(buffer + ALL_LENGTHS + 4 * n).map(|v| v as u64))
                .collect::<Result<_, _>>()?;
            let mut at = offset;
            let mut pairs = Vec::new();
            for l in &lengths {
                pairs.push((at, *l));
                at = align8(at + l);
            }
            for (n, (o, l)) in pairs.iter().enumerate().rev() {
                k.mem_mut().write_u32(buffer + ALL_LENGTHS + 8 * n as u64, *o as u32)?;
                k.mem_mut().write_u32(buffer + ALL_LENGTHS + 8 * n as u64 + 4, *l as u32)?;
            }
        }
        QUERY_SINGLE_INSTANCE => k.mem_mut().write_u32(buffer + SINGLE_SIZE_DATA_BLOCK, used as u32)?,
        _ => k.mem_mut().write_u32(buffer + ITEM_SIZE, used as u32)?,
    }
    let total = offset + used;
    k.mem_mut().write_u32(buffer + WNODE_BUFFER_SIZE, total as u32)?;
    finish(k, irp.0, status::SUCCESS, total)
}

/// NTSTATUS WmiFireEvent(PDEVICE_OBJECT DeviceObject, LPCGUID Guid, ULONG InstanceIndex,
/// ULONG EventDataSize, PVOID EventData): sends a WNODE_SINGLE_INSTANCE event with the data
/// (recorded in the trace) and frees EventData, which the caller allocated from pool.
pub fn WmiFireEvent(k: &mut Kx, device: Ptr, guid: Ptr, instance: u32, size: u32, data: Ptr) -> KResult<NtStatus> {
    let mut g = [0u8; 16];
    k.mem().read(guid.0, &mut g)?;
    let payload = k.mem().read_vec(data.0, if data.0 == 0 { 0 } else { size as u64 })?;
    let total = SINGLE_HEADER + payload.len() as u64;
    let wnode = crate::ex::pool::kernel_alloc(k, total, b"WmiE")?;
    let mem = k.mem_mut();
    mem.write_u32(wnode + WNODE_BUFFER_SIZE, total as u32)?;
    mem.write_u32(wnode + WNODE_PROVIDER_ID, device.0 as u32)?;
    mem.write(wnode + WNODE_GUID, &g)?;
    let flags = WNODE_FLAG_EVENT_ITEM | WNODE_FLAG_SINGLE_INSTANCE | WNODE_FLAG_STATIC_INSTANCE_NAMES;
    mem.write_u32(wnode + WNODE_FLAGS, flags)?;
    mem.write_u32(wnode + SINGLE_INSTANCE_INDEX, instance)?;
    mem.write_u32(wnode + SINGLE_DATA_BLOCK_OFFSET, SINGLE_HEADER as u32)?;
    mem.write_u32(wnode + SINGLE_SIZE_DATA_BLOCK, payload.len() as u32)?;
    mem.write(wnode + SINGLE_HEADER, &payload)?;
    let at = caller(k);
    let event = crate::etw::TraceEvent::wmi("WmiFireEvent", &g, instance as u16, &payload, false, at);
    crate::events::push(k, crate::events::SystemEvent::Trace(event));
    crate::ex::pool::free(k, wnode, None, 0)?;
    if data.0 != 0 {
        crate::ex::pool::free(k, data.0, None, at)?;
    }
    Ok(status::SUCCESS)
}
