//! The worker: `portcullis corpus worker`, the process that actually runs tasks.
//!
//! It reads one [`Request`] per line on stdin (a corpus job or a survey driver) and answers
//! each with one [`Answer`] line on stdout (diagnostics go to stderr), until stdin ends. A
//! driver that crashes the emulator, loops past every limit or exhausts memory takes only its
//! worker down; the runner reports the task and starts another worker.

use crate::outcome::Outcome;
use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::golden::{self, Verdict};
use super::jobs::Job;
use super::pool::{Failure, Task};
use super::results::JobResult;
use crate::confine::Confinement;
use crate::limits::Budget;
use crate::scenario::Scenario;
use crate::survey::{SurveyRequest, SurveyRow};
use crate::Sandbox;

/// Test hook: a worker that receives the task named by this variable aborts at once
/// (documented in docs/corpus.md).
pub const ABORT_ENV: &str = "PORTCULLIS_TEST_WORKER_ABORT";

/// Test hook: a worker that receives the task named by this variable stops answering (it
/// sleeps until killed), as a worker stuck outside guest code would.
pub const HANG_ENV: &str = "PORTCULLIS_TEST_WORKER_HANG";

/// Test hook: a confined worker that receives the task named by this variable makes a system
/// call its filter forbids (it opens a file) once confined, and must die of it.
pub const FORBIDDEN_SYSCALL_ENV: &str = "PORTCULLIS_TEST_WORKER_FORBIDDEN_SYSCALL";

/// A job's trace larger than this fails the job instead of filling the worker's memory.
pub const MAX_TRACE_BYTES: usize = crate::limits::DEFAULT_MAX_TRACE as usize;

/// What the runner sends a worker: one task.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Request {
    Corpus(CorpusRequest),
    Survey(SurveyRequest),
}

/// What a worker answers: the result of the task it was sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Answer {
    Corpus(JobResult),
    Survey(SurveyRow),
}

impl Request {
    pub fn name(&self) -> &str {
        match self {
            Request::Corpus(r) => &r.job.name,
            Request::Survey(r) => &r.file,
        }
    }
}

impl Answer {
    pub fn name(&self) -> &str {
        match self {
            Answer::Corpus(r) => &r.name,
            Answer::Survey(r) => &r.file,
        }
    }
}

/// One corpus job and how to run it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CorpusRequest {
    pub job: Job,
    /// Write the golden file instead of comparing with it.
    pub bless: bool,
    /// The guest instruction budget, unless the scenario sets its own.
    pub max_insns: Budget<u64>,
    /// The wall-time budget, unless the scenario sets its own.
    pub timeout: Budget<Duration>,
}

impl Task for CorpusRequest {
    type Output = JobResult;

    fn name(&self) -> &str {
        &self.job.name
    }

    fn request(&self) -> Request {
        Request::Corpus(self.clone())
    }

    fn output(&self, answer: Answer) -> Option<JobResult> {
        match answer {
            Answer::Corpus(r) => Some(bless_answer(self, r)),
            Answer::Survey(_) => None,
        }
    }

    fn failed(&self, failure: Failure) -> JobResult {
        JobResult::failed(&self.job, failure.reason, failure.stderr)
    }
}

