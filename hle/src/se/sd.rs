//! Security descriptors: the Rtl routines on absolute and self-relative descriptors,
//! capturing one (`SeCaptureSecurityDescriptor`), the descriptors objects keep
//! (`ZwSetSecurityObject`, `ZwQuerySecurityObject`, `ObGetObjectSecurity`), and
//! `SeAccessCheck`.
#![allow(non_snake_case)]

use super::acl::{Acl, ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, INHERIT_ONLY_ACE};
use super::sid::Sid;
use super::st;
use crate::kernel::{caller, KResult, Kx};
use crate::ob::handles::{self, Mode};
use crate::ob::{ObjectKind, Owner};
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

pub const SE_OWNER_DEFAULTED: u16 = 0x0001;
pub const SE_GROUP_DEFAULTED: u16 = 0x0002;
pub const SE_DACL_PRESENT: u16 = 0x0004;
pub const SE_DACL_DEFAULTED: u16 = 0x0008;
pub const SE_SACL_PRESENT: u16 = 0x0010;
pub const SE_SACL_DEFAULTED: u16 = 0x0020;
pub const SE_DACL_AUTO_INHERIT_REQ: u16 = 0x0100;
pub const SE_SACL_AUTO_INHERIT_REQ: u16 = 0x0200;
pub const SE_DACL_AUTO_INHERITED: u16 = 0x0400;
pub const SE_SACL_AUTO_INHERITED: u16 = 0x0800;
pub const SE_DACL_PROTECTED: u16 = 0x1000;
pub const SE_SACL_PROTECTED: u16 = 0x2000;
pub const SE_SELF_RELATIVE: u16 = 0x8000;

pub const OWNER_SECURITY_INFORMATION: u32 = 0x1;
pub const GROUP_SECURITY_INFORMATION: u32 = 0x2;
pub const DACL_SECURITY_INFORMATION: u32 = 0x4;
pub const SACL_SECURITY_INFORMATION: u32 = 0x8;
pub const LABEL_SECURITY_INFORMATION: u32 = 0x10;
pub const PROTECTED_DACL_SECURITY_INFORMATION: u32 = 0x8000_0000;
pub const UNPROTECTED_DACL_SECURITY_INFORMATION: u32 = 0x2000_0000;

pub const READ_CONTROL: u32 = 0x0002_0000;
pub const WRITE_DAC: u32 = 0x0004_0000;
pub const WRITE_OWNER: u32 = 0x0008_0000;
pub const ACCESS_SYSTEM_SECURITY: u32 = 0x0100_0000;
pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
const RELATIVE_SIZE: u64 = 20;

/// A security descriptor in the host's form.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Sd {
    pub control: u16,
    pub owner: Option<Sid>,
    pub group: Option<Sid>,
    /// Present only with SE_SACL_PRESENT; None inside for a NULL SACL.
    pub sacl: Option<Acl>,
    /// The DACL when SE_DACL_PRESENT and not NULL (a NULL DACL grants everything).
    pub dacl: Option<Acl>,
}

impl Sd {
    /// Its self-relative form: header, then owner, group, SACL, DACL.
    pub fn relative(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let mut offsets = [0u32; 4];
        let parts: [Option<Vec<u8>>; 4] = [
            self.owner.as_ref().map(Sid::bytes),
            self.group.as_ref().map(Sid::bytes),
            self.sacl.as_ref().filter(|_| self.control & SE_SACL_PRESENT != 0).map(Acl::bytes),
            self.dacl.as_ref().filter(|_| self.control & SE_DACL_PRESENT != 0).map(Acl::bytes),
        ];
        for (i, p) in parts.iter().enumerate() {
            if let Some(p) = p {
                offsets[i] = (RELATIVE_SIZE as usize + body.len()) as u32;
                body.extend_from_slice(p);
                while !body.len().is_multiple_of(4) {
                    body.push(0);
                }
            }
        }
        let mut b = vec![1, 0];
        b.extend_from_slice(&(self.control | SE_SELF_RELATIVE).to_le_bytes());
        for o in [offsets[0], offsets[1], offsets[2], offsets[3]] {
            b.extend_from_slice(&o.to_le_bytes());
        }
        b.extend(body);
        b
    }
}

/// sizeof(SECURITY_DESCRIPTOR): the control word padded to a pointer, and four pointers.
fn absolute_size(k: &Kx) -> u64 {
    5 * k.arch().ptr_size()
}

