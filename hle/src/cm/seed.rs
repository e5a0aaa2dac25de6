//! What the registry holds at boot: the hives' top keys and the keys drivers commonly read —
//! the Windows version (`Windows NT\CurrentVersion`), the control set (with
//! `CurrentControlSet` a link to `ControlSet001`), and `HARDWARE\DESCRIPTION\System` with the
//! emulated CPU's and BIOS's identity, and the physical memory `HARDWARE\RESOURCEMAP` reports
//! (`resourcemap.rs`).

use portcullis_emu::firmware::{acpi, smbios};
use portcullis_emu::Arch;

use super::{utf16z, REG_DWORD, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_SZ};
use crate::kernel::{KResult, Kx};
use crate::ndis::adapter;

enum Data {
    Sz(String),
    ExpandSz(&'static str),
    Multi(&'static [&'static str]),
    MultiOwned(Vec<String>),
    Dword(u32),
}

fn bytes(d: &Data) -> (u32, Vec<u8>) {
    match d {
        Data::Sz(s) => (REG_SZ, utf16z(s)),
        Data::ExpandSz(s) => (REG_EXPAND_SZ, utf16z(s)),
        Data::Multi(list) => {
            let mut b: Vec<u8> = list.iter().flat_map(|s| utf16z(s)).collect();
            b.extend([0, 0]);
            (REG_MULTI_SZ, b)
        }
        Data::MultiOwned(list) => {
            let mut b: Vec<u8> = list.iter().flat_map(|s| utf16z(s)).collect();
            b.extend([0, 0]);
            (REG_MULTI_SZ, b)
        }
        Data::Dword(v) => (REG_DWORD, v.to_le_bytes().to_vec()),
    }
}

const MACHINE: &str = "\\REGISTRY\\MACHINE";
/// GUID_DEVCLASS_NET, the network adapters' setup class.
const NET_CLASS: &str = "{4D36E972-E325-11CE-BFC1-08002BE10318}";

/// "01/01/2024" -> "01/01/24".
fn short_date(d: &str) -> String {
    match d.rsplit_once('/') {
        Some((md, year)) if year.len() == 4 => format!("{md}/{}", &year[2..]),
        _ => d.to_string(),
    }
}

