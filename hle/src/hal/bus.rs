//! Bus data: HalGetBusData(ByOffset) and HalSetBusData(ByOffset) for PCI configuration space
//! and CMOS, the way the HAL answers them.
//!
//! PCI: the slot number is a PCI_SLOT_NUMBER (device in bits 0-4, function in bits 5-7);
//! the routines reach the 256-byte PCI-compatible space only. A bus that does not exist gives
//! 0 bytes; an empty slot gives 2 bytes of PCI_INVALID_VENDORID when the common header is
//! asked for (and 0 otherwise), so enumerators stop there, as they expect. The same
//! configuration space answers ports 0xCF8/0xCFC and ECAM.
//!
//! CMOS: bus 0 is the RTC/CMOS bank at ports 0x70/0x71, bus 1 the upper bank at 0x72/0x73,
//! addressed by the slot number (plus the offset); accesses go through the port bus, traced.
#![allow(non_snake_case)]

use portcullis_emu::pci::{Bdf, Mechanism};
use portcullis_emu::ports::Width;

use crate::kernel::{caller, KError, KResult, Kx};
use crate::types::Ptr;

/// BUS_DATA_TYPE values the HAL serves.
pub const CMOS: u32 = 0;
pub const PCI_CONFIGURATION: u32 = 4;
/// Bytes of PCI-compatible configuration space (PCI_COMMON_CONFIG).
const PCI_SPACE: u32 = 256;

fn slot(bus: u32, slot: u32) -> Bdf {
    Bdf::new(bus as u8, (slot & 0x1F) as u8, ((slot >> 5) & 7) as u8)
}

fn pci_get(k: &mut Kx, bus: u32, slot_number: u32, buffer: Ptr, offset: u32, length: u32) -> KResult<u32> {
    let pci = k.mem().physical().pci.clone();
    if bus > 0xFF || !pci.borrow().bus_exists(bus as u8) || offset >= PCI_SPACE || length == 0 {
        return Ok(0);
    }
    let bdf = slot(bus, slot_number);
    let length = length.min(PCI_SPACE - offset);
    let present = pci.borrow().function(bdf).is_some();
    if !present {
        // An empty slot: its vendor ID, PCI_INVALID_VENDORID, is all there is to read.
        if offset >= 2 {
            return Ok(0);
        }
        let n = (2 - offset).min(length);
        let ones = [0xFFu8; 2];
        k.mem_mut().write(buffer.0, &ones[..n as usize])?;
        pci.borrow_mut().read_block(bdf, offset as u16, &mut [0u8; 2][..n as usize], Mechanism::Hal);
        return Ok(n);
    }
    let mut data = vec![0u8; length as usize];
    pci.borrow_mut().read_block(bdf, offset as u16, &mut data, Mechanism::Hal);
    k.mem_mut().write(buffer.0, &data)?;
    Ok(length)
}

fn pci_set(k: &mut Kx, bus: u32, slot_number: u32, buffer: Ptr, offset: u32, length: u32) -> KResult<u32> {
    let pci = k.mem().physical().pci.clone();
    if bus > 0xFF || !pci.borrow().bus_exists(bus as u8) || offset >= PCI_SPACE || length == 0 {
        return Ok(0);
    }
    let bdf = slot(bus, slot_number);
    if pci.borrow().function(bdf).is_none() {
        return Ok(0);
    }
    let length = length.min(PCI_SPACE - offset);
    let mut data = vec![0u8; length as usize];
    k.mem().read(buffer.0, &mut data)?;
    pci.borrow_mut().write_block(bdf, offset as u16, &data, Mechanism::Hal);
    Ok(length)
}

/// The index and data ports of CMOS bank `bus`, and the highest address it takes.
fn cmos_bank(bus: u32) -> Option<(u16, u32)> {
    match bus {
        0 => Some((0x70, 0xFF)),
        1 => Some((0x72, 0xFFFF)),
        _ => None,
    }
}

fn cmos(k: &mut Kx, bus: u32, address: u32, buffer: Ptr, length: u32, write: bool) -> KResult<u32> {
    let Some((index_port, last)) = cmos_bank(bus) else { return Ok(0) };
    let at = caller(k);
    let mut done = 0u32;
    while done < length && address.saturating_add(done) <= last {
        k.check_budget().map_err(KError::Stop)?;
        let reg = address + done;
        k.port_io(index_port, Width::Byte, Some(reg & 0xFF), at).map_err(KError::Stop)?;
        let slot = buffer.0.wrapping_add(done as u64);
        if write {
            let v = k.mem().read_u8(slot)?;
            k.port_io(index_port + 1, Width::Byte, Some(v as u32), at).map_err(KError::Stop)?;
        } else {
            let v = k.port_io(index_port + 1, Width::Byte, None, at).map_err(KError::Stop)?;
            k.mem_mut().write_u8(slot, v as u8)?;
        }
        done += 1;
    }
    Ok(done)
}

/// ULONG HalGetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
/// PVOID Buffer, ULONG Offset, ULONG Length): the bytes read.
pub fn HalGetBusDataByOffset(
    k: &mut Kx,
    kind: u32,
    bus: u32,
    slot_number: u32,
    buffer: Ptr,
    offset: u32,
    length: u32,
) -> KResult<u32> {
    match kind {
        PCI_CONFIGURATION => pci_get(k, bus, slot_number, buffer, offset, length),
        CMOS => cmos(k, bus, slot_number.saturating_add(offset), buffer, length, false),
        _ => Ok(0),
    }
}

/// ULONG HalGetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
/// PVOID Buffer, ULONG Length): from offset 0.
pub fn HalGetBusData(k: &mut Kx, kind: u32, bus: u32, slot_number: u32, buffer: Ptr, length: u32) -> KResult<u32> {
    HalGetBusDataByOffset(k, kind, bus, slot_number, buffer, 0, length)
}

/// ULONG HalSetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
/// PVOID Buffer, ULONG Offset, ULONG Length): the bytes written (read-only bits keep their
/// value, as the hardware keeps them).
pub fn HalSetBusDataByOffset(
    k: &mut Kx,
    kind: u32,
    bus: u32,
    slot_number: u32,
    buffer: Ptr,
    offset: u32,
    length: u32,
) -> KResult<u32> {
    match kind {
        PCI_CONFIGURATION => pci_set(k, bus, slot_number, buffer, offset, length),
        CMOS => cmos(k, bus, slot_number.saturating_add(offset), buffer, length, true),
        _ => Ok(0),
    }
}

/// ULONG HalSetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber,
/// PVOID Buffer, ULONG Length): from offset 0.
pub fn HalSetBusData(k: &mut Kx, kind: u32, bus: u32, slot_number: u32, buffer: Ptr, length: u32) -> KResult<u32> {
    HalSetBusDataByOffset(k, kind, bus, slot_number, buffer, 0, length)
}

/// The function a bus and PCI_SLOT_NUMBER name, if one answers there.
pub(crate) fn function_at(k: &Kx, bus: u32, slot_number: u32) -> Option<Bdf> {
    let bdf = slot(bus, slot_number);
    let pci = k.mem().physical().pci.clone();
    let present = bus <= 0xFF && pci.borrow().function(bdf).is_some();
    present.then_some(bdf)
}