/// The four parts of a descriptor at `sd`: (control, owner, group, sacl, dacl) addresses.
fn parts(k: &Kx, sd: u64) -> KResult<Option<(u16, [u64; 4])>> {
    let mut h = [0u8; 4];
    k.mem().read(sd, &mut h)?;
    if h[0] != 1 {
        return Ok(None);
    }
    let control = u16::from_le_bytes([h[2], h[3]]);
    let mut p = [0u64; 4];
    if control & SE_SELF_RELATIVE != 0 {
        for (i, v) in p.iter_mut().enumerate() {
            let o = k.mem().read_u32(sd + 4 + 4 * i as u64)? as u64;
            *v = if o == 0 { 0 } else { sd + o };
        }
    } else {
        for (i, v) in p.iter_mut().enumerate() {
            *v = k.mem().read_ptr(absolute_field(k, sd, i as u64))?;
        }
    }
    Ok(Some((control, p)))
}

/// Reads the descriptor at `sd`, absolute or self-relative (None when it is not valid).
pub fn read(k: &Kx, sd: u64) -> KResult<Option<Sd>> {
    if sd == 0 {
        return Ok(None);
    }
    let Some((control, [o, g, s, d])) = parts(k, sd)? else { return Ok(None) };
    let owner = super::sid::read(k, o)?;
    let group = super::sid::read(k, g)?;
    if (o != 0 && owner.is_none()) || (g != 0 && group.is_none()) {
        return Ok(None);
    }
    let mut sacl = None;
    if control & SE_SACL_PRESENT != 0 && s != 0 {
        match super::acl::read(k, s)? {
            Some(a) => sacl = Some(a),
            None => return Ok(None),
        }
    }
    let mut dacl = None;
    if control & SE_DACL_PRESENT != 0 && d != 0 {
        match super::acl::read(k, d)? {
            Some(a) => dacl = Some(a),
            None => return Ok(None),
        }
    }
    Ok(Some(Sd { control: control & !SE_SELF_RELATIVE, owner, group, sacl, dacl }))
}

fn revision_ok(k: &Kx, sd: u64) -> KResult<bool> {
    let mut r = [0u8];
    k.mem().read(sd, &mut r)?;
    Ok(r[0] == 1)
}

fn control(k: &Kx, sd: u64) -> KResult<u16> {
    let mut c = [0u8; 2];
    k.mem().read(sd + 2, &mut c)?;
    Ok(u16::from_le_bytes(c))
}

fn set_control(k: &mut Kx, sd: u64, c: u16) -> KResult<()> {
    k.mem_mut().write(sd + 2, &c.to_le_bytes())?;
    Ok(())
}

/// NTSTATUS RtlCreateSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor,
/// ULONG Revision): an empty absolute descriptor.
pub fn RtlCreateSecurityDescriptor(k: &mut Kx, sd: Ptr, revision: u32) -> KResult<NtStatus> {
    if revision != 1 {
        return Ok(st::UNKNOWN_REVISION);
    }
    let mut b = vec![0u8; absolute_size(k) as usize];
    b[0] = 1;
    k.mem_mut().write(sd.0, &b)?;
    Ok(status::SUCCESS)
}

/// BOOLEAN RtlValidSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)
pub fn RtlValidSecurityDescriptor(k: &mut Kx, sd: Ptr) -> KResult<Boolean> {
    Ok(Boolean(read(k, sd.0)?.is_some()))
}

/// BOOLEAN RtlValidRelativeSecurityDescriptor(PSECURITY_DESCRIPTOR, ULONG Length,
/// SECURITY_INFORMATION RequiredInformation)
pub fn RtlValidRelativeSecurityDescriptor(k: &mut Kx, sd: Ptr, len: u32, required: u32) -> KResult<Boolean> {
    if (len as u64) < RELATIVE_SIZE || control(k, sd.0)? & SE_SELF_RELATIVE == 0 {
        return Ok(Boolean(false));
    }
    let Some(d) = read(k, sd.0)? else { return Ok(Boolean(false)) };
    if d.relative().len() as u64 > len as u64 + 3 {
        return Ok(Boolean(false));
    }
    let ok = (required & OWNER_SECURITY_INFORMATION == 0 || d.owner.is_some())
        && (required & GROUP_SECURITY_INFORMATION == 0 || d.group.is_some())
        && (required & DACL_SECURITY_INFORMATION == 0 || d.control & SE_DACL_PRESENT != 0)
        && (required & SACL_SECURITY_INFORMATION == 0 || d.control & SE_SACL_PRESENT != 0);
    Ok(Boolean(ok))
}

/// ULONG RtlLengthSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor): the header
/// and each part, each rounded up to four bytes.
pub fn RtlLengthSecurityDescriptor(k: &mut Kx, sd: Ptr) -> KResult<u32> {
    let Some((c, [o, g, s, d])) = parts(k, sd.0)? else { return Ok(0) };
    let head = if c & SE_SELF_RELATIVE != 0 { RELATIVE_SIZE } else { absolute_size(k) };
    let mut n = head;
    let round = |x: u64| x.div_ceil(4) * 4;
    for sid in [o, g] {
        if sid != 0 {
            n += round(super::sid::read(k, sid)?.map(|s| s.len()).unwrap_or(8));
        }
    }
    for (acl, flag) in [(s, SE_SACL_PRESENT), (d, SE_DACL_PRESENT)] {
        if acl != 0 && c & flag != 0 {
            let mut h = [0u8; 4];
            k.mem().read(acl, &mut h)?;
            n += round(u16::from_le_bytes([h[2], h[3]]) as u64);
        }
    }
    Ok(n as u32)
}

