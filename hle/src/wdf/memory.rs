//! WDFMEMORY (`wdfmemory.h`): a buffer of pool the framework allocates with an object that
//! owns it; deleting the object (or its parent) frees the buffer.
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::ob::Owner;
use crate::types::{status, NtStatus, PoolTag, Ptr, SizeT};

/// STATUS_INVALID_BUFFER_SIZE.
const INVALID_BUFFER_SIZE: NtStatus = NtStatus(0xC000_0206);

/// A WDFMEMORY: its buffer and size.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    pub buffer: u64,
    pub size: u64,
    /// A request's buffer (WdfRequestRetrieveInputMemory/OutputMemory): the request and
    /// whether it is the output one. The buffer is the IRP's, not the framework's to free.
    pub request: Option<(u64, bool)>,
}

/// A new WDFMEMORY of `size` bytes of `pool_type` with `tag` (the driver's own when 0),
/// with `attributes` (at guest address, or none); its parent is theirs, else `parent`, else
/// the driver.
pub(crate) fn create(
    k: &mut Kx,
    binding: usize,
    attributes: u64,
    pool_type: u32,
    tag: u32,
    size: u64,
    parent: Option<u64>,
) -> KResult<Result<(u64, u64), NtStatus>> {
    let a = object::read_attributes(k, attributes)?;
    let tag = if tag != 0 { tag } else { k.ext().wdf.bindings[binding].config.pool_tag };
    let Some(buffer) = pool::allocate(k, pool_type, size, tag, Owner::Kernel, 0)? else {
        return Ok(Err(status::INSUFFICIENT_RESOURCES));
    };
    let parent = if a.parent != 0 { Some(a.parent) } else { parent };
    if let Some(p) = parent {
        object::expect(k, "WdfMemoryCreate", p, ObjectKind::Any)?;
    }
    let h = object::create(k, binding, ObjectKind::Memory, &a, parent)?;
    k.ext_mut().wdf.memories.insert(h, Memory { buffer, size, request: None });
    Ok(Ok((h, buffer)))
}

/// The object is deleted: its buffer goes back to the pool.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    match k.ext_mut().wdf.memories.remove(&handle) {
        Some(m) if m.request.is_none() => pool::free(k, m.buffer, None, 0),
        _ => Ok(()),
    }
}

/// NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG
/// PoolTag, size_t BufferSize, WDFMEMORY *Memory, PVOID *Buffer): a zero size is
/// STATUS_INVALID_PARAMETER.
pub fn WdfMemoryCreate(
    k: &mut Kx,
    globals: Ptr,
    attributes: Ptr,
    pool_type: u32,
    tag: PoolTag,
    size: SizeT,
    out: Ptr,
    buffer_out: Ptr,
) -> KResult<NtStatus> {
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfMemoryCreate", "Memory"));
    }
    let b = super::driver::binding(k, "WdfMemoryCreate", globals.0)?;
    if size.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    match create(k, b, attributes.0, pool_type, tag.0, size.0, None)? {
        Ok((h, buffer)) => {
            k.mem_mut().write_ptr(out.0, h)?;
            if buffer_out.0 != 0 {
                k.mem_mut().write_ptr(buffer_out.0, buffer)?;
            }
            Ok(status::SUCCESS)
        }
        Err(st) => Ok(st),
    }
}

/// PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize)
pub fn WdfMemoryGetBuffer(k: &mut Kx, _globals: Ptr, memory: Ptr, size_out: Ptr) -> KResult<Ptr> {
    object::expect(k, "WdfMemoryGetBuffer", memory.0, ObjectKind::Memory)?;
    let m = k.ext().wdf.memories.get(&memory.0).copied().unwrap_or_default();
    if size_out.0 != 0 {
        k.mem_mut().write_ptr(size_out.0, m.size)?;
    }
    Ok(Ptr(m.buffer))
}

