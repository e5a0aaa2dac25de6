//! The file-system helper routines and job objects through the real stubs on both
//! architectures (end to end: corpus/fshelpers and corpus/jobs): Mm and Cc on a file without
//! sections or cache map, and on an unreadable SECTION_OBJECT_POINTERS; IoEnqueueIrp's thread
//! list; IoQueryVolumeInformation's failures; a job's processes and its deletion.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::{ok, ok32};
use common::*;

use portcullis_hle::exports::Dll;
use portcullis_hle::layout::{FieldAccess, IO_STATUS_BLOCK, IRP, OBJECT_ATTRIBUTES};

#[test]
fn mm_and_cc_answer_for_a_file_without_sections_and_fault_on_an_unreadable_pointer() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let sop = fx.alloc(24);
        let size = fx.alloc(8);
        assert_eq!(ok(&mut fx, "MmFlushImageSection", &[sop, 1]) as u8, 1, "{arch:?}");
        assert_eq!(ok(&mut fx, "MmForceSectionClosed", &[sop, 1]) as u8, 1, "{arch:?}");
        assert_eq!(ok(&mut fx, "MmCanFileBeTruncated", &[sop, size]) as u8, 1, "{arch:?}");
        assert_eq!(ok(&mut fx, "CcPurgeCacheSection", &[sop, 0, 0, 0]) as u8, 1, "{arch:?}");
        let iosb = fx.alloc(16);
        fx.k.mem_mut().set(iosb, IO_STATUS_BLOCK::Status, 0x103).unwrap();
        fx.k.mem_mut().set(iosb, IO_STATUS_BLOCK::Information, 0xFF).unwrap();
        fx.call(Dll::Ntoskrnl, "CcFlushCache", &[sop, 0, 0, iosb]).unwrap();
        assert_eq!(fx.k.mem().get(iosb, IO_STATUS_BLOCK::Status).unwrap() & 0xFFFF_FFFF, 0, "{arch:?}");
        assert_eq!(fx.k.mem().get(iosb, IO_STATUS_BLOCK::Information).unwrap(), 0, "{arch:?}");
        for name in ["MmFlushImageSection", "MmForceSectionClosed"] {
            let mut fx = Fx::new(arch);
            let b = bugcheck(fx.call(Dll::Ntoskrnl, name, &[0, 0]));
            assert_eq!(b.code, 0x1E, "{arch:?} {name}: a NULL SECTION_OBJECT_POINTERS faults");
        }
    }
}

#[test]
fn io_enqueue_irp_links_into_the_thread_list_and_free_unlinks() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let thread = ok(&mut fx, "PsGetCurrentThread", &[]);
        let first = ok(&mut fx, "IoAllocateIrp", &[1, 0]);
        let second = ok(&mut fx, "IoAllocateIrp", &[1, 0]);
        for irp in [first, second] {
            fx.k.mem_mut().set(irp, IRP::Thread, thread).unwrap();
            fx.call(Dll::Ntoskrnl, "IoEnqueueIrp", &[irp]).unwrap();
        }
        let list = |fx: &Fx| portcullis_hle::io::thread_irps::thread_irps(&fx.k, thread).unwrap();
        assert_eq!(list(&fx), vec![second, first], "{arch:?}: the last enqueued first");
        // Enqueued again: it moves to the head, the list stays whole.
        fx.call(Dll::Ntoskrnl, "IoEnqueueIrp", &[first]).unwrap();
        assert_eq!(list(&fx), vec![first, second], "{arch:?}");
        fx.call(Dll::Ntoskrnl, "IoFreeIrp", &[first]).unwrap();
        assert_eq!(list(&fx), vec![second], "{arch:?}");
        fx.call(Dll::Ntoskrnl, "IoFreeIrp", &[second]).unwrap();
        assert!(list(&fx).is_empty(), "{arch:?}");

        // An IRP with no thread: Windows dereferences the thread.
        let orphan = ok(&mut fx, "IoAllocateIrp", &[1, 0]);
        let b = bugcheck(fx.call(Dll::Ntoskrnl, "IoEnqueueIrp", &[orphan]));
        assert_eq!(b.code, 0x1E, "{arch:?}");
    }
}

