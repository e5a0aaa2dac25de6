//! The report of a run: a versioned JSON document (schema in docs/report.md) and the
//! readable summary the CLI prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use portcullis_emu::{LimitHit, MemoryUsage};
use portcullis_hle::driver::Leaks;
use serde::Serialize;

use crate::outcome::Outcome;
use crate::record::{
    hex, BugcheckRecord, CallRecord, DeadlockRecord, DebugRecord, EntryPointRecord, ExceptionReport, FaultRecord,
    PortRow, PrivilegedRecord, StubRow, WaitRecord,
};
use crate::sandbox::Sandbox;

/// Version of the report format; bumped on any incompatible change.
pub const SCHEMA: &str = "portcullis-report/1";

/// The driver image. A driver refused at load has only what could be read of it: no
/// `image_base` or `entry` (it was never mapped), and no more than its path if the file
/// could not be read or parsed.
#[derive(Clone, Debug, Serialize)]
pub struct DriverInfo {
    pub path: String,
    pub sha256: Option<String>,
    pub arch: Option<&'static str>,
    /// Where the image was loaded (never its preferred base).
    pub image_base: Option<String>,
    pub preferred_base: Option<String>,
    pub size: Option<u64>,
    pub entry: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Imports {
    /// `dll!name` of every import bound to an implemented export.
    pub implemented: Vec<String>,
    /// `dll!name` of every import the kernel does not implement (bound to stubs).
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LimitsInfo {
    pub max_instructions: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub memory_bytes: u64,
    /// Budgets that ended the run.
    pub hit: Vec<LimitHit>,
    pub memory: MemoryUsage,
}

#[derive(Clone, Debug, Serialize)]
pub struct Counts {
    pub entry_points: u64,
    pub port_io: u64,
    pub mmio: u64,
    pub privileged: u64,
    pub api_calls: u64,
    pub exceptions: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FailedExpectation {
    pub step: usize,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegionInfo {
    pub kind: portcullis_emu::RegionKind,
    pub name: String,
    pub base: String,
    pub size: u64,
    pub prot: String,
}

/// A thread at the end of the run.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadRow {
    pub tid: String,
    pub ethread: String,
    pub pid: String,
    /// "host" (the sandbox calls the driver on it), "system" (PsCreateSystemThread), "worker",
    /// "user" (a user program's thread).
    pub kind: &'static str,
    /// Its start routine (system threads).
    pub start: Option<String>,
    /// "running", "ready", "waiting", "idle", "terminated".
    pub state: &'static str,
    pub priority: u8,
    pub processor: u32,
    /// What it waits on, while it waits.
    pub wait: Option<WaitRecord>,
    pub exit_status: Option<String>,
    /// APCs queued to it and never delivered (KAPC addresses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apcs: Vec<String>,
}

/// A DPC still queued at the end.
#[derive(Clone, Debug, Serialize)]
pub struct DpcRow {
    pub processor: u32,
    pub dpc: String,
    pub routine: String,
}

/// A timer still armed at the end.
#[derive(Clone, Debug, Serialize)]
pub struct TimerRow {
    pub timer: String,
    /// When it would expire, in ms of virtual time since boot.
    pub due_ms: u64,
    /// 0 for a one-shot timer.
    pub period_ms: u32,
    pub dpc: Option<String>,
}

/// A process of the process list.
#[derive(Clone, Debug, Serialize)]
pub struct ProcessRow {
    pub pid: String,
    pub parent: String,
    pub name: String,
    pub eprocess: String,
    /// Its exit status once it ended.
    pub exited: Option<String>,
}

/// Threads, DPCs, timers and processes at the end of the run, and the deadlock that ended
/// it if one did.
#[derive(Clone, Debug, Serialize)]
pub struct SchedulerReport {
    pub processors: u32,
    /// Virtual time at the end, in ms since boot.
    pub now_ms: u64,
    pub threads: Vec<ThreadRow>,
    pub dpcs: Vec<DpcRow>,
    pub timers: Vec<TimerRow>,
    pub processes: Vec<ProcessRow>,
    pub deadlock: Option<DeadlockRecord>,
}

impl SchedulerReport {
    fn build(k: &portcullis_hle::Kx, deadlock: Option<DeadlockRecord>) -> SchedulerReport {
        let snap = portcullis_hle::ke::snapshot::take(k);
        let status = |s: u32| format!("{s:#010x}");
        SchedulerReport {
            processors: snap.processors,
            now_ms: snap.now_ms,
            threads: snap
                .threads
                .iter()
                .map(|t| ThreadRow {
                    tid: hex(t.tid),
                    ethread: hex(t.ethread),
                    pid: hex(t.pid),
                    kind: t.kind,
                    start: (t.start != 0).then(|| hex(t.start)),
                    state: t.state,
                    priority: t.priority,
                    processor: t.processor,
                    wait: t.wait.as_ref().map(WaitRecord::from),
                    exit_status: t.exit_status.map(status),
                    apcs: t.apcs.iter().map(|a| hex(*a)).collect(),
                })
                .collect(),
            dpcs: snap
                .dpcs
                .iter()
                .map(|d| DpcRow { processor: d.processor, dpc: hex(d.dpc), routine: hex(d.routine) })
                .collect(),
            timers: snap
                .timers
                .iter()
                .map(|t| TimerRow {
                    timer: hex(t.timer),
                    due_ms: t.due_ms,
                    period_ms: t.period_ms,
                    dpc: (t.dpc != 0).then(|| hex(t.dpc)),
                })
                .collect(),
            processes: portcullis_hle::ps::processes::list(k)
                .iter()
                .map(|p| ProcessRow {
                    pid: hex(p.pid),
                    parent: hex(p.parent),
                    name: p.name.clone(),
                    eprocess: hex(p.eprocess),
                    exited: p.exited.map(status),
                })
                .collect(),
            deadlock,
        }
    }

    /// Anything worth a section of the text report beyond the host's own threads.
    fn interesting(&self) -> bool {
        self.threads.iter().any(|t| t.kind != "host" || t.state == "waiting")
            || !self.dpcs.is_empty()
            || !self.timers.is_empty()
            || self.deadlock.is_some()
    }
}

/// Everything a run found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub driver: DriverInfo,
    pub imports: Imports,
    pub entry_points: Vec<EntryPointRecord>,
    /// Distinct port accesses (port, width, direction, value) with counts.
    pub port_io: Vec<PortRow>,
    /// Distinct MMIO accesses (physical address, width, direction, value) with counts.
    pub mmio: Vec<crate::physical::MmioRow>,
    /// Views of physical memory the driver made, in order, and whether each is still mapped.
    pub physical_mappings: Vec<portcullis_hle::mm::Mapping>,
    /// PCI configuration writes (through the ports, ECAM or the HAL), with counts.
    pub pci_config_writes: Vec<crate::physical::PciWriteRow>,
    /// The machine's physical address space: RAM, ROM, devices, PCI BARs.
    pub physical_map: Vec<crate::physical::MapRow>,
    pub privileged: Vec<PrivilegedRecord>,
    pub api_calls: Vec<CallRecord>,
    pub api_call_counts: BTreeMap<String, u64>,
    /// Calls stubs for missing imports answered (`--missing-imports stub`), one row per import.
    pub stubbed_calls: Vec<StubRow>,
    pub debug_output: Vec<DebugRecord>,
    pub faults: Vec<FaultRecord>,
    /// Exceptions dispatched (or ending the run undispatched), in order, and how each ended.
    pub exceptions: Vec<ExceptionReport>,
    pub bugchecks: Vec<BugcheckRecord>,
    pub limits: LimitsInfo,
    /// What the driver left behind at unload (absent if it was not unloaded).
    pub leaks: Option<Leaks>,
    /// Threads, pending DPCs and timers, processes, and a deadlock (absent for a driver refused
    /// at load).
    pub scheduler: Option<SchedulerReport>,
    /// How each scenario step went, in order (empty for the default scenario).
    pub steps: Vec<crate::scenario::step_result::StepResult>,
    /// Scenario expectations that did not hold: (step number, message).
    pub failed_expectations: Vec<FailedExpectation>,
    /// The registry writes of the run, in order (the driver's, and scenario steps' with
    /// caller 0).
    pub registry_changes: Vec<portcullis_hle::events::RegistryChange>,
    /// Files written, created, truncated, renamed or deleted, in order.
    pub file_changes: Vec<portcullis_hle::fs::FileChange>,
    /// Processes the driver terminated (ZwTerminateProcess).
    pub terminated_processes: Vec<portcullis_hle::zw::process::ProcessTermination>,
    /// Entries the driver wrote to the system event log (IoWriteErrorLogEntry), in order.
    pub error_log: Vec<portcullis_hle::io::notify::ErrorLogEntry>,
    /// Popups the driver raised for the user (IoRaiseInformationalHardError), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hard_errors: Vec<portcullis_hle::io::hard_error::HardError>,
    /// ETW and WMI trace events the driver wrote, in order.
    pub trace_events: Vec<portcullis_hle::etw::TraceEvent>,
    /// Breakpoints the driver hit and debugger prompts it made, in order.
    pub debugger: Vec<portcullis_hle::kd::DebuggerEvent>,
    /// Messages minifilters sent to the user program (FltSendMessage), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter_messages: Vec<portcullis_hle::flt::port::FilterMessage>,
    /// What the driver did to the filtering platform (WFP): sessions, sublayers, callouts and
    /// filters by key, registered callouts, injection handles and injected packets, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wfp: Vec<portcullis_hle::wfp::WfpEvent>,
    /// What the driver did through NDIS with the emulated adapter: filter drivers registered
    /// (their callbacks), modules attached, restarted, paused and detached, OID requests
    /// answered, every frame sent to the wire (its bytes) and every frame received.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ndis: Vec<portcullis_hle::ndis::NdisEvent>,
    /// What the kernel noticed: HID minidriver registrations, writes to the system service
    /// table, a request to return to firmware, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<portcullis_hle::events::Notice>,
    /// What the machine's chips saw: POST codes, speaker tones, serial and printer output,
    /// a reset (absent when none of these happened).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<crate::board::DevicesReport>,
    pub counts: Counts,
    pub regions: Vec<RegionInfo>,
    /// Lists were cut at their cap (the trace file has everything).
    pub truncated: bool,
    /// The trace file, when one was written: its size, whether it was cut at its limit, and
    /// the error that stopped it if one did.
    pub trace_file: Option<crate::record::TraceFileInfo>,
    /// Why the driver was refused at load (then there are no entry points); null when it loaded.
    pub load_error: Option<crate::load_error::LoadErrorInfo>,
    /// How the run ended (see `Outcome`).
    pub outcome: Outcome,
    /// The signal that interrupted the run (outcome `interrupted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
}

/// "STATUS_SUCCESS (0x00000000)" or just the hex value.
pub fn status_text(status: u32) -> String {
    match portcullis_hle::status_names::name(status) {
        Some(n) => format!("{n} ({status:#010x})"),
        None => format!("{status:#010x}"),
    }
}

impl Report {
    pub(crate) fn build(sb: &Sandbox) -> Report {
        let (k, driver, limits, recorder, unload) = sb.parts();
        let rec = recorder.borrow();
        let d = &k.ext().drivers()[driver];
        let (implemented, missing): (Vec<_>, Vec<_>) = d.image.imports.iter().partition(|i| i.implemented);
        let name =
            |v: Vec<&portcullis_hle::loader::ImportInfo>| v.iter().map(|i| format!("{}!{}", i.dll, i.name)).collect();
        let outcome = match sb.stopped() {
            None if !rec.failed_expectations.is_empty() => Outcome::FailedExpectation,
            None => Outcome::Ok,
            Some(e) => e.outcome(),
        };
        Report {
            schema: SCHEMA,
            driver: DriverInfo {
                path: sb.path().display().to_string(),
                sha256: Some(sb.sha256().to_string()),
                arch: Some(k.arch().name()),
                image_base: Some(hex(d.image.base)),
                preferred_base: Some(hex(d.image.preferred_base)),
                size: Some(d.image.size),
                entry: Some(hex(d.image.entry)),
            },
            imports: Imports { implemented: name(implemented), missing: name(missing) },
            entry_points: rec.entry_points.clone(),
            port_io: rec.port_rows(),
            mmio: rec.mmio.rows(),
            physical_mappings: k.ext().mm.mappings.clone(),
            pci_config_writes: crate::physical::pci_writes(k.mem().physical()),
            physical_map: k.mem().physical().map().iter().map(crate::physical::MapRow::from).collect(),
            privileged: rec.privileged.clone(),
            api_calls: rec.calls.clone(),
            api_call_counts: rec.call_counts.clone(),
            stubbed_calls: rec.stubbed.clone(),
            debug_output: rec.debug.clone(),
            faults: rec.faults.clone(),
            exceptions: rec.exceptions.clone(),
            bugchecks: rec.bugchecks.clone(),
            limits: LimitsInfo {
                max_instructions: limits.max_instructions,
                timeout_ms: limits.time.map(|t| t.as_millis() as u64),
                memory_bytes: limits.memory_bytes,
                hit: rec.limits.clone(),
                memory: k.mem().usage(),
            },
            leaks: unload.map(|u| u.leaks.clone()),
            scheduler: Some(SchedulerReport::build(k, rec.deadlock.clone())),
            steps: rec.steps.clone(),
            failed_expectations: rec
                .failed_expectations
                .iter()
                .map(|(step, message)| FailedExpectation { step: *step, message: message.clone() })
                .collect(),
            registry_changes: rec.registry_changes.clone(),
            terminated_processes: rec.terminated.clone(),
            error_log: rec.error_log.clone(),
            hard_errors: rec.hard_errors.clone(),
            trace_events: rec.trace_events.clone(),
            debugger: rec.debugger.clone(),
            filter_messages: rec.filter_messages.clone(),
            wfp: rec.wfp.clone(),
            ndis: rec.ndis.clone(),
            notices: rec.notices.clone(),
            file_changes: rec.file_changes.clone(),
            devices: crate::board::DevicesReport::of(
                sb.devices(),
                sb.now_ns(),
                match sb.stopped() {
                    Some(crate::sandbox::RunError::Reset(r)) => Some(r.clone()),
                    _ => None,
                },
            ),
            counts: Counts {
                entry_points: rec.entry_points_total,
                port_io: rec.port_total,
                mmio: rec.mmio.total,
                privileged: rec.privileged_total,
                api_calls: rec.call_counts.values().sum(),
                exceptions: rec.exceptions_total,
            },
            regions: k
                .mem()
                .regions()
                .map(|r| RegionInfo {
                    kind: r.kind,
                    name: r.name.clone(),
                    base: hex(r.base),
                    size: r.size,
                    prot: r.prot.to_string(),
                })
                .collect(),
            truncated: rec.truncated || rec.mmio.truncated,
            trace_file: rec.trace_file(),
            load_error: None,
            outcome,
            signal: match sb.stopped() {
                Some(crate::sandbox::RunError::Interrupted(s)) => Some(*s),
                _ => None,
            },
        }
    }

    /// The readable summary. `verbose` lists every API call with its arguments.
    pub fn render_text(&self, verbose: bool) -> String {
        let mut s = String::new();
        let d = &self.driver;
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let sha = d.sha256.as_deref().unwrap_or("-");
        let _ = writeln!(s, "driver   {} ({}, sha256 {})", d.path, d.arch.unwrap_or("-"), &sha[..16.min(sha.len())]);
        let _ = writeln!(
            s,
            "image    {} (preferred {}), {:#x} bytes, entry {}",
            text(&d.image_base),
            text(&d.preferred_base),
            d.size.unwrap_or(0),
            text(&d.entry)
        );
        let _ = writeln!(
            s,
            "imports  {} implemented, {} missing",
            self.imports.implemented.len(),
            self.imports.missing.len()
        );
        for m in &self.imports.missing {
            let _ = writeln!(s, "         missing: {m}");
        }

        let _ = writeln!(s, "\nentry points");
        for e in &self.entry_points {
            let status = match (&e.status, &e.status_name) {
                (Some(st), Some(n)) => format!("{n} ({st})"),
                (Some(st), None) => st.clone(),
                _ if e.outcome == "returned" => "returned".into(),
                _ => "-".into(),
            };
            let target = e.target.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
            let mut info = e.information.map(|i| format!(", {i} bytes")).unwrap_or_default();
            if let Some(g) = &e.granted_access {
                info.push_str(&format!(", granted {g}"));
            }
            let outcome = if e.outcome == "returned" { String::new() } else { format!(" [{}]", e.outcome) };
            let _ = writeln!(s, "  {:<32} {status}{info}{outcome}", format!("{}{target}", e.kind));
            if let Some(d) = &e.detail {
                let _ = writeln!(s, "    {d}");
            }
            for u in &e.unmet {
                let _ = writeln!(s, "    expectation failed: {u}");
            }
        }

        if !self.port_io.is_empty() {
            let _ = writeln!(s, "\nport I/O ({} accesses)", self.counts.port_io);
            let _ = writeln!(
                s,
                "  {:<8} {:<5} {:<4} {:<12} {:>7}  {:<18} outcome",
                "port", "width", "dir", "value", "count", "first pc"
            );
            for p in &self.port_io {
                let v = format!("{:#0w$x}", p.value, w = 2 + 2 * p.width as usize);
                let outcome = serde_json::to_value(p.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  {:<8} {:<5} {:<4} {:<12} {:>7}  {:<18} {}",
                    format!("{:#06x}", p.port),
                    p.width,
                    p.dir,
                    v,
                    p.count,
                    p.pc,
                    outcome
                );
            }
        }

        crate::physical::render(self, &mut s);

        if !self.privileged.is_empty() {
            let _ = writeln!(s, "\nprivileged instructions ({})", self.counts.privileged);
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for p in &self.privileged {
                *counts.entry(describe_privileged(p)).or_default() += 1;
            }
            for (t, n) in counts {
                let _ = writeln!(s, "  {n:>6}  {t}");
            }
        }

        let _ = writeln!(s, "\nAPI calls ({})", self.counts.api_calls);
        if verbose {
            for c in &self.api_calls {
                let args: Vec<String> = c
                    .args
                    .iter()
                    .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap_or_default()))
                    .collect();
                let ret = c.ret.as_deref().map(|r| format!(" -> {r}")).unwrap_or_default();
                let stub = if c.missing { " [stub]" } else { "" };
                let _ = writeln!(s, "  {} {}({}){ret}{stub}", c.caller, c.name, args.join(", "));
            }
        } else {
            for (name, n) in &self.api_call_counts {
                let _ = writeln!(s, "  {n:>6}  {name}");
            }
        }

        if !self.stubbed_calls.is_empty() {
            let _ = writeln!(s, "\nstubbed calls (imports the kernel does not implement, answered by stubs)");
            let _ = writeln!(s, "  {:>6}  {:<48} {:<12} first caller", "count", "import", "answered");
            for r in &self.stubbed_calls {
                let answered = r.ret.as_deref().unwrap_or("-");
                let _ = writeln!(s, "  {:>6}  {:<48} {answered:<12} {}", r.count, r.import, r.first_caller);
            }
        }

        if !self.debug_output.is_empty() {
            let _ = writeln!(s, "\ndebug output");
            for d in &self.debug_output {
                let _ = writeln!(s, "  {}", d.text.trim_end_matches('\n'));
            }
        }

        if !self.registry_changes.is_empty() {
            let _ = writeln!(s, "\nregistry changes");
            for c in &self.registry_changes {
                let value = c.value.as_deref().map(|v| format!(" value \"{v}\"")).unwrap_or_default();
                let data = match (&c.value_type, &c.data) {
                    (Some(t), Some(d)) => format!(" = {t} {d}"),
                    _ => String::new(),
                };
                let _ = writeln!(s, "  {:<12} {}{value}{data}", c.operation, c.key);
            }
        }

        if !self.file_changes.is_empty() {
            let _ = writeln!(s, "\nfile changes");
            for c in &self.file_changes {
                let what = match (&c.from, c.offset, c.length) {
                    (Some(from), _, _) => format!(" (from {from})"),
                    (None, Some(o), Some(n)) => format!(", {n} bytes at {o}"),
                    _ => String::new(),
                };
                let _ = writeln!(s, "  {:<14} {}{what}, size {}", c.operation, c.path, c.size);
            }
        }

        if !self.hard_errors.is_empty() {
            let _ = writeln!(s, "\nhard-error popups");
            for p in &self.hard_errors {
                let title = p.process.as_deref().unwrap_or("System Process");
                let text = p.string.as_deref().map(|t| format!(", {t:?}")).unwrap_or_default();
                let _ = writeln!(s, "  {title} - System Error: {:?}{text}", p.status);
            }
        }

        if !self.error_log.is_empty() {
            let _ = writeln!(s, "\nerror log");
            for e in &self.error_log {
                let source = e.source.as_deref().unwrap_or("?");
                let _ = writeln!(
                    s,
                    "  {source}: code {:#010x}, status {:?}, unique value {}{}{}",
                    e.error_code,
                    e.final_status,
                    e.unique_error_value,
                    if e.strings.is_empty() { String::new() } else { format!(", strings {:?}", e.strings) },
                    if e.dump_data.is_empty() { String::new() } else { format!(", dump {:x?}", e.dump_data) },
                );
            }
        }

        if !self.trace_events.is_empty() {
            let _ = writeln!(s, "\ntrace events");
            for e in &self.trace_events {
                let _ = writeln!(
                    s,
                    "  {} {} id {} level {} keyword {:#x}{}: {}",
                    e.routine,
                    e.provider,
                    e.id,
                    e.level,
                    e.keyword,
                    if e.enabled { "" } else { " (no session)" },
                    e.data
                );
            }
        }

        for m in &self.filter_messages {
            let _ = writeln!(s, "\nfilter message on {}: {}", m.port, m.data);
        }

        if !self.wfp.is_empty() {
            let _ = writeln!(s, "\nfiltering platform");
            for e in &self.wfp {
                let _ = writeln!(s, "  {} (from {:#x})", e.change.text(), e.caller);
            }
        }

        if !self.ndis.is_empty() {
            let _ = writeln!(s, "\nnetwork (NDIS, adapter {})", portcullis_hle::ndis::adapter::device_name());
            for e in &self.ndis {
                let _ = writeln!(s, "  {} (from {:#x})", e.change.text(), e.caller);
            }
        }
        if !self.notices.is_empty() {
            let _ = writeln!(s, "\nnotices");
            for n in &self.notices {
                let _ = writeln!(s, "  {}: {} (from {:#x})", n.kind, n.detail, n.caller);
            }
        }

        for e in &self.debugger {
            match e.kind {
                "prompt" => {
                    let _ = writeln!(
                        s,
                        "\ndebugger prompt {:?} from {:#x}: {}",
                        e.prompt.as_deref().unwrap_or(""),
                        e.caller,
                        e.answer.as_deref().map(|a| format!("answered {a:?}")).unwrap_or_else(|| "no answer".into())
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "\nbreakpoint at {:#x}{}{}",
                        e.caller,
                        e.status.map(|st| format!(" with status {st:?}")).unwrap_or_default(),
                        if e.debugger { " (the debugger continued)" } else { " (no debugger)" }
                    );
                }
            }
        }

        for t in &self.terminated_processes {
            let _ = writeln!(
                s,
                "\nprocess terminated: {} (pid {:#x}) with {} from {:#x}",
                t.image, t.pid, t.exit_status, t.caller
            );
        }

        for f in &self.faults {
            let address = match f.kind {
                portcullis_emu::FaultKind::PageFault { address } => format!(", address {address:#x}"),
                _ => String::new(),
            };
            let _ = writeln!(s, "\nfault: {} at {}{address}", f.mnemonic, f.pc);
            if let Some(l) = &f.location {
                let _ = writeln!(s, "  in {l}");
            }
            if let Some(i) = &f.instruction {
                let _ = writeln!(s, "  {} {i}", f.pc);
            }
            if !f.reason.is_empty() {
                let _ = writeln!(s, "  {}", f.reason);
            }
            if let Some(stub) = &f.after_stub {
                let _ = writeln!(s, "  after the stubbed call {stub}");
            }
            let regs: Vec<String> = f.registers.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(s, "  {}", regs.join(" "));
            let _ = writeln!(s, "  stack: {}", f.stack.join(" "));
        }
        if !self.exceptions.is_empty() {
            let _ = writeln!(s, "\nexceptions ({})", self.counts.exceptions);
            for e in &self.exceptions {
                let name = e.code_name.unwrap_or(&e.code);
                let outcome = match e.vector {
                    Some(v) => format!("{} (vector {v:#x})", e.outcome),
                    None => e.outcome.to_string(),
                };
                let end = match (&e.resumed_at, &e.resumed_in) {
                    (Some(at), Some(l)) => format!("{outcome}, resumed at {at} ({l})"),
                    (Some(at), None) => format!("{outcome}, resumed at {at}"),
                    _ => outcome,
                };
                let _ = writeln!(s, "  {name} at {} ({}): {end}", e.address, e.location);
            }
        }
        for b in &self.bugchecks {
            let _ = writeln!(
                s,
                "\nbugcheck {}{}{} ({}, {}, {}, {}) from {}",
                b.code,
                if b.name.is_empty() { "" } else { " " },
                b.name,
                b.params[0],
                b.params[1],
                b.params[2],
                b.params[3],
                b.caller
            );
            if !b.reason.is_empty() {
                let _ = writeln!(s, "  {}", b.reason);
            }
            if let Some(e) = &b.exception {
                let name = e.code_name.unwrap_or(&e.code);
                let _ = writeln!(
                    s,
                    "  exception {name} at {} ({}), parameters [{}]",
                    e.address,
                    e.location,
                    e.params.join(", ")
                );
                if let Some(i) = &e.instruction {
                    let _ = writeln!(s, "  {} {i}", e.address);
                }
                if let Some(r) = &e.reason {
                    let _ = writeln!(s, "  {r}");
                }
                if let Some(stub) = &e.after_stub {
                    let _ = writeln!(s, "  after the stubbed call {stub}");
                }
                if let Some(r) = &e.registers {
                    let regs: Vec<String> = r.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let _ = writeln!(s, "  {}", regs.join(" "));
                }
                if !e.frames.is_empty() {
                    let _ = writeln!(s, "  call stack:");
                    for f in &e.frames {
                        let _ = writeln!(s, "    {:<18} {}", f.pc, f.location);
                    }
                }
            }
        }
        for l in &self.limits.hit {
            let _ = writeln!(s, "\nlimit: {l}");
        }
        if let Some(d) = &self.devices {
            d.render(&mut s);
        }
        if let Some(sched) = self.scheduler.as_ref().filter(|s| s.interesting()) {
            render_scheduler(&mut s, sched);
        }
        if let Some(l) = &self.leaks {
            if l.is_empty() {
                let _ = writeln!(s, "\nleaks: none");
            } else {
                let _ = writeln!(s, "\nleaks");
                for b in &l.pool {
                    let _ = writeln!(
                        s,
                        "  pool   {:#x}  {} bytes, tag '{}', allocated from {:#x}",
                        b.address,
                        b.size,
                        portcullis_hle::exports::args::tag_text(b.tag),
                        b.caller
                    );
                }
                for d in &l.devices {
                    let _ = writeln!(s, "  device {:#x}  {}", d.address, d.name.as_deref().unwrap_or("(unnamed)"));
                }
                for link in &l.symbolic_links {
                    let _ = writeln!(s, "  link   {} -> {}", link.name, link.target);
                }
                for r in &l.references {
                    let _ = writeln!(s, "  ref    {:#x}  {:?} {} reference(s)", r.address, r.kind, r.references);
                }
                for p in &l.pending_requests {
                    let _ = writeln!(s, "  irp    {p}");
                }
                for m in &l.mappings {
                    let _ = writeln!(
                        s,
                        "  view   {:#x}  {:#x} bytes of physical {:#x} ({:?}), mapped from {:#x}",
                        m.virtual_address, m.size, m.physical_address, m.kind, m.caller
                    );
                }
                for a in &l.memory {
                    let _ = writeln!(
                        s,
                        "  memory {:#x}  {:#x} bytes at physical {:#x}, allocated from {:#x}",
                        a.address, a.size, a.physical_address, a.caller
                    );
                }
                for h in &l.handles {
                    let kind = h.kind.map(|k| format!("{k:?}").to_lowercase()).unwrap_or_else(|| "object".into());
                    let _ = writeln!(
                        s,
                        "  handle {:#x}  to {kind} {:#x}, in the table of process {:#x}",
                        h.handle, h.object, h.process
                    );
                }
            }
        }
        if !self.failed_expectations.is_empty() {
            let _ = writeln!(s, "\nfailed expectations");
            for f in &self.failed_expectations {
                let _ = writeln!(s, "  {}", f.message);
            }
        }
        if let Some(summary) = crate::scenario::step_result::summary(&self.steps) {
            let _ = writeln!(s, "\nsteps: {summary}");
            for st in self.steps.iter().filter(|st| st.outcome != crate::scenario::step_result::StepOutcome::Passed) {
                let why = st.reason.clone().unwrap_or_else(|| st.unmet.join("; "));
                let _ =
                    writeln!(s, "  step {} (line {}, {}): {}: {why}", st.step, st.line, st.action, st.outcome.name());
            }
        }
        if self.truncated {
            let _ = writeln!(
                s,
                "\n(some lists were cut at {} rows; the trace file has everything)",
                crate::record::REPORT_CAP
            );
        }
        let _ = writeln!(s, "\noutcome: {}", self.outcome);
        s
    }
}

