//! WDFMEMORY (`wdfmemory.h`): a buffer of pool the framework allocates with an object that
//! owns it; deleting the object (or its parent) frees the buffer.
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::ex::pool;
use crate::kernel::{KResult, Kx};
use crate::ob::Owner;
use crate::types::{status, NtStatus, PoolTag, Ptr, SizeT};

/// A WDFMEMORY: its buffer and size.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    pub buffer: u64,
    pub size: u64,
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
    k.ext_mut().wdf.memories.insert(h, Memory { buffer, size });
    Ok(Ok((h, buffer)))
}

/// The object is deleted: its buffer goes back to the pool.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    match k.ext_mut().wdf.memories.remove(&handle) {
        Some(m) => pool::free(k, m.buffer, None, 0),
        None => Ok(()),
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
