//! IoCreateSymbolicLink and IoDeleteSymbolicLink.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::ob::handles::owner_of_call;
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString};

/// NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
/// A permanent link; the target need not exist (it is resolved when the link is used).
pub fn IoCreateSymbolicLink(k: &mut Kx, link: PUnicodeString, target: PUnicodeString) -> KResult<NtStatus> {
    let link = read_unicode_string(k, link.0)?;
    let target = read_unicode_string(k, target.0)?;
    let owner = owner_of_call(k);
    Ok(match crate::ob::symlink::create(k, &link, &target, owner, true)? {
        Ok(_) => status::SUCCESS,
        Err(s) => s,
    })
}

/// NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)
pub fn IoDeleteSymbolicLink(k: &mut Kx, link: PUnicodeString) -> KResult<NtStatus> {
    let link = read_unicode_string(k, link.0)?;
    crate::ob::symlink::delete(k, &link)
}
