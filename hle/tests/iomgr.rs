//! I/O manager breadth through the real stubs on both architectures: device stacks, IRPs
//! drivers allocate and free, the cancel spin lock, device queues, share access, remove
//! locks, error-log packets and the smaller routines, with the bugchecks Windows raises for
//! their misuse. The iostack corpus driver runs the same routines end to end.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, DEVICE_OBJECT, FILE_OBJECT, IRP};

const NT: Dll = Dll::Ntoskrnl;
const FILE_DEVICE_UNKNOWN: u64 = 0x22;
const STATUS_SHARING_VIOLATION: u64 = 0xC000_0043;
const STATUS_DELETE_PENDING: u64 = 0xC000_0056;
const STATUS_NO_SUCH_DEVICE: u64 = 0xC000_000E;
const STATUS_INVALID_PARAMETER: u64 = 0xC000_000D;

fn u32_at(fx: &Fx, at: u64) -> u32 {
    u32::from_le_bytes(fx.read(at, 4).try_into().unwrap())
}

fn device(fx: &mut Fx, drv: u64, name: Option<&str>) -> u64 {
    let out = fx.alloc(8);
    let n = name.map(|n| fx.ustr(n)).unwrap_or(0);
    let st = fx.call(NT, "IoCreateDevice", &[drv, 0x10, n, FILE_DEVICE_UNKNOWN, 0, 0, out]).unwrap();
    assert_eq!(st, 0);
    fx.read_ptr(out)
}

#[test]
fn attaching_builds_a_stack_and_detaching_undoes_it() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let lower = device(&mut fx, drv, Some("\\Device\\StackLower"));
        let filter = device(&mut fx, drv, None);
        let upper = device(&mut fx, drv, None);
        let r = fx.call(NT, "IoAttachDeviceToDeviceStack", &[filter, lower]).unwrap();
        assert_eq!(r, lower, "{arch:?}");
        // Attaching to the lower device again lands on the top of its stack.
        let out = fx.alloc(8);
        let st = fx.call(NT, "IoAttachDeviceToDeviceStackSafe", &[upper, lower, out]).unwrap();
        assert_eq!((st, fx.read_ptr(out)), (0, filter));
        let m = fx.k.mem();
        assert_eq!(m.get(lower, DEVICE_OBJECT::AttachedDevice).unwrap(), filter);
        assert_eq!(m.get(filter, DEVICE_OBJECT::AttachedDevice).unwrap(), upper);
        assert_eq!(m.get(filter, DEVICE_OBJECT::StackSize).unwrap(), 2);
        assert_eq!(m.get(upper, DEVICE_OBJECT::StackSize).unwrap(), 3);
        assert_eq!(fx.call(NT, "IoGetAttachedDevice", &[lower]).unwrap(), upper);
        assert_eq!(fx.call(NT, "IoGetAttachedDeviceReference", &[filter]).unwrap(), upper);
        fx.call(NT, "ObfDereferenceObject", &[upper]).unwrap();
        // A device already attached cannot attach again; something that is no device neither.
        assert_eq!(fx.call(NT, "IoAttachDeviceToDeviceStack", &[upper, lower]).unwrap(), 0);
        let junk = fx.alloc(0x200);
        assert_eq!(fx.call(NT, "IoAttachDeviceToDeviceStack", &[junk, lower]).unwrap(), 0);
        let st = fx.call(NT, "IoAttachDeviceToDeviceStackSafe", &[junk, lower, out]).unwrap();
        assert_eq!((st, fx.read_ptr(out)), (STATUS_NO_SUCH_DEVICE, 0));
        // IoAttachDevice by name, then detach from the top down.
        let name = fx.ustr("\\Device\\StackLower");
        let fourth = device(&mut fx, drv, None);
        let st = fx.call(NT, "IoAttachDevice", &[fourth, name, out]).unwrap();
        assert_eq!((st, fx.read_ptr(out)), (0, upper));
        fx.call(NT, "IoDetachDevice", &[upper]).unwrap();
        fx.call(NT, "IoDetachDevice", &[filter]).unwrap();
        assert_eq!(fx.call(NT, "IoGetAttachedDevice", &[lower]).unwrap(), filter);
        fx.call(NT, "IoDetachDevice", &[lower]).unwrap();
        assert_eq!(fx.call(NT, "IoGetAttachedDevice", &[lower]).unwrap(), lower);
    }
}

