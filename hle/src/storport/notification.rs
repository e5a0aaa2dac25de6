//! StorPortNotification/ScsiPortNotification, StorPortGetLogicalUnit/ScsiPortGetLogicalUnit
//! and StorPortExtendedFunction: what a miniport asks of its port while it runs.
//!
//! The port never issues an SRB here (no logical unit is scanned, see the module above), so a
//! RequestComplete names an SRB the port does not own: it is recorded and has no effect, as
//! NextRequest and NextLuRequest have none with no queue to restart. QueryTickCount,
//! GetExtendedFunctionTable (no table: NULL), EnablePassiveInitialization, InitializeDpc and
//! IssueDpc do what storport.h documents; the other notifications (timers, spin locks, WMI,
//! link state) are recorded as not modeled and have no effect.
#![allow(non_snake_case)]

use crate::events::{push, Notice, SystemEvent};
use crate::exports::CallArgs;
use crate::kernel::{caller, KResult, Kx};
use crate::types::{Boolean, Ptr};

use super::{adapter, PortKind};

const REQUEST_COMPLETE: u32 = 0;
const NEXT_REQUEST: u32 = 1;
const NEXT_LU_REQUEST: u32 = 2;
const RESET_DETECTED: u32 = 3;
const QUERY_TICK_COUNT: u32 = 12;
const GET_EXTENDED_FUNCTION_TABLE: u32 = 15;
const ENABLE_PASSIVE_INITIALIZATION: u32 = 0x1000;
const INITIALIZE_DPC: u32 = 0x1001;
const ISSUE_DPC: u32 = 0x1002;

/// STOR_STATUS_* (StorPortExtendedFunction's answers).
pub mod stor_status {
    pub const SUCCESS: u32 = 0;
    pub const NOT_IMPLEMENTED: u32 = 0xC100_0002;
    pub const INSUFFICIENT_RESOURCES: u32 = 0xC100_0003;
    pub const INVALID_PARAMETER: u32 = 0xC100_0006;
}

fn note(k: &mut Kx, kind: PortKind, detail: String) {
    let at = caller(k);
    let detail = format!("{}: {detail}", kind.name());
    push(k, SystemEvent::Notice(Notice { kind: "storage_notification", detail, caller: at }));
}

fn ulong(k: &Kx, args: &mut CallArgs) -> KResult<u32> {
    Ok(args.slot(k)? as u32)
}

/// The notifications both ports share and Storport's own.
fn notify(k: &mut Kx, kind: PortKind, notification: u32, hw_extension: u64, args: &mut CallArgs) -> KResult<()> {
    let a = adapter::by_extension(k, hw_extension);
    match notification {
        REQUEST_COMPLETE => {
            let srb = args.slot(k)?;
            note(k, kind, format!("RequestComplete for SRB {srb:#x}, which the port never issued: no effect"));
        }
        NEXT_REQUEST | NEXT_LU_REQUEST => {}
        RESET_DETECTED => note(k, kind, "ResetDetected: no request outstanding".into()),
        QUERY_TICK_COUNT => {
            let out = args.slot(k)?;
            crate::ke::time::KeQueryTickCount(k, Ptr(out))?;
        }
        GET_EXTENDED_FUNCTION_TABLE if kind == PortKind::Storport => {
            let out = args.slot(k)?;
            if out != 0 {
                k.mem_mut().write_ptr(out, 0)?;
            }
        }
        ENABLE_PASSIVE_INITIALIZATION if kind == PortKind::Storport => {
            let routine = args.slot(k)?;
            let result = args.slot(k)?;
            let accepted = match a {
                Some(a) if k.ext().storport.adapters[a].passive_init == 0 && !k.ext().storport.adapters[a].started => {
                    k.ext_mut().storport.adapters[a].passive_init = routine;
                    true
                }
                _ => false,
            };
            k.mem_mut().write_u8(result, accepted as u8)?;
        }
        INITIALIZE_DPC if kind == PortKind::Storport => {
            // STOR_DPC: a KDPC, then the KSPIN_LOCK the port takes around the routine. The
            // routine is a KDEFERRED_ROUTINE whose context is the miniport's extension.
            let dpc = args.slot(k)?;
            let routine = args.slot(k)?;
            crate::ke::dpc::KeInitializeDpc(k, Ptr(dpc), Ptr(routine), Ptr(hw_extension))?;
            let lock = dpc + crate::layout::KDPC::STRUCT.size(k.arch());
            k.mem_mut().write_ptr(lock, 0)?;
        }
        ISSUE_DPC if kind == PortKind::Storport => {
            let dpc = args.slot(k)?;
            let arg1 = args.slot(k)?;
            let arg2 = args.slot(k)?;
            let result = args.slot(k)?;
            let Boolean(queued) = crate::ke::dpc::KeInsertQueueDpc(k, Ptr(dpc), Ptr(arg1), Ptr(arg2))?;
            if result != 0 {
                k.mem_mut().write_u8(result, queued as u8)?;
            }
        }
        other => note(k, kind, format!("notification {other:#x}: not modeled, no effect")),
    }
    Ok(())
}

