//! The virtual processor state that privileged instructions act on.
//!
//! Driver code runs deprivileged, so its `mov cr0`, `wrmsr`, `cli`, `lgdt`... never touch the
//! engine's real CPU state: they act on this structure, and each leaves a trace event.

pub mod clock;
mod cpuid;
pub mod descriptors;
pub mod msr;

pub use clock::{VirtualClock, RDTSC_QUANTUM};
pub use cpuid::CpuIdentity;
pub use msr::{MsrFault, MsrFile};

/// A descriptor-table register as `lgdt`/`lidt` load it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableRegister {
    pub base: u64,
    pub limit: u16,
}

#[derive(Clone, Debug)]
pub struct VirtualCpu {
    pub msrs: MsrFile,
    pub identity: CpuIdentity,
    pub clock: VirtualClock,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    /// Task priority register; on x64 the IRQL lives here.
    pub cr8: u64,
    pub dr: [u64; 8],
    /// The virtual interrupt flag that `cli`/`sti`/`popf` act on.
    pub interrupts_enabled: bool,
    pub gdtr: TableRegister,
    pub idtr: TableRegister,
    pub ldtr: u16,
    pub tr: u16,
    /// Number of `wbinvd`/`invd`/`invlpg` executed, for reports.
    pub cache_flushes: u64,
}

impl VirtualCpu {
    pub(crate) fn new(msrs: MsrFile) -> VirtualCpu {
        VirtualCpu {
            msrs,
            identity: CpuIdentity::default(),
            clock: VirtualClock::default(),
            cr0: 0,
            cr2: 0,
            cr3: 0,
            cr4: 0,
            cr8: 0,
            // DR6 and DR7 reset values.
            dr: [0, 0, 0, 0, 0, 0, 0xFFFF_0FF0, 0x400],
            interrupts_enabled: true,
            gdtr: TableRegister::default(),
            idtr: TableRegister::default(),
            ldtr: 0,
            tr: 0,
            cache_flushes: 0,
        }
    }
}
