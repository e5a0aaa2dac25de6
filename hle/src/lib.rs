//! portcullis-hle: the Windows kernel a driver links against, emulated at a high level.
//!
//! A driver image is loaded ([`loader`]), its imports bound to ntoskrnl.exe and hal.dll
//! exports written as typed Rust functions ([`exports`]), and its entry point and dispatch
//! routines run on the emulated machine (`portcullis-emu`) with kernel objects in guest
//! memory laid out exactly as on Windows ([`layout`]). Requests from a simulated user
//! program travel as IRPs ([`io`]).
//!
//! ```
//! use portcullis_emu::{Arch, MachineConfig};
//! use portcullis_hle::kernel::{Kernel, KernelOptions};
//!
//! let k = Kernel::boot(MachineConfig::new(Arch::X64), KernelOptions::default()).unwrap();
//! let ntoskrnl = portcullis_hle::exports::Dll::Ntoskrnl;
//! assert!(k.ext().resolve(ntoskrnl, "IoCreateDevice").is_some());
//! assert!(k.ext().resolve(ntoskrnl, "PortcullisNoSuchRoutine").is_none());
//! ```

// Exports take exactly the parameters Windows declares for them, however many that is.
#![allow(clippy::too_many_arguments)]

pub mod cc;
pub mod cm;
pub mod dispatch;
pub mod driver;
pub mod etw;
pub mod events;
pub mod ex;
pub mod exports;
pub mod flt;
pub mod fs;
pub mod hal;
pub mod hidclass;
pub mod io;
pub mod kd;
pub mod ke;
pub mod kernel;
pub mod ksecdd;
pub mod layout;
pub mod loader;
pub mod mm;
pub mod ndis;
pub mod ob;
pub mod pnp;
pub mod po;
pub mod portcls;
pub mod ps;
pub mod rtl;
pub mod scsiport;
pub mod se;
pub mod seh;
pub mod status_names;
pub mod storport;
pub mod tdi;
pub mod types;
pub mod usbd;
pub mod wdf;
pub mod wfp;
pub mod wmilib;
pub mod zw;

pub use kernel::{Kernel, KernelOptions, Kx};