/// The WDFMEMORY a request's buffer of one direction is presented as: made once, a child of
/// the request, and gone with it when the request completes.
pub(crate) fn of_request(k: &mut Kx, request: u64, output: bool, buffer: u64, size: u64) -> KResult<u64> {
    let fw = &k.ext().wdf;
    let children = fw.objects.get(&request).map(|o| o.children.clone()).unwrap_or_default();
    if let Some(h) =
        children.into_iter().find(|c| fw.memories.get(c).is_some_and(|m| m.request == Some((request, output))))
    {
        return Ok(h);
    }
    let binding = fw.objects.get(&request).map_or(0, |o| o.binding);
    let h = object::create(k, binding, ObjectKind::Memory, &object::Attributes::default(), Some(request))?;
    k.ext_mut().wdf.memories.insert(h, Memory { buffer, size, request: Some((request, output)) });
    Ok(h)
}

/// The request's memory objects go with it (they have no callbacks of their own).
pub(crate) fn request_done(k: &mut Kx, request: u64) {
    let handles: Vec<u64> = k
        .ext()
        .wdf
        .memories
        .iter()
        .filter(|(_, m)| m.request.is_some_and(|r| r.0 == request))
        .map(|(h, _)| *h)
        .collect();
    for h in handles {
        let fw = &mut k.ext_mut().wdf;
        fw.memories.remove(&h);
        fw.objects.remove(&h);
        crate::ob::body::free(k, h);
    }
}

/// The memory object `memory`, and where `length` bytes at `offset` lie in its buffer:
/// STATUS_INVALID_PARAMETER for no buffer or no bytes, else `past` when the offset is beyond
/// the buffer and STATUS_BUFFER_TOO_SMALL when the bytes run past its end.
fn range(
    k: &mut Kx,
    function: &str,
    memory: u64,
    offset: u64,
    buffer: u64,
    length: u64,
    past: NtStatus,
) -> KResult<Result<u64, NtStatus>> {
    object::expect(k, function, memory, ObjectKind::Memory)?;
    let m = k.ext().wdf.memories.get(&memory).copied().unwrap_or_default();
    if buffer == 0 || length == 0 {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    if offset >= m.size {
        return Ok(Err(past));
    }
    match offset.checked_add(length) {
        Some(end) if end <= m.size => Ok(Ok(m.buffer + offset)),
        _ => Ok(Err(status::BUFFER_TOO_SMALL)),
    }
}

/// NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer,
/// size_t NumBytesToCopyTo): the bytes at the offset into the driver's buffer; never more
/// than the memory holds (STATUS_BUFFER_TOO_SMALL).
pub fn WdfMemoryCopyToBuffer(
    k: &mut Kx,
    _globals: Ptr,
    memory: Ptr,
    offset: SizeT,
    buffer: Ptr,
    length: SizeT,
) -> KResult<NtStatus> {
    let from =
        match range(k, "WdfMemoryCopyToBuffer", memory.0, offset.0, buffer.0, length.0, status::BUFFER_TOO_SMALL)? {
            Ok(at) => at,
            Err(st) => return Ok(st),
        };
    copy(k, from, buffer.0, length.0)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory, size_t DestinationOffset,
/// PVOID Buffer, size_t NumBytesToCopyFrom): the driver's bytes into the memory at the
/// offset; an offset past the memory is STATUS_INVALID_BUFFER_SIZE, bytes running past its
/// end STATUS_BUFFER_TOO_SMALL.
pub fn WdfMemoryCopyFromBuffer(
    k: &mut Kx,
    _globals: Ptr,
    memory: Ptr,
    offset: SizeT,
    buffer: Ptr,
    length: SizeT,
) -> KResult<NtStatus> {
    let to = match range(k, "WdfMemoryCopyFromBuffer", memory.0, offset.0, buffer.0, length.0, INVALID_BUFFER_SIZE)? {
        Ok(at) => at,
        Err(st) => return Ok(st),
    };
    copy(k, buffer.0, to, length.0)?;
    Ok(status::SUCCESS)
}

/// Guest memory to guest memory (as RtlMoveMemory; `length` is within a WDFMEMORY).
fn copy(k: &mut Kx, from: u64, to: u64, length: u64) -> KResult<()> {
    let mut bytes = vec![0u8; length as usize];
    k.mem().read(from, &mut bytes)?;
    k.mem_mut().write(to, &bytes)?;
    Ok(())
}
