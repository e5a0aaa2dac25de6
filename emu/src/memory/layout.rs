//! Where things live in the guest's kernel address space, per architecture.
//!
//! x64 follows the Windows 7-era map (KUSER_SHARED_DATA at 0xFFFFF780_00000000, system space
//! from 0xFFFFF800_00000000, nonpaged pool at 0xFFFFFA80_00000000); x86 uses the classic
//! 2 GiB kernel half with KUSER_SHARED_DATA at 0xFFDF0000 and the KPCR at 0xFFDFF000.

use serde::Serialize;

use crate::arch::Arch;

/// What a region of guest memory is for; reports group regions by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// Descriptor tables, the return-to-host page, kernel data the host maintains.
    System,
    /// Host-call slots: the code a driver's imports are bound to.
    Stubs,
    /// Loaded driver images.
    Image,
    /// Pool memory handed to the driver.
    Pool,
    /// Kernel thread stacks.
    Stack,
    /// Views of physical memory mapped for the driver.
    IoSpace,
    /// KUSER_SHARED_DATA.
    SharedData,
    /// The processor control region (KPCR/KPRCB), reached through GS (x64) or FS (x86).
    Kpcr,
    /// Memory of the (simulated) user-mode caller: the buffers its requests carry.
    User,
}

/// A bump-allocated span of virtual addresses for one region kind.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arena {
    pub(crate) base: u64,
    pub(crate) limit: u64,
}

/// The fixed virtual layout of one architecture.
#[derive(Clone, Debug)]
pub struct Layout {
    pub shared_user_data: u64,
    pub kpcr: u64,
    pub kpcr_size: u64,
    pub(crate) arenas: [(RegionKind, Arena); 7],
}

/// Most processors a machine can have: each has a control region of its own.
pub const MAX_CPUS: u32 = 32;

impl Layout {
    /// Where processor `cpu`'s control region lives, and its size: the first at `kpcr`, the
    /// others after it, each followed by an unmapped guard page.
    pub fn cpu_block(&self, cpu: u32) -> (u64, u64) {
        match (cpu, self.kpcr_size) {
            (0, size) => (self.kpcr, size),
            // x64: the first region is 64 KiB; the others need 0x5000 (KPCR + KPRCB).
            (n, 0x10000) => (self.kpcr + 0x11000 + (n as u64 - 1) * 0x6000, 0x5000),
            (n, size) => (self.kpcr + n as u64 * (size + 0x1000), size),
        }
    }

    pub fn for_arch(arch: Arch) -> Layout {
        match arch {
            Arch::X64 => Layout {
                shared_user_data: 0xFFFF_F780_0000_0000,
                kpcr: 0xFFFF_F800_0010_0000,
                kpcr_size: 0x10000,
                arenas: [
                    (RegionKind::System, arena(0xFFFF_F800_0020_0000, 0xFFFF_F800_1000_0000)),
                    (RegionKind::Stubs, arena(0xFFFF_F800_1000_0000, 0xFFFF_F800_1100_0000)),
                    (RegionKind::Image, arena(0xFFFF_F801_0000_0000, 0xFFFF_F802_0000_0000)),
                    (RegionKind::Stack, arena(0xFFFF_F802_0000_0000, 0xFFFF_F802_1000_0000)),
                    (RegionKind::IoSpace, arena(0xFFFF_F880_0000_0000, 0xFFFF_F881_0000_0000)),
                    (RegionKind::Pool, arena(0xFFFF_FA80_0000_0000, 0xFFFF_FA81_0000_0000)),
                    (RegionKind::User, arena(0x0000_0000_1000_0000, 0x0000_0000_7FFE_0000)),
                ],
            },
            Arch::X86 => Layout {
                shared_user_data: 0xFFDF_0000,
                kpcr: 0xFFDF_F000,
                kpcr_size: 0x4000,
                arenas: [
                    (RegionKind::System, arena(0x8000_0000, 0x8080_0000)),
                    (RegionKind::Stubs, arena(0x8080_0000, 0x80C0_0000)),
                    (RegionKind::Image, arena(0x8100_0000, 0x8800_0000)),
                    (RegionKind::Pool, arena(0x8800_0000, 0xA000_0000)),
                    (RegionKind::Stack, arena(0xA000_0000, 0xA800_0000)),
                    (RegionKind::IoSpace, arena(0xD000_0000, 0xF000_0000)),
                    (RegionKind::User, arena(0x1000_0000, 0x7FFE_0000)),
                ],
            },
        }
    }

    pub(crate) fn arena(&self, kind: RegionKind) -> Option<Arena> {
        self.arenas.iter().find(|(k, _)| *k == kind).map(|(_, a)| *a)
    }
}

const fn arena(base: u64, limit: u64) -> Arena {
    Arena { base, limit }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processor_regions_stay_clear_of_each_other_and_the_arenas() {
        for arch in [Arch::X86, Arch::X64] {
            let l = Layout::for_arch(arch);
            let mut prev_end = 0;
            for cpu in 0..MAX_CPUS {
                let (base, size) = l.cpu_block(cpu);
                assert!(base >= prev_end + 0x1000 || cpu == 0, "{arch:?} cpu {cpu}");
                prev_end = base + size;
                for (_, a) in &l.arenas {
                    assert!(prev_end + 0x1000 <= a.base || base >= a.limit, "{arch:?} cpu {cpu}");
                }
            }
        }
    }
}
