//! The virtual model-specific register file.
//!
//! Holds plausible values for the MSRs drivers read (APIC base, PAT, MTRRs, thermal status,
//! platform info, SYSCALL targets...). An MSR that is not in the file raises #GP in the guest,
//! as a real processor does for an unimplemented MSR; so does a write to a read-only one.
//! The TSC and the FS/GS base MSRs are live and handled by the machine, not stored here.

use hashbrown::HashMap;

use crate::arch::Arch;

pub const IA32_TIME_STAMP_COUNTER: u32 = 0x10;
pub const IA32_PLATFORM_ID: u32 = 0x17;
pub const IA32_BIOS_UPDT_TRIG: u32 = 0x79;
pub const IA32_APIC_BASE: u32 = 0x1B;
pub const IA32_FEATURE_CONTROL: u32 = 0x3A;
pub const IA32_BIOS_SIGN_ID: u32 = 0x8B;
pub const MSR_PLATFORM_INFO: u32 = 0xCE;
pub const IA32_MPERF: u32 = 0xE7;
pub const IA32_APERF: u32 = 0xE8;
pub const IA32_MTRRCAP: u32 = 0xFE;
pub const IA32_SYSENTER_CS: u32 = 0x174;
pub const IA32_SYSENTER_ESP: u32 = 0x175;
pub const IA32_SYSENTER_EIP: u32 = 0x176;
pub const IA32_MCG_CAP: u32 = 0x179;
pub const IA32_MCG_STATUS: u32 = 0x17A;
pub const IA32_PERF_STATUS: u32 = 0x198;
pub const IA32_PERF_CTL: u32 = 0x199;
pub const IA32_CLOCK_MODULATION: u32 = 0x19A;
pub const IA32_THERM_INTERRUPT: u32 = 0x19B;
pub const IA32_THERM_STATUS: u32 = 0x19C;
pub const IA32_MISC_ENABLE: u32 = 0x1A0;
pub const MSR_TEMPERATURE_TARGET: u32 = 0x1A2;
pub const IA32_PACKAGE_THERM_STATUS: u32 = 0x1B1;
pub const IA32_DEBUGCTL: u32 = 0x1D9;
pub const IA32_PAT: u32 = 0x277;
pub const IA32_MTRR_DEF_TYPE: u32 = 0x2FF;
pub const IA32_EFER: u32 = 0xC000_0080;
pub const IA32_STAR: u32 = 0xC000_0081;
pub const IA32_LSTAR: u32 = 0xC000_0082;
pub const IA32_CSTAR: u32 = 0xC000_0083;
pub const IA32_FMASK: u32 = 0xC000_0084;
pub const IA32_FS_BASE: u32 = 0xC000_0100;
pub const IA32_GS_BASE: u32 = 0xC000_0101;
pub const IA32_KERNEL_GS_BASE: u32 = 0xC000_0102;
pub const IA32_TSC_AUX: u32 = 0xC000_0103;

/// The revision of the microcode the processor runs, which CPUID leaf 1 deposits in
/// IA32_BIOS_SIGN_ID[63:32].
pub const MICROCODE_REVISION: u32 = 0x13;

#[derive(Clone, Copy, Debug)]
struct Entry {
    value: u64,
    writable: bool,
}

/// Why an MSR access faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsrFault {
    /// Not implemented by this CPU.
    Unknown,
    /// Implemented but read-only.
    ReadOnly,
    /// Implemented but write-only (IA32_BIOS_UPDT_TRIG).
    WriteOnly,
}

#[derive(Clone, Debug)]
pub struct MsrFile {
    regs: HashMap<u32, Entry>,
}

