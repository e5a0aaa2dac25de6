//! DbgPrint and DbgPrintEx: formatted output captured into the trace.
#![allow(non_snake_case)]

use portcullis_emu::{Event, MemError};

use crate::exports::CallArgs;
use crate::kernel::{caller, DebugOutput, KResult, KernelEvent, Kx};
use crate::rtl::printf::{self, VarArgs};
use crate::types::{status, NtStatus, PCSTR};

/// Variadic arguments read from the guest's call frame.
struct GuestArgs<'a> {
    args: &'a mut CallArgs,
    k: &'a Kx,
}

impl VarArgs for GuestArgs<'_> {
    fn next_slot(&mut self) -> Result<u64, MemError> {
        self.args.slot(self.k)
    }
}

/// Formats and records one message. A format or argument the kernel cannot read makes the
/// call fail with STATUS_ACCESS_VIOLATION, as DbgPrint's own exception handler does.
fn print(
    k: &mut Kx,
    component: Option<u32>,
    level: Option<u32>,
    format: PCSTR,
    args: &mut CallArgs,
) -> KResult<NtStatus> {
    let arch = k.arch();
    let text = {
        let fmt = match printf::read_cstr(k.mem(), format.0, printf::OUTPUT_CAP) {
            Ok(f) => f,
            Err(_) => return Ok(status::ACCESS_VIOLATION),
        };
        let mut va = GuestArgs { args, k };
        match printf::format(&fmt, &mut va, k.mem(), arch) {
            Ok(t) => t,
            Err(_) => return Ok(status::ACCESS_VIOLATION),
        }
    };
    let at = caller(k);
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Debug(DebugOutput { text, component, level, caller: at })));
    Ok(status::SUCCESS)
}

/// ULONG DbgPrint(PCSTR Format, ...)
pub fn DbgPrint(k: &mut Kx, format: PCSTR, args: &mut CallArgs) -> KResult<NtStatus> {
    print(k, None, None, format, args)
}

/// ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
/// Every message is captured; the component and level are recorded, not filtered.
pub fn DbgPrintEx(k: &mut Kx, component: u32, level: u32, format: PCSTR, args: &mut CallArgs) -> KResult<NtStatus> {
    print(k, Some(component), Some(level), format, args)
}
