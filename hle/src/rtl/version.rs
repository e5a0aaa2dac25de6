//! The emulated Windows version — the one place that holds it — and the routines that report
//! it: RtlGetVersion, PsGetVersion, RtlVerifyVersionInfo, VerSetConditionMask,
//! RtlIsNtDdiVersionAvailable, RtlIsServicePackVersionInstalled.
//!
//! A run presents one [`WindowsVersion`] (Windows 7 SP1 by default; Windows 10 and 11 builds
//! are chosen by the scenario's `windows` key). The kernel's boot writes the same identity into
//! `NtBuildNumber` and KUSER_SHARED_DATA (`NtMajorVersion`, `NtMinorVersion`, and on Windows 10
//! and later `NtBuildNumber`), so every way a driver can ask agrees.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, RTL_OSVERSIONINFOEXW, UNICODE_STRING};
use crate::types::{status, Boolean, NtStatus, Ptr};

/// VER_NT_WORKSTATION: the product type of a client edition.
pub const VER_NT_WORKSTATION: u8 = 1;
/// VER_SUITE_SINGLEUSERTS: what a client edition of Windows 7 and later reports.
pub const VER_SUITE_SINGLEUSERTS: u16 = 0x100;
/// VER_PLATFORM_WIN32_NT.
pub const VER_PLATFORM_WIN32_NT: u32 = 2;
/// NtBuildNumber's high nibble on a free (retail) build; 0xC on a checked one.
const FREE_BUILD: u32 = 0xF000_0000;

/// The identity of the Windows the kernel presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowsVersion {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    pub service_pack_major: u16,
    pub service_pack_minor: u16,
    pub product_type: u8,
    pub suite_mask: u16,
}

impl Default for WindowsVersion {
    fn default() -> Self {
        WindowsVersion::WINDOWS_7_SP1
    }
}

impl WindowsVersion {
    /// Windows 7 Service Pack 1 (6.1.7601): the default.
    pub const WINDOWS_7_SP1: WindowsVersion = WindowsVersion::client(6, 1, 7601, 1);
    /// Windows 10 22H2 (10.0.19045).
    pub const WINDOWS_10: WindowsVersion = WindowsVersion::client(10, 0, 19045, 0);
    /// Windows 11 23H2 (10.0.22631).
    pub const WINDOWS_11: WindowsVersion = WindowsVersion::client(10, 0, 22631, 0);

    const fn client(major: u32, minor: u32, build: u32, sp: u16) -> WindowsVersion {
        WindowsVersion {
            major,
            minor,
            build,
            service_pack_major: sp,
            service_pack_minor: 0,
            product_type: VER_NT_WORKSTATION,
            suite_mask: VER_SUITE_SINGLEUSERTS,
        }
    }

    /// Parses a scenario's `windows` value: `7` (Windows 7 SP1), `10`, `11`, or a Windows 10
    /// or 11 build as `10.0.BUILD` (10240 and later; 22000 and later is Windows 11).
    pub fn parse(text: &str) -> Result<WindowsVersion, String> {
        match text.trim() {
            "7" | "7sp1" | "6.1.7601" => Ok(WindowsVersion::WINDOWS_7_SP1),
            "10" => Ok(WindowsVersion::WINDOWS_10),
            "11" => Ok(WindowsVersion::WINDOWS_11),
            other => {
                let build = other
                    .strip_prefix("10.0.")
                    .and_then(|b| b.parse::<u32>().ok())
                    .filter(|b| (10240..=0xFFFF).contains(b))
                    .ok_or_else(|| {
                        format!("windows `{other}`: expected 7, 10, 11 or a Windows 10/11 build as 10.0.BUILD")
                    })?;
                Ok(WindowsVersion::client(10, 0, build, 0))
            }
        }
    }

    /// The `NtBuildNumber` variable: the build with the free-build flag.
    pub fn nt_build_number(&self) -> u32 {
        FREE_BUILD | self.build
    }

