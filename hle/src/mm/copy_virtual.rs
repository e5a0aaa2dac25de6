//! MmCopyVirtualMemory: a copy between two processes' address spaces.
//!
//! Each user program has a user half of its own (`mm::space`): the source range is read in
//! the source process's space, then written in the target's, a page at a time each, as the
//! memory manager attaches to one and then the other. A process that has ended is
//! STATUS_PROCESS_IS_TERMINATING. For a UserMode caller both ranges must lie in user space
//! (the probe's STATUS_ACCESS_VIOLATION). A page that cannot be read or written ends the
//! copy: STATUS_PARTIAL_COPY, with the bytes copied so far in *NumberOfBytesCopied, as the
//! memory manager reports a fault during the move.
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
    // Read what the source has (up to the first page it cannot read), then write it.
    let mut data = Vec::new();
    crate::mm::space::in_process(k, from_process.0, |k| {
        while (data.len() as u64) < len {
            k.check_budget().map_err(crate::kernel::KError::Stop)?;
            let src = from.0.wrapping_add(data.len() as u64);
            let n = (PAGE_SIZE - src % PAGE_SIZE).min(len - data.len() as u64) as usize;
            let start = data.len();
            data.resize(start + n, 0);
            if k.mem().read(src, &mut data[start..]).is_err() {
                data.truncate(start);
                break;
            }
        }
        Ok(())
    })?;
    let done = crate::mm::space::in_process(k, to_process.0, |k| {
        let mut done = 0u64;
        while done < data.len() as u64 {
            let dst = to.0.wrapping_add(done);
            let n = (PAGE_SIZE - dst % PAGE_SIZE).min(data.len() as u64 - done) as usize;
            if k.mem_mut().write(dst, &data[done as usize..done as usize + n]).is_err() {
                break;
            }
            done += n as u64;
        }
        Ok(done)
    })?;
    k.mem_mut().write_ptr(copied.0, done)?;
    Ok(if done == len { status::SUCCESS } else { STATUS_PARTIAL_COPY })
}
