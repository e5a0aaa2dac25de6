//! `ZwQuerySystemInformation` / `NtQuerySystemInformation`: the machine (basic, processor,
//! performance, processor times), the clock, the processes and threads, the loaded modules
//! (with the real bases of ntoskrnl.exe, hal.dll and each driver), the handles, the kernel
//! debugger, the system range, code integrity and firmware tables. A buffer of the wrong size
//! is STATUS_INFO_LENGTH_MISMATCH with the length needed in ReturnLength, as Windows answers;
//! a class not listed is STATUS_INVALID_INFO_CLASS.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use super::{at_least, exact, write_len, Out};
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, LDR_DATA_TABLE_ENTRY};
use crate::types::{status, NtStatus, Ptr};

pub const SYSTEM_BASIC_INFORMATION: u32 = 0;
pub const SYSTEM_PROCESSOR_INFORMATION: u32 = 1;
pub const SYSTEM_PERFORMANCE_INFORMATION: u32 = 2;
pub const SYSTEM_TIME_OF_DAY_INFORMATION: u32 = 3;
pub const SYSTEM_PROCESS_INFORMATION: u32 = 5;
pub const SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION: u32 = 8;
pub const SYSTEM_MODULE_INFORMATION: u32 = 11;
pub const SYSTEM_HANDLE_INFORMATION: u32 = 16;
pub const SYSTEM_KERNEL_DEBUGGER_INFORMATION: u32 = 35;
pub const SYSTEM_RANGE_START_INFORMATION: u32 = 50;
pub const SYSTEM_FIRMWARE_TABLE_INFORMATION: u32 = 76;
pub const SYSTEM_CODE_INTEGRITY_INFORMATION: u32 = 103;

/// Pages of guest RAM the machine reports (KUSER_SHARED_DATA.NumberOfPhysicalPages).
const PHYSICAL_PAGES: u32 = 0x20000;

/// Time since boot, 100 ns units.
fn uptime(k: &Kx) -> u64 {
    crate::ke::time::interrupt_time(k)
}

fn basic(k: &Kx) -> Vec<u8> {
    let arch = k.arch();
    let highest_user = match arch {
        Arch::X86 => 0x7FFE_FFFF,
        Arch::X64 => 0x7FF_FFFE_FFFF,
    };
    let mut o = Out::new(arch);
    o.u32(0) // Reserved
        .u32(crate::ps::TICK_100NS as u32) // TimerResolution
        .u32(0x1000) // PageSize
        .u32(PHYSICAL_PAGES)
        .u32(1) // LowestPhysicalPageNumber
        .u32(PHYSICAL_PAGES - 1) // HighestPhysicalPageNumber
        .u32(0x1_0000) // AllocationGranularity
        .align(arch.ptr_size() as usize)
        .ptr(0x1_0000) // MinimumUserModeAddress
        .ptr(highest_user)
        .ptr(crate::ke::processor::active_mask(k)) // ActiveProcessorsAffinityMask
        .u8(k.cpus() as u8) // NumberOfProcessors
        .align(arch.ptr_size() as usize);
    o.bytes
}

/// KeFeatureBits as Windows derives them from CPUID.
fn feature_bits(k: &Kx) -> u32 {
    let id = &k.guest().cpu.identity;
    let edx = id.features_edx;
    let has = |bit: u32| edx & (1 << bit) != 0;
    let mut f = 0x4; // KF_CR4
    for (bit, flag) in
        [(4, 0x2), (15, 0x8), (13, 0x10), (3, 0x20), (12, 0x40), (8, 0x80), (23, 0x100), (16, 0x400), (24, 0x800)]
    {
        if has(bit) {
            f |= flag;
        }
    }
    if has(11) {
        f |= 0x1000; // KF_FAST_SYSCALL
    }
    if has(25) {
        f |= 0x2000; // KF_XMMI
    }
    if has(26) {
        f |= 0x1_0000; // KF_XMMI64
    }
    if id.ext_features_edx & (1 << 20) != 0 {
        f |= 0x2000_0000; // KF_NOEXECUTE
    }
    f
}

