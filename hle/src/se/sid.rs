//! SIDs: the Rtl routines drivers use on them, and the host's own form of one.
#![allow(non_snake_case)]

use crate::kernel::{caller, KResult, Kx};
use crate::types::{status, Boolean, NtStatus, PUnicodeString, Ptr};

pub const SID_MAX_SUB_AUTHORITIES: u8 = 15;

/// A SID: its identifier authority and sub-authorities.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sid {
    pub authority: u64,
    pub subs: Vec<u32>,
}

impl Sid {
    pub fn new(authority: u64, subs: &[u32]) -> Sid {
        Sid { authority, subs: subs.to_vec() }
    }

    /// Its binary form (revision 1).
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = vec![1, self.subs.len() as u8];
        b.extend_from_slice(&self.authority.to_be_bytes()[2..]);
        for s in &self.subs {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b
    }

    pub fn len(&self) -> u64 {
        8 + 4 * self.subs.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Parses a binary SID (None when it is not a valid one).
    pub fn parse(b: &[u8]) -> Option<Sid> {
        if b.len() < 8 || b[0] != 1 || b[1] > SID_MAX_SUB_AUTHORITIES {
            return None;
        }
        let n = b[1] as usize;
        if b.len() < 8 + 4 * n {
            return None;
        }
        let mut a = [0u8; 8];
        a[2..].copy_from_slice(&b[2..8]);
        let subs = (0..n).map(|i| u32::from_le_bytes(b[8 + 4 * i..12 + 4 * i].try_into().expect("4 bytes"))).collect();
        Some(Sid { authority: u64::from_be_bytes(a), subs })
    }

    /// `S-1-5-32-544`.
    pub fn text(&self) -> String {
        let mut s = if self.authority >= 1 << 32 {
            format!("S-1-0x{:012X}", self.authority)
        } else {
            format!("S-1-{}", self.authority)
        };
        for x in &self.subs {
            s.push_str(&format!("-{x}"));
        }
        s
    }
}

/// Well-known SIDs.
pub mod well_known {
    use super::Sid;
    pub fn null() -> Sid {
        Sid::new(0, &[0])
    }
    pub fn world() -> Sid {
        Sid::new(1, &[0])
    }
    pub fn local() -> Sid {
        Sid::new(2, &[0])
    }
    pub fn creator_owner() -> Sid {
        Sid::new(3, &[0])
    }
    pub fn creator_group() -> Sid {
        Sid::new(3, &[1])
    }
    pub fn nt_authority() -> Sid {
        Sid::new(5, &[])
    }
    pub fn nt(rid: u32) -> Sid {
        Sid::new(5, &[rid])
    }
    pub fn alias(rid: u32) -> Sid {
        Sid::new(5, &[32, rid])
    }
    pub fn local_system() -> Sid {
        nt(18)
    }
    pub fn admins() -> Sid {
        alias(544)
    }
    pub fn users() -> Sid {
        alias(545)
    }
    pub fn authenticated_users() -> Sid {
        nt(11)
    }
    pub fn interactive() -> Sid {
        nt(4)
    }
    pub fn restricted() -> Sid {
        nt(12)
    }
    pub fn mandatory(rid: u32) -> Sid {
        Sid::new(16, &[rid])
    }
    /// The user program's account: a local account of the emulated machine.
    pub fn user() -> Sid {
        Sid::new(5, &[21, 1_004_336_348, 1_177_238_915, 682_003_330, 1000])
    }
}

/// Reads the SID at `at` (None when it is not a valid one).
pub fn read(k: &Kx, at: u64) -> KResult<Option<Sid>> {
    if at == 0 {
        return Ok(None);
    }
    let mut head = [0u8; 8];
    k.mem().read(at, &mut head)?;
    if head[0] != 1 || head[1] > SID_MAX_SUB_AUTHORITIES {
        return Ok(None);
    }
    let mut b = vec![0u8; 8 + 4 * head[1] as usize];
    k.mem().read(at, &mut b)?;
    Ok(Sid::parse(&b))
}

fn sub_count(k: &Kx, sid: u64) -> KResult<u64> {
    let mut c = [0u8];
    k.mem().read(sid + 1, &mut c)?;
    Ok(c[0] as u64)
}

/// ULONG RtlLengthSid(PSID Sid)
pub fn RtlLengthSid(k: &mut Kx, sid: Ptr) -> KResult<u32> {
    Ok(8 + 4 * sub_count(k, sid.0)? as u32)
}

/// ULONG RtlLengthRequiredSid(ULONG SubAuthorityCount)
pub fn RtlLengthRequiredSid(_k: &mut Kx, count: u32) -> KResult<u32> {
    Ok(8u32.wrapping_add(count.wrapping_mul(4)))
}

/// BOOLEAN RtlValidSid(PSID Sid)
pub fn RtlValidSid(k: &mut Kx, sid: Ptr) -> KResult<Boolean> {
    Ok(Boolean(read(k, sid.0)?.is_some()))
}

/// BOOLEAN RtlEqualSid(PSID Sid1, PSID Sid2)
pub fn RtlEqualSid(k: &mut Kx, a: Ptr, b: Ptr) -> KResult<Boolean> {
    let (a, b) = (read(k, a.0)?, read(k, b.0)?);
    Ok(Boolean(a.is_some() && a == b))
}

/// NTSTATUS RtlCopySid(ULONG DestinationSidLength, PSID DestinationSid, PSID SourceSid)
pub fn RtlCopySid(k: &mut Kx, len: u32, dest: Ptr, src: Ptr) -> KResult<NtStatus> {
    let n = 8 + 4 * sub_count(k, src.0)?;
    if (len as u64) < n {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    crate::rtl::memory::move_bytes(k, dest.0, src.0, n)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlInitializeSid(PSID Sid, PSID_IDENTIFIER_AUTHORITY IdentifierAuthority,
/// UCHAR SubAuthorityCount)
pub fn RtlInitializeSid(k: &mut Kx, sid: Ptr, authority: Ptr, count: u8) -> KResult<NtStatus> {
    if count > SID_MAX_SUB_AUTHORITIES {
        return Ok(status::INVALID_PARAMETER);
    }
    let mut a = [0u8; 6];
    k.mem().read(authority.0, &mut a)?;
    let mut head = vec![1, count];
    head.extend_from_slice(&a);
    k.mem_mut().write(sid.0, &head)?;
    Ok(status::SUCCESS)
}

/// PULONG RtlSubAuthoritySid(PSID Sid, ULONG SubAuthority)
pub fn RtlSubAuthoritySid(_k: &mut Kx, sid: Ptr, index: u32) -> KResult<Ptr> {
    Ok(Ptr(sid.0 + 8 + 4 * index as u64))
}

/// PUCHAR RtlSubAuthorityCountSid(PSID Sid)
pub fn RtlSubAuthorityCountSid(_k: &mut Kx, sid: Ptr) -> KResult<Ptr> {
    Ok(Ptr(sid.0 + 1))
}

/// NTSTATUS RtlConvertSidToUnicodeString(PUNICODE_STRING UnicodeString, PSID Sid,
/// BOOLEAN AllocateDestinationString): `S-1-5-...`; an allocated buffer is the caller's
/// pool (RtlFreeUnicodeString frees it).
pub fn RtlConvertSidToUnicodeString(k: &mut Kx, out: PUnicodeString, sid: Ptr, allocate: Boolean) -> KResult<NtStatus> {
    let Some(s) = read(k, sid.0)? else { return Ok(super::st::INVALID_SID) };
    let text: Vec<u16> = s.text().encode_utf16().collect();
    let bytes = text.len() as u64 * 2;
    use crate::layout::{FieldAccess, UNICODE_STRING};
    let buffer = if allocate.0 {
        let at = caller(k);
        let owner = k.ext().driver_at(at).map(crate::ob::Owner::Driver).unwrap_or(crate::ob::Owner::Kernel);
        let tag = u32::from_le_bytes(*b"SeSd");
        let Some(b) = crate::ex::pool::allocate(k, 1, bytes + 2, tag, owner, at)? else {
            return Ok(status::NO_MEMORY);
        };
        k.mem_mut().set(out.0, UNICODE_STRING::MaximumLength, bytes + 2)?;
        k.mem_mut().set(out.0, UNICODE_STRING::Buffer, b)?;
        b
    } else {
        let max = k.mem().get(out.0, UNICODE_STRING::MaximumLength)?;
        if bytes + 2 > max {
            return Ok(status::BUFFER_OVERFLOW);
        }
        k.mem().get(out.0, UNICODE_STRING::Buffer)?
    };
    let mut b: Vec<u8> = text.iter().flat_map(|u| u.to_le_bytes()).collect();
    b.extend([0, 0]);
    k.mem_mut().write(buffer, &b)?;
    k.mem_mut().set(out.0, UNICODE_STRING::Length, bytes)?;
    Ok(status::SUCCESS)
}
