//! Logon sessions as LSA describes them to drivers: `GetSecurityUserInfo` (ksecdd) and
//! `LsaFreeReturnBuffer` (ntoskrnl), which frees what LSA returned.
//!
//! The sessions are those of the tokens that exist: SYSTEM's (LUID 0x3E7, which LSA names
//! after the machine account, `WORKGROUP\PORTCULLIS$`) and the interactive user's
//! (`PORTCULLIS\User`, logged on by the local machine). LSA's answers reach a driver in the
//! virtual memory of the calling process, as ReactOS's LsaFreeReturnBuffer
//! (ZwFreeVirtualMemory of the current process) expects: one committed allocation holding
//! the SecurityUserData, its strings and the SID.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::UNICODE_STRING;
use crate::se::sid::Sid;
use crate::types::{status, NtStatus, Ptr};

/// STATUS_NO_SUCH_LOGON_SESSION.
pub const STATUS_NO_SUCH_LOGON_SESSION: NtStatus = NtStatus(0xC000_005F);
/// The machine's name (the registry's ComputerName) and the user's account name.
const COMPUTER: &str = "PORTCULLIS";
const USER: &str = "User";

/// One logon session's names: (user, logon domain, logon server, SID).
fn session(k: &Kx, luid: u64) -> Option<(String, String, String, Sid)> {
    let token = k.ext().security.tokens.values().find(|t| t.authentication_id == luid)?;
    Some(if luid == 0x3E7 {
        (format!("{COMPUTER}$"), "WORKGROUP".into(), String::new(), token.user.clone())
    } else {
        (USER.into(), COMPUTER.into(), COMPUTER.into(), token.user.clone())
    })
}

/// The logon session of the calling thread: its impersonation token's, else its process's.
fn current_session(k: &mut Kx) -> KResult<u64> {
    let thread = crate::ps::current_thread(k)?;
    if let Some(t) = crate::se::impersonation::of_thread(k, thread).and_then(|i| crate::se::token(k, i.token)) {
        return Ok(t.authentication_id);
    }
    Ok(crate::se::token::current(k)?.authentication_id)
}

/// NTSTATUS GetSecurityUserInfo(PLUID LogonId, ULONG Flags, PSecurityUserData *UserInformation):
/// the names and SID of a logon session (the calling thread's for a NULL LogonId) in a
/// SecurityUserData { SECURITY_STRING UserName, LogonDomainName, LogonServer; PSID pSid; }
/// the caller frees with LsaFreeReturnBuffer. Flags is unused (as documented). An unknown
/// session is STATUS_NO_SUCH_LOGON_SESSION.
pub fn GetSecurityUserInfo(k: &mut Kx, logon_id: Ptr, _flags: u32, out: Ptr) -> KResult<NtStatus> {
    let luid = if logon_id.is_null() { current_session(k)? } else { k.mem().read_u64(logon_id.0)? };
    // The sessions' tokens are made (on first use) before a session is looked up.
    let process = crate::ps::current_process(k)?;
    let (system, user) = (k.ext().system.system_process, k.ext().system.user_process);
    for p in [system, user].into_iter().filter(|p| *p != 0) {
        crate::se::process_token(k, p)?;
    }
    let Some((user, domain, server, sid)) = session(k, luid) else { return Ok(STATUS_NO_SUCH_LOGON_SESSION) };
    let us = UNICODE_STRING::STRUCT.size(k.arch());
    let ps = k.arch().ptr_size();
    let strings = [&user, &domain, &server];
    let header = 3 * us + ps;
    let text: u64 = strings.iter().map(|s| s.encode_utf16().count() as u64 * 2 + 2).sum();
    let sid_bytes = sid.bytes();
    let size = header + text + sid_bytes.len() as u64;
    let buffer = match crate::zw::memory::commit_fresh(k, process, size)? {
        Ok(b) => b,
        Err(st) => return Ok(st),
    };
    let mut next = buffer + header;
    for (i, s) in strings.iter().enumerate() {
        crate::ps::write_unicode(k, buffer + i as u64 * us, next, s)?;
        next += s.encode_utf16().count() as u64 * 2 + 2;
    }
    k.mem_mut().write(next, &sid_bytes)?;
    k.mem_mut().write_ptr(buffer + 3 * us, next)?;
    k.mem_mut().write_ptr(out.0, buffer)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS LsaFreeReturnBuffer(PVOID Buffer): frees a buffer LSA returned, in the current
/// process's virtual memory (ZwFreeVirtualMemory, MEM_RELEASE): STATUS_MEMORY_NOT_ALLOCATED for
/// a pointer that is no such buffer.
pub fn LsaFreeReturnBuffer(k: &mut Kx, buffer: Ptr) -> KResult<NtStatus> {
    let process = crate::ps::current_process(k)?;
    crate::zw::memory::release(k, process, buffer.0)
}