/// A privileged instruction as the text report lists it: MSR accesses with their number and
/// value, the rest by name.
fn describe_privileged(p: &PrivilegedRecord) -> String {
    use portcullis_emu::Privileged;
    match &p.action {
        Privileged::Rdmsr { msr, value: Some(v) } => format!("rdmsr {msr:#x} -> {v:#x}"),
        Privileged::Rdmsr { msr, value: None } => format!("rdmsr {msr:#x} -> #GP"),
        Privileged::Wrmsr { msr, value, accepted: true } => format!("wrmsr {msr:#x} <- {value:#x}"),
        Privileged::Wrmsr { msr, value, accepted: false } => format!("wrmsr {msr:#x} <- {value:#x} (#GP)"),
        _ => p.text.clone(),
    }
}

fn render_wait(s: &mut String, w: &WaitRecord) {
    let on: Vec<String> =
        w.on.iter()
            .map(|t| match (&t.held_by, &t.flow) {
                (Some(h), _) => format!("{} {} (held by {h})", t.kind, t.object),
                (None, Some(f)) => format!("{} {} ({f})", t.kind, t.object),
                (None, None) => format!("{} {}", t.kind, t.object),
            })
            .collect();
    let on = if on.is_empty() { String::new() } else { format!(": {}", on.join(", ")) };
    let _ = writeln!(s, "    {} waits for {}{on}", w.flow, w.waits_for);
}

