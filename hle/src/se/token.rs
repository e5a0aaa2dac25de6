//! Tokens and subjects: `SeCaptureSubjectContext` and friends, privilege checks
//! (`SeSinglePrivilegeCheck`, `SePrivilegeCheck`), token queries (`SeQueryInformationToken`,
//! `ZwQueryInformationToken`, `SeTokenIsAdmin`, ...), token handles (`ZwOpenProcessToken`,
//! `ZwOpenThreadToken`: what the thread impersonates, [`super::impersonation`]), primary-token
//! references, and access states
//! (`SeCreateAccessState`, `SeDeleteAccessState`).
#![allow(non_snake_case)]

use super::sid::Sid;
use super::{st, Token, SE_PRIVILEGE_ENABLED};
use crate::kernel::{caller, KResult, Kx};
use crate::ob::handles::{self, Mode};
use crate::ob::{ObjectKind, Owner};
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

const PRIVILEGE_SET_ALL_NECESSARY: u32 = 1;
const SE_PRIVILEGE_USED_FOR_ACCESS: u32 = 0x8000_0000;

/// The token of the current thread's process.
pub fn current(k: &mut Kx) -> KResult<Token> {
    let p = crate::ps::current_process(k)?;
    let t = super::process_token(k, p)?;
    Ok(super::token(k, t).expect("a token just made"))
}

/// The token a SECURITY_SUBJECT_CONTEXT stands for: its client token, else its primary
/// token, else the current process's.
pub fn subject_token(k: &mut Kx, subject: u64) -> KResult<Token> {
    if subject != 0 {
        let ps = k.arch().ptr_size();
        let client = k.mem().read_ptr(subject)?;
        let primary = k.mem().read_ptr(subject + 2 * ps)?;
        for t in [client, primary] {
            if let Some(t) = super::token(k, t) {
                return Ok(t);
            }
        }
    }
    current(k)
}

// ---- subject contexts ------------------------------------------------------------------

/// VOID SeCaptureSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext): the token the
/// current thread impersonates (with its level) and the current process's primary token,
/// referenced.
pub fn SeCaptureSubjectContext(k: &mut Kx, ctx: Ptr) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let p = crate::ps::current_process(k)?;
    let token = super::process_token(k, p)?;
    handles::reference(k, token);
    let thread = crate::ps::current_thread(k)?;
    let (client, level) = match super::impersonation::of_thread(k, thread) {
        Some(i) => {
            handles::reference(k, i.token);
            (i.token, i.level)
        }
        None => (0, 0),
    };
    let mem = k.mem_mut();
    mem.write_ptr(ctx.0, client)?;
    mem.write_u32(ctx.0 + ps, level)?;
    mem.write_ptr(ctx.0 + 2 * ps, token)?;
    mem.write_ptr(ctx.0 + 3 * ps, p)?;
    Ok(())
}

fn dereference(k: &mut Kx, token: u64) -> KResult<()> {
    if let Some(o) = k.ext_mut().objects.get_mut(token) {
        if o.references > 0 {
            o.references -= 1;
        }
    }
    Ok(())
}

/// VOID SeReleaseSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)
pub fn SeReleaseSubjectContext(k: &mut Kx, ctx: Ptr) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let client = k.mem().read_ptr(ctx.0)?;
    let primary = k.mem().read_ptr(ctx.0 + 2 * ps)?;
    for t in [client, primary] {
        if t != 0 {
            dereference(k, t)?;
        }
    }
    k.mem_mut().write_ptr(ctx.0, 0)?;
    k.mem_mut().write_ptr(ctx.0 + 2 * ps, 0)?;
    Ok(())
}

/// VOID SeLockSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext): the tokens do not
/// change while a driver looks at them here.
pub fn SeLockSubjectContext(_k: &mut Kx, _ctx: Ptr) -> KResult<()> {
    Ok(())
}

/// VOID SeUnlockSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)
pub fn SeUnlockSubjectContext(_k: &mut Kx, _ctx: Ptr) -> KResult<()> {
    Ok(())
}

// ---- privileges ------------------------------------------------------------------------