fn absolute_field(k: &Kx, sd: u64, index: u64) -> u64 {
    let ps = k.arch().ptr_size();
    sd + ps + ps * index
}

/// Sets an absolute descriptor's part `index` (0 owner, 1 group, 2 SACL, 3 DACL).
fn set_part(k: &mut Kx, sd: u64, index: u64, value: u64, set: u16, clear: u16) -> KResult<NtStatus> {
    if !revision_ok(k, sd)? {
        return Ok(st::UNKNOWN_REVISION);
    }
    let c = control(k, sd)?;
    if c & SE_SELF_RELATIVE != 0 {
        return Ok(st::INVALID_SECURITY_DESCR);
    }
    let at = absolute_field(k, sd, index);
    k.mem_mut().write_ptr(at, value)?;
    set_control(k, sd, (c & !clear) | set)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlSetDaclSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor,
/// BOOLEAN DaclPresent, PACL Dacl, BOOLEAN DaclDefaulted)
pub fn RtlSetDaclSecurityDescriptor(
    k: &mut Kx,
    sd: Ptr,
    present: Boolean,
    dacl: Ptr,
    defaulted: Boolean,
) -> KResult<NtStatus> {
    if !present.0 {
        if !revision_ok(k, sd.0)? {
            return Ok(st::UNKNOWN_REVISION);
        }
        let c = control(k, sd.0)?;
        if c & SE_SELF_RELATIVE != 0 {
            return Ok(st::INVALID_SECURITY_DESCR);
        }
        set_control(k, sd.0, c & !SE_DACL_PRESENT)?;
        return Ok(status::SUCCESS);
    }
    let set = SE_DACL_PRESENT | if defaulted.0 { SE_DACL_DEFAULTED } else { 0 };
    set_part(k, sd.0, 3, dacl.0, set, SE_DACL_DEFAULTED)
}

/// NTSTATUS RtlSetSaclSecurityDescriptor(PSECURITY_DESCRIPTOR, BOOLEAN SaclPresent, PACL Sacl,
/// BOOLEAN SaclDefaulted)
pub fn RtlSetSaclSecurityDescriptor(
    k: &mut Kx,
    sd: Ptr,
    present: Boolean,
    sacl: Ptr,
    defaulted: Boolean,
) -> KResult<NtStatus> {
    if !present.0 {
        if !revision_ok(k, sd.0)? {
            return Ok(st::UNKNOWN_REVISION);
        }
        let c = control(k, sd.0)?;
        if c & SE_SELF_RELATIVE != 0 {
            return Ok(st::INVALID_SECURITY_DESCR);
        }
        set_control(k, sd.0, c & !SE_SACL_PRESENT)?;
        return Ok(status::SUCCESS);
    }
    let set = SE_SACL_PRESENT | if defaulted.0 { SE_SACL_DEFAULTED } else { 0 };
    set_part(k, sd.0, 2, sacl.0, set, SE_SACL_DEFAULTED)
}

/// NTSTATUS RtlSetOwnerSecurityDescriptor(PSECURITY_DESCRIPTOR, PSID Owner,
/// BOOLEAN OwnerDefaulted)
pub fn RtlSetOwnerSecurityDescriptor(k: &mut Kx, sd: Ptr, owner: Ptr, defaulted: Boolean) -> KResult<NtStatus> {
    let set = if defaulted.0 { SE_OWNER_DEFAULTED } else { 0 };
    set_part(k, sd.0, 0, owner.0, set, SE_OWNER_DEFAULTED)
}

/// NTSTATUS RtlSetGroupSecurityDescriptor(PSECURITY_DESCRIPTOR, PSID Group,
/// BOOLEAN GroupDefaulted)
pub fn RtlSetGroupSecurityDescriptor(k: &mut Kx, sd: Ptr, group: Ptr, defaulted: Boolean) -> KResult<NtStatus> {
    let set = if defaulted.0 { SE_GROUP_DEFAULTED } else { 0 };
    set_part(k, sd.0, 1, group.0, set, SE_GROUP_DEFAULTED)
}

fn write_bool(k: &mut Kx, at: u64, v: bool) -> KResult<()> {
    if at != 0 {
        k.mem_mut().write(at, &[v as u8])?;
    }
    Ok(())
}

/// NTSTATUS RtlGetDaclSecurityDescriptor(PSECURITY_DESCRIPTOR, PBOOLEAN DaclPresent,
/// PACL *Dacl, PBOOLEAN DaclDefaulted)
pub fn RtlGetDaclSecurityDescriptor(k: &mut Kx, sd: Ptr, present: Ptr, dacl: Ptr, defaulted: Ptr) -> KResult<NtStatus> {
    let Some((c, p)) = parts(k, sd.0)? else { return Ok(st::UNKNOWN_REVISION) };
    let is = c & SE_DACL_PRESENT != 0;
    write_bool(k, present.0, is)?;
    if is {
        k.mem_mut().write_ptr(dacl.0, p[3])?;
        write_bool(k, defaulted.0, c & SE_DACL_DEFAULTED != 0)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlGetSaclSecurityDescriptor(PSECURITY_DESCRIPTOR, PBOOLEAN SaclPresent,
/// PACL *Sacl, PBOOLEAN SaclDefaulted)
pub fn RtlGetSaclSecurityDescriptor(k: &mut Kx, sd: Ptr, present: Ptr, sacl: Ptr, defaulted: Ptr) -> KResult<NtStatus> {
    let Some((c, p)) = parts(k, sd.0)? else { return Ok(st::UNKNOWN_REVISION) };
    let is = c & SE_SACL_PRESENT != 0;
    write_bool(k, present.0, is)?;
    if is {
        k.mem_mut().write_ptr(sacl.0, p[2])?;
        write_bool(k, defaulted.0, c & SE_SACL_DEFAULTED != 0)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlGetOwnerSecurityDescriptor(PSECURITY_DESCRIPTOR, PSID *Owner,
/// PBOOLEAN OwnerDefaulted)
pub fn RtlGetOwnerSecurityDescriptor(k: &mut Kx, sd: Ptr, owner: Ptr, defaulted: Ptr) -> KResult<NtStatus> {
    let Some((c, p)) = parts(k, sd.0)? else { return Ok(st::UNKNOWN_REVISION) };
    k.mem_mut().write_ptr(owner.0, p[0])?;
    write_bool(k, defaulted.0, c & SE_OWNER_DEFAULTED != 0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlGetGroupSecurityDescriptor(PSECURITY_DESCRIPTOR, PSID *Group,
/// PBOOLEAN GroupDefaulted)
pub fn RtlGetGroupSecurityDescriptor(k: &mut Kx, sd: Ptr, group: Ptr, defaulted: Ptr) -> KResult<NtStatus> {
    let Some((c, p)) = parts(k, sd.0)? else { return Ok(st::UNKNOWN_REVISION) };
    k.mem_mut().write_ptr(group.0, p[1])?;
    write_bool(k, defaulted.0, c & SE_GROUP_DEFAULTED != 0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlAbsoluteToSelfRelativeSD(PSECURITY_DESCRIPTOR AbsoluteSecurityDescriptor,
/// PSECURITY_DESCRIPTOR SelfRelativeSecurityDescriptor, PULONG BufferLength)
pub fn RtlAbsoluteToSelfRelativeSD(k: &mut Kx, abs: Ptr, rel: Ptr, len: Ptr) -> KResult<NtStatus> {
    if control(k, abs.0)? & SE_SELF_RELATIVE != 0 {
        return Ok(st::BAD_DESCRIPTOR_FORMAT);
    }
    let Some(d) = read(k, abs.0)? else { return Ok(st::INVALID_SECURITY_DESCR) };
    let bytes = d.relative();
    let have = k.mem().read_u32(len.0)? as usize;
    if have < bytes.len() {
        k.mem_mut().write_u32(len.0, bytes.len() as u32)?;
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(rel.0, &bytes)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS RtlSelfRelativeToAbsoluteSD2(PSECURITY_DESCRIPTOR SelfRelativeSecurityDescriptor,
/// PULONG BufferSize): makes the self-relative descriptor absolute where it is. The parts
/// stay in the buffer; where the larger absolute header (x64: 40 bytes for 20) would cover
/// them, they move up by what it needs, which must fit in *BufferSize (else
/// STATUS_BUFFER_TOO_SMALL with the size needed there). On x86 both headers take 20 bytes
/// and nothing moves.
pub fn RtlSelfRelativeToAbsoluteSD2(k: &mut Kx, sd: Ptr, size: Ptr) -> KResult<NtStatus> {
    if sd.0 == 0 {
        return Ok(status::INVALID_PARAMETER_1);
    }
    if size.0 == 0 {
        return Ok(status::INVALID_PARAMETER_2);
    }
    let Some((c, [o, g, s, d])) = parts(k, sd.0)? else { return Ok(st::UNKNOWN_REVISION) };
    if c & SE_SELF_RELATIVE == 0 {
        return Ok(st::BAD_DESCRIPTOR_FORMAT);
    }
    let s = if c & SE_SACL_PRESENT != 0 { s } else { 0 };
    let d = if c & SE_DACL_PRESENT != 0 { d } else { 0 };
    // The bytes the parts take: a SID's from its sub-authority count, an ACL's AclSize.
    let mut spans = Vec::new();
    for sid in [o, g].into_iter().filter(|a| *a != 0) {
        spans.push((sid, 8 + 4 * k.mem().read_u8(sid + 1)? as u64));
    }
    for acl in [s, d].into_iter().filter(|a| *a != 0) {
        spans.push((acl, k.mem().read_u16(acl + 2)? as u64));
    }
    let header_end = sd.0 + absolute_size(k);
    let start = spans.iter().map(|(a, _)| *a).min().unwrap_or(header_end);
    let end = spans.iter().map(|(a, n)| a + n).max().unwrap_or(header_end);
    let shift = header_end.saturating_sub(start);
    let needed = end.max(header_end) + shift - sd.0;
    let have = k.mem().read_u32(size.0)? as u64;
    if have < needed {
        k.mem_mut().write_u32(size.0, needed.min(u32::MAX as u64) as u32)?;
        return Ok(status::BUFFER_TOO_SMALL);
    }
    if shift != 0 && end > start {
        let mut data = vec![0u8; (end - start) as usize];
        k.mem().read(start, &mut data)?;
        k.mem_mut().write(start + shift, &data)?;
    }
    let moved = |a: u64| if a == 0 { 0 } else { a + shift };
    let ps = k.arch().ptr_size();
    let mut head = vec![0u8; absolute_size(k) as usize];
    head[0] = 1;
    head[1] = k.mem().read_u8(sd.0 + 1)?;
    head[2..4].copy_from_slice(&(c & !SE_SELF_RELATIVE).to_le_bytes());
    for (i, a) in [o, g, s, d].into_iter().enumerate() {
        let at = (ps + ps * i as u64) as usize;
        head[at..at + ps as usize].copy_from_slice(&moved(a).to_le_bytes()[..ps as usize]);
    }
    k.mem_mut().write(sd.0, &head)?;
    Ok(status::SUCCESS)
}

// ---- capturing -------------------------------------------------------------------------

fn pool_copy(k: &mut Kx, bytes: &[u8], pool_type: u32, at: u64) -> KResult<Option<u64>> {
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let tag = u32::from_le_bytes(*b"SeSc");
    let Some(p) = crate::ex::pool::allocate(k, pool_type, bytes.len() as u64, tag, owner, at)? else {
        return Ok(None);
    };
    k.mem_mut().write(p, bytes)?;
    Ok(Some(p))
}

/// NTSTATUS SeCaptureSecurityDescriptor(PSECURITY_DESCRIPTOR InputSecurityDescriptor,
/// KPROCESSOR_MODE RequestorMode, POOL_TYPE PoolType, BOOLEAN ForceCapture,
/// PSECURITY_DESCRIPTOR *OutputSecurityDescriptor): a kernel-mode descriptor is used in
/// place unless ForceCapture; otherwise a validated self-relative copy in pool.
pub fn SeCaptureSecurityDescriptor(
    k: &mut Kx,
    sd: Ptr,
    mode: u8,
    pool_type: u32,
    force: Boolean,
    out: Ptr,
) -> KResult<NtStatus> {
    let at = caller(k);
    if sd.0 == 0 {
        k.mem_mut().write_ptr(out.0, 0)?;
        return Ok(status::SUCCESS);
    }
    if mode == 0 && !force.0 {
        k.mem_mut().write_ptr(out.0, sd.0)?;
        return Ok(status::SUCCESS);
    }
    let Some(d) = read(k, sd.0)? else { return Ok(st::INVALID_SECURITY_DESCR) };
    let Some(copy) = pool_copy(k, &d.relative(), pool_type, at)? else { return Ok(status::INSUFFICIENT_RESOURCES) };
    k.mem_mut().write_ptr(out.0, copy)?;
    Ok(status::SUCCESS)
}

/// VOID SeReleaseSecurityDescriptor(PSECURITY_DESCRIPTOR CapturedSecurityDescriptor,
/// KPROCESSOR_MODE RequestorMode, BOOLEAN ForceCapture)
pub fn SeReleaseSecurityDescriptor(k: &mut Kx, sd: Ptr, mode: u8, force: Boolean) -> KResult<()> {
    let at = caller(k);
    if sd.0 != 0 && (mode != 0 || force.0) {
        crate::ex::pool::free(k, sd.0, None, at)?;
    }
    Ok(())
}

// ---- the descriptors objects keep ------------------------------------------------------

/// The generic mapping of file and device objects.
pub const FILE_GENERIC_MAPPING: [u32; 4] = [0x0012_0089, 0x0012_0116, 0x0012_00A0, 0x001F_01FF];
/// A generic mapping that maps everything to the object's all-access mask.
fn mapping_for(kind: ObjectKind) -> [u32; 4] {
    match kind {
        ObjectKind::Device | ObjectKind::File => FILE_GENERIC_MAPPING,
        ObjectKind::Key => [0x0002_0019, 0x0002_0006, 0x0002_0019, 0x000F_003F],
        ObjectKind::Process => [0x0002_0410, 0x0002_0BEA, 0x0012_0000, 0x001F_FFFF],
        ObjectKind::Thread => [0x0002_0048, 0x0002_0037, 0x0012_0000, 0x001F_FFFF],
        _ => [0x0002_0000, 0x0002_0000, 0x0002_0000, 0x000F_FFFF],
    }
}

/// Maps generic rights through `m` (GENERIC_READ, WRITE, EXECUTE, ALL).
pub fn map_generic(mask: u32, m: [u32; 4]) -> u32 {
    let mut out = mask & 0x0FFF_FFFF;
    for (bit, v) in [(0x8000_0000u32, m[0]), (0x4000_0000, m[1]), (0x2000_0000, m[2]), (0x1000_0000, m[3])] {
        if mask & bit != 0 {
            out |= v;
        }
    }
    out
}

/// The descriptor an object gets when no one set one: owner Administrators, group SYSTEM;
/// SYSTEM and Administrators all access, Everyone read, write and execute, restricted code
/// read and execute (the I/O manager's default for devices).
pub fn default_descriptor(kind: ObjectKind) -> Sd {
    use super::sid::well_known as w;
    let m = mapping_for(kind);
    let acl = Acl {
        revision: super::acl::ACL_REVISION,
        aces: vec![
            super::acl::Ace::allow(m[3], w::local_system()),
            super::acl::Ace::allow(m[3], w::admins()),
            super::acl::Ace::allow(m[0] | m[1] | m[2], w::world()),
            super::acl::Ace::allow(m[0] | m[2], w::restricted()),
        ],
        size: None,
    };
    Sd {
        control: SE_DACL_PRESENT,
        owner: Some(w::admins()),
        group: Some(w::local_system()),
        sacl: None,
        dacl: Some(acl),
    }
}

/// The descriptor `object` has.
pub fn of_object(k: &Kx, object: u64) -> Sd {
    if let Some(d) = k.ext().security.objects.get(&object) {
        return d.clone();
    }
    let kind = k.ext().objects.get(object).map(|o| o.kind).unwrap_or(ObjectKind::Device);
    default_descriptor(kind)
}

/// The object a handle names and the access it grants (None: not a handle of the caller).
fn handle_object(k: &Kx, handle: u64) -> KResult<Option<(u64, u32)>> {
    Ok(handles::lookup(k, handle, Mode::Kernel)?.map(|(o, a, _)| (o, a)))
}

/// NTSTATUS ZwSetSecurityObject(HANDLE Handle, SECURITY_INFORMATION SecurityInformation,
/// PSECURITY_DESCRIPTOR SecurityDescriptor): replaces the parts SecurityInformation names;
/// the handle must grant WRITE_OWNER for the owner and group, WRITE_DAC for the DACL.
pub fn ZwSetSecurityObject(k: &mut Kx, handle: HANDLE, info: u32, sd: Ptr) -> KResult<NtStatus> {
    let Some((object, granted)) = handle_object(k, handle.0)? else { return Ok(status::INVALID_HANDLE) };
    if info
        & (OWNER_SECURITY_INFORMATION
            | GROUP_SECURITY_INFORMATION
            | DACL_SECURITY_INFORMATION
            | SACL_SECURITY_INFORMATION
            | LABEL_SECURITY_INFORMATION)
        == 0
    {
        return Ok(status::INVALID_PARAMETER);
    }
    let need = if info & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | LABEL_SECURITY_INFORMATION) != 0 {
        WRITE_OWNER
    } else {
        0
    } | if info & DACL_SECURITY_INFORMATION != 0 { WRITE_DAC } else { 0 }
        | if info & SACL_SECURITY_INFORMATION != 0 { ACCESS_SYSTEM_SECURITY } else { 0 };
    if granted & need != need {
        return Ok(status::ACCESS_DENIED);
    }
    let Some(new) = read(k, sd.0)? else { return Ok(st::INVALID_SECURITY_DESCR) };
    let mut cur = of_object(k, object);
    if info & OWNER_SECURITY_INFORMATION != 0 {
        if new.owner.is_none() {
            return Ok(st::INVALID_OWNER);
        }
        cur.owner = new.owner.clone();
    }
    if info & GROUP_SECURITY_INFORMATION != 0 {
        if new.group.is_none() {
            return Ok(st::INVALID_PRIMARY_GROUP);
        }
        cur.group = new.group.clone();
    }
    if info & DACL_SECURITY_INFORMATION != 0 {
        let present = new.control & SE_DACL_PRESENT != 0;
        cur.control = (cur.control & !(SE_DACL_PRESENT | SE_DACL_DEFAULTED | SE_DACL_PROTECTED))
            | (new.control & (SE_DACL_PRESENT | SE_DACL_DEFAULTED | SE_DACL_PROTECTED));
        if info & PROTECTED_DACL_SECURITY_INFORMATION != 0 {
            cur.control |= SE_DACL_PROTECTED;
        }
        cur.dacl = if present { new.dacl.clone() } else { None };
        if !present {
            // No DACL given: a NULL DACL.
            cur.control |= SE_DACL_PRESENT;
        }
    }
    if info & SACL_SECURITY_INFORMATION != 0 {
        cur.control = (cur.control & !(SE_SACL_PRESENT | SE_SACL_DEFAULTED))
            | (new.control & (SE_SACL_PRESENT | SE_SACL_DEFAULTED));
        cur.sacl = new.sacl.clone();
    }
    k.ext_mut().security.objects.insert(object, cur);
    Ok(status::SUCCESS)
}

/// NTSTATUS NtSetSecurityObject(HANDLE, SECURITY_INFORMATION, PSECURITY_DESCRIPTOR)
pub fn NtSetSecurityObject(k: &mut Kx, handle: HANDLE, info: u32, sd: Ptr) -> KResult<NtStatus> {
    ZwSetSecurityObject(k, handle, info, sd)
}

/// The parts of `d` that `info` asks for.
fn select(d: &Sd, info: u32) -> Sd {
    let mut out = Sd { control: d.control & (SE_DACL_PROTECTED | SE_SACL_PROTECTED), ..Default::default() };
    if info & OWNER_SECURITY_INFORMATION != 0 {
        out.owner = d.owner.clone();
        out.control |= d.control & SE_OWNER_DEFAULTED;
    }
    if info & GROUP_SECURITY_INFORMATION != 0 {
        out.group = d.group.clone();
        out.control |= d.control & SE_GROUP_DEFAULTED;
    }
    if info & DACL_SECURITY_INFORMATION != 0 {
        out.dacl = d.dacl.clone();
        out.control |= d.control & (SE_DACL_PRESENT | SE_DACL_DEFAULTED);
    }
    if info & SACL_SECURITY_INFORMATION != 0 {
        out.sacl = d.sacl.clone();
        out.control |= d.control & (SE_SACL_PRESENT | SE_SACL_DEFAULTED);
    }
    out
}

/// NTSTATUS ZwQuerySecurityObject(HANDLE Handle, SECURITY_INFORMATION SecurityInformation,
/// PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Length, PULONG LengthNeeded): the parts
/// asked for, self-relative; STATUS_BUFFER_TOO_SMALL with the length needed.
pub fn ZwQuerySecurityObject(
    k: &mut Kx,
    handle: HANDLE,
    info: u32,
    sd: Ptr,
    len: u32,
    needed: Ptr,
) -> KResult<NtStatus> {
    let Some((object, granted)) = handle_object(k, handle.0)? else { return Ok(status::INVALID_HANDLE) };
    let need = if info & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION) != 0 {
        READ_CONTROL
    } else {
        0
    } | if info & SACL_SECURITY_INFORMATION != 0 { ACCESS_SYSTEM_SECURITY } else { 0 };
    if granted & need != need {
        return Ok(status::ACCESS_DENIED);
    }
    let bytes = select(&of_object(k, object), info).relative();
    k.mem_mut().write_u32(needed.0, bytes.len() as u32)?;
    if (len as usize) < bytes.len() {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(sd.0, &bytes)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS ObGetObjectSecurity(PVOID Object, PSECURITY_DESCRIPTOR *SecurityDescriptor,
/// PBOOLEAN MemoryAllocated): a copy of the object's descriptor (ObReleaseObjectSecurity
/// frees it).
pub fn ObGetObjectSecurity(k: &mut Kx, object: Ptr, out: Ptr, allocated: Ptr) -> KResult<NtStatus> {
    if k.ext().objects.get(object.0).is_none() {
        return Ok(status::INVALID_PARAMETER);
    }
    let bytes = of_object(k, object.0).relative();
    let p = crate::ex::pool::kernel_alloc(k, bytes.len() as u64, b"SeOs")?;
    k.mem_mut().write(p, &bytes)?;
    k.mem_mut().write_ptr(out.0, p)?;
    write_bool(k, allocated.0, true)?;
    Ok(status::SUCCESS)
}

/// VOID ObReleaseObjectSecurity(PSECURITY_DESCRIPTOR SecurityDescriptor,
/// BOOLEAN MemoryAllocated)
pub fn ObReleaseObjectSecurity(k: &mut Kx, sd: Ptr, allocated: Boolean) -> KResult<()> {
    if allocated.0 && sd.0 != 0 {
        let at = caller(k);
        crate::ex::pool::free(k, sd.0, None, at)?;
    }
    Ok(())
}

// ---- access checks ---------------------------------------------------------------------

/// The access `token` gets to an object with descriptor `d` for `desired` (already mapped
/// to specific rights; MAXIMUM_ALLOWED asks for whatever is allowed), generic rights in ACEs
/// mapped through `mapping`: Ok(granted) or Err(STATUS_ACCESS_DENIED /
/// STATUS_PRIVILEGE_NOT_HELD).
pub fn access_check(token: &super::Token, d: &Sd, desired: u32, mapping: [u32; 4]) -> Result<u32, NtStatus> {
    let all = mapping[3];
    let maximum = desired & MAXIMUM_ALLOWED != 0;
    let mut remaining = desired & !MAXIMUM_ALLOWED;
    let mut granted = 0u32;
    if remaining & ACCESS_SYSTEM_SECURITY != 0 {
        if !token.privilege_enabled(super::privilege::SECURITY) {
            return Err(st::PRIVILEGE_NOT_HELD);
        }
        granted |= ACCESS_SYSTEM_SECURITY;
        remaining &= !ACCESS_SYSTEM_SECURITY;
    }
    if remaining & WRITE_OWNER != 0 && token.privilege_enabled(super::privilege::TAKE_OWNERSHIP) {
        granted |= WRITE_OWNER;
        remaining &= !WRITE_OWNER;
    }
    let owner = d.owner.as_ref().is_some_and(|o| token.has_sid(o, false));
    let Some(dacl) = d.dacl.as_ref().filter(|_| d.control & SE_DACL_PRESENT != 0) else {
        // No DACL, or a NULL one: everything is allowed.
        return Ok(granted | if maximum { all } else { remaining });
    };
    let mut allowed = if owner { READ_CONTROL | WRITE_DAC } else { 0 };
    let mut denied = 0u32;
    for ace in &dacl.aces {
        if ace.flags & INHERIT_ONLY_ACE != 0 {
            continue;
        }
        let Some(sid) = &ace.sid else { continue };
        match ace.kind {
            ACCESS_ALLOWED_ACE_TYPE if token.has_sid(sid, false) => allowed |= map_generic(ace.mask, mapping) & !denied,
            ACCESS_DENIED_ACE_TYPE if token.has_sid(sid, true) => denied |= map_generic(ace.mask, mapping) & !allowed,
            _ => {}
        }
    }
    if remaining & !allowed != 0 {
        return Err(status::ACCESS_DENIED);
    }
    if maximum {
        let g = granted | allowed;
        return if g == 0 { Err(status::ACCESS_DENIED) } else { Ok(g) };
    }
    Ok(granted | remaining)
}

/// BOOLEAN SeAccessCheck(PSECURITY_DESCRIPTOR SecurityDescriptor,
/// PSECURITY_SUBJECT_CONTEXT SubjectSecurityContext, BOOLEAN SubjectContextLocked,
/// ACCESS_MASK DesiredAccess, ACCESS_MASK PreviouslyGrantedAccess,
/// PPRIVILEGE_SET *Privileges, PGENERIC_MAPPING GenericMapping, KPROCESSOR_MODE AccessMode,
/// PACCESS_MASK GrantedAccess, PNTSTATUS AccessStatus)
#[allow(clippy::too_many_arguments)]
pub fn SeAccessCheck(
    k: &mut Kx,
    sd: Ptr,
    subject: Ptr,
    _locked: Boolean,
    desired: u32,
    previous: u32,
    privileges: Ptr,
    mapping: Ptr,
    mode: u8,
    granted_out: Ptr,
    status_out: Ptr,
) -> KResult<Boolean> {
    let mut m = [0u32; 4];
    for (i, v) in m.iter_mut().enumerate() {
        *v = k.mem().read_u32(mapping.0 + 4 * i as u64)?;
    }
    if privileges.0 != 0 {
        k.mem_mut().write_ptr(privileges.0, 0)?;
    }
    let desired = map_generic(desired, m);
    let result = if mode == 0 {
        Ok(if desired & MAXIMUM_ALLOWED != 0 { m[3] | (desired & !MAXIMUM_ALLOWED) } else { desired })
    } else {
        match read(k, sd.0)? {
            None => Err(st::INVALID_SECURITY_DESCR),
            Some(d) => {
                let token = super::token::subject_token(k, subject.0)?;
                access_check(&token, &d, desired & !previous, m)
            }
        }
    };
    match result {
        Ok(g) => {
            k.mem_mut().write_u32(granted_out.0, g | previous)?;
            k.mem_mut().write_u32(status_out.0, 0)?;
            Ok(Boolean(true))
        }
        Err(st) => {
            k.mem_mut().write_u32(granted_out.0, 0)?;
            k.mem_mut().write_u32(status_out.0, st.0)?;
            Ok(Boolean(false))
        }
    }
}
