//! WDFCMRESLIST (`wdfresource.h`): the resources of a PnP start, as the framework hands them
//! to EvtDevicePrepareHardware (raw and translated). Like FxCmResList, the list is a copy of
//! the partial descriptors of the CM_RESOURCE_LIST's one full descriptor, made when the
//! start arrives; WdfCmResourceListGetDescriptor returns a clone of descriptor `Index` the
//! list owns (refreshed at each call, so a driver writing into it changes nothing).
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use super::object::{self, ObjectKind};
use crate::kernel::{KResult, Kx};
use crate::types::Ptr;

/// CM_FULL_RESOURCE_DESCRIPTOR's partial descriptors start 0x14 bytes into a CM_RESOURCE_LIST
/// (Count, InterfaceType, BusNumber, Version, Revision, Count).
const FIRST_PARTIAL: u64 = 0x14;
/// Most descriptors a list copies (a guest-given count is bounded).
const MAX_DESCRIPTORS: u32 = 256;

/// sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR): the interrupt form's KAFFINITY makes it 20 bytes on
/// x64 (pack 4), 16 on x86.
pub fn descriptor_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x10,
        Arch::X64 => 0x14,
    }
}

/// A WDFCMRESLIST: its descriptors, and the clones GetDescriptor hands out.
#[derive(Clone, Debug, Default)]
pub struct ResourceList {
    pub descriptors: Vec<Vec<u8>>,
    /// Kernel memory of one clone per descriptor (0 when there are none).
    pub clones: u64,
}

/// A WDFCMRESLIST for the CM_RESOURCE_LIST at `list` (none: empty), a child of `device`.
pub(crate) fn create(k: &mut Kx, binding: usize, device: u64, list: u64) -> KResult<u64> {
    let size = descriptor_size(k.arch());
    let mut descriptors = Vec::new();
    if list != 0 && k.mem().read_u32(list)? != 0 {
        let count = k.mem().read_u32(list + 0x10)?.min(MAX_DESCRIPTORS);
        for i in 0..count as u64 {
            let mut d = vec![0u8; size as usize];
            k.mem().read(list + FIRST_PARTIAL + i * size, &mut d)?;
            descriptors.push(d);
        }
    }
    let clones = if descriptors.is_empty() {
        0
    } else {
        crate::ex::pool::kernel_alloc(k, size * descriptors.len() as u64, b"FxRl")?
    };
    let h = object::create(k, binding, ObjectKind::ResourceList, &object::Attributes::default(), Some(device))?;
    k.ext_mut().wdf.resource_lists.insert(h, ResourceList { descriptors, clones });
    Ok(h)
}

/// The object is deleted: its clones go.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    match k.ext_mut().wdf.resource_lists.remove(&handle) {
        Some(l) if l.clones != 0 => crate::ex::pool::free(k, l.clones, None, 0),
        _ => Ok(()),
    }
}

fn list(k: &mut Kx, function: &str, handle: u64) -> KResult<ResourceList> {
    object::expect(k, function, handle, ObjectKind::ResourceList)?;
    Ok(k.ext().wdf.resource_lists.get(&handle).cloned().unwrap_or_default())
}

/// ULONG WdfCmResourceListGetCount(WDFCMRESLIST List)
pub fn WdfCmResourceListGetCount(k: &mut Kx, _globals: Ptr, handle: Ptr) -> KResult<u32> {
    Ok(list(k, "WdfCmResourceListGetCount", handle.0)?.descriptors.len() as u32)
}

/// PCM_PARTIAL_RESOURCE_DESCRIPTOR WdfCmResourceListGetDescriptor(WDFCMRESLIST List, ULONG
/// Index): NULL past the end.
pub fn WdfCmResourceListGetDescriptor(k: &mut Kx, _globals: Ptr, handle: Ptr, index: u32) -> KResult<Ptr> {
    let l = list(k, "WdfCmResourceListGetDescriptor", handle.0)?;
    let Some(d) = l.descriptors.get(index as usize) else { return Ok(Ptr(0)) };
    let at = l.clones + index as u64 * descriptor_size(k.arch());
    k.mem_mut().write(at, d)?;
    Ok(Ptr(at))
}
