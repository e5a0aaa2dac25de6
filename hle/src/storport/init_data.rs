//! HW_INITIALIZATION_DATA: what a SCSI miniport hands its port driver in DriverEntry (srb.h,
//! storport.h). Storport's structure extends scsiport's with HwBuildIo and, since Windows 8,
//! the virtual-miniport and tracing routines, FeatureSupport and HwUnitControl; a miniport
//! built against an older header passes the smaller size, and the fields past it are zero.

use portcullis_emu::Arch;

use crate::kernel::{KResult, Kx};

use super::PortKind;

/// STOR_FEATURE_VIRTUAL_MINIPORT in FeatureSupport.
const STOR_FEATURE_VIRTUAL_MINIPORT: u32 = 0x1;

/// The fields a port driver uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HwInitData {
    pub size: u32,
    pub interface_type: u32,
    pub hw_initialize: u64,
    pub hw_start_io: u64,
    pub hw_interrupt: u64,
    pub hw_find_adapter: u64,
    pub hw_reset_bus: u64,
    pub device_extension_size: u32,
    pub lu_extension_size: u32,
    pub srb_extension_size: u32,
    pub access_ranges: u32,
    /// MapBuffers, NeedPhysicalAddresses, TaggedQueuing, AutoRequestSense,
    /// MultipleRequestPerLu, ReceiveEvent.
    pub flags: [u8; 6],
    pub hw_adapter_control: u64,
    /// Storport: HwFreeAdapterResources (virtual miniports).
    pub hw_free_adapter_resources: u64,
    pub feature_support: u32,
}

impl HwInitData {
    /// A Storport virtual miniport: it passed VIRTUAL_HW_INITIALIZATION_DATA's size or said
    /// so in FeatureSupport; its HwFindAdapter takes the device objects too.
    pub fn is_virtual(&self, kind: PortKind, arch: Arch) -> bool {
        kind == PortKind::Storport
            && (self.size as u64 == virtual_size(arch) || self.feature_support & STOR_FEATURE_VIRTUAL_MINIPORT != 0)
    }
}

/// sizeof(HW_INITIALIZATION_DATA) for the port driver: anything larger is a newer revision.
pub fn size(kind: PortKind, arch: Arch) -> u64 {
    match (kind, arch) {
        (PortKind::Scsiport, Arch::X86) => 0x50,
        (PortKind::Scsiport, Arch::X64) => 0x80,
        (PortKind::Storport, Arch::X86) => 0x80,
        (PortKind::Storport, Arch::X64) => 0xD0,
    }
}

/// sizeof(VIRTUAL_HW_INITIALIZATION_DATA): through HwCleanupTracing.
fn virtual_size(arch: Arch) -> u64 {
    match arch {
        Arch::X86 => 0x68,
        Arch::X64 => 0xB0,
    }
}

/// Reads the structure at `at`; fields past its declared size read as zero.
pub fn read(k: &Kx, at: u64) -> KResult<HwInitData> {
    let arch = k.arch();
    let ps = arch.ptr_size();
    let size = k.mem().read_u32(at)?;
    let within = |off: u64, len: u64| off + len <= size as u64;
    let ptr = |off: u64| -> KResult<u64> { Ok(if within(off, ps) { k.mem().read_ptr(at + off)? } else { 0 }) };
    let u32_at = |off: u64| -> KResult<u32> { Ok(if within(off, 4) { k.mem().read_u32(at + off)? } else { 0 }) };
    // Seven routines from offset 8; four ULONGs, Reserved, six BOOLEANs after them.
    let routine = |i: u64| 8 + i * ps;
    let ulongs = 8 + 7 * ps;
    let flags_at = ulongs + 16 + ps;
    let mut flags = [0u8; 6];
    if within(flags_at, 6) {
        k.mem().read(at + flags_at, &mut flags)?;
    }
    // VendorIdLength, VendorId, PortVersionFlags, DeviceIdLength, DeviceId, then
    // HwAdapterControl, HwBuildIo, HwFreeAdapterResources, four more routines, HwTracingEnabled,
    // FeatureSupport.
    let vendor_id = (flags_at + 8).next_multiple_of(ps);
    let device_id = (vendor_id + ps + 4).next_multiple_of(ps);
    let adapter_control = device_id + ps;
    let free_resources = adapter_control + 2 * ps;
    let feature_support = free_resources + 6 * ps;
    Ok(HwInitData {
        size,
        interface_type: u32_at(4)?,
        hw_initialize: ptr(routine(0))?,
        hw_start_io: ptr(routine(1))?,
        hw_interrupt: ptr(routine(2))?,
        hw_find_adapter: ptr(routine(3))?,
        hw_reset_bus: ptr(routine(4))?,
        device_extension_size: u32_at(ulongs)?,
        lu_extension_size: u32_at(ulongs + 4)?,
        srb_extension_size: u32_at(ulongs + 8)?,
        access_ranges: u32_at(ulongs + 12)?,
        flags,
        hw_adapter_control: ptr(adapter_control)?,
        hw_free_adapter_resources: ptr(free_resources)?,
        feature_support: u32_at(feature_support)?,
    })
}
