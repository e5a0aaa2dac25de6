//! The recorder: every event of a run, in order, as JSON Lines (streamed while the run
//! goes) and as the aggregates the report shows.
//!
//! Events reach it in batches from the machine's trace sink, so a run that dies still
//! leaves everything up to its last batch in the trace file. Lists kept for the report are
//! capped (the trace file has everything); counts are exact.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

use portcullis_emu::{Event, GuestFault, LimitHit, PortEvent, PrivilegedEvent};
use portcullis_hle::events::{RegistryChange, SystemEvent};
use portcullis_hle::exports::ArgValue;
use portcullis_hle::ke::scheduler::SchedEvent;
use portcullis_hle::ke::wait_graph::{Deadlock, WaitEdge};
use portcullis_hle::kernel::{ApiCall, Bugcheck, DebugOutput, KernelEvent};
use portcullis_hle::seh::events::{ExceptionEvent, ExceptionOutcome};
use serde::Serialize;

/// Most distinct rows of each list the report keeps.
pub const REPORT_CAP: usize = 10_000;

pub(crate) fn hex(v: u64) -> String {
    format!("{v:#x}")
}

/// One line of the trace file.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceRecord {
    Port {
        seq: u64,
        pc: String,
        port: u16,
        width: u16,
        dir: &'static str,
        value: u32,
        cpl: u8,
        outcome: portcullis_emu::ports::Outcome,
        /// The user process whose code made it (user-mode accesses only).
        #[serde(skip_serializing_if = "Option::is_none")]
        pid: Option<u64>,
    },
    /// A user process starts running (no exit status) or ends.
    Process {
        seq: u64,
        #[serde(flatten)]
        process: portcullis_hle::kernel::UserProcessEvent,
    },
    Mmio {
        seq: u64,
        #[serde(flatten)]
        access: crate::physical::MmioRecord,
    },
    Privileged {
        seq: u64,
        pc: String,
        text: String,
        #[serde(flatten)]
        action: portcullis_emu::Privileged,
    },
    Call {
        seq: u64,
        #[serde(flatten)]
        call: CallRecord,
    },
    Debug {
        seq: u64,
        text: String,
        component: Option<u32>,
        level: Option<u32>,
        caller: String,
    },
    Fault {
        seq: u64,
        #[serde(flatten)]
        fault: FaultRecord,
    },
    Limit {
        seq: u64,
        #[serde(flatten)]
        limit: LimitHit,
    },
    Bugcheck {
        seq: u64,
        #[serde(flatten)]
        bugcheck: BugcheckRecord,
    },
    Exception {
        seq: u64,
        #[serde(flatten)]
        exception: ExceptionReport,
    },
    EntryPoint {
        seq: u64,
        #[serde(flatten)]
        entry: EntryPointRecord,
    },
    /// A write to the registry.
    Registry {
        seq: u64,
        #[serde(flatten)]
        change: RegistryChange,
    },
    /// A file written, created, truncated, renamed or deleted.
    File {
        seq: u64,
        #[serde(flatten)]
        change: portcullis_hle::fs::FileChange,
    },
    /// A process the driver terminated.
    ProcessTerminated {
        seq: u64,
        #[serde(flatten)]
        termination: portcullis_hle::zw::process::ProcessTermination,
    },
    /// An entry the driver wrote to the system event log (IoWriteErrorLogEntry).
    ErrorLog {
        seq: u64,
        #[serde(flatten)]
        entry: portcullis_hle::io::notify::ErrorLogEntry,
    },
    /// A popup the driver raised for the user (IoRaiseInformationalHardError).
    HardError {
        seq: u64,
        #[serde(flatten)]
        popup: portcullis_hle::io::hard_error::HardError,
    },
    /// An ETW or WMI event the driver wrote.
    TraceEvent {
        seq: u64,
        #[serde(flatten)]
        event: portcullis_hle::etw::TraceEvent,
    },
    /// A breakpoint or a debugger prompt.
    Debugger {
        seq: u64,
        #[serde(flatten)]
        event: portcullis_hle::kd::DebuggerEvent,
    },
    /// A minifilter's message to the user program (FltSendMessage).
    FilterMessage {
        seq: u64,
        #[serde(flatten)]
        message: portcullis_hle::flt::port::FilterMessage,
    },
    /// A change to the filtering platform (WFP): sessions, objects, callouts, injections.
    Wfp {
        seq: u64,
        #[serde(flatten)]
        event: portcullis_hle::wfp::WfpEvent,
    },
    /// What a driver did through NDIS: filters, OID requests, frames sent and received.
    Ndis {
        seq: u64,
        #[serde(flatten)]
        event: portcullis_hle::ndis::NdisEvent,
    },
    /// Something the kernel noticed (a HID minidriver's registration, a service-table write,
    /// a reboot request).
    Notice {
        seq: u64,
        #[serde(flatten)]
        notice: portcullis_hle::events::Notice,
    },
    /// A scenario expectation that did not hold.
    Expectation {
        seq: u64,
        step: usize,
        message: String,
    },
    /// Threads, DPCs, timers, work items, virtual time.
    Sched {
        seq: u64,
        #[serde(flatten)]
        event: SchedRecord,
    },
    /// Every flow that must go on waits: the run ends.
    Deadlock {
        seq: u64,
        #[serde(flatten)]
        deadlock: DeadlockRecord,
    },
}