fn processor(k: &Kx) -> Vec<u8> {
    let id = &k.guest().cpu.identity;
    let mut o = Out::new(k.arch());
    o.u16(if k.arch() == Arch::X64 { 9 } else { 0 }) // PROCESSOR_ARCHITECTURE_AMD64 / _INTEL
        .u16(id.family as u16)
        .u16(((id.model << 8) | id.stepping) as u16)
        .u16(0)
        .u32(feature_bits(k));
    o.bytes
}

fn performance(k: &Kx) -> Vec<u8> {
    let usage = k.mem().usage();
    let page = 0x1000;
    let mut o = Out::new(k.arch());
    o.u64(0).u64(0).u64(0).u64(0); // IdleProcessTime, Io{Read,Write,Other}TransferCount
    o.u32(0).u32(0).u32(0); // Io{Read,Write,Other}OperationCount
    o.u32(((usage.limit - usage.used) / page) as u32) // AvailablePages
        .u32((usage.used / page) as u32) // CommittedPages
        .u32((usage.limit / page) as u32) // CommitLimit
        .u32((usage.peak / page) as u32); // PeakCommitment
    o.bytes.resize(0x138, 0);
    o.bytes
}

fn time_of_day(k: &Kx) -> Vec<u8> {
    let mut o = Out::new(k.arch());
    o.u64(crate::ps::BOOT_SYSTEM_TIME).u64(crate::ke::time::system_time(k)).u64(0).u32(0).u32(0).u64(0).u64(0);
    o.bytes
}

/// One SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION per processor.
fn processor_performance(k: &Kx) -> Vec<u8> {
    let mut o = Out::new(k.arch());
    for _ in 0..k.cpus() {
        // IdleTime, KernelTime (which includes it), UserTime, DpcTime, InterruptTime,
        // InterruptCount.
        o.u64(0).u64(uptime(k)).u64(0).u64(0).u64(0).u32(0).align(8);
    }
    o.bytes
}

/// SYSTEM_PROCESS_INFORMATION entries, each followed by its threads and image name, for a
/// buffer at `buffer` (the names' UNICODE_STRINGs point into it).
fn processes(k: &Kx, buffer: u64) -> KResult<Vec<u8>> {
    let arch = k.arch();
    let x64 = arch == Arch::X64;
    let list = crate::ps::list::processes(k)?;
    let current = crate::ps::current_thread(k)?;
    let handles = k.ext().handles.all(arch);
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let start = out.len();
        let header = if x64 { 0x100 } else { 0xB8 };
        let thread_size = if x64 { 0x50 } else { 0x40 };
        let name: Vec<u8> = if p.pid == crate::ps::SYSTEM_PID {
            Vec::new()
        } else {
            p.image_name.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
        };
        let name_at = header + thread_size * p.threads.len();
        let size = (name_at + name.len()).div_ceil(8) * 8;
        let count = handles.iter().filter(|(proc_, _, _)| *proc_ == p.eprocess).count() as u32;
        let create_time = k.mem().get(p.eprocess, EPROCESS::CreateTime)?;
        let mut o = Out::new(arch);
        o.u32(if i + 1 == list.len() { 0 } else { size as u32 }) // NextEntryOffset
            .u32(p.threads.len() as u32)
            .u64(0) // WorkingSetPrivateSize
            .u32(0)
            .u32(p.threads.len() as u32)
            .u64(0) // CycleTime
            .u64(create_time) // CreateTime
            .u64(0)
            .u64(uptime(k)); // UserTime, KernelTime
                             // ImageName: a UNICODE_STRING whose buffer follows the threads.
        let len = name.len().saturating_sub(2) as u16;
        let name_ptr = if name.is_empty() { 0 } else { buffer + (start + name_at) as u64 };
        o.u16(len).u16(name.len() as u16).align(arch.ptr_size() as usize).ptr(name_ptr);
        o.u32(8) // BasePriority
            .align(arch.ptr_size() as usize)
            .ptr(p.pid)
            .ptr(p.parent_pid)
            .u32(count) // HandleCount
            .u32(if p.pid == crate::ps::SYSTEM_PID { 0 } else { 1 }); // SessionId
        o.bytes.resize(header, 0);
        for t in &p.threads {
            let mut th = Out::new(arch);
            th.u64(0).u64(0).u64(crate::ps::BOOT_SYSTEM_TIME).u32(0); // times, WaitTime
            if x64 {
                th.u32(0);
            }
            th.ptr(t.start) // StartAddress
                .ptr(p.pid)
                .ptr(t.tid); // ClientId
            th.align(if x64 { 8 } else { 4 });
            th.u32(t.priority.into())
                .u32(t.base_priority.into())
                .u32(0) // ContextSwitches
                .u32(if t.ethread == current { 2 } else { t.state }) // ThreadState
                .u32(t.wait_reason);
            th.bytes.resize(thread_size, 0);
            o.bytes.extend(th.bytes);
        }
        o.bytes.extend(&name);
        o.bytes.resize(size, 0);
        out.extend(o.bytes);
    }
    Ok(out)
}

