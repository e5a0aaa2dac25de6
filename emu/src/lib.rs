//! portcullis-emu: the machine Windows driver code runs in.
//!
//! An x86 or x64 guest under Unicorn with guest page tables, real GDT/IDT/TSS, a KPCR region
//! and KUSER_SHARED_DATA; driver code runs deprivileged at CPL3 so that every privileged
//! instruction traps and is mediated against virtual state ([`cpu::VirtualCpu`]); port I/O
//! goes through a [`ports::PortBus`] of device models and policies; everything is recorded
//! in a [`trace::Trace`]. This crate knows nothing of Windows objects: the kernel lives in
//! `portcullis-hle` and plugs in through [`Extension`] and host calls.
//!
//! ```
//! use portcullis_emu::{Arch, CallConv, Machine, MachineConfig, Prot, RegionKind};
//!
//! let mut m: Machine = Machine::new(MachineConfig::new(Arch::X64), ()).unwrap();
//! // mov eax, 0x1B; ... : a function returning its first argument plus one.
//! let code = [0x48, 0x8D, 0x41, 0x01, 0xC3]; // lea rax, [rcx+1]; ret
//! let f = m.mem_mut().alloc(RegionKind::Image, "demo", 0x1000, Prot::RX).unwrap();
//! m.mem_mut().write_unchecked(f, &code).unwrap();
//! assert_eq!(m.call(f, &[41], CallConv::Win64).unwrap(), 42);
//! ```

pub mod abi;
pub mod arch;
pub mod context;
mod contexts;
pub mod cpu;
mod decode;
pub mod error;
pub mod exception;
pub mod fault;
pub mod firmware;
pub mod idt;
pub mod interrupt;
pub mod limits;
mod machine;
pub mod memory;
pub mod pci;
pub mod physical;
pub mod plain;
pub mod platform;
pub mod ports;
mod privileged;
pub mod store;
pub mod trace;
mod uc;
mod user;

pub use abi::CallConv;
pub use arch::{Arch, Reg};
pub use context::CpuContext;
pub use contexts::{Exit, SavedContext};
pub use error::MachineError;
pub use exception::{GuestException, PageAccess, Resolution};
pub use fault::{FaultKind, GuestFault};
pub use idt::{IdtDelivery, IdtRoute};
pub use limits::{LimitHit, Limits};
pub use machine::{
    Extension, Guest, GuestCall, HostCallFn, Machine, MachineConfig, Never, Privilege, Stop, HOST_CALL_SLOT,
};
pub use memory::{GuestMemory, MemError, MemoryUsage, Prot, Region, RegionKind, SpaceId, MAX_CPUS, PAGE_SIZE};
pub use trace::{Event, MmioEvent, PortEvent, Privileged, PrivilegedEvent, Trace};