/// BOOLEAN SeSinglePrivilegeCheck(LUID PrivilegeValue, KPROCESSOR_MODE PreviousMode):
/// TRUE for kernel mode; for user mode, whether the current process's token has the
/// privilege enabled.
pub fn SeSinglePrivilegeCheck(k: &mut Kx, luid: u64, mode: u8) -> KResult<Boolean> {
    if mode == 0 {
        return Ok(Boolean(true));
    }
    let t = current(k)?;
    Ok(Boolean(luid >> 32 == 0 && t.privilege_enabled(luid as u32)))
}

/// BOOLEAN SePrivilegeCheck(PPRIVILEGE_SET RequiredPrivileges,
/// PSECURITY_SUBJECT_CONTEXT SubjectSecurityContext, KPROCESSOR_MODE AccessMode): marks the
/// privileges the token has enabled SE_PRIVILEGE_USED_FOR_ACCESS; TRUE when all
/// (PRIVILEGE_SET_ALL_NECESSARY) or any of them are.
pub fn SePrivilegeCheck(k: &mut Kx, set: Ptr, subject: Ptr, mode: u8) -> KResult<Boolean> {
    if mode == 0 {
        return Ok(Boolean(true));
    }
    let t = subject_token(k, subject.0)?;
    let count = k.mem().read_u32(set.0)?.min(64) as u64;
    let control = k.mem().read_u32(set.0 + 4)?;
    let mut held = 0;
    for i in 0..count {
        let at = set.0 + 8 + 12 * i;
        let low = k.mem().read_u32(at)?;
        let high = k.mem().read_u32(at + 4)?;
        let attrs = k.mem().read_u32(at + 8)?;
        if high == 0 && t.privilege_enabled(low) {
            held += 1;
            k.mem_mut().write_u32(at + 8, attrs | SE_PRIVILEGE_USED_FOR_ACCESS)?;
        }
    }
    let ok = if control & PRIVILEGE_SET_ALL_NECESSARY != 0 { held == count } else { held > 0 };
    Ok(Boolean(ok))
}

/// SE_PRIVILEGE_REMOVED: AdjustTokenPrivileges takes the privilege out of the token.
pub const SE_PRIVILEGE_REMOVED: u32 = 0x4;

/// What NtAdjustPrivilegesToken did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adjusted {
    /// (LUID, attributes before) of every privilege whose state changed.
    pub previous: Vec<(u32, u32)>,
    /// Some privilege asked for is not in the token (STATUS_NOT_ALL_ASSIGNED).
    pub not_all_assigned: bool,
}

/// NtAdjustPrivilegesToken on the token at `token` (user-mode callers reach it through
/// advapi32's AdjustTokenPrivileges): with `disable_all`, every privilege is disabled;
/// otherwise each (LUID, attributes) the token holds is enabled or disabled as
/// SE_PRIVILEGE_ENABLED says, or removed with SE_PRIVILEGE_REMOVED, and one it does not hold
/// is left out (`not_all_assigned`). Without `apply`, only says what it would do (a caller
/// whose buffer for the previous state is too small changes nothing). None if `token` is
/// no token.
pub fn adjust_privileges(
    k: &mut Kx,
    token: u64,
    disable_all: bool,
    changes: &[(u64, u32)],
    apply: bool,
) -> Option<Adjusted> {
    let real = k.ext_mut().security.tokens.get_mut(&token)?;
    let mut copy = real.clone();
    let t = if apply { real } else { &mut copy };
    let mut done = Adjusted::default();
    if disable_all {
        for (luid, attrs) in t.privileges.iter_mut() {
            if *attrs & SE_PRIVILEGE_ENABLED != 0 {
                done.previous.push((*luid, *attrs));
                *attrs &= !SE_PRIVILEGE_ENABLED;
            }
        }
        return Some(done);
    }
    for &(luid, wanted) in changes {
        let held = (luid >> 32 == 0).then(|| t.privileges.iter().position(|(l, _)| *l as u64 == luid)).flatten();
        let Some(i) = held else {
            done.not_all_assigned = true;
            continue;
        };
        let (l, before) = t.privileges[i];
        if wanted & SE_PRIVILEGE_REMOVED != 0 {
            done.previous.push((l, before));
            t.privileges.remove(i);
            continue;
        }
        let after = (before & !SE_PRIVILEGE_ENABLED) | (wanted & SE_PRIVILEGE_ENABLED);
        if after != before {
            done.previous.push((l, before));
            t.privileges[i].1 = after;
        }
    }
    Some(done)
}