/// A scheduler event, with addresses in hex.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SchedRecord {
    Switch { from: String, to: String },
    ThreadStart { thread: String, start: String, context: String },
    ThreadExit { thread: String, status: String },
    Dpc { processor: u32, dpc: String, routine: String },
    Timer { timer: String, dpc: String },
    WorkItem { thread: String, routine: String },
    Time { ms: u64, now_ms: u64 },
    Preempt { flow: String },
    ApcQueued { thread: String, apc: String, mode: u8 },
    Apc { thread: String, apc: String, kernel_routine: String, normal_routine: String },
    ApcsDropped { thread: String, apcs: Vec<String> },
}

impl From<&SchedEvent> for SchedRecord {
    fn from(e: &SchedEvent) -> Self {
        match e.clone() {
            SchedEvent::Switch { from, to } => SchedRecord::Switch { from, to },
            SchedEvent::ThreadStart { thread, start, context } => {
                SchedRecord::ThreadStart { thread, start: hex(start), context: hex(context) }
            }
            SchedEvent::ThreadExit { thread, status } => {
                SchedRecord::ThreadExit { thread, status: format!("{status:#010x}") }
            }
            SchedEvent::Dpc { processor, dpc, routine } => {
                SchedRecord::Dpc { processor, dpc: hex(dpc), routine: hex(routine) }
            }
            SchedEvent::Timer { timer, dpc } => SchedRecord::Timer { timer: hex(timer), dpc: hex(dpc) },
            SchedEvent::WorkItem { thread, routine } => SchedRecord::WorkItem { thread, routine: hex(routine) },
            SchedEvent::Time { ms, now_ms } => SchedRecord::Time { ms, now_ms },
            SchedEvent::Preempt { flow } => SchedRecord::Preempt { flow },
            SchedEvent::ApcQueued { thread, apc, mode } => SchedRecord::ApcQueued { thread, apc: hex(apc), mode },
            SchedEvent::Apc { thread, apc, kernel_routine, normal_routine } => SchedRecord::Apc {
                thread,
                apc: hex(apc),
                kernel_routine: hex(kernel_routine),
                normal_routine: hex(normal_routine),
            },
            SchedEvent::ApcsDropped { thread, apcs } => {
                SchedRecord::ApcsDropped { thread, apcs: apcs.into_iter().map(hex).collect() }
            }
        }
    }
}

/// What a waiting flow waits on, with addresses in hex.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WaitRecord {
    /// "thread 0x404", "dpc 1".
    pub flow: String,
    pub waits_for: String,
    /// KWAIT_REASON.
    pub reason: u32,
    pub on: Vec<WaitTargetRecord>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WaitTargetRecord {
    pub object: String,
    pub kind: String,
    /// The flow that holds it (a mutex's owner, a lock's holder).
    pub held_by: Option<String>,
    /// The flow it is (a thread object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
}

