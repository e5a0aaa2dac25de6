//! The kernel: the state the emulated ntoskrnl/hal keep, plugged into the machine as its
//! extension; its errors, trace events and reasons to stop. (Calls into it go through
//! [`crate::dispatch`].)

use std::borrow::Cow;

use portcullis_emu::{
    Arch, Event, Extension, GuestException, Machine, MachineConfig, MachineError, MemError, Reg, Resolution, Stop,
};
use serde::Serialize;

use crate::dispatch::CallRegistry;
use crate::ex::pool::Pool;
use crate::exports::{self, ArgValue, Dll};
use crate::io::IoManager;
use crate::ob::ObjectManager;
use crate::ps::System;
use crate::types::ArgKind;

/// The machine with the kernel in it: what every export function receives.
pub type Kx = Machine<Kernel>;

/// What an export function returns.
pub type KResult<T> = Result<T, KError>;

/// Why a piece of kernel code could not finish.
#[derive(Debug, Clone)]
pub enum KError {
    /// The run must stop (a guest fault inside a nested call, a bugcheck, a limit).
    Stop(Stop<KernelStop>),
    /// Kernel code touched guest memory that is not there: on Windows, a page fault in
    /// kernel mode. The dispatcher turns it into the bugcheck Windows would raise.
    Mem(MemError),
}

impl From<MemError> for KError {
    fn from(e: MemError) -> Self {
        KError::Mem(e)
    }
}

impl From<Stop<KernelStop>> for KError {
    fn from(s: Stop<KernelStop>) -> Self {
        KError::Stop(s)
    }
}

impl From<MachineError> for KError {
    fn from(e: MachineError) -> Self {
        KError::Stop(Stop::Machine(e))
    }
}

/// A bugcheck: the kernel's own way of stopping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bugcheck {
    pub code: u32,
    pub name: &'static str,
    pub params: [u64; 4],
    /// Address of the code that caused it (the caller of KeBugCheckEx, or of the export
    /// that failed).
    pub caller: u64,
    /// What the kernel knows beyond the code.
    pub reason: String,
}

impl std::fmt::Display for Bugcheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bugcheck {:#010x} {} ({:#x}, {:#x}, {:#x}, {:#x}) from {:#x}",
            self.code, self.name, self.params[0], self.params[1], self.params[2], self.params[3], self.caller
        )?;
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

/// Reasons the kernel stops a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KernelStop {
    Bugcheck(Bugcheck),
    /// Every flow that must go on waits, and nothing due on the virtual clock can wake any.
    Deadlock(crate::ke::wait_graph::Deadlock),
    /// The driver called a routine the kernel does not implement (a framework function table
    /// entry without an implementation): the run ends, naming it.
    Unimplemented {
        routine: String,
        caller: u64,
    },
    /// Internal: a thread that terminated itself below host frames of its own unwinds them
    /// (the scheduler catches it; it never ends a run).
    ThreadExit,
    /// An exception in user-mode code that neither the program's handlers nor its top-level
    /// filter took (`seh::user`): it ends the process with `code` as its exit status, as
    /// Windows reports an unhandled one. The
    /// user-mode layer that ran the process catches it; it never ends a run.
    UserException {
        code: u32,
        pc: u64,
        reason: String,
    },
}

/// One call into the kernel (an export, an internal routine, or a missing import's stub), as
/// the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiCall {
    pub dll: Cow<'static, str>,
    pub name: Cow<'static, str>,
    pub args: Vec<(&'static str, ArgValue)>,
    /// The raw return value; absent for VOID routines and calls that did not return.
    pub ret: Option<u64>,
    /// How to read `ret` ("status", "ptr", ...).
    pub ret_kind: Option<ArgKind>,
    /// The return address: where in the driver the call came from.
    pub caller: u64,
    /// A stub standing in for an import the kernel does not implement answered the call.
    pub missing: bool,
}

/// Output of DbgPrint and friends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DebugOutput {
    pub text: String,
    pub component: Option<u32>,
    pub level: Option<u32>,
    pub caller: u64,
}