/// VOID StorPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID
/// HwDeviceExtension, ...)
pub fn StorPortNotification(k: &mut Kx, notification: u32, hw_extension: Ptr, args: &mut CallArgs) -> KResult<()> {
    notify(k, PortKind::Storport, notification, hw_extension.0, args)
}

/// VOID ScsiPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID
/// HwDeviceExtension, ...)
pub fn ScsiPortNotification(k: &mut Kx, notification: u32, hw_extension: Ptr, args: &mut CallArgs) -> KResult<()> {
    notify(k, PortKind::Scsiport, notification, hw_extension.0, args)
}

/// PVOID StorPortGetLogicalUnit(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId,
/// UCHAR Lun): the logical unit's extension, NULL for a unit the port does not know (it
/// knows none: no bus scan).
pub fn StorPortGetLogicalUnit(_k: &mut Kx, _hw_extension: Ptr, _path: u8, _target: u8, _lun: u8) -> KResult<Ptr> {
    Ok(Ptr::NULL)
}

/// PVOID ScsiPortGetLogicalUnit(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId,
/// UCHAR Lun)
pub fn ScsiPortGetLogicalUnit(k: &mut Kx, hw_extension: Ptr, path: u8, target: u8, lun: u8) -> KResult<Ptr> {
    StorPortGetLogicalUnit(k, hw_extension, path, target, lun)
}

const EXT_ALLOCATE_POOL: u32 = 0;
const EXT_FREE_POOL: u32 = 1;
const EXT_ALLOCATE_MDL: u32 = 2;
const EXT_FREE_MDL: u32 = 3;
const EXT_BUILD_MDL_FOR_NON_PAGED_POOL: u32 = 4;
/// NonPagedPoolNx.
const NON_PAGED_POOL_NX: u32 = 0x200;

/// ULONG StorPortExtendedFunction(STORPORT_FUNCTION_CODE FunctionCode, PVOID
/// HwDeviceExtension, ...): pool and MDL functions; the others are STOR_STATUS_NOT_IMPLEMENTED.
pub fn StorPortExtendedFunction(k: &mut Kx, function: u32, _hw_extension: Ptr, args: &mut CallArgs) -> KResult<u32> {
    match function {
        EXT_ALLOCATE_POOL => {
            let bytes = ulong(k, args)?;
            let tag = ulong(k, args)?;
            let out = args.slot(k)?;
            if out == 0 {
                return Ok(stor_status::INVALID_PARAMETER);
            }
            let p = crate::ex::pool::allocate_for_caller(k, NON_PAGED_POOL_NX, bytes as u64, tag)?;
            k.mem_mut().write_ptr(out, p.unwrap_or(0))?;
            Ok(if p.is_some() { stor_status::SUCCESS } else { stor_status::INSUFFICIENT_RESOURCES })
        }
        EXT_FREE_POOL => {
            let p = args.slot(k)?;
            if p == 0 {
                return Ok(stor_status::INVALID_PARAMETER);
            }
            crate::ex::pool::ExFreePool(k, Ptr(p))?;
            Ok(stor_status::SUCCESS)
        }
        EXT_ALLOCATE_MDL => {
            let buffer = args.slot(k)?;
            let bytes = ulong(k, args)?;
            let out = args.slot(k)?;
            if buffer == 0 || out == 0 {
                return Ok(stor_status::INVALID_PARAMETER);
            }
            let f = Boolean(false);
            let mdl = crate::mm::mdl::IoAllocateMdl(k, Ptr(buffer), bytes, f, f, Ptr::NULL)?;
            k.mem_mut().write_ptr(out, mdl.0)?;
            Ok(if mdl.0 != 0 { stor_status::SUCCESS } else { stor_status::INSUFFICIENT_RESOURCES })
        }
        EXT_FREE_MDL => {
            let mdl = args.slot(k)?;
            if mdl == 0 {
                return Ok(stor_status::INVALID_PARAMETER);
            }
            crate::mm::mdl::IoFreeMdl(k, Ptr(mdl))?;
            Ok(stor_status::SUCCESS)
        }
        EXT_BUILD_MDL_FOR_NON_PAGED_POOL => {
            let mdl = args.slot(k)?;
            if mdl == 0 {
                return Ok(stor_status::INVALID_PARAMETER);
            }
            crate::mm::mdl::MmBuildMdlForNonPagedPool(k, Ptr(mdl))?;
            Ok(stor_status::SUCCESS)
        }
        _ => Ok(stor_status::NOT_IMPLEMENTED),
    }
}