#[test]
fn allocated_irps_are_laid_out_and_freed_once() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let irp = fx.call(NT, "IoAllocateIrp", &[3, 0]).unwrap();
        assert_ne!(irp, 0);
        let m = fx.k.mem();
        assert_eq!(m.get(irp, IRP::Type).unwrap(), 6);
        assert_eq!(m.get(irp, IRP::StackCount).unwrap(), 3);
        assert_eq!(m.get(irp, IRP::CurrentLocation).unwrap(), 4);
        let size = IRP::STRUCT.size(arch) + 3 * portcullis_hle::layout::IO_STACK_LOCATION::STRUCT.size(arch);
        assert_eq!(m.get(irp, IRP::Size).unwrap(), size);
        assert_eq!(m.get(irp, IRP::CurrentStackLocation).unwrap(), irp + size);
        fx.call(NT, "IoReuseIrp", &[irp, 0xC000_00BB]).unwrap();
        assert_eq!(u32_at(&fx, IRP::IoStatus.at(arch, irp)), 0xC000_00BB);
        assert_eq!(fx.k.mem().get(irp, IRP::CurrentLocation).unwrap(), 4);
        fx.call(NT, "IoFreeIrp", &[irp]).unwrap();
        let b = bugcheck(fx.call(NT, "IoFreeIrp", &[irp]));
        assert_eq!(b.code, 0xC2, "{arch:?}: a second free");
        // Completing an IRP that no one sent is MULTIPLE_IRP_COMPLETE_REQUESTS.
        let (mut fx, _) = Fx::with_driver(arch);
        let junk = fx.alloc(0x100);
        assert_eq!(bugcheck(fx.call(NT, "IofCompleteRequest", &[junk, 0])).code, 0x44);
    }
}

#[test]
fn the_cancel_spin_lock_raises_to_dispatch_and_is_not_recursive() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        let irql = fx.alloc(8);
        fx.call(NT, "IoAcquireCancelSpinLock", &[irql]).unwrap();
        assert_eq!(fx.read(irql, 1), [0]);
        assert_eq!(portcullis_hle::ke::irql::current(&fx.k).unwrap(), 2);
        fx.call(NT, "IoReleaseCancelSpinLock", &[0]).unwrap();
        assert_eq!(portcullis_hle::ke::irql::current(&fx.k).unwrap(), 0);
        assert_eq!(bugcheck(fx.call(NT, "IoReleaseCancelSpinLock", &[0])).code, 0x10, "{arch:?}");
        let (mut fx, _) = Fx::with_driver(arch);
        fx.call(NT, "IoAcquireCancelSpinLock", &[irql]).unwrap();
        assert_eq!(bugcheck(fx.call(NT, "IoAcquireCancelSpinLock", &[irql])).code, 0x0F, "{arch:?}");
        // IoCancelIrp of an IRP without a cancel routine marks it and returns FALSE.
        let (mut fx, _) = Fx::with_driver(arch);
        let irp = fx.call(NT, "IoAllocateIrp", &[1, 0]).unwrap();
        assert_eq!(fx.call(NT, "IoCancelIrp", &[irp]).unwrap() & 0xFF, 0);
        assert_eq!(fx.k.mem().get(irp, IRP::Cancel).unwrap(), 1);
        assert_eq!(portcullis_hle::ke::irql::current(&fx.k).unwrap(), 0);
    }
}

