//! Security auditing: SeDeleteObjectAuditAlarm.
//!
//! Windows writes audit records to the security event log when the audit policy asks for
//! them (object access auditing, or a SACL that names the access). The emulated system's
//! policy is Windows' default for a workstation: object access is not audited, so no routine
//! here generates a record; the routines exist with that answer.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{Ptr, HANDLE};

/// VOID SeDeleteObjectAuditAlarm(PVOID Object, HANDLE Handle): the audit record of an object's
/// deletion through a handle opened with audit-on-close. No handle is ever opened with it (no
/// access is audited), so there is nothing to record; the object and the handle are left as
/// they are, as the routine itself leaves them.
pub fn SeDeleteObjectAuditAlarm(_k: &mut Kx, _object: Ptr, _handle: HANDLE) -> KResult<()> {
    Ok(())
}
