//! Smaller I/O manager routines: share access (`IoCheckShareAccess`, `IoSetShareAccess`,
//! `IoRemoveShareAccess`, `IoUpdateShareAccess`), `IoIsWdmVersionAvailable`,
//! `IoGetRequestorProcess(Id)`, `IoGetStackLimits`, `IoGetInitialStack`,
//! `IoValidateDeviceIoControlAccess`, and remove locks (`IoInitializeRemoveLockEx`,
//! `IoAcquireRemoveLockEx`, `IoReleaseRemoveLockEx`, `IoReleaseRemoveLockAndWaitEx`),
//! `IoGetFileObjectGenericMapping`.
#![allow(non_snake_case)]

use portcullis_emu::Reg;

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, ETHREAD, FILE_OBJECT, IO_STACK_LOCATION, IRP};
use crate::types::{status, Boolean, NtStatus, Ptr};

// ---- share access ----------------------------------------------------------------------

const FILE_READ_DATA: u32 = 0x1;
const FILE_WRITE_DATA: u32 = 0x2;
const FILE_APPEND_DATA: u32 = 0x4;
const FILE_EXECUTE: u32 = 0x20;
const DELETE: u32 = 0x1_0000;

/// SHARE_ACCESS: OpenCount, Readers, Writers, Deleters, SharedRead, SharedWrite, SharedDelete.
#[derive(Clone, Copy, Debug, Default)]
struct Share([u32; 7]);

fn read_share(k: &Kx, at: u64) -> KResult<Share> {
    let mut s = Share::default();
    for (i, v) in s.0.iter_mut().enumerate() {
        *v = k.mem().read_u32(at + 4 * i as u64)?;
    }
    Ok(s)
}

fn write_share(k: &mut Kx, at: u64, s: Share) -> KResult<()> {
    for (i, v) in s.0.iter().enumerate() {
        k.mem_mut().write_u32(at + 4 * i as u64, *v)?;
    }
    Ok(())
}

/// The file object's access and sharing bits: (read, write, delete, shared read, write, delete).
fn file_bits(k: &Kx, fo: u64) -> KResult<[bool; 6]> {
    let m = k.mem();
    Ok([
        m.get(fo, FILE_OBJECT::ReadAccess)? != 0,
        m.get(fo, FILE_OBJECT::WriteAccess)? != 0,
        m.get(fo, FILE_OBJECT::DeleteAccess)? != 0,
        m.get(fo, FILE_OBJECT::SharedRead)? != 0,
        m.get(fo, FILE_OBJECT::SharedWrite)? != 0,
        m.get(fo, FILE_OBJECT::SharedDelete)? != 0,
    ])
}

/// Sets the file object's bits from the desired access and sharing; returns them.
fn set_file_bits(k: &mut Kx, fo: u64, access: u32, share: u32) -> KResult<[bool; 6]> {
    let read = access & (FILE_READ_DATA | FILE_EXECUTE) != 0;
    let write = access & (FILE_WRITE_DATA | FILE_APPEND_DATA) != 0;
    let delete = access & DELETE != 0;
    let mem = k.mem_mut();
    mem.set(fo, FILE_OBJECT::ReadAccess, read as u64)?;
    mem.set(fo, FILE_OBJECT::WriteAccess, write as u64)?;
    mem.set(fo, FILE_OBJECT::DeleteAccess, delete as u64)?;
    let any = read || write || delete;
    let (sr, sw, sd) = (any && share & 1 != 0, any && share & 2 != 0, any && share & 4 != 0);
    if any {
        mem.set(fo, FILE_OBJECT::SharedRead, sr as u64)?;
        mem.set(fo, FILE_OBJECT::SharedWrite, sw as u64)?;
        mem.set(fo, FILE_OBJECT::SharedDelete, sd as u64)?;
    }
    Ok([read, write, delete, sr, sw, sd])
}

fn add(s: &mut Share, b: [bool; 6], sign: i64) {
    if !(b[0] || b[1] || b[2]) {
        return;
    }
    let step = |v: &mut u32, on: bool| {
        if on {
            *v = (*v as i64 + sign).max(0) as u32;
        }
    };
    step(&mut s.0[0], true);
    for (v, on) in s.0[1..].iter_mut().zip(b) {
        step(v, on);
    }
}

/// NTSTATUS IoCheckShareAccess(ACCESS_MASK DesiredAccess, ULONG DesiredShareAccess,
/// PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess, BOOLEAN Update)
pub fn IoCheckShareAccess(
    k: &mut Kx,
    access: u32,
    share: u32,
    fo: Ptr,
    share_access: Ptr,
    update: Boolean,
) -> KResult<NtStatus> {
    let b = set_file_bits(k, fo.0, access, share)?;
    if !(b[0] || b[1] || b[2]) {
        return Ok(status::SUCCESS);
    }
    let mut s = read_share(k, share_access.0)?;
    let [open, readers, writers, deleters, shared_read, shared_write, shared_delete] = s.0;
    let conflict = (b[0] && shared_read < open)
        || (b[1] && shared_write < open)
        || (b[2] && shared_delete < open)
        || (readers != 0 && !b[3])
        || (writers != 0 && !b[4])
        || (deleters != 0 && !b[5]);
    if conflict {
        return Ok(status::SHARING_VIOLATION);
    }
    if update.0 {
        add(&mut s, b, 1);
        write_share(k, share_access.0, s)?;
    }
    Ok(status::SUCCESS)
}

