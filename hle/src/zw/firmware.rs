//! Firmware tables (`SystemFirmwareTableInformation`): the raw SMBIOS data of the emulated
//! machine ('RSMB'), with the BIOS, system and board identity the registry's
//! `HARDWARE\DESCRIPTION\System\BIOS` also shows. The machine has no ACPI tables and no
//! firmware memory ranges to give ('ACPI' and 'FIRM' enumerate none).

use super::write_len;
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

const RSMB: u32 = u32::from_be_bytes(*b"RSMB");
const ACPI: u32 = u32::from_be_bytes(*b"ACPI");
const FIRM: u32 = u32::from_be_bytes(*b"FIRM");
const ENUMERATE: u32 = 0;
const GET: u32 = 1;
/// STATUS_ILLEGAL_FUNCTION: no provider of that signature.
const ILLEGAL_FUNCTION: NtStatus = NtStatus(0xC000_00AF);

/// One SMBIOS structure: its formatted area and its strings.
fn structure(formatted: &[u8], strings: &[&str]) -> Vec<u8> {
    let mut b = formatted.to_vec();
    for s in strings {
        b.extend(s.as_bytes());
        b.push(0);
    }
    if strings.is_empty() {
        b.push(0);
    }
    b.push(0);
    b
}

/// The SMBIOS structure table (version 2.7).
fn smbios_tables() -> Vec<u8> {
    let mut t = Vec::new();
    // Type 0, BIOS information: vendor, version, start segment E800, release date, 64 KiB
    // ROM, PCI supported, ACPI supported, BIOS release 1.0, no embedded controller.
    let mut bios = vec![0, 0x18, 0, 0, 1, 2, 0x00, 0xE8, 3, 0];
    bios.extend(0x80u64.to_le_bytes());
    bios.extend([0x01, 0x00, 1, 0, 0xFF, 0xFF]);
    t.extend(structure(&bios, &["Portcullis", "1.0", "01/01/2024"]));
    // Type 1, system information: manufacturer, product, version, serial, UUID, woken by
    // the power switch, SKU, family.
    let mut system = vec![1, 0x1B, 1, 0, 1, 2, 3, 4];
    system.extend(*b"PORTCULLIS-UUID1");
    system.extend([6, 5, 6]);
    t.extend(structure(
        &system,
        &["Portcullis", "Portcullis Virtual Machine", "1.0", "PTCLS-0001", "PTCLS", "Virtual Machine"],
    ));
    // Type 2, baseboard: manufacturer, product, version, serial.
    t.extend(structure(
        &[2, 8, 2, 0, 1, 2, 3, 4],
        &["Portcullis", "Portcullis Virtual Board", "1.0", "PTCLS-BOARD-0001"],
    ));
    // Type 127, end of table.
    t.extend(structure(&[127, 4, 3, 0], &[]));
    t
}

/// RawSMBIOSData: calling method, version 2.7, DMI revision, length, the tables.
fn raw_smbios() -> Vec<u8> {
    let tables = smbios_tables();
    let mut b = vec![0, 2, 7, 0];
    b.extend((tables.len() as u32).to_le_bytes());
    b.extend(tables);
    b
}

/// SYSTEM_FIRMWARE_TABLE_INFORMATION { ProviderSignature, Action, TableID,
/// TableBufferLength, TableBuffer[] }: the caller fills the first three.
pub(crate) fn query(k: &mut Kx, buffer: Ptr, length: u32, return_length: Ptr) -> KResult<NtStatus> {
    const HEADER: usize = 16;
    if (length as usize) < HEADER {
        write_len(k, return_length, HEADER)?;
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let provider = k.mem().read_u32(buffer.0)?;
    let action = k.mem().read_u32(buffer.0 + 4)?;
    let id = k.mem().read_u32(buffer.0 + 8)?;
    let data: Vec<u8> = match (provider, action) {
        (RSMB, ENUMERATE) => 0u32.to_le_bytes().to_vec(),
        (RSMB, GET) if id == 0 => raw_smbios(),
        (ACPI | FIRM, ENUMERATE) => Vec::new(),
        (RSMB | ACPI | FIRM, GET) => return Ok(status::NOT_FOUND),
        (RSMB | ACPI | FIRM, _) => return Ok(status::INVALID_PARAMETER),
        _ => return Ok(ILLEGAL_FUNCTION),
    };
    let need = HEADER + data.len();
    k.mem_mut().write_u32(buffer.0 + 12, data.len() as u32)?;
    write_len(k, return_length, need)?;
    if (length as usize) < need {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(buffer.0 + HEADER as u64, &data)?;
    Ok(status::SUCCESS)
}