/// The kernel's trace events, in the machine's one ordered stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    Call(ApiCall),
    Debug(DebugOutput),
    Bugcheck(Bugcheck),
    /// A change to the system: registry writes, files, error log, tracing ([`crate::events`]).
    System(crate::events::SystemEvent),
    /// Threads, DPCs, timers, work items and virtual time (see `ke::scheduler`).
    Sched(crate::ke::scheduler::SchedEvent),
    Deadlock(crate::ke::wait_graph::Deadlock),
    /// An exception was dispatched (or ended the run without being dispatched).
    Exception(Box<crate::seh::events::ExceptionEvent>),
    /// A user process's code starts running, or the process ended (the user-mode layer,
    /// portcullis-win32): what runs at CPL 3 until the next such event is that process's.
    UserProcess(UserProcessEvent),
}

/// A user process starts running (`exit_status` absent), runs again after another process
/// ran (`resumed`), or ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserProcessEvent {
    pub pid: u64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
}

/// What to do with imports the kernel does not implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingImports {
    /// Refuse to load, listing every missing `dll!name`.
    #[default]
    Error,
    /// Bind each to a stub that records the call and fails it as harmlessly as the routine's
    /// signature allows (see [`crate::dispatch`]).
    Stub,
}

/// How the kernel behaves.
#[derive(Clone, Debug)]
pub struct KernelOptions {
    /// Record every export call with decoded arguments, and the scheduler's events (on by
    /// default).
    pub record_calls: bool,
    pub missing_imports: MissingImports,
    /// Virtual processors (1 to 32; 2 by default).
    pub processors: u32,
    /// The Windows the kernel presents (Windows 7 SP1 by default).
    pub version: crate::rtl::version::WindowsVersion,
    /// The local time zone's bias in minutes, as Windows keeps it: UTC = local time + bias
    /// (0 by default: local time is UTC; UTC+01:00 is -60). No daylight saving.
    pub time_zone_bias: i32,
}

impl Default for KernelOptions {
    fn default() -> Self {
        KernelOptions {
            record_calls: true,
            missing_imports: MissingImports::Error,
            processors: 2,
            version: Default::default(),
            time_zone_bias: 0,
        }
    }
}

/// The kernel's state.
pub struct Kernel {
    pub arch: Arch,
    pub options: KernelOptions,
    /// Every routine a driver can call into, by host-call slot.
    pub calls: CallRegistry,
    pub system: System,
    pub pool: Pool,
    pub objects: ObjectManager,
    /// Every process's handle table.
    pub handles: crate::ob::handles::Handles,
    pub io: IoManager,
    /// The memory manager's state: views of physical memory, contiguous memory, sections.
    pub mm: crate::mm::MmState,
    /// The HAL's state: claimed resources.
    pub hal: crate::hal::HalState,
    /// The registry.
    pub registry: crate::cm::Registry,
    /// The kernel's own images (ntoskrnl.exe, hal.dll) and the loaded-module list.
    pub images: crate::loader::system::SystemImages,
    /// Process exit statuses and thread settings beyond the ETHREADs.
    pub tasks: crate::zw::process::Tasks,
    /// Processes' user-mode virtual memory.
    pub vm: crate::zw::memory::VirtualMemory,
    /// The in-memory file system's volume.
    pub volume: crate::fs::Volume,
    /// The Filter Manager: minifilters, their instances, contexts and ports.
    pub flt: crate::flt::FltState,
    /// Tokens and the security descriptors set on objects.
    pub security: crate::se::Security,
    /// ETW providers and the sessions that enable them.
    pub tracing: crate::etw::Tracing,
    /// The kernel debugger, when the scenario attaches one.
    pub debugger: crate::kd::Debugger,
    /// The emulated bus's devices, device interfaces and PnP notifications.
    pub pnp: crate::pnp::Pnp,
    /// Devices' power states and power requests.
    pub power: crate::po::Power,
    /// Threads, DPCs, timers, waits (ke/scheduler.rs).
    pub sched: crate::ke::scheduler::Scheduler,
    /// Executive state: resources, push locks, work queues, callbacks, lookaside lists.
    pub ex: crate::ex::ExState,
    pub(crate) drivers: Vec<crate::loader::LoadedDriver>,
    /// The run-time library's state (random generators, heaps).
    pub rtl: crate::rtl::RtlState,
    pub(crate) seh: crate::seh::State,
    /// KMDF (wdf/).
    pub wdf: crate::wdf::Framework,
    /// NDIS library state (ndis/).
    pub ndis: crate::ndis::NdisState,
    /// The Windows Filtering Platform: sessions, the engine's objects, callouts, injection.
    pub wfp: crate::wfp::WfpState,
    /// The HID class driver: registered minidrivers and their FDOs.
    pub hidclass: crate::hidclass::HidClass,
    pub portcls: crate::portcls::PortCls,
    pub storport: crate::storport::Ports,
    /// x86 system service descriptor tables (ke/service_table.rs).
    pub service_tables: crate::ke::service_table::ServiceTables,
    /// CNG objects (ksecdd/).
    pub cng: crate::ksecdd::Cng,
    /// Registered bugcheck callback records, in registration order (`ke/bugcheck_callback.rs`).
    pub(crate) bugcheck_callbacks: Vec<u64>,
    /// The I/O permission maps of the x86 TSS and the map each process uses (ke/iopm.rs).
    pub iopm: crate::ke::iopm::IoMaps,
    /// The user-mode layer's own state (portcullis-win32: processes' handles, modules),
    /// opaque to the kernel.
    pub user: Option<Box<dyn std::any::Any>>,
}

