//! Locking an operation's user buffer: `FltLockUserBuffer`.
//!
//! The buffer of a read or write (FLT_PARAMETERS Buffer/Length) gets an MDL describing its
//! pages, locked, in the parameters' MdlAddress, so that a filter can map it to system space
//! (MmGetSystemAddressForMdlSafe) and use it in any thread. The Filter Manager owns that MDL
//! and frees it when the operation's callback data goes (after the post-operation callbacks,
//! or FltFreeCallbackData), as fltmgr.sys does.
#![allow(non_snake_case)]

use super::layout::{FLT_CALLBACK_DATA as CBD, FLT_IO_PARAMETER_BLOCK as IOPB, FLT_PARAMETERS as P};
use crate::io::major;
use crate::kernel::{KResult, Kx};
use crate::layout::FieldAccess;
use crate::types::{status, NtStatus, Ptr};

const PAGE_SIZE: u64 = 0x1000;

/// NTSTATUS FltLockUserBuffer(PFLT_CALLBACK_DATA CallbackData): for IRP_MJ_READ (the pages
/// are written) and IRP_MJ_WRITE (read), an MDL over Buffer/Length, pages locked, in
/// MdlAddress; STATUS_SUCCESS at once if there is one already. A buffer the requestor could
/// not access (not mapped, read-only for a read, outside user space for a user-mode request)
/// is STATUS_ACCESS_VIOLATION, as the probe raises it; a zero length (no MDL can describe
/// it) STATUS_INSUFFICIENT_RESOURCES; an operation without a buffer in its parameters
/// STATUS_INVALID_PARAMETER.
pub fn FltLockUserBuffer(k: &mut Kx, data: Ptr) -> KResult<NtStatus> {
    let arch = k.arch();
    let iopb = k.mem().get(data.0, CBD::Iopb)?;
    let m = k.mem().get(iopb, IOPB::MajorFunction)? as u8;
    let written = match m {
        major::READ => true,
        major::WRITE => false,
        _ => return Ok(status::INVALID_PARAMETER),
    };
    let params = IOPB::Parameters.at(arch, iopb);
    if k.mem().get(params, P::MdlAddress)? != 0 {
        return Ok(status::SUCCESS);
    }
    let buffer = k.mem().get(params, P::Buffer)?;
    let length = k.mem().get(params, P::Length)?;
    if length == 0 {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    let user = k.mem().get(data.0, CBD::RequestorMode)? != 0;
    let end = buffer.checked_add(length);
    let in_space = |va: u64| !user || crate::seh::trap::is_user(arch, va);
    let Some(end) = end.filter(|e| in_space(buffer) && in_space(e - 1)) else {
        return Ok(status::ACCESS_VIOLATION);
    };
    let mut page = buffer & !(PAGE_SIZE - 1);
    while page < end {
        let ok = k.mem().prot_at(page).is_some_and(|p| !written || p.write);
        if !ok {
            return Ok(status::ACCESS_VIOLATION);
        }
        page += PAGE_SIZE;
    }
    let mdl = crate::mm::mdl::build(k, buffer, length)?;
    k.mem_mut().set(params, P::MdlAddress, mdl)?;
    k.ext_mut().flt.locked_buffers.insert(data.0, mdl);
    Ok(status::SUCCESS)
}

/// The callback data is going: the MDL FltLockUserBuffer made for it goes too.
pub fn release(k: &mut Kx, data: u64) -> KResult<()> {
    if let Some(mdl) = k.ext_mut().flt.locked_buffers.remove(&data) {
        crate::mm::mdl::release(k, mdl)?;
    }
    Ok(())
}
