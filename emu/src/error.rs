//! Host-side errors of the machine: set-up problems and engine failures, never guest behaviour.

use thiserror::Error;
use unicorn_engine::unicorn_const::uc_error;

use crate::memory::MemError;
use crate::ports::PortBusError;

/// Something went wrong on the host side of the machine.
#[derive(Debug, Error, Clone)]
pub enum MachineError {
    #[error("Unicorn {major}.{minor} is linked, but 2.1 or newer is required (a system libunicorn-dev may be shadowing the bundled build)")]
    UnicornTooOld { major: u32, minor: u32 },
    #[error("Unicorn failed to {what}: {error:?}")]
    Unicorn { what: &'static str, error: uc_error },
    #[error("cannot calibrate the Unicorn CPU state layout: {0}")]
    Calibration(String),
    #[error("guest memory: {0}")]
    Memory(#[from] MemError),
    #[error("port bus: {0}")]
    Ports(#[from] PortBusError),
    #[error("the guest stopped at {pc:#x}, which is neither a return to the host nor a reported fault")]
    UnexpectedStop { pc: u64 },
    #[error("guest calls nested deeper than {0} levels")]
    NestingTooDeep(u32),
    #[error("host call slot {0} has no handler")]
    NoHostCall(u32),
    #[error("{0}")]
    Other(String),
}