#[test]
fn device_queues_keep_their_order_and_go_idle_when_empty() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let q = fx.alloc(0x40);
        let e: Vec<u64> = (0..4).map(|_| fx.alloc(0x20)).collect();
        fx.call(NT, "KeInitializeDeviceQueue", &[q]).unwrap();
        assert_eq!(fx.call(NT, "KeInsertDeviceQueue", &[q, e[0]]).unwrap() & 0xFF, 0, "idle: not queued");
        assert_eq!(fx.call(NT, "KeInsertByKeyDeviceQueue", &[q, e[1], 7]).unwrap() & 0xFF, 1);
        assert_eq!(fx.call(NT, "KeInsertByKeyDeviceQueue", &[q, e[2], 2]).unwrap() & 0xFF, 1);
        assert_eq!(fx.call(NT, "KeInsertByKeyDeviceQueue", &[q, e[3], 7]).unwrap() & 0xFF, 1);
        // Sorted by key, equal keys in arrival order: 2, 7 (e1), 7 (e3).
        assert_eq!(fx.call(NT, "KeRemoveByKeyDeviceQueue", &[q, 8]).unwrap(), e[2], "{arch:?}: none at 8: the first");
        assert_eq!(fx.call(NT, "KeRemoveByKeyDeviceQueue", &[q, 7]).unwrap(), e[1]);
        assert_eq!(fx.call(NT, "KeRemoveEntryDeviceQueue", &[q, e[3]]).unwrap() & 0xFF, 1);
        assert_eq!(fx.call(NT, "KeRemoveEntryDeviceQueue", &[q, e[3]]).unwrap() & 0xFF, 0);
        assert_eq!(fx.call(NT, "KeRemoveByKeyDeviceQueueIfBusy", &[q, 0]).unwrap(), 0);
        assert_eq!(fx.call(NT, "KeRemoveDeviceQueue", &[q]).unwrap(), 0, "now idle");
        assert_eq!(fx.call(NT, "KeRemoveByKeyDeviceQueueIfBusy", &[q, 0]).unwrap(), 0);
    }
}

#[test]
fn share_access_follows_the_file_objects_access_and_sharing() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let share = fx.alloc(28);
        let (a, b, c) = (fx.alloc(0x100), fx.alloc(0x100), fx.alloc(0x100));
        // A reader that shares reading.
        fx.call(NT, "IoSetShareAccess", &[1, 1, a, share]).unwrap();
        let counts: Vec<u32> = (0..7).map(|i| u32_at(&fx, share + 4 * i)).collect();
        assert_eq!(counts, [1, 1, 0, 0, 1, 0, 0], "{arch:?}");
        assert_eq!(fx.k.mem().get(a, FILE_OBJECT::ReadAccess).unwrap(), 1);
        // A writer conflicts (the reader does not share writing); another reader does not.
        assert_eq!(fx.call(NT, "IoCheckShareAccess", &[2, 3, b, share, 1]).unwrap(), STATUS_SHARING_VIOLATION);
        assert_eq!(fx.call(NT, "IoCheckShareAccess", &[1, 1, c, share, 1]).unwrap(), 0);
        assert_eq!(u32_at(&fx, share), 2);
        // A reader that refuses to share reading conflicts with the readers there.
        assert_eq!(fx.call(NT, "IoCheckShareAccess", &[1, 0, b, share, 0]).unwrap(), STATUS_SHARING_VIOLATION);
        fx.call(NT, "IoRemoveShareAccess", &[c, share]).unwrap();
        fx.call(NT, "IoRemoveShareAccess", &[a, share]).unwrap();
        let counts: Vec<u32> = (0..7).map(|i| u32_at(&fx, share + 4 * i)).collect();
        assert_eq!(counts, [0; 7]);
        // No data access at all: nothing counted, always compatible.
        assert_eq!(fx.call(NT, "IoCheckShareAccess", &[0x80, 0, b, share, 1]).unwrap(), 0);
        assert_eq!(u32_at(&fx, share), 0);
        fx.call(NT, "IoUpdateShareAccess", &[a, share]).unwrap();
        assert_eq!(u32_at(&fx, share), 1);
    }
}

#[test]
fn remove_locks_refuse_once_removed() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let lock = fx.alloc(0x40);
        let size = if arch == Arch::X86 { 0x18 } else { 0x20 };
        fx.call(NT, "IoInitializeRemoveLockEx", &[lock, 0x7473_6554, 0, 0, size]).unwrap();
        assert_eq!(u32_at(&fx, lock + 4), 1, "{arch:?}: the bias");
        assert_eq!(fx.call(NT, "IoAcquireRemoveLockEx", &[lock, 1, 0, 0, size]).unwrap(), 0);
        assert_eq!(fx.call(NT, "IoAcquireRemoveLockEx", &[lock, 2, 0, 0, size]).unwrap(), 0);
        fx.call(NT, "IoReleaseRemoveLockEx", &[lock, 2, size]).unwrap();
        fx.call(NT, "IoReleaseRemoveLockAndWaitEx", &[lock, 1, size]).unwrap();
        assert_eq!(u32_at(&fx, lock + 4), 0);
        assert_eq!(u32_at(&fx, lock + 8 + 4), 1, "RemoveEvent signalled");
        assert_eq!(fx.call(NT, "IoAcquireRemoveLockEx", &[lock, 3, 0, 0, size]).unwrap(), STATUS_DELETE_PENDING);
        assert_eq!(u32_at(&fx, lock + 4), 0);
    }
}