/// RTL_PROCESS_MODULES: the kernel's images, then each loaded driver.
fn modules(k: &Kx) -> KResult<Vec<u8>> {
    let arch = k.arch();
    let mut mods: Vec<(u64, u64, String)> = k.ext().images.images.iter().map(|i| (i.base, i.size, i.path())).collect();
    for d in k.ext().drivers().iter().filter(|d| !d.unloaded) {
        let full =
            crate::rtl::unicode::read_unicode_string(k, LDR_DATA_TABLE_ENTRY::FullDllName.at(arch, d.ldr_entry))?;
        mods.push((d.image.base, d.image.size, full));
    }
    let mut o = Out::new(arch);
    o.u32(mods.len() as u32).align(arch.ptr_size() as usize);
    for (i, (base, size, path)) in mods.iter().enumerate() {
        let mut name = [0u8; 256];
        let bytes = path.as_bytes();
        let n = bytes.len().min(255);
        name[..n].copy_from_slice(&bytes[..n]);
        let file = path.rfind('\\').map_or(0, |p| p + 1).min(n);
        o.ptr(0) // Section
            .ptr(0) // MappedBase
            .ptr(*base)
            .u32(*size as u32)
            .u32(0x0800_4000) // Flags
            .u16(i as u16) // LoadOrderIndex
            .u16(0) // InitOrderIndex
            .u16(1) // LoadCount
            .u16(file as u16); // OffsetToFileName
        o.bytes.extend_from_slice(&name);
        o.align(arch.ptr_size() as usize);
    }
    Ok(o.bytes)
}

/// SYSTEM_HANDLE_INFORMATION: every open handle of every process.
fn handles(k: &Kx) -> Vec<u8> {
    let arch = k.arch();
    let list = k.ext().handles.all(arch);
    let mut o = Out::new(arch);
    o.u32(list.len() as u32).align(arch.ptr_size() as usize);
    for (process, value, e) in list {
        let pid = k.mem().get(process, crate::layout::EPROCESS::UniqueProcessId).unwrap_or(0);
        let type_index = k
            .ext()
            .objects
            .get(e.object)
            .and_then(|o| crate::ob::types::TYPES.iter().find(|d| d.kind == Some(o.kind)))
            .map_or(0, |d| d.index);
        o.u16(pid as u16).u16(0).u8(type_index).u8(e.attributes as u8).u16(value as u16);
        o.align(arch.ptr_size() as usize).ptr(e.object).u32(e.granted_access).align(arch.ptr_size() as usize);
    }
    o.bytes
}

