//! SDDL strings: `SeConvertStringSecurityDescriptorToSecurityDescriptor`, the kernel's form of
//! ConvertStringSecurityDescriptorToSecurityDescriptorW (Microsoft's "Security Descriptor
//! String Format"): `O:owner G:group D:flags(ace)... S:flags(ace)...` into a self-relative
//! descriptor in paged pool that the caller frees with ExFreePool(WithTag).
//!
//! The static wdmsec library (IoCreateDeviceSecure linked into a driver) looks the routine up
//! with MmGetSystemRoutineAddress and, when the kernel has it, uses it instead of its own
//! parser, which knows only the "D:P(A;;rights;;;SID)" subset and refuses ACE flags.
#![allow(non_snake_case)]

use super::acl::{Ace, Acl, ACL_REVISION, ACL_REVISION_DS};
use super::sd::{
    Sd, SE_DACL_AUTO_INHERITED, SE_DACL_AUTO_INHERIT_REQ, SE_DACL_PRESENT, SE_DACL_PROTECTED, SE_SACL_AUTO_INHERITED,
    SE_SACL_AUTO_INHERIT_REQ, SE_SACL_PRESENT, SE_SACL_PROTECTED,
};
use super::sid::{well_known as w, Sid, SID_MAX_SUB_AUTHORITIES};
use super::st;
use crate::kernel::{caller, KResult, Kx};
use crate::ob::Owner;
use crate::types::{status, NtStatus, Ptr, PCWSTR};

/// SDDL_REVISION_1: the only revision of the language.
pub const SDDL_REVISION_1: u32 = 1;
/// The longest string read (in UTF-16 units); a longer one is refused.
const MAX_UNITS: usize = 0x1_0000;
const PAGED_POOL: u32 = 1;

/// Why a string is not a security descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SddlError {
    /// Not SDDL (ERROR_INVALID_PARAMETER).
    Syntax,
    /// A SID alias no account of this machine has: the domain groups of a machine that is in
    /// no domain (ERROR_NONE_MAPPED).
    NoneMapped,
}

impl SddlError {
    pub(crate) fn status(self) -> NtStatus {
        match self {
            SddlError::Syntax => status::INVALID_PARAMETER,
            SddlError::NoneMapped => NtStatus(0xC000_0073), // STATUS_NONE_MAPPED
        }
    }
}

type R<T> = Result<T, SddlError>;

/// The two-letter SID aliases of sddl.h this machine can resolve.
fn alias(code: &str) -> R<Sid> {
    // The machine's own accounts: its account domain S-1-5-21-a-b-c.
    let machine = |rid: u32| {
        let mut subs = w::user().subs;
        if let Some(last) = subs.last_mut() {
            *last = rid;
        }
        Sid::new(5, &subs)
    };
    Ok(match code {
        "AN" => w::nt(7),
        "AO" => w::alias(548),
        "AS" => Sid::new(18, &[1]),
        "AU" => w::authenticated_users(),
        "BA" => w::admins(),
        "BG" => w::alias(546),
        "BO" => w::alias(551),
        "BU" => w::users(),
        "CG" => w::creator_group(),
        "CO" => w::creator_owner(),
        "ED" => w::nt(9),
        "IU" => w::interactive(),
        "LA" => machine(500),
        "LG" => machine(501),
        "LS" => w::nt(19),
        "NS" => w::nt(20),
        "NU" => w::nt(2),
        "NO" => w::alias(556),
        "OW" => Sid::new(3, &[4]),
        "PO" => w::alias(550),
        "PS" => w::nt(10),
        "PU" => w::alias(547),
        "RC" => w::restricted(),
        "RD" => w::alias(555),
        "RE" => w::alias(552),
        "RU" => w::alias(554),
        "SO" => w::alias(549),
        "SS" => Sid::new(18, &[2]),
        "SU" => w::nt(6),
        "SY" => w::local_system(),
        "WD" => w::world(),
        "WR" => w::nt(33),
        "MU" => w::alias(558),
        "LU" => w::alias(559),
        "IS" => w::alias(568),
        "CY" => w::alias(569),
        "ER" => w::alias(573),
        "CD" => w::alias(574),
        "RA" => w::alias(575),
        "ES" => w::alias(576),
        "MS" => w::alias(577),
        "HA" => w::alias(578),
        "AA" => w::alias(579),
        "RM" => w::alias(580),
        "AC" => Sid::new(15, &[2, 1]),
        "UD" => Sid::new(5, &[84, 0, 0, 0, 0, 0]),
        "LW" => w::mandatory(0x1000),
        "ME" => w::mandatory(0x2000),
        "MP" => w::mandatory(0x2100),
        "HI" => w::mandatory(0x3000),
        "SI" => w::mandatory(0x4000),
        // Domain groups: the machine is in no domain.
        "CA" | "CN" | "DA" | "DC" | "DD" | "DG" | "DU" | "EA" | "EK" | "KA" | "PA" | "RO" | "RS" | "SA" | "AP" => {
            return Err(SddlError::NoneMapped)
        }
        _ => return Err(SddlError::Syntax),
    })
}