#[test]
fn error_log_packets_are_bounded_and_written_or_freed_once() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let dev = device(&mut fx, drv, Some("\\Device\\Logger"));
        let max = if arch == Arch::X86 { 0x98 } else { 0xF0 };
        assert_eq!(fx.call(NT, "IoAllocateErrorLogEntry", &[dev, max + 1]).unwrap(), 0, "{arch:?}");
        let junk = fx.alloc(0x100);
        assert_eq!(fx.call(NT, "IoAllocateErrorLogEntry", &[junk, 0x30]).unwrap(), 0, "not a device or driver");
        let p = fx.call(NT, "IoAllocateErrorLogEntry", &[dev, max]).unwrap();
        assert_ne!(p, 0);
        assert!(fx.read(p, max as usize).iter().all(|b| *b == 0), "zeroed");
        fx.k.mem_mut().write_u32(p + 0xC, 0xC004_0001).unwrap();
        fx.call(NT, "IoWriteErrorLogEntry", &[p]).unwrap();
        assert_eq!(bugcheck(fx.call(NT, "IoFreeErrorLogEntry", &[p])).code, 0xC2, "written already");
    }
}

#[test]
fn small_routines_answer_as_windows_7() {
    for arch in both() {
        let (mut fx, _) = Fx::with_driver(arch);
        for (major, minor, ok) in [(1, 0x30, 1), (6, 0, 1), (6, 1, 0), (7, 0, 0)] {
            assert_eq!(fx.call(NT, "IoIsWdmVersionAvailable", &[major, minor]).unwrap() & 0xFF, ok, "{arch:?}");
        }
        let (low, high) = (fx.alloc(8), fx.alloc(8));
        fx.call(NT, "IoGetStackLimits", &[low, high]).unwrap();
        let (l, h) = (fx.read_ptr(low), fx.read_ptr(high));
        assert!(l < h && h - l >= 0x4000, "{arch:?}: {l:#x}..{h:#x}");
        let top = fx.call(NT, "IoGetInitialStack", &[]).unwrap();
        assert!(l < top && top <= h);
        // A kernel-mode IRP passes any access check; a bad access mask never does.
        let irp = fx.call(NT, "IoAllocateIrp", &[1, 0]).unwrap();
        assert_eq!(fx.call(NT, "IoValidateDeviceIoControlAccess", &[irp, 3]).unwrap(), 0);
        assert_eq!(fx.call(NT, "IoValidateDeviceIoControlAccess", &[irp, 4]).unwrap(), STATUS_INVALID_PARAMETER);
        // An IRP without a thread has no requestor.
        assert_eq!(fx.call(NT, "IoGetRequestorProcess", &[irp]).unwrap(), 0);
        assert_eq!(fx.call(NT, "IoGetRequestorProcessId", &[irp]).unwrap() & 0xFFFF_FFFF, 0);
    }
}

#[test]
fn irps_in_driver_memory_and_attaching_by_pointer() {
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let size = IRP::STRUCT.size(arch) + 2 * portcullis_hle::layout::IO_STACK_LOCATION::STRUCT.size(arch);
        let mem = fx.alloc(size);
        fx.k.mem_mut().write(mem, &vec![0xAA; size as usize]).unwrap();
        fx.call(NT, "IoInitializeIrp", &[mem, size, 2]).unwrap();
        let m = fx.k.mem();
        assert_eq!(m.get(mem, IRP::Type).unwrap(), 6, "{arch:?}");
        assert_eq!((m.get(mem, IRP::StackCount).unwrap(), m.get(mem, IRP::CurrentLocation).unwrap()), (2, 3));
        assert_eq!(m.get(mem, IRP::Cancel).unwrap(), 0, "zeroed");
        assert_eq!(m.get(mem, IRP::CurrentStackLocation).unwrap(), mem + size);
        let lower = device(&mut fx, drv, Some("\\Device\\ByPointer"));
        let upper = device(&mut fx, drv, None);
        assert_eq!(fx.call(NT, "IoAttachDeviceByPointer", &[upper, lower]).unwrap(), 0);
        assert_eq!(fx.call(NT, "IoAttachDeviceByPointer", &[upper, lower]).unwrap(), STATUS_NO_SUCH_DEVICE);
        assert_eq!(fx.call(NT, "IoGetAttachedDevice", &[lower]).unwrap(), upper);
    }
}

