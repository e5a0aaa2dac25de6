//! IoCreateSymbolicLink and IoDeleteSymbolicLink.
#![allow(non_snake_case)]

use crate::kernel::{caller, KResult, Kx};
use crate::ob::{NameTarget, Owner};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString};

fn owner(k: &Kx) -> Owner {
    k.ext().driver_at(caller(k)).map(Owner::Driver).unwrap_or(Owner::Kernel)
}

/// NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
/// The target need not exist (it is resolved when the link is used).
pub fn IoCreateSymbolicLink(k: &mut Kx, link: PUnicodeString, target: PUnicodeString) -> KResult<NtStatus> {
    let link = read_unicode_string(k, link.0)?;
    let target = read_unicode_string(k, target.0)?;
    let owner = owner(k);
    Ok(match k.ext_mut().objects.insert_name(&link, NameTarget::Link(target), owner) {
        Ok(()) => status::SUCCESS,
        Err(s) => s,
    })
}

/// NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)
pub fn IoDeleteSymbolicLink(k: &mut Kx, link: PUnicodeString) -> KResult<NtStatus> {
    let link = read_unicode_string(k, link.0)?;
    let ob = &mut k.ext_mut().objects;
    Ok(match ob.lookup(&link).map(|e| e.target.clone()) {
        Some(NameTarget::Link(_)) => {
            ob.remove_name(&link);
            status::SUCCESS
        }
        Some(NameTarget::Object(_)) => NtStatus(0xC000_0024), // STATUS_OBJECT_TYPE_MISMATCH
        None => status::OBJECT_NAME_NOT_FOUND,
    })
}
