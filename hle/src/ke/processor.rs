//! Processors: each has a control region (KPCR and KPRCB, with its number), an idle thread,
//! a DPC queue and a DPC context. The queries: KeGetCurrentProcessorNumberEx,
//! KeQueryActiveProcessors, KeQueryActiveProcessorCount(Ex), KeQueryMaximumProcessorCount(Ex),
//! KeQueryActiveGroupCount, KeQueryMaximumGroupCount, KeQueryGroupAffinity,
//! KeGetProcessorNumberFromIndex, KeGetProcessorIndexFromNumber, KeGetCurrentNodeNumber,
//! KeQueryHighestNodeNumber. All processors are in group 0 and NUMA node 0.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, KPCR, KPRCB, PROCESSOR_NUMBER};
use crate::types::{status, NtStatus, Ptr, SizeT};

use super::irql::DISPATCH_LEVEL;
use super::scheduler::{Kind, Processor};

/// ALL_PROCESSOR_GROUPS.
const ALL_PROCESSOR_GROUPS: u16 = 0xFFFF;
/// INVALID_PROCESSOR_INDEX.
const INVALID_PROCESSOR_INDEX: u32 = 0xFFFF_FFFF;

/// Where the processor block sits in the control region.
pub fn kprcb_of(arch: Arch, kpcr: u64) -> u64 {
    kpcr + if arch == Arch::X86 { 0x120 } else { 0x180 }
}

/// Fills each processor's control region and sets up its DPC context. `first_thread` runs
/// on processor 0; the others start with their idle threads.
pub(crate) fn boot(k: &mut Kx, gdt: u64, idt: u64, tss: u64, first_thread: u64, idle: &[u64]) -> KResult<()> {
    let arch = k.arch();
    for cpu in 0..k.cpus() {
        let (kpcr, _) = k.cpu_block(cpu);
        let prcb = kprcb_of(arch, kpcr);
        let mem = k.mem_mut();
        match arch {
            Arch::X86 => {
                mem.write_ptr(kpcr + 0x18, kpcr)?; // NtTib.Self
                mem.set(kpcr, KPCR::SelfPcr, kpcr)?;
                mem.set(kpcr, KPCR::Prcb, prcb)?;
                mem.set(kpcr, KPCR::IrqlX86, 0)?;
                mem.set(kpcr, KPCR::Idt, idt)?;
                mem.set(kpcr, KPCR::Gdt, gdt)?;
                mem.set(kpcr, KPCR::Tss, tss)?;
                mem.set(kpcr, KPCR::MajorVersionX86, 1)?;
                mem.set(kpcr, KPCR::MinorVersionX86, 1)?;
                mem.set(kpcr, KPCR::SetMember, 1 << cpu)?;
                mem.set(kpcr, KPCR::Number, cpu as u64)?;
                mem.set(prcb, KPRCB::NumberX86, cpu as u64)?;
            }
            Arch::X64 => {
                mem.set(kpcr, KPCR::GdtBase, gdt)?;
                mem.set(kpcr, KPCR::TssBase, tss)?;
                mem.set(kpcr, KPCR::Self_, kpcr)?;
                mem.set(kpcr, KPCR::CurrentPrcb, prcb)?;
                mem.set(kpcr, KPCR::IdtBase, idt)?;
                mem.set(kpcr, KPCR::MajorVersionX64, 1)?;
                mem.set(kpcr, KPCR::MinorVersionX64, 1)?;
                mem.set(prcb, KPRCB::NumberX64, cpu as u64)?;
            }
        }
        mem.set(prcb, KPRCB::MajorVersion, 1)?;
        mem.set(prcb, KPRCB::MinorVersion, 1)?;
        let idle_thread = idle[cpu as usize];
        mem.set(prcb, KPRCB::IdleThread, idle_thread)?;
        mem.set(prcb, KPRCB::CurrentThread, if cpu == 0 { first_thread } else { idle_thread })?;
        let s = &mut k.ext_mut().sched;
        let dpc_context = s.add(Kind::Dpc { processor: cpu }, cpu, DISPATCH_LEVEL);
        s.processors.push(Processor { kpcr, kprcb: prcb, dpcs: Default::default(), dpc_context, idle_thread });
        super::scheduler::give_stack(k, dpc_context)?;
    }
    Ok(())
}

/// The processor the current context runs on.
pub fn current(k: &Kx) -> u32 {
    k.ext().sched.current().processor
}