#[test]
fn releasing_a_remove_lock_and_waiting_waits_for_the_other_holders() {
    use common::guest::*;
    for arch in both() {
        let mut fx = Fx::new(arch);
        let lock = fx.alloc(0x40);
        let size = if arch == Arch::X86 { 0x18 } else { 0x20 };
        fx.call(NT, "IoInitializeRemoveLockEx", &[lock, 0x7473_6554, 0, 0, size]).unwrap();
        assert_eq!(fx.call(NT, "IoAcquireRemoveLockEx", &[lock, 1, 0, 0, size]).unwrap(), 0);
        assert_eq!(fx.call(NT, "IoAcquireRemoveLockEx", &[lock, 2, 0, 0, size]).unwrap(), 0);
        // A system thread holds tag 2: it notes that it ran, then releases it.
        let ran = fx.alloc(8);
        let start = routine(&mut fx, 1, |a, r| {
            a.inc(ran);
            let (release, c) = r("IoReleaseRemoveLockEx");
            a.call(release, c, &[K(lock), K(2), K(size)]);
        });
        let h = fx.alloc(8);
        assert_eq!(ok32(&mut fx, "PsCreateSystemThread", &[h, 0x1F_FFFF, 0, 0, 0, start, 0]), 0);
        assert_eq!(fx.read_ptr(ran), 0, "{arch:?}: the thread has not run yet");
        // The caller's wait on RemoveEvent lets the thread run; its release ends the wait.
        fx.call(NT, "IoReleaseRemoveLockAndWaitEx", &[lock, 1, size]).unwrap();
        assert_eq!(fx.read_ptr(ran), 1, "{arch:?}: the holder released it first");
        assert_eq!(u32_at(&fx, lock + 4), 0);
        assert_eq!(u32_at(&fx, lock + 8 + 4), 1, "RemoveEvent signalled");
        let handle = fx.read_ptr(h);
        assert_eq!(ok32(&mut fx, "ZwClose", &[handle]), 0);
    }
}

#[test]
fn the_file_object_generic_mapping_is_one_block_of_the_kernel() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let m = fx.call(NT, "IoGetFileObjectGenericMapping", &[]).unwrap();
        assert_ne!(m, 0);
        // FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS.
        let masks: Vec<u32> = (0..4).map(|i| u32_at(&fx, m + 4 * i)).collect();
        assert_eq!(masks, vec![0x0012_0089, 0x0012_0116, 0x0012_00A0, 0x001F_01FF]);
        assert_eq!(fx.call(NT, "IoGetFileObjectGenericMapping", &[]).unwrap(), m, "the same block each time");
        let image = portcullis_hle::loader::system::image_at(&fx.k, m).map(|i| i.dll);
        assert_eq!(image, Some(NT), "in ntoskrnl's image, as IopFileMapping is");
    }
}

#[test]
fn the_top_level_irp_is_the_current_threads_until_cleared() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        assert_eq!(fx.call(NT, "IoGetTopLevelIrp", &[]).unwrap(), 0, "{arch:?}: none at first");
        let irp = fx.alloc(0x100);
        fx.call(NT, "IoSetTopLevelIrp", &[irp]).unwrap();
        assert_eq!(fx.call(NT, "IoGetTopLevelIrp", &[]).unwrap(), irp, "{arch:?}");
        // FSRTL_FSP_TOP_LEVEL_IRP (2): a marker, kept as it is.
        fx.call(NT, "IoSetTopLevelIrp", &[2]).unwrap();
        assert_eq!(fx.call(NT, "IoGetTopLevelIrp", &[]).unwrap(), 2, "{arch:?}");
        fx.call(NT, "IoSetTopLevelIrp", &[0]).unwrap();
        assert_eq!(fx.call(NT, "IoGetTopLevelIrp", &[]).unwrap(), 0, "{arch:?}: cleared");
    }
}

