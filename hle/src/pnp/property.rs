//! What the PnP manager knows about a device: `IoGetDeviceProperty` and
//! `IoOpenDeviceRegistryKey` (the device's hardware key and its driver's software key).
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::ob::handles::Mode;
use crate::types::{status, NtStatus, Ptr};

/// The device class the bus's devices are installed in ({4d36e97d-...}: System).
const CLASS_GUID: &str = "{4d36e97d-e325-11ce-bfc1-08002be10318}";

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
}

fn multi(list: &[String]) -> Vec<u8> {
    let mut b = Vec::new();
    for s in list {
        b.extend(utf16z(s));
    }
    b.extend([0, 0]);
    b
}

/// NTSTATUS IoGetDeviceProperty(PDEVICE_OBJECT DeviceObject, DEVICE_REGISTRY_PROPERTY
/// DeviceProperty, ULONG BufferLength, PVOID PropertyBuffer, PULONG ResultLength): for a
/// PDO of the bus; STATUS_BUFFER_TOO_SMALL with the length needed, and
/// STATUS_INVALID_DEVICE_REQUEST for a device that is not a PDO.
pub fn IoGetDeviceProperty(
    k: &mut Kx,
    device: Ptr,
    property: u32,
    len: u32,
    buf: Ptr,
    result: Ptr,
) -> KResult<NtStatus> {
    if !super::is_pdo(k, device.0) {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let ids = k.ext().pnp.config.hardware_ids.clone();
    let instance = super::instance_path(k, device.0);
    let name = k.ext().objects.get(device.0).and_then(|o| o.name.clone()).unwrap_or_default();
    let number = |v: u32| v.to_le_bytes().to_vec();
    let value: Option<Vec<u8>> = match property {
        0 => Some(utf16z("Portcullis emulated device")),   // DeviceDescription
        1 => Some(multi(&ids)),                            // HardwareID
        2 => Some(multi(&[])),                             // CompatibleIDs
        5 => Some(utf16z("System")),                       // ClassName
        6 => Some(utf16z(CLASS_GUID)),                     // ClassGuid
        7 => Some(utf16z(&format!("{CLASS_GUID}\\0000"))), // DriverKeyName
        8 => Some(utf16z("Portcullis")),                   // Manufacturer
        9 => None,                                         // FriendlyName: not set
        10 => Some(utf16z("on the emulated bus")),         // LocationInformation
        11 => Some(utf16z(&name)),                         // PhysicalDeviceObjectName
        13 => Some(number(15)),                            // LegacyBusType: PNPBus
        14 => Some(number(0)),                             // BusNumber
        15 => Some(utf16z(instance.split('\\').next().unwrap_or("ROOT"))), // EnumeratorName
        16 => Some(number(0)),                             // Address
        17 => Some(number(0)),                             // UINumber
        18 => Some(number(0)),                             // InstallState: installed
        19 => Some(number(3)),                             // RemovalPolicy: ExpectNoRemoval
        _ => return Ok(status::INVALID_PARAMETER_2),
    };
    let Some(value) = value else { return Ok(status::OBJECT_NAME_NOT_FOUND) };
    k.mem_mut().write_u32(result.0, value.len() as u32)?;
    if (len as usize) < value.len() {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(buf.0, &value)?;
    Ok(status::SUCCESS)
}

const PLUGPLAY_REGKEY_DEVICE: u32 = 1;
const PLUGPLAY_REGKEY_DRIVER: u32 = 2;
const PLUGPLAY_REGKEY_CURRENT_HWPROFILE: u32 = 4;

/// NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType,
/// ACCESS_MASK DesiredAccess, PHANDLE DeviceRegKey): `...\Enum\<instance>\Device
/// Parameters` (PLUGPLAY_REGKEY_DEVICE) or `...\Control\Class\<class>\0000`
/// (PLUGPLAY_REGKEY_DRIVER), made when first asked for; a kernel handle.
pub fn IoOpenDeviceRegistryKey(k: &mut Kx, device: Ptr, kind: u32, access: u32, out: Ptr) -> KResult<NtStatus> {
    if !super::is_pdo(k, device.0) {
        return Ok(status::INVALID_DEVICE_REQUEST);
    }
    let base = if kind & PLUGPLAY_REGKEY_CURRENT_HWPROFILE != 0 {
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current\\System\\CurrentControlSet"
    } else {
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet"
    };
    let path = match kind & !PLUGPLAY_REGKEY_CURRENT_HWPROFILE {
        PLUGPLAY_REGKEY_DEVICE => format!("{base}\\Enum\\{}\\Device Parameters", super::instance_path(k, device.0)),
        PLUGPLAY_REGKEY_DRIVER => format!("{base}\\Control\\Class\\{CLASS_GUID}\\0000"),
        _ => return Ok(status::INVALID_PARAMETER),
    };
    let time = crate::ke::time::system_time(k);
    let Some(node) = k.ext_mut().registry.ensure(&path, time) else { return Ok(status::OBJECT_NAME_NOT_FOUND) };
    let access = crate::cm::map_access(access);
    let h = crate::cm::open_key_object(k, node, access, 0x200, Mode::Kernel)?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}