#[test]
fn io_query_volume_information_needs_a_volume_file_and_a_known_class() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let name = fx.ustr("\\??\\C:\\query.txt");
        let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(arch)).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::ObjectName, name).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x240).unwrap();
        let (out, iosb) = (fx.alloc(8), fx.alloc(16));
        // GENERIC_READ | GENERIC_WRITE, FILE_OVERWRITE_IF, synchronous, non-directory.
        assert_eq!(ok32(&mut fx, "ZwCreateFile", &[out, 0xC010_0000, oa, iosb, 0, 0x80, 0, 5, 0x60, 0, 0]), 0);
        let h = fx.read_ptr(out);
        assert_eq!(ok32(&mut fx, "ObReferenceObjectByHandle", &[h, 0, 0, 0, out, 0]), 0);
        let fo = fx.read_ptr(out);
        let (info, returned) = (fx.alloc(64), fx.alloc(4));
        fx.k.mem_mut().write_u32(returned, 0xFF).unwrap();
        // FileFsDeviceInformation: a disk, mounted.
        assert_eq!(ok32(&mut fx, "IoQueryVolumeInformation", &[fo, 4, 64, info, returned]), 0, "{arch:?}");
        assert_eq!(fx.read(info, 8), [7, 0, 0, 0, 0x20, 0, 0, 0], "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(returned).unwrap(), 8, "{arch:?}");
        fx.k.mem_mut().write_u32(returned, 0xFF).unwrap();
        assert_eq!(ok32(&mut fx, "IoQueryVolumeInformation", &[fo, 99, 64, info, returned]), 0xC000_0003);
        assert_eq!(ok32(&mut fx, "IoQueryVolumeInformation", &[fo, 4, 4, info, returned]), 0xC000_0004);
        // The file's position through IoQueryFileInformation (FilePositionInformation).
        assert_eq!(ok32(&mut fx, "IoQueryFileInformation", &[fo, 14, 8, info, returned]), 0, "{arch:?}");
        assert_eq!(fx.k.mem().read_u64(info).unwrap(), 0, "{arch:?}");
        assert_eq!(fx.k.mem().read_u32(returned).unwrap(), 8, "{arch:?}");
        // Not a file object of the volume (the returned length is left alone).
        let other = fx.alloc(0x100);
        fx.k.mem_mut().write_u32(returned, 0xFF).unwrap();
        assert_eq!(ok32(&mut fx, "IoQueryVolumeInformation", &[other, 4, 64, info, returned]), 0xC000_0010);
        assert_eq!(ok32(&mut fx, "IoQueryFileInformation", &[other, 14, 8, info, returned]), 0xC000_0010);
        assert_eq!(fx.k.mem().read_u32(returned).unwrap(), 0xFF, "{arch:?}");
    }
}

#[test]
fn a_job_ends_its_processes_and_lets_them_go_when_deleted() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (job_out, process_out) = (fx.alloc(8), fx.alloc(8));
        let oa = fx.alloc(OBJECT_ATTRIBUTES::STRUCT.size(arch));
        let mem = fx.k.mem_mut();
        mem.set(oa, OBJECT_ATTRIBUTES::Length, OBJECT_ATTRIBUTES::STRUCT.size(arch)).unwrap();
        mem.set(oa, OBJECT_ATTRIBUTES::Attributes, 0x200).unwrap();
        assert_eq!(ok32(&mut fx, "ZwCreateJobObject", &[job_out, 0x1F_003F, 0]), 0, "{arch:?}: unnamed");
        let job = fx.read_ptr(job_out);
        let cid = fx.alloc(16);
        fx.k.mem_mut().write_ptr(cid, portcullis_hle::ps::USER_PID).unwrap();
        assert_eq!(ok32(&mut fx, "ZwOpenProcess", &[process_out, 0x1F_FFFF, oa, cid]), 0, "{arch:?}");
        let process = fx.read_ptr(process_out);
        assert_eq!(ok32(&mut fx, "ZwAssignProcessToJobObject", &[job, process]), 0, "{arch:?}");
        assert_eq!(ok32(&mut fx, "ZwAssignProcessToJobObject", &[job, job]), 0xC000_0024, "{arch:?}");
        assert_eq!(ok32(&mut fx, "ZwAssignProcessToJobObject", &[0x7777_0000, process]), 0xC000_0008);
        let eprocess = fx.k.ext().system.user_process;
        let job_object = portcullis_hle::zw::job::job_of(&fx.k, eprocess).expect("in the job");

        assert_eq!(ok32(&mut fx, "ZwTerminateJobObject", &[job, 0xC0DE]), 0, "{arch:?}");
        let user = portcullis_hle::ps::processes::find(&fx.k, portcullis_hle::ps::USER_PID).unwrap();
        assert_eq!(user.exited, Some(0xC0DE), "{arch:?}");
        assert_eq!(ok32(&mut fx, "ZwAssignProcessToJobObject", &[job, process]), 0xC000_010A, "{arch:?}");

        assert_eq!(ok32(&mut fx, "ZwClose", &[job]), 0, "{arch:?}");
        assert!(fx.k.ext().objects.get(job_object).is_none(), "{arch:?}: the job is deleted");
        assert_eq!(portcullis_hle::zw::job::job_of(&fx.k, eprocess), None, "{arch:?}");
    }
}