impl Extension for Kernel {
    type Event = KernelEvent;
    type Stop = KernelStop;

    /// Faults and traps in guest code become exceptions dispatched as Windows does
    /// (`crate::seh`).
    fn on_exception(k: &mut Kx, e: &GuestException) -> Resolution<KernelStop> {
        crate::seh::trap::on_exception(k, e)
    }
}

impl Kernel {
    /// Boots a kernel on a fresh machine of `config.arch`.
    pub fn boot(mut config: MachineConfig, options: KernelOptions) -> Result<Kx, MachineError> {
        let arch = config.arch;
        config.cpus = options.processors;
        let routines = exports::for_arch(arch);
        let kernel = Kernel {
            arch,
            options,
            calls: CallRegistry::new(routines),
            system: System::default(),
            pool: Pool::default(),
            objects: ObjectManager::default(),
            handles: Default::default(),
            io: IoManager::default(),
            mm: Default::default(),
            hal: Default::default(),
            registry: Default::default(),
            images: Default::default(),
            tasks: Default::default(),
            vm: Default::default(),
            volume: Default::default(),
            flt: Default::default(),
            security: Default::default(),
            tracing: Default::default(),
            debugger: Default::default(),
            pnp: Default::default(),
            power: Default::default(),
            sched: Default::default(),
            ex: Default::default(),
            drivers: Vec::new(),
            rtl: Default::default(),
            seh: crate::seh::State::default(),
            wdf: Default::default(),
            ndis: Default::default(),
            wfp: Default::default(),
            hidclass: Default::default(),
            portcls: Default::default(),
            storport: Default::default(),
            service_tables: Default::default(),
            cng: Default::default(),
            bugcheck_callbacks: Vec::new(),
            iopm: Default::default(),
            user: None,
        };
        let mut k = Machine::new(config, kernel)?;
        if k.host_call_slots() != 0 {
            return Err(MachineError::Other("the kernel's routines must be the machine's first host calls".into()));
        }
        let fail = |e: KError| MachineError::Other(format!("kernel boot: {e:?}"));
        // The kernel's routines are the machine's first host calls, in its images' .text;
        // the scheduler's return slots come right after them.
        crate::loader::system::map(&mut k).map_err(fail)?;
        crate::ke::scheduler::boot(&mut k).map_err(fail)?;
        crate::ps::boot(&mut k).map_err(fail)?;
        crate::ob::boot(&mut k).map_err(fail)?;
        crate::cm::boot(&mut k).map_err(fail)?;
        crate::io::boot(&mut k).map_err(fail)?;
        crate::fs::boot(&mut k).map_err(fail)?;
        crate::se::boot(&mut k).map_err(fail)?;
        crate::seh::boot(&mut k).map_err(fail)?;
        crate::ke::bugcheck::boot(&mut k).map_err(fail)?;
        crate::ke::service_table::boot(&mut k).map_err(fail)?;
        crate::hal::dispatch_table::boot(&mut k).map_err(fail)?;
        crate::loader::system::finish(&mut k).map_err(fail)?;
        // Last, so that the objects made at boot keep the addresses they had before
        // processes had handle tables in guest memory.
        crate::ob::handle_table::boot(&mut k).map_err(fail)?;
        Ok(k)
    }