/// A create dispatch routine that writes the device it was called for at `cell` and returns
/// STATUS_ACCESS_DENIED without completing the IRP.
fn records_device(fx: &mut Fx, cell: u64) -> u64 {
    let code =
        fx.k.mem_mut().alloc(portcullis_emu::RegionKind::System, "dispatch", 0x100, portcullis_emu::Prot::RWX).unwrap();
    let mut b = Vec::new();
    if fx.arch == Arch::X64 {
        b.extend([0x48, 0xB8]); // mov rax, cell
        b.extend(cell.to_le_bytes());
        b.extend([0x48, 0x89, 0x08]); // mov [rax], rcx
        b.extend([0xB8, 0x22, 0x00, 0x00, 0xC0, 0xC3]); // mov eax, STATUS_ACCESS_DENIED; ret
    } else {
        b.extend([0x8B, 0x44, 0x24, 0x04, 0xA3]); // mov eax, [esp+4]; mov [cell], eax
        b.extend((cell as u32).to_le_bytes());
        b.extend([0xB8, 0x22, 0x00, 0x00, 0xC0, 0xC2, 0x08, 0x00]); // mov eax, ...; ret 8
    }
    fx.k.mem_mut().write(code, &b).unwrap();
    code
}

#[test]
fn a_create_with_a_device_hint_goes_to_that_device_of_the_stack() {
    const STATUS_PENDING: u64 = 0x103;
    const STATUS_INVALID_DEVICE_OBJECT_PARAMETER: u64 = 0xC000_0369;
    for arch in both() {
        let (mut fx, drv) = Fx::with_driver(arch);
        let lower = device(&mut fx, drv, Some("\\Device\\HintLower"));
        let filter = device(&mut fx, drv, None);
        assert_eq!(fx.call(NT, "IoAttachDeviceToDeviceStack", &[filter, lower]).unwrap(), lower);
        let elsewhere = device(&mut fx, drv, None);
        for d in [lower, filter, elsewhere] {
            // DriverEntry would have cleared DO_DEVICE_INITIALIZING.
            let flags = fx.k.mem().get(d, DEVICE_OBJECT::Flags).unwrap();
            fx.k.mem_mut().set(d, DEVICE_OBJECT::Flags, flags & !0x80).unwrap();
        }
        let cell = fx.alloc(8);
        let routine = records_device(&mut fx, cell);
        let major_create = portcullis_hle::layout::DRIVER_OBJECT::MajorFunction.at(arch, drv);
        fx.k.mem_mut().write_ptr(major_create, routine).unwrap();
        let name = fx.ustr("\\Device\\HintLower");
        let oa = fx.alloc(portcullis_hle::layout::OBJECT_ATTRIBUTES::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(
            oa,
            portcullis_hle::layout::OBJECT_ATTRIBUTES::Length,
            portcullis_hle::layout::OBJECT_ATTRIBUTES::STRUCT.size(arch),
        )
        .unwrap();
        mem.set(oa, portcullis_hle::layout::OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
        mem.set(oa, portcullis_hle::layout::OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
        let (h, iosb) = (fx.alloc(8), fx.alloc(16));
        let open = |fx: &mut Fx, hint: u64| {
            fx.k.mem_mut().write_ptr(cell, 0).unwrap();
            // GENERIC_READ, FILE_OPEN, no EAs, CreateFileTypeNone, no options.
            let args = [h, 0x8000_0000, oa, iosb, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, hint];
            let st = fx.call(NT, "IoCreateFileSpecifyDeviceObjectHint", &args).unwrap() & 0xFFFF_FFFF;
            (st, fx.read_ptr(cell))
        };
        // The hint: the lower device gets the create, the filter above it does not.
        assert_eq!(open(&mut fx, lower), (STATUS_PENDING, lower), "{arch:?}");
        // No hint: the top of the stack, as IoCreateFile.
        assert_eq!(open(&mut fx, 0), (STATUS_PENDING, filter), "{arch:?}");
        // A device of another stack: refused, and no one sees the create.
        assert_eq!(open(&mut fx, elsewhere), (STATUS_INVALID_DEVICE_OBJECT_PARAMETER, 0), "{arch:?}");
        assert_eq!(u32_at(&fx, iosb) as u64, STATUS_INVALID_DEVICE_OBJECT_PARAMETER);
    }
}