/// The two-letter access right codes.
fn right(code: &str) -> Option<u32> {
    Some(match code {
        "GA" => 0x1000_0000,
        "GX" => 0x2000_0000,
        "GW" => 0x4000_0000,
        "GR" => 0x8000_0000,
        "SD" => 0x0001_0000,
        "RC" => 0x0002_0000,
        "WD" => 0x0004_0000,
        "WO" => 0x0008_0000,
        "CC" => 0x1,
        "DC" => 0x2,
        "LC" => 0x4,
        "SW" => 0x8,
        "RP" => 0x10,
        "WP" => 0x20,
        "DT" => 0x40,
        "LO" => 0x80,
        "CR" => 0x100,
        "FA" => 0x001F_01FF,
        "FR" => 0x0012_0089,
        "FW" => 0x0012_0116,
        "FX" => 0x0012_00A0,
        "KA" => 0x000F_003F,
        "KR" => 0x0002_0019,
        "KW" => 0x0002_0006,
        "KX" => 0x0002_0019,
        // SYSTEM_MANDATORY_LABEL_NO_WRITE_UP, _NO_READ_UP, _NO_EXECUTE_UP
        "NW" => 0x1,
        "NR" => 0x2,
        "NX" => 0x4,
        _ => return None,
    })
}

fn ace_type(code: &str) -> Option<(u8, bool)> {
    // (AceType, is an object ACE)
    Some(match code {
        "A" => (0x00, false),
        "D" => (0x01, false),
        "AU" => (0x02, false),
        "AL" => (0x03, false),
        "OA" => (0x05, true),
        "OD" => (0x06, true),
        "OU" => (0x07, true),
        "OL" => (0x08, true),
        "ML" => (0x11, false),
        _ => return None,
    })
}

fn ace_flag(code: &str) -> Option<u8> {
    Some(match code {
        "OI" => 0x01,
        "CI" => 0x02,
        "NP" => 0x04,
        "IO" => 0x08,
        "ID" => 0x10,
        "SA" => 0x40,
        "FA" => 0x80,
        _ => return None,
    })
}

/// Splits `s` into two-letter codes (an odd length is not SDDL).
fn pairs(s: &str) -> R<Vec<&str>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return Err(SddlError::Syntax);
    }
    Ok((0..s.len()).step_by(2).map(|i| &s[i..i + 2]).collect())
}

fn number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A SID: `S-1-authority-sub...` or a two-letter alias.
fn sid(s: &str) -> R<Sid> {
    let s = s.trim_matches(' ');
    let Some(rest) = s.strip_prefix("S-").or_else(|| s.strip_prefix("s-")) else { return alias(s) };
    let mut parts = rest.split('-');
    if parts.next() != Some("1") {
        return Err(SddlError::Syntax);
    }
    let authority = parts.next().and_then(|a| match a.strip_prefix("0x").or_else(|| a.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => a.parse::<u64>().ok(),
    });
    let authority = authority.filter(|a| *a < 1 << 48).ok_or(SddlError::Syntax)?;
    let subs = parts.map(|p| p.parse::<u32>().map_err(|_| SddlError::Syntax)).collect::<R<Vec<u32>>>()?;
    if subs.len() > SID_MAX_SUB_AUTHORITIES as usize {
        return Err(SddlError::Syntax);
    }
    Ok(Sid::new(authority, &subs))
}