fn render_scheduler(s: &mut String, sched: &SchedulerReport) {
    let _ = writeln!(s, "\nthreads ({} processors, {} ms of virtual time)", sched.processors, sched.now_ms);
    for t in &sched.threads {
        let start = t.start.as_deref().map(|a| format!(" start {a}")).unwrap_or_default();
        let exit = t.exit_status.as_deref().map(|e| format!(" exit {e}")).unwrap_or_default();
        let apcs = if t.apcs.is_empty() { String::new() } else { format!(" queued APCs {}", t.apcs.join(", ")) };
        let _ = writeln!(
            s,
            "  {:<8} pid {:<8} {:<7} {:<10} priority {:>2} cpu {}{start}{exit}{apcs}",
            t.tid, t.pid, t.kind, t.state, t.priority, t.processor
        );
        if let Some(w) = &t.wait {
            render_wait(s, w);
        }
    }
    if !sched.dpcs.is_empty() {
        let _ = writeln!(s, "\npending DPCs");
        for d in &sched.dpcs {
            let _ = writeln!(s, "  cpu {} dpc {} routine {}", d.processor, d.dpc, d.routine);
        }
    }
    if !sched.timers.is_empty() {
        let _ = writeln!(s, "\ntimers");
        for t in &sched.timers {
            let period = if t.period_ms == 0 { "one-shot".to_string() } else { format!("every {} ms", t.period_ms) };
            let dpc = t.dpc.as_deref().map(|d| format!(", dpc {d}")).unwrap_or_default();
            let _ = writeln!(s, "  timer {} due at {} ms, {period}{dpc}", t.timer, t.due_ms);
        }
    }
    if let Some(d) = &sched.deadlock {
        let _ = writeln!(s, "\ndeadlock: {}", d.reason);
        for w in &d.waits {
            render_wait(s, w);
        }
    }
}
