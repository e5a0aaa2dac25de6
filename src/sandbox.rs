//! The sandbox: one driver in one emulated machine, driven step by step.
//!
//! ```
//! use portcullis::{Sandbox, Status};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/methods/methods.x64.sys");
//! let mut sb = Sandbox::builder().max_instructions(10_000_000).load_driver(path).unwrap();
//! assert_eq!(sb.driver_entry().unwrap(), Status::SUCCESS);
//! let h = sb.open(r"\\.\Methods").unwrap();
//! // IOCTL 0x900, METHOD_BUFFERED: the driver reverses its input.
//! let r = sb.ioctl(h, 0x8000_2400, b"gate", 16).unwrap();
//! assert_eq!(r.output(), b"etag");
//! sb.close(h).unwrap();
//! let leaks = sb.unload().unwrap();
//! assert!(leaks.is_empty());
//! let report = sb.report();
//! assert_eq!(report.entry_points.len(), 6); // entry, create, ioctl, cleanup, close, unload
//! ```

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use portcullis_emu::cpu::CpuIdentity;
use portcullis_emu::ports::{HostPortBackend, Policy, PortBusError, PortDevice};
use portcullis_emu::{Arch, GuestFault, LimitHit, Limits, MachineConfig, MachineError, Stop};
use portcullis_hle::driver::{Leaks, Unload};
use portcullis_hle::io::request::{self, FileHandle, IoResult, OutBuffer};
use portcullis_hle::io::{major, method};
use portcullis_hle::kernel::{Bugcheck, KError, Kernel, KernelOptions, KernelStop, Kx, MissingImports};
use portcullis_hle::loader::{self, LoadError};
use portcullis_hle::types::NtStatus;
use sha2::{Digest, Sha256};
use thiserror::Error;

mod program;

pub use program::ProgramRun;

use crate::outcome::Outcome;
use crate::record::{EntryPointRecord, Recorder};
use crate::report::Report;

/// NTSTATUS, as the sandbox API returns it.
pub type Status = NtStatus;

/// Events go to the recorder in batches of this many while the guest runs.
const TRACE_BATCH: usize = 256;

/// Why a driver could not be loaded into a sandbox.
#[derive(Debug, Error)]
pub enum SandboxError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot build the machine: {0}")]
    Machine(#[from] MachineError),
    #[error("port configuration: {0}")]
    Ports(#[from] PortBusError),
    #[error("physical machine configuration: {0}")]
    Physical(String),
    #[error("registry key `{0}` is not under \\Registry")]
    Registry(String),
    #[error("file `{0}` is not a file path on C:")]
    File(String),
    #[error("security: {0}")]
    Security(String),
    #[error("{0}")]
    Process(String),
}

impl SandboxError {
    /// The kind of refusal, as reports name it: "unreadable", "malformed", "unsupported",
    /// "wrong_arch", "missing_imports", "memory", "machine", "kernel" or "configuration".
    pub fn kind(&self) -> &'static str {
        match self {
            SandboxError::Read { .. } => "unreadable",
            SandboxError::Load(e) => match e {
                LoadError::Malformed(_) => "malformed",
                LoadError::WrongArch { .. } => "wrong_arch",
                LoadError::Unsupported(_) => "unsupported",
                LoadError::MissingImports(_) => "missing_imports",
                LoadError::Memory(_) => "memory",
                LoadError::Machine(_) => "machine",
                LoadError::Kernel(_) => "kernel",
            },
            SandboxError::Machine(_) => "machine",
            SandboxError::Ports(_)
            | SandboxError::Physical(_)
            | SandboxError::Registry(_)
            | SandboxError::File(_)
            | SandboxError::Security(_)
            | SandboxError::Process(_) => "configuration",
        }
    }

    /// The imports that refused the load, as `dll!name`.
    pub fn missing_imports(&self) -> &[String] {
        match self {
            SandboxError::Load(LoadError::MissingImports(m)) => m,
            _ => &[],
        }
    }
}

/// Why a step did not complete.
#[derive(Debug, Error, Clone)]
pub enum RunError {
    #[error("guest fault: {0}")]
    Fault(Box<GuestFault>),
    #[error("{0}")]
    Bugcheck(Bugcheck),
    #[error("limit reached: {0}")]
    Limit(LimitHit),
    #[error("the guest halted with interrupts disabled at {pc:#x}")]
    Halted { pc: u64 },
    #[error("the machine was reset: {} ({:#x} written to port {:#x})", .0.what, .0.value, .0.port)]
    Reset(portcullis_emu::ports::ResetRequest),
    #[error("machine error: {0}")]
    Machine(String),
    #[error("the system stopped earlier ({0}); nothing more can run")]
    Stopped(String),
    #[error("no open handle {0}")]
    BadHandle(u64),
    #[error("the open failed with {}", crate::report::status_text(.0.0))]
    OpenFailed(Status),
    #[error("DriverEntry has not run (or failed); the driver has no dispatch routines")]
    NotStarted,
    #[error("deadlock: {}", .0.reason)]
    Deadlock(portcullis_hle::ke::wait_graph::Deadlock),
    #[error("{0}")]
    Process(String),
    /// A signal (SIGINT, SIGTERM) stopped the run.
    #[error("interrupted by signal {0}")]
    Interrupted(i32),
    /// The sandbox refused a request before the driver saw it (a buffer over the maximum);
    /// the machine goes on.
    #[error("refused: {0}")]
    Refused(String),
    #[error("the driver called {routine} at {caller:#x}, which the kernel does not implement")]
    Unimplemented { routine: String, caller: u64 },
}

impl RunError {
    /// How a run this ended went.
    pub fn outcome(&self) -> Outcome {
        match self {
            RunError::Fault(_) => Outcome::Fault,
            RunError::Bugcheck(_) => Outcome::Bugcheck,
            RunError::Limit(_) => Outcome::Limit,
            RunError::Halted { .. } => Outcome::Halted,
            RunError::Deadlock(_) => Outcome::Deadlock,
            RunError::Reset(_) => Outcome::Reset,
            RunError::Interrupted(_) => Outcome::Interrupted,
            RunError::Unimplemented { .. } => Outcome::Unimplemented,
            _ => Outcome::Error,
        }
    }

    /// Whether the machine can go on after this (a failed open can; a crash cannot).
    fn fatal(&self) -> bool {
        matches!(
            self,
            RunError::Fault(_)
                | RunError::Bugcheck(_)
                | RunError::Limit(_)
                | RunError::Halted { .. }
                | RunError::Reset(_)
                | RunError::Machine(_)
                | RunError::Deadlock(_)
                | RunError::Interrupted(_)
                | RunError::Unimplemented { .. }
        )
    }
}

