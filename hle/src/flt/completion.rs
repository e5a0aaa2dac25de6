//! Post-operation processing at a safe IRQL: `FltDoCompletionProcessingWhenSafe`.
//!
//! Post-operation callbacks run here at the IRQL of the operation's thread, PASSIVE_LEVEL
//! unless a driver raised it: then the safe callback runs at once. Above APC_LEVEL Windows
//! would post the work to a worker thread and have the callback return
//! FLT_POSTOP_MORE_PROCESSING_REQUIRED, finished later by FltCompletePendedPostOperation,
//! which the kernel does not implement (see ops.rs): there the routine answers FALSE, the
//! answer Windows gives when the work cannot be posted, and the caller must cope as it must
//! on Windows.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::layout::FLT_CALLBACK_DATA as CBD;
use super::ops::IRP_OPERATION;
use crate::ke::irql::{self, APC_LEVEL};
use crate::kernel::{KResult, Kx};
use crate::layout::FieldAccess;
use crate::types::{Boolean, Ptr};

/// FLTFL_POST_OPERATION_DRAINING: the instance is being torn down.
const POST_OPERATION_DRAINING: u32 = 0x1;
/// FLT_POSTOP_FINISHED_PROCESSING.
const FINISHED_PROCESSING: u64 = 0;

/// BOOLEAN FltDoCompletionProcessingWhenSafe(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS
/// FltObjects, PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags,
/// PFLT_POST_OPERATION_CALLBACK SafePostCallback, PFLT_POSTOP_CALLBACK_STATUS
/// RetPostOperationStatus): at IRQL <= APC_LEVEL, calls SafePostCallback(Data, FltObjects,
/// CompletionContext, Flags) now, stores what it returns and answers TRUE. FALSE, without
/// calling it, for an operation that is no IRP (fast I/O, file-system filter callbacks), for a
/// draining instance (status FLT_POSTOP_FINISHED_PROCESSING), and above APC_LEVEL (no posting).
pub fn FltDoCompletionProcessingWhenSafe(
    k: &mut Kx,
    data: Ptr,
    objects: Ptr,
    context: Ptr,
    flags: u32,
    callback: Ptr,
    ret_status: Ptr,
) -> KResult<Boolean> {
    let data_flags = k.mem().get(data.0, CBD::Flags)?;
    if flags & POST_OPERATION_DRAINING != 0 {
        k.mem_mut().write_u32(ret_status.0, FINISHED_PROCESSING as u32)?;
        return Ok(Boolean(false));
    }
    if data_flags & IRP_OPERATION == 0 || irql::current(k)? > APC_LEVEL {
        return Ok(Boolean(false));
    }
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(k, callback.0, &[data.0, objects.0, context.0, flags as u64], conv)?;
    k.mem_mut().write_u32(ret_status.0, r as u32)?;
    Ok(Boolean(true))
}