    /// The service pack as RtlGetVersion's szCSDVersion and PsGetVersion's CSDVersion name it
    /// ("Service Pack 1"; empty without one).
    pub fn csd_version(&self) -> String {
        match self.service_pack_major {
            0 => String::new(),
            n => format!("Service Pack {n}"),
        }
    }

    /// The NTDDI_VERSION value of this system: 0xMMmmSSss for Windows 7 (major, minor, service
    /// pack major and minor), NTDDI_WIN10 plus the release's sub-version for Windows 10/11.
    pub fn ntddi(&self) -> u32 {
        if self.major >= 10 {
            // NTDDI_WIN10_* sub-versions of the released builds, by the first build of each
            // (TH2 1 ... VB 8, FE 0xA, CO 0xB, NI 0xC, GE 0x10; the rest were never released).
            const RELEASES: [(u32, u32); 12] = [
                (10586, 1),
                (14393, 2),
                (15063, 3),
                (16299, 4),
                (17134, 5),
                (17763, 6),
                (18362, 7),
                (19041, 8),
                (20348, 0xA),
                (22000, 0xB),
                (22621, 0xC),
                (26100, 0x10),
            ];
            let sub = RELEASES.iter().take_while(|(b, _)| self.build >= *b).last().map_or(0, |(_, s)| *s);
            0x0A00_0000 | sub
        } else {
            self.major << 24
                | self.minor << 16
                | u32::from(self.service_pack_major) << 8
                | u32::from(self.service_pack_minor)
        }
    }
}

fn version(k: &Kx) -> WindowsVersion {
    k.ext().options.version
}

/// NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation): fills the
/// RTL_OSVERSIONINFOW part, and the EX part when dwOSVersionInfoSize says the structure is an
/// RTL_OSVERSIONINFOEXW. Always STATUS_SUCCESS, as documented. dwBuildNumber is the build
/// without NtBuildNumber's flag.
pub fn RtlGetVersion(k: &mut Kx, info: Ptr) -> KResult<NtStatus> {
    let v = version(k);
    let size = k.mem().get(info.0, RTL_OSVERSIONINFOEXW::dwOSVersionInfoSize)?;
    let arch = k.arch();
    let mem = k.mem_mut();
    mem.set(info.0, RTL_OSVERSIONINFOEXW::dwMajorVersion, v.major.into())?;
    mem.set(info.0, RTL_OSVERSIONINFOEXW::dwMinorVersion, v.minor.into())?;
    mem.set(info.0, RTL_OSVERSIONINFOEXW::dwBuildNumber, v.build.into())?;
    mem.set(info.0, RTL_OSVERSIONINFOEXW::dwPlatformId, VER_PLATFORM_WIN32_NT.into())?;
    let mut csd = [0u8; 256];
    for (i, u) in v.csd_version().encode_utf16().enumerate() {
        csd[i * 2..i * 2 + 2].copy_from_slice(&u.to_le_bytes());
    }
    mem.write(RTL_OSVERSIONINFOEXW::szCSDVersion.at(arch, info.0), &csd)?;
    if size == RTL_OSVERSIONINFOEXW::STRUCT.size(arch) {
        mem.set(info.0, RTL_OSVERSIONINFOEXW::wServicePackMajor, v.service_pack_major.into())?;
        mem.set(info.0, RTL_OSVERSIONINFOEXW::wServicePackMinor, v.service_pack_minor.into())?;
        mem.set(info.0, RTL_OSVERSIONINFOEXW::wSuiteMask, v.suite_mask.into())?;
        mem.set(info.0, RTL_OSVERSIONINFOEXW::wProductType, v.product_type.into())?;
    }
    Ok(status::SUCCESS)
}