/// A GUID as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, in its binary (GUID structure) form.
fn guid(s: &str) -> R<[u8; 16]> {
    let f: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    if f.len() != 5 || f.iter().zip(lens).any(|(p, n)| p.len() != n || !p.chars().all(|c| c.is_ascii_hexdigit())) {
        return Err(SddlError::Syntax);
    }
    let hex = |p: &str| u64::from_str_radix(p, 16).map_err(|_| SddlError::Syntax);
    let mut g = [0u8; 16];
    g[0..4].copy_from_slice(&(hex(f[0])? as u32).to_le_bytes());
    g[4..6].copy_from_slice(&(hex(f[1])? as u16).to_le_bytes());
    g[6..8].copy_from_slice(&(hex(f[2])? as u16).to_le_bytes());
    g[8..10].copy_from_slice(&(hex(f[3])? as u16).to_be_bytes());
    g[10..16].copy_from_slice(&hex(f[4])?.to_be_bytes()[2..]);
    Ok(g)
}

/// One `ace_type;ace_flags;rights;object_guid;inherit_object_guid;account_sid` (without its
/// parentheses); the object ACE and whether it needs ACL_REVISION_DS.
fn ace(text: &str) -> R<(Ace, bool)> {
    let f: Vec<&str> = text.split(';').map(|p| p.trim_matches(' ')).collect();
    if f.len() != 6 {
        return Err(SddlError::Syntax);
    }
    let (kind, object) = ace_type(f[0]).ok_or(SddlError::Syntax)?;
    let mut flags = 0u8;
    for code in pairs(f[1])? {
        flags |= ace_flag(code).ok_or(SddlError::Syntax)?;
    }
    let mask = match number(f[2]) {
        Some(m) => m,
        None => pairs(f[2])?.into_iter().try_fold(0u32, |m, c| right(c).map(|r| m | r)).ok_or(SddlError::Syntax)?,
    };
    let who = sid(f[5])?;
    if !object {
        if !f[3].is_empty() || !f[4].is_empty() {
            return Err(SddlError::Syntax);
        }
        return Ok((Ace::simple(kind, flags, mask, who), false));
    }
    // ACCESS_ALLOWED_OBJECT_ACE and its kin: the Flags word says which GUIDs follow.
    let mut body = Vec::new();
    let mut present = 0u32;
    for (i, g) in [f[3], f[4]].into_iter().enumerate() {
        if !g.is_empty() {
            present |= 1 << i; // ACE_OBJECT_TYPE_PRESENT, ACE_INHERITED_OBJECT_TYPE_PRESENT
            body.extend_from_slice(&guid(g)?);
        }
    }
    let sb = who.bytes();
    let size = 12 + body.len() + sb.len();
    let mut raw = vec![kind, flags];
    raw.extend_from_slice(&(size as u16).to_le_bytes());
    raw.extend_from_slice(&mask.to_le_bytes());
    raw.extend_from_slice(&present.to_le_bytes());
    raw.extend(body);
    raw.extend(sb);
    Ok((Ace { kind, flags, mask, sid: None, raw }, true))
}