impl From<Stop<KernelStop>> for RunError {
    fn from(s: Stop<KernelStop>) -> Self {
        match s {
            Stop::Fault(f) => RunError::Fault(f),
            Stop::Limit(l) => RunError::Limit(l),
            Stop::Halted { pc } => RunError::Halted { pc },
            Stop::Reset(r) => RunError::Reset(r),
            Stop::Host(KernelStop::Bugcheck(b)) => RunError::Bugcheck(b),
            Stop::Host(KernelStop::Deadlock(d)) => RunError::Deadlock(d),
            Stop::Host(KernelStop::Unimplemented { routine, caller }) => RunError::Unimplemented { routine, caller },
            Stop::Host(KernelStop::ThreadExit) => RunError::Machine("a thread's end escaped the scheduler".into()),
            Stop::Host(KernelStop::UserException { code, pc, .. }) => {
                RunError::Machine(format!("a user-mode exception {code:#010x} at {pc:#x} escaped its process"))
            }
            Stop::Machine(e) => RunError::Machine(e.to_string()),
            Stop::Interrupted { signal } => RunError::Interrupted(signal),
            // Only reaches here when no call into the guest owns the target (a corrupt one).
            unwind @ Stop::Unwind(_) => RunError::Machine(unwind.to_string()),
        }
    }
}

impl From<KError> for RunError {
    fn from(e: KError) -> Self {
        match e {
            KError::Stop(s) => s.into(),
            KError::Mem(portcullis_emu::memory::MemError::LimitExceeded { limit }) => {
                RunError::Limit(LimitHit::Memory { limit })
            }
            KError::Mem(m) => RunError::Machine(m.to_string()),
        }
    }
}

type DeviceSpec = (u16, u16, Box<dyn PortDevice>);
/// A registry key to seed, and a value in it: (path, (name, type, data)).
type RegistrySeed = (String, Option<(String, u32, Vec<u8>)>);
type ForwardSpec = (u16, u16, Box<dyn HostPortBackend>);

/// Configures a sandbox; the architecture comes from the driver image.
pub struct SandboxBuilder {
    limits: Limits,
    cpu: Option<CpuIdentity>,
    options: KernelOptions,
    devices: Vec<DeviceSpec>,
    policies: Vec<(u16, u16, String, Policy)>,
    forwards: Vec<ForwardSpec>,
    trace: Option<Box<dyn std::io::Write>>,
    trace_limit: Option<u64>,
    record_ports: bool,
    physical: Vec<crate::physical::PhysicalSpec>,
    /// Registry keys and values to seed: (key path, value).
    registry: Vec<RegistrySeed>,
    /// Files to put on the volume: (path, contents).
    files: Vec<(String, Vec<u8>)>,
    /// The user program's account and the privileges it enabled.
    security: (portcullis_hle::se::Account, Vec<String>),
    /// ETW providers trace sessions enable.
    tracing: Vec<([u8; 16], portcullis_hle::etw::Enable)>,
    /// A kernel debugger, and what DbgPrompt reads.
    debugger: Option<(bool, Vec<String>)>,
    /// The device the emulated bus has for a PnP driver.
    pnp: portcullis_hle::pnp::DeviceConfig,
    /// Processes that exist from the start: (name, PID, parent PID).
    processes: Vec<(String, u64, u64)>,
    /// The machine's chips: the scenario's, then the default machine's unless `bare`.
    chips: Vec<crate::board::ChipSetup>,
    bare: bool,
    machine: portcullis_devices::MachineOptions,
    /// Keep every port access with its time (for `--vcd` and `--timeline`).
    timed_ports: bool,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            limits: Limits::default(),
            cpu: None,
            options: KernelOptions::default(),
            devices: Vec::new(),
            policies: Vec::new(),
            forwards: Vec::new(),
            trace: None,
            trace_limit: None,
            record_ports: true,
            physical: Vec::new(),
            registry: Vec::new(),
            files: Vec::new(),
            security: Default::default(),
            tracing: Vec::new(),
            debugger: None,
            pnp: Default::default(),
            processes: Vec::new(),
            chips: Vec::new(),
            bare: false,
            machine: Default::default(),
            timed_ports: false,
        }
    }
}

