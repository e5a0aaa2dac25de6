//! Handles: opening, referencing by handle with type and access checks, closing, pseudo-handles,
//! kernel handles, and the bugcheck for closing what is not a handle; both architectures,
//! through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const NT: Dll = Dll::Ntoskrnl;
const OBJ_KERNEL_HANDLE: u64 = 0x200;
const KERNEL_MODE: u64 = 0;
const USER_MODE: u64 = 1;
const PROCESS_TERMINATE: u64 = 0x1;
const PROCESS_QUERY_INFORMATION: u64 = 0x400;
const STATUS_INVALID_HANDLE: u64 = 0xC000_0008;
const STATUS_OBJECT_TYPE_MISMATCH: u64 = 0xC000_0024;
const STATUS_ACCESS_DENIED: u64 = 0xC000_0022;

/// The value of an exported object-type variable (what WDK code spells `*PsProcessType`).
fn object_type(fx: &Fx, name: &str) -> u64 {
    let var = fx.k.ext().resolve(NT, name).unwrap();
    fx.read_ptr(var)
}

fn system_process(fx: &Fx) -> u64 {
    fx.k.ext().system.system_process
}

fn refs(fx: &Fx, object: u64) -> i64 {
    fx.k.ext().objects.get(object).unwrap().references
}

/// ObOpenObjectByPointer(object, attributes, NULL, access, type, mode, &h) -> (status, h).
fn open(fx: &mut Fx, object: u64, attributes: u64, access: u64, ty: u64, mode: u64) -> (u64, u64) {
    let out = fx.alloc(8);
    let st = fx.call(NT, "ObOpenObjectByPointer", &[object, attributes, 0, access, ty, mode, out]).unwrap();
    (st, fx.read_ptr(out))
}

/// ObReferenceObjectByHandle(h, access, type, mode, &object, &info) -> (status, object,
/// (attributes, granted)).
fn reference(fx: &mut Fx, h: u64, access: u64, ty: u64, mode: u64) -> (u64, u64, (u32, u32)) {
    let out = fx.alloc(8);
    let info = fx.alloc(8);
    let st = fx.call(NT, "ObReferenceObjectByHandle", &[h, access, ty, mode, out, info]).unwrap();
    let i = fx.read(info, 8);
    (
        st,
        fx.read_ptr(out),
        (u32::from_le_bytes(i[..4].try_into().unwrap()), u32::from_le_bytes(i[4..].try_into().unwrap())),
    )
}

#[test]
fn a_kernel_handle_refers_to_its_object_until_closed() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let process = system_process(&fx);
        let ty = object_type(&fx, "PsProcessType");
        let (st, h) = open(&mut fx, process, OBJ_KERNEL_HANDLE | 0x2, PROCESS_QUERY_INFORMATION, ty, KERNEL_MODE);
        assert_eq!(st, 0);
        let expected = match arch {
            Arch::X86 => 0x8000_0004,
            Arch::X64 => 0xFFFF_FFFF_8000_0004,
        };
        assert_eq!(h, expected, "{arch:?}: the first kernel handle, with the kernel-handle bit");
        let before = refs(&fx, process);
        let (st, object, info) = reference(&mut fx, h, 0, ty, KERNEL_MODE);
        assert_eq!((st, object), (0, process));
        assert_eq!(info, (0x2, PROCESS_QUERY_INFORMATION as u32), "OBJ_INHERIT and the granted access");
        assert_eq!(refs(&fx, process), before + 1, "a reference for the caller");
        fx.call(NT, "ObfDereferenceObject", &[process]).unwrap();
        assert_eq!(fx.k.ext().objects.get(process).unwrap().handles, 1);

        // Another type: a mismatch, and no reference taken.
        let file_type = object_type(&fx, "IoFileObjectType");
        let (st, _, _) = reference(&mut fx, h, 0, file_type, KERNEL_MODE);
        assert_eq!(st, STATUS_OBJECT_TYPE_MISMATCH);
        // A user-mode caller cannot use a kernel handle.
        let (st, _, _) = reference(&mut fx, h, 0, ty, USER_MODE);
        assert_eq!(st, STATUS_INVALID_HANDLE);
        assert_eq!(refs(&fx, process), before);

        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
        assert_eq!(fx.k.ext().objects.get(process).unwrap().handles, 0);
        let (st, _, _) = reference(&mut fx, h, 0, ty, KERNEL_MODE);
        assert_eq!(st, STATUS_INVALID_HANDLE, "{arch:?}: closed");
    }
}

