//! Processes and threads, KUSER_SHARED_DATA, the kernel's exported variables, and time.
//!
//! The kernel presents the Windows version of its options ([`crate::rtl::version`]; Windows 7
//! SP1 by default) in `NtBuildNumber` and KUSER_SHARED_DATA, on a configurable number of
//! processors (2 by default). It starts with two processes: the System process (PID 4), whose
//! thread runs DriverEntry and unload, and the user-mode caller (PID 0x1F4, "portcullis.exe")
//! on whose behalf requests arrive; a scenario adds more (`processes`), starts and ends them,
//! which the process and thread notify routines see. Time comes from the machine's virtual
//! clock, so every run sees the same tick counts and system time.

pub mod context;
pub mod exit_sync;
pub mod list;
pub mod lookup;
pub mod mode;
pub mod notify;
pub mod process;
pub mod processes;
pub mod session;
pub mod thread;
pub mod user_thread;

use portcullis_emu::{Arch, Prot, RegionKind};

use crate::exports::Dll;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, EPROCESS, ETHREAD, KPRCB, KSYSTEM_TIME, KUSER_SHARED_DATA, UNICODE_STRING};
use crate::ob::{ObjectKind, Owner};

/// 2024-01-01 00:00:00 UTC in 100 ns units since 1601: the virtual boot time.
pub const BOOT_SYSTEM_TIME: u64 = 133_485_408_000_000_000;
/// 100 ns units per clock tick (15.625 ms).
pub const TICK_100NS: u64 = 156_250;
pub const SYSTEM_PID: u64 = 4;
pub const USER_PID: u64 = 0x1F4;

/// Addresses of the kernel's permanent objects.
#[derive(Default, Debug)]
pub struct System {
    /// Holders of each process's exit synchronization (exit_sync.rs), by EPROCESS.
    pub exit_sync: std::collections::BTreeMap<u64, u32>,
    pub kpcr: u64,
    pub kprcb: u64,
    pub shared_data: u64,
    pub system_process: u64,
    pub system_thread: u64,
    pub user_process: u64,
    pub user_thread: u64,
    /// (dll, name, address) of each exported variable.
    pub(crate) data: Vec<(Dll, &'static str, u64)>,
    pub(crate) tick_count: u64,
    /// Every process, in creation order (see `processes.rs`).
    pub processes: Vec<processes::ProcessEntry>,
    /// The registered notify routines.
    pub notify: notify::Notify,
    /// The UNICODE_STRING of the service-pack name (CmCSDVersionString) PsGetVersion hands out.
    pub(crate) csd_version: u64,
    /// How the user-mode layer starts a thread RtlCreateUserThread asks for (user_thread.rs).
    pub(crate) user_thread_starter: Option<user_thread::Starter>,
}

impl System {
    pub(crate) fn data_export(&self, dll: Dll, name: &str) -> Option<u64> {
        self.data.iter().find(|(d, n, _)| *d == dll && *n == name).map(|(_, _, a)| *a)
    }
}

/// Writes a counted UNICODE_STRING header at `at` for `text` stored at `buffer`.
pub(crate) fn write_unicode(k: &mut Kx, at: u64, buffer: u64, text: &str) -> KResult<()> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).chain([0, 0]).collect();
    let mem = k.mem_mut();
    mem.write(buffer, &bytes)?;
    mem.set(at, UNICODE_STRING::Length, (units.len() * 2) as u64)?;
    mem.set(at, UNICODE_STRING::MaximumLength, bytes.len() as u64)?;
    mem.set(at, UNICODE_STRING::Buffer, buffer)?;
    Ok(())
}