impl SandboxBuilder {
    /// All budgets at once; an instruction budget of 0 or a zero timeout is no limit.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Limits {
            max_instructions: limits.max_instructions.filter(|n| *n > 0),
            time: limits.time.filter(|t| !t.is_zero()),
            ..limits
        };
        self
    }

    /// Ends the run after `n` guest instructions (counted per basic block); 0: no limit.
    pub fn max_instructions(mut self, n: u64) -> Self {
        self.limits.max_instructions = (n > 0).then_some(n);
        self
    }

    /// Ends the run after `d` of wall time (not repeatable: see docs); zero: no limit.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.limits.time = (!d.is_zero()).then_some(d);
        self
    }

    /// The budgets configured so far.
    pub fn configured_limits(&self) -> &Limits {
        &self.limits
    }

    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.limits.memory_bytes = bytes;
        self
    }

    pub fn cpu(mut self, identity: CpuIdentity) -> Self {
        self.cpu = Some(identity);
        self
    }

    pub fn missing_imports(mut self, policy: MissingImports) -> Self {
        self.options.missing_imports = policy;
        self
    }

    /// The Windows version the kernel presents (Windows 7 SP1 by default).
    pub fn windows(mut self, version: portcullis_hle::rtl::version::WindowsVersion) -> Self {
        self.options.version = version;
        self
    }

    /// The local time zone's offset from UTC, in minutes (0 by default; +60 for UTC+01:00).
    pub fn utc_offset_minutes(mut self, minutes: i32) -> Self {
        self.options.time_zone_bias = -minutes;
        self
    }

    /// Attaches a device model to ports `first..=last`.
    pub fn device(mut self, first: u16, last: u16, device: Box<dyn PortDevice>) -> Self {
        self.devices.push((first, last, device));
        self
    }

    /// Attaches one of the PC's chips (configured by a scenario) before the default machine's.
    pub fn chip(mut self, setup: crate::board::ChipSetup) -> Self {
        self.chips.push(setup);
        self
    }

    /// A bare machine: no chips but those given with [`SandboxBuilder::chip`].
    pub fn bare_machine(mut self, bare: bool) -> Self {
        self.bare = bare;
        self
    }

    /// What the real-time clock shows at the virtual boot (seconds since 1970).
    pub fn rtc_epoch(mut self, epoch: i64) -> Self {
        self.machine.rtc_epoch = epoch;
        self
    }

    /// Keeps every port access with its virtual time (waveforms: `--vcd`, `--timeline`).
    pub fn timed_ports(mut self, on: bool) -> Self {
        self.timed_ports = on;
        self
    }

    /// Sets a `log` or `deny` policy on ports `first..=last`.
    pub fn policy(mut self, first: u16, last: u16, name: impl Into<String>, policy: Policy) -> Self {
        self.policies.push((first, last, name.into(), policy));
        self
    }

    /// Forwards ports `first..=last` to a host backend.
    pub fn forward(mut self, first: u16, last: u16, backend: Box<dyn HostPortBackend>) -> Self {
        self.forwards.push((first, last, backend));
        self
    }

    /// Whether host backends attached with [`SandboxBuilder::forward`] cover every port of
    /// `first..=last`.
    pub fn forwards_cover(&self, first: u16, last: u16) -> bool {
        (first..=last).all(|p| self.forwards.iter().any(|(a, b, _)| (*a..=*b).contains(&p)))
    }

    /// Attaches an MMIO device model to physical `[base, base + size)` (page-aligned).
    pub fn mmio_device(
        mut self,
        base: u64,
        size: u64,
        device: Box<dyn portcullis_emu::physical::mmio::MmioDevice>,
    ) -> Self {
        self.physical.push(crate::physical::PhysicalSpec::Device { base, size, device });
        self
    }

    /// Sets a `log` or `deny` policy on physical `[base, base + size)`.
    pub fn mmio_policy(
        mut self,
        base: u64,
        size: u64,
        name: impl Into<String>,
        policy: portcullis_emu::physical::mmio::MmioPolicy,
    ) -> Self {
        self.physical.push(crate::physical::PhysicalSpec::Policy { base, size, name: name.into(), policy });
        self
    }

    /// Adds RAM (`writable`) or ROM of its own at physical `[base, base + size)`.
    pub fn memory(mut self, base: u64, size: u64, name: impl Into<String>, initial: Vec<u8>, writable: bool) -> Self {
        self.physical.push(crate::physical::PhysicalSpec::Memory { base, size, name: name.into(), initial, writable });
        self
    }

    /// Adds (or replaces) a PCI function.
    pub fn pci_function(mut self, spec: crate::physical::PciSpec) -> Self {
        self.physical.push(crate::physical::PhysicalSpec::Pci(Box::new(spec)));
        self
    }

    /// Streams every event as JSON Lines to `w` while the run goes.
    pub fn trace(mut self, w: Box<dyn std::io::Write>) -> Self {
        self.trace = Some(w);
        self
    }

    /// Cuts the trace at this many bytes (whole lines; none: no limit). The report says when
    /// it was cut.
    pub fn trace_limit(mut self, bytes: Option<u64>) -> Self {
        self.trace_limit = bytes;
        self
    }

    /// Records the export calls with their arguments (on by default).
    pub fn record_calls(mut self, on: bool) -> Self {
        self.options.record_calls = on;
        self
    }

    /// Virtual processors (1 to 32; 2 by default).
    pub fn processors(mut self, n: u32) -> Self {
        self.options.processors = n;
        self
    }

    /// A process that exists from the start (no notify routine sees it begin).
    pub fn process(mut self, name: impl Into<String>, pid: u64, parent: u64) -> Self {
        self.processes.push((name.into(), pid, parent));
        self
    }

    /// Records every port, MMIO and PCI configuration access (on by default); off, only counts
    /// are kept.
    pub fn record_ports(mut self, on: bool) -> Self {
        self.record_ports = on;
        self
    }

    /// Makes sure a registry key exists before DriverEntry (with the keys on its way).
    /// `{service}` in the path stands for the driver's service name.
    pub fn registry_key(mut self, path: &str) -> Self {
        self.registry.push((path.to_string(), None));
        self
    }

    /// Sets a registry value before DriverEntry (creating its key). `{service}` in the path
    /// stands for the driver's service name.
    pub fn registry_value(mut self, path: &str, name: &str, ty: u32, data: Vec<u8>) -> Self {
        self.registry.push((path.to_string(), Some((name.to_string(), ty, data))));
        self
    }

    /// Puts a file on the volume before DriverEntry (`C:\\...`, `\\SystemRoot\\...` or a
    /// path on the volume), creating its directories.
    pub fn file(mut self, path: &str, data: Vec<u8>) -> Self {
        self.files.push((path.to_string(), data));
        self
    }

    /// The user program's account (administrator by default) and the privileges it enabled
    /// (names such as `SeDebugPrivilege`, held by that account).
    pub fn security(mut self, account: portcullis_hle::se::Account, privileges: Vec<String>) -> Self {
        self.security = (account, privileges);
        self
    }

    /// The ETW providers a trace session enables (GUID bytes, level and keywords).
    pub fn tracing(mut self, providers: Vec<([u8; 16], portcullis_hle::etw::Enable)>) -> Self {
        self.tracing = providers;
        self
    }

    /// Attaches a kernel debugger (`attached`), with the answers DbgPrompt reads.
    pub fn debugger(mut self, attached: bool, answers: Vec<String>) -> Self {
        self.debugger = Some((attached, answers));
        self
    }

    /// The device the emulated bus has for a driver with an AddDevice routine: its resources,
    /// hardware IDs, and whether it starts right after DriverEntry.
    pub fn pnp(mut self, config: portcullis_hle::pnp::DeviceConfig) -> Self {
        self.pnp = config;
        self
    }

    pub fn load_driver(self, path: impl AsRef<Path>) -> Result<Sandbox, SandboxError> {
        let path = path.as_ref();
        let bytes = crate::host_file::read_capped(path, crate::host_file::MAX_IMAGE_BYTES)
            .map_err(|source| SandboxError::Read { path: path.to_path_buf(), source })?;
        self.load_driver_bytes(path, &bytes)
    }

    /// Loads a driver from memory; `path` names it (its file stem becomes the service name).
    pub fn load_driver_bytes(self, path: impl AsRef<Path>, bytes: &[u8]) -> Result<Sandbox, SandboxError> {
        let path = path.as_ref();
        let (info, _) = loader::describe(bytes)?;
        let mut config = MachineConfig::new(info.arch);
        config.limits = self.limits.clone();
        if let Some(cpu) = self.cpu {
            config.cpu = cpu;
        }
        let mut k = Kernel::boot(config, self.options.clone())?;
        for (first, last, dev) in self.devices {
            k.guest_mut().ports.add_device(first, last, dev)?;
        }
        for (first, last, name, policy) in self.policies {
            k.guest_mut().ports.add_policy(first, last, name, policy)?;
        }
        for (first, last, backend) in self.forwards {
            k.guest_mut().ports.add_forward(first, last, backend)?;
        }
        let mut machine = self.machine.clone();
        machine.ram_bytes = k.mem().physical().ram_end().saturating_sub(portcullis_emu::memory::RAM_BASE);
        let devices = crate::board::install(&mut k.guest_mut().ports, self.chips, self.bare, &machine)?;
        k.guest_mut().ports.record_timed(self.timed_ports);
        k.guest_mut().timed_mmio.record(self.timed_ports);
        crate::physical::apply(&mut k, self.physical).map_err(SandboxError::Physical)?;
        k.guest_mut().trace.record_ports = self.record_ports;
        k.guest_mut().trace.record_mmio = self.record_ports;
        k.mem().physical().pci.borrow_mut().record = self.record_ports;
        for (name, pid, parent) in &self.processes {
            portcullis_hle::ps::processes::create(&mut k, name, *pid, *parent)
                .map_err(|e| MachineError::Other(format!("process {name}: {e:?}")))?
                .map_err(|e| SandboxError::Process(format!("process {name}: {e}")))?;
        }
        let recorder = Rc::new(RefCell::new(Recorder::default()));
        recorder.borrow_mut().mmio.names = crate::physical::DeviceNames::of(k.mem().physical());
        if let Some(w) = self.trace {
            recorder.borrow_mut().set_writer(w, self.trace_limit);
        }
        let sink = recorder.clone();
        k.guest_mut().trace.set_sink(TRACE_BATCH, move |batch| sink.borrow_mut().record(batch));
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("driver").to_string();
        let sha256 = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        let driver = match loader::load(&mut k, &name, bytes) {
            Ok(d) => d,
            Err(e) => {
                k.guest_mut().trace.flush();
                return Err(e.into());
            }
        };
        if let Err(m) = portcullis_hle::se::configure(&mut k, self.security.0, &self.security.1) {
            return Err(SandboxError::Security(m));
        }
        portcullis_hle::etw::configure(&mut k, &self.tracing);
        portcullis_hle::pnp::configure(&mut k, self.pnp);
        if let Some((attached, answers)) = self.debugger {
            portcullis_hle::kd::configure(&mut k, attached, answers)
                .map_err(|e| SandboxError::Security(format!("debugger: {e:?}")))?;
        }
        for (path, data) in self.files {
            if !portcullis_hle::fs::seed_file(&mut k, &path, data) {
                return Err(SandboxError::File(path));
            }
        }
        for (key, value) in self.registry {
            let key = key.replace("{service}", &name);
            if !portcullis_hle::cm::seed_value(
                &mut k,
                &key,
                value.as_ref().map(|(n, t, d)| (n.as_str(), *t, d.clone())),
            ) {
                return Err(SandboxError::Registry(key));
            }
        }
        Ok(Sandbox {
            k,
            driver,
            path: path.to_path_buf(),
            sha256,
            limits: self.limits,
            recorder,
            stopped: None,
            started: false,
            unload: None,
            devices,
        })
    }
}

