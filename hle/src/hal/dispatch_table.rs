//! HalDispatchTable: the HAL_DISPATCH structure ntoskrnl exports, through which the kernel
//! and drivers reach the HAL's replaceable routines (Version 3, the layout of the DDK
//! headers: HalQuerySystemInformation ... HalSetPciErrorHandlerCallback). None of these
//! routines is implemented by this kernel: each entry points at a routine of the entry's name
//! (`xHalQuerySystemInformation`, ...) that ends the run naming it, as a call to an
//! unimplemented framework table entry does.
#![allow(non_snake_case)]

use portcullis_emu::Stop;

use crate::exports::Dll;
use crate::kernel::{caller, KError, KResult, KernelStop, Kx};

/// HAL_DISPATCH_VERSION.
pub const VERSION: u32 = 3;

/// The routines after Version, in structure order (their internal routines' names).
pub const ENTRIES: [&str; 22] = [
    "xHalQuerySystemInformation",
    "xHalSetSystemInformation",
    "xHalQueryBusSlots",
    "", // Spare1: a ULONG
    "xHalExamineMBR",
    "xHalIoAssignDriveLetters",
    "xHalIoReadPartitionTable",
    "xHalIoSetPartitionInformation",
    "xHalIoWritePartitionTable",
    "xHalReferenceHandlerForBus",
    "xHalReferenceBusHandler",
    "xHalDereferenceBusHandler",
    "xHalInitPnpDriver",
    "xHalInitPowerManagement",
    "xHalGetDmaAdapter",
    "xHalGetInterruptTranslator",
    "xHalStartMirroring",
    "xHalEndMirroring",
    "xHalMirrorPhysicalMemory",
    "xHalEndOfBoot",
    "xHalMirrorVerify",
    "xHalGetCachedAcpiTable",
];
// HalSetPciErrorHandlerCallback follows HalGetCachedAcpiTable.
const LAST: &str = "xHalSetPciErrorHandlerCallback";

/// Places HalDispatchTable in ntoskrnl's .data.
pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let ps = k.arch().ptr_size();
    let names: Vec<&str> = ENTRIES.iter().copied().chain([LAST]).collect();
    let size = ps * (1 + names.len() as u64);
    let table = crate::loader::system::variable(k, Dll::Ntoskrnl, "HalDispatchTable", size)?;
    k.mem_mut().write_u32(table, VERSION)?;
    for (i, name) in names.iter().enumerate() {
        let at = table + ps * (1 + i as u64);
        if name.is_empty() {
            k.mem_mut().write_u32(at, 0)?;
            continue;
        }
        let routine = crate::exports::internal::address(k, name).unwrap_or(0);
        k.mem_mut().write_ptr(at, routine)?;
    }
    Ok(())
}

/// Every HalDispatchTable entry: the run ends naming the HAL routine called.
pub fn unimplemented(k: &mut Kx) -> KResult<()> {
    let pc = k.host_call_pc();
    let name = k.ext().calls.routine_at(pc).map_or("a HAL dispatch routine".to_string(), |(_, n)| n.to_string());
    let caller = caller(k);
    Err(KError::Stop(Stop::Host(KernelStop::Unimplemented { routine: format!("HalDispatchTable: {name}"), caller })))
}
