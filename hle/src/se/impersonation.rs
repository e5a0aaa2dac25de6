//! Impersonation: a thread acting with a client's token. `PsImpersonateClient`,
//! `PsAssignImpersonationToken` (by handle) and `PsRevertToSelf` set and clear it;
//! `SeCreateClientSecurity` captures a client thread's token (its impersonation token, else
//! its process's primary token) into a
//! SECURITY_CLIENT_CONTEXT as the quality of service asks, and `SeImpersonateClient(Ex)`
//! makes a server thread impersonate it. What a thread impersonates is what
//! `PsReferenceImpersonationToken`, `SeCaptureSubjectContext` and `ZwOpenThreadToken` report.
//!
//! With dynamic tracking on a local server the context refers to the client's token itself;
//! otherwise (static tracking, a remote server) it holds a copy made at capture: an
//! impersonation token at the level the quality of service asks (SeCopyClientToken). A
//! client impersonating at a lower level than the one asked for cannot be captured
//! (STATUS_BAD_IMPERSONATION_LEVEL).
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::kernel::{KResult, Kx};
use crate::layout::FieldAccess;
use crate::ob::handles;
use crate::ob::ObjectKind;
use crate::types::{status, Boolean, NtStatus, Ptr, HANDLE};

/// SECURITY_IMPERSONATION_LEVEL: SecurityAnonymous .. SecurityDelegation.
pub const SECURITY_DELEGATION: u32 = 3;
/// SECURITY_CONTEXT_TRACKING_MODE: SECURITY_DYNAMIC_TRACKING.
const DYNAMIC_TRACKING: u8 = 1;
/// STATUS_BAD_IMPERSONATION_LEVEL, STATUS_BAD_TOKEN_TYPE.
const BAD_IMPERSONATION_LEVEL: NtStatus = NtStatus(0xC000_00A5);
const BAD_TOKEN_TYPE: NtStatus = NtStatus(0xC000_00A8);
/// TOKEN_IMPERSONATE.
const TOKEN_IMPERSONATE: u32 = 0x4;

/// What a thread impersonates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Impersonation {
    pub token: u64,
    pub copy_on_open: bool,
    pub effective_only: bool,
    pub level: u32,
}

/// SECURITY_CLIENT_CONTEXT offsets: (ClientToken, DirectlyAccessClientToken,
/// DirectAccessEffectiveOnly, ServerIsRemote, ClientTokenControl, size). The quality of
/// service (12 bytes: Length, ImpersonationLevel, ContextTrackingMode, EffectiveOnly) is first.
fn context_layout(arch: Arch) -> (u64, u64, u64, u64, u64, u64) {
    match arch {
        Arch::X86 => (0xc, 0x10, 0x11, 0x12, 0x14, 0x3c),
        Arch::X64 => (0x10, 0x18, 0x19, 0x1a, 0x1c, 0x48),
    }
}

/// What `thread` impersonates, if anything.
pub fn of_thread(k: &Kx, thread: u64) -> Option<Impersonation> {
    k.ext().security.impersonating.get(&thread).copied()
}

/// The thread a routine means: `thread`, or the current one for NULL.
fn thread_or_current(k: &Kx, thread: Ptr) -> KResult<u64> {
    Ok(if thread.is_null() { crate::ps::current_thread(k)? } else { thread.0 })
}

/// Makes `thread` impersonate `token` (referenced for
/// it) or, with NULL, stops impersonating.
fn impersonate(
    k: &mut Kx,
    thread: u64,
    token: u64,
    copy_on_open: bool,
    effective_only: bool,
    level: u32,
) -> KResult<()> {
    if token != 0 {
        handles::reference(k, token);
    }
    let old = if token == 0 {
        k.ext_mut().security.impersonating.remove(&thread)
    } else {
        let i = Impersonation { token, copy_on_open, effective_only, level };
        k.ext_mut().security.impersonating.insert(thread, i)
    };
    if let Some(old) = old {
        crate::ob::ObfDereferenceObject(k, Ptr(old.token))?;
    }
    Ok(())
}

/// NTSTATUS PsImpersonateClient(PETHREAD Thread, PACCESS_TOKEN Token, BOOLEAN CopyOnOpen,
/// BOOLEAN EffectiveOnly, SECURITY_IMPERSONATION_LEVEL ImpersonationLevel): a NULL token
/// ends the thread's impersonation.
pub fn PsImpersonateClient(
    k: &mut Kx,
    thread: Ptr,
    token: Ptr,
    copy_on_open: Boolean,
    effective_only: Boolean,
    level: u32,
) -> KResult<NtStatus> {
    if !token.is_null() && super::token(k, token.0).is_none() {
        return Err(crate::ob::bad_reference(k, token.0, "PsImpersonateClient"));
    }
    impersonate(k, thread.0, token.0, copy_on_open.0, effective_only.0, level)?;
    Ok(status::SUCCESS)
}

/// VOID PsRevertToSelf(void): the current thread stops impersonating.
pub fn PsRevertToSelf(k: &mut Kx) -> KResult<()> {
    let t = crate::ps::current_thread(k)?;
    impersonate(k, t, 0, false, false, 0)
}