/// A handle the sandbox opened on the driver's device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(pub FileHandle);

/// A connection the sandbox's user program made to a minifilter's communication port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilterConnection(pub u64);

/// One loaded driver in its own emulated machine.
pub struct Sandbox {
    k: Kx,
    driver: usize,
    path: PathBuf,
    sha256: String,
    limits: Limits,
    recorder: Rc<RefCell<Recorder>>,
    stopped: Option<RunError>,
    started: bool,
    unload: Option<Unload>,
    devices: portcullis_devices::Devices,
}

impl Sandbox {
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The host's handles to the machine's chips.
    pub fn devices(&self) -> &portcullis_devices::Devices {
        &self.devices
    }

    /// Virtual nanoseconds since the machine's boot.
    pub fn now_ns(&self) -> u64 {
        self.k.guest().cpu.clock.now_ns()
    }

    pub fn arch(&self) -> Arch {
        self.k.arch()
    }

    /// The kernel and machine underneath, for inspection and fine control.
    pub fn kernel(&self) -> &Kx {
        &self.k
    }

    pub fn kernel_mut(&mut self) -> &mut Kx {
        &mut self.k
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The first error that stopped the machine, if one did.
    pub fn stopped(&self) -> Option<&RunError> {
        self.stopped.as_ref()
    }

    fn alive(&self) -> Result<(), RunError> {
        match &self.stopped {
            Some(e) => Err(RunError::Stopped(e.to_string())),
            None => Ok(()),
        }
    }

    /// Hands buffered machine events to the recorder (keeps the stream in order).
    fn flush(&mut self) {
        self.k.guest_mut().trace.flush();
    }

    fn record(&mut self, mut entry: EntryPointRecord, result: &Result<(), RunError>) {
        self.flush();
        let mut crashed = false;
        if let Err(e) = result {
            // A failed open is what the entry point says ("returned" with the driver's
            // status, or "refused" by the I/O manager), not an error of the run.
            if !matches!(e, RunError::OpenFailed(_)) {
                entry.outcome = e.outcome().name().into();
            }
            // An unimplemented routine or an error of the machine has no section of its own
            // in the report: the entry point says what it was.
            let described = matches!(e, RunError::OpenFailed(_));
            if !described && matches!(e.outcome(), Outcome::Unimplemented | Outcome::Error) {
                entry.detail = Some(e.to_string());
            }
            if e.fatal() && self.stopped.is_none() {
                self.stopped = Some(e.clone());
                crashed = matches!(e, RunError::Bugcheck(_));
                // A budget the host side ran into (guest memory for a request's buffers) is
                // recorded like one the guest ran into.
                if let RunError::Limit(l) = e {
                    let mut rec = self.recorder.borrow_mut();
                    if !rec.limits.contains(l) {
                        rec.record(&[portcullis_emu::trace::Event::Limit(l.clone())]);
                    }
                }
            }
        }
        self.recorder.borrow_mut().entry_point(entry);
        if crashed {
            self.run_bugcheck_callbacks();
        }
    }

    /// The run ended in a bugcheck: the callbacks drivers registered for it run, each
    /// recorded as an entry point ("BugCheckCallback", its Component as the target).
    fn run_bugcheck_callbacks(&mut self) {
        for run in portcullis_hle::ke::bugcheck_callback::run_callbacks(&mut self.k) {
            self.flush();
            let mut e = EntryPointRecord {
                kind: "BugCheckCallback".into(),
                target: Some(run.component.unwrap_or_else(|| format!("{:#x}", run.routine))),
                outcome: "returned".into(),
                ..Default::default()
            };
            if let Some(stop) = run.stopped {
                let err = RunError::from(stop);
                e.outcome = err.outcome().name().into();
                e.detail = Some(err.to_string());
            }
            self.recorder.borrow_mut().entry_point(e);
        }
        self.flush();
    }

    /// Runs DriverEntry; returns its status.
    pub fn driver_entry(&mut self) -> Result<Status, RunError> {
        self.alive()?;
        let r = portcullis_hle::driver::call_entry(&mut self.k, self.driver).map_err(RunError::from);
        let mut e = EntryPointRecord { kind: "DriverEntry".into(), outcome: "returned".into(), ..Default::default() };
        if let Ok(st) = &r {
            set_status(&mut e, *st);
            self.started = st.is_success();
        }
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        self.watch_service_table();
        // A PnP driver: the PnP manager starts the bus's device for it.
        if self.started && portcullis_hle::pnp::starts_after_entry(&self.k) {
            self.pnp_start()?;
        }
        r
    }

    /// Reports the driver's writes to the system service table (x86 SSDT hooks).
    fn watch_service_table(&mut self) {
        if self.alive().is_ok() {
            // Reading the kernel's own .data cannot fail; a failure would only lose a notice.
            let _ = portcullis_hle::ke::service_table::watch(&mut self.k);
        }
    }

    fn record_pnp(&mut self, r: &Result<Vec<portcullis_hle::pnp::Sent>, RunError>, what: &str) {
        match r {
            Ok(sent) => {
                for s in sent {
                    let kind = if s.what == "AddDevice" {
                        "AddDevice".to_string()
                    } else if s.what.starts_with("IRP_MN_SET_POWER") || s.what.starts_with("IRP_MN_QUERY_POWER") {
                        major::name(major::POWER).to_string()
                    } else {
                        major::name(major::PNP).to_string()
                    };
                    let target =
                        if s.what == "AddDevice" { s.device.clone() } else { format!("{} {}", s.what, s.device) };
                    let mut e = EntryPointRecord {
                        kind,
                        target: Some(target),
                        outcome: "returned".into(),
                        ..Default::default()
                    };
                    match s.status {
                        Some(st) => {
                            set_status(&mut e, st);
                            if st != s.returned {
                                e.returned = Some(format!("{:#010x}", s.returned.0));
                            }
                        }
                        None => e.outcome = "pending".into(),
                    }
                    self.record(e, &Ok(()));
                }
            }
            Err(err) => {
                let e = EntryPointRecord { kind: what.into(), ..Default::default() };
                self.record(e, &Err(err.clone()));
            }
        }
    }

    /// The PnP manager's start sequence for a new device of the emulated bus: AddDevice,
    /// IRP_MN_START_DEVICE with the configured resources, then the queries that follow a
    /// start. Nothing happens for a driver without an AddDevice routine.
    pub fn pnp_start(&mut self) -> Result<Vec<portcullis_hle::pnp::Sent>, RunError> {
        self.alive()?;
        let r = portcullis_hle::pnp::start(&mut self.k, self.driver).map_err(RunError::from);
        self.record_pnp(&r, "AddDevice");
        r
    }

    /// Removes the driver's started devices: IRP_MN_QUERY_REMOVE_DEVICE, then
    /// IRP_MN_REMOVE_DEVICE (or IRP_MN_CANCEL_REMOVE_DEVICE when refused).
    pub fn pnp_remove(&mut self) -> Result<Vec<portcullis_hle::pnp::Sent>, RunError> {
        self.alive()?;
        let r = portcullis_hle::pnp::remove(&mut self.k, self.driver).map_err(RunError::from);
        self.record_pnp(&r, major::name(major::PNP));
        r
    }

    /// A power transition of the driver's started devices: `D0`..`D3` (IRP_MN_SET_POWER of
    /// a device power state) or `S0`..`S5` (a system power state: IRP_MN_QUERY_POWER first
    /// for S1-S4, then IRP_MN_SET_POWER).
    pub fn power(&mut self, state: &str) -> Result<Vec<portcullis_hle::pnp::Sent>, RunError> {
        self.alive()?;
        let (system, n) =
            parse_power_state(state).ok_or_else(|| RunError::Machine(format!("power state `{state}`")))?;
        let pdos = portcullis_hle::pnp::started_pdos(&self.k, self.driver);
        let mut all = Vec::new();
        let mut r: Result<(), RunError> = Ok(());
        for pdo in pdos {
            if system && (1..=4).contains(&n) {
                match portcullis_hle::pnp::power(&mut self.k, pdo, 3, true, n + 1) {
                    Ok(s) => {
                        let refused = !s.status.is_some_and(|st| st.is_success());
                        all.push(s);
                        if refused {
                            continue;
                        }
                    }
                    Err(e) => {
                        r = Err(e.into());
                        break;
                    }
                }
            }
            match portcullis_hle::pnp::power(&mut self.k, pdo, 2, system, n + 1) {
                Ok(s) => all.push(s),
                Err(e) => {
                    r = Err(e.into());
                    break;
                }
            }
        }
        let out = r.map(|_| all);
        self.record_pnp(&out, major::name(major::POWER));
        out
    }

    /// Opens `path` (`\\.\NAME`, `\??\NAME`, `\Device\NAME`) as a user program would
    /// (CreateFile with GENERIC_READ | GENERIC_WRITE).
    pub fn open(&mut self, path: &str) -> Result<Handle, RunError> {
        self.open_with(path, request::DEFAULT_ACCESS)
    }

    /// [`Sandbox::open`] asking for `access` (CreateFile's dwDesiredAccess).
    pub fn open_with(&mut self, path: &str, access: u32) -> Result<Handle, RunError> {
        self.alive()?;
        let r = request::open_with(&mut self.k, path, access).map_err(RunError::from);
        let mut e = EntryPointRecord {
            kind: major::name(major::CREATE).into(),
            target: Some(path.into()),
            outcome: "returned".into(),
            ..Default::default()
        };
        let out = match r {
            Ok((Ok(h), res)) => {
                if let Some(res) = res {
                    io_status(&mut e, &res);
                }
                Ok(Handle(h))
            }
            Ok((Err(st), res)) => {
                match res {
                    Some(res) => io_status(&mut e, &res),
                    None => {
                        // The I/O manager refused before the driver saw anything.
                        set_status(&mut e, st);
                        e.outcome = "refused".into();
                    }
                }
                Err(RunError::OpenFailed(st))
            }
            Err(err) => Err(err),
        };
        let res = out.as_ref().map(|_| ()).map_err(Clone::clone);
        self.record(e, &res);
        out
    }

    /// DeviceIoControl with a zeroed output buffer of `output_len` bytes.
    pub fn ioctl(&mut self, h: Handle, code: u32, input: &[u8], output_len: usize) -> Result<IoResult, RunError> {
        self.ioctl_with(h, code, input, OutBuffer::zeroed(output_len as u64), false)
    }

    /// DeviceIoControl with METHOD_NEITHER buffers at raw addresses, `(address, length)` in
    /// and out: the I/O manager passes them to the driver unprobed, so a driver that does not
    /// probe them touches whatever they point at (unmapped memory, the kernel's). Nothing is
    /// read back; the completion's output is empty. Refused for other transfer methods.
    pub fn ioctl_raw(
        &mut self,
        h: Handle,
        code: u32,
        input: (u64, u64),
        output: (u64, u64),
        internal: bool,
    ) -> Result<IoResult, RunError> {
        self.alive()?;
        if code & 3 != method::NEITHER {
            return Err(RunError::Refused(format!(
                "raw buffer addresses go with METHOD_NEITHER; {code:#010x} is {}",
                method::name(code)
            )));
        }
        let r = request::device_control_raw(&mut self.k, h.0, code, input, output, internal).map_err(RunError::from);
        let kind = if internal { major::INTERNAL_DEVICE_CONTROL } else { major::DEVICE_CONTROL };
        self.record_io(kind, Some(format!("{code:#010x} ({})", method::name(code))), r)
    }

    /// DeviceIoControl (or an internal device control) with an output buffer of given content.
    pub fn ioctl_with(
        &mut self,
        h: Handle,
        code: u32,
        input: &[u8],
        output: OutBuffer,
        internal: bool,
    ) -> Result<IoResult, RunError> {
        self.alive()?;
        check_size(input.len() as u64)?;
        check_size(output.len)?;
        let r = request::device_control(&mut self.k, h.0, code, input, &output, internal).map_err(RunError::from);
        let kind = if internal { major::INTERNAL_DEVICE_CONTROL } else { major::DEVICE_CONTROL };
        self.record_io(kind, Some(format!("{code:#010x} ({})", method::name(code))), r)
    }

    /// ReadFile of `len` bytes at `offset`.
    pub fn read(&mut self, h: Handle, len: usize, offset: u64) -> Result<IoResult, RunError> {
        self.alive()?;
        check_size(len as u64)?;
        let r = request::read(&mut self.k, h.0, len as u64, offset).map_err(RunError::from);
        self.record_io(major::READ, Some(format!("{len} bytes at {offset}")), r)
    }

    /// WriteFile of `data` at `offset`.
    pub fn write(&mut self, h: Handle, data: &[u8], offset: u64) -> Result<IoResult, RunError> {
        self.alive()?;
        check_size(data.len() as u64)?;
        let r = request::write(&mut self.k, h.0, data, offset).map_err(RunError::from);
        self.record_io(major::WRITE, Some(format!("{} bytes at {offset}", data.len())), r)
    }

    fn record_io(
        &mut self,
        kind: u8,
        target: Option<String>,
        r: Result<IoResult, RunError>,
    ) -> Result<IoResult, RunError> {
        let mut e = EntryPointRecord {
            kind: major::name(kind).into(),
            target,
            outcome: "returned".into(),
            ..Default::default()
        };
        if let Ok(res) = &r {
            io_status(&mut e, res);
        }
        let res = r.as_ref().map(|_| ()).map_err(Clone::clone);
        self.record(e, &res);
        r
    }

    /// CloseHandle: IRP_MJ_CLEANUP then IRP_MJ_CLOSE.
    pub fn close(&mut self, h: Handle) -> Result<(IoResult, IoResult), RunError> {
        self.alive()?;
        if !request::handles(&self.k).iter().any(|(fh, _)| *fh == h.0) {
            return Err(RunError::BadHandle(h.0 .0));
        }
        let r = request::close(&mut self.k, h.0).map_err(RunError::from);
        match r {
            Ok((cleanup, close)) => {
                for (kind, res) in [(major::CLEANUP, &cleanup), (major::CLOSE, &close)] {
                    let mut e = EntryPointRecord {
                        kind: major::name(kind).into(),
                        outcome: "returned".into(),
                        ..Default::default()
                    };
                    io_status(&mut e, res);
                    self.record(e, &Ok(()));
                }
                Ok((cleanup, close))
            }
            Err(err) => {
                let e = EntryPointRecord { kind: major::name(major::CLEANUP).into(), ..Default::default() };
                self.record(e, &Err(err.clone()));
                Err(err)
            }
        }
    }

    /// OpenProcess(access, FALSE, pid) then CloseHandle, as the user program: the object
    /// callbacks drivers registered see the open. Returns the status and the access granted.
    pub fn open_process(&mut self, pid: u64, access: u32) -> Result<portcullis_hle::ob::user::Opened, RunError> {
        self.open_task("OpenProcess", pid, access, false)
    }

    /// OpenThread(access, FALSE, tid) then CloseHandle, as the user program.
    pub fn open_thread(&mut self, tid: u64, access: u32) -> Result<portcullis_hle::ob::user::Opened, RunError> {
        self.open_task("OpenThread", tid, access, true)
    }

    fn open_task(
        &mut self,
        kind: &str,
        id: u64,
        access: u32,
        thread: bool,
    ) -> Result<portcullis_hle::ob::user::Opened, RunError> {
        self.alive()?;
        let r = if thread {
            portcullis_hle::ob::user::open_thread(&mut self.k, id, access)
        } else {
            portcullis_hle::ob::user::open_process(&mut self.k, id, access)
        }
        .map_err(RunError::from);
        let mut e = EntryPointRecord {
            kind: kind.into(),
            target: Some(format!("{} {id:#x}, access {access:#x}", if thread { "tid" } else { "pid" })),
            outcome: "returned".into(),
            ..Default::default()
        };
        if let Ok(o) = &r {
            set_status(&mut e, o.status);
            if o.status.is_success() {
                e.granted_access = Some(format!("{:#x}", o.granted));
            }
        }
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        r
    }

    /// FilterConnectCommunicationPort as the user program: connects to a minifilter's port
    /// with `context`; `reply` is what the program answers the filter's messages with.
    /// Returns the status and, when connected, the connection.
    pub fn filter_connect(
        &mut self,
        port: &str,
        context: &[u8],
        reply: Vec<u8>,
    ) -> Result<(Status, Option<FilterConnection>), RunError> {
        self.alive()?;
        let r = portcullis_hle::flt::port::connect(&mut self.k, port, context, reply).map_err(RunError::from);
        let mut e = EntryPointRecord {
            kind: "FilterConnectCommunicationPort".into(),
            target: Some(port.into()),
            outcome: "returned".into(),
            ..Default::default()
        };
        let out = r.map(|c| match c {
            Ok(client) => (NtStatus(0), Some(FilterConnection(client))),
            Err(st) => (st, None),
        });
        if let Ok((st, _)) = &out {
            set_status(&mut e, *st);
        }
        self.record(e, &out.as_ref().map(|_| ()).map_err(Clone::clone));
        out
    }

    /// FilterSendMessage as the user program: the port's message routine gets `input` and an
    /// output buffer of `output_len` bytes. Returns the status and the bytes it returned.
    pub fn filter_send(
        &mut self,
        c: FilterConnection,
        input: &[u8],
        output_len: u64,
    ) -> Result<(Status, Vec<u8>), RunError> {
        self.alive()?;
        let r = portcullis_hle::flt::port::send(&mut self.k, c.0, input, output_len).map_err(RunError::from);
        let mut e =
            EntryPointRecord { kind: "FilterSendMessage".into(), outcome: "returned".into(), ..Default::default() };
        if let Ok((st, out)) = &r {
            set_status(&mut e, *st);
            e.information = Some(out.len() as u64);
        }
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        r
    }

    /// CloseHandle of a connection: the port's disconnect routine runs.
    pub fn filter_disconnect(&mut self, c: FilterConnection) -> Result<Status, RunError> {
        self.alive()?;
        let r = portcullis_hle::flt::port::disconnect(&mut self.k, c.0).map_err(RunError::from);
        let mut e =
            EntryPointRecord { kind: "FilterDisconnect".into(), outcome: "returned".into(), ..Default::default() };
        if let Ok(st) = &r {
            set_status(&mut e, *st);
        }
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        r
    }

    /// An Ethernet frame from the wire: the emulated adapter indicates it up the NDIS stack
    /// (the filter modules' receive handlers), and takes it back when the stack is done.
    pub fn receive_frame(&mut self, frame: &[u8]) -> Result<(), RunError> {
        self.alive()?;
        let r = portcullis_hle::ndis::receive_frame(&mut self.k, frame).map_err(RunError::from);
        let e = EntryPointRecord {
            kind: "ReceiveNetBufferLists".into(),
            target: Some(portcullis_hle::ndis::adapter::device_name()),
            outcome: "returned".into(),
            ..Default::default()
        };
        self.record(e, &r);
        r
    }

    /// An IP packet classified at a filtering layer (`OUTBOUND_TRANSPORT_V4`, ...): the
    /// callouts of the matching filters see it; what fired and the verdict.
    pub fn classify_packet(
        &mut self,
        layer: &str,
        packet: &[u8],
    ) -> Result<portcullis_hle::wfp::classify::Classified, RunError> {
        self.classify_packet_toward(layer, packet, None)
    }

    /// A packet classified at a filtering layer going the way `inbound` says (Some(true):
    /// received), which DATAGRAM_DATA needs and the one-way layers check.
    pub fn classify_packet_toward(
        &mut self,
        layer: &str,
        packet: &[u8],
        inbound: Option<bool>,
    ) -> Result<portcullis_hle::wfp::classify::Classified, RunError> {
        self.alive()?;
        let r =
            portcullis_hle::wfp::classify::classify_toward(&mut self.k, layer, packet, inbound).map_err(RunError::from);
        let mut e = EntryPointRecord {
            kind: "Classify".into(),
            target: Some(layer.to_string()),
            outcome: "returned".into(),
            ..Default::default()
        };
        let r = match r {
            Ok(Ok(c)) => {
                e.detail = Some(c.verdict.clone());
                Ok(c)
            }
            Ok(Err(bad)) => Err(RunError::Process(bad.to_string())),
            Err(e) => Err(e),
        };
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        r
    }

    /// The messages the filter sent on a connection (FltSendMessage).
    pub fn filter_messages(&self, c: FilterConnection) -> Vec<Vec<u8>> {
        portcullis_hle::flt::port::messages(&self.k, c.0)
    }

    /// What Windows does at shutdown: IRP_MJ_SHUTDOWN to every device registered with
    /// IoRegisterShutdownNotification, then the last-chance ones; one entry point each.
    pub fn shutdown(&mut self) -> Result<Vec<portcullis_hle::io::notify::ShutdownSent>, RunError> {
        self.alive()?;
        let r = portcullis_hle::io::notify::shutdown(&mut self.k).map_err(RunError::from);
        match &r {
            Ok(sent) => {
                for s in sent {
                    let mut e = EntryPointRecord {
                        kind: major::name(major::SHUTDOWN).into(),
                        target: Some(s.name.clone().unwrap_or_else(|| format!("device {:#x}", s.device))),
                        outcome: "returned".into(),
                        ..Default::default()
                    };
                    match s.status {
                        Some(st) => {
                            set_status(&mut e, st);
                            if st != s.returned {
                                e.returned = Some(format!("{:#010x}", s.returned.0));
                            }
                        }
                        None => e.outcome = "pending".into(),
                    }
                    self.record(e, &Ok(()));
                }
            }
            Err(err) => {
                let e = EntryPointRecord { kind: major::name(major::SHUTDOWN).into(), ..Default::default() };
                self.record(e, &Err(err.clone()));
            }
        }
        r
    }

    /// The driver's service name (its file name without `.sys`), which `{service}` stands for
    /// in scenario registry paths.
    pub fn service_name(&self) -> &str {
        &self.k.ext().drivers()[self.driver].name
    }

    fn registry_op(
        &mut self,
        kind: &str,
        target: String,
        op: impl FnOnce(&mut Kx) -> Result<Status, KError>,
    ) -> Result<Status, RunError> {
        self.alive()?;
        let r = op(&mut self.k).map_err(RunError::from);
        let mut e = EntryPointRecord {
            kind: kind.into(),
            target: Some(target),
            outcome: "returned".into(),
            ..Default::default()
        };
        if let Ok(st) = &r {
            set_status(&mut e, *st);
        }
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        r
    }

    /// RegSetValueEx as the user program (the key must exist; `{service}` is the service name).
    pub fn registry_set_value(&mut self, key: &str, name: &str, ty: u32, data: &[u8]) -> Result<Status, RunError> {
        let key = key.replace("{service}", self.service_name());
        let (n, d) = (name.to_string(), data.to_vec());
        self.registry_op("RegSetValue", format!("{key} value \"{name}\""), |k| {
            portcullis_hle::cm::user::set(k, &key, &n, ty, d)
        })
    }

    /// RegDeleteValue as the user program.
    pub fn registry_delete_value(&mut self, key: &str, name: &str) -> Result<Status, RunError> {
        let key = key.replace("{service}", self.service_name());
        let n = name.to_string();
        self.registry_op("RegDeleteValue", format!("{key} value \"{name}\""), |k| {
            portcullis_hle::cm::user::delete(k, &key, &n)
        })
    }

    /// RegCreateKeyEx as the user program (its parent must exist).
    pub fn registry_create_key(&mut self, key: &str) -> Result<Status, RunError> {
        let key = key.replace("{service}", self.service_name());
        self.registry_op("RegCreateKey", key.clone(), |k| portcullis_hle::cm::user::create_key(k, &key))
    }

    /// RegDeleteKey as the user program.
    pub fn registry_delete_key(&mut self, key: &str) -> Result<Status, RunError> {
        let key = key.replace("{service}", self.service_name());
        self.registry_op("RegDeleteKey", key.clone(), |k| portcullis_hle::cm::user::delete_key(k, &key))
    }

    /// Lets `d` of virtual time pass: timers fire, waits time out, threads and DPCs run.
    pub fn advance(&mut self, d: Duration) -> Result<(), RunError> {
        self.alive()?;
        let ns = d.as_nanos().min(u64::MAX as u128) as u64;
        let r = portcullis_hle::ke::scheduler::advance(&mut self.k, ns).map_err(RunError::from);
        self.record_step("Advance", Some(humantime::format_duration(d).to_string()), r)
    }

    /// Runs until no thread is runnable and nothing but periodic timers is pending, letting
    /// at most `cap` of virtual time pass.
    pub fn wait_idle(&mut self, cap: Duration) -> Result<(), RunError> {
        self.alive()?;
        let ns = cap.as_nanos().min(u64::MAX as u128) as u64;
        let r = portcullis_hle::ke::scheduler::wait_idle(&mut self.k, ns).map_err(RunError::from);
        self.record_step("WaitIdle", Some(format!("at most {}", humantime::format_duration(cap))), r)
    }

    /// Starts a process: the image, process and thread notify routines run.
    pub fn process_start(
        &mut self,
        name: &str,
        pid: u64,
        parent: u64,
    ) -> Result<portcullis_hle::ps::processes::Started, RunError> {
        self.alive()?;
        let r = portcullis_hle::ps::processes::start(&mut self.k, name, pid, parent)
            .map_err(RunError::from)
            .and_then(|r| r.map_err(RunError::Process));
        let target = format!("{name} (pid {pid:#x}, parent {parent:#x})");
        let mut e = EntryPointRecord {
            kind: "ProcessStart".into(),
            target: Some(target),
            outcome: "returned".into(),
            ..Default::default()
        };
        if let Ok(started) = &r {
            if let Some(st) = started.denied {
                set_status(&mut e, st);
                e.outcome = "denied".into();
            }
        }
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        r
    }

    /// Ends a process: the thread and process notify routines run.
    pub fn process_exit(&mut self, pid: u64, exit_status: Status) -> Result<(), RunError> {
        self.alive()?;
        let r = portcullis_hle::ps::processes::exit(&mut self.k, pid, exit_status.0)
            .map_err(RunError::from)
            .and_then(|r| r.map_err(RunError::Process));
        self.record_step("ProcessExit", Some(format!("pid {pid:#x}")), r)
    }

    fn record_step(&mut self, kind: &str, target: Option<String>, r: Result<(), RunError>) -> Result<(), RunError> {
        let e = EntryPointRecord { kind: kind.into(), target, outcome: "returned".into(), ..Default::default() };
        self.record(e, &r.clone());
        r
    }

    /// The result of a request that was pending, once something completed it.
    pub fn completion(&mut self, id: request::RequestId) -> Option<request::Completion> {
        request::take_completion(&mut self.k, id)
    }

    /// Closes any handles still open, removes the driver's PnP devices, calls DriverUnload
    /// and reports what the driver left.
    pub fn unload(&mut self) -> Result<Leaks, RunError> {
        self.alive()?;
        for (h, _) in request::handles(&self.k) {
            self.close(Handle(h))?;
        }
        if portcullis_hle::pnp::has_started(&self.k, self.driver) {
            self.pnp_remove()?;
        }
        self.watch_service_table();
        let r = portcullis_hle::driver::unload(&mut self.k, self.driver).map_err(RunError::from);
        let mut e = EntryPointRecord { kind: "DriverUnload".into(), outcome: "returned".into(), ..Default::default() };
        if let Ok(u) = &r {
            if !u.routine_called {
                e.outcome = "no_unload_routine".into();
            }
            if let Some(st) = u.refused {
                // A minifilter's FilterUnloadCallback refused: the driver stays loaded.
                e.outcome = "refused".into();
                set_status(&mut e, st);
            }
        }
        let res = r.as_ref().map(|_| ()).map_err(Clone::clone);
        self.record(e, &res);
        let u = r?;
        let leaks = u.leaks.clone();
        self.unload = Some(u);
        Ok(leaks)
    }

    /// Records that expectation `message` of scenario step `step` did not hold (on the
    /// step's own entry point, if it made one).
    pub fn expectation_failed(&mut self, step: usize, message: impl Into<String>) {
        self.flush();
        self.recorder.borrow_mut().expectation_failed(step, message.into());
    }

    /// A scenario step starts: expectations that fail from here belong to it.
    pub fn begin_step(&mut self) {
        self.flush();
        self.recorder.borrow_mut().begin_step();
    }

    /// Records how a scenario step went (the report's `steps[]`).
    pub fn step_finished(&mut self, result: crate::scenario::step_result::StepResult) {
        self.recorder.borrow_mut().steps.push(result);
        // The PnP manager acts on the relations the step invalidated and the ejects it asked for.
        if self.alive().is_ok() {
            self.watch_service_table();
            let r = portcullis_hle::pnp::relations::enumerate_pending(&mut self.k).map_err(RunError::from);
            if !matches!(&r, Ok(v) if v.is_empty()) {
                self.record_pnp(&r, major::name(major::PNP));
            }
        }
    }

    /// Records steps (number, line, action) as not run, and why.
    pub fn steps_not_run(&mut self, steps: impl Iterator<Item = (usize, usize, &'static str)>, reason: &str) {
        use crate::scenario::step_result::{StepOutcome, StepResult};
        let mut rec = self.recorder.borrow_mut();
        for (step, line, action) in steps {
            rec.steps.push(StepResult {
                step,
                line,
                action,
                outcome: StepOutcome::NotRun,
                unmet: Vec::new(),
                reason: Some(reason.to_string()),
            });
        }
    }

    /// The distinct port accesses so far (port, width, direction, value, count).
    pub fn port_rows(&mut self) -> Vec<crate::record::PortRow> {
        self.flush();
        self.recorder.borrow().port_rows()
    }

    /// The distinct MMIO accesses so far.
    pub fn mmio_rows(&mut self) -> Vec<crate::physical::MmioRow> {
        self.flush();
        self.recorder.borrow().mmio.rows()
    }

    /// Whether an MMIO access matching the given parts happened: physical address, and
    /// optionally direction (write?), width, value.
    pub fn mmio_seen(&mut self, address: u64, write: Option<bool>, width: Option<u16>, value: Option<u32>) -> bool {
        self.flush();
        self.recorder.borrow().mmio.keys().any(|&(a, w, wr, v)| {
            a == address
                && write.is_none_or(|x| x == wr)
                && width.is_none_or(|x| x == w)
                && value.is_none_or(|x| x == v)
        })
    }

    /// The symbolic links the driver created and still has: (link, target).
    pub fn symbolic_links(&self) -> Vec<(String, String)> {
        let owner = portcullis_hle::ob::Owner::Driver(self.driver);
        self.k
            .ext()
            .objects
            .names()
            .filter(|n| n.owner == owner)
            .filter_map(|n| match &n.target {
                portcullis_hle::ob::NameTarget::Link(t) => Some((n.path.clone(), t.clone())),
                _ => None,
            })
            .collect()
    }

    /// The handles still open, with the paths they were opened with.
    pub fn handles(&self) -> Vec<(Handle, String)> {
        request::handles(&self.k).into_iter().map(|(h, p)| (Handle(h), p)).collect()
    }

    /// Whether DriverEntry succeeded.
    pub fn started(&self) -> bool {
        self.started
    }

    /// The files the driver changed, with their contents now (None for those it deleted):
    /// (path on the volume, data).
    pub fn changed_files(&self) -> Vec<(String, Option<Vec<u8>>)> {
        portcullis_hle::fs::changed_files(&self.k)
    }

    /// Writes the files the driver changed under `dir`, at their paths on the volume (which
    /// are checked again: only plain names become host paths). Returns the paths written.
    pub fn dump_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (path, data) in self.changed_files() {
            let Some(data) = data else { continue };
            let parts: Vec<&str> = path.split('\\').filter(|p| !p.is_empty()).collect();
            let safe = parts.iter().all(|p| {
                *p != "." && *p != ".." && !p.contains(['/', '\0', ':']) && !p.starts_with(' ') && p.len() <= 255
            });
            if !safe || parts.is_empty() {
                continue;
            }
            let mut target = dir.to_path_buf();
            target.extend(parts);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&target, data)?;
            written.push(target);
        }
        Ok(written)
    }

