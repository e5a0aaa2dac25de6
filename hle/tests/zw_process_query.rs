//! NtQueryInformationProcess through the real stubs on both architectures: the same answers
//! as ZwQueryInformationProcess for a kernel-mode caller; from user mode the handle must be
//! a user handle and the buffers must lie in user space.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, ETHREAD, OBJECT_ATTRIBUTES};

const NT: Dll = Dll::Ntoskrnl;

#[test]
fn nt_query_information_process_checks_a_user_callers_handle_and_buffers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(arch));
        fx.k.mem_mut().set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(arch)).unwrap();
        fx.k.mem_mut().set(oa, OBJECT_ATTRIBUTES::Attributes, 0x200).unwrap();
        let cid = fx.alloc(2 * ps);
        fx.k.mem_mut().write_ptr(cid, 0x1F4).unwrap();
        let out = fx.alloc(8);
        assert_eq!(fx.call(NT, "ZwOpenProcess", &[out, 0x1F_FFFF, oa, cid]).unwrap(), 0, "{arch:?}");
        let h = fx.read_ptr(out);
        let info = fx.alloc(0x40);
        let rl = fx.alloc(4);
        let pbi = 6 * ps;
        // Kernel mode: ZwQueryInformationProcess's answer.
        assert_eq!(fx.call(NT, "NtQueryInformationProcess", &[h, 0, info, pbi, rl]).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.read_ptr(info + 4 * ps), 0x1F4, "{arch:?}: UniqueProcessId");
        assert_eq!(fx.k.mem().read_u32(rl).unwrap() as u64, pbi, "{arch:?}");
        assert_eq!(fx.call(NT, "NtQueryInformationProcess", &[h, 99, info, pbi, rl]).unwrap(), 0xC000_0003);

        // User mode: kernel buffers fail the probe, a kernel handle is no user handle.
        let t = ok_thread(&mut fx);
        fx.k.mem_mut().set(t, ETHREAD::PreviousMode, 1).unwrap();
        assert_eq!(fx.call(NT, "NtQueryInformationProcess", &[h, 0, info, pbi, 0]).unwrap(), 0xC000_0005, "{arch:?}");
        let user =
            fx.k.mem_mut().alloc(portcullis_emu::RegionKind::User, "user", 0x1000, portcullis_emu::Prot::RW).unwrap();
        assert_eq!(fx.call(NT, "NtQueryInformationProcess", &[h, 0, user, pbi, 0]).unwrap(), 0xC000_0008, "{arch:?}");
        fx.k.mem_mut().set(t, ETHREAD::PreviousMode, 0).unwrap();
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
    }
}

fn ok_thread(fx: &mut Fx) -> u64 {
    fx.call(NT, "PsGetCurrentThread", &[]).unwrap()
}
