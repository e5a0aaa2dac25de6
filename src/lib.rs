//! Portcullis runs a Windows kernel driver without Windows and without trusting it.
//!
//! The driver's own code runs in an emulated x86/x64 machine ([`portcullis_emu`]), against a
//! kernel emulated at a high level ([`portcullis_hle`]); every privileged instruction and
//! port access is mediated and recorded. This crate is the tool around them: the [`Sandbox`]
//! API, scenario files, reports and traces, and corpus regression runs.

pub mod board;
pub mod confine;
pub mod corpus;
pub mod devices;
pub mod forward;
pub mod host_file;
pub mod limits;
pub mod load_error;
pub mod outcome;
pub mod physical;
pub mod record;
pub mod report;
pub mod sandbox;
pub mod scenario;
pub mod survey;
pub mod waveform;

pub use portcullis_emu as emu;
pub use portcullis_hle as hle;
pub use report::Report;
pub use sandbox::{Handle, RunError, Sandbox, SandboxBuilder, SandboxError, Status};