// ---- token information -----------------------------------------------------------------

/// Lays out token information class `class` as if at `base` (pointers inside point into
/// the same block). None for a class that is not supported.
pub fn information(k: &Kx, t: &Token, class: u32, base: u64) -> Option<Vec<u8>> {
    let ps = k.arch().ptr_size() as usize;
    let ptr = |v: u64| -> Vec<u8> { v.to_le_bytes()[..ps].to_vec() };
    let pad = |b: &mut Vec<u8>, to: usize| {
        while !b.len().is_multiple_of(to) {
            b.push(0);
        }
    };
    // SID_AND_ATTRIBUTES arrays followed by the SIDs.
    let sids_and_attributes = |head: Vec<u8>, list: &[(Sid, u32)]| -> Vec<u8> {
        let mut b = head;
        pad(&mut b, ps);
        let entry = 2 * ps;
        let mut sid_at = b.len() + entry * list.len();
        let mut tail = Vec::new();
        for (s, a) in list {
            b.extend(ptr(base + sid_at as u64));
            b.extend(a.to_le_bytes());
            pad(&mut b, ps);
            let sb = s.bytes();
            sid_at += sb.len();
            tail.extend(sb);
        }
        b.extend(tail);
        b
    };
    Some(match class {
        // TokenUser
        1 => sids_and_attributes(vec![], &[(t.user.clone(), 0)]),
        // TokenGroups
        2 => sids_and_attributes((t.groups.len() as u32).to_le_bytes().to_vec(), &t.groups),
        // TokenPrivileges
        3 => {
            let mut b = (t.privileges.len() as u32).to_le_bytes().to_vec();
            for (l, a) in &t.privileges {
                b.extend((*l as u64).to_le_bytes());
                b.extend(a.to_le_bytes());
            }
            b
        }
        // TokenOwner, TokenPrimaryGroup: a PSID and the SID.
        4 | 5 => {
            let s = if class == 4 { &t.owner } else { &t.primary_group };
            let mut b = ptr(base + ps as u64);
            b.extend(s.bytes());
            b
        }
        // TokenType: TokenPrimary.
        8 => 1u32.to_le_bytes().to_vec(),
        // TokenStatistics
        10 => {
            let mut b = Vec::new();
            b.extend(t.token_id.to_le_bytes());
            b.extend(t.authentication_id.to_le_bytes());
            b.extend(0x7FFF_FFFF_FFFF_FFFFu64.to_le_bytes());
            b.extend(1u32.to_le_bytes()); // TokenPrimary
            b.extend(0u32.to_le_bytes()); // SecurityAnonymous
            b.extend(0x1000u32.to_le_bytes());
            b.extend(0x0F00u32.to_le_bytes());
            b.extend((t.groups.len() as u32).to_le_bytes());
            b.extend((t.privileges.len() as u32).to_le_bytes());
            b.extend((t.token_id + 1).to_le_bytes());
            b
        }
        // TokenSessionId
        12 => t.session.to_le_bytes().to_vec(),
        // TokenElevationType
        18 => t.elevation_type.to_le_bytes().to_vec(),
        // TokenElevation
        20 => (t.elevated as u32).to_le_bytes().to_vec(),
        // TokenIntegrityLevel: TOKEN_MANDATORY_LABEL.
        25 => sids_and_attributes(
            vec![],
            &[(t.integrity.clone(), super::SE_GROUP_INTEGRITY | super::SE_GROUP_INTEGRITY_ENABLED)],
        ),
        // TokenIsAppContainer
        29 => 0u32.to_le_bytes().to_vec(),
        _ => return None,
    })
}