/// VOID IoSetShareAccess(ACCESS_MASK DesiredAccess, ULONG DesiredShareAccess,
/// PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess): the first open's counts.
pub fn IoSetShareAccess(k: &mut Kx, access: u32, share: u32, fo: Ptr, share_access: Ptr) -> KResult<()> {
    let b = set_file_bits(k, fo.0, access, share)?;
    let mut s = Share::default();
    add(&mut s, b, 1);
    write_share(k, share_access.0, s)
}

/// VOID IoRemoveShareAccess(PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess)
pub fn IoRemoveShareAccess(k: &mut Kx, fo: Ptr, share_access: Ptr) -> KResult<()> {
    let b = file_bits(k, fo.0)?;
    let mut s = read_share(k, share_access.0)?;
    add(&mut s, b, -1);
    write_share(k, share_access.0, s)
}

/// VOID IoUpdateShareAccess(PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess)
pub fn IoUpdateShareAccess(k: &mut Kx, fo: Ptr, share_access: Ptr) -> KResult<()> {
    let b = file_bits(k, fo.0)?;
    let mut s = read_share(k, share_access.0)?;
    add(&mut s, b, 1);
    write_share(k, share_access.0, s)
}

// ---- versions, requestors, stacks ------------------------------------------------------

/// The WDM version Windows 7 reports (WDM_MAJORVERSION, WDM_MINORVERSION).
pub const WDM_VERSION: (u8, u8) = (6, 0);

/// BOOLEAN IoIsWdmVersionAvailable(UCHAR MajorVersion, UCHAR MinorVersion)
pub fn IoIsWdmVersionAvailable(_k: &mut Kx, major: u8, minor: u8) -> KResult<Boolean> {
    Ok(Boolean((major, minor) <= WDM_VERSION))
}

fn requestor(k: &Kx, irp: u64) -> KResult<u64> {
    let thread = k.mem().get(irp, IRP::Thread)?;
    if thread == 0 {
        return Ok(0);
    }
    Ok(k.mem().get(thread, ETHREAD::Process)?)
}

/// PEPROCESS IoGetRequestorProcess(PIRP Irp): the process of the thread that issued it.
pub fn IoGetRequestorProcess(k: &mut Kx, irp: Ptr) -> KResult<Ptr> {
    Ok(Ptr(requestor(k, irp.0)?))
}

/// ULONG IoGetRequestorProcessId(PIRP Irp)
pub fn IoGetRequestorProcessId(k: &mut Kx, irp: Ptr) -> KResult<u32> {
    let p = requestor(k, irp.0)?;
    if p == 0 {
        return Ok(0);
    }
    Ok(k.mem().get(p, EPROCESS::UniqueProcessId)? as u32)
}

/// VOID IoGetStackLimits(PULONG_PTR LowLimit, PULONG_PTR HighLimit): the current kernel
/// stack's bounds.
pub fn IoGetStackLimits(k: &mut Kx, low: Ptr, high: Ptr) -> KResult<()> {
    let sp = k.reg(Reg::Sp);
    let (lo, hi) = match k.mem().region_at(sp) {
        Some(r) => (r.base, r.base + r.size),
        None => (0, 0),
    };
    k.mem_mut().write_ptr(low.0, lo)?;
    k.mem_mut().write_ptr(high.0, hi)?;
    Ok(())
}

/// PVOID IoGetInitialStack(void): the top of the current kernel stack.
pub fn IoGetInitialStack(k: &mut Kx) -> KResult<Ptr> {
    Ok(Ptr(k.stack_top()))
}

const FILE_READ_ACCESS: u32 = 1;
const FILE_WRITE_ACCESS: u32 = 2;
/// IO_STACK_LOCATION.Flags of a device control: the access the caller's handle grants.
pub const SL_READ_ACCESS_GRANTED: u64 = 0x01;
pub const SL_WRITE_ACCESS_GRANTED: u64 = 0x04;