/// BOOLEAN PsGetVersion(PULONG MajorVersion, PULONG MinorVersion, PULONG BuildNumber,
/// PUNICODE_STRING CSDVersion): each non-NULL pointer receives its value; CSDVersion receives
/// a UNICODE_STRING describing the kernel's own service-pack string (no copy, as Windows
/// does). Returns whether this is a checked build: FALSE.
pub fn PsGetVersion(k: &mut Kx, major: Ptr, minor: Ptr, build: Ptr, csd: Ptr) -> KResult<Boolean> {
    let v = version(k);
    let csd_string = k.ext().system.csd_version;
    let mem = k.mem_mut();
    for (p, value) in [(major, v.major), (minor, v.minor), (build, v.build)] {
        if !p.is_null() {
            mem.write_u32(p.0, value)?;
        }
    }
    if !csd.is_null() {
        for f in [UNICODE_STRING::Length, UNICODE_STRING::MaximumLength, UNICODE_STRING::Buffer] {
            let value = k.mem().get(csd_string, f)?;
            k.mem_mut().set(csd.0, f, value)?;
        }
    }
    Ok(Boolean(false))
}

/// VER_* type mask bits, and each one's condition field in a condition mask (3 bits each).
const VER_MINORVERSION: u32 = 0x01;
const VER_MAJORVERSION: u32 = 0x02;
const VER_BUILDNUMBER: u32 = 0x04;
const VER_PLATFORMID: u32 = 0x08;
const VER_SERVICEPACKMINOR: u32 = 0x10;
const VER_SERVICEPACKMAJOR: u32 = 0x20;
const VER_SUITENAME: u32 = 0x40;
const VER_PRODUCT_TYPE: u32 = 0x80;
/// The type bits from the highest down, with the index of their condition field.
const CONDITION_FIELDS: [(u32, u32); 8] = [
    (VER_PRODUCT_TYPE, 7),
    (VER_SUITENAME, 6),
    (VER_SERVICEPACKMAJOR, 5),
    (VER_SERVICEPACKMINOR, 4),
    (VER_PLATFORMID, 3),
    (VER_BUILDNUMBER, 2),
    (VER_MAJORVERSION, 1),
    (VER_MINORVERSION, 0),
];

const VER_EQUAL: u8 = 1;
const VER_GREATER: u8 = 2;
const VER_GREATER_EQUAL: u8 = 3;
const VER_LESS: u8 = 4;
const VER_LESS_EQUAL: u8 = 5;
const VER_AND: u8 = 6;
const VER_OR: u8 = 7;

/// ULONGLONG VerSetConditionMask(ULONGLONG ConditionMask, ULONG TypeMask, UCHAR Condition):
/// ORs the condition (its low three bits) into the field of the highest type bit given (one
/// bit per call, as Windows does); a zero type mask or condition leaves the mask alone.
pub fn VerSetConditionMask(_k: &mut Kx, mask: u64, type_mask: u32, condition: u8) -> KResult<u64> {
    let condition = u64::from(condition & 7);
    if type_mask == 0 || condition == 0 {
        return Ok(mask);
    }
    Ok(match CONDITION_FIELDS.iter().find(|(bit, _)| type_mask & bit != 0) {
        Some((_, index)) => mask | condition << (index * 3),
        None => mask,
    })
}

fn condition(mask: u64, index: u32) -> u8 {
    (mask >> (index * 3) & 7) as u8
}

/// One comparison of the running system's value with the caller's.
fn compare(ours: u32, theirs: u32, condition: u8) -> NtStatus {
    let holds = match condition {
        VER_EQUAL => ours == theirs,
        VER_GREATER => ours > theirs,
        VER_GREATER_EQUAL => ours >= theirs,
        VER_LESS => ours < theirs,
        VER_LESS_EQUAL => ours <= theirs,
        _ => return status::INVALID_PARAMETER,
    };
    if holds {
        status::SUCCESS
    } else {
        status::REVISION_MISMATCH
    }
}

