//! MmCopyVirtualMemory: a copy between two processes' address spaces.
//!
//! Each user program has a user half of its own (`mm::space`): the source range is read in
//! the source process's space, then written in the target's, a page at a time each, as the
//! memory manager attaches to one and then the other. A process that has ended is
//! STATUS_PROCESS_IS_TERMINATING. For a UserMode caller both ranges must lie in user space
//! (the probe's STATUS_ACCESS_VIOLATION). A page that cannot be read or written ends the
//! copy: STATUS_PARTIAL_COPY, with the bytes copied so far in *NumberOfBytesCopied, as the
//! memory manager reports a fault during the move. The host holds at most [`CHUNK`] bytes of
//! it at a time, whatever length the guest asks for.
#![allow(non_snake_case)]

use portcullis_emu::PAGE_SIZE;

use crate::kernel::{KResult, Kx};
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, Ptr, SizeT};

const STATUS_PARTIAL_COPY: NtStatus = NtStatus(0x8000_000D);
const STATUS_PROCESS_IS_TERMINATING: NtStatus = NtStatus(0xC000_010A);

/// Checks that `process` is a process object (a bad reference otherwise) and whether it
/// has ended.
fn ended(k: &mut Kx, process: u64) -> KResult<bool> {
    let is_process = process == crate::ps::current_process(k)?
        || k.ext().objects.get(process).is_some_and(|o| o.kind == ObjectKind::Process);
    if !is_process {
        return Err(crate::ob::bad_reference(k, process, "MmCopyVirtualMemory"));
    }
    Ok(crate::ps::processes::by_object(k, process).is_some_and(|p| p.exited.is_some()))
}

/// NTSTATUS MmCopyVirtualMemory(PEPROCESS FromProcess, PVOID FromAddress, PEPROCESS
/// ToProcess, PVOID ToAddress, SIZE_T BufferSize, KPROCESSOR_MODE PreviousMode, PSIZE_T
/// NumberOfBytesCopied)
#[allow(clippy::too_many_arguments)]
pub fn MmCopyVirtualMemory(
    k: &mut Kx,
    from_process: Ptr,
    from: Ptr,
    to_process: Ptr,
    to: Ptr,
    size: SizeT,
    mode: u8,
    copied: Ptr,
) -> KResult<NtStatus> {
    if ended(k, from_process.0)? || ended(k, to_process.0)? {
        return Ok(STATUS_PROCESS_IS_TERMINATING);
    }
    let len = size.0;
    if len == 0 {
        k.mem_mut().write_ptr(copied.0, 0)?;
        return Ok(status::SUCCESS);
    }
    if mode != 0 {
        let limit = crate::seh::probe::user_probe_address(k.arch());
        let outside = |at: u64| at.checked_add(len).is_none_or(|end| end > limit);
        if outside(from.0) || outside(to.0) {
            return Ok(status::ACCESS_VIOLATION);
        }
    }
    let done = copy_across(k, Some(from_process.0), from.0, Some(to_process.0), to.0, len, false)?;
    k.mem_mut().write_ptr(copied.0, done)?;
    Ok(if done == len { status::SUCCESS } else { STATUS_PARTIAL_COPY })
}

/// How much of a copy between address spaces the host holds at once.
pub const CHUNK: u64 = 1 << 20;

/// Copies `len` bytes from `src` in `from`'s address space to `dst` in `to`'s (a process
/// object; None: the space loaded now), [`CHUNK`] bytes at a time: read in the source's
/// space up to the first page it cannot read, then written in the target's up to the first
/// page it cannot write (`force`: read-only pages too, as a debugger's write). Returns the
/// bytes copied; fewer than `len` when a page on either side stopped it.
pub fn copy_across(
    k: &mut Kx,
    from: Option<u64>,
    src: u64,
    to: Option<u64>,
    dst: u64,
    len: u64,
    force: bool,
) -> KResult<u64> {
    let mut data = Vec::new();
    let mut done = 0u64;
    while done < len {
        let want = (len - done).min(CHUNK);
        data.clear();
        let at = src.wrapping_add(done);
        within(k, from, |k| {
            while (data.len() as u64) < want {
                k.check_budget().map_err(crate::kernel::KError::Stop)?;
                let a = at.wrapping_add(data.len() as u64);
                let n = (PAGE_SIZE - a % PAGE_SIZE).min(want - data.len() as u64) as usize;
                let start = data.len();
                data.resize(start + n, 0);
                if k.mem().read(a, &mut data[start..]).is_err() {
                    data.truncate(start);
                    break;
                }
            }
            Ok(())
        })?;
        let at = dst.wrapping_add(done);
        let wrote = within(k, to, |k| {
            let mut n = 0u64;
            while n < data.len() as u64 {
                let a = at.wrapping_add(n);
                let m = (PAGE_SIZE - a % PAGE_SIZE).min(data.len() as u64 - n) as usize;
                let bytes = &data[n as usize..n as usize + m];
                let r = if force { k.mem_mut().write_unchecked(a, bytes) } else { k.mem_mut().write(a, bytes) };
                if r.is_err() {
                    break;
                }
                n += m as u64;
            }
            Ok(n)
        })?;
        done += wrote;
        if wrote < want {
            break;
        }
    }
    Ok(done)
}

/// Runs `f` in `process`'s address space, or in the one loaded now.
fn within<T>(k: &mut Kx, process: Option<u64>, f: impl FnOnce(&mut Kx) -> KResult<T>) -> KResult<T> {
    match process {
        Some(p) => crate::mm::space::in_process(k, p, f),
        None => f(k),
    }
}
