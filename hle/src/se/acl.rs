//! ACLs: `RtlCreateAcl`, `RtlAddAccessAllowedAce(Ex)`, `RtlAddAce`, `RtlGetAce`,
//! `RtlDeleteAce`, and the host's
//! form of an ACL (for access checks and the security descriptors objects keep).
#![allow(non_snake_case)]

use super::sid::Sid;
use super::st;
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

pub const ACL_REVISION: u8 = 2;
pub const ACL_REVISION_DS: u8 = 4;
pub const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
pub const ACCESS_DENIED_ACE_TYPE: u8 = 1;
pub const INHERIT_ONLY_ACE: u8 = 0x08;
const HEADER: u64 = 8;

/// An ACE the host understands (allowed and denied ACEs; others are kept as raw bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ace {
    pub kind: u8,
    pub flags: u8,
    pub mask: u32,
    /// The SID of an allowed or denied ACE.
    pub sid: Option<Sid>,
    pub raw: Vec<u8>,
}

impl Ace {
    pub fn allow(mask: u32, sid: Sid) -> Ace {
        Ace::simple(ACCESS_ALLOWED_ACE_TYPE, 0, mask, sid)
    }

    pub fn simple(kind: u8, flags: u8, mask: u32, sid: Sid) -> Ace {
        let sb = sid.bytes();
        let size = 8 + sb.len();
        let mut raw = vec![kind, flags];
        raw.extend_from_slice(&(size as u16).to_le_bytes());
        raw.extend_from_slice(&mask.to_le_bytes());
        raw.extend_from_slice(&sb);
        Ace { kind, flags, mask, sid: Some(sid), raw }
    }
}

/// An ACL: its revision and ACEs, and its AclSize when larger than they need (an ACL keeps
/// its room through copies, as Windows copies AclSize bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acl {
    pub revision: u8,
    pub aces: Vec<Ace>,
    pub size: Option<u16>,
}