pub(crate) fn boot(k: &mut Kx) -> KResult<()> {
    let arch = k.arch();
    let version = k.ext().options.version;
    let bias_minutes = k.ext().options.time_zone_bias;
    let layout = k.mem().layout().clone();
    let objects = k.mem_mut().alloc(RegionKind::System, "kernel objects", 0x4000, Prot::RW)?;

    // Processes and threads.
    let eproc = EPROCESS::STRUCT.size(arch);
    let ethr = ETHREAD::STRUCT.size(arch);
    let system_process = objects;
    let system_thread = objects + 0x800;
    let user_process = objects + 0x1000;
    let user_thread = objects + 0x1800;
    debug_assert!(eproc <= 0x800 && ethr <= 0x800);
    process::init_process(k, system_process, SYSTEM_PID, b"System")?;
    process::init_process(k, user_process, USER_PID, b"portcullis.exe")?;
    process::init_thread(k, system_thread, system_process, SYSTEM_PID, 8)?;
    process::init_thread(k, user_thread, user_process, USER_PID, 0x1F8)?;
    process::link_processes(k, &[system_process, user_process])?;
    let ob = &mut k.ext_mut().objects;
    ob.register(system_process, ObjectKind::Process, Some("System".into()), Owner::Kernel);
    ob.register(user_process, ObjectKind::Process, Some("portcullis.exe".into()), Owner::Kernel);
    ob.register(system_thread, ObjectKind::Thread, None, Owner::Kernel);
    ob.register(user_thread, ObjectKind::Thread, None, Owner::Kernel);
    let kpcr = layout.kpcr;
    let kprcb = crate::ke::processor::kprcb_of(arch, kpcr);

    // Exported variables, in ntoskrnl's .data.
    let ptr = arch.ptr_size();
    let (highest_user, range_start, probe) = match arch {
        Arch::X86 => (0x7FFE_FFFFu64, 0x8000_0000u64, 0x7FFF_0000u64),
        Arch::X64 => (0x7FF_FFFE_FFFF, 0xFFFF_0800_0000_0000, 0x7FF_FFFF_0000),
    };
    let cpus = k.cpus();
    let mut place = |name: &'static str, size: u64| crate::loader::system::variable(k, Dll::Ntoskrnl, name, size);
    let tick_count = place("KeTickCount", KSYSTEM_TIME::STRUCT.size(arch))?;
    let nprocs = place("KeNumberProcessors", 1)?;
    let build = place("NtBuildNumber", 4)?;
    let safeboot = place("InitSafeBootMode", 4)?;
    let kd_enabled = place("KdDebuggerEnabled", 1)?;
    let kd_not_present = place("KdDebuggerNotPresent", 1)?;
    let initial = place("PsInitialSystemProcess", ptr)?;
    let highest = place("MmHighestUserAddress", ptr)?;
    let start = place("MmSystemRangeStart", ptr)?;
    let probe_at = place("MmUserProbeAddress", ptr)?;
    // x86: how often the data cache was swept, a count kept for processors whose caches are
    // not coherent (never on x86, so it stays 0; variables are zero when placed).
    if arch == Arch::X86 {
        place("KeDcacheFlushCount", 4)?;
    }
    let mem = k.mem_mut();
    mem.write_u8(nprocs, cpus as u8)?;
    mem.write_u32(build, version.nt_build_number())?;
    mem.write_u32(safeboot, 0)?;
    mem.write_u8(kd_enabled, 0)?;
    mem.write_u8(kd_not_present, 1)?;
    mem.write_ptr(initial, system_process)?;
    mem.write_ptr(highest, highest_user)?;
    mem.write_ptr(start, range_start)?;
    mem.write_ptr(probe_at, probe)?;
    // The service-pack name PsGetVersion hands out (CmCSDVersionString), in ntoskrnl's .data.
    let csd_text = version.csd_version();
    let csd_version = UNICODE_STRING::STRUCT.size(arch);
    let csd_version = crate::loader::system::data_block(k, Dll::Ntoskrnl, csd_version)?;
    let csd_buffer =
        crate::loader::system::data_block(k, Dll::Ntoskrnl, (csd_text.encode_utf16().count() as u64 + 1) * 2)?;
    write_unicode(k, csd_version, csd_buffer, &csd_text)?;

    // KUSER_SHARED_DATA: version, root, product type; times are kept in step by sync_time.
    let sud = layout.shared_user_data;
    let mem = k.mem_mut();
    mem.set(sud, KUSER_SHARED_DATA::TickCountMultiplier, 0x0FA0_0000)?;
    mem.set(sud, KUSER_SHARED_DATA::NtProductType, 1)?; // NtProductWinNt
    mem.set(sud, KUSER_SHARED_DATA::ProductTypeIsValid, 1)?;
    mem.set(sud, KUSER_SHARED_DATA::NtMajorVersion, version.major.into())?;
    mem.set(sud, KUSER_SHARED_DATA::NtMinorVersion, version.minor.into())?;
    if version.major >= 10 {
        mem.set(sud, KUSER_SHARED_DATA::NtBuildNumber, version.build.into())?;
    }
    // The zone's bias (UTC = local + bias) in 100 ns units; no daylight saving.
    let bias = i64::from(bias_minutes) * 60 * 10_000_000;
    write_system_time_raw(mem, KUSER_SHARED_DATA::TimeZoneBias.at(arch, sud), bias as u64)?;
    mem.set(sud, KUSER_SHARED_DATA::TimeZoneId, 0)?; // TIME_ZONE_ID_UNKNOWN
    mem.set(sud, KUSER_SHARED_DATA::ImageNumberLow, if arch == Arch::X64 { 0x8664 } else { 0x14C })?;
    mem.set(sud, KUSER_SHARED_DATA::ImageNumberHigh, if arch == Arch::X64 { 0x8664 } else { 0x14C })?;
    mem.set(sud, KUSER_SHARED_DATA::NumberOfPhysicalPages, 0x20000)?;
    mem.set(sud, KUSER_SHARED_DATA::KdDebuggerEnabled, 0)?;
    mem.set(sud, KUSER_SHARED_DATA::NXSupportPolicy, if arch == Arch::X64 { 2 } else { 0 })?;
    let root: Vec<u8> = "C:\\Windows".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    mem.write(KUSER_SHARED_DATA::NtSystemRoot.at(arch, sud), &root)?;
    // Processor features that hold on this CPU: PF_XMMI_INSTRUCTIONS_AVAILABLE (6),
    // PF_RDTSC_INSTRUCTION_AVAILABLE (8), PF_PAE_ENABLED (9), PF_XMMI64 (10), PF_NX (12),
    // PF_SSE3 (13), PF_COMPARE_EXCHANGE128 (14).
    let features = KUSER_SHARED_DATA::ProcessorFeatures.at(arch, sud);
    for f in [6u64, 8, 10, 13] {
        mem.write_u8(features + f, 1)?;
    }
    if arch == Arch::X64 {
        for f in [9u64, 12, 14] {
            mem.write_u8(features + f, 1)?;
        }
    }

    mem.set(sud, KUSER_SHARED_DATA::ActiveProcessorCount, cpus as u64)?;
    mem.set(sud, KUSER_SHARED_DATA::ActiveGroupCount, 1)?;

    let sys = &mut k.ext_mut().system;
    sys.kpcr = kpcr;
    sys.kprcb = kprcb;
    sys.shared_data = sud;
    sys.system_process = system_process;
    sys.system_thread = system_thread;
    sys.user_process = user_process;
    sys.user_thread = user_thread;
    sys.tick_count = tick_count;
    sys.csd_version = csd_version;

    // Processors: control regions, idle threads, DPC contexts; the host's threads and the
    // two first processes.
    let (gdt, idt, tss) = {
        let mem = k.mem();
        let find = |name: &str| mem.regions().find(|r| r.name == name).map(|r| r.base).unwrap_or(0);
        (find("gdt"), find("idt"), find("tss"))
    };
    let idle_block = k.mem_mut().alloc(RegionKind::System, "idle threads", cpus as u64 * 0x800, Prot::RW)?;
    let idle: Vec<u64> = (0..cpus as u64).map(|i| idle_block + i * 0x800).collect();
    for t in &idle {
        process::init_thread(k, *t, system_process, 0, 0)?;
    }
    crate::ke::processor::boot(k, gdt, idt, tss, system_thread, &idle)?;
    thread::add_host_thread(k, system_thread, system_process, true)?;
    thread::add_host_thread(k, user_thread, user_process, false)?;
    processes::boot(k, system_process, system_thread, user_process, user_thread)?;
    set_current_thread(k, system_thread, false)?;
    sync_time(k)?;
    Ok(())
}