    /// The report of everything so far.
    pub fn report(&mut self) -> Report {
        self.flush();
        Report::build(self)
    }

    pub(crate) fn parts(&self) -> (&Kx, usize, &Limits, &RefCell<Recorder>, Option<&Unload>) {
        (&self.k, self.driver, &self.limits, &self.recorder, self.unload.as_ref())
    }
}

fn check_size(n: u64) -> Result<(), RunError> {
    if n > request::MAX_BUFFER {
        return Err(RunError::Refused(format!(
            "a {n}-byte buffer is larger than the {}-byte maximum",
            request::MAX_BUFFER
        )));
    }
    Ok(())
}

fn set_status(e: &mut EntryPointRecord, st: Status) {
    e.status = Some(format!("{:#010X}", st.0).replacen("0X", "0x", 1));
    e.status_name = portcullis_hle::status_names::name(st.0).map(str::to_string);
}

fn io_status(e: &mut EntryPointRecord, r: &IoResult) {
    match &r.completion {
        Some(c) => {
            set_status(e, c.status);
            e.information = Some(c.information);
            if r.returned != c.status {
                e.returned = Some(format!("{:#010x}", r.returned.0));
            }
        }
        None => {
            e.outcome = "pending".into();
            e.returned = Some(format!("{:#010x}", r.returned.0));
        }
    }
}

/// `D0`..`D3` as (false, 0..3), `S0`..`S5` as (true, 0..5).
pub fn parse_power_state(s: &str) -> Option<(bool, u32)> {
    let s = s.trim();
    let (kind, n) = s.split_at(1.min(s.len()));
    let n: u32 = n.parse().ok()?;
    match kind {
        "D" | "d" if n <= 3 => Some((false, n)),
        "S" | "s" if n <= 5 => Some((true, n)),
        _ => None,
    }
}
