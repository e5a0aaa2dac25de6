//! Scenario files (TOML): the devices and port policies a run starts with, its limits, and
//! the steps a simulated user program takes (open, ioctl, read, write, close, unload) with
//! what each must produce. The format is documented in docs/scenario.md.
//!
//! A scenario that does not parse, or names something that does not exist (an unknown
//! handle, two actions in one step), is an error naming the file, line and column and what
//! was expected.

mod devices;
mod files;
mod format;
mod physical;
mod pnp;
mod programs;
mod registry;
mod run;
mod security;
pub mod step_result;
mod tracing;

use std::path::Path;

use portcullis_emu::ports::Policy;
use thiserror::Error;

use crate::outcome::Outcome;
use crate::sandbox::SandboxBuilder;
pub use run::ScenarioOutcome;

/// A scenario error: where it is and what was expected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Line starts of a text, found once, so that placing an offset costs a binary search and not
/// a scan (a scenario of many steps places every step).
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = self.text.get(start..offset).map(|l| l.chars().count()).unwrap_or(0) + 1;
        (line, column)
    }
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Open {
        path: String,
        /// CreateFile's desired access.
        access: u32,
    },
    Ioctl {
        code: u32,
        input: Vec<u8>,
        output: portcullis_hle::io::request::OutBuffer,
        internal: bool,
        /// METHOD_NEITHER buffers at raw addresses, (address, length) in and out, instead of
        /// `input` and `output`.
        raw: Option<((u64, u64), (u64, u64))>,
    },
    Read {
        len: u64,
        offset: u64,
    },
    Write {
        data: Vec<u8>,
        offset: u64,
    },
    Close,
    /// Check a request that was left pending.
    Pending {
        request: String,
    },
    ExpectPort {
        port: PortCheck,
        happened: bool,
    },
    ExpectMmio {
        check: physical::MmioExpectation,
        happened: bool,
    },
    ExpectPci {
        check: physical::PciExpectation,
        happened: bool,
    },
    Unload,
    /// Run a user program.
    Program(Box<programs::Program>),
    /// A registry operation of the user program.
    Registry(registry::RegistryStep),
    /// OpenProcess / OpenThread then CloseHandle.
    OpenTask {
        id: u64,
        thread: bool,
        access: u32,
    },
    /// IRP_MJ_SHUTDOWN to the registered devices.
    Shutdown,
    /// The PnP start sequence for a new device of the bus.
    PnpStart,
    /// The PnP remove sequence for the driver's devices.
    PnpRemove,
    /// A power transition ("D3", "S4", ...).
    Power(String),
    /// Let virtual time pass.
    Advance {
        time: std::time::Duration,
    },
    /// Run until nothing is runnable, letting at most `cap` of virtual time pass.
    WaitIdle {
        cap: std::time::Duration,
    },
    ProcessStart {
        name: String,
        pid: u64,
        parent: u64,
    },
    ProcessExit {
        pid: u64,
        status: u32,
    },
    /// FilterConnectCommunicationPort with a connection context; the program answers the
    /// filter's messages with `reply`.
    FilterConnect {
        port: String,
        context: Vec<u8>,
        reply: Vec<u8>,
    },
    /// FilterSendMessage on a connection.
    FilterSend {
        input: Vec<u8>,
        output_len: u64,
    },
    /// CloseHandle of a connection.
    FilterDisconnect,
    /// An Ethernet frame from the wire, indicated up the NDIS stack.
    Packet {
        frame: Vec<u8>,
    },
    /// An IP packet classified at a filtering layer (going the way `inbound` says where the
    /// layer takes both), and the verdict expected.
    Classify {
        layer: String,
        packet: Vec<u8>,
        inbound: Option<bool>,
        verdict: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortCheck {
    pub(crate) port: Option<u16>,
    pub(crate) write: Option<bool>,
    pub(crate) width: Option<u16>,
    pub(crate) value: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Expect {
    pub(crate) status: Option<u32>,
    pub(crate) output: Option<Vec<u8>>,
    pub(crate) information: Option<u64>,
    pub(crate) pending: Option<bool>,
    pub(crate) leaks: Option<bool>,
    pub(crate) access: Option<u32>,
    pub(crate) denied: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// 1-based position in the file.
    pub(crate) number: usize,
    pub(crate) line: usize,
    /// The action's key in the file (`open`, `ioctl`, ...).
    pub(crate) kind: &'static str,
    pub(crate) action: Action,
    /// The handle a request uses, or the name an open/ioctl gives its result.
    pub(crate) handle: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) expect: Expect,
}

/// A parsed, checked scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    expect_outcome: Outcome,
    outcome_explicit: bool,
    expect_entry: u32,
    unload_at_end: bool,
    missing_imports: Option<portcullis_hle::kernel::MissingImports>,
    windows: Option<portcullis_hle::rtl::version::WindowsVersion>,
    utc_offset_minutes: Option<i32>,
    max_instructions: Option<u64>,
    timeout: Option<std::time::Duration>,
    memory: Option<u64>,
    devices: Vec<(u16, u16, devices::PortModel)>,
    /// The PC's chips the file configures, and whether the machine is bare.
    chips: Vec<devices::ChipSpec>,
    bare: bool,
    policies: Vec<(u16, u16, String, Policy)>,
    physical: physical::Physical,
    /// Virtual processors, when the file sets them.
    processors: Option<u32>,
    /// Processes that exist from the start: (name, PID, parent).
    processes: Vec<(String, u64, u64)>,
    pub(crate) steps: Vec<Step>,
    registry: registry::Seeds,
    /// Files for the volume: (path, contents), read when the scenario was parsed.
    files: Vec<(String, Vec<u8>)>,
    /// `[[programs]]`, run after the steps.
    programs: Vec<programs::Program>,
    security: security::Security,
    tracing: Vec<([u8; 16], portcullis_hle::etw::Enable)>,
    debugger: tracing::Debugger,
    pnp: portcullis_hle::pnp::DeviceConfig,
    default: bool,
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = crate::host_file::read_text_capped(path, crate::host_file::MAX_INPUT_BYTES).map_err(|e| {
            ScenarioError { file: file.clone(), line: 0, column: 0, message: format!("cannot read: {e}") }
        })?;
        Scenario::parse(&text, &file)
    }

    /// Parses scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let lines = Lines::new(text);
        let err = |offset: usize, message: String| {
            let (line, column) = lines.locate(offset);
            ScenarioError { file: file.to_string(), line, column, message }
        };
        let raw: format::File = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            err(offset, e.message().trim().to_string())
        })?;
        let expect_outcome = match raw.expect_outcome.as_ref().map(|s| (s.get_ref().as_str(), s.span().start)) {
            None => Outcome::Ok,
            Some((name, at)) => match Outcome::parse(name).filter(|o| o.expectable()) {
                Some(o) => o,
                None => {
                    let names: Vec<&str> =
                        Outcome::ALL.into_iter().filter(|o| o.expectable()).map(Outcome::name).collect();
                    return Err(err(at, format!("expect_outcome `{name}`: expected one of {}", names.join(", "))));
                }
            },
        };
        let limits = raw.limits.as_ref();
        // Below this not even the kernel starts; a smaller budget is a mistake, said here.
        const MIN_MEMORY: u64 = 1 << 20;
        if let Some(m) = limits.and_then(|l| l.memory).filter(|m| m.0 < MIN_MEMORY) {
            return Err(err(
                0,
                format!(
                    "[limits] memory = {} bytes: at least 1 MiB (the kernel and a driver take about 700 KiB to start)",
                    m.0
                ),
            ));
        }
        let mut devices = Vec::new();
        let mut chips = Vec::new();
        for d in &raw.devices {
            match d.get_ref().check().map_err(|m| err(d.span().start, m))? {
                devices::Checked::Port { first, last, device } => devices.push((first, last, device)),
                devices::Checked::Chip(c) => chips.push(c),
            }
        }
        let bare = match raw.machine.as_ref().map(|m| (m.get_ref().as_str(), m.span().start)) {
            None | Some(("pc", _)) => false,
            Some(("bare", _)) => true,
            Some((other, at)) => return Err(err(at, format!("machine `{other}`: expected \"pc\" or \"bare\""))),
        };
        let policies = raw
            .ports
            .iter()
            .map(|p| {
                let p = p.get_ref();
                let policy = match p.policy {
                    format::PolicyKind::Log => Policy::Log,
                    format::PolicyKind::Deny => Policy::Deny,
                    format::PolicyKind::Forward => Policy::Forward,
                };
                let name = p.name.clone().unwrap_or_else(|| format!("{:?}", p.policy).to_lowercase());
                (p.range.first, p.range.last, name, policy)
            })
            .collect();
        let base = Path::new(file).parent().map(Path::to_path_buf).unwrap_or_default();
        let steps = run::check_steps(&raw.steps, &base, &err)?;
        let physical = physical::check(&raw.memory, &raw.pci, &err)?;
        let mut files = Vec::new();
        for (path, spec) in &raw.files {
            let data = spec.contents(&base).map_err(|m| err(0, format!("[files] `{path}`: {m}")))?;
            if portcullis_hle::fs::volume_path(path).is_none() {
                return Err(err(0, format!("[files] `{path}`: not a path on C: (C:\\..., \\SystemRoot\\...)")));
            }
            files.push((path.clone(), data));
        }
        let mut programs = Vec::new();
        for p in &raw.programs {
            let checked = programs::Program::from_spec(&base, p.get_ref())
                .map_err(|m| err(p.span().start, format!("[[programs]] {m}")))?;
            programs.push(checked);
        }
        raw.security.check().map_err(|m| err(0, format!("[security]: {m}")))?;
        let tracing = raw.tracing.providers().map_err(|m| err(0, format!("[tracing]: {m}")))?;
        let pnp = raw.pnp.config().map_err(|m| err(0, format!("[pnp]: {m}")))?;
        let processors = match &raw.processors {
            Some(p) if !(1..=portcullis_emu::MAX_CPUS).contains(p.get_ref()) => {
                return Err(err(
                    p.span().start,
                    format!("processors = {}: expected 1 to {}", p.get_ref(), portcullis_emu::MAX_CPUS),
                ))
            }
            p => p.as_ref().map(|p| *p.get_ref()),
        };
        let mut processes = Vec::new();
        for p in &raw.processes {
            let spec = p.get_ref();
            if spec.pid == 0 || spec.pid > u32::MAX as u64 || processes.iter().any(|(_, pid, _)| *pid == spec.pid) {
                return Err(err(
                    p.span().start,
                    format!("process `{}`: PID {:#x} is zero, too large or repeated", spec.name, spec.pid),
                ));
            }
            processes.push((spec.name.clone(), spec.pid, spec.parent));
        }
        let windows = match &raw.windows {
            Some(w) => Some(
                portcullis_hle::rtl::version::WindowsVersion::parse(w.get_ref()).map_err(|m| err(w.span().start, m))?,
            ),
            None => None,
        };
        let utc_offset_minutes = match &raw.utc_offset {
            Some(o) => Some(parse_utc_offset(o.get_ref()).ok_or_else(|| {
                err(
                    o.span().start,
                    format!("utc_offset `{}`: expected +HH:MM or -HH:MM (-12:00 to +14:00)", o.get_ref()),
                )
            })?),
            None => None,
        };
        Ok(Scenario {
            name: raw.name.unwrap_or_else(|| {
                Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or("scenario").to_string()
            }),
            description: raw.description,
            expect_outcome,
            outcome_explicit: raw.expect_outcome.is_some(),
            expect_entry: raw.expect_entry.map(|s| s.0).unwrap_or(0),
            unload_at_end: raw.unload_at_end.unwrap_or(true),
            missing_imports: raw.missing_imports.map(|m| match m {
                format::MissingImportsKind::Error => portcullis_hle::kernel::MissingImports::Error,
                format::MissingImportsKind::Stub => portcullis_hle::kernel::MissingImports::Stub,
            }),
            windows,
            utc_offset_minutes,
            max_instructions: limits.and_then(|l| l.max_instructions),
            timeout: limits.and_then(|l| l.timeout).map(|d| d.0),
            memory: limits.and_then(|l| l.memory).map(|m| m.0),
            devices,
            chips,
            bare,
            policies,
            physical,
            processors,
            processes,
            steps,
            registry: raw.registry,
            files,
            programs,
            security: raw.security,
            tracing,
            debugger: raw.debugger,
            pnp,
            default: false,
        })
    }

    /// What runs without a scenario file: DriverEntry, then open and close every symbolic
    /// link the driver created, then unload.
    pub fn default_scenario() -> Scenario {
        Scenario {
            name: "default".into(),
            description: Some("open and close every symbolic link the driver created, then unload".into()),
            expect_outcome: Outcome::Ok,
            outcome_explicit: false,
            expect_entry: 0,
            unload_at_end: true,
            missing_imports: None,
            windows: None,
            utc_offset_minutes: None,
            max_instructions: None,
            timeout: None,
            memory: None,
            devices: Vec::new(),
            chips: Vec::new(),
            bare: false,
            policies: Vec::new(),
            physical: Default::default(),
            processors: None,
            processes: Vec::new(),
            steps: Vec::new(),
            registry: Default::default(),
            files: Vec::new(),
            programs: Vec::new(),
            security: Default::default(),
            tracing: Vec::new(),
            debugger: Default::default(),
            pnp: Default::default(),
            default: true,
        }
    }

    /// The port ranges the file allows to be forwarded to the host (`policy = "forward"`).
    pub fn forward_ranges(&self) -> Vec<(u16, u16)> {
        self.policies.iter().filter(|p| p.3 == Policy::Forward).map(|p| (p.0, p.1)).collect()
    }

    /// How the run is expected to end ("ok" unless the file says otherwise).
    pub fn expect_outcome(&self) -> Outcome {
        self.expect_outcome
    }

    /// Whether the file states an expected outcome.
    pub fn states_outcome(&self) -> bool {
        self.outcome_explicit
    }

    /// Adds the scenario's devices, port policies and limits to a sandbox configuration.
    /// Limits the caller already set win over the file's only where the file sets none.
    pub fn configure(&self, mut b: SandboxBuilder) -> Result<SandboxBuilder, ScenarioError> {
        if let Some(m) = self.missing_imports {
            b = b.missing_imports(m);
        }
        if let Some(v) = self.windows {
            b = b.windows(v);
        }
        if let Some(m) = self.utc_offset_minutes {
            b = b.utc_offset_minutes(m);
        }
        if let Some(n) = self.max_instructions {
            b = b.max_instructions(n);
        }
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        if let Some(m) = self.memory {
            b = b.memory_limit(m);
        }
        for (first, last, model) in &self.devices {
            b = b.device(*first, *last, model.clone().build(*first, *last));
        }
        for c in &self.chips {
            b = b.chip(c.clone().setup());
        }
        b = b.bare_machine(self.bare);
        for (first, last, name, policy) in &self.policies {
            if *policy != Policy::Forward {
                b = b.policy(*first, *last, name.clone(), *policy);
                continue;
            }
            // Forwarded only where the command line attached a host backend (see
            // `crate::forward`); the rest of the range is recorded and answered all-ones.
            let mut start = None;
            for port in *first as u32..=*last as u32 + 1 {
                let free = port <= *last as u32 && !b.forwards_cover(port as u16, port as u16);
                match (free, start) {
                    (true, None) => start = Some(port),
                    (false, Some(s)) => {
                        b = b.policy(s as u16, (port - 1) as u16, format!("{name} (forwarding off)"), Policy::Log);
                        start = None;
                    }
                    _ => {}
                }
            }
        }
        for (path, data) in &self.files {
            b = b.file(path, data.clone());
        }
        b = b.security(self.security.account(), self.security.privileges.clone());
        b = b.tracing(self.tracing.clone());
        b = b.debugger(self.debugger.attached, self.debugger.answers.clone());
        b = b.pnp(self.pnp.clone());
        for (key, values) in &self.registry {
            b = b.registry_key(key);
            for (name, v) in values {
                b = b.registry_value(key, name, v.ty, v.data.clone());
            }
        }
        if let Some(n) = self.processors {
            b = b.processors(n);
        }
        for (name, pid, parent) in &self.processes {
            b = b.process(name.clone(), *pid, *parent);
        }
        Ok(self.physical.configure(b))
    }

    /// Runs DriverEntry and the steps, recording failed expectations in the sandbox.
    pub fn run(&self, sb: &mut crate::Sandbox) -> ScenarioOutcome {
        run::run(self, sb)
    }

    pub(crate) fn is_default(&self) -> bool {
        self.default
    }

    pub(crate) fn expect_entry(&self) -> u32 {
        self.expect_entry
    }

    pub(crate) fn unload_at_end(&self) -> bool {
        self.unload_at_end
    }
}