/// NTSTATUS IoValidateDeviceIoControlAccess(PIRP Irp, ULONG RequiredAccess): whether the
/// handle a user-mode device control came through grants FILE_READ_ACCESS /
/// FILE_WRITE_ACCESS (kernel-mode requests always pass).
pub fn IoValidateDeviceIoControlAccess(k: &mut Kx, irp: Ptr, required: u32) -> KResult<NtStatus> {
    if required & !(FILE_READ_ACCESS | FILE_WRITE_ACCESS) != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if k.mem().get(irp.0, IRP::RequestorMode)? == 0 {
        return Ok(status::SUCCESS);
    }
    let loc = k.mem().get(irp.0, IRP::CurrentStackLocation)?;
    let major = k.mem().get(loc, IO_STACK_LOCATION::MajorFunction)? as u8;
    if major != crate::io::major::DEVICE_CONTROL && major != 0x0D {
        return Ok(status::INVALID_PARAMETER);
    }
    let flags = k.mem().get(loc, IO_STACK_LOCATION::Flags)?;
    if (required & FILE_READ_ACCESS != 0 && flags & SL_READ_ACCESS_GRANTED == 0)
        || (required & FILE_WRITE_ACCESS != 0 && flags & SL_WRITE_ACCESS_GRANTED == 0)
    {
        return Ok(status::ACCESS_DENIED);
    }
    Ok(status::SUCCESS)
}

// ---- remove locks ----------------------------------------------------------------------
//
// IO_REMOVE_LOCK (free build): Removed (BOOLEAN), IoCount (LONG) at 4, RemoveEvent (KEVENT)
// at 8. The count starts at 1 (the bias IoReleaseRemoveLockAndWait drops).

fn count_at(lock: u64) -> u64 {
    lock + 4
}

fn event_at(lock: u64) -> u64 {
    lock + 8
}

fn decrement(k: &mut Kx, lock: u64) -> KResult<i32> {
    let n = k.mem().read_u32(count_at(lock))? as i32 - 1;
    k.mem_mut().write_u32(count_at(lock), n as u32)?;
    if n == 0 {
        crate::io::irps::signal_event(k, event_at(lock))?;
    }
    Ok(n)
}

/// VOID IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag,
/// ULONG MaxLockedMinutes, ULONG HighWatermark, ULONG RemlockSize)
pub fn IoInitializeRemoveLockEx(
    k: &mut Kx,
    lock: Ptr,
    _tag: u32,
    _minutes: u32,
    _high: u32,
    _size: u32,
) -> KResult<()> {
    let mem = k.mem_mut();
    mem.write(lock.0, &[0; 4])?;
    mem.write_u32(count_at(lock.0), 1)?;
    // RemoveEvent: a notification event, not signaled.
    crate::ke::event::KeInitializeEvent(k, Ptr(event_at(lock.0)), 0, Boolean(false))
}

/// NTSTATUS IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File,
/// ULONG Line, ULONG RemlockSize): STATUS_DELETE_PENDING once the device is being removed.
pub fn IoAcquireRemoveLockEx(
    k: &mut Kx,
    lock: Ptr,
    _tag: Ptr,
    _file: Ptr,
    _line: u32,
    _size: u32,
) -> KResult<NtStatus> {
    let n = k.mem().read_u32(count_at(lock.0))?.wrapping_add(1);
    k.mem_mut().write_u32(count_at(lock.0), n)?;
    let mut removed = [0u8];
    k.mem().read(lock.0, &mut removed)?;
    if removed[0] != 0 {
        decrement(k, lock.0)?;
        return Ok(status::DELETE_PENDING);
    }
    Ok(status::SUCCESS)
}

/// VOID IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
pub fn IoReleaseRemoveLockEx(k: &mut Kx, lock: Ptr, _tag: Ptr, _size: u32) -> KResult<()> {
    decrement(k, lock.0)?;
    Ok(())
}

/// VOID IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag,
/// ULONG RemlockSize): marks the lock removed, drops the caller's acquisition and the
/// bias, and waits on RemoveEvent until every other holder has released it (the last
/// IoReleaseRemoveLock sets it).
pub fn IoReleaseRemoveLockAndWaitEx(k: &mut Kx, lock: Ptr, _tag: Ptr, _size: u32) -> KResult<()> {
    k.mem_mut().write(lock.0, &[1])?;
    decrement(k, lock.0)?;
    decrement(k, lock.0)?;
    let event = event_at(lock.0);
    crate::ke::wait::wait_for(
        k,
        vec![event],
        false,
        crate::ke::scheduler::reason::EXECUTIVE,
        0,
        false,
        None,
        "IoReleaseRemoveLockAndWaitEx",
    )?;
    Ok(())
}

// ---- the file objects' generic mapping -------------------------------------------------

/// PGENERIC_MAPPING IoGetFileObjectGenericMapping(void): the kernel's GENERIC_MAPPING of
/// file objects { FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
/// FILE_ALL_ACCESS }, the one access checks on files use. It lives in ntoskrnl's .data, as
/// Windows' IopFileMapping does; placed on the first request so that the boot layout of
/// .data stays as it is.
pub fn IoGetFileObjectGenericMapping(k: &mut Kx) -> KResult<Ptr> {
    if k.ext().io.file_mapping == 0 {
        let at = crate::loader::system::data_block(k, crate::exports::Dll::Ntoskrnl, 16)?;
        for (i, mask) in crate::se::sd::FILE_GENERIC_MAPPING.iter().enumerate() {
            k.mem_mut().write_u32(at + 4 * i as u64, *mask)?;
        }
        k.ext_mut().io.file_mapping = at;
    }
    Ok(Ptr(k.ext().io.file_mapping))
}