impl From<&WaitEdge> for WaitRecord {
    fn from(e: &WaitEdge) -> Self {
        WaitRecord {
            flow: e.flow.clone(),
            waits_for: e.waits_for.clone(),
            reason: e.reason,
            on: e
                .on
                .iter()
                .map(|t| WaitTargetRecord {
                    object: hex(t.object),
                    kind: t.kind.clone(),
                    held_by: t.held_by.clone(),
                    flow: t.flow.clone(),
                })
                .collect(),
        }
    }
}

/// A deadlock: why, and the wait graph.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeadlockRecord {
    pub reason: String,
    pub waits: Vec<WaitRecord>,
}

impl From<&Deadlock> for DeadlockRecord {
    fn from(d: &Deadlock) -> Self {
        DeadlockRecord { reason: d.reason.clone(), waits: d.waits.iter().map(WaitRecord::from).collect() }
    }
}

/// A fault, with addresses in hex.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FaultRecord {
    #[serde(flatten)]
    pub kind: portcullis_emu::FaultKind,
    pub mnemonic: String,
    pub pc: String,
    pub location: Option<String>,
    pub instruction: Option<String>,
    pub reason: String,
    pub cpl: u8,
    /// Register values in the conventional order (eax, ebx, ... eip, eflags).
    pub registers: Ordered,
    pub stack: Vec<String>,
    /// The last call a stub for a missing import answered in the same entry point before the
    /// fault ("ntoskrnl.exe!ZwClose returned 0xc0000002 to 0x..."): the likeliest cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_stub: Option<String>,
}

