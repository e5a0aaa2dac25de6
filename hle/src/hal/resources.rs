//! Hardware resources: what a PCI device decodes (HalAssignSlotResources) and what legacy
//! drivers claim (IoReportResourceUsage), as CM_RESOURCE_LISTs.
//!
//! A CM_RESOURCE_LIST here holds one full descriptor (interface type, bus number) with its
//! partial descriptors: ports, memory ranges, interrupts (16 bytes each on x86, 20 on x64,
//! packed to 4 as the headers declare them).
#![allow(non_snake_case)]

use portcullis_emu::pci::BarKind;
use portcullis_emu::Arch;

use super::translate::PCI_BUS;
use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::types::{status, Boolean, NtStatus, PUnicodeString, Ptr};

/// CM_RESOURCE_TYPE values.
const PORT: u8 = 1;
const INTERRUPT: u8 = 2;
const MEMORY: u8 = 3;
/// CM_SHARE_DISPOSITION values.
const DEVICE_EXCLUSIVE: u8 = 1;
const SHARED: u8 = 3;
/// CM_RESOURCE_PORT_IO.
const PORT_IO: u16 = 1;

fn descriptor_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 16,
        Arch::X64 => 20,
    }
}

/// One partial descriptor: (type, share, flags, start or level, length or vector).
type Partial = (u8, u8, u16, u64, u32);

