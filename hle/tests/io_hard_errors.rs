//! Hard-error popups through the real stubs, both architectures: IoSetThreadHardErrorMode
//! turns them off and on for the current thread, IoRaiseInformationalHardError delivers one
//! as a trace event (what the report's `hard_errors` lists) unless they are off for the
//! thread it names.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::events::SystemEvent;
use portcullis_hle::io::hard_error::HardError;
use portcullis_hle::kernel::KernelEvent;
use portcullis_hle::types::NtStatus;

fn popups(fx: &Fx) -> Vec<HardError> {
    kernel_events(&fx.k, |e| match e {
        KernelEvent::System(SystemEvent::HardError(p)) => Some(p.clone()),
        _ => None,
    })
}

const STATUS_DISK_FULL: u64 = 0xC000_007F;
const STATUS_NO_MEDIA_IN_DEVICE: u64 = 0xC000_0013;

#[test]
fn popups_reach_the_user_unless_the_thread_turned_them_off() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let me = ok(&mut fx, "PsGetCurrentThread", &[]);
        // On by default; the answer is the mode before.
        assert_eq!(ok32(&mut fx, "IoSetThreadHardErrorMode", &[1]) & 0xFF, 1, "{arch:?}");
        let name = fx.ustr("\\??\\A:\\setup.inf");
        assert_eq!(ok32(&mut fx, "IoRaiseInformationalHardError", &[STATUS_NO_MEDIA_IN_DEVICE, name, me]) & 0xFF, 1);
        assert_eq!(ok32(&mut fx, "IoRaiseInformationalHardError", &[STATUS_DISK_FULL, 0, 0]) & 0xFF, 1);

        // Off for this thread: the popups it is named in are refused, not shown.
        assert_eq!(ok32(&mut fx, "IoSetThreadHardErrorMode", &[0]) & 0xFF, 1, "they were on");
        assert_eq!(ok32(&mut fx, "IoRaiseInformationalHardError", &[STATUS_DISK_FULL, 0, me]) & 0xFF, 0);
        assert_eq!(ok32(&mut fx, "IoSetThreadHardErrorMode", &[0]) & 0xFF, 0, "they were off");
        assert_eq!(ok32(&mut fx, "IoSetThreadHardErrorMode", &[1]) & 0xFF, 0);
        assert_eq!(ok32(&mut fx, "IoRaiseInformationalHardError", &[STATUS_DISK_FULL, 0, me]) & 0xFF, 1, "on again");

        let p = popups(&fx);
        assert_eq!(p.len(), 3, "{arch:?}: {p:?}");
        assert_eq!(p[0].status, NtStatus(STATUS_NO_MEDIA_IN_DEVICE as u32));
        assert_eq!(p[0].string.as_deref(), Some("\\??\\A:\\setup.inf"));
        assert_eq!(p[0].process, None, "a system thread's popup is the System Process's");
        assert_ne!(p[0].caller, 0);
        assert_eq!((p[1].status, p[1].string.as_deref()), (NtStatus(STATUS_DISK_FULL as u32), None));

        // A thread of the user's program: the popup is titled for the program.
        let user = portcullis_hle::ps::processes::find(&fx.k, portcullis_hle::ps::USER_PID).unwrap().thread;
        assert_eq!(ok32(&mut fx, "IoRaiseInformationalHardError", &[STATUS_DISK_FULL, 0, user]) & 0xFF, 1);
        assert_eq!(popups(&fx)[3].process.as_deref(), Some("portcullis.exe"));

        // A string that cannot be read is the driver's fault.
        bugcheck(call(&mut fx, "IoRaiseInformationalHardError", &[STATUS_DISK_FULL, 0x10, 0]));
    }
}

#[test]
fn io_complete_request_is_iof_complete_request_on_x86() {
    // x86 exports the stdcall IoCompleteRequest next to the fastcall IofCompleteRequest; both
    // complete the same way (a driver's own IRP completes; something no one sent is
    // MULTIPLE_IRP_COMPLETE_REQUESTS).
    let (mut fx, _) = Fx::with_driver(Arch::X86);
    assert_eq!(fx.conv(portcullis_hle::exports::Dll::Ntoskrnl, "IoCompleteRequest"), portcullis_emu::CallConv::Stdcall);
    let irp = ok(&mut fx, "IoAllocateIrp", &[1, 0]);
    let (_, popped) = fx.call_popped(portcullis_hle::exports::Dll::Ntoskrnl, "IoCompleteRequest", &[irp, 0]).unwrap();
    assert_eq!(popped, 8, "stdcall: the callee pops its two arguments");
    let (mut fx, _) = Fx::with_driver(Arch::X86);
    let junk = fx.alloc(0x100);
    assert_eq!(bugcheck(call(&mut fx, "IoCompleteRequest", &[junk, 0])).code, 0x44);
    // x64 has only IofCompleteRequest (IoCompleteRequest is a macro for it in the headers).
    let fx = Fx::new(Arch::X64);
    assert!(fx.k.ext().resolve(portcullis_hle::exports::Dll::Ntoskrnl, "IoCompleteRequest").is_none());
}