/// Fills the registry of a fresh kernel.
pub(crate) fn standard(k: &mut Kx) -> KResult<()> {
    let arch = k.arch();
    let cpu = k.guest().cpu.identity.clone();
    let mhz = (k.guest().cpu.clock.tsc_hz / 1_000_000) as u32;
    let x64 = arch == Arch::X64;
    let sz = |s: &str| Data::Sz(s.to_string());
    let bios_oem = format!("{} - {}", String::from_utf8_lossy(acpi::OEM_ID), acpi::OEM_REVISION);
    let family = format!(
        "{} Family {} Model {} Stepping {}",
        if x64 { "Intel64" } else { "x86" },
        cpu.family,
        cpu.model,
        cpu.stepping
    );
    let keys: Vec<(String, Vec<(&str, Data)>)> = vec![
        (format!("{MACHINE}\\HARDWARE\\DEVICEMAP"), vec![]),
        (format!("{MACHINE}\\HARDWARE\\RESOURCEMAP"), vec![]),
        (
            format!("{MACHINE}\\HARDWARE\\DESCRIPTION\\System"),
            vec![
                ("Identifier", sz("AT/AT COMPATIBLE")),
                // As Windows writes them: the ACPI OEM ID and revision, then the SMBIOS BIOS
                // version; the date as MM/DD/YY.
                ("SystemBiosDate", Data::Sz(short_date(smbios::BIOS_DATE))),
                ("SystemBiosVersion", Data::MultiOwned(vec![bios_oem, smbios::BIOS_VERSION.to_string()])),
                ("VideoBiosDate", Data::Sz(short_date(smbios::BIOS_DATE))),
            ],
        ),
        (
            format!("{MACHINE}\\HARDWARE\\DESCRIPTION\\System\\BIOS"),
            vec![
                // The SMBIOS tables' strings (emu/src/firmware/smbios.rs).
                ("BIOSVendor", sz(smbios::MANUFACTURER)),
                ("BIOSVersion", sz(smbios::BIOS_VERSION)),
                ("BIOSReleaseDate", sz(smbios::BIOS_DATE)),
                ("SystemManufacturer", sz(smbios::MANUFACTURER)),
                ("SystemProductName", sz(smbios::PRODUCT)),
                ("SystemVersion", sz(smbios::SYSTEM_VERSION)),
                ("SystemSKU", sz(smbios::SYSTEM_SKU)),
                ("SystemFamily", sz(smbios::SYSTEM_FAMILY)),
                ("BaseBoardManufacturer", sz(smbios::MANUFACTURER)),
                ("BaseBoardProduct", sz(smbios::BOARD_PRODUCT)),
            ],
        ),
        (
            format!("{MACHINE}\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0"),
            vec![
                ("Identifier", Data::Sz(family.clone())),
                ("ProcessorNameString", Data::Sz(cpu.brand.clone())),
                ("VendorIdentifier", Data::Sz(cpu.vendor.clone())),
                ("~MHz", Data::Dword(mhz)),
                ("FeatureSet", Data::Dword(cpu.features_edx)),
            ],
        ),
        (
            format!("{MACHINE}\\HARDWARE\\DESCRIPTION\\System\\FloatingPointProcessor\\0"),
            vec![("Identifier", Data::Sz(family))],
        ),
        (format!("{MACHINE}\\SAM"), vec![]),
        (format!("{MACHINE}\\SECURITY"), vec![]),
        (
            format!("{MACHINE}\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"),
            vec![
                ("CurrentVersion", sz("6.1")),
                ("CurrentBuild", sz("7601")),
                ("CurrentBuildNumber", sz("7601")),
                ("CSDVersion", sz("Service Pack 1")),
                ("CSDBuildNumber", sz("1130")),
                ("BuildLab", sz("7601.win7sp1_rtm.101119-1850")),
                ("CurrentType", sz("Uniprocessor Free")),
                ("ProductName", sz("Windows 7 Professional")),
                ("EditionID", sz("Professional")),
                ("InstallationType", sz("Client")),
                ("SystemRoot", sz("C:\\Windows")),
                ("PathName", sz("C:\\Windows")),
                ("RegisteredOwner", sz("portcullis")),
                ("InstallDate", Data::Dword(1_704_067_200)),
            ],
        ),
        (
            format!("{MACHINE}\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"),
            vec![
                ("ProgramFilesDir", sz("C:\\Program Files")),
                ("CommonFilesDir", sz("C:\\Program Files\\Common Files")),
            ],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\Select"),
            vec![
                ("Current", Data::Dword(1)),
                ("Default", Data::Dword(1)),
                ("LastKnownGood", Data::Dword(1)),
                ("Failed", Data::Dword(0)),
            ],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control"),
            vec![
                ("SystemStartOptions", sz(" NOEXECUTE=OPTIN")),
                ("SystemBootDevice", sz("multi(0)disk(0)rdisk(0)partition(1)")),
            ],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\ComputerName\\ComputerName"),
            vec![("ComputerName", sz("PORTCULLIS"))],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\ProductOptions"),
            vec![("ProductType", sz("WinNT")), ("ProductSuite", Data::Multi(&[]))],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\Session Manager"),
            vec![("ProtectionMode", Data::Dword(1))],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Environment"),
            vec![
                ("ComSpec", Data::ExpandSz("%SystemRoot%\\system32\\cmd.exe")),
                ("OS", sz("Windows_NT")),
                ("Path", Data::ExpandSz("%SystemRoot%\\system32;%SystemRoot%")),
                ("PROCESSOR_ARCHITECTURE", sz(if x64 { "AMD64" } else { "x86" })),
                ("NUMBER_OF_PROCESSORS", sz("1")),
                ("windir", Data::ExpandSz("%SystemRoot%")),
            ],
        ),
        (format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Memory Management"), vec![]),
        (format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\Class"), vec![]),
        // The emulated network adapter (crate::ndis::adapter): its network-class key and
        // TCP/IP's binding to it, where programs and drivers enumerate adapters.
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\Class\\{NET_CLASS}\\0000"),
            vec![
                ("NetCfgInstanceId", sz(adapter::GUID)),
                ("DriverDesc", sz(adapter::INSTANCE_NAME)),
                ("Characteristics", Data::Dword(0x84)),
                ("*IfType", Data::Dword(6)),
                ("*MediaType", Data::Dword(adapter::MEDIUM_802_3)),
                ("*PhysicalMediaType", Data::Dword(adapter::PHYSICAL_MEDIUM_802_3)),
            ],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\Class\\{NET_CLASS}\\0000\\Linkage"),
            vec![
                ("Export", Data::MultiOwned(vec![adapter::device_name()])),
                ("RootDevice", Data::MultiOwned(vec![adapter::GUID.to_string()])),
                ("UpperBind", Data::MultiOwned(vec!["Tcpip".to_string()])),
            ],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\Network\\{NET_CLASS}\\{}\\Connection", adapter::GUID),
            vec![("Name", sz("Local Area Connection"))],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Linkage"),
            vec![
                ("Bind", Data::MultiOwned(vec![adapter::device_name()])),
                ("Export", Data::MultiOwned(vec![format!("\\Device\\Tcpip_{}", adapter::GUID)])),
                ("Route", Data::MultiOwned(vec![format!("\"{}\"", adapter::GUID)])),
            ],
        ),
        (
            format!("{MACHINE}\\SYSTEM\\ControlSet001\\Control\\CrashControl"),
            vec![("CrashDumpEnabled", Data::Dword(7))],
        ),
        (format!("{MACHINE}\\SYSTEM\\ControlSet001\\Enum\\Root"), vec![]),
        (format!("{MACHINE}\\SYSTEM\\ControlSet001\\Hardware Profiles\\Current"), vec![]),
        (format!("{MACHINE}\\SYSTEM\\ControlSet001\\Services"), vec![]),
        ("\\REGISTRY\\USER\\.DEFAULT".to_string(), vec![]),
    ];
    let time = crate::ke::time::system_time(k);
    let reg = &mut k.ext_mut().registry;
    for (path, values) in keys {
        let id = reg.ensure(&path, time).expect("a registry path");
        for (name, data) in values {
            let (ty, b) = bytes(&data);
            reg.set(id, name, ty, b, time);
        }
    }
    // CurrentControlSet is a link to ControlSet001 (and \Registry\Machine\System is
    // reachable in any case).
    let link = reg.ensure(&format!("{MACHINE}\\SYSTEM\\CurrentControlSet"), time).expect("a registry path");
    // A link's target is stored without a terminator.
    let target: Vec<u8> =
        format!("{MACHINE}\\SYSTEM\\ControlSet001").encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    reg.set(link, "SymbolicLinkValue", REG_LINK, target, time);
    super::resourcemap::seed(k, time);
    Ok(())
}