/// An impersonation-token copy of `token` at `level` (SeCopyClientToken), referenced once
/// for the caller; it goes with its last reference.
fn copy_token(k: &mut Kx, token: u64, level: u32) -> KResult<u64> {
    let address = crate::ob::body::alloc(k, 0x100)?;
    let mut t = super::token(k, token).expect("a token");
    t.address = address;
    t.token_id = super::new_luid(k);
    t.impersonation_level = Some(level);
    k.ext_mut().security.tokens.insert(address, t);
    let owner = crate::ob::handles::owner_of_call(k);
    let ob = &mut k.ext_mut().objects;
    ob.register_transient(address, ObjectKind::Token, None, owner, false);
    if let Some(o) = ob.get_mut(address) {
        o.references = 1;
    }
    Ok(address)
}

/// NTSTATUS SeCreateClientSecurity(PETHREAD ClientThread, PSECURITY_QUALITY_OF_SERVICE
/// ClientSecurityQos, BOOLEAN RemoteSession, PSECURITY_CLIENT_CONTEXT ClientContext)
pub fn SeCreateClientSecurity(k: &mut Kx, thread: Ptr, qos: Ptr, remote: Boolean, ctx: Ptr) -> KResult<NtStatus> {
    let arch = k.arch();
    let mut q = [0u8; 12];
    k.mem().read(qos.0, &mut q)?;
    let level = u32::from_le_bytes([q[4], q[5], q[6], q[7]]);
    let (tracking, effective) = (q[8], q[9] != 0);
    let (token, token_level, token_effective) = match of_thread(k, thread.0) {
        Some(i) => (i.token, Some(i.level), i.effective_only),
        None => {
            let process = k.mem().get(thread.0, crate::layout::ETHREAD::Process)?;
            (super::process_token(k, process)?, None, false)
        }
    };
    if token_level.is_some_and(|l| l < level) {
        return Ok(BAD_IMPERSONATION_LEVEL);
    }
    let direct = !remote.0 && tracking == DYNAMIC_TRACKING;
    let client = if direct {
        handles::reference(k, token);
        token
    } else {
        copy_token(k, token, level)?
    };
    let t = super::token(k, client).expect("a token");
    let (token_at, direct_at, effective_at, remote_at, control_at, size) = context_layout(arch);
    let mem = k.mem_mut();
    mem.write(ctx.0, &vec![0u8; size as usize])?;
    mem.write(ctx.0, &q)?;
    mem.write_ptr(ctx.0 + token_at, client)?;
    mem.write_u8(ctx.0 + direct_at, direct as u8)?;
    mem.write_u8(ctx.0 + effective_at, (direct && (token_effective || effective)) as u8)?;
    mem.write_u8(ctx.0 + remote_at, remote.0 as u8)?;
    // TOKEN_CONTROL: TokenId, AuthenticationId, ModifiedId.
    mem.write(ctx.0 + control_at, &t.token_id.to_le_bytes())?;
    mem.write(ctx.0 + control_at + 8, &t.authentication_id.to_le_bytes())?;
    mem.write(ctx.0 + control_at + 16, &t.token_id.to_le_bytes())?;
    Ok(status::SUCCESS)
}

/// NTSTATUS SeImpersonateClientEx(PSECURITY_CLIENT_CONTEXT ClientContext, PETHREAD
/// ServerThread): the server thread (the current one for NULL) impersonates the context's
/// token at the quality of service's level.
pub fn SeImpersonateClientEx(k: &mut Kx, ctx: Ptr, server: Ptr) -> KResult<NtStatus> {
    let arch = k.arch();
    let (token_at, direct_at, effective_at, _, _, _) = context_layout(arch);
    let m = k.mem();
    let level = m.read_u32(ctx.0 + 4)?;
    let qos_effective = m.read_u8(ctx.0 + 9)? != 0;
    let token = m.read_ptr(ctx.0 + token_at)?;
    let direct = m.read_u8(ctx.0 + direct_at)? != 0;
    let effective = if direct { m.read_u8(ctx.0 + effective_at)? != 0 } else { qos_effective };
    let thread = thread_or_current(k, server)?;
    PsImpersonateClient(k, Ptr(thread), Ptr(token), Boolean(true), Boolean(effective), level)
}

/// VOID SeImpersonateClient(PSECURITY_CLIENT_CONTEXT ClientContext, PETHREAD ServerThread)
pub fn SeImpersonateClient(k: &mut Kx, ctx: Ptr, server: Ptr) -> KResult<()> {
    SeImpersonateClientEx(k, ctx, server).map(|_| ())
}

/// NTSTATUS PsAssignImpersonationToken(PETHREAD Thread, HANDLE Token): the thread
/// impersonates the impersonation token the handle refers to, at that token's level (NULL:
/// it stops impersonating). A primary token is STATUS_BAD_TOKEN_TYPE.
pub fn PsAssignImpersonationToken(k: &mut Kx, thread: Ptr, token: HANDLE) -> KResult<NtStatus> {
    if token.0 == 0 {
        impersonate(k, thread.0, 0, false, false, 0)?;
        return Ok(status::SUCCESS);
    }
    let mode = crate::ps::mode::previous_mode(k)?;
    let Some((object, granted, _)) = handles::lookup(k, token.0, mode)? else { return Ok(status::INVALID_HANDLE) };
    let Some(t) = super::token(k, object) else { return Ok(status::OBJECT_TYPE_MISMATCH) };
    if mode == handles::Mode::User && granted & TOKEN_IMPERSONATE == 0 {
        return Ok(status::ACCESS_DENIED);
    }
    let Some(level) = t.impersonation_level else { return Ok(BAD_TOKEN_TYPE) };
    impersonate(k, thread.0, object, false, false, level)?;
    Ok(status::SUCCESS)
}