impl MsrFile {
    /// The defaults of a Westmere-class machine in the given mode.
    /// `syscall_target` is where LSTAR/SYSENTER_EIP point (the kernel's system-call entry).
    pub fn defaults(arch: Arch, syscall_target: u64) -> MsrFile {
        let mut f = MsrFile { regs: HashMap::new() };
        let ro = |f: &mut MsrFile, msr, v| f.set(msr, v, false);
        let rw = |f: &mut MsrFile, msr, v| f.set(msr, v, true);
        rw(&mut f, IA32_APIC_BASE, 0xFEE0_0900); // BSP, globally enabled, base 0xFEE00000
        ro(&mut f, IA32_FEATURE_CONTROL, 1); // locked, VMX disabled
                                             // Platform 1 (bits 52:50): what microcode loaders match an update's platform mask against.
        ro(&mut f, IA32_PLATFORM_ID, 1 << 50);
        // Read-write: software writes 0 to it, then executes CPUID(1), which deposits the
        // microcode revision again (`cpuid_leaf1`).
        rw(&mut f, IA32_BIOS_SIGN_ID, (MICROCODE_REVISION as u64) << 32);
        ro(&mut f, MSR_PLATFORM_INFO, 0x0000_0000_2000_1900 | (0x19 << 40)); // 25 x 133 MHz
        ro(&mut f, IA32_MTRRCAP, 0x0D0A); // 10 variable ranges, fixed, WC, SMRR
        rw(&mut f, IA32_SYSENTER_CS, if arch == Arch::X86 { 0x8 } else { 0 });
        rw(&mut f, IA32_SYSENTER_ESP, 0);
        rw(&mut f, IA32_SYSENTER_EIP, if arch == Arch::X86 { syscall_target } else { 0 });
        ro(&mut f, IA32_MCG_CAP, 0x0C09);
        rw(&mut f, IA32_MCG_STATUS, 0);
        ro(&mut f, IA32_PERF_STATUS, 0x0000_1900_0000_1919);
        rw(&mut f, IA32_PERF_CTL, 0x1919);
        rw(&mut f, IA32_CLOCK_MODULATION, 0);
        rw(&mut f, IA32_THERM_INTERRUPT, 0);
        // Reading valid, 54 degrees below TjMax: 46 C.
        rw(&mut f, IA32_THERM_STATUS, 0x8836_0000);
        rw(&mut f, IA32_MISC_ENABLE, 0x0085_0089);
        ro(&mut f, MSR_TEMPERATURE_TARGET, 100 << 16); // TjMax 100 C
        rw(&mut f, IA32_PACKAGE_THERM_STATUS, 0x8836_0000);
        rw(&mut f, IA32_DEBUGCTL, 0);
        rw(&mut f, IA32_PAT, 0x0007_0406_0007_0406);
        rw(&mut f, IA32_MTRR_DEF_TYPE, 0xC06); // enabled, fixed enabled, write-back default
        for fixed in [0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F] {
            rw(&mut f, fixed, 0x0606_0606_0606_0606);
        }
        for var in 0x200..0x214 {
            rw(&mut f, var, 0);
        }
        match arch {
            Arch::X64 => {
                rw(&mut f, IA32_EFER, 0xD01); // SCE, LME, LMA, NXE
                rw(&mut f, IA32_STAR, 0x0023_0010_0000_0000);
                rw(&mut f, IA32_LSTAR, syscall_target);
                rw(&mut f, IA32_CSTAR, 0);
                rw(&mut f, IA32_FMASK, 0x4700);
            }
            Arch::X86 => rw(&mut f, IA32_EFER, 0),
        }
        rw(&mut f, IA32_TSC_AUX, 0);
        f
    }

    /// Adds or replaces an MSR.
    pub fn set(&mut self, msr: u32, value: u64, writable: bool) {
        self.regs.insert(msr, Entry { value, writable });
    }

    /// Removes an MSR, so accesses to it fault.
    pub fn remove(&mut self, msr: u32) {
        self.regs.remove(&msr);
    }

    /// What executing CPUID leaf 1 does to the MSRs: the processor loads the running
    /// microcode's revision into IA32_BIOS_SIGN_ID[63:32] (Intel SDM vol. 3A, "Determining the
    /// Signature": write 0 to the MSR, execute CPUID(1), read the MSR).
    pub fn cpuid_leaf1(&mut self) {
        if let Some(e) = self.regs.get_mut(&IA32_BIOS_SIGN_ID) {
            e.value = (MICROCODE_REVISION as u64) << 32;
        }
    }

    pub fn read(&self, msr: u32) -> Result<u64, MsrFault> {
        if msr == IA32_BIOS_UPDT_TRIG {
            return Err(MsrFault::WriteOnly);
        }
        self.regs.get(&msr).map(|e| e.value).ok_or(MsrFault::Unknown)
    }