/// An ACL's flags and ACEs: `P AR AI`... then `(ace)(ace)`, or NO_ACCESS_CONTROL (a NULL
/// ACL). The control bits, then the ACL (None for a NULL one).
fn acl(text: &str, bits: [u16; 3]) -> R<(u16, Option<Acl>)> {
    let text = text.trim_matches(' ');
    let open = text.find('(').unwrap_or(text.len());
    let (mut flags, mut aces) = (&text[..open], &text[open..]);
    let mut control = 0u16;
    let mut null = false;
    while !flags.is_empty() {
        flags = flags.trim_start_matches(' ');
        if let Some(r) = flags.strip_prefix("NO_ACCESS_CONTROL") {
            null = true;
            flags = r;
        } else if let Some(r) = flags.strip_prefix("AR") {
            control |= bits[1];
            flags = r;
        } else if let Some(r) = flags.strip_prefix("AI") {
            control |= bits[2];
            flags = r;
        } else if let Some(r) = flags.strip_prefix('P') {
            control |= bits[0];
            flags = r;
        } else if !flags.is_empty() {
            return Err(SddlError::Syntax);
        }
    }
    let mut list = Vec::new();
    let mut ds = false;
    while let Some(r) = aces.trim_start_matches(' ').strip_prefix('(') {
        let close = r.find(')').ok_or(SddlError::Syntax)?;
        let (a, object) = ace(&r[..close])?;
        ds |= object;
        list.push(a);
        aces = &r[close + 1..];
    }
    if !aces.trim_matches(' ').is_empty() || (null && !list.is_empty()) {
        return Err(SddlError::Syntax);
    }
    if null {
        return Ok((control, None));
    }
    let revision = if ds { ACL_REVISION_DS } else { ACL_REVISION };
    Ok((control, Some(Acl { revision, aces: list, size: None })))
}

/// Parses a security descriptor string.
pub fn parse(text: &str) -> R<Sd> {
    let mut sd = Sd::default();
    // The components start at `X:` with X one of O G D S; the text between belongs to the
    // one before (SIDs and ACLs contain no ':' but inside parentheses).
    let b = text.as_bytes();
    let mut starts = Vec::new();
    let mut depth = 0i32;
    for i in 0..b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b':' if depth == 0 => {
                let key = i.checked_sub(1).map(|j| b[j]).ok_or(SddlError::Syntax)?;
                if !matches!(key, b'O' | b'G' | b'D' | b'S') {
                    return Err(SddlError::Syntax);
                }
                starts.push(i - 1);
            }
            _ => {}
        }
    }
    let leading = &text[..starts.first().copied().unwrap_or(text.len())];
    if !leading.trim_matches(' ').is_empty() || depth != 0 {
        return Err(SddlError::Syntax);
    }
    let mut seen = [false; 4];
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(text.len());
        let body = &text[start + 2..end];
        let slot = match b[start] {
            b'O' => 0,
            b'G' => 1,
            b'D' => 2,
            _ => 3,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(SddlError::Syntax);
        }
        match slot {
            0 => sd.owner = Some(sid(body)?),
            1 => sd.group = Some(sid(body)?),
            2 => {
                let (c, a) = acl(body, [SE_DACL_PROTECTED, SE_DACL_AUTO_INHERIT_REQ, SE_DACL_AUTO_INHERITED])?;
                sd.control |= c | SE_DACL_PRESENT;
                sd.dacl = a;
            }
            _ => {
                let (c, a) = acl(body, [SE_SACL_PROTECTED, SE_SACL_AUTO_INHERIT_REQ, SE_SACL_AUTO_INHERITED])?;
                sd.control |= c | SE_SACL_PRESENT;
                sd.sacl = a;
            }
        }
    }
    Ok(sd)
}

