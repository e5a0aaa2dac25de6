//! HalDispatchTable (the HAL_DISPATCH structure, each routine a named absence) and
//! PsWrapApcWow64Thread on a native process, on both architectures.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_emu::{Arch, Stop};
use portcullis_hle::exports::Dll;
use portcullis_hle::kernel::KernelStop;

#[test]
fn the_hal_dispatch_table_names_each_routine() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let ps = arch.ptr_size();
        let table = fx.k.ext().resolve(Dll::Ntoskrnl, "HalDispatchTable").unwrap();
        assert_eq!(fx.read(table, 4), [3, 0, 0, 0], "{arch:?}: HAL_DISPATCH_VERSION");
        let query = fx.read_ptr(table + ps);
        assert_eq!(
            fx.k.ext().calls.routine_at(query).map(|(_, n)| n.to_string()).as_deref(),
            Some("xHalQuerySystemInformation")
        );
        assert_eq!(fx.read(table + 4 * ps, 4), [0; 4], "Spare1");
        let conv = portcullis_emu::CallConv::Stdcall.for_arch(arch);
        match fx.call_at(query, conv, &[]) {
            Err(Stop::Host(KernelStop::Unimplemented { routine, .. })) => {
                assert_eq!(routine, "HalDispatchTable: xHalQuerySystemInformation")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn wrapping_an_apc_for_a_native_process_changes_nothing() {
    let mut fx = Fx::new(Arch::X64);
    let (context, routine) = (fx.alloc(8), fx.alloc(8));
    fx.k.mem_mut().write_ptr(context, 0x1234).unwrap();
    fx.k.mem_mut().write_ptr(routine, 0x5678).unwrap();
    assert_eq!(fx.call(Dll::Ntoskrnl, "PsWrapApcWow64Thread", &[context, routine]).unwrap(), 0);
    assert_eq!((fx.read_ptr(context), fx.read_ptr(routine)), (0x1234, 0x5678));
    assert!(Fx::new(Arch::X86).k.ext().resolve(Dll::Ntoskrnl, "PsWrapApcWow64Thread").is_none());
}