/// `+HH:MM` / `-HH:MM` as minutes east of UTC, within the offsets time zones use.
fn parse_utc_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())) {
        return None;
    }
    let minutes = sign * (h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok().filter(|m| *m < 60)?);
    (-12 * 60..=14 * 60).contains(&minutes).then_some(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_locate_offsets_by_line_and_character() {
        let text = "ab\nçd\n\nx";
        let lines = Lines::new(text);
        assert_eq!(lines.locate(0), (1, 1));
        assert_eq!(lines.locate(2), (1, 3));
        assert_eq!(lines.locate(3), (2, 1));
        assert_eq!(lines.locate(5), (2, 2), "columns count characters, not bytes");
        assert_eq!(lines.locate(7), (3, 1));
        assert_eq!(lines.locate(8), (4, 1));
        assert_eq!(lines.locate(1000), (4, 2), "past the end: the end");
    }

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(text, "test.toml")
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        let e = parse("name = \"x\"\n\n[[steps]]\nopen = 'a'\n\n[[steps]]\nioctl = \"not a code\"\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("test.toml", 7), "{e}");
        assert!(e.message.contains("control code"), "{e}");
        // A device is one tagged table: its errors point at the table.
        let e = parse("[[devices]]\nkind = \"registers\"\nports = \"0x307-0x300\"\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("ends before it starts"), "{e}");
        let e = parse("[[devices]]\nkind = \"uart\"\ncom = 5\n").unwrap_err();
        assert!(e.message.contains("expected 1 to 4"), "{e}");
        let e = parse("[[devices]]\nkind = \"sequence\"\nports = 0x80\ninitial = \"00\"\n").unwrap_err();
        assert!(e.message.contains("unknown field `initial`"), "{e}");
        let e = parse("machine = \"vax\"\n").unwrap_err();
        assert!(e.message.contains("\"bare\""), "{e}");
        let e = parse("[[steps]]\nopn = 'x'\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown field"), "{e}");
        assert!(e.to_string().starts_with("test.toml:2:"), "{e}");
    }

    #[test]
    fn programs_are_files_beside_the_scenario_with_their_own_qualifiers() {
        let e = parse("[[steps]]\nprogram = '/bin/sh'\n").unwrap_err();
        assert!(e.message.contains("no absolute path"), "{e}");
        let e = parse("[[steps]]\nprogram = '../x.exe'\n").unwrap_err();
        assert!(e.message.contains("no `..`"), "{e}");
        let e = parse("[[steps]]\nopen = 'a'\nargs = ['x']\n").unwrap_err();
        assert!(e.message.contains("`args` does not apply to `open`"), "{e}");
        let e = parse("[[programs]]\nimage = 'a.exe'\ndlls = ['sub/bad|name.dll']\n").unwrap_err();
        assert!(e.message.contains("not a file name"), "{e}");
        // A file that is not there is the run's step failure, not the scenario's error.
        let s = parse("[[steps]]\nprogram = 'nowhere.{arch}.exe'\nexpect_exit = 'STATUS_PRIVILEGED_INSTRUCTION'\n[[programs]]\nimage = 'b.exe'\nstdin = 'x'\n").unwrap();
        match &s.steps[0].action {
            Action::Program(p) => {
                assert_eq!(p.expect_exit, 0xC000_0096);
                assert!(p.file(&p.image, "x64").unwrap_err().contains("cannot read"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.programs[0].stdin, b"x");
    }

    #[test]
    fn each_step_has_exactly_one_action_and_known_handles() {
        let e = parse("[[steps]]\nopen = 'a'\nclose = 'h1'\n").unwrap_err();
        assert!(e.message.contains("found open and close"), "{e}");
        assert_eq!(e.line, 1);
        let e = parse("[[steps]]\nexpect_status = 0\n").unwrap_err();
        assert!(e.message.contains("expected one action"), "{e}");
        let e = parse("[[steps]]\nioctl = 1\n").unwrap_err();
        assert!(e.message.contains("needs an open handle"), "{e}");
        let e = parse("[[steps]]\nopen = 'a'\n[[steps]]\nclose = 'dev'\n").unwrap_err();
        assert!(e.message.contains("no open handle named `dev`"), "{e}");
        assert_eq!(e.line, 3);
        let e = parse("[[steps]]\nopen = 'a'\ninput = '00'\n").unwrap_err();
        assert!(e.message.contains("`input` does not apply to `open`"), "{e}");
        let e = parse("[[steps]]\nopen = 'a'\n[[steps]]\npending = 'nope'\n").unwrap_err();
        assert!(e.message.contains("no earlier ioctl is named `nope`"), "{e}");
        let e = parse("expect_outcome = \"maybe\"\n").unwrap_err();
        assert!(e.message.contains("ok, fault, bugcheck, deadlock, limit, halted"), "{e}");
    }

    #[test]
    fn values_parse_in_every_documented_form() {
        let s = parse(
            r#"
            [limits]
            max_instructions = 1_000
            timeout = "250ms"
            memory = "64MiB"
            [[devices]]
            kind = "sequence"
            ports = [0x378, 0x37a]
            values = [1, 2]
            [[ports]]
            range = 0xcf8
            policy = "deny"
            [[steps]]
            open = '\\.\X'
            as = "x"
            [[steps]]
            ioctl = { device_type = 0x22, function = 0x801, method = "out_direct", access = "read" }
            input = [1, 2, 0xff]
            output = "aa bb"
            expect_status = "0xC0000010"
            expect_output = { u16 = [0x1234], u8 = [5] }
            [[steps]]
            ioctl = "0x220004"
            handle = "x"
            expect_status = "STATUS_INVALID_PARAMETER"
            "#,
        )
        .unwrap();
        assert_eq!((s.max_instructions, s.memory), (Some(1000), Some(64 << 20)));
        assert_eq!(s.timeout, Some(std::time::Duration::from_millis(250)));
        match &s.steps[1].action {
            Action::Ioctl { code, input, output, .. } => {
                // CTL_CODE(0x22, 0x801, METHOD_OUT_DIRECT, FILE_READ_ACCESS)
                assert_eq!(*code, (0x22 << 16) | (1 << 14) | (0x801 << 2) | 2);
                assert_eq!(input, &vec![1, 2, 0xff]);
                assert_eq!(output.initial.as_deref(), Some(&[0xaa, 0xbb][..]));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.steps[1].expect.status, Some(0xC000_0010));
        assert_eq!(s.steps[1].expect.output, Some(vec![0x34, 0x12, 5]));
        assert_eq!(s.steps[2].expect.status, Some(0xC000_000D));
        assert_eq!(s.policies[0].0, 0xcf8);
    }

    #[test]
    fn windows_version_and_utc_offset() {
        use portcullis_hle::rtl::version::WindowsVersion;
        let s = parse("windows = \"11\"\nutc_offset = \"+05:30\"\n").unwrap();
        assert_eq!(s.windows, Some(WindowsVersion::WINDOWS_11));
        assert_eq!(s.utc_offset_minutes, Some(330));
        let s = parse("windows = \"10.0.19041\"\nutc_offset = \"-08:00\"\n").unwrap();
        assert_eq!(s.windows.map(|v| (v.major, v.minor, v.build)), Some((10, 0, 19041)));
        assert_eq!(s.utc_offset_minutes, Some(-480));
        let s = parse("name = \"x\"\n").unwrap();
        assert_eq!((s.windows, s.utc_offset_minutes), (None, None));
        let e = parse("name = \"x\"\nwindows = \"xp\"\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("expected 7, 10, 11"), "{e}");
        for bad in ["05:00", "+5:00", "+15:00", "-12:30", "+01:60", "+01-00"] {
            let e = parse(&format!("utc_offset = \"{bad}\"\n")).unwrap_err();
            assert!(e.message.contains("expected +HH:MM or -HH:MM"), "{bad}: {e}");
        }
        assert_eq!(parse_utc_offset("+14:00"), Some(840));
        assert_eq!(parse_utc_offset("-12:00"), Some(-720));
        assert_eq!(parse_utc_offset("+00:00"), Some(0));
    }
}