/// NTSTATUS SeConvertStringSecurityDescriptorToSecurityDescriptor(PCWSTR
/// StringSecurityDescriptor, ULONG StringSDRevision, PSECURITY_DESCRIPTOR *SecurityDescriptor,
/// PULONG SecurityDescriptorSize OPTIONAL): the self-relative descriptor, in paged pool the
/// caller frees; its size when asked. Revision other than SDDL_REVISION_1:
/// STATUS_UNKNOWN_REVISION; not SDDL: STATUS_INVALID_PARAMETER; a SID alias of a domain:
/// STATUS_NONE_MAPPED.
pub fn SeConvertStringSecurityDescriptorToSecurityDescriptor(
    k: &mut Kx,
    string: PCWSTR,
    revision: u32,
    out: Ptr,
    size: Ptr,
) -> KResult<NtStatus> {
    let at = caller(k);
    if string.0 == 0 || out.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if revision != SDDL_REVISION_1 {
        return Ok(st::UNKNOWN_REVISION);
    }
    let units = crate::rtl::printf::read_wstr(k.mem(), string.0, MAX_UNITS + 1)?;
    if units.len() > MAX_UNITS {
        return Ok(status::INVALID_PARAMETER);
    }
    let Ok(text) = String::from_utf16(&units) else { return Ok(status::INVALID_PARAMETER) };
    let sd = match parse(&text) {
        Ok(sd) => sd,
        Err(e) => return Ok(e.status()),
    };
    let bytes = sd.relative();
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let tag = u32::from_le_bytes(*b"SeSd");
    let Some(p) = crate::ex::pool::allocate(k, PAGED_POOL, bytes.len() as u64, tag, owner, at)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    k.mem_mut().write(p, &bytes)?;
    k.mem_mut().write_ptr(out.0, p)?;
    if size.0 != 0 {
        k.mem_mut().write_u32(size.0, bytes.len() as u32)?;
    }
    Ok(status::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_object_sddl_with_inheritance_flags() {
        let sd = parse("D:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)").unwrap();
        assert_eq!(sd.control, SE_DACL_PRESENT);
        let dacl = sd.dacl.unwrap();
        assert_eq!(dacl.revision, ACL_REVISION);
        let got: Vec<(u8, u8, u32, Sid)> =
            dacl.aces.iter().map(|a| (a.kind, a.flags, a.mask, a.sid.clone().unwrap())).collect();
        assert_eq!(
            got,
            vec![(0, 3, 0x1F01FF, w::local_system()), (0, 3, 0x1F01FF, w::admins()), (0, 3, 0x1200A9, w::users())]
        );
    }

    #[test]
    fn owner_group_protected_dacl_and_sacl() {
        let sd = parse("O:BAG:S-1-5-21-1-2-3-513D:PAI(D;;GW;;;WD)(A;;GRGX;;;AU)S:(ML;;NW;;;HI)").unwrap();
        assert_eq!(sd.owner, Some(w::admins()));
        assert_eq!(sd.group, Some(Sid::new(5, &[21, 1, 2, 3, 513])));
        assert_eq!(sd.control, SE_DACL_PRESENT | SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED | SE_SACL_PRESENT);
        let d = sd.dacl.unwrap();
        assert_eq!((d.aces[0].kind, d.aces[0].mask), (1, 0x4000_0000));
        assert_eq!(d.aces[1].mask, 0xA000_0000);
        let s = sd.sacl.unwrap();
        assert_eq!((s.aces[0].kind, s.aces[0].mask, s.aces[0].sid.clone()), (0x11, 1, Some(w::mandatory(0x3000))));
    }

    #[test]
    fn null_and_empty_dacls_and_object_aces() {
        let sd = parse("D:NO_ACCESS_CONTROL").unwrap();
        assert_eq!((sd.control, sd.dacl), (SE_DACL_PRESENT, None));
        let sd = parse("D:P").unwrap();
        assert_eq!(sd.dacl.unwrap().aces.len(), 0);
        let sd = parse("D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)").unwrap();
        let d = sd.dacl.unwrap();
        assert_eq!(d.revision, ACL_REVISION_DS);
        let raw = &d.aces[0].raw;
        assert_eq!(u16::from_le_bytes([raw[2], raw[3]]) as usize, raw.len());
        assert_eq!(&raw[8..12], &1u32.to_le_bytes());
        assert_eq!(&raw[12..16], &0xab72_1a53u32.to_le_bytes());
        assert_eq!(&raw[20..22], &[0x98, 0x19]);
    }

    #[test]
    fn what_is_not_sddl_is_refused() {
        for bad in [
            "D:(A;;GA;;;SY",
            "D:(A;;GA;;SY)",
            "D:(X;;GA;;;SY)",
            "D:(A;ZZ;GA;;;SY)",
            "D:(A;;QQ;;;SY)",
            "D:(A;;GA;;;QQ)",
            "D:(A;;GA;abc;;SY)",
            "D:PX",
            "D:(A;;GA;;;SY)D:(A;;GA;;;SY)",
            "X:(A;;GA;;;SY)",
            "junk D:",
            "O:S-2-5",
            "O:S-1-5-x",
        ] {
            assert_eq!(parse(bad), Err(SddlError::Syntax), "{bad}");
        }
        assert_eq!(parse("D:(A;;GA;;;DA)"), Err(SddlError::NoneMapped));
    }
}