/// NTSTATUS SeQueryInformationToken(PACCESS_TOKEN Token, TOKEN_INFORMATION_CLASS
/// TokenInformationClass, PVOID *TokenInformation): the information in pool the caller
/// frees (ExFreePool).
pub fn SeQueryInformationToken(k: &mut Kx, token: Ptr, class: u32, out: Ptr) -> KResult<NtStatus> {
    let at = caller(k);
    let Some(t) = super::token(k, token.0) else { return Ok(status::INVALID_PARAMETER) };
    // The size does not depend on where it lands.
    let Some(probe) = information(k, &t, class, 0) else { return Ok(status::INVALID_INFO_CLASS) };
    let owner = k.ext().driver_at(at).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let tag = u32::from_le_bytes(*b"SeTi");
    let Some(p) = crate::ex::pool::allocate(k, 1, probe.len() as u64, tag, owner, at)? else {
        return Ok(status::INSUFFICIENT_RESOURCES);
    };
    let bytes = information(k, &t, class, p).expect("the same class");
    k.mem_mut().write(p, &bytes)?;
    k.mem_mut().write_ptr(out.0, p)?;
    Ok(status::SUCCESS)
}

/// The token a handle names, with the access the handle grants.
fn token_of_handle(k: &Kx, handle: u64) -> KResult<Result<(Token, u32), NtStatus>> {
    match handles::lookup(k, handle, Mode::Kernel)? {
        None => Ok(Err(status::INVALID_HANDLE)),
        Some((o, access, _)) => match super::token(k, o) {
            Some(t) => Ok(Ok((t, access))),
            None => Ok(Err(status::OBJECT_TYPE_MISMATCH)),
        },
    }
}

const TOKEN_QUERY: u32 = 0x8;