fn encode(arch: Arch, interface: u32, bus: u32, parts: &[Partial]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(1u32.to_le_bytes());
    v.extend(interface.to_le_bytes());
    v.extend(bus.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend((parts.len() as u32).to_le_bytes());
    for &(kind, share, flags, a, b) in parts {
        let mut d = vec![kind, share];
        d.extend(flags.to_le_bytes());
        if kind == INTERRUPT {
            d.extend((a as u32).to_le_bytes());
            d.extend(b.to_le_bytes());
            d.extend(&u64::MAX.to_le_bytes()[..arch.ptr_size() as usize]);
        } else {
            d.extend(a.to_le_bytes());
            d.extend(b.to_le_bytes());
        }
        d.resize(descriptor_size(arch) as usize, 0);
        v.extend(d);
    }
    v
}

/// NTSTATUS HalAssignSlotResources(PUNICODE_STRING RegistryPath, PUNICODE_STRING
/// DriverClassName, PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT DeviceObject,
/// INTERFACE_TYPE BusType, ULONG BusNumber, ULONG SlotNumber,
/// PCM_RESOURCE_LIST *AllocatedResources)
///
/// The resources a PCI function decodes — its BARs as the firmware assigned them and its
/// interrupt line — in a CM_RESOURCE_LIST from pool the caller frees. The function's decoding
/// is switched on. STATUS_NO_SUCH_DEVICE for an empty slot; other buses have no slots.
#[allow(clippy::too_many_arguments)]
pub fn HalAssignSlotResources(
    k: &mut Kx,
    _registry_path: PUnicodeString,
    _class: PUnicodeString,
    _driver: Ptr,
    _device: Ptr,
    bus_type: u32,
    bus: u32,
    slot: u32,
    allocated: Ptr,
) -> KResult<NtStatus> {
    if bus_type != PCI_BUS {
        return Ok(status::NOT_IMPLEMENTED);
    }
    let Some(bdf) = super::bus::function_at(k, bus, slot) else { return Ok(status::NO_SUCH_DEVICE) };
    let pci = k.mem().physical().pci.clone();
    let mut parts: Vec<Partial> = Vec::new();
    {
        let mut b = pci.borrow_mut();
        let f = b.function(bdf).expect("present");
        let bars: Vec<(usize, BarKind, u64)> = f.config.bars().map(|(i, bar)| (i, bar.kind, bar.size)).collect();
        for (i, kind, size) in bars {
            let base = f.config.bar_address(i).unwrap_or(0);
            let len = size.min(u32::MAX as u64) as u32;
            parts.push(if kind == BarKind::Io {
                (PORT, DEVICE_EXCLUSIVE, PORT_IO, base, len)
            } else {
                (MEMORY, DEVICE_EXCLUSIVE, 0, base, len)
            });
        }
        let pin = f.config.read(0x3D, portcullis_emu::ports::Width::Byte);
        let line = f.config.read(0x3C, portcullis_emu::ports::Width::Byte);
        if pin != 0 && line != 0xFF {
            parts.push((INTERRUPT, SHARED, 0, line as u64, line));
        }
        // Enable I/O and memory decoding, and bus mastering, as the HAL does for the slot.
        let command = f.config.read(0x04, portcullis_emu::ports::Width::Word);
        b.write(bdf, 0x04, portcullis_emu::ports::Width::Word, command | 0x7, portcullis_emu::pci::Mechanism::Hal);
    }
    let bytes = encode(k.arch(), PCI_BUS, bus, &parts);
    let Some(list) = pool::allocate_for_caller(k, 0, bytes.len() as u64, u32::from_le_bytes(*b"Hal "))? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    k.mem_mut().write(list, &bytes)?;
    k.mem_mut().write_ptr(allocated.0, list)?;
    Ok(status::SUCCESS)
}

/// The port and memory ranges of a CM_RESOURCE_LIST of `size` bytes: (memory?, start, end).
fn ranges(k: &Kx, list: u64, size: u32) -> KResult<Vec<(bool, u64, u64)>> {
    let mut out = Vec::new();
    if list == 0 || size < 4 {
        return Ok(out);
    }
    let arch = k.arch();
    let end = list + size as u64;
    let lists = k.mem().read_u32(list)?;
    let mut at = list + 4;
    for _ in 0..lists.min(64) {
        if at + 16 > end {
            break;
        }
        let count = k.mem().read_u32(at + 12)?;
        at += 16;
        for _ in 0..count.min(256) {
            if at + descriptor_size(arch) > end {
                break;
            }
            let kind = k.mem().read_u8(at)?;
            if kind == PORT || kind == MEMORY {
                let start = k.mem().read_u64(at + 4)?;
                let len = k.mem().read_u32(at + 12)? as u64;
                if len != 0 {
                    out.push((kind == MEMORY, start, start.saturating_add(len - 1)));
                }
            }
            at += descriptor_size(arch);
        }
    }
    Ok(out)
}

/// NTSTATUS IoReportResourceUsage(PUNICODE_STRING DriverClassName, PDRIVER_OBJECT
/// DriverObject, PCM_RESOURCE_LIST DriverList, ULONG DriverListSize, PDEVICE_OBJECT
/// DeviceObject, PCM_RESOURCE_LIST DeviceList, ULONG DeviceListSize, BOOLEAN OverrideConflict,
/// PBOOLEAN ConflictDetected)
///
/// Claims the ports and memory of the lists for the driver (or device), replacing what it
/// claimed before. A range another claimant holds is a conflict: `*ConflictDetected` says so,
/// and the claim is recorded anyway only with `OverrideConflict`.
#[allow(clippy::too_many_arguments)]
pub fn IoReportResourceUsage(
    k: &mut Kx,
    _class: PUnicodeString,
    driver: Ptr,
    driver_list: Ptr,
    driver_size: u32,
    device: Ptr,
    device_list: Ptr,
    device_size: u32,
    override_conflict: Boolean,
    conflict: Ptr,
) -> KResult<NtStatus> {
    let mut claims: Vec<(u64, bool, u64, u64)> = Vec::new();
    for (owner, list, size) in [(driver.0, driver_list.0, driver_size), (device.0, device_list.0, device_size)] {
        for (memory, start, end) in ranges(k, list, size)? {
            claims.push((owner, memory, start, end));
        }
    }
    let owners = [driver.0, device.0];
    let held = &k.ext().hal.claims;
    let clash = claims.iter().any(|(_, memory, start, end)| {
        held.iter().any(|(o, m, s, e)| !owners.contains(o) && m == memory && s <= end && start <= e)
    });
    if !conflict.is_null() {
        k.mem_mut().write_u8(conflict.0, clash as u8)?;
    }
    if !clash || override_conflict.0 {
        let held = &mut k.ext_mut().hal.claims;
        held.retain(|(o, ..)| !owners.contains(o) || *o == 0);
        held.extend(claims);
    }
    Ok(status::SUCCESS)
}
