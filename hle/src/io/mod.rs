//! The I/O manager: driver and device objects, symbolic links, IRPs, file objects, and the
//! requests a (simulated) user program sends through them.
#![allow(non_snake_case)]

pub mod configuration;
pub mod device;
pub mod device_control;
pub mod device_description;
pub mod driver;
pub mod ea;
pub mod file;
pub mod hard_error;
pub mod interrupt;
pub mod irp;
pub mod irps;
pub mod misc;
pub mod notify;
pub mod open;
pub mod queue;
pub mod request;
pub mod service;
pub mod stack;
pub mod stream_file;
pub mod symlink;
pub mod thread_irps;
pub mod timer;
pub mod top_level;
pub mod volume;
pub mod vpb;
pub mod wmi_block;
pub mod work_item;

use std::collections::{BTreeMap, BTreeSet};

use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

pub use request::{Completion, FileHandle, IoResult, RequestId};

/// IRP major function codes.
pub mod major {
    pub const CREATE: u8 = 0x00;
    pub const CLOSE: u8 = 0x02;
    pub const READ: u8 = 0x03;
    pub const WRITE: u8 = 0x04;
    pub const FLUSH_BUFFERS: u8 = 0x09;
    pub const FILE_SYSTEM_CONTROL: u8 = 0x0D;
    pub const DEVICE_CONTROL: u8 = 0x0E;
    pub const INTERNAL_DEVICE_CONTROL: u8 = 0x0F;
    pub const SHUTDOWN: u8 = 0x10;
    pub const POWER: u8 = 0x16;
    pub const SYSTEM_CONTROL: u8 = 0x17;
    pub const PNP: u8 = 0x1B;
    pub const CLEANUP: u8 = 0x12;
    /// Entries in DRIVER_OBJECT.MajorFunction.
    pub const COUNT: u64 = 0x1C;

    pub fn name(m: u8) -> &'static str {
        match m {
            CREATE => "IRP_MJ_CREATE",
            0x01 => "IRP_MJ_CREATE_NAMED_PIPE",
            CLOSE => "IRP_MJ_CLOSE",
            READ => "IRP_MJ_READ",
            WRITE => "IRP_MJ_WRITE",
            0x05 => "IRP_MJ_QUERY_INFORMATION",
            0x06 => "IRP_MJ_SET_INFORMATION",
            0x09 => "IRP_MJ_FLUSH_BUFFERS",
            DEVICE_CONTROL => "IRP_MJ_DEVICE_CONTROL",
            INTERNAL_DEVICE_CONTROL => "IRP_MJ_INTERNAL_DEVICE_CONTROL",
            SHUTDOWN => "IRP_MJ_SHUTDOWN",
            CLEANUP => "IRP_MJ_CLEANUP",
            POWER => "IRP_MJ_POWER",
            SYSTEM_CONTROL => "IRP_MJ_SYSTEM_CONTROL",
            PNP => "IRP_MJ_PNP",
            _ => "IRP_MJ_OTHER",
        }
    }
}

/// DEVICE_OBJECT.Flags.
pub mod device_flags {
    pub const BUFFERED_IO: u64 = 0x4;
    pub const EXCLUSIVE: u64 = 0x8;
    pub const DIRECT_IO: u64 = 0x10;
    pub const DEVICE_HAS_NAME: u64 = 0x40;
    pub const DEVICE_INITIALIZING: u64 = 0x80;
}

/// Transfer methods of an I/O control code (its low two bits).
pub mod method {
    pub const BUFFERED: u32 = 0;
    pub const IN_DIRECT: u32 = 1;
    pub const OUT_DIRECT: u32 = 2;
    pub const NEITHER: u32 = 3;

    pub fn name(m: u32) -> &'static str {
        match m & 3 {
            BUFFERED => "METHOD_BUFFERED",
            IN_DIRECT => "METHOD_IN_DIRECT",
            OUT_DIRECT => "METHOD_OUT_DIRECT",
            _ => "METHOD_NEITHER",
        }
    }
}

/// Object type codes in the Type field of I/O objects.
pub mod io_type {
    pub const DEVICE: u64 = 3;
    pub const DRIVER: u64 = 4;
    pub const FILE: u64 = 5;
    pub const IRP: u64 = 6;
    pub const TIMER: u64 = 9;
    pub const DEVICE_OBJECT_EXTENSION: u64 = 13;
}