fn write_system_time(k: &mut Kx, at: u64, value: u64) -> KResult<()> {
    write_system_time_raw(k.mem_mut(), at, value)
}

fn write_system_time_raw(mem: &mut portcullis_emu::GuestMemory, at: u64, value: u64) -> KResult<()> {
    // Writers store High2 first, then Low, then High1, so readers can detect a torn read.
    mem.set(at, KSYSTEM_TIME::High2Time, value >> 32)?;
    mem.set(at, KSYSTEM_TIME::LowPart, value & 0xFFFF_FFFF)?;
    mem.set(at, KSYSTEM_TIME::High1Time, value >> 32)?;
    Ok(())
}

/// Brings KUSER_SHARED_DATA's clocks and KeTickCount up to the virtual clock.
pub fn sync_time(k: &mut Kx) -> KResult<()> {
    // The devices' clock follows (their callbacks due by now run).
    let cycles = k.guest().cpu.clock.cycles();
    k.guest_mut().ports.advance_to(cycles);
    let interrupt = k.guest().cpu.clock.now_ns() / 100;
    let ticks = interrupt / TICK_100NS;
    let (sud, tick_count) = (k.ext().system.shared_data, k.ext().system.tick_count);
    let arch = k.arch();
    write_system_time(k, KUSER_SHARED_DATA::InterruptTime.at(arch, sud), interrupt)?;
    write_system_time(k, KUSER_SHARED_DATA::SystemTime.at(arch, sud), BOOT_SYSTEM_TIME + interrupt)?;
    write_system_time(k, KUSER_SHARED_DATA::TickCount.at(arch, sud), ticks)?;
    k.mem_mut().set(sud, KUSER_SHARED_DATA::TickCountLowDeprecated, ticks & 0xFFFF_FFFF)?;
    write_system_time(k, tick_count, ticks)?;
    Ok(())
}

/// Makes `thread` (one the host calls the driver on) current, with the given previous mode:
/// the next call the host makes runs on it.
pub fn set_current_thread(k: &mut Kx, thread: u64, user_mode: bool) -> KResult<()> {
    if let Some(cid) = k.ext().sched.by_thread(thread) {
        crate::ke::scheduler::switch_tib(k, cid)?;
        k.ext_mut().sched.current = cid;
    }
    let s = &k.ext().sched;
    let processor = s.current().processor as usize;
    let prcb = s.processors.get(processor).map(|p| p.kprcb).unwrap_or(k.ext().system.kprcb);
    k.mem_mut().set(prcb, KPRCB::CurrentThread, thread)?;
    k.mem_mut().set(thread, ETHREAD::PreviousMode, user_mode as u64)?;
    crate::mm::space::follow(k)
}

/// The current thread, as the current processor's KPRCB.CurrentThread names it.
pub fn current_thread(k: &Kx) -> KResult<u64> {
    crate::ke::thread::current_thread(k)
}

/// The current process, as the current thread's APC state names it.
pub fn current_process(k: &Kx) -> KResult<u64> {
    let t = current_thread(k)?;
    Ok(k.mem().get(t, ETHREAD::ApcStateProcess)?)
}