impl Acl {
    pub fn bytes(&self) -> Vec<u8> {
        let mut body: Vec<u8> = self.aces.iter().flat_map(|a| a.raw.clone()).collect();
        let needed = HEADER as usize + body.len();
        let size = self.size.map(|s| (s as usize).max(needed)).unwrap_or(needed);
        body.resize(size - HEADER as usize, 0);
        let mut b = vec![self.revision, 0];
        b.extend_from_slice(&(size as u16).to_le_bytes());
        b.extend_from_slice(&(self.aces.len() as u16).to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend(body);
        b
    }

    /// Parses an ACL (None when its header or ACEs do not hold together).
    pub fn parse(b: &[u8]) -> Option<Acl> {
        if b.len() < HEADER as usize || !(ACL_REVISION..=ACL_REVISION_DS).contains(&b[0]) {
            return None;
        }
        let size = u16::from_le_bytes([b[2], b[3]]) as usize;
        let count = u16::from_le_bytes([b[4], b[5]]) as usize;
        if size < HEADER as usize || size > b.len() {
            return None;
        }
        let mut aces = Vec::new();
        let mut off = HEADER as usize;
        for _ in 0..count {
            if off + 4 > size {
                return None;
            }
            let ace_size = u16::from_le_bytes([b[off + 2], b[off + 3]]) as usize;
            if ace_size < 4 || off + ace_size > size || !ace_size.is_multiple_of(4) {
                return None;
            }
            let raw = b[off..off + ace_size].to_vec();
            let (kind, flags) = (raw[0], raw[1]);
            let mask = if ace_size >= 8 { u32::from_le_bytes(raw[4..8].try_into().expect("4 bytes")) } else { 0 };
            let sid = if matches!(kind, ACCESS_ALLOWED_ACE_TYPE | ACCESS_DENIED_ACE_TYPE) {
                Some(Sid::parse(&raw[8.min(raw.len())..])?)
            } else {
                None
            };
            aces.push(Ace { kind, flags, mask, sid, raw });
            off += ace_size;
        }
        Some(Acl { revision: b[0], aces, size: Some(size as u16) })
    }
}

/// The ACL header at `acl`: (revision, AclSize, AceCount).
fn header(k: &Kx, acl: u64) -> KResult<(u8, u64, u64)> {
    let mut h = [0u8; 8];
    k.mem().read(acl, &mut h)?;
    Ok((h[0], u16::from_le_bytes([h[2], h[3]]) as u64, u16::from_le_bytes([h[4], h[5]]) as u64))
}

/// Reads the ACL at `acl` (None when it is not a valid one).
pub fn read(k: &Kx, acl: u64) -> KResult<Option<Acl>> {
    if acl == 0 {
        return Ok(None);
    }
    let (_, size, _) = header(k, acl)?;
    let mut b = vec![0u8; size.max(HEADER) as usize];
    k.mem().read(acl, &mut b)?;
    Ok(Acl::parse(&b))
}

/// Where the ACEs end: (offset of the first free byte, whether the ACEs are well formed).
fn ace_end(k: &Kx, acl: u64) -> KResult<Option<u64>> {
    let (_, size, count) = header(k, acl)?;
    let mut off = HEADER;
    for _ in 0..count {
        if off + 4 > size {
            return Ok(None);
        }
        let mut s = [0u8; 2];
        k.mem().read(acl + off + 2, &mut s)?;
        let n = u16::from_le_bytes(s) as u64;
        if n < 4 {
            return Ok(None);
        }
        off += n;
    }
    Ok((off <= size).then_some(off))
}

/// NTSTATUS RtlCreateAcl(PACL Acl, ULONG AclLength, ULONG AclRevision)
pub fn RtlCreateAcl(k: &mut Kx, acl: Ptr, len: u32, revision: u32) -> KResult<NtStatus> {
    if (len as u64) < HEADER {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    if !(ACL_REVISION as u32..=ACL_REVISION_DS as u32).contains(&revision) || len > 0xFFFF {
        return Ok(status::INVALID_PARAMETER);
    }
    let size = (len & !3) as u16;
    let mut h = vec![revision as u8, 0];
    h.extend_from_slice(&size.to_le_bytes());
    h.extend_from_slice(&[0, 0, 0, 0]);
    k.mem_mut().write(acl.0, &h)?;
    Ok(status::SUCCESS)
}

fn add_ace(k: &mut Kx, acl: u64, ace_revision: u32, kind: u8, flags: u32, mask: u32, sid: u64) -> KResult<NtStatus> {
    let Some(s) = super::sid::read(k, sid)? else { return Ok(st::INVALID_SID) };
    let (revision, size, count) = header(k, acl)?;
    if !(ACL_REVISION..=ACL_REVISION_DS).contains(&revision) || ace_revision > ACL_REVISION_DS as u32 {
        return Ok(st::REVISION_MISMATCH);
    }
    if flags & !0x1F != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let Some(end) = ace_end(k, acl)? else { return Ok(st::INVALID_ACL) };
    let ace = Ace::simple(kind, flags as u8, mask, s);
    if end + ace.raw.len() as u64 > size {
        return Ok(st::ALLOTTED_SPACE_EXCEEDED);
    }
    k.mem_mut().write(acl + end, &ace.raw)?;
    k.mem_mut().write(acl + 4, &((count + 1) as u16).to_le_bytes())?;
    let new_revision = revision.max(ace_revision as u8);
    k.mem_mut().write(acl, &[new_revision])?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlAddAccessAllowedAce(PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask,
/// PSID Sid): appended after the ACEs there; STATUS_ALLOTTED_SPACE_EXCEEDED when it does
/// not fit.
pub fn RtlAddAccessAllowedAce(k: &mut Kx, acl: Ptr, revision: u32, mask: u32, sid: Ptr) -> KResult<NtStatus> {
    add_ace(k, acl.0, revision, ACCESS_ALLOWED_ACE_TYPE, 0, mask, sid.0)
}

/// NTSTATUS RtlAddAccessAllowedAceEx(PACL Acl, ULONG AceRevision, ULONG AceFlags,
/// ACCESS_MASK AccessMask, PSID Sid)
pub fn RtlAddAccessAllowedAceEx(
    k: &mut Kx,
    acl: Ptr,
    revision: u32,
    flags: u32,
    mask: u32,
    sid: Ptr,
) -> KResult<NtStatus> {
    add_ace(k, acl.0, revision, ACCESS_ALLOWED_ACE_TYPE, flags, mask, sid.0)
}

/// The offsets of the ACEs of `acl`.
fn ace_offsets(k: &Kx, acl: u64) -> KResult<Option<Vec<u64>>> {
    let (_, size, count) = header(k, acl)?;
    let mut v = Vec::new();
    let mut off = HEADER;
    for _ in 0..count {
        if off + 4 > size {
            return Ok(None);
        }
        v.push(off);
        let mut s = [0u8; 2];
        k.mem().read(acl + off + 2, &mut s)?;
        let n = u16::from_le_bytes(s) as u64;
        if n < 4 {
            return Ok(None);
        }
        off += n;
    }
    Ok(Some(v))
}

/// NTSTATUS RtlGetAce(PACL Acl, ULONG AceIndex, PVOID *Ace)
pub fn RtlGetAce(k: &mut Kx, acl: Ptr, index: u32, out: Ptr) -> KResult<NtStatus> {
    let (revision, _, _) = header(k, acl.0)?;
    if !(ACL_REVISION..=ACL_REVISION_DS).contains(&revision) {
        return Ok(status::INVALID_PARAMETER);
    }
    match ace_offsets(k, acl.0)?.and_then(|v| v.get(index as usize).copied()) {
        Some(off) => {
            k.mem_mut().write_ptr(out.0, acl.0 + off)?;
            Ok(status::SUCCESS)
        }
        None => Ok(status::INVALID_PARAMETER),
    }
}

/// NTSTATUS RtlDeleteAce(PACL Acl, ULONG AceIndex)
pub fn RtlDeleteAce(k: &mut Kx, acl: Ptr, index: u32) -> KResult<NtStatus> {
    let Some(offs) = ace_offsets(k, acl.0)? else { return Ok(status::INVALID_PARAMETER) };
    let Some(&off) = offs.get(index as usize) else { return Ok(status::INVALID_PARAMETER) };
    let end = ace_end(k, acl.0)?.unwrap_or(off);
    let mut s = [0u8; 2];
    k.mem().read(acl.0 + off + 2, &mut s)?;
    let n = u16::from_le_bytes(s) as u64;
    let mut rest = vec![0u8; (end - off - n) as usize];
    k.mem().read(acl.0 + off + n, &mut rest)?;
    k.mem_mut().write(acl.0 + off, &rest)?;
    k.mem_mut().write(acl.0 + 4, &((offs.len() - 1) as u16).to_le_bytes())?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlAddAce(PACL Acl, ULONG AceRevision, ULONG StartingAceIndex, PVOID AceList,
/// ULONG AceListLength): inserts the ACEs before StartingAceIndex (MAXULONG: at the end).
pub fn RtlAddAce(k: &mut Kx, acl: Ptr, revision: u32, start: u32, list: Ptr, list_len: u32) -> KResult<NtStatus> {
    let (acl_revision, size, count) = header(k, acl.0)?;
    if !(ACL_REVISION..=ACL_REVISION_DS).contains(&acl_revision) || revision > ACL_REVISION_DS as u32 {
        return Ok(status::INVALID_PARAMETER);
    }
    let Some(offs) = ace_offsets(k, acl.0)? else { return Ok(status::INVALID_PARAMETER) };
    let Some(end) = ace_end(k, acl.0)? else { return Ok(status::INVALID_PARAMETER) };
    let mut new = vec![0u8; list_len as usize];
    k.mem().read(list.0, &mut new)?;
    // Count the ACEs in the list.
    let mut added = 0u64;
    let mut off = 0usize;
    while off + 4 <= new.len() {
        let n = u16::from_le_bytes([new[off + 2], new[off + 3]]) as usize;
        if n < 4 {
            return Ok(status::INVALID_PARAMETER);
        }
        off += n;
        added += 1;
    }
    if off != new.len() {
        return Ok(status::INVALID_PARAMETER);
    }
    if end + new.len() as u64 > size {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    let at = offs.get(start as usize).copied().unwrap_or(end);
    let mut rest = vec![0u8; (end - at) as usize];
    k.mem().read(acl.0 + at, &mut rest)?;
    new.extend(rest);
    k.mem_mut().write(acl.0 + at, &new)?;
    k.mem_mut().write(acl.0 + 4, &((count + added) as u16).to_le_bytes())?;
    k.mem_mut().write(acl.0, &[acl_revision.max(revision as u8)])?;
    Ok(status::SUCCESS)
}
