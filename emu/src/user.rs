//! User mode: what the processor runs a user process's code with.
//!
//! Driver code and user code both run at the real CPL3 (docs/architecture.md); what tells
//! them apart is the privilege the machine tracks ([`Privilege`]) and the address space:
//!
//! - user code runs under the *user view* of the page tables
//!   ([`GuestMemory::user_view_root`](crate::GuestMemory::user_view_root)), in which the whole
//!   kernel half is supervisor-only, so it cannot read, write or run kernel memory (a page
//!   fault, as on Windows);
//! - its #GPs are not mediated: a privileged instruction in user mode is an exception for
//!   the layer above, never emulated;
//! - its `in`/`out` are checked against IOPL and the I/O permission map the TSS's IoMapBase
//!   selects (`Guest::io_permitted`);
//! - on x86, FS selects the thread's TEB through the GDT's TEB descriptor (0x38, as Windows).
//!
//! The layer above switches at the boundary: [`Machine::switch_to_user`] before running user
//! code and when a host call the user code made returns, [`Machine::switch_to_kernel`] when
//! such a host call starts (the kernel, and the drivers it calls, run under the kernel's root).

use unicorn_engine::RegisterX86 as UcReg;

use crate::arch::Arch;
use crate::cpu::descriptors::TSS_SIZE;
use crate::error::MachineError;
use crate::machine::{Extension, Machine, Privilege};

/// The x86 TEB selector (KGDT_R3_TEB with RPL 3).
const TEB_SELECTOR: u16 = 0x3B;
/// Where the TSS keeps the offset of its I/O permission map.
const IO_MAP_BASE: u64 = 0x66;

impl<X: Extension> Machine<X> {
    /// Runs what follows as user code of the thread whose TEB is at `teb`: the user view of
    /// the address space, user privilege, FS on the TEB (x86; x64 GS_BASE).
    pub fn switch_to_user(&mut self, teb: u64) -> Result<(), MachineError> {
        // Every write to kernel memory comes first: on x86 every page is executable, so a
        // host write drops translated code through Unicorn, which translates the address at
        // the current CPL and, under the user view, would leave a page fault pending (quirk
        // 9 in docs/architecture.md).
        let arch = self.arch();
        if arch == Arch::X86 {
            let gdt = self.guest().gdt;
            let entry = gdt + (TEB_SELECTOR & !7) as u64;
            let d = self.mem().read_u64(entry)?;
            let base = teb & 0xFFFF_FFFF;
            let new = (d & !0xFF00_00FF_FFFF_0000) | ((base & 0xFF_FFFF) << 16) | (((base >> 24) & 0xFF) << 56);
            // Only a change is written: each write drops the page's translated code.
            if new != d {
                self.mem_mut().write_unchecked(entry, &new.to_le_bytes())?;
            }
        }
        let g = self.guest();
        // Unicorn translates the byte before a run's stop address when a run starts, and
        // top-level runs return to the sentinel: the return-to-host pages stay reachable
        // (they hold only `hlt`; the layer above treats user code reaching them as a fault
        // of the program).
        let exempt = [g.sentinel & !0xFFF, g.nested_sentinel & !0xFFF];
        let root = self.mem_mut().user_view_root(&exempt)?;
        self.set_cr3(root);
        let g = self.guest_mut();
        g.privilege = Privilege::User;
        let uc = g.uc;
        g.exceptions.reset(uc);
        match arch {
            Arch::X86 => uc.load_segment(UcReg::FS, TEB_SELECTOR)?,
            Arch::X64 => uc.set_reg(UcReg::GS_BASE, teb),
        }
        Ok(())
    }

    /// Back to kernel code on processor `cpu`: the kernel's page tables, kernel privilege,
    /// the processor's control region in FS (x86) or GS (x64).
    pub fn switch_to_kernel(&mut self, cpu: u32) -> Result<(), MachineError> {
        let root = self.mem().page_table_root();
        self.set_cr3(root);
        self.guest_mut().privilege = Privilege::Kernel;
        self.select_cpu(cpu)
    }

    /// Loads the processor's CR3 (Unicorn flushes its TLB; translated code stays valid, being
    /// kept by physical address).
    fn set_cr3(&mut self, root: u64) {
        let uc = self.guest().uc;
        if uc.reg(UcReg::CR3) != root {
            uc.set_reg(UcReg::CR3, root);
        }
    }

    /// The privilege guest code runs at now.
    pub fn privilege(&self) -> Privilege {
        self.guest().privilege
    }

    /// Points the TSS's IoMapBase at `offset` (from the TSS's start): the I/O permission map
    /// user code is checked against from now on. An offset past the TSS limit denies every
    /// port. (A write to kernel memory: make it before [`switch_to_user`](Machine::switch_to_user).)
    pub fn set_io_map_base(&mut self, offset: u16) -> Result<(), MachineError> {
        let tss = self.tss();
        // Only a change is written (on x86 every page is executable, and each write drops
        // the page's translated code).
        if self.mem().read_u16(tss + IO_MAP_BASE).ok() != Some(offset) {
            self.mem_mut().write(tss + IO_MAP_BASE, &offset.to_le_bytes())?;
        }
        Ok(())
    }

    /// The TSS's IoMapBase.
    pub fn io_map_base(&self) -> u16 {
        self.mem().read_u16(self.tss() + IO_MAP_BASE).unwrap_or(TSS_SIZE as u16)
    }
}