/// NTSTATUS ZwQueryInformationToken(HANDLE TokenHandle, TOKEN_INFORMATION_CLASS
/// TokenInformationClass, PVOID TokenInformation, ULONG TokenInformationLength,
/// PULONG ReturnLength)
pub fn ZwQueryInformationToken(
    k: &mut Kx,
    handle: HANDLE,
    class: u32,
    buf: Ptr,
    len: u32,
    ret: Ptr,
) -> KResult<NtStatus> {
    let (t, access) = match token_of_handle(k, handle.0)? {
        Ok(v) => v,
        Err(s) => return Ok(s),
    };
    if access & TOKEN_QUERY == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    let Some(bytes) = information(k, &t, class, buf.0) else { return Ok(status::INVALID_INFO_CLASS) };
    if ret.0 != 0 {
        k.mem_mut().write_u32(ret.0, bytes.len() as u32)?;
    }
    if (len as usize) < bytes.len() {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(buf.0, &bytes)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS NtQueryInformationToken(...): as ZwQueryInformationToken.
pub fn NtQueryInformationToken(
    k: &mut Kx,
    handle: HANDLE,
    class: u32,
    buf: Ptr,
    len: u32,
    ret: Ptr,
) -> KResult<NtStatus> {
    ZwQueryInformationToken(k, handle, class, buf, len, ret)
}

/// BOOLEAN SeTokenIsAdmin(PACCESS_TOKEN Token): whether Administrators is enabled in it.
pub fn SeTokenIsAdmin(k: &mut Kx, token: Ptr) -> KResult<Boolean> {
    Ok(Boolean(super::token(k, token.0).is_some_and(|t| t.is_admin())))
}

/// BOOLEAN SeTokenIsRestricted(PACCESS_TOKEN Token): no token here is restricted.
pub fn SeTokenIsRestricted(_k: &mut Kx, _token: Ptr) -> KResult<Boolean> {
    Ok(Boolean(false))
}

/// TOKEN_TYPE SeTokenType(PACCESS_TOKEN Token): TokenPrimary, or TokenImpersonation for a
/// client token copied for impersonation.
pub fn SeTokenType(k: &mut Kx, token: Ptr) -> KResult<u32> {
    Ok(if super::token(k, token.0).is_some_and(|t| t.impersonation_level.is_some()) { 2 } else { 1 })
}

/// NTSTATUS SeQueryAuthenticationIdToken(PACCESS_TOKEN Token, PLUID AuthenticationId)
pub fn SeQueryAuthenticationIdToken(k: &mut Kx, token: Ptr, out: Ptr) -> KResult<NtStatus> {
    let Some(t) = super::token(k, token.0) else { return Ok(status::INVALID_PARAMETER) };
    k.mem_mut().write(out.0, &t.authentication_id.to_le_bytes())?;
    Ok(status::SUCCESS)
}

// ---- token references and handles -------------------------------------------------------

fn is_process(k: &Kx, p: u64) -> bool {
    k.ext().objects.get(p).is_some_and(|o| o.kind == ObjectKind::Process)
}

/// PACCESS_TOKEN PsReferencePrimaryToken(PEPROCESS Process)
pub fn PsReferencePrimaryToken(k: &mut Kx, process: Ptr) -> KResult<Ptr> {
    if !is_process(k, process.0) {
        return Ok(Ptr(0));
    }
    let t = super::process_token(k, process.0)?;
    handles::reference(k, t);
    Ok(Ptr(t))
}

/// VOID PsDereferencePrimaryToken(PACCESS_TOKEN PrimaryToken)
pub fn PsDereferencePrimaryToken(k: &mut Kx, token: Ptr) -> KResult<()> {
    if token.0 != 0 {
        crate::ob::ObfDereferenceObject(k, token)?;
    }
    Ok(())
}

/// PACCESS_TOKEN PsReferenceImpersonationToken(PETHREAD Thread, PBOOLEAN CopyOnOpen,
/// PBOOLEAN EffectiveOnly, PSECURITY_IMPERSONATION_LEVEL ImpersonationLevel): the token the
/// thread impersonates, referenced, with how; NULL when it impersonates nothing.
pub fn PsReferenceImpersonationToken(k: &mut Kx, thread: Ptr, copy: Ptr, effective: Ptr, level: Ptr) -> KResult<Ptr> {
    let Some(i) = super::impersonation::of_thread(k, thread.0) else { return Ok(Ptr(0)) };
    let mem = k.mem_mut();
    mem.write_u8(copy.0, i.copy_on_open as u8)?;
    mem.write_u8(effective.0, i.effective_only as u8)?;
    mem.write_u32(level.0, i.level)?;
    handles::reference(k, i.token);
    Ok(Ptr(i.token))
}

/// VOID PsDereferenceImpersonationToken(PACCESS_TOKEN ImpersonationToken)
pub fn PsDereferenceImpersonationToken(k: &mut Kx, token: Ptr) -> KResult<()> {
    PsDereferencePrimaryToken(k, token)
}

const PROCESS_QUERY_INFORMATION: u32 = 0x400;
const PROCESS_QUERY_LIMITED_INFORMATION: u32 = 0x1000;

fn open_process_token(k: &mut Kx, process: HANDLE, access: u32, attributes: u32, out: Ptr) -> KResult<NtStatus> {
    let (p, granted) = match handles::lookup(k, process.0, Mode::Kernel)? {
        Some((o, a, _)) => (o, a),
        None => return Ok(status::INVALID_HANDLE),
    };
    if !is_process(k, p) {
        return Ok(status::OBJECT_TYPE_MISMATCH);
    }
    if granted & (PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION) == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    let t = super::process_token(k, p)?;
    handles::open_for(k, t, access, attributes, Mode::Kernel, out.0)
}

/// NTSTATUS ZwOpenProcessToken(HANDLE ProcessHandle, ACCESS_MASK DesiredAccess,
/// PHANDLE TokenHandle)
pub fn ZwOpenProcessToken(k: &mut Kx, process: HANDLE, access: u32, out: Ptr) -> KResult<NtStatus> {
    open_process_token(k, process, access, 0, out)
}

/// NTSTATUS ZwOpenProcessTokenEx(HANDLE ProcessHandle, ACCESS_MASK DesiredAccess,
/// ULONG HandleAttributes, PHANDLE TokenHandle)
pub fn ZwOpenProcessTokenEx(k: &mut Kx, process: HANDLE, access: u32, attributes: u32, out: Ptr) -> KResult<NtStatus> {
    open_process_token(k, process, access, attributes, out)
}

fn open_thread_token(k: &mut Kx, thread: HANDLE, access: u32, attributes: u32, out: Ptr) -> KResult<NtStatus> {
    match handles::lookup(k, thread.0, Mode::Kernel)? {
        None => Ok(status::INVALID_HANDLE),
        Some((o, _, _)) if k.ext().objects.get(o).is_some_and(|i| i.kind == ObjectKind::Thread) => {
            match super::impersonation::of_thread(k, o) {
                Some(i) => handles::open_for(k, i.token, access, attributes, Mode::Kernel, out.0),
                None => Ok(st::NO_TOKEN),
            }
        }
        Some(_) => Ok(status::OBJECT_TYPE_MISMATCH),
    }
}

/// NTSTATUS ZwOpenThreadToken(HANDLE ThreadHandle, ACCESS_MASK DesiredAccess,
/// BOOLEAN OpenAsSelf, PHANDLE TokenHandle): the token the thread impersonates;
/// STATUS_NO_TOKEN when it impersonates nothing.
pub fn ZwOpenThreadToken(k: &mut Kx, thread: HANDLE, access: u32, _as_self: Boolean, out: Ptr) -> KResult<NtStatus> {
    open_thread_token(k, thread, access, 0, out)
}

/// NTSTATUS ZwOpenThreadTokenEx(HANDLE, ACCESS_MASK, BOOLEAN OpenAsSelf, ULONG
/// HandleAttributes, PHANDLE TokenHandle)
pub fn ZwOpenThreadTokenEx(
    k: &mut Kx,
    thread: HANDLE,
    access: u32,
    _as_self: Boolean,
    attributes: u32,
    out: Ptr,
) -> KResult<NtStatus> {
    open_thread_token(k, thread, access, attributes, out)
}

// ---- access states ---------------------------------------------------------------------

/// ACCESS_STATE field offsets: (RemainingDesiredAccess, PreviouslyGrantedAccess,
/// OriginalDesiredAccess, SubjectSecurityContext, AuxData, size).
fn access_state_layout(k: &Kx) -> (u64, u64, u64, u64, u64, u64) {
    match k.arch() {
        portcullis_emu::Arch::X86 => (0x10, 0x14, 0x18, 0x1C, 0x30, 0x74),
        portcullis_emu::Arch::X64 => (0x10, 0x14, 0x18, 0x20, 0x48, 0xA0),
    }
}

/// NTSTATUS SeCreateAccessState(PACCESS_STATE AccessState, PVOID AuxData,
/// ACCESS_MASK DesiredAccess, PGENERIC_MAPPING GenericMapping): the subject captured, the
/// desired access mapped to specific rights.
pub fn SeCreateAccessState(k: &mut Kx, state: Ptr, aux: Ptr, desired: u32, mapping: Ptr) -> KResult<NtStatus> {
    let (remaining, _previous, original, subject, aux_at, size) = access_state_layout(k);
    let ps = k.arch().ptr_size();
    let mut m = [0u32; 4];
    if mapping.0 != 0 {
        for (i, v) in m.iter_mut().enumerate() {
            *v = k.mem().read_u32(mapping.0 + 4 * i as u64)?;
        }
    }
    let mapped = super::sd::map_generic(desired, m);
    k.mem_mut().write(state.0, &vec![0u8; size as usize])?;
    let id = super::new_luid(k);
    let mem = k.mem_mut();
    mem.write(state.0, &id.to_le_bytes())?;
    mem.write_u32(state.0 + remaining, mapped)?;
    mem.write_u32(state.0 + original, mapped)?;
    mem.write_ptr(state.0 + aux_at, aux.0)?;
    if aux.0 != 0 {
        // AUX_ACCESS_DATA: PrivilegesUsed, then the GenericMapping.
        mem.write_ptr(aux.0, 0)?;
        for (i, v) in m.iter().enumerate() {
            mem.write_u32(aux.0 + ps + 4 * i as u64, *v)?;
        }
    }
    SeCaptureSubjectContext(k, Ptr(state.0 + subject))?;
    Ok(status::SUCCESS)
}

/// VOID SeDeleteAccessState(PACCESS_STATE AccessState)
pub fn SeDeleteAccessState(k: &mut Kx, state: Ptr) -> KResult<()> {
    let (_, _, _, subject, _, _) = access_state_layout(k);
    SeReleaseSubjectContext(k, Ptr(state.0 + subject))
}
