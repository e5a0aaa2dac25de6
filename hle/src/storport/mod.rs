//! storport.sys and scsiport.sys: the SCSI port drivers a miniport registers with.
//!
//! `StorPortInitialize`/`ScsiPortInitialize` check the miniport's HW_INITIALIZATION_DATA (a
//! larger size than the port knows, or a missing HwInitialize, HwStartIo, HwFindAdapter or
//! HwResetBus, is STATUS_REVISION_MISMATCH; Storport also refuses NULL arguments with
//! STATUS_INVALID_PARAMETER), record it, and take over the driver object as the port drivers
//! do: AddDevice, DriverUnload (the miniport's own is called from ours) and the create,
//! close, device control, SCSI, power, system control and PnP dispatch routines are the
//! port's. The adapter is found only when the PnP manager starts a device for the driver
//! ([`adapter`]): no device, no HwFindAdapter call.
//!
//! Not modeled: the bus scan after the start (no INQUIRY is sent, no logical-unit PDOs are
//! made, so `GetLogicalUnit` finds none and no SRB is ever issued to HwStartIo), scsiport's
//! legacy detection of adapters on non-PnP buses at initialization, and the translation of
//! the device's resources into the configuration's access ranges.
#![allow(non_snake_case)]

pub mod adapter;
pub mod init_data;
pub mod notification;

use crate::events::{push, Notice, SystemEvent};
use crate::io::major;
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, DRIVER_EXTENSION, DRIVER_OBJECT};
use crate::types::{status, NtStatus, Ptr};

pub use init_data::HwInitData;

/// STATUS_REVISION_MISMATCH.
pub const REVISION_MISMATCH: NtStatus = NtStatus(0xC000_0059);

/// Which port driver a miniport registered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortKind {
    Storport,
    Scsiport,
}

impl PortKind {
    fn name(self) -> &'static str {
        match self {
            PortKind::Storport => "storport",
            PortKind::Scsiport => "scsiport",
        }
    }
}

/// A miniport's registration (one per StorPortInitialize/ScsiPortInitialize call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miniport {
    pub kind: PortKind,
    pub driver_object: u64,
    pub init: HwInitData,
    pub hw_context: u64,
}

/// What the port driver keeps of a driver object it took over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortDriver {
    pub driver_object: u64,
    pub kind: PortKind,
    /// The miniport's DriverUnload before the port's replaced it.
    pub unload: u64,
}

/// The port drivers' state.
#[derive(Debug, Default)]
pub struct Ports {
    pub miniports: Vec<Miniport>,
    pub drivers: Vec<PortDriver>,
    pub adapters: Vec<adapter::Adapter>,
    /// The number of the next port device (\Device\RaidPortN, \Device\ScsiPortN).
    pub next_port: u32,
}

/// The port driver's dispatch routines: every major function it owns.
const OWNED: [u8; 7] = [
    major::CREATE,
    major::CLOSE,
    major::DEVICE_CONTROL,
    major::INTERNAL_DEVICE_CONTROL,
    major::POWER,
    major::SYSTEM_CONTROL,
    major::PNP,
];

/// The registration both port drivers do; `init` has been checked not to be NULL by Storport.
pub fn register(k: &mut Kx, kind: PortKind, driver_object: u64, init: u64, hw_context: u64) -> KResult<NtStatus> {
    let at = caller(k);
    let arch = k.arch();
    let data = init_data::read(k, init)?;
    if data.size as u64 > init_data::size(kind, arch) {
        return Ok(REVISION_MISMATCH);
    }
    if data.hw_initialize == 0 || data.hw_start_io == 0 || data.hw_find_adapter == 0 || data.hw_reset_bus == 0 {
        return Ok(REVISION_MISMATCH);
    }
    if crate::io::device::owner_of_driver_object(k, driver_object).is_none() {
        return Ok(status::INVALID_PARAMETER);
    }
    if !k.ext().storport.drivers.iter().any(|d| d.driver_object == driver_object) {
        let unload = k.mem().get(driver_object, DRIVER_OBJECT::DriverUnload)?;
        let table = DRIVER_OBJECT::MajorFunction.at(arch, driver_object);
        let ps = arch.ptr_size();
        let dispatch = crate::io::internal_routine(k, "PortDispatch");
        for m in OWNED {
            k.mem_mut().write_ptr(table + m as u64 * ps, dispatch)?;
        }
        let ext = k.mem().get(driver_object, DRIVER_OBJECT::DriverExtension)?;
        let add_device = crate::io::internal_routine(k, "PortAddDevice");
        k.mem_mut().set(ext, DRIVER_EXTENSION::AddDevice, add_device)?;
        let ours = crate::io::internal_routine(k, "PortDriverUnload");
        k.mem_mut().set(driver_object, DRIVER_OBJECT::DriverUnload, ours)?;
        k.ext_mut().storport.drivers.push(PortDriver { driver_object, kind, unload });
    }
    let detail = format!(
        "{}: driver object {driver_object:#x}, interface type {}, device extension {:#x} bytes, {}",
        kind.name(),
        data.interface_type,
        data.device_extension_size,
        if data.is_virtual(kind, arch) { "virtual miniport" } else { "miniport" }
    );
    k.ext_mut().storport.miniports.push(Miniport { kind, driver_object, init: data, hw_context });
    push(k, SystemEvent::Notice(Notice { kind: "storage_miniport", detail, caller: at }));
    Ok(status::SUCCESS)
}

/// ULONG StorPortInitialize(PVOID Argument1, PVOID Argument2, PHW_INITIALIZATION_DATA
/// HwInitializationData, PVOID HwContext)
pub fn StorPortInitialize(
    k: &mut Kx,
    driver_object: Ptr,
    registry_path: Ptr,
    init: Ptr,
    hw_context: Ptr,
) -> KResult<u32> {
    if driver_object.0 == 0 || registry_path.0 == 0 || init.0 == 0 {
        return Ok(status::INVALID_PARAMETER.0);
    }
    Ok(register(k, PortKind::Storport, driver_object.0, init.0, hw_context.0)?.0)
}

/// VOID PortDriverUnload(PDRIVER_OBJECT DriverObject): the port's unload, which calls the
/// miniport's own (the one it set before registering).
pub fn PortDriverUnload(k: &mut Kx, driver_object: Ptr) -> KResult<()> {
    let Some(d) = k.ext().storport.drivers.iter().find(|d| d.driver_object == driver_object.0).cloned() else {
        return Ok(());
    };
    if d.unload != 0 {
        let conv = portcullis_emu::CallConv::Stdcall.for_arch(k.arch());
        crate::ke::scheduler::call(k, d.unload, &[driver_object.0], conv)?;
    }
    Ok(())
}