    pub fn write(&mut self, msr: u32, value: u64) -> Result<(), MsrFault> {
        // A microcode update trigger: the processor checks the update at that address and
        // loads only one Intel signed for it, so nothing loads and IA32_BIOS_SIGN_ID keeps
        // the running revision (the loader's check after CPUID(1) sees the failure). No fault.
        if msr == IA32_BIOS_UPDT_TRIG {
            return Ok(());
        }
        match self.regs.get_mut(&msr) {
            Some(e) if e.writable => {
                e.value = value;
                Ok(())
            }
            Some(_) => Err(MsrFault::ReadOnly),
            None => Err(MsrFault::Unknown),
        }
    }
}

/// A short name for well-known MSRs, for traces.
pub fn msr_name(msr: u32) -> Option<&'static str> {
    Some(match msr {
        IA32_TIME_STAMP_COUNTER => "IA32_TIME_STAMP_COUNTER",
        IA32_PLATFORM_ID => "IA32_PLATFORM_ID",
        IA32_BIOS_UPDT_TRIG => "IA32_BIOS_UPDT_TRIG",
        IA32_APIC_BASE => "IA32_APIC_BASE",
        IA32_FEATURE_CONTROL => "IA32_FEATURE_CONTROL",
        IA32_BIOS_SIGN_ID => "IA32_BIOS_SIGN_ID",
        MSR_PLATFORM_INFO => "MSR_PLATFORM_INFO",
        IA32_MPERF => "IA32_MPERF",
        IA32_APERF => "IA32_APERF",
        IA32_MTRRCAP => "IA32_MTRRCAP",
        IA32_SYSENTER_CS => "IA32_SYSENTER_CS",
        IA32_SYSENTER_ESP => "IA32_SYSENTER_ESP",
        IA32_SYSENTER_EIP => "IA32_SYSENTER_EIP",
        IA32_MCG_CAP => "IA32_MCG_CAP",
        IA32_MCG_STATUS => "IA32_MCG_STATUS",
        IA32_PERF_STATUS => "IA32_PERF_STATUS",
        IA32_PERF_CTL => "IA32_PERF_CTL",
        IA32_THERM_STATUS => "IA32_THERM_STATUS",
        IA32_MISC_ENABLE => "IA32_MISC_ENABLE",
        MSR_TEMPERATURE_TARGET => "MSR_TEMPERATURE_TARGET",
        IA32_PACKAGE_THERM_STATUS => "IA32_PACKAGE_THERM_STATUS",
        IA32_DEBUGCTL => "IA32_DEBUGCTL",
        IA32_PAT => "IA32_PAT",
        IA32_MTRR_DEF_TYPE => "IA32_MTRR_DEF_TYPE",
        IA32_EFER => "IA32_EFER",
        IA32_STAR => "IA32_STAR",
        IA32_LSTAR => "IA32_LSTAR",
        IA32_CSTAR => "IA32_CSTAR",
        IA32_FMASK => "IA32_FMASK",
        IA32_FS_BASE => "IA32_FS_BASE",
        IA32_GS_BASE => "IA32_GS_BASE",
        IA32_KERNEL_GS_BASE => "IA32_KERNEL_GS_BASE",
        IA32_TSC_AUX => "IA32_TSC_AUX",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_msrs_fault() {
        let f = MsrFile::defaults(Arch::X64, 0);
        assert_eq!(f.read(0xDEAD), Err(MsrFault::Unknown));
        assert_eq!(f.read(0x480), Err(MsrFault::Unknown), "no VMX capability MSRs without VMX");
    }

    #[test]
    fn read_only_msrs_refuse_writes() {
        let mut f = MsrFile::defaults(Arch::X64, 0);
        assert_eq!(f.write(IA32_MTRRCAP, 0), Err(MsrFault::ReadOnly));
        assert_eq!(f.write(IA32_PAT, 0x0606), Ok(()));
        assert_eq!(f.read(IA32_PAT), Ok(0x0606));
    }

    #[test]
    fn long_mode_efer_and_syscall_entry() {
        let f = MsrFile::defaults(Arch::X64, 0xFFFF_F800_0000_1000);
        assert_eq!(f.read(IA32_EFER), Ok(0xD01));
        assert_eq!(f.read(IA32_LSTAR), Ok(0xFFFF_F800_0000_1000));
        let f = MsrFile::defaults(Arch::X86, 0x8000_1000);
        assert_eq!(f.read(IA32_SYSENTER_EIP), Ok(0x8000_1000));
        assert_eq!(f.read(IA32_LSTAR), Err(MsrFault::Unknown));
    }
}
