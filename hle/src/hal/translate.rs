//! Bus-relative addresses and interrupts to system ones: HalTranslateBusAddress and
//! HalGetInterruptVector, as a PC's APIC HAL answers them.
//!
//! On a PC every bus sees the processor's physical address space and I/O port space as they
//! are, so translation is the identity and I/O addresses stay I/O addresses. Interrupts are
//! delivered through the I/O APIC: an ISA IRQ arrives on the global system interrupt the ACPI
//! MADT says (IRQ 0 on GSI 2), a PCI interrupt line on its own number; GSI `n` gets vector
//! 0x50 + n, and, as Windows ties them on x64, the IRQL is the vector's upper nibble.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{Boolean, Ptr};

/// INTERFACE_TYPE values.
pub const INTERNAL: u32 = 0;
pub const ISA: u32 = 1;
pub const EISA: u32 = 2;
pub const PCI_BUS: u32 = 5;
pub const PROCESSOR_INTERNAL: u32 = 13;
pub const PNP_ISA_BUS: u32 = 15;

/// Inputs of the I/O APIC.
const GSI_COUNT: u32 = 24;
const FIRST_VECTOR: u32 = 0x50;

/// Whether `bus` of interface type `interface` exists on the machine.
fn bus_exists(k: &Kx, interface: u32, bus: u32) -> bool {
    match interface {
        INTERNAL | ISA | EISA | PROCESSOR_INTERNAL | PNP_ISA_BUS => bus == 0,
        PCI_BUS => bus <= 0xFF && k.mem().physical().pci.borrow().bus_exists(bus as u8),
        _ => false,
    }
}

/// BOOLEAN HalTranslateBusAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
/// PHYSICAL_ADDRESS BusAddress, PULONG AddressSpace, PPHYSICAL_ADDRESS TranslatedAddress)
///
/// `*AddressSpace` is 0 for memory, 1 for I/O on entry and says the same on return (a port
/// stays a port); the translated address is the bus address. FALSE for a bus the machine does
/// not have, an I/O address past 0xFFFF, or memory past the processor's physical reach.
pub fn HalTranslateBusAddress(
    k: &mut Kx,
    interface: u32,
    bus: u32,
    address: u64,
    address_space: Ptr,
    translated: Ptr,
) -> KResult<Boolean> {
    let space = k.mem().read_u32(address_space.0)?;
    let valid = bus_exists(k, interface, bus)
        && match space {
            0 => address < k.mem().physical().limit(),
            1 => address <= 0xFFFF,
            _ => false,
        };
    if !valid {
        return Ok(Boolean(false));
    }
    k.mem_mut().write_u32(address_space.0, space)?;
    k.mem_mut().write_u64(translated.0, address)?;
    Ok(Boolean(true))
}

/// The global system interrupt an interrupt level of a bus arrives on.
pub(crate) fn gsi(interface: u32, level: u32) -> Option<u32> {
    let gsi = match interface {
        // The MADT's override: the timer's IRQ 0 is wired to input 2.
        INTERNAL | ISA | EISA | PNP_ISA_BUS if level == 0 => 2,
        INTERNAL | ISA | EISA | PNP_ISA_BUS if level < 16 => level,
        PCI_BUS => level,
        _ => return None,
    };
    (gsi < GSI_COUNT).then_some(gsi)
}

/// ULONG HalGetInterruptVector(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
/// ULONG BusInterruptLevel, ULONG BusInterruptVector, PKIRQL Irql, PKAFFINITY Affinity)
///
/// The system vector of a bus interrupt, with its IRQL and the processors it may arrive on;
/// 0 when the bus or the interrupt does not exist.
pub fn HalGetInterruptVector(
    k: &mut Kx,
    interface: u32,
    bus: u32,
    level: u32,
    _vector: u32,
    irql: Ptr,
    affinity: Ptr,
) -> KResult<u32> {
    let Some(gsi) = gsi(interface, level).filter(|_| bus_exists(k, interface, bus)) else { return Ok(0) };
    let vector = FIRST_VECTOR + gsi;
    k.mem_mut().write_u8(irql.0, (vector >> 4) as u8)?;
    // Any active processor: the I/O APIC delivers to all of them.
    let all = crate::ke::processor::active_mask(k);
    k.mem_mut().write_ptr(affinity.0, all)?;
    Ok(vector)
}