#[test]
fn user_mode_access_is_checked_and_kernel_mode_is_not() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let process = system_process(&fx);
        let ty = object_type(&fx, "PsProcessType");
        // A handle in the current (System) process's table, without the kernel bit.
        let (st, h) = open(&mut fx, process, 0, PROCESS_QUERY_INFORMATION, ty, KERNEL_MODE);
        assert_eq!((st, h), (0, 4));
        let (st, _, _) = reference(&mut fx, h, PROCESS_TERMINATE, ty, USER_MODE);
        assert_eq!(st, STATUS_ACCESS_DENIED, "{arch:?}");
        let (st, _, _) = reference(&mut fx, h, PROCESS_QUERY_INFORMATION, ty, USER_MODE);
        assert_eq!(st, 0);
        let (st, _, _) = reference(&mut fx, h, PROCESS_TERMINATE, ty, KERNEL_MODE);
        assert_eq!(st, 0, "kernel-mode callers are not access-checked");
        // Freed values are reused lowest first.
        let (_, h2) = open(&mut fx, process, 0, 0, ty, KERNEL_MODE);
        assert_eq!(h2, 8);
        assert_eq!(fx.call(NT, "ObCloseHandle", &[h, KERNEL_MODE]).unwrap(), 0);
        let (_, h3) = open(&mut fx, process, 0, 0, ty, KERNEL_MODE);
        assert_eq!(h3, 4);
        // NtClose judges by the thread's previous mode: kernel mode in the System context.
        assert_eq!(fx.call(NT, "NtClose", &[h3]).unwrap(), 0);
        assert_eq!(fx.call(NT, "NtClose", &[h2]).unwrap(), 0);
    }
}

#[test]
fn pseudo_handles_name_the_current_process_and_thread() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let all = arch.mask(u64::MAX);
        let (process_type, thread_type) = (object_type(&fx, "PsProcessType"), object_type(&fx, "PsThreadType"));
        let (st, object, _) = reference(&mut fx, all, 0, process_type, KERNEL_MODE);
        assert_eq!((st, object), (0, system_process(&fx)));
        let (st, object, _) = reference(&mut fx, all - 1, 0, thread_type, KERNEL_MODE);
        assert_eq!((st, object), (0, fx.k.ext().system.system_thread));
        // Closing a pseudo-handle does nothing.
        assert_eq!(fx.call(NT, "ZwClose", &[all]).unwrap(), 0);
    }
}

#[test]
fn closing_what_is_not_a_handle_bugchecks_in_the_system_context_and_fails_otherwise() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        // From kernel mode in the System process: INVALID_KERNEL_HANDLE (handle, 1, 0, 0).
        let b = bugcheck(fx.call(NT, "ZwClose", &[0x1234]));
        assert_eq!((b.code, b.name), (0x93, "INVALID_KERNEL_HANDLE"));
        assert_eq!(b.params, [0x1234, 1, 0, 0]);
        assert_eq!(b.caller, fx.site);

        // A user-mode close of a kernel handle fails without a bugcheck.
        let mut fx = Fx::new(arch);
        let process = system_process(&fx);
        let ty = object_type(&fx, "PsProcessType");
        let (_, h) = open(&mut fx, process, OBJ_KERNEL_HANDLE, 0, ty, KERNEL_MODE);
        assert_eq!(fx.call(NT, "ObCloseHandle", &[h, USER_MODE]).unwrap(), STATUS_INVALID_HANDLE);
        assert_eq!(fx.call(NT, "ObCloseHandle", &[0x5678, USER_MODE]).unwrap(), STATUS_INVALID_HANDLE);
        assert_eq!(fx.call(NT, "ZwClose", &[h]).unwrap(), 0);
    }
}

#[test]
fn referencing_by_pointer_checks_the_type() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let process = system_process(&fx);
        let before = refs(&fx, process);
        let ty = object_type(&fx, "PsProcessType");
        assert_eq!(fx.call(NT, "ObReferenceObjectByPointer", &[process, 0, ty, KERNEL_MODE]).unwrap(), 0);
        assert_eq!(refs(&fx, process), before + 1);
        let thread_type = object_type(&fx, "PsThreadType");
        let st = fx.call(NT, "ObReferenceObjectByPointerWithTag", &[process, 0, thread_type, KERNEL_MODE, 0x7461_6754]);
        assert_eq!(st.unwrap(), STATUS_OBJECT_TYPE_MISMATCH);
        fx.call(NT, "ObDereferenceObject", &[process]).unwrap();
        assert_eq!(refs(&fx, process), before);
        // Not an object at all: REFERENCE_BY_POINTER.
        let junk = fx.alloc(0x40);
        let b = bugcheck(fx.call(NT, "ObReferenceObjectByPointer", &[junk, 0, 0, KERNEL_MODE]));
        assert_eq!((b.code, b.params[1]), (0x18, junk));
    }
}

#[test]
fn the_handles_driver_opens_checks_closes_and_leaks_one() {
    for arch in both() {
        let (mut k, d) = started("handles", arch);
        assert!(debug_lines(&k).last().unwrap().contains("checks 0 failed"), "{:?}", debug_lines(&k));
        let h = open_device(&mut k);
        let r = ioctl(&mut k, h, ctl(0x800, 0), &[], 8);
        assert_eq!(r.status(), status::SUCCESS);
        let r = ioctl(&mut k, h, ctl(0x801, 0), &[], 0);
        assert_eq!(r.status().0 as u64, STATUS_INVALID_HANDLE, "a bad handle in the caller's context fails");
        request::close(&mut k, h).unwrap();
        let u = driver::unload(&mut k, d).unwrap();
        assert_eq!(u.leaks.handles.len(), 1, "{arch:?}: {:?}", u.leaks);
        let leaked = &u.leaks.handles[0];
        assert_eq!((leaked.handle, leaked.process), (4, k.ext().system.user_process));
        assert_eq!(leaked.kind, Some(portcullis_hle::ob::ObjectKind::Process));
    }
}

fn open_device(k: &mut Kx) -> request::FileHandle {
    common::open(k, "\\\\.\\Handles")
}