#[derive(Default, Debug)]
pub struct IoManager {
    /// The thread requests come from: a user process's (portcullis-win32), which is current
    /// again when the request returns; none: the simulated caller's, and the System thread
    /// afterwards.
    pub requester: Option<u64>,
    /// IRPs issued by the host that have not completed.
    pub(crate) requests: BTreeMap<u64, request::Request>,
    /// IRPs that completed while their dispatch was still running, or later.
    pub(crate) completed_irps: BTreeSet<u64>,
    /// Results of finished requests, by id.
    pub(crate) completions: BTreeMap<RequestId, Completion>,
    pub(crate) next_request: u64,
    pub(crate) files: BTreeMap<u64, file::OpenFile>,
    pub(crate) next_handle: u64,
    /// Pool blocks to release once the current host-level operation ends (a driver may
    /// still read an IRP right after completing it, as many do).
    pub(crate) deferred_frees: Vec<u64>,
    /// User-memory buffers free for reuse: (address space, base, size).
    pub(crate) user_buffers: Vec<(portcullis_emu::SpaceId, u64, u64)>,
    /// The routine unset MajorFunction entries point at.
    pub(crate) invalid_request: u64,
    /// The CONFIGURATION_INFORMATION IoGetConfigurationInformation hands out, once made.
    pub(crate) configuration: u64,
    /// File objects drivers opened on other drivers' devices, and the device.
    pub(crate) kernel_files: BTreeMap<u64, u64>,
    /// Those of them whose IRP_MJ_CLEANUP was sent (their last handle closed).
    pub(crate) cleaned_files: BTreeSet<u64>,
    /// IRPs drivers allocated or built and have not freed.
    pub(crate) driver_irps: BTreeMap<u64, irps::DriverIrp>,
    /// The IRQL to restore while the cancel spin lock is held.
    pub(crate) cancel_lock: Option<u8>,
    /// The IRQL to restore while the VPB spin lock is held.
    pub(crate) vpb_lock: Option<u8>,
    /// Driver objects IoCreateDriver made, and the driver that made them.
    pub(crate) created_drivers: BTreeMap<u64, usize>,
    /// Devices registered for IRP_MJ_SHUTDOWN (most recent first), and whether last-chance.
    pub(crate) shutdown: Vec<(u64, bool)>,
    /// Reinitialization routines: (driver object, routine, context, boot).
    pub(crate) reinit: Vec<(u64, u64, u64, bool)>,
    /// Devices registered with WMI (IoWMIRegistrationControl), and by which driver.
    pub(crate) wmi: BTreeMap<u64, crate::ob::Owner>,
    /// WMI provider IDs of registered devices (x64), and the last one given.
    pub(crate) wmi_provider_ids: BTreeMap<u64, u32>,
    pub(crate) last_wmi_provider_id: u32,
    /// WMI data block objects drivers opened (IoWMIOpenBlock).
    pub(crate) wmi_blocks: BTreeMap<u64, wmi_block::DataBlock>,
    /// Error log packets allocated and not yet written or freed: packet, size.
    pub(crate) error_packets: BTreeMap<u64, u64>,
    /// The device or driver each outstanding error log packet is for.
    pub(crate) error_objects: BTreeMap<u64, u64>,
    pub(crate) error_sequence: u32,
    /// Each thread's top-level IRP (ETHREAD.TopLevelIrp), by ETHREAD; absent is NULL.
    pub(crate) top_level_irps: BTreeMap<u64, u64>,
    /// Each thread's IRP list head (io/thread_irps.rs), by ETHREAD, and the IRPs linked in.
    pub(crate) thread_irp_lists: BTreeMap<u64, u64>,
    pub(crate) enqueued_irps: BTreeSet<u64>,
    /// I/O work items (io/work_item.rs).
    pub(crate) work_items: BTreeMap<u64, work_item::WorkItem>,
    /// Connected interrupt objects (io/interrupt.rs).
    pub interrupts: interrupt::Interrupts,
    /// The file objects' GENERIC_MAPPING in ntoskrnl's .data, placed at its first request.
    pub(crate) file_mapping: u64,
}

pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let calls = &k.ext().calls;
    let slot = calls.functions.internal_slot("IopInvalidDeviceRequest").expect("an internal routine of every kernel");
    let address = calls.address(slot);
    k.ext_mut().io.invalid_request = address;
    Ok(())
}

/// NTSTATUS IopInvalidDeviceRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp): what an unset
/// MajorFunction entry does — completes the IRP with STATUS_INVALID_DEVICE_REQUEST.
pub fn IopInvalidDeviceRequest(k: &mut Kx, _device: Ptr, irp: Ptr) -> KResult<NtStatus> {
    let at = crate::kernel::caller(k);
    irp::set_status(k, irp.0, status::INVALID_DEVICE_REQUEST, 0)?;
    irp::complete(k, irp, at)?;
    Ok(status::INVALID_DEVICE_REQUEST)
}

/// The address of a kernel-internal routine (exports/internal.rs).
pub(crate) fn internal_routine(k: &Kx, name: &str) -> u64 {
    let calls = &k.ext().calls;
    let slot = calls.functions.internal_slot(name).expect("an internal routine of every kernel");
    calls.address(slot)
}

/// Releases what was deferred during the operation that just ended.
pub(crate) fn release_deferred(k: &mut Kx) -> KResult<()> {
    let blocks = std::mem::take(&mut k.ext_mut().io.deferred_frees);
    for b in blocks {
        k.ext_mut().io.completed_irps.remove(&b);
        crate::ex::pool::free(k, b, None, 0)?;
    }
    Ok(())
}