/// Name/value pairs serialised as a JSON object, in their given order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ordered(pub Vec<(&'static str, String)>);

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl From<&GuestFault> for FaultRecord {
    fn from(f: &GuestFault) -> Self {
        FaultRecord {
            kind: f.kind.clone(),
            mnemonic: f.kind.mnemonic(),
            pc: hex(f.pc),
            location: f.location.clone(),
            instruction: f.instruction.clone(),
            // Never empty: what the machine knows, else what the fault means.
            reason: if f.reason.is_empty() { f.kind.describe() } else { f.reason.clone() },
            cpl: f.cpl,
            registers: Ordered(f.registers.iter().map(|r| (r.name, hex(r.value))).collect()),
            stack: f.stack.iter().map(|v| hex(*v)).collect(),
            after_stub: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BugcheckRecord {
    pub code: String,
    /// The code's symbolic name; absent for codes Windows does not define (a driver's own).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub name: &'static str,
    pub params: [String; 4],
    pub caller: String,
    pub reason: String,
    /// The exception the bugcheck is about (an unhandled one, or a trap Windows does not
    /// dispatch): its record, instruction, registers and call stack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Box<ExceptionReport>>,
}

impl From<&Bugcheck> for BugcheckRecord {
    fn from(b: &Bugcheck) -> Self {
        BugcheckRecord {
            code: format!("{:#010x}", b.code),
            name: b.name,
            params: b.params.map(hex),
            caller: hex(b.caller),
            reason: b.reason.clone(),
            exception: None,
        }
    }
}

/// An exception and how its dispatch ended.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ExceptionReport {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_name: Option<&'static str>,
    pub flags: u32,
    pub address: String,
    pub location: String,
    pub params: Vec<String>,
    /// "handled", "continued", "unhandled", "fatal" (a trap Windows bugchecks on without
    /// looking for a handler) or "delivered_through_idt" (the driver's own IDT took it).
    pub outcome: &'static str,
    /// For "delivered_through_idt": the vector the processor delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<u8>,
    /// Where execution went on: the handler's frame, or the continued context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// What the machine said about the fault (an MSR it does not have).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registers: Option<Ordered>,
    /// The call stack, innermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<FrameRecord>,
    /// For one that ended the run: the last call a stub for a missing import answered in the
    /// same entry point (as for faults).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_stub: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FrameRecord {
    pub pc: String,
    pub location: String,
}

impl From<&ExceptionEvent> for ExceptionReport {
    fn from(e: &ExceptionEvent) -> Self {
        let (outcome, resumed_at, resumed_in) = match &e.outcome {
            ExceptionOutcome::Handled { target, target_location } => {
                ("handled", Some(hex(*target)), Some(target_location.clone()))
            }
            ExceptionOutcome::Continued { at } => ("continued", Some(hex(*at)), None),
            ExceptionOutcome::Unhandled => ("unhandled", None, None),
            ExceptionOutcome::Fatal => ("fatal", None, None),
            ExceptionOutcome::DeliveredThroughIdt { handler, handler_location, .. } => {
                ("delivered_through_idt", Some(hex(*handler)), Some(handler_location.clone()))
            }
        };
        let detail = e.detail.as_deref();
        ExceptionReport {
            code: format!("{:#010x}", e.code),
            code_name: portcullis_hle::status_names::name(e.code),
            flags: e.flags,
            address: hex(e.address),
            location: e.location.clone(),
            params: e.params.iter().map(|p| hex(*p)).collect(),
            outcome,
            vector: match e.outcome {
                ExceptionOutcome::DeliveredThroughIdt { vector, .. } => Some(vector),
                _ => None,
            },
            resumed_at,
            resumed_in,
            instruction: detail.and_then(|d| d.instruction.clone()),
            reason: detail.and_then(|d| d.reason.clone()),
            registers: detail.map(|d| Ordered(d.registers.iter().map(|r| (r.name, hex(r.value))).collect())),
            frames: detail
                .map(|d| d.frames.iter().map(|f| FrameRecord { pc: hex(f.pc), location: f.location.clone() }).collect())
                .unwrap_or_default(),
            after_stub: None,
        }
    }
}

/// One entry point the sandbox ran (DriverEntry, an IRP, DriverUnload) and how it ended.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, Default)]
pub struct EntryPointRecord {
    /// "DriverEntry", "IRP_MJ_CREATE", "IRP_MJ_DEVICE_CONTROL", ..., "DriverUnload".
    pub kind: String,
    /// What the request was about: the path opened, the control code, the handle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The final NTSTATUS, "0x%08X"; absent when the routine did not return or is pending.
    pub status: Option<String>,
    pub status_name: Option<String>,
    /// What the dispatch routine returned, when it differs from the final status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information: Option<u64>,
    /// The access a process or thread handle was granted (after the object callbacks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_access: Option<String>,
    /// How it ended: "returned", "pending", "fault", "bugcheck", "limit", "halted", "error".
    pub outcome: String,
    /// Failed expectations of the scenario step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<String>,
    /// Why it ended, when the outcome alone does not say (the routine an "unimplemented"
    /// run called).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A distinct port access and how often it happened.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PortRow {
    pub port: u16,
    pub width: u16,
    pub dir: &'static str,
    pub value: u32,
    /// The first instruction that made it.
    pub pc: String,
    pub count: u64,
    pub outcome: portcullis_emu::ports::Outcome,
}

/// One call into the kernel.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CallRecord {
    pub dll: Cow<'static, str>,
    pub name: Cow<'static, str>,
    pub args: BTreeMap<&'static str, ArgValue>,
    pub ret: Option<String>,
    pub caller: String,
    /// A stub answered it: the kernel does not implement the import (`--missing-imports stub`).
    #[serde(skip_serializing_if = "is_false")]
    pub missing: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl From<&ApiCall> for CallRecord {
    fn from(c: &ApiCall) -> Self {
        CallRecord {
            dll: c.dll.clone(),
            name: c.name.clone(),
            args: c.args.iter().cloned().collect(),
            ret: c.ret.map(hex),
            caller: hex(c.caller),
            missing: c.missing,
        }
    }
}

/// The calls stubs answered, one row per routine.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StubRow {
    /// `dll!name`.
    pub import: String,
    pub count: u64,
    /// The first call: its return address, and what the stub answered.
    pub first_caller: String,
    pub ret: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PrivilegedRecord {
    pub pc: String,
    pub text: String,
    #[serde(flatten)]
    pub action: portcullis_emu::Privileged,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DebugRecord {
    pub text: String,
    pub component: Option<u32>,
    pub level: Option<u32>,
    pub caller: String,
}

impl From<&DebugOutput> for DebugRecord {
    fn from(d: &DebugOutput) -> Self {
        DebugRecord { text: d.text.clone(), component: d.component, level: d.level, caller: hex(d.caller) }
    }
}

/// One aggregated port access: (port, width, write, value).
pub(crate) type PortKey = (u16, u16, bool, u32);
/// Its first sequence number, first pc, count and outcome.
pub(crate) type PortSeen = (u64, u64, u64, portcullis_emu::ports::Outcome);

/// What became of the trace file.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct TraceFileInfo {
    /// Bytes written (whole lines).
    pub bytes: u64,
    /// It reached its size limit: the last line is `{"type":"trace_cut",...}` and the rest
    /// of the run is only in the report.
    pub cut: bool,
    /// The first error writing it (disk full, a closed pipe): the rest of the run is only in
    /// the report.
    pub error: Option<String>,
}

/// Everything recorded so far.
#[derive(Default)]
pub struct Recorder {
    seq: u64,
    /// The user process whose code runs now (its port accesses carry its id).
    user_pid: Option<u64>,
    writer: Option<Box<dyn Write>>,
    /// The line being written (kept to reuse its allocation).
    line: Vec<u8>,
    /// How each scenario step went.
    pub(crate) steps: Vec<crate::scenario::step_result::StepResult>,
    /// Entry points recorded when the running step began.
    step_mark: u64,
    trace_limit: Option<u64>,
    trace_file: Option<TraceFileInfo>,
    pub(crate) ports: BTreeMap<PortKey, PortSeen>,
    pub(crate) port_total: u64,
    pub(crate) mmio: crate::physical::MmioTable,
    pub(crate) privileged: Vec<PrivilegedRecord>,
    pub(crate) privileged_total: u64,
    pub(crate) calls: Vec<CallRecord>,
    pub(crate) call_counts: BTreeMap<String, u64>,
    pub(crate) debug: Vec<DebugRecord>,
    pub(crate) faults: Vec<FaultRecord>,
    pub(crate) limits: Vec<LimitHit>,
    pub(crate) bugchecks: Vec<BugcheckRecord>,
    pub(crate) exceptions: Vec<ExceptionReport>,
    pub(crate) exceptions_total: u64,
    /// The last exception that ended without a handler, for the bugcheck that follows it.
    last_fatal: Option<Box<ExceptionReport>>,
    /// Calls stubs answered, by `dll!name` in order of first call.
    pub(crate) stubbed: Vec<StubRow>,
    /// The last stubbed call of the current entry point (for the fault that may follow).
    last_stub: Option<String>,
    pub(crate) entry_points: Vec<EntryPointRecord>,
    pub(crate) entry_points_total: u64,
    pub(crate) failed_expectations: Vec<(usize, String)>,
    /// Registry writes, in order.
    pub(crate) registry_changes: Vec<RegistryChange>,
    /// Changes to files, in order.
    pub(crate) file_changes: Vec<portcullis_hle::fs::FileChange>,
    /// Processes terminated (ZwTerminateProcess).
    pub(crate) terminated: Vec<portcullis_hle::zw::process::ProcessTermination>,
    /// Event-log entries (IoWriteErrorLogEntry), in order.
    pub(crate) error_log: Vec<portcullis_hle::io::notify::ErrorLogEntry>,
    /// Popups raised for the user (IoRaiseInformationalHardError), in order.
    pub(crate) hard_errors: Vec<portcullis_hle::io::hard_error::HardError>,
    /// ETW and WMI events, in order.
    pub(crate) trace_events: Vec<portcullis_hle::etw::TraceEvent>,
    /// Breakpoints and prompts, in order.
    pub(crate) debugger: Vec<portcullis_hle::kd::DebuggerEvent>,
    /// Minifilters' messages to the user program, in order.
    pub(crate) filter_messages: Vec<portcullis_hle::flt::port::FilterMessage>,
    /// Changes to the filtering platform, in order.
    pub(crate) wfp: Vec<portcullis_hle::wfp::WfpEvent>,
    /// What drivers did through NDIS, in order.
    pub(crate) ndis: Vec<portcullis_hle::ndis::NdisEvent>,
    pub(crate) notices: Vec<portcullis_hle::events::Notice>,
    pub(crate) truncated: bool,
    /// The deadlock that ended the run, if one did.
    pub(crate) deadlock: Option<DeadlockRecord>,
}

impl Recorder {
    /// Streams every record to `w` as one JSON document per line, up to `limit` bytes (then
    /// the file ends with a `trace_cut` line and the run goes on without it).
    pub fn set_writer(&mut self, w: Box<dyn Write>, limit: Option<u64>) {
        self.writer = Some(w);
        self.trace_limit = limit;
    }

    /// What became of the trace file: its size, whether it was cut at its limit, and the
    /// first error writing it (the run goes on without the file).
    pub fn trace_file(&self) -> Option<TraceFileInfo> {
        self.trace_file.clone()
    }

    /// Writes one whole line: the record is serialised first, so a reader (or a process
    /// killed mid-write) never sees half a line from a full buffer.
    fn emit(&mut self, rec: &TraceRecord) {
        if let Some(w) = &mut self.writer {
            self.line.clear();
            let file = self.trace_file.get_or_insert_with(TraceFileInfo::default);
            let r = serde_json::to_writer(&mut self.line, rec).map_err(|e| e.to_string());
            self.line.push(b'\n');
            let over = self.trace_limit.is_some_and(|l| file.bytes + self.line.len() as u64 > l);
            let r = r.and_then(|_| {
                if over {
                    let cut = format!("{{\"type\":\"trace_cut\",\"limit_bytes\":{}}}\n", self.trace_limit.unwrap_or(0));
                    w.write_all(cut.as_bytes()).and_then(|_| w.flush()).map_err(|e| e.to_string())
                } else {
                    w.write_all(&self.line).map_err(|e| e.to_string())
                }
            });
            match r {
                Ok(()) if over => {
                    file.cut = true;
                    self.writer = None;
                }
                Ok(()) => file.bytes += self.line.len() as u64,
                Err(e) => {
                    file.error.get_or_insert(e);
                    self.writer = None;
                }
            }
        }
    }

    fn flush_writer(&mut self) {
        if let Some(w) = &mut self.writer {
            if let Err(e) = w.flush() {
                self.trace_file.get_or_insert_with(TraceFileInfo::default).error.get_or_insert(e.to_string());
                self.writer = None;
            }
        }
    }

    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Records a batch of machine events, then flushes the trace file.
    pub fn record(&mut self, events: &[Event<KernelEvent>]) {
        for e in events {
            self.record_one(e);
        }
        self.flush_writer();
    }

    fn record_one(&mut self, e: &Event<KernelEvent>) {
        let seq = self.next();
        let rec = match e {
            Event::Port(p) => self.port(seq, p),
            Event::Mmio(m) => TraceRecord::Mmio { seq, access: self.mmio.record(seq, m) },
            Event::Privileged(p) => self.privileged(seq, p),
            Event::Fault(f) => {
                let mut fault = FaultRecord::from(f);
                fault.after_stub = self.last_stub.clone();
                self.faults.push(fault.clone());
                TraceRecord::Fault { seq, fault }
            }
            Event::Limit(l) => {
                self.limits.push(l.clone());
                TraceRecord::Limit { seq, limit: l.clone() }
            }
            Event::Ext(KernelEvent::Call(c)) => {
                *self.call_counts.entry(c.name.to_string()).or_default() += 1;
                let call = CallRecord::from(c);
                if c.missing {
                    self.stubbed_call(&call);
                }
                if self.calls.len() < REPORT_CAP * 5 {
                    self.calls.push(call.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Call { seq, call }
            }
            Event::Ext(KernelEvent::Debug(d)) => {
                let rec = DebugRecord::from(d);
                if self.debug.len() < REPORT_CAP {
                    self.debug.push(rec.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Debug {
                    seq,
                    text: rec.text,
                    component: rec.component,
                    level: rec.level,
                    caller: rec.caller,
                }
            }
            Event::Ext(KernelEvent::Bugcheck(b)) => {
                let mut bugcheck = BugcheckRecord::from(b);
                bugcheck.exception = self.last_fatal.take();
                self.bugchecks.push(bugcheck.clone());
                TraceRecord::Bugcheck { seq, bugcheck }
            }
            Event::Ext(KernelEvent::System(s)) => self.system(seq, s),
            Event::Ext(KernelEvent::Sched(e)) => TraceRecord::Sched { seq, event: SchedRecord::from(e) },
            Event::Ext(KernelEvent::Deadlock(d)) => {
                let deadlock = DeadlockRecord::from(d);
                self.deadlock = Some(deadlock.clone());
                TraceRecord::Deadlock { seq, deadlock }
            }
            Event::Ext(KernelEvent::Exception(e)) => {
                let mut exception = ExceptionReport::from(&**e);
                self.exceptions_total += 1;
                if matches!(e.outcome, ExceptionOutcome::Unhandled | ExceptionOutcome::Fatal) {
                    exception.after_stub = self.last_stub.clone();
                    self.last_fatal = Some(Box::new(exception.clone()));
                }
                if self.exceptions.len() < REPORT_CAP {
                    self.exceptions.push(exception.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Exception { seq, exception }
            }
            Event::Ext(KernelEvent::UserProcess(p)) => {
                self.user_pid = if p.exit_status.is_none() { Some(p.pid) } else { None };
                TraceRecord::Process { seq, process: p.clone() }
            }
        };
        self.emit(&rec);
    }

    fn system(&mut self, seq: u64, e: &SystemEvent) -> TraceRecord {
        match e {
            SystemEvent::Registry(change) => {
                if self.registry_changes.len() < REPORT_CAP {
                    self.registry_changes.push(change.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Registry { seq, change: change.clone() }
            }
            SystemEvent::File(change) => {
                if self.file_changes.len() < REPORT_CAP {
                    self.file_changes.push(change.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::File { seq, change: change.clone() }
            }
            SystemEvent::ProcessTerminated(t) => {
                self.terminated.push(t.clone());
                TraceRecord::ProcessTerminated { seq, termination: t.clone() }
            }
            SystemEvent::ErrorLog(entry) => {
                if self.error_log.len() < REPORT_CAP {
                    self.error_log.push(entry.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::ErrorLog { seq, entry: entry.clone() }
            }
            SystemEvent::HardError(popup) => {
                if self.hard_errors.len() < REPORT_CAP {
                    self.hard_errors.push(popup.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::HardError { seq, popup: popup.clone() }
            }
            SystemEvent::Trace(event) => {
                if self.trace_events.len() < REPORT_CAP {
                    self.trace_events.push(event.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::TraceEvent { seq, event: event.clone() }
            }
            SystemEvent::Debugger(event) => {
                if self.debugger.len() < REPORT_CAP {
                    self.debugger.push(event.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Debugger { seq, event: event.clone() }
            }
            SystemEvent::FilterMessage(message) => {
                if self.filter_messages.len() < REPORT_CAP {
                    self.filter_messages.push(message.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::FilterMessage { seq, message: message.clone() }
            }
            SystemEvent::Wfp(event) => {
                if self.wfp.len() < REPORT_CAP {
                    self.wfp.push(event.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Wfp { seq, event: event.clone() }
            }
            SystemEvent::Ndis(event) => {
                if self.ndis.len() < REPORT_CAP {
                    self.ndis.push(event.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Ndis { seq, event: event.clone() }
            }
            SystemEvent::Notice(notice) => {
                if self.notices.len() < REPORT_CAP {
                    self.notices.push(notice.clone());
                } else {
                    self.truncated = true;
                }
                TraceRecord::Notice { seq, notice: notice.clone() }
            }
        }
    }

    fn stubbed_call(&mut self, call: &CallRecord) {
        let import = format!("{}!{}", call.dll, call.name);
        let answer = call.ret.as_deref().map(|r| format!(" returned {r}")).unwrap_or_default();
        self.last_stub = Some(format!("{import}{answer} to {}", call.caller));
        match self.stubbed.iter().position(|r| r.import == import) {
            Some(i) => self.stubbed[i].count += 1,
            None if self.stubbed.len() < REPORT_CAP => self.stubbed.push(StubRow {
                import,
                count: 1,
                first_caller: call.caller.clone(),
                ret: call.ret.clone(),
            }),
            None => self.truncated = true,
        }
    }

    fn port(&mut self, seq: u64, p: &PortEvent) -> TraceRecord {
        self.port_total += 1;
        let key = (p.port, p.width.bytes(), p.write, p.value);
        if let Some(row) = self.ports.get_mut(&key) {
            row.2 += 1;
        } else if self.ports.len() < REPORT_CAP {
            self.ports.insert(key, (seq, p.pc, 1, p.outcome));
        } else {
            self.truncated = true;
        }
        TraceRecord::Port {
            seq,
            pc: hex(p.pc),
            port: p.port,
            width: p.width.bytes(),
            dir: if p.write { "out" } else { "in" },
            value: p.value,
            cpl: p.cpl,
            outcome: p.outcome,
            pid: if p.cpl == 3 { self.user_pid } else { None },
        }
    }

    fn privileged(&mut self, seq: u64, p: &PrivilegedEvent) -> TraceRecord {
        self.privileged_total += 1;
        let rec = PrivilegedRecord { pc: hex(p.pc), text: p.text.clone(), action: p.action.clone() };
        if self.privileged.len() < REPORT_CAP {
            self.privileged.push(rec.clone());
        } else {
            self.truncated = true;
        }
        TraceRecord::Privileged { seq, pc: rec.pc, text: rec.text, action: rec.action }
    }

    /// Records an entry point's outcome, in order with the machine's events.
    pub fn entry_point(&mut self, entry: EntryPointRecord) {
        let seq = self.next();
        self.last_stub = None;
        self.entry_points_total += 1;
        if self.entry_points.len() < REPORT_CAP {
            self.entry_points.push(entry.clone());
        } else {
            self.truncated = true;
        }
        self.emit(&TraceRecord::EntryPoint { seq, entry });
        self.flush_writer();
    }

    /// A scenario step starts.
    pub fn begin_step(&mut self) {
        self.step_mark = self.entry_points_total;
    }

    /// Records a failed expectation of scenario step `step` (attached to the last entry point).
    pub fn expectation_failed(&mut self, step: usize, message: String) {
        let seq = self.next();
        // On the step's own entry point (an `expect_port` step makes none), unless the
        // report's list is full and the entry point is only in the trace.
        if self.entry_points_total > self.step_mark && self.entry_points.len() as u64 == self.entry_points_total {
            if let Some(last) = self.entry_points.last_mut() {
                last.unmet.push(message.clone());
            }
        }
        self.failed_expectations.push((step, message.clone()));
        self.emit(&TraceRecord::Expectation { seq, step, message });
        self.flush_writer();
    }

    /// The distinct accesses, in the order each first happened.
    pub fn port_rows(&self) -> Vec<PortRow> {
        let mut rows: Vec<(u64, PortRow)> = self
            .ports
            .iter()
            .map(|(&(port, width, write, value), &(first, pc, count, outcome))| {
                let row =
                    PortRow { port, width, dir: if write { "out" } else { "in" }, value, pc: hex(pc), count, outcome };
                (first, row)
            })
            .collect();
        rows.sort_by_key(|(first, _)| *first);
        rows.into_iter().map(|(_, r)| r).collect()
    }
}