    /// The address a driver's import of `dll!name` binds to, if the kernel implements it: a
    /// routine's host-call slot or a variable. A routine that moved between hal.dll and
    /// ntoskrnl.exe resolves from either (see [`Dll::kernel_sibling`]).
    pub fn resolve(&self, dll: Dll, name: &str) -> Option<u64> {
        self.resolve_in(dll, name).or_else(|| self.resolve_in(dll.kernel_sibling()?, name))
    }

    /// The address of `dll!name` in that library's own table (no sibling).
    pub(crate) fn resolve_in(&self, dll: Dll, name: &str) -> Option<u64> {
        match self.calls.functions.slot(dll, name) {
            Some(slot) => Some(self.calls.address(slot)),
            None => self.system.data_export(dll, name),
        }
    }

    /// The loaded drivers.
    pub fn drivers(&self) -> &[crate::loader::LoadedDriver] {
        &self.drivers
    }

    /// The driver whose image contains `pc`.
    pub fn driver_at(&self, pc: u64) -> Option<usize> {
        self.drivers.iter().position(|d| d.image.contains(pc))
    }
}

/// The return address of the export being called (at the top of the stack on entry).
pub fn caller(k: &Kx) -> u64 {
    let sp = k.reg(Reg::Sp);
    k.mem().read_ptr(sp).unwrap_or(0)
}

/// Turns an export's failure into the reason the run stops.
pub(crate) fn into_stop(k: &mut Kx, e: KError, what: &str, caller: u64) -> Stop<KernelStop> {
    match e {
        KError::Stop(s) => s,
        KError::Mem(m) => {
            let (addr, write) = match m {
                MemError::Unmapped { addr } => (addr, 0),
                MemError::UnmappedWrite { addr } => (addr, 1),
                MemError::ReadOnly { addr } => (addr, 1),
                other => return Stop::Machine(MachineError::Memory(other)),
            };
            let (code, name) = if matches!(m, MemError::ReadOnly { .. }) {
                (0xBE, "ATTEMPTED_WRITE_TO_READONLY_MEMORY")
            } else {
                (0x50, "PAGE_FAULT_IN_NONPAGED_AREA")
            };
            let b = Bugcheck {
                code,
                name,
                params: [addr, write, caller, 0],
                caller,
                reason: format!("{what} touched {addr:#x} on the driver's behalf"),
            };
            bugcheck_stop(k, b)
        }
    }
}

/// Records a deadlock and returns the stop that ends the run with it.
pub fn deadlock_stop(k: &mut Kx, d: crate::ke::wait_graph::Deadlock) -> Stop<KernelStop> {
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Deadlock(d.clone())));
    Stop::Host(KernelStop::Deadlock(d))
}

/// Records a bugcheck and returns the stop that ends the run with it.
pub fn bugcheck_stop(k: &mut Kx, b: Bugcheck) -> Stop<KernelStop> {
    crate::ke::bugcheck::record_data(k, &b);
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Bugcheck(b.clone())));
    Stop::Host(KernelStop::Bugcheck(b))
}
