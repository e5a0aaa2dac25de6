//! Port I/O: the bus, its devices and policies, the I/O permission check, host backends.

mod bus;
mod context;
mod device;
mod host;
pub mod iopm;
pub(crate) mod tss_view;

pub use bus::{Outcome, Policy, PortBus, PortBusError, RangeId, RangeInfo, TimedAccess};
pub use context::{
    cycles_to_ns, cycles_to_ns_all, cycles_to_ns_in_place, BusContext, Detached, InterruptController, IrqLines,
    ResetRequest,
};
pub use device::{PortDevice, Width, Widths};
pub use host::{BackendError, HostPortBackend, Recorded, RecordingBackend};
