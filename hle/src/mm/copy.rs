//! `MmCopyMemory`: a copy that never faults, from virtual or physical memory.
#![allow(non_snake_case)]

use portcullis_emu::{MemError, PAGE_SIZE};

use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr, SizeT};

pub const MM_COPY_MEMORY_PHYSICAL: u32 = 0x1;
pub const MM_COPY_MEMORY_VIRTUAL: u32 = 0x2;
const STATUS_PARTIAL_COPY: NtStatus = NtStatus(0x8000_000D);

/// NTSTATUS MmCopyMemory(PVOID TargetAddress, MM_COPY_ADDRESS SourceAddress, SIZE_T NumberOfBytes,
/// ULONG Flags, PSIZE_T NumberOfBytesTransferred)
///
/// Copies page by page from a virtual address (user or kernel space) or a physical one (RAM
/// or ROM; device memory and unclaimed space are refused) and stops at the first page it cannot read, which a direct
/// access would have faulted on: STATUS_PARTIAL_COPY then, with the bytes that were copied.
/// Exactly one of the two flags must be given.
pub fn MmCopyMemory(
    k: &mut Kx,
    target: Ptr,
    source: u64,
    length: SizeT,
    flags: u32,
    transferred: Ptr,
) -> KResult<NtStatus> {
    let physical = match flags {
        MM_COPY_MEMORY_PHYSICAL => true,
        MM_COPY_MEMORY_VIRTUAL => false,
        _ => return Ok(status::INVALID_PARAMETER),
    };
    let source = k.arch().mask(source);
    let mut done = 0u64;
    let mut page = vec![0u8; PAGE_SIZE as usize];
    let result = loop {
        if done >= length.0 {
            break status::SUCCESS;
        }
        let at = source.wrapping_add(done);
        let n = (PAGE_SIZE - at % PAGE_SIZE).min(length.0 - done) as usize;
        let chunk = &mut page[..n];
        let read: Result<(), MemError> =
            if physical { k.mem().read_physical(at, chunk) } else { k.mem().read(at, chunk) };
        // Physical space that is no memory (a device's registers, space nobody answers) is
        // refused: the copy never reads an address with a side effect or a bus timeout.
        if read.is_err() || (physical && !k.mem().physical().is_memory(at)) {
            break STATUS_PARTIAL_COPY;
        }
        // The target is the caller's own buffer: a bad one is the caller's fault.
        k.mem_mut().write(target.0.wrapping_add(done), chunk)?;
        done += n as u64;
    };
    if transferred.0 != 0 {
        k.mem_mut().write_ptr(transferred.0, done)?;
    }
    Ok(result)
}