/// The worker's main loop; returns the process exit code. A `confined` worker serves one
/// task: it starts it (reads its files, boots the machine), confines itself
/// ([`crate::confine`]), runs the driver, answers and exits.
pub fn main(confined: bool) -> i32 {
    let abort_on = std::env::var(ABORT_ENV).ok();
    let hang_on = std::env::var(HANG_ENV).ok();
    let forbidden_on = std::env::var(FORBIDDEN_SYSCALL_ENV).ok();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("portcullis corpus worker: cannot read a request: {e}");
                return 2;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let req: Request = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("portcullis corpus worker: not a request ({e}): {line}");
                return 2;
            }
        };
        if abort_on.as_deref() == Some(req.name()) {
            eprintln!("portcullis corpus worker: {ABORT_ENV} names {}: aborting", req.name());
            std::process::abort();
        }
        if hang_on.as_deref() == Some(req.name()) {
            eprintln!("portcullis corpus worker: {HANG_ENV} names {}: hanging", req.name());
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        let timeout = match &req {
            Request::Corpus(r) => r.timeout,
            Request::Survey(r) => r.timeout,
        };
        let confinement = confined.then(|| Confine {
            cpu_time: timeout.0.map(|t| t * 2 + Duration::from_secs(1)),
            then_forbidden_call: forbidden_on.as_deref() == Some(req.name()),
        });
        let answer = match &req {
            Request::Corpus(r) => Answer::Corpus(execute(r, confinement.as_ref())),
            Request::Survey(r) => Answer::Survey(crate::survey::examine(r, confinement.as_ref())),
        };
        let written = serde_json::to_writer(&mut out, &answer)
            .map_err(std::io::Error::from)
            .and_then(|_| out.write_all(b"\n"))
            .and_then(|_| out.flush());
        if let Err(e) = written {
            eprintln!("portcullis corpus worker: cannot answer: {e}");
            return 2;
        }
        if confined {
            break;
        }
    }
    0
}

/// How a worker confines itself before running a task's driver.
pub struct Confine {
    /// CPU time the task may use: twice its wall-time budget (the runner kills the worker at
    /// the wall-time budget; this holds even if the runner is gone).
    cpu_time: Option<Duration>,
    /// Test hook ([`FORBIDDEN_SYSCALL_ENV`]): make a forbidden system call once confined.
    then_forbidden_call: bool,
}

impl Confine {
    /// Confines the process once start-up is over, just before the driver runs: the address
    /// space may grow by the guest's memory budget plus host headroom, no file is written.
    pub fn apply(&self, guest_memory: u64) -> Result<(), String> {
        // The watchdog's thread must exist before threads can no longer be created.
        portcullis_emu::limits::start_watchdog();
        let limits = Confinement {
            address_space_growth: Some(guest_memory.saturating_add(crate::confine::HOST_HEADROOM)),
            cpu_time: self.cpu_time,
            file_size: Some(0),
        };
        crate::confine::confine(&limits).map_err(|e| format!("cannot confine the worker: {e}"))?;
        if self.then_forbidden_call {
            eprintln!("portcullis corpus worker: {FORBIDDEN_SYSCALL_ENV} names this task: opening a file");
            let _ = std::fs::File::open("/etc/hostname");
        }
        Ok(())
    }
}

/// The trace of one job, kept in memory up to [`MAX_TRACE_BYTES`].
#[derive(Clone, Default)]
struct TraceBuf(Rc<RefCell<(Vec<u8>, bool)>>);

impl TraceBuf {
    fn overflowed(&self) -> bool {
        self.0.borrow().1
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut().0)
    }
}

impl Write for TraceBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut b = self.0.borrow_mut();
        if b.0.len() + data.len() > MAX_TRACE_BYTES {
            b.1 = true;
            return Err(std::io::Error::other("the trace is too large"));
        }
        b.0.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a job's run ended, for the verdict.
struct Ran {
    /// The report's outcome.
    outcome: Outcome,
    /// The outcome the scenario expects.
    expect: Outcome,
    /// Whether the run ended the way the scenario says it would.
    as_expected: bool,
    /// The scenario's expectations that did not hold.
    failed_expectations: Vec<String>,
}

enum JobError {
    /// The scenario could not be read or applied.
    Scenario(String),
    /// The driver could not be loaded.
    Load(String),
    /// The worker could not confine itself, so the driver was not run.
    Confine(String),
}

