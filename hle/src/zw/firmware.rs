//! Firmware tables (`SystemFirmwareTableInformation`): the emulated machine's own firmware
//! ([`portcullis_emu::firmware`]), so that what a driver gets here agrees byte for byte with
//! what it finds scanning the BIOS area through `MmMapIoSpace` or `\Device\PhysicalMemory`:
//! 'RSMB' is the SMBIOS structure table behind a RawSMBIOSData header, 'ACPI' lists and gives
//! the ACPI tables (by signature, as `GetSystemFirmwareTable('ACPI', 'PCAF')` asks for the
//! FADT). The machine has no 'FIRM' ranges to give (it enumerates none).

use portcullis_emu::firmware::smbios;

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

/// RawSMBIOSData: calling method, the SMBIOS version, DMI revision, length, the tables.
fn raw_smbios(k: &Kx) -> Vec<u8> {
    let (tables, _) = smbios::structure_table(k.mem().physical().description());
    let mut b = vec![0, smbios::VERSION.0, smbios::VERSION.1, 0];
    b.extend((tables.len() as u32).to_le_bytes());
    b.extend(tables);
    b
}

/// The ACPI tables the provider lists: (signature as a table ID, bytes).
fn acpi_tables(k: &Kx) -> Vec<(u32, Vec<u8>)> {
    let images = k.mem().physical().images();
    images
        .acpi_tables
        .iter()
        .filter_map(|a| images.acpi_table(*a))
        .filter(|t| t.len() >= 36)
        .map(|t| (u32::from_le_bytes([t[0], t[1], t[2], t[3]]), t.to_vec()))
        .collect()
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
        (RSMB, GET) if id == 0 => raw_smbios(k),
        (ACPI, ENUMERATE) => acpi_tables(k).iter().flat_map(|(id, _)| id.to_le_bytes()).collect(),
        (ACPI, GET) => match acpi_tables(k).into_iter().find(|(sig, _)| *sig == id) {
            Some((_, t)) => t,
            None => return Ok(status::NOT_FOUND),
        },
        (FIRM, ENUMERATE) => Vec::new(),
        (RSMB | FIRM, GET) => return Ok(status::NOT_FOUND),
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