/// Code-integrity options: x64 Windows 7 enforces signed drivers; x86 does not.
fn code_integrity(k: &mut Kx, buffer: Ptr, length: u32, return_length: Ptr) -> KResult<NtStatus> {
    if length != 8 || k.mem().read_u32(buffer.0)? != 8 {
        write_len(k, return_length, 8)?;
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let options = if k.arch() == Arch::X64 { 1 } else { 0 };
    k.mem_mut().write_u32(buffer.0 + 4, options)?;
    write_len(k, return_length, 8)?;
    Ok(status::SUCCESS)
}

/// Copies a variable-length answer: all of it or STATUS_INFO_LENGTH_MISMATCH (and nothing).
fn whole(k: &mut Kx, bytes: Vec<u8>, buffer: Ptr, length: u32, return_length: Ptr) -> KResult<NtStatus> {
    at_least(k, &bytes, buffer, length, return_length)
}

/// NTSTATUS ZwQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass,
/// PVOID SystemInformation, ULONG SystemInformationLength, PULONG ReturnLength)
pub fn ZwQuerySystemInformation(
    k: &mut Kx,
    class: u32,
    buffer: Ptr,
    length: u32,
    return_length: Ptr,
) -> KResult<NtStatus> {
    match class {
        SYSTEM_BASIC_INFORMATION => {
            let b = basic(k);
            exact(k, &b, buffer, length, return_length)
        }
        SYSTEM_PROCESSOR_INFORMATION => {
            let b = processor(k);
            at_least(k, &b, buffer, length, return_length)
        }
        SYSTEM_PERFORMANCE_INFORMATION => {
            let b = performance(k);
            at_least(k, &b, buffer, length, return_length)
        }
        SYSTEM_TIME_OF_DAY_INFORMATION => {
            // Any length up to the whole structure: that much of it.
            let b = time_of_day(k);
            if length as usize > b.len() {
                write_len(k, return_length, 0)?;
                return Ok(status::INFO_LENGTH_MISMATCH);
            }
            k.mem_mut().write(buffer.0, &b[..length as usize])?;
            write_len(k, return_length, length as usize)?;
            Ok(status::SUCCESS)
        }
        SYSTEM_PROCESS_INFORMATION => {
            let b = processes(k, buffer.0)?;
            whole(k, b, buffer, length, return_length)
        }
        SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION => {
            let b = processor_performance(k);
            at_least(k, &b, buffer, length, return_length)
        }
        SYSTEM_MODULE_INFORMATION => {
            let b = modules(k)?;
            whole(k, b, buffer, length, return_length)
        }
        SYSTEM_HANDLE_INFORMATION => {
            let b = handles(k);
            whole(k, b, buffer, length, return_length)
        }
        SYSTEM_KERNEL_DEBUGGER_INFORMATION => {
            // KernelDebuggerEnabled FALSE, KernelDebuggerNotPresent TRUE.
            at_least(k, &[0, 1], buffer, length, return_length)
        }
        SYSTEM_RANGE_START_INFORMATION => {
            let start = match k.arch() {
                Arch::X86 => 0x8000_0000u64,
                Arch::X64 => 0xFFFF_0800_0000_0000,
            };
            let mut o = Out::new(k.arch());
            o.ptr(start);
            let b = o.bytes;
            exact(k, &b, buffer, length, return_length)
        }
        SYSTEM_FIRMWARE_TABLE_INFORMATION => super::firmware::query(k, buffer, length, return_length),
        SYSTEM_CODE_INTEGRITY_INFORMATION => code_integrity(k, buffer, length, return_length),
        _ => Ok(status::INVALID_INFO_CLASS),
    }
}

/// NtQuerySystemInformation: the same, for a caller of either mode.
pub fn NtQuerySystemInformation(
    k: &mut Kx,
    class: u32,
    buffer: Ptr,
    length: u32,
    return_length: Ptr,
) -> KResult<NtStatus> {
    ZwQuerySystemInformation(k, class, buffer, length, return_length)
}
