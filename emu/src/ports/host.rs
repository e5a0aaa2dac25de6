//! Backends that a `forward` policy sends port accesses to.
//!
//! A backend that touches the host's real ports (ioperm/iopl or /dev/port on Linux) is a
//! separate component with its own policy checks; this file defines the contract and a
//! recording backend for tests and dry runs.

use std::collections::VecDeque;

use thiserror::Error;

use super::device::Width;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BackendError {
    #[error("the host backend refused port {port:#x}: {reason}")]
    Refused { port: u16, reason: String },
    #[error("the host backend failed: {0}")]
    Failed(String),
}

/// Where `forward` sends accesses. Ports are absolute: forwarding is about real addresses.
pub trait HostPortBackend {
    fn name(&self) -> &str;
    fn read(&mut self, port: u16, width: Width) -> Result<u32, BackendError>;
    fn write(&mut self, port: u16, width: Width, value: u32) -> Result<(), BackendError>;
}

/// One access a [`RecordingBackend`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub port: u16,
    pub width: Width,
    pub write: bool,
    pub value: u32,
}

/// Records every access; reads return scripted values in order, then all-ones.
#[derive(Default, Debug)]
pub struct RecordingBackend {
    pub log: Vec<Recorded>,
    pub replies: VecDeque<u32>,
}

impl RecordingBackend {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_replies(replies: impl IntoIterator<Item = u32>) -> Self {
        RecordingBackend { log: Vec::new(), replies: replies.into_iter().collect() }
    }
}

impl HostPortBackend for RecordingBackend {
    fn name(&self) -> &str {
        "recording"
    }

    fn read(&mut self, port: u16, width: Width) -> Result<u32, BackendError> {
        let value = self.replies.pop_front().unwrap_or(u32::MAX) & width.all_ones();
        self.log.push(Recorded { port, width, write: false, value });
        Ok(value)
    }

    fn write(&mut self, port: u16, width: Width, value: u32) -> Result<(), BackendError> {
        self.log.push(Recorded { port, width, write: true, value: value & width.all_ones() });
        Ok(())
    }
}