/// The control region of processor `cpu` (the first one's before the processors are set up).
pub fn kpcr_of(k: &Kx, cpu: u32) -> u64 {
    match k.ext().sched.processors.get(cpu as usize) {
        Some(p) => p.kpcr,
        None => k.ext().system.kpcr,
    }
}

/// The control region of the processor the current context runs on (what FS/GS point at).
pub fn current_kpcr(k: &Kx) -> u64 {
    let s = &k.ext().sched;
    kpcr_of(k, s.contexts.get(s.current).map(|c| c.processor).unwrap_or(0))
}

/// The active processors' affinity mask.
pub fn active_mask(k: &Kx) -> u64 {
    match k.cpus() {
        64.. => u64::MAX,
        n => (1u64 << n) - 1,
    }
}

/// ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)
pub fn KeGetCurrentProcessorNumberEx(k: &mut Kx, number: Ptr) -> KResult<u32> {
    let n = current(k);
    if !number.is_null() {
        let mem = k.mem_mut();
        mem.set(number.0, PROCESSOR_NUMBER::Group, 0)?;
        mem.set(number.0, PROCESSOR_NUMBER::Number, n as u64)?;
        mem.set(number.0, PROCESSOR_NUMBER::Reserved, 0)?;
    }
    Ok(n)
}

/// KAFFINITY KeQueryActiveProcessors(void)
pub fn KeQueryActiveProcessors(k: &mut Kx) -> KResult<SizeT> {
    Ok(SizeT(active_mask(k)))
}

/// ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)
pub fn KeQueryActiveProcessorCount(k: &mut Kx, active: Ptr) -> KResult<u32> {
    if !active.is_null() {
        let m = active_mask(k);
        k.mem_mut().write_ptr(active.0, m)?;
    }
    Ok(k.cpus())
}

fn in_group(k: &Kx, group: u16) -> u32 {
    if group == 0 || group == ALL_PROCESSOR_GROUPS {
        k.cpus()
    } else {
        0
    }
}

/// ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)
pub fn KeQueryActiveProcessorCountEx(k: &mut Kx, group: u16) -> KResult<u32> {
    Ok(in_group(k, group))
}

/// ULONG KeQueryMaximumProcessorCount(void)
pub fn KeQueryMaximumProcessorCount(k: &mut Kx) -> KResult<u32> {
    Ok(k.cpus())
}

/// ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber)
pub fn KeQueryMaximumProcessorCountEx(k: &mut Kx, group: u16) -> KResult<u32> {
    Ok(in_group(k, group))
}

/// USHORT KeQueryActiveGroupCount(void)
pub fn KeQueryActiveGroupCount(_k: &mut Kx) -> KResult<u16> {
    Ok(1)
}

/// USHORT KeQueryMaximumGroupCount(void)
pub fn KeQueryMaximumGroupCount(_k: &mut Kx) -> KResult<u16> {
    Ok(1)
}

/// KAFFINITY KeQueryGroupAffinity(USHORT GroupNumber)
pub fn KeQueryGroupAffinity(k: &mut Kx, group: u16) -> KResult<SizeT> {
    Ok(SizeT(if group == 0 { active_mask(k) } else { 0 }))
}

/// NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber)
pub fn KeGetProcessorNumberFromIndex(k: &mut Kx, index: u32, number: Ptr) -> KResult<NtStatus> {
    if index >= k.cpus() {
        return Ok(status::INVALID_PARAMETER);
    }
    let mem = k.mem_mut();
    mem.set(number.0, PROCESSOR_NUMBER::Group, 0)?;
    mem.set(number.0, PROCESSOR_NUMBER::Number, index as u64)?;
    mem.set(number.0, PROCESSOR_NUMBER::Reserved, 0)?;
    Ok(status::SUCCESS)
}

/// ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber)
pub fn KeGetProcessorIndexFromNumber(k: &mut Kx, number: Ptr) -> KResult<u32> {
    let group = k.mem().get(number.0, PROCESSOR_NUMBER::Group)?;
    let n = k.mem().get(number.0, PROCESSOR_NUMBER::Number)? as u32;
    Ok(if group == 0 && n < k.cpus() { n } else { INVALID_PROCESSOR_INDEX })
}

/// USHORT KeGetCurrentNodeNumber(void)
pub fn KeGetCurrentNodeNumber(_k: &mut Kx) -> KResult<u16> {
    Ok(0)
}

/// USHORT KeQueryHighestNodeNumber(void)
pub fn KeQueryHighestNodeNumber(_k: &mut Kx) -> KResult<u16> {
    Ok(0)
}