/// Runs one job as `portcullis run <sys> [--scenario FILE] --trace T` does, streaming the
/// trace to `trace`: the one place that knows how scenarios are run. A confined worker
/// confines itself once the driver is loaded, before its code runs.
fn run_job(req: &CorpusRequest, trace: Box<dyn Write>, confine: Option<&Confine>) -> Result<Ran, JobError> {
    let job = &req.job;
    let scenario = match &job.scenario_file {
        Some(p) => Scenario::from_file(p).map_err(|e| JobError::Scenario(e.to_string()))?,
        None => Scenario::default_scenario(),
    };
    // The file's own limits win over the runner's budgets.
    let builder =
        Sandbox::builder().max_instructions(req.max_insns.or_zero()).timeout(req.timeout.or_zero()).trace(trace);
    let builder = scenario.configure(builder).map_err(|e| JobError::Scenario(e.to_string()))?;
    let guest_memory = builder.configured_limits().memory_bytes;
    let mut sb = builder.load_driver(&job.sys).map_err(|e| JobError::Load(e.to_string()))?;
    if let Some(c) = confine {
        c.apply(guest_memory).map_err(JobError::Confine)?;
    }
    let outcome = scenario.run(&mut sb);
    let report = sb.report();
    Ok(Ran {
        outcome: report.outcome,
        expect: scenario.expect_outcome(),
        as_expected: outcome.outcome_as_expected,
        failed_expectations: report.failed_expectations.into_iter().map(|f| f.message).collect(),
    })
}

/// Runs the job and compares its trace with the golden file, read before the driver runs.
/// With `bless` the normalised trace goes back to the runner instead, which writes the
/// golden file ([`bless_answer`]): a worker writes no file.
pub fn execute(req: &CorpusRequest, confine: Option<&Confine>) -> JobResult {
    let job = &req.job;
    let golden = if req.bless { None } else { Some(golden::read(job)) };
    let buf = TraceBuf::default();
    let ran = run_job(req, Box::new(buf.clone()), confine);
    let trace = buf.take();
    let ran = match ran {
        Ok(r) => r,
        Err(JobError::Scenario(msg)) => return JobResult::failed(job, format!("scenario: {msg}"), None),
        Err(JobError::Confine(msg)) => return JobResult::failed(job, msg, None),
        Err(JobError::Load(msg)) => {
            let mut r = JobResult::failed(job, format!("cannot load the driver: {msg}"), None);
            r.outcome = Some(Outcome::LoadError);
            return r;
        }
    };
    let mut result =
        JobResult { outcome: Some(ran.outcome), expected_outcome: Some(ran.expect), ..JobResult::new(job) };
    if buf.overflowed() {
        result.reason =
            Some(format!("the trace is larger than {} MiB; it cannot be a golden trace", MAX_TRACE_BYTES >> 20));
        return result;
    }
    let mut reasons = Vec::new();
    if !ran.as_expected {
        reasons.push(format!("outcome {}, expected {}", ran.outcome, ran.expect));
    }
    match ran.failed_expectations.as_slice() {
        [] => {}
        [one] => reasons.push(format!("expectation failed: {one}")),
        [first, rest @ ..] => reasons.push(format!("{} expectations failed: {first}; ...", rest.len() + 1)),
    }
    let actual = golden::normalise(&String::from_utf8_lossy(&trace));
    match golden {
        None => result.trace_to_bless = Some(actual),
        Some(Ok(golden)) => match golden::compare(job, golden.as_deref(), &actual) {
            Verdict::Same => {}
            Verdict::Missing => reasons.push("no golden file (run with --bless)".into()),
            Verdict::Differs { diff } => {
                reasons.push("golden trace differs".into());
                result.diff = Some(diff);
            }
        },
        Some(Err(e)) => reasons.push(format!("cannot read {}: {e}", job.golden.display())),
    }
    result.passed = reasons.is_empty();
    result.reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    result
}

/// On the runner's side: writes the golden file a blessing job's worker sent the trace for.
fn bless_answer(req: &CorpusRequest, mut result: JobResult) -> JobResult {
    let Some(actual) = result.trace_to_bless.take() else { return result };
    if !req.bless {
        return result;
    }
    match golden::bless(&req.job, &actual) {
        Ok(b) => result.blessed = Some(b),
        Err(e) => {
            let reason = format!("cannot write {}: {e}", req.job.golden.display());
            result.reason = Some(match result.reason.take() {
                Some(r) => format!("{r}; {reason}"),
                None => reason,
            });
            result.passed = false;
        }
    }
    result
}
