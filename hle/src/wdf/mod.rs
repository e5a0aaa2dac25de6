//! KMDF, the Kernel-Mode Driver Framework.
//!
//! A KMDF driver imports a handful of routines from `wdfldr.sys` ([`ldr`]): its statically
//! linked `FxDriverEntry` calls `WdfVersionBind`, which fills the driver's `WdfFunctions`
//! pointer with the framework's function table and its `WdfDriverGlobals`, then runs the
//! driver's own `DriverEntry`, which calls everything else through that table, each call with
//! the globals as its first argument. The table ([`table`]) is declarative like the export
//! tables: one line per implemented WDF function with its `WDFFUNCENUM` index; every other
//! index of [`names::NAMES`] is a slot that ends the run naming the function.
//!
//! Framework objects ([`object`]) are handles the kernel makes, with their attributes' typed
//! contexts, cleanup and destroy callbacks, parents and children; each family has its file
//! ([`driver`], [`device`], [`queue`], [`request`]). The framework owns the driver's
//! dispatch routines: IRPs reach [`queue::FxDispatch`], which presents them to the queues as
//! WDFREQUESTs. Misuse the framework's verifier catches is `WDF_VIOLATION` ([`violation`]).

pub mod caller_context;
pub mod child_list;
pub mod collection;
pub mod device;
pub mod dpc;
pub mod driver;
pub mod file;
pub mod interrupt;
pub mod layout;
pub mod ldr;
pub mod memory;
pub mod names;
pub mod object;
pub mod pdo;
pub mod pnp;
pub mod query_interface;
pub mod queue;
pub mod registry;
pub mod request;
pub mod resources;
pub mod spin_lock;
pub mod string;
pub mod table;
pub mod timer;
pub mod verifier;
pub mod violation;
pub mod wait_lock;
pub mod work_item;

use std::collections::BTreeMap;

pub use object::{Object, ObjectKind};

/// One driver bound to the framework.
#[derive(Clone, Debug)]
pub struct Binding {
    /// The driver (index in the kernel's list).
    pub driver: usize,
    pub driver_object: u64,
    /// Its WDF_DRIVER_GLOBALS.
    pub globals: u64,
    /// The KMDF version it was built for, and the table entries it expects.
    pub version: (u32, u32, u32),
    pub func_count: u32,
    /// Its WDFDRIVER, once WdfDriverCreate made it, and what its WDF_DRIVER_CONFIG said.
    pub wdf_driver: Option<u64>,
    pub config: driver::DriverConfig,
    /// WdfVersionUnbind ran.
    pub unbound: bool,
}

/// The framework's state.
#[derive(Debug, Default)]
pub struct Framework {
    /// The function table every binding gets (made on the first bind).
    pub table: u64,
    pub bindings: Vec<Binding>,
    /// Live objects by handle.
    pub objects: BTreeMap<u64, Object>,
    /// Context memory back to its object (WdfObjectContextGetObject).
    pub contexts: BTreeMap<u64, u64>,
    /// WDFDEVICE_INITs handed out and not yet consumed by WdfDeviceCreate.
    pub device_inits: BTreeMap<u64, device::DeviceInit>,
    /// WDFDEVICEs by handle.
    pub devices: BTreeMap<u64, device::Device>,
    /// WDFQUEUEs and WDFREQUESTs by handle.
    pub queues: BTreeMap<u64, queue::Queue>,
    pub requests: BTreeMap<u64, request::Request>,
    /// The latest completed requests, oldest first: their handles stay reserved so that a
    /// second completion is caught rather than landing on a newer request.
    pub completed: std::collections::VecDeque<u64>,
    /// The WDFDEVICE of each device object the framework created.
    pub by_device_object: BTreeMap<u64, u64>,
    /// WDFFILEOBJECTs by handle, and the WDFFILEOBJECT of each FILE_OBJECT.
    pub files: BTreeMap<u64, file::FileObject>,
    pub by_file_object: BTreeMap<u64, u64>,
    /// WDFCOLLECTIONs: their items, in order.
    pub collections: BTreeMap<u64, Vec<u64>>,
    /// WDFKEYs: the kernel handle of each.
    pub keys: BTreeMap<u64, u64>,
    /// WDFSTRINGs: the UNICODE_STRING (kernel memory) of each.
    pub strings: BTreeMap<u64, u64>,
    /// WDFDPCs, WDFTIMERs, WDFWORKITEMs, WDFSPINLOCKs by handle; WDFWAITLOCKs: the event of each.
    pub dpcs: BTreeMap<u64, dpc::Dpc>,
    pub timers: BTreeMap<u64, timer::Timer>,
    pub work_items: BTreeMap<u64, work_item::WorkItem>,
    pub spin_locks: BTreeMap<u64, spin_lock::SpinLock>,
    pub wait_locks: BTreeMap<u64, u64>,
    /// WDFINTERRUPTs by handle.
    pub interrupts: BTreeMap<u64, interrupt::Interrupt>,
    /// WDFMEMORYs by handle.
    pub memories: BTreeMap<u64, memory::Memory>,
    /// WDFCMRESLISTs: the descriptors each holds.
    pub resource_lists: BTreeMap<u64, resources::ResourceList>,
    /// WDFCHILDLISTs by handle.
    pub child_lists: BTreeMap<u64, child_list::ChildList>,
    /// Start IRPs the framework sent down, with their outcome once its callbacks ran.
    pub starting: BTreeMap<u64, Option<crate::types::NtStatus>>,
}

/// The binding whose WDF_DRIVER_GLOBALS is `globals`.
pub fn binding_of(k: &crate::kernel::Kx, globals: u64) -> Option<usize> {
    k.ext().wdf.bindings.iter().position(|b| b.globals == globals && !b.unbound)
}