/// NTSTATUS RtlVerifyVersionInfo(PRTL_OSVERSIONINFOEXW VersionInfo, ULONG TypeMask,
/// ULONGLONG ConditionMask): STATUS_SUCCESS when the running system satisfies every
/// requested comparison, STATUS_REVISION_MISMATCH when one fails, STATUS_INVALID_PARAMETER
/// for an empty type or condition mask or a condition that does not apply. Major version,
/// minor version and service pack compare as one hierarchy: a lower field is only compared
/// when the fields above it are equal and their condition admits equality.
pub fn RtlVerifyVersionInfo(k: &mut Kx, info: Ptr, type_mask: u32, mask: u64) -> KResult<NtStatus> {
    if type_mask == 0 || mask == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let v = version(k);
    let mem = k.mem();
    let field = |f| mem.get(info.0, f).map(|x| x as u32);
    if type_mask & VER_PRODUCT_TYPE != 0 {
        let st = compare(v.product_type.into(), field(RTL_OSVERSIONINFOEXW::wProductType)?, condition(mask, 7));
        if st != status::SUCCESS {
            return Ok(st);
        }
    }
    if type_mask & VER_SUITENAME != 0 {
        let theirs = field(RTL_OSVERSIONINFOEXW::wSuiteMask)? as u16;
        let ok = match condition(mask, 6) {
            VER_AND => theirs & v.suite_mask == theirs,
            VER_OR => theirs == 0 || theirs & v.suite_mask != 0,
            _ => return Ok(status::INVALID_PARAMETER),
        };
        if !ok {
            return Ok(status::REVISION_MISMATCH);
        }
    }
    for (bit, index, ours, f) in [
        (VER_PLATFORMID, 3, VER_PLATFORM_WIN32_NT, RTL_OSVERSIONINFOEXW::dwPlatformId),
        (VER_BUILDNUMBER, 2, v.build, RTL_OSVERSIONINFOEXW::dwBuildNumber),
    ] {
        if type_mask & bit != 0 {
            let st = compare(ours, field(f)?, condition(mask, index));
            if st != status::SUCCESS {
                return Ok(st);
            }
        }
    }
    let hierarchy = [
        (VER_MAJORVERSION, 1, v.major, RTL_OSVERSIONINFOEXW::dwMajorVersion),
        (VER_MINORVERSION, 0, v.minor, RTL_OSVERSIONINFOEXW::dwMinorVersion),
        (VER_SERVICEPACKMAJOR, 5, v.service_pack_major.into(), RTL_OSVERSIONINFOEXW::wServicePackMajor),
        (VER_SERVICEPACKMINOR, 4, v.service_pack_minor.into(), RTL_OSVERSIONINFOEXW::wServicePackMinor),
    ];
    let mut st = status::SUCCESS;
    for (bit, index, ours, f) in hierarchy {
        if type_mask & bit == 0 {
            continue;
        }
        let cond = condition(mask, index);
        let theirs = field(f)?;
        st = compare(ours, theirs, cond);
        // Equal here and a condition that admits equality: the next field decides.
        if !(ours == theirs && (VER_EQUAL..=VER_LESS_EQUAL).contains(&cond)) {
            break;
        }
    }
    Ok(st)
}

/// BOOLEAN RtlIsNtDdiVersionAvailable(ULONG Version): whether the running system offers the
/// DDI of NTDDI version `Version` (it is not newer than the system's).
pub fn RtlIsNtDdiVersionAvailable(k: &mut Kx, ddi: u32) -> KResult<Boolean> {
    Ok(Boolean(ddi <= version(k).ntddi()))
}

/// BOOLEAN RtlIsServicePackVersionInstalled(ULONG Version): whether the system is the
/// release `Version` names (its major and minor) with at least its service pack.
pub fn RtlIsServicePackVersionInstalled(k: &mut Kx, ddi: u32) -> KResult<Boolean> {
    let ours = version(k).ntddi();
    Ok(Boolean(ddi >> 16 == ours >> 16 && ddi & 0xFFFF <= ours & 0xFFFF))
}
